/*
 * reach_test.h — shared by the tests of `mapgc reach` (the files of tests/reach,
 * one Criterion binary test_reach; prefix rt_).
 *
 * The tool's analysis modules are compiled into the binary once, by
 * reach_sources.c (#include of tools/mapgc/json.c, reach_graph.c, …); the
 * other files include only their headers, through this one.  The CLI
 * itself (reach.c, reach_run.c, reach_svg.c) is tested by tests/cli/reach*.sh.
 *
 * Truth in these tests never comes from the code under test: object ids,
 * sizes and addresses are read with the independent snapshot reader of
 * tests/support/snapreader.h, and map internals (which array is old, which
 * buckets overflow, which are evacuated) from the live heap through
 * maptype/map.h, before the snapshot is analysed.
 */
#ifndef MAPGC_TESTS_REACH_TEST_H
#define MAPGC_TESTS_REACH_TEST_H

#include "tests/support/mgt.h"
#include "tests/support/snapreader.h"

#include "tools/mapgc/json.h"
#include "tools/mapgc/reach_analyze.h"
#include "tools/mapgc/reach_dom.h"
#include "tools/mapgc/reach_dot.h"
#include "tools/mapgc/reach_graph.h"
#include "tools/mapgc/reach_report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A snapshot written, read by the tool (g, r) and by the test reader (sr). */
typedef struct rt_snap {
	char path[512];
	rg_graph g;
	ra_result r;
	sr_snapshot sr;
} rt_snap;

/* mg_heap_snapshot into dir/name.json, then load and analyse it. */
void rt_snap_take(mg_runtime *rt, const char *dir, const char *name, rt_snap *s);
void rt_snap_free(rt_snap *s);

/* The tool's object index of the object at exactly p (RG_NONE: none);
 * asserts that the test reader finds the same object there. */
uint32_t rt_index_at(const rt_snap *s, const void *p);
/* The test reader's size of the object at p (asserts it exists). */
uint64_t rt_size_at(const rt_snap *s, const void *p);
/* The snapshot id of the object at p (asserts it exists). */
uint64_t rt_id_at(const rt_snap *s, const void *p);

/* A kind mask from a list of kinds ending in -1. */
ra_kinds rt_kinds(int k, ...);
/* "old array, iterator" for messages. */
const char *rt_kinds_text(ra_kinds k, char *buf, size_t size);

/* The whole of what fn writes to a FILE, as a malloc'd string. */
char *rt_capture(int (*fn)(FILE *, void *), void *ud);

/* Parses text with rg_parse; returns 0 or -1 with the message in err. */
int rt_parse(const char *text, rg_graph *g, char *err, size_t errlen);

#endif /* MAPGC_TESTS_REACH_TEST_H */
