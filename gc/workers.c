/*
 * workers.c — mark worker threads and the end of mark (Go 1.19's
 * gcBgMarkWorker, startCycle's worker modes and gcMarkDone, mgc.go and
 * mgcpacer.go, on pthreads).
 *
 * WORKERS.  P 1 … P n-1 each have a thread, started at mg_open and parked
 * on work_cv between cycles.  Sweep termination computes the cycle's
 * worker modes by Go's rule (DESIGN.md §9): 25 % of the Ps as dedicated
 * workers, rounded, unless rounding is off by more than 30 %, in which case
 * there is no dedicated worker and every P has a fractional goal of
 * (0.25 × Ps − dedicated) / Ps of the time.  P 1 … P d are dedicated; the
 * others mark as fractional workers while under their goal and as idle
 * workers beyond it — with one mutator every P but P 0 is idle, so, as in
 * Go, idle workers do most of the marking.  A worker marks in stints of
 * one slice budget, and between stints re-evaluates its mode, publishes its
 * scan work (for the pacer and as credit for assists) and gives waiting
 * workers part of its work.  With MAPGC_PROCS=1 there is no worker thread
 * and the mutator marks as before: assists, and safepoint slices up to the
 * background utilization.  With workers, the mutator's P does no
 * fractional share at safepoints: in Go a fractional worker on the
 * goroutine's P has the goroutine move to the idle P; a thread cannot move.
 *
 * STATES (under wlock).  A worker is running (counted in nrunning) while
 * it marks, waiting (nwaiting) when it found no work in a cycle, parked
 * otherwise.  stop_workers, set by the mutator, makes running workers stop
 * between two items and keeps the others from starting: the world is then
 * stopped for the collector (the heap check, mark termination).
 *
 * THE END OF MARK (Go's gcMarkDone).  A worker that runs dry when no other
 * runs and no full buffer is left sets p0_req: the mutator threads hold
 * work no worker can see — their Ps' buffers and barrier records, and for
 * a lone mutator the hand-over list of hooked items.  Each thread checks
 * p0_req at every allocation and safepoint during mark (gc_p0_checkin: the
 * first to see it answers for its own P): roots not yet scanned are
 * scanned; any work its P holds is published or done; and when it has
 * nothing and no worker runs, it stops the world, flushes every P's
 * barrier buffer, scans the roots of any thread that never reached a
 * safepoint, does the hooked items only a stopped world may do with
 * several threads, and re-checks every P's buffers and the lists
 * (gc_mark_done).  Work found there — a worker published a buffer between
 * its last check and the stop, another thread's barrier recorded some —
 * resumes concurrent marking instead of terminating with grey objects
 * (Go #27993).
 */
#include "gc/gc.h"
#include "gc/gc_test.h"

#include <stdlib.h>

/* Stints: a slice budget of work between two looks at the mode. */
#define WORKER_STINT ((uint64_t)64 << 10)

static void mode_times(gc_p *p, gc_worker_mode mode, uint64_t cpu)
{
	if (mode == GC_WORKER_DEDICATED)
		p->cpu_dedicated += cpu;
	else if (mode == GC_WORKER_FRACTIONAL)
		p->cpu_fractional += cpu;
	else
		p->cpu_idle += cpu;
}

static gc_worker_mode choose_mode(gc_state *gc, gc_p *p)
{
	if (p->id <= gc->ndedicated)
		return GC_WORKER_DEDICATED;
	if (gc->frac_goal > 0) {
		uint64_t elapsed = rt_nanotime() - gc->cur.t_mark;
		if ((double)p->cpu_fractional < gc->frac_goal * (double)elapsed)
			return GC_WORKER_FRACTIONAL;
	}
	return GC_WORKER_IDLE;
}

/* Marks until p runs dry or the mutator stops the workers; true when dry. */
static bool stint(mg_runtime *rt, gc_p *p)
{
	gc_state *gc = gc_of(rt);
	for (;;) {
		gc_worker_mode mode = choose_mode(gc, p);
		uint64_t c0 = rt_cputime();
		uint64_t before = p->scan_work;
		bool dry = gc_worker_drain(rt, p, WORKER_STINT);
		uint64_t work = p->scan_work - before;
		mode_times(p, mode, rt_cputime() - c0);
		__atomic_fetch_add(&gc->worker_scan_work, work, __ATOMIC_RELAXED);
		__atomic_fetch_add(&gc->bg_credit, (int64_t)work, __ATOMIC_RELAXED);
		if (dry)
			return true;
		if (__atomic_load_n(&gc->stop_workers, __ATOMIC_RELAXED) || __atomic_load_n(&p->held, __ATOMIC_RELAXED))
			return false;
		gc_wbalance(rt, p);
	}
}

/* Under wlock. */
static bool may_mark(mg_runtime *rt, const gc_state *gc, gc_p *p)
{
	return gc->workers_on && !gc->stop_workers && !gc->shutdown && gc_worker_may_take(rt, p);
}

_Thread_local uint32_t gc_tls_pid;

static void *worker_main(void *arg)
{
	gc_p *p = arg;
	mg_runtime *rt = p->rt;
	gc_state *gc = gc_of(rt);
	rt_collector_thread = true;
	gc_tls_pid = p->id;
	pthread_mutex_lock(&gc->wlock);
	while (!gc->shutdown) {
		if (!may_mark(rt, gc, p)) {
			if (p->id == 1 && gc->bgsweep && !gc->workers_on && gc_worker_may_take(rt, p)) {
				gc->bgsweep_busy = true;
				p->worker_busy = true;
				pthread_mutex_unlock(&gc->wlock);
				bool more = true;
				while (__atomic_load_n(&gc->bgsweep, __ATOMIC_RELAXED) &&
				       !__atomic_load_n(&p->held, __ATOMIC_RELAXED) && (more = gc_bgsweep_one(rt)))
					;
				pthread_mutex_lock(&gc->wlock);
				gc->bgsweep_busy = false;
				p->worker_busy = false;
				if (!more)
					__atomic_store_n(&gc->bgsweep, false, __ATOMIC_RELAXED);
				pthread_cond_broadcast(&gc->mut_cv);
				continue;
			}
			pthread_cond_wait(&gc->work_cv, &gc->wlock);
			continue;
		}
		gc->nrunning++;
		p->worker_busy = true;
		pthread_mutex_unlock(&gc->wlock);
		bool dry = stint(rt, p);
		pthread_mutex_lock(&gc->wlock);
		gc->nrunning--;
		p->worker_busy = false;
		if (gc->nrunning == 0 || !dry || __atomic_load_n(&p->held, __ATOMIC_RELAXED))
			pthread_cond_broadcast(&gc->mut_cv);
		if (!dry)
			continue;
		/* Out of work: if nobody else has any either, P 0 is asked to
		 * check in (its buffers, its roots, the hand-over list). */
		if (gc->nrunning == 0 && gc->nfull == 0)
			__atomic_store_n(&gc->p0_req, GC_P0_CHECKIN, __ATOMIC_RELAXED);
		__atomic_store_n(&gc->nwaiting, gc->nwaiting + 1, __ATOMIC_RELAXED);
		while (may_mark(rt, gc, p) && gc->nfull == 0)
			pthread_cond_wait(&gc->work_cv, &gc->wlock);
		__atomic_store_n(&gc->nwaiting, gc->nwaiting - 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&gc->wlock);
	return NULL;
}

void gc_workers_init(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	for (uint32_t i = 1; i < gc->nproc; i++) {
		gc_p *p = &gc->ps[i];
		int e = pthread_create(&p->thread, NULL, worker_main, p);
		if (e)
			mg_fatal(rt, "cannot start mark worker %u: %s", i, strerror(e));
		p->thread_started = true;
	}
}

void gc_workers_destroy(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	pthread_mutex_lock(&gc->wlock);
	gc->shutdown = true;
	pthread_cond_broadcast(&gc->work_cv);
	pthread_mutex_unlock(&gc->wlock);
	for (uint32_t i = 1; i < gc->nproc; i++)
		if (gc->ps[i].thread_started)
			pthread_join(gc->ps[i].thread, NULL);
}

void gc_workers_start_cycle(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	/* Go 1.19's startCycle. */
	double total = (double)gc->nproc * GC_BG_UTILIZATION;
	uint32_t dedicated = (uint32_t)(total + 0.5);
	double err = (double)dedicated / total - 1;
	gc->frac_goal = 0;
	if (err < -0.3 || err > 0.3) {
		if ((double)dedicated > total)
			dedicated--;
		gc->frac_goal = (total - (double)dedicated) / (double)gc->nproc;
	}
	if (gc->nproc == 1 || gc->test_driven) {
		gc->ndedicated = 0;
		return;
	}
	/* gcstoptheworld: every P marks, all dedicated (Go's rule). */
	gc->ndedicated = rt->cfg.stoptheworld ? gc->nproc - 1 : dedicated;
	pthread_mutex_lock(&gc->wlock);
	gc->stop_workers = 0;
	gc->workers_on = true;
	pthread_cond_broadcast(&gc->work_cv);
	pthread_mutex_unlock(&gc->wlock);
}

void gc_bgsweep_start(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	/* A test that drove the cycle sweeps it by hand too. */
	if (gc->nproc == 1 || gc->test_driven)
		return;
	pthread_mutex_lock(&gc->wlock);
	__atomic_store_n(&gc->bgsweep, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&gc->work_cv);
	pthread_mutex_unlock(&gc->wlock);
}

void gc_bgsweep_stop(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc->nproc == 1)
		return;
	pthread_mutex_lock(&gc->wlock);
	__atomic_store_n(&gc->bgsweep, false, __ATOMIC_RELAXED);
	while (gc->bgsweep_busy)
		pthread_cond_wait(&gc->mut_cv, &gc->wlock);
	pthread_mutex_unlock(&gc->wlock);
}

void gc_workers_stop(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc->nproc == 1)
		return;
	pthread_mutex_lock(&gc->wlock);
	__atomic_store_n(&gc->stop_workers, 1, __ATOMIC_RELAXED);
	while (gc->nrunning > 0)
		pthread_cond_wait(&gc->mut_cv, &gc->wlock);
	pthread_mutex_unlock(&gc->wlock);
}

void gc_workers_resume(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	/* In mark termination the world stays stopped (a heap check there). */
	if (gc->nproc == 1 || gc_phase_of(gc) != GC_MARK)
		return;
	pthread_mutex_lock(&gc->wlock);
	__atomic_store_n(&gc->stop_workers, 0, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&gc->work_cv);
	pthread_mutex_unlock(&gc->wlock);
}

/* Mark termination's last act: the workers park until the next cycle. */
void gc_workers_end_cycle(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc->nproc == 1)
		return;
	pthread_mutex_lock(&gc->wlock);
	gc->workers_on = false;
	__atomic_store_n(&gc->stop_workers, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&gc->p0_req, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&gc->wlock);
}

bool gc_workers_mark_done(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc->nproc == 1)
		return true;
	size_t handover = gc_handover_pending(rt);
	pthread_mutex_lock(&gc->wlock);
	bool idle = gc->nrunning == 0 && gc->nfull == 0 && (handover == 0 || gc->nhandover == 0);
	pthread_mutex_unlock(&gc->wlock);
	return idle;
}

void gc_workers_wait(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc->nproc == 1)
		return;
	pthread_mutex_lock(&gc->wlock);
	bool take = gc_handover_pending(rt) != 0;
	gc->mut_waiting = true;
	while (gc->nrunning > 0 && gc->nfull == 0 && (!take || gc->nhandover == 0))
		pthread_cond_wait(&gc->mut_cv, &gc->wlock);
	gc->mut_waiting = false;
	pthread_mutex_unlock(&gc->wlock);
}

void gc_workers_merge(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	gc_cycle *c = &gc->cur;
	c->scan_work += __atomic_load_n(&gc->root_work, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < gc->nproc; i++) {
		gc_p *p = &gc->ps[i];
		c->heap2 += p->heap2;
		c->heap2_scan += p->heap2_scan;
		p->heap2 = p->heap2_scan = 0;
		c->cpu_assist += p->cpu_assist;
		c->cpu_background += p->cpu_background;
		c->alloc_during_mark += p->alloc_mark;
		p->cpu_assist = p->cpu_background = p->alloc_mark = 0;
		c->scan_work += p->scan_work;
		c->hook_work += p->hook_work;
#define GC_X_ADD(field, key, shift, what) c->wb.field += p->wb.field;
		MG_WBSTATS_LIST(GC_X_ADD)
#undef GC_X_ADD
		memset(&p->wb, 0, sizeof p->wb);
		if (i != 0)
			gc->worker_hook_work += p->hook_work;
		c->cpu_dedicated += p->cpu_dedicated;
		c->cpu_fractional += p->cpu_fractional;
		c->cpu_idle += p->cpu_idle;
		p->scan_work = p->hook_work = 0;
		p->cpu_dedicated = p->cpu_fractional = p->cpu_idle = 0;
	}
}

/* A mutator checks in: the ragged barrier of the end of mark (see the
 * essay).  Called by a mutator during MARK when p0_req is set; returns
 * with marking still going on, or after mark termination.  With several
 * threads the first to see the request answers it for its own P; the
 * others' barrier buffers are flushed by the stopped world's re-check,
 * which restarts marking if they held anything. */
void gc_p0_checkin(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	rt_mutator *m = rt_self(rt);
	gc_p *p0 = m->p;
	int req = __atomic_exchange_n(&gc->p0_req, 0, __ATOMIC_RELAXED);
	if (gc_phase_of(gc) != GC_MARK || m->in_gc)
		return;
	/* The second stage: this P flushed and had nothing at its last
	 * check-in and no worker has run since: stop the world (gc_mark_done's
	 * re-check finds what barriers recorded in between). */
	if (req == GC_P0_STOP && m->roots_scanned && gc_workers_mark_done(rt)) {
		gc_mark_done(rt);
		return;
	}
	uint64_t t0 = rt_nanotime(), c0 = rt_cputime();
	m->in_gc = true;
	gc_wb_flush(rt, p0);
	if (!m->roots_scanned) {
		gc_scan_roots(rt);
	} else if (p0->b1->n || p0->b2->n || gc_handover_pending(rt)) {
		/* Hooked items are the lone mutator's to do; the rest goes to the workers. */
		if (gc_wtake_handover(rt))
			gc_mark_slice(rt, gc->slice_budget);
	} else if (gc_workers_mark_done(rt)) {
		__atomic_store_n(&gc->p0_req, GC_P0_STOP, __ATOMIC_RELAXED);
	}
	gc_wdispose(rt, p0);
	m->in_gc = false;
	uint64_t cpu = rt_cputime() - c0;
	p0->cpu_background += cpu;
	m->mark_cpu += cpu;
	gc_on_slice(rt, rt_nanotime() - t0, cpu);
}
