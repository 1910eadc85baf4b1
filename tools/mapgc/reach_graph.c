/*
 * reach_graph.c — the rg_graph itself (reach_graph.h): interned strings,
 * type classes, object ids, freeing, and loading a file (whose text
 * reach_snapshot.c reads).
 */
#include "reach_graph.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- strings ----------------------------------------------------------------- */

static uint64_t
rg_hash(const char *s, size_t n)
{
	uint64_t h = UINT64_C(1469598103934665603);   /* FNV-1a */
	for (size_t k = 0; k < n; k++)
		h = (h ^ (unsigned char)s[k]) * UINT64_C(1099511628211);
	return h;
}

static bool
rg_strhash_grow(rg_graph *g)
{
	uint32_t cap = g->strhcap ? g->strhcap * 2 : 256;
	uint32_t *t = calloc(cap, sizeof *t);
	if (t == NULL)
		return false;
	for (uint32_t i = 0; i < g->nstrs; i++) {
		uint32_t slot = (uint32_t)rg_hash(g->strs[i], strlen(g->strs[i])) & (cap - 1);
		while (t[slot] != 0)
			slot = (slot + 1) & (cap - 1);
		t[slot] = i + 1;
	}
	free(g->strhash);
	g->strhash = t;
	g->strhcap = cap;
	return true;
}

/* Strings are compared up to their first NUL: a name with an embedded NUL
 * (legal JSON, "\u0000") is interned as its prefix. */
rg_str
rg_intern(rg_graph *g, const char *s, size_t n)
{
	n = strnlen(s, n);
	if ((g->nstrs + 1) * 2 > g->strhcap && !rg_strhash_grow(g))
		return RG_NONE;
	uint32_t slot = (uint32_t)rg_hash(s, n) & (g->strhcap - 1);
	while (g->strhash[slot] != 0) {
		const char *t = g->strs[g->strhash[slot] - 1];
		if (strncmp(t, s, n) == 0 && t[n] == '\0')
			return g->strhash[slot] - 1;
		slot = (slot + 1) & (g->strhcap - 1);
	}
	if (g->nstrs == g->capstrs) {
		uint32_t cap = g->capstrs ? g->capstrs * 2 : 64;
		char **v = realloc(g->strs, cap * sizeof *v);
		if (v == NULL)
			return RG_NONE;
		g->strs = v;
		g->capstrs = cap;
	}
	char *copy = strndup(s, n);
	if (copy == NULL)
		return RG_NONE;
	g->strs[g->nstrs] = copy;
	g->strhash[slot] = g->nstrs + 1;
	return g->nstrs++;
}

rg_str
rg_find_str(const rg_graph *g, const char *s)
{
	if (g->strhcap == 0)
		return RG_NONE;
	size_t n = strlen(s);
	uint32_t slot = (uint32_t)rg_hash(s, n) & (g->strhcap - 1);
	while (g->strhash[slot] != 0) {
		if (strcmp(g->strs[g->strhash[slot] - 1], s) == 0)
			return g->strhash[slot] - 1;
		slot = (slot + 1) & (g->strhcap - 1);
	}
	return RG_NONE;
}

/* The class of a type name, from RG_CLASS_LIST: a name ending in '[' is a
 * prefix (bucket types are "bucket[KEY]ELEM"), the others match whole. */
rg_class
rg_classify(const char *type)
{
	static const char *const names[] = {
#define RG_X_NAME(id, name) name,
		RG_CLASS_LIST(RG_X_NAME)
#undef RG_X_NAME
	};
	for (size_t c = 1; c < sizeof names / sizeof names[0]; c++) {
		size_t n = strlen(names[c]);
		if (names[c][n - 1] == '[' ? strncmp(type, names[c], n) == 0 : strcmp(type, names[c]) == 0)
			return (rg_class)c;
	}
	return RG_OTHER;
}

/* ---- ids ----------------------------------------------------------------------------- */

typedef struct rg_idpair {
	uint64_t id;
	uint32_t idx;
} rg_idpair;

static int
rg_cmp_idpair(const void *a, const void *b)
{
	const rg_idpair *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

uint32_t
rg_index_of_id(const rg_graph *g, uint64_t id)
{
	if (g->ids_dense)
		return id >= 1 && id <= g->nobjs ? (uint32_t)(id - 1) : RG_NONE;
	size_t lo = 0, hi = g->byid ? g->nobjs : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t v = g->objs[g->byid[mid]].id;
		if (v == id)
			return g->byid[mid];
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return RG_NONE;
}

int
rg_index_ids(rg_graph *g, uint32_t *dup_a, uint32_t *dup_b)
{
	g->ids_dense = true;
	for (uint32_t i = 0; i < g->nobjs && g->ids_dense; i++)
		g->ids_dense = g->objs[i].id == (uint64_t)i + 1;
	if (g->ids_dense || g->nobjs == 0)
		return 0;
	rg_idpair *p = malloc(g->nobjs * sizeof *p);
	g->byid = malloc(g->nobjs * sizeof *g->byid);
	if (p == NULL || g->byid == NULL) {
		free(p);
		return -1;
	}
	for (uint32_t i = 0; i < g->nobjs; i++)
		p[i] = (rg_idpair){g->objs[i].id, i};
	qsort(p, g->nobjs, sizeof *p, rg_cmp_idpair);
	for (uint32_t i = 0; i < g->nobjs; i++) {
		if (i > 0 && p[i].id == p[i - 1].id) {
			*dup_a = p[i - 1].idx;
			*dup_b = p[i].idx;
			free(p);
			return 1;
		}
		g->byid[i] = p[i].idx;
	}
	free(p);
	return 0;
}

void
rg_free(rg_graph *g)
{
	for (uint32_t i = 0; i < g->nstrs; i++)
		free(g->strs[i]);
	for (uint32_t m = 0; m < g->nmaps; m++) {
		free(g->maps[m].cur.evacuated);
		free(g->maps[m].old.evacuated);
	}
	free(g->strs);
	free(g->strhash);
	free(g->objs);
	free(g->byid);
	free(g->eoff);
	free(g->edges);
	free(g->efrom);
	free(g->roots);
	free(g->maps);
	memset(g, 0, sizeof *g);
}

/* The whole of f, NUL-terminated; NULL with errno. */
static char *
rg_slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	for (;;) {
		if (n + 1 >= cap) {
			char *b = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (b == NULL) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = b;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				int e = errno ? errno : EIO;
				free(buf);
				errno = e;
				return NULL;
			}
			break;
		}
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int
rg_load(const char *path, rg_graph *g, char *err, size_t errlen)
{
	bool std = strcmp(path, "-") == 0;
	FILE *f = std ? stdin : fopen(path, "rb");
	struct stat st;
	size_t len = 0;
	char *text = NULL;

	memset(g, 0, sizeof *g);
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(EISDIR));
		if (!std)
			fclose(f);
		return -1;
	}
	errno = 0;
	text = rg_slurp(f, &len);
	int e = errno;
	if (!std)
		fclose(f);
	if (text == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		return -1;
	}
	int rc = rg_parse(text, len, std ? "<stdin>" : path, g, err, errlen);
	free(text);
	return rc;
}

uint32_t
rg_edge_labelled(const rg_graph *g, uint32_t i, const char *label)
{
	rg_str s = rg_find_str(g, label);

	if (s == RG_NONE || i >= g->nobjs)
		return RG_NONE;
	for (uint32_t e = g->eoff[i]; e < g->eoff[i + 1]; e++)
		if (g->edges[e].label == s && g->edges[e].elem == RG_NONE)
			return e;
	return RG_NONE;
}

const char *
rg_root_kind(const rg_graph *g, const rg_root *r, char *buf, size_t n)
{
	if (r->global)
		return "global root";
	if (g->max_thread > 1 && r->thread != 0) {
		snprintf(buf, n, "thread %" PRIu32 " scope root", r->thread);
		return buf;
	}
	return "scope root";
}
