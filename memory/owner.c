/* SPDX-License-Identifier: MIT */
/*
 * Owner lifetime: the reference counts that keep a device's regions alive
 * while the tree, aliases, AddressSpaces or FlatViews (their sections)
 * still reach them, and the release callback deferred past a grace period.
 * memory_region_ref()/unref() are the region-level form: a region without
 * owner is not counted (its user keeps it alive).
 */
#include <string.h>

#include "memory-internal.h"

ADDRSPACE_EXPORT void memory_owner_init(MemoryOwner *owner, const char *name,
                                        void (*release)(MemoryOwner *owner))
{
    memset(owner, 0, sizeof(*owner));
    owner->refcount = 1;
    owner->name = g_strdup(name ? name : "");
    owner->release = release;
    owner->qom_device = true;
}

ADDRSPACE_EXPORT void memory_owner_set_qom(MemoryOwner *owner, bool is_device,
                                           const char *path, const char *id)
{
    char *old_path, *old_id;

    /* under the lock: mtree_info_flags() reads these while it holds it */
    memory_update_lock();
    old_path = owner->qom_path;
    old_id = owner->qom_id;
    owner->qom_device = is_device;
    owner->qom_path = g_strdup(path);
    owner->qom_id = g_strdup(id);
    memory_update_unlock();
    g_free(old_path);
    g_free(old_id);
}

/* A reference taken or dropped on an owner that has none: a caller bug,
 * logged once per process and function (@logged). */
static void owner_report_no_reference(const MemoryOwner *owner,
                                      const char *func, gint *logged)
{
    if (g_atomic_int_compare_and_exchange(logged, 0, 1)) {
        g_critical("%s(): owner %p has no reference left (its release is "
                   "queued or has run): a caller bug; ignored (logged once)",
                   func, (const void *)owner);
    }
}

ADDRSPACE_EXPORT void memory_owner_ref(MemoryOwner *owner)
{
    static gint logged;
    int old = __atomic_load_n(&owner->refcount, __ATOMIC_RELAXED);

    do {
        if (old <= 0) {
            owner_report_no_reference(owner, "memory_owner_ref", &logged);
            return;
        }
    } while (!__atomic_compare_exchange_n(&owner->refcount, &old, old + 1, true,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

static void owner_release_rcu(MemoryOwner *owner)
{
    void (*release)(MemoryOwner *) = owner->release;

    g_free(owner->name);
    owner->name = NULL;
    g_free(owner->qom_path);
    owner->qom_path = NULL;
    g_free(owner->qom_id);
    owner->qom_id = NULL;
    if (release) {
        release(owner);
    }
}

ADDRSPACE_EXPORT void memory_owner_unref(MemoryOwner *owner)
{
    static gint logged;
    int old = __atomic_load_n(&owner->refcount, __ATOMIC_RELAXED);

    /* acq_rel: every use by other holders happens before the release */
    do {
        if (old <= 0) {
            owner_report_no_reference(owner, "memory_owner_unref", &logged);
            return;
        }
    } while (!__atomic_compare_exchange_n(&owner->refcount, &old, old - 1, true,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    if (old == 1) {
        call_rcu(owner, owner_release_rcu, rcu);
    }
}

ADDRSPACE_EXPORT void memory_region_ref(MemoryRegion *mr)
{
    if (mr->priv.owner) {
        memory_owner_ref(mr->priv.owner);
    }
}

ADDRSPACE_EXPORT void memory_region_unref(MemoryRegion *mr)
{
    if (mr->priv.owner) {
        memory_owner_unref(mr->priv.owner);
    }
}
