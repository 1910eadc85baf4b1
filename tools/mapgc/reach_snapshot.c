/*
 * reach_snapshot.c — reading a heap snapshot's text into an rg_graph
 * (rg_parse, reach_graph.h).
 *
 * One pass over the document with the pull reader: objects and their edges
 * are appended as they come, edge targets are kept as raw ids until every
 * object is known, then resolved to indices (inv.rg-ids) in a second pass
 * over the edge array.  Every schema fault is reported through the JSON
 * reader's error slot (json_fail_at) at the offending token, so all
 * messages come out as "NAME:LINE:COL: PATH: what".
 */
#include "reach_graph.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct rg_reader {
	json_reader j;
	rg_graph *g;
	size_t capobjs, capedges, caproots, capmaps;
	uint64_t *to_raw;     /* [capedges]: edge target ids until resolved */
	uint64_t *root_raw;   /* [caproots]: root target ids, 0 for null */
	size_t *root_pos;     /* [caproots]: where each root is, for messages */
} rg_reader;

/* ---- messages ------------------------------------------------------------------ */

static bool
rg_oom(rg_reader *rr)
{
	return json_fail_at(&rr->j, rr->j.tok_pos, "out of memory");
}

/* What the current token is, for "expected X, found Y". */
static const char *
rg_found(const rg_reader *rr, char *buf, size_t size)
{
	const json_reader *j = &rr->j;

	if (j->tok != JSON_NUMBER)
		return json_tok_name(j->tok);
	size_t n = j->pos - j->tok_pos;
	bool integer = memchr(j->text + j->tok_pos, '.', n) == NULL &&
		memchr(j->text + j->tok_pos, 'e', n) == NULL && memchr(j->text + j->tok_pos, 'E', n) == NULL;
	snprintf(buf, size, "the number %.*s%s%s", (int)(n > 40 ? 40 : n), j->text + j->tok_pos,
		n > 40 ? "…" : "",
		integer && !j->is_uint && j->text[j->tok_pos] != '-' ? " (out of range)" : "");
	return buf;
}

/* "CONTEXT: expected WHAT, found …" at the current token.  Returns false. */
static bool
rg_expected(rg_reader *rr, const char *what, const char *ctxfmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool
rg_expected(rg_reader *rr, const char *what, const char *ctxfmt, ...)
{
	char ctx[160], found[96];
	va_list ap;

	if (rr->j.failed)
		return false;
	va_start(ap, ctxfmt);
	vsnprintf(ctx, sizeof ctx, ctxfmt, ap);
	va_end(ap);
	return json_fail_at(&rr->j, rr->j.tok_pos, "%s: expected %s, found %s", ctx, what,
		rg_found(rr, found, sizeof found));
}

/* ---- typed values ---------------------------------------------------------------- */

static bool
rg_uint(rg_reader *rr, uint64_t *v)
{
	if (json_next(&rr->j) != JSON_NUMBER || !rr->j.is_uint)
		return false;
	*v = rr->j.u;
	return true;
}

static bool
rg_int(rg_reader *rr, int64_t *v)
{
	if (json_next(&rr->j) != JSON_NUMBER || !rr->j.is_int)
		return false;
	*v = rr->j.i;
	return true;
}

static bool
rg_bool(rg_reader *rr, bool *v)
{
	json_tok t = json_next(&rr->j);
	if (t != JSON_TRUE && t != JSON_FALSE)
		return false;
	*v = t == JSON_TRUE;
	return true;
}

static bool
rg_string(rg_reader *rr)
{
	return json_next(&rr->j) == JSON_STRING;
}

/* Index of key among names[0..n), or -1. */
static int
rg_member(const json_reader *j, const char *const *names, int n)
{
	for (int m = 0; m < n; m++)
		if (strcmp(j->str, names[m]) == 0 && strlen(names[m]) == j->slen)
			return m;
	return -1;
}

/* Marks member m seen; a second sighting is an error. */
static bool
rg_once(rg_reader *rr, uint32_t *seen, int m, const char *name, const char *ctx)
{
	if (*seen & (UINT32_C(1) << m))
		return json_fail_at(&rr->j, rr->j.tok_pos, "%s: duplicate member \"%s\"", ctx, name);
	*seen |= UINT32_C(1) << m;
	return true;
}

/* The first required member missing from seen, or NULL. */
static const char *
rg_missing(uint32_t seen, uint32_t required, const char *const *names, int n)
{
	for (int m = 0; m < n; m++)
		if ((required & (UINT32_C(1) << m)) && !(seen & (UINT32_C(1) << m)))
			return names[m];
	return NULL;
}

/* ---- map annotations --------------------------------------------------------------- */

/* One chain string (rr->j.str): buckets of 8 cells joined by '|'. */
static bool
rg_chain(rg_reader *rr, rg_chains *c, bool old, const char *ctx, uint64_t b)
{
	json_reader *j = &rr->j;
	const char *s = j->str;
	size_t n = j->slen;

	if (n == 0 || (n + 1) % 9 != 0)
		goto bad;
	for (size_t k = 0; k < n; k++) {
		if ((k + 1) % 9 == 0) {
			if (s[k] != '|')
				goto bad;
			continue;
		}
		const char *code = s[k] != '\0' ? strchr(RG_CELL_CODES, s[k]) : NULL;
		if (code == NULL)
			goto bad;
		c->cells[code - RG_CELL_CODES]++;
	}
	uint64_t nb = (n + 1) / 9;
	c->overflow += nb - 1;
	if (nb > c->maxchain)
		c->maxchain = nb;
	if (old) {
		/* map_evacuated: the first cell's tophash is evacuatedX/Y/Empty. */
		bool ev = s[0] == 'X' || s[0] == 'Y' || s[0] == 'E';
		if ((b & (b - 1)) == 0 && (b == 0 || b >= 64)) {   /* grow at 0, 64, 128, 256, … */
			uint64_t cap = b == 0 ? 64 : b * 2;
			uint8_t *v = realloc(c->evacuated, cap);
			if (v == NULL)
				return rg_oom(rr);
			c->evacuated = v;
		}
		c->evacuated[b] = ev;
		c->nevacuated += ev;
	}
	return true;
bad:
	return json_fail_at(j, j->tok_pos,
		"%s[%" PRIu64 "]: malformed chain \"%.40s%s\" (want buckets of 8 cells from F e - X Y E joined by '|')",
		ctx, b, s, n > 40 ? "…" : "");
}

static bool
rg_chains_read(rg_reader *rr, rg_chains *c, bool old, const char *ctx)
{
	json_reader *j = &rr->j;

	if (j->tok != JSON_ARRAY)
		return false;
	c->present = true;
	for (uint64_t b = 0;; b++) {
		json_tok t = json_next(j);
		if (t == JSON_ARRAY_END)
			return true;
		if (t != JSON_STRING)
			return rg_expected(rr, "a chain string", "%s[%" PRIu64 "]", ctx, b);
		if (!rg_chain(rr, c, old, ctx, b))
			return false;
		c->nbuckets++;
	}
}

static const char *const rg_map_members[] = {
	"id", "key", "elem", "count", "B", "flags", "hash0", "noverflow",
	"growing", "same_size", "nevacuate", "noldbuckets", "buckets", "oldbuckets",
};
enum { RG_NMAP_MEMBERS = sizeof rg_map_members / sizeof rg_map_members[0] };

static bool
rg_map_read(rg_reader *rr, uint32_t k, rg_map *m)
{
	json_reader *j = &rr->j;
	size_t pos = j->tok_pos;
	uint32_t seen = 0;
	char ctx[64], sub[80];

	snprintf(ctx, sizeof ctx, "objects[%" PRIu32 "].map", k);
	for (;;) {
		json_tok t = json_next(j);
		if (t == JSON_OBJECT_END)
			break;
		if (t != JSON_KEY)
			return false;
		int mi = rg_member(j, rg_map_members, RG_NMAP_MEMBERS);
		if (mi < 0) {
			if (!json_skip(j))
				return false;
			continue;
		}
		const char *name = rg_map_members[mi];
		if (!rg_once(rr, &seen, mi, name, ctx))
			return false;
		snprintf(sub, sizeof sub, "%s.%s", ctx, name);
		uint64_t u = 0;
		bool ok = true;
		switch (mi) {
		case 0: ok = rg_uint(rr, &m->id); break;
		case 1:
		case 2:
			ok = rg_string(rr);
			if (ok) {
				rg_str s = rg_intern(rr->g, j->str, j->slen);
				if (s == RG_NONE)
					return rg_oom(rr);
				*(mi == 1 ? &m->key : &m->elem) = s;
			}
			break;
		case 3: ok = rg_int(rr, &m->count); break;
		case 4:
			ok = rg_uint(rr, &u);
			if (ok && u > 63)
				return json_fail_at(j, j->tok_pos, "%s: B = %" PRIu64 " is out of range (0..63)", sub, u);
			m->B = (unsigned)u;
			break;
		case 5:
			ok = rg_uint(rr, &u);
			if (ok && u > 255)
				return json_fail_at(j, j->tok_pos, "%s: flags = %" PRIu64 " do not fit a byte", sub, u);
			m->flags = (unsigned)u;
			break;
		case 6: ok = rg_uint(rr, &m->hash0); break;
		case 7: ok = rg_uint(rr, &m->noverflow); break;
		case 8: ok = rg_bool(rr, &m->growing); break;
		case 9: ok = rg_bool(rr, &m->same_size); break;
		case 10: ok = rg_uint(rr, &m->nevacuate); break;
		case 11: ok = rg_uint(rr, &m->noldbuckets); break;
		case 12:
			json_next(j);
			if (!rg_chains_read(rr, &m->cur, false, sub))
				return rg_expected(rr, "an array of chain strings", "%s", sub);
			break;
		case 13:
			if (json_next(j) == JSON_NULL)
				break;
			if (!rg_chains_read(rr, &m->old, true, sub))
				return rg_expected(rr, "an array of chain strings or null", "%s", sub);
			break;
		}
		if (!ok) {
			const char *what = mi == 1 || mi == 2 ? "a string"
				: mi == 3 ? "an integer"
				: mi == 8 || mi == 9 ? "true or false" : "a non-negative integer";
			return rg_expected(rr, what, "%s", sub);
		}
	}
	const char *missing = rg_missing(seen, (UINT32_C(1) << RG_NMAP_MEMBERS) - 1, rg_map_members,
		RG_NMAP_MEMBERS);
	if (missing != NULL)
		return json_fail_at(j, pos, "%s: missing member \"%s\"", ctx, missing);
	/* inv.rg-chains */
	if (m->cur.nbuckets != 0 && m->cur.nbuckets != UINT64_C(1) << m->B)
		return json_fail_at(j, pos, "%s: %" PRIu64 " chains in \"buckets\", but B = %u wants %" PRIu64,
			ctx, m->cur.nbuckets, m->B, UINT64_C(1) << m->B);
	if (m->old.present && m->old.nbuckets != m->noldbuckets)
		return json_fail_at(j, pos, "%s: %" PRIu64 " chains in \"oldbuckets\", but noldbuckets = %" PRIu64,
			ctx, m->old.nbuckets, m->noldbuckets);
	return true;
}

/* ---- objects, edges, roots --------------------------------------------------------- */

static bool
rg_push_edge(rg_reader *rr, uint64_t to, const char *label, size_t n)
{
	rg_graph *g = rr->g;
	uint32_t elem = RG_NONE;

	if (g->nedges >= UINT32_MAX - 1)
		return json_fail_at(&rr->j, rr->j.tok_pos, "more than %" PRIu32 " edges", UINT32_MAX - 2);
	/* "[123].label": element 123 of an array, field label. */
	if (n > 3 && label[0] == '[' && label[1] >= '0' && label[1] <= '9') {
		uint64_t v = 0;
		size_t k = 1;
		while (k < n && label[k] >= '0' && label[k] <= '9' && v < RG_NONE)
			v = v * 10 + (uint64_t)(label[k++] - '0');
		if (k + 1 < n && label[k] == ']' && label[k + 1] == '.' && v < RG_NONE) {
			elem = (uint32_t)v;
			label += k + 2;
			n -= k + 2;
		}
	}
	if (g->nedges == rr->capedges) {
		size_t cap = rr->capedges ? rr->capedges * 2 : 4096;
		rg_edge *e = realloc(g->edges, cap * sizeof *e);
		if (e == NULL)
			return rg_oom(rr);
		g->edges = e;
		uint64_t *t = realloc(rr->to_raw, cap * sizeof *t);
		if (t == NULL)
			return rg_oom(rr);
		rr->to_raw = t;
		rr->capedges = cap;
	}
	rg_str s = rg_intern(g, label, n);
	if (s == RG_NONE)
		return rg_oom(rr);
	g->edges[g->nedges] = (rg_edge){.to = RG_NONE, .label = s, .elem = elem};
	rr->to_raw[g->nedges] = to;
	g->nedges++;
	return true;
}

static bool
rg_edges_read(rg_reader *rr, uint32_t k)
{
	json_reader *j = &rr->j;
	static const char *const names[] = {"label", "to"};

	if (json_next(j) != JSON_ARRAY)
		return rg_expected(rr, "an array", "objects[%" PRIu32 "].edges", k);
	for (uint32_t e = 0;; e++) {
		json_tok t = json_next(j);
		if (t == JSON_ARRAY_END)
			return true;
		if (t != JSON_OBJECT)
			return rg_expected(rr, "an edge object", "objects[%" PRIu32 "].edges[%" PRIu32 "]", k, e);
		size_t pos = j->tok_pos;
		uint32_t seen = 0;
		uint64_t to = 0;
		char *label = NULL;
		size_t lablen = 0;
		char ctx[80];
		snprintf(ctx, sizeof ctx, "objects[%" PRIu32 "].edges[%" PRIu32 "]", k, e);
		for (;;) {
			t = json_next(j);
			if (t == JSON_OBJECT_END)
				break;
			if (t != JSON_KEY)
				goto fail;
			int m = rg_member(j, names, 2);
			if (m < 0) {
				if (!json_skip(j))
					goto fail;
				continue;
			}
			if (!rg_once(rr, &seen, m, names[m], ctx))
				goto fail;
			if (m == 0) {
				if (!rg_string(rr)) {
					rg_expected(rr, "a string", "%s.label", ctx);
					goto fail;
				}
				free(label);
				label = strndup(j->str, j->slen);
				lablen = j->slen;
				if (label == NULL) {
					rg_oom(rr);
					goto fail;
				}
			} else if (!rg_uint(rr, &to) || to == 0) {
				rg_expected(rr, "an object id (a positive integer)", "%s.to", ctx);
				goto fail;
			}
		}
		const char *missing = rg_missing(seen, 3, names, 2);
		if (missing != NULL) {
			json_fail_at(j, pos, "%s: missing member \"%s\"", ctx, missing);
			goto fail;
		}
		bool ok = rg_push_edge(rr, to, label, lablen);
		free(label);
		if (!ok)
			return false;
		continue;
fail:
		free(label);
		return false;
	}
}

static bool
rg_parse_addr(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s[2] == '\0')
		return false;
	for (s += 2; *s; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0'
		      : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
		      : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
		if (d < 0 || v >> 60 != 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return true;
}

static const char *const rg_obj_members[] = {
	"id", "addr", "type", "array", "len", "size", "edges", "map",
};
enum { RG_NOBJ_MEMBERS = sizeof rg_obj_members / sizeof rg_obj_members[0] };
/* id, type, size and edges; addr, array, len and map may be left out. */
#define RG_OBJ_REQUIRED (1u << 0 | 1u << 2 | 1u << 5 | 1u << 6)

static bool
rg_object_read(rg_reader *rr, uint32_t k)
{
	json_reader *j = &rr->j;
	rg_graph *g = rr->g;
	rg_object o = {.len = 1, .map = RG_NONE, .pos = j->tok_pos};
	uint32_t seen = 0;
	char ctx[48];

	if (j->tok != JSON_OBJECT)
		return rg_expected(rr, "an object", "objects[%" PRIu32 "]", k);
	if (k >= RG_MAX_OBJECTS)
		return json_fail_at(j, j->tok_pos, "more than %" PRIu32 " objects", (uint32_t)RG_MAX_OBJECTS);
	snprintf(ctx, sizeof ctx, "objects[%" PRIu32 "]", k);
	if (g->nobjs == rr->capobjs) {
		size_t cap = rr->capobjs ? rr->capobjs * 2 : 1024;
		rg_object *v = realloc(g->objs, cap * sizeof *v);
		uint32_t *off = v ? realloc(g->eoff, (cap + 1) * sizeof *off) : NULL;
		if (v == NULL || off == NULL) {
			if (v != NULL)
				g->objs = v;
			return rg_oom(rr);
		}
		g->objs = v;
		g->eoff = off;
		rr->capobjs = cap;
	}
	g->eoff[k] = g->nedges;
	for (;;) {
		json_tok t = json_next(j);
		if (t == JSON_OBJECT_END)
			break;
		if (t != JSON_KEY)
			return false;
		int m = rg_member(j, rg_obj_members, RG_NOBJ_MEMBERS);
		if (m < 0) {
			if (!json_skip(j))
				return false;
			continue;
		}
		if (!rg_once(rr, &seen, m, rg_obj_members[m], ctx))
			return false;
		switch (m) {
		case 0:
			if (!rg_uint(rr, &o.id) || o.id == 0)
				return rg_expected(rr, "a positive integer", "%s.id", ctx);
			break;
		case 1:
			if (!rg_string(rr) || !rg_parse_addr(j->str, &o.addr))
				return rg_expected(rr, "a hex address string (\"0x…\")", "%s.addr", ctx);
			break;
		case 2:
			if (!rg_string(rr))
				return rg_expected(rr, "a string", "%s.type", ctx);
			o.type = rg_intern(g, j->str, j->slen);
			if (o.type == RG_NONE)
				return rg_oom(rr);
			o.cls = (uint8_t)rg_classify(g->strs[o.type]);
			break;
		case 3:
			if (!rg_bool(rr, &o.array))
				return rg_expected(rr, "true or false", "%s.array", ctx);
			break;
		case 4:
			if (!rg_uint(rr, &o.len))
				return rg_expected(rr, "a non-negative integer", "%s.len", ctx);
			break;
		case 5:
			if (!rg_uint(rr, &o.size))
				return rg_expected(rr, "a non-negative integer", "%s.size", ctx);
			break;
		case 6:
			if (!rg_edges_read(rr, k))
				return false;
			break;
		case 7: {
			json_tok v = json_next(j);
			if (v == JSON_NULL)
				break;
			if (v != JSON_OBJECT)
				return rg_expected(rr, "an object or null", "%s.map", ctx);
			if (g->nmaps == rr->capmaps) {
				size_t cap = rr->capmaps ? rr->capmaps * 2 : 64;
				rg_map *mv = realloc(g->maps, cap * sizeof *mv);
				if (mv == NULL)
					return rg_oom(rr);
				g->maps = mv;
				rr->capmaps = cap;
			}
			rg_map *mp = &g->maps[g->nmaps];
			memset(mp, 0, sizeof *mp);
			mp->obj = k;
			g->nmaps++;   /* counted now, so rg_free releases a half-read one */
			if (!rg_map_read(rr, k, mp))
				return false;
			o.map = g->nmaps - 1;
			break;
		}
		}
	}
	const char *missing = rg_missing(seen, RG_OBJ_REQUIRED, rg_obj_members, RG_NOBJ_MEMBERS);
	if (missing != NULL)
		return json_fail_at(j, o.pos, "%s: missing member \"%s\"", ctx, missing);
	if (o.map != RG_NONE)
		o.cls = RG_HMAP;   /* the annotation is what makes a map */
	g->objs[k] = o;
	g->nobjs = k + 1;
	g->eoff[k + 1] = g->nedges;
	return true;
}

static bool
rg_root_read(rg_reader *rr, uint32_t k)
{
	json_reader *j = &rr->j;
	rg_graph *g = rr->g;
	static const char *const names[] = {"kind", "name", "to", "thread"};
	rg_root root = {.to = RG_NONE, .name = RG_NONE};
	uint64_t to = 0;
	uint32_t seen = 0;
	size_t pos = j->tok_pos;
	char ctx[48];

	snprintf(ctx, sizeof ctx, "roots[%" PRIu32 "]", k);
	if (j->tok != JSON_OBJECT)
		return rg_expected(rr, "an object", "%s", ctx);
	for (;;) {
		json_tok t = json_next(j);
		if (t == JSON_OBJECT_END)
			break;
		if (t != JSON_KEY)
			return false;
		int m = rg_member(j, names, 4);
		if (m < 0) {
			if (!json_skip(j))
				return false;
			continue;
		}
		if (!rg_once(rr, &seen, m, names[m], ctx))
			return false;
		if (m == 3) { /* optional: a scope root's thread, from 1 */
			json_tok v = json_next(j);
			if (v != JSON_NUMBER || !j->is_uint || j->u == 0 || j->u > UINT32_MAX)
				return rg_expected(rr, "a thread number (1, 2, …)", "%s.thread", ctx);
			root.thread = (uint32_t)j->u;
			if (root.thread > g->max_thread)
				g->max_thread = root.thread;
		} else if (m == 0) {
			if (!rg_string(rr))
				return rg_expected(rr, "\"scope\" or \"global\"", "%s.kind", ctx);
			if (strcmp(j->str, "scope") == 0)
				root.global = false;
			else if (strcmp(j->str, "global") == 0)
				root.global = true;
			else
				return json_fail_at(j, j->tok_pos, "%s.kind: expected \"scope\" or \"global\", found \"%.40s\"",
					ctx, j->str);
		} else if (m == 1) {
			if (!rg_string(rr))
				return rg_expected(rr, "a string", "%s.name", ctx);
			root.name = rg_intern(g, j->str, j->slen);
			if (root.name == RG_NONE)
				return rg_oom(rr);
		} else {
			json_tok v = json_next(j);
			if (v == JSON_NULL)
				to = 0;
			else if (v != JSON_NUMBER || !j->is_uint || j->u == 0)
				return rg_expected(rr, "an object id or null", "%s.to", ctx);
			else
				to = j->u;
		}
	}
	const char *missing = rg_missing(seen, 7, names, 4);
	if (missing != NULL)
		return json_fail_at(j, pos, "%s: missing member \"%s\"", ctx, missing);
	if (k >= RG_MAX_OBJECTS)
		return json_fail_at(j, pos, "too many roots");
	if (g->nroots == rr->caproots) {
		size_t cap = rr->caproots ? rr->caproots * 2 : 64;
		rg_root *v = realloc(g->roots, cap * sizeof *v);
		if (v != NULL)
			g->roots = v;
		uint64_t *raw = realloc(rr->root_raw, cap * sizeof *raw);
		if (raw != NULL)
			rr->root_raw = raw;
		size_t *rp = realloc(rr->root_pos, cap * sizeof *rp);
		if (rp != NULL)
			rr->root_pos = rp;
		if (v == NULL || raw == NULL || rp == NULL)
			return rg_oom(rr);
		rr->caproots = cap;
	}
	g->roots[k] = root;
	rr->root_raw[k] = to;
	rr->root_pos[k] = pos;
	g->nroots = k + 1;
	return true;
}

static bool
rg_array_of(rg_reader *rr, const char *name, bool (*each)(rg_reader *, uint32_t))
{
	json_reader *j = &rr->j;

	if (json_next(j) != JSON_ARRAY)
		return rg_expected(rr, "an array", "%s", name);
	for (uint32_t k = 0;; k++) {
		json_tok t = json_next(j);
		if (t == JSON_ARRAY_END)
			return true;
		if (t == JSON_ERROR || !each(rr, k))
			return false;
	}
}

/* inv.rg-ids: unique ids, and every "to" resolves. */
static bool
rg_resolve(rg_reader *rr)
{
	rg_graph *g = rr->g;
	json_reader *j = &rr->j;
	uint32_t a, b;

	int rc = rg_index_ids(g, &a, &b);
	if (rc < 0)
		return rg_oom(rr);
	if (rc > 0)
		return json_fail_at(j, g->objs[b].pos, "objects[%" PRIu32 "]: duplicate id %" PRIu64
			" (objects[%" PRIu32 "] has it too)", b, g->objs[b].id, a);
	g->efrom = malloc((g->nedges ? g->nedges : 1) * sizeof *g->efrom);
	if (g->efrom == NULL)
		return rg_oom(rr);
	for (uint32_t i = 0; i < g->nobjs; i++) {
		for (uint32_t e = g->eoff[i]; e < g->eoff[i + 1]; e++) {
			uint32_t to = rg_index_of_id(g, rr->to_raw[e]);
			if (to == RG_NONE)
				return json_fail_at(j, g->objs[i].pos, "objects[%" PRIu32 "] (id %" PRIu64 ").edges[%" PRIu32
					"].to: no object has id %" PRIu64 " (dangling edge)", i, g->objs[i].id, e - g->eoff[i],
					rr->to_raw[e]);
			g->edges[e].to = to;
			g->efrom[e] = i;
		}
	}
	for (uint32_t k = 0; k < g->nroots; k++) {
		if (rr->root_raw[k] == 0)
			continue;
		g->roots[k].to = rg_index_of_id(g, rr->root_raw[k]);
		if (g->roots[k].to == RG_NONE)
			return json_fail_at(j, rr->root_pos[k], "roots[%" PRIu32 "].to: no object has id %" PRIu64
				" (dangling root)", k, rr->root_raw[k]);
	}
	return true;
}

/* ---- the document ---------------------------------------------------------------------- */

static bool
rg_objects_each(rg_reader *rr, uint32_t k)
{
	return rg_object_read(rr, k);
}

static bool
rg_roots_each(rg_reader *rr, uint32_t k)
{
	return rg_root_read(rr, k);
}

static const char *const rg_top_members[] = {
	"schema", "version", "cycle", "time_s", "live_bytes", "nobjects", "roots", "objects",
};
enum { RG_NTOP_MEMBERS = sizeof rg_top_members / sizeof rg_top_members[0] };

static bool
rg_document(rg_reader *rr)
{
	json_reader *j = &rr->j;
	rg_graph *g = rr->g;
	uint32_t seen = 0;
	uint64_t nobjects = 0, version = 0;
	size_t nobjects_pos = 0, live_pos = 0;

	json_tok t = json_next(j);
	if (t == JSON_ERROR)
		return false;
	if (t != JSON_OBJECT)
		return json_fail_at(j, j->tok_pos, "not a mapgc heap snapshot: the document is %s, not an object",
			json_tok_name(t));
	for (;;) {
		t = json_next(j);
		if (t == JSON_OBJECT_END)
			break;
		if (t != JSON_KEY)
			return false;
		int m = rg_member(j, rg_top_members, RG_NTOP_MEMBERS);
		if (m < 0) {
			if (!json_skip(j))
				return false;
			continue;
		}
		if (!rg_once(rr, &seen, m, rg_top_members[m], "snapshot"))
			return false;
		switch (m) {
		case 0:
			if (!rg_string(rr))
				return rg_expected(rr, "a string", "schema");
			if (strcmp(j->str, "mapgc.heapsnapshot") != 0 || j->slen != strlen("mapgc.heapsnapshot"))
				return json_fail_at(j, j->tok_pos,
					"not a mapgc heap snapshot: schema \"%.60s\" (want \"mapgc.heapsnapshot\")", j->str);
			break;
		case 1:
			if (!rg_uint(rr, &version))
				return rg_expected(rr, "a version number", "version");
			if (version != 1)
				return json_fail_at(j, j->tok_pos,
					"unsupported snapshot version %" PRIu64 " (this mapgc reads version 1)", version);
			break;
		case 2:
			if (!rg_uint(rr, &g->cycle))
				return rg_expected(rr, "a non-negative integer", "cycle");
			break;
		case 3:
			if (json_next(j) != JSON_NUMBER)
				return rg_expected(rr, "a number", "time_s");
			g->time_s = j->num;
			break;
		case 4:
			if (!rg_uint(rr, &g->live_bytes))
				return rg_expected(rr, "a non-negative integer", "live_bytes");
			live_pos = j->tok_pos;
			break;
		case 5:
			if (!rg_uint(rr, &nobjects))
				return rg_expected(rr, "a non-negative integer", "nobjects");
			nobjects_pos = j->tok_pos;
			break;
		case 6:
			if (!rg_array_of(rr, "roots", rg_roots_each))
				return false;
			break;
		case 7:
			if (!rg_array_of(rr, "objects", rg_objects_each))
				return false;
			break;
		}
	}
	if (json_next(j) != JSON_EOF)
		return false;
	if (!(seen & 1u))
		return json_fail_at(j, 0, "not a mapgc heap snapshot: no \"schema\" member");
	const char *missing = rg_missing(seen, (1u << RG_NTOP_MEMBERS) - 1 - (1u << 3), rg_top_members,
		RG_NTOP_MEMBERS);
	if (missing != NULL)
		return json_fail_at(j, 0, "snapshot: missing member \"%s\"", missing);
	/* inv.rg-totals */
	if (nobjects != g->nobjs)
		return json_fail_at(j, nobjects_pos, "nobjects is %" PRIu64 " but \"objects\" has %" PRIu32,
			nobjects, g->nobjs);
	uint64_t sum = 0;
	for (uint32_t i = 0; i < g->nobjs; i++) {
		if (g->objs[i].size > UINT64_MAX - sum)
			return json_fail_at(j, g->objs[i].pos, "objects[%" PRIu32 "].size: the sizes overflow 64 bits", i);
		sum += g->objs[i].size;
	}
	if (sum != g->live_bytes)
		return json_fail_at(j, live_pos, "live_bytes is %" PRIu64 " but the objects' sizes add up to %" PRIu64,
			g->live_bytes, sum);
	return rg_resolve(rr);
}

int
rg_parse(const char *text, size_t len, const char *name, rg_graph *g, char *err, size_t errlen)
{
	rg_reader rr = {.g = g};

	memset(g, 0, sizeof *g);
	json_init(&rr.j, text, len);
	bool ok = rg_document(&rr);
	if (ok && g->eoff == NULL) {   /* no objects: still a valid edge index */
		g->eoff = calloc(1, sizeof *g->eoff);
		ok = g->eoff != NULL || rg_oom(&rr);
	}
	if (!ok) {
		size_t line, col;
		json_location(&rr.j, rr.j.err_pos, &line, &col);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s:%zu:%zu: %s%s", name, line, col, rr.j.syntax ? "invalid JSON: " : "",
				rr.j.failed ? rr.j.err : "malformed snapshot");
		rg_free(g);
	}
	free(rr.to_raw);
	free(rr.root_raw);
	free(rr.root_pos);
	json_free(&rr.j);
	return ok ? 0 : -1;
}

