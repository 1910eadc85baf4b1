#!/usr/bin/env bash
# reach.sh — `mapgc reach` on a hand-written snapshot whose every figure is
# worked out by hand (tests/data/reach/small.json): text, --json, --arrays,
# --object, --map, -o, standard input and --dot.
#
# Also the helper library of the reach_*.sh scripts, which source this
# file: everything above the "sourced?" line defines helpers only.  Run by
# ctest as `bash reach.sh` with MAPGC_BIN and MAPGC_SOURCE_DIR; exit 0
# pass, 1 fail, 77 skip.
#
# small.json: root "m" → hmap#1 (map 3, growing, B 1) with current array
# #2 (288 B, one val #6) and old array #3 (160 B, overflow bucket #4, val
# #5); iterator #8 (root "it") holds the old array and bptr = #4; iterator
# #9 (root "it2") holds a stale array #10 (160 B).  By hand: the old array
# is held by {old array, iterator}, dominated by no object, retains itself
# and #5 (176 B; #4 is also held by it.bptr); the stale array is dominated
# by #9, which retains 96 + 160 = 256 B; the hmap retains itself, the
# current array with its val and mapextra: 80 + 288 + 16 + 32 = 416 B.

set -u -o pipefail
export LC_ALL=C

rc_name=$(basename "${BASH_SOURCE[1]:-$0}" .sh)

rc_fail() {
	echo "FAIL [$rc_name]: $*" >&2
	exit 1
}

rc_note() {
	echo "[$rc_name] $*"
}

rc_skip() {
	echo "SKIP [$rc_name]: $*" >&2
	exit 77
}

rc_src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
rc_data=$rc_src/tests/data/reach

if [[ -n "${MAPGC_BIN:-}" ]]; then
	[[ -x "$MAPGC_BIN" ]] || rc_fail "MAPGC_BIN='$MAPGC_BIN' is not an executable"
elif [[ -z "${MAPGC_BIN+set}" && -x "$rc_src/build/debug/mapgc" ]]; then
	MAPGC_BIN=$rc_src/build/debug/mapgc
else
	rc_skip "the mapgc command is not built (MAPGC_BIN empty)"
fi

rc_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-reach-cli.XXXXXX") || rc_fail "mktemp"
trap 'rm -rf "$rc_tmp"' EXIT

rc_timeout=${RC_TIMEOUT:-120}

# rc_run [VAR=value…] -- ARGS…: mapgc ARGS with a clean MAPGC_* environment
# plus the given variables, in $rc_tmp.  Leaves $rc_out, $rc_err, $rc_rc, $rc_cmd.
rc_run() {
	local -a envs=()
	while [[ $# -gt 0 && "$1" != "--" ]]; do
		envs+=("$1")
		shift
	done
	[[ "${1:-}" == "--" ]] && shift
	rc_out=$rc_tmp/out
	rc_err=$rc_tmp/err
	rc_cmd="${envs[*]:+${envs[*]} }mapgc $*"
	(cd "$rc_tmp" && env -u MAPGC_DEBUG -u MAPGC_GOGC -u MAPGC_MEMLIMIT -u MAPGC_REACH_RENDER "${envs[@]}" \
		timeout "$rc_timeout" "$MAPGC_BIN" "$@" >"$rc_out" 2>"$rc_err")
	rc_rc=$?
	[[ $rc_rc -eq 124 ]] && rc_fail "timed out after ${rc_timeout}s: $rc_cmd"
	[[ $rc_rc -gt 128 ]] && rc_fail "killed by signal $((rc_rc - 128)): $rc_cmd$(rc_tail)"
	return 0
}

rc_tail() {
	printf '\n--- stderr:\n%s\n--- stdout:\n%s' "$(tail -n 8 "$rc_err")" "$(tail -n 12 "$rc_out")"
}

# rc_ok [VAR=value…] -- ARGS…: must exit 0.
rc_ok() {
	rc_run "$@"
	[[ $rc_rc -eq 0 ]] || rc_fail "exit status $rc_rc: $rc_cmd$(rc_tail)"
}

# rc_has TEXT: stdout contains the line fragment TEXT.
rc_has() {
	grep -qF -- "$1" "$rc_out" || rc_fail "stdout lacks '$1': $rc_cmd$(rc_tail)"
}

rc_lacks() {
	! grep -qF -- "$1" "$rc_out" || rc_fail "stdout has '$1': $rc_cmd$(rc_tail)"
}

# rc_json_field NAME: the first "NAME":VALUE number on stdout.
rc_json_field() {
	grep -o "\"$1\":[0-9]*" "$rc_out" | head -n 1 | cut -d: -f2
}

# sourced by another script: stop here
[[ "${BASH_SOURCE[0]}" != "$0" ]] && return 0

small=$rc_data/small.json
arrow=$'\xe2\x86\x92'

# ---- the default report ------------------------------------------------------
rc_ok -- reach "$small"
rc_has "maps       1 (1 growing), 2 iterators, 1 stale array held only by iterators: 160 B, retaining 160 B"
rc_has "map 3: hmap#1, map[int64]pointer, count 13, B 1, flags iterator|oldIterator"
rc_has "growth     doubling (B 0 $arrow 1), 0 of 1 old buckets evacuated, nevacuate 0"
rc_has "retained   416 B in 4 objects; holders: root, iterator"
rc_has "holders: current array; idom hmap#1; retained 304 B"
rc_has "holders: old array, iterator; idom the roots (no single object dominates it); retained 176 B"
rc_has "overflow: 1 in chains, 1 separate bucket objects reached by chain edges (160 B)"
rc_has "evacuation old buckets 0: pending"
rc_has "hiter#8 on the old array, bptr in bucket[int64]pointer#4"
rc_has "hiter#8 on the old array, bptr in bucket[int64]pointer#4; the array is shared: dropping it alone frees none of it"
rc_has "hiter#9 on a stale array bucket[int64]pointer[1]#10; dropping it frees the array: 160 B"
rc_has "holders: iterator; idom hiter#9; retained 160 B"
[[ -s "$rc_err" ]] && rc_fail "stderr not empty: $rc_cmd$(rc_tail)"

# ---- objects and arrays --------------------------------------------------------
rc_ok -- reach "$small" --object 4 --object 9
rc_lacks "map 3:"
rc_has "path       scope root \"it\" $arrow hiter#8 .it.bptr $arrow bucket[int64]pointer#4"
rc_has "held by    bucket[int64]pointer[1]#3 [0].overflow (link: old array, iterator)"
rc_has "retained   256 B in 2 objects"
rc_ok -- reach "$small" --arrays
[[ $(grep -c '^object ' "$rc_out") -eq 3 ]] || rc_fail "--arrays: want the 3 bucket arrays$(rc_tail)"
rc_has "object bucket[int64]pointer[1]#10, 160 B: stale array of map 3, held by its iterators"
rc_has "path       scope root \"m\" $arrow hmap#1 .oldbuckets $arrow bucket[int64]pointer[1]#3"
rc_ok -- reach "$small" --arrays --maps
rc_has "map 3:"
rc_ok -- reach "$small" --map 3
rc_has "map 3:"

# ---- JSON ----------------------------------------------------------------------
rc_ok -- reach "$small" --json --arrays --maps --object 4
rc_has '{"schema":"mapgc.reach","version":1,'
rc_has '"summary":{"maps":1,"growing":1,"iterators":2,"stale_arrays":1,"stale_unreachable":0,"stale_bytes":160,"stale_retained":160}'
rc_has '"evacuation":{"evacuated":0,"pending":1,"consistent":true,"runs":[{"first":0,"last":0,"state":"pending"}]}'
rc_has '"holders":["old","iterator"],"idom":null,"retained":176,"dominated":2}'
rc_has '"array":3,"array_role":"old","bptr":4,"overflow":null,"oldoverflow":null,"retained":96,"array_retained_alone":0}'
rc_has '"array":10,"array_role":"stale","bptr":null,"overflow":null,"oldoverflow":null,"retained":256,"array_retained_alone":160}'
rc_has '"held_by":[{"object":3,"type":"bucket[int64]pointer","label":"[0].overflow","kind":"link","kinds":["old","iterator"]},{"object":8,"type":"hiter","label":".it.bptr","kind":"iterator","kinds":["iterator"]}]'
if command -v jq >/dev/null; then
	jq -e '.maps[0].stale_arrays[0].idom == 9 and .objects[0].path.steps[0].label == ".it.bptr" and .objects[0].path.steps[1].object == 4' "$rc_out" >/dev/null ||
		rc_fail "jq: the JSON does not say what the text says$(rc_tail)"
else
	rc_note "jq not installed: structural JSON checks skipped (the Criterion tests parse it strictly)"
fi

# ---- standard input, -o --------------------------------------------------------
rc_ok -- reach - --map 3 <"$small"
rc_has "snapshot   -: cycle 2, 10 objects"
rc_has "map 3:"
rc_ok -- reach "$small" --json -o report.json
[[ ! -s "$rc_out" ]] || rc_fail "-o FILE also wrote to stdout"
grep -qF '"schema":"mapgc.reach"' "$rc_tmp/report.json" || rc_fail "-o report.json: not the JSON report"

# ---- DOT -------------------------------------------------------------------------
rc_ok -- reach "$small" --dot 3
rc_has 'digraph "map 3" {'
rc_has 'o3 [label="old array\nbucket[int64]pointer[1]#3\n0 of 1 evacuated\n160 B, retains 176 B", style="striped", fillcolor="#f6b26b:#8fbbee"];'
rc_has 'o1 -> o3 [label=".oldbuckets"];'
rc_has 'o3 -> o4 [label="[0].overflow", style=dashed];'
rc_has 'o8 -> o3 [label=".it.buckets"];'
rc_has 'r0 -> o1;'
rc_has 'kind_iterator [label="iterator"'
[[ $(tail -n 1 "$rc_out") == "}" ]] || rc_fail "DOT does not end with }$(rc_tail)"
rc_ok -- reach "$small" --dot 3 -o m3.dot
cmp -s "$rc_out" /dev/null || rc_fail "--dot -o also wrote to stdout"
grep -qF 'digraph "map 3"' "$rc_tmp/m3.dot" || rc_fail "--dot -o m3.dot"

rc_note "ok"
