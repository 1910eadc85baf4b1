#!/usr/bin/env bash
# stress_graph_wbnone.sh — the negative test of the checkmark verifier and
# of the barriers (DESIGN.md §3, §7): with no write barrier, the graph
# workload's swaps during incremental marking hide live objects, and
# gccheckmark=1 must catch it — for every seed, with the fatal message,
# the labelled path, and exit status 2.
# shellcheck source=stress_graph.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_graph.sh" || exit 1

first=${SG_FIRST_SEED:-1}
last=${SG_LAST_SEED:-20}
size=(--live "${SG_LIVE:-20000}" --ops "${SG_OPS:-200000}" --gogc 25)
msg='fatal error: checkmark found unmarked object'

caught=0
for ((seed = first; seed <= last; seed++)); do
	sg_run MAPGC_DEBUG=wb=none,gccheckmark=1 -- stress graph --seed "$seed" "${size[@]}"
	if [[ $sg_rc -eq 0 ]]; then
		sg_fail "seed $seed: wb=none was NOT caught by gccheckmark (run completed, $(sg_cycles) gc cycles): $sg_cmd$(sg_tail)"
	fi
	[[ $sg_rc -eq 2 ]] || sg_fail "seed $seed: exit status $sg_rc, want 2: $sg_cmd$(sg_tail)"
	grep -qF "$msg" "$sg_err" || sg_fail "seed $seed: exit 2 but stderr lacks '$msg': $sg_cmd$(sg_tail)"
	# The report names the path by field labels; a hidden node is always
	# reached through some node's edge (root-array slots never change).
	grep -q 'edge\[[0-3]\]' "$sg_err" ||
		sg_fail "seed $seed: the checkmark report shows no labelled path (no 'edge[k]'): $sg_cmd$(sg_tail)"
	grep -q "^mapgc stress: graph failed with seed $seed; to repeat" "$sg_err" ||
		sg_fail "seed $seed: no 'how to repeat' line naming the seed on stderr$(sg_tail)"
	[[ $(head -n 1 "$sg_out") == "seed $seed" ]] ||
		sg_fail "seed $seed: a failing run must still print 'seed $seed' first on stdout$(sg_tail)"
	caught=$((caught + 1))
	sg_note "seed $seed: caught in ${sg_secs}s"
done
sg_note "ok: caught $caught/$((last - first + 1)) seeds"
