#!/usr/bin/env bash
# reliability_ulimit.sh — the shortened memory-limit sweep of the tools
# (scripts/failalloc-sweep.sh --quick --part tools): `mapgc trace` and
# `mapgc reach` on a log of thousands of lines and a snapshot of a few MB
# under descending `ulimit -v` limits; each run gives the unlimited run's
# output or fails cleanly (one out-of-memory message, status 1, no
# truncated output file), never a signal, a hang or another output.  The
# full sweep is reliability_ulimit_full.sh; the sweep's own negative test
# is reliability_ulimit_selftest.sh.
set -u -o pipefail
src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
exec bash "$src/scripts/failalloc-sweep.sh" --quick --part tools --bin "${MAPGC_BIN:-}" --timeout 120
