/*
 * stress_delete_all.c — workload `delete-all`: fill a big map, delete every
 * key, refill, repeat.  Maps never shrink (Go issue #20135): after the last
 * delete len is 0 and B is what it was when the map was full, and the
 * refill grows nothing.
 *
 * The heap.  One map[int64]elem in the root slot "delete-all.map", where
 * elem is a 24-byte inline struct { int64 a; box *p; int64 b } with one
 * labelled pointer field "p" to a fresh pointer-free box { key, round }, so
 * every delete clears a pointer through the typed-clear barrier and every
 * deleted entry's box becomes garbage.
 *
 * Rounds.  Round r draws a salt and a random order of i = 0..live-1, fills
 * the map with the keys r << 32 | i in that order, one insert per operation
 * (elem.a is a mix of the key and the salt), then deletes them in another
 * random order, one per operation: a round is 2 × live operations.  A
 * quarter of the operations also look up a random i of the round (present:
 * its elem must be right; not yet inserted or already deleted: a miss).
 * When a round's map is full its B is recorded; after its last delete, len
 * must be 0 and B the same, and every round's full B must equal the first
 * round's (no refill may grow it).  Any divergence is fatal.  The B values
 * are printed before the summary.  The map empties once per round, so its
 * hash seed is redrawn each time (Go issue 25237) — contents and checksum
 * do not depend on it.
 *
 * The checksum digests the round and phase reached, len, and an
 * order-independent sum over the final map's (key, elem) pairs, read by a
 * full iteration verified against the shadow; the final map also passes
 * mg_map_check.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "stress.h"

/* One operation in DA_LOOKUP_ONE_IN also does a verifying lookup. */
enum { DA_LOOKUP_ONE_IN = 4 };

typedef struct da_box {
	int64_t key;
	int64_t round;
} da_box;

static const mg_type da_box_type = {
	.name = "delete-all.box",
	.size = sizeof(da_box),
	.align = _Alignof(da_box),
};

typedef struct da_elem {
	int64_t a;       /* a mix of key and the round's salt */
	da_box *p;       /* the only pointer field */
	int64_t b;       /* ~key */
} da_elem;

static const mg_field da_elem_fields[] = {
	{ offsetof(da_elem, p), "p" },
};

static const mg_type da_elem_type = {
	.name = "delete-all.elem",
	.size = sizeof(da_elem),
	.align = _Alignof(da_elem),
	.ptrs = da_elem_fields,
	.nptrs = 1,
};

typedef struct da {
	mg_runtime *rt;
	stress_rng rng;
	mg_hmap *m;          /* rooted "delete-all.map" */
	uint64_t n;          /* live: keys per round */
	uint64_t round;      /* from 0 */
	uint64_t salt;       /* this round's, for elem.a */
	bool draining;       /* this round's fill is done */
	uint64_t filled;     /* keys inserted this round */
	uint32_t *order;     /* [n] the present indices first: order[0..npresent) */
	uint64_t npresent;   /* filling: = filled; draining: keys left */
	int64_t *pos;        /* [n] index in order of a present index, else -1 */
	unsigned B_first;    /* B of the first full map */
	unsigned B_full;     /* B of this round's full map */
	unsigned B_empty;    /* B after the last delete */
	uint64_t drains;     /* rounds fully deleted */
} da;

static int64_t
da_key(const da *w, uint64_t i)
{
	return (int64_t)(w->round << 32 | i);
}

static bool
da_present(const da *w, uint64_t i)
{
	return w->pos[i] >= 0;
}

static int64_t
da_a(const da *w, int64_t key)
{
	return (int64_t)stress_mix64((uint64_t)key ^ w->salt);
}

/* Start a round: a salt, and a fresh random fill order (Fisher-Yates). */
static void
da_start_round(da *w)
{
	w->salt = stress_rng_next(&w->rng);
	for (uint64_t j = 0; j < w->n; j++) {
		uint64_t k = stress_rng_below(&w->rng, j + 1);
		w->order[j] = w->order[k];
		w->order[k] = (uint32_t)j;
		w->pos[j] = -1;
	}
	w->filled = 0;
	w->npresent = 0;
	w->draining = false;
}

static unsigned
da_B(const da *w)
{
	mg_mapinfo info;

	mg_map_info(w->m, &info);
	return info.B;
}

static void
da_insert(da *w)
{
	mg_runtime *rt = w->rt;
	uint64_t i = w->order[w->filled];
	int64_t key = da_key(w, i);
	da_elem e = { .a = da_a(w, key), .b = ~key };
	mg_scope scope;

	mg_scope_enter(rt, &scope);
	mg_root(rt, &e.p, "delete-all.elem.p");
	e.p = mg_alloc(rt, &da_box_type);
	e.p->key = key;
	e.p->round = (int64_t)w->round;
	mg_map_set(rt, w->m, &key, &e);
	mg_scope_leave(rt, &scope);
	w->pos[i] = (int64_t)w->filled;
	w->npresent = ++w->filled;
	if (w->filled < w->n)
		return;
	/* Full: record B and start deleting. */
	w->B_full = da_B(w);
	if (w->round == 0)
		w->B_first = w->B_full;
	if (w->B_full != w->B_first)
		mg_fatal(rt, "delete-all: round %" PRIu64 " full map has B=%u, the first had B=%u: a "
			"refill to the same size grew the map", w->round, w->B_full, w->B_first);
	w->draining = true;
}

static void
da_delete(da *w)
{
	uint64_t j = stress_rng_below(&w->rng, w->npresent);
	uint32_t i = w->order[j];
	int64_t key = da_key(w, i);

	mg_map_delete(w->rt, w->m, &key);
	w->order[j] = w->order[--w->npresent];
	w->order[w->npresent] = i;
	w->pos[w->order[j]] = (int64_t)j;
	w->pos[i] = -1;
	if (w->npresent > 0)
		return;
	/* Empty: len 0, B kept (maps never shrink), then the next round. */
	size_t len = mg_map_len(w->m);
	w->B_empty = da_B(w);
	if (len != 0)
		mg_fatal(w->rt, "delete-all: round %" PRIu64 ": every key deleted but len is %zu",
			w->round, len);
	if (w->B_empty != w->B_full)
		mg_fatal(w->rt, "delete-all: round %" PRIu64 ": B went from %u to %u by deleting every "
			"key; maps never shrink", w->round, w->B_full, w->B_empty);
	w->drains++;
	w->round++;
	da_start_round(w);
}

static void
da_lookup(da *w)
{
	uint64_t i = stress_rng_below(&w->rng, w->n);
	int64_t key = da_key(w, i);
	bool want = da_present(w, i);
	da_elem e;
	bool ok = mg_map_get(w->rt, w->m, &key, &e);

	if (ok != want)
		mg_fatal(w->rt, "delete-all: round %" PRIu64 ": lookup of key %#" PRIx64 " %s, want %s",
			w->round, (uint64_t)key, ok ? "hit" : "missed", want ? "a hit" : "a miss");
	if (ok && (e.a != da_a(w, key) || e.b != ~key || e.p == NULL || e.p->key != key ||
		   e.p->round != (int64_t)w->round))
		mg_fatal(w->rt, "delete-all: round %" PRIu64 ": key %#" PRIx64 " has a wrong elem",
			w->round, (uint64_t)key);
	if (!ok && (e.a != 0 || e.p != NULL || e.b != 0))
		mg_fatal(w->rt, "delete-all: a miss on key %#" PRIx64 " did not zero elem_out",
			(uint64_t)key);
}

static void
da_op(da *w)
{
	if (w->draining)
		da_delete(w);
	else
		da_insert(w);
	if (stress_rng_below(&w->rng, DA_LOOKUP_ONE_IN) == 0)
		da_lookup(w);
}

/* ---- checksum ------------------------------------------------------------------ */

static uint64_t
da_checksum(da *w)
{
	mg_runtime *rt = w->rt;
	mg_hiter *it = NULL;
	mg_scope scope;
	stress_digest d;
	uint64_t sum = 0, x = 0, n = 0, want = w->npresent;
	uint8_t *seen = calloc(w->n, 1);
	int64_t key;
	da_elem e;

	if (seen == NULL)
		mg_fatal(rt, "delete-all: out of C memory");
	int bad = mg_map_check(rt, w->m, stderr);
	if (bad != 0)
		mg_fatal(rt, "delete-all: map verifier found %d problem(s) in the final map", bad);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &it, "delete-all.final-it");
	it = mg_map_iter(rt, w->m);
	while (mg_map_next(rt, it, &key, &e)) {
		uint64_t i = (uint64_t)key - (w->round << 32);
		if ((uint64_t)key >> 32 != w->round || i >= w->n || !da_present(w, i))
			mg_fatal(rt, "delete-all: iteration produced key %#" PRIx64 ", not in the map",
				(uint64_t)key);
		if (seen[i]++)
			mg_fatal(rt, "delete-all: iteration produced key %#" PRIx64 " twice", (uint64_t)key);
		if (e.a != da_a(w, key) || e.b != ~key || e.p == NULL || e.p->key != key ||
		    e.p->round != (int64_t)w->round)
			mg_fatal(rt, "delete-all: iteration gave key %#" PRIx64 " a wrong elem",
				(uint64_t)key);
		uint64_t p = stress_pair((uint64_t)key, (uint64_t)(e.a ^ e.b ^ e.p->round));
		sum += p;
		x ^= stress_mix64(p);
		n++;
	}
	mg_scope_leave(rt, &scope);
	free(seen);
	if (n != want || mg_map_len(w->m) != want)
		mg_fatal(rt, "delete-all: iteration produced %" PRIu64 " entries, len %zu, want %" PRIu64,
			n, mg_map_len(w->m), want);
	stress_digest_init(&d);
	stress_digest_add(&d, w->round);
	stress_digest_add(&d, w->draining);
	stress_digest_add(&d, n);
	stress_digest_add(&d, sum);
	stress_digest_add(&d, x);
	return stress_digest_final(&d);
}

/* ---- the workload ----------------------------------------------------------------- */

static stress_result
da_run(mg_runtime *rt, const stress_params *p)
{
	da w = { .rt = rt, .rng = { p->seed }, .n = p->live };
	stress_result res = { 0 };
	mg_scope scope;

	if (w.n > UINT32_MAX)
		mg_fatal(rt, "delete-all: --live %" PRIu64 " is over 2^32 keys per round", w.n);
	w.order = calloc((size_t)w.n, sizeof *w.order);   /* da_start_round reads before it writes */
	w.pos = malloc((size_t)w.n * sizeof *w.pos);
	if (w.order == NULL || w.pos == NULL)
		mg_fatal(rt, "delete-all: out of C memory for %" PRIu64 " keys", w.n);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &w.m, "delete-all.map");
	w.m = mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, &da_elem_type), 0);
	da_start_round(&w);
	for (uint64_t op = 0; op < p->ops; op++) {
		stress_tick(rt);
		da_op(&w);
	}
	res.checksum = da_checksum(&w);
	res.live_end = mg_map_len(w.m);
	unsigned B_end = da_B(&w);
	mg_scope_leave(rt, &scope);
	free(w.order);
	free(w.pos);

	if (w.drains > 0)
		printf("delete-all      %" PRIu64 " rounds emptied: B %u when full, %u after deleting "
			"every key (len 0); B %u at the end (len %" PRIu64 ", round %" PRIu64 " %s)\n",
			w.drains, w.B_first, w.B_empty, B_end, res.live_end, w.round,
			w.draining ? "draining" : "filling");
	else
		printf("delete-all      no round emptied (--ops below 2 x --live); B %u at the end "
			"(len %" PRIu64 ")\n", B_end, res.live_end);
	return res;
}

const stress_workload stress_workload_delete_all = {
	.name = "delete-all",
	.description =
		"Fill a map[int64]{int64, *box, int64} with --live fresh keys, delete every "
		"key in random order, refill with new keys, repeat (one insert or delete "
		"per op, plus a verifying lookup in a quarter of the ops).  Maps never "
		"shrink (Go issue #20135): after each drain len must be 0 and B unchanged, "
		"and no refill may grow the map; B when full, after the drain and when "
		"refilled are printed.  Every delete clears a pointer through the "
		"barrier.  The checksum digests the final map.",
	/* Defaults: 18.75 rounds of a B = 15 map, ending mid-drain (so the final
	 * contents depend on the seed); about 0.9 s of CPU in a release build,
	 * ~12 cycles (seed 1). */
	.default_ops = 7500000,
	.default_live = 200000,
	.run = da_run,
};
