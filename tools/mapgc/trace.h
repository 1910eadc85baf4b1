/*
 * trace.h — `mapgc trace summary|csv|json|plot FILE|-` (DESIGN.md §7): the
 * outputs of a parsed trace (prefix trace_).
 *
 * Modules, one way (each only uses those above it):
 *   trace_parse.[ch]  lines → records; the fuzzable core, no allocation
 *   trace_log.[ch]    records → cycles, map lines, events, derived figures
 *   trace_out.c       summary text, CSV, JSON (this header)
 *   trace_chart.c     one SVG chart: axes, ticks, series, legend (trace_chart.h)
 *   trace_plot.c      the charts of a trace, the HTML report (this header)
 *   trace.c           the command line
 *
 * Outputs are deterministic (inv.deterministic): they depend only on the
 * input bytes and the display name, never on the time, the locale, the
 * working directory or addresses; times are printed from the integer
 * nanoseconds the parser produced, so goldens compare byte for byte.  The
 * display name is the input's base name ("stdin" for "-"), so outputs do not
 * carry absolute paths.
 *
 * CSV: a header row, then one row per gc line; the columns are listed by
 * `mapgc trace --help` from the same table that writes them (trace_out.c).
 * Empty cells: a field the line's form does not have (Go 1.5's scan phase
 * in a Go 1.19 line, stacks before Go 1.19), or no map line for the cycle.
 *
 * JSON: {"file", "lines", "skipped_lines", "long_lines", "dropped_records",
 * "formats", "cycles": [one object per gc line, in input order: n, t_s, heap_mb
 * [start, end, live], goal_mb, procs, forced (DESIGN.md §7, contract), and
 * line, run, format, cpu_pct, forced_by, clock_ms{phase}, cpu_ms{phase},
 * stw_ms, end_s, gc_cpu_ms, mark_cpu_ms, stacks_mb and globals_mb (go1.19),
 * interval_cpu_pct, mark_rate_mb_s, events{type: count} when the cycle
 * had any, map{…} when a map line follows, wb{n, t_s, mode, and every key of
 * the wb line} when a wb line follows], "summary" (with wb_lines,
 * wb_lines_matched, wb_other_mode_lines, wb_total{key: sum} and
 * wb_modes[{mode, lines, runs, key: sum}] only when the log has wb lines),
 * "events",
 * "error_count", "errors": [{line, message}, the first TRACE_MAX_ERRORS_KEPT]}.
 * Numbers read from the input are printed exactly (times as decimal ms or
 * s); derived ratios with three decimals, null when undefined.
 */
#ifndef MAPGC_TOOLS_TRACE_H
#define MAPGC_TOOLS_TRACE_H

#include <stdio.h>

#include "trace_log.h"

/* ---- exact number formatting (inv.deterministic) --------------------------- */

/* Nanoseconds as milliseconds / seconds, shortest exact decimal ("0.026",
 * "12", "0.001532"). */
char *trace_fmt_ms(char buf[32], uint64_t ns);
char *trace_fmt_s(char buf[32], uint64_t ns);
/* Nanoseconds as milliseconds / seconds with exactly three decimals,
 * rounded half up (for reading, not for data). */
char *trace_fmt_ms3(char buf[32], uint64_t ns);
char *trace_fmt_s3(char buf[32], uint64_t ns);

/* ---- text outputs (trace_out.c) ----------------------------------------------- */

void trace_write_summary(FILE *out, const trace_log *log, const char *name);
void trace_write_csv(FILE *out, const trace_log *log);
void trace_write_json(FILE *out, const trace_log *log, const char *name);
/* The CSV columns with their meaning, for --help. */
void trace_write_csv_columns(FILE *out);

/* A JSON string: UTF-8 checked (invalid bytes become U+FFFD), escaped. */
void trace_json_string(FILE *out, const char *s, size_t len);
/* Text for HTML/XML: &, <, >, " escaped; invalid UTF-8 becomes U+FFFD. */
void trace_xml_text(FILE *out, const char *s, size_t len);

/* ---- plots (trace_plot.c) -------------------------------------------------------- */

/* X(id, name, title): the charts, in report order. */
#define TRACE_CHART_LIST(X) \
	X(HEAP, "heap", "Heap over time") \
	X(PAUSES, "pauses", "Stop-the-world pauses per cycle") \
	X(CPU, "cpu", "GC CPU share over time") \
	X(EVAC, "evac", "Map evacuation progress") \
	X(ITER, "iter", "Iterator-held map memory") \
	X(WB, "wb", "Write barrier per cycle")

typedef enum trace_chart_id {
#define TRACE_X_ENUM(id, name, title) TRACE_CHART_##id,
	TRACE_CHART_LIST(TRACE_X_ENUM)
#undef TRACE_X_ENUM
	TRACE_CHART_COUNT
} trace_chart_id;

const char *trace_chart_name(trace_chart_id id);
/* By name; false if there is no such chart. */
bool trace_chart_find(const char *name, trace_chart_id *id);
/* Whether the trace has data for the chart (evac and iter need map lines,
 * wb needs wb lines). */
bool trace_chart_available(const trace_log *log, trace_chart_id id);

/* One chart as a standalone SVG document.  Returns 0, or an errno (ENOMEM). */
int trace_write_svg(FILE *out, const trace_log *log, trace_chart_id id, const char *name);

/*
 * The HTML report.  reach_dir: NULL, or a directory whose *.svg files
 * (`mapgc reach` pictures) are linked as thumbnails; the section is left
 * out when it has none.  Returns 0, or an errno: ENOMEM (nothing useful
 * written), or why reach_dir cannot be read (the report is written
 * without the section).
 */
int trace_write_html(FILE *out, const trace_log *log, const char *name, const char *reach_dir);

#endif /* MAPGC_TOOLS_TRACE_H */
