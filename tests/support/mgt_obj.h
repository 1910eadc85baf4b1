/*
 * mgt_obj.h — the hand-built heaps of the gc tests (barrier, verify,
 * wbtrace; prefix mgt_): one small object type with two labelled pointer
 * fields, a runtime with a chosen barrier that never collects on its own,
 * and the colour assertion that names the barrier when it fails.
 *
 * The runtime has GOGC=off, so a test that allocates everything before it
 * starts its cycle (gc_test_begin_mark) sees no assist and no allocate-
 * black object move colours under its feet.
 */
#ifndef MGT_OBJ_H
#define MGT_OBJ_H

#include "tests/support/mgt.h"

#include "gc/gc_test.h"

typedef struct mgt_obj {
	struct mgt_obj *f[2];
	int64_t v;
} mgt_obj;

extern const mg_field mgt_obj_fields[2];
extern const mg_type mgt_obj_type;   /* "obj": f0, f1 */
extern const mg_type mgt_pair_type;  /* "pair": f0 and f1 alone, for typed copies and clears */

/* A new obj holding v; it may collect first (gcevery): root what must live. */
mgt_obj *mgt_obj_new(mg_runtime *rt, int64_t v);
/* mgt_config, then GOGC off, the barrier and the two verifiers as given. */
void mgt_config_wb(mg_config *c, mg_barrier wb, int heapcheck, int checkmark);
/* mgt_open of that config. */
mg_runtime *mgt_open_wb(mg_barrier wb, int heapcheck, int checkmark);

#define MGT_ASSERT_COLOR(rt, p, want)                                                                       \
	do {                                                                                                \
		gc_color got_ = gc_test_color((rt), (p));                                                   \
		cr_assert_eq(got_, (want), "%s: %s is %s, want %s", mg_barrier_name(mg_runtime_config(rt)->wb), \
		             #p, gc_test_color_name(got_), gc_test_color_name(want));                        \
	} while (0)

#endif /* MGT_OBJ_H */
