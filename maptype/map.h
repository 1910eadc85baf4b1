/*
 * map.h — Go 1.19's classic hash map ("map.go"), on mapgc's collected heap.
 *
 * STRUCTURE.  A map is an hmap header and an array of 2^B buckets.  A bucket
 * holds 8 cells: tophash[8] (the top byte of each cell's hash, or a state),
 * then 8 keys, then 8 elems (keys together and elems together, so no padding
 * sits between a key and its elem), then an overflow pointer chaining more
 * buckets that share the bucket index.  A key's bucket is the low B bits of
 * its hash; its tophash the high byte, raised past the states below.
 *
 *   inv.array-len: an array of 2^B buckets is allocated with 2^(B-4)
 *     preallocated overflow buckets after them when B >= 4, none below, so
 *     its length alone gives 2^B (map_array_nbuckets).
 *
 *   tophash states (MAP_TOPHASH_LIST): emptyRest 0 (this cell and every
 *   later cell of the chain are empty), emptyOne 1, evacuatedX 2,
 *   evacuatedY 3 (moved to the low / high half of the new array),
 *   evacuatedEmpty 4, minTopHash 5 (smallest real top byte).
 *
 * GROWTH.  Inserting a new key into a map that is not growing grows it when
 * count+1 > 6.5 × 2^B (and > 8) — a doubling — or when there are at least
 * 2^min(B,15) overflow buckets — a same-size grow that packs the chains.
 * The old array becomes `oldbuckets`; every later assign or delete evacuates
 * the old bucket it lands on plus old bucket `nevacuate` (growWork), so the
 * cost is spread over the operations.  A doubling splits old bucket i into
 * new buckets i (X) and i + 2^(B-1) (Y) by the hash bit that B gained.
 * When nevacuate reaches the old size, oldbuckets and the old overflow
 * list are dropped and the collector can reclaim them.
 *
 *   inv.evac-prefix: old buckets below nevacuate are evacuated.
 *   inv.evac-marks: an evacuated old bucket's cells are all evacuatedX,
 *     evacuatedY or evacuatedEmpty; a bucket not evacuated has none.
 *   inv.empty-rest: after an emptyRest cell, every later cell of the chain
 *     is emptyRest.
 *   inv.count: count = filled cells of the new array + filled cells of old
 *     buckets not evacuated.
 *   inv.noscan-overflow: buckets of maps whose keys and elems hold no
 *     pointers are noscan, so the collector never follows their overflow
 *     pointers; every overflow bucket is therefore kept in extra.overflow
 *     (or extra.oldoverflow), and iterators hold those lists too (Go #9477).
 *
 * SPEED.  (map.c; the figures are in the commits that added each part.)
 *   - Each hot operation has one body per key kind, compiled with the kind
 *     known (MAP_PER_KIND); mg_map_get, _set, _delete and map_lookup reach
 *     it with one load and an indirect jump through the type's ops
 *     (map_bind_ops).  Reads and deletes of string keys of up to 16 bytes
 *     have a body of their own with no call in it (MAP_KEY_SHORT_STRING).
 *   - A bucket's 8 tophashes are read as one word.  Lookup, assign and
 *     delete take candidate cells from map_match_candidates and compare
 *     each candidate's key; its rare extra candidates are rejected by that
 *     comparison (the argument is at the function).
 *   - Operations ask early for memory they are about to wait on: in maps
 *     of B >= 12 (bigger than the caches) a delete for the bucket's other
 *     lines and a string lookup for the overflow pointer's line, in maps of
 *     B >= 15 an insert for the lines it is about to write and an
 *     evacuation for its old bucket and both destinations, in maps of
 *     B >= 17 (far bigger) every lookup for the bucket's other lines; at any
 *     size, evacuation of a string map for the bytes of a bucket's keys,
 *     and a map[K]*T iterator for the objects of the next bucket.
 *
 * GC.  Everything here is a heap object with labelled pointer fields:
 * hmap {buckets, oldbuckets, extra}, mapextra {overflow, oldoverflow,
 * nextOverflow}, buckets {key, elem, overflow}, hiter {it.h, it.buckets,
 * it.bptr, it.overflow, it.oldoverflow}.  Every pointer store goes through
 * gc_store, and bulk moves of cells through the typed copy/clear barriers
 * (evacuation, delete, clear); and as mark workers scan buckets while the
 * map changes, every pointer word is written with a relaxed atomic store,
 * cells with pointers word by word (inv.ptrword-atomic in gc.h; tophash
 * bytes and pointer-free cells are written plainly).  Allocation may collect, so pointers held in
 * C locals across an allocation are re-derived from the (rooted) hmap
 * afterwards, and the caller's key and elem are rooted for the duration of
 * an operation (they are copied into the map after allocations).
 */
#ifndef MAPGC_MAP_H
#define MAPGC_MAP_H

#include "gc/gc.h"

#define MAP_BUCKET_CNT 8
#define MAP_MAX_KEY 128   /* larger keys and elems are stored indirectly */
#define MAP_MAX_ELEM 128
/* Load factor 6.5 = 13/2: Go's measured trade-off between overflow buckets
 * and wasted cells (table in map.go). */
#define MAP_LOADFACTOR_NUM 13
#define MAP_LOADFACTOR_DEN 2

#define MAP_TOPHASH_LIST(X) \
	X(MAP_EMPTY_REST, 0, "emptyRest") \
	X(MAP_EMPTY_ONE, 1, "emptyOne") \
	X(MAP_EVACUATED_X, 2, "evacuatedX") \
	X(MAP_EVACUATED_Y, 3, "evacuatedY") \
	X(MAP_EVACUATED_EMPTY, 4, "evacuatedEmpty") \
	X(MAP_MIN_TOPHASH, 5, "minTopHash")

enum {
#define MAP_X_ENUM(n, v, s) n = v,
	MAP_TOPHASH_LIST(MAP_X_ENUM)
#undef MAP_X_ENUM
};
_Static_assert(MAP_EMPTY_REST == 0, "zeroed memory is emptyRest");
_Static_assert(MAP_EMPTY_ONE < MAP_EVACUATED_X && MAP_EVACUATED_EMPTY < MAP_MIN_TOPHASH,
               "evacuated states lie strictly between emptyOne and minTopHash");

#define MAP_FLAG_LIST(X) \
	X(MAP_ITERATOR, 1, "iterator") \
	X(MAP_OLD_ITERATOR, 2, "oldIterator") \
	X(MAP_HASH_WRITING, 4, "hashWriting") \
	X(MAP_SAME_SIZE_GROW, 8, "sameSizeGrow")

enum {
#define MAP_X_ENUM(n, v, s) n = v,
	MAP_FLAG_LIST(MAP_X_ENUM)
#undef MAP_X_ENUM
};

/* MAP_KEY_SHORT_STRING is never a type's kind: it is the read and delete
 * paths' specialisation for string keys of at most 16 bytes (map.c), whose hash
 * and comparison are inline with no call, so its body needs no
 * callee-saved registers.  It shares MAP_KEY_STRING's layout. */
typedef enum map_kind { MAP_KEY_INT64, MAP_KEY_STRING, MAP_KEY_PTR, MAP_KEY_BYTES, MAP_KEY_SHORT_STRING } map_kind;

static inline bool map_kind_is_string(map_kind k) { return k == MAP_KEY_STRING || k == MAP_KEY_SHORT_STRING; }
typedef struct map_rt map_rt;

/* The per-kind bodies of the operations reached on every call (map.c). */
typedef struct map_ops {
	bool (*get)(mg_runtime *rt, mg_hmap *m, const void *key, void *elem_out);
	void *(*lookup)(mg_runtime *rt, mg_hmap *h, const void *key, void **key_out);
	void (*set)(mg_runtime *rt, mg_hmap *m, const void *key, const void *elem);
	void (*del)(mg_runtime *rt, mg_hmap *m, const void *key);
} map_ops;

struct mg_maptype {
	const mg_type *key, *elem;
	map_kind kind;
	bool indirect_key, indirect_elem;
	bool key_ptrs, elem_ptrs;       /* the stored key/elem (as in the cell) holds pointers */
	bool noscan;                    /* buckets hold no pointers */
	bool elem_is_ptr;               /* the elem is one pointer, stored in the cell (map[K]*T) */
	uint32_t keysize, elemsize;     /* as stored in a cell (8 when indirect) */
	uint32_t bucketsize;
	uint32_t keys_off, elems_off, overflow_off;
	mg_type bucket;                 /* the bucket's type descriptor */
	mg_field *bucket_fields;
	rt_typeinfo *bucket_ti, *key_ti, *elem_ti;
	rt_typeinfo *cellkey_ti, *cellelem_ti;  /* typed copies of cells */
	char name[96];
	struct map_rt *mrt;             /* the runtime's map state (types are per runtime) */
	/* Bound once by map_bind_ops, held in the type itself, so that a call
	 * reaches its body with one load and an indirect jump. */
	map_ops ops;
};

/* A growable list of overflow buckets: Go's *[]*bmap.  Iterators hold the
 * list object, not its array, so they see buckets appended after they
 * started (an append may move the array). */
typedef struct map_ovflist {
	void **v;               /* heap array of bucket pointers; capacity = its length */
	uint64_t len;           /* used */
} map_ovflist;

typedef struct map_extra {
	map_ovflist *overflow;     /* overflow buckets of the current array (noscan maps) */
	map_ovflist *oldoverflow;  /* the same for the old array */
	void *nextOverflow;        /* next free preallocated overflow bucket */
} map_extra;

struct mg_hmap {
	int64_t count;          /* live cells: len() */
	uint8_t flags;
	uint8_t B;              /* log2 of the bucket count */
	uint16_t noverflow;     /* approximate overflow bucket count (see incr_noverflow) */
	uint32_t hash0;         /* hash seed, re-drawn when the map empties (map_set_hash0) */
	void *buckets;          /* 2^B buckets (+ preallocated overflow for B >= 4) */
	void *oldbuckets;       /* previous array, non-NULL only while growing */
	uint64_t nevacuate;     /* old buckets below this are evacuated */
	map_extra *extra;       /* optional fields */
	const mg_maptype *t;    /* outside the heap */
	uint32_t id;            /* for traces: from 1, in order of creation */
	uint32_t clears;        /* mg_map_clear count (iterator fingerprint) */
	uint64_t seedflip;      /* XXH3's 8-byte-input constant for hash0 (map_hash_k) */
};

struct mg_hiter {
	mg_hmap *h;             /* it.h */
	void *buckets;          /* it.buckets: the array iteration started on */
	void *bptr;             /* it.bptr: current bucket (may be an overflow bucket) */
	map_ovflist *overflow;    /* it.overflow: keeps noscan overflow buckets alive */
	map_ovflist *oldoverflow; /* it.oldoverflow */
	uint64_t startBucket;
	uint64_t bucket;        /* next bucket to visit */
	uint64_t checkBucket;
	uint8_t offset;         /* cell offset, random */
	uint8_t B;              /* B at start */
	bool wrapped;
	bool done;
	uint32_t clears;        /* h->clears at start */
	/* Go's it.i as a set: the cells of bptr still to visit, 0x80 in byte
	 * j for the j-th in visiting order (map_iter_cells of the rotated
	 * tophash word, taken when the iterator reached bptr). */
	uint64_t cells;
};

#define MAP_NO_CHECK UINT64_MAX

/* ---- per-runtime map state ---------------------------------------------- */

struct map_rt {
	mg_maptype **types;     /* cache of map types */
	size_t ntypes, cap;         /* read with acquire (ntypes); grown under lock */
	pthread_mutex_t lock;       /* mg_maptype_get's additions */
	rt_typeinfo *hmap_ti, *extra_ti, *ovflist_ti, *ovf_ti, *iter_ti;
	uint32_t next_id;           /* atomic */
	bool test_no_evac_barrier; /* tests only: evacuation copies without barriers */
	struct map_trace *trace;   /* trace.c's figures, found from a map type in its hooks */
};

map_rt *map_rt_of(mg_runtime *rt);

/* ---- hashing (inline: the per-kind fast paths are specialisations) ------ */

#define XXH_INLINE_ALL
#include <xxhash.h>

/* XXH3_64bits_withSeed on 8 bytes, split in two: the part that depends only
 * on the seed (once per hash0, stored in the hmap) and the part per key.
 * Bit-identical to the library call (a test checks it). */
static inline uint64_t map_seedflip(uint32_t seed)
{
	uint64_t s = seed ^ ((uint64_t)XXH_swap32(seed) << 32);
	return (XXH_readLE64(XXH3_kSecret + 8) ^ XXH_readLE64(XXH3_kSecret + 16)) - s;
}

static inline uint64_t map_hash8(uint64_t k, uint64_t seedflip)
{
	return XXH3_rrmxmx(((k >> 32) | (k << 32)) ^ seedflip, 8);
}

__attribute__((always_inline)) static inline uint64_t map_hash_k(const mg_maptype *t, const void *key,
                                                                uint32_t seed, map_kind kind)
{
	switch (kind) {
	case MAP_KEY_INT64:
	case MAP_KEY_PTR:
		return XXH3_64bits_withSeed(key, 8, seed);
	case MAP_KEY_STRING:
	case MAP_KEY_SHORT_STRING: {
		/* Strings of up to 16 bytes (most keys) go straight to the branch
		 * XXH3_64bits_withSeed would take for them, inlined here instead
		 * of a call through its length dispatch; same bits (a test checks
		 * it). */
		const mg_string *s = key;
		const xxh_u8 *p = (const xxh_u8 *)(s->len ? s->ptr : "");
		if (kind == MAP_KEY_SHORT_STRING || s->len <= 16)
			return XXH3_len_0to16_64b(p, s->len, XXH3_kSecret, seed);
		return XXH3_64bits_withSeed(p, s->len, seed);
	}
	default:
		return XXH3_64bits_withSeed(key, t->key->size, seed);
	}
}

/* Equality of n bytes.  Up to 16 bytes without a library call: two
 * overlapping word loads from each side (never past the end), or for 1 to 3
 * bytes the first, middle and last.  short_only: the caller knows n <= 16,
 * so no memcmp call is compiled in. */
__attribute__((always_inline)) static inline bool map_bytes_equal(const char *a, const char *b, size_t n,
                                                                  bool short_only)
{
	if (n >= 8 && n <= 16) {
		uint64_t a0, a1, b0, b1;
		memcpy(&a0, a, 8);
		memcpy(&b0, b, 8);
		memcpy(&a1, a + n - 8, 8);
		memcpy(&b1, b + n - 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	if (n >= 4 && n < 8) {
		uint32_t a0, a1, b0, b1;
		memcpy(&a0, a, 4);
		memcpy(&b0, b, 4);
		memcpy(&a1, a + n - 4, 4);
		memcpy(&b1, b + n - 4, 4);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	if (n < 4) /* first, middle and last byte cover 1 to 3 */
		return n == 0 || (a[0] == b[0] && a[n >> 1] == b[n >> 1] && a[n - 1] == b[n - 1]);
	if (short_only) /* n <= 16 known: the branches above took it */
		__builtin_unreachable();
	return memcmp(a, b, n) == 0;
}

__attribute__((always_inline)) static inline bool map_equal_k(const mg_maptype *t, const void *a, const void *b,
                                                             map_kind kind)
{
	switch (kind) {
	case MAP_KEY_INT64:
	case MAP_KEY_PTR:
		return *(const uint64_t *)a == *(const uint64_t *)b;
	case MAP_KEY_STRING:
	case MAP_KEY_SHORT_STRING: {
		const mg_string *x = a, *y = b;
		/* Empty strings may have a NULL pointer: never hand it to memcmp. */
		return x->len == y->len &&
		       (x->ptr == y->ptr || x->len == 0 ||
		        map_bytes_equal(x->ptr, y->ptr, x->len, kind == MAP_KEY_SHORT_STRING));
	}
	default:
		return memcmp(a, b, t->key->size) == 0;
	}
}

/* The hash of key in map h: the fast path for 8-byte keys uses the stored
 * seed constant.  Every hash of a key in a map goes through here. */
__attribute__((always_inline)) static inline uint64_t map_hash_h(const mg_hmap *h, const void *key, map_kind kind)
{
	if (kind == MAP_KEY_INT64 || kind == MAP_KEY_PTR) {
		uint64_t k;
		memcpy(&k, key, 8);
		return map_hash8(k, h->seedflip);
	}
	if (kind == MAP_KEY_SHORT_STRING) {
		/* 4 to 8 bytes: XXH3's branch for them mixes in the same
		 * seed-only constant as the 8-byte key path, so it is taken from
		 * the hmap too (the same bits: a test checks).  Lookups and
		 * deletes take this kind; assign and evacuate hash through
		 * MAP_KEY_STRING. */
		const mg_string *s = key;
		if (s->len - 4 <= 4) {
			uint64_t lo = XXH_readLE32(s->ptr + s->len - 4), hi = XXH_readLE32(s->ptr);
			return XXH3_rrmxmx((lo + (hi << 32)) ^ h->seedflip, s->len);
		}
	}
	return map_hash_k(h->t, key, h->hash0, kind);
}

static inline void map_set_hash0(mg_hmap *h, uint32_t seed)
{
	h->hash0 = seed;
	h->seedflip = map_seedflip(seed);
}

/* Tophash matching 8 cells at once: 0x80 in every byte of w equal to b.
 * Exact (no false positives from borrows), unlike the classic haszero. */
static inline uint64_t map_match_bytes(uint64_t w, uint8_t b)
{
	uint64_t x = w ^ (0x0101010101010101ULL * b);
	uint64_t t = (x & 0x7f7f7f7f7f7f7f7fULL) + 0x7f7f7f7f7f7f7f7fULL;
	return ~(t | x | 0x7f7f7f7f7f7f7f7fULL);
}

/* Candidate cells for tophash b (>= minTopHash), for scans that compare
 * the key of every candidate anyway (lookup, assign, delete): the classic
 * haszero, cheaper than map_match_bytes by three operations.  Every cell
 * holding b is flagged.  A borrow flags one more byte only when that byte
 * is b ^ 1 and a match sits below it: in a bucket that is not evacuated
 * (the only ones these scans read) such a cell is filled with a tophash
 * other than b, so it holds another key and the comparison rejects it;
 * empty cells (0, 1) are never flagged, since b ^ 1 >= 4. */
static inline uint64_t map_match_candidates(uint64_t w, uint8_t b)
{
	uint64_t x = w ^ (0x0101010101010101ULL * b);
	return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

/* Whether any byte of w is b.  Exact: haszero is nonzero exactly when some
 * byte is zero (the lowest zero byte always sets its 0x80). */
static inline bool map_has_byte(uint64_t w, uint8_t b)
{
	return map_match_candidates(w, b) != 0;
}

/* 0x80 in every byte of w whose cell an iterator may produce: filled
 * (>= minTopHash) or evacuatedX/Y, not empty (0, 1) nor evacuatedEmpty.
 * Exact, like map_match_bytes: clearing bit 0 leaves 0 only for the two
 * empty states, and no byte of (x & 0x7f..) + 0x7f.. carries. */
static inline uint64_t map_iter_cells(uint64_t w)
{
	uint64_t x = w & 0xfefefefefefefefeULL;
	uint64_t filled = (((x & 0x7f7f7f7f7f7f7f7fULL) + 0x7f7f7f7f7f7f7f7fULL) | x) & 0x8080808080808080ULL;
	return filled & ~map_match_bytes(w, MAP_EVACUATED_EMPTY);
}

/* TOPHASH AND OVERFLOW WORDS MARK WORKERS READ.  With maptrace on, a
 * bucket array's chunk hook (trace.c) may run on a mark worker while the
 * map changes (gc/work.c, HOOKED TYPES): it reads each bucket's tophash
 * word and follows its overflow links.  So the map writes tophash bytes
 * with relaxed atomic stores (map_set_tophash, map_clear_tophash), and an
 * overflow link with a release store that the walk reads with an acquire
 * load (set_overflow in map.c, map_overflow): the walker then sees the
 * new overflow bucket as its allocation left it.  On x86-64 each is the
 * plain move; what the race leaves the walk is defined in trace.c. */
typedef uint64_t map_word __attribute__((may_alias));

static inline uint64_t map_tophash_word(const void *b)
{
	return __atomic_load_n((const map_word *)b, __ATOMIC_RELAXED);
}

static inline void map_set_tophash(void *b, unsigned i, uint8_t top)
{
	__atomic_store_n((uint8_t *)b + i, top, __ATOMIC_RELAXED);
}

/* All eight cells emptyRest (0). */
static inline void map_clear_tophash(void *b)
{
	__atomic_store_n((map_word *)b, 0, __ATOMIC_RELAXED);
}

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tophash words assume cell i in byte i");

/* The hash and equality of a key of map type t, the kind read at run time;
 * for the verifier and tests.  Out of line: inlined where the key is an
 * int64, GCC would warn about the string branch reading 16 bytes of it. */
uint64_t map_hash(const mg_maptype *t, const void *key, uint32_t seed);
bool map_key_equal(const mg_maptype *t, const void *a, const void *b);

static inline uint8_t map_tophash(uint64_t hash)
{
	uint8_t top = (uint8_t)(hash >> 56);
	return top < MAP_MIN_TOPHASH ? (uint8_t)(top + MAP_MIN_TOPHASH) : top;
}

static inline bool map_is_empty(uint8_t x) { return x <= MAP_EMPTY_ONE; }

/* ---- bucket geometry ---------------------------------------------------- */

static inline uint8_t *map_tophashes(void *b) { return (uint8_t *)b; }
static inline void *map_bucket_at(const mg_maptype *t, void *arr, uint64_t i)
{
	return (char *)arr + i * t->bucketsize;
}
static inline void *map_cell_key(const mg_maptype *t, void *b, unsigned i)
{
	return (char *)b + t->keys_off + (size_t)i * t->keysize;
}
static inline void *map_cell_elem(const mg_maptype *t, void *b, unsigned i)
{
	return (char *)b + t->elems_off + (size_t)i * t->elemsize;
}
static inline void **map_overflow_slot(const mg_maptype *t, void *b)
{
	return (void **)((char *)b + t->overflow_off);
}
static inline void *map_overflow(const mg_maptype *t, void *b)
{
	return __atomic_load_n(map_overflow_slot(t, b), __ATOMIC_ACQUIRE);
}

/* Asks for every cache line of bucket b after the first (the tophash's,
 * which the caller is about to read), for writing when `write`.  Only for
 * buckets of a few lines: MAP_KEY_BYTES buckets can span thirty. */
static inline void map_prefetch_bucket(const mg_maptype *t, const void *b, bool write)
{
	for (uintptr_t p = ((uintptr_t)b & ~(uintptr_t)63) + 64; p < (uintptr_t)b + t->bucketsize; p += 64) {
		if (write)
			__builtin_prefetch((const void *)p, 1);
		else
			__builtin_prefetch((const void *)p, 0);
	}
}

/* The key or elem value a cell holds (following indirection). */
static inline void *map_key_of(const mg_maptype *t, void *b, unsigned i)
{
	void *k = map_cell_key(t, b, i);
	return t->indirect_key ? *(void **)k : k;
}
static inline void *map_elem_of(const mg_maptype *t, void *b, unsigned i)
{
	void *e = map_cell_elem(t, b, i);
	return t->indirect_elem ? *(void **)e : e;
}

/* The same, with the layout known at compile time for the key kinds whose
 * size is fixed (8-byte keys: keys at 8, elems at 72; strings: keys at 8,
 * elems at 136); used by the per-kind specialisations in map.c. */
__attribute__((always_inline)) static inline void *map_key_of_k(const mg_maptype *t, void *b, unsigned i,
                                                               map_kind kind)
{
	if (kind == MAP_KEY_INT64 || kind == MAP_KEY_PTR)
		return (char *)b + MAP_BUCKET_CNT + (size_t)i * 8;
	if (map_kind_is_string(kind))
		return (char *)b + MAP_BUCKET_CNT + (size_t)i * sizeof(mg_string);
	return map_key_of(t, b, i);
}

__attribute__((always_inline)) static inline void *map_elem_of_k(const mg_maptype *t, void *b, unsigned i,
                                                                map_kind kind)
{
	size_t off = kind == MAP_KEY_INT64 || kind == MAP_KEY_PTR ? MAP_BUCKET_CNT + MAP_BUCKET_CNT * 8
	             : map_kind_is_string(kind)                   ? MAP_BUCKET_CNT + MAP_BUCKET_CNT * sizeof(mg_string)
	                                                          : t->elems_off;
	void *e = (char *)b + off + (size_t)i * t->elemsize;
	return t->indirect_elem ? *(void **)e : e;
}

static inline uint64_t map_bucket_shift(uint8_t B) { return (uint64_t)1 << B; }
/* 2^B from a bucket array's length (inv.array-len): len is 2^B, or
 * 2^B + 2^(B-4) = 17 * 2^(B-4), which is not a power of two. */
static inline uint64_t map_array_nbuckets(uint64_t len)
{
	return (len & (len - 1)) == 0 ? len : len / 17 * 16;
}
static inline uint64_t map_bucket_mask(uint8_t B) { return map_bucket_shift(B) - 1; }
static inline bool map_growing(const mg_hmap *h) { return h->oldbuckets != NULL; }
/* ---- the flags word, with several threads (DESIGN.md §7, §9) -------------
 * hashWriting is taken by an atomic or at the start of every write and
 * dropped by an atomic and at its end, so two threads that write one map
 * at once are caught by the second one's or, before it has touched
 * anything; a read or an iteration step that finds it set is the other
 * misuse.  The other flags are changed by atomic or and and too (an
 * iterator sets its bits while other threads read: legal), and read with
 * relaxed loads.  Each thread's last map operation is kept in its
 * rt_mutator (doing, doing_map), so that the report of a misuse names
 * both threads (Go names only the one that noticed, #26703). */
static inline uint8_t map_flags(const mg_hmap *h) { return __atomic_load_n(&h->flags, __ATOMIC_RELAXED); }
static inline void map_flags_or(mg_hmap *h, uint8_t f) { __atomic_fetch_or(&h->flags, f, __ATOMIC_RELAXED); }
static inline void map_flags_and(mg_hmap *h, uint8_t f) { __atomic_fetch_and(&h->flags, f, __ATOMIC_RELAXED); }
static inline bool map_same_size_grow(const mg_hmap *h) { return (map_flags(h) & MAP_SAME_SIZE_GROW) != 0; }

/* The report: Go's first line, then `  thread T: OPERATION` for this
 * thread and for every other whose last map operation was on h. */
MG_NORETURN void map_misuse(mg_runtime *rt, const mg_hmap *h, const char *msg, const char *op);

static inline void map_doing(mg_runtime *rt, const mg_hmap *h, const char *op)
{
	rt_mutator *m = rt_self(rt);
	__atomic_store_n(&m->doing, op, __ATOMIC_RELAXED);
	__atomic_store_n(&m->doing_map, h, __ATOMIC_RELAXED);
}

static inline void map_write_begin(mg_runtime *rt, mg_hmap *h, const char *op)
{
	map_doing(rt, h, op);
	if (RT_UNLIKELY(__atomic_fetch_or(&h->flags, MAP_HASH_WRITING, __ATOMIC_ACQUIRE) & MAP_HASH_WRITING))
		map_misuse(rt, h, "concurrent map writes", op);
}

static inline void map_write_end(mg_runtime *rt, mg_hmap *h, const char *op)
{
	if (RT_UNLIKELY(!(__atomic_fetch_and(&h->flags, (uint8_t)~MAP_HASH_WRITING, __ATOMIC_RELEASE) &
	                  MAP_HASH_WRITING)))
		map_misuse(rt, h, "concurrent map writes", op);
}

/* A read's check (and an iteration step's). */
static inline void map_read_check(mg_runtime *rt, const mg_hmap *h, const char *msg, const char *op)
{
	if (RT_UNLIKELY(map_flags(h) & MAP_HASH_WRITING)) {
		map_doing(rt, h, op);
		map_misuse(rt, h, msg, op);
	}
}
static inline uint64_t map_noldbuckets(const mg_hmap *h)
{
	return map_same_size_grow(h) ? map_bucket_shift(h->B) : map_bucket_shift(h->B) >> 1;
}
static inline uint64_t map_oldbucket_mask(const mg_hmap *h) { return map_noldbuckets(h) - 1; }

static inline bool map_evacuated(void *b)
{
	uint8_t h = __atomic_load_n(map_tophashes(b), __ATOMIC_RELAXED);
	return h > MAP_EMPTY_ONE && h < MAP_MIN_TOPHASH;
}

static inline bool map_over_load_factor(int64_t count, uint8_t B)
{
	return count > MAP_BUCKET_CNT &&
	       (uint64_t)count > MAP_LOADFACTOR_NUM * (map_bucket_shift(B) / MAP_LOADFACTOR_DEN);
}

/* Copies a key or elem value out to the caller.  Sizes 8 and 16 (int64,
 * pointers, strings) become single moves instead of a library call. */
__attribute__((always_inline)) static inline void map_copy_value(void *dst, const void *src, size_t n)
{
	if (n == 8)
		memcpy(dst, src, 8);
	else if (n == 16)
		memcpy(dst, src, 16);
	else
		memcpy(dst, src, n);
}

__attribute__((always_inline)) static inline void map_zero_value(void *dst, size_t n)
{
	if (n == 8)
		memset(dst, 0, 8);
	else if (n == 16)
		memset(dst, 0, 16);
	else
		memset(dst, 0, n);
}

/* ---- operations (map.c) ------------------------------------------------- */

/* Fills t->ops for t->kind; maptype_make calls it once per map type. */
void map_bind_ops(mg_maptype *t);
/* Finds key; returns its elem value (and *key_out its stored key), or NULL. */
void *map_lookup(mg_runtime *rt, mg_hmap *h, const void *key, void **key_out);
/* The same without the concurrent-write check: for the verifier, which
 * must be able to look into a map whose hashWriting flag is stuck. */
void *map_lookup_unchecked(mg_runtime *rt, mg_hmap *h, const void *key);
void map_create_overflow(mg_runtime *rt, mg_hmap *h);
void map_event(mg_runtime *rt, const mg_hmap *h, const char *ev, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline bool map_events_on(const mg_runtime *rt) { return rt->cfg.maptrace >= 2; }

/* maptrace (trace.c): the scan hooks of the hmap and hiter types, the
 * chunk hook of bucket arrays (ud: the map type), and the last cycle's
 * figures for tests: maps, growing, same-size, iters, BN, BO, E, VN, VO, J,
 * X bytes, full, emptyOne, emptyRest, evacX+evacY, evacEmpty. */
void map_hmap_scanned(mg_runtime *rt, const void *obj, size_t len, void *ud);
void map_iter_scanned(mg_runtime *rt, const void *obj, size_t len, void *ud);
uint64_t map_trace_chunk(mg_runtime *rt, void *arr, uint32_t len, uint32_t from, uint32_t to, uint32_t tag,
                         void *ud);
void map_trace_last(mg_runtime *rt, uint64_t out[16]);

/* Why the marker counts a bucket array: the low bits of its work item's
 * tag (trace.c; 0, the marker's own item, is counted by the address's
 * entry).  Each is one holder's view, counted once per cycle. */
enum {
	MAP_TRACE_NEW = 1,     /* a live map's current array, held when the map was scanned */
	MAP_TRACE_OLD = 2,     /* its old array */
	MAP_TRACE_ITER = 3,    /* an array only an iterator held when it was scanned */
	MAP_TRACE_PENDING = 4, /* walks only: an array the marker reached before its holders' hooks */
	MAP_TRACE_NROLES
};

/* Tests only: what the chunk hook walked since the last reset (and since
 * the cycle's mark began), to prove each call stays within one chunk. */
typedef struct map_trace_walks {
	uint64_t calls;                      /* chunk-hook calls that walked a bucket */
	uint64_t max_main;                   /* most buckets of the array one call walked */
	uint64_t max_all;                    /* the same, with their overflow chains */
	uint64_t buckets[MAP_TRACE_NROLES];  /* buckets walked, chains included, by role when walked */
	uint64_t cold;                       /* of which by hook-only items (not just scanned) */
	uint64_t counted[MAP_TRACE_NROLES];  /* buckets in the line's figures, by the role they count in */
} map_trace_walks;
void map_trace_test_walks(mg_runtime *rt, map_trace_walks *out, bool reset);
/* Heap snapshots (snapshot.c): the "map" member of an hmap object. */
void map_snapshot_describe(mg_runtime *rt, const void *obj, size_t len, FILE *f);

/* Tests only: make evacuation copy cells with plain stores, to prove that
 * checkmark catches the missing barrier (tests/maptype). */
void map_test_set_evac_barrier(mg_runtime *rt, bool on);

#endif /* MAPGC_MAP_H */
