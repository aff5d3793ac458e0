/* SPDX-License-Identifier: MIT */
/*
 * RCU layer: thread registration, grace periods and the reclamation
 * thread, on liburcu's memb flavour.
 *
 * Reclamation uses a thread of our own rather than liburcu's call_rcu:
 * its queue is a mutex-protected list and each batch is preceded by
 * synchronize_rcu() plus a TSan acquire, so ThreadSanitizer sees the grace
 * period without suppressions (liburcu's wait-free queue is inline asm).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "rcu-internal.h"

ADDRSPACE_EXPORT __thread unsigned int rcu_thread_registration_depth;

#ifdef ADDRSPACE_TSAN
ADDRSPACE_EXPORT char rcu_tsan_sync_object;
#endif

/* Pending callbacks, oldest first, linked through head->next.next. */
static pthread_mutex_t reclaim_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reclaim_cond = PTHREAD_COND_INITIALIZER;
static struct rcu_head *reclaim_first;
static struct rcu_head *reclaim_last;
static pthread_once_t reclaim_once = PTHREAD_ONCE_INIT;
static __thread bool on_reclaim_thread;

ADDRSPACE_EXPORT void rcu_unregistered_thread_fatal(void)
{
    fprintf(stderr,
            "addrspace: rcu_read_lock() on a thread that is not registered; "
            "call rcu_register_thread() when the thread starts (see "
            "<addrspace/rcu.h>)\n");
    abort();
}

ADDRSPACE_EXPORT void rcu_register_thread(void)
{
    if (rcu_thread_registration_depth++ == 0) {
        urcu_memb_register_thread();
    }
}

ADDRSPACE_EXPORT void rcu_unregister_thread(void)
{
    if (rcu_thread_registration_depth == 0) {
        /* a caller bug, but no public function aborts on caller input */
        fprintf(stderr, "addrspace: rcu_unregister_thread() on a thread "
                        "that is not registered; ignored\n");
        return;
    }
    if (--rcu_thread_registration_depth == 0) {
        urcu_memb_unregister_thread();
    }
}

ADDRSPACE_EXPORT bool rcu_thread_is_registered(void)
{
    return rcu_thread_registration_depth != 0;
}

static void check_not_reading(const char *what)
{
#ifndef NDEBUG
    if (rcu_thread_registration_depth && urcu_memb_read_ongoing()) {
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

ADDRSPACE_EXPORT void synchronize_rcu(void)
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

static void *reclaim_thread_main(void *arg)
{
    (void)arg;
    on_reclaim_thread = true;
    rcu_register_thread();
    for (;;) {
        struct rcu_head *batch;

        pthread_mutex_lock(&reclaim_lock);
        while (!reclaim_first) {
            pthread_cond_wait(&reclaim_cond, &reclaim_lock);
        }
        batch = reclaim_first;
        reclaim_first = reclaim_last = NULL;
        pthread_mutex_unlock(&reclaim_lock);

        /* Everything in the batch was queued before this grace period. */
        synchronize_rcu();
        while (batch) {
            struct rcu_head *next = (struct rcu_head *)batch->next.next;

            run_callback(batch);
            batch = next;
        }
    }
    return NULL;
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
}

ADDRSPACE_EXPORT void call_rcu1(struct rcu_head *head, RCUCBFunc *func)
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

ADDRSPACE_EXPORT void drain_call_rcu(void)
{
    DrainMarker marker = {.done = false};
    unsigned bql_depth;

    check_not_reading("drain_call_rcu");
    if (on_reclaim_thread) {
        fprintf(stderr, "addrspace: drain_call_rcu() from a call_rcu "
                        "callback would wait for itself\n");
        abort();
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

/* QEMU registers its main thread in a constructor; so do we. */
__attribute__((constructor)) static void rcu_register_loading_thread(void)
{
    rcu_register_thread();
}
