/*
 * The barrier study, MAPGC_DEBUG=wbtrace=1 (gc/barrier.c's essay says what
 * each counter counts): exact figures on hand-built heaps, driven phase by
 * phase through gc_test.h, and the wb line (DESIGN.md §5, contract).
 *
 * As in barrier.c, everything a test looks at is allocated before its cycle
 * starts (GOGC=off): nothing is allocated black during the cycle, so the
 * floating garbage is exactly what the test let float.  Every figure is
 * shown both 0 and not 0 on the same heap shape (its negative test): the
 * deletion half shades under hybrid and yuasa and not under dijkstra,
 * floating garbage is one object's slot after a deletion under yuasa and 0
 * after a cycle without mutation, rescan is the root slots under dijkstra
 * and 0 otherwise, wb=none takes no slow path where hybrid takes one per
 * pointer slot.  The per-cycle counters are read from the collector's own
 * record of the cycle (gc->cur while marking, gc->last after it).
 */
#include "tests/support/mgt.h"
#include "tests/support/mgt_obj.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>


static const mg_barrier all_wb[] = {MG_WB_HYBRID, MG_WB_YUASA, MG_WB_DIJKSTRA, MG_WB_NONE};
enum { NWB = sizeof all_wb / sizeof all_wb[0] };

static mg_runtime *open_study(mg_barrier wb, int checkmark, int wbtrace, FILE *trace)
{
	mg_config c;
	mgt_config_wb(&c, wb, 1, checkmark);
	c.wbtrace = wbtrace;
	c.trace = trace;
	return mgt_open(&c);
}

/* What floating_bytes counts an object as: its slot, header included. */
static uint64_t slot_bytes(size_t user_bytes)
{
	uint32_t slot = 0;
	cr_assert_neq(gc_test_size_class(user_bytes + GC_HDR_SIZE, &slot, NULL), 0, "not a small object");
	return slot;
}

/* The cycle's counts so far: the barrier buffer is flushed first, since
 * its records are shaded (and counted) when it is. */
static const mg_wbstats *cur_wb(mg_runtime *rt)
{
	static mg_wbstats sum;
	gc_test_wb_flush(rt);
	gc_test_cur_wb(rt, &sum);
	return &sum;
}
static const mg_wbstats *last_wb(mg_runtime *rt) { return &gc_of(rt)->last.wb; }


/* Each counter named, for messages. */
#define assert_wb(rt, w, field, want)                                                                        \
	cr_assert_eq((w)->field, (uint64_t)(want), "%s: " #field " = %" PRIu64 ", want %" PRIu64,           \
	             mg_barrier_name(mg_runtime_config(rt)->wb), (w)->field, (uint64_t)(want))

static void scan_roots(mg_runtime *rt)
{
	gc_test_mark_step(rt, 0);
	cr_assert(rt_self(rt)->roots_scanned);
}

static void finish_cycle(mg_runtime *rt)
{
	gc_test_finish_mark(rt);
	gc_test_sweep_all(rt);
	cr_assert_eq(gc_test_phase(rt), GC_OFF);
}

/* The heap every test starts from: scope s entered, P (value 1) rooted as
 * "p", nothing else yet. */
static void enter_with_p(mg_runtime *rt, mg_scope *s, mgt_obj **p)
{
	mg_scope_enter(rt, s);
	*p = mgt_obj_new(rt, 1);
	mg_root(rt, p, "p");
}

/* P.f0 = 5000 pointer-free bytes; the cycle begins (yuasa: roots scanned)
 * and P.f0 = NULL, so the bytes float. */
static void float_bytes(mg_runtime *rt, mg_scope *s, mgt_obj **p)
{
	enter_with_p(rt, s, p);
	void *bytes = mg_alloc_bytes(rt, 5000);
	mg_store(rt, &(*p)->f[0], bytes);
	gc_test_begin_mark(rt);
	mg_store(rt, &(*p)->f[0], NULL);
	MGT_ASSERT_COLOR(rt, bytes, GC_COLOR_BLACK);
}

/* ---- the deletion half, and the floating garbage it makes --------------- */

/* P (rooted) -> X, X's only path.  After the roots are scanned, P.f0 =
 * NULL: hybrid and yuasa shade X (the old value), so X survives the cycle
 * though nothing reaches it at mark termination — floating garbage of
 * exactly X's slot; dijkstra shades nothing and X is freed.  The next
 * cycle mutates nothing: no slow path, nothing floats, X is freed. */
static void deletion_case(mg_barrier wb, int checkmark)
{
	bool shades_old = wb == MG_WB_HYBRID || wb == MG_WB_YUASA;
	mg_runtime *rt = open_study(wb, checkmark, 1, NULL);
	mg_scope s;
	mgt_obj *p;
	enter_with_p(rt, &s, &p);
	mgt_obj *x = mgt_obj_new(rt, 2);
	mg_store(rt, &p->f[0], x); /* not marking: no barrier, nothing counted */
	cr_assert(rt_self(rt)->stack.n == 1 && rt->globals.n == 0, "p is the only root");
	gc_test_begin_mark(rt);
	scan_roots(rt);
	MGT_ASSERT_COLOR(rt, p, GC_COLOR_GREY);
	MGT_ASSERT_COLOR(rt, x, GC_COLOR_WHITE);
	mg_store(rt, &p->f[0], NULL);
	MGT_ASSERT_COLOR(rt, x, shades_old ? GC_COLOR_GREY : GC_COLOR_WHITE);
	assert_wb(rt, cur_wb(rt), slow, 1);
	assert_wb(rt, cur_wb(rt), shaded_old, shades_old);
	assert_wb(rt, cur_wb(rt), shaded_new, 0);
	gc_test_finish_mark(rt);
	const mg_wbstats *w = last_wb(rt);
	assert_wb(rt, w, slow, 1);
	assert_wb(rt, w, shaded_old, shades_old);
	assert_wb(rt, w, floating_bytes, shades_old ? slot_bytes(sizeof(mgt_obj)) : 0);
	assert_wb(rt, w, rescan_bytes, wb == MG_WB_DIJKSTRA ? sizeof(void *) : 0);
	/* The old value went through the buffer (a store of NULL records
	 * nothing: dijkstra's new value); the flush before the colour check
	 * shaded it. */
	assert_wb(rt, w, buffered, shades_old);
	assert_wb(rt, w, flushes, shades_old);
	gc_test_sweep_all(rt);
	MGT_ASSERT_COLOR(rt, x, shades_old ? GC_COLOR_WHITE : GC_COLOR_FREE);
	/* A cycle that mutates nothing: nothing floats, the floater is freed. */
	mg_gc(rt);
	assert_wb(rt, last_wb(rt), slow, 0);
	assert_wb(rt, last_wb(rt), shaded_old, 0);
	assert_wb(rt, last_wb(rt), floating_bytes, 0);
	MGT_ASSERT_COLOR(rt, x, GC_COLOR_FREE);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(wbtrace, deletion_hybrid_shades_old_value_and_it_floats)
{
	deletion_case(MG_WB_HYBRID, 1);
}
Test(wbtrace, deletion_yuasa_shades_old_value_and_it_floats)
{
	deletion_case(MG_WB_YUASA, 1);
}
Test(wbtrace, deletion_dijkstra_shades_nothing_nothing_floats)
{
	deletion_case(MG_WB_DIJKSTRA, 1);
}
/* The re-mark without checkmark (wbtrace alone) measures the same. */
Test(wbtrace, deletion_yuasa_without_checkmark)
{
	deletion_case(MG_WB_YUASA, 0);
}

/* A noscan object (greyed straight to black) counts as shaded too, and the
 * wb line prints its slot in whole KiB. */
Test(wbtrace, noscan_old_value_floats_in_kib)
{
	mg_runtime *rt = open_study(MG_WB_YUASA, 1, 1, NULL);
	mg_scope s;
	mgt_obj *p;
	float_bytes(rt, &s, &p);
	assert_wb(rt, cur_wb(rt), shaded_old, 1);
	finish_cycle(rt);
	uint64_t slot = slot_bytes(5000);
	cr_assert_geq(slot >> 10, 4, "the test wants a floater of several KiB (slot %" PRIu64 ")", slot);
	assert_wb(rt, last_wb(rt), floating_bytes, slot);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* ---- the insertion half ------------------------------------------------- */

/* P (rooted) holds X; Y is unreferenced; after the roots are scanned,
 * P.f1 = Y: only dijkstra shades the new value. */
Test(wbtrace, insertion_half_after_roots_scanned)
{
	for (size_t m = 0; m < NWB; m++) {
		mg_runtime *rt = open_study(all_wb[m], 1, 1, NULL);
		mg_scope s;
		mgt_obj *p;
		enter_with_p(rt, &s, &p);
		mgt_obj *y = mgt_obj_new(rt, 3); /* unreferenced: the last allocation (gcevery) */
		gc_test_begin_mark(rt);
		scan_roots(rt);
		mg_store(rt, &p->f[1], y);
		bool dijkstra = all_wb[m] == MG_WB_DIJKSTRA;
		MGT_ASSERT_COLOR(rt, y, dijkstra ? GC_COLOR_GREY : GC_COLOR_WHITE);
		assert_wb(rt, cur_wb(rt), shaded_new, dijkstra);
		assert_wb(rt, cur_wb(rt), shaded_old, 0);
		assert_wb(rt, cur_wb(rt), slow, all_wb[m] == MG_WB_NONE ? 0 : 1);
		finish_cycle(rt);
		assert_wb(rt, last_wb(rt), floating_bytes, 0); /* y is reachable: live, not floating */
		mg_scope_leave(rt, &s);
		mgt_close(rt);
	}
}

/* Hybrid before the roots are scanned shades both values; a store of the
 * value already there counts its object once (the old half runs first). */
Test(wbtrace, hybrid_before_roots_scanned_counts_both_halves)
{
	mg_runtime *rt = open_study(MG_WB_HYBRID, 1, 1, NULL);
	mg_scope s;
	mgt_obj *p;
	enter_with_p(rt, &s, &p);
	mgt_obj *x = mgt_obj_new(rt, 2);
	mg_store(rt, &p->f[0], x);
	mgt_obj *z = mgt_obj_new(rt, 4);
	mg_store(rt, &p->f[1], z);
	mg_scope keep;
	mg_scope_enter(rt, &keep);
	mgt_obj *y = mgt_obj_new(rt, 3);
	mg_root(rt, &y, "unreferenced");
	mg_scope_leave(rt, &keep);
	gc_test_begin_mark(rt);
	cr_assert_not(rt_self(rt)->roots_scanned);
	mg_store(rt, &p->f[0], y); /* old x, new y: both white */
	assert_wb(rt, cur_wb(rt), shaded_old, 1);
	assert_wb(rt, cur_wb(rt), shaded_new, 1);
	mg_store(rt, &p->f[1], z); /* old and new z: greyed once, by the old half */
	MGT_ASSERT_COLOR(rt, z, GC_COLOR_GREY);
	assert_wb(rt, cur_wb(rt), shaded_old, 2);
	assert_wb(rt, cur_wb(rt), shaded_new, 1);
	assert_wb(rt, cur_wb(rt), slow, 2);
	finish_cycle(rt);
	/* x was p's and is no one's now: shaded, so it floats. */
	assert_wb(rt, last_wb(rt), floating_bytes, slot_bytes(sizeof(mgt_obj)));
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* ---- slow paths ------------------------------------------------------------ */

/* One slow path per single store and per pointer slot of a typed copy or
 * clear, under every barrier that is on; none under wb=none, and nothing
 * counted at all without wbtrace. */
static void store_mix(mg_runtime *rt, mgt_obj *p, mgt_obj *q, mgt_obj **arr)
{
	mg_store(rt, &p->f[0], q);                         /* 1 */
	mg_store(rt, &p->f[1], NULL);                      /* 1: NULLs count too */
	mg_typed_copy(rt, &mgt_pair_type, p->f, q->f, 1);      /* 2: two slots */
	mg_typed_copy(rt, &mg_type_ptr, &arr[1], &arr[0], 3); /* 3 */
	mg_typed_clear(rt, &mg_type_ptr, arr, 4);          /* 4 */
	int64_t ints[2] = {1, 2};
	int64_t *noscan = (int64_t *)&p->v;
	mg_typed_copy(rt, &mg_type_int64, noscan, ints, 1); /* 0: no pointer slots */
}
enum { STORE_MIX_SLOTS = 1 + 1 + 2 + 3 + 4 };

static void slow_case(mg_barrier wb, int wbtrace, uint64_t want)
{
	mg_runtime *rt = open_study(wb, 1, wbtrace, NULL);
	mg_scope s;
	mgt_obj *p, *q = NULL;
	enter_with_p(rt, &s, &p);
	q = mgt_obj_new(rt, 2);
	mg_root(rt, &q, "q");
	mgt_obj **arr = mg_alloc_array(rt, &mg_type_ptr, 4);
	mg_root(rt, &arr, "arr");
	gc_test_begin_mark(rt);
	scan_roots(rt);
	store_mix(rt, p, q, arr);
	assert_wb(rt, cur_wb(rt), slow, want);
	finish_cycle(rt);
	assert_wb(rt, last_wb(rt), slow, want);
	mg_stats st = mgt_stats(rt);
	assert_wb(rt, &st.wb, slow, want);
	if (!wbtrace) {
		static const mg_wbstats zero;
		cr_assert(memcmp(last_wb(rt), &zero, sizeof zero) == 0, "counted without wbtrace");
		cr_assert(memcmp(&st.wb, &zero, sizeof zero) == 0, "totals without wbtrace");
		cr_assert_eq(st.wbtrace_wall_ns, 0);
	} else {
		cr_assert_gt(st.wbtrace_wall_ns, 0, "the re-mark's time is recorded");
	}
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(wbtrace, slow_path_per_pointer_slot_hybrid)
{
	slow_case(MG_WB_HYBRID, 1, STORE_MIX_SLOTS);
}
Test(wbtrace, slow_path_per_pointer_slot_yuasa)
{
	slow_case(MG_WB_YUASA, 1, STORE_MIX_SLOTS);
}
Test(wbtrace, slow_path_per_pointer_slot_dijkstra)
{
	slow_case(MG_WB_DIJKSTRA, 1, STORE_MIX_SLOTS);
}
Test(wbtrace, none_takes_no_slow_path)
{
	slow_case(MG_WB_NONE, 1, 0);
}
Test(wbtrace, nothing_counted_without_wbtrace)
{
	slow_case(MG_WB_HYBRID, 0, 0);
}

/* ---- rescan ---------------------------------------------------------------- */

/* Three scope roots and a global: dijkstra rescans all four slots at mark
 * termination, 32 bytes; the others rescan nothing — also hybrid when no
 * slice ran, whose first root scan is then at mark termination. */
static void rescan_case(mg_barrier wb, bool slice_first, uint64_t want)
{
	static mgt_obj *global;
	global = NULL; /* not the last case's object */
	mg_runtime *rt = open_study(wb, 1, 1, NULL);
	mg_global_root(rt, &global, "global");
	mg_scope s;
	mg_scope_enter(rt, &s);
	mgt_obj *a = mgt_obj_new(rt, 1), *b = NULL, *c = NULL;
	mg_root(rt, &a, "a");
	mg_root(rt, &b, "b");
	mg_root(rt, &c, "c");
	global = mgt_obj_new(rt, 4);
	cr_assert_eq(rt_self(rt)->stack.n, 3, "the test's roots are the only scope roots");
	cr_assert_eq(rt->globals.n, 1, "the test's global is the only global root");
	gc_test_begin_mark(rt);
	if (slice_first)
		scan_roots(rt);
	finish_cycle(rt);
	assert_wb(rt, last_wb(rt), rescan_bytes, want);
	mg_scope_leave(rt, &s);
	mg_global_unroot(rt, &global);
	mgt_close(rt);
}

Test(wbtrace, rescan_dijkstra_is_the_root_slots)
{
	rescan_case(MG_WB_DIJKSTRA, true, 4 * sizeof(void *));
	rescan_case(MG_WB_DIJKSTRA, false, 4 * sizeof(void *));
}
Test(wbtrace, rescan_hybrid_and_yuasa_none)
{
	rescan_case(MG_WB_HYBRID, true, 0);
	rescan_case(MG_WB_HYBRID, false, 0);
	rescan_case(MG_WB_YUASA, true, 0);
}

/* ---- the re-mark still checks ------------------------------------------------ */

/* wb=none loses an object: with checkmark the shared re-mark is fatal as
 * before; without it the study marks through and the cycle ends (the lost
 * object is then freed: a wb=none run is wrong either way). */
static void lose_one(mg_runtime *rt, mg_scope *s, mgt_obj **g, mgt_obj **b)
{
	mg_scope_enter(rt, s);
	*g = mgt_obj_new(rt, 1);
	mg_root(rt, g, "g");
	*b = mgt_obj_new(rt, 2);
	mg_root(rt, b, "b");
	mgt_obj *w = mgt_obj_new(rt, 3);
	mg_store(rt, &(*g)->f[0], w);
	gc_test_begin_mark(rt);
	gc_test_mark_step(rt, 1); /* b black, g grey, w white */
	mg_store(rt, &(*b)->f[0], w);
	mg_store(rt, &(*g)->f[0], NULL);
	MGT_ASSERT_COLOR(rt, w, GC_COLOR_WHITE);
}

Test(wbtrace, checkmark_still_fires_with_wbtrace)
{
	mg_runtime *rt = open_study(MG_WB_NONE, 1, 1, NULL);
	rt->cfg.heapcheck = 0; /* it would catch the black-to-white edge first */
	mg_scope s;
	mgt_obj *g, *b;
	lose_one(rt, &s, &g, &b);
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, gc_test_finish_mark(rt));
	mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "checkmark found unmarked object");
	mgt_close(rt);
}

Test(wbtrace, without_checkmark_the_remark_marks_through)
{
	mg_runtime *rt = open_study(MG_WB_NONE, 0, 1, NULL);
	rt->cfg.heapcheck = 0;
	mg_scope s;
	mgt_obj *g, *b;
	lose_one(rt, &s, &g, &b);
	gc_test_finish_mark(rt);
	assert_wb(rt, last_wb(rt), floating_bytes, 0);
	assert_wb(rt, last_wb(rt), slow, 0);
	mg_store(rt, &b->f[0], NULL); /* drop the dangling edge before anything reads it */
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* ---- the wb line ---------------------------------------------------------------- */

static const char *const wb_line_re =
	"^wb ([0-9]+) @[0-9]+\\.[0-9]{3}s: mode=(hybrid|yuasa|dijkstra|none) slow=([0-9]+) shaded_old=([0-9]+) "
	"shaded_new=([0-9]+) buffered=[0-9]+ flushes=[0-9]+ rescan_kb=([0-9]+) floating_kb=([0-9]+)$";

/* The trace of a whole run, as lines. */
typedef struct lines {
	char *buf;
	size_t len;
	char *v[512];
	size_t n;
} lines;

static void split_lines(lines *l)
{
	l->n = 0;
	for (char *p = l->buf; p < l->buf + l->len && l->n < sizeof l->v / sizeof l->v[0];) {
		char *nl = memchr(p, '\n', (size_t)(l->buf + l->len - p));
		cr_assert_not_null(nl, "unterminated trace line");
		*nl = '\0';
		l->v[l->n++] = p;
		p = nl + 1;
	}
}

/* gc, map, wb, in that order, for each cycle; the wb line exactly. */
Test(wbtrace, line_after_gc_and_map_lines)
{
	lines l = {0};
	FILE *f = open_memstream(&l.buf, &l.len);
	mg_config c;
	mgt_config_wb(&c, MG_WB_YUASA, 1, 1);
	c.gctrace = 1;
	c.maptrace = 1;
	c.wbtrace = 1;
	c.trace = f;
	mg_runtime *rt = mgt_open(&c);
	mg_scope s;
	mgt_obj *p;
	float_bytes(rt, &s, &p);
	finish_cycle(rt);
	uint32_t n = gc_of(rt)->last.n;
	mg_scope_leave(rt, &s);
	mgt_close(rt);
	fclose(f);
	split_lines(&l);
	cr_assert_geq(l.n, 3);
	char want[256];
	snprintf(want, sizeof want, "gc %u @", n);
	cr_assert(strncmp(l.v[l.n - 3], want, strlen(want)) == 0, "%s", l.v[l.n - 3]);
	snprintf(want, sizeof want, "map %u @", n);
	cr_assert(strncmp(l.v[l.n - 2], want, strlen(want)) == 0, "%s", l.v[l.n - 2]);
	snprintf(want, sizeof want,
	         ": mode=yuasa slow=1 shaded_old=1 shaded_new=0 buffered=1 flushes=1 rescan_kb=0 floating_kb=%" PRIu64,
	         slot_bytes(5000) >> 10);
	const char *wb = l.v[l.n - 1];
	char head[32];
	snprintf(head, sizeof head, "wb %u @", n);
	cr_assert(strncmp(wb, head, strlen(head)) == 0, "%s", wb);
	const char *colon = strstr(wb, "s: ");
	cr_assert_not_null(colon, "%s", wb);
	cr_assert_str_eq(colon + 1, want);
	regex_t re;
	cr_assert_eq(regcomp(&re, wb_line_re, REG_EXTENDED | REG_NOSUB), 0);
	cr_assert_eq(regexec(&re, wb, 0, NULL, 0), 0, "not the contract's line: %s", wb);
	regfree(&re);
	free(l.buf);
}

/* No wb lines without wbtrace, and no other line changes with it. */
Test(wbtrace, no_line_without_wbtrace)
{
	lines l = {0};
	FILE *f = open_memstream(&l.buf, &l.len);
	mg_runtime *rt = open_study(MG_WB_HYBRID, 1, 0, f);
	mg_gc(rt);
	mgt_close(rt);
	fclose(f);
	cr_assert_eq(l.len, 0, "printed: %.*s", (int)l.len, l.buf);
	free(l.buf);
}

/* A random graph rewired through the barriers while the collector runs:
 * every wb line is the contract's, follows its gc line, and the lines add
 * up to the totals in mg_stats; the yuasa run drops pointers during mark,
 * so something floats and something was shaded. */
Test(wbtrace, lines_add_up_to_the_totals_on_a_mutated_graph)
{
	lines l = {0};
	FILE *f = open_memstream(&l.buf, &l.len);
	mg_config c;
	mgt_config(&c);
	c.gogc = 25;
	c.wb = MG_WB_YUASA;
	c.gctrace = 1;
	c.wbtrace = 1;
	c.mark_slice = 4096;
	c.stoptheworld = 0; /* whatever MAPGC_TEST_MODE says: the subject is mutation during mark */
	c.procs = 1;        /* and one P: mark workers can end a mark before the mutator deletes anything */
	c.gcevery = 0;
	c.trace = f;
	mg_runtime *rt = mgt_open(&c);
	mgt_rng rng;
	mgt_rng_init(&rng, 13);
	mgt_graph g;
	mgt_graph_init(&g, rt, &rng, 3000, 16);
	mgt_graph_mutate(&g, 60000, 0);
	mgt_graph_drop(&g);
	mg_stats st = mgt_stats(rt);
	mgt_close(rt);
	fclose(f);
	split_lines(&l);
	regex_t re;
	cr_assert_eq(regcomp(&re, wb_line_re, REG_EXTENDED), 0);
	uint64_t slow = 0, old = 0, new = 0, floating_kb = 0, nwb = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (strncmp(l.v[i], "wb ", 3) != 0)
			continue;
		regmatch_t m[8];
		cr_assert_eq(regexec(&re, l.v[i], 8, m, 0), 0, "not the contract's line: %s", l.v[i]);
		char head[40];
		snprintf(head, sizeof head, "gc %.*s @", (int)(m[1].rm_eo - m[1].rm_so), l.v[i] + m[1].rm_so);
		cr_assert(i > 0 && strncmp(l.v[i - 1], head, strlen(head)) == 0, "%s: not after its gc line", l.v[i]);
		slow += strtoull(l.v[i] + m[3].rm_so, NULL, 10);
		old += strtoull(l.v[i] + m[4].rm_so, NULL, 10);
		new += strtoull(l.v[i] + m[5].rm_so, NULL, 10);
		floating_kb += strtoull(l.v[i] + m[7].rm_so, NULL, 10);
		nwb++;
	}
	regfree(&re);
	cr_assert_eq(nwb, st.cycles, "one wb line per cycle");
	cr_assert_gt(st.cycles, 2, "the test wants several cycles");
	cr_assert_eq(st.wb.slow, slow);
	cr_assert_eq(st.wb.shaded_old, old);
	cr_assert_eq(st.wb.shaded_new, 0, "yuasa has no insertion half");
	cr_assert_eq(new, 0);
	cr_assert_gt(st.wb.slow, 0);
	cr_assert_gt(st.wb.shaded_old, 0, "the deletion half shaded nothing");
	cr_assert_gt(st.wb.floating_bytes, 0, "nothing floated though pointers were dropped during mark");
	/* Each line rounds down to KiB; the total is exact. */
	cr_assert_leq(floating_kb, st.wb.floating_bytes >> 10);
	free(l.buf);
}
