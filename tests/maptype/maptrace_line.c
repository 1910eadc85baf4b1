/*
 * maptrace=1 (DESIGN.md §5, contract): the per-cycle `map N …` line.
 *
 * Every scenario is built by hand so that its figures are known: a map
 * mid-grow with a chosen evacuation prefix, an iterator holding an array
 * its map has let go of, noscan overflow chains of a chosen length,
 * tophash states after a chosen order of deletes.  Each figure is checked
 * twice: in map_trace_last (the numbers as gathered) and in the printed
 * line (parsed after it matched the contract's format verbatim), so a
 * figure that is gathered right but printed wrong is caught too.
 *
 * The truth comes from the scenario (constants the construction implies)
 * and, for the tophash and overflow totals, from walking the map's arrays
 * here with map.h's geometry — an oracle that shares no code with trace.c.
 *
 * Every trace is also checked line by line: only gc and map lines, each
 * matching its contract regex, each map line right after the gc line of
 * the same cycle with the same @S.SSSs, and (maptrace=1) every gc line
 * followed by its map line.
 */
#include "tests/support/map_figs.h"
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"
#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the contract formats, verbatim ----------------------------------------- */

static const char *const gc_contract_re =
	"^gc [0-9]+ @[0-9]+\\.[0-9]{3}s [0-9]+%: [0-9.]+\\+[0-9.]+\\+[0-9.]+ ms clock, "
	"[0-9.]+\\+[0-9.]+/[0-9.]+/[0-9.]+\\+[0-9.]+ ms cpu, [0-9]+->[0-9]+->[0-9]+ MB, [0-9]+ MB goal, "
	"[0-9]+ MB stacks, [0-9]+ MB globals, [0-9]+ P( \\(forced\\))?$";

static const char *const map_contract_re =
	"^map [0-9]+ @[0-9]+\\.[0-9]{3}s: [0-9]+ maps, [0-9]+ growing \\([0-9]+ same-size\\), [0-9]+ iters: "
	"[0-9]+\\+[0-9]+ buckets new\\+old, [0-9]+/[0-9]+ evacuated, [0-9]+\\+[0-9]+ overflow new\\+old, "
	"[0-9]+ iter-only arrays [0-9]+ KB, tophash [0-9]+/[0-9]+/[0-9]+/[0-9]+/[0-9]+/[0-9]+ "
	"full/emptyOne/emptyRest/evacX/evacY/evacEmpty$";

/* ---- figures ---------------------------------------------------------------- */

/* The expected figures, and the oracle that walks maps for them:
 * tests/support/map_figs.h. */
typedef mgt_figs figs;

typedef struct gline {
	uint64_t n, secs, ms, h0, h1, h2, goal, stacks, globals, procs;
	bool forced;
} gline;

typedef struct mline {
	uint64_t n, secs, ms;
	uint64_t maps, growing, same, iters, bn, bo, evac, old, vn, vo, j, kb, full, e1, er, ex, ey, ee;
	char text[400];   /* the line from "maps" on */
} mline;

#define MAXLINES 128

typedef struct tl {
	FILE *f;
	char *buf;
	size_t len, seen;
	regex_t gc_re, map_re;
	int maptrace;
	gline g[MAXLINES];
	mline m[MAXLINES];
	size_t ng, nm;
	char last;        /* 'g' or 'm': kind of the last line parsed */
	mg_runtime *rt;
	mg_scope scope;
	mg_hmap *m0, *m1;
	mg_hiter *it;
} tl;

static void tl_regex(tl *t)
{
	cr_assert_eq(regcomp(&t->gc_re, gc_contract_re, REG_EXTENDED | REG_NOSUB), 0);
	cr_assert_eq(regcomp(&t->map_re, map_contract_re, REG_EXTENDED | REG_NOSUB), 0);
}

static bool is_gc_line(tl *t, const char *s) { return regexec(&t->gc_re, s, 0, NULL, 0) == 0; }
static bool is_map_line(tl *t, const char *s) { return regexec(&t->map_re, s, 0, NULL, 0) == 0; }

static void parse_gc(const char *s, gline *g)
{
	int off = 0;
	cr_assert_eq(sscanf(s, "gc %" SCNu64 " @%" SCNu64 ".%" SCNu64 "s %*u%%: %n", &g->n, &g->secs, &g->ms, &off), 3,
	             "%s", s);
	const char *p = strstr(s, " ms cpu, ");
	cr_assert_not_null(p, "%s", s);
	int end = 0;
	cr_assert_eq(sscanf(p, " ms cpu, %" SCNu64 "->%" SCNu64 "->%" SCNu64 " MB, %" SCNu64 " MB goal, %" SCNu64
	                       " MB stacks, %" SCNu64 " MB globals, %" SCNu64 " P%n",
	                    &g->h0, &g->h1, &g->h2, &g->goal, &g->stacks, &g->globals, &g->procs, &end),
	             7, "%s", s);
	g->forced = strcmp(p + end, " (forced)") == 0;
	cr_assert(g->forced || p[end] == '\0', "%s", s);
}

static void parse_map(const char *s, mline *m)
{
	int end = 0, body = 0;
	int got = sscanf(s,
	                 "map %" SCNu64 " @%" SCNu64 ".%" SCNu64 "s: %n%" SCNu64 " maps, %" SCNu64 " growing (%" SCNu64
	                 " same-size), %" SCNu64 " iters: %" SCNu64 "+%" SCNu64 " buckets new+old, %" SCNu64 "/%" SCNu64
	                 " evacuated, %" SCNu64 "+%" SCNu64 " overflow new+old, %" SCNu64 " iter-only arrays %" SCNu64
	                 " KB, tophash %" SCNu64 "/%" SCNu64 "/%" SCNu64 "/%" SCNu64 "/%" SCNu64 "/%" SCNu64
	                 " full/emptyOne/emptyRest/evacX/evacY/evacEmpty%n",
	                 &m->n, &m->secs, &m->ms, &body, &m->maps, &m->growing, &m->same, &m->iters, &m->bn, &m->bo,
	                 &m->evac, &m->old, &m->vn, &m->vo, &m->j, &m->kb, &m->full, &m->e1, &m->er, &m->ex, &m->ey,
	                 &m->ee, &end);
	cr_assert_eq(got, 21, "map line does not parse: %s", s);
	cr_assert_eq(s[end], '\0', "%s", s);
	snprintf(m->text, sizeof m->text, "%s", s + body);
}

/* Parses the lines written since the last call. */
static void tl_poll(tl *t)
{
	fflush(t->f);
	while (t->seen < t->len) {
		char *start = t->buf + t->seen;
		char *nl = memchr(start, '\n', t->len - t->seen);
		cr_assert_not_null(nl, "unterminated trace line: %.*s", (int)(t->len - t->seen), start);
		*nl = '\0';
		if (strncmp(start, "gc ", 3) == 0) {
			cr_assert(is_gc_line(t, start), "gc line does not match the contract:\n%s", start);
			cr_assert(t->maptrace == 0 || t->last != 'g', "gc line without its map line before:\n%s", start);
			cr_assert_lt(t->ng, MAXLINES);
			parse_gc(start, &t->g[t->ng++]);
			t->last = 'g';
		} else if (strncmp(start, "map ", 4) == 0) {
			cr_assert(t->maptrace >= 1, "a map line with maptrace=0:\n%s", start);
			cr_assert(is_map_line(t, start), "map line does not match the contract:\n%s", start);
			cr_assert_eq(t->last, 'g', "a map line not right after a gc line:\n%s", start);
			cr_assert_lt(t->nm, MAXLINES);
			mline *m = &t->m[t->nm++];
			parse_map(start, m);
			const gline *g = &t->g[t->ng - 1];
			cr_assert_eq(m->n, g->n, "map line of cycle %" PRIu64 " after the gc line of cycle %" PRIu64, m->n, g->n);
			cr_assert(m->secs == g->secs && m->ms == g->ms,
			          "map line @%" PRIu64 ".%03" PRIu64 "s, its gc line @%" PRIu64 ".%03" PRIu64 "s", m->secs,
			          m->ms, g->secs, g->ms);
			t->last = 'm';
		} else {
			cr_assert_fail("unexpected trace line: %s", start);
		}
		*nl = '\n';
		t->seen = (size_t)(nl - t->buf) + 1;
	}
	cr_assert(t->maptrace == 0 || t->last != 'g', "the last gc line has no map line");
}

static void tl_open(tl *t, int maptrace, uint64_t seed)
{
	memset(t, 0, sizeof *t);
	tl_regex(t);
	t->maptrace = maptrace;
	t->f = open_memstream(&t->buf, &t->len);
	cr_assert_not_null(t->f);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.maptrace = maptrace;
	cfg.gctrace = 1;
	cfg.trace = t->f;
	cfg.gogc = MG_GOGC_OFF;
	cfg.seed = seed;
	cfg.seed_set = true;
	t->rt = mgt_open(&cfg);
	mg_scope_enter(t->rt, &t->scope);
	mg_root(t->rt, &t->m0, "m0");
	mg_root(t->rt, &t->m1, "m1");
}

static void tl_close(tl *t)
{
	t->m0 = t->m1 = NULL;
	t->it = NULL;
	mg_scope_leave(t->rt, &t->scope);
	mgt_close(t->rt);
	fclose(t->f);
	free(t->buf);
	regfree(&t->gc_re);
	regfree(&t->map_re);
}

/* One forced cycle: exactly one gc line and one map line; returns the latter. */
static const mline *tl_gc(tl *t)
{
	size_t ng = t->ng, nm = t->nm;
	mg_gc(t->rt);
	tl_poll(t);
	cr_assert_eq(t->ng, ng + 1, "mg_gc printed %zu gc lines", t->ng - ng);
	cr_assert_eq(t->nm, nm + 1, "mg_gc printed %zu map lines", t->nm - nm);
	cr_assert(t->g[t->ng - 1].forced, "mg_gc's line ends in (forced)");
	return &t->m[t->nm - 1];
}

/* The exact text the contract gives for these figures (from "maps" on). */
static void figs_text(const figs *w, char *buf, size_t n)
{
	snprintf(buf, n,
	         "%" PRIu64 " maps, %" PRIu64 " growing (%" PRIu64 " same-size), %" PRIu64 " iters: %" PRIu64 "+%" PRIu64
	         " buckets new+old, %" PRIu64 "/%" PRIu64 " evacuated, %" PRIu64 "+%" PRIu64 " overflow new+old, %" PRIu64
	         " iter-only arrays %" PRIu64 " KB, tophash %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
	         "/%" PRIu64 " full/emptyOne/emptyRest/evacX/evacY/evacEmpty",
	         w->maps, w->growing, w->same, w->iters, w->bn, w->bo, w->evac, w->bo, w->vn, w->vo, w->j,
	         w->jbytes >> 10, w->full, w->e1, w->er, w->ex, w->ey, w->ee);
}

/* Both views of the last cycle against the expected figures. */
static void expect_figs(tl *t, const mline *m, const figs *w, const char *what)
{
	mgt_figs_expect_last(t->rt, w, what);
	char text[400];
	figs_text(w, text, sizeof text);
	cr_assert_str_eq(m->text, text, "%s: the printed map line\n  got:  %s\n  want: %s", what, m->text, text);
}

/* ---- building maps ----------------------------------------------------------- */

static const mg_maptype *i64_i64(tl *t)
{
	return mg_maptype_get(t->rt, &mg_type_int64, &mg_type_int64);
}

static void seti(tl *t, mg_hmap *m, int64_t k, int64_t v)
{
	mg_map_set(t->rt, m, &k, &v);
}

static void deli(tl *t, mg_hmap *m, int64_t k)
{
	mg_map_delete(t->rt, m, &k);
}

static uint64_t bucket_of(const mg_hmap *h, int64_t k, unsigned bits)
{
	return map_hash(h->t, &k, h->hash0) & (((uint64_t)1 << bits) - 1);
}

/* A key (from *next on, never used before) whose low `bits` hash bits are want. */
static int64_t key_for(const mg_hmap *h, unsigned bits, uint64_t want, int64_t *next)
{
	for (int tries = 0; tries < 1 << 20; tries++) {
		int64_t k = (*next)++;
		if (bucket_of(h, k, bits) == want)
			return k;
	}
	cr_assert_fail("no key for bucket %" PRIu64, want);
	return 0;
}

/* Keys 1..52 from B=0: a B=3 map that is full to the load factor (the
 * next new key starts a doubling). */
static void build_b3_full(tl *t, mg_hmap *m)
{
	for (int64_t k = 1; k <= 52; k++)
		seti(t, m, k, k);
	mg_mapinfo in;
	mg_map_info(m, &in);
	cr_assert(in.B == 3 && !in.growing && in.count == 52, "setup: B=%u growing=%d count=%zu", in.B, in.growing,
	          in.count);
}

/* Assigns (updates of present keys) until the grow is over. */
static void finish_grow(tl *t, mg_hmap *m)
{
	for (int64_t k = 1; m->oldbuckets; k++) {
		cr_assert_lt(k, 1000, "the grow does not finish");
		seti(t, m, k, -k);
	}
}

/* ---- tests --------------------------------------------------------------------- */

// labels: exact_pacing
Test(maptrace_line, mid_grow_figures)
{
	tl t;
	tl_open(&t, 1, 0x3a7);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 0);
	build_b3_full(&t, t.m0);
	mg_mapinfo in;

	/* The 53rd key doubles B=3 -> 4.  Chosen in old bucket 0, its assign
	 * evacuates old bucket 0 and then old bucket nevacuate = 1. */
	int64_t next = 1000;
	int64_t k53 = key_for(t.m0, 3, 0, &next);
	seti(&t, t.m0, k53, 53);
	mg_map_info(t.m0, &in);
	cr_assert(in.growing && !in.same_size && in.B == 4 && in.noldbuckets == 8 && in.nevacuate == 2,
	          "after the 53rd key: growing=%d same=%d B=%u old=%zu nevacuate=%zu", in.growing, in.same_size, in.B,
	          in.noldbuckets, in.nevacuate);
	for (uint64_t i = 0; i < 8; i++)
		cr_assert_eq(mgt_old_bucket_evacuated(t.m0->t, t.m0->oldbuckets, i), i < 2, "old bucket %" PRIu64, i);

	/* An update of a present key in old bucket 2 = nevacuate evacuates 2, then 3. */
	int64_t k2 = 0;
	for (int64_t k = 1; k <= 52 && !k2; k++)
		if (bucket_of(t.m0, k, 3) == 2)
			k2 = k;
	cr_assert_neq(k2, 0);
	seti(&t, t.m0, k2, -1);
	mg_map_info(t.m0, &in);
	cr_assert_eq(in.nevacuate, 4);
	cr_assert_eq(in.count, 53);

	figs w = {0};
	mgt_figs_map(&w, t.m0);
	/* What the construction fixes, independently of the walk. */
	cr_assert(w.maps == 1 && w.growing == 1 && w.same == 0 && w.bn == 16 && w.bo == 8 && w.evac == 4);
	cr_assert_eq(w.full, 53, "every entry is one full cell (noscan: evacuated cells are marked, not full)");
	cr_assert_eq(w.full + w.e1 + w.er + w.ex + w.ey + w.ee, 8 * (16 + 8 + w.vn + w.vo));

	const mline *m = tl_gc(&t);
	cr_assert_eq(m->n, 1);
	expect_figs(&t, m, &w, "mid-grow, 4/8 evacuated");
	/* Nothing changed: a second cycle says the same. */
	m = tl_gc(&t);
	cr_assert_eq(m->n, 2);
	expect_figs(&t, m, &w, "the next cycle");
	tl_close(&t);
}

// labels: exact_pacing
Test(maptrace_line, same_size_grow_counted)
{
	tl t;
	tl_open(&t, 1, 0x55e);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 20);
	cr_assert_eq(t.m0->B, 2);
	/* Four overflow buckets at B=2 (2^B of them) while count stays small:
	 * 9 keys into each bucket, 6 of them deleted again. */
	int64_t next = 1;
	for (uint64_t b = 0; b < 4; b++) {
		int64_t ks[9];
		for (int i = 0; i < 9; i++) {
			ks[i] = key_for(t.m0, 2, b, &next);
			seti(&t, t.m0, ks[i], i);
		}
		for (int i = 0; i < 6; i++)
			deli(&t, t.m0, ks[i]);
	}
	mg_mapinfo in;
	mg_map_info(t.m0, &in);
	cr_assert(in.noverflow == 4 && !in.growing && in.count == 12, "setup: noverflow=%u growing=%d count=%zu",
	          in.noverflow, in.growing, in.count);
	seti(&t, t.m0, key_for(t.m0, 2, 3, &next), 99); /* too many overflow buckets: same-size grow */
	mg_map_info(t.m0, &in);
	cr_assert(in.growing && in.same_size && in.B == 2 && in.noldbuckets == 4, "growing=%d same=%d B=%u",
	          in.growing, in.same_size, in.B);
	figs w = {0};
	mgt_figs_map(&w, t.m0);
	cr_assert(w.growing == 1 && w.same == 1 && w.bn == 4 && w.bo == 4 && w.vo == 4);
	cr_assert_eq(w.ey, 0, "a same-size grow has no Y half");
	expect_figs(&t, tl_gc(&t), &w, "same-size grow");
	tl_close(&t);
}

// labels: exact_pacing
Test(maptrace_line, iter_only_after_grow_finished)
{
	tl t;
	tl_open(&t, 1, 0x17e);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 0);
	for (int64_t k = 1; k <= 40; k++)
		seti(&t, t.m0, k, k);
	cr_assert(t.m0->B == 3 && !t.m0->oldbuckets);
	mg_scope is;
	mg_scope_enter(t.rt, &is);
	mg_root(t.rt, &t.it, "it");
	t.it = mg_map_iter(t.rt, t.m0);
	void *A = t.m0->buckets; /* not a root: only the iterator will hold it */
	size_t lenA = 0;
	cr_assert_eq(mg_typeof(t.rt, A, &lenA), &t.m0->t->bucket);
	cr_assert_eq(lenA, 8, "B=3: 8 buckets, no preallocated overflow");

	/* The iterator on the current array: nothing is iter-only. */
	figs w = {0};
	mgt_figs_map(&w, t.m0);
	w.iters = 1;
	expect_figs(&t, tl_gc(&t), &w, "iterator on the current array");

	/* Grow past A and finish: A is no map's array any more. */
	int64_t k = 41;
	while (!t.m0->oldbuckets)
		seti(&t, t.m0, k, k), k++;
	cr_assert_eq(t.m0->oldbuckets, A);
	finish_grow(&t, t.m0);
	cr_assert(t.m0->B == 4 && t.m0->buckets != A);

	memset(&w, 0, sizeof w);
	mgt_figs_map(&w, t.m0);
	mgt_figs_iter_only(t.rt, &w, t.m0->t, A, 3);
	w.iters = 1;
	cr_assert_eq(w.j, 1);
	uint64_t ovfA = 0;
	for (uint64_t i = 0; i < 8; i++)
		for (void *b = map_overflow(t.m0->t, map_bucket_at(t.m0->t, A, i)); b; b = map_overflow(t.m0->t, b))
			ovfA++;
	cr_assert_eq(w.ex + w.ey + w.ee, 8 * (8 + ovfA), "A is evacuated: every cell of it and its chains says so");
	cr_assert_eq(w.full, mg_map_len(t.m0), "the new array holds every entry once");
	cr_assert_eq(w.jbytes, (8 + ovfA) * t.m0->t->bucketsize);
	const mline *m = tl_gc(&t);
	expect_figs(&t, m, &w, "an array held only by an iterator");
	cr_assert_eq(m->j, 1);
	cr_assert_eq(m->kb, w.jbytes >> 10);

	/* Drop the iterator: the first cycle after it sees no iter-only array,
	 * and the array is freed. */
	t.it = NULL;
	mg_scope_leave(t.rt, &is);
	memset(&w, 0, sizeof w);
	mgt_figs_map(&w, t.m0);
	expect_figs(&t, tl_gc(&t), &w, "after the iterator was dropped");
	cr_assert_null(mg_typeof(t.rt, A, NULL), "the old array is freed once no iterator holds it");
	tl_close(&t);
}

// labels: exact_pacing
Test(maptrace_line, iter_only_not_while_oldbuckets)
{
	tl t;
	tl_open(&t, 1, 0x17e);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 0);
	for (int64_t k = 1; k <= 40; k++)
		seti(&t, t.m0, k, k);
	mg_scope is;
	mg_scope_enter(t.rt, &is);
	mg_root(t.rt, &t.it, "it");
	t.it = mg_map_iter(t.rt, t.m0);
	void *A = t.m0->buckets;
	int64_t k = 41;
	while (!t.m0->oldbuckets)
		seti(&t, t.m0, k, k), k++;
	/* The same as above, but the grow is not finished: A is oldbuckets. */
	cr_assert_eq(t.m0->oldbuckets, A);
	cr_assert_lt(t.m0->nevacuate, 8);
	figs w = {0};
	mgt_figs_map(&w, t.m0);
	w.iters = 1;
	cr_assert(w.j == 0 && w.bo == 8 && w.growing == 1);
	const mline *m = tl_gc(&t);
	expect_figs(&t, m, &w, "iterator on the old array of a growing map");
	cr_assert_eq(m->j, 0);
	cr_assert_eq(m->kb, 0);
	t.it = NULL;
	mg_scope_leave(t.rt, &is);
	tl_close(&t);
}

/* B=4 arrays carry a preallocated overflow bucket inside their own
 * allocation; when a chain uses it, it is part of the array's length and
 * must not be counted again as an overflow bucket. */
// labels: exact_pacing
Test(maptrace_line, iter_only_size_counts_preallocated_overflow_once)
{
	tl t;
	tl_open(&t, 1, 0xb4);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 60);
	cr_assert_eq(t.m0->B, 4);
	const mg_maptype *mt = t.m0->t;
	void *A = t.m0->buckets;
	size_t lenA = 0;
	mg_typeof(t.rt, A, &lenA);
	cr_assert_eq(lenA, 17, "B=4: 16 buckets + 1 preallocated overflow bucket");
	int64_t next = 1;
	for (int i = 0; i < 9; i++) /* bucket 0 overflows into the preallocated bucket */
		seti(&t, t.m0, key_for(t.m0, 4, 0, &next), i);
	cr_assert_eq(map_overflow(mt, map_bucket_at(mt, A, 0)), map_bucket_at(mt, A, 16));
	for (int i = 0; i < 9; i++) /* bucket 1 overflows into a bucket of its own */
		seti(&t, t.m0, key_for(t.m0, 4, 1, &next), i);
	void *ovf1 = map_overflow(mt, map_bucket_at(mt, A, 1));
	cr_assert(ovf1 && ((char *)ovf1 < (char *)A || (char *)ovf1 >= (char *)A + 17 * mt->bucketsize));

	mg_scope is;
	mg_scope_enter(t.rt, &is);
	mg_root(t.rt, &t.it, "it");
	t.it = mg_map_iter(t.rt, t.m0);
	while (!t.m0->oldbuckets)
		seti(&t, t.m0, next, next), next++;
	cr_assert(!(t.m0->flags & MAP_SAME_SIZE_GROW), "a doubling");
	finish_grow(&t, t.m0);

	figs w = {0};
	mgt_figs_map(&w, t.m0);
	mgt_figs_iter_only(t.rt, &w, mt, A, 4);
	w.iters = 1;
	uint64_t ovf_outside = 0;
	for (uint64_t i = 0; i < 16; i++)
		for (void *b = map_overflow(mt, map_bucket_at(mt, A, i)); b; b = map_overflow(mt, b))
			ovf_outside += (char *)b < (char *)A || (char *)b >= (char *)A + 17 * mt->bucketsize;
	cr_assert_eq(w.jbytes, (17 + ovf_outside) * mt->bucketsize);
	expect_figs(&t, tl_gc(&t), &w, "iter-only B=4 array whose chain uses its preallocated bucket");
	t.it = NULL;
	mg_scope_leave(t.rt, &is);
	tl_close(&t);
}

/* Noscan buckets: the collector never reads their overflow pointers; the
 * chains live through extra.overflow, and the line still counts them. */
// labels: exact_pacing
Test(maptrace_line, noscan_overflow_through_extra_lists)
{
	tl t;
	tl_open(&t, 1, 0x9a);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 20);
	cr_assert(t.m0->B == 2 && t.m0->t->noscan);
	int64_t next = 1;
	for (int i = 0; i < 17; i++) /* bucket 0: 8 + 8 + 1, two overflow buckets */
		seti(&t, t.m0, key_for(t.m0, 2, 0, &next), i);
	for (int i = 0; i < 9; i++) /* bucket 1: 8 + 1, one */
		seti(&t, t.m0, key_for(t.m0, 2, 1, &next), i);
	mg_mapinfo in;
	mg_map_info(t.m0, &in);
	cr_assert(!in.growing && in.B == 2 && in.count == 26 && in.noverflow == 3);
	cr_assert(t.m0->extra && t.m0->extra->overflow && t.m0->extra->overflow->len == 3,
	          "the three overflow buckets are listed in extra.overflow");
	void *ovf[3];
	for (int i = 0; i < 3; i++)
		ovf[i] = t.m0->extra->overflow->v[i];

	figs w = {0};
	mgt_figs_map(&w, t.m0);
	const figs exact = {.maps = 1, .bn = 4, .vn = 3, .full = 26, .er = 8 * 7 - 26};
	cr_assert(memcmp(&w, &exact, sizeof w) == 0, "the walk agrees with the construction");
	expect_figs(&t, tl_gc(&t), &exact, "noscan chains");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(mg_typeof(t.rt, ovf[i], NULL), &t.m0->t->bucket, "overflow bucket %d survived", i);

	/* The 27th key doubles: the chains now hang off the old array and live
	 * through extra.oldoverflow.  Its assign evacuates old bucket 2 (its
	 * own) and old bucket 0 (nevacuate), so 2 of 4 are evacuated. */
	seti(&t, t.m0, key_for(t.m0, 2, 2, &next), 27);
	mg_map_info(t.m0, &in);
	cr_assert(in.growing && !in.same_size && in.B == 3 && in.nevacuate == 1, "growing=%d B=%u nevacuate=%zu",
	          in.growing, in.B, in.nevacuate);
	cr_assert(t.m0->extra->oldoverflow && t.m0->extra->oldoverflow->len == 3);
	memset(&w, 0, sizeof w);
	mgt_figs_map(&w, t.m0);
	cr_assert(w.bn == 8 && w.bo == 4 && w.vo == 3 && w.evac == 2 && w.full == 27);
	expect_figs(&t, tl_gc(&t), &w, "noscan chains on the old array");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(mg_typeof(t.rt, ovf[i], NULL), &t.m0->t->bucket, "old overflow bucket %d survived", i);
	tl_close(&t);
}

/* Delete's emptyOne / emptyRest rules, on one B=0 bucket whose cells hold
 * keys k[0..7] in insertion order. */
// labels: exact_pacing
Test(maptrace_line, tophash_after_deletes)
{
	tl t;
	tl_open(&t, 1, 0xde1);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 0);
	int64_t k[8];
	for (int i = 0; i < 8; i++) {
		k[i] = 100 + i;
		seti(&t, t.m0, k[i], i);
	}
	cr_assert_eq(t.m0->B, 0);
	for (unsigned i = 0; i < 8; i++)
		cr_assert_eq(*(int64_t *)map_cell_key(t.m0->t, t.m0->buckets, i), k[i], "cell %u", i);
	static const struct {
		int del;          /* cell deleted; -1: none */
		uint64_t full, e1, er;
	} steps[] = {
		{-1, 8, 0, 0}, /* FFFFFFFF */
		{3, 7, 1, 0},  /* FFFeFFFF: a hole before filled cells */
		{7, 6, 1, 1},  /* FFFeFFF-: the last cell */
		{6, 5, 1, 2},  /* FFFeFF-- */
		{5, 4, 1, 3},  /* FFFeF--- */
		{4, 3, 0, 5},  /* FFF-----: emptyRest runs back over the emptyOne */
		{0, 2, 1, 5},  /* eFF----- */
		{2, 1, 1, 6},  /* eF------ */
		{1, 0, 0, 8},  /* --------: back over cell 0 too */
	};
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		if (steps[s].del >= 0)
			deli(&t, t.m0, k[steps[s].del]);
		figs w = {.maps = 1, .bn = 1, .full = steps[s].full, .e1 = steps[s].e1, .er = steps[s].er};
		figs walked = {0};
		mgt_figs_map(&walked, t.m0);
		cr_assert(memcmp(&w, &walked, sizeof w) == 0, "step %zu: the bucket is not in the expected state", s);
		char what[48];
		snprintf(what, sizeof what, "after deleting cell %d (step %zu)", steps[s].del, s);
		expect_figs(&t, tl_gc(&t), &w, what);
	}
	tl_close(&t);
}

// labels: exact_pacing
Test(maptrace_line, dead_map_not_counted)
{
	tl t;
	tl_open(&t, 1, 0xdead);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 0);
	t.m1 = mg_map_new(t.rt, i64_i64(&t), 0);
	for (int64_t k = 0; k < 30; k++)
		seti(&t, t.m0, k, k), seti(&t, t.m1, k, k), seti(&t, t.m1, k + 1000, k);
	figs both = {0}, one = {0};
	mgt_figs_map(&both, t.m0);
	mgt_figs_map(&both, t.m1);
	mgt_figs_map(&one, t.m0);
	expect_figs(&t, tl_gc(&t), &both, "two live maps");
	cr_assert_eq(both.maps, 2);
	t.m1 = NULL; /* garbage now */
	expect_figs(&t, tl_gc(&t), &one, "one live map, one dead");
	cr_assert_eq(one.maps, 1);
	tl_close(&t);
}

// labels: exact_pacing
Test(maptrace_line, no_maps_prints_zero_line)
{
	tl t;
	tl_open(&t, 1, 1);
	void *live = mg_alloc_bytes(t.rt, 4096);
	mg_root(t.rt, &live, "live");
	static const char zero[] = "0 maps, 0 growing (0 same-size), 0 iters: 0+0 buckets new+old, 0/0 evacuated, "
	                           "0+0 overflow new+old, 0 iter-only arrays 0 KB, tophash 0/0/0/0/0/0 "
	                           "full/emptyOne/emptyRest/evacX/evacY/evacEmpty";
	for (int i = 1; i <= 3; i++) {
		const mline *m = tl_gc(&t);
		cr_assert_eq(m->n, (uint64_t)i);
		cr_assert_str_eq(m->text, zero);
		const figs none = {0};
		expect_figs(&t, m, &none, "no maps");
	}
	tl_close(&t);
}

/* ---- maptrace adds lines, never changes the gc line ---------------------------- */

/* A deterministic workload with automatic (gcevery) and forced cycles and
 * a few MB live, under maptrace=mt; leaves the parsed lines in *t. */
static void run_workload(tl *t, int mt)
{
	memset(t, 0, sizeof *t);
	tl_regex(t);
	t->maptrace = mt;
	t->f = open_memstream(&t->buf, &t->len);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.heapcheck = 0; /* big heap: the checkmark is enough here */
	cfg.maptrace = mt;
	cfg.gctrace = 1;
	cfg.trace = t->f;
	cfg.gogc = MG_GOGC_OFF;
	cfg.gcevery = 997;
	cfg.seed = 7;
	cfg.seed_set = true;
	t->rt = mgt_open(&cfg);
	mg_scope_enter(t->rt, &t->scope);
	mg_root(t->rt, &t->m0, "m0");
	mg_root(t->rt, &t->m1, "m1");
	void *live[3];
	for (int i = 0; i < 3; i++) {
		live[i] = mg_alloc_bytes(t->rt, 1 << 20);
		mg_root(t->rt, &live[i], "live");
	}
	t->m0 = mg_map_new(t->rt, i64_i64(t), 0);
	for (int64_t k = 0; k < 6000; k++) {
		mg_alloc_bytes(t->rt, 64); /* garbage: drives the gcevery cycles */
		seti(t, t->m0, k, k);
		if (k % 3 == 0)
			deli(t, t->m0, k / 2);
		if (k % 1500 == 0)
			mg_gc(t->rt);
	}
	mg_gc(t->rt);
	tl_poll(t);
	for (int i = 0; i < 3; i++)
		live[i] = NULL;
	tl_close(t);
}

Test(maptrace_line, gc_line_unchanged_by_maptrace)
{
	static tl off, on; /* big: not on the stack */
	run_workload(&off, 0);
	run_workload(&on, 1);
	cr_assert_geq(off.ng, 8, "the workload runs cycles (%zu)", off.ng);
	cr_assert_eq(off.nm, 0, "maptrace=0 prints no map line");
	cr_assert_eq(on.ng, off.ng, "maptrace=1 printed %zu gc lines, maptrace=0 %zu", on.ng, off.ng);
	cr_assert_eq(on.nm, on.ng, "maptrace=1: one map line per gc line");
	size_t forced = 0;
	for (size_t i = 0; i < off.ng; i++) {
		const gline *a = &off.g[i], *b = &on.g[i];
		cr_assert_eq(a->n, i + 1, "cycles count from 1");
		cr_assert(a->n == b->n && a->forced == b->forced && a->h0 == b->h0 && a->h1 == b->h1 && a->h2 == b->h2 &&
		          a->goal == b->goal && a->stacks == b->stacks && a->globals == b->globals &&
		          a->procs == b->procs,
		          "gc line %zu differs between maptrace=0 and maptrace=1", i + 1);
		forced += a->forced;
		cr_assert_geq(a->h2, 3, "3 MiB stay live: the MB figures are not all 0");
	}
	cr_assert(forced >= 5 && forced < off.ng, "both forced and automatic cycles (%zu of %zu forced)", forced,
	          off.ng);
	/* The map lines follow the map: the last one sees it with its final figures. */
	cr_assert_eq(on.m[on.nm - 1].maps, 1);
}

/* The checkers must be able to fail. */
Test(maptrace_line, line_checkers_reject_malformed)
{
	tl t;
	memset(&t, 0, sizeof t);
	tl_regex(&t);
	static const char good_map[] = "map 12 @3.045s: 2 maps, 1 growing (0 same-size), 1 iters: 24+8 buckets new+old, "
	                               "4/8 evacuated, 3+1 overflow new+old, 1 iter-only arrays 2 KB, tophash "
	                               "53/1/100/20/13/31 full/emptyOne/emptyRest/evacX/evacY/evacEmpty";
	static const char good_gc[] = "gc 12 @3.045s 2%: 0.012+1.2+0.030 ms clock, 0.012+0.40/0.80/0+0.030 ms cpu, "
	                              "4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 1 P (forced)";
	cr_assert(is_map_line(&t, good_map));
	cr_assert(is_gc_line(&t, good_gc));
	mline m;
	parse_map(good_map, &m);
	cr_assert(m.n == 12 && m.secs == 3 && m.ms == 45 && m.maps == 2 && m.bn == 24 && m.bo == 8 && m.evac == 4 &&
	          m.old == 8 && m.vn == 3 && m.vo == 1 && m.j == 1 && m.kb == 2 && m.full == 53 && m.e1 == 1 &&
	          m.er == 100 && m.ex == 20 && m.ey == 13 && m.ee == 31);
	static const char *const bad_map[] = {
		good_gc,
		"map 12 @3.045s: 2 maps, 1 growing (0 same-size), 1 iters: 24+8 buckets new+old, 4/8 evacuated, 3+1 overflow "
		"new+old, 1 iter-only arrays 2 KiB, tophash 53/1/100/20/13/31 full/emptyOne/emptyRest/evacX/evacY/evacEmpty",
		"map 12 @3.045s: 2 maps, 1 growing, 1 iters: 24+8 buckets new+old, 4/8 evacuated, 3+1 overflow new+old, 1 "
		"iter-only arrays 2 KB, tophash 53/1/100/20/13/31 full/emptyOne/emptyRest/evacX/evacY/evacEmpty",
		"map 12 @3.04s: 2 maps, 1 growing (0 same-size), 1 iters: 24+8 buckets new+old, 4/8 evacuated, 3+1 overflow "
		"new+old, 1 iter-only arrays 2 KB, tophash 53/1/100/20/13/31 full/emptyOne/emptyRest/evacX/evacY/evacEmpty",
		"map 12 @3.045s: 2 maps, 1 growing (0 same-size), 1 iters: 24+8 buckets new+old, 4/8 evacuated, 3+1 overflow "
		"new+old, 1 iter-only arrays 2 KB, tophash 53/1/100/20/13 full/emptyOne/emptyRest/evacX/evacY/evacEmpty",
		"map 12 @3.045s: 2 maps, 1 growing (0 same-size), 1 iters: 24+8 buckets new+old, 4/8 evacuated, 3+1 overflow "
		"new+old, 1 iter-only arrays 2 KB, tophash 53/1/100/20/13/31 full/emptyOne/emptyRest/evacX/evacY/evacEmpty ",
		"map 12 @3.045s: -2 maps, 1 growing (0 same-size), 1 iters: 24+8 buckets new+old, 4/8 evacuated, 3+1 "
		"overflow new+old, 1 iter-only arrays 2 KB, tophash 53/1/100/20/13/31 "
		"full/emptyOne/emptyRest/evacX/evacY/evacEmpty",
	};
	for (size_t i = 0; i < sizeof bad_map / sizeof bad_map[0]; i++)
		cr_assert(!is_map_line(&t, bad_map[i]), "the map regex accepts bad line %zu: %s", i, bad_map[i]);
	static const char *const bad_gc[] = {
		good_map,
		"gc 12 @3.045s 2%: 0.012+1.2+0.030 ms clock, 0.012+0.40/0.80/0+0.030 ms cpu, 4->4->2 MiB, 5 MB goal, "
		"0 MB stacks, 0 MB globals, 1 P",
		"gc 12 @3.045s 2%: 0.012+1.2+0.030 ms clock, 0.012+0.40/0.80/0+0.030 ms cpu, 4->4->2 MB, 5 MB goal, "
		"0 MB stacks, 0 MB globals, 1 P (forced) map 12",
		"gc 12 @3.045s 2%: 0.012+1.2+0.030 ms clock, 0.012+0.40/0.80/0+0.030 ms cpu, 4->4->2 MB, 5 MB goal, "
		"1 P",
	};
	for (size_t i = 0; i < sizeof bad_gc / sizeof bad_gc[0]; i++)
		cr_assert(!is_gc_line(&t, bad_gc[i]), "the gc regex accepts bad line %zu: %s", i, bad_gc[i]);
	regfree(&t.gc_re);
	regfree(&t.map_re);
}

/* ---- incremental marking -------------------------------------------------------- */

/* The map is scanned early in a cycle; then, still in that cycle, it
 * grows (its current array becomes a new array N) and an iterator starts
 * on N.  N is the map's current array from before the iterator exists
 * until mark termination: at no moment is it "alive only because an
 * iterator holds it", so it must not be counted as iter-only. */
// labels: exact_pacing
Test(maptrace_line, iter_only_ignores_array_current_since_grow_during_mark)
{
	tl t;
	tl_open(&t, 1, 0x1c);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 0);
	build_b3_full(&t, t.m0);
	mg_gc(t.rt);
	tl_poll(&t);

	gc_test_begin_mark(t.rt);
	while (!gc_test_mark_step(t.rt, SIZE_MAX))
		;
	cr_assert_eq(gc_test_color(t.rt, t.m0), GC_COLOR_BLACK, "the map was scanned");
	int64_t next = 5000;
	seti(&t, t.m0, key_for(t.m0, 3, 5, &next), 1); /* doubles: buckets = N */
	cr_assert_not_null(t.m0->oldbuckets);
	mg_scope is;
	mg_scope_enter(t.rt, &is);
	mg_root(t.rt, &t.it, "it");
	t.it = mg_map_iter(t.rt, t.m0);
	cr_assert_eq(t.it->buckets, t.m0->buckets, "the iterator started on the current array");
	cr_assert_eq(gc_test_phase(t.rt), GC_MARK, "setup: the cycle is still marking");
	gc_test_finish_mark(t.rt);
	tl_poll(&t);
	cr_assert_eq(t.nm, 2);
	const mline *m = &t.m[1];
	uint64_t got[16];
	map_trace_last(t.rt, got);
	cr_expect_eq(got[9], 0, "map_trace_last: %" PRIu64 " iter-only arrays (%" PRIu64 " bytes), want 0: the "
	             "iterator's array is the map's current array", got[9], got[10]);
	cr_expect_eq(m->j, 0, "printed: %" PRIu64 " iter-only arrays %" PRIu64 " KB, want 0:\n%s", m->j, m->kb, m->text);
	t.it = NULL;
	mg_scope_leave(t.rt, &is);
	tl_close(&t);
}

/* "@S.SSSs" is the cycle's start, on both lines.  A cycle that lasts 5 ms
 * (the mutator sleeps mid-mark) makes start and end differ in the
 * printed milliseconds, so a map line stamped with any other moment of
 * the cycle is caught. */
Test(maptrace_line, stamped_with_the_cycle_start)
{
	tl t;
	tl_open(&t, 1, 3);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 0);
	seti(&t, t.m0, 1, 1);
	for (int round = 0; round < 3; round++) {
		uint64_t t0 = rt_nanotime();
		gc_test_begin_mark(t.rt);
		gc_test_mark_step(t.rt, 64);
		struct timespec ts = {0, 5 * 1000 * 1000};
		while (nanosleep(&ts, &ts) != 0)
			;
		gc_test_finish_mark(t.rt);
		tl_poll(&t); /* same @ on the gc and the map line */
		const gline *g = &t.g[t.ng - 1];
		uint64_t start_ms = (t0 - t.rt->start_ns) / 1000000;
		uint64_t at_ms = g->secs * 1000 + g->ms;
		cr_assert(at_ms >= start_ms && at_ms <= start_ms + 1, "gc line @%" PRIu64 " ms, the cycle began at %" PRIu64
		          " ms", at_ms, start_ms);
		cr_assert_eq(t.m[t.nm - 1].maps, 1);
	}
	tl_close(&t);
}

/* A map with no bucket array yet is a map with 0 buckets; a clear keeps
 * B and empties every cell; a clear mid-grow drops the old array, so an
 * iterator that started on it is then its only holder (and, an iterator
 * being alive, the map gets a fresh array rather than reusing its own). */
// labels: exact_pacing
Test(maptrace_line, empty_cleared_and_iter_across_clear)
{
	tl t;
	tl_open(&t, 1, 0xc1);
	t.m0 = mg_map_new(t.rt, i64_i64(&t), 0);
	const figs empty = {.maps = 1};
	expect_figs(&t, tl_gc(&t), &empty, "a map without buckets");

	for (int64_t k = 1; k <= 40; k++)
		seti(&t, t.m0, k, k);
	mg_scope is;
	mg_scope_enter(t.rt, &is);
	mg_root(t.rt, &t.it, "it");
	t.it = mg_map_iter(t.rt, t.m0);
	void *A = t.m0->buckets;
	for (int64_t k = 41; !t.m0->oldbuckets; k++)
		seti(&t, t.m0, k, k);
	cr_assert(t.m0->oldbuckets == A && t.m0->B == 4);
	void *N = t.m0->buckets;
	mg_map_clear(t.rt, t.m0);
	cr_assert(!t.m0->oldbuckets && t.m0->B == 4 && t.m0->buckets != N && mg_map_len(t.m0) == 0,
	          "clear keeps B and drops the old array; with an iterator alive the map gets a fresh array "
	          "instead of reusing the current one (map.c, mg_map_clear)");
	figs w = {0};
	mgt_figs_map(&w, t.m0);
	mgt_figs_iter_only(t.rt, &w, t.m0->t, A, 3);
	w.iters = 1;
	cr_assert(w.bn == 16 && w.full == 0 && w.e1 == 0 && w.j == 1);
	cr_assert_eq(w.er, 8 * (16 + w.vn) + 8 * (8 + (w.jbytes / t.m0->t->bucketsize - 8)),
	             "every cell of both arrays and their chains is emptyRest after the clear (issue 59411)");
	expect_figs(&t, tl_gc(&t), &w, "an iterator holding the array a clear dropped mid-grow");
	t.it = NULL;
	mg_scope_leave(t.rt, &is);
	memset(&w, 0, sizeof w);
	mgt_figs_map(&w, t.m0);
	expect_figs(&t, tl_gc(&t), &w, "cleared map, iterator gone");
	tl_close(&t);
}
