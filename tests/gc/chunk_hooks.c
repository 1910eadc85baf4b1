/*
 * Tagged work items and chunk hooks (gc/gc.h, TAGGED WORK ITEMS): what a
 * layer above relies on when it has the marker do bounded work of its own
 * per array chunk (maptype/trace.c does, for maptrace).
 *
 *  - an array of a type with a chunk hook is hooked once per chunk it is
 *    scanned in, the chunks covering it exactly once, each at most
 *    GC_SCAN_CHUNK bytes; single objects of the type are never hooked;
 *  - a scanned hook can tag the item its object's scan just pushed, and the
 *    tag reaches the hook on every chunk of that array;
 *  - a hook-only item (here on a noscan array, which the marker never
 *    queues) is hooked chunk by chunk and not scanned, is not grey, and its
 *    hook work bounds the slice but is not scan work (inv.hook-not-scan).
 *
 * The hooks record what they were called with in a log (a tagged chunk
 * may be hooked on a worker's P), checked after the cycle against the
 * array's length.
 */
#include "tests/support/mgt.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* An element with one pointer (scan) and one without (noscan). */
typedef struct cell {
	void *p;
	int64_t v;
} cell;
static const mg_field cell_fields[] = {{offsetof(cell, p), "p"}};
static const mg_type cell_type = {"cell", sizeof(cell), 8, cell_fields, 1, NULL, NULL};
static const mg_type plain_type = {"plaincell", sizeof(cell), 8, NULL, 0, NULL, NULL};

enum { NCELLS = 20000 }; /* 320 KB: ten chunks of GC_SCAN_CHUNK */
_Static_assert(NCELLS * sizeof(cell) > 8 * GC_SCAN_CHUNK, "several chunks");

typedef struct call {
	const void *arr;
	uint32_t len, from, to, tag;
} call;

static struct {
	call v[4096];
	size_t n;
	uint64_t charge;   /* what each call returns */
} log_;

/* A tagged item's chunk hook may run on any P's thread (gc/work.c, HOOKED
 * TYPES): the log is appended under a lock. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t record(mg_runtime *rt, void *arr, uint32_t len, uint32_t from, uint32_t to, uint32_t tag, void *ud)
{
	(void)rt;
	(void)ud;
	pthread_mutex_lock(&log_lock);
	cr_assert_lt(log_.n, sizeof log_.v / sizeof log_.v[0]);
	log_.v[log_.n++] = (call){arr, len, from, to, tag};
	uint64_t charge = log_.charge;
	pthread_mutex_unlock(&log_lock);
	return charge;
}

/* The calls on arr cover [0, len) exactly once, in chunks of at most
 * GC_SCAN_CHUNK bytes, each with `tag`; returns how many there were. */
static size_t expect_covered(const void *arr, uint32_t len, uint32_t tag)
{
	uint8_t *seen = calloc(len, 1);
	size_t calls = 0;
	for (size_t i = 0; i < log_.n; i++) {
		const call *c = &log_.v[i];
		if (c->arr != arr)
			continue;
		calls++;
		cr_assert_eq(c->len, len);
		cr_assert_eq(c->tag, tag, "call %zu: tag %#x, want %#x", i, c->tag, tag);
		cr_assert(c->from < c->to && c->to <= len, "call %zu: [%u, %u)", i, c->from, c->to);
		cr_assert_leq((size_t)(c->to - c->from) * sizeof(cell), GC_SCAN_CHUNK, "a chunk of %u cells",
		              c->to - c->from);
		for (uint32_t k = c->from; k < c->to; k++) {
			cr_assert_eq(seen[k], 0, "cell %u hooked twice", k);
			seen[k] = 1;
		}
	}
	for (uint32_t k = 0; k < len; k++)
		cr_assert_eq(seen[k], 1, "cell %u never hooked", k);
	free(seen);
	return calls;
}

static mg_runtime *open_hooked(void)
{
	memset(&log_, 0, sizeof log_);
	mg_config c;
	mgt_config(&c);
	c.heapcheck = 0; /* every slice of a 320 KB array: slow, and checkmark still runs */
	c.gogc = MG_GOGC_OFF;
	mg_runtime *rt = mgt_open(&c);
	rt_typeinfo *ti = rt_type_register(rt, &cell_type);
	ti->chunk = record;
	rt_typeinfo *pi = rt_type_register(rt, &plain_type);
	pi->chunk = record;
	return rt;
}

Test(chunk_hooks, every_chunk_of_a_scanned_array_once_untagged)
{
	mg_runtime *rt = open_hooked();
	mg_scope s;
	mg_scope_enter(rt, &s);
	cell *arr = mg_alloc_array(rt, &cell_type, NCELLS);
	mg_root(rt, &arr, "arr");
	cell *one = mg_alloc(rt, &cell_type);
	mg_root(rt, &one, "one");
	mg_gc(rt);
	size_t calls = expect_covered(arr, NCELLS, 0);
	cr_assert_geq(calls, NCELLS * sizeof(cell) / GC_SCAN_CHUNK);
	for (size_t i = 0; i < log_.n; i++)
		cr_assert_neq(log_.v[i].arr, one, "a single object of the type was hooked");
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

/* A holder whose scanned hook tags its array's item, or, for a noscan
 * array, queues a hook-only one. */
typedef struct holder {
	void *arr;
} holder;
static const mg_field holder_fields[] = {{offsetof(holder, arr), "arr"}};

static void holder_scanned(mg_runtime *rt, const void *obj, size_t len, void *ud)
{
	(void)len;
	(void)ud;
	const holder *h = obj;
	if (!h->arr)
		return;
	if (!gc_tag_pushed(rt, h->arr, 5))
		gc_push_tagged(rt, h->arr, 0, 7 | GC_TAG_HOOK_ONLY);
}
static const mg_type holder_type = {"holder", sizeof(holder), 8, holder_fields, 1, holder_scanned, NULL};

/* A rooted holder of a new array of NCELLS elements of type t. */
static holder *holder_new(mg_runtime *rt, holder **slot, const mg_type *t)
{
	*slot = mg_alloc(rt, &holder_type);
	mg_root(rt, slot, "h");
	void *arr = mg_alloc_array(rt, t, NCELLS);
	mg_store(rt, &(*slot)->arr, arr);
	return *slot;
}

Test(chunk_hooks, a_scanned_hook_tags_the_item_its_scan_pushed)
{
	mg_runtime *rt = open_hooked();
	mg_scope s;
	mg_scope_enter(rt, &s);
	holder *h;
	holder_new(rt, &h, &cell_type); /* only the holder reaches the array: its scan pushes it */
	mg_gc(rt);
	expect_covered(h->arr, NCELLS, 5);
	/* Outside a scanned hook nothing is found, even on top of the queue. */
	cr_assert_not(gc_tag_pushed(rt, h->arr, 5));
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}

Test(chunk_hooks, hook_only_noscan_array_hooked_not_grey_not_scan_work)
{
	mg_runtime *rt = open_hooked();
	mg_scope s;
	mg_scope_enter(rt, &s);
	holder *h;
	void *arr = holder_new(rt, &h, &plain_type)->arr;

	/* Each call charges a whole slice's budget: one chunk per step. */
	gc_test_begin_mark(rt);
	const uint64_t budget = 4096;
	log_.charge = budget;
	bool queued_seen = false;
	size_t steps = 0;
	while (!gc_test_mark_step(rt, budget)) {
		steps++;
		if (gc_test_queued_hook_only(rt, arr)) {
			queued_seen = true;
			cr_assert_eq(gc_test_color(rt, arr), GC_COLOR_BLACK, "a hook-only item is not grey");
			cr_assert_eq(gc_test_heap_check(rt, stderr), 0);
		}
		cr_assert_lt(steps, 1000);
	}
	cr_assert(queued_seen, "the hook-only item was never seen queued between steps");
	size_t calls = expect_covered(arr, NCELLS, 7 | GC_TAG_HOOK_ONLY);
	/* One call per step once the item is reached: the charge bounded them. */
	cr_assert_geq(steps + 1, calls, "%zu steps for %zu hook calls", steps, calls);
	/* inv.hook-not-scan: the array's bytes are not scan work (it was never
	 * scanned); the roots, holder and header are. */
	uint64_t scan, hook;
	gc_test_scan_work(rt, &scan, &hook);
	cr_assert_lt(scan, 1024, "scan work %llu", (unsigned long long)scan);
	cr_assert_geq(hook, calls * budget);
	gc_test_finish_mark(rt);
	mg_scope_leave(rt, &s);
	mgt_close(rt);
}
