/*
 * fuzz_common.h — what the parser fuzz targets (fuzz_trace.c,
 * fuzz_snapshot.c) share (prefix fzc_): the divergence report, the
 * negative-test switch, output capture and a JSON well-formedness check.
 *
 * A divergence is how a target reports a violated oracle: one line
 * "TARGET: DIVERGENCE: what" on stderr, then abort() — the crash libFuzzer
 * records, and the pattern the replay tests (cmake/MapgcFuzz.cmake) and
 * scripts/fuzz.sh look for.
 *
 * NEGATIVE MODE.  MAPGC_FUZZ_BREAK=NAME makes a target falsify one of its
 * own observations of the code under test (a reprinted line, an edge
 * target, a dominator) just before the oracle that should catch it, so the
 * ctest entries fuzz/negative_<target> prove each oracle family fires on
 * the committed corpus.  Each target lists its names in its header.
 */
#ifndef MAPGC_FUZZ_COMMON_H
#define MAPGC_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The target's name for messages ("fuzz_trace"): each target defines it. */
extern const char *const fzc_target;

/* The libFuzzer entry points: LLVMFuzzerTestOneInput is the target's,
 * LLVMFuzzerInitialize (nothing to do) fuzz_common.c's. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Reports a violated oracle and aborts. */
_Noreturn void fzc_diverge(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether MAPGC_FUZZ_BREAK names this break (read once). */
bool fzc_break(const char *name);

/* With MAPGC_FUZZ_BREAK=overread, reads the byte just past the input, as
 * a parser that overruns its buffer would: the replay driver hands the
 * target an exact-size copy, so an ASan build must report it (ctest
 * fuzz/negative_<target>_overread).  Otherwise nothing. */
void fzc_touch_input(const uint8_t *data, size_t size);

/* An in-memory FILE for a writer under test; fzc_capture_end closes it and
 * returns the bytes, *buf (NUL-terminated, the length in *len of
 * fzc_capture_begin's; free them). */
FILE *fzc_capture_begin(char **buf, size_t *len);
char *fzc_capture_end(FILE *f, char **buf);

/*
 * Whether text[0, len) is one strict JSON document (tools/mapgc/json.c, the
 * reader `mapgc reach` uses).  On failure why gets the reader's message and
 * offset.  counts[k] receives the number of elements of the top-level
 * member keys[k] when it is an array (else SIZE_MAX), for k < nkeys.
 */
bool fzc_json_ok(const char *text, size_t len, const char *const *keys, size_t *counts, size_t nkeys, char *why,
	size_t whysize);

#endif /* MAPGC_FUZZ_COMMON_H */
