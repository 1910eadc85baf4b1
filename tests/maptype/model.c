/*
 * Model-based random sequences: a map and a reference model (outside the
 * heap, tests/support/map_kinds.c) take the same random operations — set,
 * get, delete, clear, len, full iteration — and must agree after every one,
 * and mg_map_check must find nothing after every one.
 *
 * A run is a series of "lives" (a new map each, from a random hint), each a
 * schedule of phases:
 *   grow     steer the size up to a random target, keys from a window that
 *            slides over the key space (so old keys are deleted, new ones
 *            come) — crosses doubling grows;
 *   churn    hold the size while the window slides;
 *   edge     a fresh small map held just under the load limit of B = 2..4
 *            while keys are replaced — the buckets fill unevenly and
 *            overflow buckets accumulate until a same-size grow (kinds with
 *            identity keys, which the collide phase cannot choose, get two
 *            edges of B = 2..3 per life);
 *   collide  (kinds hashable without allocating) fill one bucket chain past
 *            8 with keys chosen to collide, empty it, go to the next bucket:
 *            +1 overflow bucket per round at constant size, so a same-size
 *            grow follows every 2^B rounds (this is "churn in a small key
 *            range after the map got big");
 *   shrink   delete down to a few entries (B must stay: maps never shrink);
 *   clear    now and then, mid-phase.
 * Every run asserts at the end that it saw at least MIN_DOUBLINGS doubling
 * and MIN_SAMESIZE same-size grows (mapt_growwatch, from mg_map_info), with
 * extra edge phases after the budget when a run is short (MAX_EXTRA_EDGES).
 *
 * GC settings per test (all with checkmark): hybrid / yuasa / dijkstra with
 * gcevery and a small GOGC and mark slice, so forced cycles land in every
 * map state and paced incremental cycles interleave with evacuation;
 * stoptheworld; and natural pacing alone with 512-byte mark slices.
 * Seeds: MAPGC_TEST_SEED overrides each test's default (printed on stderr).
 * A seed fixes the operation sequence and the runtime's choices (hash0,
 * iteration starts); with pointer keys (ptr_ptr, struct) the hashes also
 * depend on heap addresses, which ASLR moves, and phases end on what the
 * map did, so those runs are not exactly repeatable (the others are).
 * Barrier-mode runs also start mark phases by hand and advance them by a
 * small slice after every operation (drive_mark), so every kind spends
 * many operations with a cycle half marked; each run asserts that some
 * operations ended mid-mark with the map growing.
 */
#include "tests/support/map_kinds.h"
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"
#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Key space: windows live in [0, WINDOW_SPACE), fresh keys (edge and
 * collide phases) are handed out above it. */
#define WINDOW_SPACE ((uint64_t)1 << 17)
#define NKIDS ((uint64_t)1 << 19)
#define MIN_DOUBLINGS 4
#define MIN_SAMESIZE 3
/* Identity keys hash by address, which ASLR moves, so the same-size grows
 * a budget yields vary from run to run (ptr_ptr_stw: 2 to 12 in 100 runs,
 * and 1 once in a gc-modes run).  A run short of MIN_SAMESIZE gets edge
 * phases after its budget, each ending at its first same-size grow, up to
 * this many: a map that never grows same-size still fails. */
#define MAX_EXTRA_EDGES 24

typedef enum gc_mode { MODE_HYBRID, MODE_YUASA, MODE_DIJKSTRA, MODE_STW, MODE_PACING } gc_mode;
static const char *const mode_names[] = {"hybrid", "yuasa", "dijkstra", "stoptheworld", "pacing"};

typedef struct run {
	mapt_ctx c;
	mgt_rng rng;
	mg_hmap *m;               /* rooted */
	mapt_growwatch gw;
	uint64_t budget;          /* operations to do */
	uint64_t wbase, wsize;    /* the key window */
	uint64_t fresh;           /* next fresh kid */
	uint64_t gc_before;
	gc_mode mode;
	uint64_t mark_ops;        /* operations that ended with a mark phase in progress */
	uint64_t mark_grow_ops;   /* ... and the map growing */
} run;

static uint64_t below(run *r, uint64_t n)
{
	return mgt_rng_below(&r->rng, n);
}

static bool out_of_ops(run *r)
{
	return r->c.ops >= r->budget;
}

/* Barrier modes: besides gcevery's whole cycles and paced ones, start a
 * cycle by hand now and then and advance it by a small slice after every
 * operation, so every kind of map spends many operations — grows,
 * evacuations, iterations — with a mark phase half done. */
static void drive_mark(run *r)
{
	mg_runtime *rt = r->c.rt;
	int phase = gc_test_phase(rt);
	if (phase == GC_MARK) {
		if (gc_test_mark_step(rt, 32 + below(r, 512)))
			gc_test_finish_mark(rt);
	} else if ((phase == GC_OFF || phase == GC_SWEEP) && below(r, 25) == 0) {
		gc_test_begin_mark(rt);
	}
}

/* After every operation: map == model, the verifier, growth bookkeeping,
 * and a safepoint (background mark slices under natural pacing). */
static void after_op(run *r)
{
	mapt_m_check(&r->c, r->m);
	mapt_grow_observe(&r->gw, r->m);
	mg_safepoint(r->c.rt);
	if (r->mode <= MODE_DIJKSTRA)
		drive_mark(r);
	if (gc_test_phase(r->c.rt) == GC_MARK) {
		r->mark_ops++;
		if (r->m->oldbuckets)
			r->mark_grow_ops++;
	}
}

static uint64_t window_kid(run *r)
{
	return (r->wbase + below(r, r->wsize)) % WINDOW_SPACE;
}

static void slide(run *r, uint64_t by)
{
	r->wbase = (r->wbase + by) % WINDOW_SPACE;
}

static uint64_t fresh_kid(run *r)
{
	if (r->fresh >= NKIDS)
		r->fresh = WINDOW_SPACE; /* wrap: kids there may be present, which is fine */
	return r->fresh++;
}

/* One random operation steering the size toward target. */
static void random_op(run *r, size_t target)
{
	mapt_ctx *c = &r->c;
	size_t count = c->count;
	uint64_t x = below(r, 1000);
	if (x < 380) {
		/* set: a new key when below target (mostly), else an update */
		bool grow = count < target ? below(r, 10) < 8 : below(r, 10) < 2;
		if (grow || count == 0) {
			uint64_t kid = window_kid(r);
			for (int tries = 0; tries < 4 && c->present[kid]; tries++)
				kid = window_kid(r);
			mapt_m_set(c, r->m, kid);
		} else {
			mapt_m_set(c, r->m, mapt_m_random_present(c));
		}
	} else if (x < 640) {
		uint64_t kid = count && below(r, 2) ? mapt_m_random_present(c) : window_kid(r);
		mapt_m_get(c, r->m, kid);
	} else if (x < 930) {
		bool shrink = count > target ? below(r, 10) < 8 : below(r, 10) < 2;
		uint64_t kid = count && shrink ? mapt_m_random_present(c) : window_kid(r);
		mapt_m_delete(c, r->m, kid);
	} else if (x < 990) {
		/* A full iteration costs about what the verifier costs: do one
		 * every ~15 operations, with garbage (and so collections) inside. */
		if (below(r, 4) == 0)
			mapt_m_iterate(c, r->m, 1 + (unsigned)below(r, 16));
		else
			mapt_m_get(c, r->m, window_kid(r));
	} else if (x < 999) {
		mapt_garbage(c, 1 + (unsigned)below(r, 8));
	} else {
		mapt_m_clear(c, r->m);
	}
	if (below(r, 3) == 0)
		slide(r, 1);
	after_op(r);
}

static void phase_grow(run *r, size_t target, uint64_t maxops)
{
	r->wsize = target * 2 + 32;
	uint64_t end = r->c.ops + maxops;
	while (r->c.ops < end && !out_of_ops(r) && r->c.count < target)
		random_op(r, target);
}

static void phase_churn(run *r, uint64_t nops)
{
	size_t target = r->c.count;
	uint64_t end = r->c.ops + nops;
	while (r->c.ops < end && !out_of_ops(r))
		random_op(r, target);
}

static void phase_shrink(run *r, size_t target)
{
	mg_mapinfo before, after;
	mg_map_info(r->m, &before);
	while (r->c.count > target && !out_of_ops(r)) {
		mapt_m_delete(&r->c, r->m, mapt_m_random_present(&r->c));
		after_op(r);
	}
	mg_map_info(r->m, &after);
	cr_assert_geq(after.B, before.B, "maps never shrink: B went %u -> %u (seed %" PRIu64 ")", before.B, after.B,
	              mgt_current_seed());
}

/* A fresh map held just under 6.5 * 2^b while keys are replaced. */
static void phase_edge(run *r, unsigned b, uint64_t maxops)
{
	r->m = mapt_m_new(&r->c, 0);
	r->gw.m = NULL;
	after_op(r);
	size_t limit = (size_t)13 << b >> 1;
	unsigned same0 = r->gw.samesize;
	uint64_t end = r->c.ops + maxops;
	while (r->c.ops < end && !out_of_ops(r) && r->gw.samesize == same0) {
		if (r->c.count < limit - 1) {
			mapt_m_set(&r->c, r->m, fresh_kid(r));
		} else {
			mapt_m_delete(&r->c, r->m, mapt_m_random_present(&r->c));
			after_op(r);
			if (below(r, 8) == 0) {
				mapt_m_get(&r->c, r->m, mapt_m_random_present(&r->c));
				after_op(r);
			}
			continue;
		}
		after_op(r);
	}
	mg_mapinfo in;
	mg_map_info(r->m, &in);
	cr_assert_leq(in.B, b, "edge phase at B=%u doubled to B=%u (seed %" PRIu64 ")", b, in.B, mgt_current_seed());
}

/* Fills the chain of one bucket past 8 with colliding keys, then deletes
 * them; the next round takes the next bucket. */
static void phase_collide(run *r, uint64_t maxops)
{
	mapt_ctx *c = &r->c;
	unsigned same0 = r->gw.samesize;
	uint64_t end = c->ops + maxops;
	uint64_t bucket = 0;
	uint64_t mine[12];
	while (c->ops < end && !out_of_ops(r) && r->gw.samesize == same0) {
		const mg_hmap *m = r->m;
		if (m->B > 6 || map_over_load_factor((int64_t)c->count + 12, m->B))
			return; /* too big to find collisions cheaply, or it would double */
		uint64_t nb = (uint64_t)1 << m->B;
		bucket = (bucket + 1) % nb;
		unsigned n = 0;
		for (uint64_t tries = 0; n < 12 && tries < 64 * nb; tries++) {
			uint64_t kid = fresh_kid(r);
			if (c->present[kid] || mapt_key_bucket(c, r->m, kid) != bucket)
				continue;
			mapt_m_set(c, r->m, kid);
			after_op(r);
			mine[n++] = kid;
			if (r->gw.samesize != same0)
				break;
		}
		for (unsigned i = 0; i < n; i++) {
			mapt_m_delete(c, r->m, mine[i]);
			after_op(r);
		}
	}
}

static void one_life(run *r)
{
	mapt_ctx *c = &r->c;
	size_t hint = below(r, 3) == 0 ? (size_t)below(r, 600) : 0;
	r->m = mapt_m_new(c, hint);
	r->gw.m = NULL;
	after_op(r);
	size_t big = r->c.kind == MAPT_BIG ? 400 : 900;
	size_t target = 40 + (size_t)below(r, big);
	phase_grow(r, target, 6 * target);
	phase_churn(r, 200 + below(r, 600));
	if (below(r, 2))
		mapt_m_verify_all(c, r->m), after_op(r);
	if (mapt_kind_hashable(c->kind) && below(r, 2)) {
		phase_shrink(r, (size_t)below(r, 40));
		phase_collide(r, 3000);
	}
	phase_shrink(r, (size_t)below(r, 8));
	if (below(r, 3) == 0) {
		mapt_m_clear(c, r->m);
		after_op(r);
		phase_grow(r, 20 + (size_t)below(r, 100), 1000);
	}
	phase_churn(r, 100 + below(r, 200));
	mapt_m_iterate(c, r->m, 3);
	after_op(r);
	/* Identity keys hash by address, so the collide phase cannot choose
	 * them: give them the small, quick edges, and more often. */
	if (mapt_kind_hashable(c->kind)) {
		phase_edge(r, 2 + (unsigned)below(r, 3), 4000);
	} else {
		phase_edge(r, 2 + (unsigned)below(r, 2), 3000);
		phase_edge(r, 2, 3000);
	}
	mapt_m_iterate(c, r->m, 0);
	after_op(r);
}

static void config_for(mg_config *cfg, gc_mode mode, uint64_t seed)
{
	mgt_config(cfg);
	cfg->heapcheck = 0; /* the map checks run after every op; the heap check per slice would dominate */
	cfg->checkmark = 1;
	cfg->seed = seed;
	cfg->seed_set = true;
	static const uint64_t everies[] = {17, 31, 61, 101};
	switch (mode) {
	case MODE_HYBRID:
	case MODE_YUASA:
	case MODE_DIJKSTRA:
		cfg->wb = mode == MODE_HYBRID ? MG_WB_HYBRID : mode == MODE_YUASA ? MG_WB_YUASA : MG_WB_DIJKSTRA;
		cfg->gcevery = everies[2 + seed % 2];
		cfg->gogc = 1;
		cfg->mark_slice = 2048;
		break;
	case MODE_STW:
		cfg->stoptheworld = 1;
		cfg->gcevery = everies[seed % 2];
		cfg->gogc = 5;
		break;
	case MODE_PACING:
		cfg->gcevery = 0;
		cfg->gogc = 1;
		cfg->mark_slice = 512;
		break;
	}
}

static void run_model(mapt_kind kind, gc_mode mode, uint64_t ops, uint64_t dflt_seed)
{
	run *r = calloc(1, sizeof *r);
	cr_assert(r);
	mgt_rng_init(&r->rng, dflt_seed);
	mg_config cfg;
	config_for(&cfg, mode, r->rng.seed);
	mg_runtime *rt = mgt_open(&cfg);
	mapt_ctx_init(&r->c, rt, &r->rng, kind, NKIDS);
	mg_root(rt, &r->m, "model.m");
	r->budget = ops;
	r->fresh = WINDOW_SPACE;
	r->mode = mode;
	r->gc_before = mgt_stats(rt).cycles;
	while (!out_of_ops(r))
		one_life(r);
	unsigned extra = 0;
	for (; r->gw.samesize < MIN_SAMESIZE && extra < MAX_EXTRA_EDGES; extra++) {
		r->budget = r->c.ops + 3000;
		phase_edge(r, 2, 3000);
	}
	mapt_m_verify_all(&r->c, r->m);
	mapt_m_iterate(&r->c, r->m, 0);
	mg_stats st = mgt_stats(rt);
	fprintf(stderr,
	        "model %s/%s: %" PRIu64 " ops, %" PRIu64 " full iterations, %u doubling + %u same-size grows (%u extra edges), %" PRIu64
	        " gc cycles, %" PRIu64 " mark slices, %" PRIu64 " ops during mark (%" PRIu64 " growing)\n",
	        mapt_kind_name(kind), mode_names[mode], r->c.ops, r->c.iterations, r->gw.doublings, r->gw.samesize, extra,
	        st.cycles - r->gc_before, st.mark_slices, r->mark_ops, r->mark_grow_ops);
	cr_assert_geq(r->gw.doublings, MIN_DOUBLINGS, "only %u doubling grows (seed %" PRIu64 ")", r->gw.doublings,
	              r->rng.seed);
	cr_assert_geq(r->gw.samesize, MIN_SAMESIZE, "only %u same-size grows, after %u extra edges (seed %" PRIu64 ")",
	              r->gw.samesize, extra, r->rng.seed);
	cr_assert_gt(st.cycles - r->gc_before, 10, "the run must collect (seed %" PRIu64 ")", r->rng.seed);
	if (mode != MODE_STW && !mgt_test_mode_stw())
		cr_assert_gt(r->mark_grow_ops, 0, "marking never interleaved with a grow (seed %" PRIu64 ")", r->rng.seed);
	r->m = NULL;
	mapt_ctx_free(&r->c);
	mgt_close(rt);
	free(r);
}

/* Operations per test: 30 tests × OPS ≥ 10^6 in the default suite. */
#define OPS 40000

Test(model, i64_i64_hybrid) { run_model(MAPT_I64_I64, MODE_HYBRID, OPS, 1001); }
Test(model, i64_i64_yuasa) { run_model(MAPT_I64_I64, MODE_YUASA, OPS, 1002); }
Test(model, i64_i64_dijkstra) { run_model(MAPT_I64_I64, MODE_DIJKSTRA, OPS, 1003); }
Test(model, i64_i64_stw) { run_model(MAPT_I64_I64, MODE_STW, OPS, 1004); }
Test(model, i64_i64_pacing) { run_model(MAPT_I64_I64, MODE_PACING, OPS, 1005); }

Test(model, str_i64_hybrid) { run_model(MAPT_STR_I64, MODE_HYBRID, OPS, 2001); }
Test(model, str_i64_yuasa) { run_model(MAPT_STR_I64, MODE_YUASA, OPS, 2002); }
Test(model, str_i64_dijkstra) { run_model(MAPT_STR_I64, MODE_DIJKSTRA, OPS, 2003); }
Test(model, str_i64_stw) { run_model(MAPT_STR_I64, MODE_STW, OPS, 2004); }
Test(model, str_i64_pacing) { run_model(MAPT_STR_I64, MODE_PACING, OPS, 2005); }

Test(model, i64_str_hybrid) { run_model(MAPT_I64_STR, MODE_HYBRID, OPS, 3001); }
Test(model, i64_str_yuasa) { run_model(MAPT_I64_STR, MODE_YUASA, OPS, 3002); }
Test(model, i64_str_dijkstra) { run_model(MAPT_I64_STR, MODE_DIJKSTRA, OPS, 3003); }
Test(model, i64_str_stw) { run_model(MAPT_I64_STR, MODE_STW, OPS, 3004); }
Test(model, i64_str_pacing) { run_model(MAPT_I64_STR, MODE_PACING, OPS, 3005); }

Test(model, ptr_ptr_hybrid) { run_model(MAPT_PTR_PTR, MODE_HYBRID, OPS, 4001); }
Test(model, ptr_ptr_yuasa) { run_model(MAPT_PTR_PTR, MODE_YUASA, OPS, 4002); }
Test(model, ptr_ptr_dijkstra) { run_model(MAPT_PTR_PTR, MODE_DIJKSTRA, OPS, 4003); }
Test(model, ptr_ptr_stw) { run_model(MAPT_PTR_PTR, MODE_STW, OPS, 4004); }
Test(model, ptr_ptr_pacing) { run_model(MAPT_PTR_PTR, MODE_PACING, OPS, 4005); }

Test(model, struct_hybrid) { run_model(MAPT_STRUCT, MODE_HYBRID, OPS, 5001); }
Test(model, struct_yuasa) { run_model(MAPT_STRUCT, MODE_YUASA, OPS, 5002); }
Test(model, struct_dijkstra) { run_model(MAPT_STRUCT, MODE_DIJKSTRA, OPS, 5003); }
Test(model, struct_stw) { run_model(MAPT_STRUCT, MODE_STW, OPS, 5004); }
Test(model, struct_pacing) { run_model(MAPT_STRUCT, MODE_PACING, OPS, 5005); }

Test(model, big_hybrid) { run_model(MAPT_BIG, MODE_HYBRID, OPS, 6001); }
Test(model, big_yuasa) { run_model(MAPT_BIG, MODE_YUASA, OPS, 6002); }
Test(model, big_dijkstra) { run_model(MAPT_BIG, MODE_DIJKSTRA, OPS, 6003); }
Test(model, big_stw) { run_model(MAPT_BIG, MODE_STW, OPS, 6004); }
Test(model, big_pacing) { run_model(MAPT_BIG, MODE_PACING, OPS, 6005); }

/* Ten times longer, for soak runs: ctest --preset slow. */
// labels: slow
Test(model_long, i64_i64) { run_model(MAPT_I64_I64, MODE_HYBRID, 10 * OPS, 1077); }
// labels: slow
Test(model_long, str_i64) { run_model(MAPT_STR_I64, MODE_HYBRID, 10 * OPS, 2077); }
// labels: slow
Test(model_long, i64_str) { run_model(MAPT_I64_STR, MODE_HYBRID, 10 * OPS, 3077); }
// labels: slow
Test(model_long, ptr_ptr) { run_model(MAPT_PTR_PTR, MODE_HYBRID, 10 * OPS, 4077); }
// labels: slow
Test(model_long, struct) { run_model(MAPT_STRUCT, MODE_HYBRID, 10 * OPS, 5077); }
// labels: slow
Test(model_long, big) { run_model(MAPT_BIG, MODE_HYBRID, 10 * OPS, 6077); }
