/*
 * What a heap snapshot says about maps (maptype/snapshot.c): the "map"
 * member of hmap objects — id, key and elem types, count, B, flags, hash0,
 * noverflow, growth state, nevacuate — and one chain string per bucket of
 * the current and old arrays (F e - X Y E per cell, '|' between the
 * buckets of an overflow chain); plus the labelled edges that tie maps,
 * their arrays, overflow lists and iterators together.
 *
 * Maps are built into known states (mid-grow with a chosen evacuation
 * prefix, same-size growth, chains of chosen length, cells deleted in a
 * chosen order, an iterator holding an array its map dropped); the
 * expected chain strings are either written out by hand or computed here
 * from the buckets with map.h's geometry.  Files are read back with the
 * independent readers in tests/support (snapreader, v8reader), and every
 * snapshot's .heapsnapshot must agree with its JSON.
 */
#include "tests/support/mgt.h"
#include "tests/support/snapreader.h"
#include "tests/support/v8reader.h"

#include "gc/gc.h"
#include "maptype/map.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct ms {
	mg_runtime *rt;
	mg_scope scope;
	mg_hmap *m;
	mg_hiter *it;
	char dir[256];
	char json[512], v8[512];
	sr_snapshot j;
	sr_map map;
	bool loaded;
} ms;

static void ms_open(ms *f, uint64_t seed)
{
	memset(f, 0, sizeof *f);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.gogc = MG_GOGC_OFF;
	cfg.seed = seed;
	cfg.seed_set = true;
	f->rt = mgt_open(&cfg);
	mg_scope_enter(f->rt, &f->scope);
	mg_root(f->rt, &f->m, "m");
	mg_root(f->rt, &f->it, "it");
	cr_assert_eq(sr_mkdtemp(f->dir, sizeof f->dir), 0, "mkdtemp: %s", strerror(errno));
	snprintf(f->json, sizeof f->json, "%s/m.json", f->dir);
	snprintf(f->v8, sizeof f->v8, "%s/m.heapsnapshot", f->dir);
}

static void ms_unload(ms *f)
{
	if (f->loaded) {
		sr_map_free(&f->map);
		sr_free(&f->j);
		f->loaded = false;
	}
}

static void ms_close(ms *f)
{
	ms_unload(f);
	f->m = NULL;
	f->it = NULL;
	mg_scope_leave(f->rt, &f->scope);
	mgt_close(f->rt);
	sr_rmtree(f->dir);
}

/* Snapshot now; load the JSON (checked against the .heapsnapshot) and the
 * annotation of map f->m. */
static const sr_object *ms_snap(ms *f)
{
	ms_unload(f);
	char err[300];
	cr_assert_eq(mg_heap_snapshot(f->rt, f->json, f->v8), 0, "mg_heap_snapshot: %s", strerror(errno));
	cr_assert_eq(sr_load(f->json, &f->j, err, sizeof err), 0, "%s", err);
	v8r_snapshot v;
	cr_assert_eq(v8r_load(f->v8, &v, err, sizeof err), 0, "%s", err);
	cr_assert_eq(v8r_matches_json(&v, &f->j, err, sizeof err), 0, "%s", err);
	v8r_free(&v);
	const sr_object *h = sr_find(&f->j, f->m);
	cr_assert_not_null(h, "the map is not in the snapshot");
	cr_assert_str_eq(h->type, "hmap");
	cr_assert_not_null(h->map, "the hmap object has no \"map\" member");
	cr_assert_eq(sr_map_read(h->map, &f->map, err, sizeof err), 0, "%s", err);
	f->loaded = true;
	return h;
}

static const sr_object *must_find(const ms *f, const void *p, const char *what)
{
	const sr_object *o = sr_find(&f->j, p);
	cr_assert_not_null(o, "%s (%p) is not in the snapshot", what, p);
	return o;
}

/* The single target of o's edge `label` (asserting there is exactly one). */
static uint64_t edge_to(const sr_object *o, const char *label)
{
	uint64_t to = 0;
	size_t n = sr_edges_labelled(o, label, &to);
	cr_assert_eq(n, 1, "object %" PRIu64 " (%s) has %zu \"%s\" edges", o->id, o->type, n, label);
	return to;
}

/* ---- the oracle --------------------------------------------------------------- */

static char cell_char(uint8_t top)
{
	switch (top) {
	case MAP_EMPTY_REST: return '-';
	case MAP_EMPTY_ONE: return 'e';
	case MAP_EVACUATED_X: return 'X';
	case MAP_EVACUATED_Y: return 'Y';
	case MAP_EVACUATED_EMPTY: return 'E';
	default: return 'F';
	}
}

static void chain_of(const mg_maptype *t, void *arr, uint64_t i, char *out, size_t n)
{
	size_t k = 0;
	for (void *b = map_bucket_at(t, arr, i); b; b = map_overflow(t, b)) {
		if (b != map_bucket_at(t, arr, i))
			out[k++] = '|';
		for (unsigned c = 0; c < MAP_BUCKET_CNT; c++)
			out[k++] = cell_char(map_tophashes(b)[c]);
		cr_assert_lt(k + 10, n);
	}
	out[k] = '\0';
}

static void expect_chains(const char *const *got, size_t ngot, const mg_maptype *t, void *arr, uint64_t n,
                          const char *what)
{
	cr_assert_eq(ngot, n, "%s: %zu chains, want %" PRIu64, what, ngot, n);
	for (uint64_t i = 0; i < n; i++) {
		char want[512];
		chain_of(t, arr, i, want, sizeof want);
		cr_assert_str_eq(got[i], want, "%s[%" PRIu64 "]", what, i);
	}
}

static size_t count_char(const char *const *chains, size_t n, char c)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (const char *p = chains[i]; *p; p++)
			k += *p == c;
	return k;
}

static bool only_chars(const char *s, const char *set)
{
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

/* ---- building maps -------------------------------------------------------------- */

static void seti(ms *f, int64_t k, int64_t v)
{
	mg_map_set(f->rt, f->m, &k, &v);
}

static void deli(ms *f, int64_t k)
{
	mg_map_delete(f->rt, f->m, &k);
}

static uint64_t bucket_of(const mg_hmap *h, int64_t k, unsigned bits)
{
	return map_hash(h->t, &k, h->hash0) & (((uint64_t)1 << bits) - 1);
}

static int64_t key_for(const mg_hmap *h, unsigned bits, uint64_t want, int64_t *next)
{
	for (int tries = 0; tries < 1 << 20; tries++) {
		int64_t k = (*next)++;
		if (bucket_of(h, k, bits) == want)
			return k;
	}
	cr_assert_fail("no key for bucket %" PRIu64, want);
	return 0;
}

static const mg_maptype *i64_i64(ms *f)
{
	return mg_maptype_get(f->rt, &mg_type_int64, &mg_type_int64);
}

/* ---- tests ------------------------------------------------------------------------ */

Test(map_snapshot, growing_map_annotation)
{
	ms f;
	ms_open(&f, 0x3a7);
	f.m = mg_map_new(f.rt, i64_i64(&f), 0);
	for (int64_t k = 1; k <= 52; k++)
		seti(&f, k, k);
	cr_assert(f.m->B == 3 && !f.m->oldbuckets);
	int64_t next = 1000;
	seti(&f, key_for(f.m, 3, 0, &next), 53); /* doubles; evacuates old 0 and 1 */
	int64_t k2 = 0;
	for (int64_t k = 1; k <= 52 && !k2; k++)
		if (bucket_of(f.m, k, 3) == 2)
			k2 = k;
	seti(&f, k2, -1); /* evacuates old 2 and 3 */
	cr_assert(f.m->oldbuckets && f.m->nevacuate == 4 && f.m->B == 4);
	void *newarr = f.m->buckets, *oldarr = f.m->oldbuckets;

	const sr_object *h = ms_snap(&f);
	const sr_map *m = &f.map;
	cr_assert(m->id == 1 && m->count == 53 && m->B == 4 && m->flags == 0 && m->hash0 == f.m->hash0 &&
	          m->noverflow == f.m->noverflow && m->growing && !m->same_size && m->nevacuate == 4 &&
	          m->noldbuckets == 8,
	          "id=%" PRIu64 " count=%" PRIu64 " B=%" PRIu64 " flags=%" PRIu64 " nevacuate=%" PRIu64
	          " noldbuckets=%" PRIu64,
	          m->id, m->count, m->B, m->flags, m->nevacuate, m->noldbuckets);
	cr_assert_str_eq(m->key, "int64");
	cr_assert_str_eq(m->elem, "int64");
	expect_chains(m->buckets, m->nbuckets, f.m->t, newarr, 16, "buckets");
	expect_chains(m->oldbuckets, m->noldchains, f.m->t, oldarr, 8, "oldbuckets");
	/* What the construction fixes, without the oracle. */
	for (size_t i = 0; i < 8; i++)
		cr_assert(only_chars(m->oldbuckets[i], i < 4 ? "XYE|" : "Fe-|"), "oldbuckets[%zu] = %s", i,
		          m->oldbuckets[i]);
	cr_assert_gt(count_char(m->oldbuckets, 4, 'X') + count_char(m->oldbuckets, 4, 'Y'), 0);
	cr_assert_eq(count_char(m->buckets, 16, 'F') + count_char(m->oldbuckets, 8, 'F'), 53,
	             "every entry is one F cell (evacuated noscan cells are X/Y)");
	cr_assert_eq(count_char(m->buckets, 16, 'X') + count_char(m->buckets, 16, 'Y') + count_char(m->buckets, 16, 'E'),
	             0, "the new array has no evacuation marks");

	/* The objects: hmap -> new and old arrays and the extra; noscan arrays have no edges. */
	const sr_object *na = must_find(&f, newarr, "new array"), *oa = must_find(&f, oldarr, "old array");
	cr_assert_eq(edge_to(h, "buckets"), na->id);
	cr_assert_eq(edge_to(h, "oldbuckets"), oa->id);
	cr_assert(na->array && na->len == 17 && strcmp(na->type, "bucket[int64]int64") == 0, "new array: %s len %" PRIu64,
	          na->type, na->len);
	cr_assert(oa->array && oa->len == 8 && strcmp(oa->type, "bucket[int64]int64") == 0);
	cr_assert_eq(na->nedges + oa->nedges, 0, "noscan buckets have no edges");
	const sr_object *ex = must_find(&f, f.m->extra, "mapextra");
	cr_assert_eq(edge_to(h, "extra"), ex->id);
	cr_assert_str_eq(ex->type, "mapextra");
	cr_assert_eq(edge_to(ex, "nextOverflow"), na->id, "nextOverflow points into the new array (interior pointer)");
	ms_close(&f);
}

Test(map_snapshot, same_size_grow_annotation)
{
	ms f;
	ms_open(&f, 0x55e);
	f.m = mg_map_new(f.rt, i64_i64(&f), 20);
	int64_t next = 1;
	for (uint64_t b = 0; b < 4; b++) {
		int64_t ks[9];
		for (int i = 0; i < 9; i++) {
			ks[i] = key_for(f.m, 2, b, &next);
			seti(&f, ks[i], i);
		}
		for (int i = 0; i < 6; i++)
			deli(&f, ks[i]);
	}
	seti(&f, key_for(f.m, 2, 1, &next), 99);
	cr_assert(f.m->oldbuckets && (f.m->flags & MAP_SAME_SIZE_GROW) && f.m->B == 2);
	ms_snap(&f);
	const sr_map *m = &f.map;
	cr_assert(m->growing && m->same_size && m->B == 2 && m->noldbuckets == 4 && m->count == 13);
	cr_assert_eq(m->flags & MAP_SAME_SIZE_GROW, MAP_SAME_SIZE_GROW, "flags %" PRIu64 " has sameSizeGrow", m->flags);
	cr_assert_eq(m->nevacuate, f.m->nevacuate);
	expect_chains(m->buckets, m->nbuckets, f.m->t, f.m->buckets, 4, "buckets");
	expect_chains(m->oldbuckets, m->noldchains, f.m->t, f.m->oldbuckets, 4, "oldbuckets");
	cr_assert_eq(count_char(m->oldbuckets, 4, 'Y'), 0, "a same-size grow has no Y half");
	cr_assert_gt(count_char(m->oldbuckets, 4, 'X'), 0);
	/* Every old bucket had one overflow bucket: 4 chains of 2 buckets. */
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(strlen(m->oldbuckets[i]), 17, "oldbuckets[%zu] = %s", i, m->oldbuckets[i]);
	ms_close(&f);
}

/* Cells deleted in a chosen order, by hand: emptyOne where filled cells
 * follow, emptyRest running backwards (across an overflow link) where
 * nothing does.  Bucket 0 of a B=2 map holds keys k[0..8]: k[8] in an
 * overflow bucket. */
Test(map_snapshot, chain_strings_after_deletes)
{
	ms f;
	ms_open(&f, 0xde1);
	f.m = mg_map_new(f.rt, i64_i64(&f), 20);
	cr_assert_eq(f.m->B, 2);
	int64_t next = 1, k[9];
	for (int i = 0; i < 9; i++) {
		k[i] = key_for(f.m, 2, 0, &next);
		seti(&f, k[i], i);
	}
	seti(&f, key_for(f.m, 2, 3, &next), 1); /* one entry in bucket 3 */
	static const struct {
		int del;
		const char *b0;
	} steps[] = {
		{-1, "FFFFFFFF|F-------"},
		{2, "FFeFFFFF|F-------"},
		{8, "FFeFFFFF|--------"}, /* the last cell: emptyRest; F before it stops the walk */
		{7, "FFeFFFF-|--------"}, /* the next cell is the overflow's first, emptyRest */
		{5, "FFeFFeF-|--------"},
		{6, "FFeFF---|--------"}, /* runs back over the emptyOne at 5 */
		{3, "FFeeF---|--------"},
		{4, "FF------|--------"}, /* back over 3 and 2 */
		{0, "eF------|--------"},
	};
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		if (steps[s].del >= 0)
			deli(&f, k[steps[s].del]);
		ms_snap(&f);
		cr_assert_eq(f.map.nbuckets, 4);
		cr_assert_str_eq(f.map.buckets[0], steps[s].b0, "step %zu (deleted k[%d])", s, steps[s].del);
		cr_assert_str_eq(f.map.buckets[1], "--------");
		cr_assert_str_eq(f.map.buckets[2], "--------");
		cr_assert_str_eq(f.map.buckets[3], "F-------");
		cr_assert_eq(f.map.count, mg_map_len(f.m));
	}
	ms_close(&f);
}

/* Noscan overflow buckets are reached through extra.overflow: hmap ->
 * mapextra -overflow-> overflowlist -list-> *bucket array -[i].overflow->. */
Test(map_snapshot, noscan_overflow_list_edges)
{
	ms f;
	ms_open(&f, 0x9a);
	f.m = mg_map_new(f.rt, i64_i64(&f), 20);
	int64_t next = 1;
	for (int i = 0; i < 17; i++)
		seti(&f, key_for(f.m, 2, 0, &next), i);
	for (int i = 0; i < 9; i++)
		seti(&f, key_for(f.m, 2, 1, &next), i);
	const sr_object *h = ms_snap(&f);
	cr_assert_str_eq(f.map.buckets[0], "FFFFFFFF|FFFFFFFF|F-------");
	cr_assert_str_eq(f.map.buckets[1], "FFFFFFFF|F-------");
	cr_assert_str_eq(f.map.buckets[2], "--------");
	cr_assert_str_eq(f.map.buckets[3], "--------");
	cr_assert(f.map.count == 26 && f.map.noverflow == 3 && !f.map.growing);

	const sr_object *arr = must_find(&f, f.m->buckets, "buckets");
	cr_assert_eq(arr->nedges, 0, "noscan: the bucket array's overflow pointers are not edges");
	const sr_object *ex = sr_by_id(&f.j, edge_to(h, "extra"));
	const sr_object *list = sr_by_id(&f.j, edge_to(ex, "overflow"));
	cr_assert_str_eq(list->type, "overflowlist");
	const sr_object *vec = sr_by_id(&f.j, edge_to(list, "list"));
	cr_assert(vec->array && strcmp(vec->type, "*bucket") == 0, "%s", vec->type);
	cr_assert_eq(vec->nedges, 3, "three overflow buckets listed");
	for (size_t i = 0; i < 3; i++) {
		char label[32];
		snprintf(label, sizeof label, "[%zu].overflow", i);
		cr_assert_str_eq(vec->edges[i].label, label);
		const sr_object *ob = sr_by_id(&f.j, vec->edges[i].to);
		cr_assert_eq(ob->addr, (uintptr_t)f.m->extra->overflow->v[i]);
		cr_assert(!ob->array && ob->len == 1 && strcmp(ob->type, "bucket[int64]int64") == 0);
	}
	ms_close(&f);
}

/* Pointer elems: buckets are scanned, so cells and overflow links are edges;
 * an overflow bucket is a single object (labels without an index). */
Test(map_snapshot, pointer_bucket_edges)
{
	ms f;
	ms_open(&f, 0x77);
	mg_scope s;
	mg_scope_enter(f.rt, &s);
	void *obj = NULL;
	mg_root(f.rt, &obj, "obj");
	obj = mg_alloc_bytes(f.rt, 24);
	f.m = mg_map_new(f.rt, mg_maptype_get(f.rt, &mg_type_int64, &mg_type_ptr), 20);
	int64_t next = 1;
	for (int i = 0; i < 10; i++) {
		int64_t k = key_for(f.m, 2, 1, &next);
		mg_map_set(f.rt, f.m, &k, &obj);
	}
	ms_snap(&f);
	cr_assert_str_eq(f.map.buckets[1], "FFFFFFFF|FF------");
	const sr_object *arr = must_find(&f, f.m->buckets, "buckets");
	const sr_object *o = must_find(&f, obj, "obj");
	cr_assert_eq(sr_edges_labelled(arr, "[1].elem", NULL), 8);
	cr_assert_eq(arr->nedges, 9, "8 elems and one overflow link");
	void *ovf = map_overflow(f.m->t, map_bucket_at(f.m->t, f.m->buckets, 1));
	const sr_object *ob = must_find(&f, ovf, "overflow bucket");
	cr_assert_eq(edge_to(arr, "[1].overflow"), ob->id);
	cr_assert(!ob->array && ob->nedges == 2);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_str_eq(ob->edges[i].label, "elem");
		cr_assert_eq(ob->edges[i].to, o->id);
	}
	for (size_t i = 0; i < arr->nedges - 1; i++)
		cr_assert_eq(arr->edges[i].to, o->id);
	obj = NULL;
	mg_scope_leave(f.rt, &s);
	ms_close(&f);
}

/* An iterator keeps the array it started on after its map's grow is over:
 * the map no longer mentions it, the iterator's edges do. */
Test(map_snapshot, iterator_holds_dropped_array)
{
	ms f;
	ms_open(&f, 0x17e);
	f.m = mg_map_new(f.rt, i64_i64(&f), 0);
	for (int64_t k = 1; k <= 40; k++)
		seti(&f, k, k);
	f.it = mg_map_iter(f.rt, f.m);
	void *A = f.m->buckets;
	for (int64_t k = 41; !f.m->oldbuckets; k++)
		seti(&f, k, k);
	for (int64_t k = 1; f.m->oldbuckets; k++)
		seti(&f, k, -k);
	const sr_object *h = ms_snap(&f);
	cr_assert(!f.map.growing && f.map.oldbuckets == NULL && f.map.B == 4);
	cr_assert_eq(f.map.flags, f.m->flags);
	cr_assert_eq(f.map.flags & MAP_OLD_ITERATOR, MAP_OLD_ITERATOR,
	             "flags %" PRIu64 ": the grow turned iterator into oldIterator", f.map.flags);
	const sr_object *a = must_find(&f, A, "the iterator's array");
	const sr_object *it = must_find(&f, f.it, "hiter");
	cr_assert_str_eq(it->type, "hiter");
	cr_assert_eq(edge_to(it, "it.h"), h->id);
	cr_assert_eq(edge_to(it, "it.buckets"), a->id);
	cr_assert_eq(sr_edges_labelled(h, "oldbuckets", NULL), 0, "the map dropped A");
	cr_assert_neq(edge_to(h, "buckets"), a->id);
	const sr_object *l = sr_by_id(&f.j, edge_to(it, "it.overflow"));
	cr_assert_str_eq(l->type, "overflowlist", "noscan: the iterator holds the overflow list");
	/* Only the iterator and its map hold edges to A. */
	for (size_t i = 0; i < f.j.nobjs; i++)
		for (size_t k = 0; k < f.j.objs[i].nedges; k++)
			if (f.j.objs[i].edges[k].to == a->id)
				cr_assert_eq(f.j.objs[i].id, it->id, "%s \"%s\" points to A", f.j.objs[i].type,
				             f.j.objs[i].edges[k].label);
	/* Without the iterator, A is gone from the next snapshot. */
	f.it = NULL;
	ms_snap(&f);
	cr_assert_null(sr_find(&f.j, A));
	ms_close(&f);
}

/* No bucket array yet: "buckets" is empty; after a clear: B kept, all emptyRest. */
Test(map_snapshot, empty_and_cleared_map_annotation)
{
	ms f;
	ms_open(&f, 0xe);
	f.m = mg_map_new(f.rt, i64_i64(&f), 0);
	const sr_object *h = ms_snap(&f);
	cr_assert(f.map.count == 0 && f.map.B == 0 && f.map.nbuckets == 0 && !f.map.growing && !f.map.oldbuckets);
	cr_assert_eq(h->nedges, 0, "no buckets, no extra: no edges");
	for (int64_t k = 0; k < 100; k++)
		seti(&f, k, k);
	unsigned B = f.m->B;
	mg_map_clear(f.rt, f.m);
	ms_snap(&f);
	cr_assert(f.map.count == 0 && f.map.B == B && f.map.nbuckets == ((size_t)1 << B) && !f.map.growing);
	for (size_t i = 0; i < f.map.nbuckets; i++)
		cr_assert(only_chars(f.map.buckets[i], "-|"), "buckets[%zu] = %s after clear", i, f.map.buckets[i]);
	ms_close(&f);
}

/* A map whose key type's name needs JSON escaping: the snapshot must stay
 * valid JSON and say the name. */
typedef struct qkey {
	int64_t v;
} qkey;
static const mg_type qkey_type = {"key \"q\" \\ 1", sizeof(qkey), 8, NULL, 0, NULL, NULL};

Test(map_snapshot, type_names_are_escaped)
{
	ms f;
	ms_open(&f, 5);
	f.m = mg_map_new(f.rt, mg_maptype_get(f.rt, &qkey_type, &mg_type_int64), 0);
	qkey k = {7};
	int64_t v = 8;
	mg_map_set(f.rt, f.m, &k, &v);
	cr_assert_eq(mg_heap_snapshot(f.rt, f.json, f.v8), 0);
	sr_snapshot j;
	char err[300];
	if (sr_load(f.json, &j, err, sizeof err) != 0) {
		ms_close(&f); /* leave no files behind */
		cr_assert_fail("the snapshot of a map keyed by type `%s` is not valid JSON: %s", qkey_type.name, err);
	}
	const sr_object *h = sr_find(&j, f.m);
	cr_assert_not_null(h);
	sr_map m;
	cr_assert_eq(sr_map_read(h->map, &m, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(m.key, qkey_type.name);
	const sr_object *b = sr_find(&j, f.m->buckets);
	cr_assert_str_eq(b->type, "bucket[key \"q\" \\ 1]int64");
	sr_map_free(&m);
	sr_free(&j);
	ms_close(&f);
}

/* The annotation reader is a checker: it must reject bad annotations. */
Test(map_snapshot, reader_rejects_bad_annotations)
{
	static const char good[] =
		"{\"id\":3,\"key\":\"int64\",\"elem\":\"pointer\",\"count\":10,\"B\":1,\"flags\":8,\"hash0\":12345,"
		"\"noverflow\":2,\"growing\":true,\"same_size\":true,\"nevacuate\":1,\"noldbuckets\":2,"
		"\"buckets\":[\"FFFFFFFF|F-------\",\"F-------\"],\"oldbuckets\":[\"XXXXXXXX|XEEEEEEE\",\"FFe-----\"]}";
	char err[300];
	sj_value *v = sj_parse(good, strlen(good), err, sizeof err);
	cr_assert_not_null(v, "%s", err);
	sr_map m;
	cr_assert_eq(sr_map_read(v, &m, err, sizeof err), 0, "%s", err);
	cr_assert(m.id == 3 && m.count == 10 && m.B == 1 && m.growing && m.same_size && m.nbuckets == 2 &&
	          m.noldchains == 2);
	cr_assert_str_eq(m.oldbuckets[0], "XXXXXXXX|XEEEEEEE");
	sr_map_free(&m);
	sj_free(v);
	static const struct {
		const char *from, *to, *why;
	} bad[] = {
		{"\"F-------\"]", "\"F------\"]", "a bucket of 7 cells"},
		{"\"F-------\"]", "\"F--------\"]", "a bucket of 9 cells"},
		{"\"F-------\"]", "\"F---Z---\"]", "a bad cell character"},
		{"FFFFFFFF|F", "FFFFFFFF/F", "a bad chain separator"},
		{"\"B\":1", "\"B\":2", "2^B chains"},
		{"\"growing\":true", "\"growing\":false", "old chains on a map that is not growing"},
		{"\"noldbuckets\":2", "\"noldbuckets\":4", "noldbuckets != old chains"},
		{"\"count\":10", "\"count\":-10", "a negative count"},
		{"\"key\":\"int64\",", "", "no key"},
		{"\"same_size\":true", "\"same_size\":1", "same_size not a boolean"},
		{",\"oldbuckets\":[\"XXXXXXXX|XEEEEEEE\",\"FFe-----\"]", "", "no oldbuckets member"},
		{"\"buckets\":[\"FFFFFFFF|F-------\",", "\"buckets\":[7,", "a chain that is not a string"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *at = strstr(good, bad[i].from);
		cr_assert_not_null(at, "test bug: %s", bad[i].from);
		char text[sizeof good + 64];
		snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, bad[i].to, at + strlen(bad[i].from));
		v = sj_parse(text, strlen(text), err, sizeof err);
		cr_assert_not_null(v, "test bug: %s: %s", err, text);
		err[0] = '\0';
		cr_assert_eq(sr_map_read(v, &m, err, sizeof err), -1, "accepted %s:\n%s", bad[i].why, text);
		cr_assert_neq(err[0], '\0');
		sj_free(v);
	}
}
