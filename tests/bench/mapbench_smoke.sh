#!/usr/bin/env bash
# The map benchmark's C side runs the reference work to the end at a small
# size and prints the reference's ten rows (tools/bench/bench.sh joins them
# with ../shared/bench/mapbench.go's by their text): its own checks (every
# lookup_hit key present, no lookup_miss key present, every delete pass
# ends empty) exit 1 when the map misbehaves.  Timing figures are not
# checked: this is not a timed test.
set -euo pipefail
bench=$1
out=$("$bench" --sizes 1000 --mintime-ms 1 --trials 1)
rows=$(grep -E -c '^op=(insert|lookup_hit|lookup_miss|iterate|delete) key=(int64|string) n=1000 ns_per_op=[0-9]+\.[0-9]{2}$' <<<"$out")
if [[ $rows -ne 10 ]]; then
  echo "want 10 rows in the reference's format, got $rows:" >&2
  echo "$out" >&2
  exit 1
fi
# Bad options are usage errors.
if "$bench" --sizes 0 2>/dev/null; then echo "--sizes 0 accepted" >&2; exit 1; fi
set +e
"$bench" --bogus 1 2>/dev/null
rc=$?
set -e
[[ $rc -eq 2 ]] || { echo "unknown option exited $rc, want 2" >&2; exit 1; }
"$bench" --help | grep -q '^usage:' || { echo "--help printed no usage on stdout or failed" >&2; exit 1; }
if "$bench" --seed -1 2>/dev/null; then echo "--seed -1 accepted" >&2; exit 1; fi
echo "mapbench smoke: 10 rows"
