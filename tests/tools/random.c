/*
 * random.c — a quick randomised test of the trace parser and everything
 * behind it (the thorough fuzzing is for a fuzzer later): random bytes,
 * and real logs mutated (bytes flipped, inserted, deleted, lines spliced
 * and duplicated, NUL, 0xff, digits and separators thrown in, truncation,
 * very long lines), RANDOM_INPUTS inputs in all.  Each one is read from
 * an exactly-sized heap copy (so ASan sees any overread), parsed line by
 * line with the record checked, assembled, and written as summary, CSV and
 * JSON (the JSON must be valid) and, for some, as the HTML report (which
 * must be balanced).  Seeded: MAPGC_TEST_SEED repeats a run.
 */
#include "tests/tools/trace_test.h"
#include "tests/support/mgt.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	RANDOM_INPUTS = 12000,
	MAX_INPUT = 12000,          /* bytes per input (long lines come from a separate kind) */
	HTML_EVERY = 25,            /* inputs between HTML renderings */
};

static const char *const logs[] = { "go119.log", "go16.log", "go15.log", "mapgc.log", "wbtrace.log",
	"malformed.log" };
enum { NLOGS = sizeof logs / sizeof *logs };

/* Fragments that steer random input into the parsers' deeper states. */
static const char *const tokens[] = {
	"gc ", "gc #", "map ", "mapev ", "GC forced", " @", "s ", "%: ", "+", "/", " ms clock, ", " ms cpu, ", "->",
	" MB, ", " MB goal, ", " MB stacks, ", " MB globals, ", " P", " (forced)", " m#", "=", " maps, ",
	" growing (", " same-size), ", " iters: ", " buckets new+old, ", " evacuated, ", " overflow new+old, ",
	" iter-only arrays ", " KB, tophash ", "\n", "\r\n", "0", "1", "9", "18446744073709551616", ".", "\xff",
	"\0", " ",
};
enum { NTOKENS = sizeof tokens / sizeof *tokens };

typedef struct buf {
	char *p;
	size_t n, cap;
} buf;

static void put(buf *b, const void *s, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		cr_assert_not_null(b->p);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void put_token(buf *b, mgt_rng *r)
{
	size_t t = mgt_rng_below(r, NTOKENS);
	put(b, tokens[t], t == NTOKENS - 2 ? 1 : strlen(tokens[t]));   /* "\0" is one byte */
}

static void random_input(buf *b, mgt_rng *r)
{
	size_t n = mgt_rng_below(r, 2000);
	for (size_t i = 0; i < n; i++) {
		if (mgt_rng_below(r, 3) == 0) {
			put_token(b, r);
		} else {
			char c = (char)mgt_rng_below(r, 256);
			put(b, &c, 1);
		}
	}
}

static void mutated_input(buf *b, mgt_rng *r, const char *const *data, const size_t *len)
{
	size_t which = mgt_rng_below(r, NLOGS);
	const char *src = data[which];
	size_t n = len[which];
	/* a window of the log, so inputs stay small */
	size_t start = n ? mgt_rng_below(r, n) : 0;
	while (start > 0 && src[start - 1] != '\n')
		start--;
	size_t take = 1 + mgt_rng_below(r, 3000);
	if (take > n - start)
		take = n - start;
	put(b, src + start, take);
	size_t muts = 1 + mgt_rng_below(r, 12);
	for (size_t m = 0; m < muts && b->n > 0; m++) {
		size_t at = mgt_rng_below(r, b->n);
		switch (mgt_rng_below(r, 7)) {
		case 0:   /* flip a byte */
			b->p[at] ^= (char)(1u << mgt_rng_below(r, 8));
			break;
		case 1:   /* delete a run */
		{
			size_t k = 1 + mgt_rng_below(r, 16);
			if (k > b->n - at)
				k = b->n - at;
			memmove(b->p + at, b->p + at + k, b->n - at - k);
			b->n -= k;
			break;
		}
		case 2:   /* insert a token */
		case 3: {
			buf t = { 0 };
			put_token(&t, r);
			put(b, t.p, t.n);   /* room */
			memmove(b->p + at + t.n, b->p + at, b->n - t.n - at);
			memcpy(b->p + at, t.p, t.n);
			free(t.p);
			break;
		}
		case 4:   /* truncate */
			b->n = at;
			break;
		case 5:   /* duplicate a chunk at the end (splices lines) */
		{
			size_t k = mgt_rng_below(r, 200);
			if (k > b->n - at)
				k = b->n - at;
			char *tmp = malloc(k + 1);
			memcpy(tmp, b->p + at, k);
			put(b, tmp, k);
			free(tmp);
			break;
		}
		case 6:   /* a digit run (numbers out of range) */
		{
			char digits[40];
			size_t k = 1 + mgt_rng_below(r, sizeof digits);
			for (size_t i = 0; i < k; i++)
				digits[i] = (char)('0' + mgt_rng_below(r, 10));
			put(b, digits, k);
			break;
		}
		}
	}
}

/* A line far over TRACE_LINE_MAX, trace-looking or not. */
static void long_input(buf *b, mgt_rng *r)
{
	if (mgt_rng_below(r, 2))
		put(b, "gc 1 @", 6);
	size_t n = TRACE_LINE_MAX + mgt_rng_below(r, 3 * TRACE_LINE_MAX);
	for (size_t i = 0; i < n; i++)
		put_token(b, r);
	put(b, "\n", 1);
}

/* The record's own invariants (inv.bounded-parse). */
static void check_record(const char *line, size_t len, trace_kind kind, const trace_record *rec)
{
	cr_assert(kind >= TRACE_NONE && kind <= TRACE_MALFORMED);
	cr_assert_eq(kind, rec->kind);
	size_t errlen = strnlen(rec->err, TRACE_ERR_MAX);
	cr_assert_lt(errlen, TRACE_ERR_MAX, "error message not terminated");
	if (kind == TRACE_MALFORMED) {
		cr_assert_gt(errlen, 0);
		cr_assert(trace_line_looks_like_trace(line, len), "malformed, yet not trace-looking");
		for (size_t i = 0; i < errlen; i++)
			cr_assert((unsigned char)rec->err[i] >= 0x20 && (unsigned char)rec->err[i] < 0x7f);
	} else {
		cr_assert_eq(errlen, 0);
	}
	if (kind != TRACE_NONE && kind != TRACE_MALFORMED)
		cr_assert_lt(rec->offset, len);
	if (kind == TRACE_MAPEV) {
		for (size_t i = 0; i < rec->u.ev.npairs; i++) {
			cr_assert_leq(rec->u.ev.pair[i].key_off + rec->u.ev.pair[i].key_len, len);
			cr_assert_leq(rec->u.ev.pair[i].val_off + rec->u.ev.pair[i].val_len, len);
		}
		cr_assert_lt(strlen(rec->u.ev.name), sizeof rec->u.ev.name);
	}
}

static void run_one(const char *input, size_t n, bool html)
{
	/* an exact-size copy: any read past n is an ASan report */
	char *copy = malloc(n ? n : 1);
	memcpy(copy, input, n);

	/* line by line, straight through the parser */
	trace_reader *rd = malloc(sizeof *rd);
	trace_reader_init_mem(rd, copy, n);
	trace_line line;
	static trace_record rec;
	while (trace_reader_next(rd, &line) > 0) {
		char *exact = malloc(line.len ? line.len : 1);
		memcpy(exact, line.p, line.len);
		trace_kind kind = trace_parse_line(exact, line.len, &rec);
		check_record(exact, line.len, kind, &rec);
		free(exact);
	}
	free(rd);

	/* and through everything behind it */
	trace_log *log = tt_log_from(copy, n);
	size_t len;
	char why[256];
	char *out = tt_render(tt_w_json, log, NULL, &len);
	cr_assert(tt_json_valid(out, len, why, sizeof why), "invalid JSON: %s", why);
	free(out);
	free(tt_render(tt_w_csv, log, NULL, &len));
	free(tt_render(tt_w_summary, log, NULL, &len));
	if (html) {
		size_t nsvg;
		out = tt_render(tt_w_html, log, NULL, &len);
		cr_assert(tt_html_balanced(out, len, &nsvg, why, sizeof why), "unbalanced HTML: %s", why);
		free(out);
	}
	tt_log_free(log);
	free(copy);
}

Test(trace_random, random_and_mutated_inputs, .timeout = 240)
{
	mgt_rng r;
	mgt_rng_init(&r, 0x7ace);
	const char *data[NLOGS];
	size_t len[NLOGS];
	for (size_t i = 0; i < NLOGS; i++)
		data[i] = tt_read_file(tt_data_path(logs[i]), &len[i]);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	buf b = { 0 };
	size_t kinds[3] = { 0 };
	for (size_t i = 0; i < RANDOM_INPUTS; i++) {
		b.n = 0;
		size_t kind = mgt_rng_below(&r, 100) < 45 ? 0 : mgt_rng_below(&r, 100) < 98 ? 1 : 2;
		if (kind == 0)
			random_input(&b, &r);
		else if (kind == 1)
			mutated_input(&b, &r, data, len);
		else
			long_input(&b, &r);
		if (b.n > MAX_INPUT && kind != 2)
			b.n = MAX_INPUT;
		kinds[kind]++;
		run_one(b.p, b.n, i % HTML_EVERY == 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_log_info("%d inputs (%zu random, %zu mutated logs, %zu long lines) in %.1f s, seed %llu", RANDOM_INPUTS,
	            kinds[0], kinds[1], kinds[2], (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	            (unsigned long long)mgt_current_seed());
	free(b.p);
	for (size_t i = 0; i < NLOGS; i++)
		free((char *)data[i]);
}
