/*
 * gc_test.h — test-only hooks into the collector (in the spirit of Lua's
 * ltests.c): drive a cycle to a named phase, step mark slices, read an
 * object's colour, free a live object on purpose.  Linked into the library
 * (static) but not part of the public API.
 */
#ifndef MAPGC_GC_TEST_H
#define MAPGC_GC_TEST_H

#include "runtime/mapgc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum gc_color {
	GC_COLOR_NONE,  /* not a heap pointer */
	GC_COLOR_FREE,  /* a heap address in no allocated slot */
	GC_COLOR_WHITE,
	GC_COLOR_GREY,
	GC_COLOR_BLACK,
} gc_color;

gc_color gc_test_color(mg_runtime *rt, const void *p);
const char *gc_test_color_name(gc_color c);
int gc_test_phase(mg_runtime *rt);
/* Finishes any cycle, then runs sweep termination: the heap is in MARK.
 * The test then steps this cycle itself: gcevery starts no cycle until it
 * ends (gc_state.test_driven). */
void gc_test_begin_mark(mg_runtime *rt);
/* One mark slice of `budget` bytes; true when no mark work is left. */
bool gc_test_mark_step(mg_runtime *rt, size_t budget);
/* Mark termination (draining what is left); the heap is in SWEEP. */
void gc_test_finish_mark(mg_runtime *rt);
/* Sweeps everything; the heap is OFF. */
void gc_test_sweep_all(mg_runtime *rt);
/* Frees a live object as a buggy sweeper would. */
void gc_test_free_object(mg_runtime *rt, void *p);
/* Shades what the barrier buffer holds (the next slice would). */
void gc_test_wb_flush(mg_runtime *rt);
/* Whether obj is queued as a hook-only item (gc.h, TAGGED WORK ITEMS). */
bool gc_test_queued_hook_only(mg_runtime *rt, const void *obj);
/* This cycle's scan work and chunk-hook work so far, over every P. */
void gc_test_scan_work(mg_runtime *rt, uint64_t *scan, uint64_t *hook);
/* Chunk-hook work the mark workers did, summed over every cycle so far. */
uint64_t gc_test_worker_hook_work(mg_runtime *rt);
/* Removes protocol steps, process-wide (GC_HOOK_* in gc/gc.h), so that a
 * test can prove a checker catches their absence; 0 restores them. */
void gc_test_set_hooks(unsigned mask);
/* Runs the heap verifier now; returns the violation count. */
int gc_test_heap_check(mg_runtime *rt, FILE *report);
/* Pure pacer arithmetic (see gc/pacer.c). */
void gc_test_pacer(uint64_t marked, uint64_t stacks, uint64_t globals, uint64_t last_heap_scan, int gogc,
                   int64_t memlimit, double cons_mark, uint64_t *goal, uint64_t *trigger);
/* Size-class geometry. */
uint32_t gc_test_size_class(size_t size, uint32_t *slot_size, uint32_t *npages);
/* Backend boehm: how many threads mark in a libgc collection (1 + its
 * parallel markers); initialises libgc if no Boehm runtime did yet. */
int gc_test_boehm_markers(void);
/* Backend boehm: how many objects of type t libgc's last collection marked
 * (read from its mark bits under its lock), and their bytes in libgc's
 * rounded sizes.  Call it right after mg_gc: objects allocated since are
 * unmarked.  0 on the mapgc backend. */
size_t gc_test_boehm_marked(mg_runtime *rt, const mg_type *t, uint64_t *bytes);

/* The barrier study's counts of the cycle in progress: the cycle's own
 * and every P's not yet merged (mark termination merges them). */
void gc_test_cur_wb(mg_runtime *rt, mg_wbstats *out);

#endif
