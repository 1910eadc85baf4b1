/*
 * stress_ptr_values.c — workload `ptr-values`: the "gcstress" benchmark,
 * a map[int64]*node whose values are constantly replaced.  A Go twin of
 * this program is compared with it, so the specification below is exact:
 * change it only together with the twin.
 *
 *   type node struct { payload [4]int64; next *node }   // next always nil
 *   rng := splitmix64(seed)        // stress_rng_next: state += golden; mix64
 *   m := map[int64]*node{}         // un-hinted
 *   for i := 0; i < n; i++ {       // n = --live
 *       m[int64(i)] = &node{payload: [4]int64{int64(i), 0, 0, 0}}
 *   }
 *   for op := 0; op < ops; op++ {
 *       r := rng.next()
 *       k := int64((r & 0xFFFFFFFF) % uint64(n))
 *       switch r >> 62 {
 *       case 0, 1: m[k] = &node{payload: [4]int64{k, int64(op), 0, 0}}  // old node: garbage
 *       case 2:    v := m[k]; delete(m, k); m[k] = v
 *       case 3:    if m[k].payload[0] != k { fail }
 *       }
 *       if (op+1) % 500000 == 0 {
 *           var sum uint64
 *           for k, v := range m { sum += uint64(k ^ v.payload[1]) }
 *           digest.add(sum)
 *       }
 *   }
 *
 * The checksum is a stress_digest (stress.h) of, in order: each periodic
 * sum; then len(m); then S = Σ pair(k, payload[1]) and X = xor of
 * mix64(pair(k, payload[1])) over the final map, where
 * pair(k, v) = mix64(mix64(k ^ 0x243f6a8885a308d3) + v) and mix64 is the
 * splitmix64 finaliser (sums wrap modulo 2^64).  All of it is independent
 * of iteration order.
 *
 * mapgc specifics.  The node type has one labelled pointer field "next";
 * the map lives in the root slot "ptr-values.map", the node being stored in
 * "ptr-values.node" (case 2 holds v across the delete and the set, both of
 * which may allocate while the map grows).  Every iteration also checks
 * that it produced each key 0..n-1 exactly once with payload[0] == k; a
 * failed check is fatal.  The map holds exactly n keys throughout, so it
 * grows only during setup; the run is a test of replacing pointer values —
 * the write barrier on every elem store, and n live nodes with a steady
 * stream of garbage ones.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

/* Ops between full iterations (the benchmark's constant). */
#define PV_ITER_EVERY UINT64_C(500000)

typedef struct pv_node {
	int64_t payload[4];
	struct pv_node *next;   /* always NULL: the type's one pointer field */
} pv_node;

static const mg_field pv_node_fields[] = {
	{ offsetof(pv_node, next), "next" },
};

static const mg_type pv_node_type = {
	.name = "ptr-values.node",
	.size = sizeof(pv_node),
	.align = _Alignof(pv_node),
	.ptrs = pv_node_fields,
	.nptrs = 1,
};

typedef struct pv {
	mg_runtime *rt;
	stress_rng rng;
	mg_hmap *m;        /* rooted "ptr-values.map" */
	pv_node *v;        /* rooted "ptr-values.node" */
	uint64_t n;
	uint8_t *seen;     /* [n], for checking iterations */
} pv;

static void
pv_set_new(pv *w, int64_t k, int64_t p1)
{
	w->v = mg_alloc(w->rt, &pv_node_type);
	w->v->payload[0] = k;
	w->v->payload[1] = p1;
	mg_map_set(w->rt, w->m, &k, &w->v);
	w->v = NULL;
}

/* One full iteration: checks that it yields each key exactly once, with
 * payload[0] == k, and returns Σ k ^ payload[1]; *pairs, *xored get the
 * order-independent digest terms of the checksum.  The iterator is
 * allocated first; the walk neither allocates nor reaches a safepoint. */
static uint64_t
pv_iterate(pv *w, uint64_t *pairs, uint64_t *xored)
{
	mg_runtime *rt = w->rt;
	mg_hiter *it = NULL;
	mg_scope scope;
	uint64_t sum = 0, ps = 0, px = 0, count = 0;
	int64_t k;
	pv_node *v;

	memset(w->seen, 0, (size_t)w->n);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &it, "ptr-values.it");
	it = mg_map_iter(rt, w->m);
	while (mg_map_next(rt, it, &k, &v)) {
		if (k < 0 || (uint64_t)k >= w->n || w->seen[k]++)
			mg_fatal(rt, "ptr-values: iteration produced key %" PRId64 " %s", k,
				k < 0 || (uint64_t)k >= w->n ? "out of range" : "twice");
		if (v == NULL || v->payload[0] != k)
			mg_fatal(rt, "ptr-values: iteration gave m[%" PRId64 "] = %s%" PRId64, k,
				v == NULL ? "nil " : "node with payload[0] ", v ? v->payload[0] : 0);
		sum += (uint64_t)(k ^ v->payload[1]);
		uint64_t p = stress_pair((uint64_t)k, (uint64_t)v->payload[1]);
		ps += p;
		px ^= stress_mix64(p);
		count++;
	}
	mg_scope_leave(rt, &scope);
	if (count != w->n || mg_map_len(w->m) != w->n)
		mg_fatal(rt, "ptr-values: iteration produced %" PRIu64 " entries, len %zu, want %" PRIu64,
			count, mg_map_len(w->m), w->n);
	*pairs = ps;
	*xored = px;
	return sum;
}

static void
pv_op(pv *w, uint64_t op, stress_digest *d)
{
	uint64_t r = stress_rng_next(&w->rng);
	int64_t k = (int64_t)((r & UINT64_C(0xFFFFFFFF)) % w->n);

	switch (r >> 62) {
	case 0:
	case 1:
		pv_set_new(w, k, (int64_t)op);
		break;
	case 2:
		if (!mg_map_get(w->rt, w->m, &k, &w->v))
			mg_fatal(w->rt, "ptr-values: key %" PRId64 " missing", k);
		mg_map_delete(w->rt, w->m, &k);
		mg_map_set(w->rt, w->m, &k, &w->v);
		w->v = NULL;
		break;
	default: {
		pv_node *v = NULL;
		if (!mg_map_get(w->rt, w->m, &k, &v) || v == NULL || v->payload[0] != k)
			mg_fatal(w->rt, "ptr-values: m[%" PRId64 "].payload[0] is %" PRId64 ", want %" PRId64,
				k, v ? v->payload[0] : -1, k);
		break;
	}
	}
	if ((op + 1) % PV_ITER_EVERY == 0) {
		uint64_t ps, px;
		stress_digest_add(d, pv_iterate(w, &ps, &px));
	}
}

static stress_result
pv_run(mg_runtime *rt, const stress_params *p)
{
	pv w = { .rt = rt, .rng = { p->seed }, .n = p->live };
	stress_result res = { 0 };
	stress_digest d;
	mg_scope scope;
	uint64_t ps, px;

	w.seen = malloc((size_t)w.n);
	if (w.seen == NULL)
		mg_fatal(rt, "ptr-values: out of C memory for %" PRIu64 " keys", w.n);
	stress_digest_init(&d);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &w.m, "ptr-values.map");
	mg_root(rt, &w.v, "ptr-values.node");
	w.m = mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr), 0);
	for (uint64_t i = 0; i < w.n; i++) {
		stress_tick(rt);
		pv_set_new(&w, (int64_t)i, 0);
	}
	for (uint64_t op = 0; op < p->ops; op++) {
		stress_tick(rt);
		pv_op(&w, op, &d);
	}
	int bad = mg_map_check(rt, w.m, stderr);
	if (bad != 0)
		mg_fatal(rt, "ptr-values: map verifier found %d problem(s) in the final map", bad);
	pv_iterate(&w, &ps, &px);
	stress_digest_add(&d, mg_map_len(w.m));
	stress_digest_add(&d, ps);
	stress_digest_add(&d, px);
	res.checksum = stress_digest_final(&d);
	res.live_end = mg_map_len(w.m);
	mg_scope_leave(rt, &scope);
	free(w.seen);
	return res;
}

const stress_workload stress_workload_ptr_values = {
	.name = "ptr-values",
	.description =
		"The gcstress benchmark (compared with a Go twin; its exact specification is in "
		"stress_ptr_values.c): map[int64]*node with node {payload [4]int64; next *node}, "
		"keys 0..live-1 inserted in order into an un-hinted map, then per op a "
		"splitmix64 draw r, k = (r & 0xFFFFFFFF) % live and by r >> 62: 0-1 replace "
		"m[k] with a new node {k, op, 0, 0}, 2 delete m[k] and store the same node "
		"back, 3 read m[k] and check payload[0] == k; a full iteration summing "
		"k ^ payload[1] every 500000 ops.  The checksum digests those sums and the "
		"final map.",
	/* Defaults: the benchmark's numbers; about 2.6 s of CPU in a release
	 * build, 8 cycles (seed 1). */
	.default_ops = 5000000,
	.default_live = 1000000,
	.run = pv_run,
};
