/*
 * map_figs.h — the figures of maptrace's map line (DESIGN.md §5) as tests
 * expect them, and the oracle that computes them from maps (prefix mgt_).
 *
 * The oracle walks arrays with map.h's geometry only — bucket i of an
 * array, its overflow chain, the tophash bytes one by one — and shares no
 * code with maptype/trace.c, so it can catch trace.c counting wrong.  Use
 * it while nothing changes (mg_gc, the program waiting): then the line's
 * figures must equal it exactly.
 *
 * While maps change during marking the figures mix moments (trace.c's
 * essay, WHAT THE FIGURES MEAN), and only identities hold; mgt_figs_check
 * checks them, cycle by cycle, from the line and the hook's walk counts:
 *   - every bucket counted is counted once in its role, with its chain:
 *     buckets counted as new = BN + VN, as old = BO + VO;
 *   - every counted bucket has its eight cells in the six tophash figures:
 *     their sum = 8 x (all buckets counted, iter-only ones included);
 *   - E <= O, G <= M, Z <= G, J <= I.
 */
#ifndef MGT_MAP_FIGS_H
#define MGT_MAP_FIGS_H

#include "maptype/map.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mgt_figs {
	uint64_t maps, growing, same, iters, bn, bo, evac, vn, vo, j, jbytes;
	uint64_t full, e1, er, ex, ey, ee;
} mgt_figs;

/* Adds map h: its arrays and chains, as the line counts them. */
void mgt_figs_map(mgt_figs *f, const mg_hmap *h);
/* Adds arr (2^B buckets, of map type mt) as an iter-only array: its cells,
 * one J, and its size (its own allocation, length from the header, plus
 * the chained overflow buckets that live elsewhere). */
void mgt_figs_iter_only(mg_runtime *rt, mgt_figs *f, const mg_maptype *mt, void *arr, unsigned B);
/* inv.evac-marks, checked cell by cell: all or none evacuated. */
bool mgt_old_bucket_evacuated(const mg_maptype *t, void *arr, uint64_t i);
/* map_trace_last against w, figure by figure (cr_expect, naming `what`). */
void mgt_figs_expect_last(mg_runtime *rt, const mgt_figs *w, const char *what);

/* The identities above, for figures v (map_trace_last's 16) and counts
 * (map_trace_test_walks).  Returns NULL when they hold, else which one
 * fails, with its numbers, in buf. */
const char *mgt_figs_check(const uint64_t v[16], const map_trace_walks *w, char *buf, size_t n);

#endif
