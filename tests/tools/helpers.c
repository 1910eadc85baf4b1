/*
 * helpers.c — the tt_ helpers (trace_test.h).
 */
#include "tests/tools/trace_test.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

const char *tt_data_path(const char *name)
{
	static char buf[4096];
	/* This file's path, as the build gave it (CMake passes absolute source
	 * paths): …/tests/tools/helpers.c → …/tests/data/trace/NAME */
	const char *self = __FILE__;
	const char *cut = strstr(self, "tests/tools/helpers.c");
	cr_assert_not_null(cut, "cannot find the source tree from __FILE__ = %s", self);
	snprintf(buf, sizeof buf, "%.*stests/data/trace/%s", (int)(cut - self), self, name);
	return buf;
}

char *tt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			cr_assert_not_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

trace_log *tt_log_from(const char *data, size_t len)
{
	trace_log *log = malloc(sizeof *log);
	trace_reader *r = malloc(sizeof *r);
	cr_assert(log != NULL && r != NULL);
	trace_log_init(log);
	trace_reader_init_mem(r, data, len);
	trace_line line;
	char msg[TRACE_ERR_MAX + 64];
	while (trace_reader_next(r, &line) > 0)
		trace_log_feed(log, &line, msg, sizeof msg);
	free(r);
	trace_log_finish(log);
	return log;
}

trace_log *tt_log_from_str(const char *text)
{
	return tt_log_from(text, strlen(text));
}

trace_log *tt_log_from_file(const char *name)
{
	size_t len;
	char *data = tt_read_file(tt_data_path(name), &len);
	trace_log *log = tt_log_from(data, len);
	free(data);
	return log;
}

void tt_log_free(trace_log *log)
{
	trace_log_free(log);
	free(log);
}

char *tt_render(tt_writer fn, const trace_log *log, const void *arg, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	cr_assert_not_null(f);
	fn(f, log, arg);
	cr_assert_eq(fclose(f), 0);
	*len = n;
	return buf;
}

void tt_w_summary(FILE *out, const trace_log *log, const void *arg)
{
	trace_write_summary(out, log, arg ? arg : "test.log");
}

void tt_w_csv(FILE *out, const trace_log *log, const void *arg)
{
	(void)arg;
	trace_write_csv(out, log);
}

void tt_w_json(FILE *out, const trace_log *log, const void *arg)
{
	trace_write_json(out, log, arg ? arg : "test.log");
}

void tt_w_html(FILE *out, const trace_log *log, const void *arg)
{
	trace_write_html(out, log, "test.log", arg);
}

size_t tt_count(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), c = 0;
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			c++;
	return c;
}

/* ---- JSON recogniser ------------------------------------------------------------ */

typedef struct jp {
	const unsigned char *p, *end;
	char *why;
	size_t whysize;
	int depth;
	bool bad;
} jp;

static bool jfail(jp *j, const char *what)
{
	if (!j->bad)
		snprintf(j->why, j->whysize, "%s", what);
	j->bad = true;
	return false;
}

static void jws(jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static bool jlit(jp *j, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return jfail(j, "bad literal");
	j->p += n;
	return true;
}

/* Independent UTF-8 check: returns the sequence length, 0 if invalid. */
static size_t jutf8(const unsigned char *s, size_t n)
{
	static const struct { unsigned char lo, hi; size_t len; uint32_t min; } lead[] = {
		{ 0xc2, 0xdf, 2, 0x80 }, { 0xe0, 0xef, 3, 0x800 }, { 0xf0, 0xf4, 4, 0x10000 },
	};
	for (size_t k = 0; k < 3; k++) {
		if (s[0] < lead[k].lo || s[0] > lead[k].hi)
			continue;
		size_t len = lead[k].len;
		if (n < len)
			return 0;
		uint32_t cp = s[0] & (0x7f >> len);
		for (size_t i = 1; i < len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if (cp < lead[k].min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		return len;
	}
	return 0;
}

static bool jstring(jp *j)
{
	if (j->p >= j->end || *j->p != '"')
		return jfail(j, "expected a string");
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = *j->p;
		if (c < 0x20)
			return jfail(j, "raw control character in a string");
		if (c == '\\') {
			j->p++;
			if (j->p >= j->end)
				return jfail(j, "truncated escape");
			if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (j->p + i >= j->end || !strchr("0123456789abcdefABCDEF", j->p[i]) || j->p[i] == 0)
						return jfail(j, "bad \\u escape");
				j->p += 5;
			} else if (strchr("\"\\/bfnrt", *j->p) && *j->p != 0) {
				j->p++;
			} else {
				return jfail(j, "bad escape");
			}
		} else if (c < 0x80) {
			j->p++;
		} else {
			size_t k = jutf8(j->p, (size_t)(j->end - j->p));
			if (k == 0)
				return jfail(j, "invalid UTF-8 in a string");
			j->p += k;
		}
	}
	if (j->p >= j->end)
		return jfail(j, "unterminated string");
	j->p++;
	return true;
}

static bool jdigits(jp *j)
{
	const unsigned char *s = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static bool jnumber(jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!jdigits(j))
		return jfail(j, "bad number");
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!jdigits(j))
			return jfail(j, "bad fraction");
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!jdigits(j))
			return jfail(j, "bad exponent");
	}
	return true;
}

static bool jvalue(jp *j)
{
	jws(j);
	if (j->p >= j->end)
		return jfail(j, "expected a value");
	if (++j->depth > 64)
		return jfail(j, "too deep");
	bool ok;
	switch (*j->p) {
	case '{':
		j->p++;
		jws(j);
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			ok = true;
			break;
		}
		for (;;) {
			jws(j);
			if (!jstring(j))
				return false;
			jws(j);
			if (j->p >= j->end || *j->p != ':')
				return jfail(j, "expected ':'");
			j->p++;
			if (!jvalue(j))
				return false;
			jws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == '}') {
				j->p++;
				break;
			}
			return jfail(j, "expected ',' or '}'");
		}
		ok = true;
		break;
	case '[':
		j->p++;
		jws(j);
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			ok = true;
			break;
		}
		for (;;) {
			if (!jvalue(j))
				return false;
			jws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == ']') {
				j->p++;
				break;
			}
			return jfail(j, "expected ',' or ']'");
		}
		ok = true;
		break;
	case '"':
		ok = jstring(j);
		break;
	case 't':
		ok = jlit(j, "true");
		break;
	case 'f':
		ok = jlit(j, "false");
		break;
	case 'n':
		ok = jlit(j, "null");
		break;
	default:
		ok = jnumber(j);
		break;
	}
	j->depth--;
	return ok;
}

bool tt_json_valid(const char *s, size_t n, char *why, size_t whysize)
{
	jp j = { (const unsigned char *)s, (const unsigned char *)s + n, why, whysize, 0, false };
	why[0] = '\0';
	if (!jvalue(&j))
		goto bad;
	jws(&j);
	if (j.p != j.end) {
		jfail(&j, "text after the value");
		goto bad;
	}
	return true;
bad:
	snprintf(why + strlen(why), whysize - strlen(why), " (offset %td)", (const char *)j.p - s);
	return false;
}

/* ---- HTML balance ------------------------------------------------------------------ */

static bool is_void_element(const char *name, size_t n)
{
	static const char *const voids[] = { "area", "base", "br", "col", "embed", "hr", "img", "input",
		                             "link", "meta", "source", "track", "wbr" };
	for (size_t i = 0; i < sizeof voids / sizeof *voids; i++)
		if (strlen(voids[i]) == n && memcmp(voids[i], name, n) == 0)
			return true;
	return false;
}

static const char *find(const char *s, const char *end, const char *needle)
{
	size_t k = strlen(needle);
	for (; s + k <= end; s++)
		if (memcmp(s, needle, k) == 0)
			return s;
	return NULL;
}

bool tt_html_balanced(const char *s, size_t n, size_t *nsvg, char *why, size_t whysize)
{
	enum { MAX_DEPTH = 256 };
	struct { const char *name; size_t len; } stack[MAX_DEPTH];
	size_t depth = 0;
	const char *p = s, *end = s + n;
	*nsvg = 0;
	why[0] = '\0';
	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		const char *q;
		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			if ((q = find(p, end, "-->")) == NULL)
				return snprintf(why, whysize, "unterminated comment"), false;
			p = q + 3;
			continue;
		}
		if (end - p >= 2 && (p[1] == '!' || p[1] == '?')) {
			if ((q = memchr(p, '>', (size_t)(end - p))) == NULL)
				return snprintf(why, whysize, "unterminated declaration"), false;
			p = q + 1;
			continue;
		}
		bool closing = end - p >= 2 && p[1] == '/';
		const char *name = p + (closing ? 2 : 1), *ne = name;
		while (ne < end && ((*ne >= 'a' && *ne <= 'z') || (*ne >= 'A' && *ne <= 'Z') || (*ne >= '0' && *ne <= '9')
		                    || *ne == '-'))
			ne++;
		if (ne == name)
			return snprintf(why, whysize, "'<' not starting a tag at offset %td", p - s), false;
		/* the end of the tag, outside quoted attribute values */
		char quote = 0;
		for (q = ne; q < end; q++) {
			if (quote) {
				if (*q == quote)
					quote = 0;
			} else if (*q == '"' || *q == '\'') {
				quote = *q;
			} else if (*q == '>' || *q == '<') {
				break;
			}
		}
		if (q >= end || *q != '>')
			return snprintf(why, whysize, "unterminated tag <%.*s at offset %td", (int)(ne - name), name, p - s), false;
		size_t len = (size_t)(ne - name);
		if (closing) {
			if (depth == 0 || stack[depth - 1].len != len || memcmp(stack[depth - 1].name, name, len) != 0)
				return snprintf(why, whysize, "</%.*s> at offset %td closes <%.*s>", (int)len, name, p - s,
				                depth ? (int)stack[depth - 1].len : 0, depth ? stack[depth - 1].name : ""),
				       false;
			depth--;
		} else if (q[-1] != '/' && !is_void_element(name, len)) {
			if (depth == MAX_DEPTH)
				return snprintf(why, whysize, "nested too deep"), false;
			stack[depth].name = name;
			stack[depth].len = len;
			depth++;
			if (len == 3 && memcmp(name, "svg", 3) == 0)
				(*nsvg)++;
			if ((len == 5 && memcmp(name, "style", 5) == 0) || (len == 6 && memcmp(name, "script", 6) == 0)) {
				/* raw text up to the closing tag */
				const char *c = find(q, end, len == 5 ? "</style" : "</script");
				if (c == NULL)
					return snprintf(why, whysize, "unterminated <%.*s>", (int)len, name), false;
				p = c;
				continue;
			}
		} else if (len == 3 && memcmp(name, "svg", 3) == 0) {
			(*nsvg)++;
		}
		p = q + 1;
	}
	if (depth != 0)
		return snprintf(why, whysize, "<%.*s> is never closed", (int)stack[depth - 1].len, stack[depth - 1].name),
		       false;
	return true;
}
