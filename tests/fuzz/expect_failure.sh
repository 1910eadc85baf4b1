#!/usr/bin/env bash
# expect_failure.sh PATTERN REPLAY_BIN FILE… — every FILE, replayed alone by
# REPLAY_BIN (a fuzz target's replay driver), must fail (abort, or exit
# non-zero) with PATTERN (an extended regex) on stderr.  Used by ctest for
#   - the negative test: with MAPGC_FUZZ_BREAK=evac (evacuation without its
#     write barrier) the evac-* seeds must end in a checkmark failure, so
#     the fuzzer's oracles provably fire;
#   - known bugs (tests/fuzz/known-bugs/): each reproducer must still
#     diverge; once one passes, the bug is fixed and the file belongs in
#     the corpus (and its MAPGC_FUZZ_AVOID switch can go).
# Exit 0 when every file failed as expected, 1 otherwise.
set -u -o pipefail
pattern=$1 bin=$2
shift 2
[[ $# -gt 0 ]] || { echo "expect_failure: no input files" >&2; exit 1; }
status=0
for f in "$@"; do
	err=$("$bin" "$f" 2>&1 >/dev/null)
	rc=$?
	if [[ $rc -eq 0 ]]; then
		echo "FAIL: $(basename "$f") replayed cleanly; expected a failure matching /$pattern/" \
			"(if this is a known-bugs reproducer, the bug is fixed: move it into the corpus)" >&2
		status=1
	elif ! grep -Eq -- "$pattern" <<<"$err"; then
		echo "FAIL: $(basename "$f") failed (status $rc) but not with /$pattern/:" >&2
		tail -n 5 <<<"$err" >&2
		status=1
	else
		echo "ok: $(basename "$f") failed as expected: $(grep -Eo -m1 -- "$pattern.{0,80}" <<<"$err" | head -n 1)"
	fi
done
exit $status
