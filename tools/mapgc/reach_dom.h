/*
 * reach_dom.h — dominator trees of large graphs (prefix rd_).
 *
 * In a graph with a root r, d dominates v when every path from r to v
 * passes through d; the immediate dominator idom(v) is the dominator of v
 * (other than v) that every other one dominates.  The idom links form a
 * tree, and an object's *retained size* is the total size of its subtree:
 * what the collector would free if that one object were dropped.
 *
 * ALGORITHM: Lengauer and Tarjan, "A fast algorithm for finding dominators
 * in a flowgraph" (TOPLAS 1979), the simple version with path compression,
 * O(m log n) — chosen over the iterative Cooper-Harvey-Kennedy scheme
 * because CHK can need many passes over a heap graph with long chains (an
 * overflow list of a million buckets), while LT is one pass whatever the
 * shape.  In steps, on DFS preorder numbers:
 *   1. depth-first search from r, numbering vertices in preorder, keeping
 *      each vertex's DFS-tree parent; collect predecessor lists;
 *   2. for vertices w in decreasing number: the semidominator is the
 *      smallest number reachable by eval() of w's predecessors (eval walks
 *      the forest of processed vertices, compressing paths); put w in its
 *      semidominator's bucket, link w below its parent, and for each v in
 *      the parent's bucket set idom(v) to the parent or to eval(v), which
 *      step 3 corrects;
 *   3. in increasing number, idom(w) = idom(idom(w)) where step 2 left a
 *      vertex whose semidominator differs.
 * Nothing recurses: the DFS and the path compression use explicit stacks,
 * so a chain of a million objects is fine.  Memory: 11 words per vertex
 * plus one per edge (the predecessor lists).
 *
 *   inv.rd-order: in DFS preorder, idom(v) comes before v.  Subtree sums
 *   are therefore exact when vertices are folded into their idom in
 *   reverse preorder (rd_subtree_sums).
 */
#ifndef MAPGC_TOOLS_REACH_DOM_H
#define MAPGC_TOOLS_REACH_DOM_H

#include <stdbool.h>
#include <stdint.h>

#define RD_NONE UINT32_MAX

/*
 * Immediate dominators of the graph with nodes 0..n-1 whose successors of
 * v are adj[off[v] .. off[v+1]) (every adj value < n), from root.
 * Writes idom[v] for every v: root for the root itself, RD_NONE for nodes
 * the root does not reach.  order (may be NULL) receives the reached nodes
 * in DFS preorder, *nreached of them.  Returns 0, or -1 when memory runs out.
 */
int rd_idom(uint32_t n, uint32_t root, const uint32_t *off, const uint32_t *adj,
	uint32_t *idom, uint32_t *order, uint32_t *nreached);

/*
 * sums[v] = w[v] plus the sums of v's children in the dominator tree, for
 * every reached v (0 for the others); order and nreached as rd_idom gave
 * them (inv.rd-order).
 */
void rd_subtree_sums(uint32_t n, const uint32_t *idom, const uint32_t *order, uint32_t nreached,
	const uint64_t *w, uint64_t *sums);

#endif /* MAPGC_TOOLS_REACH_DOM_H */
