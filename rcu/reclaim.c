/* SPDX-License-Identifier: MIT */
/*
 * The reclamation thread: call_rcu()'s queue, drain_call_rcu(), the exit
 * handler and the queue's side of fork().
 *
 * Reclamation uses a thread of our own rather than liburcu's call_rcu:
 * its queue is a mutex-protected list and each batch is preceded by
 * synchronize_rcu() plus a TSan acquire, so ThreadSanitizer sees the grace
 * period without suppressions (liburcu's wait-free queue is inline asm).
 *
 * Batches, as QEMU 7.2's call_rcu thread makes them: the thread waits for
 * RECLAIM_BATCH_MIN callbacks to pile up, for at most RECLAIM_BATCH_TRIES
 * sleeps of RECLAIM_BATCH_WAIT_US, before it starts a grace period, so a
 * burst of tree changes costs one grace period (one sys_membarrier(),
 * which interrupts every CPU running one of the process's threads), not
 * one each. Someone waiting for the queue (a drain, the exit handler, a
 * throttled producer) makes it go at once: their waits stay short.
 *
 * Drains follow lineage. A callback queued by a thread other than the
 * reclamation thread is a root; one queued by a callback, on the
 * reclamation thread, descends from the root of that callback. A FlatView's
 * reclamation dropping an owner's last reference queues the owner's
 * release that way; the release may finalize regions and queue more. A
 * drain waits for every callback whose root was queued before its marker.
 * The thread numbers roots in the order it runs them (the queue is FIFO)
 * and keeps the root of each pending descendant in a ring, in queue order.
 * When the marker runs, every callback queued before it has run, so every
 * descendant still pending descends from a root before the marker: the
 * drain waits for that many, plus what those queue in turn, counted as
 * they are queued and run.
 *
 * A drain may run the queue itself (addrspace_drain_call_rcu_inline()):
 * when the thread runs no batch and nobody else waits, the draining thread
 * takes the whole queue, waits for a grace period and runs it, then what
 * those callbacks queued (after another grace period), until nothing of
 * its lineage is left. Meanwhile the reclamation thread takes no batch, so
 * callbacks still run one at a time and in queue order; callbacks that
 * other threads queue meanwhile wait for it. No thread wake-up, no
 * lineage bookkeeping: nothing waits on the lineage when it starts.
 *
 * Process exit: the thread would otherwise go on running callbacks (owners'
 * release callbacks: device code) while exit() runs the program's exit
 * handlers and destructors, which may free what those callbacks touch, or
 * be killed in the middle of them. A handler registered with atexit() when
 * the thread first starts (so it runs before every handler registered
 * earlier, such as those a program installs at start-up) lets the thread
 * finish the queue, callbacks queued by callbacks included, then stops it
 * for good: no callback starts after the handler returned.
 *
 * fork(): the child has no reclamation thread. The prepare handler parks
 * the thread between two callbacks (a batch it has taken goes back to the
 * front of the queue), so the child inherits a whole queue and no callback
 * half done; the child starts a thread of its own when it next queues or
 * drains callbacks, or at exit when callbacks are pending. As QEMU 7.2's
 * child, it runs the callbacks the parent had queued (on its own copy of
 * the objects).
 */
#define _GNU_SOURCE /* pthread_cond_clockwait() */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <glib.h>

#include "rcu-internal.h"

/* Pending callbacks, oldest first, linked through head->next.next. */
static pthread_mutex_t reclaim_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reclaim_cond = PTHREAD_COND_INITIALIZER; /* work */
/* A batch ended or the thread parked; a drain completed. */
static pthread_cond_t reclaim_idle = PTHREAD_COND_INITIALIZER;
static pthread_cond_t reclaim_drained = PTHREAD_COND_INITIALIZER;
static struct rcu_head *reclaim_first;
static struct rcu_head *reclaim_last;
static __thread bool on_reclaim_thread;
/* Under reclaim_lock: a thread runs in this process; the exit handler is
 * registered; a batch is being run; the thread is parked for fork(). */
static bool reclaim_started;
static bool reclaim_exit_registered;
static bool reclaim_busy;
static bool reclaim_parked;
/* Under reclaim_lock: the thread waits, untimed, for a first callback:
 * call_rcu() must wake it (otherwise it is awake or will look soon). */
static bool reclaim_idle_waiting;
/* fork() preparations in progress: the thread parks. Atomic; written
 * under reclaim_lock. */
static unsigned int reclaim_forks;
/* Set once, by the exit handler: no callback starts any more. Atomic. */
static bool reclaim_stopped;
/* Callbacks run so far (progress, for the exit and fork handlers). Atomic. */
static uint64_t reclaim_done;
/* Callbacks queued so far. Atomic. */
static uint64_t reclaim_queued;
/* Batches taken (one grace period each), for tests. Atomic. */
static uint64_t reclaim_batches;
/* Under reclaim_lock: a drain runs callbacks on its own thread (the
 * reclamation thread takes no batch meanwhile); the reclamation thread
 * waits for it to end. */
static bool reclaim_inline;
static bool reclaim_inline_waiting;
/* The calling thread runs callbacks for its inline drain: what they queue
 * goes to inline_first's list, run by the same drain. */
static __thread bool inline_running;
static __thread struct rcu_head *inline_first, *inline_last;
/* Under reclaim_lock: callbacks in the queue (reclaim_first's list). */
static uint64_t reclaim_queue_len;
/* Under reclaim_lock: threads waiting for the queue to be run (drains, the
 * exit handler, throttled producers): the thread does not batch. */
static unsigned int reclaim_urgent;
/* Backpressure: more callbacks pending than this (0, the default: no limit,
 * as QEMU 7.2), and a thread that ends a tree change waits
 * (rcu_reclaim_throttle()). Atomic. */
static uint64_t reclaim_queue_max;
/* 1 + reclaim_done when this thread last gave up waiting: it does not wait
 * again until a callback completed. */
static __thread uint64_t throttle_gave_up_at;
/* Asked by the exit and fork handlers whether the calling thread holds a
 * lock that callbacks may need (memory/'s update lock); NULL: none. */
static bool (*exit_holds_lock)(void);

/* Batching, as QEMU 7.2's RCU_CALL_MIN_SIZE and its 5 sleeps of 10 ms. */
#define RECLAIM_BATCH_MIN     30
#define RECLAIM_BATCH_TRIES   5
#define RECLAIM_BATCH_WAIT_US 10000

/* No callback completed for this long: the exit handler stops waiting. */
#define EXIT_STALL_US (1 * G_USEC_PER_SEC)
/* Nor does it wait longer than this in all (callbacks queueing more
 * callbacks without end). */
#define EXIT_MAX_US (10 * G_USEC_PER_SEC)

/*
 * A drain's marker, queued like a callback. Allocated by drain_call_rcu(),
 * which frees it once done; a fork child frees its orphans.
 */
typedef struct DrainMarker {
    struct rcu_head rcu;
    struct DrainMarker *next; /* in drain_waiting */
    uint64_t root;            /* waits for descendants of roots below */
    size_t count;             /* those still pending */
    bool done;                /* under reclaim_lock */
    bool orphaned;            /* in a fork child: nobody waits for it */
} DrainMarker;

/* A pending callback queued by a callback, and its root. */
typedef struct Descendant {
    struct rcu_head *head;
    uint64_t root;
} Descendant;

/*
 * Lineage: used by the reclamation thread alone (and by the fork child
 * handler, when nothing else runs). A ring of the pending descendants in
 * queue order; the number of roots run so far; the root of the callback
 * running now; the drains whose marker ran and that wait for descendants.
 */
static Descendant *descendants;
static size_t descendants_size, descendants_start, descendants_len;
static uint64_t roots_run;
static uint64_t running_root;
static DrainMarker *drain_waiting;

void rcu_set_exit_lock_check(bool (*holds_lock)(void))
{
    exit_holds_lock = holds_lock;
}

/* Whether the calling thread may wait for callbacks to run. */
static bool can_wait_for_callbacks(void)
{
    return !on_reclaim_thread && !inline_running &&
           !rcu_thread_in_read_section() &&
           !(exit_holds_lock && exit_holds_lock());
}

static void drain_complete(DrainMarker *marker)
{
    pthread_mutex_lock(&reclaim_lock);
    if (marker->orphaned) {
        pthread_mutex_unlock(&reclaim_lock);
        g_free(marker);
        return;
    }
    marker->done = true;
    pthread_cond_broadcast(&reclaim_drained);
    pthread_mutex_unlock(&reclaim_lock);
}

/* Called on the reclamation thread when a callback queues @head. */
static void lineage_queued(struct rcu_head *head)
{
    if (descendants_len == descendants_size) {
        size_t size = descendants_size ? 2 * descendants_size : 64;
        Descendant *ring = g_new(Descendant, size);

        for (size_t i = 0; i < descendants_len; i++) {
            ring[i] = descendants[(descendants_start + i) % descendants_size];
        }
        g_free(descendants);
        descendants = ring;
        descendants_size = size;
        descendants_start = 0;
    }
    descendants[(descendants_start + descendants_len++) % descendants_size] =
        (Descendant){.head = head, .root = running_root};
    for (DrainMarker *m = drain_waiting; m; m = m->next) {
        if (running_root < m->root) {
            m->count++;
        }
    }
}

/* @head is about to run: sets running_root. Return: whether @head is a
 * descendant. */
static bool lineage_enter(struct rcu_head *head)
{
    if (descendants_len && descendants[descendants_start].head == head) {
        running_root = descendants[descendants_start].root;
        descendants_start = (descendants_start + 1) % descendants_size;
        descendants_len--;
        return true;
    }
    running_root = roots_run++;
    return false;
}

/* A descendant of running_root has run: the drains waiting for it. */
static void lineage_descendant_ran(void)
{
    DrainMarker **link = &drain_waiting;

    while (*link) {
        DrainMarker *m = *link;

        if (running_root < m->root && --m->count == 0) {
            *link = m->next;
            drain_complete(m);
        } else {
            link = &m->next;
        }
    }
}

/* The marker's callback: every callback queued before it has run. */
static void drain_marker_reached(DrainMarker *marker)
{
    if (descendants_len == 0) {
        drain_complete(marker);
        return;
    }
    /* each pending descendant descends from a callback that ran before */
    marker->root = running_root;
    marker->count = descendants_len;
    marker->next = drain_waiting;
    drain_waiting = marker;
}

static void run_callback(struct rcu_head *head)
{
    AddrspaceRCUCBFunc *func = head->func;
    uintptr_t offset = (uintptr_t)func;

    if (offset < RCU_FREE_OFFSET_LIMIT) {
        g_free((char *)head - offset);
    } else {
        func(head);
    }
}

/* Run @batch in order; stop early, returning what is left, once the exit
 * handler has stopped the thread or a fork() waits for it to park.
 * @lineage: on the reclamation thread (an inline drain keeps none). */
static struct rcu_head *run_batch(struct rcu_head *batch, bool lineage)
{
    while (batch) {
        struct rcu_head *next = (struct rcu_head *)batch->next.next;
        bool descendant;

        if (__atomic_load_n(&reclaim_stopped, __ATOMIC_ACQUIRE) ||
            __atomic_load_n(&reclaim_forks, __ATOMIC_RELAXED)) {
            return batch;
        }
        descendant = lineage && lineage_enter(batch);
        run_callback(batch);
        if (descendant) {
            lineage_descendant_ran();
        }
        __atomic_fetch_add(&reclaim_done, 1, __ATOMIC_RELAXED);
        batch = next;
    }
    return NULL;
}

/* Put @rest, not run, back in front of the queue (order unchanged). */
static void requeue_front_locked(struct rcu_head *rest)
{
    struct rcu_head *tail = rest;

    if (!rest) {
        return;
    }
    reclaim_queue_len++;
    while (tail->next.next) {
        tail = (struct rcu_head *)tail->next.next;
        reclaim_queue_len++;
    }
    tail->next.next = reclaim_first ? &reclaim_first->next : NULL;
    if (!reclaim_first) {
        reclaim_last = tail;
    }
    reclaim_first = rest;
}

/* Wait on @cond, reclaim_lock held, for at most @us microseconds (less
 * than a second): until signalled or the time passed. The monotonic
 * clock: setting the system clock back neither stretches the batching
 * sleep nor the waiters' poll. */
static void timed_wait_locked(pthread_cond_t *cond, long us)
{
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += us * 1000;
    if (until.tv_nsec >= 1000 * 1000 * 1000) {
        until.tv_sec++;
        until.tv_nsec -= 1000 * 1000 * 1000;
    }
    pthread_cond_clockwait(cond, &reclaim_lock, CLOCK_MONOTONIC, &until);
}

static void *reclaim_thread_main(void *arg)
{
    int tries = 0;
    bool lingered = true; /* nothing ran yet: idle at once */

    (void)arg;
    on_reclaim_thread = true;
    rcu_register_thread();
    pthread_mutex_lock(&reclaim_lock);
    for (;;) {
        struct rcu_head *batch;

        if (__atomic_load_n(&reclaim_forks, __ATOMIC_RELAXED)) {
            reclaim_parked = true;
            pthread_cond_broadcast(&reclaim_idle);
            while (__atomic_load_n(&reclaim_forks, __ATOMIC_RELAXED)) {
                pthread_cond_wait(&reclaim_cond, &reclaim_lock);
            }
            reclaim_parked = false;
            continue;
        }
        if (reclaim_inline) {
            /* a drain runs the queue: no batch of ours meanwhile */
            reclaim_inline_waiting = true;
            pthread_cond_wait(&reclaim_cond, &reclaim_lock);
            reclaim_inline_waiting = false;
            continue;
        }
        if (!reclaim_first ||
            __atomic_load_n(&reclaim_stopped, __ATOMIC_RELAXED)) {
            if (!lingered &&
                !__atomic_load_n(&reclaim_stopped, __ATOMIC_RELAXED)) {
                /* After a batch, one batching sleep before going idle: a
                 * callback queued meanwhile needs no wake-up (a steady
                 * stream of tree changes pays none), and the sleep counts
                 * as its first batching try, so the bound on its wait
                 * stays RECLAIM_BATCH_TRIES sleeps. */
                lingered = true;
                timed_wait_locked(&reclaim_cond, RECLAIM_BATCH_WAIT_US);
                tries = reclaim_first ? 1 : 0;
                continue;
            }
            tries = 0; /* an inline drain may have emptied the queue */
            reclaim_idle_waiting = true;
            pthread_cond_wait(&reclaim_cond, &reclaim_lock);
            reclaim_idle_waiting = false;
            continue;
        }
        if (!reclaim_urgent && reclaim_queue_len < RECLAIM_BATCH_MIN &&
            tries++ < RECLAIM_BATCH_TRIES) {
            /* call_rcu() cuts the sleep short at the minimum */
            timed_wait_locked(&reclaim_cond, RECLAIM_BATCH_WAIT_US);
            continue;
        }
        tries = 0;
        lingered = false;
        __atomic_fetch_add(&reclaim_batches, 1, __ATOMIC_RELAXED);
        batch = reclaim_first;
        reclaim_first = reclaim_last = NULL;
        reclaim_queue_len = 0;
        reclaim_busy = true;
        pthread_mutex_unlock(&reclaim_lock);

        /* Everything in the batch was queued before this grace period. */
        synchronize_rcu();
        batch = run_batch(batch, true);

        pthread_mutex_lock(&reclaim_lock);
        requeue_front_locked(batch); /* stopped, or parking for fork() */
        reclaim_busy = false;
        pthread_cond_broadcast(&reclaim_idle);
    }
    return NULL;
}

static bool thread_idle_locked(uint64_t unused)
{
    (void)unused;
    return !reclaim_first && !reclaim_busy && !reclaim_inline;
}

/* No callback runs until the fork: the thread (if any) is parked and no
 * inline drain runs. */
static bool fork_quiet_locked(uint64_t unused)
{
    (void)unused;
    return (reclaim_parked || !reclaim_started) && !reclaim_inline;
}

static bool callbacks_done_locked(uint64_t target)
{
    return __atomic_load_n(&reclaim_done, __ATOMIC_RELAXED) >= target;
}

/*
 * Wait, reclaim_lock held, until @done(@arg) holds. Gives up when no
 * callback completed for EXIT_STALL_US (a reader stuck in a read-side
 * section, a blocked callback) or after EXIT_MAX_US in all. Return: NULL,
 * or why it gave up.
 */
static const char *wait_for_thread_locked(bool (*done)(uint64_t arg),
                                          uint64_t arg)
{
    gint64 start = g_get_monotonic_time(), progress = start;
    uint64_t seen = __atomic_load_n(&reclaim_done, __ATOMIC_RELAXED);

    while (!done(arg)) {
        gint64 now = g_get_monotonic_time();
        uint64_t ran = __atomic_load_n(&reclaim_done, __ATOMIC_RELAXED);

        if (ran != seen) {
            seen = ran;
            progress = now;
        } else if (now - progress > EXIT_STALL_US) {
            return "made no progress for 1 s (a thread stuck in a "
                   "read-side section, or a blocked callback)";
        }
        if (now - start > EXIT_MAX_US) {
            return "kept running for 10 s";
        }
        /* poll: progress is counted per callback, the wake-up is per batch */
        timed_wait_locked(&reclaim_idle, 10 * 1000);
    }
    return NULL;
}

/*
 * The exit handler. Waits, when the exiting thread can let callbacks
 * finish, until the queue is empty and no batch runs (callbacks queued by
 * callbacks run too), then stops the thread: the callback it may be
 * running completes, no other starts. It does not wait when the exiting
 * thread is the reclamation thread, is inside a read-side section (the
 * grace period would wait for it) or holds the update lock; it gives up
 * when no callback completed for EXIT_STALL_US or after EXIT_MAX_US: the
 * callbacks left never run.
 */
static void reclaim_at_exit(void);

/* Start the thread in this process if it does not run yet. */
static void reclaim_start_locked(void)
{
    pthread_t tid;
    pthread_attr_t attr;
    sigset_t all, old;
    int err;

    if (reclaim_started) {
        return;
    }
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
    reclaim_started = true;
    /* registered now, after the program's start-up handlers: runs first */
    if (!reclaim_exit_registered) {
        reclaim_exit_registered = true;
        if (atexit(reclaim_at_exit) != 0) {
            fprintf(stderr, "addrspace: cannot register the RCU exit "
                            "handler; callbacks may run while the process "
                            "exits\n");
        }
    }
}

static void reclaim_at_exit(void)
{
    bool wait = can_wait_for_callbacks();
    const char *gave_up = NULL;

    pthread_mutex_lock(&reclaim_lock);
    if (wait && !thread_idle_locked(0)) {
        reclaim_start_locked(); /* a fork child may not have one yet */
        reclaim_urgent++;
        pthread_cond_signal(&reclaim_cond);
        gave_up = wait_for_thread_locked(thread_idle_locked, 0);
        reclaim_urgent--;
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

/* Append @head to the list from *@first to *@last. */
static void list_append(struct rcu_head **first, struct rcu_head **last,
                        struct rcu_head *head)
{
    if (*last) {
        (*last)->next.next = &head->next;
    } else {
        *first = head;
    }
    *last = head;
}

ADDRSPACE_EXPORT void addrspace_call_rcu1(struct rcu_head *head,
                                          AddrspaceRCUCBFunc *func)
{
    head->func = func;
    head->next.next = NULL;
    __atomic_fetch_add(&reclaim_queued, 1, __ATOMIC_RELAXED);
    if (inline_running) {
        /* queued by a callback that an inline drain runs: that drain runs
         * it too, after a grace period */
        list_append(&inline_first, &inline_last, head);
        return;
    }
    if (on_reclaim_thread) {
        lineage_queued(head); /* the ring is the thread's own */
    }
    pthread_mutex_lock(&reclaim_lock);
    reclaim_start_locked();
    list_append(&reclaim_first, &reclaim_last, head);
    /* the first wakes an idle thread, which then batches; the minimum (or
     * a waiter) ends its batching sleep: not a wake-up per callback */
    if ((++reclaim_queue_len == 1 && reclaim_idle_waiting) ||
        reclaim_queue_len == RECLAIM_BATCH_MIN || reclaim_urgent) {
        pthread_cond_signal(&reclaim_cond);
    }
    pthread_mutex_unlock(&reclaim_lock);
}

/* Under reclaim_lock: whether a drain may run the queue itself: no batch
 * or inline drain runs, nobody else waits for the queue (so no drain
 * marker is queued), no drain waits on the lineage, no fork is prepared. */
static bool inline_drain_possible_locked(void)
{
    return !reclaim_busy && !reclaim_inline && !reclaim_urgent &&
           !__atomic_load_n(&reclaim_forks, __ATOMIC_RELAXED) &&
           !drain_waiting && descendants_len == 0;
}

/*
 * Run the queue on the calling thread, then what its callbacks queue,
 * each round after a grace period. Called with reclaim_lock held and
 * inline_drain_possible_locked(); returns with it released. Return: false
 * when the exit handler or a fork() stopped it between two callbacks
 * (what was left went back to the queue's front, in order).
 */
static bool drain_inline_locked(void)
{
    struct rcu_head *batch = reclaim_first;

    reclaim_first = reclaim_last = NULL;
    reclaim_queue_len = 0;
    reclaim_inline = true;
    pthread_mutex_unlock(&reclaim_lock);

    inline_running = true;
    while (batch) {
        __atomic_fetch_add(&reclaim_batches, 1, __ATOMIC_RELAXED);
        /* everything in it was queued before this grace period */
        synchronize_rcu();
        batch = run_batch(batch, false);
        if (batch) {
            break; /* stopped */
        }
        batch = inline_first;
        inline_first = inline_last = NULL;
    }
    inline_running = false;

    pthread_mutex_lock(&reclaim_lock);
    /* stopped: what the callbacks that ran queued, then in front of it
     * the rest of the batch (both NULL when it ran to the end) */
    requeue_front_locked(inline_first);
    inline_first = inline_last = NULL;
    requeue_front_locked(batch);
    reclaim_inline = false;
    if (reclaim_inline_waiting) {
        pthread_cond_signal(&reclaim_cond);
    }
    pthread_cond_broadcast(&reclaim_idle); /* the exit and fork handlers */
    pthread_mutex_unlock(&reclaim_lock);
    return batch == NULL;
}

/* drain_call_rcu(); @here: the caller may run the callbacks itself. */
static void drain(bool here)
{
    DrainMarker *marker;
    unsigned bql_depth;

    rcu_check_not_reading("drain_call_rcu");
    if (on_reclaim_thread || inline_running) {
        fprintf(stderr, "addrspace: drain_call_rcu() from a call_rcu "
                        "callback would wait for itself\n");
        abort();
    }
    if (__atomic_load_n(&reclaim_stopped, __ATOMIC_ACQUIRE)) {
        return; /* after the exit handler: nothing will run any more */
    }
    /* QEMU's drain_call_rcu() drops the big lock while it waits: the
     * callbacks it waits for may need it (an owner's release changes the
     * tree, which takes it) */
    bql_depth = bql_release_all();
    if (here && !(exit_holds_lock && exit_holds_lock())) {
        pthread_mutex_lock(&reclaim_lock);
        if (!inline_drain_possible_locked()) {
            pthread_mutex_unlock(&reclaim_lock);
        } else if (drain_inline_locked() ||
                   __atomic_load_n(&reclaim_stopped, __ATOMIC_ACQUIRE)) {
            bql_reacquire(bql_depth);
            return;
        }
        /* busy, or a fork() interrupted it: wait for the thread */
    }
    marker = g_new0(DrainMarker, 1);
    pthread_mutex_lock(&reclaim_lock);
    reclaim_urgent++; /* no batching while it waits */
    pthread_mutex_unlock(&reclaim_lock);
    call_rcu(marker, drain_marker_reached, rcu);
    pthread_mutex_lock(&reclaim_lock);
    while (!marker->done) {
        pthread_cond_wait(&reclaim_drained, &reclaim_lock);
    }
    reclaim_urgent--;
    pthread_mutex_unlock(&reclaim_lock);
    bql_reacquire(bql_depth);
    g_free(marker);
}

ADDRSPACE_EXPORT void addrspace_drain_call_rcu(void)
{
    drain(false);
}

ADDRSPACE_EXPORT void addrspace_drain_call_rcu_inline(void)
{
    drain(true);
}

uint64_t rcu_reclaim_pending(void)
{
    /* done first: a callback is counted as queued before it is done */
    uint64_t done = __atomic_load_n(&reclaim_done, __ATOMIC_RELAXED);

    return __atomic_load_n(&reclaim_queued, __ATOMIC_RELAXED) - done;
}

uint64_t rcu_reclaim_batches(void)
{
    return __atomic_load_n(&reclaim_batches, __ATOMIC_RELAXED);
}

ADDRSPACE_EXPORT uint64_t addrspace_rcu_set_reclaim_limit(uint64_t max)
{
    return __atomic_exchange_n(&reclaim_queue_max, max, __ATOMIC_RELAXED);
}

/*
 * Backpressure. Producers faster than the reclamation thread (two threads
 * creating and destroying AddressSpaces: measured 20000 more callbacks
 * pending every second, 30 MiB of RSS, without end) would grow the queue, and the memory
 * it holds, without bound. Called by memory/ when a thread releases the
 * update lock for the last time; when more than reclaim_queue_max
 * callbacks are pending, the thread waits until the oldest of them, down
 * to half that number, have run. Callbacks keep their order; nothing that
 * the reclamation thread may wait for is held: not inside a read-side
 * section, not with the update lock, not on the reclamation thread. A
 * lock of the caller's own that a callback needs would stall the thread:
 * the wait gives up after a second without progress, and the caller does
 * not wait again until a callback completed.
 */
void rcu_reclaim_throttle(void)
{
    uint64_t max = __atomic_load_n(&reclaim_queue_max, __ATOMIC_RELAXED);
    uint64_t done = __atomic_load_n(&reclaim_done, __ATOMIC_RELAXED);
    uint64_t queued = __atomic_load_n(&reclaim_queued, __ATOMIC_RELAXED);

    /* the big lock: a release callback may need it (it changes the tree) */
    if (!max || queued - done <= max || throttle_gave_up_at == done + 1 ||
        !can_wait_for_callbacks() || bql_locked()) {
        return;
    }
    pthread_mutex_lock(&reclaim_lock);
    if (reclaim_started && !__atomic_load_n(&reclaim_forks, __ATOMIC_RELAXED) &&
        !__atomic_load_n(&reclaim_stopped, __ATOMIC_RELAXED)) {
        reclaim_urgent++;
        pthread_cond_signal(&reclaim_cond);
        if (wait_for_thread_locked(
                callbacks_done_locked,
                __atomic_load_n(&reclaim_queued, __ATOMIC_RELAXED) - max / 2)) {
            throttle_gave_up_at =
                __atomic_load_n(&reclaim_done, __ATOMIC_RELAXED) + 1;
        }
        reclaim_urgent--;
    }
    pthread_mutex_unlock(&reclaim_lock);
}

void rcu_reclaim_fork_prepare(void)
{
    pthread_mutex_lock(&reclaim_lock);
    __atomic_store_n(&reclaim_forks, reclaim_forks + 1, __ATOMIC_RELAXED);
    if ((reclaim_started || reclaim_inline) && can_wait_for_callbacks()) {
        /* may give up (a callback that blocks): its batch is then lost to
         * the child */
        pthread_cond_signal(&reclaim_cond);
        (void)wait_for_thread_locked(fork_quiet_locked, 0);
    }
    pthread_mutex_unlock(&reclaim_lock);
}

void rcu_reclaim_fork_lock(void)
{
    pthread_mutex_lock(&reclaim_lock);
    if (!fork_quiet_locked(0) && can_wait_for_callbacks()) {
        /* it was in a long grace period, over now: try again */
        (void)wait_for_thread_locked(fork_quiet_locked, 0);
    }
}

void rcu_reclaim_fork_parent(void)
{
    __atomic_store_n(&reclaim_forks, reclaim_forks - 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&reclaim_cond);
    pthread_mutex_unlock(&reclaim_lock);
}

/*
 * In the child only the forking thread runs: the lock and condition
 * variables are initialised afresh (the other threads' waits are gone with
 * them, and a signal could wait for them), and so are the drains' callers.
 */
void rcu_reclaim_fork_child(void)
{
    pthread_mutex_init(&reclaim_lock, NULL);
    pthread_cond_init(&reclaim_cond, NULL);
    pthread_cond_init(&reclaim_idle, NULL);
    pthread_cond_init(&reclaim_drained, NULL);
    __atomic_store_n(&reclaim_forks, 0, __ATOMIC_RELAXED);
    reclaim_parked = false;
    reclaim_idle_waiting = false; /* the thread is the parent's */
    reclaim_inline_waiting = false;
    /* an inline drain goes on in the child only if the forking thread ran
     * it (a callback that forks) */
    reclaim_inline = inline_running;
    reclaim_urgent = 0; /* the waiters were other threads */
    for (struct rcu_head *h = reclaim_first; h;
         h = (struct rcu_head *)h->next.next) {
        if (h->func == (AddrspaceRCUCBFunc *)drain_marker_reached) {
            ((DrainMarker *)h)->orphaned = true;
        }
    }
    while (drain_waiting) {
        DrainMarker *m = drain_waiting;

        drain_waiting = m->next;
        g_free(m);
    }
    if (!on_reclaim_thread) {
        /* the thread is gone: every pending callback becomes a root */
        reclaim_started = false;
        reclaim_busy = false;
        descendants_len = 0;
        roots_run = 0;
    }
}
