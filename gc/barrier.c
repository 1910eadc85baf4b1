/*
 * barrier.c — the write barriers' slow paths (the fast path is gc_store in
 * gc.h: one test of gc->wb_on, which is set only during MARK).
 *
 *   hybrid   (Go):     shade(*slot); if roots not scanned: shade(ptr)
 *   yuasa    (deletion): shade(*slot)
 *   dijkstra (insertion): shade(ptr); roots rescanned at mark termination
 *   none:               nothing — objects get lost; checkmark proves it
 *
 * Why each is enough (single mutator, allocate-black):
 *  - yuasa: roots are scanned atomically at the start of mark (the
 *    snapshot).  Every object reachable then is either marked or reachable
 *    from a grey object through white ones; removing an edge on such a path
 *    shades its target first, so the path survives (inv.grey-protected).
 *  - hybrid: roots are scanned by the first mark slice, not in the pause.
 *    Until then both values are shaded, so nothing the mutator moves between
 *    heap and roots escapes (Go's argument, proposal 17503); afterwards it is
 *    yuasa with the snapshot taken at the root scan.
 *  - dijkstra: no black object ever points to a white one
 *    (inv.no-black-to-white), but roots are not protected, so they are
 *    rescanned and the queue drained at mark termination.
 */
#include "gc/gc.h"

void gc_wb_slow(mg_runtime *rt, void **slot, void *ptr)
{
	switch (rt->cfg.wb) {
	case MG_WB_HYBRID:
		gc_shade(rt, *slot);
		if (!rt->mut.roots_scanned)
			gc_shade(rt, ptr);
		break;
	case MG_WB_YUASA:
		gc_shade(rt, *slot);
		break;
	case MG_WB_DIJKSTRA:
		gc_shade(rt, ptr);
		break;
	default:
		break;
	}
}

/* Barrier for n elements of type ti about to be overwritten at dst with the
 * elements at src (NULL: zeroed).  Reads every old and new value before the
 * caller moves memory, so overlapping copies see the right values. */
void gc_bulk_barrier(mg_runtime *rt, const rt_typeinfo *ti, void *dst, const void *src, size_t n)
{
	if (!rt->gc->wb_on || ti->noscan)
		return;
	for (size_t i = 0; i < n; i++) {
		char *d = (char *)dst + i * ti->elem_size;
		const char *s = src ? (const char *)src + i * ti->elem_size : NULL;
		for (uint32_t k = 0; k < ti->nptrs; k++)
			gc_wb_slow(rt, (void **)(d + ti->offs[k]), s ? *(void *const *)(s + ti->offs[k]) : NULL);
	}
}

void mg_store(mg_runtime *rt, void *slot, void *ptr)
{
	gc_store(rt, slot, ptr);
}

void mg_typed_copy(mg_runtime *rt, const mg_type *t, void *dst, const void *src, size_t n)
{
	const rt_typeinfo *ti = rt_type_register(rt, t);
	gc_bulk_barrier(rt, ti, dst, src, n);
	memmove(dst, src, n * t->size);
}

void mg_typed_clear(mg_runtime *rt, const mg_type *t, void *dst, size_t n)
{
	const rt_typeinfo *ti = rt_type_register(rt, t);
	gc_bulk_barrier(rt, ti, dst, NULL, n);
	memset(dst, 0, n * t->size);
}
