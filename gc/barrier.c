/*
 * barrier.c — the write barriers' slow paths (the fast path is gc_store in
 * gc.h: one test of gc->wb_on, which is set only during MARK).
 *
 *   hybrid   (Go):     shade(*slot); if roots not scanned: shade(ptr)
 *   yuasa    (deletion): shade(*slot)
 *   dijkstra (insertion): shade(ptr); roots rescanned at mark termination
 *   none:               nothing — objects get lost; checkmark proves it
 *
 * Why each is enough (one mutator, allocate-black; the mark workers only
 * read the heap, and a record in a barrier buffer is shaded before mark
 * termination ends, so buffering changes when, not whether):
 *  - yuasa: roots are scanned atomically at the start of mark (the
 *    snapshot).  Every object reachable then is either marked or reachable
 *    from a grey object through white ones; removing an edge on such a path
 *    shades its target first, so the path survives (inv.grey-protected).
 *  - hybrid: roots are scanned by the first mark slice, not in the pause.
 *    Until then both values are shaded, so nothing the mutator moves between
 *    heap and roots escapes (Go's argument, proposal 17503); afterwards it is
 *    yuasa with the snapshot taken at the root scan.
 *  - dijkstra: no black object ever points to a white one
 *    (inv.no-black-to-white), but roots are not protected, so they are
 *    rescanned and the queue drained at mark termination.
 *
 * THE BARRIER STUDY (MAPGC_DEBUG=wbtrace=1, the wb line of DESIGN.md §5;
 * the counters are mg_wbstats, listed once in MG_WBSTATS_LIST).  What each
 * counts, per cycle (gc->cur.wb, added into mg_stats.wb at mark
 * termination):
 *  - slow: calls of gc_wb_slow, i.e. pointer slots written while the
 *    barrier is on (MARK; the mutator does not run in MARK_TERMINATION):
 *    one per mg_store, and one per pointer slot of each element of an
 *    mg_typed_copy / mg_typed_clear (gc_bulk_barrier calls the slow path
 *    per slot).  Stores of NULL, of the same value, into objects allocated
 *    black: all count, as all pay for the slow path.  wb=none never turns
 *    the barrier on, so its slow count is 0 — there is no slow path.
 *  - shaded_old / shaded_new: white objects the deletion half (the old
 *    value, *slot) and the insertion half (ptr) greyed — or blackened,
 *    for noscan objects — each a transition gc_shade reports.  A store
 *    whose old and new value are one object counts it once, in the half
 *    that ran first (hybrid and yuasa: old).
 *  - buffered / flushes: records that went through a per-thread barrier
 *    buffer (every non-NULL value a slow path records: the slow path only
 *    records, and gc_wb_flush shades) and how often a buffer holding
 *    records was flushed: when full, at P 0's slices and check-ins, and at
 *    mark termination's re-check.  shaded_old/new are counted at the
 *    flush.  Only P 0, the one mutator, runs barriers, so its counts are
 *    gc->cur.wb directly; several mutators (issue 15) will count per P and
 *    merge.
 *  - rescan_bytes: root slots (scope and global, 8 bytes each) scanned at
 *    mark termination after they had been scanned earlier in the cycle:
 *    dijkstra's rescan.  The others never rescan (hybrid's roots, if no
 *    slice ran before mark termination, are scanned there for the first
 *    time: not a rescan).  Counted in cycle.c.
 *  - floating_bytes: bytes (slot sizes) the cycle marked that a
 *    stop-the-world re-mark from the roots at mark termination does not
 *    reach: what died after the snapshot but was kept by the barrier, and
 *    what was allocated black and died before mark termination.  The
 *    re-mark is checkmark's (gc_remark in verify.c); one serves both.
 *
 * COST.  The counting paths are separate cases of the same switch that
 * dispatches the mode (wb_path, chosen once per cycle by gc_wb_set_path),
 * so a run without wbtrace executes exactly what it did before: no counter,
 * no extra branch, and gc_store's inline fast path is untouched.  The
 * re-mark is a whole-heap traversal per cycle: wbtrace=1 is a study mode,
 * like gccheckmark=1.  Its time is kept out of the pauses, the GC CPU and
 * the gc line (mg_stats.wbtrace_wall_ns / wbtrace_cpu_ns hold it), so the
 * figures show what the barrier costs, not what measuring it costs.
 */
#include "gc/gc.h"

#include <inttypes.h>

void gc_wb_set_path(mg_runtime *rt)
{
	_Static_assert(MG_WB_COUNT * 2 <= UINT8_MAX, "wb_path fits its byte");
	rt->gc->wb_path = (uint8_t)(rt->cfg.wb + (rt->cfg.wbtrace ? GC_WB_COUNTED : 0));
}

/* Records ptr in the P's barrier buffer (NULL needs no shading and takes
 * no room); a full buffer is flushed at once. */
static inline void wb_record(mg_runtime *rt, gc_p *p, void *ptr, uint8_t kind)
{
	if (!ptr)
		return;
	p->wbb[p->wbn] = ptr;
	if (p->wbkind)
		p->wbkind[p->wbn] = kind;
	if (++p->wbn == p->wbcap)
		gc_wb_flush(rt, p);
}

void gc_wb_flush(mg_runtime *rt, gc_p *p)
{
	if (p->wbn == 0)
		return;
	/* The test hook: records reach the marker only when a buffer fills,
	 * never at a slice, a check-in or mark termination. */
	if (gc_test_skip(GC_HOOK_SKIP_WB_FLUSH) && p->wbn < p->wbcap)
		return;
	mg_wbstats *c = &p->wb;
	for (uint32_t i = 0; i < p->wbn; i++) {
		bool greyed = gc_shade_on(rt, p, p->wbb[i]);
		if (p->wbkind && greyed) {
			if (p->wbkind[i])
				c->shaded_new++;
			else
				c->shaded_old++;
		}
	}
	if (p->wbkind)
		c->flushes++;
	p->wbn = 0;
}

/* A counted slow path: which halves run is the mode's rule, unchanged. */
static void wb_counted(mg_runtime *rt, gc_p *p, void *old, bool shade_old, void *ptr, bool shade_new)
{
	mg_wbstats *c = &p->wb;
	c->slow++;
	/* One object in both halves counts once, in the half that ran first
	 * (the old value's): it is recorded once. */
	if (shade_old && old) {
		c->buffered++;
		wb_record(rt, p, old, 0);
	}
	if (shade_new && ptr && !(shade_old && ptr == old)) {
		c->buffered++;
		wb_record(rt, p, ptr, 1);
	}
}

void gc_wb_slow(mg_runtime *rt, void **slot, void *ptr)
{
	rt_mutator *m = rt_self(rt);
	gc_p *p = m->p;
	switch (rt->gc->wb_path) {
	case MG_WB_HYBRID:
		wb_record(rt, p, *slot, 0);
		if (!m->roots_scanned)
			wb_record(rt, p, ptr, 1);
		break;
	case MG_WB_YUASA:
		wb_record(rt, p, *slot, 0);
		break;
	case MG_WB_DIJKSTRA:
		wb_record(rt, p, ptr, 1);
		break;
	case GC_WB_COUNTED + MG_WB_HYBRID:
		wb_counted(rt, p, *slot, true, ptr, !m->roots_scanned);
		break;
	case GC_WB_COUNTED + MG_WB_YUASA:
		wb_counted(rt, p, *slot, true, ptr, false);
		break;
	case GC_WB_COUNTED + MG_WB_DIJKSTRA:
		wb_counted(rt, p, *slot, false, ptr, true);
		break;
	default: /* none: the barrier is never on */
		break;
	}
}

void gc_print_wbtrace(mg_runtime *rt, const gc_cycle *c)
{
	char fields[512];
	size_t o = 0;
#define GC_X_FIELD(field, key, shift, what) \
	o += (size_t)snprintf(fields + o, sizeof fields - o, " " key "=%" PRIu64, c->wb.field >> (shift));
	MG_WBSTATS_LIST(GC_X_FIELD)
#undef GC_X_FIELD
	uint64_t since = c->t_start - rt->start_ns;
	rt_trace_line(rt, "wb %u @%" PRIu64 ".%03" PRIu64 "s: mode=%s%s\n", c->n, since / 1000000000,
	              since / 1000000 % 1000, mg_barrier_name(rt->cfg.wb), fields);
}

/* Barrier for n elements of type ti about to be overwritten at dst with the
 * elements at src (NULL: zeroed).  Reads every old and new value before the
 * caller moves memory, so overlapping copies see the right values. */
void gc_bulk_barrier(mg_runtime *rt, const rt_typeinfo *ti, void *dst, const void *src, size_t n)
{
	if (!rt->gc->wb_on || ti->noscan)
		return;
	for (size_t i = 0; i < n; i++) {
		char *d = (char *)dst + i * ti->elem_size;
		const char *s = src ? (const char *)src + i * ti->elem_size : NULL;
		for (uint32_t k = 0; k < ti->nptrs; k++)
			gc_wb_slow(rt, (void **)(d + ti->offs[k]), s ? *(void *const *)(s + ti->offs[k]) : NULL);
	}
}

void mg_store(mg_runtime *rt, void *slot, void *ptr)
{
	gc_store(rt, slot, ptr);
}

void mg_typed_copy(mg_runtime *rt, const mg_type *t, void *dst, const void *src, size_t n)
{
	const rt_typeinfo *ti = rt_type_register(rt, t);
	gc_bulk_barrier(rt, ti, dst, src, n);
	gc_typed_move(rt->gc, ti, dst, src, n);
}

void mg_typed_clear(mg_runtime *rt, const mg_type *t, void *dst, size_t n)
{
	const rt_typeinfo *ti = rt_type_register(rt, t);
	gc_bulk_barrier(rt, ti, dst, NULL, n);
	gc_typed_zero(rt->gc, ti, dst, n);
}
