/*
 * mark.c — shading, the mark queue, bounded mark slices, root scanning and
 * allocation assists.
 *
 * A slice does at most `budget` bytes of scan work and chunk-hook work
 * together (plus one chunk: arrays are split into GC_SCAN_CHUNK pieces, and
 * a hook is handed one chunk at a time, so the overshoot is bounded too).
 * Assists are charged to allocation at the pacer's assist ratio — scan work
 * still expected over heap runway left — and paid in whole slices, so the
 * mutator never runs ahead of the marker by more than one slice of debt
 * (Go's gcAssistAlloc, without the background credit pool).
 */
#include "gc/gc.h"

#include <stdlib.h>

static inline void push(mg_runtime *rt, gc_state *gc, gc_work w)
{
	if (RT_UNLIKELY(gc->qn == gc->qcap)) {
		size_t ncap = gc->qcap ? gc->qcap * 2 : 4096;
		gc_work *q = realloc(gc->q, ncap * sizeof *q);
		if (!q)
			rt_out_of_memory(rt, ncap * sizeof *q);
		gc->q = q;
		gc->qcap = ncap;
	}
	gc->q[gc->qn++] = w;
}

void gc_push(mg_runtime *rt, void *obj, uint32_t from)
{
	push(rt, gc_of(rt), (gc_work){obj, from, 0});
}

/* A hook-only item goes this many items deep rather than on top, so that
 * what its hook will read, which the layer may ask for as it queues it,
 * has time to arrive: the items above it are done first.  (The order of
 * mark work is free; only its sum matters.) */
#define GC_HOOK_ONLY_DEPTH 8

void gc_push_tagged(mg_runtime *rt, void *obj, uint32_t from, uint32_t tag)
{
	gc_state *gc = gc_of(rt);
	if (tag == 0)
		mg_fatal(rt, "gc_push_tagged: tag 0 (that is an untagged item)");
	push(rt, gc, (gc_work){obj, from, tag});
	if (!(tag & GC_TAG_HOOK_ONLY))
		return;
	size_t at = gc->qn > GC_HOOK_ONLY_DEPTH ? gc->qn - 1 - GC_HOOK_ONLY_DEPTH : 0;
	gc_work w = gc->q[gc->qn - 1];
	memmove(&gc->q[at + 1], &gc->q[at], (gc->qn - 1 - at) * sizeof *gc->q);
	gc->q[at] = w;
}

bool gc_tag_pushed(mg_runtime *rt, const void *obj, uint32_t tag)
{
	gc_state *gc = gc_of(rt);
	/* Outside a scanned hook the base is SIZE_MAX: nothing is found. */
	for (size_t i = gc->q_hooked_base; i < gc->qn; i++) {
		gc_work *w = &gc->q[i];
		if (w->obj == obj && w->from == 0 && w->tag == 0) {
			w->tag = tag;
			return true;
		}
	}
	return false;
}

static MG_NORETURN void bad_pointer(mg_runtime *rt, uintptr_t a, gc_span *s, uint32_t idx)
{
	if (s)
		rt_printf("runtime: pointer %#lx to unallocated slot %u of span [%#lx, +%u pages) elem %u\n",
		          (unsigned long)a, idx, (unsigned long)s->base, s->npages, s->elem_size);
	else
		rt_printf("runtime: pointer %#lx into a free span of the heap\n", (unsigned long)a);
	mg_fatal(rt, "found bad pointer in mapgc heap");
}

/* Grey a white object; noscan objects go straight to black.  A pointer
 * into the heap's address range but into no in-use span is dangling, as
 * is one to a free slot (Go reports both with invalidptr=1).  True when
 * the object was white (the barrier study counts those; the scanning
 * loops ignore it, and inlined, the result costs them nothing). */
static inline bool shade(mg_runtime *rt, gc_state *gc, void *p)
{
	uint32_t idx;
	gc_span *s = gc_find_object(gc, (uintptr_t)p, &idx);
	if (!s) {
		if (RT_UNLIKELY(gc_in_arena(gc, (uintptr_t)p)))
			bad_pointer(rt, (uintptr_t)p, NULL, 0);
		return false;
	}
	if (gc_bit(s->markbits, idx))
		return false;
	if (RT_UNLIKELY(!gc_bit(s->allocbits, idx)))
		bad_pointer(rt, (uintptr_t)p, s, idx);
	gc_bit_set(s->markbits, idx);
	gc->cur.heap2 += s->elem_size;
	if (!s->noscan) {
		gc->cur.heap2_scan += s->elem_size;
		/* Start loading the object now: the queue is a stack, and a scan
		 * of a big array pushes thousands of objects before it pops one,
		 * so most of them arrive before they are scanned.  The marker's
		 * time is otherwise mostly waiting for these loads. */
		uintptr_t slot = gc_slot_addr(s, idx);
		__builtin_prefetch((const void *)slot);
		/* ...and its last line: a slot that crosses a line boundary
		 * (every other 48-byte node) has its last pointer words on
		 * the next line, where they missed.  Bigger objects are
		 * scanned in order; the hardware follows those. */
		uint32_t reach = s->elem_size < 128 ? s->elem_size : 128;
		__builtin_prefetch((const void *)(slot + reach - 1));
		gc_push(rt, (void *)(slot + GC_HDR_SIZE), 0);
	}
	return true;
}

bool gc_shade(mg_runtime *rt, void *p)
{
	return shade(rt, gc_of(rt), p);
}

void gc_scan_object(mg_runtime *rt, void *obj, uint32_t from, uint32_t to)
{
	gc_state *gc = gc_of(rt);
	const rt_typeinfo *ti = rt_type_byid(rt, gc_hdr_type(*gc_hdr_of(obj)));
	const uint32_t *offs = ti->offs;
	uint32_t np = ti->nptrs;
	char *e = (char *)obj + (size_t)from * ti->elem_size;
	for (uint32_t i = from; i < to; i++, e += ti->elem_size)
		for (uint32_t k = 0; k < np; k++)
			shade(rt, gc, *(void **)(e + offs[k]));
}

/* Scans elements [w.from, to) and runs the type's scanned hook after the
 * first chunk; returns the bytes scanned. */
static inline uint64_t scan_chunk(mg_runtime *rt, gc_state *gc, gc_work w, const rt_typeinfo *ti, uint32_t len,
                                  uint32_t to)
{
	size_t base = gc->qn;
	if (ti->nptrs)
		gc_scan_object(rt, w.obj, w.from, to);
	if (w.from == 0 && ti->t->scanned) {
		gc->q_hooked_base = base;
		ti->t->scanned(rt, w.obj, len, ti->t->hook_ud);
		gc->q_hooked_base = SIZE_MAX;
	}
	return (uint64_t)(to - w.from) * ti->elem_size + (w.from == 0 ? GC_HDR_SIZE : 0);
}

/* An item of a type with a chunk hook: the chunk is scanned (unless the
 * item is hook-only), then hooked, with the item's tag (0 when untagged). */
__attribute__((noinline)) static uint64_t scan_hooked(mg_runtime *rt, gc_state *gc, gc_work w, const rt_typeinfo *ti,
                                                      uint32_t len, uint32_t to, uint64_t *hooked)
{
	uint64_t scanned = w.tag & GC_TAG_HOOK_ONLY ? 0 : scan_chunk(rt, gc, w, ti, len, to);
	*hooked += ti->chunk(rt, w.obj, len, w.from, to, w.tag, ti->chunk_ud);
	return scanned;
}

/* Does one queue entry, splitting big arrays; returns the bytes scanned and
 * adds its chunk hook's work, if its type has one, to *hooked. */
static uint64_t scan_work_item(mg_runtime *rt, gc_work w, uint64_t *hooked)
{
	gc_state *gc = gc_of(rt);
	uint64_t h = *gc_hdr_of(w.obj);
	const rt_typeinfo *ti = rt_type_byid(rt, gc_hdr_type(h));
	uint32_t len = gc_hdr_is_array(h) ? gc_hdr_len(h) : 1;
	uint32_t per = (uint32_t)(GC_SCAN_CHUNK / ti->elem_size);
	if (per == 0)
		per = 1;
	uint32_t to = len - w.from > per ? w.from + per : len;
	if (to < len)
		push(rt, gc, (gc_work){w.obj, to, w.tag});
	/* Chunk hooks are for arrays: an overflow bucket (one bucket, not an
	 * array) is only scanned. */
	if (RT_UNLIKELY(ti->chunk != NULL) && gc_hdr_is_array(h))
		return scan_hooked(rt, gc, w, ti, len, to, hooked);
#ifndef NDEBUG
	/* A tag is for the chunk hook of an array (gc_push_tagged's callers'
	 * promise); not checked in release builds, where this is the marker's
	 * hottest path. */
	if (RT_UNLIKELY(w.tag != 0))
		mg_fatal(rt, "a tagged work item (tag %#x) on an object of type %s, which has no chunk hook", w.tag,
		         ti->t->name ? ti->t->name : "?");
#endif
	return scan_chunk(rt, gc, w, ti, len, to);
}

static uint64_t scan_rootstack(mg_runtime *rt, const rt_rootstack *st)
{
	gc_state *gc = gc_of(rt);
	for (size_t i = 0; i < st->n; i++)
		shade(rt, gc, *st->v[i].slot);
	return st->n * sizeof(void *);
}

/* The root job: the mutator's scope roots and the globals, together (the
 * globals are written without barriers, so they are scanned like a stack). */
void gc_scan_roots(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	gc->cur.stacks = scan_rootstack(rt, &rt->mut.stack);
	gc->cur.globals = scan_rootstack(rt, &rt->globals);
	gc->cur.scan_work += gc->cur.stacks + gc->cur.globals;
	rt->mut.roots_scanned = true;
}

bool gc_mark_slice(mg_runtime *rt, uint64_t budget)
{
	gc_state *gc = gc_of(rt);
	if (!rt->mut.roots_scanned)
		gc_scan_roots(rt);
	uint64_t done = 0, hooked = 0;
	while (done + hooked < budget && gc->qn)
		done += scan_work_item(rt, gc->q[--gc->qn], &hooked);
	gc->cur.scan_work += done; /* inv.hook-not-scan: hook work only bounds the slice */
	gc->cur.hook_work += hooked;
	if (rt->cfg.heapcheck) {
		int bad = gc_heap_check(rt, stderr);
		if (bad)
			mg_fatal(rt, "heap check failed: %d violations", bad);
	}
	return gc->qn == 0;
}

void gc_drain(mg_runtime *rt)
{
	while (!gc_mark_slice(rt, UINT64_MAX))
		;
}

void gc_assist(mg_runtime *rt, size_t bytes)
{
	gc_state *gc = gc_of(rt);
	rt_mutator *m = &rt->mut;
	m->assist_debt += (int64_t)((double)bytes * gc_assist_ratio(rt));
	/* Pay in whole slices once the debt is worth a slice's fixed costs;
	 * over-assisting leaves credit for the next allocations. */
	if (m->assist_debt < (int64_t)(gc->slice_budget / 4))
		return;
	while (m->assist_debt > 0 && gc->phase == GC_MARK) {
		uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
		uint64_t before = gc->cur.scan_work;
		gc->in_gc = true;
		bool empty = gc_mark_slice(rt, gc->slice_budget);
		gc->in_gc = false;
		m->assist_debt -= (int64_t)(gc->cur.scan_work - before);
		uint64_t cpu = rt_cputime() - c0;
		gc->cur.cpu_assist += cpu;
		gc_on_slice(rt, rt_nanotime() - t0, cpu);
		if (empty) {
			gc_mark_done(rt);
			break;
		}
		if (gc->cur.scan_work == before)
			break;
	}
}
