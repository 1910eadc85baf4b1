/*
 * stress.c — the `mapgc stress` driver (workload interface: stress.h).
 *
 * A run, in order:
 *  1. parse the command line; any usage error exits 2 before the runtime
 *     is touched;
 *  2. build the config: mg_config_default, then mg_config_from_env
 *     (MAPGC_DEBUG, MAPGC_GOGC, MAPGC_MEMLIMIT, MAPGC_PROCS), then the
 *     command-line options on top, then ignore_env so mg_open does not
 *     re-apply the environment over the options (so --procs N wins over
 *     an inherited MAPGC_PROCS, as --gogc over MAPGC_GOGC; DESIGN.md §7's
 *     "--procs N sets MAPGC_PROCS" is meant in that sense: the same effect
 *     for this run, and for each child run of --compare-barriers, which
 *     get this config);
 *  3. choose the seed (--seed, else MAPGC_DEBUG's seed=, else one derived
 *     from the clock and pid), print `seed N` and flush, so that even a run
 *     that dies in the runtime has told how to repeat it; when MAPGC_DEBUG
 *     fixed no map seed, the workload seed fixes it too;
 *  4. run the workload, read mg_stats, close the runtime;
 *  5. print the summary (and, with --stats-json PATH, the same figures as
 *     one JSON object in PATH, for scripts: tools/bench/bench.sh) and, as
 *     the last line on stdout, `result WORKLOAD seed=N ops=N checksum=16HEX`.
 *
 * --backend boehm runs the same workload on libgc (gc/boehm.c); the
 * checksum must not change (DESIGN.md §7, §8).
 *
 * A fatal error in the runtime prints its message and reaches our failure
 * handler, which jumps back here to add the seed to stderr and exit 2 (the
 * status an unhandled fatal error has, DESIGN.md §4).
 */
#include "stress.h"
#include "stress_progress.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "stress_compare.h" /* --compare-barriers: stress_compare.h */
#include "stress_soak.h"   /* --soak DURATION: stress_soak.h */

static const stress_workload *const stress_workloads[] = {
#define STRESS_X_ENTRY(id) &stress_workload_##id,
	STRESS_WORKLOAD_LIST(STRESS_X_ENTRY)
#undef STRESS_X_ENTRY
};

enum { STRESS_NWORKLOADS = sizeof stress_workloads / sizeof stress_workloads[0] };

/* Upper bound for --ops and --live: far beyond any run that finishes, and
 * low enough that a workload may multiply either by an object size or a
 * small constant without overflowing 64 bits. */
#define STRESS_MAX_COUNT (UINT64_C(1) << 40)
/* --threads: a few per CPU of any machine this runs on. */
#define STRESS_MAX_THREADS 64

/* What the command line asked for; "has_" fields say an option was given. */
typedef struct stress_opts {
	const stress_workload *workload;
	bool list;
	bool help;
	bool has_seed, has_ops, has_live, has_gogc, has_barrier, has_procs, has_threads;
	bool has_soak;           /* --soak DURATION: rounds until the deadline */
	bool compare;            /* --compare-barriers: one run per barrier and one stopped */
	uint64_t soak_ns;
	uint64_t seed, ops, live;
	int gogc;
	int procs;               /* --procs: 1..MG_PROCS_MAX */
	uint64_t threads;        /* --threads: 1..STRESS_MAX_THREADS */
	mg_barrier barrier;
	mg_backend backend;
	const char *trace_file;
	const char *stats_json;
} stress_opts;

void
stress_usage(FILE *out, bool full)
{
	fputs("usage: mapgc stress --list\n"
	      "       mapgc stress WORKLOAD [--seed N] [--ops N] [--live N] [--gogc N|off]\n"
	      "                    [--procs N] [--threads N] [--barrier hybrid|yuasa|dijkstra|none]\n"
	      "                    [--backend mapgc|boehm] [--trace-file PATH]\n"
	      "                    [--stats-json PATH]\n"
	      "       mapgc stress WORKLOAD --compare-barriers [--seed N] [--ops N] [--live N]\n"
	      "                    [--gogc N|off] [--procs N] [--trace-file PATH]\n"
	      "       mapgc stress --soak DURATION [--seed N] [WORKLOAD]\n", out);
	if (!full)
		return;
	fputs("\n"
	      "Run a built-in stress workload and print a summary; the last line is\n"
	      "  result WORKLOAD seed=N ops=N checksum=HEX16\n"
	      "where the checksum depends only on the workload, seed, ops and live.\n"
	      "\n"
	      "  --list              list the workloads with their descriptions\n"
	      "  --seed N            seed for the workload (default: from MAPGC_DEBUG\n"
	      "                      seed=, else from the clock and pid; always printed)\n"
	      "  --ops N             operations after setup (default: per workload)\n"
	      "  --live N            size of the live set (default: per workload)\n"
	      "  --gogc N|off        GC percent, overrides MAPGC_GOGC\n"
	      "  --procs N           Ps, like GOMAXPROCS (1..256), overrides MAPGC_PROCS\n"
	      "                      (default: the CPUs this process may run on)\n"
	      "  --threads N         mutator threads (1..64, default 1; not for graph): each\n"
	      "                      runs the workload on its own maps with seed+i, and all\n"
	      "                      share two maps and an iterator under a lock; the\n"
	      "                      checksum depends on N, not on the interleaving\n"
	      "  --barrier MODE      write barrier, overrides MAPGC_DEBUG wb=\n"
	      "  --backend NAME      collector: mapgc (default) or boehm (libgc)\n"
	      "  --trace-file PATH   write gctrace/maptrace lines to PATH, not stderr\n"
	      "  --stats-json PATH   also write the summary's figures to PATH as JSON\n"
	      "  --compare-barriers  run the workload once per barrier (hybrid, yuasa,\n"
	      "                      dijkstra) and once with gcstoptheworld=1, each in its\n"
	      "                      own process with wbtrace=1, and print one row per run:\n"
	      "                      wall time, longest pause and mark slice, GC CPU, what\n"
	      "                      the barrier did and the checksum (all must agree, else\n"
	      "                      exit 1); trace lines go to --trace-file, or to stderr\n"
	      "                      when MAPGC_DEBUG asks for gctrace, maptrace or wbtrace\n"
	      "  --soak DURATION     until DURATION (30s, 10m, 1h) has passed, run rounds\n"
	      "                      rotating workloads (or just WORKLOAD), seeds, barriers,\n"
	      "                      GOGC and mark slices with gccheckmark=1, each checked\n"
	      "                      against a --gogc off run; one line per round, and the\n"
	      "                      command that repeats the first failure (exit 1)\n"
	      "\n"
	      "Workloads:", out);
	for (size_t i = 0; i < STRESS_NWORKLOADS; i++)
		fprintf(out, " %s", stress_workloads[i]->name);
	fputc('\n', out);
}

/* Report a usage error: message, short usage; returns the exit status. */
static int stress_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int
stress_usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("mapgc stress: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	stress_usage(stderr, false);
	return CLI_EXIT_USAGE;
}

static const stress_workload *
stress_find(const char *name)
{
	for (size_t i = 0; i < STRESS_NWORKLOADS; i++)
		if (strcmp(stress_workloads[i]->name, name) == 0)
			return stress_workloads[i];
	return NULL;
}

static void
stress_list(FILE *out)
{
	for (size_t i = 0; i < STRESS_NWORKLOADS; i++) {
		const stress_workload *w = stress_workloads[i];
		if (i > 0)
			fputc('\n', out);
		if (w->misuse)
			fprintf(out, "%s  (a misuse on purpose: ends in a fatal error; default --ops %" PRIu64 ")\n",
				w->name, w->default_ops);
		else
			fprintf(out, "%s  (default --ops %" PRIu64 " --live %" PRIu64 ")\n",
				w->name, w->default_ops, w->default_live);
		cli_print_paragraph(out, 4, w->description);
	}
}

/* The options, for the parser's table. */
#define STRESS_OPTION_LIST(X) \
	X(LIST, "--list", false) \
	X(SEED, "--seed", true) \
	X(OPS, "--ops", true) \
	X(LIVE, "--live", true) \
	X(GOGC, "--gogc", true) \
	X(PROCS, "--procs", true) \
	X(THREADS, "--threads", true) \
	X(BARRIER, "--barrier", true) \
	X(BACKEND, "--backend", true) \
	X(TRACE_FILE, "--trace-file", true) \
	X(STATS_JSON, "--stats-json", true) \
	X(COMPARE, "--compare-barriers", false) \
	X(SOAK, "--soak", true)

typedef enum stress_option {
#define STRESS_X_ENUM(id, name, takes_value) STRESS_OPT_##id,
	STRESS_OPTION_LIST(STRESS_X_ENUM)
#undef STRESS_X_ENUM
	STRESS_OPT_COUNT
} stress_option;

static const struct {
	const char *name;
	bool takes_value;
} stress_options[STRESS_OPT_COUNT] = {
#define STRESS_X_ENTRY(id, name, takes_value) [STRESS_OPT_##id] = { name, takes_value },
	STRESS_OPTION_LIST(STRESS_X_ENTRY)
#undef STRESS_X_ENTRY
};

/* Store one option's value into *o.  Returns -1, or the exit status of a
 * usage error. */
static int
stress_apply_option(stress_opts *o, stress_option opt, const char *v)
{
	switch (opt) {
	case STRESS_OPT_LIST:
		o->list = true;
		break;
	case STRESS_OPT_SEED:
		if (!cli_parse_u64(v, 0, UINT64_MAX, &o->seed))
			return stress_usage_error("bad --seed '%s' (want 0..18446744073709551615)", v);
		o->has_seed = true;
		break;
	case STRESS_OPT_OPS:
		if (!cli_parse_u64(v, 0, STRESS_MAX_COUNT, &o->ops))
			return stress_usage_error("bad --ops '%s' (want 0..2^40)", v);
		o->has_ops = true;
		break;
	case STRESS_OPT_LIVE:
		if (!cli_parse_u64(v, 1, STRESS_MAX_COUNT, &o->live))
			return stress_usage_error("bad --live '%s' (want 1..2^40)", v);
		o->has_live = true;
		break;
	case STRESS_OPT_GOGC:
		if (!mg_parse_gogc(v, &o->gogc))
			return stress_usage_error("bad --gogc '%s' (want a percentage or off)", v);
		o->has_gogc = true;
		break;
	case STRESS_OPT_PROCS:
		if (!mg_parse_procs(v, &o->procs))
			return stress_usage_error("bad --procs '%s' (want a number of Ps, 1 to %d)", v, MG_PROCS_MAX);
		o->has_procs = true;
		break;
	case STRESS_OPT_THREADS:
		if (!cli_parse_u64(v, 1, STRESS_MAX_THREADS, &o->threads))
			return stress_usage_error("bad --threads '%s' (want 1..%d)", v, STRESS_MAX_THREADS);
		o->has_threads = true;
		break;
	case STRESS_OPT_BARRIER:
		if (!mg_barrier_parse(v, &o->barrier))
			return stress_usage_error("bad --barrier '%s' (want hybrid, yuasa, dijkstra or none)", v);
		o->has_barrier = true;
		break;
	case STRESS_OPT_BACKEND:
		if (strcmp(v, "mapgc") == 0)
			o->backend = MG_BACKEND_MAPGC;
		else if (strcmp(v, "boehm") == 0)
			o->backend = MG_BACKEND_BOEHM;
		else
			return stress_usage_error("bad --backend '%s' (want mapgc or boehm)", v);
		break;
	case STRESS_OPT_TRACE_FILE:
		if (*v == '\0')
			return stress_usage_error("empty --trace-file");
		o->trace_file = v;
		break;
	case STRESS_OPT_STATS_JSON:
		if (*v == '\0')
			return stress_usage_error("empty --stats-json");
		o->stats_json = v;
		break;
	case STRESS_OPT_COMPARE:
		o->compare = true;
		break;
	case STRESS_OPT_SOAK:
		if (!stress_parse_duration(v, &o->soak_ns))
			return stress_usage_error("bad --soak '%s' (want a duration: 30s, 10m, 1h, 1h30m)", v);
		o->has_soak = true;
		break;
	case STRESS_OPT_COUNT:
		break;
	}
	return -1;
}

/* Parse argv into *o.  Returns -1 to go on and run, else the exit status
 * (0 after --help or --list, 2 after a usage error). */
static int
stress_parse(int argc, char **argv, stress_opts *o)
{
	bool options_done = false;

	memset(o, 0, sizeof *o);
	o->backend = MG_BACKEND_MAPGC;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			if (o->workload != NULL)
				return stress_usage_error("unexpected argument '%s'", arg);
			o->workload = stress_find(arg);
			if (o->workload == NULL)
				return stress_usage_error("unknown workload '%s' (see --list)", arg);
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			o->help = true;
			continue;
		}
		int opt = 0;
		cli_opt r = CLI_OPT_NO;
		const char *v = NULL;
		for (; opt < STRESS_OPT_COUNT; opt++) {
			r = cli_option(argc, argv, &i, stress_options[opt].name,
				stress_options[opt].takes_value, &v);
			if (r != CLI_OPT_NO)
				break;
		}
		if (r == CLI_OPT_NO)
			return stress_usage_error("unknown option '%s'", arg);
		if (r == CLI_OPT_BAD)
			return stress_usage_error(stress_options[opt].takes_value
				? "option '%s' needs a value" : "option '%s' takes no value", arg);
		int status = stress_apply_option(o, (stress_option)opt, v);
		if (status >= 0)
			return status;
	}
	if (o->help) {
		stress_usage(stdout, true);
		return CLI_EXIT_OK;
	}
	if (o->list) {
		if (o->workload != NULL)
			return stress_usage_error("--list takes no workload (got '%s')", o->workload->name);
		stress_list(stdout);
		return CLI_EXIT_OK;
	}
	if (o->has_soak) {
		/* The soak chooses everything but the seed (and the workload). */
		if (o->has_ops || o->has_live || o->has_gogc || o->has_barrier || o->has_procs || o->has_threads ||
		    o->trace_file != NULL ||
		    o->stats_json != NULL || o->backend != MG_BACKEND_MAPGC || o->compare)
			return stress_usage_error("--soak takes only --seed and an optional workload");
		if (o->workload != NULL && o->workload->misuse)
			return stress_usage_error("%s ends in a fatal error: it cannot soak", o->workload->name);
		return -1;
	}
	if (o->workload == NULL)
		return stress_usage_error("no workload given (see --list)");
	if (o->has_threads && o->threads > 1 && strcmp(o->workload->name, "graph") == 0)
		return stress_usage_error("graph runs on one thread: it takes no --threads");
	if (o->has_threads && o->threads > 1 && o->workload->misuse)
		return stress_usage_error("%s runs its own two threads: it takes no --threads", o->workload->name);
	if (o->compare && o->workload->misuse)
		return stress_usage_error("%s ends in a fatal error: there is nothing to compare", o->workload->name);
	/* The comparison chooses the barrier and the collector of each run. */
	if (o->compare && o->has_barrier)
		return stress_usage_error("--compare-barriers runs every barrier: it takes no --barrier");
	if (o->compare && o->backend != MG_BACKEND_MAPGC)
		return stress_usage_error("--compare-barriers compares mapgc's barriers: it takes no --backend boehm");
	if (o->compare && o->stats_json != NULL)
		return stress_usage_error("--compare-barriers prints a table: it takes no --stats-json");
	return -1;
}

/* A seed nobody chose: different for runs in the same nanosecond-ish window
 * on different processes, mixed so consecutive runs do not get near seeds. */
static uint64_t
stress_clock_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
	return stress_mix64(ns ^ ((uint64_t)getpid() << 32));
}

static uint64_t
stress_now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* The fatal-error escape: mg_failure_handler must not return (mapgc.h). */
typedef struct stress_escape {
	jmp_buf jb;
	mg_failure kind;
} stress_escape;

static void
stress_on_failure(void *ud, mg_failure kind, const char *msg)
{
	stress_escape *e = ud;

	(void)msg;   /* already printed by the runtime */
	e->kind = kind;
	longjmp(e->jb, 1);
}

/* GOGC as --gogc takes it. */
static void
stress_gogc_text(char *buf, size_t size, int gogc)
{
	if (gogc == MG_GOGC_OFF)
		snprintf(buf, size, "off");
	else
		snprintf(buf, size, "%d", gogc);
}

static double
stress_mb(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

static void
stress_summary(const stress_workload *w, const stress_params *p,
		const mg_config *cfg, const stress_result *res, const mg_stats *st,
		uint64_t wall_ns, uint64_t cpu_ns)
{
	char gogc[16];

	stress_gogc_text(gogc, sizeof gogc, cfg->gogc);
	printf("workload        %s\n", w->name);
	printf("seed            %" PRIu64 "\n", p->seed);
	printf("ops             %" PRIu64 "\n", p->ops);
	printf("live            %" PRIu64 " at start, %" PRIu64 " at end\n", p->live, res->live_end);
	printf("config          gogc=%s barrier=%s%s%s%s%s\n", gogc, mg_barrier_name(cfg->wb),
		cfg->stoptheworld ? " gcstoptheworld=1" : "",
		cfg->checkmark ? " gccheckmark=1" : "",
		cfg->heapcheck ? " heapcheck=1" : "",
		cfg->backend == MG_BACKEND_BOEHM ? " backend=boehm" : "");
	printf("procs           %d\n", cfg->procs);
	printf("threads         %" PRIu32 "\n", p->threads);
	printf("wall time       %.3f s\n", (double)wall_ns / 1e9);
	printf("gc cycles       %" PRIu64 " (%" PRIu64 " forced)\n", st->cycles, st->forced_cycles);
	printf("stw pause       total %.0f us, max %.0f us\n",
		(double)st->pause_total_ns / 1e3, (double)st->pause_max_ns / 1e3);
	printf("mark slices     %" PRIu64 ", longest %.0f us (%.0f us cpu)\n",
		st->mark_slices, (double)st->mark_slice_max_ns / 1e3, (double)st->mark_slice_max_cpu_ns / 1e3);
	printf("gc cpu          %.1f %% of process cpu\n",
		cpu_ns > 0 ? 100.0 * (double)st->gc_cpu_ns / (double)cpu_ns : 0.0);
	printf("heap            %.1f MB in use, %.1f MB marked, %.1f MB goal\n",
		stress_mb(st->heap_inuse), stress_mb(st->heap_marked), stress_mb(st->heap_goal));
	printf("allocated       %.1f MB total, %" PRIu64 " objects\n",
		stress_mb(st->total_alloc), st->total_objects);
	printf("freed           %" PRIu64 " objects\n", st->freed_objects);
}

/* --stats-json: the summary's figures, unrounded, as one JSON object (every
 * mg_stats field under its own name).  Returns false when PATH cannot be
 * written.  Names are fixed identifiers, so nothing needs escaping. */
static bool
stress_write_stats_json(const char *path, const stress_workload *w, const stress_params *p,
		const mg_config *cfg, const stress_result *res, const mg_stats *st,
		uint64_t wall_ns, uint64_t cpu_ns)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return false;
	char gogc[16];
	stress_gogc_text(gogc, sizeof gogc, cfg->gogc);
	fprintf(f, "{\"workload\": \"%s\", \"backend\": \"%s\", \"seed\": %" PRIu64
		", \"ops\": %" PRIu64 ", \"live\": %" PRIu64 ", \"live_end\": %" PRIu64
		", \"gogc\": \"%s\", \"barrier\": \"%s\", \"procs\": %d, \"threads\": %" PRIu32
		", \"checksum\": \"%016" PRIx64 "\""
		", \"wall_ns\": %" PRIu64 ", \"cpu_ns\": %" PRIu64,
		w->name, cfg->backend == MG_BACKEND_BOEHM ? "boehm" : "mapgc", p->seed, p->ops, p->live,
		res->live_end, gogc, mg_barrier_name(cfg->wb), cfg->procs, p->threads, res->checksum, wall_ns, cpu_ns);
#define STRESS_STATS_FIELDS(X) \
	X(cycles) X(forced_cycles) X(pause_total_ns) X(pause_max_ns) X(mark_slice_max_ns) \
	X(mark_slices) X(heap_inuse) X(heap_marked) X(heap_goal) X(heap_trigger) X(heap_mapped) \
	X(heap_released) X(gc_cpu_ns) X(assist_cpu_ns) X(background_cpu_ns) X(total_alloc) \
	X(total_objects) X(freed_objects) X(os_requests) X(mark_slice_max_cpu_ns) \
	X(wbtrace_wall_ns) X(wbtrace_cpu_ns) X(idle_cpu_ns) X(dedicated_cpu_ns) X(fractional_cpu_ns) \
	X(mutator_mark_cpu_ns) X(worker_mark_cpu_ns) X(mark_done_restarts) X(p_yields)
#define STRESS_X_FIELD(name) fprintf(f, ", \"" #name "\": %" PRIu64, (uint64_t)st->name);
	STRESS_STATS_FIELDS(STRESS_X_FIELD)
#undef STRESS_X_FIELD
#undef STRESS_STATS_FIELDS
#define STRESS_X_WB(field, key, shift, what) fprintf(f, ", \"wb_" #field "\": %" PRIu64, st->wb.field);
	MG_WBSTATS_LIST(STRESS_X_WB)
#undef STRESS_X_WB
	fprintf(f, "}\n");
	return fclose(f) == 0;
}

int
stress_main(int argc, char **argv)
{
	stress_opts o;
	int status = stress_parse(argc, argv, &o);
	if (status >= 0)
		return status;

	if (o.has_soak) {
		stress_soak_plan plan = {
			.duration_ns = o.soak_ns,
			.seed = o.has_seed ? o.seed : stress_clock_seed(),
			.only = o.workload,
		};
		return stress_soak(stress_workloads, STRESS_NWORKLOADS, &plan);
	}

	const stress_workload *w = o.workload;
	mg_config cfg;
	mg_config_default(&cfg);
	mg_config_from_env(&cfg);
	if (o.has_gogc)
		cfg.gogc = o.gogc;
	if (o.has_barrier)
		cfg.wb = o.barrier;
	if (o.has_procs)
		cfg.procs = o.procs;
	cfg.backend = o.backend;

	stress_params p = {
		.seed = o.has_seed ? o.seed : cfg.seed_set ? cfg.seed : stress_clock_seed(),
		.ops = o.has_ops ? o.ops : w->default_ops,
		.live = o.has_live ? o.live : w->default_live,
		.threads = o.has_threads ? (uint32_t)o.threads : 1,
	};
	if (!cfg.seed_set) {
		cfg.seed = p.seed;
		cfg.seed_set = true;
	}

	FILE *trace = NULL;
	if (o.trace_file != NULL) {
		trace = fopen(o.trace_file, "w");
		if (trace == NULL) {
			cli_error("stress", "cannot open trace file '%s': %s", o.trace_file, strerror(errno));
			return CLI_EXIT_FAIL;
		}
		cfg.trace = trace;
	}
	cfg.ignore_env = true;

	printf("seed %" PRIu64 "\n", p.seed);
	fflush(stdout);

	stress_outcome run;
	if (o.compare)
		status = stress_compare(w, &p, &cfg, trace != NULL || stress_trace_asked(&cfg));
	else
		stress_run_once(w, &p, &cfg, &run);
	if (trace != NULL && fclose(trace) != 0) {
		cli_error("stress", "writing trace file '%s': %s", o.trace_file, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	if (o.compare)
		return status;

	stress_summary(w, &p, &run.used, &run.res, &run.st, run.wall_ns, run.cpu_ns);
	if (o.stats_json != NULL
	    && !stress_write_stats_json(o.stats_json, w, &p, &run.used, &run.res, &run.st, run.wall_ns, run.cpu_ns)) {
		cli_error("stress", "cannot write stats file '%s': %s", o.stats_json, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return stress_result_line(w, &p, run.res.checksum);
}

int
stress_result_line(const stress_workload *w, const stress_params *p, uint64_t checksum)
{
	printf("result %s seed=%" PRIu64 " ops=%" PRIu64 " checksum=%016" PRIx64 "\n",
		w->name, p->seed, p->ops, checksum);
	if (fflush(stdout) != 0 || ferror(stdout))
		return CLI_EXIT_FAIL;
	return CLI_EXIT_OK;
}

bool
stress_trace_asked(const mg_config *cfg)
{
	return cfg->gctrace || cfg->maptrace || cfg->wbtrace;
}

void
stress_run_once(const stress_workload *w, const stress_params *p, const mg_config *cfg, stress_outcome *out)
{
	mg_runtime *rt = mg_open(cfg);
	static stress_escape escape;   /* static: untouched by longjmp */
	mg_set_failure_handler(rt, stress_on_failure, &escape);
	/* The resolved count: the repetition must run with as many Ps, also
	 * on a machine with another CPU count. */
	const int procs = mg_runtime_config(rt)->procs;
	if (setjmp(escape.jb) != 0) {
		char gogc[16];
		stress_gogc_text(gogc, sizeof gogc, cfg->gogc);
		fflush(stdout);
		fprintf(stderr, "mapgc stress: %s %s with seed %" PRIu64 "; to repeat, with the same"
			" MAPGC_DEBUG: mapgc stress %s --seed %" PRIu64 " --ops %" PRIu64
			" --live %" PRIu64 " --gogc %s --procs %d --threads %" PRIu32 " --barrier %s%s\n",
			w->name, escape.kind == MG_PANIC ? "panicked" : "failed", p->seed,
			w->name, p->seed, p->ops, p->live, gogc, procs, p->threads, mg_barrier_name(cfg->wb),
			cfg->backend == MG_BACKEND_BOEHM ? " --backend boehm" : "");
		if (cfg->trace != NULL)
			fflush(cfg->trace);
		_Exit(CLI_EXIT_USAGE);   /* 2, as for an unhandled fatal error */
	}

	uint64_t wall0 = stress_now_ns(CLOCK_MONOTONIC);
	uint64_t cpu0 = stress_now_ns(CLOCK_PROCESS_CPUTIME_ID);
	stress_progress_attach(rt, w->name, p->ops);
	out->res = p->threads > 1 ? stress_run_threads(w, rt, p) : w->run(rt, p);
	stress_progress_detach(rt);
	out->wall_ns = stress_now_ns(CLOCK_MONOTONIC) - wall0;
	out->cpu_ns = stress_now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;

	mg_read_stats(rt, &out->st);
	out->used = *mg_runtime_config(rt);
	mg_close(rt);
}
