#!/usr/bin/env bash
# shim_selftest.sh — proves that the Criterion shim (tests/tsan/shim), which
# runs the unit tests of the ThreadSanitizer build, fails what it must: runs
# the tests of tests/tsan/shim_selftest.c one by one and checks each verdict,
# message and exit status, then the --list tree against the checker of the
# <module>/registered entries.
#
#   shim_selftest.sh PROGRAM SOURCE CMAKE CHECKER
#     (ctest entry tsan/shim_selftest; PROGRAM is mapgc-shim-selftest,
#      SOURCE its shim_selftest.c, CHECKER cmake/MapgcCheckTestList.cmake)
# Environment: MAPGC_TSAN (1 in a -fsanitize=thread build, from CMake): the
# race/two_writers test must then fail with a ThreadSanitizer report.
set -u -o pipefail
export LC_ALL=C

usage="usage: shim_selftest.sh PROGRAM SOURCE CMAKE CHECKER"
prog=${1:?$usage}
source=${2:?$usage}
cmake=${3:?$usage}
checker=${4:?$usage}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-shim.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

failed=0
what=""
fail() {
	echo "FAIL [tsan/shim_selftest] $what: $*" >&2
	printf -- '--- output (status %s)\n%s\n---\n' "$rc" "$out" >&2
	failed=1
}

# run ARGS...: out (stdout and stderr), rc, secs
run() {
	what="$prog $*"
	local t0=$EPOCHREALTIME
	out=$("$prog" "$@" 2>&1)
	rc=$?
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
}
has() { grep -qF -- "$1" <<<"$out" || fail "no line with '$1'"; }
lacks() { ! grep -qF -- "$1" <<<"$out" || fail "a line with '$1'"; }
status() { ((rc == $1)) || fail "exit status $rc, want $1"; }
verdicts() {
	local n
	n=$(grep -c -E '^\[(PASS|FAIL|SKIP|CRASH)\] ' <<<"$out")
	((n == $1)) || fail "$n test verdicts, want $1"
}
# The file:line the shim must print for the check whose message is $1.
line_of() {
	local n
	n=$(grep -n -F -- "$1" "$source" | head -n 1 | cut -d: -f1)
	[[ -n $n ]] || { echo "shim_selftest.sh: '$1' is not in $source" >&2; exit 1; }
	echo "$(basename "$source"):$n"
}
# One test, through --filter as ctest runs it: status and verdict.
one() {
	run --filter "$1" -j1
	verdicts 1
	has "[$2] ${1/\//::}:"
}

# Passing checks, and the synthesis line ctest reads.
one checks/all_pass PASS
status 0
has "Synthesis: Tested: 1 | Passing: 1 | Failing: 0 | Crashing: 0"
has "[----] logged 7"
lacks "Assertion failed"

# A failed cr_assert: file:line and message, and the body stops.
one checks/assert_fails FAIL
status 1
has "$(line_of '"1 + 1 is %d"'): Assertion failed: 1 + 1 is 2"
has "Synthesis: Tested: 1 | Passing: 0 | Failing: 1 | Crashing: 0"
lacks "after the failed assert"

one checks/default_message FAIL
status 1
has "$(line_of 'cr_assert(x > 1)'): Assertion failed: The expression x > 1 is false."

one checks/assert_fail FAIL
status 1
has "Assertion failed: failed on purpose, here"

# A failed cr_expect fails the test, and the body goes on.
one checks/expect_goes_on FAIL
status 1
has "$(line_of '"the first expect"'): Assertion failed: the first expect"
has "$(line_of '"the second expect"'): Assertion failed: the second expect"
has "after the failed expects"

# On a thread of the test's own there is no frame to unwind to: the child ends.
one checks/fails_on_a_thread FAIL
status 1
has "Assertion failed: failed on a thread"
lacks "joined the failed thread"

one checks/fails_with_stderr_redirected FAIL
status 1
has "$(line_of '"failed with fd 2 on /dev/null"'): Assertion failed: failed with fd 2 on /dev/null"

# .fini runs after the body, and after a failed assert.
one fini/after_the_body PASS
status 0
[[ $out == *"body ran"*"fini ran"* ]] || fail "want 'body ran', then 'fini ran'"
one fini/after_a_failed_assert FAIL
status 1
has "Assertion failed: failed before fini"
has "fini ran"

# .exit_code: the status must be it, whichever way the child ends.
one exit_code/two_exits_2 PASS
status 0
one exit_code/two_returns FAIL
status 1
has "exit status 0, want 2"
one exit_code/two_after_a_failed_expect FAIL
status 1
has "Assertion failed: failed before exit(2)"
one exit_code/zero_exits_3 FAIL
status 1
has "exit status 3, want 0"
one exit_code/zero_exits_66 FAIL
status 1
has "exit status 66, want 0 (66: ThreadSanitizer's exitcode"

# A skipped test is not tested: ctest's SKIP_REGULAR_EXPRESSION matches.
one skip/skipped SKIP
status 0
has "skipped on purpose, 42"
lacks "after the skip"
grep -qE 'Synthesis: Tested: 0 \|' <<<"$out" || fail "ctest's skip regex 'Synthesis: Tested: 0 \\|' does not match"

# .timeout kills the child and fails the test.
one timeout/sleeps_too_long FAIL
status 1
has "timed out after"
((secs < 20)) || fail "took ${secs}s: the 1 s timeout did not kill the child"
one timeout/within PASS
status 0

# A signal is a crash.
one crash/killed CRASH
status 1
has "killed by signal 9"
has "Synthesis: Tested: 1 | Passing: 0 | Failing: 1 | Crashing: 1"

# A ThreadSanitizer report fails the test.
for t in race/two_writers race/two_writers_with_stderr_redirected; do
	if [[ ${MAPGC_TSAN:-0} == 1 ]]; then
		one "$t" FAIL
		status 1
		has "WARNING: ThreadSanitizer: data race"
		has "exit status 66, want 0"
	else
		one "$t" PASS
		status 0
	fi
done

# --filter is a glob over suite/name; no match runs nothing, as in Criterion.
run --filter 'exit_code/*'
verdicts 5
has "Synthesis: Tested: 5 | Passing: 1 | Failing: 4 | Crashing: 0"
status 1
run --filter no/such_test
verdicts 0
has "Synthesis: Tested: 0 | Passing: 0 | Failing: 0 | Crashing: 0"
status 0

# No arguments: every test, the skipped one not counted as tested.
total=$(grep -c '^Test(' "$source")
run
verdicts "$total"
has "Synthesis: Tested: $((total - 1)) |"
status 1

run --no-such-option
status 2

# --list: Criterion's tree, accepted by the checker of <module>/registered.
run --list
status 0
has "checks: 7 tests"
has "|-- all_pass"
has "\`-- fails_with_stderr_redirected"
has "skip: 1 test"
sed -n 's/^Test(\([A-Za-z0-9_]*\), *\([A-Za-z0-9_]*\).*/\1\/\2/p' "$source" >"$tmp/expected"
what="MapgcCheckTestList.cmake"
out=$("$cmake" "-DTEST_BINARY=$prog" "-DEXPECTED_FILE=$tmp/expected" -P "$checker" 2>&1)
rc=$?
status 0
has "$total tests, all registered"
# ... and the checker notices a test that is not in the binary.
echo "checks/not_in_the_binary" >>"$tmp/expected"
out=$("$cmake" "-DTEST_BINARY=$prog" "-DEXPECTED_FILE=$tmp/expected" -P "$checker" 2>&1)
rc=$?
((rc != 0)) || fail "the checker accepted a list with a test the binary lacks"
has "checks/not_in_the_binary"

((failed == 0)) || exit 1
echo "[tsan/shim_selftest] ok: $total tests of the shim judged as they must be (MAPGC_TSAN=${MAPGC_TSAN:-0})"
