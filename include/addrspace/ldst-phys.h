/* SPDX-License-Identifier: MIT */
/**
 * @file ldst-phys.h
 * @brief QEMU's ld*_phys / st*_phys shorthands: typed loads and stores with
 * unspecified attributes and no result (QEMU's memory_ldst_phys.h.inc).
 *
 * Each is exactly the address_space_ld* / st* function of the same width
 * and byte order called with MEMTXATTRS_UNSPECIFIED and a NULL result, so
 * every rule of those applies (never split, holes read as 0 and drop
 * writes, MMIO through the dispatcher). The `_cached` forms do the same on
 * a MemoryRegionCache with the address_space_*_cached functions; their
 * address is an offset in the cached range, as in QEMU.
 *
 * The forms without _le/_be (lduw_phys, ldl_phys, ldq_phys, stw_phys,
 * stl_phys, stq_phys and their _cached forms) use the target byte order;
 * QEMU declares them only for target-specific code (its cpu-all.h), here
 * the target order is the AddressSpace's runtime property
 * (address_space_set_big_endian()).
 *
 * Context: any registered thread, as the functions they call.
 */
#ifndef ADDRSPACE_LDST_PHYS_H
#define ADDRSPACE_LDST_PHYS_H

#include <addrspace/address-space.h>

ADDRSPACE_BEGIN_DECLS

/* ---- On an AddressSpace ---- */

/**
 * ldub_phys() - Load a byte: address_space_ldub() with unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
static inline uint8_t ldub_phys(AddressSpace *as, hwaddr addr)
{
    return address_space_ldub(as, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * lduw_phys() - Load 16 bits, target order: address_space_lduw() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
static inline uint16_t lduw_phys(AddressSpace *as, hwaddr addr)
{
    return address_space_lduw(as, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * lduw_le_phys() - Load 16 bits, little endian: address_space_lduw_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
static inline uint16_t lduw_le_phys(AddressSpace *as, hwaddr addr)
{
    return address_space_lduw_le(as, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * lduw_be_phys() - Load 16 bits, big endian: address_space_lduw_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
static inline uint16_t lduw_be_phys(AddressSpace *as, hwaddr addr)
{
    return address_space_lduw_be(as, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * ldl_phys() - Load 32 bits, target order: address_space_ldl() with unspecified
 * attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
static inline uint32_t ldl_phys(AddressSpace *as, hwaddr addr)
{
    return address_space_ldl(as, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * ldl_le_phys() - Load 32 bits, little endian: address_space_ldl_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
static inline uint32_t ldl_le_phys(AddressSpace *as, hwaddr addr)
{
    return address_space_ldl_le(as, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * ldl_be_phys() - Load 32 bits, big endian: address_space_ldl_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
static inline uint32_t ldl_be_phys(AddressSpace *as, hwaddr addr)
{
    return address_space_ldl_be(as, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * ldq_phys() - Load 64 bits, target order: address_space_ldq() with unspecified
 * attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
static inline uint64_t ldq_phys(AddressSpace *as, hwaddr addr)
{
    return address_space_ldq(as, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * ldq_le_phys() - Load 64 bits, little endian: address_space_ldq_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
static inline uint64_t ldq_le_phys(AddressSpace *as, hwaddr addr)
{
    return address_space_ldq_le(as, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * ldq_be_phys() - Load 64 bits, big endian: address_space_ldq_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
static inline uint64_t ldq_be_phys(AddressSpace *as, hwaddr addr)
{
    return address_space_ldq_be(as, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stb_phys() - Store a byte: address_space_stb() with unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
static inline void stb_phys(AddressSpace *as, hwaddr addr, uint8_t val)
{
    address_space_stb(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stw_phys() - Store 16 bits, target order: address_space_stw() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
static inline void stw_phys(AddressSpace *as, hwaddr addr, uint16_t val)
{
    address_space_stw(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stw_le_phys() - Store 16 bits, little endian: address_space_stw_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
static inline void stw_le_phys(AddressSpace *as, hwaddr addr, uint16_t val)
{
    address_space_stw_le(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stw_be_phys() - Store 16 bits, big endian: address_space_stw_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
static inline void stw_be_phys(AddressSpace *as, hwaddr addr, uint16_t val)
{
    address_space_stw_be(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stl_phys() - Store 32 bits, target order: address_space_stl() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
static inline void stl_phys(AddressSpace *as, hwaddr addr, uint32_t val)
{
    address_space_stl(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stl_le_phys() - Store 32 bits, little endian: address_space_stl_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
static inline void stl_le_phys(AddressSpace *as, hwaddr addr, uint32_t val)
{
    address_space_stl_le(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stl_be_phys() - Store 32 bits, big endian: address_space_stl_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
static inline void stl_be_phys(AddressSpace *as, hwaddr addr, uint32_t val)
{
    address_space_stl_be(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stq_phys() - Store 64 bits, target order: address_space_stq() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
static inline void stq_phys(AddressSpace *as, hwaddr addr, uint64_t val)
{
    address_space_stq(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stq_le_phys() - Store 64 bits, little endian: address_space_stq_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
static inline void stq_le_phys(AddressSpace *as, hwaddr addr, uint64_t val)
{
    address_space_stq_le(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stq_be_phys() - Store 64 bits, big endian: address_space_stq_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
static inline void stq_be_phys(AddressSpace *as, hwaddr addr, uint64_t val)
{
    address_space_stq_be(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/* ---- On a MemoryRegionCache (address_space_cache_init()) ---- */

/**
 * ldub_phys_cached() - Load a byte: address_space_ldub_cached() with
 * unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
static inline uint8_t ldub_phys_cached(MemoryRegionCache *cache, hwaddr addr)
{
    return address_space_ldub_cached(cache, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * lduw_phys_cached() - Load 16 bits, target order: address_space_lduw_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
static inline uint16_t lduw_phys_cached(MemoryRegionCache *cache, hwaddr addr)
{
    return address_space_lduw_cached(cache, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * lduw_le_phys_cached() - Load 16 bits, little endian:
 * address_space_lduw_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
static inline uint16_t lduw_le_phys_cached(MemoryRegionCache *cache,
                                           hwaddr addr)
{
    return address_space_lduw_le_cached(cache, addr, MEMTXATTRS_UNSPECIFIED,
                                        NULL);
}

/**
 * lduw_be_phys_cached() - Load 16 bits, big endian:
 * address_space_lduw_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
static inline uint16_t lduw_be_phys_cached(MemoryRegionCache *cache,
                                           hwaddr addr)
{
    return address_space_lduw_be_cached(cache, addr, MEMTXATTRS_UNSPECIFIED,
                                        NULL);
}

/**
 * ldl_phys_cached() - Load 32 bits, target order: address_space_ldl_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
static inline uint32_t ldl_phys_cached(MemoryRegionCache *cache, hwaddr addr)
{
    return address_space_ldl_cached(cache, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * ldl_le_phys_cached() - Load 32 bits, little endian:
 * address_space_ldl_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
static inline uint32_t ldl_le_phys_cached(MemoryRegionCache *cache, hwaddr addr)
{
    return address_space_ldl_le_cached(cache, addr, MEMTXATTRS_UNSPECIFIED,
                                       NULL);
}

/**
 * ldl_be_phys_cached() - Load 32 bits, big endian:
 * address_space_ldl_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
static inline uint32_t ldl_be_phys_cached(MemoryRegionCache *cache, hwaddr addr)
{
    return address_space_ldl_be_cached(cache, addr, MEMTXATTRS_UNSPECIFIED,
                                       NULL);
}

/**
 * ldq_phys_cached() - Load 64 bits, target order: address_space_ldq_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
static inline uint64_t ldq_phys_cached(MemoryRegionCache *cache, hwaddr addr)
{
    return address_space_ldq_cached(cache, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * ldq_le_phys_cached() - Load 64 bits, little endian:
 * address_space_ldq_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
static inline uint64_t ldq_le_phys_cached(MemoryRegionCache *cache, hwaddr addr)
{
    return address_space_ldq_le_cached(cache, addr, MEMTXATTRS_UNSPECIFIED,
                                       NULL);
}

/**
 * ldq_be_phys_cached() - Load 64 bits, big endian:
 * address_space_ldq_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
static inline uint64_t ldq_be_phys_cached(MemoryRegionCache *cache, hwaddr addr)
{
    return address_space_ldq_be_cached(cache, addr, MEMTXATTRS_UNSPECIFIED,
                                       NULL);
}

/**
 * stb_phys_cached() - Store a byte: address_space_stb_cached() with unspecified
 * attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
static inline void stb_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                                   uint8_t val)
{
    address_space_stb_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stw_phys_cached() - Store 16 bits, target order: address_space_stw_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
static inline void stw_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                                   uint16_t val)
{
    address_space_stw_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stw_le_phys_cached() - Store 16 bits, little endian:
 * address_space_stw_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
static inline void stw_le_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                                      uint16_t val)
{
    address_space_stw_le_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stw_be_phys_cached() - Store 16 bits, big endian:
 * address_space_stw_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
static inline void stw_be_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                                      uint16_t val)
{
    address_space_stw_be_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stl_phys_cached() - Store 32 bits, target order: address_space_stl_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
static inline void stl_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                                   uint32_t val)
{
    address_space_stl_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stl_le_phys_cached() - Store 32 bits, little endian:
 * address_space_stl_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
static inline void stl_le_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                                      uint32_t val)
{
    address_space_stl_le_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stl_be_phys_cached() - Store 32 bits, big endian:
 * address_space_stl_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
static inline void stl_be_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                                      uint32_t val)
{
    address_space_stl_be_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stq_phys_cached() - Store 64 bits, target order: address_space_stq_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
static inline void stq_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                                   uint64_t val)
{
    address_space_stq_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stq_le_phys_cached() - Store 64 bits, little endian:
 * address_space_stq_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
static inline void stq_le_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                                      uint64_t val)
{
    address_space_stq_le_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

/**
 * stq_be_phys_cached() - Store 64 bits, big endian:
 * address_space_stq_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
static inline void stq_be_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                                      uint64_t val)
{
    address_space_stq_be_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_LDST_PHYS_H */
