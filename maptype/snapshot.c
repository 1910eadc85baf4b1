/*
 * snapshot.c — what a heap snapshot says about a map (gc/snapshot.c writes
 * the object; this adds its "map" member through rt_typeinfo.describe):
 *
 *   "map": {"id", "key", "elem", "count", "B", "flags", "hash0", "noverflow",
 *           "growing", "same_size", "nevacuate", "noldbuckets",
 *           "buckets": [chain, ...], "oldbuckets": [chain, ...] | null}
 *
 * A chain is one string per bucket index: one character per cell in cell
 * order — F full, e emptyOne, - emptyRest, X evacuatedX, Y evacuatedY,
 * E evacuatedEmpty — with '|' between the buckets of an overflow chain.
 * "FFe-----|F-------" is a bucket with two filled cells, a deleted one and
 * one overflow bucket.
 */
#include "maptype/map.h"

static char cell_code(uint8_t top)
{
	switch (top) {
	case MAP_EMPTY_REST:
		return '-';
	case MAP_EMPTY_ONE:
		return 'e';
	case MAP_EVACUATED_X:
		return 'X';
	case MAP_EVACUATED_Y:
		return 'Y';
	case MAP_EVACUATED_EMPTY:
		return 'E';
	default:
		return 'F';
	}
}

static void write_chains(FILE *f, const mg_maptype *t, void *arr, uint64_t n)
{
	fputc('[', f);
	for (uint64_t i = 0; i < n; i++) {
		fputs(i ? ",\"" : "\"", f);
		uint64_t guard = 0;
		for (void *b = map_bucket_at(t, arr, i); b && guard < (1u << 20); b = map_overflow(t, b), guard++) {
			if (guard)
				fputc('|', f);
			for (unsigned k = 0; k < MAP_BUCKET_CNT; k++)
				fputc(cell_code(map_tophashes(b)[k]), f);
		}
		fputc('"', f);
	}
	fputc(']', f);
}

void map_snapshot_describe(mg_runtime *rt, const void *obj, size_t len, FILE *f)
{
	(void)rt;
	(void)len;
	const mg_hmap *h = obj;
	const mg_maptype *t = h->t;
	if (!t) {
		fputs("\"map\":null", f);
		return;
	}
	fprintf(f, "\"map\":{\"id\":%u,\"key\":", h->id);
	gc_json_str(f, t->key->name ? t->key->name : "?");
	fputs(",\"elem\":", f);
	gc_json_str(f, t->elem->name ? t->elem->name : "?");
	fprintf(f,
	        ",\"count\":%lld,\"B\":%u,\"flags\":%u,"
	        "\"hash0\":%u,\"noverflow\":%u,\"growing\":%s,\"same_size\":%s,\"nevacuate\":%llu,"
	        "\"noldbuckets\":%llu,\"buckets\":",
	        (long long)h->count,
	        h->B, map_flags(h), h->hash0, h->noverflow, map_growing(h) ? "true" : "false",
	        map_same_size_grow(h) ? "true" : "false", (unsigned long long)h->nevacuate,
	        (unsigned long long)(map_growing(h) ? map_noldbuckets(h) : 0));
	if (h->buckets)
		write_chains(f, t, h->buckets, map_bucket_shift(h->B));
	else
		fputs("[]", f);
	fputs(",\"oldbuckets\":", f);
	if (h->oldbuckets)
		write_chains(f, t, h->oldbuckets, map_noldbuckets(h));
	else
		fputs("null", f);
	fputc('}', f);
}
