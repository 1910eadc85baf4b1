/*
 * reach.c — `mapgc reach`: map reachability in a heap snapshot — what
 * keeps each bucket array alive, and how much it keeps alive.
 *
 * The pipeline, one module per step:
 *   1. a snapshot: read from a file (reach_graph.c, with json.c), or made
 *      by running a workload (reach_run.c) into a temporary directory;
 *   2. the analyses (reach_analyze.c: shortest paths, holder kinds,
 *      dominators with reach_dom.c, per-map views);
 *   3. the output: text or JSON (reach_report.c), or DOT / SVG of one map
 *      or of every map (reach_dot.c, reach_svg.c).
 * Exit status (cli.h): 0; 1 for unreadable or malformed input, unknown ids
 * and failed writes; 2 for usage errors and fatal runtime errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/mapgc.h"
#include "cli.h"
#include "reach_analyze.h"
#include "reach_dot.h"
#include "reach_graph.h"
#include "reach_report.h"
#include "reach_run.h"

/* Evacuation runs shown per map in the text output: a map mid-grow shows
 * a handful; random evacuation order can make hundreds, which --json has. */
#define REACH_TEXT_RUNS 32

/* Upper bound for --ops and --live, as `mapgc stress` has it. */
#define REACH_MAX_COUNT (UINT64_C(1) << 40)

void
reach_usage(FILE *out, bool full)
{
	fputs("usage: mapgc reach SNAPSHOT.json [REPORT | --dot MAP_ID [--svg FILE] | --svg-dir DIR]\n"
	      "       mapgc reach --run WORKLOAD [--cycle N] [--seed N] [--ops N] [--live N]\n"
	      "                   [--gogc N|off] [--save-snapshot FILE] [REPORT | --dot … | --svg-dir DIR]\n"
	      "       REPORT: [--json] [--maps] [--map ID] [--arrays] [--object ID]... [-o FILE]\n", out);
	if (!full)
		return;
	fputs("\n"
	      "Study map reachability in a heap snapshot (MAPGC_DEBUG=heapdump=N or\n"
	      "mg_heap_snapshot; '-' reads standard input): what keeps each bucket\n"
	      "array alive, and how much memory each holder retains.\n"
	      "\n"
	      "  (default)           per map: types, count, B, growth state, current and\n"
	      "                      old arrays with their overflow buckets and how they\n"
	      "                      are held, evacuation state of every old bucket,\n"
	      "                      iterators and the arrays they hold\n"
	      "  --map ID            only map ID\n"
	      "  --maps              the per-map report even with --arrays or --object\n"
	      "  --arrays            every bucket array: shortest path from a root, holder\n"
	      "                      kinds, what holds it, dominator and retained size\n"
	      "  --object ID         the same for object ID (repeatable)\n"
	      "  --json              JSON, schema mapgc.reach version 1 (reach_report.h)\n"
	      "  -o FILE             write the report (or DOT, or with .svg an SVG) to FILE\n"
	      "  --dot MAP_ID        Graphviz DOT of map MAP_ID's neighbourhood\n"
	      "  --svg FILE          with --dot: render it to FILE as SVG\n"
	      "  --svg-dir DIR       one SVG per map, DIR/map-ID.svg (names printed)\n"
	      "\n"
	      "  --run WORKLOAD      run a built-in stress workload (mapgc stress --list)\n"
	      "                      and analyse a snapshot of it:\n"
	      "  --cycle N           taken at mark termination of cycle N (default: the last;\n"
	      "                      the run is then done twice, see reach_run.h)\n"
	      "  --seed N, --ops N, --live N, --gogc N|off   as for mapgc stress\n"
	      "  --save-snapshot FILE  keep the snapshot\n"
	      "\n"
	      "Holder kinds: root, current array (hmap.buckets), old array\n"
	      "(hmap.oldbuckets), overflow list (mapextra.overflow/oldoverflow), iterator\n"
	      "(hiter it.*), next overflow (mapextra.nextOverflow), map (hmap.extra),\n"
	      "map cell (bucket keys/elems), other.  Overflow chain links pass on the\n"
	      "kinds of what holds them.  Retained size: bytes of the object's subtree\n"
	      "in the dominator tree rooted at a virtual root over all roots.\n"
	      "SVG: libgvc when built with it, else the dot program, else .dot files\n"
	      "instead (MAPGC_REACH_RENDER=gvc|dot|none forces one).\n", out);
}

static int
reach_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
reach_usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("mapgc reach: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	reach_usage(stderr, false);
	return CLI_EXIT_USAGE;
}

#define REACH_OPTION_LIST(X) \
	X(JSON, "--json", false) \
	X(MAPS, "--maps", false) \
	X(MAP, "--map", true) \
	X(ARRAYS, "--arrays", false) \
	X(OBJECT, "--object", true) \
	X(OUTPUT, "-o", true) \
	X(DOT, "--dot", true) \
	X(SVG, "--svg", true) \
	X(SVG_DIR, "--svg-dir", true) \
	X(RUN, "--run", true) \
	X(CYCLE, "--cycle", true) \
	X(SEED, "--seed", true) \
	X(OPS, "--ops", true) \
	X(LIVE, "--live", true) \
	X(GOGC, "--gogc", true) \
	X(SAVE, "--save-snapshot", true)

typedef enum reach_option {
#define REACH_X_ENUM(id, name, takes_value) REACH_OPT_##id,
	REACH_OPTION_LIST(REACH_X_ENUM)
#undef REACH_X_ENUM
	REACH_OPT_COUNT
} reach_option;

static const struct {
	const char *name;
	bool takes_value;
} reach_options[REACH_OPT_COUNT] = {
#define REACH_X_ENTRY(id, name, takes_value) [REACH_OPT_##id] = {name, takes_value},
	REACH_OPTION_LIST(REACH_X_ENTRY)
#undef REACH_X_ENTRY
};

typedef struct reach_opts {
	const char *snapshot;
	const char *output;
	const char *svg;
	const char *svg_dir;
	const char *save;
	bool json, maps, arrays, help;
	bool has_map, has_dot;
	uint64_t map_id, dot_id;
	uint64_t *objects;
	size_t nobjects;
	rrun_params run;
	bool has_run;
	bool given[REACH_OPT_COUNT];
} reach_opts;

static int
reach_apply(reach_opts *o, reach_option opt, const char *v)
{
	switch (opt) {
	case REACH_OPT_JSON: o->json = true; break;
	case REACH_OPT_MAPS: o->maps = true; break;
	case REACH_OPT_ARRAYS: o->arrays = true; break;
	case REACH_OPT_MAP:
		if (!cli_parse_u64(v, 0, UINT64_MAX, &o->map_id))
			return reach_usage_error("bad --map '%s' (want a map id)", v);
		o->has_map = true;
		break;
	case REACH_OPT_DOT:
		if (!cli_parse_u64(v, 0, UINT64_MAX, &o->dot_id))
			return reach_usage_error("bad --dot '%s' (want a map id)", v);
		o->has_dot = true;
		break;
	case REACH_OPT_OBJECT: {
		uint64_t id;
		if (!cli_parse_u64(v, 1, UINT64_MAX, &id))
			return reach_usage_error("bad --object '%s' (want an object id)", v);
		uint64_t *p = realloc(o->objects, (o->nobjects + 1) * sizeof *p);
		if (p == NULL) {
			cli_error("reach", "out of memory");
			return CLI_EXIT_FAIL;
		}
		o->objects = p;
		o->objects[o->nobjects++] = id;
		break;
	}
	case REACH_OPT_OUTPUT:
	case REACH_OPT_SVG:
	case REACH_OPT_SVG_DIR:
	case REACH_OPT_SAVE:
		if (*v == '\0')
			return reach_usage_error("empty %s", reach_options[opt].name);
		*(opt == REACH_OPT_OUTPUT ? &o->output : opt == REACH_OPT_SVG ? &o->svg
			: opt == REACH_OPT_SVG_DIR ? &o->svg_dir : &o->save) = v;
		break;
	case REACH_OPT_RUN:
		if (!rrun_workload_exists(v))
			return reach_usage_error("unknown workload '%s' (see mapgc stress --list)", v);
		o->run.workload = v;
		o->has_run = true;
		break;
	case REACH_OPT_CYCLE:
		if (!cli_parse_u64(v, 1, UINT32_MAX, &o->run.cycle))
			return reach_usage_error("bad --cycle '%s' (want 1..%" PRIu32 ")", v, UINT32_MAX);
		o->run.has_cycle = true;
		break;
	case REACH_OPT_SEED:
		if (!cli_parse_u64(v, 0, UINT64_MAX, &o->run.seed))
			return reach_usage_error("bad --seed '%s' (want 0..18446744073709551615)", v);
		o->run.has_seed = true;
		break;
	case REACH_OPT_OPS:
		if (!cli_parse_u64(v, 0, REACH_MAX_COUNT, &o->run.ops))
			return reach_usage_error("bad --ops '%s' (want 0..2^40)", v);
		o->run.has_ops = true;
		break;
	case REACH_OPT_LIVE:
		if (!cli_parse_u64(v, 1, REACH_MAX_COUNT, &o->run.live))
			return reach_usage_error("bad --live '%s' (want 1..2^40)", v);
		o->run.has_live = true;
		break;
	case REACH_OPT_GOGC:
		if (!mg_parse_gogc(v, &o->run.gogc))
			return reach_usage_error("bad --gogc '%s' (want a percentage or off)", v);
		o->run.has_gogc = true;
		break;
	case REACH_OPT_COUNT:
		break;
	}
	return -1;
}

/* Option combinations that make no sense. */
static int
reach_check(reach_opts *o)
{
	bool report = o->json || o->maps || o->has_map || o->arrays || o->nobjects > 0;

	if (o->help) {
		reach_usage(stdout, true);
		return CLI_EXIT_OK;
	}
	if (o->snapshot == NULL && !o->has_run)
		return reach_usage_error("no snapshot given (a file, '-', or --run WORKLOAD)");
	if (o->snapshot != NULL && o->has_run)
		return reach_usage_error("give a snapshot file or --run, not both");
	if (!o->has_run) {
		static const reach_option run_only[] = {
			REACH_OPT_CYCLE, REACH_OPT_SEED, REACH_OPT_OPS, REACH_OPT_LIVE, REACH_OPT_GOGC, REACH_OPT_SAVE,
		};
		for (size_t k = 0; k < sizeof run_only / sizeof run_only[0]; k++)
			if (o->given[run_only[k]])
				return reach_usage_error("%s needs --run", reach_options[run_only[k]].name);
	}
	if (o->has_dot && (report || o->svg_dir))
		return reach_usage_error("--dot draws one map: it takes no report options and no --svg-dir");
	if (o->svg != NULL && !o->has_dot)
		return reach_usage_error("--svg needs --dot MAP_ID (or use --svg-dir DIR for every map)");
	if (o->svg != NULL && o->output != NULL)
		return reach_usage_error("give --svg FILE or -o FILE, not both");
	if (o->svg_dir != NULL && o->output != NULL && !report)
		return reach_usage_error("-o names the report's file: with --svg-dir alone there is no report");
	return -1;
}

static int
reach_parse(int argc, char **argv, reach_opts *o)
{
	bool options_done = false;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (o->snapshot != NULL)
				return reach_usage_error("unexpected argument '%s' (one snapshot at a time)", arg);
			o->snapshot = arg;
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
		for (; opt < REACH_OPT_COUNT; opt++) {
			r = cli_option(argc, argv, &i, reach_options[opt].name, reach_options[opt].takes_value, &v);
			if (r != CLI_OPT_NO)
				break;
		}
		if (r == CLI_OPT_NO)
			return reach_usage_error("unknown option '%s'", arg);
		if (r == CLI_OPT_BAD)
			return reach_usage_error(reach_options[opt].takes_value ? "option '%s' needs a value"
				: "option '%s' takes no value", arg);
		o->given[opt] = true;
		int status = reach_apply(o, (reach_option)opt, v);
		if (status >= 0)
			return status;
	}
	return reach_check(o);
}

/* ---- outputs ------------------------------------------------------------------------ */

static bool
reach_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* DOT of map mi into a memory buffer. */
static int
reach_dot_text(const ra_result *r, uint32_t mi, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	if (f == NULL)
		return -1;
	int rc = rdot_map(f, r, mi);
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* Render map mi to svg_path (or its .dot stand-in).  Prints the name of
 * what was written when announce. */
static int
reach_svg_one(const ra_result *r, uint32_t mi, const char *svg_path, bool announce, bool *warned)
{
	char *dot = NULL, dot_path[4096], err[512];
	size_t len = 0;
	const char *renderer = "none";

	if (reach_dot_text(r, mi, &dot, &len) != 0) {
		free(dot);
		cli_error("reach", "out of memory drawing map %" PRIu64, r->g->maps[mi].id);
		return CLI_EXIT_FAIL;
	}
	rdot_outcome out = rdot_render_svg(dot, len, svg_path, dot_path, sizeof dot_path, &renderer, err, sizeof err);
	free(dot);
	switch (out) {
	case RDOT_SVG:
		if (announce)
			printf("%s\n", svg_path);
		return CLI_EXIT_OK;
	case RDOT_DOT_ONLY:
		if (!*warned)
			cli_error("reach", "warning: Graphviz is not available (no libgvc, no dot program): "
				"writing DOT files instead of SVG");
		*warned = true;
		if (announce)
			printf("%s\n", dot_path);
		return CLI_EXIT_OK;
	default:
		cli_error("reach", "%s", err);
		return CLI_EXIT_FAIL;
	}
}

static int
reach_svg_dir(const ra_result *r, const char *dir, bool announce)
{
	bool warned = false;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		cli_error("reach", "cannot create directory %s: %s", dir, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	for (uint32_t mi = 0; mi < r->nmaps; mi++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/map-%" PRIu64 ".svg", dir, r->g->maps[mi].id);
		int rc = reach_svg_one(r, mi, path, announce, &warned);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	return CLI_EXIT_OK;
}

static int
reach_dot(const ra_result *r, const reach_opts *o)
{
	uint32_t mi = ra_map_by_id(r, o->dot_id);
	bool warned = false;

	if (mi == RG_NONE) {
		cli_error("reach", "no map has id %" PRIu64 " in this snapshot", o->dot_id);
		return CLI_EXIT_FAIL;
	}
	if (o->svg != NULL)
		return reach_svg_one(r, mi, o->svg, false, &warned);
	if (o->output != NULL && reach_ends_with(o->output, ".svg"))
		return reach_svg_one(r, mi, o->output, false, &warned);
	FILE *out = o->output ? fopen(o->output, "w") : stdout;
	if (out == NULL) {
		cli_error("reach", "cannot write %s: %s", o->output, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	errno = 0;
	int rc = rdot_map(out, r, mi);
	int err = rc != 0 ? errno : 0;
	if (cli_output_close(out, o->output, rc == 0) != 0)
		rc = -1;
	if (rc != 0) {
		cli_error("reach", "writing the DOT output failed%s%s", err ? ": " : "", err ? strerror(err) : "");
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static int
reach_report(const ra_result *r, const reach_opts *o, const rp_source *src)
{
	rp_request q = {
		.maps = o->maps || o->has_map || (!o->arrays && o->nobjects == 0),
		.has_map_id = o->has_map,
		.map_id = o->map_id,
		.arrays = o->arrays,
		.max_runs = REACH_TEXT_RUNS,
	};
	uint32_t *objs = NULL;

	if (o->has_map && ra_map_by_id(r, o->map_id) == RG_NONE) {
		cli_error("reach", "no map has id %" PRIu64 " in this snapshot", o->map_id);
		return CLI_EXIT_FAIL;
	}
	if (o->nobjects > 0) {
		objs = malloc(o->nobjects * sizeof *objs);
		if (objs == NULL) {
			cli_error("reach", "out of memory");
			return CLI_EXIT_FAIL;
		}
		for (size_t k = 0; k < o->nobjects; k++) {
			objs[k] = rg_index_of_id(r->g, o->objects[k]);
			if (objs[k] == RG_NONE) {
				cli_error("reach", "no object has id %" PRIu64 " in this snapshot", o->objects[k]);
				free(objs);
				return CLI_EXIT_FAIL;
			}
		}
		q.objects = objs;
		q.nobjects = o->nobjects;
	}
	FILE *out = o->output ? fopen(o->output, "w") : stdout;
	if (out == NULL) {
		cli_error("reach", "cannot write %s: %s", o->output, strerror(errno));
		free(objs);
		return CLI_EXIT_FAIL;
	}
	errno = 0;
	int rc = o->json ? rp_json(out, r, src, &q) : rp_text(out, r, src, &q);
	int err = rc != 0 ? errno : 0;
	if (cli_output_close(out, o->output, rc == 0) != 0)
		rc = -1;
	free(objs);
	if (rc != 0) {
		cli_error("reach", "writing the report failed%s%s", err ? ": " : "", err ? strerror(err) : "");
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* ---- snapshots from workloads ---------------------------------------------------------- */

static int
reach_copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	char buf[1 << 16];
	size_t n;
	int rc = 0;

	if (in == NULL || out == NULL) {
		rc = -1;
	} else {
		while ((n = fread(buf, 1, sizeof buf, in)) > 0)
			if (fwrite(buf, 1, n, out) != n) {
				rc = -1;
				break;
			}
		if (ferror(in))
			rc = -1;
	}
	int e = errno;
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		rc = -1;
	errno = e;
	return rc;
}

/* Runs the workload; *path gets the snapshot (in *tmpdir, to be removed). */
static int
reach_run_workload(reach_opts *o, rrun_result *res, char *path, size_t size, char *tmpdir, size_t tsize)
{
	const char *base = getenv("TMPDIR");
	char err[512];

	snprintf(tmpdir, tsize, "%s/mapgc-reach-XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		cli_error("reach", "cannot create a temporary directory %s: %s", tmpdir, strerror(errno));
		tmpdir[0] = '\0';
		return CLI_EXIT_FAIL;
	}
	snprintf(path, size, "%s/heap.json", tmpdir);
	o->run.json_path = path;
	int rc = rrun_run(&o->run, res, err, sizeof err);
	if (rc == 2) {
		cli_error("reach", "%s failed with seed %" PRIu64 " (a fatal error in the runtime, above)",
			o->run.workload, res->seed);
		return CLI_EXIT_USAGE;   /* 2, as for an unhandled fatal error */
	}
	if (rc != 0) {
		cli_error("reach", "%s", err);
		return CLI_EXIT_FAIL;
	}
	if (o->save != NULL && reach_copy_file(path, o->save) != 0) {
		cli_error("reach", "cannot save the snapshot to %s: %s", o->save, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static void
reach_remove_tmp(const char *tmpdir, const char *path)
{
	if (tmpdir[0] == '\0')
		return;
	unlink(path);
	rmdir(tmpdir);
}

int
reach_main(int argc, char **argv)
{
	reach_opts o;
	rg_graph g;
	ra_result r;
	rrun_result res = {0};
	char err[1024], path[4096] = "", tmpdir[4096] = "";
	int status;

	memset(&o, 0, sizeof o);
	status = reach_parse(argc, argv, &o);
	if (status >= 0) {
		free(o.objects);
		return status;
	}
	const char *file = o.snapshot;
	if (o.has_run) {
		status = reach_run_workload(&o, &res, path, sizeof path, tmpdir, sizeof tmpdir);
		if (status != CLI_EXIT_OK) {
			reach_remove_tmp(tmpdir, path);
			free(o.objects);
			return status;
		}
		file = o.save ? o.save : NULL;
	}
	int rc = rg_load(o.has_run ? path : o.snapshot, &g, err, sizeof err);
	reach_remove_tmp(tmpdir, path);
	if (rc != 0) {
		cli_error("reach", "%s", err);
		free(o.objects);
		return CLI_EXIT_FAIL;
	}
	if (ra_analyze(&g, &r, err, sizeof err) != 0) {
		cli_error("reach", "%s", err);
		rg_free(&g);
		free(o.objects);
		return CLI_EXIT_FAIL;
	}
	rp_source src = {
		.file = file,
		.workload = o.has_run ? o.run.workload : NULL,
		.seed = res.seed,
		.ops = res.ops,
		.live = res.live,
		.cycles = res.cycles,
	};
	if (o.has_dot) {
		status = reach_dot(&r, &o);
	} else {
		bool report = o.json || o.maps || o.has_map || o.arrays || o.nobjects > 0 || o.svg_dir == NULL;
		status = CLI_EXIT_OK;
		if (o.svg_dir != NULL)
			status = reach_svg_dir(&r, o.svg_dir, !(o.json || o.maps || o.has_map || o.arrays || o.nobjects > 0));
		if (status == CLI_EXIT_OK && report)
			status = reach_report(&r, &o, &src);
	}
	ra_free(&r);
	rg_free(&g);
	free(o.objects);
	return status;
}
