/*
 * reach_run.c — running a workload for `mapgc reach --run` (reach_run.h).
 */
#include "reach_run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gc/gc.h"
#include "runtime/rt.h"
#include "stress.h"

static const stress_workload *const rrun_workloads[] = {
#define RRUN_X_ENTRY(id) &stress_workload_##id,
	STRESS_WORKLOAD_LIST(RRUN_X_ENTRY)
#undef RRUN_X_ENTRY
};
enum { RRUN_NWORKLOADS = sizeof rrun_workloads / sizeof rrun_workloads[0] };

static const stress_workload *
rrun_find(const char *name)
{
	for (size_t i = 0; i < RRUN_NWORKLOADS; i++)
		if (strcmp(rrun_workloads[i]->name, name) == 0)
			return rrun_workloads[i];
	return NULL;
}

bool
rrun_workload_exists(const char *name)
{
	return rrun_find(name) != NULL;
}

void
rrun_list_names(FILE *out)
{
	for (size_t i = 0; i < RRUN_NWORKLOADS; i++)
		fprintf(out, " %s", rrun_workloads[i]->name);
}

/* What the cycle hook does in one run. */
typedef struct rrun_hook {
	const char *path;       /* NULL: count cycles only */
	uint64_t from, to;      /* write at cycles in [from, to] */
	uint64_t written;       /* last cycle written, 0 none */
	int write_errno;        /* first failure */
} rrun_hook;

static void
rrun_on_cycle(mg_runtime *rt, rt_cycle_event ev, uint32_t cycle, void *ud)
{
	rrun_hook *h = ud;

	if (ev != RT_CYCLE_MARK_DONE || h->path == NULL || cycle < h->from || cycle > h->to)
		return;
	if (gc_snapshot_write(rt, h->path, NULL) != 0) {
		if (h->write_errno == 0)
			h->write_errno = errno ? errno : EIO;
		return;
	}
	h->written = cycle;
}

typedef struct rrun_escape {
	jmp_buf jb;
	mg_failure kind;
} rrun_escape;

static void
rrun_on_failure(void *ud, mg_failure kind, const char *msg)
{
	rrun_escape *e = ud;

	(void)msg;   /* printed by the runtime */
	e->kind = kind;
	longjmp(e->jb, 1);
}

/* A failed runtime may only be closed (mapgc.h), and closing it after a
 * longjmp out of the middle of an operation is not safe either: it is
 * kept here, reachable, so LeakSanitizer does not call it a leak. */
static mg_runtime *rrun_failed_runtime;

/* One run of the workload with the hook.  Returns 0, or 2 after a fatal
 * error; *cycles gets the cycles it completed. */
static int
rrun_once(const stress_workload *w, const mg_config *cfg0, const stress_params *sp, rrun_hook *hook,
	uint64_t *cycles)
{
	static rrun_escape escape;   /* static: untouched by longjmp */
	mg_config cfg = *cfg0;
	int saved = -1, devnull;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && devnull >= 0)
		dup2(devnull, STDOUT_FILENO);
	if (devnull >= 0)
		close(devnull);

	mg_runtime *rt = mg_open(&cfg);
	rt_cycle_hook_add(rt, rrun_on_cycle, hook);
	mg_set_failure_handler(rt, rrun_on_failure, &escape);
	volatile int status = 0;
	if (setjmp(escape.jb) != 0) {
		rrun_failed_runtime = rt;
		status = 2;
	} else {
		w->run(rt, sp);
		mg_stats st;
		mg_read_stats(rt, &st);
		*cycles = st.cycles;
		mg_close(rt);
	}
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	return status;
}

/* A seed nobody chose, as `mapgc stress` draws it. */
static uint64_t
rrun_clock_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
	return stress_mix64(ns ^ ((uint64_t)getpid() << 32));
}

int
rrun_run(const rrun_params *p, rrun_result *res, char *err, size_t errlen)
{
	const stress_workload *w = rrun_find(p->workload);
	mg_config cfg;

	if (w == NULL) {
		snprintf(err, errlen, "unknown workload '%s'", p->workload);
		return 1;
	}
	mg_config_default(&cfg);
	mg_config_from_env(&cfg);
	if (p->has_gogc)
		cfg.gogc = p->gogc;
	cfg.heapdump = 0;   /* the hook writes the snapshot; no stray heapdump files */
	stress_params sp = {
		.seed = p->has_seed ? p->seed : cfg.seed_set ? cfg.seed : rrun_clock_seed(),
		.ops = p->has_ops ? p->ops : w->default_ops,
		.live = p->has_live ? p->live : w->default_live,
	};
	if (!cfg.seed_set) {
		cfg.seed = sp.seed;
		cfg.seed_set = true;
	}
	cfg.ignore_env = true;
	res->seed = sp.seed;
	res->ops = sp.ops;
	res->live = sp.live;

	rrun_hook hook = {.path = p->json_path};
	uint64_t cycles = 0;
	if (p->has_cycle) {
		hook.from = hook.to = p->cycle;
	} else {
		rrun_hook count = {0};
		if (rrun_once(w, &cfg, &sp, &count, &cycles) != 0)
			return 2;
		if (cycles == 0) {
			snprintf(err, errlen, "%s ran no GC cycle with --ops %" PRIu64 " --live %" PRIu64
				"; give more --ops or a lower --gogc", w->name, sp.ops, sp.live);
			return 1;
		}
		hook.from = cycles > RRUN_LAST_WINDOW ? cycles - RRUN_LAST_WINDOW + 1 : 1;
		hook.to = UINT64_MAX;
	}
	if (rrun_once(w, &cfg, &sp, &hook, &cycles) != 0)
		return 2;
	if (hook.write_errno != 0) {
		snprintf(err, errlen, "cannot write the snapshot %s: %s", p->json_path, strerror(hook.write_errno));
		return 1;
	}
	if (hook.written == 0) {
		if (p->has_cycle)
			snprintf(err, errlen, "%s ran only %" PRIu64 " GC cycles: there is no cycle %" PRIu64
				" (seed %" PRIu64 ")", w->name, cycles, p->cycle, sp.seed);
		else
			snprintf(err, errlen, "%s ran %" PRIu64 " GC cycles this time, fewer than the %" PRIu64
				" it needed to reach its last cycles; try --cycle N (seed %" PRIu64 ")", w->name, cycles,
				hook.from, sp.seed);
		return 1;
	}
	res->cycles = cycles;
	res->cycle = hook.written;
	return 0;
}
