#!/usr/bin/env bash
# stress_graph.sh — `mapgc stress graph`: the result line, seeds, option forms.
#
# Also the helper library of the other stress_graph_*.sh scripts, which
# source this file: everything above the "sourced?" line defines helpers
# only.  Run by ctest as `bash stress_graph.sh` with MAPGC_BIN (the mapgc
# binary) and MAPGC_SOURCE_DIR; exit 0 pass, 1 fail, 77 skip.

set -u -o pipefail
export LC_ALL=C

sg_name=$(basename "${BASH_SOURCE[1]:-$0}" .sh)

# ---- helpers ----------------------------------------------------------------

sg_fail() {
	echo "FAIL [$sg_name]: $*" >&2
	exit 1
}

sg_note() {
	echo "[$sg_name] $*"
}

# Find the binary: MAPGC_BIN (ctest sets it, empty when mapgc is not
# built), else, run by hand, a debug build next to the sources.
sg_find_bin() {
	if [[ -n "${MAPGC_BIN:-}" ]]; then
		[[ -x "$MAPGC_BIN" ]] || sg_fail "MAPGC_BIN='$MAPGC_BIN' is not an executable"
		return
	fi
	if [[ -z "${MAPGC_BIN+set}" ]]; then
		local src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
		if [[ -x "$src/build/debug/mapgc" ]]; then
			MAPGC_BIN=$src/build/debug/mapgc
			return
		fi
	fi
	echo "SKIP [$sg_name]: the mapgc command is not built (MAPGC_BIN empty)" >&2
	exit 77
}

sg_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-stress-graph.XXXXXX") || sg_fail "mktemp"
trap 'rm -rf "$sg_tmp"' EXIT

# Longest a single run may take before the test calls it hung.
sg_timeout=${SG_TIMEOUT:-120}

# sg_run [VAR=value…] -- ARGS…: run mapgc with a clean MAPGC_* environment
# plus the given variables.  Leaves $sg_out, $sg_err (file names), $sg_rc,
# $sg_cmd (printable) and $sg_secs (wall seconds).
sg_run() {
	local -a envs=()
	while [[ $# -gt 0 && "$1" != "--" ]]; do
		envs+=("$1")
		shift
	done
	[[ "${1:-}" == "--" ]] && shift
	sg_out=$sg_tmp/out
	sg_err=$sg_tmp/err
	sg_cmd="${envs[*]:+${envs[*]} }mapgc $*"
	local t0=$EPOCHREALTIME
	env -u MAPGC_DEBUG -u MAPGC_GOGC -u MAPGC_MEMLIMIT "${envs[@]}" \
		timeout "$sg_timeout" "$MAPGC_BIN" "$@" >"$sg_out" 2>"$sg_err"
	sg_rc=$?
	# shellcheck disable=SC2034  # read by the scripts that source this one
	sg_secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
	[[ $sg_rc -eq 124 ]] && sg_fail "timed out after ${sg_timeout}s: $sg_cmd"
	# Killed by a signal (segfault, abort): never a pass, whatever the test wants.
	[[ $sg_rc -gt 128 ]] && sg_fail "killed by signal $((sg_rc - 128)): $sg_cmd$(sg_tail)"
	return 0
}

# The last lines of stderr, for failure messages.
sg_tail() {
	printf '\n--- stderr (last 15 lines) of: %s\n' "$sg_cmd"
	tail -n 15 "$sg_err"
	printf -- '--- stdout (last 5 lines)\n'
	tail -n 5 "$sg_out"
}

sg_expect_rc() {
	[[ $sg_rc -eq $1 ]] || sg_fail "exit status $sg_rc, want $1: $sg_cmd$(sg_tail)"
}

# Check the result line of the last run and set $sg_checksum.
sg_result_regex='^result graph seed=[0-9]+ ops=[0-9]+ checksum=[0-9a-f]{16}$'
sg_expect_result() {
	sg_expect_rc 0
	local last
	last=$(tail -n 1 "$sg_out")
	[[ "$last" =~ $sg_result_regex ]] ||
		sg_fail "last stdout line is not a result line: '$last': $sg_cmd$(sg_tail)"
	[[ $(grep -c '^result ' "$sg_out") -eq 1 ]] ||
		sg_fail "more than one result line: $sg_cmd$(sg_tail)"
	sg_checksum=${last##*checksum=}
}

# The number of GC cycles the last run's summary reports.
sg_cycles() {
	sed -n 's/^gc cycles *\([0-9][0-9]*\) .*/\1/p' "$sg_out"
}

sg_find_bin

# ---- sourced? then only the helpers ------------------------------------------
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

small=(--live 2000 --ops 20000)

# The result line is last, the seed line first, both name the seed and ops.
sg_run -- stress graph --seed 5 "${small[@]}"
sg_expect_result
first=$(head -n 1 "$sg_out")
[[ "$first" == "seed 5" ]] || sg_fail "first stdout line is '$first', want 'seed 5'"
[[ "$(tail -n 1 "$sg_out")" == "result graph seed=5 ops=20000 checksum=$sg_checksum" ]] ||
	sg_fail "result line does not echo seed=5 ops=20000: $(tail -n 1 "$sg_out")"
for field in workload seed ops 'wall time' 'gc cycles' 'stw pause' 'mark slices' 'gc cpu' heap allocated freed; do
	grep -q "^$field " "$sg_out" || sg_fail "summary has no '$field' line$(sg_tail)"
done
c5=$sg_checksum
sg_note "seed 5: checksum $c5"

# Same seed, same checksum; --opt=value is the same as --opt value.
sg_run -- stress graph --seed=5 --live=2000 --ops=20000
sg_expect_result
[[ $sg_checksum == "$c5" ]] || sg_fail "seed 5 repeated with --opt=value gave $sg_checksum, first run $c5"

# Options may come before the workload.
sg_run -- stress --ops 20000 --seed 5 --live 2000 graph
sg_expect_result
[[ $sg_checksum == "$c5" ]] || sg_fail "options before the workload gave $sg_checksum, want $c5"

# Another seed, another checksum (the digest sees the graph).
sg_run -- stress graph --seed 6 "${small[@]}"
sg_expect_result
[[ $sg_checksum != "$c5" ]] || sg_fail "seeds 5 and 6 gave the same checksum $c5"

# Other ops, other checksum.
sg_run -- stress graph --seed 5 --live 2000 --ops 20001
sg_expect_result
[[ $sg_checksum != "$c5" ]] || sg_fail "--ops 20000 and 20001 gave the same checksum $c5"

# No --seed: a seed is chosen, printed first, and passing it back repeats the run.
sg_run -- stress graph "${small[@]}"
sg_expect_result
chosen=$(sed -n '1s/^seed \([0-9][0-9]*\)$/\1/p' "$sg_out")
[[ -n "$chosen" ]] || sg_fail "without --seed, the first line is not 'seed N': $(head -n 1 "$sg_out")"
c_chosen=$sg_checksum
sg_run -- stress graph --seed "$chosen" "${small[@]}"
sg_expect_result
[[ $sg_checksum == "$c_chosen" ]] ||
	sg_fail "rerun with the printed seed $chosen gave $sg_checksum, first run $c_chosen"

# The seed in MAPGC_DEBUG is the default seed; --seed overrides it.
sg_run MAPGC_DEBUG=seed=5 -- stress graph "${small[@]}"
sg_expect_result
[[ $(head -n 1 "$sg_out") == "seed 5" && $sg_checksum == "$c5" ]] ||
	sg_fail "MAPGC_DEBUG=seed=5 without --seed: $(head -n 1 "$sg_out"), checksum $sg_checksum, want seed 5 and $c5"
sg_run MAPGC_DEBUG=seed=9 -- stress graph --seed 5 "${small[@]}"
sg_expect_result
[[ $sg_checksum == "$c5" ]] || sg_fail "--seed 5 with MAPGC_DEBUG=seed=9 gave $sg_checksum, want $c5"

# The defaults (a full default run takes too long for this test).
sg_run -- stress --list
sg_expect_rc 0
grep -q '^graph .*--ops 2000000 --live 100000' "$sg_out" ||
	sg_fail "--list does not give graph's defaults (ops 2000000, live 100000)$(sg_tail)"

sg_note "ok"
