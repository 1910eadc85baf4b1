/* map_kinds.c — the map test model and key/elem kinds; see map_kinds.h. */
#include "tests/support/map_kinds.h"

#include "maptype/map.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- types ---------------------------------------------------------------- */

const mg_type mapt_obj_type = {"mapt.obj", sizeof(mapt_obj), 8, NULL, 0, NULL, NULL};

static const mg_field ukey_fields[] = {{offsetof(mapt_ukey, obj), "obj"}};
const mg_type mapt_ukey_type = {"mapt.ukey", sizeof(mapt_ukey), 8, ukey_fields, 1, NULL, NULL};

static const mg_field uelem_fields[] = {
	{offsetof(mapt_uelem, a), "a"},
	{offsetof(mapt_uelem, s), "s"},
	{offsetof(mapt_uelem, b), "b"},
};
const mg_type mapt_uelem_type = {"mapt.uelem", sizeof(mapt_uelem), 8, uelem_fields, 3, NULL, NULL};

const mg_type mapt_bigkey_type = {"mapt.bigkey", sizeof(mapt_bigkey), 8, NULL, 0, NULL, NULL};

static const mg_field bigelem_fields[] = {
	{offsetof(mapt_bigelem, obj), "obj"},
	{offsetof(mapt_bigelem, s), "s"},
};
const mg_type mapt_bigelem_type = {"mapt.bigelem", sizeof(mapt_bigelem), 8, bigelem_fields, 2, NULL, NULL};

_Static_assert(sizeof(mapt_ukey) == 24, "no padding: struct keys compare bytewise");
_Static_assert(sizeof(mapt_uelem) == 40, "uelem layout");
_Static_assert(sizeof(mapt_bigkey) > MAP_MAX_KEY, "big keys are stored indirectly");
_Static_assert(sizeof(mapt_bigelem) > MAP_MAX_ELEM, "big elems are stored indirectly");
_Static_assert(sizeof(mapt_bigelem) <= MAPT_BUF && sizeof(mapt_bigkey) <= MAPT_BUF, "scratch fits");

static const char *const kind_names[MAPT_NKINDS] = {
	[MAPT_I64_I64] = "int64->int64", [MAPT_STR_I64] = "string->int64", [MAPT_I64_STR] = "int64->string",
	[MAPT_PTR_PTR] = "ptr->ptr",     [MAPT_STRUCT] = "struct->struct", [MAPT_BIG] = "big->big",
};

const char *mapt_kind_name(mapt_kind k)
{
	return k < MAPT_NKINDS ? kind_names[k] : "?";
}

/* ---- values ------------------------------------------------------------- */

uint64_t mapt_mix(uint64_t a, uint64_t b)
{
	uint64_t z = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t mapt_obj_check(int64_t kid, int64_t vid)
{
	return mapt_mix((uint64_t)kid ^ 0xabcdef, (uint64_t)vid);
}

#define ENC_MUL 0x9e3779b97f4a7c15ULL
#define ENC_XOR 0x5bd1e995ULL

static uint64_t enc_inverse(void)
{
	uint64_t x = ENC_MUL; /* Newton: each step doubles the correct low bits */
	for (int i = 0; i < 6; i++)
		x *= 2 - ENC_MUL * x;
	return x;
}

int64_t mapt_enc_i64(uint64_t kid)
{
	return (int64_t)((kid ^ ENC_XOR) * ENC_MUL);
}

uint64_t mapt_dec_i64(int64_t key)
{
	return ((uint64_t)key * enc_inverse()) ^ ENC_XOR;
}

/* String keys: "" for kid 0, else "k<kid>" and kid%5 dots (lengths vary). */
static size_t key_bytes(uint64_t kid, char *buf)
{
	if (kid == 0)
		return 0;
	int n = snprintf(buf, 40, "k%" PRIu64, kid);
	for (unsigned i = 0; i < kid % 5; i++)
		buf[n++] = '.';
	buf[n] = '\0';
	return (size_t)n;
}

static const char *const literals[8] = {"lit-0", "lit-1", "lit-2", "lit-3", "lit-4", "lit-5", "lit-6", "lit-7"};

/* Value strings: empty every 7th vid, a literal (not in the heap) every 5th,
 * else a heap string "v<vid>:k<kid>". */
static void vstring_bytes(uint64_t kid, uint32_t vid, char *buf, size_t *len, const char **lit)
{
	*lit = NULL;
	if (vid % 7 == 0) {
		*len = 0;
	} else if (vid % 5 == 0) {
		*lit = literals[(kid + vid) % 8];
		*len = strlen(*lit);
	} else {
		*len = (size_t)snprintf(buf, 48, "v%" PRIu32 ":k%" PRIu64, vid, kid);
	}
}

static void make_vstring(mapt_ctx *c, uint64_t kid, uint32_t vid, mg_string *dst)
{
	char buf[48];
	size_t len;
	const char *lit;
	vstring_bytes(kid, vid, buf, &len, &lit);
	if (len == 0)
		*dst = (mg_string){NULL, 0};
	else if (lit)
		*dst = (mg_string){lit, len};
	else
		*dst = mg_string_new(c->rt, buf, len);
}

static bool vstring_ok(mapt_ctx *c, uint64_t kid, uint32_t vid, const mg_string *s, char *why, size_t n)
{
	char buf[48];
	size_t len;
	const char *lit;
	vstring_bytes(kid, vid, buf, &len, &lit);
	if (s->len != len) {
		snprintf(why, n, "string elem has length %zu, want %zu", s->len, len);
		return false;
	}
	if (len == 0)
		return true;
	if (lit) {
		if (s->ptr != lit) {
			snprintf(why, n, "literal string elem moved: %p, want %p", (void *)s->ptr, (void *)lit);
			return false;
		}
		return true;
	}
	size_t alen = 0;
	if (mg_typeof(c->rt, s->ptr, &alen) != &mg_type_bytes || alen < len) {
		snprintf(why, n, "string elem bytes at %p are not a live byte array", (void *)s->ptr);
		return false;
	}
	if (memcmp(s->ptr, buf, len) != 0) {
		snprintf(why, n, "string elem is \"%.*s\", want \"%.*s\"", (int)len, s->ptr, (int)len, buf);
		return false;
	}
	return true;
}

static mapt_obj *new_obj(mapt_ctx *c, int64_t kid, int64_t vid)
{
	mapt_obj *o = mg_alloc(c->rt, &mapt_obj_type);
	o->kid = kid;
	o->vid = vid;
	o->check = mapt_obj_check(kid, vid);
	return o;
}

static bool obj_ok(mapt_ctx *c, const mapt_obj *o, int64_t kid, int64_t vid, const char *what, char *why, size_t n)
{
	if (mg_typeof(c->rt, o, NULL) != &mapt_obj_type) {
		snprintf(why, n, "%s %p is not a live mapt.obj", what, (const void *)o);
		return false;
	}
	if (o->kid != kid || o->vid != vid || o->check != mapt_obj_check(kid, vid)) {
		snprintf(why, n, "%s holds {kid %" PRId64 ", vid %" PRId64 ", check %#" PRIx64 "}, want {%" PRId64
		         ", %" PRId64 "}", what, o->kid, o->vid, o->check, kid, vid);
		return false;
	}
	return true;
}

/* ---- failures ------------------------------------------------------------- */

static void mapt_fail(mapt_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mapt_fail(mapt_ctx *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cr_assert_fail("%s [%s, op %" PRIu64 ", seed %" PRIu64 ": MAPGC_TEST_SEED=%" PRIu64 " repeats it]", buf,
	               mapt_kind_name(c->kind), c->ops, mgt_current_seed(), mgt_current_seed());
}

void mapt_assert_map_ok(mg_runtime *rt, const mg_hmap *m, const char *ctxfmt, ...)
{
	if (mg_map_check(rt, m, NULL) == 0)
		return;
	char ctx[256];
	va_list ap;
	va_start(ap, ctxfmt);
	vsnprintf(ctx, sizeof ctx, ctxfmt, ap);
	va_end(ap);
	char *rep = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&rep, &len);
	int bad = mg_map_check(rt, m, f);
	fclose(f);
	cr_assert_fail("mg_map_check found %d violations (%s; seed %" PRIu64 "):\n%s", bad, ctx, mgt_current_seed(),
	               rep);
}

/* ---- the context ---------------------------------------------------------- */

static void root_fields(mg_runtime *rt, const mg_type *t, unsigned char *buf, const char *name)
{
	for (size_t i = 0; i < t->nptrs; i++)
		mg_root(rt, buf + t->ptrs[i].offset, name);
}

void mapt_ctx_init(mapt_ctx *c, mg_runtime *rt, mgt_rng *rng, mapt_kind kind, uint64_t nkids)
{
	memset(c, 0, sizeof *c);
	c->rt = rt;
	c->rng = rng;
	c->kind = kind;
	c->nkids = nkids;
	switch (kind) {
	case MAPT_I64_I64: c->ktype = &mg_type_int64; c->etype = &mg_type_int64; break;
	case MAPT_STR_I64: c->ktype = &mg_type_string; c->etype = &mg_type_int64; break;
	case MAPT_I64_STR: c->ktype = &mg_type_int64; c->etype = &mg_type_string; break;
	case MAPT_PTR_PTR: c->ktype = &mg_type_ptr; c->etype = &mg_type_ptr; break;
	case MAPT_STRUCT: c->ktype = &mapt_ukey_type; c->etype = &mapt_uelem_type; break;
	case MAPT_BIG: c->ktype = &mapt_bigkey_type; c->etype = &mapt_bigelem_type; break;
	default: cr_assert_fail("bad kind %d", (int)kind);
	}
	c->mt = mg_maptype_get(rt, c->ktype, c->etype);
	c->present = calloc(nkids, 1);
	c->vid = calloc(nkids, sizeof *c->vid);
	c->keyobj = calloc(nkids, sizeof *c->keyobj);
	c->plist = calloc(nkids, sizeof *c->plist);
	c->ppos = calloc(nkids, sizeof *c->ppos);
	c->seen = calloc(nkids, sizeof *c->seen);
	c->strs = calloc(nkids, sizeof *c->strs);
	cr_assert(c->present && c->vid && c->keyobj && c->plist && c->ppos && c->seen && c->strs);
	mg_scope_enter(rt, &c->scope);
	root_fields(rt, c->ktype, c->key, "mapt.key");
	root_fields(rt, c->etype, c->elem, "mapt.elem");
	root_fields(rt, c->etype, c->out, "mapt.out");
	root_fields(rt, c->ktype, c->okey, "mapt.okey");
	mg_root(rt, &c->it, "mapt.it");
	mg_root(rt, &c->garbage, "mapt.garbage");
}

void mapt_ctx_reset(mapt_ctx *c)
{
	for (size_t i = 0; i < c->count; i++) {
		c->present[c->plist[i]] = 0;
		c->keyobj[c->plist[i]] = NULL;
	}
	c->count = 0;
}

void mapt_ctx_free(mapt_ctx *c)
{
	mg_scope_leave(c->rt, &c->scope);
	for (uint64_t i = 0; i < c->nkids; i++)
		free(c->strs[i]);
	free(c->present);
	free(c->vid);
	free(c->keyobj);
	free(c->plist);
	free(c->ppos);
	free(c->seen);
	free(c->strs);
}

/* ---- keys and elems ------------------------------------------------------- */

static mapt_obj sentinels[64]; /* identity keys no map holds: outside the heap */

static bool identity_kind(mapt_kind k)
{
	return k == MAPT_PTR_PTR || k == MAPT_STRUCT;
}

static void identity_key(mapt_ctx *c, uint64_t kid, bool insert, mapt_obj **slot)
{
	if (c->present[kid])
		*slot = c->keyobj[kid];
	else if (insert)
		*slot = new_obj(c, (int64_t)kid, -1);
	else
		*slot = c->kind == MAPT_PTR_PTR ? &sentinels[kid % 64] : NULL;
}

void mapt_make_key(mapt_ctx *c, uint64_t kid, bool insert)
{
	memset(c->key, 0, sizeof c->key);
	switch (c->kind) {
	case MAPT_I64_I64:
	case MAPT_I64_STR:
		*(int64_t *)c->key = mapt_enc_i64(kid);
		break;
	case MAPT_STR_I64: {
		char buf[48];
		size_t len = key_bytes(kid, buf);
		mg_string *s = (mg_string *)c->key;
		switch (mgt_rng_below(c->rng, insert ? 2 : 3)) {
		case 0:
			*s = mg_string_new(c->rt, buf, len); /* {NULL, 0} for "" */
			break;
		case 1:
			if (!c->strs[kid]) {
				c->strs[kid] = malloc(len + 1);
				cr_assert(c->strs[kid]);
				memcpy(c->strs[kid], buf, len + 1);
			}
			*s = (mg_string){c->strs[kid], len};
			break;
		default:
			memcpy(c->strbuf, buf, len + 1);
			*s = (mg_string){c->strbuf, len};
			break;
		}
		break;
	}
	case MAPT_PTR_PTR:
		identity_key(c, kid, insert, (mapt_obj **)c->key);
		break;
	case MAPT_STRUCT: {
		mapt_ukey *k = (mapt_ukey *)c->key;
		k->kid = (int64_t)kid;
		k->salt = mapt_enc_i64(kid) ^ 0x1234;
		identity_key(c, kid, insert, &k->obj);
		break;
	}
	case MAPT_BIG: {
		mapt_bigkey *k = (mapt_bigkey *)c->key;
		k->kid = (int64_t)kid;
		for (int i = 0; i < 19; i++)
			k->w[i] = mapt_mix(kid, (uint64_t)i);
		break;
	}
	default:
		break;
	}
}

void mapt_make_elem(mapt_ctx *c, uint64_t kid, uint32_t vid)
{
	memset(c->elem, 0, sizeof c->elem);
	switch (c->kind) {
	case MAPT_I64_I64:
	case MAPT_STR_I64:
		*(int64_t *)c->elem = (int64_t)mapt_mix(kid, vid);
		break;
	case MAPT_I64_STR:
		make_vstring(c, kid, vid, (mg_string *)c->elem);
		break;
	case MAPT_PTR_PTR:
		if (vid % 11)
			*(mapt_obj **)c->elem = new_obj(c, (int64_t)kid, vid);
		break;
	case MAPT_STRUCT: {
		mapt_uelem *e = (mapt_uelem *)c->elem;
		e->a = new_obj(c, (int64_t)kid, vid);
		e->vid = vid;
		make_vstring(c, kid, vid, &e->s);
		if (vid % 3 == 0)
			e->b = e->a;
		else if (vid % 3 == 2)
			e->b = new_obj(c, (int64_t)kid, (int64_t)vid + ((int64_t)1 << 32));
		break;
	}
	case MAPT_BIG: {
		mapt_bigelem *e = (mapt_bigelem *)c->elem;
		if (vid % 4)
			e->obj = new_obj(c, (int64_t)kid, vid);
		e->vid = vid;
		for (int i = 0; i < 21; i++)
			e->pad[i] = mapt_mix(vid, (uint64_t)i + kid);
		make_vstring(c, kid, vid, &e->s);
		break;
	}
	default:
		break;
	}
}

bool mapt_elem_ok(mapt_ctx *c, uint64_t kid, uint32_t vid, const void *elem, char *why, size_t n)
{
	switch (c->kind) {
	case MAPT_I64_I64:
	case MAPT_STR_I64:
		if (*(const int64_t *)elem != (int64_t)mapt_mix(kid, vid)) {
			snprintf(why, n, "elem %" PRId64 ", want %" PRId64 " (vid %" PRIu32 ")", *(const int64_t *)elem,
			         (int64_t)mapt_mix(kid, vid), vid);
			return false;
		}
		return true;
	case MAPT_I64_STR:
		return vstring_ok(c, kid, vid, elem, why, n);
	case MAPT_PTR_PTR: {
		const mapt_obj *o = *(mapt_obj *const *)elem;
		if (vid % 11 == 0) {
			if (o) {
				snprintf(why, n, "elem %p, want nil (vid %" PRIu32 ")", (const void *)o, vid);
				return false;
			}
			return true;
		}
		if (!o) {
			snprintf(why, n, "elem nil, want an object (vid %" PRIu32 ")", vid);
			return false;
		}
		return obj_ok(c, o, (int64_t)kid, vid, "elem object", why, n);
	}
	case MAPT_STRUCT: {
		const mapt_uelem *e = elem;
		if (e->vid != vid) {
			snprintf(why, n, "elem.vid %" PRId64 ", want %" PRIu32, e->vid, vid);
			return false;
		}
		if (!obj_ok(c, e->a, (int64_t)kid, vid, "elem.a", why, n))
			return false;
		if (vid % 3 == 0 && e->b != e->a) {
			snprintf(why, n, "elem.b %p, want elem.a %p", (void *)e->b, (void *)e->a);
			return false;
		}
		if (vid % 3 == 1 && e->b) {
			snprintf(why, n, "elem.b %p, want nil", (void *)e->b);
			return false;
		}
		if (vid % 3 == 2 && !obj_ok(c, e->b, (int64_t)kid, (int64_t)vid + ((int64_t)1 << 32), "elem.b", why, n))
			return false;
		return vstring_ok(c, kid, vid, &e->s, why, n);
	}
	case MAPT_BIG: {
		const mapt_bigelem *e = elem;
		if (e->vid != vid) {
			snprintf(why, n, "big elem.vid %" PRId64 ", want %" PRIu32, e->vid, vid);
			return false;
		}
		for (int i = 0; i < 21; i++)
			if (e->pad[i] != mapt_mix(vid, (uint64_t)i + kid)) {
				snprintf(why, n, "big elem.pad[%d] corrupt", i);
				return false;
			}
		if (vid % 4 == 0) {
			if (e->obj) {
				snprintf(why, n, "big elem.obj %p, want nil", (void *)e->obj);
				return false;
			}
		} else if (!obj_ok(c, e->obj, (int64_t)kid, vid, "big elem.obj", why, n)) {
			return false;
		}
		return vstring_ok(c, kid, vid, &e->s, why, n);
	}
	default:
		snprintf(why, n, "bad kind");
		return false;
	}
}

static bool identity_ok(mapt_ctx *c, const mapt_obj *o, uint64_t *kid, char *why, size_t n)
{
	if (mg_typeof(c->rt, o, NULL) != &mapt_obj_type) {
		snprintf(why, n, "key object %p is not a live mapt.obj", (const void *)o);
		return false;
	}
	if (o->vid != -1 || o->check != mapt_obj_check(o->kid, -1) || o->kid < 0 || (uint64_t)o->kid >= c->nkids) {
		snprintf(why, n, "key object %p is corrupt {kid %" PRId64 ", vid %" PRId64 "}", (const void *)o, o->kid,
		         o->vid);
		return false;
	}
	*kid = (uint64_t)o->kid;
	if (c->present[*kid] && c->keyobj[*kid] != o) {
		snprintf(why, n, "key object of kid %" PRIu64 " is %p, the model has %p", *kid, (const void *)o,
		         c->keyobj[*kid]);
		return false;
	}
	return true;
}

bool mapt_key_kid(mapt_ctx *c, const void *key, uint64_t *kid, char *why, size_t n)
{
	switch (c->kind) {
	case MAPT_I64_I64:
	case MAPT_I64_STR:
		*kid = mapt_dec_i64(*(const int64_t *)key);
		if (*kid >= c->nkids) {
			snprintf(why, n, "key %" PRId64 " decodes to kid %" PRIu64 ", out of range", *(const int64_t *)key,
			         *kid);
			return false;
		}
		return true;
	case MAPT_STR_I64: {
		const mg_string *s = key;
		uint64_t k = 0;
		if (s->len > 0) {
			if (s->len > 40 || s->ptr[0] != 'k') {
				snprintf(why, n, "string key of length %zu is not one of ours", s->len);
				return false;
			}
			char tmp[48];
			memcpy(tmp, s->ptr, s->len);
			tmp[s->len] = '\0';
			k = strtoull(tmp + 1, NULL, 10);
		}
		char buf[48];
		size_t len = key_bytes(k, buf);
		if (k >= c->nkids || len != s->len || memcmp(buf, s->ptr, len) != 0) {
			snprintf(why, n, "string key \"%.*s\" is corrupt", (int)(s->len > 40 ? 40 : s->len), s->ptr);
			return false;
		}
		if (s->len && mg_typeof(c->rt, s->ptr, NULL) == NULL && c->strs[k] != s->ptr) {
			snprintf(why, n, "string key \"%.*s\" at %p is neither a heap string nor our malloc'd copy",
			         (int)s->len, s->ptr, (const void *)s->ptr);
			return false;
		}
		*kid = k;
		return true;
	}
	case MAPT_PTR_PTR:
		return identity_ok(c, *(mapt_obj *const *)key, kid, why, n);
	case MAPT_STRUCT: {
		const mapt_ukey *k = key;
		if (!identity_ok(c, k->obj, kid, why, n))
			return false;
		if ((uint64_t)k->kid != *kid || k->salt != (mapt_enc_i64(*kid) ^ 0x1234)) {
			snprintf(why, n, "struct key {%" PRId64 ", %p, %" PRId64 "} is corrupt", k->kid, (void *)k->obj,
			         k->salt);
			return false;
		}
		return true;
	}
	case MAPT_BIG: {
		const mapt_bigkey *k = key;
		if (k->kid < 0 || (uint64_t)k->kid >= c->nkids) {
			snprintf(why, n, "big key kid %" PRId64 " out of range", k->kid);
			return false;
		}
		for (int i = 0; i < 19; i++)
			if (k->w[i] != mapt_mix((uint64_t)k->kid, (uint64_t)i)) {
				snprintf(why, n, "big key %" PRId64 " word %d corrupt", k->kid, i);
				return false;
			}
		*kid = (uint64_t)k->kid;
		return true;
	}
	default:
		return false;
	}
}

bool mapt_kind_hashable(mapt_kind k)
{
	return !identity_kind(k);
}

uint64_t mapt_key_bucket(mapt_ctx *c, const mg_hmap *m, uint64_t kid)
{
	_Alignas(8) unsigned char buf[MAPT_BUF];
	char sbuf[48];
	memset(buf, 0, sizeof buf);
	switch (c->kind) {
	case MAPT_I64_I64:
	case MAPT_I64_STR:
		*(int64_t *)buf = mapt_enc_i64(kid);
		break;
	case MAPT_STR_I64: {
		size_t len = key_bytes(kid, sbuf);
		*(mg_string *)buf = (mg_string){sbuf, len};
		break;
	}
	case MAPT_BIG: {
		mapt_bigkey *k = (mapt_bigkey *)buf;
		k->kid = (int64_t)kid;
		for (int i = 0; i < 19; i++)
			k->w[i] = mapt_mix(kid, (uint64_t)i);
		break;
	}
	default:
		cr_assert_fail("mapt_key_bucket: %s keys are not hashable without allocating", mapt_kind_name(c->kind));
	}
	return map_hash(m->t, buf, m->hash0) & map_bucket_mask(m->B);
}

/* ---- the model -------------------------------------------------------------- */

static void model_add(mapt_ctx *c, uint64_t kid)
{
	c->present[kid] = 1;
	c->ppos[kid] = (uint32_t)c->count;
	c->plist[c->count++] = (uint32_t)kid;
}

static void model_remove(mapt_ctx *c, uint64_t kid)
{
	uint32_t p = c->ppos[kid];
	uint32_t last = c->plist[--c->count];
	c->plist[p] = last;
	c->ppos[last] = p;
	c->present[kid] = 0;
	c->keyobj[kid] = NULL;
}

uint64_t mapt_m_random_present(mapt_ctx *c)
{
	return c->plist[mgt_rng_below(c->rng, c->count)];
}

mg_hmap *mapt_m_new(mapt_ctx *c, size_t hint)
{
	mapt_ctx_reset(c);
	return mg_map_new(c->rt, c->mt, hint);
}

void mapt_m_set(mapt_ctx *c, mg_hmap *m, uint64_t kid)
{
	c->ops++;
	uint32_t vid = ++c->next_vid;
	bool was = c->present[kid];
	mapt_make_key(c, kid, true);
	mapt_make_elem(c, kid, vid);
	mg_map_set(c->rt, m, c->key, c->elem);
	if (!was) {
		model_add(c, kid);
		if (c->kind == MAPT_PTR_PTR)
			c->keyobj[kid] = *(void **)c->key;
		else if (c->kind == MAPT_STRUCT)
			c->keyobj[kid] = ((mapt_ukey *)c->key)->obj;
	}
	c->vid[kid] = vid;
	/* Only the map holds the new key and elem from now on. */
	memset(c->key, 0, sizeof c->key);
	memset(c->elem, 0, sizeof c->elem);
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

void mapt_m_get(mapt_ctx *c, mg_hmap *m, uint64_t kid)
{
	c->ops++;
	mapt_make_key(c, kid, false);
	memset(c->out, 0xa5, c->etype->size);
	bool ok = mg_map_get(c->rt, m, c->key, c->out);
	if (ok != (bool)c->present[kid])
		mapt_fail(c, "get(kid %" PRIu64 ") = %d, the model says %d", kid, ok, c->present[kid]);
	if (ok) {
		char why[256];
		if (!mapt_elem_ok(c, kid, c->vid[kid], c->out, why, sizeof why))
			mapt_fail(c, "get(kid %" PRIu64 "): %s", kid, why);
	} else if (!all_zero(c->out, c->etype->size)) {
		mapt_fail(c, "get(kid %" PRIu64 ") missed but did not zero elem_out", kid);
	}
	if (mg_map_get(c->rt, m, c->key, NULL) != ok)
		mapt_fail(c, "get(kid %" PRIu64 ") with elem_out NULL disagrees", kid);
	memset(c->out, 0, sizeof c->out);
	memset(c->key, 0, sizeof c->key);
}

void mapt_m_delete(mapt_ctx *c, mg_hmap *m, uint64_t kid)
{
	c->ops++;
	mapt_make_key(c, kid, false);
	mg_map_delete(c->rt, m, c->key);
	if (c->present[kid])
		model_remove(c, kid);
	memset(c->key, 0, sizeof c->key);
}

void mapt_m_clear(mapt_ctx *c, mg_hmap *m)
{
	c->ops++;
	mg_map_clear(c->rt, m);
	mapt_ctx_reset(c);
}

void mapt_garbage(mapt_ctx *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (mgt_rng_below(c->rng, 2))
			c->garbage = mg_alloc(c->rt, &mapt_obj_type);
		else
			c->garbage = mg_alloc_bytes(c->rt, 1 + mgt_rng_below(c->rng, 300));
	}
	c->garbage = NULL;
}

void mapt_m_iterate(mapt_ctx *c, mg_hmap *m, unsigned garbage_every)
{
	c->ops++;
	c->iterations++;
	uint32_t epoch = ++c->epoch;
	c->it = mg_map_iter(c->rt, m);
	size_t n = 0;
	char why[256];
	while (mg_map_next(c->rt, c->it, c->okey, c->out)) {
		uint64_t kid;
		if (!mapt_key_kid(c, c->okey, &kid, why, sizeof why))
			mapt_fail(c, "iteration produced a bad key: %s", why);
		if (!c->present[kid])
			mapt_fail(c, "iteration produced kid %" PRIu64 ", which is not in the map", kid);
		if (c->seen[kid] == epoch)
			mapt_fail(c, "iteration produced kid %" PRIu64 " twice", kid);
		c->seen[kid] = epoch;
		if (!mapt_elem_ok(c, kid, c->vid[kid], c->out, why, sizeof why))
			mapt_fail(c, "iteration, kid %" PRIu64 ": %s", kid, why);
		if (++n > c->count)
			mapt_fail(c, "iteration produced more than the %zu entries of the map", c->count);
		if (garbage_every && n % garbage_every == 0)
			mapt_garbage(c, 2);
	}
	if (n != c->count)
		mapt_fail(c, "iteration produced %zu entries, the map has %zu", n, c->count);
	if (mg_map_next(c->rt, c->it, c->okey, c->out))
		mapt_fail(c, "a finished iterator produced another entry");
	c->it = NULL;
	memset(c->okey, 0, sizeof c->okey);
	memset(c->out, 0, sizeof c->out);
}

void mapt_m_verify_all(mapt_ctx *c, mg_hmap *m)
{
	for (size_t i = 0; i < c->count; i++)
		mapt_m_get(c, m, c->plist[i]);
}

void mapt_m_check(mapt_ctx *c, mg_hmap *m)
{
	if (mg_map_len(m) != c->count)
		mapt_fail(c, "len %zu, the model has %zu", mg_map_len(m), c->count);
	if (mg_map_check(c->rt, m, NULL) != 0) {
		char *rep = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&rep, &len);
		int bad = mg_map_check(c->rt, m, f);
		fclose(f);
		mapt_fail(c, "mg_map_check found %d violations:\n%s", bad, rep);
	}
}

/* ---- growth ------------------------------------------------------------------ */

void mapt_grow_observe(mapt_growwatch *g, const mg_hmap *m)
{
	mg_mapinfo in;
	mg_map_info(m, &in);
	if (g->m != m) { /* a new map: set g->m = NULL when making one */
		g->m = m;
		g->prevB = in.B;
		g->prev_growing = in.growing;
		g->prev_same = in.same_size;
		return;
	}
	if (in.B > g->prevB)
		g->doublings += in.B - g->prevB;
	if (in.growing && in.same_size && !(g->prev_growing && g->prev_same))
		g->samesize++;
	g->prevB = in.B;
	g->prev_growing = in.growing;
	g->prev_same = in.same_size;
}
