#!/usr/bin/env bash
# fuzz.sh — a fuzzing campaign over the libFuzzer targets of tests/fuzz.
#
#   scripts/fuzz.sh [--build DIR] [--target NAME] [--time SECONDS] [--jobs N]
#                   [--fresh] [--merge]
#
# NAME is a target of tests/fuzz/src/fuzz_NAME.c: map (the default), trace
# or snapshot.  Runs N independent libFuzzer processes of
# DIR/fuzz/mapgc-fuzz-NAME (build it with the `fuzz` preset: cmake --preset
# fuzz && cmake --build --preset fuzz) for SECONDS each, with the target's
# libFuzzer options (tests/fuzz/src/fuzz_NAME.options, as ctest uses them),
# sharing one working corpus (DIR/fuzz-corpus/NAME, seeded from
# tests/fuzz/corpus/NAME; libFuzzer reloads it, so the jobs share finds).
# libFuzzer first replays that whole working corpus and looks at SECONDS
# only after it, so a run lasts at least the replay: a campaign-grown map
# corpus (1,698 inputs, 7 inputs/s) took four minutes.  The
# script says how many inputs it will replay; --fresh empties the working
# corpus first, so a run replays only the committed seeds (the ctest
# `fuzz` entries keep a corpus of their own, emptied before every run).
# Logs go to DIR/fuzz/logs/, crashes to DIR/fuzz/artifacts/.  At the end it
# prints, per job and in total, the inputs executed, the coverage libFuzzer
# reached (cov: edges, ft: features), for the map target the map operations
# it checked (its "fuzz_map: exit:" line), and the crashes found.  Run it
# under `nice -n 10` on a shared machine.
#
#   --merge   afterwards, merge the working corpus into tests/fuzz/corpus/NAME
#             (libFuzzer -merge=1: only inputs that add coverage are copied).
# Exit status: 0 no crash, 1 a crash or a job failed, 2 usage.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=$src/build/fuzz
target=map
secs=600
jobs=2
merge=0
fresh=0

while [[ $# -gt 0 ]]; do
	case $1 in
	--build) build=$(cd "$2" && pwd) || usage; shift 2 ;;
	--target) target=$2; shift 2 ;;
	--time) secs=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--merge) merge=1; shift ;;
	--fresh) fresh=1; shift ;;
	-h|--help) usage ;;
	*) echo "fuzz.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
[[ $secs =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ ]] || usage

bin=$build/fuzz/mapgc-fuzz-$target
seeds=$src/tests/fuzz/corpus/$target
options=$src/tests/fuzz/src/fuzz_$target.options
[[ -x $bin ]] || { echo "fuzz.sh: $bin is not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2; exit 2; }
[[ -d $seeds ]] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
[[ -f $options ]] || { echo "fuzz.sh: no options file $options" >&2; exit 2; }
mapfile -t opts < <(grep '^-' "$options")

work=$build/fuzz-corpus/$target
logs=$build/fuzz/logs
arts=$build/fuzz/artifacts
((fresh == 0)) || rm -rf "$work"
mkdir -p "$work" "$logs" "$arts"

echo "fuzz.sh: $jobs job(s) x ${secs}s of $bin," \
	"after replaying $(ls "$work" | wc -l) working and $(ls "$seeds" | wc -l) seed inputs"
t0=$EPOCHREALTIME
pids=()
for ((j = 0; j < jobs; j++)); do
	"$bin" -max_total_time="$secs" "${opts[@]}" -print_final_stats=1 \
		-artifact_prefix="$arts/$target-" "$work" "$seeds" >"$logs/$target-$j.log" 2>&1 &
	pids+=($!)
done
status=0
for ((j = 0; j < jobs; j++)); do
	wait "${pids[$j]}" || status=1
done
wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')

total=0 total_execs=0
for ((j = 0; j < jobs; j++)); do
	log=$logs/$target-$j.log
	line=$(grep -E '^fuzz_map: exit:' "$log" | tail -n 1)
	ops=$(sed -n -E 's/.*exit: ([0-9]+) map operations.*/\1/p' <<<"$line")
	execs=$(sed -n -E 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
	cov=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1 | sed -n -E 's/.* (cov: [0-9]+ ft: [0-9]+).*/\1/p')
	echo "job $j: ${execs:-?} inputs, ${cov:-no cov: line}${ops:+, $ops map operations} ($log)"
	total=$((total + ${ops:-0}))
	total_execs=$((total_execs + ${execs:-0}))
	if grep -qE 'ERROR: libFuzzer|DIVERGENCE|SUMMARY: (Address|UndefinedBehavior)Sanitizer' "$log"; then
		echo "job $j: CRASH:" && grep -E -m 3 'DIVERGENCE|ERROR:|SUMMARY:|Test unit written' "$log"
		status=1
	fi
done
echo "total: $total_execs inputs${ops:+, $total map operations} checked in ${wall}s by $jobs job(s);" \
	"corpus $(ls "$work" | wc -l) inputs"

if [[ $merge -eq 1 ]]; then
	"$bin" -merge=1 "${opts[@]}" "$seeds" "$work" >"$logs/$target-merge.log" 2>&1 ||
		{ echo "fuzz.sh: merge failed, see $logs/$target-merge.log" >&2; status=1; }
	echo "merged: tests/fuzz/corpus/$target now has $(ls "$seeds" | wc -l) inputs"
fi
exit $status
