/*
 * noscan.c — a noscan map's overflow bucket, held only through the extra
 * overflow list (scenario (b) of `mapgc reach`).
 *
 * map[int64]int64 buckets hold no pointers, so the collector never follows
 * their overflow pointers: the heap has no chain edges, and an overflow
 * bucket is alive only because extra.overflow lists it (inv.noscan-overflow,
 * map.h).  With hint 20 (B = 2, no preallocated overflow buckets) and 9
 * keys in bucket 0, there is exactly one overflow bucket O and the only way
 * to it is
 *   scope root "m" → hmap .extra → mapextra .overflow → overflowlist .list
 *     → *bucket[4] [0].overflow → O
 * so its holder kinds are {overflow list} and the list's array dominates
 * it.  An iterator copies the list into it.overflow: then O is held by
 * {overflow list, iterator}, and only the list object is shared — the list
 * array still dominates O.
 */
#include "tests/reach/reach_test.h"

#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct nsfx {
	mg_runtime *rt;
	mg_scope scope;
	mg_hmap *m;
	mg_hiter *it;
	char dir[256];
} nsfx;

static void
ns_open(nsfx *f)
{
	mg_config cfg;

	memset(f, 0, sizeof *f);
	mgt_config(&cfg);
	cfg.gogc = MG_GOGC_OFF;
	cfg.seed = 77;
	cfg.seed_set = true;
	f->rt = mgt_open(&cfg);
	cr_assert_eq(sr_mkdtemp(f->dir, sizeof f->dir), 0);
	mg_scope_enter(f->rt, &f->scope);
	mg_root(f->rt, &f->m, "m");
	mg_root(f->rt, &f->it, "it");
	f->m = mg_map_new(f->rt, mg_maptype_get(f->rt, &mg_type_int64, &mg_type_int64), 20);
	cr_assert_eq(f->m->B, 2);
	cr_assert(f->m->t->noscan);
	int in0 = 0;
	for (int64_t k = 1; in0 < 9; k++) {
		if ((map_hash_h(f->m, &k, MAP_KEY_INT64) & map_bucket_mask(f->m->B)) != 0)
			continue;
		mg_map_set(f->rt, f->m, &k, &k);
		in0++;
	}
	cr_assert(!map_growing(f->m));
	cr_assert(f->m->extra && f->m->extra->overflow && f->m->extra->overflow->len == 1,
		"one overflow bucket, listed in extra.overflow");
}

static void
ns_close(nsfx *f)
{
	mg_scope_leave(f->rt, &f->scope);
	sr_rmtree(f->dir);
	mgt_close(f->rt);
}

Test(reach_noscan, overflow_bucket_held_only_by_the_extra_list)
{
	nsfx f;
	rt_snap s;
	char want[1024], got[1024], kb[128];

	ns_open(&f);
	map_ovflist *list = f.m->extra->overflow;
	void *O = list->v[0];
	void *A = f.m->buckets;
	cr_assert_eq(map_overflow(f.m->t, map_bucket_at(f.m->t, A, 0)), O, "O is bucket 0's overflow bucket");
	rt_snap_take(f.rt, f.dir, "noscan", &s);
	uint32_t o = rt_index_at(&s, O), a = rt_index_at(&s, A), v = rt_index_at(&s, list->v);
	size_t cap = 0;
	mg_typeof(f.rt, list->v, &cap);
	snprintf(want, sizeof want,
		"scope root \"m\" \xe2\x86\x92 hmap#%" PRIu64 " .extra \xe2\x86\x92 mapextra#%" PRIu64
		" .overflow \xe2\x86\x92 overflowlist#%" PRIu64 " .list \xe2\x86\x92 *bucket[%zu]#%" PRIu64
		" [0].overflow \xe2\x86\x92 bucket[int64]int64#%" PRIu64,
		rt_id_at(&s, f.m), rt_id_at(&s, f.m->extra), rt_id_at(&s, list), cap, rt_id_at(&s, list->v),
		rt_id_at(&s, O));
	ra_path_string(&s.r, o, got, sizeof got);
	cr_assert_str_eq(got, want);
	cr_assert_eq(s.r.kinds[o], rt_kinds(RA_OVFLIST, -1), "holders of O: %s, want overflow list only",
		rt_kinds_text(s.r.kinds[o], kb, sizeof kb));
	cr_assert_eq(s.r.idom[o], v, "the list's array is O's only way in");
	cr_assert_eq(s.r.retained[o], rt_size_at(&s, O));
	/* A noscan array has no edges: nothing is chained from it. */
	cr_assert_eq(s.g.eoff[a + 1] - s.g.eoff[a], 0);
	cr_assert_eq(s.r.kinds[a], rt_kinds(RA_CURRENT, -1));
	const ra_map *m = &s.r.maps[ra_map_of(&s.r, rt_index_at(&s, f.m))];
	cr_assert_eq(m->cur.obj, a);
	cr_assert_eq(m->cur.ovf_chains, 1, "the chain strings show the overflow bucket");
	cr_assert_eq(m->cur.ovf_objects, 0, "no chain edges in a noscan map");
	cr_assert_eq(m->cur.list, rt_index_at(&s, list));
	cr_assert(!m->cur.list_is_old);
	cr_assert_eq(m->cur.list_entries, 1);
	cr_assert_eq(m->cur.list_separate, 1);
	cr_assert_eq(m->cur.list_in_array, 0);
	rt_snap_free(&s);

	/* An iterator holds the same list. */
	f.it = mg_map_iter(f.rt, f.m);
	cr_assert_eq(f.it->overflow, list);
	rt_snap_take(f.rt, f.dir, "noscan-iter", &s);
	o = rt_index_at(&s, O);
	v = rt_index_at(&s, list->v);
	cr_assert_eq(s.r.kinds[o], rt_kinds(RA_OVFLIST, RA_ITER, -1), "holders of O: %s, want overflow list, iterator",
		rt_kinds_text(s.r.kinds[o], kb, sizeof kb));
	cr_assert_eq(s.r.idom[o], v, "both reach O through the one list array");
	cr_assert_eq(s.r.idom[rt_index_at(&s, list)], s.r.n, "the list object itself is shared by map and iterator");
	rt_snap_free(&s);
	ns_close(&f);
}

/* Preallocated overflow buckets of a noscan map are listed too, but they
 * live inside the array: the list entries point into it. */
Test(reach_noscan, preallocated_entries_point_into_the_array)
{
	mg_config cfg;
	mg_scope scope;
	mg_hmap *m = NULL;
	char dir[256];
	rt_snap s;

	mgt_config(&cfg);
	cfg.gogc = MG_GOGC_OFF;
	cfg.seed = 78;
	cfg.seed_set = true;
	mg_runtime *rt = mgt_open(&cfg);
	cr_assert_eq(sr_mkdtemp(dir, sizeof dir), 0);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &m, "m");
	m = mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, &mg_type_int64), 100);   /* B = 4: 1 preallocated */
	cr_assert_eq(m->B, 4);
	int in0 = 0;
	for (int64_t k = 1; in0 < 9; k++) {
		if ((map_hash_h(m, &k, MAP_KEY_INT64) & map_bucket_mask(m->B)) != 0)
			continue;
		mg_map_set(rt, m, &k, &k);
		in0++;
	}
	void *ovf = map_overflow(m->t, map_bucket_at(m->t, m->buckets, 0));
	cr_assert_eq(ovf, map_bucket_at(m->t, m->buckets, 16), "the preallocated bucket is used first");
	rt_snap_take(rt, dir, "prealloc", &s);
	uint32_t a = rt_index_at(&s, m->buckets);
	const ra_map *rm = &s.r.maps[ra_map_of(&s.r, rt_index_at(&s, m))];
	cr_assert_eq(rm->cur.prealloc, 1);
	cr_assert_eq(rm->cur.list_entries, 1);
	cr_assert_eq(rm->cur.list_in_array, 1);
	cr_assert_eq(rm->cur.list_separate, 0);
	cr_assert_eq(s.r.kinds[a], rt_kinds(RA_CURRENT, RA_OVFLIST, -1),
		"the array is also held through the list (its preallocated bucket is an entry)");
	rt_snap_free(&s);
	mg_scope_leave(rt, &scope);
	sr_rmtree(dir);
	mgt_close(rt);
}
