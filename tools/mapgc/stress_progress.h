/*
 * stress_progress.h — the live progress line of `mapgc stress` on a terminal:
 * ops done, rate, GC cycles and heap, redrawn in place on stderr a few times
 * a second.  It never interleaves with trace lines: the runtime's trace hook
 * clears it before every gc/map line and fatal error (mg_set_trace_hook), and
 * it is not shown at all when stderr is not a terminal.
 */
#ifndef MAPGC_STRESS_PROGRESS_H
#define MAPGC_STRESS_PROGRESS_H

#include "runtime/mapgc.h"

#include <stdint.h>

/* Shows progress for a run of `ops` operations of `workload` if stderr is a
 * terminal (or MAPGC_PROGRESS=1 forces it, for tests). */
void stress_progress_attach(mg_runtime *rt, const char *workload, uint64_t ops);
/* Clears the line and stops updating it. */
void stress_progress_detach(mg_runtime *rt);

#endif
