/* SPDX-License-Identifier: MIT */
/**
 * @file guest-memory.h
 * @brief The region interface: guest memory as a set of regions, with one
 * generic access loop over any implementation (vm-memory's GuestMemory and
 * GuestMemoryRegion, in C, with attrs and endianness on every access).
 *
 * Two layers, each a const ops table behind an instance header:
 * - GuestRegion: one contiguous range of guest addresses, plain memory
 *   (a host pointer) or not (MMIO, ROM: ops callbacks).
 * - GuestMemory: a set of non-overlapping GuestRegions with a lookup.
 * Implementations: a FlatView (its sections are GuestRegions: the header
 * is part of each stored section; RAM by pointer, everything else with the
 * rules of address_space_read/write) and GuestMemoryMmap (plain mmap()ed
 * ranges, no MMIO, hot-plug).
 *
 * Generic operations (guest_memory_read(), _load(), _read_from_fd(), ...)
 * are written once over the interface; callers never call an ops member
 * directly but use the guest_region_*() and guest_memory_*() wrappers,
 * which hold the fallbacks of optional members.
 *
 * Lifetime (who keeps a GuestMemory and its regions valid):
 * - FlatView: obtained with guest_memory_from_address_space() or
 *   flatview_get_guest_memory(), always with a reference, given back with
 *   guest_memory_put(). The view is immutable: it and every GuestRegion
 *   found in it stay valid until that put, on any thread, inside or
 *   outside read-side sections. Topology changes publish new views; a held
 *   one keeps showing the old topology.
 * - GuestMemoryMmap: the object lives until guest_memory_mmap_free(); its
 *   region table is replaced by hot-plug, so a GuestRegion (and a host
 *   pointer from guest_memory_get_host_address()) is valid only inside the
 *   read-side section in which it was found.
 * The generic operations take their own read-side section; the calling
 * thread must be registered with RCU (rcu.h).
 *
 * Errors: accesses return a MemTxResult, plus a byte count where partial
 * progress is possible; set-up calls a bool/pointer and a GError.
 */
#ifndef ADDRSPACE_GUEST_MEMORY_H
#define ADDRSPACE_GUEST_MEMORY_H

#include <string.h>

#include <glib.h>

#include <addrspace/rcu.h>
#include <addrspace/types.h>

ADDRSPACE_BEGIN_DECLS

/** GuestRegion - one region (see struct GuestRegion). */
typedef struct GuestRegion GuestRegion;
/** GuestRegionOps - operations of a region kind (struct GuestRegionOps). */
typedef struct GuestRegionOps GuestRegionOps;
/** GuestMemory - a set of regions (see struct GuestMemory). */
typedef struct GuestMemory GuestMemory;
/** GuestMemoryOps - operations of a memory kind (struct GuestMemoryOps). */
typedef struct GuestMemoryOps GuestMemoryOps;
/** AddressSpace - see address-space.h. */
typedef struct AddressSpace AddressSpace;
/** FlatView - see flatview.h. */
typedef struct FlatView FlatView;

/**
 * ADDRSPACE_CONTAINER_OF() - The structure that embeds a member.
 * @ptr: pointer to the member.
 * @type: type of the embedding structure.
 * @member: name of the member in @type.
 *
 * For implementations of the interfaces: recover the implementation from
 * its instance header.
 */
#define ADDRSPACE_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

/**
 * struct GuestRegionOps - operations of one kind of GuestRegion.
 *
 * One const table per implementation, static storage. Every member is
 * called through its guest_region_*() wrapper, never directly. Common rules:
 * @offset is relative to the region's start and lies in the region;
 * @target_big_endian is the target byte order of the GuestMemory the
 * region was found through (DEVICE_NATIVE_ENDIAN devices use it); @attrs is
 * forwarded unchanged. Context of every member: a registered thread,
 * inside a read-side section (or holding the reference that keeps the
 * region alive); callbacks may re-enter guest memory (MMIO devices doing
 * DMA), so implementations hold no lock across them. Buffers belong to the
 * caller and are used only during the call.
 */
struct GuestRegionOps {
    /**
     * @read: optional. Transfer bytes from @offset on into @buf, at most
     * @len (>= 1, may run past the region's end: an MMIO region of a
     * FlatView takes a whole chunk that starts in it, QEMU's rule) and at
     * least 1; set *@done to the bytes consumed. Return: the result of
     * those bytes. Fallback when NULL: copy from @host up to the region's
     * end (a region without @read must have @host). When set it is used
     * even where @host is set (a FlatView's RAM sections take the access
     * path's own step, which marks dirty pages itself).
     */
    MemTxResult (*read)(GuestRegion *r, hwaddr offset, void *buf, uint64_t len,
                        MemTxAttrs attrs, bool target_big_endian,
                        uint64_t *done);
    /**
     * @write: optional. As @read, from @buf to the region. Fallback when
     * NULL: copy to @host up to the region's end, then @mark_dirty.
     */
    MemTxResult (*write)(GuestRegion *r, hwaddr offset, const void *buf,
                         uint64_t len, MemTxAttrs attrs, bool target_big_endian,
                         uint64_t *done);
    /**
     * @load: optional. One access of @size (1, 2, 4 or 8) bytes at
     * @offset, never split; *@value gets the bytes read as a number in byte
     * order @order (DEVICE_NATIVE_ENDIAN: @target_big_endian's). Called only
     * when the host fast path does not apply (no @host, or the access
     * passes the region's end). Fallback when NULL: MEMTX_DECODE_ERROR,
     * value 0 (QEMU: a typed access is never split across regions).
     */
    MemTxResult (*load)(GuestRegion *r, hwaddr offset, unsigned size,
                        enum device_endian order, MemTxAttrs attrs,
                        bool target_big_endian, uint64_t *value);
    /**
     * @store: optional. As @load, storing the low @size bytes of @value.
     * Fallback when NULL: MEMTX_DECODE_ERROR, nothing stored.
     */
    MemTxResult (*store)(GuestRegion *r, hwaddr offset, unsigned size,
                         enum device_endian order, MemTxAttrs attrs,
                         bool target_big_endian, uint64_t value);
    /**
     * @mark_dirty: optional. The wrappers or the generic operations wrote
     * [@offset, @offset + @len) through @host (the @write fallback, typed
     * stores, guest_memory_read_from_fd()); record it in the region's dirty
     * bitmap. Lock-free, never re-enters. Fallback when NULL: the region is
     * not tracked.
     */
    void (*mark_dirty)(GuestRegion *r, hwaddr offset, uint64_t len);
    /**
     * @test_and_clear_dirty: optional. Whether a page touched by [@offset,
     * @offset + @len) was written since the last call; clears those pages.
     * Fallback when NULL: false (not tracked here; a FlatView's RAM uses
     * memory_region_snapshot_and_clear_dirty()).
     */
    bool (*test_and_clear_dirty)(GuestRegion *r, hwaddr offset, uint64_t len);
};

/**
 * struct GuestRegion - instance header of one region; embed it in the
 * implementation and recover that with ADDRSPACE_CONTAINER_OF().
 *
 * Read-only for users; immutable while the region is reachable.
 */
struct GuestRegion {
    /* start, last and host first: the access paths read them together */
    /** @start: guest address of the first byte. */
    hwaddr start;
    /**
     * @last: guest address of the last byte; the length is
     * @last - @start + 1 (2^64 for a region covering the whole space, so
     * it is stored this way; guest_region_len() saturates).
     */
    hwaddr last;
    /**
     * @host: host address of the first byte when the region is plain
     * memory (RAM readable and writable directly), else NULL.
     */
    uint8_t *host;
    /** @ops: the implementation's table. */
    const GuestRegionOps *ops;
    /** @fd_offset: offset in @fd of the region's first byte. */
    uint64_t fd_offset;
    /**
     * @fd: file descriptor the memory is mapped from, for sharing it with
     * another process, or -1. Owned by the region; do not close it.
     */
    int fd;
    /**
     * @impl_flags: free for the implementation's own use (a FlatView keeps
     * its section's FLAT_SECTION_* bits here); the generic code and users
     * never read it.
     */
    uint32_t impl_flags;
};

/**
 * struct GuestMemoryOps - operations of one kind of GuestMemory.
 *
 * Called through the guest_memory_*() wrappers. Context: a registered
 * thread; @find_region, @num_regions and @region inside a read-side
 * section (the generic operations take one).
 */
struct GuestMemoryOps {
    /**
     * @find_region: required. The region containing @addr, or NULL for a
     * hole. At least as fast as a binary search; no allocation, no lock.
     */
    GuestRegion *(*find_region)(GuestMemory *mem, hwaddr addr);
    /** @num_regions: required. Number of regions. */
    size_t (*num_regions)(GuestMemory *mem);
    /**
     * @region: required. The @i-th region in address order, or NULL when
     * @i is out of range (a concurrent hot-plug may shrink the table).
     */
    GuestRegion *(*region)(GuestMemory *mem, size_t i);
    /**
     * @put: optional. Give back the reference a getter returned (FlatView:
     * flatview_unref()). Fallback when NULL: nothing (the memory is not
     * reference-counted).
     */
    void (*put)(GuestMemory *mem);
    /**
     * @regions_pinned: optional, false when left out. True when the
     * reference a getter returned keeps every region found in the memory,
     * and the memory its @host points at, valid outside read-side sections
     * until guest_memory_put() (a FlatView: the view holds references on
     * its regions' owners; an owner-less region is kept alive by its user,
     * who must not finalize it while a view reference that maps it is
     * held). The generic fd operations then make their possibly blocking
     * system calls outside read-side sections.
     */
    bool regions_pinned;
};

/**
 * struct GuestMemory - instance header of a set of regions.
 */
struct GuestMemory {
    /** @ops: the implementation's table. */
    const GuestMemoryOps *ops;
    /**
     * @big_endian: the target byte order the caller obtained this
     * GuestMemory with: what DEVICE_NATIVE_ENDIAN means for accesses
     * through it. A property of the reference, not of the memory: a
     * FlatView's GuestMemory is a handle made per reference (one view
     * serves AddressSpaces of either order).
     */
    bool big_endian;
    /**
     * @view_index: private: the index of the FlatView this GuestMemory
     * holds a reference on (flatview_get_guest_memory(),
     * guest_memory_from_address_space()), searched inline by the typed
     * loads; NULL for every other implementation.
     */
    const struct FlatViewIndex *view_index;
};

/* ---- Checked guest-address arithmetic ----------------------------------- */

/**
 * guest_addr_checked_add() - @addr + @delta without wrapping.
 * @addr: an address.
 * @delta: bytes to add.
 * @out: the sum, set only on success.
 * Return: false when the sum passes 2^64 - 1.
 */
static inline bool guest_addr_checked_add(hwaddr addr, uint64_t delta,
                                          hwaddr *out)
{
    hwaddr sum;

    if (__builtin_add_overflow(addr, delta, &sum)) {
        return false;
    }
    *out = sum;
    return true;
}

/**
 * guest_addr_checked_sub() - @addr - @delta without wrapping.
 * @addr: an address.
 * @delta: bytes to subtract.
 * @out: the difference, set only on success.
 * Return: false when @delta is above @addr.
 */
static inline bool guest_addr_checked_sub(hwaddr addr, uint64_t delta,
                                          hwaddr *out)
{
    hwaddr diff;

    if (__builtin_sub_overflow(addr, delta, &diff)) {
        return false;
    }
    *out = diff;
    return true;
}

/**
 * guest_addr_checked_end() - The last address of @len bytes at @addr.
 * @addr: first address.
 * @len: bytes, >= 1.
 * @last: set to @addr + @len - 1 on success.
 * Return: false when @len is 0 or the range passes 2^64.
 */
static inline bool guest_addr_checked_end(hwaddr addr, uint64_t len,
                                          hwaddr *last)
{
    return len != 0 && guest_addr_checked_add(addr, len - 1, last);
}

/* ---- Endian types for structures laid out in guest memory -------------- */

/*
 * Wrappers that keep a field's guest byte order in its type, so a
 * structure in guest memory (a virtio descriptor) is declared once and
 * read whole with guest_memory_read_obj(). Same size and alignment as the
 * plain integer; read with <type>_get(), build with <type>_make().
 */

/** le16 - a 16-bit little-endian field. @raw: the bytes, private. */
typedef struct le16 {
    uint16_t raw;
} le16;
/** le32 - a 32-bit little-endian field. @raw: the bytes, private. */
typedef struct le32 {
    uint32_t raw;
} le32;
/** le64 - a 64-bit little-endian field. @raw: the bytes, private. */
typedef struct le64 {
    uint64_t raw;
} le64;
/** be16 - a 16-bit big-endian field. @raw: the bytes, private. */
typedef struct be16 {
    uint16_t raw;
} be16;
/** be32 - a 32-bit big-endian field. @raw: the bytes, private. */
typedef struct be32 {
    uint32_t raw;
} be32;
/** be64 - a 64-bit big-endian field. @raw: the bytes, private. */
typedef struct be64 {
    uint64_t raw;
} be64;

/** le16_get() - Host value of @v. @v: the field. Return: the value. */
static inline uint16_t le16_get(le16 v)
{
    return GUINT16_FROM_LE(v.raw);
}
/** le32_get() - Host value of @v. @v: the field. Return: the value. */
static inline uint32_t le32_get(le32 v)
{
    return GUINT32_FROM_LE(v.raw);
}
/** le64_get() - Host value of @v. @v: the field. Return: the value. */
static inline uint64_t le64_get(le64 v)
{
    return GUINT64_FROM_LE(v.raw);
}
/** be16_get() - Host value of @v. @v: the field. Return: the value. */
static inline uint16_t be16_get(be16 v)
{
    return GUINT16_FROM_BE(v.raw);
}
/** be32_get() - Host value of @v. @v: the field. Return: the value. */
static inline uint32_t be32_get(be32 v)
{
    return GUINT32_FROM_BE(v.raw);
}
/** be64_get() - Host value of @v. @v: the field. Return: the value. */
static inline uint64_t be64_get(be64 v)
{
    return GUINT64_FROM_BE(v.raw);
}
/** le16_make() - The field holding @v. @v: host value. Return: field. */
static inline le16 le16_make(uint16_t v)
{
    le16 field = {GUINT16_TO_LE(v)};

    return field;
}
/** le32_make() - The field holding @v. @v: host value. Return: field. */
static inline le32 le32_make(uint32_t v)
{
    le32 field = {GUINT32_TO_LE(v)};

    return field;
}
/** le64_make() - The field holding @v. @v: host value. Return: field. */
static inline le64 le64_make(uint64_t v)
{
    le64 field = {GUINT64_TO_LE(v)};

    return field;
}
/** be16_make() - The field holding @v. @v: host value. Return: field. */
static inline be16 be16_make(uint16_t v)
{
    be16 field = {GUINT16_TO_BE(v)};

    return field;
}
/** be32_make() - The field holding @v. @v: host value. Return: field. */
static inline be32 be32_make(uint32_t v)
{
    be32 field = {GUINT32_TO_BE(v)};

    return field;
}
/** be64_make() - The field holding @v. @v: host value. Return: field. */
static inline be64 be64_make(uint64_t v)
{
    be64 field = {GUINT64_TO_BE(v)};

    return field;
}

/* ---- Generic operations over any GuestMemory (guest-memory.c) ---------- */

/**
 * guest_memory_read() - Read up to @len bytes at @addr, across regions.
 * @mem: the memory.
 * @addr: first address.
 * @buf: destination, @len bytes.
 * @len: bytes.
 * @attrs: attributes, forwarded to every region access.
 * @done: set to the bytes read before the access stopped (may be NULL).
 *
 * vm-memory's try_access: regions are visited in address order; the loop
 * stops at a hole (MEMTX_DECODE_ERROR), at the first region access that
 * fails (its result; its bytes do not count) or at 2^64 (a hole: never a
 * wrap). Unlike address_space_read(), which goes on after an error and
 * ORs, the bytes before the stop are exactly *@done; the rest of @buf is
 * unspecified. MMIO parts follow address_space_read()'s rules.
 * Context: a registered thread; takes its own read-side section.
 * Return: MEMTX_OK when all @len bytes were read.
 */
MemTxResult guest_memory_read(GuestMemory *mem, hwaddr addr, void *buf,
                              uint64_t len, MemTxAttrs attrs, uint64_t *done);

/**
 * guest_memory_write() - Write up to @len bytes at @addr, across regions.
 * @mem: the memory.
 * @addr: first address.
 * @buf: source, @len bytes.
 * @len: bytes.
 * @attrs: attributes.
 * @done: set to the bytes written before the access stopped (may be NULL).
 *
 * As guest_memory_read(). Writes through host pointers mark the region
 * dirty (a FlatView's RAM: as address_space_write()).
 * Return: MEMTX_OK when all @len bytes were written.
 */
MemTxResult guest_memory_write(GuestMemory *mem, hwaddr addr, const void *buf,
                               uint64_t len, MemTxAttrs attrs, uint64_t *done);

/**
 * guest_memory_read_exact() - guest_memory_read() of all @len bytes.
 * @mem: the memory. @addr: first address. @buf: destination.
 * @len: bytes. @attrs: attributes.
 * Return: MEMTX_OK only when every byte was read; else the failure
 * (MEMTX_DECODE_ERROR for a hole).
 */
MemTxResult guest_memory_read_exact(GuestMemory *mem, hwaddr addr, void *buf,
                                    uint64_t len, MemTxAttrs attrs);

/**
 * guest_memory_write_all() - guest_memory_write() of all @len bytes.
 * @mem: the memory. @addr: first address. @buf: source.
 * @len: bytes. @attrs: attributes.
 * Return: MEMTX_OK only when every byte was written.
 */
MemTxResult guest_memory_write_all(GuestMemory *mem, hwaddr addr,
                                   const void *buf, uint64_t len,
                                   MemTxAttrs attrs);

/**
 * guest_memory_read_obj() - Read the object *@ptr whole from @addr.
 * @mem: the memory. @addr: address. @ptr: pointer to the object.
 * @attrs: attributes.
 * Return: as guest_memory_read_exact() with sizeof(*@ptr).
 */
#define guest_memory_read_obj(mem, addr, ptr, attrs) \
    guest_memory_read_exact((mem), (addr), (ptr), sizeof(*(ptr)), (attrs))

/**
 * guest_memory_write_obj() - Write the object *@ptr whole at @addr.
 * @mem: the memory. @addr: address. @ptr: pointer to the object.
 * @attrs: attributes.
 * Return: as guest_memory_write_all() with sizeof(*@ptr).
 */
#define guest_memory_write_obj(mem, addr, ptr, attrs) \
    guest_memory_write_all((mem), (addr), (ptr), sizeof(*(ptr)), (attrs))

/**
 * guest_memory_load() - One typed load, never split.
 * @mem: the memory.
 * @addr: address.
 * @size: 1, 2, 4 or 8.
 * @endian: byte order of the value; DEVICE_NATIVE_ENDIAN is
 *          @mem->big_endian.
 * @attrs: attributes.
 * @value: set to the value (0 on failure).
 *
 * Plain memory: an aligned access is one atomic host access. An access
 * that passes the end of the region holding @addr goes whole to that
 * region, whose @load decides (RAM: MEMTX_DECODE_ERROR; QEMU's rule).
 * Other sizes: MEMTX_DECODE_ERROR.
 * Context: a registered thread.
 * Return: the result.
 */
MemTxResult guest_memory_load(GuestMemory *mem, hwaddr addr, unsigned size,
                              enum device_endian endian, MemTxAttrs attrs,
                              uint64_t *value);

/**
 * guest_memory_store() - One typed store, never split.
 * @mem: the memory.
 * @addr: address.
 * @size: 1, 2, 4 or 8.
 * @endian: byte order of the value; DEVICE_NATIVE_ENDIAN is
 *          @mem->big_endian.
 * @attrs: attributes.
 * @value: the value (its low @size bytes).
 *
 * As guest_memory_load().
 * Return: the result.
 */
MemTxResult guest_memory_store(GuestMemory *mem, hwaddr addr, unsigned size,
                               enum device_endian endian, MemTxAttrs attrs,
                               uint64_t value);

/**
 * guest_memory_get_host_address() - Host pointer for @addr.
 * @mem: the memory.
 * @addr: address.
 * @len: set to the bytes from @addr to the end of its region (contiguous
 *       on the host), saturated at UINT64_MAX; 0 when NULL is returned.
 *
 * The pointer is valid as long as the region (see the file comment:
 * FlatView reference, or the caller's read-side section for
 * GuestMemoryMmap). Writes through it are not dirty-tracked.
 * Return: the pointer, or NULL for holes and regions that are not plain
 * memory.
 */
void *guest_memory_get_host_address(GuestMemory *mem, hwaddr addr,
                                    uint64_t *len);

/**
 * guest_memory_check_range() - Whether every byte of [@addr, @addr + @len)
 * is in some region (no hole, no wrap past 2^64).
 * @mem: the memory. @addr: first address. @len: bytes (0: true).
 * Return: true when the range is fully backed.
 */
bool guest_memory_check_range(GuestMemory *mem, hwaddr addr, uint64_t len);

/**
 * guest_memory_read_from_fd() - Read up to @len bytes from @fd into guest
 * memory at @addr.
 * @mem: the memory.
 * @addr: first guest address.
 * @fd: a readable file descriptor (its file offset advances).
 * @len: bytes.
 * @attrs: attributes for regions that are not plain memory (bounced).
 * @done: set to the bytes stored (may be NULL).
 * @errp: error return, set only for an OS error.
 *
 * Short reads are continued, EINTR is retried. Stops at end of file
 * (MEMTX_OK with *@done below @len), at a hole or a failing region (as
 * guest_memory_write(); bytes already read from @fd past that point are
 * lost), or on an OS error (MEMTX_ERROR and @errp). Plain memory is read
 * into directly. Where the reference on @mem pins its regions (a FlatView,
 * GuestMemoryOps.regions_pinned) read(2) runs outside read-side sections,
 * so a blocking @fd does not hold back grace periods; otherwise
 * (GuestMemoryMmap) each read(2) of at most 64 KiB runs inside one, and a
 * @fd that blocks (pipe, socket) delays grace periods, and the hot-unplug
 * of ranges, until it returns.
 * Return: the result.
 */
MemTxResult guest_memory_read_from_fd(GuestMemory *mem, hwaddr addr, int fd,
                                      uint64_t len, MemTxAttrs attrs,
                                      uint64_t *done, GError **errp);

/**
 * guest_memory_write_to_fd() - Write @len bytes of guest memory at @addr
 * to @fd.
 * @mem: the memory.
 * @addr: first guest address.
 * @fd: a writable file descriptor.
 * @len: bytes.
 * @attrs: attributes for regions that are not plain memory (bounced).
 * @done: set to the bytes written to @fd (may be NULL).
 * @errp: error return, set only for an OS error.
 *
 * Short writes are continued, EINTR is retried. Stops at a hole or a
 * failing region (as guest_memory_read()) or on an OS error (MEMTX_ERROR
 * and @errp). Plain memory is written from directly, with write(2) inside
 * or outside read-side sections as for guest_memory_read_from_fd().
 * Return: the result.
 */
MemTxResult guest_memory_write_to_fd(GuestMemory *mem, hwaddr addr, int fd,
                                     uint64_t len, MemTxAttrs attrs,
                                     uint64_t *done, GError **errp);

/**
 * guest_memory_put() - Give back a GuestMemory obtained with a reference
 * (guest_memory_from_address_space(), flatview_get_guest_memory()).
 * @mem: the memory, or NULL. It and its regions must not be used after.
 */
void guest_memory_put(GuestMemory *mem);

/* ---- FlatViews as GuestMemory (memory/guest-view.c) --------------------- */

/**
 * guest_memory_from_address_space() - The AddressSpace's current FlatView
 * as a GuestMemory, with a reference.
 * @as: the address space.
 *
 * The view's sections are its regions: RAM by host pointer (writes marked
 * dirty as by address_space_write()), everything else (MMIO, ROM, ROM
 * devices, reservations, IOMMUs) with address_space_read()/write() and
 * the typed accesses' rules, @as's target byte order for
 * DEVICE_NATIVE_ENDIAN. The view is a snapshot: later topology changes
 * are not seen through it.
 * Context: a registered thread.
 * Return: the memory; give it back with guest_memory_put().
 */
GuestMemory *guest_memory_from_address_space(AddressSpace *as);

/**
 * flatview_get_guest_memory() - A FlatView as a GuestMemory, with a new
 * reference on it.
 * @fv: a view the caller holds (reference or read-side section).
 * @big_endian: the target byte order for DEVICE_NATIVE_ENDIAN.
 *
 * A FlatView is shared by every AddressSpace with its root, whatever
 * their byte order: the order is the caller's, kept in the GuestMemory
 * handle made for this reference (guest_memory_put() frees it).
 * Return: the memory (give it back with guest_memory_put()), or NULL when
 * @fv is being reclaimed.
 */
GuestMemory *flatview_get_guest_memory(FlatView *fv, bool big_endian);

/* ---- GuestMemoryMmap: plain mmap()ed ranges (mmap-backend.c) ------------ */

/**
 * typedef GuestMemoryMmap - a GuestMemory of plain memory ranges, with no
 * MMIO, for users who need no region tree. Opaque; its GuestMemory is
 * guest_memory_mmap_memory(). Ranges can be added and removed at run
 * time: each change publishes a new region table with RCU (as FlatViews
 * are), and a removed range is unmapped after a grace period.
 */
typedef struct GuestMemoryMmap GuestMemoryMmap;

/** Range flag: back the range with a new memfd (shareable; GuestRegion.fd). */
#define GUEST_MEMORY_MMAP_MEMFD (1u << 0)
/** Range flag: surround the mapping with inaccessible guard pages. */
#define GUEST_MEMORY_MMAP_GUARD (1u << 1)
/** Range flag: keep a dirty bitmap (guest_region_test_and_clear_dirty()). */
#define GUEST_MEMORY_MMAP_DIRTY_LOG (1u << 2)

/**
 * struct GuestMemoryMmapRange - one range of a GuestMemoryMmap.
 * @addr: guest address of the first byte.
 * @size: bytes, not 0; @addr + @size may reach 2^64 but not pass it.
 * @fd: file to map (MAP_SHARED; duplicated, the caller keeps its own), or
 *      -1 for anonymous memory (or a new memfd with
 *      GUEST_MEMORY_MMAP_MEMFD).
 * @fd_offset: offset of the range in @fd, page-aligned.
 * @flags: GUEST_MEMORY_MMAP_* flags.
 */
typedef struct GuestMemoryMmapRange {
    hwaddr addr;
    uint64_t size;
    int fd;
    uint64_t fd_offset;
    unsigned flags;
} GuestMemoryMmapRange;

/**
 * guest_memory_mmap_new() - Map a list of ranges.
 * @ranges: the ranges, in any order (copied).
 * @nr: number of ranges (0 gives an empty memory).
 * @big_endian: the target byte order (DEVICE_NATIVE_ENDIAN).
 * @errp: error return: ADDRSPACE_ERROR_OVERLAP for overlapping ranges,
 *        ADDRSPACE_ERROR_OVERFLOW for a range past 2^64 or larger than the
 *        host can map, ADDRSPACE_ERROR_INVALID for size 0 or bad flags,
 *        ADDRSPACE_ERROR_OS (with strerror) when the OS refuses.
 *
 * Context: any thread.
 * Return: the memory, or NULL (nothing mapped).
 */
GuestMemoryMmap *guest_memory_mmap_new(const GuestMemoryMmapRange *ranges,
                                       size_t nr, bool big_endian,
                                       GError **errp);

/**
 * guest_memory_mmap_free() - Unmap everything and free @m.
 * @m: the memory, or NULL.
 *
 * The caller ensures no access to @m runs or starts; mappings are released
 * after a grace period (drain_call_rcu() waits for that).
 */
void guest_memory_mmap_free(GuestMemoryMmap *m);

/**
 * guest_memory_mmap_memory() - The GuestMemory of @m.
 * @m: the memory.
 * Return: its GuestMemory header (valid until guest_memory_mmap_free();
 * guest_memory_put() on it does nothing).
 */
GuestMemory *guest_memory_mmap_memory(GuestMemoryMmap *m);

/**
 * guest_memory_mmap_add_range() - Hot-plug a range.
 * @m: the memory.
 * @range: the range (as for guest_memory_mmap_new()).
 * @errp: error return (as guest_memory_mmap_new()).
 *
 * Publishes a new region table; accesses already running keep the old
 * one. Changes are serialised by a lock inside @m.
 * Context: a registered thread, outside a read-side section.
 * Return: true on success; on failure @m is unchanged.
 */
bool guest_memory_mmap_add_range(GuestMemoryMmap *m,
                                 const GuestMemoryMmapRange *range,
                                 GError **errp);

/**
 * guest_memory_mmap_remove_range() - Hot-unplug the range that starts at
 * @addr.
 * @m: the memory.
 * @addr: first address of a range.
 * @errp: error return (ADDRSPACE_ERROR_NOT_FOUND).
 *
 * Publishes a new table without it; the mapping is released after a grace
 * period, so readers that found it can finish.
 * Context: any thread, outside a read-side section.
 * Return: true on success.
 */
bool guest_memory_mmap_remove_range(GuestMemoryMmap *m, hwaddr addr,
                                    GError **errp);

ADDRSPACE_END_DECLS

/* the inline wrappers (static/guest-memory-inline.h) come at the end of
 * flatview.h: a FlatView's typed loads search its index inline */
#include <addrspace/flatview.h>

#endif /* ADDRSPACE_GUEST_MEMORY_H */
