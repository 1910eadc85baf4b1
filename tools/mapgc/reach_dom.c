/*
 * reach_dom.c — Lengauer–Tarjan dominators (see reach_dom.h for the steps).
 *
 * Everything after the DFS works on preorder numbers 0..cnt-1 (0 is the
 * root), so the arrays are dense whatever the node ids are, and "semi[u] <
 * semi[w]" compares preorder numbers directly.
 */
#include "reach_dom.h"

#include <stdlib.h>
#include <string.h>

typedef struct rd_work {
	uint32_t *num;      /* [n] node -> preorder number, RD_NONE unreached */
	uint32_t *vertex;   /* [cnt] number -> node */
	uint32_t *parent;   /* [cnt] number of the DFS-tree parent */
	uint32_t *semi;     /* [cnt] semidominator (a number) */
	uint32_t *label;    /* [cnt] number with the least semi on the compressed path */
	uint32_t *ancestor; /* [cnt] forest link, RD_NONE for a forest root */
	uint32_t *dom;      /* [cnt] idom, as a number */
	uint32_t *bhead;    /* [cnt] bucket of vertices with this semidominator */
	uint32_t *bnext;    /* [cnt] next in the same bucket */
	uint32_t *poff;     /* [cnt + 1] predecessor lists (numbers) */
	uint32_t *pred;
	uint32_t *stack;    /* [cnt] DFS and compression stack */
	uint32_t *spos;     /* [n] DFS: next successor to look at */
} rd_work;

static void
rd_work_free(rd_work *w)
{
	free(w->num);
	free(w->vertex);
	free(w->parent);
	free(w->semi);
	free(w->label);
	free(w->ancestor);
	free(w->dom);
	free(w->bhead);
	free(w->bnext);
	free(w->poff);
	free(w->pred);
	free(w->stack);
	free(w->spos);
}

/* Step 1: iterative DFS in successor order.  Returns the count reached. */
static uint32_t
rd_dfs(rd_work *w, uint32_t root, const uint32_t *off, const uint32_t *adj)
{
	uint32_t cnt = 0, sp = 0;

	w->num[root] = cnt;
	w->vertex[cnt] = root;
	w->parent[cnt] = RD_NONE;
	cnt++;
	w->stack[sp++] = root;
	w->spos[root] = off[root];
	while (sp > 0) {
		uint32_t v = w->stack[sp - 1];
		if (w->spos[v] == off[v + 1]) {
			sp--;
			continue;
		}
		uint32_t s = adj[w->spos[v]++];
		if (w->num[s] != RD_NONE)
			continue;
		w->num[s] = cnt;
		w->vertex[cnt] = s;
		w->parent[cnt] = w->num[v];
		cnt++;
		w->spos[s] = off[s];
		w->stack[sp++] = s;   /* each node is pushed once: sp <= cnt <= n */
	}
	return cnt;
}

/* Predecessor lists, by number, of the reached part. */
static int
rd_preds(rd_work *w, uint32_t cnt, const uint32_t *off, const uint32_t *adj)
{
	size_t m = 0;

	w->poff = calloc((size_t)cnt + 1, sizeof *w->poff);
	if (w->poff == NULL)
		return -1;
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t v = w->vertex[i];
		for (uint32_t e = off[v]; e < off[v + 1]; e++) {
			w->poff[w->num[adj[e]] + 1]++;   /* reached from a reached node: numbered */
			m++;
		}
	}
	for (uint32_t i = 0; i < cnt; i++)
		w->poff[i + 1] += w->poff[i];
	w->pred = malloc((m ? m : 1) * sizeof *w->pred);
	if (w->pred == NULL)
		return -1;
	/* Fill with a moving cursor per list (bnext is free scratch here). */
	uint32_t *cur = w->bnext;
	memcpy(cur, w->poff, (size_t)cnt * sizeof *cur);
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t v = w->vertex[i];
		for (uint32_t e = off[v]; e < off[v + 1]; e++)
			w->pred[cur[w->num[adj[e]]]++] = i;
	}
	return 0;
}

/* Path compression without recursion: the chain of forest links from v up
 * to the vertex below the forest root is pushed, then relabelled top-down,
 * as the recursive version would on its way back. */
static void
rd_compress(rd_work *w, uint32_t v)
{
	uint32_t sp = 0;

	while (w->ancestor[w->ancestor[v]] != RD_NONE) {
		w->stack[sp++] = v;
		v = w->ancestor[v];
	}
	while (sp > 0) {
		uint32_t x = w->stack[--sp];
		uint32_t a = w->ancestor[x];
		if (w->semi[w->label[a]] < w->semi[w->label[x]])
			w->label[x] = w->label[a];
		w->ancestor[x] = w->ancestor[a];
	}
}

static uint32_t
rd_eval(rd_work *w, uint32_t v)
{
	if (w->ancestor[v] == RD_NONE)
		return v;
	rd_compress(w, v);
	return w->label[v];
}

int
rd_idom(uint32_t n, uint32_t root, const uint32_t *off, const uint32_t *adj,
	uint32_t *idom, uint32_t *order, uint32_t *nreached)
{
	rd_work w = {0};
	size_t sz = (n ? n : 1) * sizeof(uint32_t);

	for (uint32_t v = 0; v < n; v++)
		idom[v] = RD_NONE;
	if (nreached != NULL)
		*nreached = 0;
	if (root >= n)
		return 0;
	w.num = malloc(sz);
	w.vertex = malloc(sz);
	w.parent = malloc(sz);
	w.stack = malloc(sz);
	w.spos = malloc(sz);
	w.bnext = malloc(sz);
	if (!w.num || !w.vertex || !w.parent || !w.stack || !w.spos || !w.bnext)
		goto oom;
	memset(w.num, 0xff, sz);   /* RD_NONE */

	uint32_t cnt = rd_dfs(&w, root, off, adj);
	free(w.spos);
	w.spos = NULL;
	if (rd_preds(&w, cnt, off, adj) != 0)
		goto oom;
	sz = (size_t)cnt * sizeof(uint32_t);
	w.semi = malloc(sz);
	w.label = malloc(sz);
	w.ancestor = malloc(sz);
	w.dom = malloc(sz);
	w.bhead = malloc(sz);
	if (!w.semi || !w.label || !w.ancestor || !w.dom || !w.bhead)
		goto oom;
	for (uint32_t i = 0; i < cnt; i++) {
		w.semi[i] = w.label[i] = i;
		w.ancestor[i] = w.dom[i] = w.bhead[i] = RD_NONE;
	}

	/* Step 2. */
	for (uint32_t i = cnt - 1; i >= 1; i--) {
		for (uint32_t k = w.poff[i]; k < w.poff[i + 1]; k++) {
			uint32_t u = rd_eval(&w, w.pred[k]);
			if (w.semi[u] < w.semi[i])
				w.semi[i] = w.semi[u];
		}
		w.bnext[i] = w.bhead[w.semi[i]];
		w.bhead[w.semi[i]] = i;
		uint32_t p = w.parent[i];
		w.ancestor[i] = p;   /* link */
		for (uint32_t v = w.bhead[p]; v != RD_NONE; v = w.bnext[v]) {
			uint32_t u = rd_eval(&w, v);
			w.dom[v] = w.semi[u] < w.semi[v] ? u : p;
		}
		w.bhead[p] = RD_NONE;
	}
	/* Step 3. */
	w.dom[0] = 0;
	for (uint32_t i = 1; i < cnt; i++)
		if (w.dom[i] != w.semi[i])
			w.dom[i] = w.dom[w.dom[i]];

	for (uint32_t i = 0; i < cnt; i++) {
		idom[w.vertex[i]] = w.vertex[w.dom[i]];
		if (order != NULL)
			order[i] = w.vertex[i];
	}
	if (nreached != NULL)
		*nreached = cnt;
	rd_work_free(&w);
	return 0;
oom:
	rd_work_free(&w);
	return -1;
}

void
rd_subtree_sums(uint32_t n, const uint32_t *idom, const uint32_t *order, uint32_t nreached,
	const uint64_t *w, uint64_t *sums)
{
	for (uint32_t v = 0; v < n; v++)
		sums[v] = 0;
	for (uint32_t i = 0; i < nreached; i++)
		sums[order[i]] = w[order[i]];
	/* inv.rd-order: children come after their idom in preorder. */
	for (uint32_t i = nreached; i-- > 1;) {
		uint32_t v = order[i];
		sums[idom[v]] += sums[v];
	}
}
