/*
 * map_kinds.h — a reference model for map tests (prefix mapt_), kept outside
 * the collected heap, and the key/elem "kinds" the model drives.
 *
 * Keys and elems are functions of small integers: a key id (kid) and a
 * value id (vid, one per assignment).  From (kid, vid) a kind builds the
 * actual key and elem, and from a key the map hands back it recovers the
 * kid, so an iteration can be checked against the model exactly.
 *
 *   kind        key                                 elem
 *   i64_i64     int64 enc(kid)                      int64 mix(kid, vid)   (noscan buckets)
 *   str_i64     string "k<kid>...", heap or not     int64
 *   i64_str     int64                               string, heap or a literal
 *   ptr_ptr     *mapt_obj (identity)                *mapt_obj {kid, vid} or nil
 *   struct      mapt_ukey {kid, *obj, salt}         mapt_uelem {*a, vid, s, *b}
 *   big         mapt_bigkey (160 B, indirect)       mapt_bigelem (200 B, indirect, 2 ptrs)
 *
 * Identity keys (ptr_ptr, struct) are fresh heap objects made when a kid is
 * inserted; the model remembers their address without rooting it, so only
 * the map keeps them alive: a key object the collector frees shows up as a
 * wrong or duplicate key.  Elem objects are made per assignment and are
 * likewise held only by the map; every read checks their contents and type.
 *
 * The model: for every kid, present / vid / key identity, plus a dense list
 * of present kids.  mapt_m_* do one operation on map and model and assert
 * they agree; mapt_m_check asserts len and mg_map_check after it.  Every
 * assertion message carries the seed (mgt_current_seed) and op number.
 */
#ifndef MAPT_KINDS_H
#define MAPT_KINDS_H

#include "runtime/mapgc.h"
#include "tests/support/mgt.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum mapt_kind {
	MAPT_I64_I64,
	MAPT_STR_I64,
	MAPT_I64_STR,
	MAPT_PTR_PTR,
	MAPT_STRUCT,
	MAPT_BIG,
	MAPT_NKINDS
} mapt_kind;

const char *mapt_kind_name(mapt_kind k);

/* A noscan heap object with a check word: keys of ptr_ptr/struct, elem payloads. */
typedef struct mapt_obj {
	int64_t kid;
	int64_t vid;
	uint64_t check;
} mapt_obj;
extern const mg_type mapt_obj_type;
uint64_t mapt_obj_check(int64_t kid, int64_t vid);

typedef struct mapt_ukey {
	int64_t kid;
	mapt_obj *obj;
	int64_t salt;
} mapt_ukey;
extern const mg_type mapt_ukey_type;

typedef struct mapt_uelem {
	mapt_obj *a;
	int64_t vid;
	mg_string s;
	mapt_obj *b;
} mapt_uelem;
extern const mg_type mapt_uelem_type;

typedef struct mapt_bigkey {
	int64_t kid;
	uint64_t w[19];
} mapt_bigkey;
extern const mg_type mapt_bigkey_type;

typedef struct mapt_bigelem {
	mapt_obj *obj;
	int64_t vid;
	uint64_t pad[21];
	mg_string s;
} mapt_bigelem;
extern const mg_type mapt_bigelem_type;

int64_t mapt_enc_i64(uint64_t kid);
uint64_t mapt_dec_i64(int64_t key);
uint64_t mapt_mix(uint64_t a, uint64_t b);

#define MAPT_BUF 256

typedef struct mapt_ctx {
	mg_runtime *rt;
	mapt_kind kind;
	const mg_type *ktype, *etype;
	const mg_maptype *mt;
	mgt_rng *rng;
	uint64_t nkids;
	/* the model */
	uint8_t *present;
	uint32_t *vid;
	void **keyobj;          /* identity keys: the address the map holds (not rooted) */
	uint32_t *plist, *ppos; /* dense list of present kids */
	size_t count;
	uint32_t next_vid;
	uint32_t *seen;         /* iteration stamps */
	uint32_t epoch;
	char **strs;            /* non-heap key strings per kid (malloc'd, kept to the end) */
	char strbuf[64];        /* a third copy of a key's bytes, for lookups */
	uint64_t ops;           /* operations done (for messages) */
	uint64_t iterations;    /* full iterations checked */
	/* rooted scratch: key, elem and get output, and an iterator */
	mg_scope scope;
	_Alignas(8) unsigned char key[MAPT_BUF];
	_Alignas(8) unsigned char elem[MAPT_BUF];
	_Alignas(8) unsigned char out[MAPT_BUF];
	_Alignas(8) unsigned char okey[MAPT_BUF];
	mg_hiter *it;
	void *garbage;
} mapt_ctx;

/* Enters a scope (left by mapt_ctx_free) that roots the scratch buffers. */
void mapt_ctx_init(mapt_ctx *c, mg_runtime *rt, mgt_rng *rng, mapt_kind kind, uint64_t nkids);
void mapt_ctx_free(mapt_ctx *c);
/* Forgets the model (for a new map); the key strings are kept. */
void mapt_ctx_reset(mapt_ctx *c);

/* Builds the key of kid into c->key.  insert: an absent identity key gets a
 * fresh heap object; otherwise an absent identity key is a value no map
 * holds.  String keys take one of three copies of the same bytes at random
 * (heap, malloc'd, c->strbuf; the last only when !insert). */
void mapt_make_key(mapt_ctx *c, uint64_t kid, bool insert);
/* Builds the elem of (kid, vid) into c->elem (may allocate). */
void mapt_make_elem(mapt_ctx *c, uint64_t kid, uint32_t vid);
/* Checks an elem the map produced; false with a reason in why. */
bool mapt_elem_ok(mapt_ctx *c, uint64_t kid, uint32_t vid, const void *elem, char *why, size_t n);
/* Recovers the kid of a key the map produced (and checks its identity
 * object / bytes); false with a reason. */
bool mapt_key_kid(mapt_ctx *c, const void *key, uint64_t *kid, char *why, size_t n);
/* Kinds whose key is a pure function of kid can be hashed without
 * allocating; for them, the bucket kid lands in under the map's hash0 and B. */
bool mapt_kind_hashable(mapt_kind k);
uint64_t mapt_key_bucket(mapt_ctx *c, const mg_hmap *m, uint64_t kid);

/* ---- model operations (each asserts map == model) ----------------------- */

mg_hmap *mapt_m_new(mapt_ctx *c, size_t hint);   /* caller roots the result */
void mapt_m_set(mapt_ctx *c, mg_hmap *m, uint64_t kid);
void mapt_m_get(mapt_ctx *c, mg_hmap *m, uint64_t kid);
void mapt_m_delete(mapt_ctx *c, mg_hmap *m, uint64_t kid);
void mapt_m_clear(mapt_ctx *c, mg_hmap *m);
/* A full iteration, checked: every present kid exactly once with its elem.
 * garbage_every > 0: allocate garbage every that many steps (collections
 * mid-iteration under gcevery). */
void mapt_m_iterate(mapt_ctx *c, mg_hmap *m, unsigned garbage_every);
/* Looks up every present kid. */
void mapt_m_verify_all(mapt_ctx *c, mg_hmap *m);
/* len == model count and mg_map_check == 0. */
void mapt_m_check(mapt_ctx *c, mg_hmap *m);
uint64_t mapt_m_random_present(mapt_ctx *c);
void mapt_garbage(mapt_ctx *c, unsigned n);

/* mg_map_check with the report in the assertion message. */
void mapt_assert_map_ok(mg_runtime *rt, const mg_hmap *m, const char *ctxfmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- watching growth ----------------------------------------------------- */

typedef struct mapt_growwatch {
	unsigned doublings;   /* B increments seen */
	unsigned samesize;    /* same-size grows seen start */
	unsigned prevB;
	bool prev_growing, prev_same;
	const mg_hmap *m;
} mapt_growwatch;

void mapt_grow_observe(mapt_growwatch *g, const mg_hmap *m);

#endif /* MAPT_KINDS_H */
