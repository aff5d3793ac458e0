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

#ifdef CONFIG_RCU_TLS
/*
 * liburcu's reader word, declared again with the initial-exec model, which
 * the library already requires for addrspace_rcu_reader_slow: position-
 * independent code (libaddrspace.so itself, a plugin) then reaches it with
 * one %fs-relative load instead of a __tls_get_addr() call per use.
 * liburcu is loaded with the library, so its TLS block is static.
 */
extern DECLARE_URCU_TLS(struct urcu_reader, urcu_memb_reader)
    __attribute__((tls_model("initial-exec")));
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
 * 0, a section entered by liburcu's own read lock; any other value, one
 * more than what rcu_read_exit() stores in the thread's reader word: the
 * word as it was (inside a section already: the store changes nothing),
 * or the grace-period counter rcu_read_enter() stored (liburcu memb's
 * outermost lock, whose counter carries one nesting count, so the exit
 * stores it minus one: liburcu's outermost unlock).
 */
typedef unsigned long RcuReadState;

/**
 * addrspace_rcu_reader_slow - private: 0 while the calling thread may take
 * the inline read side: the library registered it with liburcu, and
 * liburcu orders its readers by sys_membarrier (its flag is final once a
 * thread is registered, so it is read once, at registration). 1 (every
 * thread's initial value) otherwise: then rcu_read_enter() outside a
 * section takes liburcu's own read lock, which checks everything each
 * time. Written only by its own thread (rcu/rcu.c).
 */
extern __thread unsigned int addrspace_rcu_reader_slow
    __attribute__((tls_model("initial-exec")));

/**
 * addrspace_rcu_read_enter_slow() - private: rcu_read_enter() outside a
 * section for a thread whose addrspace_rcu_reader_slow is set: registers
 * the thread that loaded the library (see
 * addrspace_rcu_read_lock_unregistered()), then liburcu's read lock.
 * Return: 0.
 */
RcuReadState addrspace_rcu_read_enter_slow(void);

/**
 * addrspace_rcu_read_exit_slow() - private: rcu_read_exit() of 0:
 * liburcu's read unlock.
 */
void addrspace_rcu_read_exit_slow(void);

/**
 * rcu_read_enter() - private: enter a read-side section for an inline
 * fast path, unless the thread is already inside one.
 *
 * A caller that holds a section across many accesses (a vCPU across a
 * translation block) pays no increment and decrement of its nesting count,
 * which would chain every access to the previous one through that memory
 * word. Outside one, for a thread the library registered on a host with
 * sys_membarrier, the section is liburcu memb's outermost read lock made
 * inline: the reader's word set from the grace-period counter, with
 * compiler barriers only (liburcu's smp_mb_slave() under sys_membarrier).
 * One test covers the nesting count and addrspace_rcu_reader_slow; the
 * exit is the same straight line for both inline cases (inside a section
 * it stores the word's own value: no change). Every other case takes
 * liburcu's own read lock out of line.
 * Under TSan every access takes liburcu's own section, so that each
 * unlock's release still pairs with the grace periods (see
 * addrspace_rcu_read_unlock()).
 * Context: a registered thread.
 * Return: the argument for rcu_read_exit().
 */
static inline RcuReadState rcu_read_enter(void)
{
#ifdef ADDRSPACE_TSAN
    addrspace_rcu_read_lock();
    return 0;
#else
    struct urcu_reader *r = &URCU_TLS(urcu_memb_reader);
    unsigned long c = _CMM_LOAD_SHARED(r->ctr);

    /* one test: outside a section, and the inline lock allowed */
    if (__builtin_expect(((unsigned int)(c & URCU_GP_CTR_NEST_MASK) |
                          addrspace_rcu_reader_slow) == 0,
                         1)) {
        /* not 0: the counter carries URCU_GP_COUNT */
        unsigned long g = _CMM_LOAD_SHARED(urcu_memb_gp.ctr);

        cmm_barrier();
        _CMM_STORE_SHARED(r->ctr, g);
        cmm_barrier();
        return g;
    }
    if (c & URCU_GP_CTR_NEST_MASK) {
        return c + 1; /* the exit stores the word unchanged */
    }
    return addrspace_rcu_read_enter_slow();
#endif
}

/**
 * rcu_read_exit() - private: leave what rcu_read_enter() entered.
 * @state: its return value.
 *
 * For an inline entry, the reader's word set to @state minus one: liburcu
 * memb's outermost read unlock computed without loading the word again
 * (or the word unchanged inside a section), then, after an outermost
 * unlock, the grace-period waiter woken if it sleeps.
 */
static inline void rcu_read_exit(RcuReadState state)
{
#ifdef ADDRSPACE_TSAN
    (void)state;
    addrspace_rcu_read_unlock();
#else
    if (__builtin_expect(state == 0, 0)) {
        addrspace_rcu_read_exit_slow();
        return;
    }
    cmm_barrier();
    _CMM_STORE_SHARED(URCU_TLS(urcu_memb_reader).ctr, state - 1);
    cmm_barrier();
    if (__builtin_expect(uatomic_read(&urcu_memb_gp.futex) == -1, 0) &&
        ((state - 1) & URCU_GP_CTR_NEST_MASK) == 0) {
        urcu_common_wake_up_gp(&urcu_memb_gp);
    }
#endif
}

#endif /* ADDRSPACE_STATIC_RCU_INLINE_H */
