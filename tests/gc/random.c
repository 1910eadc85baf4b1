/*
 * Random object-graph mutation through the barriers (tests/support/
 * mgt_graph.c), with collections in the middle of everything: every few
 * allocations (gcevery), or paced naturally with a tiny mark slice so that
 * marking is spread over hundreds of slices while the mutator rewires the
 * graph.  checkmark and heapcheck are on throughout.
 *
 * Each run checks that
 *  - the heap equals the model outside the heap (contents, edges, roots,
 *    checksum) every 250 operations and at the end: no reachable object was
 *    freed, reused or corrupted;
 *  - enough cycles ran for the run to mean something;
 *  - after every root is dropped and mg_gc runs twice, heap_inuse is back to
 *    its baseline and freed_objects accounts for every object allocated.
 * The seed is printed on stderr and honours MAPGC_TEST_SEED.
 */
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct run {
	mg_barrier wb;
	int stw;
	uint64_t gcevery;
	size_t slice;      /* 0: default */
	int gogc;
	uint64_t ops;
	size_t live;
	size_t nbig;       /* 0: no big array */
	uint64_t min_cycles;
	bool check_every_op; /* heap check after every operation while marking */
	uint64_t seed;
} run;

static void heap_check_while_marking(mgt_graph *g)
{
	if (gc_test_phase(g->rt) != GC_MARK)
		return;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int bad = gc_test_heap_check(g->rt, f);
	fclose(f);
	cr_assert_eq(bad, 0, "heap check after op %" PRIu64 " (seed %" PRIu64 "): %s", g->ops, g->rng->seed, buf);
	free(buf);
}

static void run_graph(run r)
{
	mg_config c;
	mgt_config(&c);
	c.wb = r.wb;
	c.stoptheworld = r.stw;
	c.gcevery = r.gcevery;
	c.mark_slice = r.slice;
	c.gogc = r.gogc;
	mg_runtime *rt = mgt_open(&c);
	mg_stats base = mgt_stats(rt);
	mgt_rng rng;
	mgt_rng_init(&rng, r.seed);
	mgt_graph g;
	mgt_graph_init(&g, rt, &rng, r.live, 16);
	if (r.nbig)
		mgt_graph_add_big(&g, r.nbig);
	if (r.check_every_op)
		g.after_op = heap_check_while_marking;
	mgt_graph_verify(&g);
	mgt_graph_mutate(&g, r.ops, 250);

	mg_stats st = mgt_stats(rt);
	fprintf(stderr,
	        "graph: %" PRIu64 " ops (%" PRIu64 " while marking), %" PRIu64 " cycles, %" PRIu64 " mark slices, %zu nodes reachable of %zu made, "
	        "%" PRIu64 " garbage objects, %" PRIu64 " bytes allocated\n",
	        g.ops, g.ops_in_mark, st.cycles, st.mark_slices, g.reachable, g.n, g.garbage, st.total_alloc);
	cr_assert_geq(st.cycles, r.min_cycles, "only %" PRIu64 " cycles (seed %" PRIu64 ")", st.cycles, rng.seed);
	cr_assert_gt(g.reachable, r.live / 4, "the graph withered to %zu nodes (seed %" PRIu64 ")", g.reachable, rng.seed);
	if (r.stw)
		cr_assert_eq(st.mark_slices, 0, "gcstoptheworld=1 ran %" PRIu64 " incremental slices", st.mark_slices);
	else
		cr_assert_gt(st.mark_slices, st.cycles, "marking was not incremental");
	/* Incremental marking: the mutator runs, through the barriers, for a
	 * share of the run while marking is on (stop-the-world: never).  The
	 * share is timing: safepoints give marking a share of the wall clock
	 * (GC_BG_UTILIZATION) measured against its CPU time, so a preempted
	 * mutator, or one that Valgrind slows by a different factor than the
	 * marker, sees marking end in fewer operations.  The paced runs had
	 * 5565 to 6366 of 30000 operations during mark in the debug build,
	 * 1655 to 2215 under ASan with 2 cores at load 9, and 1655 to 3853
	 * under Memcheck: 1 in 50 still proves that marking was incremental.
	 * With mark workers (MAPGC_PROCS > 1) marking runs beside the
	 * mutator and ends as fast as the workers go: some operations still
	 * run during mark, how many is the workers' speed. */
	if (r.stw)
		cr_assert_eq(g.ops_in_mark, 0, "stop-the-world cycles finish inside one call");
	else if (st.procs > 1)
		cr_assert_gt(g.ops_in_mark, 0, "no operation ran during mark");
	else
		cr_assert_gt(g.ops_in_mark, g.ops / 50,
		             "only %" PRIu64 " of %" PRIu64 " operations ran during mark", g.ops_in_mark, g.ops);
	/* One P does all its marking in slices; with workers, P 0's slices
	 * are its assists and check-ins. */
	if (r.slice && !r.stw && !r.gcevery && st.procs == 1)
		cr_assert_gt(st.mark_slices, 5 * st.cycles, "a %zu-byte slice should need many slices per cycle", r.slice);
	/* The timing statistics add up. */
	cr_assert_gt(st.pause_total_ns, 0);
	cr_assert_geq(st.pause_total_ns, st.pause_max_ns);
	cr_assert_geq(st.gc_cpu_ns, st.assist_cpu_ns + st.background_cpu_ns);
	if (st.mark_slices)
		cr_assert_gt(st.mark_slice_max_ns, 0);
	cr_assert_eq(st.forced_cycles, 0);

	mgt_graph_drop(&g);
	mg_gc(rt);
	mg_gc(rt);
	st = mgt_stats(rt);
	cr_assert_eq(st.heap_inuse, base.heap_inuse, "heap_inuse %" PRIu64 " after dropping everything (seed %" PRIu64 ")",
	             st.heap_inuse, rng.seed);
	cr_assert_eq(st.freed_objects - base.freed_objects, st.total_objects - base.total_objects,
	             "freed %" PRIu64 " of %" PRIu64 " objects (seed %" PRIu64 ")", st.freed_objects - base.freed_objects,
	             st.total_objects - base.total_objects, rng.seed);
	cr_assert_geq(st.total_objects - base.total_objects, g.n + g.garbage);
	cr_assert_eq(mgt_last_failure.count, 0);
	mgt_close(rt);
}

/* gcevery=7: a full cycle every seven allocations, so cycles land between
 * stash and unstash, between an insert's allocation and its stores, and so
 * on.  A gcevery cycle runs whole inside one allocation, so on its own it
 * never has the mutator store while marking; GOGC=1 (a 41 KiB minimum heap,
 * so a paced cycle is nearly always under way) and 2 KiB slices add
 * incremental cycles, which the gcevery ones interrupt and finish. */
static run every7(mg_barrier wb, uint64_t seed)
{
	return (run){.wb = wb, .gcevery = 7, .gogc = 1, .slice = 2048, .ops = 6000, .live = 300, .nbig = 6000,
	             .min_cycles = 300, .seed = seed};
}

static run every50(mg_barrier wb, uint64_t seed)
{
	return (run){.wb = wb, .gcevery = 50, .gogc = 1, .slice = 2048, .ops = 12000, .live = 400, .nbig = 6000,
	             .min_cycles = 150, .seed = seed};
}

/* Natural pacing on a small heap (GOGC=5: a 200 KiB minimum), 256-byte
 * slices: marking runs as assists and at safepoints for hundreds of
 * operations, and the heap is checked after every operation. */
static run paced(mg_barrier wb, uint64_t seed)
{
	return (run){.wb = wb, .slice = 256, .gogc = 5, .ops = 30000, .live = 300, .min_cycles = 30,
	             .check_every_op = true, .seed = seed};
}

Test(graph, hybrid_gcevery7)
{
	run_graph(every7(MG_WB_HYBRID, 101));
}
Test(graph, yuasa_gcevery7)
{
	run_graph(every7(MG_WB_YUASA, 102));
}
Test(graph, dijkstra_gcevery7)
{
	run_graph(every7(MG_WB_DIJKSTRA, 103));
}
Test(graph, hybrid_gcevery50)
{
	run_graph(every50(MG_WB_HYBRID, 201));
}
Test(graph, yuasa_gcevery50)
{
	run_graph(every50(MG_WB_YUASA, 202));
}
Test(graph, dijkstra_gcevery50)
{
	run_graph(every50(MG_WB_DIJKSTRA, 203));
}
Test(graph, hybrid_paced_slice256)
{
	run_graph(paced(MG_WB_HYBRID, 301));
}
Test(graph, yuasa_paced_slice256)
{
	run_graph(paced(MG_WB_YUASA, 302));
}
Test(graph, dijkstra_paced_slice256)
{
	run_graph(paced(MG_WB_DIJKSTRA, 303));
}
Test(graph, paced_with_big_array)
{
	run r = paced(MG_WB_HYBRID, 304);
	r.nbig = 17000;
	r.ops = 20000;
	r.check_every_op = false;
	r.slice = 4096;
	r.min_cycles = 10;
	run_graph(r);
}
Test(graph, stoptheworld_gcevery7)
{
	run r = every7(MG_WB_HYBRID, 401);
	r.stw = 1;
	run_graph(r);
}
Test(graph, stoptheworld_paced)
{
	run r = paced(MG_WB_YUASA, 402);
	r.stw = 1;
	r.check_every_op = false;
	run_graph(r);
}

/* The negative run: without a barrier the same workload loses objects, and
 * checkmark catches it at a mark termination, before anything is freed. */
// labels: exact_pacing
Test(graph, none_is_caught_by_checkmark)
{
	if (mgt_test_mode_stw())
		cr_skip_test("MAPGC_TEST_MODE stops the world: a missing barrier has nothing to break");
	mg_config c;
	mgt_config(&c);
	c.wb = MG_WB_NONE;
	c.heapcheck = 0;
	c.gogc = 5;
	c.mark_slice = 256;
	mg_runtime *rt = mgt_open(&c);
	mgt_rng rng;
	mgt_rng_init(&rng, 501);
	static mgt_graph g;
	mgt_graph_init(&g, rt, &rng, 300, 16);
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, mgt_graph_mutate(&g, 100000, 0));
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "checkmark found unmarked object");
	cr_assert_not_null(strstr(err, "runtime: object "), "%s", err);
	cr_assert_not_null(strstr(err, "(mgt.node) is reachable but was not marked\n"), "%s", err);
	cr_assert_not_null(strstr(err, "path from the roots ("), "%s", err);
	cr_assert_not_null(strstr(err, "  <- here\n"), "%s", err);
	mgt_graph_discard(&g);
	mgt_close(rt);
}

/* ... and with heapcheck=1 the heap check sees the broken invariant first. */
// labels: exact_pacing
Test(graph, none_is_caught_by_heapcheck)
{
	if (mgt_test_mode_stw())
		cr_skip_test("MAPGC_TEST_MODE stops the world: a missing barrier has nothing to break");
	mg_config c;
	mgt_config(&c);
	c.wb = MG_WB_NONE;
	c.gogc = 5;
	c.mark_slice = 256;
	c.procs = 1; /* with workers, checkmark may see the loss before a slice's heap check does */
	mg_runtime *rt = mgt_open(&c);
	mgt_rng rng;
	mgt_rng_init(&rng, 502);
	static mgt_graph g;
	mgt_graph_init(&g, rt, &rng, 300, 16);
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, mgt_graph_mutate(&g, 100000, 0));
	const char *err = mgt_capture_end();
	cr_assert_eq(strncmp(mgt_last_failure.msg, "heap check failed: ", 19), 0, "%s", mgt_last_failure.msg);
	cr_assert_not_null(strstr(err, "not reachable from any grey object"), "%s", err);
	mgt_graph_discard(&g);
	mgt_close(rt);
}
