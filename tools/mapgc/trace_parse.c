/*
 * trace_parse.c — the gctrace/maptrace line parser and the line reader.
 * Formats, guarantees and invariants: trace_parse.h.
 *
 * Every parser walks a cursor over [p, end) and fails through cursor_fail,
 * which writes the message once (the first failure is the one reported)
 * and makes every later step a no-op, so a parser is a straight sequence
 * of steps with one check at the end (inv.bounded-parse: each step reads
 * only below c->end).
 */
#include "trace_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

/* ---- names from the lists ------------------------------------------------ */

static const char *const format_names[TRACE_FORMAT_COUNT] = {
#define TRACE_X_NAME(id, name) [TRACE_FORMAT_##id] = name,
	TRACE_FORMAT_LIST(TRACE_X_NAME)
#undef TRACE_X_NAME
};

static const struct {
	const char *name;
	bool go15_only;
} clock_info[TRACE_CLOCK_COUNT] = {
#define TRACE_X_INFO(id, name, go15) [TRACE_CLOCK_##id] = { name, go15 },
	TRACE_CLOCK_LIST(TRACE_X_INFO)
#undef TRACE_X_INFO
}, cpu_info[TRACE_CPU_COUNT] = {
#define TRACE_X_INFO(id, name, go15) [TRACE_CPU_##id] = { name, go15 },
	TRACE_CPU_LIST(TRACE_X_INFO)
#undef TRACE_X_INFO
};

static const struct {
	const char *name, *after, *desc;
} map_fields[TRACE_MAP_FIELD_COUNT] = {
#define TRACE_X_INFO(id, name, after, desc) [TRACE_MAP_##id] = { name, after, desc },
	TRACE_MAP_FIELD_LIST(TRACE_X_INFO)
#undef TRACE_X_INFO
};

static const struct {
	const char *key, *desc;
} wb_fields[TRACE_WB_FIELD_COUNT] = {
#define TRACE_X_INFO(field, key, shift, what) [TRACE_WB_##field] = { key, what },
	MG_WBSTATS_LIST(TRACE_X_INFO)
#undef TRACE_X_INFO
};

const char *
trace_format_name(trace_format f)
{
	return (unsigned)f < TRACE_FORMAT_COUNT ? format_names[f] : "?";
}

const char *
trace_clock_name(trace_clock c)
{
	return (unsigned)c < TRACE_CLOCK_COUNT ? clock_info[c].name : "?";
}

const char *
trace_cpu_name(trace_cpu c)
{
	return (unsigned)c < TRACE_CPU_COUNT ? cpu_info[c].name : "?";
}

bool
trace_has_clock(trace_format f, trace_clock c)
{
	return (unsigned)c < TRACE_CLOCK_COUNT && (f == TRACE_FORMAT_GO15 || !clock_info[c].go15_only);
}

bool
trace_has_cpu(trace_format f, trace_cpu c)
{
	return (unsigned)c < TRACE_CPU_COUNT && (f == TRACE_FORMAT_GO15 || !cpu_info[c].go15_only);
}

const char *
trace_map_field_name(trace_map_field f)
{
	return (unsigned)f < TRACE_MAP_FIELD_COUNT ? map_fields[f].name : "?";
}

const char *
trace_map_field_desc(trace_map_field f)
{
	return (unsigned)f < TRACE_MAP_FIELD_COUNT ? map_fields[f].desc : "?";
}

const char *
trace_wb_field_name(trace_wb_field f)
{
	return (unsigned)f < TRACE_WB_FIELD_COUNT ? wb_fields[f].key : "?";
}

const char *
trace_wb_field_desc(trace_wb_field f)
{
	return (unsigned)f < TRACE_WB_FIELD_COUNT ? wb_fields[f].desc : "?";
}

/* ---- the cursor ------------------------------------------------------------ */

typedef struct cursor {
	const char *line;       /* start of the whole line: columns count from here */
	const char *p, *end;
	char *err;              /* TRACE_ERR_MAX bytes */
	bool failed;
} cursor;

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* The input at p, quoted for a message: at most 12 bytes, non-printing
 * bytes (and any byte of a multi-byte sequence) as \xNN, so the message is
 * plain ASCII whatever the input. */
static void
excerpt(char *buf, size_t size, const char *p, const char *end)
{
	size_t o = 0;
	if (p >= end) {
		snprintf(buf, size, "the end of the line");
		return;
	}
	buf[o++] = '"';
	for (int k = 0; k < 12 && p < end && o + 6 < size; k++, p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
	}
	if (p < end && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

static void cursor_fail(cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records "<what> at column N, found <excerpt>" (first failure only). */
static void
cursor_fail(cursor *c, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = true;
	char what[96], found[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	excerpt(found, sizeof found, c->p, c->end);
	snprintf(c->err, TRACE_ERR_MAX, "%s at column %zu, found %s", what, (size_t)(c->p - c->line) + 1,
	         found);
}

static bool
cursor_at(const cursor *c, const char *lit)
{
	size_t n = strlen(lit);
	return !c->failed && (size_t)(c->end - c->p) >= n && memcmp(c->p, lit, n) == 0;
}

/* Consumes lit if it is next; no failure otherwise. */
static bool
cursor_accept(cursor *c, const char *lit)
{
	if (!cursor_at(c, lit))
		return false;
	c->p += strlen(lit);
	return true;
}

static void
cursor_expect(cursor *c, const char *lit)
{
	if (c->failed)
		return;
	if (!cursor_accept(c, lit))
		cursor_fail(c, "expected \"%s\"", lit);
}

/* An unsigned decimal integer (no sign, at least one digit). */
static uint64_t
cursor_u64(cursor *c, const char *what)
{
	uint64_t v = 0;
	if (c->failed)
		return 0;
	if (c->p >= c->end || !is_digit(*c->p)) {
		cursor_fail(c, "expected %s (a number)", what);
		return 0;
	}
	const char *start = c->p;
	while (c->p < c->end && is_digit(*c->p)) {
		unsigned d = (unsigned)(*c->p - '0');
		if (v > (UINT64_MAX - d) / 10) {
			c->p = start;
			cursor_fail(c, "%s is out of range", what);
			return 0;
		}
		v = v * 10 + d;
		c->p++;
	}
	return v;
}

/* A decimal "I" or "I.F" in a unit of `scale` nanoseconds (1e6: ms, 1e9: s),
 * as nanoseconds.  Fraction digits below a nanosecond are read and dropped. */
static uint64_t
cursor_ns(cursor *c, uint64_t scale, const char *what)
{
	if (c->failed)
		return 0;
	const char *start = c->p;
	if (c->p >= c->end || !is_digit(*c->p)) {
		cursor_fail(c, "expected %s (a number)", what);
		return 0;
	}
	uint64_t whole = cursor_u64(c, what);
	if (c->failed)
		return 0;
	if (whole > UINT64_MAX / scale) {
		c->p = start;
		cursor_fail(c, "%s is out of range", what);
		return 0;
	}
	uint64_t ns = whole * scale;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || !is_digit(*c->p)) {
			cursor_fail(c, "expected the decimals of %s", what);
			return 0;
		}
		uint64_t place = scale;
		while (c->p < c->end && is_digit(*c->p)) {
			place /= 10;
			uint64_t add = place * (uint64_t)(*c->p - '0');
			if (ns > UINT64_MAX - add) {
				c->p = start;
				cursor_fail(c, "%s is out of range", what);
				return 0;
			}
			ns += add;
			c->p++;
		}
	}
	return ns;
}

/* Nothing but blanks may follow the record. */
static void
cursor_expect_end(cursor *c, const char *after)
{
	if (c->failed)
		return;
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
	if (c->p < c->end)
		cursor_fail(c, "unexpected text after %s", after);
}

/* ---- gc lines ------------------------------------------------------------ */

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

/* The CPU fields of each form, in line order, with the separator after each. */
typedef struct cpu_step {
	trace_cpu cpu;
	const char *sep;
} cpu_step;

static const cpu_step cpu_steps_go16[] = {
	{ TRACE_CPU_SWEEP_TERM, "+" }, { TRACE_CPU_ASSIST, "/" }, { TRACE_CPU_BACKGROUND, "/" },
	{ TRACE_CPU_IDLE, "+" }, { TRACE_CPU_MARK_TERM, " ms cpu, " },
};

static const cpu_step cpu_steps_go15[] = {
	{ TRACE_CPU_SWEEP_TERM, "+" }, { TRACE_CPU_SCAN, "+" }, { TRACE_CPU_INSTALL_WB, "+" },
	{ TRACE_CPU_ASSIST, "/" }, { TRACE_CPU_BACKGROUND, "/" }, { TRACE_CPU_IDLE, "+" },
	{ TRACE_CPU_MARK_TERM, " ms cpu, " },
};

/* Clock phases of the two forms, in line order. */
static const trace_clock clock_go16[] = { TRACE_CLOCK_SWEEP_TERM, TRACE_CLOCK_MARK, TRACE_CLOCK_MARK_TERM };
static const trace_clock clock_go15[] = { TRACE_CLOCK_SWEEP_TERM, TRACE_CLOCK_SCAN, TRACE_CLOCK_INSTALL_WB,
	                                  TRACE_CLOCK_MARK, TRACE_CLOCK_MARK_TERM };

static void
parse_gc(cursor *c, trace_gc *g)
{
	memset(g, 0, sizeof *g);
	cursor_expect(c, "gc ");
	g->hash = cursor_accept(c, "#");
	g->n = cursor_u64(c, "the cycle number");
	cursor_expect(c, " @");
	g->t_ns = cursor_ns(c, SEC, "the start time");
	cursor_expect(c, "s ");
	g->cpu_pct = cursor_u64(c, "the GC CPU percentage");
	cursor_expect(c, "%: ");

	/* Clock phases: 3 or 5 of them decide the form. */
	uint64_t clk[5];
	size_t k = 0;
	const char *clock_start = c->p;
	for (;;) {
		if (k == 5) {
			cursor_fail(c, "more than five clock phases");
			return;
		}
		clk[k++] = cursor_ns(c, MS, "a clock time");
		if (!cursor_accept(c, "+"))
			break;
	}
	if (c->failed)
		return;
	if (k != 3 && k != 5) {
		c->p = clock_start;
		cursor_fail(c, "%zu clock phases (want 3, or 5 for Go 1.5)", k);
		return;
	}
	cursor_expect(c, " ms clock, ");
	bool go15 = k == 5;
	const trace_clock *phases = go15 ? clock_go15 : clock_go16;
	for (size_t i = 0; i < k; i++)
		g->clock_ns[phases[i]] = clk[i];

	const cpu_step *steps = go15 ? cpu_steps_go15 : cpu_steps_go16;
	size_t nsteps = go15 ? sizeof cpu_steps_go15 / sizeof *steps : sizeof cpu_steps_go16 / sizeof *steps;
	for (size_t i = 0; i < nsteps; i++) {
		g->cpu_ns[steps[i].cpu] = cursor_ns(c, MS, "a CPU time");
		cursor_expect(c, steps[i].sep);
	}

	g->heap_mb[0] = cursor_u64(c, "the heap size at start");
	cursor_expect(c, "->");
	g->heap_mb[1] = cursor_u64(c, "the heap size at end");
	cursor_expect(c, "->");
	g->heap_mb[2] = cursor_u64(c, "the live heap size");
	cursor_expect(c, " MB, ");
	g->goal_mb = cursor_u64(c, "the heap goal");
	cursor_expect(c, " MB goal, ");
	uint64_t x = cursor_u64(c, "the stacks size or the P count");
	if (c->failed)
		return;
	if (cursor_accept(c, " MB stacks, ")) {
		if (go15) {
			cursor_fail(c, "stacks and globals in a five-phase (Go 1.5) line");
			return;
		}
		g->stacks_mb = x;
		g->globals_mb = cursor_u64(c, "the globals size");
		cursor_expect(c, " MB globals, ");
		g->procs = cursor_u64(c, "the P count");
		g->format = TRACE_FORMAT_GO119;
	} else {
		g->procs = x;
		g->format = go15 ? TRACE_FORMAT_GO15 : TRACE_FORMAT_GO16;
	}
	if (!c->failed && !cursor_at(c, " P")) {
		cursor_fail(c, "expected \" P\"%s", g->format == TRACE_FORMAT_GO119 ? "" : " or \" MB stacks, \"");
		return;
	}
	cursor_expect(c, " P");
	g->forced = cursor_accept(c, " (forced)");
	cursor_expect_end(c, "the end of a gc line");
}

/* ---- map lines ---------------------------------------------------------------- */

static void
parse_map(cursor *c, trace_map *m)
{
	memset(m, 0, sizeof *m);
	cursor_expect(c, "map ");
	m->n = cursor_u64(c, "the cycle number");
	cursor_expect(c, " @");
	m->t_ns = cursor_ns(c, SEC, "the time");
	cursor_expect(c, "s: ");
	for (int f = 0; f < TRACE_MAP_FIELD_COUNT; f++) {
		char what[64];
		snprintf(what, sizeof what, "%s", map_fields[f].name);
		m->v[f] = cursor_u64(c, what);
		cursor_expect(c, map_fields[f].after);
	}
	cursor_expect_end(c, "the end of a map line");
}

/* ---- mapev lines --------------------------------------------------------------- */

static bool
is_name_char(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '.'
	       || ch == '-';
}

static void
parse_mapev(cursor *c, trace_mapev *ev)
{
	memset(ev, 0, sizeof *ev);
	cursor_expect(c, "mapev ");
	if (c->failed)
		return;
	size_t n = 0;
	while (c->p + n < c->end && is_name_char(c->p[n]))
		n++;
	if (n == 0) {
		cursor_fail(c, "expected an event name");
		return;
	}
	if (n > TRACE_MAPEV_NAME_MAX) {
		cursor_fail(c, "event name longer than %d bytes", TRACE_MAPEV_NAME_MAX);
		return;
	}
	memcpy(ev->name, c->p, n);
	ev->name[n] = '\0';
	c->p += n;
	cursor_expect(c, " m#");
	ev->map_id = cursor_u64(c, "the map id");
	while (!c->failed) {
		while (c->p < c->end && is_blank(*c->p))
			c->p++;
		if (c->p >= c->end)
			break;
		if (c->p[-1] != ' ' && c->p[-1] != '\t') {
			cursor_fail(c, "expected a space before key=value");
			break;
		}
		const char *key = c->p;
		while (c->p < c->end && is_name_char(*c->p))
			c->p++;
		if (c->p == key || c->p >= c->end || *c->p != '=') {
			c->p = key;
			cursor_fail(c, "expected key=value");
			break;
		}
		if (ev->npairs == TRACE_MAPEV_MAX_PAIRS) {
			c->p = key;
			cursor_fail(c, "more than %d key=value pairs", TRACE_MAPEV_MAX_PAIRS);
			break;
		}
		size_t klen = (size_t)(c->p - key);
		c->p++;
		const char *val = c->p;
		while (c->p < c->end && !is_blank(*c->p))
			c->p++;
		ev->pair[ev->npairs].key_off = (size_t)(key - c->line);
		ev->pair[ev->npairs].key_len = klen;
		ev->pair[ev->npairs].val_off = (size_t)(val - c->line);
		ev->pair[ev->npairs].val_len = (size_t)(c->p - val);
		ev->npairs++;
	}
}

/* ---- wb lines -------------------------------------------------------------------- */

static bool
is_key_char(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') || ch == '_';
}

/* One key=value pair after a blank; unknown keys are passed over. */
static void
parse_wb_pair(cursor *c, trace_wb *w, bool *seen)
{
	const char *key = c->p;
	while (c->p < c->end && is_key_char(*c->p))
		c->p++;
	size_t klen = (size_t)(c->p - key);
	if (klen == 0 || c->p >= c->end || *c->p != '=') {
		c->p = key;
		cursor_fail(c, "expected key=value");
		return;
	}
	c->p++;
	for (int f = 0; f < TRACE_WB_FIELD_COUNT; f++) {
		if (strlen(wb_fields[f].key) != klen || memcmp(wb_fields[f].key, key, klen) != 0)
			continue;
		if (seen[f]) {
			c->p = key;
			cursor_fail(c, "%s= a second time", wb_fields[f].key);
			return;
		}
		seen[f] = true;
		w->v[f] = cursor_u64(c, wb_fields[f].key);
		if (!c->failed && c->p < c->end && !is_blank(*c->p))
			cursor_fail(c, "expected a blank after %s's value", wb_fields[f].key);
		return;
	}
	while (c->p < c->end && !is_blank(*c->p))   /* a key this reader does not know */
		c->p++;
}

static void
parse_wb(cursor *c, trace_wb *w)
{
	bool seen[TRACE_WB_FIELD_COUNT] = { false };
	memset(w, 0, sizeof *w);
	cursor_expect(c, "wb ");
	w->n = cursor_u64(c, "the cycle number");
	cursor_expect(c, " @");
	w->t_ns = cursor_ns(c, SEC, "the time");
	cursor_expect(c, "s: mode=");
	if (c->failed)
		return;
	size_t n = 0;
	while (c->p + n < c->end && (is_key_char(c->p[n]) || c->p[n] == '-'))
		n++;
	if (n == 0 || n > TRACE_WB_MODE_MAX) {
		cursor_fail(c, n ? "a mode name longer than %d bytes" : "expected the barrier mode", TRACE_WB_MODE_MAX);
		return;
	}
	memcpy(w->mode, c->p, n);
	c->p += n;
	while (!c->failed) {
		const char *before = c->p;
		while (c->p < c->end && is_blank(*c->p))
			c->p++;
		if (c->p >= c->end)
			break;
		if (c->p == before) {
			cursor_fail(c, "expected a blank before key=value");
			break;
		}
		parse_wb_pair(c, w, seen);
	}
	for (int f = 0; f < TRACE_WB_FIELD_COUNT && !c->failed; f++)
		if (!seen[f])
			cursor_fail(c, "no %s= in the wb line", wb_fields[f].key);
}

bool
trace_mapev_get(const trace_mapev *ev, const char *line, const char *key, const char **val,
		size_t *val_len)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < ev->npairs; i++) {
		if (ev->pair[i].key_len == klen && memcmp(line + ev->pair[i].key_off, key, klen) == 0) {
			*val = line + ev->pair[i].val_off;
			*val_len = ev->pair[i].val_len;
			return true;
		}
	}
	return false;
}

bool
trace_mapev_get_u64(const trace_mapev *ev, const char *line, const char *key, uint64_t *out)
{
	const char *v;
	size_t n;
	if (!trace_mapev_get(ev, line, key, &v, &n) || n == 0 || n > 19)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(v[i]))
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');   /* ≤ 19 digits: no overflow */
	}
	*out = x;
	return true;
}

/* ---- classification --------------------------------------------------------------- */

static bool
starts(const char *p, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	return n >= k && memcmp(p, lit, k) == 0;
}

/* What the record at p would be, judged by its first bytes only. */
static trace_kind
candidate_kind(const char *p, size_t n)
{
	if (starts(p, n, "gc ")) {
		size_t i = 3;
		if (i < n && p[i] == '#')
			i++;
		return i < n && is_digit(p[i]) ? TRACE_GC : TRACE_NONE;
	}
	if (starts(p, n, "map "))
		return n > 4 && is_digit(p[4]) ? TRACE_MAP : TRACE_NONE;
	if (starts(p, n, "mapev "))
		return TRACE_MAPEV;
	if (starts(p, n, "wb "))
		return n > 3 && is_digit(p[3]) ? TRACE_WB : TRACE_NONE;
	if (n == 9 && memcmp(p, "GC forced", 9) == 0)
		return TRACE_GC_FORCED;
	return TRACE_NONE;
}

static size_t
trimmed_len(const char *line, size_t len)
{
	while (len > 0 && is_blank(line[len - 1]))
		len--;
	return len;
}

bool
trace_line_looks_like_trace(const char *line, size_t len)
{
	return candidate_kind(line, trimmed_len(line, len)) != TRACE_NONE;
}

/* Parses the record starting at line + off; TRACE_MALFORMED on failure. */
static trace_kind
parse_at(const char *line, size_t off, size_t len, trace_record *rec)
{
	trace_kind kind = candidate_kind(line + off, len - off);
	cursor c = { .line = line, .p = line + off, .end = line + len, .err = rec->err };
	rec->err[0] = '\0';
	rec->offset = off;
	switch (kind) {
	case TRACE_NONE:
	case TRACE_MALFORMED:
	case TRACE_GC_FORCED:
		break;
	case TRACE_GC:
		parse_gc(&c, &rec->u.gc);
		break;
	case TRACE_MAP:
		parse_map(&c, &rec->u.map);
		break;
	case TRACE_MAPEV:
		parse_mapev(&c, &rec->u.ev);
		break;
	case TRACE_WB:
		parse_wb(&c, &rec->u.wb);
		break;
	}
	return c.failed ? TRACE_MALFORMED : kind;
}

trace_kind
trace_parse_line(const char *line, size_t len, trace_record *rec)
{
	len = trimmed_len(line, len);
	rec->kind = parse_at(line, 0, len, rec);
	if (rec->kind != TRACE_NONE)
		return rec->kind;
	/* A prefixed record (see the essay): a failure here is not a malformed
	 * line, only a candidate that was not one. */
	int tries = 0;
	for (size_t i = 1; i < len && tries < TRACE_PREFIX_TRIES; i++) {
		if (candidate_kind(line + i, len - i) == TRACE_NONE)
			continue;
		tries++;
		trace_kind k = parse_at(line, i, len, rec);
		if (k != TRACE_MALFORMED && k != TRACE_NONE) {
			rec->kind = k;
			return k;
		}
	}
	rec->kind = TRACE_NONE;
	rec->offset = 0;
	rec->err[0] = '\0';
	return TRACE_NONE;
}

/* ---- the reader -------------------------------------------------------------------- */

void
trace_reader_init_file(trace_reader *r, FILE *f)
{
	memset(r, 0, offsetof(trace_reader, chunk));
	r->f = f;
	r->chunk_len = r->chunk_pos = 0;
	r->lineno = 0;
	r->eof = false;
	r->error = 0;
}

void
trace_reader_init_mem(trace_reader *r, const void *data, size_t len)
{
	trace_reader_init_file(r, NULL);
	r->mem = data;
	r->mem_len = len;
}

/* The bytes not yet consumed: a view of mem, or of chunk after a read. */
static bool
reader_fill(trace_reader *r, const char **buf, size_t *avail)
{
	if (r->f == NULL) {
		*buf = r->mem + r->mem_pos;
		*avail = r->mem_len - r->mem_pos;
		return *avail > 0;
	}
	if (r->chunk_pos == r->chunk_len) {
		if (r->eof)
			return false;
		r->chunk_pos = 0;
		r->chunk_len = fread(r->chunk, 1, sizeof r->chunk, r->f);
		if (r->chunk_len == 0) {
			r->eof = true;
			if (ferror(r->f))
				r->error = errno != 0 ? errno : EIO;
			return false;
		}
	}
	*buf = r->chunk + r->chunk_pos;
	*avail = r->chunk_len - r->chunk_pos;
	return true;
}

static void
reader_consume(trace_reader *r, size_t n)
{
	if (r->f == NULL)
		r->mem_pos += n;
	else
		r->chunk_pos += n;
}

int
trace_reader_next(trace_reader *r, trace_line *out)
{
	size_t len = 0;
	uint64_t full = 0;
	bool any = false, newline = false;
	const char *buf;
	size_t avail;

	errno = 0;
	while (reader_fill(r, &buf, &avail)) {
		any = true;
		const char *nl = memchr(buf, '\n', avail);
		size_t take = nl ? (size_t)(nl - buf) : avail;
		size_t room = TRACE_LINE_MAX - len;
		memcpy(r->line + len, buf, take < room ? take : room);
		len += take < room ? take : room;
		full += take;
		reader_consume(r, take + (nl ? 1 : 0));
		if (nl) {
			newline = true;
			break;
		}
	}
	if (r->error != 0)
		return -1;
	if (!any)
		return 0;
	r->lineno++;
	*out = (trace_line){
		.p = r->line,
		.len = len,
		.no = r->lineno,
		.too_long = full > TRACE_LINE_MAX,
		.full_len = full,
		.no_newline = !newline,
	};
	return 1;
}
