#!/usr/bin/env bash
# tools/bench/maptrace-cost.sh — what maptrace costs the collector (issue 13):
# does turning the map line on distort the pauses and slices it reports?
# Never a timed test: run it by hand on a quiet machine.
#
#   tools/bench/maptrace-cost.sh [WORKLOAD...]
#
# Builds the release preset, then runs `mapgc stress WORKLOAD --seed 1`
# (default sizes) for each WORKLOAD (default: grow-iterate many-maps
# ptr-values) under three settings,
#   plain  MAPGC_DEBUG=gctrace=1
#   mt1    MAPGC_DEBUG=gctrace=1,maptrace=1
#   mt2    MAPGC_DEBUG=gctrace=1,maptrace=2   (the map line and mapev events)
# MAPGC_BENCH_RUNS times each (default 3), interleaved (run 1 of every
# workload and setting, then run 2, ...), and prints for each workload the
# medians of every figure for the three settings, the ratios mt1/plain and
# mt2/plain, and whether each target is met.  Trace lines go to a file
# (--trace-file), never to a terminal.  All runs of a workload must print
# the same checksum (maptrace must not change what the program computes),
# or the script stops with status 1.  Runs and a CSV are left in
# build/bench/maptrace-cost/.
#
# The figures, all from `mapgc stress --stats-json` (mg_stats, gc/cycle.c):
#   pause_max_us      pause_max_ns: the longest stop-the-world phase (sweep
#                     or mark termination) of the run
#   slice_max_us      mark_slice_max_ns: the longest incremental mark slice,
#                     wall time (preemption on a busy machine inflates it)
#   slice_max_cpu_us  mark_slice_max_cpu_ns: the same in thread CPU time
#   gc_cpu_ms         gc_cpu_ns: CPU time spent in the collector (pauses,
#                     assists, background slices), whole run
#   cycles            cycles: completed GC cycles
#   wall_ms           wall_ns: the workload's own timer (setup + ops)
#
# Targets (issue 13), for mt1 and mt2 against plain:
#   pause_max_us, slice_max_us, slice_max_cpu_us   <= max(1.10 x plain, plain + 20 us)
#   gc_cpu_ms                                      <= 1.05 x plain
# cycles and wall_ms are shown for context, with no target.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

usage() {
  echo "usage: tools/bench/maptrace-cost.sh [WORKLOAD...]" >&2
  exit 2
}
[[ ${1:-} != -* ]] || usage

workloads=("$@")
[[ ${#workloads[@]} -gt 0 ]] || workloads=(grow-iterate many-maps ptr-values)
settings=(plain mt1 mt2)
runs=${MAPGC_BENCH_RUNS:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "MAPGC_BENCH_RUNS must be a positive integer" >&2; exit 2; }
out=build/bench/maptrace-cost
bin=build/release/mapgc

debug_of() {
  case $1 in
    plain) echo gctrace=1 ;;
    mt1) echo gctrace=1,maptrace=1 ;;
    mt2) echo gctrace=1,maptrace=2 ;;
  esac
}

# Median of the numbers on stdin, one per line.
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# json_num FILE KEY: a number from mapgc's one-line --stats-json object.
json_num() { sed -n -E "s/.*\"$2\": ([0-9]+).*/\\1/p" "$1"; }

# One run; leaves $out/W.S.I.{json,trace,out,err} and W.S.I.metrics.
run_one() {
  local w=$1 s=$2 i=$3 base=$out/$1.$2.$3
  if ! env -u MAPGC_DEBUG -u MAPGC_GOGC -u MAPGC_MEMLIMIT MAPGC_DEBUG="$(debug_of "$s")" \
      "$bin" stress "$w" --seed 1 --stats-json "$base.json" --trace-file "$base.trace" \
      > "$base.out" 2> "$base.err"; then
    echo "maptrace-cost: $w $s run $i failed" >&2
    tail -n 5 "$base.err" >&2
    exit 1
  fi
  local sum
  sum=$(sed -n -E "s/^result $w .*checksum=([0-9a-f]{16})\$/\\1/p" "$base.out")
  [[ -n $sum ]] || { echo "maptrace-cost: $w $s run $i printed no result line" >&2; exit 1; }
  echo "$sum" > "$base.sum"
  {
    echo "pause_max_us $(awk -v v="$(json_num "$base.json" pause_max_ns)" 'BEGIN {print v / 1e3}')"
    echo "slice_max_us $(awk -v v="$(json_num "$base.json" mark_slice_max_ns)" 'BEGIN {print v / 1e3}')"
    echo "slice_max_cpu_us $(awk -v v="$(json_num "$base.json" mark_slice_max_cpu_ns)" 'BEGIN {print v / 1e3}')"
    echo "gc_cpu_ms $(awk -v v="$(json_num "$base.json" gc_cpu_ns)" 'BEGIN {print v / 1e6}')"
    echo "cycles $(json_num "$base.json" cycles)"
    echo "wall_ms $(awk -v v="$(json_num "$base.json" wall_ns)" 'BEGIN {print v / 1e6}')"
  } > "$base.metrics"
}

# med W S METRIC: the median over the runs.
med() {
  local i
  for ((i = 1; i <= runs; i++)); do awk -v k="$3" '$1 == k {print $2}' "$out/$1.$2.$i.metrics"; done | median
}

# verdict METRIC PLAIN X: "yes" or "NO" against the metric's target, "-" if none.
verdict() {
  awk -v m="$1" -v p="$2" -v x="$3" 'BEGIN {
    if (m == "gc_cpu_ms") lim = 1.05 * p
    else if (m ~ /^(pause_max_us|slice_max_us|slice_max_cpu_us)$/) lim = (1.10 * p > p + 20) ? 1.10 * p : p + 20
    else { print "-"; exit }
    print (x <= lim) ? "yes" : "NO"
  }'
}

ratio() { awk -v x="$1" -v y="$2" 'BEGIN {if (y + 0 == 0) print "-"; else printf "%.3f", x / y}'; }

cmake --preset release > /dev/null
cmake --build --preset release --target mapgc > /dev/null
rm -rf "$out"
mkdir -p "$out"

for ((i = 1; i <= runs; i++)); do
  for w in "${workloads[@]}"; do
    for s in "${settings[@]}"; do
      echo "run $i/$runs: $w $s" >&2
      run_one "$w" "$s" "$i"
    done
  done
done

csv=$out/maptrace-cost.csv
echo "workload,metric,plain,mt1,mt1_over_plain,mt1_target,mt2,mt2_over_plain,mt2_target" > "$csv"
met=0 total=0
for w in "${workloads[@]}"; do
  sums=$(cat "$out/$w".*.sum | sort -u)
  if [[ $(wc -l <<<"$sums") -ne 1 ]]; then
    echo "maptrace-cost: $w: the checksums differ between settings:" >&2
    grep -H . "$out/$w".*.sum >&2
    exit 1
  fi
  printf '\n%s --seed 1, checksum %s, median of %d runs\n' "$w" "$sums" "$runs"
  printf '%-17s %10s %10s %7s %6s %10s %7s %6s\n' metric plain mt1 mt1/pl ok mt2 mt2/pl ok
  for metric in pause_max_us slice_max_us slice_max_cpu_us gc_cpu_ms cycles wall_ms; do
    p=$(med "$w" plain "$metric"); m1=$(med "$w" mt1 "$metric"); m2=$(med "$w" mt2 "$metric")
    v1=$(verdict "$metric" "$p" "$m1"); v2=$(verdict "$metric" "$p" "$m2")
    for v in "$v1" "$v2"; do
      [[ $v == - ]] && continue
      total=$((total + 1))
      [[ $v == yes ]] && met=$((met + 1))
    done
    printf '%-17s %10.1f %10.1f %7s %6s %10.1f %7s %6s\n' "$metric" "$p" "$m1" "$(ratio "$m1" "$p")" "$v1" \
      "$m2" "$(ratio "$m2" "$p")" "$v2"
    echo "$w,$metric,$p,$m1,$(ratio "$m1" "$p"),$v1,$m2,$(ratio "$m2" "$p"),$v2" >> "$csv"
  done
done
printf '\ntargets met: %d of %d (pause and slices <= max(1.10 x, +20 us); gc cpu <= 1.05 x)\n' "$met" "$total"
echo "csv: $csv; runs: $out/" >&2
