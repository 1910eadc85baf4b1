#!/usr/bin/env bash
# reliability_soak.sh — a short `mapgc stress --soak` (a few seconds): the
# rounds rotate workloads, barriers, GOGC and mark slices with checkmark
# on, each round's line has the documented form and says ok, and the soak
# ends cleanly at its deadline.  Then the failure path: a soak whose runs
# cannot succeed (MAPGC_DEBUG=failalloc=1: the first OS request fails)
# stops at the first round with exit 1, and the command it prints repeats
# the failure exactly.  Plus usage errors.  The long soak is the ctest
# entry soak/stress_10m (label soak).
set -u -o pipefail
export LC_ALL=C

fail() { echo "FAIL [reliability_soak]: $*" >&2; exit 1; }
if [[ -z "${MAPGC_BIN:-}" ]]; then
	echo "SKIP: the mapgc command is not built (MAPGC_BIN empty)" >&2
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-soak.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# The soak: 4 s of rounds (the last one started may overrun the deadline).
t0=$EPOCHREALTIME
env -u MAPGC_DEBUG -u MAPGC_GOGC -u MAPGC_MEMLIMIT timeout 600 "$MAPGC_BIN" stress --soak 4s --seed 7 \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
[[ $rc -eq 0 ]] || fail "soak exit status $rc$(printf '\n'; tail -n 5 "$tmp/out" "$tmp/err")"
head -n 1 "$tmp/out" | grep -qE '^soak: 4 s, soak seed 7, all workloads' || fail "bad header: $(head -n 1 "$tmp/out")"
rounds=$(grep -cE '^soak round [0-9]+: workload=[a-z-]+ seed=[0-9]+ barrier=(hybrid|yuasa|dijkstra) gogc=[0-9]+ gcslice=[0-9]+ ops=[0-9]+ secs=[0-9.]+ cycles=[0-9]+ checksum=[0-9a-f]{16} ok$' "$tmp/out")
lines=$(grep -c '^soak round ' "$tmp/out")
[[ $rounds -ge 1 && $rounds -eq $lines ]] || fail "$lines round lines, $rounds well-formed and ok:$(printf '\n'; cat "$tmp/out")"
tail -n 1 "$tmp/out" | grep -qE "^soak ok: $rounds rounds in [0-9.]+ s, 0 failures$" || fail "bad last line: $(tail -n 1 "$tmp/out")"
# Workloads rotate in --list order from graph.
first=$(sed -n -E 's/^soak round 1: workload=([a-z-]+) .*/\1/p' "$tmp/out")
[[ $first == graph ]] || fail "round 1 ran '$first', want graph"
if [[ $rounds -ge 2 ]]; then
	second=$(sed -n -E 's/^soak round 2: workload=([a-z-]+) .*/\1/p' "$tmp/out")
	[[ $second == grow-iterate ]] || fail "round 2 ran '$second', want grow-iterate"
fi
echo "[reliability_soak] $rounds rounds in ${secs}s, all ok"

# One workload only, and the same soak seed gives the same rounds.
env -u MAPGC_DEBUG timeout 600 "$MAPGC_BIN" stress --soak 1s --seed 9 churn >"$tmp/a" 2>/dev/null || fail "churn soak failed"
env -u MAPGC_DEBUG timeout 600 "$MAPGC_BIN" stress --soak 1s --seed 9 churn >"$tmp/b" 2>/dev/null || fail "churn soak failed"
grep '^soak round' "$tmp/a" | grep -vq 'workload=churn ' && fail "a churn soak ran another workload"
# (secs and cycles depend on timing: background mark slices are paced by the clock)
first_round() { grep '^soak round 1:' "$1" | sed -E 's/ (secs|cycles)=[0-9.]+//g'; }
[[ -n $(first_round "$tmp/a") && $(first_round "$tmp/a") == "$(first_round "$tmp/b")" ]] ||
	fail "soak seed 9 gave different first rounds: '$(first_round "$tmp/a")' and '$(first_round "$tmp/b")'"

# The failure path: stops at round 1, exit 1, and the printed command repeats it.
env -u MAPGC_GOGC MAPGC_DEBUG=failalloc=1 timeout 600 "$MAPGC_BIN" stress --soak 30s --seed 3 noptr \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc -eq 1 ]] || fail "failing soak: exit status $rc, want 1"
grep -qE '^soak round 1: .* FAILED$' "$tmp/out" || fail "no FAILED round line: $(cat "$tmp/out")"
[[ $(grep -c '^soak round' "$tmp/out") -eq 1 ]] || fail "the soak went on after the failure"
grep -q '^soak FAILED in round 1: exit status 2: fatal error: out of memory$' "$tmp/out" ||
	fail "no failure reason line: $(cat "$tmp/out")"
cmd=$(sed -n 's/^soak: to repeat: //p' "$tmp/out")
[[ $cmd =~ ^MAPGC_DEBUG=\'failalloc=1\'\ mapgc\ stress\ noptr\ --seed\ [0-9]+\ --ops\ [0-9]+\ --live\ [0-9]+\ --gogc\ off$ ]] ||
	fail "unexpected repeat command: '$cmd'"
# Run it (mapgc -> $MAPGC_BIN): the same fatal error, status 2.
eval "env -u MAPGC_GOGC ${cmd/ mapgc / \"\$MAPGC_BIN\" }" >"$tmp/out2" 2>"$tmp/err2"
rc=$?
[[ $rc -eq 2 ]] && grep -q '^fatal error: out of memory' "$tmp/err2" ||
	fail "the repeat command did not repeat the failure (status $rc): $(tail -n 2 "$tmp/err2")"

# Usage errors: exit 2 with a usage.
for args in "--soak" "--soak 5x" "--soak 0s" "--soak 10s --ops 5 graph" "--soak 10s --barrier yuasa" "--soak 1s no-such"; do
	# shellcheck disable=SC2086  # split on purpose
	"$MAPGC_BIN" stress $args >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[[ $rc -eq 2 ]] && grep -q 'usage:' "$tmp/err" || fail "'mapgc stress $args': status $rc, want a usage error"
done
echo "[reliability_soak] ok"
