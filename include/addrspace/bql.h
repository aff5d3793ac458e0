/* SPDX-License-Identifier: MIT */
/**
 * @file bql.h
 * @brief The big lock (QEMU's "BQL", the iothread mutex): what device code
 * written for QEMU assumes around its callbacks.
 *
 * In QEMU 7.2 every MMIO access made through an AddressSpace takes the big
 * lock around the device callbacks unless the accessing thread holds it
 * already (physmem.c's prepare_mmio_access()), and timers run under it, so
 * a device model needs no lock of its own. addrspace does the same: the
 * dispatcher takes the big lock around the callbacks (valid.accepts, read,
 * write) of every region with ops, unless the thread already holds it or
 * memory_region_clear_global_locking() was called on the region. RAM, ROM
 * and romd reads never take it.
 *
 * The lock is not recursive, as in QEMU: a thread that may or may not
 * hold it checks bql_locked() first. QEMU aborts on a nested lock or an
 * unlock without the lock; here those are caller bugs reported with
 * g_critical(), and a nested bql_lock() is counted so that its matching
 * bql_unlock() does not release the outer hold.
 *
 * Lock order (a thread may take a later lock while holding an earlier one,
 * never the reverse):
 *
 * 1. the big lock;
 * 2. the update lock (every tree mutation, transactions, listener
 *    callbacks): a thread that takes it without holding the big lock takes
 *    the big lock first and keeps it until the outermost release, so
 *    topology changes always run under the big lock, as in QEMU;
 * 3. region locks (memory_region_set_lock()), taken by the dispatcher
 *    after the big lock where a region has both;
 * 4. locks private to devices and the library's leaf locks.
 *
 * So: an MMIO callback may access memory (DMA, also into other devices'
 * MMIO: the big lock is already held and is not taken again) and may
 * change the tree. A callback running under a region lock without the big
 * lock (a region with global locking cleared) must not take the big lock:
 * it must not change the tree or access regions that take the big lock.
 * A thread holding the big lock must not wait for another thread that may
 * need it (joins, condition variables) and must not call synchronize_rcu()
 * (a reader can be waiting for the big lock inside its read-side section);
 * drain_call_rcu() releases the big lock while it waits, as QEMU's does.
 */
#ifndef ADDRSPACE_BQL_H
#define ADDRSPACE_BQL_H

#include <stdbool.h>

#include <addrspace/types.h>

ADDRSPACE_BEGIN_DECLS

/**
 * bql_lock() - Take the big lock.
 *
 * Blocks until the lock is free. The calling thread must not hold it
 * already (check with bql_locked()); if it does, the nesting is reported
 * with g_critical() and counted.
 * Context: any thread; not inside a read-side section that another thread
 * holding the lock may wait for with synchronize_rcu().
 */
void bql_lock(void);

/**
 * bql_unlock() - Release the big lock taken by bql_lock().
 *
 * A thread that does not hold the lock gets a g_critical() and nothing
 * happens.
 * Context: the thread that took the lock.
 */
void bql_unlock(void);

/**
 * bql_locked() - Whether the calling thread holds the big lock.
 *
 * Context: any thread; a thread-local read.
 * Return: true if this thread holds it.
 */
bool bql_locked(void);

/**
 * qemu_mutex_lock_iothread() - QEMU 7.2's name for bql_lock().
 *
 * Device code written for QEMU 7.2 takes the big lock by this name (QEMU
 * 8.2 renamed it bql_lock()). Same rules as bql_lock().
 */
static inline void qemu_mutex_lock_iothread(void)
{
    bql_lock();
}

/**
 * qemu_mutex_unlock_iothread() - QEMU 7.2's name for bql_unlock().
 *
 * Same rules as bql_unlock().
 */
static inline void qemu_mutex_unlock_iothread(void)
{
    bql_unlock();
}

/**
 * qemu_mutex_iothread_locked() - QEMU 7.2's name for bql_locked().
 *
 * Return: true if the calling thread holds the big lock.
 */
static inline bool qemu_mutex_iothread_locked(void)
{
    return bql_locked();
}

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_BQL_H */
