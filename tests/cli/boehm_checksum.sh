#!/usr/bin/env bash
# boehm_checksum.sh — the differential oracle of DESIGN.md §7/§8: every
# workload `mapgc stress --list` names (none skipped: the list is read from
# the binary), at a small size and for two seeds, gives exactly the same
# result line on the Boehm backend as on mapgc's own collector.  Both runs
# must really collect — mapgc at --gogc 25 and a full cycle every 500
# allocations, under the checkmark verifier; Boehm with a libgc collection
# every 200 allocations (gcevery) — since a run with no cycle would prove
# nothing.  SM_SEEDS overrides the seeds.
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

cli_run -- stress --list
cli_expect_rc 0
mapfile -t workloads < <(sed -n -E 's/^([a-z-]+)  \(default --ops [0-9]+ --live [0-9]+\)$/\1/p' "$cli_out")
[[ ${#workloads[@]} -ge 9 ]] || cli_fail "--list names only ${#workloads[@]} workloads: ${workloads[*]}"

read -r -a seeds <<<"${SM_SEEDS:-1 2}"
size=(--live 1500 --ops 15000)
for w in "${workloads[@]}"; do
	for seed in "${seeds[@]}"; do
		cli_run MAPGC_DEBUG=gccheckmark=1,gcevery=500 -- stress "$w" --seed "$seed" "${size[@]}" --gogc 25
		sm_expect_result "$w"
		want=$(tail -n 1 "$cli_out")
		mcycles=$(cli_cycles)
		[[ -n "$mcycles" && "$mcycles" -gt 0 ]] || cli_fail "$w seed $seed: mapgc ran no cycle$(cli_tail)"

		cli_run MAPGC_DEBUG=gcevery=200 -- stress "$w" --seed "$seed" "${size[@]}" --gogc 25 --backend boehm
		sm_expect_result "$w"
		got=$(tail -n 1 "$cli_out")
		grep -q '^config .* backend=boehm$' "$cli_out" ||
			cli_fail "$w seed $seed: the summary does not say backend=boehm: $(grep '^config' "$cli_out")"
		bcycles=$(cli_cycles)
		[[ -n "$bcycles" && "$bcycles" -gt 0 ]] || cli_fail "$w seed $seed: Boehm ran no cycle$(cli_tail)"
		[[ "$got" == "$want" ]] ||
			cli_fail "$w seed $seed: Boehm gave '$got', mapgc '$want' ($cli_cmd)"
		cli_note "$w seed $seed: ${want##*checksum=} on both (mapgc $mcycles cycles, Boehm $bcycles)"
	done
done

cli_note "ok"
