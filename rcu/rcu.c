/* SPDX-License-Identifier: MIT */
/*
 * RCU layer: thread registration, grace periods and the reclamation
 * thread, on liburcu's memb flavour.
 *
 * Reclamation uses a thread of our own rather than liburcu's call_rcu:
 * its queue is a mutex-protected list and each batch is preceded by
 * synchronize_rcu() plus a TSan acquire, so ThreadSanitizer sees the grace
 * period without suppressions (liburcu's wait-free queue is inline asm).
 *
 * Process exit: the thread would otherwise go on running callbacks (owners'
 * release callbacks: device code) while exit() runs the program's exit
 * handlers and destructors, which may free what those callbacks touch, or
 * be killed in the middle of them. A handler registered with atexit() when
 * the thread starts (so it runs before every handler registered earlier,
 * such as those a program installs at start-up) lets the thread finish the
 * queue, callbacks queued by callbacks included, then stops it for good:
 * no callback starts after the handler returned. See reclaim_at_exit().
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "rcu-internal.h"

/*
 * Registrations by addrspace_rcu_register_thread() on this thread, and
 * whether the library registered it with liburcu (false when liburcu had
 * it registered already: then it stays liburcu's to unregister).
 */
static __thread unsigned int registration_depth;
static __thread bool registered_by_us;
/*
 * The thread that loaded the library counts as registered from the start
 * (QEMU registers its main thread in a constructor): one registration
 * held in loading_registrations, which only that thread touches. It is
 * registered with liburcu at its first read-side section only, because a
 * program that uses liburcu itself registers its main thread with
 * liburcu's own call, which refuses a thread registered twice. Globals,
 * not thread-locals, that the constructor sets: a compiler may fold a
 * constructor's constant stores into the initial values, and a
 * thread-local's initial value is every new thread's.
 */
static pthread_t loading_thread;
static unsigned int loading_registrations;

#ifdef ADDRSPACE_TSAN
ADDRSPACE_EXPORT char addrspace_rcu_tsan_sync_object;
#endif

/* Pending callbacks, oldest first, linked through head->next.next. */
static pthread_mutex_t reclaim_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reclaim_cond = PTHREAD_COND_INITIALIZER; /* work */
static pthread_cond_t reclaim_idle = PTHREAD_COND_INITIALIZER; /* batch end */
static struct rcu_head *reclaim_first;
static struct rcu_head *reclaim_last;
static pthread_once_t reclaim_once = PTHREAD_ONCE_INIT;
static __thread bool on_reclaim_thread;
/* Under reclaim_lock: a batch is being run; the process the thread runs
 * in (none after fork()). */
static bool reclaim_busy;
static pid_t reclaim_pid;
/* Set once, by the exit handler: no callback starts any more. Atomic. */
static bool reclaim_stopped;
/* Callbacks run so far (progress, for the exit handler). Atomic. */
static uint64_t reclaim_done;
/* Asked by the exit handler whether the exiting thread holds a lock that
 * callbacks may need (memory/'s update lock); NULL: none. Set once. */
static bool (*exit_holds_lock)(void);

/* No callback completed for this long: the exit handler stops waiting. */
#define EXIT_STALL_US (1 * G_USEC_PER_SEC)
/* Nor does it wait longer than this in all (callbacks queueing more
 * callbacks without end). */
#define EXIT_MAX_US (10 * G_USEC_PER_SEC)

void rcu_set_exit_lock_check(bool (*holds_lock)(void))
{
    exit_holds_lock = holds_lock;
}

/* Whether liburcu has the calling thread in its registry. */
static bool liburcu_registered(void)
{
    return URCU_TLS(urcu_memb_reader).registered;
}

/* The constructor's registration of the calling thread, if it has one. */
static unsigned int *loading_registration(void)
{
    /* the thread first: only the loading thread reads the count */
    return pthread_equal(pthread_self(), loading_thread) &&
                   loading_registrations
               ? &loading_registrations
               : NULL;
}

ADDRSPACE_EXPORT void addrspace_rcu_read_lock_unregistered(void)
{
    if (loading_registration()) {
        registered_by_us = true;
        urcu_memb_register_thread();
        return;
    }
#ifndef NDEBUG
    fprintf(stderr,
            "addrspace: rcu_read_lock() on a thread that is not registered; "
            "call rcu_register_thread() when the thread starts (see "
            "<addrspace/rcu.h>)\n");
    abort();
#endif
}

ADDRSPACE_EXPORT bool addrspace_rcu_thread_is_registered(void)
{
    return liburcu_registered() || loading_registration();
}

ADDRSPACE_EXPORT void addrspace_rcu_register_thread(void)
{
    if (registration_depth++ == 0 && !loading_registration()) {
        /* liburcu refuses a second registration of a thread */
        registered_by_us = !liburcu_registered();
        if (registered_by_us) {
            urcu_memb_register_thread();
        }
    }
}

ADDRSPACE_EXPORT void addrspace_rcu_unregister_thread(void)
{
    unsigned int *loading = loading_registration();

    if (registration_depth) {
        registration_depth--;
    } else if (loading) {
        (*loading)--;
    } else {
        /* a caller bug, but no public function aborts on caller input */
        fprintf(stderr, "addrspace: rcu_unregister_thread() on a thread "
                        "that is not registered; ignored\n");
        return;
    }
    if (!registration_depth && !loading_registration() && registered_by_us) {
        registered_by_us = false;
        urcu_memb_unregister_thread();
    }
}

static void check_not_reading(const char *what)
{
#ifndef NDEBUG
    if (liburcu_registered() && urcu_memb_read_ongoing()) {
        fprintf(stderr,
                "addrspace: %s() inside a read-side section would wait "
                "for itself\n",
                what);
        abort();
    }
#else
    (void)what;
#endif
}

ADDRSPACE_EXPORT void addrspace_synchronize_rcu(void)
{
    check_not_reading("synchronize_rcu");
    urcu_memb_synchronize_rcu();
    rcu_tsan_after_grace_period();
}

static void run_callback(struct rcu_head *head)
{
    RCUCBFunc *func = head->func;
    uintptr_t offset = (uintptr_t)func;

    if (offset < RCU_FREE_OFFSET_LIMIT) {
        g_free((char *)head - offset);
    } else {
        func(head);
    }
}

/* Run @batch in order; stop early, returning what is left, once the exit
 * handler has stopped the thread. */
static struct rcu_head *run_batch(struct rcu_head *batch)
{
    while (batch) {
        struct rcu_head *next = (struct rcu_head *)batch->next.next;

        if (__atomic_load_n(&reclaim_stopped, __ATOMIC_ACQUIRE)) {
            return batch;
        }
        run_callback(batch);
        __atomic_fetch_add(&reclaim_done, 1, __ATOMIC_RELAXED);
        batch = next;
    }
    return NULL;
}

static void *reclaim_thread_main(void *arg)
{
    (void)arg;
    on_reclaim_thread = true;
    rcu_register_thread();
    for (;;) {
        struct rcu_head *batch, *rest;

        pthread_mutex_lock(&reclaim_lock);
        while (!reclaim_first ||
               __atomic_load_n(&reclaim_stopped, __ATOMIC_RELAXED)) {
            pthread_cond_wait(&reclaim_cond, &reclaim_lock);
        }
        batch = reclaim_first;
        reclaim_first = reclaim_last = NULL;
        reclaim_busy = true;
        pthread_mutex_unlock(&reclaim_lock);

        /* Everything in the batch was queued before this grace period. */
        synchronize_rcu();
        rest = run_batch(batch);

        pthread_mutex_lock(&reclaim_lock);
        if (rest) {
            /* stopped at exit: keep them queued (reachable, never run) */
            struct rcu_head *tail = rest;

            while (tail->next.next) {
                tail = (struct rcu_head *)tail->next.next;
            }
            tail->next.next = reclaim_first ? &reclaim_first->next : NULL;
            if (!reclaim_first) {
                reclaim_last = tail;
            }
            reclaim_first = rest;
        }
        reclaim_busy = false;
        pthread_cond_broadcast(&reclaim_idle);
        pthread_mutex_unlock(&reclaim_lock);
    }
    return NULL;
}

/*
 * The exit handler. Waits, when the exiting thread can let callbacks
 * finish, until the queue is empty and no batch runs (callbacks queued by
 * callbacks run too), then stops the thread: the callback it may be
 * running completes, no other starts. It does not wait when the exiting
 * thread is the reclamation thread, is inside a read-side section (the
 * grace period would wait for it) or holds the update lock, nor after
 * fork() (no thread here); it gives up when no callback completed for
 * EXIT_STALL_US (a reader stuck in a read-side section, a blocked
 * callback) or after EXIT_MAX_US: the callbacks left never run.
 */
static void reclaim_at_exit(void)
{
    bool wait = !on_reclaim_thread &&
                !(liburcu_registered() && urcu_memb_read_ongoing()) &&
                !(exit_holds_lock && exit_holds_lock());
    gint64 start = g_get_monotonic_time(), progress = start;
    uint64_t seen = __atomic_load_n(&reclaim_done, __ATOMIC_RELAXED);
    const char *gave_up = NULL;

    pthread_mutex_lock(&reclaim_lock);
    wait = wait && reclaim_pid == getpid();
    while (wait && (reclaim_first || reclaim_busy)) {
        gint64 now = g_get_monotonic_time();
        uint64_t done = __atomic_load_n(&reclaim_done, __ATOMIC_RELAXED);
        struct timespec until;

        if (done != seen) {
            seen = done;
            progress = now;
        } else if (now - progress > EXIT_STALL_US) {
            gave_up = "made no progress for 1 s (a thread stuck in a "
                      "read-side section, or a blocked callback)";
            break;
        }
        if (now - start > EXIT_MAX_US) {
            gave_up = "kept running for 10 s";
            break;
        }
        /* poll: progress is counted per callback, the wake-up is per batch */
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 10 * 1000 * 1000;
        if (until.tv_nsec >= 1000 * 1000 * 1000) {
            until.tv_sec++;
            until.tv_nsec -= 1000 * 1000 * 1000;
        }
        pthread_cond_timedwait(&reclaim_idle, &reclaim_lock, &until);
    }
    __atomic_store_n(&reclaim_stopped, true, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&reclaim_lock);
    if (gave_up) {
        fprintf(stderr,
                "addrspace: at exit, the RCU callbacks %s; the pending ones "
                "will not run\n",
                gave_up);
    }
}

static void reclaim_thread_start(void)
{
    pthread_t tid;
    pthread_attr_t attr;
    sigset_t all, old;
    int err;

    /* The worker takes no signals meant for the application. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&tid, &attr, reclaim_thread_main, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        fprintf(stderr, "addrspace: cannot start the RCU thread: %s\n",
                g_strerror(err));
        abort();
    }
    pthread_mutex_lock(&reclaim_lock);
    reclaim_pid = getpid();
    pthread_mutex_unlock(&reclaim_lock);
    /* registered now, after the program's start-up handlers: runs first */
    if (atexit(reclaim_at_exit) != 0) {
        fprintf(stderr, "addrspace: cannot register the RCU exit handler; "
                        "callbacks may run while the process exits\n");
    }
}

ADDRSPACE_EXPORT void addrspace_call_rcu1(struct rcu_head *head,
                                          AddrspaceRCUCBFunc *func)
{
    pthread_once(&reclaim_once, reclaim_thread_start);
    head->func = func;
    head->next.next = NULL;
    pthread_mutex_lock(&reclaim_lock);
    if (reclaim_last) {
        reclaim_last->next.next = &head->next;
    } else {
        reclaim_first = head;
    }
    reclaim_last = head;
    pthread_cond_signal(&reclaim_cond);
    pthread_mutex_unlock(&reclaim_lock);
}

typedef struct DrainMarker {
    struct rcu_head rcu;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
} DrainMarker;

static void drain_marker_reached(DrainMarker *marker)
{
    pthread_mutex_lock(&marker->lock);
    marker->done = true;
    pthread_cond_signal(&marker->cond);
    pthread_mutex_unlock(&marker->lock);
}

ADDRSPACE_EXPORT void addrspace_drain_call_rcu(void)
{
    DrainMarker marker = {.done = false};
    unsigned bql_depth;

    check_not_reading("drain_call_rcu");
    if (on_reclaim_thread) {
        fprintf(stderr, "addrspace: drain_call_rcu() from a call_rcu "
                        "callback would wait for itself\n");
        abort();
    }
    if (__atomic_load_n(&reclaim_stopped, __ATOMIC_ACQUIRE)) {
        return; /* after the exit handler: nothing will run any more */
    }
    pthread_mutex_init(&marker.lock, NULL);
    pthread_cond_init(&marker.cond, NULL);
    /* QEMU's drain_call_rcu() drops the big lock while it waits: the
     * callbacks it waits for may need it (an owner's release changes the
     * tree, which takes it) */
    bql_depth = bql_release_all();
    call_rcu(&marker, drain_marker_reached, rcu);
    pthread_mutex_lock(&marker.lock);
    while (!marker.done) {
        pthread_cond_wait(&marker.cond, &marker.lock);
    }
    pthread_mutex_unlock(&marker.lock);
    bql_reacquire(bql_depth);
    pthread_mutex_destroy(&marker.lock);
    pthread_cond_destroy(&marker.cond);
}

/* QEMU registers its main thread in a constructor; so do we (lazily). */
__attribute__((constructor)) static void rcu_register_loading_thread(void)
{
    loading_thread = pthread_self();
    loading_registrations = 1;
}
