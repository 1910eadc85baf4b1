/*
 * stress_many_maps.c — workload `many-maps`: thousands of small maps,
 * created, filled, iterated and dropped at random, so maps die and are
 * collected while others grow.
 *
 * The heap.  A heap array of --live map pointers (an mg_type_ptr array) in
 * the root slot "many-maps.maps"; every store into it is an mg_store.
 * Each map is one of two kinds, drawn at creation: map[int64]int64
 * (noscan buckets) or map[int64]*box, box { key, val } pointer-free and
 * reachable only from its map.  A map has its generation number gen (from
 * 1, in creation order) and keys gen << 8 | kid over MM_KEYS key ids kid,
 * so it grows from B = 0 up to B = 4 or so.
 *
 * Each operation picks a slot.  An empty slot gets a new map (hint 0, or
 * a random hint below MM_KEYS one time in four) filled with 1..8 entries.
 * Otherwise (percentages of operations on a full slot):
 *   set      45  1..4 random key ids set to new values (insert or overwrite)
 *   delete   15  1..4 random key ids deleted
 *   lookup   15  1..4 random key ids looked up and checked
 *   iterate  10  a full iteration checked against the shadow
 *   clear     3  mg_map_clear (B is kept; the map is then empty)
 *   drop     12  the slot is set to nil: the map, its buckets and boxes
 *                become garbage
 * so about 89% of the slots hold a map at any time and a map lives for
 * about eight visits.  Any divergence from the shadow is fatal.
 *
 * The shadow is, per slot, its map's generation, kind and count and, per
 * key id, the value stored (0: absent; values are never 0).  The checksum
 * digests, slot by slot in order, 0 for an empty slot, or the slot's
 * generation, kind, len and an order-independent sum over its map's
 * (key, value) pairs, read by a full iteration checked against the shadow
 * (each walk first allocates its iterator, which may collect; the walks
 * themselves neither allocate nor reach a safepoint).  Maps whose
 * generation is a multiple of 64 also pass mg_map_check when dropped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

enum {
	MM_PCT_SET = 45,
	MM_PCT_DELETE = 15,
	MM_PCT_LOOKUP = 15,
	MM_PCT_ITERATE = 10,
	MM_PCT_CLEAR = 3,
	MM_PCT_DROP = 12,
};
_Static_assert(MM_PCT_SET + MM_PCT_DELETE + MM_PCT_LOOKUP + MM_PCT_ITERATE + MM_PCT_CLEAR +
	MM_PCT_DROP == 100, "many-maps operation mix must add up to 100%");

/* Key ids per map: up to 128 entries take a map to B = 5 (6.5 × 16 = 104
 * < 128), through a handful of doublings, and stay "small". */
enum { MM_KEYS = 128 };
_Static_assert(MM_KEYS <= 256, "key ids fit in the low 8 bits of a key");

/* Most keys touched by one set, delete or lookup; entries in a new map. */
enum { MM_BATCH = 4, MM_FILL = 8 };

/* Verify every MM_CHECK_EVERY-th generation with mg_map_check when it is
 * dropped: often enough to cover every shape, cheap overall. */
enum { MM_CHECK_EVERY = 64 };

typedef enum mm_kind { MM_INTS, MM_BOXES, MM_NKINDS } mm_kind;

typedef struct mm_box {
	int64_t key;
	int64_t val;
} mm_box;

static const mg_type mm_box_type = {
	.name = "many-maps.box",
	.size = sizeof(mm_box),
	.align = _Alignof(mm_box),
};

typedef struct mm_slot {
	uint64_t gen;      /* 0: empty */
	mm_kind kind;
	uint64_t count;
} mm_slot;

typedef struct mm {
	mg_runtime *rt;
	stress_rng rng;
	mg_hmap **maps;    /* rooted "many-maps.maps": heap array [nslots] */
	uint64_t nslots;
	mm_slot *slot;     /* [nslots] */
	int64_t *vals;     /* [nslots][MM_KEYS]; 0: absent */
	const mg_maptype *mt[MM_NKINDS];
	uint64_t last_gen;
	uint64_t last_val;
	uint64_t created, dropped, cleared, iterated;
} mm;

static int64_t
mm_key(const mm_slot *s, uint64_t kid)
{
	return (int64_t)(s->gen << 8 | kid);
}

static int64_t *
mm_vals(mm *w, uint64_t si)
{
	return &w->vals[si * MM_KEYS];
}

/* ---- operations ---------------------------------------------------------------------- */

/* Set key id kid of slot si's map to a new value. */
static void
mm_set(mm *w, uint64_t si, uint64_t kid)
{
	mg_runtime *rt = w->rt;
	mm_slot *s = &w->slot[si];
	int64_t key = mm_key(s, kid);
	int64_t val = (int64_t)(stress_mix64(++w->last_val) | 1);
	mg_hmap *m = w->maps[si];
	mm_box *box = NULL;
	mg_scope scope;

	mg_scope_enter(rt, &scope);
	mg_root(rt, &m, "many-maps.m");
	if (s->kind == MM_INTS) {
		mg_map_set(rt, m, &key, &val);
	} else {
		mg_root(rt, &box, "many-maps.box");
		box = mg_alloc(rt, &mm_box_type);
		box->key = key;
		box->val = val;
		mg_map_set(rt, m, &key, &box);
	}
	mg_scope_leave(rt, &scope);
	if (mm_vals(w, si)[kid] == 0)
		s->count++;
	mm_vals(w, si)[kid] = val;
}

static void
mm_create(mm *w, uint64_t si)
{
	mm_slot *s = &w->slot[si];
	mm_kind kind = (mm_kind)stress_rng_below(&w->rng, MM_NKINDS);
	uint64_t hint = stress_rng_below(&w->rng, 4) == 0 ? stress_rng_below(&w->rng, MM_KEYS) : 0;
	uint64_t fill = 1 + stress_rng_below(&w->rng, MM_FILL);

	mg_hmap *m = mg_map_new(w->rt, w->mt[kind], (size_t)hint);   /* stored before anything allocates */
	mg_store(w->rt, &w->maps[si], m);
	*s = (mm_slot){ .gen = ++w->last_gen, .kind = kind };
	memset(mm_vals(w, si), 0, MM_KEYS * sizeof(int64_t));
	w->created++;
	for (uint64_t j = 0; j < fill; j++)
		mm_set(w, si, stress_rng_below(&w->rng, MM_KEYS));
}

static void
mm_delete(mm *w, uint64_t si, uint64_t kid)
{
	mm_slot *s = &w->slot[si];
	int64_t key = mm_key(s, kid);

	mg_map_delete(w->rt, w->maps[si], &key);
	if (mm_vals(w, si)[kid] != 0) {
		mm_vals(w, si)[kid] = 0;
		s->count--;
	}
}

/* Check one (key, elem) of slot si's map against the shadow; returns kid. */
static uint64_t
mm_check_entry(mm *w, uint64_t si, int64_t key, const void *elem, const char *how)
{
	mm_slot *s = &w->slot[si];
	uint64_t kid = (uint64_t)key & 0xff;
	int64_t want = kid < MM_KEYS ? mm_vals(w, si)[kid] : 0;
	int64_t got;

	if ((uint64_t)key >> 8 != s->gen || want == 0)
		mg_fatal(w->rt, "many-maps: %s of slot %" PRIu64 " (gen %" PRIu64 ") produced key %#"
			PRIx64 ", not in the map", how, si, s->gen, (uint64_t)key);
	if (s->kind == MM_INTS) {
		got = *(const int64_t *)elem;
	} else {
		const mm_box *b = *(mm_box *const *)elem;
		if (b == NULL || b->key != key)
			mg_fatal(w->rt, "many-maps: %s of slot %" PRIu64 ": key %#" PRIx64 " holds a wrong "
				"box", how, si, (uint64_t)key);
		got = b->val;
	}
	if (got != want)
		mg_fatal(w->rt, "many-maps: %s of slot %" PRIu64 ": key %#" PRIx64 " has value %#" PRIx64
			", want %#" PRIx64, how, si, (uint64_t)key, (uint64_t)got, (uint64_t)want);
	return kid;
}

static void
mm_lookup(mm *w, uint64_t si, uint64_t kid)
{
	mm_slot *s = &w->slot[si];
	int64_t key = mm_key(s, kid);
	union { int64_t i; mm_box *b; } elem;
	bool ok = mg_map_get(w->rt, w->maps[si], &key, &elem);
	bool want = mm_vals(w, si)[kid] != 0;

	if (ok != want)
		mg_fatal(w->rt, "many-maps: lookup of key %#" PRIx64 " in slot %" PRIu64 " %s, want %s",
			(uint64_t)key, si, ok ? "hit" : "missed", want ? "a hit" : "a miss");
	if (ok)
		mm_check_entry(w, si, key, &elem, "lookup");
	else if (elem.i != 0)
		mg_fatal(w->rt, "many-maps: a miss did not zero elem_out");
}

/* Iterate slot si's map in full, check it is exactly the shadow, and add
 * the order-independent terms to *d when d is not NULL. */
static void
mm_iterate(mm *w, uint64_t si, stress_digest *d)
{
	mg_runtime *rt = w->rt;
	mm_slot *s = &w->slot[si];
	mg_hiter *it = NULL;
	mg_scope scope;
	uint8_t seen[MM_KEYS] = { 0 };
	uint64_t sum = 0, x = 0, n = 0;
	int64_t key;
	union { int64_t i; mm_box *b; } elem;

	mg_scope_enter(rt, &scope);
	mg_root(rt, &it, "many-maps.it");
	it = mg_map_iter(rt, w->maps[si]);
	while (mg_map_next(rt, it, &key, &elem)) {
		uint64_t kid = mm_check_entry(w, si, key, &elem, "iteration");
		if (seen[kid]++)
			mg_fatal(rt, "many-maps: iteration of slot %" PRIu64 " produced key %#" PRIx64
				" twice", si, (uint64_t)key);
		uint64_t p = stress_pair((uint64_t)key, (uint64_t)mm_vals(w, si)[kid]);
		sum += p;
		x ^= stress_mix64(p);
		n++;
	}
	mg_scope_leave(rt, &scope);
	if (n != s->count || mg_map_len(w->maps[si]) != s->count)
		mg_fatal(rt, "many-maps: slot %" PRIu64 ": iteration produced %" PRIu64 " entries, len %zu, "
			"want %" PRIu64, si, n, mg_map_len(w->maps[si]), s->count);
	if (d != NULL) {
		stress_digest_add(d, s->gen);
		stress_digest_add(d, s->kind);
		stress_digest_add(d, n);
		stress_digest_add(d, sum);
		stress_digest_add(d, x);
	}
}

static void
mm_clear(mm *w, uint64_t si)
{
	mg_map_clear(w->rt, w->maps[si]);
	memset(mm_vals(w, si), 0, MM_KEYS * sizeof(int64_t));
	w->slot[si].count = 0;
	if (mg_map_len(w->maps[si]) != 0)
		mg_fatal(w->rt, "many-maps: slot %" PRIu64 ": len %zu after clear", si,
			mg_map_len(w->maps[si]));
	w->cleared++;
}

static void
mm_drop(mm *w, uint64_t si)
{
	if (w->slot[si].gen % MM_CHECK_EVERY == 0) {
		int bad = mg_map_check(w->rt, w->maps[si], stderr);
		if (bad != 0)
			mg_fatal(w->rt, "many-maps: map verifier found %d problem(s) in slot %" PRIu64,
				bad, si);
	}
	mg_store(w->rt, &w->maps[si], NULL);
	w->slot[si].gen = 0;
	w->dropped++;
}

static void
mm_op(mm *w)
{
	uint64_t si = stress_rng_below(&w->rng, w->nslots);

	if (w->slot[si].gen == 0) {
		mm_create(w, si);
		return;
	}
	uint64_t r = stress_rng_below(&w->rng, 100);
	uint64_t batch = 1 + stress_rng_below(&w->rng, MM_BATCH);
	if (r < MM_PCT_SET) {
		for (uint64_t j = 0; j < batch; j++)
			mm_set(w, si, stress_rng_below(&w->rng, MM_KEYS));
	} else if ((r -= MM_PCT_SET) < MM_PCT_DELETE) {
		for (uint64_t j = 0; j < batch; j++)
			mm_delete(w, si, stress_rng_below(&w->rng, MM_KEYS));
	} else if ((r -= MM_PCT_DELETE) < MM_PCT_LOOKUP) {
		for (uint64_t j = 0; j < batch; j++)
			mm_lookup(w, si, stress_rng_below(&w->rng, MM_KEYS));
	} else if ((r -= MM_PCT_LOOKUP) < MM_PCT_ITERATE) {
		mm_iterate(w, si, NULL);
		w->iterated++;
	} else if ((r -= MM_PCT_ITERATE) < MM_PCT_CLEAR) {
		mm_clear(w, si);
	} else {
		mm_drop(w, si);
	}
}

/* ---- the workload ---------------------------------------------------------------------- */

static stress_result
mm_run(mg_runtime *rt, const stress_params *p)
{
	mm w = { .rt = rt, .rng = { p->seed }, .nslots = p->live };
	stress_result res = { 0 };
	stress_digest d;
	mg_scope scope;

	w.slot = calloc((size_t)w.nslots, sizeof *w.slot);
	w.vals = calloc((size_t)w.nslots * MM_KEYS, sizeof *w.vals);
	if (w.slot == NULL || w.vals == NULL)
		mg_fatal(rt, "many-maps: out of C memory for %" PRIu64 " slots", w.nslots);
	w.mt[MM_INTS] = mg_maptype_get(rt, &mg_type_int64, &mg_type_int64);
	w.mt[MM_BOXES] = mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &w.maps, "many-maps.maps");
	w.maps = mg_alloc_array(rt, &mg_type_ptr, (size_t)w.nslots);
	for (uint64_t op = 0; op < p->ops; op++) {
		stress_tick(rt);
		mm_op(&w);
	}
	stress_digest_init(&d);
	for (uint64_t si = 0; si < w.nslots; si++) {
		if (w.slot[si].gen == 0) {
			if (w.maps[si] != NULL)
				mg_fatal(rt, "many-maps: empty slot %" PRIu64 " holds a map", si);
			stress_digest_add(&d, 0);
			continue;
		}
		mm_iterate(&w, si, &d);
		res.live_end++;
	}
	res.checksum = stress_digest_final(&d);
	mg_scope_leave(rt, &scope);
	free(w.slot);
	free(w.vals);
	printf("many-maps       %" PRIu64 " maps created, %" PRIu64 " dropped, %" PRIu64 " cleared, %"
		PRIu64 " full iterations; %" PRIu64 " alive at the end\n", w.created, w.dropped,
		w.cleared, w.iterated, res.live_end);
	return res;
}

const stress_workload stress_workload_many_maps = {
	.name = "many-maps",
	.description =
		"Thousands of small maps (--live slots of a heap array of map pointers, "
		"stored with mg_store), each a map[int64]int64 or a map[int64]*box over 128 "
		"key ids: an empty slot gets a new map (sometimes hinted) with 1..8 entries; "
		"a full one gets 45% sets, 15% deletes, 15% lookups (1..4 keys each), 10% a "
		"checked full iteration, 3% a clear, 12% a drop to nil.  Maps die and are "
		"collected while others grow through B = 0..5.  The checksum digests every "
		"slot's final map in slot order.",
	/* Defaults: about 1.2 s of CPU in a release build, ~200 cycles, ~430000
	 * maps made (seed 1). */
	.default_ops = 4000000,
	.default_live = 4096,
	.run = mm_run,
};
