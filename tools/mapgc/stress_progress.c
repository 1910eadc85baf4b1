/* stress_progress.c — see stress_progress.h. */
#include "stress_progress.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Four redraws a second: readable, and a negligible cost per op. */
#define PROGRESS_INTERVAL_NS 250000000u

/* One progress line per process: the command runs one workload at a time. */
static struct {
	const char *workload;
	uint64_t ops;
	uint64_t t0;
	bool shown;
} line;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void clear_line(void)
{
	if (!line.shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	line.shown = false;
}

static void before_trace(mg_runtime *rt, void *ud)
{
	(void)rt;
	(void)ud;
	clear_line();
}

static void redraw(mg_runtime *rt, uint64_t safepoints, void *ud)
{
	(void)ud;
	mg_stats st;
	mg_read_stats(rt, &st);
	double secs = (double)(now_ns() - line.t0) / 1e9;
	char pct[16] = "";
	if (line.ops)
		snprintf(pct, sizeof pct, " (%.0f%%)", 100.0 * (double)safepoints / (double)line.ops);
	fprintf(stderr, "\r%s: %" PRIu64 " ops%s, %.0f ops/s, %" PRIu64 " gc cycles, heap %.1f MB\033[K",
	        line.workload, safepoints, pct, secs > 0 ? (double)safepoints / secs : 0.0, st.cycles,
	        (double)st.heap_inuse / (1 << 20));
	fflush(stderr);
	line.shown = true;
}

void stress_progress_attach(mg_runtime *rt, const char *workload, uint64_t ops)
{
	const char *force = getenv("MAPGC_PROGRESS");
	bool on = force ? strcmp(force, "1") == 0 : isatty(STDERR_FILENO);
	if (!on)
		return;
	line.workload = workload;
	line.ops = ops;
	line.t0 = now_ns();
	line.shown = false;
	mg_set_trace_hook(rt, before_trace, NULL);
	mg_set_progress(rt, redraw, NULL, PROGRESS_INTERVAL_NS);
}

void stress_progress_detach(mg_runtime *rt)
{
	clear_line();
	mg_set_progress(rt, NULL, NULL, 0);
	mg_set_trace_hook(rt, NULL, NULL);
}
