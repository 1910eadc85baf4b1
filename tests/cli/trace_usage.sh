#!/usr/bin/env bash
# trace_usage.sh — `mapgc trace` usage errors exit 2 with a short usage on
# stderr and nothing on stdout; unreadable input and unwritable output
# exit 1 with a message; --help succeeds on stdout (DESIGN.md §7).
# shellcheck source-path=SCRIPTDIR source=trace_golden.sh
source "$(dirname "${BASH_SOURCE[0]}")/trace_golden.sh" || exit 1

log=$tr_data/go119.log

# tr_usage_error WHY ARGS…: mapgc ARGS must be a usage error.
tr_usage_error() {
	local why=$1
	shift
	tr_run "$@"
	[[ $tr_rc -eq 2 ]] || tr_fail "$why: exit status $tr_rc, want 2: $tr_cmd$(tr_tail)"
	grep -q '^usage: mapgc trace' "$tr_err" || tr_fail "$why: no usage on stderr: $tr_cmd$(tr_tail)"
	grep -q '^mapgc trace: ' "$tr_err" || tr_fail "$why: no 'mapgc trace: ' message: $tr_cmd$(tr_tail)"
	[[ ! -s "$tr_out" ]] || tr_fail "$why: usage error wrote to stdout: $tr_cmd$(tr_tail)"
}

tr_usage_error "no mode" trace
tr_usage_error "unknown mode" trace graph "$log"
tr_usage_error "no file" trace summary
tr_usage_error "two files" trace summary "$log" "$log"
tr_usage_error "empty file name" trace summary ""
tr_usage_error "unknown option" trace summary "$log" --frobnicate
tr_usage_error "single-dash unknown" trace summary "$log" -x
tr_usage_error "-o without a value" trace summary "$log" -o
tr_usage_error "empty -o" trace summary "$log" -o ""
tr_usage_error "two -o" trace summary "$log" -o a -o b
tr_usage_error "--svg without a value" trace plot "$log" --svg
tr_usage_error "unknown chart" trace plot "$log" --svg pie
tr_usage_error "--svg with csv" trace csv "$log" --svg heap
tr_usage_error "--reach-dir with json" trace json "$log" --reach-dir /tmp
tr_usage_error "--svg with --reach-dir" trace plot "$log" --svg heap --reach-dir /tmp
tr_usage_error "empty --reach-dir" trace plot "$log" --reach-dir=

# Usage errors come before any input is read: a missing file is not reported.
tr_run trace summary /nonexistent/trace.log --frobnicate
tr_expect_rc 2
grep -q 'cannot open' "$tr_err" && tr_fail "read the input before finding the usage error"

# Options before, after and among the positionals; --opt=value; "--".
tr_run trace -o "$tr_tmp/a.csv" csv "$log"
tr_expect_rc 0
tr_run trace csv --output="$tr_tmp/b.csv" "$log"
tr_expect_rc 0
cmp -s "$tr_tmp/a.csv" "$tr_tmp/b.csv" || tr_fail "-o X and --output=X differ"
cp "$log" "$tr_tmp/-dash.log"
(cd "$tr_tmp" && tr_run trace summary -- -dash.log && [[ $tr_rc -eq 0 ]]) || tr_fail "'--' did not end the options"

# Unreadable input: a message naming it, exit 1, nothing on stdout.
for bad in /nonexistent/trace.log "$tr_tmp"; do
	tr_run trace summary "$bad"
	tr_expect_rc 1
	grep -q "^mapgc trace: .*'$bad'" "$tr_err" || tr_fail "no message naming '$bad'$(tr_tail)"
	[[ ! -s "$tr_out" ]] || tr_fail "unreadable input wrote to stdout$(tr_tail)"
done

# Unwritable output: exit 1 with a message.
tr_run trace json "$log" -o /nonexistent/dir/out.json
tr_expect_rc 1
grep -q "^mapgc trace: cannot open '/nonexistent/dir/out.json' for writing" "$tr_err" ||
	tr_fail "no message for an unwritable -o$(tr_tail)"
if [[ -w /dev/full ]]; then
	tr_run trace json "$log" -o /dev/full
	tr_expect_rc 1
	grep -q "^mapgc trace: writing '/dev/full'" "$tr_err" || tr_fail "a full disk went unreported$(tr_tail)"
fi

# A missing --reach-dir: the report is written, the failure reported, exit 1.
tr_run trace plot "$log" --reach-dir /nonexistent/reach -o "$tr_tmp/r.html"
tr_expect_rc 1
grep -q "cannot read --reach-dir '/nonexistent/reach'" "$tr_err" || tr_fail "missing --reach-dir unreported$(tr_tail)"
grep -q '</html>' "$tr_tmp/r.html" || tr_fail "no report written with a missing --reach-dir"

# No trace lines at all: a note on stderr, still success.
printf 'hello\nworld\n' >"$tr_tmp/plain.log"
tr_run trace json "$tr_tmp/plain.log"
tr_expect_rc 0
grep -q "no gc, map or wb lines" "$tr_err" || tr_fail "no note for a log without trace lines$(tr_tail)"
grep -q '"cycles": \[\]' "$tr_out" || tr_fail "json of an empty trace has cycles$(tr_tail)"

# Help.
for args in "trace --help" "trace -h" "trace summary --help"; do
	# shellcheck disable=SC2086  # split on purpose
	tr_run $args
	tr_expect_rc 0
	tr_expect_quiet
	grep -q '^usage: mapgc trace' "$tr_out" || tr_fail "mapgc $args: no usage on stdout"
done
grep -q '^  interval_cpu_pct ' "$tr_out" || tr_fail "--help does not document the CSV columns"
tr_run --help
grep -q '^  trace ' "$tr_out" || tr_fail "mapgc --help does not list trace"

tr_note "ok"
