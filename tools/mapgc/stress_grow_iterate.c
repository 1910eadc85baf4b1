/*
 * stress_grow_iterate.c — workload `grow-iterate`: maps that grow while
 * iterators are alive, checked against a shadow model of Go's iteration
 * semantics (DESIGN.md §4).
 *
 * The heap.  GI_LANES lanes, each holding one map[int64]*val (val is
 * { key, ver }, pointer-free, reachable only from the map) in the root slot
 * "grow-iterate.map[L]" and GI_ITERS iterator slots "grow-iterate.it[L.I]".
 * A lane's map is a *generation*: it starts empty and un-hinted, takes
 * fresh keys (gen << 32 | index, index counting from 0, never reused) up to
 * a capacity drawn from [live/4, live], and is then retired — no longer
 * mutated, dropped by the lane — and replaced by a new generation.  Its
 * iterators stay in their slots and keep it (it.h) and the array they
 * started on (it.buckets) alive until they finish or are dropped.
 *
 * Each operation picks a lane and then (percentages of operations):
 *   insert    40  a fresh key with a new val (retires the map when full)
 *   delete     8  a random present key
 *   overwrite 10  a random present key gets a new val
 *   lookup    10  a random key index: present ones must give their current
 *                 val, deleted and never-inserted ones a miss
 *   start      4  an iterator in a random free slot (started whenever the
 *                 map happens to be, growing or not); one in four is
 *                 destined to be abandoned after a random number of steps
 *                 below the map's len: it then stays rooted, unadvanced,
 *                 for up to live/2 more operations before it is dropped
 *   advance   28  a random active iterator takes 1..32 mg_map_next steps
 * Maps double every time count passes 6.5 × 2^B, and a doubling of a map
 * with 2^B old buckets takes at least 2^(B-1) mutations to evacuate, so
 * iterators start before, during and after grows, are advanced between
 * mutations, and (slowly advanced, or abandoned) outlive grow completions:
 * their it.buckets is then neither the current nor the old array of any
 * map, the "iter-only arrays" of maptrace=1.  Old arrays are partly
 * evacuated at every cycle that lands mid-grow.
 *
 * The shadow.  Per generation, per key: its current version, the tick of
 * its insertion and its place in a dense list of present keys (tick counts
 * mutations).  Per iterator: its start tick and a bitmap of the keys it
 * produced.  Because keys are never re-inserted, Go's rules become exact
 * checks, each fatal (mg_fatal, exit 2) on a divergence:
 *  - a produced key is present now, with its current val (an entry deleted
 *    before it is reached is not produced; the elem is the current one);
 *  - no key is produced twice (inserted-during-iteration: at most once);
 *  - at the end, every key inserted before the start and still present —
 *    so present for the whole iteration — was produced.
 * Retired maps and the final maps also pass mg_map_check.
 *
 * Decisions come from the stress_rng and the shadow only, never from the
 * map's layout, hash seed or iteration order (stress.h, inv.seed-only);
 * what an iterator produces depends on the hash seed, so it is checked but
 * never digested.  The checksum digests, for each lane in order, its
 * generation, len, and an order-independent sum over the final map's
 * (key, val.ver) pairs, read by a full iteration that is verified against
 * the shadow as well.  The counts printed before the summary (grows,
 * iterators started mid-grow, iterators that outlived a grow) come from
 * mg_map_info and may differ with MAPGC_DEBUG=seed=; the checksum does not.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

enum { GI_LANES = 4, GI_ITERS = 3 };

/* Operation mix, in percent (see the essay). */
enum {
	GI_PCT_INSERT = 40,
	GI_PCT_DELETE = 8,
	GI_PCT_OVERWRITE = 10,
	GI_PCT_LOOKUP = 10,
	GI_PCT_START = 4,
	GI_PCT_ADVANCE = 28,
};
_Static_assert(GI_PCT_INSERT + GI_PCT_DELETE + GI_PCT_OVERWRITE + GI_PCT_LOOKUP + GI_PCT_START +
	GI_PCT_ADVANCE == 100, "grow-iterate operation mix must add up to 100%");

/* One iterator in GI_ABANDON_ONE_IN is abandoned half-way. */
enum { GI_ABANDON_ONE_IN = 4 };

/* Most mg_map_next calls per advance: small against the maps, so an
 * iteration spans thousands of mutations and usually a grow. */
enum { GI_STEPS_MAX = 32 };

typedef struct gi_val {
	int64_t key;   /* the key it is stored under */
	int64_t ver;   /* tick of the store that made it */
} gi_val;

static const mg_type gi_val_type = {
	.name = "grow-iterate.val",
	.size = sizeof(gi_val),
	.align = _Alignof(gi_val),
};

/* The shadow of one key of one generation. */
typedef struct gi_key {
	int64_t ver;    /* version of the current val, while present */
	uint64_t born;  /* tick of the insertion */
	int64_t pos;    /* index in gi_gen.present; -1: deleted */
} gi_key;

/* The shadow of one map generation; freed when neither the lane nor an
 * iterator refers to it. */
typedef struct gi_gen {
	uint64_t gen;         /* from 1; keys are gen << 32 | index */
	uint64_t cap;         /* fresh keys it takes before retiring */
	uint64_t next;        /* fresh keys inserted so far */
	gi_key *keys;         /* [cap] */
	uint32_t *present;    /* indices of present keys, in no order; [cap] */
	uint64_t npresent;
	unsigned refs;        /* the lane while current, plus each iterator */
	uint64_t grows;       /* grow starts seen (mg_map_info; statistics only) */
	uint64_t growdones;   /* grow completions seen */
	bool was_growing;
	unsigned B;
} gi_gen;

/* The C side of an iterator slot. */
typedef struct gi_iter {
	gi_gen *g;            /* NULL: the slot is free */
	uint64_t start_tick;
	uint8_t *seen;        /* bitmap over g's key indices */
	uint64_t steps;       /* mg_map_next calls so far */
	uint64_t abandon_at;  /* steps after which it is abandoned; UINT64_MAX: never */
	uint64_t drop_delay;  /* ops it stays rooted once abandoned */
	uint64_t drop_at;     /* abandoned: the op at which it is dropped */
	bool abandoned;
	uint64_t grows0, growdones0;   /* g's counts at the start (statistics) */
} gi_iter;

typedef struct gi_lane {
	mg_hmap *m;               /* rooted "grow-iterate.map[L]" */
	gi_gen *g;
	mg_hiter *it[GI_ITERS];   /* rooted "grow-iterate.it[L.I]" */
	gi_iter st[GI_ITERS];
} gi_lane;

typedef struct gi_stats {
	uint64_t maps, grows_double, grows_same, iters, iters_midgrow;
	uint64_t completed, abandoned, outlived_grow, produced;
} gi_stats;

typedef struct gi {
	mg_runtime *rt;
	stress_rng rng;
	const mg_maptype *mt;
	uint64_t live;
	uint64_t tick;        /* mutations so far */
	uint64_t last_gen;
	gi_lane lane[GI_LANES];
	gi_stats st;
} gi;

static const char *const gi_map_names[GI_LANES] = {
	"grow-iterate.map[0]", "grow-iterate.map[1]", "grow-iterate.map[2]", "grow-iterate.map[3]",
};
static const char *const gi_it_names[GI_LANES][GI_ITERS] = {
	{ "grow-iterate.it[0.0]", "grow-iterate.it[0.1]", "grow-iterate.it[0.2]" },
	{ "grow-iterate.it[1.0]", "grow-iterate.it[1.1]", "grow-iterate.it[1.2]" },
	{ "grow-iterate.it[2.0]", "grow-iterate.it[2.1]", "grow-iterate.it[2.2]" },
	{ "grow-iterate.it[3.0]", "grow-iterate.it[3.1]", "grow-iterate.it[3.2]" },
};
_Static_assert(GI_LANES == 4 && GI_ITERS == 3, "root name tables list 4 lanes of 3 iterators");

/* ---- shadow ----------------------------------------------------------------- */

static void *
gi_calloc(gi *w, size_t n, size_t size)
{
	void *p = calloc(n > 0 ? n : 1, size);
	if (p == NULL)
		mg_fatal(w->rt, "grow-iterate: out of C memory (%zu x %zu bytes)", n, size);
	return p;
}

static int64_t
gi_key_of(const gi_gen *g, uint64_t idx)
{
	return (int64_t)(g->gen << 32 | idx);
}

static void
gi_gen_unref(gi_gen *g)
{
	if (--g->refs > 0)
		return;
	free(g->keys);
	free(g->present);
	free(g);
}

/* Watch the map's grow state after a mutation (statistics only). */
static void
gi_watch(gi *w, gi_lane *l)
{
	mg_mapinfo info;

	mg_map_info(l->m, &info);
	gi_gen *g = l->g;
	if (info.growing && !g->was_growing) {
		g->grows++;
		if (info.same_size)
			w->st.grows_same++;
		else
			w->st.grows_double++;
	} else if (!info.growing && info.B > g->B) {
		/* A small map doubled and finished within one operation. */
		g->grows++;
		g->growdones++;
		w->st.grows_double++;
	}
	if (!info.growing && g->was_growing)
		g->growdones++;
	g->was_growing = info.growing;
	g->B = info.B;
}

static void
gi_check_map(gi *w, const mg_hmap *m, const char *when)
{
	int bad = mg_map_check(w->rt, m, stderr);
	if (bad != 0)
		mg_fatal(w->rt, "grow-iterate: map verifier found %d problem(s) %s", bad, when);
}

/* Start generation gen+1 in lane l: a new, empty, un-hinted map. */
static void
gi_new_map(gi *w, gi_lane *l)
{
	if (l->g != NULL) {
		gi_check_map(w, l->m, "in a retired map");
		gi_gen_unref(l->g);
	}
	gi_gen *g = gi_calloc(w, 1, sizeof *g);
	uint64_t lo = w->live / 4 > 16 ? w->live / 4 : 16;
	uint64_t hi = w->live > lo ? w->live : lo;
	g->gen = ++w->last_gen;
	g->cap = lo + stress_rng_below(&w->rng, hi - lo + 1);
	g->keys = gi_calloc(w, (size_t)g->cap, sizeof *g->keys);
	g->present = gi_calloc(w, (size_t)g->cap, sizeof *g->present);
	g->refs = 1;
	l->g = g;
	l->m = NULL;   /* the old generation lives on only through its iterators */
	l->m = mg_map_new(w->rt, w->mt, 0);
	w->st.maps++;
}

/* ---- mutations ---------------------------------------------------------------- */

static void
gi_store(gi *w, gi_lane *l, uint64_t idx)
{
	mg_runtime *rt = w->rt;
	int64_t key = gi_key_of(l->g, idx);
	gi_val *v = NULL;
	mg_scope scope;

	mg_scope_enter(rt, &scope);
	mg_root(rt, &v, "grow-iterate.newval");
	v = mg_alloc(rt, &gi_val_type);
	v->key = key;
	v->ver = (int64_t)++w->tick;
	mg_map_set(rt, l->m, &key, &v);
	l->g->keys[idx].ver = v->ver;
	mg_scope_leave(rt, &scope);
	gi_watch(w, l);
}

static void
gi_insert(gi *w, gi_lane *l)
{
	if (l->g->next == l->g->cap)
		gi_new_map(w, l);
	gi_gen *g = l->g;
	uint64_t idx = g->next++;
	gi_store(w, l, idx);
	g->keys[idx].born = w->tick;
	g->keys[idx].pos = (int64_t)g->npresent;
	g->present[g->npresent++] = (uint32_t)idx;
}

static void
gi_delete(gi *w, gi_lane *l)
{
	gi_gen *g = l->g;
	if (g->npresent == 0)
		return;
	uint64_t j = stress_rng_below(&w->rng, g->npresent);
	uint32_t idx = g->present[j];
	int64_t key = gi_key_of(g, idx);

	mg_map_delete(w->rt, l->m, &key);
	w->tick++;
	g->present[j] = g->present[--g->npresent];
	g->keys[g->present[j]].pos = (int64_t)j;
	g->keys[idx].pos = -1;   /* last: j may have been the last slot itself */
	gi_watch(w, l);
}

static void
gi_overwrite(gi *w, gi_lane *l)
{
	gi_gen *g = l->g;
	if (g->npresent == 0)
		return;
	gi_store(w, l, g->present[stress_rng_below(&w->rng, g->npresent)]);
}

static void
gi_lookup(gi *w, gi_lane *l)
{
	gi_gen *g = l->g;
	uint64_t idx = stress_rng_below(&w->rng, g->next + 1);   /* next: never inserted */
	int64_t key = gi_key_of(g, idx);
	gi_val *v = NULL;
	bool want = idx < g->next && g->keys[idx].pos >= 0;
	bool ok = mg_map_get(w->rt, l->m, &key, &v);

	if (ok != want)
		mg_fatal(w->rt, "grow-iterate: lookup of key %#" PRIx64 " (gen %" PRIu64 ") %s, want %s",
			(uint64_t)key, g->gen, ok ? "hit" : "missed", want ? "a hit" : "a miss");
	if (ok && (v == NULL || v->key != key || v->ver != g->keys[idx].ver))
		mg_fatal(w->rt, "grow-iterate: lookup of key %#" PRIx64 " gave val {%" PRId64 ", %" PRId64
			"}, want {%" PRId64 ", %" PRId64 "}", (uint64_t)key, v ? v->key : -1,
			v ? v->ver : -1, key, g->keys[idx].ver);
}

/* ---- iterators ------------------------------------------------------------------ */

static void
gi_iter_release(gi *w, gi_lane *l, int i)
{
	gi_iter *s = &l->st[i];

	if (s->g->grows > s->grows0 || s->g->growdones > s->growdones0)
		w->st.outlived_grow++;
	l->it[i] = NULL;
	free(s->seen);
	gi_gen_unref(s->g);
	memset(s, 0, sizeof *s);
}

/* The draws of every iterator operation are made before looking at the
 * slot, and are the same whatever the slot holds: slot states depend on
 * when iterations end, that is on the iteration order (the hash seed), and
 * must not shift the stream that decides the mutations (inv.seed-only). */
static void
gi_start(gi *w, gi_lane *l)
{
	int i = (int)stress_rng_below(&w->rng, GI_ITERS);
	bool abandon = stress_rng_below(&w->rng, GI_ABANDON_ONE_IN) == 0;
	uint64_t abandon_at = stress_rng_below(&w->rng, l->g->npresent + 1);
	uint64_t drop_delay = 1 + stress_rng_below(&w->rng, w->live / 2 > 0 ? w->live / 2 : 1);
	gi_iter *s = &l->st[i];
	mg_mapinfo info;

	if (s->g != NULL)
		return;
	l->it[i] = mg_map_iter(w->rt, l->m);
	s->abandon_at = abandon ? abandon_at : UINT64_MAX;
	s->drop_delay = drop_delay;
	s->g = l->g;
	s->g->refs++;
	s->start_tick = w->tick;
	s->seen = gi_calloc(w, (size_t)(s->g->cap + 7) / 8, 1);
	s->grows0 = s->g->grows;
	s->growdones0 = s->g->growdones;
	w->st.iters++;
	mg_map_info(l->m, &info);
	if (info.growing)
		w->st.iters_midgrow++;
}

/* Check one produced pair against the shadow (see the essay). */
static void
gi_check_produced(gi *w, gi_iter *s, int64_t key, const gi_val *v)
{
	gi_gen *g = s->g;
	uint64_t idx = (uint64_t)key - (g->gen << 32);

	if (((uint64_t)key >> 32) != g->gen || idx >= g->next)
		mg_fatal(w->rt, "grow-iterate: iterator over gen %" PRIu64 " produced key %#" PRIx64
			", never inserted there", g->gen, (uint64_t)key);
	if (g->keys[idx].pos < 0)
		mg_fatal(w->rt, "grow-iterate: iterator over gen %" PRIu64 " produced key %#" PRIx64
			", deleted before it was reached", g->gen, (uint64_t)key);
	if (s->seen[idx / 8] & (1u << (idx % 8)))
		mg_fatal(w->rt, "grow-iterate: iterator over gen %" PRIu64 " produced key %#" PRIx64
			" twice", g->gen, (uint64_t)key);
	if (v == NULL || v->key != key || v->ver != g->keys[idx].ver)
		mg_fatal(w->rt, "grow-iterate: iterator produced key %#" PRIx64 " with val {%" PRId64
			", %" PRId64 "}, want the current {%" PRId64 ", %" PRId64 "}", (uint64_t)key,
			v ? v->key : -1, v ? v->ver : -1, key, g->keys[idx].ver);
	s->seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
}

/* The iteration ended: every key present for all of it must have come. */
static void
gi_check_complete(gi *w, const gi_iter *s)
{
	const gi_gen *g = s->g;

	for (uint64_t idx = 0; idx < g->next; idx++) {
		const gi_key *k = &g->keys[idx];
		if (k->pos >= 0 && k->born <= s->start_tick && !(s->seen[idx / 8] & (1u << (idx % 8))))
			mg_fatal(w->rt, "grow-iterate: iterator over gen %" PRIu64 " ended without key %#"
				PRIx64 ", present for the whole iteration", g->gen,
				(uint64_t)gi_key_of(g, idx));
	}
}

static void
gi_advance(gi *w, gi_lane *l, uint64_t op)
{
	int i = (int)stress_rng_below(&w->rng, GI_ITERS);
	uint64_t steps = 1 + stress_rng_below(&w->rng, GI_STEPS_MAX);
	gi_iter *s = &l->st[i];

	if (s->g == NULL || s->abandoned)
		return;
	for (uint64_t n = 0; n < steps; n++) {
		int64_t key;
		gi_val *v;   /* used before anything can allocate: needs no root */
		if (s->steps == s->abandon_at) {
			s->abandoned = true;
			s->drop_at = op + s->drop_delay;
			w->st.abandoned++;
			return;
		}
		s->steps++;
		if (!mg_map_next(w->rt, l->it[i], &key, &v)) {
			gi_check_complete(w, s);
			w->st.completed++;
			gi_iter_release(w, l, i);
			return;
		}
		gi_check_produced(w, s, key, v);
		w->st.produced++;
	}
}

static void
gi_drop_abandoned(gi *w, uint64_t op)
{
	for (int L = 0; L < GI_LANES; L++)
		for (int i = 0; i < GI_ITERS; i++)
			if (w->lane[L].st[i].abandoned && w->lane[L].st[i].drop_at <= op)
				gi_iter_release(w, &w->lane[L], i);
}

static void
gi_op(gi *w, uint64_t op)
{
	gi_lane *l = &w->lane[stress_rng_below(&w->rng, GI_LANES)];
	uint64_t r = stress_rng_below(&w->rng, 100);

	if (r < GI_PCT_INSERT)
		gi_insert(w, l);
	else if ((r -= GI_PCT_INSERT) < GI_PCT_DELETE)
		gi_delete(w, l);
	else if ((r -= GI_PCT_DELETE) < GI_PCT_OVERWRITE)
		gi_overwrite(w, l);
	else if ((r -= GI_PCT_OVERWRITE) < GI_PCT_LOOKUP)
		gi_lookup(w, l);
	else if ((r -= GI_PCT_LOOKUP) < GI_PCT_START)
		gi_start(w, l);
	else
		gi_advance(w, l, op);
	gi_drop_abandoned(w, op);
}

/* ---- checksum ------------------------------------------------------------------- */

/* Walk lane l's final map in full, verify it is exactly the shadow, and
 * digest it.  The iterator is allocated first (it may collect); the walk
 * itself neither allocates nor reaches a safepoint (inv.checksum-pure). */
static void
gi_digest_lane(gi *w, gi_lane *l, int L, stress_digest *d)
{
	mg_runtime *rt = w->rt;
	gi_gen *g = l->g;
	mg_hiter *it = NULL;
	mg_scope scope;
	uint64_t sum = 0, x = 0, n = 0;
	int64_t key;
	gi_val *v;

	gi_check_map(w, l->m, "in a final map");
	mg_scope_enter(rt, &scope);
	mg_root(rt, &it, "grow-iterate.final-it");
	it = mg_map_iter(rt, l->m);
	uint8_t *seen = gi_calloc(w, (size_t)(g->cap + 7) / 8, 1);
	gi_iter s = { .g = g, .start_tick = w->tick, .seen = seen };
	while (mg_map_next(rt, it, &key, &v)) {
		gi_check_produced(w, &s, key, v);
		uint64_t p = stress_pair((uint64_t)key, (uint64_t)v->ver);
		sum += p;
		x ^= stress_mix64(p);
		n++;
	}
	gi_check_complete(w, &s);
	free(seen);
	mg_scope_leave(rt, &scope);
	if (n != g->npresent || mg_map_len(l->m) != g->npresent)
		mg_fatal(rt, "grow-iterate: lane %d: iteration produced %" PRIu64 " entries, len %zu, "
			"shadow %" PRIu64, L, n, mg_map_len(l->m), g->npresent);
	stress_digest_add(d, g->gen);
	stress_digest_add(d, n);
	stress_digest_add(d, sum);
	stress_digest_add(d, x);
}

/* ---- the workload ---------------------------------------------------------------- */

static stress_result
gi_run(mg_runtime *rt, const stress_params *p)
{
	gi w = { .rt = rt, .rng = { p->seed }, .live = p->live };
	stress_result res = { 0 };
	stress_digest d;
	mg_scope scope;

	if (p->live > UINT32_MAX)
		mg_fatal(rt, "grow-iterate: --live %" PRIu64 " is over 2^32 keys per map", p->live);
	w.mt = mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr);
	mg_scope_enter(rt, &scope);
	for (int L = 0; L < GI_LANES; L++) {
		mg_root(rt, &w.lane[L].m, gi_map_names[L]);
		for (int i = 0; i < GI_ITERS; i++)
			mg_root(rt, &w.lane[L].it[i], gi_it_names[L][i]);
	}
	for (int L = 0; L < GI_LANES; L++)
		gi_new_map(&w, &w.lane[L]);
	for (uint64_t op = 0; op < p->ops; op++) {
		stress_tick(rt);
		gi_op(&w, op);
	}

	stress_digest_init(&d);
	for (int L = 0; L < GI_LANES; L++) {
		gi_digest_lane(&w, &w.lane[L], L, &d);
		res.live_end += w.lane[L].g->npresent;
	}
	res.checksum = stress_digest_final(&d);

	for (int L = 0; L < GI_LANES; L++) {
		for (int i = 0; i < GI_ITERS; i++)
			if (w.lane[L].st[i].g != NULL)
				gi_iter_release(&w, &w.lane[L], i);
		gi_gen_unref(w.lane[L].g);
	}
	mg_scope_leave(rt, &scope);

	printf("grow-iterate    %" PRIu64 " maps, %" PRIu64 " grows (%" PRIu64 " doubling, %" PRIu64
		" same-size)\n", w.st.maps, w.st.grows_double + w.st.grows_same, w.st.grows_double,
		w.st.grows_same);
	printf("iterators       %" PRIu64 " started (%" PRIu64 " mid-grow), %" PRIu64 " completed, %"
		PRIu64 " abandoned, %" PRIu64 " outlived a grow; %" PRIu64 " entries produced\n",
		w.st.iters, w.st.iters_midgrow, w.st.completed, w.st.abandoned, w.st.outlived_grow,
		w.st.produced);
	return res;
}

const stress_workload stress_workload_grow_iterate = {
	.name = "grow-iterate",
	.description =
		"Maps map[int64]*val that double while iterators are alive: 4 lanes, each a "
		"map taking fresh keys up to a capacity in [live/4, live] and then retired "
		"for a new one, with 3 iterator slots.  Ops: 40% insert, 8% delete, 10% "
		"overwrite, 10% lookup, 4% start an iterator (one in four is abandoned "
		"half-way and stays rooted up to live/2 ops), 28% advance one by 1..32 steps. "
		"Iterators start before, during and after grows, see mutations between "
		"mg_map_next calls and outlive grow completions, keeping arrays alive "
		"that no map holds any more.  Every produced entry is checked against a "
		"shadow model of Go's iteration semantics (present now, current elem, "
		"never twice; at the end every entry present throughout was produced); "
		"a divergence is fatal.  The checksum digests the final maps.",
	/* Defaults: about 1.2 s of CPU in a release build, ~55 cycles, ~60 maps
	 * and ~2000 iterators (seed 1). */
	.default_ops = 5000000,
	.default_live = 50000,
	.run = gi_run,
};
