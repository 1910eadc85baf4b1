/*
 * The verifiers, positive and negative: the heap check (heapcheck=1) and
 * checkmark (gccheckmark=1) must stay quiet on a correct heap and fire on
 * a broken one — an object hidden from the marker under wb=none, and a
 * live object freed as a buggy sweeper would.
 *
 * The hide (the textbook lost object): roots G and B, G -> W.  B is scanned
 * (black) while G is grey and W white; then B.f0 = W and G.f0 = NULL.  W is
 * now reachable only through a black object.  Every real barrier prevents
 * the loss (yuasa and hybrid shade W when G's edge is deleted, dijkstra when
 * B's is added); wb=none does not.
 */
#include "tests/support/mgt.h"
#include "tests/support/mgt_obj.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>



typedef struct hide {
	mg_scope s;
	mgt_obj *g, *b, *c, *w;
} hide;

/* Roots "g" then "b"; b -> c; g -> w.  Marks b and c black (b is scanned
 * first: the queue is a stack), leaves g grey and w white, then moves w
 * under c and deletes g's edge. */
static void do_hide(mg_runtime *rt, hide *h)
{
	mg_scope_enter(rt, &h->s);
	/* Each object reachable before the next allocation, which may
	 * collect (gcevery). */
	h->g = mgt_obj_new(rt, 1);
	mg_root(rt, &h->g, "g");
	h->b = mgt_obj_new(rt, 2);
	mg_root(rt, &h->b, "b");
	h->c = mgt_obj_new(rt, 3);
	mg_store(rt, &h->b->f[0], h->c);
	h->w = mgt_obj_new(rt, 4);
	mg_store(rt, &h->g->f[0], h->w);
	gc_test_begin_mark(rt);
	gc_test_mark_step(rt, 1); /* b (and, for hybrid, the roots) */
	gc_test_mark_step(rt, 1); /* c */
	cr_assert_eq(gc_test_color(rt, h->b), GC_COLOR_BLACK);
	cr_assert_eq(gc_test_color(rt, h->c), GC_COLOR_BLACK);
	cr_assert_eq(gc_test_color(rt, h->g), GC_COLOR_GREY);
	cr_assert_eq(gc_test_color(rt, h->w), GC_COLOR_WHITE);
	mg_store(rt, &h->c->f[1], h->w);
	mg_store(rt, &h->g->f[0], NULL);
}

static char *heap_check_report(mg_runtime *rt, int *violations)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*violations = gc_test_heap_check(rt, f);
	fclose(f);
	return buf;
}

/* ---- the heap check --------------------------------------------------------- */

static void hide_is_prevented(mg_barrier wb)
{
	mg_runtime *rt = mgt_open_wb(wb, 1, 1);
	hide h;
	do_hide(rt, &h);
	cr_assert_neq(gc_test_color(rt, h.w), GC_COLOR_WHITE, "%s let w stay white", mg_barrier_name(wb));
	int bad;
	char *rep = heap_check_report(rt, &bad);
	cr_assert_eq(bad, 0, "%s: %s", mg_barrier_name(wb), rep);
	free(rep);
	gc_test_finish_mark(rt); /* heapcheck after each slice, then checkmark */
	gc_test_sweep_all(rt);
	cr_assert_eq(mg_typeof(rt, h.w, NULL), &mgt_obj_type, "%s lost w", mg_barrier_name(wb));
	cr_assert_eq(h.w->v, 4);
	mg_scope_leave(rt, &h.s);
	mgt_close(rt);
}

Test(heapcheck, quiet_when_hybrid_prevents_the_hide)
{
	hide_is_prevented(MG_WB_HYBRID);
}
Test(heapcheck, quiet_when_yuasa_prevents_the_hide)
{
	hide_is_prevented(MG_WB_YUASA);
}
Test(heapcheck, quiet_when_dijkstra_prevents_the_hide)
{
	hide_is_prevented(MG_WB_DIJKSTRA);
}

Test(heapcheck, fires_on_hide_without_barrier)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_NONE, 0, 0);
	hide h;
	do_hide(rt, &h);
	int bad;
	char *rep = heap_check_report(rt, &bad);
	cr_assert_gt(bad, 0, "heap check missed a black object pointing to an unprotected white one");
	char want[256];
	snprintf(want, sizeof want,
	         "heap check: black object %p (obj) .f1 points to white object %p (obj) not reachable from any grey object\n",
	         (void *)h.c, (void *)h.w);
	cr_assert_str_eq(rep, want);
	free(rep);
	mg_scope_leave(rt, &h.s);
	mgt_close(rt);
}

/* The same hide with heapcheck=1: the next mark slice is fatal. */
Test(heapcheck, fatal_after_slice_with_heapcheck_on)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_NONE, 1, 0);
	hide h;
	do_hide(rt, &h);
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, gc_test_mark_step(rt, 1));
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "heap check failed: 1 violations");
	cr_assert_not_null(strstr(err, "heap check: black object "), "%s", err);
	cr_assert_not_null(strstr(err, "fatal error: heap check failed: 1 violations\n"), "%s", err);
	mgt_close(rt);
}

/* Under dijkstra the check is the strong invariant: a black object pointing
 * to a white one is a violation even when a grey object also reaches it. */
Test(heapcheck, strong_invariant_under_dijkstra)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_DIJKSTRA, 0, 0);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj *g = mgt_obj_new(rt, 1);
	mg_root(rt, &g, "g"); /* rooted or linked before the next allocation (gcevery) */
	mgt_obj *b = mgt_obj_new(rt, 2);
	mg_root(rt, &b, "b");
	mgt_obj *w = mgt_obj_new(rt, 3);
	mg_store(rt, &g->f[0], w);
	gc_test_begin_mark(rt);
	gc_test_mark_step(rt, 1);
	cr_assert_eq(gc_test_color(rt, b), GC_COLOR_BLACK);
	b->f[0] = w; /* a store that skips the barrier */
	int bad;
	char *rep = heap_check_report(rt, &bad);
	cr_assert_eq(bad, 1, "%s", rep);
	char want[256];
	snprintf(want, sizeof want, "heap check: black object %p (obj) .f0 points to white object %p (obj)\n",
	         (void *)b, (void *)w);
	cr_assert_str_eq(rep, want);
	free(rep);
	/* Under yuasa the same heap is fine: w is reachable from grey g. */
	mgt_close(rt);
}

Test(heapcheck, weak_invariant_accepts_grey_protected_white)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_YUASA, 0, 0);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj *g = mgt_obj_new(rt, 1);
	mg_root(rt, &g, "g"); /* rooted or linked before the next allocation (gcevery) */
	mgt_obj *b = mgt_obj_new(rt, 2);
	mg_root(rt, &b, "b");
	mgt_obj *m = mgt_obj_new(rt, 3);
	mg_store(rt, &g->f[0], m);
	mgt_obj *w = mgt_obj_new(rt, 4);
	mg_store(rt, &m->f[0], w); /* g (grey) -> m (white) -> w (white) */
	gc_test_begin_mark(rt);
	gc_test_mark_step(rt, 1);
	cr_assert_eq(gc_test_color(rt, b), GC_COLOR_BLACK);
	mg_store(rt, &b->f[0], w); /* yuasa: new value not shaded */
	cr_assert_eq(gc_test_color(rt, w), GC_COLOR_WHITE);
	cr_assert_eq(gc_test_heap_check(rt, NULL), 0, "w is protected through white m");
	/* Cut the protecting path without the barrier: now it is a violation. */
	m->f[0] = NULL;
	cr_assert_eq(gc_test_heap_check(rt, NULL), 1);
	m->f[0] = w;
	gc_test_finish_mark(rt);
	gc_test_sweep_all(rt);
	cr_assert_eq(w->v, 4);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* ---- checkmark ----------------------------------------------------------- */

Test(checkmark, fires_on_hide_without_barrier)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_NONE, 0, 1);
	hide h;
	do_hide(rt, &h);
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, gc_test_finish_mark(rt));
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "checkmark found unmarked object");
	char want[1024];
	snprintf(want, sizeof want,
	         "fatal error: checkmark found unmarked object\n"
	         "runtime: object %p (obj) is reachable but was not marked\n"
	         "path from the roots (3 edges):\n"
	         "\tscope root \"b\" -> %p (obj)\n"
	         "\t.f0 -> %p (obj)\n"
	         "\t.f1 -> %p (obj)  <- here\n",
	         (void *)h.w, (void *)h.b, (void *)h.c, (void *)h.w);
	cr_assert_str_eq(err, want);
	mgt_close(rt);
}

/* Through a global root and an array: the path names both. */
Test(checkmark, path_through_global_root_and_array)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_NONE, 0, 1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	static mgt_obj **garr;
	mgt_obj *g = mgt_obj_new(rt, 1);
	mg_root(rt, &g, "g"); /* rooted or linked before the next allocation (gcevery) */
	mgt_obj *w = mgt_obj_new(rt, 2);
	mg_store(rt, &g->f[1], w);
	garr = mg_alloc_array(rt, &mg_type_ptr, 4);
	mg_global_root(rt, &garr, "garr");
	gc_test_begin_mark(rt);
	gc_test_mark_step(rt, 1); /* globals are scanned after scope roots: garr is on top */
	cr_assert_eq(gc_test_color(rt, garr), GC_COLOR_BLACK);
	cr_assert_eq(gc_test_color(rt, g), GC_COLOR_GREY);
	mg_store(rt, &garr[2], w);
	mg_store(rt, &g->f[1], NULL);
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, gc_test_finish_mark(rt));
	const char *err = mgt_capture_end();
	char want[1024];
	snprintf(want, sizeof want,
	         "path from the roots (2 edges):\n"
	         "\tglobal root \"garr\" -> %p ([4]pointer)\n"
	         "\t[2].ptr -> %p (obj)  <- here\n",
	         (void *)garr, (void *)w);
	cr_assert_not_null(strstr(err, want), "got:\n%s\nwant:\n%s", err, want);
	mgt_close(rt);
}

Test(checkmark, without_handler_exits_2, .exit_code = 2)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_NONE, 0, 1);
	mg_set_failure_handler(rt, NULL, NULL);
	hide h;
	do_hide(rt, &h);
	gc_test_finish_mark(rt);
	cr_assert_fail("checkmark missed the hidden object");
}

Test(checkmark, quiet_on_correct_cycles)
{
	static const mg_barrier wbs[] = {MG_WB_HYBRID, MG_WB_YUASA, MG_WB_DIJKSTRA};
	for (size_t i = 0; i < 3; i++) {
		mg_runtime *rt = mgt_open_wb(wbs[i], 1, 1);
		hide h;
		do_hide(rt, &h);
		gc_test_finish_mark(rt);
		gc_test_sweep_all(rt);
		mg_gc(rt);
		cr_assert_eq(mgt_last_failure.count, 0);
		mg_scope_leave(rt, &h.s);
		mgt_close(rt);
	}
}

/* ---- a live object freed on purpose ---------------------------------------- */

typedef struct freed {
	mg_scope s;
	mgt_obj *p, *x, *keep;
} freed;

/* p (root) -> x; keep (root) shares x's span so the span stays in use. */
static void setup_freed(mg_runtime *rt, freed *f)
{
	mg_scope_enter(rt, &f->s);
	/* Each object reachable before the next allocation (gcevery). */
	f->p = mgt_obj_new(rt, 1);
	mg_root(rt, &f->p, "p");
	f->x = mgt_obj_new(rt, 2);
	mg_store(rt, &f->p->f[0], f->x);
	f->keep = mgt_obj_new(rt, 3);
	mg_root(rt, &f->keep, "keep");
}

/* Freed before the marker reaches it: the mark itself finds the pointer. */
Test(freed_live, caught_by_the_mark)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_HYBRID, 0, 0);
	freed f;
	setup_freed(rt, &f);
	gc_test_free_object(rt, f.x);
	cr_assert_eq(gc_test_color(rt, f.x), GC_COLOR_FREE);
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, mg_gc(rt));
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "found bad pointer in mapgc heap");
	char want[64];
	snprintf(want, sizeof want, "runtime: pointer %#lx to unallocated slot ", (unsigned long)(uintptr_t)f.x);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_not_null(strstr(err, "fatal error: found bad pointer in mapgc heap\n"), "%s", err);
	mgt_close(rt);
}

/* Freed after it was marked: only checkmark's re-mark sees it. */
Test(freed_live, caught_by_checkmark)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_HYBRID, 0, 1);
	freed f;
	setup_freed(rt, &f);
	gc_test_begin_mark(rt);
	while (!gc_test_mark_step(rt, 1 << 20))
		;
	cr_assert_eq(gc_test_color(rt, f.x), GC_COLOR_BLACK);
	gc_test_free_object(rt, f.x);
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, gc_test_finish_mark(rt));
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "checkmark found pointer to free object");
	char want[512];
	snprintf(want, sizeof want,
	         "fatal error: checkmark found pointer to free object\n"
	         "runtime: pointer %p is reachable but its slot is free\n"
	         "path from the roots (2 edges):\n"
	         "\tscope root \"p\" -> %p (obj)\n"
	         "\t.f0 -> %p (free slot)  <- here\n",
	         (void *)f.x, (void *)f.p, (void *)f.x);
	cr_assert_str_eq(err, want);
	mgt_close(rt);
}

Test(freed_live, caught_by_the_heap_check)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_YUASA, 0, 0);
	freed f;
	setup_freed(rt, &f);
	gc_test_begin_mark(rt);
	while (!gc_test_mark_step(rt, 1 << 20))
		;
	gc_test_free_object(rt, f.x);
	int bad;
	char *rep = heap_check_report(rt, &bad);
	cr_assert_eq(bad, 1, "%s", rep);
	char want[256];
	snprintf(want, sizeof want, "heap check: object %p (obj) .f0 points to free slot %p\n", (void *)f.p,
	         (void *)f.x);
	cr_assert_str_eq(rep, want);
	free(rep);
	mgt_close(rt);
}

/* A freed large object whose span the sweeper has already given back to the
 * page heap: a pointer into a free span is a bad pointer too (Go reports
 * pointers into free spans with invalidptr=1).  The mark or checkmark must
 * catch it rather than treat it as a pointer outside the heap. */
Test(freed_live, caught_after_its_span_was_returned)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_HYBRID, 0, 1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj **p = mg_alloc_array(rt, &mg_type_ptr, 1);
	mg_root(rt, &p, "p");
	void *big = mg_alloc_bytes(rt, 100000);
	mg_store(rt, &p[0], big);
	gc_test_begin_mark(rt);
	gc_test_finish_mark(rt); /* big is marked; the heap is in SWEEP */
	gc_test_free_object(rt, big);
	gc_test_sweep_all(rt); /* the now-empty span goes back to the page heap */
	cr_assert_eq(gc_test_color(rt, big), GC_COLOR_FREE);
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, mg_gc(rt));
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "found bad pointer in mapgc heap");
	char want[96];
	snprintf(want, sizeof want, "runtime: pointer %#lx into a free span of the heap\n", (unsigned long)(uintptr_t)big);
	cr_assert_not_null(strstr(err, want), "%s", err);
	mgt_close(rt);
}

/* ---- inv.marked-allocated ------------------------------------------------- */

Test(heapcheck, marked_and_free_slot)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_HYBRID, 0, 0);
	mgt_obj *a = mgt_obj_new(rt, 1);
	mgt_obj *b = mgt_obj_new(rt, 2);
	(void)b;
	cr_assert_eq(gc_test_heap_check(rt, NULL), 0);
	/* Corrupt the bitmaps directly: a mark bit on a free slot. */
	gc_state *gc = gc_of(rt);
	uint32_t idx;
	gc_span *sp = gc_find_object(gc, (uintptr_t)a, &idx);
	cr_assert_not_null(sp);
	cr_assert_lt(idx + 5, sp->nelems);
	gc_bit_set(sp->markbits, idx + 5);
	int bad;
	char *rep = heap_check_report(rt, &bad);
	cr_assert_eq(bad, 1, "%s", rep);
	cr_assert_not_null(strstr(rep, "slots marked and free"), "%s", rep);
	free(rep);
	gc_bit_clear(sp->markbits, idx + 5);
	mgt_close(rt);
}

Test(heapcheck, grey_set_must_be_allocated_and_marked)
{
	mg_runtime *rt = mgt_open_wb(MG_WB_YUASA, 0, 0);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj *g = mgt_obj_new(rt, 1);
	mg_root(rt, &g, "g"); /* before the next allocation, which may collect (gcevery) */
	mgt_obj *stray = mgt_obj_new(rt, 2);
	gc_test_begin_mark(rt);
	cr_assert_eq(gc_test_color(rt, g), GC_COLOR_GREY);
	gc_push(rt, stray, 0); /* queued without being marked */
	int bad;
	char *rep = heap_check_report(rt, &bad);
	cr_assert_geq(bad, 1, "%s", rep);
	char want[128];
	snprintf(want, sizeof want, "heap check: grey object %p is not an allocated, marked object\n", (void *)stray);
	cr_assert_not_null(strstr(rep, want), "%s", rep);
	free(rep);
	mgt_close(rt);
}
