#!/usr/bin/env bash
# trace_golden.sh — `mapgc trace summary|csv|json` against golden outputs,
# byte for byte, for every sample log in tests/data/trace (a real Go 1.19
# log, Go 1.5 and 1.6 samples, a mapgc log with map lines and events, a
# --compare-barriers log with wb lines of three modes over four runs, and a
# log of malformed lines with its golden stderr).
#
# MAPGC_REGEN=1 rewrites the goldens from the current binary instead of
# comparing (then review the diff: the goldens are the specification).
#
# Also the helper library of the other trace_*.sh scripts, which source
# this file: everything above the "sourced?" line defines helpers only.
# Run by ctest as `bash trace_golden.sh` with MAPGC_BIN and
# MAPGC_SOURCE_DIR; exit 0 pass, 1 fail, 77 skip.

set -u -o pipefail
export LC_ALL=C

tr_name=$(basename "${BASH_SOURCE[1]:-$0}" .sh)

# ---- helpers ----------------------------------------------------------------

tr_fail() {
	echo "FAIL [$tr_name]: $*" >&2
	exit 1
}

tr_note() {
	echo "[$tr_name] $*"
}

tr_skip() {
	echo "SKIP [$tr_name]: $*" >&2
	exit 77
}

# The binary: MAPGC_BIN (ctest sets it, empty when mapgc is not built),
# else, run by hand, a debug build next to the sources.
tr_src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
tr_data=$tr_src/tests/data/trace
tr_find_bin() {
	if [[ -n "${MAPGC_BIN:-}" ]]; then
		[[ -x "$MAPGC_BIN" ]] || tr_fail "MAPGC_BIN='$MAPGC_BIN' is not an executable"
		return
	fi
	if [[ -z "${MAPGC_BIN+set}" && -x "$tr_src/build/debug/mapgc" ]]; then
		MAPGC_BIN=$tr_src/build/debug/mapgc
		return
	fi
	tr_skip "the mapgc command is not built (MAPGC_BIN empty)"
}

tr_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-trace.XXXXXX") || tr_fail "mktemp"
trap 'rm -rf "$tr_tmp"' EXIT

tr_timeout=${TR_TIMEOUT:-60}

# tr_run ARGS… [< input]: run mapgc with a clean MAPGC_* environment.
# Leaves $tr_out, $tr_err (file names), $tr_rc and $tr_cmd (printable).
tr_run() {
	tr_out=$tr_tmp/out
	tr_err=$tr_tmp/err
	tr_cmd="mapgc $*"
	env -u MAPGC_DEBUG -u MAPGC_GOGC -u MAPGC_MEMLIMIT \
		timeout "$tr_timeout" "$MAPGC_BIN" "$@" >"$tr_out" 2>"$tr_err"
	tr_rc=$?
	[[ $tr_rc -eq 124 ]] && tr_fail "timed out after ${tr_timeout}s: $tr_cmd"
	# Killed by a signal (segfault, abort, sanitizer): never a pass.
	[[ $tr_rc -gt 128 ]] && tr_fail "killed by signal $((tr_rc - 128)): $tr_cmd$(tr_tail)"
	return 0
}

tr_tail() {
	printf '\n--- stderr (last 10 lines) of: %s\n' "$tr_cmd"
	tail -n 10 "$tr_err"
	printf -- '--- stdout (last 5 lines)\n'
	tail -n 5 "$tr_out"
}

tr_expect_rc() {
	[[ $tr_rc -eq $1 ]] || tr_fail "exit status $tr_rc, want $1: $tr_cmd$(tr_tail)"
}

tr_expect_quiet() {
	[[ ! -s "$tr_err" ]] || tr_fail "wrote to stderr: $tr_cmd$(tr_tail)"
}

# tr_golden FILE GOLDEN: the file must equal the golden (or, with
# MAPGC_REGEN=1, becomes it).
tr_golden() {
	local got=$1 want=$2
	if [[ "${MAPGC_REGEN:-}" == 1 ]]; then
		mkdir -p "$(dirname "$want")"
		cp "$got" "$want"
		return
	fi
	[[ -f "$want" ]] || tr_fail "no golden $want (MAPGC_REGEN=1 writes it): $tr_cmd"
	cmp -s "$got" "$want" ||
		tr_fail "output differs from $want: $tr_cmd
$(diff -u "$want" "$got" | head -n 40)"
}

tr_find_bin

# ---- sourced? then only the helpers ------------------------------------------
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

golden=$tr_data/golden
logs=(go119 go16 go15 mapgc wbtrace)

for log in "${logs[@]}"; do
	for mode in summary csv json; do
		tr_run trace "$mode" "$tr_data/$log.log"
		tr_expect_rc 0
		tr_expect_quiet
		tr_golden "$tr_out" "$golden/$log.$mode"
	done
done
tr_note "goldens: ${logs[*]} x summary, csv, json"

# The json contract (DESIGN.md §7): one cycle per gc line, in input order.
for log in "${logs[@]}"; do
	want=$(grep -Ec '(^|[[:space:]])gc #?[0-9]+ @' "$tr_data/$log.log")
	got=$(grep -c '^    {"n":' "$golden/$log.json")
	[[ $got -eq $want ]] || tr_fail "$log.json has $got cycles, the log $want gc lines"
	grep -q '"n":[0-9]*,.*"t_s":[0-9.]*,.*"forced":\(true\|false\),.*"heap_mb":\[[0-9]*,[0-9]*,[0-9]*\],"goal_mb":[0-9]*,.*"procs":[0-9]*' \
		"$golden/$log.json" || tr_fail "$log.json: a cycle lacks the contract fields"
done
grep -c '"forced":true' "$golden/go119.json" | grep -qx 10 ||
	tr_fail "go119.json: want 10 forced cycles (the log has 10 ' (forced)' lines)"
grep -q '"forced_by":"sysmon"' "$golden/go16.json" || tr_fail "go16.json: 'GC forced' did not mark a cycle"
grep -q '"format":"go1.5"' "$golden/go15.json" || tr_fail "go15.json: not read as go1.5"
grep -q '"map":{' "$golden/mapgc.json" || tr_fail "mapgc.json: no map figures in the cycles"
# wb lines (wbtrace=1): one per cycle, carried by its cycle, summed per mode.
want=$(grep -c '^wb ' "$tr_data/wbtrace.log")
got=$(grep -c '"wb":{"n":' "$golden/wbtrace.json")
[[ $got -eq $want ]] || tr_fail "wbtrace.json: $got cycles carry a wb object, the log has $want wb lines"
grep -q '"wb_modes":\[{"mode":"hybrid","lines":[0-9]*,"runs":2,.*{"mode":"yuasa",.*{"mode":"dijkstra",' \
	"$golden/wbtrace.json" || tr_fail "wbtrace.json: no per-mode figures (hybrid in 2 runs, then yuasa, dijkstra)"
! grep -q '"wb' "$golden/mapgc.json" || tr_fail "mapgc.json: wb figures in a log without wb lines"

# Malformed lines: reported with their line numbers, exit 1, the rest is
# still processed and written (DESIGN.md §7).
for mode in json summary; do
	tr_run trace "$mode" "$tr_data/malformed.log"
	tr_expect_rc 1
	tr_golden "$tr_out" "$golden/malformed.$mode"
	tr_golden "$tr_err" "$golden/malformed.stderr"
done
grep -q '^    {"n":9,' "$golden/malformed.json" || tr_fail "malformed.json: the cycle after the bad lines is missing"

# Outputs do not depend on how the file is named: relative, absolute, from
# another directory (no absolute paths in the output).
(cd "$tr_data" && tr_run trace json go119.log && cmp -s "$tr_out" "$golden/go119.json") ||
	tr_fail "json of a relative path differs from the golden"
# stdin: the same, named "stdin".
tr_run trace json - <"$tr_data/go119.log"
tr_expect_rc 0
sed 's/^  "file":"go119.log",/  "file":"stdin",/' "$golden/go119.json" >"$tr_tmp/want"
cmp -s "$tr_out" "$tr_tmp/want" || tr_fail "json of stdin differs from the file's$(diff "$tr_tmp/want" "$tr_out" | head)"

# -o writes the same bytes to a file and nothing to stdout.
tr_run trace csv "$tr_data/mapgc.log" -o "$tr_tmp/mapgc.csv"
tr_expect_rc 0
[[ ! -s "$tr_out" ]] || tr_fail "-o: wrote to stdout too"
cmp -s "$tr_tmp/mapgc.csv" "$golden/mapgc.csv" || tr_fail "-o file differs from the golden csv"

tr_note "ok"
