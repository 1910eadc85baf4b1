/*
 * vg.h — the collected heap described to Valgrind's Memcheck (build option
 * MAPGC_VALGRIND; without it every function here compiles to nothing).
 *
 * WHY.  The heap is one mmap'd reservation that mapgc carves into slots
 * itself, so without these client requests Memcheck sees one big defined
 * region: a read through a dangling pointer into a swept slot, or into a
 * span given back to the page heap, would go unnoticed.
 *
 * A MEMPOOL, NOT MALLOCLIKE BLOCKS.  Each runtime's heap is one Memcheck
 * memory pool, anchored at its gc_state, and every allocated slot is a
 * chunk of it (VALGRIND_MEMPOOL_ALLOC / VALGRIND_MEMPOOL_FREE).  Both
 * request families give the same checking of one object — addressability,
 * "N bytes inside a block of size M free'd" with the sweeper's stack, the
 * allocation stack — but the pool fits a collector better:
 *  - mg_close drops every chunk still allocated with one
 *    VALGRIND_DESTROY_MEMPOOL; MALLOCLIKE blocks would each need a
 *    FREELIKE, i.e. a walk of every allocbit of every span at close.
 *  - The chunks belong to their runtime: two runtimes in one process (the
 *    tests open many) keep separate pools, and destroying one cannot touch
 *    the other's.
 *  - MALLOCLIKE blocks are indistinguishable from malloc's in Memcheck's
 *    reports ("malloc'd"/"free'd" blocks that free() could be called on);
 *    pool chunks are reported as what they are, client-allocated blocks
 *    whose allocation and free stacks go through gc_alloc and the sweeper.
 * No redzones (rzB 0): slots are packed, and a slot's unused tail (slot
 * size minus the bytes asked for) already stays NOACCESS, because the chunk
 * covers only the bytes asked for.  is_zeroed 1: a chunk is defined when it
 * is handed out, because gc_alloc's contract is zeroed memory (slot_finish
 * clears reused slots; fresh and returned pages come zero from the OS).
 *
 * WHAT MEMCHECK SEES (inv.vg-*, cited where the requests are made):
 *   inv.vg-alloc: an allocated slot's first `bytes` (header included) are
 *     a live chunk, defined; the rest of the slot is NOACCESS.
 *   inv.vg-free: every other byte of the committed heap is NOACCESS: freed
 *     slots (the lazy sweeper, gc_sweep_all, sweep termination — all go
 *     through sweep_span — and gc_test_free_object), free spans (small
 *     spans emptied by the sweeper, large objects' spans), free runs fresh
 *     from heap_grow, and runs returned to the OS by the scavenger.
 *   mg_close destroys the pool before the reservation is unmapped.
 * The allocator's own metadata (span structs, alloc/mark/check bitmaps, the
 * page map, the mark queue) is malloc'd or separately mapped, never inside
 * the heap, so its reads need no annotation.
 *
 * THE COLLECTOR'S OWN ACCESSES to heap memory, and why none is reported:
 *  - marking and the verifiers (gc_heap_check, gc_remark, the path
 *    search) and snapshots read the header and pointer fields of allocated
 *    slots only: each tests the allocbit before reading an object, and a
 *    pointer to a free slot is reported by them without reading it;
 *  - poisoning (gc_poison: 0xdb in debug builds) writes freed memory, on
 *    purpose.  It makes the range UNDEFINED (addressable), fills it, and
 *    makes it NOACCESS again — toggles rather than
 *    VALGRIND_DISABLE_ERROR_REPORTING, which would also hide a real error
 *    in the same stretch (a poison write beyond the span, say) and leaves
 *    the range's state to whatever it was.  gc_poison is also where every
 *    freed range becomes NOACCESS, so release builds (no 0xdb) get the same
 *    annotation.
 * Tests that read freed memory on purpose (tests/gc/poison.c) do it with
 * error reporting disabled (mgt_read_freed) and check the NOACCESS state.
 *
 * COST.  A client request outside Valgrind is a few instructions that do
 * nothing, but written inline in the allocation path it made GCC stop
 * inlining slot_finish (the asm block and its argument array count as
 * large, and its memory clobber forces reloads): a loop of small
 * allocations, all garbage, took 53-56 ns per allocation against 38-40 ns
 * without the requests (release build, best of 7).  So every request sits
 * in an out-of-line, cold function in vg.c, called through GC_VG only when
 * gc_vg_running says the process runs under Valgrind (read whenever a heap
 * is made).  What is left outside Valgrind is a compare and a never-taken
 * branch per allocation and per freed slot, and the registers they cost
 * around the call: callgrind counts 235.1 million instructions against
 * 225.0 million for 1 million allocations and their sweeping (+10 per
 * allocation, +4.5 %); the wall-clock difference was lost in the noise of
 * a loaded machine.  Measurable, so optimised builds default to
 * MAPGC_VALGRIND=OFF and Debug builds (what scripts/valgrind.sh runs) to ON
 * (CMakeLists.txt).
 */
#ifndef MAPGC_GC_VG_H
#define MAPGC_GC_VG_H

#include "gc/gc.h"

/* RUNNING_ON_VALGRIND, read by gc_vg_pool_create; always false without
 * MAPGC_VALGRIND.  Hidden, so the test is one rip-relative compare, not a
 * load of its address first. */
extern __attribute__((visibility("hidden"))) bool gc_vg_running;

/* GC_VG(gc_vg_…(…)): the request, only under Valgrind; nothing at all (the
 * arguments are not evaluated) without MAPGC_VALGRIND. */
#if MAPGC_VALGRIND
#define GC_VG(call) \
	do { \
		if (RT_UNLIKELY(gc_vg_running)) \
			call; \
	} while (0)
#else
#define GC_VG(call) ((void)0)
#endif

/* The requests (vg.c, out of line and cold). */
/* A runtime's pool (gc_heap_init); sets gc_vg_running, so call it directly. */
void gc_vg_pool_create(gc_state *gc);
/* mg_close (gc_heap_destroy): every chunk still allocated goes with the pool. */
void gc_vg_pool_destroy(gc_state *gc);
/* rt->before_fatal_exit under Valgrind: the same at a fatal error, where
 * _exit skips mg_close.  Otherwise Memcheck's leak check at exit reports
 * every garbage object not yet swept whose last pointer is gone as
 * "definitely lost" (seen: a map's overflow holder, dropped by the clear
 * whose misuse the test makes fatal) — the collector's to free, not a
 * leak. */
void gc_vg_fatal_exit(mg_runtime *rt);
/* inv.vg-alloc: the slot at `slot` is handed out, `bytes` of it in use. */
void gc_vg_alloc(gc_state *gc, uintptr_t slot, size_t bytes);
/* inv.vg-free: the slot at `slot` is free; its chunk's bytes become
 * NOACCESS (the rest of the slot already is). */
void gc_vg_free(gc_state *gc, uintptr_t slot);
/* For gc_poison: a free range made writable, then NOACCESS again. */
void gc_vg_writable(void *p, size_t n);
void gc_vg_noaccess(void *p, size_t n);

#endif /* MAPGC_GC_VG_H */
