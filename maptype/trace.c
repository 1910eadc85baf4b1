/*
 * trace.c — maptrace=1: one line per cycle about the maps the collector
 * traced (DESIGN.md §5, a contract):
 *
 *   map N @S.SSSs: M maps, G growing (Z same-size), I iters: BN+BO buckets
 *   new+old, E/O evacuated, VN+VO overflow new+old, J iter-only arrays X KB,
 *   tophash F/E1/ER/EX/EY/EE full/emptyOne/emptyRest/evacX/evacY/evacEmpty
 *
 * How it is gathered without the collector knowing about maps: the hmap
 * and hiter types carry scan hooks (mg_type.scanned), which the marker calls
 * once per cycle for every live map and iterator, when it scans them (maps
 * and iterators allocated during mark are queued so they are scanned too).
 * The hmap hook walks the map's current and old arrays and their chains,
 * counting buckets, overflow buckets, evacuated old buckets and tophash
 * states, and records the map; the hiter hook records the array the
 * iterator holds.  At mark termination (world stopped) the arrays held by
 * iterators that are neither the current nor the old array of any live
 * map at that moment are the "iter-only" arrays: counted, sized (the array,
 * whose length includes its preallocated overflow buckets, plus overflow
 * buckets chained from it that are separate objects) and their tophash
 * states added.  The other figures are each map's state when it was
 * scanned, in that cycle.
 *
 * Cost: with maptrace on, scanning a map walks all its buckets (a mark
 * slice that scans a large map grows accordingly); with it off, each hook
 * is one test.
 */
#include "maptype/map.h"

#include <inttypes.h>
#include <stdlib.h>

typedef struct iter_array {
	void *arr;
	const mg_maptype *t;
	uint8_t B;
} iter_array;

typedef struct map_stats {
	uint64_t maps, growing, same_size, iters;
	uint64_t bn, bo, evac, vn, vo;
	uint64_t tophash[6]; /* full, emptyOne, emptyRest, evacX, evacY, evacEmpty */
	uint64_t iter_only, iter_only_bytes;
	void **arrays;       /* current and old arrays of live maps, at mark termination */
	size_t narrays, caparrays;
	const mg_hmap **hmaps; /* live maps, recorded when scanned */
	size_t nhmaps, caphmaps;
	iter_array *iarrays; /* arrays held by live iterators */
	size_t niarrays, capiarrays;
} map_stats;

static const char stats_key;

static void stats_destroy(mg_runtime *rt, void *data)
{
	(void)rt;
	map_stats *s = data;
	free(s->arrays);
	free(s->iarrays);
	free(s->hmaps);
	free(s);
}

static map_stats *stats_of(mg_runtime *rt)
{
	map_stats *s = rt_ext_get(rt, &stats_key);
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			rt_out_of_memory(rt, sizeof *s);
		rt_ext_put(rt, &stats_key, s, stats_destroy);
	}
	return s;
}

/* The hooks run inside the collector: they must not allocate on the heap;
 * growing these malloc'd vectors is fine, and running out is fatal. */
static void *grow(mg_runtime *rt, void *v, size_t *cap, size_t elem)
{
	*cap = *cap ? *cap * 2 : 64;
	void *n = realloc(v, *cap * elem);
	if (!n)
		rt_out_of_memory(rt, *cap * elem);
	return n;
}

static void count_tophash(map_stats *s, uint8_t top)
{
	switch (top) {
	case MAP_EMPTY_REST:
		s->tophash[2]++;
		break;
	case MAP_EMPTY_ONE:
		s->tophash[1]++;
		break;
	case MAP_EVACUATED_X:
		s->tophash[3]++;
		break;
	case MAP_EVACUATED_Y:
		s->tophash[4]++;
		break;
	case MAP_EVACUATED_EMPTY:
		s->tophash[5]++;
		break;
	default:
		s->tophash[0]++;
		break;
	}
}

/* Walks buckets [0, n) of arr with their chains; returns the overflow
 * buckets met (preallocated ones inside the array included).  *outside
 * gets the bytes of those that are separate objects: an array's size is
 * its own length (preallocated overflow buckets included) plus these.
 * Chains are bounded (a corrupt map must not hang a trace). */
static uint64_t walk_array(map_stats *s, const mg_maptype *t, void *arr, uint64_t n, uint64_t len,
                           uint64_t *outside)
{
	uint64_t ovf = 0, out = 0;
	uintptr_t lo = (uintptr_t)arr, hi = lo + len * t->bucketsize;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t guard = 0;
		for (void *b = map_bucket_at(t, arr, i); b && guard < (1u << 20); b = map_overflow(t, b), guard++) {
			if (guard) {
				ovf++;
				if ((uintptr_t)b < lo || (uintptr_t)b >= hi)
					out++;
			}
			for (unsigned k = 0; k < MAP_BUCKET_CNT; k++)
				count_tophash(s, map_tophashes(b)[k]);
		}
	}
	if (outside)
		*outside = out * t->bucketsize;
	return ovf;
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
	map_stats *s = stats_of(rt);
	const mg_maptype *t = h->t;
	s->maps++;
	if (!h->buckets)
		return;
	uint64_t nb = map_bucket_shift(h->B);
	s->bn += nb;
	s->vn += walk_array(s, t, h->buckets, nb, 0, NULL);
	if (s->nhmaps == s->caphmaps)
		s->hmaps = grow(rt, s->hmaps, &s->caphmaps, sizeof *s->hmaps);
	s->hmaps[s->nhmaps++] = h;
	if (h->oldbuckets) {
		uint64_t nold = map_noldbuckets(h);
		s->growing++;
		if (map_same_size_grow(h))
			s->same_size++;
		s->bo += nold;
		for (uint64_t i = 0; i < nold; i++)
			if (map_evacuated(map_bucket_at(t, h->oldbuckets, i)))
				s->evac++;
		s->vo += walk_array(s, t, h->oldbuckets, nold, 0, NULL);
	}
}

void map_iter_scanned(mg_runtime *rt, const void *obj, size_t len, void *ud)
{
	(void)len;
	(void)ud;
	if (!rt->cfg.maptrace)
		return;
	const mg_hiter *it = obj;
	map_stats *s = stats_of(rt);
	s->iters++;
	if (!it->buckets || !it->h)
		return;
	if (s->niarrays == s->capiarrays)
		s->iarrays = grow(rt, s->iarrays, &s->capiarrays, sizeof *s->iarrays);
	s->iarrays[s->niarrays++] = (iter_array){it->buckets, it->h->t, it->B};
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

static int cmp_iarr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const iter_array *)a)->arr, y = (uintptr_t)((const iter_array *)b)->arr;
	return x < y ? -1 : x > y;
}

/* Mark termination (world stopped): which iterator-held arrays are not the
 * current or old array of any live map *now* — the maps' fields are read
 * here, not when they were scanned, since a map may have grown since. */
static void find_iter_only(mg_runtime *rt, map_stats *s)
{
	if (!s->niarrays)
		return;
	s->narrays = 0;
	if (s->nhmaps * 2 > s->caparrays) {
		s->caparrays = s->nhmaps * 2;
		void *v = realloc(s->arrays, s->caparrays * sizeof *s->arrays);
		if (!v)
			rt_out_of_memory(rt, s->caparrays * sizeof *s->arrays);
		s->arrays = v;
	}
	for (size_t i = 0; i < s->nhmaps; i++) {
		if (s->hmaps[i]->buckets)
			s->arrays[s->narrays++] = s->hmaps[i]->buckets;
		if (s->hmaps[i]->oldbuckets)
			s->arrays[s->narrays++] = s->hmaps[i]->oldbuckets;
	}
	if (s->narrays)
		qsort(s->arrays, s->narrays, sizeof *s->arrays, cmp_ptr);
	qsort(s->iarrays, s->niarrays, sizeof *s->iarrays, cmp_iarr);
	for (size_t i = 0; i < s->niarrays; i++) {
		iter_array *ia = &s->iarrays[i];
		if (i && ia->arr == s->iarrays[i - 1].arr)
			continue;
		if (s->narrays && bsearch(&ia->arr, s->arrays, s->narrays, sizeof *s->arrays, cmp_ptr))
			continue;
		size_t len = 0;
		mg_typeof(rt, ia->arr, &len);
		uint64_t outside = 0;
		walk_array(s, ia->t, ia->arr, map_bucket_shift(ia->B), len, &outside);
		s->iter_only++;
		s->iter_only_bytes += (uint64_t)len * ia->t->bucketsize + outside;
	}
}

static void print_line(mg_runtime *rt, map_stats *s, uint32_t cycle)
{
	gc_state *gc = gc_of(rt);
	uint64_t since = gc->last.t_start - rt->start_ns;
	rt_trace_line(rt,
	              "map %u @%" PRIu64 ".%03" PRIu64 "s: %" PRIu64 " maps, %" PRIu64 " growing (%" PRIu64
	              " same-size), %" PRIu64 " iters: %" PRIu64 "+%" PRIu64 " buckets new+old, %" PRIu64
	              "/%" PRIu64 " evacuated, %" PRIu64 "+%" PRIu64 " overflow new+old, %" PRIu64
	              " iter-only arrays %" PRIu64 " KB, tophash %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
	              "/%" PRIu64 "/%" PRIu64 " full/emptyOne/emptyRest/evacX/evacY/evacEmpty\n",
	              cycle, since / 1000000000, since / 1000000 % 1000, s->maps, s->growing, s->same_size,
	              s->iters, s->bn, s->bo, s->evac, s->bo, s->vn, s->vo, s->iter_only, s->iter_only_bytes >> 10,
	              s->tophash[0], s->tophash[1], s->tophash[2], s->tophash[3], s->tophash[4], s->tophash[5]);
}

static void reset(map_stats *s)
{
	void **a = s->arrays;
	iter_array *ia = s->iarrays;
	const mg_hmap **hm = s->hmaps;
	size_t ca = s->caparrays, cia = s->capiarrays, chm = s->caphmaps;
	memset(s, 0, sizeof *s);
	s->arrays = a;
	s->iarrays = ia;
	s->hmaps = hm;
	s->caparrays = ca;
	s->capiarrays = cia;
	s->caphmaps = chm;
}

static void on_cycle(mg_runtime *rt, rt_cycle_event ev, uint32_t cycle, void *ud)
{
	(void)ud;
	if (!rt->cfg.maptrace)
		return;
	map_stats *s = stats_of(rt);
	switch (ev) {
	case RT_CYCLE_MARK_START:
		reset(s);
		break;
	case RT_CYCLE_MARK_DONE:
		find_iter_only(rt, s);
		break;
	case RT_CYCLE_END:
		print_line(rt, s, cycle);
		break;
	}
}

static void map_trace_attach(mg_runtime *rt)
{
	rt_cycle_hook_add(rt, on_cycle, NULL);
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
	map_stats *s = stats_of(rt);
	uint64_t v[16] = {s->maps, s->growing, s->same_size, s->iters, s->bn, s->bo, s->evac, s->vn, s->vo,
	                  s->iter_only, s->iter_only_bytes, s->tophash[0], s->tophash[1], s->tophash[2],
	                  s->tophash[3] + s->tophash[4], s->tophash[5]};
	memcpy(out, v, sizeof v);
}
