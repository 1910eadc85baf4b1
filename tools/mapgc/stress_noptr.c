/*
 * stress_noptr.c — workload `noptr`: a pointer-free map[int64]int64 with
 * many overflow buckets, under GC pressure, with iterators alive across
 * grows (Go issue #9477).
 *
 * Why.  The buckets of a map whose keys and elems hold no pointers are
 * noscan: the collector never looks inside them, so it never follows their
 * overflow pointers either.  Overflow buckets are kept alive only by the
 * lists extra.overflow and extra.oldoverflow (inv.noscan-overflow), and an
 * iterator over an array the map has left behind only by the lists it
 * copied (it.overflow, it.oldoverflow).  Go 1.4 freed overflow buckets of
 * such maps (#9477); a lost overflow bucket here is freed and poisoned,
 * and its keys vanish from lookups and iterations.
 *
 * The heap.  One map[int64]int64 in the root slot "noptr.map" and two
 * iterator slots "noptr.it[0]" (fast: 1..64 steps per advance) and
 * "noptr.it[1]" (slow: 1..2 steps, so it lives across many mutations).
 * The map is held at n entries, the largest count just below a doubling
 * threshold that fits in --live: n = 6.5 × 2^B − 2^B/16 for the largest
 * such B, about 6.44 entries per 8-cell bucket, where about one bucket in
 * five overflows.  Keys are fresh (1, 2, 3, … in creation order, never
 * re-inserted once deleted); key k's value is a mix of k.
 *
 * Setup inserts keys 1..n into an un-hinted map and starts the slow
 * iterator when a third of them are in, so it is alive across the last
 * doubling grows.  Then each operation (percentages of operations):
 *   replace  60  delete a random present key, insert a fresh one: the
 *                size stays n while new overflow buckets pile up, and every
 *                2^B of them a same-size grow moves everything to a new
 *                array (Go #16070), while iterators hold the old one
 *   hit      20  look a random present key up; its value must be right
 *   miss      5  look up a deleted or never-inserted key; it must miss
 *   advance  10  the fast or the slow iterator (half each) takes its steps
 *   start     5  an iterator in a random slot, when that slot is free
 * and every operation also allocates 16..271 bytes of garbage, so cycles
 * come often.  Every n operations every present key is looked up.
 * Iterations are checked as in grow-iterate: a produced key is present
 * now with its value, never twice, and at the end every key present since
 * before the start was produced.  Any divergence is fatal.
 *
 * The checksum digests len and an order-independent sum of (key, value)
 * over the final map, read by a full walk checked against the shadow; the
 * map also passes mg_map_check.  Grow counts and iterator statistics
 * (from mg_map_info, so dependent on the hash seed) are printed, not
 * digested.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

enum {
	NP_PCT_REPLACE = 60,
	NP_PCT_HIT = 20,
	NP_PCT_MISS = 5,
	NP_PCT_ADVANCE = 10,
	NP_PCT_START = 5,
};
_Static_assert(NP_PCT_REPLACE + NP_PCT_HIT + NP_PCT_MISS + NP_PCT_ADVANCE + NP_PCT_START == 100,
	"noptr operation mix must add up to 100%");

enum { NP_ITERS = 2 };

/* Most steps per advance of each iterator slot (see the essay). */
static const uint64_t np_steps_max[NP_ITERS] = { 64, 2 };

/* Garbage per operation: 16 + [0, NP_GARBAGE_SPREAD) bytes, pointer-free. */
enum { NP_GARBAGE_MIN = 16, NP_GARBAGE_SPREAD = 256 };

typedef struct np_iter {
	bool on;
	int64_t start_last;   /* last key created when it started */
	uint8_t *seen;        /* bitmap over keys, grown with them */
	size_t seen_bytes;
	bool growing0;        /* statistics */
	uint64_t grows0;
} np_iter;

typedef struct np_stats {
	uint64_t same, doubling;
	uint64_t iters, completed, spanned;
	bool growing;
	unsigned B, noverflow;
} np_stats;

typedef struct np {
	mg_runtime *rt;
	stress_rng rng;
	mg_hmap *m;                 /* rooted "noptr.map" */
	mg_hiter *it[NP_ITERS];     /* rooted "noptr.it[I]" */
	np_iter st[NP_ITERS];
	uint64_t n;                 /* entries held */
	int64_t *present;           /* [n] present keys */
	uint64_t npresent;
	int64_t last_key;
	uint8_t *live;              /* bitmap over keys: present */
	size_t live_bytes;
	np_stats stats;
} np;

static const char *const np_it_names[NP_ITERS] = { "noptr.it[0]", "noptr.it[1]" };

static int64_t
np_value(int64_t k)
{
	return (int64_t)stress_mix64((uint64_t)k ^ UINT64_C(0x5851f42d4c957f2d));
}

/* ---- bitmaps ------------------------------------------------------------------------ */

static void
np_bit_grow(np *w, uint8_t **bits, size_t *bytes, int64_t key)
{
	size_t need = (size_t)key / 8 + 1;

	if (need <= *bytes)
		return;
	size_t nb = *bytes ? *bytes : 1024;
	while (nb < need)
		nb *= 2;
	uint8_t *p = realloc(*bits, nb);
	if (p == NULL)
		mg_fatal(w->rt, "noptr: out of C memory for a %zu-byte bitmap", nb);
	memset(p + *bytes, 0, nb - *bytes);
	*bits = p;
	*bytes = nb;
}

static bool
np_bit(const uint8_t *bits, size_t bytes, int64_t key)
{
	return (size_t)key / 8 < bytes && (bits[key / 8] >> (key % 8) & 1);
}

static void
np_bit_set(uint8_t *bits, int64_t key, bool on)
{
	if (on)
		bits[key / 8] |= (uint8_t)(1u << (key % 8));
	else
		bits[key / 8] &= (uint8_t)~(1u << (key % 8));
}

/* ---- the map -------------------------------------------------------------------------- */

static void
np_watch(np *w)
{
	np_stats *s = &w->stats;
	mg_mapinfo info;

	mg_map_info(w->m, &info);
	if (info.growing && !s->growing) {
		if (info.same_size)
			s->same++;
		else
			s->doubling++;
	} else if (!info.growing && !s->growing) {
		if (info.B > s->B)
			s->doubling++;
		else if (info.noverflow < s->noverflow)
			s->same++;
	}
	s->growing = info.growing;
	s->B = info.B;
	s->noverflow = info.noverflow;
}

/* Insert a fresh key into present[j]. */
static void
np_insert(np *w, uint64_t j)
{
	int64_t k = ++w->last_key;
	int64_t v = np_value(k);

	mg_map_set(w->rt, w->m, &k, &v);
	np_bit_grow(w, &w->live, &w->live_bytes, k);
	np_bit_set(w->live, k, true);
	w->present[j] = k;
	np_watch(w);
}

static void
np_replace(np *w)
{
	uint64_t j = stress_rng_below(&w->rng, w->n);
	int64_t k = w->present[j];

	mg_map_delete(w->rt, w->m, &k);
	np_bit_set(w->live, k, false);
	np_watch(w);
	np_insert(w, j);
}

static void
np_lookup(np *w, int64_t k, bool want)
{
	int64_t v = -1;
	bool ok = mg_map_get(w->rt, w->m, &k, &v);

	if (ok != want)
		mg_fatal(w->rt, "noptr: lookup of key %" PRId64 " %s, want %s (an overflow bucket lost?)",
			k, ok ? "hit" : "missed", want ? "a hit" : "a miss");
	if (ok ? v != np_value(k) : v != 0)
		mg_fatal(w->rt, "noptr: lookup of key %" PRId64 " gave %" PRId64 ", want %" PRId64, k, v,
			ok ? np_value(k) : 0);
}

static void
np_hit(np *w)
{
	np_lookup(w, w->present[stress_rng_below(&w->rng, w->n)], true);
}

static void
np_miss(np *w)
{
	/* Key 1..last: deleted unless present; beyond: never inserted. */
	int64_t k = 1 + (int64_t)stress_rng_below(&w->rng, (uint64_t)w->last_key + 64);

	np_lookup(w, k, np_bit(w->live, w->live_bytes, k));
}

static void
np_verify_all(np *w)
{
	for (uint64_t j = 0; j < w->n; j++)
		np_lookup(w, w->present[j], true);
	if (mg_map_len(w->m) != w->n)
		mg_fatal(w->rt, "noptr: len %zu, want %" PRIu64, mg_map_len(w->m), w->n);
}

/* ---- iterators ------------------------------------------------------------------------- */

static void
np_start(np *w, int i)
{
	np_iter *s = &w->st[i];
	mg_mapinfo info;

	if (s->on)
		return;
	w->it[i] = mg_map_iter(w->rt, w->m);
	s->on = true;
	s->start_last = w->last_key;
	if (s->seen_bytes > 0)
		memset(s->seen, 0, s->seen_bytes);
	mg_map_info(w->m, &info);
	s->growing0 = info.growing;
	s->grows0 = w->stats.same + w->stats.doubling;
	w->stats.iters++;
}

static void
np_check_produced(np *w, np_iter *s, int64_t k, int64_t v)
{
	if (k < 1 || k > w->last_key || !np_bit(w->live, w->live_bytes, k))
		mg_fatal(w->rt, "noptr: iterator produced key %" PRId64 ", not in the map", k);
	if (v != np_value(k))
		mg_fatal(w->rt, "noptr: iterator produced key %" PRId64 " with value %" PRId64 ", want %"
			PRId64, k, v, np_value(k));
	np_bit_grow(w, &s->seen, &s->seen_bytes, k);
	if (np_bit(s->seen, s->seen_bytes, k))
		mg_fatal(w->rt, "noptr: iterator produced key %" PRId64 " twice", k);
	np_bit_set(s->seen, k, true);
}

static void
np_check_complete(np *w, const np_iter *s)
{
	for (uint64_t j = 0; j < w->n; j++) {
		int64_t k = w->present[j];
		if (k <= s->start_last && !np_bit(s->seen, s->seen_bytes, k))
			mg_fatal(w->rt, "noptr: iteration ended without key %" PRId64 ", present for all "
				"of it (an overflow bucket lost?)", k);
	}
}

/* Take up to `steps` steps of iterator i; the draws are made by the
 * caller whatever the slot holds, so the stream that decides mutations
 * does not depend on when iterations end (stress.h, inv.seed-only). */
static void
np_advance(np *w, int i, uint64_t steps)
{
	np_iter *s = &w->st[i];

	if (!s->on)
		return;
	for (uint64_t n = 0; n < steps; n++) {
		int64_t k, v;
		if (!mg_map_next(w->rt, w->it[i], &k, &v)) {
			np_check_complete(w, s);
			if (s->growing0 || w->stats.same + w->stats.doubling > s->grows0)
				w->stats.spanned++;
			w->stats.completed++;
			w->it[i] = NULL;
			s->on = false;
			return;
		}
		np_check_produced(w, s, k, v);
	}
}

static void
np_op(np *w)
{
	uint64_t r = stress_rng_below(&w->rng, 100);
	int i = (int)stress_rng_below(&w->rng, NP_ITERS);
	uint64_t steps = 1 + stress_rng_below(&w->rng, np_steps_max[i]);

	if (r < NP_PCT_REPLACE)
		np_replace(w);
	else if ((r -= NP_PCT_REPLACE) < NP_PCT_HIT)
		np_hit(w);
	else if ((r -= NP_PCT_HIT) < NP_PCT_MISS)
		np_miss(w);
	else if ((r -= NP_PCT_MISS) < NP_PCT_ADVANCE)
		np_advance(w, i, steps);
	else
		np_start(w, i);
	/* Garbage, dropped at once: cycles come from it, not from the map. */
	mg_alloc_bytes(w->rt, NP_GARBAGE_MIN + stress_rng_below(&w->rng, NP_GARBAGE_SPREAD));
}

/* ---- checksum ---------------------------------------------------------------------------- */

static uint64_t
np_checksum(np *w)
{
	mg_runtime *rt = w->rt;
	mg_hiter *it = NULL;
	mg_scope scope;
	stress_digest d;
	np_iter s = { .on = true, .start_last = w->last_key };
	uint64_t sum = 0, x = 0, n = 0;
	int64_t k, v;

	int bad = mg_map_check(rt, w->m, stderr);
	if (bad != 0)
		mg_fatal(rt, "noptr: map verifier found %d problem(s) in the final map", bad);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &it, "noptr.final-it");
	it = mg_map_iter(rt, w->m);
	while (mg_map_next(rt, it, &k, &v)) {
		np_check_produced(w, &s, k, v);
		uint64_t p = stress_pair((uint64_t)k, (uint64_t)v);
		sum += p;
		x ^= stress_mix64(p);
		n++;
	}
	mg_scope_leave(rt, &scope);
	np_check_complete(w, &s);
	free(s.seen);
	if (n != w->n || mg_map_len(w->m) != w->n)
		mg_fatal(rt, "noptr: final walk produced %" PRIu64 " entries, len %zu, want %" PRIu64,
			n, mg_map_len(w->m), w->n);
	stress_digest_init(&d);
	stress_digest_add(&d, n);
	stress_digest_add(&d, sum);
	stress_digest_add(&d, x);
	return stress_digest_final(&d);
}

/* ---- the workload ------------------------------------------------------------------------- */

/* The entries held: just below the doubling threshold 6.5 × 2^B (Go's
 * overLoadFactor) for the largest B where that fits in live. */
static uint64_t
np_size(uint64_t live, unsigned *B_out)
{
	unsigned B = 1;

	while (B < 40 && 13 * (UINT64_C(1) << B) <= live)   /* threshold(B+1) = 13 × 2^B */
		B++;
	uint64_t threshold = 13 * (UINT64_C(1) << (B - 1));
	uint64_t margin = (UINT64_C(1) << B) / 16;
	*B_out = B;
	if (threshold > live)   /* live below 13: a tiny map */
		return live;
	return threshold - (margin > 0 ? margin : 1);
}

static stress_result
np_run(mg_runtime *rt, const stress_params *p)
{
	np w = { .rt = rt, .rng = { p->seed } };
	stress_result res = { 0 };
	mg_scope scope;
	unsigned B;
	mg_mapinfo info;

	w.n = np_size(p->live, &B);
	w.present = malloc((size_t)w.n * sizeof *w.present);
	if (w.present == NULL)
		mg_fatal(rt, "noptr: out of C memory for %" PRIu64 " keys", w.n);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &w.m, "noptr.map");
	for (int i = 0; i < NP_ITERS; i++)
		mg_root(rt, &w.it[i], np_it_names[i]);
	w.m = mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, &mg_type_int64), 0);
	for (uint64_t j = 0; j < w.n; j++) {
		if (j == w.n / 3)
			np_start(&w, 1);
		stress_tick(rt);
		np_insert(&w, j);
		mg_alloc_bytes(rt, NP_GARBAGE_MIN + stress_rng_below(&w.rng, NP_GARBAGE_SPREAD));
	}
	uint64_t setup_doubling = w.stats.doubling;
	for (uint64_t op = 0; op < p->ops; op++) {
		stress_tick(rt);
		np_op(&w);
		if ((op + 1) % w.n == 0)
			np_verify_all(&w);
	}
	res.checksum = np_checksum(&w);
	res.live_end = mg_map_len(w.m);
	mg_map_info(w.m, &info);
	mg_scope_leave(rt, &scope);
	for (int i = 0; i < NP_ITERS; i++)
		free(w.st[i].seen);
	free(w.present);
	free(w.live);

	printf("noptr map       %" PRIu64 " entries held (B %u at %.2f per bucket; B %u at the end), %u "
		"overflow buckets (noverflow)\n", w.n, B, (double)w.n / (double)(UINT64_C(1) << B), info.B,
		info.noverflow);
	printf("noptr grows     %" PRIu64 " same-size, %" PRIu64 " doubling (%" PRIu64 " in setup)\n",
		w.stats.same, w.stats.doubling, setup_doubling);
	printf("noptr iterators %" PRIu64 " started, %" PRIu64 " completed, %" PRIu64 " of them across "
		"a grow\n", w.stats.iters, w.stats.completed, w.stats.spanned);
	return res;
}

const stress_workload stress_workload_noptr = {
	.name = "noptr",
	.description =
		"A pointer-free map[int64]int64 (noscan buckets) held just below the "
		"doubling threshold that fits in --live (about 6.44 entries per bucket), so "
		"about one bucket in five overflows, while 60% of ops replace a key (same-"
		"size grows follow), 25% look keys up, 15% start or advance a fast and a "
		"slow iterator, and every op allocates garbage.  Overflow buckets of noscan "
		"maps survive only through extra.overflow, and an iterator over a left-"
		"behind array only through the lists it holds (Go issue #9477): every key "
		"is verified by lookup every n ops, and iterations are checked against a "
		"shadow.  The checksum digests the final map.",
	/* Defaults: B = 12, 26368 entries; about 1.1 s of CPU in a release build,
	 * ~700 cycles, ~15 same-size grows (seed 1). */
	.default_ops = 6000000,
	.default_live = 30000,
	.run = np_run,
};
