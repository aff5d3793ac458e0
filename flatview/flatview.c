/* SPDX-License-Identifier: MIT */
/* FlatView lifetime (references, RCU reclamation) and lookup. */
#include "flatview-internal.h"
#include "../memory/memory-internal.h"

static void flatview_destroy(struct rcu_head *head)
{
    FlatView *fv = container_of(head, FlatView, rcu);

    /* the regions themselves may be gone (owner-less, finalized): only the
     * owners, kept alive by these references, are touched */
    for (size_t i = 0; i < fv->nr_owners; i++) {
        memory_owner_unref(fv->owners[i]);
    }
    g_free(fv->owners);
    g_free(fv->sections);
    g_free(fv->starts);
    g_free(fv->entries);
    g_free(fv);
}

ADDRSPACE_EXPORT bool flatview_ref(FlatView *fv)
{
    int old = __atomic_load_n(&fv->ref, __ATOMIC_RELAXED);

    /* a view whose count reached zero is already queued for reclamation */
    do {
        if (old == 0) {
            return false;
        }
    } while (!__atomic_compare_exchange_n(&fv->ref, &old, old + 1, true,
                                          __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
    return true;
}

ADDRSPACE_EXPORT void flatview_unref(FlatView *fv)
{
    if (__atomic_sub_fetch(&fv->ref, 1, __ATOMIC_ACQ_REL) == 0) {
        /* readers inside a read-side section may still use it */
        call_rcu1(&fv->rcu, flatview_destroy);
    }
}

ADDRSPACE_EXPORT MemoryRegion *flatview_root(const FlatView *fv)
{
    return fv->root;
}

ADDRSPACE_EXPORT size_t flatview_nr_sections(const FlatView *fv)
{
    return fv->nr;
}

ADDRSPACE_EXPORT const MemoryRegionSection *flatview_section(const FlatView *fv,
                                                             size_t i)
{
    return i < fv->nr ? &fv->sections[i] : NULL;
}

ADDRSPACE_EXPORT const MemoryRegionSection *flatview_lookup(const FlatView *fv,
                                                            hwaddr addr)
{
    size_t i = flatview_index_find(&fv->index, addr);

    return i == (size_t)-1 ? NULL : &fv->sections[i];
}

ADDRSPACE_EXPORT void flatview_for_each_section(const FlatView *fv,
                                                FlatViewSectionCallback cb,
                                                void *opaque)
{
    for (size_t i = 0; i < fv->nr; i++) {
        if (cb(&fv->sections[i], opaque)) {
            break;
        }
    }
}
