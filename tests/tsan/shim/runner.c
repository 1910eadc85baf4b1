/*
 * runner.c — main() and the checks of the Criterion shim; what the shim is
 * and what it supports: criterion/criterion.h beside this file.
 *
 *   test_<module> [--list] [--filter GLOB] [-jN]
 *
 * --list prints Criterion's ASCII tree (cmake/MapgcCheckTestList.cmake reads
 * it for the <module>/registered entry):
 *
 *     suite: 2 tests
 *     |-- first
 *     `-- second
 *
 * --filter GLOB runs the tests whose suite/name matches (fnmatch, as
 * Criterion's); without it every test runs.  -jN, -j N and --jobs N are
 * accepted and ignored: tests run one at a time, and ctest runs the binaries
 * in parallel (one entry per test, cmake/MapgcTests.cmake).
 *
 * Each test: the runner forks, the child runs the body and .fini and exits,
 * the parent waits (killing the child at .timeout) and judges the result
 * from the child's exit status and a shared page the child writes
 * (struct child_report).  The parent starts no thread, so the fork is safe
 * under ThreadSanitizer, and the test's threads are the child's alone.
 *
 * Output on stderr, as Criterion's: one [PASS]/[FAIL]/[SKIP] line per test,
 * then "Synthesis: Tested: T | Passing: P | Failing: F | Crashing: C", where
 * T leaves out the skipped, so ctest's SKIP_REGULAR_EXPRESSION
 * "Synthesis: Tested: 0 \|" reports a skipped test as skipped.  Exit status
 * 0 when no test failed, 1 when one did, 2 for a bad command line.
 */
#include "criterion/criterion.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SHIM_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SHIM_SANITIZER 1
#endif
#endif
#ifndef SHIM_SANITIZER
#define SHIM_SANITIZER 0
#endif
#if SHIM_SANITIZER
#include <sanitizer/common_interface_defs.h>
#endif

/* ---- registry --------------------------------------------------------------- */

static const struct cr_shim_test **tests; /* registered, then sorted by main */
static size_t ntests;

void cr_shim_register(const struct cr_shim_test *t)
{
	static size_t cap;
	if (ntests == cap) {
		cap = cap ? 2 * cap : 64;
		tests = realloc(tests, cap * sizeof *tests);
		if (!tests) {
			fputs("criterion shim: out of memory registering tests\n", stderr);
			abort();
		}
	}
	tests[ntests++] = t;
}

/* Suite, then name: the order of Criterion's --list and runs. */
static int test_order(const void *a, const void *b)
{
	const struct cr_shim_test *x = *(const struct cr_shim_test *const *)a;
	const struct cr_shim_test *y = *(const struct cr_shim_test *const *)b;
	int c = strcmp(x->suite, y->suite);
	return c ? c : strcmp(x->name, y->name);
}

/* ---- the child: run one test ------------------------------------------------ */

/* What the child tells the parent beyond its exit status, in a MAP_SHARED
 * page mapped before the fork and cleared before each test.  The parent
 * reads it only after waitpid. */
struct child_report {
	int failures; /* checks that failed; atomic: any of the test's threads may fail one */
	int skipped;  /* cr_skip_test was called */
	char skip_reason[512];
};

static struct child_report *report;
static const struct cr_shim_test *current; /* the child's test; NULL in the parent */
static pthread_t test_thread;              /* the thread that runs the body and .fini */
static jmp_buf leave_part;                 /* a failed cr_assert there ends the body or .fini */
/* The runner's stderr, kept apart from fd 2, which tests redirect to check
 * what the runtime prints (mgt_capture_begin, or a pipe to a forked child):
 * a check failing meanwhile is still seen, and not mixed into what the test
 * reads back.  Criterion's messages travel to its runner by socket, out of
 * the test's way too.  The sanitizer's reports go here as well: with
 * halt_on_error=1 a race seen while fd 2 was redirected would otherwise end
 * the test with status 66 and no report anyone sees. */
static int say_fd = 2;

/* One line on say_fd, in one write so threads do not interleave. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char line[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	ssize_t ignored = write(say_fd, line, (size_t)n);
	(void)ignored;
}

static void print_failure(const char *file, int line, const char *expr, const char *fmt, va_list ap)
{
	char msg[4096];
	if (fmt[1])
		vsnprintf(msg, sizeof msg, fmt + 1, ap);
	else if (expr[0])
		snprintf(msg, sizeof msg, "The expression %s is false.", expr);
	else
		snprintf(msg, sizeof msg, "The conditions for this assertion were not met.");
	say("%s:%d: Assertion failed: %s", file, line, msg);
}

static void count_failure(void)
{
	if (report)
		__atomic_fetch_add(&report->failures, 1, __ATOMIC_RELAXED);
}

/* What a failed check does, assert or expect: reported and counted. */
#define CHECK_FAILED(file, line, expr, fmt) \
	do { \
		va_list ap; \
		va_start(ap, fmt); \
		print_failure(file, line, expr, fmt, ap); \
		va_end(ap); \
		count_failure(); \
	} while (0)

void cr_shim_assert_failed(const char *file, int line, const char *expr, const char *fmt, ...)
{
	CHECK_FAILED(file, line, expr, fmt);
	if (current && pthread_equal(pthread_self(), test_thread))
		longjmp(leave_part, 1);
	/* Outside a test, or on a thread the test started: there is no frame
	 * to unwind to (Criterion's longjmp from there would be undefined), so
	 * the child ends here, failed, without .fini. */
	fflush(NULL);
	_exit(1);
}

void cr_shim_expect_failed(const char *file, int line, const char *expr, const char *fmt, ...)
{
	CHECK_FAILED(file, line, expr, fmt);
}

void cr_shim_skip(const char *fmt, ...)
{
	if (report) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(report->skip_reason, sizeof report->skip_reason, fmt + 1, ap);
		va_end(ap);
		report->skipped = 1;
	}
	exit(0);
}

void cr_shim_log_info(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	say("[----] %s", msg);
}

/* Runs fn; a failed cr_assert in it returns here. */
static void run_part(void (*fn)(void))
{
	if (!setjmp(leave_part))
		fn();
}

_Noreturn static void run_child(const struct cr_shim_test *t)
{
	current = t;
	test_thread = pthread_self();
	int fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0)
		say_fd = fd;
#if SHIM_SANITIZER
	__sanitizer_set_report_fd((void *)(intptr_t)say_fd);
#endif
	run_part(t->body);
	if (t->opt.fini)
		run_part(t->opt.fini);
	/* exit, not _exit: atexit handlers and the sanitizers' exit checks run,
	 * and a report from them changes the status the parent sees. */
	exit(__atomic_load_n(&report->failures, __ATOMIC_RELAXED) ? 1 : 0);
}

/* ---- the parent: fork, wait, judge -------------------------------------------- */

enum outcome { PASSED, FAILED, CRASHED, SKIPPED };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* waitpid for the child; with a timeout, polls every 10 ms (the parent has
 * nothing else to do) and kills the child when it is up.  False on timeout. */
static bool wait_child(pid_t pid, double timeout, double start, int *status)
{
	for (;;) {
		pid_t got = waitpid(pid, status, timeout > 0 ? WNOHANG : 0);
		if (got == pid)
			return true;
		if (got < 0 && errno != EINTR) {
			perror("criterion shim: waitpid");
			exit(1);
		}
		if (timeout > 0 && now() - start >= timeout) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return false;
		}
		if (timeout > 0)
			nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
}

static enum outcome run_test(const struct cr_shim_test *t)
{
	memset(report, 0, sizeof *report);
	fflush(NULL); /* or the child would print the parent's buffered output again */
	double start = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("criterion shim: fork");
		exit(1);
	}
	if (pid == 0)
		run_child(t);

	int status = 0;
	bool finished = wait_child(pid, t->opt.timeout, start, &status);
	double secs = now() - start;
	const char *tag = "FAIL";
	enum outcome result = FAILED;
	char why[sizeof report->skip_reason + 128] = ""; /* the skip reason, or a sentence */
	if (!finished) {
		snprintf(why, sizeof why, "timed out after %.1f s (.timeout = %g)", secs, t->opt.timeout);
	} else if (WIFSIGNALED(status)) {
		tag = "CRASH";
		result = CRASHED;
		snprintf(why, sizeof why, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else {
		int code = WEXITSTATUS(status);
		if (report->failures) {
			snprintf(why, sizeof why, "%d check%s failed", report->failures, report->failures == 1 ? "" : "s");
		} else if (report->skipped && code == 0) {
			tag = "SKIP";
			result = SKIPPED;
			snprintf(why, sizeof why, "%s", report->skip_reason);
		} else if (code != t->opt.exit_code) {
			snprintf(why, sizeof why, "exit status %d, want %d%s", code, t->opt.exit_code,
			         code == 66 ? " (66: ThreadSanitizer's exitcode, after a report)" : "");
		} else {
			tag = "PASS";
			result = PASSED;
		}
	}
	fprintf(stderr, "[%s] %s::%s: %s%s(%.2fs)\n", tag, t->suite, t->name, why, why[0] ? " " : "", secs);
	if (result == FAILED || result == CRASHED)
		fprintf(stderr, "[----] %s:%d: Test(%s, %s)\n", t->file, t->line, t->suite, t->name);
	return result;
}

/* ---- command line ------------------------------------------------------------ */

static void list_tests(void)
{
	for (size_t i = 0; i < ntests;) {
		size_t end = i;
		while (end < ntests && strcmp(tests[end]->suite, tests[i]->suite) == 0)
			end++;
		printf("%s: %zu test%s\n", tests[i]->suite, end - i, end - i == 1 ? "" : "s");
		for (size_t j = i; j < end; j++)
			printf("%s-- %s\n", j + 1 == end ? "`" : "|", tests[j]->name);
		i = end;
	}
}

_Noreturn static void usage(const char *prog, int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: %s [--list] [--filter SUITE/NAME-GLOB] [-jN]\n"
	        "(the Criterion shim of mapgc's ThreadSanitizer build: tests/tsan/shim)\n",
	        prog);
	exit(status);
}

/* The value of --name VALUE or --name=VALUE at argv[*i]; NULL if argv[*i]
 * is not that option. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		usage(argv[0], 2);
	return argv[++*i];
}

int main(int argc, char **argv)
{
	bool list = false;
	const char *filter = NULL;
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (strcmp(argv[i], "--list") == 0 || strcmp(argv[i], "-l") == 0)
			list = true;
		else if ((v = option_value(argc, argv, &i, "--filter")))
			filter = v;
		else if (option_value(argc, argv, &i, "--jobs") || (strncmp(argv[i], "-j", 2) == 0 && argv[i][2]))
			; /* one test at a time, see the head of this file */
		else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
			i++;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			usage(argv[0], 0);
		else
			usage(argv[0], 2);
	}

	qsort(tests, ntests, sizeof *tests, test_order);
	for (size_t i = 1; i < ntests; i++) {
		if (test_order(&tests[i - 1], &tests[i]) == 0) {
			fprintf(stderr, "criterion shim: %s/%s is defined twice (%s:%d, %s:%d)\n", tests[i]->suite,
			        tests[i]->name, tests[i - 1]->file, tests[i - 1]->line, tests[i]->file, tests[i]->line);
			return 2;
		}
	}
	if (list) {
		list_tests();
		return 0;
	}

	report = mmap(NULL, sizeof *report, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (report == MAP_FAILED) {
		perror("criterion shim: mmap");
		return 1;
	}
	size_t tested = 0, passing = 0, failing = 0, crashing = 0;
	for (size_t i = 0; i < ntests; i++) {
		char id[512];
		snprintf(id, sizeof id, "%s/%s", tests[i]->suite, tests[i]->name);
		if (filter && fnmatch(filter, id, 0) != 0)
			continue;
		switch (run_test(tests[i])) {
		case PASSED: tested++, passing++; break;
		case FAILED: tested++, failing++; break;
		case CRASHED: tested++, failing++, crashing++; break;
		case SKIPPED: break;
		}
	}
	fprintf(stderr, "[====] Synthesis: Tested: %zu | Passing: %zu | Failing: %zu | Crashing: %zu\n", tested, passing,
	        failing, crashing);
	return failing ? 1 : 0;
}
