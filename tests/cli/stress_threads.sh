#!/usr/bin/env bash
# stress_threads.sh — `mapgc stress WORKLOAD --threads N` (DESIGN.md §7, §9):
# for every map workload, the checksum at --threads 1, 2 and 4 is the same
# at every P count (1, 2, 4), for every barrier, with gccheckmark=1 and on
# the Boehm backend, given the same N; --threads 1 is the plain run;
# --threads takes 1..64 and not graph.  Each run is small (the matrix is 8 workloads × 3
# thread counts × 5 settings); the size of a workload's own run is its
# business (stress_maps_*.sh).
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

size=(--seed 11 --ops 3000 --live 1500 --gogc 25)

# Under ThreadSanitizer libgc cannot stop the threads: it stops them by
# signal, and TSan holds a signal back until the thread makes a call it
# intercepts, which a thread computing never does ("Signals delivery fails
# constantly", libgc aborts).  So a TSan build checks the Boehm backend
# with threads nowhere, and says so.
boehm=("--procs 2 --backend boehm")
if [[ $(nm "$MAPGC_BIN" 2>/dev/null | grep -c __tsan_init) -gt 0 ]]; then
	boehm=()
	cli_note "a ThreadSanitizer build: Boehm with several threads left out (libgc's signals)"
fi

# st_threads: the thread count of the last run's summary.
st_threads() {
	sed -n 's/^threads  *\([0-9][0-9]*\)$/\1/p' "$cli_out"
}

for w in "${sm_workloads[@]}"; do
	cli_run -- stress "$w" "${size[@]}"
	sm_expect_result "$w"
	plain=$sm_checksum
	for n in 1 2 4; do
		want=""
		for setting in "--procs 1" "--procs 2" "--procs 4" "--procs 2 --barrier yuasa" \
			"--procs 2 --barrier dijkstra" "${boehm[@]}"; do
			# shellcheck disable=SC2086 # the setting is words
			cli_run MAPGC_DEBUG=gccheckmark=1 -- stress "$w" "${size[@]}" --threads "$n" $setting
			sm_expect_result "$w"
			[[ $(st_threads) == "$n" ]] || cli_fail "$w --threads $n: the summary says threads '$(st_threads)'$(cli_tail)"
			if [[ -z $want ]]; then
				want=$sm_checksum
			elif [[ $sm_checksum != "$want" ]]; then
				cli_fail "$w --threads $n $setting: checksum $sm_checksum, want $want (the first setting's)"
			fi
		done
		if [[ $n == 1 && $want != "$plain" ]]; then
			cli_fail "$w --threads 1: checksum $want, not the plain run's $plain"
		fi
		cli_note "$w --threads $n: $want at procs 1, 2, 4, yuasa, dijkstra and boehm"
	done
done

# Trace lines stay whole with four threads printing: every stderr line is
# a gc or map line (one writer, no interleaved bytes), and there are some.
cli_run MAPGC_DEBUG=gctrace=1,maptrace=1 -- stress churn --seed 3 --ops 20000 --live 3000 --gogc 10 --threads 4 --procs 4
sm_expect_result churn
bad=$(grep -c -v -E '^(gc [0-9]+ @[0-9]+\.[0-9]{3}s [0-9]+%: .* [0-9]+ P( \(forced\))?|map [0-9]+ @[0-9]+\.[0-9]{3}s: .*)$' "$cli_err")
gcs=$(grep -c '^gc ' "$cli_err")
[[ $bad -eq 0 && $gcs -gt 2 ]] || cli_fail "--threads 4 traces: $bad malformed lines, $gcs gc lines$(cli_tail)"
cli_note "--threads 4 --procs 4: $gcs gc lines, all whole"

# Usage: the range, and graph takes none.
for bad in 0 65 -1 x ''; do
	cli_usage_error "--threads '$bad'" stress churn --threads "$bad"
	grep -q -F "mapgc stress: bad --threads '$bad' (want 1..64)" "$cli_err" || cli_fail "--threads '$bad': message$(cli_tail)"
done
cli_usage_error "graph --threads 2" stress graph --threads 2
grep -q -F "graph runs on one thread: it takes no --threads" "$cli_err" || cli_fail "graph --threads: message$(cli_tail)"
cli_note "--threads usage errors"
