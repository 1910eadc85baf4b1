/*
 * sweep.c — lazy and background sweeping.
 *
 * Mark termination moves every in-use span to its class's unswept list and
 * advances the heap's sweepgen by 2 (Go's scheme, mgcsweep.go): a span
 * whose sweepgen is the heap's − 2 needs sweeping, − 1 is being swept, and
 * equal is swept.  A sweeper claims a span by compare-and-swap from −2 to
 * −1, so that two threads never sweep one span: the mutator and the
 * background sweeper, or either of them and a thread that needs that very
 * span swept now (gc_ensure_swept: mg_typeof, which reads its alloc bits).
 * The claim is made as the span leaves its unswept list, under heap_lock
 * (the lists are locked ones, not Go's lock-free span sets); the sweep
 * itself runs outside the lock, and a reader of the span's sweepgen
 * (acquire) sees a swept span's bits.  From then
 * on spans are swept
 *  - before allocation reuses them (refill sweeps its own class first),
 *  - proportionally to allocation, so that sweeping finishes before the
 *    next trigger: pages_per_byte = unswept pages / runway to the trigger
 *    (Go's sweepPagesPerByte),
 *  - by the background sweeper: the mark worker of P 1, which no mutator
 *    holds, sweeps span after span until none is left (Go's bgsweep on an
 *    idle P); with one P, a span at a time at safepoints,
 *  - all at once in sweep termination, if anything is left (the background
 *    sweeper stops first).
 * Sweeping a span frees its unmarked slots (poisoned in debug and ASan
 * builds, NOACCESS to Memcheck: gc/vg.h), makes the mark bits the new alloc
 * bits and clears the marks, outside the lock; the span is then filed, or
 * goes back to the page heap if nothing is left in it, under heap_lock,
 * which guards every span list and the page heap.  The end of sweeping
 * (the phase's change to OFF, the scavenger) is a mutator's, the first to
 * find nothing left, under heap_lock.
 */
#include "gc/gc.h"
#include "gc/vg.h"

#include <sched.h>

typedef enum { SWEPT_FREED, SWEPT_PARTIAL, SWEPT_FULL } swept;

#define SWEEP_MIN_DISTANCE ((uint64_t)1 << 20)

static inline uint32_t span_gen(const gc_span *s) { return __atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE); }

/* The claim: true if this thread is now the span's one sweeper. */
static bool claim(gc_state *gc, gc_span *s)
{
	uint32_t want = gc->sweepgen - 2;
	return __atomic_compare_exchange_n(&s->sweepgen, &want, gc->sweepgen - 1, false, __ATOMIC_ACQ_REL,
	                                   __ATOMIC_RELAXED);
}

/* Under heap_lock. */
static void file_swept(gc_state *gc, gc_span *s, swept r)
{
	if (r == SWEPT_PARTIAL)
		gc_list_push(&gc->partial[s->spanclass], s);
	else if (r == SWEPT_FULL)
		gc_list_push(&gc->full[s->spanclass], s);
}

/* Sweeps a span this thread claimed (and took off its unswept list).  The
 * bits outside the lock; the counters and, for an empty span, the page
 * heap under it.  With `file`, the result is filed too. */
static swept sweep_claimed(mg_runtime *rt, gc_span *s, bool file)
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
	if (freed) {
		/* heap_live already left these out at mark termination. */
		s->nalloc -= freed;
		s->needzero = true;
	}
	s->freeindex = 0;
	swept r = s->nalloc == 0 ? SWEPT_FREED : s->nalloc < s->nelems ? SWEPT_PARTIAL : SWEPT_FULL;
	pthread_mutex_lock(&gc->heap_lock);
	gc->stats.freed_objects += freed;
	__atomic_store_n(&gc->unswept_pages, gc->unswept_pages - s->npages, __ATOMIC_RELAXED);
	__atomic_store_n(&gc->sweep_pages_done, gc->sweep_pages_done + s->npages, __ATOMIC_RELAXED);
	__atomic_store_n(&s->sweepgen, gc->sweepgen, __ATOMIC_RELEASE);
	if (r == SWEPT_FREED)
		gc_span_free(rt, s);
	else if (file)
		file_swept(gc, s, r);
	pthread_mutex_unlock(&gc->heap_lock);
	return r;
}

/* Takes the first span of list l that this thread can claim, or NULL;
 * under heap_lock.  A span on an unswept list that is not −2 any more was
 * claimed by gc_ensure_swept, which files it when done. */
static gc_span *take_unswept(gc_state *gc, gc_spanlist *l)
{
	gc_span *s;
	while ((s = l->first) != NULL) {
		gc_list_remove(l, s);
		if (claim(gc, s))
			return s;
	}
	return NULL;
}

void gc_sweep_span(mg_runtime *rt, gc_span *s)
{
	gc_state *gc = gc_of(rt);
	/* Every claim is made under heap_lock as its span leaves the unswept
	 * list, so a span still at −2 here is on its list. */
	pthread_mutex_lock(&gc->heap_lock);
	bool mine = span_gen(s) == gc->sweepgen - 2;
	if (mine) {
		gc_list_remove(&gc->unswept[s->spanclass], s);
		mine = claim(gc, s);
	}
	pthread_mutex_unlock(&gc->heap_lock);
	if (mine)
		sweep_claimed(rt, s, true);
}

void gc_ensure_swept(mg_runtime *rt, gc_span *s)
{
	gc_state *gc = gc_of(rt);
	if (gc_phase_of(gc) != GC_SWEEP)
		return;
	uint32_t g = span_gen(s);
	if (g == gc->sweepgen - 2) {
		gc_sweep_span(rt, s);
		g = span_gen(s);
	}
	/* Another thread sweeps it: a span's sweep is short. */
	while (g == gc->sweepgen - 1) {
		sched_yield();
		g = span_gen(s);
	}
}

static void sweep_done(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc_phase_of(gc) != GC_SWEEP)
		return;
	gc_bgsweep_stop(rt); /* in flight: its last span filed */
	/* Several threads may find the end at once: one ends sweeping. */
	pthread_mutex_lock(&gc->heap_lock);
	if (gc_phase_of(gc) != GC_SWEEP) {
		pthread_mutex_unlock(&gc->heap_lock);
		return;
	}
	gc_set_phase(gc, GC_OFF);
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
	uint64_t goal = gc->pacer.goal == UINT64_MAX ? gc_heap_live(gc) : gc->pacer.goal;
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
	pthread_mutex_unlock(&gc->heap_lock);
}

/* One span of any class; false when none is left to claim. */
static bool sweep_any(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	pthread_mutex_lock(&gc->heap_lock);
	gc_span *s = NULL;
	for (uint32_t sc = 0; sc < GC_NSPANCLASS && !s; sc++)
		s = take_unswept(gc, &gc->unswept[sc]);
	pthread_mutex_unlock(&gc->heap_lock);
	if (!s)
		return false;
	sweep_claimed(rt, s, true);
	return true;
}

bool gc_sweep_one(mg_runtime *rt)
{
	if (sweep_any(rt))
		return true;
	sweep_done(rt);
	return false;
}

bool gc_bgsweep_one(mg_runtime *rt)
{
	return sweep_any(rt);
}

void gc_sweep_all(mg_runtime *rt)
{
	gc_bgsweep_stop(rt);
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
	double want = (double)(gc_total_alloc(gc) + pending - gc->sweep_live_basis) * gc->sweep_pages_per_byte;
	/* With no runway the rate is 1e18 pages per byte: the product leaves
	 * uint64's range, and converting it would be undefined (x86 gives 0,
	 * which would sweep nothing). */
	uint64_t target = want < 0x1p64 ? (uint64_t)want : UINT64_MAX;
	while (__atomic_load_n(&gc->sweep_pages_done, __ATOMIC_RELAXED) < target && gc_sweep_one(rt))
		;
	/* The background sweeper may have swept the rest: sweeping ends. */
	if (gc_phase_of(gc) == GC_SWEEP && __atomic_load_n(&gc->unswept_pages, __ATOMIC_RELAXED) == 0)
		gc_sweep_one(rt);
}

gc_span *gc_sweep_for_class(mg_runtime *rt, uint32_t sc)
{
	gc_state *gc = gc_of(rt);
	for (;;) {
		pthread_mutex_lock(&gc->heap_lock);
		gc_span *s = take_unswept(gc, &gc->unswept[sc]);
		pthread_mutex_unlock(&gc->heap_lock);
		if (!s)
			return NULL;
		swept r = sweep_claimed(rt, s, false);
		if (r == SWEPT_PARTIAL)
			return s;
		if (r == SWEPT_FULL) {
			pthread_mutex_lock(&gc->heap_lock);
			file_swept(gc, s, r);
			pthread_mutex_unlock(&gc->heap_lock);
		}
	}
}

void gc_sweep_prepare(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	pthread_mutex_lock(&gc->heap_lock);
	gc->sweepgen += 2;
	__atomic_store_n(&gc->unswept_pages, 0, __ATOMIC_RELAXED);
	for (uint32_t sc = 0; sc < GC_NSPANCLASS; sc++) {
		if (gc->unswept[sc].first)
			mg_fatal(rt, "sweep prepare: span class %u not fully swept", sc);
		/* O(1) per class: this runs inside the mark termination pause. */
		gc_list_splice(&gc->unswept[sc], &gc->partial[sc]);
		gc_list_splice(&gc->unswept[sc], &gc->full[sc]);
		__atomic_store_n(&gc->unswept_pages, gc->unswept_pages + gc->unswept[sc].pages, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&gc->sweep_pages_done, 0, __ATOMIC_RELAXED);
	gc->sweep_live_basis = gc_total_alloc(gc);
	/* Finish 1 MiB of allocation before the trigger (Go's
	 * sweepMinHeapDistance), so sweep termination finds nothing to do. */
	uint64_t runway = gc->pacer.trigger > gc_heap_live(gc) + SWEEP_MIN_DISTANCE
	                          ? gc->pacer.trigger - gc_heap_live(gc) - SWEEP_MIN_DISTANCE
	                          : 0;
	/* No runway: sweep everything with the first allocation. */
	gc->sweep_pages_per_byte = runway ? (double)gc->unswept_pages / (double)runway : 1e18;
	gc_set_phase(gc, GC_SWEEP);
	pthread_mutex_unlock(&gc->heap_lock);
	gc_bgsweep_start(rt);
}
