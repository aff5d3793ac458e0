/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of the access hooks (memory/hooks.c): what the access
 * paths (access.c, map.c, cache.c) and the view publication
 * (address-space.c) call. Not installed.
 */
#ifndef ADDRSPACE_HOOKS_INTERNAL_H
#define ADDRSPACE_HOOKS_INTERNAL_H

#include <addrspace/hooks.h>

#include "memory-internal.h"

/*
 * The published hook list of an AddressSpace: an immutable array, replaced
 * as a whole (copy on write) under the update lock, freed after a grace
 * period. @first, @last and @flags are the union of the hooks' (a quick
 * filter).
 */
struct AddressSpaceHookList {
    struct rcu_head rcu; /* first: g_free_rcu() */
    hwaddr first, last;
    unsigned flags;
    size_t nr;
    AddressSpaceHook *hooks[];
};

/* The last byte of @len (>= 1) bytes at @addr, saturated at 2^64 - 1. */
static inline hwaddr address_space_hooks_end(hwaddr addr, uint64_t len)
{
    return len - 1 > UINT64_MAX - addr ? UINT64_MAX : addr + (len - 1);
}

/*
 * The hooks of @as that may observe an access of @len bytes (>= 1) at
 * @addr in direction @is_write, or NULL (the common case: one load).
 * Context: inside a read-side section, which keeps the list valid.
 */
static inline const AddressSpaceHookList *
address_space_hooks_rcu(const AddressSpace *as, hwaddr addr, uint64_t len,
                        bool is_write)
{
    const AddressSpaceHookList *h =
        __atomic_load_n(&as->priv.hooks, __ATOMIC_CONSUME);

    if (__builtin_expect(h == NULL, 1)) {
        return NULL;
    }
    if (!(h->flags & (is_write ? ADDRSPACE_HOOK_WRITE : ADDRSPACE_HOOK_READ)) ||
        addr > h->last || address_space_hooks_end(addr, len) < h->first) {
        return NULL;
    }
    return h;
}

/*
 * Report @access to the hooks of @h that overlap it and observe its
 * direction, in order, unless this thread is inside a hook callback.
 * @access->mr and ->offset are filled here from @section (the section of
 * @as's view holding @access->addr, NULL for a hole).
 * Context: inside the read-side section that loaded @h and @section.
 */
void address_space_hooks_report_rcu(AddressSpace *as,
                                    const AddressSpaceHookList *h,
                                    const FlatSection *section,
                                    AddressSpaceAccess *access);

/*
 * Whether a hook of @h observes some byte of [@addr, @addr + @len) (@len
 * >= 1) in a direction of @flags; if so *@hooked is the first such byte.
 * Context: inside the read-side section that loaded @h.
 */
bool address_space_hooks_first_hooked(const AddressSpaceHookList *h,
                                      hwaddr addr, uint64_t len, unsigned flags,
                                      hwaddr *hooked);

/*
 * At the start of a commit round (mark epoch @epoch): a hooked
 * AddressSpace whose effective root changes must not take over a view
 * rendered without its hooks; marks such new roots so that they are
 * re-rendered. Caller holds the update lock.
 */
void address_space_hooks_mark_moved_locked(uint64_t epoch);

/*
 * Whether a hooked AddressSpace moved to @root in this commit round
 * (address_space_hooks_mark_moved_locked()): @root's view is then rendered
 * whole, since its hooked ranges are not change windows. Caller holds the
 * update lock.
 */
bool address_space_hooks_moved_locked(const MemoryRegion *root);

/*
 * address_space_destroy(): drop every hook of @as (their destroy
 * notifiers run after a grace period) and note their windows of the view
 * for re-rendering. Caller is inside a transaction, whose commit clears
 * the sections' hook bits.
 */
void address_space_hooks_destroy_locked(AddressSpace *as);

/*
 * address_space_destroy() (through address_space_hooks_destroy_locked()):
 * forget the watchpoints of @as (watchpoint.c), whose hooks are dropped.
 * Caller holds the update lock.
 */
void address_space_watchpoints_forget_locked(AddressSpace *as);

#endif /* ADDRSPACE_HOOKS_INTERNAL_H */
