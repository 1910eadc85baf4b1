#!/usr/bin/env bash
# lib/cli.sh — helpers shared by the tests of the `mapgc` command: sourced by
# stress_graph.sh and stress_maps.sh (and through them by the scripts that
# source those), never run by itself.  Each test is run by ctest as
# `bash NAME.sh` with MAPGC_BIN (the mapgc binary, empty when it is not
# built) and MAPGC_SOURCE_DIR; exit 0 pass, 1 fail, 77 skip.
#
#   cli_fail MSG…, cli_note MSG…   failure (exit 1) and progress lines, named
#                                  after the test script ($cli_name)
#   cli_run [VAR=value…] -- ARGS…  mapgc ARGS with a clean MAPGC_* environment
#                                  (but MAPGC_PROCS=$MAPGC_TEST_PROCS when
#                                  that is set: scripts/gc-modes.sh, tsan.sh)
#                                  plus the given variables; leaves $cli_out,
#                                  $cli_err (file names), $cli_rc, $cli_cmd
#                                  (printable), $cli_secs (wall seconds).  A
#                                  run over $cli_timeout seconds (CLI_TIMEOUT,
#                                  default 120) or killed by a signal fails
#                                  the test whatever it expects.
#   cli_tail                       the last lines of the run's stderr and
#                                  stdout, for failure messages
#   cli_expect_rc N                the run's exit status was N
#   cli_cycles                     the GC cycles of the run's summary (stress)
#   cli_usage_error WHY ARGS…      mapgc ARGS is a usage error: status 2, a
#                                  usage on stderr, nothing on stdout
# $cli_tmp is a scratch directory, removed at exit.

set -u -o pipefail
export LC_ALL=C

# The test script: the first non-library file on the source stack.
cli_name=$(basename "${BASH_SOURCE[-1]}" .sh)

cli_fail() {
	echo "FAIL [$cli_name]: $*" >&2
	exit 1
}

cli_note() {
	echo "[$cli_name] $*"
}

# Find the binary: MAPGC_BIN (ctest sets it, empty when mapgc is not
# built), else, run by hand, a debug build next to the sources.
cli_find_bin() {
	if [[ -n "${MAPGC_BIN:-}" ]]; then
		[[ -x "$MAPGC_BIN" ]] || cli_fail "MAPGC_BIN='$MAPGC_BIN' is not an executable"
		return
	fi
	if [[ -z "${MAPGC_BIN+set}" ]]; then
		local src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
		if [[ -x "$src/build/debug/mapgc" ]]; then
			MAPGC_BIN=$src/build/debug/mapgc
			return
		fi
	fi
	echo "SKIP [$cli_name]: the mapgc command is not built (MAPGC_BIN empty)" >&2
	exit 77
}

cli_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-cli-$cli_name.XXXXXX") || cli_fail "mktemp"
trap 'rm -rf "$cli_tmp"' EXIT

cli_timeout=${CLI_TIMEOUT:-120}

cli_run() {
	local -a envs=()
	while [[ $# -gt 0 && "$1" != "--" ]]; do
		envs+=("$1")
		shift
	done
	[[ "${1:-}" == "--" ]] && shift
	cli_out=$cli_tmp/out
	cli_err=$cli_tmp/err
	cli_cmd="${envs[*]:+${envs[*]} }mapgc $*"
	local t0=$EPOCHREALTIME
	env -u MAPGC_DEBUG -u MAPGC_GOGC -u MAPGC_MEMLIMIT -u MAPGC_PROCS \
		${MAPGC_TEST_PROCS:+"MAPGC_PROCS=$MAPGC_TEST_PROCS"} "${envs[@]}" \
		timeout "$cli_timeout" "$MAPGC_BIN" "$@" >"$cli_out" 2>"$cli_err"
	cli_rc=$?
	# shellcheck disable=SC2034  # read by the scripts that source this one
	cli_secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
	[[ $cli_rc -eq 124 ]] && cli_fail "timed out after ${cli_timeout}s: $cli_cmd"
	# Killed by a signal (segfault, abort): never a pass.
	[[ $cli_rc -gt 128 ]] && cli_fail "killed by signal $((cli_rc - 128)): $cli_cmd$(cli_tail)"
	return 0
}

cli_tail() {
	printf '\n--- stderr (last 15 lines) of: %s\n' "$cli_cmd"
	tail -n 15 "$cli_err"
	printf -- '--- stdout (last 5 lines)\n'
	tail -n 5 "$cli_out"
}

cli_expect_rc() {
	[[ $cli_rc -eq $1 ]] || cli_fail "exit status $cli_rc, want $1: $cli_cmd$(cli_tail)"
}

# The number of GC cycles the last run's summary reports (mapgc stress).
cli_cycles() {
	sed -n 's/^gc cycles *\([0-9][0-9]*\) .*/\1/p' "$cli_out"
}

cli_usage_error() {
	local why=$1
	shift
	cli_run -- "$@"
	[[ $cli_rc -eq 2 ]] || cli_fail "$why: exit status $cli_rc, want 2: $cli_cmd$(cli_tail)"
	grep -q 'usage:' "$cli_err" || cli_fail "$why: no usage on stderr: $cli_cmd$(cli_tail)"
	[[ ! -s "$cli_out" ]] || cli_fail "$why: usage error wrote to stdout: $cli_cmd$(cli_tail)"
}
