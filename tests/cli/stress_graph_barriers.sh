#!/usr/bin/env bash
# stress_graph_barriers.sh — the graph checksum does not depend on the
# collector: for each seed, every safe barrier, stop-the-world collection,
# the checkmark and heap verifiers, and no GC at all give the same checksum
# (DESIGN.md §7; stress.h inv.seed-only).  The runs with verifiers also prove
# the safe barriers lose nothing: a lost object is a fatal error there.
# shellcheck source-path=SCRIPTDIR source=stress_graph.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_graph.sh" || exit 1

read -r -a seeds <<<"${SG_SEEDS:-1 2 3}"
size=(--live "${SG_LIVE:-20000}" --ops "${SG_OPS:-200000}")
gogc=(--gogc 25)

# label|environment (space-separated VAR=value, may be empty)|options
configs=(
	"gogc=off (no collection: the reference)||--gogc off"
	"hybrid||${gogc[*]} --barrier hybrid"
	"yuasa||${gogc[*]} --barrier yuasa"
	"dijkstra||${gogc[*]} --barrier dijkstra"
	"gcstoptheworld=1|MAPGC_DEBUG=gcstoptheworld=1|${gogc[*]}"
	"hybrid+gccheckmark+heapcheck|MAPGC_DEBUG=gccheckmark=1,heapcheck=1|${gogc[*]}"
	"yuasa+gccheckmark+heapcheck|MAPGC_DEBUG=gccheckmark=1,heapcheck=1|${gogc[*]} --barrier yuasa"
	"dijkstra+gccheckmark+heapcheck|MAPGC_DEBUG=gccheckmark=1,heapcheck=1|${gogc[*]} --barrier dijkstra"
	"gcevery=2000 (a full cycle every 2000 allocations)|MAPGC_DEBUG=gcevery=2000,gccheckmark=1|${gogc[*]}"
	"--barrier hybrid overrides wb=none|MAPGC_DEBUG=wb=none,gccheckmark=1|${gogc[*]} --barrier hybrid"
)

for seed in "${seeds[@]}"; do
	ref=""
	ref_label=""
	for c in "${configs[@]}"; do
		IFS='|' read -r label envs opts <<<"$c"
		# shellcheck disable=SC2086  # split on purpose
		cli_run $envs -- stress graph --seed "$seed" "${size[@]}" $opts
		sg_expect_result
		cycles=$(cli_cycles)
		cli_note "seed $seed $label: checksum $sg_checksum, ${cycles:-?} gc cycles, ${cli_secs}s"
		if [[ -z "$ref" ]]; then
			ref=$sg_checksum
			ref_label=$label
			continue
		fi
		# A run without collections would make this test pass vacuously.
		[[ -n "$cycles" && "$cycles" -gt 0 ]] ||
			cli_fail "seed $seed $label: no GC cycle ran (summary: gc cycles '${cycles}'); the test proves nothing$(cli_tail)"
		[[ $sg_checksum == "$ref" ]] ||
			cli_fail "seed $seed: checksum differs: $label gave $sg_checksum, $ref_label gave $ref ($cli_cmd)"
	done
done

cli_note "ok"
