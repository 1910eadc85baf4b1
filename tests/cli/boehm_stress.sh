#!/usr/bin/env bash
# boehm_stress.sh — `mapgc stress --backend boehm` from the command line:
# gctrace lines in the contract's format (one per collection, on stderr or
# --trace-file), debug settings Boehm cannot honour reported once and the
# run going on, --stats-json, out of memory under MAPGC_MEMLIMIT, and a bad
# --backend being a usage error.
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

size=(--seed 3 --live 50000 --ops 300000)
contract='^gc [0-9]+ @[0-9]+\.[0-9]{3}s [0-9]+%: [0-9.]+\+[0-9.]+\+[0-9.]+ ms clock, [0-9.]+\+[0-9.]+/[0-9.]+/[0-9.]+\+[0-9.]+ ms cpu, [0-9]+->[0-9]+->[0-9]+ MB, [0-9]+ MB goal, [0-9]+ MB stacks, [0-9]+ MB globals, [0-9]+ P( \(forced\))?$'

# The reference checksum, from mapgc's collector.
cli_run -- stress ptr-values "${size[@]}"
sm_expect_result ptr-values
ref=$sm_checksum

# gctrace=1: one contract line per collection, numbered from 1, none forced.
cli_run MAPGC_DEBUG=gctrace=1 -- stress ptr-values "${size[@]}" --backend boehm
sm_expect_result ptr-values
[[ $sm_checksum == "$ref" ]] || cli_fail "Boehm checksum $sm_checksum, mapgc $ref"
cycles=$(cli_cycles)
[[ -n "$cycles" && $cycles -gt 0 ]] || cli_fail "no collection$(cli_tail)"
gclines=$(grep -c '^gc ' "$cli_err")
good=$(grep -Ec "$contract" "$cli_err")
[[ $gclines -eq $cycles && $good -eq $cycles ]] ||
	cli_fail "$gclines gc lines, $good in the contract's format, for $cycles cycles$(cli_tail)"
nums=$(grep '^gc ' "$cli_err" | awk '{printf "%s ", $2}')
[[ "$nums" == "$(seq -s ' ' 1 "$cycles") " ]] || cli_fail "cycle numbers '$nums', want 1..$cycles"
! grep -q '(forced)' "$cli_err" || cli_fail "an automatic Boehm cycle says (forced)$(cli_tail)"
grep -q '^mark slices *0, longest 0 us (0 us cpu)$' "$cli_out" || cli_fail "Boehm reports mark slices: $(grep '^mark' "$cli_out")"

# ... or into --trace-file, and then not on stderr.
trace=$cli_tmp/trace.txt
cli_run MAPGC_DEBUG=gctrace=1 -- stress ptr-values "${size[@]}" --backend boehm --trace-file "$trace"
sm_expect_result ptr-values
[[ $(grep -Ec "$contract" "$trace") -eq $(cli_cycles) ]] || cli_fail "--trace-file: $(grep -c '^gc ' "$trace") lines for $(cli_cycles) cycles"
! grep -q '^gc ' "$cli_err" || cli_fail "--trace-file: gc lines still on stderr"

# Verifiers Boehm cannot run: reported once each, cleared, the run goes on.
cli_run MAPGC_DEBUG=gccheckmark=1,heapcheck=1,maptrace=1,failalloc=9 -- stress churn --seed 1 --live 2000 --ops 20000 --backend boehm
sm_expect_result churn
for key in gccheckmark=1 heapcheck=1 maptrace=1 failalloc=9; do
	n=$(grep -c "^mapgc: backend boehm: $key is not supported (.*); ignored$" "$cli_err")
	[[ $n -eq 1 ]] || cli_fail "'$key' reported $n times, want once$(cli_tail)"
done
grep -q '^config  *gogc=100 barrier=none backend=boehm$' "$cli_out" ||
	cli_fail "config line shows settings that did not run: $(grep '^config' "$cli_out")"
! grep -q '^map ' "$cli_err" || cli_fail "maptrace=1 printed map lines on Boehm"

# --stats-json: the summary's figures for scripts.
json=$cli_tmp/stats.json
cli_run -- stress ptr-values "${size[@]}" --backend boehm --stats-json "$json"
sm_expect_result ptr-values
[[ -s $json ]] || cli_fail "--stats-json wrote nothing"
for pat in '"backend": "boehm"' '"workload": "ptr-values"' "\"checksum\": \"$ref\"" \
	"\"cycles\": $(cli_cycles)," '"mark_slices": 0,' '"pause_total_ns": [1-9]' '"wall_ns": [1-9]'; do
	grep -q -- "$pat" "$json" || cli_fail "--stats-json lacks $pat: $(cat "$json")"
done

# Out of memory: the Go message, exit 2, and how to repeat the run.
cli_run MAPGC_MEMLIMIT=4MiB -- stress ptr-values --seed 1 --live 200000 --ops 1000 --backend boehm
cli_expect_rc 2
grep -q '^fatal error: out of memory$' "$cli_err" || cli_fail "no 'fatal error: out of memory'$(cli_tail)"
grep -q -- '--backend boehm$' "$cli_err" || cli_fail "the repeat line does not say --backend boehm$(cli_tail)"
! grep -q 'GC Warning' "$cli_err" || cli_fail "libgc's own out-of-memory warning was printed$(cli_tail)"

# A bad backend is a usage error.
cli_run -- stress ptr-values --backend nosuch
cli_expect_rc 2
grep -q "bad --backend 'nosuch'" "$cli_err" || cli_fail "no usage message for --backend nosuch$(cli_tail)"

cli_note "ok"
