/*
 * snapshot.c — heap snapshots, written at mark termination of a chosen
 * cycle (world stopped, marking complete): "live" is exactly "marked", and
 * every edge is a labelled pointer field.
 *
 * JSON, schema "mapgc.heapsnapshot" version 1 (one object):
 *   schema, version        "mapgc.heapsnapshot", 1
 *   cycle, time_s          the cycle and its start, seconds since mg_open
 *   live_bytes, nobjects   totals over "objects"
 *   roots   [{kind: "scope"|"global", name, to}]   to: object id or null
 *   objects [{id, addr, type, array, len, size, edges: [{label, to}], ...}]
 *           id counts from 1 in address order; addr is hex; type the type
 *           name; array and len from the header; size the slot's bytes;
 *           an edge's label is the field label, "[i].label" inside arrays;
 *           pointers out of the heap are not edges.  Types annotated by
 *           their owning layer (rt_typeinfo.describe) add members: maps add
 *           "map": {...} (see maptype/snapshot.c).
 *
 * V8 .heapsnapshot (what Chrome DevTools' Memory tab loads): node fields
 * type, name, id, self_size, edge_count, trace_node_id, detachedness; edge
 * fields type, name_or_index, to_node.  Node 0 is the synthetic root, with
 * element edges to "(scope roots)" and "(global roots)", whose property
 * edges carry the root names.  Objects are "object" nodes (arrays "array")
 * named by their type; edges are "property" edges named by their labels.
 */
#include "gc/gc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

/* ---- live objects in address order -------------------------------------- */

typedef struct snap {
	mg_runtime *rt;
	void **objs;        /* user pointers, ascending */
	size_t n, cap;
	uint64_t live_bytes;
} snap;

static void collect_span(mg_runtime *rt, gc_span *s, void *ud)
{
	snap *sn = ud;
	for (uint32_t i = 0; i < s->nelems; i++) {
		if (!gc_bit(s->allocbits, i) || !gc_bit(s->markbits, i))
			continue;
		if (sn->n == sn->cap) {
			sn->cap = sn->cap ? sn->cap * 2 : 4096;
			void **v = realloc(sn->objs, sn->cap * sizeof *v);
			if (!v)
				rt_out_of_memory(rt, sn->cap * sizeof *v);
			sn->objs = v;
		}
		sn->objs[sn->n++] = (void *)(gc_slot_addr(s, i) + GC_HDR_SIZE);
		sn->live_bytes += s->elem_size;
	}
}

static int cmp_addr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

/* 1-based id of the live object p points into, or 0. */
static size_t id_of(const snap *sn, const void *p)
{
	uint32_t idx;
	gc_span *s = gc_find_object(sn->rt->gc, (uintptr_t)p, &idx);
	if (!s || !gc_bit(s->allocbits, idx) || !gc_bit(s->markbits, idx))
		return 0;
	void *obj = (void *)(gc_slot_addr(s, idx) + GC_HDR_SIZE);
	void **hit = bsearch(&obj, sn->objs, sn->n, sizeof *sn->objs, cmp_addr);
	return hit ? (size_t)(hit - sn->objs) + 1 : 0;
}

static const rt_typeinfo *info_of(mg_runtime *rt, const void *obj, uint32_t *len, bool *array)
{
	uint64_t h = *gc_hdr_of((void *)obj);
	*array = gc_hdr_is_array(h);
	*len = *array ? gc_hdr_len(h) : 1;
	return rt_type_byid(rt, gc_hdr_type(h));
}

static uint32_t slot_size(mg_runtime *rt, const void *obj)
{
	uint32_t idx;
	return gc_find_object(rt->gc, (uintptr_t)obj, &idx)->elem_size;
}

void gc_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Calls fn for every edge of obj: (label, element index or -1, target). */
typedef void (*edge_fn)(void *ud, const char *label, int64_t elem, void *target);

static void for_each_edge(mg_runtime *rt, const void *obj, edge_fn fn, void *ud)
{
	uint32_t len;
	bool array;
	const rt_typeinfo *ti = info_of(rt, obj, &len, &array);
	for (uint32_t i = 0; i < len; i++)
		for (uint32_t k = 0; k < ti->nptrs; k++) {
			void *target = *(void **)((char *)obj + (size_t)i * ti->elem_size + ti->offs[k]);
			if (target && gc_span_of(rt->gc, (uintptr_t)target))
				fn(ud, ti->t->ptrs[k].label, array ? (int64_t)i : -1, target);
		}
}

/* ---- JSON --------------------------------------------------------------- */

typedef struct jctx {
	FILE *f;
	const snap *sn;
	bool first;
} jctx;

static void json_edge(void *ud, const char *label, int64_t elem, void *target)
{
	jctx *j = ud;
	size_t to = id_of(j->sn, target);
	if (!to)
		return;
	fputs(j->first ? "" : ",", j->f);
	j->first = false;
	if (elem >= 0) {
		char buf[160];
		snprintf(buf, sizeof buf, "[%" PRId64 "].%s", elem, label ? label : "?");
		fputs("{\"label\":", j->f);
		gc_json_str(j->f, buf);
	} else {
		fputs("{\"label\":", j->f);
		gc_json_str(j->f, label ? label : "?");
	}
	fprintf(j->f, ",\"to\":%zu}", to);
}

/* Scope roots name their thread (tid, from 1); globals have none (0). */
static void json_roots(FILE *f, const snap *sn, const rt_rootstack *st, const char *kind, uint32_t tid, bool *first)
{
	for (size_t i = 0; i < st->n; i++) {
		fputs(*first ? "\n" : ",\n", f);
		*first = false;
		fprintf(f, "{\"kind\":\"%s\",", kind);
		if (tid)
			fprintf(f, "\"thread\":%u,", tid);
		fputs("\"name\":", f);
		gc_json_str(f, st->v[i].name ? st->v[i].name : "?");
		size_t to = id_of(sn, *st->v[i].slot);
		if (to)
			fprintf(f, ",\"to\":%zu}", to);
		else
			fputs(",\"to\":null}", f);
	}
}

static void write_json(mg_runtime *rt, const snap *sn, FILE *f)
{
	gc_state *gc = gc_of(rt);
	uint64_t since = gc->cur.t_start - rt->start_ns;
	fprintf(f,
	        "{\"schema\":\"mapgc.heapsnapshot\",\"version\":1,\"cycle\":%u,\"time_s\":%" PRIu64 ".%06" PRIu64
	        ",\"live_bytes\":%" PRIu64 ",\"nobjects\":%zu,\n\"roots\":[",
	        gc->cur.n, since / 1000000000, since / 1000 % 1000000, sn->live_bytes, sn->n);
	bool first = true;
	for (const rt_mutator *m = rt->muts; m; m = m->next)
		json_roots(f, sn, &m->stack, "scope", m->id, &first);
	json_roots(f, sn, &rt->globals, "global", 0, &first);
	fputs("],\n\"objects\":[", f);
	for (size_t i = 0; i < sn->n; i++) {
		const void *obj = sn->objs[i];
		uint32_t len;
		bool array;
		const rt_typeinfo *ti = info_of(rt, obj, &len, &array);
		fprintf(f, "%s\n{\"id\":%zu,\"addr\":\"%p\",\"type\":", i ? "," : "", i + 1, obj);
		gc_json_str(f, ti->t->name ? ti->t->name : "?");
		fprintf(f, ",\"array\":%s,\"len\":%u,\"size\":%u,\"edges\":[", array ? "true" : "false", len,
		        slot_size(rt, obj));
		jctx j = {f, sn, true};
		for_each_edge(rt, obj, json_edge, &j);
		fputc(']', f);
		if (ti->describe) {
			fputc(',', f);
			ti->describe(rt, obj, len, f);
		}
		fputc('}', f);
	}
	fputs("\n]}\n", f);
}

/* ---- V8 ----------------------------------------------------------------- */

/* The V8 format names everything through one string table. */
typedef struct strtab {
	const char **keys; /* interned copies */
	uint32_t *vals;
	uint32_t cap, n;
	const char **order;
} strtab;

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static uint32_t str_index(mg_runtime *rt, strtab *t, const char *s)
{
	if (t->n * 2 >= t->cap) {
		strtab nt = {0};
		nt.cap = t->cap ? t->cap * 2 : 1024;
		nt.keys = calloc(nt.cap, sizeof *nt.keys);
		nt.vals = calloc(nt.cap, sizeof *nt.vals);
		if (!nt.keys || !nt.vals)
			rt_out_of_memory(rt, nt.cap * sizeof *nt.keys);
		for (uint32_t i = 0; i < t->cap; i++)
			if (t->keys[i]) {
				uint32_t j = (uint32_t)str_hash(t->keys[i]) & (nt.cap - 1);
				while (nt.keys[j])
					j = (j + 1) & (nt.cap - 1);
				nt.keys[j] = t->keys[i];
				nt.vals[j] = t->vals[i];
			}
		free(t->keys);
		free(t->vals);
		t->keys = nt.keys;
		t->vals = nt.vals;
		t->cap = nt.cap;
		t->order = realloc(t->order, nt.cap * sizeof *t->order);
		if (!t->order)
			rt_out_of_memory(rt, nt.cap * sizeof *t->order);
	}
	uint32_t j = (uint32_t)str_hash(s) & (t->cap - 1);
	while (t->keys[j]) {
		if (strcmp(t->keys[j], s) == 0)
			return t->vals[j];
		j = (j + 1) & (t->cap - 1);
	}
	char *copy = strdup(s);
	if (!copy)
		rt_out_of_memory(rt, strlen(s) + 1);
	t->keys[j] = copy;
	t->vals[j] = t->n;
	t->order[t->n] = copy;
	return t->n++;
}

static void strtab_free(strtab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free((void *)t->order[i]);
	free(t->keys);
	free(t->vals);
	free(t->order);
}

enum { V8_NODE_FIELDS = 7, V8_HIDDEN = 0, V8_ARRAY = 1, V8_OBJECT = 3, V8_SYNTHETIC = 9 };
enum { V8_ELEMENT = 1, V8_PROPERTY = 2 };
#define V8_FIRST_OBJECT 3 /* nodes 0..2 are the synthetic roots */

typedef struct v8ctx {
	mg_runtime *rt;
	FILE *f;
	const snap *sn;
	strtab *st;
	bool first;
	uint32_t count;
} v8ctx;

static void v8_count_edge(void *ud, const char *label, int64_t elem, void *target)
{
	(void)label;
	(void)elem;
	v8ctx *c = ud;
	if (id_of(c->sn, target))
		c->count++;
}

static void v8_edge(void *ud, const char *label, int64_t elem, void *target)
{
	v8ctx *c = ud;
	size_t to = id_of(c->sn, target);
	if (!to)
		return;
	char buf[160];
	if (elem >= 0)
		snprintf(buf, sizeof buf, "[%" PRId64 "].%s", elem, label ? label : "?");
	else
		snprintf(buf, sizeof buf, "%s", label ? label : "?");
	fprintf(c->f, "%s%d,%u,%zu", c->first ? "" : ",", V8_PROPERTY, str_index(c->rt, c->st, buf),
	        (to - 1 + V8_FIRST_OBJECT) * V8_NODE_FIELDS);
	c->first = false;
}

static uint32_t roots_to_live(const snap *sn, const rt_rootstack *st)
{
	uint32_t n = 0;
	for (size_t i = 0; i < st->n; i++)
		n += id_of(sn, *st->v[i].slot) != 0;
	return n;
}

static void v8_root_edges(v8ctx *c, const rt_rootstack *st)
{
	for (size_t i = 0; i < st->n; i++) {
		size_t to = id_of(c->sn, *st->v[i].slot);
		if (!to)
			continue;
		fprintf(c->f, "%s%d,%u,%zu", c->first ? "" : ",", V8_PROPERTY,
		        str_index(c->rt, c->st, st->v[i].name ? st->v[i].name : "?"),
		        (to - 1 + V8_FIRST_OBJECT) * V8_NODE_FIELDS);
		c->first = false;
	}
}

static void write_v8(mg_runtime *rt, const snap *sn, FILE *f)
{
	strtab st = {0};
	str_index(rt, &st, ""); /* index 0 */
	v8ctx c = {rt, f, sn, &st, true, 0};
	/* Count edges first: the header gives the totals. */
	uint32_t scope_live = 0;
	for (const rt_mutator *m = rt->muts; m; m = m->next)
		scope_live += roots_to_live(sn, &m->stack);
	uint64_t nedges = 2 + scope_live + roots_to_live(sn, &rt->globals);
	for (size_t i = 0; i < sn->n; i++)
		for_each_edge(rt, sn->objs[i], v8_count_edge, &c);
	nedges += c.count;
	fprintf(f,
	        "{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\","
	        "\"trace_node_id\",\"detachedness\"],\"node_types\":[[\"hidden\",\"array\",\"string\",\"object\","
	        "\"code\",\"closure\",\"regexp\",\"number\",\"native\",\"synthetic\",\"concatenated string\","
	        "\"sliced string\",\"symbol\",\"bigint\",\"object shape\"],\"string\",\"number\",\"number\","
	        "\"number\",\"number\",\"number\"],\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],"
	        "\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",\"hidden\",\"shortcut\","
	        "\"weak\"],\"string_or_number\",\"node\"],\"trace_function_info_fields\":[\"function_id\",\"name\","
	        "\"script_name\",\"script_id\",\"line\",\"column\"],\"trace_node_fields\":[\"id\","
	        "\"function_info_index\",\"count\",\"size\",\"children\"],\"sample_fields\":[\"timestamp_us\","
	        "\"last_assigned_id\"],\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]},"
	        "\"node_count\":%zu,\"edge_count\":%" PRIu64 ",\"trace_function_count\":0},\n\"nodes\":[",
	        sn->n + V8_FIRST_OBJECT, nedges);
	fprintf(f, "%d,%u,1,0,2,0,0,\n", V8_SYNTHETIC, str_index(rt, &st, "(mapgc roots)"));
	fprintf(f, "%d,%u,3,0,%u,0,0,\n", V8_SYNTHETIC, str_index(rt, &st, "(scope roots)"), scope_live);
	fprintf(f, "%d,%u,5,0,%u,0,0", V8_SYNTHETIC, str_index(rt, &st, "(global roots)"),
	        roots_to_live(sn, &rt->globals));
	for (size_t i = 0; i < sn->n; i++) {
		uint32_t len;
		bool array;
		const rt_typeinfo *ti = info_of(rt, sn->objs[i], &len, &array);
		char name[160];
		if (array)
			snprintf(name, sizeof name, "[%u]%s", len, ti->t->name ? ti->t->name : "?");
		else
			snprintf(name, sizeof name, "%s", ti->t->name ? ti->t->name : "?");
		c.count = 0;
		for_each_edge(rt, sn->objs[i], v8_count_edge, &c);
		/* Ids: odd and unique, like V8's heap object ids. */
		fprintf(f, ",\n%d,%u,%zu,%u,%u,0,0", array ? V8_ARRAY : V8_OBJECT, str_index(rt, &st, name),
		        (i + V8_FIRST_OBJECT) * 2 + 1, slot_size(rt, sn->objs[i]), c.count);
	}
	fputs("],\n\"edges\":[", f);
	fprintf(f, "%d,1,%d,%d,2,%d", V8_ELEMENT, 1 * V8_NODE_FIELDS, V8_ELEMENT, 2 * V8_NODE_FIELDS);
	c.first = false;
	for (const rt_mutator *m = rt->muts; m; m = m->next)
		v8_root_edges(&c, &m->stack);
	v8_root_edges(&c, &rt->globals);
	for (size_t i = 0; i < sn->n; i++) {
		fputc('\n', f);
		for_each_edge(rt, sn->objs[i], v8_edge, &c);
	}
	fputs("],\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[],\n\"strings\":[", f);
	for (uint32_t i = 0; i < st.n; i++) {
		fputs(i ? ",\n" : "", f);
		gc_json_str(f, st.order[i]);
	}
	fputs("]}\n", f);
	strtab_free(&st);
}

/* ---- entry points ------------------------------------------------------- */

static int write_file(mg_runtime *rt, const snap *sn, const char *path, void (*w)(mg_runtime *, const snap *, FILE *))
{
	if (!path)
		return 0;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	w(rt, sn, f);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return -1;
	return 0;
}

/* Called in mark termination, after the mark and before any sweeping. */
int gc_snapshot_write(mg_runtime *rt, const char *json_path, const char *v8_path)
{
	snap sn = {.rt = rt};
	gc_for_each_span(rt, collect_span, &sn); /* address order: objs is sorted */
	int rc = write_file(rt, &sn, json_path, write_json);
	int err = errno;
	if (write_file(rt, &sn, v8_path, write_v8) != 0) {
		rc = -1;
		err = errno;
	}
	free(sn.objs);
	errno = err;
	return rc;
}

int mg_heap_snapshot(mg_runtime *rt, const char *json_path, const char *v8_path)
{
	if (gc_is_boehm(rt))
		return gc_boehm_snapshot(rt);
	gc_state *gc = gc_of(rt);
	gc->snap_json = json_path;
	gc->snap_v8 = v8_path;
	gc->snap_pending = true;
	gc->snap_rc = 0;
	gc_full_cycle(rt, true);
	gc->snap_pending = false;
	errno = gc->snap_errno;
	return gc->snap_rc;
}

/* heapdump=N and mg_heap_snapshot requests, at mark termination. */
void gc_snapshot_at_mark_done(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (gc->snap_pending && gc->cur.forced) {
		gc->snap_rc = gc_snapshot_write(rt, gc->snap_json, gc->snap_v8);
		gc->snap_errno = errno;
		gc->snap_pending = false;
	}
	if (rt->cfg.heapdump && gc->cur.n == rt->cfg.heapdump) {
		const char *prefix = rt->cfg.heapdump_prefix ? rt->cfg.heapdump_prefix : "mapgc-heap";
		char json[4096], v8[4096];
		snprintf(json, sizeof json, "%s-%u.json", prefix, gc->cur.n);
		snprintf(v8, sizeof v8, "%s-%u.heapsnapshot", prefix, gc->cur.n);
		if (gc_snapshot_write(rt, json, v8) != 0)
			rt_printf("mapgc: heapdump: cannot write %s / %s: %s\n", json, v8, strerror(errno));
	}
}
