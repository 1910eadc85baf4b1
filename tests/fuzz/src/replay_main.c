/*
 * replay_main.c — a main() for fuzz targets in builds without libFuzzer:
 * feeds every file named on the command line (directories: every regular
 * file in them, in name order) to LLVMFuzzerTestOneInput once.  The
 * default test suite uses it to replay the committed corpora (gcc, debug
 * and ASan presets), so a regression on any corpus input fails normal CI.
 * Arguments starting with '-' are ignored, so a libFuzzer command line
 * (flags, then corpus directories) works unchanged.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				fprintf(stderr, "replay: out of memory reading %s\n", path);
				exit(1);
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "replay: error reading %s\n", path);
		free(buf);
		return 1;
	}
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	/* A copy of exactly len bytes, so ASan catches reads past the input. */
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		exit(1);
	if (len)
		memcpy(copy, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_path(const char *path, unsigned *nfiles)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		++*nfiles;
		return replay_file(path);
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, by_name);
	if (n < 0) {
		perror(path);
		return 1;
	}
	int bad = 0;
	for (int i = 0; i < n; i++) {
		char full[4096];
		snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			++*nfiles;
			bad |= replay_file(full);
		}
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	unsigned nfiles = 0;
	int bad = 0;
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			bad |= replay_path(argv[i], &nfiles);
	if (nfiles == 0) {
		fprintf(stderr, "replay: no input files given\n");
		return 1;
	}
	fprintf(stderr, "replay: %u inputs replayed without a divergence\n", nfiles);
	return bad;
}
