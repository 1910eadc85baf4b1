#!/usr/bin/env bash
# maptrace_grow_iterate.sh — `mapgc stress grow-iterate` with its defaults and
# MAPGC_DEBUG=gctrace=1,maptrace=1 shows, in its map lines: cycles with
# growing maps, old arrays evacuated but not finished (0 < E < O), and at least
# one bucket array alive only because an iterator holds it; every map line
# has the contract's form and follows the gc line of the same cycle.
set -u -o pipefail
export LC_ALL=C
if [[ -z "${MAPGC_BIN:-}" ]]; then
	echo "SKIP: the mapgc command is not built (MAPGC_BIN empty)" >&2
	exit 77
fi
fail() { echo "FAIL [maptrace_grow_iterate]: $*" >&2; exit 1; }

err=$(mktemp) || fail mktemp
trap 'rm -f "$err"' EXIT
env -u MAPGC_GOGC -u MAPGC_MEMLIMIT MAPGC_DEBUG=gctrace=1,maptrace=1 \
	timeout 300 "$MAPGC_BIN" stress grow-iterate --seed 1 >/dev/null 2>"$err" ||
	fail "mapgc stress grow-iterate exited $?: $(tail -3 "$err")"

map_re='^map [0-9]+ @[0-9]+\.[0-9]{3}s: [0-9]+ maps, [0-9]+ growing \([0-9]+ same-size\), [0-9]+ iters: [0-9]+\+[0-9]+ buckets new\+old, [0-9]+/[0-9]+ evacuated, [0-9]+\+[0-9]+ overflow new\+old, [0-9]+ iter-only arrays [0-9]+ KB, tophash [0-9]+/[0-9]+/[0-9]+/[0-9]+/[0-9]+/[0-9]+ full/emptyOne/emptyRest/evacX/evacY/evacEmpty$'
nmap=$(grep -c '^map ' "$err")
[[ $nmap -gt 0 ]] || fail "no map lines"
bad=$(grep '^map ' "$err" | grep -Ev "$map_re" | head -3)
[[ -z $bad ]] || fail "malformed map lines: $bad"
# (mawk, Debian's awk, has no {n} intervals: the format is checked above.)
awk '
	/^gc [0-9]+ / { gcn = $2; gct = $3; next }
	/^map / {
		nmap++
		if ($2 != gcn || $3 != gct ":") { print "map line " NR " does not follow its gc line: " $0; bad = 1 }
		for (i = 1; i <= NF; i++) {
			if ($i == "growing") growing = $(i - 1)
			if ($i == "evacuated,") split($(i - 1), eo, "/")
			if ($i == "iter-only") iteronly = $(i - 1)
		}
		if (growing > 0) ngrowing++
		if (eo[1] + 0 > 0 && eo[1] + 0 < eo[2] + 0) npartial++
		if (iteronly > 0) niter++
	}
	END {
		printf "map lines %d: growing in %d, partly evacuated in %d, iter-only arrays in %d\n", nmap, ngrowing, npartial, niter
		if (bad || nmap == 0 || ngrowing == 0 || npartial == 0 || niter == 0) exit 1
	}' "$err" || fail "expected growing maps, partly evacuated old arrays and an iter-only array in the map lines"
