/* SPDX-License-Identifier: MIT */
/* Internal interface of the RCU layer (rcu/). Not installed. */
#ifndef ADDRSPACE_RCU_INTERNAL_H
#define ADDRSPACE_RCU_INTERNAL_H

#include <addrspace/bql.h>
#include <addrspace/rcu.h>

/*
 * Makes TSan see every read-side section that ended before the grace
 * period just waited for as happening before the caller's next action.
 * Compiles to nothing outside TSan builds.
 */
static inline void rcu_tsan_after_grace_period(void)
{
#ifdef ADDRSPACE_TSAN
    __tsan_acquire(&addrspace_rcu_tsan_sync_object);
#endif
}

/*
 * Give the reclamation thread's exit and fork handlers a way to learn
 * whether the calling thread holds a lock that callbacks may need
 * (memory/'s update lock): they then do not wait for callbacks. rcu/
 * knows nothing of regions, so the layer above registers the check. Set
 * once, at load.
 */
void rcu_set_exit_lock_check(bool (*holds_lock)(void));

/*
 * For the dispatcher (QEMU's prepare_mmio_access()): take the big lock
 * unless this thread holds it; true if taken, then bql_unlock_taken()
 * releases it. Direct calls inside the library (no PLT).
 */
bool bql_lock_unless_held(void);
void bql_unlock_taken(void);

/*
 * bql_release_all() releases the big lock if this thread holds it and
 * returns its hold count (0 if it held none); bql_reacquire() takes it
 * back with that count. For drain_call_rcu(), which must not wait with it.
 */
unsigned bql_release_all(void);
void bql_reacquire(unsigned depth);

/*
 * fork(): the big lock must not stay held in the child by a thread the
 * child does not have. rcu.c's prepare handler takes it (unless the
 * forking thread holds it), parent releases what prepare took, child
 * initialises it afresh, held again if the forking thread held it.
 */
void bql_fork_prepare(void);
void bql_fork_parent(void);
void bql_fork_child(void);

/*
 * Let the layer above hold its own lock across fork() (memory/'s update
 * lock: a child must not inherit it held by a thread it does not have).
 * rcu/'s prepare handler calls @prepare after parking the reclamation
 * thread (whose callbacks may need that lock) and before excluding grace
 * periods; @parent and @child run after rcu/'s own. Set once, at load.
 */
void rcu_set_fork_hooks(void (*prepare)(void), void (*parent)(void),
                        void (*child)(void));

/* Whether the calling thread is registered and inside a read-side section. */
bool rcu_thread_in_read_section(void);

/* Aborts, in a debug build, when the caller is inside a read-side section:
 * @what() would wait for itself. */
void rcu_check_not_reading(const char *what);

/* Callbacks queued and not run yet (a snapshot, for tests). */
uint64_t rcu_reclaim_pending(void);

/* Batches the reclamation thread has taken, one grace period each (for
 * tests). */
uint64_t rcu_reclaim_batches(void);

/*
 * Backpressure (rcu.h): called by memory/ after a thread released the
 * update lock for the last time; waits while too many callbacks are
 * pending, if the thread may wait. Returns at once otherwise.
 */
void rcu_reclaim_throttle(void);

/*
 * The reclamation thread's part of fork() (reclaim.c), called by rcu.c's
 * fork handlers in this order: prepare (parks the thread between two
 * callbacks, before rcu.c excludes grace periods: a callback may wait for
 * one), lock (takes the queue's lock, last), then parent or child.
 */
void rcu_reclaim_fork_prepare(void);
void rcu_reclaim_fork_lock(void);
void rcu_reclaim_fork_parent(void);
void rcu_reclaim_fork_child(void);

#endif /* ADDRSPACE_RCU_INTERNAL_H */
