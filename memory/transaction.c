/* SPDX-License-Identifier: MIT */
/*
 * The update lock, transactions, and change tracking: which roots a commit
 * must re-render.
 *
 * Every mutation records the changed region. At the outermost commit the
 * set of changed regions is closed upwards (parents, and aliases that point
 * at a changed region, transitively); a FlatView must be re-rendered iff
 * its root is in that closure. The cost is proportional to the depth of the
 * changes, not to the size of the map or the number of AddressSpaces.
 * Where the changes fall, in address windows, is noted beside
 * (change-windows.c), so that a re-rendered view re-renders only them.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "memory-internal.h"
#include "../rcu/rcu-internal.h"

static pthread_mutex_t update_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static unsigned int transaction_depth;                 /* under update_lock */
static __thread unsigned int thread_transaction_depth; /* this thread's */
static bool commit_running;                            /* under update_lock */
static GPtrArray *changed_regions;                     /* under update_lock */
static uint64_t mark_epoch;                            /* under update_lock */
/* Who changed the tree during the running commit round (for the report of
 * MEMORY_TRANSACTION_MAX_ROUNDS); under update_lock, valid until the
 * commit ends (listeners cannot unregister from their callbacks). */
static const char *round_listener, *round_callback;
static gint round_limit_logged; /* the critical message is logged once */

static __thread unsigned int thread_update_depth; /* this thread's holds */
static __thread bool thread_took_bql; /* the outermost hold took the BQL */

/*
 * Lock order (bql.h): the big lock before the update lock. A thread that
 * changes the tree without holding the big lock takes it here and keeps
 * it until its outermost release: topology changes run under the big lock,
 * as in QEMU, and a callback that commits (big lock held) and a thread in
 * a transaction that makes an MMIO access (update lock held) cannot take
 * the two in opposite orders.
 */
void memory_update_lock(void)
{
    if (thread_update_depth++ == 0 && !bql_locked()) {
        bql_lock();
        thread_took_bql = true;
    }
    pthread_mutex_lock(&update_lock);
}

void memory_update_unlock(void)
{
    pthread_mutex_unlock(&update_lock);
    if (--thread_update_depth == 0) {
        if (thread_took_bql) {
            thread_took_bql = false;
            bql_unlock();
        }
        rcu_reclaim_throttle(); /* backpressure, outside both locks */
    }
}

/* For the RCU exit handler: callbacks (owners' releases finalizing
 * regions) may need the update lock, so an exit with it held must not
 * wait for them. */
static bool update_lock_held(void)
{
    return thread_update_depth != 0;
}

/*
 * fork(): the child must not inherit the update lock held by a thread it
 * does not have (its first tree change would wait forever). rcu/'s fork
 * handlers call these: the prepare handler once the reclamation thread is
 * parked, since a release callback in progress may need the lock. The
 * child takes the lock afresh as often as the forking thread held it.
 */
static void update_lock_fork_prepare(void)
{
    pthread_mutex_lock(&update_lock);
}

static void update_lock_fork_parent(void)
{
    pthread_mutex_unlock(&update_lock);
}

static void update_lock_fork_child(void)
{
    pthread_mutexattr_t attr;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&update_lock, &attr);
    pthread_mutexattr_destroy(&attr);
    for (unsigned int i = 0; i < thread_update_depth; i++) {
        pthread_mutex_lock(&update_lock);
    }
}

__attribute__((constructor)) static void register_exit_lock_check(void)
{
    rcu_set_exit_lock_check(update_lock_held);
    rcu_set_fork_hooks(update_lock_fork_prepare, update_lock_fork_parent,
                       update_lock_fork_child);
}

/* Mark @mr and its parent for the next commit. */
static void mark_changed_locked(MemoryRegion *mr)
{
    if (commit_running) {
        memory_listener_running_locked(&round_listener, &round_callback);
    }
    if (!changed_regions) {
        changed_regions = g_ptr_array_new();
    }
    g_ptr_array_add(changed_regions, mr);
    if (mr->priv.container) {
        g_ptr_array_add(changed_regions, mr->priv.container);
    }
}

void memory_region_changed_locked(MemoryRegion *mr)
{
    mark_changed_locked(mr);
    memory_change_windows_note_locked(mr);
}

void memory_region_range_changed_locked(MemoryRegion *mr, addrspace_u128 start,
                                        addrspace_u128 end)
{
    mark_changed_locked(mr);
    memory_change_windows_note_range_locked(mr, start, end);
}

void memory_region_forget_locked(MemoryRegion *mr)
{
    if (changed_regions) {
        while (g_ptr_array_remove_fast(changed_regions, mr)) {
        }
    }
    memory_change_windows_forget_locked(mr);
}

static void mark_upwards(MemoryRegion *mr, uint64_t epoch)
{
    while (mr && mr->priv.mark != epoch) {
        mr->priv.mark = epoch;
        for (GSList *l = mr->priv.alias_users; l; l = l->next) {
            mark_upwards(l->data, epoch);
        }
        mr = mr->priv.container;
    }
}

ADDRSPACE_EXPORT void memory_region_transaction_begin(void)
{
    memory_update_lock();
    transaction_depth++;
    thread_transaction_depth++;
}

/*
 * The commit rounds of an outermost commit. Changes made by listeners
 * during a round start another; after MEMORY_TRANSACTION_MAX_ROUNDS the
 * loop stops with the views of the last round published and the changes
 * recorded since kept for the next commit. Return: whether nothing is left.
 */
static bool commit_rounds_locked(unsigned int *rounds)
{
    commit_running = true;
    for (*rounds = 0; changed_regions && changed_regions->len; ++*rounds) {
        uint64_t epoch;
        ChangeWindows *cw;

        if (*rounds == MEMORY_TRANSACTION_MAX_ROUNDS) {
            break;
        }
        epoch = ++mark_epoch;
        cw = memory_change_windows_take_locked();
        for (guint i = 0; i < changed_regions->len; i++) {
            mark_upwards(changed_regions->pdata[i], epoch);
        }
        g_ptr_array_set_size(changed_regions, 0);
        round_listener = round_callback = NULL;
        address_spaces_commit_locked(epoch, cw);
        memory_change_windows_release_locked(cw);
    }
    commit_running = false;
    return !changed_regions || !changed_regions->len;
}

static bool commit(GError **errp)
{
    bool done = true;
    unsigned int rounds = 0;

    if (thread_transaction_depth == 0) {
        /* a caller bug (this thread holds no transaction, so it does not
         * hold the lock either), but no public function aborts on it */
        if (errp) {
            addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                                "memory_region_transaction_commit() without a "
                                "matching memory_region_transaction_begin()");
        } else {
            g_warning("memory_region_transaction_commit() without a matching "
                      "memory_region_transaction_begin()");
        }
        return false;
    }
    if (transaction_depth == 1 && !commit_running) {
        done = commit_rounds_locked(&rounds);
    }
    if (!done) {
        char *who = round_callback
                        ? g_strdup_printf("listener \"%s\" in its %s callback",
                                          round_listener ? round_listener : "",
                                          round_callback)
                        : g_strdup("outside any listener callback");
        char *msg = g_strdup_printf(
            "a commit still changed the tree after %u rounds (MEMORY_"
            "TRANSACTION_MAX_ROUNDS), last %s; the views stay as round %u "
            "published them, the remaining changes wait for the next commit",
            rounds, who, rounds);

        if (errp) {
            addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_LIMIT,
                                "%s", msg);
        } else if (g_atomic_int_compare_and_exchange(&round_limit_logged, 0,
                                                     1)) {
            g_critical("%s", msg);
        }
        g_free(msg);
        g_free(who);
    }
    transaction_depth--;
    thread_transaction_depth--;
    memory_update_unlock();
    return done;
}

ADDRSPACE_EXPORT void memory_region_transaction_commit(void)
{
    (void)commit(NULL);
}

ADDRSPACE_EXPORT bool memory_region_transaction_commit_checked(GError **errp)
{
    return commit(errp);
}

MemoryRegion *memory_region_flatview_root_locked(MemoryRegion *mr)
{
    /* QEMU's memory_region_get_flatview_root(): skip wrappers that map a
     * single region whole, so that more AddressSpaces share a view */
    while (mr && mr->priv.enabled) {
        if (mr->priv.kind == MR_KIND_ALIAS) {
            if (mr->priv.alias && mr->priv.alias_offset == 0 &&
                mr->priv.size >= mr->priv.alias->priv.size) {
                mr = mr->priv.alias;
                continue;
            }
        } else if (!mr->priv.terminates) {
            unsigned int found = 0;
            MemoryRegion *next = NULL;

            for (MemoryRegion *c = mr->priv.sub_first; c;
                 c = c->priv.sub_next) {
                if (!c->priv.enabled) {
                    continue;
                }
                if (++found > 1) {
                    next = NULL;
                    break;
                }
                if (c->priv.addr == 0 && mr->priv.size >= c->priv.size) {
                    next = c;
                }
            }
            if (found == 0) {
                return NULL;
            }
            if (next) {
                mr = next;
                continue;
            }
        }
        return mr;
    }
    return NULL;
}
