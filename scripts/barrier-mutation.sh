#!/usr/bin/env bash
# barrier-mutation.sh — mutation testing of the write barriers: does the
# stress suite notice when any single barrier is missing?
#
#   scripts/barrier-mutation.sh [--source DIR] [--work DIR] [--jobs N]
#                               [--timeout SECONDS] [--only REGEX] [--list]
#
# 1. Finds the barrier call sites mechanically, in maptype/*.c, gc/*.c and
#    gc/gc.h: every call (not definition or declaration) of gc_store,
#    gc_bulk_barrier, mg_store, gc_wb_slow, and of map.c's barrier paths
#    value_set, value_clear and cell_move; plus the gc_shade calls inside
#    gc/barrier.c (the barrier modes themselves).
# 2. For each site, in a scratch copy of the tree (DIR, default: this
#    repository; the copy leaves out build/), replaces that one call by the
#    plain store it guards (gc_store/mg_store: *(void **)slot = ptr;
#    value_set/cell_move: the plain copy; value_clear: the plain memset;
#    gc_bulk_barrier, gc_wb_slow, gc_shade: nothing — the copy or store
#    they precede stays), rebuilds `mapgc` and the map fuzzer's replay
#    driver (RelWithDebInfo), and runs the suite (below, `suite=`): the
#    fuzz corpus tests/fuzz/corpus/map (map operations between hand-driven
#    mark steps, checkmark, heap verifier), then every stress workload, map
#    ones and graph, under each safe barrier (hybrid, yuasa, dijkstra) with
#    MAPGC_DEBUG=gccheckmark=1, first with heapcheck=1 (the tri-colour
#    invariant after every mark slice), then with tiny mark slices
#    (gcslice=256) and two seeds, GOGC 5–10 so marking interleaves with the
#    mutations (graph and ptr-values also with wbtrace=1, whose counted
#    slow paths are barrier sites of their own) — until one run fails: a fatal error (checkmark, heap check,
#    bad pointer), a fuzzer divergence, a signal, a timeout, or a checksum
#    different from the unmutated build's.  That run detected the mutant.
# 3. Prints one line per site (file:line, what was removed, DETECTED by
#    which run or UNDETECTED) and detected/total.  Undetected sites need a
#    test that catches them or an argument why the barrier is not needed
#    (see the report of issue 7).
#
#   --jobs N      mutants built and run in parallel, each in its own copy (default 2)
#   --timeout S   limit per stress run (default 60); a run that hangs counts as detected
#   --only REGEX  only the sites whose "file:line:function" matches
#   --list        list the sites and exit
#   --work DIR    scratch directory (default: a fresh mktemp -d, removed at the end)
#
# Exit status: 0 every mutant detected, 1 some survived (or the unmutated
# suite failed), 2 usage.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source_dir=$src
work=""
jobs=2
run_timeout=60
only=""
list=0

while [[ $# -gt 0 ]]; do
	case $1 in
	--source) source_dir=$(cd "$2" && pwd) || exit 2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--timeout) run_timeout=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--list) list=1; shift ;;
	-h|--help) usage ;;
	*) echo "barrier-mutation: unknown argument '$1'" >&2; usage ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage

# ---- 1. the sites -------------------------------------------------------------

# file:line:function, one per barrier call.  A line that defines or declares
# the function (a return type before the name) is not a call.
find_sites() {
	(
		cd "$source_dir" || exit 1
		grep -nE '\b(gc_store|gc_bulk_barrier|mg_store|gc_wb_slow|value_set|value_clear|cell_move)\(' \
			maptype/*.c gc/*.c gc/gc.h |
			grep -vE '^[^:]+:[0-9]+:[[:space:]]*(static[[:space:]]+)?(inline[[:space:]]+)?(MG_API[[:space:]]+)?(void|bool)[[:space:]]+[a-z_]+\(' |
			grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)'
		grep -nHE '\bgc_shade\(' gc/barrier.c
	) | while IFS=: read -r file line code; do
		fn=$(grep -oE '\b(gc_store|gc_bulk_barrier|mg_store|gc_wb_slow|value_set|value_clear|cell_move|gc_shade)\(' <<<"$code" | head -n 1)
		echo "$file:$line:${fn%(}"
	done
}

select_sites() {
	mapfile -t sites < <(find_sites | sort -t: -k1,1 -k2,2n)
	if [[ -n $only ]]; then
		mapfile -t sites < <(printf '%s\n' "${sites[@]}" | grep -E -- "$only")
	fi
	((${#sites[@]} > 0)) || { echo "barrier-mutation: no barrier sites found in $source_dir" >&2; exit 1; }
}

if ((list)); then
	select_sites
	for s in "${sites[@]}"; do
		IFS=: read -r file line fn <<<"$s"
		printf '%-22s %-16s %s\n' "$file:$line" "$fn" "$(sed -n "${line}p" "$source_dir/$file" | sed 's/^[[:space:]]*//')"
	done
	echo "${#sites[@]} sites"
	exit 0
fi

# ---- 2. scratch copies, the suite ---------------------------------------------

cleanup_work=0
if [[ -z $work ]]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-mutation.XXXXXX") || exit 1
	cleanup_work=1
fi
mkdir -p "$work"
[[ $cleanup_work -eq 1 ]] && trap 'rm -rf "$work"' EXIT

# The replacements, appended after a mutated file's last #include: the
# plain stores the barriers guard.  Unused static inline functions draw no
# warning.
cat >"$work/mut_helpers.inc" <<'EOF'
/* ---- barrier-mutation.sh: this site's barrier replaced by the plain store ---- */
static inline void mut_gc_store(mg_runtime *rt, void *slot, void *ptr) { (void)rt; *(void **)slot = ptr; }
#define mut_mg_store mut_gc_store
static inline void mut_gc_bulk_barrier(mg_runtime *rt, const rt_typeinfo *ti, void *dst, const void *src, size_t n)
{ (void)rt; (void)ti; (void)dst; (void)src; (void)n; }
static inline void mut_gc_wb_slow(mg_runtime *rt, void **slot, void *ptr) { (void)rt; (void)slot; (void)ptr; }
static inline bool mut_gc_shade(mg_runtime *rt, void *p) { (void)rt; (void)p; return false; }
static inline void mut_value_set(mg_runtime *rt, const rt_typeinfo *ti, void *dst, const void *src)
{ (void)rt; memcpy(dst, src, ti->elem_size); }
static inline void mut_value_clear(mg_runtime *rt, const rt_typeinfo *ti, void *dst)
{ (void)rt; memset(dst, 0, ti->elem_size); }
static inline void mut_cell_move(mg_runtime *rt, const rt_typeinfo *ti, bool indirect, void *dst, void *src)
{ (void)rt; if (indirect) *(void **)dst = *(void **)src; else memcpy(dst, src, ti->elem_size); }
/* ---- end barrier-mutation.sh ---- */
EOF

# The suite, cheapest and most sensitive first.  Entries are
# KIND|MAPGC_DEBUG|ARGS:
#   replay  the map fuzzer's corpus (tests/fuzz/corpus/map) replayed by
#           mapgc-fuzz-map-replay: scenarios that drive the mark phase by
#           hand between map operations, with checkmark and the heap
#           verifier (ARGS: corpus directories, relative to the tree)
#   stress  `mapgc stress ARGS` with MAPGC_DEBUG (and --seed, --gogc in ARGS)
suite=("replay||tests/fuzz/corpus/map")
workloads=(
	"graph --live 3000 --ops 40000"
	"ptr-values --live 2000 --ops 40000"
	"grow-iterate --live 1500 --ops 15000"
	"churn --live 2000 --ops 40000"
	"delete-all --live 2000 --ops 20000"
	"string-keys --live 2000 --ops 30000"
	"big-values --live 800 --ops 15000"
	"noptr --live 2000 --ops 30000"
	"many-maps --live 600 --ops 15000"
)
barriers=(hybrid yuasa dijkstra)
# The heap verifier after every slice catches a missing barrier the moment
# it breaks the tri-colour invariant, even when the object survives by
# luck; small sizes keep its whole-heap walks cheap.
for w in "${workloads[@]}"; do
	for b in "${barriers[@]}"; do
		suite+=("stress|gccheckmark=1,heapcheck=1,gcslice=2048,wb=$b|$w --seed 1 --gogc 5")
	done
done
# The barrier study's counted slow paths (gc/barrier.c: the same shades,
# run only under wbtrace=1), on a graph and a map workload.
for w in "${workloads[@]:0:2}"; do
	for b in "${barriers[@]}"; do
		suite+=("stress|gccheckmark=1,heapcheck=1,gcslice=2048,wbtrace=1,wb=$b|$w --seed 3 --gogc 5")
	done
done
# Checkmark alone, tiny slices, more seeds: the lost object itself.
for seed in 1 2; do
	for w in "${workloads[@]}"; do
		for b in "${barriers[@]}"; do
			suite+=("stress|gccheckmark=1,gcslice=256,wb=$b|$w --seed $seed --gogc 10")
		done
	done
done

# prepare DIR FROM: a copy of the tree FROM and a configured build of `mapgc`.
prepare() {
	local d=$1 from=$2
	mkdir -p "$d/src" "$d/build"
	tar -C "$from" --exclude=./build --exclude=./.git -cf - . | tar -C "$d/src" -xf -
	cmake -S "$d/src" -B "$d/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DMAPGC_BUILD_TESTS=ON -DMAPGC_WERROR=OFF >"$d/cmake.log" 2>&1 &&
		ninja -C "$d/build" $(build_targets "$d/build") >"$d/build.log" 2>&1
}

# mapgc, and the fuzz replay driver when the tree has it.
build_targets() {
	local targets
	# Not `ninja … | grep -q`: under pipefail, grep closing the pipe early
	# would make ninja's SIGPIPE fail the test now and then.
	targets=$(ninja -C "$1" -t targets all 2>/dev/null)
	if grep -q '^mapgc-fuzz-map-replay:' <<<"$targets"; then
		echo mapgc mapgc-fuzz-map-replay
	else
		echo mapgc
	fi
}

# run_suite BUILD SRC OUT [REF]: runs the suite with the binaries of BUILD
# and the corpus of the tree SRC; OUT gets one line per run: "ok CHECKSUM"
# (stress) or "ok" (replay), or "FAIL what: reason".  With a reference
# file REF (the unmutated results), stops at the first failure or checksum
# difference and returns 1.
run_suite() {
	local build=$1 tree=$2 out=$3 ref=${4:-} i=0 entry kind dbg args rc ck reason what dir
	: >"$out"
	for entry in "${suite[@]}"; do
		IFS='|' read -r kind dbg args <<<"$entry"
		reason="" ck=""
		if [[ $kind == replay ]]; then
			local -a dirs=()
			for dir in $args; do
				dirs+=("$tree/$dir")
			done
			what="mapgc-fuzz-map-replay $args"
			if [[ ! -x $build/fuzz/mapgc-fuzz-map-replay ]]; then
				echo "ok skipped" >>"$out"
				i=$((i + 1))
				continue
			fi
			# The group's 2>/dev/null: bash's own "Aborted" line for a
			# killed child goes there, not into the log.
			{ env -u MAPGC_DEBUG timeout "$run_timeout" "$build/fuzz/mapgc-fuzz-map-replay" "${dirs[@]}" \
				>"$out.stdout" 2>"$out.stderr"; } 2>/dev/null
			rc=$?
			ck=replay
		else
			what="MAPGC_DEBUG=$dbg mapgc stress $args"
			# shellcheck disable=SC2086  # options split on purpose
			{ env -u MAPGC_GOGC -u MAPGC_MEMLIMIT MAPGC_DEBUG="$dbg" \
				timeout "$run_timeout" "$build/mapgc" stress $args >"$out.stdout" 2>"$out.stderr"; } 2>/dev/null
			rc=$?
			ck=$(tail -n 1 "$out.stdout" | sed -n -E 's/^result .* checksum=([0-9a-f]{16})$/\1/p')
		fi
		if ((rc == 124)); then
			reason="hang (${run_timeout}s)"
		elif ((rc > 128)); then
			reason="signal $((rc - 128)): $(grep -m 1 -E '^(fatal error|panic|runtime):|DIVERGENCE|ERROR:' "$out.stderr")"
		elif ((rc != 0)); then
			reason="status $rc: $(grep -m 1 -E '^(fatal error|panic|runtime):|DIVERGENCE' "$out.stderr" || tail -n 1 "$out.stderr")"
		elif [[ -z $ck ]]; then
			reason="no result line"
		elif [[ -n $ref ]]; then
			local want
			want=$(sed -n "$((i + 1))p" "$ref" | cut -d' ' -f2)
			[[ $ck == "$want" ]] || reason="checksum $ck, unmutated $want"
		fi
		if [[ -n $reason ]]; then
			echo "FAIL $what: $reason" >>"$out"
			[[ -n $ref ]] && return 1
		else
			echo "ok $ck" >>"$out"
		fi
		i=$((i + 1))
	done
	return 0
}

# mutate SRC FILE LINE FN: replaces the call of FN on that line by mut_FN
# and inserts the helpers after the file's last #include.
mutate() {
	local d=$1 file=$2 line=$3 fn=$4 last
	sed -i "${line}s/\\b${fn}(/mut_${fn}(/" "$d/$file"
	grep -q "mut_${fn}(" "$d/$file" || return 1
	last=$(grep -n '^#include' "$d/$file" | tail -n 1 | cut -d: -f1)
	sed -i "${last}r $work/mut_helpers.inc" "$d/$file"
}

t0=$EPOCHREALTIME
# The unmutated build: the pristine copy every mutant starts from (so
# edits to the source tree during the run do not leak in), the reference
# checksums, and the suite must pass on it.
prepare "$work/ref" "$source_dir" || { echo "barrier-mutation: the unmutated tree does not build, see $work/ref/build.log" >&2; exit 1; }
pristine=$work/ref/src
source_dir=$pristine select_sites
echo "barrier-mutation: ${#sites[@]} sites; suite of ${#suite[@]} runs per mutant; $jobs job(s); work in $work"
run_suite "$work/ref/build" "$work/ref/src" "$work/ref.results"
if grep -q '^FAIL' "$work/ref.results"; then
	echo "barrier-mutation: the suite fails on the unmutated tree:" >&2
	grep '^FAIL' "$work/ref.results" >&2
	exit 1
fi
echo "reference: ${#suite[@]} runs pass ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')s)"

# worker J: the sites with index ≡ J (mod jobs), in its own copy.
worker() {
	local j=$1 d="$work/w$1" k site file line fn res
	prepare "$d" "$pristine" || { echo "worker $j: build failed" >&2; return 1; }
	for ((k = j; k < ${#sites[@]}; k += jobs)); do
		site=${sites[$k]}
		IFS=: read -r file line fn <<<"$site"
		res="$work/result.$k"
		cp "$pristine/$file" "$d/src/$file"
		if ! mutate "$d/src" "$file" "$line" "$fn"; then
			echo "$file:$line $fn ERROR could not apply the mutation" >"$res"
			continue
		fi
		if ! ninja -C "$d/build" $(build_targets "$d/build") >"$d/build.$k.log" 2>&1; then
			echo "$file:$line $fn ERROR the mutant does not build (see $d/build.$k.log)" >"$res"
		elif run_suite "$d/build" "$d/src" "$d/run.$k" "$work/ref.results"; then
			echo "$file:$line $fn UNDETECTED" >"$res"
		else
			echo "$file:$line $fn DETECTED $(grep -m 1 '^FAIL' "$d/run.$k" | cut -c6-)" >"$res"
		fi
		cp "$pristine/$file" "$d/src/$file"
		echo "[$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%5.0f", b - a }')s] $(cat "$res")"
	done
	# Leave the copy as built from pristine sources.
	ninja -C "$d/build" $(build_targets "$d/build") >/dev/null 2>&1
}

pids=()
for ((j = 0; j < jobs; j++)); do
	worker "$j" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
done

# ---- 3. the report ------------------------------------------------------------

echo
echo "==== barrier mutation report ===="
detected=0 undetected=0 errors=0
for ((k = 0; k < ${#sites[@]}; k++)); do
	res=$(cat "$work/result.$k" 2>/dev/null || echo "${sites[$k]} ERROR no result")
	IFS=: read -r file line fn <<<"${sites[$k]}"
	code=$(sed -n "${line}p" "$pristine/$file" | sed 's/^[[:space:]]*//')
	case $res in
	*" DETECTED "*) detected=$((detected + 1)) ;;
	*" UNDETECTED"*) undetected=$((undetected + 1)) ;;
	*) errors=$((errors + 1)) ;;
	esac
	printf '%s\n    %s\n' "$res" "$code"
done
total=${#sites[@]}
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
echo "detected $detected/$total ($undetected undetected, $errors errors) in ${secs}s"
((undetected == 0 && errors == 0))
