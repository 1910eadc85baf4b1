/*
 * main.c — `mapgc COMMAND [ARGS]`: find COMMAND in CLI_COMMAND_LIST (cli.h)
 * and run it.  The table and the usage text are both generated from that
 * list, so adding a command is one line there plus its module.
 */
#include "cli.h"

#include "runtime/mapgc.h"

#include <stddef.h>
#include <string.h>

typedef struct cli_command {
	const char *name;
	int (*main)(int argc, char **argv);
	void (*usage)(FILE *out, bool full);
	const char *summary;
} cli_command;

static const cli_command cli_commands[] = {
#define CLI_X_ENTRY(name, main_fn, usage_fn, summary) \
	{ #name, main_fn, usage_fn, summary },
	CLI_COMMAND_LIST(CLI_X_ENTRY)
#undef CLI_X_ENTRY
};

enum { CLI_NCOMMANDS = sizeof cli_commands / sizeof cli_commands[0] };

static void
usage_short(FILE *out)
{
	fputs("usage: mapgc COMMAND [ARGS]   (commands:", out);
	for (size_t i = 0; i < CLI_NCOMMANDS; i++)
		fprintf(out, " %s", cli_commands[i].name);
	fputs(")\nRun 'mapgc --help' for details.\n", out);
}

/* The MAPGC_DEBUG keys from the runtime's own table (mg_debug_key_syntax),
 * so that --help lists every key the parser takes. */
static void
usage_debug_keys(FILE *out)
{
	char buf[1024] = "";
	size_t n = 0;
	const char *k;

	for (size_t i = 0; (k = mg_debug_key_syntax(i)) != NULL && n < sizeof buf; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? ", " : "", k);
	cli_print_paragraph(out, 2, buf);
}

static void
usage_full(FILE *out)
{
	fputs("usage: mapgc COMMAND [ARGS]\n"
	      "       mapgc --help\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < CLI_NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
	for (size_t i = 0; i < CLI_NCOMMANDS; i++) {
		fputc('\n', out);
		cli_commands[i].usage(out, true);
	}
	fputs("\n"
	      "Environment: MAPGC_DEBUG, MAPGC_GOGC, MAPGC_MEMLIMIT and MAPGC_PROCS;\n"
	      "command-line options override them (wbtrace=1, the barrier study,\n"
	      "re-marks the heap every cycle).\n"
	      "MAPGC_DEBUG keys (README.md says what each does):\n", out);
	usage_debug_keys(out);
	fputs("\n"
	      "Exit status: 0 success, 1 failure, 2 usage error or fatal runtime error.\n",
	      out);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		cli_error(NULL, "no command given");
		usage_short(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage_full(stdout);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < CLI_NCOMMANDS; i++)
		if (strcmp(argv[1], cli_commands[i].name) == 0)
			return cli_commands[i].main(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		cli_error(NULL, "unknown option '%s'", argv[1]);
	else
		cli_error(NULL, "unknown command '%s'", argv[1]);
	usage_short(stderr);
	return CLI_EXIT_USAGE;
}
