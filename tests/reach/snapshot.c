/*
 * snapshot.c — reading heap snapshots (reach_graph.c): the schema checks
 * with their messages and locations, and robustness against truncated,
 * mistyped and mutated snapshots.  Also the analyses on small hand-written
 * graphs, where every expected figure can be worked out by hand.
 */
#include "tests/reach/reach_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A valid snapshot: a root "r" on a map whose array chains a separate
 * overflow bucket, and a global root on nothing. */
static const char valid_doc[] =
	"{\"schema\":\"mapgc.heapsnapshot\",\"version\":1,\"cycle\":3,\"time_s\":0.25,\"live_bytes\":464,\"nobjects\":4,\n"
	"\"roots\":[{\"kind\":\"scope\",\"name\":\"r\",\"to\":1},{\"kind\":\"global\",\"name\":\"g\",\"to\":null}],\n"
	"\"objects\":[\n"
	"{\"id\":1,\"addr\":\"0x1000\",\"type\":\"hmap\",\"array\":false,\"len\":1,\"size\":80,"
	"\"edges\":[{\"label\":\"buckets\",\"to\":2}],"
	"\"map\":{\"id\":7,\"key\":\"int64\",\"elem\":\"pointer\",\"count\":9,\"B\":1,\"flags\":0,\"hash0\":5,"
	"\"noverflow\":1,\"growing\":false,\"same_size\":false,\"nevacuate\":0,\"noldbuckets\":0,"
	"\"buckets\":[\"FFFFFFFF|F-------\",\"--------\"],\"oldbuckets\":null}},\n"
	"{\"id\":2,\"addr\":\"0x2000\",\"type\":\"bucket[int64]pointer\",\"array\":true,\"len\":2,\"size\":256,"
	"\"edges\":[{\"label\":\"[0].overflow\",\"to\":3},{\"label\":\"[0].elem\",\"to\":4}]},\n"
	"{\"id\":3,\"addr\":\"0x3000\",\"type\":\"bucket[int64]pointer\",\"array\":false,\"len\":1,\"size\":112,"
	"\"edges\":[]},\n"
	"{\"id\":4,\"addr\":\"0x4000\",\"type\":\"val\",\"array\":false,\"len\":1,\"size\":16,\"edges\":[],\"future\":{\"x\":[1]}}\n"
	"]}\n";

/* valid_doc with the first `from` replaced by `to`. */
static char *
variant(const char *from, const char *to)
{
	const char *at = strstr(valid_doc, from);
	cr_assert_not_null(at, "fixture lacks \"%s\"", from);
	size_t n = strlen(valid_doc) - strlen(from) + strlen(to);
	char *s = malloc(n + 1);
	cr_assert_not_null(s);
	size_t pre = (size_t)(at - valid_doc);
	memcpy(s, valid_doc, pre);
	memcpy(s + pre, to, strlen(to));
	strcpy(s + pre + strlen(to), at + strlen(from));
	return s;
}

/* rg_parse over an exact-size copy (no NUL after it). */
static int
parse_exact(const char *text, size_t n, rg_graph *g, char *err, size_t errlen)
{
	char *copy = malloc(n ? n : 1);
	cr_assert_not_null(copy);
	memcpy(copy, text, n);
	int rc = rg_parse(copy, n, "t.json", g, err, errlen);
	free(copy);
	return rc;
}

static void
expect_bad(const char *text, const char *want)
{
	rg_graph g;
	char err[512] = "";
	int rc = parse_exact(text, strlen(text), &g, err, sizeof err);
	cr_assert_eq(rc, -1, "accepted a bad snapshot (want \"%s\")", want);
	cr_assert_not_null(strstr(err, want), "message \"%s\", want \"%s\"", err, want);
	cr_assert_eq(strncmp(err, "t.json:", 7), 0, "message without the file: %s", err);
	rg_free(&g);
}

static void
expect_bad_variant(const char *from, const char *to, const char *want)
{
	char *s = variant(from, to);
	expect_bad(s, want);
	free(s);
}

Test(reach_snapshot, reads_the_valid_fixture)
{
	rg_graph g;
	char err[512];
	cr_assert_eq(rt_parse(valid_doc, &g, err, sizeof err), 0, "%s", err);
	cr_assert_eq(g.nobjs, 4);
	cr_assert_eq(g.nedges, 3);
	cr_assert_eq(g.nroots, 2);
	cr_assert_eq(g.roots[0].to, 0);
	cr_assert_eq(g.roots[1].to, RG_NONE);
	cr_assert(g.roots[1].global);
	cr_assert_eq(g.cycle, 3);
	cr_assert(g.ids_dense);
	cr_assert_eq(g.objs[1].cls, RG_BUCKET);
	cr_assert_eq(g.objs[0].cls, RG_HMAP);
	cr_assert_eq(g.objs[0].addr, 0x1000);
	cr_assert_eq(g.edges[1].elem, 0);
	cr_assert_str_eq(rg_s(&g, g.edges[1].label), "overflow");
	cr_assert_eq(g.edges[0].elem, RG_NONE);
	cr_assert_eq(g.nmaps, 1);
	cr_assert_eq(g.maps[0].cur.nbuckets, 2);
	cr_assert_eq(g.maps[0].cur.overflow, 1);
	cr_assert_eq(g.maps[0].cur.maxchain, 2);
	cr_assert_eq(g.maps[0].cur.cells[0], 9, "F cells");
	cr_assert_eq(g.maps[0].cur.cells[2], 15, "- cells");
	rg_free(&g);
}

/* By hand: r → hmap(80) → array(256) → {ovf(112) via [0].overflow, val(16)}.
 * Everything hangs off the one root, so the hmap retains 464, the array
 * 384; the overflow bucket is held by "current array" through a link. */
Test(reach_snapshot, analysis_of_the_fixture_by_hand)
{
	rg_graph g;
	ra_result r;
	char err[512];
	cr_assert_eq(rt_parse(valid_doc, &g, err, sizeof err), 0, "%s", err);
	cr_assert_eq(ra_analyze(&g, &r, err, sizeof err), 0, "%s", err);
	cr_assert_eq(r.nreached, 4);
	cr_assert_eq(r.idom[0], r.n);
	cr_assert_eq(r.idom[1], 0);
	cr_assert_eq(r.idom[2], 1);
	cr_assert_eq(r.idom[3], 1);
	cr_assert_eq(r.retained[0], 464);
	cr_assert_eq(r.retained[1], 384);
	cr_assert_eq(r.retained[r.n], 464, "the virtual root retains everything reachable");
	cr_assert_eq(r.kinds[0], rt_kinds(RA_ROOT, -1));
	cr_assert_eq(r.kinds[1], rt_kinds(RA_CURRENT, -1));
	cr_assert_eq(r.kinds[2], rt_kinds(RA_CURRENT, -1), "a chain link passes on the array's kinds");
	cr_assert_eq(r.kinds[3], rt_kinds(RA_CELL, -1));
	char path[512];
	ra_path_string(&r, 2, path, sizeof path);
	cr_assert_str_eq(path, "scope root \"r\" \xe2\x86\x92 hmap#1 .buckets \xe2\x86\x92 bucket[int64]pointer[2]#2"
		" [0].overflow \xe2\x86\x92 bucket[int64]pointer#3");
	cr_assert_eq(r.maps[0].cur.obj, 1);
	cr_assert_eq(r.maps[0].cur.ovf_objects, 1);
	cr_assert_eq(r.maps[0].cur.ovf_bytes, 112);
	cr_assert_eq(r.maps[0].cur.ovf_chains, 1);
	ra_free(&r);
	rg_free(&g);
}

Test(reach_snapshot, ids_need_not_be_dense)
{
	static const char doc[] =
		"{\"schema\":\"mapgc.heapsnapshot\",\"version\":1,\"cycle\":1,\"live_bytes\":24,\"nobjects\":2,"
		"\"roots\":[{\"kind\":\"scope\",\"name\":\"r\",\"to\":50}],"
		"\"objects\":[{\"id\":50,\"type\":\"A\",\"size\":8,\"edges\":[{\"label\":\"x\",\"to\":7}]},"
		"{\"id\":7,\"type\":\"B\",\"size\":16,\"edges\":[]}]}";
	rg_graph g;
	char err[512];
	cr_assert_eq(rt_parse(doc, &g, err, sizeof err), 0, "%s", err);
	cr_assert(!g.ids_dense);
	cr_assert_eq(rg_index_of_id(&g, 7), 1);
	cr_assert_eq(rg_index_of_id(&g, 50), 0);
	cr_assert_eq(rg_index_of_id(&g, 8), RG_NONE);
	cr_assert_eq(g.edges[0].to, 1);
	rg_free(&g);
	expect_bad("{\"schema\":\"mapgc.heapsnapshot\",\"version\":1,\"cycle\":1,\"live_bytes\":16,\"nobjects\":2,"
		"\"roots\":[],\"objects\":[{\"id\":5,\"type\":\"A\",\"size\":8,\"edges\":[]},"
		"{\"id\":5,\"type\":\"B\",\"size\":8,\"edges\":[]}]}",
		"objects[1]: duplicate id 5 (objects[0] has it too)");
}

Test(reach_snapshot, rejects_non_snapshots)
{
	expect_bad("not json", "t.json:1:1: invalid JSON: expected a value, found 'n'");
	expect_bad("", "t.json:1:1: invalid JSON: empty document");
	expect_bad("[]", "t.json:1:1: not a mapgc heap snapshot: the document is an array, not an object");
	expect_bad("{}", "not a mapgc heap snapshot: no \"schema\" member");
	expect_bad("{\"schema\":\"mapgc.trace\"}",
		"t.json:1:11: not a mapgc heap snapshot: schema \"mapgc.trace\" (want \"mapgc.heapsnapshot\")");
	expect_bad("{\"schema\":5}", "t.json:1:11: schema: expected a string, found the number 5");
	expect_bad_variant("\"version\":1", "\"version\":2",
		"t.json:1:42: unsupported snapshot version 2 (this mapgc reads version 1)");
	expect_bad_variant("\"version\":1", "\"version\":\"1\"", "version: expected a version number, found a string");
	expect_bad_variant("\"version\":1,", "", "snapshot: missing member \"version\"");
	expect_bad_variant("{\"schema\"", "{\"schema\":\"mapgc.heapsnapshot\",\"schema\"",
		"snapshot: duplicate member \"schema\"");
}

Test(reach_snapshot, rejects_wrong_types_with_their_place)
{
	expect_bad_variant("{\"id\":1,", "{\"id\":\"1\",", "t.json:4:7: objects[0].id: expected a positive integer, found a string");
	expect_bad_variant("{\"id\":1,", "{\"id\":0,", "objects[0].id: expected a positive integer, found the number 0");
	expect_bad_variant("{\"id\":1,", "{\"id\":-1,", "objects[0].id: expected a positive integer, found the number -1");
	expect_bad_variant("\"size\":80", "\"size\":1e400",
		"objects[0].size: expected a non-negative integer, found the number 1e400");
	expect_bad_variant("\"size\":80", "\"size\":18446744073709551616",
		"found the number 18446744073709551616 (out of range)");
	expect_bad_variant("\"size\":80", "\"size\":80.5", "objects[0].size: expected a non-negative integer");
	expect_bad_variant("\"size\":80", "\"size\":null", "objects[0].size: expected a non-negative integer, found null");
	expect_bad_variant("\"array\":false", "\"array\":0", "objects[0].array: expected true or false, found the number 0");
	expect_bad_variant("\"addr\":\"0x1000\"", "\"addr\":\"1000\"", "objects[0].addr: expected a hex address");
	expect_bad_variant("\"type\":\"hmap\"", "\"type\":[\"hmap\"]", "objects[0].type: expected a string, found an array");
	expect_bad_variant("\"edges\":[{\"label\":\"buckets\",\"to\":2}]", "\"edges\":{}",
		"objects[0].edges: expected an array, found an object");
	expect_bad_variant("{\"label\":\"buckets\",\"to\":2}", "{\"label\":3,\"to\":2}",
		"objects[0].edges[0].label: expected a string, found the number 3");
	expect_bad_variant("{\"label\":\"buckets\",\"to\":2}", "{\"label\":\"buckets\"}",
		"objects[0].edges[0]: missing member \"to\"");
	expect_bad_variant("{\"label\":\"buckets\",\"to\":2}", "[\"buckets\",2]",
		"objects[0].edges[0]: expected an edge object, found an array");
	expect_bad_variant("\"size\":80,", "", "objects[0]: missing member \"size\"");
	expect_bad_variant("\"size\":80,", "\"size\":80,\"size\":80,", "objects[0]: duplicate member \"size\"");
	expect_bad_variant("\"kind\":\"global\"", "\"kind\":\"stack\"",
		"roots[1].kind: expected \"scope\" or \"global\", found \"stack\"");
	expect_bad_variant("\"name\":\"r\",", "", "roots[0]: missing member \"name\"");
	expect_bad_variant("\"roots\":[", "\"roots\":{\"a\":", "roots: expected an array, found an object");
	expect_bad_variant("\"objects\":[\n", "\"objects\":[7,", "objects[0]: expected an object, found the number 7");
	expect_bad_variant("\"map\":{", "\"map\":[", "objects[0].map: expected an object or null, found an array");
}

Test(reach_snapshot, rejects_dangling_ids_and_wrong_totals)
{
	expect_bad_variant("{\"label\":\"[0].elem\",\"to\":4}", "{\"label\":\"[0].elem\",\"to\":9}",
		"t.json:5:1: objects[1] (id 2).edges[1].to: no object has id 9 (dangling edge)");
	expect_bad_variant("\"name\":\"r\",\"to\":1", "\"name\":\"r\",\"to\":99",
		"t.json:2:10: roots[0].to: no object has id 99 (dangling root)");
	expect_bad_variant("\"nobjects\":4", "\"nobjects\":5", "t.json:1:96: nobjects is 5 but \"objects\" has 4");
	expect_bad_variant("\"live_bytes\":464", "\"live_bytes\":465",
		"live_bytes is 465 but the objects' sizes add up to 464");
}

Test(reach_snapshot, rejects_malformed_map_annotations)
{
	expect_bad_variant("\"FFFFFFFF|F-------\"", "\"FFFFFFFF|F------\"",
		"objects[0].map.buckets[0]: malformed chain \"FFFFFFFF|F------\"");
	expect_bad_variant("\"FFFFFFFF|F-------\"", "\"FFFFFFFFF-------\"", "malformed chain");
	expect_bad_variant("\"FFFFFFFF|F-------\"", "\"FFFFFFFZ|F-------\"", "malformed chain");
	expect_bad_variant("\"FFFFFFFF|F-------\"", "\"\"", "malformed chain");
	expect_bad_variant("\"FFFFFFFF|F-------\"", "7", "objects[0].map.buckets[0]: expected a chain string, found the number 7");
	expect_bad_variant(",\"--------\"]", "]", "objects[0].map: 1 chains in \"buckets\", but B = 1 wants 2");
	expect_bad_variant("\"B\":1", "\"B\":64", "objects[0].map.B: B = 64 is out of range (0..63)");
	expect_bad_variant("\"flags\":0", "\"flags\":256", "flags = 256 do not fit a byte");
	expect_bad_variant("\"oldbuckets\":null", "\"oldbuckets\":[\"XXXXXXXX\"]",
		"objects[0].map: 1 chains in \"oldbuckets\", but noldbuckets = 0");
	expect_bad_variant("\"growing\":false", "\"growing\":\"no\"", "objects[0].map.growing: expected true or false");
	expect_bad_variant("\"count\":9,", "", "objects[0].map: missing member \"count\"");
}

/* count is signed (an int64 in the hmap): negative values are read. */
Test(reach_snapshot, negative_count_is_read)
{
	char *s = variant("\"count\":9", "\"count\":-9");
	rg_graph g;
	char err[512];
	cr_assert_eq(rt_parse(s, &g, err, sizeof err), 0, "%s", err);
	cr_assert_eq(g.maps[0].count, -9);
	rg_free(&g);
	free(s);
}

/* Every proper prefix of a valid snapshot is an error, and never a crash. */
Test(reach_snapshot, every_truncation_is_an_error)
{
	size_t n = strlen(valid_doc);
	/* The document ends with "]}\n": the prefix without the newline is whole. */
	for (size_t k = 0; k < n - 1; k++) {
		rg_graph g;
		char err[512] = "";
		cr_assert_eq(parse_exact(valid_doc, k, &g, err, sizeof err), -1, "prefix of %zu bytes accepted", k);
		cr_assert_neq(err[0], '\0');
		rg_free(&g);
	}
	rg_graph g;
	char err[512];
	cr_assert_eq(parse_exact(valid_doc, n - 1, &g, err, sizeof err), 0, "%s", err);
	rg_free(&g);
}

/* Mutations of a valid snapshot (bytes changed, dropped, duplicated, and
 * numbers swapped for extreme ones): parse or fail, never crash; what
 * parses is internally consistent and can be analysed and printed. */
Test(reach_snapshot, mutations_never_crash)
{
	static const char *const tokens[] = {
		"0", "-1", "18446744073709551615", "18446744073709551616", "4294967295", "4294967296", "1e308", "null",
		"\"\"", "[]", "{}", "\"[4294967295].x\"", "\"[99999999999].overflow\"", "\"|\"", "true",
	};
	mgt_rng rng;
	mgt_rng_init(&rng, 31337);
	size_t n0 = strlen(valid_doc);
	char *buf = malloc(2 * n0 + 64);
	cr_assert_not_null(buf);
	int parsed = 0;
	for (int round = 0; round < 4000; round++) {
		size_t n = n0;
		memcpy(buf, valid_doc, n);
		int edits = 1 + (int)mgt_rng_below(&rng, 3);
		for (int e = 0; e < edits; e++) {
			size_t at = (size_t)mgt_rng_below(&rng, n);
			switch (mgt_rng_below(&rng, 4)) {
			case 0:
				buf[at] = (char)mgt_rng_below(&rng, 256);
				break;
			case 1:
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
				break;
			case 2: {
				size_t len = 1 + (size_t)mgt_rng_below(&rng, 8);
				if (at + len <= n && n + len < 2 * n0) {
					memmove(buf + at + len, buf + at, n - at);
					n += len;
				}
				break;
			}
			default: {
				/* Replace a run of digits by an extreme token. */
				while (at < n && (buf[at] < '0' || buf[at] > '9'))
					at++;
				size_t end = at;
				while (end < n && buf[end] >= '0' && buf[end] <= '9')
					end++;
				const char *t = tokens[mgt_rng_below(&rng, sizeof tokens / sizeof tokens[0])];
				size_t tl = strlen(t);
				if (at < n && n - (end - at) + tl < 2 * n0) {
					memmove(buf + at + tl, buf + end, n - end);
					memcpy(buf + at, t, tl);
					n = n - (end - at) + tl;
				}
			}
			}
		}
		rg_graph g;
		char err[512] = "";
		if (parse_exact(buf, n, &g, err, sizeof err) != 0) {
			cr_assert_neq(err[0], '\0');
			rg_free(&g);
			continue;
		}
		parsed++;
		for (uint32_t e = 0; e < g.nedges; e++)
			cr_assert_lt(g.edges[e].to, g.nobjs);
		ra_result r;
		cr_assert_eq(ra_analyze(&g, &r, err, sizeof err), 0, "%s", err);
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		rp_source src = {0};
		rp_request q = {.maps = true, .arrays = true, .max_runs = 4};
		rp_text(f, &r, &src, &q);
		rp_json(f, &r, &src, &q);
		for (uint32_t mi = 0; mi < r.nmaps; mi++)
			rdot_map(f, &r, mi);
		fclose(f);
		free(out);
		ra_free(&r);
		rg_free(&g);
	}
	cr_assert_gt(parsed, 0, "some mutations (of spaces and unknown members) must still parse");
	free(buf);
}

/* The names reach gives the flag bits are the map's own (MAP_FLAG_LIST),
 * and the type names it classifies by are those maptype registers. */
#include "maptype/map.h"

Test(reach_snapshot, flag_and_type_names_match_the_runtime)
{
	char buf[96];
#define RT_X_FLAG(id, value, name) cr_assert_str_eq(rp_flag_names(value, buf, sizeof buf), name);
	MAP_FLAG_LIST(RT_X_FLAG)
#undef RT_X_FLAG
	cr_assert_str_eq(rp_flag_names(0, buf, sizeof buf), "none");
	cr_assert_str_eq(rp_flag_names(3, buf, sizeof buf), "iterator|oldIterator");

	mg_config cfg;
	mgt_config(&cfg);
	mg_runtime *rt = mgt_open(&cfg);
	map_rt *m = map_rt_of(rt);
	const mg_maptype *t = mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr);
	cr_assert_eq(rg_classify(m->hmap_ti->t->name), RG_HMAP);
	cr_assert_eq(rg_classify(m->iter_ti->t->name), RG_HITER);
	cr_assert_eq(rg_classify(m->extra_ti->t->name), RG_EXTRA);
	cr_assert_eq(rg_classify(m->ovflist_ti->t->name), RG_OVFLIST);
	cr_assert_eq(rg_classify(m->ovf_ti->t->name), RG_OVFARRAY);
	cr_assert_eq(rg_classify(t->bucket.name), RG_BUCKET);
	cr_assert_eq(rg_classify("bucketX"), RG_OTHER);
	cr_assert_eq(rg_classify("hmapx"), RG_OTHER);
	mgt_close(rt);
}

/* With several threads (issue 15), a scope root names its thread in the
 * snapshot, and paths name it when the roots come from more than one
 * thread; a snapshot of one thread reads as before. */
static void
path_with_thread(const char *thread_member, const char *want_prefix)
{
	char *doc = variant("{\"kind\":\"scope\",\"name\":\"r\"", thread_member);
	rg_graph g;
	ra_result r;
	char err[512];
	cr_assert_eq(rt_parse(doc, &g, err, sizeof err), 0, "%s", err);
	cr_assert_eq(ra_analyze(&g, &r, err, sizeof err), 0, "%s", err);
	char path[512];
	ra_path_string(&r, 1, path, sizeof path);
	char want[128];
	snprintf(want, sizeof want, "%sscope root \"r\" \xe2\x86\x92 hmap#1 .buckets \xe2\x86\x92 bucket[int64]pointer[2]#2",
		want_prefix);
	cr_assert_str_eq(path, want);
	ra_free(&r);
	rg_free(&g);
	free(doc);
}

Test(reach_snapshot, a_scope_root_of_another_thread_names_it)
{
	path_with_thread("{\"kind\":\"scope\",\"thread\":2,\"name\":\"r\"", "thread 2 ");
}

Test(reach_snapshot, one_thread_reads_as_before)
{
	path_with_thread("{\"kind\":\"scope\",\"thread\":1,\"name\":\"r\"", "");
}

Test(reach_snapshot, a_bad_thread_is_reported)
{
	char *doc = variant("{\"kind\":\"scope\",\"name\":\"r\"", "{\"kind\":\"scope\",\"thread\":0,\"name\":\"r\"");
	rg_graph g;
	char err[512];
	cr_assert_neq(rt_parse(doc, &g, err, sizeof err), 0);
	cr_assert_not_null(strstr(err, "roots[0].thread"), "%s", err);
	free(doc);
}
