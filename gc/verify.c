/*
 * verify.c — the collector's verifiers and poisoning.
 *
 * gc_heap_check (MAPGC_DEBUG=heapcheck=1, after every mark slice):
 *   1. inv.marked-allocated: no slot is marked and free;
 *   2. the grey set is exact: every queued object is allocated and marked
 *      (hook-only items, gc.h, are queued but not grey);
 *   3. colours: under the strong invariant no black object points to a
 *      white one; under the weak one every such white object is reachable
 *      from a grey object (or an unscanned root) through white objects.
 *   It reports violations and returns their count.
 *
 * gc_remark (in mark termination, for gccheckmark=1 and wbtrace=1; one
 * re-mark serves both): re-marks everything reachable from the roots into
 * checkbits with the world stopped.
 *  - checkmark: a reachable object that the incremental mark left white,
 *    or a reachable pointer to a free slot, is fatal, and the labelled path
 *    from its root is printed (found by a second, breadth-first search
 *    recording parents, so it is a shortest path).
 *  - wbtrace: the bytes marked but not re-marked are the cycle's floating
 *    garbage (markbits ∧ ¬checkbits, summed by slot size: the unit of the
 *    gc line's H2), the barrier study's F (barrier.c).
 */
#include "gc/gc.h"
#include "gc/vg.h"

#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define GC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GC_ASAN 1
#endif
#endif
#ifdef GC_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* Freed memory: 0xdb in debug builds (reads of freed memory stand out),
 * poisoned shadow under ASan (reads are caught), untouched in release;
 * NOACCESS to Memcheck in every MAPGC_VALGRIND build (inv.vg-free: the
 * fill is the collector's own write to freed memory, made addressable for
 * just that long; see gc/vg.h). */
void gc_poison(void *p, size_t n)
{
#ifdef GC_ASAN
	ASAN_UNPOISON_MEMORY_REGION(p, n); /* parts may be poisoned already */
#endif
#if defined(GC_ASAN) || !defined(NDEBUG)
	GC_VG(gc_vg_writable(p, n)); /* parts may be NOACCESS already */
	memset(p, 0xdb, n);
#endif
	GC_VG(gc_vg_noaccess(p, n));
#ifdef GC_ASAN
	ASAN_POISON_MEMORY_REGION(p, n);
#endif
	(void)p;
	(void)n;
}

void gc_unpoison(void *p, size_t n)
{
#ifdef GC_ASAN
	ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
	(void)p;
	(void)n;
#endif
}

/* ---- small helpers ------------------------------------------------------ */

typedef struct objvec {
	void **v;
	size_t n, cap;
} objvec;

static void objvec_push(mg_runtime *rt, objvec *o, void *p)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 1024;
		void **v = realloc(o->v, o->cap * sizeof *v);
		if (!v)
			rt_out_of_memory(rt, o->cap * sizeof *v);
		o->v = v;
	}
	o->v[o->n++] = p;
}

static void clear_bits(mg_runtime *rt, gc_span *s, void *which)
{
	(void)rt;
	uint64_t *b = which == (void *)1 ? s->checkbits : s->scratchbits;
	memset(b, 0, gc_bitwords(s->nelems) * sizeof(uint64_t));
}
#define CHECKBITS ((void *)1)
#define SCRATCHBITS ((void *)2)

static const rt_typeinfo *type_of(mg_runtime *rt, void *obj, uint32_t *len)
{
	uint64_t h = *gc_hdr_of(obj);
	*len = gc_hdr_is_array(h) ? gc_hdr_len(h) : 1;
	return rt_type_byid(rt, gc_hdr_type(h));
}

static void describe(mg_runtime *rt, char *buf, size_t n, void *obj)
{
	uint32_t len;
	const rt_typeinfo *ti = type_of(rt, obj, &len);
	if (gc_hdr_is_array(*gc_hdr_of(obj)))
		snprintf(buf, n, "[%u]%s", len, ti->t->name ? ti->t->name : "?");
	else
		snprintf(buf, n, "%s", ti->t->name ? ti->t->name : "?");
}

static inline void *obj_of(gc_span *s, uint32_t idx)
{
	return (void *)(gc_slot_addr(s, idx) + GC_HDR_SIZE);
}

/* ---- heap check --------------------------------------------------------- */

typedef struct hcheck {
	FILE *out;
	int bad;
} hcheck;

static void violation(hcheck *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(hcheck *h, const char *fmt, ...)
{
	if (h->out && h->bad < 10) {
		va_list ap;
		va_start(ap, fmt);
		fputs("heap check: ", h->out);
		vfprintf(h->out, fmt, ap);
		fputc('\n', h->out);
		va_end(ap);
	}
	h->bad++;
}

static void check_marked_allocated(mg_runtime *rt, gc_span *s, void *ud)
{
	(void)rt;
	hcheck *h = ud;
	for (size_t i = 0; i < gc_bitwords(s->nelems); i++)
		if (s->markbits[i] & ~s->allocbits[i])
			violation(h, "span %#lx: slots marked and free (word %zu: %#lx)", (unsigned long)s->base, i,
			          (unsigned long)(s->markbits[i] & ~s->allocbits[i]));
}

static void clear_check(mg_runtime *rt, gc_span *s, void *ud)
{
	(void)ud;
	clear_bits(rt, s, CHECKBITS);
	clear_bits(rt, s, SCRATCHBITS);
}

/* White-through-white reachability from grey objects: the scratch bits. */
static void protect_from(mg_runtime *rt, objvec *stack, void *p)
{
	uint32_t idx;
	gc_span *s = gc_find_object(rt->gc, (uintptr_t)p, &idx);
	if (!s || !gc_bit(s->allocbits, idx) || gc_bit(s->markbits, idx) || gc_bit(s->scratchbits, idx))
		return;
	gc_bit_set(s->scratchbits, idx);
	if (!s->noscan)
		objvec_push(rt, stack, obj_of(s, idx));
}

static void for_each_field(mg_runtime *rt, void *obj, void (*fn)(mg_runtime *, void *, void *, uint32_t, void *),
                           void *ud)
{
	uint32_t len;
	const rt_typeinfo *ti = type_of(rt, obj, &len);
	for (uint32_t i = 0; i < len; i++)
		for (uint32_t k = 0; k < ti->nptrs; k++)
			fn(rt, obj, *(void **)((char *)obj + (size_t)i * ti->elem_size + ti->offs[k]),
			   i * ti->nptrs + k, ud);
}

static void protect_field(mg_runtime *rt, void *obj, void *target, uint32_t field, void *ud)
{
	(void)obj;
	(void)field;
	protect_from(rt, ud, target);
}

static const char *field_label(mg_runtime *rt, void *obj, uint32_t field, char *buf, size_t n)
{
	uint32_t len;
	const rt_typeinfo *ti = type_of(rt, obj, &len);
	const mg_field *f = &ti->t->ptrs[field % ti->nptrs];
	if (gc_hdr_is_array(*gc_hdr_of(obj)))
		snprintf(buf, n, "[%u].%s", field / ti->nptrs, f->label ? f->label : "?");
	else
		snprintf(buf, n, ".%s", f->label ? f->label : "?");
	return buf;
}

typedef struct blackctx {
	hcheck *h;
	bool strong;
} blackctx;

static void check_black_field(mg_runtime *rt, void *obj, void *target, uint32_t field, void *ud)
{
	blackctx *b = ud;
	uint32_t idx;
	gc_span *s = gc_find_object(rt->gc, (uintptr_t)target, &idx);
	if (!s)
		return;
	char l[96], d1[96], d2[96];
	if (!gc_bit(s->allocbits, idx)) {
		describe(rt, d1, sizeof d1, obj);
		violation(b->h, "object %p (%s) %s points to free slot %p", obj, d1,
		          field_label(rt, obj, field, l, sizeof l), target);
		return;
	}
	if (gc_bit(s->markbits, idx))
		return;
	if (!b->strong && gc_bit(s->scratchbits, idx))
		return;
	describe(rt, d1, sizeof d1, obj);
	describe(rt, d2, sizeof d2, obj_of(s, idx));
	violation(b->h, "black object %p (%s) %s points to white object %p (%s)%s", obj, d1,
	          field_label(rt, obj, field, l, sizeof l), obj_of(s, idx), d2,
	          b->strong ? "" : " not reachable from any grey object");
}

static void check_black_span(mg_runtime *rt, gc_span *s, void *ud)
{
	if (s->noscan)
		return;
	for (uint32_t i = 0; i < s->nelems; i++)
		if (gc_bit(s->markbits, i) && !gc_bit(s->checkbits, i))
			for_each_field(rt, obj_of(s, i), check_black_field, ud);
}

typedef struct greyctx {
	mg_runtime *rt;
	hcheck *h;
	objvec grey;   /* the grey objects' user pointers, each once */
} greyctx;

/* One item of the grey set.  An object on two items means it was pushed
 * twice: marked twice, or a worker's scan did not test its mark bit.  (A
 * chunked array's remainder is the same object from another element: not
 * a second item.) */
static void grey_item(gc_work *w, void *ud)
{
	greyctx *g = ud;
	gc_state *gc = gc_of(g->rt);
	uint32_t idx;
	gc_span *s = gc_find_object(gc, (uintptr_t)w->obj, &idx);
	if (!s || !gc_bit(s->allocbits, idx) || !gc_bit(s->markbits, idx)) {
		violation(g->h, "grey object %p is not an allocated, marked object", w->obj);
		return;
	}
	/* A hook-only item's object is not grey (gc.h, TAGGED WORK ITEMS):
	 * its scan is done, or it has no pointers.  Counting it grey would
	 * hide a white object that only it reaches. */
	if (w->tag & GC_TAG_HOOK_ONLY)
		return;
	if (w->from == 0) {
		if (gc_bit(s->checkbits, idx)) {
			violation(g->h, "grey object %p is queued twice (marked more than once)", w->obj);
			return;
		}
		gc_bit_set(s->checkbits, idx);
		objvec_push(g->rt, &g->grey, w->obj);
	} else if (!gc_bit(s->checkbits, idx)) {
		gc_bit_set(s->checkbits, idx);
		objvec_push(g->rt, &g->grey, w->obj);
	}
}

int gc_heap_check(mg_runtime *rt, FILE *report)
{
	gc_state *gc = gc_of(rt);
	hcheck h = {report, 0};
	gc_for_each_span(rt, check_marked_allocated, &h);
	if (gc_phase_of(gc) != GC_MARK && gc_phase_of(gc) != GC_MARK_TERMINATION)
		return h.bad;

	/* The grey set, into checkbits. */
	gc_for_each_span(rt, clear_check, NULL);
	greyctx g = {rt, &h, {0}};
	gc_work_foreach(gc, grey_item, &g);

	/* Under hybrid the strong invariant holds until a thread's roots are
	 * scanned; the roots not yet scanned protect what they reach. */
	bool any_scanned = false;
	for (const rt_mutator *m = rt->muts; m; m = m->next)
		any_scanned |= m->roots_scanned;
	bool strong = rt->cfg.wb == MG_WB_DIJKSTRA || (rt->cfg.wb == MG_WB_HYBRID && !any_scanned);
	if (!strong) {
		objvec st = {0};
		for (size_t i = 0; i < g.grey.n; i++)
			for_each_field(rt, g.grey.v[i], protect_field, &st);
		for (const rt_mutator *m = rt->muts; m; m = m->next)
			if (!m->roots_scanned || rt->cfg.wb == MG_WB_DIJKSTRA)
				for (size_t i = 0; i < m->stack.n; i++)
					protect_from(rt, &st, *m->stack.v[i].slot);
		if (!__atomic_load_n(&gc->globals_scanned, __ATOMIC_RELAXED) || rt->cfg.wb == MG_WB_DIJKSTRA)
			for (size_t i = 0; i < rt->globals.n; i++)
				protect_from(rt, &st, *rt->globals.v[i].slot);
		while (st.n)
			for_each_field(rt, st.v[--st.n], protect_field, &st);
		free(st.v);
	}
	free(g.grey.v);
	blackctx b = {&h, strong};
	gc_for_each_span(rt, check_black_span, &b);
	return h.bad;
}

/* ---- checkmark and the re-mark ------------------------------------------ */

typedef struct cmark {
	objvec stack;
	bool check;         /* gccheckmark=1: stop at the first failure */
	void *bad;          /* first failing object (user pointer or raw address) */
	bool bad_free;      /* it points to a free slot */
} cmark;

/* Without check (wbtrace=1 alone) nothing fails: a reachable object the
 * mark missed (wb=none) is marked through, since what it reaches is live,
 * and a pointer to a free slot is passed over; the run goes on as it would
 * without the study. */
static void cm_visit(mg_runtime *rt, cmark *c, void *p)
{
	uint32_t idx;
	gc_span *s = gc_find_object(rt->gc, (uintptr_t)p, &idx);
	if (c->bad)
		return;
	if (!s) {
		if (c->check && gc_in_arena(rt->gc, (uintptr_t)p)) {
			c->bad = p;
			c->bad_free = true;
		}
		return;
	}
	if (gc_bit(s->checkbits, idx))
		return;
	if (!gc_bit(s->allocbits, idx)) {
		if (c->check) {
			c->bad = p;
			c->bad_free = true;
		}
		return;
	}
	gc_bit_set(s->checkbits, idx);
	if (c->check && !gc_bit(s->markbits, idx)) {
		c->bad = obj_of(s, idx);
		return;
	}
	if (!s->noscan)
		objvec_push(rt, &c->stack, obj_of(s, idx));
}

static void cm_field(mg_runtime *rt, void *obj, void *target, uint32_t field, void *ud)
{
	(void)obj;
	(void)field;
	cm_visit(rt, ud, target);
}

/* Breadth-first from the roots, recording parents, to the first node whose
 * slot contains `target`; prints the path. */
typedef struct pnode {
	void *obj;
	int64_t parent;   /* -1: a root */
	uint32_t field;   /* field index in the parent, or the root index */
	bool global;
	const rt_mutator *m; /* a scope root's thread */
} pnode;

typedef struct pathsearch {
	pnode *v;
	size_t n, cap;
	uintptr_t target;
	int64_t found;
	int64_t cur;
	const rt_mutator *root_m; /* the thread whose roots are being added */
} pathsearch;

static void ps_add(mg_runtime *rt, pathsearch *ps, void *p, int64_t parent, uint32_t field, bool global)
{
	if (ps->found >= 0)
		return;
	uint32_t idx;
	gc_span *s = gc_find_object(rt->gc, (uintptr_t)p, &idx);
	if (!s)
		return;
	bool hit = gc_find_object(rt->gc, ps->target, &(uint32_t){0}) == s &&
	           (s->state == SPAN_LARGE || gc_slot_index(s, ps->target) == idx);
	if (!hit && (gc_bit(s->scratchbits, idx) || !gc_bit(s->allocbits, idx)))
		return;
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 1024;
		pnode *v = realloc(ps->v, ps->cap * sizeof *v);
		if (!v)
			rt_out_of_memory(rt, ps->cap * sizeof *v);
		ps->v = v;
	}
	ps->v[ps->n++] = (pnode){p, parent, field, global, ps->root_m};
	if (hit) {
		ps->found = (int64_t)ps->n - 1;
		return;
	}
	gc_bit_set(s->scratchbits, idx);
}

static void ps_field(mg_runtime *rt, void *obj, void *target, uint32_t field, void *ud)
{
	(void)obj;
	pathsearch *ps = ud;
	ps_add(rt, ps, target, ps->cur, field, false);
}

static void clear_scratch(mg_runtime *rt, gc_span *s, void *ud)
{
	(void)ud;
	clear_bits(rt, s, SCRATCHBITS);
}

static void print_path(mg_runtime *rt, uintptr_t target)
{
	pathsearch ps = {.target = target, .found = -1};
	gc_for_each_span(rt, clear_scratch, NULL);
	for (const rt_mutator *m = rt->muts; m; m = m->next) {
		ps.root_m = m;
		for (size_t i = 0; i < m->stack.n; i++)
			ps_add(rt, &ps, *m->stack.v[i].slot, -1, (uint32_t)i, false);
	}
	ps.root_m = NULL;
	for (size_t i = 0; i < rt->globals.n; i++)
		ps_add(rt, &ps, *rt->globals.v[i].slot, -1, (uint32_t)i, true);
	for (size_t i = 0; i < ps.n && ps.found < 0; i++) {
		uint32_t idx;
		gc_span *s = gc_find_object(rt->gc, (uintptr_t)ps.v[i].obj, &idx);
		if (s->noscan)
			continue;
		ps.cur = (int64_t)i;
		for_each_field(rt, obj_of(s, idx), ps_field, &ps);
	}
	if (ps.found < 0) {
		fprintf(stderr, "runtime: no path from the roots found\n");
		free(ps.v);
		return;
	}
	size_t depth = 0;
	for (int64_t k = ps.found; k >= 0; k = ps.v[k].parent)
		depth++;
	int64_t *chain = malloc(depth * sizeof *chain);
	size_t n = 0;
	for (int64_t k = ps.found; k >= 0; k = ps.v[k].parent)
		chain[n++] = k;
	fprintf(stderr, "path from the roots (%zu edges):\n", depth);
	for (size_t j = depth; j-- > 0;) {
		pnode *nd = &ps.v[chain[j]];
		uint32_t idx;
		gc_span *s = gc_find_object(rt->gc, (uintptr_t)nd->obj, &idx);
		char what[96] = "free slot", lab[96];
		if (gc_bit(s->allocbits, idx))
			describe(rt, what, sizeof what, obj_of(s, idx));
		if (nd->parent < 0) {
			const rt_root *r = nd->global ? &rt->globals.v[nd->field] : &nd->m->stack.v[nd->field];
			/* With several threads (ever), a scope root names its thread. */
			char thr[32] = "";
			if (!nd->global && rt->next_mid > 1)
				snprintf(thr, sizeof thr, "thread %u ", nd->m->id);
			fprintf(stderr, "\t%s%s root \"%s\" -> %p (%s)%s\n", thr, nd->global ? "global" : "scope",
			        r->name ? r->name : "?", nd->obj, what, j == 0 ? "  <- here" : "");
		} else {
			void *parent = ps.v[nd->parent].obj;
			uint32_t pidx;
			gc_span *ps_ = gc_find_object(rt->gc, (uintptr_t)parent, &pidx);
			fprintf(stderr, "\t%s -> %p (%s)%s\n", field_label(rt, obj_of(ps_, pidx), nd->field, lab, sizeof lab),
			        nd->obj, what, j == 0 ? "  <- here" : "");
		}
	}
	free(chain);
	free(ps.v);
}

/* Floating garbage: marked, not reached by the re-mark (checkbits). */
static void add_floating(mg_runtime *rt, gc_span *s, void *ud)
{
	(void)rt;
	uint64_t *bytes = ud;
	for (size_t i = 0; i < gc_bitwords(s->nelems); i++)
		*bytes += (uint64_t)__builtin_popcountll(s->markbits[i] & ~s->checkbits[i]) * s->elem_size;
}

/* checkmark's failure: the message, the object, its path; does not return. */
static MG_NORETURN void checkmark_failed(mg_runtime *rt, const cmark *c)
{
	const char *msg = c->bad_free ? "checkmark found pointer to free object" : "checkmark found unmarked object";
	if (rt->trace_hook)
		rt->trace_hook(rt, rt->trace_hook_ud);
	fflush(stdout);
	fprintf(stderr, "fatal error: %s\n", msg);
	if (!c->bad_free) {
		char d[96];
		describe(rt, d, sizeof d, c->bad);
		fprintf(stderr, "runtime: object %p (%s) is reachable but was not marked\n", c->bad, d);
	} else {
		fprintf(stderr, "runtime: pointer %p is reachable but its slot is free\n", c->bad);
	}
	print_path(rt, (uintptr_t)c->bad);
	rt_fail_printed(rt, MG_FATAL, msg);
}

void gc_remark(mg_runtime *rt)
{
	cmark c = {.check = rt->cfg.checkmark != 0};
	gc_for_each_span(rt, clear_check, NULL);
	for (const rt_mutator *m = rt->muts; m && !c.bad; m = m->next)
		for (size_t i = 0; i < m->stack.n && !c.bad; i++)
			cm_visit(rt, &c, *m->stack.v[i].slot);
	for (size_t i = 0; i < rt->globals.n && !c.bad; i++)
		cm_visit(rt, &c, *rt->globals.v[i].slot);
	while (c.stack.n && !c.bad)
		for_each_field(rt, c.stack.v[--c.stack.n], cm_field, &c);
	free(c.stack.v);
	if (c.bad)
		checkmark_failed(rt, &c);
	if (rt->cfg.wbtrace) {
		uint64_t floating = 0;
		gc_for_each_span(rt, add_floating, &floating);
		rt->gc->cur.wb.floating_bytes = floating;
	}
}
