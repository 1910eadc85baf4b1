/*
 * mgt.h — test support shared by every mapgc test binary (prefix mgt_).
 *
 * What is here, and why:
 *  - mgt_config / mgt_open: a runtime for tests.  The environment is ignored
 *    (a developer's MAPGC_DEBUG or MAPGC_PROCS must not change what a test
 *    checks; the scripts that run the whole suite under a collector mode or
 *    a P count say so with MAPGC_TEST_MODE / MAPGC_TEST_PROCS) and the
 *    debug verifiers are ON by default — heapcheck after every mark slice and
 *    checkmark at every mark termination — so every test that collects is
 *    also a verifier run.  Tests that need a verifier off (because they build
 *    a broken heap on purpose) say so explicitly.
 *  - The failure handler: mgt_open installs one.  Inside MGT_EXPECT_FAILURE
 *    it records kind and message and longjmps back to the test; anywhere else
 *    a fatal error or panic fails the test with its message (and the seed of
 *    a randomised test), instead of a bare "exited with status 2".
 *  - mgt_capture_*: redirect file descriptor 2 to a temporary file, to check
 *    what the runtime printed (detail lines, checkmark paths, env reports).
 *  - mgt_rng: splitmix64, seeded from MAPGC_TEST_SEED when set (a number, or
 *    "random" for a fresh one), else from the test's fixed default, so the
 *    default suite is reproducible.  The seed is printed on stderr when the
 *    generator is created (ctest shows it for failing tests) and it is in the
 *    message of every graph-verifier failure.
 *  - mgt_graph: a random object graph mutated only through the barriers
 *    (mg_store, mg_typed_copy, mg_typed_clear), with a shadow model of the
 *    reachable graph in malloc'd memory.  mgt_graph_verify compares the heap
 *    with the model node by node and by checksum, so a reachable node that
 *    was freed, reused or poisoned is caught.  See mgt_graph.c.
 */
#ifndef MGT_H
#define MGT_H

#include "runtime/mapgc.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- sanitizer detection (the test is compiled with the same flags) ----- */

#if defined(__SANITIZE_ADDRESS__)
#define MGT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MGT_ASAN 1
#endif
#endif
#ifndef MGT_ASAN
#define MGT_ASAN 0
#endif

/* ---- runtimes for tests --------------------------------------------------- */

/* Defaults, then: ignore_env, heapcheck = 1, checkmark = 1, then the
 * suite-wide overrides MAPGC_TEST_MODE (MAPGC_DEBUG syntax) and
 * MAPGC_TEST_PROCS (procs), see mgt.c. */
void mgt_config(mg_config *cfg);
/* True when MAPGC_TEST_MODE makes every cycle stop the world: then nothing
 * interleaves with marking, and a test whose subject is incremental marking
 * (slices, a missing barrier caught mid-mark) skips that part. */
bool mgt_test_mode_stw(void);
/* mg_open(cfg) (mgt_config's if cfg is NULL) with the mgt failure handler.
 * The runtime is also remembered in a global, so a test that ends in exit(2)
 * does not look like a leak to LeakSanitizer. */
mg_runtime *mgt_open(const mg_config *cfg);
/* mg_open with the mgt failure handler, but exactly cfg (for env tests). */
mg_runtime *mgt_open_raw(const mg_config *cfg);
void mgt_close(mg_runtime *rt);
mg_stats mgt_stats(mg_runtime *rt);
/* The CPUs this process may run on (sched_getaffinity), counted here and not
 * by the runtime, for the tests of what procs = 0 resolves to. */
int mgt_affinity_cpus(void);

/* ---- expecting failures ----------------------------------------------------- */

typedef struct mgt_failure_rec {
	int count;        /* failures seen by the handler in this process */
	mg_failure kind;
	char msg[512];
} mgt_failure_rec;

extern mgt_failure_rec mgt_last_failure;

void mgt_arm(jmp_buf *jb);
void mgt_disarm(void);
void mgt_on_failure(void *ud, mg_failure kind, const char *msg);

/* Runs stmt, which must end in a fatal error or panic of the given kind;
 * afterwards mgt_last_failure holds the message.  After MG_FATAL the
 * runtime may only be closed. */
#define MGT_EXPECT_FAILURE(kind_, stmt)                                                         \
	do {                                                                                    \
		jmp_buf mgt_jb_;                                                                \
		if (setjmp(mgt_jb_) == 0) {                                                     \
			mgt_arm(&mgt_jb_);                                                      \
			stmt;                                                                   \
			mgt_disarm();                                                           \
			cr_assert_fail("expected a %s from `%s`, but it returned",                      \
			         (kind_) == MG_FATAL ? "fatal error" : "panic", #stmt);           \
		}                                                                               \
		cr_assert_eq(mgt_last_failure.kind, (kind_), "`%s` failed with the wrong kind: %s", \
		             #stmt, mgt_last_failure.msg);                                       \
	} while (0)

/* ---- capturing stderr ------------------------------------------------------- */

void mgt_capture_begin(void);
/* Restores stderr; returns what was written meanwhile, NUL-ended.  The text
 * belongs to mgt and lives until the next capture (held by a global, so a
 * failing assertion after a capture is not also a LeakSanitizer report). */
const char *mgt_capture_end(void);
/* Number of lines of text that start with prefix. */
int mgt_count_lines(const char *text, const char *prefix);

/* ---- seeded randomness ------------------------------------------------------ */

typedef struct mgt_rng {
	uint64_t seed;
	uint64_t state;
} mgt_rng;

/* MAPGC_TEST_SEED when set ("random": a fresh seed), else dflt.  Prints the
 * seed and how to repeat it on stderr. */
void mgt_rng_init(mgt_rng *r, uint64_t dflt);
uint64_t mgt_rng_next(mgt_rng *r);
uint64_t mgt_rng_below(mgt_rng *r, uint64_t n); /* uniform in [0, n), n > 0 */
/* The seed of the last generator created, for failure messages (0: none). */
uint64_t mgt_current_seed(void);

/* ---- Memcheck (the heap annotations of gc/vg.h) ----------------------------- */

/* Whether this process runs under Valgrind; known only in MAPGC_VALGRIND
 * builds (false elsewhere), whose heap is annotated: only then do the two
 * checks below mean anything. */
bool mgt_under_valgrind(void);
/* Copies n bytes of freed heap memory, with Memcheck's error reporting off
 * for just that copy: tests that check what the collector left in freed
 * memory (poison) read NOACCESS memory on purpose.  A plain copy elsewhere. */
void mgt_read_freed(void *dst, const void *src, size_t n);
/* Under mgt_under_valgrind: true when every byte of [p, p+n) is NOACCESS to
 * Memcheck (want_noaccess) or every byte is addressable (!want_noaccess).
 * Asks Memcheck without making a report. */
bool mgt_vg_access_is(const void *p, size_t n, bool want_noaccess);

/* ---- a random graph mutated through the barriers -------------------------- */

enum { MGT_EDGES = 4, MGT_STASH = 4 };

typedef struct mgt_node {
	int64_t id;                      /* 1.. in creation order */
	int64_t value;                   /* payload */
	uint64_t check;                  /* mgt_node_check(id, value) */
	struct mgt_node *edge[MGT_EDGES]; /* the only pointer fields */
} mgt_node;

extern const mg_type mgt_node_type;
/* The four edges of a node as one type: for mg_typed_copy / mg_typed_clear. */
extern const mg_type mgt_edges_type;
uint64_t mgt_node_check(int64_t id, int64_t value);

typedef struct mgt_shadow {
	int64_t value;
	uint32_t edge[MGT_EDGES];   /* ids; 0 is NULL */
	mgt_node *addr;             /* where the node lives (the heap does not move) */
	uint32_t visit;             /* verifier epoch */
} mgt_shadow;

typedef struct mgt_graph {
	mg_runtime *rt;
	mgt_rng *rng;
	mg_scope scope;
	mgt_node **roots;              /* heap array of nroots slots, rooted "graph.roots" */
	mgt_node *stash[MGT_STASH];    /* scope roots, written without barriers */
	mgt_node *tmp[2];              /* scope roots held across allocation */
	mgt_node **big;                /* optional heap array of nbig slots, rooted "graph.big" */
	size_t nroots, nbig;
	/* the model, outside the heap; index = id */
	mgt_shadow *sh;
	uint32_t *sroots;
	uint32_t sstash[MGT_STASH];
	uint32_t *sbig;
	size_t n, cap;                 /* ids handed out: 1..n */
	uint32_t epoch;
	uint64_t ops;                  /* operations done */
	uint64_t ops_in_mark;          /* of which started while the collector was marking */
	uint64_t garbage;              /* garbage objects allocated */
	void (*after_op)(struct mgt_graph *g); /* optional: called after every operation */
	size_t reachable;              /* nodes reachable at the last verify */
	size_t target;                 /* the starting size, which the mix steers toward */
} mgt_graph;

/* Enters a scope (left by mgt_graph_drop) and builds `live` nodes. */
void mgt_graph_init(mgt_graph *g, mg_runtime *rt, mgt_rng *rng, size_t live, size_t nroots);
/* Adds big[]: nbig slots (more than GC_SCAN_CHUNK bytes: scanned in chunks). */
void mgt_graph_add_big(mgt_graph *g, size_t nbig);
/* ops random operations; verifies the heap against the model every
 * verify_every operations (0: only at the end). */
void mgt_graph_mutate(mgt_graph *g, uint64_t ops, uint64_t verify_every);
/* Asserts heap == model for everything reachable (node contents, edges,
 * root slots, checksum); returns the reachable count. */
size_t mgt_graph_verify(mgt_graph *g);
uint64_t mgt_graph_checksum_heap(mgt_graph *g);
uint64_t mgt_graph_checksum_model(mgt_graph *g);
/* Leaves the graph's scope (nothing of it is rooted any more) and frees the model. */
void mgt_graph_drop(mgt_graph *g);
/* After a fatal error (the runtime may only be closed): frees the model only. */
void mgt_graph_discard(mgt_graph *g);

#endif /* MGT_H */
