/*
 * mapgc.h — the public API of mapgc, a small managed runtime with a precise,
 * incremental tri-color mark-sweep collector and a Go 1.19-style bucket map.
 *
 * The model, in five sentences.  Every object lives on the collected heap and
 * carries a one-word header naming its type descriptor (mg_type), whose
 * labelled pointer fields are the only places the collector looks for
 * pointers.  Roots are precise: global slots registered with mg_global_root,
 * and scoped slots registered with mg_root between mg_scope_enter and
 * mg_scope_leave (a shadow stack; the C stack is never scanned).  A pointer
 * stored into a heap object must go through mg_store, mg_typed_copy or
 * mg_typed_clear, the write barriers; stores into root slots need none.  A
 * pointer that does not point into the heap is legal and ignored.  Collection
 * happens during allocation and at mg_safepoint, and fully at mg_gc.
 *
 * Names with the mg_ prefix are the API; everything else is internal.  The
 * contract part of this file (see ../shared/DESIGN.md §6) must not change.
 */
#ifndef MAPGC_H
#define MAPGC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MAPGC_BUILDING) && defined(__GNUC__)
#define MG_API __attribute__((visibility("default")))
#else
#define MG_API
#endif

#if defined(__GNUC__)
#define MG_NORETURN __attribute__((noreturn))
#else
#define MG_NORETURN
#endif

typedef struct mg_runtime mg_runtime;

/* ---- configuration ------------------------------------------------------ */

/* Write-barrier modes (DESIGN.md §3).  X-macro: value, name. */
#define MG_BARRIER_LIST(X) \
	X(MG_WB_HYBRID, "hybrid") \
	X(MG_WB_YUASA, "yuasa") \
	X(MG_WB_DIJKSTRA, "dijkstra") \
	X(MG_WB_NONE, "none")

typedef enum mg_barrier {
#define MG_X_ENUM(v, s) v,
	MG_BARRIER_LIST(MG_X_ENUM)
#undef MG_X_ENUM
	MG_WB_COUNT
} mg_barrier;

typedef enum mg_backend { MG_BACKEND_MAPGC, MG_BACKEND_BOEHM } mg_backend;

#define MG_GOGC_OFF (-1)
#define MG_MEMLIMIT_NONE INT64_MAX

typedef struct mg_config {
	int gogc;              /* percent; MG_GOGC_OFF disables automatic cycles */
	int64_t memlimit;      /* bytes; MG_MEMLIMIT_NONE for no limit */
	int gctrace;           /* 1: one gc line per cycle */
	int maptrace;          /* 1: map line per cycle, 2: also map events */
	int checkmark;         /* 1: verify every mark against a stop-the-world re-mark */
	int heapcheck;         /* 1: heap verifier after every mark slice (debug) */
	int stoptheworld;      /* 1: every cycle fully stop-the-world */
	mg_barrier wb;         /* write-barrier mode */
	uint64_t seed;         /* map hash seeds and iteration starts, when seed_set */
	bool seed_set;
	uint64_t gcevery;      /* >0: a full cycle every gcevery allocations */
	uint64_t failalloc;    /* >0: the failalloc-th request for OS memory fails */
	uint64_t heapdump;     /* >0: heap snapshot at the end of that cycle */
	size_t mark_slice;     /* bytes of scan work per mark slice; 0: default */
	int mapitercheck;      /* 1: an iterator used after its map was cleared is fatal */
	const char *heapdump_prefix; /* heapdump=N files: PREFIX-N.json, .heapsnapshot; NULL: "mapgc-heap" */
	mg_backend backend;
	FILE *trace;           /* where trace lines go; NULL: stderr */
	bool ignore_env;       /* true: do not apply MAPGC_* from the environment */
	int wbtrace;           /* 1: count what the write barrier does, measure floating garbage
	                        * (a re-mark per cycle: a study mode, like checkmark), print the wb line */
	int procs;             /* Ps, like GOMAXPROCS (DESIGN.md §9); 0 (or negative): the CPUs this
	                        * process may run on, mg_procs_default().  MAPGC_PROCS=N overrides.
	                        * mg_runtime_config gives the resolved count, 1..MG_PROCS_MAX (a
	                        * larger value is lowered to MG_PROCS_MAX). */
	int smallbuf;          /* gcsmallbuf=1: tiny mark-work and barrier buffers, so that every
	                        * flush path runs constantly (a debug mode) */
} mg_config;

/* The most Ps a runtime runs with.  Each P owns an allocation cache, a pair
 * of mark work buffers and a write-barrier buffer, and may run a mark worker
 * thread, so the cap bounds what a typo (MAPGC_PROCS=20000) can cost in
 * memory and threads; 256 is beyond the CPUs of the machines mapgc is for,
 * and a machine with more gets 256 Ps by default. */
#define MG_PROCS_MAX 256

/* Fill *cfg with the defaults (GOGC 100, hybrid barrier, no tracing). */
MG_API void mg_config_default(mg_config *cfg);

/* Apply MAPGC_DEBUG, MAPGC_GOGC, MAPGC_MEMLIMIT and MAPGC_PROCS from the
 * environment on top of *cfg.  An empty MAPGC_GOGC or MAPGC_MEMLIMIT counts as
 * unset; an empty MAPGC_PROCS is a bad value, as is anything mg_parse_procs
 * refuses.  Unknown keys and bad values are reported on stderr once per
 * process and otherwise ignored.  Returns the number of problems found. */
MG_API int mg_config_from_env(mg_config *cfg);

/* Parse one GODEBUG-style string ("k=v,k=v") into *cfg.  Problems are
 * written to err (if not NULL) one per line; returns their count. */
MG_API int mg_config_parse_debug(mg_config *cfg, const char *s, FILE *err);

/* Parse a GOGC value ("off" or a non-negative integer) / a GOMEMLIMIT value
 * ("off" or an integer with optional B, KiB, MiB, GiB, TiB suffix).
 * Return false (leaving *out unchanged) when the text is malformed. */
MG_API bool mg_parse_gogc(const char *s, int *out);
MG_API bool mg_parse_memlimit(const char *s, int64_t *out);
/* Parse a MAPGC_PROCS value: a decimal integer from 1 to MG_PROCS_MAX, with no
 * sign, space or suffix.  False (leaving *out unchanged) otherwise. */
MG_API bool mg_parse_procs(const char *s, int *out);
/* The number of CPUs this process may run on (sched_getaffinity; if that
 * fails, the online CPUs; else 1), at most MG_PROCS_MAX: what procs = 0
 * resolves to.  Asked again at every call (the affinity may change). */
MG_API int mg_procs_default(void);

/* The MAPGC_DEBUG keys, in the order of the README's table: the i-th key's
 * syntax ("gctrace=1", "wb=hybrid|yuasa|dijkstra|none"), NULL for i past the
 * last.  The parser reads the same table (`mapgc --help` prints it). */
MG_API const char *mg_debug_key_syntax(size_t i);

MG_API const char *mg_barrier_name(mg_barrier b);
MG_API bool mg_barrier_parse(const char *s, mg_barrier *out);

/* ---- runtime lifetime --------------------------------------------------- */

/* NULL: defaults, then MAPGC_* environment.  Otherwise *cfg, then the
 * environment unless cfg->ignore_env.  Never returns NULL: failure to
 * reserve the heap is a fatal error. */
MG_API mg_runtime *mg_open(const mg_config *cfg);
MG_API void mg_close(mg_runtime *rt);
MG_API const mg_config *mg_runtime_config(const mg_runtime *rt);

/* ---- fatal errors and panics -------------------------------------------- */

typedef enum mg_failure { MG_FATAL, MG_PANIC } mg_failure;

/* Called after the message ("fatal error: …" / "panic: …") has been printed.
 * A handler must not return (it longjmps); if it returns, or none is
 * installed, the process exits with status 2, as a Go program does.  After
 * a fatal error the runtime may only be closed, not used.  The handler runs
 * only for failures on the thread that opened the runtime; on any other
 * thread the process exits. */
typedef void (*mg_failure_handler)(void *ud, mg_failure kind, const char *msg);
MG_API void mg_set_failure_handler(mg_runtime *rt, mg_failure_handler fn, void *ud);

MG_API MG_NORETURN void mg_fatal(mg_runtime *rt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
MG_API MG_NORETURN void mg_panic(mg_runtime *rt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- types -------------------------------------------------------------- */

/* A pointer field of a type: its byte offset and the label that traces,
 * snapshots and checkmark paths print for the edge. */
typedef struct mg_field {
	size_t offset;
	const char *label;
} mg_field;

/* Called by the collector each time it has scanned an object of the type
 * (len is the array length, 1 for a single object).  Used by maptype to
 * gather per-cycle statistics without the gc knowing about maps.  It must
 * not allocate or store pointers. */
typedef void (*mg_scan_hook)(mg_runtime *rt, const void *obj, size_t len, void *ud);

typedef struct mg_type {
	const char *name;
	size_t size;            /* bytes of one element, a multiple of align */
	size_t align;           /* 1, 2, 4 or 8 */
	const mg_field *ptrs;   /* pointer fields, ascending offsets; may be NULL */
	size_t nptrs;
	mg_scan_hook scanned;   /* optional */
	void *hook_ud;
} mg_type;

extern MG_API const mg_type mg_type_int64, mg_type_string, mg_type_ptr, mg_type_bytes;

/* ---- roots -------------------------------------------------------------- */

typedef struct mg_scope {
	size_t base;   /* root-stack height at mg_scope_enter */
	struct mg_scope *prev;
} mg_scope;

MG_API void mg_scope_enter(mg_runtime *rt, mg_scope *s);
/* slot: the address of a pointer variable (void **, T **, or an mg_string). */
MG_API void mg_root(mg_runtime *rt, void *slot, const char *name);
MG_API void mg_scope_leave(mg_runtime *rt, mg_scope *s);

/* Global roots live until mg_global_unroot or mg_close. */
MG_API void mg_global_root(mg_runtime *rt, void *slot, const char *name);
MG_API void mg_global_unroot(mg_runtime *rt, void *slot);

/* ---- allocation --------------------------------------------------------- */

/* All return zeroed memory, aligned to 8 bytes.  Out of memory is a fatal
 * error ("fatal error: out of memory"). */
MG_API void *mg_alloc(mg_runtime *rt, const mg_type *t);
MG_API void *mg_alloc_array(mg_runtime *rt, const mg_type *elem, size_t n);
MG_API void *mg_alloc_bytes(mg_runtime *rt, size_t n);   /* pointer-free */

typedef struct mg_string {
	const char *ptr;
	size_t len;
} mg_string;
MG_API mg_string mg_string_new(mg_runtime *rt, const char *bytes, size_t len);

/* The type and array length of a heap object (any pointer into it); NULL
 * when p does not point into a live heap object. */
MG_API const mg_type *mg_typeof(mg_runtime *rt, const void *p, size_t *len);

/* ---- write barriers ----------------------------------------------------- */

/* *(void **)slot = ptr, through the barrier. */
MG_API void mg_store(mg_runtime *rt, void *slot, void *ptr);
/* Copy / zero n elements of type t, through the barrier (memmove semantics). */
MG_API void mg_typed_copy(mg_runtime *rt, const mg_type *t, void *dst, const void *src, size_t n);
MG_API void mg_typed_clear(mg_runtime *rt, const mg_type *t, void *dst, size_t n);

/* ---- collection --------------------------------------------------------- */

MG_API void mg_gc(mg_runtime *rt);            /* a full, forced cycle, then a full sweep */
MG_API void mg_safepoint(mg_runtime *rt);     /* lets the collector do a bounded slice of work */

/* ---- threads (DESIGN.md §9) ---------------------------------------------
 * Every thread that touches the heap is attached: mg_open attaches its
 * caller, mg_thread_attach any other (threads are numbered 1, 2, … in
 * attach order), mg_thread_detach before it exits, with no scope entered.
 * A heap call from a thread that is not attached is a fatal error.  An
 * attached thread holds one of the runtime's MAPGC_PROCS Ps while it runs;
 * more threads than Ps wait for one (at attach, and on leaving native
 * code).  Stopping the world waits for every thread to reach a safepoint:
 * an allocation, mg_safepoint or a scope exit; a thread that runs long
 * without one, or blocks, must say so with mg_enter_native (it then holds
 * no P and touches no heap object) and mg_leave_native (which waits while
 * the world is stopped).  mg_mutex_lock locks a mutex that way.  Debug
 * builds report a stop that has waited over 1 s, naming the thread.  With
 * several threads, stores into global roots go through mg_store too. */
MG_API void mg_thread_attach(mg_runtime *rt);
MG_API void mg_thread_detach(mg_runtime *rt);
MG_API void mg_enter_native(mg_runtime *rt);
MG_API void mg_leave_native(mg_runtime *rt);
MG_API void mg_mutex_lock(mg_runtime *rt, pthread_mutex_t *mu);

/* The barrier study (MAPGC_DEBUG=wbtrace=1; DESIGN.md §5, the wb line):
 * what the write barrier did in a cycle.  X(field, key, shift, what), in
 * the order of the wb line: mg_wbstats.field counts it, the wb line prints
 * it as key=(field >> shift), and `mapgc trace` reads key back, so the
 * printer, the reader and its JSON all come from this one list.  Counted
 * only under wbtrace=1 (0 otherwise); gc/barrier.c's essay says exactly
 * what each counter counts. */
#define MG_WBSTATS_LIST(X) \
	X(slow, "slow", 0, "barrier calls that took the slow path while marking (one per pointer slot)") \
	X(shaded_old, "shaded_old", 0, "objects greyed by the deletion half (the old value)") \
	X(shaded_new, "shaded_new", 0, "objects greyed by the insertion half (the new value)") \
	X(buffered, "buffered", 0, "barrier records that went through a per-thread buffer") \
	X(flushes, "flushes", 0, "barrier buffer flushes") \
	X(rescan_bytes, "rescan_kb", 10, "root bytes re-scanned at mark termination (KiB in the line)") \
	X(floating_bytes, "floating_kb", 10, "floating garbage: bytes marked that a re-mark from the roots does not reach (KiB in the line)")

typedef struct mg_wbstats {
#define MG_X_FIELD(field, key, shift, what) uint64_t field;
	MG_WBSTATS_LIST(MG_X_FIELD)
#undef MG_X_FIELD
} mg_wbstats;

typedef struct mg_stats {
	uint64_t cycles;            /* completed cycles */
	uint64_t forced_cycles;
	uint64_t pause_total_ns;    /* stop-the-world, all cycles */
	uint64_t pause_max_ns;
	uint64_t mark_slice_max_ns; /* longest incremental mark slice, wall time */
	uint64_t mark_slices;
	uint64_t heap_inuse;        /* bytes in allocated objects (headers included), not
	                               counting those the last mark found dead (Go's heapLive) */
	uint64_t heap_marked;       /* live bytes at the end of the last mark */
	uint64_t heap_goal;
	uint64_t heap_trigger;
	uint64_t heap_mapped;       /* bytes obtained from the OS and not released */
	uint64_t heap_released;     /* bytes returned to the OS, total */
	uint64_t gc_cpu_ns;         /* CPU time spent in the collector */
	uint64_t assist_cpu_ns, background_cpu_ns;
	uint64_t total_alloc;       /* bytes ever allocated */
	uint64_t total_objects;     /* objects ever allocated */
	uint64_t freed_objects;     /* objects ever swept free */
	uint64_t os_requests;       /* requests for memory from the OS */
	int phase;                  /* current gc phase, see mg_phase_name */
	uint64_t mark_slice_max_cpu_ns; /* longest mark slice in CPU time (not inflated by preemption) */
	mg_wbstats wb;              /* wbtrace=1: totals over the completed cycles; else 0 */
	uint64_t wbtrace_wall_ns;   /* wbtrace=1: wall and CPU time of its re-marks, which no other */
	uint64_t wbtrace_cpu_ns;    /*   figure includes (pauses, gc_cpu_ns, the gc line) */
	/* Mark CPU time by kind (DESIGN.md §9), summed over the completed
	 * cycles.  background_cpu_ns above is the gctrace F (the mutator's
	 * own non-assist marking, dedicated and fractional workers), idle_cpu_ns
	 * its G; gc_cpu_ns includes all of them. */
	uint64_t idle_cpu_ns;
	uint64_t dedicated_cpu_ns, fractional_cpu_ns;
	uint64_t mutator_mark_cpu_ns; /* marking on mutator threads: assists and safepoint slices */
	uint64_t worker_mark_cpu_ns;  /* marking on the mark worker threads, every mode */
	uint64_t mark_done_restarts;  /* end-of-mark re-checks that found work (Go #27993) */
	uint64_t p_yields;            /* Ps given up at a safepoint to a thread waiting for one */
	uint32_t procs;               /* Ps (MAPGC_PROCS) */
} mg_stats;

MG_API void mg_read_stats(mg_runtime *rt, mg_stats *st);

/* Progress: fn is called from mg_safepoint at most once every interval_ns,
 * with the number of safepoints so far (stress workloads make one per op).
 * It runs on the mutator, outside the collector, and may print but not
 * allocate.  NULL removes it. */
typedef void (*mg_progress_fn)(mg_runtime *rt, uint64_t safepoints, void *ud);
MG_API void mg_set_progress(mg_runtime *rt, mg_progress_fn fn, void *ud, uint64_t interval_ns);

/* Called just before each trace line is written (gctrace, maptrace, map
 * events) and before a fatal error or panic message, e.g. to clear a
 * progress line on the same terminal first. */
typedef void (*mg_trace_hook)(mg_runtime *rt, void *ud);
MG_API void mg_set_trace_hook(mg_runtime *rt, mg_trace_hook fn, void *ud);

/* Heap snapshots (schema: docs in gc/snapshot.c).  Runs a full forced cycle
 * and writes, at its mark termination, every live object with its type,
 * size and labelled outgoing edges, and every root with its name and kind:
 * as JSON to json_path and as a V8 .heapsnapshot (Chrome DevTools, Memory
 * tab) to v8_path.  Either path may be NULL.  Returns 0, or -1 with errno
 * set when a file cannot be written (the heap is unaffected).
 * MAPGC_DEBUG=heapdump=N does the same at the end of cycle N, writing
 * mapgc-heap-N.json and mapgc-heap-N.heapsnapshot (prefix: heapdump_prefix). */
MG_API int mg_heap_snapshot(mg_runtime *rt, const char *json_path, const char *v8_path);
MG_API const char *mg_phase_name(int phase);

/* ---- maps (DESIGN.md §4): Go 1.19's bucket map on the collected heap ---- */

typedef struct mg_maptype mg_maptype;   /* map[key]elem; one per (key, elem), cached */
typedef struct mg_hmap mg_hmap;         /* a heap object: root it */
typedef struct mg_hiter mg_hiter;       /* a heap object: root it */

/* Key equality is by value: int64 and pointers by ==, strings by content,
 * other types bytewise (pointer fields by identity).  Keys or elems over
 * 128 bytes are stored indirectly, as in Go. */
MG_API const mg_maptype *mg_maptype_get(mg_runtime *rt, const mg_type *key, const mg_type *elem);
MG_API mg_hmap *mg_map_new(mg_runtime *rt, const mg_maptype *t, size_t hint);
/* m == NULL panics: "assignment to entry in nil map". */
MG_API void mg_map_set(mg_runtime *rt, mg_hmap *m, const void *key, const void *elem);
/* Comma-ok lookup; elem_out may be NULL.  On a miss in a map elem_out is
 * zeroed; a NULL map is an empty map whose elem size is unknown, so then
 * elem_out is left alone. */
MG_API bool mg_map_get(mg_runtime *rt, mg_hmap *m, const void *key, void *elem_out);
MG_API void mg_map_delete(mg_runtime *rt, mg_hmap *m, const void *key);
MG_API size_t mg_map_len(const mg_hmap *m);
MG_API void mg_map_clear(mg_runtime *rt, mg_hmap *m);
/* Iteration in Go's order: a random start bucket and offset.  The map type
 * is needed for a nil map, so it is taken from the map; for m == NULL the
 * iterator is empty. */
MG_API mg_hiter *mg_map_iter(mg_runtime *rt, mg_hmap *m);
MG_API bool mg_map_next(mg_runtime *rt, mg_hiter *it, void *key_out, void *elem_out);

/* Introspection, for tests, traces and tools. */
typedef struct mg_mapinfo {
	uint32_t id;            /* counts from 1 in order of creation */
	size_t count;
	unsigned B;             /* log2 of the bucket count */
	unsigned flags;         /* iterator 1, oldIterator 2, hashWriting 4, sameSizeGrow 8 */
	uint32_t hash0;
	unsigned noverflow;     /* Go's approximate overflow-bucket count */
	bool growing, same_size;
	size_t nbuckets;        /* 2^B */
	size_t noldbuckets;     /* while growing */
	size_t nevacuate;       /* old buckets below this are evacuated */
	size_t bucket_size;     /* bytes per bucket */
	bool noscan;            /* buckets hold no pointers */
} mg_mapinfo;

MG_API void mg_map_info(const mg_hmap *m, mg_mapinfo *out);
/* The map verifier: every filled cell findable, count exact, tophash
 * matches, evacuation marks consistent with nevacuate, chains acyclic,
 * noscan overflow buckets registered, deleted cells zeroed.  Reports
 * violations to `report` (may be NULL) and returns their count. */
MG_API int mg_map_check(mg_runtime *rt, const mg_hmap *m, FILE *report);

#ifdef __cplusplus
}
#endif
#endif /* MAPGC_H */
