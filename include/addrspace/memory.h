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
 * other writers. A thread that does not hold the big lock (bql.h) takes
 * that first and keeps it as long as it holds the update lock: topology
 * changes run under the big lock, as in QEMU. Readers (the access path)
 * never take the update lock; MMIO callbacks run under the big lock unless
 * the region cleared global locking. Do not call
 * synchronize_rcu() or drain_call_rcu() while holding it (inside a
 * transaction or a listener callback). A thread that releases it for the
 * last time may wait there for the reclamation thread when too many
 * callbacks are pending, if the program opted in to backpressure (rcu.h).
 *
 * Errors: set-up calls return bool and fill @errp (domain ADDRSPACE_ERROR,
 * error.h); on failure nothing changed.
 */
#ifndef ADDRSPACE_MEMORY_H
#define ADDRSPACE_MEMORY_H

#include <stdio.h>

#include <glib.h>

#include <addrspace/bql.h>
#include <addrspace/rcu.h>
#include <addrspace/types.h>

ADDRSPACE_BEGIN_DECLS

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
    /** @qom_device: private; memory_owner_set_qom()'s @is_device. */
    bool qom_device;
    /** @qom_path: private; owned copy of memory_owner_set_qom()'s @path. */
    char *qom_path;
    /** @qom_id: private; owned copy of memory_owner_set_qom()'s @id. */
    char *qom_id;
};

/**
 * memory_owner_init() - Initialise an owner with one reference (the
 * caller's).
 * @owner: zero-filled storage, usually embedded in a device.
 * @name: name for diagnostics (copied); also the type name `info mtree -o`
 *        shows for an owner without QOM path or id (memory_owner_set_qom()).
 * @release: called once the last reference is gone, on the RCU
 *           reclamation thread with no lock held; may be NULL.
 *
 * Context: any thread.
 */
void memory_owner_init(MemoryOwner *owner, const char *name,
                       void (*release)(MemoryOwner *owner));

/**
 * memory_owner_set_qom() - Say what the owner is in QEMU's object tree, for
 * the owner column of mtree_info_flags() (MTREE_INFO_OWNER, QEMU's
 * `info mtree -o`).
 * @owner: an owner with at least one reference.
 * @is_device: a device ("dev" in the dump, the default) or another object
 *             ("obj", e.g. the memory backend "/objects/pc.ram").
 * @path: its canonical QOM path ("/machine/unattached/device[3]"), or NULL;
 *        copied.
 * @id: a device's id (QEMU's `-device ...,id=ID`), or NULL; copied. As in
 *      QEMU, a device with an id shows the id instead of the path, and an
 *      object's id is not shown.
 *
 * The dump shows `owner:{dev id=ID}`, `owner:{dev path=PATH}` or
 * `owner:{obj path=PATH}`; without id or path, `owner:{dev type=NAME}` with
 * the name given to memory_owner_init() (QEMU: an object outside the
 * composition tree shows its type). A new owner is a device without path
 * or id. Replaces what an earlier call set.
 * Context: any thread; takes the update lock.
 */
void memory_owner_set_qom(MemoryOwner *owner, bool is_device, const char *path,
                          const char *id);

/**
 * memory_owner_ref() - Take a reference on @owner.
 * @owner: an owner with at least one reference.
 *
 * On an owner whose count reached zero (its release is queued or has run)
 * it does nothing: a caller bug, logged as one critical message per
 * process.
 * Context: any thread, also inside a read-side section or a transaction.
 */
void memory_owner_ref(MemoryOwner *owner);

/**
 * memory_owner_unref() - Drop a reference on @owner.
 * @owner: the owner.
 *
 * When the count reaches zero the release callback is queued with
 * call_rcu(), so it runs after a grace period on the reclamation thread;
 * one drain_call_rcu() waits for it, also when a FlatView's reclamation
 * drops the last reference. On an owner with no reference left it does
 * nothing: a caller bug, logged as one critical message per process.
 * Context: any thread, also inside a read-side section or a transaction.
 */
void memory_owner_unref(MemoryOwner *owner);

/**
 * struct MemoryRegionOps - callbacks and access rules of an MMIO region.
 *
 * Either @read/@write or @read_with_attrs/@write_with_attrs; when both are
 * set the _with_attrs form is used. A missing read callback reads 0 and a
 * missing write callback drops the value; both give MEMTX_OK (QEMU's rule).
 * Callbacks run in the accessing thread inside a read-side section, under
 * the big lock (bql.h) unless the region cleared global locking, and with
 * the region's lock held if one was set (memory_region_set_lock()); they
 * may access memory (DMA) and even change the tree.
 *
 * The rules are QEMU 7.2's code (softmmu/memory.c, physmem.c), so that a
 * device model written for QEMU behaves identically here:
 *
 * - Validity (memory_region_access_valid()): @valid.accepts is asked
 *   first, with the whole access; then an unaligned access is refused
 *   unless @valid.unaligned; then, unless valid.max_access_size is 0
 *   (every size accepted), the size must lie in [valid.min_access_size,
 *   valid.max_access_size]. A refused access gives MEMTX_DECODE_ERROR,
 *   reads give 0, no read or write callback is called.
 * - Callback size (access_with_adjusted_size()): a = MAX(MIN(size,
 *   impl.max_access_size), impl.min_access_size), where 0 means 4 and 1;
 *   impl sizes are used as given (3 stays 3). The callbacks are made at
 *   offset + i for i = 0, a, 2a, ... below the size, each with a bytes:
 *   an access wider than impl.max_access_size is split; one narrower than
 *   impl.min_access_size is made once, at its own (possibly unaligned)
 *   offset, with the wider size: a write's value is zero-extended (a
 *   big-endian device gets the access's bytes in the top bytes of the
 *   wider value), a read keeps the access's bytes of the callback's value.
 *   A write never causes a read callback. A little-endian device's piece
 *   i is the value's bits from 8i up; a big-endian device's is shifted by
 *   8 (size - a - i), down where that is negative. The results are OR-ed.
 * - Unaligned accesses that @valid.unaligned accepts reach the callbacks
 *   unaligned, split as above whatever @impl.unaligned says: QEMU 7.2 reads
 *   impl.unaligned only to cut buffer accesses into chunks
 *   (memory_access_size(), address-space.h).
 * - Byte order: the value is converted between the access's byte order and
 *   @endianness (DEVICE_NATIVE_ENDIAN: the AddressSpace's target order) for
 *   the access's size (adjust_endianness()), before splitting a write and
 *   after assembling a read.
 *
 * - Bounds: as in QEMU 7.2, the dispatcher does not check the region's
 *   size. An access with bytes past the region's end (a typed load at
 *   offset size - 2 of 4 bytes; any offset given to
 *   memory_region_dispatch_read()) is asked of @valid.accepts and made
 *   like any other; a callback widened by impl.min_access_size near the
 *   end, or an impl size that overhangs the access, gets its full size;
 *   a buffer chunk (address_space_read/write) may pass the region's end.
 *   Callbacks must therefore decode @addr and @size themselves (as QEMU's
 *   devices switch on the offset). Offsets wrap at 2^64 as QEMU's hwaddr
 *   arithmetic does.
 *
 * Opt-in deviation (off by default; README's "mmio-bounds"):
 *
 * - memory_region_enable_bounds_check(): an access with any byte past the
 *   region's end is refused with MEMTX_DECODE_ERROR before anything is
 *   called (@valid.accepts included). Where QEMU's callback would pass
 *   the region's end although the access does not (widening near the
 *   end, e.g. a byte at the last offset of a region whose
 *   impl.min_access_size is 4; or an impl size that does not divide the
 *   access), that callback is made with the rest of the access instead,
 *   at the same offset: the byte write at the last offset reaches the
 *   callback as a 1-byte write of the byte. Buffer chunks end at the
 *   region's end. So a callback never sees @addr + @size beyond the
 *   region's size. A region resized to 0 keeps the bound of its last
 *   non-zero size while FlatViews rendered before the resize still map
 *   it.
 *
 * Not reproducible (QEMU: undefined / abort / hang), always on:
 *
 * - impl.min_access_size above 8 (QEMU's mask arithmetic is undefined
 *   there) refuses every access with MEMTX_DECODE_ERROR; so do dispatch
 *   sizes other than 1, 2, 4 and 8, so @size is always 1 to 8.
 * - Re-entrancy: as in QEMU 7.2, a callback may access its own device
 *   again (nothing refuses it), except that at most 32 callbacks may be
 *   nested on one thread; deeper accesses get MEMTX_ACCESS_ERROR (QEMU
 *   recurses until its stack overflows). A region that opted in to QEMU
 *   8's guard (memory_region_enable_reentrancy_guard()) is not re-entered:
 *   an access to such a region whose owner (or the region itself, without
 *   owner) has a callback of such a region in progress on the same thread
 *   is refused with MEMTX_ACCESS_ERROR (ROM devices too).
 *
 * The big lock and the region lock are held for the whole access, so a
 * split access is atomic with respect to other threads using the region.
 * Callbacks that access other devices must follow bql.h's lock order.
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
         * 4 bytes; above 8, chunks stay at most 8 bytes (QEMU aborts on a
         * wider one).
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
        /**
         * @impl.min_access_size: smallest (0 means 1); narrower accesses
         * are made with this size, at their own offset.
         */
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
 * @MR_KIND_IO: MMIO / I/O with MemoryRegionOps; also a RAM device
 *              (memory_region_init_ram_device_ptr()), whose ops access its
 *              host memory.
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
        bool no_global_locking;
        bool bounds_check; /* memory_region_enable_bounds_check() */
        bool ram_device;
        int priority;
        uint8_t dirty_log_mask;
        /* derived from ops when they are set (region.c, the only writer):
         * the sizes dispatch serves without planning, their piece size */
        uint8_t fast_sizes;
        uint8_t piece_size;
        uint8_t vga_logging_count; /* QEMU's: enables of DIRTY_MEMORY_VGA */
        addrspace_u128 size;
        uint64_t size_last; /* size - 1, for lock-free readers */
        bool size_zero;     /* size is 0 (size_last keeps its last bound) */
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
 * @size: size in bytes; UINT64_MAX means 2^64. 0 is accepted, as in QEMU
 *        (the region then renders nothing).
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
 * memory_region_init_resizeable_ram() - Initialise anonymous RAM whose
 * size can change later, up to @max_size (QEMU's resizeable RAM, used for
 * firmware tables that grow between machine versions).
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @name: name (copied; also the first argument of @resized).
 * @size: the initial size in bytes (QEMU's used length), not 0.
 * @max_size: the largest size it may take, at least @size.
 * @resized: called after each change of the size by
 *           memory_region_ram_resize() with the region's name, the new
 *           size and the host address of the memory (which never moves);
 *           may be NULL.
 * @errp: error return.
 *
 * @max_size bytes (rounded up to the host page) are mapped at once with
 * MAP_NORESERVE and stay mapped until the region is finalized, so host
 * pointers, mappings and caches made at any size stay valid; the region's
 * size (what renders) is @size, and memory past it is not reachable
 * through an AddressSpace. As in QEMU, the RAM block keeps the size
 * rounded up to the host page (QEMU's used_length): resizing inside one
 * host page changes only the region's size.
 * Return: true on success; false with ADDRSPACE_ERROR_INVALID (@size 0 or
 * above @max_size, where QEMU asserts), ADDRSPACE_ERROR_OVERFLOW or
 * ADDRSPACE_ERROR_OS.
 */
bool memory_region_init_resizeable_ram(
    MemoryRegion *mr, MemoryOwner *owner, const char *name, uint64_t size,
    uint64_t max_size,
    void (*resized)(const char *name, uint64_t length, void *host),
    GError **errp);

/**
 * memory_region_ram_resize() - Change the size of resizeable RAM (QEMU's
 * memory_region_ram_resize() and qemu_ram_resize()).
 * @mr: a RAM-backed region.
 * @newsize: the new size in bytes, not 0.
 * @errp: error return.
 *
 * As QEMU 7.2: the size is rounded up to the host page for the RAM block.
 * When that rounded size is the block's current one, only the region's
 * size changes (if it differs) and @resized is called; nothing else
 * happens. Otherwise the region must be resizeable and the rounded size
 * at most its maximum; then the dirty bits of the old used length are
 * cleared and every page of the new used length is marked dirty, for
 * every client whose bitmap exists (QEMU's DIRTY_CLIENTS_ALL; the
 * snapshot client keeps its bits: the contents did not change), the
 * region takes @newsize (memory_region_set_size(): one re-render, so
 * FlatViews, listeners and new maps and caches follow the new size) and
 * @resized is called with (name, @newsize, host). Shrinking does not give
 * memory back to the host and growing does not clear it: bytes past the
 * old size read as they were left. Mappings and MemoryRegionCaches made
 * before a shrink keep their host pointer and length (as in QEMU): memory
 * stays mapped up to the maximum, so they never fault, but they may reach
 * bytes past the new size; re-create them (from a memory listener, as
 * QEMU's virtio does) to follow the region. Not for regions with a
 * RamDiscardManager.
 * Context: takes the update lock (a transaction of its own or part of the
 * caller's); @resized runs in the calling thread after the re-render, with
 * the update lock held only if the caller holds it.
 * Return: true on success; false with ADDRSPACE_ERROR_INVALID (not RAM,
 * not resizeable with a different size (QEMU: "Size mismatch"), @newsize
 * 0, a RamDiscardManager set) or ADDRSPACE_ERROR_OVERFLOW (above the
 * maximum: "Size too large"), nothing changed.
 */
bool memory_region_ram_resize(MemoryRegion *mr, uint64_t newsize,
                              GError **errp);

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
 * memory_region_init_ram_device_ptr() - Initialise a RAM device: memory
 * of the caller's (typically a device's BAR mapped from the host, as with
 * VFIO) that the guest accesses through MemoryRegionOps, never by memcpy.
 * @mr: zero-filled storage.
 * @owner: owner or NULL.
 * @name: name (copied).
 * @size: bytes, not 0.
 * @ptr: host memory of at least @size bytes; stays the caller's and must
 *       outlive the region (until its finalize).
 * @errp: error return (NULL @ptr, size 0; QEMU asserts on a NULL @ptr).
 *
 * QEMU 7.2's memory_region_init_ram_device_ptr(): every access is
 * dispatched (valid and impl sizes 1 to 8, unaligned allowed, host byte
 * order) to ops that make one host access of the access's own size, so a
 * device register sees no wider, narrower or repeated access. The region
 * is RAM for memory_region_is_ram() and address_space_write_rom() (which
 * copies into it), but not directly accessible: address_space_map() and
 * MemoryRegionCache bounce or go through the dispatcher, and a FlatView's
 * GuestRegion for it has no host address. memory_region_get_ram_ptr()
 * returns @ptr; memory_region_kind() says MR_KIND_IO; `info mtree` prints
 * "ramd".
 * Return: true on success.
 */
bool memory_region_init_ram_device_ptr(MemoryRegion *mr, MemoryOwner *owner,
                                       const char *name, uint64_t size,
                                       void *ptr, GError **errp);

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
 * @ops: callbacks (static storage), or NULL: as in QEMU 7.2, the region
 *       then answers like unassigned memory (reads give 0, writes are
 *       dropped, both MEMTX_DECODE_ERROR; a reservation that prints as
 *       "i/o").
 * @opaque: passed to the callbacks.
 * @name: name (copied).
 * @size: bytes; UINT64_MAX means 2^64; 0 is accepted, as in QEMU.
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
 * @size: bytes (0 is accepted); @offset + @size must not pass 2^64. As in
 *        QEMU, the window may pass the end of the target: only the part
 *        inside the target renders, the rest is a hole.
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
 * @size: bytes; 0 is accepted, as in QEMU.
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
 * @size: new size; UINT64_MAX means 2^64; 0 is accepted, as in QEMU.
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
 *
 * An extension: QEMU protects callbacks with the big lock only. The lock
 * is taken after the big lock when the region also takes that (the
 * default; see memory_region_clear_global_locking()).
 */
void memory_region_set_lock(MemoryRegion *mr, GRecMutex *lock);

/**
 * memory_region_clear_global_locking() - Have the dispatcher call @mr's
 * callbacks without the big lock (bql.h).
 * @mr: an MMIO region or ROM device.
 *
 * By default, as in QEMU 7.2 (which has no way out), every callback of a
 * region with ops runs under the big lock, taken by the dispatcher unless
 * the accessing thread holds it. After this call the callbacks run
 * lock-free, or under the region's own lock (memory_region_set_lock()):
 * they must then be thread-safe, and must not take the big lock (bql.h's
 * lock order), so they must not change the tree. Only such regions (with
 * no own lock either) take the inline MMIO path of the typed loads and
 * stores. Call it before the region is mapped.
 * Context: any thread; takes the update lock.
 */
void memory_region_clear_global_locking(MemoryRegion *mr);

/**
 * memory_region_enable_reentrancy_guard() - Opt @mr in to QEMU 8's
 * re-entrancy guard (off by default, as QEMU 7.2 has none).
 * @mr: the region.
 *
 * While a callback of @mr runs, an access on the same thread to any
 * opted-in region of @mr's owner (or to @mr, without owner) gets
 * MEMTX_ACCESS_ERROR and no callback, so a device that DMAs into its own registers cannot recurse
 * (see MemoryRegionOps for the dispatch rules).
 * Context: any thread; takes the update lock.
 */
void memory_region_enable_reentrancy_guard(MemoryRegion *mr);

/**
 * memory_region_disable_reentrancy_guard() - Undo
 * memory_region_enable_reentrancy_guard(): @mr's callbacks may be
 * re-entered by accesses they cause to the same owner, and do not mark the
 * owner busy (the default).
 * @mr: the region.
 * Context: any thread; takes the update lock.
 */
void memory_region_disable_reentrancy_guard(MemoryRegion *mr);

/**
 * memory_region_enable_bounds_check() - Opt @mr in to the "mmio-bounds"
 * deviation: no callback of @mr ever sees a byte past the region's end
 * (off by default, as QEMU 7.2 does not check).
 * @mr: an MMIO region or ROM device.
 *
 * Afterwards an access to @mr (memory_region_dispatch_read/_write(),
 * typed loads and stores, memory_region_access_valid()) with any byte
 * past the region's end gets MEMTX_DECODE_ERROR, reads 0, and calls
 * nothing, @valid.accepts included; a callback that QEMU would widen or
 * size past the end is made with the rest of the access at the same
 * offset; buffer chunks (address_space_read/write,
 * address_space_access_valid()) end at the region's end (see
 * MemoryRegionOps). For devices whose callbacks index arrays by offset
 * without checking, and for fuzzers that check this invariant. There is
 * no way back. Call it before the region is mapped.
 * Context: any thread; takes the update lock.
 */
void memory_region_enable_bounds_check(MemoryRegion *mr);

/**
 * memory_region_transaction_begin() - Start a (nestable) transaction.
 *
 * Takes the update lock until the matching commit; the FlatViews are
 * re-rendered once, at the outermost commit.
 */
void memory_region_transaction_begin(void);

/**
 * MEMORY_TRANSACTION_MAX_ROUNDS - Commit rounds one outermost commit runs
 * at most.
 *
 * Listeners may change the tree from their callbacks; each change starts
 * another round (re-render, publish, notify). A listener that changes the
 * tree in every round would keep a commit going forever: after this many
 * rounds the commit stops (see memory_region_transaction_commit()).
 */
#define MEMORY_TRANSACTION_MAX_ROUNDS 64

/**
 * memory_region_transaction_commit() - End a transaction; at the outermost
 * level, re-render the changed roots, publish the new FlatViews, notify
 * listeners, and release the update lock.
 *
 * Changes that listener callbacks make to the tree are committed in
 * further rounds, each with its own begin and commit on every listener,
 * at most MEMORY_TRANSACTION_MAX_ROUNDS rounds. When the tree still
 * changed in the last round (a listener that changes it in every round),
 * the commit stops there: every view stays as that round published it
 * (complete and consistent, listeners told), the changes made during the
 * last round stay recorded and are published by the next commit, and the
 * library logs one critical message per process naming the listener and
 * its callback. memory_region_transaction_commit_checked() returns that
 * error instead. Differs from QEMU 7.2, where a listener's change runs a
 * whole nested commit inside the callback (the depth is decremented
 * first), so such a listener recurses until the stack overflows.
 *
 * A commit without a matching begin on this thread is a caller bug: it
 * logs a warning and does nothing else.
 */
void memory_region_transaction_commit(void);

/**
 * memory_region_transaction_commit_checked() - End a transaction like
 * memory_region_transaction_commit(), reporting a cut-short commit as an
 * error.
 * @errp: error return.
 *
 * Ends the transaction exactly like memory_region_transaction_commit(),
 * but instead of logging, sets @errp to ADDRSPACE_ERROR_LIMIT
 * when the outermost commit stopped at MEMORY_TRANSACTION_MAX_ROUNDS
 * (the views are those of the last round; the remaining changes wait for
 * the next commit), ADDRSPACE_ERROR_INVALID for a commit without a
 * matching begin. Unlike other set-up calls, the state has changed even
 * on ADDRSPACE_ERROR_LIMIT: the rounds that ran are published.
 * Return: true when every change made so far is published (always true
 * for an inner commit, which publishes nothing).
 */
bool memory_region_transaction_commit_checked(GError **errp);

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
 * memory_region_is_ram() - Whether the region is RAM: RAM, ROM or a RAM
 * device, not a ROM device (QEMU's memory_region_is_ram(); a ROM device in
 * romd mode is memory_region_is_romd()).
 * @mr: the region.
 * Return: true for RAM.
 */
bool memory_region_is_ram(const MemoryRegion *mr);

/**
 * memory_region_is_ram_device() - Whether the region is a RAM device
 * (memory_region_init_ram_device_ptr()).
 * @mr: the region.
 * Return: true for a RAM device.
 */
bool memory_region_is_ram_device(const MemoryRegion *mr);

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
 * memory_region_is_nonvolatile() - The region's own nonvolatile flag
 * (memory_region_set_nonvolatile()).
 * @mr: the region.
 * Return: the flag.
 */
bool memory_region_is_nonvolatile(const MemoryRegion *mr);

/**
 * memory_region_is_mapped() - Whether the region is mapped into a parent,
 * itself or through an alias (QEMU's memory_region_is_mapped(): @mr has a
 * container, or some alias whose chain of alias targets reaches @mr has
 * one; enabled or not, reached by an AddressSpace or not).
 * @mr: the region.
 * Context: takes the update lock; the answer may be stale as soon as
 * another thread changes the tree.
 * Return: true when mapped.
 */
bool memory_region_is_mapped(const MemoryRegion *mr);

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
 * order). Same as mtree_info_flags() with the matching flags.
 * Context: takes the update lock.
 */
void mtree_info(FILE *out, bool flatview, bool disabled);

/**
 * enum MtreeInfoFlags - options of mtree_info_flags(), QEMU's `info mtree`
 * flags.
 * @MTREE_INFO_FLATVIEW: the FlatViews instead of the tree (`-f`).
 * @MTREE_INFO_OWNER: each region's owner (`-o`), in QEMU's text:
 *                    ` owner:{dev path=...}`, ` owner:{dev id=...}`,
 *                    ` owner:{obj path=...}` (memory_owner_set_qom());
 *                    a region without owner shows
 *                    ` parent:{obj path=/machine/unattached}`, where QEMU
 *                    puts such regions, or ` orphan` when it has no name
 *                    (QEMU gives an unnamed region no QOM parent).
 * @MTREE_INFO_DISABLED: also disabled regions (`-D`; tree only, as QEMU).
 */
typedef enum MtreeInfoFlags {
    MTREE_INFO_FLATVIEW = 1 << 0,
    MTREE_INFO_OWNER = 1 << 1,
    MTREE_INFO_DISABLED = 1 << 2,
} MtreeInfoFlags;

/**
 * mtree_info_flags() - mtree_info() with QEMU's options, owners included.
 * @out: the stream.
 * @flags: MtreeInfoFlags OR-ed together (unknown bits are ignored).
 *
 * The owner column follows the rest of a line, as in QEMU 7.2's
 * mtree_print_mr_owner(). Context: takes the update lock.
 */
void mtree_info_flags(FILE *out, unsigned int flags);

/* ---- Dirty memory tracking (memory/dirty.c) ---------------------------- */

/*
 * Writes to RAM set one bit per page in a bitmap per client, for the
 * clients enabled on the RAM region with memory_region_set_log(). Clients
 * fetch and clear the bits. Bitmaps belong to the RAM block and live as
 * long as the region. Which writes mark pages:
 *
 * - address_space_write()/_rw() and the typed stores address_space_st*()
 *   (the inline fast path too: a section with any client logging is not
 *   written inline, so logging costs nothing while it is off);
 * - address_space_unmap() of a mapping made for writing: the @access_len
 *   bytes written, for the clients the region logs at unmap time;
 * - MemoryRegionCache writes and stores (address_space_write_cached(),
 *   address_space_st*_cached());
 * - the guest-memory interface over a FlatView (guest_memory_write(),
 *   _store(), _write_obj(), _read_from_fd(), guest_region_mark_dirty()),
 *   for the clients the region logs at the time of the write, even
 *   through a view held since before memory_region_set_log();
 * - memory_region_set_dirty().
 *
 * Not seen: writes through host pointers the caller obtained
 * (memory_region_get_ram_ptr(), guest_memory_get_host_address(), a
 * GuestRegion's host pointer, the bytes of an address_space_map()
 * mapping past the @access_len given to address_space_unmap()) and
 * writes to RAM devices
 * (memory_region_init_ram_device_ptr(), as in QEMU). Whoever writes RAM
 * that way calls memory_region_set_dirty() on the region afterwards, as
 * QEMU's devices do; RAM snapshots (snapshot.h) miss such a write
 * otherwise.
 *
 * Whether an AddressSpace access is logged is decided by the FlatView it
 * went through: a write that found its section before
 * memory_region_set_log() committed may still be unlogged, one that found
 * it after is logged.
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
/**
 * Dirty-tracking client of RAM snapshots (snapshot.h), not in QEMU. The
 * library switches it on for the regions a snapshot covers; callers may
 * read it (memory_region_get_dirty(), memory_region_find_next_dirty())
 * and listeners see it in log_start/log_stop masks (1 << 3), but
 * memory_region_set_log(), memory_region_reset_dirty() and
 * memory_region_snapshot_and_clear_dirty() ignore it.
 */
#define DIRTY_MEMORY_SNAPSHOT 3
/** Number of dirty-tracking clients. */
#define DIRTY_MEMORY_NUM 4
/** What the dirty-page searches return when no page is dirty. */
#define DIRTY_PAGE_NONE UINT64_MAX

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
 *          other values (DIRTY_MEMORY_SNAPSHOT too) are ignored.
 *
 * Changes the region's dirty_log_mask and re-renders (a transaction of its
 * own, or part of the caller's; none when the region is disabled):
 * listeners get log_start / log_stop for the sections of @mr.
 * DIRTY_MEMORY_VGA counts as in QEMU 7.2: each call with @log true adds
 * one enable, each with false removes one (an 8-bit count, wrapping as
 * QEMU's does), and only a change between zero and non-zero enables turns
 * logging on or off. QEMU allows no other client (it asserts); here
 * DIRTY_MEMORY_CODE and DIRTY_MEMORY_MIGRATION are plain on/off switches.
 * Turning a client off keeps its bits; turning it on again does not clear
 * them.
 * Context: takes the update lock.
 */
void memory_region_set_log(MemoryRegion *mr, bool log, unsigned client);

/**
 * memory_region_is_logging() - Whether @mr logs @client now.
 * @mr: a region.
 * @client: a DIRTY_MEMORY_* client.
 * Return: true when the client's bit is in memory_region_get_dirty_log_mask().
 */
bool memory_region_is_logging(const MemoryRegion *mr, uint8_t client);

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
 * memory_region_flush_rom_device() - A ROM device's model changed the
 * contents of its memory directly (memory_region_get_ram_ptr()): mark the
 * pages touched by [@addr, @addr + @size) dirty for every client @mr logs
 * now (QEMU's memory_region_flush_rom_device()).
 * @mr: a ROM device in romd mode (QEMU asserts that; here other regions
 *      are left alone).
 * @addr: offset in @mr.
 * @size: bytes; the range is clamped to the region.
 *
 * Context: any thread; lock-free.
 */
void memory_region_flush_rom_device(MemoryRegion *mr, hwaddr addr, hwaddr size);

/**
 * memory_region_reset_dirty() - Clear @client's bits for the pages touched
 * by [@addr, @addr + @size) of @mr.
 * @mr: a RAM-backed region (others: no effect).
 * @addr: offset in @mr.
 * @size: bytes; the range is clamped to the region.
 * @client: a DIRTY_MEMORY_* client.
 *
 * Every page the range touches is cleared, including partially covered
 * first and last pages (QEMU's rounding). DIRTY_MEMORY_SNAPSHOT is
 * ignored.
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
 * for regions without RAM and invalid clients (DIRTY_MEMORY_SNAPSHOT
 * too). A client never enabled gives an all-clean snapshot.
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
 * memory_region_find_next_dirty() - The first page dirty for @client among
 * the pages [@addr, @addr + @size) of @mr touches.
 * @mr: a RAM-backed region.
 * @addr: offset in @mr.
 * @size: bytes; the range is clamped to the region.
 * @client: a DIRTY_MEMORY_* client (DIRTY_MEMORY_SNAPSHOT included).
 *
 * A word-at-a-time search (QEMU's find_next_bit() over the client's
 * bitmap): one load per 64 pages, so a clean 64 MiB region costs 256
 * loads. Bits are neither changed nor synced from listeners (as
 * memory_region_get_dirty()). To walk every dirty page, call it again
 * from the page after the one found, or use a DirtyPageIter.
 * Context: any thread; lock-free.
 * Return: the offset of that page in @mr (a multiple of
 * DIRTY_MEMORY_PAGE_SIZE, possibly below @addr when @addr is inside the
 * page), or DIRTY_PAGE_NONE: no dirty page, a region without RAM, an
 * invalid client or one never enabled, an empty range.
 */
hwaddr memory_region_find_next_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                                     unsigned client);

/**
 * memory_region_snapshot_find_next_dirty() - memory_region_find_next_dirty()
 * over a DirtyBitmapSnapshot.
 * @mr: the region the snapshot was taken of.
 * @snap: a snapshot of @mr.
 * @addr: offset in @mr.
 * @size: bytes.
 *
 * Pages outside the snapshot's range count as clean.
 * Context: any thread.
 * Return: the offset of the first dirty page, or DIRTY_PAGE_NONE.
 */
hwaddr memory_region_snapshot_find_next_dirty(MemoryRegion *mr,
                                              const DirtyBitmapSnapshot *snap,
                                              hwaddr addr, hwaddr size);

/**
 * struct DirtyPageIter - iterator over the runs of dirty pages of a
 * region, for one client's bitmap or a DirtyBitmapSnapshot.
 *
 * Caller-allocated (on the stack); fields private. Set up with
 * dirty_page_iter_init() or dirty_page_iter_init_snapshot(), then call
 * dirty_page_iter_next() until it returns false. Nothing to release.
 * Example, a display redrawing what changed::
 *
 *     DirtyBitmapSnapshot *snap = memory_region_snapshot_and_clear_dirty(
 *         vram, 0, size, DIRTY_MEMORY_VGA);
 *     DirtyPageIter it;
 *     hwaddr off, len;
 *
 *     dirty_page_iter_init_snapshot(&it, vram, snap, 0, size);
 *     while (dirty_page_iter_next(&it, &off, &len)) {
 *         redraw(off, len);
 *     }
 *     memory_region_snapshot_free(snap);
 */
typedef struct DirtyPageIter {
    /** @priv: private. */
    struct {
        MemoryRegion *mr;
        const DirtyBitmapSnapshot *snap;
        unsigned client;
        uint64_t next; /* next page to look at */
        uint64_t last; /* last page of the range */
        bool done;
    } priv;
} DirtyPageIter;

/**
 * dirty_page_iter_init() - Iterate over the pages dirty for @client among
 * those [@addr, @addr + @size) of @mr touches.
 * @it: the iterator.
 * @mr: a RAM-backed region (others: no runs); must stay initialised while
 *      the iterator is used.
 * @addr: offset in @mr.
 * @size: bytes; clamped to the region.
 * @client: a DIRTY_MEMORY_* client.
 *
 * The live bitmap is read as dirty_page_iter_next() goes: a page marked
 * meanwhile ahead of the iterator is found, behind it is not. Nothing is
 * cleared.
 */
void dirty_page_iter_init(DirtyPageIter *it, MemoryRegion *mr, hwaddr addr,
                          hwaddr size, unsigned client);

/**
 * dirty_page_iter_init_snapshot() - Iterate over the dirty pages of @snap
 * among those [@addr, @addr + @size) of @mr touches.
 * @it: the iterator.
 * @mr: the region the snapshot was taken of.
 * @snap: the snapshot; must outlive the iteration.
 * @addr: offset in @mr.
 * @size: bytes.
 */
void dirty_page_iter_init_snapshot(DirtyPageIter *it, MemoryRegion *mr,
                                   const DirtyBitmapSnapshot *snap, hwaddr addr,
                                   hwaddr size);

/**
 * dirty_page_iter_next() - The next run of consecutive dirty pages.
 * @it: the iterator.
 * @offset: set to the run's first byte in the region (page-aligned).
 * @len: set to its length: whole pages, except that a run ending at the
 *       region's partial last page stops at the region's end.
 *
 * Runs are whole pages even where the range given at init starts or ends
 * inside a page. Cost: one load per 64 pages searched.
 * Context: any thread.
 * Return: true when a run was found; false when the range is exhausted.
 */
bool dirty_page_iter_next(DirtyPageIter *it, hwaddr *offset, hwaddr *len);

/**
 * memory_region_snapshot_free() - Free a snapshot.
 * @snap: the snapshot, or NULL.
 */
void memory_region_snapshot_free(DirtyBitmapSnapshot *snap);

/* ---- End of dirty memory tracking --------------------------------------- */

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_MEMORY_H */
