/*
 * heap.c — the page heap: one virtual reservation, committed in GC_GROW_BYTES
 * steps, cut into spans; size classes; free-run coalescing; returning free
 * pages to the OS.  See gc.h for the picture and the invariants.
 *
 * inv.pagemap: every page of an in-use span maps to its span; of a free
 * span, only the first and last page map to it (for coalescing), the pages
 * between map to NULL.  So gc_span_of never returns a stale span.
 */
#include "gc/gc.h"
#include "gc/vg.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

/* ---- size classes -------------------------------------------------------
 * Slot sizes (header included): 16..128 in steps of 16, then four classes
 * per power of two up to 32 KiB, so internal waste stays under 25 % and
 * averages about 10 %.  Each class's span takes the fewest pages that waste
 * at most 1/8 of the span at its tail.  Computed, not tabled, so the table
 * and the lookup cannot disagree. */

static uint32_t class_size[GC_NCLASS];
static uint32_t class_npages[GC_NCLASS];
static uint8_t class_small[1024 / 8 + 1];        /* size ≤ 1024: by 8 bytes */
static uint8_t class_big[GC_MAX_SMALL / 128 + 1]; /* above: by 128 bytes */
/* Built before main, so the tables are valid for every caller, runtime or not. */
__attribute__((constructor)) static void classes_init(void)
{
	uint32_t n = 1;
	for (uint32_t s = 16; s <= 128; s += 16)
		class_size[n++] = s;
	for (uint32_t p = 128; p < GC_MAX_SMALL; p *= 2)
		for (uint32_t k = 1; k <= 4; k++)
			class_size[n++] = p + k * (p / 4);
	if (n != GC_NCLASS)
		abort(); /* GC_NCLASS is derived from the scheme above */
	for (uint32_t c = 1; c < GC_NCLASS; c++) {
		uint32_t np = (uint32_t)((class_size[c] + GC_PAGE_SIZE - 1) / GC_PAGE_SIZE);
		while ((np * GC_PAGE_SIZE) % class_size[c] > np * GC_PAGE_SIZE / 8)
			np++;
		class_npages[c] = np;
	}
	uint32_t c = 1;
	for (uint32_t i = 0; i <= 1024 / 8; i++) {
		while (class_size[c] < i * 8)
			c++;
		class_small[i] = (uint8_t)c;
	}
	for (uint32_t i = 0; i <= GC_MAX_SMALL / 128; i++) {
		while (class_size[c] < i * 128)
			c++;
		class_big[i] = (uint8_t)c;
	}
}

uint32_t gc_size_to_class(size_t size)
{
	if (size <= 1024)
		return class_small[(size + 7) / 8];
	if (size <= GC_MAX_SMALL)
		return class_big[(size + 127) / 128];
	return 0;
}

uint32_t gc_class_size(uint32_t cls) { return class_size[cls]; }
uint32_t gc_class_npages(uint32_t cls) { return class_npages[cls]; }

/* ---- span lists --------------------------------------------------------- */

void gc_list_push(gc_spanlist *l, gc_span *s)
{
	s->prev = NULL;
	s->next = l->first;
	if (l->first)
		l->first->prev = s;
	else
		l->last = s;
	l->first = s;
	l->n++;
	l->pages += s->npages;
}

void gc_list_remove(gc_spanlist *l, gc_span *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		l->first = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		l->last = s->prev;
	s->next = s->prev = NULL;
	l->n--;
	l->pages -= s->npages;
}

void gc_list_splice(gc_spanlist *to, gc_spanlist *from)
{
	if (!from->first)
		return;
	if (to->last) {
		to->last->next = from->first;
		from->first->prev = to->last;
	} else {
		to->first = from->first;
	}
	to->last = from->last;
	to->n += from->n;
	to->pages += from->pages;
	*from = (gc_spanlist){0};
}

/* ---- reservation -------------------------------------------------------- */

/* The reservation bounds the heap; try large, settle for what the address
 * space (or valgrind) grants.
 *
 * Huge pages.  The arena starts on a 2 MiB boundary and is advised
 * MADV_HUGEPAGE, so with transparent huge pages in "madvise" mode (Debian's
 * default) the kernel backs each 2 MiB commit with one huge page: a heap of
 * hundreds of megabytes touched at random (a big map's buckets, the marker
 * following pointers) then costs far fewer TLB misses.  Go 1.19 does the
 * same (sysHugePage on the memory it puts in use); measured on the map
 * benchmark at 10^6 keys, it ran with 150 MB of its 190 MB RSS in huge
 * pages while mapgc had none.  The scavenger's MADV_DONTNEED splits a huge
 * page it frees only part of; khugepaged may later collapse such a page
 * again, refilling at most the rest of its 2 MiB, so RSS can exceed
 * heap_mapped by up to 2 MiB per partly released huge page.  Where the
 * kernel has no THP the advice fails and is ignored.
 *
 * The price is paid at first touch, where the kernel zeroes a whole
 * 2 MiB page.  On a VM whose balloon reports free memory to the host
 * (virtio free page reporting, as on this project's machines) a huge page
 * not used in the last seconds is cold on the host too: touching 256 MB
 * cost 2.3 ms/MB in huge pages, 0.12 ms/MB in huge pages just freed, and
 * 0.32 ms/MB in 4 KiB pages.  gcstress, which grows a fresh 200 MB heap,
 * paid 0.05-0.45 s of system time in five bench runs; its marker and mutator
 * gain back about half of that in user time, the map benchmark at 10^6
 * keys much more than that. */
#define RESERVE_MAX ((size_t)64 << 30)
#define RESERVE_MIN ((size_t)256 << 20)
#define HUGE_PAGE ((size_t)2 << 20)
_Static_assert(GC_GROW_BYTES % HUGE_PAGE == 0, "commits cover whole huge pages");
_Static_assert((GC_GROW_BYTES & (GC_GROW_BYTES - 1)) == 0, "heap_grow rounds up with a mask");

void gc_heap_init(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	size_t size = RESERVE_MAX;
	void *p = MAP_FAILED;
	for (; size >= RESERVE_MIN; size /= 2) {
		p = mmap(NULL, size + HUGE_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED)
			break;
	}
	if (p == MAP_FAILED)
		rt_out_of_memory(rt, RESERVE_MIN);
	uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	(void)madvise((void *)lo, size, MADV_HUGEPAGE);
	gc->reserve_base = p;
	gc->reserve_size = size + HUGE_PAGE;
	gc->arena_lo = lo;
	gc->arena_hi = lo + size;
	__atomic_store_n(&gc->committed, lo, __ATOMIC_RELEASE);
	gc->scavenged_at = rt_nanotime();
	size_t npages = size >> GC_PAGE_SHIFT;
	void *pm = mmap(NULL, npages * sizeof(gc_span *), PROT_READ | PROT_WRITE,
	                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pm == MAP_FAILED)
		rt_out_of_memory(rt, npages * sizeof(gc_span *));
	gc->pagemap = pm;
	gc->sweepgen = 1;
#if MAPGC_VALGRIND
	gc_vg_pool_create(gc);
	if (gc_vg_running)
		rt->before_fatal_exit = gc_vg_fatal_exit;
#endif
}

static void span_destroy(gc_span *s)
{
	if (s->state != SPAN_FREE)
		free(s->allocbits);
	free(s);
}

void gc_heap_destroy(mg_runtime *rt)
{
	gc_state *gc = gc_of(rt);
	/* Every span struct is reachable from the page map: walk runs. */
	for (uintptr_t a = gc->arena_lo; a < gc->committed;) {
		gc_span *s = gc->pagemap[(a - gc->arena_lo) >> GC_PAGE_SHIFT];
		if (!s) /* cannot happen: first page of every run is mapped */
			abort();
		a = s->base + (uintptr_t)s->npages * GC_PAGE_SIZE;
		span_destroy(s);
	}
	GC_VG(gc_vg_pool_destroy(gc));
	size_t npages = (gc->arena_hi - gc->arena_lo) >> GC_PAGE_SHIFT;
	munmap(gc->pagemap, npages * sizeof(gc_span *));
	munmap(gc->reserve_base, gc->reserve_size);
}

/* ---- page map ----------------------------------------------------------- */

static inline size_t page_of(const gc_state *gc, uintptr_t a) { return (a - gc->arena_lo) >> GC_PAGE_SHIFT; }

static void pagemap_set_all(gc_state *gc, gc_span *s, gc_span *v)
{
	size_t p = page_of(gc, s->base);
	for (uint32_t i = 0; i < s->npages; i++)
		__atomic_store_n(&gc->pagemap[p + i], v, __ATOMIC_RELEASE);
}

static void pagemap_set_ends(gc_state *gc, gc_span *s)
{
	size_t p = page_of(gc, s->base);
	__atomic_store_n(&gc->pagemap[p], s, __ATOMIC_RELEASE);
	__atomic_store_n(&gc->pagemap[p + s->npages - 1], s, __ATOMIC_RELEASE);
}

/* ---- free runs ---------------------------------------------------------- */

static gc_spanlist *free_list_for(gc_state *gc, uint32_t npages)
{
	return npages < 128 ? &gc->free_runs[npages] : &gc->free_large;
}

static gc_span *span_new(mg_runtime *rt, uintptr_t base, uint32_t npages)
{
	gc_span *s = calloc(1, sizeof *s);
	if (!s)
		rt_out_of_memory(rt, sizeof *s);
	s->base = base;
	s->npages = npages;
	s->state = SPAN_FREE;
	return s;
}

static void free_run_insert(gc_state *gc, gc_span *s)
{
	s->state = SPAN_FREE;
	gc_list_push(free_list_for(gc, s->npages), s);
	pagemap_set_ends(gc, s);
	if (!s->released)
		gc->free_unreleased += (uint64_t)s->npages * GC_PAGE_SIZE;
}

static void free_run_remove(gc_state *gc, gc_span *s)
{
	gc_list_remove(free_list_for(gc, s->npages), s);
	if (!s->released)
		gc->free_unreleased -= (uint64_t)s->npages * GC_PAGE_SIZE;
}

/* A run is "released" only if all of it is: a released run merged with a
 * resident one counts as resident again (it is faulted in when used). */
static void unrelease(gc_state *gc, gc_span *s)
{
	if (s->released) {
		s->released = false;
		gc->heap_mapped += (uint64_t)s->npages * GC_PAGE_SIZE;
	}
}

/* Merges free neighbours into s (already detached from every list). */
static gc_span *coalesce(gc_state *gc, gc_span *s)
{
	size_t p = page_of(gc, s->base);
	if (p > 0) {
		gc_span *l = gc->pagemap[p - 1];
		if (l && l->state == SPAN_FREE) {
			free_run_remove(gc, l);
			__atomic_store_n(&gc->pagemap[p - 1], NULL, __ATOMIC_RELEASE);
			__atomic_store_n(&gc->pagemap[p], NULL, __ATOMIC_RELEASE);
			unrelease(gc, l);
			l->npages += s->npages;
			l->needzero |= s->needzero;
			span_destroy(s);
			s = l;
		}
	}
	uintptr_t end = s->base + (uintptr_t)s->npages * GC_PAGE_SIZE;
	if (end < gc->committed) {
		gc_span *r = gc->pagemap[page_of(gc, end)];
		if (r && r->state == SPAN_FREE) {
			free_run_remove(gc, r);
			__atomic_store_n(&gc->pagemap[page_of(gc, end)], NULL, __ATOMIC_RELEASE);
			__atomic_store_n(&gc->pagemap[page_of(gc, end) - 1], NULL, __ATOMIC_RELEASE);
			unrelease(gc, r);
			s->npages += r->npages;
			s->needzero |= r->needzero;
			span_destroy(r);
		}
	}
	return s;
}

/* Commits at least npages more of the reservation: one OS request. */
static bool heap_grow(mg_runtime *rt, uint32_t npages)
{
	gc_state *gc = gc_of(rt);
	/* Whole GC_GROW_BYTES, so `committed` stays on a huge-page boundary:
	 * a commit that ended mid huge page would leave the next one
	 * straddling two, and the kernel backs a fault with a huge page only
	 * when the whole 2 MiB around it is mapped — every later commit would
	 * fault in 4 KiB pages (seen: 74 of 199 MB of the gcstress heap in
	 * huge pages, the rest after its first 37 MB bucket array). */
	size_t bytes = ((size_t)npages * GC_PAGE_SIZE + GC_GROW_BYTES - 1) & ~(GC_GROW_BYTES - 1);
	if (gc->committed + bytes > gc->arena_hi) {
		bytes = (size_t)npages * GC_PAGE_SIZE;
		if (gc->committed + bytes > gc->arena_hi)
			return false;
	}
	if ((int64_t)(gc->heap_mapped + bytes) > rt->cfg.memlimit)
		return false;
	gc->os_requests++;
	gc->stats.os_requests++;
	if (rt->cfg.failalloc && gc->os_requests == rt->cfg.failalloc)
		return false;
	if (mprotect((void *)gc->committed, bytes, PROT_READ | PROT_WRITE) != 0)
		return false;
	GC_VG(gc_vg_noaccess((void *)gc->committed, bytes)); /* inv.vg-free: a free run until slots are handed out */
	gc_span *s = span_new(rt, gc->committed, (uint32_t)(bytes >> GC_PAGE_SHIFT));
	__atomic_store_n(&gc->committed, gc->committed + bytes, __ATOMIC_RELEASE);
	gc->heap_mapped += bytes;
	s = coalesce(gc, s);
	free_run_insert(gc, s);
	return true;
}

static gc_span *find_free_run(gc_state *gc, uint32_t npages)
{
	for (uint32_t n = npages; n < 128; n++)
		if (gc->free_runs[n].first)
			return gc->free_runs[n].first;
	/* Best fit among the large runs, lowest address on ties, so the heap
	 * stays compact at the bottom of the reservation. */
	gc_span *best = NULL;
	for (gc_span *s = gc->free_large.first; s; s = s->next)
		if (s->npages >= npages &&
		    (!best || s->npages < best->npages || (s->npages == best->npages && s->base < best->base)))
			best = s;
	return best;
}

static gc_span *take_run(mg_runtime *rt, uint32_t npages)
{
	gc_state *gc = gc_of(rt);
	gc_span *s = find_free_run(gc, npages);
	if (!s)
		return NULL;
	free_run_remove(gc, s);
	if (s->released) {
		/* Coming back from the OS counts against the limit too. */
		if ((int64_t)(gc->heap_mapped + (uint64_t)s->npages * GC_PAGE_SIZE) > rt->cfg.memlimit) {
			free_run_insert(gc, s);
			return NULL;
		}
		gc->heap_mapped += (uint64_t)s->npages * GC_PAGE_SIZE;
	}
	if (s->npages > npages) {
		gc_span *rest = span_new(rt, s->base + (uintptr_t)npages * GC_PAGE_SIZE, s->npages - npages);
		rest->needzero = s->needzero;
		rest->released = false;
		if (s->released) {
			/* Give the tail back as released, as it was. */
			rest->released = true;
			gc->heap_mapped -= (uint64_t)rest->npages * GC_PAGE_SIZE;
		}
		s->npages = npages;
		__atomic_store_n(&gc->pagemap[page_of(gc, rest->base) + rest->npages - 1], NULL, __ATOMIC_RELEASE);
		free_run_insert(gc, rest);
	}
	return s;
}

gc_span *gc_span_alloc(mg_runtime *rt, uint32_t npages)
{
	gc_state *gc = gc_of(rt);
	gc_span *s = take_run(rt, npages);
	if (!s) {
		if (!heap_grow(rt, npages))
			return NULL;
		s = take_run(rt, npages);
		if (!s)
			return NULL;
	}
	if (s->released)
		s->needzero = false; /* madvise(DONTNEED) gives zero pages back */
	s->released = false;
	gc_unpoison((void *)s->base, (size_t)s->npages * GC_PAGE_SIZE);
	/* The page map names s once gc_span_init_* has set it up: mark workers
	 * read the span through it (release here, acquire in gc_span_of). */
	gc->inuse_bytes += (uint64_t)s->npages * GC_PAGE_SIZE;
	if (gc->inuse_bytes > gc->peak_inuse)
		gc->peak_inuse = gc->inuse_bytes;
	return s;
}

void gc_span_free(mg_runtime *rt, gc_span *s)
{
	gc_state *gc = gc_of(rt);
	pagemap_set_all(gc, s, NULL);
	gc->inuse_bytes -= (uint64_t)s->npages * GC_PAGE_SIZE;
	free(s->allocbits); /* one block: alloc, mark, check and scratch bits */
	s->allocbits = s->markbits = s->checkbits = s->scratchbits = NULL;
	s->state = SPAN_FREE;
	s->needzero = true;
	s->released = false;
	s->in_cache = false;
	gc_poison((void *)s->base, (size_t)s->npages * GC_PAGE_SIZE);
	s = coalesce(gc, s);
	free_run_insert(gc, s);
}

static void span_bits_alloc(gc_span *s)
{
	size_t w = gc_bitwords(s->nelems);
	uint64_t *b = calloc(4 * w, sizeof(uint64_t));
	if (!b)
		abort(); /* tiny; failing here means malloc itself is gone */
	s->allocbits = b;
	s->markbits = b + w;
	s->checkbits = b + 2 * w;
	s->scratchbits = b + 3 * w;
}

void gc_span_init_small(mg_runtime *rt, gc_span *s, uint32_t spanclass)
{
	uint32_t cls = spanclass >> 1;
	s->state = SPAN_SMALL;
	s->spanclass = (uint8_t)spanclass;
	s->noscan = spanclass & 1;
	s->elem_size = class_size[cls];
	s->nelems = (uint32_t)((size_t)s->npages * GC_PAGE_SIZE / s->elem_size);
	s->divmul = (uint32_t)(UINT32_MAX / s->elem_size + 1);
	s->nalloc = 0;
	s->freeindex = 0;
	span_bits_alloc(s);
	pagemap_set_all(gc_of(rt), s, s);
}

void gc_span_init_large(mg_runtime *rt, gc_span *s, bool noscan)
{
	s->state = SPAN_LARGE;
	s->spanclass = noscan ? 1 : 0;
	s->noscan = noscan;
	s->elem_size = (uint32_t)((size_t)s->npages * GC_PAGE_SIZE > UINT32_MAX ? UINT32_MAX
	                                                                        : (size_t)s->npages * GC_PAGE_SIZE);
	s->nelems = 1;
	s->divmul = 0;
	s->nalloc = 0;
	s->freeindex = 0;
	span_bits_alloc(s);
	pagemap_set_all(gc_of(rt), s, s);
}

static bool release_run(gc_state *gc, gc_span *s)
{
	size_t bytes = (size_t)s->npages * GC_PAGE_SIZE;
	gc_poison((void *)s->base, bytes);
	if (madvise((void *)s->base, bytes, MADV_DONTNEED) != 0)
		return false;
	s->released = true;
	s->needzero = false;
	gc->heap_mapped -= bytes;
	gc->stats.heap_released += bytes;
	return true;
}

/* Returns free pages to the OS until at most `retain` free bytes stay
 * resident.  The largest runs go first (one madvise each, most bytes back);
 * a run larger than what is left to return is split, and only its tail
 * goes back, so the heap does not shrink below what it will need. */
void gc_heap_scavenge(mg_runtime *rt, uint64_t retain)
{
	gc_state *gc = gc_of(rt);
	for (int n = 128; n >= 1 && gc->free_unreleased > retain; n--) {
		gc_spanlist *l = n == 128 ? &gc->free_large : &gc->free_runs[n];
		gc_span *next;
		for (gc_span *s = l->first; s && gc->free_unreleased > retain; s = next) {
			next = s->next;
			if (s->released)
				continue;
			uint64_t need = gc->free_unreleased - retain;
			uint32_t tailp = (uint32_t)((need + GC_PAGE_SIZE - 1) / GC_PAGE_SIZE);
			free_run_remove(gc, s);
			if (tailp < s->npages) {
				gc_span *tail = span_new(rt, s->base + (uintptr_t)(s->npages - tailp) * GC_PAGE_SIZE, tailp);
				s->npages -= tailp;
				free_run_insert(gc, s);
				if (!release_run(gc, tail))
					tail->released = false;
				free_run_insert(gc, tail);
				return;
			}
			release_run(gc, s);
			free_run_insert(gc, s);
		}
	}
}

void gc_for_each_span(mg_runtime *rt, void (*fn)(mg_runtime *, gc_span *, void *), void *ud)
{
	gc_state *gc = gc_of(rt);
	for (uintptr_t a = gc->arena_lo; a < gc->committed;) {
		gc_span *s = gc->pagemap[page_of(gc, a)];
		a = s->base + (uintptr_t)s->npages * GC_PAGE_SIZE;
		if (s->state != SPAN_FREE)
			fn(rt, s, ud);
	}
}
