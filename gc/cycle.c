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
	/* Any thread's slices: relaxed counters, maxima by compare-and-swap. */
	__atomic_fetch_add(&gc->stats.mark_slices, 1, __ATOMIC_RELAXED);
	gc_atomic_max(&gc->stats.mark_slice_max_ns, ns);
	gc_atomic_max(&gc->stats.mark_slice_max_cpu_ns, cpu_ns);
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

/* Every P's allocation counters into heap_live (the world stopped). */
static void flush_all_alloc(gc_state *gc)
{
	for (uint32_t i = 0; i < gc->nproc; i++)
		gc_p_flush_alloc(gc, &gc->ps[i]);
}

/* Sweep termination: the first stop-the-world pause of a cycle.  False
 * when, the world stopped, there is no cycle to start after all: another
 * thread started one while this one waited (or, for a triggered cycle,
 * the trigger is no longer reached). */
static bool start_cycle(mg_runtime *rt, bool forced, bool triggered)
{
	gc_state *gc = gc_of(rt);
	rt_mutator *self = rt_self(rt);
	uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
	gc_stop_world(rt);
	flush_all_alloc(gc);
	gc_phase ph = gc_phase_of(gc);
	if ((ph != GC_OFF && ph != GC_SWEEP) || (triggered && gc_heap_live(gc) < gc->pacer.trigger)) {
		gc_start_world(rt);
		return false;
	}
	self->in_gc = true;
	gc_set_phase(gc, GC_SWEEP_TERMINATION);
	gc_sweep_all(rt);
	gc_set_phase(gc, GC_SWEEP_TERMINATION);
	memset(&gc->cur, 0, sizeof gc->cur);
	gc->cur.n = (uint32_t)gc->stats.cycles + 1;
	gc->cur.forced = forced;
	gc->cur.t_start = t0;
	gc->cur.heap0 = gc_heap_live(gc);
	gc->cur.heap_live_at_trigger = gc_heap_live(gc);
	gc->cur.goal = gc->pacer.goal;
	gc->cur.procs = gc->nproc;
	for (rt_mutator *m = rt->muts; m; m = m->next) {
		m->roots_scanned = false;
		m->assist_debt = 0;
		m->mark_cpu = 0;
	}
	for (uint32_t i = 0; i < gc->nproc; i++) {
		gc_p *p = &gc->ps[i];
		p->cpu_assist = p->cpu_background = p->alloc_mark = 0;
		p->heap2 = p->heap2_scan = p->scan_work = p->hook_work = 0;
		p->cpu_dedicated = p->cpu_fractional = p->cpu_idle = 0;
	}
	gc->worker_scan_work = 0;
	gc->root_work = 0;
	gc->bg_credit = 0;
	__atomic_store_n(&gc->globals_scanned, false, __ATOMIC_RELAXED);
	gc_set_phase(gc, GC_MARK);
	gc_wb_set_path(rt);
	gc->wb_on = rt->cfg.wb != MG_WB_NONE;
	rt_cycle_hooks_run(rt, RT_CYCLE_MARK_START, gc->cur.n);
	/* Hybrid scans each thread's roots at its first safepoint of the
	 * mark, and those of threads in native code now (they reach none);
	 * the others need the snapshot (yuasa, none) or a first scan
	 * (dijkstra) of every thread now. */
	gc_scan_all_roots(rt, rt->cfg.wb == MG_WB_HYBRID ? GC_ROOTS_NATIVE : GC_ROOTS_ALL);
	uint64_t t1 = rt_nanotime(), c1 = rt_cputime();
	gc->cur.t_mark = t1;
	/* Go's sweepTermCpu: the pause's wall time × the Ps it stopped. */
	gc->cur.cpu_sweepterm = (t1 - t0) * gc->nproc;
	gc->stats.gc_cpu_ns += c1 - c0;
	record_pause(gc, t1 - t0);
	if (gc->nproc > 1 && !gc->test_driven) {
		/* The workers start, with what the pause scanned. */
		gc_workers_start_cycle(rt);
		gc_wdispose(rt, self->p);
	}
	self->in_gc = false;
	gc_start_world(rt);
	return true;
}

void gc_start_cycle(mg_runtime *rt, bool forced)
{
	start_cycle(rt, forced, false);
}

/* Mark termination: the second pause.  Called when mark work runs out. */
void gc_mark_done(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	rt_mutator *self = rt_self(rt);
	if (gc_phase_of(gc) != GC_MARK)
		return;
	uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
	gc_stop_world(rt);
	if (gc_phase_of(gc) != GC_MARK) { /* another thread ended it while we waited */
		gc_start_world(rt);
		return;
	}
	self->in_gc = true;
	/* The world stops: no worker marks from here.  Go's stop-the-world
	 * re-check (gcMarkDone, #27993): every P's barrier buffer is flushed,
	 * the roots of any thread that never reached a safepoint in the mark
	 * are scanned, the hooked items only a sole thread or a stopped world
	 * may do are done, and every work buffer is looked at; work anywhere
	 * means marking is not done, and the world restarts. */
	gc_workers_stop(rt);
	for (uint32_t i = 0; i < gc->nproc; i++)
		gc_wb_flush(rt, &gc->ps[i]);
	gc_scan_all_roots(rt, GC_ROOTS_UNSCANNED);
	gc_do_handover(rt);
	if (!gc_test_skip(GC_HOOK_SKIP_STW_RECHECK) && !gc_work_none(gc)) {
		gc->stats.mark_done_restarts++;
		uint64_t t1 = rt_nanotime(), cpu = rt_cputime() - c0;
		record_pause(gc, t1 - t0);
		self->p->cpu_background += cpu;
		if (gc->nproc > 1)
			gc_wdispose(rt, self->p);
		self->in_gc = false;
		gc_workers_resume(rt);
		gc_start_world(rt);
		return;
	}
	gc_set_phase(gc, GC_MARK_TERMINATION);
	gc->cur.t_markterm = t0;
	flush_all_alloc(gc);
	gc->cur.heap1 = gc_heap_live(gc);
	/* Dijkstra's rescan of every thread's roots, which the barrier study
	 * counts (barrier.c). */
	if (rt->cfg.wb == MG_WB_DIJKSTRA) {
		gc_scan_all_roots(rt, GC_ROOTS_ALL);
		if (rt->cfg.wbtrace)
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
	__atomic_store_n(&gc->heap_live, gc->cur.heap2, __ATOMIC_RELAXED);
	__atomic_store_n(&gc->heap_scan, gc->cur.heap2_scan, __ATOMIC_RELAXED);
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
	self->in_gc = false;
	/* The lines are printed before the world restarts: no other thread
	 * may start the next cycle (and reset maptrace's figures) first. */
	if (rt->cfg.gctrace)
		gc_print_gctrace(rt, &gc->cur, gc->trace_gc_cpu_ns);
	/* The map line is printed by a cycle hook (maptype/trace.c); the wb
	 * line comes after it: gc, map, wb (DESIGN.md §5). */
	rt_cycle_hooks_run(rt, RT_CYCLE_END, gc->cur.n);
	if (rt->cfg.wbtrace)
		gc_print_wbtrace(rt, &gc->last);
	gc_start_world(rt);
}

/* One background slice on the calling thread's P, timed and charged as
 * background mark CPU. */
static bool background_slice(mg_runtime *rt, uint64_t budget)
{
	rt_mutator *m = rt_self(rt);
	uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
	m->in_gc = true;
	bool empty = gc_mark_slice(rt, budget);
	m->in_gc = false;
	uint64_t cpu = rt_cputime() - c0;
	m->p->cpu_background += cpu;
	m->mark_cpu += cpu;
	gc_on_slice(rt, rt_nanotime() - t0, cpu);
	return empty;
}

/* The calling thread marks, beside the workers, until the end-of-mark
 * protocol finds no work anywhere; each of its slices is timed as
 * background work when `timed`. */
static void mark_until_done(mg_runtime *rt, bool timed)
{
	rt_mutator *m = rt_self(rt);
	for (;;) {
		bool empty;
		if (timed) {
			empty = background_slice(rt, gc_of(rt)->slice_budget);
		} else {
			m->in_gc = true;
			empty = gc_mark_slice(rt, UINT64_MAX);
			m->in_gc = false;
		}
		if (!empty)
			continue;
		if (gc_workers_mark_done(rt))
			return;
		gc_workers_wait(rt);
	}
}

/* gcstoptheworld=1: the mark phase runs inside the pause, on every P. */
static void stw_cycle(mg_runtime *rt, bool forced, bool triggered)
{
	gc_state *gc = gc_of(rt);
	gc_stop_world(rt);
	uint64_t total0 = gc->stats.pause_total_ns;
	if (!start_cycle(rt, forced, triggered)) {
		gc_start_world(rt);
		return;
	}
	uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
	mark_until_done(rt, false);
	uint64_t t1 = rt_nanotime();
	rt_self(rt)->p->cpu_background += rt_cputime() - c0;
	record_pause(gc, t1 - t0);
	/* No mutator ran: the re-check finds nothing, unless a test hook. */
	for (gc_mark_done(rt); gc_phase_of(gc) == GC_MARK; gc_mark_done(rt))
		mark_until_done(rt, false);
	/* The three parts were one pause, gaps between them included. */
	uint64_t whole = gc->cur.t_end - gc->cur.t_start;
	gc->stats.pause_total_ns = total0 + whole;
	if (whole > gc->stats.pause_max_ns)
		gc->stats.pause_max_ns = whole;
	gc_start_world(rt);
}

/* This thread helps the cycle in progress to its end. */
static void finish_mark(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	while (gc_phase_of(gc) == GC_MARK) {
		mark_until_done(rt, true);
		gc_mark_done(rt);
	}
}

void gc_full_cycle(mg_runtime *rt, bool forced)
{
	gc_state *gc = gc_of(rt);
	if (rt_self(rt)->in_gc)
		return;
	/* Finish the cycle in progress, as runtime.GC does, then run a whole
	 * one (another thread's may start first: then that one is finished
	 * and this one started after it). */
	for (;;) {
		finish_mark(rt);
		if (rt->cfg.stoptheworld) {
			gc_stop_world(rt);
			bool idle = gc_phase_of(gc) != GC_MARK;
			if (idle)
				stw_cycle(rt, forced, false);
			gc_start_world(rt);
			if (idle)
				break;
		} else if (start_cycle(rt, forced, false)) {
			finish_mark(rt);
			break;
		}
	}
	if (forced)
		gc_sweep_all(rt);
}

void gc_maybe_start(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (rt_self(rt)->in_gc || gc_heap_live(gc) < gc->pacer.trigger)
		return;
	gc_phase ph = gc_phase_of(gc);
	if (ph != GC_OFF && ph != GC_SWEEP)
		return;
	if (rt->cfg.stoptheworld)
		stw_cycle(rt, false, true);
	else
		start_cycle(rt, false, true);
}

void mg_gc(mg_runtime *rt)
{
	if (gc_is_boehm(rt)) {
		gc_boehm_gc(rt);
		return;
	}
	gc_full_cycle(rt, true);
}

/* Marking at a safepoint during MARK: the thread's roots if not yet
 * scanned, the end-of-mark check-in when asked (workers.c), and the
 * background share of a thread whose P has no worker free to mark (one P,
 * or a P it took from its worker): a slice whenever the thread has marked
 * less than GC_BG_UTILIZATION of the time since mark began.  With one
 * mutator on several Ps the mutator's P 0 does none (workers.c). */
static void safepoint_mark(mg_runtime *rt, rt_mutator *m, uint32_t tick)
{
	gc_state *gc = gc_of(rt);
	if (!m->roots_scanned)
		gc_scan_own_roots(rt, m);
	if (RT_UNLIKELY(__atomic_load_n(&gc->p0_req, __ATOMIC_RELAXED)))
		gc_p0_checkin(rt);
	if ((tick & 15) || gc_phase_of(gc) != GC_MARK || (gc->nproc > 1 && m->p->id == 0))
		return;
	uint64_t elapsed = rt_nanotime() - gc->cur.t_mark;
	if ((double)m->mark_cpu < GC_BG_UTILIZATION * (double)elapsed && background_slice(rt, gc->slice_budget) &&
	    gc_workers_mark_done(rt))
		gc_mark_done(rt);
}

void mg_safepoint(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	rt_mutator *m = rt_self(rt);
	uint32_t tick = ++m->safepoint_tick;
	__atomic_store_n(&m->safepoints, m->safepoints + 1, __ATOMIC_RELAXED);
	/* The clock is read for progress only every 64th safepoint. */
	if (RT_UNLIKELY(rt->progress != NULL) && (tick & 63) == 0)
		rt_progress_tick(rt);
	if (gc_is_boehm(rt))
		return;
	rt_poll(rt);
	gc_phase ph = gc_phase_of(gc);
	if (ph == GC_MARK) {
		if (!m->in_gc)
			safepoint_mark(rt, m, tick);
	} else if (ph == GC_SWEEP) {
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
	gc_work_init(rt);
	gc_sched_init(rt);
	gc_heap_init(rt);
	gc->slice_budget = rt->cfg.mark_slice ? rt->cfg.mark_slice : GC_DEFAULT_SLICE;
	gc_pacer_in in = {.gogc = rt->cfg.gogc, .memlimit = rt->cfg.memlimit, .cons_mark = -1};
	gc_pacer_out out;
	gc_pacer_compute(&in, &out);
	gc->pacer.goal = out.goal;
	gc->pacer.trigger = out.trigger;
	gc_set_phase(gc, GC_OFF);
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
	if (gc && rt->nmuts > 1)
		mg_fatal(rt, "mg_close: %u other threads are still attached (mg_thread_detach)", rt->nmuts - 1);
	if (gc)
		gc_workers_destroy(rt); /* no worker may read the heap from here */
	rt_destroy(rt); /* extensions first: they may look at the heap */
	if (gc) {
		gc_heap_destroy(rt);
		gc_work_destroy(rt);
		gc_sched_destroy(rt);
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
	st->total_alloc = gc_total_alloc(gc);
	st->total_objects = gc_total_objects(gc);
	/* What the Ps have allocated since their last flush counts too. */
	int64_t pending = 0;
	for (uint32_t i = 0; i < gc->nproc; i++)
		pending += __atomic_load_n(&gc->ps[i].live_delta, __ATOMIC_RELAXED);
	st->heap_inuse = gc_heap_live(gc) + (uint64_t)pending;
	st->heap_goal = gc->pacer.goal;
	st->heap_trigger = gc->pacer.trigger;
	st->phase = gc_phase_of(gc);
	st->procs = gc->nproc;
}
