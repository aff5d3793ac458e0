/* SPDX-License-Identifier: MIT */
/* Internal interface of the RCU layer (rcu/). Not installed. */
#ifndef ADDRSPACE_RCU_INTERNAL_H
#define ADDRSPACE_RCU_INTERNAL_H

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

#endif /* ADDRSPACE_RCU_INTERNAL_H */
