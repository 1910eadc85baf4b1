/*
 * sweep.c — lazy sweeping.
 *
 * Mark termination moves every in-use span to its class's unswept list and
 * bumps the heap's sweepgen (a span is swept when its sweepgen equals the
 * heap's).  From then on spans are swept
 *  - before allocation reuses them (refill sweeps its own class first),
 *  - proportionally to allocation, so that sweeping finishes before the
 *    next trigger: pages_per_byte = unswept pages / runway to the trigger
 *    (Go's sweepPagesPerByte),
 *  - a span at a time at safepoints (the background sweeper),
 *  - all at once in sweep termination, if anything is left.
 * Sweeping a span frees its unmarked slots (poisoned in debug and ASan
 * builds, NOACCESS to Memcheck: gc/vg.h), makes the mark bits the new alloc bits and clears the marks; a
 * span with nothing left goes back to the page heap.
 */
#include "gc/gc.h"
#include "gc/vg.h"

typedef enum { SWEPT_FREED, SWEPT_PARTIAL, SWEPT_FULL } swept;

#define SWEEP_MIN_DISTANCE ((uint64_t)1 << 20)

static swept sweep_span(mg_runtime *rt, gc_span *s)
{
	gc_state *gc = gc_of(rt);
	uint32_t freed = 0;
	size_t w = gc_bitwords(s->nelems);
	for (size_t i = 0; i < w; i++) {
		uint64_t dead = s->allocbits[i] & ~s->markbits[i];
		while (dead) {
			uint32_t idx = (uint32_t)(i * 64 + (size_t)__builtin_ctzll(dead));
			dead &= dead - 1;
			GC_VG(gc_vg_free(gc, gc_slot_addr(s, idx))); /* inv.vg-free */
			if (s->state == SPAN_SMALL)
				gc_poison((void *)gc_slot_addr(s, idx), s->elem_size);
			freed++;
		}
		s->allocbits[i] = s->markbits[i];
		s->markbits[i] = 0;
	}
	gc->unswept_pages -= s->npages;
	gc->sweep_pages_done += s->npages;
	s->sweepgen = gc->sweepgen;
	if (freed) {
		/* heap_live already left these out at mark termination. */
		gc->stats.freed_objects += freed;
		s->nalloc -= freed;
		s->needzero = true;
	}
	s->freeindex = 0;
	if (s->nalloc == 0) {
		gc_span_free(rt, s);
		return SWEPT_FREED;
	}
	return s->nalloc < s->nelems ? SWEPT_PARTIAL : SWEPT_FULL;
}

static void file_swept(gc_state *gc, gc_span *s, swept r)
{
	if (r == SWEPT_PARTIAL)
		gc_list_push(&gc->partial[s->spanclass], s);
	else if (r == SWEPT_FULL)
		gc_list_push(&gc->full[s->spanclass], s);
}

void gc_sweep_span(mg_runtime *rt, gc_span *s)
{
	file_swept(gc_of(rt), s, sweep_span(rt, s));
}

static void sweep_done(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc->phase != GC_SWEEP)
		return;
	gc->phase = GC_OFF;
	gc->test_driven = false;
	/* Keep mapped memory within 110 % of the larger of the goal and the
	 * span memory the last cycle actually used at its peak (fragmentation
	 * included), and return free pages beyond that to the OS, at most
	 * GC_SCAVENGE_RATE bytes per second since the last time: Go's
	 * scavenger goal, at a pace like its background scavenger's.  A page
	 * returned and needed again costs a fault and a clear, so an excess
	 * that one cycle sees (a big structure just died, and its successor is
	 * being built: every pass of a benchmark) goes back only as fast as
	 * the program leaves it unused. */
	uint64_t goal = gc->pacer.goal == UINT64_MAX ? gc->heap_live : gc->pacer.goal;
	uint64_t keep = goal > gc->peak_inuse ? goal : gc->peak_inuse;
	uint64_t target = keep + keep / 10;
	uint64_t now = rt_nanotime();
	if (gc->heap_mapped > target) {
		uint64_t excess = gc->heap_mapped - target;
		double pace = (double)(now - gc->scavenged_at) * (GC_SCAVENGE_RATE / 1e9);
		if ((double)excess > pace)
			excess = (uint64_t)pace;
		gc_heap_scavenge(rt, gc->free_unreleased > excess ? gc->free_unreleased - excess : 0);
	}
	gc->scavenged_at = now;
	gc->peak_inuse = gc->inuse_bytes;
}

bool gc_sweep_one(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	for (uint32_t sc = 0; sc < GC_NSPANCLASS; sc++) {
		gc_span *s = gc->unswept[sc].first;
		if (s) {
			gc_list_remove(&gc->unswept[sc], s);
			gc_sweep_span(rt, s);
			return true;
		}
	}
	sweep_done(rt);
	return false;
}

void gc_sweep_all(mg_runtime *rt)
{
	while (gc_sweep_one(rt))
		;
}

void gc_sweep_proportional(mg_runtime *rt, uint64_t pending)
{
	gc_state *gc = gc_of(rt);
	/* Paced by bytes allocated (monotonic), not by heap_live, which mark
	 * termination resets to the marked bytes.  The bytes about to be
	 * allocated count already (Go's deductSweepCredit): one large array
	 * can cover the rest of the runway, and then sweep termination would
	 * have to finish the sweeping inside its pause. */
	double want = (double)(gc->stats.total_alloc + pending - gc->sweep_live_basis) * gc->sweep_pages_per_byte;
	/* With no runway the rate is 1e18 pages per byte: the product leaves
	 * uint64's range, and converting it would be undefined (x86 gives 0,
	 * which would sweep nothing). */
	uint64_t target = want < 0x1p64 ? (uint64_t)want : UINT64_MAX;
	while (gc->sweep_pages_done < target && gc_sweep_one(rt))
		;
}

gc_span *gc_sweep_for_class(mg_runtime *rt, uint32_t sc)
{
	gc_state *gc = gc_of(rt);
	gc_span *s;
	while ((s = gc->unswept[sc].first) != NULL) {
		gc_list_remove(&gc->unswept[sc], s);
		swept r = sweep_span(rt, s);
		if (r == SWEPT_PARTIAL)
			return s;
		file_swept(gc, s, r);
	}
	return NULL;
}

void gc_sweep_prepare(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	gc->sweepgen++;
	gc->unswept_pages = 0;
	for (uint32_t sc = 0; sc < GC_NSPANCLASS; sc++) {
		if (gc->unswept[sc].first)
			mg_fatal(rt, "sweep prepare: span class %u not fully swept", sc);
		/* O(1) per class: this runs inside the mark termination pause. */
		gc_list_splice(&gc->unswept[sc], &gc->partial[sc]);
		gc_list_splice(&gc->unswept[sc], &gc->full[sc]);
		gc->unswept_pages += gc->unswept[sc].pages;
	}
	gc->sweep_pages_done = 0;
	gc->sweep_live_basis = gc->stats.total_alloc;
	/* Finish 1 MiB of allocation before the trigger (Go's
	 * sweepMinHeapDistance), so sweep termination finds nothing to do. */
	uint64_t runway = gc->pacer.trigger > gc->heap_live + SWEEP_MIN_DISTANCE
	                          ? gc->pacer.trigger - gc->heap_live - SWEEP_MIN_DISTANCE
	                          : 0;
	/* No runway: sweep everything with the first allocation. */
	gc->sweep_pages_per_byte = runway ? (double)gc->unswept_pages / (double)runway : 1e18;
	gc->phase = GC_SWEEP;
}
