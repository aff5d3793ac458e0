/* SPDX-License-Identifier: MIT */
/**
 * @file rcu.h
 * @brief Read-copy-update with QEMU's names, on liburcu's memb flavour.
 *
 * Rules for threads:
 * - Every thread that calls rcu_read_lock() (directly or through any
 *   address_space_*() access) must be registered with rcu_register_thread()
 *   first and unregistered with rcu_unregister_thread() before it exits.
 *   The thread that loads the library (normally the main thread) counts
 *   as registered by a constructor; liburcu learns of it at its first
 *   read-side section, so a program that registers it with liburcu's own
 *   call must do so before that. A debug build (NDEBUG not defined) aborts
 *   with a clear message when an unregistered thread enters a read-side
 *   section; a release build would silently lose the protection.
 * - Read-side sections nest, never block on a writer and never allocate.
 * - synchronize_rcu() and drain_call_rcu() must not be called inside a
 *   read-side section (that would wait for itself); a debug build aborts
 *   with a message. They must not be called while holding the memory
 *   update lock either (memory.h says which calls take it), and
 *   synchronize_rcu() not while holding the big lock (bql.h), which a
 *   reader may be waiting for; drain_call_rcu() releases the big lock
 *   while it waits, as QEMU's does.
 * - call_rcu() callbacks run on the library's reclamation thread, with no
 *   lock held, after a grace period; they may take locks and enter
 *   read-side sections. A drain_call_rcu_inline() (an extension) may run
 *   them on its own thread instead, one at a time and in queue order all
 *   the same.
 * - Process exit: an exit handler, registered with atexit() when the first
 *   callback is queued (so it runs before the handlers a program registers
 *   at start-up, which exit() runs later), waits until every pending
 *   callback, and every callback those queue, has run, then stops the
 *   reclamation thread: no callback starts after it, so none runs while
 *   the rest of the exit tears the program down. It does not wait when the
 *   exiting thread is inside a read-side section, holds the memory update
 *   lock or is the reclamation thread, and gives up, with a line on
 *   stderr, when no callback completes for 1 s (a thread stuck in a
 *   read-side section, a blocked callback) or after 10 s in all; callbacks
 *   still pending then, or queued later, never run. State that callbacks
 *   use and that an exit handler registered after the first call_rcu()
 *   frees must be drained first (drain_call_rcu()). QEMU 7.2 has no such
 *   handler: its thread goes on running callbacks during exit.
 * - fork(): as in QEMU 7.2, the child gets a reclamation thread of its own
 *   (started when it first queues or drains callbacks, or at its exit if
 *   callbacks are pending) and runs the callbacks the parent had queued,
 *   each once, on its own copy of the objects. Only the forking thread
 *   exists in the child: the other threads' registrations are dropped, so
 *   the child's grace periods never wait for them, and its new threads may
 *   register. The library's fork handlers wait for the reclamation thread
 *   to finish the callback it is running (unless the forking thread is
 *   inside a read-side section, holds the memory update lock or is the
 *   reclamation thread; or no callback completes for 1 s: the callbacks
 *   that thread had taken then never run in the child), for a grace period
 *   in progress, and for the big lock and the memory update lock. So
 *   fork() must not be called inside a read-side section while another
 *   thread may be waiting for a grace period (the child's grace periods
 *   may then never end; a line on stderr says so), nor while holding a
 *   lock that a callback in progress or a thread holding the big lock
 *   waits for. Threads that the program registered with liburcu's own
 *   call stay in liburcu's registry: liburcu's fork rules apply to them.
 * - Backpressure, an opt-in (off by default, as QEMU 7.2 has no bound;
 *   addrspace_rcu_set_reclaim_limit()): when more than the limit's
 *   callbacks (10000 suggested) are pending, a thread
 *   that ends a change of the memory tree (releases the memory update lock
 *   for the last time) waits until the oldest of them, down to half that
 *   number, have run; callbacks keep their order. It never waits inside a
 *   read-side section, with the update lock or the big lock held (a
 *   thread that held the big lock before the change) or on the
 *   reclamation thread; it gives up when no callback completes for 1 s
 *   (a callback waiting for a lock the thread holds) and then does not
 *   wait again until one does. Measured without it: two threads creating
 *   and destroying AddressSpaces had 313000 callbacks pending and 472 MiB
 *   of RSS after 16 s, growing without end; with a limit of 10000, 10002
 *   and 23 MiB. call_rcu() itself never waits.
 *
 * Publication and dereference are C11-style atomics (release store /
 * consume load) rather than liburcu's inline assembly, so ThreadSanitizer
 * sees them; on x86 and arm64 they compile to the same instructions.
 *
 * Names, and programs that use liburcu too. The library's functions
 * carry the prefix addrspace_ (addrspace_rcu_read_lock(),
 * addrspace_call_rcu(), ...); QEMU's names (rcu_read_lock(), call_rcu(),
 * synchronize_rcu(), g_free_rcu(), RCU_READ_LOCK_GUARD(), ...) are macros
 * for them. The header includes liburcu's memb flavour with its name map,
 * exactly as <urcu.h> does, so <urcu.h> may be included before or after
 * it and the program ends up with the same declarations either way, in
 * one RCU domain: a grace period of either side waits for the readers of
 * both. Where the two APIs share a name, the library's version is a
 * compatible superset of liburcu's: rcu_read_lock() and rcu_read_unlock()
 * (plus the debug registration check and the TSan annotation),
 * rcu_register_thread() (counted, and a no-op for a thread that liburcu
 * already has registered), rcu_unregister_thread(), synchronize_rcu(),
 * rcu_dereference(), rcu_assign_pointer(), rcu_set_pointer(),
 * rcu_xchg_pointer(), rcu_cmpxchg_pointer(); call_rcu() takes either
 * QEMU's three arguments (object, function, member) or liburcu's two
 * (struct rcu_head, function; run by liburcu's call_rcu thread and waited
 * for by liburcu's rcu_barrier()). liburcu's other names (rcu_barrier(),
 * rcu_read_ongoing(), defer_rcu(), rcu_flavor, ...) are liburcu's.
 * Defining ADDRSPACE_RCU_NO_QEMU_NAMES before the first include leaves
 * every short name as liburcu defines it (rcu_read_lock() is then
 * liburcu's, call_rcu() takes two arguments) and the library's functions
 * under their addrspace_ names only.
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
 * liburcu's memb flavour with its short-name map, as <urcu.h> includes it
 * (a later <urcu.h> then adds nothing), and its static read side, which
 * rcu-inline.h calls directly: inlined, except under TSan, where the
 * inline code's benign race on the grace-period futex would be reported
 * in our frames; the out-of-line version is invisible to TSan.
 */
#ifndef URCU_API_MAP
#define URCU_API_MAP
#endif
#include <urcu/urcu-memb.h>
#include <urcu/static/urcu-memb.h>

ADDRSPACE_BEGIN_DECLS

/** Signature of a call_rcu() callback, as liburcu's struct rcu_head has it. */
typedef void AddrspaceRCUCBFunc(struct rcu_head *head);

#include <addrspace/static/rcu-inline.h>

/**
 * addrspace_rcu_register_thread() - Register the calling thread as an RCU
 * reader (QEMU name: rcu_register_thread()).
 *
 * Nested calls are counted. A thread that liburcu already has registered
 * (urcu_memb_register_thread()) is left as it is: the library then never
 * unregisters it. The thread that loads the library counts as registered
 * from the start; the library registers it with liburcu at its first
 * read-side section, unless the program did so with liburcu's own call
 * before (liburcu refuses a second registration). The typed accesses of
 * the inline paths enter their own read-side section inline only on a
 * thread that the library registered with liburcu, on a host where
 * liburcu orders readers by sys_membarrier; on any other thread they take
 * liburcu's read lock out of line (same semantics, a call more). A thread
 * that the library registered with liburcu must leave through
 * addrspace_rcu_unregister_thread(), never liburcu's own call.
 * Context: any thread, outside a read-side section.
 */
void addrspace_rcu_register_thread(void);

/**
 * addrspace_rcu_unregister_thread() - Undo one
 * addrspace_rcu_register_thread() (QEMU name: rcu_unregister_thread()).
 *
 * The thread stops being a reader when the count drops to zero, unless
 * liburcu had it registered before the first call; it must not be inside
 * a read-side section then.
 * Context: the registered thread.
 */
void addrspace_rcu_unregister_thread(void);

/**
 * addrspace_rcu_thread_is_registered() - Whether the calling thread is
 * registered with the RCU domain, by this library or by liburcu directly
 * (QEMU-style name: rcu_thread_is_registered()).
 *
 * Return: true when rcu_read_lock() may be used on this thread.
 */
bool addrspace_rcu_thread_is_registered(void);

/**
 * addrspace_synchronize_rcu() - Wait for a grace period (QEMU name:
 * synchronize_rcu()).
 *
 * Returns after every read-side section that was running when it was
 * called has ended, those of liburcu's own rcu_read_lock() included.
 * Under ThreadSanitizer it also establishes happens-before from those
 * sections' ends to the caller.
 * Context: a registered or unregistered thread, outside any read-side
 * section and without the memory update lock.
 */
void addrspace_synchronize_rcu(void);

/**
 * addrspace_call_rcu1() - Run @func(@head) after a grace period (untyped
 * form; QEMU name: call_rcu1()).
 * @head: the rcu_head embedded in the object to reclaim; the caller gives
 *        up the object, which must stay allocated until @func runs.
 * @func: callback, run on the library's reclamation thread (or by an
 *        addrspace_drain_call_rcu_inline() on its caller's) with no lock
 *        held.
 *
 * Never blocks. Allocates only when called by a callback (on the
 * reclamation thread), to note which callback queued it (drain_call_rcu()
 * waits for it too). Callbacks are batched as QEMU 7.2 batches them: the
 * thread starts a grace period once 30 are pending, or after up to 50 ms,
 * or at once while a drain, the exit handler or a throttled thread waits
 * (a thread wake-up only for the first callback after the thread went
 * idle, the 30th, or a waiter's).
 * Prefer the typed addrspace_call_rcu().
 * Context: any thread, also inside a read-side section.
 */
void addrspace_call_rcu1(struct rcu_head *head, AddrspaceRCUCBFunc *func);

/**
 * addrspace_drain_call_rcu() - Wait until every callback queued so far with
 * addrspace_call_rcu1(), addrspace_call_rcu() or addrspace_g_free_rcu() has
 * run (QEMU name: drain_call_rcu()).
 *
 * It also waits for every callback those callbacks queue, at any depth:
 * one call is enough for what the library queues on behalf of earlier
 * work. A FlatView's reclamation that drops an owner's last reference
 * queues the owner's release, whose memory_region_finalize() calls may
 * queue more; all of it has run when this returns, so device memory may be
 * freed then. Callbacks queued later by other threads, and what those
 * queue, are not waited for. A callback that queues callbacks without end
 * makes it wait without end. Unlike QEMU 7.2, whose drain_call_rcu() waits
 * only for the callbacks queued before it (call it again for theirs).
 * Releases the big lock while it waits, as QEMU's does. Returns at once
 * after the exit handler has stopped the reclamation thread. liburcu's
 * rcu_barrier() is the same for liburcu's two-argument call_rcu().
 * Context: outside any read-side section and without the memory update
 * lock (the callbacks may need it); not from a callback.
 */
void addrspace_drain_call_rcu(void);

/**
 * addrspace_drain_call_rcu_inline() - addrspace_drain_call_rcu() that may
 * run the callbacks on the calling thread (an extension; QEMU 7.2 runs
 * them on its call_rcu thread only).
 *
 * Waits for the same callbacks as addrspace_drain_call_rcu(). When the
 * reclamation thread runs no batch and no other thread waits for the
 * queue, the caller takes the whole queue (callbacks other threads queued
 * before it included), waits for a grace period and runs it, then what
 * those callbacks queue, after another grace period, until none is left:
 * the drain costs the grace periods and the callbacks, and no thread
 * wake-up (the reclamation thread's, then the caller's), which suits a
 * drain per fuzzing input or per device unplug. The reclamation thread
 * takes no batch meanwhile, so callbacks still run one at a time and in
 * queue order; callbacks other threads queue meanwhile run after it
 * returns, on the reclamation thread. Otherwise (a batch running, a
 * drain or the exit handler waiting, a fork() in preparation, which also
 * interrupts it between two callbacks) it waits for the reclamation
 * thread as addrspace_drain_call_rcu() does.
 * The callbacks it runs see the calling thread: the big lock released
 * (as the drain releases it), no read-side section, no update lock; they
 * may queue callbacks but not drain.
 * Context: as addrspace_drain_call_rcu(). A caller holding the memory
 * update lock waits for the thread instead.
 */
void addrspace_drain_call_rcu_inline(void);

/**
 * addrspace_rcu_set_reclaim_limit() - Set the backpressure limit: with more
 * than @max callbacks pending, a thread that ends a change of the memory
 * tree waits until the oldest of them, down to @max / 2, have run (the
 * rules above): the opt-in "reclaim-backpressure". The default is 0, no
 * limit (QEMU 7.2's behaviour: the queue grows without bound while
 * producers outrun the reclamation thread); 10000 bounds a program that
 * creates and destroys AddressSpaces in a loop to ~23 MiB.
 * @max: callbacks pending; 0 turns backpressure off.
 *
 * Takes effect for the next change that ends; never blocks.
 * Context: any thread.
 * Return: the limit before the call.
 */
uint64_t addrspace_rcu_set_reclaim_limit(uint64_t max);

#ifdef __cplusplus
#define ADDRSPACE_STATIC_ASSERT_(cond, msg) static_assert(cond, msg)
#else
#define ADDRSPACE_STATIC_ASSERT_(cond, msg) _Static_assert(cond, msg)
#endif

/**
 * addrspace_call_rcu() - Run @fn(@obj) after a grace period (QEMU name:
 * call_rcu() with three arguments).
 * @obj: pointer to the object to reclaim.
 * @fn: function taking a pointer of @obj's type.
 * @field: name of the struct rcu_head member of *@obj; it must be the first
 *         member (offset 0), checked at compile time, as in QEMU.
 *
 * Context: any thread, also inside a read-side section.
 */
#define addrspace_call_rcu(obj, fn, field)                                  \
    __extension__({                                                         \
        ADDRSPACE_STATIC_ASSERT_(                                           \
            __builtin_offsetof(__typeof__(*(obj)), field) == 0,             \
            "call_rcu: the rcu_head must be the first member");             \
        addrspace_call_rcu1(&(obj)->field, (AddrspaceRCUCBFunc *)(void (*)( \
                                               __typeof__(obj)))(fn));      \
    })

/** addrspace_g_free_rcu() encodes the rcu_head's offset as a "function"
 * below this. */
#define ADDRSPACE_RCU_FREE_OFFSET_LIMIT 4096

/**
 * addrspace_g_free_rcu() - g_free(@obj) after a grace period (QEMU name:
 * g_free_rcu()).
 * @obj: pointer to a g_malloc'ed object containing a struct rcu_head.
 * @field: name of that struct rcu_head member (any offset below 4096).
 *
 * Context: any thread, also inside a read-side section.
 */
#define addrspace_g_free_rcu(obj, field)                          \
    __extension__({                                               \
        ADDRSPACE_STATIC_ASSERT_(                                 \
            __builtin_offsetof(__typeof__(*(obj)), field) <       \
                ADDRSPACE_RCU_FREE_OFFSET_LIMIT,                  \
            "g_free_rcu: rcu_head too far into the object");      \
        addrspace_call_rcu1(                                      \
            &(obj)->field,                                        \
            (AddrspaceRCUCBFunc *)(uintptr_t) __builtin_offsetof( \
                __typeof__(*(obj)), field));                      \
    })

/**
 * addrspace_rcu_read_auto_unlock() - private: the cleanup of the guards'
 * variables.
 * @guard: the variable.
 */
static inline void addrspace_rcu_read_auto_unlock(int *guard)
{
    (void)guard;
    addrspace_rcu_read_unlock();
}

#define ADDRSPACE_CAT_(a, b) a##b
/**
 * ADDRSPACE_CAT() - private: pastes @a and @b together after expanding
 * them (unique guard names).
 * @a: first part.
 * @b: second part.
 */
#define ADDRSPACE_CAT(a, b) ADDRSPACE_CAT_(a, b)

/**
 * ADDRSPACE_RCU_READ_LOCK_GUARD() - Hold a read-side section until the end
 * of the enclosing block (QEMU name: RCU_READ_LOCK_GUARD()).
 */
#define ADDRSPACE_RCU_READ_LOCK_GUARD()                                    \
    int ADDRSPACE_CAT(rcu_guard_, __COUNTER__)                             \
        __attribute__((cleanup(addrspace_rcu_read_auto_unlock), unused)) = \
            (addrspace_rcu_read_lock(), 0)

#define ADDRSPACE_WITH_RCU_READ_LOCK_GUARD_(var)                            \
    for (int var __attribute__((cleanup(addrspace_rcu_read_auto_unlock))) = \
             (addrspace_rcu_read_lock(), 1);                                \
         var; var = 0)

/**
 * ADDRSPACE_WITH_RCU_READ_LOCK_GUARD() - Run the following statement or
 * block inside a read-side section; `break` and `return` leave it correctly
 * (QEMU name: WITH_RCU_READ_LOCK_GUARD()).
 */
#define ADDRSPACE_WITH_RCU_READ_LOCK_GUARD() \
    ADDRSPACE_WITH_RCU_READ_LOCK_GUARD_(     \
        ADDRSPACE_CAT(rcu_with_guard_, __COUNTER__))

#ifndef ADDRSPACE_RCU_NO_QEMU_NAMES

/*
 * The short names. Those that liburcu's map defines too are replaced by
 * the library's compatible versions (see the top of this file).
 */
#undef rcu_read_lock
#undef rcu_read_unlock
#undef rcu_register_thread
#undef rcu_unregister_thread
#undef synchronize_rcu
#undef call_rcu
/* liburcu's pointer macros are inline asm TSan cannot see */
#undef rcu_dereference
#undef rcu_assign_pointer
#undef rcu_set_pointer
#undef rcu_xchg_pointer
#undef rcu_cmpxchg_pointer

/** rcu_read_lock() - QEMU's name of addrspace_rcu_read_lock(). */
#define rcu_read_lock addrspace_rcu_read_lock
/** rcu_read_unlock() - QEMU's name of addrspace_rcu_read_unlock(). */
#define rcu_read_unlock addrspace_rcu_read_unlock
/** rcu_register_thread() - QEMU's name of addrspace_rcu_register_thread(). */
#define rcu_register_thread addrspace_rcu_register_thread
/**
 * rcu_unregister_thread() - QEMU's name of
 * addrspace_rcu_unregister_thread().
 */
#define rcu_unregister_thread addrspace_rcu_unregister_thread
/**
 * rcu_thread_is_registered() - Short name of
 * addrspace_rcu_thread_is_registered().
 */
#define rcu_thread_is_registered addrspace_rcu_thread_is_registered
/** synchronize_rcu() - QEMU's name of addrspace_synchronize_rcu(). */
#define synchronize_rcu addrspace_synchronize_rcu
/** call_rcu1() - QEMU's name of addrspace_call_rcu1(). */
#define call_rcu1 addrspace_call_rcu1
/** drain_call_rcu() - QEMU's name of addrspace_drain_call_rcu(). */
#define drain_call_rcu addrspace_drain_call_rcu
/**
 * drain_call_rcu_inline() - Short name of addrspace_drain_call_rcu_inline().
 */
#define drain_call_rcu_inline addrspace_drain_call_rcu_inline
/** RCUCBFunc - QEMU's name of AddrspaceRCUCBFunc. */
typedef AddrspaceRCUCBFunc RCUCBFunc;
/** RCU_FREE_OFFSET_LIMIT - Short name of ADDRSPACE_RCU_FREE_OFFSET_LIMIT. */
#define RCU_FREE_OFFSET_LIMIT ADDRSPACE_RCU_FREE_OFFSET_LIMIT

#define ADDRSPACE_CALL_RCU_PICK_(a1, a2, a3, name, ...) name
/**
 * call_rcu() - Run a callback after a grace period: QEMU's form
 * call_rcu(obj, fn, field) is addrspace_call_rcu(); liburcu's form
 * call_rcu(head, func) is liburcu's urcu_memb_call_rcu().
 * @obj: the object (QEMU's form) or its struct rcu_head (liburcu's form).
 * @...: @fn and @field (QEMU's form), or the callback (liburcu's form).
 *
 * The two forms use different reclamation threads: drain_call_rcu() waits
 * for QEMU-form callbacks, liburcu's rcu_barrier() for liburcu-form ones.
 */
#define call_rcu(obj, ...)                                              \
    ADDRSPACE_CALL_RCU_PICK_(obj, __VA_ARGS__, addrspace_call_rcu,      \
                             urcu_memb_call_rcu, call_rcu_wrong_arity_) \
    (obj, __VA_ARGS__)
/** g_free_rcu() - QEMU's name of addrspace_g_free_rcu(). */
#define g_free_rcu addrspace_g_free_rcu
/** RCU_READ_LOCK_GUARD() - QEMU's name of ADDRSPACE_RCU_READ_LOCK_GUARD(). */
#define RCU_READ_LOCK_GUARD ADDRSPACE_RCU_READ_LOCK_GUARD
/**
 * WITH_RCU_READ_LOCK_GUARD() - QEMU's name of
 * ADDRSPACE_WITH_RCU_READ_LOCK_GUARD().
 */
#define WITH_RCU_READ_LOCK_GUARD ADDRSPACE_WITH_RCU_READ_LOCK_GUARD

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
 * rcu_set_pointer() - liburcu's form of rcu_assign_pointer().
 * @pp: address of the pointer variable.
 * @v: the new value.
 */
#define rcu_set_pointer(pp, v) __atomic_store_n((pp), (v), __ATOMIC_RELEASE)

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
 * rcu_cmpxchg_pointer() - Publish @v if *@pp still holds @old.
 * @pp: address of the pointer variable.
 * @old: the expected value.
 * @v: the new value.
 *
 * A full barrier, as liburcu's. Context: writers.
 * Return: the value *@pp held (equal to @old when @v was stored).
 */
#define rcu_cmpxchg_pointer(pp, old, v)                                    \
    __extension__({                                                        \
        __typeof__(*(pp)) addrspace_cmpxchg_old_ = (old);                  \
        __atomic_compare_exchange_n((pp), &addrspace_cmpxchg_old_, (v), 0, \
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);   \
        addrspace_cmpxchg_old_;                                            \
    })

#endif /* !ADDRSPACE_RCU_NO_QEMU_NAMES */

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_RCU_H */
