/*
 * stress_compare.c — `mapgc stress WORKLOAD --compare-barriers` (what it
 * prints and why each run is a child process: stress_compare.h).
 */
#include "stress_compare.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

/* X(name, barrier, stop the world): the runs, in table order. */
#define COMPARE_RUN_LIST(X) \
	X("hybrid", MG_WB_HYBRID, false) \
	X("yuasa", MG_WB_YUASA, false) \
	X("dijkstra", MG_WB_DIJKSTRA, false) \
	X("stw", MG_WB_HYBRID, true)

static const struct compare_run {
	const char *name;
	mg_barrier wb;
	bool stw;
} compare_runs[] = {
#define COMPARE_X_RUN(name, wb, stw) {name, wb, stw},
	COMPARE_RUN_LIST(COMPARE_X_RUN)
#undef COMPARE_X_RUN
};

enum { COMPARE_NRUNS = sizeof compare_runs / sizeof compare_runs[0] };

/* A child's report, in memory the parent shares. */
typedef struct compare_slot {
	bool done;               /* the child got to the end of its run */
	stress_outcome out;
} compare_slot;

/* The run in the child: never returns. */
static void compare_child(const stress_workload *w, const stress_params *p, const mg_config *cfg,
		const struct compare_run *r, compare_slot *slot)
{
	/* What a workload prints about itself is the same in every run (and
	 * in the plain run): the table's rows are what the comparison adds. */
	int devnull = open("/dev/null", O_WRONLY);
	if (devnull >= 0) {
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	stress_run_once(w, p, cfg, &slot->out);
	const char *skew = getenv("MAPGC_TEST_COMPARE_SKEW");
	if (skew != NULL && strcmp(skew, r->name) == 0)
		slot->out.res.checksum ^= 1;
	slot->done = true;
	fflush(NULL);
	_exit(CLI_EXIT_OK);
}

/* Forks the run and waits for it.  Returns -1 when the run completed,
 * else the exit status the comparison ends with. */
static int compare_exec(const stress_workload *w, const stress_params *p, const mg_config *cfg,
		const struct compare_run *r, compare_slot *slot)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("stress", "--compare-barriers: fork for the %s run: %s", r->name, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	if (pid == 0)
		compare_child(w, p, cfg, r, slot);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			cli_error("stress", "--compare-barriers: waiting for the %s run: %s", r->name, strerror(errno));
			return CLI_EXIT_FAIL;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == CLI_EXIT_OK && slot->done)
		return -1;
	fflush(stdout);
	if (WIFSIGNALED(status)) {
		cli_error("stress", "--compare-barriers: the %s run was killed by signal %d (%s)", r->name,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
		return CLI_EXIT_FAIL;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : CLI_EXIT_FAIL;
	cli_error("stress", "--compare-barriers: the %s run failed (exit status %d)", r->name, code);
	/* 2 is a fatal error in the runtime, whose status the command keeps. */
	return code == CLI_EXIT_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

static void compare_header(const stress_workload *w, const stress_params *p, const mg_config *base)
{
	char gogc[16];
	if (base->gogc == MG_GOGC_OFF)
		snprintf(gogc, sizeof gogc, "off");
	else
		snprintf(gogc, sizeof gogc, "%d", base->gogc);
	/* base->procs is --procs or MAPGC_PROCS (already checked), else 0:
	 * each run resolves 0 as mg_open does. */
	int procs = base->procs > 0 ? base->procs : mg_procs_default();
	printf("compare-barriers: %s seed=%" PRIu64 " ops=%" PRIu64 " live=%" PRIu64 " gogc=%s procs=%d,"
		" wbtrace=1, one process per run\n", w->name, p->seed, p->ops, p->live, gogc, procs);
	printf("%-9s %8s %6s %10s %12s %10s %10s %10s %10s %9s %11s  %s\n", "run", "wall_s", "cycles",
		"stw_max_us", "slice_max_us", "gc_cpu_pct", "slow", "shaded_old", "shaded_new", "rescan_kb",
		"floating_kb", "checksum");
}

static void compare_row(const struct compare_run *r, const stress_outcome *o)
{
	const mg_stats *st = &o->st;
	/* The re-marks measure; they are not the workload's time or the
	 * collector's work (and gc_cpu_ns already leaves them out). */
	uint64_t wall = o->wall_ns > st->wbtrace_wall_ns ? o->wall_ns - st->wbtrace_wall_ns : 0;
	uint64_t cpu = o->cpu_ns > st->wbtrace_cpu_ns ? o->cpu_ns - st->wbtrace_cpu_ns : 0;
	printf("%-9s %8.3f %6" PRIu64 " %10.1f %12.1f %10.1f %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		" %9.1f %11.1f  %016" PRIx64 "\n",
		r->name, (double)wall / 1e9, st->cycles, (double)st->pause_max_ns / 1e3,
		(double)st->mark_slice_max_ns / 1e3, cpu > 0 ? 100.0 * (double)st->gc_cpu_ns / (double)cpu : 0.0,
		st->wb.slow, st->wb.shaded_old, st->wb.shaded_new, (double)st->wb.rescan_bytes / 1024.0,
		(double)st->wb.floating_bytes / 1024.0, o->res.checksum);
}

int stress_compare(const stress_workload *w, const stress_params *p, const mg_config *base, bool keep_trace)
{
	compare_slot *slots = mmap(NULL, COMPARE_NRUNS * sizeof *slots, PROT_READ | PROT_WRITE,
		MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED) {
		cli_error("stress", "--compare-barriers: mmap: %s", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	FILE *devnull = NULL;
	mg_config cfg = *base;
	cfg.wbtrace = 1;
	if (!keep_trace) {
		devnull = fopen("/dev/null", "w");
		if (devnull == NULL) {
			cli_error("stress", "--compare-barriers: /dev/null: %s", strerror(errno));
			munmap(slots, COMPARE_NRUNS * sizeof *slots);
			return CLI_EXIT_FAIL;
		}
		cfg.trace = devnull;
	}

	compare_header(w, p, base);
	int status = -1;
	size_t ran = 0;
	for (; ran < COMPARE_NRUNS && status < 0; ran++) {
		const struct compare_run *r = &compare_runs[ran];
		cfg.wb = r->wb;
		cfg.stoptheworld = r->stw;
		memset(&slots[ran], 0, sizeof slots[ran]);
		status = compare_exec(w, p, &cfg, r, &slots[ran]);
		if (status < 0)
			compare_row(r, &slots[ran].out);
		fflush(stdout);
	}
	if (status < 0) {
		printf("(wall_s and gc_cpu_pct leave out wbtrace's re-marks; rescan_kb and floating_kb are totals"
			" over the cycles, in KiB)\n");
		for (size_t i = 1; i < COMPARE_NRUNS && status < 0; i++) {
			uint64_t a = slots[0].out.res.checksum, b = slots[i].out.res.checksum;
			if (a == b)
				continue;
			fflush(stdout);
			cli_error("stress", "--compare-barriers: checksums differ: %s gave %016" PRIx64 ", %s %016" PRIx64
				"; every run must give the same (a collector bug, or a workload that depends on the"
				" collector)", compare_runs[0].name, a, compare_runs[i].name, b);
			status = CLI_EXIT_FAIL;
		}
	}
	if (status < 0)
		status = stress_result_line(w, p, slots[0].out.res.checksum);
	if (devnull != NULL)
		fclose(devnull);
	munmap(slots, COMPARE_NRUNS * sizeof *slots);
	return status;
}
