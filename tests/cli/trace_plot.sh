#!/usr/bin/env bash
# trace_plot.sh — `mapgc trace plot` through the real binary: the report is
# one self-contained HTML file (an <svg> per chart, no http(s) URL, no
# script), deterministic; --svg NAME writes one standalone chart; -o; the
# --reach-dir hook.  (Tag balance is checked in tests/tools/plot.c; a real
# browser renders it in trace_chromium.sh.)
# shellcheck source-path=SCRIPTDIR source=trace_golden.sh
source "$(dirname "${BASH_SOURCE[0]}")/trace_golden.sh" || exit 1

# check_html FILE CHARTS: the page's shape.
check_html() {
	local f=$1 charts=$2
	head -n 1 "$f" | grep -qx '<!DOCTYPE html>' || tr_fail "$f: no doctype"
	tail -n 1 "$f" | grep -qx '</html>' || tr_fail "$f: does not end with </html>"
	[[ $(grep -o '<svg ' "$f" | wc -l) -eq $charts ]] || tr_fail "$f: want $charts <svg> elements"
	[[ $(grep -o '</svg>' "$f" | wc -l) -eq $charts ]] || tr_fail "$f: <svg> and </svg> do not pair"
	grep -qi 'https\?://' "$f" && tr_fail "$f: contains a network URL: $(grep -oi 'https\?://[^" ]*' "$f" | head -n 3)"
	grep -qi '<script' "$f" && tr_fail "$f: contains a script"
	grep -q '<title>mapgc trace: ' "$f" || tr_fail "$f: no title"
	return 0
}

tr_run trace plot "$tr_data/go119.log"
tr_expect_rc 0
tr_expect_quiet
cp "$tr_out" "$tr_tmp/go119.html"
check_html "$tr_tmp/go119.html" 3
grep -q '<title>mapgc trace: go119.log - 31 cycles (10 forced)' "$tr_tmp/go119.html" ||
	tr_fail "the title lacks the name and the headline figures"
grep -q 'id="evac"' "$tr_tmp/go119.html" && tr_fail "a Go trace got a map chart"

# Deterministic, and -o writes the same bytes.
tr_run trace plot "$tr_data/go119.log" -o "$tr_tmp/again.html"
tr_expect_rc 0
[[ ! -s "$tr_out" ]] || tr_fail "-o: wrote to stdout"
cmp -s "$tr_tmp/go119.html" "$tr_tmp/again.html" || tr_fail "two reports of one log differ"

tr_run trace plot "$tr_data/mapgc.log" -o "$tr_tmp/mapgc.html"
tr_expect_rc 0
check_html "$tr_tmp/mapgc.html" 5
for want in 'id="heap"' 'id="pauses"' 'id="cpu"' 'id="evac"' 'id="iter"' 'heap goal (a target, not heap in use)' \
	'evacuated (E)' 'KB held only by iterators'; do
	grep -qF "$want" "$tr_tmp/mapgc.html" || tr_fail "mapgc.html lacks '$want'"
done

# The other samples render too (Go 1.5, 1.6 with sysmon, malformed: exit 1
# but a report with the errors listed).
tr_run trace plot "$tr_data/go15.log" -o "$tr_tmp/go15.html"
tr_expect_rc 0
check_html "$tr_tmp/go15.html" 3
tr_run trace plot "$tr_data/malformed.log" -o "$tr_tmp/malformed.html"
tr_expect_rc 1
check_html "$tr_tmp/malformed.html" 6
grep -q '<li>line 20: ' "$tr_tmp/malformed.html" || tr_fail "the report does not list the malformed lines"

# wb lines (wbtrace=1) add the wb chart; without them there is none.
tr_run trace plot "$tr_data/wbtrace.log" -o "$tr_tmp/wbtrace.html"
tr_expect_rc 0
check_html "$tr_tmp/wbtrace.html" 6
for want in 'id="wb"' 'barrier slow paths' 'greyed by the insertion half (new values)' 'mode=yuasa slow='; do
	grep -qF "$want" "$tr_tmp/wbtrace.html" || tr_fail "wbtrace.html lacks '$want'"
done
grep -q 'id="wb"' "$tr_tmp/mapgc.html" && tr_fail "a trace without wb lines got a wb chart"
tr_run trace plot "$tr_data/mapgc.log" --svg wb
tr_expect_rc 1
grep -q "has no wb lines (MAPGC_DEBUG=wbtrace=1)" "$tr_err" || tr_fail "--svg wb without wb lines: no explanation$(tr_tail)"

# --svg: one standalone chart per name.
for chart in heap pauses cpu evac iter wb; do
	tr_run trace plot "$tr_data/wbtrace.log" --svg "$chart" -o "$tr_tmp/$chart.svg"
	tr_expect_rc 0
	head -n 2 "$tr_tmp/$chart.svg" | grep -q '^<svg xmlns="http://www.w3.org/2000/svg"' ||
		tr_fail "--svg $chart: not a standalone SVG"
	[[ $(tail -n 1 "$tr_tmp/$chart.svg") == '</svg>' ]] || tr_fail "--svg $chart: does not end with </svg>"
	[[ $(grep -o '<svg ' "$tr_tmp/$chart.svg" | wc -l) -eq 1 ]] || tr_fail "--svg $chart: not one chart"
done
tr_run trace plot "$tr_data/go119.log" --svg evac
tr_expect_rc 1
grep -q "has no map lines" "$tr_err" || tr_fail "--svg evac of a Go trace: no explanation$(tr_tail)"
[[ ! -s "$tr_out" ]] || tr_fail "--svg evac of a Go trace wrote a chart"

# --reach-dir: pictures are linked when there are some, else no section.
mkdir -p "$tr_tmp/reach"
tr_run trace plot "$tr_data/mapgc.log" --reach-dir "$tr_tmp/reach"
tr_expect_rc 0
grep -q 'id="reach"' "$tr_out" && tr_fail "--reach-dir without pictures made a section"
cp "$tr_tmp/heap.svg" "$tr_tmp/reach/m1.svg"
cp "$tr_tmp/iter.svg" "$tr_tmp/reach/m2.svg"
(cd "$tr_tmp" && tr_run trace plot "$tr_data/mapgc.log" --reach-dir reach -o with-reach.html) ||
	tr_fail "plot --reach-dir"
check_html "$tr_tmp/with-reach.html" 5
[[ $(grep -c '<figure><a href="reach/m[12].svg"><img src="reach/m[12].svg"' "$tr_tmp/with-reach.html") -eq 2 ]] ||
	tr_fail "--reach-dir: the two pictures are not linked relative to the report"

tr_note "ok"
