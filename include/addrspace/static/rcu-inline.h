/* SPDX-License-Identifier: MIT */
/**
 * @file rcu-inline.h
 * @brief Read-side fast path of the RCU layer: rcu_read_lock() and
 * rcu_read_unlock().
 *
 * NOT ABI: included by <addrspace/rcu.h> only; the contents may change in
 * any release.
 *
 * Pairs: the TSan release in rcu_read_unlock() pairs with the TSan acquire
 * that rcu/rcu.c performs after each grace period, so TSan sees every
 * access made inside a read-side section happen before the reclamation
 * that the grace period allows.
 */
#ifndef ADDRSPACE_STATIC_RCU_INLINE_H
#define ADDRSPACE_STATIC_RCU_INLINE_H

#ifndef ADDRSPACE_RCU_H
#error "include <addrspace/rcu.h>, not this file"
#endif

/** Registration depth of the calling thread (0: not registered). */
extern __thread unsigned int rcu_thread_registration_depth;

/** Reports a read-side section on an unregistered thread and aborts. */
void rcu_unregistered_thread_fatal(void) __attribute__((noreturn, cold));

#ifdef ADDRSPACE_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
/** The one sync object between read-side ends and grace periods. */
extern char rcu_tsan_sync_object;
#endif

/**
 * rcu_read_lock() - Enter a read-side section (nestable).
 *
 * Objects reached through rcu_dereference() stay valid until the matching
 * rcu_read_unlock(). Never blocks, never allocates.
 * Context: a registered thread (see rcu.h).
 */
static inline void rcu_read_lock(void)
{
#ifndef NDEBUG
    if (__builtin_expect(rcu_thread_registration_depth == 0, 0)) {
        rcu_unregistered_thread_fatal();
    }
#endif
    urcu_memb_read_lock();
}

/**
 * rcu_read_unlock() - Leave a read-side section.
 *
 * Context: the thread that called the matching rcu_read_lock().
 */
static inline void rcu_read_unlock(void)
{
#ifdef ADDRSPACE_TSAN
    __tsan_release(&rcu_tsan_sync_object);
#endif
    urcu_memb_read_unlock();
}

/**
 * rcu_read_enter() - private: enter a read-side section for an inline
 * fast path, unless the thread is already inside one.
 *
 * A caller that holds a section across many accesses (a vCPU across a
 * translation block) pays one load and one branch per access instead of
 * an increment and a decrement of its nesting count, which would chain
 * every access to the previous one through that memory word. Under TSan
 * every access takes the section, so that each unlock's release still
 * pairs with the grace periods (see rcu_read_unlock()).
 * Context: a registered thread.
 * Return: the argument for rcu_read_exit().
 */
static inline bool rcu_read_enter(void)
{
#ifndef ADDRSPACE_TSAN
    if (__builtin_expect(urcu_memb_read_ongoing(), 0)) {
        return false;
    }
#endif
    rcu_read_lock();
    return true;
}

/**
 * rcu_read_exit() - private: leave what rcu_read_enter() entered.
 * @entered: its return value.
 */
static inline void rcu_read_exit(bool entered)
{
    if (entered) {
        rcu_read_unlock();
    }
}

#endif /* ADDRSPACE_STATIC_RCU_INLINE_H */
