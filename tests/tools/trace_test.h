/*
 * trace_test.h — helpers of the `mapgc trace` tests (prefix tt_).
 *
 * The tool's trace modules are compiled into this test binary by the
 * src_trace_MODULE.c files, each of which #includes one
 * tools/mapgc/trace_MODULE.c (one translation unit per module, as in the
 * tool): the test build compiles exactly the .c files of tests/tools, so
 * this needs no CMake change.
 * trace.c, the command line, stays out (it needs cli.c): the CLI scripts
 * test it through the real binary.
 *
 * Checkers written independently of the code they check:
 *  - tt_json_valid: a strict RFC 8259 recogniser (structure, strings with
 *    valid escapes and valid UTF-8, numbers), depth-bounded;
 *  - tt_html_balanced: every element closed in order (void elements and
 *    "/>" excepted), raw text of <style> skipped, comments and <!DOCTYPE>
 *    and <?xml?> skipped; counts <svg> elements.
 * Each has negative tests (tools/outputs.c) proving it fires.
 */
#ifndef TT_TRACE_TEST_H
#define TT_TRACE_TEST_H

#include "tools/mapgc/trace.h"
#include "tools/mapgc/trace_chart.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* tests/data/trace/NAME (found from helpers.c's __FILE__). */
const char *tt_data_path(const char *name);
/* The whole file, NUL-terminated (for convenience; len excludes it). */
char *tt_read_file(const char *path, size_t *len);

/* A log built from bytes: reader over memory, every line fed, finished.
 * Free with tt_log_free. */
trace_log *tt_log_from(const char *data, size_t len);
trace_log *tt_log_from_str(const char *text);
trace_log *tt_log_from_file(const char *name);   /* tests/data/trace/NAME */
void tt_log_free(trace_log *log);

/* Render with fn into memory; returns the bytes (NUL-terminated), *len set. */
typedef void (*tt_writer)(FILE *out, const trace_log *log, const void *arg);
char *tt_render(tt_writer fn, const trace_log *log, const void *arg, size_t *len);
void tt_w_summary(FILE *out, const trace_log *log, const void *arg);
void tt_w_csv(FILE *out, const trace_log *log, const void *arg);
void tt_w_json(FILE *out, const trace_log *log, const void *arg);   /* arg: name or NULL */
void tt_w_html(FILE *out, const trace_log *log, const void *arg);   /* arg: reach dir or NULL */

/* The checkers: true when valid, else false with the reason in why. */
bool tt_json_valid(const char *s, size_t n, char *why, size_t whysize);
bool tt_html_balanced(const char *s, size_t n, size_t *nsvg, char *why, size_t whysize);

/* Occurrences of needle in s[0..n). */
size_t tt_count(const char *s, size_t n, const char *needle);

#endif /* TT_TRACE_TEST_H */
