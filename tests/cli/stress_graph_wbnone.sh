#!/usr/bin/env bash
# stress_graph_wbnone.sh — the negative test of the checkmark verifier and
# of the barriers (DESIGN.md §3, §7): with no write barrier, the graph
# workload's swaps during incremental marking hide live objects, and
# gccheckmark=1 must catch it — for every seed, with the fatal message,
# the labelled path, and exit status 2.
# shellcheck source-path=SCRIPTDIR source=stress_graph.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_graph.sh" || exit 1

first=${SG_FIRST_SEED:-1}
last=${SG_LAST_SEED:-20}
size=(--live "${SG_LIVE:-20000}" --ops "${SG_OPS:-200000}" --gogc 25)
msg='fatal error: checkmark found unmarked object'

caught=0
for ((seed = first; seed <= last; seed++)); do
	cli_run MAPGC_DEBUG=wb=none,gccheckmark=1 -- stress graph --seed "$seed" "${size[@]}"
	if [[ $cli_rc -eq 0 ]]; then
		cli_fail "seed $seed: wb=none was NOT caught by gccheckmark (run completed, $(cli_cycles) gc cycles): $cli_cmd$(cli_tail)"
	fi
	[[ $cli_rc -eq 2 ]] || cli_fail "seed $seed: exit status $cli_rc, want 2: $cli_cmd$(cli_tail)"
	grep -qF "$msg" "$cli_err" || cli_fail "seed $seed: exit 2 but stderr lacks '$msg': $cli_cmd$(cli_tail)"
	# The report labels every step of the path: the root by its name (the
	# root array, or a node the workload holds in a scope root while it
	# rewires: graph.insert.a, seen under load), then array slots and
	# node edges by field.
	path=$(awk '/^path from the roots \([0-9]+ edges\):$/ { on = 1; next } on && /^\t/ { print; next } { on = 0 }' "$cli_err")
	[[ -n $path ]] || cli_fail "seed $seed: the checkmark report has no path from the roots: $cli_cmd$(cli_tail)"
	head -n 1 <<<"$path" | grep -qE '^'$'\t''(scope|global) root "graph\.[a-z.]+" -> ' ||
		cli_fail "seed $seed: the path does not start at a named root: $cli_cmd$(cli_tail)"
	if tail -n +2 <<<"$path" | grep -vqE '^'$'\t''(\[[0-9]+\]\.ptr|\.edge\[[0-3]\]) -> '; then
		cli_fail "seed $seed: a step of the path has no field label: $cli_cmd$(cli_tail)"
	fi
	grep -q "^mapgc stress: graph failed with seed $seed; to repeat" "$cli_err" ||
		cli_fail "seed $seed: no 'how to repeat' line naming the seed on stderr$(cli_tail)"
	[[ $(head -n 1 "$cli_out") == "seed $seed" ]] ||
		cli_fail "seed $seed: a failing run must still print 'seed $seed' first on stdout$(cli_tail)"
	caught=$((caught + 1))
	cli_note "seed $seed: caught in ${cli_secs}s"
done
cli_note "ok: caught $caught/$((last - first + 1)) seeds"
