#!/usr/bin/env bash
# stress_maps_delete_all.sh — `mapgc stress delete-all`: the same checksum for
# every collector setting (sm_matrix in stress_maps.sh); deleting every key
# leaves len 0 and B unchanged (maps never shrink, Go issue #20135), and
# refills never grow.
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

sm_matrix delete-all 1000 --live 8000 --ops 100000

line=$(grep '^delete-all ' "$cli_out")
[[ "$line" =~ ([0-9]+)\ rounds\ emptied:\ B\ ([0-9]+)\ when\ full,\ ([0-9]+)\ after\ deleting\ every\ key\ \(len\ 0\)\;\ B\ ([0-9]+)\ at\ the\ end ]] ||
	cli_fail "no rounds line in the form expected: '$line'"
[[ ${BASH_REMATCH[1]} -ge 2 ]] || cli_fail "fewer than 2 rounds emptied: '$line'"
[[ ${BASH_REMATCH[2]} == "${BASH_REMATCH[3]}" && ${BASH_REMATCH[3]} == "${BASH_REMATCH[4]}" ]] ||
	cli_fail "B changed by deleting every key or refilling: '$line'"
[[ ${BASH_REMATCH[2]} -gt 0 ]] || cli_fail "the full map has B 0: '$line'"

cli_note "ok"
