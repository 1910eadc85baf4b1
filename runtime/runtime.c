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
		/* The handler belongs to the thread that opened the runtime
		 * (it longjmps into its stack): a mark worker's or another
		 * thread's fatal error exits the process. */
		if (rt->on_fail && !rt_collector_thread && pthread_equal(pthread_self(), rt->opener))
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

static rt_typeinfo *tab_find(const mg_runtime *rt, const rt_typetab *tab, const mg_type *t)
{
	if (!tab)
		return NULL;
	for (uint32_t i = type_hash(t, tab->cap - 1);; i = (i + 1) & (tab->cap - 1)) {
		const mg_type *k = __atomic_load_n(&tab->e[i].key, __ATOMIC_ACQUIRE);
		if (k == t)
			return rt_type_byid(rt, tab->e[i].id);
		if (!k)
			return NULL;
	}
}

rt_typeinfo *rt_type_lookup(mg_runtime *rt, const mg_type *t)
{
	return tab_find(rt, __atomic_load_n(&rt->types.tab, __ATOMIC_ACQUIRE), t);
}

/* Under the registry's lock: the id first, then the key that publishes it. */
static void type_table_insert(rt_typetab *tab, const mg_type *t, uint32_t id)
{
	uint32_t i = type_hash(t, tab->cap - 1);
	while (tab->e[i].key)
		i = (i + 1) & (tab->cap - 1);
	tab->e[i].id = id;
	__atomic_store_n(&tab->e[i].key, t, __ATOMIC_RELEASE);
}

static void type_table_grow(mg_runtime *rt)
{
	rt_types *ty = &rt->types;
	rt_typetab *old = ty->tab;
	uint32_t ncap = old ? old->cap * 2 : 64;
	rt_typetab *tab = rt_xrealloc(rt, NULL, sizeof *tab + (size_t)ncap * sizeof tab->e[0]);
	memset(tab, 0, sizeof *tab + (size_t)ncap * sizeof tab->e[0]);
	tab->cap = ncap;
	tab->retired = old;
	for (uint32_t i = 0; old && i < old->cap; i++)
		if (old->e[i].key)
			type_table_insert(tab, old->e[i].key, old->e[i].id);
	__atomic_store_n(&ty->tab, tab, __ATOMIC_RELEASE);
}

static rt_typeinfo *type_add_locked(mg_runtime *rt, const mg_type *t);

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
	if (RT_LIKELY(ti != NULL))
		return ti;
	rt_types *ty = &rt->types;
	type_validate(rt, t); /* fatal on a bad descriptor: before the lock */
	pthread_mutex_lock(&ty->lock);
	ti = tab_find(rt, ty->tab, t); /* another thread may have registered it */
	if (!ti)
		ti = type_add_locked(rt, t);
	pthread_mutex_unlock(&ty->lock);
	return ti;
}

static rt_typeinfo *type_add_locked(mg_runtime *rt, const mg_type *t)
{
	rt_typeinfo *ti;
	rt_types *ty = &rt->types;
	if (ty->n + 1 >= RT_TYPE_MAX) {
		pthread_mutex_unlock(&ty->lock);
		mg_fatal(rt, "too many types");
	}
	if (!ty->tab || (ty->n + 1) * 2 > ty->tab->cap)
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
	type_table_insert(ty->tab, t, ti->id);
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
	while (ty->tab) {
		rt_typetab *t = ty->tab;
		ty->tab = t->retired;
		free(t);
	}
	pthread_mutex_destroy(&ty->lock);
	memset(ty, 0, sizeof *ty);
}

/* ---- roots and scopes --------------------------------------------------- */

/* On the Boehm backend a collection may stop this thread (by signal) at
 * any instruction and read its roots: the grown array is published whole
 * before the old one is freed, and an entry before the count that covers
 * it (the signal fences keep the compiler from reordering the stores). */
static void rootstack_push(mg_runtime *rt, rt_rootstack *s, void *slot, const char *name)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		rt_root *v = rt_xrealloc(rt, NULL, ncap * sizeof *v);
		if (s->n)
			memcpy(v, s->v, s->n * sizeof *v);
		rt_root *old = s->v;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		s->v = v;
		s->cap = ncap;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		free(old);
	}
	s->v[s->n] = (rt_root){(void **)slot, name};
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	s->n++;
}

/* A thread's scope roots are its own: only it pushes and pops them; the
 * collector reads them while the thread is stopped, at its own safepoint,
 * or in native code (gc/sched.c). */
void mg_scope_enter(mg_runtime *rt, mg_scope *s)
{
	rt_mutator *m = rt_self(rt);
	s->base = m->stack.n;
	s->prev = m->scope;
	m->scope = s;
	m->nscopes++;
}

void mg_root(mg_runtime *rt, void *slot, const char *name)
{
	rt_mutator *m = rt_self(rt);
	if (!m->scope)
		mg_fatal(rt, "mg_root(%s) outside any scope", name ? name : "?");
	rootstack_push(rt, &m->stack, slot, name);
}

void mg_scope_leave(mg_runtime *rt, mg_scope *s)
{
	rt_mutator *m = rt_self(rt);
	/* inv.scope-lifo */
	if (m->scope != s)
		mg_fatal(rt, "mg_scope_leave: scope left out of order");
	/* Scope exit is a safepoint (DESIGN.md §9), taken while the scope's
	 * roots still hold what the caller may return unrooted. */
	rt_poll(rt);
	m->stack.n = s->base;
	m->scope = s->prev;
	m->nscopes--;
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
	rt_mutator *m = rt_self(rt);
	m->rand_state += 0x9e3779b97f4a7c15ULL;
	return rt_mix64(m->rand_state);
}

/* ---- threads ------------------------------------------------------------ */

_Thread_local rt_mutator *rt_tls_mut;

rt_mutator *rt_self_or_null(mg_runtime *rt)
{
	pthread_t me = pthread_self();
	rt_mutator *found = NULL;
	pthread_mutex_lock(&rt->muts_lock);
	for (rt_mutator *m = rt->muts; m && !found; m = m->next)
		if (pthread_equal(m->thread, me))
			found = m;
	pthread_mutex_unlock(&rt->muts_lock);
	if (found)
		rt_tls_mut = found;
	return found;
}

rt_mutator *rt_self_slow(mg_runtime *rt)
{
	rt_mutator *m = rt_self_or_null(rt);
	if (!m)
		mg_fatal(rt, "heap call from a thread that is not attached to the runtime (mg_thread_attach)");
	return m;
}

rt_mutator *rt_mutator_new(mg_runtime *rt)
{
	/* Its own cache lines: each thread writes its counters at every
	 * safepoint, and must not share a line with another thread's. */
	rt_mutator *m = aligned_alloc(64, (sizeof *m + 63) & ~(size_t)63);
	if (!m)
		rt_out_of_memory(rt, sizeof *m);
	memset(m, 0, sizeof *m);
	m->rt = rt;
	m->thread = pthread_self();
	m->id = ++rt->next_mid;
	/* Thread 1's stream is the runtime's seed itself: one thread draws
	 * what the single-threaded runtime drew. */
	m->rand_state = m->id == 1 ? rt->rand_seed : rt_mix64(rt->rand_seed + m->id);
	m->roots_scanned = true; /* an empty stack is black (gc/sched.c) */
	m->state = RT_M_NATIVE;
	pthread_mutex_lock(&rt->muts_lock);
	rt_mutator **pp = &rt->muts;
	while (*pp)
		pp = &(*pp)->next;
	*pp = m;
	__atomic_store_n(&rt->nmuts, rt->nmuts + 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&rt->muts_lock);
	rt_tls_mut = m;
	return m;
}

void rt_mutator_free(mg_runtime *rt, rt_mutator *m)
{
	pthread_mutex_lock(&rt->muts_lock);
	for (rt_mutator **pp = &rt->muts; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	__atomic_store_n(&rt->nmuts, rt->nmuts - 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&rt->muts_lock);
	if (rt_tls_mut == m)
		rt_tls_mut = NULL;
	free(m->stack.v);
	free(m);
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
	/* One thread reports each interval: the one whose exchange moves it. */
	uint64_t next = __atomic_load_n(&rt->progress_next, __ATOMIC_RELAXED);
	if (now < next ||
	    !__atomic_compare_exchange_n(&rt->progress_next, &next, now + rt->progress_every, false,
	                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	uint64_t n = 0;
	pthread_mutex_lock(&rt->muts_lock);
	for (rt_mutator *m = rt->muts; m; m = m->next)
		n += __atomic_load_n(&m->safepoints, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&rt->muts_lock);
	pthread_mutex_lock(&rt->trace_lock);
	rt->progress(rt, n, rt->progress_ud);
	pthread_mutex_unlock(&rt->trace_lock);
}

/* Several threads may print: one writer at a time, and the line is
 * formatted first, so that the hook (a progress line's clearing) and the
 * line come out whole, together. */
void rt_trace_line(mg_runtime *rt, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&rt->trace_lock);
	if (rt->trace_hook)
		rt->trace_hook(rt, rt->trace_hook_ud);
	if (n >= (int)sizeof buf) {
		va_start(ap, fmt);
		vfprintf(rt->trace, fmt, ap);
		va_end(ap);
	} else if (n > 0) {
		fwrite(buf, 1, (size_t)n, rt->trace);
	}
	fflush(rt->trace);
	pthread_mutex_unlock(&rt->trace_lock);
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
	rt->opener = pthread_self();
	rt->start_cpu_ns = rt_cputime();
	/* Without a seed, runs differ (as Go's maps do); with one, every
	 * random choice of the runtime is a function of it. */
	rt->rand_seed = rt->cfg.seed_set ? rt->cfg.seed : rt->start_ns ^ (uint64_t)(uintptr_t)rt;
	pthread_mutex_init(&rt->types.lock, NULL);
	pthread_mutex_init(&rt->trace_lock, NULL);
	pthread_mutex_init(&rt->muts_lock, NULL);
	rt_type_register(rt, &mg_type_int64);
	rt_type_register(rt, &mg_type_ptr);
	rt_type_register(rt, &mg_type_string);
	rt_type_register(rt, &mg_type_bytes);
	rt_mutator_new(rt)->state = RT_M_RUNNING; /* mg_open attaches its caller */
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
	while (rt->muts)
		rt_mutator_free(rt, rt->muts);
	free(rt->globals.v);
	pthread_mutex_destroy(&rt->trace_lock);
	pthread_mutex_destroy(&rt->muts_lock);
}

const mg_config *mg_runtime_config(const mg_runtime *rt)
{
	return &rt->cfg;
}
