/*
 * maptype.c — map types (bucket layout and its labelled pointer fields),
 * the per-runtime cache of them, and hashing.
 *
 * Hashing is XXH3 (libxxhash, inlined) seeded with the map's hash0.  Keys
 * of 8 bytes (int64, pointers) take XXH3's 4–8 byte path, a couple of
 * multiplies, with its seed-only constant computed once per hash0 and kept
 * in the hmap (seedflip); strings hash their bytes (up to 16 through XXH3's
 * 0–16 byte branch inline, and on the read paths 4 to 8 with seedflip as
 * well), other types their whole representation.  map_hash_h in map.h is
 * the one entry; tests check it bit for bit against XXH3_64bits_withSeed.
 * maptype_make also binds each type's per-kind operations (map_bind_ops).
 */
#include "maptype/map.h"

#include <stdlib.h>

/* ---- runtime-wide descriptors ------------------------------------------- */

static const mg_field hmap_fields[] = {
	{offsetof(mg_hmap, buckets), "buckets"},
	{offsetof(mg_hmap, oldbuckets), "oldbuckets"},
	{offsetof(mg_hmap, extra), "extra"},
};
/* With maptrace the marker calls a hook on every hmap and hiter it scans
 * (trace.c); without, the types have none, and the marker does them like
 * any object, on any P (gc/work.c, HOOKED TYPES). */
static const mg_type hmap_type = {"hmap", sizeof(mg_hmap), 8, hmap_fields, 3, NULL, NULL};
static const mg_type hmap_type_traced = {"hmap", sizeof(mg_hmap), 8, hmap_fields, 3, map_hmap_scanned, NULL};

static const mg_field extra_fields[] = {
	{offsetof(map_extra, overflow), "overflow"},
	{offsetof(map_extra, oldoverflow), "oldoverflow"},
	{offsetof(map_extra, nextOverflow), "nextOverflow"},
};
static const mg_type extra_type = {"mapextra", sizeof(map_extra), 8, extra_fields, 3, NULL, NULL};

static const mg_field ovf_fields[] = {{0, "overflow"}};
static const mg_type ovf_type = {"*bucket", sizeof(void *), 8, ovf_fields, 1, NULL, NULL};

static const mg_field ovflist_fields[] = {{offsetof(map_ovflist, v), "list"}};
static const mg_type ovflist_type = {"overflowlist", sizeof(map_ovflist), 8, ovflist_fields, 1, NULL, NULL};

static const mg_field iter_fields[] = {
	{offsetof(mg_hiter, h), "it.h"},
	{offsetof(mg_hiter, buckets), "it.buckets"},
	{offsetof(mg_hiter, bptr), "it.bptr"},
	{offsetof(mg_hiter, overflow), "it.overflow"},
	{offsetof(mg_hiter, oldoverflow), "it.oldoverflow"},
};
static const mg_type iter_type = {"hiter", sizeof(mg_hiter), 8, iter_fields, 5, NULL, NULL};
static const mg_type iter_type_traced = {"hiter", sizeof(mg_hiter), 8, iter_fields, 5, map_iter_scanned, NULL};

static const char map_rt_key;

static void map_rt_destroy(mg_runtime *rt, void *data)
{
	(void)rt;
	map_rt *m = data;
	for (size_t i = 0; i < m->ntypes; i++) {
		mg_maptype *t = m->types[i];
		for (size_t k = 0; k < t->bucket.nptrs; k++)
			free((void *)t->bucket_fields[k].label);
		free(t->bucket_fields);
		free(t);
	}
	free(m->types);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

map_rt *map_rt_of(mg_runtime *rt)
{
	map_rt *m = rt_ext_get(rt, &map_rt_key);
	if (RT_LIKELY(m != NULL))
		return m;
	m = calloc(1, sizeof *m);
	if (!m)
		rt_out_of_memory(rt, sizeof *m);
	pthread_mutex_init(&m->lock, NULL);
	bool traced = rt->cfg.maptrace != 0;
	m->hmap_ti = rt_type_register(rt, traced ? &hmap_type_traced : &hmap_type);
	m->hmap_ti->describe = map_snapshot_describe;
	m->extra_ti = rt_type_register(rt, &extra_type);
	m->ovf_ti = rt_type_register(rt, &ovf_type);
	m->ovflist_ti = rt_type_register(rt, &ovflist_type);
	m->iter_ti = rt_type_register(rt, traced ? &iter_type_traced : &iter_type);
	m->next_id = 1;
	rt_ext_put(rt, &map_rt_key, m, map_rt_destroy);
	return m;
}

/* ---- map types ---------------------------------------------------------- */

static char *label_dup(mg_runtime *rt, const char *role, const mg_type *t, size_t field, bool indirect)
{
	char buf[96];
	bool builtin = t == &mg_type_int64 || t == &mg_type_ptr || t == &mg_type_string;
	if (indirect || builtin)
		snprintf(buf, sizeof buf, "%s", role);
	else
		snprintf(buf, sizeof buf, "%s.%s", role, t->ptrs[field].label ? t->ptrs[field].label : "?");
	char *s = strdup(buf);
	if (!s)
		rt_out_of_memory(rt, sizeof buf);
	return s;
}

/* Appends the labelled pointer fields of 8 cells of type t at offset off. */
static void add_cell_fields(mg_runtime *rt, mg_maptype *mt, const char *role, const mg_type *t, bool indirect,
                            uint32_t off, uint32_t size)
{
	for (unsigned i = 0; i < MAP_BUCKET_CNT; i++) {
		if (indirect) {
			mt->bucket_fields[mt->bucket.nptrs++] =
				(mg_field){off + i * size, label_dup(rt, role, t, 0, true)};
			continue;
		}
		for (size_t f = 0; f < t->nptrs; f++)
			mt->bucket_fields[mt->bucket.nptrs++] =
				(mg_field){off + i * size + t->ptrs[f].offset, label_dup(rt, role, t, f, false)};
	}
}

static mg_maptype *maptype_make(mg_runtime *rt, const mg_type *key, const mg_type *elem)
{
	mg_maptype *mt = calloc(1, sizeof *mt);
	if (!mt)
		rt_out_of_memory(rt, sizeof *mt);
	mt->key = key;
	mt->elem = elem;
	mt->mrt = map_rt_of(rt);
	mt->key_ti = rt_type_register(rt, key);
	mt->elem_ti = rt_type_register(rt, elem);
	mt->kind = key == &mg_type_int64 ? MAP_KEY_INT64
	           : key == &mg_type_string ? MAP_KEY_STRING
	           : key == &mg_type_ptr    ? MAP_KEY_PTR
	                                    : MAP_KEY_BYTES;
	map_bind_ops(mt);
	mt->indirect_key = key->size > MAP_MAX_KEY;
	mt->indirect_elem = elem->size > MAP_MAX_ELEM;
	mt->keysize = mt->indirect_key ? 8 : (uint32_t)key->size;
	mt->elemsize = mt->indirect_elem ? 8 : (uint32_t)elem->size;
	mt->key_ptrs = mt->indirect_key || key->nptrs > 0;
	mt->elem_ptrs = mt->indirect_elem || elem->nptrs > 0;
	mt->noscan = !mt->key_ptrs && !mt->elem_ptrs;
	mt->elem_is_ptr = !mt->indirect_elem && elem->size == 8 && elem->nptrs == 1 && elem->ptrs[0].offset == 0;
	/* Cells of 8 keys and 8 elems keep 8-byte alignment for the overflow
	 * pointer only when sizes are multiples of 8; round the sections. */
	mt->keys_off = MAP_BUCKET_CNT;
	mt->elems_off = mt->keys_off + ((MAP_BUCKET_CNT * mt->keysize + 7) & ~7u);
	mt->overflow_off = mt->elems_off + ((MAP_BUCKET_CNT * mt->elemsize + 7) & ~7u);
	mt->bucketsize = mt->overflow_off + 8;
	/* map_key_of_k / map_elem_of_k hard-code these layouts. */
	if ((mt->kind == MAP_KEY_INT64 || mt->kind == MAP_KEY_PTR) && mt->elems_off != 72)
		mg_fatal(rt, "map layout: 8-byte keys must put elems at 72, not %u", mt->elems_off);
	if (mt->kind == MAP_KEY_STRING && mt->elems_off != 136)
		mg_fatal(rt, "map layout: string keys must put elems at 136, not %u", mt->elems_off);
	snprintf(mt->name, sizeof mt->name, "bucket[%s]%s", key->name ? key->name : "?",
	         elem->name ? elem->name : "?");

	size_t nfields = 1 + MAP_BUCKET_CNT * ((mt->indirect_key ? 1 : key->nptrs) + (mt->indirect_elem ? 1 : elem->nptrs));
	mt->bucket_fields = calloc(nfields, sizeof *mt->bucket_fields);
	if (!mt->bucket_fields)
		rt_out_of_memory(rt, nfields * sizeof *mt->bucket_fields);
	if (!mt->noscan) {
		add_cell_fields(rt, mt, "key", key, mt->indirect_key, mt->keys_off, mt->keysize);
		add_cell_fields(rt, mt, "elem", elem, mt->indirect_elem, mt->elems_off, mt->elemsize);
		char *ovf = strdup("overflow");
		if (!ovf)
			rt_out_of_memory(rt, 9);
		mt->bucket_fields[mt->bucket.nptrs++] = (mg_field){mt->overflow_off, ovf};
	}
	mt->bucket.name = mt->name;
	mt->bucket.size = mt->bucketsize;
	mt->bucket.align = 8;
	mt->bucket.ptrs = mt->bucket_fields;
	mt->bucket_ti = rt_type_register(rt, &mt->bucket);
	/* maptrace counts bucket arrays as the marker scans them (trace.c);
	 * without it the type has no chunk hook, and the marker's test of one
	 * is never taken. */
	if (rt->cfg.maptrace) {
		mt->bucket_ti->chunk = map_trace_chunk;
		mt->bucket_ti->chunk_ud = mt;
	}
	return mt;
}

const mg_maptype *mg_maptype_get(mg_runtime *rt, const mg_type *key, const mg_type *elem)
{
	map_rt *m = map_rt_of(rt);
	if (key->align > 8 || elem->align > 8)
		mg_fatal(rt, "map key/elem alignment over 8 is not supported");
	/* Threads may ask at once: one makes each type. */
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->ntypes; i++)
		if (m->types[i]->key == key && m->types[i]->elem == elem) {
			pthread_mutex_unlock(&m->lock);
			return m->types[i];
		}
	if (m->ntypes == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		mg_maptype **v = realloc(m->types, m->cap * sizeof *v);
		if (!v)
			rt_out_of_memory(rt, m->cap * sizeof *v);
		m->types = v;
	}
	mg_maptype *mt = maptype_make(rt, key, elem);
	m->types[m->ntypes++] = mt;
	pthread_mutex_unlock(&m->lock);
	return mt;
}
