/*
 * The Boehm backend (gc/boehm.c, DESIGN.md §8): the same maps on libgc.
 *
 *  - maps of every key kind agree with the reference model through random
 *    operations, with a libgc collection every few dozen allocations;
 *  - rooted objects survive — through a scope root, a chain of heap
 *    pointers, and global roots whose slots are in malloc'd memory, which
 *    libgc itself never scans — and unrooted ones are reclaimed.  Counted
 *    from libgc's mark bits (gc_test_boehm_marked), not guessed from heap
 *    sizes; and a negative control shows that the same malloc'd slots,
 *    unregistered, keep nothing alive, so it is the roots hook that did;
 *  - a long run of garbage over a small live set keeps the heap small;
 *  - gctrace lines follow the contract, count from 1, and exactly the
 *    mg_gc cycles end in " (forced)";
 *  - debug settings Boehm cannot honour are reported once and cleared;
 *  - out of memory under MAPGC_MEMLIMIT is "fatal error: out of memory";
 *  - pointer-free objects come back zeroed when libgc reuses memory;
 *  - two Boehm runtimes share libgc in one process.
 *
 * Conservative scanning of the C stack may keep an unrooted object alive
 * by accident, so "reclaimed" assertions allow a few stragglers (SLACK) out
 * of thousands; "survives" assertions are exact.
 */
#include "tests/support/map_kinds.h"
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* Unrooted objects that conservative stack scanning may still retain. */
#define SLACK 16

static void boehm_config(mg_config *c)
{
	mgt_config(c);
	c->backend = MG_BACKEND_BOEHM;
	c->checkmark = 0; /* mapgc's verifiers: unsupported on Boehm */
	c->heapcheck = 0;
}

static mg_runtime *open_boehm(void)
{
	mg_config c;
	boehm_config(&c);
	return mgt_open(&c);
}

/* ---- a probe type: pointerful, with a check word ---------------------- */

typedef struct probe {
	int64_t id;
	uint64_t check;
	struct probe *next;
} probe;
static const mg_field probe_fields[] = {{offsetof(probe, next), "next"}};
static const mg_type probe_type = {"boehm.probe", sizeof(probe), 8, probe_fields, 1, NULL, NULL};

/* Garbage of another type, so probe counts are not disturbed. */
typedef struct junk {
	int64_t a[6];
	struct junk *next;
} junk;
static const mg_field junk_fields[] = {{offsetof(junk, next), "next"}};
static const mg_type junk_type = {"boehm.junk", sizeof(junk), 8, junk_fields, 1, NULL, NULL};

static uint64_t probe_check(int64_t id)
{
	return (uint64_t)id * 0x9e3779b97f4a7c15ULL ^ 0x5bd1e995u;
}

/* noinline: the new object's address should not linger in the caller's
 * frame, where conservative stack scanning would find it. */
static __attribute__((noinline)) probe *new_probe(mg_runtime *rt, int64_t id)
{
	probe *p = mg_alloc(rt, &probe_type);
	p->id = id;
	p->check = probe_check(id);
	return p;
}

static void assert_probe(mg_runtime *rt, const probe *p, int64_t id)
{
	cr_assert_not_null(p);
	cr_assert_eq(p->id, id, "probe %" PRId64 " holds id %" PRId64 ": freed and reused?", id, p->id);
	cr_assert_eq(p->check, probe_check(id), "probe %" PRId64 " corrupted", id);
	size_t len = 0;
	cr_assert_eq(mg_typeof(rt, p, &len), &probe_type, "probe %" PRId64 " lost its header", id);
	cr_assert_eq(len, 1);
}

static __attribute__((noinline)) void make_garbage(mg_runtime *rt, size_t bytes)
{
	for (size_t done = 0; done < bytes; done += sizeof(junk) + 8) {
		junk *j = mg_alloc(rt, &junk_type);
		j->a[0] = (int64_t)done;
	}
}

static size_t marked(mg_runtime *rt, const mg_type *t)
{
	return gc_test_boehm_marked(rt, t, NULL);
}

/* ---- maps of every kind ------------------------------------------------ */

static void model_run(mapt_kind kind, uint64_t seed)
{
	mg_config cfg;
	boehm_config(&cfg);
	cfg.gcevery = 61;
	cfg.seed = seed;
	cfg.seed_set = true;
	mg_runtime *rt = mgt_open(&cfg);
	mgt_rng rng;
	mgt_rng_init(&rng, seed);
	mapt_ctx c;
	mapt_ctx_init(&c, rt, &rng, kind, 4096);
	mg_scope s;
	mg_hmap *m = NULL;
	mg_scope_enter(rt, &s);
	mg_root(rt, &m, "m");
	m = mapt_m_new(&c, mgt_rng_below(&rng, 64));
	for (int op = 0; op < 2500; op++) {
		uint64_t x = mgt_rng_below(&rng, 100), kid = mgt_rng_below(&rng, 1500);
		if (x < 45)
			mapt_m_set(&c, m, kid);
		else if (x < 70)
			mapt_m_get(&c, m, kid);
		else if (x < 90)
			mapt_m_delete(&c, m, c.count && x & 1 ? mapt_m_random_present(&c) : kid);
		else if (x < 97)
			mapt_m_iterate(&c, m, 1 + (unsigned)mgt_rng_below(&rng, 8));
		else if (x < 99)
			mapt_garbage(&c, 4);
		else
			mapt_m_clear(&c, m);
		mapt_m_check(&c, m);
		mg_safepoint(rt);
	}
	mapt_m_verify_all(&c, m);
	mapt_m_iterate(&c, m, 3);
	mg_gc(rt);
	mapt_m_verify_all(&c, m);
	mg_stats st = mgt_stats(rt);
	cr_assert_gt(st.cycles, 50, "%s: only %" PRIu64 " collections", mapt_kind_name(kind), st.cycles);
	mg_scope_leave(rt, &s);
	mapt_ctx_free(&c);
	mgt_close(rt);
}

Test(boehm, maps_of_every_kind)
{
	for (int k = 0; k < MAPT_NKINDS; k++)
		model_run((mapt_kind)k, 0xb0e4 + (uint64_t)k);
}

/* ---- roots -------------------------------------------------------------- */

/* Global roots whose slots are in malloc'd memory, a scope root holding a
 * chain linked through heap pointer fields: all survive many collections
 * intact; unregistered, they are reclaimed. */
Test(boehm, rooted_objects_survive_and_unrooted_are_reclaimed)
{
	enum { K = 3000, CHAIN = 1000 };
	mg_runtime *rt = open_boehm();
	probe **slots = calloc(K, sizeof *slots); /* libgc never scans this */
	cr_assert_not_null(slots);
	for (int i = 0; i < K; i++) {
		mg_global_root(rt, &slots[i], "boehm.slot");
		slots[i] = new_probe(rt, i);
	}
	mg_scope s;
	probe *head = NULL;
	mg_scope_enter(rt, &s);
	mg_root(rt, &head, "boehm.head");
	for (int i = 0; i < CHAIN; i++) {
		probe *p = new_probe(rt, K + i);
		mg_store(rt, &p->next, head);
		head = p;
	}
	for (int round = 0; round < 5; round++) {
		make_garbage(rt, 8 << 20);
		mg_gc(rt);
		cr_assert_eq(marked(rt, &probe_type), K + CHAIN, "round %d: %zu probes marked, want %d", round,
		             marked(rt, &probe_type), K + CHAIN);
	}
	for (int i = 0; i < K; i++)
		assert_probe(rt, slots[i], i);
	int n = 0;
	for (probe *p = head; p; p = p->next, n++)
		assert_probe(rt, p, K + CHAIN - 1 - n);
	cr_assert_eq(n, CHAIN);

	/* Drop the chain but its first node, and every other global root. */
	head->next = NULL; /* no barrier on Boehm; and head is rooted */
	for (int i = 0; i < K; i += 2)
		mg_global_unroot(rt, &slots[i]);
	make_garbage(rt, 4 << 20);
	mg_gc(rt);
	size_t left = marked(rt, &probe_type);
	cr_assert_geq(left, K / 2 + 1);
	cr_assert_leq(left, K / 2 + 1 + SLACK, "%zu probes marked after unrooting, want %d (+%d)", left,
	              K / 2 + 1, SLACK);
	for (int i = 1; i < K; i += 2)
		assert_probe(rt, slots[i], i);
	assert_probe(rt, head, K + CHAIN - 1);

	for (int i = 1; i < K; i += 2)
		mg_global_unroot(rt, &slots[i]);
	mg_scope_leave(rt, &s);
	head = NULL;
	mg_gc(rt);
	cr_assert_leq(marked(rt, &probe_type), SLACK);
	free(slots);
	mgt_close(rt);
}

/* The negative control: the same malloc'd slots, never registered, keep
 * nothing alive — so the survivors above were kept by the roots hook, not
 * by libgc's own scanning. */
Test(boehm, unregistered_malloc_slots_keep_nothing)
{
	enum { K = 3000 };
	mg_runtime *rt = open_boehm();
	probe **slots = calloc(K, sizeof *slots);
	cr_assert_not_null(slots);
	for (int i = 0; i < K; i++)
		slots[i] = new_probe(rt, i);
	make_garbage(rt, 1 << 20);
	mg_gc(rt);
	cr_assert_leq(marked(rt, &probe_type), SLACK, "%zu probes held by unregistered malloc'd memory",
	              marked(rt, &probe_type));
	free(slots);
	mgt_close(rt);
}

/* 400 MB of garbage over a 2 MB live set: libgc collects, and the heap
 * stays a small multiple of the live set. */
Test(boehm, garbage_is_reclaimed_heap_stays_small)
{
	mg_runtime *rt = open_boehm();
	mg_scope s;
	void *live = NULL;
	mg_scope_enter(rt, &s);
	mg_root(rt, &live, "live");
	live = mg_alloc_bytes(rt, 2 << 20);
	/* Under gcevery=N (MAPGC_TEST_MODE) every Nth allocation is a whole
	 * collection: 400 MB of 72-byte objects took 300 s at N = 1, the
	 * entry's timeout.  4 MB per unit of N still makes thousands. */
	size_t garbage = (size_t)400 << 20;
	if (rt->cfg.gcevery && rt->cfg.gcevery < 100)
		garbage = ((size_t)4 << 20) * rt->cfg.gcevery;
	make_garbage(rt, garbage);
	mg_stats st = mgt_stats(rt);
	cr_assert_gt(st.cycles, 10, "%" PRIu64 " collections for %zu MB", st.cycles, garbage >> 20);
	cr_assert_lt(st.heap_mapped, (uint64_t)64 << 20, "heap %" PRIu64 " MB for a 2 MB live set",
	             st.heap_mapped >> 20);
	cr_assert_geq(st.total_alloc, (uint64_t)garbage);
	cr_assert_eq(st.mark_slices, 0);
	cr_assert_gt(st.pause_total_ns, 0);
	cr_assert_geq(st.pause_total_ns, st.pause_max_ns);
	cr_assert_gt(st.gc_cpu_ns, 0);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* mg_alloc promises zeroed memory; libgc does not clear pointer-free
 * objects, so the backend must, also when libgc reuses freed ones. */
Test(boehm, pointer_free_objects_are_zeroed)
{
	mg_runtime *rt = open_boehm();
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 2000; i++) {
			unsigned char *b = mg_alloc_bytes(rt, 40 + (size_t)(i % 7) * 24);
			for (size_t k = 0; k < 40 + (size_t)(i % 7) * 24; k++)
				cr_assert_eq(b[k], 0, "round %d object %d byte %zu is %#x", round, i, k, b[k]);
			memset(b, 0xa5, 40 + (size_t)(i % 7) * 24);
		}
		mg_gc(rt);
	}
	mgt_close(rt);
}

Test(boehm, typeof_finds_header_from_interior_pointers)
{
	mg_runtime *rt = open_boehm();
	mg_scope s;
	probe *arr = NULL;
	mg_scope_enter(rt, &s);
	mg_root(rt, &arr, "arr");
	arr = mg_alloc_array(rt, &probe_type, 100);
	size_t len = 0;
	cr_assert_eq(mg_typeof(rt, arr, &len), &probe_type);
	cr_assert_eq(len, 100);
	cr_assert_eq(mg_typeof(rt, &arr[57].check, &len), &probe_type);
	cr_assert_eq(len, 100);
	static int64_t outside;
	cr_assert_null(mg_typeof(rt, &outside, NULL));
	cr_assert_null(mg_typeof(rt, &len, NULL));
	char *bytes = mg_alloc_bytes(rt, 10);
	cr_assert_eq(mg_typeof(rt, bytes + 3, &len), &mg_type_bytes);
	cr_assert_eq(len, 10);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* ---- gctrace ------------------------------------------------------------- */

/* The contract, verbatim from tests/gc/gctrace.c. */
static const char *const contract_re =
	"^gc [0-9]+ @[0-9]+\\.[0-9]{3}s [0-9]+%: [0-9.]+\\+[0-9.]+\\+[0-9.]+ ms clock, "
	"[0-9.]+\\+[0-9.]+/[0-9.]+/[0-9.]+\\+[0-9.]+ ms cpu, [0-9]+->[0-9]+->[0-9]+ MB, [0-9]+ MB goal, "
	"[0-9]+ MB stacks, [0-9]+ MB globals, [0-9]+ P( \\(forced\\))?$";

typedef struct lines {
	size_t n, forced;
	unsigned long nums[512];
	bool is_forced[512];
	unsigned long h2[512];
} lines;

/* Parses the gc lines in text (every line must be one). */
static void parse_lines(const char *text, lines *out)
{
	regex_t re;
	cr_assert_eq(regcomp(&re, contract_re, REG_EXTENDED | REG_NOSUB), 0);
	memset(out, 0, sizeof *out);
	char *copy = strdup(text), *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		cr_assert_eq(regexec(&re, l, 0, NULL, 0), 0, "line does not match the contract:\n%s", l);
		cr_assert_lt(out->n, 512);
		out->nums[out->n] = strtoul(l + 3, NULL, 10);
		out->is_forced[out->n] = strstr(l, " (forced)") != NULL;
		const char *mb = strstr(l, " ms cpu, ");
		cr_assert_not_null(mb);
		const char *h2 = strstr(mb, "->");
		h2 = strstr(h2 + 2, "->");
		out->h2[out->n] = strtoul(h2 + 2, NULL, 10);
		out->forced += out->is_forced[out->n];
		out->n++;
	}
	free(copy);
	regfree(&re);
}

// labels: exact_pacing
/* A Boehm config whose gctrace lines go to a memory stream (*buf, *len
 * after fflush or fclose of the returned stream). */
static FILE *traced_config(mg_config *c, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	FILE *f = open_memstream(buf, len);
	cr_assert_not_null(f);
	boehm_config(c);
	c->gctrace = 1;
	c->trace = f;
	return f;
}

Test(boehm, gctrace_lines_follow_the_contract)
{
	char *buf;
	size_t len;
	mg_config c;
	FILE *f = traced_config(&c, &buf, &len);
	mg_runtime *rt = mgt_open(&c);
	mg_scope s;
	void *live[3] = {0};
	mg_scope_enter(rt, &s);
	for (int i = 0; i < 3; i++) {
		mg_root(rt, &live[i], "live");
		live[i] = mg_alloc_bytes(rt, 1 << 20);
	}
	make_garbage(rt, 64 << 20); /* automatic collections */
	fflush(f);
	size_t before = len;
	mg_gc(rt);
	fflush(f);
	cr_assert_gt(len, before, "mg_gc printed no line (lines are printed after the collection)");
	cr_assert_not_null(strstr(buf + before, " (forced)\n"), "%s", buf + before);
	make_garbage(rt, 16 << 20);
	mg_gc(rt);
	mg_stats st = mgt_stats(rt);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
	fclose(f);

	lines ls;
	parse_lines(buf, &ls);
	cr_assert_geq(ls.n, 4, "%zu lines:\n%s", ls.n, buf);
	cr_assert_eq(ls.n, st.cycles, "%zu lines for %" PRIu64 " cycles", ls.n, st.cycles);
	cr_assert_eq(ls.forced, 2, "%zu forced lines, want the 2 mg_gc cycles:\n%s", ls.forced, buf);
	cr_assert_eq(st.forced_cycles, 2);
	for (size_t i = 0; i < ls.n; i++)
		cr_assert_eq(ls.nums[i], i + 1, "line %zu is cycle %lu:\n%s", i, ls.nums[i], buf);
	cr_assert(ls.is_forced[ls.n - 1], "the last line is mg_gc's:\n%s", buf);
	/* H2 is the walk's exact live bytes: the 3 MiB held, and not much more. */
	cr_assert_geq(ls.h2[ls.n - 1], 3, "%s", buf);
	cr_assert_leq(ls.h2[ls.n - 1], 4, "%s", buf);
	free(buf);
}

/* gcevery=N collects on Boehm too; those cycles are not forced. */
Test(boehm, gcevery_cycles_are_not_forced)
{
	char *buf;
	size_t len;
	mg_config c;
	FILE *f = traced_config(&c, &buf, &len);
	c.gcevery = 100;
	mg_runtime *rt = mgt_open(&c);
	make_garbage(rt, 1000 * (sizeof(junk) + 8));
	mg_stats st = mgt_stats(rt);
	mgt_close(rt);
	fclose(f);
	lines ls;
	parse_lines(buf, &ls);
	cr_assert_geq(st.cycles, 10);
	cr_assert_eq(ls.n, st.cycles);
	cr_assert_eq(ls.forced, 0, "%s", buf);
	free(buf);
}

/* ---- what Boehm cannot do --------------------------------------------- */

Test(boehm, unsupported_debug_settings_are_reported_once)
{
	mg_config c;
	boehm_config(&c);
	c.checkmark = 1;
	c.heapcheck = 1;
	c.maptrace = 1;
	c.heapdump = 3;
	c.failalloc = 5;
	c.mark_slice = 4096;
	c.wb = MG_WB_YUASA;
	mgt_capture_begin();
	mg_runtime *rt = mgt_open(&c);
	const char *err = mgt_capture_end();
	static const char *const keys[] = {"gccheckmark=1", "heapcheck=1", "maptrace=1", "heapdump=3",
	                                   "failalloc=5", "gcslice=4096", "wb=yuasa"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char prefix[128];
		snprintf(prefix, sizeof prefix, "mapgc: backend boehm: %s is not supported (", keys[i]);
		cr_assert_eq(mgt_count_lines(err, prefix), 1, "want one line starting '%s' in:\n%s", prefix, err);
	}
	cr_assert_eq(mgt_count_lines(err, "mapgc: backend boehm: "), 7, "%s", err);
	const mg_config *used = mg_runtime_config(rt);
	cr_assert_eq(used->checkmark, 0);
	cr_assert_eq(used->heapcheck, 0);
	cr_assert_eq(used->maptrace, 0);
	cr_assert_eq(used->heapdump, 0);
	cr_assert_eq(used->failalloc, 0);
	cr_assert_eq(used->wb, MG_WB_NONE);

	/* Snapshots: -1 with ENOTSUP, reported. */
	mgt_capture_begin();
	errno = 0;
	int rc = mg_heap_snapshot(rt, "/nonexistent/x.json", NULL);
	int e = errno;
	err = mgt_capture_end();
	cr_assert_eq(rc, -1);
	cr_assert_eq(e, ENOTSUP);
	cr_assert_eq(mgt_count_lines(err, "mapgc: backend boehm: mg_heap_snapshot is not supported"), 1, "%s",
	             err);

	/* Once per process: a second runtime says nothing more. */
	mgt_capture_begin();
	mg_runtime *rt2 = mg_open(&c);
	mg_heap_snapshot(rt2, NULL, NULL);
	err = mgt_capture_end();
	cr_assert_str_eq(err, "");
	mg_close(rt2);
	mgt_close(rt);
}

/* maptrace=2 keeps the map events (they come from the map code); only the
 * per-cycle map line is missing. */
Test(boehm, maptrace_events_still_printed)
{
	char *buf;
	size_t len;
	mg_config c;
	FILE *f = traced_config(&c, &buf, &len);
	c.maptrace = 2;
	mgt_capture_begin();
	mg_runtime *rt = mgt_open(&c);
	const char *err = mgt_capture_end();
	cr_assert_eq(mgt_count_lines(err, "mapgc: backend boehm: maptrace=2 is not supported ("), 1, "%s", err);
	cr_assert_eq(mg_runtime_config(rt)->maptrace, 2);
	mg_scope s;
	mg_hmap *m = NULL;
	mg_scope_enter(rt, &s);
	mg_root(rt, &m, "m");
	m = mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, &mg_type_int64), 0);
	for (int64_t k = 0; k < 100; k++)
		mg_map_set(rt, m, &k, &k);
	mg_gc(rt);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
	fclose(f);
	cr_assert_not_null(strstr(buf, "mapev make m#1 "), "%s", buf);
	cr_assert_not_null(strstr(buf, "mapev grow m#1 "), "%s", buf);
	cr_assert_not_null(strstr(buf, "gc 1 @"), "%s", buf);
	cr_assert_null(strstr(buf, "\nmap "), "%s", buf);
	free(buf);
}

/* A live heap past MAPGC_MEMLIMIT: the Go message, the request on the line
 * before, no libgc warning in between. */
// labels: exact_pacing
Test(boehm, out_of_memory_is_fatal)
{
	mg_config c;
	boehm_config(&c);
	c.memlimit = 32 << 20;
	mg_runtime *rt = mgt_open(&c);
	mg_scope s;
	probe *head = NULL;
	mg_scope_enter(rt, &s);
	mg_root(rt, &head, "head");
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, for (int64_t i = 0;; i++) {
		probe *p = new_probe(rt, i);
		p->next = head;
		head = p;
	});
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "out of memory");
	cr_assert_not_null(strstr(err, "runtime: cannot allocate "), "%s", err);
	cr_assert_not_null(strstr(err, "-byte block\nfatal error: out of memory\n"), "%s", err);
	cr_assert_null(strstr(err, "GC Warning"), "%s", err);
	mgt_close(rt);
}

/* Garbage under a limit with GOGC=off: collections at the limit, no OOM
 * (libgc alone would not collect with automatic collection off). */
Test(boehm, gogc_off_collects_at_the_memory_limit)
{
	mg_config c;
	boehm_config(&c);
	c.gogc = MG_GOGC_OFF;
	c.memlimit = 32 << 20;
	mg_runtime *rt = mgt_open(&c);
	make_garbage(rt, (size_t)200 << 20);
	mg_stats st = mgt_stats(rt);
	cr_assert_gt(st.cycles, 0);
	cr_assert_leq(st.heap_mapped, (uint64_t)32 << 20);
	mgt_close(rt);
}

/* Two runtimes, one libgc: each one's roots keep its objects, each counts
 * every collection, and closing one leaves the other working. */
Test(boehm, two_runtimes_share_libgc)
{
	enum { K = 500 };
	mg_runtime *a = open_boehm(), *b = open_boehm();
	probe **sa = calloc(K, sizeof *sa), **sb = calloc(K, sizeof *sb);
	for (int i = 0; i < K; i++) {
		mg_global_root(a, &sa[i], "a");
		mg_global_root(b, &sb[i], "b");
		sa[i] = new_probe(a, i);
		sb[i] = new_probe(b, K + i);
	}
	make_garbage(a, 8 << 20);
	mg_gc(b);
	cr_assert_eq(marked(a, &probe_type), 2 * K);
	mg_stats st_a = mgt_stats(a), st_b = mgt_stats(b);
	cr_assert_eq(st_a.cycles, st_b.cycles, "a saw %" PRIu64 " collections, b %" PRIu64, st_a.cycles,
	             st_b.cycles);
	mg_close(b);
	free(sb);
	make_garbage(a, 8 << 20);
	mg_gc(a);
	cr_assert_geq(marked(a, &probe_type), K);
	cr_assert_leq(marked(a, &probe_type), K + SLACK);
	for (int i = 0; i < K; i++)
		assert_probe(a, sa[i], i);
	free(sa);
	mgt_close(a);
}

/* libgc runs as a user gets it: one marker per CPU the process may use
 * (its default), or GC_MARKERS of them.  Each test is its own process, so
 * libgc is initialised here, after the environment is set. */
static int cpus_allowed(void)
{
	cpu_set_t set;
	return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

Test(boehm, marks_in_parallel_by_default)
{
	unsetenv("GC_MARKERS");
	unsetenv("GC_NPROCS");
	int cpus = cpus_allowed();
	if (cpus < 2)
		cr_skip_test("one CPU: libgc starts no parallel marker");
	mg_config c;
	boehm_config(&c);
	c.procs = 0; /* the default Ps, whatever MAPGC_TEST_PROCS says */
	mg_runtime *rt = mgt_open(&c);
	int markers = gc_test_boehm_markers();
	cr_assert_geq(markers, 2, "%d CPUs but %d marking thread(s)", cpus, markers);
	make_garbage(rt, 8 << 20);
	mg_gc(rt);
	mg_stats st = mgt_stats(rt);
	cr_assert_gt(st.gc_cpu_ns, 0);
	mgt_close(rt);
}

/* The first runtime's Ps are libgc's markers, and each gctrace line's W
 * says how many mark. */
Test(boehm, procs_sets_the_markers_and_w)
{
	unsetenv("GC_MARKERS");
	unsetenv("GC_NPROCS");
	char *buf;
	size_t len;
	mg_config c;
	FILE *f = traced_config(&c, &buf, &len);
	c.procs = 3;
	mg_runtime *rt = mgt_open(&c);
	cr_assert_eq(gc_test_boehm_markers(), 3);
	make_garbage(rt, 1 << 20);
	mg_gc(rt);
	mgt_close(rt);
	fclose(f);
	cr_assert_not_null(strstr(buf, " MB globals, 3 P (forced)\n"), "%s", buf);
	free(buf);
}

Test(boehm, gc_markers_sets_the_marking_threads)
{
	setenv("GC_MARKERS", "1", 1);
	mg_runtime *rt = open_boehm();
	cr_assert_eq(gc_test_boehm_markers(), 1);
	make_garbage(rt, 1 << 20);
	mg_gc(rt);
	mgt_close(rt);
}
