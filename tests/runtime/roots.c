/* Roots: scopes (a shadow stack) and global roots. */
#include "tests/support/mgt.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

/* A small node with one pointer field and a payload. */
typedef struct cell {
	struct cell *next;
	int64_t payload;
} cell;
static const mg_field cell_fields[] = {{offsetof(cell, next), "next"}};
static const mg_type cell_type = {"cell", sizeof(cell), 8, cell_fields, 1, NULL, NULL};

static bool alive(mg_runtime *rt, const void *p)
{
	return mg_typeof(rt, p, NULL) != NULL;
}

static cell *new_cell(mg_runtime *rt, int64_t payload)
{
	cell *c = mg_alloc(rt, &cell_type);
	c->payload = payload;
	return c;
}

Test(scope, root_keeps_object_alive)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_scope s;
	mg_scope_enter(rt, &s);
	cell *a = new_cell(rt, 11), *b = NULL;
	mg_root(rt, &a, "a");
	mg_root(rt, &b, "b");
	b = new_cell(rt, 22); /* a root slot may be written after mg_root */
	mg_store(rt, &b->next, new_cell(rt, 33));
	cell *garbage = new_cell(rt, 44);
	mg_gc(rt);
	mg_gc(rt);
	cr_assert(alive(rt, a));
	cr_assert(alive(rt, b));
	cr_assert(alive(rt, b->next), "reachable through a rooted object");
	cr_assert_eq(a->payload, 11);
	cr_assert_eq(b->payload, 22);
	cr_assert_eq(b->next->payload, 33);
	cr_assert_not(alive(rt, garbage), "unrooted object survived two collections");
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(scope, leave_drops_roots)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_scope outer, inner;
	mg_scope_enter(rt, &outer);
	cell *keep = new_cell(rt, 1);
	mg_root(rt, &keep, "keep");
	mg_scope_enter(rt, &inner);
	cell *drop = new_cell(rt, 2);
	mg_root(rt, &drop, "drop");
	mg_gc(rt);
	cr_assert(alive(rt, drop));
	mg_scope_leave(rt, &inner);
	mg_gc(rt);
	cr_assert_not(alive(rt, drop), "left scope still roots its slot");
	cr_assert(alive(rt, keep), "leaving the inner scope dropped an outer root");
	mg_scope_leave(rt, &outer);
	mg_gc(rt);
	cr_assert_not(alive(rt, keep));
	mg_stats st = mgt_stats(rt);
	cr_assert_eq(st.heap_inuse, 0, "heap_inuse %llu after every root is gone", (unsigned long long)st.heap_inuse);
	mgt_close(rt);
}

Test(scope, root_tracks_the_slot_not_the_value)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_scope s;
	mg_scope_enter(rt, &s);
	cell *slot = new_cell(rt, 1);
	cell *first = slot;
	mg_root(rt, &slot, "slot");
	slot = new_cell(rt, 2);
	mg_gc(rt);
	cr_assert_not(alive(rt, first), "the old value of a root slot is not a root");
	cr_assert(alive(rt, slot));
	cr_assert_eq(slot->payload, 2);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(scope, many_roots)
{
	enum { N = 1500 }; /* past the root stack's first growth */
	mg_runtime *rt = mgt_open(NULL);
	static cell *slots[N];
	mg_scope s;
	mg_scope_enter(rt, &s);
	for (int i = 0; i < N; i++) {
		slots[i] = new_cell(rt, i);
		mg_root(rt, &slots[i], "many");
		new_cell(rt, -1); /* garbage between them */
	}
	mg_gc(rt);
	for (int i = 0; i < N; i++) {
		cr_assert(alive(rt, slots[i]), "root %d lost", i);
		cr_assert_eq(slots[i]->payload, i);
	}
	mg_stats st = mgt_stats(rt);
	cr_assert_eq(st.freed_objects, N, "freed %llu", (unsigned long long)st.freed_objects);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(scope, leave_out_of_order_is_fatal)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_scope outer, inner;
	mg_scope_enter(rt, &outer);
	mg_scope_enter(rt, &inner);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_scope_leave(rt, &outer));
	cr_assert_str_eq(mgt_last_failure.msg, "mg_scope_leave: scope left out of order");
	mgt_close(rt);
}

Test(scope, leave_twice_is_fatal)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_scope_leave(rt, &s);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_scope_leave(rt, &s));
	cr_assert_str_eq(mgt_last_failure.msg, "mg_scope_leave: scope left out of order");
	mgt_close(rt);
}

Test(scope, root_outside_scope_is_fatal)
{
	mg_runtime *rt = mgt_open(NULL);
	void *p = NULL;
	MGT_EXPECT_FAILURE(MG_FATAL, mg_root(rt, &p, "lost"));
	cr_assert_str_eq(mgt_last_failure.msg, "mg_root(lost) outside any scope");
	mgt_close(rt);
}

Test(scope, out_of_order_without_handler_exits_2, .exit_code = 2)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_set_failure_handler(rt, NULL, NULL);
	mg_scope outer, inner;
	mg_scope_enter(rt, &outer);
	mg_scope_enter(rt, &inner);
	mg_scope_leave(rt, &outer);
	cr_assert_fail("mg_scope_leave out of order returned");
}

/* ---- global roots --------------------------------------------------------- */

Test(global, root_and_unroot)
{
	mg_runtime *rt = mgt_open(NULL);
	static cell *g1, *g2;
	/* Each rooted before the next allocation, which may collect (gcevery). */
	g1 = new_cell(rt, 5);
	mg_global_root(rt, &g1, "g1");
	g2 = new_cell(rt, 6);
	mg_global_root(rt, &g2, "g2");
	mg_store(rt, &g1->next, new_cell(rt, 7));
	mg_gc(rt);
	cr_assert(alive(rt, g1));
	cr_assert(alive(rt, g2));
	cr_assert(alive(rt, g1->next));
	cr_assert_eq(g1->next->payload, 7);
	/* Global roots are not affected by scopes. */
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_scope_leave(rt, &s);
	mg_gc(rt);
	cr_assert(alive(rt, g1));

	cell *old1 = g1;
	mg_global_unroot(rt, &g1);
	mg_gc(rt);
	cr_assert_not(alive(rt, old1), "unrooted global survived");
	cr_assert(alive(rt, g2), "unrooting g1 dropped g2");
	cr_assert_eq(g2->payload, 6);
	mg_global_unroot(rt, &g2);
	mg_gc(rt);
	cr_assert_eq(mgt_stats(rt).heap_inuse, 0);
	mgt_close(rt);
}

Test(global, unroot_unknown_is_fatal)
{
	mg_runtime *rt = mgt_open(NULL);
	static void *never;
	static void *once;
	mg_global_root(rt, &once, "once");
	mg_global_unroot(rt, &once);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_global_unroot(rt, &never));
	char want[128];
	snprintf(want, sizeof want, "mg_global_unroot: slot %p is not a global root", (void *)&never);
	cr_assert_str_eq(mgt_last_failure.msg, want);
	mgt_close(rt);
	rt = mgt_open(NULL);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_global_unroot(rt, &once));
	mgt_close(rt);
}

Test(global, same_slot_twice_needs_two_unroots)
{
	mg_runtime *rt = mgt_open(NULL);
	static cell *g;
	g = new_cell(rt, 9);
	mg_global_root(rt, &g, "g");
	mg_global_root(rt, &g, "g again");
	mg_global_unroot(rt, &g);
	mg_gc(rt);
	cr_assert(alive(rt, g), "one registration is left");
	mg_global_unroot(rt, &g);
	mg_gc(rt);
	cr_assert_eq(mgt_stats(rt).heap_inuse, 0);
	mgt_close(rt);
}

/* Unrooting from the middle of the global list keeps every other root. */
Test(global, unroot_from_the_middle)
{
	enum { N = 6 };
	mg_runtime *rt = mgt_open(NULL);
	static cell *g[N];
	for (int i = 0; i < N; i++) {
		g[i] = new_cell(rt, 100 + i);
		mg_global_root(rt, &g[i], "g");
	}
	cell *gone[N];
	memcpy(gone, g, sizeof gone);
	mg_global_unroot(rt, &g[2]);
	mg_global_unroot(rt, &g[0]);
	mg_global_unroot(rt, &g[4]);
	mg_gc(rt);
	for (int i = 0; i < N; i++) {
		bool kept = i == 1 || i == 3 || i == 5;
		cr_assert_eq(alive(rt, gone[i]), kept, "global %d: %s", i, kept ? "lost" : "still rooted");
		if (kept)
			cr_assert_eq(g[i]->payload, 100 + i);
	}
	mgt_close(rt);
}
