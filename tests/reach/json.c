/*
 * json.c — the pull JSON reader (tools/mapgc/json.c): tokens, numbers,
 * strictness, locations, and no crash on anything.
 *
 * Every document is copied into a buffer of exactly its length (no NUL
 * after it), so under AddressSanitizer a read past the end is caught.
 */
#include "tests/reach/reach_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct jdoc {
	char *text;
	size_t len;
	json_reader r;
} jdoc;

static void
jd_open(jdoc *d, const char *text, size_t len)
{
	d->len = len;
	d->text = malloc(len ? len : 1);
	cr_assert_not_null(d->text);
	memcpy(d->text, text, len);
	json_init(&d->r, d->text, len);
}

static void
jd_close(jdoc *d)
{
	json_free(&d->r);
	free(d->text);
}

/* Reads the whole document; returns the final token (JSON_EOF or JSON_ERROR). */
static json_tok
jd_drain(jdoc *d)
{
	for (unsigned n = 0;; n++) {
		json_tok t = json_next(&d->r);
		if (t == JSON_EOF || t == JSON_ERROR)
			return t;
		cr_assert_lt(n, 10000000u, "the reader does not advance");
	}
}

/* text (n bytes) must fail with a message containing want. */
static void
expect_error_n(const char *text, size_t n, const char *want)
{
	jdoc d;
	jd_open(&d, text, n);
	json_tok t = jd_drain(&d);
	cr_assert_eq(t, JSON_ERROR, "accepted: %.*s", (int)(n > 60 ? 60 : n), text);
	cr_assert_not_null(strstr(d.r.err, want), "for %.*s: message \"%s\", want \"%s\"", (int)(n > 60 ? 60 : n), text,
		d.r.err, want);
	cr_assert_leq(d.r.err_pos, n);
	cr_assert_eq(json_next(&d.r), JSON_ERROR, "errors are sticky");
	jd_close(&d);
}

static void
expect_error(const char *text, const char *want)
{
	expect_error_n(text, strlen(text), want);
}

static void
expect_ok(const char *text)
{
	jdoc d;
	jd_open(&d, text, strlen(text));
	json_tok t = jd_drain(&d);
	cr_assert_eq(t, JSON_EOF, "rejected %s: %s", text, d.r.err);
	jd_close(&d);
}

Test(reach_json, tokens_in_order)
{
	static const char doc[] =
		"{\"a\": [1, -2, 3.5, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"],\n \"b\" : {}, \"\": []}";
	static const json_tok want[] = {
		JSON_OBJECT, JSON_KEY, JSON_ARRAY, JSON_NUMBER, JSON_NUMBER, JSON_NUMBER, JSON_TRUE, JSON_FALSE,
		JSON_NULL, JSON_STRING, JSON_ARRAY_END, JSON_KEY, JSON_OBJECT, JSON_OBJECT_END, JSON_KEY, JSON_ARRAY,
		JSON_ARRAY_END, JSON_OBJECT_END, JSON_EOF,
	};
	jdoc d;
	jd_open(&d, doc, strlen(doc));
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		json_tok t = json_next(&d.r);
		cr_assert_eq(t, want[k], "token %zu: %s, want %s (%s)", k, json_tok_name(t), json_tok_name(want[k]), d.r.err);
		if (t == JSON_STRING)
			cr_assert(d.r.slen == 8 && memcmp(d.r.str, "x\xc3\xa9\xf0\x9f\x98\x80\n", 8) == 0,
				"escapes and surrogate pairs decode to UTF-8");
		if (k == 4)
			cr_assert(d.r.is_int && d.r.i == -2 && !d.r.is_uint);
		if (k == 5)
			cr_assert(!d.r.is_int && d.r.num == 3.5);
	}
	cr_assert_eq(json_next(&d.r), JSON_EOF, "EOF repeats");
	jd_close(&d);
}

Test(reach_json, integers_exact_at_the_limits)
{
	static const struct {
		const char *text;
		bool is_int, is_uint;
		int64_t i;
		uint64_t u;
	} cases[] = {
		{"0", true, true, 0, 0},
		{"-0", true, false, 0, 0},
		{"9223372036854775807", true, true, INT64_MAX, (uint64_t)INT64_MAX},
		{"9223372036854775808", false, true, 0, UINT64_C(9223372036854775808)},
		{"18446744073709551615", false, true, 0, UINT64_MAX},
		{"18446744073709551616", false, false, 0, 0},
		{"-9223372036854775808", true, false, INT64_MIN, 0},
		{"-9223372036854775809", false, false, 0, 0},
		{"99999999999999999999999999999999999999", false, false, 0, 0},
		{"1e3", false, false, 0, 0},
		{"1.0", false, false, 0, 0},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		jdoc d;
		jd_open(&d, cases[k].text, strlen(cases[k].text));
		cr_assert_eq(json_next(&d.r), JSON_NUMBER, "%s", cases[k].text);
		cr_assert_eq(d.r.is_int, cases[k].is_int, "%s: is_int", cases[k].text);
		cr_assert_eq(d.r.is_uint, cases[k].is_uint, "%s: is_uint", cases[k].text);
		if (cases[k].is_int)
			cr_assert_eq(d.r.i, cases[k].i, "%s", cases[k].text);
		if (cases[k].is_uint)
			cr_assert_eq(d.r.u, cases[k].u, "%s", cases[k].text);
		cr_assert_eq(json_next(&d.r), JSON_EOF);
		jd_close(&d);
	}
	jdoc d;
	jd_open(&d, "1e400", 5);
	cr_assert_eq(json_next(&d.r), JSON_NUMBER);
	cr_assert(isinf(d.r.num) && !d.r.is_int && !d.r.is_uint, "1e400 overflows to infinity, not an integer");
	jd_close(&d);
}

Test(reach_json, rejects_what_rfc8259_rejects)
{
	expect_error("", "empty document");
	expect_error("   \n ", "empty document");
	expect_error("{", "expected a member name");
	expect_error("[", "unexpected end");
	expect_error("[1,]", "trailing comma");
	expect_error("{\"a\":1,}", "expected a member name");
	expect_error("[1 2]", "expected ',' or ']'");
	expect_error("{\"a\" 1}", "expected ':'");
	expect_error("{\"a\":}", "expected a value");
	expect_error("{,}", "expected a member name");
	expect_error("{1:2}", "expected a member name");
	expect_error("01", "leading zero");
	expect_error("-", "'-' without digits");
	expect_error("-a", "'-' without digits");
	expect_error("1.", "digits after '.'");
	expect_error(".5", "expected a value");
	expect_error("1e", "exponent");
	expect_error("1e+", "exponent");
	expect_error("+1", "expected a value");
	expect_error("tru", "expected a value");
	expect_error("nul", "expected a value");
	expect_error("True", "expected a value");
	expect_error("NaN", "expected a value");
	expect_error("\"abc", "unterminated string");
	expect_error("\"\\x\"", "unknown escape");
	expect_error("\"\\u12\"", "bad \\u escape");
	expect_error("\"\\u12g4\"", "bad \\u escape");
	expect_error("\"\\ud800\"", "high surrogate");
	expect_error("\"\\ud800\\u0041\"", "high surrogate");
	expect_error("\"\\udc00\"", "lone low surrogate");
	expect_error("\"a\x01z\"", "unescaped control character");
	expect_error("\"a\nz\"", "unescaped control character");
	expect_error("\"\xff\"", "invalid UTF-8");
	expect_error("\"\xc0\x80\"", "invalid UTF-8");           /* overlong NUL */
	expect_error("\"\xe0\x80\xaf\"", "invalid UTF-8");        /* overlong */
	expect_error("\"\xed\xa0\x80\"", "invalid UTF-8");        /* a surrogate in UTF-8 */
	expect_error("\"\xf4\x90\x80\x80\"", "invalid UTF-8");    /* above U+10FFFF */
	expect_error("\"\xe2\x82\"", "invalid UTF-8");            /* cut short */
	expect_error("[1] x", "after the end of the document");
	expect_error("[1]]", "after the end of the document");
	expect_error("{\"a\":1}}", "after the end of the document");
	expect_error("[1}", "expected ',' or ']'");
	expect_error("{\"a\":1]", "expected ',' or '}'");
	expect_error_n("[1,\0 2]", 7, "expected a value, found byte 0x00");
	expect_error_n("\"a\0b\"", 5, "unescaped control character 0x00");
	expect_ok("\"\\u0000\"");   /* an escaped NUL is fine */
	expect_ok(" [ ] ");
	expect_ok("\"\xe2\x82\xac \xf0\x9f\x98\x80\"");
	expect_ok("-0.0e-0");
}

Test(reach_json, deep_nesting_is_an_error_not_a_crash)
{
	size_t n = 200000;
	char *deep = malloc(2 * n);
	cr_assert_not_null(deep);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	expect_error_n(deep, 2 * n, "nesting deeper than 512");
	/* Exactly at the limit is fine. */
	memset(deep, '[', JSON_MAX_DEPTH);
	memset(deep + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	jdoc d;
	jd_open(&d, deep, 2 * JSON_MAX_DEPTH);
	cr_assert_eq(jd_drain(&d), JSON_EOF, "%s", d.r.err);
	jd_close(&d);
	/* Objects count too. */
	for (size_t k = 0; k < n / 5; k++)
		memcpy(deep + 5 * k, "{\"a\":", 5);
	expect_error_n(deep, n, "nesting deeper than 512");
	free(deep);
}

Test(reach_json, locations_are_line_and_column)
{
	static const char doc[] = "{\n  \"a\": [1,\n    2,,\n  ]\n}";
	jdoc d;
	size_t line, col;
	jd_open(&d, doc, strlen(doc));
	cr_assert_eq(jd_drain(&d), JSON_ERROR);
	json_location(&d.r, d.r.err_pos, &line, &col);
	cr_assert_eq(line, 3);
	cr_assert_eq(col, 7, "column of the second comma's successor: %zu", col);
	jd_close(&d);
}

Test(reach_json, skip_consumes_exactly_one_value)
{
	static const char doc[] = "{\"x\": {\"deep\": [1, {\"y\": [[]]}, \"s\"]}, \"z\": 7, \"w\": [1,2], \"v\": 3}";
	jdoc d;
	jd_open(&d, doc, strlen(doc));
	cr_assert_eq(json_next(&d.r), JSON_OBJECT);
	cr_assert_eq(json_next(&d.r), JSON_KEY);
	cr_assert(json_skip(&d.r), "skip a key's value: %s", d.r.err);
	cr_assert_eq(json_next(&d.r), JSON_KEY);
	cr_assert_str_eq(d.r.str, "z");
	cr_assert_eq(json_next(&d.r), JSON_NUMBER);
	cr_assert(json_skip(&d.r), "skipping a scalar that was read is a no-op");
	cr_assert_eq(json_next(&d.r), JSON_KEY);
	cr_assert_eq(json_next(&d.r), JSON_ARRAY);
	cr_assert(json_skip(&d.r), "skip the rest of an array just begun");
	cr_assert_eq(json_next(&d.r), JSON_KEY);
	cr_assert_str_eq(d.r.str, "v");
	cr_assert_eq(json_next(&d.r), JSON_NUMBER);
	cr_assert_eq(d.r.i, 3);
	cr_assert_eq(json_next(&d.r), JSON_OBJECT_END);
	cr_assert_eq(json_next(&d.r), JSON_EOF);
	jd_close(&d);
	/* A skip that runs into bad input fails. */
	jd_open(&d, "[1, [2, }", 9);
	cr_assert_eq(json_next(&d.r), JSON_ARRAY);
	cr_assert_not(json_skip(&d.r));
	jd_close(&d);
}

/* Random bytes and random edits of valid documents: the reader must end in
 * JSON_EOF or JSON_ERROR, never crash or loop (ASan checks every read). */
Test(reach_json, random_inputs_never_crash)
{
	static const char base[] =
		"{\"schema\":\"mapgc.heapsnapshot\",\"a\":[1,-2.5e3,true,null,\"\\u00e9\\ud83d\\ude00\"],\"b\":{\"c\":[[],{}]}}";
	static const char alphabet[] = "{}[],:\"\\-+.0123456789eEtrufalsn \n\x01\x7f\xc3\xa9\xed\xa0\x80\xff";
	mgt_rng rng;
	mgt_rng_init(&rng, 7);
	char buf[256];
	for (int round = 0; round < 20000; round++) {
		size_t n;
		if (round % 2 == 0) {
			n = (size_t)mgt_rng_below(&rng, sizeof buf);
			for (size_t k = 0; k < n; k++)
				buf[k] = alphabet[mgt_rng_below(&rng, sizeof alphabet - 1)];
		} else {
			n = strlen(base);
			memcpy(buf, base, n);
			int edits = 1 + (int)mgt_rng_below(&rng, 4);
			for (int e = 0; e < edits && n > 0; e++) {
				size_t at = (size_t)mgt_rng_below(&rng, n);
				switch (mgt_rng_below(&rng, 3)) {
				case 0: buf[at] = alphabet[mgt_rng_below(&rng, sizeof alphabet - 1)]; break;
				case 1: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
				default:
					if (n + 1 < sizeof buf) {
						memmove(buf + at + 1, buf + at, n - at);
						buf[at] = alphabet[mgt_rng_below(&rng, sizeof alphabet - 1)];
						n++;
					}
				}
			}
		}
		jdoc d;
		jd_open(&d, buf, n);
		json_tok t = jd_drain(&d);
		cr_assert(t == JSON_EOF || (t == JSON_ERROR && d.r.err[0] != '\0' && d.r.err_pos <= n));
		jd_close(&d);
	}
}
