/*
 * stress_map_race.c — workload `map-race` (DESIGN.md §7): one map written
 * from two threads with no lock, which is the program's bug, and must end
 * in
 *
 *   fatal error: concurrent map writes
 *     thread T: OPERATION
 *     thread U: OPERATION
 *
 * (exit status 2), one line per thread involved, threads numbered from 1
 * in attach order.  The two threads (the runner's, and one it attaches)
 * set disjoint keys of one map[int64]*leaf, --ops each, so the map keeps
 * growing, with a safepoint per operation: at any number of Ps the writes
 * overlap, since a write that allocates (a grow, an overflow bucket) is a
 * safepoint where a thread may give its P to the other (gc/sched.c, time
 * slices).  The second thread's or of hashWriting, while the first holds
 * it, is the catch (maptype/map.h): before it has touched the map, so the
 * heap is never corrupted first, and checkmark and the heap check stay
 * quiet until the fatal line.  A run in which the writes never overlapped
 * ends normally (the caller counts it as a miss: tests/cli/misuse_map_race.sh);
 * its checksum is the map's size only (its contents are the race's).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

typedef struct race_leaf {
	int64_t v;
} race_leaf;

static const mg_type race_leaf_type = {"map-race.leaf", sizeof(race_leaf), 8, NULL, 0, NULL, NULL};

typedef struct race {
	mg_runtime *rt;
	mg_hmap *map;        /* a global root */
	uint64_t ops;
} race;

static void
race_writes(race *r, int64_t which)
{
	mg_runtime *rt = r->rt;
	mg_scope s;
	mg_scope_enter(rt, &s);
	race_leaf *leaf = NULL;
	mg_root(rt, &leaf, "map-race.leaf");
	for (uint64_t i = 0; i < r->ops; i++) {
		leaf = mg_alloc(rt, &race_leaf_type);
		int64_t k = (int64_t)i * 2 + which;
		leaf->v = k;
		mg_map_set(rt, r->map, &k, &leaf);
		stress_tick(rt);
	}
	mg_scope_leave(rt, &s);
}

static void *
race_second(void *arg)
{
	race *r = arg;
	mg_thread_attach(r->rt);
	race_writes(r, 1);
	mg_thread_detach(r->rt);
	return NULL;
}

static stress_result
map_race_run(mg_runtime *rt, const stress_params *p)
{
	/* On the heap, not this frame: when this thread is the one that
	 * reports, the failure handler leaves the frame (a longjmp) while the
	 * other thread still writes through it. */
	race *rp = malloc(sizeof *rp);
	if (rp == NULL) {
		fprintf(stderr, "fatal error: out of memory\n");
		exit(2);
	}
	*rp = (race){rt, NULL, p->ops};
	race *r = rp;
	mg_global_root(rt, &r->map, "map-race.map");
	mg_store(rt, &r->map, mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr), 0));
	pthread_t th;
	int e = pthread_create(&th, NULL, race_second, r);
	if (e != 0) {
		fprintf(stderr, "mapgc stress: map-race: cannot start the second thread: %s\n", strerror(e));
		exit(1);
	}
	race_writes(r, 0);
	mg_enter_native(rt);
	pthread_join(th, NULL);
	mg_leave_native(rt);
	stress_result res = {.checksum = mg_map_len(r->map), .live_end = mg_map_len(r->map)};
	mg_global_unroot(rt, &r->map);
	free(r);
	return res;
}

const stress_workload stress_workload_map_race = {
	.name = "map-race",
	.description =
		"A program's bug on purpose: two threads set disjoint keys of one growing map "
		"with no lock (--ops each).  It must end in 'fatal error: concurrent map writes' "
		"and a line '  thread T: OPERATION' per thread involved, exit status 2, before "
		"the heap is touched; a run whose writes never overlapped ends normally.  "
		"--live is unused.",
	.default_ops = 2000000,
	.default_live = 1,
	.run = map_race_run,
	.misuse = true,
};
