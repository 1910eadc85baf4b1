/* MAPGC_DEBUG / MAPGC_GOGC / MAPGC_MEMLIMIT / MAPGC_PROCS from the
 * environment.  Every Criterion test runs in its own process, so setenv does
 * not leak. */
#include "tests/support/mgt.h"

#include <criterion/criterion.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* What procs = 0 resolves to, counted by the test support, not the runtime. */
static int default_procs(void)
{
	int n = mgt_affinity_cpus();
	return n > MG_PROCS_MAX ? MG_PROCS_MAX : n;
}

static void set_env(void)
{
	cr_assert_eq(setenv("MAPGC_DEBUG", "gctrace=1,wb=dijkstra,gcevery=9,seed=77,gcslice=1024", 1), 0);
	cr_assert_eq(setenv("MAPGC_GOGC", "off", 1), 0);
	cr_assert_eq(setenv("MAPGC_MEMLIMIT", "64MiB", 1), 0);
	cr_assert_eq(setenv("MAPGC_PROCS", "3", 1), 0);
}

Test(env, applied_by_open_null)
{
	set_env();
	mg_runtime *rt = mg_open(NULL);
	const mg_config *c = mg_runtime_config(rt);
	cr_assert_eq(c->gctrace, 1);
	cr_assert_eq(c->wb, MG_WB_DIJKSTRA);
	cr_assert_eq(c->gcevery, 9);
	cr_assert_eq(c->seed, 77);
	cr_assert(c->seed_set);
	cr_assert_eq(c->mark_slice, 1024);
	cr_assert_eq(c->gogc, MG_GOGC_OFF);
	cr_assert_eq(c->memlimit, (int64_t)64 << 20);
	cr_assert_eq(c->procs, 3);
	/* What NULL does not get from the environment is the default. */
	cr_assert_eq(c->checkmark, 0);
	cr_assert_eq(c->heapcheck, 0);
	cr_assert_eq(c->stoptheworld, 0);
	/* The pacer sees them: GOGC=off with a limit puts the goal at limit - 5 %. */
	mg_stats st;
	mg_read_stats(rt, &st);
	cr_assert_eq(st.heap_goal, ((uint64_t)64 << 20) - ((uint64_t)64 << 20) / 20);
	mg_close(rt);
}

Test(env, applied_on_top_of_cfg)
{
	set_env();
	mg_config cfg;
	mg_config_default(&cfg);
	cfg.checkmark = 1;
	cfg.wb = MG_WB_YUASA;
	cfg.procs = 2;
	mg_runtime *rt = mgt_open_raw(&cfg);
	const mg_config *c = mg_runtime_config(rt);
	cr_assert_eq(c->checkmark, 1, "kept from cfg");
	cr_assert_eq(c->wb, MG_WB_DIJKSTRA, "the environment wins over cfg");
	cr_assert_eq(c->procs, 3, "MAPGC_PROCS wins over cfg");
	cr_assert_eq(c->gogc, MG_GOGC_OFF);
	mgt_close(rt);
}

Test(env, ignored_with_ignore_env)
{
	set_env();
	mg_config cfg;
	mg_config_default(&cfg);
	cfg.ignore_env = true;
	cfg.procs = 2;
	mg_runtime *rt = mgt_open_raw(&cfg);
	const mg_config *c = mg_runtime_config(rt);
	cr_assert_eq(c->procs, 2, "not MAPGC_PROCS=3");
	cr_assert_eq(c->gctrace, 0);
	cr_assert_eq(c->wb, MG_WB_HYBRID);
	cr_assert_eq(c->gcevery, 0);
	cr_assert_not(c->seed_set);
	cr_assert_eq(c->mark_slice, 0);
	cr_assert_eq(c->gogc, 100);
	cr_assert_eq(c->memlimit, MG_MEMLIMIT_NONE);
	mgt_close(rt);
}

Test(env, empty_gogc_and_memlimit_are_unset)
{
	cr_assert_eq(setenv("MAPGC_GOGC", "", 1), 0);
	cr_assert_eq(setenv("MAPGC_MEMLIMIT", "", 1), 0);
	mg_config c;
	mg_config_default(&c);
	mgt_capture_begin();
	int n = mg_config_from_env(&c);
	const char *err = mgt_capture_end();
	cr_assert_eq(n, 0);
	cr_assert_str_empty(err);
	cr_assert_eq(c.gogc, 100);
	cr_assert_eq(c.memlimit, MG_MEMLIMIT_NONE);
}

Test(env, bad_values_reported_once_per_process)
{
	cr_assert_eq(setenv("MAPGC_DEBUG", "gctrace=1,bogus=2,wb=steele", 1), 0);
	cr_assert_eq(setenv("MAPGC_GOGC", "lots", 1), 0);
	cr_assert_eq(setenv("MAPGC_MEMLIMIT", "5MB", 1), 0);
	cr_assert_eq(setenv("MAPGC_PROCS", "many", 1), 0);
	mg_config c;
	mg_config_default(&c);
	mgt_capture_begin();
	int n1 = mg_config_from_env(&c);
	const char *first = mgt_capture_end();
	cr_assert_eq(n1, 5, "problems: %d\n%s", n1, first);
	cr_assert_eq(c.gctrace, 1, "the good key applies");
	cr_assert_eq(c.gogc, 100, "a bad MAPGC_GOGC leaves gogc alone");
	cr_assert_eq(c.memlimit, MG_MEMLIMIT_NONE);
	cr_assert_eq(c.procs, 0, "a bad MAPGC_PROCS leaves procs alone");
	cr_assert_eq(mgt_count_lines(first, "mapgc: "), 5, "%s", first);
	cr_assert_not_null(strstr(first, "mapgc: MAPGC_DEBUG: unknown key \"bogus\"\n"), "%s", first);
	cr_assert_not_null(strstr(first, "mapgc: MAPGC_DEBUG: bad value \"steele\" for wb\n"), "%s", first);
	cr_assert_not_null(strstr(first, "mapgc: MAPGC_GOGC: bad value \"lots\""), "%s", first);
	cr_assert_not_null(strstr(first, "mapgc: MAPGC_MEMLIMIT: bad value \"5MB\""), "%s", first);
	cr_assert_not_null(strstr(first, "mapgc: MAPGC_PROCS: bad value \"many\""), "%s", first);

	/* Again, and through mg_open(NULL): counted, not printed again. */
	mgt_capture_begin();
	int n2 = mg_config_from_env(&c);
	mg_runtime *rt = mg_open(NULL);
	const char *second = mgt_capture_end();
	cr_assert_eq(n2, 5);
	cr_assert_str_empty(second, "reported twice:\n%s", second);
	cr_assert_eq(mg_runtime_config(rt)->procs, default_procs());
	mg_close(rt);
}

Test(env, open_null_reports_bad_env)
{
	cr_assert_eq(setenv("MAPGC_DEBUG", "nosuchkey=1", 1), 0);
	mgt_capture_begin();
	mg_runtime *rt = mg_open(NULL);
	const char *err = mgt_capture_end();
	cr_assert_str_eq(err, "mapgc: MAPGC_DEBUG: unknown key \"nosuchkey\"\n");
	mg_close(rt);
}

/* ---- MAPGC_PROCS ------------------------------------------------------------ */

Test(env, procs_applied)
{
	cr_assert_eq(setenv("MAPGC_PROCS", "3", 1), 0);
	mgt_capture_begin();
	mg_runtime *rt = mg_open(NULL);
	const char *err = mgt_capture_end();
	cr_assert_str_empty(err);
	cr_assert_eq(mg_runtime_config(rt)->procs, 3);
	mg_close(rt);
}

Test(env, procs_unset_is_the_affinity_count)
{
	cr_assert_eq(unsetenv("MAPGC_PROCS"), 0);
	mg_runtime *rt = mg_open(NULL);
	cr_assert_eq(mg_runtime_config(rt)->procs, default_procs());
	mg_close(rt);
}

/* MAPGC_PROCS=val through mg_open(NULL): reported exactly so, once, and the
 * default (the affinity count) stands. */
static void procs_bad(const char *val)
{
	cr_assert_eq(setenv("MAPGC_PROCS", val, 1), 0);
	char want[128];
	snprintf(want, sizeof want, "mapgc: MAPGC_PROCS: bad value \"%s\" (want a number of Ps, 1 to 256)\n", val);
	mgt_capture_begin();
	mg_runtime *rt = mg_open(NULL);
	mg_runtime *rt2 = mg_open(NULL);
	const char *err = mgt_capture_end();
	cr_assert_str_eq(err, want, "MAPGC_PROCS=\"%s\"", val);
	cr_assert_eq(mg_runtime_config(rt)->procs, default_procs(), "MAPGC_PROCS=\"%s\"", val);
	cr_assert_eq(mg_runtime_config(rt2)->procs, default_procs(), "MAPGC_PROCS=\"%s\"", val);
	mg_close(rt2);
	mg_close(rt);
}

Test(env, procs_zero_reported) { procs_bad("0"); }
Test(env, procs_negative_reported) { procs_bad("-1"); }
Test(env, procs_junk_reported) { procs_bad("abc"); }
Test(env, procs_over_the_cap_reported) { procs_bad("99999"); }
Test(env, procs_just_over_the_cap_reported) { procs_bad("257"); }
Test(env, procs_empty_reported) { procs_bad(""); }

/* Runtimes opened on several threads at once still report once. */
enum { ENV_THREADS = 8 };
static pthread_barrier_t env_start;

static void *env_read_on_thread(void *arg)
{
	mg_config *c = arg;
	mg_config_default(c);
	pthread_barrier_wait(&env_start);
	return (void *)(intptr_t)mg_config_from_env(c);
}

Test(env, reported_once_across_threads)
{
	cr_assert_eq(setenv("MAPGC_PROCS", "lots", 1), 0);
	cr_assert_eq(setenv("MAPGC_DEBUG", "gcsmallbuf=1", 1), 0);
	pthread_t t[ENV_THREADS];
	mg_config c[ENV_THREADS];
	cr_assert_eq(pthread_barrier_init(&env_start, NULL, ENV_THREADS), 0);
	mgt_capture_begin();
	for (int i = 0; i < ENV_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, env_read_on_thread, &c[i]), 0);
	for (int i = 0; i < ENV_THREADS; i++) {
		void *n;
		pthread_join(t[i], &n);
		cr_assert_eq((intptr_t)n, 1, "thread %d counted %d problems", i, (int)(intptr_t)n);
		cr_assert_eq(c[i].smallbuf, 1, "the good setting applies on every thread");
		cr_assert_eq(c[i].procs, 0);
	}
	const char *err = mgt_capture_end();
	pthread_barrier_destroy(&env_start);
	cr_assert_str_eq(err, "mapgc: MAPGC_PROCS: bad value \"lots\" (want a number of Ps, 1 to 256)\n");
}
