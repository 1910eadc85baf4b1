#!/usr/bin/env bash
# stress_maps.sh — the map workloads of `mapgc stress` as a set: --list
# names all nine workloads, and every map workload's result line has the
# contract's form and is the last line on stdout.
#
# Also the helper library of the stress_maps_*.sh scripts (one per map
# workload), which source this file: everything above the "sourced?" line
# defines helpers only.  Run by ctest as `bash stress_maps.sh` with
# MAPGC_BIN (the mapgc binary) and MAPGC_SOURCE_DIR; exit 0 pass, 1 fail,
# 77 skip.  SM_SEEDS overrides the seeds the per-workload scripts use.

# shellcheck source-path=SCRIPTDIR source=lib/cli.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh" || exit 1

# The map workloads, in --list order (graph, the collector's own, comes first).
sm_workloads=(grow-iterate churn delete-all ptr-values string-keys big-values noptr many-maps)

# ---- helpers ----------------------------------------------------------------

# sm_expect_result WORKLOAD: exit 0, exactly one result line, last on
# stdout, in the contract's form; sets $sm_checksum.
sm_expect_result() {
	local w=$1 last
	cli_expect_rc 0
	last=$(tail -n 1 "$cli_out")
	[[ "$last" =~ ^result\ $w\ seed=[0-9]+\ ops=[0-9]+\ checksum=[0-9a-f]{16}$ ]] ||
		cli_fail "last stdout line is not a '$w' result line: '$last': $cli_cmd$(cli_tail)"
	[[ $(grep -c '^result ' "$cli_out") -eq 1 ]] ||
		cli_fail "more than one result line: $cli_cmd$(cli_tail)"
	sm_checksum=${last##*checksum=}
}

# sm_field LINE_PREFIX REGEX: the first capture of REGEX (sed -E) on the
# first stdout line starting with LINE_PREFIX, or empty.
sm_field() {
	grep -m 1 "^$1" "$cli_out" | sed -n -E "s/.*$2.*/\\1/p"
}

# sm_matrix WORKLOAD GCEVERY SIZE…: for each seed, the checksum is the same
# with no collection at all (the reference), with each safe barrier, fully
# stop-the-world, with the heap verifier, with a full cycle every GCEVERY
# allocations, and with other map hash seeds (so it depends on neither the
# collector nor the iteration order).  Every run but the reference runs
# the checkmark verifier (a lost object is a fatal error there) and must
# have done at least one cycle, or a pass would prove nothing.  Different
# seeds must give different checksums.  Leaves the last run's output for
# workload-specific checks.
sm_matrix() {
	local w=$1 every=$2
	shift 2
	local -a size=("$@")
	local -a seeds
	read -r -a seeds <<<"${SM_SEEDS:-1 2}"
	local ck="MAPGC_DEBUG=gccheckmark=1"
	# label|environment (space-separated VAR=value, may be empty)|options|config-line regex
	local -a configs=(
		"gogc=off (no collection: the reference)||--gogc off|gogc=off"
		"hybrid|$ck,wb=hybrid|--gogc 25|barrier=hybrid gccheckmark=1"
		"yuasa|$ck,wb=yuasa|--gogc 25|barrier=yuasa gccheckmark=1"
		"dijkstra|$ck,wb=dijkstra|--gogc 25|barrier=dijkstra gccheckmark=1"
		"gcstoptheworld=1|$ck,gcstoptheworld=1|--gogc 25|gcstoptheworld=1 gccheckmark=1"
		"heapcheck=1|$ck,heapcheck=1|--gogc 25|gccheckmark=1 heapcheck=1"
		"gcevery=$every|$ck,gcevery=$every|--gogc 25|gccheckmark=1"
		"other map hash seeds|$ck,seed=987654321|--gogc 25 --barrier yuasa|barrier=yuasa"
	)
	local seed c label envs opts want cycles ref ref_label prev=""
	for seed in "${seeds[@]}"; do
		ref=""
		for c in "${configs[@]}"; do
			IFS='|' read -r label envs opts want <<<"$c"
			# shellcheck disable=SC2086  # split on purpose
			cli_run $envs -- stress "$w" --seed "$seed" "${size[@]}" $opts
			sm_expect_result "$w"
			grep -q "^config .*$want" "$cli_out" ||
				cli_fail "seed $seed $label: summary config line lacks '$want': $(grep '^config' "$cli_out")"
			cycles=$(cli_cycles)
			cli_note "$w seed $seed $label: checksum $sm_checksum, ${cycles:-?} gc cycles, ${cli_secs}s"
			if [[ -z "$ref" ]]; then
				ref=$sm_checksum
				ref_label=$label
				continue
			fi
			[[ -n "$cycles" && "$cycles" -gt 0 ]] ||
				cli_fail "seed $seed $label: no GC cycle ran (summary: gc cycles '${cycles}'); the test proves nothing$(cli_tail)"
			[[ $sm_checksum == "$ref" ]] ||
				cli_fail "$w seed $seed: checksum differs: $label gave $sm_checksum, $ref_label gave $ref ($cli_cmd)"
		done
		[[ "$ref" != "$prev" ]] || cli_fail "$w: seeds give the same checksum $ref"
		prev=$ref
	done
}

cli_find_bin

# ---- sourced? then only the helpers ------------------------------------------
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

# --list names all nine checksum workloads, each with its defaults and a
# paragraph (and map-race, the misuse: misuse_map_race.sh).
cli_run -- stress --list
cli_expect_rc 0
names=$(sed -n -E 's/^([a-z-]+)  \(default --ops [0-9]+ --live [0-9]+\)$/\1/p' "$cli_out" | tr '\n' ' ')
[[ "$names" == "graph ${sm_workloads[*]} " ]] ||
	cli_fail "--list names '$names', want 'graph ${sm_workloads[*]} '$(cli_tail)"
paragraphs=$(grep -c '^    [^ ]' "$cli_out")
[[ $paragraphs -ge 9 ]] || cli_fail "--list has $paragraphs description lines for 9 workloads"
# The paragraphs cite the Go issues the workloads reproduce.
for cite in '#16070' '#20135' '#9477'; do
	grep -q -- "$cite" "$cli_out" || cli_fail "--list does not cite Go issue $cite"
done
cli_run -- stress --help
cli_expect_rc 0
grep -q "^Workloads: graph ${sm_workloads[*]} map-race$" "$cli_out" ||
	cli_fail "--help does not list the workloads: $(grep '^Workloads' "$cli_out")"

# Each workload, tiny: the result line is last, in the contract's form,
# echoes seed and ops, and the same run repeats exactly.
for w in "${sm_workloads[@]}"; do
	cli_run -- stress "$w" --seed 7 --live 300 --ops 3000
	sm_expect_result "$w"
	[[ "$(head -n 1 "$cli_out")" == "seed 7" ]] || cli_fail "$w: first stdout line is not 'seed 7'"
	[[ "$(tail -n 1 "$cli_out")" == "result $w seed=7 ops=3000 checksum=$sm_checksum" ]] ||
		cli_fail "$w: result line does not echo seed=7 ops=3000: $(tail -n 1 "$cli_out")"
	first=$sm_checksum
	cli_run -- stress "$w" --seed=7 --live=300 --ops=3000
	sm_expect_result "$w"
	[[ $sm_checksum == "$first" ]] || cli_fail "$w: seed 7 repeated gave $sm_checksum, first run $first"
	cli_run -- stress "$w" --seed 7 --live 300 --ops 6000
	sm_expect_result "$w"
	[[ $sm_checksum != "$first" ]] || cli_fail "$w: --ops 3000 and 6000 gave the same checksum $first"
	# --ops 0 is legal: setup only.
	cli_run -- stress "$w" --seed 7 --live 300 --ops 0
	sm_expect_result "$w"
	cli_note "$w: seed 7 checksum $first"
done

cli_note "ok"
