/*
 * trace_out.c — the text outputs of `mapgc trace`: summary, CSV, JSON
 * (formats: trace.h).  Numbers of the input are printed from integers
 * (inv.deterministic); derived ratios with a fixed number of decimals.
 */
#include "trace.h"

#include <inttypes.h>
#include <string.h>

/* ---- numbers ------------------------------------------------------------------ */

static char *
fmt_fixed(char buf[32], uint64_t v, uint64_t unit, int digits)
{
	uint64_t whole = v / unit, frac = v % unit;
	int n = snprintf(buf, 32, "%" PRIu64, whole);
	if (frac != 0) {
		n += snprintf(buf + n, 32 - (size_t)n, ".%0*" PRIu64, digits, frac);
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
	}
	return buf;
}

char *
trace_fmt_ms(char buf[32], uint64_t ns)
{
	return fmt_fixed(buf, ns, 1000000, 6);
}

char *
trace_fmt_s(char buf[32], uint64_t ns)
{
	return fmt_fixed(buf, ns, 1000000000, 9);
}

static char *
fmt_3(char buf[32], uint64_t v, uint64_t unit)
{
	uint64_t k = v / unit + (v % unit >= unit / 2);   /* thousandths, rounded half up */
	snprintf(buf, 32, "%" PRIu64 ".%03" PRIu64, k / 1000, k % 1000);
	return buf;
}

char *
trace_fmt_ms3(char buf[32], uint64_t ns)
{
	return fmt_3(buf, ns, 1000);
}

char *
trace_fmt_s3(char buf[32], uint64_t ns)
{
	return fmt_3(buf, ns, 1000000);
}

/* ---- escaping ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (≤ n bytes), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void
trace_json_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', out);
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
		} else {
			size_t k = utf8_seq(p + i, len - i);
			if (k == 0) {
				fputs("\\ufffd", out);
				i++;
			} else {
				fwrite(p + i, 1, k, out);
				i += k;
			}
		}
	}
	fputc('"', out);
}

void
trace_xml_text(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		size_t k = 1;
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
				fputs("\xef\xbf\xbd", out);   /* not allowed in XML 1.0 */
			} else {
				k = utf8_seq(p + i, len - i);
				if (k == 0) {
					fputs("\xef\xbf\xbd", out);
					k = 1;
				} else {
					fwrite(p + i, 1, k, out);
				}
			}
		}
		i += k;
	}
}

/* ---- summary ---------------------------------------------------------------------- */

#define LABEL "%-15s "

static void
formats_text(char *buf, size_t size, unsigned formats)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int f = 0; f < TRACE_FORMAT_COUNT; f++)
		if (formats & (1u << f))
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "", trace_format_name((trace_format)f));
}

static void
summary_stat(FILE *out, const char *label, const trace_stat3 *s, const char *unit)
{
	fprintf(out, LABEL "min %" PRIu64 ", median %" PRIu64 ", max %" PRIu64 " %s\n", label, s->min, s->median,
	        s->max, unit);
}

static void
summary_maps(FILE *out, const trace_log *log)
{
	const trace_summary *s = &log->sum;
	fprintf(out, LABEL "%zu (%zu right after their gc line); maps growing in %zu of them\n", "map lines",
	        s->map_lines, s->map_matched, s->map_growing_cycles);
	fprintf(out, LABEL "first %" PRIu64 "/%" PRIu64 ", last %" PRIu64 "/%" PRIu64 " old buckets evacuated\n",
	        "evacuation", s->map_first[TRACE_MAP_EVACUATED], s->map_first[TRACE_MAP_EVAC_OF],
	        s->map_last[TRACE_MAP_EVACUATED], s->map_last[TRACE_MAP_EVAC_OF]);
	fprintf(out, "%-15s %-38s %10s %10s %10s\n", "map figures", "", "first", "last", "max");
	for (int f = 0; f < TRACE_MAP_FIELD_COUNT; f++)
		fprintf(out, "%-15s %-38s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", "",
		        trace_map_field_desc((trace_map_field)f), s->map_first[f], s->map_last[f], s->map_max[f]);
}

/* One row of the wb table: lines and runs, then every field's sum. */
static void
summary_wb_row(FILE *out, const char *mode, size_t lines, uint32_t runs, const uint64_t *sum)
{
	fprintf(out, "%-15s %-10s %6zu %5" PRIu32, "", mode, lines, runs);
	for (int f = 0; f < TRACE_WB_FIELD_COUNT; f++)
		fprintf(out, " %11" PRIu64, sum[f]);
	fputc('\n', out);
}

static void
summary_wb(FILE *out, const trace_log *log)
{
	const trace_summary *s = &log->sum;
	fprintf(out, LABEL "%zu (%zu right after their gc line), %zu barrier mode%s; sums per mode\n", "wb lines",
	        s->wb_lines, s->wb_matched, s->wb_nmodes, s->wb_nmodes == 1 ? "" : "s");
	fprintf(out, "%-15s %-10s %6s %5s", "wb figures", "mode", "lines", "runs");
	for (int f = 0; f < TRACE_WB_FIELD_COUNT; f++)
		fprintf(out, " %11s", trace_wb_field_name((trace_wb_field)f));
	fputc('\n', out);
	for (size_t k = 0; k < s->wb_nmodes; k++)
		summary_wb_row(out, s->wb_modes[k].mode, s->wb_modes[k].lines, s->wb_modes[k].runs, s->wb_modes[k].sum);
	summary_wb_row(out, "total", s->wb_lines, s->wb_runs, s->wb_total);
	if (s->wb_other_lines)
		fprintf(out, LABEL "%zu lines of modes beyond the first %d are in the total only\n", "", s->wb_other_lines,
		        TRACE_WB_MAX_MODES);
}

static void
summary_events(FILE *out, const trace_log *log)
{
	const trace_events *e = &log->ev;
	fprintf(out, LABEL "%" PRIu64 " (map ids up to m#%" PRIu64 "):", "map events", e->total, e->max_map_id);
	for (int t = 0; t < TRACE_EVENT_OTHER; t++)
		fprintf(out, "%s %s %" PRIu64, t ? "," : "", trace_event_name((trace_event)t), e->by_type[t]);
	for (size_t i = 0; i < e->nother; i++)
		fprintf(out, ", %s %" PRIu64, e->other[i].name, e->other[i].count);
	if (e->other_untallied)
		fprintf(out, ", other %" PRIu64, e->other_untallied);
	fputc('\n', out);
	fprintf(out, LABEL "%" PRIu64 " doubling, %" PRIu64 " same-size; growdone released %" PRIu64 " KB\n",
	        "grows", e->grow_double, e->grow_same_size, e->growdone_released >> 10);
	fprintf(out, LABEL "old cells cleared %" PRIu64 ", kept for an iterator %" PRIu64 ", noscan %" PRIu64 "\n",
	        "evacuations", e->evac_cleared, e->evac_kept, e->evac_noscan);
	fprintf(out, LABEL "%" PRIu64 " started, %" PRIu64 " of them during a grow\n", "iterations",
	        e->by_type[TRACE_EVENT_ITER], e->iter_during_grow);
	if (e->after_last_gc)
		fprintf(out, LABEL "%" PRIu64 " event%s after the last gc line\n", "", e->after_last_gc,
		        e->after_last_gc == 1 ? "" : "s");
}

static void
pct_or_na(char *buf, size_t size, double v)
{
	if (v < 0)
		snprintf(buf, size, "n/a");
	else
		snprintf(buf, size, "%.1f %%", v);
}

void
trace_write_summary(FILE *out, const trace_log *log, const char *name)
{
	const trace_summary *s = &log->sum;
	char fmts[64], a[32], b[32], c[32], d[32];

	formats_text(fmts, sizeof fmts, s->formats);
	fprintf(out, LABEL "%s: %" PRIu64 " lines, %zu gc%s%s%s, %zu map, %" PRIu64 " map events, %" PRIu64
	        " other lines\n", "trace", name, log->lines, s->cycles, s->formats ? " (" : "", fmts,
	        s->formats ? ")" : "", s->map_lines, log->ev.total, log->skipped);
	if (log->nerrors)
		fprintf(out, LABEL "%" PRIu64 " malformed or unusable line%s (reported on stderr)\n", "errors",
		        log->nerrors, log->nerrors == 1 ? "" : "s");
	if (log->dropped)
		fprintf(out, LABEL "%" PRIu64 " records over the limit, not kept\n", "dropped", log->dropped);
	if (s->cycles == 0) {
		fprintf(out, LABEL "0: no gc lines (run the program with GODEBUG=gctrace=1, or MAPGC_DEBUG=gctrace=1)\n",
		        "cycles");
	} else {
		fprintf(out, LABEL "%zu (%zu forced%s), numbered %" PRIu64 "-%" PRIu64, "cycles", s->cycles, s->forced,
		        s->forced_sysmon ? ", some by sysmon's GC forced" : "", s->first_n, s->last_n);
		if (s->runs > 1)
			fprintf(out, " in %" PRIu32 " runs", s->runs);
		if (s->missing)
			fprintf(out, "; %" PRIu64 " cycle numbers missing", s->missing);
		fputc('\n', out);
		fprintf(out, LABEL "%s s, first cycle at %s s, last ends at %s s\n", "wall span",
		        trace_fmt_s3(a, s->span_ns), trace_fmt_s3(b, s->first_start_ns), trace_fmt_s3(c, s->last_end_ns));
		pct_or_na(d, sizeof d, s->summed_cpu_pct);
		fprintf(out, LABEL "%" PRIu64 " %% by the last line; %s summed from cpu phases (%s ms, idle mark %s ms"
		        " not counted)\n", "gc cpu", s->last_pct, d, trace_fmt_ms3(a, s->gc_cpu_ns),
		        trace_fmt_ms3(b, s->idle_cpu_ns));
		fprintf(out, LABEL "p50 %s ms, p99 %s ms, max %s ms (cycle %" PRIu64 "), total %s ms\n", "stw pause",
		        trace_fmt_ms3(a, s->stw_p50_ns), trace_fmt_ms3(b, s->stw_p99_ns), trace_fmt_ms3(c, s->stw_max_ns),
		        s->stw_max_n, trace_fmt_ms3(d, s->stw_total_ns));
		summary_stat(out, "heap start", &s->heap[0], "MB");
		summary_stat(out, "heap end", &s->heap[1], "MB");
		summary_stat(out, "heap live", &s->heap[2], "MB");
		summary_stat(out, "heap goal", &s->goal, "MB");
		if (s->have_stacks)
			fprintf(out, LABEL "max %" PRIu64 " MB stacks, max %" PRIu64 " MB globals\n", "roots",
			        s->stacks_max, s->globals_max);
		if (s->procs_min == s->procs_max)
			fprintf(out, LABEL "%" PRIu64 " P\n", "procs", s->procs_max);
		else
			fprintf(out, LABEL "%" PRIu64 "-%" PRIu64 " P\n", "procs", s->procs_min, s->procs_max);
		if (s->mark_rate < 0)
			fprintf(out, LABEL "n/a (no mark CPU)\n", "mark rate");
		else
			fprintf(out, LABEL "%.1f MB/s (live heap per second of assist+background+idle mark CPU)\n",
			        "mark rate", s->mark_rate);
		fprintf(out, LABEL, "mmu");
		for (int k = 0; k < TRACE_MMU_WINDOWS; k++) {
			pct_or_na(a, sizeof a, s->mmu[k] < 0 ? -1.0 : 100.0 * s->mmu[k]);
			fprintf(out, "%s%s ms %s", k ? ", " : "", trace_fmt_ms(b, trace_mmu_window_ns[k]), a);
		}
		fputs(" (stop-the-world pauses only)\n", out);
	}
	if (trace_log_has_maps(log))
		summary_maps(out, log);
	if (trace_log_has_wb(log))
		summary_wb(out, log);
	if (log->ev.total > 0)
		summary_events(out, log);
}

/* ---- CSV ------------------------------------------------------------------------------- */

/* The columns: one table drives the header, the rows and --help. */
typedef enum col_kind {
	COL_LINE, COL_RUN, COL_N, COL_FORMAT, COL_T, COL_PCT, COL_FORCED, COL_FORCED_BY,
	COL_CLOCK, COL_CPU, COL_STW, COL_END, COL_GC_CPU, COL_MARK_CPU,
	COL_HEAP, COL_GOAL, COL_STACKS, COL_GLOBALS, COL_PROCS, COL_INTERVAL_PCT, COL_MARK_RATE,
	COL_EVENTS, COL_MAP_T, COL_MAP,
} col_kind;

typedef struct csv_col {
	col_kind kind;
	int arg;                 /* phase, heap index, event, map field */
	char name[40];
	char desc[96];
} csv_col;

enum { CSV_MAX_COLS = 24 + TRACE_CLOCK_COUNT + TRACE_CPU_COUNT + TRACE_EVENT_COUNT + TRACE_MAP_FIELD_COUNT };

static const char *const heap_names[3] = { "heap_start_mb", "heap_end_mb", "heap_live_mb" };
static const char *const heap_descs[3] = { "H0, heap in use at cycle start", "H1, heap in use at mark termination",
	                                   "H2, live (marked) heap" };

static void
add_col(csv_col *cols, size_t *n, col_kind kind, int arg, const char *name, const char *desc)
{
	csv_col *c = &cols[(*n)++];
	c->kind = kind;
	c->arg = arg;
	snprintf(c->name, sizeof c->name, "%s", name);
	snprintf(c->desc, sizeof c->desc, "%s", desc);
}

static size_t
csv_columns(csv_col *cols)
{
	size_t n = 0;
	char name[40], desc[96];
	add_col(cols, &n, COL_LINE, 0, "line", "input line number of the gc line");
	add_col(cols, &n, COL_RUN, 0, "run", "run, from 0 (a cycle number that does not increase starts one)");
	add_col(cols, &n, COL_N, 0, "n", "cycle number");
	add_col(cols, &n, COL_FORMAT, 0, "format", "go1.5 (five phases), go1.6 (three), go1.19 (stacks, globals)");
	add_col(cols, &n, COL_T, 0, "t_s", "@S: cycle start, seconds since program start");
	add_col(cols, &n, COL_PCT, 0, "cpu_pct", "P%: GC share of CPU since program start, as printed");
	add_col(cols, &n, COL_FORCED, 0, "forced", "1 for a forced cycle, else 0");
	add_col(cols, &n, COL_FORCED_BY, 0, "forced_by", "call (\" (forced)\"), sysmon (\"GC forced\"), or empty");
	for (int i = 0; i < TRACE_CLOCK_COUNT; i++) {
		snprintf(name, sizeof name, "clock_%s_ms", trace_clock_name((trace_clock)i));
		snprintf(desc, sizeof desc, "wall time of phase %s%s", trace_clock_name((trace_clock)i),
		         trace_has_clock(TRACE_FORMAT_GO16, (trace_clock)i) ? "" : " (go1.5 only)");
		add_col(cols, &n, COL_CLOCK, i, name, desc);
	}
	for (int i = 0; i < TRACE_CPU_COUNT; i++) {
		snprintf(name, sizeof name, "cpu_%s_ms", trace_cpu_name((trace_cpu)i));
		snprintf(desc, sizeof desc, "CPU time of %s%s", trace_cpu_name((trace_cpu)i),
		         trace_has_cpu(TRACE_FORMAT_GO16, (trace_cpu)i) ? "" : " (go1.5 only)");
		add_col(cols, &n, COL_CPU, i, name, desc);
	}
	add_col(cols, &n, COL_STW, 0, "stw_ms",
	        "stop-the-world pause: sweep + mark termination (all phases: forced go1.5)");
	add_col(cols, &n, COL_END, 0, "end_s", "cycle end: t_s + all clock phases");
	add_col(cols, &n, COL_GC_CPU, 0, "gc_cpu_ms", "GC CPU: all CPU times but idle mark");
	add_col(cols, &n, COL_MARK_CPU, 0, "mark_cpu_ms", "mark CPU: assist + background + idle");
	for (int i = 0; i < 3; i++)
		add_col(cols, &n, COL_HEAP, i, heap_names[i], heap_descs[i]);
	add_col(cols, &n, COL_GOAL, 0, "goal_mb", "heap goal");
	add_col(cols, &n, COL_STACKS, 0, "stacks_mb", "scannable stacks (go1.19 only)");
	add_col(cols, &n, COL_GLOBALS, 0, "globals_mb", "scannable globals (go1.19 only)");
	add_col(cols, &n, COL_PROCS, 0, "procs", "P count");
	add_col(cols, &n, COL_INTERVAL_PCT, 0, "interval_cpu_pct",
	        "GC CPU / (P x time since the previous cycle's end); empty if unknown");
	add_col(cols, &n, COL_MARK_RATE, 0, "mark_rate_mb_s", "live heap / mark CPU, MB/s; empty without mark CPU");
	for (int i = 0; i < TRACE_EVENT_COUNT; i++) {
		snprintf(name, sizeof name, "events_%s", trace_event_name((trace_event)i));
		snprintf(desc, sizeof desc, "mapev %s lines since the previous gc line",
		         i == TRACE_EVENT_OTHER ? "(other types)" : trace_event_name((trace_event)i));
		add_col(cols, &n, COL_EVENTS, i, name, desc);
	}
	add_col(cols, &n, COL_MAP_T, 0, "map_t_s", "the map line's @S (this and map_*: empty without a map line)");
	for (int i = 0; i < TRACE_MAP_FIELD_COUNT; i++) {
		snprintf(name, sizeof name, "map_%s", trace_map_field_name((trace_map_field)i));
		add_col(cols, &n, COL_MAP, i, name, trace_map_field_desc((trace_map_field)i));
	}
	return n;
}

static void
csv_cell(FILE *out, const trace_log *log, const trace_cycle *c, const csv_col *col)
{
	const trace_gc *g = &c->gc;
	const trace_map *m = trace_cycle_map(log, c);
	char b[32];
	switch (col->kind) {
	case COL_LINE: fprintf(out, "%" PRIu64, c->line); break;
	case COL_RUN: fprintf(out, "%" PRIu32, c->run); break;
	case COL_N: fprintf(out, "%" PRIu64, g->n); break;
	case COL_FORMAT: fputs(trace_format_name(g->format), out); break;
	case COL_T: fputs(trace_fmt_s(b, g->t_ns), out); break;
	case COL_PCT: fprintf(out, "%" PRIu64, g->cpu_pct); break;
	case COL_FORCED: fputc(c->forced_by != TRACE_FORCED_NO ? '1' : '0', out); break;
	case COL_FORCED_BY:
		fputs(c->forced_by == TRACE_FORCED_CALL ? "call" : c->forced_by == TRACE_FORCED_SYSMON ? "sysmon" : "", out);
		break;
	case COL_CLOCK:
		if (trace_has_clock(g->format, (trace_clock)col->arg))
			fputs(trace_fmt_ms(b, g->clock_ns[col->arg]), out);
		break;
	case COL_CPU:
		if (trace_has_cpu(g->format, (trace_cpu)col->arg))
			fputs(trace_fmt_ms(b, g->cpu_ns[col->arg]), out);
		break;
	case COL_STW: fputs(trace_fmt_ms(b, c->stw_ns), out); break;
	case COL_END: fputs(trace_fmt_s(b, c->end_ns), out); break;
	case COL_GC_CPU: fputs(trace_fmt_ms(b, c->gc_cpu_ns), out); break;
	case COL_MARK_CPU: fputs(trace_fmt_ms(b, c->mark_cpu_ns), out); break;
	case COL_HEAP: fprintf(out, "%" PRIu64, g->heap_mb[col->arg]); break;
	case COL_GOAL: fprintf(out, "%" PRIu64, g->goal_mb); break;
	case COL_STACKS:
		if (g->format == TRACE_FORMAT_GO119)
			fprintf(out, "%" PRIu64, g->stacks_mb);
		break;
	case COL_GLOBALS:
		if (g->format == TRACE_FORMAT_GO119)
			fprintf(out, "%" PRIu64, g->globals_mb);
		break;
	case COL_PROCS: fprintf(out, "%" PRIu64, g->procs); break;
	case COL_INTERVAL_PCT:
		if (c->interval_cpu_pct >= 0)
			fprintf(out, "%.3f", c->interval_cpu_pct);
		break;
	case COL_MARK_RATE:
		if (c->mark_rate >= 0)
			fprintf(out, "%.3f", c->mark_rate);
		break;
	case COL_EVENTS: fprintf(out, "%" PRIu32, c->events[col->arg]); break;
	case COL_MAP_T:
		if (m)
			fputs(trace_fmt_s(b, m->t_ns), out);
		break;
	case COL_MAP:
		if (m)
			fprintf(out, "%" PRIu64, m->v[col->arg]);
		break;
	}
}

void
trace_write_csv(FILE *out, const trace_log *log)
{
	csv_col cols[CSV_MAX_COLS];
	size_t n = csv_columns(cols);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "," : "", cols[i].name);
	fputc('\n', out);
	for (size_t r = 0; r < log->ncycles; r++) {
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(',', out);
			csv_cell(out, log, &log->cycles[r], &cols[i]);
		}
		fputc('\n', out);
	}
}

void
trace_write_csv_columns(FILE *out)
{
	csv_col cols[CSV_MAX_COLS];
	size_t n = csv_columns(cols);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-26s %s\n", cols[i].name, cols[i].desc);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static void
json_key(FILE *out, bool *first, const char *key)
{
	fprintf(out, "%s\"%s\":", *first ? "" : ",", key);
	*first = false;
}

static void
json_u64(FILE *out, bool *first, const char *key, uint64_t v)
{
	json_key(out, first, key);
	fprintf(out, "%" PRIu64, v);
}

static void
json_ms(FILE *out, bool *first, const char *key, uint64_t ns)
{
	char b[32];
	json_key(out, first, key);
	fputs(trace_fmt_ms(b, ns), out);
}

static void
json_s(FILE *out, bool *first, const char *key, uint64_t ns)
{
	char b[32];
	json_key(out, first, key);
	fputs(trace_fmt_s(b, ns), out);
}

/* A derived ratio: three decimals, or null when unknown (< 0). */
static void
json_ratio(FILE *out, bool *first, const char *key, double v)
{
	json_key(out, first, key);
	if (v < 0)
		fputs("null", out);
	else
		fprintf(out, "%.3f", v);
}

/* The start of a map or wb line's object: its cycle number and time. */
static void
json_line_open(FILE *out, bool *first, uint64_t n, uint64_t t_ns)
{
	fputc('{', out);
	json_u64(out, first, "n", n);
	json_s(out, first, "t_s", t_ns);
}

static void
json_cycle_map(FILE *out, const trace_map *m)
{
	bool first = true;
	json_line_open(out, &first, m->n, m->t_ns);
	for (int f = 0; f < TRACE_MAP_FIELD_COUNT; f++)
		json_u64(out, &first, trace_map_field_name((trace_map_field)f), m->v[f]);
	fputc('}', out);
}

/* The wb fields under their line keys. */
static void
json_wb_fields(FILE *out, bool *first, const uint64_t *v)
{
	for (int f = 0; f < TRACE_WB_FIELD_COUNT; f++)
		json_u64(out, first, trace_wb_field_name((trace_wb_field)f), v[f]);
}

static void
json_cycle_wb(FILE *out, const trace_wb *w)
{
	bool first = true;
	json_line_open(out, &first, w->n, w->t_ns);
	json_key(out, &first, "mode");
	fprintf(out, "\"%s\"", w->mode);   /* [a-z0-9_-]: nothing to escape */
	json_wb_fields(out, &first, w->v);
	fputc('}', out);
}

static void
json_cycle(FILE *out, const trace_log *log, const trace_cycle *c)
{
	const trace_gc *g = &c->gc;
	bool first = true, inner;
	fputc('{', out);
	json_u64(out, &first, "n", g->n);
	json_u64(out, &first, "line", c->line);
	json_u64(out, &first, "run", c->run);
	json_key(out, &first, "format");
	fprintf(out, "\"%s\"", trace_format_name(g->format));
	json_s(out, &first, "t_s", g->t_ns);
	json_u64(out, &first, "cpu_pct", g->cpu_pct);
	json_key(out, &first, "forced");
	fputs(c->forced_by != TRACE_FORCED_NO ? "true" : "false", out);
	json_key(out, &first, "forced_by");
	fputs(c->forced_by == TRACE_FORCED_CALL ? "\"call\"" : c->forced_by == TRACE_FORCED_SYSMON ? "\"sysmon\"" : "null",
	      out);
	json_key(out, &first, "clock_ms");
	fputc('{', out);
	inner = true;
	for (int i = 0; i < TRACE_CLOCK_COUNT; i++)
		if (trace_has_clock(g->format, (trace_clock)i))
			json_ms(out, &inner, trace_clock_name((trace_clock)i), g->clock_ns[i]);
	fputc('}', out);
	json_key(out, &first, "cpu_ms");
	fputc('{', out);
	inner = true;
	for (int i = 0; i < TRACE_CPU_COUNT; i++)
		if (trace_has_cpu(g->format, (trace_cpu)i))
			json_ms(out, &inner, trace_cpu_name((trace_cpu)i), g->cpu_ns[i]);
	fputc('}', out);
	json_ms(out, &first, "stw_ms", c->stw_ns);
	json_s(out, &first, "end_s", c->end_ns);
	json_ms(out, &first, "gc_cpu_ms", c->gc_cpu_ns);
	json_ms(out, &first, "mark_cpu_ms", c->mark_cpu_ns);
	json_key(out, &first, "heap_mb");
	fprintf(out, "[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", g->heap_mb[0], g->heap_mb[1], g->heap_mb[2]);
	json_u64(out, &first, "goal_mb", g->goal_mb);
	if (g->format == TRACE_FORMAT_GO119) {
		json_u64(out, &first, "stacks_mb", g->stacks_mb);
		json_u64(out, &first, "globals_mb", g->globals_mb);
	}
	json_u64(out, &first, "procs", g->procs);
	json_ratio(out, &first, "interval_cpu_pct", c->interval_cpu_pct);
	json_ratio(out, &first, "mark_rate_mb_s", c->mark_rate);
	bool any = false;
	for (int i = 0; i < TRACE_EVENT_COUNT; i++)
		any |= c->events[i] != 0;
	if (any) {
		json_key(out, &first, "events");
		fputc('{', out);
		inner = true;
		for (int i = 0; i < TRACE_EVENT_COUNT; i++)
			if (c->events[i] != 0)
				json_u64(out, &inner, trace_event_name((trace_event)i), c->events[i]);
		fputc('}', out);
	}
	const trace_map *m = trace_cycle_map(log, c);
	if (m) {
		json_key(out, &first, "map");
		json_cycle_map(out, m);
	}
	const trace_wb *w = trace_cycle_wb(log, c);
	if (w) {
		json_key(out, &first, "wb");
		json_cycle_wb(out, w);
	}
	fputc('}', out);
}

/* The summary's wb figures; only for a log with wb lines. */
static void
json_summary_wb(FILE *out, const trace_summary *s)
{
	bool first = true, inner = true;
	fputs(",\n    ", out);
	json_u64(out, &first, "wb_lines", s->wb_lines);
	json_u64(out, &first, "wb_lines_matched", s->wb_matched);
	json_u64(out, &first, "wb_runs", s->wb_runs);
	json_u64(out, &first, "wb_other_mode_lines", s->wb_other_lines);
	json_key(out, &first, "wb_total");
	fputc('{', out);
	json_wb_fields(out, &inner, s->wb_total);
	fputs("},\n    \"wb_modes\":[", out);
	for (size_t k = 0; k < s->wb_nmodes; k++) {
		const trace_wb_mode *m = &s->wb_modes[k];
		inner = true;
		fputs(k ? ",{" : "{", out);
		json_key(out, &inner, "mode");
		fprintf(out, "\"%s\"", m->mode);
		json_u64(out, &inner, "lines", m->lines);
		json_u64(out, &inner, "runs", m->runs);
		json_wb_fields(out, &inner, m->sum);
		fputc('}', out);
	}
	fputc(']', out);
}

static void
json_stat3(FILE *out, bool *first, const char *key, const trace_stat3 *s)
{
	json_key(out, first, key);
	fprintf(out, "{\"min\":%" PRIu64 ",\"median\":%" PRIu64 ",\"max\":%" PRIu64 "}", s->min, s->median, s->max);
}

static void
json_summary(FILE *out, const trace_log *log)
{
	const trace_summary *s = &log->sum;
	bool first = true;
	char b[32];
	fputs("{\n    ", out);
	json_u64(out, &first, "cycles", s->cycles);
	json_u64(out, &first, "forced", s->forced);
	json_u64(out, &first, "forced_sysmon", s->forced_sysmon);
	json_u64(out, &first, "runs", s->cycles ? s->runs : 0);
	json_u64(out, &first, "missing_cycle_numbers", s->missing);
	json_s(out, &first, "span_s", s->span_ns);
	json_s(out, &first, "first_start_s", s->first_start_ns);
	json_s(out, &first, "last_end_s", s->last_end_ns);
	fputs(",\n    ", out);
	first = true;
	json_u64(out, &first, "last_cpu_pct", s->last_pct);
	json_ratio(out, &first, "summed_cpu_pct", s->summed_cpu_pct);
	json_ms(out, &first, "gc_cpu_ms", s->gc_cpu_ns);
	json_ms(out, &first, "idle_cpu_ms", s->idle_cpu_ns);
	json_ms(out, &first, "mark_cpu_ms", s->mark_cpu_ns);
	json_ratio(out, &first, "mark_rate_mb_s", s->mark_rate);
	fputs(",\n    ", out);
	first = true;
	json_key(out, &first, "stw_ms");
	bool inner = true;
	fputc('{', out);
	json_ms(out, &inner, "p50", s->stw_p50_ns);
	json_ms(out, &inner, "p99", s->stw_p99_ns);
	json_ms(out, &inner, "max", s->stw_max_ns);
	json_u64(out, &inner, "max_n", s->stw_max_n);
	json_ms(out, &inner, "total", s->stw_total_ns);
	fputc('}', out);
	json_key(out, &first, "mmu");
	fputc('{', out);
	for (int k = 0; k < TRACE_MMU_WINDOWS; k++) {
		char key[40];
		snprintf(key, sizeof key, "%sms", trace_fmt_ms(b, trace_mmu_window_ns[k]));
		json_key(out, &(bool){ k == 0 }, key);
		if (s->mmu[k] < 0)
			fputs("null", out);
		else
			fprintf(out, "%.4f", s->mmu[k]);
	}
	fputc('}', out);
	fputs(",\n    ", out);
	first = true;
	json_stat3(out, &first, "heap_start_mb", &s->heap[0]);
	json_stat3(out, &first, "heap_end_mb", &s->heap[1]);
	json_stat3(out, &first, "heap_live_mb", &s->heap[2]);
	json_stat3(out, &first, "goal_mb", &s->goal);
	if (s->have_stacks) {
		json_u64(out, &first, "stacks_max_mb", s->stacks_max);
		json_u64(out, &first, "globals_max_mb", s->globals_max);
	}
	json_u64(out, &first, "procs_min", s->procs_min);
	json_u64(out, &first, "procs_max", s->procs_max);
	fputs(",\n    ", out);
	first = true;
	json_u64(out, &first, "map_lines", s->map_lines);
	json_u64(out, &first, "map_lines_matched", s->map_matched);
	json_u64(out, &first, "map_growing_cycles", s->map_growing_cycles);
	if (s->map_lines) {
		static const char *const which[3] = { "map_first", "map_last", "map_max" };
		const uint64_t *vals[3] = { s->map_first, s->map_last, s->map_max };
		for (int w = 0; w < 3; w++) {
			fputs(",\n    ", out);
			first = true;
			json_key(out, &first, which[w]);
			fputc('{', out);
			inner = true;
			for (int f = 0; f < TRACE_MAP_FIELD_COUNT; f++)
				json_u64(out, &inner, trace_map_field_name((trace_map_field)f), vals[w][f]);
			fputc('}', out);
		}
	}
	if (s->wb_lines)
		json_summary_wb(out, s);
	fputs("\n  }", out);
}

static void
json_events(FILE *out, const trace_log *log)
{
	const trace_events *e = &log->ev;
	bool first = true, inner = true;
	fputs("{\n    ", out);
	json_u64(out, &first, "total", e->total);
	json_u64(out, &first, "max_map_id", e->max_map_id);
	json_key(out, &first, "by_type");
	fputc('{', out);
	for (int t = 0; t < TRACE_EVENT_OTHER; t++)
		json_u64(out, &inner, trace_event_name((trace_event)t), e->by_type[t]);
	for (size_t i = 0; i < e->nother; i++)
		json_u64(out, &inner, e->other[i].name, e->other[i].count);   /* names are [A-Za-z0-9_.-] */
	fputc('}', out);
	json_u64(out, &first, "other_untallied", e->other_untallied);
	fputs(",\n    ", out);
	first = true;
	json_u64(out, &first, "grow_double", e->grow_double);
	json_u64(out, &first, "grow_same_size", e->grow_same_size);
	json_u64(out, &first, "growdone_released_bytes", e->growdone_released);
	json_u64(out, &first, "evacuate_cleared", e->evac_cleared);
	json_u64(out, &first, "evacuate_kept", e->evac_kept);
	json_u64(out, &first, "evacuate_noscan", e->evac_noscan);
	json_u64(out, &first, "iter_during_grow", e->iter_during_grow);
	json_u64(out, &first, "after_last_gc", e->after_last_gc);
	fputs("\n  }", out);
}

void
trace_write_json(FILE *out, const trace_log *log, const char *name)
{
	bool first = true;
	fputs("{\n  ", out);
	json_key(out, &first, "file");
	trace_json_string(out, name, strlen(name));
	json_u64(out, &first, "lines", log->lines);
	json_u64(out, &first, "skipped_lines", log->skipped);
	json_u64(out, &first, "long_lines", log->long_lines);
	json_u64(out, &first, "dropped_records", log->dropped);
	json_key(out, &first, "formats");
	fputc('[', out);
	bool f1 = true;
	for (int f = 0; f < TRACE_FORMAT_COUNT; f++) {
		if (log->sum.formats & (1u << f)) {
			fprintf(out, "%s\"%s\"", f1 ? "" : ",", trace_format_name((trace_format)f));
			f1 = false;
		}
	}
	fputs("],\n  \"cycles\": [", out);
	for (size_t i = 0; i < log->ncycles; i++) {
		fputs(i ? ",\n    " : "\n    ", out);
		json_cycle(out, log, &log->cycles[i]);
	}
	fputs(log->ncycles ? "\n  ],\n  \"summary\": " : "],\n  \"summary\": ", out);
	json_summary(out, log);
	fputs(",\n  \"events\": ", out);
	json_events(out, log);
	fprintf(out, ",\n  \"error_count\":%" PRIu64 ",\n  \"errors\": [", log->nerrors);
	size_t kept = log->nerrors < TRACE_MAX_ERRORS_KEPT ? (size_t)log->nerrors : TRACE_MAX_ERRORS_KEPT;
	for (size_t i = 0; i < kept; i++) {
		fprintf(out, "%s{\"line\":%" PRIu64 ",\"message\":", i ? ",\n    " : "\n    ", log->errors[i].line);
		trace_json_string(out, log->errors[i].msg, strlen(log->errors[i].msg));
		fputc('}', out);
	}
	fputs(kept ? "\n  ]\n}\n" : "]\n}\n", out);
}
