/*
 * The map verifier fires: for each invariant mg_map_check claims to check,
 * corrupt a healthy map by hand in exactly that way, and require a non-zero
 * count and a report naming the problem; then undo the corruption and
 * require a clean check again (so the finding came from the corruption).
 * No collection runs while a map is corrupt (GOGC off, no allocation).
 */
#include "tests/support/map_kinds.h"
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct vfx {
	mgt_rng rng;
	mg_runtime *rt;
	mapt_ctx c;
	mg_hmap *m;
	uint64_t fresh;
} vfx;

static void vfx_open(vfx *f, mapt_kind kind, size_t hint, int n)
{
	memset(f, 0, sizeof *f);
	mgt_rng_init(&f->rng, 900 + (uint64_t)kind);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.gogc = MG_GOGC_OFF;
	cfg.seed = f->rng.seed;
	cfg.seed_set = true;
	f->rt = mgt_open(&cfg);
	mapt_ctx_init(&f->c, f->rt, &f->rng, kind, 1 << 16);
	mg_root(f->rt, &f->m, "m");
	f->m = mapt_m_new(&f->c, hint);
	f->fresh = 1;
	for (int i = 0; i < n; i++)
		mapt_m_set(&f->c, f->m, f->fresh++);
	mapt_m_check(&f->c, f->m);
}

static void vfx_close(vfx *f)
{
	f->m = NULL;
	mapt_ctx_free(&f->c);
	mgt_close(f->rt);
}

/* The check must fail and its report contain `want`. */
static void expect_violation(vfx *f, const char *want)
{
	char *rep = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&rep, &len);
	int bad = mg_map_check(f->rt, f->m, out);
	fclose(out);
	cr_assert_gt(bad, 0, "the verifier missed it (want \"%s\")", want);
	cr_assert_eq(mg_map_check(f->rt, f->m, NULL), bad, "the count does not depend on the report stream");
	cr_assert(strstr(rep, want), "the report does not mention \"%s\":\n%s", want, rep);
	cr_assert(strncmp(rep, "map check: m#", 13) == 0, "report lines name the map:\n%s", rep);
	free(rep);
}

static void expect_clean(vfx *f, const char *after)
{
	mapt_assert_map_ok(f->rt, f->m, "after undoing: %s", after);
}

/* First filled cell of the current array: bucket (chain head) index and
 * the bucket and cell holding it. */
static bool find_filled(vfx *f, uint64_t from, uint64_t *bi, void **bp, unsigned *ci)
{
	const mg_maptype *t = f->m->t;
	uint64_t nb = (uint64_t)1 << f->m->B;
	for (uint64_t i = from; i < nb; i++)
		for (void *b = map_bucket_at(t, f->m->buckets, i); b; b = map_overflow(t, b))
			for (unsigned j = 0; j < MAP_BUCKET_CNT; j++)
				if (!map_is_empty(map_tophashes(b)[j])) {
					*bi = i;
					*bp = b;
					*ci = j;
					return true;
				}
	return false;
}

Test(verifier, healthy_maps_pass)
{
	for (int k = 0; k < MAPT_NKINDS; k++) {
		vfx f;
		vfx_open(&f, (mapt_kind)k, 0, 300);
		cr_assert_eq(mg_map_check(f.rt, f.m, stderr), 0, "%s", mapt_kind_name((mapt_kind)k));
		cr_assert_eq(mg_map_check(f.rt, NULL, stderr), 0);
		vfx_close(&f);
	}
}

Test(verifier, wrong_tophash)
{
	vfx f;
	vfx_open(&f, MAPT_I64_I64, 0, 40);
	uint64_t bi;
	void *b;
	unsigned ci;
	cr_assert(find_filled(&f, 0, &bi, &b, &ci));
	uint8_t *th = &map_tophashes(b)[ci], saved = *th;
	*th = saved == 255 ? 254 : (uint8_t)(saved + 1);
	expect_violation(&f, "tophash");
	*th = saved;
	expect_clean(&f, "tophash");
	vfx_close(&f);
}

Test(verifier, wrong_count)
{
	vfx f;
	vfx_open(&f, MAPT_PTR_PTR, 0, 40);
	f.m->count++;
	expect_violation(&f, "count is 41 but 40 cells are filled");
	f.m->count -= 2;
	expect_violation(&f, "count is 39 but 40 cells are filled");
	f.m->count++;
	expect_clean(&f, "count");
	vfx_close(&f);
}

Test(verifier, filled_cell_in_wrong_bucket)
{
	vfx f;
	vfx_open(&f, MAPT_I64_I64, 100, 40); /* B=4: 16 buckets, ~2.5 per bucket */
	const mg_maptype *t = f.m->t;
	uint64_t bi;
	void *b;
	unsigned ci;
	cr_assert(find_filled(&f, 0, &bi, &b, &ci));
	/* An empty cell in another bucket; move the cell there. */
	uint64_t other = (bi + 1) % 16;
	void *ob = map_bucket_at(t, f.m->buckets, other);
	unsigned oj = MAP_BUCKET_CNT;
	for (unsigned j = 0; j < MAP_BUCKET_CNT && oj == MAP_BUCKET_CNT; j++)
		if (map_is_empty(map_tophashes(ob)[j]))
			oj = j;
	cr_assert_lt(oj, MAP_BUCKET_CNT, "bucket %" PRIu64 " is full", other);
	uint8_t saved_oth = map_tophashes(ob)[oj], saved_th = map_tophashes(b)[ci];
	memcpy(map_cell_key(t, ob, oj), map_cell_key(t, b, ci), t->keysize);
	memcpy(map_cell_elem(t, ob, oj), map_cell_elem(t, b, ci), t->elemsize);
	map_tophashes(ob)[oj] = saved_th;
	map_tophashes(b)[ci] = MAP_EMPTY_ONE;
	int64_t saved_key = *(int64_t *)map_cell_key(t, b, ci), saved_elem = *(int64_t *)map_cell_elem(t, b, ci);
	*(int64_t *)map_cell_elem(t, b, ci) = 0;
	expect_violation(&f, "hashes to bucket");
	/* Undo. */
	*(int64_t *)map_cell_elem(t, b, ci) = saved_elem;
	*(int64_t *)map_cell_key(t, b, ci) = saved_key;
	map_tophashes(b)[ci] = saved_th;
	memset(map_cell_key(t, ob, oj), 0, t->keysize);
	memset(map_cell_elem(t, ob, oj), 0, t->elemsize);
	map_tophashes(ob)[oj] = saved_oth;
	expect_clean(&f, "wrong bucket");
	vfx_close(&f);
}

Test(verifier, evacuated_mark_missing_below_nevacuate)
{
	vfx f;
	vfx_open(&f, MAPT_I64_I64, 0, 105); /* the 105th key starts 4 -> 5 */
	cr_assert(f.m->oldbuckets && f.m->nevacuate >= 1, "growing with old bucket 0 evacuated");
	uint8_t *th = map_tophashes(map_bucket_at(f.m->t, f.m->oldbuckets, 0));
	uint8_t saved[MAP_BUCKET_CNT];
	memcpy(saved, th, sizeof saved);
	memset(th, MAP_EMPTY_REST, MAP_BUCKET_CNT);
	expect_violation(&f, "below nevacuate");
	memcpy(th, saved, sizeof saved);
	expect_clean(&f, "evacuation mark");
	/* The other direction: an evacuated mark in one cell of a bucket at or
	 * above nevacuate that is not evacuated. */
	uint64_t ob = f.m->nevacuate;
	while (map_evacuated(map_bucket_at(f.m->t, f.m->oldbuckets, ob)))
		ob++;
	th = map_tophashes(map_bucket_at(f.m->t, f.m->oldbuckets, ob));
	unsigned j = 1;
	uint8_t s = th[j];
	th[j] = MAP_EVACUATED_X;
	expect_violation(&f, "evacuated state");
	th[j] = s;
	expect_clean(&f, "evacuated state");
	vfx_close(&f);
}

/* Chains of colliding keys in bucket 0 of a B=2 map: bucket + overflow. */
static void *collide_overflow(vfx *f, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t kid;
		do
			kid = f->fresh++;
		while (mapt_key_bucket(&f->c, f->m, kid) != 0);
		mapt_m_set(&f->c, f->m, kid);
	}
	mapt_m_check(&f->c, f->m);
	void *ovf = map_overflow(f->m->t, map_bucket_at(f->m->t, f->m->buckets, 0));
	cr_assert_not_null(ovf);
	return ovf;
}

/* Two full buckets (16 colliding keys): nothing but the cycle is wrong
 * until the walk exceeds its bound. */
Test(verifier, overflow_cycle)
{
	vfx f;
	vfx_open(&f, MAPT_I64_I64, 20, 0);
	void *ovf = collide_overflow(&f, 16);
	void **slot = map_overflow_slot(f.m->t, ovf);
	cr_assert_null(*slot);
	*slot = ovf; /* the chain points back to itself */
	expect_violation(&f, "overflow chain longer than");
	*slot = map_bucket_at(f.m->t, f.m->buckets, 0); /* back to its head */
	expect_violation(&f, "(a cycle?)");
	*slot = NULL;
	expect_clean(&f, "cycle");
	vfx_close(&f);
}

/* A half-full bucket in the cycle: the walk must still end, with findings. */
Test(verifier, overflow_cycle_half_full)
{
	vfx f;
	vfx_open(&f, MAPT_I64_I64, 20, 0);
	void *ovf = collide_overflow(&f, 12);
	void **slot = map_overflow_slot(f.m->t, ovf);
	*slot = ovf;
	cr_assert_gt(mg_map_check(f.rt, f.m, NULL), 0);
	*slot = NULL;
	expect_clean(&f, "cycle");
	vfx_close(&f);
}

Test(verifier, overflow_pointer_outside_heap)
{
	vfx f;
	vfx_open(&f, MAPT_I64_STR, 20, 0);
	static _Alignas(8) unsigned char fake[512];
	void *ovf = collide_overflow(&f, 12);
	void **slot = map_overflow_slot(f.m->t, ovf);
	*slot = fake; /* zeroed: all emptyRest, so lookups stop there */
	expect_violation(&f, "is not a heap object");
	*slot = NULL;
	expect_clean(&f, "outside");
	vfx_close(&f);
}

Test(verifier, noscan_overflow_not_registered)
{
	vfx f;
	vfx_open(&f, MAPT_I64_I64, 20, 0);
	void *ovf = collide_overflow(&f, 12);
	map_ovflist *l = f.m->extra->overflow;
	cr_assert(l && l->len >= 1);
	uint64_t at = l->len;
	for (uint64_t i = 0; i < l->len; i++)
		if (l->v[i] == ovf)
			at = i;
	cr_assert_lt(at, l->len, "the overflow bucket is listed");
	void *last = l->v[l->len - 1];
	l->v[at] = last;
	l->len--;
	expect_violation(&f, "not in extra.overflow");
	l->len++;
	l->v[l->len - 1] = last;
	l->v[at] = ovf;
	expect_clean(&f, "registration");
	vfx_close(&f);
}

/* The cell (bucket and index) holding kid's key, in the current array. */
static bool find_key(vfx *f, uint64_t kid, void **bp, unsigned *ci)
{
	const mg_maptype *t = f->m->t;
	int64_t key = mapt_enc_i64(kid);
	for (uint64_t i = 0; i < ((uint64_t)1 << f->m->B); i++)
		for (void *b = map_bucket_at(t, f->m->buckets, i); b; b = map_overflow(t, b))
			for (unsigned j = 0; j < MAP_BUCKET_CNT; j++)
				if (!map_is_empty(map_tophashes(b)[j]) && *(int64_t *)map_cell_key(t, b, j) == key) {
					*bp = b;
					*ci = j;
					return true;
				}
	return false;
}

Test(verifier, deleted_cell_with_nonzero_elem)
{
	vfx f;
	vfx_open(&f, MAPT_I64_I64, 0, 30);
	const mg_maptype *t = f.m->t;
	for (int round = 0; round < 6; round++) {
		uint64_t kid = mapt_m_random_present(&f.c);
		void *b;
		unsigned ci;
		cr_assert(find_key(&f, kid, &b, &ci));
		mapt_m_delete(&f.c, f.m, kid);
		mapt_m_check(&f.c, f.m);
		uint8_t top = map_tophashes(b)[ci];
		cr_assert(top == MAP_EMPTY_ONE || top == MAP_EMPTY_REST, "a deleted cell is empty, not %u", top);
		cr_assert_eq(*(int64_t *)map_cell_elem(t, b, ci), 0, "delete zeroes the elem");
		*(int64_t *)map_cell_elem(t, b, ci) = 12345;
		expect_violation(&f, "non-zero elem");
		*(int64_t *)map_cell_elem(t, b, ci) = 0;
		expect_clean(&f, "elem");
	}
	vfx_close(&f);
}

Test(verifier, deleted_cell_with_nonzero_pointer_key)
{
	vfx f;
	vfx_open(&f, MAPT_PTR_PTR, 0, 30);
	mapt_m_delete(&f.c, f.m, mapt_m_random_present(&f.c));
	const mg_maptype *t = f.m->t;
	for (uint64_t i = 0; i < ((uint64_t)1 << f.m->B); i++) {
		void *b = map_bucket_at(t, f.m->buckets, i);
		for (unsigned j = 0; j < MAP_BUCKET_CNT; j++)
			if (map_is_empty(map_tophashes(b)[j])) {
				void **k = map_cell_key(t, b, j);
				*k = (void *)&f; /* not a heap pointer: harmless to the collector */
				expect_violation(&f, "non-zero key");
				*k = NULL;
				expect_clean(&f, "key");
				vfx_close(&f);
				return;
			}
	}
	cr_assert_fail("no empty cell");
}

Test(verifier, filled_cell_after_empty_rest)
{
	vfx f;
	vfx_open(&f, MAPT_I64_I64, 0, 5); /* B=0: cells 0..4 filled, 5..7 emptyRest */
	const mg_maptype *t = f.m->t;
	void *b = f.m->buckets;
	uint8_t *th = map_tophashes(b);
	cr_assert(!map_is_empty(th[4]) && th[5] == MAP_EMPTY_REST);
	/* Empty cell 3 as emptyRest, leaving cell 4 filled after it. */
	uint8_t saved = th[3];
	int64_t k = *(int64_t *)map_cell_key(t, b, 3), e = *(int64_t *)map_cell_elem(t, b, 3);
	th[3] = MAP_EMPTY_REST;
	*(int64_t *)map_cell_key(t, b, 3) = 0;
	*(int64_t *)map_cell_elem(t, b, 3) = 0;
	expect_violation(&f, "after an emptyRest cell");
	th[3] = saved;
	*(int64_t *)map_cell_key(t, b, 3) = k;
	*(int64_t *)map_cell_elem(t, b, 3) = e;
	expect_clean(&f, "emptyRest");
	vfx_close(&f);
}

/* The verifier must report a map left with hashWriting set — and not die
 * of it: its own lookups must not enforce the flag. */
Test(verifier, hash_writing_left_set)
{
	vfx f;
	vfx_open(&f, MAPT_STR_I64, 0, 10);
	f.m->flags |= MAP_HASH_WRITING;
	expect_violation(&f, "hashWriting set outside a map operation");
	f.m->flags &= (uint8_t)~MAP_HASH_WRITING;
	expect_clean(&f, "flags");
	vfx_close(&f);
}
