/*
 * map.c — make, access, assign, delete, clear, growth and evacuation.
 * The algorithm and its invariants are in map.h; this file follows Go
 * 1.19's map.go step by step, in mapgc's terms (barriers, pins).
 *
 * Pinning.  An operation that may allocate first pins what it holds: the
 * hmap and the pointer fields of the caller's key and elem are rooted in a
 * scope for the rest of the operation (see map_pin).  Operations that do
 * not allocate (lookups, most assigns and deletes) never pin.
 *
 * Barriers with nothing to do.  Every pointer store into the heap goes
 * through a barrier, but at some sites the barrier provably changes no
 * colour the collector relies on, in any mode (scripts/barrier-mutation.sh
 * removes each barrier in turn; these removals cannot be caught because
 * nothing goes wrong).  They stay, so the rule stays simple and a caller
 * added later is safe; each cites why it has nothing to do:
 *  - wb.fresh: the slot held NULL, and the new value was allocated by this
 *    operation with no allocation since (so no cycle started and no assist
 *    ran in between): it is black if the collector is marking
 *    (inv.alloc-black), and the barrier is off otherwise.
 *  - wb.same-edge: the old and the new value point into the same object,
 *    or into the object that holds the slot, or the value only moves to
 *    another field of the same object (or stays in one): no object gains
 *    or loses a holder.
 *  - wb.buckets-holds: the value points into h.buckets' array (nextOverflow
 *    always does), which h.buckets still holds; h.buckets only ever gets a
 *    fresh array, and shades the old one when it lets go of it (clear).
 *  - wb.iter-grey: the value is held by iterators only, and an iterator
 *    always got it before the collector scanned that iterator (hiter has a
 *    scan hook, so one allocated during mark is queued, not black; one from
 *    before the mark is reached from the roots), so the iterator's scan
 *    shades it.  Not it.oldoverflow: between the iterator's allocation and
 *    that store, map_create_overflow may allocate (and so assist, and so
 *    scan the new iterator first); removing that store's barrier, or those
 *    of the drops of the old overflow list (growdone, clear), makes the
 *    seed-window-iter-oldoverflow-* inputs fail (tests/fuzz/corpus/map).
 *    That this window is the one those inputs hit is our reading, not
 *    confirmed in a debugger.
 */
#include "maptype/map.h"

#include <stdarg.h>
#include <stdlib.h>

/* ---- events (maptrace=2) ------------------------------------------------ */

void map_event(mg_runtime *rt, const mg_hmap *h, const char *ev, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	rt_trace_line(rt, "mapev %s m#%u %s\n", ev, h->id, buf);
}

/* ---- pinning ------------------------------------------------------------ */

typedef struct map_pin {
	mg_scope scope;
	bool on;
	mg_hmap *h;
} map_pin;

static void pin_value(mg_runtime *rt, const rt_typeinfo *ti, const void *v, const char *name)
{
	if (!v)
		return;
	for (uint32_t k = 0; k < ti->nptrs; k++)
		mg_root(rt, (char *)v + ti->offs[k], name);
}

/* Roots h, key and elem until map_unpin; idempotent within an operation. */
static void map_pin_on(mg_runtime *rt, map_pin *p, mg_hmap *h, const void *key, const void *elem)
{
	if (p->on)
		return;
	p->on = true;
	p->h = h;
	mg_scope_enter(rt, &p->scope);
	mg_root(rt, &p->h, "map.op.h");
	pin_value(rt, h->t->key_ti, key, "map.op.key");
	pin_value(rt, h->t->elem_ti, elem, "map.op.elem");
}

static void map_unpin(mg_runtime *rt, map_pin *p)
{
	if (p->on)
		mg_scope_leave(rt, &p->scope);
}

/* ---- stores ------------------------------------------------------------- */

/* A bucket's overflow pointer: traced only in scan buckets (inv.noscan-overflow). */
static inline void set_overflow(mg_runtime *rt, const mg_maptype *t, void *b, void *ovf)
{
	if (t->noscan)
		/* The marker reads no noscan bucket, but maptrace's walk may
		 * (map.h, TOPHASH AND OVERFLOW WORDS): a release store. */
		__atomic_store_n(map_overflow_slot(t, b), ovf, __ATOMIC_RELEASE);
	else {
		/* wb.same-edge or wb.fresh at every caller: the end marker is the
		 * array itself; a new overflow bucket is fresh, or preallocated in
		 * b's own array.  gc_store's barrier, then a release store. */
		void **slot = map_overflow_slot(t, b);
		if (RT_UNLIKELY(rt->gc->wb_on))
			gc_wb_slow(rt, slot, ovf);
		__atomic_store_n(slot, ovf, __ATOMIC_RELEASE);
	}
}

/* Copies one key or elem value of type ti into place, through the barrier:
 * the barrier's own fast path (is it on?) is tested here, inline, so the
 * common store makes no call.  A value with pointers is stored word by
 * word with relaxed atomic stores, as a worker may be scanning the bucket
 * (inv.ptrword-atomic, gc.h); a pointer-free one as before. */
static inline void value_set(mg_runtime *rt, const rt_typeinfo *ti, void *dst, const void *src)
{
	if (ti->noscan) {
		map_copy_value(dst, src, ti->elem_size);
		return;
	}
	if (RT_UNLIKELY(rt->gc->wb_on))
		gc_bulk_barrier(rt, ti, dst, src, 1);
	gc_copy_ptrwords(dst, src, ti->elem_size / sizeof(void *));
}

static inline void value_clear(mg_runtime *rt, const rt_typeinfo *ti, void *dst)
{
	if (ti->noscan) {
		map_zero_value(dst, ti->elem_size);
		return;
	}
	if (RT_UNLIKELY(rt->gc->wb_on))
		gc_bulk_barrier(rt, ti, dst, NULL, 1);
	gc_clear_ptrwords(dst, ti->elem_size / sizeof(void *));
}

/* value_set and value_clear for a key of kind `kind`: a string key is two
 * words with a pointer, known here, so the per-kind bodies store it with
 * no test of its type's size. */
__attribute__((always_inline)) static inline void key_set_k(mg_runtime *rt, const mg_maptype *t, void *dst,
                                                           const void *src, map_kind kind)
{
	if (!map_kind_is_string(kind)) {
		value_set(rt, t->key_ti, dst, src);
		return;
	}
	if (RT_UNLIKELY(rt->gc->wb_on))
		gc_bulk_barrier(rt, t->key_ti, dst, src, 1);
	gc_copy_ptrwords(dst, src, sizeof(mg_string) / sizeof(void *));
}

__attribute__((always_inline)) static inline void key_clear_k(mg_runtime *rt, const mg_maptype *t, void *dst,
                                                             map_kind kind)
{
	if (!map_kind_is_string(kind)) {
		value_clear(rt, t->key_ti, dst);
		return;
	}
	if (RT_UNLIKELY(rt->gc->wb_on))
		gc_bulk_barrier(rt, t->key_ti, dst, NULL, 1);
	gc_clear_ptrwords(dst, sizeof(mg_string) / sizeof(void *));
}

/* Moves a cell's key or elem (the stored form: a pointer when indirect). */
static inline void cell_move(mg_runtime *rt, const rt_typeinfo *ti, bool indirect, void *dst, void *src)
{
	if (indirect)
		gc_store(rt, dst, *(void **)src);
	else
		value_set(rt, ti, dst, src);
}

/* The same without the barrier (tests only: map_test_set_evac_barrier),
 * still with atomic pointer words. */
static inline void cell_move_unbarriered(mg_runtime *rt, const rt_typeinfo *ti, bool indirect, void *dst,
                                         const void *src)
{
	if (indirect)
		gc_copy_ptrwords(dst, src, 1);
	else
		gc_typed_move(rt->gc, ti, dst, src, 1);
}

/* ---- bucket arrays and overflow ----------------------------------------- */

/* Allocates (or, given `dirty`, clears and reuses) an array of 2^B buckets
 * plus 2^(B-4) preallocated overflow buckets when B >= 4 (inv.array-len:
 * maptrace reads 2^B back from the length).  The last preallocated
 * bucket's overflow pointer is set to the array itself as an end marker
 * (a bucket's overflow is otherwise NULL until used). */
static void *make_bucket_array(mg_runtime *rt, const mg_maptype *t, uint8_t B, void *dirty, void **next_ovf)
{
	uint64_t base = map_bucket_shift(B), n = base;
	if (B >= 4)
		n += map_bucket_shift(B - 4);
	void *arr;
	if (!dirty) {
		arr = gc_alloc(rt, t->bucket_ti, true, n);
	} else {
		arr = dirty;
		if (!t->noscan)
			gc_bulk_barrier(rt, t->bucket_ti, arr, NULL, n);
		/* The map's array, which workers may be scanning
		 * (inv.ptrword-atomic, gc.h), or, noscan, walking for maptrace
		 * (TOPHASH AND OVERFLOW WORDS, map.h): word by word while they
		 * may (a bucket's size is a multiple of 8). */
		gc_bulk_zero(rt->gc, true, arr, n * t->bucketsize);
	}
	*next_ovf = NULL;
	if (n != base) {
		*next_ovf = map_bucket_at(t, arr, base);
		set_overflow(rt, t, map_bucket_at(t, arr, n - 1), arr);
	}
	return arr;
}

static map_extra *ensure_extra(mg_runtime *rt, mg_hmap *h)
{
	if (!h->extra) {
		map_extra *e = gc_alloc(rt, h->t->mrt->extra_ti, false, 1);
		/* wb.fresh */
		gc_store(rt, &h->extra, e);
	}
	return h->extra;
}

/* Go's createOverflow: the lists that keep noscan overflow buckets alive. */
void map_create_overflow(mg_runtime *rt, mg_hmap *h)
{
	map_extra *e = ensure_extra(rt, h);
	if (!e->overflow) {
		map_ovflist *l = gc_alloc(rt, h->t->mrt->ovflist_ti, false, 1);
		/* wb.fresh */
		gc_store(rt, &h->extra->overflow, l);
	}
}

static void ovflist_append(mg_runtime *rt, mg_hmap *h, void *ovf)
{
	map_rt *mrt = h->t->mrt;
	map_create_overflow(rt, h);
	map_ovflist *l = h->extra->overflow;
	uint64_t cap = l->v ? gc_hdr_len(*gc_hdr_of(l->v)) : 0;
	if (l->len == cap) {
		uint64_t ncap = cap ? cap * 2 : 4;
		void **v = gc_alloc(rt, mrt->ovf_ti, true, ncap);
		l = h->extra->overflow; /* re-read after allocating (it is reachable from h) */
		if (l->len) {
			gc_bulk_barrier(rt, mrt->ovf_ti, v, l->v, l->len);
			gc_typed_move(rt->gc, mrt->ovf_ti, v, l->v, l->len);
		}
		gc_store(rt, &l->v, v);
	}
	gc_store(rt, &l->v[l->len], ovf);
	l->len++;
}

/* Go's incrnoverflow: exact below B = 16, then a 1-in-2^(B-15) sample so
 * that the 16-bit counter can still compare with 2^15 buckets. */
static void incr_noverflow(mg_runtime *rt, mg_hmap *h)
{
	if (h->B < 16) {
		h->noverflow++;
		return;
	}
	uint32_t mask = ((uint32_t)1 << (h->B - 15)) - 1;
	if ((rt_rand(rt) & mask) == 0)
		h->noverflow++;
}

/* A new overflow bucket chained after b.  The caller has pinned h. */
static void *new_overflow(mg_runtime *rt, mg_hmap *h, void *b)
{
	const mg_maptype *t = h->t;
	void *ovf;
	if (h->extra && h->extra->nextOverflow) {
		ovf = h->extra->nextOverflow;
		if (!map_overflow(t, ovf)) {
			/* wb.same-edge */
			gc_store(rt, &h->extra->nextOverflow, (char *)ovf + t->bucketsize);
		} else {
			/* The end marker: this is the last preallocated bucket. */
			set_overflow(rt, t, ovf, NULL);
			/* wb.buckets-holds */
			gc_store(rt, &h->extra->nextOverflow, NULL);
		}
	} else {
		ovf = gc_alloc(rt, t->bucket_ti, false, 1);
	}
	incr_noverflow(rt, h);
	set_overflow(rt, t, b, ovf);
	if (t->noscan) {
		/* Until it is in the list nothing the collector traces holds it. */
		mg_scope s;
		mg_scope_enter(rt, &s);
		mg_root(rt, &ovf, "map.newoverflow");
		ovflist_append(rt, h, ovf);
		mg_scope_leave(rt, &s);
	}
	return ovf;
}

static bool too_many_overflow(uint16_t noverflow, uint8_t B)
{
	if (B > 15)
		B = 15;
	return noverflow >= (uint16_t)((uint32_t)1 << (B & 15));
}

/* ---- make --------------------------------------------------------------- */

mg_hmap *mg_map_new(mg_runtime *rt, const mg_maptype *t, size_t hint)
{
	map_rt *mrt = t->mrt;
	/* Go's makemap: a hint whose buckets would exceed maxAlloc (2^48 bytes
	 * on amd64) is ignored, not an error. */
	if (hint > ((size_t)1 << 48) / t->bucketsize)
		hint = 0;
	mg_hmap *h = gc_alloc(rt, mrt->hmap_ti, false, 1);
	h->t = t;
	map_set_hash0(h, (uint32_t)rt_rand(rt));
	h->id = __atomic_fetch_add(&mrt->next_id, 1, __ATOMIC_RELAXED);
	uint8_t B = 0;
	while (map_over_load_factor((int64_t)hint, B))
		B++;
	h->B = B;
	if (B) {
		map_pin p = {0};
		map_pin_on(rt, &p, h, NULL, NULL);
		void *next;
		void *arr = make_bucket_array(rt, t, B, NULL, &next);
		/* wb.fresh */
		gc_store(rt, &h->buckets, arr);
		if (next) {
			ensure_extra(rt, h);
			gc_store(rt, &h->extra->nextOverflow, next);
		}
		map_unpin(rt, &p);
	}
	if (map_events_on(rt))
		map_event(rt, h, "make", "B=%u hint=%zu key=%s elem=%s noscan=%d", h->B, hint, t->key->name,
		          t->elem->name, t->noscan);
	return h;
}

size_t mg_map_len(const mg_hmap *m)
{
	return m ? (size_t)m->count : 0;
}

/* ---- growth ------------------------------------------------------------- */

static void hash_grow(mg_runtime *rt, mg_hmap *h)
{
	const mg_maptype *t = h->t;
	uint8_t bigger = 1;
	if (!map_over_load_factor(h->count + 1, h->B)) {
		bigger = 0;
		map_flags_or(h, MAP_SAME_SIZE_GROW);
	}
	uint8_t oldB = h->B;
	uint16_t oldnoverflow = h->noverflow;
	void *next;
	void *newbuckets = make_bucket_array(rt, t, (uint8_t)(h->B + bigger), NULL, &next);
	/* An iterator on the array that is about to become old must now also
	 * be considered for the old array. */
	bool iter = map_flags(h) & MAP_ITERATOR;
	h->B += bigger;
	map_flags_and(h, (uint8_t)~(MAP_ITERATOR | MAP_OLD_ITERATOR));
	if (iter)
		map_flags_or(h, MAP_OLD_ITERATOR);
	/* wb.same-edge, both: h keeps the old array (in oldbuckets); and the
	 * new one is fresh. */
	gc_store(rt, &h->oldbuckets, h->buckets);
	gc_store(rt, &h->buckets, newbuckets);
	h->nevacuate = 0;
	h->noverflow = 0;
	if (h->extra && h->extra->overflow) {
		if (h->extra->oldoverflow)
			mg_fatal(rt, "map: oldoverflow is not nil");
		/* wb.same-edge, both */
		gc_store(rt, &h->extra->oldoverflow, h->extra->overflow);
		gc_store(rt, &h->extra->overflow, NULL);
	}
	if (next) {
		ensure_extra(rt, h);
		gc_store(rt, &h->extra->nextOverflow, next);
	}
	if (map_events_on(rt))
		map_event(rt, h, "grow", "B=%u->%u kind=%s count=%lld noverflow=%u", oldB, h->B,
		          bigger ? "double" : "same-size", (long long)h->count, (unsigned)oldnoverflow);
}

static void advance_evacuation_mark(mg_runtime *rt, mg_hmap *h, uint64_t newbit)
{
	const mg_maptype *t = h->t;
	h->nevacuate++;
	/* Bound the scan of already-evacuated buckets (Go: 1024) so that one
	 * operation never walks the whole old array. */
	uint64_t stop = h->nevacuate + 1024;
	if (stop > newbit)
		stop = newbit;
	while (h->nevacuate != stop && map_evacuated(map_bucket_at(t, h->oldbuckets, h->nevacuate)))
		h->nevacuate++;
	if (h->nevacuate == newbit) {
		size_t len = 0;
		if (map_events_on(rt))
			mg_typeof(rt, h->oldbuckets, &len);
		gc_store(rt, &h->oldbuckets, NULL);
		if (h->extra)
			gc_store(rt, &h->extra->oldoverflow, NULL);
		map_flags_and(h, (uint8_t)~MAP_SAME_SIZE_GROW);
		if (map_events_on(rt))
			map_event(rt, h, "growdone", "B=%u released=%zu", h->B, len * t->bucketsize);
	}
}

/* The key kinds with a specialisation of the hot operations (evacuate
 * here; get, set, delete and lookup below). */
#define MAP_PER_KIND(X) X(int64, MAP_KEY_INT64) X(string, MAP_KEY_STRING) X(ptr, MAP_KEY_PTR) X(bytes, MAP_KEY_BYTES)

/* Moves the entries of old bucket `oldbucket` (and its chain) to the new
 * array: to bucket X = oldbucket, or, in a doubling, Y = oldbucket + newbit
 * when the hash has the new bit.  The caller has pinned h.  One body per
 * key kind, like Go's evacuate_fast64 and _faststr: the rehash and the key
 * copy are then inline. */
__attribute__((always_inline)) static inline void evacuate_k(mg_runtime *rt, mg_hmap *h, uint64_t oldbucket,
                                                            map_kind kind)
{
	const mg_maptype *t = h->t;
	void *b = map_bucket_at(t, h->oldbuckets, oldbucket);
	uint64_t newbit = map_noldbuckets(h);
	bool no_barrier = t->mrt->test_no_evac_barrier;
	if (!map_evacuated(b)) {
		struct { void *b; unsigned i; unsigned n; } xy[2] = {{0}};
		xy[0].b = map_bucket_at(t, h->buckets, oldbucket);
		if (!map_same_size_grow(h))
			xy[1].b = map_bucket_at(t, h->buckets, oldbucket + newbit);
		/* Beyond the caches (as in assign): the old bucket's other lines,
		 * and the X and Y buckets' for writing, all at once. */
		if (kind != MAP_KEY_BYTES && h->B >= 15) {
			map_prefetch_bucket(t, b, false);
			for (int d = 0; d < 2 && xy[d].b; d++) {
				__builtin_prefetch(xy[d].b, 1);
				map_prefetch_bucket(t, xy[d].b, true);
			}
		}
		for (; b; b = map_overflow(t, b)) {
			uint8_t *th = map_tophashes(b);
			if (kind == MAP_KEY_STRING && !map_same_size_grow(h))
				/* The rehash below reads every key's bytes: ask for
				 * them all at once rather than one miss after another. */
				for (unsigned i = 0; i < MAP_BUCKET_CNT; i++)
					if (!map_is_empty(th[i]))
						__builtin_prefetch(((const mg_string *)map_key_of_k(t, b, i, kind))->ptr);
			for (unsigned i = 0; i < MAP_BUCKET_CNT; i++) {
				uint8_t top = th[i];
				if (map_is_empty(top)) {
					map_set_tophash(b, i, MAP_EVACUATED_EMPTY);
					continue;
				}
				if (top < MAP_MIN_TOPHASH)
					mg_fatal(rt, "bad map state");
				unsigned useY = 0;
				if (!map_same_size_grow(h)) {
					uint64_t hash = map_hash_h(h, map_key_of_k(t, b, i, kind), kind);
					useY = (hash & newbit) != 0;
				}
				map_set_tophash(b, i, (uint8_t)(MAP_EVACUATED_X + useY));
				if (xy[useY].i == MAP_BUCKET_CNT) {
					xy[useY].b = new_overflow(rt, h, xy[useY].b);
					xy[useY].i = 0;
				}
				void *dst = xy[useY].b;
				unsigned di = xy[useY].i;
				map_set_tophash(dst, di, top);
				if (RT_UNLIKELY(no_barrier)) {
					cell_move_unbarriered(rt, t->key_ti, t->indirect_key, map_cell_key(t, dst, di),
					                      map_cell_key(t, b, i));
					cell_move_unbarriered(rt, t->elem_ti, t->indirect_elem, map_cell_elem(t, dst, di),
					                      map_cell_elem(t, b, i));
				} else {
					if (kind == MAP_KEY_INT64) /* no pointers: no barrier */
						memcpy(map_key_of_k(t, dst, di, kind), map_key_of_k(t, b, i, kind), 8);
					else if (kind == MAP_KEY_STRING)
						key_set_k(rt, t, map_key_of_k(t, dst, di, kind), map_key_of_k(t, b, i, kind),
						          kind);
					else
						cell_move(rt, t->key_ti, t->indirect_key, map_cell_key(t, dst, di),
						          map_cell_key(t, b, i));
					cell_move(rt, t->elem_ti, t->indirect_elem, map_cell_elem(t, dst, di),
					          map_cell_elem(t, b, i));
				}
				xy[useY].i++;
				xy[useY].n++;
			}
		}
		/* Drop the old bucket's references so the collector can free what
		 * they held — unless an iterator may still read them. */
		bool cleared = false;
		if (!(map_flags(h) & MAP_OLD_ITERATOR) && !t->noscan) {
			void *b0 = map_bucket_at(t, h->oldbuckets, oldbucket);
			if (!no_barrier)
				gc_bulk_barrier(rt, t->bucket_ti, b0, NULL, 1);
			/* Keys, elems and the overflow pointer: the old array may be
			 * being scanned (inv.ptrword-atomic, gc.h); the keys start at
			 * 8, and the bucket's size is a multiple of 8. */
			gc_bulk_zero(rt->gc, true, (char *)b0 + t->keys_off, t->bucketsize - t->keys_off);
			cleared = true;
		}
		if (map_events_on(rt))
			map_event(rt, h, "evacuate", "old=%llu x=%u y=%u old_cells=%s", (unsigned long long)oldbucket,
			          xy[0].n, xy[1].n, cleared ? "cleared" : t->noscan ? "noscan" : "kept");
	}
	if (oldbucket == h->nevacuate)
		advance_evacuation_mark(rt, h, newbit);
}

#define X(name, kind) \
	__attribute__((noinline)) static void evacuate_##name(mg_runtime *rt, mg_hmap *h, uint64_t oldbucket) \
	{ \
		evacuate_k(rt, h, oldbucket, kind); \
	}
MAP_PER_KIND(X)
#undef X

static void (*const evacuate_of_kind[])(mg_runtime *, mg_hmap *, uint64_t) = {
#define X(name, kind) [kind] = evacuate_##name,
	MAP_PER_KIND(X)
#undef X
};
_Static_assert(sizeof evacuate_of_kind / sizeof evacuate_of_kind[0] == MAP_KEY_BYTES + 1,
               "one entry per kind a map type can have");

static void evacuate(mg_runtime *rt, mg_hmap *h, uint64_t oldbucket)
{
	evacuate_of_kind[h->t->kind](rt, h, oldbucket);
}

static void grow_work(mg_runtime *rt, mg_hmap *h, uint64_t bucket)
{
	evacuate(rt, h, bucket & map_oldbucket_mask(h));
	if (map_growing(h))
		evacuate(rt, h, h->nevacuate);
}

uint64_t map_hash(const mg_maptype *t, const void *key, uint32_t seed)
{
	return map_hash_k(t, key, seed, t->kind);
}

bool map_key_equal(const mg_maptype *t, const void *a, const void *b)
{
	return map_equal_k(t, a, b, t->kind);
}

/* ---- access ------------------------------------------------------------- */

__attribute__((always_inline)) static inline void *lookup_k(mg_runtime *rt, mg_hmap *h, const void *key,
                                                           void **key_out, map_kind kind, bool check)
{
	if (!h || h->count == 0)
		return NULL;
	if (check)
		map_read_check(rt, h, "concurrent map read and map write", "mg_map_get");
	const mg_maptype *t = h->t;
	uint64_t hash = map_hash_h(h, key, kind);
	uint64_t m = map_bucket_mask(h->B);
	void *b = map_bucket_at(t, h->buckets, hash & m);
	if (RT_UNLIKELY(h->oldbuckets != NULL)) {
		if (!map_same_size_grow(h))
			m >>= 1;
		void *oldb = map_bucket_at(t, h->oldbuckets, hash & m);
		if (!map_evacuated(oldb))
			b = oldb;
	}
	/* Maps far bigger than the caches (B >= 17: 19 MB of int64 buckets,
	 * 27 MB of string ones): every line of the bucket is asked for now,
	 * so the key cell and the elem a hit needs arrive with the tophash
	 * line instead of a memory latency after it (Go's fast paths read the
	 * keys in their scan, so they have them early too).  In smaller maps
	 * the lines are mostly cached and the requests only cost: at B 14 the
	 * same prefetch made int64 misses 12 -> 15 ns and string misses
	 * 14 -> 20.  There, string maps ask for the line of the overflow
	 * pointer only, which a miss on a full bucket (no emptyRest) reads. */
	if (kind != MAP_KEY_BYTES && h->B >= 17)
		map_prefetch_bucket(t, b, false);
	else if (map_kind_is_string(kind) && h->B >= 12)
		__builtin_prefetch(map_overflow_slot(t, b));
	uint8_t top = map_tophash(hash);
	for (; b; b = map_overflow(t, b)) {
		/* All cells whose tophash matches, in cell order; a filled cell
		 * never follows an emptyRest one (inv.empty-rest), so matching all
		 * 8 and then stopping at an emptyRest is Go's scan, 8 at a time. */
		uint64_t w = map_tophash_word(b);
		for (uint64_t hit = map_match_candidates(w, top); hit; hit &= hit - 1) {
			unsigned i = (unsigned)__builtin_ctzll(hit) >> 3;
			void *k = map_key_of_k(t, b, i, kind);
			if (map_equal_k(t, key, k, kind)) {
				if (key_out)
					*key_out = k;
				return map_elem_of_k(t, b, i, kind);
			}
		}
		if (map_has_byte(w, MAP_EMPTY_REST))
			return NULL;
	}
	return NULL;
}

/* The operations below reach one out-of-line specialisation per key kind
 * by a tail call through the map type's ops (map_bind_ops): each body
 * saves only the registers it uses, which a switch over four inlined
 * bodies in one function did not (every call paid the prologue of the
 * largest).  The read paths and delete have one more specialisation, for
 * string keys of at most 16 bytes (MAP_KEY_SHORT_STRING); a string map's
 * ops choose between the two by the key's length (MAP_READ_STRING). */
#define MAP_READ_STRING(fn, key, ...) \
	(((const mg_string *)(key))->len <= 16 ? fn##_short_string(__VA_ARGS__) : fn##_string(__VA_ARGS__))

#define X(name, kind) \
	__attribute__((noinline)) static void *lookup_##name(mg_runtime *rt, mg_hmap *h, const void *key, \
	                                                     void **key_out) \
	{ \
		return lookup_k(rt, h, key, key_out, kind, true); \
	}
MAP_PER_KIND(X)
X(short_string, MAP_KEY_SHORT_STRING)
#undef X

__attribute__((noinline)) static void *lookup_any_string(mg_runtime *rt, mg_hmap *h, const void *key,
                                                         void **key_out)
{
	return MAP_READ_STRING(lookup, key, rt, h, key, key_out);
}

void *map_lookup(mg_runtime *rt, mg_hmap *h, const void *key, void **key_out)
{
	return h ? h->t->ops.lookup(rt, h, key, key_out) : NULL;
}

void *map_lookup_unchecked(mg_runtime *rt, mg_hmap *h, const void *key)
{
	return lookup_k(rt, h, key, NULL, h ? h->t->kind : MAP_KEY_BYTES, false);
}

__attribute__((always_inline)) static inline bool get_k(mg_runtime *rt, mg_hmap *m, const void *key,
                                                       void *elem_out, map_kind kind)
{
	void *e = lookup_k(rt, m, key, NULL, kind, true);
	if (elem_out && m) {
		/* The cell's size unless the elem is stored indirectly: one load
		 * less on the way to the copy. */
		const mg_maptype *t = m->t;
		size_t size = RT_UNLIKELY(t->indirect_elem) ? t->elem->size : t->elemsize;
		if (e)
			map_copy_value(elem_out, e, size);
		else
			map_zero_value(elem_out, size);
	}
	return e != NULL;
}

#define X(name, kind) \
	__attribute__((noinline)) static bool get_##name(mg_runtime *rt, mg_hmap *m, const void *key, void *elem_out) \
	{ \
		return get_k(rt, m, key, elem_out, kind); \
	}
MAP_PER_KIND(X)
X(short_string, MAP_KEY_SHORT_STRING)
#undef X

__attribute__((noinline)) static bool get_any_string(mg_runtime *rt, mg_hmap *m, const void *key, void *elem_out)
{
	return MAP_READ_STRING(get, key, rt, m, key, elem_out);
}

bool mg_map_get(mg_runtime *rt, mg_hmap *m, const void *key, void *elem_out)
{
	/* A nil map reads as empty and leaves elem_out alone. */
	return m ? m->t->ops.get(rt, m, key, elem_out) : false;
}

/* ---- assign ------------------------------------------------------------- */

__attribute__((always_inline)) static inline void assign_k(mg_runtime *rt, mg_hmap *h, const void *key,
                                                          const void *elem, map_kind kind)
{
	/* h is not nil: mg_map_set panics first.  Go checks before hashing
	 * and sets hashWriting after (a panicking hash would leave it set);
	 * the atomic or is both, and no hash of ours panics. */
	map_write_begin(rt, h, "mg_map_set");
	const mg_maptype *t = h->t;
	uint64_t hash = map_hash_h(h, key, kind);
	map_pin pin = {0};
	if (RT_UNLIKELY(!h->buckets)) {
		map_pin_on(rt, &pin, h, key, elem);
		void *arr = gc_alloc(rt, t->bucket_ti, true, 1);
		/* wb.fresh */
		gc_store(rt, &h->buckets, arr);
	}
	void *insertb, *b, *elemp;
	unsigned inserti;
again:;
	uint64_t bucket = hash & map_bucket_mask(h->B);
	if (RT_UNLIKELY(map_growing(h))) {
		map_pin_on(rt, &pin, h, key, elem);
		grow_work(rt, h, bucket);
	}
	b = map_bucket_at(t, h->buckets, bucket);
	/* Maps beyond the caches: the lines of the cell the new key goes to,
	 * for writing, with the tophash line (see lookup_k).  At B 14 it cost
	 * int64 inserts 33 -> 40 ns; at 10^6 keys, B 15 and up, it saved 154 -> 124. */
	if (kind != MAP_KEY_BYTES && h->B >= 15)
		map_prefetch_bucket(t, b, true);
	uint8_t top = map_tophash(hash);
	insertb = NULL;
	inserti = 0;
	for (;;) {
		/* Go's scan, 8 cells at a time: the key's cell if present, else
		 * the first empty cell met, stopping at an emptyRest cell. */
		uint64_t w = map_tophash_word(b);
		uint64_t rest = map_match_bytes(w, MAP_EMPTY_REST);
		if (!insertb) {
			uint64_t empty = rest | map_match_bytes(w, MAP_EMPTY_ONE);
			if (empty) {
				insertb = b;
				inserti = (unsigned)__builtin_ctzll(empty) >> 3;
			}
		}
		for (uint64_t hit = map_match_candidates(w, top); hit; hit &= hit - 1) {
			unsigned i = (unsigned)__builtin_ctzll(hit) >> 3;
			void *k = map_key_of_k(t, b, i, kind);
			if (!map_equal_k(t, key, k, kind))
				continue;
			/* Present: Go updates string keys (needkeyupdate), so the map
			 * holds the newest backing array. */
			if (kind == MAP_KEY_STRING)
				key_set_k(rt, t, k, key, kind);
			elemp = map_elem_of(t, b, i);
			goto done;
		}
		if (rest)
			goto notfound;
		void *ovf = map_overflow(t, b);
		if (!ovf)
			break;
		b = ovf;
	}
notfound:
	/* Grow on inserting a new key, when the load factor or the overflow
	 * count says so; the grow invalidates everything, so start again. */
	if (!map_growing(h) && (map_over_load_factor(h->count + 1, h->B) || too_many_overflow(h->noverflow, h->B))) {
		map_pin_on(rt, &pin, h, key, elem);
		hash_grow(rt, h);
		goto again;
	}
	if (!insertb) {
		map_pin_on(rt, &pin, h, key, elem);
		insertb = new_overflow(rt, h, b);
		inserti = 0;
	}
	void *kdst = map_cell_key(t, insertb, inserti);
	void *edst = map_cell_elem(t, insertb, inserti);
	if (t->indirect_key) {
		map_pin_on(rt, &pin, h, key, elem);
		void *kmem = gc_alloc(rt, t->key_ti, false, 1);
		/* wb.fresh (an empty cell's pointer is NULL) */
		gc_store(rt, kdst, kmem);
		kdst = kmem;
	}
	if (t->indirect_elem) {
		map_pin_on(rt, &pin, h, key, elem);
		void *emem = gc_alloc(rt, t->elem_ti, false, 1);
		/* wb.fresh */
		gc_store(rt, edst, emem);
	}
	key_set_k(rt, t, kdst, key, kind);
	map_set_tophash(insertb, inserti, top);
	h->count++;
	elemp = map_elem_of(t, insertb, inserti);
done:
	map_write_end(rt, h, "mg_map_set");
	value_set(rt, t->elem_ti, elemp, elem);
	map_unpin(rt, &pin);
}

#define X(name, kind) \
	__attribute__((noinline)) static void assign_##name(mg_runtime *rt, mg_hmap *m, const void *key, \
	                                                    const void *elem) \
	{ \
		assign_k(rt, m, key, elem, kind); \
	}
MAP_PER_KIND(X)
#undef X

void mg_map_set(mg_runtime *rt, mg_hmap *m, const void *key, const void *elem)
{
	if (RT_UNLIKELY(!m))
		mg_panic(rt, "assignment to entry in nil map");
	m->t->ops.set(rt, m, key, elem);
}

/* ---- delete ------------------------------------------------------------- */

__attribute__((always_inline)) static inline void delete_k(mg_runtime *rt, mg_hmap *h, const void *key,
                                                          map_kind kind)
{
	if (!h || h->count == 0)
		return;
	map_write_begin(rt, h, "mg_map_delete");
	const mg_maptype *t = h->t;
	uint64_t hash = map_hash_h(h, key, kind);
	map_pin pin = {0};
	uint64_t bucket = hash & map_bucket_mask(h->B);
	if (RT_UNLIKELY(map_growing(h))) {
		map_pin_on(rt, &pin, h, key, NULL);
		grow_work(rt, h, bucket);
	}
	void *b = map_bucket_at(t, h->buckets, bucket), *borig = b;
	/* Maps bigger than the caches: ask for the bucket's other lines (keys,
	 * elems: an int64 bucket spans three, a string one four) for writing
	 * now, so they arrive with the tophash line instead of after it, and
	 * owned, for the stores that clear the cell.  Bench, quiet machine, 3
	 * runs each: string delete at 10^6 keys 72-79 -> 58-61 ns, 10^5 32.5
	 * -> 30; int64 at 10^6 53-55 -> 32-35 ns (Go 1.19 39-40), 10^5 21 ->
	 * 19.  At 10^3 (B 8) it cost 3 ns, hence the size test.  Not for
	 * MAP_KEY_BYTES, whose buckets can span 30 lines. */
	if (kind != MAP_KEY_BYTES && h->B >= 12)
		map_prefetch_bucket(t, b, true);
	uint8_t top = map_tophash(hash);
	for (; b; b = map_overflow(t, b)) {
		uint8_t *th = map_tophashes(b);
		uint64_t w = map_tophash_word(b);
		for (uint64_t hit = map_match_candidates(w, top); hit; hit &= hit - 1) {
			unsigned i = (unsigned)__builtin_ctzll(hit) >> 3;
			if (!map_equal_k(t, key, map_key_of_k(t, b, i, kind), kind))
				continue;
			/* Clear what the cell references, as Go does: pointerful keys
			 * and every elem (inv: deleted cells are zeroed). */
			void *kc = map_cell_key(t, b, i), *ec = map_cell_elem(t, b, i);
			if (t->indirect_key)
				gc_store(rt, kc, NULL);
			else if (map_kind_is_string(kind) || t->key_ptrs)
				key_clear_k(rt, t, kc, kind);
			if (t->indirect_elem)
				gc_store(rt, ec, NULL);
			else
				value_clear(rt, t->elem_ti, ec);
			map_set_tophash(b, i, MAP_EMPTY_ONE);
			/* If the cell is the last filled one, turn this and the empty
			 * cells before it into emptyRest, walking backwards through the
			 * chain (inv.empty-rest). */
			if (i == MAP_BUCKET_CNT - 1) {
				void *ovf = map_overflow(t, b);
				if (ovf && map_tophashes(ovf)[0] != MAP_EMPTY_REST)
					goto notlast;
			} else if (th[i + 1] != MAP_EMPTY_REST) {
				goto notlast;
			}
			for (;;) {
				map_set_tophash(b, i, MAP_EMPTY_REST);
				if (i == 0) {
					if (b == borig)
						break;
					void *c = b;
					for (b = borig; map_overflow(t, b) != c; b = map_overflow(t, b))
						;
					i = MAP_BUCKET_CNT - 1;
				} else {
					i--;
				}
				if (map_tophashes(b)[i] != MAP_EMPTY_ONE)
					break;
			}
		notlast:
			h->count--;
			/* Re-seed an empty map, so an attacker cannot keep a collision
			 * set across refills (Go issue 25237). */
			if (h->count == 0)
				map_set_hash0(h, (uint32_t)rt_rand(rt));
			goto end;
		}
		if (map_has_byte(w, MAP_EMPTY_REST))
			goto end;
	}
end:
	map_write_end(rt, h, "mg_map_delete");
	map_unpin(rt, &pin);
}

#define X(name, kind) \
	__attribute__((noinline)) static void delete_##name(mg_runtime *rt, mg_hmap *m, const void *key) \
	{ \
		delete_k(rt, m, key, kind); \
	}
MAP_PER_KIND(X)
X(short_string, MAP_KEY_SHORT_STRING)
#undef X

__attribute__((noinline)) static void delete_any_string(mg_runtime *rt, mg_hmap *m, const void *key)
{
	MAP_READ_STRING(delete, key, rt, m, key);
}

void mg_map_delete(mg_runtime *rt, mg_hmap *m, const void *key)
{
	if (m)
		m->t->ops.del(rt, m, key);
}

/* Per key kind; string maps read through the chooser of the short-key
 * body. */
static const map_ops ops_of_kind[] = {
	[MAP_KEY_INT64] = {get_int64, lookup_int64, assign_int64, delete_int64},
	[MAP_KEY_STRING] = {get_any_string, lookup_any_string, assign_string, delete_any_string},
	[MAP_KEY_PTR] = {get_ptr, lookup_ptr, assign_ptr, delete_ptr},
	[MAP_KEY_BYTES] = {get_bytes, lookup_bytes, assign_bytes, delete_bytes},
};

_Static_assert(sizeof ops_of_kind / sizeof ops_of_kind[0] == MAP_KEY_BYTES + 1,
               "one entry per kind a map type can have (MAP_KEY_SHORT_STRING is not one)");

void map_bind_ops(mg_maptype *t)
{
	t->ops = ops_of_kind[t->kind];
}

/* ---- clear -------------------------------------------------------------- */

/* Go 1.21's fix for issue 59411: mark every cell of both arrays and their
 * chains emptyRest first, so an iterator alive across the clear, on either
 * array or inside an overflow chain that the clear unlinks, stops. */
static void mark_buckets_empty(const mg_maptype *t, void *arr, uint64_t mask)
{
	for (uint64_t i = 0; i <= mask; i++)
		for (void *b = map_bucket_at(t, arr, i); b; b = map_overflow(t, b))
			map_clear_tophash(b);
}

void mg_map_clear(mg_runtime *rt, mg_hmap *h)
{
	if (!h || h->count == 0)
		return;
	map_write_begin(rt, h, "mg_map_clear");
	const mg_maptype *t = h->t;
	h->clears++;
	int64_t count = h->count;
	mark_buckets_empty(t, h->buckets, map_bucket_mask(h->B));
	if (h->oldbuckets)
		mark_buckets_empty(t, h->oldbuckets, map_oldbucket_mask(h));
	map_flags_and(h, (uint8_t)~MAP_SAME_SIZE_GROW);
	gc_store(rt, &h->oldbuckets, NULL);
	h->nevacuate = 0;
	h->noverflow = 0;
	h->count = 0;
	map_set_hash0(h, (uint32_t)rt_rand(rt));
	if (h->extra) {
		/* overflow: wb.iter-grey; oldoverflow has work to do (see the
		 * header); nextOverflow: wb.buckets-holds. */
		gc_store(rt, &h->extra->overflow, NULL);
		gc_store(rt, &h->extra->oldoverflow, NULL);
		gc_store(rt, &h->extra->nextOverflow, NULL);
	}
	/* Go reuses the array (clearing it in place).  Not while an iterator
	 * may be on it: re-writing the preallocated-overflow end marker could
	 * send the iterator back to bucket 0 (an entry produced twice), and the
	 * overflow buckets chained to the reused array after the clear would be
	 * held only by the map's new overflow list, dropped at the next
	 * growdone, while the iterator still walks into them (found by the map
	 * fuzzer, tests/fuzz/corpus/map/iter-clear-*).  Then the map gets a
	 * fresh array and the iterator keeps the old one, now all emptyRest. */
	void *next;
	map_pin pin = {0};
	if (map_flags(h) & (MAP_ITERATOR | MAP_OLD_ITERATOR)) {
		map_pin_on(rt, &pin, h, NULL, NULL);
		void *arr = make_bucket_array(rt, t, h->B, NULL, &next);
		/* Shading the old array: wb.iter-grey (the new one is fresh). */
		gc_store(rt, &h->buckets, arr);
	} else {
		make_bucket_array(rt, t, h->B, h->buckets, &next);
	}
	if (next) {
		map_pin_on(rt, &pin, h, NULL, NULL);
		ensure_extra(rt, h);
		/* wb.buckets-holds: and extra is black only after h was scanned,
		 * or when it was made in this mark with the array (then fresh, or
		 * shaded by the nextOverflow store of mg_map_new or hash_grow). */
		gc_store(rt, &h->extra->nextOverflow, next);
	}
	map_unpin(rt, &pin);
	map_write_end(rt, h, "mg_map_clear");
	if (map_events_on(rt))
		map_event(rt, h, "clear", "B=%u count=%lld", h->B, (long long)count);
}

void map_test_set_evac_barrier(mg_runtime *rt, bool on)
{
	map_rt_of(rt)->test_no_evac_barrier = !on;
}

/* ---- introspection ------------------------------------------------------ */

void mg_map_info(const mg_hmap *m, mg_mapinfo *out)
{
	memset(out, 0, sizeof *out);
	if (!m)
		return;
	out->id = m->id;
	out->count = (size_t)m->count;
	out->B = m->B;
	out->flags = map_flags(m);
	out->hash0 = m->hash0;
	out->noverflow = m->noverflow;
	out->growing = map_growing(m);
	out->same_size = map_same_size_grow(m);
	out->nbuckets = (size_t)map_bucket_shift(m->B);
	out->noldbuckets = out->growing ? (size_t)map_noldbuckets(m) : 0;
	out->nevacuate = (size_t)m->nevacuate;
	out->bucket_size = m->t->bucketsize;
	out->noscan = m->t->noscan;
}

MG_NORETURN void map_misuse(mg_runtime *rt, const mg_hmap *h, const char *msg, const char *op)
{
	rt_mutator *self = rt_self(rt);
	if (rt->trace_hook)
		rt->trace_hook(rt, rt->trace_hook_ud);
	fflush(stdout);
	fprintf(stderr, "fatal error: %s\n", msg);
	fprintf(stderr, "  thread %u: %s\n", self->id, op);
	pthread_mutex_lock(&rt->muts_lock);
	for (rt_mutator *m = rt->muts; m; m = m->next)
		if (m != self && __atomic_load_n(&m->doing_map, __ATOMIC_RELAXED) == h)
			fprintf(stderr, "  thread %u: %s\n", m->id, __atomic_load_n(&m->doing, __ATOMIC_RELAXED));
	pthread_mutex_unlock(&rt->muts_lock);
	fflush(stderr);
	rt_fail_printed(rt, MG_FATAL, msg);
}
