/* map_figs.c — see map_figs.h. */
#include "tests/support/map_figs.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>

static void tally_cells(mgt_figs *f, void *b)
{
	for (unsigned k = 0; k < MAP_BUCKET_CNT; k++) {
		uint8_t top = map_tophashes(b)[k];
		switch (top) {
		case MAP_EMPTY_REST: f->er++; break;
		case MAP_EMPTY_ONE: f->e1++; break;
		case MAP_EVACUATED_X: f->ex++; break;
		case MAP_EVACUATED_Y: f->ey++; break;
		case MAP_EVACUATED_EMPTY: f->ee++; break;
		default: f->full++; break;
		}
	}
}

/* Tallies buckets [0, n) of arr with their chains; returns the overflow
 * buckets met.  *outside (if given) counts those that are not inside
 * arr's own allocation of arr_bytes (preallocated overflow buckets are). */
static uint64_t tally_array(mgt_figs *f, const mg_maptype *t, void *arr, uint64_t n, size_t arr_bytes,
                           uint64_t *outside)
{
	uint64_t ovf = 0, out = 0;
	for (uint64_t i = 0; i < n; i++) {
		int guard = 0;
		for (void *b = map_bucket_at(t, arr, i); b; b = map_overflow(t, b)) {
			cr_assert_lt(guard++, 1000, "the chain of bucket %" PRIu64 " does not end", i);
			if (b != map_bucket_at(t, arr, i)) {
				ovf++;
				if (!((char *)b >= (char *)arr && (char *)b < (char *)arr + arr_bytes))
					out++;
			}
			tally_cells(f, b);
		}
	}
	if (outside)
		*outside = out;
	return ovf;
}

bool mgt_old_bucket_evacuated(const mg_maptype *t, void *arr, uint64_t i)
{
	int ev = 0, cells = 0;
	for (void *b = map_bucket_at(t, arr, i); b; b = map_overflow(t, b))
		for (unsigned k = 0; k < MAP_BUCKET_CNT; k++, cells++) {
			uint8_t top = map_tophashes(b)[k];
			ev += top >= MAP_EVACUATED_X && top <= MAP_EVACUATED_EMPTY;
		}
	cr_assert(ev == 0 || ev == cells, "old bucket %" PRIu64 ": %d of %d cells evacuated", i, ev, cells);
	return ev == cells;
}

void mgt_figs_map(mgt_figs *f, const mg_hmap *h)
{
	const mg_maptype *t = h->t;
	f->maps++;
	if (!h->buckets)
		return;
	uint64_t nb = (uint64_t)1 << h->B;
	f->bn += nb;
	f->vn += tally_array(f, t, h->buckets, nb, 0, NULL);
	if (h->oldbuckets) {
		uint64_t nold = (h->flags & MAP_SAME_SIZE_GROW) ? nb : nb / 2;
		f->growing++;
		f->same += (h->flags & MAP_SAME_SIZE_GROW) != 0;
		f->bo += nold;
		for (uint64_t i = 0; i < nold; i++)
			f->evac += mgt_old_bucket_evacuated(t, h->oldbuckets, i);
		f->vo += tally_array(f, t, h->oldbuckets, nold, 0, NULL);
	}
}

void mgt_figs_iter_only(mg_runtime *rt, mgt_figs *f, const mg_maptype *mt, void *arr, unsigned B)
{
	size_t len = 0;
	const mg_type *ty = mg_typeof(rt, arr, &len);
	cr_assert_eq(ty, &mt->bucket, "the saved array is still a bucket array");
	uint64_t outside = 0;
	tally_array(f, mt, arr, (uint64_t)1 << B, len * mt->bucketsize, &outside);
	f->j++;
	f->jbytes += ((uint64_t)len + outside) * mt->bucketsize;
}

void mgt_figs_expect_last(mg_runtime *rt, const mgt_figs *w, const char *what)
{
	uint64_t got[16];
	map_trace_last(rt, got);
	const uint64_t want[16] = {w->maps, w->growing, w->same, w->iters, w->bn, w->bo, w->evac, w->vn, w->vo,
	                           w->j, w->jbytes, w->full, w->e1, w->er, w->ex + w->ey, w->ee};
	static const char *const names[16] = {"maps", "growing", "same-size", "iters", "BN", "BO", "E", "VN", "VO",
	                                      "J", "X bytes", "full", "emptyOne", "emptyRest", "evacX+evacY",
	                                      "evacEmpty"};
	for (int i = 0; i < 16; i++)
		cr_expect_eq(got[i], want[i], "%s: map_trace_last %s = %" PRIu64 ", want %" PRIu64, what, names[i], got[i],
		             want[i]);
}

const char *mgt_figs_check(const uint64_t v[16], const map_trace_walks *w, char *buf, size_t n)
{
	uint64_t maps = v[0], growing = v[1], same = v[2], iters = v[3], bn = v[4], bo = v[5], evac = v[6];
	uint64_t vn = v[7], vo = v[8], j = v[9];
	uint64_t cells = v[11] + v[12] + v[13] + v[14] + v[15];
	uint64_t counted = w->counted[MAP_TRACE_NEW] + w->counted[MAP_TRACE_OLD] + w->counted[MAP_TRACE_ITER];
	if (w->counted[MAP_TRACE_NEW] != bn + vn)
		snprintf(buf, n, "buckets counted as new %" PRIu64 " != BN + VN = %" PRIu64 " + %" PRIu64,
		         w->counted[MAP_TRACE_NEW], bn, vn);
	else if (w->counted[MAP_TRACE_OLD] != bo + vo)
		snprintf(buf, n, "buckets counted as old %" PRIu64 " != BO + VO = %" PRIu64 " + %" PRIu64,
		         w->counted[MAP_TRACE_OLD], bo, vo);
	else if (cells != 8 * counted)
		snprintf(buf, n, "tophash cells %" PRIu64 " != 8 x %" PRIu64 " buckets counted", cells, counted);
	else if (evac > bo)
		snprintf(buf, n, "E = %" PRIu64 " > O = %" PRIu64, evac, bo);
	else if (growing > maps || same > growing || j > iters)
		snprintf(buf, n, "G %" PRIu64 " M %" PRIu64 " Z %" PRIu64 " J %" PRIu64 " I %" PRIu64, growing, maps, same,
		         j, iters);
	else
		return NULL;
	return buf;
}
