/*
 * mgt_graph.c — a random object graph, mutated only through the write
 * barriers, checked against a model kept outside the heap.
 *
 * The heap side.  Nodes (mgt_node) have four labelled pointer fields.  The
 * graph hangs off three kinds of roots, each of which stresses a different
 * part of the barrier argument:
 *   - roots[]: a heap array of pointers, itself held by one scope root; its
 *     slots are heap slots, written with mg_store;
 *   - stash[]: scope roots written by plain assignment (no barrier: roots
 *     never have one).  "stash" moves a pointer from the heap into a root
 *     and deletes the heap edge; "unstash" moves it back.  This is the move
 *     that hybrid must cover by shading until roots are scanned, that
 *     yuasa covers with its snapshot, and that dijkstra covers by rescanning
 *     roots at mark termination;
 *   - big[]: an optional heap array of pointers (mgt_graph_add_big) longer
 *     than GC_SCAN_CHUNK, held by a scope root, so it is scanned in chunks
 *     while the mutator stores into it.
 * Operations and their weights are one list, GRAPH_OPS below.  Swaps that
 * move a subtree under itself cut cycles off, so the graph drifts; while it
 * is below its starting size (as of the last verify), cuts (splice, stash,
 * clear) become inserts, and above twice that, inserts become splices.
 * Garbage allocates objects nobody keeps: byte arrays of random size, nodes
 * whose edges point into the live graph, and now and then a large array.
 *
 * The model side.  For every id: value, the ids its edges point to, and the
 * node's address (the heap does not move objects).  Every heap store is
 * mirrored in the model, with the same aliasing (A and B may be one node).
 * Walks to pick nodes follow the model, so a corrupted heap cannot crash
 * the mutator before the verifier has reported it.
 *
 * The verifier walks the model from the roots and, for every reachable node,
 * checks the heap: the address is a live object of type mgt_node, id, value
 * and check word are the model's (a freed and reused slot, or one poisoned
 * with 0xdb, fails here), every edge points exactly where the model says,
 * and so do the root slots.  Then it computes two checksums, one by walking
 * the heap through its own pointers and one by walking the model, and
 * compares them.
 */
#include "tests/support/mgt.h"

#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NODE_EDGE_FIELD(k) {offsetof(mgt_node, edge) + (k) * sizeof(mgt_node *), "edge[" #k "]"}
static const mg_field node_fields[MGT_EDGES] = {
	NODE_EDGE_FIELD(0), NODE_EDGE_FIELD(1), NODE_EDGE_FIELD(2), NODE_EDGE_FIELD(3),
};
static const mg_field edges_fields[MGT_EDGES] = {
	{0, "e0"}, {8, "e1"}, {16, "e2"}, {24, "e3"},
};
_Static_assert(MGT_EDGES == 4, "node_fields and edges_fields list four edges");

const mg_type mgt_node_type = {
	.name = "mgt.node",
	.size = sizeof(mgt_node),
	.align = _Alignof(mgt_node),
	.ptrs = node_fields,
	.nptrs = MGT_EDGES,
};

const mg_type mgt_edges_type = {
	.name = "mgt.edges",
	.size = MGT_EDGES * sizeof(mgt_node *),
	.align = _Alignof(mgt_node *),
	.ptrs = edges_fields,
	.nptrs = MGT_EDGES,
};

uint64_t mgt_node_check(int64_t id, int64_t value)
{
	uint64_t z = (uint64_t)id * 0x9e3779b97f4a7c15ULL ^ (uint64_t)value;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Every verifier failure names the seed and how far the run got. */
#define GFAIL(g, ...)                                                                                 \
	cr_assert_fail("graph (seed %" PRIu64 ", after %" PRIu64 " ops): %s", (g)->rng->seed, (g)->ops,      \
	         gfmt(__VA_ARGS__))

static const char *gfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *gfmt(const char *fmt, ...)
{
	static char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return buf;
}

/* ---- model helpers -------------------------------------------------------- */

static uint32_t walk(mgt_graph *g);

static mgt_node *addr(const mgt_graph *g, uint32_t id)
{
	return id ? g->sh[id].addr : NULL;
}

static uint32_t rnd(mgt_graph *g, uint64_t n)
{
	return (uint32_t)mgt_rng_below(g->rng, n);
}

/* A fresh node, with a model entry; may collect. */
static uint32_t new_node(mgt_graph *g)
{
	mgt_node *n = mg_alloc(g->rt, &mgt_node_type);
	if (g->n + 1 >= g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		g->sh = realloc(g->sh, g->cap * sizeof *g->sh);
		cr_assert_not_null(g->sh);
	}
	uint32_t id = (uint32_t)++g->n;
	for (int k = 0; k < MGT_EDGES; k++)
		if (n->edge[k] != NULL)
			GFAIL(g, "new node %u: edge %d is not zeroed (%p)", id, k, (void *)n->edge[k]);
	n->id = id;
	n->value = (int64_t)mgt_rng_next(g->rng);
	n->check = mgt_node_check(n->id, n->value);
	memset(&g->sh[id], 0, sizeof g->sh[id]);
	g->sh[id].value = n->value;
	g->sh[id].addr = n;
	return id;
}

/* ---- setup ---------------------------------------------------------------- */

void mgt_graph_init(mgt_graph *g, mg_runtime *rt, mgt_rng *rng, size_t live, size_t nroots)
{
	memset(g, 0, sizeof *g);
	g->rt = rt;
	g->rng = rng;
	g->nroots = nroots ? nroots : 1;
	g->target = live;
	g->reachable = live;
	mg_scope_enter(rt, &g->scope);
	mg_root(rt, &g->roots, "graph.roots");
	for (int k = 0; k < MGT_STASH; k++)
		mg_root(rt, &g->stash[k], "graph.stash");
	mg_root(rt, &g->tmp[0], "graph.tmp0");
	mg_root(rt, &g->tmp[1], "graph.tmp1");
	mg_root(rt, &g->big, "graph.big");
	g->roots = mg_alloc_array(rt, &mg_type_ptr, g->nroots);
	g->sroots = calloc(g->nroots, sizeof *g->sroots);
	cr_assert_not_null(g->sroots);

	uint32_t *ids = malloc((live + 1) * sizeof *ids);
	cr_assert_not_null(ids);
	for (size_t i = 0; i < live; i++) {
		uint32_t id = new_node(g);
		ids[i] = id;
		if (i < g->nroots) {
			mg_store(rt, &g->roots[i], addr(g, id));
			g->sroots[i] = id;
			continue;
		}
		/* Attach to a free edge of a random earlier node; node i-1 has none
		 * taken yet unless it is a root, so one is always found. */
		for (size_t from = rnd(g, i), tries = 0; tries < i; tries++, from = (from + 1) % i) {
			mgt_shadow *p = &g->sh[ids[from]];
			int k = (int)rnd(g, MGT_EDGES), t;
			for (t = 0; t < MGT_EDGES && p->edge[(k + t) % MGT_EDGES]; t++)
				;
			if (t == MGT_EDGES)
				continue;
			k = (k + t) % MGT_EDGES;
			mg_store(rt, &p->addr->edge[k], addr(g, id));
			p->edge[k] = id;
			break;
		}
	}
	for (size_t c = 0; c < live / 4; c++) {
		mgt_shadow *p = &g->sh[ids[rnd(g, live)]];
		uint32_t to = ids[rnd(g, live)];
		int k = (int)rnd(g, MGT_EDGES);
		mg_store(rt, &p->addr->edge[k], addr(g, to));
		p->edge[k] = to;
	}
	free(ids);
}

void mgt_graph_add_big(mgt_graph *g, size_t nbig)
{
	cr_assert(nbig >= 128 && !g->big);
	g->big = mg_alloc_array(g->rt, &mg_type_ptr, nbig);
	g->sbig = calloc(nbig, sizeof *g->sbig);
	cr_assert_not_null(g->sbig);
	g->nbig = nbig;
	/* Seed it with nodes reachable now, at both ends and in between. */
	for (int i = 0; i < 64; i++) {
		uint32_t a = walk(g);
		size_t k = i < 16 ? (size_t)i : i < 32 ? nbig - 1 - (size_t)(i - 16) : rnd(g, nbig);
		mg_store(g->rt, &g->big[k], addr(g, a));
		g->sbig[k] = a;
	}
}

void mgt_graph_drop(mgt_graph *g)
{
	mg_scope_leave(g->rt, &g->scope);
	mgt_graph_discard(g);
}

void mgt_graph_discard(mgt_graph *g)
{
	free(g->sh);
	free(g->sroots);
	free(g->sbig);
	g->sbig = NULL;
	g->big = NULL;
	g->sh = NULL;
	g->sroots = NULL;
	g->roots = NULL;
	memset(g->stash, 0, sizeof g->stash);
}

/* ---- operations ----------------------------------------------------------- */

enum { WALK_MAX = 8 };

/* A node reachable now: a random root, then up to WALK_MAX random edges. */
static uint32_t walk(mgt_graph *g)
{
	uint32_t id = 0;
	if (rnd(g, 10) == 0)
		id = g->sstash[rnd(g, MGT_STASH)];
	for (size_t t = 0; !id && t < g->nroots; t++)
		id = g->sroots[(rnd(g, g->nroots) + t) % g->nroots];
	if (!id)
		return 0;
	for (uint32_t s = rnd(g, WALK_MAX + 1); s > 0; s--) {
		uint32_t next[MGT_EDGES];
		int nn = 0;
		for (int k = 0; k < MGT_EDGES; k++)
			if (g->sh[id].edge[k])
				next[nn++] = g->sh[id].edge[k];
		if (!nn)
			break;
		id = next[rnd(g, (uint64_t)nn)];
	}
	return id;
}

/* Index of a random non-NULL edge of id, or -1. */
static int some_edge(mgt_graph *g, uint32_t id)
{
	int k = (int)rnd(g, MGT_EDGES);
	for (int t = 0; t < MGT_EDGES; t++)
		if (g->sh[id].edge[(k + t) % MGT_EDGES])
			return (k + t) % MGT_EDGES;
	return -1;
}

static void set_edge(mgt_graph *g, uint32_t from, int k, uint32_t to)
{
	mg_store(g->rt, &g->sh[from].addr->edge[k], addr(g, to));
	g->sh[from].edge[k] = to;
}

static void op_swap(mgt_graph *g, uint32_t a)
{
	uint32_t b = walk(g);
	int i = (int)rnd(g, MGT_EDGES), j = (int)rnd(g, MGT_EDGES);
	uint32_t va = g->sh[a].edge[i], vb = g->sh[b].edge[j];
	set_edge(g, a, i, vb);
	set_edge(g, b, j, va);
}

static void op_insert(mgt_graph *g, uint32_t a)
{
	int i = (int)rnd(g, MGT_EDGES);
	g->tmp[0] = addr(g, a); /* held across the allocation */
	uint32_t n = new_node(g);
	g->tmp[0] = NULL;
	set_edge(g, n, (int)rnd(g, MGT_EDGES), g->sh[a].edge[i]);
	set_edge(g, a, i, n);
}

static void op_splice(mgt_graph *g, uint32_t a)
{
	int i = some_edge(g, a);
	if (i < 0)
		return;
	uint32_t c = g->sh[a].edge[i];
	set_edge(g, a, i, g->sh[c].edge[rnd(g, MGT_EDGES)]);
}

static void op_stash(mgt_graph *g, uint32_t a)
{
	int i = some_edge(g, a);
	if (i < 0)
		return;
	int k = (int)rnd(g, MGT_STASH);
	g->stash[k] = g->sh[a].addr->edge[i]; /* a root: no barrier */
	g->sstash[k] = g->sh[a].edge[i];
	set_edge(g, a, i, 0);
}

static void op_unstash(mgt_graph *g, uint32_t a)
{
	int k = (int)rnd(g, MGT_STASH);
	if (!g->sstash[k])
		return;
	set_edge(g, a, (int)rnd(g, MGT_EDGES), g->sstash[k]);
	g->stash[k] = NULL;
	g->sstash[k] = 0;
}

static void op_reroot(mgt_graph *g, uint32_t a)
{
	size_t r = rnd(g, g->nroots);
	mg_store(g->rt, &g->roots[r], addr(g, a));
	g->sroots[r] = a;
}

static void op_bigstore(mgt_graph *g, uint32_t a)
{
	if (!g->nbig) {
		op_insert(g, a);
		return;
	}
	/* Favour both ends, so stores land in the first and the last chunk. */
	size_t k = rnd(g, 4) == 0 ? g->nbig - 1 - rnd(g, 64) : rnd(g, 2) ? rnd(g, 64) : rnd(g, g->nbig);
	uint32_t v = rnd(g, 4) ? a : 0;
	mg_store(g->rt, &g->big[k], addr(g, v));
	g->sbig[k] = v;
}

static void op_copy(mgt_graph *g, uint32_t a)
{
	uint32_t b = walk(g);
	mg_typed_copy(g->rt, &mgt_edges_type, g->sh[b].addr->edge, g->sh[a].addr->edge, 1);
	memmove(g->sh[b].edge, g->sh[a].edge, sizeof g->sh[b].edge);
}

static void op_clear(mgt_graph *g, uint32_t a)
{
	mg_typed_clear(g->rt, &mgt_edges_type, g->sh[a].addr->edge, 1);
	memset(g->sh[a].edge, 0, sizeof g->sh[a].edge);
}

static void op_update(mgt_graph *g, uint32_t a)
{
	mgt_node *n = g->sh[a].addr;
	n->value = (int64_t)mgt_rng_next(g->rng);
	n->check = mgt_node_check(n->id, n->value);
	g->sh[a].value = n->value;
}

/* Objects nobody keeps.  a is held in a root across the allocation because
 * the garbage node points to it. */
static void op_garbage(mgt_graph *g, uint32_t a)
{
	mg_runtime *rt = g->rt;
	uint32_t kind = rnd(g, 100);
	g->garbage++;
	if (kind < 60) {
		size_t n = 1 + rnd(g, 3000);
		unsigned char *p = mg_alloc_bytes(rt, n);
		memset(p, 0x5a, n);
	} else if (kind < 98) {
		g->tmp[0] = addr(g, a);
		mgt_node *n = mg_alloc(rt, &mgt_node_type);
		n->id = -1;
		mg_store(rt, &n->edge[0], g->tmp[0]);
		mg_store(rt, &n->edge[1], addr(g, g->sh[a].edge[0]));
		g->tmp[0] = NULL;
	} else {
		/* A large pointer array over the live graph: dies at once. */
		g->tmp[0] = addr(g, a);
		mgt_node **arr = mg_alloc_array(rt, &mg_type_ptr, 5000);
		for (size_t i = 0; i < 5000; i += 97)
			mg_store(rt, &arr[i], g->tmp[0]);
		g->tmp[0] = NULL;
	}
}

/* The operation mix, in percent.  Swaps dominate: they are the move that
 * defeats a marker without barriers (a subtree moved from an unscanned
 * object into a scanned one).  Inserts and cuts roughly balance. */
#define GRAPH_OPS(X)                                                                             \
	X(SWAP, 24, op_swap)                                                                     \
	X(INSERT, 14, op_insert)                                                                 \
	X(SPLICE, 10, op_splice)                                                                 \
	X(STASH, 8, op_stash)                                                                    \
	X(UNSTASH, 8, op_unstash)                                                                \
	X(REROOT, 4, op_reroot)                                                                  \
	X(BIGSTORE, 4, op_bigstore)                                                              \
	X(COPY, 5, op_copy)                                                                      \
	X(CLEAR, 2, op_clear)                                                                    \
	X(UPDATE, 5, op_update)                                                                  \
	X(GARBAGE, 16, op_garbage)

enum graph_op {
#define X_ENUM(name, weight, fn) OP_##name,
	GRAPH_OPS(X_ENUM)
#undef X_ENUM
	OP_COUNT
};

static const struct {
	unsigned weight;
	void (*fn)(mgt_graph *g, uint32_t a);
} graph_ops[OP_COUNT] = {
#define X_ENTRY(name, weight, fn) {weight, fn},
	GRAPH_OPS(X_ENTRY)
#undef X_ENTRY
};

#define X_SUM(name, weight, fn) +(weight)
_Static_assert(0 GRAPH_OPS(X_SUM) == 100, "the operation mix adds up to 100 %");
#undef X_SUM

static enum graph_op pick_op(mgt_graph *g)
{
	unsigned r = (unsigned)rnd(g, 100);
	enum graph_op op = 0;
	while (r >= graph_ops[op].weight)
		r -= graph_ops[op++].weight;
	/* Steer the graph back toward its starting size. */
	bool cut = op == OP_SPLICE || op == OP_STASH || op == OP_CLEAR;
	if (g->reachable < g->target && cut)
		return OP_INSERT;
	if (g->reachable > 2 * g->target && op == OP_INSERT)
		return OP_SPLICE;
	return op;
}

void mgt_graph_mutate(mgt_graph *g, uint64_t ops, uint64_t verify_every)
{
	for (uint64_t o = 0; o < ops; o++) {
		mg_stats st;
		mg_read_stats(g->rt, &st);
		g->ops_in_mark += st.phase == 2; /* GC_MARK: the barrier is on */
		uint32_t a = walk(g);
		enum graph_op op = pick_op(g);
		if (a) {
			graph_ops[op].fn(g, a);
		} else {
			/* Everything was cut off: start again from a new node. */
			size_t r = rnd(g, g->nroots);
			uint32_t n = new_node(g);
			mg_store(g->rt, &g->roots[r], addr(g, n));
			g->sroots[r] = n;
		}
		g->ops++;
		mg_safepoint(g->rt);
		if (g->after_op)
			g->after_op(g);
		if (verify_every && g->ops % verify_every == 0)
			mgt_graph_verify(g);
	}
	mgt_graph_verify(g);
}

/* ---- verification ---------------------------------------------------------- */

typedef struct idstack {
	uint32_t *v;
	size_t n, cap;
} idstack;

static void ids_push(idstack *s, uint32_t id)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		cr_assert_not_null(s->v);
	}
	s->v[s->n++] = id;
}

static uint64_t digest(uint64_t h, uint64_t x)
{
	return mgt_node_check((int64_t)h, (int64_t)x);
}

/* Checks one reachable node of the model against the heap. */
static void check_node(mgt_graph *g, uint32_t id)
{
	const mgt_shadow *s = &g->sh[id];
	mgt_node *n = s->addr;
	size_t len = 0;
	const mg_type *t = mg_typeof(g->rt, n, &len);
	if (t != &mgt_node_type || len != 1)
		GFAIL(g, "node %u at %p is reachable but is not a live mgt.node (type %s, colour %s)", id, (void *)n,
		      t ? t->name : "none", gc_test_color_name(gc_test_color(g->rt, n)));
	if (n->id != (int64_t)id || n->value != s->value || n->check != mgt_node_check(n->id, n->value))
		GFAIL(g, "node %u at %p corrupted: id %" PRId64 " value %#" PRIx64 " check %#" PRIx64
		         " (model value %#" PRIx64 ")",
		      id, (void *)n, n->id, (uint64_t)n->value, n->check, (uint64_t)s->value);
	for (int k = 0; k < MGT_EDGES; k++)
		if (n->edge[k] != addr(g, s->edge[k]))
			GFAIL(g, "node %u edge[%d] is %p, the model says node %u at %p", id, k, (void *)n->edge[k],
			      s->edge[k], (void *)addr(g, s->edge[k]));
}

/* Model walk: roots[], stash[], then depth-first, edges in order. */
static uint64_t walk_model(mgt_graph *g, bool check, size_t *count)
{
	idstack st = {0};
	uint64_t h = 0x6d6f64656cULL;
	size_t reached = 0;
	g->epoch++;
	for (size_t b = g->nbig; b-- > 0;) {
		if (check && g->big[b] != addr(g, g->sbig[b]))
			GFAIL(g, "big[%zu] is %p, the model says node %u at %p", b, (void *)g->big[b], g->sbig[b],
			      (void *)addr(g, g->sbig[b]));
		ids_push(&st, g->sbig[b]);
	}
	for (size_t r = g->nroots + MGT_STASH; r-- > 0;) {
		uint32_t id = r < g->nroots ? g->sroots[r] : g->sstash[r - g->nroots];
		if (check && r < g->nroots && g->roots[r] != addr(g, id))
			GFAIL(g, "roots[%zu] is %p, the model says node %u at %p", r, (void *)g->roots[r], id,
			      (void *)addr(g, id));
		if (check && r >= g->nroots && g->stash[r - g->nroots] != addr(g, id))
			GFAIL(g, "stash[%zu] is %p, the model says node %u", r - g->nroots,
			      (void *)g->stash[r - g->nroots], id);
		ids_push(&st, id);
	}
	while (st.n) {
		uint32_t id = st.v[--st.n];
		h = digest(h, id);
		if (!id || g->sh[id].visit == g->epoch)
			continue;
		g->sh[id].visit = g->epoch;
		reached++;
		if (check)
			check_node(g, id);
		h = digest(h, (uint64_t)g->sh[id].value);
		for (int k = MGT_EDGES; k-- > 0;)
			ids_push(&st, g->sh[id].edge[k]);
	}
	free(st.v);
	if (count)
		*count = reached;
	return h;
}

uint64_t mgt_graph_checksum_model(mgt_graph *g)
{
	return walk_model(g, false, NULL);
}

/* Heap walk: the same order, but through the heap's own pointers and ids. */
uint64_t mgt_graph_checksum_heap(mgt_graph *g)
{
	typedef struct hitem {
		mgt_node *n;
	} hitem;
	hitem *st = NULL;
	size_t sn = 0, scap = 0;
	uint64_t h = 0x6d6f64656cULL;
	g->epoch++;
#define HPUSH(p)                                                          \
	do {                                                              \
		if (sn == scap) {                                         \
			scap = scap ? scap * 2 : 256;                     \
			st = realloc(st, scap * sizeof *st);              \
			cr_assert_not_null(st);                           \
		}                                                         \
		st[sn++].n = (p);                                         \
	} while (0)
	for (size_t b = g->nbig; b-- > 0;)
		HPUSH(g->big[b]);
	for (size_t r = g->nroots + MGT_STASH; r-- > 0;)
		HPUSH(r < g->nroots ? g->roots[r] : g->stash[r - g->nroots]);
	while (sn) {
		mgt_node *n = st[--sn].n;
		if (!n) {
			h = digest(h, 0);
			continue;
		}
		if (mg_typeof(g->rt, n, NULL) != &mgt_node_type)
			GFAIL(g, "heap walk reached %p, which is not a live mgt.node", (void *)n);
		if (n->id <= 0 || (size_t)n->id > g->n)
			GFAIL(g, "heap walk reached %p with a bad id %" PRId64, (void *)n, n->id);
		uint32_t id = (uint32_t)n->id;
		h = digest(h, id);
		if (g->sh[id].visit == g->epoch)
			continue;
		g->sh[id].visit = g->epoch;
		h = digest(h, (uint64_t)n->value);
		for (int k = MGT_EDGES; k-- > 0;)
			HPUSH(n->edge[k]);
	}
#undef HPUSH
	free(st);
	return h;
}

size_t mgt_graph_verify(mgt_graph *g)
{
	size_t reached;
	uint64_t model = walk_model(g, true, &reached);
	uint64_t heap = mgt_graph_checksum_heap(g);
	if (heap != model)
		GFAIL(g, "heap checksum %#" PRIx64 " != model checksum %#" PRIx64, heap, model);
	g->reachable = reached;
	return reached;
}
