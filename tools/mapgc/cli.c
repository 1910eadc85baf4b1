/*
 * cli.c — option parsing and error reporting shared by the mapgc commands.
 * See cli.h for the conventions.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

cli_opt
cli_option(int argc, char **argv, int *i, const char *name, bool takes_value,
		const char **value)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return CLI_OPT_NO;
	if (arg[n] == '=') {
		if (!takes_value)
			return CLI_OPT_BAD;
		*value = arg + n + 1;
		return CLI_OPT_YES;
	}
	if (arg[n] != '\0')
		return CLI_OPT_NO;   /* a longer option that shares the prefix */
	if (!takes_value) {
		*value = NULL;
		return CLI_OPT_YES;
	}
	if (*i + 1 >= argc)
		return CLI_OPT_BAD;
	*i += 1;
	*value = argv[*i];
	return CLI_OPT_YES;
}

bool
cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull skips spaces and accepts a sign (negating!): refuse both. */
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = (uint64_t)v;
	return true;
}

void
cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);   /* keep stdout and stderr in order on a terminal */
	if (cmd != NULL)
		fprintf(stderr, "mapgc %s: ", cmd);
	else
		fputs("mapgc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_output_close(FILE *out, const char *path, bool complete)
{
	int err = 0;
	struct stat st;

	errno = 0;
	if (fflush(out) != 0 || ferror(out))
		err = errno ? errno : EIO;
	if (out == stdout)
		return err;
	bool regular = fstat(fileno(out), &st) == 0 && S_ISREG(st.st_mode);
	errno = 0;
	if (fclose(out) != 0 && err == 0)
		err = errno ? errno : EIO;
	if ((err != 0 || !complete) && regular && path != NULL)
		unlink(path);
	return err;
}

void
cli_print_paragraph(FILE *out, int indent, const char *text)
{
	const int width = 76;
	int col = 0;

	while (*text != '\0') {
		size_t n = strcspn(text, " \n");
		if (col > indent && col + 1 + (int)n > width) {
			fputc('\n', out);
			col = 0;
		}
		if (col == 0)
			col = fprintf(out, "%*s", indent, "");
		else
			col += fprintf(out, " ");
		col += fprintf(out, "%.*s", (int)n, text);
		text += n;
		while (*text == ' ' || *text == '\n')
			text++;
	}
	if (col > 0)
		fputc('\n', out);
}
