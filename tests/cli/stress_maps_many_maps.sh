#!/usr/bin/env bash
# stress_maps_many_maps.sh — `mapgc stress many-maps`: the same checksum for
# every collector setting (sm_matrix in stress_maps.sh) with hundreds of small
# maps created, grown, cleared and dropped.
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

sm_matrix many-maps 1000 --live 500 --ops 150000

line=$(grep '^many-maps ' "$cli_out")
[[ "$line" =~ ([0-9]+)\ maps\ created,\ ([0-9]+)\ dropped,\ ([0-9]+)\ cleared ]] ||
	cli_fail "no counts line in the form expected: '$line'"
[[ ${BASH_REMATCH[1]} -gt 500 && ${BASH_REMATCH[2]} -gt 0 && ${BASH_REMATCH[3]} -gt 0 ]] ||
	cli_fail "maps were not created, dropped and cleared: '$line'"

cli_note "ok"
