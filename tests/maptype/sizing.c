/*
 * Go's bucket counts, growth triggers and sizes (map.go: overLoadFactor,
 * makemap, makeBucketArray, tooManyOverflowBuckets, mapdelete's re-seed).
 *
 * B for a hint or a size is the smallest B with count <= 8 or
 * count <= 6.5 * 2^B; Go checks the load factor before inserting, so the
 * 9th key doubles B=0 to 1, the 14th 1 to 2, the 27th 2 to 3, the 53rd 3 to
 * 4, the 105th 4 to 5.  Arrays for B >= 4 carry 2^(B-4) preallocated
 * overflow buckets (one heap array of 2^B + 2^(B-4) buckets).  A map of
 * B = 0 made from a small hint has no array until the first insert
 * (makemap_small).  A same-size grow happens at constant size when the
 * overflow-bucket count reaches 2^B; maps never shrink (Go #20135); an
 * emptied map draws a new hash seed (Go #25237).
 */
#include "tests/support/map_kinds.h"
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static mg_runtime *open_rt(uint64_t seed)
{
	mg_config cfg;
	mgt_config(&cfg);
	cfg.heapcheck = 0;
	cfg.checkmark = 1;
	cfg.seed = seed;
	cfg.seed_set = true;
	cfg.gcevery = 37;
	return mgt_open(&cfg);
}

/* The expected B, computed independently of the library. */
static unsigned want_B(uint64_t n)
{
	unsigned B = 0;
	while (n > 8 && n * 2 > 13 * ((uint64_t)1 << B))
		B++;
	return B;
}

static size_t array_len(mg_runtime *rt, const mg_hmap *m)
{
	size_t len = 0;
	cr_assert_not_null(mg_typeof(rt, m->buckets, &len), "bucket array %p is not a heap object", m->buckets);
	return len;
}

static size_t want_len(unsigned B)
{
	return ((size_t)1 << B) + (B >= 4 ? (size_t)1 << (B - 4) : 0);
}

Test(sizing, want_B_matches_go)
{
	/* The table of DESIGN.md / the brief, so want_B itself is checked. */
	static const struct { uint64_t n; unsigned B; } t[] = {
		{0, 0}, {1, 0}, {8, 0}, {9, 1}, {13, 1}, {14, 2}, {26, 2}, {27, 3},
		{52, 3}, {53, 4}, {104, 4}, {105, 5}, {208, 5}, {209, 6}, {6656, 10}, {6657, 11},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		cr_assert_eq(want_B(t[i].n), t[i].B, "n=%" PRIu64, t[i].n);
}

Test(sizing, hint_gives_B)
{
	mg_runtime *rt = open_rt(11);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_hmap *m = NULL;
	mg_root(rt, &m, "m");
	const mg_maptype *mt = mg_maptype_get(rt, &mg_type_int64, &mg_type_int64);
	for (size_t hint = 0; hint <= 3000; hint += hint < 120 ? 1 : 37) {
		m = mg_map_new(rt, mt, hint);
		mg_mapinfo in;
		mg_map_info(m, &in);
		unsigned B = want_B(hint);
		cr_assert_eq(in.B, B, "hint %zu: B=%u, want %u", hint, in.B, B);
		cr_assert_eq(in.nbuckets, (size_t)1 << B);
		cr_assert_eq(in.count, 0);
		cr_assert(!in.growing);
		if (B == 0) {
			cr_assert_null(m->buckets, "hint %zu: a B=0 map allocates its bucket on the first insert", hint);
		} else {
			cr_assert_eq(array_len(rt, m), want_len(B), "hint %zu (B=%u): array of %zu buckets, want %zu", hint, B,
			             array_len(rt, m), want_len(B));
		}
		if (B >= 4) {
			cr_assert(m->extra && m->extra->nextOverflow == map_bucket_at(mt, m->buckets, (uint64_t)1 << B),
			          "hint %zu: nextOverflow points at the first preallocated overflow bucket", hint);
		}
		mapt_assert_map_ok(rt, m, "hint %zu", hint);
		/* It holds hint entries without growing. */
		if (hint <= 200) {
			for (int64_t k = 0; k < (int64_t)hint; k++)
				mg_map_set(rt, m, &k, &k);
			mg_map_info(m, &in);
			cr_assert(in.B == B && !in.growing, "hint %zu: filling to the hint grew the map", hint);
		}
	}
	/* The brief's table, spelled out. */
	static const struct { size_t hint; unsigned B; } t[] = {
		{0, 0}, {8, 0}, {9, 1}, {13, 1}, {14, 2}, {26, 2}, {27, 3}, {52, 3}, {53, 4}, {104, 4}, {105, 5},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		m = mg_map_new(rt, mt, t[i].hint);
		cr_assert_eq(m->B, t[i].B, "hint %zu", t[i].hint);
	}
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(sizing, inserts_give_B)
{
	mg_runtime *rt = open_rt(12);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_hmap *m = NULL;
	mg_root(rt, &m, "m");
	const mg_maptype *mt = mg_maptype_get(rt, &mg_type_int64, &mg_type_int64);
	for (int rep = 0; rep < 3; rep++) {
		m = mg_map_new(rt, mt, 0);
		unsigned doublings = 0, prevB = 0;
		for (int64_t n = 1; n <= 2000; n++) {
			int64_t k = n * 7919 + rep;
			mg_map_set(rt, m, &k, &n);
			mg_mapinfo in;
			mg_map_info(m, &in);
			cr_assert_eq(in.B, want_B((uint64_t)n), "after %" PRId64 " inserts: B=%u, want %u", n, in.B,
			             want_B((uint64_t)n));
			cr_assert_eq(in.count, (size_t)n);
			cr_assert(!in.same_size, "inserting distinct keys at B=%u made a same-size grow", in.B);
			if (in.B != prevB) {
				cr_assert_eq(in.B, prevB + 1, "B grows one step at a time");
				doublings++;
				cr_assert_eq(array_len(rt, m), want_len(in.B), "B=%u array: %zu buckets", in.B,
				             array_len(rt, m));
				/* An insert evacuates at most two old buckets, so from 4 old
				 * buckets up the grow is still under way afterwards. */
				if (in.B >= 3)
					cr_assert(in.growing && in.noldbuckets == in.nbuckets / 2 && in.nevacuate < in.noldbuckets,
					          "B=%u: a doubling keeps the old half while it evacuates", in.B);
			}
			prevB = in.B;
			if (n % 97 == 0 || n < 30)
				mapt_assert_map_ok(rt, m, "after %" PRId64 " inserts", n);
		}
		cr_assert_eq(doublings, want_B(2000));
		for (int64_t n = 1; n <= 2000; n++) {
			int64_t k = n * 7919 + rep, v = -1;
			cr_assert(mg_map_get(rt, m, &k, &v) && v == n, "key %" PRId64 " lost", k);
		}
	}
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(sizing, bucket_sizes_are_gos)
{
	mg_runtime *rt = open_rt(13);
	/* tophash[8] + 8 keys + 8 elems + overflow pointer, as Go's bmap. */
	static const struct { const mg_type *k, *e; size_t size; bool noscan; } t[] = {
		{&mg_type_int64, &mg_type_int64, 8 + 64 + 64 + 8, true},
		{&mg_type_string, &mg_type_int64, 8 + 128 + 64 + 8, false},
		{&mg_type_int64, &mg_type_string, 8 + 64 + 128 + 8, false},
		{&mg_type_ptr, &mg_type_ptr, 8 + 64 + 64 + 8, false},
		{&mapt_ukey_type, &mapt_uelem_type, 8 + 8 * 24 + 8 * 40 + 8, false},
		{&mapt_bigkey_type, &mapt_bigelem_type, 8 + 64 + 64 + 8, false}, /* indirect: pointers */
		{&mapt_bigkey_type, &mg_type_int64, 8 + 64 + 64 + 8, false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const mg_maptype *mt = mg_maptype_get(rt, t[i].k, t[i].e);
		cr_assert_eq(mg_maptype_get(rt, t[i].k, t[i].e), mt, "map types are cached");
		mg_hmap *m = mg_map_new(rt, mt, 100);
		mg_mapinfo in;
		mg_map_info(m, &in);
		cr_assert_eq(in.bucket_size, t[i].size, "%s->%s: bucket %zu bytes, want %zu", t[i].k->name, t[i].e->name,
		             in.bucket_size, t[i].size);
		cr_assert_eq(in.noscan, t[i].noscan, "%s->%s noscan", t[i].k->name, t[i].e->name);
	}
	mgt_close(rt);
}

/* Go's makemap: a hint whose memory exceeds maxAlloc (2^48 on amd64) is
 * ignored, and the map is made as for hint 0. */
Test(sizing, huge_hint_ignored)
{
	mg_runtime *rt = open_rt(14);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_hmap *m = NULL;
	mg_root(rt, &m, "m");
	const mg_maptype *mt = mg_maptype_get(rt, &mg_type_int64, &mg_type_int64);
	m = mg_map_new(rt, mt, SIZE_MAX);
	cr_assert_eq(m->B, 0, "hint SIZE_MAX");
	m = mg_map_new(rt, mt, (size_t)1 << 50);
	cr_assert_eq(m->B, 0, "hint 2^50 (x 144-byte buckets > 2^48): Go ignores it");
	int64_t k = 1;
	mg_map_set(rt, m, &k, &k);
	cr_assert_eq(mg_map_len(m), 1);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* ---- same-size grow ----------------------------------------------------------- */

typedef struct churn {
	mg_runtime *rt;
	mgt_rng rng;
	mapt_ctx c;
	mg_hmap *m;
	uint64_t fresh;
} churn;

static void churn_open(churn *ch, uint64_t seed, size_t hint)
{
	mgt_rng_init(&ch->rng, seed);
	ch->rt = open_rt(ch->rng.seed);
	mapt_ctx_init(&ch->c, ch->rt, &ch->rng, MAPT_I64_I64, 1 << 20);
	mg_root(ch->rt, &ch->m, "m");
	ch->m = mapt_m_new(&ch->c, hint);
	ch->fresh = 1;
}

static void churn_close(churn *ch)
{
	ch->m = NULL;
	mapt_ctx_free(&ch->c);
	mgt_close(ch->rt);
}

/* Inserts/deletes at constant size, with keys chosen to collide in one
 * bucket after another: every bucket gets an overflow bucket, and at
 * 2^B of them the next insert of a new key starts a same-size grow. */
Test(sizing, same_size_grow_under_churn)
{
	churn ch;
	churn_open(&ch, 31, 40);
	mapt_ctx *c = &ch.c;
	cr_assert_eq(ch.m->B, 3);
	for (int i = 0; i < 30; i++)
		mapt_m_set(c, ch.m, ch.fresh++);
	uint64_t hash0 = ch.m->hash0;
	uint64_t queue[16];
	unsigned qn = 0;
	bool seen = false;
	unsigned rounds = 0;
	for (uint64_t bucket = 0; !seen && rounds < 64; bucket = (bucket + 1) % 8, rounds++) {
		/* Ten keys into `bucket`, deleting the oldest churn key first
		 * once ten are in: the size stays at 30 + 10 (+1 transiently). */
		for (int j = 0; j < 10 && !seen; j++) {
			uint64_t kid;
			do
				kid = ch.fresh++;
			while (mapt_key_bucket(c, ch.m, kid) != bucket);
			if (qn == 10) {
				mapt_m_delete(c, ch.m, queue[0]);
				memmove(queue, queue + 1, --qn * sizeof queue[0]);
			}
			mg_mapinfo before;
			mg_map_info(ch.m, &before);
			mapt_m_set(c, ch.m, kid);
			queue[qn++] = kid;
			mapt_m_check(c, ch.m);
			mg_mapinfo in;
			mg_map_info(ch.m, &in);
			if (in.growing) {
				cr_assert(in.same_size, "a grow at constant size must be same-size (B=%u count=%zu)", in.B,
				          in.count);
				cr_assert_eq(in.B, 3, "a same-size grow keeps B");
				cr_assert_eq(in.nbuckets, in.noldbuckets);
				cr_assert_eq(in.count, before.count + 1);
				cr_assert_geq(before.noverflow, 8, "grew with only %u overflow buckets", before.noverflow);
				cr_assert(!before.growing);
				cr_assert_eq(in.flags & MAP_SAME_SIZE_GROW, MAP_SAME_SIZE_GROW);
				seen = true;
			} else {
				cr_assert_lt(before.noverflow, 8, "a new key inserted with noverflow %u >= 2^B did not grow",
				             before.noverflow);
			}
		}
	}
	cr_assert(seen, "no same-size grow after %u rounds", rounds);
	cr_assert_eq(ch.m->hash0, hash0, "hash0 changes only when the map empties");
	/* Finish it: same B, same count, chains packed. */
	while (ch.m->oldbuckets) {
		mapt_m_get(c, ch.m, mapt_m_random_present(c));
		mapt_m_set(c, ch.m, mapt_m_random_present(c)); /* an update: evacuates */
		mapt_m_check(c, ch.m);
	}
	mg_mapinfo in;
	mg_map_info(ch.m, &in);
	cr_assert_eq(in.B, 3);
	cr_assert(!in.same_size && !(in.flags & MAP_SAME_SIZE_GROW));
	cr_assert_lt(in.noverflow, 8);
	mapt_m_verify_all(c, ch.m);
	mapt_m_iterate(c, ch.m, 0);
	churn_close(&ch);
}

/* The same without chosen keys: hold a B=3 map just under its load limit
 * and replace random keys; overflow accumulates in the unevenly filled
 * buckets until a same-size grow, then again. */
Test(sizing, same_size_grow_random_churn)
{
	churn ch;
	churn_open(&ch, 32, 0);
	mapt_ctx *c = &ch.c;
	for (int i = 0; i < 50; i++)
		mapt_m_set(c, ch.m, ch.fresh++);
	cr_assert_eq(ch.m->B, 3);
	unsigned grows = 0;
	bool was = false;
	for (int op = 0; op < 60000 && grows < 3; op++) {
		if (c->count < 51)
			mapt_m_set(c, ch.m, ch.fresh++);
		else
			mapt_m_delete(c, ch.m, mapt_m_random_present(c));
		mg_mapinfo in;
		mg_map_info(ch.m, &in);
		cr_assert_eq(in.B, 3, "51 entries never double B=3 (limit 52)");
		if (in.growing && !was) {
			cr_assert(in.same_size);
			grows++;
		}
		was = in.growing;
		if (op % 7 == 0)
			mapt_m_check(c, ch.m);
	}
	cr_assert_eq(grows, 3, "same-size grows under random churn: %u (seed %" PRIu64 ")", grows, ch.rng.seed);
	mapt_m_check(c, ch.m);
	mapt_m_iterate(c, ch.m, 0);
	churn_close(&ch);
}

/* ---- never shrink; re-seed when empty ---------------------------------------------- */

Test(sizing, never_shrinks_and_reseeds)
{
	churn ch;
	churn_open(&ch, 33, 0);
	mapt_ctx *c = &ch.c;
	for (int i = 0; i < 1000; i++)
		mapt_m_set(c, ch.m, ch.fresh++);
	while (ch.m->oldbuckets)
		mapt_m_set(c, ch.m, mapt_m_random_present(c));
	mg_mapinfo in;
	mg_map_info(ch.m, &in);
	cr_assert_eq(in.B, 8);
	uint32_t hash0 = in.hash0;
	while (c->count > 1) {
		mapt_m_delete(c, ch.m, mapt_m_random_present(c));
		if (c->count % 50 == 0)
			mapt_m_check(c, ch.m);
		cr_assert_eq(ch.m->hash0, hash0, "hash0 re-drawn at count %zu", c->count);
		cr_assert_eq(ch.m->B, 8, "B shrank at count %zu", c->count);
	}
	mapt_m_delete(c, ch.m, mapt_m_random_present(c));
	mg_map_info(ch.m, &in);
	cr_assert_eq(in.count, 0);
	cr_assert_eq(in.B, 8, "deleting everything keeps B (Go #20135)");
	cr_assert_neq(in.hash0, hash0, "an emptied map draws a new hash seed");
	cr_assert_eq(array_len(ch.rt, ch.m), want_len(8));
	mapt_m_check(c, ch.m);
	mapt_m_iterate(c, ch.m, 0);
	/* Deleting from an empty map changes nothing, not even the seed. */
	uint32_t h1 = ch.m->hash0;
	mapt_m_delete(c, ch.m, 12345);
	cr_assert_eq(ch.m->hash0, h1);
	/* Refill: still B=8, no grow for 1000 keys. */
	for (int i = 0; i < 1000; i++)
		mapt_m_set(c, ch.m, ch.fresh++);
	mg_map_info(ch.m, &in);
	cr_assert(in.B == 8 && !in.growing);
	/* clear keeps B and re-seeds too. */
	h1 = ch.m->hash0;
	mapt_m_clear(c, ch.m);
	mg_map_info(ch.m, &in);
	cr_assert(in.B == 8 && in.count == 0 && !in.growing);
	cr_assert_neq(in.hash0, h1, "clear draws a new hash seed");
	mapt_m_check(c, ch.m);
	mapt_m_iterate(c, ch.m, 0);
	for (int i = 0; i < 100; i++)
		mapt_m_set(c, ch.m, ch.fresh++);
	mapt_m_check(c, ch.m);
	mapt_m_verify_all(c, ch.m);
	churn_close(&ch);
}
