/* SPDX-License-Identifier: MIT */
/*
 * Translation cache fast path (tlb.h): the hit test and the host access,
 * inlined into the caller. NOT ABI: included by <addrspace/tlb.h> only;
 * the layout below may change in any release.
 *
 * A hit is: one relaxed load of the AddressSpace's view generation and a
 * compare with the one the entries were filled for, the entry's tag
 * compared with the address masked to its page and its alignment, one
 * host load or store at address + delta. The relaxed load is enough: the
 * caller is inside a read-side section, and RCU's grace period orders it
 * against the commit as it orders rcu_dereference() of the view (a reader
 * that still sees the old generation is one the grace period waits for).
 * Everything else calls memory/tlb.c, which refreshes the generation,
 * fills, or makes the access through the AddressSpace.
 */
#ifndef ADDRSPACE_STATIC_TLB_INLINE_H
#define ADDRSPACE_STATIC_TLB_INLINE_H

#ifndef ADDRSPACE_TLB_H
#error "include <addrspace/tlb.h>, not this file"
#endif

/**
 * as_tlb_ld_miss() - private: the out-of-line typed load of an AsTlb.
 * @tlb: the cache. @addr: address. @size: 1, 2, 4 or 8.
 * @order: DEVICE_LITTLE_ENDIAN or DEVICE_BIG_ENDIAN.
 * @attrs: attributes. @result: result or NULL.
 * Return: the value.
 */
uint64_t as_tlb_ld_miss(AsTlb *tlb, hwaddr addr, unsigned size,
                        enum device_endian order, MemTxAttrs attrs,
                        MemTxResult *result);

/**
 * as_tlb_st_miss() - private: the out-of-line typed store of an AsTlb.
 * @tlb: the cache. @addr: address. @size: 1, 2, 4 or 8. @val: value.
 * @order: DEVICE_LITTLE_ENDIAN or DEVICE_BIG_ENDIAN.
 * @attrs: attributes. @result: result or NULL.
 */
void as_tlb_st_miss(AsTlb *tlb, hwaddr addr, unsigned size, uint64_t val,
                    enum device_endian order, MemTxAttrs attrs,
                    MemTxResult *result);

/**
 * as_tlb_lookup() - private: the entry of @tab through which an access of
 * @size bytes at @addr hits, or NULL.
 * @tlb: the cache. @tab: its read or write entries. @addr: address.
 * @size: 1, 2, 4 or 8 (constant).
 * Return: the entry, when the generation is current, the access aligned
 * and the entry filled for its page.
 */
static inline const AsTlbEntry *as_tlb_lookup(const AsTlb *tlb,
                                              const AsTlbEntry *tab,
                                              hwaddr addr, unsigned size)
{
    const AsTlbEntry *e =
        &tab[(addr >> AS_TLB_PAGE_BITS) & (AS_TLB_ENTRIES - 1)];
    /* relaxed: ordered by the caller's read-side section (see above) */
    uint64_t gen = __atomic_load_n(tlb->priv.gen_slot, __ATOMIC_RELAXED);
    /* a misaligned address keeps low bits: no tag (page aligned) has them */
    hwaddr key = addr & ~(hwaddr)(AS_TLB_PAGE_SIZE - size);

    if (__builtin_expect(gen == tlb->priv.gen && e->tag == key, 1)) {
        return e;
    }
    return NULL;
}

/**
 * as_tlb_host_load() - private: an aligned load of @size bytes at @p.
 * @p: host address, a multiple of @size. @size: 1, 2, 4 or 8.
 * Return: the value, in host order.
 */
static inline uint64_t as_tlb_host_load(const void *p, unsigned size)
{
    /* one relaxed atomic access: single-copy atomic, as host-inline.h */
    switch (size) {
    case 1:
        return __atomic_load_n((const uint8_t *)p, __ATOMIC_RELAXED);
    case 2:
        return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
    case 4:
        return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
    default:
        return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
    }
}

/**
 * as_tlb_host_store() - private: an aligned store of @size bytes at @p.
 * @p: host address, a multiple of @size. @size: 1, 2, 4 or 8.
 * @v: the value, in host order.
 */
static inline void as_tlb_host_store(void *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1:
        __atomic_store_n((uint8_t *)p, (uint8_t)v, __ATOMIC_RELAXED);
        break;
    case 2:
        __atomic_store_n((uint16_t *)p, (uint16_t)v, __ATOMIC_RELAXED);
        break;
    case 4:
        __atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_RELAXED);
        break;
    default:
        __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
        break;
    }
}

/**
 * as_tlb_swaps() - private: whether a value of byte order @order must be
 * swapped on this host.
 * @order: DEVICE_LITTLE_ENDIAN or DEVICE_BIG_ENDIAN (the cache's accessors
 * name their order: there is no target order to resolve).
 * Return: true to swap.
 */
static inline bool as_tlb_swaps(enum device_endian order)
{
    return order != ADDRSPACE_HOST_ENDIAN;
}

/**
 * as_tlb_ld() - private: the typed load behind every as_tlb_ld*_rcu().
 * @tlb: the cache. @addr: address. @size: 1, 2, 4 or 8 (constant).
 * @order: DEVICE_LITTLE_ENDIAN or DEVICE_BIG_ENDIAN (constant).
 * @attrs: attributes. @result: result or NULL.
 * Return: the value.
 */
static inline uint64_t as_tlb_ld(AsTlb *tlb, hwaddr addr, unsigned size,
                                 enum device_endian order, MemTxAttrs attrs,
                                 MemTxResult *result)
{
    const AsTlbEntry *e = as_tlb_lookup(tlb, tlb->priv.read, addr, size);
    uint64_t v;

    if (__builtin_expect(e == NULL, 0)) {
        return as_tlb_ld_miss(tlb, addr, size, order, attrs, result);
    }
    v = as_tlb_host_load((const void *)(uintptr_t)(addr + e->delta), size);
    if (size > 1 && as_tlb_swaps(order)) {
        v = addrspace_bswap(v, size);
    }
    if (result) {
        *result = MEMTX_OK;
    }
    return v;
}

/**
 * as_tlb_st() - private: the typed store behind every as_tlb_st*_rcu().
 * @tlb: the cache. @addr: address. @size: 1, 2, 4 or 8 (constant).
 * @val: value. @order: DEVICE_LITTLE_ENDIAN or DEVICE_BIG_ENDIAN
 * (constant). @attrs: attributes. @result: result or NULL.
 */
static inline void as_tlb_st(AsTlb *tlb, hwaddr addr, unsigned size,
                             uint64_t val, enum device_endian order,
                             MemTxAttrs attrs, MemTxResult *result)
{
    const AsTlbEntry *e = as_tlb_lookup(tlb, tlb->priv.write, addr, size);

    if (__builtin_expect(e == NULL, 0)) {
        as_tlb_st_miss(tlb, addr, size, val, order, attrs, result);
        return;
    }
    if (size > 1 && as_tlb_swaps(order)) {
        val = addrspace_bswap(val, size);
    }
    as_tlb_host_store((void *)(uintptr_t)(addr + e->delta), size, val);
    if (result) {
        *result = MEMTX_OK;
    }
}

#endif /* ADDRSPACE_STATIC_TLB_INLINE_H */
