/*
 * trace_plot.c — `mapgc trace plot`: the charts of a trace and the HTML
 * report around them (interfaces: trace.h; the chart itself: trace_chart.h).
 *
 * The report is one self-contained file: inline SVG, inline CSS, no
 * script, no fonts or images fetched, no URL other than relative links to
 * the optional reach pictures and in-page anchors.  Each chart keeps its
 * series apart and names them (heap at start, at end, live, and the goal,
 * which is not heap in use), with units on every axis.
 *
 * Hook for `mapgc reach`: --reach-dir DIR adds a "Reachability pictures"
 * section linking every *.svg file in DIR (sorted by name, at most
 * REACH_MAX_PICTURES) as a thumbnail; without pictures the section is not
 * written.
 */
#include "trace.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace_chart.h"

#define REACH_MAX_PICTURES 500

static const struct {
	const char *name, *title;
} chart_info[TRACE_CHART_COUNT] = {
#define TRACE_X_INFO(id, name, title) [TRACE_CHART_##id] = { name, title },
	TRACE_CHART_LIST(TRACE_X_INFO)
#undef TRACE_X_INFO
};

const char *
trace_chart_name(trace_chart_id id)
{
	return (unsigned)id < TRACE_CHART_COUNT ? chart_info[id].name : "?";
}

bool
trace_chart_find(const char *name, trace_chart_id *id)
{
	for (int i = 0; i < TRACE_CHART_COUNT; i++) {
		if (strcmp(name, chart_info[i].name) == 0) {
			*id = (trace_chart_id)i;
			return true;
		}
	}
	return false;
}

bool
trace_chart_available(const trace_log *log, trace_chart_id id)
{
	switch (id) {
	case TRACE_CHART_EVAC:
	case TRACE_CHART_ITER:
		return trace_log_has_maps(log);
	case TRACE_CHART_WB:
		return trace_log_has_wb(log);
	default:
		return log->ncycles > 0;
	}
}

/* ---- the data of the charts --------------------------------------------------- */

/* Columns of doubles, one element per cycle (c_) or per map line (m_). */
enum { C_T, C_H0, C_H1, C_H2, C_GOAL, C_SEQ, C_ST, C_MT, C_PCT, C_IPCT, C_COLS };
enum { M_T, M_EVAC, M_OLD, M_GROWING, M_KB, M_ARRAYS, M_ITERS, M_COLS };
enum { W_T, W_SLOW, W_OLD, W_NEW, W_FLOAT, W_COLS };   /* per wb line (w_) */

typedef struct plot_data {
	const trace_log *log;
	double *c[C_COLS];
	double *m[M_COLS];
	double *w[W_COLS];
	unsigned char *forced;
	double *marks_t, *marks_seq;   /* run boundaries on the time and cycle axes */
	size_t nmarks;
	bool seq_is_n;                 /* the cycle axis is the cycle number (one run) */
} plot_data;

static void
plot_data_free(plot_data *d)
{
	free(d->c[0]);
	free(d->m[0]);
	free(d->w[0]);
	free(d->forced);
	free(d->marks_t);
	memset(d, 0, sizeof *d);
}

static void
clamp_ascending(double *x, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (x[i] < x[i - 1])
			x[i] = x[i - 1];
}

static bool
plot_data_init(plot_data *d, const trace_log *log)
{
	size_t n = log->ncycles, nm = log->nmaps, nw = log->nwbs;
	memset(d, 0, sizeof *d);
	d->log = log;
	double *cb = malloc((n ? n : 1) * C_COLS * sizeof *cb);
	double *mb = malloc((nm ? nm : 1) * M_COLS * sizeof *mb);
	double *wb = malloc((nw ? nw : 1) * W_COLS * sizeof *wb);
	d->forced = malloc(n ? n : 1);
	d->marks_t = malloc(2 * (n ? n : 1) * sizeof *d->marks_t);
	d->c[0] = cb;
	d->m[0] = mb;
	d->w[0] = wb;
	if (cb == NULL || mb == NULL || wb == NULL || d->forced == NULL || d->marks_t == NULL) {
		plot_data_free(d);
		return false;
	}
	for (int k = 0; k < C_COLS; k++)
		d->c[k] = cb + (size_t)k * n;
	for (int k = 0; k < M_COLS; k++)
		d->m[k] = mb + (size_t)k * nm;
	for (int k = 0; k < W_COLS; k++)
		d->w[k] = wb + (size_t)k * nw;
	d->marks_seq = d->marks_t + n;
	d->seq_is_n = log->sum.runs <= 1;

	for (size_t i = 0; i < n; i++) {
		const trace_cycle *c = &log->cycles[i];
		d->c[C_T][i] = (double)c->x_ns / 1e9;
		for (int h = 0; h < 3; h++)
			d->c[C_H0 + h][i] = (double)c->gc.heap_mb[h];
		d->c[C_GOAL][i] = (double)c->gc.goal_mb;
		d->c[C_SEQ][i] = d->seq_is_n ? (double)c->gc.n : (double)(i + 1);
		d->c[C_ST][i] = (double)c->gc.clock_ns[TRACE_CLOCK_SWEEP_TERM] / 1e6;
		/* the rest of the pause: mark termination, or everything after sweep
		 * termination for a cycle that ran stopped (trace_log.h) */
		d->c[C_MT][i] = (double)(c->stw_ns - c->gc.clock_ns[TRACE_CLOCK_SWEEP_TERM]) / 1e6;
		d->c[C_PCT][i] = (double)c->gc.cpu_pct;
		d->c[C_IPCT][i] = c->interval_cpu_pct >= 0 ? c->interval_cpu_pct : NAN;
		d->forced[i] = c->forced_by != TRACE_FORCED_NO;
		if (i > 0 && c->run != log->cycles[i - 1].run) {
			d->marks_t[d->nmarks] = d->c[C_T][i];
			d->marks_seq[d->nmarks] = d->c[C_SEQ][i] - 0.5;
			d->nmarks++;
		}
	}
	for (size_t i = 0; i < nm; i++) {
		const trace_map_rec *r = &log->maps[i];
		const uint64_t *v = r->m.v;
		d->m[M_T][i] = (double)(r->cycle != TRACE_NO_INDEX ? log->cycles[r->cycle].x_ns : r->m.t_ns) / 1e9;
		d->m[M_EVAC][i] = (double)v[TRACE_MAP_EVACUATED];
		d->m[M_OLD][i] = (double)v[TRACE_MAP_EVAC_OF];
		d->m[M_GROWING][i] = (double)v[TRACE_MAP_GROWING];
		d->m[M_KB][i] = (double)v[TRACE_MAP_ITER_ONLY_KB];
		d->m[M_ARRAYS][i] = (double)v[TRACE_MAP_ITER_ONLY];
		d->m[M_ITERS][i] = (double)v[TRACE_MAP_ITERS];
	}
	for (size_t i = 0; i < nw; i++) {
		const trace_wb_rec *r = &log->wbs[i];
		d->w[W_T][i] = (double)(r->cycle != TRACE_NO_INDEX ? log->cycles[r->cycle].x_ns : r->w.t_ns) / 1e9;
		d->w[W_SLOW][i] = (double)r->w.v[TRACE_WB_slow];
		d->w[W_OLD][i] = (double)r->w.v[TRACE_WB_shaded_old];
		d->w[W_NEW][i] = (double)r->w.v[TRACE_WB_shaded_new];
		d->w[W_FLOAT][i] = (double)r->w.v[TRACE_WB_floating_bytes];
	}
	/* Map and wb lines out of time order (orphans among runs) would draw
	 * back and forth: the chart wants x ascending, so clamp to the running
	 * maximum. */
	clamp_ascending(d->m[M_T], nm);
	clamp_ascending(d->w[W_T], nw);
	return true;
}

/* ---- tooltips ---------------------------------------------------------------------- */

static int
tip_cycle_head(char *buf, size_t size, const trace_cycle *c)
{
	char t[32];
	return snprintf(buf, size, "gc %llu @%ss%s: ", (unsigned long long)c->gc.n, trace_fmt_s(t, c->gc.t_ns),
	                c->forced_by == TRACE_FORCED_CALL ? " (forced)" : c->forced_by == TRACE_FORCED_SYSMON
	                ? " (forced by sysmon)" : "");
}

static void
tip_heap(char *buf, size_t size, const void *ctx, size_t i)
{
	const trace_cycle *c = &((const plot_data *)ctx)->log->cycles[i];
	int n = tip_cycle_head(buf, size, c);
	snprintf(buf + n, size - (size_t)n, "heap %llu -> %llu -> %llu MB (start, end, live), goal %llu MB",
	         (unsigned long long)c->gc.heap_mb[0], (unsigned long long)c->gc.heap_mb[1],
	         (unsigned long long)c->gc.heap_mb[2], (unsigned long long)c->gc.goal_mb);
}

static void
tip_pauses(char *buf, size_t size, const void *ctx, size_t i)
{
	const trace_cycle *c = &((const plot_data *)ctx)->log->cycles[i];
	char a[32], b[32], s[32];
	int n = tip_cycle_head(buf, size, c);
	uint64_t st = c->gc.clock_ns[TRACE_CLOCK_SWEEP_TERM];
	snprintf(buf + n, size - (size_t)n, "stop-the-world %s ms = sweep termination %s + %s %s ms",
	         trace_fmt_ms(s, c->stw_ns), trace_fmt_ms(a, st),
	         c->stw_ns - st == c->gc.clock_ns[TRACE_CLOCK_MARK_TERM] ? "mark termination"
	         : "the rest of a cycle run stopped", trace_fmt_ms(b, c->stw_ns - st));
}

static void
tip_cpu(char *buf, size_t size, const void *ctx, size_t i)
{
	const trace_cycle *c = &((const plot_data *)ctx)->log->cycles[i];
	int n = tip_cycle_head(buf, size, c);
	if (c->interval_cpu_pct >= 0)
		snprintf(buf + n, size - (size_t)n, "%llu %% since start; %.1f %% since the previous cycle",
		         (unsigned long long)c->gc.cpu_pct, c->interval_cpu_pct);
	else
		snprintf(buf + n, size - (size_t)n, "%llu %% since start", (unsigned long long)c->gc.cpu_pct);
}

static int
tip_map_head(char *buf, size_t size, const trace_map *m)
{
	char t[32];
	return snprintf(buf, size, "map %llu @%ss: ", (unsigned long long)m->n, trace_fmt_s(t, m->t_ns));
}

static void
tip_evac(char *buf, size_t size, const void *ctx, size_t i)
{
	const trace_map *m = &((const plot_data *)ctx)->log->maps[i].m;
	int n = tip_map_head(buf, size, m);
	snprintf(buf + n, size - (size_t)n, "%llu/%llu old buckets evacuated; %llu of %llu maps growing (%llu same-size)",
	         (unsigned long long)m->v[TRACE_MAP_EVACUATED], (unsigned long long)m->v[TRACE_MAP_EVAC_OF],
	         (unsigned long long)m->v[TRACE_MAP_GROWING], (unsigned long long)m->v[TRACE_MAP_MAPS],
	         (unsigned long long)m->v[TRACE_MAP_SAME_SIZE]);
}

static void
tip_iter(char *buf, size_t size, const void *ctx, size_t i)
{
	const trace_map *m = &((const plot_data *)ctx)->log->maps[i].m;
	int n = tip_map_head(buf, size, m);
	snprintf(buf + n, size - (size_t)n, "%llu iter-only arrays, %llu KB; %llu live iterators",
	         (unsigned long long)m->v[TRACE_MAP_ITER_ONLY], (unsigned long long)m->v[TRACE_MAP_ITER_ONLY_KB],
	         (unsigned long long)m->v[TRACE_MAP_ITERS]);
}

static void
tip_wb(char *buf, size_t size, const void *ctx, size_t i)
{
	const trace_wb *w = &((const plot_data *)ctx)->log->wbs[i].w;
	char t[32];
	int n = snprintf(buf, size, "wb %llu @%ss: mode=%s", (unsigned long long)w->n, trace_fmt_s(t, w->t_ns), w->mode);
	for (int f = 0; f < TRACE_WB_FIELD_COUNT && n > 0 && (size_t)n < size; f++)
		n += snprintf(buf + n, size - (size_t)n, " %s=%llu", trace_wb_field_name((trace_wb_field)f),
		              (unsigned long long)w->v[f]);
}

/* ---- the charts ------------------------------------------------------------------------ */

static trace_series
series(const char *label, const char *color, const double *x, const double *y, size_t n)
{
	return (trace_series){ .label = label, .color = color, .x = x, .y = y, .n = n };
}

/* Colours: Okabe–Ito, distinguishable with the common colour-vision deficiencies. */
#define C_BLUE "#0072b2"
#define C_ORANGE "#e69f00"
#define C_GREEN "#009e73"
#define C_RED "#d55e00"
#define C_PURPLE "#cc79a7"
#define C_SKY "#56b4e9"
#define C_GREY "#777777"
#define C_BLACK "#333333"

static void
build_chart(trace_chart *ch, const plot_data *d, trace_chart_id id)
{
	const trace_log *log = d->log;
	size_t n = log->ncycles, nm = log->nmaps, nw = log->nwbs;
	memset(ch, 0, sizeof *ch);
	ch->id = chart_info[id].name;
	ch->title = chart_info[id].title;
	ch->tip_ctx = d;
	ch->marks = d->marks_t;
	ch->nmarks = d->nmarks;
	ch->x_label = "time since program start (s)";
	switch (id) {
	case TRACE_CHART_HEAP:
		ch->y_label = "heap (MB)";
		ch->s[0] = series("heap at cycle start (H0)", C_BLUE, d->c[C_T], d->c[C_H0], n);
		ch->s[1] = series("heap at mark termination (H1)", C_ORANGE, d->c[C_T], d->c[C_H1], n);
		ch->s[2] = series("live heap, marked (H2)", C_GREEN, d->c[C_T], d->c[C_H2], n);
		ch->s[3] = series("heap goal (a target, not heap in use)", C_BLACK, d->c[C_T], d->c[C_GOAL], n);
		ch->s[3].dashed = true;
		ch->ns = 4;
		ch->tip = tip_heap;
		break;
	case TRACE_CHART_PAUSES:
		ch->x_label = d->seq_is_n ? "gc cycle" : "gc cycle (input order; numbering restarts)";
		ch->x_integer = true;
		ch->y_label = "stop-the-world pause (ms)";
		ch->s[0] = series("sweep termination", C_SKY, d->c[C_SEQ], d->c[C_ST], n);
		ch->s[1] = series("mark termination (all after sweep termination if run stopped)", C_BLUE, d->c[C_SEQ],
		                  d->c[C_MT], n);
		ch->s[0].bars = ch->s[1].bars = true;
		ch->s[0].outline = d->forced;
		ch->outline_label = "forced cycle (outlined)";
		ch->ns = 2;
		ch->marks = d->marks_seq;
		ch->tip = tip_pauses;
		break;
	case TRACE_CHART_CPU:
		ch->y_label = "GC CPU (% of P x time)";
		ch->s[0] = series("since program start (P% as printed)", C_BLUE, d->c[C_T], d->c[C_PCT], n);
		ch->s[1] = series("since the previous cycle (cpu phases, idle excluded)", C_ORANGE, d->c[C_T],
		                  d->c[C_IPCT], n);
		ch->ns = 2;
		ch->tip = tip_cpu;
		break;
	case TRACE_CHART_EVAC:
		ch->y_label = "old buckets";
		ch->y2_label = "maps";
		ch->s[0] = series("old buckets of growing maps (O)", C_GREY, d->m[M_T], d->m[M_OLD], nm);
		ch->s[1] = series("evacuated (E)", C_GREEN, d->m[M_T], d->m[M_EVAC], nm);
		ch->s[2] = series("growing maps (right axis)", C_RED, d->m[M_T], d->m[M_GROWING], nm);
		ch->s[2].right = true;
		ch->s[2].dashed = true;
		ch->y2_integer = true;
		ch->ns = 3;
		ch->tip = tip_evac;
		break;
	case TRACE_CHART_ITER:
		ch->y_label = "iter-only arrays (KB)";
		ch->y2_label = "count";
		ch->s[0] = series("KB held only by iterators", C_PURPLE, d->m[M_T], d->m[M_KB], nm);
		ch->s[1] = series("iter-only arrays (right axis)", C_ORANGE, d->m[M_T], d->m[M_ARRAYS], nm);
		ch->s[2] = series("live iterators (right axis)", C_GREY, d->m[M_T], d->m[M_ITERS], nm);
		ch->s[1].right = ch->s[2].right = true;
		ch->s[2].dashed = true;
		ch->y2_integer = true;
		ch->ns = 3;
		ch->tip = tip_iter;
		break;
	case TRACE_CHART_WB:
		ch->y_label = "per cycle (count)";
		ch->y2_label = "floating garbage (KB)";
		ch->s[0] = series("barrier slow paths", C_BLUE, d->w[W_T], d->w[W_SLOW], nw);
		ch->s[1] = series("greyed by the deletion half (old values)", C_ORANGE, d->w[W_T], d->w[W_OLD], nw);
		ch->s[2] = series("greyed by the insertion half (new values)", C_GREEN, d->w[W_T], d->w[W_NEW], nw);
		ch->s[3] = series("floating garbage (right axis)", C_PURPLE, d->w[W_T], d->w[W_FLOAT], nw);
		ch->s[3].right = true;
		ch->s[3].dashed = true;
		ch->ns = 4;
		ch->tip = tip_wb;
		break;
	case TRACE_CHART_COUNT:
		break;
	}
}

int
trace_write_svg(FILE *out, const trace_log *log, trace_chart_id id, const char *name)
{
	plot_data d;
	trace_chart ch;
	char title[256];
	if (!plot_data_init(&d, log))
		return ENOMEM;
	build_chart(&ch, &d, id);
	snprintf(title, sizeof title, "%s: %s", chart_info[id].title, name);
	ch.title = title;
	trace_chart_svg(out, &ch, true);
	plot_data_free(&d);
	return 0;
}

/* ---- the report --------------------------------------------------------------------------- */

static void
html_text(FILE *out, const char *s)
{
	trace_xml_text(out, s, strlen(s));
}

/* Percent-encodes a path for an href: unreserved bytes and '/' stay. */
static void
url_path(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			fputc(*p, out);
		else
			fprintf(out, "%%%02X", *p);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The reach pictures section; returns 0 or an errno. */
static int
write_reach(FILE *out, const char *dir)
{
	DIR *dp = opendir(dir);
	if (dp == NULL)
		return errno != 0 ? errno : EIO;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int err = 0;
	while ((de = readdir(dp)) != NULL && n < REACH_MAX_PICTURES) {
		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".svg"))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **p = realloc(names, ncap * sizeof *p);
			if (p == NULL) {
				err = ENOMEM;
				break;
			}
			names = p;
			cap = ncap;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			err = ENOMEM;
			break;
		}
		n++;
	}
	closedir(dp);
	if (err == 0 && n > 0) {
		qsort(names, n, sizeof *names, cmp_str);
		fputs("<section id=\"reach\">\n<h2>Reachability pictures</h2>\n<p>Per-map pictures from <code>mapgc reach</code>"
		      " in <code>", out);
		html_text(out, dir);
		fputs("</code>; select one to open it.</p>\n<div class=\"reach\">\n", out);
		for (size_t i = 0; i < n; i++) {
			fputs("<figure><a href=\"", out);
			if (dir[0] == '/')
				fputs("file://", out);
			url_path(out, dir);
			fputc('/', out);
			url_path(out, names[i]);
			fputs("\"><img src=\"", out);
			if (dir[0] == '/')
				fputs("file://", out);
			url_path(out, dir);
			fputc('/', out);
			url_path(out, names[i]);
			fputs("\" alt=\"", out);
			html_text(out, names[i]);
			fputs("\" width=\"280\" loading=\"lazy\"/></a><figcaption>", out);
			html_text(out, names[i]);
			fputs("</figcaption></figure>\n", out);
		}
		fputs("</div>\n</section>\n", out);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

static void
headline(char *buf, size_t size, const trace_log *log)
{
	const trace_summary *s = &log->sum;
	char a[32], b[32], c[32], m[32];
	if (s->cycles == 0) {
		snprintf(buf, size, "no gc cycles");
		return;
	}
	if (s->mmu[1] < 0)
		snprintf(m, sizeof m, "n/a");
	else
		snprintf(m, sizeof m, "%.1f %%", 100.0 * s->mmu[1]);
	snprintf(buf, size,
	         "%zu cycles (%zu forced) over %s s; GC CPU %llu %%; STW p99 %s ms, max %s ms; MMU(10 ms) %s; live heap "
	         "median %llu MB",
	         s->cycles, s->forced, trace_fmt_s3(a, s->span_ns), (unsigned long long)s->last_pct,
	         trace_fmt_ms3(b, s->stw_p99_ns), trace_fmt_ms3(c, s->stw_max_ns), m,
	         (unsigned long long)s->heap[2].median);
}

static const char *const chart_notes[TRACE_CHART_COUNT] = {
	[TRACE_CHART_HEAP] = "Per cycle: heap in use when the cycle started (H0) and at mark termination (H1), the"
	                     " live heap it marked (H2), and the goal the pacer aimed for (dashed), in MB.",
	[TRACE_CHART_PAUSES] = "Per cycle: the two stop-the-world phases, stacked, in ms; forced cycles are outlined.",
	[TRACE_CHART_CPU] = "GC CPU as the runtime printed it (cumulative since program start), and per interval from"
	                    " the cycle's CPU phases (idle marking excluded) over P x the time since the previous"
	                    " cycle ended.",
	[TRACE_CHART_EVAC] = "From the map lines: old buckets of growing maps (O), how many are evacuated (E), and"
	                     " how many maps are growing (right axis).",
	[TRACE_CHART_ITER] = "From the map lines: bucket arrays alive only because an iterator holds them, in KB,"
	                     " their count and the live iterators (right axis).",
	[TRACE_CHART_WB] = "From the wb lines (wbtrace=1): per cycle, the barrier calls that took the slow path,"
	                   " the objects its deletion and insertion halves greyed, and the floating garbage, marked"
	                   " but unreachable at mark termination (right axis, KB). Runs of several barrier modes"
	                   " follow each other, split by the dashed run boundaries; hover for a cycle's mode.",
};

static const char page_css[] =
	"body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:16px 20px;color:#222;"
	"background:#fafafa}"
	"h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:22px 0 6px}"
	".headline{font-size:15px;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 12px}"
	"nav a{margin-right:12px}section{margin-bottom:18px}"
	"svg.tc{max-width:100%;height:auto;background:#fff;border:1px solid #ddd;border-radius:6px}"
	".note{color:#555;font-size:13px;margin:4px 0 0}"
	"pre{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px;overflow-x:auto;font-size:12px}"
	".errors{color:#a00}.reach{display:flex;flex-wrap:wrap;gap:12px}"
	".reach figure{margin:0;background:#fff;border:1px solid #ddd;padding:6px}"
	"footer{color:#777;font-size:12px;margin-top:24px}";

int
trace_write_html(FILE *out, const trace_log *log, const char *name, const char *reach_dir)
{
	plot_data d;
	char head[512];
	if (!plot_data_init(&d, log))
		return ENOMEM;
	headline(head, sizeof head, log);

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>mapgc trace: ", out);
	html_text(out, name);
	fputs(" - ", out);
	html_text(out, head);
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>mapgc trace: <code>", page_css);
	html_text(out, name);
	fputs("</code></h1>\n<p class=\"headline\">", out);
	html_text(out, head);
	fputs("</p>\n<nav>", out);
	for (int id = 0; id < TRACE_CHART_COUNT; id++)
		if (trace_chart_available(log, (trace_chart_id)id))
			fprintf(out, "<a href=\"#%s\">%s</a>", chart_info[id].name, chart_info[id].name);
	fputs("<a href=\"#summary\">summary</a></nav>\n</header>\n", out);

	if (log->nerrors > 0) {
		fprintf(out, "<section id=\"errors\" class=\"errors\">\n<h2>Malformed lines (%llu)</h2>\n<ul>\n",
		        (unsigned long long)log->nerrors);
		size_t kept = log->nerrors < TRACE_MAX_ERRORS_KEPT ? (size_t)log->nerrors : TRACE_MAX_ERRORS_KEPT;
		for (size_t i = 0; i < kept; i++) {
			fprintf(out, "<li>line %llu: ", (unsigned long long)log->errors[i].line);
			html_text(out, log->errors[i].msg);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n</section>\n", out);
	}

	for (int id = 0; id < TRACE_CHART_COUNT; id++) {
		if (!trace_chart_available(log, (trace_chart_id)id))
			continue;
		trace_chart ch;
		build_chart(&ch, &d, (trace_chart_id)id);
		fprintf(out, "<section id=\"%s\">\n<h2>%s</h2>\n", chart_info[id].name, chart_info[id].title);
		trace_chart_svg(out, &ch, false);
		fprintf(out, "<p class=\"note\">%s</p>\n</section>\n", chart_notes[id]);
	}

	fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<pre>", out);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem != NULL) {
		trace_write_summary(mem, log, name);
		if (fclose(mem) == 0)
			trace_xml_text(out, text, len);
		free(text);
	}
	fputs("</pre>\n</section>\n", out);

	/* Reachability pictures of `mapgc reach`, when a directory is given. */
	int err = reach_dir != NULL ? write_reach(out, reach_dir) : 0;

	fputs("<footer>Made by <code>mapgc trace plot</code>; hover over a chart for the values of a cycle.</footer>\n"
	      "</body>\n</html>\n", out);
	plot_data_free(&d);
	return err;
}
