/*
 * gc.h — the collector: heap, allocation, concurrent tri-color marking on Ps,
 * write barriers, lazy sweeping, pacing and the debug verifiers.
 *
 * THE HEAP.  One large virtual reservation (PROT_NONE) is committed in
 * arena steps as the heap grows; each commit is one "request for memory from
 * the OS" (counted by failalloc and charged against MAPGC_MEMLIMIT).  The
 * committed region is cut into 8 KiB pages; a span is a run of pages that is
 * either free, a small-object span of one size class (all slots the same
 * size), or one large object.  A page map gives, for every page of an in-use
 * span, its span, so any address — interior pointers included — finds its
 * object in O(1) (inv.pagemap).  Free page runs coalesce; free runs that stay
 * unused are returned to the OS with madvise at the end of sweeping, at
 * most GC_SCAVENGE_RATE bytes a second (sweep.c).
 *
 * OBJECTS.  Every object starts with a one-word header naming its type id
 * and, for arrays, the length (inv.hdr-type).  User pointers point just past
 * the header.  Spans are "scan" or "noscan" by their objects' types; a noscan
 * object is marked but never queued.
 *
 * COLOURS.  Per span: allocbits (slot allocated) and markbits (slot marked).
 *   white = allocated, not marked; grey = marked and in a work buffer of a
 *   P, the shared full list or the hand-over list (work.c); black =
 *   marked and in none (scanned, noscan, or allocated during mark:
 *   inv.alloc-black).  Mark bits are set by an atomic or: marked once.
 *   A barrier record not yet flushed is not grey: the flush shades it.
 *   inv.marked-allocated: markbits ⊆ allocbits at all times.
 *   inv.no-black-to-white (strong): holds under dijkstra, and under hybrid
 *     until the mutator's roots are scanned.
 *   inv.grey-protected (weak): under hybrid and yuasa, a white object that a
 *     black one points to is reachable from a grey object through white ones.
 * gc_heap_check verifies these; checkmark verifies the outcome.
 *
 * A CYCLE (phases as an X-macro list, GC_PHASE_LIST):
 *   OFF/SWEEP —trigger→ SWEEP_TERMINATION (world stopped: finish sweeping,
 *   enable the barrier, scan roots unless hybrid, wake the mark workers) →
 *   MARK (concurrent: the workers of the Ps no thread holds mark beside the
 *   mutator threads, which assist in bounded slices; with one P, slices as
 *   assists and at safepoints; hybrid scans each thread's roots at its
 *   first safepoint of the mark, gc/sched.c) →
 *   the re-check (world stopped: flush every barrier buffer, and if any
 *   work buffer holds work, marking resumes: workers.c) → MARK_TERMINATION
 *   (world stopped: dijkstra rescans roots and drains, the re-mark of
 *   checkmark and wbtrace, flip sweepgen, compute the next goal) →
 *   SWEEP (lazy, by allocation, and by P 1's worker in the background:
 *   sweep.c) → OFF when every span is swept.
 *
 * POINTERS.  Interior pointers keep their object alive (the iterator's
 * current bucket points into a bucket array).  A pointer one past the end
 * of an object is not an interior pointer: it names the next slot, as in
 * Go, whose compiler never materialises one; mapgc's own code never makes
 * one, and C code should not store one in the heap.  A pointer into the
 * heap's range that names no allocated slot is fatal ("found bad pointer").
 *
 * TAGGED WORK ITEMS.  A layer above may have the marker call a type's chunk
 * hook (rt_typeinfo.chunk) as part of mark work (maptrace counts bucket
 * arrays this way, maptype/trace.c): on every chunk the marker scans of an
 * array of that type (not on single objects of it), right after scanning it (while its lines are in the
 * cache), with the work item's tag, 0 unless the layer set one.  From a
 * scanned hook the layer can tag the item that the scan of the hooked
 * object has just pushed for an array (gc_tag_pushed), or, when there is no
 * such item (the array was marked before, or is noscan and so never
 * queued), queue a hook-only item (gc_push_tagged with GC_TAG_HOOK_ONLY:
 * hooked, not scanned, not grey).  A tag stays with the remainder of a
 * chunked array.  Hook work counts toward the slice's budget, so a slice
 * stays bounded, but not toward scan_work, the pacer's measure of the heap:
 * a layer's bookkeeping must not move the next trigger, and an assist still
 * pays its debt in scan work (inv.hook-not-scan).  A type without a chunk
 * hook, every type unless a layer installs one, costs the marker one test
 * per item.
 *
 * WORDS THE WORKERS READ.  Mark workers (workers.c) scan objects while the
 * mutator runs, and read every pointer field with a relaxed atomic load
 * (mark.c).  So every mutator write of a pointer word into a heap object
 * that a worker may be scanning is a relaxed atomic store of the aligned
 * 8-byte word (inv.ptrword-atomic): gc_store for one slot,
 * gc_copy_ptrwords and gc_clear_ptrwords for a few words (a value), and
 * for bulk moves and clears gc_bulk_move and gc_bulk_zero, or by type
 * gc_typed_move and gc_typed_zero.  The race is intended: the barrier
 * makes either value the worker may see harmless, and the atomic makes the
 * race one the language defines, and one that ThreadSanitizer accepts
 * without a suppression (DESIGN.md §9).  On x86-64 the relaxed store is
 * the plain mov; the cost is in bulk moves of pointer data, a loop of word
 * stores instead of the library's wide ones, which the bulk helpers pay
 * only while workers may be scanning (gc_workers_may_scan: in MARK, with
 * more than one P).  Plain writes stay plain where no worker reads:
 *  - bytes that are no pointer field (lengths, integers; a map's tophash
 *    bytes are written atomically for maptrace, below), unless they share
 *    one bulk move with pointer words;
 *  - anything outside MARK, or with one P (gc_workers_may_scan);
 *  - noscan objects, which no one scans (maptrace's chunk walk reads a
 *    map's tophash words and overflow links, noscan buckets included, and
 *    the map writes those atomically: maptype/map.h, TOPHASH AND
 *    OVERFLOW WORDS);
 *  - inv.fresh-unscanned: an object with no allocation or safepoint since
 *    its own allocation.  Allocated during mark it is black, so never
 *    queued; allocated outside mark, no worker runs until the next cycle,
 *    which only an allocation or a safepoint can start.  Types with scan
 *    hooks (maps, iterators) are queued when allocated during mark, but
 *    scanned by the mutator's own P only (work.c, HOOKED TYPES).
 * The mutator's reads stay plain: workers never write object memory.
 *
 * WHAT MAY COLLECT.  Any allocation and mg_safepoint may run a mark slice, a
 * whole cycle (gcevery, out of memory) or mark termination, after which
 * unmarked objects are freed.  Heap pointers held across such a call must be
 * rooted (mg_root); this is the C analogue of Go's stack maps.
 */
#ifndef MAPGC_GC_H
#define MAPGC_GC_H

#include "runtime/rt.h"

#include <pthread.h>
#include <string.h>

/* ---- phases ------------------------------------------------------------- */

#define GC_PHASE_LIST(X) \
	X(GC_OFF, "off") \
	X(GC_SWEEP_TERMINATION, "sweep termination") \
	X(GC_MARK, "mark") \
	X(GC_MARK_TERMINATION, "mark termination") \
	X(GC_SWEEP, "sweep")

typedef enum gc_phase {
#define GC_X_ENUM(v, s) v,
	GC_PHASE_LIST(GC_X_ENUM)
#undef GC_X_ENUM
	GC_NPHASES
} gc_phase;

/* ---- geometry ----------------------------------------------------------- */

#define GC_PAGE_SHIFT 13
#define GC_PAGE_SIZE ((size_t)1 << GC_PAGE_SHIFT)
#define GC_HDR_SIZE 8
#define GC_MAX_SMALL 32768            /* largest small slot, header included */
#define GC_NCLASS 41                  /* class 0 is "large" */
#define GC_NSPANCLASS (GC_NCLASS * 2) /* ×2: scan / noscan */
/* Heap growth step: big enough that commits are rare, small enough that
 * failalloc sweeps and MAPGC_MEMLIMIT see the heap grow in fine steps. */
#define GC_GROW_BYTES ((size_t)2 << 20)
/* Arrays of more than this many bytes are scanned in chunks, so that one
 * object never makes a mark slice unbounded (Go's "oblets", 128 KiB there).
 * Smaller here: one mutator thread waits for every slice.  Measured on the
 * graph workload at 1.6M live nodes: longest slice (median of 3) 216 µs with
 * 128 KiB chunks, 165 µs with 32 KiB, no gain below. */
#define GC_SCAN_CHUNK ((size_t)32 << 10)

/* The cache line, for what several threads write side by side. */
#define GC_CACHE_LINE 64
/* Default mark slice: ~64 KiB of scan work, tens of microseconds. */
#define GC_DEFAULT_SLICE ((size_t)64 << 10)
/* Go's maxAlloc on linux/amd64: the 48-bit address space.  A request for
 * more is a bad length (a panic), on either backend. */
#define GC_MAX_ALLOC ((size_t)1 << 48)
/* Free memory beyond the scavenger's goal goes back to the OS at most this
 * fast (bytes per second), at the end of each sweep: about what Go 1.19's
 * background scavenger returns at its 1 % of a CPU.  Faster, and a heap
 * that shrinks and regrows every few hundred milliseconds (a benchmark's
 * passes) paid the kernel's page clearing in every pass: 28 % of the
 * samples of the map benchmark's int64 insert at 10^6 keys. */
#define GC_SCAVENGE_RATE ((double)(64 << 20))
/* Go's gcBackgroundUtilization: the share of time safepoints give marking. */
#define GC_BG_UTILIZATION 0.25

_Static_assert(GC_HDR_SIZE == sizeof(uint64_t), "one-word header");
_Static_assert(GC_MAX_SMALL % GC_PAGE_SIZE == 0, "largest class fills whole pages");

/* Header word (inv.hdr-type): type id | array flag | length. */
#define GC_HDR_TYPE_MASK 0xffffffu
#define GC_HDR_ARRAY (1u << 24)
static inline uint64_t gc_hdr_make(uint32_t id, bool array, uint32_t len)
{
	return (uint64_t)id | (array ? GC_HDR_ARRAY : 0) | ((uint64_t)len << 32);
}
static inline uint32_t gc_hdr_type(uint64_t h) { return (uint32_t)h & GC_HDR_TYPE_MASK; }
static inline uint32_t gc_hdr_len(uint64_t h) { return (uint32_t)(h >> 32); }
static inline bool gc_hdr_is_array(uint64_t h) { return (h & GC_HDR_ARRAY) != 0; }

/* ---- spans -------------------------------------------------------------- */

typedef enum gc_span_state { SPAN_FREE, SPAN_SMALL, SPAN_LARGE } gc_span_state;

typedef struct gc_span {
	uintptr_t base;          /* first byte */
	uint32_t npages;
	uint8_t state;           /* gc_span_state */
	uint8_t spanclass;       /* class*2 + noscan; 0/1 for large */
	bool noscan;
	bool needzero;           /* slots may hold old bytes (not fresh from the OS) */
	bool released;           /* free span whose pages went back to the OS */
	bool in_cache;           /* owned by a mutator's allocation cache */
	uint32_t elem_size;      /* slot size, header included */
	uint32_t nelems;
	uint32_t nalloc;         /* allocated slots */
	uint32_t freeindex;      /* no free slot below this */
	uint32_t divmul;         /* offset * divmul >> 32 == offset / elem_size */
	uint32_t sweepgen;       /* heap's −2 unswept, −1 being swept, = swept (atomic; sweep.c) */
	uint64_t *allocbits;
	uint64_t *markbits;
	uint64_t *checkbits;     /* checkmark; grey set in the heap check */
	uint64_t *scratchbits;   /* verifier scratch (protected set, path search) */
	struct gc_span *next, *prev;
} gc_span;

typedef struct gc_spanlist {
	gc_span *first, *last;
	size_t n;
	size_t pages;
} gc_spanlist;

/* ---- the state ---------------------------------------------------------- */

typedef struct gc_work {
	void *obj;       /* user pointer of a scannable object (any object if hook-only) */
	uint32_t from;   /* first element still to scan (chunked arrays) */
	uint32_t tag;    /* 0, or the chunk hook's tag (see TAGGED WORK ITEMS) */
} gc_work;
_Static_assert(sizeof(gc_work) == 16, "the tag lives in what was padding: the queue does not grow");

/* In a tag: the item is only hooked, never scanned (bit 31; the hook's
 * own bits are the others, and a hooked item's tag is never 0). */
#define GC_TAG_HOOK_ONLY (1u << 31)

/* ---- Ps and mark work buffers (work.c, workers.c; DESIGN.md §9) -------- */

/* A mark work buffer (Go's workbuf): a stack of grey items, owned by one P
 * or on one of the shared lists. */
typedef struct gc_wbuf {
	struct gc_wbuf *next;
	uint32_t n;
	gc_work obj[];       /* gc_state.wbuf_cap items */
} gc_wbuf;

/* Work buffer items: GC_WBUF_CAP normally, GC_WBUF_SMALL under
 * gcsmallbuf=1, where every put and get of a shared buffer, every swap and
 * every hand-over runs every few objects.  The small size is still room
 * for the pointers of any object a scanned hook looks up with
 * gc_tag_pushed (an iterator has the most, 5), which must land in one
 * buffer (work.c). */
#define GC_WBUF_CAP 512
#define GC_WBUF_SMALL 16
/* Write-barrier buffer records: Go's wbBuf size, and gcsmallbuf's. */
#define GC_WBB_CAP 512
#define GC_WBB_SMALL 4

/* What a P is asked to mark as, per cycle (Go 1.19's worker modes, plus
 * the mutator's own share). */
typedef enum gc_worker_mode { GC_WORKER_DEDICATED, GC_WORKER_FRACTIONAL, GC_WORKER_IDLE } gc_worker_mode;

/* A P: the token a thread holds to run managed code or to mark.  P 0 is
 * the mutator's; each other P has a mark worker thread.  Everything here
 * but the thread fields is touched only by the P's holder while marking,
 * and read by the mutator at mark termination, once the workers stopped
 * (the lock's hand-over orders it). */
/* Aligned to a cache line (and so allocated, work.c): each P's figures
 * change with every object it marks, and must not share a line with the
 * next P's. */
typedef struct gc_p {
	_Alignas(GC_CACHE_LINE) uint32_t id;
	gc_wbuf *b1, *b2;            /* Go's gcWork: push and pop b1, swap with b2 */
	/* During a scanned hook: b1 and its height before the hooked
	 * object's scan (gc_tag_pushed looks above it); SIZE_MAX outside. */
	gc_wbuf *hooked_buf;
	size_t hooked_base;
	/* This cycle's figures, summed into gc->cur at mark termination. */
	uint64_t heap2, heap2_scan;  /* bytes marked (shaded, or allocated black) */
	uint64_t scan_work, hook_work;
	uint64_t cpu_dedicated, cpu_fractional, cpu_idle; /* ns of worker marking, by mode */
	/* The write-barrier buffer (Go's wbBuf): pointers the barrier must
	 * shade, recorded by the mutator holding the P, shaded by
	 * gc_wb_flush.  wbkind (wbtrace=1 only) says which half recorded each:
	 * 0 old value, 1 new value. */
	void **wbb;
	uint8_t *wbkind;
	uint32_t wbn, wbcap;
	mg_wbstats wb;               /* wbtrace=1: this P's barrier counts this cycle (merged) */
	/* The scan-twice test hook's memory of what this P marked last. */
#define GC_HOOK_RECENT 64
	void *hook_recent[GC_HOOK_RECENT];
	uint32_t hook_recent_n;
	/* The mutator's marking on this P this cycle (ns): assists, and
	 * the rest (safepoint slices, check-ins, root scans). */
	uint64_t cpu_assist, cpu_background;
	/* Allocation, the holder's counters (Go's mcache): bytes not yet
	 * added to gc->heap_live and heap_scan (flushed at every refill, at
	 * the P's release and with the world stopped: gc_p_flush_alloc), and
	 * the running totals of bytes and objects (relaxed stores; any
	 * thread may read them: mg_read_stats). */
	int64_t live_delta, scan_delta;
	uint64_t alloc_bytes, alloc_objects;
	uint64_t alloc_mark;         /* bytes allocated during this cycle's mark */
	/* The allocation cache, one span per class (Go's mcache is per P). */
	gc_span *cache[GC_NSPANCLASS];
	/* The mutator holding the P (atomic: its worker reads it), NULL when
	 * none does; the worker marks or sweeps only then (sched.c). */
	struct rt_mutator *held;
	bool worker_busy;            /* its worker is in a stint or sweeping (under wlock) */
	/* The worker thread (P > 0). */
	struct mg_runtime *rt;
	pthread_t thread;
	bool thread_started;
} gc_p;

/* What one cycle measures for its gctrace line (DESIGN.md §5). */
typedef struct gc_cycle {
	uint32_t n;
	bool forced;
	uint64_t t_start, t_mark, t_markterm, t_end;   /* monotonic ns */
	uint64_t cpu_sweepterm, cpu_markterm;          /* ns */
	uint64_t cpu_assist, cpu_background;           /* ns on the mutator's thread: assists, and
	                                                * its other marking (safepoint slices, check-ins) */
	uint64_t cpu_dedicated, cpu_fractional, cpu_idle; /* ns of the mark workers, by mode */
	uint32_t procs;                                /* Ps when the cycle started */
	uint64_t heap0, heap1, heap2, goal;            /* bytes */
	uint64_t heap2_scan;                           /* of heap2, in scan spans */
	uint64_t stacks, globals;                      /* root bytes scanned */
	uint64_t scan_work;                            /* bytes scanned */
	uint64_t hook_work;                            /* bytes of chunk-hook work (inv.hook-not-scan) */
	uint64_t alloc_during_mark;                    /* bytes */
	uint64_t heap_live_at_trigger;
	mg_wbstats wb;                                 /* wbtrace=1: the barrier study (barrier.c) */
} gc_cycle;

typedef struct gc_pacer {
	uint64_t goal, trigger;
	uint64_t marked;          /* live bytes at the last mark termination */
	uint64_t last_heap_scan;  /* scan work of the last cycle */
	double cons_mark[4];      /* history; the pacer uses the max (Go 1.19) */
	int ncons;
} gc_pacer;

typedef struct gc_state {
	/* heap */
	void *reserve_base;             /* the mapping, for munmap */
	size_t reserve_size;
	uintptr_t arena_lo, arena_hi;   /* reservation; lo on a 2 MiB boundary */
	uintptr_t committed;            /* committed up to here */
	gc_span **pagemap;              /* per page of the reservation */
	gc_spanlist free_runs[128];     /* free spans of n pages, n < 128 */
	gc_spanlist free_large;         /* free spans of >= 128 pages */
	gc_spanlist partial[GC_NSPANCLASS]; /* swept, with free slots */
	gc_spanlist full[GC_NSPANCLASS];    /* swept, full (or large, in use) */
	gc_spanlist unswept[GC_NSPANCLASS]; /* to sweep this cycle */
	uint32_t sweepgen;
	size_t unswept_pages;
	uint64_t sweep_pages_done, sweep_pages_target;
	double sweep_pages_per_byte;
	uint64_t sweep_live_basis;
	uint64_t heap_live;             /* bytes in allocated slots not known dead: reset to
	                                 * the marked bytes at mark termination (Go's
	                                 * heapLive), so unswept garbage never counts */
	uint64_t heap_scan;             /* of which in scan spans */
	uint64_t heap_mapped;           /* committed and not released */
	uint64_t free_unreleased;       /* bytes in free, unreleased spans */
	uint64_t inuse_bytes;           /* bytes in in-use spans */
	uint64_t peak_inuse;            /* max of inuse_bytes since the last scavenge */
	uint64_t scavenged_at;          /* rt_nanotime of the last end-of-sweep scavenge (or gc init) */
	/* collector */
	gc_phase phase;                 /* atomic: written with the world stopped, or by sweep_done */
	bool globals_scanned;           /* atomic: this cycle's scan of the globals is done */
	bool wb_on;                     /* barrier enabled (MARK, MARK_TERMINATION) */
	uint8_t wb_path;                /* the slow path's case: cfg.wb, + GC_WB_COUNTED under
	                                 * wbtrace=1; set at sweep termination (barrier.c) */
	/* Threads (sched.c): who holds which P, and stopping the world. */
	pthread_mutex_t sched_lock;
	pthread_cond_t sched_cv;        /* stops, starts, Ps given back */
	uint32_t nrun;                  /* mutators RUNNING (under sched_lock) */
	bool stw;                       /* the world is stopped, or being stopped (under sched_lock) */
	struct rt_mutator *stw_by;      /* the thread that stops it */
	uint32_t stw_depth;             /* its nested stops */
	uint64_t p_head, p_tail;        /* the line for Ps: next ticket served, next given */
	/* Ps and the grey set: each P's two buffers, the shared lists of full
	 * and empty buffers, and the hand-over list of items whose types have
	 * hooks, which only P 0 runs (work.c). */
	gc_p *ps;
	uint32_t nproc;                 /* cfg.procs */
	uint32_t wbuf_cap;              /* items per buffer */
	pthread_mutex_t heap_lock;      /* span lists, the page heap, sweep counters (sweep.c) */
	pthread_mutex_t wlock;          /* the lists, worker states, and the conditions below */
	bool bgsweep;                   /* atomic: P 1's worker is to sweep (under wlock to set) */
	bool bgsweep_busy;              /* it is sweeping (under wlock) */
	pthread_cond_t work_cv;         /* workers wait here: for a cycle, for work */
	pthread_cond_t mut_cv;          /* the mutator waits here: for workers to stop or run dry */
	gc_wbuf *wfull, *wempty, *handover;
	size_t nfull;                   /* buffers on full (atomic reads outside the lock) */
	size_t nhandover;               /* items on handover (likewise) */
	uint32_t nrunning;              /* workers marking (not waiting, not stopped) */
	uint32_t nwaiting;              /* workers waiting for work in a cycle */
	bool workers_on;                /* mark workers may mark this cycle */
	int stop_workers;               /* atomic: workers stop between items (mutator's request) */
	int p0_req;                     /* atomic: GC_P0_*: P 0 is asked to check in (workers.c) */
	bool mut_waiting;               /* the mutator waits on mut_cv */
	uint32_t ndedicated;            /* dedicated workers this cycle: P 1 … P ndedicated */
	bool shutdown;                  /* workers exit */
	int64_t bg_credit;              /* atomic: scan work of workers not yet taken by assists */
	uint64_t worker_scan_work;      /* atomic: every P's scan work this cycle, roots included, for the pacer */
	uint64_t root_work;             /* atomic: of which root scans (stacks, globals) */
	uint64_t worker_hook_work;      /* chunk-hook work done on worker Ps, all cycles (tests) */
	double frac_goal;               /* Go's fractionalUtilizationGoal of this cycle */
	gc_pacer pacer;
	gc_cycle cur;                   /* cycle in progress */
	gc_cycle last;                  /* last completed cycle */
	uint64_t slice_budget;          /* bytes of scan work per slice */
	uint64_t mark_start_cpu;        /* for background utilization */
	uint64_t alloc_count;           /* for gcevery */
	/* A test drives this cycle by hand (gc_test_begin_mark, until the
	 * cycle ends): gcevery leaves it to the test, which is asserting the
	 * phase it put the collector in. */
	bool test_driven;
	uint64_t os_requests;           /* for failalloc */
	mg_stats stats;
	uint64_t trace_gc_cpu_ns;       /* Go's GC CPU for the gc line's P%: pauses × Ps, no idle */
	const char *snap_json, *snap_v8;   /* mg_heap_snapshot request */
	bool snap_pending;
	int snap_rc, snap_errno;
	struct gc_boehm *boehm;         /* backend boehm only (boehm.c); NULL for mapgc */
} gc_state;

/* ---- protocol test hooks (gc_test.h) ------------------------------------ */

/* Each names one step of the concurrent protocol that a test removes, to
 * prove that a checker catches its absence.  0 in every normal run. */
#define GC_HOOK_SKIP_STW_RECHECK 1u   /* gcMarkDone's stop-the-world re-check */
#define GC_HOOK_SKIP_WB_FLUSH 2u      /* the barrier buffers' flushes at mark termination (and at
                                       * slices and check-ins): only a full buffer is flushed */
#define GC_HOOK_SCAN_TWICE 4u         /* a worker pushes an object it did not newly mark */
#define GC_HOOK_SKIP_OTHER_ROOTS 8u   /* a stopped world scans no other thread's roots (those of
                                       * threads in native code, or never at a safepoint) */
extern unsigned gc_test_hooks;
static inline bool gc_test_skip(unsigned h) { return RT_UNLIKELY(__atomic_load_n(&gc_test_hooks, __ATOMIC_RELAXED) & h); }

/* ---- shared helpers ----------------------------------------------------- */

static inline gc_state *gc_of(mg_runtime *rt) { return rt->gc; }

static inline void gc_atomic_max(uint64_t *x, uint64_t v)
{
	uint64_t old = __atomic_load_n(x, __ATOMIC_RELAXED);
	while (v > old && !__atomic_compare_exchange_n(x, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* The phase, which threads read while one changes it (sweeping's end). */
static inline gc_phase gc_phase_of(const gc_state *gc) { return __atomic_load_n(&gc->phase, __ATOMIC_RELAXED); }
static inline void gc_set_phase(gc_state *gc, gc_phase ph) { __atomic_store_n(&gc->phase, ph, __ATOMIC_RELAXED); }

static inline bool gc_in_arena(const gc_state *gc, uintptr_t a)
{
	return a >= gc->arena_lo && a < __atomic_load_n(&gc->committed, __ATOMIC_ACQUIRE);
}

/* The span of an in-use page, or NULL (free page, not in the heap). */
static inline gc_span *gc_span_of(const gc_state *gc, uintptr_t a)
{
	if (!gc_in_arena(gc, a))
		return NULL;
	/* Acquire: a span a worker finds here was initialised before it was
	 * published (heap.c stores with release). */
	gc_span *s = __atomic_load_n(&gc->pagemap[(a - gc->arena_lo) >> GC_PAGE_SHIFT], __ATOMIC_ACQUIRE);
	return s && s->state != SPAN_FREE ? s : NULL;
}

static inline uint32_t gc_slot_index(const gc_span *s, uintptr_t a)
{
	return (uint32_t)(((uint64_t)(a - s->base) * s->divmul) >> 32);
}

static inline uintptr_t gc_slot_addr(const gc_span *s, uint32_t i)
{
	return s->base + (uintptr_t)i * s->elem_size;
}

static inline bool gc_bit(const uint64_t *bits, uint32_t i) { return (bits[i >> 6] >> (i & 63)) & 1; }
/* A bit of a word another thread may be changing (mark bits while workers
 * mark, alloc bits while the mutator allocates). */
static inline bool gc_bit_relaxed(const uint64_t *bits, uint32_t i)
{
	return (__atomic_load_n(&bits[i >> 6], __ATOMIC_RELAXED) >> (i & 63)) & 1;
}
static inline void gc_bit_set(uint64_t *bits, uint32_t i) { bits[i >> 6] |= (uint64_t)1 << (i & 63); }
static inline void gc_bit_clear(uint64_t *bits, uint32_t i) { bits[i >> 6] &= ~((uint64_t)1 << (i & 63)); }
static inline size_t gc_bitwords(uint32_t n) { return (n + 63) / 64; }

static inline uint64_t *gc_hdr_of(void *obj) { return (uint64_t *)obj - 1; }

/* Finds the slot a pointer points into: its span and slot index, or NULL
 * when the pointer is not inside an in-use span (outside the heap: legal,
 * ignored).  Whether the slot is allocated is the caller's question. */
static inline gc_span *gc_find_object(const gc_state *gc, uintptr_t a, uint32_t *idx)
{
	gc_span *s = gc_span_of(gc, a);
	*idx = 0;
	if (!s)
		return NULL;
	if (s->state == SPAN_SMALL)
		*idx = gc_slot_index(s, a);
	return s;
}

/* ---- heap.c ------------------------------------------------------------- */

void gc_heap_init(mg_runtime *rt);
void gc_heap_destroy(mg_runtime *rt);
uint32_t gc_size_to_class(size_t size);            /* size with header; 0: large */
uint32_t gc_class_size(uint32_t cls);
uint32_t gc_class_npages(uint32_t cls);
gc_span *gc_span_alloc(mg_runtime *rt, uint32_t npages);  /* from the page heap */
void gc_span_free(mg_runtime *rt, gc_span *s);            /* back to the page heap */
/* Each ends by naming the span in the page map (published to workers). */
void gc_span_init_small(mg_runtime *rt, gc_span *s, uint32_t spanclass);
void gc_span_init_large(mg_runtime *rt, gc_span *s, bool noscan);
void gc_heap_scavenge(mg_runtime *rt, uint64_t retain);
void gc_list_push(gc_spanlist *l, gc_span *s);
void gc_list_remove(gc_spanlist *l, gc_span *s);
void gc_list_splice(gc_spanlist *to, gc_spanlist *from); /* O(1): appends, empties from */
/* Visits every in-use span; used by verifiers, snapshots and mark termination. */
void gc_for_each_span(mg_runtime *rt, void (*fn)(mg_runtime *, gc_span *, void *), void *ud);

/* ---- alloc.c ------------------------------------------------------------ */

void *gc_alloc(mg_runtime *rt, rt_typeinfo *ti, bool array, size_t n);
void gc_mcache_release(mg_runtime *rt);  /* every P's cache (the world stopped) */
void gc_p_flush_alloc(gc_state *gc, gc_p *p);
/* The bytes and objects allocated so far, all Ps. */
uint64_t gc_total_alloc(const gc_state *gc);
uint64_t gc_total_objects(const gc_state *gc);
static inline uint64_t gc_heap_live(const gc_state *gc) { return __atomic_load_n(&gc->heap_live, __ATOMIC_RELAXED); }

/* ---- sched.c: threads, Ps, stopping the world (DESIGN.md §9) ------------ */

void gc_sched_init(mg_runtime *rt);      /* at mg_open: the caller gets a P */
void gc_sched_destroy(mg_runtime *rt);
/* Stops every other attached thread at a safepoint (threads in native code
 * count as stopped) and returns with the world stopped; nests. */
void gc_stop_world(mg_runtime *rt);
void gc_start_world(mg_runtime *rt);
/* A P held by a thread in native code for this long may be taken by its
 * mark worker (Go's sysmon retakes a P in a syscall after 20 µs–10 ms). */
#define GC_NATIVE_RETAKE_NS 1000000u
/* The worker of P p, about to mark or sweep: true when no thread holds p,
 * after taking it from a thread in native code for GC_NATIVE_RETAKE_NS.
 * Takes sched_lock (inside wlock: the one nesting of the two). */
bool gc_worker_may_take(mg_runtime *rt, gc_p *p);
/* Scans m's scope roots now (hybrid: its first safepoint in the cycle). */
void gc_scan_own_roots(mg_runtime *rt, rt_mutator *m);
/* The rt_mutator of the calling thread, and the P it holds. */
static inline gc_p *gc_my_p(mg_runtime *rt) { return rt_self(rt)->p; }

/* ---- work.c: Ps and work buffers ---------------------------------------- */

void gc_work_init(mg_runtime *rt);       /* at mg_open: the Ps, the lock, the worker threads */
void gc_work_destroy(mg_runtime *rt);    /* at mg_close: workers joined, buffers freed */
/* Slow paths of the inline push and pop below (Go's gcWork.put / tryGet). */
void gc_wput_slow(mg_runtime *rt, gc_p *p, gc_work w);
bool gc_wget_slow(mg_runtime *rt, gc_p *p, gc_work *out);
/* Publishes everything p holds on the full list (Go's gcWork.dispose). */
void gc_wdispose(mg_runtime *rt, gc_p *p);
/* The body of gc_wbalance (below), out of line. */
void gc_wbalance_slow(mg_runtime *rt, gc_p *p);
/* Room for n pushes in p->b1 (a scanned hook's gc_tag_pushed looks there). */
void gc_wreserve(mg_runtime *rt, gc_p *p, uint32_t n);
/* An item of a hooked type, found by a worker, for P 0 to do. */
void gc_whand_over(mg_runtime *rt, gc_work w);
/* The caller takes the hand-over list's items into its own buffers, if
 * it may run their hooks (gc_may_hook); true if any. */
bool gc_wtake_handover(mg_runtime *rt);
/* The hand-over items the calling thread could do now (gc_may_hook on
 * its P): with several threads none, since the stopped world of the end
 * of mark does them (gc_do_handover), so that they never keep marking
 * from ending. */
size_t gc_handover_pending(mg_runtime *rt);
/* One item off the hand-over list (the world stopped); false if none. */
bool gc_whandover_pop(mg_runtime *rt, gc_work *out);
/* Drops every grey item and barrier record: mark termination's last act,
 * where none is left unless a protocol step was removed (a test hook). */
void gc_work_discard(gc_state *gc);
/* Every grey item of every P and list (the world stopped, or procs 1). */
void gc_work_foreach(gc_state *gc, void (*fn)(gc_work *w, void *ud), void *ud);
/* No grey item anywhere (same condition).  Barrier records are not
 * looked at: they reach the work buffers through a flush, which comes
 * first wherever this is asked (mark termination's re-check). */
bool gc_work_none(gc_state *gc);
static inline size_t gc_atomic_nfull(gc_state *gc) { return __atomic_load_n(&gc->nfull, __ATOMIC_RELAXED); }

/* Gives waiting workers some of p's work when the full list is empty
 * (Go's gcWork.balance).  Called before every item a P does, so the test
 * of whether anyone waits is inline and the move out of line. */
static inline void gc_wbalance(mg_runtime *rt, gc_p *p)
{
	gc_state *gc = rt->gc;
	if (RT_UNLIKELY(__atomic_load_n(&gc->nwaiting, __ATOMIC_RELAXED) != 0) && gc_atomic_nfull(gc) == 0)
		gc_wbalance_slow(rt, p);
}

static inline void gc_wput(mg_runtime *rt, gc_p *p, gc_work w)
{
	gc_wbuf *b = p->b1;
	if (RT_UNLIKELY(b->n == rt->gc->wbuf_cap)) {
		gc_wput_slow(rt, p, w);
		return;
	}
	b->obj[b->n++] = w;
}

#define GC_WGET_AHEAD 4
static inline bool gc_wget(mg_runtime *rt, gc_p *p, gc_work *out)
{
	gc_wbuf *b = p->b1;
	if (RT_UNLIKELY(b->n == 0))
		return gc_wget_slow(rt, p, out);
	*out = b->obj[--b->n];
	/* The header of an item a few pops ahead: shade prefetched each
	 * object it queued, but a buffer another P filled, or one that waited
	 * long, arrives cold. */
	if (b->n >= GC_WGET_AHEAD)
		__builtin_prefetch((const char *)b->obj[b->n - GC_WGET_AHEAD].obj - GC_HDR_SIZE);
	return true;
}

/* ---- workers.c: mark worker threads and the end of mark ----------------- */

/* The P whose marking runs on this thread: a worker's own, or the P a
 * mutator holds (a chunk hook of a tagged item may run on any P, and
 * gathers its figures per P: work.c, HOOKED TYPES; a P is marked on by
 * one thread at a time, its holder or its worker). */
extern _Thread_local uint32_t gc_tls_pid;
static inline uint32_t gc_current_pid(void)
{
	const rt_mutator *m = rt_tls_mut;
	return m != NULL && m->p != NULL ? m->p->id : gc_tls_pid;
}

void gc_workers_init(mg_runtime *rt);         /* at mg_open: a thread per P > 0 */
void gc_workers_destroy(mg_runtime *rt);      /* at mg_close: joined */
void gc_workers_start_cycle(mg_runtime *rt);  /* at sweep termination: modes, wake */
void gc_workers_end_cycle(mg_runtime *rt);    /* at mark termination: park */
/* gc->p0_req: check in (flush, publish); stop the world and re-check. */
#define GC_P0_CHECKIN 1
#define GC_P0_STOP 2
/* The mutator's check-in during MARK when gc->p0_req is set (the essay). */
void gc_p0_checkin(mg_runtime *rt);
/* A worker's stint: up to budget bytes of P p's work; true when p ran dry. */
bool gc_worker_drain(mg_runtime *rt, gc_p *p, uint64_t budget);
/* Stops every worker between two items and waits until none runs; their
 * buffers stay theirs (the heap check and mark termination read them). */
void gc_workers_stop(mg_runtime *rt);
void gc_workers_resume(mg_runtime *rt);
/* P 0 has run out of mark work: true when no worker runs and no buffer
 * is published either, so that gc_mark_done may stop the world and
 * re-check (with one P: always). */
bool gc_workers_mark_done(mg_runtime *rt);
/* The mutator has no work left but workers are marking: wait until one
 * publishes work or all run dry (with one P: returns at once). */
void gc_workers_wait(mg_runtime *rt);
/* Merges the workers' figures of the cycle into gc->cur (stopped workers). */
void gc_workers_merge(mg_runtime *rt);

/* ---- mark.c ------------------------------------------------------------- */

/* Greys p's object if it is white; true when it did (the barrier study
 * counts these: barrier.c). */
bool gc_shade(mg_runtime *rt, void *p);
bool gc_shade_on(mg_runtime *rt, gc_p *pp, void *p);  /* the same, into P pp's buffers */
/* The root job of the calling thread: its scope roots, and the globals if
 * no thread has scanned them this cycle (gc->globals_scanned). */
void gc_scan_roots(mg_runtime *rt);
/* With the world stopped, into the caller's P: every attached thread's
 * roots (and the globals), those of the threads not yet scanned this
 * cycle, or those of the threads in native code. */
typedef enum gc_roots { GC_ROOTS_ALL, GC_ROOTS_UNSCANNED, GC_ROOTS_NATIVE } gc_roots;
void gc_scan_all_roots(mg_runtime *rt, gc_roots which);
/* The hooked items on the hand-over list, by the thread that stopped the
 * world (gc_mark_done). */
void gc_do_handover(mg_runtime *rt);
/* Whether the calling thread may run the scanned hooks of P p's items:
 * it holds p, and is the only thread attached or has stopped the world
 * (a hook reads a map header that other threads may be writing). */
static inline bool gc_may_hook(mg_runtime *rt, const gc_p *p)
{
	rt_mutator *m = rt_tls_mut;
	return m != NULL && m->rt == rt && m->p == p &&
	       (__atomic_load_n(&rt->nmuts, __ATOMIC_RELAXED) == 1 ||
	        __atomic_load_n(&rt->gc->stw_by, __ATOMIC_RELAXED) == m);
}
bool gc_mark_slice(mg_runtime *rt, uint64_t budget); /* true: no work left */
void gc_drain(mg_runtime *rt);
void gc_assist(mg_runtime *rt, size_t bytes);
void gc_push(mg_runtime *rt, void *obj, uint32_t from);
/* Tagged work items (see the essay).  gc_push_tagged queues obj from
 * element `from` with `tag` (non-zero; GC_TAG_HOOK_ONLY for an object that
 * must not be scanned again, or is noscan); obj is an array whose type has
 * a chunk hook (checked when the item is done, in debug builds).
 * gc_tag_pushed, from a scanned hook only: if the scan of the hooked object
 * pushed obj, gives that item `tag` and returns true. */
void gc_push_tagged(mg_runtime *rt, void *obj, uint32_t from, uint32_t tag);
bool gc_tag_pushed(mg_runtime *rt, const void *obj, uint32_t tag);
/* Iterate pointer fields: calls fn(slot, label-index) for every pointer slot
 * of the object (all elements for arrays). */
void gc_scan_object(mg_runtime *rt, void *obj, uint32_t from, uint32_t to);

/* ---- barrier (barrier.c, inline fast path) ------------------------------ */

/* wb_path values past the modes: the same mode, counted (wbtrace=1). */
#define GC_WB_COUNTED MG_WB_COUNT
void gc_wb_set_path(mg_runtime *rt);    /* at sweep termination, before wb_on */
void gc_wb_slow(mg_runtime *rt, void **slot, void *ptr);
/* Shades what p's barrier buffer holds, into p's work buffers. */
void gc_wb_flush(mg_runtime *rt, gc_p *p);
/* The wb line of cycle c (DESIGN.md §5), right after its gc and map lines. */
void gc_print_wbtrace(mg_runtime *rt, const gc_cycle *c);
void gc_bulk_barrier(mg_runtime *rt, const rt_typeinfo *ti, void *dst, const void *src, size_t n);

/* The pointer-store barrier.  Fast path: one predictable branch when the
 * collector is not marking. */
static inline void gc_store(mg_runtime *rt, void *slot, void *ptr)
{
	if (RT_UNLIKELY(rt->gc->wb_on))
		gc_wb_slow(rt, (void **)slot, ptr);
	/* inv.ptrword-atomic: a worker may be scanning the object (the mov
	 * of a plain store, on x86-64). */
	__atomic_store_n((void **)slot, ptr, __ATOMIC_RELAXED);
}

/* ---- bulk moves of pointer words (inv.ptrword-atomic) ------------------- */

/* A word as the bulk helpers access it.  The words they move are whatever
 * the type holds there (pointers, lengths, integers), so their accesses
 * must not be ordered by type-based alias analysis against the typed
 * accesses around them: may_alias, as memmove's would be. */
typedef void *gc_word __attribute__((may_alias));

/* nwords aligned words from src to dst, each stored with a relaxed atomic
 * store; the areas may overlap (memmove's semantics).  One and two words
 * (a pointer, a string) are read before either is stored, which any
 * overlap allows; longer moves run forward unless dst lies in
 * [src, src + n), memmove's test in one unsigned comparison. */
static inline void gc_copy_ptrwords(void *dst, const void *src, size_t nwords)
{
	gc_word *d = dst;
	const gc_word *s = src;
	if (nwords == 1 || nwords == 2) {
		gc_word w0 = s[0], w1 = nwords == 2 ? s[1] : NULL;
		__atomic_store_n(&d[0], w0, __ATOMIC_RELAXED);
		if (nwords == 2)
			__atomic_store_n(&d[1], w1, __ATOMIC_RELAXED);
		return;
	}
	if ((uintptr_t)d - (uintptr_t)s >= nwords * sizeof *d) {
		for (size_t i = 0; i < nwords; i++)
			__atomic_store_n(&d[i], s[i], __ATOMIC_RELAXED);
	} else {
		for (size_t i = nwords; i-- > 0;)
			__atomic_store_n(&d[i], s[i], __ATOMIC_RELAXED);
	}
}

/* nwords aligned words at dst set to 0, each with a relaxed atomic store. */
static inline void gc_clear_ptrwords(void *dst, size_t nwords)
{
	gc_word *d = dst;
	for (size_t i = 0; i < nwords; i++)
		__atomic_store_n(&d[i], NULL, __ATOMIC_RELAXED);
}

/* Whether a mark worker may be reading heap objects now: only in MARK,
 * and only with workers.  Sweep termination sets MARK before it starts
 * them, and mark termination stops them (gc_workers_stop, under wlock)
 * before anything else runs, so every write outside MARK is ordered
 * before or after every worker read.  Read by the mutator, the only
 * thread that changes the phase. */
static inline bool gc_workers_may_scan(const gc_state *gc)
{
	return gc_phase_of(gc) == GC_MARK && gc->nproc > 1;
}

/* Bulk moves and clears of heap memory, the bytes after gc_bulk_barrier:
 * `bytes` bytes from src to dst (memmove's semantics), or zeroed.  When
 * ptrs (the bytes hold pointer words; then dst, src and bytes are
 * multiples of 8) and a worker may be scanning, word by word; else with
 * the library's wide stores, as a single P always does. */
static inline void gc_bulk_move(const gc_state *gc, bool ptrs, void *dst, const void *src, size_t bytes)
{
	if (ptrs && gc_workers_may_scan(gc))
		gc_copy_ptrwords(dst, src, bytes / sizeof(void *));
	else
		memmove(dst, src, bytes);
}

static inline void gc_bulk_zero(const gc_state *gc, bool ptrs, void *dst, size_t bytes)
{
	if (ptrs && gc_workers_may_scan(gc))
		gc_clear_ptrwords(dst, bytes / sizeof(void *));
	else
		memset(dst, 0, bytes);
}

/* The same for n elements of type ti (pointer words: the type's size is
 * a multiple of 8 when it has any, runtime.c type_validate). */
static inline void gc_typed_move(const gc_state *gc, const rt_typeinfo *ti, void *dst, const void *src, size_t n)
{
	gc_bulk_move(gc, !ti->noscan, dst, src, n * ti->elem_size);
}

static inline void gc_typed_zero(const gc_state *gc, const rt_typeinfo *ti, void *dst, size_t n)
{
	gc_bulk_zero(gc, !ti->noscan, dst, n * ti->elem_size);
}

/* ---- sweep.c ------------------------------------------------------------ */

bool gc_sweep_one(mg_runtime *rt);      /* false: nothing left to sweep (and sweeping ends) */
bool gc_bgsweep_one(mg_runtime *rt);    /* the background sweeper's: one span, false if none */
void gc_ensure_swept(mg_runtime *rt, gc_span *s); /* before reading an in-use span's alloc bits */
void gc_bgsweep_start(mg_runtime *rt);  /* workers.c: P 1's worker sweeps */
void gc_bgsweep_stop(mg_runtime *rt);   /* and stops, its span in flight filed */
void gc_sweep_span(mg_runtime *rt, gc_span *s);
void gc_sweep_all(mg_runtime *rt);
void gc_sweep_proportional(mg_runtime *rt, uint64_t pending); /* pending: bytes about to be allocated */
void gc_sweep_prepare(mg_runtime *rt);   /* at mark termination */
gc_span *gc_sweep_for_class(mg_runtime *rt, uint32_t spanclass);

/* ---- pacer.c ------------------------------------------------------------ */

typedef struct gc_pacer_in {
	uint64_t marked, stacks, globals;
	uint64_t last_heap_scan;
	int gogc;
	int64_t memlimit;
	double cons_mark;         /* <0: no history */
} gc_pacer_in;

typedef struct gc_pacer_out {
	uint64_t goal, trigger;
} gc_pacer_out;

void gc_pacer_compute(const gc_pacer_in *in, gc_pacer_out *out);
void gc_pacer_end_cycle(mg_runtime *rt);
double gc_assist_ratio(mg_runtime *rt);

/* ---- cycle.c ------------------------------------------------------------ */

void gc_maybe_start(mg_runtime *rt);       /* trigger check */
void gc_start_cycle(mg_runtime *rt, bool forced);
void gc_mark_done(mg_runtime *rt);         /* mark work exhausted: terminate */
void gc_full_cycle(mg_runtime *rt, bool forced);
void gc_format_ms(char *buf, size_t n, uint64_t ns);
void gc_on_slice(mg_runtime *rt, uint64_t ns, uint64_t cpu_ns);
/* The gctrace line of cycle c (DESIGN.md §5); gc_cpu_ns is the runtime's
 * collector CPU up to the end of c (the P% figure).  Both backends print
 * through this one function, so their lines cannot differ in format. */
void gc_print_gctrace(mg_runtime *rt, const gc_cycle *c, uint64_t gc_cpu_ns);

/* ---- boehm.c: the libgc backend (DESIGN.md §8; essay in boehm.c) -------- */

/* The dispatch test, one predictable branch: the mapgc entry points that
 * the Boehm backend replaces (gc_alloc, mg_typeof, mg_open, mg_close,
 * mg_gc, mg_read_stats, mg_heap_snapshot) start with it.  The barriers need
 * none: on Boehm gc->wb_on is never set, so gc_store and gc_bulk_barrier
 * take their existing "not marking" path. */
static inline bool gc_is_boehm(const mg_runtime *rt) { return rt->cfg.backend == MG_BACKEND_BOEHM; }

void gc_boehm_open(mg_runtime *rt);        /* after rt_init; sets rt->gc */
void gc_boehm_close(mg_runtime *rt);       /* unregisters the roots: before rt_destroy frees them */
void *gc_boehm_alloc(mg_runtime *rt, rt_typeinfo *ti, bool array, size_t n);
void gc_boehm_gc(mg_runtime *rt);          /* mg_gc: GC_gcollect, a forced cycle */
void gc_boehm_read_stats(mg_runtime *rt, mg_stats *st);
const mg_type *gc_boehm_typeof(mg_runtime *rt, const void *p, size_t *len);
int gc_boehm_snapshot(mg_runtime *rt);     /* unsupported: reports, -1/ENOTSUP */
void gc_boehm_attach(mg_runtime *rt);      /* mg_thread_attach: a registered libgc thread */
void gc_boehm_detach(mg_runtime *rt, rt_mutator *m);

/* ---- snapshot.c --------------------------------------------------------- */

int gc_snapshot_write(mg_runtime *rt, const char *json_path, const char *v8_path);
/* A JSON string literal (quotes and escapes included), for snapshot hooks. */
void gc_json_str(FILE *f, const char *s);
void gc_snapshot_at_mark_done(mg_runtime *rt);

/* ---- verify.c ----------------------------------------------------------- */

/* The stop-the-world re-mark from the roots into checkbits, at mark
 * termination, for gccheckmark=1 (fatal on a reachable unmarked object) and
 * wbtrace=1 (floating garbage into gc->cur.wb), one re-mark for both. */
void gc_remark(mg_runtime *rt);
int gc_heap_check(mg_runtime *rt, FILE *report);
void gc_poison(void *p, size_t n);
void gc_unpoison(void *p, size_t n);

#endif /* MAPGC_GC_H */
