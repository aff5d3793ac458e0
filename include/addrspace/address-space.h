/* SPDX-License-Identifier: MIT */
/**
 * @file address-space.h
 * @brief AddressSpaces: the view of a region tree that accesses go through.
 *
 * An AddressSpace has a root region and serves accesses through the
 * FlatView rendered from it. All AddressSpaces with the same effective root
 * share one FlatView. The target byte order (used by DEVICE_NATIVE_ENDIAN
 * devices and the un-suffixed typed accesses) is a runtime property,
 * little endian by default.
 */
#ifndef ADDRSPACE_ADDRESS_SPACE_H
#define ADDRSPACE_ADDRESS_SPACE_H

#include <addrspace/flatview.h>

ADDRSPACE_BEGIN_DECLS

/**
 * AddressSpaceGroup - private: the AddressSpaces that share one root region
 * and its published FlatView pointer (memory/address-space.c).
 */
typedef struct AddressSpaceGroup AddressSpaceGroup;

/**
 * AddressSpaceHookList - private: the hooks of an AddressSpace
 * (memory/hooks.c), RCU-published; NULL when it has none.
 */
typedef struct AddressSpaceHookList AddressSpaceHookList;

/**
 * struct AddressSpace - caller-allocated address space; fields private.
 *
 * Using an AddressSpace that is not initialised (zero-filled storage
 * before address_space_init() succeeded on it, or after
 * address_space_destroy(), which zero-fills it) is a caller bug. Beyond
 * QEMU, which dereferences a NULL view, no call crashes on it: accesses
 * answer as for a hole (MEMTX_DECODE_ERROR, reads give 0; translate gives
 * the unassigned region, address_space_access_valid() false,
 * address_space_map() NULL with length 0, address_space_cache_init() -1,
 * address_space_to_flatview() an empty view), the map-client and bounce
 * buffer calls do nothing, and one critical message per process names the
 * first function that met such an AddressSpace. The same for the
 * target_as an IOMMU's translate callback returns: the access is refused
 * as unassigned and one critical message per process names the IOMMU
 * region. Storage that was never zero-filled, and a NULL @as given to the
 * inline typed loads and stores, remain undefined.
 */
struct AddressSpace {
    /** @priv: private state. */
    struct {
        uint32_t magic;
        bool big_endian;
        char *name;
        MemoryRegion *root;
        AddressSpaceGroup *group;
        /* where the group publishes its view's index, as its distance
         * from address_space_no_index_slot (0 in zero-filled storage) */
        uintptr_t index_slot_rel;
        AddressSpace *group_next;
        AddressSpace *group_prev;
        uint64_t seq;
        GList *listeners;
        void *bounce;
        AddressSpaceHookList *hooks;
    } priv;
};

/**
 * address_space_init() - Initialise an AddressSpace over @root.
 * @as: zero-filled storage, caller-owned.
 * @root: the root region (takes a reference on its owner).
 * @name: name (copied), printed by mtree_info().
 * @errp: error return.
 *
 * The view is available at once (rendered now, or shared with another
 * AddressSpace of the same effective root). Takes the update lock.
 * Return: true on success.
 */
bool address_space_init(AddressSpace *as, MemoryRegion *root, const char *name,
                        GError **errp);

/**
 * address_space_destroy() - Tear down an AddressSpace.
 * @as: an initialised address space.
 *
 * Its view reference is dropped after a grace period. The caller must not
 * run accesses on @as concurrently with or after this call; the storage
 * may be reused once this returns. Takes the update lock.
 */
void address_space_destroy(AddressSpace *as);

/**
 * address_space_name() - The name given at init.
 * @as: the address space.
 * Return: the name (owned by @as).
 */
const char *address_space_name(const AddressSpace *as);

/**
 * address_space_root() - The root given at init.
 * @as: the address space.
 * Return: the root region.
 */
MemoryRegion *address_space_root(const AddressSpace *as);

/**
 * address_space_set_big_endian() - Set the target byte order.
 * @as: the address space.
 * @big_endian: true for a big-endian target.
 *
 * Context: set it before accesses start; concurrent accessors may see
 * either value.
 */
void address_space_set_big_endian(AddressSpace *as, bool big_endian);

/**
 * address_space_is_big_endian() - The target byte order.
 * @as: the address space.
 * Return: true for a big-endian target.
 */
bool address_space_is_big_endian(const AddressSpace *as);

/**
 * address_space_translate() - Find the region that answers @addr.
 * @as: the address space.
 * @addr: the address.
 * @xlat: set to the offset of @addr in the returned region.
 * @plen: in: the access length; out: for RAM, clamped to the bytes that
 *        stay in the section; for MMIO left as is (QEMU: the region that
 *        decodes the first byte takes the whole access).
 * @is_write: the direction (for IOMMU permissions).
 * @attrs: the attributes.
 *
 * Context: inside a read-side section; the region stays valid until it
 * ends (take memory_region_ref() to keep it longer).
 * Return: the region; for a hole, the library's "unassigned" region.
 */
MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr,
                                      hwaddr *xlat, hwaddr *plen, bool is_write,
                                      MemTxAttrs attrs);

/**
 * address_space_read() - Read @len bytes at @addr into @buf.
 * @as: the address space.
 * @addr: the first address.
 * @attrs: the attributes.
 * @buf: destination.
 * @len: bytes.
 *
 * QEMU 7.2's flatview_read_continue(): RAM is copied up to the end of its
 * section; anything else goes in chunks of memory_access_size(): the
 * largest power of two not above the bytes left, valid.max_access_size
 * (0 means 4; at most 8 here, where QEMU aborts) and, unless
 * impl.unaligned, the alignment of the region offset. A chunk goes whole
 * to the region that decodes its first byte, even where that region's
 * section, the region itself or the space (2^64, then the access wraps to
 * address 0) ends sooner, as in QEMU; with
 * memory_region_enable_bounds_check() never past that region's end. Holes
 * are chunked the same way (at most 4 bytes, aligned) without regard to
 * what follows: a hole just below a region that does not start 4-aligned
 * swallows that region's first bytes, as in QEMU. Holes read as 0 with MEMTX_DECODE_ERROR. The loop continues after an
 * error and ORs the results. With @attrs.memory, non-RAM targets give
 * MEMTX_ACCESS_ERROR and leave those bytes of @buf untouched, as QEMU does.
 * An access running past the top of the 2^64 space wraps to address 0, as
 * QEMU 7.2's loop does.
 * Context: any registered thread (takes its own read-side section).
 * Return: the OR of the results.
 */
MemTxResult address_space_read(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                               void *buf, hwaddr len);

/**
 * address_space_write() - Write @len bytes from @buf at @addr.
 * @as: the address space.
 * @addr: the first address.
 * @attrs: the attributes.
 * @buf: source.
 * @len: bytes.
 *
 * As address_space_read(). Writes to ROM are dropped with
 * MEMTX_DECODE_ERROR (QEMU 7.2). Like QEMU, only the RAM region's own
 * read-only flag refuses a write: a write through a read-only alias or
 * container to writable RAM is performed (section.readonly is for CPU
 * TLBs and listeners). Writes to RAM mark it dirty.
 * Context: any registered thread.
 * Return: the OR of the results.
 */
MemTxResult address_space_write(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                                const void *buf, hwaddr len);

/**
 * address_space_rw() - address_space_read() or address_space_write().
 * @as: the address space.
 * @addr: the first address.
 * @attrs: the attributes.
 * @buf: buffer.
 * @len: bytes.
 * @is_write: the direction.
 * Return: the OR of the results.
 */
MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                             void *buf, hwaddr len, bool is_write);

/**
 * address_space_access_valid() - Whether an access would be accepted
 * (no hole, every MMIO chunk accepted by its region's valid rules).
 * @as: the address space.
 * @addr: the first address.
 * @len: bytes.
 * @is_write: the direction.
 * @attrs: the attributes.
 *
 * QEMU 7.2's flatview_access_valid(): the chunks address_space_read/write
 * would make (see there), each MMIO chunk checked as
 * memory_region_access_valid() does, RAM accepted, holes, ROM writes and
 * reservations refused. As in QEMU, an MMIO chunk's size is bounded by the
 * alignment of its address-space address (not its region offset), and a
 * range that starts in a ROM device in romd mode is accepted to its end
 * for reads. The cost grows with the number of sections the range
 * crosses, not with its length, except over regions with
 * valid.accepts: that is asked for every chunk, as in QEMU (under the big
 * lock), so the cost there is proportional to the bytes such regions
 * cover divided by their chunk size.
 * Return: true when valid.
 */
bool address_space_access_valid(AddressSpace *as, hwaddr addr, hwaddr len,
                                bool is_write, MemTxAttrs attrs);

/**
 * address_space_write_rom() - Write @len bytes from @buf at @addr into
 * RAM-backed memory, ROM included: QEMU's loader write (ROM images,
 * firmware blobs, ROM-device contents).
 * @as: the address space.
 * @addr: the first address.
 * @attrs: the attributes (used for IOMMU translation, as a write).
 * @buf: source.
 * @len: bytes.
 *
 * QEMU 7.2's address_space_write_rom(): each part of the range that lands
 * in RAM, ROM, a RAM device (memory_region_init_ram_device_ptr()) or a ROM
 * device in romd mode is copied directly into the region's memory, the
 * region's and its aliases' and containers' read-only flags ignored, and
 * the pages are marked dirty for every client the region logs now. Parts
 * that land in MMIO (a ROM device in MMIO mode included), reservations or
 * holes are skipped without any callback, in QEMU's chunks (as a buffer
 * access would cut them). Unlike QEMU, a part in a romd ROM device stops
 * at the end of the device's memory (QEMU copies the whole rest of the
 * range there, past the end). Past the top of the 2^64 space it wraps to
 * address 0, as QEMU does.
 * Context: any registered thread.
 * Return: MEMTX_OK, always (QEMU's result: skipped parts are not errors).
 */
MemTxResult address_space_write_rom(AddressSpace *as, hwaddr addr,
                                    MemTxAttrs attrs, const void *buf,
                                    hwaddr len);

/**
 * address_space_set() - Fill @len bytes at @addr with the byte @c.
 * @as: the address space.
 * @addr: the first address.
 * @c: the fill byte.
 * @len: bytes.
 * @attrs: the attributes.
 *
 * QEMU 7.2's address_space_set(): address_space_write() of a buffer of
 * @c, 512 bytes at a time, so MMIO sees the same callbacks as 512-byte
 * writes would give, and ROM, holes and refused parts are reported as
 * address_space_write() reports them while the rest is written.
 * Context: any registered thread.
 * Return: the OR of the results of the writes.
 */
MemTxResult address_space_set(AddressSpace *as, hwaddr addr, uint8_t c,
                              hwaddr len, MemTxAttrs attrs);

#include <addrspace/static/access-inline.h>
#include <addrspace/static/typed-table.h>

/*
 * Typed loads and stores. The un-suffixed forms use the AddressSpace's
 * target byte order, _le and _be the named one. They are never split (QEMU):
 * an access wider than a device's valid.max_access_size fails with
 * MEMTX_DECODE_ERROR, and one that runs past the end of a RAM section goes
 * whole to that section's region, which refuses it (MEMTX_DECODE_ERROR,
 * value 0). Aligned RAM accesses are single atomic accesses. Like QEMU,
 * attrs.memory is not checked here. @result may be NULL.
 * An MMIO access that passes its region's end calls the device with the
 * bytes past it, as in QEMU (refused with MEMTX_DECODE_ERROR, no callback,
 * where the region called memory_region_enable_bounds_check()); a romd read
 * past the ROM device's RAM is refused (QEMU reads past the RAM block).
 * Context: any registered thread. RAM accesses run inline (a lookup, a
 * bounds check and one host access), and so do MMIO accesses that need no
 * dispatch planning (aligned, a size the ops take whole or in impl-sized
 * pieces, outside any device callback, a region without the big lock and
 * without a region lock): the callbacks are called from the caller's
 * frame. Everything else goes out of line.
 */

/* The family's generators (static/typed-table.h): one function a row. */
#define ADDRSPACE_AS_LD_(ld, st, type, size, order)                           \
    static inline type address_space_##ld(                                    \
        AddressSpace *as, hwaddr addr, MemTxAttrs attrs, MemTxResult *result) \
    {                                                                         \
        return (type)address_space_ld_inline(as, addr, size, order, attrs,    \
                                             result);                         \
    }
#define ADDRSPACE_AS_ST_(ld, st, type, size, order)                         \
    static inline void address_space_##st(AddressSpace *as, hwaddr addr,    \
                                          type val, MemTxAttrs attrs,       \
                                          MemTxResult *result)              \
    {                                                                       \
        address_space_st_inline(as, addr, size, val, order, attrs, result); \
    }

/** address_space_ldub() - Load a byte. @as: address space. @addr: address.
 * @attrs: attributes. @result: result or NULL. Return: the value. */
ADDRSPACE_TYPED_UB_(ADDRSPACE_AS_LD_)
/** address_space_lduw() - Load 16 bits, target order. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_UW_(ADDRSPACE_AS_LD_)
/** address_space_lduw_le() - Load 16 bits, little endian. @as: address
 * space. @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_UW_LE_(ADDRSPACE_AS_LD_)
/** address_space_lduw_be() - Load 16 bits, big endian. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_UW_BE_(ADDRSPACE_AS_LD_)
/** address_space_ldl() - Load 32 bits, target order. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_L_(ADDRSPACE_AS_LD_)
/** address_space_ldl_le() - Load 32 bits, little endian. @as: address
 * space. @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_L_LE_(ADDRSPACE_AS_LD_)
/** address_space_ldl_be() - Load 32 bits, big endian. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_L_BE_(ADDRSPACE_AS_LD_)
/** address_space_ldq() - Load 64 bits, target order. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_Q_(ADDRSPACE_AS_LD_)
/** address_space_ldq_le() - Load 64 bits, little endian. @as: address
 * space. @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_Q_LE_(ADDRSPACE_AS_LD_)
/** address_space_ldq_be() - Load 64 bits, big endian. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_Q_BE_(ADDRSPACE_AS_LD_)
/** address_space_stb() - Store a byte. @as: address space. @addr: address.
 * @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_UB_(ADDRSPACE_AS_ST_)
/** address_space_stw() - Store 16 bits, target order. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
ADDRSPACE_TYPED_UW_(ADDRSPACE_AS_ST_)
/** address_space_stw_le() - Store 16 bits, little endian. @as: address
 * space. @addr: address. @val: value. @attrs: attributes. @result: result
 * or NULL. */
ADDRSPACE_TYPED_UW_LE_(ADDRSPACE_AS_ST_)
/** address_space_stw_be() - Store 16 bits, big endian. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
ADDRSPACE_TYPED_UW_BE_(ADDRSPACE_AS_ST_)
/** address_space_stl() - Store 32 bits, target order. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
ADDRSPACE_TYPED_L_(ADDRSPACE_AS_ST_)
/** address_space_stl_le() - Store 32 bits, little endian. @as: address
 * space. @addr: address. @val: value. @attrs: attributes. @result: result
 * or NULL. */
ADDRSPACE_TYPED_L_LE_(ADDRSPACE_AS_ST_)
/** address_space_stl_be() - Store 32 bits, big endian. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
ADDRSPACE_TYPED_L_BE_(ADDRSPACE_AS_ST_)
/** address_space_stq() - Store 64 bits, target order. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
ADDRSPACE_TYPED_Q_(ADDRSPACE_AS_ST_)
/** address_space_stq_le() - Store 64 bits, little endian. @as: address
 * space. @addr: address. @val: value. @attrs: attributes. @result: result
 * or NULL. */
ADDRSPACE_TYPED_Q_LE_(ADDRSPACE_AS_ST_)
/** address_space_stq_be() - Store 64 bits, big endian. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
ADDRSPACE_TYPED_Q_BE_(ADDRSPACE_AS_ST_)

/*
 * ---------------------------------------------------------------------
 * Mapping (address_space_map / address_space_unmap) and MemoryRegionCache.
 * Implemented in memory/map.c and memory/cache.c.
 * ---------------------------------------------------------------------
 */

/**
 * ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE - default bound, in bytes, of the bounce
 * buffers that one AddressSpace may have outstanding at a time (QEMU's
 * DEFAULT_MAX_BOUNCE_BUFFER_SIZE).
 */
#define ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE 4096

/**
 * address_space_map() - Map a guest range for direct access by the host.
 * @as: the address space.
 * @addr: the first address.
 * @plen: in: the wanted length; out: the length actually mapped, which may
 *        be shorter (0 when nothing was mapped).
 * @is_write: true when the caller will write to the buffer, false when it
 *            will read from it (never both: no read-modify-write).
 * @attrs: the attributes, used for the bounce-buffer read at map time and
 *         the write-back at unmap time (QEMU uses unspecified attributes
 *         there; we keep the caller's).
 *
 * QEMU's address_space_map(). When @addr is in memory that is directly
 * accessible in this direction (RAM; ROM and romd ROM devices for reads),
 * the result points into that memory and *@plen is clamped to the run of
 * sections that belong to the same region with contiguous offsets. The
 * mapping holds a reference on the region's owner until
 * address_space_unmap(), so the memory stays valid even if the region is
 * removed from the tree meanwhile (accesses then reach the old memory).
 *
 * Otherwise (MMIO, ROM device in MMIO mode, writes to ROM, holes) the
 * result is a bounce buffer of at most the AddressSpace's bounce limit
 * (ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE unless changed with
 * address_space_set_max_bounce_buffer_size()) shared by all outstanding
 * bounce mappings of @as. For reads it is filled with address_space_read()
 * now (holes read as zeros, as in QEMU); for writes its contents are
 * written with address_space_write() at unmap. When the limit is used up,
 * NULL is returned with *@plen = 0; register a map client to learn when to
 * retry. A guest-chosen length never causes a larger allocation; a bounce
 * buffer the host cannot allocate (a limit raised very high) also gives
 * NULL with *@plen = 0, and the limit's budget is left as it was.
 *
 * Context: any registered thread; concurrent calls on the same @as are
 * allowed.
 * Return: the host pointer, or NULL when *@plen is 0 on entry, no bounce
 * space is left or the bounce buffer cannot be allocated (then *@plen is
 * set to 0).
 */
void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen,
                        bool is_write, MemTxAttrs attrs);

/**
 * address_space_unmap() - Release a mapping made by address_space_map().
 * @as: the address space given to address_space_map().
 * @buffer: the pointer address_space_map() returned.
 * @len: the length address_space_map() returned in *plen (informational).
 * @is_write: the direction given to address_space_map().
 * @access_len: bytes actually written (from the start of @buffer); for a
 *              bounce buffer of a write mapping, exactly these bytes are
 *              written back (clamped to the mapped length).
 *
 * For a direct mapping with @is_write, marks the pages of the first
 * @access_len bytes dirty. Drops the mapping's reference on the region;
 * frees a bounce buffer and then calls every registered map client (once
 * each; they are removed), outside the library's locks. A @buffer that is
 * not a live mapping of @as is ignored (QEMU asserts). Mappings never
 * unmapped are released by address_space_destroy().
 * Context: any registered thread.
 */
void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len,
                         bool is_write, hwaddr access_len);

/**
 * typedef AddressSpaceMapClientFunc - callback of a map client.
 * @opaque: the pointer given at registration.
 *
 * Called once, in the thread that freed bounce space (from
 * address_space_unmap()) or in the registering thread, with no library
 * lock held. It may call address_space_map() and register itself again.
 */
typedef void AddressSpaceMapClientFunc(void *opaque);

/**
 * address_space_register_map_client() - Ask to be called when bounce
 * space of @as is freed (QEMU's address_space_register_map_client()).
 * @as: the address space.
 * @func: the callback.
 * @opaque: passed to @func.
 *
 * The client is removed after it has been called. If bounce space is
 * available right now, @func is called before this function returns
 * (QEMU schedules it at once) and is not kept. @func runs without the
 * library's locks held, on the thread that freed the space; it may map,
 * unmap and (un)register clients, its own registration included; it must
 * not destroy @as. A callback that registers again while space is free is
 * called again at once, recursively: a retry must not re-register
 * unconditionally when its map keeps failing.
 * Context: any registered thread.
 */
void address_space_register_map_client(AddressSpace *as,
                                       AddressSpaceMapClientFunc *func,
                                       void *opaque);

/**
 * address_space_unregister_map_client() - Withdraw a map client that has
 * not been called yet.
 * @as: the address space.
 * @func: the callback given at registration.
 * @opaque: the pointer given at registration.
 *
 * Removes one registration matching @func and @opaque that has not been
 * called yet (none: no effect), then waits until no call of @func(@opaque)
 * is in progress on another thread. After return the removed
 * registration is never called and no call of @func(@opaque) runs on
 * another thread: with a single registration, @opaque may be freed.
 *
 * May be called from inside a map client's callback, for itself or any
 * other client. It then waits for nothing (two callbacks unregistering
 * each other on two threads would wait forever): the registration is
 * withdrawn and a client withdrawn before its turn is not called, but a
 * call of @func(@opaque) already in progress on another thread may still
 * be running, so @opaque must stay valid until that call returns.
 * Context: any registered thread, outside read-side sections; not while
 * holding a lock that a running callback of @func may wait for (it would
 * never return).
 */
void address_space_unregister_map_client(AddressSpace *as,
                                         AddressSpaceMapClientFunc *func,
                                         void *opaque);

/**
 * address_space_set_max_bounce_buffer_size() - Change the bound on the
 * bounce buffers outstanding at a time on @as (QEMU: the
 * x-max-bounce-buffer-size property of PCI devices).
 * @as: the address space.
 * @size: the new bound in bytes; 0 disables bouncing (non-direct maps then
 *        always fail).
 *
 * Mappings already made are kept; a lower bound applies to new maps.
 * Context: any registered thread.
 */
void address_space_set_max_bounce_buffer_size(AddressSpace *as, size_t size);

/**
 * struct MemoryRegionCache - a translation of one range kept for repeated
 * accesses (virtio rings), QEMU's MemoryRegionCache.
 *
 * Caller-allocated; fields private. Initialise with
 * address_space_cache_init() or address_space_cache_init_empty(), release
 * with address_space_cache_destroy(). A zero-filled cache is empty.
 *
 * When the whole range was directly accessible RAM at init (fast path),
 * the cache keeps a host pointer and a reference on the region's owner:
 * the memory stays valid after later topology changes, but accesses keep
 * going to the memory the range had at init (as in QEMU, a user that must
 * follow topology changes re-initialises the cache, e.g. from a memory
 * listener). Otherwise (MMIO, holes, several regions; slow path) each
 * access goes through the AddressSpace with address_space_read/write and
 * the typed loads/stores, so it sees the current topology; the
 * AddressSpace must then outlive the cache.
 */
typedef struct MemoryRegionCache {
    /** @priv: private state. */
    struct {
        uint8_t *ptr;     /* host address of the first byte; NULL: slow */
        AddressSpace *as; /* slow path */
        MemoryRegion *mr; /* fast path; its owner is referenced */
        hwaddr xlat;      /* fast path: offset of the first byte in mr */
        hwaddr addr;
        hwaddr len;
        bool is_write;
        bool direct_write; /* ptr may be written */
        bool big_endian;   /* the target order at init */
    } priv;
} MemoryRegionCache;

/**
 * address_space_cache_init() - Translate [@addr, @addr + @len) of @as once
 * for repeated accesses (QEMU's address_space_cache_init()).
 * @cache: storage, empty (zero-filled, or destroyed).
 * @as: the address space.
 * @addr: the first address.
 * @len: bytes; not 0, and the range must not pass the top of the 2^64
 *       space.
 * @is_write: whether the cache will be written through; the fast path is
 *            used only when the range is directly accessible in every
 *            direction the cache will be used for.
 *
 * Unlike QEMU, the cached length is always @len; a range that is not one
 * contiguous directly accessible run uses the slow path instead of being
 * clamped. On failure @cache is left empty (every access fails with
 * MEMTX_DECODE_ERROR, destroy is a no-op).
 * Context: any registered thread.
 * Return: @len, or -1 when @len is 0 or above INT64_MAX, the range
 * wraps, @cache or @as is NULL, or @as is not initialised (a caller bug,
 * logged as described at struct AddressSpace).
 */
int64_t address_space_cache_init(MemoryRegionCache *cache, AddressSpace *as,
                                 hwaddr addr, hwaddr len, bool is_write);

/**
 * address_space_cache_init_empty() - Make @cache empty (QEMU's
 * address_space_cache_init_empty()): accesses fail with
 * MEMTX_DECODE_ERROR and address_space_cache_destroy() is a no-op.
 * @cache: storage.
 */
void address_space_cache_init_empty(MemoryRegionCache *cache);

/**
 * address_space_cache_destroy() - Release what @cache holds (the
 * reference on the region) and make it empty.
 * @cache: an initialised or empty cache, not used concurrently.
 *
 * Context: any registered thread, also inside a read-side section.
 */
void address_space_cache_destroy(MemoryRegionCache *cache);

/**
 * address_space_read_cached() - Read @len bytes at offset @addr of the
 * cached range into @buf.
 * @cache: the cache.
 * @addr: offset from the start of the cached range.
 * @buf: destination.
 * @len: bytes.
 *
 * An access that does not fit inside the cached range is not performed
 * (QEMU asserts): @buf is zero-filled and MEMTX_DECODE_ERROR returned.
 * Context: any registered thread.
 * Return: the OR of the results (MEMTX_OK on the fast path).
 */
MemTxResult address_space_read_cached(MemoryRegionCache *cache, hwaddr addr,
                                      void *buf, hwaddr len);

/**
 * address_space_write_cached() - Write @len bytes from @buf at offset
 * @addr of the cached range.
 * @cache: the cache.
 * @addr: offset from the start of the cached range.
 * @buf: source.
 * @len: bytes.
 *
 * Out-of-range accesses are dropped with MEMTX_DECODE_ERROR. A cache
 * initialised for reads takes the slow path for writes (so a write to ROM
 * is refused as by address_space_write()).
 * Context: any registered thread.
 * Return: the OR of the results.
 */
MemTxResult address_space_write_cached(MemoryRegionCache *cache, hwaddr addr,
                                       const void *buf, hwaddr len);

/*
 * Typed loads and stores on a cache, at offset @addr of the cached range:
 * the un-suffixed forms use the AddressSpace's target byte order as it was
 * at address_space_cache_init(), _le and _be the named one. Fast path: a bounds check and one (atomic when
 * aligned) host access. Slow path: the address_space_ld / st function of
 * the same name on the AddressSpace. An access that does not fit inside
 * the cached range gives MEMTX_DECODE_ERROR (loads return 0, stores are
 * dropped). @result may be NULL.
 * Context: any registered thread.
 */

/* The family's generators: one declaration a row (memory/cache.c). */
#define ADDRSPACE_AS_LD_CACHED_(ld, st, type, size, order)                  \
    type address_space_##ld##_cached(MemoryRegionCache *cache, hwaddr addr, \
                                     MemTxAttrs attrs, MemTxResult *result);
#define ADDRSPACE_AS_ST_CACHED_(ld, st, type, size, order)                  \
    void address_space_##st##_cached(MemoryRegionCache *cache, hwaddr addr, \
                                     type val, MemTxAttrs attrs,            \
                                     MemTxResult *result);

/** address_space_ldub_cached() - Load a byte. @cache: the cache.
 * @addr: offset. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_UB_(ADDRSPACE_AS_LD_CACHED_)
/** address_space_lduw_cached() - Load 16 bits, target order. @cache: the
 * cache. @addr: offset. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_UW_(ADDRSPACE_AS_LD_CACHED_)
/** address_space_lduw_le_cached() - Load 16 bits, little endian. @cache:
 * the cache. @addr: offset. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_UW_LE_(ADDRSPACE_AS_LD_CACHED_)
/** address_space_lduw_be_cached() - Load 16 bits, big endian. @cache: the
 * cache. @addr: offset. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_UW_BE_(ADDRSPACE_AS_LD_CACHED_)
/** address_space_ldl_cached() - Load 32 bits, target order. @cache: the
 * cache. @addr: offset. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_L_(ADDRSPACE_AS_LD_CACHED_)
/** address_space_ldl_le_cached() - Load 32 bits, little endian. @cache:
 * the cache. @addr: offset. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_L_LE_(ADDRSPACE_AS_LD_CACHED_)
/** address_space_ldl_be_cached() - Load 32 bits, big endian. @cache: the
 * cache. @addr: offset. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_L_BE_(ADDRSPACE_AS_LD_CACHED_)
/** address_space_ldq_cached() - Load 64 bits, target order. @cache: the
 * cache. @addr: offset. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_Q_(ADDRSPACE_AS_LD_CACHED_)
/** address_space_ldq_le_cached() - Load 64 bits, little endian. @cache:
 * the cache. @addr: offset. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_Q_LE_(ADDRSPACE_AS_LD_CACHED_)
/** address_space_ldq_be_cached() - Load 64 bits, big endian. @cache: the
 * cache. @addr: offset. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
ADDRSPACE_TYPED_Q_BE_(ADDRSPACE_AS_LD_CACHED_)
/** address_space_stb_cached() - Store a byte. @cache: the cache.
 * @addr: offset. @val: value. @attrs: attributes. @result: result or
 * NULL. */
ADDRSPACE_TYPED_UB_(ADDRSPACE_AS_ST_CACHED_)
/** address_space_stw_cached() - Store 16 bits, target order. @cache: the
 * cache. @addr: offset. @val: value. @attrs: attributes. @result: result
 * or NULL. */
ADDRSPACE_TYPED_UW_(ADDRSPACE_AS_ST_CACHED_)
/** address_space_stw_le_cached() - Store 16 bits, little endian. @cache:
 * the cache. @addr: offset. @val: value. @attrs: attributes. @result:
 * result or NULL. */
ADDRSPACE_TYPED_UW_LE_(ADDRSPACE_AS_ST_CACHED_)
/** address_space_stw_be_cached() - Store 16 bits, big endian. @cache: the
 * cache. @addr: offset. @val: value. @attrs: attributes. @result: result
 * or NULL. */
ADDRSPACE_TYPED_UW_BE_(ADDRSPACE_AS_ST_CACHED_)
/** address_space_stl_cached() - Store 32 bits, target order. @cache: the
 * cache. @addr: offset. @val: value. @attrs: attributes. @result: result
 * or NULL. */
ADDRSPACE_TYPED_L_(ADDRSPACE_AS_ST_CACHED_)
/** address_space_stl_le_cached() - Store 32 bits, little endian. @cache:
 * the cache. @addr: offset. @val: value. @attrs: attributes. @result:
 * result or NULL. */
ADDRSPACE_TYPED_L_LE_(ADDRSPACE_AS_ST_CACHED_)
/** address_space_stl_be_cached() - Store 32 bits, big endian. @cache: the
 * cache. @addr: offset. @val: value. @attrs: attributes. @result: result
 * or NULL. */
ADDRSPACE_TYPED_L_BE_(ADDRSPACE_AS_ST_CACHED_)
/** address_space_stq_cached() - Store 64 bits, target order. @cache: the
 * cache. @addr: offset. @val: value. @attrs: attributes. @result: result
 * or NULL. */
ADDRSPACE_TYPED_Q_(ADDRSPACE_AS_ST_CACHED_)
/** address_space_stq_le_cached() - Store 64 bits, little endian. @cache:
 * the cache. @addr: offset. @val: value. @attrs: attributes. @result:
 * result or NULL. */
ADDRSPACE_TYPED_Q_LE_(ADDRSPACE_AS_ST_CACHED_)
/** address_space_stq_be_cached() - Store 64 bits, big endian. @cache: the
 * cache. @addr: offset. @val: value. @attrs: attributes. @result: result
 * or NULL. */
ADDRSPACE_TYPED_Q_BE_(ADDRSPACE_AS_ST_CACHED_)

/* --------------------- end of mapping and caches --------------------- */

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_ADDRESS_SPACE_H */
