/* Objects: strings, mg_typeof, zeroing, and pointers that leave the heap. */
#include "tests/support/mgt.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

typedef struct holder {
	void *p[4];
	int64_t tag;
} holder;
static const mg_field holder_fields[] = {
	{0, "p0"}, {8, "p1"}, {16, "p2"}, {24, "p3"},
};
static const mg_type holder_type = {"holder", sizeof(holder), 8, holder_fields, 4, NULL, NULL};

Test(string, new_copies_onto_the_heap)
{
	mg_runtime *rt = mgt_open(NULL);
	char src[] = "hello, heap";
	mg_string s = mg_string_new(rt, src, 11);
	cr_assert_eq(s.len, 11);
	cr_assert_neq(s.ptr, src);
	cr_assert(memcmp(s.ptr, "hello, heap", 11) == 0);
	src[0] = 'J';
	cr_assert_eq(s.ptr[0], 'h', "not a copy");
	size_t len = 0;
	cr_assert_eq(mg_typeof(rt, s.ptr, &len), &mg_type_bytes);
	cr_assert_eq(len, 11);
	/* Only len bytes are copied, even when more follow. */
	mg_string t = mg_string_new(rt, "abcdef", 3);
	cr_assert_eq(t.len, 3);
	cr_assert(memcmp(t.ptr, "abc", 3) == 0);
	mg_typeof(rt, t.ptr, &len);
	cr_assert_eq(len, 3);
	mgt_close(rt);
}

Test(string, empty_has_null_pointer)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_stats before = mgt_stats(rt);
	mg_string s = mg_string_new(rt, "ignored", 0);
	cr_assert_null(s.ptr);
	cr_assert_eq(s.len, 0);
	s = mg_string_new(rt, NULL, 0);
	cr_assert_null(s.ptr);
	cr_assert_eq(mgt_stats(rt).total_objects, before.total_objects, "an empty string allocated");
	mgt_close(rt);
}

Test(string, rooted_string_survives)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_scope sc;
	mg_scope_enter(rt, &sc);
	mg_string s = mg_string_new(rt, "kept alive", 10);
	/* An mg_string is rootable (its pointer comes first); rooted before
	 * the next allocation, which may collect (gcevery). */
	mg_root(rt, &s, "s");
	/* Strings inside heap objects: an array of mg_string. */
	mg_string *arr = mg_alloc_array(rt, &mg_type_string, 3);
	mg_root(rt, &arr, "arr");
	for (int i = 0; i < 3; i++) {
		char buf[16];
		int n = snprintf(buf, sizeof buf, "elem-%d", i);
		mg_string e = mg_string_new(rt, buf, (size_t)n);
		mg_store(rt, &arr[i].ptr, (void *)e.ptr);
		arr[i].len = e.len;
	}
	/* The last allocation: no later one may reuse its slot once freed. */
	mg_string lost = mg_string_new(rt, "garbage!", 8);
	mg_gc(rt);
	mg_gc(rt);
	cr_assert_not_null(mg_typeof(rt, s.ptr, NULL));
	cr_assert(memcmp(s.ptr, "kept alive", 10) == 0);
	cr_assert_null(mg_typeof(rt, lost.ptr, NULL), "unrooted string survived");
	for (int i = 0; i < 3; i++) {
		char buf[16];
		snprintf(buf, sizeof buf, "elem-%d", i);
		cr_assert_eq(arr[i].len, 6);
		cr_assert(memcmp(arr[i].ptr, buf, 6) == 0, "element %d", i);
	}
	mg_scope_leave(rt, &sc);
	mg_gc(rt);
	cr_assert_eq(mgt_stats(rt).heap_inuse, 0);
	mgt_close(rt);
}

Test(typeof, answers)
{
	mg_runtime *rt = mgt_open(NULL);
	holder *h = mg_alloc(rt, &holder_type);
	int64_t *arr = mg_alloc_array(rt, &mg_type_int64, 100);
	size_t len = 0;
	cr_assert_eq(mg_typeof(rt, h, &len), &holder_type);
	cr_assert_eq(len, 1);
	cr_assert_eq(mg_typeof(rt, (char *)h + 33, &len), &holder_type, "interior pointer");
	cr_assert_eq(mg_typeof(rt, arr, &len), &mg_type_int64);
	cr_assert_eq(len, 100);
	cr_assert_eq(mg_typeof(rt, &arr[99], &len), &mg_type_int64, "last element");
	cr_assert_eq(mg_typeof(rt, h, NULL), &holder_type, "len may be NULL");
	cr_assert_null(mg_typeof(rt, NULL, &len));
	cr_assert_null(mg_typeof(rt, "a literal", &len));
	cr_assert_null(mg_typeof(rt, &len, &len), "a stack address");
	void *m = malloc(16);
	cr_assert_null(mg_typeof(rt, m, &len));
	free(m);
	mg_gc(rt);
	cr_assert_null(mg_typeof(rt, h, &len), "a freed object has no type");
	cr_assert_null(mg_typeof(rt, arr, &len));
	mgt_close(rt);
}

Test(alloc, memory_is_zeroed_when_reused)
{
	mg_runtime *rt = mgt_open(NULL);
	for (int round = 0; round < 3; round++) {
		holder *hs[200];
		for (int i = 0; i < 200; i++) {
			hs[i] = mg_alloc(rt, &holder_type);
			holder zero = {0};
			cr_assert(memcmp(hs[i], &zero, sizeof zero) == 0, "round %d object %d not zeroed", round, i);
			memset(hs[i], 0xee, sizeof *hs[i]);
			hs[i]->p[0] = hs[i]->p[1] = hs[i]->p[2] = hs[i]->p[3] = NULL;
		}
		unsigned char *b = mg_alloc_bytes(rt, 5000);
		for (int i = 0; i < 5000; i++)
			cr_assert_eq(b[i], 0, "round %d byte %d", round, i);
		memset(b, 0xee, 5000);
		mg_gc(rt); /* all garbage: the next round reuses the slots */
	}
	mgt_close(rt);
}

Test(alloc, zero_length_arrays)
{
	mg_runtime *rt = mgt_open(NULL);
	void *a = mg_alloc_array(rt, &holder_type, 0);
	void *b = mg_alloc_bytes(rt, 0);
	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_neq(a, b);
	size_t len = 7;
	cr_assert_eq(mg_typeof(rt, a, &len), &holder_type);
	cr_assert_eq(len, 0);
	mg_gc(rt);
	mgt_close(rt);
}

/* Pointers outside the heap are legal in pointer fields and roots and are
 * ignored by the collector (DESIGN.md §6), with every verifier on. */
Test(outside, pointers_outside_the_heap_are_ignored)
{
	mg_config cfg;
	mgt_config(&cfg);
	cfg.gogc = 1;          /* a 41 KiB heap minimum: cycles start every few allocations */
	cfg.mark_slice = 256;  /* and mark in many small slices */
	mg_runtime *rt = mgt_open(&cfg);
	static const char literal[] = "a string literal";
	static int global_int;
	char *mallocd = malloc(64);
	strcpy(mallocd, "malloc'd");
	int on_stack = 5;
	mg_scope sc;
	mg_scope_enter(rt, &sc);
	holder *h = mg_alloc(rt, &holder_type);
	void *root_literal = (void *)literal, *root_odd = (void *)(uintptr_t)1;
	mg_root(rt, &h, "h");
	mg_root(rt, &root_literal, "literal");
	mg_root(rt, &root_odd, "odd");
	mg_store(rt, &h->p[0], (void *)literal);
	mg_store(rt, &h->p[1], mallocd);
	mg_store(rt, &h->p[2], &on_stack);
	mg_store(rt, &h->p[3], &global_int);
	mg_string *strs = mg_alloc_array(rt, &mg_type_string, 2);
	mg_root(rt, &strs, "strs");
	mg_store(rt, &strs[0].ptr, (void *)literal);
	strs[0].len = 3;
	mg_store(rt, &strs[1].ptr, (void *)((uintptr_t)literal + 100000)); /* wild, but outside */
	for (int i = 0; i < 3; i++)
		mg_gc(rt);
	/* Again while the collector is marking, through the barriers. */
	for (int i = 0; i < 8000; i++) {
		holder *g = mg_alloc(rt, &holder_type);
		mg_store(rt, &g->p[0], (void *)literal);
		mg_store(rt, &h->p[i % 4], i % 2 ? (void *)literal : (void *)mallocd);
		mg_safepoint(rt);
	}
	mg_store(rt, &h->p[2], &on_stack);
	mg_store(rt, &h->p[3], &global_int);
	cr_assert_gt(mgt_stats(rt).cycles, 5, "the loop ran too few cycles to mean anything");
	mg_gc(rt);
	cr_assert_eq(mg_typeof(rt, h, NULL), &holder_type);
	cr_assert_eq(h->p[2], &on_stack);
	cr_assert_eq(h->p[3], &global_int);
	cr_assert_str_eq(literal, "a string literal");
	cr_assert_str_eq(mallocd, "malloc'd");
	cr_assert_eq(strs[0].ptr, literal);
	cr_assert_eq(root_literal, literal);
	cr_assert_eq(on_stack, 5);
	mg_scope_leave(rt, &sc);
	mg_gc(rt);
	cr_assert_eq(mgt_stats(rt).heap_inuse, 0);
	free(mallocd);
	mgt_close(rt);
}
