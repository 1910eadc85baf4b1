#!/usr/bin/env bash
# stress_graph.sh — `mapgc stress graph`: the result line, seeds, option forms.
#
# Also the helper library of the other stress_graph_*.sh scripts, which
# source this file: everything above the "sourced?" line defines helpers
# only.  Run by ctest as `bash stress_graph.sh` with MAPGC_BIN (the mapgc
# binary) and MAPGC_SOURCE_DIR; exit 0 pass, 1 fail, 77 skip.

# shellcheck source-path=SCRIPTDIR source=lib/cli.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh" || exit 1

# ---- helpers ----------------------------------------------------------------

# Check the result line of the last run and set $sg_checksum.
sg_result_regex='^result graph seed=[0-9]+ ops=[0-9]+ checksum=[0-9a-f]{16}$'
sg_expect_result() {
	cli_expect_rc 0
	local last
	last=$(tail -n 1 "$cli_out")
	[[ "$last" =~ $sg_result_regex ]] ||
		cli_fail "last stdout line is not a result line: '$last': $cli_cmd$(cli_tail)"
	[[ $(grep -c '^result ' "$cli_out") -eq 1 ]] ||
		cli_fail "more than one result line: $cli_cmd$(cli_tail)"
	sg_checksum=${last##*checksum=}
}

cli_find_bin

# ---- sourced? then only the helpers ------------------------------------------
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

small=(--live 2000 --ops 20000)

# The result line is last, the seed line first, both name the seed and ops.
cli_run -- stress graph --seed 5 "${small[@]}"
sg_expect_result
first=$(head -n 1 "$cli_out")
[[ "$first" == "seed 5" ]] || cli_fail "first stdout line is '$first', want 'seed 5'"
[[ "$(tail -n 1 "$cli_out")" == "result graph seed=5 ops=20000 checksum=$sg_checksum" ]] ||
	cli_fail "result line does not echo seed=5 ops=20000: $(tail -n 1 "$cli_out")"
for field in workload seed ops 'wall time' 'gc cycles' 'stw pause' 'mark slices' 'gc cpu' heap allocated freed; do
	grep -q "^$field " "$cli_out" || cli_fail "summary has no '$field' line$(cli_tail)"
done
c5=$sg_checksum
cli_note "seed 5: checksum $c5"

# Same seed, same checksum; --opt=value is the same as --opt value.
cli_run -- stress graph --seed=5 --live=2000 --ops=20000
sg_expect_result
[[ $sg_checksum == "$c5" ]] || cli_fail "seed 5 repeated with --opt=value gave $sg_checksum, first run $c5"

# Options may come before the workload.
cli_run -- stress --ops 20000 --seed 5 --live 2000 graph
sg_expect_result
[[ $sg_checksum == "$c5" ]] || cli_fail "options before the workload gave $sg_checksum, want $c5"

# Another seed, another checksum (the digest sees the graph).
cli_run -- stress graph --seed 6 "${small[@]}"
sg_expect_result
[[ $sg_checksum != "$c5" ]] || cli_fail "seeds 5 and 6 gave the same checksum $c5"

# Other ops, other checksum.
cli_run -- stress graph --seed 5 --live 2000 --ops 20001
sg_expect_result
[[ $sg_checksum != "$c5" ]] || cli_fail "--ops 20000 and 20001 gave the same checksum $c5"

# No --seed: a seed is chosen, printed first, and passing it back repeats the run.
cli_run -- stress graph "${small[@]}"
sg_expect_result
chosen=$(sed -n '1s/^seed \([0-9][0-9]*\)$/\1/p' "$cli_out")
[[ -n "$chosen" ]] || cli_fail "without --seed, the first line is not 'seed N': $(head -n 1 "$cli_out")"
c_chosen=$sg_checksum
cli_run -- stress graph --seed "$chosen" "${small[@]}"
sg_expect_result
[[ $sg_checksum == "$c_chosen" ]] ||
	cli_fail "rerun with the printed seed $chosen gave $sg_checksum, first run $c_chosen"

# The seed in MAPGC_DEBUG is the default seed; --seed overrides it.
cli_run MAPGC_DEBUG=seed=5 -- stress graph "${small[@]}"
sg_expect_result
[[ $(head -n 1 "$cli_out") == "seed 5" && $sg_checksum == "$c5" ]] ||
	cli_fail "MAPGC_DEBUG=seed=5 without --seed: $(head -n 1 "$cli_out"), checksum $sg_checksum, want seed 5 and $c5"
cli_run MAPGC_DEBUG=seed=9 -- stress graph --seed 5 "${small[@]}"
sg_expect_result
[[ $sg_checksum == "$c5" ]] || cli_fail "--seed 5 with MAPGC_DEBUG=seed=9 gave $sg_checksum, want $c5"

# The defaults (a full default run takes too long for this test).
cli_run -- stress --list
cli_expect_rc 0
grep -q '^graph .*--ops 2000000 --live 100000' "$cli_out" ||
	cli_fail "--list does not give graph's defaults (ops 2000000, live 100000)$(cli_tail)"

cli_note "ok"
