/*
 * dom.c — dominator trees (reach_dom.c) against brute force, and retained
 * sizes against their definition.
 *
 * Brute force, straight from the definition: d dominates v iff v is
 * reachable from the root and not reachable once d is removed (d = v and
 * d = root always dominate).  idom(v) is the strict dominator of v that all
 * of v's other strict dominators dominate: the one with the most
 * dominators itself.  retained(v) = the sum of w over the vertices v
 * dominates.  O(n * (n + m)): fine for a few hundred vertices.
 */
#include "tests/reach/reach_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct dg {
	uint32_t n, m;
	uint32_t *off, *adj;
} dg;

/* Build CSR from an edge list (u, v pairs). */
static void
dg_build(dg *g, uint32_t n, const uint32_t (*edges)[2], uint32_t m)
{
	g->n = n;
	g->m = m;
	g->off = calloc((size_t)n + 1, sizeof *g->off);
	g->adj = malloc((m ? m : 1) * sizeof *g->adj);
	cr_assert(g->off && g->adj);
	for (uint32_t e = 0; e < m; e++)
		g->off[edges[e][0] + 1]++;
	for (uint32_t v = 0; v < n; v++)
		g->off[v + 1] += g->off[v];
	uint32_t *cur = malloc(((size_t)n + 1) * sizeof *cur);
	cr_assert_not_null(cur);
	memcpy(cur, g->off, ((size_t)n + 1) * sizeof *cur);
	for (uint32_t e = 0; e < m; e++)
		g->adj[cur[edges[e][0]]++] = edges[e][1];
	free(cur);
}

static void
dg_free(dg *g)
{
	free(g->off);
	free(g->adj);
}

/* Reachable from root without passing through `removed` (RD_NONE: none). */
static void
dg_reach(const dg *g, uint32_t root, uint32_t removed, uint8_t *seen, uint32_t *stack)
{
	uint32_t sp = 0;

	memset(seen, 0, g->n);
	if (root == removed)
		return;
	seen[root] = 1;
	stack[sp++] = root;
	while (sp > 0) {
		uint32_t v = stack[--sp];
		for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++) {
			uint32_t w = g->adj[e];
			if (w == removed || seen[w])
				continue;
			seen[w] = 1;
			stack[sp++] = w;
		}
	}
}

/* dom[d * n + v]: d dominates v. */
static uint8_t *
dg_brute_dom(const dg *g, uint32_t root, uint8_t *reach)
{
	uint32_t n = g->n;
	uint8_t *dom = calloc((size_t)n * n, 1), *seen = malloc(n);
	uint32_t *stack = malloc((size_t)n * sizeof *stack);

	cr_assert(dom && seen && stack);
	dg_reach(g, root, RD_NONE, reach, stack);
	for (uint32_t d = 0; d < n; d++) {
		if (!reach[d])
			continue;
		dg_reach(g, root, d, seen, stack);
		for (uint32_t v = 0; v < n; v++)
			dom[(size_t)d * n + v] = reach[v] && (!seen[v] || v == d);
	}
	free(seen);
	free(stack);
	return dom;
}

/* Check rd_idom and rd_subtree_sums against brute force. */
static void
dg_check(const dg *g, uint32_t root, const uint64_t *w, const char *what)
{
	uint32_t n = g->n, nreached = 0;
	uint32_t *idom = malloc((size_t)n * sizeof *idom), *order = malloc((size_t)n * sizeof *order);
	uint64_t *sums = malloc((size_t)n * sizeof *sums);
	uint8_t *reach = malloc(n);

	cr_assert(idom && order && sums && reach);
	cr_assert_eq(rd_idom(n, root, g->off, g->adj, idom, order, &nreached), 0);
	uint8_t *dom = dg_brute_dom(g, root, reach);
	uint32_t count = 0;
	uint32_t *ndoms = calloc(n, sizeof *ndoms);   /* dominators of each vertex */
	cr_assert_not_null(ndoms);
	for (uint32_t v = 0; v < n; v++) {
		count += reach[v];
		for (uint32_t d = 0; d < n; d++)
			ndoms[v] += dom[(size_t)d * n + v];
	}
	cr_assert_eq(nreached, count, "%s: %" PRIu32 " reached, brute force %" PRIu32, what, nreached, count);
	cr_assert_eq(order[0], root);
	for (uint32_t v = 0; v < n; v++) {
		if (!reach[v]) {
			cr_assert_eq(idom[v], RD_NONE, "%s: unreachable %" PRIu32 " has an idom", what, v);
			continue;
		}
		if (v == root) {
			cr_assert_eq(idom[v], root);
			continue;
		}
		/* idom: the strict dominator with the most dominators of its own. */
		uint32_t best = RD_NONE, bestc = 0;
		for (uint32_t d = 0; d < n; d++) {
			if (d == v || !dom[(size_t)d * n + v])
				continue;
			uint32_t c = ndoms[d];
			if (best == RD_NONE || c > bestc) {
				best = d;
				bestc = c;
			}
		}
		cr_assert_eq(idom[v], best, "%s: idom(%" PRIu32 ") = %" PRIu32 ", brute force %" PRIu32, what, v,
			idom[v], best);
	}
	if (w != NULL) {
		rd_subtree_sums(n, idom, order, nreached, w, sums);
		for (uint32_t v = 0; v < n; v++) {
			uint64_t want = 0;
			for (uint32_t x = 0; x < n; x++)
				if (dom[(size_t)v * n + x])
					want += w[x];
			cr_assert_eq(sums[v], want, "%s: retained(%" PRIu32 ") = %" PRIu64 ", brute force %" PRIu64, what, v,
				sums[v], want);
		}
	}
	free(ndoms);
	free(dom);
	free(idom);
	free(order);
	free(sums);
	free(reach);
}

/* Lengauer and Tarjan's own example (TOPLAS 1979, fig. 1): R=0, A..L=1..12. */
Test(reach_dom, lengauer_tarjan_example)
{
	enum { R, A, B, C, D, E, F, G, H, I, J, K, L, N };
	static const uint32_t edges[][2] = {
		{R, A}, {R, B}, {R, C}, {A, D}, {B, A}, {B, D}, {B, E}, {C, F}, {C, G}, {D, L},
		{E, H}, {F, I}, {G, I}, {G, J}, {H, E}, {H, K}, {I, K}, {J, I}, {K, I}, {K, R}, {L, H},
	};
	dg g;
	uint32_t idom[N], order[N], nreached;
	static const uint32_t want[N] = {
		[R] = R, [A] = R, [B] = R, [C] = R, [D] = R, [E] = R, [F] = C,
		[G] = C, [H] = R, [I] = R, [J] = G, [K] = R, [L] = D,
	};

	dg_build(&g, N, edges, sizeof edges / sizeof edges[0]);
	cr_assert_eq(rd_idom(N, R, g.off, g.adj, idom, order, &nreached), 0);
	cr_assert_eq(nreached, N);
	for (uint32_t v = 0; v < N; v++)
		cr_assert_eq(idom[v], want[v], "idom(%c) = %" PRIu32 ", want %" PRIu32, "RABCDEFGHIJKL"[v], idom[v], want[v]);
	dg_check(&g, R, NULL, "LT example");
	dg_free(&g);
}

Test(reach_dom, tiny_graphs)
{
	/* A diamond: 0 → 1, 2 → 3: 3's idom is 0. */
	static const uint32_t diamond[][2] = {{0, 1}, {0, 2}, {1, 3}, {2, 3}};
	/* A chain with a back edge and a self loop. */
	static const uint32_t chain[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 1}, {2, 2}};
	/* Unreachable vertices and an edge into the reachable part. */
	static const uint32_t island[][2] = {{0, 1}, {3, 1}, {3, 4}, {4, 3}};
	/* Two roots under a virtual root (what ra_analyze builds): 0 is virtual. */
	static const uint32_t two_roots[][2] = {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {3, 4}, {1, 5}};
	static const uint64_t w[6] = {0, 10, 20, 30, 40, 50};
	dg g;

	dg_build(&g, 4, diamond, 4);
	dg_check(&g, 0, w, "diamond");
	dg_free(&g);
	dg_build(&g, 4, chain, 5);
	dg_check(&g, 0, w, "chain");
	dg_free(&g);
	dg_build(&g, 5, island, 4);
	dg_check(&g, 0, w, "island");
	dg_free(&g);
	dg_build(&g, 6, two_roots, 6);
	dg_check(&g, 0, w, "two roots");
	uint32_t idom[6], order[6], nr;
	uint64_t sums[6];
	rd_idom(6, 0, g.off, g.adj, idom, order, &nr);
	rd_subtree_sums(6, idom, order, nr, w, sums);
	cr_assert_eq(idom[3], 0, "held from both roots: only the virtual root dominates it");
	cr_assert_eq(sums[1], 10 + 50, "root 1 retains itself and 5, not 3 or 4");
	cr_assert_eq(sums[3], 30 + 40);
	dg_free(&g);
	/* A single vertex, and a root with no edges among others. */
	dg_build(&g, 1, NULL, 0);
	dg_check(&g, 0, w, "single");
	dg_free(&g);
	dg_build(&g, 3, NULL, 0);
	dg_check(&g, 1, w, "isolated root");
	dg_free(&g);
}

/* Random graphs of a few hundred vertices, of several densities and shapes:
 * uniform, a tree plus cross edges (heap-like), and long chains. */
Test(reach_dom, random_graphs_against_brute_force)
{
	mgt_rng rng;
	mgt_rng_init(&rng, 20240601);
	for (int round = 0; round < 60; round++) {
		uint32_t n = 2 + (uint32_t)mgt_rng_below(&rng, 300);
		uint32_t shape = (uint32_t)(round % 3);
		uint32_t m = shape == 0 ? (uint32_t)mgt_rng_below(&rng, 4 * (uint64_t)n + 1)
			: n + (uint32_t)mgt_rng_below(&rng, (uint64_t)n / 2 + 1);
		uint32_t (*edges)[2] = malloc(((size_t)m + n) * sizeof *edges);
		uint64_t *w = malloc((size_t)n * sizeof *w);
		cr_assert(edges && w);
		uint32_t k = 0;
		if (shape == 1)   /* a random tree: every vertex below an earlier one */
			for (uint32_t v = 1; v < n; v++)
				edges[k][0] = (uint32_t)mgt_rng_below(&rng, v), edges[k++][1] = v;
		if (shape == 2)   /* a chain */
			for (uint32_t v = 1; v < n; v++)
				edges[k][0] = v - 1, edges[k++][1] = v;
		while (k < m) {
			edges[k][0] = (uint32_t)mgt_rng_below(&rng, n);
			edges[k][1] = (uint32_t)mgt_rng_below(&rng, n);
			k++;
		}
		for (uint32_t v = 0; v < n; v++)
			w[v] = 1 + mgt_rng_below(&rng, 1000);
		dg g;
		dg_build(&g, n, (const uint32_t (*)[2])edges, k);
		char what[96];
		snprintf(what, sizeof what, "round %d (n %" PRIu32 ", m %" PRIu32 ", shape %" PRIu32 ", seed %" PRIu64 ")",
			round, n, k, shape, rng.seed);
		dg_check(&g, (uint32_t)mgt_rng_below(&rng, n), w, what);
		dg_free(&g);
		free(edges);
		free(w);
	}
}

/* Nothing recurses: a chain of two million vertices (plus a back edge to
 * make path compression work) is no deeper for the algorithm than a star. */
Test(reach_dom, long_chain_no_recursion)
{
	uint32_t n = 2000000;
	dg g = {.n = n, .m = n};
	g.off = malloc(((size_t)n + 1) * sizeof *g.off);
	g.adj = malloc((size_t)n * sizeof *g.adj);
	uint32_t *idom = malloc((size_t)n * sizeof *idom);
	cr_assert(g.off && g.adj && idom);
	for (uint32_t v = 0; v <= n; v++)
		g.off[v] = v;
	for (uint32_t v = 0; v < n; v++)
		g.adj[v] = v + 1 < n ? v + 1 : n / 2;   /* last vertex points back into the middle */
	uint32_t nr;
	cr_assert_eq(rd_idom(n, 0, g.off, g.adj, idom, NULL, &nr), 0);
	cr_assert_eq(nr, n);
	for (uint32_t v = 1; v < n; v++)
		cr_assert_eq(idom[v], v - 1);
	free(idom);
	dg_free(&g);
}

/* "Hundreds of thousands of nodes in reasonable time": a heap-shaped graph
 * (random tree plus 3 cross edges per vertex) of 400000 vertices, 1.6 M
 * edges.  The bound is loose (sanitizers, slow machines); the test is
 * that the algorithm is not quadratic, which would take hours. */
Test(reach_dom, large_graph_in_reasonable_time)
{
	uint32_t n = 400000, m = 4 * n;
	mgt_rng rng;
	mgt_rng_init(&rng, 99);
	uint32_t (*edges)[2] = malloc((size_t)m * sizeof *edges);
	uint32_t *idom = malloc((size_t)n * sizeof *idom), *order = malloc((size_t)n * sizeof *order);
	uint64_t *w = malloc((size_t)n * sizeof *w), *sums = malloc((size_t)n * sizeof *sums);
	cr_assert(edges && idom && order && w && sums);
	uint32_t k = 0;
	for (uint32_t v = 1; v < n; v++)
		edges[k][0] = (uint32_t)mgt_rng_below(&rng, v), edges[k++][1] = v;
	while (k < m) {
		edges[k][0] = (uint32_t)mgt_rng_below(&rng, n);
		edges[k][1] = (uint32_t)mgt_rng_below(&rng, n);
		k++;
	}
	dg g;
	dg_build(&g, n, (const uint32_t (*)[2])edges, m);
	for (uint32_t v = 0; v < n; v++)
		w[v] = 1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint32_t nr;
	cr_assert_eq(rd_idom(n, 0, g.off, g.adj, idom, order, &nr), 0);
	rd_subtree_sums(n, idom, order, nr, w, sums);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_eq(nr, n);
	cr_assert_eq(sums[0], n, "the root dominates everything");
	cr_assert_lt(secs, 30.0, "dominators of 400000 vertices took %.1f s", secs);
	/* Spot-check the tree: every idom is a proper ancestor in DFS order. */
	uint32_t *pos = malloc((size_t)n * sizeof *pos);
	cr_assert_not_null(pos);
	for (uint32_t i = 0; i < nr; i++)
		pos[order[i]] = i;
	for (uint32_t v = 1; v < n; v++)
		cr_assert_lt(pos[idom[v]], pos[v], "inv.rd-order");
	free(pos);
	dg_free(&g);
	free(edges);
	free(idom);
	free(order);
	free(w);
	free(sums);
}
