#!/usr/bin/env bash
# race.sh — proves that a data race fails a run of the tsan preset: the
# canary tests/tsan/race.c must end at the first ThreadSanitizer report with
# the exit status of TSAN_OPTIONS (halt_on_error=1, exitcode=66: the test
# preset's environment, which scripts/tsan.sh uses too), and the library the
# stress tests run is instrumented (its objects call __tsan_read/__tsan_write).
#
#   race.sh PROGRAM LIBMAPGC.a   (ctest entry tsan/race; PROGRAM is
#                                 mapgc-tsan-race)
# Environment: MAPGC_TSAN (1 in a -fsanitize=thread build, from CMake).
# Skips (77) in other builds.
set -u -o pipefail
export LC_ALL=C

fail() { echo "FAIL [tsan/race]: $*" >&2; exit 1; }
prog=${1:?usage: race.sh PROGRAM LIBMAPGC.a}
lib=${2:?usage: race.sh PROGRAM LIBMAPGC.a}
if [[ ${MAPGC_TSAN:-0} != 1 ]]; then
	echo "SKIP: not a ThreadSanitizer build (MAPGC_SANITIZE has no 'thread'; cmake --preset tsan)" >&2
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-tsan.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

"$prog" >"$tmp/out" 2>"$tmp/err"
rc=$?
show() { printf '\n--- stderr (TSAN_OPTIONS=%s)\n' "${TSAN_OPTIONS:-}"; head -n 30 "$tmp/err"; cat "$tmp/out"; }
reports=$(grep -c '^WARNING: ThreadSanitizer: data race' "$tmp/err")
((reports == 1)) || fail "want one data race report, got $reports$(show)"
grep -q 'race\.c:' "$tmp/err" || fail "the report does not point into race.c$(show)"
((rc == 66)) || fail "exit status $rc, want 66 (TSAN_OPTIONS needs exitcode=66: run through ctest --preset tsan or scripts/tsan.sh)$(show)"
! grep -q 'after the race' "$tmp/out" ||
	fail "the program went on after the report (TSAN_OPTIONS needs halt_on_error=1)$(show)"

# The library is instrumented: a race in the collector would be seen.
n=$(nm "$lib" 2>/dev/null | grep -c -E ' U __tsan_(read|write)[0-9]') ||
	fail "$lib: no calls to __tsan_read/__tsan_write: the library is not instrumented"
echo "[tsan/race] ok: the race is reported and fails the run (status $rc); $n instrumented-access references in $(basename "$lib")"
