#!/usr/bin/env bash
# trace_malformed.sh — hostile input through the real binary: malformed
# gctrace-looking lines are reported as "mapgc trace: line N: WHAT" with
# the right N and exit 1 after the rest is processed (DESIGN.md §7); NUL
# bytes, invalid UTF-8, CRLF, a truncated last line, over-long lines and
# binary garbage never crash it, in every mode.
# shellcheck source-path=SCRIPTDIR source=trace_golden.sh
source "$(dirname "${BASH_SOURCE[0]}")/trace_golden.sh" || exit 1

good='gc 1 @0.012s 2%: 0.026+0.39+0.015 ms clock, 0.10+0.24/0.35/0.38+0.062 ms cpu, 4->4->0 MB, 5 MB goal, 4 P'
good2='gc 2 @0.031s 3%: 0.018+0.82+0.021 ms clock, 0.072+0.11/0.74/0.52+0.084 ms cpu, 4->4->1 MB, 5 MB goal, 4 P'

# check_errors FILE N…: every mode reports exactly lines N… and exits 1,
# and the json still holds both good cycles.
check_errors() {
	local file=$1
	shift
	local want
	want=$(printf '%s\n' "$@")
	for mode in summary csv json plot; do
		tr_run trace "$mode" "$file"
		tr_expect_rc 1
		got=$(sed -n 's/^mapgc trace: line \([0-9]*\): .*/\1/p' "$tr_err")
		[[ "$got" == "$want" ]] ||
			tr_fail "$mode $(basename "$file"): error lines '$(echo $got)', want '$(echo $want)'$(tr_tail)"
		[[ $(grep -c . "$tr_err") -eq $# ]] || tr_fail "$mode: stderr has more than the errors$(tr_tail)"
	done
	tr_run trace json "$file"
	[[ $(grep -c '^    {"n":' "$tr_out") -eq 2 ]] || tr_fail "$(basename "$file"): the good cycles are not all there$(tr_tail)"
}

# NUL bytes and invalid UTF-8 inside gc lines; CRLF line ends on good ones.
{
	printf '%s\r\n' "$good"
	printf 'gc 7 @0.1\0s 1%%: junk\n'
	printf 'gc 8 @0.1s 1%%: \xff\xfe+1+1 ms clock\n'
	printf 'unrelated \xff\xfe\0 bytes\n'
	printf '%s\r\n' "$good2"
	printf 'gc 9 @0.5s 4%%: 0.01+'          # truncated, no newline
} >"$tr_tmp/bytes.log"
check_errors "$tr_tmp/bytes.log" 2 3 6
tr_run trace summary "$tr_tmp/bytes.log"
grep -q 'line 2: expected "s " at column 10, found "\\x00s 1%: junk"' "$tr_err" ||
	tr_fail "the NUL byte is not shown escaped$(tr_tail)"
grep -q 'line 3: .*found "\\xff\\xfe+1+1 ms cl..."' "$tr_err" ||
	tr_fail "invalid UTF-8 is not shown escaped$(tr_tail)"
LC_ALL=C grep -q $'[\x80-\xff]' "$tr_err" && tr_fail "raw non-ASCII bytes on stderr"

# Over-long lines: a gc-looking one is an error, others are passed over.
{
	printf '%s\n' "$good"
	printf 'gc 3 @'; head -c 10000 /dev/zero | tr '\0' '1'; printf '\n'
	head -c 10000 /dev/zero | tr '\0' 'x'; printf '\n'
	printf '%s\n' "$good2"
} >"$tr_tmp/long.log"
check_errors "$tr_tmp/long.log" 2
tr_run trace summary "$tr_tmp/long.log"
grep -q '^mapgc trace: line 2: line of 10006 bytes, over the 4096-byte limit for a trace line$' "$tr_err" ||
	tr_fail "over-long gc line message$(tr_tail)"

# Many malformed lines: all reported, the json keeps the first 100.
{
	for i in $(seq 1 150); do printf 'gc %d @\n' "$i"; done
	printf '%s\n%s\n' "$good" "$good2"
} >"$tr_tmp/many.log"
tr_run trace json "$tr_tmp/many.log"
tr_expect_rc 1
[[ $(grep -c '^mapgc trace: line' "$tr_err") -eq 150 ]] || tr_fail "not all 150 errors reported"
grep -q '"error_count":150,' "$tr_out" || tr_fail "error_count is not 150"
[[ $(grep -c '^    {"line":' "$tr_out") -eq 100 ]] || tr_fail "json does not keep exactly 100 errors"

# Binary garbage, and a real log cut at every kind of place: never a crash
# (tr_run fails the test on a signal), status 0 or 1.
head -c 300000 /dev/urandom >"$tr_tmp/random.bin"
cat "$tr_data/mapgc.log" "$tr_tmp/random.bin" "$tr_data/go15.log" >"$tr_tmp/mixed.log"
for f in "$tr_tmp/random.bin" "$tr_tmp/mixed.log"; do
	for mode in summary csv json plot; do
		tr_run trace "$mode" "$f"
		[[ $tr_rc -le 1 ]] || tr_fail "status $tr_rc on garbage: $tr_cmd$(tr_tail)"
	done
done
for cut in 1 77 1000 4099 50000; do
	head -c "$cut" "$tr_data/mapgc.log" >"$tr_tmp/cut.log"
	tr_run trace json "$tr_tmp/cut.log"
	[[ $tr_rc -le 1 ]] || tr_fail "status $tr_rc on a log cut at $cut bytes"
done

tr_note "ok"
