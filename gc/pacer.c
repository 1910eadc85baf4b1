/*
 * pacer.c — when to start a cycle and how hard allocation must assist;
 * Go 1.19's pacer (mgcpacer.go) for one mutator: the utilization u of a
 * cycle is the background goal plus the assists' share of all Ps' time,
 * idle marking counts toward the work done but not toward u (endCycle),
 * and the workers' scan work counts toward the assist ratio.
 *
 * Goal (GOGC):  goal = marked + (marked + stacks + globals) × GOGC/100,
 *               at least heapMinimum = 4 MiB × GOGC/100.
 * Memory limit: goal ≤ limit − 5 % headroom (never below marked: then the
 *               collector runs back to back, as Go's does).
 * GOGC=off:     no goal from GOGC; only the memory limit starts cycles.
 * Trigger:      goal − runway, where runway = consMark × (1−u)/u × expected
 *               scan work (u = 0.25, the background utilization), clamped
 *               to [marked + 0.7·(goal−marked), marked + 0.95·(goal−marked)].
 *               consMark (allocation per unit of scan work, scaled by the
 *               share of time marking took) is the max of the last 4
 *               cycles, as in Go 1.19.  With no history the trigger is
 *               7/8 of the goal (Go's initial trigger ratio).
 * Assists:      ratio = (expected scan work − done) / (goal − heap live); past
 *               the goal the hard goal (1.1 × goal) and worst-case work (the
 *               whole scannable heap) are used instead.
 */
#include "gc/gc.h"

#define HEAP_MINIMUM ((uint64_t)4 << 20)

/* x × num / den without overflow for any x. */
static uint64_t frac(uint64_t x, uint64_t num, uint64_t den)
{
	return x / den * num + x % den * num / den;
}

void gc_pacer_compute(const gc_pacer_in *in, gc_pacer_out *out)
{
	uint64_t goal = UINT64_MAX;
	if (in->gogc >= 0) {
		uint64_t roots = in->marked + in->stacks + in->globals;
		goal = in->marked + frac(roots, (uint64_t)in->gogc, 100);
		uint64_t min = frac(HEAP_MINIMUM, (uint64_t)in->gogc, 100);
		if (goal < min)
			goal = min;
	}
	if (in->memlimit != MG_MEMLIMIT_NONE) {
		uint64_t lim = (uint64_t)in->memlimit;
		uint64_t lgoal = lim - lim / 20;
		if (lgoal < in->marked)
			lgoal = in->marked;
		if (lgoal < goal)
			goal = lgoal;
	}
	out->goal = goal;
	if (goal == UINT64_MAX) {
		out->trigger = UINT64_MAX;
		return;
	}
	uint64_t span = goal > in->marked ? goal - in->marked : 0;
	uint64_t lo = in->marked + frac(span, 7, 10);
	uint64_t hi = in->marked + frac(span, 95, 100);
	uint64_t trigger;
	if (in->cons_mark < 0) {
		trigger = frac(goal, 7, 8);
	} else {
		double u = GC_BG_UTILIZATION;
		double work = (double)(in->last_heap_scan + in->stacks + in->globals);
		double runway = in->cons_mark * (1 - u) / u * work;
		trigger = runway >= (double)goal ? 0 : goal - (uint64_t)runway;
	}
	if (trigger < lo)
		trigger = lo;
	if (trigger > hi)
		trigger = hi;
	out->trigger = trigger;
}

static double cons_mark_max(const gc_pacer *p)
{
	double m = -1;
	for (int i = 0; i < p->ncons && i < 4; i++)
		if (p->cons_mark[i] > m)
			m = p->cons_mark[i];
	return m;
}

/* At mark termination: learn from the cycle, set the next goal and trigger. */
void gc_pacer_end_cycle(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	gc_pacer *p = &gc->pacer;
	gc_cycle *c = &gc->cur;
	uint64_t wall = c->t_markterm > c->t_mark ? c->t_markterm - c->t_mark : 0;
	if (wall && c->scan_work && !c->forced && !rt->cfg.stoptheworld) {
		/* Utilization of the Ps as Go 1.19's endCycle has it: the
		 * background goal (0.25, whatever the workers got) plus the
		 * assists' share; idle marking adds to the work done per unit
		 * of allocation, not to u. */
		double cap = (double)wall * (double)(c->procs ? c->procs : 1);
		double u = GC_BG_UTILIZATION + (double)c->cpu_assist / cap;
		double idle = (double)c->cpu_idle / cap;
		if (u > 0.95)
			u = 0.95;
		if (u > 0 || idle > 0) {
			double cm = (double)c->alloc_during_mark * (u + idle) / ((double)c->scan_work * (1 - u));
			p->cons_mark[p->ncons % 4] = cm;
			p->ncons++;
		}
	}
	p->marked = c->heap2;
	p->last_heap_scan = c->scan_work > c->stacks + c->globals ? c->scan_work - c->stacks - c->globals : 0;
	gc_pacer_in in = {
		.marked = p->marked,
		.stacks = c->stacks,
		.globals = c->globals,
		.last_heap_scan = p->last_heap_scan,
		.gogc = rt->cfg.gogc,
		.memlimit = rt->cfg.memlimit,
		.cons_mark = cons_mark_max(p),
	};
	gc_pacer_out out;
	gc_pacer_compute(&in, &out);
	p->goal = out.goal;
	p->trigger = out.trigger;
}

double gc_assist_ratio(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	gc_cycle *c = &gc->cur;
	/* Every thread asks while the others scan roots and allocate. */
	uint64_t roots = __atomic_load_n(&c->stacks, __ATOMIC_RELAXED) + __atomic_load_n(&c->globals, __ATOMIC_RELAXED);
	uint64_t live = gc_heap_live(gc), scan = __atomic_load_n(&gc->heap_scan, __ATOMIC_RELAXED);
	uint64_t expected = gc->pacer.ncons || gc->pacer.last_heap_scan ? gc->pacer.last_heap_scan + roots : scan + roots;
	uint64_t goal = c->goal;
	uint64_t done = __atomic_load_n(&gc->worker_scan_work, __ATOMIC_RELAXED);
	if (live >= goal || done >= expected) {
		goal = goal == UINT64_MAX ? goal : goal + goal / 10;
		if (expected < scan + roots)
			expected = scan + roots;
	}
	double work = expected > done ? (double)(expected - done) : (double)gc->slice_budget;
	double runway = goal > live ? (double)(goal - live) : (double)GC_PAGE_SIZE;
	if (goal == UINT64_MAX)
		runway = (double)(live + GC_GROW_BYTES);
	return work / runway;
}
