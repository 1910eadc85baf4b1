/*
 * Heap snapshots (gc/snapshot.c): mg_heap_snapshot and heapdump=N.
 *
 * A small heap built by hand — user objects with labelled pointer fields
 * (a cycle, a self edge, a pointer out of the heap), an array of structs,
 * strings, a global root and scope roots (one NULL, one out of the heap),
 * a small map, and garbage — is snapshotted, and the files are read back
 * by readers written for the tests (tests/support/snapreader.c,
 * v8reader.c): the JSON must list exactly the live objects with their
 * types, lengths, slot sizes and labelled edges, and the roots with names
 * and kinds; the .heapsnapshot must be structurally valid and say the same.
 *
 * The readers are checkers, so they get negative tests too: malformed JSON,
 * snapshots that break the schema, and corrupted .heapsnapshot files (an
 * edge past the end, a bad string index, wrong counts, …) must be rejected.
 */
#include "tests/support/mgt.h"
#include "tests/support/snapreader.h"
#include "tests/support/v8reader.h"

#include "gc/gc.h"
#include "gc/gc_test.h"
#include "maptype/map.h" /* the hmap fields the snapshot reports */

#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the scenario ------------------------------------------------------------ */

typedef struct tnode {
	int64_t val;
	struct tnode *left, *right;
	mg_string name;
} tnode;
static const mg_field tnode_fields[] = {
	{offsetof(tnode, left), "left"},
	{offsetof(tnode, right), "right"},
	{offsetof(tnode, name), "name"},
};
static const mg_type tnode_type = {"tnode", sizeof(tnode), 8, tnode_fields, 3, NULL, NULL};

typedef struct tslot {
	int64_t tag;
	tnode *ref;
} tslot;
static const mg_field tslot_fields[] = {{offsetof(tslot, ref), "ref"}};
static const mg_type tslot_type = {"tslot", sizeof(tslot), 8, tslot_fields, 1, NULL, NULL};

static int64_t outside_heap = 42;

typedef struct scen {
	mg_runtime *rt;
	mg_scope scope;
	/* roots, in this order: s.a, s.map, s.null, s.str, s.ext; global g.root */
	tnode *a;
	mg_hmap *map;
	void *null_root;
	mg_string str;
	void *ext;
	tslot *arr;
	/* not roots: what the test looks for (the heap does not move) */
	tnode *b, *c, *garbage;
	char *alpha;
	void *buckets;
	char dir[256];
	char json[512], v8[512];
	bool built;
} scen;

static void scen_open(scen *s, const mg_config *cfg)
{
	memset(s, 0, sizeof *s);
	mg_config c;
	if (!cfg) {
		mgt_config(&c);
		c.gogc = MG_GOGC_OFF;
		c.seed = 11;
		c.seed_set = true;
		cfg = &c;
	}
	s->rt = mgt_open(cfg);
	cr_assert_eq(sr_mkdtemp(s->dir, sizeof s->dir), 0, "mkdtemp: %s", strerror(errno));
	snprintf(s->json, sizeof s->json, "%s/snap.json", s->dir);
	snprintf(s->v8, sizeof s->v8, "%s/snap.heapsnapshot", s->dir);
}

static void scen_build(scen *s)
{
	mg_runtime *rt = s->rt;
	mg_scope_enter(rt, &s->scope);
	s->built = true;
	mg_root(rt, &s->a, "s.a");
	mg_root(rt, &s->map, "s.map");
	mg_root(rt, &s->null_root, "s.null");
	mg_root(rt, &s->str, "s.str");
	mg_root(rt, &s->ext, "s.ext");
	mg_global_root(rt, &s->arr, "g.root");

	/* Temporaries held across allocation: an inner scope, left before the snapshot. */
	mg_scope tmp;
	mg_scope_enter(rt, &tmp);
	mg_root(rt, &s->b, "tmp.b");
	mg_root(rt, &s->c, "tmp.c");
	mg_root(rt, &s->garbage, "tmp.garbage");
	s->a = mg_alloc(rt, &tnode_type);
	s->b = mg_alloc(rt, &tnode_type);
	s->c = mg_alloc(rt, &tnode_type);
	s->a->val = 1, s->b->val = 2, s->c->val = 3;
	mg_store(rt, &s->a->left, s->b);
	mg_store(rt, &s->a->right, s->c);
	mg_string alpha = mg_string_new(rt, "alpha", 5);
	s->alpha = (char *)alpha.ptr;
	mg_store(rt, &s->a->name.ptr, (void *)alpha.ptr);
	s->a->name.len = alpha.len;
	mg_store(rt, &s->b->left, s->a);                     /* a cycle */
	mg_store(rt, &s->b->name.ptr, (void *)"static"); /* out of the heap: no edge */
	s->b->name.len = 6;
	mg_store(rt, &s->c->right, s->c);                    /* a self edge */
	s->arr = mg_alloc_array(rt, &tslot_type, 3);
	for (int i = 0; i < 3; i++)
		s->arr[i].tag = 10 + i;
	mg_store(rt, &s->arr[0].ref, s->b);
	mg_store(rt, &s->arr[2].ref, s->c);
	s->str = mg_string_new(rt, "hello world", 11);
	s->ext = &outside_heap;
	s->map = mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr), 0);
	void *elems[3] = {s->a, s->b, s->arr};
	for (int64_t k = 1; k <= 3; k++)
		mg_map_set(rt, s->map, &k, &elems[k - 1]);
	s->buckets = s->map->buckets;
	s->garbage = mg_alloc(rt, &tnode_type);
	mg_store(rt, &s->garbage->left, s->a); /* points into the live graph, but nothing points to it */
	mg_string junk = mg_string_new(rt, "junk", 4);
	(void)junk;
	mg_scope_leave(rt, &tmp);
}

static void scen_close(scen *s)
{
	if (s->built) {
		s->a = NULL, s->map = NULL, s->arr = NULL;
		mg_global_unroot(s->rt, &s->arr);
		mg_scope_leave(s->rt, &s->scope);
	}
	mgt_close(s->rt);
	sr_rmtree(s->dir);
}

/* Slot size of an object of `bytes` payload (the header is added here). */
static uint64_t slot_of(size_t bytes)
{
	uint32_t slot = 0;
	gc_test_size_class((GC_HDR_SIZE + bytes + 7) & ~(size_t)7, &slot, NULL);
	cr_assert_gt(slot, 0);
	return slot;
}

static const sr_object *must_find(const sr_snapshot *j, const void *p, const char *what)
{
	const sr_object *o = sr_find(j, p);
	cr_assert_not_null(o, "%s (%p) is not in the snapshot", what, p);
	return o;
}

typedef struct want_edge {
	const char *label;
	const void *to;
} want_edge;

static void expect_object(const sr_snapshot *j, const void *p, const char *what, const char *type, bool array,
                          uint64_t len, uint64_t size, const want_edge *edges, size_t nedges)
{
	const sr_object *o = must_find(j, p, what);
	cr_assert_str_eq(o->type, type, "%s: type", what);
	cr_assert_eq(o->array, array, "%s: array flag", what);
	cr_assert_eq(o->len, len, "%s: len %" PRIu64 ", want %" PRIu64, what, o->len, len);
	cr_assert_eq(o->size, size, "%s: size %" PRIu64 ", want %" PRIu64, what, o->size, size);
	cr_assert_eq(o->nedges, nedges, "%s: %zu edges, want %zu", what, o->nedges, nedges);
	for (size_t k = 0; k < nedges; k++) {
		cr_assert_str_eq(o->edges[k].label, edges[k].label, "%s: edge %zu label", what, k);
		const sr_object *t = must_find(j, edges[k].to, edges[k].label);
		cr_assert_eq(o->edges[k].to, t->id, "%s: edge %zu (%s) to %" PRIu64 ", want %" PRIu64, what, k,
		             edges[k].label, o->edges[k].to, t->id);
	}
	cr_assert(o->map == NULL || strcmp(type, "hmap") == 0, "%s: only maps have a \"map\" member", what);
}

static void expect_root(const sr_snapshot *j, size_t i, const char *kind, const char *name, const void *to)
{
	cr_assert_lt(i, j->nroots);
	cr_assert_str_eq(j->roots[i].kind, kind, "root %zu kind", i);
	cr_assert_str_eq(j->roots[i].name, name, "root %zu name", i);
	uint64_t want = to ? must_find(j, to, name)->id : 0;
	cr_assert_eq(j->roots[i].to, want, "root %s to %" PRIu64 ", want %" PRIu64, name, j->roots[i].to, want);
}

static void load_both(scen *s, sr_snapshot *j, v8r_snapshot *v)
{
	char err[300];
	cr_assert_eq(sr_load(s->json, j, err, sizeof err), 0, "%s", err);
	cr_assert_eq(v8r_load(s->v8, v, err, sizeof err), 0, "%s", err);
	cr_assert_eq(v8r_matches_json(v, j, err, sizeof err), 0, "the .heapsnapshot and the JSON differ: %s", err);
}

/* ---- the JSON and V8 of a known heap ------------------------------------------- */

// labels: exact_pacing
Test(snapshot, json_lists_exactly_the_live_heap)
{
	scen s;
	scen_open(&s, NULL);
	scen_build(&s);
	mg_gc(s.rt);
	mg_gc(s.rt);
	/* Garbage allocated now is still in the heap when the snapshot's cycle marks. */
	s.garbage = mg_alloc(s.rt, &tnode_type);
	mg_store(s.rt, &s.garbage->left, s.a);
	cr_assert_not_null(mg_typeof(s.rt, s.garbage, NULL));
	cr_assert_eq(mg_heap_snapshot(s.rt, s.json, s.v8), 0, "mg_heap_snapshot: %s", strerror(errno));
	cr_assert_eq(mgt_stats(s.rt).cycles, 3, "the snapshot ran one forced cycle");

	sr_snapshot j;
	v8r_snapshot v;
	load_both(&s, &j, &v);
	cr_assert_eq(j.cycle, 3);
	cr_assert_eq(j.nobjs, 8, "a b c arr \"alpha\" \"hello world\" hmap buckets: %zu objects", j.nobjs);

	const uint64_t node = slot_of(sizeof(tnode));
	const want_edge ea[] = {{"left", s.b}, {"right", s.c}, {"name", s.alpha}};
	expect_object(&j, s.a, "a", "tnode", false, 1, node, ea, 3);
	const want_edge eb[] = {{"left", s.a}};
	expect_object(&j, s.b, "b", "tnode", false, 1, node, eb, 1);
	const want_edge ec[] = {{"right", s.c}};
	expect_object(&j, s.c, "c", "tnode", false, 1, node, ec, 1);
	const want_edge earr[] = {{"[0].ref", s.b}, {"[2].ref", s.c}};
	expect_object(&j, s.arr, "arr", "tslot", true, 3, slot_of(3 * sizeof(tslot)), earr, 2);
	expect_object(&j, s.alpha, "\"alpha\"", "bytes", true, 5, slot_of(5), NULL, 0);
	expect_object(&j, s.str.ptr, "\"hello world\"", "bytes", true, 11, slot_of(11), NULL, 0);
	const want_edge eh[] = {{"buckets", s.buckets}};
	expect_object(&j, s.map, "hmap", "hmap", false, 1, slot_of(mg_typeof(s.rt, s.map, NULL)->size), eh, 1);
	mg_mapinfo in;
	mg_map_info(s.map, &in);
	const want_edge eb0[] = {{"[0].elem", s.a}, {"[0].elem", s.b}, {"[0].elem", s.arr}};
	expect_object(&j, s.buckets, "buckets", "bucket[int64]pointer", true, 1, slot_of(in.bucket_size), eb0, 3);

	/* Garbage is absent; ids follow addresses. */
	cr_assert_null(sr_find(&j, s.garbage), "an unreachable object is in the snapshot");
	for (size_t i = 0; i < j.nobjs; i++)
		cr_assert_eq(j.objs[i].id, i + 1);
	uint64_t sum = 0;
	for (size_t i = 0; i < j.nobjs; i++)
		sum += j.objs[i].size;
	cr_assert_eq(j.live_bytes, sum);

	/* Roots: scope roots in order, then globals; NULL and out-of-heap: null. */
	cr_assert_eq(j.nroots, 6, "%zu roots", j.nroots);
	expect_root(&j, 0, "scope", "s.a", s.a);
	expect_root(&j, 1, "scope", "s.map", s.map);
	expect_root(&j, 2, "scope", "s.null", NULL);
	expect_root(&j, 3, "scope", "s.str", s.str.ptr);
	expect_root(&j, 4, "scope", "s.ext", NULL);
	expect_root(&j, 5, "global", "g.root", s.arr);

	/* The map's annotation. */
	const sr_object *h = must_find(&j, s.map, "hmap");
	sr_map m;
	char err[300];
	cr_assert_eq(sr_map_read(h->map, &m, err, sizeof err), 0, "%s", err);
	cr_assert(m.id == 1 && m.count == 3 && m.B == 0 && m.flags == 0 && m.hash0 == s.map->hash0 &&
	          m.noverflow == 0 && !m.growing && !m.same_size && m.nevacuate == 0 && m.noldbuckets == 0);
	cr_assert_str_eq(m.key, "int64");
	cr_assert_str_eq(m.elem, "pointer");
	cr_assert_eq(m.nbuckets, 1);
	cr_assert_str_eq(m.buckets[0], "FFF-----");
	cr_assert_null(m.oldbuckets);
	sr_map_free(&m);

	/* V8: the synthetic nodes and the object nodes' names. */
	cr_assert_eq(v.node_count, 3 + 8);
	cr_assert_str_eq(v8r_node_name(&v, 3 + h->id - 1), "hmap");
	cr_assert_str_eq(v8r_node_name(&v, 3 + must_find(&j, s.arr, "arr")->id - 1), "[3]tslot");
	sr_free(&j);
	v8r_free(&v);

	/* After the snapshot the heap goes on: the garbage was freed by its cycle. */
	cr_assert_null(mg_typeof(s.rt, s.garbage, NULL));
	cr_assert_eq(s.a->left, s.b);
	cr_assert_eq(s.arr[2].ref->right, s.c);
	scen_close(&s);
}

/* JSON only, V8 only, neither: each path is optional. */
// labels: exact_pacing
Test(snapshot, either_path_may_be_null)
{
	scen s;
	scen_open(&s, NULL);
	scen_build(&s);
	cr_assert_eq(mg_heap_snapshot(s.rt, s.json, NULL), 0);
	cr_assert(sr_exists(s.json) && !sr_exists(s.v8));
	sr_snapshot j;
	char err[300];
	cr_assert_eq(sr_load(s.json, &j, err, sizeof err), 0, "%s", err);
	cr_assert_eq(j.nobjs, 8);
	sr_free(&j);
	unlink(s.json);
	cr_assert_eq(mg_heap_snapshot(s.rt, NULL, s.v8), 0);
	cr_assert(!sr_exists(s.json) && sr_exists(s.v8));
	v8r_snapshot v;
	cr_assert_eq(v8r_load(s.v8, &v, err, sizeof err), 0, "%s", err);
	cr_assert_eq(v.node_count, 3 + 8);
	v8r_free(&v);
	cr_assert_eq(mg_heap_snapshot(s.rt, NULL, NULL), 0);
	cr_assert_eq(mgt_stats(s.rt).cycles, 3);
	scen_close(&s);
}

/* A snapshot requested while a cycle is marking: that cycle finishes
 * first (unforced, no snapshot), the snapshot is the next cycle's. */
// labels: exact_pacing
Test(snapshot, requested_during_mark)
{
	scen s;
	scen_open(&s, NULL);
	scen_build(&s);
	gc_test_begin_mark(s.rt);
	gc_test_mark_step(s.rt, 64);
	cr_assert_eq(gc_test_phase(s.rt), GC_MARK);
	cr_assert_eq(mg_heap_snapshot(s.rt, s.json, s.v8), 0);
	cr_assert_eq(mgt_stats(s.rt).cycles, 2);
	sr_snapshot j;
	v8r_snapshot v;
	load_both(&s, &j, &v);
	cr_assert_eq(j.cycle, 2);
	cr_assert_eq(j.nobjs, 8);
	cr_assert_null(sr_find(&j, s.garbage));
	sr_free(&j);
	v8r_free(&v);
	scen_close(&s);
}

/* A bigger, map-heavy heap: the two formats agree object by object. */
Test(snapshot, v8_matches_json_on_a_map_heap)
{
	scen s;
	scen_open(&s, NULL);
	scen_build(&s);
	mg_scope sc;
	mg_scope_enter(s.rt, &sc);
	mg_hmap *m = NULL;
	mg_hiter *it = NULL;
	mg_root(s.rt, &m, "big");
	mg_root(s.rt, &it, "it");
	m = mg_map_new(s.rt, mg_maptype_get(s.rt, &mg_type_string, &mg_type_ptr), 0);
	for (int i = 0; i < 300; i++) {
		char k[32];
		int n = snprintf(k, sizeof k, "key-%d", i);
		mg_string key = mg_string_new(s.rt, k, (size_t)n);
		mg_map_set(s.rt, m, &key, &s.a);
		if (i == 100)
			it = mg_map_iter(s.rt, m);
	}
	/* A large object (its own span): its size is the span's. */
	tslot *big = NULL;
	mg_root(s.rt, &big, "bigarr");
	big = mg_alloc_array(s.rt, &tslot_type, 3000);
	mg_store(s.rt, &big[0].ref, s.a);
	mg_store(s.rt, &big[2999].ref, s.b);
	cr_assert_eq(mg_heap_snapshot(s.rt, s.json, s.v8), 0);
	sr_snapshot j;
	v8r_snapshot v;
	load_both(&s, &j, &v);
	cr_assert_gt(j.nobjs, 300);
	const sr_object *bo = must_find(&j, big, "the large array");
	uint64_t need = GC_HDR_SIZE + 3000 * sizeof(tslot);
	cr_assert(bo->array && bo->len == 3000 && bo->size == (need + GC_PAGE_SIZE - 1) / GC_PAGE_SIZE * GC_PAGE_SIZE,
	          "large array: len %" PRIu64 " size %" PRIu64, bo->len, bo->size);
	cr_assert(bo->nedges == 2 && strcmp(bo->edges[1].label, "[2999].ref") == 0 &&
	          bo->edges[1].to == must_find(&j, s.b, "b")->id);
	big = NULL;
	cr_assert_not_null(sr_find(&j, it));
	cr_assert_eq(sr_edges_labelled(must_find(&j, it, "it"), "it.h", NULL), 1);
	sr_free(&j);
	v8r_free(&v);
	m = NULL, it = NULL;
	mg_scope_leave(s.rt, &sc);
	scen_close(&s);
}

/* ---- heapdump=N -------------------------------------------------------------- */

static void dump_paths(const char *dir, unsigned n, char *json, char *v8, size_t len)
{
	snprintf(json, len, "%s/h-%u.json", dir, n);
	snprintf(v8, len, "%s/h-%u.heapsnapshot", dir, n);
}

static int count_files(const char *dir)
{
	int n = 0;
	for (unsigned c = 0; c < 16; c++) {
		char j[512], v[512];
		dump_paths(dir, c, j, v, sizeof j);
		n += sr_exists(j) + sr_exists(v);
	}
	return n;
}

// labels: exact_pacing
Test(snapshot_heapdump, files_after_cycle_n_not_before)
{
	char dir[256];
	cr_assert_eq(sr_mkdtemp(dir, sizeof dir), 0, "mkdtemp: %s", strerror(errno));
	char prefix[512];
	snprintf(prefix, sizeof prefix, "%s/h", dir);
	char *trace = NULL;
	size_t tlen = 0;
	FILE *tf = open_memstream(&trace, &tlen);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.gogc = MG_GOGC_OFF;
	cfg.heapdump = 3;
	cfg.heapdump_prefix = prefix;
	cfg.gctrace = 1;
	cfg.trace = tf;
	scen s;
	scen_open(&s, &cfg);
	scen_build(&s);
	char json[512], v8[512];
	dump_paths(dir, 3, json, v8, sizeof json);
	for (int c = 1; c <= 2; c++) {
		mg_gc(s.rt);
		cr_assert_eq(count_files(dir), 0, "files before cycle 3 (after cycle %d)", c);
	}
	mg_gc(s.rt);
	cr_assert(sr_exists(json) && sr_exists(v8), "after cycle 3: %s and %s", json, v8);
	cr_assert_eq(count_files(dir), 2);
	mg_gc(s.rt);
	mg_gc(s.rt);
	cr_assert_eq(count_files(dir), 2, "only cycle 3 is dumped");

	sr_snapshot j;
	v8r_snapshot v;
	char err[300];
	cr_assert_eq(sr_load(json, &j, err, sizeof err), 0, "%s", err);
	cr_assert_eq(v8r_load(v8, &v, err, sizeof err), 0, "%s", err);
	cr_assert_eq(v8r_matches_json(&v, &j, err, sizeof err), 0, "%s", err);
	cr_assert_eq(j.cycle, 3);
	cr_assert_eq(j.nobjs, 8);
	/* time_s is the cycle's start, as on its gc line (@S.SSSs, truncated). */
	fflush(tf);
	const char *l3 = strstr(trace, "gc 3 @");
	cr_assert_not_null(l3, "%s", trace);
	unsigned long secs, ms;
	cr_assert_eq(sscanf(l3, "gc 3 @%lu.%lus", &secs, &ms), 2);
	long long us = llround(j.time_s * 1e6);
	cr_assert_eq(us / 1000, (long long)(secs * 1000 + ms), "time_s %.6f vs gc 3 @%lu.%03lus", j.time_s, secs, ms);
	sr_free(&j);
	v8r_free(&v);
	scen_close(&s);
	fclose(tf);
	free(trace);
	sr_rmtree(dir);
}

/* heapdump counts every cycle, forced or not. */
Test(snapshot_heapdump, unforced_cycle)
{
	char dir[256];
	cr_assert_eq(sr_mkdtemp(dir, sizeof dir), 0, "mkdtemp: %s", strerror(errno));
	char prefix[512];
	snprintf(prefix, sizeof prefix, "%s/h", dir);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.gogc = MG_GOGC_OFF;
	cfg.gcevery = 50;
	cfg.heapdump = 2;
	cfg.heapdump_prefix = prefix;
	scen s;
	scen_open(&s, &cfg);
	scen_build(&s);
	char json[512], v8[512];
	dump_paths(dir, 2, json, v8, sizeof json);
	while (mgt_stats(s.rt).cycles < 2) {
		cr_assert(!sr_exists(json), "dumped before cycle 2 ended");
		mg_alloc_bytes(s.rt, 16);
	}
	cr_assert_eq(mgt_stats(s.rt).forced_cycles, 0);
	cr_assert(sr_exists(json) && sr_exists(v8));
	sr_snapshot j;
	char err[300];
	cr_assert_eq(sr_load(json, &j, err, sizeof err), 0, "%s", err);
	cr_assert_eq(j.cycle, 2);
	sr_free(&j);
	scen_close(&s);
	sr_rmtree(dir);
}

// labels: exact_pacing
Test(snapshot_heapdump, unwritable_prefix_is_reported)
{
	char dir[256];
	cr_assert_eq(sr_mkdtemp(dir, sizeof dir), 0, "mkdtemp: %s", strerror(errno));
	char prefix[512];
	snprintf(prefix, sizeof prefix, "%s/missing/h", dir);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.gogc = MG_GOGC_OFF;
	cfg.heapdump = 1;
	cfg.heapdump_prefix = prefix;
	scen s;
	scen_open(&s, &cfg);
	scen_build(&s);
	mgt_capture_begin();
	mg_gc(s.rt);
	const char *out = mgt_capture_end();
	cr_assert_eq(mgt_count_lines(out, "mapgc: heapdump: cannot write "), 1, "stderr:\n%s", out);
	cr_assert_eq(mgt_stats(s.rt).cycles, 1);
	mg_gc(s.rt);
	cr_assert_eq(s.a->left->left, s.a, "the heap is intact");
	scen_close(&s);
	sr_rmtree(dir);
}

/* ---- unwritable paths --------------------------------------------------------- */

static void expect_heap_intact(scen *s)
{
	cr_assert_eq(s->a->val, 1);
	cr_assert_eq(s->a->left, s->b);
	cr_assert_eq(s->b->left, s->a);
	cr_assert_eq(s->c->right, s->c);
	cr_assert_eq(memcmp(s->alpha, "alpha", 5), 0);
	cr_assert_eq(memcmp(s->str.ptr, "hello world", 11), 0);
	for (int64_t k = 1; k <= 3; k++) {
		void *e = NULL;
		cr_assert(mg_map_get(s->rt, s->map, &k, &e));
		cr_assert_eq(e, k == 1 ? (void *)s->a : k == 2 ? (void *)s->b : (void *)s->arr);
	}
	cr_assert_eq(mg_map_check(s->rt, s->map, stderr), 0);
	cr_assert_eq(gc_test_heap_check(s->rt, stderr), 0);
}

Test(snapshot, unwritable_path_fails_cleanly)
{
	scen s;
	scen_open(&s, NULL);
	scen_build(&s);
	char missing[600], missing_v8[600];
	snprintf(missing, sizeof missing, "%s/no/such/dir/x.json", s.dir);
	snprintf(missing_v8, sizeof missing_v8, "%s/no/such/dir/x.heapsnapshot", s.dir);
	uint64_t cycles = mgt_stats(s.rt).cycles;

	errno = 0;
	cr_assert_eq(mg_heap_snapshot(s.rt, missing, NULL), -1);
	cr_assert_eq(errno, ENOENT, "errno %d (%s)", errno, strerror(errno));
	errno = 0;
	cr_assert_eq(mg_heap_snapshot(s.rt, NULL, missing_v8), -1);
	cr_assert_eq(errno, ENOENT, "errno %d (%s)", errno, strerror(errno));
	errno = 0;
	cr_assert_eq(mg_heap_snapshot(s.rt, s.dir, NULL), -1, "a directory is not writable as a file");
	cr_assert_eq(errno, EISDIR, "errno %d (%s)", errno, strerror(errno));
	errno = 0;
	cr_assert_eq(mg_heap_snapshot(s.rt, s.json, missing_v8), -1, "one bad path of two fails the call");
	cr_assert_eq(errno, ENOENT, "errno %d (%s)", errno, strerror(errno));
	errno = 0;
	cr_assert_eq(mg_heap_snapshot(s.rt, missing, s.v8), -1);
	cr_assert_eq(errno, ENOENT, "errno %d (%s)", errno, strerror(errno));
	if (sr_exists("/dev/full")) {
		errno = 0;
		cr_assert_eq(mg_heap_snapshot(s.rt, "/dev/full", NULL), -1, "a write error (not just open) fails");
		cr_assert_eq(errno, ENOSPC, "errno %d (%s)", errno, strerror(errno));
	}
	cr_assert_geq(mgt_stats(s.rt).cycles, cycles + 5, "every call still collected");
	expect_heap_intact(&s);
	cr_assert_eq(gc_test_phase(s.rt), GC_OFF);

	/* The heap goes on: allocation, collection, and a good snapshot. */
	tnode *fresh = mg_alloc(s.rt, &tnode_type);
	mg_store(s.rt, &s.c->left, fresh);
	mg_gc(s.rt);
	expect_heap_intact(&s);
	unlink(s.json);
	cr_assert_eq(mg_heap_snapshot(s.rt, s.json, s.v8), 0, "%s", strerror(errno));
	sr_snapshot j;
	v8r_snapshot v;
	load_both(&s, &j, &v);
	cr_assert_eq(j.nobjs, 9);
	cr_assert_not_null(sr_find(&j, fresh));
	sr_free(&j);
	v8r_free(&v);
	scen_close(&s);
}

/* ---- the JSON reader rejects malformed input ------------------------------------ */

Test(snapshot_json_reader, accepts_valid_json)
{
	static const char doc[] = " {\"a\": [1, -0, 2.5e3, -12, 9007199254740993, true, false, null, \"x\\u00e9\\ud83d\\ude00"
	                          "\\n\\\"\\\\\\/\"], \"b\": {}, \"c\": [] , \"d\": 0.5E-2}\n";
	char err[200] = "";
	sj_value *v = sj_parse(doc, sizeof doc - 1, err, sizeof err);
	cr_assert_not_null(v, "%s", err);
	const sj_value *a = sj_get(v, "a");
	cr_assert(a && a->type == SJ_ARR && a->n == 9);
	cr_assert(a->items[0].is_int && a->items[0].i == 1);
	cr_assert(a->items[1].is_int && a->items[1].i == 0);
	cr_assert(!a->items[2].is_int && a->items[2].num == 2500.0);
	cr_assert(a->items[3].is_int && a->items[3].i == -12);
	cr_assert(a->items[4].is_int && a->items[4].i == 9007199254740993LL);
	cr_assert(a->items[5].type == SJ_BOOL && a->items[5].b && a->items[6].type == SJ_BOOL && !a->items[6].b);
	cr_assert_eq(a->items[7].type, SJ_NULL);
	cr_assert_str_eq(a->items[8].str, "x\xc3\xa9\xf0\x9f\x98\x80\n\"\\/");
	cr_assert(sj_get(v, "b")->type == SJ_OBJ && sj_get(v, "c")->type == SJ_ARR);
	cr_assert_eq(sj_get(v, "d")->num, 0.005);
	cr_assert_null(sj_get(v, "e"));
	sj_free(v);
}

Test(snapshot_json_reader, rejects_malformed_json)
{
	static const char *const bad[] = {
		"", "   ", "{", "}", "[", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{a:1}", "{'a':1}",
		"[01]", "[1.]", "[.5]", "[-]", "[1e]", "[+1]", "[0x10]", "[NaN]", "[Infinity]", "tru", "nul", "[True]",
		"\"abc", "\"a\nb\"", "\"a\tb\"", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\ud800\"", "\"\\udc00\"",
		"\"\\ud800\\u0041\"", "[1] x", "[1] [2]", "{\"a\":1,\"a\":2}", "[1 2]", "{\"a\":}", "[,1]", "{,}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[200] = "";
		sj_value *v = sj_parse(bad[i], strlen(bad[i]), err, sizeof err);
		cr_assert_null(v, "accepted malformed JSON %zu: %s", i, bad[i]);
		cr_assert_neq(err[0], '\0', "no message for %s", bad[i]);
	}
	/* A NUL byte inside the text, and nesting past the limit. */
	static const char withnul[] = "[1,\0 2]";
	char err[200];
	cr_assert_null(sj_parse(withnul, sizeof withnul - 1, err, sizeof err));
	char deep[SJ_MAX_DEPTH * 2 + 8];
	size_t n = 0;
	for (int i = 0; i < SJ_MAX_DEPTH + 1; i++)
		deep[n++] = '[';
	for (int i = 0; i < SJ_MAX_DEPTH + 1; i++)
		deep[n++] = ']';
	cr_assert_null(sj_parse(deep, n, err, sizeof err), "nesting past SJ_MAX_DEPTH");
	cr_assert_not_null(strstr(err, "nesting"), "%s", err);
	sj_value *v = sj_parse(deep + 1, n - 2, err, sizeof err); /* at the limit: fine */
	cr_assert_not_null(v, "%s", err);
	sj_free(v);
}

/* A valid two-object snapshot and variants that break the schema. */
static const char valid_snap[] =
	"{\"schema\":\"mapgc.heapsnapshot\",\"version\":1,\"cycle\":4,\"time_s\":0.001234,\"live_bytes\":80,"
	"\"nobjects\":2,\n\"roots\":[{\"kind\":\"scope\",\"name\":\"r\",\"to\":1},{\"kind\":\"global\",\"name\":\"g\","
	"\"to\":null}],\n\"objects\":[{\"id\":1,\"addr\":\"0x1000\",\"type\":\"T\",\"array\":false,\"len\":1,\"size\":48,"
	"\"edges\":[{\"label\":\"next\",\"to\":2}]},\n{\"id\":2,\"addr\":\"0x2000\",\"type\":\"U\",\"array\":true,\"len\":"
	"3,\"size\":32,\"edges\":[{\"label\":\"[0].x\",\"to\":1}]}]}\n";

static char *replaced(const char *base, const char *from, const char *to)
{
	const char *at = strstr(base, from);
	cr_assert_not_null(at, "test bug: \"%s\" is not in the base text", from);
	size_t n = strlen(base) - strlen(from) + strlen(to);
	char *s = malloc(n + 1);
	size_t pre = (size_t)(at - base);
	memcpy(s, base, pre);
	strcpy(s + pre, to);
	strcat(s, at + strlen(from));
	return s;
}

Test(snapshot_json_reader, rejects_schema_violations)
{
	sr_snapshot j;
	char err[300];
	cr_assert_eq(sr_parse(valid_snap, strlen(valid_snap), &j, err, sizeof err), 0, "%s", err);
	cr_assert(j.nobjs == 2 && j.nroots == 2 && j.roots[0].to == 1 && j.roots[1].to == 0 && j.cycle == 4);
	cr_assert(j.objs[1].array && j.objs[1].len == 3 && j.objs[0].addr == 0x1000);
	sr_free(&j);
	static const struct {
		const char *from, *to, *why;
	} bad[] = {
		{"mapgc.heapsnapshot", "mapgc.heap", "schema"},
		{"\"version\":1", "\"version\":2", "version"},
		{"\"id\":1,", "\"id\":2,", "ids not 1..n"},
		{"\"to\":2}", "\"to\":3}", "an edge to no object"},
		{"\"to\":2}", "\"to\":0}", "an edge to id 0"},
		{"\"to\":2}", "\"to\":-1}", "a negative id"},
		{"\"name\":\"r\",\"to\":1", "\"name\":\"r\",\"to\":7", "a root to no object"},
		{"\"nobjects\":2", "\"nobjects\":3", "nobjects"},
		{"\"live_bytes\":80", "\"live_bytes\":81", "live_bytes"},
		{"\"kind\":\"scope\"", "\"kind\":\"stack\"", "root kind"},
		{"0x2000", "0x0800", "addresses not ascending"},
		{"0x2000", "2000", "addr not hex"},
		{"\"array\":false", "\"array\":0", "array not a boolean"},
		{"\"array\":false,\"len\":1", "\"array\":false,\"len\":2", "len of a non-array"},
		{"\"size\":48", "\"size\":\"48\"", "size not a number"},
		{",\"edges\":[{\"label\":\"next\",\"to\":2}]", "", "edges missing"},
		{"\"label\":\"next\"", "\"label\":7", "label not a string"},
		{"\"time_s\":0.001234", "\"time_s\":-1", "negative time"},
		{"\"objects\":[", "\"objects\":7,\"o\":[", "objects not an array"},
		{"}]}\n", "}]", "truncated"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *t = replaced(valid_snap, bad[i].from, bad[i].to);
		err[0] = '\0';
		int rc = sr_parse(t, strlen(t), &j, err, sizeof err);
		cr_assert_eq(rc, -1, "accepted a snapshot with a bad %s:\n%s", bad[i].why, t);
		cr_assert_neq(err[0], '\0');
		free(t);
	}
}

/* ---- the V8 reader rejects corrupted files ------------------------------------- */

/* Node 0 (synthetic root) -element-> 1, 2; node 1 -property "next"-> 2. */
static const char valid_v8[] =
	"{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\","
	"\"trace_node_id\",\"detachedness\"],\"node_types\":[[\"hidden\",\"array\",\"string\",\"object\",\"code\","
	"\"closure\",\"regexp\",\"number\",\"native\",\"synthetic\"],\"string\",\"number\",\"number\",\"number\","
	"\"number\",\"number\"],\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\"edge_types\":[[\"context\","
	"\"element\",\"property\",\"internal\",\"hidden\",\"shortcut\",\"weak\"],\"string_or_number\",\"node\"]},"
	"\"node_count\":3,\"edge_count\":3,\"trace_function_count\":0},\n"
	"\"nodes\":[9,0,1,0,2,0,0,3,1,3,16,1,0,0,1,2,5,24,0,0,0],\n"
	"\"edges\":[1,1,7,1,99,14,2,3,14],\n"
	"\"strings\":[\"(root)\",\"A\",\"[2]B\",\"next\"]}\n";

Test(snapshot_v8_reader, accepts_a_valid_file)
{
	v8r_snapshot v;
	char err[300];
	cr_assert_eq(v8r_parse(valid_v8, strlen(valid_v8), &v, err, sizeof err), 0, "%s", err);
	cr_assert_eq(v.node_count, 3);
	cr_assert_str_eq(v8r_node_type(&v, 0), "synthetic");
	cr_assert_str_eq(v8r_node_name(&v, 2), "[2]B");
	cr_assert_str_eq(v8r_node_type(&v, 2), "array");
	cr_assert_eq(v8r_node_size(&v, 1), 16);
	cr_assert_eq(v8r_node_edge_count(&v, 0), 2);
	v8r_edge e = v8r_node_edge(&v, 0, 1);
	cr_assert(strcmp(e.type, "element") == 0 && e.index == 99 && e.to == 2 && !e.name,
	          "an element edge's name_or_index is an index, not a string (99 > |strings| is fine)");
	e = v8r_node_edge(&v, 1, 0);
	cr_assert(strcmp(e.type, "property") == 0 && strcmp(e.name, "next") == 0 && e.to == 2);
	v8r_free(&v);
}

Test(snapshot_v8_reader, rejects_corrupted_files)
{
	static const struct {
		const char *from, *to, *why;
	} bad[] = {
		{"2,3,14]", "2,3,21]", "an edge pointing past the end of nodes"},
		{"2,3,14]", "2,3,15]", "a to_node that is not a node's first field"},
		{"2,3,14]", "2,4,14]", "a property edge name past the strings"},
		{"1,2,5,24", "1,4,5,24", "a node name past the strings"},
		{"\"node_count\":3", "\"node_count\":4", "node_count too big"},
		{"\"node_count\":3", "\"node_count\":2", "node_count too small"},
		{"\"edge_count\":3", "\"edge_count\":2", "edge_count wrong"},
		{"3,1,3,16,1,", "3,1,3,16,0,", "nodes' edge counts not summing to edge_count"},
		{"3,1,3,16,1,", "3,1,3,16,7,", "a node's edge_count running past the edges"},
		{"1,2,5,24", "1,2,3,24", "duplicate node ids"},
		{"[9,0,1,", "[10,0,1,", "a node type out of range"},
		{"2,3,14]", "7,3,14]", "an edge type out of range"},
		{"\"meta\"", "\"mota\"", "no meta"},
		{"\"edge_count\",\"trace_node_id\"", "\"trace_node_id\"", "node_fields without edge_count"},
		{"\"to_node\"", "\"target\"", "edge_fields without to_node"},
		{"3,1,3,16,1,", "3,1,3,-16,1,", "a negative number"},
		{"3,1,3,16,1,", "3,1,3,16.5,1,", "a fractional number"},
		{"\"strings\":[\"(root)\"", "\"strings\":[7", "a string that is not a string"},
		{"\"nodes\":[", "\"nodes\":7,\"n\":[", "nodes not an array"},
		{"\"next\"]}\n", "\"next\"]", "a truncated file"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *t = replaced(valid_v8, bad[i].from, bad[i].to);
		v8r_snapshot v;
		char err[300] = "";
		cr_assert_eq(v8r_parse(t, strlen(t), &v, err, sizeof err), -1, "accepted %s:\n%s", bad[i].why, t);
		cr_assert_neq(err[0], '\0');
		free(t);
	}
}

/* Corruptions of a real file, and a V8 file that disagrees with its JSON. */
Test(snapshot_v8_reader, rejects_corrupted_mapgc_output)
{
	scen s;
	scen_open(&s, NULL);
	scen_build(&s);
	cr_assert_eq(mg_heap_snapshot(s.rt, s.json, s.v8), 0);
	size_t len;
	char *text = sr_read_file(s.v8, &len);
	cr_assert_not_null(text);
	char err[300];
	v8r_snapshot v;
	cr_assert_eq(v8r_parse(text, len, &v, err, sizeof err), 0, "%s", err);
	v8r_free(&v);
	char nc[64], nc2[64];
	snprintf(nc, sizeof nc, "\"node_count\":%d,", 3 + 8);
	snprintf(nc2, sizeof nc2, "\"node_count\":%d,", 3 + 9);
	char *t = replaced(text, nc, nc2);
	cr_assert_eq(v8r_parse(t, strlen(t), &v, err, sizeof err), -1, "a wrong node_count is accepted");
	free(t);
	t = replaced(text, "\"strings\":[", "\"strings\":[],\"unused\":[");
	cr_assert_eq(v8r_parse(t, strlen(t), &v, err, sizeof err), -1, "names past an empty string table are accepted");
	free(t);
	text[len / 2] = '\0';
	cr_assert_eq(v8r_parse(text, len / 2, &v, err, sizeof err), -1, "half a file is accepted");
	free(text);

	/* Structurally valid, but not the heap the JSON describes: an edge label differs. */
	text = sr_read_file(s.v8, &len);
	t = replaced(text, "\"left\"", "\"lefty\"");
	cr_assert_eq(v8r_parse(t, strlen(t), &v, err, sizeof err), 0, "%s", err);
	sr_snapshot j;
	cr_assert_eq(sr_load(s.json, &j, err, sizeof err), 0, "%s", err);
	cr_assert_eq(v8r_matches_json(&v, &j, err, sizeof err), -1, "a renamed edge is not noticed");
	v8r_free(&v);
	free(t);
	/* …or one object fewer in the JSON. */
	cr_assert_eq(v8r_parse(text, len, &v, err, sizeof err), 0, "%s", err);
	j.nobjs--;
	cr_assert_eq(v8r_matches_json(&v, &j, err, sizeof err), -1, "a missing object is not noticed");
	j.nobjs++;
	sr_free(&j);
	v8r_free(&v);
	free(text);
	scen_close(&s);
}
