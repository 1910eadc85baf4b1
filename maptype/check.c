/*
 * check.c — the map verifier (mg_map_check), checking map.h's invariants:
 *  - every filled cell is in the bucket its hash names, with the right
 *    tophash, and a lookup of its key finds that very cell;
 *  - inv.count; no key twice;
 *  - inv.evac-prefix and inv.evac-marks for the old array;
 *  - cells of the new array are never in an evacuated state;
 *  - inv.empty-rest along every chain;
 *  - overflow chains are acyclic (bounded by the number of buckets that
 *    can exist) and never lead outside the heap;
 *  - inv.noscan-overflow: every overflow bucket of a noscan map is in
 *    extra.overflow (current array) or extra.oldoverflow (old array);
 *  - deleted cells are zeroed: elems always, keys when they hold pointers.
 * It allocates nothing and changes nothing, so it can run after every
 * operation in tests.
 */
#include "maptype/map.h"

#include <stdarg.h>

typedef struct mcheck {
	mg_runtime *rt;
	const mg_hmap *h;
	FILE *out;
	int bad;
	int64_t filled;
} mcheck;

static void mviolation(mcheck *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mviolation(mcheck *c, const char *fmt, ...)
{
	if (c->out && c->bad < 10) {
		va_list ap;
		va_start(ap, fmt);
		fprintf(c->out, "map check: m#%u: ", c->h->id);
		vfprintf(c->out, fmt, ap);
		fputc('\n', c->out);
		va_end(ap);
	}
	c->bad++;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static bool in_list(const map_ovflist *l, const void *b)
{
	if (!l)
		return false;
	for (uint64_t i = 0; i < l->len; i++)
		if (l->v[i] == b)
			return true;
	return false;
}

/* Walks one chain; `old` says which array it belongs to; `index` is the
 * bucket index; `mask` the array's mask. */
static void check_chain(mcheck *c, void *arr, uint64_t index, uint64_t mask, bool old, bool evacuated)
{
	const mg_hmap *h = c->h;
	const mg_maptype *t = h->t;
	mg_hmap *hm = (mg_hmap *)h;
	uint64_t limit = 2 * map_bucket_shift(h->B) + 1024 + (h->count + 7) / 8 * 2;
	bool rest = false;
	uint64_t n = 0;
	void *first = map_bucket_at(t, arr, index);
	for (void *b = first; b; b = map_overflow(t, b), n++) {
		if (n > limit) {
			mviolation(c, "%s bucket %llu: overflow chain longer than %llu (a cycle?)", old ? "old" : "new",
			           (unsigned long long)index, (unsigned long long)limit);
			return;
		}
		if (b != first && !mg_typeof(c->rt, b, NULL)) {
			mviolation(c, "%s bucket %llu: overflow pointer %p is not a heap object", old ? "old" : "new",
			           (unsigned long long)index, b);
			return;
		}
		if (b != first && t->noscan) {
			const map_ovflist *l = h->extra ? (old ? h->extra->oldoverflow : h->extra->overflow) : NULL;
			if (!in_list(l, b))
				mviolation(c, "%s bucket %llu: noscan overflow bucket %p not in extra.%s", old ? "old" : "new",
				           (unsigned long long)index, b, old ? "oldoverflow" : "overflow");
		}
		const uint8_t *th = map_tophashes(b);
		for (unsigned i = 0; i < MAP_BUCKET_CNT; i++) {
			uint8_t top = th[i];
			bool evac = top > MAP_EMPTY_ONE && top < MAP_MIN_TOPHASH;
			if (rest && top != MAP_EMPTY_REST && !evacuated)
				mviolation(c, "%s bucket %llu: cell %u (%u) after an emptyRest cell", old ? "old" : "new",
				           (unsigned long long)index, i, top);
			if (top == MAP_EMPTY_REST)
				rest = true;
			if (evacuated) {
				if (!evac)
					mviolation(c, "old bucket %llu is below nevacuate or marked evacuated but cell %u is %u",
					           (unsigned long long)index, i, top);
				continue;
			}
			if (evac) {
				mviolation(c, "%s bucket %llu: cell %u is in evacuated state %u in a live bucket",
				           old ? "old" : "new", (unsigned long long)index, i, top);
				continue;
			}
			if (map_is_empty(top)) {
				if (!all_zero(map_cell_elem(t, b, i), t->elemsize))
					mviolation(c, "%s bucket %llu: empty cell %u has a non-zero elem", old ? "old" : "new",
					           (unsigned long long)index, i);
				if (t->key_ptrs && !all_zero(map_cell_key(t, b, i), t->keysize))
					mviolation(c, "%s bucket %llu: empty cell %u has a non-zero key", old ? "old" : "new",
					           (unsigned long long)index, i);
				continue;
			}
			c->filled++;
			void *k = map_key_of(t, b, i);
			uint64_t hash = map_hash(t, k, h->hash0);
			if ((hash & mask) != index)
				mviolation(c, "%s bucket %llu: cell %u hashes to bucket %llu", old ? "old" : "new",
				           (unsigned long long)index, i, (unsigned long long)(hash & mask));
			if (map_tophash(hash) != top)
				mviolation(c, "%s bucket %llu: cell %u tophash %u, hash says %u", old ? "old" : "new",
				           (unsigned long long)index, i, top, map_tophash(hash));
			void *found = map_lookup_unchecked(c->rt, hm, k);
			if (found != map_elem_of(t, b, i))
				mviolation(c, "%s bucket %llu: cell %u is not what a lookup of its key finds", old ? "old" : "new",
				           (unsigned long long)index, i);
		}
	}
}

int mg_map_check(mg_runtime *rt, const mg_hmap *h, FILE *report)
{
	if (!h)
		return 0;
	mcheck c = {rt, h, report, 0, 0};
	const mg_maptype *t = h->t;
	if (map_flags(h) & MAP_HASH_WRITING)
		mviolation(&c, "hashWriting set outside a map operation");
	if (!h->buckets) {
		if (h->count)
			mviolation(&c, "count %lld with no buckets", (long long)h->count);
		return c.bad;
	}
	size_t len = 0;
	if (mg_typeof(rt, h->buckets, &len) != &t->bucket)
		mviolation(&c, "buckets is not a bucket array of this map type");
	if (len < map_bucket_shift(h->B))
		mviolation(&c, "bucket array has %zu buckets, B=%u needs %llu", len, h->B,
		           (unsigned long long)map_bucket_shift(h->B));
	uint64_t mask = map_bucket_mask(h->B);
	for (uint64_t i = 0; i <= mask && c.bad < 10; i++)
		check_chain(&c, h->buckets, i, mask, false, false);
	if (h->oldbuckets) {
		uint64_t nold = map_noldbuckets(h);
		if (h->nevacuate > nold)
			mviolation(&c, "nevacuate %llu beyond %llu old buckets", (unsigned long long)h->nevacuate,
			           (unsigned long long)nold);
		for (uint64_t i = 0; i < nold && c.bad < 10; i++) {
			bool evac = map_evacuated(map_bucket_at(t, h->oldbuckets, i));
			if (i < h->nevacuate && !evac)
				mviolation(&c, "old bucket %llu below nevacuate %llu is not evacuated", (unsigned long long)i,
				           (unsigned long long)h->nevacuate);
			check_chain(&c, h->oldbuckets, i, nold - 1, true, evac);
		}
	} else if (map_flags(h) & MAP_SAME_SIZE_GROW) {
		mviolation(&c, "sameSizeGrow set while not growing");
	}
	if (c.filled != h->count)
		mviolation(&c, "count is %lld but %lld cells are filled", (long long)h->count, (long long)c.filled);
	return c.bad;
}
