/* testhooks.c — see gc_test.h. */
#include "gc/gc.h"
#include "gc/gc_test.h"
#include "gc/vg.h"

gc_color gc_test_color(mg_runtime *rt, const void *p)
{
	gc_state *gc = gc_of(rt);
	uint32_t idx;
	gc_span *s = gc_find_object(gc, (uintptr_t)p, &idx);
	if (!s)
		return gc_in_arena(gc, (uintptr_t)p) ? GC_COLOR_FREE : GC_COLOR_NONE;
	if (!gc_bit(s->allocbits, idx))
		return GC_COLOR_FREE;
	if (!gc_bit(s->markbits, idx))
		return GC_COLOR_WHITE;
	void *obj = (void *)(gc_slot_addr(s, idx) + GC_HDR_SIZE);
	for (size_t i = 0; i < gc->qn; i++)
		if (gc->q[i].obj == obj && !(gc->q[i].tag & GC_TAG_HOOK_ONLY)) /* hook-only: not mark work */
			return GC_COLOR_GREY;
	return GC_COLOR_BLACK;
}

const char *gc_test_color_name(gc_color c)
{
	static const char *const n[] = {"none", "free", "white", "grey", "black"};
	return n[c];
}

int gc_test_phase(mg_runtime *rt) { return gc_of(rt)->phase; }

void gc_test_begin_mark(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc->phase == GC_MARK) {
		gc_drain(rt);
		gc_mark_done(rt);
	}
	gc_start_cycle(rt, false);
	gc->test_driven = true; /* until the cycle ends (sweep_done) */
}

bool gc_test_mark_step(mg_runtime *rt, size_t budget)
{
	return gc_mark_slice(rt, budget);
}

void gc_test_finish_mark(mg_runtime *rt)
{
	gc_mark_done(rt);
}

void gc_test_sweep_all(mg_runtime *rt)
{
	gc_sweep_all(rt);
}

void gc_test_free_object(mg_runtime *rt, void *p)
{
	gc_state *gc = gc_of(rt);
	uint32_t idx;
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

int gc_test_heap_check(mg_runtime *rt, FILE *report)
{
	return gc_heap_check(rt, report);
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
