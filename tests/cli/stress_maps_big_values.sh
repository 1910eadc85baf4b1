#!/usr/bin/env bash
# stress_maps_big_values.sh — `mapgc stress big-values`: the same checksum for
# every collector setting (sm_matrix in stress_maps.sh), with keys and elems
# over 128 bytes (stored indirectly) holding pointers, and rebuilds by
# iteration.
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

sm_matrix big-values 1000 --live 1000 --ops 40000

n=$(sm_field 'big-values ' '^big-values +([0-9]+) rebuilds')
[[ -n "$n" && "$n" -gt 0 ]] || cli_fail "no rebuild: $(grep '^big-values ' "$cli_out")"

cli_note "ok"
