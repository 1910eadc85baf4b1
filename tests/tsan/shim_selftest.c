/*
 * shim_selftest.c — tests of the Criterion shim (tests/tsan/shim), most of
 * them failing on purpose: tests/tsan/shim_selftest.sh runs them one by one
 * through mapgc-shim-selftest and checks each verdict, message and exit
 * status.  Built with the shim in every build, and not ctest entries of
 * their own (they are meant to fail).  The lines the script looks for are
 * printed on stdout; it finds each check's line number by its message.
 */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* Every check and the logger, passing, with and without a message. */
Test(checks, all_pass)
{
	int one = 1;
	const char *s = "mapgc";
	cr_assert(one);
	cr_assert(one == 1, "one is %d", one);
	cr_assert_not(one == 2);
	cr_assert_eq(one, 1);
	cr_assert_eq(one, 1, "one is %d", one);
	cr_assert_neq(one, 2);
	cr_assert_lt(one, 2);
	cr_assert_leq(one, 1);
	cr_assert_gt(one, 0);
	cr_assert_geq(one, 1, "%s", "with a message");
	cr_assert_null(NULL);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, "mapgc");
	cr_assert_str_neq(s, "mapg", "%s", s);
	cr_assert_str_empty(s + 5);
	cr_assert_float_eq(0.1 + 0.2, 0.3, 1e-9);
	cr_expect(one);
	cr_expect_eq(one, 1, "one is %d", one);
	cr_log_info("logged %d", 7);
}

Test(checks, assert_fails)
{
	cr_assert_eq(1 + 1, 3, "1 + 1 is %d", 1 + 1);
	puts("after the failed assert");
}

Test(checks, default_message)
{
	int x = 0;
	cr_assert(x > 1);
}

Test(checks, assert_fail)
{
	cr_assert_fail("failed on purpose, %s", "here");
}

Test(checks, expect_goes_on)
{
	cr_expect(0, "the first expect");
	cr_expect_eq(1, 2, "the second expect");
	puts("after the failed expects");
}

static void *assert_on_thread(void *arg)
{
	(void)arg;
	cr_assert(0, "failed on a thread");
	return NULL;
}

Test(checks, fails_on_a_thread)
{
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, assert_on_thread, NULL), 0);
	pthread_join(t, NULL);
	puts("joined the failed thread");
}

/* Tests point fd 2 elsewhere to read what the runtime prints; a check that
 * fails meanwhile must still be seen. */
Test(checks, fails_with_stderr_redirected)
{
	int null = open("/dev/null", O_WRONLY);
	cr_assert_geq(null, 0);
	cr_assert_geq(dup2(null, 2), 0);
	cr_assert(0, "failed with fd 2 on /dev/null");
}

static void say_fini(void)
{
	puts("fini ran");
}

Test(fini, after_the_body, .fini = say_fini)
{
	puts("body ran");
}

Test(fini, after_a_failed_assert, .fini = say_fini)
{
	cr_assert(0, "failed before fini");
}

Test(exit_code, two_exits_2, .exit_code = 2)
{
	exit(2);
}

Test(exit_code, two_returns, .exit_code = 2)
{
}

/* A failed check fails the test whatever the status. */
Test(exit_code, two_after_a_failed_expect, .exit_code = 2)
{
	cr_expect(0, "failed before exit(2)");
	exit(2);
}

Test(exit_code, zero_exits_3)
{
	exit(3);
}

/* What a ThreadSanitizer report ends the child with (TSAN_OPTIONS exitcode). */
Test(exit_code, zero_exits_66)
{
	exit(66);
}

Test(skip, skipped)
{
	cr_skip_test("skipped on purpose, %d", 42);
	puts("after the skip");
}

Test(timeout, sleeps_too_long, .timeout = 1)
{
	sleep(30);
}

Test(timeout, within, .timeout = 60)
{
}

Test(crash, killed)
{
	raise(SIGKILL);
}

/* Two threads write one int unordered: a TSan build reports it, so the test
 * fails (status 66 or, without halt_on_error, at exit); elsewhere it passes. */
static int raced;

static void *race_writer(void *arg)
{
	raced = (int)(intptr_t)arg;
	return NULL;
}

/* Two threads write `raced` with no synchronisation. */
static void race_two(int x, int y)
{
	pthread_t a, b;
	cr_assert_eq(pthread_create(&a, NULL, race_writer, (void *)(intptr_t)x), 0);
	cr_assert_eq(pthread_create(&b, NULL, race_writer, (void *)(intptr_t)y), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("raced %d\n", raced);
}

Test(race, two_writers)
{
	race_two(1, 2);
}

/* The report must reach the runner's stderr although the test has pointed
 * fd 2 elsewhere, as tests that read back the runtime's messages do. */
Test(race, two_writers_with_stderr_redirected)
{
	int null = open("/dev/null", O_WRONLY);
	cr_assert_geq(null, 0);
	cr_assert_geq(dup2(null, 2), 0);
	race_two(3, 4);
}
