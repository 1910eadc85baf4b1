/*
 * trace_log.h — a parsed trace: the cycles, map lines and map events of
 * one log, and the figures `mapgc trace` reports about them (prefix
 * trace_).  Built line by line from trace_parse.h's records; knows nothing
 * about output formats (trace.h).
 *
 * Assembling records:
 *  - every gc line is a cycle, in input order (DESIGN.md §7: the json
 *    `cycles` array has one element per gc line);
 *  - a map line belongs to the gc line just before it when it has the same
 *    cycle number and that cycle has no map line yet (mapgc prints it right
 *    after its gc line); otherwise it is counted but belongs to no cycle;
 *    a wb line likewise (mapgc prints it after the gc and map lines);
 *    before the first gc line (wbtrace=1 without gctrace), a wb line's
 *    number that does not increase starts a run of wb lines;
 *  - a Go "GC forced" line marks the next gc line forced (forced_by sysmon);
 *  - mapev events are tallied by type, and per cycle: the events printed
 *    since the previous gc line are the cycle's;
 *  - a cycle number that does not increase starts a new run (several
 *    program runs in one log: times restart from 0).
 *
 * Derived figures (trace_log_finish), with the definitions the outputs use:
 *  - STW pause of a cycle = sweep termination + mark termination clock
 *    (the two stop-the-world phases of every form), except for a forced
 *    Go 1.5 cycle, which ran stopped throughout: all its clock phases.  (Go
 *    1.6–1.8 also stopped the world for runtime.GC, and 1.9+ does not; the
 *    line does not say which, but a stopped cycle prints its mark work
 *    inside mark termination, so the two phases still hold the pause);
 *  - cycle end = @S + all clock phases;
 *  - GC CPU of a cycle = all CPU times but idle mark (Go's own P% leaves
 *    idle marking out as "free"); mark CPU = assist + background + idle;
 *  - mark rate = live heap (H2) / mark CPU, MB per CPU-second;
 *  - interval CPU share = GC CPU / (P × (end − previous end)), the previous
 *    end being 0 for cycle 1 of a run (program start), unknown otherwise;
 *    as @S is truncated to the millisecond, the interval is taken to be at
 *    least the cycle's own clock time (short intervals stay approximate);
 *  - percentiles and medians are nearest-rank (the lower middle for an
 *    even count), so they are always values that occurred;
 *  - MMU(w): pauses placed at [@S, @S + sweep term] and [end − mark term,
 *    end] ([@S, end] for a cycle run stopped), merged where they overlap
 *    (@S has millisecond resolution); the
 *    minimum over windows of width w inside [first start, last end] of a
 *    run of the window's unpaused fraction, over all runs that span w.
 *    It counts stop-the-world time only, not assists or mark workers.
 *
 * Memory: records grow with the input, up to TRACE_MAX_RECORDS gc lines
 * and as many map lines and wb lines (then the rest are counted, reported once, and not
 * kept); event tallies are fixed-size.  Running out of memory is not a
 * limit of the same kind: the records or figures it loses would be missing
 * from a report that looks complete, so it sets out_of_memory and the
 * caller gives up (trace.c: no report at all).
 */
#ifndef MAPGC_TOOLS_TRACE_LOG_H
#define MAPGC_TOOLS_TRACE_LOG_H

#include "trace_parse.h"

/* 4M cycles: a GC every second for seven weeks, ~1 GiB of records. */
#define TRACE_MAX_RECORDS ((size_t)1 << 22)
/* Errors kept for the json output (all are reported as they are met). */
#define TRACE_MAX_ERRORS_KEPT 100
/* Event types besides the known ones, tallied by name. */
#define TRACE_MAX_OTHER_EVENTS 32

/* X(id, name): the map events DESIGN.md §5 names; others are tallied by name. */
#define TRACE_EVENT_LIST(X) \
	X(MAKE, "make") \
	X(GROW, "grow") \
	X(EVACUATE, "evacuate") \
	X(GROWDONE, "growdone") \
	X(ITER, "iter") \
	X(CLEAR, "clear")

typedef enum trace_event {
#define TRACE_X_ENUM(id, name) TRACE_EVENT_##id,
	TRACE_EVENT_LIST(TRACE_X_ENUM)
#undef TRACE_X_ENUM
	TRACE_EVENT_OTHER,      /* any other name */
	TRACE_EVENT_COUNT
} trace_event;

const char *trace_event_name(trace_event e);   /* "other" for TRACE_EVENT_OTHER */

typedef enum trace_forced_by {
	TRACE_FORCED_NO,
	TRACE_FORCED_CALL,      /* " (forced)": runtime.GC, mg_gc */
	TRACE_FORCED_SYSMON,    /* after a "GC forced" line */
} trace_forced_by;

#define TRACE_NO_INDEX SIZE_MAX

typedef struct trace_cycle {
	trace_gc gc;
	uint64_t line;                        /* input line number */
	uint32_t run;                         /* from 0; see the essay */
	trace_forced_by forced_by;
	size_t map;                           /* index in trace_log.maps, or TRACE_NO_INDEX */
	size_t wb;                            /* index in trace_log.wbs, or TRACE_NO_INDEX */
	uint32_t events[TRACE_EVENT_COUNT];   /* mapev lines since the previous gc line */
	/* Derived by trace_log_finish: */
	uint64_t stw_ns;                      /* sweep termination + mark termination clock */
	uint64_t end_ns;                      /* @S + all clock phases */
	uint64_t gc_cpu_ns;                   /* all CPU but idle mark */
	uint64_t mark_cpu_ns;                 /* assist + background + idle */
	uint64_t x_ns;                        /* @S on a time axis where runs follow each other */
	uint64_t interval_ns;                 /* since the previous end (see interval CPU share) */
	double interval_cpu_pct;              /* < 0: unknown */
	double mark_rate;                     /* MB per CPU-second; < 0: no mark CPU */
} trace_cycle;

typedef struct trace_map_rec {
	trace_map m;
	uint64_t line;
	uint32_t run;
	size_t cycle;                         /* its cycle, or TRACE_NO_INDEX */
} trace_map_rec;

typedef struct trace_wb_rec {
	trace_wb w;
	uint64_t line;
	uint32_t run;
	size_t cycle;                         /* its cycle, or TRACE_NO_INDEX */
} trace_wb_rec;

/* Barrier modes summarised separately, in first-seen order; lines of
 * modes beyond these are in the totals only. */
#define TRACE_WB_MAX_MODES 8

typedef struct trace_wb_mode {
	char mode[TRACE_WB_MODE_MAX + 1];
	size_t lines;
	uint32_t runs;                        /* runs with a line of this mode */
	uint32_t last_run;                    /* (for counting runs) */
	uint64_t sum[TRACE_WB_FIELD_COUNT];   /* summed as printed: the _kb keys in KiB */
} trace_wb_mode;

typedef struct trace_events {
	uint64_t total;
	uint64_t by_type[TRACE_EVENT_COUNT];
	struct {
		char name[TRACE_MAPEV_NAME_MAX + 1];
		uint64_t count;
	} other[TRACE_MAX_OTHER_EVENTS];      /* first-seen order */
	size_t nother;
	uint64_t other_untallied;             /* other names beyond the table */
	uint64_t max_map_id;                  /* the highest m#ID seen (ids count from 1) */
	uint64_t grow_double, grow_same_size;
	uint64_t growdone_released;           /* bytes, summed released= */
	uint64_t evac_cleared, evac_kept, evac_noscan;  /* old_cells= */
	uint64_t iter_during_grow;            /* iter with growing=1 */
	uint64_t after_last_gc;               /* events after the last gc line */
} trace_events;

typedef struct trace_stat3 {
	uint64_t min, median, max;
} trace_stat3;

#define TRACE_MMU_WINDOWS 3
extern const uint64_t trace_mmu_window_ns[TRACE_MMU_WINDOWS];   /* 1, 10, 100 ms */

typedef struct trace_summary {
	size_t cycles, forced, forced_sysmon;
	uint32_t runs;
	uint64_t missing;                     /* cycle numbers skipped within runs */
	unsigned formats;                     /* bit per trace_format seen */
	uint64_t first_n, last_n;
	uint64_t span_ns;                     /* Σ over runs of last end − first start */
	uint64_t first_start_ns, last_end_ns; /* of the first and the last run */
	uint64_t last_pct;                    /* P% of the last gc line */
	double summed_cpu_pct;                /* Σ GC CPU / Σ P × interval; < 0 unknown */
	uint64_t gc_cpu_ns, idle_cpu_ns, mark_cpu_ns;
	uint64_t stw_total_ns, stw_p50_ns, stw_p99_ns, stw_max_ns;
	uint64_t stw_max_n;                   /* the cycle of the longest pause */
	trace_stat3 heap[3], goal;
	bool have_stacks;
	uint64_t stacks_max, globals_max;
	uint64_t procs_min, procs_max;
	double mark_rate;                     /* Σ H2 / Σ mark CPU, MB/s; < 0 n/a */
	double mmu[TRACE_MMU_WINDOWS];        /* fraction 0..1; < 0 n/a */
	/* map lines */
	size_t map_lines, map_matched, map_growing_cycles;
	uint64_t map_first[TRACE_MAP_FIELD_COUNT], map_last[TRACE_MAP_FIELD_COUNT],
		map_max[TRACE_MAP_FIELD_COUNT];
	/* wb lines */
	size_t wb_lines, wb_matched;
	uint32_t wb_runs;                     /* runs with wb lines */
	trace_wb_mode wb_modes[TRACE_WB_MAX_MODES];
	size_t wb_nmodes;
	size_t wb_other_lines;                /* of modes beyond TRACE_WB_MAX_MODES */
	uint64_t wb_total[TRACE_WB_FIELD_COUNT];
} trace_summary;

typedef struct trace_error {
	uint64_t line;
	char msg[TRACE_ERR_MAX + 32];
} trace_error;

typedef struct trace_log {
	trace_cycle *cycles;
	size_t ncycles, capcycles;
	trace_map_rec *maps;
	size_t nmaps, capmaps;
	trace_wb_rec *wbs;
	size_t nwbs, capwbs;
	trace_events ev;
	uint64_t lines;                       /* input lines */
	uint64_t skipped;                     /* lines that are not trace lines */
	uint64_t long_lines;                  /* of those, longer than TRACE_LINE_MAX */
	uint64_t dropped;                     /* records beyond TRACE_MAX_RECORDS */
	bool out_of_memory;                   /* a record or a figure could not be kept: incomplete */
	uint64_t nerrors;
	trace_error errors[TRACE_MAX_ERRORS_KEPT];
	/* assembly state */
	bool pending_sysmon;
	uint32_t pending_events[TRACE_EVENT_COUNT];
	uint32_t run;
	uint32_t wb_run;                      /* runs of wb lines before the first gc line */
	bool limit_reported;
	/* trace_log_finish */
	trace_summary sum;
} trace_log;

void trace_log_init(trace_log *log);
void trace_log_free(trace_log *log);

/*
 * Takes one input line.  Returns true, or false when the line is an error
 * (malformed, too long for a trace line, a record limit reached, out of
 * memory) with the message in msg (without "line N: "); the log is
 * consistent either way and reading may go on, but after out of memory
 * (log->out_of_memory) it is incomplete.
 */
bool trace_log_feed(trace_log *log, const trace_line *line, char *msg, size_t msgsize);

/* Derives the per-cycle figures and the summary; call once, after the
 * last line.  Sets log->out_of_memory when a figure could not be derived. */
void trace_log_finish(trace_log *log);

/* The summary's map figures, for outputs: true when the log has map lines. */
static inline bool trace_log_has_maps(const trace_log *log)
{
	return log->nmaps > 0;
}

static inline bool trace_log_has_wb(const trace_log *log)
{
	return log->nwbs > 0;
}

/* Cycle c's wb record, or NULL. */
static inline const trace_wb *trace_cycle_wb(const trace_log *log, const trace_cycle *c)
{
	return c->wb == TRACE_NO_INDEX ? NULL : &log->wbs[c->wb].w;
}

/* Cycle i's map record, or NULL. */
static inline const trace_map *trace_cycle_map(const trace_log *log, const trace_cycle *c)
{
	return c->map == TRACE_NO_INDEX ? NULL : &log->maps[c->map].m;
}

#endif /* MAPGC_TOOLS_TRACE_LOG_H */
