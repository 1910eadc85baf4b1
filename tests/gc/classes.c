/*
 * Size classes (gc/heap.c): sizes include the 8-byte header.  Every size up
 * to GC_MAX_SMALL gets the smallest class whose slot holds it; classes are
 * monotone, 16-byte multiples, waste under 25 % above 128 bytes, and each
 * class's span wastes at most 1/8 of itself at the tail.
 */
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>

/* gc_test_size_class is pure size-class geometry (gc_test.h): it works
 * before any runtime exists (the table used to be filled by the first
 * mg_open, and every size was class 0 until then). */
Test(classes, usable_before_any_runtime)
{
	uint32_t slot = 0, npages = 0;
	uint32_t cls = gc_test_size_class(100, &slot, &npages);
	cr_assert_neq(cls, 0, "size 100 is in class 0 (large) before the first mg_open");
	cr_assert_eq(slot, 112);
}

Test(classes, every_small_size_fits_its_class)
{
	uint32_t prev_cls = 0, prev_slot = 0, classes = 0;
	for (size_t size = 1; size <= GC_MAX_SMALL; size++) {
		uint32_t slot = 0, npages = 0;
		uint32_t cls = gc_test_size_class(size, &slot, &npages);
		cr_assert(cls >= 1 && cls < GC_NCLASS, "size %zu: class %u", size, cls);
		cr_assert_geq(slot, size, "size %zu: slot %u too small", size, slot);
		cr_assert_eq(slot % 16, 0, "size %zu: slot %u", size, slot);
		cr_assert_geq(cls, prev_cls, "size %zu: class went down", size);
		cr_assert_geq(slot, prev_slot, "size %zu: slot went down", size);
		if (cls != prev_cls) {
			/* A new class starts exactly one byte past the previous slot:
			 * the smallest class that fits is always the one chosen. */
			cr_assert_eq(cls, prev_cls + 1, "size %zu skipped a class", size);
			cr_assert_eq(size, (size_t)prev_slot + 1, "size %zu: class %u starts late (previous slot %u)", size,
			             cls, prev_slot);
			classes++;
			/* Span geometry, once per class. */
			size_t span = (size_t)npages * GC_PAGE_SIZE;
			cr_assert_geq(span, slot, "class %u: %u pages for a %u-byte slot", cls, npages, slot);
			cr_assert_leq(span % slot, span / 8, "class %u: tail waste %zu of %zu", cls, span % slot, span);
			if (npages > 1) {
				size_t smaller = span - GC_PAGE_SIZE;
				cr_assert(smaller < slot || smaller % slot > smaller / 8,
				          "class %u: %u pages where %u would do", cls, npages, npages - 1);
			}
		}
		if (size > 128)
			cr_assert_lt((uint64_t)slot * 4, (uint64_t)size * 5, "size %zu: slot %u wastes 25%% or more", size,
			             slot);
		else
			cr_assert_lt(slot - size, 16, "size %zu: slot %u", size, slot);
		prev_cls = cls;
		prev_slot = slot;
	}
	cr_assert_eq(classes, GC_NCLASS - 1);
	cr_assert_eq(prev_slot, GC_MAX_SMALL, "the largest class is exactly GC_MAX_SMALL");
}

Test(classes, large_sizes_are_class_zero)
{
	static const size_t sizes[] = {GC_MAX_SMALL + 1, GC_MAX_SMALL + 8, 40000, 1 << 20, (size_t)1 << 40, SIZE_MAX};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint32_t slot = 7, npages = 7;
		cr_assert_eq(gc_test_size_class(sizes[i], &slot, &npages), 0, "size %zu", sizes[i]);
		cr_assert_eq(slot, 0);
		cr_assert_eq(npages, 0);
	}
	/* NULL outputs are allowed. */
	cr_assert_eq(gc_test_size_class(100, NULL, NULL), gc_test_size_class(100, NULL, NULL));
}

Test(classes, known_classes)
{
	static const struct { size_t size; uint32_t slot; } k[] = {
		{1, 16},     {16, 16},     {17, 32},     {128, 128},    {129, 160},     {160, 160},
		{161, 192},  {257, 320},   {1024, 1024}, {1025, 1280},  {4097, 5120},   {16385, 20480},
		{28673, 32768},
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		uint32_t slot;
		gc_test_size_class(k[i].size, &slot, NULL);
		cr_assert_eq(slot, k[i].slot, "size %zu: slot %u, want %u", k[i].size, slot, k[i].slot);
	}
}

/* Allocation charges exactly the slot of the class of (header + size,
 * rounded up to 8) to heap_inuse. */
// labels: exact_pacing
Test(classes, allocation_uses_the_class_slot)
{
	mg_config c;
	mgt_config(&c);
	c.gogc = MG_GOGC_OFF;
	mg_runtime *rt = mgt_open(&c);
	for (size_t n = 0; n <= GC_MAX_SMALL + 100; n += n < 300 ? 1 : 97) {
		uint64_t before = mgt_stats(rt).heap_inuse;
		mg_alloc_bytes(rt, n);
		uint64_t got = mgt_stats(rt).heap_inuse - before;
		size_t total = (GC_HDR_SIZE + n + 7) & ~(size_t)7;
		uint32_t slot;
		uint32_t cls = gc_test_size_class(total, &slot, NULL);
		uint64_t want = cls ? slot : (total + GC_PAGE_SIZE - 1) / GC_PAGE_SIZE * GC_PAGE_SIZE;
		cr_assert_eq(got, want, "mg_alloc_bytes(%zu) charged %" PRIu64 ", want %" PRIu64, n, got, want);
	}
	mgt_close(rt);
}
