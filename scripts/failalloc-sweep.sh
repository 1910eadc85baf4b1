#!/usr/bin/env bash
# failalloc-sweep.sh — out-of-memory sweeps: `mapgc stress` with the N-th
# OS memory request failing, and the `mapgc trace` and `mapgc reach` tools
# under descending `ulimit -v` limits.
#
#   scripts/failalloc-sweep.sh [--quick] [--part stress|tools|all] [--only REGEX]
#                              [--bin PATH] [--timeout SECONDS] [--max-n N]
#
# STRESS PART.  For each configuration below (a workload and its options),
# first a fault-free reference run, then runs with MAPGC_DEBUG=failalloc=N,
# gccheckmark=1 for N = 1, 2, … : the N-th request for memory from the OS
# fails.  Every run must end in exactly one of two ways:
#   - success (status 0) with the reference run's checksum, or
#   - `fatal error: out of memory` on stderr with status 2 (and no other
#     fatal error — a checkmark finding, a bad pointer — before it);
# never a signal, a hang (the per-run timeout), another status, another
# error, or a different checksum.  The sweep of a configuration stops at
# the first N whose run completes: an injected failure is always fatal
# (gc/alloc.c, span_alloc_or_collect), so a completed run injected none —
# N-1 is then the number of OS requests the run makes — and two more N
# are run to confirm that the larger values complete identically.
# Prints one line per configuration: the N range that ended in the
# out-of-memory error, the N that completed, and the checksum.
#
# TOOLS PART.  Inputs made by mapgc itself (a gctrace+maptrace log of
# thousands of lines, a heap snapshot of a few MB in the JSON and the V8
# format, a small one for Graphviz), then every command below — each
# `mapgc trace` mode and --svg chart, and `mapgc reach` reports, DOT, SVG
# through each renderer — first without a limit (the reference), then with
# `ulimit -v KB` (address space) descending: halving from 1 GiB until the
# program cannot even start, bisection to the lowest limit it starts at
# and to the lowest limit it succeeds at (to 256 KiB, 16 with the full
# sweep), and evenly spaced limits between those two (3, or 48); --quick
# leaves out the commands that only repeat another's code path.  Every
# run must end in exactly one of:
#   - the reference's outcome: status, stdout, stderr and every file
#     written identical;
#   - a clean failure: status 1..127, stderr the reference's lines plus one
#     line naming the problem (out of memory / Cannot allocate memory),
#     stdout a prefix of the reference's, and no output file that differs
#     from the reference's: each is absent, complete, or the sentinel the
#     sweep put in its place before the run (never a truncated file);
#   - too little to start: the loader or exec fails (status 126 or 127);
# never a signal, a hang, another status or an extra error line.  The
# first limit (1 GiB) must give the reference's outcome.  An ASan build
# reserves terabytes of shadow address space, so it cannot run under any
# `ulimit -v`: there the sweep limits the largest single allocation
# instead (ASAN_OPTIONS max_allocation_size_mb, allocator_may_return_null),
# halving from 1 GiB to 1 MiB, which drives the big allocations into their
# failure paths under ASan and LeakSanitizer.  Prints one line per command:
# the limits tried, the range that failed cleanly, and where success starts.
#
#   --quick       a few small configurations and inputs, coarser limits (the
#                 default ctest entries reliability_failalloc.sh and
#                 reliability_ulimit.sh); without it, the full sweeps
#                 (reliability_failalloc_full.sh, reliability_ulimit_full.sh,
#                 label slow)
#   --part P      stress, tools, or all (the default)
#   --only REGEX  only the configurations and commands whose name matches
#   --bin PATH    the mapgc binary (default: $MAPGC_BIN, else build/debug/mapgc;
#                 an empty PATH, as ctest passes when mapgc is not built: skip, 77)
#   --timeout S   per-run limit (default 60)
#   --max-n N     stress: give up on a configuration past N faults (default 400)
#
# Exit status: 0 all good, 1 a run misbehaved, 2 usage.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
quick=0
part=all
only=
bin=${MAPGC_BIN:-}
run_timeout=60
max_n=400

while [[ $# -gt 0 ]]; do
	case $1 in
	--quick) quick=1; shift ;;
	--part) part=${2:-}; shift 2 || usage ;;
	--only) only=${2:-}; shift 2 || usage ;;
	--bin)
		[[ $# -ge 2 ]] || usage
		[[ -n $2 ]] || { echo "SKIP: the mapgc command is not built (--bin '')" >&2; exit 77; }
		bin=$2
		shift 2
		;;
	--timeout) run_timeout=${2:-}; shift 2 || usage ;;
	--max-n) max_n=${2:-}; shift 2 || usage ;;
	-h|--help) usage ;;
	*) echo "failalloc-sweep: unknown argument '$1'" >&2; usage ;;
	esac
done
case $part in
stress|tools|all) ;;
*) echo "failalloc-sweep: --part '$part' (want stress, tools or all)" >&2; usage ;;
esac
[[ -n $bin ]] || bin=$src/build/debug/mapgc
[[ -x $bin ]] || { echo "failalloc-sweep: '$bin' is not an executable (build mapgc, or pass --bin)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")   # the tools run in their own directory

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-failalloc.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

bad=0
runs=0
selected() {
	[[ -z $only || $1 =~ $only ]]
}

# ---- the stress workloads under failalloc=N ------------------------------------------

# workload and options; GOGC off makes the heap grow in many 2 MiB steps
# (more fault points), small GOGC puts the faults inside mark phases.
if [[ $quick -eq 1 ]]; then
	configs=(
		"ptr-values --seed 1 --live 8000 --ops 60000 --gogc off"
		"ptr-values --seed 2 --live 3000 --ops 40000 --gogc 10 --barrier yuasa"
		"churn --seed 1 --live 2000 --ops 60000 --gogc off"
		"noptr --seed 1 --live 2000 --ops 40000 --gogc off --barrier dijkstra"
	)
else
	configs=(
		"ptr-values --seed 1 --live 20000 --ops 200000 --gogc off"
		"ptr-values --seed 2 --live 5000 --ops 200000 --gogc 10"
		"ptr-values --seed 3 --live 5000 --ops 100000 --gogc 50 --barrier dijkstra"
		"churn --seed 1 --live 5000 --ops 200000 --gogc off"
		"churn --seed 2 --live 3000 --ops 200000 --gogc 10 --barrier yuasa"
		"noptr --seed 1 --live 5000 --ops 100000 --gogc off"
		"noptr --seed 2 --live 3000 --ops 100000 --gogc 10 --barrier dijkstra"
		"grow-iterate --seed 1 --live 3000 --ops 30000 --gogc off"
		"delete-all --seed 1 --live 3000 --ops 30000 --gogc off"
		"string-keys --seed 1 --live 3000 --ops 50000 --gogc off"
		"big-values --seed 1 --live 1000 --ops 20000 --gogc off"
		"many-maps --seed 1 --live 1000 --ops 20000 --gogc off"
		"graph --seed 1 --live 5000 --ops 50000 --gogc off"
	)
fi

# fail MESSAGE: report a misbehaving run ($fail_cmd: how to repeat it).
fail_cmd=
fail() {
	echo "FAIL: $*" >&2
	[[ -z $fail_cmd ]] || echo "  command: $fail_cmd" >&2
	printf -- '--- stderr (last 10 lines):\n' >&2
	tail -n 10 "$tmp/err" >&2
	printf -- '--- stdout (last 3 lines):\n' >&2
	tail -n 3 "$tmp/out" >&2
	bad=1
}

# run DEBUG ARGS…: leaves $rc, $ck (checksum or empty) and the output files.
run() {
	local debug=$1
	shift
	env -u MAPGC_GOGC -u MAPGC_MEMLIMIT MAPGC_DEBUG="$debug" \
		timeout "$run_timeout" "$bin" stress "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	runs=$((runs + 1))
	ck=$(tail -n 1 "$tmp/out" | sed -n -E 's/^result .* checksum=([0-9a-f]{16})$/\1/p')
}

stress_sweep() {
	local cfg ref n completed dbg what first_fatal last_oom
	for cfg in "${configs[@]}"; do
		selected "$cfg" || continue
		nsweeps=$((nsweeps + 1))
		# shellcheck disable=SC2086  # options split on purpose
		run "gccheckmark=1" $cfg
		if [[ $rc -ne 0 || -z $ck ]]; then
			fail "reference run failed (status $rc): MAPGC_DEBUG=gccheckmark=1 mapgc stress $cfg"
			continue
		fi
		ref=$ck
		n=1
		completed=0
		while ((n <= max_n)); do
			dbg="failalloc=$n,gccheckmark=1"
			# shellcheck disable=SC2086
			run "$dbg" $cfg
			what="MAPGC_DEBUG=$dbg mapgc stress $cfg"
			if ((rc == 124)); then
				fail "hung (no exit within ${run_timeout}s): $what"
				break
			elif ((rc > 128)); then
				fail "killed by signal $((rc - 128)): $what"
				break
			elif ((rc == 0)); then
				if [[ $ck != "$ref" ]]; then
					fail "completed with checksum '$ck', the fault-free run gave $ref: $what"
					break
				fi
				completed=$((completed + 1))
				((completed == 3)) && break
			elif ((rc == 2)); then
				if ((completed > 0)); then
					fail "failalloc=$((n - completed)) completed, but the larger failalloc=$n failed: $what"
					break
				fi
				first_fatal=$(grep -m 1 -E '^(fatal error|panic):' "$tmp/err")
				if [[ $first_fatal != "fatal error: out of memory" ]]; then
					fail "status 2 but the first fatal error is '${first_fatal:-none}', not 'fatal error: out of memory': $what"
					break
				fi
				if [[ -n $ck ]]; then
					fail "status 2 after printing a result line: $what"
					break
				fi
			else
				fail "exit status $rc (want 0, or 2 with out of memory): $what"
				break
			fi
			n=$((n + 1))
		done
		if ((completed == 3)); then
			last_oom=$((n - 3))
			echo "ok: $cfg: failalloc=1..$last_oom out of memory (status 2), failalloc=$((last_oom + 1))..$n completed, checksum $ref"
		elif ((n > max_n)); then
			fail "still injecting faults at failalloc=$max_n: mapgc stress $cfg"
		fi
	done
}
# ---- the tools under `ulimit -v` ---------------------------------------------------

# The inputs, made by mapgc itself: a gctrace+maptrace log of two runs (a
# churn run at GOGC 1 for thousands of gc and map lines, a grow-iterate run
# with maptrace=2 for the mapev lines; their stdout between, as lines to
# pass over), a heap snapshot of a few MB in both formats (reach reads the
# JSON one and rejects the V8 one, an outcome like any other), a small
# snapshot with a few maps for Graphviz, and its SVGs for plot --reach-dir.
tools_inputs() {
	local in=$1 ops1 ops2 ops3
	if ((quick)); then
		ops1=300000 ops2=40000 ops3=60000
	else
		ops1=1000000 ops2=100000 ops3=200000
	fi
	mkdir -p "$in" || return 1
	(
		cd "$in" || exit 1
		export -n MAPGC_GOGC MAPGC_MEMLIMIT
		MAPGC_DEBUG=gctrace=1,maptrace=1 "$bin" stress churn --seed 1 --ops $ops1 --live 2000 --gogc 1 \
			>trace.log 2>&1 &&
			MAPGC_DEBUG=gctrace=1,maptrace=2,gcevery=100 "$bin" stress grow-iterate --seed 1 --ops $ops2 \
				--live 3000 >>trace.log 2>&1 &&
			MAPGC_DEBUG=heapdump=2 "$bin" stress ptr-values --seed 1 --ops $ops3 --live 20000 --gogc 50 \
				>/dev/null &&
			mv mapgc-heap-2.json heap.json && mv mapgc-heap-2.heapsnapshot heap.heapsnapshot &&
			MAPGC_DEBUG=heapdump=3 "$bin" stress grow-iterate --seed 3 --ops 300000 --live 4000 --gogc 25 \
				>/dev/null &&
			mv mapgc-heap-3.json small.json && rm -f mapgc-heap-3.heapsnapshot &&
			"$bin" reach small.json --svg-dir svgs >/dev/null
	) || return 1
	tool_map=$(sed -n -E 's/.*"map":\{"id":([0-9]+).*/\1/p' "$in/heap.json" | head -n 1)
	tool_object=$(grep -o -m 1 '"label":"buckets","to":[0-9]*' "$in/heap.json" | sed 's/.*://')
	small_map=$(sed -n -E 's/.*"map":\{"id":([0-9]+).*/\1/p' "$in/small.json" | head -n 1)
	[[ -n $tool_map && -n $tool_object && -n $small_map ]]
}

# The commands, NAME|STDIN|ENV|ARGS: run in a fresh work directory with the
# inputs in ../in; STDIN a file (else /dev/null), ENV assignments, ARGS
# split on spaces.  Their outputs go to files in the work directory,
# except where stdout itself is the output under test.
tools_define() {
	local m=$tool_map o=$tool_object s=$small_map chart
	tools=(
		"trace-summary|||trace summary ../in/trace.log -o out.txt"
		"trace-summary-stdio|../in/trace.log||trace summary -"
		"trace-csv|||trace csv ../in/trace.log -o out.csv"
		"trace-json|||trace json ../in/trace.log -o out.json"
		"trace-plot|||trace plot ../in/trace.log -o out.html"
		"trace-plot-reach-dir|||trace plot ../in/trace.log --reach-dir ../in/svgs -o out.html"
	)
	for chart in heap pauses cpu evac iter; do
		tools+=("trace-svg-$chart|||trace plot ../in/trace.log --svg $chart -o $chart.svg")
	done
	tools+=(
		"reach-text|||reach ../in/heap.json -o out.txt"
		"reach-stdio|../in/heap.json||reach -"
		"reach-json|||reach ../in/heap.json --json --maps --arrays -o out.json"
		"reach-arrays|||reach ../in/heap.json --arrays -o out.txt"
		"reach-object|||reach ../in/heap.json --object $o -o out.txt"
		"reach-map|||reach ../in/heap.json --map $m --json -o out.json"
		"reach-dot|||reach ../in/heap.json --dot $m -o out.dot"
		"reach-v8|||reach ../in/heap.heapsnapshot"
		"reach-svg-gvc||MAPGC_REACH_RENDER=gvc|reach ../in/small.json --dot $s --svg out.svg"
		"reach-svg-dot||MAPGC_REACH_RENDER=dot|reach ../in/small.json --dot $s --svg out.svg"
		"reach-svg-none||MAPGC_REACH_RENDER=none|reach ../in/small.json --dot $s --svg out.svg"
		"reach-svg-dir|||reach ../in/small.json --svg-dir svgs"
	)
}

# An ASan build cannot start under any `ulimit -v` (its shadow memory is
# reserved address space): limit single allocations instead.
tools_asan=0
if grep -q -a -m 1 '__asan_init' "$bin" 2>/dev/null; then
	tools_asan=1
fi

sentinel="sentinel: written by failalloc-sweep.sh before the run"
tools_oom_re='out of memory|Cannot allocate memory'
tools_asan_warn_re='^==[0-9]+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes$'

# tool_run LIMIT: the current command (tool_stdin, tool_env, tool_args)
# under LIMIT (KiB of address space, or MiB per allocation under ASan;
# 0: none) in $tmp/w, with the sentinels in place.  Leaves $rc, $tmp/out,
# $tmp/err.
tool_run() {
	local limit=$1 f
	local -a envs=(-u MAPGC_DEBUG -u MAPGC_GOGC -u MAPGC_MEMLIMIT)
	rm -rf "$tmp/w" && mkdir "$tmp/w" || exit 1
	for f in "${tool_sentinels[@]}"; do
		echo "$sentinel" >"$tmp/w/$f"
	done
	# shellcheck disable=SC2206  # assignments split on purpose
	[[ -n $tool_env ]] && envs+=($tool_env)
	if ((tools_asan)); then
		envs+=("ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=$limit")
		limit=0
	fi
	# shellcheck disable=SC2086,SC2016  # arguments split on purpose; $0 is bash -c's
	(cd "$tmp/w" && exec env "${envs[@]}" timeout "$run_timeout" \
		bash -c 'if [[ $0 != 0 ]]; then ulimit -v "$0" || exit 125; fi; exec "$@"' "$limit" "$bin" $tool_args \
		<"${tool_stdin:-/dev/null}") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	runs=$((runs + 1))
	if ((tools_asan)); then
		grep -v -E "$tools_asan_warn_re" "$tmp/err" >"$tmp/err.kept"
		mv "$tmp/err.kept" "$tmp/err"
	fi
}

tool_fail() {
	fail_cmd="(cd WORKDIR && ${tool_env:+$tool_env }mapgc $tool_args${tool_stdin:+ <$tool_stdin})"
	fail "$tool_name: $*"
	fail_cmd=
}

# Is this run's outcome the reference's?
tool_same() {
	[[ $rc -eq $ref_rc ]] && cmp -s "$tmp/out" "$tmp/ref.out" && cmp -s "$tmp/err" "$tmp/ref.err" &&
		diff -r -q "$tmp/w" "$tmp/ref.w" >/dev/null
}

# Is every file in the work directory complete (as the reference wrote it)
# or the untouched sentinel?  Names the first that is neither in $why.
tool_files_clean() {
	local f rel
	while IFS= read -r -d '' f; do
		rel=${f#"$tmp/w/"}
		if [[ $(cat "$f") == "$sentinel" ]] || cmp -s "$f" "$tmp/ref.w/$rel"; then
			continue
		fi
		if [[ -e $tmp/ref.w/$rel ]]; then
			why="left $rel different from the reference's ($(wc -c <"$f") bytes, the reference $(wc -c <"$tmp/ref.w/$rel"))"
		else
			why="left $rel, a file the reference run does not write"
		fi
		return 1
	done < <(find "$tmp/w" -type f -print0)
}

# tool_check LIMIT: classify the run just made: $outcome becomes same, oom
# or nostart; anything else is a failure (returns 1).
tool_check() {
	local what="at ${1} $tool_unit" extra n
	if ((rc == 124)); then
		tool_fail "hung (no exit within ${run_timeout}s) $what"
		return 1
	elif ((rc >= 128)); then
		tool_fail "killed by signal $((rc - 128)) $what"
		return 1
	elif tool_same; then
		outcome=same
		return 0
	elif ((rc == 0)); then
		why=$(diff -r -q "$tmp/w" "$tmp/ref.w" | head -n 1)
		cmp -s "$tmp/out" "$tmp/ref.out" || why="stdout differs"
		cmp -s "$tmp/err" "$tmp/ref.err" || why="stderr differs"
		tool_fail "status 0 but not the reference's outcome ($why) $what"
		return 1
	elif ((rc == 126 || rc == 127)); then
		if [[ -s $tmp/out ]] || ! grep -q -E 'error while loading shared libraries|Cannot allocate memory' "$tmp/err"; then
			tool_fail "status $rc without a loader or exec failure $what"
			return 1
		fi
		outcome=nostart
		return 0
	fi
	extra=$(grep -v -x -F -f "$tmp/ref.err" "$tmp/err")
	n=$(grep -c '' <<<"$extra")
	if [[ -z $extra ]]; then
		tool_fail "status $rc with no error message $what"
		return 1
	elif ((n != 1)); then
		tool_fail "status $rc with $n new lines on stderr, want one $what"
		return 1
	elif ! grep -q -E "$tools_oom_re" <<<"$extra"; then
		tool_fail "status $rc, and the message does not name out of memory: '$extra' $what"
		return 1
	elif ! cmp -s "$tmp/out" <(head -c "$(wc -c <"$tmp/out")" "$tmp/ref.out"); then
		tool_fail "status $rc, and stdout is not a prefix of the reference's $what"
		return 1
	elif ! tool_files_clean; then
		tool_fail "status $rc, and the run $why $what"
		return 1
	fi
	outcome=oom
	return 0
}

# tool_try LIMIT: run and check once; records the outcome in res[LIMIT].
tool_try() {
	tool_run "$1"
	tool_check "$1" || return 1
	res[$1]=$outcome
}

# Bisection bounds: lo, the highest limit tried whose outcome matches the
# regex $1 (0: none), and hi, the lowest limit above lo tried with another
# outcome (0: none).
tool_bounds() {
	local k
	lo=0 hi=0
	for k in "${!res[@]}"; do
		[[ ${res[$k]} =~ $1 ]] && ((k > lo)) && lo=$k
	done
	for k in "${!res[@]}"; do
		((k > lo)) && [[ ! ${res[$k]} =~ $1 ]] && { ((hi == 0 || k < hi)) && hi=$k; }
	done
}

tool_sweep() {
	local top floor step ndense limit k s_from nostart_max oom_n oom_min oom_max same_below
	local -A res=()
	rm -rf "$tmp/w" "$tmp/ref.w"
	tool_sentinels=()
	tool_run 0
	if ((rc == 124 || rc >= 128)) || [[ $rc -ne 0 && $rc -ne 1 ]]; then
		tool_fail "the reference run (no limit) ended with status $rc"
		return
	fi
	mv "$tmp/w" "$tmp/ref.w" && mv "$tmp/out" "$tmp/ref.out" && mv "$tmp/err" "$tmp/ref.err" || exit 1
	ref_rc=$rc
	mapfile -t tool_sentinels < <(find "$tmp/ref.w" -maxdepth 1 -type f -printf '%f\n')
	if ((tools_asan)); then
		top=1024 floor=1 tool_unit="MiB per allocation (ASan)"
	else
		top=$((1 << 20)) floor=256 tool_unit="KiB"
	fi
	tool_try $top || return
	if [[ ${res[$top]} != same ]]; then
		tool_fail "the highest limit, $top $tool_unit, did not give the reference's outcome"
		return
	fi
	# Halving, until the program cannot start.
	limit=$top
	while ((limit > floor)); do
		limit=$((limit / 2))
		tool_try $limit || return
		[[ ${res[$limit]} == nostart ]] && break
	done
	if ((!tools_asan)); then
		((quick)) && step=256 ndense=3 || step=16 ndense=48
		# Where it starts, where it succeeds (bisection), and between.
		tool_bounds nostart
		while ((lo > 0 && hi - lo > step)); do
			tool_try $(((lo + hi) / 2)) || return
			tool_bounds nostart
		done
		tool_bounds 'oom|nostart'
		while ((lo > 0 && hi - lo > step)); do
			tool_try $(((lo + hi) / 2)) || return
			tool_bounds 'oom|nostart'
		done
		tool_bounds nostart
		local from=$hi
		tool_bounds 'oom|nostart'
		for ((k = 1; k <= ndense && from > 0 && lo > from; k++)); do
			limit=$((from + (lo - from) * k / (ndense + 1)))
			[[ -n ${res[$limit]:-} ]] || tool_try $limit || return
		done
	fi
	# The figures.
	tool_bounds 'oom|nostart'
	s_from=$hi
	nostart_max=0 oom_n=0 oom_min=0 oom_max=0 same_below=0
	for k in "${!res[@]}"; do
		case ${res[$k]} in
		nostart) ((k > nostart_max)) && nostart_max=$k ;;
		oom)
			oom_n=$((oom_n + 1))
			((oom_min == 0 || k < oom_min)) && oom_min=$k
			((k > oom_max)) && oom_max=$k
			;;
		same) ((k < s_from)) && same_below=$((same_below + 1)) ;;
		esac
	done
	printf 'ok: %s: %d limits (%s); ' "$tool_name" "${#res[@]}" "$tool_unit"
	((nostart_max > 0)) && printf 'cannot start at %d and below; ' "$nostart_max"
	((oom_n > 0)) && printf 'clean out-of-memory failure at %d limits in %d..%d; ' "$oom_n" "$oom_min" "$oom_max"
	printf 'the reference outcome (status %d) from %d up' "$ref_rc" "$s_from"
	((same_below > 0)) && printf ', and at %d lower limits' "$same_below"
	printf '\n'
}

tools_sweep() {
	local entry
	tools_inputs "$tmp/in" || {
		echo "FAIL: making the inputs with $bin failed" >&2
		bad=1
		return
	}
	echo "inputs: trace.log $(wc -l <"$tmp/in/trace.log") lines ($(du -k "$tmp/in/trace.log" | cut -f1) KiB)," \
		"heap.json $(du -k "$tmp/in/heap.json" | cut -f1) KiB, heap.heapsnapshot" \
		"$(du -k "$tmp/in/heap.heapsnapshot" | cut -f1) KiB, small.json $(du -k "$tmp/in/small.json" | cut -f1) KiB"
	((tools_asan)) && echo "ASan build: limiting single allocations (max_allocation_size_mb), not ulimit -v"
	tools_define
	for entry in "${tools[@]}"; do
		IFS='|' read -r tool_name tool_stdin tool_env tool_args <<<"$entry"
		selected "$tool_name" || continue
		((quick)) && [[ $tool_name =~ ^(trace-svg-(pauses|cpu|iter)|reach-(arrays|map))$ ]] && continue
		nsweeps=$((nsweeps + 1))
		tool_sweep
	done
}

# ---- main ---------------------------------------------------------------------------

t0=$EPOCHREALTIME
nsweeps=0
[[ $part == tools ]] || stress_sweep
[[ $part == stress ]] || tools_sweep
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
if ((bad)); then
	echo "failalloc sweep: FAILED ($runs runs, ${secs}s)" >&2
	exit 1
fi
if ((nsweeps == 0)); then
	echo "failalloc sweep: nothing selected (--part $part, --only '$only')" >&2
	exit 2
fi
echo "failalloc sweep: ok, $nsweeps configurations and commands, $runs runs, ${secs}s, no signal, hang or wrong output"
