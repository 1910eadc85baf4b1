/*
 * Colours and write barriers, driven phase by phase through gc_test.h.
 *
 * The mark queue is a stack, so of two roots registered G then B, B is
 * scanned first: that is how these tests make one object black while
 * another is still grey.  Everything the tests look at is allocated before
 * the cycle starts (GOGC=off, so nothing collects on its own): allocation
 * during mark could run an assist and move colours under the test's feet.
 */
#include "tests/support/mgt.h"
#include "tests/support/mgt_obj.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>


static const mg_barrier all_wb[] = {MG_WB_HYBRID, MG_WB_YUASA, MG_WB_DIJKSTRA, MG_WB_NONE};


/* Two objects that nothing references when the test's cycle starts, kept
 * alive while the second is allocated (an allocation may collect: gcevery)
 * by a scope that is left before returning. */
static void keep_unreferenced(mg_runtime *rt, mgt_obj **a, int64_t va, mgt_obj **b, int64_t vb)
{
	mg_scope keep;
	mg_scope_enter(rt, &keep);
	*a = mgt_obj_new(rt, va);
	mg_root(rt, a, "unreferenced");
	*b = mgt_obj_new(rt, vb);
	mg_scope_leave(rt, &keep);
}


/* Scans the roots (hybrid does that in its first slice; the others already
 * did in sweep termination) without scanning any object. */
static void scan_roots(mg_runtime *rt)
{
	gc_test_mark_step(rt, 0);
	cr_assert(rt_self(rt)->roots_scanned);
}

static void finish_cycle(mg_runtime *rt)
{
	gc_test_finish_mark(rt);
	cr_assert_eq(gc_test_phase(rt), GC_SWEEP);
	gc_test_sweep_all(rt);
	cr_assert_eq(gc_test_phase(rt), GC_OFF);
}

Test(color, hooks_and_phases)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_HYBRID, 1, 1);
	cr_assert_eq(gc_test_phase(rt), GC_OFF);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj *r = mgt_obj_new(rt, 1);
	mg_root(rt, &r, "r");
	mgt_obj *dead = mgt_obj_new(rt, 2);
	cr_assert_eq(gc_test_color(rt, r), GC_COLOR_WHITE);
	cr_assert_eq(gc_test_color(rt, NULL), GC_COLOR_NONE);
	cr_assert_eq(gc_test_color(rt, "literal"), GC_COLOR_NONE);
	cr_assert_str_eq(gc_test_color_name(GC_COLOR_GREY), "grey");
	gc_test_begin_mark(rt);
	cr_assert_eq(gc_test_phase(rt), GC_MARK);
	cr_assert_eq(mgt_stats(rt).phase, GC_MARK);
	MGT_ASSERT_COLOR(rt, r, GC_COLOR_WHITE); /* hybrid: roots not scanned yet */
	scan_roots(rt);
	MGT_ASSERT_COLOR(rt, r, GC_COLOR_GREY);
	while (!gc_test_mark_step(rt, 1))
		;
	MGT_ASSERT_COLOR(rt, r, GC_COLOR_BLACK);
	MGT_ASSERT_COLOR(rt, dead, GC_COLOR_WHITE);
	finish_cycle(rt);
	MGT_ASSERT_COLOR(rt, dead, GC_COLOR_FREE);
	MGT_ASSERT_COLOR(rt, r, GC_COLOR_WHITE); /* marks cleared by the sweep */
	cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

static size_t scanned_calls;
static void count_scans(mg_runtime *rt, const void *o, size_t len, void *ud)
{
	(void)rt;
	(void)o;
	(void)len;
	cr_assert_eq(ud, &scanned_calls);
	scanned_calls++;
}

/* inv.alloc-black: whatever is allocated during mark is marked at once. */
// labels: exact_pacing
Test(color, allocate_black_during_mark)
{
	static const mg_type hooked = {"hooked", sizeof(mgt_obj), 8, mgt_obj_fields, 2, count_scans, &scanned_calls};
	for (size_t m = 0; m < sizeof all_wb / sizeof all_wb[0]; m++) {
		mg_runtime *rt = mgt_open_wb(all_wb[m], 1, 1);
		mgt_obj *before = mgt_obj_new(rt, 0);
		MGT_ASSERT_COLOR(rt, before, GC_COLOR_WHITE);
		gc_test_begin_mark(rt);
		mgt_obj *o = mgt_obj_new(rt, 1);
		int64_t *ints = mg_alloc_array(rt, &mg_type_int64, 10);
		void *bytes = mg_alloc_bytes(rt, 100);
		void *large = mg_alloc_bytes(rt, 100000);
		mgt_obj **arr = mg_alloc_array(rt, &mg_type_ptr, 50000);
		MGT_ASSERT_COLOR(rt, o, GC_COLOR_BLACK);
		MGT_ASSERT_COLOR(rt, ints, GC_COLOR_BLACK);
		MGT_ASSERT_COLOR(rt, bytes, GC_COLOR_BLACK);
		MGT_ASSERT_COLOR(rt, large, GC_COLOR_BLACK);
		MGT_ASSERT_COLOR(rt, arr, GC_COLOR_BLACK);
		MGT_ASSERT_COLOR(rt, before, GC_COLOR_WHITE);
		/* A type with a scan hook is queued (grey) so that the hook sees it. */
		scanned_calls = 0;
		mgt_obj *h = mg_alloc(rt, &hooked);
		MGT_ASSERT_COLOR(rt, h, GC_COLOR_GREY);
		while (!gc_test_mark_step(rt, 1 << 20))
			;
		MGT_ASSERT_COLOR(rt, h, GC_COLOR_BLACK);
		cr_assert_eq(scanned_calls, 1);
		finish_cycle(rt);
		/* Allocated black, but nothing holds them: the next cycle frees them. */
		mg_gc(rt);
		MGT_ASSERT_COLOR(rt, o, GC_COLOR_FREE);
		MGT_ASSERT_COLOR(rt, before, GC_COLOR_FREE);
		cr_assert_eq(mgt_stats(rt).heap_inuse, 0);
		mgt_close(rt);
	}
}

/* ---- single stores -------------------------------------------------------- */

struct store_case {
	mg_barrier wb;
	gc_color old_after, new_after;
};

/* P (rooted) holds X; Y is unreferenced; all white.  After the roots are
 * scanned, P.f0 = Y. */
static void store_after_roots_scanned(struct store_case c)
{
	mg_runtime *rt = mgt_open_wb(c.wb, 1, 1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	/* Each object reachable before the next allocation, which may
	 * collect (gcevery); y, unreferenced, comes last. */
	mgt_obj *p = mgt_obj_new(rt, 1);
	mg_root(rt, &p, "p");
	mgt_obj *x = mgt_obj_new(rt, 2);
	mg_store(rt, &p->f[0], x); /* not marking: no barrier */
	mgt_obj *y = mgt_obj_new(rt, 3);
	gc_test_begin_mark(rt);
	scan_roots(rt);
	MGT_ASSERT_COLOR(rt, p, GC_COLOR_GREY);
	MGT_ASSERT_COLOR(rt, x, GC_COLOR_WHITE);
	MGT_ASSERT_COLOR(rt, y, GC_COLOR_WHITE);
	mg_store(rt, &p->f[0], y);
	cr_assert_eq(p->f[0], y);
	MGT_ASSERT_COLOR(rt, x, c.old_after);
	MGT_ASSERT_COLOR(rt, y, c.new_after);
	cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
	finish_cycle(rt);
	MGT_ASSERT_COLOR(rt, y, GC_COLOR_WHITE); /* survived: reachable from p */
	cr_assert_eq(y->v, 3);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(barrier, store_hybrid_after_roots_scanned_shades_old_only)
{
	store_after_roots_scanned((struct store_case){MG_WB_HYBRID, GC_COLOR_GREY, GC_COLOR_WHITE});
}
Test(barrier, store_yuasa_shades_old)
{
	store_after_roots_scanned((struct store_case){MG_WB_YUASA, GC_COLOR_GREY, GC_COLOR_WHITE});
}
Test(barrier, store_dijkstra_shades_new)
{
	store_after_roots_scanned((struct store_case){MG_WB_DIJKSTRA, GC_COLOR_WHITE, GC_COLOR_GREY});
}
Test(barrier, store_none_shades_nothing)
{
	store_after_roots_scanned((struct store_case){MG_WB_NONE, GC_COLOR_WHITE, GC_COLOR_WHITE});
}

Test(barrier, store_hybrid_before_roots_scanned_shades_both)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_HYBRID, 1, 1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj *p = mgt_obj_new(rt, 1);
	mg_root(rt, &p, "p");
	mgt_obj *x = mgt_obj_new(rt, 2);
	mg_store(rt, &p->f[0], x);
	mgt_obj *y, *x2;
	keep_unreferenced(rt, &y, 3, &x2, 4);
	gc_test_begin_mark(rt);
	cr_assert_not(rt_self(rt)->roots_scanned);
	MGT_ASSERT_COLOR(rt, p, GC_COLOR_WHITE);
	mg_store(rt, &p->f[0], y);
	MGT_ASSERT_COLOR(rt, x, GC_COLOR_GREY);
	MGT_ASSERT_COLOR(rt, y, GC_COLOR_GREY);
	MGT_ASSERT_COLOR(rt, p, GC_COLOR_WHITE); /* the barrier shades values, not the holder */
	/* Once the roots are scanned, only the old value. */
	scan_roots(rt);
	mg_store(rt, &p->f[1], x2);
	MGT_ASSERT_COLOR(rt, x2, GC_COLOR_WHITE);
	cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
	finish_cycle(rt);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* Stores of NULL and of the same value, and into objects allocated black. */
Test(barrier, store_edge_cases)
{
	for (size_t m = 0; m < sizeof all_wb / sizeof all_wb[0]; m++) {
		mg_runtime *rt = mgt_open_wb(all_wb[m], 1, 1);
		mg_scope s;
		mg_scope_enter(rt, &s);
		mgt_obj *p = mgt_obj_new(rt, 1);
		mg_root(rt, &p, "p");
		mgt_obj *x = mgt_obj_new(rt, 2);
		mg_store(rt, &p->f[0], x);
		mgt_obj *y = mgt_obj_new(rt, 3);
		mg_root(rt, &y, "y");
		gc_test_begin_mark(rt);
		scan_roots(rt);
		mgt_obj *n = mgt_obj_new(rt, 4); /* black */
		mg_store(rt, &n->f[0], NULL);
		mg_store(rt, &n->f[1], NULL);
		MGT_ASSERT_COLOR(rt, x, GC_COLOR_WHITE);
		mg_store(rt, &p->f[1], NULL); /* old NULL, new NULL */
		MGT_ASSERT_COLOR(rt, x, GC_COLOR_WHITE);
		mg_store(rt, &p->f[0], x);    /* same value: old and new are x */
		gc_color want = all_wb[m] == MG_WB_NONE ? GC_COLOR_WHITE : GC_COLOR_GREY;
		MGT_ASSERT_COLOR(rt, x, want);
		cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
		finish_cycle(rt);
		mg_scope_leave(rt, &s);
		mgt_close(rt);
	}
}

/* ---- bulk stores ---------------------------------------------------------- */

/* P = {X1, X2} (rooted), Q = {Y1, Y2} (not); after the roots are scanned,
 * mg_typed_copy(P <- Q): exactly the single-store rule, per field. */
static void typed_copy_case(mg_barrier wb, gc_color old_after, gc_color new_after)
{
	mg_runtime *rt = mgt_open_wb(wb, 1, 1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj *p = mgt_obj_new(rt, 1);
	mg_root(rt, &p, "p");
	mgt_obj *x1 = mgt_obj_new(rt, 11);
	mg_store(rt, &p->f[0], x1);
	mgt_obj *x2 = mgt_obj_new(rt, 12);
	mg_store(rt, &p->f[1], x2);
	/* q is not a root when the cycle starts; rooted while it is built. */
	mg_scope built;
	mg_scope_enter(rt, &built);
	mgt_obj *q = mgt_obj_new(rt, 2);
	mg_root(rt, &q, "q");
	mgt_obj *y1 = mgt_obj_new(rt, 21);
	mg_store(rt, &q->f[0], y1);
	mgt_obj *y2 = mgt_obj_new(rt, 22);
	mg_store(rt, &q->f[1], y2);
	mg_scope_leave(rt, &built);
	gc_test_begin_mark(rt);
	scan_roots(rt);
	mg_typed_copy(rt, &mgt_pair_type, p->f, q->f, 1);
	cr_assert_eq(p->f[0], y1);
	cr_assert_eq(p->f[1], y2);
	MGT_ASSERT_COLOR(rt, x1, old_after);
	MGT_ASSERT_COLOR(rt, x2, old_after);
	MGT_ASSERT_COLOR(rt, y1, new_after);
	MGT_ASSERT_COLOR(rt, y2, new_after);
	MGT_ASSERT_COLOR(rt, q, GC_COLOR_WHITE); /* the source is read, not shaded */
	cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
	finish_cycle(rt);
	cr_assert_eq(y1->v, 21);
	cr_assert_eq(y2->v, 22);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(barrier, typed_copy_hybrid)
{
	typed_copy_case(MG_WB_HYBRID, GC_COLOR_GREY, GC_COLOR_WHITE);
}
Test(barrier, typed_copy_yuasa)
{
	typed_copy_case(MG_WB_YUASA, GC_COLOR_GREY, GC_COLOR_WHITE);
}
Test(barrier, typed_copy_dijkstra)
{
	typed_copy_case(MG_WB_DIJKSTRA, GC_COLOR_WHITE, GC_COLOR_GREY);
}
Test(barrier, typed_copy_none)
{
	typed_copy_case(MG_WB_NONE, GC_COLOR_WHITE, GC_COLOR_WHITE);
}

static void typed_clear_case(mg_barrier wb, gc_color old_after)
{
	mg_runtime *rt = mgt_open_wb(wb, 1, 1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj *p = mgt_obj_new(rt, 1);
	mg_root(rt, &p, "p");
	mgt_obj *x1 = mgt_obj_new(rt, 11);
	mg_store(rt, &p->f[0], x1);
	mgt_obj *x2 = mgt_obj_new(rt, 12);
	mg_store(rt, &p->f[1], x2);
	p->v = 77;
	gc_test_begin_mark(rt);
	scan_roots(rt);
	mg_typed_clear(rt, &mgt_pair_type, p->f, 1);
	cr_assert_null(p->f[0]);
	cr_assert_null(p->f[1]);
	cr_assert_eq(p->v, 77, "cleared past the type's size");
	MGT_ASSERT_COLOR(rt, x1, old_after);
	MGT_ASSERT_COLOR(rt, x2, old_after);
	cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
	finish_cycle(rt);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(barrier, typed_clear_hybrid)
{
	typed_clear_case(MG_WB_HYBRID, GC_COLOR_GREY);
}
Test(barrier, typed_clear_yuasa)
{
	typed_clear_case(MG_WB_YUASA, GC_COLOR_GREY);
}
Test(barrier, typed_clear_dijkstra)
{
	typed_clear_case(MG_WB_DIJKSTRA, GC_COLOR_WHITE);
}
Test(barrier, typed_clear_none)
{
	typed_clear_case(MG_WB_NONE, GC_COLOR_WHITE);
}

/* Overlapping copy inside one pointer array: memmove semantics, and the
 * barrier sees the values before they move.  arr = {a0, a1, a2, a3};
 * copy arr[1..3] <- arr[0..2] gives {a0, a0, a1, a2}: the old values are
 * a1, a2, a3 and the new ones a0, a1, a2. */
static void overlap_case(mg_barrier wb)
{
	mg_runtime *rt = mgt_open_wb(wb, 1, 1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj **arr = mg_alloc_array(rt, &mg_type_ptr, 4);
	mg_root(rt, &arr, "arr"); /* before the next allocation (gcevery) */
	mgt_obj *a[4];
	for (int i = 0; i < 4; i++)
		mg_store(rt, &arr[i], a[i] = mgt_obj_new(rt, i));
	gc_test_begin_mark(rt);
	scan_roots(rt);
	mg_typed_copy(rt, &mg_type_ptr, &arr[1], &arr[0], 3);
	cr_assert_eq(arr[0], a[0]);
	cr_assert_eq(arr[1], a[0]);
	cr_assert_eq(arr[2], a[1]);
	cr_assert_eq(arr[3], a[2]);
	bool old = wb == MG_WB_HYBRID || wb == MG_WB_YUASA, new = wb == MG_WB_DIJKSTRA;
	MGT_ASSERT_COLOR(rt, a[0], new ? GC_COLOR_GREY : GC_COLOR_WHITE);
	MGT_ASSERT_COLOR(rt, a[1], old || new ? GC_COLOR_GREY : GC_COLOR_WHITE);
	MGT_ASSERT_COLOR(rt, a[2], old || new ? GC_COLOR_GREY : GC_COLOR_WHITE);
	MGT_ASSERT_COLOR(rt, a[3], old ? GC_COLOR_GREY : GC_COLOR_WHITE);
	finish_cycle(rt);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(barrier, typed_copy_overlapping)
{
	for (size_t m = 0; m < sizeof all_wb / sizeof all_wb[0]; m++)
		overlap_case(all_wb[m]);
}

Test(barrier, typed_copy_of_noscan_type_shades_nothing)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_DIJKSTRA, 1, 1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	int64_t *dst = mg_alloc_array(rt, &mg_type_int64, 2);
	mg_root(rt, &dst, "dst");
	mgt_obj *x = mgt_obj_new(rt, 1); /* unreferenced: the last allocation (gcevery) */
	int64_t src[2] = {(int64_t)(intptr_t)x, 5}; /* looks like a pointer, is an int */
	gc_test_begin_mark(rt);
	scan_roots(rt);
	mg_typed_copy(rt, &mg_type_int64, dst, src, 2);
	cr_assert_eq(dst[1], 5);
	MGT_ASSERT_COLOR(rt, x, GC_COLOR_WHITE);
	finish_cycle(rt);
	MGT_ASSERT_COLOR(rt, x, GC_COLOR_FREE);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* The barrier is off outside MARK: a store then shades nothing. */
Test(barrier, off_outside_mark)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_DIJKSTRA, 1, 1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj *p = mgt_obj_new(rt, 1), *x = mgt_obj_new(rt, 2);
	mg_root(rt, &p, "p");
	mg_store(rt, &p->f[0], x);
	MGT_ASSERT_COLOR(rt, x, GC_COLOR_WHITE);
	gc_test_begin_mark(rt);
	finish_cycle(rt);
	mgt_obj *y = mgt_obj_new(rt, 3);
	mg_store(rt, &p->f[1], y);
	MGT_ASSERT_COLOR(rt, y, GC_COLOR_WHITE);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* ---- dijkstra keeps the strong invariant ---------------------------------- */

Test(barrier, dijkstra_never_black_to_white)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_DIJKSTRA, 1, 1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj *g = mgt_obj_new(rt, 1);
	mg_root(rt, &g, "g");
	mgt_obj *b = mgt_obj_new(rt, 2);
	mg_root(rt, &b, "b");
	mgt_obj *w = mgt_obj_new(rt, 3);
	mg_store(rt, &g->f[0], w);
	mgt_obj *w3 = mgt_obj_new(rt, 6); /* unreferenced: the last allocation (gcevery) */
	gc_test_begin_mark(rt);
	gc_test_mark_step(rt, 1); /* scans b */
	MGT_ASSERT_COLOR(rt, b, GC_COLOR_BLACK);
	MGT_ASSERT_COLOR(rt, g, GC_COLOR_GREY);
	MGT_ASSERT_COLOR(rt, w, GC_COLOR_WHITE);
	mg_store(rt, &b->f[0], w); /* black -> white: dijkstra shades w */
	MGT_ASSERT_COLOR(rt, w, GC_COLOR_GREY);
	cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
	mg_store(rt, &g->f[0], NULL);
	cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
	/* A new (black) object pointing at a white one: shaded too. */
	mgt_obj *n = mgt_obj_new(rt, 5);
	MGT_ASSERT_COLOR(rt, n, GC_COLOR_BLACK);
	MGT_ASSERT_COLOR(rt, w3, GC_COLOR_WHITE);
	mg_store(rt, &n->f[0], w3);
	MGT_ASSERT_COLOR(rt, w3, GC_COLOR_GREY);
	cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
	while (!gc_test_mark_step(rt, 8)) /* heapcheck=1 checks after every slice */
		cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
	finish_cycle(rt);
	cr_assert_eq(w->v, 3);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* Closing a runtime in the middle of a cycle releases everything (ASan's
 * leak check sees the rest). */
Test(color, close_mid_cycle)
{
	for (int stop = 0; stop < 3; stop++) {
		mg_runtime *rt = mgt_open_wb(MG_WB_HYBRID, 1, 1);
		mg_scope s;
		mg_scope_enter(rt, &s);
		mgt_obj *keep = mgt_obj_new(rt, 1);
		mg_root(rt, &keep, "keep");
		for (int i = 0; i < 3000; i++)
			mg_store(rt, &keep->f[i % 2], mgt_obj_new(rt, i));
		mg_alloc_bytes(rt, 100000);
		gc_test_begin_mark(rt);
		if (stop >= 1)
			gc_test_mark_step(rt, 64);
		if (stop >= 2)
			gc_test_finish_mark(rt); /* SWEEP, nothing swept yet */
		cr_assert_eq(gc_test_phase(rt), stop == 2 ? GC_SWEEP : GC_MARK);
		mgt_close(rt);
	}
}
