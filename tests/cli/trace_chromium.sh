#!/usr/bin/env bash
# trace_chromium.sh — the `mapgc trace plot` report in a real browser:
# headless Chromium renders the reports of a Go 1.19 log and of a mapgc
# log (and one standalone --svg chart) with no console error and no
# network access, the DOM it builds holds every chart, and the screenshot
# is a non-trivial PNG of the requested size (a blank page compresses to
# a few KB; a report with its charts to well over 50 KB).
#
# Needs the Debian package `chromium`; skipped (77) without it, or set
# CHROMIUM=/path/to/chrome.
# labels: chromium
# shellcheck source-path=SCRIPTDIR source=trace_golden.sh
source "$(dirname "${BASH_SOURCE[0]}")/trace_golden.sh" || exit 1

browser=${CHROMIUM:-}
if [[ -z "$browser" ]]; then
	for b in chromium chromium-browser google-chrome; do
		if command -v "$b" >/dev/null 2>&1; then
			browser=$(command -v "$b")
			break
		fi
	done
fi
[[ -n "$browser" && -x "$browser" ]] || tr_skip "no Chromium (apt-get install chromium, or set CHROMIUM)"

width=1200
height=1600
chrome_timeout=${TR_CHROME_TIMEOUT:-120}

# chrome OUT_PREFIX ARGS…: one headless run with a fresh profile; stderr
# (with the console log) in OUT_PREFIX.log.
chrome() {
	local prefix=$1
	shift
	local profile
	profile=$(mktemp -d "$tr_tmp/profile.XXXXXX")
	timeout "$chrome_timeout" "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --disable-extensions \
		--user-data-dir="$profile" --enable-logging=stderr --v=0 "$@" 2>"$prefix.log"
	local rc=$?
	[[ $rc -eq 124 ]] && tr_fail "Chromium timed out after ${chrome_timeout}s: $*"
	return $rc
}

# The PNG's width and height from its IHDR chunk.
png_size() {
	od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%d %d\n", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'
}

# Console messages are logged as "INFO:CONSOLE:N]" (older: "CONSOLE(N)"),
# page errors as "Uncaught …", blocked or failed loads as "Refused to",
# "net::ERR_", "Failed to load resource".
console_re='CONSOLE[(:]|Uncaught|Refused to|net::ERR_|Failed to load resource'
check_console() {
	local what=$1 log=$2
	if grep -E "$console_re" "$log" >/dev/null; then
		tr_fail "$what: browser console errors:
$(grep -E "$console_re" "$log" | head -n 10)"
	fi
}

render() {
	local name=$1 file=$2 charts=$3
	local url="file://$file"

	chrome "$tr_tmp/$name.shot" --screenshot="$tr_tmp/$name.png" --window-size="$width,$height" "$url" ||
		tr_fail "$name: Chromium failed to take a screenshot$(tail -n 5 "$tr_tmp/$name.shot.log")"
	[[ -s "$tr_tmp/$name.png" ]] || tr_fail "$name: no screenshot"
	head -c 8 "$tr_tmp/$name.png" | od -An -tx1 | tr -d ' \n' | grep -qx '89504e470d0a1a0a' ||
		tr_fail "$name: the screenshot is not a PNG"
	read -r w h < <(png_size "$tr_tmp/$name.png")
	[[ $w -eq $width && $h -eq $height ]] || tr_fail "$name: screenshot is ${w}x$h, want ${width}x$height"
	local bytes
	bytes=$(wc -c <"$tr_tmp/$name.png")
	[[ $bytes -gt 50000 ]] || tr_fail "$name: the screenshot is $bytes bytes: blank or nearly so"
	check_console "$name (screenshot)" "$tr_tmp/$name.shot.log"

	chrome "$tr_tmp/$name.dom" --dump-dom "$url" >"$tr_tmp/$name.dom" ||
		tr_fail "$name: Chromium failed to dump the DOM"
	[[ $(grep -o '<svg ' "$tr_tmp/$name.dom" | wc -l) -eq $charts ]] ||
		tr_fail "$name: the rendered DOM has $(grep -o '<svg ' "$tr_tmp/$name.dom" | wc -l) charts, want $charts"
	grep -q '<polyline' "$tr_tmp/$name.dom" || tr_fail "$name: no chart lines in the DOM"
	grep -q 'parsererror' "$tr_tmp/$name.dom" && tr_fail "$name: the browser reports a parse error"
	check_console "$name (DOM)" "$tr_tmp/$name.dom.log"
	tr_note "$name: ${w}x$h screenshot, $bytes bytes, $charts charts"
}

# The console check must see a page error, or it proves nothing.
printf '<!DOCTYPE html>\n<html><body><p>x</p><script>undefinedFunction();</script></body></html>\n' \
	>"$tr_tmp/broken.html"
chrome "$tr_tmp/broken" --dump-dom "file://$tr_tmp/broken.html" >/dev/null ||
	tr_fail "Chromium failed on a trivial page$(tail -n 5 "$tr_tmp/broken.log")"
grep -Eq "$console_re" "$tr_tmp/broken.log" ||
	tr_fail "this Chromium logs page errors in a form the test does not recognise (see $console_re)"

tr_run trace plot "$tr_data/go119.log" -o "$tr_tmp/go119.html"
tr_expect_rc 0
render go119 "$tr_tmp/go119.html" 3

tr_run trace plot "$tr_data/mapgc.log" -o "$tr_tmp/mapgc.html"
tr_expect_rc 0
render mapgc "$tr_tmp/mapgc.html" 5

# A standalone chart renders as an SVG document.
tr_run trace plot "$tr_data/mapgc.log" --svg heap -o "$tr_tmp/heap.svg"
tr_expect_rc 0
chrome "$tr_tmp/heap.shot" --screenshot="$tr_tmp/heap.png" --window-size=980,360 "file://$tr_tmp/heap.svg" ||
	tr_fail "heap.svg: no screenshot"
[[ $(wc -c <"$tr_tmp/heap.png") -gt 8000 ]] || tr_fail "heap.svg: the screenshot looks blank"
check_console "heap.svg" "$tr_tmp/heap.shot.log"

# Keep the screenshots for a human look: TR_KEEP=DIR.
if [[ -n "${TR_KEEP:-}" ]]; then
	mkdir -p "$TR_KEEP" && cp "$tr_tmp"/*.png "$TR_KEEP"/ && tr_note "screenshots in $TR_KEEP"
fi

tr_note "ok"
