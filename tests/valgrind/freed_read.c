/*
 * freed_read.c — the negative test of the Memcheck annotations (gc/vg.h),
 * run under valgrind by freed_read.sh.
 *
 *   mapgc-vg-freed-read small|large|reuse
 *
 * small: an object is allocated between two rooted neighbours of its size
 *   class (so its span stays in use and only the slot-level annotation can
 *   make the slot unreadable), a raw, unrooted C pointer to it is kept, a
 *   forced collection sweeps it free (checked with the gc_test_color hook),
 *   and the program reads through the raw pointer: Memcheck must report an
 *   "Invalid read" inside a block freed by the sweeper.
 * large: the same with a large object, whose whole span the sweeper gives
 *   back to the page heap.
 * reuse: the control.  The freed slot is allocated again and read, which
 *   is legal (and zeroed): Memcheck must report nothing.
 * Exits 0 after the read (the value read is printed, so the read is not
 * optimised away); 3 when the setup did not go as planned.
 */
#include "gc/gc_test.h"
#include "runtime/mapgc.h"

#include <stdio.h>
#include <string.h>

static int setup_failed(const char *what)
{
	fprintf(stderr, "freed_read: setup failed: %s\n", what);
	return 3;
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "small") && strcmp(argv[1], "large") && strcmp(argv[1], "reuse"))) {
		fprintf(stderr, "usage: %s small|large|reuse\n", argv[0]);
		return 2;
	}
	bool large = strcmp(argv[1], "large") == 0;
	size_t size = large ? 100000 : 48;
	mg_config cfg;
	mg_config_default(&cfg);
	cfg.ignore_env = true;
	mg_runtime *rt = mg_open(&cfg);
	mg_scope s;
	mg_scope_enter(rt, &s);
	void *before = mg_alloc_bytes(rt, size);
	mg_root(rt, &before, "before");
	volatile unsigned char *raw = mg_alloc_bytes(rt, size); /* not rooted */
	void *after = mg_alloc_bytes(rt, size);
	mg_root(rt, &after, "after");
	raw[5] = 42;
	mg_gc(rt);
	if (gc_test_color(rt, (const void *)raw) != GC_COLOR_FREE)
		return setup_failed("the unrooted object was not freed by the collection");
	if (gc_test_color(rt, before) != GC_COLOR_WHITE || gc_test_color(rt, after) != GC_COLOR_WHITE)
		return setup_failed("a rooted neighbour did not survive");
	if (strcmp(argv[1], "reuse") == 0) {
		unsigned char *again = mg_alloc_bytes(rt, size);
		if (again != (const unsigned char *)raw)
			return setup_failed("the freed slot was not reused first");
	}
	unsigned char v = raw[5]; /* small, large: the read Memcheck must report */
	printf("read %u\n", v);
	mg_scope_leave(rt, &s);
	mg_close(rt);
	return 0;
}
