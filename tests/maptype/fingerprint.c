/*
 * fingerprint.c — the iterator fingerprint (MAPGC_DEBUG=mapitercheck=1):
 * by default an iterator alive across mg_map_clear is legal and yields
 * nothing cleared (Go 1.21, issue #59411); with mapitercheck on, using it is
 * a fatal error.  Both directions are tested, so the check is shown to fire
 * and shown not to fire on legal use.
 */
#include "tests/support/mgt.h"
#include "maptype/map.h"

#include <criterion/criterion.h>
#include <string.h>

static mg_runtime *open_check(int on)
{
	mg_config cfg;
	mgt_config(&cfg);
	cfg.mapitercheck = on;
	return mgt_open(&cfg);
}

static mg_hmap *filled(mg_runtime *rt, int64_t n)
{
	const mg_maptype *t = mg_maptype_get(rt, &mg_type_int64, &mg_type_int64);
	mg_hmap *m = mg_map_new(rt, t, 0);
	for (int64_t i = 0; i < n; i++)
		mg_map_set(rt, m, &i, &i);
	return m;
}

Test(fingerprint, iterator_after_clear_is_fatal_when_checked)
{
	mg_runtime *rt = open_check(1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_hmap *m = NULL;
	mg_hiter *it = NULL;
	mg_root(rt, &m, "m");
	mg_root(rt, &it, "it");
	m = filled(rt, 100);
	it = mg_map_iter(rt, m);
	int64_t k, v;
	cr_assert(mg_map_next(rt, it, &k, &v));
	mg_map_clear(rt, m);
	MGT_EXPECT_FAILURE(MG_FATAL, mg_map_next(rt, it, &k, &v));
	cr_assert_str_eq(mgt_last_failure.msg, "map iterator used after its map was cleared");
	mgt_close(rt);
}

Test(fingerprint, iterator_without_clear_is_not_flagged)
{
	mg_runtime *rt = open_check(1);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_hmap *m = NULL;
	mg_hiter *it = NULL;
	mg_root(rt, &m, "m");
	mg_root(rt, &it, "it");
	m = filled(rt, 100);
	it = mg_map_iter(rt, m);
	int64_t k, v, n = 0;
	while (mg_map_next(rt, it, &k, &v)) {
		int64_t fresh = 1000 + n; /* mutation other than clear stays legal */
		mg_map_set(rt, m, &fresh, &fresh);
		n++;
	}
	cr_assert_geq(n, 100);
	mgt_close(rt);
}

/* Without the check the same program is legal: nothing cleared comes out,
 * only what was inserted after the clear may. */
Test(fingerprint, iterator_after_clear_is_legal_by_default)
{
	mg_runtime *rt = open_check(0);
	mg_scope s;
	mg_scope_enter(rt, &s);
	mg_hmap *m = NULL;
	mg_hiter *it = NULL;
	mg_root(rt, &m, "m");
	mg_root(rt, &it, "it");
	m = filled(rt, 100);
	it = mg_map_iter(rt, m);
	int64_t k, v;
	cr_assert(mg_map_next(rt, it, &k, &v));
	mg_map_clear(rt, m);
	int64_t fresh = 5000;
	mg_map_set(rt, m, &fresh, &fresh);
	while (mg_map_next(rt, it, &k, &v))
		cr_assert_eq(k, 5000, "produced %lld, which was cleared", (long long)k);
	mgt_close(rt);
}

/* The 8-byte fast path splits XXH3_64bits_withSeed in two (a per-seed
 * constant kept in the hmap, and the per-key mix); it must stay bit-
 * identical to the library call, or the verifier (which uses the library
 * call) and the map would disagree about where keys live. */
Test(hashing, fast_path_is_xxh3)
{
	mgt_rng r;
	mgt_rng_init(&r, 77);
	for (int i = 0; i < 100000; i++) {
		uint32_t seed = (uint32_t)mgt_rng_next(&r);
		uint64_t k = i < 16 ? (uint64_t)i : mgt_rng_next(&r);
		cr_assert_eq(map_hash8(k, map_seedflip(seed)), XXH3_64bits_withSeed(&k, 8, seed),
		             "key %llu seed %u", (unsigned long long)k, seed);
	}
}

/* Short string keys call XXH3's 0-16 byte branch directly (map_hash_k);
 * every length on either side of the cut must hash as the library does. */
Test(hashing, short_string_path_is_xxh3)
{
	mgt_rng r;
	mgt_rng_init(&r, 78);
	char buf[40];
	for (int i = 0; i < 20000; i++) {
		uint32_t seed = (uint32_t)mgt_rng_next(&r);
		size_t len = (size_t)i % sizeof buf;
		for (size_t j = 0; j < len; j++)
			buf[j] = (char)mgt_rng_next(&r);
		mg_string s = {len ? buf : NULL, len};
		cr_assert_eq(map_hash_k(NULL, &s, seed, MAP_KEY_STRING), XXH3_64bits_withSeed(buf, len, seed),
		             "length %zu seed %u", len, seed);
	}
}

/* What the map operations hash with (map_hash_h, which takes the 8-byte
 * and the 4-to-8-byte string paths from the hmap's stored seed constant)
 * must be XXH3_64bits_withSeed of the key, for every length on either side
 * of each cut, through both string specialisations. */
Test(hashing, map_hash_is_xxh3_for_every_key_path)
{
	mgt_rng r;
	mgt_rng_init(&r, 81);
	char buf[40] = {0}; /* the int64 check reads 8 bytes, also of shorter keys */
	mg_hmap h;
	memset(&h, 0, sizeof h);
	for (int i = 0; i < 20000; i++) {
		uint32_t seed = (uint32_t)mgt_rng_next(&r);
		map_set_hash0(&h, seed);
		size_t len = (size_t)i % sizeof buf;
		for (size_t j = 0; j < len; j++)
			buf[j] = (char)mgt_rng_next(&r);
		mg_string s = {len ? buf : NULL, len};
		uint64_t want = XXH3_64bits_withSeed(buf, len, seed);
		cr_assert_eq(map_hash_h(&h, &s, MAP_KEY_STRING), want, "length %zu seed %u", len, seed);
		if (len <= 16)
			cr_assert_eq(map_hash_h(&h, &s, MAP_KEY_SHORT_STRING), want, "short, length %zu seed %u", len, seed);
		uint64_t k;
		memcpy(&k, buf, 8);
		cr_assert_eq(map_hash_h(&h, &k, MAP_KEY_INT64), XXH3_64bits_withSeed(&k, 8, seed), "int64, seed %u", seed);
	}
}

/* String equality: the read paths' short-key comparison (no memcmp for
 * up to 16 bytes) and the general one must see a difference in any byte,
 * at every length on either side of the 4-, 8- and 16-byte cuts. */
Test(hashing, string_equality_checks_every_byte)
{
	mgt_rng r;
	mgt_rng_init(&r, 79);
	char a[40], b[40];
	for (size_t len = 0; len < sizeof a; len++) {
		for (size_t j = 0; j < len; j++)
			a[j] = (char)mgt_rng_next(&r);
		memcpy(b, a, len);
		mg_string x = {len ? a : NULL, len}, y = {len ? b : NULL, len};
		bool short_too = len <= 16;
		cr_assert(map_equal_k(NULL, &x, &y, MAP_KEY_STRING), "length %zu: equal keys differ", len);
		if (short_too)
			cr_assert(map_equal_k(NULL, &x, &y, MAP_KEY_SHORT_STRING), "length %zu: equal keys differ", len);
		for (size_t j = 0; j < len; j++) {
			b[j] ^= (char)(1 + mgt_rng_next(&r) % 255);
			cr_assert(!map_equal_k(NULL, &x, &y, MAP_KEY_STRING), "length %zu: byte %zu not compared", len, j);
			if (short_too)
				cr_assert(!map_equal_k(NULL, &x, &y, MAP_KEY_SHORT_STRING), "length %zu: byte %zu not compared",
				          len, j);
			b[j] = a[j];
		}
		mg_string z = {a, len + 1 < sizeof a ? len + 1 : len};
		if (z.len != len)
			cr_assert(!map_equal_k(NULL, &x, &z, MAP_KEY_STRING), "length %zu: lengths not compared", len);
	}
}

/* The lookup scans' tophash matcher (map_match_candidates): it must flag
 * every cell holding the tophash, and anything else it flags must be the
 * tophash ^ 1 above a true match (what the key comparison then rejects);
 * map_has_byte must be exact.  Random tophash words of a bucket that is
 * not evacuated: empty (0, 1) or filled (5..255) cells. */
Test(hashing, tophash_candidates_cover_every_match)
{
	mgt_rng r;
	mgt_rng_init(&r, 80);
	uint64_t false_ones = 0;
	for (int trial = 0; trial < 200000; trial++) {
		uint8_t top = (uint8_t)(MAP_MIN_TOPHASH + mgt_rng_next(&r) % (256 - MAP_MIN_TOPHASH));
		uint8_t cell[8];
		uint64_t w = 0;
		for (int i = 0; i < 8; i++) {
			uint64_t pick = mgt_rng_next(&r) % 8;
			cell[i] = pick == 0 ? 0 : pick == 1 ? 1 : pick == 2 ? top : pick == 3 ? (uint8_t)(top ^ 1)
			        : (uint8_t)(MAP_MIN_TOPHASH + mgt_rng_next(&r) % (256 - MAP_MIN_TOPHASH));
			if (cell[i] == 4) /* top ^ 1 for top 5: evacuatedEmpty, not in such a bucket */
				cell[i] = 1;
			w |= (uint64_t)cell[i] << (8 * i);
		}
		uint64_t m = map_match_candidates(w, top);
		bool any_zero = false, below = false;
		for (int i = 0; i < 8; i++) {
			bool flagged = (m >> (8 * i + 7)) & 1;
			if (cell[i] == top)
				cr_assert(flagged, "word %016llx top %u: cell %d not flagged", (unsigned long long)w, top, i);
			else if (flagged) {
				cr_assert(cell[i] == (top ^ 1) && below, "word %016llx top %u: cell %d (%u) flagged",
				          (unsigned long long)w, top, i, cell[i]);
				false_ones++;
			}
			below |= cell[i] == top;
			any_zero |= cell[i] == 0;
		}
		cr_assert_eq(map_has_byte(w, 0), any_zero, "word %016llx: emptyRest test wrong", (unsigned long long)w);
	}
	/* The borrow case is real, so the check above was exercised. */
	cr_assert_gt(false_ones, 0);
}
