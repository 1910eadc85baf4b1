/*
 * maptrace=1 gathered as marking goes (maptype/trace.c): bounded work per
 * hook call and per mark slice, exact figures for maps of many chunks, and
 * the line's identities while maps change between slices.
 *
 *  - Bounds.  With a test hook (map_trace_test_walks) the tests read how
 *    many buckets each chunk-hook call walked and how many one mark slice
 *    walked.  Before this design one hook call (the hmap's) walked every
 *    bucket of the map inside the slice that scanned it, and mark
 *    termination walked every iter-only array: with the map below (16384
 *    buckets) both checks fail, which walks_bounded_checker_fires shows by
 *    making one call walk a whole array.
 *  - Exactness.  Big maps (several GC_SCAN_CHUNKs of buckets), noscan and
 *    scan, mid-grow, with chains, an array the marker reaches before its
 *    map, iter-only arrays held by two iterators: each line equals the
 *    oracle (tests/support/map_figs.h), as the exact tests of
 *    maptrace_line.c require of small maps.
 *  - Under mutation (small slices, automatic cycles, iterators advanced and
 *    maps grown, cleared and dropped during marking) no snapshot exists to
 *    compare with; every cycle's line must still satisfy the identities of
 *    mgt_figs_check, under each barrier mode.
 */
#include "tests/support/map_figs.h"
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"
#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A traced runtime whose cycles are the test's (GOGC off), one scope, and
 * a rooted map slot. */
typedef struct fx {
	mg_runtime *rt;
	mg_scope s;
	mg_hmap *m;
} fx;

static mg_runtime *fx_open(fx *f, uint64_t seed)
{
	mg_config cfg;
	mgt_config(&cfg);
	cfg.maptrace = 1;
	cfg.heapcheck = 0; /* big heaps: heapcheck after every slice is minutes; checkmark stays */
	cfg.gogc = MG_GOGC_OFF;
	cfg.seed = seed;
	cfg.seed_set = true;
	f->rt = mgt_open(&cfg);
	mg_scope_enter(f->rt, &f->s);
	f->m = NULL;
	mg_root(f->rt, &f->m, "m");
	return f->rt;
}

static void fx_close(fx *f)
{
	mg_scope_leave(f->rt, &f->s);
	mgt_close(f->rt);
}

static void seti(mg_runtime *rt, mg_hmap *m, int64_t k, int64_t v)
{
	mg_map_set(rt, m, &k, &v);
}

/* Buckets of map type t in one GC_SCAN_CHUNK: the most one call may walk
 * of an array itself. */
static uint64_t per_chunk(const mg_maptype *t)
{
	return GC_SCAN_CHUNK / t->bucketsize;
}

/* The bound on one call: a chunk's buckets plus their chains (a chain is
 * walked whole), ovf being all the overflow buckets the maps have. */
static const char *walks_bounded(const map_trace_walks *w, uint64_t per, uint64_t ovf, char *buf, size_t n)
{
	if (w->max_main > per)
		snprintf(buf, n, "one call walked %" PRIu64 " buckets of an array, a chunk has %" PRIu64, w->max_main, per);
	else if (w->max_all > per + ovf)
		snprintf(buf, n, "one call walked %" PRIu64 " buckets with chains, at most %" PRIu64 " + %" PRIu64,
		         w->max_all, per, ovf);
	else
		return NULL;
	return buf;
}

/* The bound on one mark slice of `budget` bytes: hook work counts toward
 * the budget (a walked bucket of a noscan array is charged its size), so
 * a slice walks less than budget / bucketsize buckets before its last
 * call, and that call at most a chunk with chains. */
static const char *slice_bounded(uint64_t walked, uint64_t budget, uint64_t bucketsize, uint64_t per, uint64_t ovf,
                                 char *buf, size_t n)
{
	uint64_t max = budget / bucketsize + per + ovf;
	if (walked <= max)
		return NULL;
	snprintf(buf, n, "one slice of %" PRIu64 " bytes walked %" PRIu64 " buckets, at most %" PRIu64, budget, walked,
	         max);
	return buf;
}

/* f->m := an int64 -> int64 map (noscan buckets) of 2^14 buckets holding
 * 100000 keys, some in chains; *w its figures. */
static mg_hmap *big_noscan(fx *f, mgt_figs *w)
{
	f->m = mg_map_new(f->rt, mg_maptype_get(f->rt, &mg_type_int64, &mg_type_int64), 100000);
	for (int64_t k = 0; k < 100000; k++)
		seti(f->rt, f->m, k, k);
	cr_assert(f->m->B == 14 && !f->m->oldbuckets && f->m->t->noscan, "setup: B=%u", f->m->B);
	memset(w, 0, sizeof *w);
	mgt_figs_map(w, f->m);
	cr_assert_gt(w->vn, 0, "setup: some chains");
	return f->m;
}

// labels: exact_pacing
Test(maptrace_incremental, big_noscan_map_exact_and_bounded_per_call)
{
	fx f;
	mg_runtime *rt = fx_open(&f, 0x61);
	mgt_figs w;
	mg_hmap *m = big_noscan(&f, &w);
	mg_gc(rt);
	mgt_figs_expect_last(rt, &w, "a noscan map of 16384 buckets");
	map_trace_walks wk;
	map_trace_test_walks(rt, &wk, false);
	char why[200];
	const char *bad = walks_bounded(&wk, per_chunk(m->t), w.vn, why, sizeof why);
	cr_assert_null(bad, "%s", bad);
	cr_assert_geq(wk.calls, (w.bn + per_chunk(m->t) - 1) / per_chunk(m->t), "one call per chunk at least");
	cr_assert_eq(wk.cold, w.bn + w.vn, "noscan: every bucket read by hook-only items, once");
	fx_close(&f);
}

// labels: exact_pacing
Test(maptrace_incremental, big_noscan_map_bounded_per_slice)
{
	if (mgt_test_mode_stw())
		cr_skip_test("the subject is incremental marking");
	fx f;
	mg_runtime *rt = fx_open(&f, 0x62);
	mgt_figs w;
	mg_hmap *m = big_noscan(&f, &w);
	const uint64_t budget = 16 << 10;
	gc_test_begin_mark(rt);
	map_trace_walks wk;
	map_trace_test_walks(rt, &wk, true);
	uint64_t total = 0, steps = 0;
	char why[200];
	for (bool done = false; !done; steps++) {
		done = gc_test_mark_step(rt, budget);
		map_trace_test_walks(rt, &wk, true);
		uint64_t walked = wk.buckets[MAP_TRACE_NEW] + wk.buckets[MAP_TRACE_PENDING];
		const char *bad = slice_bounded(walked, budget, m->t->bucketsize, per_chunk(m->t), w.vn, why, sizeof why);
		cr_assert_null(bad, "step %" PRIu64 ": %s", steps, bad);
		total += walked;
	}
	cr_assert_eq(total, w.bn + w.vn, "every bucket walked once");
	cr_assert_gt(steps, 20, "the walk was spread over slices (%" PRIu64 ")", steps);
	gc_test_finish_mark(rt);
	mgt_figs_expect_last(rt, &w, "walked slice by slice");
	fx_close(&f);
}

/* What the old design did — the hmap's hook walking the whole array in one
 * call, inside one slice — must be caught by both checkers. */
Test(maptrace_incremental, walks_bounded_checker_fires)
{
	fx f;
	mg_runtime *rt = fx_open(&f, 0x63);
	mgt_figs w;
	mg_hmap *m = big_noscan(&f, &w);
	size_t len = 0;
	mg_typeof(rt, m->buckets, &len);
	map_trace_walks wk;
	map_trace_test_walks(rt, &wk, true);
	map_trace_chunk(rt, m->buckets, (uint32_t)len, 0, (uint32_t)len, MAP_TRACE_NEW | GC_TAG_HOOK_ONLY,
	                (void *)m->t);
	map_trace_test_walks(rt, &wk, true);
	cr_assert_eq(wk.max_main, w.bn, "the call walked the whole array");
	char why[200];
	cr_assert_not_null(walks_bounded(&wk, per_chunk(m->t), w.vn, why, sizeof why));
	cr_assert_not_null(slice_bounded(wk.buckets[MAP_TRACE_NEW], 16 << 10, m->t->bucketsize, per_chunk(m->t), w.vn,
	                                 why, sizeof why));
	/* And a call that keeps to a chunk passes both. */
	map_trace_chunk(rt, m->buckets, (uint32_t)len, 0, (uint32_t)per_chunk(m->t), MAP_TRACE_NEW | GC_TAG_HOOK_ONLY,
	                (void *)m->t);
	map_trace_test_walks(rt, &wk, true);
	cr_assert_null(walks_bounded(&wk, per_chunk(m->t), w.vn, why, sizeof why), "%s", why);
	fx_close(&f);
}

static const mg_maptype *i64_i64(mg_runtime *rt)
{
	return mg_maptype_get(rt, &mg_type_int64, &mg_type_int64);
}

/* map[int64]*T: scan buckets, counted as the marker scans them. */
static const mg_maptype *i64_ptr(mg_runtime *rt)
{
	return mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr);
}

/* Grows a scan map from empty until it doubles past `keys`, then adds
 * `more` keys (each evacuates two old buckets), stopping part-way. */
static void grow_scan_map_mid_grow(mg_runtime *rt, mg_hmap *m, int64_t keys, int more)
{
	void *nil = NULL;
	int64_t k = 0;
	for (; k < keys; k++)
		mg_map_set(rt, m, &k, &nil);
	while (!m->oldbuckets) {
		mg_map_set(rt, m, &k, &nil);
		k++;
	}
	for (int i = 0; i < more; i++, k++)
		mg_map_set(rt, m, &k, &nil);
	cr_assert(m->oldbuckets && m->nevacuate > 0 && m->nevacuate < map_noldbuckets(m),
	          "setup: mid-grow, nevacuate %" PRIu64 " of %" PRIu64, m->nevacuate, map_noldbuckets(m));
}

// labels: exact_pacing
Test(maptrace_incremental, big_scan_map_mid_grow_exact_and_hot)
{
	fx f;
	mg_runtime *rt = fx_open(&f, 0x64);
	mg_hmap *m = f.m = mg_map_new(rt, i64_ptr(rt), 0);
	grow_scan_map_mid_grow(rt, m, 53248, 300); /* 6.5 x 8192: the next key doubles B=13 */
	mgt_figs w = {0};
	mgt_figs_map(&w, m);
	cr_assert(w.growing == 1 && w.bo == 8192 && w.bn == 16384 && w.evac > 0 && w.evac < w.bo && w.vo > 0);
	mg_gc(rt);
	mgt_figs_expect_last(rt, &w, "a scan map mid-grow, many chunks");
	map_trace_walks wk;
	map_trace_test_walks(rt, &wk, false);
	char why[200];
	const char *bad = walks_bounded(&wk, per_chunk(m->t), w.vn + w.vo, why, sizeof why);
	cr_assert_null(bad, "%s", bad);
	/* Reached first from its map, each array is counted as it is scanned. */
	cr_assert_eq(wk.cold, 0, "%" PRIu64 " buckets walked apart from the marker's scan", wk.cold);
	cr_assert_eq(wk.counted[MAP_TRACE_NEW], w.bn + w.vn);
	cr_assert_eq(wk.counted[MAP_TRACE_OLD], w.bo + w.vo);
	fx_close(&f);
}

/* The iterator is rooted after the map, so the marker scans it first (the
 * roots go on a stack) and reaches the map's array before the map: the
 * array is counted pending as it is scanned, and the map's hook takes it. */
// labels: exact_pacing
Test(maptrace_incremental, array_reached_before_its_map_counted_once)
{
	if (mgt_test_mode_stw())
		cr_skip_test("the order of the marker's work is the subject");
	fx f;
	mg_runtime *rt = fx_open(&f, 0x65);
	mg_hmap *m = f.m = mg_map_new(rt, i64_ptr(rt), 0);
	mg_hiter *it = NULL;
	mg_root(rt, &it, "it");
	void *nil = NULL;
	for (int64_t k = 0; k < 30000; k++)
		mg_map_set(rt, m, &k, &nil);
	cr_assert_null(m->oldbuckets, "setup: not growing");
	it = mg_map_iter(rt, m);
	mgt_figs w = {0};
	mgt_figs_map(&w, m);
	w.iters = 1;
	mg_gc(rt);
	mgt_figs_expect_last(rt, &w, "an array the iterator reached first");
	map_trace_walks wk;
	map_trace_test_walks(rt, &wk, false);
	/* With workers the order is theirs: a worker that takes the map (or
	 * some of the array's chunks) hands it back to P 0, which may then
	 * scan the map before the last chunks (work.c, HOOKED TYPES). */
	if (mgt_stats(rt).procs == 1)
		cr_assert_eq(wk.buckets[MAP_TRACE_PENDING], w.bn + w.vn, "walked pending, before the map's scan");
	else
		cr_assert(wk.buckets[MAP_TRACE_PENDING] > 0 && wk.buckets[MAP_TRACE_PENDING] <= w.bn + w.vn,
		          "%" PRIu64 " of %" PRIu64 " buckets walked pending", (uint64_t)wk.buckets[MAP_TRACE_PENDING],
		          (uint64_t)(w.bn + w.vn));
	cr_assert_eq(wk.counted[MAP_TRACE_NEW], w.bn + w.vn, "and counted once, as the map's");
	cr_assert_eq(wk.cold, 0);
	fx_close(&f);
}

/* Two iterators on an array of 2^10 buckets (five chunks) that their map
 * has grown past: one iter-only array, its cells and size exact. */
static void iter_only_big(const mg_maptype *(*type)(mg_runtime *), const char *what)
{
	fx f;
	mg_runtime *rt = fx_open(&f, 0x66);
	mg_hmap *m = f.m = mg_map_new(rt, type(rt), 0);
	mg_hiter *a = NULL, *b = NULL;
	mg_root(rt, &a, "a");
	mg_root(rt, &b, "b");
	void *nil = NULL;
	int64_t k = 0;
	for (; k < 6000; k++) /* B=10 */
		mg_map_set(rt, m, &k, &nil);
	cr_assert_eq(m->B, 10);
	a = mg_map_iter(rt, m);
	b = mg_map_iter(rt, m);
	void *A = m->buckets;
	while (m->B == 10 || m->oldbuckets) {
		mg_map_set(rt, m, &k, &nil);
		k++;
	}
	cr_assert(a->buckets == A && b->buckets == A && m->buckets != A && !m->oldbuckets);
	mgt_figs w = {0};
	mgt_figs_map(&w, m);
	mgt_figs_iter_only(rt, &w, m->t, A, 10);
	w.iters = 2;
	mg_gc(rt);
	mgt_figs_expect_last(rt, &w, what);
	map_trace_walks wk;
	map_trace_test_walks(rt, &wk, false);
	uint64_t ovfA = 0;
	for (uint64_t i = 0; i < 1024; i++)
		for (void *b = map_overflow(m->t, map_bucket_at(m->t, A, i)); b; b = map_overflow(m->t, b))
			ovfA++;
	cr_assert_eq(wk.counted[MAP_TRACE_ITER], 1024 + ovfA,
	             "the iter-only array counted once, for one of its two iterators");
	fx_close(&f);
}

// labels: exact_pacing
Test(maptrace_incremental, iter_only_big_noscan_array_two_iterators)
{
	iter_only_big(i64_i64, "an iter-only noscan array of 1024 buckets, two iterators");
}

// labels: exact_pacing
Test(maptrace_incremental, iter_only_big_scan_array_two_iterators)
{
	iter_only_big(i64_ptr, "an iter-only scan array of 1024 buckets, two iterators");
}

/* inv.array-len, which the chunk hook relies on to tell an array's 2^B
 * buckets from its preallocated overflow buckets. */
Test(maptrace_incremental, array_length_gives_its_buckets)
{
	fx f;
	mg_runtime *rt = fx_open(&f, 0x68);
	for (unsigned B = 0; B <= 15; B++) {
		size_t hint = B ? (size_t)13 << (B - 1) : 0; /* 6.5 x 2^B: the most keys B holds */
		f.m = mg_map_new(rt, i64_i64(rt), hint);
		if (!B)
			seti(rt, f.m, 1, 1); /* B = 0 gets its one bucket at the first insert */
		cr_assert_eq(f.m->B, B, "hint %zu", hint);
		size_t len = 0;
		mg_typeof(rt, f.m->buckets, &len);
		cr_assert_eq(map_array_nbuckets(len), (uint64_t)1 << B, "B=%u: length %zu", B, len);
	}
	fx_close(&f);
}

/* ---- under mutation ------------------------------------------------------------ */

/* Every line is checked when it is printed (the trace hook runs before
 * each line, once the cycle's figures are final). */
static struct {
	mg_runtime *rt;
	uint64_t lines;
	char first_bad[300];
	uint64_t pending, cold, iter_only, growing;
} chk;

static void check_line(mg_runtime *rt, void *ud)
{
	(void)ud;
	if (rt != chk.rt)
		return;
	uint64_t v[16];
	map_trace_walks wk;
	map_trace_last(rt, v);
	map_trace_test_walks(rt, &wk, false);
	char why[240];
	const char *bad = mgt_figs_check(v, &wk, why, sizeof why);
	if (bad && !chk.first_bad[0])
		snprintf(chk.first_bad, sizeof chk.first_bad, "line %" PRIu64 ": %s", chk.lines, bad);
	chk.lines++;
	chk.pending += wk.buckets[MAP_TRACE_PENDING];
	chk.cold += wk.cold;
	chk.iter_only += v[9];
	chk.growing += v[1];
}

enum { NMAPS = 4, NITERS = 6 };

static void mutate(mg_barrier wb, uint64_t seed)
{
	memset(&chk, 0, sizeof chk);
	FILE *sink = fopen("/dev/null", "w");
	cr_assert_not_null(sink);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.heapcheck = 0;
	cfg.maptrace = 1;
	cfg.gctrace = 1;
	cfg.trace = sink;
	cfg.wb = wb;
	cfg.gogc = 25;
	cfg.mark_slice = 512; /* many slices: the maps change between them */
	cfg.seed = seed;
	cfg.seed_set = true;
	mg_runtime *rt = chk.rt = mgt_open(&cfg);
	mg_set_trace_hook(rt, check_line, NULL);
	mgt_rng rng;
	mgt_rng_init(&rng, seed);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_hmap *m[NMAPS] = {0};
	mg_hiter *it[NITERS] = {0};
	void *obj = NULL;
	for (int i = 0; i < NMAPS; i++)
		mg_root(rt, &m[i], "m");
	for (int i = 0; i < NITERS; i++)
		mg_root(rt, &it[i], "it");
	mg_root(rt, &obj, "obj");
	static const mg_type leaf = {"leaf", 16, 8, NULL, 0, NULL, NULL};
	int64_t next = 1;
	for (int op = 0; op < 150000; op++) {
		int mi = (int)mgt_rng_below(&rng, NMAPS);
		if (!m[mi]) {
			m[mi] = mg_map_new(rt, mi & 1 ? i64_ptr(rt) : i64_i64(rt), mgt_rng_below(&rng, 4) ? 0 : 500);
			continue;
		}
		uint64_t r = mgt_rng_below(&rng, 100);
		int64_t k = (int64_t)mgt_rng_below(&rng, (uint64_t)next) + 1;
		if (r < 55) {
			k = next++;
			if (mi & 1) {
				obj = mg_alloc(rt, &leaf);
				mg_map_set(rt, m[mi], &k, &obj);
				obj = NULL;
			} else {
				seti(rt, m[mi], k, k);
			}
		} else if (r < 70) {
			mg_map_delete(rt, m[mi], &k);
		} else if (r < 74) {
			it[mgt_rng_below(&rng, NITERS)] = mg_map_iter(rt, m[mi]);
		} else if (r < 97) {
			mg_hiter *x = it[mgt_rng_below(&rng, NITERS)];
			for (int n = 0; x && n < 16 && mg_map_next(rt, x, NULL, NULL); n++)
				;
		} else if (r < 98) {
			mg_map_clear(rt, m[mi]);
		} else if (r < 99) {
			m[mi] = NULL; /* its iterators keep it */
		} else {
			it[mgt_rng_below(&rng, NITERS)] = NULL;
		}
	}
	mg_gc(rt);
	uint32_t procs = mgt_stats(rt).procs;
	mg_scope_leave(rt, &s);
	mgt_close(rt);
	fclose(sink);
	cr_assert_str_empty(chk.first_bad, "wb=%s seed %" PRIu64 ": %s", mg_barrier_name(wb), seed, chk.first_bad);
	/* With mark workers the cycles' count is the workers' timing (19
	 * of them seen at MAPGC_PROCS=2); one P gives 20 or more. */
	cr_assert_geq(chk.lines, 2 * (procs > 1 ? 12 : 20), "%" PRIu64 " trace lines: the workload runs cycles",
	              chk.lines);
	/* The paths were taken: arrays counted before their map's scan, by
	 * hook-only walks, iter-only arrays, maps growing while traced.  With
	 * workers a cycle's mark is short enough that no map may be mid-grow
	 * at its scan (growing 0 in about one run in ten at MAPGC_PROCS=2);
	 * the grow_scan tests above cover that path at every P count. */
	cr_assert(chk.pending > 0 && chk.cold > 0 && chk.iter_only > 0 && (chk.growing > 0 || procs > 1),
	          "pending %" PRIu64 ", cold %" PRIu64 ", iter-only %" PRIu64 ", growing %" PRIu64, chk.pending, chk.cold,
	          chk.iter_only, chk.growing);
}

Test(maptrace_incremental, identities_hold_under_mutation_hybrid)
{
	mutate(MG_WB_HYBRID, 11);
}

Test(maptrace_incremental, identities_hold_under_mutation_yuasa)
{
	mutate(MG_WB_YUASA, 12);
}

Test(maptrace_incremental, identities_hold_under_mutation_dijkstra)
{
	mutate(MG_WB_DIJKSTRA, 13);
}

/* Each identity of mgt_figs_check, broken on purpose in a real line. */
// labels: exact_pacing
Test(maptrace_incremental, identity_checker_fires)
{
	fx f;
	mg_runtime *rt = fx_open(&f, 0x67);
	mg_hmap *m = f.m = mg_map_new(rt, i64_ptr(rt), 0);
	grow_scan_map_mid_grow(rt, m, 832, 20); /* 6.5 x 128 */
	mg_gc(rt);
	uint64_t v[16];
	map_trace_walks wk;
	map_trace_last(rt, v);
	map_trace_test_walks(rt, &wk, false);
	char why[240];
	cr_assert_null(mgt_figs_check(v, &wk, why, sizeof why), "%s", why);
	static const struct {
		int field;      /* in map_trace_last's 16 */
		int64_t delta;
	} breaks[] = {
		{4, 1},         /* BN: new buckets counted != BN + VN */
		{8, -1},        /* VO */
		{13, 1},        /* emptyRest: cells != 8 x buckets */
		{11, -8},       /* full */
		{6, 100000},    /* E > O */
		{1, 5},         /* G > M */
		{9, 3},         /* J > I */
	};
	for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
		uint64_t bad[16];
		memcpy(bad, v, sizeof bad);
		bad[breaks[i].field] += (uint64_t)breaks[i].delta;
		cr_assert_not_null(mgt_figs_check(bad, &wk, why, sizeof why), "figure %d off by %" PRId64 " passed",
		                   breaks[i].field, breaks[i].delta);
	}
	/* A bucket counted twice, as the walks would show it. */
	map_trace_walks twice = wk;
	twice.counted[MAP_TRACE_NEW] += 1;
	cr_assert_not_null(mgt_figs_check(v, &twice, why, sizeof why));
	fx_close(&f);
}

/* With mark workers, the tagged chunks of a map's arrays are walked on
 * whichever P pops them, into that P's figures, merged when marking ends:
 * the line is exact whoever walked, and the workers did walk some (a cycle
 * hands out a 2^14-bucket array's 72 chunks; one run in 50 cycles would
 * have to leave every one to P 0). */
Test(maptrace_incremental, workers_walk_tagged_chunks_exactly)
{
	mg_config cfg;
	mgt_config(&cfg);
	cfg.maptrace = 1;
	cfg.heapcheck = 0;
	cfg.gogc = MG_GOGC_OFF;
	cfg.procs = 2;
	cfg.seed = 0x68;
	cfg.seed_set = true;
	fx f;
	f.rt = mgt_open(&cfg);
	mg_scope_enter(f.rt, &f.s);
	f.m = NULL;
	mg_root(f.rt, &f.m, "m");
	mg_hmap *m = f.m = mg_map_new(f.rt, i64_ptr(f.rt), 100000);
	void *nil = NULL;
	for (int64_t k = 0; k < 100000; k++)
		mg_map_set(f.rt, m, &k, &nil);
	cr_assert(m->B == 14 && !m->oldbuckets, "setup: B=%u", m->B);
	mgt_figs w = {0};
	mgt_figs_map(&w, m);
	for (int i = 0; i < 50 && gc_test_worker_hook_work(f.rt) == 0; i++) {
		mg_gc(f.rt);
		mgt_figs_expect_last(f.rt, &w, "a map of 16384 buckets, walked by every P");
	}
	cr_assert_gt(gc_test_worker_hook_work(f.rt), 0, "no worker walked a chunk in 50 cycles");
	fx_close(&f);
}
