/*
 * stress_threads.c — `mapgc stress WORKLOAD --threads N` (DESIGN.md §7, §9).
 *
 * N mutator threads, each attached to the one runtime, each running the
 * whole workload on its own maps with its own seed (seed + thread index,
 * from 0), so thread t's part is exactly the single-threaded run with that
 * seed.  Besides, the threads share two maps — map[int64]string and
 * map[int64]*leaf — and an iterator over the first, global roots stored
 * through mg_store: every 16th safepoint of a workload (stress_tick), a
 * thread takes the shared lock with mg_mutex_lock and does one operation,
 * drawn from its own generator: set or delete one of its 1024 keys,
 * restart the shared iterator or advance it.  Keys carry the thread in their top bits, so what the shared maps
 * hold at the end depends on each thread's own sequence only, never on the
 * interleaving; the iterator's steps only read.
 *
 * The checksum for N > 1 is a digest of the N threads' checksums in thread
 * order and of the shared maps' contents (an order-free sum of pairs), so
 * it is the same for every interleaving, every MAPGC_PROCS, barrier and
 * backend, given the same N.  N = 1 is the plain run: no shared maps, the
 * checksum as before.
 *
 * The opening thread waits for the others in native code, so it never
 * stalls a stop of the world.
 */
#include "stress.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct stress_leaf {
	int64_t v;
} stress_leaf;

static const mg_type stress_leaf_type = {"stress.leaf", sizeof(stress_leaf), 8, NULL, 0, NULL, NULL};

typedef struct stress_shared {
	mg_runtime *rt;
	pthread_mutex_t mu;
	mg_hmap *strs, *ptrs;    /* global roots */
	mg_hiter *it;            /* global root: an iterator over strs */
	const mg_maptype *strs_t, *ptrs_t;
} stress_shared;

typedef struct stress_thread {
	_Alignas(64) stress_shared *sh; /* a line of its own: tick changes at every operation */
	const stress_workload *w;
	stress_params p;
	uint32_t index;          /* 0 … N-1 */
	stress_rng rng;          /* the shared operations' own generator */
	uint64_t tick;
	stress_result res;
} stress_thread;

static _Thread_local stress_thread *stress_self;

/* Thread t's key number i. */
static int64_t
shared_key(const stress_thread *t, uint64_t i)
{
	return (int64_t)(((uint64_t)t->index << 40) | i);
}

static void
shared_put(stress_thread *t, int64_t k)
{
	stress_shared *sh = t->sh;
	mg_runtime *rt = sh->rt;
	char buf[48];
	int n = snprintf(buf, sizeof buf, "t%" PRIu32 ":%" PRId64 ":%" PRIu64, t->index, k, t->tick);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_string str = mg_string_new(rt, buf, (size_t)n);
	mg_root(rt, (void *)&str.ptr, "shared.str");
	stress_leaf *leaf = mg_alloc(rt, &stress_leaf_type);
	mg_root(rt, &leaf, "shared.leaf");
	leaf->v = (int64_t)stress_mix64((uint64_t)k ^ t->tick);
	mg_map_set(rt, sh->strs, &k, &str);
	mg_map_set(rt, sh->ptrs, &k, &leaf);
	mg_scope_leave(rt, &s);
}

/* Keys per thread in the shared maps: they stay small beside the
 * workloads' own (at most N × this many entries). */
#define SHARED_KEYS 1024

/* One shared operation, under the shared lock. */
static void
shared_op(stress_thread *t)
{
	stress_shared *sh = t->sh;
	mg_runtime *rt = sh->rt;
	mg_mutex_lock(rt, &sh->mu);
	uint64_t r = stress_rng_below(&t->rng, 100);
	int64_t k = shared_key(t, stress_rng_below(&t->rng, SHARED_KEYS));
	if (r < 60) {
		shared_put(t, k);
	} else if (r < 85) {
		mg_map_delete(rt, sh->strs, &k);
		mg_map_delete(rt, sh->ptrs, &k);
	} else if (r < 89) {
		mg_store(rt, &sh->it, mg_map_iter(rt, sh->strs));
	} else {
		for (int i = 0; i < 4 && mg_map_next(rt, sh->it, NULL, NULL); i++)
			;
	}
	pthread_mutex_unlock(&sh->mu);
}

void
stress_tick(mg_runtime *rt)
{
	mg_safepoint(rt);
	stress_thread *t = stress_self;
	if (t != NULL && (++t->tick & 15) == 0)
		shared_op(t);
}

static void *
stress_thread_main(void *arg)
{
	stress_thread *t = arg;
	mg_runtime *rt = t->sh->rt;
	mg_thread_attach(rt);
	stress_self = t;
	t->res = t->w->run(rt, &t->p);
	stress_self = NULL;
	mg_thread_detach(rt);
	return NULL;
}

/* The shared maps' contents: a sum of pairs, free of iteration order. */
static uint64_t
shared_sum(stress_shared *sh, uint64_t *entries)
{
	mg_runtime *rt = sh->rt;
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_hiter *it = mg_map_iter(rt, sh->ptrs);
	mg_root(rt, &it, "shared.sum");
	uint64_t sum = 0, n = 0;
	int64_t k;
	stress_leaf *leaf;
	while (mg_map_next(rt, it, &k, &leaf)) {
		mg_string str;
		if (!mg_map_get(rt, sh->strs, &k, &str)) {
			fprintf(stderr, "mapgc stress: shared key %" PRId64 " is in one shared map only\n", k);
			abort();
		}
		uint64_t h = UINT64_C(0xcbf29ce484222325);
		for (size_t i = 0; i < str.len; i++)
			h = (h ^ (uint8_t)str.ptr[i]) * UINT64_C(0x100000001b3);
		sum += stress_pair((uint64_t)k, stress_mix64(h) ^ (uint64_t)leaf->v);
		n++;
	}
	mg_scope_leave(rt, &s);
	if (n != mg_map_len(sh->strs)) {
		fprintf(stderr, "mapgc stress: the shared maps differ in size\n");
		abort();
	}
	*entries = n;
	return sum;
}

stress_result
stress_run_threads(const stress_workload *w, mg_runtime *rt, const stress_params *p)
{
	uint32_t n = p->threads;
	stress_shared *sh = calloc(1, sizeof *sh);
	stress_thread *ts = aligned_alloc(64, n * sizeof *ts);
	if (ts != NULL)
		memset(ts, 0, n * sizeof *ts);
	pthread_t *th = calloc(n, sizeof *th);
	if (sh == NULL || ts == NULL || th == NULL) {
		fprintf(stderr, "fatal error: out of memory\n");
		exit(2);
	}
	sh->rt = rt;
	pthread_mutex_init(&sh->mu, NULL);
	sh->strs_t = mg_maptype_get(rt, &mg_type_int64, &mg_type_string);
	sh->ptrs_t = mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr);
	mg_global_root(rt, &sh->strs, "shared.strs");
	mg_global_root(rt, &sh->ptrs, "shared.ptrs");
	mg_global_root(rt, &sh->it, "shared.it");
	mg_store(rt, &sh->strs, mg_map_new(rt, sh->strs_t, 0));
	mg_store(rt, &sh->ptrs, mg_map_new(rt, sh->ptrs_t, 0));
	mg_store(rt, &sh->it, mg_map_iter(rt, sh->strs));
	for (uint32_t i = 0; i < n; i++) {
		stress_thread *t = &ts[i];
		t->sh = sh;
		t->w = w;
		t->p = *p;
		t->p.seed = p->seed + i;
		t->p.threads = 1;
		t->index = i;
		t->rng.state = stress_mix64(p->seed ^ (UINT64_C(0x5bd1e995) * (i + 1)));
	}
	mg_enter_native(rt);
	for (uint32_t i = 0; i < n; i++) {
		int e = pthread_create(&th[i], NULL, stress_thread_main, &ts[i]);
		if (e != 0) {
			fprintf(stderr, "mapgc stress: cannot start thread %" PRIu32 ": %s\n", i + 1, strerror(e));
			exit(1);
		}
	}
	for (uint32_t i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	mg_leave_native(rt);

	stress_digest d;
	stress_digest_init(&d);
	stress_result res = {0};
	for (uint32_t i = 0; i < n; i++) {
		stress_digest_add(&d, ts[i].res.checksum);
		res.live_end += ts[i].res.live_end;
	}
	uint64_t entries;
	stress_digest_add(&d, shared_sum(sh, &entries));
	stress_digest_add(&d, entries);
	res.checksum = stress_digest_final(&d);
	mg_global_unroot(rt, &sh->it);
	mg_global_unroot(rt, &sh->ptrs);
	mg_global_unroot(rt, &sh->strs);
	pthread_mutex_destroy(&sh->mu);
	free(th);
	free(ts);
	free(sh);
	return res;
}
