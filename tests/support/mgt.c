/* mgt.c — runtimes for tests, the failure handler, stderr capture, seeds.
 * See mgt.h. */
#include "tests/support/mgt.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if MAPGC_VALGRIND
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#endif

/* ---- runtimes ------------------------------------------------------------- */

/* Reachable from a global: a test that ends in exit(2) is not a leak. */
static mg_runtime *volatile mgt_live_rt;

/* MAPGC_TEST_MODE (MAPGC_DEBUG syntax, e.g. "gcstoptheworld=1" or
 * "wb=yuasa,gcslice=64") is applied on top of the test defaults, so the
 * whole suite can run under each collector mode (scripts/gc-modes.sh);
 * a test that sets a field itself after mgt_config still wins. */
static void mgt_apply_test_mode(mg_config *cfg)
{
	static bool reported;
	const char *mode = getenv("MAPGC_TEST_MODE");
	if (!mode || !*mode)
		return;
	int bad = mg_config_parse_debug(cfg, mode, reported ? NULL : stderr);
	cr_assert_eq(bad, 0, "MAPGC_TEST_MODE=\"%s\" has %d bad settings", mode, bad);
	if (!reported)
		fprintf(stderr, "mgt: MAPGC_TEST_MODE=%s\n", mode);
	reported = true;
}

/* MAPGC_TEST_PROCS=P (1..MG_PROCS_MAX) gives every test runtime P Ps, as
 * MAPGC_PROCS would if test runtimes read the environment (they do not:
 * ignore_env), so the suite runs at several P counts (scripts/gc-modes.sh
 * --procs, scripts/tsan.sh); tests/cli/lib/cli.sh passes it on to the
 * mapgc command as MAPGC_PROCS.  Unset: procs 0, the CPUs this process may
 * run on.  A test that sets procs itself after mgt_config still wins. */
static void mgt_apply_test_procs(mg_config *cfg)
{
	static bool reported;
	const char *s = getenv("MAPGC_TEST_PROCS");
	if (!s || !*s)
		return;
	cr_assert(mg_parse_procs(s, &cfg->procs), "MAPGC_TEST_PROCS=\"%s\" is not a number of Ps, 1 to %d", s,
	          MG_PROCS_MAX);
	if (!reported)
		fprintf(stderr, "mgt: MAPGC_TEST_PROCS=%s\n", s);
	reported = true;
}

bool mgt_test_mode_stw(void)
{
	mg_config cfg;
	mgt_config(&cfg); /* the tests' defaults with MAPGC_TEST_MODE applied */
	return cfg.stoptheworld;
}

void mgt_config(mg_config *cfg)
{
	mg_config_default(cfg);
	cfg->ignore_env = true;
	cfg->heapcheck = 1;
	cfg->checkmark = 1;
	mgt_apply_test_mode(cfg);
	mgt_apply_test_procs(cfg);
}

mg_runtime *mgt_open_raw(const mg_config *cfg)
{
	mg_runtime *rt = mg_open(cfg);
	cr_assert_not_null(rt);
	mg_set_failure_handler(rt, mgt_on_failure, NULL);
	mgt_live_rt = rt;
	return rt;
}

mg_runtime *mgt_open(const mg_config *cfg)
{
	mg_config c;
	if (!cfg) {
		mgt_config(&c);
		cfg = &c;
	}
	return mgt_open_raw(cfg);
}

void mgt_close(mg_runtime *rt)
{
	if (mgt_live_rt == rt)
		mgt_live_rt = NULL;
	mg_close(rt);
}

mg_stats mgt_stats(mg_runtime *rt)
{
	mg_stats st;
	mg_read_stats(rt, &st);
	return st;
}

int mgt_affinity_cpus(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0, "sched_getaffinity: %s", strerror(errno));
	int n = 0;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		n += CPU_ISSET(cpu, &set) != 0;
	return n;
}

/* ---- Memcheck ------------------------------------------------------------- */

bool mgt_under_valgrind(void)
{
#if MAPGC_VALGRIND
	return RUNNING_ON_VALGRIND != 0;
#else
	return false;
#endif
}

void mgt_read_freed(void *dst, const void *src, size_t n)
{
#if MAPGC_VALGRIND
	VALGRIND_DISABLE_ERROR_REPORTING;
#endif
	const volatile unsigned char *s = src;
	unsigned char *d = dst;
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
#if MAPGC_VALGRIND
	VALGRIND_ENABLE_ERROR_REPORTING;
#endif
}

bool mgt_vg_access_is(const void *p, size_t n, bool want_noaccess)
{
#if MAPGC_VALGRIND
	/* VALGRIND_GET_VBITS answers 3 for a range with an unaddressable byte,
	 * without a report; byte by byte, so "all" and "none" are told apart. */
	for (size_t i = 0; i < n; i++) {
		unsigned char vbits;
		bool noaccess = VALGRIND_GET_VBITS((const char *)p + i, &vbits, 1) == 3;
		if (noaccess != want_noaccess)
			return false;
	}
	return true;
#else
	(void)p;
	(void)n;
	(void)want_noaccess;
	return false;
#endif
}

/* ---- failures ------------------------------------------------------------- */

mgt_failure_rec mgt_last_failure;
static jmp_buf *mgt_armed;

void mgt_arm(jmp_buf *jb)
{
	mgt_armed = jb;
}

void mgt_disarm(void)
{
	mgt_armed = NULL;
}

void mgt_on_failure(void *ud, mg_failure kind, const char *msg)
{
	(void)ud;
	mgt_last_failure.count++;
	mgt_last_failure.kind = kind;
	snprintf(mgt_last_failure.msg, sizeof mgt_last_failure.msg, "%s", msg);
	jmp_buf *jb = mgt_armed;
	if (jb) {
		mgt_armed = NULL;
		longjmp(*jb, 1);
	}
	if (mgt_current_seed())
		cr_assert_fail("unexpected %s: %s (seed %" PRIu64 ", MAPGC_TEST_SEED=%" PRIu64 " repeats it)",
		         kind == MG_PANIC ? "panic" : "fatal error", msg, mgt_current_seed(), mgt_current_seed());
	cr_assert_fail("unexpected %s: %s", kind == MG_PANIC ? "panic" : "fatal error", msg);
}

/* ---- stderr capture ------------------------------------------------------- */

static int mgt_saved_fd = -1;
static FILE *mgt_capture_file;
static char *mgt_captured;

void mgt_capture_begin(void)
{
	cr_assert_eq(mgt_saved_fd, -1, "mgt_capture_begin: already capturing");
	fflush(stderr);
	mgt_capture_file = tmpfile();
	cr_assert_not_null(mgt_capture_file, "tmpfile: %s", strerror(errno));
	mgt_saved_fd = dup(2);
	cr_assert_geq(mgt_saved_fd, 0);
	cr_assert_geq(dup2(fileno(mgt_capture_file), 2), 0);
}

const char *mgt_capture_end(void)
{
	cr_assert_geq(mgt_saved_fd, 0, "mgt_capture_end without mgt_capture_begin");
	fflush(stderr);
	dup2(mgt_saved_fd, 2);
	close(mgt_saved_fd);
	mgt_saved_fd = -1;
	FILE *f = mgt_capture_file;
	mgt_capture_file = NULL;
	long n = ftell(f);
	if (n < 0)
		n = 0;
	char *buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	rewind(f);
	size_t got = fread(buf, 1, (size_t)n, f);
	buf[got] = '\0';
	fclose(f);
	free(mgt_captured);
	mgt_captured = buf;
	return buf;
}

int mgt_count_lines(const char *text, const char *prefix)
{
	int n = 0;
	size_t pl = strlen(prefix);
	for (const char *l = text; l && *l;) {
		if (strncmp(l, prefix, pl) == 0)
			n++;
		const char *nl = strchr(l, '\n');
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

/* ---- seeds ---------------------------------------------------------------- */

static uint64_t mgt_seed_in_use;

uint64_t mgt_current_seed(void)
{
	return mgt_seed_in_use;
}

void mgt_rng_init(mgt_rng *r, uint64_t dflt)
{
	uint64_t seed = dflt;
	const char *s = getenv("MAPGC_TEST_SEED");
	if (s && *s) {
		if (strcmp(s, "random") == 0) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
		} else {
			char *end;
			errno = 0;
			seed = strtoull(s, &end, 0);
			cr_assert(errno == 0 && *end == '\0', "MAPGC_TEST_SEED=\"%s\" is not a number or \"random\"", s);
		}
	}
	if (seed == 0)
		seed = 1; /* 0 means "no seed" to mgt_current_seed */
	r->seed = seed;
	r->state = seed;
	mgt_seed_in_use = seed;
	fprintf(stderr, "mgt: seed %" PRIu64 " (MAPGC_TEST_SEED=%" PRIu64 " repeats this run)\n", seed, seed);
}

uint64_t mgt_rng_next(mgt_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t mgt_rng_below(mgt_rng *r, uint64_t n)
{
	/* Lemire's multiply-shift: no modulo bias worth caring about here. */
	return (uint64_t)(((unsigned __int128)mgt_rng_next(r) * n) >> 64);
}
