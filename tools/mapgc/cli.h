/*
 * cli.h — the `mapgc` command: subcommand table and shared option parsing.
 *
 * `mapgc COMMAND ARGS…` looks COMMAND up in CLI_COMMAND_LIST and hands the
 * rest of the command line to that command's main function, with argv[0]
 * set to the command's name.  A command is one line in the list plus one
 * module (stress.c, later trace.c and reach.c) that defines the two
 * functions the line names; main.c generates the dispatch table and the
 * top-level usage from the same list, so the two cannot disagree.
 *
 * Exit statuses, shared by every command (DESIGN.md §7):
 *   0  success;
 *   1  the command ran but failed (unreadable file, malformed input);
 *   2  usage error (short usage on stderr), or a fatal error in the runtime.
 *
 * Options are GNU-style long options, `--name=value` or `--name value`, and
 * may come before or after positional arguments; `--` ends the options.
 */
#ifndef MAPGC_TOOLS_CLI_H
#define MAPGC_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,
	CLI_EXIT_USAGE = 2,
};

/*
 * The subcommands.  X(name, main function, usage function, one-line summary).
 *   int  main_fn(int argc, char **argv);       argv[0] is the command name
 *   void usage_fn(FILE *out, bool full);       full: --help text, else the
 *                                              short synopsis for errors
 * A command is one X(name, main, usage, summary) line here and its own file.
 */
#define CLI_COMMAND_LIST(X) \
	X(stress, stress_main, stress_usage, "run a built-in GC stress workload") \
	X(trace, trace_main, trace_usage, "summarise, tabulate or plot gctrace and maptrace logs") \
	X(reach, reach_main, reach_usage, "map reachability in heap snapshots: what keeps bucket arrays alive")

#define CLI_X_DECLARE(name, main_fn, usage_fn, summary) \
	int main_fn(int argc, char **argv); \
	void usage_fn(FILE *out, bool full);
CLI_COMMAND_LIST(CLI_X_DECLARE)
#undef CLI_X_DECLARE

/* Results of cli_option. */
typedef enum cli_opt {
	CLI_OPT_NO,       /* argv[*i] is not this option */
	CLI_OPT_YES,      /* matched; *value set (NULL for a flag), *i advanced */
	CLI_OPT_BAD,      /* this option, but its value is missing (or a flag got one) */
} cli_opt;

/*
 * Match argv[*i] against the long option `name` (written with its dashes,
 * "--seed").  With takes_value, both "--seed=5" and "--seed 5" match, the
 * latter consuming argv[*i + 1]; without, only the bare "--list" matches and
 * "--list=x" is CLI_OPT_BAD.  On CLI_OPT_YES, *i is left on the last
 * argument consumed, so the caller's loop increment moves past it.
 */
cli_opt cli_option(int argc, char **argv, int *i, const char *name,
		bool takes_value, const char **value);

/*
 * Parse a whole decimal unsigned integer in [min, max]: no sign, no spaces,
 * no trailing text, no overflow.  Returns false (leaving *out unchanged)
 * otherwise.
 */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * Finish an output: out is stdout (path NULL) or fopen(path, "w").  Flushes
 * and closes it; when the command failed to produce it (!complete) or
 * writing fails, a regular file at path is removed, so that no truncated
 * output is left to pass for a complete one (stdout cannot be taken back:
 * the error message says it).  Returns 0, or the errno of the failed
 * write (EIO when there is none).
 */
int cli_output_close(FILE *out, const char *path, bool complete);

/* Print text as a paragraph, each line indented by `indent` spaces and
 * broken at spaces (or newlines) before column 76. */
void cli_print_paragraph(FILE *out, int indent, const char *text);

/* Print "mapgc[ CMD]: MESSAGE\n" to stderr (printf-style). */
void cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* MAPGC_TOOLS_CLI_H */
