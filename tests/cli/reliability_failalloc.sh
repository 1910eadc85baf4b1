#!/usr/bin/env bash
# reliability_failalloc.sh — the shortened allocation-failure sweep
# (scripts/failalloc-sweep.sh --quick --part stress): small map workloads with the N-th
# OS memory request failing, for every N until a run injects no fault;
# each run ends in success with the fault-free checksum or in
# `fatal error: out of memory` with status 2, never a signal, a hang or a
# different checksum.  The full sweep is reliability_failalloc_full.sh.
set -u -o pipefail
src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
exec bash "$src/scripts/failalloc-sweep.sh" --quick --part stress --bin "${MAPGC_BIN:-}" --timeout 120
