/*
 * work.c — the grey set: Ps and their mark work buffers (Go's gcWork,
 * mgcwork.go, on pthreads).
 *
 * Each P owns two buffers, b1 and b2.  Pushes and pops go to b1; when b1
 * is full (or empty) it is swapped with b2 first, so a P that alternates
 * around a buffer boundary does not touch the shared lists at every item;
 * only when both are full does a buffer go to the shared full list (and an
 * empty one come from the empty list), and only when both are empty does
 * the P take a full buffer from the list.  A worker that waits for work is
 * woken when a buffer is published (gc_wput_slow, gc_wdispose,
 * gc_wbalance).
 *
 * HOOKED TYPES.  A type with a scanned hook (maps, iterators, under
 * maptrace) is scanned only by a mutator that no other thread can race:
 * the only thread attached, or the one that has stopped the world
 * (gc_may_hook): the hooks read the map's header, which mutators write,
 * and so read it as of one moment with no race; so is an untagged item of a type with a chunk hook
 * (maptrace's bucket arrays met before their map: the layer's table of
 * such arrays is P 0's).  A tagged chunk item (the array's role, given by
 * its holder's hook) may be done by any P: the chunk hook reads only the
 * array's tophash words and overflow links, which the map writes with
 * atomic stores, and gathers its figures per P (gc_current_pid), merged at
 * the cycle's end.  A P that pops an item it may not do hands it over
 * (gc_whand_over) to a list that the lone mutator takes in its next slice
 * or end-of-mark check, or, with several threads, the stopped world of
 * the end of mark does (gc_do_handover).
 *
 * With MAPGC_PROCS=1 there is no worker: P 0's buffers only move to and
 * from the lists when both are full or empty, and mark work is done in
 * nearly the stack order of the single queue before Ps (newest first,
 * except across a buffer swap).
 */
#include "gc/gc.h"

#include <stdlib.h>
#include <string.h>

static gc_wbuf *wbuf_alloc(mg_runtime *rt, gc_state *gc)
{
	gc_wbuf *b = malloc(sizeof *b + (size_t)gc->wbuf_cap * sizeof(gc_work));
	if (!b)
		rt_out_of_memory(rt, sizeof *b + (size_t)gc->wbuf_cap * sizeof(gc_work));
	b->next = NULL;
	b->n = 0;
	return b;
}

static void list_free(gc_wbuf *b)
{
	while (b) {
		gc_wbuf *n = b->next;
		free(b);
		b = n;
	}
}

static gc_wbuf *get_empty(mg_runtime *rt, gc_state *gc)
{
	pthread_mutex_lock(&gc->wlock);
	gc_wbuf *b = gc->wempty;
	if (b)
		gc->wempty = b->next;
	pthread_mutex_unlock(&gc->wlock);
	if (!b)
		b = wbuf_alloc(rt, gc);
	b->next = NULL;
	b->n = 0;
	return b;
}

static void put_empty(gc_state *gc, gc_wbuf *b)
{
	pthread_mutex_lock(&gc->wlock);
	b->next = gc->wempty;
	gc->wempty = b;
	pthread_mutex_unlock(&gc->wlock);
}

/* Under the lock: a worker waiting for work gets the news. */
static void publish_locked(gc_state *gc, gc_wbuf *b)
{
	b->next = gc->wfull;
	gc->wfull = b;
	__atomic_store_n(&gc->nfull, gc->nfull + 1, __ATOMIC_RELAXED);
	if (gc->nwaiting)
		pthread_cond_signal(&gc->work_cv);
	if (gc->mut_waiting)
		pthread_cond_signal(&gc->mut_cv);
}

static void put_full(gc_state *gc, gc_wbuf *b)
{
	pthread_mutex_lock(&gc->wlock);
	publish_locked(gc, b);
	pthread_mutex_unlock(&gc->wlock);
}

static gc_wbuf *try_get_full(gc_state *gc)
{
	if (gc_atomic_nfull(gc) == 0)
		return NULL;
	pthread_mutex_lock(&gc->wlock);
	gc_wbuf *b = gc->wfull;
	if (b) {
		gc->wfull = b->next;
		__atomic_store_n(&gc->nfull, gc->nfull - 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&gc->wlock);
	return b;
}

void gc_wput_slow(mg_runtime *rt, gc_p *p, gc_work w)
{
	gc_state *gc = gc_of(rt);
	gc_wbuf *b = p->b1;
	p->b1 = p->b2;
	p->b2 = b;
	if (p->b1->n == gc->wbuf_cap) {
		put_full(gc, p->b1);
		p->b1 = get_empty(rt, gc);
	}
	p->b1->obj[p->b1->n++] = w;
}

bool gc_wget_slow(mg_runtime *rt, gc_p *p, gc_work *out)
{
	gc_state *gc = gc_of(rt);
	gc_wbuf *b = p->b1;
	p->b1 = p->b2;
	p->b2 = b;
	if (p->b1->n == 0) {
		gc_wbuf *f = try_get_full(gc);
		if (!f)
			return false;
		put_empty(gc, p->b1);
		p->b1 = f;
	}
	(void)rt;
	*out = p->b1->obj[--p->b1->n];
	return true;
}

void gc_wdispose(mg_runtime *rt, gc_p *p)
{
	gc_state *gc = gc_of(rt);
	for (int i = 0; i < 2; i++) {
		gc_wbuf **slot = i ? &p->b2 : &p->b1;
		if ((*slot)->n == 0)
			continue;
		put_full(gc, *slot);
		*slot = get_empty(rt, gc);
	}
}

void gc_wbalance_slow(mg_runtime *rt, gc_p *p)
{
	gc_state *gc = gc_of(rt);
	if (p->b2->n) {
		put_full(gc, p->b2);
		p->b2 = get_empty(rt, gc);
	} else if (p->b1->n > 4) {
		/* Half of b1, the older half (the bottom: the other end from
		 * where this P works). */
		gc_wbuf *h = get_empty(rt, gc);
		uint32_t k = p->b1->n / 2;
		memcpy(h->obj, p->b1->obj, k * sizeof(gc_work));
		memmove(p->b1->obj, p->b1->obj + k, (p->b1->n - k) * sizeof(gc_work));
		h->n = k;
		p->b1->n -= k;
		put_full(gc, h);
	}
}

void gc_wreserve(mg_runtime *rt, gc_p *p, uint32_t n)
{
	gc_state *gc = gc_of(rt);
	if (n > gc->wbuf_cap)
		mg_fatal(rt, "gc_wreserve: %u items do not fit a %u-item work buffer", n, gc->wbuf_cap);
	if (p->b1->n + n <= gc->wbuf_cap)
		return;
	if (p->b2->n + n <= gc->wbuf_cap) {
		gc_wbuf *b = p->b1;
		p->b1 = p->b2;
		p->b2 = b;
		return;
	}
	put_full(gc, p->b1);
	p->b1 = get_empty(rt, gc);
}

/* The hand-over list holds buffers too; the head is the one being filled. */
void gc_whand_over(mg_runtime *rt, gc_work w)
{
	gc_state *gc = gc_of(rt);
	pthread_mutex_lock(&gc->wlock);
	gc_wbuf *b = gc->handover;
	if (!b || b->n == gc->wbuf_cap) {
		if ((b = gc->wempty) != NULL) {
			gc->wempty = b->next;
		} else {
			pthread_mutex_unlock(&gc->wlock);
			b = wbuf_alloc(rt, gc);
			pthread_mutex_lock(&gc->wlock);
		}
		b->n = 0;
		b->next = gc->handover;
		gc->handover = b;
	}
	b->obj[b->n++] = w;
	__atomic_store_n(&gc->nhandover, gc->nhandover + 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&gc->mut_cv);
	pthread_mutex_unlock(&gc->wlock);
}

bool gc_wtake_handover(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (__atomic_load_n(&gc->nhandover, __ATOMIC_RELAXED) == 0)
		return false;
	gc_p *p0 = gc_my_p(rt);
	if (!gc_may_hook(rt, p0))
		return false; /* several threads: the stopped world does them (gc_do_handover) */
	pthread_mutex_lock(&gc->wlock);
	gc_wbuf *list = gc->handover;
	gc->handover = NULL;
	__atomic_store_n(&gc->nhandover, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&gc->wlock);
	bool any = false;
	while (list) {
		gc_wbuf *b = list;
		list = b->next;
		for (uint32_t i = 0; i < b->n; i++) {
			gc_wput(rt, p0, b->obj[i]);
			any = true;
		}
		put_empty(gc, b);
	}
	return any;
}

size_t gc_handover_pending(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	size_t n = __atomic_load_n(&gc->nhandover, __ATOMIC_RELAXED);
	if (n == 0)
		return 0;
	rt_mutator *m = rt_tls_mut; /* a worker's is NULL */
	return m && m->rt == rt && m->p && gc_may_hook(rt, m->p) ? n : 0;
}

bool gc_whandover_pop(mg_runtime *rt, gc_work *out)
{
	gc_state *gc = gc_of(rt);
	bool any = false;
	pthread_mutex_lock(&gc->wlock);
	gc_wbuf *b;
	while ((b = gc->handover) != NULL && b->n == 0) {
		gc->handover = b->next;
		b->next = gc->wempty;
		gc->wempty = b;
	}
	if (b) {
		*out = b->obj[--b->n];
		__atomic_store_n(&gc->nhandover, gc->nhandover - 1, __ATOMIC_RELAXED);
		any = true;
	}
	pthread_mutex_unlock(&gc->wlock);
	return any;
}

static void foreach_buf(gc_wbuf *b, void (*fn)(gc_work *, void *), void *ud)
{
	for (; b; b = b->next)
		for (uint32_t i = 0; i < b->n; i++)
			fn(&b->obj[i], ud);
}

void gc_work_foreach(gc_state *gc, void (*fn)(gc_work *w, void *ud), void *ud)
{
	for (uint32_t i = 0; i < gc->nproc; i++) {
		for (uint32_t k = 0; k < gc->ps[i].b1->n; k++)
			fn(&gc->ps[i].b1->obj[k], ud);
		for (uint32_t k = 0; k < gc->ps[i].b2->n; k++)
			fn(&gc->ps[i].b2->obj[k], ud);
	}
	foreach_buf(gc->wfull, fn, ud);
	foreach_buf(gc->handover, fn, ud);
}

void gc_work_discard(gc_state *gc)
{
	for (uint32_t i = 0; i < gc->nproc; i++) {
		gc->ps[i].b1->n = gc->ps[i].b2->n = 0;
		gc->ps[i].wbn = 0;
	}
	for (gc_wbuf **l = &gc->wfull;; l = &gc->handover) {
		while (*l) {
			gc_wbuf *b = *l;
			*l = b->next;
			b->next = gc->wempty;
			gc->wempty = b;
		}
		if (l == &gc->handover)
			break;
	}
	gc->nfull = gc->nhandover = 0;
}

bool gc_work_none(gc_state *gc)
{
	for (uint32_t i = 0; i < gc->nproc; i++)
		if (gc->ps[i].b1->n || gc->ps[i].b2->n)
			return false;
	return gc->wfull == NULL && gc->handover == NULL;
}

void gc_work_init(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	gc->nproc = rt->cfg.procs > 0 ? (uint32_t)rt->cfg.procs : 1;
	gc->wbuf_cap = rt->cfg.smallbuf ? GC_WBUF_SMALL : GC_WBUF_CAP;
	pthread_mutex_init(&gc->wlock, NULL);
	pthread_mutex_init(&gc->heap_lock, NULL);
	pthread_cond_init(&gc->work_cv, NULL);
	pthread_cond_init(&gc->mut_cv, NULL);
	gc->ps = aligned_alloc(GC_CACHE_LINE, gc->nproc * sizeof *gc->ps);
	if (gc->ps)
		memset(gc->ps, 0, gc->nproc * sizeof *gc->ps);
	if (!gc->ps)
		rt_out_of_memory(rt, gc->nproc * sizeof *gc->ps);
	for (uint32_t i = 0; i < gc->nproc; i++) {
		gc_p *p = &gc->ps[i];
		p->id = i;
		p->rt = rt;
		p->b1 = wbuf_alloc(rt, gc);
		p->b2 = wbuf_alloc(rt, gc);
		p->hooked_base = SIZE_MAX;
		p->wbcap = rt->cfg.smallbuf ? GC_WBB_SMALL : GC_WBB_CAP;
		p->wbb = malloc(p->wbcap * sizeof *p->wbb);
		p->wbkind = rt->cfg.wbtrace ? malloc(p->wbcap) : NULL;
		if (!p->wbb || (rt->cfg.wbtrace && !p->wbkind))
			rt_out_of_memory(rt, p->wbcap * sizeof *p->wbb);
	}
}

void gc_work_destroy(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	if (!gc->ps)
		return;
	for (uint32_t i = 0; i < gc->nproc; i++) {
		free(gc->ps[i].b1);
		free(gc->ps[i].b2);
		free(gc->ps[i].wbb);
		free(gc->ps[i].wbkind);
	}
	list_free(gc->wfull);
	list_free(gc->wempty);
	list_free(gc->handover);
	free(gc->ps);
	gc->ps = NULL;
	pthread_cond_destroy(&gc->work_cv);
	pthread_cond_destroy(&gc->mut_cv);
	pthread_mutex_destroy(&gc->wlock);
	pthread_mutex_destroy(&gc->heap_lock);
}
