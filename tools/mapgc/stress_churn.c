/*
 * stress_churn.c — workload `churn`: a map kept at a constant size while
 * its keys are replaced, the pattern of Go issue #16070 ("growth under
 * constant-size churn").
 *
 * The heap.  One map[int64]*val (val is { key, seq }, pointer-free,
 * reachable only from the map) in the root slot "churn.map".  Setup
 * inserts `live` fresh keys; keys are 1, 2, 3, … in creation order and are
 * never re-inserted once deleted.
 *
 * Each operation (percentages of operations):
 *   replace  80  delete a random present key, insert a fresh one with a new
 *                val: the size never changes
 *   hit      15  look up a random present key; its val must be current
 *   miss      5  look up a recently deleted key (from a ring of the last
 *                CHURN_RING deletions) or one never inserted; it must miss
 * Deleted cells are reused only by keys that hash to the same bucket, so
 * the fresh keys keep chaining new overflow buckets onto full buckets;
 * once there are 2^min(B,15) of them the next insert starts a same-size
 * grow that packs the chains (DESIGN.md §4).  Doubling grows happen only
 * during setup.  After every mutation mg_map_info is read to count grows
 * by kind (`growing` going true, classified by `same_size`; a grow that
 * starts and finishes inside one operation is caught by B growing or
 * noverflow dropping); the counts are printed before the summary.
 *
 * The shadow is the dense array of present keys with their val's seq, and
 * the ring of recent deletions.  The checksum digests len and an
 * order-independent sum over the final map's (key, val.seq) pairs, read by
 * a full iteration verified against the shadow; the map also passes
 * mg_map_check at the end.  The grow counts come from the map's layout,
 * which depends on the hash seed, so they are printed but not digested
 * (stress.h, inv.seed-only).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "stress.h"

enum {
	CHURN_PCT_REPLACE = 80,
	CHURN_PCT_HIT = 15,
	CHURN_PCT_MISS = 5,
};
_Static_assert(CHURN_PCT_REPLACE + CHURN_PCT_HIT + CHURN_PCT_MISS == 100,
	"churn operation mix must add up to 100%");

/* Recent deletions remembered for miss lookups: enough to reach back past
 * several evacuations, small enough to stay in cache. */
enum { CHURN_RING = 64 };

typedef struct churn_val {
	int64_t key;
	int64_t seq;   /* creation number of this val, from 1 */
} churn_val;

static const mg_type churn_val_type = {
	.name = "churn.val",
	.size = sizeof(churn_val),
	.align = _Alignof(churn_val),
};

typedef struct churn_entry {
	int64_t key;
	int64_t seq;
} churn_entry;

/* Grow counting from mg_map_info (statistics only). */
typedef struct churn_grows {
	bool growing;
	unsigned B, noverflow;
	uint64_t same, doubling;
	unsigned B_setup;   /* B when setup ended */
} churn_grows;

typedef struct churn {
	mg_runtime *rt;
	stress_rng rng;
	mg_hmap *m;               /* rooted "churn.map" */
	churn_entry *present;     /* [live]: the present keys */
	uint64_t n;
	int64_t last_key;
	int64_t last_seq;
	int64_t ring[CHURN_RING]; /* recently deleted keys; 0: none yet */
	uint64_t ring_next;
	churn_grows grows;
} churn;

static void
churn_watch(churn *c)
{
	churn_grows *g = &c->grows;
	mg_mapinfo info;

	mg_map_info(c->m, &info);
	if (info.growing && !g->growing) {
		if (info.same_size)
			g->same++;
		else
			g->doubling++;
	} else if (!info.growing && !g->growing) {
		/* Started and finished within this operation (small maps). */
		if (info.B > g->B)
			g->doubling++;
		else if (info.noverflow < g->noverflow)
			g->same++;
	}
	g->growing = info.growing;
	g->B = info.B;
	g->noverflow = info.noverflow;
}

/* Insert a fresh key with a new val into present[j]. */
static void
churn_insert(churn *c, uint64_t j)
{
	mg_runtime *rt = c->rt;
	churn_val *v = NULL;
	mg_scope scope;
	int64_t key = ++c->last_key;

	mg_scope_enter(rt, &scope);
	mg_root(rt, &v, "churn.newval");
	v = mg_alloc(rt, &churn_val_type);
	v->key = key;
	v->seq = ++c->last_seq;
	mg_map_set(rt, c->m, &key, &v);
	c->present[j] = (churn_entry){ key, v->seq };
	mg_scope_leave(rt, &scope);
	churn_watch(c);
}

static void
churn_replace(churn *c)
{
	uint64_t j = stress_rng_below(&c->rng, c->n);
	int64_t key = c->present[j].key;

	mg_map_delete(c->rt, c->m, &key);
	c->ring[c->ring_next++ % CHURN_RING] = key;
	churn_watch(c);
	churn_insert(c, j);
}

static void
churn_hit(churn *c)
{
	const churn_entry *e = &c->present[stress_rng_below(&c->rng, c->n)];
	churn_val *v = NULL;

	if (!mg_map_get(c->rt, c->m, &e->key, &v))
		mg_fatal(c->rt, "churn: present key %" PRId64 " not found", e->key);
	if (v == NULL || v->key != e->key || v->seq != e->seq)
		mg_fatal(c->rt, "churn: key %" PRId64 " gave val {%" PRId64 ", %" PRId64 "}, want {%"
			PRId64 ", %" PRId64 "}", e->key, v ? v->key : -1, v ? v->seq : -1, e->key, e->seq);
}

static void
churn_miss(churn *c)
{
	uint64_t r = stress_rng_below(&c->rng, CHURN_RING + 1);
	int64_t key = r < CHURN_RING && c->ring[r] != 0 ? c->ring[r] : c->last_key + 1 + (int64_t)r;
	churn_val *v = NULL;

	if (mg_map_get(c->rt, c->m, &key, &v))
		mg_fatal(c->rt, "churn: absent key %" PRId64 " found (val %p)", key, (void *)v);
	if (v != NULL)
		mg_fatal(c->rt, "churn: a miss on key %" PRId64 " left elem_out %p, want it zeroed",
			key, (void *)v);
}

static void
churn_op(churn *c)
{
	uint64_t r = stress_rng_below(&c->rng, 100);

	if (r < CHURN_PCT_REPLACE)
		churn_replace(c);
	else if (r < CHURN_PCT_REPLACE + CHURN_PCT_HIT)
		churn_hit(c);
	else
		churn_miss(c);
}

/* ---- checksum ----------------------------------------------------------------- */

static int
churn_cmp_key(const void *a, const void *b)
{
	int64_t x = ((const churn_entry *)a)->key, y = ((const churn_entry *)b)->key;
	return (x > y) - (x < y);
}

/* Full iteration, verified against the shadow (sorted by key for the
 * membership test), digested order-independently.  The iterator is
 * allocated first; the walk neither allocates nor reaches a safepoint. */
static uint64_t
churn_checksum(churn *c)
{
	mg_runtime *rt = c->rt;
	mg_hiter *it = NULL;
	mg_scope scope;
	stress_digest d;
	uint64_t sum = 0, x = 0, n = 0;
	int64_t key;
	churn_val *v;
	uint8_t *seen = calloc(c->n > 0 ? c->n : 1, 1);

	if (seen == NULL)
		mg_fatal(rt, "churn: out of C memory");
	int bad = mg_map_check(rt, c->m, stderr);
	if (bad != 0)
		mg_fatal(rt, "churn: map verifier found %d problem(s) in the final map", bad);
	qsort(c->present, c->n, sizeof *c->present, churn_cmp_key);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &it, "churn.final-it");
	it = mg_map_iter(rt, c->m);
	while (mg_map_next(rt, it, &key, &v)) {
		churn_entry probe = { key, 0 };
		churn_entry *e = bsearch(&probe, c->present, c->n, sizeof *c->present, churn_cmp_key);
		if (e == NULL)
			mg_fatal(rt, "churn: iteration produced key %" PRId64 ", not in the map", key);
		size_t j = (size_t)(e - c->present);
		if (seen[j]++)
			mg_fatal(rt, "churn: iteration produced key %" PRId64 " twice", key);
		if (v == NULL || v->key != key || v->seq != e->seq)
			mg_fatal(rt, "churn: iteration gave key %" PRId64 " val {%" PRId64 ", %" PRId64
				"}, want seq %" PRId64, key, v ? v->key : -1, v ? v->seq : -1, e->seq);
		uint64_t p = stress_pair((uint64_t)key, (uint64_t)v->seq);
		sum += p;
		x ^= stress_mix64(p);
		n++;
	}
	mg_scope_leave(rt, &scope);
	free(seen);
	if (n != c->n || mg_map_len(c->m) != c->n)
		mg_fatal(rt, "churn: iteration produced %" PRIu64 " entries, len %zu, want %" PRIu64,
			n, mg_map_len(c->m), c->n);
	stress_digest_init(&d);
	stress_digest_add(&d, n);
	stress_digest_add(&d, sum);
	stress_digest_add(&d, x);
	return stress_digest_final(&d);
}

/* ---- the workload -------------------------------------------------------------- */

static stress_result
churn_run(mg_runtime *rt, const stress_params *p)
{
	churn c = { .rt = rt, .rng = { p->seed }, .n = p->live };
	stress_result res = { 0 };
	mg_scope scope;
	mg_mapinfo info;

	c.present = malloc((size_t)c.n * sizeof *c.present);
	if (c.present == NULL)
		mg_fatal(rt, "churn: out of C memory for %" PRIu64 " keys", c.n);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &c.m, "churn.map");
	c.m = mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr), 0);
	for (uint64_t j = 0; j < c.n; j++)
		churn_insert(&c, j);
	mg_map_info(c.m, &info);
	uint64_t setup_doubling = c.grows.doubling, setup_same = c.grows.same;
	c.grows.B_setup = info.B;
	for (uint64_t op = 0; op < p->ops; op++) {
		stress_tick(rt);
		churn_op(&c);
	}
	res.checksum = churn_checksum(&c);
	res.live_end = mg_map_len(c.m);
	mg_map_info(c.m, &info);
	mg_scope_leave(rt, &scope);
	free(c.present);

	printf("churn grows     %" PRIu64 " same-size, %" PRIu64 " doubling during the ops"
		" (setup: %" PRIu64 " doubling, %" PRIu64 " same-size)\n",
		c.grows.same, c.grows.doubling - setup_doubling, setup_doubling, setup_same);
	printf("churn map       B %u after setup, %u at end; %u overflow buckets (noverflow)%s\n",
		c.grows.B_setup, info.B, info.noverflow, info.growing ? "; growing" : "");
	return res;
}

const stress_workload stress_workload_churn = {
	.name = "churn",
	.description =
		"One map[int64]*val kept at exactly --live entries while its keys are "
		"replaced: 80% of ops delete a random key and insert a fresh one, 15% look "
		"up a present key, 5% look up a deleted or never-inserted key.  Fresh keys "
		"keep chaining overflow buckets onto full buckets until there are 2^B of "
		"them, and the map grows without getting bigger: same-size grows (Go issue "
		"#16070, growth under constant-size churn).  Grows are counted from "
		"mg_map_info and printed by kind; lookups are checked against a shadow; the "
		"checksum digests the final map.",
	/* Defaults: 25000 entries make B = 12 at 6.1 per bucket, where a
	 * same-size grow comes every ~300000 replacements (~20 in a run); about
	 * 1 s of CPU in a release build, ~190 cycles (seed 1). */
	.default_ops = 8000000,
	.default_live = 25000,
	.run = churn_run,
};
