/*
 * stress_big_values.c — workload `big-values`: keys and elems over 128
 * bytes, which the map stores indirectly (the cell holds a pointer to a
 * separately allocated key or elem, DESIGN.md §4), both holding pointers.
 *
 * The types.
 *   key  (160 bytes)  { id; w[18]; tag *tag }: w[j] a mix of id and j, tag
 *                     a labelled pointer to a pointer-free tag { id }.  Key
 *                     equality is bytewise, so the tag compares by identity.
 *   elem (200 bytes)  { id; ver; obj *a; pad1[10]; leaf *b; pad2[10]; tail }
 *                     with labelled pointers "a" (a fresh obj { id, ver, x })
 *                     and "b" (a fresh chain of one or two leaf { v, next },
 *                     "next" labelled); pads and tail are mixes of id and ver.
 * Tags come from a pool: a heap array of BV_TAGS pointers in the root slot
 * "big-values.tags".  Pool slots are replaced now and then (mg_store), so
 * older tags stay alive only through the indirect keys that hold them.
 *
 * The map[key]elem lives in the root slot "big-values.map".  Key ids range
 * over [0, 2 × live); each operation (percentages of operations):
 *   set       45  id absent: insert it with a tag drawn from the pool; id
 *                 present: overwrite it (same key, same tag) with a new elem
 *   delete    20  a random id (a no-op when absent)
 *   lookup    28  a random id: present ones must give their elem, checked
 *                 field by field through a and b; absent ones a miss
 *   wrongtag   2  a present id looked up with a pool tag: a hit only when
 *                 that is the very tag the key was stored with
 *   retag      5  a random pool slot gets a new tag
 * The map settles near 1.4 × live entries.  Every 2 × live operations it is
 * rebuilt: a new, un-hinted map is filled by iterating the old one (keys
 * and elems copied out into rooted C structs and set into the new map,
 * each checked), so the doubling grows of a map of big entries recur all
 * through the run, with the old map alive until the copy ends.
 *
 * The shadow keeps, per id, whether it is present, its elem version and
 * its tag (the pointer — safe to keep unrooted, since the key in the map
 * holds it while the id is present — and its id).  Any divergence is
 * fatal.  The checksum digests len and an order-independent sum over the
 * final map's entries of a mix of key (id, tag id, w) and elem (every
 * field, a's fields, the b chain), read by a full walk checked against
 * the shadow; the map also passes mg_map_check.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

enum {
	BV_PCT_SET = 45,
	BV_PCT_DELETE = 20,
	BV_PCT_LOOKUP = 28,
	BV_PCT_WRONGTAG = 2,
	BV_PCT_RETAG = 5,
};
_Static_assert(BV_PCT_SET + BV_PCT_DELETE + BV_PCT_LOOKUP + BV_PCT_WRONGTAG + BV_PCT_RETAG == 100,
	"big-values operation mix must add up to 100%");

/* Tags in the pool: few enough that many keys share a tag and the pool is
 * replaced often relative to its size, so old tags outlive their slot. */
enum { BV_TAGS = 64 };

typedef struct bv_tag {
	int64_t id;
} bv_tag;

typedef struct bv_obj {
	int64_t id, ver, x;
} bv_obj;

typedef struct bv_leaf {
	int64_t v;
	struct bv_leaf *next;
} bv_leaf;

typedef struct bv_key {
	int64_t id;
	int64_t w[18];
	bv_tag *tag;
} bv_key;

typedef struct bv_elem {
	int64_t id;
	int64_t ver;
	bv_obj *a;
	int64_t pad1[10];
	bv_leaf *b;
	int64_t pad2[10];
	int64_t tail;
} bv_elem;

_Static_assert(sizeof(bv_key) == 160, "key is 160 bytes: over 128, stored indirectly");
_Static_assert(sizeof(bv_elem) == 200, "elem is 200 bytes: over 128, stored indirectly");

static const mg_type bv_tag_type = { .name = "big-values.tag", .size = sizeof(bv_tag), .align = 8 };
static const mg_type bv_obj_type = { .name = "big-values.obj", .size = sizeof(bv_obj), .align = 8 };

static const mg_field bv_leaf_fields[] = { { offsetof(bv_leaf, next), "next" } };
static const mg_type bv_leaf_type = {
	.name = "big-values.leaf", .size = sizeof(bv_leaf), .align = 8,
	.ptrs = bv_leaf_fields, .nptrs = 1,
};

static const mg_field bv_key_fields[] = { { offsetof(bv_key, tag), "tag" } };
static const mg_type bv_key_type = {
	.name = "big-values.key", .size = sizeof(bv_key), .align = 8,
	.ptrs = bv_key_fields, .nptrs = 1,
};

static const mg_field bv_elem_fields[] = {
	{ offsetof(bv_elem, a), "a" },
	{ offsetof(bv_elem, b), "b" },
};
static const mg_type bv_elem_type = {
	.name = "big-values.elem", .size = sizeof(bv_elem), .align = 8,
	.ptrs = bv_elem_fields, .nptrs = 2,
};

/* The shadow of one key id. */
typedef struct bv_entry {
	uint64_t ver;     /* elem version; 0: absent */
	bv_tag *tag;      /* kept alive by the map's key while present */
	int64_t tag_id;
} bv_entry;

typedef struct bv {
	mg_runtime *rt;
	stress_rng rng;
	mg_hmap *m;         /* rooted "big-values.map" */
	bv_tag **tags;      /* rooted "big-values.tags": heap array [BV_TAGS] */
	const mg_maptype *mt;
	uint64_t nids;
	bv_entry *e;        /* [nids] */
	uint64_t npresent;
	uint64_t ver;       /* versions handed out */
	int64_t last_tag;
	uint64_t rebuilds;
	uint8_t *seen;      /* [nids], for walks */
} bv;

/* ---- contents ---------------------------------------------------------------------- */

static int64_t
bv_mix(uint64_t a, uint64_t b)
{
	return (int64_t)stress_mix64(a * UINT64_C(0x9e3779b97f4a7c15) + b);
}

static void
bv_make_key(bv_key *k, uint64_t id, bv_tag *tag)
{
	k->id = (int64_t)id;
	for (int j = 0; j < 18; j++)
		k->w[j] = bv_mix(id, (uint64_t)j);
	k->tag = tag;
}

/* Leaves in elem.b's chain: one or two, by id and version. */
static int
bv_leaves(uint64_t id, uint64_t ver)
{
	return 1 + (int)((uint64_t)bv_mix(id, ver) & 1);
}

/* Fill the non-pointer fields of version ver of id's elem. */
static void
bv_elem_fields_fill(bv_elem *e, uint64_t id, uint64_t ver)
{
	e->id = (int64_t)id;
	e->ver = (int64_t)ver;
	for (int j = 0; j < 10; j++) {
		e->pad1[j] = bv_mix(id ^ ver, (uint64_t)j);
		e->pad2[j] = bv_mix(ver, id + (uint64_t)j);
	}
	e->tail = ~(int64_t)(id + ver);
}

static bool
bv_key_ok(const bv_key *k, uint64_t id, int64_t tag_id)
{
	if (k->id != (int64_t)id || k->tag == NULL || k->tag->id != tag_id)
		return false;
	for (int j = 0; j < 18; j++)
		if (k->w[j] != bv_mix(id, (uint64_t)j))
			return false;
	return true;
}

/* Check every field of version ver of id's elem, through a and b. */
static bool
bv_elem_ok(const bv_elem *e, uint64_t id, uint64_t ver)
{
	bv_elem want;

	bv_elem_fields_fill(&want, id, ver);
	if (e->id != want.id || e->ver != want.ver || e->tail != want.tail ||
	    memcmp(e->pad1, want.pad1, sizeof want.pad1) != 0 ||
	    memcmp(e->pad2, want.pad2, sizeof want.pad2) != 0)
		return false;
	if (e->a == NULL || e->a->id != (int64_t)id || e->a->ver != (int64_t)ver ||
	    e->a->x != bv_mix(ver, id))
		return false;
	const bv_leaf *l = e->b;
	int n = bv_leaves(id, ver);
	for (int d = 0; d < n; d++, l = l->next)
		if (l == NULL || l->v != bv_mix(id + (uint64_t)d, ver))
			return false;
	return l == NULL;
}

static uint64_t
bv_elem_digest(const bv_elem *e)
{
	uint64_t h = stress_mix64((uint64_t)e->id) ^ (uint64_t)e->ver;

	for (int j = 0; j < 10; j++)
		h = stress_mix64(h + (uint64_t)e->pad1[j]) ^ (uint64_t)e->pad2[j];
	h = stress_mix64(h ^ (uint64_t)e->tail) + (uint64_t)e->a->x;
	for (const bv_leaf *l = e->b; l != NULL; l = l->next)
		h = stress_mix64(h + (uint64_t)l->v);
	return h;
}

/* ---- operations ------------------------------------------------------------------------ */

static void
bv_check_map(bv *w, const char *when)
{
	int bad = mg_map_check(w->rt, w->m, stderr);
	if (bad != 0)
		mg_fatal(w->rt, "big-values: map verifier found %d problem(s) %s", bad, when);
}

/* Store version ver of id with key tag `tag` (kept alive by the pool or by
 * the map's current key for id). */
static void
bv_store(bv *w, uint64_t id, bv_tag *tag, uint64_t ver)
{
	mg_runtime *rt = w->rt;
	mg_scope scope;
	bv_key k = { 0 };
	bv_elem e = { 0 };

	mg_scope_enter(rt, &scope);
	mg_root(rt, &k.tag, "big-values.key.tag");
	mg_root(rt, &e.a, "big-values.elem.a");
	mg_root(rt, &e.b, "big-values.elem.b");
	bv_make_key(&k, id, tag);
	bv_elem_fields_fill(&e, id, ver);
	e.a = mg_alloc(rt, &bv_obj_type);
	e.a->id = (int64_t)id;
	e.a->ver = (int64_t)ver;
	e.a->x = bv_mix(ver, id);
	/* The chain is built from its end, each leaf stored into the next. */
	for (int d = bv_leaves(id, ver) - 1; d >= 0; d--) {
		bv_leaf *l = mg_alloc(rt, &bv_leaf_type);   /* stored before the next allocation */
		l->v = bv_mix(id + (uint64_t)d, ver);
		mg_store(rt, &l->next, e.b);
		e.b = l;
	}
	mg_map_set(rt, w->m, &k, &e);
	mg_scope_leave(rt, &scope);
}

static void
bv_set(bv *w, uint64_t id)
{
	bv_entry *s = &w->e[id];
	uint64_t slot = stress_rng_below(&w->rng, BV_TAGS);

	if (s->ver == 0) {
		s->tag = w->tags[slot];
		s->tag_id = s->tag->id;
		w->npresent++;
	}
	s->ver = ++w->ver;
	bv_store(w, id, s->tag, s->ver);
}

static void
bv_delete(bv *w, uint64_t id)
{
	bv_entry *s = &w->e[id];
	bv_key k;

	if (s->ver == 0)
		return;
	bv_make_key(&k, id, s->tag);   /* the map's key holds the tag, and is pinned while deleting */
	mg_map_delete(w->rt, w->m, &k);
	s->ver = 0;
	s->tag = NULL;
	w->npresent--;
}

/* Look id up with key tag `tag`; a hit is expected exactly when want. */
static void
bv_lookup_with(bv *w, uint64_t id, bv_tag *tag, bool want)
{
	bv_entry *s = &w->e[id];
	bv_key k;
	bv_elem e;

	bv_make_key(&k, id, tag);
	bool ok = mg_map_get(w->rt, w->m, &k, &e);
	if (ok != want)
		mg_fatal(w->rt, "big-values: lookup of key id %" PRIu64 " (tag %" PRId64 ", stored with "
			"tag %" PRId64 ") %s, want %s", id, tag ? tag->id : -1, s->ver ? s->tag_id : -1,
			ok ? "hit" : "missed", want ? "a hit" : "a miss");
	if (ok && !bv_elem_ok(&e, id, s->ver))
		mg_fatal(w->rt, "big-values: lookup of key id %" PRIu64 " gave a wrong elem (want "
			"version %" PRIu64 ")", id, s->ver);
	if (!ok) {
		static const bv_elem zero;
		if (memcmp(&e, &zero, sizeof e) != 0)
			mg_fatal(w->rt, "big-values: a miss did not zero elem_out");
	}
}

static void
bv_lookup(bv *w, uint64_t id)
{
	bv_entry *s = &w->e[id];

	bv_lookup_with(w, id, s->ver ? s->tag : w->tags[0], s->ver != 0);
}

static void
bv_wrongtag(bv *w, uint64_t id)
{
	bv_entry *s = &w->e[id];
	bv_tag *tag = w->tags[stress_rng_below(&w->rng, BV_TAGS)];

	if (s->ver != 0)
		bv_lookup_with(w, id, tag, tag == s->tag);
}

static void
bv_new_tag(bv *w, uint64_t slot)
{
	bv_tag *t = mg_alloc(w->rt, &bv_tag_type);   /* stored before the next allocation */

	t->id = ++w->last_tag;
	mg_store(w->rt, &w->tags[slot], t);
}

static void
bv_retag(bv *w)
{
	bv_new_tag(w, stress_rng_below(&w->rng, BV_TAGS));
}

/* ---- walks ------------------------------------------------------------------------------ */

/* Check a produced entry against the shadow; returns its id. */
static uint64_t
bv_check_produced(bv *w, const bv_key *k, const bv_elem *e, const char *how)
{
	uint64_t id = (uint64_t)k->id;

	if (k->id < 0 || id >= w->nids || w->e[id].ver == 0)
		mg_fatal(w->rt, "big-values: %s produced key id %" PRId64 ", not in the map", how, k->id);
	if (w->seen[id]++)
		mg_fatal(w->rt, "big-values: %s produced key id %" PRIu64 " twice", how, id);
	if (k->tag != w->e[id].tag || !bv_key_ok(k, id, w->e[id].tag_id))
		mg_fatal(w->rt, "big-values: %s produced a wrong key for id %" PRIu64, how, id);
	if (!bv_elem_ok(e, id, w->e[id].ver))
		mg_fatal(w->rt, "big-values: %s produced a wrong elem for key id %" PRIu64
			" (want version %" PRIu64 ")", how, id, w->e[id].ver);
	return id;
}

/* Copy the map into a new, un-hinted one by iterating it. */
static void
bv_rebuild(bv *w)
{
	mg_runtime *rt = w->rt;
	mg_hmap *old = w->m;
	mg_hiter *it = NULL;
	mg_scope scope;
	bv_key k = { 0 };
	bv_elem e = { 0 };
	uint64_t n = 0;

	bv_check_map(w, "before a rebuild");
	memset(w->seen, 0, (size_t)w->nids);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &old, "big-values.old-map");
	mg_root(rt, &it, "big-values.rebuild-it");
	mg_root(rt, &k.tag, "big-values.copy.tag");
	mg_root(rt, &e.a, "big-values.copy.a");
	mg_root(rt, &e.b, "big-values.copy.b");
	it = mg_map_iter(rt, old);
	w->m = mg_map_new(rt, w->mt, 0);
	while (mg_map_next(rt, it, &k, &e)) {
		bv_check_produced(w, &k, &e, "a rebuild");
		mg_map_set(rt, w->m, &k, &e);
		n++;
	}
	mg_scope_leave(rt, &scope);
	if (n != w->npresent || mg_map_len(w->m) != w->npresent)
		mg_fatal(rt, "big-values: rebuild copied %" PRIu64 " entries (new len %zu), want %" PRIu64,
			n, mg_map_len(w->m), w->npresent);
	w->rebuilds++;
}

static uint64_t
bv_checksum(bv *w)
{
	mg_runtime *rt = w->rt;
	mg_hiter *it = NULL;
	mg_scope scope;
	stress_digest d;
	bv_key k;
	bv_elem e;
	uint64_t sum = 0, x = 0, n = 0;

	bv_check_map(w, "in the final map");
	memset(w->seen, 0, (size_t)w->nids);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &it, "big-values.final-it");
	it = mg_map_iter(rt, w->m);
	while (mg_map_next(rt, it, &k, &e)) {
		uint64_t id = bv_check_produced(w, &k, &e, "the final walk");
		uint64_t kh = stress_mix64(id ^ ((uint64_t)w->e[id].tag_id << 40)) + (uint64_t)k.w[17];
		uint64_t p = stress_pair(kh, bv_elem_digest(&e));
		sum += p;
		x ^= stress_mix64(p);
		n++;
	}
	mg_scope_leave(rt, &scope);
	if (n != w->npresent || mg_map_len(w->m) != w->npresent)
		mg_fatal(rt, "big-values: final walk produced %" PRIu64 " entries, len %zu, want %" PRIu64,
			n, mg_map_len(w->m), w->npresent);
	stress_digest_init(&d);
	stress_digest_add(&d, n);
	stress_digest_add(&d, sum);
	stress_digest_add(&d, x);
	return stress_digest_final(&d);
}

/* ---- the workload ------------------------------------------------------------------------- */

static void
bv_op(bv *w)
{
	uint64_t r = stress_rng_below(&w->rng, 100);
	uint64_t id = stress_rng_below(&w->rng, w->nids);

	if (r < BV_PCT_SET)
		bv_set(w, id);
	else if ((r -= BV_PCT_SET) < BV_PCT_DELETE)
		bv_delete(w, id);
	else if ((r -= BV_PCT_DELETE) < BV_PCT_LOOKUP)
		bv_lookup(w, id);
	else if ((r -= BV_PCT_LOOKUP) < BV_PCT_WRONGTAG)
		bv_wrongtag(w, id);
	else
		bv_retag(w);
}

static stress_result
bv_run(mg_runtime *rt, const stress_params *p)
{
	bv w = { .rt = rt, .rng = { p->seed }, .nids = 2 * p->live };
	stress_result res = { 0 };
	mg_scope scope;
	uint64_t rebuild_every = 2 * p->live;

	w.e = calloc((size_t)w.nids, sizeof *w.e);
	w.seen = malloc((size_t)w.nids);
	if (w.e == NULL || w.seen == NULL)
		mg_fatal(rt, "big-values: out of C memory for %" PRIu64 " key ids", w.nids);
	w.mt = mg_maptype_get(rt, &bv_key_type, &bv_elem_type);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &w.m, "big-values.map");
	mg_root(rt, &w.tags, "big-values.tags");
	w.tags = mg_alloc_array(rt, &mg_type_ptr, BV_TAGS);
	for (uint64_t j = 0; j < BV_TAGS; j++)
		bv_new_tag(&w, j);
	w.m = mg_map_new(rt, w.mt, 0);
	for (uint64_t op = 0; op < p->ops; op++) {
		stress_tick(rt);
		bv_op(&w);
		if ((op + 1) % rebuild_every == 0)
			bv_rebuild(&w);
	}
	res.checksum = bv_checksum(&w);
	res.live_end = w.npresent;
	mg_scope_leave(rt, &scope);
	free(w.e);
	free(w.seen);
	printf("big-values      %" PRIu64 " rebuilds; %" PRId64 " tags made\n", w.rebuilds, w.last_tag);
	return res;
}

const stress_workload stress_workload_big_values = {
	.name = "big-values",
	.description =
		"A map from 160-byte keys to 200-byte elems, both over 128 bytes and so "
		"stored indirectly: the key holds a labelled pointer to a tag from a pool "
		"whose slots are replaced (old tags then live only through keys; key "
		"equality compares the tag by identity), the elem labelled pointers to a "
		"fresh object and a chain of one or two leaves.  Over 2 x --live key ids: "
		"45% set (insert or overwrite), 20% delete, 28% lookup checking every field "
		"through the pointers, 2% lookup with another tag (must miss), 5% replace a "
		"pool tag.  Every 2 x --live ops the map is rebuilt into a new un-hinted "
		"one by iterating it, so it grows from scratch again.  The checksum digests "
		"the final map.",
	/* Defaults: about 1.4 s of CPU in a release build, ~25 cycles and ~40
	 * rebuilds (seed 1). */
	.default_ops = 1500000,
	.default_live = 20000,
	.run = bv_run,
};
