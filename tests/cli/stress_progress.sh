#!/usr/bin/env bash
# stress_progress.sh — the live progress line of `mapgc stress`: shown on a
# terminal (forced here with MAPGC_PROGRESS=1, since ctest has no terminal),
# redrawn in place with "\r…\033[K", cleared before every trace line so no
# gc line ever starts mid-line, cleared before the summary; and absent when
# stderr is not a terminal.
set -u -o pipefail
export LC_ALL=C
if [[ -z "${MAPGC_BIN:-}" ]]; then
	echo "SKIP: the mapgc command is not built (MAPGC_BIN empty)" >&2
	exit 77
fi
fail() { echo "FAIL [stress_progress]: $*" >&2; exit 1; }
tmp=$(mktemp -d) || fail mktemp
trap 'rm -rf "$tmp"' EXIT

run() { env -u MAPGC_GOGC -u MAPGC_MEMLIMIT "$@" timeout 120 "$MAPGC_BIN" stress ptr-values --seed 3 --live 200000 --ops 3000000 >"$tmp/out" 2>"$tmp/err"; }

MAPGC_PROGRESS=1 MAPGC_DEBUG=gctrace=1 run || fail "forced-progress run exited $?"
grep -q $'\r''ptr-values: [0-9]* ops' "$tmp/err" || fail "no progress line drawn (stderr: $(head -c 300 "$tmp/err" | od -c | head -5))"
# Every gc line must start a line: after a newline, or right after the clearing "\r\033[K".
ngc=$(grep -c 'gc [0-9]* @' "$tmp/err")
[[ $ngc -gt 0 ]] || fail "no gc lines"
# What a terminal shows of each line is what follows its last "\r" (the
# clear-to-end "\033[K" removes what was drawn before): a gc line must be
# exactly that, never glued after progress text.
bad=$(awk '/gc [0-9]+ @/ { s = $0; n = split(s, parts, "\r"); v = parts[n]; sub(/^\033\[K/, "", v); if (v !~ /^gc [0-9]+ @/) print NR": "v }' "$tmp/err" | head -3)
[[ -z $bad ]] || fail "a gc line is not alone on its screen line: $bad"
# Each gc line drawn after progress output must be preceded by the clear.
if grep -q 'MB'$'''\[Kgc [0-9]' "$tmp/err"; then
	fail "a gc line follows progress output without the clearing \\r"
fi
tail -c 200 "$tmp/err" | grep -q 'ptr-values: [0-9]* ops.*$' && ! tail -c 10 "$tmp/err" | grep -q $'\033\[K$' &&
	fail "the progress line was left on screen at the end"

MAPGC_DEBUG=gctrace=1 run || fail "plain run exited $?"
if grep -q $'\r' "$tmp/err"; then
	fail "progress output on a non-terminal stderr"
fi
echo "progress: drawn and cleared around $ngc gc lines; absent without a terminal"
