/*
 * iterator.c — an iterator holding a map's old bucket array, before and
 * after the grow finishes (scenario (a) of `mapgc reach`).
 *
 * The heap: a map[int64]string (buckets hold pointers, so overflow buckets
 * are reached through chain edges) made with hint 52, so B = 3, no
 * preallocated overflow buckets, and 52 entries fit without a grow; 12 of
 * the keys land in bucket 0 and at most 6 in any other, so bucket 0 has the
 * one (separate) overflow bucket.  The
 * strings point outside the heap: cells hold no edges, and what an array
 * retains is exactly itself plus its overflow buckets.  Roots: "m" (the
 * map, registered first) and "it", an iterator started before the 53rd key
 * makes the map double (it.buckets = the array that becomes old) and never
 * advanced (it.bptr stays NULL).
 *
 * While the grow is unfinished, array A is hmap.oldbuckets and it.buckets:
 *   holders {old array, iterator}; idom = the virtual root (two disjoint
 *   paths, m → hmap → A and it → hiter → A), so dropping the iterator alone
 *   frees nothing of A — the iterator's retained size is its own size — and
 *   neither does dropping the map; A's own retained size is A plus its
 *   overflow buckets; the shortest path goes through the first root, m.
 * After the grow finishes, oldbuckets is released and only it.buckets holds
 * A: path `scope root "it" → hiter .it.buckets → A`, holders {iterator},
 * idom = the hiter, whose retained size now includes all of A's.
 */
#include "tests/reach/reach_test.h"

#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { IT_KEYS = 52, IT_IN_BUCKET0 = 12, IT_MAX_OVF = 8 };

typedef struct itfx {
	mg_runtime *rt;
	mg_scope scope;
	mg_hmap *m;
	mg_hiter *it;
	char dir[256];
	void *A;                   /* the array that becomes old */
	void *ovf[IT_MAX_OVF];     /* A's overflow buckets (separate objects) */
	int novf;
} itfx;

static const mg_string it_val = {"v", 1};   /* outside the heap: no edge */

static void
it_set(itfx *f, int64_t k)
{
	mg_map_set(f->rt, f->m, &k, &it_val);
}

static uint64_t
it_bucket(const itfx *f, int64_t k)
{
	return map_hash_h(f->m, &k, MAP_KEY_INT64) & map_bucket_mask(f->m->B);
}

static void
it_open(itfx *f)
{
	mg_config cfg;

	memset(f, 0, sizeof *f);
	mgt_config(&cfg);
	cfg.gogc = MG_GOGC_OFF;   /* only the snapshots' own cycles */
	cfg.seed = 4242;
	cfg.seed_set = true;
	f->rt = mgt_open(&cfg);
	cr_assert_eq(sr_mkdtemp(f->dir, sizeof f->dir), 0);
	mg_scope_enter(f->rt, &f->scope);
	mg_root(f->rt, &f->m, "m");
	mg_root(f->rt, &f->it, "it");
	f->m = mg_map_new(f->rt, mg_maptype_get(f->rt, &mg_type_int64, &mg_type_string), IT_KEYS);
	cr_assert_eq(f->m->B, 3, "hint 52 must give B = 3");
	cr_assert(!f->m->t->noscan, "map[int64]string buckets hold pointers");
	/* Bucket 0 gets 12 keys (8 + 4 in one overflow bucket); the other
	 * seven at most 6 each, so bucket 0's is the only overflow bucket. */
	int per[8] = {0}, total = 0;
	for (int64_t k = 1; total < IT_KEYS; k++) {
		uint64_t b = it_bucket(f, k);
		if (per[b] == (b == 0 ? IT_IN_BUCKET0 : 6))
			continue;
		it_set(f, k);
		per[b]++;
		total++;
	}
	mg_mapinfo in;
	mg_map_info(f->m, &in);
	cr_assert(!in.growing && in.B == 3 && in.count == IT_KEYS, "52 keys fit B = 3 without a grow");
}

static void
it_close(itfx *f)
{
	mg_scope_leave(f->rt, &f->scope);
	sr_rmtree(f->dir);
	mgt_close(f->rt);
}

/* A's overflow buckets, from the live heap. */
static void
it_record_overflow(itfx *f)
{
	const mg_maptype *t = f->m->t;
	size_t len = 0;

	cr_assert_eq(mg_typeof(f->rt, f->A, &len), &t->bucket);
	cr_assert_eq(len, 8, "B = 3 and no preallocated overflow buckets");
	f->novf = 0;
	for (uint64_t i = 0; i < 8; i++)
		for (void *b = map_overflow(t, map_bucket_at(t, f->A, i)); b != NULL; b = map_overflow(t, b)) {
			cr_assert((char *)b < (char *)f->A || (char *)b >= (char *)f->A + 8 * t->bucketsize,
				"no preallocated overflow below B = 4");
			cr_assert_lt(f->novf, IT_MAX_OVF);
			f->ovf[f->novf++] = b;
		}
	cr_assert_eq(f->novf, 1, "12 keys in bucket 0 and at most 8 elsewhere: one overflow bucket");
}

/* Truth: A's size plus its overflow buckets', per the test reader. */
static uint64_t
it_truth(const itfx *f, const rt_snap *s)
{
	uint64_t sum = rt_size_at(s, f->A);
	for (int i = 0; i < f->novf; i++)
		sum += rt_size_at(s, f->ovf[i]);
	return sum;
}

static void
it_expect_path(const rt_snap *s, uint32_t obj, const char *want)
{
	char got[1024];
	ra_path_string(&s->r, obj, got, sizeof got);
	cr_assert_str_eq(got, want);
}

static int
it_text(FILE *out, void *ud)
{
	const rt_snap *s = ud;
	rp_source src = {.file = s->path};
	rp_request q = {.maps = true};
	return rp_text(out, &s->r, &src, &q);
}

Test(reach_iter, old_array_held_by_iterator_during_and_after_grow)
{
	itfx f;
	rt_snap s;
	char want[1024], kb[128];

	it_open(&f);
	f.it = mg_map_iter(f.rt, f.m);
	void *start_array = f.m->buckets;
	it_set(&f, 1000000);   /* the 53rd key: count + 1 > 6.5 * 8, a doubling grow */
	cr_assert(map_growing(f.m) && !map_same_size_grow(f.m), "the 53rd key starts a doubling grow");
	f.A = f.m->oldbuckets;
	cr_assert_eq(f.A, start_array, "the array the iterator started on is now the old one");
	cr_assert_eq(f.it->buckets, f.A);
	cr_assert_null(f.it->bptr, "the iterator was never advanced");
	cr_assert_lt(f.m->nevacuate, 8, "one assign evacuates at most two of eight old buckets");
	it_record_overflow(&f);

	/* ---- grow unfinished ---- */
	rt_snap_take(f.rt, f.dir, "during", &s);
	uint32_t a = rt_index_at(&s, f.A), h = rt_index_at(&s, f.m), it = rt_index_at(&s, f.it);
	cr_assert(a != RG_NONE && h != RG_NONE && it != RG_NONE);
	ra_kinds want_k = rt_kinds(RA_OLD, RA_ITER, -1);
	cr_assert_eq(s.r.kinds[a], want_k, "holders of the old array: %s, want %s",
		rt_kinds_text(s.r.kinds[a], kb, sizeof kb), "old array, iterator");
	cr_assert_eq(s.r.idom[a], s.r.n, "held by the map and the iterator, A is dominated by neither");
	uint64_t truth = it_truth(&f, &s);
	cr_assert_eq(s.r.retained[a], truth, "retained(A) = %" PRIu64 ", want A + %d overflow buckets = %" PRIu64,
		s.r.retained[a], f.novf, truth);
	cr_assert_eq(s.r.dominated[a], 1 + (uint64_t)f.novf);
	cr_assert_eq(s.r.retained[it], rt_size_at(&s, f.it),
		"the iterator alone retains only itself: none of A is freed by dropping it");
	for (uint32_t v = a; v != s.r.n; v = s.r.idom[v])
		cr_assert(v != h && v != it, "A must not be in the hmap's or the hiter's dominator subtree");
	snprintf(want, sizeof want,
		"scope root \"m\" \xe2\x86\x92 hmap#%" PRIu64 " .oldbuckets \xe2\x86\x92 bucket[int64]string[8]#%" PRIu64,
		rt_id_at(&s, f.m), rt_id_at(&s, f.A));
	it_expect_path(&s, a, want);
	/* The map view agrees with the live heap. */
	uint32_t mi = ra_map_of(&s.r, h);
	cr_assert_neq(mi, RG_NONE);
	const ra_map *m = &s.r.maps[mi];
	const rg_map *gm = &s.g.maps[mi];
	cr_assert(gm->growing && !gm->same_size && gm->B == 4 && gm->noldbuckets == 8);
	cr_assert_eq(m->old.obj, a);
	cr_assert_eq(m->cur.obj, rt_index_at(&s, f.m->buckets));
	cr_assert_eq(m->old.ovf_objects, (uint64_t)f.novf);
	cr_assert_eq(m->old.ovf_chains, (uint64_t)f.novf, "the chain strings show A's overflow buckets");
	cr_assert_eq(m->niters, 1);
	cr_assert_eq(m->iters[0].obj, it);
	cr_assert_eq(m->iters[0].role, RA_ROLE_OLD);
	cr_assert_eq(m->iters[0].bptr, RG_NONE);
	cr_assert_eq(m->iters[0].array_alone, 0, "the old array is shared with the map: the iterator alone frees none");
	for (uint64_t i = 0; i < 8; i++)
		cr_assert_eq(gm->old.evacuated[i], map_evacuated(map_bucket_at(f.m->t, f.A, i)),
			"old bucket %" PRIu64 ": evacuation state", i);
	/* And the text says so, with the same figures. */
	char *text = rt_capture(it_text, &s);
	snprintf(want, sizeof want, "holders: old array, iterator; idom the roots (no single object dominates it); "
		"retained %" PRIu64 " B", truth);
	cr_assert_not_null(strstr(text, want), "text report lacks \"%s\":\n%s", want, text);
	free(text);
	rt_snap_free(&s);

	/* ---- grow finished ---- */
	for (int64_t k = 1; map_growing(f.m); k++)
		it_set(&f, k);   /* an assign during a grow evacuates */
	cr_assert_null(f.m->oldbuckets);
	cr_assert_eq(f.it->buckets, f.A, "the iterator still holds the old array");
	rt_snap_take(f.rt, f.dir, "after", &s);
	a = rt_index_at(&s, f.A);
	h = rt_index_at(&s, f.m);
	it = rt_index_at(&s, f.it);
	cr_assert(a != RG_NONE, "the array an iterator holds must survive the grow");
	cr_assert_eq(s.r.kinds[a], rt_kinds(RA_ITER, -1), "holders: %s, want iterator only",
		rt_kinds_text(s.r.kinds[a], kb, sizeof kb));
	snprintf(want, sizeof want,
		"scope root \"it\" \xe2\x86\x92 hiter#%" PRIu64 " .it.buckets \xe2\x86\x92 bucket[int64]string[8]#%" PRIu64,
		rt_id_at(&s, f.it), rt_id_at(&s, f.A));
	it_expect_path(&s, a, want);
	cr_assert_eq(s.r.idom[a], it, "only the iterator holds A now: it dominates A");
	truth = it_truth(&f, &s);
	cr_assert_eq(s.r.retained[a], truth, "retained(A) = %" PRIu64 ", want %" PRIu64, s.r.retained[a], truth);
	cr_assert_eq(s.r.retained[it], rt_size_at(&s, f.it) + truth, "the iterator retains itself and all of A");
	mi = ra_map_of(&s.r, h);
	m = &s.r.maps[mi];
	cr_assert_eq(s.r.stale_arrays, 1);
	cr_assert_eq(m->nstale, 1);
	cr_assert_eq(m->stale[0].obj, a);
	cr_assert_eq(m->stale[0].nbuckets, 8, "B = 3 inferred from the length");
	cr_assert_eq(m->stale[0].prealloc, 0);
	cr_assert_eq(m->stale[0].ovf_objects, (uint64_t)f.novf);
	cr_assert_eq(m->iters[0].role, RA_ROLE_STALE);
	cr_assert_eq(m->iters[0].array_alone, truth, "dropping the iterator now frees all of A");
	cr_assert_eq(ra_map_of(&s.r, a), mi, "a stale array belongs to its iterator's map");
	cr_assert_eq(s.r.arr_role[a], RA_ROLE_STALE);
	rt_snap_free(&s);

	/* ---- and once the iterator is dropped, A is garbage ---- */
	f.it = NULL;
	rt_snap_take(f.rt, f.dir, "dropped", &s);
	cr_assert_eq(sr_find(&s.sr, f.A), NULL, "nothing holds A any more");
	cr_assert_eq(s.r.stale_arrays, 0);
	rt_snap_free(&s);
	it_close(&f);
}

/* The same iterator, advanced into A's overflow bucket: it.bptr then also
 * holds that bucket, which A therefore no longer dominates. */
Test(reach_iter, bptr_in_overflow_bucket_is_not_dominated_by_the_array)
{
	itfx f;
	rt_snap s;

	it_open(&f);
	f.it = mg_map_iter(f.rt, f.m);
	/* Advance until bptr is an overflow bucket of the current array. */
	const mg_maptype *t = f.m->t;
	bool in_overflow = false;
	for (int steps = 0; steps < IT_KEYS && !in_overflow; steps++) {
		int64_t k;
		mg_string v;
		cr_assert(mg_map_next(f.rt, f.it, &k, &v));
		char *p = f.it->bptr;
		in_overflow = p < (char *)f.m->buckets || p >= (char *)f.m->buckets + 8 * t->bucketsize;
	}
	cr_assert(in_overflow, "iteration reaches bucket 0's overflow bucket within 52 steps");
	f.A = f.m->buckets;
	it_record_overflow(&f);
	rt_snap_take(f.rt, f.dir, "bptr", &s);
	uint32_t a = rt_index_at(&s, f.A), o = rt_index_at(&s, f.it->bptr), it = rt_index_at(&s, f.it);
	cr_assert_eq(s.r.kinds[o], rt_kinds(RA_CURRENT, RA_ITER, -1), "chained from the current array and the "
		"iterator's bptr");
	cr_assert_eq(s.r.idom[o], s.r.n, "held by A's chain and by it.bptr: dominated by neither");
	uint64_t truth = it_truth(&f, &s) - rt_size_at(&s, f.it->bptr);
	cr_assert_eq(s.r.retained[a], truth, "A retains itself and its other overflow buckets only");
	cr_assert_eq(s.r.retained[it], rt_size_at(&s, f.it));
	rt_snap_free(&s);
	it_close(&f);
}
