/*
 * report.c — the analysis and its outputs on a busy heap, against two
 * independent witnesses:
 *  - the runtime's own maptrace figures for the same cycle (maptype/trace.c
 *    gathers them while marking, from the live heap): live maps, growing,
 *    same-size, iterators, buckets new and old, evacuated old buckets,
 *    overflow buckets new and old, and iterator-only arrays must equal what
 *    `mapgc reach` derives from the snapshot of that cycle;
 *  - the strict JSON parser of tests/support (sj_parse): the --json output
 *    is well-formed and carries the same figures.
 * The heap: a seeded mix of map[int64]*val maps (grown with iterators
 * alive, so old, current and stale arrays all occur), noscan maps with
 * overflow lists, iterators started, advanced and dropped, and snapshots
 * taken in the middle of it all.
 */
#include "tests/reach/reach_test.h"

#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { RP_MAPS = 6, RP_ITERS = 6 };

typedef struct val {
	int64_t k, v;
} val;

static const mg_type val_type = {.name = "val", .size = sizeof(val), .align = 8};

typedef struct busy {
	mg_runtime *rt;
	mg_scope scope;
	mg_hmap *maps[RP_MAPS];
	mg_hiter *iters[RP_ITERS];
	mgt_rng rng;
	FILE *trace;
	char dir[256];
	int64_t next_key;
} busy;

static void
busy_open(busy *b, uint64_t seed)
{
	static const char *const mnames[RP_MAPS] = {"m0", "m1", "m2", "m3", "m4", "m5"};
	static const char *const inames[RP_ITERS] = {"it0", "it1", "it2", "it3", "it4", "it5"};
	mg_config cfg;

	memset(b, 0, sizeof *b);
	mgt_rng_init(&b->rng, seed);
	mgt_config(&cfg);
	cfg.heapcheck = 0;   /* speed: checkmark still verifies every cycle */
	cfg.gogc = MG_GOGC_OFF;
	cfg.maptrace = 1;
	cfg.stoptheworld = 1;   /* the maptrace figures and the snapshot see one state */
	cfg.seed = b->rng.seed;
	cfg.seed_set = true;
	b->trace = tmpfile();
	cr_assert_not_null(b->trace);
	cfg.trace = b->trace;
	b->rt = mgt_open(&cfg);
	cr_assert_eq(sr_mkdtemp(b->dir, sizeof b->dir), 0);
	mg_scope_enter(b->rt, &b->scope);
	for (int k = 0; k < RP_MAPS; k++)
		mg_root(b->rt, &b->maps[k], mnames[k]);
	for (int k = 0; k < RP_ITERS; k++)
		mg_root(b->rt, &b->iters[k], inames[k]);
	b->next_key = 1;
}

static void
busy_close(busy *b)
{
	mg_scope_leave(b->rt, &b->scope);
	sr_rmtree(b->dir);
	mgt_close(b->rt);
	fclose(b->trace);
}

/* Maps 0-3 map[int64]*val, 4-5 map[int64]int64 (noscan). */
static void
busy_step(busy *b)
{
	mg_runtime *rt = b->rt;
	int mi = (int)mgt_rng_below(&b->rng, RP_MAPS);
	bool noscan = mi >= 4;
	uint64_t op = mgt_rng_below(&b->rng, 100);

	if (b->maps[mi] == NULL || op < 1) {   /* a fresh map (the old one may live on in iterators) */
		b->maps[mi] = mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, noscan ? &mg_type_int64 : &mg_type_ptr), 0);
		return;
	}
	mg_hmap *m = b->maps[mi];
	if (op < 70) {
		int64_t k = b->next_key++;
		if (noscan) {
			mg_map_set(rt, m, &k, &k);
		} else {
			val *v = mg_alloc(rt, &val_type);   /* no allocation between here and the set */
			v->k = k;
			mg_map_set(rt, m, &k, &v);
		}
	} else if (op < 80 && b->next_key > 1) {
		int64_t k = 1 + (int64_t)mgt_rng_below(&b->rng, (uint64_t)b->next_key - 1);
		mg_map_delete(rt, m, &k);
	} else if (op < 85) {
		b->iters[mgt_rng_below(&b->rng, RP_ITERS)] = mg_map_iter(rt, m);
	} else if (op < 97) {
		mg_hiter *it = b->iters[mgt_rng_below(&b->rng, RP_ITERS)];
		if (it != NULL)
			for (int s = 0; s < 5 && mg_map_next(rt, it, NULL, NULL); s++)
				;
	} else {
		b->iters[mgt_rng_below(&b->rng, RP_ITERS)] = NULL;
	}
}

/* maptrace's figures (map_trace_last) against the analysis of the snapshot. */
static void
check_against_maptrace(busy *b, const rt_snap *s)
{
	uint64_t mt[16];
	map_trace_last(b->rt, mt);
	const ra_result *r = &s->r;
	const rg_graph *g = &s->g;
	uint64_t growing = 0, same = 0, iters = 0, bn = 0, bo = 0, evac = 0, vn = 0, vo = 0;
	uint64_t cells[RG_NCELLS] = {0};
	for (uint32_t mi = 0; mi < g->nmaps; mi++) {
		const rg_map *gm = &g->maps[mi];
		growing += gm->growing;
		same += gm->growing && gm->same_size;
		bn += r->maps[mi].cur.obj != RG_NONE ? r->maps[mi].cur.nbuckets : 0;
		bo += gm->old.nbuckets;
		evac += gm->old.nevacuated;
		vn += gm->cur.overflow;
		vo += gm->old.overflow;
		for (int c = 0; c < RG_NCELLS; c++)
			cells[c] += gm->cur.cells[c] + gm->old.cells[c];
	}
	for (uint32_t v = 0; v < g->nobjs; v++)
		iters += g->objs[v].cls == RG_HITER;
	cr_assert_eq(mt[0], g->nmaps, "maps: maptrace %" PRIu64 ", reach %" PRIu32, mt[0], g->nmaps);
	cr_assert_eq(mt[1], growing, "growing: maptrace %" PRIu64 ", reach %" PRIu64, mt[1], growing);
	cr_assert_eq(mt[2], same);
	cr_assert_eq(mt[3], iters, "iterators: maptrace %" PRIu64 ", reach %" PRIu64, mt[3], iters);
	cr_assert_eq(mt[4], bn, "buckets new: maptrace %" PRIu64 ", reach %" PRIu64, mt[4], bn);
	cr_assert_eq(mt[5], bo, "buckets old: maptrace %" PRIu64 ", reach %" PRIu64, mt[5], bo);
	cr_assert_eq(mt[6], evac, "evacuated: maptrace %" PRIu64 ", reach %" PRIu64, mt[6], evac);
	cr_assert_eq(mt[7], vn, "overflow new: maptrace %" PRIu64 ", reach %" PRIu64, mt[7], vn);
	cr_assert_eq(mt[8], vo, "overflow old: maptrace %" PRIu64 ", reach %" PRIu64, mt[8], vo);
	cr_assert_eq(mt[9], r->stale_arrays, "iter-only arrays: maptrace %" PRIu64 ", reach %" PRIu32, mt[9],
		r->stale_arrays);
	if (mt[9] == 0) {   /* stale arrays' cells are in maptrace's counts, not in the annotation */
		cr_assert_eq(mt[11], cells[0], "full cells");
		cr_assert_eq(mt[12], cells[1], "emptyOne cells");
		cr_assert_eq(mt[13], cells[2], "emptyRest cells");
		cr_assert_eq(mt[14], cells[3] + cells[4], "evacuatedX/Y cells");
		cr_assert_eq(mt[15], cells[5], "evacuatedEmpty cells");
	}
	/* With the world stopped for the whole cycle nothing floats. */
	cr_assert_eq(r->nreached, g->nobjs);
	cr_assert_eq(r->retained[r->n], g->live_bytes, "the virtual root retains the whole heap");
}

static int
write_json(FILE *out, void *ud)
{
	const rt_snap *s = ud;
	rp_source src = {.file = s->path};
	rp_request q = {.maps = true, .arrays = true};
	return rp_json(out, &s->r, &src, &q);
}

static int
write_text(FILE *out, void *ud)
{
	const rt_snap *s = ud;
	rp_source src = {.file = s->path};
	rp_request q = {.maps = true, .arrays = true, .max_runs = 8};
	return rp_text(out, &s->r, &src, &q);
}

/* The JSON parses strictly, and says what the analysis says. */
static void
check_json(const rt_snap *s)
{
	char *text = rt_capture(write_json, (void *)s);
	char err[256];
	sj_value *doc = sj_parse(text, strlen(text), err, sizeof err);
	cr_assert_not_null(doc, "--json output is not strict JSON: %s", err);
	cr_assert_str_eq(sj_get(doc, "schema")->str, "mapgc.reach");
	cr_assert_eq(sj_get(doc, "version")->i, 1);
	const sj_value *summary = sj_get(doc, "summary");
	cr_assert_eq(sj_get(summary, "stale_arrays")->i, (int64_t)s->r.stale_arrays);
	const sj_value *maps = sj_get(doc, "maps");
	cr_assert_eq(maps->n, s->g.nmaps);
	for (size_t k = 0; k < maps->n; k++) {
		const sj_value *m = &maps->items[k];
		const ra_map *rm = &s->r.maps[k];
		cr_assert_eq((uint64_t)sj_get(m, "id")->i, s->g.maps[k].id);
		cr_assert_eq((uint64_t)sj_get(m, "retained")->i, s->r.retained[rm->obj]);
		const sj_value *cur = sj_get(m, "current");
		if (rm->cur.obj == RG_NONE) {
			cr_assert_eq(cur->type, SJ_NULL);
		} else {
			cr_assert_eq((uint64_t)sj_get(cur, "object")->i, s->g.objs[rm->cur.obj].id);
			cr_assert_eq((uint64_t)sj_get(cur, "retained")->i, s->r.retained[rm->cur.obj]);
		}
		cr_assert_eq(sj_get(m, "iterators")->n, rm->niters);
		const sj_value *ev = sj_get(m, "evacuation");
		if (s->g.maps[k].growing) {
			/* The runs cover the old buckets exactly, alternating states. */
			const sj_value *runs = sj_get(ev, "runs");
			int64_t next = 0;
			for (size_t j = 0; j < runs->n; j++) {
				cr_assert_eq(sj_get(&runs->items[j], "first")->i, next);
				next = sj_get(&runs->items[j], "last")->i + 1;
				if (j > 0)
					cr_assert_str_neq(sj_get(&runs->items[j], "state")->str, sj_get(&runs->items[j - 1], "state")->str);
			}
			cr_assert_eq((uint64_t)next, s->g.maps[k].noldbuckets);
		}
	}
	const sj_value *arrays = sj_get(doc, "arrays");
	uint32_t narrays = 0;
	for (uint32_t v = 0; v < s->g.nobjs; v++)
		narrays += ra_is_bucket_array(&s->g, v);
	cr_assert_eq(arrays->n, narrays);
	for (size_t k = 0; k < arrays->n; k++) {
		const sj_value *a = &arrays->items[k];
		uint32_t v = rg_index_of_id(&s->g, (uint64_t)sj_get(a, "object")->i);
		const sj_value *path = sj_get(a, "path");
		if (s->r.dist[v] == RG_NONE) {
			cr_assert_eq(path->type, SJ_NULL);
			continue;
		}
		/* The steps are a real path: each label is an edge of the step to the next. */
		const sj_value *steps = sj_get(path, "steps");
		cr_assert_eq(steps->n, (size_t)s->r.dist[v] + 1);
		cr_assert_eq((uint64_t)sj_get(&steps->items[steps->n - 1], "object")->i, s->g.objs[v].id);
	}
	sj_free(doc);
	free(text);
}

static int
write_dot(FILE *out, void *ud)
{
	const rt_snap *s = ud;
	for (uint32_t mi = 0; mi < s->r.nmaps; mi++)
		if (rdot_map(out, &s->r, mi) != 0)
			return -1;
	return 0;
}

Test(reach_report, busy_heap_against_maptrace_and_strict_json)
{
	busy b;
	busy_open(&b, 8080);
	int snaps = 0, growing_seen = 0, stale_seen = 0;
	for (int step = 1; step <= 60000; step++) {
		busy_step(&b);
		if (step % 5000 != 0)
			continue;
		rt_snap s;
		char name[32];
		snprintf(name, sizeof name, "busy-%d", step);
		rt_snap_take(b.rt, b.dir, name, &s);
		check_against_maptrace(&b, &s);
		check_json(&s);
		char *text = rt_capture(write_text, &s);
		cr_assert_not_null(strstr(text, "snapshot   "));
		free(text);
		char *dot = rt_capture(write_dot, &s);
		cr_assert_eq(strncmp(dot, "digraph", 7), 0);
		free(dot);
		for (uint32_t mi = 0; mi < s.g.nmaps; mi++)
			growing_seen += s.g.maps[mi].growing;
		stale_seen += (int)s.r.stale_arrays;
		snaps++;
		rt_snap_free(&s);
	}
	cr_assert_eq(snaps, 12);
	cr_assert_gt(growing_seen, 0, "no snapshot caught a map mid-grow: the test would check no old arrays");
	cr_assert_gt(stale_seen, 0, "no snapshot had a stale array: the test would check no iter-only arrays");
	busy_close(&b);
}

/* The same on a small heap, fast enough for every run. */
Test(reach_report, small_heap_against_maptrace)
{
	busy b;
	busy_open(&b, 11);
	for (int step = 1; step <= 6000; step++) {
		busy_step(&b);
		if (step % 1500 != 0)
			continue;
		rt_snap s;
		char name[32];
		snprintf(name, sizeof name, "small-%d", step);
		rt_snap_take(b.rt, b.dir, name, &s);
		check_against_maptrace(&b, &s);
		check_json(&s);
		rt_snap_free(&s);
	}
	busy_close(&b);
}
