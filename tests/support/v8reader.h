/*
 * v8reader.h — an independent reader and structural checker of V8
 * .heapsnapshot files (what Chrome DevTools' Memory tab loads), for tests
 * (prefix v8r_).  Written from the format, not from gc/snapshot.c.
 *
 * The format: one JSON object; "snapshot.meta" names the node and edge
 * fields and their types; "nodes" and "edges" are flat integer arrays,
 * node_fields.length (edge_fields.length) integers per node (edge); a
 * node's edges are the next edge_count entries of "edges" after those of
 * the nodes before it; an edge's to_node is the *index into "nodes"* of
 * its target's first field; names are indexes into "strings".
 *
 * What v8r_parse checks (each a reason to reject the file):
 *   v8.meta: meta with node_fields (holding type, name, id, self_size,
 *     edge_count), node_types (first entry: the type names), edge_fields
 *     (type, name_or_index, to_node), edge_types (first entry: the names);
 *   v8.counts: node_count × |node_fields| = |nodes| and edge_count ×
 *     |edge_fields| = |edges|;
 *   v8.edge-sum: Σ nodes' edge_count = edge_count;
 *   v8.to-node: every to_node is a multiple of |node_fields| and < |nodes|;
 *   v8.strings: node names, and the names of edges whose type is not
 *     "element" or "hidden" (those carry an index), are < |strings|;
 *   v8.types: node and edge types index their type-name lists;
 *   v8.ids: node ids are unique;
 *   every entry of nodes and edges is a non-negative integer; strings are
 *   strings.
 */
#ifndef MGT_V8READER_H
#define MGT_V8READER_H

#include "tests/support/snapreader.h"

#include <stddef.h>
#include <stdint.h>

typedef struct v8r_snapshot {
	sj_value *doc;
	size_t nf, ef;                  /* fields per node / per edge */
	size_t f_type, f_name, f_id, f_size, f_edges;   /* node field positions */
	size_t e_type, e_name, e_to;    /* edge field positions */
	size_t node_count, edge_count;
	const sj_value *nodes, *edges, *strings;
	const sj_value *node_types, *edge_types;        /* the type-name lists */
	size_t *first_edge;             /* per node: index of its first edge */
} v8r_snapshot;

typedef struct v8r_edge {
	const char *type;               /* "property", "element", … */
	const char *name;               /* for named edge types, else NULL */
	uint64_t index;                 /* for element / hidden edges */
	size_t to;                      /* target node number (not the nodes index) */
} v8r_edge;

/* 0, or -1 with the reason in err (and *out freed). */
int v8r_parse(const char *text, size_t len, v8r_snapshot *out, char *err, size_t errlen);
int v8r_load(const char *path, v8r_snapshot *out, char *err, size_t errlen);
void v8r_free(v8r_snapshot *s);

/* Accessors; node and edge numbers are 0-based counts (not array indexes). */
uint64_t v8r_node_field(const v8r_snapshot *s, size_t node, size_t field);
const char *v8r_node_type(const v8r_snapshot *s, size_t node);
const char *v8r_node_name(const v8r_snapshot *s, size_t node);
uint64_t v8r_node_id(const v8r_snapshot *s, size_t node);
uint64_t v8r_node_size(const v8r_snapshot *s, size_t node);
size_t v8r_node_edge_count(const v8r_snapshot *s, size_t node);
/* The k-th edge of node. */
v8r_edge v8r_node_edge(const v8r_snapshot *s, size_t node, size_t k);

/* Does the V8 file say what the JSON snapshot of the same cycle says?
 * Object nodes (all but the "synthetic" ones), in order, are the JSON
 * objects in id order: named by the type ("[len]type" for arrays), typed
 * "array" or "object" by the array flag, self_size = size, and with
 * property edges named by the labels, in order, to the same objects.  The
 * synthetic "(scope roots)" and "(global roots)" nodes, reached by element
 * edges from node 0, carry the non-null roots of each kind, in order, as
 * property edges named by the root names.  0, or -1 with the first
 * difference in err. */
int v8r_matches_json(const v8r_snapshot *v, const sr_snapshot *j, char *err, size_t errlen);

#endif /* MGT_V8READER_H */
