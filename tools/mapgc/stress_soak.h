/*
 * stress_soak.h — `mapgc stress --soak DURATION`: rounds of stress runs
 * until a deadline, each checked against a collection-free reference.
 *
 * A round picks, in rotation, a workload (all of them, or the one named),
 * a fresh seed from the soak's own stress_rng, a safe barrier, a GOGC and a
 * mark slice, and runs the workload twice, each in a child process running
 * the ordinary `mapgc stress` path (stress_main): once with --gogc off (no
 * collection: the reference checksum) and once with the round's settings
 * plus gccheckmark=1 on top of the caller's MAPGC_DEBUG.  The round passes
 * when the second run exits 0 with the reference checksum.  A fatal error,
 * a signal, a hang (STRESS_SOAK_RUN_TIMEOUT_S) or another checksum ends the
 * soak at once with the exact command that repeats the failing run — the
 * child ran exactly that command line, so the repetition is faithful.
 *
 * Output (stdout): a header line, then per round
 *   soak round N: workload=W seed=S barrier=B gogc=G gcslice=K ops=O secs=T cycles=C checksum=HEX ok
 * then `soak ok: N rounds in T s, 0 failures` (exit 0), or
 * `soak FAILED in round N: REASON` and `soak: to repeat: COMMAND` (exit 1).
 * The last round started before the deadline is allowed to finish.
 */
#ifndef MAPGC_TOOLS_STRESS_SOAK_H
#define MAPGC_TOOLS_STRESS_SOAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stress.h"

/* Longest a single run of a round may take before the soak calls it hung. */
#define STRESS_SOAK_RUN_TIMEOUT_S 300

typedef struct stress_soak_plan {
	uint64_t duration_ns;
	uint64_t seed;                      /* seeds the soak's rng (round seeds) */
	const stress_workload *only;        /* NULL: rotate through all workloads */
} stress_soak_plan;

/* Go-style durations: one or more <integer><unit>, unit h, m, s or ms
 * ("30s", "10m", "1h30m"); a bare integer is seconds.  Between 1 ms and
 * 30 days.  False (leaving *ns unchanged) when malformed. */
bool stress_parse_duration(const char *s, uint64_t *ns);

/* Runs the soak; returns the exit status (0 all rounds passed, 1 a round
 * failed or a child could not be run). */
int stress_soak(const stress_workload *const *workloads, size_t n, const stress_soak_plan *plan);

#endif /* MAPGC_TOOLS_STRESS_SOAK_H */
