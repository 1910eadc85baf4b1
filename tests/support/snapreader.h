/*
 * snapreader.h — an independent reader of mapgc heap snapshots, for tests
 * (prefixes sj_ for the JSON layer, sr_ for the snapshot layer).
 *
 * Why a reader of our own: no JSON library is available, and a checker
 * that shares code with the writer proves nothing.  This one is written
 * from the schema comment in gc/snapshot.c and maptype/snapshot.c only.
 *
 * sj_: a strict RFC 8259 parser into a small tree.  It rejects what a
 * lenient parser would let through and a real consumer would choke on:
 * trailing commas, unescaped control characters, bad escapes and lone
 * surrogates, leading zeros, bare words, duplicate object keys, anything
 * after the top-level value, nesting deeper than SJ_MAX_DEPTH.
 *
 * sr_: the "mapgc.heapsnapshot" schema, version 1, checked as it is read:
 *   inv.sr-ids: object ids are 1..n in document order;
 *   inv.sr-addr: addresses strictly ascend (ids count in address order);
 *   inv.sr-edges: every edge and root "to" names an object of the file;
 *   inv.sr-totals: nobjects = n and live_bytes = the sum of the sizes;
 *   inv.sr-kinds: root kinds are "scope" or "global".
 * A map annotation ("map" member) is read by sr_map_read, which checks the
 * chain strings (cells F e - X Y E, 8 per bucket, '|' between buckets).
 */
#ifndef MGT_SNAPREADER_H
#define MGT_SNAPREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- JSON ------------------------------------------------------------------ */

#define SJ_MAX_DEPTH 256

typedef enum sj_type { SJ_NULL, SJ_BOOL, SJ_NUM, SJ_STR, SJ_ARR, SJ_OBJ } sj_type;

typedef struct sj_value {
	sj_type type;
	bool b;                 /* SJ_BOOL */
	double num;             /* SJ_NUM */
	bool is_int;            /* SJ_NUM written as an integer that fits int64 */
	int64_t i;              /* its value when is_int */
	char *str;              /* SJ_STR (NUL-terminated; slen bytes, may hold NULs) */
	size_t slen;
	struct sj_value *items; /* SJ_ARR elements / SJ_OBJ member values */
	char **keys;            /* SJ_OBJ member names, parallel to items */
	size_t n;
} sj_value;

/* Parses len bytes; NULL on error, with a message (and byte offset) in err. */
sj_value *sj_parse(const char *text, size_t len, char *err, size_t errlen);
void sj_free(sj_value *v);
/* Member of an object, or NULL (also when obj is not an object). */
const sj_value *sj_get(const sj_value *obj, const char *key);
/* A non-negative integer. */
static inline bool sj_is_uint(const sj_value *v) { return v && v->type == SJ_NUM && v->is_int && v->i >= 0; }

/* Whole file, NUL-terminated (the NUL is not counted in *len); NULL + errno. */
char *sr_read_file(const char *path, size_t *len);

/* A fresh directory under $TMPDIR (or /tmp), its path in out (no heap
 * memory, so a test that fails midway leaks nothing); 0, or -1 + errno. */
int sr_mkdtemp(char *out, size_t n);
/* Removes dir and everything in it; 0, or -1 + errno. */
int sr_rmtree(const char *dir);
/* true when path exists. */
bool sr_exists(const char *path);

/* ---- mapgc.heapsnapshot v1 --------------------------------------------------- */

typedef struct sr_edge {
	const char *label;
	uint64_t to;            /* object id */
} sr_edge;

typedef struct sr_object {
	uint64_t id;
	uintptr_t addr;
	const char *type;
	bool array;
	uint64_t len, size;
	sr_edge *edges;
	size_t nedges;
	const sj_value *map;    /* the "map" member, or NULL when absent */
} sr_object;

typedef struct sr_root {
	const char *kind;       /* "scope" or "global" */
	const char *name;
	uint64_t to;            /* object id; 0 for null */
} sr_root;

typedef struct sr_snapshot {
	sj_value *doc;
	uint64_t cycle;
	double time_s;
	uint64_t live_bytes, nobjects;
	sr_root *roots;
	size_t nroots;
	sr_object *objs;        /* objs[i].id == i + 1 */
	size_t nobjs;
} sr_snapshot;

/* 0, or -1 with a message in err (and *out freed). */
int sr_parse(const char *text, size_t len, sr_snapshot *out, char *err, size_t errlen);
int sr_load(const char *path, sr_snapshot *out, char *err, size_t errlen);
void sr_free(sr_snapshot *s);
/* The object at exactly addr (the user pointer), or NULL. */
const sr_object *sr_find(const sr_snapshot *s, const void *addr);
const sr_object *sr_by_id(const sr_snapshot *s, uint64_t id);
/* Edges of o with this label: their count; the first target in *to. */
size_t sr_edges_labelled(const sr_object *o, const char *label, uint64_t *to);

/* ---- the "map" annotation ------------------------------------------------- */

typedef struct sr_map {
	uint64_t id, count, B, flags, hash0, noverflow, nevacuate, noldbuckets;
	const char *key, *elem;
	bool growing, same_size;
	const char **buckets;   /* one chain string per bucket index */
	size_t nbuckets;
	const char **oldbuckets; /* NULL when "oldbuckets" is null */
	size_t noldchains;
} sr_map;

/* Reads and checks a "map" member (field types, chains well formed,
 * nbuckets = 2^B, noldchains = noldbuckets).  0, or -1 with err. */
int sr_map_read(const sj_value *m, sr_map *out, char *err, size_t errlen);
void sr_map_free(sr_map *m);

#endif /* MGT_SNAPREADER_H */
