/*
 * iter.c — map iteration, Go 1.19's mapiterinit/mapiternext.
 *
 * An iterator starts at a random bucket and a random cell offset and walks
 * every bucket of the array it started on (it.buckets), each with its
 * overflow chain, wrapping around once.  Semantics while the map changes:
 *  - an entry present for the whole iteration is produced exactly once;
 *  - one deleted before it is reached is not produced; one inserted during
 *    iteration is produced at most once; the elem produced is the current one;
 *  - if the map grew since the iterator started, cells marked evacuated in
 *    it.buckets are looked up again in the map (the data moved);
 *  - if the iterator started while a doubling grow was under way and the
 *    old bucket is not evacuated yet, it walks the old bucket but only
 *    produces the keys that belong to the new bucket it is visiting
 *    (checkBucket), so each key comes once, from one of its two halves;
 *  - after mg_map_clear nothing cleared is produced (map.c, issue 59411).
 * The iterator keeps alive the array it started on (it.buckets), the
 * current bucket (it.bptr, possibly an overflow bucket) and, for noscan
 * maps, the overflow lists (it.overflow, it.oldoverflow).
 */
#include "maptype/map.h"

mg_hiter *mg_map_iter(mg_runtime *rt, mg_hmap *h)
{
	map_rt *mrt = map_rt_of(rt);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_root(rt, &h, "map.iter.h");
	mg_hiter *it = gc_alloc(rt, mrt->iter_ti, false, 1);
	mg_root(rt, &it, "map.iter.it");
	if (!h || h->count == 0) {
		it->done = true;
		mg_scope_leave(rt, &s);
		return it;
	}
	const mg_maptype *t = h->t;
	/* it.h, it.buckets, it.overflow: wb.iter-grey (maptype/map.c);
	 * it.oldoverflow has work to do. */
	gc_store(rt, &it->h, h);
	it->B = h->B;
	gc_store(rt, &it->buckets, h->buckets);
	if (t->noscan) {
		/* Hold the overflow lists: nothing else keeps the overflow buckets
		 * of it.buckets alive once the map grows past them. */
		map_create_overflow(rt, h);
		gc_store(rt, &it->overflow, h->extra->overflow);
		gc_store(rt, &it->oldoverflow, h->extra->oldoverflow);
	}
	uint64_t r = rt_rand(rt);
	it->startBucket = r & map_bucket_mask(h->B);
	it->offset = (uint8_t)((r >> h->B) & (MAP_BUCKET_CNT - 1));
	it->bucket = it->startBucket;
	it->checkBucket = MAP_NO_CHECK;
	it->clears = h->clears;
	map_flags_or(h, MAP_ITERATOR | MAP_OLD_ITERATOR);
	if (map_events_on(rt))
		map_event(rt, h, "iter", "start=%llu offset=%u growing=%d B=%u", (unsigned long long)it->startBucket,
		          it->offset, map_growing(h), h->B);
	mg_scope_leave(rt, &s);
	return it;
}

__attribute__((always_inline)) static inline void copy_out(const mg_maptype *t, void *key_out, void *elem_out,
                                                          const void *k, const void *e, map_kind kind)
{
	if (key_out)
		map_copy_value(key_out, k, kind == MAP_KEY_STRING ? sizeof(mg_string) : kind == MAP_KEY_BYTES ? t->key->size : 8);
	if (elem_out)
		map_copy_value(elem_out, e, t->elem->size);
}

/* For maps whose elems are pointers (map[K]*T), starts loading the objects
 * the entries of bucket b point to when the iterator comes to b: the
 * caller's dereferences of the next (up to) 8 values then overlap in
 * memory instead of each waiting in turn, in a map much bigger than the
 * caches where the objects lie anywhere in the heap.  A range loop over
 * such a map nearly always dereferences the value.  A prefetch never
 * faults, so stale cells are harmless. */
__attribute__((always_inline)) static inline void prefetch_pointees(const mg_maptype *t, void *b, map_kind kind)
{
	for (uint64_t m = map_iter_cells(map_tophash_word(b)); m; m &= m - 1) {
		void *p;
		memcpy(&p, map_elem_of_k(t, b, (unsigned)__builtin_ctzll(m) / 8, kind), sizeof p);
		__builtin_prefetch(p);
	}
}

/* The cells of bucket b an iterator will visit, in its order: rotating
 * the tophash word right by the offset puts cell (j + offset) mod 8, the
 * j-th visited, in byte j. */
static inline uint64_t visit_cells(void *b, unsigned offset)
{
	uint64_t w = map_tophash_word(b);
	unsigned rot = 8 * offset;
	return map_iter_cells(rot ? (w >> rot) | (w << (64 - rot)) : w);
}

__attribute__((always_inline)) static inline bool next_k(mg_runtime *rt, mg_hiter *it, void *key_out,
                                                        void *elem_out, map_kind kind)
{
	mg_hmap *h = it->h;
	const mg_maptype *t = h->t;
	map_read_check(rt, h, "concurrent map iteration and map write", "mg_map_next");
	/* The fingerprint (Redis's unsafe-iterator check): by default an
	 * iterator alive across a clear is legal and sees nothing cleared (Go
	 * 1.21); mapitercheck=1 makes using one a fatal error instead, for
	 * programs that want to know. */
	if (RT_UNLIKELY(rt->cfg.mapitercheck) && it->clears != h->clears)
		mg_fatal(rt, "map iterator used after its map was cleared");
	uint64_t bucket = it->bucket;
	void *b = it->bptr;
	uint64_t cells = it->cells;
	uint64_t checkBucket = it->checkBucket;
	for (;;) {
		if (!b) {
			if (bucket == it->startBucket && it->wrapped) {
				it->done = true;
				return false;
			}
			if (map_growing(h) && it->B == h->B) {
				/* Started during this grow, which is not done: read the old
				 * bucket if it has not been evacuated. */
				uint64_t oldbucket = bucket & map_oldbucket_mask(h);
				b = map_bucket_at(t, h->oldbuckets, oldbucket);
				if (!map_evacuated(b)) {
					checkBucket = bucket;
				} else {
					b = map_bucket_at(t, it->buckets, bucket);
					checkBucket = MAP_NO_CHECK;
				}
			} else {
				b = map_bucket_at(t, it->buckets, bucket);
				checkBucket = MAP_NO_CHECK;
			}
			bucket++;
			if (bucket == map_bucket_shift(it->B)) {
				bucket = 0;
				it->wrapped = true;
			}
			cells = visit_cells(b, it->offset);
			if (t->elem_is_ptr) {
				/* The next bucket's objects, a bucket ahead; this one's
				 * were asked for at the previous bucket, except before
				 * the iterator produced anything. */
				if (!it->bptr)
					prefetch_pointees(t, b, kind);
				prefetch_pointees(t, map_bucket_at(t, it->buckets, bucket), kind);
			}
		}
		/* The cells are those that held an entry when the iterator came
		 * to b.  Each is read again here: one deleted or cleared since is
		 * skipped; one filled since may be missed, which is allowed
		 * (entries never move within an array, so an entry present all
		 * along was in the set). */
		for (; cells; cells &= cells - 1) {
			unsigned offi = ((unsigned)__builtin_ctzll(cells) / 8 + it->offset) & (MAP_BUCKET_CNT - 1);
			uint8_t top = map_tophashes(b)[offi];
			if (map_is_empty(top) || top == MAP_EVACUATED_EMPTY)
				continue;
			void *k = map_key_of_k(t, b, offi, kind);
			void *e = map_elem_of_k(t, b, offi, kind);
			if (checkBucket != MAP_NO_CHECK && !map_same_size_grow(h)) {
				/* An unevacuated old bucket during a doubling: produce only
				 * the keys that go to the new bucket being visited. */
				uint64_t hash = map_hash_h(h, k, kind);
				if ((hash & map_bucket_mask(it->B)) != checkBucket)
					continue;
			}
			if (RT_LIKELY(top >= MAP_MIN_TOPHASH)) {
				copy_out(t, key_out, elem_out, k, e, kind);
			} else {
				/* evacuatedX or Y: the map grew since the iterator started,
				 * the golden data is elsewhere now and may be deleted. */
				void *rk;
				void *re = map_lookup(rt, h, k, &rk);
				if (!re)
					continue;
				copy_out(t, key_out, elem_out, rk, re, kind);
			}
			it->bucket = bucket;
			if (it->bptr != b)
				gc_store(rt, &it->bptr, b);
			it->cells = cells & (cells - 1);
			it->checkBucket = checkBucket;
			return true;
		}
		b = map_overflow(t, b);
		if (b) {
			cells = visit_cells(b, it->offset);
			if (t->elem_is_ptr) /* an overflow bucket: not asked for yet */
				prefetch_pointees(t, b, kind);
		}
	}
}

/* One out-of-line specialisation per key kind, each reached from
 * mg_map_next by a tail call: the dispatch costs a load and a jump, and
 * each body saves only the registers it uses. */
#define MAP_NEXT_KIND(name, kind) \
	__attribute__((noinline)) static bool name(mg_runtime *rt, mg_hiter *it, void *key_out, void *elem_out) \
	{ \
		return next_k(rt, it, key_out, elem_out, kind); \
	}
MAP_NEXT_KIND(next_int64, MAP_KEY_INT64)
MAP_NEXT_KIND(next_string, MAP_KEY_STRING)
MAP_NEXT_KIND(next_ptr, MAP_KEY_PTR)
MAP_NEXT_KIND(next_bytes, MAP_KEY_BYTES)

bool mg_map_next(mg_runtime *rt, mg_hiter *it, void *key_out, void *elem_out)
{
	if (!it || it->done)
		return false;
	switch (it->h->t->kind) {
	case MAP_KEY_INT64:
		return next_int64(rt, it, key_out, elem_out);
	case MAP_KEY_STRING:
		return next_string(rt, it, key_out, elem_out);
	case MAP_KEY_PTR:
		return next_ptr(rt, it, key_out, elem_out);
	default:
		return next_bytes(rt, it, key_out, elem_out);
	}
}
