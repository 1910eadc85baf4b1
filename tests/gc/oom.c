/*
 * Out of memory is "fatal error: out of memory" (and exit status 2 without
 * a handler), never a crash: a memory limit the live heap outgrows, an
 * injected failure of the N-th request to the OS (failalloc), and a single
 * request larger than anything the heap can give.
 */
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk {
	struct chunk *next;
	unsigned char *data;
} chunk;
static const mg_field chunk_fields[] = {{0, "next"}, {8, "data"}};
static const mg_type chunk_type = {"chunk", sizeof(chunk), 8, chunk_fields, 2, NULL, NULL};

typedef struct grower {
	mg_runtime *rt;
	mg_scope s;
	chunk *head;
	uint64_t os_requests; /* as seen before the last allocation */
	uint64_t allocated;   /* bytes of data held */
} grower;

/* A rooted list that grows by `step` bytes per call and never shrinks. */
static void grow(grower *g, size_t step)
{
	mg_stats st;
	mg_read_stats(g->rt, &st);
	g->os_requests = st.os_requests;
	chunk *c = mg_alloc(g->rt, &chunk_type);
	mg_store(g->rt, &c->next, g->head);
	g->head = c;
	unsigned char *d = mg_alloc_bytes(g->rt, step);
	mg_store(g->rt, &c->data, d);
	g->allocated += step;
}

static void grow_forever(grower *g, size_t step)
{
	for (;;)
		grow(g, step);
}

static void grower_init(grower *g, mg_runtime *rt)
{
	memset(g, 0, sizeof *g);
	g->rt = rt;
	mg_scope_enter(rt, &g->s);
	mg_root(rt, &g->head, "head");
}

static mg_runtime *open_oom(int64_t limit, uint64_t failalloc)
{
	mg_config c;
	mgt_config(&c);
	c.memlimit = limit;
	c.failalloc = failalloc;
	c.heapcheck = 0; /* O(heap) per slice; the heap is the point here */
	return mgt_open(&c);
}

static void expect_oom(grower *g, size_t step)
{
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, grow_forever(g, step));
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "out of memory");
	cr_assert_not_null(strstr(err, "runtime: cannot allocate "), "%s", err);
	cr_assert_not_null(strstr(err, "-byte block\nfatal error: out of memory\n"), "%s", err);
}

Test(oom, memory_limit_outgrown_by_live_heap)
{
	const int64_t limit = 4 << 20;
	mg_runtime *rt = open_oom(limit, 0);
	grower g;
	grower_init(&g, rt);
	expect_oom(&g, 10000);
	/* It collected before giving up, and held nearly the whole limit. */
	cr_assert_gt(g.allocated, (uint64_t)limit / 2, "gave up at %" PRIu64 " bytes", g.allocated);
	cr_assert_leq(g.allocated, (uint64_t)limit);
	mgt_close(rt);
}

Test(oom, memory_limit_with_gogc_off)
{
	mg_config c;
	mgt_config(&c);
	c.memlimit = 4 << 20;
	c.gogc = MG_GOGC_OFF;
	c.heapcheck = 0;
	mg_runtime *rt = mgt_open(&c);
	grower g;
	grower_init(&g, rt);
	expect_oom(&g, 3000);
	cr_assert_gt(mgt_last_failure.count, 0);
	mgt_close(rt);
}

Test(oom, memory_limit_without_handler_exits_2, .exit_code = 2)
{
	mg_runtime *rt = open_oom(4 << 20, 0);
	mg_set_failure_handler(rt, NULL, NULL);
	grower g;
	grower_init(&g, rt);
	grow_forever(&g, 10000);
}

Test(oom, one_object_larger_than_the_limit)
{
	mg_runtime *rt = open_oom(4 << 20, 0);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_alloc_bytes(rt, 8 << 20));
	cr_assert_str_eq(mgt_last_failure.msg, "out of memory");
	mgt_close(rt);
}

/* failalloc=N: the N-th request for OS memory fails, fatally and at once. */
static void failalloc_case(uint64_t n)
{
	mg_runtime *rt = open_oom(MG_MEMLIMIT_NONE, n);
	grower g;
	grower_init(&g, rt);
	expect_oom(&g, 1000);
	cr_assert_eq(g.os_requests, n - 1, "failalloc=%" PRIu64 " failed after %" PRIu64 " requests", n, g.os_requests);
	/* Each request commits GC_GROW_BYTES: the data held is about n-1 of them. */
	cr_assert_leq(g.allocated, (n - 1) * GC_GROW_BYTES);
	if (n > 1)
		cr_assert_geq(g.allocated, (n - 1) * GC_GROW_BYTES / 2, "failalloc=%" PRIu64 ": only %" PRIu64 " bytes", n,
		              g.allocated);
	mgt_close(rt);
}

Test(oom, failalloc_1)
{
	failalloc_case(1);
}
Test(oom, failalloc_2)
{
	failalloc_case(2);
}
Test(oom, failalloc_3)
{
	failalloc_case(3);
}

Test(oom, failalloc_without_handler_exits_2, .exit_code = 2)
{
	mg_runtime *rt = open_oom(MG_MEMLIMIT_NONE, 2);
	mg_set_failure_handler(rt, NULL, NULL);
	grower g;
	grower_init(&g, rt);
	grow_forever(&g, 1000);
}

/* A request beyond the heap's reservation: 2^20 elements of 1 MiB (1 TiB). */
Test(oom, one_terabyte_array)
{
	static const mg_type mib = {"mib", 1 << 20, 8, NULL, 0, NULL, NULL};
	mg_runtime *rt = open_oom(MG_MEMLIMIT_NONE, 0);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_alloc_array(rt, &mib, 1 << 20));
	cr_assert_str_eq(mgt_last_failure.msg, "out of memory");
	mgt_close(rt);
}

/* mg_alloc_bytes(1 TiB): the API says out of memory is a fatal error
 * (mapgc.h), as Go's make([]byte, 1<<40) is "fatal error: runtime: out of
 * memory" on 64-bit Linux. */
Test(oom, one_terabyte_of_bytes)
{
	mg_runtime *rt = open_oom(MG_MEMLIMIT_NONE, 0);
	mgt_capture_begin();
	jmp_buf jb;
	if (setjmp(jb) == 0) {
		mgt_arm(&jb);
		mg_alloc_bytes(rt, (size_t)1 << 40);
		mgt_disarm();
		cr_assert_fail("a 1 TiB allocation returned");
	}
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "out of memory", "got %s: %s",
	                 mgt_last_failure.kind == MG_PANIC ? "a panic" : "a fatal error", err);
	cr_assert_eq(mgt_last_failure.kind, MG_FATAL);
	mgt_close(rt);
}

/* Beyond the 48-bit address space a length is bad, not big: Go's
 * "makeslice: len out of range" panic. */
static void expect_len_panic(const mg_type *t, size_t n)
{
	mg_runtime *rt = open_oom(MG_MEMLIMIT_NONE, 0);
	MGT_EXPECT_FAILURE(MG_PANIC, mg_alloc_array(rt, t, n));
	cr_assert_str_eq(mgt_last_failure.msg, "runtime error: makeslice: len out of range", "%s x %zu", t->name, n);
	/* A panic leaves the runtime usable. */
	void *p = mg_alloc_bytes(rt, 10);
	cr_assert_not_null(p);
	mgt_close(rt);
}

Test(oom, beyond_the_address_space_is_a_panic)
{
	static const mg_type mib = {"mib", 1 << 20, 8, NULL, 0, NULL, NULL};
	expect_len_panic(&mg_type_bytes, (size_t)1 << 49);
	expect_len_panic(&mg_type_bytes, SIZE_MAX);
	expect_len_panic(&mib, (size_t)1 << 29); /* 2^49 bytes */
	expect_len_panic(&mib, SIZE_MAX / 2);    /* the byte count overflows */
}

Test(oom, one_terabyte_without_handler_exits_2, .exit_code = 2)
{
	mg_runtime *rt = open_oom(MG_MEMLIMIT_NONE, 0);
	mg_set_failure_handler(rt, NULL, NULL);
	mg_alloc_bytes(rt, (size_t)1 << 40);
}

/* The memory limit must fail only when the live heap does not fit, not
 * when garbage does: 12 MiB live (75 % of a 16 MiB limit), built in 20-420 KB
 * pieces with as much garbage in between, then churned.  A refusal at the
 * limit gets a full collection; what that collection finds dead has to be
 * reclaimed before the allocation is retried. */
Test(oom, limit_reclaims_garbage_before_failing)
{
	const int64_t limit = 16 << 20;
	mg_config c;
	mgt_config(&c);
	c.memlimit = limit;
	c.heapcheck = 0;
	mg_runtime *rt = mgt_open(&c);
	mgt_rng rng;
	mgt_rng_init(&rng, 1);
	grower g;
	grower_init(&g, rt);
	while (g.allocated < (12 << 20)) {
		grow(&g, 20000 + mgt_rng_below(&rng, 400000));
		mg_alloc_bytes(rt, 20000 + mgt_rng_below(&rng, 400000));
		cr_assert_leq(mgt_stats(rt).heap_mapped, (uint64_t)limit);
	}
	for (int i = 0; i < 3000; i++) {
		mg_alloc_bytes(rt, 1000 + mgt_rng_below(&rng, 200000));
		cr_assert_leq(mgt_stats(rt).heap_mapped, (uint64_t)limit);
	}
	for (chunk *k = g.head; k; k = k->next)
		cr_assert_eq(mg_typeof(rt, k->data, NULL), &mg_type_bytes);
	mg_scope_leave(rt, &g.s);
	mgt_close(rt);
}
