#!/usr/bin/env bash
# reach_run.sh — `mapgc reach` on real workload heaps: a snapshot written by
# `mapgc stress` with heapdump=N, and `mapgc reach --run` (which takes its
# own).  The figures must agree with the runtime's own maptrace line of the
# same cycle (maps, growing, iterators, iterator-only arrays), which the
# collector gathers while marking, independently of the snapshot.
# shellcheck source-path=SCRIPTDIR source=reach.sh
source "$(dirname "${BASH_SOURCE[0]}")/reach.sh" || exit 1

wl=(grow-iterate --seed 3 --ops 300000 --live 4000 --gogc 25)
mkdir -p "$rc_tmp/tmp"
export TMPDIR=$rc_tmp/tmp   # --run's temporary directories must all go away

# ---- a heapdump from mapgc stress ------------------------------------------------
rc_ok MAPGC_DEBUG=heapdump=3 -- stress "${wl[@]}"
snap=$rc_tmp/mapgc-heap-3.json
[[ -s "$snap" ]] || rc_fail "heapdump=3 wrote no $snap"
nmaps=$(grep -o '"map":{' "$snap" | wc -l)
narrays=$(grep -o '"type":"bucket\[[^"]*","array":true' "$snap" | wc -l)
[[ $nmaps -gt 0 && $narrays -gt 0 ]] || rc_fail "the snapshot has no maps"

rc_ok -- reach mapgc-heap-3.json
[[ $(grep -c '^map [0-9]*: hmap#' "$rc_out") -eq $nmaps ]] || rc_fail "text: want $nmaps maps$(rc_tail)"
rc_has "snapshot   mapgc-heap-3.json: cycle 3,"
rc_ok -- reach mapgc-heap-3.json --arrays
[[ $(grep -c '^object ' "$rc_out") -eq $narrays ]] || rc_fail "--arrays: want $narrays arrays$(rc_tail)"
rc_ok -- reach mapgc-heap-3.json --json --arrays --maps
[[ $(grep -c '^{"id":[0-9]*,"object":' "$rc_out") -eq $nmaps ]] || rc_fail "--json: want $nmaps maps$(rc_tail)"
[[ $(grep -c '^{"object":[0-9]*,"type":"bucket\[' "$rc_out") -eq $narrays ]] || rc_fail "--json --arrays"
cp "$rc_out" "$rc_tmp/from-file.json"
for id in $(grep -o '"map":{"id":[0-9]*' "$snap" | cut -d: -f3); do
	rc_ok -- reach mapgc-heap-3.json --dot "$id"
	rc_has "digraph \"map $id\" {"
done

# ---- --run, one cycle, with maptrace as the witness ------------------------------------
rc_ok MAPGC_DEBUG=gcstoptheworld=1,maptrace=1 -- reach --run "${wl[@]}" --cycle 3 --json --arrays \
	--save-snapshot run.json
line=$(grep '^map 3 @' "$rc_err") || rc_fail "no maptrace line for cycle 3$(rc_tail)"
re='^map 3 @[0-9.]+s: ([0-9]+) maps, ([0-9]+) growing \(([0-9]+) same-size\), ([0-9]+) iters: .* ([0-9]+) iter-only arrays'
[[ $line =~ $re ]] || rc_fail "maptrace line: $line"
[[ $(rc_json_field maps) -eq ${BASH_REMATCH[1]} ]] || rc_fail "maps: reach $(rc_json_field maps), maptrace: $line"
[[ $(rc_json_field growing) -eq ${BASH_REMATCH[2]} ]] || rc_fail "growing: reach $(rc_json_field growing), maptrace: $line"
[[ $(rc_json_field iterators) -eq ${BASH_REMATCH[4]} ]] || rc_fail "iterators: reach $(rc_json_field iterators), maptrace: $line"
[[ $(rc_json_field stale_arrays) -eq ${BASH_REMATCH[5]} ]] ||
	rc_fail "stale arrays: reach $(rc_json_field stale_arrays), maptrace iter-only: $line"
rc_has '"source":{"workload":"grow-iterate","seed":3,"ops":300000,"live":4000,"cycle":3,"cycles":'
[[ -s "$rc_tmp/run.json" ]] || rc_fail "--save-snapshot wrote nothing"
# The saved snapshot analysed from the file gives the same report.
tail -n +4 "$rc_out" >"$rc_tmp/a"
rc_ok -- reach run.json --json --arrays
tail -n +4 "$rc_out" >"$rc_tmp/b"
cmp -s "$rc_tmp/a" "$rc_tmp/b" || rc_fail "--run and the saved snapshot disagree: $(diff "$rc_tmp/a" "$rc_tmp/b" | head -5)"

# ---- --run, the last cycle (two runs) ---------------------------------------------------
rc_ok -- reach --run "${wl[@]}"
re='snapshot at mark termination of cycle ([0-9]+) of ([0-9]+)'
[[ $(grep '^workload ' "$rc_out") =~ $re ]] || rc_fail "no workload line$(rc_tail)"
[[ ${BASH_REMATCH[1]} -eq ${BASH_REMATCH[2]} && ${BASH_REMATCH[1]} -gt 3 ]] ||
	rc_fail "default: not the last cycle: ${BASH_REMATCH[0]}"
rc_has "workload   grow-iterate --seed 3 --ops 300000 --live 4000"
rc_has "snapshot   (temporary): cycle ${BASH_REMATCH[1]},"

# ---- noscan: overflow buckets held through extra.overflow --------------------------------
rc_ok -- reach --run noptr --seed 3 --ops 200000 --live 3000 --cycle 5
rc_has "held through extra.overflow (overflowlist#"
rc_has "holders: current array, overflow list"

# ---- failures ---------------------------------------------------------------------------
rc_run -- reach --run "${wl[@]}" --cycle 100000
[[ $rc_rc -eq 1 ]] || rc_fail "--cycle 100000: exit $rc_rc, want 1$(rc_tail)"
grep -q "^mapgc reach: grow-iterate ran only [0-9]* GC cycles: there is no cycle 100000 (seed 3)$" "$rc_err" ||
	rc_fail "--cycle 100000: $(cat "$rc_err")"
rc_run -- reach --run grow-iterate --seed 1 --ops 10 --live 10
[[ $rc_rc -eq 1 ]] || rc_fail "no cycle: exit $rc_rc, want 1$(rc_tail)"
grep -qF "grow-iterate ran no GC cycle with --ops 10 --live 10; give more --ops or a lower --gogc" "$rc_err" ||
	rc_fail "no cycle: $(cat "$rc_err")"
# A fatal error in the runtime: exit 2, as for mapgc stress.
rc_run MAPGC_DEBUG=wb=none,gccheckmark=1 -- reach --run graph --seed 5 --ops 200000 --live 20000 --gogc 25 --cycle 50
[[ $rc_rc -eq 2 ]] || rc_fail "checkmark failure: exit $rc_rc, want 2$(rc_tail)"
grep -qF "fatal error: checkmark found unmarked object" "$rc_err" || rc_fail "no fatal error printed$(rc_tail)"
grep -qF "mapgc reach: graph failed with seed 5" "$rc_err" || rc_fail "no seed in the failure$(rc_tail)"
[[ ! -s "$rc_out" ]] || rc_fail "a failed run printed a report$(rc_tail)"

leftover=$(find "$TMPDIR" -mindepth 1 | head -n 3)
[[ -z "$leftover" ]] || rc_fail "temporary files left behind: $leftover"
rc_note "ok"
