#!/usr/bin/env bash
# stress_maps.sh — the map workloads of `mapgc stress` as a set: --list
# names all nine workloads, and every map workload's result line has the
# contract's form and is the last line on stdout.
#
# Also the helper library of the stress_maps_*.sh scripts (one per map
# workload), which source this file: everything above the "sourced?" line
# defines helpers only.  Run by ctest as `bash stress_maps.sh` with
# MAPGC_BIN (the mapgc binary) and MAPGC_SOURCE_DIR; exit 0 pass, 1 fail,
# 77 skip.  SM_SEEDS overrides the seeds the per-workload scripts use.

set -u -o pipefail
export LC_ALL=C

sm_name=$(basename "${BASH_SOURCE[1]:-$0}" .sh)

# The map workloads, in --list order (graph, the collector's own, comes first).
sm_workloads=(grow-iterate churn delete-all ptr-values string-keys big-values noptr many-maps)

# ---- helpers ----------------------------------------------------------------

sm_fail() {
	echo "FAIL [$sm_name]: $*" >&2
	exit 1
}

sm_note() {
	echo "[$sm_name] $*"
}

# Find the binary: MAPGC_BIN (ctest sets it, empty when mapgc is not
# built), else, run by hand, a debug build next to the sources.
sm_find_bin() {
	if [[ -n "${MAPGC_BIN:-}" ]]; then
		[[ -x "$MAPGC_BIN" ]] || sm_fail "MAPGC_BIN='$MAPGC_BIN' is not an executable"
		return
	fi
	if [[ -z "${MAPGC_BIN+set}" ]]; then
		local src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
		if [[ -x "$src/build/debug/mapgc" ]]; then
			MAPGC_BIN=$src/build/debug/mapgc
			return
		fi
	fi
	echo "SKIP [$sm_name]: the mapgc command is not built (MAPGC_BIN empty)" >&2
	exit 77
}

sm_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-stress-maps.XXXXXX") || sm_fail "mktemp"
trap 'rm -rf "$sm_tmp"' EXIT

# Longest a single run may take before the test calls it hung.
sm_timeout=${SM_TIMEOUT:-60}

# sm_run [VAR=value…] -- ARGS…: run mapgc with a clean MAPGC_* environment
# plus the given variables.  Leaves $sm_out, $sm_err (file names), $sm_rc,
# $sm_cmd (printable) and $sm_secs (wall seconds).
sm_run() {
	local -a envs=()
	while [[ $# -gt 0 && "$1" != "--" ]]; do
		envs+=("$1")
		shift
	done
	[[ "${1:-}" == "--" ]] && shift
	sm_out=$sm_tmp/out
	sm_err=$sm_tmp/err
	sm_cmd="${envs[*]:+${envs[*]} }mapgc $*"
	local t0=$EPOCHREALTIME
	env -u MAPGC_DEBUG -u MAPGC_GOGC -u MAPGC_MEMLIMIT "${envs[@]}" \
		timeout "$sm_timeout" "$MAPGC_BIN" "$@" >"$sm_out" 2>"$sm_err"
	sm_rc=$?
	# shellcheck disable=SC2034  # read by the scripts that source this one
	sm_secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
	[[ $sm_rc -eq 124 ]] && sm_fail "timed out after ${sm_timeout}s: $sm_cmd"
	# Killed by a signal (segfault, abort): never a pass.
	[[ $sm_rc -gt 128 ]] && sm_fail "killed by signal $((sm_rc - 128)): $sm_cmd$(sm_tail)"
	return 0
}

# The last lines of stderr and stdout, for failure messages.
sm_tail() {
	printf '\n--- stderr (last 15 lines) of: %s\n' "$sm_cmd"
	tail -n 15 "$sm_err"
	printf -- '--- stdout (last 5 lines)\n'
	tail -n 5 "$sm_out"
}

sm_expect_rc() {
	[[ $sm_rc -eq $1 ]] || sm_fail "exit status $sm_rc, want $1: $sm_cmd$(sm_tail)"
}

# sm_expect_result WORKLOAD: exit 0, exactly one result line, last on
# stdout, in the contract's form; sets $sm_checksum.
sm_expect_result() {
	local w=$1 last
	sm_expect_rc 0
	last=$(tail -n 1 "$sm_out")
	[[ "$last" =~ ^result\ $w\ seed=[0-9]+\ ops=[0-9]+\ checksum=[0-9a-f]{16}$ ]] ||
		sm_fail "last stdout line is not a '$w' result line: '$last': $sm_cmd$(sm_tail)"
	[[ $(grep -c '^result ' "$sm_out") -eq 1 ]] ||
		sm_fail "more than one result line: $sm_cmd$(sm_tail)"
	sm_checksum=${last##*checksum=}
}

# The number of GC cycles the last run's summary reports.
sm_cycles() {
	sed -n 's/^gc cycles *\([0-9][0-9]*\) .*/\1/p' "$sm_out"
}

# sm_field LINE_PREFIX REGEX: the first capture of REGEX (sed -E) on the
# first stdout line starting with LINE_PREFIX, or empty.
sm_field() {
	grep -m 1 "^$1" "$sm_out" | sed -n -E "s/.*$2.*/\\1/p"
}

# sm_matrix WORKLOAD GCEVERY SIZE…: for each seed, the checksum is the same
# with no collection at all (the reference), with each safe barrier, fully
# stop-the-world, with the heap verifier, with a full cycle every GCEVERY
# allocations, and with other map hash seeds (so it depends on neither the
# collector nor the iteration order).  Every run but the reference runs
# the checkmark verifier (a lost object is a fatal error there) and must
# have done at least one cycle, or a pass would prove nothing.  Different
# seeds must give different checksums.  Leaves the last run's output for
# workload-specific checks.
sm_matrix() {
	local w=$1 every=$2
	shift 2
	local -a size=("$@")
	local -a seeds
	read -r -a seeds <<<"${SM_SEEDS:-1 2}"
	local ck="MAPGC_DEBUG=gccheckmark=1"
	# label|environment (space-separated VAR=value, may be empty)|options|config-line regex
	local -a configs=(
		"gogc=off (no collection: the reference)||--gogc off|gogc=off"
		"hybrid|$ck,wb=hybrid|--gogc 25|barrier=hybrid gccheckmark=1"
		"yuasa|$ck,wb=yuasa|--gogc 25|barrier=yuasa gccheckmark=1"
		"dijkstra|$ck,wb=dijkstra|--gogc 25|barrier=dijkstra gccheckmark=1"
		"gcstoptheworld=1|$ck,gcstoptheworld=1|--gogc 25|gcstoptheworld=1 gccheckmark=1"
		"heapcheck=1|$ck,heapcheck=1|--gogc 25|gccheckmark=1 heapcheck=1"
		"gcevery=$every|$ck,gcevery=$every|--gogc 25|gccheckmark=1"
		"other map hash seeds|$ck,seed=987654321|--gogc 25 --barrier yuasa|barrier=yuasa"
	)
	local seed c label envs opts want cycles ref ref_label prev=""
	for seed in "${seeds[@]}"; do
		ref=""
		for c in "${configs[@]}"; do
			IFS='|' read -r label envs opts want <<<"$c"
			# shellcheck disable=SC2086  # split on purpose
			sm_run $envs -- stress "$w" --seed "$seed" "${size[@]}" $opts
			sm_expect_result "$w"
			grep -q "^config .*$want" "$sm_out" ||
				sm_fail "seed $seed $label: summary config line lacks '$want': $(grep '^config' "$sm_out")"
			cycles=$(sm_cycles)
			sm_note "$w seed $seed $label: checksum $sm_checksum, ${cycles:-?} gc cycles, ${sm_secs}s"
			if [[ -z "$ref" ]]; then
				ref=$sm_checksum
				ref_label=$label
				continue
			fi
			[[ -n "$cycles" && "$cycles" -gt 0 ]] ||
				sm_fail "seed $seed $label: no GC cycle ran (summary: gc cycles '${cycles}'); the test proves nothing$(sm_tail)"
			[[ $sm_checksum == "$ref" ]] ||
				sm_fail "$w seed $seed: checksum differs: $label gave $sm_checksum, $ref_label gave $ref ($sm_cmd)"
		done
		[[ "$ref" != "$prev" ]] || sm_fail "$w: seeds give the same checksum $ref"
		prev=$ref
	done
}

sm_find_bin

# ---- sourced? then only the helpers ------------------------------------------
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

# --list names all nine workloads, each with its defaults and a paragraph.
sm_run -- stress --list
sm_expect_rc 0
names=$(sed -n -E 's/^([a-z-]+)  \(default --ops [0-9]+ --live [0-9]+\)$/\1/p' "$sm_out" | tr '\n' ' ')
[[ "$names" == "graph ${sm_workloads[*]} " ]] ||
	sm_fail "--list names '$names', want 'graph ${sm_workloads[*]} '$(sm_tail)"
paragraphs=$(grep -c '^    [^ ]' "$sm_out")
[[ $paragraphs -ge 9 ]] || sm_fail "--list has $paragraphs description lines for 9 workloads"
# The paragraphs cite the Go issues the workloads reproduce.
for cite in '#16070' '#20135' '#9477'; do
	grep -q -- "$cite" "$sm_out" || sm_fail "--list does not cite Go issue $cite"
done
sm_run -- stress --help
sm_expect_rc 0
grep -q "^Workloads: graph ${sm_workloads[*]}$" "$sm_out" ||
	sm_fail "--help does not list the workloads: $(grep '^Workloads' "$sm_out")"

# Each workload, tiny: the result line is last, in the contract's form,
# echoes seed and ops, and the same run repeats exactly.
for w in "${sm_workloads[@]}"; do
	sm_run -- stress "$w" --seed 7 --live 300 --ops 3000
	sm_expect_result "$w"
	[[ "$(head -n 1 "$sm_out")" == "seed 7" ]] || sm_fail "$w: first stdout line is not 'seed 7'"
	[[ "$(tail -n 1 "$sm_out")" == "result $w seed=7 ops=3000 checksum=$sm_checksum" ]] ||
		sm_fail "$w: result line does not echo seed=7 ops=3000: $(tail -n 1 "$sm_out")"
	first=$sm_checksum
	sm_run -- stress "$w" --seed=7 --live=300 --ops=3000
	sm_expect_result "$w"
	[[ $sm_checksum == "$first" ]] || sm_fail "$w: seed 7 repeated gave $sm_checksum, first run $first"
	sm_run -- stress "$w" --seed 7 --live 300 --ops 6000
	sm_expect_result "$w"
	[[ $sm_checksum != "$first" ]] || sm_fail "$w: --ops 3000 and 6000 gave the same checksum $first"
	# --ops 0 is legal: setup only.
	sm_run -- stress "$w" --seed 7 --live 300 --ops 0
	sm_expect_result "$w"
	sm_note "$w: seed 7 checksum $first"
done

sm_note "ok"
