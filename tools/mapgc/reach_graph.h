/*
 * reach_graph.h — a mapgc heap snapshot (schema "mapgc.heapsnapshot",
 * version 1: gc/snapshot.c and maptype/snapshot.c) read into a compact
 * graph, for `mapgc reach` (prefix rg_; reach_graph.c holds the graph,
 * reach_snapshot.c the reader of the text).
 *
 * WHAT IS KEPT.  Objects become indices 0..n-1 in document order; their
 * out-edges sit contiguously in one array (compressed sparse rows: the
 * edges of object i are edges[eoff[i] .. eoff[i+1])), each edge with its
 * target index and its label split into an element index and a field label
 * ("[3].overflow" is elem 3, label "overflow"), so the labels of a million
 * edges intern to a handful of strings.  Strings (types, labels, root
 * names) are interned once.  A map's "map" annotation is reduced to what
 * the analysis uses: its header fields and, per array, the counts its chain
 * strings give (overflow buckets, cells per state) and, for an old array,
 * which old buckets are evacuated.  About 16 bytes per edge and 72 per
 * object; the JSON text is released once read.
 *
 * WHAT IS CHECKED (a snapshot that fails any of these is rejected with the
 * file, line and column of the offending value, and a path to it such as
 * `objects[12] (id 13).edges[0].to`):
 *   inv.rg-json: the text is one strict JSON document (json.h);
 *   inv.rg-schema: schema "mapgc.heapsnapshot", version 1, and every
 *     member the schema defines has its type (ids, sizes and counts are
 *     non-negative integers, labels and names strings, …);
 *   inv.rg-ids: object ids are unique; every edge and root "to" names one
 *     of them (no dangling ids);
 *   inv.rg-totals: nobjects is the number of objects, live_bytes the sum of
 *     their sizes;
 *   inv.rg-chains: a map's chain strings are buckets of 8 cells from
 *     "Fe-XYE" joined by '|'; there are 2^B of them (or none, for a map
 *     whose array is not allocated yet), and noldbuckets old ones.
 * Members the schema does not define are skipped (newer writers may add
 * some); a missing required member is an error.
 */
#ifndef MAPGC_TOOLS_REACH_GRAPH_H
#define MAPGC_TOOLS_REACH_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_NONE UINT32_MAX   /* no object / no element index */
#define RG_MAX_OBJECTS (UINT32_MAX - 2)  /* indices, RG_NONE and a virtual root */

typedef uint32_t rg_str;     /* an interned string: index into rg_graph.strs */

/* What an object is to the map analysis, from its type name (the names
 * maptype/maptype.c gives its types).  RG_OTHER first: it matches nothing. */
#define RG_CLASS_LIST(X) \
	X(RG_OTHER, "other") \
	X(RG_HMAP, "hmap") \
	X(RG_HITER, "hiter") \
	X(RG_EXTRA, "mapextra") \
	X(RG_OVFLIST, "overflowlist") \
	X(RG_OVFARRAY, "*bucket") \
	X(RG_BUCKET, "bucket[")   /* prefix: bucket[KEY]ELEM, single or array */

typedef enum rg_class {
#define RG_X_ENUM(id, name) id,
	RG_CLASS_LIST(RG_X_ENUM)
#undef RG_X_ENUM
} rg_class;

rg_class rg_classify(const char *type);

typedef struct rg_object {
	uint64_t id;        /* as in the file */
	uint64_t addr;      /* 0 when the file gives none */
	uint64_t size;      /* bytes of its heap slot */
	uint64_t len;       /* array length (1 for a single object) */
	size_t pos;         /* byte offset of the object in the file, for messages */
	rg_str type;
	uint32_t map;       /* index into rg_graph.maps, or RG_NONE */
	uint8_t cls;        /* rg_class */
	bool array;
} rg_object;

typedef struct rg_edge {
	uint32_t to;        /* object index */
	rg_str label;       /* field label without the element prefix */
	uint32_t elem;      /* element index of "[elem].label", or RG_NONE */
} rg_edge;

typedef struct rg_root {
	bool global;        /* kind "global"; else "scope" */
	uint32_t thread;    /* a scope root's thread (from 1), 0 when the snapshot does not say */
	rg_str name;
	uint32_t to;        /* object index, or RG_NONE for a null root */
} rg_root;

/* Cell states in chain strings, in the order of rg_chains.cells. */
#define RG_CELL_CODES "Fe-XYE"
enum { RG_NCELLS = 6 };

/* What one array's chain strings say. */
typedef struct rg_chains {
	bool present;       /* the annotation lists this array */
	uint64_t nbuckets;  /* chains: bucket indices */
	uint64_t overflow;  /* overflow buckets in all chains */
	uint64_t maxchain;  /* buckets in the longest chain */
	uint64_t cells[RG_NCELLS]; /* cells per state, RG_CELL_CODES order */
	uint8_t *evacuated; /* old arrays: per bucket, 1 when its first cell is X, Y or E */
	uint64_t nevacuated;
} rg_chains;

typedef struct rg_map {
	uint32_t obj;       /* the hmap's object index */
	uint64_t id;        /* map id (order of creation) */
	rg_str key, elem;
	int64_t count;
	unsigned B, flags;
	uint64_t hash0, noverflow, nevacuate, noldbuckets;
	bool growing, same_size;
	rg_chains cur, old;
} rg_map;

typedef struct rg_graph {
	uint64_t cycle;
	double time_s;
	uint64_t live_bytes;

	rg_object *objs;
	uint32_t nobjs;
	bool ids_dense;     /* objs[i].id == i + 1 for every i (the writer's order) */
	uint32_t *byid;     /* otherwise: object indices sorted by id */
	uint32_t *eoff;     /* [nobjs + 1]: edges of object i are [eoff[i], eoff[i+1]) */
	rg_edge *edges;
	uint32_t *efrom;    /* [nedges]: the object each edge leaves */
	uint32_t nedges;

	rg_root *roots;
	uint32_t nroots;
	uint32_t max_thread;   /* the highest thread of a scope root: above 1, roots name their thread */

	rg_map *maps;       /* in document order of their hmaps */
	uint32_t nmaps;

	char **strs;        /* interned strings, NUL-terminated */
	uint32_t nstrs, capstrs;
	uint32_t *strhash;  /* open addressing: slot -> string index + 1, 0 empty */
	uint32_t strhcap;
} rg_graph;

/* What a root is called in paths and lists: "global root", "scope root",
 * or "thread T scope root" when the snapshot's scope roots come from
 * several threads (each then names its own). */
const char *rg_root_kind(const rg_graph *g, const rg_root *r, char *buf, size_t n);

/*
 * Read the snapshot in text[0, len) into *g.  name is used in messages
 * ("NAME:LINE:COL: …").  Returns 0, or -1 with the message in err (and *g
 * empty; rg_free is still safe).
 */
int rg_parse(const char *text, size_t len, const char *name, rg_graph *g, char *err, size_t errlen);
/* The same for a file (read whole; "-" is standard input). */
int rg_load(const char *path, rg_graph *g, char *err, size_t errlen);
void rg_free(rg_graph *g);

static inline const char *
rg_s(const rg_graph *g, rg_str s)
{
	return s < g->nstrs ? g->strs[s] : "?";
}

/* The string's index, or RG_NONE when the snapshot never mentions it. */
rg_str rg_find_str(const rg_graph *g, const char *s);

/* Object index of an id, or RG_NONE. */
uint32_t rg_index_of_id(const rg_graph *g, uint64_t id);

/* For the reader (reach_snapshot.c).  rg_intern: the string s[0, n) up to
 * its first NUL, interned; RG_NONE when memory runs out.  rg_index_ids:
 * index the ids for rg_index_of_id once every object is in; 0, -1 when
 * memory runs out, 1 when objects *dup_a and *dup_b share an id. */
rg_str rg_intern(rg_graph *g, const char *s, size_t n);
int rg_index_ids(rg_graph *g, uint32_t *dup_a, uint32_t *dup_b);

/* Edges of object i, as a range. */
static inline uint32_t rg_edges_begin(const rg_graph *g, uint32_t i) { return g->eoff[i]; }
static inline uint32_t rg_edges_end(const rg_graph *g, uint32_t i) { return g->eoff[i + 1]; }

/* The first edge of object i with this label (and no element index), or RG_NONE. */
uint32_t rg_edge_labelled(const rg_graph *g, uint32_t i, const char *label);

#endif /* MAPGC_TOOLS_REACH_GRAPH_H */
