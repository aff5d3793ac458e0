/* SPDX-License-Identifier: MIT */
/**
 * @file tlb.h
 * @brief Per-vCPU translation cache: typed RAM loads and stores at the cost
 * of a tag compare, validated by the AddressSpace's view generation.
 *
 * What an emulated CPU wants for its guest's loads and stores (QEMU's
 * softmmu TLB plays this part for TCG): an AsTlb is a small direct-mapped
 * cache, owned by one thread, of guest page -> host delta (host address =
 * guest address + delta) for one AddressSpace. A typed access through it
 * (as_tlb_ldl_le_rcu() and the others, the same families as
 * address_space_ld*() and address_space_st*()) is, when it hits: one load
 * of the AddressSpace's view generation and a compare, one tag compare,
 * one host load or store. Everything else takes the AddressSpace's own
 * path, so every result is the one address_space_ld*() / st*() gives: the
 * value, the MemTxResult, dirty marking, snapshot tracking, MMIO dispatch,
 * IOMMU translation.
 *
 * What is cached: a page (AS_TLB_PAGE_SIZE bytes, aligned) that lies whole
 * inside one section of the current FlatView which the access paths
 * read (read entries) or write (write entries) straight to host memory:
 * - read entries: RAM, ROM, read-only RAM and aliases of it, ROM devices
 *   in romd mode; never MMIO, IOMMU regions, ram-device regions, holes or
 *   reservations;
 * - write entries: writable RAM whose region no dirty-log client logs
 *   (neither migration, display, code, nor the RAM snapshots of
 *   snapshot.h); never ROM, romd, read-only RAM, or a logged page, whose
 *   writes must be marked.
 * A page only partly covered by such a section, or whose host address is
 * not 8-byte aligned where its guest address is (an alias at an odd offset),
 * or a page an access hook (hooks.h) observes in that direction, is never
 * cached: its accesses always take the AddressSpace's path.
 *
 * Hits: an access hits when it is naturally aligned (an address multiple
 * of its size, hence inside one page) and its page's entry is filled for
 * the current generation. Misses fill the entry when the page is
 * cacheable, then make the access through it; unaligned accesses inside a
 * cached page are made through the entry by the out-of-line path; anything
 * else (page not cacheable, access crossing a page) is address_space_ld*()
 * / st*() itself.
 *
 * Validation (no cross-thread write): every time the AddressSpace's view
 * changes, memory/address-space.c stores a new generation for it (after
 * the view's published index, with release order), a number never used
 * before by any AddressSpace. Every change that can make a cached page uncacheable goes
 * through a new view: tree changes, readonly, romd mode, dirty logging
 * switched on for any client (memory_region_set_log(), RAM snapshots
 * taken), resize (memory_region_ram_resize() changes the region's size),
 * removal of a region (whose RAM is freed only after a grace period). A
 * discard (RamPlugManager unplug, ram_block_discard_range()) keeps the
 * host mapping and changes no view, exactly as for address_space_ld*(),
 * which also read and write discarded pages directly. The cache remembers
 * the generation its entries were filled for; an access that finds
 * another one empties the cache (its own memory: the committing thread
 * never writes to it) and refills. The writer only stores its own
 * counter; readers only load it: no shared cache line is written on the
 * read path.
 *
 * Lifetime and RCU rule: a hit dereferences host memory remembered from an
 * earlier fill, so every access through an AsTlb must be made inside a
 * read-side section (rcu_read_lock(), rcu.h), as TCG holds one across a
 * translation block; the functions' `_rcu` suffix says so. The section
 * may be held across many accesses and across commits of other threads:
 * a reader that sees the old generation is inside a section that the
 * commit's grace period waits for, so the old view and its RAM stay valid
 * until it ends; once the new generation is visible, the next access
 * misses. An access outside any section is a caller bug; the out-of-line
 * path then logs it once (critical) and makes that access without the
 * cache, but a hit cannot be checked without a cost on every access.
 *
 * Ownership: the caller allocates the AsTlb (about 8 KiB; no heap memory,
 * nothing to free), one per thread: an AsTlb is never shared between
 * threads without the caller's own synchronisation. The AddressSpace must
 * stay initialised while the AsTlb is used: stop using it before
 * address_space_destroy(). as_tlb_init() again to bind it to another one.
 */
#ifndef ADDRSPACE_TLB_H
#define ADDRSPACE_TLB_H

#include <addrspace/address-space.h>

ADDRSPACE_BEGIN_DECLS

/** Bits of the page offset: the cache's granule is 4 KiB. */
#define AS_TLB_PAGE_BITS 12
/** Bytes in a page of the cache. */
#define AS_TLB_PAGE_SIZE (1ull << AS_TLB_PAGE_BITS)
/** Entries per direction (read, write), a power of two: 1 MiB reach. */
#define AS_TLB_ENTRIES 256u

/** A tag no access matches (bits 3-11 are clear in every key). */
#define AS_TLB_TAG_INVALID UINT64_MAX

/**
 * struct AsTlbEntry - one cached page; fields private.
 * @tag: the page's guest address, or AS_TLB_TAG_INVALID.
 * @delta: host address = guest address + @delta.
 */
typedef struct AsTlbEntry {
    hwaddr tag;
    uintptr_t delta;
} AsTlbEntry;

/**
 * struct AsTlb - a per-thread translation cache for one AddressSpace.
 *
 * Caller-allocated (on the stack, in a vCPU structure, anywhere); set up by
 * as_tlb_init(); fields private. Used by one thread at a time, inside
 * read-side sections (see the file's description).
 */
typedef struct AsTlb {
    /** @priv: private state. */
    struct {
        /* the AddressSpace's generation counter (address-space.c) */
        const uint64_t *gen_slot;
        /* the generation the entries were filled for */
        uint64_t gen;
        AddressSpace *as;
        uint64_t fills, flushes, uncached; /* as_tlb_get_stats() */
        AsTlbEntry read[AS_TLB_ENTRIES];
        AsTlbEntry write[AS_TLB_ENTRIES];
    } priv;
} AsTlb;

/**
 * struct AsTlbStats - what an AsTlb's out-of-line path counted.
 * @fills: entries filled.
 * @flushes: times the cache was emptied: a new generation was seen, or
 *           as_tlb_flush().
 * @uncached: accesses made by the AddressSpace's own path (page not
 *            cacheable, access crossing a page, no read-side section).
 *
 * Hits are not counted: counting them would add a store to every access.
 */
typedef struct AsTlbStats {
    uint64_t fills;
    uint64_t flushes;
    uint64_t uncached;
} AsTlbStats;

/**
 * as_tlb_init() - Bind @tlb to @as, empty.
 * @tlb: caller-allocated storage.
 * @as: an initialised AddressSpace; must stay so while @tlb is used.
 * @errp: error return.
 *
 * On failure (@as NULL or not initialised) @tlb is still set up, bound to
 * @as, and never hits: every access takes the AddressSpace's path, which
 * reports the caller bug as address_space_ld*() do (a NULL AddressSpace:
 * every access fails with MEMTX_DECODE_ERROR and reads 0).
 * Context: any thread; takes no lock.
 * Return: true on success.
 */
bool as_tlb_init(AsTlb *tlb, AddressSpace *as, GError **errp);

/**
 * as_tlb_flush() - Empty @tlb.
 * @tlb: the cache.
 *
 * Never needed for correctness (a new view invalidates the cache by
 * itself); for callers that want to drop what it holds.
 * Context: the thread that uses the cache.
 */
void as_tlb_flush(AsTlb *tlb);

/**
 * as_tlb_get_stats() - What @tlb's out-of-line path counted.
 * @tlb: the cache.
 * @stats: filled in.
 * Context: the thread that uses the cache.
 */
void as_tlb_get_stats(const AsTlb *tlb, AsTlbStats *stats);

/**
 * as_tlb_address_space() - The AddressSpace @tlb was bound to.
 * @tlb: the cache.
 * Return: the AddressSpace given to as_tlb_init().
 */
AddressSpace *as_tlb_address_space(const AsTlb *tlb);

#include <addrspace/static/tlb-inline.h>

/*
 * The family's generators (static/typed-table.h): one function a row, of
 * the rows with a named byte order (the cache keeps no target order). As
 * QEMU's cpu_ld*_data(), values up to 32 bits are uint32_t.
 */
#define AS_TLB_VALUE_1_ uint32_t
#define AS_TLB_VALUE_2_ uint32_t
#define AS_TLB_VALUE_4_ uint32_t
#define AS_TLB_VALUE_8_ uint64_t
#define AS_TLB_LD_(ld, st, type, size, order)                            \
    static inline AS_TLB_VALUE_##size##_ as_tlb_##ld##_rcu(              \
        AsTlb *tlb, hwaddr addr, MemTxAttrs attrs, MemTxResult *result)  \
    {                                                                    \
        return (AS_TLB_VALUE_##size##_)as_tlb_ld(tlb, addr, size, order, \
                                                 attrs, result);         \
    }
#define AS_TLB_ST_(ld, st, type, size, order)                                  \
    static inline void as_tlb_##st##_rcu(                                      \
        AsTlb *tlb, hwaddr addr, AS_TLB_VALUE_##size##_ val, MemTxAttrs attrs, \
        MemTxResult *result)                                                   \
    {                                                                          \
        as_tlb_st(tlb, addr, size, val, order, attrs, result);                 \
    }

/** as_tlb_ldub_rcu() - Load 8 bits, through the cache: as
 * address_space_ldub(). @tlb: the cache. @addr: address. @attrs: attributes.
 * @result: result or NULL. Context: the thread that uses the cache, inside a
 * read-side section. Return: the value. */
ADDRSPACE_TYPED_UB_(AS_TLB_LD_)
/** as_tlb_lduw_le_rcu() - Load 16 bits, little endian, through the cache: as
 * address_space_lduw_le(). @tlb: the cache. @addr: address. @attrs: attributes.
 * @result: result or NULL. Context: the thread that uses the cache, inside a
 * read-side section. Return: the value. */
ADDRSPACE_TYPED_UW_LE_(AS_TLB_LD_)
/** as_tlb_lduw_be_rcu() - Load 16 bits, big endian, through the cache: as
 * address_space_lduw_be(). @tlb: the cache. @addr: address. @attrs: attributes.
 * @result: result or NULL. Context: the thread that uses the cache, inside a
 * read-side section. Return: the value. */
ADDRSPACE_TYPED_UW_BE_(AS_TLB_LD_)
/** as_tlb_ldl_le_rcu() - Load 32 bits, little endian, through the cache: as
 * address_space_ldl_le(). @tlb: the cache. @addr: address. @attrs: attributes.
 * @result: result or NULL. Context: the thread that uses the cache, inside a
 * read-side section. Return: the value. */
ADDRSPACE_TYPED_L_LE_(AS_TLB_LD_)
/** as_tlb_ldl_be_rcu() - Load 32 bits, big endian, through the cache: as
 * address_space_ldl_be(). @tlb: the cache. @addr: address. @attrs: attributes.
 * @result: result or NULL. Context: the thread that uses the cache, inside a
 * read-side section. Return: the value. */
ADDRSPACE_TYPED_L_BE_(AS_TLB_LD_)
/** as_tlb_ldq_le_rcu() - Load 64 bits, little endian, through the cache: as
 * address_space_ldq_le(). @tlb: the cache. @addr: address. @attrs: attributes.
 * @result: result or NULL. Context: the thread that uses the cache, inside a
 * read-side section. Return: the value. */
ADDRSPACE_TYPED_Q_LE_(AS_TLB_LD_)
/** as_tlb_ldq_be_rcu() - Load 64 bits, big endian, through the cache: as
 * address_space_ldq_be(). @tlb: the cache. @addr: address. @attrs: attributes.
 * @result: result or NULL. Context: the thread that uses the cache, inside a
 * read-side section. Return: the value. */
ADDRSPACE_TYPED_Q_BE_(AS_TLB_LD_)
/** as_tlb_stb_rcu() - Store 8 bits, through the cache: as
 * address_space_stb(). @tlb: the cache. @addr: address. @val: value.
 * @attrs: attributes. @result: result or NULL. Context: the thread that
 * uses the cache, inside a read-side section. */
ADDRSPACE_TYPED_UB_(AS_TLB_ST_)
/** as_tlb_stw_le_rcu() - Store 16 bits, little endian, through the cache: as
 * address_space_stw_le(). @tlb: the cache. @addr: address. @val: value.
 * @attrs: attributes. @result: result or NULL. Context: the thread that
 * uses the cache, inside a read-side section. */
ADDRSPACE_TYPED_UW_LE_(AS_TLB_ST_)
/** as_tlb_stw_be_rcu() - Store 16 bits, big endian, through the cache: as
 * address_space_stw_be(). @tlb: the cache. @addr: address. @val: value.
 * @attrs: attributes. @result: result or NULL. Context: the thread that
 * uses the cache, inside a read-side section. */
ADDRSPACE_TYPED_UW_BE_(AS_TLB_ST_)
/** as_tlb_stl_le_rcu() - Store 32 bits, little endian, through the cache: as
 * address_space_stl_le(). @tlb: the cache. @addr: address. @val: value.
 * @attrs: attributes. @result: result or NULL. Context: the thread that
 * uses the cache, inside a read-side section. */
ADDRSPACE_TYPED_L_LE_(AS_TLB_ST_)
/** as_tlb_stl_be_rcu() - Store 32 bits, big endian, through the cache: as
 * address_space_stl_be(). @tlb: the cache. @addr: address. @val: value.
 * @attrs: attributes. @result: result or NULL. Context: the thread that
 * uses the cache, inside a read-side section. */
ADDRSPACE_TYPED_L_BE_(AS_TLB_ST_)
/** as_tlb_stq_le_rcu() - Store 64 bits, little endian, through the cache: as
 * address_space_stq_le(). @tlb: the cache. @addr: address. @val: value.
 * @attrs: attributes. @result: result or NULL. Context: the thread that
 * uses the cache, inside a read-side section. */
ADDRSPACE_TYPED_Q_LE_(AS_TLB_ST_)
/** as_tlb_stq_be_rcu() - Store 64 bits, big endian, through the cache: as
 * address_space_stq_be(). @tlb: the cache. @addr: address. @val: value.
 * @attrs: attributes. @result: result or NULL. Context: the thread that
 * uses the cache, inside a read-side section. */
ADDRSPACE_TYPED_Q_BE_(AS_TLB_ST_)

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_TLB_H */
