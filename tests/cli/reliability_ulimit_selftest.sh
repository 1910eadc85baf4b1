#!/usr/bin/env bash
# reliability_ulimit_selftest.sh — the memory-limit sweep of the tools
# (scripts/failalloc-sweep.sh --part tools) catches what it is there to
# catch.  A fake mapgc passes everything to the real one, except that the
# trace command, once under a `ulimit -v` limit, misbehaves in one way per
# round: killed by SIGSEGV, a different output with status 0, a truncated
# -o file left behind, a hang, a failure with no message, a message that
# does not name the problem.  The sweep must fail each round with the
# matching message, and pass with a fake that behaves.
set -u -o pipefail
export LC_ALL=C
src=${MAPGC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [[ -z "${MAPGC_BIN:-}" ]]; then
	echo "SKIP: the mapgc command is not built (MAPGC_BIN empty)" >&2
	exit 77
fi
# The fake misbehaves under `ulimit -v`, which an ASan build cannot start
# under (the sweep limits its allocations instead): the sweep's logic is
# checked with the other builds.
if grep -q -a -m 1 '__asan_init' "$MAPGC_BIN" 2>/dev/null; then
	echo "SKIP: an ASan build cannot run under ulimit -v, which the fake's misbehaviour needs" >&2
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-ulimit-selftest.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/fake-mapgc" <<'FAKE'
#!/usr/bin/env bash
if [[ $1 == trace && $(ulimit -v) != unlimited ]]; then
	out=
	for ((i = 1; i < $#; i++)); do
		[[ ${!i} == -o ]] && { j=$((i + 1)); out=${!j}; }
	done
	case $FAKE_MISBEHAVE in
	segv) kill -SEGV $$ ;;
	output) "$FAKE_REAL" "$@"; rc=$?; echo extra >>"${out:-/dev/stdout}"; exit $rc ;;
	partial)
		"$FAKE_REAL" "$@" || exit
		truncate -s 100 "$out"
		echo "mapgc trace: out of memory" >&2
		exit 1
		;;
	hang) exec sleep 30 ;;
	silent) exit 1 ;;
	vague) echo "mapgc trace: something went wrong" >&2; exit 1 ;;
	esac
fi
exec "$FAKE_REAL" "$@"
FAKE
chmod +x "$tmp/fake-mapgc"

bad=0
# round MODE WANT: the sweep over trace-summary with the fake; WANT: a
# regex its stderr must match (and status 1), or "pass".
round() {
	local rc
	FAKE_REAL=$MAPGC_BIN FAKE_MISBEHAVE=$1 bash "$src/scripts/failalloc-sweep.sh" --quick --part tools \
		--only '^trace-summary$' --bin "$tmp/fake-mapgc" --timeout 5 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [[ $2 == pass ]]; then
		((rc == 0)) && grep -q '^ok: trace-summary: ' "$tmp/out" && { echo "ok: a fake that behaves passes"; return; }
		echo "FAIL: the sweep failed (status $rc) with a fake mapgc that behaves:" >&2
	elif ((rc == 1)) && grep -q -E "^FAIL: trace-summary: $2" "$tmp/err"; then
		echo "ok: $1: $(grep -m 1 '^FAIL: ' "$tmp/err")"
		return
	else
		echo "FAIL: the sweep missed '$1' (status $rc, want 1 and a FAIL line matching '$2'):" >&2
	fi
	tail -n 15 "$tmp/err" "$tmp/out" >&2
	bad=1
}

round none pass
round segv 'killed by signal 11 at 1048576 KiB'
round output 'status 0 but not the reference.s outcome .* at 1048576 KiB'
round partial 'status 1, and the run left out.txt different from the reference.s \(100 bytes'
round hang 'hung \(no exit within 5s\)'
round silent 'status 1 with no error message'
round vague "status 1, and the message does not name out of memory: 'mapgc trace: something went wrong'"
exit $bad
