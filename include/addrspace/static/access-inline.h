/* SPDX-License-Identifier: MIT */
/*
 * Access fast path: the FlatView lookup index and the typed loads and
 * stores, inlined into the caller. NOT ABI: included by
 * <addrspace/address-space.h> only; the layout below may change in any
 * release.
 *
 * The RAM case of a typed access is: enter a read-side section, load the
 * AddressSpace's published view (consume; pairs with the release store in
 * memory/address-space.c's group_publish), search the view's two-level
 * index (static/flatview-inline.h), check the bounds, one host load or
 * store, leave. An MMIO access of a size the device's ops take without
 * dispatch planning (aligned: flatview_section_mmio(), tested once per
 * access) runs the one piece loop, memory_region_mmio_pieces(): here, in
 * the caller's frame, when it needs neither guard nor lock (outside any
 * callback of the thread, neither the big lock nor a region lock), else
 * out of line inside them (memory_region_load_fast()/_store_fast() in
 * memory/dispatch.c), which /dispatch/inline/ and /dispatch/fast/ test
 * against the general dispatch. Everything else (holes, IOMMUs, dirty
 * logging, hooks, other MMIO, accesses crossing a section) calls the
 * library's general out-of-line path with the section already found,
 * still inside the read-side section; it applies every rule of
 * memory/access.c.
 */
#ifndef ADDRSPACE_STATIC_ACCESS_INLINE_H
#define ADDRSPACE_STATIC_ACCESS_INLINE_H

#ifndef ADDRSPACE_ADDRESS_SPACE_H
#error "include <addrspace/address-space.h>, not this file"
#endif

#include <addrspace/static/host-inline.h>

/** Nested device callbacks one thread may be inside at most. */
#define ADDRSPACE_DISPATCH_DEPTH_MAX 32

/**
 * struct AddrspaceDispatchGuard - private: the calling thread's re-entrancy
 * guard (memory/dispatch.c): the keys of the callbacks it is inside.
 * @depth: how many. @keys: owner, or region when it has none, or NULL for
 * a region that opted out.
 */
typedef struct AddrspaceDispatchGuard {
    unsigned depth;
    const void *keys[ADDRSPACE_DISPATCH_DEPTH_MAX];
} AddrspaceDispatchGuard;

/** private: this thread's guard. */
extern __thread AddrspaceDispatchGuard addrspace_dispatch_guard;

/**
 * address_space_ld_slow() - private: out-of-line typed load.
 * @as: address space. @addr: address. @size: 1, 2, 4 or 8.
 * @order: the value's byte order (DEVICE_NATIVE_ENDIAN: @as's target's).
 * @attrs: attributes. @result: result or NULL.
 * Return: the value.
 */
uint64_t address_space_ld_slow(AddressSpace *as, hwaddr addr, unsigned size,
                               enum device_endian order, MemTxAttrs attrs,
                               MemTxResult *result);

/**
 * address_space_st_slow() - private: out-of-line typed store.
 * @as: address space. @addr: address. @size: 1, 2, 4 or 8. @val: value.
 * @order: the value's byte order (DEVICE_NATIVE_ENDIAN: @as's target's).
 * @attrs: attributes. @result: result or NULL.
 */
void address_space_st_slow(AddressSpace *as, hwaddr addr, unsigned size,
                           uint64_t val, enum device_endian order,
                           MemTxAttrs attrs, MemTxResult *result);

/**
 * address_space_ld_at_rcu() - private: out-of-line typed load, for a
 * section the caller has already looked up.
 * @as: address space. @s: flatview_index_find() of @addr in @as's view,
 * read in the caller's read-side section (NULL: a hole).
 * @addr: address. @size: 1, 2, 4 or 8.
 * @order: the value's byte order (DEVICE_NATIVE_ENDIAN: @as's target's).
 * @attrs: attributes. @result: result or NULL.
 * Context: inside the read-side section that found @s.
 * Return: the value.
 */
uint64_t address_space_ld_at_rcu(AddressSpace *as, const FlatSection *s,
                                 hwaddr addr, unsigned size,
                                 enum device_endian order, MemTxAttrs attrs,
                                 MemTxResult *result);

/**
 * address_space_st_at_rcu() - private: out-of-line typed store, for a
 * section the caller has already looked up.
 * @as: address space. @s: flatview_index_find() of @addr (NULL: a hole).
 * @addr: address. @size: 1, 2, 4 or 8. @val: value.
 * @order: the value's byte order (DEVICE_NATIVE_ENDIAN: @as's target's).
 * @attrs: attributes. @result: result or NULL.
 * Context: inside the read-side section that found @s.
 */
void address_space_st_at_rcu(AddressSpace *as, const FlatSection *s,
                             hwaddr addr, unsigned size, uint64_t val,
                             enum device_endian order, MemTxAttrs attrs,
                             MemTxResult *result);

/**
 * memory_region_load_fast() - private: the out-of-line MMIO load of an
 * access that flatview_section_mmio() found fast (a fast size of @mr's
 * ops, @offset a multiple of @size): the big lock, the region lock and
 * the re-entrancy guard around the inline path's piece loop
 * (memory/dispatch.c). Same result, value and callbacks as the general
 * dispatch, which it is tested against.
 * @mr: the region. @offset: region offset. @size: 1, 2, 4 or 8.
 * @order: the value's byte order. @target_big: the target's order (for
 * DEVICE_NATIVE_ENDIAN, the value's or the device's). @attrs: attributes.
 * @result: set unless NULL.
 * Context: inside a read-side section.
 * Return: the value (0 on error).
 */
uint64_t memory_region_load_fast(MemoryRegion *mr, hwaddr offset, unsigned size,
                                 enum device_endian order, bool target_big,
                                 MemTxAttrs attrs, MemTxResult *result);

/**
 * memory_region_store_fast() - private: the store counterpart of
 * memory_region_load_fast().
 * @mr: the region. @offset: region offset. @value: the value (its low
 * @size bytes are used). @size: 1, 2, 4 or 8. @order: the value's byte
 * order. @target_big: the target's order. @attrs: attributes.
 * Context: inside a read-side section.
 * Return: the result.
 */
MemTxResult memory_region_store_fast(MemoryRegion *mr, hwaddr offset,
                                     uint64_t value, unsigned size,
                                     enum device_endian order, bool target_big,
                                     MemTxAttrs attrs);

/**
 * address_space_no_index_slot - private: where an AddressSpace that is
 * not initialised finds its index: an empty one.
 */
extern const FlatViewIndex *const address_space_no_index_slot;

/**
 * address_space_index_rcu() - private: the current view's index.
 * @as: address space.
 *
 * The AddressSpace holds the place where its group publishes the index
 * (memory/address-space.c's group_publish(), a release store; loaded here
 * with consume) as its distance from address_space_no_index_slot: zero
 * filled or destroyed storage holds 0, the empty index, so that every
 * access takes the out-of-line path, which reports the caller bug, with
 * no test here.
 * Context: inside a read-side section.
 * Return: the index.
 */
static inline const FlatViewIndex *address_space_index_rcu(AddressSpace *as)
{
    const FlatViewIndex *const *slot =
        (const FlatViewIndex *const *)((uintptr_t)&address_space_no_index_slot +
                                       as->priv.index_slot_rel);

    return __atomic_load_n(slot, __ATOMIC_CONSUME);
}

/**
 * memory_region_guard_key() - private: what the re-entrancy guard records
 * for a callback of @mr: its owner, else the region; NULL if it opted out.
 * @mr: the region.
 * Return: the key.
 */
static inline const void *memory_region_guard_key(MemoryRegion *mr)
{
    if (__atomic_load_n(&mr->priv.reentrancy_guard_disabled,
                        __ATOMIC_RELAXED)) {
        return NULL;
    }
    return mr->priv.owner ? (const void *)mr->priv.owner : mr;
}

/**
 * memory_region_mmio_inline_ok() - private: whether the inline MMIO path
 * may take an access: outside any callback of this thread (so the guard
 * has nothing to compare), no lock at all (global locking cleared, no
 * region lock), the callback within the region (which may have shrunk
 * since the view was rendered; memory_region_load_fast() then decides by
 * the region's mode: QEMU's callback, or the mmio-bounds refusal).
 * @mr: the region. @offset: region offset. @size: 1, 2, 4 or 8, one of
 * the region's fast sizes, @offset a multiple of it.
 * Return: true to go ahead.
 */
static inline bool memory_region_mmio_inline_ok(MemoryRegion *mr, hwaddr offset,
                                                unsigned size)
{
    uint64_t last = __atomic_load_n(&mr->priv.size_last, __ATOMIC_RELAXED);

    return addrspace_dispatch_guard.depth == 0 &&
           __atomic_load_n(&mr->priv.no_global_locking, __ATOMIC_RELAXED) &&
           !__atomic_load_n(&mr->priv.lock, __ATOMIC_ACQUIRE) &&
           offset <= last && last - offset >= size - 1;
}

/**
 * memory_region_mmio_read_piece() - private: one read callback of @mr.
 * @mr: the region. @ops: its ops. @offset: region offset. @size: bytes.
 * @attrs: attributes. @value: set to the value, masked to @size.
 * Return: the callback's result.
 */
static inline MemTxResult
memory_region_mmio_read_piece(MemoryRegion *mr, const MemoryRegionOps *ops,
                              hwaddr offset, unsigned size, MemTxAttrs attrs,
                              uint64_t *value)
{
    MemTxResult r = MEMTX_OK;
    uint64_t v = 0;

    if (ops->read_with_attrs) {
        r = ops->read_with_attrs(mr->priv.opaque, offset, &v, size, attrs);
    } else if (ops->read) {
        v = ops->read(mr->priv.opaque, offset, size);
    }
    *value = v & (~0ull >> (64 - 8 * size));
    return r;
}

/**
 * memory_region_mmio_write_piece() - private: one write callback of @mr.
 * @mr: the region. @ops: its ops. @offset: region offset. @size: bytes.
 * @attrs: attributes. @value: the value (@size bytes).
 * Return: the callback's result.
 */
static inline MemTxResult
memory_region_mmio_write_piece(MemoryRegion *mr, const MemoryRegionOps *ops,
                               hwaddr offset, unsigned size, MemTxAttrs attrs,
                               uint64_t value)
{
    if (ops->write_with_attrs) {
        return ops->write_with_attrs(mr->priv.opaque, offset, value, size,
                                     attrs);
    }
    if (ops->write) {
        ops->write(mr->priv.opaque, offset, value, size);
    }
    return MEMTX_OK;
}

/**
 * memory_region_mmio_pieces() - private: the callbacks of one MMIO access,
 * the one piece loop of every MMIO path (the inline one here and
 * memory/dispatch.c's): QEMU 7.2's access_with_adjusted_size(). Callbacks
 * of @a bytes at @offset + i for i = 0, a, 2a, ... below @size, each
 * piece of the value shifted by i bytes for a little-endian device and by
 * size - a - i bytes for a big-endian one (negative: down), and masked.
 * As in QEMU, pieces may pass the region's end and offsets wrap at 2^64;
 * with the mmio-bounds opt-in (@last given) a piece of @a bytes that would
 * pass the region's last byte *@last is cut to the rest of the access.
 * @mr: the region. @ops: its ops. @offset: region offset. @size: bytes
 * (1 to 8). @a: the callbacks' size (1 to 8).
 * @dev_big: the device is big endian. @last: NULL (QEMU: no cut; every
 * fast and inline caller, whose pieces divide the access), or the
 * region's last offset, the access inside it. @is_write: direction.
 * @attrs: attributes. @value: in (write) or out (read, masked to @size),
 * in the device's order.
 * Return: the OR of the callbacks' results.
 */
static inline MemTxResult
memory_region_mmio_pieces(MemoryRegion *mr, const MemoryRegionOps *ops,
                          hwaddr offset, unsigned size, unsigned a,
                          bool dev_big, const uint64_t *last, bool is_write,
                          MemTxAttrs attrs, uint64_t *value)
{
    MemTxResult r = MEMTX_OK;
    uint64_t v = 0;

    if (__builtin_expect(a == size, 1)) {
        /* one callback (the common case: keep it straight-line) */
        if (is_write) {
            return memory_region_mmio_write_piece(mr, ops, offset, size, attrs,
                                                  *value);
        }
        return memory_region_mmio_read_piece(mr, ops, offset, size, attrs,
                                             value);
    }
    for (unsigned i = 0; i < size; i += a) {
        /* hwaddr arithmetic: offset + i wraps at 2^64 as in QEMU */
        unsigned p =
            !last || (offset + i <= *last && *last - (offset + i) >= a - 1)
                ? a
                : size - i;
        int shift = 8 * (dev_big ? (int)size - (int)p - (int)i : (int)i);
        uint64_t t;

        if (is_write) {
            t = (shift >= 0 ? *value >> shift : *value << -shift) &
                (~0ull >> (64 - 8 * p));
            r |= memory_region_mmio_write_piece(mr, ops, offset + i, p, attrs,
                                                t);
        } else {
            r |= memory_region_mmio_read_piece(mr, ops, offset + i, p, attrs,
                                               &t);
            v |= shift >= 0 ? t << shift : t >> -shift;
        }
    }
    if (!is_write) {
        *value = v & (~0ull >> (64 - 8 * size));
    }
    return r;
}

/**
 * memory_region_mmio_load_inline() - private: an MMIO load that needs no
 * dispatch planning, made in the caller's frame: what
 * memory_region_load_fast() does for it, without the calls.
 * @mr: the region. @offset: region offset. @size: 1, 2, 4 or 8 (see
 * memory_region_mmio_inline_ok()). @piece: the callbacks' size (@size or
 * less, a power of two). @order: the value's byte order.
 * @target_big: the target's order (addrspace_endian_big()).
 * @attrs: attributes. @result: set.
 * Context: inside a read-side section; memory_region_mmio_inline_ok().
 * Return: the value (masked to @size, in the value's order).
 */
static inline uint64_t
memory_region_mmio_load_inline(MemoryRegion *mr, hwaddr offset, unsigned size,
                               unsigned piece, enum device_endian order,
                               const bool *target_big, MemTxAttrs attrs,
                               MemTxResult *result)
{
    const MemoryRegionOps *ops = mr->priv.ops;
    AddrspaceDispatchGuard *g = &addrspace_dispatch_guard;
    bool dev_big = addrspace_endian_big(ops->endianness, target_big);
    MemTxResult r;
    uint64_t v;

    g->keys[0] = memory_region_guard_key(mr);
    g->depth = 1;
    r = memory_region_mmio_pieces(mr, ops, offset, size, piece, dev_big, NULL,
                                  false, attrs, &v);
    g->depth = 0;
    if (dev_big != addrspace_endian_big(order, target_big)) {
        v = addrspace_bswap(v, size);
    }
    *result = r;
    return v;
}

/**
 * memory_region_mmio_store_inline() - private: the store counterpart of
 * memory_region_mmio_load_inline().
 * @mr: the region. @offset: region offset. @size: 1, 2, 4 or 8.
 * @piece: the callbacks' size. @val: the value, in byte order @order.
 * @order: its byte order. @target_big: the target's order.
 * @attrs: attributes.
 * Context: as memory_region_mmio_load_inline().
 * Return: the result.
 */
static inline MemTxResult
memory_region_mmio_store_inline(MemoryRegion *mr, hwaddr offset, unsigned size,
                                unsigned piece, uint64_t val,
                                enum device_endian order,
                                const bool *target_big, MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->priv.ops;
    AddrspaceDispatchGuard *g = &addrspace_dispatch_guard;
    bool dev_big = addrspace_endian_big(ops->endianness, target_big);
    MemTxResult r;

    val &= ~0ull >> (64 - 8 * size);
    if (dev_big != addrspace_endian_big(order, target_big)) {
        val = addrspace_bswap(val, size);
    }
    g->keys[0] = memory_region_guard_key(mr);
    g->depth = 1;
    r = memory_region_mmio_pieces(mr, ops, offset, size, piece, dev_big, NULL,
                                  true, attrs, &val);
    g->depth = 0;
    return r;
}

/**
 * flatview_section_mmio() - private: the region and offset of an access of
 * @size at @addr through section @s that is fast (a fast size of the
 * region's ops, aligned, inside the section, no hook): the one test of
 * it. The caller then makes the access inline when
 * memory_region_mmio_inline_ok(), else calls memory_region_load_fast() or
 * memory_region_store_fast(): the locks and guard around the same piece
 * loop, no second test. Every other access takes the general path.
 * @s: the section holding @addr, or NULL.
 * @addr: the address. @size: 1, 2, 4 or 8 (constant).
 * @offset: set to the region offset. @piece: set to the callbacks' size.
 * Return: the region, or NULL.
 */
static inline MemoryRegion *flatview_section_mmio(const FlatSection *s,
                                                  hwaddr addr, unsigned size,
                                                  hwaddr *offset,
                                                  unsigned *piece)
{
    unsigned p;

    if (!s ||
        (s->region.impl_flags &
         ((size << FLAT_SECTION_FAST_SHIFT) | FLAT_SECTION_HOOK_MASK)) !=
            size << FLAT_SECTION_FAST_SHIFT ||
        s->region.last - addr < size - 1) {
        return NULL;
    }
    *offset = s->offset + (addr - s->region.start);
    if (*offset & (size - 1)) {
        return NULL;
    }
    p = (s->region.impl_flags >> FLAT_SECTION_PIECE_SHIFT) & 15;
    *piece = p < size ? p : size;
    return s->mr;
}

/**
 * address_space_ld_inline() - private: the typed load behind every
 * address_space_ld*() (RAM inline, the rest out of line).
 * @as: address space. @addr: address. @size: 1, 2, 4 or 8 (constant).
 * @order: the value's byte order (constant; DEVICE_NATIVE_ENDIAN: @as's
 * target's). @attrs: attributes. @result: result or NULL.
 * Return: the value.
 */
static inline uint64_t address_space_ld_inline(AddressSpace *as, hwaddr addr,
                                               unsigned size,
                                               enum device_endian order,
                                               MemTxAttrs attrs,
                                               MemTxResult *result)
{
    RcuReadState entered = rcu_read_enter();
    const FlatViewIndex *ix = address_space_index_rcu(as);
    const FlatSection *s = NULL; /* set when not direct */
    uint8_t *host = NULL;        /* set when direct */
    uint64_t v;

    if (__builtin_expect(
            flatview_index_direct(ix, addr, size,
                                  FLAT_SECTION_HOST | FLAT_SECTION_HOOK_READ,
                                  FLAT_SECTION_HOST, &host, &s),
            1)) {
        v = addrspace_host_load(host, size);
        if (addrspace_endian_swaps(order, &as->priv.big_endian)) {
            v = addrspace_bswap(v, size);
        }
        if (result) {
            *result = MEMTX_OK;
        }
    } else {
        MemoryRegion *mr;
        unsigned piece;
        hwaddr offset;

        mr = flatview_section_mmio(s, addr, size, &offset, &piece);
        if (mr) {
            MemTxResult r;

            if (__builtin_expect(memory_region_mmio_inline_ok(mr, offset, size),
                                 1)) {
                /* the device callbacks, in this frame */
                v = memory_region_mmio_load_inline(mr, offset, size, piece,
                                                   order, &as->priv.big_endian,
                                                   attrs, &r);
            } else {
                /* the same, inside the guard and the locks */
                v = memory_region_load_fast(
                    mr, offset, size, order,
                    __atomic_load_n(&as->priv.big_endian, __ATOMIC_RELAXED),
                    attrs, &r);
            }
            if (result) {
                *result = r;
            }
        } else {
            /* the rest of MMIO, holes, IOMMUs, crossings, hooks: the
             * general path, out of line, without a second lookup */
            v = address_space_ld_at_rcu(as, s, addr, size, order, attrs,
                                        result);
        }
    }
    rcu_read_exit(entered);
    return v;
}

/**
 * address_space_st_inline() - private: the typed store behind every
 * address_space_st*().
 * @as: address space. @addr: address. @size: 1, 2, 4 or 8 (constant).
 * @val: value. @order: its byte order (constant; DEVICE_NATIVE_ENDIAN:
 * @as's target's). @attrs: attributes. @result: result or NULL.
 */
static inline void address_space_st_inline(AddressSpace *as, hwaddr addr,
                                           unsigned size, uint64_t val,
                                           enum device_endian order,
                                           MemTxAttrs attrs,
                                           MemTxResult *result)
{
    RcuReadState entered = rcu_read_enter();
    const FlatViewIndex *ix = address_space_index_rcu(as);
    const FlatSection *s = NULL; /* set when not direct */
    uint8_t *host = NULL;        /* set when direct */

    /* a logged section marks dirty pages, a hooked one reports: out of
     * line */
    if (__builtin_expect(flatview_index_direct(ix, addr, size,
                                               FLAT_SECTION_HOST |
                                                   FLAT_SECTION_LOG_MASK |
                                                   FLAT_SECTION_HOOK_WRITE,
                                               FLAT_SECTION_HOST, &host, &s),
                         1)) {
        uint64_t v = val;

        if (addrspace_endian_swaps(order, &as->priv.big_endian)) {
            v = addrspace_bswap(v, size);
        }
        addrspace_host_store(host, size, v);
        if (result) {
            *result = MEMTX_OK;
        }
    } else {
        MemoryRegion *mr;
        unsigned piece;
        hwaddr offset;

        mr = flatview_section_mmio(s, addr, size, &offset, &piece);
        if (mr) {
            MemTxResult r;

            if (__builtin_expect(memory_region_mmio_inline_ok(mr, offset, size),
                                 1)) {
                r = memory_region_mmio_store_inline(
                    mr, offset, size, piece, val, order, &as->priv.big_endian,
                    attrs);
            } else {
                r = memory_region_store_fast(
                    mr, offset, val, size, order,
                    __atomic_load_n(&as->priv.big_endian, __ATOMIC_RELAXED),
                    attrs);
            }
            if (result) {
                *result = r;
            }
        } else {
            address_space_st_at_rcu(as, s, addr, size, val, order, attrs,
                                    result);
        }
    }
    rcu_read_exit(entered);
}

#endif /* ADDRSPACE_STATIC_ACCESS_INLINE_H */
