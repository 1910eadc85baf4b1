#!/usr/bin/env bash
# gc-modes.sh — the default test suite and the stress workloads under every
# collector mode, at several P counts.
#
#   scripts/gc-modes.sh [--build DIR] [--jobs N] [--modes 'M1;M2;…']
#                       [--procs 'P1;P2;…'] [--ctest-only | --stress-only]
#                       [--timeout SECONDS]
#
# For each mode (MAPGC_DEBUG syntax; default: gcstoptheworld=1, gcevery=N,
# gcslice=64, wb=hybrid, wb=yuasa, wb=dijkstra) and each P count (--procs,
# default 1;2;4: the Ps of DESIGN.md §9, like GOMAXPROCS):
#   1. the default ctest suite of DIR (labels slow, fuzz, soak left out, as
#      in the default presets; cli and corpus left out too: those entries
#      set their own MAPGC_DEBUG and ignore the environment; and under the
#      modes that change pacing — gcevery, gcstoptheworld, gcslice — the
#      entries labelled exact_pacing, which assert the default pacing
#      itself: exact cycle, gc-line or freed-byte counts, GOGC=off never
#      collecting, a hand-started mark still running, a missing barrier
#      caught mid-mark) with
#      MAPGC_TEST_MODE=MODE and MAPGC_TEST_PROCS=P, which tests/support/mgt.c
#      applies on top of every test runtime's defaults (checkmark and
#      heapcheck stay on).  Not MAPGC_DEBUG / MAPGC_PROCS: test runtimes
#      ignore the environment (ignore_env), so that a developer's settings
#      do not change what a test checks;
#   2. every `mapgc stress` workload (small sizes, two seeds) with
#      MAPGC_DEBUG=gccheckmark=1,MODE and --procs P: exit 0 and the checksum
#      of the same run with --gogc off (no collection at all) at the default
#      Ps (DESIGN.md §7: the checksum is the same at every MAPGC_PROCS).
# Prints per mode and P count the ctest pass/fail counts and failing entries,
# and the stress results, then a mode × procs summary table; exit 0 when
# everything passed, 1 otherwise, 2 usage.  Each P count runs the whole
# suite once more (about 3 × the time of the single-count run by default;
# --procs 1 for that): this is a long-form run, not part of the default
# suite (README.md, Reliability).
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
procs="1;2;4"
do_ctest=1
do_stress=1
run_timeout=900

while [[ $# -gt 0 ]]; do
	case $1 in
	--build) build=$(cd "$2" && pwd) || usage; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--procs) procs=$2; shift 2 ;;
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
IFS=';' read -r -a procs_list <<<"$procs"
((${#procs_list[@]} > 0)) || { echo "gc-modes: --procs '$procs' names no P count" >&2; exit 2; }
for p in "${procs_list[@]}"; do
	[[ $p =~ ^[1-9][0-9]*$ ]] && ((p <= 256)) ||
		{ echo "gc-modes: bad P count '$p' in --procs (want 1..256)" >&2; exit 2; }
done
declare -A reference=() ctest_cell=() stress_cell=()

# stress_checksum DEBUG ARGS…: prints the checksum, or "FAIL reason".
stress_checksum() {
	local debug=$1 rc ck
	shift
	env -u MAPGC_GOGC -u MAPGC_MEMLIMIT -u MAPGC_PROCS MAPGC_DEBUG="$debug" \
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
	for p in "${procs_list[@]}"; do
		echo "==== mode $mode, procs $p"
		cell="$mode|$p"
		if ((do_ctest)); then
			t0=$EPOCHREALTIME
			exclude='slow|fuzz|soak|cli|corpus'
			case $mode in *gcevery* | *gcstoptheworld* | *gcslice*)
				exclude+='|exact_pacing'
				echo "ctest: leaving out the $(ctest --test-dir "$build" -N -L exact_pacing | grep -c -E 'Test +#') entries labelled exact_pacing (this mode changes the pacing they assert)" ;;
			esac
			MAPGC_TEST_MODE=$mode MAPGC_TEST_PROCS=$p ctest --test-dir "$build" -LE "$exclude" -j "$jobs" \
				--output-on-failure --timeout "$run_timeout" >"$tmp/ctest.log" 2>&1
			secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
			summary=$(grep -E 'tests passed|tests failed' "$tmp/ctest.log" | tail -n 1)
			echo "ctest: ${summary:-no summary (see the log)} (${secs}s)"
			# "N% tests passed, F tests failed out of T" -> "T-F/T"
			counts=$(sed -n -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2 \1/p' <<<"$summary" |
				awk '{ print $1 - $2 "/" $1 }')
			ctest_cell[$cell]=${counts:-?}
			if ! grep -q '100% tests passed' "$tmp/ctest.log"; then
				status=1
				sed -n '/The following tests FAILED/,$p' "$tmp/ctest.log" | grep -E '^\s+[0-9]+ - ' | sed 's/^/  /'
				cp "$tmp/ctest.log" "$build/gc-modes-$(printf %s "$mode" | tr -c 'a-zA-Z0-9=' '_')-procs$p.log"
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
					got=$(stress_checksum "gccheckmark=1,$mode" $w --seed "$seed" --gogc 25 --procs "$p")
					n=$((n + 1))
					if [[ $got != "${reference[$key]}" ]]; then
						echo "  stress FAIL: MAPGC_DEBUG=gccheckmark=1,$mode mapgc stress $w --seed $seed --gogc 25 --procs $p: $got (want ${reference[$key]})"
						bad=$((bad + 1))
					fi
				done
			done
			echo "stress: $((n - bad))/$n workload runs with the collection-free checksum"
			stress_cell[$cell]="$((n - bad))/$n"
			((bad == 0)) || status=1
		fi
	done
done

# The summary: one row per mode, one column per P count; each cell is
# "ctest PASSED/RUN stress PASSED/RUN" (the parts that ran; ? for a ctest
# run that printed no summary).
echo "==== summary (ctest passed/run; stress runs with the collection-free checksum)"
printf '%-20s' mode
for p in "${procs_list[@]}"; do printf ' %-22s' "procs=$p"; done
echo
for mode in "${mode_list[@]}"; do
	printf '%-20s' "$mode"
	for p in "${procs_list[@]}"; do
		cell="$mode|$p"
		text=${ctest_cell[$cell]:+ctest ${ctest_cell[$cell]}}
		[[ -z ${stress_cell[$cell]:-} ]] || text+="${text:+ }stress ${stress_cell[$cell]}"
		printf ' %-22s' "$text"
	done
	echo
done
exit $status
