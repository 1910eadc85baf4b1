/* mgt_obj.c — see mgt_obj.h. */
#include "tests/support/mgt_obj.h"

#include <stddef.h>

const mg_field mgt_obj_fields[2] = {{offsetof(mgt_obj, f[0]), "f0"}, {offsetof(mgt_obj, f[1]), "f1"}};
const mg_type mgt_obj_type = {"obj", sizeof(mgt_obj), 8, mgt_obj_fields, 2, NULL, NULL};
static const mg_field pair_fields[] = {{0, "a"}, {8, "b"}};
const mg_type mgt_pair_type = {"pair", 2 * sizeof(void *), 8, pair_fields, 2, NULL, NULL};

mgt_obj *mgt_obj_new(mg_runtime *rt, int64_t v)
{
	mgt_obj *o = mg_alloc(rt, &mgt_obj_type);
	o->v = v;
	return o;
}

void mgt_config_wb(mg_config *c, mg_barrier wb, int heapcheck, int checkmark)
{
	mgt_config(c);
	c->gogc = MG_GOGC_OFF;
	c->wb = wb;
	c->heapcheck = heapcheck;
	c->checkmark = checkmark;
}

mg_runtime *mgt_open_wb(mg_barrier wb, int heapcheck, int checkmark)
{
	mg_config c;
	mgt_config_wb(&c, wb, heapcheck, checkmark);
	return mgt_open(&c);
}
