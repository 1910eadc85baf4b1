/*
 * gctrace=1 (DESIGN.md §5, contract): every line matches Go 1.19's format,
 * cycles count from 1, " (forced)" marks exactly the mg_gc cycles, and the
 * numbers are the collector's own.
 */
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* The contract, verbatim. */
static const char *const contract_re =
	"^gc [0-9]+ @[0-9]+\\.[0-9]{3}s [0-9]+%: [0-9.]+\\+[0-9.]+\\+[0-9.]+ ms clock, "
	"[0-9.]+\\+[0-9.]+/[0-9.]+/[0-9.]+\\+[0-9.]+ ms cpu, [0-9]+->[0-9]+->[0-9]+ MB, [0-9]+ MB goal, "
	"[0-9]+ MB stacks, [0-9]+ MB globals, [0-9]+ P( \\(forced\\))?$";

/* The same shape, capturing what the tests compare. */
static const char *const fields_re =
	"^gc ([0-9]+) @([0-9]+)\\.([0-9]{3})s [0-9]+%: .* ms cpu, ([0-9]+)->([0-9]+)->([0-9]+) MB, ([0-9]+) MB goal, "
	"([0-9]+) MB stacks, ([0-9]+) MB globals, ([0-9]+) P( \\(forced\\))?$";

typedef struct gcline {
	uint64_t n, secs, ms, h0, h1, h2, goal, stacks, globals, procs;
	bool forced;
} gcline;

typedef struct trace {
	FILE *f;
	char *buf;
	size_t len;
	size_t seen;     /* bytes of buf already parsed */
	regex_t contract, fields;
	gcline lines[256];
	size_t n;
} trace;

static void trace_open(trace *t)
{
	memset(t, 0, sizeof *t);
	t->f = open_memstream(&t->buf, &t->len);
	cr_assert_not_null(t->f);
	cr_assert_eq(regcomp(&t->contract, contract_re, REG_EXTENDED | REG_NOSUB), 0);
	cr_assert_eq(regcomp(&t->fields, fields_re, REG_EXTENDED), 0);
}

static void trace_close(trace *t)
{
	fclose(t->f);
	free(t->buf);
	regfree(&t->contract);
	regfree(&t->fields);
}

static uint64_t cap_u64(const char *line, const regmatch_t *m)
{
	return strtoull(line + m->rm_so, NULL, 10);
}

/* Parses the lines written since the last call; returns how many. */
static size_t trace_poll(trace *t)
{
	fflush(t->f);
	size_t added = 0;
	while (t->seen < t->len) {
		char *start = t->buf + t->seen;
		char *nl = memchr(start, '\n', t->len - t->seen);
		cr_assert_not_null(nl, "unterminated trace line: %.*s", (int)(t->len - t->seen), start);
		*nl = '\0';
		cr_assert_eq(regexec(&t->contract, start, 0, NULL, 0), 0, "line does not match the contract:\n%s", start);
		regmatch_t m[12];
		cr_assert_eq(regexec(&t->fields, start, 12, m, 0), 0, "%s", start);
		cr_assert_lt(t->n, sizeof t->lines / sizeof t->lines[0]);
		gcline *g = &t->lines[t->n++];
		g->n = cap_u64(start, &m[1]);
		g->secs = cap_u64(start, &m[2]);
		g->ms = cap_u64(start, &m[3]);
		g->h0 = cap_u64(start, &m[4]);
		g->h1 = cap_u64(start, &m[5]);
		g->h2 = cap_u64(start, &m[6]);
		g->goal = cap_u64(start, &m[7]);
		g->stacks = cap_u64(start, &m[8]);
		g->globals = cap_u64(start, &m[9]);
		g->procs = cap_u64(start, &m[10]);
		g->forced = m[11].rm_so >= 0;
		*nl = '\n';
		t->seen = (size_t)(nl - t->buf) + 1;
		added++;
	}
	return added;
}

static mg_runtime *open_traced(trace *t, int gogc)
{
	trace_open(t);
	mg_config c;
	mgt_config(&c);
	c.gctrace = 1;
	c.trace = t->f;
	c.gogc = gogc;
	return mgt_open(&c);
}

// labels: exact_pacing
Test(gctrace, lines_follow_the_contract)
{
	trace t;
	mg_runtime *rt = open_traced(&t, 100);
	mg_scope s;
	mg_scope_enter(rt, &s);
	/* 3 MiB that stays live, so the MB figures are not all zero. */
	void *live[3];
	for (int i = 0; i < 3; i++) {
		live[i] = mg_alloc_bytes(rt, 1 << 20);
		mg_root(rt, &live[i], "live");
	}
	uint64_t expect_n = 0;

	/* Two forced cycles from a quiet heap. */
	for (int k = 0; k < 2; k++) {
		mg_stats before = mgt_stats(rt);
		cr_assert_eq(before.phase, GC_OFF);
		mg_gc(rt);
		mg_stats after = mgt_stats(rt);
		cr_assert_eq(trace_poll(&t), 1, "one line per cycle");
		gcline *g = &t.lines[t.n - 1];
		cr_assert_eq(g->n, ++expect_n);
		cr_assert(g->forced, "an mg_gc line without (forced)");
		cr_assert_eq(g->h2, after.heap_marked >> 20, "H2 %" PRIu64 " vs heap_marked %" PRIu64, g->h2,
		             after.heap_marked);
		cr_assert_eq(g->h2, 3);
		cr_assert_eq(g->goal, before.heap_goal >> 20, "the line shows the goal the cycle ran against");
		if (k == 1)
			cr_assert_eq(g->h0, before.heap_inuse >> 20, "H0 is the heap when the cycle started");
		cr_assert_eq(g->stacks, 0);
		cr_assert_eq(g->globals, 0);
		cr_assert_eq(g->procs, after.procs, "W is the runtime's Ps");
		cr_assert_geq(g->procs, 1);
	}

	/* Natural cycles: garbage until three more have ended. */
	uint64_t target = expect_n + 3;
	for (int i = 0; mgt_stats(rt).cycles < target; i++) {
		cr_assert_lt(i, 200000, "no natural cycles");
		uint64_t cycles = mgt_stats(rt).cycles;
		mg_alloc_bytes(rt, 2000);
		mg_safepoint(rt);
		mg_stats st = mgt_stats(rt);
		if (st.cycles == cycles)
			continue;
		cr_assert_eq(trace_poll(&t), st.cycles - cycles);
		gcline *g = &t.lines[t.n - 1];
		cr_assert_eq(g->n, st.cycles);
		cr_assert_not(g->forced, "a paced cycle marked (forced)");
		cr_assert_eq(g->h2, st.heap_marked >> 20);
		cr_assert_geq(g->h1, g->h2 > 0 ? 1 : 0);
	}
	expect_n = mgt_stats(rt).cycles;

	/* mg_gc while a paced cycle is marking: that cycle finishes unforced,
	 * then the forced one runs.  (A stop-the-world MAPGC_TEST_MODE never
	 * leaves a cycle marking between allocations.) */
	size_t want_forced = 2;
	if (!mgt_test_mode_stw()) {
		while (mgt_stats(rt).phase != GC_MARK)
			mg_alloc_bytes(rt, 2000);
		uint64_t cycles = mgt_stats(rt).cycles;
		mg_gc(rt);
		cr_assert_eq(mgt_stats(rt).cycles, cycles + 2);
		cr_assert_eq(trace_poll(&t), 2);
		cr_assert_not(t.lines[t.n - 2].forced);
		cr_assert(t.lines[t.n - 1].forced);
		cr_assert_eq(t.lines[t.n - 1].h2, mgt_stats(rt).heap_marked >> 20);
		want_forced = 3;
	}

	/* Numbering, time and the forced count, over the whole trace. */
	size_t forced = 0;
	for (size_t i = 0; i < t.n; i++) {
		cr_assert_eq(t.lines[i].n, i + 1, "line %zu is cycle %" PRIu64, i, t.lines[i].n);
		forced += t.lines[i].forced;
		if (i) {
			uint64_t a = t.lines[i - 1].secs * 1000 + t.lines[i - 1].ms, b = t.lines[i].secs * 1000 + t.lines[i].ms;
			cr_assert_leq(a, b, "time went backwards at cycle %zu", i + 1);
		}
	}
	cr_assert_eq(forced, mgt_stats(rt).forced_cycles);
	cr_assert_eq(forced, want_forced);
	cr_assert_eq(t.n, mgt_stats(rt).cycles);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
	trace_close(&t);
}

Test(gctrace, stacks_and_globals_megabytes)
{
	trace t;
	mg_runtime *rt = open_traced(&t, 100);
	/* 3 MiB of scope-root slots (and 2 MiB of global ones) count as stacks
	 * (and globals) in the line: the root bytes scanned. */
	enum { NS = (3 << 20) / 8, NG = (2 << 20) / 8 };
	void **slots = calloc(NS + NG, sizeof *slots);
	cr_assert_not_null(slots);
	mg_scope s;
	mg_scope_enter(rt, &s);
	for (size_t i = 0; i < NS; i++)
		mg_root(rt, &slots[i], "s");
	for (size_t i = 0; i < NG; i++)
		mg_global_root(rt, &slots[NS + i], "g");
	mg_gc(rt);
	cr_assert_eq(trace_poll(&t), 1);
	cr_assert_eq(t.lines[0].stacks, 3);
	cr_assert_eq(t.lines[0].globals, 2);
	/* goal counts them: marked 0 + (0 + 3 MiB + 2 MiB) < 4 MiB minimum?  No: 5 MiB. */
	cr_assert_eq(mgt_stats(rt).heap_goal, (uint64_t)5 << 20);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
	trace_close(&t);
	free(slots);
}

Test(gctrace, off_prints_nothing)
{
	trace t;
	trace_open(&t);
	mg_config c;
	mgt_config(&c);
	c.trace = t.f;
	mg_runtime *rt = mgt_open(&c);
	mg_gc(rt);
	for (int i = 0; i < 5000; i++)
		mg_alloc_bytes(rt, 2000);
	cr_assert_gt(mgt_stats(rt).cycles, 1);
	cr_assert_eq(trace_poll(&t), 0);
	mgt_close(rt);
	trace_close(&t);
}

Test(gctrace, goes_to_stderr_by_default)
{
	mg_config c;
	mgt_config(&c);
	c.gctrace = 1;
	mg_runtime *rt = mgt_open(&c);
	mgt_capture_begin();
	mg_gc(rt);
	const char *err = mgt_capture_end();
	regex_t re;
	cr_assert_eq(regcomp(&re, contract_re, REG_EXTENDED | REG_NOSUB | REG_NEWLINE), 0);
	cr_assert_eq(regexec(&re, err, 0, NULL, 0), 0, "%s", err);
	cr_assert_eq(strncmp(err, "gc 1 @", 6), 0, "%s", err);
	cr_assert_eq(mgt_count_lines(err, "gc "), 1);
	regfree(&re);
	mgt_close(rt);
}

/* Go's fmtNSAsMS. */
Test(gctrace, format_ms_like_go)
{
	static const struct { uint64_t ns; const char *s; } cases[] = {
		{0, "0"},           {999, "0"},           {1000, "0.001"},     {1999, "0.001"},
		{12345, "0.012"},   {99999, "0.099"},     {100000, "0.10"},    {123456, "0.12"},
		{999999, "0.99"},   {1000000, "1.0"},     {1234567, "1.2"},    {9999999, "9.9"},
		{10000000, "10"},   {10999999, "10"},     {123456789, "123"},  {1000000000, "1000"},
		{UINT64_MAX, "18446744073709"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[32];
		memset(buf, 'x', sizeof buf);
		gc_format_ms(buf, sizeof buf, cases[i].ns);
		cr_assert_str_eq(buf, cases[i].s, "%" PRIu64 " ns", cases[i].ns);
	}
}
