/* Configuration: defaults, MAPGC_DEBUG keys, MAPGC_GOGC / MAPGC_MEMLIMIT syntax. */
#include "tests/support/mgt.h"

#include <criterion/criterion.h>

#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

Test(config, defaults)
{
	mg_config c;
	memset(&c, 0xa5, sizeof c); /* every field must be written */
	mg_config_default(&c);
	cr_assert_eq(c.gogc, 100);
	cr_assert_eq(c.memlimit, MG_MEMLIMIT_NONE);
	cr_assert_eq(c.memlimit, INT64_MAX);
	cr_assert_eq(c.gctrace, 0);
	cr_assert_eq(c.maptrace, 0);
	cr_assert_eq(c.checkmark, 0);
	cr_assert_eq(c.heapcheck, 0);
	cr_assert_eq(c.stoptheworld, 0);
	cr_assert_eq(c.wb, MG_WB_HYBRID);
	cr_assert_eq(c.seed, 0);
	cr_assert_eq(c.seed_set, false);
	cr_assert_eq(c.gcevery, 0);
	cr_assert_eq(c.failalloc, 0);
	cr_assert_eq(c.heapdump, 0);
	cr_assert_eq(c.mark_slice, 0);
	cr_assert_eq(c.mapitercheck, 0);
	cr_assert_eq(c.wbtrace, 0);
	cr_assert_eq(c.procs, 0, "0: resolved by mg_open");
	cr_assert_eq(c.smallbuf, 0);
	cr_assert_eq(c.backend, MG_BACKEND_MAPGC);
	cr_assert_null(c.trace);
	cr_assert_eq(c.ignore_env, false);
}

Test(config, runtime_keeps_config)
{
	mg_config c;
	mgt_config(&c);
	c.gogc = 37;
	c.wb = MG_WB_YUASA;
	c.mark_slice = 4096;
	mg_runtime *rt = mgt_open(&c);
	const mg_config *got = mg_runtime_config(rt);
	cr_assert_eq(got->gogc, 37);
	cr_assert_eq(got->wb, MG_WB_YUASA);
	cr_assert_eq(got->mark_slice, 4096);
	cr_assert_eq(got->heapcheck, 1);
	cr_assert_eq(got->checkmark, 1);
	mgt_close(rt);
}

Test(config, barrier_names_round_trip)
{
	static const char *const names[] = {"hybrid", "yuasa", "dijkstra", "none"};
	cr_assert_eq(MG_WB_COUNT, 4);
	for (int i = 0; i < MG_WB_COUNT; i++) {
		cr_assert_str_eq(mg_barrier_name((mg_barrier)i), names[i]);
		mg_barrier b = MG_WB_COUNT;
		cr_assert(mg_barrier_parse(names[i], &b), "%s", names[i]);
		cr_assert_eq(b, (mg_barrier)i);
	}
	mg_barrier b = MG_WB_YUASA;
	cr_assert_not(mg_barrier_parse("Hybrid", &b));
	cr_assert_not(mg_barrier_parse("", &b));
	cr_assert_not(mg_barrier_parse("hybrid ", &b));
	cr_assert_eq(b, MG_WB_YUASA, "a failed parse must not write");
	cr_assert_str_eq(mg_barrier_name(MG_WB_COUNT), "?");
	cr_assert_str_eq(mg_barrier_name((mg_barrier)-1), "?");
}

Test(config, phase_names)
{
	cr_assert_str_eq(mg_phase_name(0), "off");
	cr_assert_str_eq(mg_phase_name(1), "sweep termination");
	cr_assert_str_eq(mg_phase_name(2), "mark");
	cr_assert_str_eq(mg_phase_name(3), "mark termination");
	cr_assert_str_eq(mg_phase_name(4), "sweep");
	cr_assert_str_eq(mg_phase_name(5), "?");
	cr_assert_str_eq(mg_phase_name(-1), "?");
}

/* ---- MAPGC_DEBUG ---------------------------------------------------------- */

/* Parses s into a default config; returns the problem count and what was
 * reported (*report: malloc'd). */
static int parse(mg_config *c, const char *s, char **report)
{
	mg_config_default(c);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	int n = mg_config_parse_debug(c, s, f);
	fclose(f);
	if (report)
		*report = buf;
	else
		free(buf);
	return n;
}

static void parse_ok(mg_config *c, const char *s)
{
	char *rep;
	int n = parse(c, s, &rep);
	cr_assert_eq(n, 0, "\"%s\": %d problems: %s", s, n, rep);
	cr_assert_str_empty(rep, "\"%s\" reported: %s", s, rep);
	free(rep);
}

/* One bad value: counted once, reported with the key and the value. */
static void parse_bad_value(const char *key, const char *val)
{
	char s[128], want[256];
	snprintf(s, sizeof s, "%s=%s", key, val);
	snprintf(want, sizeof want, "mapgc: MAPGC_DEBUG: bad value \"%s\" for %s\n", val, key);
	mg_config c, d;
	char *rep;
	int n = parse(&c, s, &rep);
	cr_assert_eq(n, 1, "\"%s\": want 1 problem, got %d", s, n);
	cr_assert_str_eq(rep, want, "\"%s\"", s);
	mg_config_default(&d);
	cr_assert(memcmp(&c, &d, sizeof c) == 0, "\"%s\": a bad value changed the config", s);
	free(rep);
}

/* A 0/1 key whose value lands in the int at `offset` of mg_config: =1 sets
 * it, a later =0 clears it, anything else is reported and changes nothing. */
static void check_flag_key(const char *key, size_t offset)
{
	mg_config c;
	char s[64];
	snprintf(s, sizeof s, "%s=1", key);
	parse_ok(&c, s);
	cr_assert_eq(*(const int *)((const char *)&c + offset), 1, "%s", s);
	snprintf(s, sizeof s, "%s=1,%s=0", key, key);
	parse_ok(&c, s);
	cr_assert_eq(*(const int *)((const char *)&c + offset), 0, "%s", s);
	static const char *const bad[] = {"2", "7", "yes", "", "01"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		parse_bad_value(key, bad[i]);
}

Test(config, debug_gctrace)
{
	check_flag_key("gctrace", offsetof(mg_config, gctrace));
}

Test(config, debug_gcsmallbuf)
{
	check_flag_key("gcsmallbuf", offsetof(mg_config, smallbuf));
}

Test(config, debug_maptrace)
{
	mg_config c;
	parse_ok(&c, "maptrace=1");
	cr_assert_eq(c.maptrace, 1);
	parse_ok(&c, "maptrace=2");
	cr_assert_eq(c.maptrace, 2);
	parse_ok(&c, "maptrace=0");
	cr_assert_eq(c.maptrace, 0);
	parse_bad_value("maptrace", "3");
	parse_bad_value("maptrace", "12");
	parse_bad_value("maptrace", "-1");
	parse_bad_value("maptrace", "");
}

Test(config, debug_flags)
{
	mg_config c;
	parse_ok(&c, "gccheckmark=1,heapcheck=1,gcstoptheworld=1");
	cr_assert_eq(c.checkmark, 1);
	cr_assert_eq(c.heapcheck, 1);
	cr_assert_eq(c.stoptheworld, 1);
	cr_assert_eq(c.gctrace, 0, "other keys untouched");
	parse_ok(&c, "gccheckmark=0");
	cr_assert_eq(c.checkmark, 0);
	parse_ok(&c, "mapitercheck=1");
	cr_assert_eq(c.mapitercheck, 1);
	parse_bad_value("mapitercheck", "yes");
	parse_ok(&c, "wbtrace=1");
	cr_assert_eq(c.wbtrace, 1);
	parse_bad_value("wbtrace", "2");
	parse_bad_value("gccheckmark", "true");
	parse_bad_value("heapcheck", "2");
	parse_bad_value("gcstoptheworld", "on");
}

/* The table --help prints is the parser's: every key it lists is known
 * (a bad value is reported as such, not as an unknown key), and the list
 * has gcsmallbuf. */
Test(config, debug_key_list)
{
	bool smallbuf = false;
	size_t n = 0;
	for (const char *k; (k = mg_debug_key_syntax(n)) != NULL; n++) {
		const char *eq = strchr(k, '=');
		cr_assert_not_null(eq, "\"%s\" is not KEY=VALUES", k);
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)(eq - k), k);
		parse_bad_value(key, "no-such-value");
		smallbuf |= strcmp(k, "gcsmallbuf=1") == 0;
	}
	cr_assert_geq(n, 14, "%zu keys", n);
	cr_assert(smallbuf, "gcsmallbuf=1 is not listed");
	cr_assert_null(mg_debug_key_syntax(n + 1));
	cr_assert_null(mg_debug_key_syntax(SIZE_MAX));
}

Test(config, debug_wb)
{
	static const struct { const char *s; mg_barrier b; } ok[] = {
		{"hybrid", MG_WB_HYBRID}, {"yuasa", MG_WB_YUASA}, {"dijkstra", MG_WB_DIJKSTRA}, {"none", MG_WB_NONE},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char s[64];
		snprintf(s, sizeof s, "wb=%s", ok[i].s);
		mg_config c;
		parse_ok(&c, s);
		cr_assert_eq(c.wb, ok[i].b, "%s", s);
	}
	parse_bad_value("wb", "steele");
	parse_bad_value("wb", "Yuasa");
	parse_bad_value("wb", "");
}

Test(config, debug_seed)
{
	mg_config c;
	parse_ok(&c, "seed=42");
	cr_assert_eq(c.seed, 42);
	cr_assert(c.seed_set);
	parse_ok(&c, "seed=0");
	cr_assert_eq(c.seed, 0);
	cr_assert(c.seed_set, "seed=0 is a seed");
	parse_ok(&c, "seed=18446744073709551615");
	cr_assert_eq(c.seed, UINT64_MAX);
	parse_bad_value("seed", "18446744073709551616");
	parse_bad_value("seed", "-1");
	parse_bad_value("seed", "0x10");
	parse_bad_value("seed", "12abc");
	parse_bad_value("seed", "");
	parse_bad_value("seed", "+5");
	parse_bad_value("seed", " 5");
}

Test(config, debug_counts)
{
	mg_config c;
	parse_ok(&c, "gcevery=7,failalloc=3,heapdump=2,gcslice=256");
	cr_assert_eq(c.gcevery, 7);
	cr_assert_eq(c.failalloc, 3);
	cr_assert_eq(c.heapdump, 2);
	cr_assert_eq(c.mark_slice, 256);
	parse_ok(&c, "gcevery=0");
	cr_assert_eq(c.gcevery, 0);
	parse_bad_value("gcevery", "seven");
	parse_bad_value("gcevery", "-7");
	parse_bad_value("failalloc", "1.5");
	parse_bad_value("heapdump", "");
	parse_bad_value("gcslice", "0");
	parse_bad_value("gcslice", "64k");
}

Test(config, debug_unknown_and_malformed)
{
	mg_config c, d;
	char *rep;
	int n = parse(&c, "bogus=1", &rep);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(rep, "mapgc: MAPGC_DEBUG: unknown key \"bogus\"\n");
	free(rep);

	n = parse(&c, "gctrace", &rep);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(rep, "mapgc: MAPGC_DEBUG: \"gctrace\" is not key=value\n");
	free(rep);

	/* Good keys around the bad ones still apply; each problem counts once. */
	n = parse(&c, "gctrace=1,bogus=1,wb=yuasa,wb=nope,GCTRACE=1,=1,heapcheck", &rep);
	cr_assert_eq(n, 5, "got %d: %s", n, rep);
	cr_assert_eq(c.gctrace, 1);
	cr_assert_eq(c.wb, MG_WB_YUASA);
	cr_assert_eq(mgt_count_lines(rep, "mapgc: MAPGC_DEBUG: "), 5, "%s", rep);
	cr_assert_not_null(strstr(rep, "unknown key \"bogus\"\n"));
	cr_assert_not_null(strstr(rep, "bad value \"nope\" for wb\n"));
	cr_assert_not_null(strstr(rep, "unknown key \"GCTRACE\"\n"));
	cr_assert_not_null(strstr(rep, "unknown key \"\"\n"));
	cr_assert_not_null(strstr(rep, "\"heapcheck\" is not key=value\n"));
	free(rep);

	/* Empty input, empty items, and a NULL report stream. */
	parse_ok(&c, "");
	parse_ok(&c, ",,gctrace=1,");
	cr_assert_eq(c.gctrace, 1);
	mg_config_default(&c);
	cr_assert_eq(mg_config_parse_debug(&c, "bogus=1,gcevery=x", NULL), 2);
	mg_config_default(&d);
	cr_assert_eq(mg_config_parse_debug(&d, NULL, NULL), 0);
}

/* ---- MAPGC_GOGC / MAPGC_MEMLIMIT / MAPGC_PROCS syntax ---------------------- */

Test(config, parse_procs)
{
	static const struct { const char *s; int v; } ok[] = {
		{"1", 1}, {"2", 2}, {"3", 3}, {"64", 64}, {"256", MG_PROCS_MAX}, {"007", 7},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int v = -5;
		cr_assert(mg_parse_procs(ok[i].s, &v), "\"%s\" rejected", ok[i].s);
		cr_assert_eq(v, ok[i].v, "\"%s\": %d", ok[i].s, v);
	}
	static const char *const bad[] = {
		"", "0", "-1", "+2", " 2", "2 ", "abc", "2x", "0x10", "1e3", "2.0",
		"257", "99999", "2147483648", "99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int v = -5;
		cr_assert_not(mg_parse_procs(bad[i], &v), "\"%s\" accepted (%d)", bad[i], v);
		cr_assert_eq(v, -5, "\"%s\" changed the output", bad[i]);
	}
}

/* ---- procs: the default and its resolution by mg_open --------------------- */

/* A config the environment cannot touch (nor MAPGC_TEST_PROCS: not mgt_config). */
static int procs_opened_with(int procs)
{
	mg_config c;
	mg_config_default(&c);
	c.ignore_env = true;
	c.procs = procs;
	mg_runtime *rt = mgt_open_raw(&c);
	int got = mg_runtime_config(rt)->procs;
	mgt_close(rt);
	return got;
}

Test(config, procs_default_is_the_affinity_count)
{
	int want = mgt_affinity_cpus();
	cr_assert_geq(want, 1);
	cr_assert_eq(mg_procs_default(), want > MG_PROCS_MAX ? MG_PROCS_MAX : want);
	cr_assert_eq(procs_opened_with(0), mg_procs_default(), "procs 0 resolves to the default");
	cr_assert_eq(procs_opened_with(-3), mg_procs_default(), "a negative procs is the default too");
}

/* The affinity mask, not the online count: pinned to one CPU, the default
 * is 1 Ps whatever the machine has (the test is its own process). */
Test(config, procs_default_follows_the_affinity_mask)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0);
	int first = 0;
	while (!CPU_ISSET(first, &set))
		first++;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	cr_assert_eq(sched_setaffinity(0, sizeof one, &one), 0);
	cr_assert_eq(mg_procs_default(), 1);
	cr_assert_eq(procs_opened_with(0), 1);
	cr_assert_eq(procs_opened_with(2), 2, "an explicit count is not the affinity's business");
}

Test(config, procs_explicit_kept_and_capped)
{
	cr_assert_eq(procs_opened_with(1), 1);
	cr_assert_eq(procs_opened_with(2), 2);
	cr_assert_eq(procs_opened_with(MG_PROCS_MAX), MG_PROCS_MAX);
	cr_assert_eq(procs_opened_with(MG_PROCS_MAX + 1), MG_PROCS_MAX);
	cr_assert_eq(procs_opened_with(INT_MAX), MG_PROCS_MAX);
}

Test(config, parse_gogc)
{
	int v;
	cr_assert(mg_parse_gogc("off", &v));
	cr_assert_eq(v, MG_GOGC_OFF);
	cr_assert(mg_parse_gogc("0", &v));
	cr_assert_eq(v, 0);
	cr_assert(mg_parse_gogc("100", &v));
	cr_assert_eq(v, 100);
	cr_assert(mg_parse_gogc("2147483647", &v));
	cr_assert_eq(v, INT_MAX);
	static const char *const bad[] = {
		"", "junk", "OFF", "-1", "10%", "1e3", " 100", "100 ", "2147483648", "99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 1234;
		cr_assert_not(mg_parse_gogc(bad[i], &v), "\"%s\" accepted", bad[i]);
		cr_assert_eq(v, 1234, "\"%s\" changed the output", bad[i]);
	}
}

Test(config, parse_memlimit)
{
	static const struct { const char *s; int64_t v; } ok[] = {
		{"off", MG_MEMLIMIT_NONE},
		{"0", 0},
		{"100", 100},
		{"12B", 12},
		{"3KiB", 3 << 10},
		{"5MiB", (int64_t)5 << 20},
		{"1GiB", (int64_t)1 << 30},
		{"2TiB", (int64_t)2 << 40},
		{"9223372036854775807", INT64_MAX},
		{"8388607TiB", (int64_t)8388607 << 40},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int64_t v = -5;
		cr_assert(mg_parse_memlimit(ok[i].s, &v), "\"%s\" rejected", ok[i].s);
		cr_assert_eq(v, ok[i].v, "\"%s\": %lld", ok[i].s, (long long)v);
	}
	static const char *const bad[] = {
		"", "junk", "-1", "5MB", "5mib", "5 MiB", "MiB", "5MiBs", "1.5GiB", " 5",
		"9223372036854775808",  /* INT64_MAX + 1 */
		"99999999999999999999", /* beyond uint64 */
		"8388608TiB",           /* 2^63 */
		"9007199254740992KiB",  /* 2^53 KiB = 2^63 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t v = -5;
		cr_assert_not(mg_parse_memlimit(bad[i], &v), "\"%s\" accepted (%lld)", bad[i], (long long)v);
		cr_assert_eq(v, -5, "\"%s\" changed the output", bad[i]);
	}
}

/* The suite-wide P count of scripts/gc-modes.sh and scripts/tsan.sh reaches
 * the test runtimes (which ignore MAPGC_PROCS). */
Test(config, test_runtimes_take_mapgc_test_procs)
{
	cr_assert_eq(setenv("MAPGC_PROCS", "2", 1), 0);
	cr_assert_eq(setenv("MAPGC_TEST_PROCS", "3", 1), 0);
	mg_config c;
	mgt_config(&c);
	cr_assert_eq(c.procs, 3);
	mg_runtime *rt = mgt_open(NULL);
	cr_assert_eq(mg_runtime_config(rt)->procs, 3, "not MAPGC_PROCS=2: test runtimes ignore the environment");
	mgt_close(rt);
	cr_assert_eq(unsetenv("MAPGC_TEST_PROCS"), 0);
	mgt_config(&c);
	cr_assert_eq(c.procs, 0, "unset: the default");
}
