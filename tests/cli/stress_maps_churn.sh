#!/usr/bin/env bash
# stress_maps_churn.sh — `mapgc stress churn`: the same checksum for every
# collector setting (sm_matrix in stress_maps.sh); a map at constant size
# under churn grows only same-size (Go issue #16070), and the counts are
# printed before the result line.
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

sm_matrix churn 1000 --live 3000 --ops 200000

same=$(sm_field 'churn grows ' '^churn grows +([0-9]+) same-size')
doubling=$(sm_field 'churn grows ' ', ([0-9]+) doubling during the ops')
[[ -n "$same" && "$same" -gt 0 ]] || cli_fail "no same-size grow under churn: $(grep '^churn grows' "$cli_out")"
[[ "$doubling" == 0 ]] || cli_fail "a constant-size map doubled: $(grep '^churn grows' "$cli_out")"
Bs=$(sm_field 'churn map ' 'B ([0-9]+ after setup, [0-9]+) at end')
[[ "$Bs" =~ ^([0-9]+)\ after\ setup,\ ([0-9]+)$ && ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]] ||
	cli_fail "B changed under churn: $(grep '^churn map' "$cli_out")"
# The extra lines come before the summary, so the result line stays last.
[[ $(grep -n '^churn grows' "$cli_out" | cut -d: -f1) -lt $(grep -n '^workload ' "$cli_out" | cut -d: -f1) ]] ||
	cli_fail "the churn lines do not come before the summary"

cli_note "ok"
