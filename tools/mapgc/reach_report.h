/*
 * reach_report.h — what `mapgc reach` prints: text for people, JSON for
 * programs (prefix rp_).
 *
 * JSON, schema "mapgc.reach" version 1 (one object; members marked ? are
 * there only when asked for):
 *
 *   schema, version        "mapgc.reach", 1
 *   snapshot  {file, cycle, objects, live_bytes, roots, reachable,
 *              reachable_bytes, unreachable, unreachable_bytes}
 *   source    null, or for --run {workload, seed, ops, live, cycle, cycles}
 *   summary   {maps, growing, iterators, stale_arrays, stale_unreachable,
 *              stale_bytes, stale_retained}
 *   maps ?    [MAP]         (default, --maps, --map ID)
 *   arrays ?  [OBJECT]      (--arrays: every bucket array, document order)
 *   objects ? [OBJECT]      (--object ID, in command-line order)
 *
 *   MAP = {id, object, key, elem, count, B, flags, flag_names: [..],
 *          growth: "none"|"doubling"|"same-size", nevacuate, noldbuckets,
 *          path: PATH|null, holders: [KIND], retained, dominated,
 *          current: ARRAY|null, old: ARRAY|null,
 *          evacuation: null | {evacuated, pending, consistent,
 *                              runs: [{first, last, state: "evacuated"|"pending"}]},
 *          next_overflow: object id|null,
 *          iterators: [{object, path, array, array_role, bptr, overflow,
 *                       oldoverflow, retained, array_retained_alone}],
 *          stale_arrays: [ARRAY]}
 *   ARRAY = {object, type, len, size, buckets, preallocated,
 *            overflow: {in_chains (null for stale arrays: not annotated),
 *                       separate_objects, separate_bytes,
 *                       list: null | {member: "overflow"|"oldoverflow",
 *                                     object, entries, in_array, separate}},
 *            holders: [KIND], idom: object id|null, retained, dominated}
 *   OBJECT = {object, type, array, len, size, map: map id|null,
 *             role: "current"|"old"|"stale"|"none", reachable,
 *             path: PATH|null, holders: [KIND],
 *             held_by: [{object, type, label, kind: KIND|"link", kinds: [KIND]}],
 *             idom: object id|null, retained, dominated}
 *   PATH = {root: {kind: "scope"|"global", name}, text,
 *           steps: [{object, type, label?}]}   (label: the edge to the next step)
 *   KIND = "root"|"current"|"old"|"overflow_list"|"iterator"|
 *          "next_overflow"|"map"|"cell"|"other"
 *
 * An iterator's array_retained_alone is what dropping that iterator alone
 * would free of its array: the array's retained size when the iterator
 * dominates it, 0 when the map or another iterator holds it too.
 * Object ids are the snapshot's.  idom null means the virtual root: no
 * single object dominates it (it is a root's object, or held from several
 * independent roots); for an unreachable object, reachable is false and
 * path and idom are null, retained and dominated 0.  Sizes are bytes.
 */
#ifndef MAPGC_TOOLS_REACH_REPORT_H
#define MAPGC_TOOLS_REACH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reach_analyze.h"

/* Where the snapshot came from. */
typedef struct rp_source {
	const char *file;       /* the snapshot file as named on the command line, or NULL */
	const char *workload;   /* --run: the workload, else NULL */
	uint64_t seed, ops, live;
	uint64_t cycles;        /* cycles the run completed */
} rp_source;

/* What to print. */
typedef struct rp_request {
	bool maps;              /* the per-map section */
	bool has_map_id;        /* only the map with this id */
	uint64_t map_id;
	bool arrays;            /* every bucket array */
	const uint32_t *objects;/* object indices to report on */
	size_t nobjects;
	unsigned max_runs;      /* text: evacuation runs shown per map (0: all) */
} rp_request;

/* Both return 0, or -1 when writing failed. */
int rp_text(FILE *out, const ra_result *r, const rp_source *src, const rp_request *q);
int rp_json(FILE *out, const ra_result *r, const rp_source *src, const rp_request *q);

/* JSON string literal of s (control characters escaped). */
void rp_json_string(FILE *out, const char *s);

/* "iterator|oldIterator" (DESIGN.md §4's flag bits) into buf. */
const char *rp_flag_names(unsigned flags, char *buf, size_t size);

#endif /* MAPGC_TOOLS_REACH_REPORT_H */
