/*
 * noscan maps: int64 -> int64 buckets hold no pointers, so the collector
 * never reads their overflow pointers; overflow buckets live only because
 * extra.overflow (or extra.oldoverflow, or an iterator's copy of them)
 * lists them (inv.noscan-overflow, Go #9477).
 *
 * Overflow buckets are forced with keys chosen to collide in bucket 0 of a
 * B=2 map.  Each test has its negative twin: take the list away (by hand)
 * and the same collections free the overflow buckets — so "still alive"
 * is a finding the test can fail, not a tautology.
 */
#include "tests/support/map_kinds.h"
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAXOVF 16

typedef struct nfx {
	mgt_rng rng;
	mg_runtime *rt;
	mapt_ctx c;
	mg_hmap *m;
	uint64_t fresh;
	void *ovf[MAXOVF];   /* the overflow buckets of bucket 0 (not roots) */
	int novf;
} nfx;

static void nfx_open(nfx *f, uint64_t seed)
{
	memset(f, 0, sizeof *f);
	mgt_rng_init(&f->rng, seed);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.heapcheck = 1;
	cfg.checkmark = 1;
	cfg.gogc = MG_GOGC_OFF;
	cfg.seed = f->rng.seed;
	cfg.seed_set = true;
	f->rt = mgt_open(&cfg);
	mapt_ctx_init(&f->c, f->rt, &f->rng, MAPT_I64_I64, 1 << 16);
	mg_root(f->rt, &f->m, "m");
	f->m = mapt_m_new(&f->c, 20); /* B=2: 4 buckets, up to 26 entries */
	f->fresh = 1;
	cr_assert_eq(f->m->B, 2);
	mg_mapinfo in;
	mg_map_info(f->m, &in);
	cr_assert(in.noscan, "int64->int64 buckets must be noscan");
	size_t len;
	const mg_type *bt = mg_typeof(f->rt, f->m->buckets, &len);
	cr_assert(bt && bt->nptrs == 0, "the bucket type of a noscan map has no pointer fields");
}

static void nfx_close(nfx *f)
{
	f->m = NULL;
	mapt_ctx_free(&f->c);
	mgt_close(f->rt);
}

/* n keys that all land in bucket `b`. */
static void fill_bucket(nfx *f, uint64_t b, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t kid;
		do
			kid = f->fresh++;
		while (mapt_key_bucket(&f->c, f->m, kid) != b);
		mapt_m_set(&f->c, f->m, kid);
		mapt_m_check(&f->c, f->m);
	}
}

static void record_overflow(nfx *f)
{
	f->novf = 0;
	for (void *b = map_overflow(f->m->t, map_bucket_at(f->m->t, f->m->buckets, 0)); b; b = map_overflow(f->m->t, b))
		f->ovf[f->novf++] = b;
}

static int alive_overflow(nfx *f)
{
	int n = 0;
	for (int i = 0; i < f->novf; i++)
		if (mg_typeof(f->rt, f->ovf[i], NULL) == &f->m->t->bucket)
			n++;
	return n;
}

/* Allocation that reuses freed slots of the bucket's size class. */
static void churn(nfx *f, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		mg_gc(f->rt);
		for (int i = 0; i < 200; i++) {
			f->c.garbage = mg_alloc_bytes(f->rt, f->m->t->bucketsize);
			memset(f->c.garbage, 0xee, f->m->t->bucketsize);
			f->c.garbage = mg_alloc(f->rt, &mapt_obj_type);
		}
		f->c.garbage = NULL;
	}
	mg_gc(f->rt);
}

Test(noscan, overflow_lives_through_extra_overflow)
{
	nfx f;
	nfx_open(&f, 501);
	fill_bucket(&f, 0, 24); /* 8 + 8 + 8: two overflow buckets */
	record_overflow(&f);
	cr_assert_eq(f.novf, 2, "24 keys in one bucket: %d overflow buckets", f.novf);
	cr_assert(f.m->extra && f.m->extra->overflow && f.m->extra->overflow->len == 2,
	          "the overflow buckets are listed in extra.overflow");
	cr_assert_eq(f.m->noverflow, 2);
	cr_assert_null(f.m->oldbuckets, "2 overflow buckets < 2^B: no same-size grow");
	churn(&f, 4);
	cr_assert_eq(alive_overflow(&f), 2, "overflow buckets of a noscan map were freed");
	mapt_m_check(&f.c, f.m); /* verifies the registration too */
	mapt_m_verify_all(&f.c, f.m);
	mapt_m_iterate(&f.c, f.m, 0);
	/* And they keep working: delete and refill through them. */
	for (int i = 0; i < 10; i++)
		mapt_m_delete(&f.c, f.m, mapt_m_random_present(&f.c));
	fill_bucket(&f, 0, 8);
	churn(&f, 2);
	mapt_m_check(&f.c, f.m);
	mapt_m_verify_all(&f.c, f.m);
	nfx_close(&f);
}

/* The negative twin: unlist them and the collector frees them. */
Test(noscan, overflow_dies_without_extra_overflow)
{
	nfx f;
	nfx_open(&f, 502);
	fill_bucket(&f, 0, 24);
	record_overflow(&f);
	cr_assert_eq(f.novf, 2);
	/* By hand (no collection is under way, so no barrier is due): nothing
	 * lists them now. */
	map_ovflist *l = f.m->extra->overflow;
	for (uint64_t i = 0; i < l->len; i++)
		l->v[i] = NULL;
	l->len = 0;
	cr_assert_gt(mg_map_check(f.rt, f.m, NULL), 0, "the verifier sees unregistered overflow buckets");
	mg_gc(f.rt);
	cr_assert_eq(alive_overflow(&f), 0, "unlisted noscan overflow buckets survived a collection");
	/* The map is broken now (its chain points to freed memory): only close. */
	f.m = NULL;
	mapt_ctx_free(&f.c);
	mgt_close(f.rt);
}

/* Go #9477: an iterator keeps the overflow buckets of the array it started
 * on alive after the map grows past that array and finishes the grow. */
static void run_iter_keeps_overflow(uint64_t seed, bool take_lists)
{
	nfx f;
	nfx_open(&f, seed);
	mapt_ctx *c = &f.c;
	fill_bucket(&f, 0, 22);
	fill_bucket(&f, 1, 3);
	record_overflow(&f);
	cr_assert_eq(f.novf, 2);
	void *arr = f.m->buckets;
	c->it = mg_map_iter(f.rt, f.m);
	cr_assert_eq(c->it->buckets, arr);
	/* Present at the start; the iteration must produce each exactly once. */
	uint64_t *start = calloc(c->count, sizeof *start);
	size_t nstart = c->count;
	for (size_t i = 0; i < nstart; i++)
		start[i] = c->plist[i];
	uint32_t *produced = calloc(1 << 16, sizeof *produced);
	int64_t k, v;
	for (int i = 0; i < 3; i++) {
		cr_assert(mg_map_next(f.rt, c->it, &k, &v));
		produced[mapt_dec_i64(k)]++;
	}
	/* Grow twice and finish: the array the iterator started on is then
	 * neither buckets nor oldbuckets. */
	while (f.m->B < 4 || f.m->oldbuckets) {
		mapt_m_set(c, f.m, f.fresh++);
		mapt_m_check(c, f.m);
	}
	cr_assert(f.m->buckets != arr && f.m->oldbuckets == NULL);
	if (take_lists) {
		c->it->overflow = NULL; /* by hand: the iterator no longer holds them */
		c->it->oldoverflow = NULL;
	}
	churn(&f, 4);
	if (take_lists) {
		cr_assert_eq(alive_overflow(&f), 0, "without the iterator's lists the overflow buckets must die");
		/* The iterator would read freed memory now: only close. */
		c->it = NULL;
		free(start);
		free(produced);
		nfx_close(&f);
		return;
	}
	cr_assert_eq(alive_overflow(&f), 2, "the iterator's start array lost its overflow buckets (Go #9477)");
	while (mg_map_next(f.rt, c->it, &k, &v)) {
		uint64_t kid = mapt_dec_i64(k);
		cr_assert(kid < (1 << 16) && c->present[kid], "produced key %" PRId64 " is not in the map", k);
		cr_assert_eq(v, (int64_t)mapt_mix(kid, c->vid[kid]), "kid %" PRIu64 ": wrong value", kid);
		cr_assert_eq(produced[kid]++, 0, "kid %" PRIu64 " produced twice", kid);
	}
	for (size_t i = 0; i < nstart; i++)
		cr_assert_eq(produced[start[i]], 1, "kid %" PRIu64 " present throughout, produced %u times", start[i],
		             produced[start[i]]);
	c->it = NULL;
	churn(&f, 1);
	cr_assert_eq(alive_overflow(&f), 0, "the old overflow buckets outlived the iterator");
	mapt_m_check(c, f.m);
	mapt_m_verify_all(c, f.m);
	free(start);
	free(produced);
	nfx_close(&f);
}

Test(noscan, iterator_keeps_start_overflow) { run_iter_keeps_overflow(503, false); }
Test(noscan, iterator_without_lists_loses_overflow) { run_iter_keeps_overflow(504, true); }

/* An iterator started mid-grow holds both lists: the old overflow buckets
 * stay alive until it is done, though the grow finishes meanwhile. */
Test(noscan, iterator_started_mid_grow_holds_oldoverflow)
{
	nfx f;
	nfx_open(&f, 505);
	mapt_ctx *c = &f.c;
	fill_bucket(&f, 0, 20);
	record_overflow(&f);
	cr_assert_eq(f.novf, 2);
	while (!f.m->oldbuckets)
		mapt_m_set(c, f.m, f.fresh++);
	cr_assert(f.m->extra->oldoverflow && f.m->extra->oldoverflow->len == 2);
	c->it = mg_map_iter(f.rt, f.m);
	cr_assert_eq(c->it->oldoverflow, f.m->extra->oldoverflow, "it.oldoverflow is the map's list");
	while (f.m->oldbuckets)
		mapt_m_set(c, f.m, mapt_m_random_present(c));
	churn(&f, 3);
	cr_assert_eq(alive_overflow(&f), 2, "old overflow buckets died under a live iterator started mid-grow");
	mapt_m_iterate(c, f.m, 0); /* a second, fresh iteration, checked */
	c->it = NULL;
	churn(&f, 1);
	cr_assert_eq(alive_overflow(&f), 0);
	nfx_close(&f);
}
