/* Fatal errors and panics: messages, handlers, exit status 2. */
#include "tests/support/mgt.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

Test(failure, panic_message_and_handler)
{
	mg_runtime *rt = mgt_open(NULL);
	int before = mgt_last_failure.count;
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_PANIC, mg_panic(rt, "boom %d %s", 42, "x"));
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "boom 42 x");
	cr_assert_eq(mgt_last_failure.count, before + 1);
	cr_assert_str_eq(err, "panic: boom 42 x\n");
	/* A panic is not a fatal error: the runtime is still usable. */
	void *p = mg_alloc(rt, &mg_type_int64);
	cr_assert_not_null(p);
	mgt_close(rt);
}

Test(failure, fatal_message_and_handler)
{
	mg_runtime *rt = mgt_open(NULL);
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_FATAL, mg_fatal(rt, "broken %s", "invariant"));
	const char *err = mgt_capture_end();
	cr_assert_str_eq(mgt_last_failure.msg, "broken invariant");
	cr_assert_str_eq(err, "fatal error: broken invariant\n");
	mgt_close(rt);
}

Test(failure, handler_can_be_replaced_and_removed)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_set_failure_handler(rt, NULL, NULL);
	mg_set_failure_handler(rt, mgt_on_failure, NULL);
	MGT_EXPECT_FAILURE(MG_PANIC, mg_panic(rt, "again"));
	cr_assert_str_eq(mgt_last_failure.msg, "again");
	mgt_close(rt);
}

Test(failure, panic_without_handler_exits_2, .exit_code = 2)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_set_failure_handler(rt, NULL, NULL);
	mg_panic(rt, "no handler");
}

Test(failure, fatal_without_handler_exits_2, .exit_code = 2)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_set_failure_handler(rt, NULL, NULL);
	mg_fatal(rt, "no handler");
}

Test(failure, fatal_without_runtime_exits_2, .exit_code = 2)
{
	mg_fatal(NULL, "no runtime at all");
}

static int returning_calls;
static void returning_handler(void *ud, mg_failure kind, const char *msg)
{
	(void)ud;
	(void)kind;
	(void)msg;
	returning_calls++;
}

/* A handler that returns does not resume the program: status 2. */
Test(failure, returning_handler_exits_2, .exit_code = 2)
{
	mg_runtime *rt = mgt_open(NULL);
	mg_set_failure_handler(rt, returning_handler, NULL);
	mg_panic(rt, "handler returns");
}

static void *seen_ud;
static mg_failure seen_kind;
static char seen_msg[64];
static jmp_buf ud_jb;
static void ud_handler(void *ud, mg_failure kind, const char *msg)
{
	seen_ud = ud;
	seen_kind = kind;
	snprintf(seen_msg, sizeof seen_msg, "%s", msg);
	longjmp(ud_jb, 1);
}

Test(failure, handler_gets_user_data)
{
	mg_runtime *rt = mgt_open(NULL);
	static int token;
	mg_set_failure_handler(rt, ud_handler, &token);
	if (setjmp(ud_jb) == 0) {
		mg_fatal(rt, "with ud");
		cr_assert_fail("mg_fatal returned");
	}
	cr_assert_eq(seen_ud, &token);
	cr_assert_eq(seen_kind, MG_FATAL);
	cr_assert_str_eq(seen_msg, "with ud");
	mgt_close(rt);
}

Test(failure, long_message_truncated_not_overflowed)
{
	mg_runtime *rt = mgt_open(NULL);
	char big[2000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	mgt_capture_begin();
	MGT_EXPECT_FAILURE(MG_PANIC, mg_panic(rt, "%s", big));
	const char *err = mgt_capture_end();
	size_t n = strlen(mgt_last_failure.msg);
	cr_assert(n > 100 && n < sizeof big - 1, "message length %zu", n);
	cr_assert_eq(strncmp(err, "panic: xxxx", 11), 0);
	mgt_close(rt);
}
