/*
 * fuzz_common.c — helpers of the parser fuzz targets (fuzz_common.h).
 */
#include "fuzz_common.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/mapgc/json.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

void
fzc_diverge(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: DIVERGENCE: ", fzc_target);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

bool
fzc_break(const char *name)
{
	static const char *brk;
	static bool read;

	if (!read) {
		brk = getenv("MAPGC_FUZZ_BREAK");
		read = true;
	}
	return brk != NULL && strcmp(brk, name) == 0;
}

void
fzc_touch_input(const uint8_t *data, size_t size)
{
	if (fzc_break("overread")) {
		volatile uint8_t past = data[size];
		(void)past;
	}
}

FILE *
fzc_capture_begin(char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	FILE *f = open_memstream(buf, len);
	if (f == NULL)
		fzc_diverge("open_memstream failed");
	return f;
}

char *
fzc_capture_end(FILE *f, char **buf)
{
	if (fclose(f) != 0 || *buf == NULL)
		fzc_diverge("closing a memory stream failed");
	return *buf;
}

bool
fzc_json_ok(const char *text, size_t len, const char *const *keys, size_t *counts, size_t nkeys, char *why,
	size_t whysize)
{
	json_reader j;
	size_t *in = NULL;   /* inside the array of this key */

	for (size_t k = 0; k < nkeys; k++)
		counts[k] = SIZE_MAX;
	json_init(&j, text, len);
	for (;;) {
		json_tok t = json_next(&j);
		if (t == JSON_ERROR || t == JSON_EOF)
			break;
		if (t == JSON_KEY && j.depth == 1) {
			size_t k = 0;
			while (k < nkeys && strcmp(j.str, keys[k]) != 0)
				k++;
			if (k < nkeys && json_next(&j) == JSON_ARRAY) {
				in = &counts[k];
				*in = 0;
			} else if (k < nkeys && !json_skip(&j)) {
				break;
			}
			continue;
		}
		if (in != NULL && j.depth == 1) {   /* the array just closed */
			in = NULL;
			continue;
		}
		/* Elements of the array: values that begin at depth 2 (scalars,
		 * or containers just opened to depth 3); skipped whole. */
		if (in != NULL && ((j.depth == 2 && t != JSON_ARRAY_END && t != JSON_OBJECT_END) ||
		                   (j.depth == 3 && (t == JSON_OBJECT || t == JSON_ARRAY)))) {
			++*in;
			if (!json_skip(&j))
				break;
		}
	}
	bool ok = !j.failed;
	if (!ok)
		snprintf(why, whysize, "%s at byte %zu", j.err, j.err_pos);
	json_free(&j);
	return ok;
}
