/*
 * reach_sources.c — the analysis modules of `mapgc reach`, compiled into
 * test_reach once (see reach_test.h), and the helpers of reach_test.h.
 */
#include "tools/mapgc/json.c"
#include "tools/mapgc/reach_analyze.c"
#include "tools/mapgc/reach_dom.c"
#include "tools/mapgc/reach_dot.c"
#include "tools/mapgc/reach_graph.c"
#include "tools/mapgc/reach_report.c"
#include "tools/mapgc/reach_snapshot.c"

#include "tests/reach/reach_test.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

void
rt_snap_take(mg_runtime *rt, const char *dir, const char *name, rt_snap *s)
{
	char err[1024];

	memset(s, 0, sizeof *s);
	snprintf(s->path, sizeof s->path, "%s/%s.json", dir, name);
	cr_assert_eq(mg_heap_snapshot(rt, s->path, NULL), 0, "mg_heap_snapshot %s: %s", s->path, strerror(errno));
	cr_assert_eq(rg_load(s->path, &s->g, err, sizeof err), 0, "rg_load: %s", err);
	cr_assert_eq(ra_analyze(&s->g, &s->r, err, sizeof err), 0, "ra_analyze: %s", err);
	cr_assert_eq(sr_load(s->path, &s->sr, err, sizeof err), 0, "sr_load: %s", err);
	cr_assert_eq(s->g.nobjs, s->sr.nobjs, "the tool read %" PRIu32 " objects, the test reader %zu", s->g.nobjs,
		s->sr.nobjs);
}

void
rt_snap_free(rt_snap *s)
{
	ra_free(&s->r);
	rg_free(&s->g);
	sr_free(&s->sr);
}

uint32_t
rt_index_at(const rt_snap *s, const void *p)
{
	const sr_object *o = sr_find(&s->sr, p);
	uint32_t found = RG_NONE;

	for (uint32_t i = 0; i < s->g.nobjs; i++)
		if (s->g.objs[i].addr == (uint64_t)(uintptr_t)p) {
			found = i;
			break;
		}
	if (o == NULL) {
		cr_assert_eq(found, RG_NONE, "the tool has an object at %p, the test reader none", p);
		return RG_NONE;
	}
	cr_assert_neq(found, RG_NONE, "the test reader has object %" PRIu64 " at %p, the tool none", o->id, p);
	cr_assert_eq(s->g.objs[found].id, o->id, "object at %p: id %" PRIu64 " (tool) vs %" PRIu64 " (test reader)", p,
		s->g.objs[found].id, o->id);
	return found;
}

uint64_t
rt_size_at(const rt_snap *s, const void *p)
{
	const sr_object *o = sr_find(&s->sr, p);
	cr_assert_not_null(o, "no live object at %p in %s", p, s->path);
	return o->size;
}

uint64_t
rt_id_at(const rt_snap *s, const void *p)
{
	const sr_object *o = sr_find(&s->sr, p);
	cr_assert_not_null(o, "no live object at %p in %s", p, s->path);
	return o->id;
}

ra_kinds
rt_kinds(int k, ...)
{
	ra_kinds mask = 0;
	va_list ap;

	va_start(ap, k);
	for (; k >= 0; k = va_arg(ap, int))
		mask |= (ra_kinds)(1u << k);
	va_end(ap);
	return mask;
}

const char *
rt_kinds_text(ra_kinds k, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < RA_NKINDS && len < size; i++)
		if (k & (1u << i))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", ra_kind_text(i));
	if (len == 0)
		snprintf(buf, size, "none");
	return buf;
}

char *
rt_capture(int (*fn)(FILE *, void *), void *ud)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(fn(f, ud), 0, "the writer failed");
	cr_assert_eq(fclose(f), 0);
	return buf;
}

int
rt_parse(const char *text, rg_graph *g, char *err, size_t errlen)
{
	return rg_parse(text, strlen(text), "t.json", g, err, errlen);
}
