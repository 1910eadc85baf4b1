#!/usr/bin/env bash
# stress_maps_noptr.sh — `mapgc stress noptr`: the same checksum for every
# collector setting (sm_matrix in stress_maps.sh) for a noscan map with many
# overflow buckets (Go issue #9477), and iterators alive across its grows.
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

sm_matrix noptr 1000 --live 3000 --ops 150000

same=$(sm_field 'noptr grows ' '^noptr grows +([0-9]+) same-size')
[[ -n "$same" && "$same" -gt 0 ]] || cli_fail "no same-size grow: $(grep '^noptr grows' "$cli_out")"
ovf=$(sm_field 'noptr map ' ', ([0-9]+) overflow buckets')
[[ -n "$ovf" && "$ovf" -gt 0 ]] || cli_fail "no overflow buckets: $(grep '^noptr map' "$cli_out")"
across=$(sm_field 'noptr iterators ' ', ([0-9]+) of them across a grow')
[[ -n "$across" && "$across" -gt 0 ]] || cli_fail "no iterator across a grow: $(grep '^noptr iterators' "$cli_out")"

cli_note "ok"
