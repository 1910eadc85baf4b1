/* Type descriptors: validated at their first allocation, fatally. */
#include "tests/support/mgt.h"

#include <criterion/criterion.h>

#include <string.h>

static const mg_field f0[] = {{0, "p"}};
static const mg_field f4[] = {{4, "p"}};
static const mg_field f16[] = {{16, "p"}};
static const mg_field f8_0[] = {{8, "b"}, {0, "a"}};
static const mg_field f8_8[] = {{8, "a"}, {8, "b"}};
static const mg_field f0_8_16[] = {{0, "a"}, {8, "b"}, {16, "c"}};

/* Allocating an object of t must fail fatally with exactly want. */
static void expect_bad_type(const mg_type *t, const char *want)
{
	mg_runtime *rt = mgt_open(NULL);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_alloc(rt, t));
	cr_assert_str_eq(mgt_last_failure.msg, want);
	mgt_close(rt);
}

Test(types, bad_alignment)
{
	static const mg_type t3 = {"bad.align3", 12, 3, NULL, 0, NULL, NULL};
	static const mg_type t0 = {"bad.align0", 8, 0, NULL, 0, NULL, NULL};
	static const mg_type t16 = {"bad.align16", 16, 16, NULL, 0, NULL, NULL};
	expect_bad_type(&t3, "type bad.align3: alignment 3 not in 1, 2, 4, 8");
	expect_bad_type(&t0, "type bad.align0: alignment 0 not in 1, 2, 4, 8");
	expect_bad_type(&t16, "type bad.align16: alignment 16 not in 1, 2, 4, 8");
}

Test(types, bad_size)
{
	static const mg_type zero = {"bad.size0", 0, 1, NULL, 0, NULL, NULL};
	static const mg_type odd = {"bad.size12", 12, 8, NULL, 0, NULL, NULL};
	static const mg_type huge = {"bad.huge", (size_t)1 << 33, 8, NULL, 0, NULL, NULL};
	expect_bad_type(&zero, "type bad.size0: bad size 0");
	expect_bad_type(&odd, "type bad.size12: bad size 12");
	expect_bad_type(&huge, "type bad.huge: bad size 8589934592");
}

Test(types, bad_pointer_offsets)
{
	static const mg_type mis = {"bad.off4", 16, 8, f4, 1, NULL, NULL};
	static const mg_type past = {"bad.off16", 16, 8, f16, 1, NULL, NULL};
	static const mg_type order = {"bad.order", 16, 8, f8_0, 2, NULL, NULL};
	static const mg_type dup = {"bad.dup", 16, 8, f8_8, 2, NULL, NULL};
	static const mg_type partly = {"bad.partly", 16, 8, f0_8_16, 3, NULL, NULL};
	expect_bad_type(&mis, "type bad.off4: pointer field 0 at bad offset 4");
	expect_bad_type(&past, "type bad.off16: pointer field 0 at bad offset 16");
	expect_bad_type(&order, "type bad.order: pointer fields not in ascending order");
	expect_bad_type(&dup, "type bad.dup: pointer fields not in ascending order");
	expect_bad_type(&partly, "type bad.partly: pointer field 2 at bad offset 16");
}

Test(types, unnamed_type_in_message)
{
	static const mg_type t = {NULL, 8, 5, NULL, 0, NULL, NULL};
	expect_bad_type(&t, "type (unnamed): alignment 5 not in 1, 2, 4, 8");
}

/* Validation happens on every path that registers a type. */
Test(types, validated_by_arrays_and_typed_copy)
{
	static const mg_type bad = {"bad.off4", 16, 8, f4, 1, NULL, NULL};
	mg_runtime *rt = mgt_open(NULL);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_alloc_array(rt, &bad, 3));
	cr_assert_str_eq(mgt_last_failure.msg, "type bad.off4: pointer field 0 at bad offset 4");
	mgt_close(rt);

	rt = mgt_open(NULL);
	char dst[16] = {0}, src[16] = {0};
	MGT_EXPECT_FAILURE(MG_FATAL, mg_typed_copy(rt, &bad, dst, src, 1));
	mgt_close(rt);
}

/* A pointer field needs 8-byte alignment in every element of an array, so a
 * type with pointer fields whose size is not a multiple of 8 (here align 4,
 * size 12: element 1's pointer would sit at byte 12) cannot be scanned; it
 * must be refused like the other malformed descriptors. */
Test(types, pointer_type_with_unaligned_stride)
{
	static const mg_type t = {"bad.stride12", 12, 4, f0, 1, NULL, NULL};
	mg_runtime *rt = mgt_open(NULL);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_alloc_array(rt, &t, 4));
	cr_assert_eq(strncmp(mgt_last_failure.msg, "type bad.stride12: ", 19), 0, "%s", mgt_last_failure.msg);
	mgt_close(rt);
}

/* nptrs > 0 with no field list is a malformed descriptor: fatal, not a crash. */
Test(types, pointer_count_without_fields)
{
	static const mg_type t = {"bad.noptrs", 16, 8, NULL, 2, NULL, NULL};
	mg_runtime *rt = mgt_open(NULL);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_alloc(rt, &t));
	cr_assert_eq(strncmp(mgt_last_failure.msg, "type bad.noptrs: ", 17), 0, "%s", mgt_last_failure.msg);
	mgt_close(rt);
}

Test(types, good_types_allocate)
{
	static const mg_type byte = {"byte", 1, 1, NULL, 0, NULL, NULL};
	static const mg_type pair = {"pair", 24, 8, f16, 1, NULL, NULL};
	static const mg_type tri = {"tri", 24, 8, f0_8_16, 3, NULL, NULL};
	static const mg_type half = {"half", 6, 2, NULL, 0, NULL, NULL};
	mg_runtime *rt = mgt_open(NULL);
	const mg_type *ts[] = {&byte, &pair, &tri, &half, &mg_type_int64, &mg_type_ptr, &mg_type_string, &mg_type_bytes};
	for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
		void *p = mg_alloc(rt, ts[i]);
		cr_assert_not_null(p);
		cr_assert_eq((uintptr_t)p % 8, 0, "%s not 8-aligned", ts[i]->name);
		size_t len = 99;
		cr_assert_eq(mg_typeof(rt, p, &len), ts[i], "%s", ts[i]->name);
		cr_assert_eq(len, 1);
		unsigned char zero[32] = {0};
		cr_assert(memcmp(p, zero, ts[i]->size) == 0, "%s not zeroed", ts[i]->name);
		void *a = mg_alloc_array(rt, ts[i], 5);
		cr_assert_eq(mg_typeof(rt, a, &len), ts[i]);
		cr_assert_eq(len, 5);
	}
	mgt_close(rt);
}

Test(types, builtin_descriptors)
{
	cr_assert_eq(mg_type_int64.size, 8);
	cr_assert_eq(mg_type_int64.nptrs, 0);
	cr_assert_eq(mg_type_ptr.size, sizeof(void *));
	cr_assert_eq(mg_type_ptr.nptrs, 1);
	cr_assert_eq(mg_type_ptr.ptrs[0].offset, 0);
	cr_assert_eq(mg_type_string.size, sizeof(mg_string));
	cr_assert_eq(mg_type_string.nptrs, 1);
	cr_assert_eq(mg_type_string.ptrs[0].offset, offsetof(mg_string, ptr));
	cr_assert_eq(mg_type_bytes.size, 1);
	cr_assert_eq(mg_type_bytes.nptrs, 0);
}
