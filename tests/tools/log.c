/*
 * log.c — assembling a trace and its derived figures
 * (tools/mapgc/trace_log.h): STW, percentiles, MMU on hand-computed
 * cases, runs, map line matching, "GC forced", events per cycle, the
 * interval CPU share, over-long lines, and the sample logs' key figures.
 */
#include "tests/tools/trace_test.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#define MS UINT64_C(1000000)

/* A gc line with the fields that matter here. */
static char *gcline(char *buf, size_t n, uint64_t num, const char *at, const char *clock, const char *tail)
{
	int len = snprintf(buf, n, "gc %llu @%ss 1%%: %s ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->5->3 MB, 8 MB goal, %s\n",
	                   (unsigned long long)num, at, clock, tail ? tail : "2 P");
	cr_assert_lt(len, (int)n, "test line longer than its buffer");
	return buf;
}

Test(trace_log, stw_and_percentiles)
{
	/* pauses 1..100 ms: p50 = 50, p99 = 99, max = 100 (nearest rank) */
	char *text = calloc(100, 160);
	char line[160];
	for (int i = 1; i <= 100; i++) {
		char clock[64], at[32];
		snprintf(clock, sizeof clock, "%d+1+0", i);
		snprintf(at, sizeof at, "%d.000", i);
		strcat(text, gcline(line, sizeof line, (uint64_t)i, at, clock, NULL));
	}
	trace_log *log = tt_log_from_str(text);
	const trace_summary *s = &log->sum;
	cr_assert_eq(s->cycles, 100);
	cr_assert_eq(s->stw_p50_ns, 50 * MS);
	cr_assert_eq(s->stw_p99_ns, 99 * MS);
	cr_assert_eq(s->stw_max_ns, 100 * MS);
	cr_assert_eq(s->stw_max_n, 100);
	cr_assert_eq(s->stw_total_ns, 5050 * MS);
	cr_assert_eq(s->heap[2].median, 3);
	cr_assert_eq(s->goal.max, 8);
	tt_log_free(log);
	free(text);
}

Test(trace_log, mmu_by_hand)
{
	/* One cycle at 0: pauses [0, 2] and [12, 13] ms, span 13 ms.
	 *   1 ms: a window inside the first pause: 0.
	 *  10 ms: the worst window holds the 2 ms pause: 0.8.
	 * 100 ms: longer than the trace: n/a. */
	char line[256];
	trace_log *log = tt_log_from_str(gcline(line, sizeof line, 1, "0.000", "2+10+1", NULL));
	cr_assert_float_eq(log->sum.mmu[0], 0.0, 1e-12);
	cr_assert_float_eq(log->sum.mmu[1], 0.8, 1e-12);
	cr_assert_lt(log->sum.mmu[2], 0);
	cr_assert_eq(log->sum.cycles, 1);
	cr_assert_eq(log->cycles[0].end_ns, 13 * MS);
	cr_assert_eq(log->cycles[0].stw_ns, 3 * MS);
	tt_log_free(log);

	/* Two cycles 50 ms apart, each with 0.5 + 0.5 ms of pauses 1 ms
	 * apart: the worst 10 ms window holds one cycle's 1 ms; 100 ms: all 2. */
	char text[512];
	snprintf(text, sizeof text, "%s", gcline(line, sizeof line, 1, "0.000", "0.5+1+0.5", NULL));
	strcat(text, gcline(line, sizeof line, 2, "0.050", "0.5+1+0.5", NULL));
	strcat(text, gcline(line, sizeof line, 3, "0.150", "0.5+1+0.5", NULL));
	log = tt_log_from_str(text);
	cr_assert_float_eq(log->sum.mmu[0], 0.5, 1e-12);   /* [0, 1 ms] of a cycle holds 0.5 */
	cr_assert_float_eq(log->sum.mmu[1], 0.9, 1e-12);
	cr_assert_float_eq(log->sum.mmu[2], 0.98, 1e-12);  /* [50, 150] holds 2 cycles */
	tt_log_free(log);
}

Test(trace_log, forced_go15_cycles_run_stopped)
{
	/* Go 1.5: runtime.GC stopped the world for every phase */
	trace_log *log = tt_log_from_str(
		"gc 1 @0.000s 1%: 1+2+3+4+5 ms clock, 1+2+0+3/4/5+6 ms cpu, 4->4->1 MB, 4 MB goal, 4 P (forced)\n"
		"gc 2 @0.100s 1%: 1+2+3+4+5 ms clock, 1+2+0+3/4/5+6 ms cpu, 4->4->1 MB, 4 MB goal, 4 P\n"
		"gc 3 @0.200s 1%: 1+2+3 ms clock, 1+3/4/5+6 ms cpu, 4->4->1 MB, 4 MB goal, 4 P (forced)\n");
	cr_assert_eq(log->cycles[0].stw_ns, 15 * MS);
	cr_assert_eq(log->cycles[1].stw_ns, 6 * MS);
	cr_assert_eq(log->cycles[2].stw_ns, 4 * MS);   /* Go 1.6+: cannot tell, the two STW phases */
	/* MMU: the forced cycle's 15 ms is one pause */
	cr_assert_float_eq(log->sum.mmu[1], 0.0, 1e-12);
	tt_log_free(log);
}

Test(trace_log, mmu_merges_overlapping_pauses)
{
	/* @S is truncated to the ms: two cycles printed at the same @S whose
	 * pauses overlap count once. */
	char text[512], line[256];
	snprintf(text, sizeof text, "%s", gcline(line, sizeof line, 1, "0.000", "1+0+1", NULL));
	strcat(text, gcline(line, sizeof line, 2, "0.000", "1+0+1", NULL));
	strcat(text, gcline(line, sizeof line, 3, "0.100", "0+0+0", NULL));
	trace_log *log = tt_log_from_str(text);
	/* pauses [0,1] ∪ [1,2] ∪ [0,1] ∪ [1,2] = [0,2]: the worst 10 ms has 2 ms */
	cr_assert_float_eq(log->sum.mmu[1], 0.8, 1e-12);
	tt_log_free(log);
}

Test(trace_log, runs_restart_numbering)
{
	char text[1024], line[256];
	snprintf(text, sizeof text, "%s", gcline(line, sizeof line, 1, "0.010", "1+1+1", NULL));
	strcat(text, gcline(line, sizeof line, 2, "0.020", "1+1+1", NULL));
	strcat(text, gcline(line, sizeof line, 1, "0.005", "1+1+1", NULL));   /* a second run */
	strcat(text, gcline(line, sizeof line, 4, "0.050", "1+1+1", NULL));   /* 2 and 3 missing */
	trace_log *log = tt_log_from_str(text);
	cr_assert_eq(log->sum.runs, 2);
	cr_assert_eq(log->cycles[2].run, 1);
	cr_assert_eq(log->sum.missing, 2);
	/* run 2 is placed after run 1's last end (23 ms) on the plots' time axis */
	cr_assert_eq(log->cycles[2].x_ns, 23 * MS + 5 * MS);
	/* spans: (23 − 10) + (53 − 5) ms */
	cr_assert_eq(log->sum.span_ns, 13 * MS + 48 * MS);
	tt_log_free(log);
}

static const char map_tail[] = ": 1 maps, 1 growing (0 same-size), 0 iters: 8+4 buckets new+old, 2/4 evacuated, "
                               "0+0 overflow new+old, 0 iter-only arrays 0 KB, tophash 1/2/3/4/5/6 "
                               "full/emptyOne/emptyRest/evacX/evacY/evacEmpty\n";

Test(trace_log, map_lines_follow_their_gc_line)
{
	char text[2048], line[256];
	snprintf(text, sizeof text, "map 1 @0.001s%s", map_tail);          /* before any gc line: orphan */
	strcat(text, gcline(line, sizeof line, 1, "0.001", "1+1+1", NULL));
	snprintf(text + strlen(text), sizeof text - strlen(text), "map 1 @0.001s%s", map_tail);   /* matched */
	snprintf(text + strlen(text), sizeof text - strlen(text), "map 1 @0.001s%s", map_tail);   /* a second: orphan */
	strcat(text, gcline(line, sizeof line, 2, "0.002", "1+1+1", NULL));
	snprintf(text + strlen(text), sizeof text - strlen(text), "map 3 @0.002s%s", map_tail);   /* wrong n: orphan */
	trace_log *log = tt_log_from_str(text);
	cr_assert_eq(log->nmaps, 4);
	cr_assert_eq(log->cycles[0].map, 1);
	cr_assert_eq(log->cycles[1].map, TRACE_NO_INDEX);
	cr_assert_eq(log->maps[0].cycle, TRACE_NO_INDEX);
	cr_assert_eq(log->maps[1].cycle, 0);
	cr_assert_eq(log->sum.map_lines, 4);
	cr_assert_eq(log->sum.map_matched, 1);
	cr_assert_eq(log->sum.map_growing_cycles, 4);
	cr_assert_eq(log->sum.map_max[TRACE_MAP_TH_EVAC_EMPTY], 6);
	tt_log_free(log);
}

Test(trace_log, gc_forced_marks_the_next_cycle)
{
	char text[2048], line[256];
	snprintf(text, sizeof text, "GC forced\nunrelated\n%s", gcline(line, sizeof line, 1, "120.0", "1+1+1", NULL));
	strcat(text, gcline(line, sizeof line, 2, "121.0", "1+1+1", NULL));
	strcat(text, "GC forced\n");
	strcat(text, gcline(line, sizeof line, 3, "240.0", "1+1+1", "2 P (forced)"));
	trace_log *log = tt_log_from_str(text);
	cr_assert_eq(log->cycles[0].forced_by, TRACE_FORCED_SYSMON);
	cr_assert(log->cycles[0].gc.forced);
	cr_assert_eq(log->cycles[1].forced_by, TRACE_FORCED_NO);
	cr_assert_eq(log->cycles[2].forced_by, TRACE_FORCED_CALL);
	cr_assert_eq(log->sum.forced, 2);
	cr_assert_eq(log->sum.forced_sysmon, 1);
	tt_log_free(log);
}

Test(trace_log, events_by_type_and_cycle)
{
	char text[2048], line[256];
	snprintf(text, sizeof text,
	         "mapev make m#1 B=0 hint=0 key=int64 elem=int64 noscan=1\n"
	         "mapev grow m#1 B=0->1 kind=double count=8 noverflow=0\n"
	         "mapev evacuate m#1 old=0 x=3 y=5 old_cells=noscan\n"
	         "mapev growdone m#1 B=1 released=2048\n"
	         "%s"
	         "mapev grow m#2 B=4->4 kind=same-size count=9 noverflow=16\n"
	         "mapev evacuate m#2 old=1 x=3 y=0 old_cells=kept\n"
	         "mapev iter m#2 start=1 offset=3 growing=1 B=4\n"
	         "mapev custom m#2 a=1\n"
	         "mapev clear m#2 B=4 count=0\n",
	         gcline(line, sizeof line, 1, "0.001", "1+1+1", NULL));
	trace_log *log = tt_log_from_str(text);
	const trace_events *e = &log->ev;
	cr_assert_eq(e->total, 9);
	cr_assert_eq(e->by_type[TRACE_EVENT_GROW], 2);
	cr_assert_eq(e->by_type[TRACE_EVENT_OTHER], 1);
	cr_assert_eq(e->nother, 1);
	cr_assert_str_eq(e->other[0].name, "custom");
	cr_assert_eq(e->grow_double, 1);
	cr_assert_eq(e->grow_same_size, 1);
	cr_assert_eq(e->growdone_released, 2048);
	cr_assert_eq(e->evac_noscan, 1);
	cr_assert_eq(e->evac_kept, 1);
	cr_assert_eq(e->iter_during_grow, 1);
	cr_assert_eq(e->max_map_id, 2);
	cr_assert_eq(e->after_last_gc, 5);
	cr_assert_eq(log->cycles[0].events[TRACE_EVENT_MAKE], 1);
	cr_assert_eq(log->cycles[0].events[TRACE_EVENT_EVACUATE], 1);
	cr_assert_eq(log->cycles[0].events[TRACE_EVENT_CLEAR], 0);
	tt_log_free(log);
}

Test(trace_log, interval_cpu_share)
{
	/* cycle 1: from program start to its end at 10 ms, GC CPU = 0.1+0.2+0.3+0.5
	 * (idle 0.4 excluded) = 1.1 ms over 2 P x 10 ms = 5.5 % */
	char text[512], line[256];
	snprintf(text, sizeof text, "%s", gcline(line, sizeof line, 1, "0.007", "1+1+1", NULL));
	strcat(text, gcline(line, sizeof line, 5, "0.100", "1+1+1", NULL));
	trace_log *log = tt_log_from_str(text);
	cr_assert_float_eq(log->cycles[0].interval_cpu_pct, 5.5, 1e-9);
	cr_assert_eq(log->cycles[0].gc_cpu_ns, 1100000);
	cr_assert_eq(log->cycles[0].mark_cpu_ns, 900000);
	/* mark rate: 3 MB live / 0.9 ms */
	cr_assert_float_eq(log->cycles[0].mark_rate, 3.0 / 0.0009, 1e-6);
	/* cycle 5 follows cycle 1 (cycles missing): from cycle 1's end */
	cr_assert_float_eq(log->cycles[1].interval_cpu_pct, 100.0 * 1.1 / (2 * 93.0), 1e-9);
	tt_log_free(log);

	/* a first cycle that is not number 1: no interval */
	log = tt_log_from_str(gcline(line, sizeof line, 7, "0.007", "1+1+1", NULL));
	cr_assert_lt(log->cycles[0].interval_cpu_pct, 0);
	cr_assert_lt(log->sum.summed_cpu_pct, 0);
	tt_log_free(log);
}

Test(trace_log, long_lines)
{
	size_t n = TRACE_LINE_MAX + 100;
	char *text = malloc(2 * n + 200);
	memset(text, 'x', n);
	text[n] = '\n';
	memcpy(text + n + 1, "gc 1 @", 6);                   /* a gc line over the limit */
	memset(text + n + 7, '1', n);
	text[2 * n + 7] = '\n';
	trace_log *log = tt_log_from(text, 2 * n + 8);
	cr_assert_eq(log->lines, 2);
	cr_assert_eq(log->long_lines, 1);
	cr_assert_eq(log->skipped, 1);
	cr_assert_eq(log->nerrors, 1);
	cr_assert(strstr(log->errors[0].msg, "over the 4096-byte limit") != NULL, "%s", log->errors[0].msg);
	cr_assert_eq(log->errors[0].line, 2);
	tt_log_free(log);
	free(text);
}

Test(trace_log, errors_keep_line_numbers)
{
	trace_log *log = tt_log_from_file("malformed.log");
	static const uint64_t want[] = { 2, 3, 5, 7, 8, 9, 11, 13, 17, 19, 20 };
	cr_assert_eq(log->nerrors, sizeof want / sizeof *want);
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		cr_assert_eq(log->errors[i].line, want[i], "error %zu", i);
	/* the good lines around them are all there, the prefixed one too */
	cr_assert_eq(log->ncycles, 4);
	cr_assert_eq(log->cycles[3].gc.n, 9);
	cr_assert_eq(log->nwbs, 1, "the good wb line, not the one without floating_kb");
	cr_assert_eq(log->wbs[0].cycle, 3);
	tt_log_free(log);
}

/* wb lines belong to their cycle (after its map line too), are summed per
 * mode in first-seen order, and a mode counts the runs it appears in. */
Test(trace_log, wb_lines_by_cycle_and_mode)
{
	static const char text[] =
		"gc 1 @0.010s 1%: 0.1+2+0.1 ms clock, 0.1+1/0/0+0.1 ms cpu, 4->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P\n"
		"map 1 @0.010s: 0 maps, 0 growing (0 same-size), 0 iters: 0+0 buckets new+old, 0/0 evacuated, 0+0 overflow "
		"new+old, 0 iter-only arrays 0 KB, tophash 0/0/0/0/0/0 full/emptyOne/emptyRest/evacX/evacY/evacEmpty\n"
		"wb 1 @0.010s: mode=yuasa slow=10 shaded_old=4 shaded_new=0 buffered=0 flushes=0 rescan_kb=0 floating_kb=3\n"
		"gc 2 @0.020s 1%: 0.1+2+0.1 ms clock, 0.1+1/0/0+0.1 ms cpu, 4->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P\n"
		"wb 2 @0.020s: mode=yuasa slow=20 shaded_old=5 shaded_new=0 buffered=0 flushes=0 rescan_kb=0 floating_kb=1\n"
		"wb 2 @0.020s: mode=yuasa slow=99 shaded_old=0 shaded_new=0 buffered=0 flushes=0 rescan_kb=0 floating_kb=0\n"
		"gc 1 @0.010s 1%: 0.1+2+0.1 ms clock, 0.1+1/0/0+0.1 ms cpu, 4->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P\n"
		"wb 1 @0.010s: mode=dijkstra slow=7 shaded_old=0 shaded_new=6 buffered=0 flushes=0 rescan_kb=2 floating_kb=0\n"
		"gc 1 @0.010s 1%: 0.1+2+0.1 ms clock, 0.1+1/0/0+0.1 ms cpu, 4->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P\n"
		"wb 1 @0.010s: mode=yuasa slow=1 shaded_old=1 shaded_new=0 buffered=0 flushes=0 rescan_kb=0 floating_kb=0\n";
	trace_log *log = tt_log_from_str(text);
	cr_assert_eq(log->nerrors, 0, "%s", log->errors[0].msg);
	cr_assert_eq(log->ncycles, 4);
	cr_assert_eq(log->nwbs, 5);
	cr_assert_eq(log->cycles[0].wb, 0);
	cr_assert_eq(log->cycles[1].wb, 1);
	cr_assert_eq(log->wbs[2].cycle, TRACE_NO_INDEX, "a second wb line for cycle 2 belongs to no cycle");
	cr_assert_eq(log->cycles[2].wb, 3);
	const trace_summary *s = &log->sum;
	cr_assert_eq(s->wb_lines, 5);
	cr_assert_eq(s->wb_matched, 4);
	cr_assert_eq(s->wb_nmodes, 2);
	cr_assert_str_eq(s->wb_modes[0].mode, "yuasa");
	cr_assert_eq(s->wb_modes[0].lines, 4);
	cr_assert_eq(s->wb_modes[0].runs, 2, "yuasa in runs 0 and 2");
	cr_assert_eq(s->wb_modes[0].sum[TRACE_WB_slow], 10 + 20 + 99 + 1);
	cr_assert_eq(s->wb_modes[0].sum[TRACE_WB_floating_bytes], 4);
	cr_assert_str_eq(s->wb_modes[1].mode, "dijkstra");
	cr_assert_eq(s->wb_modes[1].runs, 1);
	cr_assert_eq(s->wb_modes[1].sum[TRACE_WB_rescan_bytes], 2);
	cr_assert_eq(s->wb_total[TRACE_WB_slow], 137);
	cr_assert_eq(s->wb_total[TRACE_WB_shaded_new], 6);
	tt_log_free(log);
}

Test(trace_log, sample_logs)
{
	trace_log *log = tt_log_from_file("go119.log");
	cr_assert_eq(log->ncycles, 31);
	cr_assert_eq(log->sum.forced, 10);
	cr_assert_eq(log->sum.formats, 1u << TRACE_FORMAT_GO119);
	cr_assert_eq(log->nerrors, 0);
	cr_assert_eq(log->skipped, 16);
	tt_log_free(log);

	log = tt_log_from_file("go15.log");
	cr_assert_eq(log->sum.formats, 1u << TRACE_FORMAT_GO15);
	cr_assert_eq(log->nerrors, 0);
	/* the forced cycle ran all stopped: 0.092 + 6.8 ms */
	cr_assert_eq(log->cycles[9].stw_ns, 6892000);
	tt_log_free(log);

	log = tt_log_from_file("go16.log");
	cr_assert_eq(log->sum.formats, 1u << TRACE_FORMAT_GO16);
	cr_assert_eq(log->sum.forced_sysmon, 2);
	tt_log_free(log);

	log = tt_log_from_file("mapgc.log");
	cr_assert_eq(log->nerrors, 0);
	cr_assert_gt(log->ncycles, 10);
	cr_assert_eq(log->sum.map_matched, log->ncycles);
	cr_assert_gt(log->ev.total, 1000);
	cr_assert_gt(log->sum.map_max[TRACE_MAP_ITER_ONLY], 0);
	tt_log_free(log);
}
