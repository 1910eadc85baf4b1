/*
 * reach_dot.h — one map's neighbourhood as a Graphviz graph, and SVG
 * rendering of it (prefix rdot_).
 *
 * WHAT IS DRAWN for map M: its hmap; mapextra; the current and old arrays
 * and the stale arrays its iterators hold; the separate overflow buckets
 * chained from those arrays and the entries of the overflow lists (at most
 * RDOT_MAX_OVERFLOW of each, the rest as one "… N more" node); the lists
 * and their "*bucket" arrays; the iterators whose it.h is M; and, for each
 * of those, the shortest path from a root, with the roots.  Edges carry
 * their labels; parallel edges between two nodes are drawn once with their
 * labels joined, and an array's edges to itself (preallocated overflow
 * buckets chained in place) as one loop with a count.  Nodes are filled
 * with the colours of their holder kinds (striped when held in several
 * ways); a legend names the colours used.
 *
 * RENDERING (rdot_render_svg), in order of preference:
 *   1. libgvc, when the build found it (MAPGC_HAVE_GVC, CMake block at the
 *      end of CMakeLists.txt): in-process, no fork;
 *   2. the `dot` program on PATH: DOT on its stdin, `dot -Tsvg -o FILE`;
 *   3. neither: the DOT text is written next to where the SVG would have
 *      gone (FILE with ".svg" replaced by ".dot") and the caller warns.
 * MAPGC_REACH_RENDER=gvc|dot|none forces one of them (tests use it to
 * reach every branch on any machine).
 */
#ifndef MAPGC_TOOLS_REACH_DOT_H
#define MAPGC_TOOLS_REACH_DOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reach_analyze.h"

/* Overflow buckets drawn per array or list before the rest are summarised:
 * enough to see a chain's shape, few enough for a readable picture. */
#define RDOT_MAX_OVERFLOW 24

/* The DOT text of map index mi (into r->maps).  0, or -1 on a write error
 * or out of memory. */
int rdot_map(FILE *out, const ra_result *r, uint32_t mi);

typedef enum rdot_outcome {
	RDOT_FAILED = -1,     /* nothing usable written; err says why */
	RDOT_SVG = 0,         /* svg_path written */
	RDOT_DOT_ONLY = 1,    /* no Graphviz: the DOT text is in *dot_path_out */
} rdot_outcome;

/* Render dot[0, len) to svg_path.  On RDOT_DOT_ONLY, dot_path_out (size
 * bytes) names the .dot file written instead.  *renderer is set to "gvc",
 * "dot" or "none". */
rdot_outcome rdot_render_svg(const char *dot, size_t len, const char *svg_path, char *dot_path_out, size_t size,
	const char **renderer, char *err, size_t errlen);

#endif /* MAPGC_TOOLS_REACH_DOT_H */
