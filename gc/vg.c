/* vg.c — the Memcheck client requests of gc/vg.h, out of line and cold, so
 * that the allocation path outside Valgrind pays one never-taken branch
 * (GC_VG). */
#include "gc/vg.h"

bool gc_vg_running;

#if MAPGC_VALGRIND
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>

#define GC_VG_COLD __attribute__((cold, noinline))

GC_VG_COLD void gc_vg_pool_create(gc_state *gc)
{
	gc_vg_running = RUNNING_ON_VALGRIND != 0;
	if (gc_vg_running)
		VALGRIND_CREATE_MEMPOOL(gc, 0, 1);
}

GC_VG_COLD void gc_vg_pool_destroy(gc_state *gc) { VALGRIND_DESTROY_MEMPOOL(gc); }

GC_VG_COLD void gc_vg_fatal_exit(mg_runtime *rt) { gc_vg_pool_destroy(gc_of(rt)); }

GC_VG_COLD void gc_vg_alloc(gc_state *gc, uintptr_t slot, size_t bytes)
{
	VALGRIND_MEMPOOL_ALLOC(gc, slot, bytes);
}

GC_VG_COLD void gc_vg_free(gc_state *gc, uintptr_t slot) { VALGRIND_MEMPOOL_FREE(gc, slot); }

GC_VG_COLD void gc_vg_writable(void *p, size_t n) { VALGRIND_MAKE_MEM_UNDEFINED(p, n); }

GC_VG_COLD void gc_vg_noaccess(void *p, size_t n) { VALGRIND_MAKE_MEM_NOACCESS(p, n); }
#endif
