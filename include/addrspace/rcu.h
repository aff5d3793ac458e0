/* SPDX-License-Identifier: MIT */
/**
 * @file rcu.h
 * @brief Read-copy-update with QEMU's names, on liburcu's memb flavour.
 *
 * Rules for threads:
 * - Every thread that calls rcu_read_lock() (directly or through any
 *   address_space_*() access) must be registered with rcu_register_thread()
 *   first and unregistered with rcu_unregister_thread() before it exits.
 *   The thread that loads the library (normally the main thread) is
 *   registered by a constructor. A debug build (NDEBUG not defined) aborts
 *   with a clear message when an unregistered thread enters a read-side
 *   section; a release build would silently lose the protection.
 * - Read-side sections nest, never block on a writer and never allocate.
 * - synchronize_rcu() and drain_call_rcu() must not be called inside a
 *   read-side section (that would wait for itself); a debug build aborts
 *   with a message. They must not be called while holding the memory
 *   update lock either (memory.h says which calls take it).
 * - call_rcu() callbacks run on the library's reclamation thread, with no
 *   lock held, after a grace period; they may take locks and enter
 *   read-side sections.
 *
 * Publication and dereference are C11-style atomics (release store /
 * consume load) rather than liburcu's inline assembly, so ThreadSanitizer
 * sees them; on x86 and arm64 they compile to the same instructions.
 */
#ifndef ADDRSPACE_RCU_H
#define ADDRSPACE_RCU_H

#include <addrspace/types.h>

#if defined(__SANITIZE_THREAD__)
#define ADDRSPACE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ADDRSPACE_TSAN 1
#endif
#endif

/*
 * liburcu's read side is inlined (_LGPL_SOURCE), except under TSan, where
 * the inline code's benign race on the grace-period futex would be
 * reported in our frames; the out-of-line version is invisible to TSan.
 */
#if !defined(ADDRSPACE_TSAN) && !defined(_LGPL_SOURCE)
#define _LGPL_SOURCE                   1
#define ADDRSPACE_DEFINED_LGPL_SOURCE_ 1
#endif
#include <urcu/urcu-memb.h>
#ifdef ADDRSPACE_DEFINED_LGPL_SOURCE_
#undef _LGPL_SOURCE
#undef ADDRSPACE_DEFINED_LGPL_SOURCE_
#endif

/* liburcu's pointer macros use inline asm TSan cannot see; ours replace them */
#undef rcu_dereference
#undef rcu_assign_pointer
#undef rcu_xchg_pointer
#undef rcu_set_pointer
#undef rcu_cmpxchg_pointer

/** Signature of a call_rcu() callback, as liburcu's struct rcu_head has it. */
typedef void RCUCBFunc(struct rcu_head *head);

#include <addrspace/static/rcu-inline.h>

/**
 * rcu_dereference() - Load an RCU-protected pointer.
 * @p: the pointer variable (an lvalue), published with rcu_assign_pointer().
 *
 * Context: inside a read-side section, or with the update lock that
 * serialises writers of @p.
 * Return: the pointer value; what it points to stays valid until the
 * enclosing read-side section ends.
 */
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_CONSUME)

/**
 * rcu_assign_pointer() - Publish a pointer to an initialised object.
 * @p: the pointer variable (an lvalue).
 * @v: the new value; every store that initialised *@v happens before it.
 *
 * Context: writers, serialised by the caller.
 */
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

/**
 * rcu_xchg_pointer() - Publish a pointer and return the previous value.
 * @pp: address of the pointer variable.
 * @v: the new value.
 *
 * A full barrier (sequentially consistent exchange). Context: writers.
 * Return: the old value, to be retired with call_rcu().
 */
#define rcu_xchg_pointer(pp, v) __atomic_exchange_n((pp), (v), __ATOMIC_SEQ_CST)

/**
 * rcu_register_thread() - Register the calling thread as an RCU reader.
 *
 * Idempotent (nested calls are counted). The library's constructor
 * registers the thread that loads it.
 * Context: any thread, outside a read-side section.
 */
void rcu_register_thread(void);

/**
 * rcu_unregister_thread() - Undo one rcu_register_thread().
 *
 * The thread stops being a reader when the count drops to zero; it must
 * not be inside a read-side section then.
 * Context: the registered thread.
 */
void rcu_unregister_thread(void);

/**
 * rcu_thread_is_registered() - Whether the calling thread is registered.
 *
 * Return: true when rcu_read_lock() may be used on this thread.
 */
bool rcu_thread_is_registered(void);

/**
 * synchronize_rcu() - Wait for a grace period.
 *
 * Returns after every read-side section that was running when it was
 * called has ended. Under ThreadSanitizer it also establishes
 * happens-before from those sections' ends to the caller.
 * Context: a registered or unregistered thread, outside any read-side
 * section and without the memory update lock.
 */
void synchronize_rcu(void);

/**
 * call_rcu1() - Run @func(@head) after a grace period (untyped form).
 * @head: the rcu_head embedded in the object to reclaim; the caller gives
 *        up the object, which must stay allocated until @func runs.
 * @func: callback, run on the reclamation thread with no lock held.
 *
 * Never blocks and never allocates. Prefer the typed call_rcu() macro.
 * Context: any thread, also inside a read-side section.
 */
void call_rcu1(struct rcu_head *head, RCUCBFunc *func);

/**
 * call_rcu() - Run @fn(@obj) after a grace period.
 * @obj: pointer to the object to reclaim.
 * @fn: function taking a pointer of @obj's type.
 * @field: name of the struct rcu_head member of *@obj; it must be the first
 *         member (offset 0), checked at compile time, as in QEMU.
 *
 * Context: any thread, also inside a read-side section.
 */
#define call_rcu(obj, fn, field)                                           \
    __extension__({                                                        \
        _Static_assert(__builtin_offsetof(__typeof__(*(obj)), field) == 0, \
                       "call_rcu: the rcu_head must be the first member"); \
        call_rcu1(&(obj)->field,                                           \
                  (RCUCBFunc *)(void (*)(__typeof__(obj)))(fn));           \
    })

/**
 * g_free_rcu() - g_free(@obj) after a grace period.
 * @obj: pointer to a g_malloc'ed object containing a struct rcu_head.
 * @field: name of that struct rcu_head member (any offset below 4096).
 *
 * Context: any thread, also inside a read-side section.
 */
#define g_free_rcu(obj, field)                                                \
    __extension__({                                                           \
        _Static_assert(__builtin_offsetof(__typeof__(*(obj)), field) <        \
                           RCU_FREE_OFFSET_LIMIT,                             \
                       "g_free_rcu: rcu_head too far into the object");       \
        call_rcu1(&(obj)->field, (RCUCBFunc *)(uintptr_t) __builtin_offsetof( \
                                     __typeof__(*(obj)), field));             \
    })

/** g_free_rcu() encodes the rcu_head's offset as a "function" below this. */
#define RCU_FREE_OFFSET_LIMIT 4096

/**
 * drain_call_rcu() - Wait until every callback queued so far has run.
 *
 * Callbacks that those callbacks queue in turn may still be pending: a
 * FlatView's reclamation that drops an owner's last reference queues the
 * owner's release then, so waiting for that release after an unplug takes
 * two calls (one per stage).
 *
 * Context: outside any read-side section and without the memory update
 * lock (the callbacks may need it).
 */
void drain_call_rcu(void);

/** Helper of RCU_READ_LOCK_GUARD(); not to be called directly. */
static inline void rcu_read_auto_unlock(int *guard)
{
    (void)guard;
    rcu_read_unlock();
}

#define ADDRSPACE_CAT_(a, b) a##b
/** Pastes @a and @b together after expanding them (unique guard names). */
#define ADDRSPACE_CAT(a, b) ADDRSPACE_CAT_(a, b)

/**
 * RCU_READ_LOCK_GUARD() - Hold a read-side section until the end of the
 * enclosing block.
 */
#define RCU_READ_LOCK_GUARD()                                    \
    int ADDRSPACE_CAT(rcu_guard_, __COUNTER__)                   \
        __attribute__((cleanup(rcu_read_auto_unlock), unused)) = \
            (rcu_read_lock(), 0)

#define WITH_RCU_READ_LOCK_GUARD_(var)                            \
    for (int var __attribute__((cleanup(rcu_read_auto_unlock))) = \
             (rcu_read_lock(), 1);                                \
         var; var = 0)

/**
 * WITH_RCU_READ_LOCK_GUARD() - Run the following statement or block inside
 * a read-side section; `break` and `return` leave it correctly.
 */
#define WITH_RCU_READ_LOCK_GUARD() \
    WITH_RCU_READ_LOCK_GUARD_(ADDRSPACE_CAT(rcu_with_guard_, __COUNTER__))

#endif /* ADDRSPACE_RCU_H */
