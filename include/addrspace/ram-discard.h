/* SPDX-License-Identifier: MIT */
/**
 * @file ram-discard.h
 * @brief RAM discard: RamDiscardManager, RamDiscardListener and a plug
 * manager that plugs and unplugs a RAM region in fixed-size blocks
 * (virtio-mem style).
 *
 * QEMU 7.2's interface (include/exec/memory.h), in C without QOM: a
 * RamDiscardManager coordinates which parts of a RAM region are populated
 * (usable by the guest) and which are discarded (given back to the host).
 * Consumers that must not touch discarded memory (QEMU's VFIO, which pins
 * what it maps) register a RamDiscardListener for the section they map:
 * they are told about every populated part at once (replay), then before
 * each part gets populated (they may refuse) and after each part was
 * discarded. Consumers that do not care map the whole region.
 *
 * As in QEMU 7.2, discarding changes nothing on the access path: the
 * region stays mapped, and a guest access to a discarded part is served
 * like any RAM access. Discarded memory reads as zeros (anonymous memory
 * after madvise(MADV_DONTNEED), files and memfds after
 * fallocate(PUNCH_HOLE)) with MEMTX_OK, and a write populates it again;
 * the guest agreed not to touch it (virtio-mem's contract).
 *
 * RamPlugManager is this library's implementation of the interface, the
 * part of QEMU's virtio-mem that is about memory: a RAM region split into
 * blocks of a fixed power-of-two size, each plugged or unplugged; unplug
 * discards the block's memory (QEMU's ram_block_discard_range()). A device
 * model adds the protocol (requests, sizes it allows) on top.
 *
 * Locking: every function here takes the library's update lock; listener
 * callbacks run with it held (as memory listeners do), so they must not
 * wait for another thread that takes it. Replays and notifications run in
 * the calling thread.
 */
#ifndef ADDRSPACE_RAM_DISCARD_H
#define ADDRSPACE_RAM_DISCARD_H

#include <addrspace/flatview.h>
#include <addrspace/memory.h>

/** RamDiscardManager - see struct RamDiscardManager. */
typedef struct RamDiscardManager RamDiscardManager;
/** RamDiscardListener - see struct RamDiscardListener. */
typedef struct RamDiscardListener RamDiscardListener;
/** RamPlugManager - the block plug manager (opaque; see the file comment). */
typedef struct RamPlugManager RamPlugManager;

/**
 * typedef NotifyRamPopulate - a part of the listener's section is about to
 * be populated.
 * @rdl: the listener.
 * @section: the part (a copy of the registered section narrowed to it;
 *           aligned to the minimum granularity inside the region unless
 *           that would pass the registered section); valid during the call.
 *
 * Return: 0 to accept, a negative errno to refuse: the plug then fails,
 * and the listeners already told get a discard for the part.
 */
typedef int (*NotifyRamPopulate)(RamDiscardListener *rdl,
                                 MemoryRegionSection *section);

/**
 * typedef NotifyRamDiscard - a part of the listener's section was
 * discarded: drop every reference to its memory (unmap it).
 * @rdl: the listener.
 * @section: the part, as for NotifyRamPopulate.
 */
typedef void (*NotifyRamDiscard)(RamDiscardListener *rdl,
                                 MemoryRegionSection *section);

/**
 * typedef ReplayRamPopulate - callback of
 * ram_discard_manager_replay_populated().
 * @section: a populated part (valid during the call).
 * @opaque: the caller's pointer.
 * Return: 0 to go on; anything else stops the replay and is returned.
 */
typedef int (*ReplayRamPopulate)(MemoryRegionSection *section, void *opaque);

/**
 * typedef ReplayRamDiscard - callback of
 * ram_discard_manager_replay_discarded().
 * @section: a discarded part (valid during the call).
 * @opaque: the caller's pointer.
 */
typedef void (*ReplayRamDiscard)(MemoryRegionSection *section, void *opaque);

/**
 * struct RamDiscardListener - a consumer of populate/discard notifications
 * (QEMU's RamDiscardListener).
 *
 * Caller-allocated; set up with ram_discard_listener_init(), then
 * registered with ram_discard_manager_register_listener(). It must stay
 * valid until unregistered.
 */
struct RamDiscardListener {
    /** @notify_populate: see NotifyRamPopulate (required). */
    NotifyRamPopulate notify_populate;
    /** @notify_discard: see NotifyRamDiscard (required). */
    NotifyRamDiscard notify_discard;
    /**
     * @double_discard_supported: the listener accepts discard
     * notifications that span parts already discarded (then it gets one
     * for its whole section when all is discarded at once).
     */
    bool double_discard_supported;
    /**
     * @section: the registered section: a copy owned by the manager while
     * registered (its @fv is NULL), else NULL.
     */
    MemoryRegionSection *section;
    /** @next: private; the manager's list. */
    RamDiscardListener *next;
};

/**
 * ram_discard_listener_init() - Set up a listener's callbacks.
 * @rdl: the listener.
 * @populate_fn: its NotifyRamPopulate.
 * @discard_fn: its NotifyRamDiscard.
 * @double_discard_supported: see struct RamDiscardListener.
 */
static inline void ram_discard_listener_init(RamDiscardListener *rdl,
                                             NotifyRamPopulate populate_fn,
                                             NotifyRamDiscard discard_fn,
                                             bool double_discard_supported)
{
    rdl->notify_populate = populate_fn;
    rdl->notify_discard = discard_fn;
    rdl->double_discard_supported = double_discard_supported;
}

/**
 * struct RamDiscardManagerOps - an implementation of RamDiscardManager
 * (QEMU's RamDiscardManagerClass). Every member is required; each is
 * called with the update lock held.
 */
typedef struct RamDiscardManagerOps {
    /**
     * @get_min_granularity: the granularity, in bytes, of the
     * notifications about @mr.
     */
    uint64_t (*get_min_granularity)(const RamDiscardManager *rdm,
                                    const MemoryRegion *mr);
    /**
     * @is_populated: whether the whole of @section (any alignment) is
     * populated.
     */
    bool (*is_populated)(const RamDiscardManager *rdm,
                         const MemoryRegionSection *section);
    /**
     * @replay_populated: call @replay_fn for each populated part of
     * @section, stopping at the first non-zero return, which it returns.
     */
    int (*replay_populated)(const RamDiscardManager *rdm,
                            MemoryRegionSection *section,
                            ReplayRamPopulate replay_fn, void *opaque);
    /**
     * @replay_discarded: call @replay_fn for each discarded part of
     * @section.
     */
    void (*replay_discarded)(const RamDiscardManager *rdm,
                             MemoryRegionSection *section,
                             ReplayRamDiscard replay_fn, void *opaque);
    /**
     * @register_listener: keep a copy of @section in @rdl->section, add
     * @rdl, and tell it about every populated part of the section.
     */
    void (*register_listener)(RamDiscardManager *rdm, RamDiscardListener *rdl,
                              MemoryRegionSection *section);
    /**
     * @unregister_listener: tell @rdl that its populated parts are
     * discarded, then remove it and free its section copy.
     */
    void (*unregister_listener)(RamDiscardManager *rdm,
                                RamDiscardListener *rdl);
} RamDiscardManagerOps;

/**
 * struct RamDiscardManager - the instance header of an implementation:
 * embed it first in the implementation's struct.
 */
struct RamDiscardManager {
    /** @ops: the implementation (static storage). */
    const RamDiscardManagerOps *ops;
};

/**
 * memory_region_set_ram_discard_manager() - Make @rdm coordinate
 * discarding for @mr, or remove it (@rdm NULL).
 * @mr: a RAM region (RAM, not a RAM device, not an alias).
 * @rdm: the manager (outlives its use), or NULL.
 * @errp: error return.
 *
 * As in QEMU, only while @mr is not mapped (neither it nor an alias of it
 * has a container), and only one manager at a time.
 * Return: true on success; false with ADDRSPACE_ERROR_INVALID (not RAM),
 * ADDRSPACE_ERROR_BUSY (mapped, or a manager is already set) where QEMU
 * asserts.
 */
bool memory_region_set_ram_discard_manager(MemoryRegion *mr,
                                           RamDiscardManager *rdm,
                                           GError **errp);

/**
 * memory_region_get_ram_discard_manager() - @mr's manager.
 * @mr: a region.
 * Return: the manager, or NULL when @mr has none, is not RAM or is not
 * mapped (QEMU's rule).
 */
RamDiscardManager *memory_region_get_ram_discard_manager(MemoryRegion *mr);

/**
 * memory_region_has_ram_discard_manager() - Whether
 * memory_region_get_ram_discard_manager() gives a manager.
 * @mr: a region.
 * Return: true when it does.
 */
bool memory_region_has_ram_discard_manager(MemoryRegion *mr);

/**
 * ram_discard_manager_get_min_granularity() - See RamDiscardManagerOps.
 * @rdm: the manager.
 * @mr: the region.
 * Return: the granularity in bytes.
 */
uint64_t ram_discard_manager_get_min_granularity(const RamDiscardManager *rdm,
                                                 const MemoryRegion *mr);

/**
 * ram_discard_manager_is_populated() - See RamDiscardManagerOps.
 * @rdm: the manager.
 * @section: the range (@mr, @offset_within_region and @size are used).
 * Return: true when all of it is populated.
 */
bool ram_discard_manager_is_populated(const RamDiscardManager *rdm,
                                      const MemoryRegionSection *section);

/**
 * ram_discard_manager_replay_populated() - See RamDiscardManagerOps.
 * @rdm: the manager.
 * @section: the range.
 * @replay_fn: called per populated part.
 * @opaque: passed to @replay_fn.
 * Return: 0, or the first non-zero value @replay_fn returned.
 */
int ram_discard_manager_replay_populated(const RamDiscardManager *rdm,
                                         MemoryRegionSection *section,
                                         ReplayRamPopulate replay_fn,
                                         void *opaque);

/**
 * ram_discard_manager_replay_discarded() - See RamDiscardManagerOps.
 * @rdm: the manager.
 * @section: the range.
 * @replay_fn: called per discarded part.
 * @opaque: passed to @replay_fn.
 */
void ram_discard_manager_replay_discarded(const RamDiscardManager *rdm,
                                          MemoryRegionSection *section,
                                          ReplayRamDiscard replay_fn,
                                          void *opaque);

/**
 * ram_discard_manager_register_listener() - See RamDiscardManagerOps.
 * @rdm: the manager.
 * @rdl: the listener, set up with ram_discard_listener_init(), not
 *       registered.
 * @section: the part of the manager's region it covers (copied).
 */
void ram_discard_manager_register_listener(RamDiscardManager *rdm,
                                           RamDiscardListener *rdl,
                                           MemoryRegionSection *section);

/**
 * ram_discard_manager_unregister_listener() - See RamDiscardManagerOps.
 * @rdm: the manager.
 * @rdl: a listener registered with @rdm.
 */
void ram_discard_manager_unregister_listener(RamDiscardManager *rdm,
                                             RamDiscardListener *rdl);

/**
 * ram_plug_manager_new() - Manage @mr's memory in blocks of @block_size
 * bytes, all unplugged at first.
 * @mr: a RAM region (memory_region_init_ram(), _ram_from_fd(),
 *      _ram_memfd(), _ram_ptr()), not resizeable, not yet mapped.
 * @block_size: the plug granularity: a power of two, at least the host's
 *              page size; @mr's size must be a multiple of it. (QEMU's
 *              virtio-mem also wants at least 1 MiB: a device policy, not
 *              checked here.)
 * @errp: error return.
 *
 * Discards all of @mr's memory (as virtio-mem does when it is realized)
 * and becomes its RamDiscardManager. The region's host memory must be
 * host-page aligned (memory the library mapped always is).
 * Return: the manager (free with ram_plug_manager_free()), or NULL with
 * ADDRSPACE_ERROR_INVALID (bad granularity or region),
 * ADDRSPACE_ERROR_BUSY (mapped, or a manager set) or ADDRSPACE_ERROR_OS
 * (the discard failed).
 */
RamPlugManager *ram_plug_manager_new(MemoryRegion *mr, uint64_t block_size,
                                     GError **errp);

/**
 * ram_plug_manager_free() - Stop managing the region and free @pm.
 * @pm: the manager, or NULL.
 *
 * Normally called once the region is unmapped again (QEMU's unrealize).
 * Listeners still registered are unregistered as by
 * ram_discard_manager_unregister_listener() (told that their populated
 * parts are gone). The memory keeps its state: plugged blocks keep their
 * contents. The region may already be finalized.
 */
void ram_plug_manager_free(RamPlugManager *pm);

/**
 * ram_plug_manager_get_rdm() - @pm as a RamDiscardManager.
 * @pm: the manager.
 * Return: its RamDiscardManager header.
 */
RamDiscardManager *ram_plug_manager_get_rdm(RamPlugManager *pm);

/**
 * ram_plug_manager_block_size() - The plug granularity.
 * @pm: the manager.
 * Return: the block size in bytes.
 */
uint64_t ram_plug_manager_block_size(const RamPlugManager *pm);

/**
 * ram_plug_manager_plug() - Plug the blocks of [@offset, @offset + @size).
 * @pm: the manager.
 * @offset: in the region, a multiple of the block size.
 * @size: bytes, a non-zero multiple of the block size.
 * @errp: error return.
 *
 * QEMU's virtio_mem_set_block_state(plug): the listeners whose section
 * meets the range are told first (notify_populate); if one refuses, those
 * already told get notify_discard, the range is discarded again and
 * nothing changes. The memory is not touched otherwise: it reads as zeros
 * until written.
 * Return: true on success; false with ADDRSPACE_ERROR_INVALID (range not
 * aligned, empty or outside the region; a block already plugged: QEMU's
 * VIRTIO_MEM_RESP_ERROR) or ADDRSPACE_ERROR_BUSY (a listener refused).
 */
bool ram_plug_manager_plug(RamPlugManager *pm, uint64_t offset, uint64_t size,
                           GError **errp);

/**
 * ram_plug_manager_unplug() - Unplug the blocks of [@offset, @offset +
 * @size): discard their memory, then tell the listeners (notify_discard).
 * @pm: the manager.
 * @offset: in the region, a multiple of the block size.
 * @size: bytes, a non-zero multiple of the block size.
 * @errp: error return.
 *
 * Return: true on success; false with ADDRSPACE_ERROR_INVALID (as for
 * plug; a block already unplugged) or ADDRSPACE_ERROR_OS (the discard
 * failed; nothing changed).
 */
bool ram_plug_manager_unplug(RamPlugManager *pm, uint64_t offset, uint64_t size,
                             GError **errp);

/**
 * ram_plug_manager_unplug_all() - Unplug every block (QEMU's
 * virtio_mem_unplug_all()).
 * @pm: the manager.
 * @errp: error return (ADDRSPACE_ERROR_OS: the discard failed).
 *
 * A listener with double_discard_supported gets one notification for its
 * whole section, the others one per plugged part.
 * Return: true on success.
 */
bool ram_plug_manager_unplug_all(RamPlugManager *pm, GError **errp);

/**
 * ram_plug_manager_is_plugged() - Whether every block that [@offset,
 * @offset + @size) touches is plugged.
 * @pm: the manager.
 * @offset: in the region.
 * @size: bytes.
 * Return: true when all are; false for an empty range or one outside the
 * region.
 */
bool ram_plug_manager_is_plugged(RamPlugManager *pm, uint64_t offset,
                                 uint64_t size);

/**
 * ram_plug_manager_plugged_size() - Bytes plugged now.
 * @pm: the manager.
 * Return: the number of plugged blocks times the block size.
 */
uint64_t ram_plug_manager_plugged_size(RamPlugManager *pm);

#endif /* ADDRSPACE_RAM_DISCARD_H */
