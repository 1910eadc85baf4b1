/*
 * mapbench.c — the map benchmark, mapgc side.  tools/bench/go/mapbench.go is
 * its twin: the same operations on the same keys in the same order, so the
 * two columns of `tools/bench/bench.sh map` compare like with like.
 *
 * For key type K in {int64, string} and N in {1e3, 1e5, 1e6}: keys are
 * 0..N-1 (strings: "key-%d") in an order shuffled by Fisher–Yates with
 * splitmix64 seeded 42; misses are N..2N-1.  Each operation is timed over
 * whole passes until at least 100 ms accumulate (a trial); the best of 3
 * trials is reported as ns/op:
 *   insert   fresh map without hint, N inserts (map[K]int64)
 *   hit      N lookups of present keys
 *   miss     N lookups of absent keys
 *   delete   N deletes from a full map (refilled untimed between passes)
 *   iterate  one full iteration, per element
 * Output: one line per row, "map K N op ns_per_op", for the driver to join.
 * Uses the generic contract API (mg_map_set/get/delete/iter/next).
 */
#include "runtime/mapgc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* MAPBENCH_CLOCK=cpu times with the process's CPU clock instead of the
 * wall clock: for comparing two mapgc builds on a busy machine (time spent
 * descheduled does not count; cache interference from others still does).
 * The Go twin has no such mode, so bench.sh never sets it. */
static clockid_t bench_clock = CLOCK_MONOTONIC;
/* MAPBENCH_OPS=delete,hit runs only the named operations (for profiling). */
static const char *only_ops;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(bench_clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t sm_state;
static uint64_t splitmix64(void)
{
	uint64_t z = (sm_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

typedef struct bench {
	mg_runtime *rt;
	const mg_maptype *t;
	bool strings;
	size_t n;
	int64_t *ikeys, *imiss;    /* outside the heap: plain ints */
	mg_string *skeys, *smiss;  /* heap arrays of strings, rooted */
	mg_hmap *m;                /* rooted */
	volatile int64_t sink;
} bench;

/* The key array of a pass and its stride, chosen once per pass so that the
 * timed loops are as plain as the Go twin's `for _, k := range keys`.  The
 * heap never moves objects, so the loops may keep these pointers (and the
 * map's) in locals across calls; the roots keep the objects alive. */
static const char *keys_of(const bench *b, bool miss, size_t *stride)
{
	*stride = b->strings ? sizeof(mg_string) : sizeof(int64_t);
	if (b->strings)
		return (const char *)(miss ? b->smiss : b->skeys);
	return (const char *)(miss ? b->imiss : b->ikeys);
}

static void fill(bench *b)
{
	mg_runtime *rt = b->rt;
	size_t stride;
	const char *keys = keys_of(b, false, &stride);
	mg_hmap *m = b->m = mg_map_new(rt, b->t, 0);
	for (size_t i = 0; i < b->n; i++) {
		int64_t v = (int64_t)i;
		mg_map_set(rt, m, keys + i * stride, &v);
	}
}

typedef enum { OP_INSERT, OP_HIT, OP_MISS, OP_DELETE, OP_ITERATE, NOPS } op;
static const char *const op_names[] = {"insert", "hit", "miss", "delete", "iterate"};

/* One timed pass; returns nanoseconds spent in the timed part. */
static uint64_t pass(bench *b, op o)
{
	mg_runtime *rt = b->rt;
	uint64_t t0, t1;
	int64_t sum = 0, v;
	switch (o) {
	case OP_INSERT:
		t0 = now_ns();
		fill(b);
		t1 = now_ns();
		break;
	case OP_HIT:
	case OP_MISS: {
		size_t stride, n = b->n;
		const char *keys = keys_of(b, o == OP_MISS, &stride);
		mg_hmap *m = b->m;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++) {
			if (mg_map_get(rt, m, keys + i * stride, &v))
				sum += v;
		}
		t1 = now_ns();
		break;
	}
	case OP_DELETE: {
		size_t stride, n = b->n;
		const char *keys = keys_of(b, false, &stride);
		fill(b);
		mg_hmap *m = b->m;
		t0 = now_ns();
		for (size_t i = 0; i < n; i++)
			mg_map_delete(rt, m, keys + i * stride);
		t1 = now_ns();
		fill(b);
		break;
	}
	default: {
		mg_scope s;
		mg_hiter *it = NULL;
		mg_scope_enter(rt, &s);
		mg_root(rt, &it, "bench.it");
		t0 = now_ns();
		it = mg_map_iter(rt, b->m);
		int64_t kk;
		mg_string ks;
		while (mg_map_next(rt, it, b->strings ? (void *)&ks : (void *)&kk, &v))
			sum += v;
		t1 = now_ns();
		mg_scope_leave(rt, &s);
	}
	}
	b->sink += sum;
	return t1 - t0;
}

static double measure(bench *b, op o)
{
	double best = 0;
	for (int trial = 0; trial < 3; trial++) {
		uint64_t spent = 0, ops = 0;
		while (spent < 100000000u) {
			spent += pass(b, o);
			ops += b->n;
		}
		double ns = (double)spent / (double)ops;
		if (trial == 0 || ns < best)
			best = ns;
	}
	return best;
}

static void run(mg_runtime *rt, bool strings, size_t n)
{
	bench b = {.rt = rt, .strings = strings, .n = n};
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_root(rt, &b.m, "bench.m");
	mg_root(rt, &b.skeys, "bench.skeys");
	mg_root(rt, &b.smiss, "bench.smiss");
	b.t = mg_maptype_get(rt, strings ? &mg_type_string : &mg_type_int64, &mg_type_int64);
	int64_t *perm = malloc(n * sizeof *perm);
	sm_state = 42;
	for (size_t i = 0; i < n; i++)
		perm[i] = (int64_t)i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(splitmix64() % (i + 1));
		int64_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	if (strings) {
		b.skeys = mg_alloc_array(rt, &mg_type_string, n);
		b.smiss = mg_alloc_array(rt, &mg_type_string, n);
		for (size_t i = 0; i < n; i++) {
			char buf[32];
			int len = snprintf(buf, sizeof buf, "key-%" PRId64, perm[i]);
			mg_string k = mg_string_new(rt, buf, (size_t)len);
			mg_store(rt, (void *)&b.skeys[i].ptr, (void *)k.ptr);
			b.skeys[i].len = k.len;
			len = snprintf(buf, sizeof buf, "key-%" PRId64, perm[i] + (int64_t)n);
			k = mg_string_new(rt, buf, (size_t)len);
			mg_store(rt, (void *)&b.smiss[i].ptr, (void *)k.ptr);
			b.smiss[i].len = k.len;
		}
	} else {
		b.ikeys = malloc(n * sizeof *b.ikeys);
		b.imiss = malloc(n * sizeof *b.imiss);
		for (size_t i = 0; i < n; i++) {
			b.ikeys[i] = perm[i];
			b.imiss[i] = perm[i] + (int64_t)n;
		}
	}
	fill(&b);
	for (op o = 0; o < NOPS; o++)
		if (!only_ops || strstr(only_ops, op_names[o]))
			printf("map %s %zu %s %.2f\n", strings ? "string" : "int64", n, op_names[o], measure(&b, o));
	fflush(stdout);
	free(perm);
	free(b.ikeys);
	free(b.imiss);
	mg_scope_leave(rt, &s);
}

int main(int argc, char **argv)
{
	size_t sizes[] = {1000, 100000, 1000000};
	size_t nsizes = 3;
	if (argc > 1) { /* optional: a single N, for quick runs */
		sizes[0] = (size_t)strtoull(argv[1], NULL, 10);
		nsizes = 1;
	}
	only_ops = getenv("MAPBENCH_OPS");
	const char *clk = getenv("MAPBENCH_CLOCK");
	if (clk && strcmp(clk, "cpu") == 0)
		bench_clock = CLOCK_PROCESS_CPUTIME_ID;
	mg_runtime *rt = mg_open(NULL);
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < nsizes; i++)
			run(rt, s == 1, sizes[i]);
	mg_close(rt);
	return 0;
}
