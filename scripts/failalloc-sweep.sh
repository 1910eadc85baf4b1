#!/usr/bin/env bash
# failalloc-sweep.sh — allocation-failure sweep over `mapgc stress`.
#
#   scripts/failalloc-sweep.sh [--quick] [--bin PATH] [--timeout SECONDS] [--max-n N]
#
# For each configuration below (a workload and its options), first a
# fault-free reference run, then runs with MAPGC_DEBUG=failalloc=N,
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
#
#   --quick       a few small configurations (the default ctest entry,
#                 tests/cli/reliability_failalloc.sh); without it, the full
#                 sweep (tests/cli/reliability_failalloc_full.sh, label slow)
#   --bin PATH    the mapgc binary (default: $MAPGC_BIN, else build/debug/mapgc)
#   --timeout S   per-run limit (default 60)
#   --max-n N     give up on a configuration past N faults (default 400)
#
# Prints one line per configuration: the N range that ended in the
# out-of-memory error, the N that completed, and the checksum.
# Exit status: 0 all good, 1 a run misbehaved, 2 usage.
set -u -o pipefail
export LC_ALL=C

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0
bin=${MAPGC_BIN:-}
run_timeout=60
max_n=400

usage() {
	sed -n '2,/^set -u/p' "${BASH_SOURCE[0]}" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

while [[ $# -gt 0 ]]; do
	case $1 in
	--quick) quick=1; shift ;;
	--bin) bin=$2; shift 2 ;;
	--timeout) run_timeout=$2; shift 2 ;;
	--max-n) max_n=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "failalloc-sweep: unknown argument '$1'" >&2; usage ;;
	esac
done
[[ -n $bin ]] || bin=$src/build/debug/mapgc
[[ -x $bin ]] || { echo "failalloc-sweep: '$bin' is not an executable (build mapgc, or pass --bin)" >&2; exit 2; }

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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-failalloc.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

bad=0
runs=0
fail() {
	echo "FAIL: $*" >&2
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

t0=$EPOCHREALTIME
for cfg in "${configs[@]}"; do
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
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
if ((bad)); then
	echo "failalloc sweep: FAILED ($runs runs, ${secs}s)" >&2
	exit 1
fi
echo "failalloc sweep: ok, ${#configs[@]} configurations, $runs runs, ${secs}s, no signal, hang or wrong checksum"
