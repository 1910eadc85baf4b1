#!/usr/bin/env bash
# stress_compare_barriers.sh — `mapgc stress WORKLOAD --compare-barriers`
# (DESIGN.md §7; tools/mapgc/stress_compare.h): one row per run (hybrid,
# yuasa, dijkstra, stw), every row with the checksum of the plain run, the
# barrier figures each mode must have, the trace of all four runs when
# asked for and none when not; the checks that must fire: a checksum that
# differs in one row (MAPGC_TEST_COMPARE_SKEW) is exit 1 with no result
# line, a run's fatal error exit 2; usage errors exit 2.
# shellcheck source-path=SCRIPTDIR source=lib/cli.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh" || exit 1
cli_find_bin

runs=(hybrid yuasa dijkstra stw)

# Usage errors are found before anything runs (nothing on stdout, not even the seed).
cli_usage_error "with --barrier" stress graph --compare-barriers --barrier yuasa
cli_usage_error "with --barrier before it" stress graph --barrier hybrid --compare-barriers
cli_usage_error "with --backend boehm" stress graph --compare-barriers --backend boehm
grep -q 'takes no --backend boehm' "$cli_err" || cli_fail "the boehm usage error does not say why$(cli_tail)"
cli_usage_error "with --stats-json" stress graph --compare-barriers --stats-json "$cli_tmp/s.json"
cli_usage_error "with a value" stress graph --compare-barriers=yes
cli_usage_error "with --soak" stress --soak 1s --compare-barriers
cli_usage_error "without a workload" stress --compare-barriers

# cc_rows: the table's rows of the last run, "RUN CHECKSUM SLOW OLD NEW RESCAN_KB", in order.
cc_rows() {
	awk '$1 ~ /^(hybrid|yuasa|dijkstra|stw)$/ && NF == 12 { print $1, $12, $7, $8, $9, $10 }' "$cli_out"
}

# cc_compare WORKLOAD ARGS…: the comparison and the plain run agree.
cc_compare() {
	local workload=$1
	shift
	cli_run -- stress "$workload" "$@"
	cli_expect_rc 0
	local plain=${cli_out}.plain
	cp "$cli_out" "$plain"
	local want
	want=$(tail -n 1 "$plain")
	[[ $want =~ ^result\ $workload\ .*checksum=([0-9a-f]{16})$ ]] || cli_fail "no result line: $cli_cmd$(cli_tail)"
	local sum=${BASH_REMATCH[1]}

	cli_run -- stress "$workload" "$@" --compare-barriers
	cli_expect_rc 0
	[[ "$(tail -n 1 "$cli_out")" == "$want" ]] ||
		cli_fail "$workload: the comparison's last line is not the plain run's result line '$want'$(cli_tail)"
	[[ "$(head -n 1 "$cli_out")" == "$(head -n 1 "$plain")" ]] || cli_fail "$workload: not the plain run's seed line$(cli_tail)"
	[[ ! -s "$cli_err" ]] || cli_fail "$workload: trace lines on stderr though none were asked for$(cli_tail)"
	local names="" row
	while read -r row; do
		read -r name ck slow old new rescan <<<"$row"
		names+="$name "
		[[ $ck == "$sum" ]] || cli_fail "$workload: the $name row has checksum $ck, the plain run $sum$(cli_tail)"
		case $name in
		stw) [[ $slow -eq 0 ]] || cli_fail "$workload: stw took $slow slow paths: nothing runs while it marks" ;;
		yuasa) [[ $new -eq 0 ]] || cli_fail "$workload: yuasa shaded $new new values" ;;
		dijkstra) [[ $old -eq 0 ]] || cli_fail "$workload: dijkstra shaded $old old values" ;;
		esac
		[[ $name == dijkstra || $rescan == 0.0 ]] || cli_fail "$workload: $name rescanned $rescan KB of roots"
		[[ $name == stw || $slow -gt 0 ]] || cli_fail "$workload: $name took no slow path (the test wants marking to overlap the mutator)"
	done < <(cc_rows)
	[[ $names == "${runs[*]} " ]] || cli_fail "$workload: rows '$names', want '${runs[*]} '$(cli_tail)"
	cli_note "$workload: 4 rows, checksum $sum on each"
}
cc_compare graph --seed 3 --ops 60000 --live 20000 --gogc 25
cc_compare ptr-values --seed 4 --ops 40000 --live 5000 --gogc 25

# The trace of all four runs, in table order, when a trace file is given;
# on stderr when MAPGC_DEBUG asks for one.
log=$cli_tmp/compare.log
cli_run -- stress graph --seed 3 --ops 60000 --live 20000 --gogc 25 --compare-barriers --trace-file "$log"
cli_expect_rc 0
modes=$(sed -n 's/^wb [0-9]* @[0-9.]*s: mode=\([a-z]*\) .*/\1/p' "$log" | uniq | tr '\n' ' ')
[[ $modes == "hybrid yuasa dijkstra hybrid " ]] || cli_fail "trace file: wb modes in order '$modes'"
[[ $(grep -c '^wb ' "$log") -ge 4 ]] || cli_fail "trace file: fewer wb lines than runs"
! grep -q '^gc ' "$log" || cli_fail "trace file: gc lines though gctrace was not asked for"
# mapgc trace reads it per mode: hybrid in two runs (the stw run is under hybrid), the others in one.
cli_run -- trace summary "$log"
cli_expect_rc 0
for row in 'hybrid +[0-9]+ +2 ' 'yuasa +[0-9]+ +1 ' 'dijkstra +[0-9]+ +1 ' 'total +[0-9]+ +4 '; do
	grep -Eq "^ +$row" "$cli_out" || cli_fail "trace summary of the comparison: no row '$row'$(cli_tail)"
done
cli_run MAPGC_DEBUG=gctrace=1 -- stress graph --seed 3 --ops 60000 --live 20000 --gogc 25 --compare-barriers
cli_expect_rc 0
[[ $(grep -c '^gc ' "$cli_err") -eq $(grep -c '^wb ' "$cli_err") && $(grep -c '^wb ' "$cli_err") -ge 4 ]] ||
	cli_fail "MAPGC_DEBUG=gctrace=1: want a gc and a wb line per cycle on stderr$(cli_tail)"

# The equality check fires: one row's checksum skewed (the test hook).
for skew in yuasa hybrid stw; do
	cli_run MAPGC_TEST_COMPARE_SKEW=$skew -- stress graph --seed 3 --ops 20000 --live 5000 --compare-barriers
	cli_expect_rc 1
	grep -q 'checksums differ' "$cli_err" || cli_fail "skewed $skew: no message$(cli_tail)"
	! grep -q '^result ' "$cli_out" || cli_fail "skewed $skew: a result line though the checksums differ$(cli_tail)"
	[[ $(cc_rows | wc -l) -eq 4 ]] || cli_fail "skewed $skew: the rows are not all printed$(cli_tail)"
done
cli_note "a skewed checksum in any row is caught"

# A run's fatal error ends the comparison with status 2 and names the run.
cli_run MAPGC_DEBUG=failalloc=1 -- stress graph --seed 3 --ops 2000 --live 500 --compare-barriers
cli_expect_rc 2
grep -q 'fatal error: out of memory' "$cli_err" || cli_fail "failalloc=1: no fatal error$(cli_tail)"
grep -q 'the hybrid run failed (exit status 2)' "$cli_err" || cli_fail "failalloc=1: the failed run is not named$(cli_tail)"
! grep -q '^result ' "$cli_out" || cli_fail "failalloc=1: a result line after a failed run"
cli_note "ok"
