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
 * RcuReadState - private: what rcu_read_enter() did, for rcu_read_exit():
 * 0 nothing (the thread was inside a section already), else a section was
 * entered, ordered by liburcu's sys_membarrier scheme (1) or by fences
 * (2): liburcu's flag is read once per section, not at every barrier.
 */
typedef unsigned RcuReadState;

/**
 * rcu_read_enter() - private: enter a read-side section for an inline
 * fast path, unless the thread is already inside one.
 *
 * A caller that holds a section across many accesses (a vCPU across a
 * translation block) pays one load and one branch per access instead of
 * an increment and a decrement of its nesting count, which would chain
 * every access to the previous one through that memory word. Outside one,
 * the section is liburcu memb's outermost read lock, in one pass: the
 * reader's word set from the grace-period counter, then the barrier the
 * membarrier flag calls for. Under TSan every access takes liburcu's
 * own section, so that each unlock's release still pairs with the grace
 * periods (see addrspace_rcu_read_unlock()).
 * Context: a registered thread.
 * Return: the argument for rcu_read_exit().
 */
static inline RcuReadState rcu_read_enter(void)
{
#ifdef ADDRSPACE_TSAN
    addrspace_rcu_read_lock();
    return 1;
#else
    struct urcu_reader *r = &URCU_TLS(urcu_memb_reader);

    if (__builtin_expect(r->ctr & URCU_GP_CTR_NEST_MASK, 0)) {
        return 0;
    }
    if (__builtin_expect(!r->registered, 0)) {
        addrspace_rcu_read_lock_unregistered();
    }
    cmm_barrier();
    _CMM_STORE_SHARED(r->ctr, _CMM_LOAD_SHARED(urcu_memb_gp.ctr));
    if (__builtin_expect(urcu_memb_has_sys_membarrier, 1)) {
        cmm_barrier();
        return 1;
    }
    cmm_smp_mb();
    return 2;
#endif
}

/**
 * rcu_read_exit() - private: leave what rcu_read_enter() entered
 * (liburcu memb's outermost read unlock, with the barriers @state says).
 * @state: its return value.
 */
static inline void rcu_read_exit(RcuReadState state)
{
#ifdef ADDRSPACE_TSAN
    if (state) {
        addrspace_rcu_read_unlock();
    }
#else
    struct urcu_reader *r;

    if (!state) {
        return;
    }
    r = &URCU_TLS(urcu_memb_reader);
    if (__builtin_expect(state == 1, 1)) {
        cmm_barrier();
        _CMM_STORE_SHARED(r->ctr, r->ctr - URCU_GP_COUNT);
        cmm_barrier();
    } else {
        cmm_smp_mb();
        _CMM_STORE_SHARED(r->ctr, r->ctr - URCU_GP_COUNT);
        cmm_smp_mb();
    }
    urcu_common_wake_up_gp(&urcu_memb_gp);
    cmm_barrier();
#endif
}

#endif /* ADDRSPACE_STATIC_RCU_INLINE_H */
