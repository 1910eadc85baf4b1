/*
 * reach_analyze.h — why is it alive, and how much does it keep alive: the
 * analyses behind `mapgc reach` (prefix ra_), over an rg_graph.
 *
 * THREE QUESTIONS, THREE PASSES.
 *  1. What is the shortest way to it?  One breadth-first search from all
 *     roots at once, roots in snapshot order and edges in field order, so
 *     the path is shortest and, among the shortest, the first in snapshot
 *     order (deterministic).  Each object keeps the edge it was reached by.
 *  2. Which kinds of holder keep it alive?  Every edge has a kind, from the
 *     type of the object it leaves and its label (map.h):
 *        hmap .buckets                        current array
 *        hmap .oldbuckets                     old array
 *        mapextra .overflow / .oldoverflow    overflow list
 *        mapextra .nextOverflow               next overflow
 *        hiter .it.h/.it.buckets/.it.bptr/.it.overflow/.it.oldoverflow
 *                                             iterator
 *        hmap .extra                          map
 *        a bucket's key and elem fields       map cell
 *        a root                               root
 *        anything else                        other
 *     except the *links* of a chain, which pass on the kinds of what holds
 *     their source: bucket .overflow, "*bucket" list elements [i].overflow
 *     and overflowlist .list.  An object's holder kinds are the kinds of
 *     the last non-link edge on every path from a root to it: an overflow
 *     bucket chained from the old array is held by "old array"; a noscan
 *     overflow bucket in extra.overflow's list by "overflow list"; an array
 *     held both as oldbuckets and by an iterator's it.buckets by both.
 *     Computed as a fixpoint over the links only (a worklist; each object
 *     gains each of the 9 kinds at most once).
 *  3. What would dropping it free?  The dominator tree (reach_dom.h) of the
 *     graph of reachable objects plus a virtual root with an edge to every
 *     root's object; retained(v) = total size of v's dominator subtree.  An
 *     array held by both its map and an iterator is dominated by neither:
 *     its idom is higher up (often the virtual root), and dropping either
 *     holder alone frees nothing of it.
 * Objects in the snapshot that no root reaches (floating garbage: marked,
 * or allocated black, during the cycle and dropped before its end) have no
 * path, no holder kinds and no retained size; they are counted apart.
 *
 * PER MAP.  For every annotated hmap: its current and old arrays (the
 * targets of .buckets and .oldbuckets), how many overflow buckets their
 * chain strings show and how they are held — as separate bucket objects
 * reached by chain edges (maps whose buckets hold pointers), or through
 * extra.overflow / extra.oldoverflow lists (noscan maps; entries pointing
 * into the array itself are preallocated buckets) — the evacuation state of
 * every old bucket, and the iterators whose it.h is the map, with the array
 * each holds: current, old, or *stale* (neither: the array an iterator
 * started on before the map grew past it, maptrace's iter-only arrays).
 */
#ifndef MAPGC_TOOLS_REACH_ANALYZE_H
#define MAPGC_TOOLS_REACH_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "reach_graph.h"

/* Holder kinds: X(id, text, JSON name, DOT fill colour). */
#define RA_KIND_LIST(X) \
	X(RA_ROOT, "root", "root", "#e0e0e0") \
	X(RA_CURRENT, "current array", "current", "#9ad89a") \
	X(RA_OLD, "old array", "old", "#f6b26b") \
	X(RA_OVFLIST, "overflow list", "overflow_list", "#c9a7e6") \
	X(RA_ITER, "iterator", "iterator", "#8fbbee") \
	X(RA_NEXTOVF, "next overflow", "next_overflow", "#f3e28c") \
	X(RA_MAP, "map", "map", "#d0d0d0") \
	X(RA_CELL, "map cell", "cell", "#f2c4c4") \
	X(RA_OTHER, "other", "other", "#ffffff")

typedef enum ra_kind {
#define RA_X_ENUM(id, text, json, colour) id,
	RA_KIND_LIST(RA_X_ENUM)
#undef RA_X_ENUM
	RA_NKINDS,
	RA_LINK = RA_NKINDS,   /* an edge that passes on its source's kinds */
} ra_kind;
_Static_assert(RA_NKINDS <= 16, "holder kinds are a 16-bit mask");

typedef uint16_t ra_kinds;   /* bit k: kind k */

const char *ra_kind_text(int k);
const char *ra_kind_json(int k);
const char *ra_kind_colour(int k);

/* Role of a bucket array. */
#define RA_ROLE_LIST(X) \
	X(RA_ROLE_NONE, "none") \
	X(RA_ROLE_CURRENT, "current") \
	X(RA_ROLE_OLD, "old") \
	X(RA_ROLE_STALE, "stale")

typedef enum ra_role {
#define RA_X_ENUM(id, name) id,
	RA_ROLE_LIST(RA_X_ENUM)
#undef RA_X_ENUM
} ra_role;

const char *ra_role_name(int role);

/* One bucket array of a map. */
typedef struct ra_array {
	uint32_t obj;           /* object index, RG_NONE when there is none */
	uint64_t nbuckets;      /* bucket indices (2^B, or noldbuckets) */
	uint64_t prealloc;      /* preallocated overflow buckets: len - nbuckets */
	bool chains_known;      /* the annotation has its chains (not for stale arrays) */
	uint64_t ovf_chains;    /* overflow buckets in its chains (annotation) */
	uint64_t ovf_objects;   /* separate bucket objects reached by chain edges */
	uint64_t ovf_bytes;     /* their sizes */
	uint32_t list;          /* overflowlist holding its overflow buckets, or RG_NONE */
	uint64_t list_entries;  /* entries of that list's array */
	uint64_t list_in_array; /* of them pointing into this array (preallocated) */
	uint64_t list_separate; /* of them pointing to separate bucket objects */
	bool list_is_old;       /* the list is extra.oldoverflow */
} ra_array;

typedef struct ra_iter {
	uint32_t obj;           /* the hiter */
	uint32_t buckets;       /* it.buckets target, RG_NONE */
	uint32_t bptr;          /* it.bptr target, RG_NONE */
	uint32_t overflow;      /* it.overflow target, RG_NONE */
	uint32_t oldoverflow;   /* it.oldoverflow target, RG_NONE */
	uint8_t role;           /* ra_role of it.buckets for this map */
	uint64_t array_alone;   /* bytes of it.buckets (with what that array
	                         * dominates) that dropping this iterator alone
	                         * would free: retained(array) when the iterator
	                         * dominates it, else 0 (shared with the map or
	                         * another iterator) */
} ra_iter;

typedef struct ra_map {
	uint32_t index;         /* into rg_graph.maps */
	uint32_t obj;           /* the hmap */
	uint32_t extra;         /* mapextra, RG_NONE */
	uint32_t nextovf;       /* extra.nextOverflow target, RG_NONE */
	ra_array cur, old;
	ra_iter *iters;
	uint32_t niters;
	ra_array *stale;        /* distinct stale arrays its iterators hold; their
	                         * B is inferred from the length (2^b + 2^(b-4)) */
	uint32_t nstale;
	bool evac_consistent;   /* inv.evac-prefix holds in the annotation */
} ra_map;

typedef struct ra_result {
	const rg_graph *g;
	uint32_t n;             /* objects; the virtual root is n */

	/* 1. shortest paths */
	uint32_t *via_edge;     /* [n] edge that first reached it, RG_NONE at a root (or unreached) */
	uint32_t *via_root;     /* [n] root index when reached at distance 0, else RG_NONE */
	uint32_t *dist;         /* [n] edges from a root's object; RG_NONE unreached */
	uint32_t nreached;
	uint64_t reached_bytes;

	/* 2. holder kinds */
	ra_kinds *kinds;        /* [n] */

	/* 3. dominators */
	uint32_t *idom;         /* [n + 1]: object index, n for the virtual root, RG_NONE */
	uint64_t *retained;     /* [n + 1] bytes */
	uint64_t *dominated;    /* [n + 1] objects in the subtree, itself included */

	/* in-edges (reverse CSR): edge indices of the edges into object i */
	uint32_t *in_off;       /* [n + 1] */
	uint32_t *in_edge;

	/* per map, and the role of every bucket array */
	ra_map *maps;           /* parallel to g->maps */
	uint32_t nmaps;
	uint32_t *arr_map;      /* [n] map (index) an array belongs to, RG_NONE */
	uint8_t *arr_role;      /* [n] ra_role */
	uint32_t stale_arrays;  /* distinct arrays held by iterators, current or old of no map */
	uint32_t stale_unreachable; /* of them, held only by unreachable iterators */
	uint64_t stale_bytes;   /* their sizes */
	uint64_t stale_retained;/* what they retain */

	/* the label strings the kinds depend on (RG_NONE if absent) */
	rg_str l_buckets, l_oldbuckets, l_extra, l_overflow, l_oldoverflow, l_nextoverflow, l_list;
	rg_str l_ith, l_itbuckets, l_itbptr, l_itoverflow, l_itoldoverflow;
} ra_result;

/* Runs the three passes and the per-map analysis.  0, or -1 (out of
 * memory) with a message in err. */
int ra_analyze(const rg_graph *g, ra_result *r, char *err, size_t errlen);
void ra_free(ra_result *r);

/* The kind of edge e (RA_LINK for chain links). */
int ra_edge_kind(const ra_result *r, uint32_t e);

/* The edges of the shortest path to obj, root side first, into edges[max];
 * returns how many (0 for an object a root points at) and the root in
 * *root; RG_NONE when no root reaches obj (or it is longer than max). */
uint32_t ra_path(const ra_result *r, uint32_t obj, uint32_t *edges, uint32_t max, uint32_t *root);

/* "scope root "it" → hiter#5 .it.buckets → bucket[int64]string[8]#3", or
 * "unreachable".  Returns what snprintf returns. */
int ra_path_string(const ra_result *r, uint32_t obj, char *buf, size_t size);
void ra_path_print(const ra_result *r, uint32_t obj, FILE *out);

/* "hiter#5", "bucket[int64]string[8]#3" (arrays show their length). */
int ra_node_string(const rg_graph *g, uint32_t obj, char *buf, size_t size);
/* ".it.buckets", "[3].overflow". */
int ra_label_string(const rg_graph *g, uint32_t e, char *buf, size_t size);

/* The map index an object belongs to as an array or a hiter's map: for a
 * bucket array, via arr_map; for an hmap, its own; else RG_NONE. */
uint32_t ra_map_of(const ra_result *r, uint32_t obj);
/* Index into r->maps of the map with this map id, or RG_NONE. */
uint32_t ra_map_by_id(const ra_result *r, uint64_t id);

/* Whether obj is a bucket array (a "bucket[…]" type, array = true). */
bool ra_is_bucket_array(const rg_graph *g, uint32_t obj);

#endif /* MAPGC_TOOLS_REACH_ANALYZE_H */
