#!/usr/bin/env bash
# tsan.sh — the ThreadSanitizer preset at several P counts: configure and
# build the tsan preset (clang, -fsanitize=thread, build/tsan), then run its
# test preset once per P count with MAPGC_TEST_PROCS=P.
#
#   scripts/tsan.sh [--procs 'P1;P2;…'] [--no-build]
#
# --procs: default 2;4 (DESIGN.md §9: the Ps; the preset alone runs at the
# default, the CPUs this process may run on).  MAPGC_TEST_PROCS reaches the
# mapgc runs of the cli tests as MAPGC_PROCS (tests/cli/lib/cli.sh) and the
# runtimes of the gc, maptype and runtime unit tests as procs
# (tests/support/mgt.c); those run through the Criterion shim of
# tests/tsan/shim, since Criterion itself cannot run under TSan
# (CMakePresets.json, the tsan test preset, says why).  TSAN_OPTIONS come
# from the test preset: halt_on_error=1 exitcode=66, so any report fails the
# test that caused it; tests/tsan/race and tests/tsan/shim_selftest prove
# that it does.
# Prints per P count the ctest summary and the failing entries (their logs
# are kept as build/tsan/tsan-procsP.log); exit 0 when all passed, 1 if
# not, 2 usage.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$src" || exit 2
procs="2;4"
build=1
while [[ $# -gt 0 ]]; do
	case $1 in
	--procs) [[ $# -ge 2 ]] || usage; procs=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	-h|--help) usage ;;
	*) echo "tsan: unknown argument '$1'" >&2; usage ;;
	esac
done
IFS=';' read -r -a procs_list <<<"$procs"
((${#procs_list[@]} > 0)) || { echo "tsan: --procs '$procs' names no P count" >&2; exit 2; }
for p in "${procs_list[@]}"; do
	[[ $p =~ ^[1-9][0-9]*$ ]] && ((p <= 256)) || { echo "tsan: bad P count '$p' in --procs (want 1..256)" >&2; exit 2; }
done

if ((build)); then
	log=$(mktemp) || exit 1
	if ! { cmake --preset tsan && cmake --build --preset tsan -j 2; } >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		rm -f "$log"
		echo "tsan: configuring or building the tsan preset failed" >&2
		exit 1
	fi
	rm -f "$log"
fi

status=0
declare -A result=()
for p in "${procs_list[@]}"; do
	echo "==== tsan, procs $p"
	log=build/tsan/tsan-procs$p.log
	t0=$EPOCHREALTIME
	MAPGC_TEST_PROCS=$p ctest --preset tsan >"$log" 2>&1
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
	summary=$(grep -E 'tests passed|tests failed' "$log" | tail -n 1)
	echo "ctest: ${summary:-no summary (see $log)} (${secs}s)"
	result[$p]=${summary:-no summary}
	if ! grep -q '100% tests passed' "$log"; then
		status=1
		sed -n '/The following tests FAILED/,$p' "$log" | grep -E '^\s+[0-9]+ - ' | sed 's/^/  /'
		grep -m 3 -E 'WARNING: ThreadSanitizer|ERROR: ThreadSanitizer' "$log" | sed 's/^/  /'
		echo "  log: $log"
	fi
done
echo "==== summary"
for p in "${procs_list[@]}"; do
	printf 'procs=%-4s %s\n' "$p" "${result[$p]}"
done
exit $status
