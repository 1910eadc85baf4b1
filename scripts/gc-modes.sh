#!/usr/bin/env bash
# gc-modes.sh — the default test suite and the stress workloads under every
# collector mode.
#
#   scripts/gc-modes.sh [--build DIR] [--jobs N] [--modes 'M1;M2;…']
#                       [--ctest-only | --stress-only] [--timeout SECONDS]
#
# For each mode (MAPGC_DEBUG syntax; default: gcstoptheworld=1, gcevery=N,
# gcslice=64, wb=hybrid, wb=yuasa, wb=dijkstra):
#   1. the default ctest suite of DIR (labels slow, fuzz, soak left out, as
#      in the default presets; cli and corpus left out too: those entries
#      set their own MAPGC_DEBUG and ignore the environment; and under the
#      modes that change pacing — gcevery, gcstoptheworld, gcslice — the
#      entries labelled exact_pacing, which assert the default pacing
#      itself: exact cycle, gc-line or freed-byte counts, GOGC=off never
#      collecting, a hand-started mark still running, a missing barrier
#      caught mid-mark) with
#      MAPGC_TEST_MODE=MODE, which tests/support/mgt.c applies on top of
#      every test runtime's defaults (checkmark and heapcheck stay on);
#   2. every `mapgc stress` workload (small sizes, two seeds) with
#      MAPGC_DEBUG=gccheckmark=1,MODE: exit 0 and the checksum of the same
#      run with --gogc off (no collection at all).
# Prints per mode the ctest pass/fail counts and failing entries, and the
# stress results; exit 0 when everything passed, 1 otherwise, 2 usage.
#
# gcevery: a full cycle every N allocations.  N=1 makes every allocation a
# whole stop-the-world cycle with checkmark and the heap verifier — the
# maptype model tests alone then take minutes — so the default is
# gcevery=7 (MAPGC_GC_MODES_GCEVERY=1 for the exhaustive, slow run).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=$src/build/debug
jobs=2
every=${MAPGC_GC_MODES_GCEVERY:-7}
modes="gcstoptheworld=1;gcevery=$every;gcslice=64;wb=hybrid;wb=yuasa;wb=dijkstra"
do_ctest=1
do_stress=1
run_timeout=900

while [[ $# -gt 0 ]]; do
	case $1 in
	--build) build=$(cd "$2" && pwd) || usage; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--ctest-only) do_stress=0; shift ;;
	--stress-only) do_ctest=0; shift ;;
	--timeout) run_timeout=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "gc-modes: unknown argument '$1'" >&2; usage ;;
	esac
done
[[ -d $build ]] || { echo "gc-modes: no build directory $build" >&2; exit 2; }
bin=$build/mapgc
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-gc-modes.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

workloads=(
	"graph --live 3000 --ops 30000"
	"grow-iterate --live 1500 --ops 15000"
	"churn --live 2000 --ops 30000"
	"delete-all --live 2000 --ops 20000"
	"ptr-values --live 2000 --ops 30000"
	"string-keys --live 2000 --ops 20000"
	"big-values --live 800 --ops 10000"
	"noptr --live 2000 --ops 20000"
	"many-maps --live 600 --ops 10000"
)

status=0
IFS=';' read -r -a mode_list <<<"$modes"
declare -A reference=()

# stress_checksum DEBUG ARGS…: prints the checksum, or "FAIL reason".
stress_checksum() {
	local debug=$1 rc ck
	shift
	env -u MAPGC_GOGC -u MAPGC_MEMLIMIT MAPGC_DEBUG="$debug" \
		timeout "$run_timeout" "$bin" stress "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ck=$(tail -n 1 "$tmp/out" | sed -n -E 's/^result .* checksum=([0-9a-f]{16})$/\1/p')
	if ((rc != 0)) || [[ -z $ck ]]; then
		echo "FAIL status $rc: $(grep -m 1 -E '^(fatal error|panic):' "$tmp/err" || tail -n 1 "$tmp/err")"
	else
		echo "$ck"
	fi
}

for mode in "${mode_list[@]}"; do
	echo "==== mode $mode"
	if ((do_ctest)); then
		t0=$EPOCHREALTIME
		exclude='slow|fuzz|soak|cli|corpus'
		case $mode in *gcevery* | *gcstoptheworld* | *gcslice*)
			exclude+='|exact_pacing'
			echo "ctest: leaving out the $(ctest --test-dir "$build" -N -L exact_pacing | grep -c -E 'Test +#') entries labelled exact_pacing (this mode changes the pacing they assert)" ;;
		esac
		MAPGC_TEST_MODE=$mode ctest --test-dir "$build" -LE "$exclude" -j "$jobs" --output-on-failure \
			--timeout "$run_timeout" >"$tmp/ctest.log" 2>&1
		secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
		summary=$(grep -E 'tests passed|tests failed' "$tmp/ctest.log" | tail -n 1)
		echo "ctest: ${summary:-no summary (see the log)} (${secs}s)"
		if ! grep -q '100% tests passed' "$tmp/ctest.log"; then
			status=1
			sed -n '/The following tests FAILED/,$p' "$tmp/ctest.log" | grep -E '^\s+[0-9]+ - ' | sed 's/^/  /'
			cp "$tmp/ctest.log" "$build/gc-modes-$(printf %s "$mode" | tr -c 'a-zA-Z0-9=' '_').log"
		fi
	fi
	if ((do_stress)); then
		bad=0 n=0
		for w in "${workloads[@]}"; do
			for seed in 1 2; do
				# shellcheck disable=SC2086  # options split on purpose
				key="$w --seed $seed"
				if [[ -z ${reference[$key]:-} ]]; then
					reference[$key]=$(stress_checksum "" $w --seed "$seed" --gogc off)
				fi
				# shellcheck disable=SC2086
				got=$(stress_checksum "gccheckmark=1,$mode" $w --seed "$seed" --gogc 25)
				n=$((n + 1))
				if [[ $got != "${reference[$key]}" ]]; then
					echo "  stress FAIL: MAPGC_DEBUG=gccheckmark=1,$mode mapgc stress $w --seed $seed --gogc 25: $got (want ${reference[$key]})"
					bad=$((bad + 1))
				fi
			done
		done
		echo "stress: $((n - bad))/$n workload runs with the collection-free checksum"
		((bad == 0)) || status=1
	fi
done
exit $status
