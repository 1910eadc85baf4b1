/*
 * fuzz_map.c — libFuzzer target: bytes become a stream of map operations,
 * run on the collected heap and checked against a model outside it.
 *
 * WHAT IS FUZZED.  Four maps live at once, one per shape the collector
 * treats differently:
 *   i64   map[int64]int64         noscan buckets, overflow kept by extra.overflow
 *   str   map[string]int64        string keys: heap copies and C strings mixed
 *   ptr   map[int64]*obj          pointer elems; obj -> leaf, held only by the map
 *   big   map[bigkey]bigelem      152/160-byte key/elem, stored indirectly; the
 *                                 key holds a pointer (its identity), the elem
 *                                 an obj and a heap string
 * The maps sit in a heap array (so replacing one is a barriered store, as
 * for maps inside any object), next to two "shelves": heap arrays of
 * object pointers that objects move through — mg_typed_copy between and
 * within shelves, mg_typed_clear, and moves between a shelf and the ptr
 * map — so an object's only reference is often the one being moved.  Up
 * to two iterators stay alive across operations, so every mutation can
 * land in the middle of an iteration (and of a grow, and of a mark
 * phase).  Operations: set, get, delete, clear, fill (a run of inserts, to
 * reach bigger B and long grows), drain, replace a map by a new one with a
 * size hint (live iterators keep the old one: they go on against a frozen
 * copy of its model), iterator start/next, nil-map reads, the shelf moves,
 * garbage, safepoints, a forced mg_gc, and a mark phase driven by hand
 * through the gc_test.h hooks (begin, steps of 1 byte to 32 KiB of scan
 * work — one object at a time at the low end —, finish), plus the heap
 * verifier between operations.
 *
 * ORACLES.  After every operation on a map: mg_map_len equals the model and
 * mg_map_check finds nothing.  Every value read is checked in full: int64
 * elems are a function of (key, version); objects are checked by type
 * (mg_typeof, which catches a freed or reused slot), by contents and by a
 * check word, down to the leaf.  Iteration follows Go's rules per entry
 * (an entry is one insertion of a key): an entry present for the whole
 * iteration is produced exactly once; one produced is in the map at that
 * moment with its current elem; none is produced twice.  After a full
 * collection every present key is looked up, and so is everything else
 * the fuzzer holds: the shelves, and the keys and elems it kept from gets
 * and iterations (in roots, as a Go program keeps them in locals), which
 * must stay intact after the map deleted or replaced them.  The runtime
 * runs with gccheckmark=1 (a lost object is a fatal error), optionally
 * heapcheck=1, and with tiny mark slices so marking interleaves with
 * everything.  A
 * fatal error, a panic or a divergence prints what happened and aborts:
 * that is the crash libFuzzer records.
 *
 * INPUT FORMAT.  Four header bytes choose the configuration (missing bytes
 * read as 0), so every input is also a reproducible runtime configuration:
 *   h0: bits 0-1 barrier (hybrid, yuasa, dijkstra, hybrid); bit 2 heapcheck
 *       (only with gcevery 0 or 257, and slices of at least 4 KiB);
 *       bits 3-4 GOGC (100, 10, 1, 1); bits 5-7 gcevery (0,0,0,0,1,5,31,257)
 *   h1: bits 0-2 mark slice (64 << n bytes); bits 3-5 key space (16 << n
 *       kids); bit 6 gcstoptheworld; bit 7 hints for the first maps
 *   h2, h3: the map hash seed (cfg.seed), so iteration order is repeatable.
 * Then operations: one opcode byte (low 5 bits: the operation, FZ_OP_LIST;
 * bits 5-6: which map (or shelf), bit 7: which iterator, or "hold" for a
 * get) and the operation's argument bytes.  The decoder accepts every byte
 * string.  Inputs replay identically: see fz_no_aslr.
 *
 * COUNTING.  Every map API call is one operation (fz_ops); the running
 * total is printed every 2^24 operations and at exit, so a fuzzing
 * campaign reports how many map operations it checked.
 *
 * NEGATIVE MODE.  MAPGC_FUZZ_BREAK=evac runs evacuation without its write
 * barrier (map_test_set_evac_barrier): the evac-* seeds must then end in
 * a checkmark failure (ctest fuzz/negative_map) — proof that the oracles
 * fire.  Open bugs the fuzzer found are kept in tests/fuzz/known-bugs/
 * until fixed (see its README).
 */
#include "runtime/mapgc.h"
#include "gc/gc_test.h"
#include "maptype/map.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/personality.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* ---- bounds --------------------------------------------------------------- */

/* Operations per input: fill runs can multiply a short input into many
 * operations; this keeps one input under ~0.5 s in an ASan build, so
 * libFuzzer's throughput stays high and no input looks like a hang. */
#define FZ_MAX_OPS_PER_INPUT 40000u
/* Largest key space (h1 bits 3-5: 16 << 7): maps reach B = 9. */
#define FZ_MAX_KIDS 2048u
#define FZ_NITERS 2
/* Two shelves of object pointers outside the maps: pointers move between
 * them with mg_typed_copy / mg_typed_clear, and between them and the ptr
 * map, so the bulk barriers and the map's own barriers see objects whose
 * only reference is being moved. */
#define FZ_NSHELVES 2
#define FZ_SHELF 32
/* Collector work per input: gcevery=1 runs a full cycle per allocation,
 * and a big-map set allocates several objects, so operations alone do not
 * bound an input's time.  Past these many cycles (or mark slices) the
 * input stops early, as when it runs out of bytes. */
#define FZ_MAX_CYCLES_PER_INPUT 1000u
#define FZ_MAX_SLICES_PER_INPUT 300000u
/* Every this many operations, the running total is printed. */
#define FZ_REPORT_EVERY (UINT64_C(1) << 24)

/* ---- heap types ------------------------------------------------------------ */

typedef struct fz_leaf {
	int64_t kid, vid;
	uint64_t check;
} fz_leaf;

typedef struct fz_obj {
	int64_t kid, vid;
	uint64_t check;
	fz_leaf *leaf;
} fz_obj;

/* Over MAP_MAX_KEY bytes: stored indirectly; equality is bytewise, so the
 * id pointer compares by identity. */
typedef struct fz_bigkey {
	int64_t kid;
	fz_leaf *id;
	uint64_t pad[17];
} fz_bigkey;

typedef struct fz_bigelem {
	fz_obj *obj;
	int64_t vid;
	uint64_t pad[16];
	mg_string s;
} fz_bigelem;

_Static_assert(sizeof(fz_bigkey) > MAP_MAX_KEY, "bigkey must be stored indirectly");
_Static_assert(sizeof(fz_bigelem) > MAP_MAX_ELEM, "bigelem must be stored indirectly");

static const mg_type fz_leaf_type = {"fuzz.leaf", sizeof(fz_leaf), 8, NULL, 0, NULL, NULL};
static const mg_field fz_obj_fields[] = {{offsetof(fz_obj, leaf), "leaf"}};
static const mg_type fz_obj_type = {"fuzz.obj", sizeof(fz_obj), 8, fz_obj_fields, 1, NULL, NULL};
static const mg_field fz_bigkey_fields[] = {{offsetof(fz_bigkey, id), "id"}};
static const mg_type fz_bigkey_type = {"fuzz.bigkey", sizeof(fz_bigkey), 8, fz_bigkey_fields, 1, NULL, NULL};
static const mg_field fz_bigelem_fields[] = {
	{offsetof(fz_bigelem, obj), "obj"},
	{offsetof(fz_bigelem, s), "s"},
};
static const mg_type fz_bigelem_type = {"fuzz.bigelem", sizeof(fz_bigelem), 8, fz_bigelem_fields, 2, NULL, NULL};

/* ---- values as functions of (kid, vid) ------------------------------------- */

static uint64_t fz_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t fz_val(uint64_t kid, uint64_t vid) { return fz_mix(fz_mix(kid + UINT64_C(0x1234567)) ^ vid); }
static uint64_t fz_check(uint64_t kid, uint64_t vid) { return fz_mix(kid * 31 + vid) ^ UINT64_C(0xc0ffee); }

/* int64 keys: an odd multiplier is a bijection on 64 bits, so keys spread
 * over all hash bits and decode exactly. */
#define FZ_KMUL UINT64_C(0x9e3779b97f4a7c15)
static int64_t fz_enc(uint64_t kid) { return (int64_t)(kid * FZ_KMUL); }
static uint64_t fz_dec(int64_t key)
{
	/* The inverse of FZ_KMUL modulo 2^64, by Newton's iteration. */
	uint64_t inv = FZ_KMUL;
	for (int i = 0; i < 5; i++)
		inv *= 2 - FZ_KMUL * inv;
	return (uint64_t)key * inv;
}

/* String keys: kid 0 is the empty string; others "k<kid>-" plus 0..22
 * letters, so lengths and contents vary. */
static size_t fz_strkey(uint64_t kid, char *buf, size_t n)
{
	if (kid == 0)
		return 0;
	int len = snprintf(buf, n, "k%" PRIu64 "-", kid);
	size_t pad = (size_t)(kid * 7 % 23);
	for (size_t i = 0; i < pad && (size_t)len + 1 < n; i++)
		buf[len++] = (char)('a' + (kid + i) % 26);
	buf[len] = '\0';
	return (size_t)len;
}

/* The string of a big elem. */
static size_t fz_elemstr(uint64_t kid, uint64_t vid, char *buf, size_t n)
{
	int len = snprintf(buf, n, "e%" PRIu64 ".%" PRIu64 "/%" PRIx64, kid, vid, fz_val(kid, vid) & 0xffff);
	return (size_t)len;
}

/* ---- the model ---------------------------------------------------------------- */

enum { FZ_I64, FZ_STR, FZ_PTR, FZ_BIG, FZ_NMAPS };
static const char *const fz_map_names[FZ_NMAPS] = {"i64", "str", "ptr", "big"};

typedef struct fz_model {
	uint8_t *present;
	uint32_t *vid;      /* version of the current elem */
	uint32_t *gen;      /* entry id of the current insertion */
	fz_leaf **id;       /* big: the key's identity object (held by the map, not rooted) */
	size_t count;
} fz_model;

typedef struct fz_iter {
	bool active;
	int map;
	fz_model *model;    /* the map's model, or a frozen copy once the map was replaced */
	bool frozen;
	uint32_t *start_gen; /* entry present when the iteration started */
	uint32_t *prod_gen;  /* entry produced in this iteration */
	uint64_t produced;
} fz_iter;

/* Rooted scratch: every heap pointer held in C across an allocation. */
typedef struct fz_roots {
	mg_hmap **tab;           /* heap array of the FZ_NMAPS maps (so maps sit in the heap, behind barriers) */
	void **shelf[FZ_NSHELVES]; /* heap arrays of FZ_SHELF object pointers */
	mg_hiter *it[FZ_NITERS];
	mg_string skey;
	fz_obj *obj;
	fz_leaf *leaf;
	fz_bigkey bkey;
	fz_bigelem belem;
	void *garbage;
	/* Values read out of the maps and held, as a Go program holds them in
	 * locals: they must stay intact after the map lets go of them. */
	fz_obj *hold_pelem;      /* a ptr map elem (get, next) */
	mg_string hold_skey;     /* a str map key (next) */
	fz_bigkey hold_bkey;     /* a big map key (next) */
	fz_bigelem hold_belem;   /* a big map elem (get, next) */
} fz_roots;

typedef struct fz {
	mg_runtime *rt;
	mg_scope scope;
	fz_roots r;
	const mg_maptype *mt[FZ_NMAPS];
	fz_model model[FZ_NMAPS];
	fz_iter it[FZ_NITERS];
	uint32_t shelf_kid[FZ_NSHELVES][FZ_SHELF];  /* the object in each slot (vid 0: NULL) */
	uint32_t shelf_vid[FZ_NSHELVES][FZ_SHELF];
	/* what the held values are: kid and vid (0: nothing held) */
	uint32_t hold_pelem_kid, hold_pelem_vid;
	uint32_t hold_skey_kid;
	bool hold_skey_valid;
	uint32_t hold_bkey_kid;
	bool hold_bkey_valid;
	uint32_t hold_belem_kid, hold_belem_vid;
	uint32_t nkids;
	uint32_t next_gen, next_vid;
	char *cstr[FZ_MAX_KIDS];  /* malloc'd copies of string keys (not heap; live to the end) */
	const uint8_t *p, *end;
	uint64_t ops;             /* this input */
	uint64_t opno;            /* operation index in the input, for messages */
	const char *opname;
} fz;

/* ---- reporting --------------------------------------------------------------- */

static uint64_t fz_total_ops, fz_total_inputs;
static uint64_t fz_next_report = FZ_REPORT_EVERY;
static struct timespec fz_t0;
static bool fz_started;

static double fz_elapsed(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - fz_t0.tv_sec) + (double)(t.tv_nsec - fz_t0.tv_nsec) / 1e9;
}

static void fz_report(const char *when)
{
	double s = fz_elapsed();
	fprintf(stderr, "fuzz_map: %s: %" PRIu64 " map operations checked, %" PRIu64 " inputs, %.1f s, %.0f ops/s, 0 divergences\n",
	        when, fz_total_ops, fz_total_inputs, s, s > 0 ? (double)fz_total_ops / s : 0.0);
}

static void fz_at_exit(void)
{
	fz_report("exit");
}

static void fz_start_clock(void)
{
	if (fz_started)
		return;
	fz_started = true;
	clock_gettime(CLOCK_MONOTONIC, &fz_t0);
	atexit(fz_at_exit);
}

__attribute__((noreturn, format(printf, 2, 3))) static void fz_fail(fz *f, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "fuzz_map: DIVERGENCE at operation %" PRIu64 " (%s): ", f ? f->opno : 0,
	        f && f->opname ? f->opname : "setup");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void fz_on_failure(void *ud, mg_failure kind, const char *msg)
{
	fz *f = ud;
	fz_fail(f, "unexpected %s from the runtime: %s", kind == MG_PANIC ? "panic" : "fatal error", msg);
}

/* ---- input ------------------------------------------------------------------- */

static uint8_t fz_byte(fz *f)
{
	return f->p < f->end ? *f->p++ : 0;
}

static uint32_t fz_kid(fz *f)
{
	uint32_t v = fz_byte(f);
	v |= (uint32_t)fz_byte(f) << 8;
	return v % f->nkids;
}

static void fz_count(fz *f)
{
	f->ops++;
	if (++fz_total_ops >= fz_next_report) {
		fz_next_report += FZ_REPORT_EVERY;
		fz_report("progress");
	}
}

/* False once the input has used up its operations or its collector work. */
static bool fz_budget_left(fz *f)
{
	if (f->ops >= FZ_MAX_OPS_PER_INPUT)
		return false;
	mg_stats st;
	mg_read_stats(f->rt, &st);
	return st.cycles <= FZ_MAX_CYCLES_PER_INPUT && st.mark_slices <= FZ_MAX_SLICES_PER_INPUT;
}

/* ---- model helpers ------------------------------------------------------------ */

static void fz_model_alloc(fz_model *m, uint32_t n)
{
	m->present = calloc(n, 1);
	m->vid = calloc(n, sizeof *m->vid);
	m->gen = calloc(n, sizeof *m->gen);
	m->id = calloc(n, sizeof *m->id);
	m->count = 0;
	if (!m->present || !m->vid || !m->gen || !m->id) {
		fprintf(stderr, "fuzz_map: out of memory\n");
		abort();
	}
}

static void fz_model_free(fz_model *m)
{
	free(m->present);
	free(m->vid);
	free(m->gen);
	free(m->id);
	memset(m, 0, sizeof *m);
}

static fz_model *fz_model_clone(const fz_model *src, uint32_t n)
{
	fz_model *c = malloc(sizeof *c);
	if (!c)
		abort();
	fz_model_alloc(c, n);
	memcpy(c->present, src->present, n);
	memcpy(c->vid, src->vid, n * sizeof *c->vid);
	memcpy(c->gen, src->gen, n * sizeof *c->gen);
	memcpy(c->id, src->id, n * sizeof *c->id);
	c->count = src->count;
	return c;
}

/* ---- building keys and elems -------------------------------------------------- */

/* Fills the key of kid for map mi into the given buffer (int64, mg_string
 * or fz_bigkey).  insert: a big key of an absent kid gets a fresh identity
 * object (rooted in r.bkey until the set); a string key is a heap copy or
 * the malloc'd copy, by `flavour`.  Lookups use a C buffer for strings. */
static void fz_make_key(fz *f, int mi, uint32_t kid, bool insert, uint8_t flavour, void *out, char *sbuf,
                        size_t sbufn)
{
	switch (mi) {
	case FZ_I64:
	case FZ_PTR: {
		int64_t k = fz_enc(kid);
		memcpy(out, &k, 8);
		break;
	}
	case FZ_STR: {
		mg_string *s = out;
		size_t len = fz_strkey(kid, sbuf, sbufn);
		if (!insert || len == 0) {
			*s = (mg_string){len ? sbuf : NULL, len};
		} else if (flavour & 1) {
			/* A heap copy: after the set only the map holds it. */
			f->r.skey = mg_string_new(f->rt, sbuf, len);
			*s = f->r.skey;
		} else {
			if (!f->cstr[kid]) {
				f->cstr[kid] = malloc(len + 1);
				if (!f->cstr[kid])
					abort();
				memcpy(f->cstr[kid], sbuf, len + 1);
			}
			*s = (mg_string){f->cstr[kid], len};
		}
		break;
	}
	case FZ_BIG: {
		fz_bigkey *k = &f->r.bkey;
		memset(k, 0, sizeof *k);
		k->kid = kid;
		for (unsigned j = 0; j < 17; j++)
			k->pad[j] = fz_mix(kid * 17 + j);
		fz_model *m = &f->model[FZ_BIG];
		if (m->present[kid]) {
			k->id = m->id[kid];
		} else if (insert) {
			f->r.leaf = mg_alloc(f->rt, &fz_leaf_type);
			f->r.leaf->kid = kid;
			f->r.leaf->vid = -1;
			f->r.leaf->check = fz_check(kid, UINT64_MAX);
			k->id = f->r.leaf;
			f->r.leaf = NULL;
		} /* else NULL: no key in the map has a NULL id */
		if (out != k)
			memcpy(out, k, sizeof *k);
		break;
	}
	}
}

static fz_obj *fz_new_obj(fz *f, uint32_t kid, uint32_t vid)
{
	f->r.obj = mg_alloc(f->rt, &fz_obj_type);
	f->r.obj->kid = kid;
	f->r.obj->vid = vid;
	f->r.obj->check = fz_check(kid, vid);
	fz_leaf *l = mg_alloc(f->rt, &fz_leaf_type); /* may collect: obj is rooted */
	l->kid = kid;
	l->vid = vid;
	l->check = fz_check(vid, kid);
	mg_store(f->rt, &f->r.obj->leaf, l);
	return f->r.obj;
}

/* The elem of (kid, vid) for map mi, into out (int64, fz_obj * or fz_bigelem). */
static void fz_make_elem(fz *f, int mi, uint32_t kid, uint32_t vid, void *out)
{
	switch (mi) {
	case FZ_I64:
	case FZ_STR: {
		int64_t v = (int64_t)fz_val(kid, vid);
		memcpy(out, &v, 8);
		break;
	}
	case FZ_PTR:
		fz_new_obj(f, kid, vid);
		memcpy(out, &f->r.obj, sizeof(void *));
		break;
	case FZ_BIG: {
		fz_bigelem *e = &f->r.belem;
		memset(e, 0, sizeof *e);
		e->vid = vid;
		for (unsigned j = 0; j < 16; j++)
			e->pad[j] = fz_val(kid + j, vid);
		char buf[64];
		size_t n = fz_elemstr(kid, vid, buf, sizeof buf);
		e->s = mg_string_new(f->rt, buf, n);
		e->obj = fz_new_obj(f, kid, vid); /* e->s is rooted meanwhile */
		if (out != e)
			memcpy(out, e, sizeof *e);
		break;
	}
	}
	f->r.obj = NULL;
}

/* Checks an object the map handed out (no allocation: nothing may move). */
static void fz_check_obj(fz *f, const fz_obj *o, uint32_t kid, uint32_t vid, const char *what)
{
	if (!o)
		fz_fail(f, "%s kid %u: NULL object", what, kid);
	if (mg_typeof(f->rt, o, NULL) != &fz_obj_type)
		fz_fail(f, "%s kid %u: object %p is not a live fuzz.obj (freed or reused)", what, kid, (const void *)o);
	if (o->kid != (int64_t)kid || o->vid != (int64_t)vid || o->check != fz_check(kid, vid))
		fz_fail(f, "%s kid %u: object holds kid %" PRId64 " vid %" PRId64 ", want vid %u", what, kid, o->kid,
		        o->vid, vid);
	const fz_leaf *l = o->leaf;
	if (!l || mg_typeof(f->rt, l, NULL) != &fz_leaf_type)
		fz_fail(f, "%s kid %u: object's leaf %p is not a live fuzz.leaf", what, kid, (const void *)l);
	if (l->kid != (int64_t)kid || l->vid != (int64_t)vid || l->check != fz_check(vid, kid))
		fz_fail(f, "%s kid %u: leaf contents are wrong", what, kid);
}

static void fz_check_elem(fz *f, int mi, uint32_t kid, uint32_t vid, const void *elem, const char *what)
{
	switch (mi) {
	case FZ_I64:
	case FZ_STR: {
		uint64_t v;
		memcpy(&v, elem, 8);
		if (v != fz_val(kid, vid))
			fz_fail(f, "%s map %s kid %u: elem %016" PRIx64 ", want %016" PRIx64 " (vid %u)", what,
			        fz_map_names[mi], kid, v, fz_val(kid, vid), vid);
		break;
	}
	case FZ_PTR: {
		const fz_obj *o;
		memcpy(&o, elem, sizeof o);
		fz_check_obj(f, o, kid, vid, what);
		break;
	}
	case FZ_BIG: {
		const fz_bigelem *e = elem;
		if (e->vid != (int64_t)vid)
			fz_fail(f, "%s big kid %u: elem vid %" PRId64 ", want %u", what, kid, e->vid, vid);
		for (unsigned j = 0; j < 16; j++)
			if (e->pad[j] != fz_val(kid + j, vid))
				fz_fail(f, "%s big kid %u: elem pad[%u] is wrong", what, kid, j);
		char buf[64];
		size_t n = fz_elemstr(kid, vid, buf, sizeof buf);
		if (e->s.len != n || !e->s.ptr || memcmp(e->s.ptr, buf, n) != 0)
			fz_fail(f, "%s big kid %u: elem string is wrong", what, kid);
		if (mg_typeof(f->rt, e->s.ptr, NULL) == NULL)
			fz_fail(f, "%s big kid %u: elem string %p is not a live heap object", what, kid,
			        (const void *)e->s.ptr);
		fz_check_obj(f, e->obj, kid, vid, what);
		break;
	}
	}
}

/* The kid of a key the map produced, checking everything the key holds. */
static uint32_t fz_key_kid(fz *f, int mi, const fz_model *m, const void *key)
{
	switch (mi) {
	case FZ_I64:
	case FZ_PTR: {
		int64_t k;
		memcpy(&k, key, 8);
		uint64_t kid = fz_dec(k);
		if (kid >= f->nkids)
			fz_fail(f, "map %s produced key %" PRId64 " that was never inserted", fz_map_names[mi], k);
		return (uint32_t)kid;
	}
	case FZ_STR: {
		const mg_string *s = key;
		uint64_t kid = 0;
		if (s->len > 0) {
			if (!s->ptr || s->len < 3 || s->ptr[0] != 'k')
				fz_fail(f, "map str produced a malformed key (len %zu)", s->len);
			for (size_t i = 1; i < s->len && s->ptr[i] != '-'; i++)
				kid = kid * 10 + (uint64_t)(s->ptr[i] - '0');
		}
		char buf[64];
		size_t len = fz_strkey(kid, buf, sizeof buf);
		if (kid >= f->nkids || len != s->len || (len && memcmp(buf, s->ptr, len) != 0))
			fz_fail(f, "map str produced key \"%.*s\", which was never inserted", (int)s->len,
			        s->ptr ? s->ptr : "");
		return (uint32_t)kid;
	}
	default: {
		const fz_bigkey *k = key;
		if (k->kid < 0 || (uint64_t)k->kid >= f->nkids)
			fz_fail(f, "map big produced key kid %" PRId64 ", never inserted", k->kid);
		uint32_t kid = (uint32_t)k->kid;
		for (unsigned j = 0; j < 17; j++)
			if (k->pad[j] != fz_mix(kid * 17 + j))
				fz_fail(f, "map big kid %u: key pad[%u] is wrong", kid, j);
		if (!k->id || mg_typeof(f->rt, k->id, NULL) != &fz_leaf_type)
			fz_fail(f, "map big kid %u: key identity %p is not a live fuzz.leaf", kid, (const void *)k->id);
		if (k->id->kid != (int64_t)kid || k->id->check != fz_check(kid, UINT64_MAX))
			fz_fail(f, "map big kid %u: key identity contents are wrong", kid);
		if (m->present[kid] && m->id[kid] != k->id)
			fz_fail(f, "map big kid %u: key identity %p, the model has %p", kid, (const void *)k->id,
			        (const void *)m->id[kid]);
		return kid;
	}
	}
}

/* ---- checks after operations ------------------------------------------------- */

static void fz_check_map(fz *f, int mi)
{
	mg_hmap *h = f->r.tab[mi];
	if (mg_map_len(h) != f->model[mi].count)
		fz_fail(f, "map %s: len %zu, the model has %zu", fz_map_names[mi], mg_map_len(h), f->model[mi].count);
	if (mg_map_check(f->rt, h, NULL) != 0) {
		fprintf(stderr, "fuzz_map: mg_map_check report for map %s:\n", fz_map_names[mi]);
		int bad = mg_map_check(f->rt, h, stderr);
		fz_fail(f, "map %s: mg_map_check found %d violations", fz_map_names[mi], bad);
	}
}

static void fz_check_all_maps(fz *f)
{
	for (int mi = 0; mi < FZ_NMAPS; mi++)
		fz_check_map(f, mi);
}

/* ---- operations ---------------------------------------------------------------- */

typedef union fz_buf {
	int64_t i;
	void *p;
	mg_string s;
	fz_bigkey bk;
	fz_bigelem be;
	unsigned char raw[256];
} fz_buf;

/* ---- held values ----------------------------------------------------------------- */

/* Keeps what a get or an iteration produced (kid, vid checked already). */
static void fz_hold(fz *f, int mi, uint32_t kid, uint32_t vid, const void *key, const void *elem)
{
	switch (mi) {
	case FZ_PTR:
		memcpy(&f->r.hold_pelem, elem, sizeof f->r.hold_pelem);
		f->hold_pelem_kid = kid;
		f->hold_pelem_vid = vid;
		break;
	case FZ_STR:
		if (key) {
			memcpy(&f->r.hold_skey, key, sizeof f->r.hold_skey);
			f->hold_skey_kid = kid;
			f->hold_skey_valid = true;
		}
		break;
	case FZ_BIG:
		if (key) {
			memcpy(&f->r.hold_bkey, key, sizeof f->r.hold_bkey);
			f->hold_bkey_kid = kid;
			f->hold_bkey_valid = true;
		}
		memcpy(&f->r.hold_belem, elem, sizeof f->r.hold_belem);
		f->hold_belem_kid = kid;
		f->hold_belem_vid = vid;
		break;
	}
}

/* The held values must be intact however the maps changed since. */
static void fz_check_held(fz *f)
{
	if (f->hold_pelem_vid)
		fz_check_obj(f, f->r.hold_pelem, f->hold_pelem_kid, f->hold_pelem_vid, "held ptr elem");
	if (f->hold_skey_valid) {
		char buf[64];
		uint32_t kid = f->hold_skey_kid;
		size_t len = fz_strkey(kid, buf, sizeof buf);
		const mg_string *k = &f->r.hold_skey;
		if (k->len != len || (len && memcmp(k->ptr, buf, len) != 0))
			fz_fail(f, "held str key of kid %u changed", kid);
		if (k->ptr && gc_test_color(f->rt, k->ptr) == GC_COLOR_FREE)
			fz_fail(f, "held str key of kid %u points to a freed heap slot", kid);
	}
	if (f->hold_bkey_valid) {
		const fz_bigkey *k = &f->r.hold_bkey;
		uint32_t kid = f->hold_bkey_kid;
		if (k->kid != (int64_t)kid || !k->id || mg_typeof(f->rt, k->id, NULL) != &fz_leaf_type ||
		    k->id->kid != (int64_t)kid || k->id->check != fz_check(kid, UINT64_MAX))
			fz_fail(f, "held big key of kid %u: its identity object is gone or changed", kid);
	}
	if (f->hold_belem_vid)
		fz_check_elem(f, FZ_BIG, f->hold_belem_kid, f->hold_belem_vid, &f->r.hold_belem, "held big elem");
}

static void fz_op_get(fz *f, int mi, uint32_t kid, bool hold)
{
	char sbuf[64];
	fz_buf key, out;
	fz_make_key(f, mi, kid, false, 0, &key, sbuf, sizeof sbuf);
	memset(&out, 0xa5, sizeof out);
	bool ok = mg_map_get(f->rt, f->r.tab[mi], &key, &out);
	fz_count(f);
	fz_model *m = &f->model[mi];
	if (ok != (bool)m->present[kid])
		fz_fail(f, "get map %s kid %u: found=%d, the model says %d", fz_map_names[mi], kid, ok, m->present[kid]);
	size_t esize = mi == FZ_BIG ? sizeof(fz_bigelem) : 8;
	if (ok) {
		fz_check_elem(f, mi, kid, m->vid[kid], &out, "get");
		if (hold)
			fz_hold(f, mi, kid, m->vid[kid], NULL, &out);
	} else {
		for (size_t i = 0; i < esize; i++)
			if (out.raw[i] != 0)
				fz_fail(f, "get map %s kid %u: a miss left elem_out not zeroed", fz_map_names[mi], kid);
	}
}

static void fz_op_set(fz *f, int mi, uint32_t kid, uint8_t flavour)
{
	char sbuf[64];
	fz_model *m = &f->model[mi];
	uint32_t vid = ++f->next_vid;
	/* The elem first (it allocates); then the key, whose heap parts are
	 * rooted in r.skey / r.bkey until the set copies them into the map. */
	fz_buf elem;
	fz_make_elem(f, mi, kid, vid, &elem);
	if (mi == FZ_PTR)
		f->r.obj = elem.p; /* keep it rooted while the key is made */
	int64_t ik = fz_enc(kid);
	const void *kp = &ik;
	if (mi == FZ_STR) {
		fz_make_key(f, mi, kid, true, flavour, &f->r.skey, sbuf, sizeof sbuf);
		kp = &f->r.skey;
	} else if (mi == FZ_BIG) {
		fz_make_key(f, mi, kid, true, flavour, &f->r.bkey, sbuf, sizeof sbuf);
		kp = &f->r.bkey;
	}
	const void *ep = mi == FZ_BIG ? (const void *)&f->r.belem : mi == FZ_PTR ? (const void *)&f->r.obj
	                                                                           : (const void *)&elem;
	mg_map_set(f->rt, f->r.tab[mi], kp, ep);
	fz_count(f);
	if (!m->present[kid]) {
		m->present[kid] = 1;
		m->count++;
		m->gen[kid] = ++f->next_gen;
		if (mi == FZ_BIG)
			m->id[kid] = f->r.bkey.id;
	}
	m->vid[kid] = vid;
	memset(&f->r.bkey, 0, sizeof f->r.bkey);
	memset(&f->r.belem, 0, sizeof f->r.belem);
	f->r.skey = (mg_string){NULL, 0};
	f->r.obj = NULL;
	fz_check_map(f, mi);
}

static void fz_iter_drop(fz *f, int slot);

static void fz_forget(fz_model *m, uint32_t kid)
{
	if (m->present[kid]) {
		m->present[kid] = 0;
		m->count--;
		m->id[kid] = NULL;
	}
}

static void fz_op_delete(fz *f, int mi, uint32_t kid)
{
	char sbuf[64];
	fz_buf key;
	fz_make_key(f, mi, kid, false, 0, &key, sbuf, sizeof sbuf);
	mg_map_delete(f->rt, f->r.tab[mi], &key);
	fz_count(f);
	fz_forget(&f->model[mi], kid);
	fz_check_map(f, mi);
}

static void fz_op_clear(fz *f, int mi)
{
	mg_map_clear(f->rt, f->r.tab[mi]);
	fz_count(f);
	for (uint32_t k = 0; k < f->nkids; k++)
		fz_forget(&f->model[mi], k);
	fz_check_map(f, mi);
}

/* Looks up every key the model has (and every kid it lacks): after a
 * collection, this is where a freed value shows. */
static void fz_verify_map(fz *f, int mi)
{
	for (uint32_t k = 0; k < f->nkids; k++)
		fz_op_get(f, mi, k, false);
	fz_check_map(f, mi);
}

static void fz_iter_drop(fz *f, int slot)
{
	fz_iter *it = &f->it[slot];
	if (it->frozen) {
		fz_model_free(it->model);
		free(it->model);
	}
	free(it->start_gen);
	free(it->prod_gen);
	memset(it, 0, sizeof *it);
	f->r.it[slot] = NULL;
}

static void fz_op_iter_start(fz *f, int slot, int mi)
{
	fz_iter_drop(f, slot);
	fz_iter *it = &f->it[slot];
	f->r.it[slot] = mg_map_iter(f->rt, f->r.tab[mi]);
	fz_count(f);
	it->active = true;
	it->map = mi;
	it->model = &f->model[mi];
	it->start_gen = calloc(f->nkids, sizeof *it->start_gen);
	it->prod_gen = calloc(f->nkids, sizeof *it->prod_gen);
	if (!it->start_gen || !it->prod_gen)
		abort();
	for (uint32_t k = 0; k < f->nkids; k++)
		if (it->model->present[k])
			it->start_gen[k] = it->model->gen[k];
	fz_check_map(f, mi);
}

static void fz_iter_finished(fz *f, int slot)
{
	fz_iter *it = &f->it[slot];
	const fz_model *m = it->model;
	for (uint32_t k = 0; k < f->nkids; k++)
		if (it->start_gen[k] && m->present[k] && m->gen[k] == it->start_gen[k] && it->prod_gen[k] != m->gen[k])
			fz_fail(f, "iterator %d over map %s%s ended without producing kid %u, present all along", slot,
			        fz_map_names[it->map], it->frozen ? " (replaced)" : "", k);
	fz_iter_drop(f, slot);
}

static void fz_op_iter_next(fz *f, int slot, unsigned steps, bool hold)
{
	fz_iter *it = &f->it[slot];
	if (!it->active)
		return;
	for (unsigned s = 0; s < steps; s++) {
		fz_buf key, elem;
		memset(&key, 0, sizeof key);
		memset(&elem, 0, sizeof elem);
		bool ok = mg_map_next(f->rt, f->r.it[slot], &key, &elem);
		fz_count(f);
		if (!ok) {
			fz_iter_finished(f, slot);
			return;
		}
		const fz_model *m = it->model;
		uint32_t kid = fz_key_kid(f, it->map, m, &key);
		if (!m->present[kid])
			fz_fail(f, "iterator %d over map %s produced kid %u, which is not in the map", slot,
			        fz_map_names[it->map], kid);
		if (it->prod_gen[kid] == m->gen[kid])
			fz_fail(f, "iterator %d over map %s produced kid %u twice (entry %u)", slot, fz_map_names[it->map],
			        kid, m->gen[kid]);
		it->prod_gen[kid] = m->gen[kid];
		it->produced++;
		fz_check_elem(f, it->map, kid, m->vid[kid], &elem, "iteration");
		if (hold)
			fz_hold(f, it->map, kid, m->vid[kid], &key, &elem);
	}
}

/* Replaces map mi by a new one with a size hint; iterators over the old
 * map keep it alive and go on against a frozen copy of its model. */
static void fz_op_newmap(fz *f, int mi, size_t hint)
{
	for (int s = 0; s < FZ_NITERS; s++) {
		fz_iter *it = &f->it[s];
		if (it->active && !it->frozen && it->map == mi) {
			it->model = fz_model_clone(&f->model[mi], f->nkids);
			it->frozen = true;
		}
	}
	mg_hmap *nm = mg_map_new(f->rt, f->mt[mi], hint);
	mg_store(f->rt, &f->r.tab[mi], nm); /* the old map: garbage, or kept by an iterator */
	fz_count(f);
	fz_model *m = &f->model[mi];
	memset(m->present, 0, f->nkids);
	memset(m->id, 0, f->nkids * sizeof *m->id);
	m->count = 0;
	fz_check_map(f, mi);
}

/* Reads and clears through a nil map behave as on an empty map. */
static void fz_op_nil(fz *f, int mi, uint32_t kid)
{
	char sbuf[64];
	fz_buf key, out;
	fz_make_key(f, mi, kid, false, 0, &key, sbuf, sizeof sbuf);
	memset(&out, 0x5a, sizeof out);
	if (mg_map_get(f->rt, NULL, &key, &out) || out.raw[0] != 0x5a)
		fz_fail(f, "a nil map found a key or touched elem_out");
	mg_map_delete(f->rt, NULL, &key);
	mg_map_clear(f->rt, NULL);
	if (mg_map_len(NULL) != 0)
		fz_fail(f, "len(nil map) != 0");
	mg_hiter *it = mg_map_iter(f->rt, NULL);
	if (mg_map_next(f->rt, it, &key, &out))
		fz_fail(f, "iterating a nil map produced an entry");
	f->ops += 5;
	fz_total_ops += 5;
}

static void fz_op_garbage(fz *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		fz_obj *o = fz_new_obj(f, 0, 0);
		f->r.garbage = o;
		f->r.obj = NULL;
		mg_safepoint(f->rt);
	}
}

static void fz_check_shelves(fz *f);

static void fz_after_gc(fz *f)
{
	for (int mi = 0; mi < FZ_NMAPS; mi++)
		fz_verify_map(f, mi);
	fz_check_shelves(f);
	fz_check_held(f);
}

/* ---- shelves ------------------------------------------------------------------ */

static void fz_check_shelves(fz *f)
{
	for (int s = 0; s < FZ_NSHELVES; s++)
		for (unsigned i = 0; i < FZ_SHELF; i++) {
			void *p = f->r.shelf[s][i];
			if (f->shelf_vid[s][i] == 0) {
				if (p)
					fz_fail(f, "shelf %d slot %u holds %p, the model says NULL", s, i, p);
				continue;
			}
			fz_check_obj(f, p, f->shelf_kid[s][i], f->shelf_vid[s][i], "shelf");
		}
}

static void fz_op_shelf_put(fz *f, int s, unsigned i, uint32_t kid)
{
	uint32_t vid = ++f->next_vid;
	fz_obj *o = fz_new_obj(f, kid, vid); /* rooted in r.obj */
	mg_store(f->rt, &f->r.shelf[s][i], o);
	f->r.obj = NULL;
	f->shelf_kid[s][i] = kid;
	f->shelf_vid[s][i] = vid;
}

/* n slots from shelf `from` at i to shelf `to` at j, memmove semantics. */
static void fz_op_shelf_copy(fz *f, int from, unsigned i, int to, unsigned j, unsigned n)
{
	if (n > FZ_SHELF - i)
		n = FZ_SHELF - i;
	if (n > FZ_SHELF - j)
		n = FZ_SHELF - j;
	mg_typed_copy(f->rt, &mg_type_ptr, &f->r.shelf[to][j], &f->r.shelf[from][i], n);
	memmove(&f->shelf_kid[to][j], &f->shelf_kid[from][i], n * sizeof f->shelf_kid[0][0]);
	memmove(&f->shelf_vid[to][j], &f->shelf_vid[from][i], n * sizeof f->shelf_vid[0][0]);
}

static void fz_op_shelf_clear(fz *f, int s, unsigned i, unsigned n)
{
	if (n > FZ_SHELF - i)
		n = FZ_SHELF - i;
	mg_typed_clear(f->rt, &mg_type_ptr, &f->r.shelf[s][i], n);
	memset(&f->shelf_vid[s][i], 0, n * sizeof f->shelf_vid[0][0]);
}

/* The ptr map's object for kid onto a shelf; with flags bit 0 the key is
 * then deleted, so the shelf holds the only reference. */
static void fz_op_shelf_from_map(fz *f, int s, unsigned i, uint32_t kid, uint8_t flags)
{
	fz_model *m = &f->model[FZ_PTR];
	if (!m->present[kid])
		return;
	int64_t k = fz_enc(kid);
	void *o = NULL;
	if (!mg_map_get(f->rt, f->r.tab[FZ_PTR], &k, &o))
		fz_fail(f, "get map ptr kid %u: missing, the model has it", kid);
	fz_count(f);
	fz_check_obj(f, o, kid, m->vid[kid], "shelf-from-map");
	mg_store(f->rt, &f->r.shelf[s][i], o);
	f->shelf_kid[s][i] = kid;
	f->shelf_vid[s][i] = m->vid[kid];
	if (flags & 1) {
		mg_map_delete(f->rt, f->r.tab[FZ_PTR], &k);
		fz_count(f);
		fz_forget(m, kid);
	}
	fz_check_map(f, FZ_PTR);
}

/* A shelf's object into the ptr map under its own kid; with flags bit 0
 * the shelf slot is then cleared (mg_typed_clear), with bit 1 stored NULL
 * (mg_store), so the map holds the only reference. */
static void fz_op_shelf_to_map(fz *f, int s, unsigned i, uint8_t flags)
{
	if (f->shelf_vid[s][i] == 0)
		return;
	uint32_t kid = f->shelf_kid[s][i], vid = f->shelf_vid[s][i];
	fz_model *m = &f->model[FZ_PTR];
	f->r.obj = f->r.shelf[s][i]; /* the set may allocate: keep it rooted */
	int64_t k = fz_enc(kid);
	mg_map_set(f->rt, f->r.tab[FZ_PTR], &k, &f->r.obj);
	fz_count(f);
	f->r.obj = NULL;
	if (!m->present[kid]) {
		m->present[kid] = 1;
		m->count++;
		m->gen[kid] = ++f->next_gen;
	}
	m->vid[kid] = vid;
	if (flags & 1) {
		mg_typed_clear(f->rt, &mg_type_ptr, &f->r.shelf[s][i], 1);
		f->shelf_vid[s][i] = 0;
	} else if (flags & 2) {
		mg_store(f->rt, &f->r.shelf[s][i], NULL);
		f->shelf_vid[s][i] = 0;
	}
	fz_check_map(f, FZ_PTR);
}

/* ---- the interpreter ------------------------------------------------------------ */

/* The operations, by opcode (low 5 bits of the opcode byte); repeated
 * entries weight the common ones.  tests/fuzz/gen_map_seeds.py writes
 * seeds by these numbers: change both together. */
#define FZ_OP_LIST(X) \
	X(SET, "set") X(SET2, "set") X(SET3, "set") \
	X(GET, "get") X(GET2, "get") \
	X(DEL, "delete") X(DEL2, "delete") \
	X(CLEAR, "clear") \
	X(FILL, "fill") X(DRAIN, "drain") \
	X(NEWMAP, "newmap") \
	X(ITER, "iter") X(NEXT, "next") X(NEXT2, "next") \
	X(NIL, "nil") X(GARBAGE, "garbage") X(SAFEPOINT, "safepoint") \
	X(GC, "gc") X(MARK_BEGIN, "mark-begin") X(MARK_STEP, "mark-step") X(MARK_STEP2, "mark-step") \
	X(MARK_FINISH, "mark-finish") X(HEAPCHECK, "heapcheck") X(VERIFY, "verify") X(SWEEP, "sweep-all") \
	X(SHELF_PUT, "shelf-put") X(SHELF_COPY, "shelf-copy") X(SHELF_CLEAR, "shelf-clear") \
	X(SHELF_FROM_MAP, "shelf-from-map") X(SHELF_TO_MAP, "shelf-to-map")

enum {
#define FZ_X_ENUM(id, name) FZ_OP_##id,
	FZ_OP_LIST(FZ_X_ENUM)
#undef FZ_X_ENUM
	FZ_NOPS
};
static const char *const fz_op_names[FZ_NOPS] = {
#define FZ_X_NAME(id, name) [FZ_OP_##id] = name,
	FZ_OP_LIST(FZ_X_NAME)
#undef FZ_X_NAME
};
_Static_assert(FZ_NOPS <= 32, "the opcode byte has 5 bits for the operation");

static void fz_step(fz *f)
{
	uint8_t b = fz_byte(f);
	unsigned op = (b & 31u) % FZ_NOPS;
	int mi = (b >> 5) & 3;
	int slot = (b >> 7) & 1;
	f->opname = fz_op_names[op];
	switch (op) {
	case FZ_OP_SET:
	case FZ_OP_SET2:
	case FZ_OP_SET3: {
		uint32_t kid = fz_kid(f);
		fz_op_set(f, mi, kid, fz_byte(f));
		break;
	}
	case FZ_OP_GET:
	case FZ_OP_GET2:
		fz_op_get(f, mi, fz_kid(f), slot); /* the slot bit: hold the elem read */
		break;
	case FZ_OP_DEL:
	case FZ_OP_DEL2:
		fz_op_delete(f, mi, fz_kid(f));
		break;
	case FZ_OP_CLEAR:
		fz_op_clear(f, mi);
		break;
	case FZ_OP_FILL: {
		/* A run of consecutive kids: up to 1024 sets, to reach big B. */
		uint32_t kid = fz_kid(f);
		unsigned n = 4u * (1u + fz_byte(f));
		uint8_t flavour = fz_byte(f);
		for (unsigned i = 0; i < n && fz_budget_left(f); i++)
			fz_op_set(f, mi, (kid + i) % f->nkids, (uint8_t)(flavour + i));
		break;
	}
	case FZ_OP_DRAIN: {
		uint32_t kid = fz_kid(f);
		unsigned n = 4u * (1u + fz_byte(f));
		for (unsigned i = 0; i < n && fz_budget_left(f); i++)
			fz_op_delete(f, mi, (kid + i) % f->nkids);
		break;
	}
	case FZ_OP_NEWMAP:
		fz_op_newmap(f, mi, (size_t)fz_byte(f) * 9);
		break;
	case FZ_OP_ITER:
		fz_op_iter_start(f, slot, mi);
		break;
	case FZ_OP_NEXT:
	case FZ_OP_NEXT2: {
		uint8_t a = fz_byte(f);
		fz_op_iter_next(f, slot, 1u + (a & 15u), a & 16u); /* bit 4: hold the last entry */
		break;
	}
	case FZ_OP_NIL:
		fz_op_nil(f, mi, fz_kid(f));
		break;
	case FZ_OP_GARBAGE:
		fz_op_garbage(f, 1u + (fz_byte(f) & 63u));
		break;
	case FZ_OP_SAFEPOINT:
		for (unsigned i = 0, n = 1u + fz_byte(f); i < n; i++)
			mg_safepoint(f->rt);
		break;
	case FZ_OP_GC:
		mg_gc(f->rt);
		fz_after_gc(f);
		break;
	case FZ_OP_MARK_BEGIN:
		gc_test_begin_mark(f->rt);
		break;
	case FZ_OP_MARK_STEP:
	case FZ_OP_MARK_STEP2: {
		/* A budget from 1 byte (one object) to 32 KiB. */
		size_t budget = (size_t)1 << (fz_byte(f) % 16);
		if (gc_test_phase(f->rt) == GC_MARK)
			gc_test_mark_step(f->rt, budget);
		break;
	}
	case FZ_OP_MARK_FINISH:
		if (gc_test_phase(f->rt) == GC_MARK) {
			gc_test_finish_mark(f->rt);
			fz_after_gc(f);
		}
		break;
	case FZ_OP_HEAPCHECK: {
		int bad = gc_test_heap_check(f->rt, stderr);
		if (bad)
			fz_fail(f, "heap verifier: %d violations (phase %s)", bad, mg_phase_name(gc_test_phase(f->rt)));
		break;
	}
	case FZ_OP_VERIFY:
		fz_verify_map(f, mi);
		fz_check_shelves(f);
		fz_check_held(f);
		break;
	case FZ_OP_SHELF_PUT: {
		unsigned i = fz_byte(f) % FZ_SHELF;
		fz_op_shelf_put(f, mi & 1, i, fz_kid(f));
		break;
	}
	case FZ_OP_SHELF_COPY: {
		unsigned i = fz_byte(f) % FZ_SHELF, j = fz_byte(f) % FZ_SHELF;
		fz_op_shelf_copy(f, mi & 1, i, mi >> 1, j, 1u + fz_byte(f) % 16u);
		break;
	}
	case FZ_OP_SHELF_CLEAR: {
		unsigned i = fz_byte(f) % FZ_SHELF;
		fz_op_shelf_clear(f, mi & 1, i, 1u + fz_byte(f) % 16u);
		break;
	}
	case FZ_OP_SHELF_FROM_MAP: {
		unsigned i = fz_byte(f) % FZ_SHELF;
		uint32_t kid = fz_kid(f);
		fz_op_shelf_from_map(f, mi & 1, i, kid, fz_byte(f));
		break;
	}
	case FZ_OP_SHELF_TO_MAP: {
		unsigned i = fz_byte(f) % FZ_SHELF;
		fz_op_shelf_to_map(f, mi & 1, i, fz_byte(f));
		break;
	}
	case FZ_OP_SWEEP:
		if (gc_test_phase(f->rt) != GC_MARK)
			gc_test_sweep_all(f->rt);
		break;
	}
}

/* ---- one input -------------------------------------------------------------------- */

static void fz_configure(fz *f, mg_config *cfg)
{
	static const int gogc[4] = {100, 10, 1, 1};
	static const uint64_t gcevery[8] = {0, 0, 0, 0, 1, 5, 31, 257};
	static const mg_barrier wb[4] = {MG_WB_HYBRID, MG_WB_YUASA, MG_WB_DIJKSTRA, MG_WB_HYBRID};
	uint8_t h0 = fz_byte(f), h1 = fz_byte(f), h2 = fz_byte(f), h3 = fz_byte(f);
	mg_config_default(cfg);
	cfg->ignore_env = true;
	cfg->checkmark = 1;
	cfg->wb = wb[h0 & 3];
	cfg->gogc = gogc[(h0 >> 3) & 3];
	cfg->gcevery = gcevery[h0 >> 5];
	cfg->mark_slice = (size_t)64 << (h1 & 7);
	/* The heap verifier walks the whole heap after every slice: with
	 * collections at nearly every allocation, or slices of a few objects,
	 * that is quadratic.  So it comes with rare cycles and slices of at
	 * least 4 KiB (the HEAPCHECK operation checks between any operations). */
	cfg->heapcheck = (h0 >> 2) & 1 && (cfg->gcevery == 0 || cfg->gcevery > 31);
	if (cfg->heapcheck && cfg->mark_slice < 4096)
		cfg->mark_slice = 4096;
	f->nkids = 16u << ((h1 >> 3) & 7);
	cfg->stoptheworld = (h1 >> 6) & 1;
	cfg->seed = (uint64_t)h2 | (uint64_t)h3 << 8;
	cfg->seed_set = true;
}

static void fz_open(fz *f, const uint8_t *data, size_t size)
{
	memset(f, 0, sizeof *f);
	f->p = data;
	f->end = data + size;
	mg_config cfg;
	fz_configure(f, &cfg);
	bool hints = (size > 1 && (data[1] & 0x80));
	f->rt = mg_open(&cfg);
	mg_set_failure_handler(f->rt, fz_on_failure, f);
	const char *brk = getenv("MAPGC_FUZZ_BREAK");
	if (brk && strcmp(brk, "evac") == 0)
		map_test_set_evac_barrier(f->rt, false);
	mg_scope_enter(f->rt, &f->scope);
	mg_root(f->rt, &f->r.tab, "fuzz.maps");
	for (int i = 0; i < FZ_NSHELVES; i++)
		mg_root(f->rt, &f->r.shelf[i], "fuzz.shelf");
	for (int i = 0; i < FZ_NITERS; i++)
		mg_root(f->rt, &f->r.it[i], "fuzz.iter");
	mg_root(f->rt, &f->r.skey, "fuzz.skey");
	mg_root(f->rt, &f->r.obj, "fuzz.obj");
	mg_root(f->rt, &f->r.leaf, "fuzz.leaf");
	mg_root(f->rt, &f->r.bkey.id, "fuzz.bkey.id");
	mg_root(f->rt, &f->r.belem.obj, "fuzz.belem.obj");
	mg_root(f->rt, &f->r.belem.s, "fuzz.belem.s");
	mg_root(f->rt, &f->r.garbage, "fuzz.garbage");
	mg_root(f->rt, &f->r.hold_pelem, "fuzz.hold.pelem");
	mg_root(f->rt, &f->r.hold_skey, "fuzz.hold.skey");
	mg_root(f->rt, &f->r.hold_bkey.id, "fuzz.hold.bkey.id");
	mg_root(f->rt, &f->r.hold_belem.obj, "fuzz.hold.belem.obj");
	mg_root(f->rt, &f->r.hold_belem.s, "fuzz.hold.belem.s");
	f->mt[FZ_I64] = mg_maptype_get(f->rt, &mg_type_int64, &mg_type_int64);
	f->mt[FZ_STR] = mg_maptype_get(f->rt, &mg_type_string, &mg_type_int64);
	f->mt[FZ_PTR] = mg_maptype_get(f->rt, &mg_type_int64, &mg_type_ptr);
	f->mt[FZ_BIG] = mg_maptype_get(f->rt, &fz_bigkey_type, &fz_bigelem_type);
	f->r.tab = mg_alloc_array(f->rt, &mg_type_ptr, FZ_NMAPS);
	for (int i = 0; i < FZ_NSHELVES; i++)
		f->r.shelf[i] = mg_alloc_array(f->rt, &mg_type_ptr, FZ_SHELF);
	for (int i = 0; i < FZ_NMAPS; i++) {
		fz_model_alloc(&f->model[i], f->nkids);
		mg_hmap *m = mg_map_new(f->rt, f->mt[i], hints ? (size_t)(i * 20) : 0);
		mg_store(f->rt, &f->r.tab[i], m);
	}
}

static void fz_close(fz *f)
{
	for (int s = 0; s < FZ_NITERS; s++)
		fz_iter_drop(f, s);
	mg_scope_leave(f->rt, &f->scope);
	mg_close(f->rt);
	for (int i = 0; i < FZ_NMAPS; i++)
		fz_model_free(&f->model[i]);
	for (uint32_t k = 0; k < FZ_MAX_KIDS; k++)
		free(f->cstr[k]);
}

/* Inputs must replay the same way every time, but the big map's keys hold
 * a pointer and hash bytewise (identity keys, as in Go), so where they land
 * depends on where the heap was mapped — on address-space randomisation.
 * So the process re-executes itself once with randomisation off (Linux
 * personality ADDR_NO_RANDOMIZE, what `setarch -R` does), for libFuzzer and
 * the replay driver alike.  MAPGC_FUZZ_ASLR=1 keeps randomisation; under
 * Valgrind (which lays out memory itself) nothing is done. */
static void fz_no_aslr(char **argv)
{
	const char *keep = getenv("MAPGC_FUZZ_ASLR");
	const char *preload = getenv("LD_PRELOAD");
	if ((keep && strcmp(keep, "1") == 0) || (preload && strstr(preload, "vgpreload")))
		return;
	int p = personality(0xffffffff);
	if (p == -1 || (p & ADDR_NO_RANDOMIZE))
		return;
	if (personality((unsigned long)p | ADDR_NO_RANDOMIZE) == -1)
		return;
	execv("/proc/self/exe", argv);
	/* Could not re-execute: go on with randomisation (inputs may then replay
	 * differently where big-map keys collide by address). */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	fz_no_aslr(*argv);
	fz_start_clock();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fz f; /* static: ~20 KiB of scratch, and reachable for LeakSanitizer */
	fz_start_clock();
	fz_total_inputs++;
	fz_open(&f, data, size);
	while (f.p < f.end && fz_budget_left(&f)) {
		f.opno++;
		fz_step(&f);
	}
	/* Finish: drain the iterators, a last forced cycle, full verification. */
	f.opname = "final";
	for (int s = 0; s < FZ_NITERS; s++)
		while (f.it[s].active)
			fz_op_iter_next(&f, s, 64, false);
	mg_gc(f.rt);
	fz_after_gc(&f);
	fz_check_all_maps(&f);
	fz_close(&f);
	return 0;
}
