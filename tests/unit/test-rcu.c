/* SPDX-License-Identifier: MIT */
/* Unit tests of the RCU layer's API contract. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include <addrspace/rcu.h>

#include "../../rcu/rcu-internal.h"

typedef struct Obj {
    struct rcu_head rcu;
    int *counter;
    int order;
} Obj;

static int ran_order[8];
static gint ran_count;

static void obj_reclaim(Obj *obj)
{
    ran_order[g_atomic_int_add(&ran_count, 1)] = obj->order;
    g_free(obj);
}

static void test_call_rcu_fifo(void)
{
    g_atomic_int_set(&ran_count, 0);
    for (int i = 0; i < 8; i++) {
        Obj *obj = g_new0(Obj, 1);

        obj->order = i;
        call_rcu(obj, obj_reclaim, rcu);
    }
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&ran_count), ==, 8);
    for (int i = 0; i < 8; i++) {
        g_assert_cmpint(ran_order[i], ==, i);
    }
}

typedef struct Inner {
    guint64 payload[3];
    struct rcu_head rcu; /* not first: g_free_rcu accepts any offset */
} Inner;

static void test_g_free_rcu_offset(void)
{
    /* ASan/LSan builds prove the right pointer is freed. */
    for (int i = 0; i < 100; i++) {
        Inner *in = g_new0(Inner, 1);

        g_free_rcu(in, rcu);
    }
    drain_call_rcu();
}

/* --- drains and the callbacks that callbacks queue ---------------------- */

typedef struct Link {
    struct rcu_head rcu;
    int left;  /* links still to queue after this one */
    gint *ran; /* links run */
} Link;

/* Callbacks (Link and Where) running now, and times one started while
 * another ran: callbacks run one at a time, and the drain-inline tests
 * check the count stays 0. */
static gint callbacks_running, callback_overlaps;

static void overlap_enter(void)
{
    if (g_atomic_int_add(&callbacks_running, 1) != 0) {
        g_atomic_int_inc(&callback_overlaps);
    }
}

static void overlap_leave(void)
{
    g_atomic_int_add(&callbacks_running, -1);
}

static void link_reclaim(Link *link)
{
    overlap_enter();
    g_atomic_int_inc(link->ran);
    if (link->left > 0) {
        Link *next = g_new0(Link, 1);

        next->left = link->left - 1;
        next->ran = link->ran;
        call_rcu(next, link_reclaim, rcu);
    }
    overlap_leave();
    g_free(link);
}

/* A chain of @length callbacks, each queued by the one before. */
static void queue_chain(int length, gint *ran)
{
    Link *link = g_new0(Link, 1);

    link->left = length - 1;
    link->ran = ran;
    call_rcu(link, link_reclaim, rcu);
}

/* One drain waits for a callback, the one it queues, and so on: every
 * descendant of what was queued before the drain. */
static void test_drain_waits_for_descendants(void)
{
    gint ran = 0;

    queue_chain(5, &ran);
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&ran), ==, 5);
}

typedef struct Gate {
    struct rcu_head rcu;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool entered;
    bool open;
    GThread *thread; /* where it runs */
} Gate;

/* Holds the thread that runs it (the reclamation thread, or an inline
 * drain's) until the gate opens. */
static void gate_reclaim(Gate *gate)
{
    pthread_mutex_lock(&gate->lock);
    gate->entered = true;
    gate->thread = g_thread_self();
    pthread_cond_broadcast(&gate->cond);
    while (!gate->open) {
        pthread_cond_wait(&gate->cond, &gate->lock);
    }
    pthread_mutex_unlock(&gate->lock);
}

typedef struct Forever {
    struct rcu_head rcu;
    gint *stop;
    gint *ran;
} Forever;

/* Queues itself again until told to stop. */
static void forever_reclaim(Forever *f)
{
    g_atomic_int_inc(f->ran);
    if (!g_atomic_int_get(f->stop)) {
        call_rcu(f, forever_reclaim, rcu);
    } else {
        g_free(f);
    }
}

typedef struct Drainer {
    gint *chain_ran;
    gint seen; /* chain_ran when the drain returned */
} Drainer;

static gpointer drainer_main(gpointer opaque)
{
    Drainer *d = opaque;

    rcu_register_thread();
    drain_call_rcu();
    g_atomic_int_set(&d->seen, g_atomic_int_get(d->chain_ran));
    rcu_unregister_thread();
    return NULL;
}

/*
 * A drain waits for the descendants of what was queued before it, not for
 * those of callbacks queued after it: a chain queued after the drain that
 * never ends does not hold the drain (and the chain queued before it has
 * run entirely when it returns).
 */
static void test_drain_ignores_later_chains(void)
{
    Gate gate = {.open = false};
    Forever *forever = g_new0(Forever, 1);
    gint chain_ran = 0, forever_ran = 0, stop = 0;
    Drainer d = {.chain_ran = &chain_ran};
    uint64_t base;
    GThread *drainer;

    pthread_mutex_init(&gate.lock, NULL);
    pthread_cond_init(&gate.cond, NULL);
    call_rcu(&gate, gate_reclaim, rcu); /* the thread waits here */
    pthread_mutex_lock(&gate.lock);
    while (!gate.entered) {
        pthread_cond_wait(&gate.cond, &gate.lock);
    }
    pthread_mutex_unlock(&gate.lock);
    base = rcu_reclaim_pending();
    queue_chain(3, &chain_ran);
    drainer = g_thread_new("drainer", drainer_main, &d);
    while (rcu_reclaim_pending() < base + 2) { /* the chain, the marker */
        g_usleep(1000);
    }
    forever->stop = &stop;
    forever->ran = &forever_ran;
    call_rcu(forever, forever_reclaim, rcu);
    pthread_mutex_lock(&gate.lock);
    gate.open = true;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
    g_thread_join(drainer);
    g_assert_cmpint(g_atomic_int_get(&d.seen), ==, 3);
    g_atomic_int_set(&stop, 1);
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&forever_ran), >, 0);
    pthread_mutex_destroy(&gate.lock);
    pthread_cond_destroy(&gate.cond);
}

/* --- drains that run the callbacks themselves ----------------------------- */

/* A callback that notes where and in which order it ran (and counts
 * overlaps, as Link does). */
typedef struct Where {
    struct rcu_head rcu;
    int order;
    int left; /* queue one more, order + 1, until 0 */
} Where;

static GThread *where_thread[16];
static int where_order[16];
static gint where_count;

static void where_reclaim(Where *w)
{
    int n;

    overlap_enter();
    n = g_atomic_int_add(&where_count, 1);
    if (n < 16) {
        where_thread[n] = g_thread_self();
        where_order[n] = w->order;
    }
    if (w->left > 0) {
        Where *next = g_new0(Where, 1);

        next->order = w->order + 1;
        next->left = w->left - 1;
        call_rcu(next, where_reclaim, rcu);
    }
    overlap_leave();
    g_free(w);
}

static void queue_where(int order, int left)
{
    Where *w = g_new0(Where, 1);

    w->order = order;
    w->left = left;
    call_rcu(w, where_reclaim, rcu);
}

static void where_reset(void)
{
    g_atomic_int_set(&where_count, 0);
    g_atomic_int_set(&callback_overlaps, 0);
    memset(where_thread, 0, sizeof(where_thread));
}

/* Give the reclamation thread time to end the batch a drain just waited
 * for: an inline drain leaves the queue to it while it is busy. Only the
 * odds of the inline path depend on it, not what the tests assert. */
static void settle(void)
{
    g_usleep(5000);
}

/*
 * The inline drain runs what was queued, and what that queues (four
 * callbacks, then one that starts a chain of three more: orders 0-4, then
 * 5, 6, 7), in queue order, and returns when all of it ran. When the
 * reclamation thread is idle it runs them on the calling thread; the
 * thread may have taken the queue first (after its up to 50 ms of
 * batching, on a loaded machine), so up to 20 tries, and at least one must
 * have run here.
 */
static void test_drain_inline_runs_here(void)
{
    int here = 0, tries;

    for (tries = 0; tries < 20 && !here; tries++) {
        bool all_here = true;

        drain_call_rcu(); /* an empty queue */
        settle();
        where_reset();
        for (int i = 0; i < 4; i++) {
            queue_where(i, 0);
        }
        queue_where(4, 3);
        drain_call_rcu_inline();
        g_assert_cmpint(g_atomic_int_get(&where_count), ==, 8);
        g_assert_cmpint(g_atomic_int_get(&callback_overlaps), ==, 0);
        for (int i = 0; i < 8; i++) {
            g_assert_cmpint(where_order[i], ==, i);
            all_here &= where_thread[i] == g_thread_self();
        }
        here += all_here;
    }
    g_test_message("ran on the calling thread after %d tries", tries);
    g_assert_cmpint(here, ==, 1);
}

typedef struct InlineDrainer {
    GThread *thread;
    gint done;
} InlineDrainer;

static gpointer inline_drainer_main(gpointer opaque)
{
    InlineDrainer *d = opaque;

    rcu_register_thread();
    drain_call_rcu_inline();
    g_atomic_int_set(&d->done, 1);
    rcu_unregister_thread();
    return NULL;
}

static void gate_wait_entered(Gate *gate)
{
    pthread_mutex_lock(&gate->lock);
    while (!gate->entered) {
        pthread_cond_wait(&gate->cond, &gate->lock);
    }
    pthread_mutex_unlock(&gate->lock);
}

static bool gate_thread_is(Gate *gate, GThread *thread)
{
    bool is;

    pthread_mutex_lock(&gate->lock);
    is = gate->thread == thread;
    pthread_mutex_unlock(&gate->lock);
    return is;
}

static void gate_open(Gate *gate)
{
    pthread_mutex_lock(&gate->lock);
    gate->open = true;
    pthread_cond_broadcast(&gate->cond);
    pthread_mutex_unlock(&gate->lock);
}

/*
 * While the reclamation thread runs a callback, an inline drain does not
 * run the queue itself (callbacks run one at a time, in order): it waits
 * for the thread, which runs the callback queued after the busy one once
 * that one returned.
 */
static void test_drain_inline_waits_for_busy_thread(void)
{
    Gate gate = {.open = false};
    InlineDrainer d = {0};

    pthread_mutex_init(&gate.lock, NULL);
    pthread_cond_init(&gate.cond, NULL);
    where_reset();
    call_rcu(&gate, gate_reclaim, rcu); /* the thread takes it, waits */
    gate_wait_entered(&gate);
    queue_where(0, 0);
    d.thread = g_thread_new("inline-drainer", inline_drainer_main, &d);
    g_usleep(100 * 1000);
    g_assert_cmpint(g_atomic_int_get(&where_count), ==, 0);
    g_assert_cmpint(g_atomic_int_get(&d.done), ==, 0);
    gate_open(&gate);
    g_thread_join(d.thread);
    g_assert_cmpint(g_atomic_int_get(&where_count), ==, 1);
    g_assert_true(where_thread[0] != d.thread);
    pthread_mutex_destroy(&gate.lock);
    pthread_cond_destroy(&gate.cond);
}

/*
 * While an inline drain runs a callback, the reclamation thread takes no
 * batch: a callback queued meanwhile by another thread stays pending well
 * past the thread's 50 ms of batching and runs after the drain's. Up to 20
 * tries for the drain to get the queue (see above).
 */
static void test_drain_inline_holds_thread(void)
{
    bool inline_seen = false;

    for (int tries = 0; tries < 20 && !inline_seen; tries++) {
        Gate gate = {.open = false};
        InlineDrainer d = {0};

        pthread_mutex_init(&gate.lock, NULL);
        pthread_cond_init(&gate.cond, NULL);
        drain_call_rcu();
        settle();
        where_reset();
        call_rcu(&gate, gate_reclaim, rcu);
        d.thread = g_thread_new("inline-drainer", inline_drainer_main, &d);
        gate_wait_entered(&gate);
        inline_seen =
            g_thread_self() != d.thread && gate_thread_is(&gate, d.thread);
        queue_where(0, 0);
        if (inline_seen) {
            g_usleep(150 * 1000);
            g_assert_cmpint(g_atomic_int_get(&where_count), ==, 0);
        }
        gate_open(&gate);
        g_thread_join(d.thread);
        drain_call_rcu();
        g_assert_cmpint(g_atomic_int_get(&where_count), ==, 1);
        pthread_mutex_destroy(&gate.lock);
        pthread_cond_destroy(&gate.cond);
    }
    g_assert_true(inline_seen);
}

/* A callback that an inline drain runs may not drain: it would wait for
 * itself. Runs in a subprocess. (Should the reclamation thread take the
 * callback first, it aborts the same way; run inline without the check,
 * the drain would hang until the subprocess's 30 s timeout.) */
static void drain_from_callback(struct rcu_head *head)
{
    (void)head;
    drain_call_rcu();
}

static void test_drain_inline_from_callback_aborts(void)
{
    static struct rcu_head head;

    if (g_test_subprocess()) {
        call_rcu1(&head, drain_from_callback);
        drain_call_rcu_inline();
        return;
    }
    g_test_trap_subprocess(NULL, 30 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*drain_call_rcu()*callback*wait for itself*");
}

/*
 * Threads queueing callbacks (some chains of two) and draining, inline or
 * not, at the same time: every callback runs once, never two at once;
 * each drain returns with its own callbacks run. Under ThreadSanitizer, no
 * race.
 */
enum { STRESS_THREADS = 4, STRESS_ROUNDS = 300 };

static gpointer stress_main(gpointer opaque)
{
    gint *failures = opaque;
    gint ran = 0;
    int queued = 0;

    rcu_register_thread();
    for (int round = 0; round < STRESS_ROUNDS; round++) {
        for (int i = 0; i < 1 + round % 5; i++) {
            int length = i == 0 ? 2 : 1;

            queue_chain(length, &ran);
            queued += length;
        }
        if (round % 3 == 2) {
            drain_call_rcu();
        } else {
            drain_call_rcu_inline();
        }
        if (g_atomic_int_get(&ran) != queued) {
            g_atomic_int_inc(failures);
        }
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_drain_inline_concurrent(void)
{
    GThread *threads[STRESS_THREADS];
    gint failures = 0;

    for (int i = 0; i < STRESS_THREADS; i++) {
        threads[i] = g_thread_new("stress", stress_main, &failures);
    }
    for (int i = 0; i < STRESS_THREADS; i++) {
        g_thread_join(threads[i]);
    }
    g_assert_cmpint(g_atomic_int_get(&failures), ==, 0);
    g_assert_cmpint(g_atomic_int_get(&callback_overlaps), ==, 0);
}

static void test_guard_nests(void)
{
    g_assert_true(rcu_thread_is_registered());
    {
        RCU_READ_LOCK_GUARD();
        g_assert_true(urcu_memb_read_ongoing());
        WITH_RCU_READ_LOCK_GUARD () {
            g_assert_true(urcu_memb_read_ongoing());
        }
        g_assert_true(urcu_memb_read_ongoing());
    }
    g_assert_false(urcu_memb_read_ongoing());
}

/* The backpressure limit: off by default (QEMU 7.2), set and read back. */
static void test_reclaim_limit(void)
{
    g_assert_cmpuint(addrspace_rcu_set_reclaim_limit(10000), ==, 0);
    g_assert_cmpuint(addrspace_rcu_set_reclaim_limit(64), ==, 10000);
    g_assert_cmpuint(addrspace_rcu_set_reclaim_limit(0), ==, 64);
}

/* Wait, without draining (a drain would end the batching), until *@ran
 * reaches @n or 10 s passed; returns the milliseconds waited since
 * @start. */
static gint64 wait_ran(const gint *ran, gint n, gint64 start)
{
    while (g_atomic_int_get(ran) < n &&
           g_get_monotonic_time() - start < 10 * G_USEC_PER_SEC) {
        g_usleep(1000);
    }
    return (g_get_monotonic_time() - start) / 1000;
}

/*
 * Batching (QEMU 7.2's call_rcu thread): callbacks queued one at a time,
 * fewer than the minimum of 30 and nobody draining, share grace periods.
 * The thread takes a batch when 30 are pending or after 5 sleeps of
 * 10 ms (a sleep ends early only at the minimum): at most one batch per
 * 30 callbacks, one per 50 ms that passed, and the last; the bound allows
 * one per 10 ms. A thread that ran a grace period per callback takes
 * about one per callback here. The wait for the callbacks gives up after
 * 10 s (a callback that never runs fails the test, not the suite's
 * timeout).
 */
static void test_reclaim_batches(void)
{
    enum { N = 40 };
    gint ran = 0;
    uint64_t before, batches;
    gint64 start, elapsed_ms;

    drain_call_rcu(); /* an empty queue */
    before = rcu_reclaim_batches();
    start = g_get_monotonic_time();
    for (int i = 0; i < N; i++) {
        Link *link = g_new0(Link, 1); /* a chain of one */

        link->ran = &ran;
        call_rcu(link, link_reclaim, rcu);
        g_usleep(200); /* time for a grace period between two */
    }
    elapsed_ms = wait_ran(&ran, N, start);
    g_assert_cmpint(g_atomic_int_get(&ran), ==, N);
    batches = rcu_reclaim_batches() - before;
    g_test_message("%" PRIu64 " batches in %" PRId64 " ms", batches,
                   elapsed_ms);
    g_assert_cmpuint(batches, <=, N / 30 + 2 + (uint64_t)elapsed_ms / 10);
}

/* After a batch the thread sleeps once more before it goes idle: a
 * callback queued in that sleep, and one queued once it is idle, both run
 * without a drain. */
static void test_reclaim_idle_wakes(void)
{
    gint ran = 0;

    for (int i = 0; i < 2; i++) {
        Link *link = g_new0(Link, 1);

        drain_call_rcu(); /* a batch just ran: the thread lingers */
        if (i == 1) {
            g_usleep(100 * 1000); /* past the lingering sleep: idle */
        }
        link->ran = &ran;
        call_rcu(link, link_reclaim, rcu);
        (void)wait_ran(&ran, i + 1, g_get_monotonic_time());
        g_assert_cmpint(g_atomic_int_get(&ran), ==, i + 1);
    }
}

/* The inline access path's enter/exit: a section outside one; inside one,
 * the section stays until the outermost exit. */
static void test_enter_exit(void)
{
    RcuReadState outer, inner;

    g_assert_false(urcu_memb_read_ongoing());
    outer = rcu_read_enter();
    g_assert_true(urcu_memb_read_ongoing());
    inner = rcu_read_enter();
    g_assert_true(urcu_memb_read_ongoing());
    rcu_read_exit(inner);
    g_assert_true(urcu_memb_read_ongoing());
    rcu_read_exit(outer);
    g_assert_false(urcu_memb_read_ongoing());

    rcu_read_lock();
    inner = rcu_read_enter();
    rcu_read_exit(inner);
    g_assert_true(urcu_memb_read_ongoing());
    rcu_read_unlock();
    g_assert_false(urcu_memb_read_ongoing());
}

#ifndef ADDRSPACE_TSAN
/* A thread registered by liburcu's own call: liburcu's read lock. */
static gpointer liburcu_registered_thread(gpointer arg)
{
    RcuReadState st;

    (void)arg;
    urcu_memb_register_thread();
    g_assert_cmpuint(addrspace_rcu_reader_slow, ==, 1);
    st = rcu_read_enter();
    g_assert_cmpuint(st, ==, 0);
    g_assert_true(urcu_memb_read_ongoing());
    rcu_read_exit(st);
    g_assert_false(urcu_memb_read_ongoing());
    urcu_memb_unregister_thread();
    return NULL;
}

/* A thread registered through the library: the inline lock while it is
 * registered (with sys_membarrier), the slow way again after. */
static gpointer library_registered_thread(gpointer arg)
{
    RcuReadState st;

    (void)arg;
    g_assert_cmpuint(addrspace_rcu_reader_slow, ==, 1);
    rcu_register_thread();
    g_assert_cmpuint(addrspace_rcu_reader_slow, ==,
                     !urcu_memb_has_sys_membarrier);
    st = rcu_read_enter();
    g_assert_cmpuint(st != 0, ==, urcu_memb_has_sys_membarrier != 0);
    g_assert_true(urcu_memb_read_ongoing());
    rcu_read_exit(st);
    g_assert_false(urcu_memb_read_ongoing());
    rcu_unregister_thread();
    g_assert_cmpuint(addrspace_rcu_reader_slow, ==, 1);
    return NULL;
}
#endif

static void test_enter_inline_own_registration(void)
{
#ifdef ADDRSPACE_TSAN
    g_test_skip("TSan builds always take liburcu's read lock");
#else
    g_thread_join(g_thread_new("liburcu", liburcu_registered_thread, NULL));
    g_thread_join(g_thread_new("library", library_registered_thread, NULL));
#endif
}

static gint nested_stage;

/* Enters inline, enters and exits an inner section, waits, exits. */
static gpointer nested_reader(gpointer arg)
{
    RcuReadState outer, inner;

    (void)arg;
    rcu_register_thread();
    outer = rcu_read_enter();
    inner = rcu_read_enter();
    rcu_read_exit(inner);
    g_atomic_int_set(&nested_stage, 1);
    g_usleep(50000);
    g_atomic_int_set(&nested_stage, 2);
    rcu_read_exit(outer);
    rcu_unregister_thread();
    return NULL;
}

/* An inner exit leaves the section: a grace period still waits for the
 * outer one. */
static void test_enter_grace_period_waits_outer(void)
{
    GThread *t = g_thread_new("nested", nested_reader, NULL);

    while (g_atomic_int_get(&nested_stage) != 1) {
        g_usleep(100);
    }
    synchronize_rcu();
    g_assert_cmpint(g_atomic_int_get(&nested_stage), ==, 2);
    g_thread_join(t);
}

static int with_guard_break(void)
{
    WITH_RCU_READ_LOCK_GUARD () {
        return 7; /* the cleanup attribute must unlock */
    }
    return 0;
}

static void test_guard_return(void)
{
    g_assert_cmpint(with_guard_break(), ==, 7);
    g_assert_false(urcu_memb_read_ongoing());
}

static void test_register_nesting(void)
{
    rcu_register_thread();
    rcu_register_thread();
    g_assert_true(rcu_thread_is_registered());
    rcu_unregister_thread();
    rcu_unregister_thread();
    /* the constructor's registration remains */
    g_assert_true(rcu_thread_is_registered());
}

static gint reader_inside, reader_release;

static gpointer slow_reader(gpointer arg)
{
    (void)arg;
    rcu_register_thread();
    rcu_read_lock();
    g_atomic_int_set(&reader_inside, 1);
    while (!g_atomic_int_get(&reader_release)) {
        g_usleep(1000);
    }
    g_usleep(20000);
    g_atomic_int_set(&reader_inside, 2);
    rcu_read_unlock();
    rcu_unregister_thread();
    return NULL;
}

/* synchronize_rcu() returns only after a pre-existing reader is done. */
static void test_synchronize_waits_for_reader(void)
{
    GThread *t = g_thread_new("reader", slow_reader, NULL);

    while (g_atomic_int_get(&reader_inside) != 1) {
        g_usleep(100);
    }
    g_atomic_int_set(&reader_release, 1);
    synchronize_rcu();
    g_assert_cmpint(g_atomic_int_get(&reader_inside), ==, 2);
    g_thread_join(t);
}

static void test_unregistered_thread_aborts(void)
{
#ifdef NDEBUG
    g_test_skip("the check exists in debug builds only");
#else
    if (g_test_subprocess()) {
        rcu_unregister_thread(); /* drop the constructor's registration */
        rcu_read_lock();
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*not registered*rcu_register_thread*");
#endif
}

static void test_synchronize_inside_reader_aborts(void)
{
#ifdef NDEBUG
    g_test_skip("the check exists in debug builds only");
#else
    if (g_test_subprocess()) {
        rcu_read_lock();
        synchronize_rcu();
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*synchronize_rcu*wait for itself*");
#endif
}

/* --- process exit with callbacks pending -------------------------------- */

typedef struct Said {
    struct rcu_head rcu;
    const char *text;
    bool chain; /* queue another one when run */
} Said;

static void say_reclaim(Said *said)
{
    printf("%s\n", said->text);
    fflush(stdout);
    if (said->chain) {
        Said *next = g_new0(Said, 1);

        g_usleep(50000); /* exit() is well under way meanwhile */
        next->text = "queued by a callback: ran";
        call_rcu(next, say_reclaim, rcu);
    }
    g_free(said);
}

static void say_later(const char *text, bool chain)
{
    Said *said = g_new0(Said, 1);

    said->text = text;
    said->chain = chain;
    call_rcu(said, say_reclaim, rcu);
}

/* Callbacks pending when the process exits run, those they queue too,
 * before the exit goes on (the library's exit handler waits for them). */
static void test_exit_runs_pending(void)
{
    if (g_test_subprocess()) {
        say_later("pending at exit: ran", true);
        return; /* and exit, without drain_call_rcu() */
    }
    g_test_trap_subprocess(NULL, 30 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stdout("*pending at exit: ran*"
                              "queued by a callback: ran*");
    g_test_trap_assert_stderr_unmatched("*will not run*");
}

static gpointer stuck_reader(gpointer opaque)
{
    rcu_register_thread();
    rcu_read_lock();
    g_atomic_int_set((gint *)opaque, 1);
    for (;;) {
        g_usleep(G_USEC_PER_SEC); /* never leaves its read-side section */
    }
    return NULL;
}

/* A thread stuck in a read-side section at exit: no grace period ends, so
 * the exit handler gives up after a second of no progress, says so, and
 * the process exits; the callback never runs. */
static void test_exit_stuck_reader_gives_up(void)
{
    if (g_test_subprocess()) {
        static gint inside;

        g_thread_unref(g_thread_new("stuck", stuck_reader, &inside));
        while (!g_atomic_int_get(&inside)) {
            g_usleep(1000);
        }
        say_later("after a stuck reader: ran", false);
        return;
    }
    g_test_trap_subprocess(NULL, 30 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*at exit*made no progress for 1 s*"
                              "will not run*");
    g_test_trap_assert_stdout_unmatched("*after a stuck reader: ran*");
}

/* exit() inside a read-side section: the grace period would wait for the
 * exiting thread itself, so the handler does not wait (no message), and
 * the callback never runs. */
static void test_exit_inside_reader_does_not_wait(void)
{
    if (g_test_subprocess()) {
        rcu_read_lock(); /* never unlocked: the process exits in it */
        say_later("inside a reader: ran", false);
        return;
    }
    g_test_trap_subprocess(NULL, 30 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stdout_unmatched("*inside a reader: ran*");
    g_test_trap_assert_stderr_unmatched("*will not run*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rcu/call-rcu/fifo-order", test_call_rcu_fifo);
    g_test_add_func("/rcu/g-free-rcu/any-offset", test_g_free_rcu_offset);
    g_test_add_func("/rcu/drain/waits-for-descendants",
                    test_drain_waits_for_descendants);
    g_test_add_func("/rcu/drain/ignores-later-chains",
                    test_drain_ignores_later_chains);
    g_test_add_func("/rcu/drain-inline/runs-here-in-order",
                    test_drain_inline_runs_here);
    g_test_add_func("/rcu/drain-inline/waits-for-busy-thread",
                    test_drain_inline_waits_for_busy_thread);
    g_test_add_func("/rcu/drain-inline/holds-the-thread",
                    test_drain_inline_holds_thread);
    g_test_add_func("/rcu/drain-inline/from-callback-aborts",
                    test_drain_inline_from_callback_aborts);
    g_test_add_func("/rcu/drain-inline/concurrent",
                    test_drain_inline_concurrent);
    g_test_add_func("/rcu/guard/nests", test_guard_nests);
    g_test_add_func("/rcu/guard/return-unlocks", test_guard_return);
    g_test_add_func("/rcu/enter-exit/nests", test_enter_exit);
    g_test_add_func("/rcu/reclaim/limit-set-and-read", test_reclaim_limit);
    g_test_add_func("/rcu/reclaim/batches", test_reclaim_batches);
    g_test_add_func("/rcu/reclaim/idle-wakes", test_reclaim_idle_wakes);
    g_test_add_func("/rcu/enter-exit/inline-own-registration",
                    test_enter_inline_own_registration);
    g_test_add_func("/rcu/enter-exit/grace-period-waits-outer",
                    test_enter_grace_period_waits_outer);
    g_test_add_func("/rcu/register/nesting", test_register_nesting);
    g_test_add_func("/rcu/synchronize/waits-for-reader",
                    test_synchronize_waits_for_reader);
    g_test_add_func("/rcu/register/unregistered-thread-aborts",
                    test_unregistered_thread_aborts);
    g_test_add_func("/rcu/synchronize/inside-reader-aborts",
                    test_synchronize_inside_reader_aborts);
    g_test_add_func("/rcu/exit/runs-pending", test_exit_runs_pending);
    g_test_add_func("/rcu/exit/stuck-reader-gives-up",
                    test_exit_stuck_reader_gives_up);
    g_test_add_func("/rcu/exit/inside-reader-does-not-wait",
                    test_exit_inside_reader_does_not_wait);
    return g_test_run();
}
