/*
 * trace_log.c — assembling records into a trace and deriving its figures.
 * The rules and definitions are in trace_log.h.
 */
#include "trace_log.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const uint64_t trace_mmu_window_ns[TRACE_MMU_WINDOWS] = { 1000000, 10000000, 100000000 };

static const char *const event_names[TRACE_EVENT_COUNT] = {
#define TRACE_X_NAME(id, name) [TRACE_EVENT_##id] = name,
	TRACE_EVENT_LIST(TRACE_X_NAME)
#undef TRACE_X_NAME
	[TRACE_EVENT_OTHER] = "other",
};

const char *
trace_event_name(trace_event e)
{
	return (unsigned)e < TRACE_EVENT_COUNT ? event_names[e] : "?";
}

void
trace_log_init(trace_log *log)
{
	memset(log, 0, sizeof *log);
}

void
trace_log_free(trace_log *log)
{
	free(log->cycles);
	free(log->maps);
	free(log->wbs);
	memset(log, 0, sizeof *log);
}

/* Grows *v (of *cap elements of size elem) to hold one more; false when
 * out of memory or at TRACE_MAX_RECORDS. */
static bool
grow_for_one(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return true;
	if (n >= TRACE_MAX_RECORDS)
		return false;
	size_t ncap = *cap ? *cap * 2 : 256;
	if (ncap > TRACE_MAX_RECORDS)
		ncap = TRACE_MAX_RECORDS;
	void *p = realloc(*v, ncap * elem);
	if (p == NULL)
		return false;
	*v = p;
	*cap = ncap;
	return true;
}

/* A record that cannot be kept: one message for the first, counts after. */
static bool
drop_record(trace_log *log, char *msg, size_t msgsize, size_t n)
{
	log->dropped++;
	if (n < TRACE_MAX_RECORDS) {
		log->out_of_memory = true;
		snprintf(msg, msgsize, "out of memory keeping this record");
		return false;
	}
	if (log->limit_reported)
		return true;
	log->limit_reported = true;
	snprintf(msg, msgsize, "more than %zu records: this one and the rest are counted, not kept",
	         (size_t)TRACE_MAX_RECORDS);
	return false;
}

static bool
add_cycle(trace_log *log, const trace_line *line, const trace_gc *g, char *msg, size_t msgsize)
{
	if (!grow_for_one((void **)&log->cycles, &log->capcycles, log->ncycles, sizeof *log->cycles))
		return drop_record(log, msg, msgsize, log->ncycles);
	if (log->ncycles > 0 && g->n <= log->cycles[log->ncycles - 1].gc.n)
		log->run++;
	trace_cycle *c = &log->cycles[log->ncycles++];
	memset(c, 0, sizeof *c);
	c->gc = *g;
	c->line = line->no;
	c->run = log->run;
	c->forced_by = g->forced ? TRACE_FORCED_CALL : log->pending_sysmon ? TRACE_FORCED_SYSMON : TRACE_FORCED_NO;
	if (c->forced_by == TRACE_FORCED_SYSMON)
		c->gc.forced = true;
	log->pending_sysmon = false;
	c->map = TRACE_NO_INDEX;
	c->wb = TRACE_NO_INDEX;
	memcpy(c->events, log->pending_events, sizeof c->events);
	memset(log->pending_events, 0, sizeof log->pending_events);
	return true;
}

/* The cycle a map or wb line of cycle n belongs to: the last gc line's,
 * when it has that number and no such line yet (its size_t at offset,
 * trace_cycle.map or .wb, is then set to index).  TRACE_NO_INDEX if none. */
static size_t
claim_cycle(trace_log *log, uint64_t n, size_t offset, size_t index)
{
	if (log->ncycles == 0)
		return TRACE_NO_INDEX;
	trace_cycle *c = &log->cycles[log->ncycles - 1];
	size_t *slot = (size_t *)((char *)c + offset);
	if (c->gc.n != n || *slot != TRACE_NO_INDEX)
		return TRACE_NO_INDEX;
	*slot = index;
	return log->ncycles - 1;
}

static bool
add_map(trace_log *log, const trace_line *line, const trace_map *m, char *msg, size_t msgsize)
{
	if (!grow_for_one((void **)&log->maps, &log->capmaps, log->nmaps, sizeof *log->maps))
		return drop_record(log, msg, msgsize, log->nmaps);
	trace_map_rec *r = &log->maps[log->nmaps];
	*r = (trace_map_rec){ *m, line->no, log->run, TRACE_NO_INDEX };
	r->cycle = claim_cycle(log, m->n, offsetof(trace_cycle, map), log->nmaps);
	log->nmaps++;
	return true;
}

static bool
add_wb(trace_log *log, const trace_line *line, const trace_wb *w, char *msg, size_t msgsize)
{
	if (!grow_for_one((void **)&log->wbs, &log->capwbs, log->nwbs, sizeof *log->wbs))
		return drop_record(log, msg, msgsize, log->nwbs);
	/* Before the first gc line (a log of wbtrace=1 without gctrace) no gc
	 * line starts runs: there the wb line's own number falling back does,
	 * counted apart so that the cycles' runs still start at 0. */
	if (log->ncycles == 0 && log->nwbs > 0 && w->n <= log->wbs[log->nwbs - 1].w.n)
		log->wb_run++;
	trace_wb_rec *r = &log->wbs[log->nwbs];
	*r = (trace_wb_rec){ *w, line->no, log->ncycles == 0 ? log->wb_run : log->run, TRACE_NO_INDEX };
	r->cycle = claim_cycle(log, w->n, offsetof(trace_cycle, wb), log->nwbs);
	log->nwbs++;
	return true;
}

static bool
value_is(const trace_mapev *ev, const char *line, const char *key, const char *want)
{
	const char *v;
	size_t n;
	return trace_mapev_get(ev, line, key, &v, &n) && n == strlen(want) && memcmp(v, want, n) == 0;
}

static void
add_event(trace_log *log, const char *line, const trace_mapev *ev)
{
	trace_events *e = &log->ev;
	trace_event type = TRACE_EVENT_OTHER;
	for (int i = 0; i < TRACE_EVENT_OTHER; i++)
		if (strcmp(ev->name, event_names[i]) == 0)
			type = (trace_event)i;
	e->total++;
	e->by_type[type]++;
	if (log->pending_events[type] < UINT32_MAX)
		log->pending_events[type]++;
	if (ev->map_id > e->max_map_id)
		e->max_map_id = ev->map_id;
	uint64_t x;
	switch (type) {
	case TRACE_EVENT_GROW:
		if (value_is(ev, line, "kind", "double"))
			e->grow_double++;
		else if (value_is(ev, line, "kind", "same-size"))
			e->grow_same_size++;
		break;
	case TRACE_EVENT_GROWDONE:
		if (trace_mapev_get_u64(ev, line, "released", &x) && e->growdone_released <= UINT64_MAX - x)
			e->growdone_released += x;
		break;
	case TRACE_EVENT_EVACUATE:
		if (value_is(ev, line, "old_cells", "cleared"))
			e->evac_cleared++;
		else if (value_is(ev, line, "old_cells", "kept"))
			e->evac_kept++;
		else if (value_is(ev, line, "old_cells", "noscan"))
			e->evac_noscan++;
		break;
	case TRACE_EVENT_ITER:
		if (value_is(ev, line, "growing", "1"))
			e->iter_during_grow++;
		break;
	case TRACE_EVENT_OTHER: {
		size_t i = 0;
		while (i < e->nother && strcmp(e->other[i].name, ev->name) != 0)
			i++;
		if (i == e->nother) {
			if (e->nother == TRACE_MAX_OTHER_EVENTS) {
				e->other_untallied++;
				break;
			}
			memcpy(e->other[i].name, ev->name, sizeof ev->name);
			e->nother++;
		}
		e->other[i].count++;
		break;
	}
	default:
		break;
	}
}

static void
keep_error(trace_log *log, uint64_t line, const char *msg)
{
	if (log->nerrors < TRACE_MAX_ERRORS_KEPT) {
		trace_error *e = &log->errors[log->nerrors];
		e->line = line;
		snprintf(e->msg, sizeof e->msg, "%s", msg);
	}
	log->nerrors++;
}

bool
trace_log_feed(trace_log *log, const trace_line *line, char *msg, size_t msgsize)
{
	trace_record rec;
	bool ok = true;

	msg[0] = '\0';
	log->lines++;
	if (line->too_long) {
		if (trace_line_looks_like_trace(line->p, line->len)) {
			snprintf(msg, msgsize, "line of %llu bytes, over the %d-byte limit for a trace line",
			         (unsigned long long)line->full_len, TRACE_LINE_MAX);
			keep_error(log, line->no, msg);
			return false;
		}
		log->skipped++;
		log->long_lines++;
		return true;
	}
	switch (trace_parse_line(line->p, line->len, &rec)) {
	case TRACE_NONE:
		log->skipped++;
		break;
	case TRACE_MALFORMED:
		snprintf(msg, msgsize, "%s", rec.err);
		ok = false;
		break;
	case TRACE_GC_FORCED:
		log->pending_sysmon = true;
		break;
	case TRACE_GC:
		ok = add_cycle(log, line, &rec.u.gc, msg, msgsize);
		break;
	case TRACE_MAP:
		ok = add_map(log, line, &rec.u.map, msg, msgsize);
		break;
	case TRACE_MAPEV:
		add_event(log, line->p, &rec.u.ev);
		break;
	case TRACE_WB:
		ok = add_wb(log, line, &rec.u.wb, msg, msgsize);
		break;
	}
	if (!ok)
		keep_error(log, line->no, msg);
	return ok;
}

/* ---- derived figures ----------------------------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n), n > 0. */
static uint64_t
percentile(const uint64_t *v, size_t n, unsigned pct)
{
	size_t rank = (pct * n + 99) / 100;   /* n ≤ TRACE_MAX_RECORDS: no overflow */
	return v[rank > 0 ? rank - 1 : 0];
}

/* min, median, max of the values get(c) over all cycles; tmp holds n. */
static trace_stat3
stat3(const trace_log *log, uint64_t *tmp, uint64_t (*get)(const trace_cycle *))
{
	size_t n = log->ncycles;
	for (size_t i = 0; i < n; i++)
		tmp[i] = get(&log->cycles[i]);
	qsort(tmp, n, sizeof *tmp, cmp_u64);
	return (trace_stat3){ tmp[0], percentile(tmp, n, 50), tmp[n - 1] };
}

static uint64_t get_h0(const trace_cycle *c) { return c->gc.heap_mb[0]; }
static uint64_t get_h1(const trace_cycle *c) { return c->gc.heap_mb[1]; }
static uint64_t get_h2(const trace_cycle *c) { return c->gc.heap_mb[2]; }
static uint64_t get_goal(const trace_cycle *c) { return c->gc.goal_mb; }
static uint64_t get_stw(const trace_cycle *c) { return c->stw_ns; }

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Go 1.5 ran a runtime.GC cycle with the world stopped throughout (its
 * documentation: "all phases are STW"); later forms cannot tell (Go 1.6–1.8
 * did the same, 1.9 and later do not), so only their two STW phases count. */
static bool
cycle_all_stopped(const trace_cycle *c)
{
	return c->gc.format == TRACE_FORMAT_GO15 && c->forced_by == TRACE_FORCED_CALL;
}

static void
derive_cycle(trace_cycle *c, const trace_cycle *prev_in_run)
{
	const trace_gc *g = &c->gc;
	uint64_t clock = 0;
	for (int i = 0; i < TRACE_CLOCK_COUNT; i++)
		clock = sat_add(clock, g->clock_ns[i]);
	c->end_ns = sat_add(g->t_ns, clock);
	c->stw_ns = cycle_all_stopped(c) ? clock
	            : sat_add(g->clock_ns[TRACE_CLOCK_SWEEP_TERM], g->clock_ns[TRACE_CLOCK_MARK_TERM]);
	c->gc_cpu_ns = 0;
	for (int i = 0; i < TRACE_CPU_COUNT; i++)
		if (i != TRACE_CPU_IDLE)
			c->gc_cpu_ns = sat_add(c->gc_cpu_ns, g->cpu_ns[i]);
	c->mark_cpu_ns = sat_add(sat_add(g->cpu_ns[TRACE_CPU_ASSIST], g->cpu_ns[TRACE_CPU_BACKGROUND]),
	                         g->cpu_ns[TRACE_CPU_IDLE]);
	c->mark_rate = c->mark_cpu_ns > 0 ? (double)g->heap_mb[2] / ((double)c->mark_cpu_ns / 1e9) : -1.0;

	c->interval_cpu_pct = -1.0;
	uint64_t prev_end;
	if (prev_in_run != NULL)
		prev_end = prev_in_run->end_ns;
	else if (g->n == 1)
		prev_end = 0;   /* cycle 1: the interval starts at program start */
	else
		return;
	/* @S is truncated to the millisecond, so an interval shorter than the
	 * cycle itself is an artefact: the cycle took at least its clock time. */
	uint64_t interval = c->end_ns > prev_end ? c->end_ns - prev_end : 0;
	if (interval < c->end_ns - g->t_ns)
		interval = c->end_ns - g->t_ns;
	c->interval_ns = interval;
	if (interval > 0 && g->procs > 0)
		c->interval_cpu_pct = 100.0 * (double)c->gc_cpu_ns / ((double)g->procs * (double)interval);
}

/* ---- MMU -------------------------------------------------------------------------- */

typedef struct span {
	uint64_t a, b;          /* [a, b) */
} span;

static int
cmp_span(const void *x, const void *y)
{
	const span *s = x, *t = y;
	return s->a < t->a ? -1 : s->a > t->a ? 1 : (s->b > t->b) - (s->b < t->b);
}

/* Paused time inside [a, b): pauses sorted, disjoint, with prefix sums
 * pre[i] = total length of pauses[0..i). */
static uint64_t
paused_in(const span *p, const uint64_t *pre, size_t n, uint64_t a, uint64_t b)
{
	/* first pause ending after a */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p[mid].b <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t i = lo;
	/* first pause starting at or after b */
	lo = i;
	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p[mid].a < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t j = lo;
	if (i >= j)
		return 0;
	uint64_t t = pre[j] - pre[i];
	if (p[i].a < a)
		t -= a - p[i].a;
	if (p[j - 1].b > b)
		t -= p[j - 1].b - b;
	return t;
}

/* The largest paused time in a window of width w within [t0, t1 − w]
 * (t1 − t0 ≥ w): a maximum is reached with a window edge on a pause edge. */
static uint64_t
max_paused(const span *p, const uint64_t *pre, size_t n, uint64_t t0, uint64_t t1, uint64_t w)
{
	uint64_t best = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t cand[2] = { p[i].a, p[i].b >= w ? p[i].b - w : 0 };
		for (int k = 0; k < 2; k++) {
			uint64_t s = cand[k];
			if (s < t0)
				s = t0;
			if (s > t1 - w)
				s = t1 - w;
			uint64_t x = paused_in(p, pre, n, s, s + w);
			if (x > best)
				best = x;
		}
	}
	return best;
}

/* MMU for every window, over cycles [from, to) of one run; updates mmu[]
 * (a minimum) where the run spans the window. */
static void
mmu_run(const trace_log *log, size_t from, size_t to, double *mmu, span *p, uint64_t *pre)
{
	size_t n = 0;
	uint64_t t0 = UINT64_MAX, t1 = 0;
	for (size_t i = from; i < to; i++) {
		const trace_cycle *c = &log->cycles[i];
		uint64_t st = c->gc.clock_ns[TRACE_CLOCK_SWEEP_TERM], mt = c->gc.clock_ns[TRACE_CLOCK_MARK_TERM];
		if (cycle_all_stopped(c)) {
			st = c->end_ns - c->gc.t_ns;
			mt = 0;
		}
		if (st > 0)
			p[n++] = (span){ c->gc.t_ns, sat_add(c->gc.t_ns, st) };
		if (mt > 0)
			p[n++] = (span){ c->end_ns - mt, c->end_ns };
		if (c->gc.t_ns < t0)
			t0 = c->gc.t_ns;
		if (c->end_ns > t1)
			t1 = c->end_ns;
	}
	qsort(p, n, sizeof *p, cmp_span);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && p[i].a <= p[m - 1].b) {
			if (p[i].b > p[m - 1].b)
				p[m - 1].b = p[i].b;
		} else {
			p[m++] = p[i];
		}
	}
	pre[0] = 0;
	for (size_t i = 0; i < m; i++)
		pre[i + 1] = pre[i] + (p[i].b - p[i].a);
	for (int k = 0; k < TRACE_MMU_WINDOWS; k++) {
		uint64_t w = trace_mmu_window_ns[k];
		if (t1 < t0 || t1 - t0 < w)
			continue;
		double u = 1.0 - (double)max_paused(p, pre, m, t0, t1, w) / (double)w;
		if (mmu[k] < 0 || u < mmu[k])
			mmu[k] = u;
	}
}

/* ---- finish --------------------------------------------------------------------- */

static void
summarize_maps(trace_log *log)
{
	trace_summary *s = &log->sum;
	s->map_lines = log->nmaps;
	for (size_t i = 0; i < log->nmaps; i++) {
		const trace_map_rec *r = &log->maps[i];
		if (r->cycle != TRACE_NO_INDEX)
			s->map_matched++;
		if (r->m.v[TRACE_MAP_GROWING] > 0)
			s->map_growing_cycles++;
		for (int f = 0; f < TRACE_MAP_FIELD_COUNT; f++) {
			if (i == 0)
				s->map_first[f] = r->m.v[f];
			s->map_last[f] = r->m.v[f];
			if (r->m.v[f] > s->map_max[f])
				s->map_max[f] = r->m.v[f];
		}
	}
}

/* Per mode, in first-seen order, and in all (sums saturate). */
static void
summarize_wb(trace_log *log)
{
	trace_summary *s = &log->sum;
	s->wb_lines = log->nwbs;
	for (size_t i = 0; i < log->nwbs; i++) {
		const trace_wb_rec *r = &log->wbs[i];
		if (i == 0 || r->run != log->wbs[i - 1].run)
			s->wb_runs++;
		if (r->cycle != TRACE_NO_INDEX)
			s->wb_matched++;
		for (int f = 0; f < TRACE_WB_FIELD_COUNT; f++)
			s->wb_total[f] = sat_add(s->wb_total[f], r->w.v[f]);
		size_t k = 0;
		while (k < s->wb_nmodes && strcmp(s->wb_modes[k].mode, r->w.mode) != 0)
			k++;
		if (k == s->wb_nmodes) {
			if (k == TRACE_WB_MAX_MODES) {
				s->wb_other_lines++;
				continue;
			}
			memcpy(s->wb_modes[k].mode, r->w.mode, sizeof r->w.mode);
			s->wb_nmodes++;
		}
		trace_wb_mode *m = &s->wb_modes[k];
		if (m->lines == 0 || m->last_run != r->run)
			m->runs++;
		m->last_run = r->run;
		m->lines++;
		for (int f = 0; f < TRACE_WB_FIELD_COUNT; f++)
			m->sum[f] = sat_add(m->sum[f], r->w.v[f]);
	}
}

void
trace_log_finish(trace_log *log)
{
	trace_summary *s = &log->sum;
	memset(s, 0, sizeof *s);
	for (int k = 0; k < TRACE_MMU_WINDOWS; k++)
		s->mmu[k] = -1.0;
	s->summed_cpu_pct = -1.0;
	s->mark_rate = -1.0;
	for (int e = 0; e < TRACE_EVENT_COUNT; e++)
		log->ev.after_last_gc += log->pending_events[e];
	summarize_maps(log);
	summarize_wb(log);

	size_t n = log->ncycles;
	s->cycles = n;
	if (n == 0)
		return;

	/* Per cycle, and the runs' offsets on the shared time axis. */
	uint64_t offset = 0, run_max_end = 0;
	double cpu_num = 0, cpu_den = 0, live_mb = 0;
	for (size_t i = 0; i < n; i++) {
		trace_cycle *c = &log->cycles[i];
		const trace_cycle *prev = i > 0 && log->cycles[i - 1].run == c->run ? &log->cycles[i - 1] : NULL;
		if (i > 0 && prev == NULL) {
			offset = sat_add(offset, run_max_end);
			run_max_end = 0;
		}
		if (prev != NULL && c->gc.n > prev->gc.n + 1)
			s->missing = sat_add(s->missing, c->gc.n - prev->gc.n - 1);
		derive_cycle(c, prev);
		c->x_ns = sat_add(c->gc.t_ns, offset);
		if (c->end_ns > run_max_end)
			run_max_end = c->end_ns;
		if (c->forced_by != TRACE_FORCED_NO)
			s->forced++;
		if (c->forced_by == TRACE_FORCED_SYSMON)
			s->forced_sysmon++;
		s->formats |= 1u << c->gc.format;
		s->gc_cpu_ns = sat_add(s->gc_cpu_ns, c->gc_cpu_ns);
		s->idle_cpu_ns = sat_add(s->idle_cpu_ns, c->gc.cpu_ns[TRACE_CPU_IDLE]);
		s->mark_cpu_ns = sat_add(s->mark_cpu_ns, c->mark_cpu_ns);
		s->stw_total_ns = sat_add(s->stw_total_ns, c->stw_ns);
		live_mb += (double)c->gc.heap_mb[2];
		if (c->interval_cpu_pct >= 0) {
			cpu_num += (double)c->gc_cpu_ns;
			cpu_den += (double)c->gc.procs * (double)c->interval_ns;
		}
		if (c->gc.format == TRACE_FORMAT_GO119) {
			s->have_stacks = true;
			if (c->gc.stacks_mb > s->stacks_max)
				s->stacks_max = c->gc.stacks_mb;
			if (c->gc.globals_mb > s->globals_max)
				s->globals_max = c->gc.globals_mb;
		}
		if (i == 0 || c->gc.procs < s->procs_min)
			s->procs_min = c->gc.procs;
		if (c->gc.procs > s->procs_max)
			s->procs_max = c->gc.procs;
		if (c->stw_ns > s->stw_max_ns || i == 0) {
			s->stw_max_ns = c->stw_ns;
			s->stw_max_n = c->gc.n;
		}
	}
	s->runs = log->cycles[n - 1].run + 1;
	s->first_n = log->cycles[0].gc.n;
	s->last_n = log->cycles[n - 1].gc.n;
	s->last_pct = log->cycles[n - 1].gc.cpu_pct;
	if (cpu_den > 0)
		s->summed_cpu_pct = 100.0 * cpu_num / cpu_den;
	if (s->mark_cpu_ns > 0)
		s->mark_rate = live_mb / ((double)s->mark_cpu_ns / 1e9);

	/* Spans, MMU: run by run. */
	span *p = malloc(2 * n * sizeof *p);
	uint64_t *pre = malloc((2 * n + 1) * sizeof *pre);
	for (size_t from = 0; from < n;) {
		size_t to = from;
		uint64_t t0 = UINT64_MAX, t1 = 0;
		while (to < n && log->cycles[to].run == log->cycles[from].run) {
			if (log->cycles[to].gc.t_ns < t0)
				t0 = log->cycles[to].gc.t_ns;
			if (log->cycles[to].end_ns > t1)
				t1 = log->cycles[to].end_ns;
			to++;
		}
		s->span_ns = sat_add(s->span_ns, t1 - t0);
		if (from == 0)
			s->first_start_ns = t0;
		s->last_end_ns = t1;
		if (p != NULL && pre != NULL)
			mmu_run(log, from, to, s->mmu, p, pre);
		else
			log->out_of_memory = true;
		from = to;
	}
	free(p);

	/* Distributions (pre is big enough to sort n values in). */
	uint64_t *tmp = pre != NULL ? pre : malloc(n * sizeof *tmp);
	if (tmp != NULL) {
		s->heap[0] = stat3(log, tmp, get_h0);
		s->heap[1] = stat3(log, tmp, get_h1);
		s->heap[2] = stat3(log, tmp, get_h2);
		s->goal = stat3(log, tmp, get_goal);
		trace_stat3 stw = stat3(log, tmp, get_stw);
		s->stw_p50_ns = stw.median;
		s->stw_p99_ns = percentile(tmp, n, 99);
		free(tmp);
	} else {
		log->out_of_memory = true;
	}
}
