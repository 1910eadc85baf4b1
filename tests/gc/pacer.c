/*
 * The pacer: goal and trigger arithmetic against numbers computed by hand
 * (gc/pacer.c's formula, DESIGN.md §3), then end to end: GOGC=off, GOGC=100
 * and a memory limit over garbage churn.
 *
 * Formula (x·n/d is computed without overflow and rounded down):
 *   goal    = marked + (marked + stacks + globals)·GOGC/100,
 *             at least 4 MiB·GOGC/100; with a limit L, at most L − L/20,
 *             but never below marked
 *   lo, hi  = marked + 0.7·(goal − marked), marked + 0.95·(goal − marked)
 *   trigger = 7/8·goal with no history, else goal − runway with
 *             runway = consMark·(1−0.25)/0.25·(last_heap_scan + stacks + globals);
 *             then clamped to [lo, hi]
 */
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <string.h>

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)

static void pace(uint64_t marked, uint64_t stacks, uint64_t globals, uint64_t scan, int gogc, int64_t limit,
                 double cons, uint64_t want_goal, uint64_t want_trigger)
{
	uint64_t goal = 1, trigger = 1;
	gc_test_pacer(marked, stacks, globals, scan, gogc, limit, cons, &goal, &trigger);
	cr_assert_eq(goal, want_goal, "marked %" PRIu64 " gogc %d limit %" PRId64 ": goal %" PRIu64 ", want %" PRIu64,
	             marked, gogc, limit, goal, want_goal);
	cr_assert_eq(trigger, want_trigger,
	             "marked %" PRIu64 " gogc %d limit %" PRId64 " cons %g: trigger %" PRIu64 ", want %" PRIu64, marked,
	             gogc, limit, cons, trigger, want_trigger);
}

#define NOLIMIT MG_MEMLIMIT_NONE
#define NOHIST (-1.0)

Test(pacer, empty_heap_gets_the_minimum)
{
	/* goal = max(0 + 0, 4 MiB) = 4194304; trigger = 7/8 goal = 3670016,
	 * inside [0.7, 0.95]·goal = [2936012, 3984588]. */
	pace(0, 0, 0, 0, 100, NOLIMIT, NOHIST, 4194304, 3670016);
	/* GOGC=200: minimum 8 MiB; 1 MiB marked → 1 + 2 = 3 MiB < 8 MiB.
	 * trigger 7/8·8 MiB = 7340032, inside [6186598, 8021606]. */
	pace(1 * MiB, 0, 0, 0, 200, NOLIMIT, NOHIST, 8388608, 7340032);
}

Test(pacer, goal_counts_stacks_and_globals)
{
	/* 10 MiB marked, 1 MiB stacks, 1 MiB globals, GOGC=100:
	 * goal = 10 + 12 = 22 MiB = 23068672; 7/8 goal = 20185088 is inside
	 * lo = 10485760 + 0.7·12582912 = 19293798 and
	 * hi = 10485760 + 0.95·12582912 = 22439526. */
	pace(10 * MiB, 1 * MiB, 1 * MiB, 0, 100, NOLIMIT, NOHIST, 23068672, 20185088);
	/* GOGC=10: goal = 10 MiB + 1 MiB = 11534336 (minimum 419430);
	 * 7/8 goal = 10092544 < marked, so the clamp's floor wins:
	 * lo = 10485760 + 0.7·1048576 = 11219763. */
	pace(10 * MiB, 0, 0, 0, 10, NOLIMIT, NOHIST, 11534336, 11219763);
}

Test(pacer, gogc_50_clamps_the_initial_trigger)
{
	/* goal = 2 MiB + 1 MiB = 3145728 (minimum 2 MiB).  7/8 goal = 2752512
	 * is below lo = 2097152 + 0.7·1048576 = 2831155: trigger = lo. */
	pace(2 * MiB, 0, 0, 0, 50, NOLIMIT, NOHIST, 3145728, 2831155);
}

Test(pacer, gogc_zero)
{
	/* goal = marked; the trigger has nowhere to go but marked. */
	pace(10 * MiB, 0, 0, 0, 0, NOLIMIT, NOHIST, 10485760, 10485760);
	pace(0, 0, 0, 0, 0, NOLIMIT, NOHIST, 0, 0);
}

Test(pacer, runway_from_history)
{
	/* marked 8 MiB, stacks 64 KiB, globals 64 KiB, last heap scan 4 MiB:
	 * goal = 8388608 + 8519680 = 16908288;
	 * lo = 8388608 + 5963776 = 14352384, hi = 8388608 + 8093696 = 16482304.
	 * consMark 0.1: runway = 0.1 · 0.75/0.25 · (4194304 + 131072)
	 *             = 0.3 · 4325376 = 1297612.8 → trigger 16908288 − 1297612 = 15610676. */
	pace(8 * MiB, 64 * KiB, 64 * KiB, 4 * MiB, 100, NOLIMIT, 0.1, 16908288, 15610676);
	/* consMark 10: runway 129761280 > goal → trigger 0 → lo. */
	pace(8 * MiB, 64 * KiB, 64 * KiB, 4 * MiB, 100, NOLIMIT, 10.0, 16908288, 14352384);
	/* consMark 0: no runway → trigger = goal → hi. */
	pace(8 * MiB, 64 * KiB, 64 * KiB, 4 * MiB, 100, NOLIMIT, 0.0, 16908288, 16482304);
	/* consMark 0.5: runway = 1.5 · 4325376 = 6488064 → 10420224 < lo → lo. */
	pace(8 * MiB, 64 * KiB, 64 * KiB, 4 * MiB, 100, NOLIMIT, 0.5, 16908288, 14352384);
	/* consMark 0.05: runway = 0.15 · 4325376 = 648806.4 → 16259482. */
	pace(8 * MiB, 64 * KiB, 64 * KiB, 4 * MiB, 100, NOLIMIT, 0.05, 16908288, 16259482);
}

/* consMark as Go 1.19's endCycle measures it: u is the background goal
 * (0.25) plus the assists' share of the Ps' time, whatever the workers
 * got; idle marking adds to the work, not to u:
 *   cm = (heapLive − triggered) · (u + idle) / (scanWork · (1 − u)).
 * A cycle of 10 ms at 2 Ps (20 ms of P time): assists 2 ms (u = 0.35),
 * dedicated 1 ms (not in u), idle 4 ms (0.2); 3 MiB allocated during
 * mark over 6 MiB of scan work: cm = 0.5 · 0.55 / 0.65 = 0.4230769... */
Test(pacer, cons_mark_is_go_1_19s)
{
	mg_runtime *rt = mgt_open(NULL);
	gc_state *gc = rt->gc;
	gc_cycle saved = gc->cur;
	gc->pacer.ncons = 0;
	gc->cur.forced = false;
	gc->cur.procs = 2;
	gc->cur.t_mark = 1000;
	gc->cur.t_markterm = 1000 + 10000000;
	gc->cur.cpu_assist = 2000000;
	gc->cur.cpu_background = 0;
	gc->cur.cpu_dedicated = 1000000;
	gc->cur.cpu_fractional = 0;
	gc->cur.cpu_idle = 4000000;
	gc->cur.alloc_during_mark = 3 * MiB;
	gc->cur.scan_work = 6 * MiB;
	gc_pacer_end_cycle(rt);
	cr_assert_eq(gc->pacer.ncons, 1);
	double want = 0.5 * 0.55 / 0.65;
	cr_assert_float_eq(gc->pacer.cons_mark[0], want, 1e-12, "cons_mark %.9f, want %.9f", gc->pacer.cons_mark[0],
	                   want);
	gc->cur = saved;
	mgt_close(rt);
}

Test(pacer, gogc_off)
{
	pace(0, 0, 0, 0, MG_GOGC_OFF, NOLIMIT, NOHIST, UINT64_MAX, UINT64_MAX);
	pace(100 * MiB, 1 * MiB, 1 * MiB, 50 * MiB, MG_GOGC_OFF, NOLIMIT, 0.3, UINT64_MAX, UINT64_MAX);
}

Test(pacer, memory_limit)
{
	/* GOGC=off, limit 100 MiB: goal = 104857600 − 5242880 = 99614720;
	 * 7/8 goal = 87162880 inside [72876032, 95158272]. */
	pace(10 * MiB, 0, 0, 0, MG_GOGC_OFF, 100 * (int64_t)MiB, NOHIST, 99614720, 87162880);
	/* GOGC=off, limit 16 MiB, empty heap: goal = 16777216 − 838860 = 15938356;
	 * 7/8 goal = 13946061 inside [11156849, 15141438]. */
	pace(0, 0, 0, 0, MG_GOGC_OFF, 16 * (int64_t)MiB, NOHIST, 15938356, 13946061);
	/* GOGC=100 would give 20 MiB; the 16 MiB limit caps it at 15938356;
	 * 7/8 goal = 13946061 < lo = 10485760 + 0.7·5452596 = 14302577 → lo. */
	pace(10 * MiB, 0, 0, 0, 100, 16 * (int64_t)MiB, NOHIST, 15938356, 14302577);
	/* A limit above the GOGC goal changes nothing: 20 MiB, 7/8 → 18350080. */
	pace(10 * MiB, 0, 0, 0, 100, (int64_t)1 << 40, NOHIST, 20971520, 18350080);
	/* Limit below the live heap: goal = marked (collect back to back). */
	pace(20 * MiB, 0, 0, 0, 100, 8 * (int64_t)MiB, NOHIST, 20971520, 20971520);
	pace(20 * MiB, 0, 0, 0, MG_GOGC_OFF, 8 * (int64_t)MiB, 0.2, 20971520, 20971520);
	/* Limit 0. */
	pace(0, 0, 0, 0, 100, 0, NOHIST, 0, 0);
}

/* For many inputs: marked ≤ lo ≤ trigger ≤ hi ≤ goal, and goal respects
 * the minimum and the limit. */
Test(pacer, bounds_hold_for_random_inputs)
{
	mgt_rng rng;
	mgt_rng_init(&rng, 7);
	for (int i = 0; i < 100000; i++) {
		uint64_t marked = mgt_rng_below(&rng, (uint64_t)1 << (mgt_rng_below(&rng, 40) + 1));
		uint64_t stacks = mgt_rng_below(&rng, 4 * MiB), globals = mgt_rng_below(&rng, MiB);
		uint64_t scan = mgt_rng_below(&rng, marked + 1);
		int gogc = mgt_rng_below(&rng, 8) == 0 ? MG_GOGC_OFF : (int)mgt_rng_below(&rng, 1000);
		int64_t limit = mgt_rng_below(&rng, 3) == 0 ? (int64_t)mgt_rng_below(&rng, (uint64_t)1 << 41) : NOLIMIT;
		double cons = mgt_rng_below(&rng, 4) == 0 ? -1.0 : (double)mgt_rng_below(&rng, 1000) / 100.0;
		uint64_t goal, trigger;
		gc_test_pacer(marked, stacks, globals, scan, gogc, limit, cons, &goal, &trigger);
		if (gogc == MG_GOGC_OFF && limit == NOLIMIT) {
			cr_assert_eq(goal, UINT64_MAX);
			cr_assert_eq(trigger, UINT64_MAX);
			continue;
		}
		cr_assert_geq(goal, marked, "case %d: goal %" PRIu64 " < marked %" PRIu64, i, goal, marked);
		uint64_t span = goal - marked;
		uint64_t lo = marked + span / 10 * 7 + span % 10 * 7 / 10;
		uint64_t hi = marked + span / 100 * 95 + span % 100 * 95 / 100;
		cr_assert_geq(trigger, lo,
		              "case %d: marked %" PRIu64 " stacks %" PRIu64 " globals %" PRIu64 " scan %" PRIu64
		              " gogc %d limit %" PRId64 " cons %g: goal %" PRIu64 " trigger %" PRIu64,
		              i, marked, stacks, globals, scan, gogc, limit, cons, goal, trigger);
		cr_assert_leq(trigger, hi, "case %d", i);
		if (cons < 0)
			cr_assert_eq(trigger, goal / 8 * 7 + goal % 8 * 7 / 8 < lo   ? lo
			                      : goal / 8 * 7 + goal % 8 * 7 / 8 > hi ? hi
			                                                             : goal / 8 * 7 + goal % 8 * 7 / 8,
			             "case %d: without history the trigger is 7/8 of the goal, clamped", i);
		cr_assert_leq(trigger, goal, "case %d", i);
		if (gogc >= 0 && limit == NOLIMIT)
			cr_assert_geq(goal, (uint64_t)4 * MiB / 100 * (uint64_t)gogc, "case %d: below the minimum", i);
		if (limit != NOLIMIT && (uint64_t)limit - (uint64_t)limit / 20 >= marked)
			cr_assert_leq(goal, (uint64_t)limit - (uint64_t)limit / 20, "case %d: above the limit", i);
	}
}

/* ---- end to end ------------------------------------------------------------ */

static mg_runtime *open_pacing(int gogc, int64_t limit)
{
	mg_config c;
	mgt_config(&c);
	c.gogc = gogc;
	c.memlimit = limit;
	return mgt_open(&c);
}

Test(pacing, initial_goal_and_trigger)
{
	mg_runtime *rt = open_pacing(100, NOLIMIT);
	mg_stats st = mgt_stats(rt);
	cr_assert_eq(st.heap_goal, 4194304);
	cr_assert_eq(st.heap_trigger, 3670016);
	mgt_close(rt);
	rt = open_pacing(MG_GOGC_OFF, NOLIMIT);
	st = mgt_stats(rt);
	cr_assert_eq(st.heap_goal, UINT64_MAX);
	cr_assert_eq(st.heap_trigger, UINT64_MAX);
	mgt_close(rt);
	rt = open_pacing(MG_GOGC_OFF, 16 * (int64_t)MiB);
	st = mgt_stats(rt);
	cr_assert_eq(st.heap_goal, 15938356);
	cr_assert_eq(st.heap_trigger, 13946061);
	mgt_close(rt);
}

/* After a forced cycle (no pacing history) with 3 large objects rooted in
 * three scope slots: marked = 3 × 129 pages = 3170304, stacks = 3 × 8 = 24,
 * goal = 3170304 + 3170328 = 6340632, trigger = 7/8 goal = 5548053. */
// labels: exact_pacing
Test(pacing, goal_after_a_cycle)
{
	mg_runtime *rt = open_pacing(100, NOLIMIT);
	mg_scope s;
	mg_scope_enter(rt, &s);
	void *a = mg_alloc_bytes(rt, MiB);
	mg_root(rt, &a, "a");
	void *b = mg_alloc_bytes(rt, MiB);
	mg_root(rt, &b, "b");
	void *c = mg_alloc_bytes(rt, MiB);
	mg_root(rt, &c, "c");
	cr_assert_eq(mgt_stats(rt).cycles, 0);
	mg_gc(rt);
	mg_stats st = mgt_stats(rt);
	cr_assert_eq(st.heap_marked, 3170304);
	cr_assert_eq(st.heap_goal, 6340632);
	cr_assert_eq(st.heap_trigger, 5548053);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

// labels: exact_pacing
Test(pacing, gogc_off_never_collects)
{
	mg_runtime *rt = open_pacing(MG_GOGC_OFF, NOLIMIT);
	for (int i = 0; i < 16384; i++)
		mg_alloc_bytes(rt, 4096 - 8);
	for (int i = 0; i < 8; i++)
		mg_alloc_bytes(rt, 4 * MiB);
	mg_stats st = mgt_stats(rt);
	cr_assert_eq(st.cycles, 0, "GOGC=off ran %" PRIu64 " cycles", st.cycles);
	cr_assert_geq(st.heap_inuse, 96 * MiB);
	cr_assert_eq(st.freed_objects, 0);
	mgt_close(rt);
}

Test(pacing, gogc_100_collects_and_bounds_the_heap)
{
	mg_runtime *rt = open_pacing(100, NOLIMIT);
	uint64_t peak = 0;
	for (int i = 0; i < 16384; i++) {
		mg_alloc_bytes(rt, 4096 - 8);
		mg_safepoint(rt);
		uint64_t inuse = mgt_stats(rt).heap_inuse;
		if (inuse > peak)
			peak = inuse;
	}
	mg_stats st = mgt_stats(rt);
	cr_assert_geq(st.cycles, 8, "64 MiB of garbage with a 4 MiB goal ran %" PRIu64 " cycles", st.cycles);
	cr_assert_eq(st.forced_cycles, 0);
	cr_assert_leq(peak, 8 * MiB, "the heap peaked at %" PRIu64 " bytes with a 4 MiB goal", peak);
	cr_assert_geq(st.freed_objects, 16384 - 2048);
	mgt_close(rt);
}

Test(pacing, gogc_off_with_limit_stays_under_it)
{
	const int64_t limit = 16 * (int64_t)MiB;
	mg_runtime *rt = open_pacing(MG_GOGC_OFF, limit);
	/* 2 MiB that stays live, then 200 MiB of churn in mixed sizes. */
	mg_scope s;
	mg_scope_enter(rt, &s);
	void **live = mg_alloc_array(rt, &mg_type_ptr, 512);
	mg_root(rt, &live, "live");
	for (int i = 0; i < 512; i++)
		mg_store(rt, &live[i], mg_alloc_bytes(rt, 4096 - 8));
	uint64_t churned = 0, max_mapped = 0;
	for (uint64_t i = 0; churned < 200 * MiB; i++) {
		size_t n = i % 50 == 0 ? 100000 : i % 7 == 0 ? 9000 : 700;
		mg_alloc_bytes(rt, n);
		churned += n;
		mg_safepoint(rt);
		uint64_t mapped = mgt_stats(rt).heap_mapped;
		if (mapped > max_mapped)
			max_mapped = mapped;
		cr_assert_leq(mapped, (uint64_t)limit, "heap_mapped %" PRIu64 " above the %" PRId64 "-byte limit after %" PRIu64
		              " bytes", mapped, limit, churned);
	}
	mg_stats st = mgt_stats(rt);
	cr_assert_geq(st.cycles, 10, "only %" PRIu64 " cycles for 200 MiB under a 16 MiB limit", st.cycles);
	for (int i = 0; i < 512; i++)
		cr_assert_eq(mg_typeof(rt, live[i], NULL), &mg_type_bytes);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}
