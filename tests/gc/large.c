/*
 * Large objects (over GC_MAX_SMALL: a span of their own), chunked scanning of
 * big pointer arrays (over GC_SCAN_CHUNK bytes), and memory going back to
 * the OS when large objects die.
 */
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

typedef struct leaf {
	int64_t v;
} leaf;
static const mg_type leaf_type = {"leaf", sizeof(leaf), 8, NULL, 0, NULL, NULL};

static mg_runtime *open_cfg(int gogc, size_t slice)
{
	mg_config c;
	mgt_config(&c);
	c.gogc = gogc;
	c.mark_slice = slice;
	return mgt_open(&c);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31 + seed);
}

static bool filled(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 31 + seed))
			return false;
	return true;
}

// labels: exact_pacing
Test(large, bytes_survive_while_rooted_and_die_after)
{
	mg_runtime *rt = open_cfg(100, 0);
	static const size_t sizes[] = {GC_MAX_SMALL - GC_HDR_SIZE + 1, 40 << 10, 100000, 1 << 20, (3 << 20) + 5};
	enum { N = sizeof sizes / sizeof sizes[0] };
	unsigned char *objs[N];
	mg_scope s;
	mg_scope_enter(rt, &s);
	for (size_t i = 0; i < N; i++) {
		objs[i] = mg_alloc_bytes(rt, sizes[i]);
		mg_root(rt, &objs[i], "large");
		fill(objs[i], sizes[i], (unsigned)i);
		mg_alloc_bytes(rt, sizes[i]); /* a dead twin */
	}
	mg_stats st0 = mgt_stats(rt);
	mg_gc(rt);
	mg_gc(rt);
	mg_stats st1 = mgt_stats(rt);
	for (size_t i = 0; i < N; i++) {
		size_t len;
		cr_assert_eq(mg_typeof(rt, objs[i], &len), &mg_type_bytes, "object %zu lost", i);
		cr_assert_eq(len, sizes[i]);
		cr_assert(filled(objs[i], sizes[i], (unsigned)i), "object %zu (%zu bytes) corrupted", i, sizes[i]);
	}
	cr_assert_lt(st1.heap_inuse, st0.heap_inuse, "the dead twins were not freed");
	cr_assert_eq(st1.freed_objects - st0.freed_objects, N);
	/* Every live byte is accounted for, and no more than a page per object of slack. */
	uint64_t want = 0;
	for (size_t i = 0; i < N; i++)
		want += sizes[i] + GC_HDR_SIZE;
	cr_assert_geq(st1.heap_inuse, want);
	cr_assert_lt(st1.heap_inuse, want + N * GC_PAGE_SIZE);
	cr_assert_eq(st1.heap_marked, st1.heap_inuse);
	mg_scope_leave(rt, &s);
	mg_gc(rt);
	for (size_t i = 0; i < N; i++)
		cr_assert_null(mg_typeof(rt, objs[i], NULL), "object %zu survived its root", i);
	cr_assert_eq(mgt_stats(rt).heap_inuse, 0);
	mgt_close(rt);
}

/* A 40000-pointer array (320 KB, three GC_SCAN_CHUNK chunks) holding leaves
 * at every 37th slot and in the last slots; marked in 256-byte slices. */
Test(large, pointer_array_scanned_in_chunks_keeps_every_element)
{
	mg_runtime *rt = open_cfg(100, 256);
	/* Under gcevery (MAPGC_TEST_MODE) each allocation can be a whole
	 * checked cycle over the array: 40000 took 277 s at gcevery=1.  10000
	 * pointers are still 80 KB, three scan chunks. */
	enum { N_FULL = 40000, N_GCEVERY = 10000 };
	_Static_assert(N_GCEVERY * sizeof(void *) > 2 * GC_SCAN_CHUNK, "the small array still spans three chunks");
	const size_t N = rt->cfg.gcevery ? N_GCEVERY : N_FULL;
	mg_scope s;
	mg_scope_enter(rt, &s);
	leaf **arr = mg_alloc_array(rt, &mg_type_ptr, N);
	mg_root(rt, &arr, "arr");
	size_t kept = 0, dropped = 0;
	for (size_t i = 0; i < N; i++) {
		leaf *l = mg_alloc(rt, &leaf_type);
		l->v = (int64_t)i;
		if (i % 37 == 0 || i >= N - 3) {
			mg_store(rt, &arr[i], l);
			kept++;
		} else {
			dropped++;
		}
	}
	mg_stats st0 = mgt_stats(rt);
	mg_gc(rt);
	mg_stats st1 = mgt_stats(rt);
	if (!mgt_test_mode_stw())
		cr_assert_geq(st1.mark_slices - st0.mark_slices, 3, "a 256-byte slice marked %zu KB in %llu slices",
		              N * sizeof(void *) >> 10, (unsigned long long)(st1.mark_slices - st0.mark_slices));
	for (size_t i = 0; i < N; i++) {
		if (!arr[i])
			continue;
		cr_assert_eq(mg_typeof(rt, arr[i], NULL), &leaf_type, "element %zu lost", i);
		cr_assert_eq(arr[i]->v, (int64_t)i);
	}
	mg_gc(rt);
	mg_stats st2 = mgt_stats(rt);
	cr_assert_eq(st2.heap_inuse, kept * 16 + (N * 8 + GC_HDR_SIZE + GC_PAGE_SIZE - 1) / GC_PAGE_SIZE * GC_PAGE_SIZE,
	             "heap_inuse %llu", (unsigned long long)st2.heap_inuse);
	cr_assert_geq(st2.freed_objects, dropped);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* The chunk boundary, observed: one mark slice scans the array's first
 * GC_SCAN_CHUNK bytes, puts the array back on the queue (still grey) and
 * leaves the rest of its elements white. */
Test(large, chunk_boundary_is_visible_between_slices)
{
	enum { N = 3 * (GC_SCAN_CHUNK / 8) + 100 };
	const size_t per = GC_SCAN_CHUNK / sizeof(void *);
	mg_config c;
	mgt_config(&c);
	c.gogc = MG_GOGC_OFF;
	c.wb = MG_WB_YUASA;
	mg_runtime *rt = mgt_open(&c);
	mg_scope s;
	mg_scope_enter(rt, &s);
	leaf **arr = mg_alloc_array(rt, &mg_type_ptr, N);
	mg_root(rt, &arr, "arr");
	/* Both sides of every chunk boundary, and the last element. */
	const size_t probe[] = {0, 1, per - 1, per, per + 1, 2 * per - 1, 2 * per, 3 * per - 1, 3 * per, N - 1};
	enum { NP = sizeof probe / sizeof probe[0] };
	for (size_t i = 0; i < NP; i++) {
		leaf *l = mg_alloc(rt, &leaf_type);
		l->v = (int64_t)probe[i];
		mg_store(rt, &arr[probe[i]], l);
	}
	gc_test_begin_mark(rt);
	cr_assert_eq(gc_test_color(rt, arr), GC_COLOR_GREY);
	for (size_t chunk = 0; chunk < 4; chunk++) {
		gc_test_mark_step(rt, 1); /* one work item: the next chunk */
		for (size_t i = 0; i < NP; i++) {
			gc_color want = probe[i] < (chunk + 1) * per ? GC_COLOR_BLACK : GC_COLOR_WHITE;
			/* leaves are noscan: shaded straight to black */
			cr_assert_eq(gc_test_color(rt, arr[probe[i]]), want, "after chunk %zu, element %zu is %s", chunk,
			             probe[i], gc_test_color_name(gc_test_color(rt, arr[probe[i]])));
		}
		cr_assert_eq(gc_test_color(rt, arr), chunk < 3 ? GC_COLOR_GREY : GC_COLOR_BLACK, "after chunk %zu", chunk);
	}
	cr_assert(gc_test_mark_step(rt, 1), "work left after the last chunk");
	gc_test_finish_mark(rt);
	gc_test_sweep_all(rt);
	for (size_t i = 0; i < NP; i++)
		cr_assert_eq(arr[probe[i]]->v, (int64_t)probe[i]);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* Stores into a half-scanned array, through each barrier: an element moved
 * from the unscanned part into the scanned part must survive. */
static void move_within_half_scanned(mg_barrier wb)
{
	enum { N = 2 * (GC_SCAN_CHUNK / 8) + 10 };
	mg_config c;
	mgt_config(&c);
	c.gogc = MG_GOGC_OFF;
	c.wb = wb;
	mg_runtime *rt = mgt_open(&c);
	mg_scope s;
	mg_scope_enter(rt, &s);
	leaf **arr = mg_alloc_array(rt, &mg_type_ptr, N);
	mg_root(rt, &arr, "arr");
	leaf *tail = mg_alloc(rt, &leaf_type);
	tail->v = 99;
	mg_store(rt, &arr[N - 1], tail);
	gc_test_begin_mark(rt);
	gc_test_mark_step(rt, 1); /* hybrid: roots and chunk 0; others: chunk 0 */
	cr_assert_eq(gc_test_color(rt, arr), GC_COLOR_GREY);
	cr_assert_eq(gc_test_color(rt, tail), GC_COLOR_WHITE);
	mg_store(rt, &arr[5], tail);      /* into the scanned chunk */
	mg_store(rt, &arr[N - 1], NULL);  /* out of the unscanned one */
	gc_test_finish_mark(rt);
	gc_test_sweep_all(rt);
	cr_assert_eq(mg_typeof(rt, tail, NULL), &leaf_type, "%s lost an element moved inside a half-scanned array",
	             mg_barrier_name(wb));
	cr_assert_eq(tail->v, 99);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(large, move_within_half_scanned_array)
{
	move_within_half_scanned(MG_WB_HYBRID);
	move_within_half_scanned(MG_WB_YUASA);
	move_within_half_scanned(MG_WB_DIJKSTRA);
}

/* n resident MiB objects, each held by a global root in objs[]. */
static void alloc_rooted_mib(mg_runtime *rt, unsigned char **objs, int n)
{
	for (int i = 0; i < n; i++) {
		objs[i] = mg_alloc_bytes(rt, 1 << 20);
		mg_global_root(rt, &objs[i], "mib");
		memset(objs[i], 0x11, 1 << 20); /* make the pages resident */
	}
}

/* Dead large objects go back to the OS at the end of the sweep. */
Test(large, heap_mapped_drops_when_large_objects_die)
{
	enum { N = 24 };
	mg_runtime *rt = open_cfg(100, 0);
	static unsigned char *objs[N];
	alloc_rooted_mib(rt, objs, N);
	mg_gc(rt);
	mg_stats live = mgt_stats(rt);
	cr_assert_geq(live.heap_mapped, (uint64_t)N << 20);
	cr_assert_geq(live.heap_inuse, (uint64_t)N << 20);
	for (int i = 0; i < N; i++)
		mg_global_unroot(rt, &objs[i]);
	/* The scavenger keeps up to 110 % of the larger of the goal and the
	 * previous cycle's peak span use, so the first sweep after the objects
	 * die keeps them mapped (hysteresis) and the next one returns them, at
	 * GC_SCAVENGE_RATE: the test waits long enough for all of them. */
	mg_gc(rt);
	mg_stats first = mgt_stats(rt);
	cr_assert_eq(first.heap_inuse, 0);
	cr_assert_leq(first.heap_mapped, live.heap_mapped);
	struct timespec pause = {0, (long)(1e9 * (double)((uint64_t)N << 20) / GC_SCAVENGE_RATE) + 50000000};
	nanosleep(&pause, NULL);
	mg_gc(rt);
	mg_stats dead = mgt_stats(rt);
	cr_assert_eq(dead.heap_inuse, 0);
	cr_assert_lt(dead.heap_mapped, live.heap_mapped - ((uint64_t)(N - 4) << 20),
	             "heap_mapped %llu -> %llu: freed large objects were not returned",
	             (unsigned long long)live.heap_mapped, (unsigned long long)dead.heap_mapped);
	cr_assert_geq(dead.heap_released - live.heap_released, (uint64_t)(N - 4) << 20);
	/* The memory comes back when it is needed again, zeroed. */
	unsigned char *again = mg_alloc_bytes(rt, 1 << 20);
	for (size_t i = 0; i < (1 << 20); i += 4093)
		cr_assert_eq(again[i], 0, "byte %zu of a reused span is %#x", i, again[i]);
	cr_assert_geq(mgt_stats(rt).heap_mapped, dead.heap_mapped);
	mgt_close(rt);
}

/* Freed memory goes back to the OS no faster than GC_SCAVENGE_RATE: two
 * cycles right after 48 MiB die return at most what the time between
 * their sweeps allows (and one huge page of rounding). */
Test(large, scavenger_returns_memory_at_its_pace)
{
	enum { N = 48 };
	mg_runtime *rt = open_cfg(100, 0);
	static unsigned char *objs[N];
	alloc_rooted_mib(rt, objs, N);
	mg_gc(rt);
	for (int i = 0; i < N; i++)
		mg_global_unroot(rt, &objs[i]);
	uint64_t t0 = rt_nanotime();
	mg_stats before = mgt_stats(rt);
	mg_gc(rt);
	mg_gc(rt);
	mg_stats after = mgt_stats(rt);
	double allowed = (double)(rt_nanotime() - t0 + 1000000000u / 10) * (GC_SCAVENGE_RATE / 1e9) + (2 << 20);
	uint64_t released = after.heap_released - before.heap_released;
	cr_assert_leq((double)released, allowed, "%" PRIu64 " bytes returned, pace allows %.0f", released, allowed);
	mgt_close(rt);
}

Test(large, array_of_large_structs)
{
	typedef struct big {
		char pad[5000];
		leaf *l;
		char pad2[3000];
	} big;
	static const mg_field big_fields[] = {{offsetof(big, l), "l"}};
	static const mg_type big_type = {"big", sizeof(big), 8, big_fields, 1, NULL, NULL};
	mg_runtime *rt = open_cfg(100, 1024);
	mg_scope s;
	mg_scope_enter(rt, &s);
	big *arr = mg_alloc_array(rt, &big_type, 40); /* 320 KB; one element per ~16 chunks */
	mg_root(rt, &arr, "arr");
	for (int i = 0; i < 40; i++) {
		leaf *l = mg_alloc(rt, &leaf_type);
		l->v = i;
		mg_store(rt, &arr[i].l, l);
	}
	mg_gc(rt);
	mg_gc(rt);
	for (int i = 0; i < 40; i++) {
		cr_assert_eq(mg_typeof(rt, arr[i].l, NULL), &leaf_type, "element %d", i);
		cr_assert_eq(arr[i].l->v, i);
	}
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}
