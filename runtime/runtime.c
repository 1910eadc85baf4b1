/*
 * runtime.c — the runtime instance minus the collector: type registry,
 * roots and scopes, failures, the trace sink and per-layer extensions.
 */
#include "runtime/rt.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const mg_field ptr_field[] = {{0, "ptr"}};
static const mg_field str_field[] = {{0, "str"}};

const mg_type mg_type_int64 = {"int64", 8, 8, NULL, 0, NULL, NULL};
const mg_type mg_type_ptr = {"pointer", 8, 8, ptr_field, 1, NULL, NULL};
const mg_type mg_type_string = {"string", sizeof(mg_string), 8, str_field, 1, NULL, NULL};
const mg_type mg_type_bytes = {"bytes", 1, 1, NULL, 0, NULL, NULL};

_Static_assert(offsetof(mg_string, ptr) == 0, "mg_type_string's pointer field is at offset 0");

/* ---- allocation of runtime metadata ------------------------------------- */

/* Metadata (type tables, root stacks) is small and lives outside the heap;
 * running out of it is as fatal as running out of heap. */
static void *rt_xrealloc(mg_runtime *rt, void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q)
		rt_out_of_memory(rt, n);
	return q;
}

/* ---- failures ----------------------------------------------------------- */

void rt_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void rt_fatalv(mg_runtime *rt, mg_failure kind, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (rt && rt->trace_hook && !rt_collector_thread)
		rt->trace_hook(rt, rt->trace_hook_ud); /* e.g. clear a progress line */
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", kind == MG_PANIC ? "panic" : "fatal error", msg);
	fflush(stderr);
	rt_fail_printed(rt, kind, msg);
}

_Thread_local bool rt_collector_thread;

void rt_fail_printed(mg_runtime *rt, mg_failure kind, const char *msg)
{
	fflush(stdout);
	fflush(stderr);
	if (rt) {
		if (kind == MG_FATAL)
			__atomic_store_n(&rt->failed, true, __ATOMIC_RELAXED);
		/* The handler belongs to the mutator (it longjmps into its
		 * stack): a mark worker's fatal error exits the process. */
		if (rt->on_fail && !rt_collector_thread)
			rt->on_fail(rt->on_fail_ud, kind, msg);
	}
	fflush(stdout);
	fflush(stderr);
	if (rt && rt->before_fatal_exit)
		rt->before_fatal_exit(rt);
	/* Like Go's exit(2) after a throw: no atexit handlers, which could run
	 * into the broken state (and LeakSanitizer would change the status). */
	_exit(2);
}

void mg_fatal(mg_runtime *rt, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_fatalv(rt, MG_FATAL, fmt, ap);
}

void mg_panic(mg_runtime *rt, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_fatalv(rt, MG_PANIC, fmt, ap);
}

void rt_out_of_memory(mg_runtime *rt, size_t request)
{
	rt_printf("runtime: cannot allocate %zu-byte block\n", request);
	mg_fatal(rt, "out of memory");
}

void mg_set_failure_handler(mg_runtime *rt, mg_failure_handler fn, void *ud)
{
	rt->on_fail = fn;
	rt->on_fail_ud = ud;
}

/* ---- type registry ------------------------------------------------------ */

static uint32_t type_hash(const mg_type *t, uint32_t mask)
{
	return (uint32_t)rt_mix64((uint64_t)(uintptr_t)t) & mask;
}

rt_typeinfo *rt_type_lookup(mg_runtime *rt, const mg_type *t)
{
	rt_types *ty = &rt->types;
	if (!ty->tcap)
		return NULL;
	for (uint32_t i = type_hash(t, ty->tcap - 1);; i = (i + 1) & (ty->tcap - 1)) {
		if (ty->keys[i] == t)
			return ty->byid[ty->vals[i]];
		if (!ty->keys[i])
			return NULL;
	}
}

static void type_table_insert(rt_types *ty, const mg_type *t, uint32_t id)
{
	uint32_t i = type_hash(t, ty->tcap - 1);
	while (ty->keys[i])
		i = (i + 1) & (ty->tcap - 1);
	ty->keys[i] = t;
	ty->vals[i] = id;
}

static void type_table_grow(mg_runtime *rt)
{
	rt_types *ty = &rt->types;
	uint32_t ncap = ty->tcap ? ty->tcap * 2 : 64;
	const mg_type **okeys = ty->keys;
	uint32_t *ovals = ty->vals, ocap = ty->tcap;
	ty->keys = rt_xrealloc(rt, NULL, ncap * sizeof *ty->keys);
	ty->vals = rt_xrealloc(rt, NULL, ncap * sizeof *ty->vals);
	memset(ty->keys, 0, ncap * sizeof *ty->keys);
	ty->tcap = ncap;
	for (uint32_t i = 0; i < ocap; i++)
		if (okeys[i])
			type_table_insert(ty, okeys[i], ovals[i]);
	free(okeys);
	free(ovals);
}

/* A descriptor the collector cannot trust is a programming error, caught
 * at its first allocation rather than as heap corruption later. */
static void type_validate(mg_runtime *rt, const mg_type *t)
{
	const char *name = t->name ? t->name : "(unnamed)";
	if (t->align != 1 && t->align != 2 && t->align != 4 && t->align != 8)
		mg_fatal(rt, "type %s: alignment %zu not in 1, 2, 4, 8", name, t->align);
	if (t->size == 0 || t->size % t->align || t->size > UINT32_MAX)
		mg_fatal(rt, "type %s: bad size %zu", name, t->size);
	if (t->nptrs && !t->ptrs)
		mg_fatal(rt, "type %s: %zu pointer fields but no field list", name, t->nptrs);
	/* In an array every element's pointer fields must stay 8-aligned. */
	if (t->nptrs && (t->size % sizeof(void *) || t->align != sizeof(void *)))
		mg_fatal(rt, "type %s: has pointer fields, so size and alignment must be multiples of 8 (size %zu, "
		         "align %zu)", name, t->size, t->align);
	for (size_t i = 0; i < t->nptrs; i++) {
		size_t off = t->ptrs[i].offset;
		if (off % sizeof(void *) || off + sizeof(void *) > t->size)
			mg_fatal(rt, "type %s: pointer field %zu at bad offset %zu", name, i, off);
		if (i && off <= t->ptrs[i - 1].offset)
			mg_fatal(rt, "type %s: pointer fields not in ascending order", name);
	}
}

rt_typeinfo *rt_type_register(mg_runtime *rt, const mg_type *t)
{
	rt_typeinfo *ti = rt_type_lookup(rt, t);
	if (ti)
		return ti;
	type_validate(rt, t);
	rt_types *ty = &rt->types;
	if (ty->n + 1 >= RT_TYPE_MAX)
		mg_fatal(rt, "too many types");
	if ((ty->n + 1) * 2 > ty->tcap)
		type_table_grow(rt);
	if (ty->n + 1 >= ty->cap) {
		/* Mark workers read the table while the mutator registers types
		 * (DESIGN.md §9): the old array is kept, not freed, until close,
		 * and the new one is published whole (release; rt_type_byid's
		 * acquire).  The arrays double, so the kept ones sum to less than
		 * the last. */
		uint32_t ncap = ty->cap ? ty->cap * 2 : 64;
		rt_typeinfo **nb = rt_xrealloc(rt, NULL, (size_t)ncap * sizeof *nb);
		if (ty->n)
			memcpy(nb, ty->byid, ty->n * sizeof *nb);
		if (ty->byid) {
			rt_retired *r = rt_xrealloc(rt, NULL, sizeof *r);
			r->v = ty->byid;
			r->next = ty->retired;
			ty->retired = r;
		}
		ty->cap = ncap;
		__atomic_store_n(&ty->byid, nb, __ATOMIC_RELEASE);
	}
	if (ty->n == 0)
		ty->byid[ty->n++] = NULL; /* id 0 marks an unallocated slot */
	ti = rt_xrealloc(rt, NULL, sizeof *ti);
	ti->t = t;
	ti->describe = NULL;
	ti->chunk = NULL;
	ti->chunk_ud = NULL;
	ti->id = ty->n;
	ti->elem_size = (uint32_t)t->size;
	ti->nptrs = (uint32_t)t->nptrs;
	ti->noscan = t->nptrs == 0;
	ti->offs = t->nptrs ? rt_xrealloc(rt, NULL, t->nptrs * sizeof *ti->offs) : NULL;
	for (size_t i = 0; i < t->nptrs; i++)
		ti->offs[i] = (uint32_t)t->ptrs[i].offset;
	ty->byid[ty->n++] = ti;
	type_table_insert(ty, t, ti->id);
	return ti;
}

static void types_free(rt_types *ty)
{
	for (uint32_t i = 1; i < ty->n; i++) {
		free(ty->byid[i]->offs);
		free(ty->byid[i]);
	}
	free(ty->byid);
	while (ty->retired) {
		rt_retired *r = ty->retired;
		ty->retired = r->next;
		free(r->v);
		free(r);
	}
	free(ty->keys);
	free(ty->vals);
	memset(ty, 0, sizeof *ty);
}

/* ---- roots and scopes --------------------------------------------------- */

static void rootstack_push(mg_runtime *rt, rt_rootstack *s, void *slot, const char *name)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = rt_xrealloc(rt, s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = (rt_root){(void **)slot, name};
}

void mg_scope_enter(mg_runtime *rt, mg_scope *s)
{
	s->base = rt->mut.stack.n;
	s->prev = rt->mut.scope;
	rt->mut.scope = s;
}

void mg_root(mg_runtime *rt, void *slot, const char *name)
{
	if (!rt->mut.scope)
		mg_fatal(rt, "mg_root(%s) outside any scope", name ? name : "?");
	rootstack_push(rt, &rt->mut.stack, slot, name);
}

void mg_scope_leave(mg_runtime *rt, mg_scope *s)
{
	/* inv.scope-lifo */
	if (rt->mut.scope != s)
		mg_fatal(rt, "mg_scope_leave: scope left out of order");
	rt->mut.stack.n = s->base;
	rt->mut.scope = s->prev;
}

void mg_global_root(mg_runtime *rt, void *slot, const char *name)
{
	rootstack_push(rt, &rt->globals, slot, name);
}

void mg_global_unroot(mg_runtime *rt, void *slot)
{
	rt_rootstack *g = &rt->globals;
	for (size_t i = g->n; i-- > 0;)
		if (g->v[i].slot == slot) {
			memmove(&g->v[i], &g->v[i + 1], (g->n - i - 1) * sizeof g->v[0]);
			g->n--;
			return;
		}
	mg_fatal(rt, "mg_global_unroot: slot %p is not a global root", slot);
}

/* ---- extensions, PRNG, trace -------------------------------------------- */

void *rt_ext_get(mg_runtime *rt, const void *key)
{
	for (rt_ext *e = rt->exts; e; e = e->next)
		if (e->key == key)
			return e->data;
	return NULL;
}

void rt_ext_put(mg_runtime *rt, const void *key, void *data, void (*destroy)(mg_runtime *, void *))
{
	rt_ext *e = rt_xrealloc(rt, NULL, sizeof *e);
	*e = (rt_ext){rt->exts, key, data, destroy};
	rt->exts = e;
}

#define RT_MAX_LAYERS 8
static void (*layer_attach[RT_MAX_LAYERS])(mg_runtime *rt);
static int nlayers;

void rt_layer_register(void (*attach)(mg_runtime *rt))
{
	if (nlayers == RT_MAX_LAYERS)
		abort(); /* a build with more layers than this is a programming error */
	layer_attach[nlayers++] = attach;
}

void rt_layers_attach(mg_runtime *rt)
{
	for (int i = 0; i < nlayers; i++)
		layer_attach[i](rt);
}

void rt_cycle_hook_add(mg_runtime *rt, rt_cycle_fn fn, void *ud)
{
	rt_cycle_hook *h = rt_xrealloc(rt, NULL, sizeof *h);
	*h = (rt_cycle_hook){rt->cycle_hooks, fn, ud};
	rt->cycle_hooks = h;
}

uint64_t rt_rand(mg_runtime *rt)
{
	rt->rand_state += 0x9e3779b97f4a7c15ULL;
	return rt_mix64(rt->rand_state);
}

void mg_set_trace_hook(mg_runtime *rt, mg_trace_hook fn, void *ud)
{
	rt->trace_hook = fn;
	rt->trace_hook_ud = ud;
}

void mg_set_progress(mg_runtime *rt, mg_progress_fn fn, void *ud, uint64_t interval_ns)
{
	rt->progress = fn;
	rt->progress_ud = ud;
	rt->progress_every = interval_ns;
	rt->progress_next = rt_nanotime() + interval_ns;
}

void rt_progress_tick(mg_runtime *rt)
{
	uint64_t now = rt_nanotime();
	if (now < rt->progress_next)
		return;
	rt->progress_next = now + rt->progress_every;
	rt->progress(rt, rt->mut.safepoints, rt->progress_ud);
}

void rt_trace_line(mg_runtime *rt, const char *fmt, ...)
{
	if (rt->trace_hook)
		rt->trace_hook(rt, rt->trace_hook_ud);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(rt->trace, fmt, ap);
	va_end(ap);
	fflush(rt->trace);
}

/* ---- lifetime ----------------------------------------------------------- */

void rt_init(mg_runtime *rt, const mg_config *cfg)
{
	memset(rt, 0, sizeof *rt);
	if (cfg) {
		rt->cfg = *cfg;
	} else {
		mg_config_default(&rt->cfg);
	}
	if (!cfg || !cfg->ignore_env)
		mg_config_from_env(&rt->cfg);
	/* Resolved once, here, so every layer (and mg_runtime_config) sees the
	 * count it runs with; on the Boehm backend it is only informative. */
	if (rt->cfg.procs <= 0)
		rt->cfg.procs = mg_procs_default();
	else if (rt->cfg.procs > MG_PROCS_MAX)
		rt->cfg.procs = MG_PROCS_MAX;
	rt->trace = rt->cfg.trace ? rt->cfg.trace : stderr;
	rt->start_ns = rt_nanotime();
	rt->start_cpu_ns = rt_cputime();
	/* Without a seed, runs differ (as Go's maps do); with one, every
	 * random choice of the runtime is a function of it. */
	rt->rand_state = rt->cfg.seed_set ? rt->cfg.seed : rt->start_ns ^ (uint64_t)(uintptr_t)rt;
	rt_type_register(rt, &mg_type_int64);
	rt_type_register(rt, &mg_type_ptr);
	rt_type_register(rt, &mg_type_string);
	rt_type_register(rt, &mg_type_bytes);
}

void rt_destroy(mg_runtime *rt)
{
	while (rt->exts) {
		rt_ext *e = rt->exts;
		rt->exts = e->next;
		if (e->destroy)
			e->destroy(rt, e->data);
		free(e);
	}
	while (rt->cycle_hooks) {
		rt_cycle_hook *h = rt->cycle_hooks;
		rt->cycle_hooks = h->next;
		free(h);
	}
	types_free(&rt->types);
	free(rt->mut.stack.v);
	free(rt->globals.v);
}

const mg_config *mg_runtime_config(const mg_runtime *rt)
{
	return &rt->cfg;
}
