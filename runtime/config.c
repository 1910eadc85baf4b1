/*
 * config.c — mg_config defaults and the MAPGC_* environment: MAPGC_DEBUG in
 * GODEBUG syntax ("key=value,key=value"), MAPGC_GOGC, MAPGC_MEMLIMIT and
 * MAPGC_PROCS.  Unknown keys and bad values are reported,
 * never silently ignored, and reported once per process however many
 * runtimes are opened (a test suite opens hundreds).
 */
#include "runtime/rt.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mg_config_default(mg_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->gogc = 100;
	cfg->memlimit = MG_MEMLIMIT_NONE;
	cfg->wb = MG_WB_HYBRID;
	cfg->backend = MG_BACKEND_MAPGC;
}

static const char *const barrier_names[] = {
#define MG_X_NAME(v, s) [v] = s,
	MG_BARRIER_LIST(MG_X_NAME)
#undef MG_X_NAME
};

const char *mg_barrier_name(mg_barrier b)
{
	return (unsigned)b < MG_WB_COUNT ? barrier_names[b] : "?";
}

bool mg_barrier_parse(const char *s, mg_barrier *out)
{
	for (int i = 0; i < MG_WB_COUNT; i++)
		if (strcmp(s, barrier_names[i]) == 0) {
			*out = (mg_barrier)i;
			return true;
		}
	return false;
}

/* A whole unsigned decimal number, nothing after it. */
static bool parse_u64(const char *s, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool mg_parse_gogc(const char *s, int *out)
{
	uint64_t v;
	if (strcmp(s, "off") == 0) {
		*out = MG_GOGC_OFF;
		return true;
	}
	if (!parse_u64(s, &v) || v > INT_MAX)
		return false;
	*out = (int)v;
	return true;
}

bool mg_parse_procs(const char *s, int *out)
{
	uint64_t v;
	if (!parse_u64(s, &v) || v < 1 || v > MG_PROCS_MAX)
		return false;
	*out = (int)v;
	return true;
}

/* The affinity mask is what the scheduler will actually give us (taskset,
 * cgroup cpusets, a container's --cpuset-cpus), which the online count is
 * not; CPU_SETSIZE (1024) CPUs are far beyond MG_PROCS_MAX, so the fixed
 * cpu_set_t is enough. */
int mg_procs_default(void)
{
	long n = 0;
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > MG_PROCS_MAX ? MG_PROCS_MAX : (int)n;
}

/* GOMEMLIMIT's syntax: digits, then optionally B, KiB, MiB, GiB or TiB. */
bool mg_parse_memlimit(const char *s, int64_t *out)
{
	static const struct { const char *sfx; int shift; } units[] = {
		{"", 0}, {"B", 0}, {"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40},
	};
	if (strcmp(s, "off") == 0) {
		*out = MG_MEMLIMIT_NONE;
		return true;
	}
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return false;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].sfx) != 0)
			continue;
		if (v > (unsigned long long)INT64_MAX >> units[i].shift)
			return false;
		*out = (int64_t)(v << units[i].shift);
		return true;
	}
	return false;
}

/* One entry per MAPGC_DEBUG key: the parser reads this table, `mapgc --help`
 * prints its syntax column (mg_debug_key_syntax), and tests/cli/help_keys.sh
 * checks that the README's table lists exactly those, in this order. */
typedef bool (*setter)(mg_config *cfg, const char *val);

static bool set_flag(int *dst, const char *v)
{
	if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0) {
		*dst = v[0] - '0';
		return true;
	}
	return false;
}
static bool set_gctrace(mg_config *c, const char *v) { return set_flag(&c->gctrace, v); }
static bool set_checkmark(mg_config *c, const char *v) { return set_flag(&c->checkmark, v); }
static bool set_heapcheck(mg_config *c, const char *v) { return set_flag(&c->heapcheck, v); }
static bool set_stw(mg_config *c, const char *v) { return set_flag(&c->stoptheworld, v); }
static bool set_mapitercheck(mg_config *c, const char *v) { return set_flag(&c->mapitercheck, v); }
static bool set_wbtrace(mg_config *c, const char *v) { return set_flag(&c->wbtrace, v); }
static bool set_smallbuf(mg_config *c, const char *v) { return set_flag(&c->smallbuf, v); }
static bool set_maptrace(mg_config *c, const char *v)
{
	if (strlen(v) == 1 && v[0] >= '0' && v[0] <= '2') {
		c->maptrace = v[0] - '0';
		return true;
	}
	return false;
}
static bool set_wb(mg_config *c, const char *v) { return mg_barrier_parse(v, &c->wb); }
static bool set_seed(mg_config *c, const char *v)
{
	if (!parse_u64(v, &c->seed))
		return false;
	c->seed_set = true;
	return true;
}
static bool set_gcevery(mg_config *c, const char *v) { return parse_u64(v, &c->gcevery); }
static bool set_failalloc(mg_config *c, const char *v) { return parse_u64(v, &c->failalloc); }
static bool set_heapdump(mg_config *c, const char *v) { return parse_u64(v, &c->heapdump); }
static bool set_gcslice(mg_config *c, const char *v)
{
	uint64_t n;
	if (!parse_u64(v, &n) || n == 0 || n > SIZE_MAX / 2)
		return false;
	c->mark_slice = (size_t)n;
	return true;
}

static const struct debug_key {
	const char *syntax; /* KEY=VALUES, as --help and the README show it: the key up to '=' */
	setter set;
} debug_keys[] = {
	{"gctrace=1", set_gctrace},
	{"maptrace=1|2", set_maptrace},
	{"gccheckmark=1", set_checkmark},
	{"heapcheck=1", set_heapcheck},
	{"gcstoptheworld=1", set_stw},
	{"wb=hybrid|yuasa|dijkstra|none", set_wb},
	{"seed=N", set_seed},
	{"gcevery=N", set_gcevery},
	{"failalloc=N", set_failalloc},
	{"heapdump=N", set_heapdump},
	{"gcslice=N", set_gcslice},
	{"mapitercheck=1", set_mapitercheck},
	{"wbtrace=1", set_wbtrace},
	{"gcsmallbuf=1", set_smallbuf},
};

const char *mg_debug_key_syntax(size_t i)
{
	return i < sizeof debug_keys / sizeof debug_keys[0] ? debug_keys[i].syntax : NULL;
}

int mg_config_parse_debug(mg_config *cfg, const char *s, FILE *err)
{
	int problems = 0;
	char *copy = strdup(s ? s : "");
	if (!copy)
		return 1;
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			if (err)
				fprintf(err, "mapgc: MAPGC_DEBUG: \"%s\" is not key=value\n", tok);
			problems++;
			continue;
		}
		*eq = '\0';
		const char *val = eq + 1;
		const struct debug_key *k = NULL;
		size_t klen = strlen(tok);
		for (size_t i = 0; i < sizeof debug_keys / sizeof debug_keys[0]; i++)
			if (strncmp(tok, debug_keys[i].syntax, klen) == 0 && debug_keys[i].syntax[klen] == '=')
				k = &debug_keys[i];
		if (!k) {
			if (err)
				fprintf(err, "mapgc: MAPGC_DEBUG: unknown key \"%s\"\n", tok);
			problems++;
		} else if (!k->set(cfg, val)) {
			if (err)
				fprintf(err, "mapgc: MAPGC_DEBUG: bad value \"%s\" for %s\n", val, tok);
			problems++;
		}
	}
	free(copy);
	return problems;
}

/* Reported once per process: the environment does not change under us.
 * Runtimes may be opened on several threads at once, so the problems are
 * written to a buffer first and the one open that flips env_reported
 * prints them, whole; the others print nothing. */
static atomic_bool env_reported;

int mg_config_from_env(mg_config *cfg)
{
	char *report = NULL;
	size_t report_len = 0;
	FILE *err = NULL;
	if (!atomic_load_explicit(&env_reported, memory_order_relaxed)) {
		err = open_memstream(&report, &report_len);
		if (!err)
			err = stderr; /* no memory for the buffer: straight out, rather than not at all */
	}
	int problems = 0;
	const char *s;
	if ((s = getenv("MAPGC_DEBUG")) != NULL)
		problems += mg_config_parse_debug(cfg, s, err);
	if ((s = getenv("MAPGC_GOGC")) != NULL && *s) {
		if (!mg_parse_gogc(s, &cfg->gogc)) {
			if (err)
				fprintf(err, "mapgc: MAPGC_GOGC: bad value \"%s\" (want off or a percentage)\n", s);
			problems++;
		}
	}
	if ((s = getenv("MAPGC_MEMLIMIT")) != NULL && *s) {
		if (!mg_parse_memlimit(s, &cfg->memlimit)) {
			if (err)
				fprintf(err, "mapgc: MAPGC_MEMLIMIT: bad value \"%s\" (want off or N[B|KiB|MiB|GiB|TiB])\n", s);
			problems++;
		}
	}
	/* Unlike the two above, empty is not "unset": GOMAXPROCS has no "off",
	 * so an empty value can only be a mistake (MAPGC_PROCS=$UNSET_VAR). */
	if ((s = getenv("MAPGC_PROCS")) != NULL) {
		if (!mg_parse_procs(s, &cfg->procs)) {
			if (err)
				fprintf(err, "mapgc: MAPGC_PROCS: bad value \"%s\" (want a number of Ps, 1 to %d)\n", s,
				        MG_PROCS_MAX);
			problems++;
		}
	}
	if (err && err != stderr) {
		if (fclose(err) == 0 && problems && !atomic_exchange(&env_reported, true))
			fputs(report, stderr);
		free(report);
	} else if (problems) {
		atomic_store_explicit(&env_reported, true, memory_order_relaxed);
	}
	return problems;
}
