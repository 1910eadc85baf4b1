/* v8reader.c — structural checks of V8 .heapsnapshot files; see v8reader.h. */
#include "tests/support/v8reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int v8r_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		char msg[240];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		snprintf(err, errlen, "v8: %s", msg);
	}
	return -1;
}

void v8r_free(v8r_snapshot *s)
{
	if (!s)
		return;
	sj_free(s->doc);
	free(s->first_edge);
	memset(s, 0, sizeof *s);
}

/* Position of name in a list of strings, or -1. */
static long field_pos(const sj_value *list, const char *name)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->items[i].type == SJ_STR && strcmp(list->items[i].str, name) == 0)
			return (long)i;
	return -1;
}

static bool all_strings(const sj_value *list)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->items[i].type != SJ_STR)
			return false;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t at(const sj_value *arr, size_t i)
{
	return (uint64_t)arr->items[i].i;
}

static int check(v8r_snapshot *s, char *err, size_t errlen)
{
	const sj_value *d = s->doc;
	const sj_value *snap = sj_get(d, "snapshot");
	const sj_value *meta = sj_get(snap, "meta");
	if (!meta || meta->type != SJ_OBJ)
		return v8r_fail(err, errlen, "snapshot.meta is missing (v8.meta)");
	const sj_value *nf = sj_get(meta, "node_fields"), *ef = sj_get(meta, "edge_fields");
	const sj_value *nt = sj_get(meta, "node_types"), *et = sj_get(meta, "edge_types");
	if (!nf || nf->type != SJ_ARR || !all_strings(nf) || nf->n == 0)
		return v8r_fail(err, errlen, "meta.node_fields is missing or not a list of names (v8.meta)");
	if (!ef || ef->type != SJ_ARR || !all_strings(ef) || ef->n == 0)
		return v8r_fail(err, errlen, "meta.edge_fields is missing or not a list of names (v8.meta)");
	if (!nt || nt->type != SJ_ARR || nt->n != nf->n || nt->items[0].type != SJ_ARR || !all_strings(&nt->items[0]))
		return v8r_fail(err, errlen, "meta.node_types does not describe node_fields (v8.meta)");
	if (!et || et->type != SJ_ARR || et->n != ef->n || et->items[0].type != SJ_ARR || !all_strings(&et->items[0]))
		return v8r_fail(err, errlen, "meta.edge_types does not describe edge_fields (v8.meta)");
	s->nf = nf->n;
	s->ef = ef->n;
	long p;
	static const char *const node_need[] = {"type", "name", "id", "self_size", "edge_count"};
	size_t *node_dst[] = {&s->f_type, &s->f_name, &s->f_id, &s->f_size, &s->f_edges};
	for (size_t i = 0; i < 5; i++) {
		if ((p = field_pos(nf, node_need[i])) < 0)
			return v8r_fail(err, errlen, "node_fields lacks \"%s\" (v8.meta)", node_need[i]);
		*node_dst[i] = (size_t)p;
	}
	if (s->f_type != 0)
		return v8r_fail(err, errlen, "node field \"type\" is not first (v8.meta)");
	static const char *const edge_need[] = {"type", "name_or_index", "to_node"};
	size_t *edge_dst[] = {&s->e_type, &s->e_name, &s->e_to};
	for (size_t i = 0; i < 3; i++) {
		if ((p = field_pos(ef, edge_need[i])) < 0)
			return v8r_fail(err, errlen, "edge_fields lacks \"%s\" (v8.meta)", edge_need[i]);
		*edge_dst[i] = (size_t)p;
	}
	if (s->e_type != 0)
		return v8r_fail(err, errlen, "edge field \"type\" is not first (v8.meta)");
	s->node_types = &nt->items[0];
	s->edge_types = &et->items[0];

	const sj_value *nc = sj_get(snap, "node_count"), *ec = sj_get(snap, "edge_count");
	if (!sj_is_uint(nc) || !sj_is_uint(ec))
		return v8r_fail(err, errlen, "snapshot.node_count / edge_count missing or not integers (v8.counts)");
	s->node_count = (size_t)nc->i;
	s->edge_count = (size_t)ec->i;
	s->nodes = sj_get(d, "nodes");
	s->edges = sj_get(d, "edges");
	s->strings = sj_get(d, "strings");
	if (!s->nodes || s->nodes->type != SJ_ARR || !s->edges || s->edges->type != SJ_ARR)
		return v8r_fail(err, errlen, "\"nodes\" or \"edges\" is missing or not an array");
	if (!s->strings || s->strings->type != SJ_ARR || !all_strings(s->strings))
		return v8r_fail(err, errlen, "\"strings\" is missing or not a list of strings");
	for (size_t i = 0; i < s->nodes->n; i++)
		if (!sj_is_uint(&s->nodes->items[i]))
			return v8r_fail(err, errlen, "nodes[%zu] is not a non-negative integer", i);
	for (size_t i = 0; i < s->edges->n; i++)
		if (!sj_is_uint(&s->edges->items[i]))
			return v8r_fail(err, errlen, "edges[%zu] is not a non-negative integer", i);
	if (s->node_count * s->nf != s->nodes->n)
		return v8r_fail(err, errlen, "node_count %zu × %zu fields != %zu node entries (v8.counts)", s->node_count,
		                s->nf, s->nodes->n);
	if (s->edge_count * s->ef != s->edges->n)
		return v8r_fail(err, errlen, "edge_count %zu × %zu fields != %zu edge entries (v8.counts)", s->edge_count,
		                s->ef, s->edges->n);

	s->first_edge = calloc(s->node_count + 1, sizeof *s->first_edge);
	if (!s->first_edge)
		return v8r_fail(err, errlen, "out of memory");
	size_t sum = 0;
	for (size_t n = 0; n < s->node_count; n++) {
		s->first_edge[n] = sum;
		uint64_t type = v8r_node_field(s, n, s->f_type);
		if (type >= s->node_types->n)
			return v8r_fail(err, errlen, "node %zu: type %llu out of range (v8.types)", n, (unsigned long long)type);
		uint64_t name = v8r_node_field(s, n, s->f_name);
		if (name >= s->strings->n)
			return v8r_fail(err, errlen, "node %zu: name string %llu >= %zu strings (v8.strings)", n,
			                (unsigned long long)name, s->strings->n);
		uint64_t ne = v8r_node_field(s, n, s->f_edges);
		if (ne > s->edge_count - sum)
			return v8r_fail(err, errlen, "node %zu: edge_count %llu runs past the %zu edges (v8.edge-sum)", n,
			                (unsigned long long)ne, s->edge_count);
		sum += (size_t)ne;
	}
	s->first_edge[s->node_count] = sum;
	if (sum != s->edge_count)
		return v8r_fail(err, errlen, "nodes' edge counts sum to %zu, edge_count is %zu (v8.edge-sum)", sum,
		                s->edge_count);

	long elem = field_pos(s->edge_types, "element"), hidden = field_pos(s->edge_types, "hidden");
	for (size_t e = 0; e < s->edge_count; e++) {
		uint64_t type = at(s->edges, e * s->ef + s->e_type);
		if (type >= s->edge_types->n)
			return v8r_fail(err, errlen, "edge %zu: type %llu out of range (v8.types)", e, (unsigned long long)type);
		uint64_t to = at(s->edges, e * s->ef + s->e_to);
		if (to % s->nf != 0 || to >= s->nodes->n)
			return v8r_fail(err, errlen, "edge %zu: to_node %llu is not a node's first field (v8.to-node)", e,
			                (unsigned long long)to);
		uint64_t name = at(s->edges, e * s->ef + s->e_name);
		if ((long)type != elem && (long)type != hidden && name >= s->strings->n)
			return v8r_fail(err, errlen, "edge %zu: name string %llu >= %zu strings (v8.strings)", e,
			                (unsigned long long)name, s->strings->n);
	}

	/* v8.ids: sort a copy. */
	uint64_t *ids = malloc((s->node_count ? s->node_count : 1) * sizeof *ids);
	if (!ids)
		return v8r_fail(err, errlen, "out of memory");
	for (size_t n = 0; n < s->node_count; n++)
		ids[n] = v8r_node_id(s, n);
	qsort(ids, s->node_count, sizeof *ids, cmp_u64);
	for (size_t n = 1; n < s->node_count; n++)
		if (ids[n] == ids[n - 1]) {
			uint64_t dup = ids[n];
			free(ids);
			return v8r_fail(err, errlen, "node id %llu is not unique (v8.ids)", (unsigned long long)dup);
		}
	free(ids);
	return 0;
}

int v8r_parse(const char *text, size_t len, v8r_snapshot *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->doc = sj_parse(text, len, err, errlen);
	if (!out->doc)
		return -1;
	if (check(out, err, errlen)) {
		v8r_free(out);
		return -1;
	}
	return 0;
}

int v8r_load(const char *path, v8r_snapshot *out, char *err, size_t errlen)
{
	size_t len;
	char *text = sr_read_file(path, &len);
	if (!text) {
		memset(out, 0, sizeof *out);
		return v8r_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
	}
	int rc = v8r_parse(text, len, out, err, errlen);
	free(text);
	return rc;
}

uint64_t v8r_node_field(const v8r_snapshot *s, size_t node, size_t field)
{
	return at(s->nodes, node * s->nf + field);
}

const char *v8r_node_type(const v8r_snapshot *s, size_t node)
{
	return s->node_types->items[v8r_node_field(s, node, s->f_type)].str;
}

const char *v8r_node_name(const v8r_snapshot *s, size_t node)
{
	return s->strings->items[v8r_node_field(s, node, s->f_name)].str;
}

uint64_t v8r_node_id(const v8r_snapshot *s, size_t node)
{
	return v8r_node_field(s, node, s->f_id);
}

uint64_t v8r_node_size(const v8r_snapshot *s, size_t node)
{
	return v8r_node_field(s, node, s->f_size);
}

size_t v8r_node_edge_count(const v8r_snapshot *s, size_t node)
{
	return (size_t)v8r_node_field(s, node, s->f_edges);
}

v8r_edge v8r_node_edge(const v8r_snapshot *s, size_t node, size_t k)
{
	size_t e = s->first_edge[node] + k;
	v8r_edge r = {0};
	uint64_t type = at(s->edges, e * s->ef + s->e_type);
	uint64_t name = at(s->edges, e * s->ef + s->e_name);
	r.type = s->edge_types->items[type].str;
	if (strcmp(r.type, "element") == 0 || strcmp(r.type, "hidden") == 0)
		r.index = name;
	else
		r.name = s->strings->items[name].str;
	r.to = (size_t)(at(s->edges, e * s->ef + s->e_to) / s->nf);
	return r;
}

/* ---- against the JSON snapshot --------------------------------------------- */

static int roots_match(const v8r_snapshot *v, const sr_snapshot *j, size_t node, const char *kind,
                       const size_t *obj_of_node, char *err, size_t errlen)
{
	size_t k = 0, ne = v8r_node_edge_count(v, node);
	for (size_t r = 0; r < j->nroots; r++) {
		if (strcmp(j->roots[r].kind, kind) != 0 || j->roots[r].to == 0)
			continue;
		if (k == ne)
			return v8r_fail(err, errlen, "%s roots: the JSON has more (\"%s\")", kind, j->roots[r].name);
		v8r_edge e = v8r_node_edge(v, node, k++);
		if (strcmp(e.type, "property") != 0 || strcmp(e.name, j->roots[r].name) != 0)
			return v8r_fail(err, errlen, "%s root %zu: %s edge \"%s\", the JSON says \"%s\"", kind, k - 1, e.type,
			                e.name ? e.name : "", j->roots[r].name);
		if (obj_of_node[e.to] != j->roots[r].to)
			return v8r_fail(err, errlen, "%s root \"%s\" leads to object %zu, the JSON says %llu", kind,
			                j->roots[r].name, obj_of_node[e.to], (unsigned long long)j->roots[r].to);
	}
	if (k != ne)
		return v8r_fail(err, errlen, "%s roots: %zu edges, the JSON has %zu", kind, ne, k);
	return 0;
}

int v8r_matches_json(const v8r_snapshot *v, const sr_snapshot *j, char *err, size_t errlen)
{
	/* obj_of_node: node number -> JSON id (0 for synthetic nodes). */
	size_t *obj_of_node = calloc(v->node_count + 1, sizeof *obj_of_node);
	if (!obj_of_node)
		return v8r_fail(err, errlen, "out of memory");
	size_t nobj = 0, scope_node = SIZE_MAX, global_node = SIZE_MAX;
	int rc = -1;
	for (size_t n = 0; n < v->node_count; n++) {
		if (strcmp(v8r_node_type(v, n), "synthetic") == 0) {
			if (strcmp(v8r_node_name(v, n), "(scope roots)") == 0)
				scope_node = n;
			else if (strcmp(v8r_node_name(v, n), "(global roots)") == 0)
				global_node = n;
			continue;
		}
		obj_of_node[n] = ++nobj;
	}
	if (nobj != j->nobjs) {
		v8r_fail(err, errlen, "%zu object nodes, the JSON has %zu objects", nobj, j->nobjs);
		goto out;
	}
	if (v->node_count == 0 || strcmp(v8r_node_type(v, 0), "synthetic") != 0 || scope_node == SIZE_MAX ||
	    global_node == SIZE_MAX) {
		v8r_fail(err, errlen, "no synthetic root, scope-roots and global-roots nodes");
		goto out;
	}
	bool to_scope = false, to_global = false;
	for (size_t k = 0; k < v8r_node_edge_count(v, 0); k++) {
		v8r_edge e = v8r_node_edge(v, 0, k);
		to_scope |= strcmp(e.type, "element") == 0 && e.to == scope_node;
		to_global |= strcmp(e.type, "element") == 0 && e.to == global_node;
	}
	if (!to_scope || !to_global) {
		v8r_fail(err, errlen, "node 0 has no element edges to the root-set nodes");
		goto out;
	}
	if (roots_match(v, j, scope_node, "scope", obj_of_node, err, errlen) ||
	    roots_match(v, j, global_node, "global", obj_of_node, err, errlen))
		goto out;
	for (size_t n = 0; n < v->node_count; n++) {
		if (!obj_of_node[n])
			continue;
		const sr_object *o = &j->objs[obj_of_node[n] - 1];
		char want[256];
		if (o->array)
			snprintf(want, sizeof want, "[%llu]%s", (unsigned long long)o->len, o->type);
		else
			snprintf(want, sizeof want, "%s", o->type);
		if (strcmp(v8r_node_name(v, n), want) != 0) {
			v8r_fail(err, errlen, "node %zu is named \"%s\", JSON object %llu is \"%s\"", n, v8r_node_name(v, n),
			         (unsigned long long)o->id, want);
			goto out;
		}
		if (strcmp(v8r_node_type(v, n), o->array ? "array" : "object") != 0) {
			v8r_fail(err, errlen, "node %zu has type %s, JSON object %llu array=%d", n, v8r_node_type(v, n),
			         (unsigned long long)o->id, o->array);
			goto out;
		}
		if (v8r_node_size(v, n) != o->size) {
			v8r_fail(err, errlen, "node %zu self_size %llu, JSON object %llu size %llu", n,
			         (unsigned long long)v8r_node_size(v, n), (unsigned long long)o->id,
			         (unsigned long long)o->size);
			goto out;
		}
		if (v8r_node_edge_count(v, n) != o->nedges) {
			v8r_fail(err, errlen, "node %zu has %zu edges, JSON object %llu has %zu", n, v8r_node_edge_count(v, n),
			         (unsigned long long)o->id, o->nedges);
			goto out;
		}
		for (size_t k = 0; k < o->nedges; k++) {
			v8r_edge e = v8r_node_edge(v, n, k);
			if (strcmp(e.type, "property") != 0 || strcmp(e.name, o->edges[k].label) != 0 ||
			    obj_of_node[e.to] != o->edges[k].to) {
				v8r_fail(err, errlen, "node %zu edge %zu: %s \"%s\" to object %zu; JSON object %llu: \"%s\" to %llu",
				         n, k, e.type, e.name ? e.name : "", obj_of_node[e.to], (unsigned long long)o->id,
				         o->edges[k].label, (unsigned long long)o->edges[k].to);
				goto out;
			}
		}
	}
	rc = 0;
out:
	free(obj_of_node);
	return rc;
}
