#!/usr/bin/env bash
# stress_maps_grow_iterate.sh — `mapgc stress grow-iterate`: the same checksum
# for every collector setting, with the shadow model of Go's iteration
# semantics and the checkmark verifier on (sm_matrix in stress_maps.sh); and
# the runs really have iterators started mid-grow, abandoned, and alive across
# grows.
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

sm_matrix grow-iterate 1000 --live 4000 --ops 150000

# The last run's counts (they depend on the hash seed, so they are checked
# for being there, not for their values).
for what in 'mid-grow' 'completed' 'abandoned' 'outlived a grow'; do
	n=$(sm_field 'iterators ' "[ (]([0-9]+) $what")
	[[ -n "$n" && "$n" -gt 0 ]] || cli_fail "no iterator $what: $(grep '^iterators ' "$cli_out")"
done
n=$(sm_field 'grow-iterate ' '[ (]([0-9]+) doubling')
[[ -n "$n" && "$n" -gt 0 ]] || cli_fail "no doubling grow: $(grep '^grow-iterate ' "$cli_out")"

cli_note "ok"
