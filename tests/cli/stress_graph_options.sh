#!/usr/bin/env bash
# stress_graph_options.sh — how command-line options and the MAPGC_*
# environment combine: the environment is honoured, options override it,
# and --trace-file takes the trace lines off stderr.
# shellcheck source=stress_graph.sh
source "$(dirname "${BASH_SOURCE[0]}")/stress_graph.sh" || exit 1

size=(--seed 11 --live 20000 --ops 100000)

# Reference: no collection at all.
sg_run -- stress graph "${size[@]}" --gogc off
sg_expect_result
ref=$sg_checksum
[[ $(sg_cycles) == 0 ]] || sg_fail "--gogc off still ran $(sg_cycles) cycles$(sg_tail)"

# MAPGC_GOGC is honoured ...
sg_run MAPGC_GOGC=25 -- stress graph "${size[@]}"
sg_expect_result
[[ $sg_checksum == "$ref" ]] || sg_fail "MAPGC_GOGC=25 changed the checksum: $sg_checksum, want $ref"
[[ $(sg_cycles) -gt 0 ]] || sg_fail "MAPGC_GOGC=25: no gc cycles$(sg_tail)"
# ... and --gogc overrides it.
sg_run MAPGC_GOGC=25 -- stress graph "${size[@]}" --gogc off
sg_expect_result
[[ $(sg_cycles) == 0 ]] || sg_fail "--gogc off did not override MAPGC_GOGC=25: $(sg_cycles) cycles$(sg_tail)"

# gctrace=1 from MAPGC_DEBUG goes to stderr, one gc line per cycle ...
gc_line='^gc [0-9]+ @[0-9]+\.[0-9]{3}s [0-9]+%: '
sg_run MAPGC_DEBUG=gctrace=1 -- stress graph "${size[@]}" --gogc 25
sg_expect_result
cycles=$(sg_cycles)
lines=$(grep -Ec "$gc_line" "$sg_err")
[[ $lines -gt 0 && $lines -eq $cycles ]] ||
	sg_fail "gctrace=1: $lines gc lines on stderr for $cycles cycles$(sg_tail)"
! grep -Eq "$gc_line" "$sg_out" || sg_fail "gctrace=1: gc lines on stdout$(sg_tail)"
# ... or to --trace-file, and then not to stderr.
trace=$sg_tmp/trace.txt
sg_run MAPGC_DEBUG=gctrace=1 -- stress graph "${size[@]}" --gogc 25 --trace-file "$trace"
sg_expect_result
[[ -f "$trace" ]] || sg_fail "--trace-file did not create $trace"
lines=$(grep -Ec "$gc_line" "$trace")
[[ $lines -gt 0 && $lines -eq $(sg_cycles) ]] ||
	sg_fail "--trace-file: $lines gc lines in the file for $(sg_cycles) cycles$(sg_tail)"
! grep -Eq "$gc_line" "$sg_err" || sg_fail "--trace-file: gc lines still on stderr$(sg_tail)"

# An unwritable trace file is an error of its own (status 1), not a usage error.
sg_run -- stress graph "${size[@]}" --trace-file "$sg_tmp/no/such/dir/trace"
[[ $sg_rc -eq 1 ]] || sg_fail "unwritable --trace-file: exit status $sg_rc, want 1$(sg_tail)"

# --barrier overrides MAPGC_DEBUG's wb= (stress_graph_wbnone.sh shows wb=none is honoured).
sg_run MAPGC_DEBUG=wb=none,gccheckmark=1 -- stress graph "${size[@]}" --gogc 25 --barrier yuasa
sg_expect_result
[[ $sg_checksum == "$ref" ]] || sg_fail "--barrier yuasa over wb=none: checksum $sg_checksum, want $ref"
grep -q '^config .*barrier=yuasa' "$sg_out" || sg_fail "summary does not show barrier=yuasa$(sg_tail)"

sg_note "ok"
