/*
 * sched.c — mutator threads: attaching, Ps, native code and stopping the
 * world (DESIGN.md §9; Go 1.19's acquirep/releasep, entersyscall and
 * stopTheWorldWithSema, proc.go, on a mutex and a condition variable).
 *
 * THREADS AND Ps.  Every attached thread has an rt_mutator (runtime/rt.h),
 * in one of three states, all under sched_lock:
 *   RUNNING  holds a P and runs managed code;
 *   STOPPED  holds a P, parked at a safepoint while the world is stopped;
 *   NATIVE   holds no P: in native code (mg_enter_native, mg_mutex_lock
 *            while it waits), or waiting for a P to run on.
 * A thread takes a P when it attaches and when it comes back from native
 * code, P 0 first, then the highest-numbered free one (P 1 … P d are the
 * dedicated workers' Ps at four or more, taken last).  With more threads
 * than Ps, the rest wait for one, in line, as goroutines wait for a P;
 * while any waits, a thread that has held its P for a time slice (10 ms,
 * Go's forcePreemptNS) gives it up at its next safepoint and gets in line
 * again.  A P's mark
 * worker (workers.c) marks, and P 1's sweeps, only while no thread holds
 * the P; a thread that takes it waits for the worker's stint to end
 * (worker_leave), and the worker checks between items.
 *
 * NATIVE CODE.  A thread in native code keeps its P, as a goroutine in
 * a syscall does: a short wait (a contended mg_mutex_lock) costs no
 * hand-off.  A thread that waits for a P takes one from a thread in
 * native code at once; the P's mark worker takes it after 1 ms
 * (GC_NATIVE_RETAKE_NS); the thread, back, gets another P if its own was
 * taken.
 *
 * STOPPING THE WORLD.  The stopper sets stw and the runtime's poll word
 * and waits until it is the only RUNNING thread.  The others see the word
 * at their next safepoint (allocation, mg_safepoint, scope exit) and park,
 * keeping their P; threads in native code count as stopped, and one that
 * comes back waits (leave_native).  A thread that wants the world stopped
 * while another stops it parks first, then stops it itself: stops are
 * serial.  A thread that never reaches a safepoint stalls every stop: the
 * program's bug, which debug builds report after 1 s, naming the thread.
 * The mark workers are not mutators: the collector stops them itself
 * where it needs them stopped (gc_workers_stop).
 *
 * WHAT A THREAD HANDS IN WITH ITS P.  A thread giving up its P during mark
 * first scans its own roots if it has not (a thread in native code must
 * not need them scanned, and no one else may read its scopes while it
 * could change them: scopes are only read by their owner or with the
 * owner stopped or in native code), flushes its barrier buffer and
 * publishes its work, so nothing it found waits on an idle P; and its
 * allocation counters go into heap_live.  A thread attached during mark
 * has an empty stack: black, as Go's new goroutines' stacks are, so the
 * hybrid barrier treats it as scanned.
 */
#include "gc/gc.h"

#include <errno.h>
#include <stdlib.h>

/* Under sched_lock: a free P, P 0 first, then from the top; else one
 * whose holder is in native code, taken from it (Go's handoff of a P in a
 * syscall); NULL if none. */
static gc_p *p_take_locked(gc_state *gc)
{
	if (!gc->ps[0].held)
		return &gc->ps[0];
	for (uint32_t i = gc->nproc; i-- > 1;)
		if (!gc->ps[i].held)
			return &gc->ps[i];
	for (uint32_t i = 0; i < gc->nproc; i++) {
		rt_mutator *h = gc->ps[i].held;
		if (h->state == RT_M_NATIVE) {
			h->p = NULL;
			return &gc->ps[i];
		}
	}
	return NULL;
}

/* A thread that took P p waits until p's worker is out of its stint. */
static void worker_leave(gc_state *gc, gc_p *p)
{
	if (p->id == 0)
		return;
	pthread_mutex_lock(&gc->wlock);
	while (p->worker_busy)
		pthread_cond_wait(&gc->mut_cv, &gc->wlock);
	pthread_mutex_unlock(&gc->wlock);
}

static void park_locked(gc_state *gc, rt_mutator *m)
{
	m->state = RT_M_STOPPED;
	gc->nrun--;
	pthread_cond_broadcast(&gc->sched_cv);
	while (gc->stw)
		pthread_cond_wait(&gc->sched_cv, &gc->sched_lock);
	m->state = RT_M_RUNNING;
	gc->nrun++;
}

/* The poll word: bit 0 while the world is stopped, bit 1 while threads
 * wait for a P (under sched_lock). */
#define POLL_STW 1
#define POLL_PWAIT 2
static void set_poll_locked(mg_runtime *rt, gc_state *gc)
{
	int v = (gc->stw ? POLL_STW : 0) | (gc->p_tail != gc->p_head ? POLL_PWAIT : 0);
	__atomic_store_n(&rt->poll, v, __ATOMIC_RELAXED);
}

/* Under sched_lock: m, holding no P, gets one: waits while the world is
 * stopped, and in line (a ticket: first come, first served) while every
 * P is held by a running thread.  Returns the P, whose worker may still
 * be in a stint (worker_leave, after the lock). */
static gc_p *acquire_locked(mg_runtime *rt, rt_mutator *m)
{
	gc_state *gc = gc_of(rt);
	gc_p *p = NULL;
	uint64_t ticket = gc->p_tail++;
	set_poll_locked(rt, gc);
	while (gc->stw || ticket != gc->p_head || !(p = p_take_locked(gc)))
		pthread_cond_wait(&gc->sched_cv, &gc->sched_lock);
	gc->p_head++;
	set_poll_locked(rt, gc);
	pthread_cond_broadcast(&gc->sched_cv); /* the next in line may take another P */
	__atomic_store_n(&p->held, m, __ATOMIC_RELAXED);
	m->p = p;
	m->p_since = rt_nanotime();
	m->state = RT_M_RUNNING;
	gc->nrun++;
	return p;
}

static void p_acquire(mg_runtime *rt, rt_mutator *m)
{
	gc_state *gc = gc_of(rt);
	pthread_mutex_lock(&gc->sched_lock);
	gc_p *p = acquire_locked(rt, m);
	pthread_mutex_unlock(&gc->sched_lock);
	worker_leave(gc, p);
}

void gc_p_flush_alloc(gc_state *gc, gc_p *p)
{
	if (p->live_delta)
		__atomic_fetch_add(&gc->heap_live, (uint64_t)p->live_delta, __ATOMIC_RELAXED);
	if (p->scan_delta)
		__atomic_fetch_add(&gc->heap_scan, (uint64_t)p->scan_delta, __ATOMIC_RELAXED);
	__atomic_store_n(&p->live_delta, 0, __ATOMIC_RELAXED);
	p->scan_delta = 0;
}

void gc_scan_own_roots(mg_runtime *rt, rt_mutator *m)
{
	gc_state *gc = gc_of(rt);
	uint64_t c0 = rt_cputime();
	bool nested = m->in_gc;
	m->in_gc = true;
	gc_scan_roots(rt);
	if (gc->nproc > 1)
		gc_wdispose(rt, m->p); /* what it found goes to the workers */
	m->in_gc = nested;
	uint64_t cpu = rt_cputime() - c0;
	m->p->cpu_background += cpu;
	m->mark_cpu += cpu;
}

/* What a thread hands in before it stops touching the heap for a while
 * (native code, detach, a yield): see the essay. */
static void hand_in(mg_runtime *rt, rt_mutator *m)
{
	gc_state *gc = gc_of(rt);
	gc_p *p = m->p;
	if (gc_phase_of(gc) == GC_MARK) {
		if (!m->roots_scanned)
			gc_scan_own_roots(rt, m);
		gc_wb_flush(rt, p);
		if (gc->nproc > 1)
			gc_wdispose(rt, p);
	}
	gc_p_flush_alloc(gc, p);
}

/* m gives its P back (detach, a yield), and is NATIVE. */
static void p_release(mg_runtime *rt, rt_mutator *m)
{
	gc_state *gc = gc_of(rt);
	gc_p *p = m->p;
	hand_in(rt, m);
	pthread_mutex_lock(&gc->sched_lock);
	/* Release: the worker that finds the P free (acquire, without the
	 * lock) sees everything this thread did on it. */
	__atomic_store_n(&p->held, NULL, __ATOMIC_RELEASE);
	m->p = NULL;
	m->state = RT_M_NATIVE;
	gc->nrun--;
	pthread_cond_broadcast(&gc->sched_cv);
	pthread_mutex_unlock(&gc->sched_lock);
	if (p->id != 0 && gc->nproc > 1) {
		/* Its worker may mark (or sweep) again. */
		pthread_mutex_lock(&gc->wlock);
		pthread_cond_broadcast(&gc->work_cv);
		pthread_mutex_unlock(&gc->wlock);
	}
}

bool gc_worker_may_take(mg_runtime *rt, gc_p *p)
{
	gc_state *gc = gc_of(rt);
	if (!__atomic_load_n(&p->held, __ATOMIC_ACQUIRE))
		return true;
	pthread_mutex_lock(&gc->sched_lock);
	rt_mutator *h = p->held;
	bool take = h && h->state == RT_M_NATIVE && rt_nanotime() - h->native_since > GC_NATIVE_RETAKE_NS;
	if (take) {
		h->p = NULL;
		__atomic_store_n(&p->held, NULL, __ATOMIC_RELAXED);
	}
	bool free = p->held == NULL;
	pthread_mutex_unlock(&gc->sched_lock);
	return free;
}

/* A thread that has held its P this long gives it to a thread waiting
 * for one, at its next safepoint (Go's forcePreemptNS). */
#define TIME_SLICE_NS 10000000u

/* The safepoint's slow path (rt->poll_slow): park while the world is
 * stopped by another thread; give the P up when another thread waits for
 * one and this one has had its time slice. */
static void poll_slow(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	rt_mutator *m = rt_self(rt);
	if (__atomic_load_n(&gc->stw_by, __ATOMIC_RELAXED) == m || m->in_gc)
		return; /* our own stop (only we set stw_by to us, or clear it), or collector work */
	int poll = __atomic_load_n(&rt->poll, __ATOMIC_RELAXED);
	if (poll & POLL_STW) {
		pthread_mutex_lock(&gc->sched_lock);
		if (gc->stw && gc->stw_by != m)
			park_locked(gc, m);
		pthread_mutex_unlock(&gc->sched_lock);
	}
	if ((poll & POLL_PWAIT) && rt_nanotime() - m->p_since > TIME_SLICE_NS) {
		__atomic_fetch_add(&gc->stats.p_yields, 1, __ATOMIC_RELAXED);
		p_release(rt, m);
		p_acquire(rt, m); /* behind the threads already waiting */
	}
}

/* Debug builds name the threads a stop has waited for over a second. */
#ifndef NDEBUG
static void report_slow_stop(mg_runtime *rt, rt_mutator *self)
{
	for (rt_mutator *m = rt->muts; m; m = m->next)
		if (m != self && m->state == RT_M_RUNNING)
			rt_printf("runtime: stopping the world has waited over 1 s for thread %u, running with no "
			          "safepoint (allocation, mg_safepoint, scope exit) or mg_enter_native\n",
			          m->id);
}
#endif

void gc_stop_world(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	rt_mutator *m = rt_self(rt);
	pthread_mutex_lock(&gc->sched_lock);
	if (gc->stw && gc->stw_by == m) {
		gc->stw_depth++;
		pthread_mutex_unlock(&gc->sched_lock);
		return;
	}
	while (gc->stw)
		park_locked(gc, m);
	gc->stw = true;
	__atomic_store_n(&gc->stw_by, m, __ATOMIC_RELAXED);
	gc->stw_depth = 1;
	set_poll_locked(rt, gc);
#ifndef NDEBUG
	uint64_t t0 = rt_nanotime();
	bool reported = false;
#endif
	while (gc->nrun > 1) {
#ifdef NDEBUG
		pthread_cond_wait(&gc->sched_cv, &gc->sched_lock);
#else
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&gc->sched_cv, &gc->sched_lock, &ts);
		if (!reported && gc->nrun > 1 && rt_nanotime() - t0 > 1000000000) {
			report_slow_stop(rt, m);
			reported = true;
		}
#endif
	}
	pthread_mutex_unlock(&gc->sched_lock);
}

void gc_start_world(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	pthread_mutex_lock(&gc->sched_lock);
	if (--gc->stw_depth == 0) {
		gc->stw = false;
		__atomic_store_n(&gc->stw_by, NULL, __ATOMIC_RELAXED);
		set_poll_locked(rt, gc);
		pthread_cond_broadcast(&gc->sched_cv);
	}
	pthread_mutex_unlock(&gc->sched_lock);
}

void gc_sched_init(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	pthread_mutex_init(&gc->sched_lock, NULL);
	pthread_cond_init(&gc->sched_cv, NULL);
	rt->poll_slow = poll_slow;
	rt_mutator *m = rt->muts; /* mg_open's caller, attached by rt_init */
	gc_p *p = &gc->ps[0];
	p->held = m;
	m->p = p;
	m->state = RT_M_RUNNING;
	m->p_since = rt_nanotime();
	gc->nrun = 1;
}

void gc_sched_destroy(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	pthread_cond_destroy(&gc->sched_cv);
	pthread_mutex_destroy(&gc->sched_lock);
}

/* ---- the public API ----------------------------------------------------- */

void mg_thread_attach(mg_runtime *rt)
{
	if (rt_self_or_null(rt))
		mg_fatal(rt, "mg_thread_attach: this thread is already attached");
	if (gc_is_boehm(rt)) {
		gc_boehm_attach(rt);
		return;
	}
	gc_state *gc = gc_of(rt);
	/* The list changes only while the world runs: a stopped world's
	 * thread walks it without the lock. */
	pthread_mutex_lock(&gc->sched_lock);
	while (gc->stw)
		pthread_cond_wait(&gc->sched_cv, &gc->sched_lock);
	rt_mutator *m = rt_mutator_new(rt);
	gc_p *p = acquire_locked(rt, m);
	pthread_mutex_unlock(&gc->sched_lock);
	worker_leave(gc, p);
}

void mg_thread_detach(mg_runtime *rt)
{
	rt_mutator *m = rt_self(rt);
	if (m->nscopes)
		mg_fatal(rt, "mg_thread_detach: thread %u still has %u scope%s entered", m->id, m->nscopes,
		         m->nscopes == 1 ? "" : "s");
	if (gc_is_boehm(rt)) {
		gc_boehm_detach(rt, m);
		return;
	}
	if (m->state != RT_M_RUNNING)
		mg_fatal(rt, "mg_thread_detach: thread %u is in native code (mg_leave_native first)", m->id);
	gc_state *gc = gc_of(rt);
	p_release(rt, m);
	pthread_mutex_lock(&gc->sched_lock);
	while (gc->stw) /* as at attach */
		pthread_cond_wait(&gc->sched_cv, &gc->sched_lock);
	rt_mutator_free(rt, m);
	pthread_cond_broadcast(&gc->sched_cv);
	pthread_mutex_unlock(&gc->sched_lock);
}

/* In native code a thread keeps its P, as a goroutine in a syscall
 * does, so a short wait (a contended lock) costs no hand-off: a thread
 * that needs a P takes it from a thread in native code (p_take_locked),
 * the P's worker after GC_NATIVE_RETAKE_NS (gc_worker_may_take), and a
 * stop of the world counts the thread as stopped. */
/* The calling thread, which must be in state `want` (else the call is
 * misplaced: fatal); NULL on Boehm, where native code needs nothing
 * (libgc stops threads wherever they are). */
static rt_mutator *native_self(mg_runtime *rt, rt_mstate want, const char *call, const char *wrong)
{
	rt_mutator *m = rt_self(rt);
	if (gc_is_boehm(rt))
		return NULL;
	if (m->state != want)
		mg_fatal(rt, "%s: thread %u %s", call, m->id, wrong);
	return m;
}

void mg_enter_native(mg_runtime *rt)
{
	rt_mutator *m = native_self(rt, RT_M_RUNNING, "mg_enter_native", "is already in native code");
	if (!m)
		return;
	gc_state *gc = gc_of(rt);
	hand_in(rt, m);
	pthread_mutex_lock(&gc->sched_lock);
	m->state = RT_M_NATIVE;
	m->native_since = rt_nanotime();
	gc->nrun--;
	pthread_cond_broadcast(&gc->sched_cv); /* a stop waiting for us, a thread waiting for a P */
	pthread_mutex_unlock(&gc->sched_lock);
}

void mg_leave_native(mg_runtime *rt)
{
	rt_mutator *m = native_self(rt, RT_M_NATIVE, "mg_leave_native", "is not in native code");
	if (!m)
		return;
	gc_state *gc = gc_of(rt);
	pthread_mutex_lock(&gc->sched_lock);
	while (gc->stw)
		pthread_cond_wait(&gc->sched_cv, &gc->sched_lock);
	if (m->p) { /* still ours */
		m->state = RT_M_RUNNING;
		gc->nrun++;
		pthread_mutex_unlock(&gc->sched_lock);
		return;
	}
	gc_p *p = acquire_locked(rt, m);
	pthread_mutex_unlock(&gc->sched_lock);
	worker_leave(gc, p);
}

void mg_mutex_lock(mg_runtime *rt, pthread_mutex_t *mu)
{
	int e = pthread_mutex_trylock(mu);
	if (e == 0)
		return;
	if (e != EBUSY)
		mg_fatal(rt, "mg_mutex_lock: %s", strerror(e));
	/* Blocked, the thread must not stall a stop of the world. */
	mg_enter_native(rt);
	e = pthread_mutex_lock(mu);
	mg_leave_native(rt);
	if (e)
		mg_fatal(rt, "mg_mutex_lock: %s", strerror(e));
}
