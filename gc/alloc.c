/*
 * alloc.c — allocation: a per-mutator cache of one span per span class,
 * refilled from swept partial spans, then by sweeping, then from the page
 * heap.  Allocation is where the collector gets its turns: the trigger is
 * checked on refill, assists are charged during mark, gcevery counts here.
 *
 * The order of work in gc_alloc matters: collector work (gcevery, assists)
 * runs before the slot is chosen, because it may terminate mark and hand
 * the cached spans to the sweeper.
 */
#include "gc/gc.h"
#include "gc/vg.h"

#include <stdlib.h>

/* Next free slot at or after freeindex, or -1; allocbits are the truth. */
static inline int64_t span_next_free(gc_span *s)
{
	uint32_t i = s->freeindex;
	while (i < s->nelems) {
		uint64_t w = ~s->allocbits[i >> 6] >> (i & 63);
		if (w) {
			uint32_t j = i + (uint32_t)__builtin_ctzll(w);
			if (j >= s->nelems)
				break;
			s->freeindex = j + 1;
			return j;
		}
		i = (i | 63) + 1;
	}
	s->freeindex = s->nelems;
	return -1;
}

void gc_mcache_release(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	pthread_mutex_lock(&gc->heap_lock);
	for (uint32_t i = 0; i < gc->nproc; i++) {
		gc_span **cache = gc->ps[i].cache;
		for (uint32_t sc = 0; sc < GC_NSPANCLASS; sc++) {
			gc_span *s = cache[sc];
			if (!s)
				continue;
			s->in_cache = false;
			gc_list_push(s->nalloc < s->nelems ? &gc->partial[sc] : &gc->full[sc], s);
			cache[sc] = NULL;
		}
	}
	pthread_mutex_unlock(&gc->heap_lock);
}

uint64_t gc_total_alloc(const gc_state *gc)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < gc->nproc; i++)
		n += __atomic_load_n(&gc->ps[i].alloc_bytes, __ATOMIC_RELAXED);
	return n;
}

uint64_t gc_total_objects(const gc_state *gc)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < gc->nproc; i++)
		n += __atomic_load_n(&gc->ps[i].alloc_objects, __ATOMIC_RELAXED);
	return n;
}

/* A span from the page heap, set up for span class sc (< 0: a large
 * object's, -1 scan or -2 noscan, then filed on its full list) and named
 * in the page map, all under heap_lock: the background sweeper, freeing a
 * neighbour, must never see it half made (it would coalesce a span still
 * marked free). */
static gc_span *span_new_locked(mg_runtime *rt, uint32_t npages, int sc)
{
	gc_state *gc = gc_of(rt);
	pthread_mutex_lock(&gc->heap_lock);
	gc_span *s = gc_span_alloc(rt, npages);
	if (s) {
		if (sc >= 0) {
			gc_span_init_small(rt, s, (uint32_t)sc);
		} else {
			gc_span_init_large(rt, s, sc == -2);
			gc_list_push(&gc->full[s->spanclass], s);
		}
		s->sweepgen = gc->sweepgen; /* nothing in it to sweep */
	}
	pthread_mutex_unlock(&gc->heap_lock);
	return s;
}

static MG_NORETURN void alloc_failed(mg_runtime *rt, size_t bytes)
{
	rt_out_of_memory(rt, bytes);
}

/* Pages for a new span.  A refusal caused by the memory limit gets one full
 * collection (and the scavenger) before it is fatal; an injected failure
 * (failalloc) is fatal at once, like the OS refusing. */
static gc_span *span_alloc_or_collect(mg_runtime *rt, uint32_t npages, int sc)
{
	gc_state *gc = gc_of(rt);
	gc_span *s = span_new_locked(rt, npages, sc);
	if (s)
		return s;
	if ((rt->cfg.failalloc && gc->os_requests == rt->cfg.failalloc) || rt_self(rt)->in_gc)
		alloc_failed(rt, (size_t)npages * GC_PAGE_SIZE);
	/* An emergency collection: sweep what it found dead right away (lazy
	 * sweeping would leave it unusable for this very request), and give
	 * every free page back, since the limit counts mapped memory. */
	gc_full_cycle(rt, false);
	gc_sweep_all(rt);
	pthread_mutex_lock(&gc->heap_lock);
	gc_heap_scavenge(rt, 0);
	pthread_mutex_unlock(&gc->heap_lock);
	s = span_new_locked(rt, npages, sc);
	if (!s)
		alloc_failed(rt, (size_t)npages * GC_PAGE_SIZE);
	return s;
}

/* A new span for class sc in the calling thread's P's cache.  Collector
 * work on the way (sweeping, a cycle's start) may stop the world, and
 * another thread's mark termination empty the cache meanwhile
 * (gc_mcache_release): the slot is filled after it. */
static gc_span *refill(mg_runtime *rt, uint32_t sc)
{
	gc_state *gc = gc_of(rt);
	gc_p *p = gc_my_p(rt);
	gc_span *old = p->cache[sc];
	if (old) {
		old->in_cache = false;
		pthread_mutex_lock(&gc->heap_lock);
		gc_list_push(&gc->full[sc], old);
		pthread_mutex_unlock(&gc->heap_lock);
		p->cache[sc] = NULL;
	}
	gc_p_flush_alloc(gc, p);
	if (gc_phase_of(gc) == GC_SWEEP)
		gc_sweep_proportional(rt, (uint64_t)gc_class_npages(sc >> 1) * GC_PAGE_SIZE); /* a span's worth */
	gc_maybe_start(rt);
	pthread_mutex_lock(&gc->heap_lock);
	gc_span *s = gc->partial[sc].first;
	if (s)
		gc_list_remove(&gc->partial[sc], s);
	pthread_mutex_unlock(&gc->heap_lock);
	if (s) {
		/* swept: on a partial list */
	} else if ((s = gc_sweep_for_class(rt, sc)) != NULL) {
		/* swept and detached by the sweeper */
	} else {
		s = span_alloc_or_collect(rt, gc_class_npages(sc >> 1), (int)sc);
	}
	s->in_cache = true;
	p->cache[sc] = s;
	return s;
}

/* Bookkeeping common to small and large objects once a slot is chosen. */
static inline void *slot_finish(mg_runtime *rt, gc_p *p, gc_span *s, uint32_t idx, uint32_t size,
                                rt_typeinfo *ti, bool array, uint32_t len)
{
	gc_state *gc = gc_of(rt);
	uintptr_t slot = gc_slot_addr(s, idx);
	/* Only this thread writes the span's alloc bits (it is in this
	 * thread's cache), but workers read them (mark.c): one relaxed store
	 * of the word, the plain store's instruction. */
	uint64_t bit = (uint64_t)1 << (idx & 63);
	__atomic_store_n(&s->allocbits[idx >> 6], s->allocbits[idx >> 6] | bit, __ATOMIC_RELAXED);
	s->nalloc++;
	gc_unpoison((void *)slot, size);
	GC_VG(gc_vg_alloc(gc, slot, size)); /* inv.vg-alloc; before the clear, which writes the chunk */
	if (s->needzero)
		memset((void *)slot, 0, size);
	*(uint64_t *)slot = gc_hdr_make(ti->id, array, len);
	void *obj = (void *)(slot + GC_HDR_SIZE);
	/* Relaxed stores: mg_read_stats adds what no refill has flushed yet. */
	__atomic_store_n(&p->live_delta, p->live_delta + s->elem_size, __ATOMIC_RELAXED);
	if (!s->noscan)
		p->scan_delta += s->elem_size;
	__atomic_store_n(&p->alloc_bytes, p->alloc_bytes + s->elem_size, __ATOMIC_RELAXED);
	__atomic_store_n(&p->alloc_objects, p->alloc_objects + 1, __ATOMIC_RELAXED);
	if (gc_phase_of(gc) == GC_MARK) {
		/* inv.alloc-black: a new object holds nothing the marker could miss.
		 * Types with a scan hook are queued so the hook sees them too. */
		if (gc->nproc == 1)
			s->markbits[idx >> 6] |= bit;
		else /* workers set other bits of the word */
			__atomic_fetch_or(&s->markbits[idx >> 6], bit, __ATOMIC_RELAXED);
		p->heap2 += s->elem_size;
		if (!s->noscan)
			p->heap2_scan += s->elem_size;
		p->alloc_mark += s->elem_size;
		if (RT_UNLIKELY(ti->t->scanned != NULL) && !ti->noscan)
			gc_wput(rt, p, (gc_work){obj, 0, 0});
	}
	return obj;
}

void *gc_alloc(mg_runtime *rt, rt_typeinfo *ti, bool array, size_t n)
{
	if (RT_UNLIKELY(gc_is_boehm(rt)))
		return gc_boehm_alloc(rt, ti, array, n);
	gc_state *gc = gc_of(rt);
	/* Go's order: beyond the address space is a bad length (a panic);
	 * anything else too big for this heap is out of memory. */
	if (RT_UNLIKELY(n && ti->elem_size > (GC_MAX_ALLOC - GC_HDR_SIZE) / n))
		mg_panic(rt, "runtime error: makeslice: len out of range");
	if (RT_UNLIKELY(n > UINT32_MAX || ti->elem_size * n > gc->arena_hi - gc->arena_lo))
		rt_out_of_memory(rt, GC_HDR_SIZE + (size_t)ti->elem_size * n);
	rt_mutator *m = rt_self(rt);
	if (RT_UNLIKELY(m->in_gc))
		mg_fatal(rt, "allocation during garbage collection");
	size_t bytes = GC_HDR_SIZE + (size_t)ti->elem_size * n;
	bytes = (bytes + 7) & ~(size_t)7;

	rt_poll(rt); /* allocation is a safepoint */
	if (RT_UNLIKELY(rt->cfg.gcevery) && !gc->test_driven &&
	    __atomic_add_fetch(&gc->alloc_count, 1, __ATOMIC_RELAXED) % rt->cfg.gcevery == 0)
		gc_full_cycle(rt, false);
	if (gc_phase_of(gc) == GC_MARK) {
		if (RT_UNLIKELY(!m->roots_scanned))
			gc_scan_own_roots(rt, m);
		if (RT_UNLIKELY(__atomic_load_n(&gc->p0_req, __ATOMIC_RELAXED)))
			gc_p0_checkin(rt);
		if (gc_phase_of(gc) == GC_MARK)
			gc_assist(rt, bytes);
	}

	if (RT_LIKELY(bytes <= GC_MAX_SMALL)) {
		uint32_t sc = gc_size_to_class(bytes) * 2 + (ti->noscan ? 1 : 0);
		gc_p *p = m->p;
		gc_span *s = p->cache[sc];
		int64_t idx = s ? span_next_free(s) : -1;
		if (RT_UNLIKELY(idx < 0)) {
			s = refill(rt, sc);
			idx = span_next_free(s);
			if (idx < 0)
				mg_fatal(rt, "refilled span has no free slot");
		}
		return slot_finish(rt, p, s, (uint32_t)idx, (uint32_t)bytes, ti, array, (uint32_t)n);
	}

	/* Large object: its own span. */
	if (gc_phase_of(gc) == GC_SWEEP)
		gc_sweep_proportional(rt, bytes);
	gc_maybe_start(rt);
	uint32_t npages = (uint32_t)((bytes + GC_PAGE_SIZE - 1) >> GC_PAGE_SHIFT);
	if ((size_t)npages << GC_PAGE_SHIFT < bytes)
		mg_panic(rt, "runtime error: makeslice: len out of range");
	gc_span *s = span_alloc_or_collect(rt, npages, ti->noscan ? -2 : -1);
	void *obj = slot_finish(rt, m->p, s, 0, (uint32_t)(bytes > UINT32_MAX ? UINT32_MAX : bytes), ti, array, (uint32_t)n);
	gc_p_flush_alloc(gc, m->p); /* a large object counts at once */
	return obj;
}

/* ---- public allocation API ---------------------------------------------- */

void *mg_alloc(mg_runtime *rt, const mg_type *t)
{
	return gc_alloc(rt, rt_type_register(rt, t), false, 1);
}

void *mg_alloc_array(mg_runtime *rt, const mg_type *elem, size_t n)
{
	return gc_alloc(rt, rt_type_register(rt, elem), true, n);
}

void *mg_alloc_bytes(mg_runtime *rt, size_t n)
{
	return gc_alloc(rt, rt_type_register(rt, &mg_type_bytes), true, n);
}

mg_string mg_string_new(mg_runtime *rt, const char *bytes, size_t len)
{
	if (len == 0)
		return (mg_string){NULL, 0};
	char *p = mg_alloc_bytes(rt, len);
	memcpy(p, bytes, len);
	return (mg_string){p, len};
}

const mg_type *mg_typeof(mg_runtime *rt, const void *p, size_t *len)
{
	if (gc_is_boehm(rt))
		return gc_boehm_typeof(rt, p, len);
	gc_state *gc = gc_of(rt);
	uint32_t idx;
	gc_span *s = gc_find_object(gc, (uintptr_t)p, &idx);
	if (s)
		gc_ensure_swept(rt, s); /* the background sweeper may be rewriting its bits */
	/* Another thread may be allocating in the span (its P's cache). */
	if (!s || !gc_bit_relaxed(s->allocbits, idx))
		return NULL;
	uint64_t h = *(uint64_t *)gc_slot_addr(s, idx);
	if (len)
		*len = gc_hdr_is_array(h) ? gc_hdr_len(h) : 1;
	return rt_type_byid(rt, gc_hdr_type(h))->t;
}
