/*
 * json.c — the strict pull reader of json.h.
 *
 * The grammar is run as a small state machine over one byte position: the
 * state says what may come next, the stack says which container is open.
 *
 *   ST_VALUE      a value (document start, after ':' , after ',' in an array)
 *   ST_ARRAY_1ST  a value or ']' (just after '[')
 *   ST_OBJECT_1ST a member name or '}' (just after '{')
 *   ST_KEY        a member name (after ',' in an object)
 *   ST_AFTER      ',' or the closing bracket of the open container, or, at
 *                 depth 0, the end of the document
 *   ST_DONE       only white space until the end
 *
 * Every function that reads advances r->pos or fails, and never reads at or
 * past r->len (inv.json-bounded, json.h).
 */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_VALUE, ST_ARRAY_1ST, ST_OBJECT_1ST, ST_KEY, ST_AFTER, ST_DONE };

static const char *const json_tok_names[] = {
#define JSON_X_NAME(name, text) text,
	JSON_TOKEN_LIST(JSON_X_NAME)
#undef JSON_X_NAME
};

const char *
json_tok_name(json_tok t)
{
	if ((size_t)t >= sizeof json_tok_names / sizeof json_tok_names[0])
		return "?";
	return json_tok_names[t];
}

void
json_init(json_reader *r, const char *text, size_t len)
{
	memset(r, 0, sizeof *r);
	r->text = text;
	r->len = text != NULL ? len : 0;
	r->state = ST_VALUE;
	r->tok = JSON_EOF;
}

void
json_free(json_reader *r)
{
	free(r->str);
	r->str = NULL;
	r->scap = r->slen = 0;
}

static bool
json_vfail(json_reader *r, size_t pos, const char *fmt, va_list ap)
{
	if (r->failed)
		return false;
	r->failed = true;
	r->err_pos = pos;
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	r->tok = JSON_ERROR;
	return false;
}

bool
json_fail_at(json_reader *r, size_t pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_vfail(r, pos, fmt, ap);
	va_end(ap);
	return false;
}

/* A fault of the JSON text itself (not of what a schema wants of it). */
static bool
json_syntax(json_reader *r, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool
json_syntax(json_reader *r, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return false;
	r->syntax = true;
	va_start(ap, fmt);
	json_vfail(r, pos, fmt, ap);
	va_end(ap);
	return false;
}

void
json_location(const json_reader *r, size_t pos, size_t *line, size_t *col)
{
	size_t l = 1, c = 1;

	if (pos > r->len)
		pos = r->len;
	for (size_t k = 0; k < pos; k++) {
		if (r->text[k] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* The byte at pos, or -1 at the end. */
static int
json_peek(const json_reader *r)
{
	return r->pos < r->len ? (unsigned char)r->text[r->pos] : -1;
}

static void
json_skip_ws(json_reader *r)
{
	while (r->pos < r->len) {
		char c = r->text[r->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		r->pos++;
	}
}

/* A printable description of the byte at pos, for messages. */
static const char *
json_describe_byte(const json_reader *r, char buf[16])
{
	int c = json_peek(r);

	if (c < 0)
		return "the end of the input";
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", (unsigned)c);
	return buf;
}

/* ---- strings ---------------------------------------------------------------- */

/* Make room for n more bytes (and the NUL) in r->str. */
static bool
json_reserve(json_reader *r, size_t n)
{
	if (r->slen + n > JSON_MAX_STRING)
		return json_syntax(r, r->tok_pos, "string longer than %zu bytes", (size_t)JSON_MAX_STRING);
	if (r->slen + n + 1 <= r->scap)
		return true;
	size_t cap = r->scap ? r->scap : 64;
	while (cap < r->slen + n + 1)
		cap *= 2;
	if (cap > JSON_MAX_STRING + 1)
		cap = JSON_MAX_STRING + 1;
	char *s = realloc(r->str, cap);
	if (s == NULL)
		return json_fail_at(r, r->tok_pos, "out of memory reading a string");
	r->str = s;
	r->scap = cap;
	return true;
}

static bool
json_put_utf8(json_reader *r, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (!json_reserve(r, n))
		return false;
	memcpy(r->str + r->slen, b, n);
	r->slen += n;
	return true;
}

/* Four hex digits at pos; -1 if they are not there. */
static long
json_hex4(const json_reader *r, size_t pos)
{
	long v = 0;

	if (pos > r->len || r->len - pos < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = r->text[pos + (size_t)k];
		int d = c >= '0' && c <= '9' ? c - '0'
		      : c >= 'a' && c <= 'f' ? c - 'a' + 10
		      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* r->pos is just after a backslash. */
static bool
json_escape(json_reader *r)
{
	size_t at = r->pos - 1;
	int c = json_peek(r);
	char out;

	switch (c) {
	case '"': out = '"'; break;
	case '\\': out = '\\'; break;
	case '/': out = '/'; break;
	case 'b': out = '\b'; break;
	case 'f': out = '\f'; break;
	case 'n': out = '\n'; break;
	case 'r': out = '\r'; break;
	case 't': out = '\t'; break;
	case 'u': {
		long hi = json_hex4(r, r->pos + 1);
		if (hi < 0)
			return json_syntax(r, at, "bad \\u escape (want four hex digits)");
		r->pos += 5;
		uint32_t cp = (uint32_t)hi;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return json_syntax(r, at, "lone low surrogate \\u%04lx", hi);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			long lo = -1;
			if (r->len - r->pos >= 6 && r->text[r->pos] == '\\' && r->text[r->pos + 1] == 'u')
				lo = json_hex4(r, r->pos + 2);
			if (lo < 0xdc00 || lo > 0xdfff)
				return json_syntax(r, at, "high surrogate \\u%04lx not followed by a low one", hi);
			r->pos += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
		}
		return json_put_utf8(r, cp);
	}
	default:
		return json_syntax(r, at, "unknown escape \\%c", c >= 0x20 && c < 0x7f ? c : '?');
	}
	r->pos++;
	if (!json_reserve(r, 1))
		return false;
	r->str[r->slen++] = out;
	return true;
}

/* One UTF-8 sequence starting at r->pos (its first byte is >= 0x80),
 * checked (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF)
 * and copied. */
static bool
json_utf8(json_reader *r)
{
	const unsigned char *s = (const unsigned char *)r->text + r->pos;
	size_t left = r->len - r->pos;
	unsigned char b0 = s[0];
	size_t n;
	uint32_t cp, min;

	if (b0 >= 0xc2 && b0 <= 0xdf) {
		n = 2; cp = b0 & 0x1f; min = 0x80;
	} else if (b0 >= 0xe0 && b0 <= 0xef) {
		n = 3; cp = b0 & 0x0f; min = 0x800;
	} else if (b0 >= 0xf0 && b0 <= 0xf4) {
		n = 4; cp = b0 & 0x07; min = 0x10000;
	} else {
		return json_syntax(r, r->pos, "invalid UTF-8 byte 0x%02x in a string", b0);
	}
	if (left < n)
		return json_syntax(r, r->pos, "truncated UTF-8 sequence in a string");
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return json_syntax(r, r->pos, "invalid UTF-8 sequence in a string");
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return json_syntax(r, r->pos, "invalid UTF-8 sequence in a string (U+%04X)", (unsigned)cp);
	if (!json_reserve(r, n))
		return false;
	memcpy(r->str + r->slen, s, n);
	r->slen += n;
	r->pos += n;
	return true;
}

/* r->pos is on the opening quote. */
static bool
json_string(json_reader *r)
{
	size_t start = r->pos;

	r->pos++;
	r->slen = 0;
	if (!json_reserve(r, 0))
		return false;
	for (;;) {
		/* Copy a run of plain bytes at once. */
		size_t run = r->pos;
		while (run < r->len) {
			unsigned char c = (unsigned char)r->text[run];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			run++;
		}
		if (run > r->pos) {
			if (!json_reserve(r, run - r->pos))
				return false;
			memcpy(r->str + r->slen, r->text + r->pos, run - r->pos);
			r->slen += run - r->pos;
			r->pos = run;
		}
		int c = json_peek(r);
		if (c < 0)
			return json_syntax(r, start, "unterminated string");
		if (c == '"') {
			r->pos++;
			r->str[r->slen] = '\0';
			return true;
		}
		if (c == '\\') {
			r->pos++;
			if (!json_escape(r))
				return false;
		} else if (c < 0x20) {
			return json_syntax(r, r->pos, "unescaped control character 0x%02x in a string", (unsigned)c);
		} else if (!json_utf8(r)) {
			return false;
		}
	}
}

/* ---- numbers and literals ------------------------------------------------------ */

static bool
json_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
json_number(json_reader *r)
{
	size_t start = r->pos;
	bool neg = false, integer = true;

	if (json_peek(r) == '-') {
		neg = true;
		r->pos++;
	}
	if (json_peek(r) == '0') {
		r->pos++;
		if (json_is_digit(json_peek(r)))
			return json_syntax(r, start, "number with a leading zero");
	} else if (json_is_digit(json_peek(r))) {
		while (json_is_digit(json_peek(r)))
			r->pos++;
	} else {
		return json_syntax(r, start, "'-' without digits");
	}
	size_t int_end = r->pos;
	if (json_peek(r) == '.') {
		integer = false;
		r->pos++;
		if (!json_is_digit(json_peek(r)))
			return json_syntax(r, start, "number without digits after '.'");
		while (json_is_digit(json_peek(r)))
			r->pos++;
	}
	if (json_peek(r) == 'e' || json_peek(r) == 'E') {
		integer = false;
		r->pos++;
		if (json_peek(r) == '+' || json_peek(r) == '-')
			r->pos++;
		if (!json_is_digit(json_peek(r)))
			return json_syntax(r, start, "number without digits in its exponent");
		while (json_is_digit(json_peek(r)))
			r->pos++;
	}
	size_t n = r->pos - start;
	if (n > JSON_MAX_NUMBER)
		return json_syntax(r, start, "number longer than %d characters", JSON_MAX_NUMBER);

	/* Exact integers, digit by digit, with overflow checks. */
	r->is_int = r->is_uint = false;
	r->i = 0;
	r->u = 0;
	if (integer) {
		uint64_t mag = 0;
		bool overflow = false;
		for (size_t k = start + (neg ? 1 : 0); k < int_end; k++) {
			unsigned d = (unsigned)(r->text[k] - '0');
			if (mag > (UINT64_MAX - d) / 10) {
				overflow = true;
				break;
			}
			mag = mag * 10 + d;
		}
		if (!overflow) {
			if (!neg) {
				r->is_uint = true;
				r->u = mag;
				if (mag <= (uint64_t)INT64_MAX) {
					r->is_int = true;
					r->i = (int64_t)mag;
				}
			} else if (mag <= (uint64_t)INT64_MAX + 1) {
				r->is_int = true;
				r->i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
			}
		}
	}
	/* strtod needs a terminated copy; the grammar above already holds, so
	 * strtod reads exactly these n bytes. */
	char buf[JSON_MAX_NUMBER + 1];
	memcpy(buf, r->text + start, n);
	buf[n] = '\0';
	r->num = strtod(buf, NULL);
	return true;
}

static bool
json_literal(json_reader *r, const char *word, json_tok tok)
{
	size_t n = strlen(word);

	if (r->len - r->pos < n || memcmp(r->text + r->pos, word, n) != 0)
		return false;
	r->pos += n;
	r->tok = tok;
	return true;
}

/* ---- the state machine ----------------------------------------------------------- */

static json_tok
json_error(json_reader *r)
{
	r->tok = JSON_ERROR;
	return JSON_ERROR;
}

static json_tok
json_value(json_reader *r)
{
	char buf[16];
	int c = json_peek(r);

	r->tok_pos = r->pos;
	switch (c) {
	case '{':
	case '[':
		if (r->depth >= JSON_MAX_DEPTH) {
			json_syntax(r, r->pos, "nesting deeper than %d", JSON_MAX_DEPTH);
			return json_error(r);
		}
		r->stack[r->depth++] = c == '{' ? 'o' : 'a';
		r->pos++;
		r->state = c == '{' ? ST_OBJECT_1ST : ST_ARRAY_1ST;
		return r->tok = c == '{' ? JSON_OBJECT : JSON_ARRAY;
	case '"':
		if (!json_string(r))
			return json_error(r);
		r->state = ST_AFTER;
		return r->tok = JSON_STRING;
	case 't':
	case 'f':
	case 'n':
		if (json_literal(r, "true", JSON_TRUE) || json_literal(r, "false", JSON_FALSE) ||
		    json_literal(r, "null", JSON_NULL)) {
			r->state = ST_AFTER;
			return r->tok;
		}
		break;
	default:
		if (c == '-' || json_is_digit(c)) {
			if (!json_number(r))
				return json_error(r);
			r->state = ST_AFTER;
			return r->tok = JSON_NUMBER;
		}
		break;
	}
	if (c < 0)
		json_syntax(r, r->pos, r->depth == 0 ? "empty document" : "unexpected end of the input");
	else
		json_syntax(r, r->pos, "expected a value, found %s", json_describe_byte(r, buf));
	return json_error(r);
}

static json_tok
json_key(json_reader *r)
{
	char buf[16];

	r->tok_pos = r->pos;
	if (json_peek(r) != '"') {
		json_syntax(r, r->pos, "expected a member name, found %s", json_describe_byte(r, buf));
		return json_error(r);
	}
	if (!json_string(r))
		return json_error(r);
	json_skip_ws(r);
	if (json_peek(r) != ':') {
		json_syntax(r, r->pos, "expected ':' after a member name, found %s", json_describe_byte(r, buf));
		return json_error(r);
	}
	r->pos++;
	r->state = ST_VALUE;
	return r->tok = JSON_KEY;
}

static json_tok
json_close(json_reader *r, char kind)
{
	r->tok_pos = r->pos;
	r->pos++;
	r->depth--;
	r->state = ST_AFTER;
	return r->tok = kind == 'o' ? JSON_OBJECT_END : JSON_ARRAY_END;
}

json_tok
json_next(json_reader *r)
{
	char buf[16];

	if (r->failed)
		return JSON_ERROR;
	json_skip_ws(r);
	switch (r->state) {
	case ST_VALUE:
		return json_value(r);
	case ST_ARRAY_1ST:
		if (json_peek(r) == ']')
			return json_close(r, 'a');
		return json_value(r);
	case ST_OBJECT_1ST:
		if (json_peek(r) == '}')
			return json_close(r, 'o');
		return json_key(r);
	case ST_KEY:
		return json_key(r);
	case ST_AFTER: {
		if (r->depth == 0) {
			r->state = ST_DONE;
			return json_next(r);
		}
		char top = (char)r->stack[r->depth - 1];
		int c = json_peek(r);
		if (c == ',') {
			r->pos++;
			json_skip_ws(r);
			if (top == 'o')
				return json_key(r);
			if (json_peek(r) == ']') {
				json_syntax(r, r->pos, "trailing comma before ']'");
				return json_error(r);
			}
			return json_value(r);
		}
		if ((c == '}' && top == 'o') || (c == ']' && top == 'a'))
			return json_close(r, top);
		json_syntax(r, r->pos, "expected ',' or '%c', found %s", top == 'o' ? '}' : ']',
			json_describe_byte(r, buf));
		return json_error(r);
	}
	case ST_DONE:
	default:
		r->tok_pos = r->pos;
		if (r->pos < r->len) {
			json_syntax(r, r->pos, "unexpected %s after the end of the document", json_describe_byte(r, buf));
			return json_error(r);
		}
		return r->tok = JSON_EOF;
	}
}

bool
json_skip(json_reader *r)
{
	if (r->failed)
		return false;
	if (r->tok == JSON_KEY && json_next(r) == JSON_ERROR)
		return false;
	if (r->tok != JSON_OBJECT && r->tok != JSON_ARRAY)
		return !r->failed;
	unsigned depth = r->depth - 1;   /* the depth outside the value */
	while (r->depth > depth) {
		if (json_next(r) == JSON_ERROR)
			return false;
	}
	return true;
}
