/*
 * reach_report.c — text and JSON renderings of an ra_result (shapes in
 * reach_report.h).  Nothing here computes: every figure comes from the
 * analysis, so the text and the JSON cannot disagree.
 */
#include "reach_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* DESIGN.md §4: flags iterator 1, oldIterator 2, hashWriting 4, sameSizeGrow 8. */
#define RP_FLAG_LIST(X) \
	X(1u, "iterator") \
	X(2u, "oldIterator") \
	X(4u, "hashWriting") \
	X(8u, "sameSizeGrow")

static const struct {
	unsigned bit;
	const char *name;
} rp_flags[] = {
#define RP_X_FLAG(bit, name) {bit, name},
	RP_FLAG_LIST(RP_X_FLAG)
#undef RP_X_FLAG
};
enum { RP_NFLAGS = sizeof rp_flags / sizeof rp_flags[0] };

const char *
rp_flag_names(unsigned flags, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (int k = 0; k <= RP_NFLAGS; k++) {
		char unknown[16];
		const char *name;
		if (k < RP_NFLAGS) {
			if (!(flags & rp_flags[k].bit))
				continue;
			name = rp_flags[k].name;
		} else {
			if (!(flags & ~0xfu))
				continue;
			snprintf(unknown, sizeof unknown, "0x%x", flags & ~0xfu);
			name = unknown;
		}
		int n = snprintf(buf + len, size - len, "%s%s", len ? "|" : "", name);
		if (n < 0 || (size_t)n >= size - len)
			return buf;
		len += (size_t)n;
	}
	if (len == 0)
		snprintf(buf, size, "none");
	return buf;
}

/* "46080 B" or "46080 B (45.0 KiB)". */
static const char *
rp_bytes(uint64_t n, char *buf, size_t size)
{
	if (n < 1024)
		snprintf(buf, size, "%" PRIu64 " B", n);
	else if (n < 1024 * 1024)
		snprintf(buf, size, "%" PRIu64 " B (%.1f KiB)", n, (double)n / 1024);
	else
		snprintf(buf, size, "%" PRIu64 " B (%.1f MiB)", n, (double)n / (1024 * 1024));
	return buf;
}

static const char *
rp_node(const ra_result *r, uint32_t obj, char *buf, size_t size)
{
	if (obj == RG_NONE || obj >= r->n)
		snprintf(buf, size, "none");
	else
		ra_node_string(r->g, obj, buf, size);
	return buf;
}

static void
rp_kinds_text(FILE *out, ra_kinds k)
{
	bool any = false;

	for (int i = 0; i < RA_NKINDS; i++)
		if (k & (1u << i)) {
			fprintf(out, "%s%s", any ? ", " : "", ra_kind_text(i));
			any = true;
		}
	if (!any)
		fputs("none", out);
}

static void
rp_idom_text(FILE *out, const ra_result *r, uint32_t obj)
{
	char nb[256];
	uint32_t d = r->idom[obj];

	if (d == RG_NONE)
		fputs("none (unreachable)", out);
	else if (d == r->n)
		fputs("the roots (no single object dominates it)", out);
	else
		fputs(rp_node(r, d, nb, sizeof nb), out);
}

static const char *
rp_growth(const rg_map *gm)
{
	return !gm->growing ? "none" : gm->same_size ? "same-size" : "doubling";
}

/* ---- text ----------------------------------------------------------------------------- */

static void
rp_text_array(FILE *out, const ra_result *r, const char *what, const ra_array *a, const char *indent)
{
	const rg_graph *g = r->g;
	char nb[256], bb[64], rb[64];

	if (a->obj == RG_NONE) {
		fprintf(out, "%s%-10s none\n", indent, what);
		return;
	}
	const rg_object *o = &g->objs[a->obj];
	fprintf(out, "%s%-10s %s: %" PRIu64 " bucket%s + %" PRIu64 " preallocated overflow, %s\n", indent, what,
		rp_node(r, a->obj, nb, sizeof nb), a->nbuckets, a->nbuckets == 1 ? "" : "s", a->prealloc,
		rp_bytes(o->size, bb, sizeof bb));
	if (a->chains_known)
		fprintf(out, "%s%-10s overflow: %" PRIu64 " in chains", indent, "", a->ovf_chains);
	else
		fprintf(out, "%s%-10s overflow: chains not annotated", indent, "");
	if (a->ovf_objects > 0)
		fprintf(out, ", %" PRIu64 " separate bucket objects reached by chain edges (%s)", a->ovf_objects,
			rp_bytes(a->ovf_bytes, bb, sizeof bb));
	if (a->list != RG_NONE)
		fprintf(out, "; held through extra.%s (%s): %" PRIu64 " entries, %" PRIu64 " into this array, %" PRIu64
			" separate", a->list_is_old ? "oldoverflow" : "overflow", rp_node(r, a->list, nb, sizeof nb),
			a->list_entries, a->list_in_array, a->list_separate);
	fputc('\n', out);
	fprintf(out, "%s%-10s holders: ", indent, "");
	rp_kinds_text(out, r->kinds[a->obj]);
	fputs("; idom ", out);
	rp_idom_text(out, r, a->obj);
	fprintf(out, "; retained %s\n", rp_bytes(r->retained[a->obj], rb, sizeof rb));
}

/* "old buckets 0-9: evacuated, 10-40: pending, …" */
static void
rp_text_runs(FILE *out, const rg_map *gm, unsigned max_runs)
{
	uint64_t n = gm->old.nbuckets, start = 0, runs = 0;

	fputs("old buckets ", out);
	for (uint64_t b = 1; b <= n; b++) {
		if (b < n && gm->old.evacuated[b] == gm->old.evacuated[start])
			continue;
		if (max_runs == 0 || runs < max_runs) {
			fprintf(out, "%s", runs ? ", " : "");
			if (b - 1 == start)
				fprintf(out, "%" PRIu64, start);
			else
				fprintf(out, "%" PRIu64 "-%" PRIu64, start, b - 1);
			fputs(gm->old.evacuated[start] ? ": evacuated" : ": pending", out);
		}
		runs++;
		start = b;
	}
	if (max_runs != 0 && runs > max_runs)
		fprintf(out, ", … (%" PRIu64 " runs in all; --json lists every run)", runs);
	fputc('\n', out);
}

static void
rp_text_map(FILE *out, const ra_result *r, const ra_map *m, const rp_request *q)
{
	const rg_graph *g = r->g;
	const rg_map *gm = &g->maps[m->index];
	char nb[256], fb[96], bb[64];

	fprintf(out, "\nmap %" PRIu64 ": %s, map[%s]%s, count %" PRId64 ", B %u, flags %s\n", gm->id,
		rp_node(r, m->obj, nb, sizeof nb), rg_s(g, gm->key), rg_s(g, gm->elem), gm->count, gm->B,
		rp_flag_names(gm->flags, fb, sizeof fb));
	if (!gm->growing)
		fprintf(out, "  %-10s not growing\n", "growth");
	else if (gm->same_size)
		fprintf(out, "  %-10s same-size grow (B %u), %" PRIu64 " of %" PRIu64 " old buckets evacuated, nevacuate %"
			PRIu64 "\n", "growth", gm->B, gm->old.nevacuated, gm->old.nbuckets, gm->nevacuate);
	else
		fprintf(out, "  %-10s doubling (B %u \xe2\x86\x92 %u), %" PRIu64 " of %" PRIu64 " old buckets evacuated, "
			"nevacuate %" PRIu64 "\n", "growth", gm->B ? gm->B - 1 : 0, gm->B, gm->old.nevacuated,
			gm->old.nbuckets, gm->nevacuate);
	fprintf(out, "  %-10s ", "path");
	ra_path_print(r, m->obj, out);
	fprintf(out, "\n  %-10s %s in %" PRIu64 " object%s; holders: ", "retained",
		rp_bytes(r->retained[m->obj], bb, sizeof bb), r->dominated[m->obj], r->dominated[m->obj] == 1 ? "" : "s");
	rp_kinds_text(out, r->kinds[m->obj]);
	fputc('\n', out);
	rp_text_array(out, r, "current", &m->cur, "  ");
	if (gm->growing || m->old.obj != RG_NONE)
		rp_text_array(out, r, "old", &m->old, "  ");
	if (gm->old.present && gm->old.evacuated != NULL) {
		fprintf(out, "  %-10s ", "evacuation");
		rp_text_runs(out, gm, q->max_runs);
		if (!m->evac_consistent)
			fprintf(out, "  %-10s warning: an old bucket below nevacuate %" PRIu64 " is not evacuated"
				" (inv.evac-prefix)\n", "", gm->nevacuate);
	}
	if (m->nextovf != RG_NONE)
		fprintf(out, "  %-10s extra.nextOverflow \xe2\x86\x92 %s\n", "next", rp_node(r, m->nextovf, nb, sizeof nb));
	if (m->niters == 0)
		fprintf(out, "  %-10s none\n", "iterators");
	for (uint32_t k = 0; k < m->niters; k++) {
		const ra_iter *it = &m->iters[k];
		fprintf(out, "  %-10s %s on ", k == 0 ? "iterators" : "", rp_node(r, it->obj, nb, sizeof nb));
		switch (it->role) {
		case RA_ROLE_CURRENT: fputs("the current array", out); break;
		case RA_ROLE_OLD: fputs("the old array", out); break;
		case RA_ROLE_STALE: fprintf(out, "a stale array %s", rp_node(r, it->buckets, nb, sizeof nb)); break;
		default: fputs("no array (finished or empty)", out); break;
		}
		if (it->bptr != RG_NONE)
			fprintf(out, ", bptr in %s", rp_node(r, it->bptr, nb, sizeof nb));
		if (it->buckets != RG_NONE && r->dist[it->obj] != RG_NONE) {
			if (it->array_alone > 0)
				fprintf(out, "; dropping it frees the array: %s", rp_bytes(it->array_alone, bb, sizeof bb));
			else
				fputs("; the array is shared: dropping it alone frees none of it", out);
		}
		fputs("\n  ", out);
		fprintf(out, "%-10s   ", "");
		ra_path_print(r, it->obj, out);
		fputc('\n', out);
	}
	for (uint32_t k = 0; k < m->nstale; k++)
		rp_text_array(out, r, k == 0 ? "stale" : "", &m->stale[k], "  ");
}

static void
rp_text_object(FILE *out, const ra_result *r, uint32_t obj)
{
	const rg_graph *g = r->g;
	const rg_object *o = &g->objs[obj];
	char nb[256], bb[64];
	uint32_t mi = ra_map_of(r, obj);

	fprintf(out, "\nobject %s, %s", rp_node(r, obj, nb, sizeof nb), rp_bytes(o->size, bb, sizeof bb));
	if (mi != RG_NONE) {
		uint64_t id = g->maps[mi].id;
		switch (o->map != RG_NONE ? -1 : r->arr_role[obj]) {
		case -1: fprintf(out, ": the hmap of map %" PRIu64, id); break;
		case RA_ROLE_CURRENT: fprintf(out, ": current array of map %" PRIu64, id); break;
		case RA_ROLE_OLD: fprintf(out, ": old array of map %" PRIu64, id); break;
		case RA_ROLE_STALE: fprintf(out, ": stale array of map %" PRIu64 ", held by its iterators", id); break;
		default: break;
		}
	}
	fputc('\n', out);
	fprintf(out, "  %-10s ", "path");
	ra_path_print(r, obj, out);
	fprintf(out, "\n  %-10s ", "holders");
	rp_kinds_text(out, r->kinds[obj]);
	fputc('\n', out);
	unsigned shown = 0, more = 0, self = 0;
	for (uint32_t k = r->in_off[obj]; k < r->in_off[obj + 1]; k++) {
		uint32_t e = r->in_edge[k];
		uint32_t from = g->efrom[e];
		if (r->dist[from] == RG_NONE)
			continue;
		if (from == obj) {
			self++;
			continue;
		}
		if (shown == 16) {
			more++;
			continue;
		}
		char lb[256];
		ra_label_string(g, e, lb, sizeof lb);
		fprintf(out, "  %-10s %s %s (", shown == 0 ? "held by" : "", rp_node(r, from, nb, sizeof nb), lb);
		int kind = ra_edge_kind(r, e);
		if (kind == RA_LINK) {
			fputs("link: ", out);
			rp_kinds_text(out, r->kinds[from]);
		} else {
			fputs(ra_kind_text(kind), out);
		}
		fputs(")\n", out);
		shown++;
	}
	for (uint32_t k = 0; k < g->nroots; k++)
		if (g->roots[k].to == obj) {
			if (shown == 16) {
				more++;
				continue;
			}
			char kind[48];
			fprintf(out, "  %-10s %s \"%s\"\n", shown == 0 ? "held by" : "",
				rg_root_kind(g, &g->roots[k], kind, sizeof kind), rg_s(g, g->roots[k].name));
			shown++;
		}
	if (more)
		fprintf(out, "  %-10s … and %u more\n", "", more);
	if (self)
		fprintf(out, "  %-10s (and %u edges from itself: preallocated overflow buckets)\n", "", self);
	if (shown == 0 && more == 0)
		fprintf(out, "  %-10s nothing reachable\n", "held by");
	fprintf(out, "  %-10s ", "idom");
	rp_idom_text(out, r, obj);
	fprintf(out, "\n  %-10s %s in %" PRIu64 " object%s\n", "retained", rp_bytes(r->retained[obj], bb, sizeof bb),
		r->dominated[obj], r->dominated[obj] == 1 ? "" : "s");
}

static void
rp_text_header(FILE *out, const ra_result *r, const rp_source *src)
{
	const rg_graph *g = r->g;
	char b1[64], b2[64];
	uint32_t growing = 0, iters = 0, nullroots = 0;

	for (uint32_t mi = 0; mi < r->nmaps; mi++) {
		growing += g->maps[mi].growing;
		iters += r->maps[mi].niters;
	}
	for (uint32_t k = 0; k < g->nroots; k++)
		nullroots += g->roots[k].to == RG_NONE;
	fprintf(out, "snapshot   %s: cycle %" PRIu64 ", %" PRIu32 " objects, %s live, %" PRIu32 " roots (%" PRIu32
		" null)\n", src->file ? src->file : "(temporary)", g->cycle, g->nobjs, rp_bytes(g->live_bytes, b1, sizeof b1),
		g->nroots, nullroots);
	if (src->workload != NULL)
		fprintf(out, "workload   %s --seed %" PRIu64 " --ops %" PRIu64 " --live %" PRIu64
			": snapshot at mark termination of cycle %" PRIu64 " of %" PRIu64 "\n", src->workload, src->seed, src->ops,
			src->live, g->cycle, src->cycles);
	fprintf(out, "reachable  %" PRIu32 " objects, %s; unreachable (floating garbage) %" PRIu32 " objects, %s\n",
		r->nreached, rp_bytes(r->reached_bytes, b1, sizeof b1), g->nobjs - r->nreached,
		rp_bytes(g->live_bytes - r->reached_bytes, b2, sizeof b2));
	fprintf(out, "maps       %" PRIu32 " (%" PRIu32 " growing), %" PRIu32 " iterator%s, %" PRIu32 " stale array%s held"
		" only by iterators", r->nmaps, growing, iters, iters == 1 ? "" : "s", r->stale_arrays,
		r->stale_arrays == 1 ? "" : "s");
	if (r->stale_unreachable > 0)
		fprintf(out, " (%" PRIu32 " of them unreachable)", r->stale_unreachable);
	if (r->stale_arrays > 0)
		fprintf(out, ": %s, retaining %s", rp_bytes(r->stale_bytes, b1, sizeof b1),
			rp_bytes(r->stale_retained, b2, sizeof b2));
	fputc('\n', out);
}

static bool
rp_map_wanted(const ra_result *r, uint32_t mi, const rp_request *q)
{
	return !q->has_map_id || r->g->maps[mi].id == q->map_id;
}

int
rp_text(FILE *out, const ra_result *r, const rp_source *src, const rp_request *q)
{
	rp_text_header(out, r, src);
	if (q->maps)
		for (uint32_t mi = 0; mi < r->nmaps; mi++)
			if (rp_map_wanted(r, mi, q))
				rp_text_map(out, r, &r->maps[mi], q);
	if (q->arrays)
		for (uint32_t v = 0; v < r->n; v++)
			if (ra_is_bucket_array(r->g, v))
				rp_text_object(out, r, v);
	for (size_t k = 0; k < q->nobjects; k++)
		rp_text_object(out, r, q->objects[k]);
	return ferror(out) ? -1 : 0;
}

/* ---- JSON --------------------------------------------------------------------------------- */

void
rp_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void
rp_json_id(FILE *out, const ra_result *r, uint32_t obj)
{
	if (obj == RG_NONE || obj >= r->n)
		fputs("null", out);
	else
		fprintf(out, "%" PRIu64, r->g->objs[obj].id);
}

static void
rp_json_kinds(FILE *out, ra_kinds k)
{
	bool any = false;

	fputc('[', out);
	for (int i = 0; i < RA_NKINDS; i++)
		if (k & (1u << i)) {
			fprintf(out, "%s\"%s\"", any ? "," : "", ra_kind_json(i));
			any = true;
		}
	fputc(']', out);
}

static void
rp_json_path(FILE *out, const ra_result *r, uint32_t obj)
{
	const rg_graph *g = r->g;
	uint32_t len = obj < r->n ? r->dist[obj] : RG_NONE, root;

	if (len == RG_NONE) {
		fputs("null", out);
		return;
	}
	uint32_t *edges = malloc(((size_t)len + 1) * sizeof *edges);
	if (edges == NULL) {
		fputs("null", out);
		return;
	}
	ra_path(r, obj, edges, len, &root);
	const rg_root *rt = &g->roots[root];
	fprintf(out, "{\"root\":{\"kind\":\"%s\",", rt->global ? "global" : "scope");
	if (rt->thread)
		fprintf(out, "\"thread\":%" PRIu32 ",", rt->thread);
	fputs("\"name\":", out);
	rp_json_string(out, rg_s(g, rt->name));
	fputs("},\"text\":", out);
	size_t need = (size_t)ra_path_string(r, obj, NULL, 0) + 1;
	char *text = malloc(need);
	if (text != NULL) {
		ra_path_string(r, obj, text, need);
		rp_json_string(out, text);
		free(text);
	} else {
		fputs("null", out);
	}
	fputs(",\"steps\":[", out);
	uint32_t v = rt->to;
	for (uint32_t k = 0; k <= len; k++) {
		fprintf(out, "%s{\"object\":", k ? "," : "");
		rp_json_id(out, r, v);
		fputs(",\"type\":", out);
		rp_json_string(out, rg_s(g, g->objs[v].type));
		if (k < len) {
			char lb[256];
			ra_label_string(g, edges[k], lb, sizeof lb);
			fputs(",\"label\":", out);
			rp_json_string(out, lb);
			v = g->edges[edges[k]].to;
		}
		fputc('}', out);
	}
	fputs("]}", out);
	free(edges);
}

static void
rp_json_array(FILE *out, const ra_result *r, const ra_array *a)
{
	const rg_graph *g = r->g;

	if (a->obj == RG_NONE) {
		fputs("null", out);
		return;
	}
	const rg_object *o = &g->objs[a->obj];
	fputs("{\"object\":", out);
	rp_json_id(out, r, a->obj);
	fputs(",\"type\":", out);
	rp_json_string(out, rg_s(g, o->type));
	char chains[32] = "null";   /* stale arrays: not annotated */
	if (a->chains_known)
		snprintf(chains, sizeof chains, "%" PRIu64, a->ovf_chains);
	fprintf(out, ",\"len\":%" PRIu64 ",\"size\":%" PRIu64 ",\"buckets\":%" PRIu64 ",\"preallocated\":%" PRIu64
		",\"overflow\":{\"in_chains\":%s,\"separate_objects\":%" PRIu64 ",\"separate_bytes\":%" PRIu64
		",\"list\":", o->len, o->size, a->nbuckets, a->prealloc, chains, a->ovf_objects, a->ovf_bytes);
	if (a->list == RG_NONE) {
		fputs("null", out);
	} else {
		fprintf(out, "{\"member\":\"%s\",\"object\":", a->list_is_old ? "oldoverflow" : "overflow");
		rp_json_id(out, r, a->list);
		fprintf(out, ",\"entries\":%" PRIu64 ",\"in_array\":%" PRIu64 ",\"separate\":%" PRIu64 "}",
			a->list_entries, a->list_in_array, a->list_separate);
	}
	fputs("},\"holders\":", out);
	rp_json_kinds(out, r->kinds[a->obj]);
	fputs(",\"idom\":", out);
	rp_json_id(out, r, r->idom[a->obj]);
	fprintf(out, ",\"retained\":%" PRIu64 ",\"dominated\":%" PRIu64 "}", r->retained[a->obj],
		r->dominated[a->obj]);
}

static void
rp_json_map(FILE *out, const ra_result *r, const ra_map *m)
{
	const rg_graph *g = r->g;
	const rg_map *gm = &g->maps[m->index];

	fprintf(out, "{\"id\":%" PRIu64 ",\"object\":", gm->id);
	rp_json_id(out, r, m->obj);
	fputs(",\"key\":", out);
	rp_json_string(out, rg_s(g, gm->key));
	fputs(",\"elem\":", out);
	rp_json_string(out, rg_s(g, gm->elem));
	fprintf(out, ",\"count\":%" PRId64 ",\"B\":%u,\"flags\":%u,\"flag_names\":[", gm->count, gm->B, gm->flags);
	bool any = false;
	for (int k = 0; k < RP_NFLAGS; k++)
		if (gm->flags & rp_flags[k].bit) {
			fprintf(out, "%s\"%s\"", any ? "," : "", rp_flags[k].name);
			any = true;
		}
	fprintf(out, "],\"growth\":\"%s\",\"nevacuate\":%" PRIu64 ",\"noldbuckets\":%" PRIu64 ",\"path\":",
		rp_growth(gm), gm->nevacuate, gm->noldbuckets);
	rp_json_path(out, r, m->obj);
	fputs(",\"holders\":", out);
	rp_json_kinds(out, r->kinds[m->obj]);
	fprintf(out, ",\"retained\":%" PRIu64 ",\"dominated\":%" PRIu64 ",\"current\":", r->retained[m->obj],
		r->dominated[m->obj]);
	rp_json_array(out, r, &m->cur);
	fputs(",\"old\":", out);
	rp_json_array(out, r, &m->old);
	fputs(",\"evacuation\":", out);
	if (gm->old.present && gm->old.evacuated != NULL) {
		fprintf(out, "{\"evacuated\":%" PRIu64 ",\"pending\":%" PRIu64 ",\"consistent\":%s,\"runs\":[",
			gm->old.nevacuated, gm->old.nbuckets - gm->old.nevacuated, m->evac_consistent ? "true" : "false");
		uint64_t n = gm->old.nbuckets, start = 0;
		bool first = true;
		for (uint64_t b = 1; b <= n; b++) {
			if (b < n && gm->old.evacuated[b] == gm->old.evacuated[start])
				continue;
			fprintf(out, "%s{\"first\":%" PRIu64 ",\"last\":%" PRIu64 ",\"state\":\"%s\"}", first ? "" : ",",
				start, b - 1, gm->old.evacuated[start] ? "evacuated" : "pending");
			first = false;
			start = b;
		}
		fputs("]}", out);
	} else {
		fputs("null", out);
	}
	fputs(",\"next_overflow\":", out);
	rp_json_id(out, r, m->nextovf);
	fputs(",\"iterators\":[", out);
	for (uint32_t k = 0; k < m->niters; k++) {
		const ra_iter *it = &m->iters[k];
		fprintf(out, "%s{\"object\":", k ? "," : "");
		rp_json_id(out, r, it->obj);
		fputs(",\"path\":", out);
		rp_json_path(out, r, it->obj);
		fputs(",\"array\":", out);
		rp_json_id(out, r, it->buckets);
		fprintf(out, ",\"array_role\":\"%s\",\"bptr\":", ra_role_name(it->role));
		rp_json_id(out, r, it->bptr);
		fputs(",\"overflow\":", out);
		rp_json_id(out, r, it->overflow);
		fputs(",\"oldoverflow\":", out);
		rp_json_id(out, r, it->oldoverflow);
		fprintf(out, ",\"retained\":%" PRIu64 ",\"array_retained_alone\":%" PRIu64 "}", r->retained[it->obj],
			it->array_alone);
	}
	fputs("],\"stale_arrays\":[", out);
	for (uint32_t k = 0; k < m->nstale; k++) {
		if (k)
			fputc(',', out);
		rp_json_array(out, r, &m->stale[k]);
	}
	fputs("]}", out);
}

static void
rp_json_object(FILE *out, const ra_result *r, uint32_t obj)
{
	const rg_graph *g = r->g;
	const rg_object *o = &g->objs[obj];
	uint32_t mi = ra_map_of(r, obj);

	fputs("{\"object\":", out);
	rp_json_id(out, r, obj);
	fputs(",\"type\":", out);
	rp_json_string(out, rg_s(g, o->type));
	fprintf(out, ",\"array\":%s,\"len\":%" PRIu64 ",\"size\":%" PRIu64 ",\"map\":", o->array ? "true" : "false",
		o->len, o->size);
	if (mi == RG_NONE)
		fputs("null", out);
	else
		fprintf(out, "%" PRIu64, g->maps[mi].id);
	fprintf(out, ",\"role\":\"%s\",\"reachable\":%s,\"path\":", ra_role_name(r->arr_role[obj]),
		r->dist[obj] != RG_NONE ? "true" : "false");
	rp_json_path(out, r, obj);
	fputs(",\"holders\":", out);
	rp_json_kinds(out, r->kinds[obj]);
	fputs(",\"held_by\":[", out);
	bool first = true;
	for (uint32_t k = r->in_off[obj]; k < r->in_off[obj + 1]; k++) {
		uint32_t e = r->in_edge[k];
		uint32_t from = g->efrom[e];
		if (r->dist[from] == RG_NONE || from == obj)
			continue;
		char lb[256];
		ra_label_string(g, e, lb, sizeof lb);
		fprintf(out, "%s{\"object\":", first ? "" : ",");
		rp_json_id(out, r, from);
		fputs(",\"type\":", out);
		rp_json_string(out, rg_s(g, g->objs[from].type));
		fputs(",\"label\":", out);
		rp_json_string(out, lb);
		int kind = ra_edge_kind(r, e);
		fprintf(out, ",\"kind\":\"%s\",\"kinds\":", ra_kind_json(kind));
		rp_json_kinds(out, kind == RA_LINK ? r->kinds[from] : (ra_kinds)(1u << kind));
		fputc('}', out);
		first = false;
	}
	fputs("],\"idom\":", out);
	rp_json_id(out, r, r->idom[obj]);
	fprintf(out, ",\"retained\":%" PRIu64 ",\"dominated\":%" PRIu64 "}", r->retained[obj], r->dominated[obj]);
}

int
rp_json(FILE *out, const ra_result *r, const rp_source *src, const rp_request *q)
{
	const rg_graph *g = r->g;
	uint32_t growing = 0, iters = 0;

	for (uint32_t mi = 0; mi < r->nmaps; mi++) {
		growing += g->maps[mi].growing;
		iters += r->maps[mi].niters;
	}
	fputs("{\"schema\":\"mapgc.reach\",\"version\":1,\n\"snapshot\":{\"file\":", out);
	if (src->file != NULL)
		rp_json_string(out, src->file);
	else
		fputs("null", out);
	fprintf(out, ",\"cycle\":%" PRIu64 ",\"objects\":%" PRIu32 ",\"live_bytes\":%" PRIu64 ",\"roots\":%" PRIu32
		",\"reachable\":%" PRIu32 ",\"reachable_bytes\":%" PRIu64 ",\"unreachable\":%" PRIu32
		",\"unreachable_bytes\":%" PRIu64 "},\n\"source\":", g->cycle, g->nobjs, g->live_bytes, g->nroots,
		r->nreached, r->reached_bytes, g->nobjs - r->nreached, g->live_bytes - r->reached_bytes);
	if (src->workload != NULL) {
		fputs("{\"workload\":", out);
		rp_json_string(out, src->workload);
		fprintf(out, ",\"seed\":%" PRIu64 ",\"ops\":%" PRIu64 ",\"live\":%" PRIu64 ",\"cycle\":%" PRIu64
			",\"cycles\":%" PRIu64 "}", src->seed, src->ops, src->live, g->cycle, src->cycles);
	} else {
		fputs("null", out);
	}
	fprintf(out, ",\n\"summary\":{\"maps\":%" PRIu32 ",\"growing\":%" PRIu32 ",\"iterators\":%" PRIu32
		",\"stale_arrays\":%" PRIu32 ",\"stale_unreachable\":%" PRIu32 ",\"stale_bytes\":%" PRIu64
		",\"stale_retained\":%" PRIu64 "}", r->nmaps, growing, iters, r->stale_arrays, r->stale_unreachable,
		r->stale_bytes, r->stale_retained);
	if (q->maps) {
		fputs(",\n\"maps\":[", out);
		bool first = true;
		for (uint32_t mi = 0; mi < r->nmaps; mi++) {
			if (!rp_map_wanted(r, mi, q))
				continue;
			fputs(first ? "\n" : ",\n", out);
			rp_json_map(out, r, &r->maps[mi]);
			first = false;
		}
		fputs("]", out);
	}
	if (q->arrays) {
		fputs(",\n\"arrays\":[", out);
		bool first = true;
		for (uint32_t v = 0; v < r->n; v++) {
			if (!ra_is_bucket_array(g, v))
				continue;
			fputs(first ? "\n" : ",\n", out);
			rp_json_object(out, r, v);
			first = false;
		}
		fputs("]", out);
	}
	if (q->nobjects > 0) {
		fputs(",\n\"objects\":[", out);
		for (size_t k = 0; k < q->nobjects; k++) {
			fputs(k ? ",\n" : "\n", out);
			rp_json_object(out, r, q->objects[k]);
		}
		fputs("]", out);
	}
	fputs("}\n", out);
	return ferror(out) ? -1 : 0;
}
