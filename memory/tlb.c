/* SPDX-License-Identifier: MIT */
/*
 * The translation cache's out-of-line half (include/addrspace/tlb.h):
 * set-up, and what an access does when it does not hit.
 *
 * A miss, in three steps:
 * 1. Refresh: load the AddressSpace's generation (acquire: pairs with the
 *    release store after the view pointer in address-space.c's
 *    group_publish()); if it is not the one the entries were filled for,
 *    empty the cache and take the new one. Only then load the view: a
 *    view newer than the generation is harmless (its entries are dropped
 *    at the next access), an older one would be cached under a generation
 *    it does not belong to.
 * 2. Fill: the section of the view's index holding the page
 *    (flatview_index_find(), as the inline access path of access-inline.h
 *    finds it); if it covers the whole page and allows direct reads (read
 *    entries: FLAT_SECTION_DIRECT_READ) or unlogged direct writes (write
 *    entries: FLAT_SECTION_HOST without FLAT_SECTION_LOG_MASK, the inline
 *    store's test), and its host delta keeps 8-byte alignment, the entry
 *    takes the page and the delta.
 * 3. Access: through the entry when the page was cacheable and the access
 *    stays in it (an unaligned one included); otherwise the AddressSpace's
 *    own typed access, address_space_ld_inline() / _st_inline(), the code
 *    behind address_space_ld*() / st*(): same value, same MemTxResult,
 *    same dirty marking and dispatch.
 */
#include <string.h>

#include <addrspace/tlb.h>

#include "memory-internal.h"

/* The generation slot of a cache bound to no initialised AddressSpace. */
static const uint64_t no_generation;

static void invalidate(AsTlb *tlb)
{
    for (unsigned i = 0; i < AS_TLB_ENTRIES; i++) {
        tlb->priv.read[i].tag = AS_TLB_TAG_INVALID;
        tlb->priv.write[i].tag = AS_TLB_TAG_INVALID;
    }
}

ADDRSPACE_EXPORT bool as_tlb_init(AsTlb *tlb, AddressSpace *as, GError **errp)
{
    if (!tlb) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "translation cache storage is NULL");
        return false;
    }
    memset(&tlb->priv, 0, sizeof(tlb->priv));
    tlb->priv.as = as;
    invalidate(tlb);
    if (!as || as->priv.magic != AS_MAGIC) {
        /* never hits: the generation never equals the slot's */
        tlb->priv.gen_slot = &no_generation;
        tlb->priv.gen = 1;
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "translation cache: the address space is %s",
                            as ? "not initialised" : "NULL");
        return false;
    }
    tlb->priv.gen_slot = address_space_generation_slot(as);
    tlb->priv.gen = __atomic_load_n(tlb->priv.gen_slot, __ATOMIC_ACQUIRE);
    return true;
}

ADDRSPACE_EXPORT void as_tlb_flush(AsTlb *tlb)
{
    invalidate(tlb);
    tlb->priv.flushes++;
}

ADDRSPACE_EXPORT void as_tlb_get_stats(const AsTlb *tlb, AsTlbStats *stats)
{
    stats->fills = tlb->priv.fills;
    stats->flushes = tlb->priv.flushes;
    stats->uncached = tlb->priv.uncached;
}

ADDRSPACE_EXPORT AddressSpace *as_tlb_address_space(const AsTlb *tlb)
{
    return tlb->priv.as;
}

/* An access outside any read-side section: a caller bug, logged once. */
static bool in_read_section(void)
{
    static gint logged;

    if (__builtin_expect(urcu_memb_read_ongoing(), 1)) {
        return true;
    }
    if (g_atomic_int_compare_and_exchange(&logged, 0, 1)) {
        g_critical("as_tlb_*_rcu(): access outside a read-side section: a "
                   "caller bug; it is made without the cache (logged once)");
    }
    return false;
}

/*
 * The host address of @s's first byte when all of page @page (inside @s)
 * may be accessed directly: for writes (@write), the facts of the inline
 * store path (plain RAM, not logged); for reads, QEMU's direct reads (RAM,
 * ROM, romd ROM devices), the page inside the region's RAM block. NULL
 * when it may not.
 */
static const uint8_t *section_host_base(const FlatSection *s, hwaddr page,
                                        bool write)
{
    uint32_t f = s->region.impl_flags;
    const RAMBlock *rb = s->mr->priv.ram_block;
    hwaddr off = s->offset + (page - s->region.start);

    /* hooked sections never: their accesses must reach the hooks */
    if (write) {
        return (f & (FLAT_SECTION_HOST | FLAT_SECTION_LOG_MASK |
                     FLAT_SECTION_HOOK_WRITE)) == FLAT_SECTION_HOST
                   ? (const uint8_t *)s->region.host
                   : NULL;
    }
    if (!(f & FLAT_SECTION_DIRECT_READ) || (f & FLAT_SECTION_HOOK_READ)) {
        return NULL;
    }
    if (s->region.host) {
        return s->region.host;
    }
    /* romd or read-only RAM: the page must lie in the block (a region
     * resized inside a transaction may be larger than its block) */
    if (!rb || !rb->host || off > rb->size ||
        rb->size - off < AS_TLB_PAGE_SIZE) {
        return NULL;
    }
    return rb->host + s->offset;
}

/* Step 1: take the AddressSpace's current generation (see above). */
static void refresh(AsTlb *tlb)
{
    uint64_t gen = __atomic_load_n(tlb->priv.gen_slot, __ATOMIC_ACQUIRE);

    if (gen != tlb->priv.gen) {
        invalidate(tlb);
        tlb->priv.gen = gen;
        tlb->priv.flushes++;
    }
}

/*
 * Steps 1 and 2 for the page of @addr in @tab (read or write entries,
 * @write for the write ones). Return: the entry, filled for the page, or
 * NULL when the page is not cacheable.
 */
static const AsTlbEntry *fill(AsTlb *tlb, AsTlbEntry *tab, bool write,
                              hwaddr addr)
{
    hwaddr page = addr & ~(hwaddr)(AS_TLB_PAGE_SIZE - 1);
    AsTlbEntry *e = &tab[(addr >> AS_TLB_PAGE_BITS) & (AS_TLB_ENTRIES - 1)];
    const FlatSection *s;
    const uint8_t *base;
    uintptr_t delta;

    if (tlb->priv.gen_slot == &no_generation || !in_read_section()) {
        return NULL;
    }
    refresh(tlb);
    if (e->tag == page) {
        return e; /* filled already: an unaligned access */
    }
    s = flatview_index_find(address_space_index_rcu(tlb->priv.as), page);
    if (!s || s->region.last - page < AS_TLB_PAGE_SIZE - 1) {
        return NULL;
    }
    base = section_host_base(s, page, write);
    if (!base) {
        return NULL;
    }
    delta = (uintptr_t)base - (uintptr_t)s->region.start;
    if (delta & 7) {
        return NULL; /* host alignment would differ from the guest's */
    }
    e->tag = page;
    e->delta = delta;
    tlb->priv.fills++;
    return e;
}

/* Whether an access of @size at @addr stays inside its page. */
static bool in_page(hwaddr addr, unsigned size)
{
    return (addr & (AS_TLB_PAGE_SIZE - 1)) <= AS_TLB_PAGE_SIZE - size;
}

ADDRSPACE_EXPORT uint64_t as_tlb_ld_miss(AsTlb *tlb, hwaddr addr, unsigned size,
                                         enum device_endian order,
                                         MemTxAttrs attrs, MemTxResult *result)
{
    const AsTlbEntry *e = fill(tlb, tlb->priv.read, false, addr);
    uint64_t v;

    if (e && in_page(addr, size)) {
        v = addrspace_host_load((const void *)(uintptr_t)(addr + e->delta),
                                size);
        if (size > 1 && as_tlb_swaps(order)) {
            v = addrspace_bswap(v, size);
        }
        if (result) {
            *result = MEMTX_OK;
        }
        return v;
    }
    tlb->priv.uncached++;
    if (!tlb->priv.as) {
        if (result) {
            *result = MEMTX_DECODE_ERROR;
        }
        return 0;
    }
    return address_space_ld_inline(tlb->priv.as, addr, size, order, attrs,
                                   result);
}

ADDRSPACE_EXPORT void as_tlb_st_miss(AsTlb *tlb, hwaddr addr, unsigned size,
                                     uint64_t val, enum device_endian order,
                                     MemTxAttrs attrs, MemTxResult *result)
{
    const AsTlbEntry *e = fill(tlb, tlb->priv.write, true, addr);

    if (e && in_page(addr, size)) {
        if (size > 1 && as_tlb_swaps(order)) {
            val = addrspace_bswap(val, size);
        }
        addrspace_host_store((void *)(uintptr_t)(addr + e->delta), size, val);
        if (result) {
            *result = MEMTX_OK;
        }
        return;
    }
    tlb->priv.uncached++;
    if (!tlb->priv.as) {
        if (result) {
            *result = MEMTX_DECODE_ERROR;
        }
        return;
    }
    address_space_st_inline(tlb->priv.as, addr, size, val, order, attrs,
                            result);
}
