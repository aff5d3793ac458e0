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
 * Give the exit handler of the reclamation thread a way to learn whether
 * the exiting thread holds a lock that callbacks may need (memory/'s
 * update lock): it then does not wait for them. rcu/ knows nothing of
 * regions, so the layer above registers the check. Set once, at load.
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

#endif /* ADDRSPACE_RCU_INTERNAL_H */
