#!/usr/bin/env bash
# valgrind.sh — Memcheck over stress runs, the map fuzzer's corpus and the
# Criterion test binaries of a (non-sanitizer) build.
#
#   scripts/valgrind.sh [--build DIR] [--quick] [--jobs N]
#
# Every run is `valgrind --tool=memcheck --leak-check=full
# --errors-for-leak-kinds=definite --trace-children=yes` with one log file
# per process in DIR/valgrind/ (Criterion runs each test in a child); a
# run counts as clean when every log's error summary says 0 errors and the
# program itself succeeded.  Runs:
#   - each `mapgc stress` workload, small sizes, MAPGC_DEBUG=gccheckmark=1
#     and GOGC 10 (many cycles);
#   - the map fuzzer's replay driver over tests/fuzz/corpus/map;
#   - test_runtime whole, and suites of test_gc and test_maptype (all of
#     them without --quick).
#
# What Memcheck sees.  The collected heap is one mmap'd region that mapgc
# carves into objects itself; built with MAPGC_VALGRIND (the default when
# <valgrind/memcheck.h> is installed; required here) gc/ describes it to
# Memcheck with client requests (gc/vg.h has the details and the reasons):
# the heap is a Memcheck memory pool, each allocated object a chunk of it
# covering the bytes asked for (header included), defined because
# allocation hands out zeroed memory; the sweeper frees the chunk of every
# slot it frees (MEMPOOL_FREE), and every byte of the heap outside a live
# chunk — freed slots, slot tails, free spans, pages returned to the OS —
# is NOACCESS; mg_close destroys the pool.  So a read or write through a
# dangling pointer into swept memory is an "Invalid read/write" with the
# sweeper's stack as the free stack, besides everything Memcheck checks
# around the heap (malloc'd runtime structures, stack, globals, leaks).
# The collector's deliberate writes to freed memory (0xdb poisoning) are
# annotated, not suppressed.  scripts/valgrind.supp holds the only
# suppression, each entry explained: libgc's conservative scan of the stack
# (the Boehm backend's tests), not mapgc code.
# Before the runs, the canary tests/valgrind/freed_read.sh must see its
# deliberate read of a swept object reported: a build whose annotations do
# not fire fails here instead of passing vacuously.
# Exit status: 0 all clean, 1 errors or failures, 2 usage.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=$src/build/debug
quick=0
jobs=2

while [[ $# -gt 0 ]]; do
	case $1 in
	--build) build=$(cd "$2" && pwd) || usage; shift 2 ;;
	--quick) quick=1; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "valgrind.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }
[[ -x $build/mapgc ]] || { echo "valgrind.sh: no mapgc in $build (build the debug preset)" >&2; exit 2; }
if grep -q 'MAPGC_SANITIZE:STRING=.\+' "$build/CMakeCache.txt" 2>/dev/null; then
	echo "valgrind.sh: $build is a sanitizer build; use a plain one (debug, release)" >&2
	exit 2
fi
if ! grep -q '^MAPGC_VALGRIND:BOOL=ON$' "$build/CMakeCache.txt" 2>/dev/null; then
	echo "valgrind.sh: $build is built without MAPGC_VALGRIND: Memcheck would not see the heap" \
		"(install valgrind, reconfigure with -DMAPGC_VALGRIND=ON)" >&2
	exit 2
fi
[[ -x $build/tests/mapgc-vg-freed-read ]] || { echo "valgrind.sh: no tests/mapgc-vg-freed-read in $build" >&2; exit 2; }

logs=$build/valgrind
rm -rf "$logs"
mkdir -p "$logs"
vg=(valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite --trace-children=yes
	--error-exitcode=99 --num-callers=30 --suppressions="$src/scripts/valgrind.supp" -q)

# The runs: NAME|ENVIRONMENT|COMMAND…  (command relative to the build dir)
runs=()
for w in "graph --live 2000 --ops 20000" "grow-iterate --live 800 --ops 6000" "churn --live 1000 --ops 20000" \
	"delete-all --live 1000 --ops 8000" "ptr-values --live 1000 --ops 20000" "string-keys --live 1000 --ops 10000" \
	"big-values --live 300 --ops 4000" "noptr --live 1000 --ops 10000" "many-maps --live 200 --ops 4000"; do
	name=stress-${w%% *}
	runs+=("$name|MAPGC_DEBUG=gccheckmark=1|./mapgc stress $w --seed 1 --gogc 10")
done
[[ -x $build/fuzz/mapgc-fuzz-map-replay ]] &&
	runs+=("fuzz-corpus-map||./fuzz/mapgc-fuzz-map-replay $src/tests/fuzz/corpus/map")
runs+=("test_runtime||./tests/test_runtime -j1")
if ((quick)); then
	runs+=("test_gc-barrier||./tests/test_gc --filter barrier/* -j1")
	runs+=("test_gc-checkmark||./tests/test_gc --filter checkmark/* -j1")
	runs+=("test_maptype-gc_evac||./tests/test_maptype --filter gc_evac/* -j1")
	runs+=("test_maptype-misuse||./tests/test_maptype --filter misuse/* -j1")
else
	# One run per suite, so the runs spread over the jobs and a slow suite
	# does not hold up the others.  The suites of the `slow` label (the
	# long model and iteration runs, outside the default suite too) are
	# left out: Memcheck would take hours over them.
	slow=$(ctest --test-dir "$build" -N -L slow 2>/dev/null | sed -n 's/^ *Test *#[0-9]*: //p')
	for bin in test_gc test_maptype; do
		module=${bin#test_}
		# --list prints "suite: N tests" and then the suite's tests.
		for suite in $("$build/tests/$bin" --list 2>/dev/null | awk -v module="$module" -v slow="$slow" '
			BEGIN { n = split(slow, s, "\n"); for (i = 1; i <= n; i++) is_slow[s[i]] = 1 }
			/^[A-Za-z0-9_]+: [0-9]+ tests?$/ { suite = substr($1, 1, length($1) - 1); order[++nsuites] = suite; next }
			{ t = $NF; if (!((module "/" suite "/" t) in is_slow)) fast[suite] = 1 }
			END { for (i = 1; i <= nsuites; i++) if (order[i] in fast) print order[i] }'); do
			runs+=("$bin-$suite||./tests/$bin --filter $suite/* -j1")
		done
	done
fi

# run_one ENTRY: runs it, prints one result line.
run_one() {
	local name envs cmd rc errs t0 secs
	IFS='|' read -r name envs cmd <<<"$1"
	t0=$EPOCHREALTIME
	# shellcheck disable=SC2086  # envs and cmd split on purpose
	(cd "$build" && env -u MAPGC_DEBUG -u MAPGC_TEST_MODE $envs "${vg[@]}" --log-file="$logs/$name.%p.log" \
		$cmd >"$logs/$name.out" 2>&1)
	rc=$?
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
	errs=$(cat "$logs/$name".*.log 2>/dev/null | grep -c -E '^==[0-9]+== (Invalid|Conditional|Syscall param|Mismatched|Source and destination|Argument|[0-9,]+ bytes in [0-9,]+ blocks are definitely lost)')
	if ((rc == 0 && errs == 0)); then
		echo "clean   $name (${secs}s, $(ls "$logs/$name".*.log 2>/dev/null | wc -l) processes)"
	else
		echo "FAILED  $name: status $rc, $errs Memcheck reports (logs: $logs/$name.*.log, output $logs/$name.out)"
	fi
}

if ! MAPGC_VALGRIND=ON bash "$src/tests/valgrind/freed_read.sh" "$build/tests/mapgc-vg-freed-read" \
	>"$logs/canary.out" 2>&1; then
	echo "valgrind.sh: the canary failed: a read of a swept object is not reported (see $logs/canary.out)" >&2
	exit 1
fi
echo "valgrind.sh: canary ok (a read of a swept object is reported)"
echo "valgrind.sh: ${#runs[@]} runs under Memcheck, $jobs at a time; logs in $logs"
export -f run_one
export build logs
export VG_ARGS="${vg[*]}"
results=$(printf '%s\n' "${runs[@]}" | while read -r entry; do
	printf '%s\0' "$entry"
done | xargs -0 -P "$jobs" -I{} bash -c 'vg=($VG_ARGS); run_one "$1"' _ {})
sort -k2 <<<"$results"
if grep -q '^FAILED' <<<"$results"; then
	echo "valgrind.sh: Memcheck reports or failures (see above)"
	exit 1
fi
echo "valgrind.sh: all ${#runs[@]} runs clean (0 Memcheck errors, 0 definite leaks)"
