#!/usr/bin/env bash
# boehm_stress.sh — `mapgc stress --backend boehm` from the command line:
# gctrace lines in the contract's format (one per collection, on stderr or
# --trace-file), debug settings Boehm cannot honour reported once and the
# run going on, --stats-json, out of memory under MAPGC_MEMLIMIT, and a bad
# --backend being a usage error.
# shellcheck source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

size=(--seed 3 --live 50000 --ops 300000)
contract='^gc [0-9]+ @[0-9]+\.[0-9]{3}s [0-9]+%: [0-9.]+\+[0-9.]+\+[0-9.]+ ms clock, [0-9.]+\+[0-9.]+/[0-9.]+/[0-9.]+\+[0-9.]+ ms cpu, [0-9]+->[0-9]+->[0-9]+ MB, [0-9]+ MB goal, [0-9]+ MB stacks, [0-9]+ MB globals, [0-9]+ P( \(forced\))?$'

# The reference checksum, from mapgc's collector.
sm_run -- stress ptr-values "${size[@]}"
sm_expect_result ptr-values
ref=$sm_checksum

# gctrace=1: one contract line per collection, numbered from 1, none forced.
sm_run MAPGC_DEBUG=gctrace=1 -- stress ptr-values "${size[@]}" --backend boehm
sm_expect_result ptr-values
[[ $sm_checksum == "$ref" ]] || sm_fail "Boehm checksum $sm_checksum, mapgc $ref"
cycles=$(sm_cycles)
[[ -n "$cycles" && $cycles -gt 0 ]] || sm_fail "no collection$(sm_tail)"
gclines=$(grep -c '^gc ' "$sm_err")
good=$(grep -Ec "$contract" "$sm_err")
[[ $gclines -eq $cycles && $good -eq $cycles ]] ||
	sm_fail "$gclines gc lines, $good in the contract's format, for $cycles cycles$(sm_tail)"
nums=$(grep '^gc ' "$sm_err" | awk '{printf "%s ", $2}')
[[ "$nums" == "$(seq -s ' ' 1 "$cycles") " ]] || sm_fail "cycle numbers '$nums', want 1..$cycles"
! grep -q '(forced)' "$sm_err" || sm_fail "an automatic Boehm cycle says (forced)$(sm_tail)"
grep -q '^mark slices *0, longest 0 us (0 us cpu)$' "$sm_out" || sm_fail "Boehm reports mark slices: $(grep '^mark' "$sm_out")"

# ... or into --trace-file, and then not on stderr.
trace=$sm_tmp/trace.txt
sm_run MAPGC_DEBUG=gctrace=1 -- stress ptr-values "${size[@]}" --backend boehm --trace-file "$trace"
sm_expect_result ptr-values
[[ $(grep -Ec "$contract" "$trace") -eq $(sm_cycles) ]] || sm_fail "--trace-file: $(grep -c '^gc ' "$trace") lines for $(sm_cycles) cycles"
! grep -q '^gc ' "$sm_err" || sm_fail "--trace-file: gc lines still on stderr"

# Verifiers Boehm cannot run: reported once each, cleared, the run goes on.
sm_run MAPGC_DEBUG=gccheckmark=1,heapcheck=1,maptrace=1,failalloc=9 -- stress churn --seed 1 --live 2000 --ops 20000 --backend boehm
sm_expect_result churn
for key in gccheckmark=1 heapcheck=1 maptrace=1 failalloc=9; do
	n=$(grep -c "^mapgc: backend boehm: $key is not supported (.*); ignored$" "$sm_err")
	[[ $n -eq 1 ]] || sm_fail "'$key' reported $n times, want once$(sm_tail)"
done
grep -q '^config  *gogc=100 barrier=none backend=boehm$' "$sm_out" ||
	sm_fail "config line shows settings that did not run: $(grep '^config' "$sm_out")"
! grep -q '^map ' "$sm_err" || sm_fail "maptrace=1 printed map lines on Boehm"

# --stats-json: the summary's figures for scripts.
json=$sm_tmp/stats.json
sm_run -- stress ptr-values "${size[@]}" --backend boehm --stats-json "$json"
sm_expect_result ptr-values
[[ -s $json ]] || sm_fail "--stats-json wrote nothing"
for pat in '"backend": "boehm"' '"workload": "ptr-values"' "\"checksum\": \"$ref\"" \
	"\"cycles\": $(sm_cycles)," '"mark_slices": 0,' '"pause_total_ns": [1-9]' '"wall_ns": [1-9]'; do
	grep -q -- "$pat" "$json" || sm_fail "--stats-json lacks $pat: $(cat "$json")"
done

# Out of memory: the Go message, exit 2, and how to repeat the run.
sm_run MAPGC_MEMLIMIT=4MiB -- stress ptr-values --seed 1 --live 200000 --ops 1000 --backend boehm
sm_expect_rc 2
grep -q '^fatal error: out of memory$' "$sm_err" || sm_fail "no 'fatal error: out of memory'$(sm_tail)"
grep -q -- '--backend boehm$' "$sm_err" || sm_fail "the repeat line does not say --backend boehm$(sm_tail)"
! grep -q 'GC Warning' "$sm_err" || sm_fail "libgc's own out-of-memory warning was printed$(sm_tail)"

# A bad backend is a usage error.
sm_run -- stress ptr-values --backend nosuch
sm_expect_rc 2
grep -q "bad --backend 'nosuch'" "$sm_err" || sm_fail "no usage message for --backend nosuch$(sm_tail)"

sm_note "ok"
