#!/usr/bin/env bash
# The main job: build the release preset quietly, then run the `graph` stress
# workload with gctrace on (one Go-format gc line per cycle, on stderr).
# Extra arguments go to `mapgc stress graph` (e.g. --seed 7 --ops 100000);
# MAPGC_DEBUG settings are added after gctrace=1 (e.g. MAPGC_DEBUG=gccheckmark=1).
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

MAPGC_DEBUG="gctrace=1${MAPGC_DEBUG:+,$MAPGC_DEBUG}" exec build/release/mapgc stress graph "$@"
