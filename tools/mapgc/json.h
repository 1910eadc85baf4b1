/*
 * json.h — a strict, bounded, pull JSON reader (RFC 8259) for the mapgc
 * tools (prefix json_).
 *
 * WHY A PULL READER.  Heap snapshots run to hundreds of megabytes: one edge
 * is a JSON object with two members, and a tree of such values would cost
 * ten times the graph it describes.  A pull reader hands out one token at a
 * time and the caller builds only what it keeps, so memory is the input
 * text plus one string buffer.
 *
 * THE PROTOCOL.  json_next returns the next token of the document:
 *   JSON_OBJECT … JSON_OBJECT_END   with JSON_KEY tokens before each value
 *   JSON_ARRAY  … JSON_ARRAY_END
 *   JSON_STRING, JSON_NUMBER, JSON_TRUE, JSON_FALSE, JSON_NULL
 *   JSON_EOF once the single top-level value and trailing white space are
 *   consumed, JSON_ERROR on the first fault (and on every call after it).
 * A string's text (JSON_STRING, JSON_KEY) is decoded into r->str (r->slen
 * bytes plus a NUL; it may contain NULs) and is valid until the next call.
 * json_skip discards the value a token just began, so a reader of a schema
 * can ignore members it does not know.
 *
 * STRICTNESS (what is rejected, each with a message and the byte offset):
 * anything after the top-level value; trailing commas; missing commas or
 * colons; bare words; leading zeros, "-", "1.", ".5", "1e"; unescaped
 * control characters; unknown escapes; lone or mis-paired surrogates;
 * malformed UTF-8 (overlong forms, surrogates, above U+10FFFF); nesting
 * deeper than JSON_MAX_DEPTH; a string or number longer than the limits
 * below.  Duplicate keys are the schema reader's business (it knows which
 * members it has seen).
 *
 * BOUNDS (inv.json-bounded): every loop advances through the input, so a
 * call is O(token length); the container stack is a fixed array; the one
 * heap buffer never exceeds JSON_MAX_STRING + 1 bytes.  No input makes the
 * reader crash, read outside [text, text + len), recurse, or allocate
 * without bound; allocation failure is reported as an error.
 *
 * NUMBERS.  Every number is converted to a double (r->num, ±HUGE_VAL when
 * it overflows).  When it is written as an integer (no fraction or
 * exponent), r->is_int says whether it fits int64_t (r->i) and r->is_uint
 * whether it fits uint64_t (r->u), exactly, without going through double.
 */
#ifndef MAPGC_TOOLS_JSON_H
#define MAPGC_TOOLS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 512                 /* nesting; snapshots use 5 */
#define JSON_MAX_STRING ((size_t)1 << 26)  /* 64 MiB: a chain list is far less */
#define JSON_MAX_NUMBER 1024               /* characters in one number */

/* The tokens.  X(name, text for messages). */
#define JSON_TOKEN_LIST(X) \
	X(JSON_ERROR, "an error") \
	X(JSON_EOF, "the end of the input") \
	X(JSON_NULL, "null") \
	X(JSON_FALSE, "false") \
	X(JSON_TRUE, "true") \
	X(JSON_NUMBER, "a number") \
	X(JSON_STRING, "a string") \
	X(JSON_KEY, "a member name") \
	X(JSON_OBJECT, "an object") \
	X(JSON_OBJECT_END, "'}'") \
	X(JSON_ARRAY, "an array") \
	X(JSON_ARRAY_END, "']'")

typedef enum json_tok {
#define JSON_X_ENUM(name, text) name,
	JSON_TOKEN_LIST(JSON_X_ENUM)
#undef JSON_X_ENUM
} json_tok;

typedef struct json_reader {
	const char *text;       /* the document (not owned, not NUL-terminated) */
	size_t len;
	size_t pos;             /* next byte to read */
	int state;              /* what may come next (json.c) */
	unsigned depth;         /* open containers */
	unsigned char stack[JSON_MAX_DEPTH]; /* 'o' object, 'a' array */

	json_tok tok;           /* the last token returned */
	size_t tok_pos;         /* its first byte */

	char *str;              /* JSON_STRING / JSON_KEY text, NUL-terminated */
	size_t slen;
	size_t scap;

	double num;             /* JSON_NUMBER */
	bool is_int;            /* integer syntax, fits int64_t: i */
	bool is_uint;           /* integer syntax, fits uint64_t: u */
	int64_t i;
	uint64_t u;

	char err[256];          /* first error: message, without location */
	size_t err_pos;         /* its byte offset */
	bool failed;
	bool syntax;            /* the error is in the JSON text (not json_fail_at's) */
} json_reader;

/* Reads text[0, len).  Nothing is copied: text must outlive the reader. */
void json_init(json_reader *r, const char *text, size_t len);
void json_free(json_reader *r);

json_tok json_next(json_reader *r);

/* After a token that begins a value (or a JSON_KEY: then its value),
 * consume the rest of that value.  Returns false after an error. */
bool json_skip(json_reader *r);

/* Record an error at byte offset pos (the first one wins), as the reader's
 * own errors are: schema readers report through this, so every message
 * about a document has one shape.  Returns false. */
bool json_fail_at(json_reader *r, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 1-based line and column (in bytes) of byte offset pos. */
void json_location(const json_reader *r, size_t pos, size_t *line, size_t *col);

/* "a number", "'}'", …: for messages. */
const char *json_tok_name(json_tok t);

#endif /* MAPGC_TOOLS_JSON_H */
