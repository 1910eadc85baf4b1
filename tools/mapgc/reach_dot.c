/*
 * reach_dot.c — DOT text of a map's neighbourhood (reach_dot.h).  The SVG
 * rendering is in reach_svg.c, so the tests can include this file without
 * linking Graphviz.
 */
#include "reach_dot.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The set of objects drawn, with what the summary nodes stand for. */
typedef struct rdot_set {
	const ra_result *r;
	uint8_t *in;          /* [n] drawn */
	uint32_t *v;          /* drawn objects, in the order they were added */
	uint32_t nv;
	uint8_t *root_in;     /* [nroots] roots drawn */
	struct rdot_more {
		uint32_t from;    /* the array or list array the rest hang off */
		uint64_t count;
	} *more;
	uint32_t nmore;
	bool oom;
} rdot_set;

static void
rdot_add(rdot_set *s, uint32_t obj)
{
	if (obj == RG_NONE || obj >= s->r->n || s->in[obj])
		return;
	s->in[obj] = 1;
	s->v[s->nv++] = obj;
}

static void
rdot_add_more(rdot_set *s, uint32_t from, uint64_t count)
{
	if (count == 0)
		return;
	void *p = realloc(s->more, (s->nmore + 1) * sizeof *s->more);
	if (p == NULL) {
		s->oom = true;
		return;
	}
	s->more = p;
	s->more[s->nmore].from = from;
	s->more[s->nmore].count = count;
	s->nmore++;
}

/* The nodes of the shortest path to obj, and its root. */
static void
rdot_add_path(rdot_set *s, uint32_t obj)
{
	const ra_result *r = s->r;
	uint32_t v = obj;

	if (obj == RG_NONE || r->dist[obj] == RG_NONE)
		return;
	while (r->via_edge[v] != RG_NONE) {
		rdot_add(s, v);
		v = r->g->efrom[r->via_edge[v]];
	}
	rdot_add(s, v);
	s->root_in[r->via_root[v]] = 1;
}

/* Separate overflow buckets chained from arr (breadth first), capped. */
static void
rdot_add_chains(rdot_set *s, uint32_t arr, uint32_t *queue, uint8_t *seen)
{
	const ra_result *r = s->r;
	const rg_graph *g = r->g;
	uint32_t head = 0, tail = 0;
	uint64_t drawn = 0, extra = 0;

	if (arr == RG_NONE)
		return;
	queue[tail++] = arr;
	seen[arr] = 1;
	while (head < tail) {
		uint32_t v = queue[head++];
		for (uint32_t e = g->eoff[v]; e < g->eoff[v + 1]; e++) {
			uint32_t w = g->edges[e].to;
			if (g->edges[e].label != r->l_overflow || g->objs[w].cls != RG_BUCKET || seen[w])
				continue;
			seen[w] = 1;
			queue[tail++] = w;
			if (drawn < RDOT_MAX_OVERFLOW) {
				rdot_add(s, w);
				drawn++;
			} else {
				extra++;
			}
		}
	}
	for (uint32_t k = 0; k < tail; k++)
		seen[queue[k]] = 0;
	rdot_add_more(s, arr, extra);
}

/* A list (overflowlist), its array, and the entries it points at, capped. */
static void
rdot_add_list(rdot_set *s, uint32_t list)
{
	const ra_result *r = s->r;
	const rg_graph *g = r->g;
	uint64_t drawn = 0, extra = 0;

	if (list == RG_NONE)
		return;
	rdot_add(s, list);
	uint32_t arr = RG_NONE;
	for (uint32_t e = g->eoff[list]; e < g->eoff[list + 1]; e++)
		if (g->edges[e].label == r->l_list)
			arr = g->edges[e].to;
	if (arr == RG_NONE)
		return;
	rdot_add(s, arr);
	for (uint32_t e = g->eoff[arr]; e < g->eoff[arr + 1]; e++) {
		uint32_t w = g->edges[e].to;
		if (s->in[w] || g->objs[w].array)
			continue;   /* drawn already, or a bucket array (preallocated entries) */
		if (drawn < RDOT_MAX_OVERFLOW) {
			rdot_add(s, w);
			drawn++;
		} else {
			extra++;
		}
	}
	rdot_add_more(s, arr, extra);
}

/* ---- writing ------------------------------------------------------------------ */

/* A DOT string body: quotes and backslashes escaped; newlines as \n. */
static void
rdot_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n') {
			fputs("\\n", out);
			continue;
		}
		fputc(*s, out);
	}
}

static void
rdot_fill(FILE *out, ra_kinds k)
{
	int n = 0;

	for (int i = 0; i < RA_NKINDS; i++)
		if (k & (1u << i))
			n++;
	if (n == 0) {
		fputs(", style=\"dashed\", fillcolor=\"#ffffff\"", out);
		return;
	}
	fprintf(out, ", style=\"%s\", fillcolor=\"", n > 1 ? "striped" : "filled");
	bool first = true;
	for (int i = 0; i < RA_NKINDS; i++)
		if (k & (1u << i)) {
			fprintf(out, "%s%s", first ? "" : ":", ra_kind_colour(i));
			first = false;
		}
	fputc('"', out);
}

static void
rdot_node(FILE *out, const rdot_set *s, uint32_t v, const ra_map *m)
{
	const ra_result *r = s->r;
	const rg_graph *g = r->g;
	const rg_object *o = &g->objs[v];
	char label[1024], node[256];
	size_t len = 0;

	ra_node_string(g, v, node, sizeof node);
#define RDOT_PUT(...) \
	do { \
		if (len < sizeof label) \
			len += (size_t)snprintf(label + len, sizeof label - len, __VA_ARGS__); \
	} while (0)
	if (o->map != RG_NONE) {
		const rg_map *gm = &g->maps[o->map];
		RDOT_PUT("map %" PRIu64 "\n%s\nmap[%s]%s\ncount %" PRId64 ", B %u%s", gm->id, node, rg_s(g, gm->key),
			rg_s(g, gm->elem), gm->count, gm->B,
			!gm->growing ? "" : gm->same_size ? ", growing (same size)" : ", growing (doubling)");
	} else if (v == m->cur.obj) {
		RDOT_PUT("current array\n%s\n%" PRIu64 " buckets + %" PRIu64 " preallocated", node, m->cur.nbuckets,
			m->cur.prealloc);
	} else if (v == m->old.obj) {
		const rg_map *gm = &g->maps[m->index];
		RDOT_PUT("old array\n%s\n%" PRIu64 " of %" PRIu64 " evacuated", node, gm->old.nevacuated,
			gm->old.nbuckets);
	} else if (r->arr_role[v] == RA_ROLE_STALE) {
		RDOT_PUT("stale array (iterators only)\n%s", node);
	} else if (o->cls == RG_HITER) {
		RDOT_PUT("iterator\n%s", node);
	} else {
		RDOT_PUT("%s", node);
	}
	RDOT_PUT("\n%" PRIu64 " B", o->size);
	if (r->dist[v] != RG_NONE && (o->cls == RG_HMAP || o->cls == RG_HITER || ra_is_bucket_array(g, v)))
		RDOT_PUT(", retains %" PRIu64 " B", r->retained[v]);
	else if (r->dist[v] == RG_NONE)
		RDOT_PUT("\nunreachable");
#undef RDOT_PUT
	fprintf(out, "  o%" PRIu64 " [label=\"", o->id);
	rdot_text(out, label);
	fputc('"', out);
	rdot_fill(out, r->kinds[v]);
	if (o->map != RG_NONE)
		fputs(", penwidth=2", out);
	fputs("];\n", out);
}

typedef struct rdot_pair {
	uint32_t to, e;
} rdot_pair;

static int
rdot_cmp_pair(const void *a, const void *b)
{
	const rdot_pair *x = a, *y = b;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

/* v's edges to drawn objects, grouped by target. */
static int
rdot_edges_of(FILE *out, const rdot_set *s, uint32_t v)
{
	const ra_result *r = s->r;
	const rg_graph *g = r->g;
	uint32_t np = 0, self = 0;
	rdot_pair *p = NULL;

	for (uint32_t e = g->eoff[v]; e < g->eoff[v + 1]; e++)
		if (s->in[g->edges[e].to])
			np++;
	if (np == 0)
		return 0;
	p = malloc(np * sizeof *p);
	if (p == NULL)
		return -1;
	np = 0;
	for (uint32_t e = g->eoff[v]; e < g->eoff[v + 1]; e++) {
		uint32_t w = g->edges[e].to;
		if (!s->in[w])
			continue;
		if (w == v) {
			self++;
			continue;
		}
		p[np++] = (rdot_pair){w, e};
	}
	qsort(p, np, sizeof *p, rdot_cmp_pair);
	for (uint32_t i = 0; i < np;) {
		uint32_t j = i;
		while (j < np && p[j].to == p[i].to)
			j++;
		char lb[256];
		fprintf(out, "  o%" PRIu64 " -> o%" PRIu64 " [label=\"", g->objs[v].id, g->objs[p[i].to].id);
		for (uint32_t k = i; k < j && k < i + 3; k++) {
			ra_label_string(g, p[k].e, lb, sizeof lb);
			fputs(k > i ? ", " : "", out);
			rdot_text(out, lb);
		}
		if (j - i > 3)
			fprintf(out, ", … (%" PRIu32 " edges)", j - i);
		int kind = ra_edge_kind(r, p[i].e);
		fprintf(out, "\"%s];\n", kind == RA_LINK ? ", style=dashed" : "");
		i = j;
	}
	if (self > 0)
		fprintf(out, "  o%" PRIu64 " -> o%" PRIu64 " [label=\"overflow into itself ×%" PRIu32
			"\", style=dotted];\n", g->objs[v].id, g->objs[v].id, self);
	free(p);
	return 0;
}

int
rdot_map(FILE *out, const ra_result *r, uint32_t mi)
{
	const rg_graph *g = r->g;
	const ra_map *m = &r->maps[mi];
	const rg_map *gm = &g->maps[mi];
	rdot_set s = {.r = r};
	uint32_t *queue = NULL;
	uint8_t *seen = NULL;
	int rc = -1;

	s.in = calloc(r->n ? r->n : 1, 1);
	s.v = malloc((r->n ? r->n : 1) * sizeof *s.v);
	s.root_in = calloc(g->nroots ? g->nroots : 1, 1);
	queue = malloc((r->n ? r->n : 1) * sizeof *queue);
	seen = calloc(r->n ? r->n : 1, 1);
	if (s.in == NULL || s.v == NULL || s.root_in == NULL || queue == NULL || seen == NULL)
		goto out;

	rdot_add(&s, m->obj);
	rdot_add(&s, m->extra);
	rdot_add(&s, m->cur.obj);
	rdot_add(&s, m->old.obj);
	for (uint32_t k = 0; k < m->nstale; k++)
		rdot_add(&s, m->stale[k].obj);
	for (uint32_t k = 0; k < m->niters; k++)
		rdot_add(&s, m->iters[k].obj);
	rdot_add_chains(&s, m->cur.obj, queue, seen);
	rdot_add_chains(&s, m->old.obj, queue, seen);
	for (uint32_t k = 0; k < m->nstale; k++)
		rdot_add_chains(&s, m->stale[k].obj, queue, seen);
	rdot_add_list(&s, m->cur.list);
	rdot_add_list(&s, m->old.list);
	for (uint32_t k = 0; k < m->niters; k++) {
		rdot_add_list(&s, m->iters[k].overflow);
		rdot_add_list(&s, m->iters[k].oldoverflow);
		rdot_add(&s, m->iters[k].bptr);
	}
	/* Paths from the roots to the principal nodes (copied: adding grows s.v). */
	uint32_t nprincipal = s.nv;
	for (uint32_t k = 0; k < nprincipal; k++)
		rdot_add_path(&s, s.v[k]);
	for (uint32_t k = 0; k < g->nroots; k++)
		if (g->roots[k].to != RG_NONE && s.in[g->roots[k].to])
			s.root_in[k] = 1;
	if (s.oom)
		goto out;

	fprintf(out, "digraph \"map %" PRIu64 "\" {\n"
		"  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, label=\"map %" PRIu64 ": map[", gm->id, gm->id);
	rdot_text(out, rg_s(g, gm->key));
	fputc(']', out);
	rdot_text(out, rg_s(g, gm->elem));
	fprintf(out, ", snapshot cycle %" PRIu64 "\", labelloc=t];\n"
		"  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n"
		"  edge [fontname=\"Helvetica\", fontsize=9];\n", g->cycle);
	for (uint32_t k = 0; k < g->nroots; k++) {
		if (!s.root_in[k])
			continue;
		fprintf(out, "  r%" PRIu32 " [shape=ellipse, style=filled, fillcolor=\"%s\", label=\"%s root\\n\\\"",
			k, ra_kind_colour(RA_ROOT), g->roots[k].global ? "global" : "scope");
		rdot_text(out, rg_s(g, g->roots[k].name));
		fputs("\\\"\"];\n", out);
	}
	for (uint32_t k = 0; k < s.nv; k++)
		rdot_node(out, &s, s.v[k], m);
	for (uint32_t k = 0; k < s.nmore; k++)
		fprintf(out, "  more%" PRIu32 " [shape=note, label=\"… %" PRIu64 " more overflow buckets\"];\n"
			"  o%" PRIu64 " -> more%" PRIu32 " [style=dashed];\n", k, s.more[k].count,
			g->objs[s.more[k].from].id, k);
	for (uint32_t k = 0; k < g->nroots; k++)
		if (s.root_in[k])
			fprintf(out, "  r%" PRIu32 " -> o%" PRIu64 ";\n", k, g->objs[g->roots[k].to].id);
	for (uint32_t k = 0; k < s.nv; k++)
		if (rdot_edges_of(out, &s, s.v[k]) != 0)
			goto out;

	/* Legend: the kinds that colour something here. */
	ra_kinds used = 0;
	for (uint32_t k = 0; k < s.nv; k++)
		used |= r->kinds[s.v[k]];
	fputs("  subgraph cluster_legend {\n    label=\"holder kinds\"; fontsize=10; style=rounded;\n", out);
	int prev = -1;
	for (int i = 0; i < RA_NKINDS; i++) {
		if (!(used & (1u << i)))
			continue;
		fprintf(out, "    kind_%s [label=\"%s\", style=filled, fillcolor=\"%s\", fontsize=9];\n", ra_kind_json(i),
			ra_kind_text(i), ra_kind_colour(i));
		if (prev >= 0)
			fprintf(out, "    kind_%s -> kind_%s [style=invis];\n", ra_kind_json(prev), ra_kind_json(i));
		prev = i;
	}
	fputs("  }\n}\n", out);
	rc = ferror(out) ? -1 : 0;
out:
	free(s.in);
	free(s.v);
	free(s.root_in);
	free(s.more);
	free(queue);
	free(seen);
	return rc;
}
