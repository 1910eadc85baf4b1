/*
 * rt.h — the runtime base layer: the runtime instance, mutator state, roots,
 * type registry, clocks, failures and the trace sink.
 *
 * Layering (DESIGN.md §1): maptype → gc → runtime.  This layer knows nothing
 * of spans or marking; it owns what every layer above needs to agree on.
 *
 * Type registry.  Heap objects name their type by a 24-bit id in their
 * header (see gc/heap.h, inv.hdr-type), so every mg_type that is allocated is
 * registered once and gets an rt_typeinfo, which caches what the collector's
 * hot loops want (element size, noscan, pointer offsets).  Lookup from an
 * mg_type * goes through a small open-addressed table keyed by address.
 *
 * Roots.  A mutator owns a growable root stack of {slot, name}; a scope
 * remembers the height at entry (inv.scope-lifo: scopes leave in reverse
 * order of entry, checked).  Global roots are a separate growable array.
 * Both are scanned precisely at the start of mark; nothing on the C stack is.
 *
 * Mutators.  Everything a mutating thread touches on the fast paths — its
 * root stack, assist debt, its P (allocation cache, barrier buffer) — lives
 * in its rt_mutator, one per attached thread (mg_thread_attach; mg_open
 * attaches its caller), reached through thread-local storage (rt_self) and
 * listed in the runtime in attach order.  The list and the threads' states
 * are the scheduler's (gc/sched.c, DESIGN.md §9); this layer allocates and
 * frees the structs and answers "which mutator is this thread".
 */
#ifndef MAPGC_RT_H
#define MAPGC_RT_H

#include "mapgc.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

#define RT_LIKELY(x) __builtin_expect(!!(x), 1)
#define RT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- type registry ------------------------------------------------------ */

#define RT_TYPE_MAX (1u << 24) /* ids fit the header's type field */

/* Writes extra members for an object into a heap snapshot: a JSON fragment
 * of `"key": value` pairs, no braces, no leading comma (maptype annotates
 * its maps this way; the gc stays ignorant of what they mean). */
typedef void (*rt_describe_fn)(mg_runtime *rt, const void *obj, size_t len, FILE *out);

/* The chunk hook of an array type: called by the marker for every chunk
 * [from, to) of an array of the type that it scans (single objects of the
 * type are only scanned), and of a hook-only
 * item (gc/gc.h, TAGGED WORK ITEMS), with the item's tag (0: untagged);
 * returns the bytes of work it did, which count toward the mark slice's
 * budget.  It runs inside the
 * collector: no allocation on the heap, no pointer stores. */
typedef uint64_t (*rt_chunk_fn)(mg_runtime *rt, void *arr, uint32_t len, uint32_t from, uint32_t to, uint32_t tag,
                                void *ud);

typedef struct rt_typeinfo {
	const mg_type *t;
	rt_describe_fn describe; /* optional, set by the layer that owns the type */
	rt_chunk_fn chunk;       /* optional, likewise: see rt_chunk_fn */
	void *chunk_ud;
	uint32_t id;
	uint32_t elem_size;     /* t->size */
	uint32_t nptrs;
	bool noscan;            /* nptrs == 0 */
	uint32_t *offs;         /* pointer-field offsets, ascending */
} rt_typeinfo;

typedef struct rt_retired {
	struct rt_retired *next;
	struct rt_typeinfo **v;
} rt_retired;

/* The address table: open addressing, type address → id.  Any thread
 * looks types up without a lock (every allocation does): an entry's id is
 * written before its key is published (release), a grown table is a new
 * one published whole, and outgrown tables are kept until close. */
typedef struct rt_typetab {
	struct rt_typetab *retired;
	uint32_t cap;           /* power of two */
	struct {
		const mg_type *key; /* read with acquire */
		uint32_t id;
	} e[];
} rt_typetab;

typedef struct rt_types {
	rt_typeinfo **byid;     /* index = id; id 0 is never used; read with acquire (workers) */
	uint32_t n, cap;
	rt_retired *retired;    /* arrays byid outgrew, freed at close */
	rt_typetab *tab;        /* read with acquire */
	pthread_mutex_t lock;   /* registration */
} rt_types;

/* ---- roots -------------------------------------------------------------- */

typedef struct rt_root {
	void **slot;
	const char *name;
} rt_root;

typedef struct rt_rootstack {
	rt_root *v;
	size_t n, cap;
} rt_rootstack;

/* ---- mutator ------------------------------------------------------------ */

struct gc_mcache;

/* What an attached thread is doing, for the scheduler (gc/sched.c). */
typedef enum rt_mstate {
	RT_M_RUNNING,  /* holds a P, runs managed code */
	RT_M_STOPPED,  /* holds a P, parked at a safepoint while the world is stopped */
	RT_M_NATIVE,   /* holds no P: in native code (mg_enter_native) or waiting for a P */
} rt_mstate;

typedef struct rt_mutator {
	_Alignas(64) struct mg_runtime *rt;
	struct rt_mutator *next; /* the runtime's list, in attach order */
	uint32_t id;             /* 1, 2, …: attach order (DESIGN.md §7 "thread T") */
	uint32_t nscopes;        /* open scopes (detach checks) */
	uint64_t safepoints;     /* mg_safepoint calls, for progress */
	rt_rootstack stack;      /* scope roots (the "stacks" of gctrace) */
	mg_scope *scope;         /* innermost open scope */
	int64_t assist_debt;     /* scan-work bytes owed to the marker; <0 is credit */
	bool roots_scanned;      /* this cycle; hybrid barrier shades new values until set */
	bool in_gc;              /* this thread runs collector work (the reentrancy guard) */
	uint8_t state;           /* rt_mstate (gc/sched.c; under its lock) */
	struct gc_p *p;          /* the P this thread holds (gc/), NULL on Boehm */
	uint64_t p_since;        /* monotonic ns when it took the P (time slices) */
	uint64_t native_since;   /* monotonic ns when it entered native code */
	uint32_t safepoint_tick; /* amortises clock reads at safepoints */
	uint64_t rand_state;     /* this thread's PRNG (map seeds, iteration starts) */
	uint64_t mark_cpu;       /* ns of marking this cycle (safepoint share, gc/cycle.c) */
	const char *doing;       /* its last map operation, for misuse reports (atomic) */
	const void *doing_map;   /* and its map (atomic) */
	bool boehm_registered;   /* the Boehm backend registered the thread with libgc */
	pthread_t thread;
} rt_mutator;

/* ---- the runtime -------------------------------------------------------- */

struct gc_state;

struct mg_runtime {
	mg_config cfg;
	FILE *trace;
	rt_types types;
	rt_rootstack globals;
	rt_mutator *muts;           /* attached threads, in attach order: changed under muts_lock
	                             * (and the scheduler's lock, gc/sched.c); walked under either,
	                             * or with the world stopped */
	pthread_mutex_t muts_lock;
	uint32_t nmuts;             /* attached now */
	uint32_t next_mid;          /* the last id given */
	int poll;                   /* atomic: non-zero when threads must stop at a safepoint */
	void (*poll_slow)(mg_runtime *rt); /* the safepoint's slow path (gc/sched.c) */
	pthread_mutex_t trace_lock; /* one writer of trace lines */
	struct gc_state *gc;        /* owned by gc/ */
	uint64_t start_ns;          /* monotonic clock at mg_open */
	uint64_t start_cpu_ns;      /* process CPU clock at mg_open */
	mg_failure_handler on_fail; /* called on the opener's thread only */
	pthread_t opener;
	void *on_fail_ud;
	/* Set by the layer that owns the heap: its last act before a fatal
	 * error's _exit (gc/: under Valgrind, the heap's objects stop being
	 * Memcheck chunks, as at mg_close). */
	void (*before_fatal_exit)(mg_runtime *rt);
	bool failed;                /* a fatal error happened; only mg_close is allowed */
	struct rt_ext *exts;        /* per-layer extensions, destroyed at close */
	struct rt_cycle_hook *cycle_hooks;
	mg_trace_hook trace_hook;   /* before each trace line */
	void *trace_hook_ud;
	mg_progress_fn progress;    /* from safepoints, see mg_set_progress */
	void *progress_ud;
	uint64_t progress_every;    /* ns */
	uint64_t progress_next;     /* monotonic ns of the next call */
	uint64_t rand_seed;         /* cfg.seed when set; thread k's PRNG starts from it and k */
};

/* Cycle events, for layers above the collector (maptrace): the gc calls
 * every registered hook at these points of each cycle. */
typedef enum rt_cycle_event {
	RT_CYCLE_MARK_START,  /* world stopped, marking about to begin */
	RT_CYCLE_MARK_DONE,   /* world stopped, marking complete, nothing swept */
	RT_CYCLE_END,         /* after the gc trace line */
} rt_cycle_event;

typedef void (*rt_cycle_fn)(mg_runtime *rt, rt_cycle_event ev, uint32_t cycle, void *ud);

typedef struct rt_cycle_hook {
	struct rt_cycle_hook *next;
	rt_cycle_fn fn;
	void *ud;
} rt_cycle_hook;

void rt_cycle_hook_add(mg_runtime *rt, rt_cycle_fn fn, void *ud);
static inline void rt_cycle_hooks_run(mg_runtime *rt, rt_cycle_event ev, uint32_t cycle)
{
	for (rt_cycle_hook *h = rt->cycle_hooks; h; h = h->next)
		h->fn(rt, ev, cycle, h->ud);
}

/* Layers above the collector register, once per process (from a
 * constructor), a function that attaches them to every new runtime;
 * mg_open calls them last.  The arrows stay one way: the runtime holds
 * function pointers, it includes nothing from above. */
void rt_layer_register(void (*attach)(mg_runtime *rt));
void rt_layers_attach(mg_runtime *rt);

/* Layers above store their per-runtime state as extensions. */
typedef struct rt_ext {
	struct rt_ext *next;
	const void *key;
	void *data;
	void (*destroy)(mg_runtime *rt, void *data);
} rt_ext;

void *rt_ext_get(mg_runtime *rt, const void *key);
void rt_ext_put(mg_runtime *rt, const void *key, void *data, void (*destroy)(mg_runtime *, void *));

/* Runtime part of mg_open / mg_close; gc/ wraps these. */
void rt_init(mg_runtime *rt, const mg_config *cfg);
void rt_destroy(mg_runtime *rt);

rt_typeinfo *rt_type_register(mg_runtime *rt, const mg_type *t);
static inline rt_typeinfo *rt_type_byid(const mg_runtime *rt, uint32_t id)
{
	return __atomic_load_n(&rt->types.byid, __ATOMIC_ACQUIRE)[id];
}
rt_typeinfo *rt_type_lookup(mg_runtime *rt, const mg_type *t);

/* ---- threads ----------------------------------------------------------- */

/* The calling thread's mutator of the runtime it last used. */
extern _Thread_local rt_mutator *rt_tls_mut;
/* rt_self's slow path: finds the thread's mutator of rt (a thread may be
 * attached to several runtimes), fatal when there is none. */
rt_mutator *rt_self_slow(mg_runtime *rt);
static inline rt_mutator *rt_self(mg_runtime *rt)
{
	rt_mutator *m = rt_tls_mut;
	if (RT_LIKELY(m != NULL && m->rt == rt))
		return m;
	return rt_self_slow(rt);
}
/* The same, NULL for a thread not attached. */
rt_mutator *rt_self_or_null(mg_runtime *rt);
/* A new mutator for the calling thread, at the list's end, and its TLS;
 * the caller holds the list's lock (gc/sched.c) or is mg_open. */
rt_mutator *rt_mutator_new(mg_runtime *rt);
/* Off the list (same lock) and freed. */
void rt_mutator_free(mg_runtime *rt, rt_mutator *m);

/* A safepoint's test: one load of a word that is 0 unless the world is
 * being stopped. */
static inline void rt_poll(mg_runtime *rt)
{
	if (RT_UNLIKELY(__atomic_load_n(&rt->poll, __ATOMIC_RELAXED)))
		rt->poll_slow(rt);
}

/* Splitmix64: the runtime's PRNG (map seeds, iteration starts), one
 * stream per thread. */
uint64_t rt_rand(mg_runtime *rt);
static inline uint64_t rt_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- failures ----------------------------------------------------------- */

/* True on the collector's own threads (mark workers): their fatal errors
 * skip the failure handler and the trace hook, which are the mutator's. */
extern _Thread_local bool rt_collector_thread;
MG_NORETURN void rt_fatalv(mg_runtime *rt, mg_failure kind, const char *fmt, va_list ap);
/* For failures whose message has detail lines after it: the caller has
 * printed everything ("fatal error: …" first); this runs the handler or exits. */
MG_NORETURN void rt_fail_printed(mg_runtime *rt, mg_failure kind, const char *msg);
/* "fatal error: out of memory", with the request that failed on the next line. */
MG_NORETURN void rt_out_of_memory(mg_runtime *rt, size_t request);
/* Detail lines before a fatal error ("runtime: …"), to stderr. */
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- clocks ------------------------------------------------------------- */

static inline uint64_t rt_nanotime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of the calling thread: the collector runs on mutator threads. */
static inline uint64_t rt_cputime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- trace sink --------------------------------------------------------- */

/* Progress (mg_set_progress): called from mg_safepoint every 64th call. */
void rt_progress_tick(mg_runtime *rt);

/* One whole trace line (the caller gives the trailing newline). */
void rt_trace_line(mg_runtime *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* MAPGC_RT_H */
