#!/usr/bin/env bash
# reliability_failalloc_full.sh — the full allocation-failure sweep
# (scripts/failalloc-sweep.sh): every stress workload, larger heaps, several
# GOGC values and barriers.  Minutes, so labelled slow (ctest --preset slow).
# labels: slow
set -u -o pipefail
src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [[ -z "${MAPGC_BIN:-}" ]]; then
	echo "SKIP: the mapgc command is not built (MAPGC_BIN empty)" >&2
	exit 77
fi
exec bash "$src/scripts/failalloc-sweep.sh" --bin "$MAPGC_BIN" --timeout 240
