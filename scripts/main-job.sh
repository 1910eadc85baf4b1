#!/usr/bin/env bash
# The main job: build the release preset quietly, run a map stress workload
# with gctrace and maptrace on, snapshot one cycle's heap, and write
#   build/main-job/trace.log        the gc and map lines (Go's gctrace format + maptrace)
#   build/main-job/heap-N.json      a heap snapshot (and .heapsnapshot for Chrome DevTools)
#   build/main-job/reach/map-*.svg  what keeps each map's bucket arrays alive
#   build/main-job/report.html      the HTML report: heap, pauses, GC CPU, evacuation,
#                                   iterator-held memory, and the reachability pictures
# then print the run's summary and the trace summary.
#
#   scripts/main-job.sh [WORKLOAD] [mapgc stress options…]
#
# WORKLOAD defaults to grow-iterate (maps growing under live iterators);
# e.g. `scripts/main-job.sh churn --seed 7`.  Extra MAPGC_DEBUG settings are
# appended (e.g. MAPGC_DEBUG=gccheckmark=1).  MAPGC_MAIN_JOB_OUT moves the output.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh

# Only the mapgc command is built: the main job needs nothing else.
log=$(mktemp)
if ! { cmake --preset release && cmake --build --preset release --target mapgc; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "main-job.sh: building the release preset failed" >&2
  exit 1
fi
rm -f "$log"

mapgc=$PWD/build/release/mapgc
workload=grow-iterate
if [[ $# -gt 0 && $1 != -* ]]; then
  workload=$1
  shift
fi
out=${MAPGC_MAIN_JOB_OUT:-build/main-job}
rm -rf "$out"
mkdir -p "$out/reach"

# Snapshot at cycle 8: late enough that maps are big and some are growing.
# heapdump writes mapgc-heap-N.* into the working directory: run in $out.
dump=8
(
  cd "$out"
  MAPGC_DEBUG="gctrace=1,maptrace=1,heapdump=$dump${MAPGC_DEBUG:+,$MAPGC_DEBUG}" \
    "$mapgc" stress "$workload" --trace-file trace.log "$@" | tee summary.txt
)
[[ -f $out/mapgc-heap-$dump.json ]] && mv "$out/mapgc-heap-$dump.json" "$out/heap-$dump.json"
[[ -f $out/mapgc-heap-$dump.heapsnapshot ]] && mv "$out/mapgc-heap-$dump.heapsnapshot" "$out/heap-$dump.heapsnapshot"

echo
if [[ -f $out/heap-$dump.json ]]; then
  "$mapgc" reach "$out/heap-$dump.json" --svg-dir "$out/reach" >/dev/null
  "$mapgc" reach "$out/heap-$dump.json" -o "$out/reach.txt"
  echo "reach: $(ls "$out"/reach/*.svg 2>/dev/null | wc -l) map pictures in $out/reach, report in $out/reach.txt"
else
  echo "reach: the run had fewer than $dump cycles, no heap snapshot"
fi
"$mapgc" trace plot "$out/trace.log" --reach-dir "$out/reach" -o "$out/report.html"
echo "report: $out/report.html"
echo
"$mapgc" trace summary "$out/trace.log"
