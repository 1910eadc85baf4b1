/*
 * reach_run.h — `mapgc reach --run WORKLOAD`: run a built-in stress
 * workload and take a heap snapshot at the end of one of its cycles
 * (prefix rrun_).
 *
 * The workload runs exactly as `mapgc stress` runs it (stress.h: the same
 * table, the same config — defaults, then MAPGC_DEBUG / MAPGC_GOGC /
 * MAPGC_MEMLIMIT, then the options — and the same seed rules), with its
 * stdout discarded.  The snapshot is written from a cycle hook at mark
 * termination (world stopped, marking complete), the moment heapdump=N
 * uses, but straight to the JSON file (no V8 file).
 *
 * WHICH CYCLE.  --cycle N: cycle N; fewer cycles is an error.  Default: the
 * last cycle of the run, the state closest to the workload's final heap.
 * The workload's own roots are gone once it returns, so a snapshot after
 * it would be empty; the last cycle is known only when the run ends, and
 * the number of cycles is not exactly reproducible (the pacer reads
 * clocks: the same seed gives 50 or 51).  So the run is done twice: the
 * first counts its cycles C; the second writes a snapshot at every cycle
 * from C - RRUN_LAST_WINDOW + 1 on, each replacing the previous, and keeps
 * the last one.  Twice the run time, but at most a few snapshots, however
 * many cycles the run has.
 */
#ifndef MAPGC_TOOLS_REACH_RUN_H
#define MAPGC_TOOLS_REACH_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Cycles before the first run's last one at which the second run starts
 * snapshotting: covers the second run ending up to this many cycles short. */
#define RRUN_LAST_WINDOW 4

typedef struct rrun_params {
	const char *workload;
	bool has_cycle, has_seed, has_ops, has_live, has_gogc;
	uint64_t cycle, seed, ops, live;
	int gogc;
	const char *json_path;  /* where the snapshot goes */
} rrun_params;

typedef struct rrun_result {
	uint64_t seed, ops, live;
	uint64_t cycles;        /* cycles of the run the snapshot is from */
	uint64_t cycle;         /* the snapshot's cycle */
} rrun_result;

/* Whether name is a built-in workload. */
bool rrun_workload_exists(const char *name);
/* " graph grow-iterate …" */
void rrun_list_names(FILE *out);

/* 0: snapshot written; 1: failed (message in err); 2: the runtime hit a
 * fatal error (already printed). */
int rrun_run(const rrun_params *p, rrun_result *res, char *err, size_t errlen);

#endif /* MAPGC_TOOLS_REACH_RUN_H */
