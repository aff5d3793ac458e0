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

/**
 * AddressSpaceGroup - private: the AddressSpaces that share one root region
 * and its published FlatView pointer (memory/address-space.c).
 */
typedef struct AddressSpaceGroup AddressSpaceGroup;

/**
 * struct AddressSpace - caller-allocated address space; fields private.
 */
struct AddressSpace {
    /** @priv: private state. */
    struct {
        uint32_t magic;
        bool big_endian;
        char *name;
        MemoryRegion *root;
        AddressSpaceGroup *group;
        AddressSpace *group_next;
        AddressSpace *group_prev;
        uint64_t seq;
        GList *listeners;
        void *bounce;
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
 * QEMU's flatview_read: RAM is copied; MMIO is split into naturally aligned
 * chunks of at most valid.max_access_size bytes, each given to the region
 * that decodes its first byte (never past that region's end: beyond QEMU);
 * holes read as 0 with MEMTX_DECODE_ERROR. The loop continues after an
 * error and ORs the results. With @attrs.memory, non-RAM targets give
 * MEMTX_ACCESS_ERROR (and zeros, where QEMU leaves @buf untouched). Bytes
 * past the top of the 2^64 space are a hole, never a wrap.
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
 * Return: true when valid.
 */
bool address_space_access_valid(AddressSpace *as, hwaddr addr, hwaddr len,
                                bool is_write, MemTxAttrs attrs);

/*
 * Typed loads and stores. The un-suffixed forms use the AddressSpace's
 * target byte order, _le and _be the named one. They are never split (QEMU):
 * an access wider than a device's valid.max_access_size fails with
 * MEMTX_DECODE_ERROR, and one that runs past the end of a RAM section goes
 * whole to that section's region, which refuses it (MEMTX_DECODE_ERROR,
 * value 0). Aligned RAM accesses are single atomic accesses. Like QEMU,
 * attrs.memory is not checked here. @result may be NULL.
 * Context: any registered thread.
 */

/** address_space_ldub() - Load a byte. @as: address space. @addr: address.
 * @attrs: attributes. @result: result or NULL. Return: the value. */
uint8_t address_space_ldub(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result);
/** address_space_lduw() - Load 16 bits, target order. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
uint16_t address_space_lduw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                            MemTxResult *result);
/** address_space_lduw_le() - Load 16 bits, little endian. @as: address
 * space. @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
uint16_t address_space_lduw_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                               MemTxResult *result);
/** address_space_lduw_be() - Load 16 bits, big endian. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
uint16_t address_space_lduw_be(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                               MemTxResult *result);
/** address_space_ldl() - Load 32 bits, target order. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
uint32_t address_space_ldl(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result);
/** address_space_ldl_le() - Load 32 bits, little endian. @as: address
 * space. @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result);
/** address_space_ldl_be() - Load 32 bits, big endian. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
uint32_t address_space_ldl_be(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result);
/** address_space_ldq() - Load 64 bits, target order. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
uint64_t address_space_ldq(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result);
/** address_space_ldq_le() - Load 64 bits, little endian. @as: address
 * space. @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result);
/** address_space_ldq_be() - Load 64 bits, big endian. @as: address space.
 * @addr: address. @attrs: attributes. @result: result or NULL.
 * Return: the value. */
uint64_t address_space_ldq_be(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result);
/** address_space_stb() - Store a byte. @as: address space. @addr: address.
 * @val: value. @attrs: attributes. @result: result or NULL. */
void address_space_stb(AddressSpace *as, hwaddr addr, uint8_t val,
                       MemTxAttrs attrs, MemTxResult *result);
/** address_space_stw() - Store 16 bits, target order. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
void address_space_stw(AddressSpace *as, hwaddr addr, uint16_t val,
                       MemTxAttrs attrs, MemTxResult *result);
/** address_space_stw_le() - Store 16 bits, little endian. @as: address
 * space. @addr: address. @val: value. @attrs: attributes. @result: result
 * or NULL. */
void address_space_stw_le(AddressSpace *as, hwaddr addr, uint16_t val,
                          MemTxAttrs attrs, MemTxResult *result);
/** address_space_stw_be() - Store 16 bits, big endian. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
void address_space_stw_be(AddressSpace *as, hwaddr addr, uint16_t val,
                          MemTxAttrs attrs, MemTxResult *result);
/** address_space_stl() - Store 32 bits, target order. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
void address_space_stl(AddressSpace *as, hwaddr addr, uint32_t val,
                       MemTxAttrs attrs, MemTxResult *result);
/** address_space_stl_le() - Store 32 bits, little endian. @as: address
 * space. @addr: address. @val: value. @attrs: attributes. @result: result
 * or NULL. */
void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t val,
                          MemTxAttrs attrs, MemTxResult *result);
/** address_space_stl_be() - Store 32 bits, big endian. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
void address_space_stl_be(AddressSpace *as, hwaddr addr, uint32_t val,
                          MemTxAttrs attrs, MemTxResult *result);
/** address_space_stq() - Store 64 bits, target order. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
void address_space_stq(AddressSpace *as, hwaddr addr, uint64_t val,
                       MemTxAttrs attrs, MemTxResult *result);
/** address_space_stq_le() - Store 64 bits, little endian. @as: address
 * space. @addr: address. @val: value. @attrs: attributes. @result: result
 * or NULL. */
void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t val,
                          MemTxAttrs attrs, MemTxResult *result);
/** address_space_stq_be() - Store 64 bits, big endian. @as: address space.
 * @addr: address. @val: value. @attrs: attributes. @result: result or
 * NULL. */
void address_space_stq_be(AddressSpace *as, hwaddr addr, uint64_t val,
                          MemTxAttrs attrs, MemTxResult *result);

#endif /* ADDRSPACE_ADDRESS_SPACE_H */
