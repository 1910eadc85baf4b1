/*
 * Collections in the middle of evacuation.
 *
 * iter_gc: an iterator starts on a B=4 array of int64 -> *obj (objects with
 * known contents), the map starts doubling, and full collections (mg_gc)
 * and a mark phase driven slice by slice (gc_test_begin_mark / mark_step)
 * run while evacuation is partial and the map keeps changing; then the grow
 * finishes and more collections run.  The old array must stay alive as
 * long as the rooted iterator holds it (mg_typeof on the address taken from
 * hmap.oldbuckets at the start of the grow), the iteration must still be
 * exact, and every value object intact.  Once the iterator is dropped, the
 * next collection frees the old array — so the liveness checks can fail.
 *
 * evac_barrier: the negative test.  With the evacuation barrier switched
 * off (map_test_set_evac_barrier), an evacuation that moves the only
 * pointer to an object from an old bucket the marker has not scanned into
 * a new bucket it has already blackened loses the object, and checkmark
 * must say so.  Built deterministically:
 *   - the map (B=4, full) starts a doubling grow before the cycle; the new
 *     array is rooted a second time, after the map, so that the mark stack
 *     (LIFO) scans it first: one 1-byte mark step leaves new = black,
 *     hmap = grey, old = white (asserted);
 *   - a delete of an absent key that hashes to an unevacuated old bucket
 *     evacuates it; the value object X of a key in that bucket moves to
 *     the black array.  No iterator, so the old cells are cleared.
 *   - yuasa / hybrid (roots scanned): only the deletion barrier on the
 *     cleared old cell could shade X; dijkstra: only the insertion barrier
 *     on the new cell.  Without them X stays white (asserted), and the
 *     old bucket, scanned later, no longer points to it.
 * The same scenario with the barrier on is the control: X is shaded, the
 * cycle ends without a finding and X's contents survive.
 * evac_barrier_grow_in_mark: the variant where the grow itself happens
 * during mark (the new array is allocated black) from a full B=0 map.
 */
#include "tests/support/map_kinds.h"
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"
#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAXK 512

typedef struct fx {
	mg_runtime *rt;
	mg_scope scope;
	mg_hmap *m;
	mg_hiter *it;
	mapt_obj *tmp;
	void *garbage;
	const mg_maptype *mt;
	int64_t vid[MAXK];   /* 0: absent */
	/* iteration bookkeeping */
	bool start[MAXK];    /* present when the iteration started, never deleted since */
	int produced[MAXK];
} fx;

static void fx_open(fx *f, mg_barrier wb, int heapcheck)
{
	memset(f, 0, sizeof *f);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.gogc = MG_GOGC_OFF; /* only the test collects */
	cfg.wb = wb;
	cfg.checkmark = 1;
	cfg.heapcheck = heapcheck;
	cfg.seed = 4242;
	cfg.seed_set = true;
	f->rt = mgt_open(&cfg);
	mg_scope_enter(f->rt, &f->scope);
	mg_root(f->rt, &f->m, "fx.m");
	mg_root(f->rt, &f->it, "fx.it");
	mg_root(f->rt, &f->tmp, "fx.tmp");
	mg_root(f->rt, &f->garbage, "fx.garbage");
	f->mt = mg_maptype_get(f->rt, &mg_type_int64, &mg_type_ptr);
	f->m = mg_map_new(f->rt, f->mt, 0);
}

static void fx_close(fx *f)
{
	mg_scope_leave(f->rt, &f->scope);
	mgt_close(f->rt);
}

static void put(fx *f, int64_t k, int64_t vid)
{
	f->tmp = mg_alloc(f->rt, &mapt_obj_type);
	f->tmp->kid = k;
	f->tmp->vid = vid;
	f->tmp->check = mapt_obj_check(k, vid);
	mg_map_set(f->rt, f->m, &k, &f->tmp);
	f->tmp = NULL; /* the map is the only holder */
	f->vid[k] = vid;
}

static void del(fx *f, int64_t k)
{
	mg_map_delete(f->rt, f->m, &k);
	f->vid[k] = 0;
	f->start[k] = false;
}

static void assert_obj(fx *f, const mapt_obj *o, int64_t k, const char *when)
{
	cr_assert_eq(mg_typeof(f->rt, o, NULL), &mapt_obj_type, "%s: value of key %" PRId64 " (%p) is not a live object",
	             when, k, (const void *)o);
	cr_assert(o->kid == k && o->vid == f->vid[k] && o->check == mapt_obj_check(k, f->vid[k]),
	          "%s: value of key %" PRId64 " is {%" PRId64 ", %" PRId64 ", %#" PRIx64 "}, want vid %" PRId64, when, k,
	          o->kid, o->vid, o->check, f->vid[k]);
}

static void verify_all(fx *f, const char *when)
{
	size_t n = 0;
	for (int64_t k = 0; k < MAXK; k++) {
		mapt_obj *o = NULL;
		bool ok = mg_map_get(f->rt, f->m, &k, &o);
		cr_assert_eq(ok, f->vid[k] != 0, "%s: get(%" PRId64 ") = %d", when, k, ok);
		if (ok) {
			assert_obj(f, o, k, when);
			n++;
		}
	}
	cr_assert_eq(mg_map_len(f->m), n, "%s: len", when);
	mapt_assert_map_ok(f->rt, f->m, "%s", when);
}

static void iter_start(fx *f)
{
	f->it = mg_map_iter(f->rt, f->m);
	for (int k = 0; k < MAXK; k++) {
		f->start[k] = f->vid[k] != 0;
		f->produced[k] = 0;
	}
}

/* Up to n steps of the iterator; false when it is done. */
static bool iter_steps(fx *f, int n)
{
	for (int i = 0; i < n; i++) {
		int64_t k;
		mapt_obj *o;
		if (!mg_map_next(f->rt, f->it, &k, &o))
			return false;
		cr_assert(k >= 0 && k < MAXK && f->vid[k], "iteration produced key %" PRId64 ", not in the map", k);
		cr_assert_eq(f->produced[k], 0, "iteration produced key %" PRId64 " twice", k);
		f->produced[k]++;
		assert_obj(f, o, k, "iteration");
	}
	return true;
}

static void iter_finish(fx *f)
{
	while (iter_steps(f, 64))
		;
	for (int k = 0; k < MAXK; k++)
		if (f->start[k])
			cr_assert_eq(f->produced[k], 1, "key %" PRId64 " was in the map for the whole iteration, produced %d "
			             "times", (int64_t)k, f->produced[k]);
}

static void churn_heap(fx *f, int n)
{
	for (int i = 0; i < n; i++) {
		f->garbage = mg_alloc(f->rt, &mapt_obj_type);
		memset(f->garbage, 0x5c, sizeof(mapt_obj));
		f->garbage = mg_alloc_bytes(f->rt, 16 + (size_t)(i % 300));
	}
	f->garbage = NULL;
}

static const mg_type *array_type(fx *f, void *arr, size_t *len)
{
	return mg_typeof(f->rt, arr, len);
}

static void run_iter_gc(mg_barrier wb)
{
	fx *f = calloc(1, sizeof *f);
	fx_open(f, wb, 1);
	for (int64_t k = 1; k <= 104; k++)
		put(f, k, k);
	mg_mapinfo in;
	mg_map_info(f->m, &in);
	cr_assert(in.B == 4 && !in.growing, "104 keys: B=%u growing=%d, want B=4, not growing", in.B, in.growing);

	iter_start(f);
	cr_assert(iter_steps(f, 10));

	put(f, 105, 105); /* 105 > 6.5 * 16: doubling */
	mg_map_info(f->m, &in);
	cr_assert(in.B == 5 && in.growing && !in.same_size, "B=%u growing=%d same=%d", in.B, in.growing, in.same_size);
	void *oldb = f->m->oldbuckets;
	const mg_type *bt = &f->mt->bucket;
	cr_assert_eq(f->it->buckets, oldb, "the iterator started on the array that is now old");
	size_t len = 0;
	cr_assert_eq(array_type(f, oldb, &len), bt);
	cr_assert_eq(len, 17, "B=4 array: 16 buckets + 1 preallocated overflow bucket, got %zu", len);

	mg_gc(f->rt);
	cr_assert_eq(array_type(f, oldb, &len), bt, "old array freed by a full collection mid-grow");
	cr_assert(f->m->oldbuckets == oldb && f->m->nevacuate < 16);
	verify_all(f, "after mg_gc mid-grow");

	/* A mark phase driven slice by slice while the map evacuates. */
	gc_test_begin_mark(f->rt);
	gc_test_mark_step(f->rt, 200);
	put(f, 3, 1003);
	del(f, 7);
	cr_assert(iter_steps(f, 3));
	gc_test_mark_step(f->rt, 200);
	put(f, 106, 106);
	cr_assert(iter_steps(f, 3));
	put(f, 50, 1050);
	gc_test_mark_step(f->rt, 200);
	cr_assert_eq(gc_test_phase(f->rt), GC_MARK);
	gc_test_finish_mark(f->rt);
	gc_test_sweep_all(f->rt);
	cr_assert(f->m->oldbuckets == oldb, "the grow must still be under way (nevacuate %" PRIu64 ")", f->m->nevacuate);
	cr_assert_eq(array_type(f, oldb, &len), bt, "old array freed by a cycle marked in slices");
	verify_all(f, "after a sliced mark mid-grow");

	/* Finish the grow; the iterator still holds the old array. */
	for (int64_t k = 1; f->m->oldbuckets && k <= 104; k++) {
		if (k % 13 == 0)
			del(f, k);
		else
			put(f, k, 2000 + k);
		if (k % 5 == 0)
			cr_assert(iter_steps(f, 1));
		if (k == 20)
			mg_gc(f->rt);
	}
	cr_assert_null(f->m->oldbuckets, "the grow did not finish");
	cr_assert_eq(f->it->buckets, oldb);
	for (int i = 0; i < 3; i++) {
		mg_gc(f->rt);
		churn_heap(f, 500);
	}
	mg_gc(f->rt);
	cr_assert_eq(array_type(f, oldb, &len), bt, "old array freed while the rooted iterator holds it");
	cr_assert_eq(len, 17);
	verify_all(f, "after the grow");
	iter_finish(f);
	verify_all(f, "after the iteration");

	/* Without the iterator nothing holds the old array. */
	f->it = NULL;
	mg_gc(f->rt);
	cr_assert_null(array_type(f, oldb, NULL), "the old array survived without the iterator");
	verify_all(f, "at the end");
	fx_close(f);
	free(f);
}

Test(gc_evac, iter_gc_hybrid) { run_iter_gc(MG_WB_HYBRID); }
Test(gc_evac, iter_gc_yuasa) { run_iter_gc(MG_WB_YUASA); }
Test(gc_evac, iter_gc_dijkstra) { run_iter_gc(MG_WB_DIJKSTRA); }

/* ---- the missing evacuation barrier --------------------------------------------- */

static uint64_t old_index(fx *f, int64_t k)
{
	return map_hash(f->m->t, &k, f->m->hash0) & map_oldbucket_mask(f->m);
}

static void assert_color(fx *f, const void *p, gc_color want, const char *what)
{
	gc_color got = gc_test_color(f->rt, p);
	cr_assert_eq(got, want, "%s: %s is %s, want %s", mg_barrier_name(mg_runtime_config(f->rt)->wb), what,
	             gc_test_color_name(got), gc_test_color_name(want));
}

static void run_evac_barrier(mg_barrier wb, bool barrier)
{
	fx *f = calloc(1, sizeof *f);
	fx_open(f, wb, 0);
	for (int64_t k = 1; k <= 104; k++)
		put(f, k, k);
	put(f, 105, 105);
	cr_assert(f->m->oldbuckets && !map_same_size_grow(f->m), "a doubling grow is under way");
	/* A key whose old bucket is not evacuated, and an absent key that
	 * lands in the same old bucket. */
	int64_t victim = 0, probe = 0;
	for (int64_t k = 1; k <= 104 && !victim; k++) {
		uint64_t ob = old_index(f, k);
		if (!map_evacuated(map_bucket_at(f->m->t, f->m->oldbuckets, ob)) && ob != f->m->nevacuate)
			victim = k;
	}
	cr_assert(victim, "no key in an unevacuated old bucket");
	for (int64_t k = 1000; !probe; k++)
		if (old_index(f, k) == old_index(f, victim))
			probe = k;
	mapt_obj *x = NULL; /* deliberately not a root */
	cr_assert(mg_map_get(f->rt, f->m, &victim, &x));

	mg_scope s;
	mg_scope_enter(f->rt, &s);
	void *newarr = f->m->buckets;
	mg_root(f->rt, &newarr, "test.newbuckets"); /* after fx.m: scanned first */
	void *oldarr = f->m->oldbuckets;            /* not a root */
	gc_test_begin_mark(f->rt);
	gc_test_mark_step(f->rt, 1);
	assert_color(f, newarr, GC_COLOR_BLACK, "new array");
	assert_color(f, f->m, GC_COLOR_GREY, "hmap");
	assert_color(f, oldarr, GC_COLOR_WHITE, "old array");
	assert_color(f, x, GC_COLOR_WHITE, "X");

	map_test_set_evac_barrier(f->rt, barrier);
	mg_map_delete(f->rt, f->m, &probe); /* evacuates old bucket of victim */
	cr_assert(map_evacuated(map_bucket_at(f->m->t, oldarr, old_index(f, victim))), "the victim's bucket moved");
	assert_color(f, newarr, GC_COLOR_BLACK, "new array after evacuation");
	if (!barrier) {
		assert_color(f, x, GC_COLOR_WHITE, "X after an unbarriered evacuation");
		mgt_capture_begin();
		MGT_EXPECT_FAILURE(MG_FATAL, gc_test_finish_mark(f->rt));
		const char *err = mgt_capture_end();
		cr_assert_str_eq(mgt_last_failure.msg, "checkmark found unmarked object");
		cr_assert(strstr(err, "fatal error: checkmark found unmarked object\n"), "stderr:\n%s", err);
		/* The first lost object it finds: X or another value that moved
		 * with it; the path ends in a new bucket's elem field. */
		cr_assert(strstr(err, "(mapt.obj) is reachable but was not marked\n"), "stderr:\n%s", err);
		cr_assert(strstr(err, "].elem -> "), "the path names the elem field; stderr:\n%s", err);
		mgt_close(f->rt); /* after a fatal error the runtime may only be closed */
		free(f);
		return;
	}
	cr_assert_neq(gc_test_color(f->rt, x), GC_COLOR_WHITE, "%s: the evacuation barrier did not shade X",
	              mg_barrier_name(wb));
	gc_test_finish_mark(f->rt);
	gc_test_sweep_all(f->rt);
	mg_scope_leave(f->rt, &s);
	mg_gc(f->rt);
	churn_heap(f, 300);
	verify_all(f, "control: barrier on");
	mapt_obj *y = NULL;
	cr_assert(mg_map_get(f->rt, f->m, &victim, &y));
	cr_assert_eq(y, x);
	fx_close(f);
	free(f);
}

Test(gc_evac, evac_barrier_off_hybrid) { run_evac_barrier(MG_WB_HYBRID, false); }
Test(gc_evac, evac_barrier_off_yuasa) { run_evac_barrier(MG_WB_YUASA, false); }
Test(gc_evac, evac_barrier_off_dijkstra) { run_evac_barrier(MG_WB_DIJKSTRA, false); }
Test(gc_evac, evac_barrier_on_hybrid) { run_evac_barrier(MG_WB_HYBRID, true); }
Test(gc_evac, evac_barrier_on_yuasa) { run_evac_barrier(MG_WB_YUASA, true); }
Test(gc_evac, evac_barrier_on_dijkstra) { run_evac_barrier(MG_WB_DIJKSTRA, true); }

/* The grow starts during mark: its new array is allocated black. */
static void run_grow_in_mark(mg_barrier wb, bool barrier)
{
	fx *f = calloc(1, sizeof *f);
	fx_open(f, wb, 0);
	for (int64_t k = 1; k <= 8; k++)
		put(f, k, k);
	cr_assert_eq(f->m->B, 0);
	mapt_obj *xs[9] = {0}; /* not roots */
	for (int64_t k = 1; k <= 8; k++)
		cr_assert(mg_map_get(f->rt, f->m, &k, &xs[k]));
	void *oldarr = f->m->buckets;
	gc_test_begin_mark(f->rt);
	gc_test_mark_step(f->rt, 0); /* roots only (hybrid scans them in its first slice) */
	assert_color(f, f->m, GC_COLOR_GREY, "hmap");
	assert_color(f, oldarr, GC_COLOR_WHITE, "bucket array");
	map_test_set_evac_barrier(f->rt, barrier);
	put(f, 9, 9); /* 9 > 8: grows to B=1, evacuates the only bucket, grow done */
	cr_assert(f->m->B == 1 && !f->m->oldbuckets);
	assert_color(f, f->m->buckets, GC_COLOR_BLACK, "new array (allocated during mark)");
	if (!barrier) {
		for (int k = 1; k <= 8; k++)
			assert_color(f, xs[k], GC_COLOR_WHITE, "a moved value");
		mgt_capture_begin();
		MGT_EXPECT_FAILURE(MG_FATAL, gc_test_finish_mark(f->rt));
		const char *err = mgt_capture_end();
		cr_assert_str_eq(mgt_last_failure.msg, "checkmark found unmarked object");
		cr_assert(strstr(err, "is reachable but was not marked"), "stderr:\n%s", err);
		mgt_close(f->rt);
		free(f);
		return;
	}
	gc_test_finish_mark(f->rt);
	gc_test_sweep_all(f->rt);
	churn_heap(f, 300);
	verify_all(f, "control: barrier on");
	fx_close(f);
	free(f);
}

Test(gc_evac, grow_in_mark_barrier_off_hybrid) { run_grow_in_mark(MG_WB_HYBRID, false); }
Test(gc_evac, grow_in_mark_barrier_off_yuasa) { run_grow_in_mark(MG_WB_YUASA, false); }
Test(gc_evac, grow_in_mark_barrier_off_dijkstra) { run_grow_in_mark(MG_WB_DIJKSTRA, false); }
Test(gc_evac, grow_in_mark_barrier_on_hybrid) { run_grow_in_mark(MG_WB_HYBRID, true); }
Test(gc_evac, grow_in_mark_barrier_on_yuasa) { run_grow_in_mark(MG_WB_YUASA, true); }
Test(gc_evac, grow_in_mark_barrier_on_dijkstra) { run_grow_in_mark(MG_WB_DIJKSTRA, true); }
