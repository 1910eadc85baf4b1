#!/usr/bin/env bash
# stress_procs.sh — the Ps of a stress run (DESIGN.md §7, §9): --procs N and
# MAPGC_PROCS reach the runtime (the summary's procs line, --stats-json and
# the --compare-barriers header show the count the runtime resolved),
# --procs wins over MAPGC_PROCS, a bad MAPGC_PROCS is reported once and
# leaves the default (the CPUs the process may run on), and the checksum is
# the same at every count.  Usage errors of --procs: stress_graph_usage.sh.
# shellcheck source-path=SCRIPTDIR source=stress_graph.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_graph.sh" || exit 1

# Enough work for collections to run while the graph is rewired.
size=(--seed 7 --live 20000 --ops 60000 --gogc 25)

# sp_procs: the P count of the last run's summary.
sp_procs() {
	sed -n 's/^procs  *\([0-9][0-9]*\)$/\1/p' "$cli_out"
}

# The default: what the affinity mask allows (nproc asks sched_getaffinity;
# the OpenMP variables would change its answer), at most 256.
default=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) || cli_fail "nproc"
((default > 256)) && default=256

declare -A sums=()
for p in 1 2 4; do
	cli_run -- stress graph "${size[@]}" --procs "$p"
	sg_expect_result
	[[ $(sp_procs) == "$p" ]] || cli_fail "--procs $p: the summary says procs '$(sp_procs)'$(cli_tail)"
	[[ $(cli_cycles) -gt 0 ]] || cli_fail "--procs $p: no gc cycles$(cli_tail)"
	sums[$p]=$sg_checksum
done
[[ ${sums[1]} == "${sums[2]}" && ${sums[1]} == "${sums[4]}" ]] ||
	cli_fail "checksums differ by --procs: 1 ${sums[1]}, 2 ${sums[2]}, 4 ${sums[4]}"
cli_note "--procs 1, 2, 4: checksum ${sums[1]}"

# MAPGC_PROCS is honoured, and --procs overrides it.
cli_run MAPGC_PROCS=3 -- stress graph "${size[@]}"
sg_expect_result
[[ $(sp_procs) == 3 ]] || cli_fail "MAPGC_PROCS=3: the summary says procs '$(sp_procs)'$(cli_tail)"
[[ $sg_checksum == "${sums[1]}" ]] || cli_fail "MAPGC_PROCS=3 changed the checksum: $sg_checksum"
[[ ! -s $cli_err ]] || cli_fail "MAPGC_PROCS=3 wrote to stderr$(cli_tail)"
cli_run MAPGC_PROCS=3 -- stress graph "${size[@]}" --procs 2
sg_expect_result
[[ $(sp_procs) == 2 ]] || cli_fail "--procs 2 over MAPGC_PROCS=3: procs '$(sp_procs)'$(cli_tail)"

# A bad MAPGC_PROCS: one report on stderr (the driver reads the environment
# once), the default stands, the run goes on.
for bad in 0 -1 abc 99999 ''; do
	cli_run MAPGC_PROCS="$bad" -- stress graph "${size[@]}"
	sg_expect_result
	want="mapgc: MAPGC_PROCS: bad value \"$bad\" (want a number of Ps, 1 to 256)"
	[[ $(grep -c '^mapgc: ' "$cli_err") == 1 && $(grep -c -F -x "$want" "$cli_err") == 1 ]] ||
		cli_fail "MAPGC_PROCS='$bad': want the one report '$want'$(cli_tail)"
	[[ $(sp_procs) == "$default" ]] ||
		cli_fail "MAPGC_PROCS='$bad': procs '$(sp_procs)', want the default $default$(cli_tail)"
done
cli_note "bad MAPGC_PROCS reported once, default $default stands"

# --stats-json carries the count.
cli_run -- stress graph "${size[@]}" --procs 2 --stats-json "$cli_tmp/s.json"
sg_expect_result
grep -q '"procs": 2,' "$cli_tmp/s.json" || cli_fail "--stats-json lacks \"procs\": 2: $(cat "$cli_tmp/s.json")"

# --compare-barriers takes --procs for every run: the header says so and
# every row has the plain run's checksum (the command checks, exit 1 else).
cli_run MAPGC_PROCS=3 -- stress graph "${size[@]}" --procs 2 --compare-barriers
cli_expect_rc 0
grep -q '^compare-barriers: graph .* procs=2, ' "$cli_out" || cli_fail "--compare-barriers --procs 2: header$(cli_tail)"
[[ $(tail -n 1 "$cli_out") == *"checksum=${sums[1]}" ]] ||
	cli_fail "--compare-barriers --procs 2: not the checksum of the plain runs$(cli_tail)"

cli_note "ok"
