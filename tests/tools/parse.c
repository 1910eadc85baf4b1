/*
 * parse.c — the gctrace/maptrace line parser and the line reader
 * (tools/mapgc/trace_parse.h): every form with exact fields, "GC forced",
 * prefixes, blanks, what is passed over, malformed lines with their
 * messages and columns, hostile bytes, limits, and the reader's edges.
 */
#include "tests/tools/trace_test.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#define MS UINT64_C(1000000)
#define US UINT64_C(1000)

static trace_record rec;

static trace_kind parse(const char *line)
{
	return trace_parse_line(line, strlen(line), &rec);
}

Test(trace_parse, go119_line)
{
	const char *line = "gc 3 @0.008s 8%: 0.075+7.1+0.20 ms clock, 0.15+0.044/1.1/0.45+0.41 ms cpu, "
	                   "13->47->47 MB, 16 MB goal, 1 MB stacks, 2 MB globals, 2 P (forced)";
	cr_assert_eq(parse(line), TRACE_GC, "%s", rec.err);
	const trace_gc *g = &rec.u.gc;
	cr_assert_eq(g->format, TRACE_FORMAT_GO119);
	cr_assert_eq(g->n, 3);
	cr_assert_eq(g->t_ns, 8 * MS);
	cr_assert_eq(g->cpu_pct, 8);
	cr_assert_eq(g->clock_ns[TRACE_CLOCK_SWEEP_TERM], 75 * US);
	cr_assert_eq(g->clock_ns[TRACE_CLOCK_MARK], 7100 * US);
	cr_assert_eq(g->clock_ns[TRACE_CLOCK_MARK_TERM], 200 * US);
	cr_assert_eq(g->clock_ns[TRACE_CLOCK_SCAN], 0);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_SWEEP_TERM], 150 * US);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_ASSIST], 44 * US);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_BACKGROUND], 1100 * US);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_IDLE], 450 * US);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_MARK_TERM], 410 * US);
	cr_assert_eq(g->heap_mb[0], 13);
	cr_assert_eq(g->heap_mb[1], 47);
	cr_assert_eq(g->heap_mb[2], 47);
	cr_assert_eq(g->goal_mb, 16);
	cr_assert_eq(g->stacks_mb, 1);
	cr_assert_eq(g->globals_mb, 2);
	cr_assert_eq(g->procs, 2);
	cr_assert(g->forced);
	cr_assert(!g->hash);
	cr_assert_eq(rec.offset, 0);
}

Test(trace_parse, go16_line)
{
	cr_assert_eq(parse("gc 1 @0.012s 2%: 0.026+0.39+0.015 ms clock, 0.10+0.24/0.35/0.38+0.062 ms cpu, "
	                   "4->4->0 MB, 5 MB goal, 4 P"), TRACE_GC, "%s", rec.err);
	const trace_gc *g = &rec.u.gc;
	cr_assert_eq(g->format, TRACE_FORMAT_GO16);
	cr_assert_eq(g->procs, 4);
	cr_assert_eq(g->goal_mb, 5);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_SWEEP_TERM], 100 * US);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_MARK_TERM], 62 * US);
	cr_assert(!g->forced);
	cr_assert_eq(g->stacks_mb, 0);
}

Test(trace_parse, go15_line)
{
	const char *line = "gc 49 @4.380s 0%: 4.8+5.2+0.54+0.35+0.60 ms clock, 19+5.2+0+4.5/0.006/7.2+2.4 ms cpu, "
	                   "124->125->58 MB, 130 MB goal, 32 P";
	cr_assert_eq(parse(line), TRACE_GC, "%s", rec.err);
	const trace_gc *g = &rec.u.gc;
	cr_assert_eq(g->format, TRACE_FORMAT_GO15);
	cr_assert_eq(g->t_ns, 4380 * MS);
	cr_assert_eq(g->clock_ns[TRACE_CLOCK_SWEEP_TERM], 4800 * US);
	cr_assert_eq(g->clock_ns[TRACE_CLOCK_SCAN], 5200 * US);
	cr_assert_eq(g->clock_ns[TRACE_CLOCK_INSTALL_WB], 540 * US);
	cr_assert_eq(g->clock_ns[TRACE_CLOCK_MARK], 350 * US);
	cr_assert_eq(g->clock_ns[TRACE_CLOCK_MARK_TERM], 600 * US);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_SWEEP_TERM], 19 * MS);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_SCAN], 5200 * US);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_INSTALL_WB], 0);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_ASSIST], 4500 * US);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_BACKGROUND], 6 * US);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_IDLE], 7200 * US);
	cr_assert_eq(g->cpu_ns[TRACE_CPU_MARK_TERM], 2400 * US);
	cr_assert_eq(g->procs, 32);

	/* Go 1.5's documented "gc #N" form, and a forced (all-STW) cycle */
	cr_assert_eq(parse("gc #59 @5.182s 0%: 0.092+0+0+0+6.8 ms clock, 0.37+0+0+4.1/0.025/5.8+27 ms cpu, "
	                   "79->79->79 MB, 79 MB goal, 32 P (forced)"), TRACE_GC, "%s", rec.err);
	cr_assert(rec.u.gc.hash);
	cr_assert_eq(rec.u.gc.n, 59);
	cr_assert(rec.u.gc.forced);
	cr_assert_eq(rec.u.gc.clock_ns[TRACE_CLOCK_MARK_TERM], 6800 * US);
}

Test(trace_parse, phases_by_format)
{
	cr_assert(trace_has_clock(TRACE_FORMAT_GO15, TRACE_CLOCK_SCAN));
	cr_assert(!trace_has_clock(TRACE_FORMAT_GO16, TRACE_CLOCK_SCAN));
	cr_assert(!trace_has_cpu(TRACE_FORMAT_GO119, TRACE_CPU_INSTALL_WB));
	cr_assert(trace_has_cpu(TRACE_FORMAT_GO119, TRACE_CPU_IDLE));
	cr_assert_str_eq(trace_format_name(TRACE_FORMAT_GO119), "go1.19");
	cr_assert_str_eq(trace_format_name(TRACE_FORMAT_GO15), "go1.5");
	cr_assert_str_eq(trace_clock_name(TRACE_CLOCK_MARK_TERM), "mark_term");
}

Test(trace_parse, gc_forced_line)
{
	cr_assert_eq(parse("GC forced"), TRACE_GC_FORCED);
	cr_assert_eq(parse("GC forced\r"), TRACE_GC_FORCED);
	cr_assert_eq(parse("Jan 01 00:00:00 host app: GC forced"), TRACE_GC_FORCED);
	cr_assert_eq(parse("GC forced by the user"), TRACE_NONE);
	cr_assert_eq(parse("GC"), TRACE_NONE);
}

Test(trace_parse, map_line)
{
	cr_assert_eq(parse("map 36 @0.023s: 3 maps, 2 growing (1 same-size), 4 iters: 2048+512 buckets new+old, "
	                   "100/512 evacuated, 1182+7 overflow new+old, 1 iter-only arrays 185 KB, tophash "
	                   "13184/3507/9149/3335/3321/3400 full/emptyOne/emptyRest/evacX/evacY/evacEmpty"),
	             TRACE_MAP, "%s", rec.err);
	const trace_map *m = &rec.u.map;
	cr_assert_eq(m->n, 36);
	cr_assert_eq(m->t_ns, 23 * MS);
	uint64_t want[TRACE_MAP_FIELD_COUNT] = { 3, 2, 1, 4, 2048, 512, 100, 512, 1182, 7, 1, 185,
		                                 13184, 3507, 9149, 3335, 3321, 3400 };
	for (int f = 0; f < TRACE_MAP_FIELD_COUNT; f++)
		cr_assert_eq(m->v[f], want[f], "field %s", trace_map_field_name((trace_map_field)f));
	cr_assert_str_eq(trace_map_field_name(TRACE_MAP_EVAC_OF), "evac_of");
}

/* The wb line of wbtrace=1, every key from the runtime's own list. */
Test(trace_parse, wb_line)
{
	cr_assert_eq(parse("wb 7 @1.250s: mode=dijkstra slow=105202 shaded_old=0 shaded_new=6667 buffered=0 "
	                   "flushes=0 rescan_kb=2 floating_kb=302"),
	             TRACE_WB, "%s", rec.err);
	const trace_wb *w = &rec.u.wb;
	cr_assert_eq(w->n, 7);
	cr_assert_eq(w->t_ns, 1250 * MS);
	cr_assert_str_eq(w->mode, "dijkstra");
	uint64_t want[TRACE_WB_FIELD_COUNT] = { 105202, 0, 6667, 0, 0, 2, 302 };
	for (int f = 0; f < TRACE_WB_FIELD_COUNT; f++)
		cr_assert_eq(w->v[f], want[f], "field %s", trace_wb_field_name((trace_wb_field)f));
	cr_assert_str_eq(trace_wb_field_name(TRACE_WB_floating_bytes), "floating_kb");
	cr_assert_str_eq(trace_wb_field_name(TRACE_WB_slow), "slow");
	/* Any order; keys it does not know are passed over, whatever their value. */
	cr_assert_eq(parse("wb 1 @0.001s: mode=yuasa floating_kb=9 future=x-1 slow=3 shaded_old=2 shaded_new=0 "
	                   "buffered=0 flushes=0 rescan_kb=0 later=12"),
	             TRACE_WB, "%s", rec.err);
	cr_assert_eq(rec.u.wb.v[TRACE_WB_slow], 3);
	cr_assert_eq(rec.u.wb.v[TRACE_WB_floating_bytes], 9);
	/* After a prefix, like the others. */
	cr_assert_eq(parse("12:00:01 app: wb 2 @0.002s: mode=hybrid slow=1 shaded_old=1 shaded_new=1 buffered=0 "
	                   "flushes=0 rescan_kb=0 floating_kb=0"),
	             TRACE_WB, "%s", rec.err);
	cr_assert_eq(rec.offset, 14);
	cr_assert_eq(parse("wb is not a record"), TRACE_NONE);
	cr_assert_eq(parse("wbx 1 @0.1s: mode=x"), TRACE_NONE);
}

Test(trace_parse, mapev_line)
{
	const char *line = "mapev evacuate m#12 old=7 x=3 y=5 old_cells=cleared";
	cr_assert_eq(parse(line), TRACE_MAPEV, "%s", rec.err);
	const trace_mapev *ev = &rec.u.ev;
	cr_assert_str_eq(ev->name, "evacuate");
	cr_assert_eq(ev->map_id, 12);
	cr_assert_eq(ev->npairs, 4);
	const char *v;
	size_t n;
	cr_assert(trace_mapev_get(ev, line, "old_cells", &v, &n));
	cr_assert_eq(n, 7);
	cr_assert_eq(memcmp(v, "cleared", 7), 0);
	uint64_t x;
	cr_assert(trace_mapev_get_u64(ev, line, "y", &x));
	cr_assert_eq(x, 5);
	cr_assert(!trace_mapev_get_u64(ev, line, "old_cells", &x));
	cr_assert(!trace_mapev_get(ev, line, "z", &v, &n));

	/* no pairs (mapgc prints a trailing space then), and "B=5->6" values */
	cr_assert_eq(parse("mapev clear m#1 "), TRACE_MAPEV, "%s", rec.err);
	cr_assert_eq(rec.u.ev.npairs, 0);
	const char *grow = "mapev grow m#2 B=5->6 kind=double";
	cr_assert_eq(parse(grow), TRACE_MAPEV, "%s", rec.err);
	cr_assert(trace_mapev_get(&rec.u.ev, grow, "B", &v, &n));
	cr_assert_eq(n, 4);
	/* an empty value is a value */
	cr_assert_eq(parse("mapev make m#3 key="), TRACE_MAPEV, "%s", rec.err);
}

Test(trace_parse, prefixed_records)
{
	const char *line = "Feb 26 12:52:23.767 gc 93 @3074.095s 0%: 0.074+32+0.036 ms clock, "
	                   "0.59+0.37/64/113+0.29 ms cpu, 269->274->204 MB, 276 MB goal, 8 P";
	cr_assert_eq(parse(line), TRACE_GC, "%s", rec.err);
	cr_assert_eq(rec.u.gc.n, 93);
	cr_assert_eq(rec.offset, 20);
	cr_assert_eq(parse("[pid 7] mapev iter m#1 start=3 offset=2 growing=0 B=4"), TRACE_MAPEV);
	/* a prefixed candidate that does not parse is not malformed: only the
	 * start of a line makes a promise */
	cr_assert_eq(parse("log: gc 10 @1.2s broken"), TRACE_NONE);
	cr_assert_str_eq(rec.err, "");
	/* the program's output ran into the gc line (no newline, no space) */
	cr_assert_eq(parse("round 5: 200 entrgc 2 @0.001s 1%: 1+1+1 ms clock, 1+1/1/1+1 ms cpu, 1->1->1 MB, "
	                   "4 MB goal, 1 P"), TRACE_GC, "%s", rec.err);
	cr_assert_eq(rec.offset, 17);
	/* the first candidate fails, a later one parses */
	cr_assert_eq(parse("x gc 1 y gc 2 @0.001s 1%: 1+1+1 ms clock, 1+1/1/1+1 ms cpu, 1->1->1 MB, 4 MB goal, 1 P"),
	             TRACE_GC, "%s", rec.err);
	cr_assert_eq(rec.u.gc.n, 2);
}

/* Found by tests/fuzz/src/fuzz_trace.c's far-offset oracle: pair offsets
 * were 16-bit, so past 64 KiB into a line (a long prefix, or long blanks)
 * trace_mapev_get read the wrong bytes.  trace_parse_line takes any length. */
Test(trace_parse, mapev_pairs_far_into_a_line)
{
	size_t far = 70000;
	char *line = malloc(far + 64);
	cr_assert_not_null(line);
	memset(line, 'x', far);
	strcpy(line + far, "mapev grow m#2 kind=double");
	cr_assert_eq(trace_parse_line(line, strlen(line), &rec), TRACE_MAPEV, "%s", rec.err);
	cr_assert_eq(rec.offset, far);
	const char *v;
	size_t n;
	cr_assert(trace_mapev_get(&rec.u.ev, line, "kind", &v, &n));
	cr_assert_eq(n, 6);
	cr_assert_eq(memcmp(v, "double", 6), 0);
	/* blanks inside the record: the pair itself lies past 64 KiB */
	strcpy(line, "mapev grow m#2 ");
	memset(line + 15, ' ', far - 15);
	strcpy(line + far, "B=4");
	cr_assert_eq(trace_parse_line(line, strlen(line), &rec), TRACE_MAPEV, "%s", rec.err);
	cr_assert(trace_mapev_get(&rec.u.ev, line, "B", &v, &n));
	cr_assert_eq(n, 1);
	cr_assert_eq(*v, '4');
	free(line);
}

Test(trace_parse, prefix_tries_are_bounded)
{
	/* TRACE_PREFIX_TRIES failing candidates, then a good record: passed over */
	char line[2048] = "";
	for (int i = 0; i < TRACE_PREFIX_TRIES; i++)
		strcat(line, "x gc 1 ");
	strcat(line, "gc 2 @0.001s 1%: 1+1+1 ms clock, 1+1/1/1+1 ms cpu, 1->1->1 MB, 4 MB goal, 1 P");
	cr_assert_eq(parse(line), TRACE_NONE);
	/* one fewer, and it is found */
	cr_assert_eq(parse(line + 7), TRACE_GC);
}

Test(trace_parse, blanks_and_crlf)
{
	const char *base = "gc 1 @0.012s 2%: 0.026+0.39+0.015 ms clock, 0.10+0.24/0.35/0.38+0.062 ms cpu, "
	                   "4->4->0 MB, 5 MB goal, 4 P";
	char line[512];
	snprintf(line, sizeof line, "%s\r", base);
	cr_assert_eq(parse(line), TRACE_GC);
	snprintf(line, sizeof line, "%s \t \r", base);
	cr_assert_eq(parse(line), TRACE_GC);
	snprintf(line, sizeof line, "%s (forced)\r", base);
	cr_assert_eq(parse(line), TRACE_GC);
	cr_assert(rec.u.gc.forced);
}

Test(trace_parse, passed_over)
{
	static const char *const lines[] = {
		"", "gc", "gc ", "gc x", "gc #", "gc #x", "gcx 1 @", "GC 1 @0.1s", "map", "map x", "maps 1",
		"mapevx", "scvg0: inuse: 3, idle: 0, sys: 3, released: 0, consumed: 3 (MB)",
		"pacer: assist ratio=+1.4e+000", "  ", "\t",
	};
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		cr_assert_eq(parse(lines[i]), TRACE_NONE, "'%s'", lines[i]);
		cr_assert(!trace_line_looks_like_trace(lines[i], strlen(lines[i])), "'%s'", lines[i]);
	}
}

/* Malformed lines: the message names what is wrong and where. */
Test(trace_parse, malformed_messages)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{ "gc 3", "expected \" @\" at column 5, found the end of the line" },
		{ "gc 1 @", "expected the start time (a number) at column 7" },
		{ "gc 1 @1.s", "expected the decimals of the start time at column 9" },
		{ "gc 1 @0.1s x%", "expected the GC CPU percentage (a number) at column 12" },
		{ "gc 1 @0.1s 1%: 1+2 ms clock", "2 clock phases (want 3, or 5 for Go 1.5) at column 16" },
		{ "gc 1 @0.1s 1%: 1+2+3+4 ms clock", "4 clock phases (want 3, or 5 for Go 1.5) at column 16" },
		{ "gc 1 @0.1s 1%: 1+2+3+4+5+6 ms clock", "more than five clock phases at column 26" },
		{ "gc 1 @0.1s 1%: 1+2+3 ms cpu", "expected \" ms clock, \" at column 21" },
		{ "gc 1 @0.1s 1%: 1+2+3 ms clock, 1+2+3+4 ms cpu", "expected \"/\" at column 35" },
		{ "gc 1 @0.1s 1%: 1+2+3 ms clock, 1+2/3/4+5 ms cpu, 1->2 MB", "expected \"->\" at column 54" },
		{ "gc 1 @0.1s 1%: 1+2+3 ms clock, 1+2/3/4+5 ms cpu, 1->2->3 MB, 4 MB goal, 1 MB stacks, 4 P",
		  "expected \" MB globals, \" at column 87" },
		{ "gc 1 @0.1s 1%: 1+2+3 ms clock, 1+2/3/4+5 ms cpu, 1->2->3 MB, 4 MB goal, 4",
		  "expected \" P\" or \" MB stacks, \" at column 74" },
		{ "gc 1 @0.1s 1%: 1+2+3+4+5 ms clock, 1+2+3+4/5/6+7 ms cpu, 1->2->3 MB, 4 MB goal, 1 MB stacks, 0 MB "
		  "globals, 4 P", "stacks and globals in a five-phase (Go 1.5) line" },
		{ "gc 1 @0.1s 1%: 1+2+3 ms clock, 1+2/3/4+5 ms cpu, 1->2->3 MB, 4 MB goal, 4 P!",
		  "unexpected text after the end of a gc line at column 76, found \"!\"" },
		{ "gc 18446744073709551616 @0.1s", "the cycle number is out of range at column 4" },
		{ "gc 1 @18446744073.709551616s", "the start time is out of range at column 7" },
		{ "gc 1 @18446744074s", "the start time is out of range at column 7" },
		{ "map 1 @0.1s: 1 maps, 0 growing", "expected \" growing (\" at column 23" },
		{ "map 1 @0.1s: x maps", "expected maps (a number) at column 14" },
		{ "mapev  m#1", "expected an event name at column 7" },
		{ "mapev grow", "expected \" m#\" at column 11" },
		{ "mapev grow m#", "expected the map id (a number) at column 14" },
		{ "mapev grow m#1 kind", "expected key=value at column 16" },
		{ "mapev grow m#1 =x", "expected key=value at column 16" },
		{ "mapev aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa m#1", "event name longer than 31 bytes" },
		{ "mapev e m#1 a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 k=11 l=12 m=13 n=14 o=15 p=16 q=17",
		  "more than 16 key=value pairs at column 84, found \"q=17\"" },
		{ "wb 1 @0.1s mode=hybrid", "expected \"s: mode=\" at column 10" },
		{ "wb 1 @0.1s: mode= slow=1", "expected the barrier mode at column 18" },
		{ "wb 1 @0.1s: mode=abcdefghijklmnopq", "a mode name longer than 15 bytes at column 18" },
		{ "wb 1 @0.1s: mode=yuasa slow=1 shaded_old=0 shaded_new=0 buffered=0 flushes=0 rescan_kb=0",
		  "no floating_kb= in the wb line at column 89, found the end of the line" },
		{ "wb 1 @0.1s: mode=yuasa slow=x", "expected slow (a number) at column 29" },
		{ "wb 1 @0.1s: mode=yuasa slow=1x", "expected a blank after slow's value at column 30" },
		{ "wb 1 @0.1s: mode=yuasa slow=1 slow=2", "slow= a second time at column 31" },
		{ "wb 1 @0.1s: mode=yuasa =1", "expected key=value at column 24" },
		{ "wb 1 @0.1s: mode=yuasa slow", "expected key=value at column 24" },
		{ "wb 1 @0.1s: mode=yuasa! slow=1", "expected a blank before key=value at column 23" },
		{ "wb 1 @0.1s: mode=yuasa slow=18446744073709551616", "slow is out of range at column 29" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cr_assert_eq(parse(cases[i].line), TRACE_MALFORMED, "'%s' parsed", cases[i].line);
		cr_assert(strstr(rec.err, cases[i].msg) != NULL, "'%s':\n  got  %s\n  want %s", cases[i].line, rec.err,
		          cases[i].msg);
		cr_assert(trace_line_looks_like_trace(cases[i].line, strlen(cases[i].line)));
	}
}

/* NUL bytes, invalid UTF-8 and control bytes: no crash, no read past the
 * length, an ASCII message. */
Test(trace_parse, hostile_bytes)
{
	static const char line[] = "gc 1 @0.0\0001s 1%: \xff\xfe+1+1 ms clock";
	cr_assert_eq(trace_parse_line(line, sizeof line - 1, &rec), TRACE_MALFORMED);
	cr_assert(strstr(rec.err, "\\x00") != NULL, "%s", rec.err);
	for (const char *p = rec.err; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "non-ASCII byte in '%s'", rec.err);
	static const char bad[] = "gc 1 @0.1s 1%: \xff\xfe";
	cr_assert_eq(trace_parse_line(bad, sizeof bad - 1, &rec), TRACE_MALFORMED);
	cr_assert(strstr(rec.err, "\\xff\\xfe") != NULL, "%s", rec.err);

	/* a line that is a good record but for its length: the parser must
	 * stop at len (the buffer goes on with a valid suffix) */
	const char *full = "gc 1 @0.012s 2%: 0.026+0.39+0.015 ms clock, 0.10+0.24/0.35/0.38+0.062 ms cpu, "
	                   "4->4->0 MB, 5 MB goal, 4 P";
	size_t n = strlen(full);
	for (size_t k = 0; k < n; k++) {
		char *copy = malloc(k ? k : 1);   /* exactly k bytes: ASan catches any overread */
		memcpy(copy, full, k);
		trace_kind kind = trace_parse_line(copy, k, &rec);
		cr_assert(kind == TRACE_MALFORMED || kind == TRACE_NONE || (kind == TRACE_GC && k == n),
		          "prefix of %zu bytes: kind %d", k, kind);
		free(copy);
	}
}

Test(trace_parse, sub_nanosecond_digits_are_dropped)
{
	cr_assert_eq(parse("gc 1 @0.0000000019s 1%: 0.0000001+0.0000019+1.1234567 ms clock, 1+1/1/1+1 ms cpu, "
	                   "1->1->1 MB, 4 MB goal, 1 P"), TRACE_GC, "%s", rec.err);
	cr_assert_eq(rec.u.gc.t_ns, 1);
	cr_assert_eq(rec.u.gc.clock_ns[TRACE_CLOCK_SWEEP_TERM], 0);
	cr_assert_eq(rec.u.gc.clock_ns[TRACE_CLOCK_MARK], 1);
	cr_assert_eq(rec.u.gc.clock_ns[TRACE_CLOCK_MARK_TERM], 1123456);
}

/* ---- the reader --------------------------------------------------------------------- */

static trace_reader reader;

static void read_all(const char *data, size_t len, trace_line *lines, size_t max, size_t *n)
{
	static char store[8][TRACE_LINE_MAX];
	trace_reader_init_mem(&reader, data, len);
	*n = 0;
	trace_line l;
	while (trace_reader_next(&reader, &l) > 0) {
		cr_assert(*n < max);
		memcpy(store[*n], l.p, l.len);
		l.p = store[*n];
		lines[(*n)++] = l;
	}
}

Test(trace_reader, edges)
{
	trace_line l[8];
	size_t n;
	read_all("", 0, l, 8, &n);
	cr_assert_eq(n, 0);
	read_all("\n", 1, l, 8, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(l[0].len, 0);
	cr_assert(!l[0].no_newline);
	read_all("a\nbc", 4, l, 8, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(l[1].len, 2);
	cr_assert(l[1].no_newline);
	cr_assert_eq(l[1].no, 2);
	read_all("a\0b\n\n", 5, l, 8, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(l[0].len, 3);
	cr_assert_eq(l[0].p[1], '\0');
}

Test(trace_reader, long_lines)
{
	size_t len = 3 * TRACE_LINE_MAX + 10;
	char *data = malloc(len);
	memset(data, 'x', len);
	data[TRACE_LINE_MAX] = '\n';                /* a line of exactly the limit */
	data[len - 5] = '\n';                       /* then one over it, then "xxxx" */
	trace_line l[8];
	size_t n;
	read_all(data, len, l, 8, &n);
	cr_assert_eq(n, 3);
	cr_assert_eq(l[0].len, TRACE_LINE_MAX);
	cr_assert(!l[0].too_long);
	cr_assert(l[1].too_long);
	cr_assert_eq(l[1].len, TRACE_LINE_MAX);
	cr_assert_eq(l[1].full_len, len - 5 - TRACE_LINE_MAX - 1);
	cr_assert_eq(l[2].len, 4);
	free(data);
}

/* Lines that straddle the reader's chunk boundary, through a real FILE. */
Test(trace_reader, chunk_boundaries)
{
	FILE *f = tmpfile();
	cr_assert_not_null(f);
	size_t nlines = 0;
	for (size_t total = 0; total < 3 * TRACE_READ_CHUNK; nlines++) {
		int w = fprintf(f, "line %zu %.*s\n", nlines, (int)(nlines % 97), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		total += (size_t)w;
	}
	rewind(f);
	trace_reader *r = malloc(sizeof *r);
	trace_reader_init_file(r, f);
	trace_line l;
	size_t i = 0;
	char want[64];
	while (trace_reader_next(r, &l) > 0) {
		int k = snprintf(want, sizeof want, "line %zu ", i);
		cr_assert(l.len == (size_t)k + i % 97 && memcmp(l.p, want, (size_t)k) == 0, "line %zu: '%.*s'", i,
		          (int)l.len, l.p);
		cr_assert_eq(l.no, i + 1);
		i++;
	}
	cr_assert_eq(i, nlines);
	cr_assert_eq(r->error, 0);
	free(r);
	fclose(f);
}
