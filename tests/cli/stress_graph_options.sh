#!/usr/bin/env bash
# stress_graph_options.sh — how command-line options and the MAPGC_*
# environment combine: the environment is honoured, options override it,
# and --trace-file takes the trace lines off stderr.
# shellcheck source-path=SCRIPTDIR source=stress_graph.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_graph.sh" || exit 1

size=(--seed 11 --live 20000 --ops 100000)

# Reference: no collection at all.
cli_run -- stress graph "${size[@]}" --gogc off
sg_expect_result
ref=$sg_checksum
[[ $(cli_cycles) == 0 ]] || cli_fail "--gogc off still ran $(cli_cycles) cycles$(cli_tail)"

# MAPGC_GOGC is honoured ...
cli_run MAPGC_GOGC=25 -- stress graph "${size[@]}"
sg_expect_result
[[ $sg_checksum == "$ref" ]] || cli_fail "MAPGC_GOGC=25 changed the checksum: $sg_checksum, want $ref"
[[ $(cli_cycles) -gt 0 ]] || cli_fail "MAPGC_GOGC=25: no gc cycles$(cli_tail)"
# ... and --gogc overrides it.
cli_run MAPGC_GOGC=25 -- stress graph "${size[@]}" --gogc off
sg_expect_result
[[ $(cli_cycles) == 0 ]] || cli_fail "--gogc off did not override MAPGC_GOGC=25: $(cli_cycles) cycles$(cli_tail)"

# gctrace=1 from MAPGC_DEBUG goes to stderr, one gc line per cycle ...
gc_line='^gc [0-9]+ @[0-9]+\.[0-9]{3}s [0-9]+%: '
cli_run MAPGC_DEBUG=gctrace=1 -- stress graph "${size[@]}" --gogc 25
sg_expect_result
cycles=$(cli_cycles)
lines=$(grep -Ec "$gc_line" "$cli_err")
[[ $lines -gt 0 && $lines -eq $cycles ]] ||
	cli_fail "gctrace=1: $lines gc lines on stderr for $cycles cycles$(cli_tail)"
! grep -Eq "$gc_line" "$cli_out" || cli_fail "gctrace=1: gc lines on stdout$(cli_tail)"
# ... or to --trace-file, and then not to stderr.
trace=$cli_tmp/trace.txt
cli_run MAPGC_DEBUG=gctrace=1 -- stress graph "${size[@]}" --gogc 25 --trace-file "$trace"
sg_expect_result
[[ -f "$trace" ]] || cli_fail "--trace-file did not create $trace"
lines=$(grep -Ec "$gc_line" "$trace")
[[ $lines -gt 0 && $lines -eq $(cli_cycles) ]] ||
	cli_fail "--trace-file: $lines gc lines in the file for $(cli_cycles) cycles$(cli_tail)"
! grep -Eq "$gc_line" "$cli_err" || cli_fail "--trace-file: gc lines still on stderr$(cli_tail)"

# An unwritable trace file is an error of its own (status 1), not a usage error.
cli_run -- stress graph "${size[@]}" --trace-file "$cli_tmp/no/such/dir/trace"
[[ $cli_rc -eq 1 ]] || cli_fail "unwritable --trace-file: exit status $cli_rc, want 1$(cli_tail)"

# --barrier overrides MAPGC_DEBUG's wb= (stress_graph_wbnone.sh shows wb=none is honoured).
cli_run MAPGC_DEBUG=wb=none,gccheckmark=1 -- stress graph "${size[@]}" --gogc 25 --barrier yuasa
sg_expect_result
[[ $sg_checksum == "$ref" ]] || cli_fail "--barrier yuasa over wb=none: checksum $sg_checksum, want $ref"
grep -q '^config .*barrier=yuasa' "$cli_out" || cli_fail "summary does not show barrier=yuasa$(cli_tail)"

cli_note "ok"
