/*
 * fuzz_trace.c — libFuzzer target: bytes become a log for `mapgc trace`
 * (tools/mapgc/trace_parse.c, trace_log.c and the outputs), read, parsed,
 * summarised and written the way the command does it.
 *
 * WHAT IS FUZZED.  The input is one log file.  It is split into lines by
 * the reader over a FILE (fmemopen of the input: the path `mapgc trace
 * FILE` takes) and, in step, by the reader over memory; every line is fed
 * to a trace_log as trace.c's trace_read does, and also parsed on its own
 * with trace_parse_line.  Then trace_log_finish, and every output: the
 * summary, CSV, JSON, each available SVG chart and the HTML report.
 *
 * ORACLES (beyond ASan/UBSan: no crash, no read outside the input):
 *  - lines: both readers give the same lines, and both match a model
 *    computed here from the input bytes (numbers from 1, contents, lengths
 *    capped at TRACE_LINE_MAX with too_long and full_len, no_newline);
 *  - classification: a line starts like a trace record
 *    (trace_line_looks_like_trace) exactly when it parses at offset 0 as
 *    something, or is TRACE_MALFORMED; a malformed line has a message in
 *    plain ASCII that names a column within the line;
 *  - round trip: every gc, map, mapev and wb record, printed back in its
 *    own format (Go's gc line in the form it came in, DESIGN.md §5 for map
 *    and wb lines, a wb line's keys in the runtime's order) and parsed
 *    again, gives the same record; a record found after
 *    a prefix parses identically from its offset, and a mapev record
 *    with its pairs 64 KiB into the line as it is; absent phases are 0;
 *  - the log: one cycle per gc line, one map record per map line, one wb
 *    record per wb line, one event per mapev line, one error per malformed (or too long) trace
 *    line, each with its line number (> 0, the line's), in order; map
 *    and wb lines and cycles point at each other consistently; a wb
 *    mode's sums add up to the total; runs only start
 *    where the cycle number does not increase;
 *  - the summary: counts agree with the log, percentiles are ordered,
 *    MMU values are fractions or "n/a";
 *  - outputs: the JSON is one valid document (json.c, strict) whose
 *    "cycles" has one element per gc line and "errors" one per error kept;
 *    the CSV has a header and one row per cycle.
 * A violated oracle prints "fuzz_trace: DIVERGENCE: …" and aborts.
 *
 * NEGATIVE MODE (fuzz_common.h): MAPGC_FUZZ_BREAK=trace-roundtrip prints
 * every gc line back with its goal one higher (the round trip must catch
 * it), and MAPGC_FUZZ_BREAK=trace-roundtrip-wb every wb line with its
 * first field one higher; MAPGC_FUZZ_BREAK=trace-lineno expects every
 * error one line later than the reader's line number (the error-line
 * oracle must catch it).
 * ctest fuzz/negative_trace replays corpus files in both modes.
 */
#include "tools/mapgc/trace.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

const char *const fzc_target = "fuzz_trace";

/* The two readers hold 68 KiB each: kept out of the stack. */
static trace_reader ft_file_reader, ft_mem_reader;

/* What the input holds, line by line, counted by this file. */
typedef struct ft_counts {
	uint64_t lines, gc, map, mapev, wb, none, errors, long_lines;
} ft_counts;

/* ---- lines ---------------------------------------------------------------- */

static void
ft_same_line(const trace_line *a, const trace_line *b, const char *what)
{
	if (a->no != b->no || a->len != b->len || a->too_long != b->too_long || a->full_len != b->full_len ||
	    a->no_newline != b->no_newline || memcmp(a->p, b->p, a->len) != 0)
		fzc_diverge("line %" PRIu64 ": the %s reader gives another line (%zu bytes of %" PRIu64
			", too_long %d, no_newline %d) than the model (%zu of %" PRIu64 ", %d, %d)", b->no, what,
			a->len, a->full_len, a->too_long, a->no_newline, b->len, b->full_len, b->too_long,
			b->no_newline);
}

/* The next line of data[*pos, size) as the reader must give it. */
static trace_line
ft_model_line(const uint8_t *data, size_t size, size_t *pos, uint64_t no)
{
	const uint8_t *start = data + *pos;
	const uint8_t *nl = memchr(start, '\n', size - *pos);
	size_t full = nl ? (size_t)(nl - start) : size - *pos;

	*pos += full + (nl ? 1 : 0);
	return (trace_line){
		.p = (const char *)start,
		.len = full < TRACE_LINE_MAX ? full : TRACE_LINE_MAX,
		.no = no,
		.too_long = full > TRACE_LINE_MAX,
		.full_len = full,
		.no_newline = nl == NULL,
	};
}

/* ---- printing records back ------------------------------------------------- */

/* Times v[order[0]], v[order[1]], … as milliseconds, seps[k] between the
 * k-th and the next. */
static void
ft_put_times(FILE *f, const uint64_t *v, const int *order, size_t n, const char *seps)
{
	char b[32];

	for (size_t k = 0; k < n; k++) {
		if (k)
			fputc(seps[k - 1], f);
		fputs(trace_fmt_ms(b, v[order[k]]), f);
	}
}

/* A gc record as Go (or mapgc) prints it, in the record's own form. */
static void
ft_print_gc(FILE *f, const trace_gc *g)
{
	static const int clock15[] = { TRACE_CLOCK_SWEEP_TERM, TRACE_CLOCK_SCAN, TRACE_CLOCK_INSTALL_WB,
		TRACE_CLOCK_MARK, TRACE_CLOCK_MARK_TERM };
	static const int clock16[] = { TRACE_CLOCK_SWEEP_TERM, TRACE_CLOCK_MARK, TRACE_CLOCK_MARK_TERM };
	static const int cpu15[] = { TRACE_CPU_SWEEP_TERM, TRACE_CPU_SCAN, TRACE_CPU_INSTALL_WB, TRACE_CPU_ASSIST,
		TRACE_CPU_BACKGROUND, TRACE_CPU_IDLE, TRACE_CPU_MARK_TERM };
	static const int cpu16[] = { TRACE_CPU_SWEEP_TERM, TRACE_CPU_ASSIST, TRACE_CPU_BACKGROUND, TRACE_CPU_IDLE,
		TRACE_CPU_MARK_TERM };
	bool go15 = g->format == TRACE_FORMAT_GO15;
	char b[32];

	fprintf(f, "gc %s%" PRIu64 " @%ss %" PRIu64 "%%: ", g->hash ? "#" : "", g->n, trace_fmt_s(b, g->t_ns),
		g->cpu_pct);
	if (go15)
		ft_put_times(f, g->clock_ns, clock15, 5, "++++");
	else
		ft_put_times(f, g->clock_ns, clock16, 3, "++");
	fputs(" ms clock, ", f);
	if (go15)
		ft_put_times(f, g->cpu_ns, cpu15, 7, "+++//+");
	else
		ft_put_times(f, g->cpu_ns, cpu16, 5, "+//+");
	uint64_t goal = g->goal_mb + (fzc_break("trace-roundtrip") ? 1 : 0);
	fprintf(f, " ms cpu, %" PRIu64 "->%" PRIu64 "->%" PRIu64 " MB, %" PRIu64 " MB goal, ", g->heap_mb[0],
		g->heap_mb[1], g->heap_mb[2], goal);
	if (g->format == TRACE_FORMAT_GO119)
		fprintf(f, "%" PRIu64 " MB stacks, %" PRIu64 " MB globals, ", g->stacks_mb, g->globals_mb);
	fprintf(f, "%" PRIu64 " P%s", g->procs, g->forced ? " (forced)" : "");
}

/* A map record as maptrace=1 prints it (DESIGN.md §5). */
static void
ft_print_map(FILE *f, const trace_map *m)
{
	static const char *const after[TRACE_MAP_FIELD_COUNT] = {
#define FT_X_AFTER(id, name, text, desc) [TRACE_MAP_##id] = text,
		TRACE_MAP_FIELD_LIST(FT_X_AFTER)
#undef FT_X_AFTER
	};
	char b[32];

	fprintf(f, "map %" PRIu64 " @%ss: ", m->n, trace_fmt_s(b, m->t_ns));
	for (int k = 0; k < TRACE_MAP_FIELD_COUNT; k++)
		fprintf(f, "%" PRIu64 "%s", m->v[k], after[k]);
}

/* A wb record as wbtrace=1 prints it (DESIGN.md §5). */
static void
ft_print_wb(FILE *f, const trace_wb *w)
{
	char b[32];

	fprintf(f, "wb %" PRIu64 " @%ss: mode=%s", w->n, trace_fmt_s(b, w->t_ns), w->mode);
	for (int k = 0; k < TRACE_WB_FIELD_COUNT; k++)
		fprintf(f, " %s=%" PRIu64, trace_wb_field_name((trace_wb_field)k),
			w->v[k] + (k == 0 && fzc_break("trace-roundtrip-wb") ? 1 : 0));
}

static void
ft_print_mapev(FILE *f, const trace_mapev *ev, const char *line)
{
	fprintf(f, "mapev %s m#%" PRIu64, ev->name, ev->map_id);
	for (size_t i = 0; i < ev->npairs; i++) {   /* values may hold NULs: fwrite */
		fputc(' ', f);
		fwrite(line + ev->pair[i].key_off, 1, ev->pair[i].key_len, f);
		fputc('=', f);
		fwrite(line + ev->pair[i].val_off, 1, ev->pair[i].val_len, f);
	}
}

/* Whether two mapev records, of lines la and lb, say the same. */
static bool
ft_same_mapev(const trace_mapev *a, const char *la, const trace_mapev *b, const char *lb)
{
	if (strcmp(a->name, b->name) != 0 || a->map_id != b->map_id || a->npairs != b->npairs)
		return false;
	for (size_t i = 0; i < a->npairs; i++)
		if (a->pair[i].key_len != b->pair[i].key_len || a->pair[i].val_len != b->pair[i].val_len ||
		    memcmp(la + a->pair[i].key_off, lb + b->pair[i].key_off, a->pair[i].key_len) != 0 ||
		    memcmp(la + a->pair[i].val_off, lb + b->pair[i].val_off, a->pair[i].val_len) != 0)
			return false;
	return true;
}

/* Whether two records of one kind, of lines la and lb, say the same. */
static bool
ft_same_record(const trace_record *a, const char *la, const trace_record *b, const char *lb)
{
	switch (a->kind) {
	case TRACE_GC:
		return memcmp(&a->u.gc, &b->u.gc, sizeof a->u.gc) == 0;   /* parse_gc zeroes it first */
	case TRACE_MAP:
		return memcmp(&a->u.map, &b->u.map, sizeof a->u.map) == 0;
	case TRACE_WB:
		return memcmp(&a->u.wb, &b->u.wb, sizeof a->u.wb) == 0;   /* parse_wb zeroes it first */
	case TRACE_MAPEV:
		return ft_same_mapev(&a->u.ev, la, &b->u.ev, lb);
	default:
		return true;
	}
}

/* ---- one line on its own ----------------------------------------------------- */

/* A malformed line's message: printable ASCII, "… at column N, found …"
 * with N within the line. */
static void
ft_check_message(const trace_line *line, const char *err)
{
	size_t n = strnlen(err, TRACE_ERR_MAX);
	if (n == 0 || n == TRACE_ERR_MAX)
		fzc_diverge("line %" PRIu64 ": malformed, with %s message", line->no, n ? "an unterminated" : "no");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] > 0x7e)
			fzc_diverge("line %" PRIu64 ": byte 0x%02x in the message \"%s\"", line->no,
				(unsigned char)err[i], err);
	const char *at = strstr(err, " at column ");
	unsigned long long col = 0;
	if (at == NULL || sscanf(at, " at column %llu, found ", &col) != 1 || col == 0 || col > line->len + 1)
		fzc_diverge("line %" PRIu64 " (%zu bytes): the message \"%s\" names no column within the line",
			line->no, line->len, err);
}

/* Prints rec (of line) back and parses the result: the same record. */
static void
ft_round_trip(const trace_line *line, const trace_record *rec)
{
	char *buf;
	size_t len;
	FILE *f = fzc_capture_begin(&buf, &len);
	const char *src = line->p;

	switch (rec->kind) {
	case TRACE_GC: ft_print_gc(f, &rec->u.gc); break;
	case TRACE_MAP: ft_print_map(f, &rec->u.map); break;
	case TRACE_WB: ft_print_wb(f, &rec->u.wb); break;
	case TRACE_MAPEV: ft_print_mapev(f, &rec->u.ev, src); break;
	default: fclose(f); free(buf); return;
	}
	fzc_capture_end(f, &buf);
	trace_record again;
	trace_kind k = trace_parse_line(buf, len, &again);
	if (k != rec->kind || again.offset != 0 || !ft_same_record(rec, src, &again, buf))
		fzc_diverge("line %" PRIu64 ": record printed back as \"%s\" parses as kind %d%s%s (was %d)", line->no,
			buf, (int)k, k == TRACE_MALFORMED ? ": " : ", another record", k == TRACE_MALFORMED ? again.err : "",
			(int)rec->kind);
	free(buf);
}

/* Blanks before the pairs in ft_check_far: past what 16 bits can count.
 * Parsing them costs ~1 ms in the fuzz build, so only the first
 * FT_FAR_PER_INPUT mapev lines of an input are checked so. */
#define FT_FAR ((size_t)UINT16_MAX + 1)
#define FT_FAR_PER_INPUT 2

/* A mapev record with FT_FAR blanks between its map id and its pairs (a
 * line the reader could not give: trace_parse_line takes any length) says
 * the same.  Its pairs are offsets into the line: they wrapped at 64 KiB. */
static void
ft_check_far(const trace_line *line, const trace_record *rec)
{
	static char far[64 + FT_FAR + TRACE_LINE_MAX];
	const trace_mapev *ev = &rec->u.ev;
	size_t o = (size_t)snprintf(far, 64, "mapev %s m#%" PRIu64, ev->name, ev->map_id);
	trace_record again;

	memset(far + o, ' ', FT_FAR);
	o += FT_FAR;
	for (size_t i = 0; i < ev->npairs; i++) {   /* within the line's length, separators included */
		far[o++] = ' ';
		memcpy(far + o, line->p + ev->pair[i].key_off, ev->pair[i].key_len);
		o += ev->pair[i].key_len;
		far[o++] = '=';
		memcpy(far + o, line->p + ev->pair[i].val_off, ev->pair[i].val_len);
		o += ev->pair[i].val_len;
	}
	if (trace_parse_line(far, o, &again) != TRACE_MAPEV || again.offset != 0 ||
	    !ft_same_record(rec, line->p, &again, far))
		fzc_diverge("line %" PRIu64 ": the mapev record parses differently with its pairs %zu bytes on (kind %d)",
			line->no, FT_FAR, (int)again.kind);
}

/* Absent phases and stacks are zero; the form matches what is present. */
static void
ft_check_gc_fields(const trace_line *line, const trace_gc *g)
{
	for (int c = 0; c < TRACE_CLOCK_COUNT; c++)
		if (!trace_has_clock(g->format, (trace_clock)c) && g->clock_ns[c] != 0)
			fzc_diverge("line %" PRIu64 ": %s line with a %s clock time", line->no,
				trace_format_name(g->format), trace_clock_name((trace_clock)c));
	for (int c = 0; c < TRACE_CPU_COUNT; c++)
		if (!trace_has_cpu(g->format, (trace_cpu)c) && g->cpu_ns[c] != 0)
			fzc_diverge("line %" PRIu64 ": %s line with a %s CPU time", line->no,
				trace_format_name(g->format), trace_cpu_name((trace_cpu)c));
	if (g->format != TRACE_FORMAT_GO119 && (g->stacks_mb != 0 || g->globals_mb != 0))
		fzc_diverge("line %" PRIu64 ": %s line with stacks or globals", line->no, trace_format_name(g->format));
	if ((unsigned)g->format >= TRACE_FORMAT_COUNT)
		fzc_diverge("line %" PRIu64 ": format %d", line->no, (int)g->format);
}

/* Parses one line alone and checks the record; returns its kind.
 * *far_checks counts the input's ft_check_far calls. */
static trace_kind
ft_check_line(const trace_line *line, unsigned *far_checks)
{
	trace_record rec;
	trace_kind k = trace_parse_line(line->p, line->len, &rec);
	bool looks = trace_line_looks_like_trace(line->p, line->len);

	if (k != rec.kind)
		fzc_diverge("line %" PRIu64 ": trace_parse_line returned %d, the record says %d", line->no, (int)k,
			(int)rec.kind);
	if (looks != (k != TRACE_NONE && rec.offset == 0))
		fzc_diverge("line %" PRIu64 ": starts like a trace line: %d, but parsed as kind %d at offset %zu",
			line->no, looks, (int)k, rec.offset);
	if (k == TRACE_MALFORMED) {
		ft_check_message(line, rec.err);
		return k;
	}
	if (k == TRACE_NONE)
		return k;
	if (rec.offset >= line->len)
		fzc_diverge("line %" PRIu64 ": record at offset %zu of %zu bytes", line->no, rec.offset, line->len);
	if (k == TRACE_MAPEV) {
		for (size_t i = 0; i < rec.u.ev.npairs; i++)
			if (rec.u.ev.pair[i].key_off + rec.u.ev.pair[i].key_len > line->len ||
			    rec.u.ev.pair[i].val_off + rec.u.ev.pair[i].val_len > line->len)
				fzc_diverge("line %" PRIu64 ": mapev pair %zu lies outside the line", line->no, i);
		if (++*far_checks <= FT_FAR_PER_INPUT)
			ft_check_far(line, &rec);
	}
	if (k == TRACE_GC)
		ft_check_gc_fields(line, &rec.u.gc);
	if (rec.offset > 0) {   /* the record alone, without its prefix */
		trace_record alone;
		const char *p = line->p + rec.offset;
		if (trace_parse_line(p, line->len - rec.offset, &alone) != k || alone.offset != 0 ||
		    !ft_same_record(&rec, line->p, &alone, p))
			fzc_diverge("line %" PRIu64 ": the record at offset %zu parses differently without its prefix",
				line->no, rec.offset);
	}
	ft_round_trip(line, &rec);
	return k;
}

/* ---- the log ------------------------------------------------------------------- */

static void
ft_check_log(const trace_log *log, const ft_counts *n)
{
	if (log->nwbs != n->wb)
		fzc_diverge("the log has %zu wb records, the lines %" PRIu64, log->nwbs, n->wb);
	if (log->lines != n->lines || log->ncycles != n->gc || log->nmaps != n->map || log->ev.total != n->mapev ||
	    log->nerrors != n->errors || log->skipped != n->none || log->long_lines != n->long_lines ||
	    log->dropped != 0)
		fzc_diverge("the log counts %" PRIu64 " lines, %zu cycles, %zu map lines, %" PRIu64 " events, %" PRIu64
			" errors, %" PRIu64 " skipped (%" PRIu64 " long); the lines hold %" PRIu64 ", %" PRIu64 ", %" PRIu64
			", %" PRIu64 ", %" PRIu64 ", %" PRIu64 " (%" PRIu64 ")", log->lines, log->ncycles, log->nmaps,
			log->ev.total, log->nerrors, log->skipped, log->long_lines, n->lines, n->gc, n->map, n->mapev,
			n->errors, n->none, n->long_lines);
	for (size_t i = 0; i < log->ncycles; i++) {
		const trace_cycle *c = &log->cycles[i];
		const trace_cycle *prev = i > 0 ? &log->cycles[i - 1] : NULL;
		if (c->line == 0 || c->line > n->lines || (prev != NULL && c->line <= prev->line))
			fzc_diverge("cycle %zu: line %" PRIu64 " (of %" PRIu64 ") out of order", i, c->line, n->lines);
		uint32_t want_run = prev == NULL ? 0 : prev->run + (c->gc.n <= prev->gc.n);
		if (c->run != want_run)
			fzc_diverge("cycle %zu (gc %" PRIu64 "): run %" PRIu32 ", want %" PRIu32, i, c->gc.n, c->run, want_run);
		if (c->map != TRACE_NO_INDEX &&
		    (c->map >= log->nmaps || log->maps[c->map].cycle != i || log->maps[c->map].m.n != c->gc.n))
			fzc_diverge("cycle %zu: its map line %zu does not point back", i, c->map);
		if (c->wb != TRACE_NO_INDEX &&
		    (c->wb >= log->nwbs || log->wbs[c->wb].cycle != i || log->wbs[c->wb].w.n != c->gc.n))
			fzc_diverge("cycle %zu: its wb line %zu does not point back", i, c->wb);
		if (c->gc.forced != (c->forced_by != TRACE_FORCED_NO))
			fzc_diverge("cycle %zu: forced %d but forced_by %d", i, c->gc.forced, (int)c->forced_by);
	}
	for (size_t i = 0; i < log->nmaps; i++) {
		const trace_map_rec *m = &log->maps[i];
		if (m->cycle != TRACE_NO_INDEX && (m->cycle >= log->ncycles || log->cycles[m->cycle].map != i))
			fzc_diverge("map line %zu (line %" PRIu64 "): its cycle %zu does not point back", i, m->line, m->cycle);
	}
	for (size_t i = 0; i < log->nwbs; i++) {
		const trace_wb_rec *w = &log->wbs[i];
		if (w->cycle != TRACE_NO_INDEX && (w->cycle >= log->ncycles || log->cycles[w->cycle].wb != i))
			fzc_diverge("wb line %zu (line %" PRIu64 "): its cycle %zu does not point back", i, w->line, w->cycle);
	}
	uint64_t by_type = 0;
	for (int e = 0; e < TRACE_EVENT_COUNT; e++)
		by_type += log->ev.by_type[e];
	if (by_type != log->ev.total)
		fzc_diverge("events: %" PRIu64 " by type, %" PRIu64 " in all", by_type, log->ev.total);
}

/* Every kept error: a line number > 0 within the input, in order. */
static void
ft_check_errors(const trace_log *log, const uint64_t *lines, uint64_t nlines)
{
	size_t kept = log->nerrors < TRACE_MAX_ERRORS_KEPT ? (size_t)log->nerrors : TRACE_MAX_ERRORS_KEPT;
	uint64_t shift = fzc_break("trace-lineno") ? 1 : 0;

	for (size_t i = 0; i < kept; i++) {
		const trace_error *e = &log->errors[i];
		if (e->line == 0 || e->line > nlines || e->line != lines[i] + shift || e->msg[0] == '\0')
			fzc_diverge("error %zu: line %" PRIu64 " (want %" PRIu64 " > 0, of %" PRIu64 "), message \"%s\"", i,
				e->line, lines[i] + shift, nlines, e->msg);
	}
}

static void
ft_check_summary(const trace_log *log)
{
	const trace_summary *s = &log->sum;

	if (s->cycles != log->ncycles || s->map_lines != log->nmaps ||
	    s->runs != (log->ncycles ? log->cycles[log->ncycles - 1].run + 1 : 0) || s->forced < s->forced_sysmon ||
	    s->forced > s->cycles)
		fzc_diverge("summary: %zu cycles, %zu map lines, %" PRIu32 " runs, %zu forced (%zu by sysmon) for a log"
			" of %zu cycles and %zu map lines", s->cycles, s->map_lines, s->runs, s->forced, s->forced_sysmon,
			log->ncycles, log->nmaps);
	if (log->ncycles == 0)
		return;
	if (s->stw_p50_ns > s->stw_p99_ns || s->stw_p99_ns > s->stw_max_ns)
		fzc_diverge("summary: pauses p50 %" PRIu64 " > p99 %" PRIu64 " or > max %" PRIu64, s->stw_p50_ns,
			s->stw_p99_ns, s->stw_max_ns);
	for (int h = 0; h < 3; h++)
		if (s->heap[h].min > s->heap[h].median || s->heap[h].median > s->heap[h].max)
			fzc_diverge("summary: heap[%d] min %" PRIu64 " median %" PRIu64 " max %" PRIu64 " out of order", h,
				s->heap[h].min, s->heap[h].median, s->heap[h].max);
	for (int k = 0; k < TRACE_MMU_WINDOWS; k++)
		if (!(s->mmu[k] < 0 || (s->mmu[k] >= 0 && s->mmu[k] <= 1)))
			fzc_diverge("summary: MMU[%d] = %g is not a fraction", k, s->mmu[k]);
}

/* Per-mode wb sums add up to the totals (unless a sum saturated), and the
 * modes' lines to the log's. */
static void
ft_check_wb_summary(const trace_log *log)
{
	const trace_summary *s = &log->sum;
	size_t lines = s->wb_other_lines;
	for (size_t k = 0; k < s->wb_nmodes; k++)
		lines += s->wb_modes[k].lines;
	if (s->wb_lines != log->nwbs || lines != log->nwbs || s->wb_matched > s->wb_lines)
		fzc_diverge("summary: %zu wb lines (%zu by mode, %zu matched) for %zu records", s->wb_lines, lines,
			s->wb_matched, log->nwbs);
	for (int f = 0; f < TRACE_WB_FIELD_COUNT && s->wb_other_lines == 0; f++) {
		uint64_t sum = 0;
		bool saturated = s->wb_total[f] == UINT64_MAX;
		for (size_t k = 0; k < s->wb_nmodes; k++) {
			saturated |= sum > UINT64_MAX - s->wb_modes[k].sum[f];
			sum += s->wb_modes[k].sum[f];
		}
		if (!saturated && sum != s->wb_total[f])
			fzc_diverge("summary: wb %s sums to %" PRIu64 " over the modes, the total says %" PRIu64,
				trace_wb_field_name((trace_wb_field)f), sum, s->wb_total[f]);
	}
}

/* ---- outputs ------------------------------------------------------------------------ */

static void
ft_check_outputs(const trace_log *log)
{
	char *buf, why[320];
	size_t len, n[2];
	FILE *f;

	f = fzc_capture_begin(&buf, &len);
	trace_write_summary(f, log, "fuzz.log");
	free(fzc_capture_end(f, &buf));

	f = fzc_capture_begin(&buf, &len);
	trace_write_csv(f, log);
	fzc_capture_end(f, &buf);
	size_t rows = 0;
	for (size_t i = 0; i < len; i++)
		rows += buf[i] == '\n';
	if (rows != log->ncycles + 1)
		fzc_diverge("CSV: %zu lines for %zu cycles", rows, log->ncycles);
	free(buf);

	f = fzc_capture_begin(&buf, &len);
	trace_write_json(f, log, "fuzz.log");
	fzc_capture_end(f, &buf);
	static const char *const keys[] = { "cycles", "errors" };
	if (!fzc_json_ok(buf, len, keys, n, 2, why, sizeof why))
		fzc_diverge("JSON output is not valid JSON: %s", why);
	size_t kept = log->nerrors < TRACE_MAX_ERRORS_KEPT ? (size_t)log->nerrors : TRACE_MAX_ERRORS_KEPT;
	if (n[0] != log->ncycles || n[1] != kept)
		fzc_diverge("JSON output: %zu cycles for %zu gc lines, %zu errors for %zu kept", n[0], log->ncycles, n[1],
			kept);
	free(buf);

	for (int id = 0; id < TRACE_CHART_COUNT; id++) {
		if (!trace_chart_available(log, (trace_chart_id)id))
			continue;
		f = fzc_capture_begin(&buf, &len);
		if (trace_write_svg(f, log, (trace_chart_id)id, "fuzz.log") != 0)
			fzc_diverge("SVG %s failed", trace_chart_name((trace_chart_id)id));
		free(fzc_capture_end(f, &buf));
	}
	f = fzc_capture_begin(&buf, &len);
	if (trace_write_html(f, log, "fuzz.log", NULL) != 0)
		fzc_diverge("HTML report failed");
	free(fzc_capture_end(f, &buf));
}

/* ---- the entry points ------------------------------------------------------------ */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fzc_touch_input(data, size);
	/* glibc's fmemopen refuses a zero size; an empty file reads as no lines. */
	FILE *in = size > 0 ? fmemopen((void *)(uintptr_t)data, size, "rb") : fopen("/dev/null", "rb");
	if (in == NULL)
		fzc_diverge("cannot open the input as a stream");
	trace_reader_init_file(&ft_file_reader, in);
	trace_reader_init_mem(&ft_mem_reader, data, size);

	trace_log *log = malloc(sizeof *log);
	uint64_t *err_lines = malloc(TRACE_MAX_ERRORS_KEPT * sizeof *err_lines);
	if (log == NULL || err_lines == NULL)
		fzc_diverge("out of memory");
	trace_log_init(log);
	ft_counts n = {0};
	size_t pos = 0;
	unsigned far_checks = 0;
	char msg[TRACE_ERR_MAX + 64];
	trace_line line, mline;
	int got;

	while ((got = trace_reader_next(&ft_file_reader, &line)) > 0) {
		trace_line model = ft_model_line(data, size, &pos, n.lines + 1);
		if (trace_reader_next(&ft_mem_reader, &mline) != 1)
			fzc_diverge("line %" PRIu64 ": the memory reader ended early", line.no);
		ft_same_line(&model, &line, "file");
		ft_same_line(&model, &mline, "memory");
		n.lines++;

		trace_kind k = TRACE_NONE;
		bool want_error;
		if (line.too_long) {
			want_error = trace_line_looks_like_trace(line.p, line.len);
			n.long_lines += !want_error;
		} else {
			k = ft_check_line(&line, &far_checks);
			want_error = k == TRACE_MALFORMED;
		}
		bool ok = trace_log_feed(log, &line, msg, sizeof msg);
		if (ok == want_error || (!ok && msg[0] == '\0'))
			fzc_diverge("line %" PRIu64 ": trace_log_feed says %s (\"%s\"), the line is %s", line.no,
				ok ? "fine" : "error", msg, want_error ? "an error" : "fine");
		if (!ok && n.errors < TRACE_MAX_ERRORS_KEPT)
			err_lines[n.errors] = line.no;
		n.errors += !ok;
		n.gc += k == TRACE_GC;
		n.map += k == TRACE_MAP;
		n.mapev += k == TRACE_MAPEV;
		n.wb += k == TRACE_WB;
		n.none += k == TRACE_NONE && !want_error;
	}
	if (got < 0)
		fzc_diverge("read error on a memory stream: %s", strerror(ft_file_reader.error));
	if (trace_reader_next(&ft_mem_reader, &mline) != 0 || pos != size)
		fzc_diverge("the memory reader has lines after the file reader's last (%" PRIu64 ")", n.lines);
	fclose(in);

	ft_check_log(log, &n);
	ft_check_errors(log, err_lines, n.lines);
	trace_log_finish(log);
	ft_check_summary(log);
	ft_check_wb_summary(log);
	ft_check_outputs(log);
	trace_log_free(log);
	free(log);
	free(err_lines);
	return 0;
}
