/*
 * trace.c — maptrace=1: one line per cycle about the maps the collector
 * traced (DESIGN.md §5, a contract):
 *
 *   map N @S.SSSs: M maps, G growing (Z same-size), I iters: BN+BO buckets
 *   new+old, E/O evacuated, VN+VO overflow new+old, J iter-only arrays X KB,
 *   tophash F/E1/ER/EX/EY/EE full/emptyOne/emptyRest/evacX/evacY/evacEmpty
 *
 * HOW IT IS GATHERED.  As marking goes, per object the marker handles, with
 * a bounded amount of work each time, and nothing at all in the pauses but
 * printing the line.  The collector knows nothing about maps: the hmap and
 * hiter types carry scanned hooks (mg_type.scanned), bucket arrays a chunk
 * hook (rt_typeinfo.chunk, installed only with maptrace on), and the
 * collector carries tags on its work items (gc/gc.h, TAGGED WORK ITEMS).
 *
 *   1. The hmap hook (once per cycle per live map, when the marker has
 *      scanned it; maps allocated during mark are queued so they are
 *      scanned too) counts the map, whether it grows and how (M, G, Z), and
 *      the buckets of its current and old arrays (BN, BO: 2^B each, fixed
 *      for an array's life).  It then has each of the two arrays counted in
 *      its role, NEW or OLD, by the first of these that applies:
 *       a. its own scan has just pushed the array (it was white): it tags
 *          that work item (gc_tag_pushed), and the marker hooks each chunk
 *          right after scanning it, while its lines are in the cache;
 *       b. the marker has reached the array before the map (shaded by a
 *          barrier — an iterator's it.bptr store shades the array it
 *          leaves —, or from an iterator): its untagged chunks are counted
 *          as they are scanned, into an entry keyed by the array's address,
 *          pending; the hook gives the entry its role, so what was met so
 *          far joins the line's figures and later chunks go straight there;
 *       c. otherwise (a noscan array, which the marker never reads; one
 *          allocated during mark, black; one still queued untagged) it
 *          queues a hook-only item, asking for its first buckets now, and
 *          marks the entry claimed, so that chunks still queued untagged
 *          count nothing (the array is counted once per holder).
 *   2. The chunk hook gets one chunk of one array at a time, [from, to)
 *      (GC_SCAN_CHUNK bytes of buckets, the marker's own chunks), with the
 *      tag.  For each of the array's 2^B buckets in the chunk it walks the
 *      bucket and its overflow chain, counting the tophash states of every
 *      cell met (SWAR, eight at a time), the overflow buckets (VN or VO by
 *      role), for an old array the evacuated buckets (E), and for an
 *      iter-only array its size (X: its length, preallocated buckets
 *      included, and the chained buckets that lie outside it).  The
 *      preallocated overflow buckets at the array's end are counted only
 *      when a chain reaches them (an unused one is not a bucket of the
 *      map).  Its work counts toward the slice's budget, not toward the
 *      pacer's scan work.
 *   3. The hiter hook counts the iterator (I).  If, at that moment, the
 *      array it holds is neither the current nor the old array of its map,
 *      that array is iter-only: counted once (J; the entry catches a second
 *      iterator on it) and counted as in step 1 in the role ITER.  Its map
 *      is the only map to compare with: an array belongs to the map that
 *      made it for its whole life (grows make fresh arrays, a clear makes
 *      one or reuses its own), and it.h is that map, alive since the
 *      iterator holds it.
 *   4. Mark termination needs nothing: every chunk was processed before the
 *      queue ran dry (or by the drain in the pause, which only under
 *      Dijkstra can meet a map first found by its root rescan — the hooks'
 *      work then joins marking work that pause does anyway).  The line is
 *      printed at the cycle's end.  Entries (O(arrays reached before their
 *      holders), a small table) are emptied at mark start in O(1): each
 *      slot carries the cycle that wrote it.
 *
 * WHAT THE FIGURES MEAN.  Each holder's view, counted once per cycle:
 * which arrays a map holds, its B and whether it grows are its state when
 * the marker scanned the hmap; whether an iterator's array is iter-only,
 * its state when the marker scanned the iterator; the cells of a bucket
 * and its chain, their state when the marker processed the chunk holding
 * that bucket, in the same cycle, before or after its holder's scan (1b).
 * A chain is walked whole inside one hook call, so each chain is seen at
 * one moment (and one call can exceed a chunk by its chains: a chain is
 * never split).  While nothing changes during marking (every exact test:
 * mg_gc with the program waiting) that is one snapshot, the same figures
 * as walking every map at any moment of the cycle.  While maps change
 * between slices, the figures mix moments, and are defined as follows:
 *  - BN and BO are those of the arrays held at the map's scan (a map that
 *    grows or finishes a grow later in the mark is counted as it was);
 *  - E counts the old buckets that were evacuated when their chunk was
 *    processed: a bucket evacuated between two chunks of its array counts
 *    if its own chunk came later: E <= O always, and E can pass the map's
 *    nevacuate at its scan (or, after a clear mid-grow, which marks every
 *    old cell emptyRest, fall below it);
 *  - an entry that moves (evacuation) between the counting of its old
 *    bucket and of its new one may be met as a full cell in both, or in
 *    neither (its old cell already marked evacX/evacY, its new cell not
 *    yet filled): F counts filled cells met, not entries;
 *  - every bucket counted is counted with all eight cells, so the six
 *    tophash figures add up to exactly 8 x (BN + BO + VN + VO + the
 *    buckets of iter-only arrays), at every cycle (a test checks it under
 *    mutation, with map_trace_test_walks);
 *  - an array that a map held at its scan and that became iter-only before
 *    its iterator's scan (the grow finished in between) is counted under
 *    both holders, as it was held by both; one that became iter-only after
 *    its iterator's scan shows as iter-only from the next cycle on; one the
 *    marker reached before its map, and that the map no longer held at its
 *    scan, is counted under no holder.
 *
 * SAFETY.  The walks read chains while the program runs between slices;
 * nothing is freed during mark (sweeping starts after mark termination),
 * so every bucket a chain pointer names is allocated memory while marking
 * lasts, whatever the map did since its scan.
 *
 * SEVERAL Ps.  The hmap and hiter hooks, and the chunks of an array met
 * before its holder (1b: the entries are P 0's), run on P 0 only, the
 * mutator's P.  A tagged chunk (1a, 1c) may be walked on a mark worker
 * while the map changes: it reads only tophash words and overflow links,
 * which the map writes atomically (map.h, TOPHASH AND OVERFLOW WORDS), so
 * the walk sees each word as of some moment, exactly as a walk on P 0
 * between two slices sees the map as of its moment; its figures go to the
 * P's own map_trace_acc, summed into the line's when marking is done.
 *
 * COST.  maptrace=0: the hooks are one test each; bucket types get no chunk
 * hook, so the marker's test of it is never taken.  maptrace=1: per map,
 * O(1) in its hook plus a tag search over the (at most three) items its
 * scan pushed; per bucket, one 8-byte tophash word (in the cache for arrays
 * the marker has just scanned) and the overflow pointer; noscan arrays are
 * read only for this (half the lines of an int64 array: what maptrace adds
 * to the marker's memory traffic, and most of what it costs many-maps).
 */
#include "maptype/map.h"

#include <inttypes.h>
#include <stdlib.h>

/* Cell counts in SWAR form: byte j of n[st] counts the cells j in state
 * st of the buckets met, one per bucket, so a byte holds 255 buckets
 * before the lanes must be summed (lanes_sum).  Locals of the walk, so
 * that they live in registers. */
typedef struct cell_lanes {
	uint64_t n[MAP_MIN_TOPHASH]; /* by state: emptyRest, emptyOne, evacX, evacY, evacEmpty */
	unsigned buckets;            /* since the lanes were last summed */
} cell_lanes;

/* What the walk of part of an array met (one chunk, or the chunks an
 * array has had while its entry was pending). */
typedef struct map_counts {
	uint64_t cells[MAP_MIN_TOPHASH]; /* cells met in each state below minTopHash; full: the rest */
	uint64_t met;       /* buckets met: of the array, and in their chains */
	uint64_t ovf;       /* of those, chained: overflow buckets */
	uint64_t outside;   /* of those, not inside the array's own allocation */
	uint64_t evac;      /* buckets of the array that were evacuated */
	uint64_t own_bytes; /* the array's own allocation, once its first chunk was walked */
} map_counts;

/* The state of an array met out of order this cycle (step 1b, 1c). */
typedef enum map_entry_state {
	ENT_NONE,     /* only iter_only says something */
	ENT_PENDING,  /* untagged chunks counted into `counts`, no holder yet */
	ENT_RESOLVED, /* a holder took it in `role`: untagged chunks count there */
	ENT_CLAIMED,  /* a holder queued a hook-only item: untagged chunks count nothing */
} map_entry_state;

typedef struct map_entry {
	const void *arr;
	uint8_t state;      /* map_entry_state */
	uint8_t role;       /* ENT_RESOLVED: the holder's role */
	bool iter_only;     /* counted as iter-only this cycle */
	map_counts counts;  /* ENT_PENDING: what its chunks met */
} map_entry;

/* The index of the entries by array: open addressing on the address, a slot
 * valid only in the cycle (epoch) that wrote it, so that emptying it at
 * mark start is O(1), in the pause. */
typedef struct map_entry_slot {
	const void *arr;
	uint64_t epoch;
	size_t idx;
} map_entry_slot;

/* A work item's tag: the role in the low bits (0: untagged, the marker's
 * own item), GC_TAG_HOOK_ONLY above. */
#define TAG_ROLE_MASK 7u
_Static_assert(MAP_TRACE_NROLES <= TAG_ROLE_MASK + 1, "roles fit the tag's role bits");

/* What chunk walks add to the line, gathered per P (a tagged chunk may be
 * walked on any P: gc/work.c, HOOKED TYPES) and summed when marking is
 * done, the workers stopped (merge_accs). */
typedef struct map_trace_acc {
	/* The cells: in buckets met, and by state below minTopHash, partly
	 * still in SWAR lanes (tophash_of sums them); full cells are the rest.
	 * Each P's on its own cache lines. */
	_Alignas(GC_CACHE_LINE) uint64_t met;
	uint64_t cells[MAP_MIN_TOPHASH];
	cell_lanes lanes;
	uint64_t evac, vn, vo, iter_only_bytes;
	map_trace_walks walks;
} map_trace_acc;

typedef struct map_trace {
	uint64_t maps, growing, same_size, iters;
	uint64_t bn, bo, iter_only;
	map_trace_acc a;     /* P 0's, and at the cycle's end everyone's */
	map_trace_acc *accs; /* the other Ps', by P (accs[0] unused); naccs of them */
	uint32_t naccs;
	map_entry *ent;      /* this cycle's entries */
	size_t nent, capent;
	map_entry_slot *slot;
	size_t slot_cap;     /* power of two, at least twice nent */
	uint64_t epoch;      /* the cycle's; slots with another one are empty */
	map_trace_walks walks;
} map_trace;

static const char trace_key;

static void trace_destroy(mg_runtime *rt, void *data)
{
	(void)rt;
	map_trace *s = data;
	free(s->ent);
	free(s->slot);
	free(s->accs);
	free(s);
}

static map_trace *trace_of(mg_runtime *rt)
{
	map_trace *s = rt_ext_get(rt, &trace_key);
	if (!s) {
		s = aligned_alloc(GC_CACHE_LINE, sizeof *s); /* map_trace_acc is line-aligned */
		if (!s)
			rt_out_of_memory(rt, sizeof *s);
		memset(s, 0, sizeof *s);
		s->epoch = 1;
		rt_ext_put(rt, &trace_key, s, trace_destroy);
	}
	return s;
}

/* From a hook: the figures, through the map runtime (one load, not a search
 * of the runtime's extensions on every chunk). */
static map_trace *trace_of_type(mg_runtime *rt, const mg_maptype *t)
{
	map_rt *m = t->mrt;
	if (RT_UNLIKELY(!m->trace))
		m->trace = trace_of(rt);
	return m->trace;
}

/* ---- entries ------------------------------------------------------------- */

static size_t slot_index(const void *arr, size_t cap)
{
	return (size_t)rt_mix64((uint64_t)(uintptr_t)arr) & (cap - 1);
}

static map_entry *entry_find(map_trace *s, const void *arr)
{
	if (!s->nent)
		return NULL;
	for (size_t j = slot_index(arr, s->slot_cap); s->slot[j].epoch == s->epoch; j = (j + 1) & (s->slot_cap - 1))
		if (s->slot[j].arr == arr)
			return &s->ent[s->slot[j].idx];
	return NULL;
}

/* The hooks run inside the collector: they must not allocate on the heap;
 * growing these malloc'd tables is fine, and running out is fatal.  Their
 * capacity is kept from cycle to cycle, so they grow in the first cycles
 * only (a doubling rehashes inside one hook call: O(entries), once). */
static void *grow(mg_runtime *rt, void *v, size_t *cap, size_t elem)
{
	*cap = *cap ? *cap * 2 : 64;
	void *n = realloc(v, *cap * elem);
	if (!n)
		rt_out_of_memory(rt, *cap * elem);
	return n;
}

static void slots_grow(mg_runtime *rt, map_trace *s)
{
	size_t ncap = s->slot_cap ? s->slot_cap * 2 : 128;
	map_entry_slot *n = calloc(ncap, sizeof *n);
	if (!n)
		rt_out_of_memory(rt, ncap * sizeof *n);
	for (size_t i = 0; i < s->slot_cap; i++) {
		if (s->slot[i].epoch != s->epoch)
			continue;
		size_t j = slot_index(s->slot[i].arr, ncap);
		while (n[j].epoch == s->epoch)
			j = (j + 1) & (ncap - 1);
		n[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = n;
	s->slot_cap = ncap;
}

/* arr's entry, made (ENT_NONE) if it has none. */
static map_entry *entry_get(mg_runtime *rt, map_trace *s, const void *arr)
{
	map_entry *e = entry_find(s, arr);
	if (e)
		return e;
	if ((s->nent + 1) * 2 > s->slot_cap)
		slots_grow(rt, s);
	if (s->nent == s->capent)
		s->ent = grow(rt, s->ent, &s->capent, sizeof *s->ent);
	size_t j = slot_index(arr, s->slot_cap);
	while (s->slot[j].epoch == s->epoch)
		j = (j + 1) & (s->slot_cap - 1);
	s->slot[j] = (map_entry_slot){arr, s->epoch, s->nent};
	e = &s->ent[s->nent++];
	memset(e, 0, sizeof *e);
	e->arr = arr;
	return e;
}

/* ---- counting, chunk by chunk -------------------------------------------- */

/* Adds one bucket's tophash word w.  Every state is below minTopHash (5),
 * so each is told apart by the three low bits of the cells below 5:
 * 0 = 000, 1 = 001, 2 = 010, 3 = 011, 4 = 100 (bit planes p0, p1, p2, one
 * 0x01 per cell).  About twenty operations, no multiply, no popcount; a
 * bucket of full cells, or of emptyRest ones, is one test. */
static inline void lanes_add(cell_lanes *l, uint64_t w)
{
	_Static_assert(MAP_EMPTY_REST == 0 && MAP_EMPTY_ONE == 1 && MAP_EVACUATED_X == 2 && MAP_EVACUATED_Y == 3 &&
	                   MAP_EVACUATED_EMPTY == 4 && MAP_MIN_TOPHASH == 5,
	               "the bit planes below read these values");
	/* 0x80 in each byte below 5: neither its top bit nor (low 7 bits + 123)'s. */
	l->buckets++;
	if (w == 0) { /* all emptyRest: most buckets of a sparse map (many-maps: 3 cells in 4) */
		l->n[MAP_EMPTY_REST] += 0x0101010101010101ULL;
		return;
	}
	uint64_t below = ~(((w & 0x7f7f7f7f7f7f7f7fULL) + 0x7b7b7b7b7b7b7b7bULL) | w) & 0x8080808080808080ULL;
	if (!below)
		return;
	uint64_t one = below >> 7;
	uint64_t p0 = w & one, p1 = (w >> 1) & one, p2 = (w >> 2) & one, hi = p1 | p2;
	l->n[MAP_EMPTY_REST] += one ^ (p0 | hi);
	l->n[MAP_EMPTY_ONE] += p0 & ~hi;
	l->n[MAP_EVACUATED_X] += p1 & ~p0;
	l->n[MAP_EVACUATED_Y] += p1 & p0;
	l->n[MAP_EVACUATED_EMPTY] += p2;
}

/* Sums the lanes into c (by state) and empties them. */
static inline void lanes_sum(cell_lanes *l, uint64_t c[MAP_MIN_TOPHASH])
{
	for (int st = 0; st < MAP_MIN_TOPHASH; st++) {
		uint64_t x = l->n[st];
		x = (x & 0x00ff00ff00ff00ffULL) + ((x >> 8) & 0x00ff00ff00ff00ffULL);
		c[st] += (x * 0x0001000100010001ULL) >> 48;
		l->n[st] = 0;
	}
	l->buckets = 0;
}

static inline void lanes_add_bucket(cell_lanes *l, uint64_t c[MAP_MIN_TOPHASH], const void *b)
{
	lanes_add(l, map_tophash_word(b));
	if (RT_UNLIKELY(l->buckets == 255))
		lanes_sum(l, c);
}

/* Buckets asked for ahead of the walk of an array the marker has not just
 * scanned (hook-only items: noscan arrays, mostly).  Each is two lines
 * (its tophash and its overflow pointer: in an int64 bucket of 144 bytes
 * the second is the next bucket's first), so 8 buckets keep 16 misses in
 * flight, about what one core overlaps; most of many-maps' arrays have
 * fewer, and are then asked for all at once. */
#define WALK_AHEAD 8

static inline void prefetch_bucket(const mg_maptype *t, void *arr, uint64_t i)
{
	char *b = map_bucket_at(t, arr, i);
	__builtin_prefetch(b);
	__builtin_prefetch(b + t->overflow_off);
}

/* How far ahead the walk asks for the first overflow bucket of a chain:
 * overflow buckets lie anywhere in the heap, and waiting on them was most
 * of the walk's time (perf, grow-iterate: the loads of the chained
 * buckets took 58 % of map_trace_chunk's samples).  The bucket 4 ahead was
 * asked for WALK_AHEAD - 4 buckets ago, so reading its overflow pointer
 * costs no wait.  Only for cold walks: after a scan, the marker has just
 * shaded, and so asked for, every overflow bucket of the chunk. */
#define CHAIN_AHEAD 4
_Static_assert(CHAIN_AHEAD < WALK_AHEAD, "the overflow pointer read ahead has been asked for");

/* Walks buckets [from, end) of arr, each with its whole chain (bounded, so
 * that a corrupt map cannot hang a trace): the cells into *into (lanes,
 * summed into cells when full), the rest into *c (zeroed by the caller);
 * cold: arr's lines are not in the cache (the first WALK_AHEAD buckets of
 * an array were asked for when it was queued, count_array); old: count
 * evacuated buckets. */
__attribute__((always_inline)) static inline void walk_k(const mg_maptype *t, void *arr, uint32_t len, uint64_t from,
                                                          uint64_t end, bool cold, bool old, cell_lanes *into,
                                                          uint64_t cells[MAP_MIN_TOPHASH], map_counts *c)
{
	uintptr_t lo = (uintptr_t)arr, hi = lo + (uint64_t)len * t->bucketsize;
	uint64_t ovf = 0, outside = 0, evac = 0;
	cell_lanes lanes = *into; /* a local: in registers through the loop */
	if (cold && from != 0)
		for (uint64_t i = from; i < end && i < from + WALK_AHEAD; i++)
			prefetch_bucket(t, arr, i);
	for (uint64_t i = from; i < end; i++) {
		if (cold && i + WALK_AHEAD < end)
			prefetch_bucket(t, arr, i + WALK_AHEAD);
		if (cold && i + CHAIN_AHEAD < end) {
			void *next = map_overflow(t, map_bucket_at(t, arr, i + CHAIN_AHEAD));
			if (next)
				__builtin_prefetch(next);
		}
		void *b = map_bucket_at(t, arr, i);
		if (old)
			evac += map_evacuated(b);
		lanes_add_bucket(&lanes, cells, b);
		uint64_t guard = 0;
		for (b = map_overflow(t, b); b && guard < (1u << 20); b = map_overflow(t, b), guard++) {
			ovf++;
			outside += (uintptr_t)b < lo || (uintptr_t)b >= hi;
			lanes_add_bucket(&lanes, cells, b);
		}
	}
	*into = lanes;
	c->ovf = ovf;
	c->outside = outside;
	c->evac = evac;
	c->met = end - from + ovf;
}

/* One body per (cold, old), each with its tests folded away: the loop is
 * short of registers, and every test left in it costs a spill. */
#define WALK_KINDS(X) X(hot, false, false) X(hot_old, false, true) X(cold, true, false) X(cold_old, true, true)
#define X(name, cold, old) \
	__attribute__((noinline)) static void walk_##name(const mg_maptype *t, void *arr, uint32_t len, uint64_t from, \
	                                                  uint64_t end, cell_lanes *into, uint64_t *cells, map_counts *c) \
	{ \
		walk_k(t, arr, len, from, end, cold, old, into, cells, c); \
	}
WALK_KINDS(X)
#undef X

static void walk_chunk(const mg_maptype *t, void *arr, uint32_t len, uint64_t from, uint64_t end, bool cold,
                       bool old, cell_lanes *into, uint64_t cells[MAP_MIN_TOPHASH], map_counts *c)
{
	if (cold)
		(old ? walk_cold_old : walk_cold)(t, arr, len, from, end, into, cells, c);
	else
		(old ? walk_hot_old : walk_hot)(t, arr, len, from, end, into, cells, c);
}

static void counts_add(map_counts *to, const map_counts *c)
{
	for (int st = 0; st < MAP_MIN_TOPHASH; st++)
		to->cells[st] += c->cells[st];
	to->met += c->met;
	to->ovf += c->ovf;
	to->outside += c->outside;
	to->evac += c->evac;
	to->own_bytes += c->own_bytes;
}

/* Into the line's figures, for an array counted in `role` (its cells, if
 * the walk did not put them in the line's lanes directly). */
static void totals_add(mg_runtime *rt, map_trace_acc *s, unsigned role, const map_counts *c, uint32_t bucketsize)
{
	for (int st = 0; st < MAP_MIN_TOPHASH; st++)
		s->cells[st] += c->cells[st];
	s->met += c->met;
	s->walks.counted[role] += c->met;
	switch (role) {
	case MAP_TRACE_NEW:
		s->vn += c->ovf;
		break;
	case MAP_TRACE_OLD:
		s->vo += c->ovf;
		s->evac += c->evac;
		break;
	case MAP_TRACE_ITER:
		s->iter_only_bytes += c->own_bytes + c->outside * bucketsize;
		break;
	default:
		mg_fatal(rt, "maptrace: a bucket array counted in role %u", role);
	}
}

static void note_walk(map_trace_walks *w, unsigned role, bool cold, const map_counts *c)
{
	uint64_t main = c->met - c->ovf;
	w->calls++;
	w->cold += cold ? c->met : 0;
	if (main > w->max_main)
		w->max_main = main;
	if (c->met > w->max_all)
		w->max_all = c->met;
	w->buckets[role] += c->met;
}

uint64_t map_trace_chunk(mg_runtime *rt, void *arr, uint32_t len, uint32_t from, uint32_t to, uint32_t tag,
                         void *ud)
{
	const mg_maptype *t = ud;
	/* Elements past 2^B are the preallocated overflow buckets: reached
	 * through chains only. */
	uint64_t nb = map_array_nbuckets(len), end = to < nb ? to : nb;
	if (from >= end)
		return 0;
	map_trace *s = trace_of_type(rt, t);
	bool cold = (tag & GC_TAG_HOOK_ONLY) != 0;
	unsigned role = tag & TAG_ROLE_MASK;
	map_entry *pending = NULL;
	/* A tagged chunk may be walked on any P, into that P's figures; an
	 * untagged one only on P 0, which owns the entries (gc/work.c). */
	uint32_t pid = gc_current_pid();
	map_trace_acc *acc = pid == 0 ? &s->a : &s->accs[pid];
	if (role == 0) { /* the marker's own item: no holder's hook has seen the array (1b) */
		map_entry *e = entry_get(rt, s, arr);
		if (e->state == ENT_CLAIMED)
			return 0;
		if (e->state == ENT_RESOLVED) {
			role = e->role;
		} else {
			e->state = ENT_PENDING;
			pending = e;
			role = MAP_TRACE_PENDING;
		}
	}
	map_counts c;
	memset(&c, 0, sizeof c);
	/* A pending array may turn out to be an old one: count its evacuated
	 * buckets too. */
	bool old = role == MAP_TRACE_OLD || role == MAP_TRACE_PENDING;
	if (pending) {
		cell_lanes lanes = {{0}, 0};
		walk_chunk(t, arr, len, from, end, cold, old, &lanes, c.cells, &c);
		lanes_sum(&lanes, c.cells);
	} else {
		/* The cells go straight to the line's lanes: summing lanes was
		 * most of the cost of a call on a small array. */
		walk_chunk(t, arr, len, from, end, cold, old, &acc->lanes, acc->cells, &c);
	}
	if (from == 0)
		c.own_bytes = (uint64_t)len * t->bucketsize; /* preallocated buckets included */
	if (pending)
		counts_add(&pending->counts, &c);
	else
		totals_add(rt, acc, role, &c, t->bucketsize);
	note_walk(&acc->walks, role, cold, &c);
	/* The budget's charge: every bucket read for a hook-only item; after a
	 * scan, the chains (elsewhere in memory) and the tophash words (in
	 * the cache: the chunk was just scanned). */
	if (cold)
		return c.met * t->bucketsize;
	return c.ovf * t->bucketsize + (c.met - c.ovf) * MAP_BUCKET_CNT;
}

/* ---- the scanned hooks ----------------------------------------------------- */

/* Step 1: has arr (of nb = 2^B buckets) counted once in `role`, for the
 * holder whose hook is running. */
static void count_array(mg_runtime *rt, map_trace *s, const mg_maptype *t, void *arr, uint64_t nb, uint32_t role)
{
	if (!t->noscan) { /* the marker never queues noscan arrays: neither 1a nor 1b */
		if (gc_tag_pushed(rt, arr, role))
			return; /* 1a */
		map_entry *e = entry_get(rt, s, arr);
		if (e->state == ENT_PENDING) { /* 1b */
			e->state = ENT_RESOLVED;
			e->role = (uint8_t)role;
			totals_add(rt, &s->a, role, &e->counts, t->bucketsize);
			return;
		}
		if (e->state == ENT_NONE)
			e->state = ENT_CLAIMED;
		/* Resolved or claimed by another holder (a map's array that is
		 * iter-only now): this holder's count is its own. */
	}
	/* 1c.  Its first buckets are asked for now, the walk's head start:
	 * the item is done a few items later (gc_push_tagged), and most
	 * arrays are that few buckets (perf, many-maps: the walk's loads of
	 * them were most of its samples). */
	for (uint64_t i = 0; i < WALK_AHEAD && i < nb; i++)
		prefetch_bucket(t, arr, i);
	gc_push_tagged(rt, arr, 0, role | GC_TAG_HOOK_ONLY);
}

void map_hmap_scanned(mg_runtime *rt, const void *obj, size_t len, void *ud)
{
	(void)len;
	(void)ud;
	if (!rt->cfg.maptrace)
		return;
	const mg_hmap *h = obj;
	if (!h->t)
		return;
	map_trace *s = trace_of_type(rt, h->t);
	s->maps++;
	if (!h->buckets)
		return;
	s->bn += map_bucket_shift(h->B);
	count_array(rt, s, h->t, h->buckets, map_bucket_shift(h->B), MAP_TRACE_NEW);
	if (h->oldbuckets) {
		s->growing++;
		s->same_size += map_same_size_grow(h);
		s->bo += map_noldbuckets(h);
		count_array(rt, s, h->t, h->oldbuckets, map_noldbuckets(h), MAP_TRACE_OLD);
	}
}

void map_iter_scanned(mg_runtime *rt, const void *obj, size_t len, void *ud)
{
	(void)len;
	(void)ud;
	if (!rt->cfg.maptrace)
		return;
	const mg_hiter *it = obj;
	map_trace *s = trace_of(rt);
	s->iters++;
	const mg_hmap *h = it->h;
	/* On one of its map's arrays: the map's hook counts it (step 3). */
	if (!it->buckets || !h || it->buckets == h->buckets || it->buckets == h->oldbuckets)
		return;
	map_entry *e = entry_get(rt, s, it->buckets);
	if (e->iter_only)
		return;
	e->iter_only = true;
	s->iter_only++;
	count_array(rt, s, h->t, it->buckets, map_bucket_shift(it->B), MAP_TRACE_ITER);
}

/* ---- the line ---------------------------------------------------------------- */

/* The six tophash figures: full, emptyOne, emptyRest, evacX, evacY,
 * evacEmpty. */
static void tophash_of(map_trace_acc *s, uint64_t out[6])
{
	lanes_sum(&s->lanes, s->cells);
	uint64_t notfull = 0;
	for (int st = 0; st < MAP_MIN_TOPHASH; st++)
		notfull += s->cells[st];
	out[0] = MAP_BUCKET_CNT * s->met - notfull;
	out[1] = s->cells[MAP_EMPTY_ONE];
	out[2] = s->cells[MAP_EMPTY_REST];
	out[3] = s->cells[MAP_EVACUATED_X];
	out[4] = s->cells[MAP_EVACUATED_Y];
	out[5] = s->cells[MAP_EVACUATED_EMPTY];
}

static void print_line(mg_runtime *rt, map_trace *s, uint32_t cycle)
{
	gc_state *gc = gc_of(rt);
	uint64_t th[6];
	tophash_of(&s->a, th);
	uint64_t since = gc->last.t_start - rt->start_ns;
	rt_trace_line(rt,
	              "map %u @%" PRIu64 ".%03" PRIu64 "s: %" PRIu64 " maps, %" PRIu64 " growing (%" PRIu64
	              " same-size), %" PRIu64 " iters: %" PRIu64 "+%" PRIu64 " buckets new+old, %" PRIu64
	              "/%" PRIu64 " evacuated, %" PRIu64 "+%" PRIu64 " overflow new+old, %" PRIu64
	              " iter-only arrays %" PRIu64 " KB, tophash %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
	              "/%" PRIu64 "/%" PRIu64 " full/emptyOne/emptyRest/evacX/evacY/evacEmpty\n",
	              cycle, since / 1000000000, since / 1000000 % 1000, s->maps, s->growing, s->same_size,
	              s->iters, s->bn, s->bo, s->a.evac, s->bo, s->a.vn, s->a.vo, s->iter_only, s->a.iter_only_bytes >> 10,
	              th[0], th[1], th[2], th[3], th[4], th[5]);
}

/* Mark start, world stopped, before the workers start: O(1) but for the
 * Ps' figures (allocated here, so that the workers find them). */
static void reset(mg_runtime *rt, map_trace *s)
{
	map_entry *ent = s->ent;
	map_entry_slot *slot = s->slot;
	size_t capent = s->capent, slot_cap = s->slot_cap;
	map_trace_acc *accs = s->accs;
	uint32_t naccs = s->naccs, nproc = gc_of(rt)->nproc;
	uint64_t epoch = s->epoch + 1;
	memset(s, 0, sizeof *s);
	s->ent = ent;
	s->capent = capent;
	s->slot = slot;
	s->slot_cap = slot_cap;
	s->epoch = epoch;
	if (naccs < nproc) {
		free(accs);
		accs = aligned_alloc(GC_CACHE_LINE, nproc * sizeof *accs);
		if (!accs)
			rt_out_of_memory(rt, nproc * sizeof *accs);
		naccs = nproc;
	}
	memset(accs, 0, naccs * sizeof *accs);
	s->accs = accs;
	s->naccs = naccs;
}

static void walks_add(map_trace_walks *to, const map_trace_walks *w)
{
	to->calls += w->calls;
	to->cold += w->cold;
	if (w->max_main > to->max_main)
		to->max_main = w->max_main;
	if (w->max_all > to->max_all)
		to->max_all = w->max_all;
	for (int r = 0; r < MAP_TRACE_NROLES; r++) {
		to->buckets[r] += w->buckets[r];
		to->counted[r] += w->counted[r];
	}
}

/* Marking done, the workers stopped (before the gc line, whose trace hook
 * may read the figures): the other Ps' figures into P 0's. */
static void merge_accs(map_trace *s)
{
	for (uint32_t i = 1; i < s->naccs; i++) {
		map_trace_acc *o = &s->accs[i];
		lanes_sum(&o->lanes, o->cells);
		for (int st = 0; st < MAP_MIN_TOPHASH; st++)
			s->a.cells[st] += o->cells[st];
		s->a.met += o->met;
		s->a.evac += o->evac;
		s->a.vn += o->vn;
		s->a.vo += o->vo;
		s->a.iter_only_bytes += o->iter_only_bytes;
		walks_add(&s->a.walks, &o->walks);
		memset(o, 0, sizeof *o);
	}
}

static void on_cycle(mg_runtime *rt, rt_cycle_event ev, uint32_t cycle, void *ud)
{
	(void)ud;
	if (!rt->cfg.maptrace)
		return;
	map_trace *s = trace_of(rt);
	if (ev == RT_CYCLE_MARK_START)
		reset(rt, s);
	else if (ev == RT_CYCLE_MARK_DONE)
		merge_accs(s);
	else if (ev == RT_CYCLE_END)
		print_line(rt, s, cycle);
}

static void map_trace_attach(mg_runtime *rt)
{
	rt_cycle_hook_add(rt, on_cycle, NULL);
	map_rt_of(rt); /* made now, by the one thread: map_rt_of's lookup is then read-only */
}

/* Every runtime gets the map line, maps or not (a trace of a map-free
 * program still says "0 maps"), without the gc knowing this layer. */
__attribute__((constructor)) static void map_trace_register(void)
{
	rt_layer_register(map_trace_attach);
}

/* Read-only view of the last cycle's figures, for tests. */
void map_trace_last(mg_runtime *rt, uint64_t out[16])
{
	map_trace *s = trace_of(rt);
	uint64_t th[6];
	tophash_of(&s->a, th);
	uint64_t v[16] = {s->maps, s->growing, s->same_size, s->iters, s->bn, s->bo, s->a.evac, s->a.vn, s->a.vo,
	                  s->iter_only, s->a.iter_only_bytes, th[0], th[1], th[2], th[3] + th[4], th[5]};
	memcpy(out, v, sizeof v);
}

void map_trace_test_walks(mg_runtime *rt, map_trace_walks *out, bool reset_after)
{
	map_trace *s = trace_of(rt);
	*out = s->a.walks;
	if (reset_after)
		memset(&s->a.walks, 0, sizeof s->a.walks);
}
