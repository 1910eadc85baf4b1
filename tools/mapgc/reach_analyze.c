/*
 * reach_analyze.c — shortest paths, holder kinds, dominators and the map
 * views of reach_analyze.h.
 */
#include "reach_analyze.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reach_dom.h"

static const char *const ra_kind_texts[] = {
#define RA_X_TEXT(id, text, json, colour) text,
	RA_KIND_LIST(RA_X_TEXT)
#undef RA_X_TEXT
};
static const char *const ra_kind_jsons[] = {
#define RA_X_JSON(id, text, json, colour) json,
	RA_KIND_LIST(RA_X_JSON)
#undef RA_X_JSON
};
static const char *const ra_kind_colours[] = {
#define RA_X_COLOUR(id, text, json, colour) colour,
	RA_KIND_LIST(RA_X_COLOUR)
#undef RA_X_COLOUR
};
static const char *const ra_role_names[] = {
#define RA_X_NAME(id, name) name,
	RA_ROLE_LIST(RA_X_NAME)
#undef RA_X_NAME
};

const char *
ra_kind_text(int k)
{
	return k >= 0 && k < RA_NKINDS ? ra_kind_texts[k] : "link";
}

const char *
ra_kind_json(int k)
{
	return k >= 0 && k < RA_NKINDS ? ra_kind_jsons[k] : "link";
}

const char *
ra_kind_colour(int k)
{
	return k >= 0 && k < RA_NKINDS ? ra_kind_colours[k] : "#ffffff";
}

const char *
ra_role_name(int role)
{
	return role >= 0 && role < (int)(sizeof ra_role_names / sizeof ra_role_names[0]) ? ra_role_names[role] : "?";
}

bool
ra_is_bucket_array(const rg_graph *g, uint32_t obj)
{
	return obj < g->nobjs && g->objs[obj].cls == RG_BUCKET && g->objs[obj].array;
}

/* ---- edge kinds -------------------------------------------------------------- */

int
ra_edge_kind(const ra_result *r, uint32_t e)
{
	const rg_graph *g = r->g;
	rg_str l = g->edges[e].label;

	switch (g->objs[g->efrom[e]].cls) {
	case RG_HMAP:
		if (l == r->l_buckets)
			return RA_CURRENT;
		if (l == r->l_oldbuckets)
			return RA_OLD;
		if (l == r->l_extra)
			return RA_MAP;
		return RA_OTHER;
	case RG_EXTRA:
		if (l == r->l_overflow || l == r->l_oldoverflow)
			return RA_OVFLIST;
		if (l == r->l_nextoverflow)
			return RA_NEXTOVF;
		return RA_OTHER;
	case RG_OVFLIST:
		return l == r->l_list ? RA_LINK : RA_OTHER;
	case RG_OVFARRAY:
		return l == r->l_overflow ? RA_LINK : RA_OTHER;
	case RG_HITER:
		if (l == r->l_ith || l == r->l_itbuckets || l == r->l_itbptr || l == r->l_itoverflow ||
		    l == r->l_itoldoverflow)
			return RA_ITER;
		return RA_OTHER;
	case RG_BUCKET:
		return l == r->l_overflow ? RA_LINK : RA_CELL;
	default:
		return RA_OTHER;
	}
}

/* ---- 1. shortest paths: BFS from every root ------------------------------------------ */

static int
ra_bfs(ra_result *r)
{
	const rg_graph *g = r->g;
	uint32_t n = r->n, head = 0, tail = 0;
	uint32_t *queue = malloc((n ? n : 1) * sizeof *queue);

	if (queue == NULL)
		return -1;
	for (uint32_t k = 0; k < g->nroots; k++) {
		uint32_t v = g->roots[k].to;
		if (v == RG_NONE || r->dist[v] != RG_NONE)
			continue;
		r->dist[v] = 0;
		r->via_root[v] = k;
		queue[tail++] = v;
	}
	while (head < tail) {
		uint32_t v = queue[head++];
		r->nreached++;
		r->reached_bytes += g->objs[v].size;
		for (uint32_t e = g->eoff[v]; e < g->eoff[v + 1]; e++) {
			uint32_t w = g->edges[e].to;
			if (r->dist[w] != RG_NONE)
				continue;
			r->dist[w] = r->dist[v] + 1;
			r->via_edge[w] = e;
			queue[tail++] = w;
		}
	}
	free(queue);
	return 0;
}

/* ---- 2. holder kinds ------------------------------------------------------------------- */

static int
ra_holder_kinds(ra_result *r)
{
	const rg_graph *g = r->g;
	uint32_t n = r->n, sp = 0;
	uint32_t *stack = malloc((n ? n : 1) * sizeof *stack);
	uint8_t *queued = calloc(n ? n : 1, 1);

	if (stack == NULL || queued == NULL) {
		free(stack);
		free(queued);
		return -1;
	}
	for (uint32_t k = 0; k < g->nroots; k++)
		if (g->roots[k].to != RG_NONE)
			r->kinds[g->roots[k].to] |= 1u << RA_ROOT;
	for (uint32_t e = 0; e < g->nedges; e++) {
		if (r->dist[g->efrom[e]] == RG_NONE)
			continue;   /* unreachable holders hold nothing */
		int k = ra_edge_kind(r, e);
		if (k != RA_LINK)
			r->kinds[g->edges[e].to] |= (ra_kinds)(1u << k);
	}
	/* Pass the kinds along links until nothing changes.  An object is on
	 * the stack at most once at a time and is pushed again only when it
	 * gained a kind, so there are at most n * RA_NKINDS pushes. */
	for (uint32_t v = 0; v < n; v++)
		if (r->kinds[v] != 0 && r->dist[v] != RG_NONE) {
			stack[sp++] = v;
			queued[v] = 1;
		}
	while (sp > 0) {
		uint32_t v = stack[--sp];
		queued[v] = 0;
		for (uint32_t e = g->eoff[v]; e < g->eoff[v + 1]; e++) {
			if (ra_edge_kind(r, e) != RA_LINK)
				continue;
			uint32_t w = g->edges[e].to;
			if ((r->kinds[v] & ~r->kinds[w]) == 0)
				continue;
			r->kinds[w] |= r->kinds[v];
			if (!queued[w]) {
				queued[w] = 1;
				stack[sp++] = w;
			}
		}
	}
	free(stack);
	free(queued);
	return 0;
}

/* ---- 3. dominators ------------------------------------------------------------------------ */

static int
ra_dominators(ra_result *r)
{
	const rg_graph *g = r->g;
	uint32_t n = r->n, vroot = n;
	size_t m = (size_t)g->nedges + g->nroots;
	uint32_t *off = malloc(((size_t)n + 2) * sizeof *off);
	uint32_t *adj = malloc((m ? m : 1) * sizeof *adj);
	uint32_t *order = malloc(((size_t)n + 1) * sizeof *order);
	uint64_t *w = malloc(((size_t)n + 1) * sizeof *w);
	uint32_t nreached = 0;
	int rc = -1;

	if (off == NULL || adj == NULL || order == NULL || w == NULL)
		goto out;
	if (m >= UINT32_MAX)
		goto out;
	for (uint32_t v = 0; v < n; v++) {
		off[v] = g->eoff[v];
		for (uint32_t e = g->eoff[v]; e < g->eoff[v + 1]; e++)
			adj[e] = g->edges[e].to;
	}
	off[vroot] = g->nedges;
	uint32_t a = g->nedges;
	for (uint32_t k = 0; k < g->nroots; k++)
		if (g->roots[k].to != RG_NONE)
			adj[a++] = g->roots[k].to;
	off[vroot + 1] = a;
	if (rd_idom(n + 1, vroot, off, adj, r->idom, order, &nreached) != 0)
		goto out;
	for (uint32_t v = 0; v < n; v++)
		w[v] = g->objs[v].size;
	w[vroot] = 0;
	rd_subtree_sums(n + 1, r->idom, order, nreached, w, r->retained);
	for (uint32_t v = 0; v < n; v++)
		w[v] = 1;
	rd_subtree_sums(n + 1, r->idom, order, nreached, w, r->dominated);
	rc = 0;
out:
	free(off);
	free(adj);
	free(order);
	free(w);
	return rc;
}

static int
ra_in_edges(ra_result *r)
{
	const rg_graph *g = r->g;
	uint32_t n = r->n;

	r->in_off = calloc((size_t)n + 1, sizeof *r->in_off);
	r->in_edge = malloc((g->nedges ? g->nedges : 1) * sizeof *r->in_edge);
	uint32_t *cur = malloc(((size_t)n + 1) * sizeof *cur);
	if (r->in_off == NULL || r->in_edge == NULL || cur == NULL) {
		free(cur);
		return -1;
	}
	for (uint32_t e = 0; e < g->nedges; e++)
		r->in_off[g->edges[e].to + 1]++;
	for (uint32_t v = 0; v < n; v++)
		r->in_off[v + 1] += r->in_off[v];
	memcpy(cur, r->in_off, ((size_t)n + 1) * sizeof *cur);
	for (uint32_t e = 0; e < g->nedges; e++)
		r->in_edge[cur[g->edges[e].to]++] = e;
	free(cur);
	return 0;
}

/* ---- per map --------------------------------------------------------------------------------- */

/* Target of obj's edge with label l (no element index), or RG_NONE. */
static uint32_t
ra_target(const ra_result *r, uint32_t obj, rg_str l)
{
	const rg_graph *g = r->g;

	if (obj == RG_NONE || l == RG_NONE)
		return RG_NONE;
	for (uint32_t e = g->eoff[obj]; e < g->eoff[obj + 1]; e++)
		if (g->edges[e].label == l && g->edges[e].elem == RG_NONE)
			return g->edges[e].to;
	return RG_NONE;
}

/* Separate overflow buckets chained from arr: bucket objects reached from
 * it by .overflow links, the array itself excluded (its preallocated
 * buckets link to itself).  mark is scratch, zero on entry and exit. */
static void
ra_chain_objects(ra_result *r, ra_array *a, uint8_t *mark, uint32_t *stack)
{
	const rg_graph *g = r->g;
	uint32_t sp = 0;
	uint32_t seen_n = 0;

	stack[sp++] = a->obj;
	mark[a->obj] = 1;
	/* Objects visited are remembered at the top of the stack array's
	 * other end, so the marks can be cleared afterwards. */
	uint32_t *visited = stack + r->n;
	visited[seen_n++] = a->obj;
	while (sp > 0) {
		uint32_t v = stack[--sp];
		for (uint32_t e = g->eoff[v]; e < g->eoff[v + 1]; e++) {
			uint32_t w = g->edges[e].to;
			if (g->edges[e].label != r->l_overflow || g->objs[w].cls != RG_BUCKET || mark[w])
				continue;
			mark[w] = 1;
			visited[seen_n++] = w;
			stack[sp++] = w;
			a->ovf_objects++;
			a->ovf_bytes += g->objs[w].size;
		}
	}
	for (uint32_t k = 0; k < seen_n; k++)
		mark[visited[k]] = 0;
}

/* What the overflow list `list` holds for array a. */
static void
ra_list_entries(ra_result *r, ra_array *a, uint32_t list)
{
	const rg_graph *g = r->g;
	uint32_t arr = ra_target(r, list, r->l_list);

	a->list = list;
	if (arr == RG_NONE)
		return;
	for (uint32_t e = g->eoff[arr]; e < g->eoff[arr + 1]; e++) {
		if (g->edges[e].label != r->l_overflow)
			continue;
		a->list_entries++;
		if (g->edges[e].to == a->obj)
			a->list_in_array++;
		else
			a->list_separate++;
	}
}

static void
ra_array_init(ra_array *a)
{
	memset(a, 0, sizeof *a);
	a->obj = a->list = RG_NONE;
}

static void
ra_array_fill(ra_result *r, ra_array *a, uint32_t obj, const rg_chains *c, uint64_t nbuckets,
	uint8_t *mark, uint32_t *stack)
{
	const rg_graph *g = r->g;

	a->obj = obj;
	a->nbuckets = nbuckets;
	a->chains_known = c->present;
	a->ovf_chains = c->overflow;
	if (obj == RG_NONE)
		return;
	uint64_t len = g->objs[obj].len;
	a->prealloc = len > nbuckets ? len - nbuckets : 0;
	ra_chain_objects(r, a, mark, stack);
}

static int
ra_map_one(ra_result *r, uint32_t mi, uint8_t *mark, uint32_t *stack)
{
	const rg_graph *g = r->g;
	const rg_map *gm = &g->maps[mi];
	ra_map *m = &r->maps[mi];

	m->index = mi;
	m->obj = gm->obj;
	ra_array_init(&m->cur);
	ra_array_init(&m->old);
	m->extra = ra_target(r, m->obj, r->l_extra);
	m->nextovf = ra_target(r, m->extra, r->l_nextoverflow);
	uint32_t cur = ra_target(r, m->obj, r->l_buckets);
	uint32_t old = ra_target(r, m->obj, r->l_oldbuckets);
	ra_array_fill(r, &m->cur, cur, &gm->cur, cur == RG_NONE ? 0 : UINT64_C(1) << gm->B, mark, stack);
	ra_array_fill(r, &m->old, old, &gm->old, gm->noldbuckets, mark, stack);
	uint32_t ovl = ra_target(r, m->extra, r->l_overflow);
	uint32_t oldovl = ra_target(r, m->extra, r->l_oldoverflow);
	if (ovl != RG_NONE)
		ra_list_entries(r, &m->cur, ovl);
	if (oldovl != RG_NONE) {
		ra_list_entries(r, &m->old, oldovl);
		m->old.list_is_old = true;
	}
	m->evac_consistent = true;
	if (gm->old.evacuated != NULL)
		for (uint64_t b = 0; b < gm->nevacuate && b < gm->old.nbuckets; b++)
			if (!gm->old.evacuated[b])
				m->evac_consistent = false;

	if (cur != RG_NONE) {
		r->arr_map[cur] = mi;
		r->arr_role[cur] = RA_ROLE_CURRENT;
	}
	if (old != RG_NONE) {
		r->arr_map[old] = mi;
		r->arr_role[old] = RA_ROLE_OLD;
	}

	/* Iterators: hiters whose it.h is this map. */
	for (uint32_t k = r->in_off[m->obj]; k < r->in_off[m->obj + 1]; k++) {
		uint32_t e = r->in_edge[k];
		uint32_t it = g->efrom[e];
		if (g->objs[it].cls != RG_HITER || g->edges[e].label != r->l_ith)
			continue;
		ra_iter *v = realloc(m->iters, (m->niters + 1) * sizeof *v);
		if (v == NULL)
			return -1;
		m->iters = v;
		ra_iter *ri = &m->iters[m->niters++];
		memset(ri, 0, sizeof *ri);
		ri->obj = it;
		ri->buckets = ra_target(r, it, r->l_itbuckets);
		ri->bptr = ra_target(r, it, r->l_itbptr);
		ri->overflow = ra_target(r, it, r->l_itoverflow);
		ri->oldoverflow = ra_target(r, it, r->l_itoldoverflow);
		ri->role = ri->buckets == RG_NONE ? RA_ROLE_NONE
			: ri->buckets == cur ? RA_ROLE_CURRENT
			: ri->buckets == old ? RA_ROLE_OLD : RA_ROLE_STALE;
	}
	return 0;
}

/* A stale array's geometry: its map has moved on, so B is not in the
 * snapshot; infer it from the length, 2^b buckets plus 2^(b-4)
 * preallocated overflow buckets for b >= 4 (map.c, make_bucket_array). */
static void
ra_stale_geometry(const rg_graph *g, ra_array *a)
{
	uint64_t len = g->objs[a->obj].len;

	a->nbuckets = len;
	for (unsigned b = 0; b < 63; b++) {
		uint64_t n = UINT64_C(1) << b, pre = b >= 4 ? n >> 4 : 0;
		if (n > len)
			break;
		if (n + pre == len) {
			a->nbuckets = n;
			a->prealloc = pre;
			break;
		}
	}
}

/* Whether d dominates v (walks v's idom chain: as long as the tree is deep). */
static bool
ra_dominates(const ra_result *r, uint32_t d, uint32_t v)
{
	for (uint32_t x = v; x != RG_NONE; x = r->idom[x]) {
		if (x == d)
			return true;
		if (x == r->n)
			return false;
	}
	return false;
}

/* Stale arrays: held by an iterator of the map, current or old of no map.
 * Done after every map's arrays have their roles. */
static int
ra_stale(ra_result *r, uint8_t *mark, uint32_t *stack)
{
	const rg_graph *g = r->g;

	for (uint32_t mi = 0; mi < r->nmaps; mi++) {
		ra_map *m = &r->maps[mi];
		for (uint32_t k = 0; k < m->niters; k++) {
			ra_iter *it = &m->iters[k];
			uint32_t a = it->buckets;
			if (a != RG_NONE && r->dist[a] != RG_NONE && ra_dominates(r, it->obj, a))
				it->array_alone = r->retained[a];
			if (a == RG_NONE || r->arr_role[a] == RA_ROLE_CURRENT || r->arr_role[a] == RA_ROLE_OLD)
				continue;
			it->role = RA_ROLE_STALE;
			if (r->arr_role[a] == RA_ROLE_STALE)
				continue;
			r->arr_role[a] = RA_ROLE_STALE;
			r->arr_map[a] = mi;
			ra_array *v = realloc(m->stale, (m->nstale + 1) * sizeof *v);
			if (v == NULL)
				return -1;
			m->stale = v;
			ra_array *sa = &m->stale[m->nstale++];
			ra_array_init(sa);
			sa->obj = a;
			ra_stale_geometry(g, sa);
			ra_chain_objects(r, sa, mark, stack);
			r->stale_arrays++;
			r->stale_unreachable += r->dist[a] == RG_NONE;
			r->stale_bytes += g->objs[a].size;
			r->stale_retained += r->retained[a];
		}
	}
	return 0;
}

static int
ra_maps(ra_result *r)
{
	const rg_graph *g = r->g;
	uint32_t n = r->n;

	r->nmaps = g->nmaps;
	r->maps = calloc(g->nmaps ? g->nmaps : 1, sizeof *r->maps);
	r->arr_map = malloc((n ? n : 1) * sizeof *r->arr_map);
	r->arr_role = calloc(n ? n : 1, 1);
	uint8_t *mark = calloc(n ? n : 1, 1);
	uint32_t *stack = malloc((2 * (size_t)n + 2) * sizeof *stack);
	int rc = -1;

	if (r->maps == NULL || r->arr_map == NULL || r->arr_role == NULL || mark == NULL || stack == NULL)
		goto out;
	for (uint32_t v = 0; v < n; v++)
		r->arr_map[v] = RG_NONE;
	for (uint32_t mi = 0; mi < g->nmaps; mi++)
		if (ra_map_one(r, mi, mark, stack) != 0)
			goto out;
	rc = ra_stale(r, mark, stack);
out:
	free(mark);
	free(stack);
	return rc;
}

/* ---- entry points ---------------------------------------------------------------------------- */

void
ra_free(ra_result *r)
{
	free(r->via_edge);
	free(r->via_root);
	free(r->dist);
	free(r->kinds);
	free(r->idom);
	free(r->retained);
	free(r->dominated);
	free(r->in_off);
	free(r->in_edge);
	if (r->maps != NULL)
		for (uint32_t mi = 0; mi < r->nmaps; mi++) {
			free(r->maps[mi].iters);
			free(r->maps[mi].stale);
		}
	free(r->maps);
	free(r->arr_map);
	free(r->arr_role);
	memset(r, 0, sizeof *r);
}

int
ra_analyze(const rg_graph *g, ra_result *r, char *err, size_t errlen)
{
	uint32_t n = g->nobjs;
	size_t n1 = (size_t)n + 1;

	memset(r, 0, sizeof *r);
	r->g = g;
	r->n = n;
	r->l_buckets = rg_find_str(g, "buckets");
	r->l_oldbuckets = rg_find_str(g, "oldbuckets");
	r->l_extra = rg_find_str(g, "extra");
	r->l_overflow = rg_find_str(g, "overflow");
	r->l_oldoverflow = rg_find_str(g, "oldoverflow");
	r->l_nextoverflow = rg_find_str(g, "nextOverflow");
	r->l_list = rg_find_str(g, "list");
	r->l_ith = rg_find_str(g, "it.h");
	r->l_itbuckets = rg_find_str(g, "it.buckets");
	r->l_itbptr = rg_find_str(g, "it.bptr");
	r->l_itoverflow = rg_find_str(g, "it.overflow");
	r->l_itoldoverflow = rg_find_str(g, "it.oldoverflow");

	r->via_edge = malloc(n1 * sizeof *r->via_edge);
	r->via_root = malloc(n1 * sizeof *r->via_root);
	r->dist = malloc(n1 * sizeof *r->dist);
	r->kinds = calloc(n1, sizeof *r->kinds);
	r->idom = malloc(n1 * sizeof *r->idom);
	r->retained = calloc(n1, sizeof *r->retained);
	r->dominated = calloc(n1, sizeof *r->dominated);
	if (!r->via_edge || !r->via_root || !r->dist || !r->kinds || !r->idom || !r->retained || !r->dominated)
		goto oom;
	for (uint32_t v = 0; v < n; v++)
		r->via_edge[v] = r->via_root[v] = r->dist[v] = RG_NONE;
	if (ra_bfs(r) != 0 || ra_holder_kinds(r) != 0 || ra_dominators(r) != 0 || ra_in_edges(r) != 0 ||
	    ra_maps(r) != 0)
		goto oom;
	return 0;
oom:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "out of memory analysing %" PRIu32 " objects and %" PRIu32 " edges", n, g->nedges);
	ra_free(r);
	return -1;
}

/* ---- paths and names ------------------------------------------------------------------------- */

uint32_t
ra_path(const ra_result *r, uint32_t obj, uint32_t *edges, uint32_t max, uint32_t *root)
{
	if (obj >= r->n || r->dist[obj] == RG_NONE || r->dist[obj] > max) {
		*root = RG_NONE;
		return RG_NONE;
	}
	uint32_t len = r->dist[obj], v = obj;
	for (uint32_t k = len; k > 0; k--) {
		uint32_t e = r->via_edge[v];
		edges[k - 1] = e;
		v = r->g->efrom[e];
	}
	*root = r->via_root[v];
	return len;
}

int
ra_node_string(const rg_graph *g, uint32_t obj, char *buf, size_t size)
{
	const rg_object *o = &g->objs[obj];

	if (o->array)
		return snprintf(buf, size, "%s[%" PRIu64 "]#%" PRIu64, rg_s(g, o->type), o->len, o->id);
	return snprintf(buf, size, "%s#%" PRIu64, rg_s(g, o->type), o->id);
}

int
ra_label_string(const rg_graph *g, uint32_t e, char *buf, size_t size)
{
	const rg_edge *ed = &g->edges[e];

	if (ed->elem != RG_NONE)
		return snprintf(buf, size, "[%" PRIu32 "].%s", ed->elem, rg_s(g, ed->label));
	return snprintf(buf, size, ".%s", rg_s(g, ed->label));
}

/* Appends to a bounded buffer, tracking the length snprintf would need. */
typedef struct ra_buf {
	char *p;
	size_t size, len;
} ra_buf;

static void
ra_put(ra_buf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len < b->size) {
		size_t room = b->size - b->len - 1;
		memcpy(b->p + b->len, s, n < room ? n : room);
		b->p[b->len + (n < room ? n : room)] = '\0';
	}
	b->len += n;
}

int
ra_path_string(const ra_result *r, uint32_t obj, char *buf, size_t size)
{
	const rg_graph *g = r->g;
	ra_buf b = {buf, size, 0};
	char tmp[512];
	uint32_t root;

	if (size > 0)
		buf[0] = '\0';
	uint32_t len = obj < r->n ? r->dist[obj] : RG_NONE;
	if (len == RG_NONE) {
		ra_put(&b, "unreachable");
		return (int)b.len;
	}
	uint32_t *edges = malloc(((size_t)len + 1) * sizeof *edges);
	if (edges == NULL) {
		ra_put(&b, "?");
		return (int)b.len;
	}
	ra_path(r, obj, edges, len, &root);
	const rg_root *rt = &g->roots[root];
	char kind[48];
	snprintf(tmp, sizeof tmp, "%s \"%s\"", rg_root_kind(g, rt, kind, sizeof kind), rg_s(g, rt->name));
	ra_put(&b, tmp);
	uint32_t v = rt->to;
	for (uint32_t k = 0; k <= len; k++) {
		ra_put(&b, " \xe2\x86\x92 ");   /* → */
		ra_node_string(g, v, tmp, sizeof tmp);
		ra_put(&b, tmp);
		if (k == len)
			break;
		ra_put(&b, " ");
		ra_label_string(g, edges[k], tmp, sizeof tmp);
		ra_put(&b, tmp);
		v = g->edges[edges[k]].to;
	}
	free(edges);
	return (int)b.len;
}

void
ra_path_print(const ra_result *r, uint32_t obj, FILE *out)
{
	char small[1024];
	int n = ra_path_string(r, obj, small, sizeof small);

	if (n >= 0 && (size_t)n < sizeof small) {
		fputs(small, out);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		fputs(small, out);
		return;
	}
	ra_path_string(r, obj, big, (size_t)n + 1);
	fputs(big, out);
	free(big);
}

uint32_t
ra_map_of(const ra_result *r, uint32_t obj)
{
	if (obj >= r->n)
		return RG_NONE;
	if (r->g->objs[obj].map != RG_NONE)
		return r->g->objs[obj].map;
	return r->arr_map[obj];
}

uint32_t
ra_map_by_id(const ra_result *r, uint64_t id)
{
	for (uint32_t mi = 0; mi < r->g->nmaps; mi++)
		if (r->g->maps[mi].id == id)
			return mi;
	return RG_NONE;
}
