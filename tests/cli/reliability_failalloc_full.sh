#!/usr/bin/env bash
# reliability_failalloc_full.sh — the full allocation-failure sweep
# (scripts/failalloc-sweep.sh --part stress): every stress workload, larger heaps, several
# GOGC values and barriers.  Minutes, so labelled slow (ctest --preset slow).
# labels: slow
set -u -o pipefail
src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
exec bash "$src/scripts/failalloc-sweep.sh" --part stress --bin "${MAPGC_BIN:-}" --timeout 240
