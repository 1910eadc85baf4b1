/*
 * stress_compare.h — `mapgc stress WORKLOAD --compare-barriers` (DESIGN.md
 * §7): what each write barrier costs and keeps, on one workload.
 *
 * The workload runs four times with the same seed and options: once per
 * barrier (hybrid, yuasa, dijkstra) and once with gcstoptheworld=1 (the
 * baseline with no concurrent marking; its barrier is the default, hybrid,
 * and never runs, since no mutator runs while marking).  Every run has the
 * same Ps (--procs, else MAPGC_PROCS, else the default; the header line
 * says how many), MAPGC_DEBUG's other settings and wbtrace=1 (the barrier study: gc/barrier.c),
 * and ignores wb= and gcstoptheworld= from the environment, which the
 * comparison chooses.  Output (stdout): the `seed N` line, a header, one row
 * per run, a note on the units, and the `result` line; columns:
 *   run           hybrid, yuasa, dijkstra, stw
 *   wall_s        workload wall time less wbtrace's re-marks
 *   cycles        completed collections
 *   stw_max_us    longest stop-the-world pause
 *   slice_max_us  longest incremental mark slice (wall)
 *   gc_cpu_pct    collector CPU / process CPU, re-marks left out of both
 *   slow, shaded_old, shaded_new   the wb line's counters, summed
 *   rescan_kb, floating_kb         summed bytes / 1024 (not the lines' KiB
 *                 rounded down and summed: the exact totals)
 *   checksum      the workload's checksum
 * A checksum that differs between rows is a bug (the collector freed or
 * kept something wrongly, or a workload broke inv.seed-only): the rows are
 * printed, then a message naming the runs that differ, no result line, and
 * exit 1.  A run that fails (a fatal error: its message and how to repeat
 * it are on stderr) ends the comparison with exit 2; any other death of a
 * run, exit 1.
 *
 * WHY CHILD PROCESSES.  Each run is a fork of the driver taken before any
 * runtime was opened, so every run starts from the same process state and
 * none inherits what an earlier one left: the C library's malloc arenas
 * grown by the mark queue and span metadata, memory the kernel has still
 * to reclaim from the last heap, settings reported once per process, and
 * whatever a bug might leave behind.  In one process the later runs would
 * start from the earlier ones' state, an order effect in a table whose
 * point is a fair comparison.  The parent waits for each child before it
 * starts the next, so runs never compete for the CPU, and a crash in one
 * run ends only that run, reported by name.  Each child writes its figures
 * into a shared anonymous mapping; its trace lines (gc, map, wb) go to the
 * trace sink in run order, so the sink holds one log of four runs, which
 * `mapgc trace summary` reports per barrier mode.
 *
 * TEST HOOK.  MAPGC_TEST_COMPARE_SKEW=RUN (a run's name) flips the lowest
 * bit of that run's checksum, so the tests prove the equality check fires
 * (tests/cli/stress_compare_barriers.sh); it is never set otherwise.
 */
#ifndef MAPGC_TOOLS_STRESS_COMPARE_H
#define MAPGC_TOOLS_STRESS_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include "stress.h"

/* What one run of a workload gave (stress.c). */
typedef struct stress_outcome {
	stress_result res;
	mg_stats st;
	mg_config used;          /* the runtime's config, as it ran */
	uint64_t wall_ns, cpu_ns;  /* the workload's wall time and process CPU */
} stress_outcome;

/* One run of w in this process: open, run, read the stats, close (stress.c).
 * A fatal error prints how to repeat the run and exits 2. */
void stress_run_once(const stress_workload *w, const stress_params *p, const mg_config *cfg, stress_outcome *out);
/* The `result` line that ends every stress run (DESIGN.md §7); returns the
 * exit status (1 when stdout cannot be written). */
int stress_result_line(const stress_workload *w, const stress_params *p, uint64_t checksum);
/* Whether the configuration asks for trace lines (gctrace, maptrace, wbtrace). */
bool stress_trace_asked(const mg_config *cfg);

/* The comparison of the essay; base is the run's config (environment and
 * options applied, ignore_env set).  keep_trace: the runs' trace lines go to
 * base->trace (stderr when NULL); otherwise they are dropped.  Returns the
 * exit status. */
int stress_compare(const stress_workload *w, const stress_params *p, const mg_config *base, bool keep_trace);

#endif /* MAPGC_TOOLS_STRESS_COMPARE_H */
