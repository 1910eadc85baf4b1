/*
 * stress_soak.c — `mapgc stress --soak DURATION` (interface and output:
 * stress_soak.h).
 *
 * Why child processes: a soak is only worth its hours if a failure in
 * round 500 is reported as well as one in round 1.  Each run forks and
 * calls stress_main with the command line it will print for repetition, so
 * a segfault, an abort or a hang in the runtime ends only the child; the
 * parent reads the child's stdout (summary and result line) and the tail
 * of its stderr from temporary files, and kills a child past the timeout.
 */
#include "stress_soak.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Rotation lists.  GOGC from the default down to a collector running
 * almost all the time; mark slices from the default down to a few objects. */
static const mg_barrier soak_barriers[] = {MG_WB_HYBRID, MG_WB_YUASA, MG_WB_DIJKSTRA};
static const int soak_gogc[] = {100, 50, 25, 10};
static const unsigned soak_slices[] = {0, 4096, 256};   /* 0: the default slice */

enum { SOAK_NBARRIERS = sizeof soak_barriers / sizeof soak_barriers[0] };

static uint64_t soak_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

bool stress_parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{"ms", UINT64_C(1000000)}, {"h", UINT64_C(3600000000000)},
		{"m", UINT64_C(60000000000)}, {"s", UINT64_C(1000000000)},
	};
	const uint64_t max = UINT64_C(30) * 24 * 3600 * UINT64_C(1000000000);
	uint64_t total = 0;
	const char *p = s;

	if (*p == '\0')
		return false;
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			return false;
		uint64_t v = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (uint64_t)(*p - '0');
			if (v > max)
				return false;
		}
		uint64_t mul = 0;
		if (*p == '\0' && p != s && total == 0) {
			mul = UINT64_C(1000000000);   /* a bare number: seconds */
		} else {
			for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
				size_t n = strlen(units[i].unit);
				if (strncmp(p, units[i].unit, n) == 0) {
					mul = units[i].ns;
					p += n;
					break;
				}
			}
		}
		if (mul == 0 || v > max / mul || total + v * mul > max)
			return false;
		total += v * mul;
	}
	if (total < UINT64_C(1000000))
		return false;
	*ns = total;
	return true;
}

/* ---- one run in a child ---------------------------------------------------- */

typedef struct soak_run {
	char debug[512];          /* MAPGC_DEBUG for the child; "" unsets it */
	char args[12][32];        /* the stress command line, without "mapgc" */
	int argc;
	/* results */
	bool ok;                  /* exit 0 with a result line */
	uint64_t checksum;
	uint64_t cycles;
	double secs;
	char reason[512];         /* when !ok */
} soak_run;

static void soak_arg(soak_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void soak_arg(soak_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->args[r->argc++], sizeof r->args[0], fmt, ap);
	va_end(ap);
}

/* The command that repeats the run, as a shell line. */
static void soak_command(const soak_run *r, char *buf, size_t n)
{
	FILE *f = fmemopen(buf, n, "w");
	if (!f) {
		snprintf(buf, n, "(fmemopen failed)");
		return;
	}
	if (r->debug[0] != '\0')
		fprintf(f, "MAPGC_DEBUG='%s' ", r->debug);
	fputs("mapgc stress", f);
	for (int i = 0; i < r->argc; i++)
		fprintf(f, " %s", r->args[i]);
	fclose(f);
}

/* The last non-empty line of f that starts with one of Go's failure words,
 * else its last line, into buf. */
static void soak_stderr_reason(FILE *f, char *buf, size_t n)
{
	char line[512], last[512] = "", fatal[512] = "";
	rewind(f);
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		snprintf(last, sizeof last, "%s", line);
		if (fatal[0] == '\0' && (strncmp(line, "fatal error:", 12) == 0 || strncmp(line, "panic:", 6) == 0))
			snprintf(fatal, sizeof fatal, "%s", line);
	}
	snprintf(buf, n, "%s", fatal[0] ? fatal : last[0] ? last : "(no output on stderr)");
}

static void soak_exec(soak_run *r)
{
	FILE *out = tmpfile(), *err = tmpfile();
	r->ok = false;
	if (!out || !err) {
		snprintf(r->reason, sizeof r->reason, "tmpfile: %s", strerror(errno));
		goto done;
	}
	static char name[] = "stress";
	char *argv[16];
	argv[0] = name;
	for (int i = 0; i < r->argc; i++)
		argv[i + 1] = r->args[i];
	argv[r->argc + 1] = NULL;

	fflush(stdout);
	fflush(stderr);
	uint64_t t0 = soak_now();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(r->reason, sizeof r->reason, "fork: %s", strerror(errno));
		goto done;
	}
	if (pid == 0) {
		if (r->debug[0] != '\0')
			setenv("MAPGC_DEBUG", r->debug, 1);
		else
			unsetenv("MAPGC_DEBUG");
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		int rc = stress_main(r->argc + 1, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
	int status = 0;
	bool hung = false;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(r->reason, sizeof r->reason, "waitpid: %s", strerror(errno));
			goto done;
		}
		if (soak_now() - t0 > (uint64_t)STRESS_SOAK_RUN_TIMEOUT_S * UINT64_C(1000000000)) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			hung = true;
			break;
		}
		struct timespec nap = {0, 2000000};   /* 2 ms: negligible next to a run */
		nanosleep(&nap, NULL);
	}
	r->secs = (double)(soak_now() - t0) / 1e9;

	/* The summary's cycles and the result line's checksum. */
	char line[512];
	bool have_result = false;
	rewind(out);
	while (fgets(line, sizeof line, out)) {
		uint64_t v;
		if (sscanf(line, "gc cycles %" SCNu64, &v) == 1)
			r->cycles = v;
		const char *ck = strstr(line, " checksum=");
		if (strncmp(line, "result ", 7) == 0 && ck && sscanf(ck, " checksum=%" SCNx64, &v) == 1) {
			r->checksum = v;
			have_result = true;
		}
	}
	char why[400];
	if (hung) {
		snprintf(r->reason, sizeof r->reason, "no exit after %d s (hung), killed", STRESS_SOAK_RUN_TIMEOUT_S);
	} else if (WIFSIGNALED(status)) {
		soak_stderr_reason(err, why, sizeof why);
		snprintf(r->reason, sizeof r->reason, "killed by signal %d (%s); stderr: %s", WTERMSIG(status),
		         strsignal(WTERMSIG(status)), why);
	} else if (WEXITSTATUS(status) != 0) {
		soak_stderr_reason(err, why, sizeof why);
		snprintf(r->reason, sizeof r->reason, "exit status %d: %s", WEXITSTATUS(status), why);
	} else if (!have_result) {
		snprintf(r->reason, sizeof r->reason, "exit status 0 but no result line on stdout");
	} else {
		r->ok = true;
	}
done:
	if (out)
		fclose(out);
	if (err)
		fclose(err);
}

/* ---- the soak ---------------------------------------------------------------- */

/* The caller's MAPGC_DEBUG with extra settings after it (later keys win). */
static void soak_debug(char *buf, size_t n, const char *base, const char *extra)
{
	if (base && *base && extra && *extra)
		snprintf(buf, n, "%s,%s", base, extra);
	else
		snprintf(buf, n, "%s", base && *base ? base : extra ? extra : "");
}

int stress_soak(const stress_workload *const *workloads, size_t n, const stress_soak_plan *plan)
{
	const char *base = getenv("MAPGC_DEBUG");
	stress_rng rng = {plan->seed};
	uint64_t t0 = soak_now(), deadline = t0 + plan->duration_ns;

	printf("soak: %.0f s, soak seed %" PRIu64 ", %s, MAPGC_DEBUG='%s' plus gccheckmark=1\n",
	       (double)plan->duration_ns / 1e9, plan->seed, plan->only ? plan->only->name : "all workloads",
	       base ? base : "");
	fflush(stdout);
	uint64_t round = 0;
	while (soak_now() < deadline) {
		const stress_workload *w = plan->only ? plan->only : workloads[round % n];
		if (w->misuse && !plan->only) { /* it fails on purpose */
			round++;
			continue;
		}
		/* Barriers rotate once per pass over the workloads, so every
		 * (workload, barrier) pair comes up within 3 passes. */
		mg_barrier wb = soak_barriers[(plan->only ? round : round / n) % SOAK_NBARRIERS];
		round++;
		uint64_t seed = stress_rng_next(&rng);
		int gogc = soak_gogc[stress_rng_below(&rng, sizeof soak_gogc / sizeof soak_gogc[0])];
		unsigned slice = soak_slices[stress_rng_below(&rng, sizeof soak_slices / sizeof soak_slices[0])];
		/* An eighth to three eighths of the default run: rounds of seconds. */
		uint64_t ops = w->default_ops / 8 * (1 + stress_rng_below(&rng, 3));

		soak_run ref = {0}, run = {0};
		soak_debug(ref.debug, sizeof ref.debug, base, NULL);
		soak_arg(&ref, "%s", w->name);
		soak_arg(&ref, "--seed");
		soak_arg(&ref, "%" PRIu64, seed);
		soak_arg(&ref, "--ops");
		soak_arg(&ref, "%" PRIu64, ops);
		soak_arg(&ref, "--live");
		soak_arg(&ref, "%" PRIu64, w->default_live);
		run = ref;
		soak_arg(&ref, "--gogc");
		soak_arg(&ref, "off");
		char extra[64];
		if (slice)
			snprintf(extra, sizeof extra, "gccheckmark=1,gcslice=%u", slice);
		else
			snprintf(extra, sizeof extra, "gccheckmark=1");
		soak_debug(run.debug, sizeof run.debug, base, extra);
		soak_arg(&run, "--gogc");
		soak_arg(&run, "%d", gogc);
		soak_arg(&run, "--barrier");
		soak_arg(&run, "%s", mg_barrier_name(wb));

		soak_exec(&ref);
		soak_run *bad = ref.ok ? NULL : &ref;
		if (!bad) {
			soak_exec(&run);
			if (!run.ok)
				bad = &run;
			else if (run.checksum != ref.checksum)
				snprintf((bad = &run)->reason, sizeof run.reason,
				         "checksum %016" PRIx64 ", the collection-free run (--gogc off) gave %016" PRIx64,
				         run.checksum, ref.checksum);
		}
		printf("soak round %" PRIu64 ": workload=%s seed=%" PRIu64 " barrier=%s gogc=%d gcslice=%u ops=%" PRIu64
		       " secs=%.2f cycles=%" PRIu64 " checksum=%016" PRIx64 " %s\n",
		       round, w->name, seed, mg_barrier_name(wb), gogc, slice, ops, ref.secs + run.secs, run.cycles,
		       run.checksum, bad ? "FAILED" : "ok");
		if (bad) {
			char cmd[1024];
			soak_command(bad, cmd, sizeof cmd);
			printf("soak FAILED in round %" PRIu64 ": %s\n", round, bad->reason);
			printf("soak: to repeat: %s\n", cmd);
			fflush(stdout);
			return CLI_EXIT_FAIL;
		}
		fflush(stdout);
	}
	printf("soak ok: %" PRIu64 " rounds in %.1f s, 0 failures\n", round, (double)(soak_now() - t0) / 1e9);
	fflush(stdout);
	return CLI_EXIT_OK;
}
