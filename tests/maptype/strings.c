/*
 * String keys and elems.  A string is {ptr, len} compared by content; its
 * bytes may live outside the heap (literals, malloc'd memory — legal and
 * ignored by the collector) or on it (mg_string_new).  Checked: lookups with
 * another pointer to equal bytes find the entry; the empty string (NULL or
 * not) is one key; lengths matter with embedded NULs and shared prefixes;
 * heap key and elem bytes held only by the map survive collections; an
 * assignment to a present key stores the new key (Go's needkeyupdate for
 * strings), so the old heap bytes become garbage and are freed.
 */
#include "tests/support/map_kinds.h"
#include "tests/support/mgt.h"

#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct sfx {
	mg_runtime *rt;
	mg_scope scope;
	mg_hmap *m;   /* string -> int64 */
	mg_hmap *mv;  /* int64 -> string */
	mg_hiter *it;
	mg_string key, out, tmp;
	void *garbage;
} sfx;

static void sfx_open(sfx *f)
{
	memset(f, 0, sizeof *f);
	mg_config cfg;
	mgt_config(&cfg);
	cfg.heapcheck = 1;
	cfg.checkmark = 1;
	cfg.gcevery = 23;
	cfg.seed = 77;
	cfg.seed_set = true;
	f->rt = mgt_open(&cfg);
	mg_scope_enter(f->rt, &f->scope);
	mg_root(f->rt, &f->m, "m");
	mg_root(f->rt, &f->mv, "mv");
	mg_root(f->rt, &f->it, "it");
	mg_root(f->rt, &f->key, "key");
	mg_root(f->rt, &f->out, "out");
	mg_root(f->rt, &f->tmp, "tmp");
	mg_root(f->rt, &f->garbage, "garbage");
	f->m = mg_map_new(f->rt, mg_maptype_get(f->rt, &mg_type_string, &mg_type_int64), 0);
	f->mv = mg_map_new(f->rt, mg_maptype_get(f->rt, &mg_type_int64, &mg_type_string), 0);
}

static void sfx_close(sfx *f)
{
	mg_scope_leave(f->rt, &f->scope);
	mgt_close(f->rt);
}

static mg_string lit(const char *s, size_t n)
{
	return (mg_string){s, n};
}

static void set_s(sfx *f, mg_string k, int64_t v)
{
	f->key = k;
	mg_map_set(f->rt, f->m, &f->key, &v);
	f->key = (mg_string){0};
	mapt_assert_map_ok(f->rt, f->m, "after set");
}

static bool get_s(sfx *f, mg_string k, int64_t *v)
{
	f->key = k;
	*v = -1;
	bool ok = mg_map_get(f->rt, f->m, &f->key, v);
	f->key = (mg_string){0};
	return ok;
}

static void heap_churn(sfx *f)
{
	for (int r = 0; r < 3; r++) {
		mg_gc(f->rt);
		for (int i = 0; i < 300; i++) {
			f->garbage = mg_alloc_bytes(f->rt, 1 + (size_t)(i % 64));
			memset(f->garbage, 'Z', 1 + (size_t)(i % 64));
		}
		f->garbage = NULL;
	}
	mg_gc(f->rt);
}

/* The stored key of the entry whose bytes equal k (by iteration). */
static mg_string stored_key(sfx *f, mg_string k)
{
	mg_string found = {0};
	int n = 0;
	int64_t v;
	f->it = mg_map_iter(f->rt, f->m);
	while (mg_map_next(f->rt, f->it, &f->out, &v))
		if (f->out.len == k.len && (k.len == 0 || memcmp(f->out.ptr, k.ptr, k.len) == 0)) {
			found = f->out;
			n++;
		}
	f->it = NULL;
	f->out = (mg_string){0};
	cr_assert_eq(n, 1, "key \"%.*s\" is stored %d times", (int)k.len, k.ptr ? k.ptr : "", n);
	return found;
}

Test(strings, literal_heap_and_stack_copies_are_one_key)
{
	sfx f;
	sfx_open(&f);
	static const char alpha[] = "alpha";
	char stackcopy[8];
	memcpy(stackcopy, "alpha", 6);
	char *mallocd = strdup("alpha");
	set_s(&f, lit(alpha, 5), 1);
	int64_t v;
	cr_assert(get_s(&f, lit(stackcopy, 5), &v) && v == 1, "a stack copy finds the literal key");
	cr_assert(get_s(&f, lit(mallocd, 5), &v) && v == 1);
	f.tmp = mg_string_new(f.rt, "alpha", 5);
	cr_assert(f.tmp.ptr != alpha);
	cr_assert(get_s(&f, f.tmp, &v) && v == 1, "a heap copy finds the literal key");
	/* Assigning through another copy updates the one entry. */
	set_s(&f, f.tmp, 2);
	cr_assert_eq(mg_map_len(f.m), 1);
	cr_assert(get_s(&f, lit(alpha, 5), &v) && v == 2);
	set_s(&f, lit(stackcopy, 5), 3); /* legal for the call; the map must not keep it... */
	/* ...but it does, as Go would (needkeyupdate): so store a literal again
	 * before the stack buffer goes away. */
	set_s(&f, lit(alpha, 5), 4);
	cr_assert_eq(stored_key(&f, lit(alpha, 5)).ptr, alpha, "the stored key is the last one assigned");
	/* Prefixes, lengths and embedded NULs are distinct keys. */
	set_s(&f, lit("alph", 4), 10);
	set_s(&f, lit("alpha\0", 6), 11);
	set_s(&f, lit("alpha\0x", 7), 12);
	set_s(&f, lit("alpha\0y", 7), 13);
	set_s(&f, lit("alphb", 5), 14);
	cr_assert_eq(mg_map_len(f.m), 6);
	cr_assert(get_s(&f, lit("alpha\0y", 7), &v) && v == 13);
	cr_assert(get_s(&f, lit("alpha\0x", 7), &v) && v == 12);
	cr_assert(get_s(&f, lit("alpha\0zz", 6), &v) && v == 11, "only len bytes count");
	cr_assert(get_s(&f, lit("alpha", 5), &v) && v == 4);
	cr_assert(!get_s(&f, lit("alpha\0z", 7), &v) && v == 0, "a miss zeroes the elem");
	/* Delete through a different pointer. */
	f.key = mg_string_new(f.rt, "alph", 4);
	mg_map_delete(f.rt, f.m, &f.key);
	f.key = (mg_string){0};
	cr_assert(!get_s(&f, lit("alph", 4), &v));
	cr_assert_eq(mg_map_len(f.m), 5);
	f.tmp = (mg_string){0};
	free(mallocd);
	sfx_close(&f);
}

Test(strings, empty_string_key)
{
	sfx f;
	sfx_open(&f);
	char buf[1] = {'q'};
	set_s(&f, (mg_string){NULL, 0}, 7);
	int64_t v;
	cr_assert(get_s(&f, lit("", 0), &v) && v == 7, "{NULL,0} and {\"\",0} are the same key");
	cr_assert(get_s(&f, lit(buf, 0), &v) && v == 7, "any pointer with length 0 is the empty string");
	set_s(&f, lit("", 0), 8);
	set_s(&f, mg_string_new(f.rt, "", 0), 9);
	cr_assert_eq(mg_map_len(f.m), 1);
	cr_assert(get_s(&f, (mg_string){NULL, 0}, &v) && v == 9);
	set_s(&f, lit("x", 1), 1);
	cr_assert_eq(mg_map_len(f.m), 2);
	f.key = lit(buf, 0);
	mg_map_delete(f.rt, f.m, &f.key);
	cr_assert_eq(mg_map_len(f.m), 1);
	cr_assert(!get_s(&f, (mg_string){NULL, 0}, &v));
	cr_assert(get_s(&f, lit("x", 1), &v) && v == 1);
	sfx_close(&f);
}

/* Heap key bytes held only by the map survive; after an update the map
 * holds the newer copy and the older one is freed. */
Test(strings, heap_keys_survive_and_update_replaces_key)
{
	sfx f;
	sfx_open(&f);
	enum { N = 300 };
	const char *first[N];
	for (int i = 0; i < N; i++) {
		char b[64];
		int n = snprintf(b, sizeof b, "heap-key-%d-%s", i, i % 3 ? "long-long-long-long-suffix" : "");
		set_s(&f, mg_string_new(f.rt, b, (size_t)n), i);
	}
	for (int i = 0; i < N; i++) {
		char b[64];
		int n = snprintf(b, sizeof b, "heap-key-%d-%s", i, i % 3 ? "long-long-long-long-suffix" : "");
		first[i] = stored_key(&f, lit(b, (size_t)n)).ptr;
		cr_assert_eq(mg_typeof(f.rt, first[i], NULL), &mg_type_bytes, "key %d's bytes are on the heap", i);
	}
	heap_churn(&f);
	for (int i = 0; i < N; i++) {
		char b[64];
		int n = snprintf(b, sizeof b, "heap-key-%d-%s", i, i % 3 ? "long-long-long-long-suffix" : "");
		int64_t v;
		cr_assert(get_s(&f, lit(b, (size_t)n), &v) && v == i, "key %d lost after collections", i);
		cr_assert_eq(mg_typeof(f.rt, first[i], NULL), &mg_type_bytes, "key %d's bytes were freed", i);
		cr_assert_eq(memcmp(first[i], b, (size_t)n), 0, "key %d's bytes were overwritten", i);
	}
	/* Update every other key with a fresh heap copy: the map stores the
	 * new key, so the old bytes are referenced by nothing and the next
	 * collection frees them (checked before anything can reuse the slot). */
	for (int i = 0; i < N; i += 2) {
		char b[64];
		int n = snprintf(b, sizeof b, "heap-key-%d-%s", i, i % 3 ? "long-long-long-long-suffix" : "");
		set_s(&f, mg_string_new(f.rt, b, (size_t)n), 1000 + i);
		mg_gc(f.rt);
		cr_assert_null(mg_typeof(f.rt, first[i], NULL), "key %d: the replaced key bytes are still alive", i);
	}
	heap_churn(&f);
	for (int i = 0; i < N; i++) {
		char b[64];
		int n = snprintf(b, sizeof b, "heap-key-%d-%s", i, i % 3 ? "long-long-long-long-suffix" : "");
		int64_t v;
		cr_assert(get_s(&f, lit(b, (size_t)n), &v) && v == (i % 2 ? i : 1000 + i));
		const char *now = stored_key(&f, lit(b, (size_t)n)).ptr;
		if (i % 2) {
			cr_assert_eq(now, first[i]);
		} else {
			cr_assert_neq(now, first[i], "key %d: the assignment did not store the new key", i);
			cr_assert_eq(mg_typeof(f.rt, now, NULL), &mg_type_bytes);
		}
	}
	mapt_assert_map_ok(f.rt, f.m, "end");
	sfx_close(&f);
}

/* Mixed sources in one map, through grows and collections. */
Test(strings, mixed_sources_through_grows)
{
	sfx f;
	sfx_open(&f);
	enum { N = 2000 };
	char **mallocd = calloc(N, sizeof *mallocd);
	for (int i = 0; i < N; i++) {
		char b[32];
		int n = snprintf(b, sizeof b, "m%d", i * 7);
		mallocd[i] = strdup(b);
		mg_string k = i % 2 ? mg_string_new(f.rt, b, (size_t)n) : lit(mallocd[i], (size_t)n);
		set_s(&f, k, i);
		if (i % 3 == 0) {
			int64_t v;
			cr_assert(get_s(&f, lit(b, (size_t)n), &v) && v == i);
		}
	}
	heap_churn(&f);
	for (int i = 0; i < N; i++) {
		char b[32];
		int n = snprintf(b, sizeof b, "m%d", i * 7);
		int64_t v;
		cr_assert(get_s(&f, lit(b, (size_t)n), &v) && v == i, "%s", b);
		if (i % 5 == 0) {
			f.key = lit(b, (size_t)n);
			mg_map_delete(f.rt, f.m, &f.key);
			f.key = (mg_string){0};
		}
	}
	cr_assert_eq(mg_map_len(f.m), N - N / 5);
	mapt_assert_map_ok(f.rt, f.m, "end");
	/* Drop the map before the malloc'd bytes it points to. */
	f.m = NULL;
	mg_gc(f.rt);
	for (int i = 0; i < N; i++)
		free(mallocd[i]);
	free(mallocd);
	sfx_close(&f);
}

/* String elems: heap bytes held only by the map, literals, empty. */
Test(strings, string_elems_survive)
{
	sfx f;
	sfx_open(&f);
	enum { N = 500 };
	for (int64_t i = 0; i < N; i++) {
		char b[48];
		int n = snprintf(b, sizeof b, "value-%" PRId64 "-xxxxxxxxxxxxxxxx", i);
		f.tmp = i % 4 == 0 ? lit("literal", 7) : i % 4 == 1 ? (mg_string){NULL, 0} : mg_string_new(f.rt, b, (size_t)n);
		mg_map_set(f.rt, f.mv, &i, &f.tmp);
		f.tmp = (mg_string){0};
	}
	heap_churn(&f);
	for (int64_t i = 0; i < N; i++) {
		char b[48];
		int n = snprintf(b, sizeof b, "value-%" PRId64 "-xxxxxxxxxxxxxxxx", i);
		cr_assert(mg_map_get(f.rt, f.mv, &i, &f.out));
		if (i % 4 == 0) {
			cr_assert(f.out.len == 7 && memcmp(f.out.ptr, "literal", 7) == 0);
		} else if (i % 4 == 1) {
			cr_assert_eq(f.out.len, 0);
		} else {
			cr_assert_eq(f.out.len, (size_t)n);
			cr_assert_eq(mg_typeof(f.rt, f.out.ptr, NULL), &mg_type_bytes, "elem %" PRId64 " freed", i);
			cr_assert_eq(memcmp(f.out.ptr, b, (size_t)n), 0, "elem %" PRId64 " overwritten", i);
		}
	}
	f.out = (mg_string){0};
	int64_t miss = -5;
	f.out = lit("junk", 4);
	cr_assert(!mg_map_get(f.rt, f.mv, &miss, &f.out));
	cr_assert(f.out.ptr == NULL && f.out.len == 0, "a miss zeroes a string elem");
	mapt_assert_map_ok(f.rt, f.mv, "end");
	sfx_close(&f);
}
