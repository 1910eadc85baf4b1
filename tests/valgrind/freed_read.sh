#!/usr/bin/env bash
# freed_read.sh — proves the Memcheck annotations of the heap fire (gc/vg.h):
# under valgrind, a read through a raw pointer to an object the collector
# swept free is an "Invalid read" inside a block freed by the sweeper, for a
# small object (its span still in use) and a large one (its span returned);
# the control (the freed slot allocated again, then read) is clean.
#
#   freed_read.sh PROGRAM   (ctest entry valgrind/freed_read; PROGRAM is
#                            mapgc-vg-freed-read, tests/valgrind/freed_read.c)
# Environment: MAPGC_VALGRIND (ON/OFF, from CMake).  Skips (77) when
# valgrind is not on PATH or the build has no annotations.
set -u -o pipefail
export LC_ALL=C

fail() { echo "FAIL [valgrind/freed_read]: $*" >&2; exit 1; }
prog=${1:?usage: freed_read.sh PROGRAM}
if ! command -v valgrind >/dev/null; then
	echo "SKIP: valgrind is not on PATH (Debian: apt-get install valgrind; scripts/setup.sh installs it)" >&2
	exit 77
fi
case ${MAPGC_VALGRIND:-OFF} in
ON | on | 1 | TRUE | true | YES | yes) ;;
*)
	echo "SKIP: built with MAPGC_VALGRIND=${MAPGC_VALGRIND:-OFF}: the heap is not annotated for Memcheck" >&2
	exit 77
	;;
esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-vg.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# vg MODE: runs the program under Memcheck; sets rc and log.
vg() {
	log=$tmp/$1.log
	env -u MAPGC_DEBUG valgrind --tool=memcheck --error-exitcode=99 --num-callers=30 \
		--log-file="$log" "$prog" "$1" >"$tmp/$1.out" 2>"$tmp/$1.err"
	rc=$?
}
show() { printf '\n--- %s\n' "$log"; cat "$log" "$tmp/$1.err"; }

for mode in small large; do
	vg "$mode"
	[[ $rc -eq 99 ]] || fail "$mode: valgrind exit status $rc, want 99 (--error-exitcode): the read of freed memory was not reported$(show "$mode")"
	grep -qE '^==[0-9]+== Invalid read of size 1$' "$log" || fail "$mode: no 'Invalid read of size 1'$(show "$mode")"
	# The report must be the read in main, inside a block the sweeper freed.
	grep -A3 -E '^==[0-9]+== Invalid read' "$log" | grep -q 'main (freed_read.c:' ||
		fail "$mode: the invalid read is not in main (freed_read.c)$(show "$mode")"
	grep -qE "^==[0-9]+==  Address 0x[0-9A-Fa-f]+ is 13 bytes inside a block of size [0-9,]+ free'd$" "$log" ||
		fail "$mode: the address is not reported as 13 bytes inside a freed block (header 8 + offset 5)$(show "$mode")"
	grep -A4 "free'd\$" "$log" | grep -qE 'sweep_span|gc_sweep' || fail "$mode: the free stack does not go through the sweeper$(show "$mode")"
	n=$(grep -cE '^==[0-9]+== (Invalid|Conditional|Use of uninitialised)' "$log")
	[[ $n -eq 1 ]] || fail "$mode: $n Memcheck reports, want exactly the one read$(show "$mode")"
	echo "[valgrind/freed_read] $mode: the read of the freed object is reported"
done

vg reuse
[[ $rc -eq 0 ]] || fail "reuse: valgrind exit status $rc, want 0: Memcheck reported a legal read of a reused slot$(show reuse)"
grep -qx 'read 0' "$tmp/reuse.out" || fail "reuse: the reused slot did not read as zero: $(cat "$tmp/reuse.out")"
echo "[valgrind/freed_read] reuse: the reused slot reads clean (zeroed, defined)"
