/*
 * boehm.c — the Boehm backend (DESIGN.md §8): the same runtime, types and
 * maps on libgc, the Boehm-Demers-Weiser conservative collector, selected
 * with mg_config.backend = MG_BACKEND_BOEHM (`mapgc stress --backend
 * boehm`).  It exists to compare throughput, pauses and heap size with a
 * well-known collector, and as a differential oracle: the same seed must
 * give the same map contents on both backends.
 *
 * WHAT STAYS, WHAT CHANGES.  The runtime layer (types, roots, scopes,
 * failures, traces) and the whole map layer are shared.  gc.h's entry
 * points that own the heap dispatch here on gc_is_boehm(rt), one
 * predictable branch each (gc_alloc, mg_typeof, mg_open, mg_close, mg_gc,
 * mg_read_stats, mg_heap_snapshot); mg_safepoint needs none (the phase
 * stays GC_OFF, so it does nothing), and neither do the barriers: a
 * gc_state exists for every runtime, and on Boehm its wb_on is never set,
 * so gc_store and gc_bulk_barrier take their existing unmarked path.
 *
 * OBJECTS.  Every object still starts with mapgc's one-word header
 * (inv.hdr-type in gc.h), so mg_typeof, the map's overflow-list capacity
 * (gc_hdr_len) and every layer above see the same object model.  Types
 * with pointer fields are allocated with GC_MALLOC (scanned, conservatively,
 * every word); pointer-free types with GC_MALLOC_ATOMIC (never scanned, and
 * not zeroed by libgc, so we clear them: mg_alloc promises zeroed memory).
 * User pointers point 8 bytes into the libgc object, and the map keeps
 * interior pointers (an iterator's current bucket), so libgc must run with
 * all-interior-pointers on (its default; checked at init, fatal if off).
 * That mode pads every object by one byte, so a 48-byte request takes a
 * 64-byte slot: libgc's figures are in its rounded sizes.
 *
 * ROOTS.  mapgc's roots are precise slots — scope roots on the mutator's
 * root stack, global roots — and a slot may live anywhere: a C local
 * (libgc scans the stack), static data (libgc scans the data segments) or
 * malloc'd memory, which libgc never scans.  So libgc's conservative
 * stack and data scanning is kept as it is, and in addition, at every
 * collection, libgc's push-other-roots hook (called with the world
 * stopped, while the roots are being pushed) marks the value of every
 * registered slot of every open Boehm runtime with GC_push_all_eager on the
 * slot's one word (eager: marked at once, so any number of roots is fine —
 * GC_push_all would push one mark-stack entry per slot and abort on
 * overflow).  inv.boehm-roots: every value in a root slot of an open
 * runtime is marked at every collection.  The registry of runtimes is
 * changed only under libgc's allocation lock (GC_call_with_alloc_lock),
 * which the hook runs under.
 *
 * COLLECTIONS AND TRACES.  libgc collects, stop-the-world, inside an
 * allocation (or GC_gcollect, which mg_gc calls; gcevery=N calls it every
 * N allocations).  Its collection-event callback records, for each event
 * of the cycle, the monotonic clock and the thread's CPU clock — nothing
 * else: no allocation, no printing, no libgc call that takes the lock.
 * At GC_EVENT_END it completes one gc_cycle per open runtime in a
 * preallocated ring (BOEHM_RING) and adds to each runtime's statistics.
 * The lines are printed later, outside the callback, by the next
 * allocation, mg_gc or mg_close of that runtime, through the mapgc
 * backend's own gc_print_gctrace, so the format is the same by
 * construction (DESIGN.md §5).  Field by field:
 *
 *   gc N            this runtime's count of libgc collections (every
 *                   collection in the process: the heap is shared)
 *   @S P%           as for mapgc: since mg_open; collector CPU / wall time
 *   A+B+C clock     A: GC_EVENT_START → MARK_START (stopping the world);
 *                   B: MARK_START → MARK_END (the whole mark, world
 *                   stopped); C: MARK_END → END (restarting the world and
 *                   the eager part of the sweep).  All three are pauses:
 *                   the mutator waits for the whole collection.
 *   D+E/F/G+T cpu   D and T: CPU of A and C; F ("background"): CPU of the
 *                   mark; E (assist) and G (idle) are 0 — libgc marks in
 *                   the pause.  CPU is the process's (CLOCK_PROCESS_CPUTIME_ID)
 *                   between the events: the world is stopped, so it is
 *                   the collecting thread's plus that of libgc's parallel
 *                   markers (PARALLEL MARKING below).  A thread libgc
 *                   does not stop (one the program never registered)
 *                   would count too; mapgc runs none.
 *   H0->H1->H2      H0 = H1: live at the last collection + bytes allocated
 *                   since (GC_get_bytes_since_gc) — libgc allocates nothing
 *                   during its stop-the-world mark, so the two are equal.
 *                   H2: with gctrace=1, the exact live bytes: after the
 *                   END timestamps are taken, a walk of the mark bits
 *                   (GC_enumerate_reachable_objects_inner) sums the marked
 *                   objects.  The walk is not part of any reported time,
 *                   but the mutator waits for it (about 1.4 ms per million
 *                   live objects).  Without gctrace there is no walk, and
 *                   H2 (and mg_stats.heap_marked) is the size of the heap
 *                   blocks that still hold a live object after the eager
 *                   sweep (GC_get_heap_size() - GC_get_free_bytes()): an
 *                   upper bound.
 *   GOAL            an estimate of libgc's next trigger: H2 + libgc's
 *                   allocation budget, (2 × pointerful + pointer-free / 4)
 *                   live bytes / GC_free_space_divisor, at least
 *                   GC_min_bytes_allocd (the split is from the walk;
 *                   without it all live bytes count as pointerful), at
 *                   most MAPGC_MEMLIMIT; with GOGC=off the limit (0 MB
 *                   without one), as in Go.
 *   K stacks        scope-root slots × 8 and L globals: global-root slots
 *   L globals       × 8, as pushed by the roots hook (0 MB at any real
 *                   size, as for mapgc).
 *   W P             the markers libgc runs (GC_get_parallel() + 1): the
 *                   Ps of the first runtime opened, unless GC_MARKERS says
 *                   otherwise (PARALLEL MARKING).
 *   (forced)        the cycle was mg_gc's GC_gcollect.
 *
 * mg_stats on Boehm: cycles, forced_cycles, pause_total_ns and
 * pause_max_ns (each collection is one pause, START → END), gc_cpu_ns and
 * background_cpu_ns (the mark's CPU) from the events; mark_slices,
 * mark_slice_max_ns, assist_cpu_ns and freed_objects are 0 (no incremental
 * mark, no assists, libgc does not count what it frees); heap_inuse is
 * GC_get_heap_size() - GC_get_free_bytes() (bytes in heap blocks in use);
 * heap_marked is the last H2; heap_goal and heap_trigger the last GOAL;
 * heap_mapped GC_get_heap_size(); heap_released GC_get_unmapped_bytes();
 * total_alloc and total_objects this runtime's requests (header included,
 * before libgc's rounding); os_requests the number of times libgc grew
 * its heap (GC_set_on_heap_resize; process-wide); phase GC_OFF.
 *
 * PACING.  libgc collects when the bytes allocated since the last
 * collection reach (2 × pointerful live + pointer-free live / 4 + roots) /
 * GC_free_space_divisor.  For a heap of pointerful objects that is
 * 2 × live / D, and Go collects after GOGC/100 × live: so
 * D = round(200 / GOGC), clamped to 1..1000 (GOGC 100 → 2, 50 → 4, 25 → 8;
 * GOGC 0 → 1000; every GOGC ≥ 134 gives D = 1, libgc's least frequent
 * setting, about GOGC 200).  Go's minimum heap goal (4 MiB × GOGC/100)
 * becomes GC_set_min_bytes_allocd.  GOGC=off is
 * GC_set_disable_automatic_collection(1): only mg_gc, gcevery and running
 * out of room collect (the allocator collects once when libgc refuses).  MAPGC_MEMLIMIT is GC_set_max_heap_size: libgc
 * collects before growing past it, and a request that does not fit after
 * that is `fatal error: out of memory` (the oom hook makes libgc return
 * NULL; the allocator reports, outside libgc).  All of these are
 * process-wide libgc settings: with several Boehm runtimes in one process,
 * the last one opened sets them.
 *
 * NOT SUPPORTED, reported once per process on stderr and ignored (and
 * cleared in the runtime's config, so mg_runtime_config says what ran):
 * gccheckmark, heapcheck (they verify mapgc's own mark bits and heap),
 * maptrace's per-cycle map line (it is gathered by the scan hooks of
 * mapgc's marker; maptrace=2's map events are printed, they come from
 * the map code), heapdump and mg_heap_snapshot (which returns -1 with
 * errno ENOTSUP), failalloc (libgc's requests to the OS cannot be made to
 * fail), gcslice (no incremental marking) and a barrier other than the
 * default (there are no barriers; the config says wb=none), and wbtrace
 * (no barriers to study).
 * gcstoptheworld=1 needs nothing: every libgc cycle is stop-the-world.
 *
 * PARALLEL MARKING.  The backend runs libgc as a user of it would: with
 * its parallel markers, one per P of the first runtime opened (mg_config
 * procs, MAPGC_PROCS, --procs: by default one per CPU the process may use,
 * libgc's own default too), set with GC_set_markers_count before GC_INIT;
 * GC_MARKERS in the environment still wins, as libgc has it (GC_MARKERS=1
 * is the old single-threaded mark).
 * libgc starts its marker threads when a program says it may register
 * threads (GC_allow_register_threads, called once after GC_INIT); they
 * sleep between collections and help mark in the pause, so a pause is
 * shorter than its CPU.  Threads that attach (mg_thread_attach) register
 * with libgc (GC_register_my_thread), which stops them by signal for each
 * collection; the thread that started libgc was registered at GC_INIT.
 *
 * ONE libgc PER PROCESS.  GC_INIT runs once (pthread_once), with the
 * hooks installed then and chained to whatever was installed before.
 * Several runtimes may be open at once (tests do this); they share libgc's
 * heap, and each sees, counts and traces every collection.  They must be
 * used from the thread that first opened one (libgc knows that thread's
 * stack); mapgc has one mutator thread anyway (DESIGN.md §2).
 */
/* GC_THREADS: libgc's thread API (GC_allow_register_threads), for its
 * parallel markers; this file creates no thread itself. */
#define GC_THREADS
#include <gc.h>
#include <gc/gc_mark.h>

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* Cycles a runtime may fall behind in printing before lines are lost: a
 * runtime prints at its next allocation, so only a runtime idle while
 * others collect can fall behind at all. */
#define BOEHM_RING 64

/* Go's heapMinimum: no collection before 4 MiB × GOGC/100 is allocated. */
#define BOEHM_HEAP_MINIMUM ((uint64_t)4 << 20)

typedef struct boehm_line {
	gc_cycle c;
	uint64_t gc_cpu_ns;          /* the runtime's collector CPU at the end of c */
} boehm_line;

typedef struct gc_boehm {
	mg_runtime *rt;
	struct gc_boehm *next;       /* the registry (proc.runtimes) */
	mg_stats stats;              /* written by the event callback and the allocator */
	uint64_t alloc_count;        /* for gcevery */
	uint64_t stacks, globals;    /* root bytes pushed in the cycle in progress */
	uint64_t logged;             /* cycles completed into ring (count, not index) */
	uint64_t printed;            /* of which printed (or lost); logged - printed ≤ BOEHM_RING */
	uint64_t lost;               /* lines overwritten before they were printed */
	boehm_line ring[BOEHM_RING];
} gc_boehm;

/* Process-wide: libgc is one per process. */
static struct {
	pthread_once_t once;
	unsigned markers;            /* wanted at GC_INIT: the first runtime's Ps */
	gc_boehm *runtimes;          /* open Boehm runtimes; changed under libgc's lock */
	int ntrace;                  /* of which with gctrace on: the live walk runs when > 0 */
	GC_push_other_roots_proc prev_push;
	GC_on_collection_event_proc prev_event;
	GC_warn_proc prev_warn;
	GC_on_heap_resize_proc prev_resize;
	volatile int forcing;        /* inside mg_gc's GC_gcollect */
	uint64_t heap_grows;         /* on_heap_resize calls that grew the heap */
	uint64_t last_heap;          /* heap size at the last resize */
	bool gogc_off;               /* as set by apply_pacing, for the goal */
	uint64_t memlimit;           /* bytes; 0: none */
	uint64_t live;               /* H2 of the last collection */
	uint64_t live_ptr;           /* of which in pointerful objects (from the walk) */
	/* the collection in progress */
	bool in_cycle;
	bool forced;
	uint64_t t[4], cpu[4];       /* at START, MARK_START, MARK_END, END */
	uint64_t heap0, heap1;
} proc = {.once = PTHREAD_ONCE_INIT};

enum { EV_START, EV_MARK, EV_MARKTERM, EV_END };

/* ---- reporting what Boehm cannot do ------------------------------------- */

/* Each setting is reported once per process, like config problems (a test
 * suite opens hundreds of runtimes); the setting is cleared either way. */
#define BOEHM_UNSUPPORTED_LIST(X) \
	X(CHECKMARK, "gccheckmark=1", "it re-checks mapgc's own mark bits") \
	X(HEAPCHECK, "heapcheck=1", "it verifies mapgc's own heap and colours") \
	X(MAPTRACE, "maptrace", "the per-cycle map line is gathered by mapgc's marker (map events of maptrace=2 are still printed)") \
	X(HEAPDUMP, "heapdump", "heap snapshots walk mapgc's own heap") \
	X(SNAPSHOT, "mg_heap_snapshot", "heap snapshots walk mapgc's own heap") \
	X(FAILALLOC, "failalloc", "libgc's requests for memory cannot be made to fail") \
	X(GCSLICE, "gcslice", "libgc does not mark incrementally") \
	X(BARRIER, "wb", "there are no write barriers") \
	X(WBTRACE, "wbtrace=1", "there are no write barriers to study")

typedef enum boehm_unsupported {
#define BOEHM_X_ENUM(id, key, why) BOEHM_NO_##id,
	BOEHM_UNSUPPORTED_LIST(BOEHM_X_ENUM)
#undef BOEHM_X_ENUM
	BOEHM_NO_COUNT
} boehm_unsupported;

static const struct {
	const char *key, *why;
} unsupported[BOEHM_NO_COUNT] = {
#define BOEHM_X_ENTRY(id, key, why) [BOEHM_NO_##id] = {key, why},
	BOEHM_UNSUPPORTED_LIST(BOEHM_X_ENTRY)
#undef BOEHM_X_ENTRY
};

static bool reported[BOEHM_NO_COUNT];

static void report_unsupported(boehm_unsupported what, const char *value)
{
	if (reported[what])
		return;
	reported[what] = true;
	fflush(stdout);
	fprintf(stderr, "mapgc: backend boehm: %s%s%s is not supported (%s); ignored\n", unsupported[what].key,
	        value ? "=" : "", value ? value : "", unsupported[what].why);
	fflush(stderr);
}

static void clear_unsupported(mg_config *c)
{
	char v[32];
	if (c->checkmark) {
		report_unsupported(BOEHM_NO_CHECKMARK, NULL);
		c->checkmark = 0;
	}
	if (c->heapcheck) {
		report_unsupported(BOEHM_NO_HEAPCHECK, NULL);
		c->heapcheck = 0;
	}
	if (c->wbtrace) {
		report_unsupported(BOEHM_NO_WBTRACE, NULL);
		c->wbtrace = 0;
	}
	if (c->maptrace) {
		snprintf(v, sizeof v, "%d", c->maptrace);
		report_unsupported(BOEHM_NO_MAPTRACE, v);
		if (c->maptrace == 1)
			c->maptrace = 0; /* 2: the events stay on */
	}
	if (c->heapdump) {
		snprintf(v, sizeof v, "%llu", (unsigned long long)c->heapdump);
		report_unsupported(BOEHM_NO_HEAPDUMP, v);
		c->heapdump = 0;
	}
	if (c->failalloc) {
		snprintf(v, sizeof v, "%llu", (unsigned long long)c->failalloc);
		report_unsupported(BOEHM_NO_FAILALLOC, v);
		c->failalloc = 0;
	}
	if (c->mark_slice) {
		snprintf(v, sizeof v, "%zu", c->mark_slice);
		report_unsupported(BOEHM_NO_GCSLICE, v);
		c->mark_slice = 0;
	}
	/* hybrid is the default, so only another choice was asked for. */
	if (c->wb != MG_WB_HYBRID && c->wb != MG_WB_NONE)
		report_unsupported(BOEHM_NO_BARRIER, mg_barrier_name(c->wb));
	c->wb = MG_WB_NONE;
}

/* ---- libgc hooks (all run with libgc's allocation lock held) ------------ */

/* inv.boehm-roots: mark every root slot's value, eagerly (see the essay). */
static void GC_CALLBACK push_roots(void)
{
	for (gc_boehm *b = proc.runtimes; b; b = b->next) {
		/* Every attached thread's scopes: the list changes only under
		 * libgc's allocation lock (gc_boehm_attach), held here. */
		uint64_t stacks = 0;
		for (rt_mutator *m = b->rt->muts; m; m = m->next) {
			for (size_t i = 0; i < m->stack.n; i++) {
				void **slot = m->stack.v[i].slot;
				GC_push_all_eager(slot, slot + 1);
			}
			stacks += m->stack.n * sizeof(void *);
		}
		for (size_t i = 0; i < b->rt->globals.n; i++) {
			void **slot = b->rt->globals.v[i].slot;
			GC_push_all_eager(slot, slot + 1);
		}
		b->stacks = stacks;
		b->globals = b->rt->globals.n * sizeof(void *);
	}
	if (proc.prev_push)
		proc.prev_push();
}

typedef struct live_walk {
	uint64_t bytes, ptr_bytes;
	uintptr_t block;             /* the last heap block looked up */
	bool block_ptr;              /* its objects are pointerful */
} live_walk;

/* libgc's block size is at least 4 KiB; a smaller step only costs lookups. */
#define BOEHM_BLOCK_MASK (~(uintptr_t)4095)

static void GC_CALLBACK count_live(void *obj, size_t bytes, void *ud)
{
	live_walk *w = ud;
	uintptr_t blk = (uintptr_t)obj & BOEHM_BLOCK_MASK;
	if (blk != w->block) {
		w->block = blk;
		/* kind 0 is PTRFREE (GC_MALLOC_ATOMIC); a header lookup, no lock */
		w->block_ptr = GC_get_kind_and_size(obj, NULL) != 0;
	}
	w->bytes += bytes;
	if (w->block_ptr)
		w->ptr_bytes += bytes;
}

/* Lock-free getters: the callback runs with the lock held. */
static uint64_t heap_blocks_inuse(void)
{
	size_t heap = GC_get_heap_size(), free_bytes = GC_get_free_bytes();
	return heap > free_bytes ? heap - free_bytes : 0;
}

/* UINT64_MAX (printed as 0) when nothing but the limit triggers. */
static uint64_t goal_estimate(uint64_t live, uint64_t ptr_bytes)
{
	if (proc.gogc_off)
		return proc.memlimit ? proc.memlimit : UINT64_MAX;
	uint64_t d = GC_get_free_space_divisor();
	uint64_t budget = (2 * ptr_bytes + (live - ptr_bytes) / 4) / (d ? d : 1);
	uint64_t min = GC_get_min_bytes_allocd();
	uint64_t goal = live + (budget > min ? budget : min);
	return proc.memlimit && goal > proc.memlimit ? proc.memlimit : goal;
}

/* GC_EVENT_END: one completed cycle for every open runtime. */
static void end_cycle(void)
{
	if (proc.ntrace > 0) {
		live_walk w = {0};
		GC_enumerate_reachable_objects_inner(count_live, &w);
		proc.live = w.bytes;
		proc.live_ptr = w.ptr_bytes;
	} else {
		proc.live = heap_blocks_inuse();
		proc.live_ptr = proc.live; /* unmeasured: all counted as pointerful */
	}
	uint64_t goal = goal_estimate(proc.live, proc.live_ptr);
	for (gc_boehm *b = proc.runtimes; b; b = b->next) {
		mg_stats *st = &b->stats;
		uint64_t pause = proc.t[EV_END] - proc.t[EV_START];
		st->cycles++;
		if (proc.forced)
			st->forced_cycles++;
		st->pause_total_ns += pause;
		if (pause > st->pause_max_ns)
			st->pause_max_ns = pause;
		st->gc_cpu_ns += proc.cpu[EV_END] - proc.cpu[EV_START];
		st->background_cpu_ns += proc.cpu[EV_MARKTERM] - proc.cpu[EV_MARK];
		st->heap_marked = proc.live;
		st->heap_goal = st->heap_trigger = goal;
		if (b->logged - b->printed == BOEHM_RING) {
			__atomic_store_n(&b->printed, b->printed + 1, __ATOMIC_RELAXED);
			b->lost++;
		}
		boehm_line *l = &b->ring[b->logged % BOEHM_RING];
		l->c = (gc_cycle){
			.n = (uint32_t)st->cycles,
			.forced = proc.forced,
			.t_start = proc.t[EV_START],
			.t_mark = proc.t[EV_MARK],
			.t_markterm = proc.t[EV_MARKTERM],
			.t_end = proc.t[EV_END],
			.cpu_sweepterm = proc.cpu[EV_MARK] - proc.cpu[EV_START],
			.cpu_background = proc.cpu[EV_MARKTERM] - proc.cpu[EV_MARK],
			.cpu_markterm = proc.cpu[EV_END] - proc.cpu[EV_MARKTERM],
			.heap0 = proc.heap0,
			.heap1 = proc.heap1,
			.heap2 = proc.live,
			.goal = goal,
			.stacks = b->stacks,
			.globals = b->globals,
			.procs = (uint32_t)GC_get_parallel() + 1,
		};
		l->gc_cpu_ns = st->gc_cpu_ns;
		__atomic_store_n(&b->logged, b->logged + 1, __ATOMIC_RELAXED);
	}
}

/* The whole process's CPU: during a collection the world is stopped, so
 * this is the collector's, markers included (see D+E/F/G+T above). */
static uint64_t collector_cputime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void stamp(int which)
{
	proc.t[which] = rt_nanotime();
	proc.cpu[which] = collector_cputime();
}

static void GC_CALLBACK on_event(GC_EventType ev)
{
	switch (ev) {
	case GC_EVENT_START:
		stamp(EV_START);
		proc.in_cycle = true;
		proc.forced = proc.forcing != 0;
		proc.heap0 = proc.live + GC_get_bytes_since_gc();
		break;
	case GC_EVENT_MARK_START:
		stamp(EV_MARK);
		break;
	case GC_EVENT_MARK_END:
		stamp(EV_MARKTERM);
		proc.heap1 = proc.live + GC_get_bytes_since_gc();
		break;
	case GC_EVENT_END:
		stamp(EV_END);
		if (proc.in_cycle)
			end_cycle();
		proc.in_cycle = false;
		break;
	default:
		break;
	}
	if (proc.prev_event)
		proc.prev_event(ev);
}

static void GC_CALLBACK on_heap_resize(GC_word size)
{
	if (size > proc.last_heap)
		proc.heap_grows++;
	proc.last_heap = size;
	if (proc.prev_resize)
		proc.prev_resize(size);
}

/* Out of memory: libgc returns NULL and the allocator reports it, outside
 * libgc and its lock (a failure handler may longjmp). */
static void *GC_CALLBACK on_oom(size_t bytes)
{
	(void)bytes;
	return NULL;
}

/* libgc's own "Out of Memory!" warning would come before our fatal error
 * and say it differently; everything else it says is passed on. */
static void GC_CALLBACK on_warn(char *msg, GC_word arg)
{
	if (strstr(msg, "Out of Memory") || strstr(msg, "out of memory"))
		return;
	proc.prev_warn(msg, arg);
}

/* ---- once per process ---------------------------------------------------- */

static void init_libgc(void)
{
	GC_set_all_interior_pointers(1);
	if (proc.markers > 0)
		GC_set_markers_count(proc.markers);
	GC_INIT();
	if (!GC_get_all_interior_pointers()) {
		fprintf(stderr, "fatal error: backend boehm: libgc is not in all-interior-pointers mode\n");
		_exit(2);
	}
	proc.prev_push = GC_get_push_other_roots();
	GC_set_push_other_roots(push_roots);
	proc.prev_event = GC_get_on_collection_event();
	GC_set_on_collection_event(on_event);
	proc.prev_resize = GC_get_on_heap_resize();
	GC_set_on_heap_resize(on_heap_resize);
	proc.prev_warn = GC_get_warn_proc();
	GC_set_warn_proc(on_warn);
	GC_set_oom_fn(on_oom);
	proc.last_heap = GC_get_heap_size();
	GC_allow_register_threads(); /* starts the parallel markers */
}

int gc_test_boehm_markers(void)
{
	pthread_once(&proc.once, init_libgc);
	return GC_get_parallel() + 1;
}

/* GOGC → libgc's free-space divisor (see PACING in the essay). */
static void apply_pacing(const mg_config *c)
{
	if (c->gogc == MG_GOGC_OFF) {
		GC_set_disable_automatic_collection(1);
	} else {
		uint64_t g = (uint64_t)c->gogc;
		uint64_t d = g ? (200 + g / 2) / g : 1000;
		GC_set_disable_automatic_collection(0);
		GC_set_free_space_divisor(d < 1 ? 1 : d > 1000 ? 1000 : d);
		uint64_t min = BOEHM_HEAP_MINIMUM * g / 100;
		GC_set_min_bytes_allocd(min ? (size_t)min : 1);
	}
	proc.gogc_off = c->gogc == MG_GOGC_OFF;
	proc.memlimit = c->memlimit == MG_MEMLIMIT_NONE || c->memlimit <= 0 ? 0 : (uint64_t)c->memlimit;
	GC_set_max_heap_size((GC_word)proc.memlimit);
}

/* ---- the registry -------------------------------------------------------- */

static void *GC_CALLBACK registry_add(void *arg)
{
	gc_boehm *b = arg;
	b->next = proc.runtimes;
	proc.runtimes = b;
	if (b->rt->cfg.gctrace)
		proc.ntrace++;
	return NULL;
}

static void *GC_CALLBACK registry_remove(void *arg)
{
	gc_boehm *b = arg;
	for (gc_boehm **p = &proc.runtimes; *p; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			if (b->rt->cfg.gctrace)
				proc.ntrace--;
			break;
		}
	return NULL;
}

/* ---- printing ------------------------------------------------------------ */

/* Prints the lines of the cycles completed since the last call (see
 * COLLECTIONS AND TRACES).  Outside libgc: the lines were recorded by the
 * callback; here they are only formatted. */
/* The lines not yet printed, taken under libgc's allocation lock (the
 * event callback writes the ring under it, on whichever thread
 * collects), printed outside it. */
typedef struct take_lines {
	gc_boehm *b;
	uint64_t lost;
	uint32_t n;
	boehm_line v[BOEHM_RING];
} take_lines;

static void *GC_CALLBACK take_locked(void *ud)
{
	take_lines *t = ud;
	gc_boehm *b = t->b;
	t->lost = b->lost;
	b->lost = 0;
	for (; b->printed < b->logged; __atomic_store_n(&b->printed, b->printed + 1, __ATOMIC_RELAXED))
		t->v[t->n++] = b->ring[b->printed % BOEHM_RING];
	return NULL;
}

static void flush_lines(mg_runtime *rt)
{
	take_lines *t = malloc(sizeof *t);
	if (!t)
		rt_out_of_memory(rt, sizeof *t);
	t->b = rt->gc->boehm;
	t->n = 0;
	GC_call_with_alloc_lock(take_locked, t);
	if (t->lost)
		rt_printf("mapgc: backend boehm: %llu gctrace lines lost (this runtime was idle while others "
		          "collected)\n", (unsigned long long)t->lost);
	for (uint32_t i = 0; i < t->n && rt->cfg.gctrace; i++)
		gc_print_gctrace(rt, &t->v[i].c, t->v[i].gc_cpu_ns);
	free(t);
}

/* ---- threads (DESIGN.md §8) ------------------------------------------------ */

static void *GC_CALLBACK attach_locked(void *ud)
{
	return rt_mutator_new(ud);
}

static void *GC_CALLBACK detach_locked(void *ud)
{
	rt_mutator *m = ud;
	rt_mutator_free(m->rt, m);
	return NULL;
}

/* A thread attached on Boehm is registered with libgc, which then stops
 * it for collections (by signal) and scans its C stack; its scopes are
 * pushed by push_roots with the others. */
void gc_boehm_attach(mg_runtime *rt)
{
	struct GC_stack_base sb;
	if (GC_get_stack_base(&sb) != GC_SUCCESS)
		mg_fatal(rt, "mg_thread_attach: backend boehm: cannot find this thread's stack");
	int r = GC_register_my_thread(&sb);
	rt_mutator *m = GC_call_with_alloc_lock(attach_locked, rt);
	m->state = RT_M_RUNNING;
	m->boehm_registered = r == GC_SUCCESS; /* else libgc knew it already (the thread that started it) */
}

void gc_boehm_detach(mg_runtime *rt, rt_mutator *m)
{
	(void)rt;
	bool registered = m->boehm_registered;
	GC_call_with_alloc_lock(detach_locked, m);
	if (registered)
		GC_unregister_my_thread();
}

/* ---- the entry points (gc.h) ---------------------------------------------- */

void gc_boehm_open(mg_runtime *rt)
{
	/* Read by init_libgc in this same call, once per process: a later
	 * runtime's Ps change nothing. */
	if (rt->cfg.procs > 0 && proc.markers == 0)
		proc.markers = (unsigned)rt->cfg.procs;
	pthread_once(&proc.once, init_libgc);
	clear_unsupported(&rt->cfg);
	gc_state *gc = calloc(1, sizeof *gc);
	gc_boehm *b = calloc(1, sizeof *b);
	if (!gc || !b)
		rt_out_of_memory(rt, sizeof *gc + sizeof *b);
	b->rt = rt;
	gc->boehm = b;
	gc_set_phase(gc, GC_OFF); /* and wb_on false, forever: no barriers */
	rt->gc = gc;
	apply_pacing(&rt->cfg);
	GC_call_with_alloc_lock(registry_add, b);
}

void gc_boehm_close(mg_runtime *rt)
{
	gc_boehm *b = rt->gc->boehm;
	GC_call_with_alloc_lock(registry_remove, b);
	if (!rt->failed)
		flush_lines(rt);
	free(b);
	rt->gc->boehm = NULL;
}

static void collect(mg_runtime *rt, bool forced)
{
	proc.forcing = forced;
	GC_gcollect();
	proc.forcing = 0;
	flush_lines(rt);
}

void gc_boehm_gc(mg_runtime *rt)
{
	collect(rt, true);
}

/* libgc refused (the memory limit, or the OS): one full collection, as
 * the mapgc allocator does, then it is fatal.  libgc collects by itself
 * before growing past the limit, but not with automatic collection off
 * (GOGC=off), where Go would still collect at the limit. */
static uint64_t *alloc_after_collecting(mg_runtime *rt, const rt_typeinfo *ti, size_t bytes)
{
	collect(rt, false);
	uint64_t *p = ti->noscan ? GC_MALLOC_ATOMIC(bytes) : GC_MALLOC(bytes);
	if (!p)
		rt_out_of_memory(rt, bytes);
	return p;
}

void *gc_boehm_alloc(mg_runtime *rt, rt_typeinfo *ti, bool array, size_t n)
{
	gc_boehm *b = rt->gc->boehm;
	/* The same limits, in the same order, as the mapgc allocator. */
	if (RT_UNLIKELY(n && ti->elem_size > (GC_MAX_ALLOC - GC_HDR_SIZE) / n))
		mg_panic(rt, "runtime error: makeslice: len out of range");
	if (RT_UNLIKELY(n > UINT32_MAX))
		rt_out_of_memory(rt, GC_HDR_SIZE + (size_t)ti->elem_size * n);
	size_t bytes = (GC_HDR_SIZE + (size_t)ti->elem_size * n + 7) & ~(size_t)7;

	if (RT_UNLIKELY(rt->cfg.gcevery) && __atomic_add_fetch(&b->alloc_count, 1, __ATOMIC_RELAXED) % rt->cfg.gcevery == 0)
		collect(rt, false);
	uint64_t *p = ti->noscan ? GC_MALLOC_ATOMIC(bytes) : GC_MALLOC(bytes);
	if (RT_UNLIKELY(!p))
		p = alloc_after_collecting(rt, ti, bytes);
	if (ti->noscan)
		memset(p + 1, 0, bytes - GC_HDR_SIZE); /* libgc does not clear atomic objects */
	*p = gc_hdr_make(ti->id, array, (uint32_t)n);
	__atomic_fetch_add(&b->stats.total_alloc, bytes, __ATOMIC_RELAXED);
	__atomic_fetch_add(&b->stats.total_objects, 1, __ATOMIC_RELAXED);
	if (RT_UNLIKELY(__atomic_load_n(&b->printed, __ATOMIC_RELAXED) != __atomic_load_n(&b->logged, __ATOMIC_RELAXED)))
		flush_lines(rt);
	return p + 1;
}

/* The header of the libgc object p points into, if it is one of ours.
 * GC_base finds the object (interior pointers included) but cannot say
 * whether it is allocated: a free object's first word is a free-list link
 * or 0.  A link is an address, whose low 24 bits would have to name a
 * registered type and whose high half (our length) would have to fit the
 * object — checked, so a free slot is all but certain to give NULL. */
const mg_type *gc_boehm_typeof(mg_runtime *rt, const void *p, size_t *len)
{
	void *base = GC_base((void *)p);
	if (!base || (uintptr_t)p < (uintptr_t)base + GC_HDR_SIZE)
		return NULL;
	uint64_t h = *(const uint64_t *)base;
	uint32_t id = gc_hdr_type(h);
	if (id == 0 || id >= rt->types.n)
		return NULL;
	uint64_t n = gc_hdr_is_array(h) ? gc_hdr_len(h) : 1;
	if (!gc_hdr_is_array(h) && gc_hdr_len(h) != 1)
		return NULL;
	const rt_typeinfo *ti = rt_type_byid(rt, id);
	uint64_t need = GC_HDR_SIZE + (uint64_t)ti->elem_size * n;
	if (need > GC_size(base) || (uintptr_t)p >= (uintptr_t)base + need)
		return NULL;
	if (len)
		*len = n;
	return ti->t;
}

void gc_boehm_read_stats(mg_runtime *rt, mg_stats *st)
{
	gc_boehm *b = rt->gc->boehm;
	*st = b->stats;
	st->heap_inuse = heap_blocks_inuse();
	st->heap_mapped = GC_get_heap_size();
	st->heap_released = GC_get_unmapped_bytes();
	st->os_requests = proc.heap_grows;
	st->phase = GC_OFF;
}

int gc_boehm_snapshot(mg_runtime *rt)
{
	(void)rt;
	report_unsupported(BOEHM_NO_SNAPSHOT, NULL);
	errno = ENOTSUP;
	return -1;
}

/* ---- test hooks (gc_test.h) ----------------------------------------------- */

typedef struct type_count {
	uint32_t id;
	size_t n;
	uint64_t bytes;
} type_count;

static void GC_CALLBACK count_type(void *obj, size_t bytes, void *ud)
{
	type_count *c = ud;
	if (gc_hdr_type(*(const uint64_t *)obj) == c->id) {
		c->n++;
		c->bytes += bytes;
	}
}

static void *GC_CALLBACK count_type_locked(void *ud)
{
	GC_enumerate_reachable_objects_inner(count_type, ud);
	return NULL;
}

size_t gc_test_boehm_marked(mg_runtime *rt, const mg_type *t, uint64_t *bytes)
{
	rt_typeinfo *ti = rt_type_lookup(rt, t);
	type_count c = {.id = ti ? ti->id : 0};
	if (!ti || !gc_is_boehm(rt))
		return 0;
	GC_call_with_alloc_lock(count_type_locked, &c);
	if (bytes)
		*bytes = c.bytes;
	return c.n;
}
