/* testhooks.c — see gc_test.h. */
#include "gc/gc.h"
#include "gc/gc_test.h"
#include "gc/vg.h"

unsigned gc_test_hooks;

void gc_test_set_hooks(unsigned mask)
{
	__atomic_store_n(&gc_test_hooks, mask, __ATOMIC_RELAXED);
}

struct find {
	const void *obj;
	bool grey, hook_only;
};

static void find_item(gc_work *w, void *ud)
{
	struct find *f = ud;
	if (w->obj != f->obj)
		return;
	if (w->tag & GC_TAG_HOOK_ONLY) /* hook-only: not mark work */
		f->hook_only = true;
	else
		f->grey = true;
}

gc_color gc_test_color(mg_runtime *rt, const void *p)
{
	gc_state *gc = gc_of(rt);
	gc_span *sp = gc_find_object(gc, (uintptr_t)p, &(uint32_t){0});
	if (sp)
		gc_ensure_swept(rt, sp);
	/* Barrier records are as good as shaded: the next slice flushes them. */
	if (gc_phase_of(gc) == GC_MARK)
		gc_wb_flush(rt, gc_my_p(rt));
	uint32_t idx;
	gc_span *s = gc_find_object(gc, (uintptr_t)p, &idx);
	if (!s)
		return gc_in_arena(gc, (uintptr_t)p) ? GC_COLOR_FREE : GC_COLOR_NONE;
	if (!gc_bit(s->allocbits, idx))
		return GC_COLOR_FREE;
	if (!gc_bit(s->markbits, idx))
		return GC_COLOR_WHITE;
	struct find f = {(void *)(gc_slot_addr(s, idx) + GC_HDR_SIZE), false, false};
	gc_work_foreach(gc, find_item, &f);
	return f.grey ? GC_COLOR_GREY : GC_COLOR_BLACK;
}

bool gc_test_queued_hook_only(mg_runtime *rt, const void *obj)
{
	struct find f = {obj, false, false};
	gc_work_foreach(gc_of(rt), find_item, &f);
	return f.hook_only;
}

const char *gc_test_color_name(gc_color c)
{
	static const char *const n[] = {"none", "free", "white", "grey", "black"};
	return n[c];
}

int gc_test_phase(mg_runtime *rt) { return gc_phase_of(gc_of(rt)); }

void gc_test_begin_mark(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	while (gc_phase_of(gc) == GC_MARK) {
		gc_drain(rt);
		gc_mark_done(rt);
	}
	/* Until the cycle ends (sweep_done); set first, so that the workers
	 * stay parked: the test is the only marker. */
	gc->test_driven = true;
	gc_start_cycle(rt, false);
}

bool gc_test_mark_step(mg_runtime *rt, size_t budget)
{
	return gc_mark_slice(rt, budget);
}

void gc_test_finish_mark(mg_runtime *rt)
{
	/* Mark termination restarts marking while work is left (the
	 * re-check): the test asked for the end, so what is left is drained. */
	gc_mark_done(rt);
	while (gc_phase_of(gc_of(rt)) == GC_MARK) {
		gc_drain(rt);
		gc_mark_done(rt);
	}
}

void gc_test_wb_flush(mg_runtime *rt)
{
	gc_wb_flush(rt, gc_my_p(rt));
}

void gc_test_sweep_all(mg_runtime *rt)
{
	gc_sweep_all(rt);
}

void gc_test_free_object(mg_runtime *rt, void *p)
{
	gc_state *gc = gc_of(rt);
	uint32_t idx;
	/* No background sweeper runs after a test-driven cycle: the span may
	 * be unswept, and stays so (a buggy sweeper frees before sweeping). */
	gc_span *s = gc_find_object(gc, (uintptr_t)p, &idx);
	if (!s || !gc_bit(s->allocbits, idx))
		mg_fatal(rt, "gc_test_free_object: %p is not a live object", p);
	gc_bit_clear(s->allocbits, idx);
	gc_bit_clear(s->markbits, idx);
	GC_VG(gc_vg_free(gc, gc_slot_addr(s, idx))); /* inv.vg-free; a later allocation may reuse the slot */
	s->nalloc--;
	s->needzero = true;
	gc->heap_live -= s->elem_size;
	if (!s->noscan)
		gc->heap_scan -= s->elem_size;
	if (s->freeindex > idx)
		s->freeindex = idx;
}

void gc_test_scan_work(mg_runtime *rt, uint64_t *scan, uint64_t *hook)
{
	gc_state *gc = gc_of(rt);
	/* Until mark termination merges them: every P's, and the roots'. */
	*scan = gc->cur.scan_work + __atomic_load_n(&gc->root_work, __ATOMIC_RELAXED);
	*hook = gc->cur.hook_work;
	for (uint32_t i = 0; i < gc->nproc; i++) {
		*scan += gc->ps[i].scan_work;
		*hook += gc->ps[i].hook_work;
	}
}

uint64_t gc_test_worker_hook_work(mg_runtime *rt)
{
	return gc_of(rt)->worker_hook_work;
}

int gc_test_heap_check(mg_runtime *rt, FILE *report)
{
	/* The workers stop for it, as for the check after each slice. */
	gc_workers_stop(rt);
	if (gc_phase_of(gc_of(rt)) == GC_MARK)
		gc_wb_flush(rt, gc_my_p(rt));
	int bad = gc_heap_check(rt, report);
	gc_workers_resume(rt);
	return bad;
}

void gc_test_pacer(uint64_t marked, uint64_t stacks, uint64_t globals, uint64_t last_heap_scan, int gogc,
                   int64_t memlimit, double cons_mark, uint64_t *goal, uint64_t *trigger)
{
	gc_pacer_in in = {marked, stacks, globals, last_heap_scan, gogc, memlimit, cons_mark};
	gc_pacer_out out;
	gc_pacer_compute(&in, &out);
	*goal = out.goal;
	*trigger = out.trigger;
}

uint32_t gc_test_size_class(size_t size, uint32_t *slot_size, uint32_t *npages)
{
	uint32_t c = gc_size_to_class(size);
	if (slot_size)
		*slot_size = c ? gc_class_size(c) : 0;
	if (npages)
		*npages = c ? gc_class_npages(c) : 0;
	return c;
}

void gc_test_cur_wb(mg_runtime *rt, mg_wbstats *out)
{
	gc_state *gc = gc_of(rt);
	*out = gc->cur.wb;
	for (uint32_t i = 0; i < gc->nproc; i++) {
#define GC_X_ADD(field, key, shift, what) out->field += gc->ps[i].wb.field;
		MG_WBSTATS_LIST(GC_X_ADD)
#undef GC_X_ADD
	}
}
