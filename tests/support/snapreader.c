/* snapreader.c — strict JSON and the mapgc snapshot schema; see snapreader.h. */
#include "tests/support/snapreader.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- JSON ------------------------------------------------------------------ */

typedef struct sj_parser {
	const char *s;
	size_t len, pos;
	int depth;
	char *err;
	size_t errlen;
	bool failed;
} sj_parser;

static bool sj_fail(sj_parser *p, const char *fmt, ...)
{
	if (p->failed)
		return false;
	p->failed = true;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "json: %s at byte %zu", msg, p->pos);
	return false;
}

static void sj_ws(sj_parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int sj_peek(sj_parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void sj_clear(sj_value *v)
{
	switch (v->type) {
	case SJ_STR:
		free(v->str);
		break;
	case SJ_OBJ:
		for (size_t i = 0; i < v->n; i++)
			free(v->keys[i]);
		free(v->keys);
		/* fall through */
	case SJ_ARR:
		for (size_t i = 0; i < v->n; i++)
			sj_clear(&v->items[i]);
		free(v->items);
		break;
	default:
		break;
	}
	memset(v, 0, sizeof *v);
}

void sj_free(sj_value *v)
{
	if (!v)
		return;
	sj_clear(v);
	free(v);
}

static int sj_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool sj_u4(sj_parser *p, unsigned *out)
{
	if (p->len - p->pos < 4)
		return sj_fail(p, "short \\u escape");
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int h = sj_hex((unsigned char)p->s[p->pos + i]);
		if (h < 0)
			return sj_fail(p, "bad hex digit in \\u escape");
		v = v * 16 + (unsigned)h;
	}
	p->pos += 4;
	*out = v;
	return true;
}

typedef struct sj_buf {
	char *v;
	size_t n, cap;
} sj_buf;

static bool sj_put(sj_parser *p, sj_buf *b, const char *src, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		while (b->n + n + 1 > cap)
			cap *= 2;
		char *v = realloc(b->v, cap);
		if (!v)
			return sj_fail(p, "out of memory");
		b->v = v;
		b->cap = cap;
	}
	memcpy(b->v + b->n, src, n);
	b->n += n;
	b->v[b->n] = '\0';
	return true;
}

static bool sj_put_utf8(sj_parser *p, sj_buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return sj_put(p, b, u, n);
}

/* At the opening quote. */
static bool sj_string(sj_parser *p, char **out, size_t *outlen)
{
	sj_buf b = {0};
	p->pos++;
	if (!sj_put(p, &b, "", 0))
		return false;
	for (;;) {
		if (p->pos >= p->len) {
			free(b.v);
			return sj_fail(p, "unterminated string");
		}
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			free(b.v);
			return sj_fail(p, "control character 0x%02x in string", c);
		}
		if (c != '\\') {
			size_t run = p->pos;
			while (run < p->len && p->s[run] != '"' && p->s[run] != '\\' && (unsigned char)p->s[run] >= 0x20)
				run++;
			if (!sj_put(p, &b, p->s + p->pos, run - p->pos)) {
				free(b.v);
				return false;
			}
			p->pos = run;
			continue;
		}
		p->pos++;
		int e = sj_peek(p);
		p->pos++;
		const char *one = NULL;
		switch (e) {
		case '"': one = "\""; break;
		case '\\': one = "\\"; break;
		case '/': one = "/"; break;
		case 'b': one = "\b"; break;
		case 'f': one = "\f"; break;
		case 'n': one = "\n"; break;
		case 'r': one = "\r"; break;
		case 't': one = "\t"; break;
		case 'u': {
			unsigned cp;
			if (!sj_u4(p, &cp)) {
				free(b.v);
				return false;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				free(b.v);
				return sj_fail(p, "lone low surrogate");
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;
				if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
					free(b.v);
					return sj_fail(p, "lone high surrogate");
				}
				p->pos += 2;
				if (!sj_u4(p, &lo)) {
					free(b.v);
					return false;
				}
				if (lo < 0xdc00 || lo > 0xdfff) {
					free(b.v);
					return sj_fail(p, "bad surrogate pair");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (!sj_put_utf8(p, &b, cp)) {
				free(b.v);
				return false;
			}
			continue;
		}
		default:
			p->pos--;
			free(b.v);
			return sj_fail(p, "bad escape");
		}
		if (!sj_put(p, &b, one, 1)) {
			free(b.v);
			return false;
		}
	}
	*out = b.v;
	*outlen = b.n;
	return true;
}

static bool sj_digits(sj_parser *p)
{
	size_t start = p->pos;
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos > start;
}

static bool sj_number(sj_parser *p, sj_value *v)
{
	size_t start = p->pos;
	bool integral = true;
	if (sj_peek(p) == '-')
		p->pos++;
	if (sj_peek(p) == '0') {
		p->pos++;
		int c = sj_peek(p);
		if (c >= '0' && c <= '9')
			return sj_fail(p, "leading zero");
	} else if (!sj_digits(p)) {
		return sj_fail(p, "bad number");
	}
	if (sj_peek(p) == '.') {
		p->pos++;
		integral = false;
		if (!sj_digits(p))
			return sj_fail(p, "digits expected after '.'");
	}
	if (sj_peek(p) == 'e' || sj_peek(p) == 'E') {
		p->pos++;
		integral = false;
		if (sj_peek(p) == '+' || sj_peek(p) == '-')
			p->pos++;
		if (!sj_digits(p))
			return sj_fail(p, "digits expected in exponent");
	}
	char tmp[64];
	size_t n = p->pos - start;
	if (n >= sizeof tmp)
		return sj_fail(p, "number too long");
	memcpy(tmp, p->s + start, n);
	tmp[n] = '\0';
	v->type = SJ_NUM;
	v->num = strtod(tmp, NULL);
	if (integral) {
		errno = 0;
		long long i = strtoll(tmp, NULL, 10);
		if (errno == 0) {
			v->is_int = true;
			v->i = i;
		}
	}
	return true;
}

static bool sj_literal(sj_parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return sj_fail(p, "unexpected character");
	p->pos += n;
	return true;
}

static bool sj_value_at(sj_parser *p, sj_value *v);

static bool sj_push(sj_parser *p, sj_value *v, size_t *cap)
{
	if (v->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		sj_value *items = realloc(v->items, nc * sizeof *items);
		if (!items)
			return sj_fail(p, "out of memory");
		v->items = items;
		if (v->type == SJ_OBJ) {
			char **keys = realloc(v->keys, nc * sizeof *keys);
			if (!keys)
				return sj_fail(p, "out of memory");
			v->keys = keys;
		}
		*cap = nc;
	}
	memset(&v->items[v->n], 0, sizeof v->items[v->n]);
	return true;
}

static bool sj_array(sj_parser *p, sj_value *v)
{
	size_t cap = 0;
	v->type = SJ_ARR;
	p->pos++;
	sj_ws(p);
	if (sj_peek(p) == ']') {
		p->pos++;
		return true;
	}
	for (;;) {
		if (!sj_push(p, v, &cap))
			return false;
		if (!sj_value_at(p, &v->items[v->n])) {
			sj_clear(&v->items[v->n]);
			return false;
		}
		v->n++;
		sj_ws(p);
		int c = sj_peek(p);
		p->pos++;
		if (c == ']')
			return true;
		if (c != ',') {
			p->pos--;
			return sj_fail(p, "',' or ']' expected");
		}
		sj_ws(p);
		if (sj_peek(p) == ']')
			return sj_fail(p, "trailing comma");
	}
}

static bool sj_object(sj_parser *p, sj_value *v)
{
	size_t cap = 0;
	v->type = SJ_OBJ;
	p->pos++;
	sj_ws(p);
	if (sj_peek(p) == '}') {
		p->pos++;
		return true;
	}
	for (;;) {
		if (sj_peek(p) != '"')
			return sj_fail(p, v->n ? "member name expected (trailing comma?)" : "member name expected");
		char *key;
		size_t klen;
		if (!sj_string(p, &key, &klen))
			return false;
		for (size_t i = 0; i < v->n; i++)
			if (strcmp(v->keys[i], key) == 0) {
				free(key);
				return sj_fail(p, "duplicate member \"%s\"", v->keys[i]);
			}
		if (!sj_push(p, v, &cap)) {
			free(key);
			return false;
		}
		v->keys[v->n] = key;
		sj_ws(p);
		if (sj_peek(p) != ':') {
			free(key);
			return sj_fail(p, "':' expected");
		}
		p->pos++;
		if (!sj_value_at(p, &v->items[v->n])) {
			sj_clear(&v->items[v->n]);
			free(key);
			return false;
		}
		v->n++;
		sj_ws(p);
		int c = sj_peek(p);
		p->pos++;
		if (c == '}')
			return true;
		if (c != ',') {
			p->pos--;
			return sj_fail(p, "',' or '}' expected");
		}
		sj_ws(p);
	}
}

static bool sj_value_at(sj_parser *p, sj_value *v)
{
	sj_ws(p);
	if (++p->depth > SJ_MAX_DEPTH)
		return sj_fail(p, "nesting deeper than %d", SJ_MAX_DEPTH);
	bool ok;
	int c = sj_peek(p);
	switch (c) {
	case '{':
		ok = sj_object(p, v);
		break;
	case '[':
		ok = sj_array(p, v);
		break;
	case '"':
		v->type = SJ_STR;
		ok = sj_string(p, &v->str, &v->slen);
		break;
	case 't':
		ok = sj_literal(p, "true");
		v->type = SJ_BOOL;
		v->b = true;
		break;
	case 'f':
		ok = sj_literal(p, "false");
		v->type = SJ_BOOL;
		break;
	case 'n':
		ok = sj_literal(p, "null");
		v->type = SJ_NULL;
		break;
	case -1:
		ok = sj_fail(p, "unexpected end of input");
		break;
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			ok = sj_number(p, v);
		else
			ok = sj_fail(p, "unexpected character '%c'", c);
	}
	p->depth--;
	return ok;
}

sj_value *sj_parse(const char *text, size_t len, char *err, size_t errlen)
{
	sj_parser p = {text, len, 0, 0, err, errlen, false};
	sj_value *v = calloc(1, sizeof *v);
	if (!v) {
		sj_fail(&p, "out of memory");
		return NULL;
	}
	if (!sj_value_at(&p, v)) {
		sj_free(v);
		return NULL;
	}
	sj_ws(&p);
	if (p.pos != p.len) {
		sj_fail(&p, "garbage after the value");
		sj_free(v);
		return NULL;
	}
	return v;
}

const sj_value *sj_get(const sj_value *obj, const char *key)
{
	if (!obj || obj->type != SJ_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

char *sr_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	sj_buf b = {0};
	char chunk[65536];
	size_t n;
	sj_parser dummy = {0};
	sj_put(&dummy, &b, "", 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (!sj_put(&dummy, &b, chunk, n)) {
			free(b.v);
			fclose(f);
			errno = ENOMEM;
			return NULL;
		}
	bool bad = ferror(f);
	fclose(f);
	if (bad || !b.v) {
		free(b.v);
		errno = EIO;
		return NULL;
	}
	*len = b.n;
	return b.v;
}

int sr_mkdtemp(char *out, size_t n)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	if ((size_t)snprintf(out, n, "%s/mapgc-snap-XXXXXX", base) >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(out) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int sr_rmtree(const char *dir)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

bool sr_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* ---- the snapshot schema ----------------------------------------------------- */

typedef struct sr_ctx {
	char *err;
	size_t errlen;
} sr_ctx;

static int sr_fail(sr_ctx *c, const char *fmt, ...)
{
	if (c->err && c->errlen) {
		char msg[240];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		snprintf(c->err, c->errlen, "snapshot: %s", msg);
	}
	return -1;
}

static int sr_uint(sr_ctx *c, const sj_value *obj, const char *key, uint64_t *out, const char *where)
{
	const sj_value *v = sj_get(obj, key);
	if (!sj_is_uint(v))
		return sr_fail(c, "%s: \"%s\" is missing or not a non-negative integer", where, key);
	*out = (uint64_t)v->i;
	return 0;
}

static int sr_str(sr_ctx *c, const sj_value *obj, const char *key, const char **out, const char *where)
{
	const sj_value *v = sj_get(obj, key);
	if (!v || v->type != SJ_STR)
		return sr_fail(c, "%s: \"%s\" is missing or not a string", where, key);
	*out = v->str;
	return 0;
}

static int sr_bool(sr_ctx *c, const sj_value *obj, const char *key, bool *out, const char *where)
{
	const sj_value *v = sj_get(obj, key);
	if (!v || v->type != SJ_BOOL)
		return sr_fail(c, "%s: \"%s\" is missing or not a boolean", where, key);
	*out = v->b;
	return 0;
}

void sr_free(sr_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nobjs; i++)
		free(s->objs[i].edges);
	free(s->objs);
	free(s->roots);
	sj_free(s->doc);
	memset(s, 0, sizeof *s);
}

static int sr_read_object(sr_ctx *c, const sj_value *ov, size_t idx, sr_object *o)
{
	char where[48];
	snprintf(where, sizeof where, "objects[%zu]", idx);
	if (ov->type != SJ_OBJ)
		return sr_fail(c, "%s is not an object", where);
	const char *addr;
	if (sr_uint(c, ov, "id", &o->id, where) || sr_str(c, ov, "addr", &addr, where) ||
	    sr_str(c, ov, "type", &o->type, where) || sr_bool(c, ov, "array", &o->array, where) ||
	    sr_uint(c, ov, "len", &o->len, where) || sr_uint(c, ov, "size", &o->size, where))
		return -1;
	if (o->id != idx + 1)
		return sr_fail(c, "%s has id %" PRIu64 ", want %zu (inv.sr-ids)", where, o->id, idx + 1);
	char *end;
	if (strncmp(addr, "0x", 2) != 0)
		return sr_fail(c, "%s: addr \"%s\" is not hex", where, addr);
	errno = 0;
	unsigned long long a = strtoull(addr + 2, &end, 16);
	if (errno || *end || end == addr + 2)
		return sr_fail(c, "%s: addr \"%s\" is not hex", where, addr);
	o->addr = (uintptr_t)a;
	if (!o->array && o->len != 1)
		return sr_fail(c, "%s: not an array but len %" PRIu64, where, o->len);
	if (o->size == 0)
		return sr_fail(c, "%s: size 0", where);
	const sj_value *ev = sj_get(ov, "edges");
	if (!ev || ev->type != SJ_ARR)
		return sr_fail(c, "%s: \"edges\" is missing or not an array", where);
	o->edges = calloc(ev->n ? ev->n : 1, sizeof *o->edges);
	if (!o->edges)
		return sr_fail(c, "out of memory");
	o->nedges = ev->n;
	for (size_t k = 0; k < ev->n; k++) {
		char ew[80];
		snprintf(ew, sizeof ew, "%s.edges[%zu]", where, k);
		if (ev->items[k].type != SJ_OBJ)
			return sr_fail(c, "%s is not an object", ew);
		if (sr_str(c, &ev->items[k], "label", &o->edges[k].label, ew) ||
		    sr_uint(c, &ev->items[k], "to", &o->edges[k].to, ew))
			return -1;
		if (ev->items[k].n != 2)
			return sr_fail(c, "%s has members other than label and to", ew);
	}
	o->map = sj_get(ov, "map");
	if (o->map && o->map->type != SJ_OBJ && o->map->type != SJ_NULL)
		return sr_fail(c, "%s: \"map\" is neither an object nor null", where);
	return 0;
}

static int sr_check(sr_ctx *c, sr_snapshot *s)
{
	const sj_value *d = s->doc;
	if (d->type != SJ_OBJ)
		return sr_fail(c, "the document is not an object");
	const char *schema;
	uint64_t version;
	if (sr_str(c, d, "schema", &schema, "top") || sr_uint(c, d, "version", &version, "top"))
		return -1;
	if (strcmp(schema, "mapgc.heapsnapshot") != 0)
		return sr_fail(c, "schema \"%s\"", schema);
	if (version != 1)
		return sr_fail(c, "version %" PRIu64 ", want 1", version);
	if (sr_uint(c, d, "cycle", &s->cycle, "top") || sr_uint(c, d, "live_bytes", &s->live_bytes, "top") ||
	    sr_uint(c, d, "nobjects", &s->nobjects, "top"))
		return -1;
	const sj_value *t = sj_get(d, "time_s");
	if (!t || t->type != SJ_NUM || t->num < 0)
		return sr_fail(c, "top: \"time_s\" is missing or not a non-negative number");
	s->time_s = t->num;
	const sj_value *ov = sj_get(d, "objects"), *rv = sj_get(d, "roots");
	if (!ov || ov->type != SJ_ARR)
		return sr_fail(c, "top: \"objects\" is missing or not an array");
	if (!rv || rv->type != SJ_ARR)
		return sr_fail(c, "top: \"roots\" is missing or not an array");
	s->objs = calloc(ov->n ? ov->n : 1, sizeof *s->objs);
	s->roots = calloc(rv->n ? rv->n : 1, sizeof *s->roots);
	if (!s->objs || !s->roots)
		return sr_fail(c, "out of memory");
	uint64_t bytes = 0;
	for (size_t i = 0; i < ov->n; i++) {
		s->nobjs = i + 1;
		if (sr_read_object(c, &ov->items[i], i, &s->objs[i]))
			return -1;
		if (i && s->objs[i].addr <= s->objs[i - 1].addr)
			return sr_fail(c, "objects[%zu]: addresses do not ascend (inv.sr-addr)", i);
		bytes += s->objs[i].size;
	}
	for (size_t i = 0; i < s->nobjs; i++)
		for (size_t k = 0; k < s->objs[i].nedges; k++)
			if (s->objs[i].edges[k].to < 1 || s->objs[i].edges[k].to > s->nobjs)
				return sr_fail(c, "object %zu edge \"%s\" to %" PRIu64 ": no such object (inv.sr-edges)", i + 1,
				               s->objs[i].edges[k].label, s->objs[i].edges[k].to);
	if (s->nobjects != s->nobjs)
		return sr_fail(c, "nobjects %" PRIu64 " but %zu objects (inv.sr-totals)", s->nobjects, s->nobjs);
	if (s->live_bytes != bytes)
		return sr_fail(c, "live_bytes %" PRIu64 " but the sizes sum to %" PRIu64 " (inv.sr-totals)", s->live_bytes,
		               bytes);
	for (size_t i = 0; i < rv->n; i++) {
		char where[48];
		snprintf(where, sizeof where, "roots[%zu]", i);
		const sj_value *r = &rv->items[i];
		s->nroots = i + 1;
		if (r->type != SJ_OBJ)
			return sr_fail(c, "%s is not an object", where);
		if (sr_str(c, r, "kind", &s->roots[i].kind, where) || sr_str(c, r, "name", &s->roots[i].name, where))
			return -1;
		if (strcmp(s->roots[i].kind, "scope") != 0 && strcmp(s->roots[i].kind, "global") != 0)
			return sr_fail(c, "%s: kind \"%s\" (inv.sr-kinds)", where, s->roots[i].kind);
		const sj_value *to = sj_get(r, "to");
		if (!to)
			return sr_fail(c, "%s: \"to\" is missing", where);
		if (to->type == SJ_NULL) {
			s->roots[i].to = 0;
		} else if (sj_is_uint(to) && to->i >= 1 && (uint64_t)to->i <= s->nobjs) {
			s->roots[i].to = (uint64_t)to->i;
		} else {
			return sr_fail(c, "%s: \"to\" is neither null nor an object id (inv.sr-edges)", where);
		}
	}
	return 0;
}

int sr_parse(const char *text, size_t len, sr_snapshot *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	sr_ctx c = {err, errlen};
	out->doc = sj_parse(text, len, err, errlen);
	if (!out->doc)
		return -1;
	if (sr_check(&c, out)) {
		sr_free(out);
		return -1;
	}
	return 0;
}

int sr_load(const char *path, sr_snapshot *out, char *err, size_t errlen)
{
	size_t len;
	char *text = sr_read_file(path, &len);
	if (!text) {
		memset(out, 0, sizeof *out);
		if (err && errlen)
			snprintf(err, errlen, "snapshot: cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	int rc = sr_parse(text, len, out, err, errlen);
	free(text);
	return rc;
}

const sr_object *sr_find(const sr_snapshot *s, const void *addr)
{
	size_t lo = 0, hi = s->nobjs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->objs[mid].addr < (uintptr_t)addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nobjs && s->objs[lo].addr == (uintptr_t)addr ? &s->objs[lo] : NULL;
}

const sr_object *sr_by_id(const sr_snapshot *s, uint64_t id)
{
	return id >= 1 && id <= s->nobjs ? &s->objs[id - 1] : NULL;
}

size_t sr_edges_labelled(const sr_object *o, const char *label, uint64_t *to)
{
	size_t n = 0;
	for (size_t k = 0; k < o->nedges; k++)
		if (strcmp(o->edges[k].label, label) == 0) {
			if (n == 0 && to)
				*to = o->edges[k].to;
			n++;
		}
	return n;
}

/* ---- the map annotation ------------------------------------------------------ */

static int sr_chains(sr_ctx *c, const sj_value *v, const char ***out, size_t *n, const char *what)
{
	if (!v || v->type != SJ_ARR)
		return sr_fail(c, "map: \"%s\" is not an array", what);
	*out = calloc(v->n ? v->n : 1, sizeof **out);
	if (!*out)
		return sr_fail(c, "out of memory");
	*n = v->n;
	for (size_t i = 0; i < v->n; i++) {
		if (v->items[i].type != SJ_STR)
			return sr_fail(c, "map: %s[%zu] is not a string", what, i);
		const char *s = v->items[i].str;
		size_t len = v->items[i].slen;
		/* 8 cells, then ("|" 8 cells)*. */
		if (len % 9 != 8)
			return sr_fail(c, "map: %s[%zu] \"%s\" is not whole buckets", what, i, s);
		for (size_t k = 0; k < len; k++) {
			bool sep = k % 9 == 8;
			if (sep ? s[k] != '|' : !strchr("Fe-XYE", s[k]) || s[k] == '\0')
				return sr_fail(c, "map: %s[%zu] \"%s\": bad character at %zu", what, i, s, k);
		}
		(*out)[i] = s;
	}
	return 0;
}

int sr_map_read(const sj_value *m, sr_map *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	sr_ctx c = {err, errlen};
	if (!m || m->type != SJ_OBJ)
		return sr_fail(&c, "map: not an object");
	static const char *const uints[] = {"id", "count", "B", "flags", "hash0", "noverflow", "nevacuate",
	                                    "noldbuckets"};
	uint64_t *dst[] = {&out->id, &out->count, &out->B, &out->flags, &out->hash0, &out->noverflow,
	                   &out->nevacuate, &out->noldbuckets};
	for (size_t i = 0; i < sizeof uints / sizeof uints[0]; i++)
		if (sr_uint(&c, m, uints[i], dst[i], "map"))
			return -1;
	if (sr_str(&c, m, "key", &out->key, "map") || sr_str(&c, m, "elem", &out->elem, "map") ||
	    sr_bool(&c, m, "growing", &out->growing, "map") || sr_bool(&c, m, "same_size", &out->same_size, "map"))
		return -1;
	if (out->B > 40)
		return sr_fail(&c, "map: B %" PRIu64, out->B);
	if (sr_chains(&c, sj_get(m, "buckets"), &out->buckets, &out->nbuckets, "buckets")) {
		sr_map_free(out);
		return -1;
	}
	if (out->nbuckets != ((size_t)1 << out->B) && !(out->nbuckets == 0 && out->B == 0)) {
		sr_map_free(out);
		return sr_fail(&c, "map: %zu bucket chains for B=%" PRIu64, out->nbuckets, out->B);
	}
	const sj_value *old = sj_get(m, "oldbuckets");
	if (!old) {
		sr_map_free(out);
		return sr_fail(&c, "map: \"oldbuckets\" is missing");
	}
	if (old->type != SJ_NULL) {
		if (sr_chains(&c, old, &out->oldbuckets, &out->noldchains, "oldbuckets")) {
			sr_map_free(out);
			return -1;
		}
	}
	if (out->growing != (out->oldbuckets != NULL) || out->noldchains != out->noldbuckets) {
		sr_map_free(out);
		return sr_fail(&c, "map: growing=%d with %zu old chains, noldbuckets %" PRIu64, out->growing,
		               out->noldchains, out->noldbuckets);
	}
	return 0;
}

void sr_map_free(sr_map *m)
{
	free(m->buckets);
	free(m->oldbuckets);
	m->buckets = m->oldbuckets = NULL;
}
