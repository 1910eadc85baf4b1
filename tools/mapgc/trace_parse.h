/*
 * trace_parse.h — reading gctrace and maptrace logs, one line at a time
 * (prefix trace_).  The reusable, fuzzable core of `mapgc trace`: it knows
 * the line formats and nothing about summaries or output.
 *
 * What a log holds.  A program's stderr, with trace lines among anything
 * else the program printed.  The lines this module recognises:
 *
 *   Go 1.5 (five phases; Go 1.5 printed "gc N", its documentation "gc #"):
 *     gc 49 @4.380s 0%: 4.8+5.2+0.54+0.35+0.60 ms clock,
 *        19+5.2+0+4.5/0.006/7.2+2.4 ms cpu, 124->125->58 MB, 130 MB goal, 32 P
 *     clock: sweep termination (STW), scan, install write barriers ("synchronize
 *     Ps"), mark, mark termination (STW); cpu: sweep termination, scan, install
 *     WB, assist/background/idle mark, mark termination.
 *   Go 1.6 to 1.18 (three phases):
 *     gc 1 @0.012s 2%: 0.026+0.39+0.015 ms clock,
 *        0.10+0.24/0.35/0.38+0.062 ms cpu, 4->4->0 MB, 5 MB goal, 4 P
 *     clock: sweep termination (STW), concurrent mark and scan, mark
 *     termination (STW); cpu: sweep termination, assist/background/idle mark,
 *     mark termination.
 *   Go 1.19 and later, and mapgc's gctrace=1 (DESIGN.md §5):
 *     the Go 1.6 line with ", K MB stacks, L MB globals" before ", W P".
 *   Any of the three may end in " (forced)" (a runtime.GC / mg_gc cycle).
 *   Go's "GC forced": printed by the forcegc helper just before a cycle that
 *     sysmon started because no GC ran for two minutes; it marks the next gc
 *     line as forced (that line itself does not say so).
 *   mapgc's maptrace=1 line (DESIGN.md §5), right after its gc line:
 *     map N @S.SSSs: M maps, G growing (Z same-size), I iters: BN+BO buckets
 *     new+old, E/O evacuated, VN+VO overflow new+old, J iter-only arrays X KB,
 *     tophash F/E1/ER/EX/EY/EE full/emptyOne/emptyRest/evacX/evacY/evacEmpty
 *   mapgc's maptrace=2 events:  mapev EVENT m#ID key=value…
 *   mapgc's wbtrace=1 line (DESIGN.md §5), after its gc (and map) line:
 *     wb N @S.SSSs: mode=MODE slow=S shaded_old=SO shaded_new=SN buffered=B
 *     flushes=FL rescan_kb=R floating_kb=F
 *     after "mode=MODE", blank-separated key=value pairs in any order: each
 *     key of MG_WBSTATS_LIST (runtime/mapgc.h, the list the runtime prints
 *     from) exactly once with a decimal value; keys it does not know are
 *     passed over, whatever their value (the contract: "more fields may be
 *     appended; readers ignore keys they do not know").
 *
 * A record may also follow a prefix, as in logs that passed through syslog,
 * journald or a timestamping pipe ("Feb 26 12:52:23.767 gc 93 @3074.095s …"),
 * or output of the program that was not ended by a newline before the
 * runtime printed ("round 5: 200 entgc 12 @0.5s …"): when a line does not
 * start with a record, up to TRACE_PREFIX_TRIES later positions that start
 * like one ("gc " and a number, "map " and a number, "mapev ", "wb " and a
 * number, "GC forced") are tried, and the first that parses completely wins.
 *
 * Malformed lines (DESIGN.md §7, contract).  A line that *starts* like a
 * trace record — "gc " and a number (or "#" and a number), "map " and a
 * number, "mapev ", "wb " and a number — and then does not parse is TRACE_MALFORMED, with a
 * message saying what is wrong and at which column.  A prefixed candidate
 * that does not parse is passed over instead: only the line's start makes a
 * promise.  Everything else is TRACE_NONE and is passed over.
 *
 * Safety (inv.bounded-parse): the parser reads only bytes [line, line + len),
 * never relies on a terminating NUL, treats NUL and bytes ≥ 0x80 as ordinary
 * bytes that simply do not match, allocates nothing, and does O(len) work
 * per candidate position (so O(TRACE_PREFIX_TRIES · len) per line).  Numbers
 * that overflow 64 bits are errors, never wrapped.  The reader keeps at most
 * TRACE_LINE_MAX bytes of a line; longer lines are reported, not split.
 *
 * Times are kept as integer nanoseconds: Go prints at most three decimals of
 * a millisecond and of a second, so nanoseconds hold every printed value
 * exactly and sums, orderings and outputs are exact and deterministic.
 */
#ifndef MAPGC_TOOLS_TRACE_PARSE_H
#define MAPGC_TOOLS_TRACE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "runtime/mapgc.h"   /* MG_WBSTATS_LIST: the wb line's keys */

/* The longest line kept.  Trace lines are under 400 bytes; 4 KiB leaves
 * room for long prefixes while bounding the reader's memory. */
#define TRACE_LINE_MAX 4096

/* Prefixed positions tried per line (see the essay): enough for a
 * timestamp, a host and a process name, and a bound on adversarial lines. */
#define TRACE_PREFIX_TRIES 8

/* Room for an error message, excerpt of the input included. */
#define TRACE_ERR_MAX 200

/* ---- formats, phases ---------------------------------------------------- */

/* X(id, name): the gc line forms, named as in JSON and CSV. */
#define TRACE_FORMAT_LIST(X) \
	X(GO15, "go1.5")   /* five clock phases */ \
	X(GO16, "go1.6")   /* three phases, no stacks/globals (Go 1.6–1.18) */ \
	X(GO119, "go1.19") /* three phases with stacks and globals (mapgc too) */

typedef enum trace_format {
#define TRACE_X_ENUM(id, name) TRACE_FORMAT_##id,
	TRACE_FORMAT_LIST(TRACE_X_ENUM)
#undef TRACE_X_ENUM
	TRACE_FORMAT_COUNT
} trace_format;

/* X(id, name, in Go 1.5 only): wall-clock phases, in line order. */
#define TRACE_CLOCK_LIST(X) \
	X(SWEEP_TERM, "sweep_term", false) \
	X(SCAN, "scan", true) \
	X(INSTALL_WB, "install_wb", true) \
	X(MARK, "mark", false) \
	X(MARK_TERM, "mark_term", false)

typedef enum trace_clock {
#define TRACE_X_ENUM(id, name, go15) TRACE_CLOCK_##id,
	TRACE_CLOCK_LIST(TRACE_X_ENUM)
#undef TRACE_X_ENUM
	TRACE_CLOCK_COUNT
} trace_clock;

/* X(id, name, in Go 1.5 only): CPU times, in line order. */
#define TRACE_CPU_LIST(X) \
	X(SWEEP_TERM, "sweep_term", false) \
	X(SCAN, "scan", true) \
	X(INSTALL_WB, "install_wb", true) \
	X(ASSIST, "assist", false) \
	X(BACKGROUND, "background", false) \
	X(IDLE, "idle", false) \
	X(MARK_TERM, "mark_term", false)

typedef enum trace_cpu {
#define TRACE_X_ENUM(id, name, go15) TRACE_CPU_##id,
	TRACE_CPU_LIST(TRACE_X_ENUM)
#undef TRACE_X_ENUM
	TRACE_CPU_COUNT
} trace_cpu;

const char *trace_format_name(trace_format f);
const char *trace_clock_name(trace_clock c);
const char *trace_cpu_name(trace_cpu c);
/* Whether a line of format f has clock phase c / cpu time c. */
bool trace_has_clock(trace_format f, trace_clock c);
bool trace_has_cpu(trace_format f, trace_cpu c);

/* ---- records ---------------------------------------------------------- */

/* One gc line.  Absent phases (Go 1.5's scan and install WB in later
 * forms) and absent stacks/globals are 0; the format says which exist. */
typedef struct trace_gc {
	uint64_t n;                          /* cycle number (from 1 in a run) */
	uint64_t t_ns;                       /* @S: cycle start since program start, ns (ms resolution) */
	uint64_t cpu_pct;                    /* P%: GC share of CPU since program start, as printed */
	trace_format format;
	bool hash;                           /* "gc #N" (Go 1.5's documented form) */
	bool forced;                         /* ends in " (forced)" */
	uint64_t clock_ns[TRACE_CLOCK_COUNT];
	uint64_t cpu_ns[TRACE_CPU_COUNT];
	uint64_t heap_mb[3];                 /* H0 at start, H1 at mark termination, H2 live (marked) */
	uint64_t goal_mb;
	uint64_t stacks_mb, globals_mb;      /* Go 1.19 form only */
	uint64_t procs;                      /* W P */
} trace_gc;

/* X(id, name, text after the number, description): the numbers of a map
 * line after "map N @S.SSSs: ", in line order. */
#define TRACE_MAP_FIELD_LIST(X) \
	X(MAPS, "maps", " maps, ", "live maps marked in the cycle") \
	X(GROWING, "growing", " growing (", "maps with a grow under way") \
	X(SAME_SIZE, "same_size", " same-size), ", "of those, same-size grows") \
	X(ITERS, "iters", " iters: ", "live iterators") \
	X(BUCKETS_NEW, "buckets_new", "+", "buckets in current arrays") \
	X(BUCKETS_OLD, "buckets_old", " buckets new+old, ", "buckets in old arrays") \
	X(EVACUATED, "evacuated", "/", "old buckets evacuated (E)") \
	X(EVAC_OF, "evac_of", " evacuated, ", "old buckets of growing maps (O)") \
	X(OVERFLOW_NEW, "overflow_new", "+", "overflow buckets from current arrays") \
	X(OVERFLOW_OLD, "overflow_old", " overflow new+old, ", "overflow buckets from old arrays") \
	X(ITER_ONLY, "iter_only_arrays", " iter-only arrays ", "arrays alive only through an iterator") \
	X(ITER_ONLY_KB, "iter_only_kb", " KB, tophash ", "size of the iter-only arrays, KiB") \
	X(TH_FULL, "tophash_full", "/", "cells full") \
	X(TH_EMPTY_ONE, "tophash_empty_one", "/", "cells emptyOne") \
	X(TH_EMPTY_REST, "tophash_empty_rest", "/", "cells emptyRest") \
	X(TH_EVAC_X, "tophash_evac_x", "/", "cells evacuatedX") \
	X(TH_EVAC_Y, "tophash_evac_y", "/", "cells evacuatedY") \
	X(TH_EVAC_EMPTY, "tophash_evac_empty", " full/emptyOne/emptyRest/evacX/evacY/evacEmpty", \
		"cells evacuatedEmpty")

typedef enum trace_map_field {
#define TRACE_X_ENUM(id, name, after, desc) TRACE_MAP_##id,
	TRACE_MAP_FIELD_LIST(TRACE_X_ENUM)
#undef TRACE_X_ENUM
	TRACE_MAP_FIELD_COUNT
} trace_map_field;

const char *trace_map_field_name(trace_map_field f);
const char *trace_map_field_desc(trace_map_field f);

/* One map line. */
typedef struct trace_map {
	uint64_t n;                          /* cycle number */
	uint64_t t_ns;                       /* @S, ns */
	uint64_t v[TRACE_MAP_FIELD_COUNT];
} trace_map;

/* The numbers of a wb line, by key, in the runtime's list order. */
typedef enum trace_wb_field {
#define TRACE_X_ENUM(field, key, shift, what) TRACE_WB_##field,
	MG_WBSTATS_LIST(TRACE_X_ENUM)
#undef TRACE_X_ENUM
	TRACE_WB_FIELD_COUNT
} trace_wb_field;

const char *trace_wb_field_name(trace_wb_field f);   /* the line's key: "slow", "rescan_kb" */
const char *trace_wb_field_desc(trace_wb_field f);

#define TRACE_WB_MODE_MAX 15

/* One wb line. */
typedef struct trace_wb {
	uint64_t n;                          /* cycle number */
	uint64_t t_ns;                       /* @S, ns */
	char mode[TRACE_WB_MODE_MAX + 1];    /* [a-z0-9_-]+, NUL-terminated */
	uint64_t v[TRACE_WB_FIELD_COUNT];    /* as printed (the _kb keys in KiB) */
} trace_wb;

/* A mapev line's pairs are not copied: they are offsets into the line, so
 * the line must outlive the record (trace_mapev_get takes it back).  The
 * offsets are size_t: trace_parse_line takes lines of any length, and a
 * record may follow a long prefix. */
#define TRACE_MAPEV_NAME_MAX 31
#define TRACE_MAPEV_MAX_PAIRS 16

typedef struct trace_mapev {
	char name[TRACE_MAPEV_NAME_MAX + 1]; /* [A-Za-z0-9_.-]+, NUL-terminated */
	uint64_t map_id;                     /* m#ID */
	size_t npairs;
	struct {
		size_t key_off, key_len, val_off, val_len;
	} pair[TRACE_MAPEV_MAX_PAIRS];
} trace_mapev;

typedef enum trace_kind {
	TRACE_NONE,          /* not a trace line: passed over */
	TRACE_GC,
	TRACE_GC_FORCED,     /* Go's "GC forced": the next gc line was started by sysmon */
	TRACE_MAP,
	TRACE_MAPEV,
	TRACE_WB,
	TRACE_MALFORMED,     /* starts like a trace line and does not parse: see err */
} trace_kind;

typedef struct trace_record {
	trace_kind kind;
	size_t offset;                  /* where the record starts in the line (after a prefix) */
	union {
		trace_gc gc;
		trace_map map;
		trace_mapev ev;
		trace_wb wb;
	} u;
	char err[TRACE_ERR_MAX];        /* TRACE_MALFORMED: what is wrong, with the column */
} trace_record;

/*
 * Classify and parse one line (without its '\n'; a trailing '\r' and
 * blanks are allowed).  Any bytes, any length (see inv.bounded-parse).
 */
trace_kind trace_parse_line(const char *line, size_t len, trace_record *rec);

/* Whether the line starts like a trace record: the lines for which
 * trace_parse_line answers TRACE_MALFORMED rather than TRACE_NONE when they
 * do not parse. */
bool trace_line_looks_like_trace(const char *line, size_t len);

/* The value of `key` in a mapev record parsed from `line`; false if absent. */
bool trace_mapev_get(const trace_mapev *ev, const char *line, const char *key,
		const char **val, size_t *val_len);
/* The same, as an unsigned decimal number; false if absent or not one. */
bool trace_mapev_get_u64(const trace_mapev *ev, const char *line, const char *key,
		uint64_t *out);

/* ---- the line reader -------------------------------------------------- */

/*
 * Splits a stream or a memory buffer into lines ('\n'-terminated; the last
 * line may lack it).  Memory is fixed: one chunk buffer and one line buffer
 * (inv.bounded-parse); a line longer than TRACE_LINE_MAX yields its first
 * TRACE_LINE_MAX bytes with too_long set and full_len its real length.
 */
#define TRACE_READ_CHUNK 65536

typedef struct trace_line {
	const char *p;        /* the line, without '\n'; valid until the next call */
	size_t len;           /* bytes at p (≤ TRACE_LINE_MAX) */
	uint64_t no;          /* line number, from 1 */
	bool too_long;        /* the line had more than TRACE_LINE_MAX bytes */
	uint64_t full_len;    /* its real length */
	bool no_newline;      /* the input ended inside this line */
} trace_line;

typedef struct trace_reader {
	FILE *f;                      /* NULL: reading mem */
	const char *mem;
	size_t mem_len, mem_pos;
	char chunk[TRACE_READ_CHUNK];
	size_t chunk_len, chunk_pos;
	char line[TRACE_LINE_MAX];
	uint64_t lineno;
	bool eof;
	int error;                    /* errno of a read error, else 0 */
} trace_reader;

void trace_reader_init_file(trace_reader *r, FILE *f);
void trace_reader_init_mem(trace_reader *r, const void *data, size_t len);
/* 1: *out holds the next line; 0: end of input; -1: read error (r->error). */
int trace_reader_next(trace_reader *r, trace_line *out);

#endif /* MAPGC_TOOLS_TRACE_PARSE_H */
