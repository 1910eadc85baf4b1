/*
 * Freed memory is poisoned (DESIGN.md §3): 0xdb bytes in debug builds,
 * poisoned ASan shadow in ASan builds, so reads of freed memory stand out or
 * are caught.  Release builds (NDEBUG, no ASan) leave it alone: skipped.
 */
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <string.h>

#if MGT_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* x between two live neighbours of its size class, so its span stays in
 * use; x itself is dropped.  Returns x's slot (header included). */
static unsigned char *free_one(mg_runtime *rt, mg_scope *s, void **a, void **b, size_t *slot_size)
{
	mg_scope_enter(rt, s);
	/* Each rooted before the next allocation, which may collect (gcevery);
	 * x by an inner scope, left once b is allocated. */
	*a = mg_alloc_bytes(rt, 48);
	mg_root(rt, a, "a");
	mg_scope held;
	mg_scope_enter(rt, &held);
	unsigned char *x = mg_alloc_bytes(rt, 48);
	mg_root(rt, &x, "x");
	*b = mg_alloc_bytes(rt, 48);
	mg_scope_leave(rt, &held);
	mg_root(rt, b, "b");
	memset(x, 0x11, 48);
	cr_assert_eq((unsigned char *)*a + 64, x, "not consecutive slots");
	cr_assert_eq(x + 64, (unsigned char *)*b, "not consecutive slots");
	mg_gc(rt);
	cr_assert_eq(gc_test_color(rt, x), GC_COLOR_FREE);
	cr_assert_eq(gc_test_color(rt, *a), GC_COLOR_WHITE);
	*slot_size = 64;
	return x - GC_HDR_SIZE;
}

Test(poison, freed_small_object_is_poisoned)
{
#if !MGT_ASAN && defined(NDEBUG)
	cr_skip_test("release build: freed memory is not poisoned");
#endif
	mg_runtime *rt = mgt_open(NULL);
	mg_scope s;
	void *a, *b;
	size_t n;
	unsigned char *slot = free_one(rt, &s, &a, &b, &n);
#if MGT_ASAN
	for (size_t i = 0; i < n; i++)
		cr_assert(__asan_address_is_poisoned(slot + i), "byte %zu of a freed slot is not poisoned", i);
	cr_assert_not(__asan_address_is_poisoned(a), "a live neighbour is poisoned");
	cr_assert_not(__asan_address_is_poisoned(b));
#else
	unsigned char got[64];
	cr_assert_leq(n, sizeof got);
	mgt_read_freed(got, slot, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(got[i], 0xdb, "byte %zu of a freed slot is %#x", i, got[i]);
#endif
	/* Live neighbours are untouched, and reuse hands out zeroed memory. */
	unsigned char *again = mg_alloc_bytes(rt, 48);
	cr_assert_eq(again, slot + GC_HDR_SIZE, "the freed slot was not reused first");
	for (size_t i = 0; i < 48; i++)
		cr_assert_eq(again[i], 0, "reused byte %zu is %#x", i, again[i]);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* In an ASan build, reading a freed object kills the process with ASan's
 * report (exit status 1); elsewhere there is nothing to catch. */
#if MGT_ASAN
#define ASAN_DEATH_STATUS 1
#else
#define ASAN_DEATH_STATUS 0
#endif
Test(poison, asan_catches_read_of_freed_object, .exit_code = ASAN_DEATH_STATUS)
{
#if !MGT_ASAN
	cr_skip_test("not an ASan build");
#else
	mg_runtime *rt = mgt_open(NULL);
	mg_scope s;
	void *a, *b;
	size_t n;
	unsigned char *slot = free_one(rt, &s, &a, &b, &n);
	volatile unsigned char *p = slot + GC_HDR_SIZE + 5;
	unsigned char v = *p; /* ASan: use-after-poison */
	cr_assert_fail("read freed memory (%#x) without an ASan report", v);
#endif
}

/* The whole of a freed span is poisoned, not just its slots. */
Test(poison, freed_span_is_poisoned)
{
#if !MGT_ASAN && defined(NDEBUG)
	cr_skip_test("release build: freed memory is not poisoned");
#endif
	mg_config c;
	mgt_config(&c);
	c.gogc = MG_GOGC_OFF; /* goal = heap: the scavenger has no reason to release */
	mg_runtime *rt = mgt_open(&c);
	mg_scope s;
	mg_scope_enter(rt, &s);
	/* Live large objects on both sides, so the freed span's pages stay a
	 * run of their own and the scavenger (largest runs first, only what
	 * exceeds its target) releases the heap's free tail instead. */
	void *keep1 = mg_alloc_bytes(rt, 60000);
	unsigned char *big = mg_alloc_bytes(rt, 60000);
	void *keep2 = mg_alloc_bytes(rt, 60000);
	mg_root(rt, &keep1, "keep1");
	mg_root(rt, &keep2, "keep2");
	memset(big, 0x22, 60000);
	mg_gc(rt);
	cr_assert_eq(gc_test_color(rt, big), GC_COLOR_FREE);
	gc_state *gc = gc_of(rt);
	gc_span *run = gc->pagemap[((uintptr_t)big - gc->arena_lo) >> GC_PAGE_SHIFT];
	cr_assert_not_null(run);
	cr_assert_eq(run->state, SPAN_FREE);
	cr_assert_eq(run->base, (uintptr_t)big - GC_HDR_SIZE);
	cr_assert_not(run->released, "the freed span went back to the OS: nothing left to read");
	unsigned char *base = big - GC_HDR_SIZE;
	for (size_t i = 0; i < 60000 + GC_HDR_SIZE; i += 97) {
#if MGT_ASAN
		cr_assert(__asan_address_is_poisoned(base + i), "byte %zu", i);
#else
		unsigned char v;
		mgt_read_freed(&v, base + i, 1);
		cr_assert_eq(v, 0xdb, "byte %zu is %#x", i, v);
#endif
	}
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* inv.vg-alloc and inv.vg-free, as Memcheck holds them: a freed slot and a
 * freed span are NOACCESS, a live object is addressable, and so is nothing
 * of its slot beyond the bytes asked for.  Runs under valgrind only
 * (scripts/valgrind.sh runs test_gc); tests/valgrind/freed_read.sh proves
 * that a read of freed memory is reported. */
Test(poison, memcheck_noaccess)
{
	if (!mgt_under_valgrind())
		cr_skip_test("not under valgrind with an annotated heap (MAPGC_VALGRIND)");
	mg_config c;
	mgt_config(&c);
	c.gogc = MG_GOGC_OFF;
	mg_runtime *rt = mgt_open(&c);
	mg_scope s;
	void *a, *b;
	size_t n;
	unsigned char *slot = free_one(rt, &s, &a, &b, &n);
	cr_assert(mgt_vg_access_is(slot, n, true), "a freed slot is addressable to Memcheck");
	cr_assert(mgt_vg_access_is((char *)a - GC_HDR_SIZE, GC_HDR_SIZE + 48, false), "a live object is NOACCESS");
	cr_assert(mgt_vg_access_is((char *)b - GC_HDR_SIZE, GC_HDR_SIZE + 48, false), "a live object is NOACCESS");
	cr_assert(mgt_vg_access_is((char *)a + 48, 64 - GC_HDR_SIZE - 48, true),
	          "the unused tail of a live object's slot is addressable");
	/* Reused: addressable again. */
	unsigned char *again = mg_alloc_bytes(rt, 48);
	cr_assert_eq(again, slot + GC_HDR_SIZE);
	cr_assert(mgt_vg_access_is(slot, GC_HDR_SIZE + 48, false), "a reused slot is NOACCESS");
	/* A large object's span, freed whole. */
	unsigned char *big = mg_alloc_bytes(rt, 60000);
	cr_assert(mgt_vg_access_is(big - GC_HDR_SIZE, GC_HDR_SIZE + 60000, false), "a large object is NOACCESS");
	mg_gc(rt);
	cr_assert_eq(gc_test_color(rt, big), GC_COLOR_FREE);
	cr_assert(mgt_vg_access_is(big - GC_HDR_SIZE, GC_HDR_SIZE + 60000, true), "a freed span is addressable");
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}
