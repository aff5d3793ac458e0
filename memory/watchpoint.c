/* SPDX-License-Identifier: MIT */
/*
 * Watchpoints on an AddressSpace (QEMU's cpu_watchpoint_* of
 * softmmu/physmem.c, with a hit record instead of a debug exception),
 * built on the access hooks: each watchpoint is one hook.
 */
#include <pthread.h>

#include "hooks-internal.h"

struct AddressSpaceWatchpoint {
    AddressSpaceHook *hook; /* update lock */
    hwaddr addr, len;
    int flags; /* as inserted, without hit bits */
    AddressSpaceWatchpointFunc *func;
    void *opaque;
    /* not GMutex: TSan cannot see GLib's futexes */
    pthread_mutex_t lock;
    AddressSpaceWatchpointHit hit;       /* under @lock */
    struct AddressSpaceWatchpoint *next; /* update lock */
};

/* Every inserted watchpoint, all AddressSpaces (update lock). */
typedef struct WatchList {
    AddressSpace *as;
    AddressSpaceWatchpoint *wp;
} WatchList;
static GArray *watchpoints;

static void wp_free(void *opaque)
{
    AddressSpaceWatchpoint *wp = opaque;

    pthread_mutex_destroy(&wp->lock);
    g_free(wp);
}

static void wp_hook(AddressSpace *as, const AddressSpaceAccess *access,
                    void *opaque)
{
    AddressSpaceWatchpoint *wp = opaque;
    AddressSpaceWatchpointHit copy;

    pthread_mutex_lock(&wp->lock);
    /* QEMU's cpu_check_watchpoint() */
    wp->hit.flags |=
        access->is_write ? BP_WATCHPOINT_HIT_WRITE : BP_WATCHPOINT_HIT_READ;
    wp->hit.hitaddr = MAX(access->addr, wp->addr);
    wp->hit.hitattrs = access->attrs;
    wp->hit.count++;
    wp->hit.access = *access;
    wp->hit.access.data = NULL;
    wp->hit.access.mr = NULL;
    copy = wp->hit;
    pthread_mutex_unlock(&wp->lock);
    if (wp->func) {
        wp->func(as, wp, &copy, wp->opaque);
    }
}

ADDRSPACE_EXPORT bool
address_space_watchpoint_insert(AddressSpace *as, hwaddr addr, hwaddr len,
                                int flags, AddressSpaceWatchpointFunc *func,
                                void *opaque, AddressSpaceWatchpoint **pwp,
                                GError **errp)
{
    AddressSpaceWatchpoint *wp;
    unsigned dirs = 0;

    /* QEMU: empty ranges or ranges running off the end are refused */
    if (len == 0 || addr + len - 1 < addr) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "invalid watchpoint at 0x%" PRIx64 ", len=%" PRIu64,
                            addr, len);
        return false;
    }
    if (!(flags & BP_MEM_ACCESS) ||
        (flags & ~(BP_MEM_ACCESS | BP_GDB | BP_CPU))) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "watchpoint flags 0x%x: need BP_MEM_READ and/or "
                            "BP_MEM_WRITE, and only the tags BP_GDB, BP_CPU "
                            "besides (BP_STOP_BEFORE_ACCESS is not possible: "
                            "hooks report after the access)",
                            (unsigned)flags);
        return false;
    }
    dirs |= flags & BP_MEM_READ ? ADDRSPACE_HOOK_READ : 0;
    dirs |= flags & BP_MEM_WRITE ? ADDRSPACE_HOOK_WRITE : 0;
    wp = g_new0(AddressSpaceWatchpoint, 1);
    wp->addr = addr;
    wp->len = len;
    wp->flags = flags;
    wp->func = func;
    wp->opaque = opaque;
    wp->hit.flags = flags;
    pthread_mutex_init(&wp->lock, NULL);
    memory_region_transaction_begin();
    wp->hook = address_space_hook_add(as, addr, addr + len - 1, dirs, wp_hook,
                                      wp, wp_free, errp);
    if (wp->hook) {
        WatchList w = {as, wp};

        if (!watchpoints) {
            watchpoints = g_array_new(false, false, sizeof(WatchList));
        }
        g_array_append_val(watchpoints, w);
    }
    memory_region_transaction_commit();
    if (!wp->hook) {
        wp_free(wp);
        return false;
    }
    if (pwp) {
        *pwp = wp;
    }
    return true;
}

/* Remove entry @i of the list (update lock held). */
static void remove_at_locked(guint i)
{
    WatchList w = g_array_index(watchpoints, WatchList, i);

    g_array_remove_index(watchpoints, i);
    /* frees @w.wp after a grace period (wp_free) */
    address_space_hook_remove(w.as, w.wp->hook, NULL);
}

/* The index of the first entry of @as matching, or -1. */
static int find_locked(AddressSpace *as, const AddressSpaceWatchpoint *wp,
                       hwaddr addr, hwaddr len, int flags)
{
    for (guint i = 0; watchpoints && i < watchpoints->len; i++) {
        WatchList *w = &g_array_index(watchpoints, WatchList, i);

        if (w->as != as) {
            continue;
        }
        if (wp ? w->wp == wp
               : w->wp->addr == addr && w->wp->len == len &&
                     w->wp->flags == (flags & ~BP_WATCHPOINT_HIT)) {
            return (int)i;
        }
    }
    return -1;
}

void address_space_watchpoints_forget_locked(AddressSpace *as)
{
    /* the hooks themselves are being dropped by the caller */
    for (guint i = 0; watchpoints && i < watchpoints->len;) {
        if (g_array_index(watchpoints, WatchList, i).as == as) {
            g_array_remove_index(watchpoints, i);
        } else {
            i++;
        }
    }
}

ADDRSPACE_EXPORT bool address_space_watchpoint_remove(AddressSpace *as,
                                                      hwaddr addr, hwaddr len,
                                                      int flags)
{
    int i;

    memory_region_transaction_begin();
    i = find_locked(as, NULL, addr, len, flags);
    if (i >= 0) {
        remove_at_locked((guint)i);
    }
    memory_region_transaction_commit();
    return i >= 0;
}

ADDRSPACE_EXPORT bool
address_space_watchpoint_remove_by_ref(AddressSpace *as,
                                       AddressSpaceWatchpoint *wp)
{
    int i;

    memory_region_transaction_begin();
    i = wp ? find_locked(as, wp, 0, 0, 0) : -1;
    if (i >= 0) {
        remove_at_locked((guint)i);
    }
    memory_region_transaction_commit();
    return i >= 0;
}

ADDRSPACE_EXPORT void address_space_watchpoint_remove_all(AddressSpace *as,
                                                          int mask)
{
    memory_region_transaction_begin();
    for (guint i = 0; watchpoints && i < watchpoints->len;) {
        WatchList *w = &g_array_index(watchpoints, WatchList, i);

        if (w->as == as && (w->wp->flags & mask)) {
            remove_at_locked(i);
        } else {
            i++;
        }
    }
    memory_region_transaction_commit();
}

ADDRSPACE_EXPORT uint64_t address_space_watchpoint_get_hit(
    AddressSpaceWatchpoint *wp, AddressSpaceWatchpointHit *hit)
{
    pthread_mutex_lock(&wp->lock);
    *hit = wp->hit;
    pthread_mutex_unlock(&wp->lock);
    return hit->count;
}

ADDRSPACE_EXPORT void
address_space_watchpoint_reset_hit(AddressSpaceWatchpoint *wp)
{
    pthread_mutex_lock(&wp->lock);
    wp->hit.count = 0;
    wp->hit.flags &= ~BP_WATCHPOINT_HIT;
    pthread_mutex_unlock(&wp->lock);
}
