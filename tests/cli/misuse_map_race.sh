#!/usr/bin/env bash
# misuse_map_race.sh — the `map-race` workload (DESIGN.md §7): one map
# written from two threads with no lock ends in
#   fatal error: concurrent map writes
#     thread T: mg_map_set          (one line per thread involved)
# with exit status 2, at default options, and nothing on stderr before
# the fatal line but gc lines (checkmark and the heap check, on, with a
# cycle every 50 allocations, stay quiet: the heap is not corrupted first).  MR_RUNS runs (default 5; the 100 of the issue:
# misuse_map_race_100.sh, label slow), each with its own seed; all but
# MR_MISSES_OK (default: 1 in 100, rounded down) must be caught.  Also:
# --list says it is a misuse, and it takes no --threads, --soak or
# --compare-barriers.  Not in the tsan preset (its filter takes cli/stress_*):
# the workload is a data race on purpose, which ThreadSanitizer reports, as
# it should.
# shellcheck source-path=SCRIPTDIR source=lib/cli.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh" || exit 1

runs=${MR_RUNS:-5}
# At one P the two threads take turns on it, and their writes overlap only
# when one gives up the P inside a write (a rare safepoint): the suite run
# at MAPGC_TEST_PROCS=1, or a machine whose default is one P, checks the
# report at 2 Ps instead.
procs=()
if [[ ${MAPGC_TEST_PROCS:-} == 1 ]] || [[ -z ${MAPGC_TEST_PROCS:-} && $(nproc 2>/dev/null || echo 1) == 1 ]]; then
	procs=(--procs 2)
fi
misses_ok=${MR_MISSES_OK:-$((runs / 100))}
misses=0
cycles=0
for ((i = 1; i <= runs; i++)); do
	# A full cycle every 50 allocations, so that checkmark and the heap
	# check run (and would speak) before the writes collide.
	cli_run MAPGC_DEBUG=gccheckmark=1,heapcheck=1,gcevery=50,gctrace=1 -- stress map-race --seed "$i" --ops 200000 "${procs[@]}"
	if [[ $cli_rc -eq 0 ]]; then
		misses=$((misses + 1))
		cli_note "run $i: the writes never overlapped (a miss)"
		continue
	fi
	cli_expect_rc 2
	first=$(grep -n -m 1 '^fatal error: ' "$cli_err")
	[[ $first == *":fatal error: concurrent map writes" ]] ||
		cli_fail "run $i: the first fatal line is '${first#*:}', want 'fatal error: concurrent map writes'$(cli_tail)"
	n=${first%%:*}
	# Nothing before it but gc lines: no verifier spoke first.
	other=$(head -n $((n - 1)) "$cli_err" | grep -c -v '^gc [0-9]')
	[[ $other -eq 0 ]] || cli_fail "run $i: $other lines other than gc lines before the fatal line$(cli_tail)"
	cycles=$((cycles + $(head -n $((n - 1)) "$cli_err" | grep -c '^gc [0-9]')))
	mapfile -t lines < <(sed -n "$((n + 1)),\$p" "$cli_err" | grep '^  thread ')
	[[ ${#lines[@]} -eq 2 ]] || cli_fail "run $i: ${#lines[@]} thread lines after the fatal line, want 2$(cli_tail)"
	for l in "${lines[@]}"; do
		[[ $l =~ ^\ \ thread\ [12]:\ mg_map_set$ ]] || cli_fail "run $i: thread line '$l'$(cli_tail)"
	done
	[[ ${lines[0]} != "${lines[1]}" ]] || cli_fail "run $i: the same thread twice: ${lines[0]}"
done
((misses <= misses_ok)) || cli_fail "$misses of $runs runs were not caught (at most $misses_ok may be)"
((cycles > 0)) || cli_fail "no collection ran before any of the fatal lines: the verifiers were never asked"
cli_note "$((runs - misses)) of $runs runs caught, both threads named, after $cycles checked cycles in all"

cli_run -- stress --list
cli_expect_rc 0
grep -q '^map-race  (a misuse on purpose: ends in a fatal error; default --ops [0-9]*)$' "$cli_out" ||
	cli_fail "--list does not show map-race as a misuse$(cli_tail)"
cli_usage_error "map-race --threads 2" stress map-race --threads 2
cli_usage_error "map-race --compare-barriers" stress map-race --compare-barriers
cli_usage_error "--soak map-race" stress --soak 1s map-race
cli_note "map-race: --list, usage errors"
