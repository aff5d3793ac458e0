/* SPDX-License-Identifier: MIT */
/* VClock: deterministic nanosecond clock with timers (vclock.h). */
#include <pthread.h>
#include <time.h>

#include <glib.h>

#include <addrspace/bql.h>

#include <addrspace-machine/vclock.h>

/*
 * pthread mutexes rather than GMutex: GLib implements GMutex and GCond
 * with raw futexes, which ThreadSanitizer cannot see.
 */
struct VClock {
    pthread_mutex_t run_lock; /* serialises runs; held while callbacks run */

    pthread_mutex_t lock; /* protects everything below and timers' priv */
    pthread_cond_t idle;  /* signalled when a callback returns */
    int64_t now;          /* virtual mode: the time */
    bool realtime;
    int64_t rt_offset;   /* real-time mode: now = monotonic - rt_offset */
    VClockTimer *head;   /* pending timers by deadline, then arming order */
    bool running;        /* a run is in progress ... */
    pthread_t runner;    /* ... on this thread */
    int64_t target;      /* ... advancing to this time */
    VClockTimer *active; /* timer whose callback is running, or NULL */
    uint64_t budget;     /* most callbacks in one run (0: unlimited) */
    bool exhausted;      /* the last run stopped at the budget */
    uint64_t callbacks;  /* callbacks run since creation */
};

/* What a run advances to. */
typedef enum RunTarget {
    RUN_BY,               /* the current time plus the argument */
    RUN_TO,               /* the argument */
    RUN_TO_NEXT_DEADLINE, /* the earliest deadline, if any */
    RUN_DUE,              /* the current time */
} RunTarget;

static int64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

static int64_t now_locked(VClock *clk)
{
    return clk->realtime ? monotonic_ns() - clk->rt_offset : clk->now;
}

/* Move the time forward to @ns (never backwards). */
static void advance_locked(VClock *clk, int64_t ns)
{
    int64_t cur = now_locked(clk);

    if (ns <= cur) {
        return;
    }
    if (clk->realtime) {
        clk->rt_offset -= ns - cur;
    } else {
        clk->now = ns;
    }
}

static void unlink_locked(VClockTimer *t)
{
    VClock *clk = t->priv.clk;

    if (t->priv.prev) {
        t->priv.prev->priv.next = t->priv.next;
    } else {
        clk->head = t->priv.next;
    }
    if (t->priv.next) {
        t->priv.next->priv.prev = t->priv.prev;
    }
    t->priv.next = t->priv.prev = NULL;
    t->priv.pending = false;
}

ADDRSPACE_EXPORT VClock *vclock_new(void)
{
    VClock *clk = g_new0(VClock, 1);

    pthread_mutex_init(&clk->run_lock, NULL);
    pthread_mutex_init(&clk->lock, NULL);
    pthread_cond_init(&clk->idle, NULL);
    return clk;
}

ADDRSPACE_EXPORT void vclock_free(VClock *clk)
{
    if (!clk) {
        return;
    }
    while (clk->head) {
        unlink_locked(clk->head);
    }
    pthread_cond_destroy(&clk->idle);
    pthread_mutex_destroy(&clk->lock);
    pthread_mutex_destroy(&clk->run_lock);
    g_free(clk);
}

ADDRSPACE_EXPORT int64_t vclock_now_ns(VClock *clk)
{
    int64_t now;

    pthread_mutex_lock(&clk->lock);
    now = now_locked(clk);
    pthread_mutex_unlock(&clk->lock);
    return now;
}

/*
 * The one run loop: fire due timers one at a time, earliest first, each
 * with the clock at its deadline and the mutex dropped around the
 * callback; then move the clock to the target.
 */
static unsigned run(VClock *clk, RunTarget what, int64_t arg, int64_t *now_out)
{
    unsigned fired = 0;
    bool took_bql;
    int64_t now;
    int64_t target;

    pthread_mutex_lock(&clk->lock);
    if (clk->running && pthread_equal(clk->runner, pthread_self())) {
        /* called from a callback: runs do not nest */
        *now_out = now_locked(clk);
        pthread_mutex_unlock(&clk->lock);
        return 0;
    }
    pthread_mutex_unlock(&clk->lock);

    /* timers run under the big lock, as QEMU's main loop runs them; it
     * comes before the clock's locks (bql.h's lock order) */
    took_bql = !bql_locked();
    if (took_bql) {
        bql_lock();
    }
    pthread_mutex_lock(&clk->run_lock);
    pthread_mutex_lock(&clk->lock);
    clk->running = true;
    clk->runner = pthread_self();
    now = now_locked(clk);
    switch (what) {
    case RUN_BY:
        if (__builtin_add_overflow(now, MAX(arg, 0), &target)) {
            target = INT64_MAX;
        }
        break;
    case RUN_TO:
        target = arg;
        break;
    case RUN_TO_NEXT_DEADLINE:
        target = clk->head ? MAX(clk->head->priv.deadline, now) : now;
        break;
    default:
        target = now;
        break;
    }
    clk->target = target;
    clk->exhausted = false;
    while (clk->head && clk->head->priv.deadline <= target) {
        VClockTimer *t = clk->head;

        if (clk->budget && fired >= clk->budget) {
            /* stop where the work ran out: the time of the last callback */
            clk->exhausted = true;
            break;
        }
        unlink_locked(t);
        advance_locked(clk, t->priv.deadline);
        clk->active = t;
        pthread_mutex_unlock(&clk->lock);

        t->priv.cb(t->priv.opaque); /* may free t: not touched after */

        pthread_mutex_lock(&clk->lock);
        clk->active = NULL;
        pthread_cond_broadcast(&clk->idle);
        fired++;
        clk->callbacks++;
    }
    if (!clk->exhausted) {
        advance_locked(clk, target);
    }
    clk->running = false;
    *now_out = now_locked(clk);
    pthread_mutex_unlock(&clk->lock);
    pthread_mutex_unlock(&clk->run_lock);
    if (took_bql) {
        bql_unlock();
    }
    return fired;
}

ADDRSPACE_EXPORT int64_t vclock_step(VClock *clk, int64_t ns)
{
    int64_t now;

    run(clk, RUN_BY, ns, &now);
    return now;
}

ADDRSPACE_EXPORT int64_t vclock_set(VClock *clk, int64_t ns)
{
    int64_t now;

    run(clk, RUN_TO, ns, &now);
    return now;
}

ADDRSPACE_EXPORT int64_t vclock_step_to_next_deadline(VClock *clk)
{
    int64_t now;

    run(clk, RUN_TO_NEXT_DEADLINE, 0, &now);
    return now;
}

ADDRSPACE_EXPORT unsigned vclock_run_due(VClock *clk)
{
    int64_t now;

    return run(clk, RUN_DUE, 0, &now);
}

ADDRSPACE_EXPORT int64_t vclock_run_target(VClock *clk)
{
    int64_t target = -1;

    pthread_mutex_lock(&clk->lock);
    if (clk->running && pthread_equal(clk->runner, pthread_self())) {
        target = clk->target;
    }
    pthread_mutex_unlock(&clk->lock);
    return target;
}

ADDRSPACE_EXPORT void vclock_set_budget(VClock *clk, uint64_t max_callbacks)
{
    pthread_mutex_lock(&clk->lock);
    clk->budget = max_callbacks;
    pthread_mutex_unlock(&clk->lock);
}

ADDRSPACE_EXPORT bool vclock_budget_exhausted(VClock *clk)
{
    bool exhausted;

    pthread_mutex_lock(&clk->lock);
    exhausted = clk->exhausted;
    pthread_mutex_unlock(&clk->lock);
    return exhausted;
}

ADDRSPACE_EXPORT uint64_t vclock_callbacks_run(VClock *clk)
{
    uint64_t n;

    pthread_mutex_lock(&clk->lock);
    n = clk->callbacks;
    pthread_mutex_unlock(&clk->lock);
    return n;
}

ADDRSPACE_EXPORT int64_t vclock_next_deadline(VClock *clk)
{
    int64_t deadline;

    pthread_mutex_lock(&clk->lock);
    deadline = clk->head ? clk->head->priv.deadline : -1;
    pthread_mutex_unlock(&clk->lock);
    return deadline;
}

ADDRSPACE_EXPORT void vclock_set_realtime(VClock *clk, bool realtime)
{
    pthread_mutex_lock(&clk->lock);
    if (realtime != clk->realtime) {
        int64_t now = now_locked(clk);

        clk->realtime = realtime;
        if (realtime) {
            clk->rt_offset = monotonic_ns() - now;
        } else {
            clk->now = now;
        }
    }
    pthread_mutex_unlock(&clk->lock);
}

ADDRSPACE_EXPORT bool vclock_is_realtime(VClock *clk)
{
    bool realtime;

    pthread_mutex_lock(&clk->lock);
    realtime = clk->realtime;
    pthread_mutex_unlock(&clk->lock);
    return realtime;
}

ADDRSPACE_EXPORT void vclock_jump(VClock *clk, int64_t ns)
{
    pthread_mutex_lock(&clk->lock);
    if (!clk->running) {
        if (clk->realtime) {
            clk->rt_offset = monotonic_ns() - ns;
        } else {
            clk->now = ns;
        }
    }
    pthread_mutex_unlock(&clk->lock);
}

ADDRSPACE_EXPORT void vclock_timer_init(VClockTimer *t, VClock *clk,
                                        VClockTimerCB cb, void *opaque)
{
    *t = (VClockTimer){.priv = {.clk = clk, .cb = cb, .opaque = opaque}};
}

ADDRSPACE_EXPORT void vclock_timer_mod(VClockTimer *t, int64_t deadline_ns)
{
    VClock *clk = t->priv.clk;
    VClockTimer *prev = NULL;
    VClockTimer *next;

    pthread_mutex_lock(&clk->lock);
    if (t->priv.pending) {
        unlink_locked(t);
    }
    /* after every timer with a deadline not later: ties fire FIFO */
    for (next = clk->head; next && next->priv.deadline <= deadline_ns;
         next = next->priv.next) {
        prev = next;
    }
    t->priv.deadline = deadline_ns;
    t->priv.prev = prev;
    t->priv.next = next;
    if (prev) {
        prev->priv.next = t;
    } else {
        clk->head = t;
    }
    if (next) {
        next->priv.prev = t;
    }
    t->priv.pending = true;
    pthread_mutex_unlock(&clk->lock);
}

ADDRSPACE_EXPORT void vclock_timer_del(VClockTimer *t)
{
    VClock *clk = t->priv.clk;

    pthread_mutex_lock(&clk->lock);
    if (t->priv.pending) {
        unlink_locked(t);
    }
    pthread_mutex_unlock(&clk->lock);
}

ADDRSPACE_EXPORT void vclock_timer_del_sync(VClockTimer *t)
{
    VClock *clk = t->priv.clk;
    pthread_mutex_lock(&clk->lock);
    if (t->priv.pending) {
        unlink_locked(t);
    }
    /* clk->active is only set during a run, so runner is valid then */
    while (clk->active == t && !pthread_equal(clk->runner, pthread_self())) {
        pthread_cond_wait(&clk->idle, &clk->lock);
    }
    pthread_mutex_unlock(&clk->lock);
}

ADDRSPACE_EXPORT bool vclock_timer_pending(VClockTimer *t)
{
    VClock *clk = t->priv.clk;
    bool pending;

    pthread_mutex_lock(&clk->lock);
    pending = t->priv.pending;
    pthread_mutex_unlock(&clk->lock);
    return pending;
}

ADDRSPACE_EXPORT int64_t vclock_timer_deadline(VClockTimer *t)
{
    VClock *clk = t->priv.clk;
    int64_t deadline;

    pthread_mutex_lock(&clk->lock);
    deadline = t->priv.pending ? t->priv.deadline : -1;
    pthread_mutex_unlock(&clk->lock);
    return deadline;
}
