#!/usr/bin/env bash
# The one test command: install what is missing, then configure, build and
# test the debug preset and then the asan preset (the default test presets
# leave out the slow, fuzz and soak labels).  Exits non-zero if any step of
# either failed; both are run even when the first fails.
#
#   scripts/test.sh          debug, then asan
#   scripts/test.sh --fast   debug only
set -uo pipefail

usage() {
  echo "usage: scripts/test.sh [--fast]" >&2
}

presets=(debug asan)
for arg in "$@"; do
  case $arg in
    --fast) presets=(debug) ;;
    -h|--help) usage; exit 0 ;;
    *) usage; exit 2 ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

scripts/setup.sh || exit 1

failed=()
for preset in "${presets[@]}"; do
  echo "==> cmake --workflow --preset $preset"
  if ! cmake --workflow --preset "$preset"; then
    failed+=("$preset")
  fi
done

if ((${#failed[@]})); then
  echo "test.sh: FAILED: ${failed[*]} (of ${presets[*]})" >&2
  exit 1
fi
echo "test.sh: passed: ${presets[*]}"
