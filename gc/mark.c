/*
 * mark.c — shading into a P's work buffers (work.c), bounded mark slices
 * of P 0 (the mutator's), a worker's stints, root scanning and allocation
 * assists.
 *
 * A slice does at most `budget` bytes of scan work and chunk-hook work
 * together (plus one chunk: arrays are split into GC_SCAN_CHUNK pieces, and
 * a hook is handed one chunk at a time, so the overshoot is bounded too).
 * Assists are charged to allocation at the pacer's assist ratio — scan work
 * still expected over heap runway left — and paid in whole slices, so the
 * mutator never runs ahead of the marker by more than one slice of debt
 * (Go's gcAssistAlloc).  With mark workers an assist first takes the
 * workers' unclaimed scan work (Go's bgScanCredit, gc->bg_credit), and a
 * slice that finds no work ends the assist: the workers hold it.
 */
#include "gc/gc.h"

#include <stdlib.h>

void gc_push(mg_runtime *rt, void *obj, uint32_t from)
{
	gc_wput(rt, gc_my_p(rt), (gc_work){obj, from, 0});
}

/* A hook-only item goes this many items deep rather than on top, so that
 * what its hook will read, which the layer may ask for as it queues it,
 * has time to arrive: the items above it are done first.  (The order of
 * mark work is free; only its sum matters.)  Within b1: below it, the
 * order is the buffers'. */
#define GC_HOOK_ONLY_DEPTH 8

void gc_push_tagged(mg_runtime *rt, void *obj, uint32_t from, uint32_t tag)
{
	gc_p *p = gc_my_p(rt);
	if (tag == 0)
		mg_fatal(rt, "gc_push_tagged: tag 0 (that is an untagged item)");
	gc_wput(rt, p, (gc_work){obj, from, tag});
	if (!(tag & GC_TAG_HOOK_ONLY))
		return;
	gc_wbuf *b = p->b1;
	size_t at = b->n > GC_HOOK_ONLY_DEPTH ? b->n - 1 - GC_HOOK_ONLY_DEPTH : 0;
	gc_work w = b->obj[b->n - 1];
	memmove(&b->obj[at + 1], &b->obj[at], (b->n - 1 - at) * sizeof *b->obj);
	b->obj[at] = w;
}

bool gc_tag_pushed(mg_runtime *rt, const void *obj, uint32_t tag)
{
	gc_p *p = gc_my_p(rt);
	/* Outside a scanned hook the base is SIZE_MAX: nothing is found. */
	if (p->hooked_buf != p->b1)
		return false;
	for (size_t i = p->hooked_base; i < p->b1->n; i++) {
		gc_work *w = &p->b1->obj[i];
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
/* shade for a pointer whose span and slot gc_find_object has found (s
 * NULL: none). */
static inline bool shade_found(mg_runtime *rt, gc_state *gc, gc_p *pp, void *p, gc_span *s, uint32_t idx)
{
	if (!s) {
		if (RT_UNLIKELY(gc_in_arena(gc, (uintptr_t)p)))
			bad_pointer(rt, (uintptr_t)p, NULL, 0);
		return false;
	}
	/* Marked exactly once (DESIGN.md §9): with workers, the bit is set by
	 * an atomic or, and only the thread whose or set it goes on.  One P
	 * needs no atomics: nothing else marks. */
	uint64_t *w = &s->markbits[idx >> 6], m = (uint64_t)1 << (idx & 63);
	if (__atomic_load_n(w, __ATOMIC_RELAXED) & m) {
		/* The test hook of a marker that scans what it did not newly
		 * mark: only objects this worker marked itself a moment ago (an
		 * object marked by its allocation may still be being written
		 * by its mutator, inv.fresh-unscanned). */
		if (gc_test_skip(GC_HOOK_SCAN_TWICE) && pp->id != 0 && !s->noscan) {
			void *obj = (void *)(gc_slot_addr(s, idx) + GC_HDR_SIZE);
			for (uint32_t i = 0; i < GC_HOOK_RECENT; i++)
				if (pp->hook_recent[i] == obj) {
					gc_wput(rt, pp, (gc_work){obj, 0, 0});
					break;
				}
		}
		return false;
	}
	if (RT_UNLIKELY(!(gc_bit_relaxed(s->allocbits, idx))))
		bad_pointer(rt, (uintptr_t)p, s, idx);
	if (gc->nproc == 1)
		*w |= m;
	else if (__atomic_fetch_or(w, m, __ATOMIC_RELAXED) & m)
		return false;
	pp->heap2 += s->elem_size;
	if (!s->noscan) {
		pp->heap2_scan += s->elem_size;
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
		gc_wput(rt, pp, (gc_work){(void *)(slot + GC_HDR_SIZE), 0, 0});
		if (gc_test_skip(GC_HOOK_SCAN_TWICE) && pp->id != 0)
			pp->hook_recent[pp->hook_recent_n++ % GC_HOOK_RECENT] = (void *)(slot + GC_HDR_SIZE);
	}
	return true;
}

static inline bool shade(mg_runtime *rt, gc_state *gc, gc_p *pp, void *p)
{
	uint32_t idx;
	gc_span *s = gc_find_object(gc, (uintptr_t)p, &idx);
	return shade_found(rt, gc, pp, p, s, idx);
}

bool gc_shade(mg_runtime *rt, void *p)
{
	return shade(rt, gc_of(rt), gc_my_p(rt), p);
}

bool gc_shade_on(mg_runtime *rt, gc_p *pp, void *p)
{
	return shade(rt, gc_of(rt), pp, p);
}

/* Scanning an array chunk, shade's first miss is the mark-bit word of
 * each pointer it meets, a random line of the bitmaps, which with several
 * Ps was often last written by another one.  So the pointer SCAN_AHEAD
 * fields ahead is looked up and its word prefetched for writing while
 * this one is shaded with the span and slot found then.  Arrays of at
 * least SCAN_AHEAD_MIN elements. */
#define SCAN_AHEAD 8
#define SCAN_AHEAD_MIN 16

typedef struct ahead {
	void *v;
	gc_span *s;
	uint32_t idx;
} ahead;

__attribute__((noinline)) static void scan_ahead(mg_runtime *rt, gc_state *gc, gc_p *p, char *e,
                                                 const rt_typeinfo *ti, uint32_t n)
{
	const uint32_t *offs = ti->offs;
	uint32_t np = ti->nptrs;
	ahead ring[SCAN_AHEAD];
	uint32_t head = 0, filled = 0;
	for (uint32_t i = 0; i < n; i++, e += ti->elem_size)
		for (uint32_t k = 0; k < np; k++) {
			void *v = __atomic_load_n((void **)(e + offs[k]), __ATOMIC_RELAXED);
			if (!v)
				continue;
			if (filled == SCAN_AHEAD) {
				ahead *a = &ring[head];
				shade_found(rt, gc, p, a->v, a->s, a->idx);
			} else {
				filled++;
			}
			ahead *a = &ring[head];
			a->v = v;
			a->s = gc_find_object(gc, (uintptr_t)v, &a->idx);
			if (a->s)
				__builtin_prefetch(&a->s->markbits[a->idx >> 6], 1);
			head = (head + 1) % SCAN_AHEAD;
		}
	/* The last ones, oldest first. */
	for (uint32_t j = 0; j < filled; j++) {
		ahead *a = &ring[(head + SCAN_AHEAD - filled + j) % SCAN_AHEAD];
		shade_found(rt, gc, p, a->v, a->s, a->idx);
	}
}

/* Pointer fields are read with relaxed atomic loads: with workers, the
 * mutator may be storing into the object being scanned (gc_store), a race
 * the barrier makes harmless, and that the language must not call a data
 * race.  On x86-64 the load is the plain load. */
static inline void scan_object(mg_runtime *rt, gc_state *gc, gc_p *p, void *obj, uint32_t from, uint32_t to)
{
	const rt_typeinfo *ti = rt_type_byid(rt, gc_hdr_type(*gc_hdr_of(obj)));
	const uint32_t *offs = ti->offs;
	uint32_t np = ti->nptrs;
	char *e = (char *)obj + (size_t)from * ti->elem_size;
	if (to - from >= SCAN_AHEAD_MIN) {
		scan_ahead(rt, gc, p, e, ti, to - from);
		return;
	}
	for (uint32_t i = from; i < to; i++, e += ti->elem_size)
		for (uint32_t k = 0; k < np; k++)
			shade(rt, gc, p, __atomic_load_n((void **)(e + offs[k]), __ATOMIC_RELAXED));
}

void gc_scan_object(mg_runtime *rt, void *obj, uint32_t from, uint32_t to)
{
	scan_object(rt, gc_of(rt), gc_my_p(rt), obj, from, to);
}

/* Scans elements [w.from, to) and runs the type's scanned hook after the
 * first chunk; returns the bytes scanned. */
static inline uint64_t scan_chunk(mg_runtime *rt, gc_state *gc, gc_p *p, gc_work w, const rt_typeinfo *ti,
                                  uint32_t len, uint32_t to)
{
	bool hook = w.from == 0 && ti->t->scanned;
	if (RT_UNLIKELY(hook)) {
		/* What the scan pushes must be in b1 for gc_tag_pushed. */
		gc_wreserve(rt, p, ti->nptrs);
		p->hooked_buf = p->b1;
		p->hooked_base = p->b1->n;
	}
	if (ti->nptrs)
		scan_object(rt, gc, p, w.obj, w.from, to);
	if (RT_UNLIKELY(hook)) {
		ti->t->scanned(rt, w.obj, len, ti->t->hook_ud);
		p->hooked_buf = NULL;
		p->hooked_base = SIZE_MAX;
	}
	return (uint64_t)(to - w.from) * ti->elem_size + (w.from == 0 ? GC_HDR_SIZE : 0);
}

/* An item of a type with a chunk hook: the chunk is scanned (unless the
 * item is hook-only), then hooked, with the item's tag (0 when untagged). */
__attribute__((noinline)) static uint64_t scan_hooked(mg_runtime *rt, gc_state *gc, gc_p *p, gc_work w,
                                                      const rt_typeinfo *ti, uint32_t len, uint32_t to,
                                                      uint64_t *hooked)
{
	uint64_t scanned = w.tag & GC_TAG_HOOK_ONLY ? 0 : scan_chunk(rt, gc, p, w, ti, len, to);
	*hooked += ti->chunk(rt, w.obj, len, w.from, to, w.tag, ti->chunk_ud);
	return scanned;
}

/* Does one work item, splitting big arrays; returns the bytes scanned and
 * adds its chunk hook's work, if its type has one, to *hooked.  On a
 * worker's P, an item of a type with a scanned hook, or an untagged one of
 * a type with a chunk hook, is handed over to P 0 (work.c). */
static uint64_t scan_work_item(mg_runtime *rt, gc_p *p, gc_work w, uint64_t *hooked)
{
	gc_state *gc = gc_of(rt);
	uint64_t h = *gc_hdr_of(w.obj);
	const rt_typeinfo *ti = rt_type_byid(rt, gc_hdr_type(h));
	if (RT_UNLIKELY(ti->t->scanned != NULL || (ti->chunk != NULL && w.tag == 0)) && !gc_may_hook(rt, p)) {
		gc_whand_over(rt, w);
		return 0;
	}
	uint32_t len = gc_hdr_is_array(h) ? gc_hdr_len(h) : 1;
	uint32_t per = (uint32_t)(GC_SCAN_CHUNK / ti->elem_size);
	if (per == 0)
		per = 1;
	uint32_t to = len - w.from > per ? w.from + per : len;
	/* Go's oblets: the first chunk's item queues every other chunk as an
	 * item of its own, before the scan pushes what it finds, so that all
	 * Ps can scan one big array at once (a chain of remainders would be
	 * scanned by one P at a time).  Last chunk first, so that one P pops
	 * them in address order.  An item past the first is one chunk. */
	if (w.from == 0 && to < len)
		for (uint32_t from = (len - 1) / per * per; from >= to; from -= per)
			gc_wput(rt, p, (gc_work){w.obj, from, w.tag});
	/* Chunk hooks are for arrays: an overflow bucket (one bucket, not an
	 * array) is only scanned. */
	if (RT_UNLIKELY(ti->chunk != NULL) && gc_hdr_is_array(h))
		return scan_hooked(rt, gc, p, w, ti, len, to, hooked);
#ifndef NDEBUG
	/* A tag is for the chunk hook of an array (gc_push_tagged's callers'
	 * promise); not checked in release builds, where this is the marker's
	 * hottest path. */
	if (RT_UNLIKELY(w.tag != 0))
		mg_fatal(rt, "a tagged work item (tag %#x) on an object of type %s, which has no chunk hook", w.tag,
		         ti->t->name ? ti->t->name : "?");
#endif
	return scan_chunk(rt, gc, p, w, ti, len, to);
}

bool gc_worker_drain(mg_runtime *rt, gc_p *p, uint64_t budget)
{
	uint64_t done = 0, hooked = 0;
	bool dry = false;
	gc_work w;
	while (done + hooked < budget) {
		gc_wbalance(rt, p); /* as in gc_mark_slice */
		if (!gc_wget(rt, p, &w)) {
			dry = true;
			break;
		}
		done += scan_work_item(rt, p, w, &hooked);
		if (RT_UNLIKELY(__atomic_load_n(&rt->gc->stop_workers, __ATOMIC_RELAXED)) ||
		    RT_UNLIKELY(__atomic_load_n(&p->held, __ATOMIC_RELAXED) != NULL))
			break; /* stopped, or a mutator wants the P back */
	}
	p->scan_work += done;
	p->hook_work += hooked;
	return dry;
}

static uint64_t scan_rootstack(mg_runtime *rt, gc_p *p, const rt_rootstack *st)
{
	gc_state *gc = gc_of(rt);
	for (size_t i = 0; i < st->n; i++)
		shade(rt, gc, p, *st->v[i].slot);
	return st->n * sizeof(void *);
}

/* Thread m's scope roots (and the globals, the first time in the cycle)
 * into P p: their bytes count as stacks (and globals) of the gc line, and
 * as scan work. */
static void scan_thread_roots(mg_runtime *rt, gc_p *p, rt_mutator *m)
{
	gc_state *gc = gc_of(rt);
	uint64_t st = scan_rootstack(rt, p, &m->stack), gl = 0;
	if (!__atomic_exchange_n(&gc->globals_scanned, true, __ATOMIC_RELAXED)) {
		gl = scan_rootstack(rt, p, &rt->globals);
		__atomic_fetch_add(&gc->cur.globals, gl, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&gc->cur.stacks, st, __ATOMIC_RELAXED);
	__atomic_fetch_add(&gc->root_work, st + gl, __ATOMIC_RELAXED);
	__atomic_fetch_add(&gc->worker_scan_work, st + gl, __ATOMIC_RELAXED);
	m->roots_scanned = true;
}

/* The root job of the calling thread: its scope roots, with the globals
 * if no thread has scanned them yet this cycle (the globals are written
 * without barriers by a lone thread, so they are scanned like its stack;
 * with several threads their stores go through mg_store). */
void gc_scan_roots(mg_runtime *rt)
{
	rt_mutator *m = rt_self(rt);
	scan_thread_roots(rt, m->p, m);
}

void gc_scan_all_roots(mg_runtime *rt, gc_roots which)
{
	gc_state *gc = gc_of(rt);
	gc_p *p = rt_self(rt)->p;
	if (which == GC_ROOTS_ALL) { /* the stopped world's whole scan, or dijkstra's rescan */
		__atomic_store_n(&gc->cur.stacks, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&gc->cur.globals, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&gc->globals_scanned, false, __ATOMIC_RELAXED);
	}
	rt_mutator *self = rt_self(rt);
	for (rt_mutator *m = rt->muts; m; m = m->next) {
		if (m != self && which != GC_ROOTS_ALL && gc_test_skip(GC_HOOK_SKIP_OTHER_ROOTS))
			continue;
		if (which == GC_ROOTS_ALL || (!m->roots_scanned && (which == GC_ROOTS_UNSCANNED || m->state == RT_M_NATIVE)))
			scan_thread_roots(rt, p, m);
	}
	/* No thread at all, or all attached after the globals' scan. */
	if (which != GC_ROOTS_NATIVE && !__atomic_exchange_n(&gc->globals_scanned, true, __ATOMIC_RELAXED)) {
		uint64_t gl = scan_rootstack(rt, p, &rt->globals);
		__atomic_fetch_add(&gc->cur.globals, gl, __ATOMIC_RELAXED);
		__atomic_fetch_add(&gc->root_work, gl, __ATOMIC_RELAXED);
		__atomic_fetch_add(&gc->worker_scan_work, gl, __ATOMIC_RELAXED);
	}
}

bool gc_mark_slice(mg_runtime *rt, uint64_t budget)
{
	gc_state *gc = gc_of(rt);
	rt_mutator *m = rt_self(rt);
	gc_p *p = m->p;
	if (!m->roots_scanned)
		gc_scan_roots(rt);
	gc_wb_flush(rt, p);
	uint64_t done = 0, hooked = 0;
	gc_work w;
	while (done + hooked < budget) {
		/* Go's gcDrain: a P that has work while another waits for some
		 * publishes part of it, item by item, or a long slice (a
		 * stopped-world mark is one) would keep it all. */
		gc_wbalance(rt, p);
		if (!gc_wget(rt, p, &w) && !(gc_wtake_handover(rt) && gc_wget(rt, p, &w)))
			break;
		done += scan_work_item(rt, p, w, &hooked);
	}
	p->scan_work += done; /* inv.hook-not-scan: hook work only bounds the slice */
	p->hook_work += hooked;
	__atomic_fetch_add(&gc->worker_scan_work, done, __ATOMIC_RELAXED);
	bool empty = p->b1->n == 0 && p->b2->n == 0 && gc_atomic_nfull(gc) == 0 &&
	             gc_handover_pending(rt) == 0;
	gc_wbalance(rt, p); /* what the slice leaves, for a waiting worker */
	if (rt->cfg.heapcheck) {
		/* With the world stopped, every thread's barrier records are
		 * shaded first: a record not yet flushed is not grey. */
		gc_stop_world(rt);
		/* Another thread may have ended the mark while this one waited
		 * to stop the world (and the background sweeper is busy then). */
		if (gc_phase_of(gc) == GC_MARK) {
			gc_workers_stop(rt);
			for (uint32_t i = 0; i < gc->nproc; i++)
				gc_wb_flush(rt, &gc->ps[i]);
			int bad = gc_heap_check(rt, stderr);
			if (bad)
				mg_fatal(rt, "heap check failed: %d violations", bad);
			gc_workers_resume(rt);
		}
		gc_start_world(rt);
	}
	return empty;
}

/* The hooked items on the hand-over list, done by the thread that has
 * stopped the world (gc_mark_done's re-check): what they push is left
 * for marking to resume with. */
void gc_do_handover(mg_runtime *rt)
{
	gc_p *p = rt_self(rt)->p;
	gc_work w;
	uint64_t done = 0, hooked = 0;
	while (gc_whandover_pop(rt, &w))
		done += scan_work_item(rt, p, w, &hooked);
	p->scan_work += done;
	p->hook_work += hooked;
	__atomic_fetch_add(&rt->gc->worker_scan_work, done, __ATOMIC_RELAXED);
}

void gc_drain(mg_runtime *rt)
{
	while (!gc_mark_slice(rt, UINT64_MAX))
		;
}

void gc_assist(mg_runtime *rt, size_t bytes)
{
	gc_state *gc = gc_of(rt);
	rt_mutator *m = rt_self(rt);
	m->assist_debt += (int64_t)((double)bytes * gc_assist_ratio(rt));
	/* Pay in whole slices once the debt is worth a slice's fixed costs;
	 * over-assisting leaves credit for the next allocations. */
	if (m->assist_debt < (int64_t)(gc->slice_budget / 4))
		return;
	/* First from the workers' credit: scan work they did that no
	 * assist has counted yet (Go's bgScanCredit). */
	if (gc->nproc > 1) {
		int64_t credit = __atomic_load_n(&gc->bg_credit, __ATOMIC_RELAXED);
		if (credit > 0) {
			int64_t take = credit < m->assist_debt ? credit : m->assist_debt;
			__atomic_fetch_sub(&gc->bg_credit, take, __ATOMIC_RELAXED);
			m->assist_debt -= take;
		}
	}
	while (m->assist_debt > 0 && gc_phase_of(gc) == GC_MARK) {
		gc_p *p = m->p;
		uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
		uint64_t before = p->scan_work;
		m->in_gc = true;
		bool empty = gc_mark_slice(rt, gc->slice_budget);
		m->in_gc = false;
		uint64_t did = p->scan_work - before;
		m->assist_debt -= (int64_t)did;
		uint64_t cpu = rt_cputime() - c0;
		p->cpu_assist += cpu;
		m->mark_cpu += cpu;
		gc_on_slice(rt, rt_nanotime() - t0, cpu);
		if (empty) {
			if (gc_workers_mark_done(rt))
				gc_mark_done(rt);
			else
				m->assist_debt = 0; /* the workers hold the work: nothing to assist */
			break;
		}
		if (did == 0)
			break;
	}
}
