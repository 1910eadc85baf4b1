/*
 * mapbench.c — the map benchmark, mapgc side.  The work is defined by the
 * reference program ../shared/bench/mapbench.go (read its header), which is
 * also the Go side of `tools/bench/bench.sh map`: this file runs the same
 * operations, on the same keys, in the same order, under the same timing
 * rules, through the generic API (mg_map_set/get/delete/iter/next), and
 * prints the same lines, so the two outputs join row by row.
 *
 * The definition, as mirrored here:
 *   keys        present key i: int64 i, string "k%08d" of i; absent key i:
 *               N + i.  Value of key i: i.
 *   orders      one splitmix64 stream seeded with --seed (42), drawn once
 *               per (key type, N) into four Fisher–Yates permutations in
 *               the order insert, lookup, absent, delete.  Each operation
 *               walks its own key slice, materialised in its permutation's
 *               order before timing.
 *   strings     each of the four slices holds its own copies of the key
 *               strings, allocated in walk order, so a lookup or delete
 *               compares bytes (Go's faststr paths compare data pointers
 *               first; mapgc's string equality does too).
 *   insert      fresh map without hint, N inserts in insert order; the
 *               map's creation is timed, as Go's make is.
 *   lookup_hit  the map built in insert order; N lookups in lookup order.
 *   lookup_miss the same map; N lookups of absent keys in absent order.
 *   iterate     the same map; one full iteration, ns per element.
 *   delete      a map built in insert order (untimed), then N deletes in
 *               delete order (timed); the map must end empty.
 *   timing      a trial repeats the operation, in batches of `reps`
 *               passes whose count adapts to reach --mintime (100 ms) of
 *               timed work; ns/op = timed ns / (passes × N); the best of
 *               --trials (3) trials is printed.  A full collection
 *               (mg_gc, Go's runtime.GC) runs, untimed, before each trial.
 *
 * Output, one line per row, the reference's format:
 *   op=OP key=KEY n=N ns_per_op=F
 * preceded by one `# ...` line naming the configuration.  --csv PATH also
 * writes the reference's CSV (impl,op,key,n,ns_per_op,trial_ns_per_op,
 * reps_per_trial), with impl "mapgc".
 */
#include "runtime/mapgc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* MAPBENCH_CLOCK=cpu times with the process's CPU clock instead of the
 * wall clock: for comparing two mapgc builds on a busy machine (time spent
 * descheduled does not count; cache interference from others still does).
 * The reference has no such mode, so bench.sh never sets it. */
static clockid_t bench_clock = CLOCK_MONOTONIC;
/* MAPBENCH_OPS=delete,lookup_hit runs only the named operations (for
 * profiling one of them); the others' rows are left out. */
static const char *only_ops;

static uint64_t mintime_ns = 100000000u;
static int ntrials = 3;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(bench_clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The reference's splitmix64 and Fisher–Yates shuffle, draw for draw. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t *perm(uint64_t *rng, size_t n)
{
	size_t *p = malloc(n * sizeof *p);
	if (!p) {
		fprintf(stderr, "mapbench: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		p[i] = i;
	for (size_t i = n - 1; i > 0 && n > 1; i--) {
		size_t j = (size_t)(splitmix64(rng) % (uint64_t)(i + 1));
		size_t t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
	return p;
}

typedef enum { SLICE_INSERT, SLICE_LOOKUP, SLICE_ABSENT, SLICE_DELETE, NSLICES } slice_kind;

typedef struct bench {
	mg_runtime *rt;
	const mg_maptype *t;
	bool strings;
	size_t n;
	size_t *pins;                /* the insert permutation: value of ins[i] */
	int64_t *ikeys[NSLICES];     /* int64 keys: outside the heap */
	mg_string *skeys[NSLICES];   /* string keys: heap arrays, rooted */
	mg_hmap *m;                  /* the lookup/iterate map, rooted */
	mg_hmap *tmp;                /* insert's and delete's map, rooted */
	int64_t sink;
} bench;

/* A slice's base and element stride, taken once per batch so the timed
 * loops are as plain as the reference's `for _, k := range keys`.  The
 * heap never moves objects, so keeping these in locals across calls is
 * safe; the roots keep the objects alive. */
static const char *slice_of(const bench *b, slice_kind k, size_t *stride)
{
	*stride = b->strings ? sizeof(mg_string) : sizeof(int64_t);
	return b->strings ? (const char *)b->skeys[k] : (const char *)b->ikeys[k];
}

/* The reference's build(): a fresh map, the insert slice in order, the
 * value of ins[i] being pIns[i]. */
static mg_hmap *build(bench *b, mg_hmap **slot)
{
	mg_runtime *rt = b->rt;
	size_t stride, n = b->n;
	const char *keys = slice_of(b, SLICE_INSERT, &stride);
	const size_t *pins = b->pins;
	mg_hmap *m = *slot = mg_map_new(rt, b->t, 0);
	for (size_t i = 0; i < n; i++) {
		int64_t v = (int64_t)pins[i];
		mg_map_set(rt, m, keys + i * stride, &v);
	}
	return m;
}

#define MAPBENCH_OP_LIST(X) \
	X(OP_INSERT, "insert") \
	X(OP_LOOKUP_HIT, "lookup_hit") \
	X(OP_LOOKUP_MISS, "lookup_miss") \
	X(OP_ITERATE, "iterate") \
	X(OP_DELETE, "delete")

typedef enum {
#define MAPBENCH_X_ENUM(v, s) v,
	MAPBENCH_OP_LIST(MAPBENCH_X_ENUM)
#undef MAPBENCH_X_ENUM
	NOPS
} op;

static const char *const op_names[] = {
#define MAPBENCH_X_NAME(v, s) s,
	MAPBENCH_OP_LIST(MAPBENCH_X_NAME)
#undef MAPBENCH_X_NAME
};

/* One batch of `reps` passes of o; returns the timed nanoseconds.  Each
 * case times exactly what the reference's closure times. */
static uint64_t batch(bench *b, op o, size_t reps)
{
	mg_runtime *rt = b->rt;
	size_t stride, n = b->n;
	uint64_t d = 0, t0;
	int64_t s = 0, v;
	switch (o) {
	case OP_INSERT: {
		const char *keys = slice_of(b, SLICE_INSERT, &stride);
		const size_t *pins = b->pins;
		for (size_t r = 0; r < reps; r++) {
			b->tmp = NULL;
			t0 = now_ns();
			mg_hmap *m = b->tmp = mg_map_new(rt, b->t, 0);
			for (size_t i = 0; i < n; i++) {
				v = (int64_t)pins[i];
				mg_map_set(rt, m, keys + i * stride, &v);
			}
			d += now_ns() - t0;
		}
		s = (int64_t)mg_map_len(b->tmp);
		b->tmp = NULL;
		break;
	}
	case OP_LOOKUP_HIT: {
		const char *keys = slice_of(b, SLICE_LOOKUP, &stride);
		mg_hmap *m = b->m;
		t0 = now_ns();
		for (size_t r = 0; r < reps; r++)
			for (size_t i = 0; i < n; i++) {
				mg_map_get(rt, m, keys + i * stride, &v); /* m[k]: zero on a miss */
				s += v;
			}
		d = now_ns() - t0;
		break;
	}
	case OP_LOOKUP_MISS: {
		const char *keys = slice_of(b, SLICE_ABSENT, &stride);
		mg_hmap *m = b->m;
		t0 = now_ns();
		for (size_t r = 0; r < reps; r++)
			for (size_t i = 0; i < n; i++)
				if (mg_map_get(rt, m, keys + i * stride, NULL))
					s++;
		d = now_ns() - t0;
		if (s != 0) {
			fprintf(stderr, "mapbench: absent key found\n");
			exit(1);
		}
		break;
	}
	case OP_ITERATE: {
		mg_scope sc;
		mg_hiter *it = NULL;
		int64_t ik;
		mg_string sk;
		mg_scope_enter(rt, &sc);
		mg_root(rt, &it, "mapbench.it");
		t0 = now_ns();
		for (size_t r = 0; r < reps; r++) {
			it = mg_map_iter(rt, b->m);
			if (b->strings)
				while (mg_map_next(rt, it, &sk, &v))
					s += (int64_t)sk.len ^ v;
			else
				while (mg_map_next(rt, it, &ik, &v))
					s += ik ^ v;
		}
		d = now_ns() - t0;
		mg_scope_leave(rt, &sc);
		break;
	}
	case OP_DELETE: {
		const char *keys = slice_of(b, SLICE_DELETE, &stride);
		for (size_t r = 0; r < reps; r++) {
			mg_hmap *m = build(b, &b->tmp);
			t0 = now_ns();
			for (size_t i = 0; i < n; i++)
				mg_map_delete(rt, m, keys + i * stride);
			d += now_ns() - t0;
			if (mg_map_len(m) != 0) {
				fprintf(stderr, "mapbench: delete failed\n");
				exit(1);
			}
		}
		b->tmp = NULL;
		break;
	}
	default:
		abort();
	}
	b->sink += s;
	return d;
}

typedef struct row {
	double best;
	double trial_ns[16];
	size_t trial_reps[16];
} row;

/* The reference's measure(): per trial, a collection, then batches whose
 * size is estimated from the time so far (+10 %, at most 100× the last)
 * until mintime of timed work has accumulated. */
static void measure(bench *b, op o, row *out)
{
	for (int t = 0; t < ntrials; t++) {
		mg_gc(b->rt);
		size_t reps = 1, done = 0;
		uint64_t total = 0;
		while (total < mintime_ns) {
			total += batch(b, o, reps);
			done += reps;
			if (total < mintime_ns) {
				double per = (double)total / (double)done;
				if (per <= 0)
					per = 1;
				size_t next = (size_t)((double)(mintime_ns - total) / per * 1.1) + 1;
				reps = next > 100 * reps ? 100 * reps : next;
			}
		}
		double ns = (double)total / (double)done / (double)b->n;
		out->trial_ns[t] = ns;
		out->trial_reps[t] = done;
		if (t == 0 || ns < out->best)
			out->best = ns;
	}
}

static void materialise(bench *b, uint64_t seed)
{
	mg_runtime *rt = b->rt;
	size_t n = b->n;
	uint64_t rng = seed;
	size_t *p[NSLICES];
	for (int k = 0; k < NSLICES; k++)
		p[k] = perm(&rng, n);
	for (int k = 0; k < NSLICES; k++) {
		size_t off = k == SLICE_ABSENT ? n : 0;
		if (!b->strings) {
			b->ikeys[k] = malloc(n * sizeof *b->ikeys[k]);
			if (!b->ikeys[k]) {
				fprintf(stderr, "mapbench: out of memory\n");
				exit(1);
			}
			for (size_t i = 0; i < n; i++)
				b->ikeys[k][i] = (int64_t)(off + p[k][i]);
			continue;
		}
		/* Rooted before the strings are made: each mg_string_new may collect. */
		b->skeys[k] = mg_alloc_array(rt, &mg_type_string, n);
		for (size_t i = 0; i < n; i++) {
			char buf[32];
			int len = snprintf(buf, sizeof buf, "k%08zu", off + p[k][i]);
			mg_string s = mg_string_new(rt, buf, (size_t)len);
			mg_store(rt, (void *)&b->skeys[k][i].ptr, (void *)s.ptr);
			b->skeys[k][i].len = s.len;
		}
	}
	b->pins = p[SLICE_INSERT];
	for (int k = 1; k < NSLICES; k++)
		free(p[k]);
}

static FILE *csv;

static void run(mg_runtime *rt, bool strings, size_t n, uint64_t seed)
{
	bench b = {.rt = rt, .strings = strings, .n = n};
	const char *key = strings ? "string" : "int64";
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_root(rt, &b.m, "mapbench.m");
	mg_root(rt, &b.tmp, "mapbench.tmp");
	static const char *const slot_names[NSLICES] = {"mapbench.ins", "mapbench.look", "mapbench.abs",
	                                                "mapbench.del"};
	for (int k = 0; k < NSLICES; k++)
		mg_root(rt, &b.skeys[k], slot_names[k]);
	b.t = mg_maptype_get(rt, strings ? &mg_type_string : &mg_type_int64, &mg_type_int64);
	materialise(&b, seed);
	for (op o = 0; o < NOPS; o++) {
		if (o == OP_LOOKUP_HIT)
			build(&b, &b.m);
		if (o == OP_DELETE)
			b.m = NULL; /* the reference drops its map before delete */
		if (only_ops && !strstr(only_ops, op_names[o]))
			continue;
		row r = {0};
		measure(&b, o, &r);
		printf("op=%s key=%s n=%zu ns_per_op=%.2f\n", op_names[o], key, n, r.best);
		fflush(stdout);
		if (csv) {
			fprintf(csv, "mapgc,%s,%s,%zu,%.2f,", op_names[o], key, n, r.best);
			for (int t = 0; t < ntrials; t++)
				fprintf(csv, "%s%.2f", t ? ";" : "", r.trial_ns[t]);
			fputc(',', csv);
			for (int t = 0; t < ntrials; t++)
				fprintf(csv, "%s%zu", t ? ";" : "", r.trial_reps[t]);
			fputc('\n', csv);
		}
	}
	free(b.pins);
	for (int k = 0; k < NSLICES; k++)
		free(b.ikeys[k]);
	mg_scope_leave(rt, &s);
}

/* why == NULL: asked for (--help), exit 0; otherwise a usage error, exit 2. */
static MG_NORETURN void usage(const char *why)
{
	if (why)
		fprintf(stderr, "mapbench: %s\n", why);
	fprintf(why ? stderr : stdout, "usage: mapgc-mapbench [--sizes N,N,...] [--keys int64,string] [--seed N]\n"
	                               "                      [--mintime-ms N] [--trials N] [--csv PATH]\n");
	exit(why ? 2 : 0);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end); /* the reference parses sizes as floats: 1e6 */
	if (errno || end == s || *end || v < 1 || v > 1e12)
		usage(what);
	return (uint64_t)v;
}

int main(int argc, char **argv)
{
	size_t sizes[8] = {1000, 100000, 1000000};
	size_t nsizes = 3;
	bool keys[2] = {true, true}; /* int64, string */
	uint64_t seed = 42;
	const char *csv_path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			usage(NULL);
		if (!v)
			usage("missing value");
		i++;
		if (!strcmp(a, "--sizes")) {
			char *copy = strdup(v), *save = NULL;
			nsizes = 0;
			for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (nsizes == sizeof sizes / sizeof *sizes)
					usage("too many sizes");
				sizes[nsizes++] = (size_t)parse_u64(tok, "bad size");
			}
			free(copy);
			if (!nsizes)
				usage("no sizes");
			for (size_t x = 1; x < nsizes; x++) /* ascending, as the reference sorts */
				for (size_t y = x; y > 0 && sizes[y - 1] > sizes[y]; y--) {
					size_t t = sizes[y];
					sizes[y] = sizes[y - 1];
					sizes[y - 1] = t;
				}
		} else if (!strcmp(a, "--keys")) {
			keys[0] = strstr(v, "int64") != NULL;
			keys[1] = strstr(v, "string") != NULL;
			if (!keys[0] && !keys[1])
				usage("bad key type");
		} else if (!strcmp(a, "--seed")) {
			char *end;
			errno = 0;
			seed = strtoull(v, &end, 10); /* all 64 bits: not through parse_u64's double */
			if (errno || end == v || *end || *v == '-')
				usage("bad seed");
		} else if (!strcmp(a, "--mintime-ms")) {
			mintime_ns = parse_u64(v, "bad mintime") * 1000000u;
		} else if (!strcmp(a, "--trials")) {
			ntrials = (int)parse_u64(v, "bad trials");
			if (ntrials > 16)
				usage("at most 16 trials");
		} else if (!strcmp(a, "--csv")) {
			csv_path = v;
		} else {
			usage("unknown option");
		}
	}
	only_ops = getenv("MAPBENCH_OPS");
	const char *clk = getenv("MAPBENCH_CLOCK");
	if (clk && strcmp(clk, "cpu") == 0)
		bench_clock = CLOCK_PROCESS_CPUTIME_ID;
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv) {
			fprintf(stderr, "mapbench: %s: %s\n", csv_path, strerror(errno));
			return 1;
		}
		fprintf(csv, "impl,op,key,n,ns_per_op,trial_ns_per_op,reps_per_trial\n");
	}
	mg_runtime *rt = mg_open(NULL);
	const mg_config *cfg = mg_runtime_config(rt);
	printf("# mapgc GOGC=%d barrier=%s seed=%" PRIu64 " mintime=%" PRIu64 "ms trials=%d\n", cfg->gogc,
	       mg_barrier_name(cfg->wb), seed, mintime_ns / 1000000u, ntrials);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < nsizes && keys[k]; i++)
			run(rt, k == 1, sizes[i], seed);
	mg_close(rt);
	if (csv && fclose(csv) != 0) {
		fprintf(stderr, "mapbench: %s: write failed\n", csv_path);
		return 1;
	}
	return 0;
}
