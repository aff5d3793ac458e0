/* SPDX-License-Identifier: MIT */
/*
 * RCU layer: thread registration and grace periods on liburcu's memb
 * flavour, and fork(). The reclamation thread (call_rcu) is reclaim.c.
 *
 * fork(): liburcu's memb flavour supports it only when every other
 * thread has unregistered (its README): its registry lists every reader
 * thread, and the child would keep those of threads that no longer exist.
 * A grace period in the child then waits for a reader that was inside a
 * read-side section when the parent forked, forever; and a thread the
 * child creates may reuse a dead thread's stack, whose registry node is
 * still linked, and registering it corrupts the list (measured: the child
 * hangs in its first grace period). QEMU 7.2 resets its own registry in
 * a pthread_atfork() child handler; liburcu offers no such call, so rcu/
 * keeps the address of every registered thread's liburcu reader state
 * and, in the child, unlinks all of them but the forking thread's. That
 * is safe only when no thread is inside liburcu's registration or grace
 * period code, which moves nodes between lists: every such call goes
 * through gp_lock (read side), and the prepare handler takes it for
 * writing. struct urcu_reader and urcu_memb_reader are part of liburcu's
 * ABI (its inline read side uses them).
 */
#define _GNU_SOURCE /* a writer-preferring rwlock */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <urcu/list.h>

#include "rcu-internal.h"

/*
 * Registrations by addrspace_rcu_register_thread() on this thread, and
 * whether the library registered it with liburcu (false when liburcu had
 * it registered already: then it stays liburcu's to unregister).
 */
static __thread unsigned int registration_depth;
static __thread bool registered_by_us;
/*
 * The thread that loaded the library counts as registered from the start
 * (QEMU registers its main thread in a constructor): one registration
 * held in loading_registrations, which only that thread touches. It is
 * registered with liburcu at its first read-side section only, because a
 * program that uses liburcu itself registers its main thread with
 * liburcu's own call, which refuses a thread registered twice. Globals,
 * not thread-locals, that the constructor sets: a compiler may fold a
 * constructor's constant stores into the initial values, and a
 * thread-local's initial value is every new thread's.
 */
static pthread_t loading_thread;
static unsigned int loading_registrations;

#ifdef ADDRSPACE_TSAN
ADDRSPACE_EXPORT char addrspace_rcu_tsan_sync_object;
#endif

/* rcu-inline.h: 0 from liburcu_register() to liburcu_unregister() on a
 * host where liburcu uses sys_membarrier. */
ADDRSPACE_EXPORT __thread unsigned int addrspace_rcu_reader_slow = 1;

/* Held for reading around every liburcu call that takes its registry or
 * grace-period locks; for writing across fork(). Writers first, so that a
 * stream of grace periods cannot hold a fork off. */
static pthread_rwlock_t gp_lock =
    PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
/* The liburcu reader state of every thread the library registered with
 * liburcu, under readers_lock. A plain array: GLib's slice allocator keeps
 * per-thread caches, which a fork child would leak with their threads. */
static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct urcu_reader **readers;
static size_t readers_len, readers_size;
/* Set by the prepare handler of the forking thread: it holds gp_lock. */
static __thread bool fork_holds_gp_lock;
/* The layer above's fork handlers (rcu_set_fork_hooks()); NULL: none. */
static void (*hook_prepare)(void), (*hook_parent)(void), (*hook_child)(void);

void rcu_set_fork_hooks(void (*prepare)(void), void (*parent)(void),
                        void (*child)(void))
{
    hook_prepare = prepare;
    hook_parent = parent;
    hook_child = child;
}

/* Register the calling thread with liburcu and note its reader state. */
static void liburcu_register(void)
{
    pthread_rwlock_rdlock(&gp_lock);
    urcu_memb_register_thread();
    pthread_mutex_lock(&readers_lock);
    if (readers_len == readers_size) {
        readers_size = readers_size ? 2 * readers_size : 16;
        readers = g_renew(struct urcu_reader *, readers, readers_size);
    }
    readers[readers_len++] = &URCU_TLS(urcu_memb_reader);
    pthread_mutex_unlock(&readers_lock);
    pthread_rwlock_unlock(&gp_lock);
    /* liburcu settles its flag before the first registration returns; a
     * thread liburcu registered by its own call keeps the slow way, which
     * asks liburcu each time (its unregistration is not seen here) */
    addrspace_rcu_reader_slow = !urcu_memb_has_sys_membarrier;
}

static void liburcu_unregister(void)
{
    addrspace_rcu_reader_slow = 1;
    pthread_rwlock_rdlock(&gp_lock);
    pthread_mutex_lock(&readers_lock);
    for (size_t i = 0; i < readers_len; i++) {
        if (readers[i] == &URCU_TLS(urcu_memb_reader)) {
            readers[i] = readers[--readers_len];
            break;
        }
    }
    pthread_mutex_unlock(&readers_lock);
    urcu_memb_unregister_thread();
    pthread_rwlock_unlock(&gp_lock);
}

/* Whether liburcu has the calling thread in its registry. */
static bool liburcu_registered(void)
{
    return URCU_TLS(urcu_memb_reader).registered;
}

/* The constructor's registration of the calling thread, if it has one. */
static unsigned int *loading_registration(void)
{
    /* the thread first: only the loading thread reads the count */
    return pthread_equal(pthread_self(), loading_thread) &&
                   loading_registrations
               ? &loading_registrations
               : NULL;
}

ADDRSPACE_EXPORT void addrspace_rcu_read_lock_unregistered(void)
{
    if (loading_registration()) {
        registered_by_us = true;
        liburcu_register();
        return;
    }
#ifndef NDEBUG
    fprintf(stderr,
            "addrspace: rcu_read_lock() on a thread that is not registered; "
            "call rcu_register_thread() when the thread starts (see "
            "<addrspace/rcu.h>)\n");
    abort();
#endif
}

ADDRSPACE_EXPORT RcuReadState addrspace_rcu_read_enter_slow(void)
{
    addrspace_rcu_read_lock();
    return 0;
}

ADDRSPACE_EXPORT void addrspace_rcu_read_exit_slow(void)
{
    addrspace_rcu_read_unlock();
}

ADDRSPACE_EXPORT bool addrspace_rcu_thread_is_registered(void)
{
    return liburcu_registered() || loading_registration();
}

ADDRSPACE_EXPORT void addrspace_rcu_register_thread(void)
{
    if (registration_depth++ == 0 && !loading_registration()) {
        /* liburcu refuses a second registration of a thread */
        registered_by_us = !liburcu_registered();
        if (registered_by_us) {
            liburcu_register();
        }
    }
}

ADDRSPACE_EXPORT void addrspace_rcu_unregister_thread(void)
{
    unsigned int *loading = loading_registration();

    if (registration_depth) {
        registration_depth--;
    } else if (loading) {
        (*loading)--;
    } else {
        /* a caller bug, but no public function aborts on caller input */
        fprintf(stderr, "addrspace: rcu_unregister_thread() on a thread "
                        "that is not registered; ignored\n");
        return;
    }
    if (!registration_depth && !loading_registration() && registered_by_us) {
        registered_by_us = false;
        liburcu_unregister();
    }
}

bool rcu_thread_in_read_section(void)
{
    return liburcu_registered() && urcu_memb_read_ongoing();
}

void rcu_check_not_reading(const char *what)
{
#ifndef NDEBUG
    if (rcu_thread_in_read_section()) {
        fprintf(stderr,
                "addrspace: %s() inside a read-side section would wait "
                "for itself\n",
                what);
        abort();
    }
#else
    (void)what;
#endif
}

ADDRSPACE_EXPORT void addrspace_synchronize_rcu(void)
{
    rcu_check_not_reading("synchronize_rcu");
    pthread_rwlock_rdlock(&gp_lock);
    urcu_memb_synchronize_rcu();
    pthread_rwlock_unlock(&gp_lock);
    rcu_tsan_after_grace_period();
}

/*
 * Before fork(): park the reclamation thread, then keep every thread out
 * of liburcu's registration and grace periods, then hold the queue. A
 * thread inside a read-side section cannot wait for a grace period in
 * progress (it waits for that thread): it takes gp_lock only if it is
 * free, and the child is told when it was not.
 */
static void fork_prepare(void)
{
    rcu_reclaim_fork_prepare();
    bql_fork_prepare();
    if (hook_prepare) {
        hook_prepare();
    }
    if (rcu_thread_in_read_section()) {
        fork_holds_gp_lock = pthread_rwlock_trywrlock(&gp_lock) == 0;
    } else {
        pthread_rwlock_wrlock(&gp_lock);
        fork_holds_gp_lock = true;
    }
    pthread_mutex_lock(&readers_lock);
    rcu_reclaim_fork_lock();
}

static void fork_parent(void)
{
    rcu_reclaim_fork_parent();
    pthread_mutex_unlock(&readers_lock);
    if (fork_holds_gp_lock) {
        pthread_rwlock_unlock(&gp_lock);
    }
    if (hook_parent) {
        hook_parent();
    }
    bql_fork_parent();
}

/*
 * In the child, only the forking thread exists: it is the only reader. Its
 * locks are initialised afresh (glibc's rwlock checks the writer's thread
 * id, which the child's thread no longer has).
 */
static void fork_child(void)
{
    struct urcu_reader *self =
        registered_by_us ? &URCU_TLS(urcu_memb_reader) : NULL;

    for (size_t i = 0; i < readers_len; i++) {
        struct urcu_reader *reader = readers[i];

        if (reader != self) {
            cds_list_del(&reader->node);
            reader->registered = 0;
        }
    }
    readers_len = 0;
    if (self) {
        readers[readers_len++] = self; /* it was in the array */
    }
    pthread_mutex_init(&readers_lock, NULL);
    gp_lock =
        (pthread_rwlock_t)PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
    if (!fork_holds_gp_lock) {
        fprintf(stderr, "addrspace: fork() inside a read-side section while "
                        "another thread registered or waited for a grace "
                        "period: the child's grace periods may never end\n");
    }
    rcu_reclaim_fork_child();
    bql_fork_child();
    if (hook_child) {
        hook_child();
    }
}

/* QEMU registers its main thread in a constructor; so do we (lazily). */
__attribute__((constructor)) static void rcu_register_loading_thread(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    loading_thread = pthread_self();
    loading_registrations = 1;
}
