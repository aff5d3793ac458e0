/* SPDX-License-Identifier: MIT */
/*
 * IOMMU regions: initialisation, map/unmap notifiers, and the translation
 * walk the access path uses (QEMU's address_space_translate_iommu).
 */
#include "memory-internal.h"

#include <addrspace/iommu.h>

/*
 * A notification in progress (memory_region_notify_iommu()): the next link
 * to visit and the last one to visit (the tail when it started, so that a
 * notifier registered meanwhile is not called for this event). Removing a
 * notifier moves every cursor off its link before freeing it, so a
 * notifier may unregister any notifier, itself included, during its call:
 * a removed one is not called afterwards and its link is never touched
 * again. Notifications nest (a notifier may notify), hence a stack.
 */
typedef struct NotifyCursor {
    GList *next; /* NULL: done */
    GList *last;
    struct NotifyCursor *outer;
} NotifyCursor;

struct IOMMUState {
    const IOMMUMemoryRegionOps *ops;
    void *opaque;
    GList *notifiers;     /* under the update lock, in registration order */
    NotifyCursor *cursor; /* innermost notification in progress, or NULL */
};

ADDRSPACE_EXPORT void iommu_notifier_init(
    IOMMUNotifier *n, void (*fn)(IOMMUNotifier *n, const IOMMUTLBEntry *entry),
    IOMMUNotifierFlag flags, hwaddr start, hwaddr end, int iommu_idx)
{
    n->notify = fn;
    n->flags = flags;
    n->start = start;
    n->end = end;
    n->iommu_idx = iommu_idx;
    n->priv_mr = NULL;
}

ADDRSPACE_EXPORT bool memory_region_init_iommu(MemoryRegion *mr,
                                               MemoryOwner *owner,
                                               const IOMMUMemoryRegionOps *ops,
                                               void *opaque, const char *name,
                                               uint64_t size, GError **errp)
{
    IOMMUState *st;

    if (!ops || !ops->translate) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "IOMMU region \"%s\": translate callback is NULL",
                            name ? name : "");
        return false;
    }
    /* a reservation is the closest kind: terminating, no RAM, no ops */
    if (!memory_region_init_reservation(mr, owner, name, size, errp)) {
        return false;
    }
    st = g_new0(IOMMUState, 1);
    st->ops = ops;
    st->opaque = opaque;
    mr->priv.kind = MR_KIND_IOMMU;
    mr->priv.iommu = st;
    return true;
}

void memory_region_iommu_free(MemoryRegion *mr)
{
    IOMMUState *st = mr->priv.iommu;

    if (st) {
        for (GList *l = st->notifiers; l; l = l->next) {
            ((IOMMUNotifier *)l->data)->priv_mr = NULL;
        }
        g_list_free(st->notifiers);
        g_free(st);
        mr->priv.iommu = NULL;
    }
}

ADDRSPACE_EXPORT bool memory_region_register_iommu_notifier(MemoryRegion *mr,
                                                            IOMMUNotifier *n,
                                                            GError **errp)
{
    bool ok = false;

    if (!mr_is_initialised(mr) || mr->priv.kind != MR_KIND_IOMMU) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region is not an IOMMU region");
        return false;
    }
    if (!n || !n->notify || n->start > n->end ||
        !(n->flags & IOMMU_NOTIFIER_ALL)) {
        addrspace_error_set(
            errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
            "IOMMU notifier has no callback, no events or an empty "
            "range");
        return false;
    }
    memory_update_lock();
    if (n->priv_mr) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY,
                            "IOMMU notifier is already registered on \"%s\"",
                            memory_region_name(n->priv_mr));
    } else {
        IOMMUState *st = mr->priv.iommu;

        st->notifiers = g_list_append(st->notifiers, n);
        n->priv_mr = mr;
        ok = true;
    }
    memory_update_unlock();
    return ok;
}

ADDRSPACE_EXPORT void memory_region_unregister_iommu_notifier(MemoryRegion *mr,
                                                              IOMMUNotifier *n)
{
    memory_update_lock();
    if (n->priv_mr == mr && mr->priv.iommu) {
        IOMMUState *st = mr->priv.iommu;
        GList *link = g_list_find(st->notifiers, n);

        for (NotifyCursor *c = st->cursor; c && link; c = c->outer) {
            if (c->next == link) {
                c->next = link == c->last ? NULL : link->next;
            }
            if (c->last == link) {
                c->last = link->prev; /* NULL only once @c is done */
            }
        }
        st->notifiers = g_list_delete_link(st->notifiers, link);
        n->priv_mr = NULL;
    }
    memory_update_unlock();
}

ADDRSPACE_EXPORT void memory_region_notify_iommu(MemoryRegion *mr,
                                                 int iommu_idx,
                                                 const IOMMUTLBEntry *entry)
{
    IOMMUNotifierFlag event =
        entry->perm == IOMMU_NONE ? IOMMU_NOTIFIER_UNMAP : IOMMU_NOTIFIER_MAP;
    hwaddr first = entry->iova & ~entry->addr_mask;
    hwaddr last = first | entry->addr_mask;

    memory_update_lock();
    if (mr_is_initialised(mr) && mr->priv.kind == MR_KIND_IOMMU) {
        IOMMUState *st = mr->priv.iommu;
        NotifyCursor c = {
            .next = st->notifiers,
            .last = g_list_last(st->notifiers),
            .outer = st->cursor,
        };

        st->cursor = &c;
        while (c.next) {
            IOMMUNotifier *n = c.next->data;

            /* step first: the call may unregister any notifier */
            c.next = c.next == c.last ? NULL : c.next->next;
            if (n->iommu_idx == iommu_idx && (n->flags & event) &&
                n->start <= last && first <= n->end) {
                n->notify(n, entry);
            }
        }
        st->cursor = c.outer;
    }
    memory_update_unlock();
}

const FlatSection *memory_section_resolve_iommu_rcu(const FlatSection *s,
                                                    hwaddr *addr, bool is_write,
                                                    MemTxAttrs attrs,
                                                    uint64_t *limit,
                                                    FlatView **view)
{
    IOMMUAccessFlags want = is_write ? IOMMU_WO : IOMMU_RO;
    hwaddr a = *addr;
    uint64_t lim = UINT64_MAX;

    for (int depth = 0; s && (s->region.impl_flags & FLAT_SECTION_IOMMU);
         depth++) {
        IOMMUState *st = s->mr->priv.iommu;
        hwaddr off = s->offset + (a - s->region.start);
        uint64_t in_section = s->region.last - a + 1; /* 0: 2^64, no limit */
        FlatView *target;
        int idx = 0;
        IOMMUTLBEntry e;
        uint64_t in_block;

        if (depth == IOMMU_MAX_CHAIN || !st) {
            s = NULL;
            break;
        }
        if (st->ops->attrs_to_index) {
            idx = st->ops->attrs_to_index(st->opaque, attrs);
        }
        e = st->ops->translate(st->opaque, off, want, idx);
        if (!e.target_as || !(e.perm & want) ||
            !address_space_check_iommu_target(e.target_as, s->mr)) {
            s = NULL; /* QEMU: unassigned */
            break;
        }
        a = (e.translated_addr & ~e.addr_mask) | (off & e.addr_mask);
        in_block = (~a & e.addr_mask) + 1; /* 0: the whole space */
        if (in_section && in_section < lim) {
            lim = in_section;
        }
        if (in_block && in_block < lim) {
            lim = in_block;
        }
        target = address_space_to_flatview(e.target_as);
        s = flatview_find(target, a);
        if (view) {
            *view = target;
        }
    }
    *addr = a;
    *limit = lim;
    return s;
}
