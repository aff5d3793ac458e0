/* SPDX-License-Identifier: MIT */
/**
 * @file iommu.h
 * @brief IOMMU regions: regions whose accesses are translated into another
 * AddressSpace by a callback, with map/unmap notifiers.
 *
 * An access that lands in an IOMMU region calls its translate callback with
 * the offset in the region; the entry returned names a target
 * AddressSpace, a translated address, an address mask (the translation
 * holds for the naturally aligned block of addr_mask + 1 bytes) and
 * permissions. The access continues in the target AddressSpace, which may
 * hold further IOMMUs (chains are followed up to IOMMU_MAX_CHAIN levels).
 * As in QEMU, an access the entry does not permit is treated as unassigned:
 * reads give 0 and writes are dropped, with MEMTX_DECODE_ERROR.
 */
#ifndef ADDRSPACE_IOMMU_H
#define ADDRSPACE_IOMMU_H

#include <addrspace/address-space.h>

ADDRSPACE_BEGIN_DECLS

/** Deepest chain of IOMMUs an access follows before it fails. */
#define IOMMU_MAX_CHAIN 8

/**
 * enum IOMMUAccessFlags - permissions of a translation (QEMU's values).
 * @IOMMU_NONE: no access.
 * @IOMMU_RO: reads only.
 * @IOMMU_WO: writes only.
 * @IOMMU_RW: reads and writes.
 */
typedef enum IOMMUAccessFlags {
    IOMMU_NONE = 0,
    IOMMU_RO = 1,
    IOMMU_WO = 2,
    IOMMU_RW = 3,
} IOMMUAccessFlags;

/**
 * struct IOMMUTLBEntry - one translation.
 * @target_as: where the access continues (NULL: no translation).
 * @iova: first address of the translated block, in the IOMMU region.
 * @translated_addr: first address of the block in @target_as.
 * @addr_mask: block size - 1 (e.g. 0xfff for a 4 KiB page).
 * @perm: what the translation permits.
 */
typedef struct IOMMUTLBEntry {
    AddressSpace *target_as;
    hwaddr iova;
    hwaddr translated_addr;
    hwaddr addr_mask;
    IOMMUAccessFlags perm;
} IOMMUTLBEntry;

/**
 * struct IOMMUMemoryRegionOps - callbacks of an IOMMU region.
 *
 * @translate: required. Translate offset @addr of the region for an access
 *             of kind @flag (IOMMU_RO for reads, IOMMU_WO for writes) and
 *             IOMMU index @iommu_idx. Runs on the accessing thread inside
 *             a read-side section; must not block on the update lock's
 *             holder. The returned @target_as must stay valid for the
 *             section.
 * @attrs_to_index: optional; the IOMMU index for @attrs (default 0).
 */
typedef struct IOMMUMemoryRegionOps {
    IOMMUTLBEntry (*translate)(void *opaque, hwaddr addr, IOMMUAccessFlags flag,
                               int iommu_idx);
    int (*attrs_to_index)(void *opaque, MemTxAttrs attrs);
} IOMMUMemoryRegionOps;

/**
 * enum IOMMUNotifierFlag - which events a notifier wants.
 * @IOMMU_NOTIFIER_NONE: none.
 * @IOMMU_NOTIFIER_UNMAP: invalidations.
 * @IOMMU_NOTIFIER_MAP: new mappings.
 * @IOMMU_NOTIFIER_ALL: both.
 */
typedef enum IOMMUNotifierFlag {
    IOMMU_NOTIFIER_NONE = 0,
    IOMMU_NOTIFIER_UNMAP = 1,
    IOMMU_NOTIFIER_MAP = 2,
    IOMMU_NOTIFIER_ALL = 3,
} IOMMUNotifierFlag;

typedef struct IOMMUNotifier IOMMUNotifier;

/**
 * struct IOMMUNotifier - a subscriber to map/unmap events of a range.
 *
 * Caller-owned; fill it with iommu_notifier_init(). Fields are private
 * apart from what iommu_notifier_init() sets.
 */
struct IOMMUNotifier {
    /** @notify: called with the event's entry (valid during the call). */
    void (*notify)(IOMMUNotifier *n, const IOMMUTLBEntry *entry);
    /** @flags: the events wanted. */
    IOMMUNotifierFlag flags;
    /** @start: first IOVA of the range of interest. */
    hwaddr start;
    /** @end: last IOVA of the range (inclusive). */
    hwaddr end;
    /** @iommu_idx: the IOMMU index observed. */
    int iommu_idx;
    /** @priv_mr: private; the region it is registered on. */
    MemoryRegion *priv_mr;
};

/**
 * iommu_notifier_init() - Fill a notifier.
 * @n: caller-owned storage.
 * @fn: callback.
 * @flags: events wanted.
 * @start: first IOVA of interest.
 * @end: last IOVA of interest (inclusive).
 * @iommu_idx: the IOMMU index.
 */
void iommu_notifier_init(
    IOMMUNotifier *n, void (*fn)(IOMMUNotifier *n, const IOMMUTLBEntry *entry),
    IOMMUNotifierFlag flags, hwaddr start, hwaddr end, int iommu_idx);

/**
 * memory_region_init_iommu() - Initialise an IOMMU region.
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @ops: callbacks (static storage; translate is required).
 * @opaque: passed to the callbacks.
 * @name: name (copied).
 * @size: bytes; UINT64_MAX means 2^64; 0 is accepted, as in QEMU.
 * @errp: error return.
 *
 * Return: true on success.
 */
bool memory_region_init_iommu(MemoryRegion *mr, MemoryOwner *owner,
                              const IOMMUMemoryRegionOps *ops, void *opaque,
                              const char *name, uint64_t size, GError **errp);

/**
 * memory_region_register_iommu_notifier() - Subscribe @n to events of the
 * IOMMU region @mr.
 * @mr: an IOMMU region.
 * @n: an initialised notifier, not registered elsewhere.
 * @errp: error return (not an IOMMU, bad range or flags, already
 *        registered).
 *
 * Context: takes the update lock.
 * Return: true on success.
 */
bool memory_region_register_iommu_notifier(MemoryRegion *mr, IOMMUNotifier *n,
                                           GError **errp);

/**
 * memory_region_unregister_iommu_notifier() - Unsubscribe @n.
 * @mr: the region it was registered on.
 * @n: the notifier.
 *
 * After return the callback is no longer called. May be called from a
 * notifier's callback, for any notifier of @mr, itself included (the
 * storage of one removed may then be freed at once). Context: takes the
 * update lock.
 */
void memory_region_unregister_iommu_notifier(MemoryRegion *mr,
                                             IOMMUNotifier *n);

/**
 * memory_region_notify_iommu() - Tell the notifiers of @mr about a changed
 * translation (called by the IOMMU model).
 * @mr: the IOMMU region.
 * @iommu_idx: the IOMMU index concerned.
 * @entry: the new mapping (perm != IOMMU_NONE: a MAP event) or an
 *         invalidation (perm == IOMMU_NONE: an UNMAP event) of the block
 *         [iova, iova + addr_mask].
 *
 * Notifiers whose range intersects the block, whose index matches and that
 * want the event are called, in registration order. A notifier may
 * register and unregister notifiers of @mr from its callback: one removed
 * before its turn is not called, one added is called from the next event
 * on. Context: takes the update lock; notifiers run with it held.
 */
void memory_region_notify_iommu(MemoryRegion *mr, int iommu_idx,
                                const IOMMUTLBEntry *entry);

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_IOMMU_H */
