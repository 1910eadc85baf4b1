#!/usr/bin/env bash
# reliability_ulimit_full.sh — the full memory-limit sweep of the tools
# (scripts/failalloc-sweep.sh --part tools): every `mapgc trace` mode and
# chart and every `mapgc reach` output on larger inputs, limits 16 KiB
# apart around where the tools start to succeed.  Minutes, so labelled
# slow (ctest --preset slow).
# labels: slow
set -u -o pipefail
src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
exec bash "$src/scripts/failalloc-sweep.sh" --part tools --bin "${MAPGC_BIN:-}" --timeout 240
