/*
 * stress.h — `mapgc stress`: the driver and the workload interface.
 *
 * A workload is a deterministic mutator: given a seed, an operation count
 * and a live size it builds a heap, mutates it through the public API
 * (every pointer store into the heap through mg_store / mg_typed_copy /
 * mg_typed_clear, locals that must survive an allocation in mg_root'ed
 * slots), and returns a 64-bit checksum of what it built.  The driver owns
 * everything else: option parsing, building the mg_config, opening and
 * closing the runtime, timing, the summary and the `result` line.
 *
 * Invariants every workload keeps:
 *  - inv.seed-only: every decision is drawn from the stress_rng seeded by
 *    the driver; nothing depends on addresses, time, or the collector (its
 *    phase, statistics, when it runs).  Hence the checksum is the same for
 *    every barrier, GOGC, GC mode and backend (DESIGN.md §7), and a run is
 *    repeated exactly by passing its printed seed back with --seed.
 *  - inv.safepoint: stress_tick (mg_safepoint, and with --threads the
 *    shared maps' turn: stress_threads.c) is called once per operation, so
 *    the collector gets a slice of work between operations even when an
 *    operation does not allocate.
 *  - inv.checksum-pure: computing the checksum neither allocates nor
 *    reaches a safepoint, so no collection runs while it walks the heap.
 *
 * Adding a workload: write stress_NAME.c defining
 *     const stress_workload stress_workload_NAME = { … };
 * and add X(NAME) to STRESS_WORKLOAD_LIST below (the list is what the
 * driver's table and --list are generated from; its order is --list order).
 */
#ifndef MAPGC_TOOLS_STRESS_H
#define MAPGC_TOOLS_STRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/mapgc.h"

/* ---- workload interface -------------------------------------------------- */

typedef struct stress_params {
	uint64_t seed;   /* seeds the workload's stress_rng */
	uint64_t ops;    /* operations to perform after setup */
	uint64_t live;   /* workload-defined size of the live set (nodes, entries) */
	uint32_t threads; /* --threads: mutator threads, each running the workload (1: the plain run) */
} stress_params;

typedef struct stress_result {
	uint64_t checksum;   /* digest of the final state (inv.seed-only) */
	uint64_t live_end;   /* size of the live set at the end, same unit as live */
} stress_result;

typedef struct stress_workload {
	const char *name;          /* as typed on the command line */
	const char *description;   /* one paragraph, for --list; no trailing newline */
	uint64_t default_ops;
	uint64_t default_live;
	stress_result (*run)(mg_runtime *rt, const stress_params *p);
	/* A misuse on purpose (map-race): it ends in a fatal error, so it has
	 * no checksum to compare; --list says so, the soak and --threads leave
	 * it out. */
	bool misuse;
} stress_workload;

/* The built-in workloads, by C identifier (stress_workload_ID). */
#define STRESS_WORKLOAD_LIST(X) \
	X(graph) \
	X(grow_iterate) \
	X(churn) \
	X(delete_all) \
	X(ptr_values) \
	X(string_keys) \
	X(big_values) \
	X(noptr) \
	X(many_maps) \
	X(map_race)

/* The safepoint of every operation (inv.safepoint): mg_safepoint, and on
 * a thread of a --threads run, every 16th call, one operation on the
 * threads' shared maps under their lock (stress_threads.c). */
void stress_tick(mg_runtime *rt);
/* --threads N > 1: N attached threads run w, each with seed + its index,
 * sharing two maps; the combined result (stress_threads.c). */
stress_result stress_run_threads(const stress_workload *w, mg_runtime *rt, const stress_params *p);

#define STRESS_X_DECLARE(id) extern const stress_workload stress_workload_##id;
STRESS_WORKLOAD_LIST(STRESS_X_DECLARE)
#undef STRESS_X_DECLARE

/* ---- deterministic randomness --------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): one add and a strong finaliser per
 * draw, any seed (0 included) is good, and the sequence is fixed forever,
 * which inv.seed-only needs more than it needs speed or period. */
typedef struct stress_rng {
	uint64_t state;
} stress_rng;

/* The splitmix64 finaliser: a bijective 64-bit mix with full avalanche. */
static inline uint64_t
stress_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t
stress_rng_next(stress_rng *r)
{
	r->state += UINT64_C(0x9e3779b97f4a7c15);
	return stress_mix64(r->state);
}

/* A draw in [0, n), n > 0.  Plain modulo: its bias is below n / 2^64, far
 * under anything a stress run can notice, and it keeps the sequence simple
 * to reproduce in other languages. */
static inline uint64_t
stress_rng_below(stress_rng *r, uint64_t n)
{
	return stress_rng_next(r) % n;
}

/* ---- checksums ------------------------------------------------------------ */

/* A strong mix of one (key, elem) pair; map workloads sum these, so their
 * checksums do not depend on iteration order or on the map's hash seed. */
static inline uint64_t
stress_pair(uint64_t k, uint64_t v)
{
	return stress_mix64(stress_mix64(k ^ UINT64_C(0x243f6a8885a308d3)) + v);
}

/* An order-sensitive digest of a sequence of 64-bit words.  Each word is
 * mixed before it is folded in and the state is mixed after, so equal words
 * in different positions, and permutations, give different digests. */
typedef struct stress_digest {
	uint64_t h;
	uint64_t n;   /* words added */
} stress_digest;

static inline void
stress_digest_init(stress_digest *d)
{
	d->h = UINT64_C(0x6a09e667f3bcc908);   /* frac(sqrt 2): any non-zero start */
	d->n = 0;
}

static inline void
stress_digest_add(stress_digest *d, uint64_t w)
{
	d->h = stress_mix64(d->h ^ stress_mix64(w + UINT64_C(0x9e3779b97f4a7c15)));
	d->n++;
}

static inline uint64_t
stress_digest_final(const stress_digest *d)
{
	return stress_mix64(d->h ^ d->n);
}

#endif /* MAPGC_TOOLS_STRESS_H */
