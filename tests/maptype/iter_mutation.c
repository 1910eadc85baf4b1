/*
 * Iteration under mutation: seeded episodes that start an iterator and,
 * between mg_map_next calls, insert, update, delete and now and then clear,
 * so that grows start and progress mid-iteration; some iterators start
 * mid-grow, some episodes run two iterators at once.  Go's rules (and
 * DESIGN.md §4), checked per entry, where an entry is one insertion of a
 * key (a key deleted and inserted again is a new entry):
 *   - an entry present for the whole iteration is produced exactly once;
 *   - an entry is produced only while it is in the map (so one deleted
 *     before being produced is never produced after its deletion, and after
 *     a clear only entries inserted since the clear can be produced — also
 *     when the clear lands mid-grow, Go 1.21's fix of issue #59411);
 *   - an entry inserted during iteration is produced at most once;
 *   - the elem produced is the current value of the key.
 * After every mutation the map must pass mg_map_check and agree with the
 * model (tests/support/map_kinds.c); collections (gcevery, and mark phases
 * driven by hand in one test) land between and inside the operations.
 */
#include "tests/support/map_kinds.h"
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"
#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NKIDS ((uint64_t)1 << 16)
#define MAXITERS 2

typedef struct itrack {
	uint32_t ep;             /* this iteration's stamp */
	uint32_t *start_ep;      /* kid was present when the iteration started ... */
	uint32_t *start_gen;     /* ... as this entry */
	uint32_t *prod_ep;       /* kid was produced in this iteration ... */
	uint32_t *prod_gen;      /* ... as this entry */
	uint32_t clear_gen;      /* entries up to this one were cleared (0: no clear) */
	bool started_growing;
	bool done;
	uint64_t produced;
	uint64_t nexts;
} itrack;

typedef struct ep_run {
	mapt_ctx c;
	mgt_rng rng;
	mg_hmap *m;
	mg_hiter *its[MAXITERS];
	itrack tr[MAXITERS];
	uint32_t *gen;           /* the entry id of kid's current insertion */
	uint32_t next_gen;
	uint32_t next_ep;
	uint64_t wbase;
	bool drive_marks;
	/* statistics, printed and asserted */
	uint64_t episodes, grow_started_mid, started_mid_grow, clears, clears_mid_grow, mutations, produced;
	uint64_t mark_steps;
} ep_run;

static uint64_t below(ep_run *r, uint64_t n)
{
	return mgt_rng_below(&r->rng, n);
}

static void fail(ep_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(ep_run *r, const char *fmt, ...)
{
	char buf[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cr_assert_fail("%s [%s, episode %" PRIu64 ", op %" PRIu64 ", seed %" PRIu64 ": MAPGC_TEST_SEED=%" PRIu64
	               " repeats it]",
	               buf, mapt_kind_name(r->c.kind), r->episodes, r->c.ops, r->rng.seed, r->rng.seed);
}

static void drive(ep_run *r)
{
	if (!r->drive_marks)
		return;
	mg_runtime *rt = r->c.rt;
	int phase = gc_test_phase(rt);
	if (phase == GC_MARK) {
		r->mark_steps++;
		if (gc_test_mark_step(rt, 16 + below(r, 256)))
			gc_test_finish_mark(rt);
	} else if (below(r, 32) == 0) {
		gc_test_begin_mark(rt);
	}
}

/* The verifier is O(map): after every mutation of a small map, after one
 * in four of a big one (the model test checks after every operation), and
 * always at the end of an episode. */
static void checked(ep_run *r)
{
	if (r->c.count <= 64 || below(r, 4) == 0)
		mapt_m_check(&r->c, r->m);
	drive(r);
}

/* ---- mutations, with entry ids ----------------------------------------------- */

static void do_set(ep_run *r, uint64_t kid)
{
	bool was = r->c.present[kid];
	mapt_m_set(&r->c, r->m, kid);
	if (!was)
		r->gen[kid] = ++r->next_gen;
	r->mutations++;
	checked(r);
}

static void do_delete(ep_run *r, uint64_t kid)
{
	mapt_m_delete(&r->c, r->m, kid);
	r->mutations++;
	checked(r);
}

static void do_clear(ep_run *r)
{
	mg_mapinfo in;
	mg_map_info(r->m, &in);
	mapt_m_clear(&r->c, r->m);
	r->clears++;
	if (in.growing)
		r->clears_mid_grow++;
	for (int i = 0; i < MAXITERS; i++)
		r->tr[i].clear_gen = r->next_gen;
	r->mutations++;
	checked(r);
}

static uint64_t window_kid(ep_run *r, uint64_t wsize)
{
	return 1 + (r->wbase + below(r, wsize)) % (NKIDS - 1);
}

static bool growing(ep_run *r)
{
	return r->m->oldbuckets != NULL;
}

/* One random mutation; insert_pct steers the size. */
static void mutate(ep_run *r, unsigned insert_pct, unsigned clear_permille)
{
	mapt_ctx *c = &r->c;
	uint64_t x = below(r, 1000);
	/* Clears mid-grow are what issue #59411 was about: favour them. */
	if (x < (growing(r) ? 8 * clear_permille : clear_permille)) {
		do_clear(r);
	} else if (x < 10 * insert_pct) {
		uint64_t kid = window_kid(r, 4 * c->count + 64);
		do_set(r, kid);
	} else if (x < 10 * insert_pct + (1000 - 10 * insert_pct) / 3 && c->count) {
		do_set(r, mapt_m_random_present(c)); /* update: same entry, new value */
	} else if (c->count) {
		do_delete(r, below(r, 4) ? mapt_m_random_present(c) : window_kid(r, 4 * c->count + 64));
	}
	if (below(r, 2))
		r->wbase++;
}

/* ---- iterators ------------------------------------------------------------------ */

static void track_start(ep_run *r, int i)
{
	itrack *t = &r->tr[i];
	t->ep = ++r->next_ep;
	t->clear_gen = 0;
	t->done = false;
	t->produced = 0;
	t->nexts = 0;
	t->started_growing = growing(r);
	if (t->started_growing)
		r->started_mid_grow++;
	r->its[i] = mg_map_iter(r->c.rt, r->m);
	for (size_t k = 0; k < r->c.count; k++) {
		uint32_t kid = r->c.plist[k];
		t->start_ep[kid] = t->ep;
		t->start_gen[kid] = r->gen[kid];
	}
}

/* One mg_map_next on iterator i, checked. */
static void track_next(ep_run *r, int i)
{
	itrack *t = &r->tr[i];
	mapt_ctx *c = &r->c;
	if (t->done)
		return;
	t->nexts++;
	if (!mg_map_next(c->rt, r->its[i], c->okey, c->out)) {
		t->done = true;
		return;
	}
	char why[256];
	uint64_t kid;
	if (!mapt_key_kid(c, c->okey, &kid, why, sizeof why))
		fail(r, "iterator %d produced a bad key: %s", i, why);
	if (!c->present[kid])
		fail(r, "iterator %d produced kid %" PRIu64 ", which is not in the map (deleted%s)", i, kid,
		     t->clear_gen ? " or cleared" : "");
	uint32_t g = r->gen[kid];
	if (t->clear_gen && g <= t->clear_gen)
		fail(r, "iterator %d produced kid %" PRIu64 " (entry %" PRIu32 ") from before the clear", i, kid, g);
	if (t->prod_ep[kid] == t->ep && t->prod_gen[kid] == g)
		fail(r, "iterator %d produced kid %" PRIu64 " (entry %" PRIu32 ") twice", i, kid, g);
	t->prod_ep[kid] = t->ep;
	t->prod_gen[kid] = g;
	if (!mapt_elem_ok(c, kid, c->vid[kid], c->out, why, sizeof why))
		fail(r, "iterator %d, kid %" PRIu64 ": the elem is not the current one: %s", i, kid, why);
	t->produced++;
	r->produced++;
	memset(c->okey, 0, sizeof c->okey);
	memset(c->out, 0, sizeof c->out);
}

/* Every entry present at the start and never deleted was produced. */
static void track_finish(ep_run *r, int i)
{
	itrack *t = &r->tr[i];
	mapt_ctx *c = &r->c;
	for (size_t k = 0; k < c->count; k++) {
		uint32_t kid = c->plist[k];
		if (t->start_ep[kid] != t->ep || t->start_gen[kid] != r->gen[kid])
			continue; /* not there at the start, or a newer entry */
		if (t->prod_ep[kid] != t->ep || t->prod_gen[kid] != r->gen[kid])
			fail(r,
			     "iterator %d never produced kid %" PRIu64 " (entry %" PRIu32 "), present for the whole "
			     "iteration (started %s, %" PRIu64 " produced)",
			     i, (uint64_t)kid, r->gen[kid], t->started_growing ? "mid-grow" : "not growing", t->produced);
	}
	r->its[i] = NULL;
}

/* ---- episodes --------------------------------------------------------------------- */

static void prefill(ep_run *r, size_t n)
{
	while (r->c.count < n)
		do_set(r, window_kid(r, 2 * n + 16));
}

static void episode(ep_run *r, int niters)
{
	mapt_ctx *c = &r->c;
	r->episodes++;
	if (!r->m || below(r, 4) == 0) {
		r->m = mapt_m_new(c, below(r, 3) ? 0 : (size_t)below(r, 200));
		checked(r);
	}
	/* Sizes just under the load limit of some B, so that grows are near. */
	unsigned b = (unsigned)below(r, 7);
	size_t limit6 = b ? (size_t)13 << b >> 1 : 8;
	size_t target = limit6 - (size_t)below(r, limit6 / 4 + 2);
	prefill(r, target);
	while (c->count > target + 20)
		do_delete(r, mapt_m_random_present(c));
	/* A third of the iterators start mid-grow. */
	if (below(r, 3) == 0)
		for (int k = 0; k < 400 && !growing(r); k++)
			do_set(r, window_kid(r, 4 * c->count + 64));
	unsigned insert_pct = (unsigned)(below(r, 3) == 0 ? 70 : 25 + below(r, 30));
	unsigned mut_pct = (unsigned)(below(r, 3) == 0 ? 90 : below(r, 60));
	unsigned clear_permille = below(r, 4) == 0 ? 3 + (unsigned)below(r, 15) : 0;
	for (int i = 0; i < niters; i++)
		track_start(r, i);
	uint64_t limit = 64 + 32 * (c->count + 64);
	uint64_t steps = 0;
	for (;;) {
		bool all_done = true;
		for (int i = 0; i < niters; i++)
			all_done &= r->tr[i].done;
		if (all_done)
			break;
		if (++steps > limit)
			fail(r, "iteration does not end: %" PRIu64 " steps", steps);
		if (below(r, 100) < mut_pct) {
			bool was_growing = growing(r);
			unsigned nmut = 1 + (unsigned)below(r, 3);
			for (unsigned k = 0; k < nmut; k++)
				mutate(r, insert_pct, clear_permille);
			if (!was_growing && growing(r))
				r->grow_started_mid++;
		}
		if (below(r, 16) == 0)
			mapt_garbage(c, 1 + (unsigned)below(r, 4));
		int i = niters == 1 ? 0 : (int)below(r, (uint64_t)niters);
		track_next(r, i);
		drive(r);
	}
	mapt_m_check(c, r->m);
	for (int i = 0; i < niters; i++) {
		if (mg_map_next(c->rt, r->its[i], NULL, NULL))
			fail(r, "finished iterator %d produced again", i);
		track_finish(r, i);
	}
}

static void run_episodes(mapt_kind kind, uint64_t episodes, int niters, bool drive_marks, mg_barrier wb,
                         uint64_t dflt_seed)
{
	ep_run *r = calloc(1, sizeof *r);
	cr_assert(r);
	mgt_rng_init(&r->rng, dflt_seed);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.heapcheck = 0;
	cfg.checkmark = 1;
	cfg.wb = wb;
	cfg.seed = r->rng.seed;
	cfg.seed_set = true;
	cfg.gcevery = 17 + r->rng.seed % 85;
	cfg.gogc = 10;
	mg_runtime *rt = mgt_open(&cfg);
	mapt_ctx_init(&r->c, rt, &r->rng, kind, NKIDS);
	mg_root(rt, &r->m, "itm.m");
	for (int i = 0; i < MAXITERS; i++) {
		mg_root(rt, &r->its[i], "itm.it");
		r->tr[i].start_ep = calloc(NKIDS, sizeof(uint32_t));
		r->tr[i].start_gen = calloc(NKIDS, sizeof(uint32_t));
		r->tr[i].prod_ep = calloc(NKIDS, sizeof(uint32_t));
		r->tr[i].prod_gen = calloc(NKIDS, sizeof(uint32_t));
	}
	r->gen = calloc(NKIDS, sizeof(uint32_t));
	r->drive_marks = drive_marks;
	for (uint64_t e = 0; e < episodes; e++)
		episode(r, niters == 0 ? 1 + (int)below(r, 2) : niters);
	fprintf(stderr,
	        "iter_mutation %s: %" PRIu64 " episodes, %" PRIu64 " produced, %" PRIu64 " mutations, %" PRIu64
	        " grows started mid-iteration, %" PRIu64 " iterators started mid-grow, %" PRIu64 " clears (%" PRIu64
	        " mid-grow), %" PRIu64 " gc cycles\n",
	        mapt_kind_name(kind), r->episodes, r->produced, r->mutations, r->grow_started_mid, r->started_mid_grow,
	        r->clears, r->clears_mid_grow, mgt_stats(rt).cycles);
	/* The episodes must have covered what they are for. */
	cr_assert_gt(r->grow_started_mid, episodes / 20, "too few grows mid-iteration (seed %" PRIu64 ")", r->rng.seed);
	cr_assert_gt(r->started_mid_grow, episodes / 10, "too few iterators started mid-grow (seed %" PRIu64 ")",
	             r->rng.seed);
	cr_assert_gt(r->clears_mid_grow, 0, "no clear landed mid-grow (seed %" PRIu64 ")", r->rng.seed);
	r->m = NULL;
	mapt_ctx_free(&r->c);
	mgt_close(rt);
	for (int i = 0; i < MAXITERS; i++) {
		free(r->tr[i].start_ep);
		free(r->tr[i].start_gen);
		free(r->tr[i].prod_ep);
		free(r->tr[i].prod_gen);
	}
	free(r->gen);
	free(r);
}

Test(iter_mutation, i64_i64) { run_episodes(MAPT_I64_I64, 500, 1, false, MG_WB_HYBRID, 7101); }
Test(iter_mutation, str_i64) { run_episodes(MAPT_STR_I64, 400, 1, false, MG_WB_HYBRID, 7102); }
Test(iter_mutation, ptr_ptr) { run_episodes(MAPT_PTR_PTR, 400, 1, false, MG_WB_HYBRID, 7103); }
Test(iter_mutation, big) { run_episodes(MAPT_BIG, 150, 1, false, MG_WB_HYBRID, 7104); }
Test(iter_mutation, struct_marking_yuasa) { run_episodes(MAPT_STRUCT, 300, 1, true, MG_WB_YUASA, 7105); }
Test(iter_mutation, ptr_ptr_marking_dijkstra) { run_episodes(MAPT_PTR_PTR, 300, 1, true, MG_WB_DIJKSTRA, 7106); }
Test(iter_mutation, two_iterators) { run_episodes(MAPT_I64_STR, 250, 2, true, MG_WB_HYBRID, 7107); }
Test(iter_mutation, one_or_two_noscan) { run_episodes(MAPT_I64_I64, 400, 0, true, MG_WB_HYBRID, 7108); }

// labels: slow
Test(iter_mutation_long, ptr_ptr) { run_episodes(MAPT_PTR_PTR, 3000, 0, true, MG_WB_HYBRID, 7201); }
// labels: slow
Test(iter_mutation_long, i64_i64) { run_episodes(MAPT_I64_I64, 4000, 0, false, MG_WB_HYBRID, 7202); }
