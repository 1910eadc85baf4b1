/*
 * maptrace=2 map events (DESIGN.md §5): `mapev EVENT m#ID key=value…` for
 * make, grow, evacuate, growdone, iter and clear, written to cfg.trace.
 * A seeded workload (three maps: noscan with iterators and a clear
 * mid-grow, pointer values with an iterator across a grow, string keys
 * driven into same-size grows) must emit every event with well-formed,
 * consistent fields, and two runs with the same seed must give
 * byte-identical event streams — also across the write-barrier modes,
 * since the collector must not change what the map does.  A different
 * seed must give a different stream (so the comparison can fail).
 */
#include "tests/support/map_kinds.h"
#include "tests/support/mgt.h"

#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct tws {
	mg_runtime *rt;
	mg_scope s;
	mg_hmap *m;
	mg_hiter *it;
	mapt_obj *tmp;
	mg_string key;
} tws;

static void set_i(tws *w, int64_t k, int64_t v)
{
	mg_map_set(w->rt, w->m, &k, &v);
}

static void set_p(tws *w, int64_t k)
{
	w->tmp = mg_alloc(w->rt, &mapt_obj_type);
	w->tmp->kid = k;
	mg_map_set(w->rt, w->m, &k, &w->tmp);
	w->tmp = NULL;
}

/* Runs the workload; returns the whole trace (malloc'd). */
static char *run_workload(uint64_t seed, mg_barrier wb)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *trace = open_memstream(&buf, &len);
	cr_assert_not_null(trace);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.heapcheck = 0;
	cfg.checkmark = 1;
	cfg.maptrace = 2;
	cfg.trace = trace;
	cfg.seed = seed;
	cfg.seed_set = true;
	cfg.wb = wb;
	cfg.gcevery = 41;
	cfg.gogc = 5;
	cfg.mark_slice = 1024;
	tws w = {0};
	w.rt = mgt_open(&cfg);
	mg_scope_enter(w.rt, &w.s);
	mg_root(w.rt, &w.m, "m");
	mg_root(w.rt, &w.it, "it");
	mg_root(w.rt, &w.tmp, "tmp");
	mg_root(w.rt, &w.key, "key");
	int64_t k, v;

	/* m#1: int64 -> int64 (noscan), an iterator across grows, a clear mid-grow. */
	w.m = mg_map_new(w.rt, mg_maptype_get(w.rt, &mg_type_int64, &mg_type_int64), 0);
	for (k = 0; k < 300; k++)
		set_i(&w, k, k);
	w.it = mg_map_iter(w.rt, w.m);
	for (int i = 0; i < 50 && mg_map_next(w.rt, w.it, &k, &v); i++)
		set_i(&w, 1000 + i * 17, i);
	for (k = 300; k < 800; k++)
		set_i(&w, k, k);
	while (mg_map_next(w.rt, w.it, &k, &v))
		;
	for (k = 0; k < 200; k++)
		mg_map_delete(w.rt, w.m, &k);
	for (k = 2000; !w.m->oldbuckets; k++)
		set_i(&w, k, k);
	mg_map_clear(w.rt, w.m); /* mid-grow */
	for (k = 0; k < 100; k++)
		set_i(&w, k, -k);

	/* m#2: int64 -> *obj with a hint; an iterator across a grow keeps the
	 * evacuated cells; m#3 the same without iterators clears them. */
	w.m = mg_map_new(w.rt, mg_maptype_get(w.rt, &mg_type_int64, &mg_type_ptr), 60);
	for (k = 0; k < 104; k++)
		set_p(&w, k);
	w.it = mg_map_iter(w.rt, w.m);
	for (k = 104; k < 400; k++)
		set_p(&w, k);
	while (mg_map_next(w.rt, w.it, &k, NULL))
		;
	w.it = NULL;
	w.m = mg_map_new(w.rt, mg_maptype_get(w.rt, &mg_type_int64, &mg_type_ptr), 0);
	for (k = 0; k < 400; k++)
		set_p(&w, k);

	/* m#4: string -> int64 held at B=3 and churned into same-size grows. */
	w.m = mg_map_new(w.rt, mg_maptype_get(w.rt, &mg_type_string, &mg_type_int64), 40);
	char b[32];
	int64_t lo = 0, hi = 0;
	for (; hi < 45; hi++) {
		int n = snprintf(b, sizeof b, "key-%" PRId64, hi);
		w.key = mg_string_new(w.rt, b, (size_t)n);
		mg_map_set(w.rt, w.m, &w.key, &hi);
	}
	for (int i = 0; i < 4000; i++) {
		int n = snprintf(b, sizeof b, "key-%" PRId64, lo++);
		w.key = (mg_string){b, (size_t)n};
		mg_map_delete(w.rt, w.m, &w.key);
		n = snprintf(b, sizeof b, "key-%" PRId64, hi);
		w.key = mg_string_new(w.rt, b, (size_t)n);
		mg_map_set(w.rt, w.m, &w.key, &hi);
		hi++;
	}
	w.key = (mg_string){0};
	w.m = NULL;
	mg_scope_leave(w.rt, &w.s);
	mgt_close(w.rt);
	fclose(trace);
	return buf;
}

/* Only the mapev lines (the per-cycle lines carry times). */
static char *events_of(const char *trace)
{
	size_t n = strlen(trace);
	char *out = malloc(n + 1), *o = out;
	for (const char *l = trace; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);
		cr_assert(nl, "a trace line without a newline: %.*s", (int)len, l);
		if (strncmp(l, "mapev ", 6) == 0) {
			memcpy(o, l, len);
			o += len;
		} else {
			cr_assert(strncmp(l, "map ", 4) == 0 || strncmp(l, "gc ", 3) == 0,
			          "unexpected trace line: %.*s", (int)len, l);
		}
		l += len;
	}
	*o = '\0';
	return out;
}

static size_t want_len(unsigned B)
{
	return ((size_t)1 << B) + (B >= 4 ? (size_t)1 << (B - 4) : 0);
}

Test(maptrace, events_well_formed)
{
	char *trace = run_workload(4711, MG_WB_HYBRID);
	char *ev = events_of(trace);
	int makes = 0, doubles = 0, sames = 0, evacs = 0, dones = 0, iters = 0, clears = 0;
	int kept = 0, cleared = 0, noscan = 0, iter_growing = 0;
	unsigned lastB[8] = {0}, nextid = 1;
	bool same[8] = {0};
	size_t bsize[8] = {0};
	for (char *l = ev; *l;) {
		char *nl = strchr(l, '\n');
		*nl = '\0'; /* parsed in place: ev is cut into lines */
		unsigned id = 0, B0, B1, x, y, off, Bc;
		int growing;
		long long cnt;
		unsigned long long ob, start;
		size_t released;
		char kind[16], cells[16], key[32], elem[32];
		size_t hint;
		int nos;
		if (sscanf(l, "mapev make m#%u B=%u hint=%zu key=%31s elem=%31s noscan=%d", &id, &B0, &hint, key, elem,
		           &nos) == 6) {
			cr_assert_eq(id, nextid++, "map ids count from 1 in creation order: %s", l);
			cr_assert_lt(id, 8);
			lastB[id] = B0;
			bsize[id] = strcmp(key, "string") == 0 ? 208 : 144;
			cr_assert_eq(nos, strcmp(elem, "int64") == 0 && strcmp(key, "int64") == 0, "%s", l);
			makes++;
		} else if (sscanf(l, "mapev grow m#%u B=%u->%u kind=%15s count=%lld", &id, &B0, &B1, kind, &cnt) == 5) {
			cr_assert(id > 0 && id < nextid, "%s", l);
			cr_assert_eq(B0, lastB[id], "grow from the B the map has: %s", l);
			if (strcmp(kind, "double") == 0) {
				cr_assert_eq(B1, B0 + 1, "%s", l);
				/* over the load factor: count+1 > 8 and > 6.5 * 2^B */
				long long lim = (13LL << B0) / 2;
				cr_assert(cnt + 1 > 8 && cnt + 1 > lim, "%s", l);
				doubles++;
			} else {
				cr_assert_str_eq(kind, "same-size", "%s", l);
				cr_assert_eq(B1, B0, "%s", l);
				sames++;
			}
			same[id] = B1 == B0;
			lastB[id] = B1;
		} else if (sscanf(l, "mapev evacuate m#%u old=%llu x=%u y=%u old_cells=%15s", &id, &ob, &x, &y, cells) ==
		           5) {
			cr_assert_lt(ob, (unsigned long long)1 << lastB[id], "%s", l);
			cr_assert_leq(x + y, 8u * 64, "%s", l);
			if (same[id])
				cr_assert_eq(y, 0, "a same-size grow has no Y half: %s", l);
			if (strcmp(cells, "kept") == 0)
				kept++;
			else if (strcmp(cells, "cleared") == 0)
				cleared++;
			else if (strcmp(cells, "noscan") == 0)
				noscan++;
			else
				cr_assert_fail("old_cells=%s: %s", cells, l);
			evacs++;
		} else if (sscanf(l, "mapev growdone m#%u B=%u released=%zu", &id, &B0, &released) == 3) {
			cr_assert_eq(B0, lastB[id], "%s", l);
			unsigned oldB = same[id] ? B0 : B0 - 1;
			cr_assert_eq(released, want_len(oldB) * bsize[id], "released is the old array's size: %s", l);
			dones++;
		} else if (sscanf(l, "mapev iter m#%u start=%llu offset=%u growing=%d B=%u", &id, &start, &off, &growing,
		                  &Bc) == 5) {
			cr_assert_eq(Bc, lastB[id], "%s", l);
			cr_assert_lt(start, (unsigned long long)1 << Bc, "%s", l);
			cr_assert_lt(off, 8, "%s", l);
			cr_assert(growing == 0 || growing == 1, "%s", l);
			iter_growing += growing;
			iters++;
		} else if (sscanf(l, "mapev clear m#%u B=%u count=%lld", &id, &B0, &cnt) == 3) {
			cr_assert_eq(B0, lastB[id], "clear keeps B: %s", l);
			cr_assert_gt(cnt, 0, "%s", l);
			clears++;
		} else {
			cr_assert_fail("malformed or unknown event: %s", l);
		}
		l = nl + 1;
	}
	fprintf(stderr, "maptrace: %d make, %d double + %d same-size grow, %d evacuate (%d kept, %d cleared, %d noscan), "
	        "%d growdone, %d iter (%d while growing), %d clear\n", makes, doubles, sames, evacs, kept, cleared, noscan,
	        dones, iters, iter_growing, clears);
	cr_assert_eq(makes, 4);
	cr_assert_geq(doubles, 12);
	cr_assert_geq(sames, 1);
	cr_assert_geq(evacs, 100);
	cr_assert(kept > 0 && cleared > 0 && noscan > 0, "evacuations of every kind");
	cr_assert_geq(dones, doubles + sames - 2, "grows finish (a clear mid-grow ends one without growdone)");
	cr_assert_eq(iters, 2);
	cr_assert_eq(clears, 1);
	/* Exact first events. */
	cr_assert(strncmp(trace, "mapev make m#1 B=0 hint=0 key=int64 elem=int64 noscan=1\n", 56) == 0 ||
	          strstr(trace, "\nmapev make m#1 B=0 hint=0 key=int64 elem=int64 noscan=1\n"),
	          "the first event:\n%.200s", trace);
	cr_assert(strstr(trace, "\nmapev grow m#1 B=0->1 kind=double count=8 "), "the 9th key doubles B=0");
	cr_assert(strstr(trace, "\nmapev make m#2 B=4 hint=60 key=int64 elem=pointer noscan=0\n"));
	free(ev);
	free(trace);
}

Test(maptrace, same_seed_same_events)
{
	char *a = run_workload(99, MG_WB_HYBRID), *b = run_workload(99, MG_WB_HYBRID);
	char *ea = events_of(a), *eb = events_of(b);
	cr_assert_gt(strlen(ea), 10000);
	cr_assert_str_eq(ea, eb, "two runs with seed 99 differ");
	free(a), free(b), free(eb);
	static const mg_barrier other[] = {MG_WB_YUASA, MG_WB_DIJKSTRA};
	for (int i = 0; i < 2; i++) {
		char *c = run_workload(99, other[i]);
		char *ec = events_of(c);
		cr_assert_str_eq(ea, ec, "events under wb=%s differ from hybrid's", mg_barrier_name(other[i]));
		free(c), free(ec);
	}
	char *d = run_workload(100, MG_WB_HYBRID);
	char *ed = events_of(d);
	cr_assert_str_neq(ea, ed, "seeds 99 and 100 gave the same events: the comparison proves nothing");
	free(d), free(ed), free(ea);
}

/* The grow event's noverflow: the overflow count that triggered the grow
 * (for a same-size grow, at least 2^B), not the counter after its reset. */
Test(maptrace, grow_event_reports_noverflow)
{
	char *trace = run_workload(4711, MG_WB_HYBRID);
	char *ev = events_of(trace);
	int seen = 0;
	for (char *l = ev; (l = strstr(l, "mapev grow ")) != NULL; l++) {
		unsigned id, B0, B1, nov;
		long long cnt;
		char kind[16];
		cr_assert_eq(sscanf(l, "mapev grow m#%u B=%u->%u kind=%15s count=%lld noverflow=%u", &id, &B0, &B1, kind,
		                    &cnt, &nov), 6, "%.100s", l);
		if (strcmp(kind, "same-size") == 0) {
			seen++;
			cr_assert_geq(nov, 1u << B0, "same-size grow at B=%u reports noverflow=%u: %.*s", B0, nov,
			              (int)strcspn(l, "\n"), l);
		}
	}
	cr_assert_gt(seen, 0);
	free(ev);
	free(trace);
}
