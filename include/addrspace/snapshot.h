/* SPDX-License-Identifier: MIT */
/**
 * @file snapshot.h
 * @brief RAM snapshots: save the contents of RAM regions once, then put
 * them back as often as wanted, at a cost proportional to what changed.
 *
 * ram_snapshot_take() copies the chosen RAM regions (or every RAM region
 * an AddressSpace maps) into an image; ram_snapshot_restore() copies back
 * only the pages written since the snapshot was taken or last restored.
 * The writes are found with the dirty logging of memory.h: the library
 * switches its own client, DIRTY_MEMORY_SNAPSHOT, on for the covered
 * regions, so the access path has nothing more to check (a RAM section
 * with any client logging takes the out-of-line write path, which marks
 * the page).
 *
 * What is seen: every write memory.h lists as marking pages (AddressSpace
 * writes and stores, the inline ones included; unmap of a written
 * mapping; MemoryRegionCache writes; the guest-memory interface over a
 * FlatView). What is not: writes through host pointers the caller holds
 * (memory_region_get_ram_ptr(), guest_memory_get_host_address(), a
 * mapping's bytes past the @access_len given to address_space_unmap());
 * whoever writes that way calls memory_region_set_dirty() afterwards, or
 * the restore will not undo the write.
 *
 * Several snapshots may exist at once, of the same or other regions; each
 * restores independently (a fuzzer keeps one per interesting state). They
 * share the one client: a restore first moves the client's bits into
 * every snapshot covering the block (one load per 64 pages), then copies
 * its own dirty pages and marks them changed for the other snapshots and
 * for the other dirty clients the region logs (a display redraws them,
 * translated code is invalidated).
 *
 * Cost of a restore: for each covered block, one load per 64 pages of
 * the bitmap (a clean 64 MiB region: 256 loads, well under a
 * microsecond), plus a memcpy per run of dirty pages. RAM itself is never
 * scanned. A snapshot costs memory for the non-zero pages of the image
 * only (zero pages are not copied at take, and read back from an
 * untouched anonymous mapping).
 *
 * What else is restored, per region: the size of resizeable RAM
 * (memory_region_ram_resize() back to the size at take, as QEMU's
 * migration does), and the plugged blocks of a region managed by a
 * RamPlugManager (ram-discard.h: blocks are plugged and unplugged again
 * with the listeners' notifications; pages of unplugged blocks are neither
 * saved nor restored, and are discarded again if the guest wrote them).
 * Not restored: the tree (regions added, moved or removed after the take
 * stay so; a removed region's snapshot still restores its memory), other
 * RamDiscardManagers' state (their owner's), and anything outside RAM.
 *
 * A machine-level snapshot composes this one: stop the vCPUs, take the
 * RAM snapshot of the machine's AddressSpace, save each device's state
 * and the virtual clock; to load, restore the RAM first (regions sized
 * and plugged as at take), then the devices (whose post-load may look at
 * RAM), then the clock.
 *
 * Concurrency: the snapshot functions serialise with each other and with
 * topology changes through the update lock. A restore may run while other
 * threads read and write the covered RAM: every page is copied after its
 * dirty bit was taken, so when the restore returns each page holds the
 * image's bytes or was written again afterwards (and is dirty for the next
 * restore). A concurrent reader of a page being copied may see any mix of
 * old and new bytes (memcpy gives no word atomicity; each byte is one or
 * the other), never freed memory: the snapshot holds references on the
 * regions' owners, and nothing is unmapped by a restore (a discard
 * replaces pages with zeros in place). A take copies what the memory holds
 * while it runs: take it with the writers stopped for a consistent image.
 *
 * Lifetime: a snapshot holds a reference on the owner of every region it
 * covers until ram_snapshot_free(). Owner-less regions must outlive the
 * snapshot; if one is finalized first, restores skip it.
 */
#ifndef ADDRSPACE_SNAPSHOT_H
#define ADDRSPACE_SNAPSHOT_H

#include <addrspace/address-space.h>
#include <addrspace/memory.h>

/** RamSnapshot - a RAM snapshot (opaque; see the file comment). */
typedef struct RamSnapshot RamSnapshot;

/**
 * ram_snapshot_take() - Snapshot the RAM of @regions.
 * @regions: RAM-backed regions (RAM, ROM, ROM devices: their RAM; repeats
 *           are taken once). Not aliases, containers or RAM devices
 *           (memory_region_init_ram_device_ptr(): not dirty-tracked).
 * @nr: the number of regions (0 gives an empty snapshot).
 * @errp: error return.
 *
 * Switches DIRTY_MEMORY_SNAPSHOT on for the regions that had no snapshot
 * yet (one re-render; listeners get log_start with mask 1 <<
 * DIRTY_MEMORY_SNAPSHOT), waits for a grace period so that no write can
 * still go through a view rendered before, then copies the regions' used
 * RAM into the image.
 * Context: a registered thread, outside any read-side section, transaction
 * or listener callback (it calls synchronize_rcu()).
 * Return: the snapshot (free with ram_snapshot_free()), or NULL with
 * ADDRSPACE_ERROR_INVALID (a region of the wrong kind) or
 * ADDRSPACE_ERROR_OS (no memory for the image); nothing changed.
 */
RamSnapshot *ram_snapshot_take(MemoryRegion *const *regions, size_t nr,
                               GError **errp);

/**
 * ram_snapshot_take_address_space() - Snapshot every RAM-backed region
 * @as maps now (RAM, ROM, ROM devices; not RAM devices, not what is only
 * reached through an IOMMU).
 * @as: the address space.
 * @errp: error return.
 *
 * Regions mapped later are not covered. Otherwise as ram_snapshot_take().
 * Return: the snapshot, or NULL with @errp set.
 */
RamSnapshot *ram_snapshot_take_address_space(AddressSpace *as, GError **errp);

/**
 * ram_snapshot_restore() - Put the RAM back as it was at the take.
 * @snap: the snapshot.
 * @pages: if not NULL, set to the number of pages copied from the image
 *         (pages of unplugged blocks discarded again included).
 * @errp: error return.
 *
 * Per region: resize back (resizeable RAM), plug and unplug back
 * (RamPlugManager), ask listeners with log_sync for their dirty bits,
 * then copy every page written since the take or the last restore of
 * @snap. Regions whose owner-less storage was finalized are skipped.
 * Context: any registered thread outside a read-side section; takes the
 * update lock (may be called inside a transaction: a resize then renders
 * at its commit).
 * Return: true on success; false with @errp set when a resize or a plug
 * failed (a listener refused it): the regions before it were restored,
 * the one that failed and those after it were not.
 */
bool ram_snapshot_restore(RamSnapshot *snap, uint64_t *pages, GError **errp);

/**
 * ram_snapshot_dirty_pages() - The number of pages a restore would copy
 * now.
 * @snap: the snapshot.
 *
 * Collects the dirty bits as a restore does (so its cost is the
 * restore's bitmap pass) without copying anything.
 * Context: as ram_snapshot_restore().
 * Return: the count.
 */
uint64_t ram_snapshot_dirty_pages(RamSnapshot *snap);

/**
 * ram_snapshot_image_size() - Host memory the image holds.
 * @snap: the snapshot.
 * Return: bytes of non-zero pages stored.
 */
uint64_t ram_snapshot_image_size(const RamSnapshot *snap);

/**
 * ram_snapshot_free() - Free a snapshot and drop its references; the
 * last snapshot of a region switches DIRTY_MEMORY_SNAPSHOT off for it.
 * @snap: the snapshot, or NULL.
 *
 * Context: any registered thread outside a read-side section.
 */
void ram_snapshot_free(RamSnapshot *snap);

#endif /* ADDRSPACE_SNAPSHOT_H */
