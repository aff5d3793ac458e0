/* SPDX-License-Identifier: MIT */
/*
 * Access fast path: the FlatView lookup index and the typed loads and
 * stores, inlined into the caller. NOT ABI: included by
 * <addrspace/address-space.h> only; the layout below may change in any
 * release.
 *
 * The RAM case of a typed access is: enter a read-side section, load the
 * AddressSpace's published view (consume; pairs with the release store in
 * memory/address-space.c's group_publish), binary-search the index, check
 * the bounds, one host load or store, leave. Everything else (MMIO, holes,
 * IOMMUs, dirty logging, accesses crossing a section) calls the library's
 * out-of-line path with the section already found, still inside the
 * read-side section; it applies every rule of memory/access.c.
 */
#ifndef ADDRSPACE_STATIC_ACCESS_INLINE_H
#define ADDRSPACE_STATIC_ACCESS_INLINE_H

#ifndef ADDRSPACE_ADDRESS_SPACE_H
#error "include <addrspace/address-space.h>, not this file"
#endif

#include <addrspace/static/host-inline.h>

/**
 * struct FlatViewEntry - private: the fast-path facts of one section.
 * @last: last address of the section.
 * @rdelta: host address = guest address + @rdelta, for direct reads.
 * @wdelta: the same for direct writes.
 * @flags: FLATVIEW_ENTRY_READ / FLATVIEW_ENTRY_WRITE.
 */
typedef struct FlatViewEntry {
    hwaddr last;
    uintptr_t rdelta;
    uintptr_t wdelta;
    uintptr_t flags;
} FlatViewEntry;

/** Reads of the section may copy from host memory. */
#define FLATVIEW_ENTRY_READ 1u
/** Writes may copy to host memory (RAM, not logged for dirty tracking). */
#define FLATVIEW_ENTRY_WRITE 2u

/**
 * struct FlatViewIndex - private: the lookup index, the first member of
 * every FlatView.
 * @nr: number of sections.
 * @starts: first address of each section, ascending.
 * @entries: fast-path facts of each section.
 */
typedef struct FlatViewIndex {
    size_t nr;
    const hwaddr *starts;
    const FlatViewEntry *entries;
} FlatViewIndex;

/**
 * flatview_index_find() - private: index of the section holding @addr.
 * @ix: the index.
 * @addr: the address.
 * Return: the index, or (size_t)-1 for a hole.
 */
static inline size_t flatview_index_find(const FlatViewIndex *ix, hwaddr addr)
{
    const hwaddr *starts = ix->starts;
    size_t lo = 0, n = ix->nr;

    if (__builtin_expect(n == 0 || addr < starts[0], 0)) {
        return (size_t)-1;
    }
    /* last start <= addr, branch-free halving */
    while (n > 1) {
        size_t half = n / 2;

        lo = starts[lo + half] <= addr ? lo + half : lo;
        n -= half;
    }
    return addr <= ix->entries[lo].last ? lo : (size_t)-1;
}

/**
 * address_space_ld_slow() - private: out-of-line typed load.
 * @as: address space. @addr: address. @size: 1, 2, 4 or 8.
 * @order: 0 little endian, 1 big endian, -1 the target's.
 * @attrs: attributes. @result: result or NULL.
 * Return: the value.
 */
uint64_t address_space_ld_slow(AddressSpace *as, hwaddr addr, unsigned size,
                               int order, MemTxAttrs attrs,
                               MemTxResult *result);

/**
 * address_space_st_slow() - private: out-of-line typed store.
 * @as: address space. @addr: address. @size: 1, 2, 4 or 8. @val: value.
 * @order: 0 little endian, 1 big endian, -1 the target's.
 * @attrs: attributes. @result: result or NULL.
 */
void address_space_st_slow(AddressSpace *as, hwaddr addr, unsigned size,
                           uint64_t val, int order, MemTxAttrs attrs,
                           MemTxResult *result);

/**
 * address_space_ld_at_rcu() - private: out-of-line typed load, for a
 * section the caller has already looked up.
 * @as: address space. @ix: its view's index, read in the caller's
 * read-side section. @i: flatview_index_find(@ix, @addr).
 * @addr: address. @size: 1, 2, 4 or 8.
 * @order: 0 little endian, 1 big endian, -1 the target's.
 * @attrs: attributes. @result: result or NULL.
 * Context: inside the read-side section that loaded @ix.
 * Return: the value.
 */
uint64_t address_space_ld_at_rcu(AddressSpace *as, const FlatViewIndex *ix,
                                 size_t i, hwaddr addr, unsigned size,
                                 int order, MemTxAttrs attrs,
                                 MemTxResult *result);

/**
 * address_space_st_at_rcu() - private: out-of-line typed store, for a
 * section the caller has already looked up.
 * @as: address space. @ix: its view's index. @i: flatview_index_find(@ix,
 * @addr). @addr: address. @size: 1, 2, 4 or 8. @val: value.
 * @order: 0 little endian, 1 big endian, -1 the target's.
 * @attrs: attributes. @result: result or NULL.
 * Context: inside the read-side section that loaded @ix.
 */
void address_space_st_at_rcu(AddressSpace *as, const FlatViewIndex *ix,
                             size_t i, hwaddr addr, unsigned size, uint64_t val,
                             int order, MemTxAttrs attrs, MemTxResult *result);

/**
 * address_space_order_swaps() - private: whether a value in byte order
 * @order must be swapped on this host.
 * @as: address space (for the target order). @order: 0, 1 or -1.
 * Return: true to swap.
 */
static inline bool address_space_order_swaps(const AddressSpace *as, int order)
{
    bool big = order < 0
                   ? __atomic_load_n(&as->priv.big_endian, __ATOMIC_RELAXED)
                   : order == 1;

    return big != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
}

/**
 * address_space_index_rcu() - private: the current view's index.
 * @as: address space.
 * Context: inside a read-side section.
 * Return: the index.
 */
static inline const FlatViewIndex *address_space_index_rcu(AddressSpace *as)
{
    return (const FlatViewIndex *)__atomic_load_n(as->priv.view_slot,
                                                  __ATOMIC_CONSUME);
}

/**
 * flatview_index_direct() - private: the entry through which an access of
 * @size bytes at @addr goes straight to host memory, if there is one.
 * @ix: the index. @addr: the address. @size: 1, 2, 4 or 8 (constant).
 * @flag: FLATVIEW_ENTRY_READ or FLATVIEW_ENTRY_WRITE.
 * @i: set to flatview_index_find(@ix, @addr), for the out-of-line path.
 * Return: the entry of the section holding all @size bytes when its
 * flags have @flag, else NULL.
 */
static inline const FlatViewEntry *
flatview_index_direct(const FlatViewIndex *ix, hwaddr addr, unsigned size,
                      uintptr_t flag, size_t *i)
{
    const hwaddr *starts = ix->starts;
    size_t lo = 0, n = ix->nr;
    const FlatViewEntry *e;

    if (__builtin_expect(n == 0 || addr < starts[0], 0)) {
        *i = (size_t)-1;
        return NULL;
    }
    while (n > 1) {
        size_t half = n / 2;

        lo = starts[lo + half] <= addr ? lo + half : lo;
        n -= half;
    }
    e = &ix->entries[lo];
    *i = addr <= e->last ? lo : (size_t)-1;
    if (__builtin_expect((e->flags & flag) && addr <= e->last &&
                             e->last - addr >= size - 1,
                         1)) {
        return e;
    }
    return NULL;
}

/**
 * address_space_ld_inline() - private: the typed load behind every
 * address_space_ld*() (RAM inline, the rest out of line).
 * @as: address space. @addr: address. @size: 1, 2, 4 or 8 (constant).
 * @order: 0 little, 1 big, -1 target. @attrs: attributes.
 * @result: result or NULL.
 * Return: the value.
 */
static inline uint64_t address_space_ld_inline(AddressSpace *as, hwaddr addr,
                                               unsigned size, int order,
                                               MemTxAttrs attrs,
                                               MemTxResult *result)
{
    bool entered = rcu_read_enter();
    const FlatViewIndex *ix = address_space_index_rcu(as);
    const FlatViewEntry *e;
    uint64_t v;
    size_t i;

    e = flatview_index_direct(ix, addr, size, FLATVIEW_ENTRY_READ, &i);
    if (__builtin_expect(e != NULL, 1)) {
        v = addrspace_host_load((const void *)(uintptr_t)(addr + e->rdelta),
                                size);
        if (address_space_order_swaps(as, order)) {
            v = addrspace_bswap(v, size);
        }
        if (result) {
            *result = MEMTX_OK;
        }
    } else {
        /* MMIO, holes, IOMMUs, crossings: out of line, without a second
         * lookup */
        v = address_space_ld_at_rcu(as, ix, i, addr, size, order, attrs,
                                    result);
    }
    rcu_read_exit(entered);
    return v;
}

/**
 * address_space_st_inline() - private: the typed store behind every
 * address_space_st*().
 * @as: address space. @addr: address. @size: 1, 2, 4 or 8 (constant).
 * @val: value. @order: 0 little, 1 big, -1 target. @attrs: attributes.
 * @result: result or NULL.
 */
static inline void address_space_st_inline(AddressSpace *as, hwaddr addr,
                                           unsigned size, uint64_t val,
                                           int order, MemTxAttrs attrs,
                                           MemTxResult *result)
{
    bool entered = rcu_read_enter();
    const FlatViewIndex *ix = address_space_index_rcu(as);
    const FlatViewEntry *e;
    size_t i;

    e = flatview_index_direct(ix, addr, size, FLATVIEW_ENTRY_WRITE, &i);
    if (__builtin_expect(e != NULL, 1)) {
        uint64_t v = val;

        if (address_space_order_swaps(as, order)) {
            v = addrspace_bswap(v, size);
        }
        addrspace_host_store((void *)(uintptr_t)(addr + e->wdelta), size, v);
        if (result) {
            *result = MEMTX_OK;
        }
    } else {
        address_space_st_at_rcu(as, ix, i, addr, size, val, order, attrs,
                                result);
    }
    rcu_read_exit(entered);
}

#endif /* ADDRSPACE_STATIC_ACCESS_INLINE_H */
