/*
 * stress_graph.c — workload `graph`: a random object graph rewired through
 * the write barriers.  No maps: this is the collector's own test, and the
 * negative test of DESIGN.md §7 (with wb=none and gccheckmark=1 it must be
 * caught for every seed).
 *
 * The heap.  Nodes are { id, value, visit, edge[4] } with the four edges as
 * labelled pointer fields "edge[0]".."edge[3]".  A heap array of R =
 * max(1, live/8) pointers, held in the scope slot "graph.roots", holds the
 * first R nodes; its slots never change afterwards.  Setup builds `live`
 * nodes (ids 1..live): each node after the first R hangs off a free edge of
 * a random earlier node (a random recursive tree, so depth grows like
 * log live), then live/4 cross edges join random nodes (cycles allowed).
 *
 * Each operation walks from a random root slot 0..8 steps, each along a
 * random non-NULL edge (stopping early at a node with none), to pick a node
 * A, and then (percentages of operations):
 *   swap    50  A.edge[i] <-> B.edge[j] for a second walked node B: two
 *               mg_store calls.  This is the move that defeats a marker
 *               without barriers: when A is already black and B not yet
 *               scanned, the white subtree moved from B into A is reachable
 *               only through a black object, and B lost its only edge to it.
 *   insert  20  a new node N (fresh id): N.edge[0] = A.edge[i],
 *               A.edge[i] = N.  Also a hiding move: N is allocated black
 *               during mark, and the old A.edge[i] now hangs off N only.
 *   splice  20  C = A.edge[i] for a random non-NULL edge i (none: no-op),
 *               A.edge[i] = C.edge[k] for any k: drops C and its other
 *               subtrees unless reachable another way.  (Choosing i among
 *               all four edges would make most splices no-ops at leaves,
 *               and the graph would double in size over a run.)
 *   update  10  A.value = a new random number (not a pointer: plain store).
 * Inserts and splices balance so the live set stays near its start size;
 * swaps that move a subtree under itself cut off a cycle, so it drifts down
 * slowly (measured: 20000 nodes are ~20000 after 200000 ops, 100000 are
 * ~84000 after the default 2000000).
 *
 * Detection, measured on the first implementation of the collector (debug,
 * release and ASan builds, 2 CPUs, up to 4 runs at once): with
 * MAPGC_DEBUG=wb=none,gccheckmark=1 and --live 20000 --ops 200000 --gogc 25
 * (about 8 cycles), 3500 of 3500 seeds were caught, all in the first or
 * second cycle that overlaps the operations; with the defaults, 30 of 30.
 * A run with --ops 0 is never caught: setup only adds edges, so nothing
 * can hide, which shows the catch comes from the swaps and inserts.
 *
 * Every pointer store into a node or the root array is an mg_store.  Only
 * insert allocates, so only it roots locals across the allocation (A; N is
 * stored before anything else can allocate).  No other operation reaches
 * a safepoint between reading a pointer from the heap and storing it back.
 *
 * The checksum is a depth-first walk from the root array in slot order,
 * edges in index order, visiting each reachable node once (the `visit`
 * field holds the walk's epoch), digesting for each root slot the id it
 * holds, and for each node in visit order its id, its value, and the ids
 * its edges point to (0 for NULL).  It depends on the shape of the
 * reachable graph, not on addresses, so it is the same for every barrier
 * and GC setting (stress.h, inv.seed-only).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>

#include "stress.h"

enum { GRAPH_EDGES = 4 };

/* Operation mix, in percent (see the essay).  Swaps dominate because they
 * are what wb=none must be caught by; inserts and splices balance. */
enum {
	GRAPH_PCT_SWAP = 50,
	GRAPH_PCT_INSERT = 20,
	GRAPH_PCT_SPLICE = 20,
	GRAPH_PCT_UPDATE = 10,
};
_Static_assert(GRAPH_PCT_SWAP + GRAPH_PCT_INSERT + GRAPH_PCT_SPLICE + GRAPH_PCT_UPDATE == 100,
	"graph operation mix must add up to 100%");

/* Longest random walk.  Short enough that an operation is cheap, long
 * enough to reach well past the roots' children into the tree, whose
 * depth is about ln(live/R) + a few. */
enum { GRAPH_WALK_MAX = 8 };

typedef struct graph_node {
	int64_t id;                              /* 1.. in creation order; never reused */
	int64_t value;                           /* payload, changed by update */
	int64_t visit;                           /* epoch of the last checksum walk that saw it */
	struct graph_node *edge[GRAPH_EDGES];    /* the only pointer fields */
} graph_node;

#define GRAPH_EDGE_FIELD(k) { offsetof(graph_node, edge) + (k) * sizeof(graph_node *), "edge[" #k "]" }
static const mg_field graph_node_fields[GRAPH_EDGES] = {
	GRAPH_EDGE_FIELD(0), GRAPH_EDGE_FIELD(1), GRAPH_EDGE_FIELD(2), GRAPH_EDGE_FIELD(3),
};
#undef GRAPH_EDGE_FIELD
_Static_assert(GRAPH_EDGES == 4, "graph_node_fields lists four edges");

static const mg_type graph_node_type = {
	.name = "graph.node",
	.size = sizeof(graph_node),
	.align = _Alignof(graph_node),
	.ptrs = graph_node_fields,
	.nptrs = GRAPH_EDGES,
};

typedef struct graph {
	mg_runtime *rt;
	stress_rng rng;
	graph_node **roots;   /* heap array of nroots slots; rooted as "graph.roots" */
	size_t nroots;
	int64_t last_id;      /* ids handed out so far */
	int64_t epoch;        /* of the last checksum walk */
} graph;

/* ---- setup ---------------------------------------------------------------- */

/* Index of a random NULL edge of n, or -1 when all are taken. */
static int
graph_free_edge(graph *g, const graph_node *n)
{
	int free_edges[GRAPH_EDGES], nfree = 0;

	for (int k = 0; k < GRAPH_EDGES; k++)
		if (n->edge[k] == NULL)
			free_edges[nfree++] = k;
	if (nfree == 0)
		return -1;
	return free_edges[stress_rng_below(&g->rng, (uint64_t)nfree)];
}

/* Store `to` into a random free edge of nodes[from], or of the next node
 * (cyclically, below `limit`) that has one.  The caller guarantees one
 * exists in the range. */
static void
graph_attach(graph *g, graph_node **nodes, size_t limit, size_t from, graph_node *to)
{
	for (size_t tries = 0; tries < limit; tries++, from = (from + 1) % limit) {
		int k = graph_free_edge(g, nodes[from]);
		if (k >= 0) {
			mg_store(g->rt, &nodes[from]->edge[k], to);
			return;
		}
	}
	abort();   /* unreachable: see the callers */
}

static void
graph_build(graph *g, uint64_t live)
{
	mg_runtime *rt = g->rt;
	graph_node **nodes;   /* C-heap index of the nodes, for random picks; the
	                       * collector does not see it, and needs not: every
	                       * node is in the graph before the next allocation */
	graph_node *n = NULL;
	mg_scope scope;

	nodes = malloc((size_t)live * sizeof *nodes);
	if (nodes == NULL && live > 0)
		mg_fatal(rt, "graph: out of C memory for %" PRIu64 " node pointers", live);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &n, "graph.new");
	for (uint64_t i = 0; i < live; i++) {
		n = mg_alloc(rt, &graph_node_type);
		n->id = ++g->last_id;
		n->value = (int64_t)stress_rng_next(&g->rng);
		nodes[i] = n;
		if (i < g->nroots)
			mg_store(rt, &g->roots[i], n);
		else   /* node i-1 has no children yet, so attach always finds an edge */
			graph_attach(g, nodes, (size_t)i, (size_t)stress_rng_below(&g->rng, i), n);
	}
	n = NULL;
	/* Cross edges: at most live/4 of 4*live edges, and the tree uses fewer
	 * than live, so a free edge always exists. */
	for (uint64_t c = 0; c < live / 4; c++) {
		size_t from = (size_t)stress_rng_below(&g->rng, live);
		size_t to = (size_t)stress_rng_below(&g->rng, live);
		graph_attach(g, nodes, (size_t)live, from, nodes[to]);
	}
	mg_scope_leave(rt, &scope);
	free(nodes);
}

/* ---- operations ------------------------------------------------------------ */

static graph_node *
graph_walk(graph *g)
{
	graph_node *n = g->roots[stress_rng_below(&g->rng, g->nroots)];
	uint64_t steps = stress_rng_below(&g->rng, GRAPH_WALK_MAX + 1);

	for (uint64_t s = 0; s < steps; s++) {
		graph_node *next[GRAPH_EDGES];
		int nnext = 0;
		for (int k = 0; k < GRAPH_EDGES; k++)
			if (n->edge[k] != NULL)
				next[nnext++] = n->edge[k];
		if (nnext == 0)
			break;
		n = next[stress_rng_below(&g->rng, (uint64_t)nnext)];
	}
	return n;
}

static int
graph_edge_index(graph *g)
{
	return (int)stress_rng_below(&g->rng, GRAPH_EDGES);
}

static void
graph_swap(graph *g)
{
	graph_node *a = graph_walk(g);
	int i = graph_edge_index(g);
	graph_node *b = graph_walk(g);
	int j = graph_edge_index(g);
	graph_node *va = a->edge[i], *vb = b->edge[j];

	mg_store(g->rt, &a->edge[i], vb);
	mg_store(g->rt, &b->edge[j], va);
}

static void
graph_insert(graph *g)
{
	mg_runtime *rt = g->rt;
	graph_node *a = graph_walk(g), *n;
	int i = graph_edge_index(g);
	int64_t value = (int64_t)stress_rng_next(&g->rng);
	mg_scope scope;

	mg_scope_enter(rt, &scope);
	mg_root(rt, &a, "graph.insert.a");   /* mg_alloc may collect */
	n = mg_alloc(rt, &graph_node_type);
	n->id = ++g->last_id;
	n->value = value;
	mg_store(rt, &n->edge[0], a->edge[i]);
	mg_store(rt, &a->edge[i], n);
	mg_scope_leave(rt, &scope);
}

/* Index of a random non-NULL edge of n, or -1 when it has none. */
static int
graph_used_edge(graph *g, const graph_node *n)
{
	int used[GRAPH_EDGES], nused = 0;

	for (int k = 0; k < GRAPH_EDGES; k++)
		if (n->edge[k] != NULL)
			used[nused++] = k;
	if (nused == 0)
		return -1;
	return used[stress_rng_below(&g->rng, (uint64_t)nused)];
}

static void
graph_splice(graph *g)
{
	graph_node *a = graph_walk(g);
	int i = graph_used_edge(g, a);

	if (i < 0)
		return;
	graph_node *c = a->edge[i];
	mg_store(g->rt, &a->edge[i], c->edge[graph_edge_index(g)]);
}

static void
graph_update(graph *g)
{
	graph_node *a = graph_walk(g);

	a->value = (int64_t)stress_rng_next(&g->rng);
}

static void
graph_op(graph *g)
{
	uint64_t r = stress_rng_below(&g->rng, 100);

	if (r < GRAPH_PCT_SWAP)
		graph_swap(g);
	else if (r < GRAPH_PCT_SWAP + GRAPH_PCT_INSERT)
		graph_insert(g);
	else if (r < GRAPH_PCT_SWAP + GRAPH_PCT_INSERT + GRAPH_PCT_SPLICE)
		graph_splice(g);
	else
		graph_update(g);
}

/* ---- checksum --------------------------------------------------------------- */

/* A growable stack of node pointers in C memory.  Safe without rooting: the
 * walk neither allocates nor reaches a safepoint (stress.h,
 * inv.checksum-pure), so nothing is collected while it runs. */
typedef struct graph_stack {
	graph_node **v;
	size_t len, cap;
} graph_stack;

static void
graph_push(graph *g, graph_stack *s, graph_node *n)
{
	if (s->len == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		graph_node **v = realloc(s->v, cap * sizeof *v);
		if (v == NULL)
			mg_fatal(g->rt, "graph: out of C memory for a checksum stack of %zu", cap);
		s->v = v;
		s->cap = cap;
	}
	s->v[s->len++] = n;
}

static int64_t
graph_id(const graph_node *n)
{
	return n != NULL ? n->id : 0;
}

/* Digest of the reachable graph; *count gets the number of nodes reached. */
static uint64_t
graph_checksum(graph *g, uint64_t *count)
{
	stress_digest d;
	graph_stack s = { 0 };
	int64_t epoch = ++g->epoch;
	uint64_t reached = 0;

	stress_digest_init(&d);
	for (size_t r = 0; r < g->nroots; r++) {
		stress_digest_add(&d, (uint64_t)graph_id(g->roots[r]));
		if (g->roots[r] != NULL)
			graph_push(g, &s, g->roots[r]);
		while (s.len > 0) {
			graph_node *n = s.v[--s.len];
			if (n->visit == epoch)
				continue;
			n->visit = epoch;
			reached++;
			stress_digest_add(&d, (uint64_t)n->id);
			stress_digest_add(&d, (uint64_t)n->value);
			for (int k = 0; k < GRAPH_EDGES; k++)
				stress_digest_add(&d, (uint64_t)graph_id(n->edge[k]));
			/* Reverse order, so edge[0]'s subtree is visited first. */
			for (int k = GRAPH_EDGES - 1; k >= 0; k--)
				if (n->edge[k] != NULL && n->edge[k]->visit != epoch)
					graph_push(g, &s, n->edge[k]);
		}
	}
	free(s.v);
	*count = reached;
	return stress_digest_final(&d);
}

/* ---- the workload ------------------------------------------------------------ */

static stress_result
graph_run(mg_runtime *rt, const stress_params *p)
{
	graph g = { .rt = rt, .rng = { p->seed } };
	stress_result res;
	mg_scope scope;

	g.nroots = p->live / 8 > 0 ? (size_t)(p->live / 8) : 1;
	mg_scope_enter(rt, &scope);
	mg_root(rt, &g.roots, "graph.roots");
	g.roots = mg_alloc_array(rt, &mg_type_ptr, g.nroots);
	graph_build(&g, p->live);
	for (uint64_t op = 0; op < p->ops; op++) {
		stress_tick(rt);
		graph_op(&g);
	}
	res.checksum = graph_checksum(&g, &res.live_end);
	mg_scope_leave(rt, &scope);
	return res;
}

const stress_workload stress_workload_graph = {
	.name = "graph",
	.description =
		"A random object graph, no maps: nodes with four labelled pointer "
		"fields, built as a random tree under a root array of live/8 slots "
		"plus live/4 cross edges, then rewired by random walks: 50% swap two "
		"edges, 20% insert a node, 20% splice a node out, 10% update a value. "
		"Every pointer store goes through mg_store; swaps during incremental "
		"marking hide objects from a marker without barriers, so with "
		"MAPGC_DEBUG=wb=none,gccheckmark=1 the run is caught for every seed. "
		"--live is the node count at start; the checksum digests the "
		"reachable graph in depth-first order.",
	.default_ops = 2000000,
	.default_live = 100000,
	.run = graph_run,
};
