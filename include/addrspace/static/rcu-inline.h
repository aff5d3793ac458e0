/* SPDX-License-Identifier: MIT */
/**
 * @file rcu-inline.h
 * @brief Read-side fast path of the RCU layer: addrspace_rcu_read_lock()
 * and addrspace_rcu_read_unlock().
 *
 * NOT ABI: included by <addrspace/rcu.h> only; the contents may change in
 * any release.
 *
 * Pairs: the TSan release in addrspace_rcu_read_unlock() pairs with the TSan acquire
 * that rcu/rcu.c performs after each grace period, so TSan sees every
 * access made inside a read-side section happen before the reclamation
 * that the grace period allows.
 */
#ifndef ADDRSPACE_STATIC_RCU_INLINE_H
#define ADDRSPACE_STATIC_RCU_INLINE_H

#ifndef ADDRSPACE_RCU_H
#error "include <addrspace/rcu.h>, not this file"
#endif

/**
 * addrspace_rcu_read_lock_unregistered() - private: the first read-side
 * section of a thread liburcu does not know: registers the thread that
 * loaded the library, and reports any other (a debug build aborts).
 */
void addrspace_rcu_read_lock_unregistered(void) __attribute__((cold));

#ifdef ADDRSPACE_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
/** private: the one sync object between read-side ends and grace periods. */
extern char addrspace_rcu_tsan_sync_object;
#endif

/**
 * addrspace_rcu_read_lock() - Enter a read-side section (nestable; QEMU
 * name: rcu_read_lock()).
 *
 * Objects reached through rcu_dereference() stay valid until the matching
 * addrspace_rcu_read_unlock(). Never blocks, never allocates. The section
 * is one of liburcu's memb flavour: liburcu's synchronize_rcu() waits for
 * it as the library's does.
 * Context: a registered thread (see rcu.h); liburcu's registration counts.
 */
static inline void addrspace_rcu_read_lock(void)
{
    /*
     * liburcu's own flag, so that threads it registered pass too. The
     * thread that loaded the library is registered with liburcu here, at
     * its first section, unless the program registered it by then.
     */
    if (__builtin_expect(!URCU_TLS(urcu_memb_reader).registered, 0)) {
        addrspace_rcu_read_lock_unregistered();
    }
#ifdef ADDRSPACE_TSAN
    urcu_memb_read_lock();
#else
    _urcu_memb_read_lock();
#endif
}

/**
 * addrspace_rcu_read_unlock() - Leave a read-side section (QEMU name:
 * rcu_read_unlock()).
 *
 * Context: the thread that called the matching addrspace_rcu_read_lock().
 */
static inline void addrspace_rcu_read_unlock(void)
{
#ifdef ADDRSPACE_TSAN
    __tsan_release(&addrspace_rcu_tsan_sync_object);
    urcu_memb_read_unlock();
#else
    _urcu_memb_read_unlock();
#endif
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
 * pairs with the grace periods (see addrspace_rcu_read_unlock()).
 * Context: a registered thread.
 * Return: the argument for rcu_read_exit().
 */
static inline bool rcu_read_enter(void)
{
#ifndef ADDRSPACE_TSAN
    if (__builtin_expect(_urcu_memb_read_ongoing(), 0)) {
        return false;
    }
#endif
    addrspace_rcu_read_lock();
    return true;
}

/**
 * rcu_read_exit() - private: leave what rcu_read_enter() entered.
 * @entered: its return value.
 */
static inline void rcu_read_exit(bool entered)
{
    if (entered) {
        addrspace_rcu_read_unlock();
    }
}

#endif /* ADDRSPACE_STATIC_RCU_INLINE_H */
