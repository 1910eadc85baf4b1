#!/usr/bin/env bash
# stress_maps_string_keys.sh — `mapgc stress string-keys`: the same checksum
# for every collector setting (sm_matrix in stress_maps.sh), with keys and
# values that are heap strings, slices of heap strings and literals outside
# the heap.
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

sm_matrix string-keys 1000 --live 3000 --ops 150000

cli_note "ok"
