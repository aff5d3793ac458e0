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

static pthread_mutex_t update_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static unsigned int transaction_depth;                 /* under update_lock */
static __thread unsigned int thread_transaction_depth; /* this thread's */
static bool commit_running;                            /* under update_lock */
static GPtrArray *changed_regions;                     /* under update_lock */
static uint64_t mark_epoch;                            /* under update_lock */

void memory_update_lock(void)
{
    pthread_mutex_lock(&update_lock);
}

void memory_update_unlock(void)
{
    pthread_mutex_unlock(&update_lock);
}

void memory_region_changed_locked(MemoryRegion *mr)
{
    if (!changed_regions) {
        changed_regions = g_ptr_array_new();
    }
    g_ptr_array_add(changed_regions, mr);
    if (mr->priv.container) {
        g_ptr_array_add(changed_regions, mr->priv.container);
    }
    memory_change_windows_note_locked(mr);
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

ADDRSPACE_EXPORT void memory_region_transaction_commit(void)
{
    if (thread_transaction_depth == 0) {
        /* a caller bug (this thread holds no transaction, so it does not
         * hold the lock either), but no public function aborts on it */
        g_warning("memory_region_transaction_commit() without a matching "
                  "memory_region_transaction_begin()");
        return;
    }
    if (transaction_depth == 1 && !commit_running) {
        /* Changes made by listeners during a commit start another round. */
        commit_running = true;
        while (changed_regions && changed_regions->len) {
            uint64_t epoch = ++mark_epoch;
            ChangeWindows *cw = memory_change_windows_take_locked();

            for (guint i = 0; i < changed_regions->len; i++) {
                mark_upwards(changed_regions->pdata[i], epoch);
            }
            g_ptr_array_set_size(changed_regions, 0);
            address_spaces_commit_locked(epoch, cw);
            memory_change_windows_free(cw);
        }
        commit_running = false;
    }
    transaction_depth--;
    thread_transaction_depth--;
    memory_update_unlock();
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
