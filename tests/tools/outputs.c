/*
 * outputs.c — summary, CSV and JSON (tools/mapgc/trace.h): exact number
 * formatting, escaping of hostile names, the shape of every output for
 * every sample log, determinism; and the test checkers' own negative tests.
 * (Byte-for-byte goldens are in tests/cli/trace_golden.sh.)
 */
#include "tests/tools/trace_test.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

static const char *const samples[] = { "go119.log", "go16.log", "go15.log", "mapgc.log", "wbtrace.log",
	"malformed.log" };
enum { NSAMPLES = sizeof samples / sizeof *samples };

Test(trace_out, exact_numbers)
{
	char b[32];
	cr_assert_str_eq(trace_fmt_ms(b, 0), "0");
	cr_assert_str_eq(trace_fmt_ms(b, 26000), "0.026");
	cr_assert_str_eq(trace_fmt_ms(b, 12000000), "12");
	cr_assert_str_eq(trace_fmt_ms(b, 1), "0.000001");
	cr_assert_str_eq(trace_fmt_s(b, 1532000), "0.001532");
	cr_assert_str_eq(trace_fmt_s(b, 3074095000000), "3074.095");
	cr_assert_str_eq(trace_fmt_s(b, UINT64_MAX), "18446744073.709551615");
	cr_assert_str_eq(trace_fmt_ms3(b, 499), "0.000");
	cr_assert_str_eq(trace_fmt_ms3(b, 500), "0.001");
	cr_assert_str_eq(trace_fmt_ms3(b, 1102000), "1.102");
	cr_assert_str_eq(trace_fmt_s3(b, 416241000), "0.416");
	cr_assert_str_eq(trace_fmt_s3(b, 999500000), "1.000");
}

static char *render_string(void (*fn)(FILE *, const char *, size_t), const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fn(f, s, n);
	fclose(f);
	return buf;
}

Test(trace_out, json_strings)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{ "plain", 5, "\"plain\"" },
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		{ "t\tn\n\x01", 5, "\"t\\u0009n\\u000a\\u0001\"" },
		{ "\xc3\xa9t\xc3\xa9", 5, "\"\xc3\xa9t\xc3\xa9\"" },                   /* été */
		{ "\xff", 1, "\"\\ufffd\"" },                                          /* not UTF-8 */
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },                               /* overlong '/' */
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },                    /* a surrogate */
		{ "\xe2\x82", 2, "\"\\ufffd\\ufffd\"" },                               /* truncated */
		{ "a\0b", 3, "\"a\\u0000b\"" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *got = render_string(trace_json_string, cases[i].in, cases[i].n);
		cr_assert_str_eq(got, cases[i].out, "case %zu", i);
		char why[128];
		cr_assert(tt_json_valid(got, strlen(got), why, sizeof why), "case %zu: %s", i, why);
		free(got);
	}
}

Test(trace_out, xml_text)
{
	char *got = render_string(trace_xml_text, "<a href=\"x\">&\xff\x01</a>", 19);
	cr_assert_str_eq(got, "&lt;a href=&quot;x&quot;&gt;&amp;\xef\xbf\xbd\xef\xbf\xbd&lt;/a&gt;");
	free(got);
}

Test(trace_out, json_of_every_sample)
{
	for (size_t i = 0; i < NSAMPLES; i++) {
		trace_log *log = tt_log_from_file(samples[i]);
		size_t n;
		char *json = tt_render(tt_w_json, log, samples[i], &n);
		char why[128];
		cr_assert(tt_json_valid(json, n, why, sizeof why), "%s: %s", samples[i], why);
		/* one cycle object per gc line, with the contract fields */
		cr_assert_eq(tt_count(json, n, "\n    {\"n\":"), log->ncycles, "%s", samples[i]);
		cr_assert_eq(tt_count(json, n, "\"heap_mb\":["), log->ncycles);
		cr_assert_eq(tt_count(json, n, "],\"goal_mb\":"), log->ncycles);
		cr_assert_eq(tt_count(json, n, ",\"procs\":"), log->ncycles);
		cr_assert_eq(tt_count(json, n, ",\"forced\":true,") + tt_count(json, n, ",\"forced\":false,"), log->ncycles);
		/* maps and wb objects have one */
		cr_assert_eq(tt_count(json, n, ",\"t_s\":"), log->ncycles + log->sum.map_matched + log->sum.wb_matched);
		cr_assert_eq(tt_count(json, n, ",\"map\":{"), log->sum.map_matched);
		cr_assert_eq(tt_count(json, n, ",\"wb\":{"), log->sum.wb_matched);
		/* deterministic */
		size_t n2;
		char *again = tt_render(tt_w_json, log, samples[i], &n2);
		cr_assert(n == n2 && memcmp(json, again, n) == 0, "%s: two renderings differ", samples[i]);
		free(again);
		free(json);
		tt_log_free(log);
	}
}

Test(trace_out, json_hostile_name)
{
	trace_log *log = tt_log_from_file("go16.log");
	size_t n;
	char *json = tt_render(tt_w_json, log, "we\"ird\\\xff\n<name>", &n);
	char why[128];
	cr_assert(tt_json_valid(json, n, why, sizeof why), "%s", why);
	free(json);
	tt_log_free(log);
}

Test(trace_out, csv_shape)
{
	for (size_t i = 0; i < NSAMPLES; i++) {
		trace_log *log = tt_log_from_file(samples[i]);
		size_t n;
		char *csv = tt_render(tt_w_csv, log, NULL, &n);
		/* every row has as many cells as the header; names are unique */
		size_t rows = 0, header_cells = 0;
		for (char *line = csv; *line; rows++) {
			char *nl = strchr(line, '\n');
			cr_assert_not_null(nl, "%s: last row not terminated", samples[i]);
			size_t cells = 1;
			for (char *p = line; p < nl; p++)
				cells += *p == ',';
			if (rows == 0)
				header_cells = cells;
			cr_assert_eq(cells, header_cells, "%s row %zu", samples[i], rows);
			line = nl + 1;
		}
		cr_assert_eq(rows, log->ncycles + 1, "%s", samples[i]);
		char *nl = strchr(csv, '\n');
		*nl = '\0';
		char *names[128];
		size_t k = 0;
		for (char *tok = strtok(csv, ","); tok; tok = strtok(NULL, ","))
			names[k++] = tok;
		for (size_t a = 0; a < k; a++)
			for (size_t b = a + 1; b < k; b++)
				cr_assert_str_neq(names[a], names[b]);
		free(csv);
		tt_log_free(log);
	}
}

Test(trace_out, summary_lines)
{
	trace_log *log = tt_log_from_file("mapgc.log");
	size_t n;
	char *text = tt_render(tt_w_summary, log, "mapgc.log", &n);
	static const char *const want[] = {
		"\ntrace ", "\ncycles ", "\nwall span ", "\ngc cpu ", "\nstw pause ", "\nheap start ", "\nheap end ",
		"\nheap live ", "\nheap goal ", "\nmark rate ", "\nmmu ", "\nmap lines ", "\nevacuation ",
		"\nmap events ", "\ngrows ", "\nevacuations ", "\niterations ",
	};
	char *with_nl = malloc(n + 2);
	with_nl[0] = '\n';
	memcpy(with_nl + 1, text, n + 1);
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		cr_assert(strstr(with_nl, want[i]) != NULL, "no '%s' line", want[i] + 1);
	free(with_nl);
	free(text);
	tt_log_free(log);

	/* a Go trace has no map section, an empty one says so */
	log = tt_log_from_file("go119.log");
	text = tt_render(tt_w_summary, log, NULL, &n);
	cr_assert_null(strstr(text, "map lines"));
	free(text);
	tt_log_free(log);
	log = tt_log_from_str("nothing here\n");
	text = tt_render(tt_w_summary, log, NULL, &n);
	cr_assert_not_null(strstr(text, "no gc lines"));
	free(text);
	tt_log_free(log);
}

/* ---- the checkers fire ---------------------------------------------------------------- */

Test(trace_checkers, json_negative)
{
	static const char *const bad[] = {
		"", "{", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "\"\x01\"", "\"\\x\"", "\"\xff\"", "01x", "1.", "1e",
		"tru", "[1] 2", "\"\\u12g4\"", "\"abc",
	};
	char why[128];
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert(!tt_json_valid(bad[i], strlen(bad[i]), why, sizeof why), "'%s' accepted", bad[i]);
	static const char *const good[] = { "{}", "[]", "0", "-1.5e+3", "{\"a\":[true,false,null,\"\\u00e9\"]}" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		cr_assert(tt_json_valid(good[i], strlen(good[i]), why, sizeof why), "'%s': %s", good[i], why);
}

Test(trace_checkers, html_negative)
{
	static const char *const bad[] = {
		"<p>", "<p></b>", "<a><b></a></b>", "</p>", "<p class=\"x>", "<!-- x", "a < b", "<style>x",
	};
	char why[128];
	size_t nsvg;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert(!tt_html_balanced(bad[i], strlen(bad[i]), &nsvg, why, sizeof why), "'%s' accepted", bad[i]);
	const char *good = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"/><style>a<b{}</style></head>"
	                   "<body><svg><rect/><g></g></svg><img src=\"x\"><!-- <p> --></body></html>";
	cr_assert(tt_html_balanced(good, strlen(good), &nsvg, why, sizeof why), "%s", why);
	cr_assert_eq(nsvg, 1);
}
