/*
 * Misuse, in Go's words (DESIGN.md §4): assignment to a nil map panics;
 * reading, deleting, clearing, measuring or iterating a nil map behaves as
 * for an empty one; a map operation that finds hashWriting set (another
 * writer mid-operation) is a fatal error — "concurrent map writes" for
 * writers, "concurrent map read and map write" for lookups, "concurrent map
 * iteration and map write" for iteration.  Without a failure handler the
 * process prints "panic: …" / "fatal error: …" and exits with status 2;
 * these run in a forked child so the test sees both the status and stderr.
 * With a handler (mgt's), the kind and the message are checked.
 * hashWriting is set by hand (m->flags |= MAP_HASH_WRITING): it is what a
 * second thread inside mg_map_set would leave there.
 */
#include "tests/support/mgt.h"

#include "maptype/map.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- a child process without a failure handler ---------------------------- */

static mg_runtime *volatile child_rt; /* reachable: not a leak if the child exits */

/* The tests' config (MAPGC_TEST_PROCS and MAPGC_TEST_MODE included),
 * made by run_child before it forks, so that what mgt_config reports goes
 * to the parent's stderr, not into the child's that the test reads. */
static mg_config child_cfg;

/* A runtime with no failure handler: misuse ends the child, exit 2. */
static mg_runtime *child_open(void)
{
	child_rt = mg_open(&child_cfg);
	return child_rt;
}

typedef struct child_result {
	int status;
	char err[4096];
} child_result;

/* Runs fn in a child with stderr captured; a child that returns exits 0. */
static child_result run_child(void (*fn)(void))
{
	child_result r = {0};
	int p[2];
	mgt_config(&child_cfg);
	fflush(stdout);
	fflush(stderr);
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 2);
		close(p[1]);
		fn();
		fflush(stderr);
		_exit(0);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t got;
	while ((got = read(p[0], r.err + n, sizeof r.err - 1 - n)) > 0)
		n += (size_t)got;
	r.err[n] = '\0';
	close(p[0]);
	cr_assert_eq(waitpid(pid, &r.status, 0), pid);
	return r;
}

static void assert_exit2(child_result r, const char *first_line)
{
	cr_assert(WIFEXITED(r.status), "the child did not exit normally (status %#x); stderr:\n%s", r.status, r.err);
	cr_assert_eq(WEXITSTATUS(r.status), 2, "exit status %d, want 2; stderr:\n%s", WEXITSTATUS(r.status), r.err);
	size_t n = strlen(first_line);
	cr_assert(strncmp(r.err, first_line, n) == 0 && r.err[n] == '\n',
	          "stderr must start with the line \"%s\"; it is:\n%s", first_line, r.err);
}

static mg_hmap *child_map(mg_runtime *rt, mg_scope *s, mg_hmap **slot)
{
	mg_scope_enter(rt, s);
	mg_root(rt, slot, "m");
	*slot = mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, &mg_type_int64), 0);
	for (int64_t k = 0; k < 20; k++)
		mg_map_set(rt, *slot, &k, &k);
	return *slot;
}

static void child_nil_set(void)
{
	mg_runtime *rt = child_open();
	int64_t k = 1, v = 2;
	mg_map_set(rt, NULL, &k, &v);
}

static void child_concurrent_set(void)
{
	mg_runtime *rt = child_open();
	mg_scope s;
	mg_hmap *m;
	child_map(rt, &s, &m);
	m->flags |= MAP_HASH_WRITING;
	int64_t k = 100, v = 2;
	mg_map_set(rt, m, &k, &v);
}

static void child_concurrent_get(void)
{
	mg_runtime *rt = child_open();
	mg_scope s;
	mg_hmap *m;
	child_map(rt, &s, &m);
	m->flags |= MAP_HASH_WRITING;
	int64_t k = 3, v;
	mg_map_get(rt, m, &k, &v);
}

static void child_concurrent_delete(void)
{
	mg_runtime *rt = child_open();
	mg_scope s;
	mg_hmap *m;
	child_map(rt, &s, &m);
	m->flags |= MAP_HASH_WRITING;
	int64_t k = 3;
	mg_map_delete(rt, m, &k);
}

static void child_concurrent_clear(void)
{
	mg_runtime *rt = child_open();
	mg_scope s;
	mg_hmap *m;
	child_map(rt, &s, &m);
	m->flags |= MAP_HASH_WRITING;
	mg_map_clear(rt, m);
}

static void child_concurrent_next(void)
{
	mg_runtime *rt = child_open();
	mg_scope s;
	mg_hmap *m;
	child_map(rt, &s, &m);
	mg_hiter *it = mg_map_iter(rt, m);
	mg_root(rt, &it, "it");
	int64_t k, v;
	if (!mg_map_next(rt, it, &k, &v))
		_exit(3);
	m->flags |= MAP_HASH_WRITING;
	mg_map_next(rt, it, &k, &v);
}

Test(misuse, nil_map_set_exits_2) { assert_exit2(run_child(child_nil_set), "panic: assignment to entry in nil map"); }
Test(misuse, concurrent_set_exits_2) { assert_exit2(run_child(child_concurrent_set), "fatal error: concurrent map writes"); }
Test(misuse, concurrent_delete_exits_2)
{
	assert_exit2(run_child(child_concurrent_delete), "fatal error: concurrent map writes");
}
Test(misuse, concurrent_clear_exits_2)
{
	assert_exit2(run_child(child_concurrent_clear), "fatal error: concurrent map writes");
}
Test(misuse, concurrent_get_exits_2)
{
	assert_exit2(run_child(child_concurrent_get), "fatal error: concurrent map read and map write");
}
Test(misuse, concurrent_next_exits_2)
{
	assert_exit2(run_child(child_concurrent_next), "fatal error: concurrent map iteration and map write");
}

/* Criterion's own way to expect an exit status: no handler, no fork. */
Test(misuse, nil_map_set_exit_code, .exit_code = 2)
{
	child_nil_set();
	cr_assert_fail("mg_map_set on a nil map returned");
}

/* ---- with a failure handler: kind and message --------------------------------- */

typedef struct hfx {
	mg_runtime *rt;
	mg_scope s;
	mg_hmap *m;
	mg_hiter *it;
} hfx;

static void hfx_open(hfx *f)
{
	memset(f, 0, sizeof *f);
	f->rt = mgt_open(NULL);
	mg_scope_enter(f->rt, &f->s);
	mg_root(f->rt, &f->m, "m");
	mg_root(f->rt, &f->it, "it");
	f->m = mg_map_new(f->rt, mg_maptype_get(f->rt, &mg_type_int64, &mg_type_int64), 0);
	for (int64_t k = 0; k < 20; k++)
		mg_map_set(f->rt, f->m, &k, &k);
}

Test(misuse, nil_map_set_panics)
{
	hfx f;
	hfx_open(&f);
	int64_t k = 1, v = 2;
	MGT_EXPECT_FAILURE(MG_PANIC, mg_map_set(f.rt, NULL, &k, &v));
	cr_assert_str_eq(mgt_last_failure.msg, "assignment to entry in nil map");
	/* A panic is not fatal: the runtime goes on. */
	mg_map_set(f.rt, f.m, &k, &v);
	cr_assert(mg_map_get(f.rt, f.m, &k, &v) && v == 2);
	mg_scope_leave(f.rt, &f.s);
	mgt_close(f.rt);
}

static void expect_fatal(const char *msg, int which)
{
	hfx f;
	hfx_open(&f);
	int64_t k = 3, v = 0;
	if (which == 4) {
		f.it = mg_map_iter(f.rt, f.m);
		cr_assert(mg_map_next(f.rt, f.it, &k, &v));
	}
	f.m->flags |= MAP_HASH_WRITING;
	switch (which) {
	case 0: MGT_EXPECT_FAILURE(MG_FATAL, mg_map_set(f.rt, f.m, &k, &v)); break;
	case 1: MGT_EXPECT_FAILURE(MG_FATAL, mg_map_delete(f.rt, f.m, &k)); break;
	case 2: MGT_EXPECT_FAILURE(MG_FATAL, mg_map_clear(f.rt, f.m)); break;
	case 3: MGT_EXPECT_FAILURE(MG_FATAL, mg_map_get(f.rt, f.m, &k, &v)); break;
	default: MGT_EXPECT_FAILURE(MG_FATAL, mg_map_next(f.rt, f.it, &k, &v)); break;
	}
	cr_assert_str_eq(mgt_last_failure.msg, msg);
	mgt_close(f.rt);
}

Test(misuse, concurrent_set_is_fatal) { expect_fatal("concurrent map writes", 0); }
Test(misuse, concurrent_delete_is_fatal) { expect_fatal("concurrent map writes", 1); }
Test(misuse, concurrent_clear_is_fatal) { expect_fatal("concurrent map writes", 2); }
Test(misuse, concurrent_get_is_fatal) { expect_fatal("concurrent map read and map write", 3); }
Test(misuse, concurrent_next_is_fatal) { expect_fatal("concurrent map iteration and map write", 4); }

/* Go checks count == 0 before hashWriting in lookups and deletes: an empty
 * map answers without noticing the writer. */
Test(misuse, empty_map_reads_before_checking_writer)
{
	hfx f;
	hfx_open(&f);
	f.m = mg_map_new(f.rt, mg_maptype_get(f.rt, &mg_type_int64, &mg_type_int64), 0);
	f.m->flags |= MAP_HASH_WRITING;
	int64_t k = 1, v = 5;
	cr_assert(!mg_map_get(f.rt, f.m, &k, &v));
	cr_assert_eq(v, 0);
	mg_map_delete(f.rt, f.m, &k);
	cr_assert_eq(mgt_last_failure.count, 0, "no failure: %s", mgt_last_failure.msg);
	f.m->flags &= (uint8_t)~MAP_HASH_WRITING;
	mg_scope_leave(f.rt, &f.s);
	mgt_close(f.rt);
}

Test(misuse, nil_map_reads_are_empty)
{
	hfx f;
	hfx_open(&f);
	int64_t k = 1, v = 77;
	cr_assert_not(mg_map_get(f.rt, NULL, &k, &v), "get on a nil map misses");
	cr_assert_not(mg_map_get(f.rt, NULL, &k, NULL));
	mg_map_delete(f.rt, NULL, &k);
	mg_map_clear(f.rt, NULL);
	cr_assert_eq(mg_map_len(NULL), 0);
	f.it = mg_map_iter(f.rt, NULL);
	cr_assert_not_null(f.it, "iterating a nil map gives an (empty) iterator");
	cr_assert_not(mg_map_next(f.rt, f.it, &k, &v));
	cr_assert_not(mg_map_next(f.rt, f.it, &k, &v));
	cr_assert_not(mg_map_next(f.rt, NULL, &k, &v));
	cr_assert_eq(mg_map_check(f.rt, NULL, stderr), 0);
	mg_mapinfo in;
	memset(&in, 0xff, sizeof in);
	mg_map_info(NULL, &in);
	cr_assert(in.count == 0 && in.B == 0 && in.nbuckets == 0 && !in.growing && in.id == 0);
	/* An empty map iterates to nothing as well. */
	f.m = mg_map_new(f.rt, mg_maptype_get(f.rt, &mg_type_int64, &mg_type_int64), 0);
	f.it = mg_map_iter(f.rt, f.m);
	cr_assert_not(mg_map_next(f.rt, f.it, &k, &v));
	cr_assert_eq(mgt_last_failure.count, 0);
	mg_scope_leave(f.rt, &f.s);
	mgt_close(f.rt);
}
