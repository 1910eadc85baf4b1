/*
 * Ps, mark workers and the end-of-mark protocol (gc/work.c, gc/workers.c).
 *
 * Each step of the protocol has a test hook that removes it
 * (gc_test_set_hooks), and a test here proves that a checker catches its
 * absence, beside a twin that proves the step does its job:
 *  - the barrier buffers' flush at mark termination: without it an object
 *    whose only protection is a buffered barrier record is lost (checkmark);
 *  - the stop-the-world re-check: without it, work that the flush found is
 *    dropped instead of marking being resumed (checkmark);
 *  - marking exactly once: a worker that pushes objects it did not newly
 *    mark is caught by the heap check's grey-set accounting.
 * And a bounded race of workers and mutator on the same objects (graph
 * rewiring, maps growing under iterators) with checkmark every cycle.
 */
#include "tests/support/mgt.h"
#include "tests/support/mgt_obj.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void no_hooks(void) { gc_test_set_hooks(0); }

/* An object x (with a child) whose only protection is a record in the
 * barrier buffer: x hangs off a grey object g; the roots are scanned, then a black object b
 * (allocated during mark) takes x, and g's edge to x is deleted — the
 * hybrid barrier records the old value, x, and shades it only when its
 * buffer is flushed.  The test drives the cycle (no worker runs). */
typedef struct buffered_case {
	mg_runtime *rt;
	mg_scope s;
	mgt_obj *g, *b, *x;
} buffered_case;

static void buffered_setup(buffered_case *c, int smallbuf)
{
	mg_config cfg;
	mgt_config_wb(&cfg, MG_WB_HYBRID, 0, 1);
	cfg.smallbuf = smallbuf;
	cfg.stoptheworld = 0;
	cfg.gcevery = 0;
	c->rt = mgt_open(&cfg);
	mg_scope_enter(c->rt, &c->s);
	c->g = mgt_obj_new(c->rt, 1);
	mg_root(c->rt, &c->g, "g");
	c->b = NULL;
	mg_root(c->rt, &c->b, "b");
	c->x = mgt_obj_new(c->rt, 2);
	mg_store(c->rt, &c->g->f[0], c->x);
	mgt_obj *y = mgt_obj_new(c->rt, 4); /* x's child: lost if x is shaded but not scanned */
	mg_store(c->rt, &c->g->f[0]->f[0], y);
	c->x = NULL;
	gc_test_begin_mark(c->rt);
	gc_test_mark_step(c->rt, 0); /* the roots only: g grey, x white */
	cr_assert(rt_self(c->rt)->roots_scanned);
	c->b = mgt_obj_new(c->rt, 3); /* black */
	mg_store(c->rt, &c->b->f[0], c->g->f[0]);
	mg_store(c->rt, &c->g->f[0], NULL); /* x's only record: the buffer */
}

static void buffered_teardown(buffered_case *c)
{
	mg_scope_leave(c->rt, &c->s);
	mgt_close(c->rt);
}

/* The buffered case with protocol step `hook` removed (0: none).  With
 * the step, x and its child survive the cycle; with tiny buffers x's
 * record has reached a work buffer by mark termination, so the re-check
 * restarts marking (mark_done_restarts).  Without it, checkmark finds the
 * loss on the path through b. */
static void buffered_run(int smallbuf, unsigned hook)
{
	buffered_case c;
	buffered_setup(&c, smallbuf);
	if (hook) {
		gc_test_set_hooks(hook);
		mgt_capture_begin();
		MGT_EXPECT_FAILURE(MG_FATAL, gc_test_finish_mark(c.rt));
		const char *err = mgt_capture_end();
		gc_test_set_hooks(0);
		cr_assert_str_eq(mgt_last_failure.msg, "checkmark found unmarked object");
		cr_assert_not_null(strstr(err, "scope root \"b\" -> "), "the path goes through b: %s", err);
		cr_assert_not_null(strstr(err, ".f0 -> "), "%s", err);
	} else {
		uint64_t restarts = mgt_stats(c.rt).mark_done_restarts;
		gc_test_finish_mark(c.rt);
		if (smallbuf)
			cr_assert_gt(mgt_stats(c.rt).mark_done_restarts, restarts, "the re-check found x's record");
		cr_assert_eq(gc_test_phase(c.rt), GC_SWEEP);
		gc_test_sweep_all(c.rt);
		cr_assert_eq(c.b->f[0]->v, 2, "x survived");
		cr_assert_eq(c.b->f[0]->f[0]->v, 4, "x's child survived");
	}
	buffered_teardown(&c);
}

Test(protocol, wb_flush_at_mark_termination_keeps_a_buffered_object) { buffered_run(0, 0); }
Test(protocol, skipping_the_wb_flush_is_caught_by_checkmark, .fini = no_hooks)
{
	buffered_run(0, GC_HOOK_SKIP_WB_FLUSH);
}
Test(protocol, stw_recheck_restarts_marking_when_the_flush_finds_work) { buffered_run(1, 0); }
Test(protocol, skipping_the_stw_recheck_loses_an_object_under_gcsmallbuf, .fini = no_hooks)
{
	buffered_run(1, GC_HOOK_SKIP_STW_RECHECK);
}

/* ---- with mark workers ------------------------------------------------------ */

static mg_runtime *open_procs(int procs, int smallbuf, int heapcheck)
{
	mg_config cfg;
	mgt_config(&cfg);
	cfg.procs = procs;
	cfg.smallbuf = smallbuf;
	cfg.heapcheck = heapcheck;
	cfg.checkmark = 1;
	cfg.stoptheworld = 0;
	cfg.gcevery = 0;
	cfg.gogc = 25;
	return mgt_open(&cfg);
}

/* The heap check after every operation during mark, with the workers
 * stopped for it; returns the violations of the first failing check and
 * its report in *report (malloc'd), or 0. */
static int mutate_checking(mg_runtime *rt, uint64_t seed, uint64_t ops, char **report)
{
	mgt_rng rng;
	mgt_rng_init(&rng, seed);
	static mgt_graph g;
	mgt_graph_init(&g, rt, &rng, 3000, 16);
	int bad = 0;
	*report = NULL;
	for (uint64_t i = 0; i < ops && !bad; i++) {
		mgt_graph_mutate(&g, 1, 0);
		if (gc_test_phase(rt) != GC_MARK)
			continue;
		size_t len;
		FILE *f = open_memstream(report, &len);
		bad = gc_test_heap_check(rt, f);
		fclose(f);
		if (!bad) {
			free(*report);
			*report = NULL;
		}
	}
	if (!bad)
		mgt_graph_verify(&g);
	mgt_graph_drop(&g);
	return bad;
}

Test(protocol, workers_keep_the_grey_set_exact)
{
	mg_runtime *rt = open_procs(2, 0, 0);
	char *report;
	int bad = mutate_checking(rt, 71, 40000, &report);
	cr_assert_eq(bad, 0, "%s", report ? report : "");
	mg_stats st = mgt_stats(rt);
	cr_assert_eq(st.procs, 2);
	cr_assert_gt(st.cycles, 3);
	cr_assert_gt(st.worker_mark_cpu_ns, 0, "the workers marked");
	mgt_close(rt);
}

Test(protocol, a_worker_that_scans_twice_is_caught_by_the_heap_check, .fini = no_hooks)
{
	mg_runtime *rt = open_procs(2, 0, 0);
	gc_test_set_hooks(GC_HOOK_SCAN_TWICE);
	char *report;
	int bad = mutate_checking(rt, 71, 40000, &report);
	gc_test_set_hooks(0);
	cr_assert_gt(bad, 0, "the duplicated grey items went unnoticed");
	cr_assert_not_null(strstr(report, "is queued twice"), "%s", report);
	free(report);
	mgt_close(rt);
}

/* ---- the race ----------------------------------------------------------------- */

static const mg_type leaf = {"leaf", 8, 8, NULL, 0, NULL, NULL};

/* Workers and the mutator on the same objects for a bounded time: a graph
 * rewired through the barriers, and maps that grow, shrink and are
 * iterated while the workers scan them, with checkmark every cycle and
 * tiny buffers so that every hand-over path runs. */
static void race(int procs, uint64_t ms)
{
	mg_runtime *rt = open_procs(procs, 1, 0);
	const mg_maptype *mt = mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr);
	mg_scope s;
	mg_scope_enter(rt, &s);
	enum { NMAPS = 4, NITERS = 4 };
	mg_hmap *m[NMAPS] = {0};
	mg_hiter *it[NITERS] = {0};
	void *obj = NULL;
	for (int i = 0; i < NMAPS; i++)
		mg_root(rt, &m[i], "race.map");
	for (int i = 0; i < NITERS; i++)
		mg_root(rt, &it[i], "race.iter");
	mg_root(rt, &obj, "race.obj");
	mgt_rng rng;
	mgt_rng_init(&rng, 9);
	static mgt_graph g;
	mgt_graph_init(&g, rt, &rng, 2000, 16);
	int64_t next = 1;
	/* The time, and at least 3 cycles (a loaded machine runs few
	 * operations in the time), within 60 s. */
	uint64_t t0 = now_ns(), ops = 0;
	while ((now_ns() - t0 < ms * 1000000 || mgt_stats(rt).cycles < 3) && now_ns() - t0 < 60000000000u) {
		for (int k = 0; k < 256; k++, ops++) {
			mgt_graph_mutate(&g, 1, 0);
			int mi = (int)mgt_rng_below(&rng, NMAPS);
			if (!m[mi])
				m[mi] = mg_map_new(rt, mt, 0);
			uint64_t r = mgt_rng_below(&rng, 100);
			int64_t key = r < 60 ? next++ : (int64_t)mgt_rng_below(&rng, (uint64_t)next) + 1;
			if (r < 60) {
				obj = mg_alloc(rt, &leaf);
				mg_map_set(rt, m[mi], &key, &obj);
				obj = NULL;
			} else if (r < 80) {
				mg_map_delete(rt, m[mi], &key);
			} else if (r < 84) {
				it[mgt_rng_below(&rng, NITERS)] = mg_map_iter(rt, m[mi]);
			} else if (r < 99) {
				mg_hiter *x = it[mgt_rng_below(&rng, NITERS)];
				for (int n = 0; x && n < 8 && mg_map_next(rt, x, NULL, NULL); n++)
					;
			} else {
				m[mi] = NULL;
			}
		}
	}
	mgt_graph_verify(&g);
	mgt_graph_drop(&g);
	mg_stats st = mgt_stats(rt);
	cr_assert_eq(st.procs, (uint32_t)procs);
	cr_assert_gt(st.cycles, 2, "%" PRIu64 " ops ran only %" PRIu64 " cycles", ops, st.cycles);
	cr_assert_gt(st.worker_mark_cpu_ns, 0, "the workers marked");
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(race, workers_and_mutator_at_2_procs) { race(2, 1500); }
Test(race, workers_and_mutator_at_4_procs) { race(4, 1500); }
/* The long run: MAPGC_SOAK_RACE_MS (default 60 s) at 2 Ps. */
// labels: soak
Test(race, soak_at_2_procs, .timeout = 900)
{
	const char *e = getenv("MAPGC_SOAK_RACE_MS");
	race(2, e ? strtoull(e, NULL, 10) : 60000);
}
