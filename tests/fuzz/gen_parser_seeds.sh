#!/usr/bin/env bash
# gen_parser_seeds.sh — (re)writes the seed inputs of the parser fuzzers:
#   tests/fuzz/corpus/trace/     gc-*, map-*, malformed-*, noise-*, empty (wb lines in
#                                gc-mapgc-wbtrace and malformed-wb-limits)
#   tests/fuzz/corpus/snapshot/  json-*, bad-*, v8-*
#
#   tests/fuzz/gen_parser_seeds.sh [BUILD_DIR]     (default build/debug)
#
# Sources: the sample logs and snapshots of tests/data (trace/, reach/);
# traces and heap snapshots of short `mapgc stress` runs (BUILD_DIR/mapgc,
# MAPGC_DEBUG=gctrace/maptrace/heapdump; GOGC=1 brings the heap goal down
# to 40 KB, so a few thousand operations run cycles and the snapshots stay
# under 20 KiB); a real Go 1.19 log of tests/data/trace/go/main.go when
# /usr/lib/go-1.19/bin/go (or go on PATH) is there; hand-written hostile
# lines.  The names matter to ctest (cmake/MapgcFuzz.cmake): gc-* hold gc
# lines (negative_trace_roundtrip), malformed-* errors
# (negative_trace_lineno), json-* load (negative_snapshot_roundtrip),
# json-mapgc-* have objects dominated by others (negative_snapshot_dom),
# bad-* and v8-* must be rejected.  Timings and addresses in the mapgc and
# Go outputs differ run to run: the committed files are one such run.
set -eu -o pipefail
export LC_ALL=C

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$src/build/debug}
mapgc=$build/mapgc
[[ -x $mapgc ]] || { echo "gen_parser_seeds: $mapgc is not built" >&2; exit 2; }
trace=$src/tests/fuzz/corpus/trace
snap=$src/tests/fuzz/corpus/snapshot
data=$src/tests/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$trace" "$snap"

# ---- trace -------------------------------------------------------------------

cp "$data/trace/go119.log" "$trace/gc-go119-data"
cp "$data/trace/go16.log" "$trace/gc-go16-data"
cp "$data/trace/go15.log" "$trace/gc-go15-data"
cp "$data/trace/malformed.log" "$trace/malformed-data"

go=/usr/lib/go-1.19/bin/go
[[ -x $go ]] || go=$(command -v go || true)
if [[ -n $go ]]; then
	mkdir "$tmp/go" && cp "$data/trace/go/main.go" "$tmp/go/"
	(cd "$tmp/go" && HOME=$tmp GOCACHE=$tmp/cache GO111MODULE=off GODEBUG=gctrace=1 \
		"$go" run main.go 2>"$tmp/go.log" >/dev/null)
	head -n 40 "$tmp/go.log" >"$trace/gc-go119-real"
fi

MAPGC_DEBUG=gctrace=1,maptrace=2,seed=1 "$mapgc" stress noptr --ops 3000 --live 200 --gogc 1 --seed 1 \
	2>"$tmp/noptr.log" >/dev/null
head -n 60 "$tmp/noptr.log" >"$trace/gc-mapgc-maptrace2"
MAPGC_DEBUG=gctrace=1,maptrace=1,seed=1 "$mapgc" stress grow-iterate --ops 4000 --live 100 --gogc 1 --seed 1 \
	2>"$tmp/gi.log" >/dev/null
head -n 40 "$tmp/gi.log" >"$trace/gc-mapgc-maptrace1"
grep '^map ' "$tmp/noptr.log" | head -n 5 >"$trace/map-lines"
# wb lines of four runs (--compare-barriers: hybrid, yuasa, dijkstra, stw).
MAPGC_DEBUG=gctrace=1,maptrace=1 "$mapgc" stress grow-iterate --ops 3000 --live 100 --gogc 1 --seed 1 \
	--compare-barriers --trace-file "$tmp/wb.log" >/dev/null
head -n 40 "$tmp/wb.log" >"$trace/gc-mapgc-wbtrace"

# Prefixed records, "GC forced", CRLF and blanks, "gc #N", forced cycles.
{
	printf 'Feb 26 12:52:23.767 host app[42]: gc 93 @3074.095s 0%%: 0.036+1.6+0.004 ms clock, 0.14+0.54/1.4/3.2+0.017 ms cpu, 4->4->1 MB, 5 MB goal, 4 P\n'
	printf 'GC forced\n'
	printf 'gc 94 @3194.100s 0%%: 0.040+1.2+0.005 ms clock, 0.16+0/1.1/2.9+0.020 ms cpu, 4->4->1 MB, 5 MB goal, 4 P\r\n'
	printf 'round 5: 200 entgc 95 @3194.5s 0%%: 0.1+0.2+0.3 ms clock, 1+2/3/4+5 ms cpu, 1->2->3 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)\t \n'
	printf 'gc #96 @3200.000s 1%%: 1+2+3+4+5 ms clock, 1+2+3+4/5/6+7 ms cpu, 9->9->8 MB, 10 MB goal, 1 P (forced)\n'
	printf 'mapev iter m#3 bucket=2 offset=5 growing=1\n'
	printf 'scvg0: inuse: 4, idle: 0, sys: 4, released: 0, consumed: 4 (MB)\n'
	printf 'gc 1 @0.000s 0%%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 0->0->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P'
} >"$trace/gc-prefixed-forced"

# Every gc and map line of the samples cut short, one per line.
{
	line=$(sed -n 2p "$data/trace/go119.log")
	for ((k = 3; k < ${#line}; k += 9)); do printf '%s\n' "${line:0:k}"; done
	line=$(grep -m1 '^map ' "$tmp/noptr.log")
	for ((k = 4; k < ${#line}; k += 11)); do printf '%s\n' "${line:0:k}"; done
} >"$trace/malformed-truncated"

{
	printf 'mapev\n'
	printf 'mapev grow\n'
	printf 'mapev grow m#\n'
	printf 'mapev grow m#18446744073709551616 B=1->2\n'
	printf 'mapev evacuate m#1 old=0 x=3 y=5 old_cells=kept =bad\n'
	printf 'mapev a-very-long-event-name-beyond-thirty-one m#1\n'
	printf 'mapev evacuate m#1 k1=1 k2=2 k3=3 k4=4 k5=5 k6=6 k7=7 k8=8 k9=9 k10=10 k11=11 k12=12 k13=13 k14=14 k15=15 k16=16 k17=17\n'
	printf 'mapev growdone m#2 B=3 released=18446744073709551615\n'
	printf 'mapev growdone m#2 B=3 released=99999999999999999999\n'
	printf 'mapev clear m#4 v=\x00\xff\x80 w=\n'
	printf 'map 3 @0.1s: 1 maps, 0 growing (0 same-size), 0 iters: 1+0 buckets new+old, 0/0 evacuated, 0+0 overflow new+old, 0 iter-only arrays 0 KB, tophash 8/0/0/0/0/0 full/emptyOne/emptyRest/evacX/evacY/evacEmpty extra\n'
	printf 'gc 1 @18446744073.709551616s 0%%: 1+1+1 ms clock, 1+1/1/1+1 ms cpu, 1->1->1 MB, 1 MB goal, 1 P\n'
	printf 'gc 2 @1.5s 0%%: 18446744073709.551616+1+1 ms clock, 1+1/1/1+1 ms cpu, 1->1->1 MB, 1 MB goal, 1 P\n'
	printf 'gc 3 @1.5s 0%%: 1+1+1+1 ms clock, 1+1/1/1+1 ms cpu, 1->1->1 MB, 1 MB goal, 1 P\n'
	printf 'gc 4 @1.5s 0%%: 1+1+1+1+1 ms clock, 1+1+1+1/1/1+1 ms cpu, 1->1->1 MB, 1 MB goal, 0 MB stacks, 0 MB globals, 1 P\n'
} >"$trace/malformed-mapev-limits"

# wb lines: cut short, keys missing, repeated, unknown, out of order, out
# of range, a long mode; a good one last.
{
	line='wb 12 @0.250s: mode=dijkstra slow=105202 shaded_old=0 shaded_new=6667 buffered=0 flushes=0 rescan_kb=2 floating_kb=302'
	for ((k = 3; k < ${#line}; k += 7)); do printf '%s\n' "${line:0:k}"; done
	printf 'wb 1 @0.1s: mode=yuasa slow=1 slow=2 shaded_old=0 shaded_new=0 buffered=0 flushes=0 rescan_kb=0 floating_kb=0\n'
	printf 'wb 1 @0.1s: mode=yuasa floating_kb=1 future=x shaded_new=0 slow=9 shaded_old=0 buffered=0 flushes=0 rescan_kb=0 =\n'
	printf 'wb 1 @0.1s: mode=yuasa floating_kb=1 future=\x00\xff shaded_new=0 slow=9 shaded_old=0 buffered=0 flushes=0 rescan_kb=0\n'
	printf 'wb 1 @0.1s: mode=yuasa slow=18446744073709551616 shaded_old=0 shaded_new=0 buffered=0 flushes=0 rescan_kb=0 floating_kb=0\n'
	printf 'wb 1 @0.1s: mode=a-mode-name-too-long slow=0\n'
	printf 'wb 18446744073709551615 @18446744073.709s: mode=none slow=18446744073709551615 shaded_old=0 shaded_new=0 buffered=0 flushes=0 rescan_kb=0 floating_kb=18446744073709551615\n'
	printf '%s\n' "$line"
} >"$trace/malformed-wb-limits"

# Lines over TRACE_LINE_MAX (4096): one that starts like a gc line (an
# error), one that does not (passed over), then a good line.
{
	printf 'gc 7 @0.5s 1%%: '; head -c 4200 /dev/zero | tr '\0' '1'; printf '\n'
	head -c 4150 /dev/zero | tr '\0' 'x'; printf '\n'
	sed -n 3p "$data/trace/go119.log"
} >"$trace/malformed-long-lines"

head -c 1500 "$data/reach/small.json" >"$trace/noise-json"
printf '\x00\x01gc \x00map \nmapev\x00 m#1\n\xff\xfe\n\n\r\n' >"$trace/noise-binary"
: >"$trace/empty"

# ---- snapshot -----------------------------------------------------------------

cp "$data/reach/small.json" "$snap/json-small"
for f in bad_chain dangling_edge dangling_root huge_number not_json truncated version2 wrong_schema wrong_type; do
	cp "$data/reach/$f".* "$snap/bad-${f//_/-}"
done

# Heap snapshots (JSON and V8) of short runs, at the end of cycle 2.
dump() {   # WORKLOAD OPS LIVE
	(cd "$tmp" && MAPGC_DEBUG=heapdump=2,seed=1 "$mapgc" stress "$1" --ops "$2" --live "$3" --gogc 1 --seed 1 \
		>/dev/null 2>&1)
	mv "$tmp/mapgc-heap-2.json" "$snap/json-mapgc-$1"
	mv "$tmp/mapgc-heap-2.heapsnapshot" "$snap/v8-$1"
}
dump noptr 3000 60
dump grow-iterate 3000 60
dump ptr-values 3000 60
dump churn 3000 60
dump string-keys 6000 20
dump many-maps 3000 12

# A hand-made graph: ids out of order, cycles, a self-edge, element
# labels, a null root, two roots on one object, unreachable objects, a
# diamond (no single dominator) and a chain (one dominator per link).
cat >"$snap/json-graph-shapes" <<'EOF'
{"schema":"mapgc.heapsnapshot","version":1,"cycle":7,"time_s":1.5,"live_bytes":160,"nobjects":8,
"roots":[{"kind":"scope","name":"a","to":10},{"kind":"global","name":"b","to":10},{"kind":"global","name":"n","to":null}],
"objects":[
{"id":10,"type":"node","size":16,"edges":[{"label":"l","to":20},{"label":"r","to":30},{"label":"self","to":10}]},
{"id":20,"type":"node","size":16,"edges":[{"label":"[0].x","to":40}]},
{"id":30,"type":"node","size":16,"edges":[{"label":"[1].y","to":40},{"label":"[4294967295].z","to":40}]},
{"id":40,"type":"node","size":32,"edges":[{"label":"next","to":50}]},
{"id":50,"type":"node","size":32,"edges":[{"label":"back","to":40},{"label":"","to":60}]},
{"id":60,"type":"leaf","array":true,"len":3,"size":24,"edges":[]},
{"id":70,"type":"garbage","size":8,"edges":[{"label":"g","to":80}]},
{"id":80,"type":"garbage","size":16,"edges":[{"label":"g","to":70},{"label":"h","to":10}]}]}
EOF
ls "$trace" "$snap" | wc -l
