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

/* The family's generators (static/typed-table.h): one function a row. */
#define ADDRSPACE_LD_PHYS_(ld, st, type, size, order)                      \
    static inline type ld##_phys(AddressSpace *as, hwaddr addr)            \
    {                                                                      \
        return address_space_##ld(as, addr, MEMTXATTRS_UNSPECIFIED, NULL); \
    }
#define ADDRSPACE_ST_PHYS_(ld, st, type, size, order)                     \
    static inline void st##_phys(AddressSpace *as, hwaddr addr, type val) \
    {                                                                     \
        address_space_##st(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);  \
    }

/**
 * ldub_phys() - Load a byte: address_space_ldub() with unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_UB_(ADDRSPACE_LD_PHYS_)

/**
 * lduw_phys() - Load 16 bits, target order: address_space_lduw() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_UW_(ADDRSPACE_LD_PHYS_)

/**
 * lduw_le_phys() - Load 16 bits, little endian: address_space_lduw_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_UW_LE_(ADDRSPACE_LD_PHYS_)

/**
 * lduw_be_phys() - Load 16 bits, big endian: address_space_lduw_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_UW_BE_(ADDRSPACE_LD_PHYS_)

/**
 * ldl_phys() - Load 32 bits, target order: address_space_ldl() with unspecified
 * attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_L_(ADDRSPACE_LD_PHYS_)

/**
 * ldl_le_phys() - Load 32 bits, little endian: address_space_ldl_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_L_LE_(ADDRSPACE_LD_PHYS_)

/**
 * ldl_be_phys() - Load 32 bits, big endian: address_space_ldl_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_L_BE_(ADDRSPACE_LD_PHYS_)

/**
 * ldq_phys() - Load 64 bits, target order: address_space_ldq() with unspecified
 * attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_Q_(ADDRSPACE_LD_PHYS_)

/**
 * ldq_le_phys() - Load 64 bits, little endian: address_space_ldq_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_Q_LE_(ADDRSPACE_LD_PHYS_)

/**
 * ldq_be_phys() - Load 64 bits, big endian: address_space_ldq_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_Q_BE_(ADDRSPACE_LD_PHYS_)

/**
 * stb_phys() - Store a byte: address_space_stb() with unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
ADDRSPACE_TYPED_UB_(ADDRSPACE_ST_PHYS_)

/**
 * stw_phys() - Store 16 bits, target order: address_space_stw() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
ADDRSPACE_TYPED_UW_(ADDRSPACE_ST_PHYS_)

/**
 * stw_le_phys() - Store 16 bits, little endian: address_space_stw_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
ADDRSPACE_TYPED_UW_LE_(ADDRSPACE_ST_PHYS_)

/**
 * stw_be_phys() - Store 16 bits, big endian: address_space_stw_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
ADDRSPACE_TYPED_UW_BE_(ADDRSPACE_ST_PHYS_)

/**
 * stl_phys() - Store 32 bits, target order: address_space_stl() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
ADDRSPACE_TYPED_L_(ADDRSPACE_ST_PHYS_)

/**
 * stl_le_phys() - Store 32 bits, little endian: address_space_stl_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
ADDRSPACE_TYPED_L_LE_(ADDRSPACE_ST_PHYS_)

/**
 * stl_be_phys() - Store 32 bits, big endian: address_space_stl_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
ADDRSPACE_TYPED_L_BE_(ADDRSPACE_ST_PHYS_)

/**
 * stq_phys() - Store 64 bits, target order: address_space_stq() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
ADDRSPACE_TYPED_Q_(ADDRSPACE_ST_PHYS_)

/**
 * stq_le_phys() - Store 64 bits, little endian: address_space_stq_le() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
ADDRSPACE_TYPED_Q_LE_(ADDRSPACE_ST_PHYS_)

/**
 * stq_be_phys() - Store 64 bits, big endian: address_space_stq_be() with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the address.
 * @val: the value.
 */
ADDRSPACE_TYPED_Q_BE_(ADDRSPACE_ST_PHYS_)

/* ---- On a MemoryRegionCache (address_space_cache_init()) ---- */

/* The generators of the _cached family. */
#define ADDRSPACE_LD_PHYS_CACHED_(ld, st, type, size, order)                   \
    static inline type ld##_phys_cached(MemoryRegionCache *cache, hwaddr addr) \
    {                                                                          \
        return address_space_##ld##_cached(cache, addr,                        \
                                           MEMTXATTRS_UNSPECIFIED, NULL);      \
    }
#define ADDRSPACE_ST_PHYS_CACHED_(ld, st, type, size, order)                   \
    static inline void st##_phys_cached(MemoryRegionCache *cache, hwaddr addr, \
                                        type val)                              \
    {                                                                          \
        address_space_##st##_cached(cache, addr, val, MEMTXATTRS_UNSPECIFIED,  \
                                    NULL);                                     \
    }

/**
 * ldub_phys_cached() - Load a byte: address_space_ldub_cached() with
 * unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_UB_(ADDRSPACE_LD_PHYS_CACHED_)

/**
 * lduw_phys_cached() - Load 16 bits, target order: address_space_lduw_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_UW_(ADDRSPACE_LD_PHYS_CACHED_)

/**
 * lduw_le_phys_cached() - Load 16 bits, little endian:
 * address_space_lduw_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_UW_LE_(ADDRSPACE_LD_PHYS_CACHED_)

/**
 * lduw_be_phys_cached() - Load 16 bits, big endian:
 * address_space_lduw_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_UW_BE_(ADDRSPACE_LD_PHYS_CACHED_)

/**
 * ldl_phys_cached() - Load 32 bits, target order: address_space_ldl_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_L_(ADDRSPACE_LD_PHYS_CACHED_)

/**
 * ldl_le_phys_cached() - Load 32 bits, little endian:
 * address_space_ldl_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_L_LE_(ADDRSPACE_LD_PHYS_CACHED_)

/**
 * ldl_be_phys_cached() - Load 32 bits, big endian:
 * address_space_ldl_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_L_BE_(ADDRSPACE_LD_PHYS_CACHED_)

/**
 * ldq_phys_cached() - Load 64 bits, target order: address_space_ldq_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_Q_(ADDRSPACE_LD_PHYS_CACHED_)

/**
 * ldq_le_phys_cached() - Load 64 bits, little endian:
 * address_space_ldq_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_Q_LE_(ADDRSPACE_LD_PHYS_CACHED_)

/**
 * ldq_be_phys_cached() - Load 64 bits, big endian:
 * address_space_ldq_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * Return: the value (0 where the load failed).
 */
ADDRSPACE_TYPED_Q_BE_(ADDRSPACE_LD_PHYS_CACHED_)

/**
 * stb_phys_cached() - Store a byte: address_space_stb_cached() with unspecified
 * attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
ADDRSPACE_TYPED_UB_(ADDRSPACE_ST_PHYS_CACHED_)

/**
 * stw_phys_cached() - Store 16 bits, target order: address_space_stw_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
ADDRSPACE_TYPED_UW_(ADDRSPACE_ST_PHYS_CACHED_)

/**
 * stw_le_phys_cached() - Store 16 bits, little endian:
 * address_space_stw_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
ADDRSPACE_TYPED_UW_LE_(ADDRSPACE_ST_PHYS_CACHED_)

/**
 * stw_be_phys_cached() - Store 16 bits, big endian:
 * address_space_stw_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
ADDRSPACE_TYPED_UW_BE_(ADDRSPACE_ST_PHYS_CACHED_)

/**
 * stl_phys_cached() - Store 32 bits, target order: address_space_stl_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
ADDRSPACE_TYPED_L_(ADDRSPACE_ST_PHYS_CACHED_)

/**
 * stl_le_phys_cached() - Store 32 bits, little endian:
 * address_space_stl_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
ADDRSPACE_TYPED_L_LE_(ADDRSPACE_ST_PHYS_CACHED_)

/**
 * stl_be_phys_cached() - Store 32 bits, big endian:
 * address_space_stl_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
ADDRSPACE_TYPED_L_BE_(ADDRSPACE_ST_PHYS_CACHED_)

/**
 * stq_phys_cached() - Store 64 bits, target order: address_space_stq_cached()
 * with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
ADDRSPACE_TYPED_Q_(ADDRSPACE_ST_PHYS_CACHED_)

/**
 * stq_le_phys_cached() - Store 64 bits, little endian:
 * address_space_stq_le_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
ADDRSPACE_TYPED_Q_LE_(ADDRSPACE_ST_PHYS_CACHED_)

/**
 * stq_be_phys_cached() - Store 64 bits, big endian:
 * address_space_stq_be_cached() with unspecified attributes.
 * @cache: the cache.
 * @addr: offset in the cached range.
 * @val: the value.
 */
ADDRSPACE_TYPED_Q_BE_(ADDRSPACE_ST_PHYS_CACHED_)

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_LDST_PHYS_H */
