/*
 * criterion.h — the part of Criterion's API that mapgc's tests use, for the
 * ThreadSanitizer build (prefix cr_shim_ for what is not Criterion's).
 *
 * Why: Criterion aborts under TSan before any test runs (its BoxFort arena
 * probes for free address space only where TSan keeps its shadow; Criterion
 * issue #274).  In a build whose MAPGC_SANITIZE names `thread`,
 * tests/CMakeLists.txt puts this directory first on the include path of the
 * test binaries and links tests/tsan/shim/runner.c instead of libcriterion,
 * so the unchanged sources of tests/<module>/ and tests/support/ run under
 * TSan.  The shim is plain C and builds anywhere; mapgc-shim-selftest
 * (tests/tsan/shim_selftest.c and .sh) proves in every build that it fails
 * what it must.
 *
 * What it supports is what the tests use, and nothing else compiles:
 *  - Test(suite, name, options...) with the options .exit_code (the status
 *    the test must exit with; default 0), .fini (run after the body, also
 *    when an assertion failed) and .timeout (seconds; 0 is none).  An option
 *    the shim lacks (.init, .signal, .disabled...) is a compile error, not a
 *    silently ignored setting.  ParameterizedTest, Theory and TestSuite are
 *    not here for the same reason.
 *  - cr_assert*, cr_expect, cr_expect_eq, cr_skip_test, cr_log_info, each
 *    with Criterion's optional message: a string literal format, then its
 *    arguments, evaluated only when the check fails (as in Criterion).
 *
 * Semantics, as in Criterion (src/core/test.c, abort.c, stats.c):
 *  - Each test runs in a child process forked by the runner.  A failed
 *    cr_assert prints "file:line: Assertion failed: message" on stderr (the
 *    fd 2 the test started with, whatever the test points fd 2 at later)
 *    and longjmps out of the body; .fini then runs and the child exits 1.
 *    A failed cr_expect prints the same and the body goes on; the test
 *    fails.  A cr_assert failing on a thread the test started ends the
 *    child at once (exit 1, no .fini): there is no frame to unwind to.
 *  - cr_skip_test ends the child at once (no .fini, as Criterion's exit(0));
 *    the test counts as skipped, not tested.
 *  - The test passes when no check failed, no signal killed the child, it
 *    did not time out, and its exit status is .exit_code: a body that
 *    returns exits 0, so a test expecting 2 must exit 2 itself.  A
 *    ThreadSanitizer report makes the child exit with TSan's exitcode (66
 *    by default and in the tsan test preset; at the report with
 *    halt_on_error=1, else at exit), which fails the test.
 */
#ifndef MAPGC_CRITERION_SHIM_H
#define MAPGC_CRITERION_SHIM_H

/* The standard headers Criterion's criterion.h brings (2.4), so a test
 * that compiles with one header compiles with the other. */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The designated options of Test(...).  sentinel_ exists so that Test's
 * option list is never empty (see Test). */
struct cr_shim_options {
	int exit_code;      /* the exit status that passes; 0 when not given */
	void (*fini)(void); /* run in the child after the body; NULL for none */
	double timeout;     /* seconds before the runner kills the child; 0: none */
	int sentinel_;
};

struct cr_shim_test {
	const char *suite;
	const char *name;
	const char *file; /* where Test(...) is, for the runner's messages */
	int line;
	void (*body)(void);
	struct cr_shim_options opt;
};

/* Called by each Test's constructor, before main (runner.c). */
void cr_shim_register(const struct cr_shim_test *t);

/* Check failures: fmt is "x" followed by the user's format (see
 * CR_SHIM_CHECK_), empty meaning "say what failed" from expr. */
_Noreturn void cr_shim_assert_failed(const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void cr_shim_expect_failed(const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
_Noreturn void cr_shim_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cr_shim_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline bool cr_shim_str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool cr_shim_float_eq(long double a, long double b, long double eps)
{
	return a - b <= eps && b - a <= eps;
}

/* Test(suite, name, .exit_code = 2, ...): a static body, its record, and a
 * constructor that registers the record.  Test appends `.sentinel_ = 0` so
 * the options never end empty, as Criterion's Test does. */
#define Test(...) CR_SHIM_TEST_(__VA_ARGS__, .sentinel_ = 0)
#define CR_SHIM_TEST_(suite, name, ...)                                                           \
	static void cr_shim_##suite##_##name##_body(void);                                           \
	static const struct cr_shim_test cr_shim_##suite##_##name##_test = {                         \
		#suite, #name, __FILE__, __LINE__, cr_shim_##suite##_##name##_body, {__VA_ARGS__}};  \
	__attribute__((constructor)) static void cr_shim_##suite##_##name##_register(void)       \
	{                                                                                            \
		cr_shim_register(&cr_shim_##suite##_##name##_test);                                 \
	}                                                                                            \
	static void cr_shim_##suite##_##name##_body(void)

/* One check: cond evaluated once, the message's arguments only on failure.
 * "x" __VA_ARGS__ turns an absent message into "x" and a present one into
 * "x<format>", args, which the failure functions print from fmt + 1
 * (Criterion's own trick); it also makes a non-literal format an error. */
#define CR_SHIM_CHECK_(failed, cond, expr, ...)                                \
	do {                                                                   \
		if (!(cond))                                                   \
			failed(__FILE__, __LINE__, expr, "x" __VA_ARGS__);     \
	} while (0)

#define CR_SHIM_ASSERT_(cond, expr, ...) CR_SHIM_CHECK_(cr_shim_assert_failed, cond, expr, __VA_ARGS__)

#define cr_assert(cond, ...) CR_SHIM_ASSERT_(cond, #cond, __VA_ARGS__)
#define cr_assert_not(cond, ...) CR_SHIM_ASSERT_(!(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_assert_eq(a, b, ...) CR_SHIM_ASSERT_((a) == (b), "(" #a ") == (" #b ")", __VA_ARGS__)
#define cr_assert_neq(a, b, ...) CR_SHIM_ASSERT_((a) != (b), "(" #a ") != (" #b ")", __VA_ARGS__)
#define cr_assert_lt(a, b, ...) CR_SHIM_ASSERT_((a) < (b), "(" #a ") < (" #b ")", __VA_ARGS__)
#define cr_assert_leq(a, b, ...) CR_SHIM_ASSERT_((a) <= (b), "(" #a ") <= (" #b ")", __VA_ARGS__)
#define cr_assert_gt(a, b, ...) CR_SHIM_ASSERT_((a) > (b), "(" #a ") > (" #b ")", __VA_ARGS__)
#define cr_assert_geq(a, b, ...) CR_SHIM_ASSERT_((a) >= (b), "(" #a ") >= (" #b ")", __VA_ARGS__)
#define cr_assert_null(p, ...) CR_SHIM_ASSERT_((p) == NULL, "(" #p ") == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) CR_SHIM_ASSERT_((p) != NULL, "(" #p ") != NULL", __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) CR_SHIM_ASSERT_(cr_shim_str_eq((a), (b)), "(as strings) (" #a ") == (" #b ")", __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) CR_SHIM_ASSERT_(!cr_shim_str_eq((a), (b)), "(as strings) (" #a ") != (" #b ")", __VA_ARGS__)
#define cr_assert_str_empty(s, ...) CR_SHIM_ASSERT_((s)[0] == '\0', "(" #s ") is empty", __VA_ARGS__)
#define cr_assert_float_eq(a, b, eps, ...)                                                        \
	CR_SHIM_ASSERT_(cr_shim_float_eq((a), (b), (eps)), "(" #a ") == (" #b ") within " #eps, __VA_ARGS__)
#define cr_assert_fail(...) cr_shim_assert_failed(__FILE__, __LINE__, "", "x" __VA_ARGS__)

#define cr_expect(cond, ...) CR_SHIM_CHECK_(cr_shim_expect_failed, cond, #cond, __VA_ARGS__)
#define cr_expect_eq(a, b, ...) CR_SHIM_CHECK_(cr_shim_expect_failed, (a) == (b), "(" #a ") == (" #b ")", __VA_ARGS__)

#define cr_skip_test(...) cr_shim_skip("x" __VA_ARGS__)
#define cr_log_info(...) cr_shim_log_info(__VA_ARGS__)

#endif
