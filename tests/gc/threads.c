/*
 * Several mutator threads (gc/sched.c, DESIGN.md §9): attaching and
 * detaching, Ps, native code, stopping the world, per-thread roots.
 *
 *  - a bounded race of 4 and 8 threads, each rewiring its own graph and
 *    map, all rewiring a shared graph and a shared map (and its iterator)
 *    under mg_mutex_lock, with forced collections, checkmark and the heap
 *    check on (mgt_config), at the suite's P count;
 *  - threads that attach and detach, over and over, while cycles run;
 *  - a thread blocked in mg_mutex_lock while another collects: no deadlock
 *    (bounded by the test's timeout);
 *  - a thread that never reaches a safepoint: the stop waits, and a debug
 *    build names the thread after 1 s;
 *  - the bad input: a heap call from a thread that is not attached, and a
 *    detach with scopes entered, are fatal with a message saying so;
 *  - each thread's scopes are its roots: a thread's only reference, in its
 *    own scope, keeps an object alive through collections another thread
 *    runs, and a heap snapshot names the root's thread.
 */
#include "tests/support/mgt.h"
#include "tests/support/mgt_obj.h"

#include "gc/gc.h"
#include "gc/gc_test.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static mg_runtime *open_threads(int smallbuf)
{
	mg_config cfg;
	mgt_config(&cfg);
	cfg.smallbuf = smallbuf;
	cfg.gogc = 50; /* cycles come often */
	return mgt_open(&cfg);
}

/* ---- the race ------------------------------------------------------------ */

enum { SHARED_NODES = 64, OWN_NODES = 256, KEYS = 512 };

typedef struct shared {
	mg_runtime *rt;
	pthread_mutex_t mu;
	mgt_obj **nodes;      /* a heap array, a global root: stores go through mg_store */
	mg_hmap *map;         /* global root */
	mg_hiter *it;         /* global root */
	int64_t map_count;    /* model of the shared map's size (under mu) */
	uint8_t present[KEYS];
	uint64_t stop_ns;
	int nthreads;
	uint64_t ops[16];
} shared;

static const mg_type ptrarr = {"nodes", sizeof(void *), 8, (const mg_field[]){{0, "node"}}, 1, NULL, NULL};

typedef struct worker {
	shared *sh;
	int id;
	uint64_t seed;
} worker;

static uint64_t rnd(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	uint64_t z = *s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void shared_step(shared *sh, uint64_t *s)
{
	mg_runtime *rt = sh->rt;
	mg_mutex_lock(rt, &sh->mu);
	uint64_t r = rnd(s) % 100;
	if (r < 30) {
		/* Rewire: node i's field takes node j. */
		mgt_obj *a = sh->nodes[rnd(s) % SHARED_NODES], *b = sh->nodes[rnd(s) % SHARED_NODES];
		mg_store(rt, &a->f[rnd(s) & 1], b);
	} else if (r < 45) {
		/* A fresh node replaces one (the old one may die). */
		mgt_obj *n = mgt_obj_new(rt, (int64_t)r);
		mg_store(rt, &n->f[0], sh->nodes[rnd(s) % SHARED_NODES]);
		mg_store(rt, &sh->nodes[rnd(s) % SHARED_NODES], n);
	} else if (r < 75) {
		int64_t k = (int64_t)(rnd(s) % KEYS);
		void *v = sh->nodes[rnd(s) % SHARED_NODES];
		mg_map_set(rt, sh->map, &k, &v);
		if (!sh->present[k]) {
			sh->present[k] = 1;
			sh->map_count++;
		}
	} else if (r < 90) {
		int64_t k = (int64_t)(rnd(s) % KEYS);
		mg_map_delete(rt, sh->map, &k);
		if (sh->present[k]) {
			sh->present[k] = 0;
			sh->map_count--;
		}
	} else if (r < 93) {
		mg_store(rt, &sh->it, mg_map_iter(rt, sh->map));
	} else {
		for (int n = 0; n < 8 && mg_map_next(rt, sh->it, NULL, NULL); n++)
			;
	}
	cr_assert_eq((int64_t)mg_map_len(sh->map), sh->map_count);
	pthread_mutex_unlock(&sh->mu);
}

static void *race_thread(void *arg)
{
	worker *w = arg;
	shared *sh = w->sh;
	mg_runtime *rt = sh->rt;
	mg_thread_attach(rt);
	uint64_t s = w->seed;
	const mg_maptype *mt = mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr);
	mg_scope sc;
	mg_scope_enter(rt, &sc);
	mg_hmap *own = NULL;
	mgt_obj **nodes = NULL, *tmp = NULL;
	mg_root(rt, &own, "own.map");
	mg_root(rt, &nodes, "own.nodes");
	mg_root(rt, &tmp, "own.tmp");
	own = mg_map_new(rt, mt, 0);
	nodes = mg_alloc_array(rt, &ptrarr, OWN_NODES);
	uint8_t present[KEYS] = {0};
	int64_t count = 0;
	for (int i = 0; i < OWN_NODES; i++) {
		tmp = mgt_obj_new(rt, i);
		mg_store(rt, &nodes[i], tmp);
	}
	uint64_t ops = 0;
	while (now_ns() < sh->stop_ns) {
		uint64_t r = rnd(&s) % 1000;
		if (r < 300) {
			mgt_obj *a = nodes[rnd(&s) % OWN_NODES];
			if (a)
				mg_store(rt, &a->f[rnd(&s) & 1], nodes[rnd(&s) % OWN_NODES]);
		} else if (r < 450) {
			tmp = mgt_obj_new(rt, (int64_t)r);
			mg_store(rt, &tmp->f[1], nodes[rnd(&s) % OWN_NODES]);
			mg_store(rt, &nodes[rnd(&s) % OWN_NODES], tmp);
			tmp = NULL;
		} else if (r < 700) {
			int64_t k = (int64_t)(rnd(&s) % KEYS);
			void *v = nodes[rnd(&s) % OWN_NODES];
			mg_map_set(rt, own, &k, &v);
			count += !present[k];
			present[k] = 1;
		} else if (r < 850) {
			int64_t k = (int64_t)(rnd(&s) % KEYS);
			mg_map_delete(rt, own, &k);
			count -= present[k];
			present[k] = 0;
		} else if (r < 995) {
			shared_step(sh, &s);
		} else if (r < 997) {
			mg_gc(rt);
		} else {
			mg_safepoint(rt);
		}
		ops++;
	}
	/* The thread's own map is what it wrote. */
	cr_assert_eq((int64_t)mg_map_len(own), count);
	for (int64_t k = 0; k < KEYS; k++) {
		void *v;
		cr_assert_eq(mg_map_get(rt, own, &k, &v), present[k] != 0, "thread %d key %" PRId64, w->id, k);
	}
	sh->ops[w->id] = ops;
	mg_scope_leave(rt, &sc);
	mg_thread_detach(rt);
	return NULL;
}

static void race(int nthreads, uint64_t ms, int smallbuf)
{
	shared *sh = calloc(1, sizeof *sh);
	sh->rt = open_threads(smallbuf);
	mg_runtime *rt = sh->rt;
	pthread_mutex_init(&sh->mu, NULL);
	mg_global_root(rt, &sh->nodes, "shared.nodes");
	mg_global_root(rt, &sh->map, "shared.map");
	mg_global_root(rt, &sh->it, "shared.it");
	sh->nodes = mg_alloc_array(rt, &ptrarr, SHARED_NODES);
	for (int i = 0; i < SHARED_NODES; i++)
		mg_store(rt, &sh->nodes[i], mgt_obj_new(rt, i));
	sh->map = mg_map_new(rt, mg_maptype_get(rt, &mg_type_int64, &mg_type_ptr), 0);
	sh->it = mg_map_iter(rt, sh->map);
	sh->nthreads = nthreads;
	uint64_t cycles0 = mgt_stats(rt).cycles;
	sh->stop_ns = now_ns() + ms * 1000000;
	pthread_t th[16];
	worker w[16];
	for (int i = 0; i < nthreads; i++) {
		w[i] = (worker){sh, i, 1000 + (uint64_t)i};
		cr_assert_eq(pthread_create(&th[i], NULL, race_thread, &w[i]), 0);
	}
	/* The opener waits in native code: it never stalls a stop. */
	mg_enter_native(rt);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	mg_leave_native(rt);
	mg_stats st = mgt_stats(rt);
	cr_assert_gt(st.cycles, cycles0 + 2, "only %" PRIu64 " cycles", st.cycles - cycles0);
	for (int i = 0; i < nthreads; i++)
		cr_assert_gt(sh->ops[i], 0, "thread %d ran", i);
	/* Every shared node still holds its value's shape: not freed. */
	mg_gc(rt);
	for (int i = 0; i < SHARED_NODES; i++)
		cr_assert_not_null(mg_typeof(rt, sh->nodes[i], NULL), "shared node %d is alive", i);
	cr_assert_eq((int64_t)mg_map_len(sh->map), sh->map_count);
	mg_global_unroot(rt, &sh->it);
	mg_global_unroot(rt, &sh->map);
	mg_global_unroot(rt, &sh->nodes);
	mgt_close(rt);
	pthread_mutex_destroy(&sh->mu);
	free(sh);
}

Test(threads, four_threads_own_and_shared_graphs_and_maps, .timeout = 120) { race(4, 1500, 0); }
Test(threads, eight_threads_small_buffers, .timeout = 120) { race(8, 1500, 1); }

/* ---- attach and detach while cycles run ---------------------------------- */

typedef struct churn {
	mg_runtime *rt;
	int rounds;
} churn;

static void *attach_churn(void *arg)
{
	churn *c = arg;
	for (int r = 0; r < c->rounds; r++) {
		mg_thread_attach(c->rt);
		mg_scope s;
		mg_scope_enter(c->rt, &s);
		mgt_obj *head = NULL;
		mg_root(c->rt, &head, "churn.head");
		for (int i = 0; i < 200; i++) {
			mgt_obj *n = mgt_obj_new(c->rt, i);
			mg_store(c->rt, &n->f[0], head);
			head = n;
		}
		int len = 0;
		for (mgt_obj *n = head; n; n = n->f[0])
			cr_assert_eq(n->v, 199 - len++);
		cr_assert_eq(len, 200);
		mg_scope_leave(c->rt, &s);
		mg_thread_detach(c->rt);
	}
	return NULL;
}

Test(threads, attach_and_detach_while_cycles_run, .timeout = 120)
{
	mg_runtime *rt = open_threads(0);
	churn c = {rt, 60};
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, attach_churn, &c), 0);
	/* The opener collects meanwhile. */
	for (int i = 0; i < 40; i++) {
		mg_gc(rt);
		mg_enter_native(rt);
		usleep(1000);
		mg_leave_native(rt);
	}
	mg_enter_native(rt);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	mg_leave_native(rt);
	cr_assert_eq(rt->nmuts, 1, "every thread detached");
	mgt_close(rt);
}

/* ---- blocked in mg_mutex_lock while another collects --------------------- */

typedef struct blocker {
	mg_runtime *rt;
	pthread_mutex_t *mu;
	int got;
} blocker;

static void *lock_it(void *arg)
{
	blocker *b = arg;
	mg_thread_attach(b->rt);
	mg_mutex_lock(b->rt, b->mu); /* held by the opener: blocks */
	__atomic_store_n(&b->got, 1, __ATOMIC_RELAXED);
	mgt_obj_new(b->rt, 1); /* back in managed code */
	pthread_mutex_unlock(b->mu);
	mg_thread_detach(b->rt);
	return NULL;
}

Test(threads, parked_in_mutex_lock_while_another_collects, .timeout = 60)
{
	mg_runtime *rt = open_threads(0);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&mu);
	blocker b = {rt, &mu, 0};
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, lock_it, &b), 0);
	/* Wait until the thread is attached and blocked (it then holds no P). */
	for (int i = 0; i < 2000; i++) {
		mg_enter_native(rt);
		usleep(1000);
		mg_leave_native(rt);
		if (rt->nmuts == 2 && rt->muts->next->state == RT_M_NATIVE)
			break;
	}
	uint64_t c0 = mgt_stats(rt).cycles;
	mg_gc(rt);
	mg_gc(rt);
	cr_assert_eq(mgt_stats(rt).cycles, c0 + 2, "two whole cycles while it waits");
	cr_assert_eq(__atomic_load_n(&b.got, __ATOMIC_RELAXED), 0);
	pthread_mutex_unlock(&mu);
	mg_enter_native(rt);
	pthread_join(th, NULL);
	mg_leave_native(rt);
	cr_assert_eq(b.got, 1);
	mgt_close(rt);
}

/* ---- a thread with no safepoint stalls a stop; debug builds name it ------ */

typedef struct spinner {
	mg_runtime *rt;
	int attached;
	uint64_t spin_ns;
} spinner;

static void *spin_then_safepoint(void *arg)
{
	spinner *s = arg;
	mg_thread_attach(s->rt);
	__atomic_store_n(&s->attached, 1, __ATOMIC_RELEASE);
	/* C code with no safepoint, not declared native: the program's bug.
	 * It spins until a stop of the world has waited spin_ns for it (the
	 * poll word is read, no safepoint taken), so the stop waits that long
	 * however late the opener asks; at most 30 s. */
	uint64_t t0 = now_ns(), seen = 0;
	for (uint64_t now = t0; now - t0 < 30000000000u; now = now_ns()) {
		if (!seen && __atomic_load_n(&s->rt->poll, __ATOMIC_RELAXED))
			seen = now;
		if (seen && now - seen > s->spin_ns)
			break;
	}
	mg_safepoint(s->rt);
	mg_thread_detach(s->rt);
	return NULL;
}

Test(threads, a_stop_waits_for_the_safepoint_and_names_a_slow_thread, .timeout = 60)
{
	mg_runtime *rt = open_threads(0);
	/* With one P the spinner holds the only P: the stop is never waited
	 * for, the opener waits for the P instead. */
	if (mg_runtime_config(rt)->procs < 2) {
		mgt_close(rt);
		return;
	}
	spinner s = {rt, 0, 1300000000u};
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, spin_then_safepoint, &s), 0);
	mg_enter_native(rt);
	while (!__atomic_load_n(&s.attached, __ATOMIC_ACQUIRE))
		usleep(100);
	mg_leave_native(rt);
	mgt_capture_begin();
	uint64_t t0 = now_ns();
	mg_gc(rt);
	uint64_t waited = now_ns() - t0;
	const char *err = mgt_capture_end();
	cr_assert_gt(waited, 1000000000u, "the stop waited for the spinning thread (%" PRIu64 " ns)", waited);
#ifndef NDEBUG
	cr_assert_not_null(strstr(err, "stopping the world has waited over 1 s for thread 2"), "%s", err);
#else
	(void)err;
#endif
	mg_enter_native(rt);
	pthread_join(th, NULL);
	mg_leave_native(rt);
	mgt_close(rt);
}

/* ---- roots are per thread ------------------------------------------------ */

typedef struct holder {
	mg_runtime *rt;
	int stage; /* 1: rooted its object; 2: the opener collected; 3: checked */
	uintptr_t addr;
	int64_t v;
} holder;

static void *hold_in_scope(void *arg)
{
	holder *h = arg;
	mg_thread_attach(h->rt);
	mg_scope s;
	mg_scope_enter(h->rt, &s);
	mgt_obj *mine = mgt_obj_new(h->rt, 4242);
	mg_root(h->rt, &mine, "thread.mine");
	h->addr = (uintptr_t)mine;
	__atomic_store_n(&h->stage, 1, __ATOMIC_RELEASE);
	/* Wait, in native code, while the opener collects. */
	mg_enter_native(h->rt);
	while (__atomic_load_n(&h->stage, __ATOMIC_ACQUIRE) < 2)
		usleep(100);
	mg_leave_native(h->rt);
	h->v = mine->v;
	mg_scope_leave(h->rt, &s);
	mg_thread_detach(h->rt);
	return NULL;
}

Test(threads, a_threads_scope_keeps_its_object_through_anothers_collections, .timeout = 60)
{
	mg_runtime *rt = open_threads(0);
	holder h = {rt, 0, 0, 0};
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, hold_in_scope, &h), 0);
	mg_enter_native(rt);
	while (__atomic_load_n(&h.stage, __ATOMIC_ACQUIRE) < 1)
		usleep(100);
	mg_leave_native(rt);
	for (int i = 0; i < 3; i++)
		mg_gc(rt);
	cr_assert_eq(mg_typeof(rt, (void *)h.addr, NULL), &mgt_obj_type, "the thread's root kept it");
	/* A heap snapshot names each scope root's thread. */
	char path[] = "/tmp/mapgc-threads-snapXXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(mg_heap_snapshot(rt, path, NULL), 0);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = 0;
	fclose(f);
	unlink(path);
	cr_assert_not_null(strstr(text, "{\"kind\":\"scope\",\"thread\":2,\"name\":\"thread.mine\","), "%.400s", text);
	mg_stats st = mgt_stats(rt);
	cr_assert_geq(st.cycles, 3);
	__atomic_store_n(&h.stage, 2, __ATOMIC_RELEASE);
	mg_enter_native(rt);
	pthread_join(th, NULL);
	mg_leave_native(rt);
	cr_assert_eq(h.v, 4242);
	mgt_close(rt);
}

/* ---- a run in a child process, for what ends in a fatal error ----------- */

/* Runs body(arg) in a forked child with its stderr piped back (a fatal
 * error exits the child with status 2: the failure handler is only the
 * opener's); returns what it wrote, and its status in *status. */
static const char *in_child(void (*body)(void *), void *arg, int *status)
{
	static char buf[4096];
	int fd[2];
	cr_assert_eq(pipe(fd), 0);
	fflush(stderr);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		body(arg);
		_exit(0);
	}
	close(fd[1]);
	size_t n = 0;
	ssize_t r;
	while (n < sizeof buf - 1 && (r = read(fd[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd[0]);
	waitpid(pid, status, 0);
	return buf;
}

/* ---- the protocol step: the stopped world scans other threads' roots ---- */

/* A thread in native code for a whole cycle never reaches a safepoint of
 * it: only the stopped world (sweep termination, the end-of-mark re-check)
 * scans its scopes.  With that step removed (the test hook), checkmark
 * finds its object unmarked and names its root; the twin above
 * (a_threads_scope_keeps_its_object…) is the same run with the step. */
static void gc_with_hooks(void *arg)
{
	unsigned hooks = *(unsigned *)arg;
	mg_config cfg;
	mgt_config(&cfg); /* checkmark on */
	cfg.wb = MG_WB_HYBRID; /* the other modes scan every thread at mark start (GC_ROOTS_ALL) */
	cfg.stoptheworld = 0;
	mg_runtime *rt = mg_open(&cfg);
	holder h = {rt, 0, 0, 0};
	pthread_t th;
	pthread_create(&th, NULL, hold_in_scope, &h);
	mg_enter_native(rt);
	while (__atomic_load_n(&h.stage, __ATOMIC_ACQUIRE) < 1)
		usleep(100);
	mg_leave_native(rt);
	gc_test_set_hooks(hooks);
	mg_gc(rt);
	gc_test_set_hooks(0);
	__atomic_store_n(&h.stage, 2, __ATOMIC_RELEASE);
	mg_enter_native(rt);
	pthread_join(th, NULL);
	if (h.v != 4242)
		_exit(3);
}

static const char *run_child_gc(unsigned hooks, int *status)
{
	return in_child(gc_with_hooks, &hooks, status);
}

Test(threads, without_the_stopped_worlds_scan_of_other_threads_checkmark_fires)
{
	int st;
	const char *err = run_child_gc(GC_HOOK_SKIP_OTHER_ROOTS, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d: %s", st, err);
	cr_assert_not_null(strstr(err, "fatal error: checkmark found unmarked object\n"), "%s", err);
	cr_assert_not_null(strstr(err, "thread 2 scope root \"thread.mine\""), "%s", err);
	err = run_child_gc(0, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the twin with the step: status %d: %s", st, err);
}

/* ---- bad input ------------------------------------------------------------ */

typedef struct stray {
	mg_runtime *rt;
	int mode; /* 0: allocate unattached; 1: detach with a scope entered */
} stray;

static void *stray_thread(void *arg)
{
	stray *s = arg;
	if (s->mode == 0) {
		mgt_obj_new(s->rt, 1);
	} else {
		mg_thread_attach(s->rt);
		mg_scope a, b;
		mg_scope_enter(s->rt, &a);
		mg_scope_enter(s->rt, &b);
		mg_thread_detach(s->rt);
	}
	return NULL;
}

static void stray_in_child(void *arg)
{
	mg_config cfg;
	mgt_config(&cfg);
	mg_runtime *rt = mg_open(&cfg);
	stray s = {rt, *(int *)arg};
	pthread_t th;
	pthread_create(&th, NULL, stray_thread, &s);
	mg_enter_native(rt);
	pthread_join(th, NULL);
}

static const char *run_stray(int mode, int *status)
{
	return in_child(stray_in_child, &mode, status);
}

Test(threads, heap_call_from_an_unattached_thread_is_fatal)
{
	int st;
	const char *err = run_stray(0, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d: %s", st, err);
	cr_assert_not_null(strstr(err, "fatal error: heap call from a thread that is not attached to the runtime "
	                               "(mg_thread_attach)\n"),
	                   "%s", err);
}

Test(threads, detach_with_scopes_entered_is_fatal)
{
	int st;
	const char *err = run_stray(1, &st);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d: %s", st, err);
	cr_assert_not_null(strstr(err, "fatal error: mg_thread_detach: thread 2 still has 2 scopes entered\n"), "%s",
	                   err);
}
