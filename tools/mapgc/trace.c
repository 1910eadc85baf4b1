/*
 * trace.c — the `mapgc trace` command line (DESIGN.md §7; outputs: trace.h).
 *
 * A run, in order:
 *  1. parse the command line; a usage error exits 2 before any input is read;
 *  2. open the input ("-": stdin); unreadable → message, exit 1;
 *  3. feed every line to the log; each malformed line is reported at once
 *     as "mapgc trace: line N: WHAT" and reading goes on (contract);
 *  4. derive the figures, write the output (-o FILE, default stdout);
 *  5. exit 1 if any line was malformed or anything failed, else 0.
 * Out of memory at any step ends the run with one message and status 1,
 * and no output: a report that lacks records or figures would look
 * complete.  An -o file the run fails to finish is removed (cli.h).
 */
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* X(id, name, description): the modes. */
#define TRACE_MODE_LIST(X) \
	X(SUMMARY, "summary", "readable figures: pauses, CPU, heap, MMU, map figures and events") \
	X(CSV, "csv", "one row per gc line, with its map line's fields (columns below)") \
	X(JSON, "json", "{\"cycles\": [one object per gc line], \"summary\", \"events\", \"errors\"}") \
	X(PLOT, "plot", "a self-contained HTML report with SVG charts (or one chart with --svg)")

typedef enum trace_mode {
#define TRACE_X_ENUM(id, name, desc) TRACE_MODE_##id,
	TRACE_MODE_LIST(TRACE_X_ENUM)
#undef TRACE_X_ENUM
	TRACE_MODE_COUNT
} trace_mode;

static const struct {
	const char *name, *desc;
} trace_modes[TRACE_MODE_COUNT] = {
#define TRACE_X_ENTRY(id, name, desc) [TRACE_MODE_##id] = { name, desc },
	TRACE_MODE_LIST(TRACE_X_ENTRY)
#undef TRACE_X_ENTRY
};

typedef struct trace_opts {
	bool help;
	bool has_mode;
	trace_mode mode;
	const char *input;       /* path or "-" */
	const char *output;      /* NULL: stdout */
	bool has_svg;
	trace_chart_id svg;
	const char *reach_dir;
} trace_opts;

void
trace_usage(FILE *out, bool full)
{
	fputs("usage: mapgc trace summary|csv|json FILE|- [-o OUT]\n"
	      "       mapgc trace plot FILE|- [-o OUT] [--svg CHART] [--reach-dir DIR]\n", out);
	if (!full)
		return;
	fputs("\n"
	      "Read a gctrace log (Go 1.5, Go 1.6-1.18, Go 1.19+ or mapgc's own, with or\n"
	      "without \" (forced)\"; Go's \"GC forced\" marks the next cycle forced) and\n"
	      "mapgc's maptrace lines (map N …, mapev …) and wbtrace lines (wb N …,\n"
	      "summed per barrier mode); other lines are passed over.\n"
	      "A line that starts like a trace line (\"gc \" and a number, \"map \" or\n"
	      "\"wb \" and a number, \"mapev \") but does not parse is reported as\n"
	      "  mapgc trace: line N: WHAT\n"
	      "and the command exits 1 after processing the rest.\n"
	      "\n"
	      "Modes:\n", out);
	for (int m = 0; m < TRACE_MODE_COUNT; m++)
		fprintf(out, "  %-9s %s\n", trace_modes[m].name, trace_modes[m].desc);
	fputs("\n"
	      "  -o, --output OUT    write to OUT instead of stdout\n"
	      "  --svg CHART         plot: one chart as a standalone SVG; CHART is\n"
	      "                      one of", out);
	for (int id = 0; id < TRACE_CHART_COUNT; id++)
		fprintf(out, "%s %s", id ? "," : "", trace_chart_name((trace_chart_id)id));
	fputs("\n"
	      "  --reach-dir DIR     plot: link the *.svg pictures of `mapgc reach` in DIR\n"
	      "\n"
	      "CSV columns (empty: not in this line's form, or no map line):\n", out);
	trace_write_csv_columns(out);
	fputs("\n"
	      "Exit status: 0 success, 1 malformed lines or unreadable input, 2 usage error.\n", out);
}

static int trace_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
trace_usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("mapgc trace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	trace_usage(stderr, false);
	return CLI_EXIT_USAGE;
}

static bool
trace_find_mode(const char *name, trace_mode *mode)
{
	for (int m = 0; m < TRACE_MODE_COUNT; m++) {
		if (strcmp(name, trace_modes[m].name) == 0) {
			*mode = (trace_mode)m;
			return true;
		}
	}
	return false;
}

/* Store a positional argument: the mode, then the input. */
static int
trace_positional(trace_opts *o, const char *arg)
{
	if (!o->has_mode) {
		if (!trace_find_mode(arg, &o->mode))
			return trace_usage_error("unknown mode '%s' (want summary, csv, json or plot)", arg);
		o->has_mode = true;
		return -1;
	}
	if (o->input != NULL)
		return trace_usage_error("unexpected argument '%s' (one input file)", arg);
	if (*arg == '\0')
		return trace_usage_error("empty input file name");
	o->input = arg;
	return -1;
}

/* Parse argv into *o.  Returns -1 to go on, else the exit status. */
static int
trace_parse(int argc, char **argv, trace_opts *o)
{
	bool options_done = false;

	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *v = NULL;
		int status;

		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			if ((status = trace_positional(o, arg)) >= 0)
				return status;
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
		cli_opt r = cli_option(argc, argv, &i, "-o", true, &v);
		if (r == CLI_OPT_NO)
			r = cli_option(argc, argv, &i, "--output", true, &v);
		if (r == CLI_OPT_YES) {
			if (*v == '\0')
				return trace_usage_error("empty output file name");
			if (o->output != NULL)
				return trace_usage_error("more than one output file");
			o->output = v;
			continue;
		}
		if (r == CLI_OPT_NO && (r = cli_option(argc, argv, &i, "--svg", true, &v)) == CLI_OPT_YES) {
			if (!trace_chart_find(v, &o->svg))
				return trace_usage_error("unknown chart '%s' for --svg", v);
			o->has_svg = true;
			continue;
		}
		if (r == CLI_OPT_NO && (r = cli_option(argc, argv, &i, "--reach-dir", true, &v)) == CLI_OPT_YES) {
			if (*v == '\0')
				return trace_usage_error("empty --reach-dir");
			o->reach_dir = v;
			continue;
		}
		if (r == CLI_OPT_BAD)
			return trace_usage_error("option '%s' needs a value", arg);
		return trace_usage_error("unknown option '%s'", arg);
	}
	if (o->help) {
		trace_usage(stdout, true);
		return CLI_EXIT_OK;
	}
	if (!o->has_mode)
		return trace_usage_error("no mode given (summary, csv, json or plot)");
	if (o->input == NULL)
		return trace_usage_error("no input file given (a path, or - for stdin)");
	if ((o->has_svg || o->reach_dir != NULL) && o->mode != TRACE_MODE_PLOT)
		return trace_usage_error("--svg and --reach-dir are options of plot");
	if (o->has_svg && o->reach_dir != NULL)
		return trace_usage_error("--reach-dir needs the HTML report, not --svg");
	return -1;
}

/* The input's display name: its base name, "stdin" for "-" (inv.deterministic). */
static const char *
trace_display_name(const char *path)
{
	if (strcmp(path, "-") == 0)
		return "stdin";
	const char *slash = strrchr(path, '/');
	return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

/* Read every line into log, reporting malformed ones; false on a read error. */
static bool
trace_read(trace_log *log, FILE *in, const char *path)
{
	trace_reader *r = malloc(sizeof *r);
	trace_line line;
	char msg[TRACE_ERR_MAX + 64];
	int got;

	if (r == NULL) {
		cli_error("trace", "out of memory");
		return false;
	}
	trace_reader_init_file(r, in);
	while ((got = trace_reader_next(r, &line)) > 0) {
		if (trace_log_feed(log, &line, msg, sizeof msg))
			continue;
		if (log->out_of_memory) {
			cli_error("trace", "out of memory at line %" PRIu64 " of '%s'", line.no, path);
			free(r);
			return false;
		}
		cli_error("trace", "line %" PRIu64 ": %s", line.no, msg);
	}
	if (got < 0)
		cli_error("trace", "reading '%s': %s", path, strerror(r->error));
	free(r);
	return got == 0;
}

/* Writes the output; *complete is false when it stopped short (out of
 * memory), true even when a failure was reported (an unreadable
 * --reach-dir: the report is whole, without the pictures). */
static int
trace_write(const trace_opts *o, const trace_log *log, const char *name, FILE *out, bool *complete)
{
	int err;

	*complete = true;
	switch (o->mode) {
	case TRACE_MODE_SUMMARY:
		trace_write_summary(out, log, name);
		break;
	case TRACE_MODE_CSV:
		trace_write_csv(out, log);
		break;
	case TRACE_MODE_JSON:
		trace_write_json(out, log, name);
		break;
	case TRACE_MODE_PLOT:
		if (o->has_svg) {
			if (!trace_chart_available(log, o->svg)) {
				cli_error("trace", "'%s' has no %s: no %s chart", o->input,
				          o->svg == TRACE_CHART_EVAC || o->svg == TRACE_CHART_ITER
				          ? "map lines (MAPGC_DEBUG=maptrace=1)"
				          : o->svg == TRACE_CHART_WB ? "wb lines (MAPGC_DEBUG=wbtrace=1)" : "gc lines",
				          trace_chart_name(o->svg));
				*complete = false;
				return CLI_EXIT_FAIL;
			}
			err = trace_write_svg(out, log, o->svg, name);
		} else {
			err = trace_write_html(out, log, name, o->reach_dir);
		}
		if (err == ENOMEM) {
			cli_error("trace", "out of memory");
			*complete = false;
			return CLI_EXIT_FAIL;
		}
		if (err != 0) {
			cli_error("trace", "cannot read --reach-dir '%s': %s", o->reach_dir, strerror(err));
			return CLI_EXIT_FAIL;
		}
		break;
	case TRACE_MODE_COUNT:
		break;
	}
	return CLI_EXIT_OK;
}

int
trace_main(int argc, char **argv)
{
	trace_opts o;
	int status = trace_parse(argc, argv, &o);
	if (status >= 0)
		return status;

	bool from_stdin = strcmp(o.input, "-") == 0;
	FILE *in = from_stdin ? stdin : fopen(o.input, "rb");
	if (in == NULL) {
		cli_error("trace", "cannot open '%s': %s", o.input, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	trace_log *log = malloc(sizeof *log);
	if (log == NULL) {
		cli_error("trace", "out of memory");
		return CLI_EXIT_FAIL;
	}
	trace_log_init(log);
	bool read_ok = trace_read(log, in, o.input);
	if (!from_stdin)
		fclose(in);
	if (!read_ok) {
		trace_log_free(log);
		free(log);
		return CLI_EXIT_FAIL;
	}
	trace_log_finish(log);
	if (log->out_of_memory) {
		cli_error("trace", "out of memory summarising '%s'", o.input);
		trace_log_free(log);
		free(log);
		return CLI_EXIT_FAIL;
	}
	const char *name = trace_display_name(o.input);
	if (log->ncycles == 0 && log->nmaps == 0 && log->nwbs == 0 && log->nerrors == 0)
		cli_error("trace", "no gc, map or wb lines in '%s'", o.input);

	FILE *out = stdout;
	if (o.output != NULL && (out = fopen(o.output, "w")) == NULL) {
		cli_error("trace", "cannot open '%s' for writing: %s", o.output, strerror(errno));
		status = CLI_EXIT_FAIL;
	} else {
		bool complete;
		status = trace_write(&o, log, name, out, &complete);
		int err = cli_output_close(out, o.output, complete);
		if (err != 0 && status == CLI_EXIT_OK) {
			cli_error("trace", "writing '%s': %s", o.output ? o.output : "stdout", strerror(err));
			status = CLI_EXIT_FAIL;
		}
	}
	if (status == CLI_EXIT_OK && log->nerrors > 0)
		status = CLI_EXIT_FAIL;
	trace_log_free(log);
	free(log);
	return status;
}
