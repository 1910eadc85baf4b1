/*
 * fuzz_snapshot.c — libFuzzer target: bytes become a heap snapshot for
 * `mapgc reach` (tools/mapgc/json.c, reach_snapshot.c, reach_graph.c),
 * and a snapshot that loads goes through the whole analysis and every
 * report, as `mapgc reach SNAPSHOT.json` takes it.
 *
 * WHAT IS FUZZED.  rg_parse over the input bytes (rg_load reads a file
 * whole and calls it: the same path).  When the snapshot loads:
 * ra_analyze (shortest paths, holder kinds, dominators with reach_dom.c,
 * per-map views), the text and JSON reports with every section asked for
 * (maps, arrays, up to FS_MAX_REPORT_OBJECTS objects; evacuation runs
 * both capped and in full), each object's path string, and the DOT of
 * every map (up to FS_MAX_DOT_MAPS).
 *
 * ORACLES (beyond ASan/UBSan):
 *  - rejection: the message reads "fuzz.json:LINE:COL: …" with LINE and
 *    COL ≥ 1 and within the input, and the graph is left empty;
 *  - the graph (reach_graph.h's invariants, checked from the outside):
 *    the edge index is a partition of the edges in object order, every
 *    edge, root and map index is in range, ids are unique and found by
 *    rg_index_of_id, strings are interned indices, live_bytes is the sum
 *    of the sizes, chain counts agree with B and noldbuckets;
 *  - round trip: the graph written back as a version 1 snapshot (map
 *    annotations without chain strings, which the graph keeps only as
 *    counts) loads as the same graph;
 *  - the analysis: reached exactly the objects a search done here reaches
 *    from the roots; shortest-path distances and the edges they came by
 *    are consistent (every edge shortens nothing); holder kinds are
 *    closed under the edges and present exactly on reached objects; and,
 *    for graphs up to FS_MAX_NAIVE objects, the dominator tree, retained
 *    sizes and dominated counts equal those of the definition computed
 *    naively (remove d, see what the roots no longer reach);
 *  - reports: the JSON report is valid JSON with one "maps" element per
 *    map.
 * A violated oracle prints "fuzz_snapshot: DIVERGENCE: …" and aborts.
 *
 * NEGATIVE MODE (fuzz_common.h): MAPGC_FUZZ_BREAK=snapshot-roundtrip
 * writes the graph back with the next cycle number (the round trip must
 * catch it); MAPGC_FUZZ_BREAK=snapshot-dom leaves one dominator out of
 * the naive sets (the dominator oracle must catch it on any snapshot with
 * a non-root dominator).  ctest fuzz/negative_snapshot_* replays corpus
 * files in both modes.
 */
#include "tools/mapgc/reach_analyze.h"
#include "tools/mapgc/reach_dot.h"
#include "tools/mapgc/reach_graph.h"
#include "tools/mapgc/reach_report.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

const char *const fzc_target = "fuzz_snapshot";

/* The naive dominator check costs O(n · (n + m)); up to 256 objects it
 * stays under a millisecond per input, and mutations of the committed
 * snapshots (tens of objects) are well within. */
#define FS_MAX_NAIVE 256
/* Objects and maps the reports are asked about: every one in a small
 * snapshot, a bounded cost in a big one. */
#define FS_MAX_REPORT_OBJECTS 64
#define FS_MAX_DOT_MAPS 16

/* ---- rejection ------------------------------------------------------------ */

static void
fs_check_rejection(const uint8_t *data, size_t size, const char *err, const rg_graph *g)
{
	unsigned long long line = 0, col = 0;
	int used = 0;
	size_t nlines = 1;

	for (size_t i = 0; i < size; i++)
		nlines += data[i] == '\n';
	if (sscanf(err, "fuzz.json:%llu:%llu: %n", &line, &col, &used) != 2 || used == 0 || err[used] == '\0' ||
	    line == 0 || col == 0 || line > nlines || col > size + 1)
		fzc_diverge("rejected with \"%s\": no fuzz.json:LINE:COL: location within the input (%zu lines)", err,
			nlines);
	if (g->nobjs != 0 || g->objs != NULL || g->edges != NULL || g->nroots != 0 || g->nmaps != 0 ||
	    g->strs != NULL)
		fzc_diverge("rejected (\"%s\") but the graph is not left empty", err);
}

/* ---- the graph -------------------------------------------------------------- */

static void
fs_check_str(const rg_graph *g, rg_str s, const char *what, uint32_t i)
{
	if (s >= g->nstrs)
		fzc_diverge("%s %" PRIu32 ": string index %" PRIu32 " of %" PRIu32, what, i, s, g->nstrs);
}

static void
fs_check_chains(const rg_map *m, const rg_chains *c, uint32_t mi, const char *which)
{
	uint64_t cells = 0;
	for (int k = 0; k < RG_NCELLS; k++)
		cells += c->cells[k];
	if (cells != 8 * (c->nbuckets + c->overflow) || c->nevacuated > c->nbuckets ||
	    (c->nbuckets > 0 && c->maxchain == 0))
		fzc_diverge("map %" PRIu32 " (id %" PRIu64 ") %s: %" PRIu64 " cells in %" PRIu64 " chains with %" PRIu64
			" overflow buckets, %" PRIu64 " evacuated", mi, m->id, which, cells, c->nbuckets, c->overflow,
			c->nevacuated);
}

static void
fs_check_graph(const rg_graph *g)
{
	if (g->eoff == NULL || g->eoff[0] != 0 || g->eoff[g->nobjs] != g->nedges)
		fzc_diverge("edge index: eoff[0] and eoff[%" PRIu32 "] do not bound the %" PRIu32 " edges", g->nobjs,
			g->nedges);
	uint64_t sum = 0;
	for (uint32_t i = 0; i < g->nobjs; i++) {
		const rg_object *o = &g->objs[i];
		if (g->eoff[i] > g->eoff[i + 1])
			fzc_diverge("object %" PRIu32 ": edges [%" PRIu32 ", %" PRIu32 ")", i, g->eoff[i], g->eoff[i + 1]);
		fs_check_str(g, o->type, "object", i);
		if (o->id == 0 || rg_index_of_id(g, o->id) != i || (g->ids_dense && o->id != (uint64_t)i + 1))
			fzc_diverge("object %" PRIu32 ": id %" PRIu64 " is found at %" PRIu32, i, o->id,
				rg_index_of_id(g, o->id));
		if (o->map != RG_NONE ? o->map >= g->nmaps || g->maps[o->map].obj != i || o->cls != RG_HMAP
		                      : o->cls != (uint8_t)rg_classify(g->strs[o->type]))
			fzc_diverge("object %" PRIu32 " (%s): map %" PRIu32 ", class %d", i, g->strs[o->type], o->map, o->cls);
		sum += o->size;
		for (uint32_t e = g->eoff[i]; e < g->eoff[i + 1]; e++) {
			if (g->edges[e].to >= g->nobjs || g->efrom[e] != i)
				fzc_diverge("edge %" PRIu32 " of object %" PRIu32 ": to %" PRIu32 " (of %" PRIu32 "), from %" PRIu32,
					e, i, g->edges[e].to, g->nobjs, g->efrom[e]);
			fs_check_str(g, g->edges[e].label, "edge", e);
		}
	}
	if (sum != g->live_bytes)
		fzc_diverge("live_bytes %" PRIu64 ", sizes sum to %" PRIu64, g->live_bytes, sum);
	for (uint32_t k = 0; k < g->nroots; k++) {
		if (g->roots[k].to != RG_NONE && g->roots[k].to >= g->nobjs)
			fzc_diverge("root %" PRIu32 ": to %" PRIu32 " of %" PRIu32, k, g->roots[k].to, g->nobjs);
		fs_check_str(g, g->roots[k].name, "root", k);
	}
	for (uint32_t mi = 0; mi < g->nmaps; mi++) {
		const rg_map *m = &g->maps[mi];
		if (m->obj >= g->nobjs || g->objs[m->obj].map != mi || m->B > 63)
			fzc_diverge("map %" PRIu32 ": object %" PRIu32 ", B %u", mi, m->obj, m->B);
		fs_check_str(g, m->key, "map key", mi);
		fs_check_str(g, m->elem, "map elem", mi);
		if (m->cur.nbuckets != 0 && m->cur.nbuckets != UINT64_C(1) << m->B)
			fzc_diverge("map %" PRIu32 ": %" PRIu64 " current chains for B = %u", mi, m->cur.nbuckets, m->B);
		if (m->old.present && m->old.nbuckets != m->noldbuckets)
			fzc_diverge("map %" PRIu32 ": %" PRIu64 " old chains, noldbuckets %" PRIu64, mi, m->old.nbuckets,
				m->noldbuckets);
		fs_check_chains(m, &m->cur, mi, "buckets");
		fs_check_chains(m, &m->old, mi, "oldbuckets");
	}
}

/* ---- round trip ----------------------------------------------------------------- */

static void
fs_write_number(FILE *f, double x)
{
	if (isinf(x))
		fputs(x > 0 ? "1e999" : "-1e999", f);   /* json.c reads these back as ±HUGE_VAL */
	else
		fprintf(f, "%.17g", x);
}

static void
fs_write_map(FILE *f, const rg_graph *g, const rg_map *m)
{
	fprintf(f, ",\"map\":{\"id\":%" PRIu64 ",\"key\":", m->id);
	rp_json_string(f, g->strs[m->key]);
	fputs(",\"elem\":", f);
	rp_json_string(f, g->strs[m->elem]);
	fprintf(f, ",\"count\":%" PRId64 ",\"B\":%u,\"flags\":%u,\"hash0\":%" PRIu64 ",\"noverflow\":%" PRIu64
		",\"growing\":%s,\"same_size\":%s,\"nevacuate\":%" PRIu64 ",\"noldbuckets\":%" PRIu64
		",\"buckets\":[],\"oldbuckets\":null}", m->count, m->B, m->flags, m->hash0, m->noverflow,
		m->growing ? "true" : "false", m->same_size ? "true" : "false", m->nevacuate, m->noldbuckets);
}

/* The graph as a version 1 snapshot (gc/snapshot.c's schema). */
static void
fs_write_snapshot(FILE *f, const rg_graph *g)
{
	uint64_t cycle = g->cycle + (fzc_break("snapshot-roundtrip") ? 1 : 0);

	fprintf(f, "{\"schema\":\"mapgc.heapsnapshot\",\"version\":1,\"cycle\":%" PRIu64 ",\"time_s\":", cycle);
	fs_write_number(f, g->time_s);
	fprintf(f, ",\"live_bytes\":%" PRIu64 ",\"nobjects\":%" PRIu32 ",\n\"roots\":[", g->live_bytes, g->nobjs);
	for (uint32_t k = 0; k < g->nroots; k++) {
		const rg_root *r = &g->roots[k];
		fprintf(f, "%s{\"kind\":\"%s\",\"name\":", k ? "," : "", r->global ? "global" : "scope");
		rp_json_string(f, g->strs[r->name]);
		if (r->to == RG_NONE)
			fputs(",\"to\":null}", f);
		else
			fprintf(f, ",\"to\":%" PRIu64 "}", g->objs[r->to].id);
	}
	fputs("],\n\"objects\":[", f);
	for (uint32_t i = 0; i < g->nobjs; i++) {
		const rg_object *o = &g->objs[i];
		fprintf(f, "%s\n{\"id\":%" PRIu64 ",\"addr\":\"0x%" PRIx64 "\",\"type\":", i ? "," : "", o->id, o->addr);
		rp_json_string(f, g->strs[o->type]);
		fprintf(f, ",\"array\":%s,\"len\":%" PRIu64 ",\"size\":%" PRIu64 ",\"edges\":[", o->array ? "true" : "false",
			o->len, o->size);
		for (uint32_t e = g->eoff[i]; e < g->eoff[i + 1]; e++) {
			const rg_edge *ed = &g->edges[e];
			const char *label = g->strs[ed->label];
			char *full = NULL;
			if (ed->elem != RG_NONE) {
				size_t n = strlen(label) + 16;
				full = malloc(n);
				if (full == NULL)
					fzc_diverge("out of memory");
				snprintf(full, n, "[%" PRIu32 "].%s", ed->elem, label);
			}
			fprintf(f, "%s{\"label\":", e > g->eoff[i] ? "," : "");
			rp_json_string(f, full != NULL ? full : label);
			free(full);
			fprintf(f, ",\"to\":%" PRIu64 "}", g->objs[ed->to].id);
		}
		fputc(']', f);
		if (o->map != RG_NONE)
			fs_write_map(f, g, &g->maps[o->map]);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

static bool
fs_same_str(const rg_graph *a, rg_str x, const rg_graph *b, rg_str y)
{
	return strcmp(rg_s(a, x), rg_s(b, y)) == 0;
}

static bool
fs_same_maps(const rg_graph *a, const rg_graph *b)
{
	for (uint32_t mi = 0; mi < a->nmaps; mi++) {
		const rg_map *m = &a->maps[mi], *n = &b->maps[mi];
		if (m->obj != n->obj || m->id != n->id || !fs_same_str(a, m->key, b, n->key) ||
		    !fs_same_str(a, m->elem, b, n->elem) || m->count != n->count || m->B != n->B || m->flags != n->flags ||
		    m->hash0 != n->hash0 || m->noverflow != n->noverflow || m->nevacuate != n->nevacuate ||
		    m->noldbuckets != n->noldbuckets || m->growing != n->growing || m->same_size != n->same_size)
			return false;
	}
	return true;
}

/* What differs between a and b, or NULL. */
static const char *
fs_graph_diff(const rg_graph *a, const rg_graph *b)
{
	if (a->cycle != b->cycle || a->live_bytes != b->live_bytes || memcmp(&a->time_s, &b->time_s, sizeof a->time_s))
		return "cycle, live_bytes or time_s";
	if (a->nobjs != b->nobjs || a->nedges != b->nedges || a->nroots != b->nroots || a->nmaps != b->nmaps ||
	    a->ids_dense != b->ids_dense)
		return "counts";
	for (uint32_t i = 0; i < a->nobjs; i++) {
		const rg_object *o = &a->objs[i], *p = &b->objs[i];
		if (o->id != p->id || o->addr != p->addr || o->size != p->size || o->len != p->len || o->array != p->array ||
		    o->cls != p->cls || o->map != p->map || !fs_same_str(a, o->type, b, p->type) || a->eoff[i] != b->eoff[i])
			return "an object";
	}
	for (uint32_t e = 0; e < a->nedges; e++)
		if (a->edges[e].to != b->edges[e].to || a->edges[e].elem != b->edges[e].elem ||
		    !fs_same_str(a, a->edges[e].label, b, b->edges[e].label))
			return "an edge";
	for (uint32_t k = 0; k < a->nroots; k++)
		if (a->roots[k].global != b->roots[k].global || a->roots[k].to != b->roots[k].to ||
		    !fs_same_str(a, a->roots[k].name, b, b->roots[k].name))
			return "a root";
	return fs_same_maps(a, b) ? NULL : "a map annotation";
}

static void
fs_round_trip(const rg_graph *g)
{
	char *buf, err[1024];
	size_t len;
	FILE *f = fzc_capture_begin(&buf, &len);
	fs_write_snapshot(f, g);
	fzc_capture_end(f, &buf);

	rg_graph again;
	if (rg_parse(buf, len, "fuzz.json", &again, err, sizeof err) != 0)
		fzc_diverge("the snapshot written back is rejected: %s\n%s", err, buf);
	const char *diff = fs_graph_diff(g, &again);
	if (diff != NULL)
		fzc_diverge("the snapshot written back loads with another %s:\n%s", diff, buf);
	rg_free(&again);
	free(buf);
}

/* ---- the analysis ---------------------------------------------------------------- */

/* Objects reached from the roots without passing through `skip` (RG_NONE:
 * none skipped): seen[v] = 1; returns how many. */
static uint32_t
fs_reach(const rg_graph *g, uint32_t skip, uint8_t *seen, uint32_t *queue)
{
	uint32_t head = 0, tail = 0;

	memset(seen, 0, g->nobjs ? g->nobjs : 1);
	for (uint32_t k = 0; k < g->nroots; k++) {
		uint32_t v = g->roots[k].to;
		if (v != RG_NONE && v != skip && !seen[v]) {
			seen[v] = 1;
			queue[tail++] = v;
		}
	}
	while (head < tail) {
		uint32_t v = queue[head++];
		for (uint32_t e = g->eoff[v]; e < g->eoff[v + 1]; e++) {
			uint32_t w = g->edges[e].to;
			if (w != skip && !seen[w]) {
				seen[w] = 1;
				queue[tail++] = w;
			}
		}
	}
	return tail;
}

/* Paths, distances and holder kinds against a search done here. */
static void
fs_check_paths(const ra_result *r, const uint8_t *reached, uint32_t nreached)
{
	const rg_graph *g = r->g;
	uint64_t bytes = 0;

	if (r->nreached != nreached)
		fzc_diverge("the analysis reached %" PRIu32 " objects, a plain search %" PRIu32, r->nreached, nreached);
	for (uint32_t v = 0; v < g->nobjs; v++) {
		bool in = reached[v];
		bytes += in ? g->objs[v].size : 0;
		if (in != (r->dist[v] != RG_NONE) || in != (r->kinds[v] != 0) || in != (r->idom[v] != RG_NONE))
			fzc_diverge("object %" PRIu32 ": reached %d, but dist %" PRIu32 ", kinds %#x, idom %" PRIu32, v, in,
				r->dist[v], (unsigned)r->kinds[v], r->idom[v]);
		if (!in)
			continue;
		uint32_t root, *edges = malloc(((size_t)r->dist[v] + 1) * sizeof *edges);
		if (edges == NULL)
			fzc_diverge("out of memory");
		uint32_t len = ra_path(r, v, edges, r->dist[v], &root);
		if (len != r->dist[v] || root >= g->nroots)
			fzc_diverge("object %" PRIu32 ": path of %" PRIu32 " edges from root %" PRIu32 ", dist %" PRIu32, v, len,
				root, r->dist[v]);
		uint32_t at = g->roots[root].to;
		for (uint32_t k = 0; k < len; k++) {
			if (g->efrom[edges[k]] != at)
				fzc_diverge("object %" PRIu32 ": step %" PRIu32 " of its path leaves another object", v, k);
			at = g->edges[edges[k]].to;
		}
		if (at != v)
			fzc_diverge("object %" PRIu32 ": its path ends at %" PRIu32, v, at);
		free(edges);
		for (uint32_t e = g->eoff[v]; e < g->eoff[v + 1]; e++) {
			uint32_t w = g->edges[e].to;
			int k = ra_edge_kind(r, e);
			ra_kinds need = k == RA_LINK ? r->kinds[v] : (ra_kinds)(1u << k);
			if (r->dist[w] > r->dist[v] + 1 || (r->kinds[w] & need) != need)
				fzc_diverge("edge %" PRIu32 " (%" PRIu32 " -> %" PRIu32 "): dist %" PRIu32 " -> %" PRIu32
					", kinds %#x -> %#x (kind %d)", e, v, w, r->dist[v], r->dist[w], (unsigned)r->kinds[v],
					(unsigned)r->kinds[w], k);
		}
	}
	if (r->reached_bytes != bytes || r->retained[g->nobjs] != bytes || r->dominated[g->nobjs] != nreached)
		fzc_diverge("reached %" PRIu64 " bytes (a plain search: %" PRIu64 "), the virtual root retains %" PRIu64
			" bytes and dominates %" PRIu64 " objects (of %" PRIu32 ")", r->reached_bytes, bytes,
			r->retained[g->nobjs], r->dominated[g->nobjs], nreached);
}

/* The dominator tree, retained sizes and dominated counts against the
 * definition: d dominates v when the roots reach v but not without d. */
static void
fs_check_dominators(const ra_result *r, const uint8_t *reached, uint8_t *seen, uint32_t *queue)
{
	const rg_graph *g = r->g;
	uint32_t n = g->nobjs;
	size_t words = (n + 63) / 64;
	uint64_t *dom = calloc((size_t)n * words + 1, sizeof *dom);   /* row d: what d strictly dominates */
	uint64_t *anc = calloc(words + 1, sizeof *anc);
	bool dropped = !fzc_break("snapshot-dom");

	if (dom == NULL || anc == NULL)
		fzc_diverge("out of memory");
	for (uint32_t d = 0; d < n; d++) {
		if (!reached[d])
			continue;
		fs_reach(g, d, seen, queue);
		for (uint32_t v = 0; v < n; v++)
			if (reached[v] && !seen[v] && v != d) {
				if (!dropped) {   /* the negative test: one dominator left out */
					dropped = true;
					continue;
				}
				dom[(size_t)d * words + v / 64] |= UINT64_C(1) << (v % 64);
			}
	}
	for (uint32_t v = 0; v < n; v++) {
		if (!reached[v])
			continue;
		/* v's strict dominators are exactly its ancestors in the tree. */
		memset(anc, 0, words * sizeof *anc);
		uint32_t steps = 0;
		for (uint32_t x = r->idom[v]; x != n; x = r->idom[x]) {
			if (x >= n || !reached[x] || ++steps > n)
				fzc_diverge("object %" PRIu32 ": its idom chain reaches %" PRIu32 " before the virtual root", v, x);
			anc[x / 64] |= UINT64_C(1) << (x % 64);
		}
		uint64_t retained = g->objs[v].size, dominated = 1;
		for (uint32_t d = 0; d < n; d++) {
			bool doms = (dom[(size_t)d * words + v / 64] >> (v % 64)) & 1;
			if (doms != ((anc[d / 64] >> (d % 64)) & 1))
				fzc_diverge("object %" PRIu32 " (id %" PRIu64 "): object %" PRIu32 " (id %" PRIu64
					") %s it, but %s its ancestor in the dominator tree", v, g->objs[v].id, d, g->objs[d].id,
					doms ? "dominates" : "does not dominate", doms ? "is not" : "is");
			if ((dom[(size_t)v * words + d / 64] >> (d % 64)) & 1) {
				retained += g->objs[d].size;
				dominated++;
			}
		}
		if (r->retained[v] != retained || r->dominated[v] != dominated)
			fzc_diverge("object %" PRIu32 " (id %" PRIu64 "): retains %" PRIu64 " bytes in %" PRIu64
				" objects, by the definition %" PRIu64 " in %" PRIu64, v, g->objs[v].id, r->retained[v],
				r->dominated[v], retained, dominated);
	}
	free(dom);
	free(anc);
}

static void
fs_check_maps(const ra_result *r)
{
	const rg_graph *g = r->g;

	for (uint32_t mi = 0; mi < r->nmaps; mi++) {
		const ra_map *m = &r->maps[mi];
		if (m->obj != g->maps[mi].obj || (m->cur.obj != RG_NONE && m->cur.obj >= g->nobjs) ||
		    (m->old.obj != RG_NONE && m->old.obj >= g->nobjs))
			fzc_diverge("map %" PRIu32 ": object %" PRIu32 ", arrays %" PRIu32 " and %" PRIu32, mi, m->obj, m->cur.obj,
				m->old.obj);
		for (uint32_t k = 0; k < m->niters; k++)
			if (m->iters[k].obj >= g->nobjs || g->objs[m->iters[k].obj].cls != RG_HITER)
				fzc_diverge("map %" PRIu32 ": iterator %" PRIu32 " is object %" PRIu32, mi, k, m->iters[k].obj);
		for (uint32_t k = 0; k < m->nstale; k++)
			if (m->stale[k].obj >= g->nobjs || r->arr_role[m->stale[k].obj] != RA_ROLE_STALE)
				fzc_diverge("map %" PRIu32 ": stale array %" PRIu32 " is object %" PRIu32, mi, k, m->stale[k].obj);
	}
}

/* ---- reports ------------------------------------------------------------------------- */

static void
fs_reports(const ra_result *r)
{
	const rg_graph *g = r->g;
	uint32_t objs[FS_MAX_REPORT_OBJECTS];
	size_t nobjs = g->nobjs < FS_MAX_REPORT_OBJECTS ? g->nobjs : FS_MAX_REPORT_OBJECTS;
	rp_source src = {.file = "fuzz.json"};
	char *buf, why[320], small[64];
	size_t len, nmaps;
	FILE *f;

	for (uint32_t i = 0; i < nobjs; i++)
		objs[i] = i;
	for (uint32_t i = 0; i < g->nobjs; i++)
		ra_path_string(r, i, small, sizeof small);   /* truncation included */
	for (unsigned runs = 0; runs <= 32; runs += 32) {
		rp_request q = {.maps = true, .arrays = true, .objects = objs, .nobjects = nobjs, .max_runs = runs};
		f = fzc_capture_begin(&buf, &len);
		if (rp_text(f, r, &src, &q) != 0)
			fzc_diverge("the text report failed");
		free(fzc_capture_end(f, &buf));
		f = fzc_capture_begin(&buf, &len);
		if (rp_json(f, r, &src, &q) != 0)
			fzc_diverge("the JSON report failed");
		fzc_capture_end(f, &buf);
		static const char *const keys[] = { "maps" };
		if (!fzc_json_ok(buf, len, keys, &nmaps, 1, why, sizeof why))
			fzc_diverge("the JSON report is not valid JSON: %s", why);
		if (nmaps != g->nmaps)
			fzc_diverge("the JSON report has %zu maps of %" PRIu32, nmaps, g->nmaps);
		free(buf);
	}
	if (g->nmaps > 0) {   /* one map only: the --map ID report */
		rp_request q = {.maps = true, .has_map_id = true, .map_id = g->maps[0].id, .max_runs = 32};
		f = fzc_capture_begin(&buf, &len);
		if (rp_text(f, r, &src, &q) != 0)
			fzc_diverge("the text report of one map failed");
		free(fzc_capture_end(f, &buf));
	}
	for (uint32_t mi = 0; mi < r->nmaps && mi < FS_MAX_DOT_MAPS; mi++) {
		f = fzc_capture_begin(&buf, &len);
		if (rdot_map(f, r, mi) != 0)
			fzc_diverge("the DOT of map %" PRIu32 " failed", mi);
		free(fzc_capture_end(f, &buf));
	}
}

/* ---- the entry points ---------------------------------------------------------------- */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rg_graph g;
	ra_result r;
	char err[1024];

	fzc_touch_input(data, size);
	if (rg_parse((const char *)data, size, "fuzz.json", &g, err, sizeof err) != 0) {
		fs_check_rejection(data, size, err, &g);
		rg_free(&g);
		return 0;
	}
	fs_check_graph(&g);
	fs_round_trip(&g);
	if (ra_analyze(&g, &r, err, sizeof err) != 0)
		fzc_diverge("analysis failed: %s", err);

	uint8_t *reached = malloc(g.nobjs ? g.nobjs : 1), *seen = malloc(g.nobjs ? g.nobjs : 1);
	uint32_t *queue = malloc((g.nobjs ? g.nobjs : 1) * sizeof *queue);
	if (reached == NULL || seen == NULL || queue == NULL)
		fzc_diverge("out of memory");
	uint32_t nreached = fs_reach(&g, RG_NONE, reached, queue);
	fs_check_paths(&r, reached, nreached);
	if (g.nobjs <= FS_MAX_NAIVE)
		fs_check_dominators(&r, reached, seen, queue);
	fs_check_maps(&r);
	fs_reports(&r);

	free(reached);
	free(seen);
	free(queue);
	ra_free(&r);
	rg_free(&g);
	return 0;
}
