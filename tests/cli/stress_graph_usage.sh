#!/usr/bin/env bash
# stress_graph_usage.sh — usage errors exit 2 with a usage on stderr and
# nothing on stdout; --help and --list succeed on stdout (DESIGN.md §7).
# shellcheck source-path=SCRIPTDIR source=stress_graph.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_graph.sh" || exit 1

cli_usage_error "no command"
cli_usage_error "unknown command" frobnicate
cli_usage_error "unknown top-level option" --frobnicate
cli_usage_error "no workload" stress
cli_usage_error "options but no workload" stress --ops 10
cli_usage_error "unknown workload" stress no-such-workload
cli_usage_error "two workloads" stress graph graph
cli_usage_error "unknown option" stress graph --frobnicate
cli_usage_error "unknown option sharing a prefix" stress graph --opsx 5
cli_usage_error "single-dash option" stress graph -x
cli_usage_error "missing value at the end" stress graph --ops
cli_usage_error "--list with a value" stress --list=yes
cli_usage_error "--list with a workload" stress --list graph
for bad in abc -1 +1 ' 5' 5x 1e3 '' 0x10 99999999999999999999999; do
	cli_usage_error "bad --ops '$bad'" stress graph --ops "$bad"
	cli_usage_error "bad --ops='$bad'" stress graph "--ops=$bad"
done
cli_usage_error "--live 0" stress graph --live 0
cli_usage_error "bad --live" stress graph --live many
cli_usage_error "--seed past 2^64-1" stress graph --seed 18446744073709551616
cli_usage_error "negative --seed" stress graph --seed -3
cli_usage_error "bad --gogc" stress graph --gogc fast
cli_usage_error "negative --gogc" stress graph --gogc -5
cli_usage_error "bad --barrier" stress graph --barrier steele
cli_usage_error "bad --backend" stress graph --backend jvm
for bad in 0 -1 x '' +2 ' 2' 2x 257 99999 99999999999999999999999; do
	cli_usage_error "bad --procs '$bad'" stress graph --procs "$bad"
done
grep -q -- "bad --procs '99999999999999999999999' (want a number of Ps, 1 to 256)" "$cli_err" ||
	cli_fail "the --procs usage error does not say what it wants$(cli_tail)"
cli_usage_error "--procs with no value" stress graph --procs
cli_usage_error "--procs with --soak" stress --soak 1s --procs 2

# Usage errors are found before anything runs: the run would be huge.
cli_usage_error "bad option after a good one" stress graph --ops 100000000000 --live 100000000 --gogc x

# boehm is a known backend, and runs (its own tests: tests/cli/boehm_*.sh).
cli_run -- stress graph --backend boehm --ops 10 --live 10
sg_expect_result

# The short usage (of a usage error) and --help name --procs.
cli_usage_error "unknown option, for the short usage" stress graph --frobnicate
grep -q -- '--procs N' "$cli_err" || cli_fail "the short usage does not list --procs$(cli_tail)"
cli_run -- stress --help
grep -q -- '^  --procs N ' "$cli_out" || cli_fail "stress --help does not explain --procs$(cli_tail)"

# Help goes to stdout with status 0.
for args in "--help" "-h" "stress --help"; do
	# shellcheck disable=SC2086  # split on purpose
	cli_run -- $args
	cli_expect_rc 0
	grep -q 'usage: mapgc' "$cli_out" || cli_fail "mapgc $args: no usage on stdout$(cli_tail)"
	[[ ! -s "$cli_err" ]] || cli_fail "mapgc $args: wrote to stderr$(cli_tail)"
done
cli_run -- --help
grep -q 'stress' "$cli_out" || cli_fail "mapgc --help does not mention the stress command"

# --list names graph on a line of its own, followed by its paragraph.
cli_run -- stress --list
cli_expect_rc 0
grep -q '^graph ' "$cli_out" || cli_fail "stress --list does not list graph$(cli_tail)"
[[ $(grep -A1 '^graph ' "$cli_out" | tail -n 1) =~ ^[[:space:]]+[A-Za-z] ]] ||
	cli_fail "stress --list has no description under graph$(cli_tail)"
[[ ! -s "$cli_err" ]] || cli_fail "stress --list wrote to stderr$(cli_tail)"

# A good run, for contrast: the same parser accepts the full option set.
cli_run -- stress graph --seed 1 --ops 100 --live 100 --gogc off --procs 2 --barrier yuasa --backend mapgc
sg_expect_result

cli_note "ok"
