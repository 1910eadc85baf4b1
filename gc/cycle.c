/*
 * cycle.c — the phase machine, mg_open/mg_close, mg_gc, safepoints,
 * statistics and the gctrace line.
 *
 * Who runs what:
 *   trigger (allocation refill)  → gc_start_cycle: sweep termination pause
 *   mark workers (Ps 1…n-1)      → most of the marking, beside the mutator (workers.c)
 *   allocation during MARK       → gc_assist: slices charged to the allocator;
 *                                  gc_p0_checkin when the workers ask (p0_req)
 *   mg_safepoint during MARK     → the check-in; with one P, background slices
 *                                  up to 25 % of the time
 *   mark work exhausted          → gc_mark_done: the stop-the-world re-check,
 *                                  then the mark termination pause
 *   mg_gc, gcevery               → gc_full_cycle
 *   gcstoptheworld=1             → the whole mark inside one pause
 * gc->in_gc guards against reentry: the collector never allocates on the
 * heap and never runs a cycle from inside one.
 */
#include "gc/gc.h"

#include <inttypes.h>
#include <stdlib.h>

static const char *const phase_names[] = {
#define GC_X_NAME(v, s) [v] = s,
	GC_PHASE_LIST(GC_X_NAME)
#undef GC_X_NAME
};

const char *mg_phase_name(int phase)
{
	return phase >= 0 && phase < GC_NPHASES ? phase_names[phase] : "?";
}

static void record_pause(gc_state *gc, uint64_t ns)
{
	gc->stats.pause_total_ns += ns;
	if (ns > gc->stats.pause_max_ns)
		gc->stats.pause_max_ns = ns;
}

/* Wall time is what the mutator waited; CPU time is the slice's own work,
 * the figure that is not inflated when the thread is preempted mid-slice. */
void gc_on_slice(mg_runtime *rt, uint64_t ns, uint64_t cpu_ns)
{
	gc_state *gc = gc_of(rt);
	gc->stats.mark_slices++;
	if (ns > gc->stats.mark_slice_max_ns)
		gc->stats.mark_slice_max_ns = ns;
	if (cpu_ns > gc->stats.mark_slice_max_cpu_ns)
		gc->stats.mark_slice_max_cpu_ns = cpu_ns;
}

/* ---- the gctrace line (DESIGN.md §5, Go 1.19's format) ------------------ */

/* Go's fmtNSAsMS: whole milliseconds from 10 ms up; below, two significant
 * digits with at most three decimals ("0.012", "0.12", "1.2"). */
void gc_format_ms(char *buf, size_t n, uint64_t ns)
{
	if (ns >= 10000000) {
		snprintf(buf, n, "%" PRIu64, ns / 1000000);
		return;
	}
	uint64_t x = ns / 1000;
	if (x == 0) {
		snprintf(buf, n, "0");
		return;
	}
	int dec = 3;
	while (x >= 100) {
		x /= 10;
		dec--;
	}
	uint64_t p = dec == 3 ? 1000 : dec == 2 ? 100 : dec == 1 ? 10 : 1;
	if (dec == 0)
		snprintf(buf, n, "%" PRIu64, x);
	else
		snprintf(buf, n, "%" PRIu64 ".%0*" PRIu64, x / p, dec, x % p);
}

void gc_print_gctrace(mg_runtime *rt, const gc_cycle *c, uint64_t gc_cpu_ns)
{
	char t[8][32];
	gc_format_ms(t[0], 32, c->t_mark - c->t_start);
	gc_format_ms(t[1], 32, c->t_markterm - c->t_mark);
	gc_format_ms(t[2], 32, c->t_end - c->t_markterm);
	gc_format_ms(t[3], 32, c->cpu_sweepterm);
	gc_format_ms(t[4], 32, c->cpu_assist);
	gc_format_ms(t[5], 32, c->cpu_background + c->cpu_dedicated + c->cpu_fractional);
	gc_format_ms(t[6], 32, c->cpu_idle);
	gc_format_ms(t[7], 32, c->cpu_markterm);
	uint32_t procs = c->procs ? c->procs : 1;
	uint64_t since = c->t_start - rt->start_ns;
	uint64_t elapsed = c->t_end - rt->start_ns;
	uint64_t util = elapsed ? gc_cpu_ns * 100 / (elapsed * procs) : 0;
	rt_trace_line(rt,
	              "gc %u @%" PRIu64 ".%03" PRIu64 "s %" PRIu64 "%%: %s+%s+%s ms clock, %s+%s/%s/%s+%s ms cpu, "
	              "%" PRIu64 "->%" PRIu64 "->%" PRIu64 " MB, %" PRIu64 " MB goal, %" PRIu64 " MB stacks, "
	              "%" PRIu64 " MB globals, %d P%s\n",
	              c->n, since / 1000000000, since / 1000000 % 1000, util, t[0], t[1], t[2], t[3], t[4], t[5],
	              t[6], t[7], c->heap0 >> 20, c->heap1 >> 20, c->heap2 >> 20,
	              c->goal == UINT64_MAX ? 0 : c->goal >> 20, c->stacks >> 20, c->globals >> 20, procs,
	              c->forced ? " (forced)" : "");
}

/* ---- phases ------------------------------------------------------------- */

/* Sweep termination: the first stop-the-world pause of a cycle. */
void gc_start_cycle(mg_runtime *rt, bool forced)
{
	gc_state *gc = gc_of(rt);
	uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
	gc->in_gc = true;
	gc->phase = GC_SWEEP_TERMINATION;
	gc_sweep_all(rt);
	gc->phase = GC_SWEEP_TERMINATION;
	memset(&gc->cur, 0, sizeof gc->cur);
	gc->cur.n = (uint32_t)gc->stats.cycles + 1;
	gc->cur.forced = forced;
	gc->cur.t_start = t0;
	gc->cur.heap0 = gc->heap_live;
	gc->cur.heap_live_at_trigger = gc->heap_live;
	gc->cur.goal = gc->pacer.goal;
	gc->cur.procs = gc->nproc;
	rt->mut.roots_scanned = false;
	rt->mut.assist_debt = 0;
	gc->phase = GC_MARK;
	gc_wb_set_path(rt);
	gc->wb_on = rt->cfg.wb != MG_WB_NONE;
	rt_cycle_hooks_run(rt, RT_CYCLE_MARK_START, gc->cur.n);
	/* Hybrid scans roots in the first slice; the others need the snapshot
	 * (yuasa, none) or a first scan (dijkstra) now. */
	if (rt->cfg.wb != MG_WB_HYBRID)
		gc_scan_roots(rt);
	uint64_t t1 = rt_nanotime(), c1 = rt_cputime();
	gc->cur.t_mark = t1;
	/* Go's sweepTermCpu: the pause's wall time × the Ps it stopped. */
	gc->cur.cpu_sweepterm = (t1 - t0) * gc->nproc;
	gc->stats.gc_cpu_ns += c1 - c0;
	record_pause(gc, t1 - t0);
	if (gc->nproc > 1 && !gc->test_driven) {
		/* The workers start; P 0's roots, in hybrid mode, wait for its
		 * first check-in (the first slice of the single-P collector),
		 * and what the pause scanned goes to the workers. */
		gc_workers_start_cycle(rt);
		if (!rt->mut.roots_scanned)
			__atomic_store_n(&gc->p0_req, 1, __ATOMIC_RELAXED);
		else
			gc_wdispose(rt, rt->mut.p);
	}
	gc->in_gc = false;
}

/* Mark termination: the second pause.  Called when mark work runs out. */
void gc_mark_done(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc->phase != GC_MARK)
		return;
	uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
	gc->in_gc = true;
	/* The world stops: no worker marks from here.  Go's stop-the-world
	 * re-check (gcMarkDone, #27993): every P's barrier buffer is flushed
	 * and every work buffer looked at; work anywhere means marking is not
	 * done, and the world restarts.  (With roots still to scan, hybrid
	 * mode's first slice never ran: mark termination scans and drains.) */
	gc_workers_stop(rt);
	for (uint32_t i = 0; i < gc->nproc; i++)
		gc_wb_flush(rt, &gc->ps[i]);
	if (rt->mut.roots_scanned && !gc_test_skip(GC_HOOK_SKIP_STW_RECHECK) && !gc_work_none(gc)) {
		gc->stats.mark_done_restarts++;
		uint64_t t1 = rt_nanotime(), cpu = rt_cputime() - c0;
		record_pause(gc, t1 - t0);
		gc->cur.cpu_background += cpu;
		if (gc->nproc > 1)
			gc_wdispose(rt, rt->mut.p);
		gc->in_gc = false;
		gc_workers_resume(rt);
		return;
	}
	gc->phase = GC_MARK_TERMINATION;
	gc->cur.t_markterm = t0;
	gc->cur.heap1 = gc->heap_live;
	/* Roots scanned before in this cycle are scanned again: dijkstra's
	 * rescan, which the barrier study counts (barrier.c). */
	bool rescan = rt->mut.roots_scanned;
	if (!rt->mut.roots_scanned || rt->cfg.wb == MG_WB_DIJKSTRA) {
		gc_scan_roots(rt);
		if (rescan && rt->cfg.wbtrace)
			gc->cur.wb.rescan_bytes += gc->cur.stacks + gc->cur.globals;
		gc_drain(rt);
	}
	/* Nothing is left, unless a test removed a step of the protocol: what
	 * is left then is dropped, unscanned, for checkmark to find. */
	gc_work_discard(gc);
	gc_workers_merge(rt);
	gc->wb_on = false;
	/* Writing a heap snapshot stops the world too, but it is not collector
	 * work: its time is kept out of the pause and the cycle's figures.  So
	 * is the barrier study's re-mark (with checkmark alone, the re-mark is
	 * the verification the user asked for, and counts as before). */
	uint64_t snap_wall = 0, snap_cpu = 0;
	if (rt->cfg.checkmark || rt->cfg.wbtrace) {
		uint64_t sw = rt_nanotime(), sc = rt_cputime();
		gc_remark(rt);
		if (rt->cfg.wbtrace) {
			uint64_t w = rt_nanotime() - sw, c = rt_cputime() - sc;
			gc->stats.wbtrace_wall_ns += w;
			gc->stats.wbtrace_cpu_ns += c;
			snap_wall += w;
			snap_cpu += c;
		}
	}
	rt_cycle_hooks_run(rt, RT_CYCLE_MARK_DONE, gc->cur.n);
	if (gc->snap_pending || rt->cfg.heapdump) {
		uint64_t sw = rt_nanotime(), sc = rt_cputime();
		gc_snapshot_at_mark_done(rt);
		snap_wall += rt_nanotime() - sw;
		snap_cpu += rt_cputime() - sc;
	}
	gc_pacer_end_cycle(rt);
	/* Everything unmarked is garbage from here on: like Go, count only the
	 * marked bytes as live, so the next trigger is not reached by garbage
	 * that lazy sweeping has yet to free. */
	gc->heap_live = gc->cur.heap2;
	gc->heap_scan = gc->cur.heap2_scan;
	gc_mcache_release(rt);
	gc_sweep_prepare(rt); /* phase = SWEEP */
	gc->stats.cycles++;
	if (gc->cur.forced)
		gc->stats.forced_cycles++;
	gc->stats.heap_marked = gc->cur.heap2;
	uint64_t t1 = rt_nanotime() - snap_wall, c1 = rt_cputime() - snap_cpu;
	gc->cur.t_end = t1;
	gc->cur.cpu_markterm = (t1 - t0) * gc->nproc; /* Go's markTermCpu */
	gc_cycle *c = &gc->cur;
	uint64_t workers = c->cpu_dedicated + c->cpu_fractional + c->cpu_idle;
	gc->stats.gc_cpu_ns += c1 - c0;
	gc->stats.assist_cpu_ns += c->cpu_assist;
	gc->stats.background_cpu_ns += c->cpu_background + c->cpu_dedicated + c->cpu_fractional;
	gc->stats.idle_cpu_ns += c->cpu_idle;
	gc->stats.dedicated_cpu_ns += c->cpu_dedicated;
	gc->stats.fractional_cpu_ns += c->cpu_fractional;
	gc->stats.mutator_mark_cpu_ns += c->cpu_assist + c->cpu_background;
	gc->stats.worker_mark_cpu_ns += workers;
	gc->stats.gc_cpu_ns += c->cpu_assist + c->cpu_background + workers;
	/* Go's P% counts the pauses as wall × Ps and leaves idle marking out. */
	gc->trace_gc_cpu_ns += c->cpu_sweepterm + c->cpu_markterm + c->cpu_assist + c->cpu_background +
	                       c->cpu_dedicated + c->cpu_fractional;
#define GC_X_ADD(field, key, shift, what) gc->stats.wb.field += gc->cur.wb.field;
	MG_WBSTATS_LIST(GC_X_ADD)
#undef GC_X_ADD
	record_pause(gc, t1 - t0);
	gc->last = gc->cur;
	gc_workers_end_cycle(rt);
	gc->in_gc = false;
	if (rt->cfg.gctrace)
		gc_print_gctrace(rt, &gc->cur, gc->trace_gc_cpu_ns);
	/* The map line is printed by a cycle hook (maptype/trace.c); the wb
	 * line comes after it: gc, map, wb (DESIGN.md §5). */
	rt_cycle_hooks_run(rt, RT_CYCLE_END, gc->cur.n);
	if (rt->cfg.wbtrace)
		gc_print_wbtrace(rt, &gc->last);
}

/* One background slice, timed and charged as background mark CPU. */
static bool background_slice(mg_runtime *rt, uint64_t budget)
{
	gc_state *gc = gc_of(rt);
	uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
	gc->in_gc = true;
	bool empty = gc_mark_slice(rt, budget);
	gc->in_gc = false;
	uint64_t cpu = rt_cputime() - c0;
	gc->cur.cpu_background += cpu;
	gc_on_slice(rt, rt_nanotime() - t0, cpu);
	return empty;
}

/* P 0 marks, beside the workers, until the end-of-mark protocol finds
 * no work anywhere (the workers are then stopped); each of P 0's slices
 * is timed as background work when `timed`. */
static void mark_until_done(mg_runtime *rt, bool timed)
{
	gc_state *gc = gc_of(rt);
	for (;;) {
		bool empty;
		if (timed) {
			empty = background_slice(rt, gc->slice_budget);
		} else {
			gc->in_gc = true;
			empty = gc_mark_slice(rt, UINT64_MAX);
			gc->in_gc = false;
		}
		if (!empty)
			continue;
		if (gc_workers_mark_done(rt))
			return;
		gc_workers_wait(rt);
	}
}

/* gcstoptheworld=1: the mark phase runs inside the pause, on every P. */
static void stw_cycle(mg_runtime *rt, bool forced)
{
	gc_state *gc = gc_of(rt);
	uint64_t total0 = gc->stats.pause_total_ns;
	gc_start_cycle(rt, forced);
	uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
	mark_until_done(rt, false);
	uint64_t t1 = rt_nanotime();
	gc->cur.cpu_background += rt_cputime() - c0;
	record_pause(gc, t1 - t0);
	/* No mutator ran: the re-check finds nothing, unless a test hook. */
	for (gc_mark_done(rt); gc->phase == GC_MARK; gc_mark_done(rt))
		mark_until_done(rt, false);
	/* The three parts were one pause, gaps between them included. */
	uint64_t whole = gc->cur.t_end - gc->cur.t_start;
	gc->stats.pause_total_ns = total0 + whole;
	if (whole > gc->stats.pause_max_ns)
		gc->stats.pause_max_ns = whole;
}

void gc_full_cycle(mg_runtime *rt, bool forced)
{
	gc_state *gc = gc_of(rt);
	if (gc->in_gc)
		return;
	/* Finish the cycle in progress, as runtime.GC does, then run a whole one. */
	while (gc->phase == GC_MARK) {
		mark_until_done(rt, true);
		gc_mark_done(rt);
	}
	if (rt->cfg.stoptheworld) {
		stw_cycle(rt, forced);
	} else {
		gc_start_cycle(rt, forced);
		do {
			mark_until_done(rt, true);
			gc_mark_done(rt);
		} while (gc->phase == GC_MARK);
	}
	if (forced)
		gc_sweep_all(rt);
}

void gc_maybe_start(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc->in_gc || gc->heap_live < gc->pacer.trigger)
		return;
	if (gc->phase != GC_OFF && gc->phase != GC_SWEEP)
		return;
	if (rt->cfg.stoptheworld)
		stw_cycle(rt, false);
	else
		gc_start_cycle(rt, false);
}

void mg_gc(mg_runtime *rt)
{
	if (gc_is_boehm(rt)) {
		gc_boehm_gc(rt);
		return;
	}
	gc_full_cycle(rt, true);
}

/* Safepoints do the background share of marking: a slice whenever marking
 * has had less than GC_BG_UTILIZATION of the time since mark began.  The
 * clock is read every 16th call to keep the common case to a counter. */
void mg_safepoint(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	uint32_t tick = ++rt->mut.safepoint_tick;
	rt->mut.safepoints++;
	/* The clock is read for progress only every 64th safepoint. */
	if (RT_UNLIKELY(rt->progress != NULL) && (tick & 63) == 0)
		rt_progress_tick(rt);
	if (gc->phase == GC_MARK) {
		if (RT_UNLIKELY(__atomic_load_n(&gc->p0_req, __ATOMIC_RELAXED)))
			gc_p0_checkin(rt);
		/* With workers the mutator's P does no fractional share (workers.c). */
		if ((tick & 15) || gc->nproc > 1 || gc->phase != GC_MARK)
			return;
		uint64_t elapsed = rt_nanotime() - gc->cur.t_mark;
		uint64_t spent = gc->cur.cpu_background + gc->cur.cpu_assist;
		if ((double)spent < GC_BG_UTILIZATION * (double)elapsed && background_slice(rt, gc->slice_budget))
			gc_mark_done(rt);
	} else if (gc->phase == GC_SWEEP) {
		if ((tick & 63) == 0)
			gc_sweep_one(rt);
	}
}

/* ---- lifetime and statistics -------------------------------------------- */

mg_runtime *mg_open(const mg_config *cfg)
{
	mg_runtime *rt = calloc(1, sizeof *rt);
	if (!rt) {
		fprintf(stderr, "fatal error: out of memory\n");
		exit(2);
	}
	rt_init(rt, cfg);
	if (gc_is_boehm(rt)) {
		gc_boehm_open(rt);
		rt_layers_attach(rt);
		return rt;
	}
	gc_state *gc = calloc(1, sizeof *gc);
	if (!gc)
		rt_out_of_memory(rt, sizeof *gc);
	rt->gc = gc;
	rt->mut.cache = &gc->cache;
	gc_work_init(rt);
	gc_heap_init(rt);
	gc->slice_budget = rt->cfg.mark_slice ? rt->cfg.mark_slice : GC_DEFAULT_SLICE;
	gc_pacer_in in = {.gogc = rt->cfg.gogc, .memlimit = rt->cfg.memlimit, .cons_mark = -1};
	gc_pacer_out out;
	gc_pacer_compute(&in, &out);
	gc->pacer.goal = out.goal;
	gc->pacer.trigger = out.trigger;
	gc->phase = GC_OFF;
	gc_workers_init(rt);
	rt_layers_attach(rt);
	return rt;
}

void mg_close(mg_runtime *rt)
{
	if (!rt)
		return;
	gc_state *gc = rt->gc;
	if (gc && gc_is_boehm(rt)) {
		gc_boehm_close(rt); /* unregisters the roots before they are freed */
		rt_destroy(rt);
		free(gc);
		free(rt);
		return;
	}
	if (gc)
		gc_workers_destroy(rt); /* no worker may read the heap from here */
	rt_destroy(rt); /* extensions first: they may look at the heap */
	if (gc) {
		gc_heap_destroy(rt);
		gc_work_destroy(rt);
		free(gc);
	}
	free(rt);
}

void mg_read_stats(mg_runtime *rt, mg_stats *st)
{
	if (gc_is_boehm(rt)) {
		gc_boehm_read_stats(rt, st);
		return;
	}
	gc_state *gc = gc_of(rt);
	pthread_mutex_lock(&gc->heap_lock); /* the background sweeper counts into stats */
	*st = gc->stats;
	st->heap_mapped = gc->heap_mapped;
	pthread_mutex_unlock(&gc->heap_lock);
	st->heap_inuse = gc->heap_live;
	st->heap_goal = gc->pacer.goal;
	st->heap_trigger = gc->pacer.trigger;
	st->phase = gc->phase;
	st->procs = gc->nproc;
}
