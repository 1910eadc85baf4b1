/*
 * plot.c — the HTML report and the SVG charts (tools/mapgc/trace.h,
 * trace_chart.h): well-formed, one <svg> per available chart, no network
 * URL, separate labelled heap series, standalone SVGs, the reach-dir hook,
 * hostile names, an empty trace, and a bounded size for a huge trace.
 */
#include "tests/tools/trace_test.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "nan" or "inf" as a word (a number printed from a NaN or an infinity). */
static size_t non_finite(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i + 3 <= n; i++) {
		if (memcmp(s + i, "nan", 3) != 0 && memcmp(s + i, "inf", 3) != 0)
			continue;
		bool before = i > 0 && ((s[i - 1] | 0x20) >= 'a' && (s[i - 1] | 0x20) <= 'z');
		bool after = i + 3 < n && ((s[i + 3] | 0x20) >= 'a' && (s[i + 3] | 0x20) <= 'z');
		c += !before && !after;
	}
	return c;
}

static const char *const samples[] = { "go119.log", "go16.log", "go15.log", "mapgc.log", "wbtrace.log",
	                                "malformed.log" };
enum { NSAMPLES = sizeof samples / sizeof *samples };

static size_t available_charts(const trace_log *log)
{
	size_t n = 0;
	for (int id = 0; id < TRACE_CHART_COUNT; id++)
		n += trace_chart_available(log, (trace_chart_id)id);
	return n;
}

static void check_page(const char *what, const char *html, size_t n, size_t want_svg)
{
	char why[256];
	size_t nsvg;
	cr_assert(tt_html_balanced(html, n, &nsvg, why, sizeof why), "%s: %s", what, why);
	cr_assert_eq(nsvg, want_svg, "%s: %zu <svg> elements, want %zu", what, nsvg, want_svg);
	cr_assert_eq(tt_count(html, n, "http://"), 0, "%s: an http URL", what);
	cr_assert_eq(tt_count(html, n, "https://"), 0, "%s: an https URL", what);
	cr_assert_eq(tt_count(html, n, "<script"), 0, "%s: a script", what);
	cr_assert_eq(strncmp(html, "<!DOCTYPE html>\n", 16), 0, "%s: no doctype", what);
	cr_assert_eq(non_finite(html, n), 0, "%s: a NaN or infinite number", what);
}

Test(trace_plot, html_of_every_sample)
{
	for (size_t i = 0; i < NSAMPLES; i++) {
		trace_log *log = tt_log_from_file(samples[i]);
		size_t n;
		char *html = tt_render(tt_w_html, log, NULL, &n);
		check_page(samples[i], html, n, available_charts(log));
		cr_assert_not_null(strstr(html, "<title>mapgc trace: test.log - "), "%s: no title", samples[i]);
		cr_assert_not_null(strstr(html, "<pre>trace           test.log:"), "%s: no summary", samples[i]);
		cr_assert_null(strstr(html, "id=\"reach\""), "%s: a reach section without --reach-dir", samples[i]);
		/* the four heap series, apart and named; the goal is not heap in use */
		cr_assert_not_null(strstr(html, "heap at cycle start (H0)"));
		cr_assert_not_null(strstr(html, "heap at mark termination (H1)"));
		cr_assert_not_null(strstr(html, "live heap, marked (H2)"));
		cr_assert_not_null(strstr(html, "heap goal (a target, not heap in use)"));
		cr_assert_not_null(strstr(html, "time since program start (s)"));
		cr_assert_not_null(strstr(html, "stop-the-world pause (ms)"));
		free(html);
		tt_log_free(log);
	}
}

Test(trace_plot, map_charts_only_with_map_lines)
{
	trace_log *log = tt_log_from_file("mapgc.log");
	cr_assert_eq(available_charts(log), TRACE_CHART_COUNT - 1, "all but wb");
	cr_assert(!trace_chart_available(log, TRACE_CHART_WB));
	size_t n;
	char *html = tt_render(tt_w_html, log, NULL, &n);
	cr_assert_not_null(strstr(html, "id=\"evac\""));
	cr_assert_not_null(strstr(html, "evacuated (E)"));
	cr_assert_not_null(strstr(html, "KB held only by iterators"));
	free(html);
	tt_log_free(log);

	log = tt_log_from_file("go119.log");
	cr_assert(!trace_chart_available(log, TRACE_CHART_EVAC));
	cr_assert(!trace_chart_available(log, TRACE_CHART_ITER));
	tt_log_free(log);
}

/* The wb chart with wb lines only; its series named, the modes in the tips. */
Test(trace_plot, wb_chart_only_with_wb_lines)
{
	trace_log *log = tt_log_from_file("wbtrace.log");
	cr_assert_eq(available_charts(log), TRACE_CHART_COUNT);
	size_t n;
	char *html = tt_render(tt_w_html, log, NULL, &n);
	cr_assert_not_null(strstr(html, "id=\"wb\""));
	cr_assert_not_null(strstr(html, "greyed by the deletion half (old values)"));
	cr_assert_not_null(strstr(html, "floating garbage (right axis)"));
	cr_assert_not_null(strstr(html, "mode=dijkstra slow="), "no tooltip names a mode");
	cr_assert_not_null(strstr(html, "<pre>trace           test.log:"));
	cr_assert_not_null(strstr(html, "wb figures"), "the summary has no wb table");
	free(html);
	tt_log_free(log);
	trace_chart_id id;
	cr_assert(trace_chart_find("wb", &id));
	cr_assert_eq(id, TRACE_CHART_WB);
}

Test(trace_plot, standalone_svgs)
{
	trace_log *log = tt_log_from_file("mapgc.log");
	for (int id = 0; id < TRACE_CHART_COUNT; id++) {
		char *buf = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&buf, &n);
		cr_assert_eq(trace_write_svg(f, log, (trace_chart_id)id, "mapgc.log"), 0);
		fclose(f);
		const char *name = trace_chart_name((trace_chart_id)id);
		char why[256];
		size_t nsvg;
		cr_assert_eq(strncmp(buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"",
		                     77), 0, "%s: not a standalone SVG", name);
		cr_assert(tt_html_balanced(buf, n, &nsvg, why, sizeof why), "%s: %s", name, why);
		cr_assert_eq(nsvg, 1);
		/* the namespace is the only URL */
		cr_assert_eq(tt_count(buf, n, "http"), 1, "%s", name);
		cr_assert_not_null(strstr(buf, ": mapgc.log</title>"), "%s: no title", name);
		free(buf);
	}
	trace_chart_id id;
	cr_assert(trace_chart_find("iter", &id));
	cr_assert_eq(id, TRACE_CHART_ITER);
	cr_assert(!trace_chart_find("heapx", &id));
	tt_log_free(log);
}

static char *make_dir(void)
{
	char *dir = strdup("/tmp/mapgc-reach-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	return dir;
}

static void touch(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n", f);
	fclose(f);
}

static void rm(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

Test(trace_plot, reach_dir_hook)
{
	trace_log *log = tt_log_from_file("mapgc.log");
	char *dir = make_dir();
	size_t n;

	/* no *.svg: no section */
	touch(dir, "notes.txt");
	char *html = tt_render(tt_w_html, log, dir, &n);
	cr_assert_null(strstr(html, "id=\"reach\""));
	free(html);

	/* two pictures (and a hidden file): a section linking both, sorted */
	touch(dir, "m2 b.svg");
	touch(dir, "m1.svg");
	touch(dir, ".hidden.svg");
	html = tt_render(tt_w_html, log, dir, &n);
	check_page("reach", html, n, available_charts(log));
	cr_assert_not_null(strstr(html, "id=\"reach\""));
	cr_assert_eq(tt_count(html, n, "<figure>"), 2);
	char *a = strstr(html, "/m1.svg\"><img"), *b = strstr(html, "/m2%20b.svg\"><img");
	cr_assert(a != NULL && b != NULL && a < b, "links missing or unsorted");
	cr_assert_null(strstr(html, ".hidden.svg"));
	cr_assert_not_null(strstr(html, "href=\"file:///tmp/mapgc-reach-"));
	free(html);

	/* a directory that cannot be read: an errno, and no section */
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &n);
	cr_assert_neq(trace_write_html(f, log, "x", "/nonexistent/mapgc-reach"), 0);
	fclose(f);
	cr_assert_null(strstr(buf, "id=\"reach\""));
	free(buf);

	rm(dir, "notes.txt");
	rm(dir, "m2 b.svg");
	rm(dir, "m1.svg");
	rm(dir, ".hidden.svg");
	rmdir(dir);
	free(dir);
	tt_log_free(log);
}

Test(trace_plot, hostile_names_and_empty_trace)
{
	trace_log *log = tt_log_from_str("no trace here\n");
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	cr_assert_eq(trace_write_html(f, log, "<b>&\"\xff\x01.log", NULL), 0);
	fclose(f);
	check_page("empty", buf, n, 0);
	cr_assert_not_null(strstr(buf, "&lt;b&gt;&amp;&quot;\xef\xbf\xbd\xef\xbf\xbd.log"));
	cr_assert_not_null(strstr(buf, "no gc cycles"));
	free(buf);
	tt_log_free(log);
}

/* 200 000 cycles: lines are reduced per pixel, markers and tooltips left
 * out, so the report stays small and well-formed. */
Test(trace_plot, huge_trace_is_bounded)
{
	size_t cycles = 200000, cap = cycles * 160;
	char *text = malloc(cap), *p = text;
	for (size_t i = 1; i <= cycles; i++)
		p += sprintf(p, "gc %zu @%zu.%03zus 5%%: 0.%03zu+1.5+0.0%02zu ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, "
		             "%zu->%zu->%zu MB, %zu MB goal, 8 P\n", i, i / 100, i % 100 * 10, i % 997, i % 89,
		             40 + i % 50, 45 + i % 50, 20 + i % 7, 60 + i % 30);
	trace_log *log = tt_log_from(text, (size_t)(p - text));
	free(text);
	cr_assert_eq(log->ncycles, cycles);
	size_t n;
	char *html = tt_render(tt_w_html, log, NULL, &n);
	check_page("huge", html, n, 3);
	cr_assert_lt(n, (size_t)2 << 20, "report of %zu bytes", n);
	cr_assert_eq(tt_count(html, n, "<circle"), 0);
	free(html);
	tt_log_free(log);
}

/* The largest numbers the parser accepts, and equal values: no NaN or
 * infinite coordinate, a bounded number of ticks, valid outputs. */
Test(trace_plot, extreme_values)
{
	static const char text[] =
		"gc 18446744073709551614 @18446744073.709s 99%: 18446744073709.551615+0+0 ms clock, "
		"0+0/0/0+0 ms cpu, 18446744073709551615->18446744073709551615->18446744073709551615 MB, "
		"18446744073709551615 MB goal, 18446744073709551615 P\n"
		"map 18446744073709551614 @0.000s: 18446744073709551615 maps, 18446744073709551615 growing (0 same-size), "
		"0 iters: 0+0 buckets new+old, 0/0 evacuated, 0+0 overflow new+old, 0 iter-only arrays "
		"18446744073709551615 KB, tophash 0/0/0/0/0/0 full/emptyOne/emptyRest/evacX/evacY/evacEmpty\n"
		"wb 18446744073709551614 @18446744073.709s: mode=hybrid slow=18446744073709551615 shaded_old=0 "
		"shaded_new=18446744073709551615 buffered=0 flushes=0 rescan_kb=0 floating_kb=18446744073709551615\n"
		"gc 18446744073709551615 @18446744073.709s 99%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, "
		"18446744073709551615->0->18446744073709551615 MB, 0 MB goal, 1 P\n";
	trace_log *log = tt_log_from_str(text);
	cr_assert_eq(log->nerrors, 0, "%s", log->errors[0].msg);
	cr_assert_eq(log->ncycles, 2);
	size_t n;
	char *html = tt_render(tt_w_html, log, NULL, &n);
	check_page("extreme", html, n, TRACE_CHART_COUNT);
	cr_assert_eq(non_finite(html, n), 0);
	cr_assert_lt(n, (size_t)1 << 20);
	free(html);
	char why[128];
	char *json = tt_render(tt_w_json, log, NULL, &n);
	cr_assert(tt_json_valid(json, n, why, sizeof why), "%s", why);
	free(json);
	tt_log_free(log);

	/* a single cycle, every value 0 */
	log = tt_log_from_str("gc 1 @0.000s 0%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 0->0->0 MB, 0 MB goal, 0 P\n");
	html = tt_render(tt_w_html, log, NULL, &n);
	check_page("zeros", html, n, 3);
	cr_assert_eq(non_finite(html, n), 0);
	free(html);
	tt_log_free(log);
}
