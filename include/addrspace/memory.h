/* SPDX-License-Identifier: MIT */
/**
 * @file memory.h
 * @brief MemoryRegions: the tree that describes a machine's address space.
 *
 * A MemoryRegion is a container, RAM, ROM, ROM device, MMIO/I/O region
 * (with MemoryRegionOps callbacks), alias (a window on another region),
 * reservation or IOMMU. Regions are composed into a tree with addresses,
 * priorities and overlaps; every AddressSpace whose root is in the tree sees
 * the tree flattened into a FlatView (flatview.h), re-rendered when a
 * transaction commits.
 *
 * Memory and lifetime:
 * - A MemoryRegion is caller-allocated storage, usually embedded in a
 *   device's struct as in QEMU. The storage must be zero-filled before the
 *   first memory_region_init*() (g_new0, static, memset): an init on a
 *   region that is already initialised fails with ADDRSPACE_ERROR_BUSY.
 * - Each region may have an owner (MemoryOwner, refcounted). The tree (a
 *   parent holding a child of another owner), aliases (on their target,
 *   when it has another owner),
 *   AddressSpaces (on their root) and FlatViews (on every region they map)
 *   hold references on the owner. When the last reference is dropped the
 *   owner's release callback runs on the RCU reclamation thread after a
 *   grace period, never while a reader can still reach the region through
 *   any FlatView. The release callback typically calls
 *   memory_region_finalize() on each of the owner's regions and frees the
 *   device.
 * - A region without owner (owner NULL) is never reference-counted: the
 *   caller must keep it alive, and unmapped from every FlatView, until it
 *   finalizes it (removal + drain_call_rcu() is enough).
 *
 * Locking: every function that changes the tree takes the library's update
 * lock (a recursive mutex); a transaction holds it from
 * memory_region_transaction_begin() to the matching commit, so mutations
 * from several threads are serialised and a transaction is atomic for
 * other writers. Readers (the access path) never take it. Do not call
 * synchronize_rcu() or drain_call_rcu() while holding it (inside a
 * transaction or a listener callback).
 *
 * Errors: set-up calls return bool and fill @errp (domain ADDRSPACE_ERROR,
 * error.h); on failure nothing changed.
 */
#ifndef ADDRSPACE_MEMORY_H
#define ADDRSPACE_MEMORY_H

#include <stdio.h>

#include <glib.h>

#include <addrspace/rcu.h>
#include <addrspace/types.h>

typedef struct MemoryRegion MemoryRegion;
typedef struct MemoryRegionOps MemoryRegionOps;
typedef struct MemoryOwner MemoryOwner;
/** RAMBlock - private: the host memory behind a RAM-backed region. */
typedef struct RAMBlock RAMBlock;

/** An unsigned 128-bit integer: region sizes reach 2^64. */
__extension__ typedef unsigned __int128 addrspace_u128;

/**
 * struct MemoryOwner - a reference-counted owner of regions (a device).
 *
 * Embed it in the device's struct and initialise it with
 * memory_owner_init(). Fields are private.
 */
struct MemoryOwner {
    /** @rcu: private; defers the release callback. */
    struct rcu_head rcu;
    /** @refcount: private. */
    int refcount;
    /** @name: private; owned copy. */
    char *name;
    /** @release: private; the callback given to memory_owner_init(). */
    void (*release)(MemoryOwner *owner);
};

/**
 * memory_owner_init() - Initialise an owner with one reference (the
 * caller's).
 * @owner: zero-filled storage, usually embedded in a device.
 * @name: name for diagnostics (copied).
 * @release: called once the last reference is gone, on the RCU
 *           reclamation thread with no lock held; may be NULL.
 *
 * Context: any thread.
 */
void memory_owner_init(MemoryOwner *owner, const char *name,
                       void (*release)(MemoryOwner *owner));

/**
 * memory_owner_ref() - Take a reference on @owner.
 * @owner: an owner with at least one reference.
 */
void memory_owner_ref(MemoryOwner *owner);

/**
 * memory_owner_unref() - Drop a reference on @owner.
 * @owner: the owner.
 *
 * When the count reaches zero the release callback is queued with
 * call_rcu(), so it runs after a grace period on the reclamation thread.
 * Context: any thread, also inside a read-side section or a transaction.
 */
void memory_owner_unref(MemoryOwner *owner);

/**
 * struct MemoryRegionOps - callbacks and access rules of an MMIO region.
 *
 * Either @read/@write or @read_with_attrs/@write_with_attrs; when both are
 * set the _with_attrs form is used. A missing read callback reads 0 and a
 * missing write callback drops the value; both give MEMTX_OK (QEMU's rule).
 * Callbacks run in the accessing thread inside a read-side section, with
 * the region's lock held if one was set (memory_region_set_lock()); they
 * may access memory (DMA) and even change the tree.
 *
 * An access is first checked against @valid and the region's size (refused:
 * MEMTX_DECODE_ERROR, reads give 0, nothing is called), then turned into
 * callback accesses allowed by @impl; the results of those are OR-ed. The
 * rules are QEMU's (memory_region_access_valid(), access_with_adjusted_size())
 * except where QEMU's code contradicts docs/devel/memory.rst or our
 * invariant:
 *
 * - Bounds (beyond QEMU): an access with any byte past the region's end is
 *   refused. The dispatcher guarantees that a callback never sees
 *   @addr + @size beyond the region's size, and that @size is always a
 *   power of two within [impl.min_access_size, impl.max_access_size].
 * - Widening (impl.min_access_size larger than the access): QEMU calls the
 *   callback at the access's own, possibly unaligned, offset, and writes
 *   zeros to the extra bytes. We access the naturally aligned
 *   impl.min_access_size unit holding the bytes instead; a read extracts
 *   the requested bytes, a write is a read-modify-write of the unit (read
 *   it, merge the request's bytes, write it back, under the region lock if
 *   any). Devices whose reads have side effects must therefore not declare
 *   impl.min_access_size above valid.min_access_size. A unit that would
 *   pass the region's end makes the access refused.
 * - Unaligned accesses (valid.unaligned) when !impl.unaligned: QEMU passes
 *   them through unaligned. We split them into naturally aligned pieces (as
 *   large as impl.max_access_size allows), widened as above where a piece
 *   would be smaller than impl.min_access_size. With impl.unaligned the
 *   callback gets the unaligned offset, as in QEMU.
 * - Sizes: @impl sizes that are not powers of two round inwards (min up,
 *   max down, at most 8); an impl.max_access_size of 0 means 4, or
 *   impl.min_access_size when that is larger. An @impl range no size
 *   satisfies (min > max, min > 8) refuses every access.
 * - valid.accepts is asked last, once per access with its full size, and
 *   only when every other check passed (QEMU asks it first; it must have no
 *   side effects, so only the number of calls differs). It runs under the
 *   region lock.
 * - Re-entrancy: an access to a region whose owner (or the region itself,
 *   without owner) has a callback in progress on the same thread is refused
 *   with MEMTX_ACCESS_ERROR (QEMU 8's guard, per thread here; ROM devices
 *   are guarded too). A region that opted out
 *   (memory_region_disable_reentrancy_guard()) may be re-entered and does
 *   not mark its owner busy. At most 32 callbacks may be nested on one
 *   thread, opted out or not; deeper accesses get MEMTX_ACCESS_ERROR.
 * - The region lock is held for the whole access, so a split or widened
 *   access is atomic with respect to other threads using the region.
 *   Callbacks that access other locked devices must avoid lock-order
 *   inversions between threads.
 */
struct MemoryRegionOps {
    /**
     * @read: read @size bytes at offset @addr; returns the value in host
     * order (the dispatcher applies the device's endianness).
     */
    uint64_t (*read)(void *opaque, hwaddr addr, unsigned size);
    /** @write: write @size bytes of @data at offset @addr. */
    void (*write)(void *opaque, hwaddr addr, uint64_t data, unsigned size);
    /** @read_with_attrs: like @read, with attributes and a result. */
    MemTxResult (*read_with_attrs)(void *opaque, hwaddr addr, uint64_t *data,
                                   unsigned size, MemTxAttrs attrs);
    /** @write_with_attrs: like @write, with attributes and a result. */
    MemTxResult (*write_with_attrs)(void *opaque, hwaddr addr, uint64_t data,
                                    unsigned size, MemTxAttrs attrs);
    /** @endianness: byte order of the registers. */
    enum device_endian endianness;
    /** @valid: what the bus accepts; violations give MEMTX_DECODE_ERROR. */
    struct {
        /**
         * @valid.min_access_size: smallest access (0 means 1); not checked
         * when @valid.max_access_size is 0.
         */
        unsigned min_access_size;
        /**
         * @valid.max_access_size: largest access. 0, as in QEMU, accepts
         * every size (1 to 8) in the check, while buffer accesses
         * (address_space_read/write) are still cut into chunks of at most
         * 4 bytes.
         */
        unsigned max_access_size;
        /** @valid.unaligned: whether unaligned accesses are accepted. */
        bool unaligned;
        /** @valid.accepts: optional device veto, no side effects. */
        bool (*accepts)(void *opaque, hwaddr addr, unsigned size, bool is_write,
                        MemTxAttrs attrs);
    } valid;
    /** @impl: what the callbacks implement; the dispatcher adapts. */
    struct {
        /** @impl.min_access_size: smallest (0 means 1); see widening. */
        unsigned min_access_size;
        /** @impl.max_access_size: largest (0 means 4); larger are split. */
        unsigned max_access_size;
        /**
         * @impl.unaligned: the callbacks handle unaligned offsets; buffer
         * accesses are then not cut at alignment boundaries (QEMU's
         * memory_access_size() reads this flag, not @valid.unaligned).
         */
        bool unaligned;
    } impl;
};

/**
 * enum MemoryRegionKind - what a region is (memory_region_kind()).
 * @MR_KIND_NONE: not initialised.
 * @MR_KIND_CONTAINER: only subregions; holes are unassigned.
 * @MR_KIND_RAM: RAM (anonymous, caller's pointer or file descriptor).
 * @MR_KIND_ROM: read-only RAM; writes are dropped.
 * @MR_KIND_ROM_DEVICE: RAM read directly in romd mode, else MMIO.
 * @MR_KIND_IO: MMIO / I/O with MemoryRegionOps.
 * @MR_KIND_ALIAS: a window on another region.
 * @MR_KIND_RESERVATION: occupies a range, decodes to errors.
 * @MR_KIND_IOMMU: translates into another AddressSpace.
 */
typedef enum MemoryRegionKind {
    MR_KIND_NONE,
    MR_KIND_CONTAINER,
    MR_KIND_RAM,
    MR_KIND_ROM,
    MR_KIND_ROM_DEVICE,
    MR_KIND_IO,
    MR_KIND_ALIAS,
    MR_KIND_RESERVATION,
    MR_KIND_IOMMU,
} MemoryRegionKind;

/**
 * struct MemoryRegion - one node of the memory tree.
 *
 * Caller-allocated (zero-filled) storage; every field is private to the
 * library and may change without notice. Use the accessor functions.
 */
struct MemoryRegion {
    /** @priv: private state (see memory/memory-internal.h). */
    struct {
        uint32_t magic;
        MemoryRegionKind kind;
        bool enabled;
        bool readonly;
        bool nonvolatile;
        bool romd_mode;
        bool terminates;
        bool may_overlap;
        bool reentrancy_guard_disabled;
        bool ram_device;
        int priority;
        uint8_t dirty_log_mask;
        /* derived from ops when they are set (region.c, the only writer):
         * the sizes dispatch serves without planning, their piece size */
        uint8_t fast_sizes;
        uint8_t piece_size;
        addrspace_u128 size;
        uint64_t size_last; /* size - 1, for lock-free readers */
        hwaddr addr;
        uint64_t add_seq;
        char *name;
        MemoryOwner *owner;
        const MemoryRegionOps *ops;
        void *opaque;
        MemoryRegion *container;
        MemoryRegion *alias;
        hwaddr alias_offset;
        /* subregions in render order: priority desc, later-added first */
        MemoryRegion *sub_first;
        MemoryRegion *sub_last;
        MemoryRegion *sub_next;
        MemoryRegion *sub_prev;
        unsigned int nr_subregions;
        /* subregions by address (memory/child-index.c): the root of the
         * index as a container, the node links and subtree end as a child */
        MemoryRegion *cx_root;
        MemoryRegion *cx_left;
        MemoryRegion *cx_right;
        addrspace_u128 cx_max_end;
        uint32_t cx_prio;
        GSList *alias_users;
        RAMBlock *ram_block;
        GRecMutex *lock;
        uint64_t mark;
        uint64_t visit;
        void *iommu;
    } priv;
};

/**
 * memory_region_init() - Initialise a container.
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @name: name (copied; may be NULL for an anonymous region).
 * @size: size in bytes; UINT64_MAX means 2^64. Must not be 0.
 * @errp: error return.
 *
 * Return: true on success.
 */
bool memory_region_init(MemoryRegion *mr, MemoryOwner *owner, const char *name,
                        uint64_t size, GError **errp);

/**
 * memory_region_init_ram() - Initialise anonymous, zero-filled RAM.
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @name: name (copied).
 * @size: bytes, not 0; the memory is mapped with mmap().
 * @errp: error return (OS errors carry strerror text).
 *
 * Return: true on success.
 */
bool memory_region_init_ram(MemoryRegion *mr, MemoryOwner *owner,
                            const char *name, uint64_t size, GError **errp);

/**
 * memory_region_init_ram_ptr() - Initialise RAM backed by the caller's
 * memory.
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @name: name (copied).
 * @size: bytes, not 0.
 * @ptr: host memory of at least @size bytes; stays the caller's and must
 *       outlive the region (until its finalize).
 * @errp: error return.
 *
 * Return: true on success.
 */
bool memory_region_init_ram_ptr(MemoryRegion *mr, MemoryOwner *owner,
                                const char *name, uint64_t size, void *ptr,
                                GError **errp);

/**
 * memory_region_init_ram_from_fd() - Initialise RAM mapped from a file
 * descriptor (memfd, shared memory or a regular file).
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @name: name (copied).
 * @size: bytes, not 0; the file must be at least @offset + @size long.
 * @share: MAP_SHARED (visible to other mappings of the file) when true,
 *         else MAP_PRIVATE.
 * @fd: the descriptor; duplicated, the caller keeps its own.
 * @offset: offset of the mapping in the file (page-aligned).
 * @errp: error return.
 *
 * Return: true on success.
 */
bool memory_region_init_ram_from_fd(MemoryRegion *mr, MemoryOwner *owner,
                                    const char *name, uint64_t size, bool share,
                                    int fd, uint64_t offset, GError **errp);

/**
 * memory_region_init_ram_memfd() - Initialise RAM on a new memfd, shared,
 * so that other processes can map it (memory_region_get_fd()).
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @name: name (copied; also names the memfd).
 * @size: bytes, not 0.
 * @errp: error return.
 *
 * Return: true on success.
 */
bool memory_region_init_ram_memfd(MemoryRegion *mr, MemoryOwner *owner,
                                  const char *name, uint64_t size,
                                  GError **errp);

/**
 * memory_region_init_rom() - Initialise read-only RAM (ROM).
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @name: name (copied).
 * @size: bytes, not 0.
 * @errp: error return.
 *
 * Guest writes are dropped (MEMTX_DECODE_ERROR, as QEMU 7.2 reports for a
 * write to ROM); the contents are set through memory_region_get_ram_ptr().
 * Return: true on success.
 */
bool memory_region_init_rom(MemoryRegion *mr, MemoryOwner *owner,
                            const char *name, uint64_t size, GError **errp);

/**
 * memory_region_init_rom_device() - Initialise a ROM device: RAM that reads
 * directly in romd mode (the initial mode) and goes through @ops otherwise;
 * writes always go through @ops.
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @ops: callbacks (static storage, not NULL).
 * @opaque: passed to the callbacks.
 * @name: name (copied).
 * @size: bytes, not 0.
 * @errp: error return.
 *
 * Return: true on success.
 */
bool memory_region_init_rom_device(MemoryRegion *mr, MemoryOwner *owner,
                                   const MemoryRegionOps *ops, void *opaque,
                                   const char *name, uint64_t size,
                                   GError **errp);

/**
 * memory_region_init_io() - Initialise an MMIO / I/O region.
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @ops: callbacks (static storage; NULL is an error).
 * @opaque: passed to the callbacks.
 * @name: name (copied).
 * @size: bytes, not 0; UINT64_MAX means 2^64.
 * @errp: error return.
 *
 * Return: true on success.
 */
bool memory_region_init_io(MemoryRegion *mr, MemoryOwner *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size, GError **errp);

/**
 * memory_region_init_alias() - Initialise an alias: a window of @size
 * bytes starting at @offset inside @orig.
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @name: name (copied).
 * @orig: the aliased region (initialised; holds a reference on its owner).
 * @offset: window start in @orig.
 * @size: bytes, not 0; @offset + @size must not pass 2^64.
 * @errp: error return (also for an alias cycle).
 *
 * Return: true on success.
 */
bool memory_region_init_alias(MemoryRegion *mr, MemoryOwner *owner,
                              const char *name, MemoryRegion *orig,
                              hwaddr offset, uint64_t size, GError **errp);

/**
 * memory_region_init_reservation() - Initialise a reservation: occupies its
 * range (hiding lower-priority regions); reads give 0 and writes are
 * dropped, both with MEMTX_DECODE_ERROR. Prints as "i/o".
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @name: name (copied).
 * @size: bytes, not 0.
 * @errp: error return.
 *
 * Return: true on success.
 */
bool memory_region_init_reservation(MemoryRegion *mr, MemoryOwner *owner,
                                    const char *name, uint64_t size,
                                    GError **errp);

/**
 * memory_region_finalize() - Release what a region holds (name, RAM,
 * subregion links, the reference on an alias target) and return it to the
 * zero-filled state, so its storage may be freed or initialised again.
 * @mr: an initialised region.
 *
 * The region is first removed from its parent and its subregions are
 * detached. Call it when no FlatView maps the region any more: from the
 * owner's release callback, or for an owner-less region after removing it
 * and draining (drain_call_rcu()). Takes the update lock.
 */
void memory_region_finalize(MemoryRegion *mr);

/**
 * memory_region_add_subregion() - Map @sub at @offset in @mr, priority 0,
 * not meant to overlap its siblings.
 * @mr: the parent (container or terminating region).
 * @offset: address of @sub inside @mr.
 * @sub: an initialised region without parent.
 * @errp: error return.
 *
 * Like QEMU, an overlap between two non-overlapping siblings is not
 * rejected here; it renders by priority and insertion order (the board-file
 * loader rejects it). Errors: @sub already has a parent, @sub is @mr or an
 * ancestor of it (directly or through aliases), @offset + size of @sub
 * passes 2^64.
 * Return: true on success.
 */
bool memory_region_add_subregion(MemoryRegion *mr, hwaddr offset,
                                 MemoryRegion *sub, GError **errp);

/**
 * memory_region_add_subregion_overlap() - Map @sub at @offset in @mr with
 * @priority; may overlap siblings: higher priority wins, and among equal
 * priorities the region added (or moved) last wins.
 * @mr: the parent.
 * @offset: address of @sub inside @mr.
 * @sub: an initialised region without parent.
 * @priority: signed priority.
 * @errp: error return (as memory_region_add_subregion()).
 *
 * Return: true on success.
 */
bool memory_region_add_subregion_overlap(MemoryRegion *mr, hwaddr offset,
                                         MemoryRegion *sub, int priority,
                                         GError **errp);

/**
 * memory_region_del_subregion() - Unmap @sub from @mr.
 * @mr: the parent.
 * @sub: a child of @mr.
 * @errp: error return (ADDRSPACE_ERROR_NOT_FOUND when @sub is not a child).
 *
 * Readers may still reach @sub through older FlatViews until a grace
 * period has passed; its owner stays referenced until then.
 * Return: true on success.
 */
bool memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *sub,
                                 GError **errp);

/**
 * memory_region_set_enabled() - Show or hide a region (hidden regions
 * render nothing). Regions start enabled.
 * @mr: the region.
 * @enabled: new state.
 */
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);

/**
 * memory_region_set_address() - Move a region inside its parent. As in
 * QEMU, the region is re-inserted: among equal priorities it now counts as
 * the latest added.
 * @mr: the region.
 * @addr: new address.
 * @errp: error return (@addr + size passes 2^64).
 *
 * Return: true on success.
 */
bool memory_region_set_address(MemoryRegion *mr, hwaddr addr, GError **errp);

/**
 * memory_region_set_size() - Change a region's size.
 * @mr: the region (not RAM-backed: RAM cannot be resized here).
 * @size: new size, not 0; UINT64_MAX means 2^64.
 * @errp: error return.
 *
 * Return: true on success.
 */
bool memory_region_set_size(MemoryRegion *mr, uint64_t size, GError **errp);

/**
 * memory_region_set_alias_offset() - Move an alias's window.
 * @mr: an alias.
 * @offset: new window start in the target.
 * @errp: error return (not an alias, or offset + size passes 2^64).
 *
 * Return: true on success.
 */
bool memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset,
                                    GError **errp);

/**
 * memory_region_set_readonly() - Make a region (and what it renders,
 * through aliases and containers) read-only or writable.
 * @mr: the region.
 * @readonly: new state.
 */
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);

/**
 * memory_region_set_nonvolatile() - Mark a region non-volatile ("nv-" in
 * dumps); propagates like readonly.
 * @mr: the region.
 * @nonvolatile: new state.
 */
void memory_region_set_nonvolatile(MemoryRegion *mr, bool nonvolatile);

/**
 * memory_region_rom_device_set_romd() - Switch a ROM device between romd
 * mode (reads from RAM) and MMIO mode (reads through ops).
 * @mr: a ROM device (other kinds: no effect).
 * @romd_mode: new mode.
 */
void memory_region_rom_device_set_romd(MemoryRegion *mr, bool romd_mode);

/**
 * memory_region_set_lock() - Have the dispatcher hold @lock around every
 * callback of @mr (for devices whose callbacks are not thread-safe).
 * @mr: an MMIO region or ROM device.
 * @lock: a recursive mutex (caller-owned, outlives the region) or NULL;
 *        recursive so that a callback re-entered with the guard disabled
 *        does not deadlock.
 */
void memory_region_set_lock(MemoryRegion *mr, GRecMutex *lock);

/**
 * memory_region_disable_reentrancy_guard() - Allow @mr's callbacks to be
 * re-entered by accesses they cause to the same owner (opt-out of the
 * guard of address-space.h).
 * @mr: the region.
 */
void memory_region_disable_reentrancy_guard(MemoryRegion *mr);

/**
 * memory_region_transaction_begin() - Start a (nestable) transaction.
 *
 * Takes the update lock until the matching commit; the FlatViews are
 * re-rendered once, at the outermost commit.
 */
void memory_region_transaction_begin(void);

/**
 * memory_region_transaction_commit() - End a transaction; at the outermost
 * level, re-render the changed roots, publish the new FlatViews, notify
 * listeners, and release the update lock.
 */
void memory_region_transaction_commit(void);

/**
 * memory_region_ref() - Take a reference on @mr's owner (no-op without
 * owner).
 * @mr: the region.
 */
void memory_region_ref(MemoryRegion *mr);

/**
 * memory_region_unref() - Drop a reference taken by memory_region_ref().
 * @mr: the region.
 */
void memory_region_unref(MemoryRegion *mr);

/**
 * memory_region_size() - Size in bytes (UINT64_MAX for 2^64).
 * @mr: the region.
 * Context: any thread; read atomically, so a concurrent
 * memory_region_set_size() gives the old or the new size, never a mix.
 * Return: the size (0 for a region that is not initialised).
 */
uint64_t memory_region_size(const MemoryRegion *mr);

/**
 * memory_region_name() - The region's name ("" when anonymous).
 * @mr: the region.
 * Return: a string owned by the region.
 */
const char *memory_region_name(const MemoryRegion *mr);

/**
 * memory_region_kind() - What the region is.
 * @mr: the region.
 * Return: its kind (MR_KIND_NONE when not initialised).
 */
MemoryRegionKind memory_region_kind(const MemoryRegion *mr);

/**
 * memory_region_owner() - The region's owner.
 * @mr: the region.
 * Return: the owner or NULL.
 */
MemoryOwner *memory_region_owner(const MemoryRegion *mr);

/**
 * memory_region_is_ram() - Whether the region is RAM-backed (RAM, ROM, ROM
 * device).
 * @mr: the region.
 * Return: true for RAM-backed regions.
 */
bool memory_region_is_ram(const MemoryRegion *mr);

/**
 * memory_region_is_rom() - Whether the region is read-only RAM.
 * @mr: the region.
 * Return: true for RAM that is read-only.
 */
bool memory_region_is_rom(const MemoryRegion *mr);

/**
 * memory_region_is_romd() - Whether the region is a ROM device in romd
 * mode.
 * @mr: the region.
 * Return: true in romd mode.
 */
bool memory_region_is_romd(const MemoryRegion *mr);

/**
 * memory_region_is_enabled() - Whether the region is enabled.
 * @mr: the region.
 * Return: the enabled flag.
 */
bool memory_region_is_enabled(const MemoryRegion *mr);

/**
 * memory_region_is_readonly() - The region's own readonly flag.
 * @mr: the region.
 * Return: the flag.
 */
bool memory_region_is_readonly(const MemoryRegion *mr);

/**
 * memory_region_get_ram_ptr() - Host address of the region's RAM.
 * @mr: a RAM-backed region, or an alias of one (the pointer then points at
 *      the alias's window).
 *
 * Return: the pointer, or NULL for regions without RAM.
 */
void *memory_region_get_ram_ptr(MemoryRegion *mr);

/**
 * memory_region_get_fd() - File descriptor behind fd-backed RAM.
 * @mr: the region.
 * Return: the descriptor (owned by the region) or -1.
 */
int memory_region_get_fd(const MemoryRegion *mr);

/**
 * memory_region_get_fd_offset() - Offset of the region's RAM in its file.
 * @mr: the region.
 * Return: the offset (0 without file).
 */
uint64_t memory_region_get_fd_offset(const MemoryRegion *mr);

/**
 * memory_region_get_address() - The region's address inside its parent.
 * @mr: the region.
 * Return: the address.
 */
hwaddr memory_region_get_address(const MemoryRegion *mr);

/**
 * memory_region_get_priority() - The region's priority in its parent.
 * @mr: the region.
 * Return: the priority.
 */
int memory_region_get_priority(const MemoryRegion *mr);

/**
 * memory_region_get_container() - The region's parent.
 * @mr: the region.
 * Return: the parent or NULL.
 */
MemoryRegion *memory_region_get_container(const MemoryRegion *mr);

/**
 * memory_region_get_alias() - The target of an alias.
 * @mr: the region.
 * Return: the aliased region, or NULL when @mr is not an alias.
 */
MemoryRegion *memory_region_get_alias(const MemoryRegion *mr);

/**
 * memory_region_get_alias_offset() - Window start of an alias.
 * @mr: the region.
 * Return: the offset (0 when @mr is not an alias).
 */
hwaddr memory_region_get_alias_offset(const MemoryRegion *mr);

/**
 * memory_region_find_collision() - Find two siblings added without overlap
 * permission whose ranges overlap (QEMU accepts these silently; loaders
 * that want to refuse them call this).
 * @mr: the parent to check (not recursive).
 * @a: set to the first region of a colliding pair.
 * @b: set to the second.
 *
 * Context: takes the update lock.
 * Return: true when a collision was found.
 */
bool memory_region_find_collision(MemoryRegion *mr, MemoryRegion **a,
                                  MemoryRegion **b);

/**
 * mtree_info() - Print the memory tree or the FlatViews in the text format
 * of QEMU's `info mtree` / `info mtree -f`.
 * @out: the stream.
 * @flatview: print the FlatViews (`-f`) instead of the tree.
 * @disabled: also print disabled regions, marked " [disabled]" (`-D`).
 *
 * Blocks are printed in a deterministic order (AddressSpace creation
 * order). Context: takes the update lock.
 */
void mtree_info(FILE *out, bool flatview, bool disabled);

/* ---- Dirty memory tracking (memory/dirty.c) ---------------------------- */

/*
 * Writes through an AddressSpace to RAM (buffer writes, typed stores, and
 * unmapping a buffer mapped for writing) set one bit per page in a bitmap
 * per client, for the clients enabled on the RAM region with
 * memory_region_set_log(). Clients fetch and clear the bits. Bitmaps
 * belong to the RAM block and live as long as the region. Writes the
 * device makes through memory_region_get_ram_ptr() are not seen: it calls
 * memory_region_set_dirty() itself (as in QEMU).
 *
 * Whether a write is logged is decided by the FlatView it went through:
 * a write that found its section before memory_region_set_log() committed
 * may still be unlogged, one that found it after is logged.
 */

/** Dirty-tracking granularity, log2 (QEMU's TARGET_PAGE_BITS). */
#define DIRTY_MEMORY_PAGE_BITS 12
/** Dirty-tracking granularity in bytes: 4096. */
#define DIRTY_MEMORY_PAGE_SIZE (1u << DIRTY_MEMORY_PAGE_BITS)

/** Dirty-tracking client: display (QEMU's DIRTY_MEMORY_VGA). */
#define DIRTY_MEMORY_VGA 0
/** Dirty-tracking client: translated-code invalidation. */
#define DIRTY_MEMORY_CODE 1
/** Dirty-tracking client: live migration. */
#define DIRTY_MEMORY_MIGRATION 2
/** Number of dirty-tracking clients. */
#define DIRTY_MEMORY_NUM 3

/**
 * typedef DirtyBitmapSnapshot - a copy of one client's dirty bits over a
 * range, taken by memory_region_snapshot_and_clear_dirty(); opaque, owned
 * by the caller, freed with memory_region_snapshot_free().
 */
typedef struct DirtyBitmapSnapshot DirtyBitmapSnapshot;

/**
 * memory_region_set_log() - Turn dirty logging of @client on or off for
 * the RAM of @mr.
 * @mr: a RAM-backed region (RAM, ROM, ROM device), not an alias of one;
 *      on other regions only the mask that listeners see changes.
 * @log: true to log.
 * @client: DIRTY_MEMORY_VGA, DIRTY_MEMORY_CODE or DIRTY_MEMORY_MIGRATION;
 *          other values are ignored.
 *
 * Changes the region's dirty_log_mask and re-renders (a transaction of its
 * own, or part of the caller's): listeners get log_start / log_stop for
 * the sections of @mr. Unlike QEMU, which counts enables of DIRTY_MEMORY_VGA
 * only, every client is a plain on/off switch. Turning a client off keeps
 * its bits; turning it on again does not clear them.
 * Context: takes the update lock.
 */
void memory_region_set_log(MemoryRegion *mr, bool log, unsigned client);

/**
 * memory_region_get_dirty_log_mask() - The clients @mr logs now.
 * @mr: a region.
 * Return: the mask, bit (1 << client) per enabled client.
 */
uint8_t memory_region_get_dirty_log_mask(const MemoryRegion *mr);

/**
 * memory_region_get_dirty() - Whether any page touched by [@addr, @addr +
 * @size) of @mr is dirty for @client.
 * @mr: a RAM-backed region.
 * @addr: offset in @mr.
 * @size: bytes; the range is clamped to the region.
 * @client: a DIRTY_MEMORY_* client.
 *
 * Context: any thread; lock-free.
 * Return: true when some page is dirty; false for regions without RAM,
 * invalid clients, clients never enabled, and empty ranges.
 */
bool memory_region_get_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                             unsigned client);

/**
 * memory_region_set_dirty() - Mark the pages touched by [@addr, @addr +
 * @size) of @mr dirty for every client @mr logs now (a device wrote its
 * RAM directly).
 * @mr: a RAM-backed region (others: no effect).
 * @addr: offset in @mr.
 * @size: bytes; the range is clamped to the region.
 *
 * Context: any thread; lock-free.
 */
void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size);

/**
 * memory_region_reset_dirty() - Clear @client's bits for the pages touched
 * by [@addr, @addr + @size) of @mr.
 * @mr: a RAM-backed region (others: no effect).
 * @addr: offset in @mr.
 * @size: bytes; the range is clamped to the region.
 * @client: a DIRTY_MEMORY_* client.
 *
 * Every page the range touches is cleared, including partially covered
 * first and last pages (QEMU's rounding).
 * Context: any thread; lock-free, atomic per bitmap word.
 */
void memory_region_reset_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                               unsigned client);

/**
 * memory_region_snapshot_and_clear_dirty() - Fetch and clear @client's
 * bits for the pages touched by [@addr, @addr + @size) of @mr.
 * @mr: a RAM-backed region.
 * @addr: offset in @mr.
 * @size: bytes; the range is clamped to the region.
 * @client: a DIRTY_MEMORY_* client.
 *
 * First asks the listeners with a log_sync callback to bring the bitmap up
 * to date (QEMU's memory_region_sync_dirty_bitmap()), then exchanges the
 * bits with zeros atomically: a write that races with the call is either
 * in the snapshot or stays dirty, never lost. Beyond QEMU, which clears
 * whole 64-page words, pages outside the range keep their bits.
 * Context: any registered thread, not inside a listener callback; takes
 * the update lock when a listener has log_sync.
 * Return: the snapshot (free with memory_region_snapshot_free()), or NULL
 * for regions without RAM and invalid clients. A client never enabled
 * gives an all-clean snapshot.
 */
DirtyBitmapSnapshot *memory_region_snapshot_and_clear_dirty(MemoryRegion *mr,
                                                            hwaddr addr,
                                                            hwaddr size,
                                                            unsigned client);

/**
 * memory_region_snapshot_get_dirty() - Whether any page touched by
 * [@addr, @addr + @size) of @mr is dirty in @snap.
 * @mr: the region the snapshot was taken of.
 * @snap: a snapshot of @mr.
 * @addr: offset in @mr.
 * @size: bytes.
 *
 * Pages outside the snapshot's range count as clean (QEMU asserts).
 * Context: any thread.
 * Return: true when some page is dirty in @snap.
 */
bool memory_region_snapshot_get_dirty(MemoryRegion *mr,
                                      const DirtyBitmapSnapshot *snap,
                                      hwaddr addr, hwaddr size);

/**
 * memory_region_snapshot_free() - Free a snapshot.
 * @snap: the snapshot, or NULL.
 */
void memory_region_snapshot_free(DirtyBitmapSnapshot *snap);

/* ---- End of dirty memory tracking --------------------------------------- */

#endif /* ADDRSPACE_MEMORY_H */
