/*
 * stress_string_keys.c — workload `string-keys`: maps keyed by strings that
 * live on the heap, inside larger heap objects, and outside the heap.
 *
 * The heap.  Two maps, in the root slots "string-keys.ints" and
 * "string-keys.strs": ints is map[string]int64, strs is map[string]string.
 * Keys are named by an id in [0, 2 × live); the text of id i is
 *  - for i < SK_NSTATIC, an entry of a table of string literals: "" (the
 *    empty key), short and long words, and two that differ only past an
 *    embedded NUL ("nul" and "nul\0inside") — strings are (ptr, len),
 *    never NUL-terminated, so nothing here uses strlen or atoi on them;
 *  - otherwise "key:<i>:" followed by 0..31 filler letters drawn from i.
 * When a key is stored its bytes come from one of (drawn per store):
 *  - the literal itself, a pointer outside the heap that the collector
 *    must ignore (literal ids only);
 *  - mg_string_new, a heap copy (for "" that is { NULL, 0 });
 *  - a slice of a larger heap string "<<text>>", so the only reference to
 *    that object is an interior pointer (non-literal ids only).
 * Storing an existing key replaces the map's key with the new one, as Go
 * does for strings, so one key's bytes move between all three kinds.
 * Values of strs are made the same ways: the text of version v of id i is
 * a literal from a second table for one (i, v) in eight, else
 * "val:<i>.<v>" plus filler.
 *
 * Each operation (percentages of operations):
 *   set      25 + 25  store id i into ints (value: a mix of i and a new
 *                     version) / into strs (a new value string)
 *   delete   10 + 10  delete id i
 *   lookup   15 + 15  look id i up and check presence and value
 * with i one of the literal ids one time in SK_LITERAL_ONE_IN, else uniform
 * in [0, 2 × live), so literal keys see every operation often.  Deletes and lookups build their key
 * afresh with equal bytes at a different address: three times in four in
 * a C buffer (outside the heap), else with mg_string_new (garbage at once).
 * Every max(4 × live, 1000) operations both maps are walked in full and every
 * entry checked: its key must parse back to an id whose text it equals
 * byte for byte, present in the shadow with the right value, no id twice,
 * and the counts must match.  Any divergence is fatal.
 *
 * The checksum digests, for each map, len and an order-independent sum
 * over (hash of the key bytes, value) pairs — value bytes for strs — read
 * by the same verified full walk; both maps also pass mg_map_check.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

enum {
	SK_PCT_SET_INT = 25,
	SK_PCT_SET_STR = 25,
	SK_PCT_DEL_INT = 10,
	SK_PCT_DEL_STR = 10,
	SK_PCT_GET_INT = 15,
	SK_PCT_GET_STR = 15,
};
_Static_assert(SK_PCT_SET_INT + SK_PCT_SET_STR + SK_PCT_DEL_INT + SK_PCT_DEL_STR + SK_PCT_GET_INT +
	SK_PCT_GET_STR == 100, "string-keys operation mix must add up to 100%");

/* Longest texts: "key:" + 20 digits + ":" + 31 filler, and "val:" + 20 +
 * "." + 20 + 31, plus the "<<" ">>" of a slice. */
enum { SK_TEXT_MAX = 128, SK_FILLER_MAX = 32 };

/* One key choice in SK_LITERAL_ONE_IN is a literal id. */
enum { SK_LITERAL_ONE_IN = 8 };

/* The fewest operations between full walks: below it a small --live would
 * spend most of its time walking. */
enum { SK_WALK_MIN = 1000 };

typedef struct sk_lit {
	const char *s;
	size_t len;
} sk_lit;

#define SK_LIT(text) { text, sizeof(text) - 1 }
static const sk_lit sk_key_lits[] = {
	SK_LIT(""), SK_LIT("a"), SK_LIT("b"), SK_LIT("ab"), SK_LIT("ba"),
	SK_LIT("alpha"), SK_LIT("bravo"), SK_LIT("charlie"), SK_LIT("delta"), SK_LIT("echo"),
	SK_LIT("foxtrot"), SK_LIT("golf"), SK_LIT("hotel"), SK_LIT("india"), SK_LIT("juliett"),
	SK_LIT("kilo"), SK_LIT("lima"), SK_LIT("mike"), SK_LIT("november"), SK_LIT("oscar"),
	SK_LIT("nul"), SK_LIT("nul\0inside"), SK_LIT("key"), SK_LIT("key:"), SK_LIT("Key:1:"),
	SK_LIT("a string literal longer than thirty-two bytes, outside the heap"),
	SK_LIT("\xff\xfe binary \x01\x02"), SK_LIT(" "), SK_LIT("0"), SK_LIT("00"),
	SK_LIT("papa"), SK_LIT("quebec"),
};
static const sk_lit sk_val_lits[] = {
	SK_LIT(""), SK_LIT("x"), SK_LIT("static value"), SK_LIT("nul\0value"),
	SK_LIT("another literal value, long enough to need more than one word"),
	SK_LIT("romeo"), SK_LIT("sierra"), SK_LIT("tango"),
};
#undef SK_LIT

enum {
	SK_NSTATIC = sizeof sk_key_lits / sizeof sk_key_lits[0],
	SK_NVALLIT = sizeof sk_val_lits / sizeof sk_val_lits[0],
};

/* The shadow of one id: the version stored in each map, 0 when absent. */
typedef struct sk_key {
	uint64_t ver_int;
	uint64_t ver_str;
} sk_key;

typedef struct sk {
	mg_runtime *rt;
	stress_rng rng;
	mg_hmap *ints;    /* rooted "string-keys.ints" */
	mg_hmap *strs;    /* rooted "string-keys.strs" */
	uint64_t nids;    /* 2 × live */
	sk_key *keys;     /* [nids] */
	uint64_t nint, nstr;   /* present ids per map */
	uint64_t ver;     /* versions handed out */
	uint8_t *seen;    /* [nids], for walks */
} sk;

/* ---- texts --------------------------------------------------------------------- */

/* Append 0..SK_FILLER_MAX-1 lowercase letters drawn from h. */
static size_t
sk_filler(char *buf, uint64_t h)
{
	size_t n = (size_t)(h % SK_FILLER_MAX);
	uint64_t bits = 0;

	for (size_t j = 0; j < n; j++) {
		if (j % 8 == 0)
			bits = stress_mix64(h + j);
		buf[j] = (char)('a' + (bits & 0xff) % 26);
		bits >>= 8;
	}
	return n;
}

/* The text of key id i into buf (not NUL-terminated); returns its length. */
static size_t
sk_key_text(uint64_t i, char *buf)
{
	if (i < SK_NSTATIC) {
		memcpy(buf, sk_key_lits[i].s, sk_key_lits[i].len);
		return sk_key_lits[i].len;
	}
	int n = snprintf(buf, SK_TEXT_MAX, "key:%" PRIu64 ":", i);
	return (size_t)n + sk_filler(buf + n, stress_mix64(i));
}

/* The value text of version v of id i: a literal (*lit set) or built in buf. */
static size_t
sk_val_text(uint64_t i, uint64_t v, char *buf, const sk_lit **lit)
{
	uint64_t h = stress_mix64(i * UINT64_C(0x9e3779b97f4a7c15) ^ v);

	if (h % 8 == 0) {
		*lit = &sk_val_lits[(h >> 8) % SK_NVALLIT];
		return (*lit)->len;
	}
	*lit = NULL;
	int n = snprintf(buf, SK_TEXT_MAX, "val:%" PRIu64 ".%" PRIu64, i, v);
	return (size_t)n + sk_filler(buf + n, h >> 3);
}

static uint64_t
sk_int_value(uint64_t i, uint64_t v)
{
	return stress_mix64(i ^ (v << 24));
}

/* The id a key's bytes name, or UINT64_MAX when they name none. */
static uint64_t
sk_parse_id(const mg_string *s)
{
	if (s->len > 4 && memcmp(s->ptr, "key:", 4) == 0) {
		uint64_t i = 0;
		size_t j = 4;
		for (; j < s->len && j < 24 && s->ptr[j] >= '0' && s->ptr[j] <= '9'; j++)
			i = i * 10 + (uint64_t)(s->ptr[j] - '0');
		if (j > 4 && j < s->len && s->ptr[j] == ':' && i >= SK_NSTATIC)
			return i;
	}
	for (uint64_t i = 0; i < SK_NSTATIC; i++)
		if (s->len == sk_key_lits[i].len &&
		    (s->len == 0 || memcmp(s->ptr, sk_key_lits[i].s, s->len) == 0))
			return i;
	return UINT64_MAX;
}

static bool
sk_bytes_equal(const mg_string *s, const char *p, size_t n)
{
	return s->len == n && (n == 0 || memcmp(s->ptr, p, n) == 0);
}

/* FNV-1a over the bytes, then mixed: a digest of contents, not addresses. */
static uint64_t
sk_hash_bytes(const char *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325) ^ n;

	for (size_t j = 0; j < n; j++)
		h = (h ^ (uint8_t)p[j]) * UINT64_C(0x100000001b3);
	return stress_mix64(h);
}

/* ---- strings on the heap --------------------------------------------------------- */

/* A heap string with the given bytes: a copy, or (slice) the middle of a
 * larger heap string "<<bytes>>", referenced only by an interior pointer. */
static mg_string
sk_heap_string(sk *w, const char *p, size_t n, bool slice)
{
	char buf[SK_TEXT_MAX + 4];

	if (!slice || n == 0)
		return mg_string_new(w->rt, p, n);
	buf[0] = buf[1] = '<';
	memcpy(buf + 2, p, n);
	buf[n + 2] = buf[n + 3] = '>';
	mg_string whole = mg_string_new(w->rt, buf, n + 4);
	return (mg_string){ whole.ptr + 2, n };
}

/* Key id i, made for storing: literal, copy or slice (see the essay). */
static mg_string
sk_store_key(sk *w, uint64_t i)
{
	char buf[SK_TEXT_MAX];
	uint64_t how = stress_rng_below(&w->rng, 4);

	if (i < SK_NSTATIC && how < 2)
		return (mg_string){ sk_key_lits[i].s, sk_key_lits[i].len };
	size_t n = sk_key_text(i, buf);
	return sk_heap_string(w, buf, n, i >= SK_NSTATIC && how == 0);
}

/* Key id i, made for a lookup or delete: equal bytes, a fresh address. */
static mg_string
sk_probe_key(sk *w, uint64_t i, char *buf)
{
	size_t n = sk_key_text(i, buf);

	if (stress_rng_below(&w->rng, 4) == 0)
		return mg_string_new(w->rt, buf, n);
	return (mg_string){ buf, n };
}

/* ---- operations ------------------------------------------------------------------- */

static void
sk_set_int(sk *w, uint64_t i)
{
	mg_runtime *rt = w->rt;
	mg_scope scope;
	mg_string key;
	uint64_t v = ++w->ver;
	int64_t val = (int64_t)sk_int_value(i, v);

	mg_scope_enter(rt, &scope);
	key = sk_store_key(w, i);
	mg_root(rt, &key, "string-keys.key");
	mg_map_set(rt, w->ints, &key, &val);
	mg_scope_leave(rt, &scope);
	if (w->keys[i].ver_int == 0)
		w->nint++;
	w->keys[i].ver_int = v;
}

static void
sk_set_str(sk *w, uint64_t i)
{
	mg_runtime *rt = w->rt;
	mg_scope scope;
	mg_string key, val = { NULL, 0 };
	char buf[SK_TEXT_MAX];
	const sk_lit *lit;
	uint64_t v = ++w->ver;
	bool slice = stress_rng_below(&w->rng, 4) == 0;

	mg_scope_enter(rt, &scope);
	key = sk_store_key(w, i);
	mg_root(rt, &key, "string-keys.key");
	mg_root(rt, &val, "string-keys.val");
	size_t n = sk_val_text(i, v, buf, &lit);
	val = lit != NULL ? (mg_string){ lit->s, lit->len } : sk_heap_string(w, buf, n, slice);
	mg_map_set(rt, w->strs, &key, &val);
	mg_scope_leave(rt, &scope);
	if (w->keys[i].ver_str == 0)
		w->nstr++;
	w->keys[i].ver_str = v;
}

static void
sk_delete(sk *w, mg_hmap *m, uint64_t i)
{
	char buf[SK_TEXT_MAX];
	mg_string key = sk_probe_key(w, i, buf);   /* used before anything allocates */

	mg_map_delete(w->rt, m, &key);
	if (m == w->ints && w->keys[i].ver_int != 0) {
		w->keys[i].ver_int = 0;
		w->nint--;
	} else if (m == w->strs && w->keys[i].ver_str != 0) {
		w->keys[i].ver_str = 0;
		w->nstr--;
	}
}

static void
sk_check_int(sk *w, uint64_t i, bool ok, int64_t val, const char *how)
{
	uint64_t v = w->keys[i].ver_int;

	if (ok != (v != 0))
		mg_fatal(w->rt, "string-keys: %s of key id %" PRIu64 " in the int map %s, want %s", how,
			i, ok ? "hit" : "missed", v != 0 ? "a hit" : "a miss");
	if (ok && (uint64_t)val != sk_int_value(i, v))
		mg_fatal(w->rt, "string-keys: %s of key id %" PRIu64 " in the int map gave %" PRId64
			", want %" PRId64, how, i, val, (int64_t)sk_int_value(i, v));
}

static void
sk_check_str(sk *w, uint64_t i, bool ok, const mg_string *val, const char *how)
{
	uint64_t v = w->keys[i].ver_str;
	char buf[SK_TEXT_MAX];
	const sk_lit *lit;

	if (ok != (v != 0))
		mg_fatal(w->rt, "string-keys: %s of key id %" PRIu64 " in the string map %s, want %s",
			how, i, ok ? "hit" : "missed", v != 0 ? "a hit" : "a miss");
	if (!ok) {
		if (val->ptr != NULL || val->len != 0)
			mg_fatal(w->rt, "string-keys: a miss did not zero elem_out");
		return;
	}
	size_t n = sk_val_text(i, v, buf, &lit);
	if (!sk_bytes_equal(val, lit != NULL ? lit->s : buf, n))
		mg_fatal(w->rt, "string-keys: %s of key id %" PRIu64 " in the string map gave a %zu-byte "
			"value, want the %zu bytes of version %" PRIu64, how, i, val->len, n, v);
}

static void
sk_get(sk *w, mg_hmap *m, uint64_t i)
{
	char buf[SK_TEXT_MAX];
	mg_string key = sk_probe_key(w, i, buf);   /* used before anything allocates */

	if (m == w->ints) {
		int64_t val = -1;
		bool ok = mg_map_get(w->rt, m, &key, &val);
		sk_check_int(w, i, ok, val, "lookup");
	} else {
		mg_string val = { "not zeroed", 10 };
		bool ok = mg_map_get(w->rt, m, &key, &val);
		sk_check_str(w, i, ok, &val, "lookup");
	}
}

/* ---- walks and the checksum ------------------------------------------------------- */

/* Walk map m in full, checking every entry (see the essay), and digest
 * it.  The iterator is allocated first; the walk neither allocates nor
 * reaches a safepoint. */
static void
sk_walk(sk *w, mg_hmap *m, stress_digest *d)
{
	mg_runtime *rt = w->rt;
	bool ints = m == w->ints;
	const char *name = ints ? "int" : "string";
	mg_hiter *it = NULL;
	mg_scope scope;
	mg_string key;
	union { int64_t i; mg_string s; } val;
	uint64_t sum = 0, x = 0, n = 0, want = ints ? w->nint : w->nstr;
	char buf[SK_TEXT_MAX];

	memset(w->seen, 0, (size_t)w->nids);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &m, "string-keys.walk-map");
	mg_root(rt, &it, "string-keys.walk-it");
	it = mg_map_iter(rt, m);
	while (mg_map_next(rt, it, &key, &val)) {
		uint64_t i = sk_parse_id(&key);
		if (i >= w->nids || !sk_bytes_equal(&key, buf, sk_key_text(i, buf)))
			mg_fatal(rt, "string-keys: the %s map holds a %zu-byte key that is no key id's text",
				name, key.len);
		if (w->seen[i]++)
			mg_fatal(rt, "string-keys: iteration of the %s map produced key id %" PRIu64 " twice",
				name, i);
		uint64_t vh;
		if (ints) {
			sk_check_int(w, i, true, val.i, "iteration");
			vh = (uint64_t)val.i;
		} else {
			sk_check_str(w, i, true, &val.s, "iteration");
			vh = sk_hash_bytes(val.s.ptr, val.s.len);
		}
		uint64_t p = stress_pair(sk_hash_bytes(key.ptr, key.len), vh);
		sum += p;
		x ^= stress_mix64(p);
		n++;
	}
	mg_scope_leave(rt, &scope);
	if (n != want || mg_map_len(m) != want)
		mg_fatal(rt, "string-keys: iteration of the %s map produced %" PRIu64 " entries, len %zu, "
			"want %" PRIu64, name, n, mg_map_len(m), want);
	if (d != NULL) {
		stress_digest_add(d, n);
		stress_digest_add(d, sum);
		stress_digest_add(d, x);
	}
}

static void
sk_check_map(sk *w, const mg_hmap *m)
{
	int bad = mg_map_check(w->rt, m, stderr);
	if (bad != 0)
		mg_fatal(w->rt, "string-keys: map verifier found %d problem(s) in the %s map", bad,
			m == w->ints ? "int" : "string");
}

static void
sk_op(sk *w)
{
	uint64_t r = stress_rng_below(&w->rng, 100);
	uint64_t lit = stress_rng_below(&w->rng, SK_LITERAL_ONE_IN);
	uint64_t i = stress_rng_below(&w->rng, lit == 0 ? SK_NSTATIC : w->nids);

	if (r < SK_PCT_SET_INT)
		sk_set_int(w, i);
	else if ((r -= SK_PCT_SET_INT) < SK_PCT_SET_STR)
		sk_set_str(w, i);
	else if ((r -= SK_PCT_SET_STR) < SK_PCT_DEL_INT)
		sk_delete(w, w->ints, i);
	else if ((r -= SK_PCT_DEL_INT) < SK_PCT_DEL_STR)
		sk_delete(w, w->strs, i);
	else if ((r -= SK_PCT_DEL_STR) < SK_PCT_GET_INT)
		sk_get(w, w->ints, i);
	else
		sk_get(w, w->strs, i);
}

/* ---- the workload ------------------------------------------------------------------- */

static stress_result
sk_run(mg_runtime *rt, const stress_params *p)
{
	sk w = { .rt = rt, .rng = { p->seed } };
	stress_result res = { 0 };
	stress_digest d;
	mg_scope scope;
	uint64_t walk_every = 4 * p->live > SK_WALK_MIN ? 4 * p->live : SK_WALK_MIN;

	w.nids = 2 * p->live > SK_NSTATIC ? 2 * p->live : SK_NSTATIC;
	w.keys = calloc((size_t)w.nids, sizeof *w.keys);
	w.seen = malloc((size_t)w.nids);
	if (w.keys == NULL || w.seen == NULL)
		mg_fatal(rt, "string-keys: out of C memory for %" PRIu64 " key ids", w.nids);
	mg_scope_enter(rt, &scope);
	mg_root(rt, &w.ints, "string-keys.ints");
	mg_root(rt, &w.strs, "string-keys.strs");
	w.ints = mg_map_new(rt, mg_maptype_get(rt, &mg_type_string, &mg_type_int64), 0);
	w.strs = mg_map_new(rt, mg_maptype_get(rt, &mg_type_string, &mg_type_string), 0);
	for (uint64_t op = 0; op < p->ops; op++) {
		stress_tick(rt);
		sk_op(&w);
		if ((op + 1) % walk_every == 0) {
			sk_walk(&w, w.ints, NULL);
			sk_walk(&w, w.strs, NULL);
		}
	}
	sk_check_map(&w, w.ints);
	sk_check_map(&w, w.strs);
	stress_digest_init(&d);
	sk_walk(&w, w.ints, &d);
	sk_walk(&w, w.strs, &d);
	res.checksum = stress_digest_final(&d);
	res.live_end = w.nint + w.nstr;
	mg_scope_leave(rt, &scope);
	free(w.keys);
	free(w.seen);
	return res;
}

const stress_workload stress_workload_string_keys = {
	.name = "string-keys",
	.description =
		"A map[string]int64 and a map[string]string over 2 x --live key ids: 50% "
		"sets, 20% deletes, 30% lookups.  Stored keys and values are heap strings "
		"(mg_string_new), slices of larger heap strings (interior pointers only), or "
		"string literals outside the heap, which the collector must ignore; the "
		"empty key and keys with embedded NULs included, nothing NUL-terminated. "
		"Lookups and deletes build keys afresh with equal bytes at other addresses "
		"(C buffers or new heap strings).  Every 4 x --live ops both maps are walked and "
		"each entry checked byte for byte against a shadow.  The checksum digests "
		"key and value bytes of the final maps.",
	/* Defaults: about 1.5 s of CPU in a release build, ~12 cycles (seed 1). */
	.default_ops = 3000000,
	.default_live = 50000,
	.run = sk_run,
};
