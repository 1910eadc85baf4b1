#!/usr/bin/env bash
# stress_maps_ptr_values.sh — `mapgc stress ptr-values`: the same checksum for
# every collector setting (sm_matrix in stress_maps.sh), with the first
# periodic iteration (op 499999) inside the run; and the benchmark's
# specification is pinned by a golden checksum, since a Go twin reproduces it.
# shellcheck source-path=SCRIPTDIR source=stress_maps.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_maps.sh" || exit 1

sm_matrix ptr-values 2000 --live 5000 --ops 500000

# Golden value: seed 1, --live 5000 --ops 500000 — also what a Go program
# following the specification with a Go map prints.  If this changes, the
# workload no longer follows the specification in stress_ptr_values.c (or
# the specification changed, and its Go twin must change with it).
cli_run -- stress ptr-values --seed 1 --live 5000 --ops 500000 --gogc off
sm_expect_result ptr-values
golden=254576e9a361e9e3
[[ $sm_checksum == "$golden" ]] ||
	cli_fail "seed 1 --live 5000 --ops 500000 gave $sm_checksum, the specification gives $golden"

cli_run -- stress --list
grep -q '^ptr-values  (default --ops 5000000 --live 1000000)$' "$cli_out" ||
	cli_fail "--list does not give ptr-values the benchmark's defaults (ops 5000000, live 1000000)"

cli_note "ok"
