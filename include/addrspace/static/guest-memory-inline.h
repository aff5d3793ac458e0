/* SPDX-License-Identifier: MIT */
/**
 * @file guest-memory-inline.h
 * @brief The wrappers of the region interface: every call of a
 * GuestRegionOps or GuestMemoryOps member goes through one of these, which
 * hold the fallbacks of the optional members and the host-pointer fast
 * path.
 *
 * NOT ABI: included by <addrspace/guest-memory.h> (through the end of
 * <addrspace/flatview.h>) only; the contents may change in any release.
 */
#ifndef ADDRSPACE_STATIC_GUEST_MEMORY_INLINE_H
#define ADDRSPACE_STATIC_GUEST_MEMORY_INLINE_H

#ifndef ADDRSPACE_GUEST_MEMORY_H
#error "include <addrspace/guest-memory.h>, not this file"
#endif

#include <addrspace/static/host-inline.h>
#include <addrspace/static/typed-table.h>

/**
 * guest_region_len() - Bytes in @r.
 * @r: the region.
 * Return: the length, UINT64_MAX for a region of 2^64 bytes.
 */
static inline uint64_t guest_region_len(const GuestRegion *r)
{
    uint64_t n = r->last - r->start;

    return n == UINT64_MAX ? n : n + 1;
}

/**
 * guest_region_has() - Whether @offset is inside @r.
 * @r: the region. @offset: an offset.
 * Return: true when @offset is below the region's length.
 */
static inline bool guest_region_has(const GuestRegion *r, hwaddr offset)
{
    return offset <= r->last - r->start;
}

/**
 * guest_region_left() - Bytes of @r from @offset to its end.
 * @r: the region.
 * @offset: an offset.
 * Return: the count, saturated at UINT64_MAX; 0 when @offset is at or past
 * the region's length.
 */
static inline uint64_t guest_region_left(const GuestRegion *r, hwaddr offset)
{
    uint64_t n;

    if (!guest_region_has(r, offset)) {
        return 0;
    }
    n = r->last - r->start - offset;
    return n == UINT64_MAX ? n : n + 1;
}

/**
 * guest_region_mark_dirty() - Record a write the caller made through
 * @r->host.
 * @r: the region. @offset: first byte written. @len: bytes (cut at the
 * region's end; nothing is marked for an @offset at or past it).
 */
static inline void guest_region_mark_dirty(GuestRegion *r, hwaddr offset,
                                           uint64_t len)
{
    uint64_t left = guest_region_left(r, offset);

    if (r->ops->mark_dirty && left) {
        r->ops->mark_dirty(r, offset, len < left ? len : left);
    }
}

/**
 * guest_region_test_and_clear_dirty() - Whether [@offset, @offset + @len)
 * of @r was written since the last call; clears it.
 * @r: the region. @offset: first byte. @len: bytes.
 * Return: true when a page in the range was dirty; false for regions
 * without a bitmap.
 */
static inline bool
guest_region_test_and_clear_dirty(GuestRegion *r, hwaddr offset, uint64_t len)
{
    uint64_t left = guest_region_left(r, offset);

    return r->ops->test_and_clear_dirty && left &&
           r->ops->test_and_clear_dirty(r, offset, len < left ? len : left);
}

/**
 * guest_region_read() - Read bytes of @r from @offset on.
 * @r: the region.
 * @offset: offset in @r (at or past its length: MEMTX_DECODE_ERROR, no
 *          byte read).
 * @buf: destination.
 * @len: at most this many bytes, >= 1 (may pass the region's end; see
 *       GuestRegionOps.read).
 * @attrs: attributes.
 * @target_big_endian: the target byte order.
 * @done: set to the bytes consumed (>= 1 unless @len is 0).
 * Context: as GuestRegionOps.
 * Return: the result of those bytes.
 */
static inline MemTxResult
guest_region_read(GuestRegion *r, hwaddr offset, void *buf, uint64_t len,
                  MemTxAttrs attrs, bool target_big_endian, uint64_t *done)
{
    uint64_t n = guest_region_left(r, offset);

    if (!n) {
        *done = 0;
        return MEMTX_DECODE_ERROR;
    }
    if (r->ops->read) {
        return r->ops->read(r, offset, buf, len, attrs, target_big_endian,
                            done);
    }
    n = len < n ? len : n;
    addrspace_copy_untorn(buf, r->host + offset, n, false);
    *done = n;
    return MEMTX_OK;
}

/**
 * guest_region_write() - Write bytes of @r from @offset on.
 * @r: the region.
 * @offset: offset in @r.
 * @buf: source.
 * @len: at most this many bytes (as guest_region_read()).
 * @attrs: attributes.
 * @target_big_endian: the target byte order.
 * @done: set to the bytes consumed.
 * Context: as GuestRegionOps.
 * Return: the result of those bytes.
 */
static inline MemTxResult
guest_region_write(GuestRegion *r, hwaddr offset, const void *buf, uint64_t len,
                   MemTxAttrs attrs, bool target_big_endian, uint64_t *done)
{
    uint64_t n = guest_region_left(r, offset);

    if (!n) {
        *done = 0;
        return MEMTX_DECODE_ERROR;
    }
    if (r->ops->write) {
        return r->ops->write(r, offset, buf, len, attrs, target_big_endian,
                             done);
    }
    n = len < n ? len : n;
    addrspace_copy_untorn(r->host + offset, buf, n, true);
    guest_region_mark_dirty(r, offset, n);
    *done = n;
    return MEMTX_OK;
}

/**
 * guest_region_host_fits() - Whether the host fast path serves @size bytes
 * at @offset of @r.
 * @r: the region.
 * @offset: offset in @r.
 * @size: bytes.
 * Return: true when @r is plain memory and the bytes stay inside it.
 */
static inline bool guest_region_host_fits(const GuestRegion *r, hwaddr offset,
                                          unsigned size)
{
    return r->host && guest_region_left(r, offset) >= size;
}

/**
 * guest_region_load() - One typed load from @r, never split.
 * @r: the region.
 * @offset: offset in @r.
 * @size: 1, 2, 4 or 8.
 * @order: byte order of the value (DEVICE_NATIVE_ENDIAN: the target's).
 * @attrs: attributes.
 * @target_big_endian: the target byte order.
 * @value: set to the value (0 on failure).
 *
 * Plain memory: one atomic host access when the host address is aligned.
 * Return: the result.
 */
static inline MemTxResult
guest_region_load(GuestRegion *r, hwaddr offset, unsigned size,
                  enum device_endian order, MemTxAttrs attrs,
                  bool target_big_endian, uint64_t *value)
{
    uint64_t v = 0;

    if (!guest_region_host_fits(r, offset, size)) {
        *value = 0;
        if (!guest_region_has(r, offset)) {
            return MEMTX_DECODE_ERROR;
        }
        return r->ops->load ? r->ops->load(r, offset, size, order, attrs,
                                           target_big_endian, value)
                            : MEMTX_DECODE_ERROR;
    }
    v = addrspace_host_load(r->host + offset, size);
    *value = addrspace_endian_swaps(order, &target_big_endian)
                 ? addrspace_bswap(v, size)
                 : v;
    return MEMTX_OK;
}

/**
 * guest_region_store() - One typed store to @r, never split.
 * @r: the region.
 * @offset: offset in @r.
 * @size: 1, 2, 4 or 8.
 * @order: byte order of the value (DEVICE_NATIVE_ENDIAN: the target's).
 * @attrs: attributes.
 * @target_big_endian: the target byte order.
 * @value: the value (low @size bytes).
 *
 * As guest_region_load(); plain memory is marked dirty.
 * Return: the result.
 */
static inline MemTxResult
guest_region_store(GuestRegion *r, hwaddr offset, unsigned size,
                   enum device_endian order, MemTxAttrs attrs,
                   bool target_big_endian, uint64_t value)
{
    uint64_t v;

    if (!guest_region_host_fits(r, offset, size)) {
        if (!guest_region_has(r, offset)) {
            return MEMTX_DECODE_ERROR;
        }
        return r->ops->store ? r->ops->store(r, offset, size, order, attrs,
                                             target_big_endian, value)
                             : MEMTX_DECODE_ERROR;
    }
    v = addrspace_endian_swaps(order, &target_big_endian)
            ? addrspace_bswap(value, size)
            : value;
    addrspace_host_store(r->host + offset, size, v);
    guest_region_mark_dirty(r, offset, size);
    return MEMTX_OK;
}

/**
 * guest_memory_find_region() - The region containing @addr.
 * @mem: the memory. @addr: an address.
 * Context: inside a read-side section (see the file comment for how long
 * the region stays valid).
 * Return: the region, or NULL for a hole.
 */
static inline GuestRegion *guest_memory_find_region(GuestMemory *mem,
                                                    hwaddr addr)
{
    return mem->ops->find_region(mem, addr);
}

/**
 * guest_memory_regions_pinned() - Whether the caller's reference on @mem
 * keeps the regions found in it, and their host memory, valid outside
 * read-side sections (GuestMemoryOps.regions_pinned).
 * @mem: the memory.
 * Return: true for pinned regions (a FlatView); false when a region is
 * valid only inside the read-side section it was found in.
 */
static inline bool guest_memory_regions_pinned(const GuestMemory *mem)
{
    return mem->ops->regions_pinned;
}

/**
 * guest_memory_num_regions() - Number of regions of @mem.
 * @mem: the memory.
 * Context: inside a read-side section.
 * Return: the count.
 */
static inline size_t guest_memory_num_regions(GuestMemory *mem)
{
    return mem->ops->num_regions(mem);
}

/**
 * guest_memory_region() - The @i-th region of @mem in address order.
 * @mem: the memory. @i: index.
 * Context: inside a read-side section.
 * Return: the region, or NULL when @i is out of range.
 */
static inline GuestRegion *guest_memory_region(GuestMemory *mem, size_t i)
{
    return mem->ops->region(mem, i);
}

/**
 * guest_memory_load_inline() - private: guest_memory_load() with a
 * FlatView's RAM served in the caller's frame, as address_space_ld*()
 * serves it: the view's index searched (flatview_index_direct()), the
 * bounds checked, one host load. The view is pinned by the GuestMemory's
 * reference, so no read-side section is needed; everything else
 * (other implementations, MMIO, ROM, holes) goes to guest_memory_load().
 * @mem: the memory. @addr: address. @size: 1, 2, 4 or 8 (constant).
 * @endian: byte order of the value. @attrs: attributes.
 * @value: set to the value (0 on failure).
 * Return: the result.
 */
static inline MemTxResult guest_memory_load_inline(GuestMemory *mem,
                                                   hwaddr addr, unsigned size,
                                                   enum device_endian endian,
                                                   MemTxAttrs attrs,
                                                   uint64_t *value)
{
    const FlatSection *s = NULL; /* set when not direct */
    uint8_t *host = NULL;        /* set when direct */

    if (mem->view_index) {
        if (__builtin_expect(flatview_index_direct(
                                 mem->view_index, addr, size, FLAT_SECTION_HOST,
                                 FLAT_SECTION_HOST, &host, &s),
                             1)) {
            uint64_t v = addrspace_host_load(host, size);

            *value = addrspace_endian_swaps(endian, &mem->big_endian)
                         ? addrspace_bswap(v, size)
                         : v;
            return MEMTX_OK;
        }
    }
    return guest_memory_load(mem, addr, size, endian, attrs, value);
}

/**
 * GUEST_MEMORY_DEFINE_LOAD() - Typed loads and stores with
 * address_space_ld*()/st*()'s shape, over guest_memory_load() and
 * guest_memory_store().
 * @name: the function's full name.
 * @type: the value's type.
 * @size: its size in bytes.
 * @endian: its byte order (enum device_endian).
 *
 * Defines `type name(GuestMemory *mem, hwaddr addr, MemTxAttrs attrs,
 * MemTxResult *result)`; GUEST_MEMORY_DEFINE_STORE() defines `void
 * name(GuestMemory *mem, hwaddr addr, type val, MemTxAttrs attrs,
 * MemTxResult *result)`. @result may be NULL. The functions are defined
 * and documented one by one below, guest_memory_ldub() to
 * guest_memory_stq_be(). The un-suffixed forms use the memory's target
 * byte order (@mem->big_endian), _le and _be the named one.
 */
#define GUEST_MEMORY_DEFINE_LOAD(name, type, size, endian)                   \
    static inline type name(GuestMemory *mem, hwaddr addr, MemTxAttrs attrs, \
                            MemTxResult *result)                             \
    {                                                                        \
        uint64_t v;                                                          \
        MemTxResult r =                                                      \
            guest_memory_load_inline(mem, addr, size, endian, attrs, &v);    \
                                                                             \
        if (result) {                                                        \
            *result = r;                                                     \
        }                                                                    \
        return (type)v;                                                      \
    }

/**
 * GUEST_MEMORY_DEFINE_STORE() - Define a typed store wrapper
 * `void name(mem, addr, val, attrs, result)`.
 * @name: the function's full name.
 * @type: the value's type.
 * @size: its size in bytes.
 * @endian: its byte order (enum device_endian).
 */
#define GUEST_MEMORY_DEFINE_STORE(name, type, size, endian)          \
    static inline void name(GuestMemory *mem, hwaddr addr, type val, \
                            MemTxAttrs attrs, MemTxResult *result)   \
    {                                                                \
        MemTxResult r =                                              \
            guest_memory_store(mem, addr, size, endian, attrs, val); \
                                                                     \
        if (result) {                                                \
            *result = r;                                             \
        }                                                            \
    }

/* The rows of static/typed-table.h as GUEST_MEMORY_DEFINE_LOAD() and
 * GUEST_MEMORY_DEFINE_STORE() take them. */
#define GUEST_MEMORY_LD_(ld, st, type, size, order) \
    GUEST_MEMORY_DEFINE_LOAD(guest_memory_##ld, type, size, order)
#define GUEST_MEMORY_ST_(ld, st, type, size, order) \
    GUEST_MEMORY_DEFINE_STORE(guest_memory_##st, type, size, order)

/** guest_memory_ldub() - Load a byte. @mem: the memory. @addr: address.
 * @attrs: attributes. @result: result or NULL. Return: the value. */
ADDRSPACE_TYPED_UB_(GUEST_MEMORY_LD_)
/** guest_memory_lduw() - Load 16 bits, target order. @mem: the memory.
 * @addr: address. @attrs: attributes. @result: result or NULL. Return: the
 * value. */
ADDRSPACE_TYPED_UW_(GUEST_MEMORY_LD_)
/** guest_memory_lduw_le() - Load 16 bits, little endian. @mem: the memory.
 * @addr: address. @attrs: attributes. @result: result or NULL. Return: the
 * value. */
ADDRSPACE_TYPED_UW_LE_(GUEST_MEMORY_LD_)
/** guest_memory_lduw_be() - Load 16 bits, big endian. @mem: the memory.
 * @addr: address. @attrs: attributes. @result: result or NULL. Return: the
 * value. */
ADDRSPACE_TYPED_UW_BE_(GUEST_MEMORY_LD_)
/** guest_memory_ldl() - Load 32 bits, target order. @mem: the memory.
 * @addr: address. @attrs: attributes. @result: result or NULL. Return: the
 * value. */
ADDRSPACE_TYPED_L_(GUEST_MEMORY_LD_)
/** guest_memory_ldl_le() - Load 32 bits, little endian. @mem: the memory.
 * @addr: address. @attrs: attributes. @result: result or NULL. Return: the
 * value. */
ADDRSPACE_TYPED_L_LE_(GUEST_MEMORY_LD_)
/** guest_memory_ldl_be() - Load 32 bits, big endian. @mem: the memory.
 * @addr: address. @attrs: attributes. @result: result or NULL. Return: the
 * value. */
ADDRSPACE_TYPED_L_BE_(GUEST_MEMORY_LD_)
/** guest_memory_ldq() - Load 64 bits, target order. @mem: the memory.
 * @addr: address. @attrs: attributes. @result: result or NULL. Return: the
 * value. */
ADDRSPACE_TYPED_Q_(GUEST_MEMORY_LD_)
/** guest_memory_ldq_le() - Load 64 bits, little endian. @mem: the memory.
 * @addr: address. @attrs: attributes. @result: result or NULL. Return: the
 * value. */
ADDRSPACE_TYPED_Q_LE_(GUEST_MEMORY_LD_)
/** guest_memory_ldq_be() - Load 64 bits, big endian. @mem: the memory.
 * @addr: address. @attrs: attributes. @result: result or NULL. Return: the
 * value. */
ADDRSPACE_TYPED_Q_BE_(GUEST_MEMORY_LD_)
/** guest_memory_stb() - Store a byte. @mem: the memory. @addr: address.
 * @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_UB_(GUEST_MEMORY_ST_)
/** guest_memory_stw() - Store 16 bits, target order. @mem: the memory.
 * @addr: address. @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_UW_(GUEST_MEMORY_ST_)
/** guest_memory_stw_le() - Store 16 bits, little endian. @mem: the memory.
 * @addr: address. @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_UW_LE_(GUEST_MEMORY_ST_)
/** guest_memory_stw_be() - Store 16 bits, big endian. @mem: the memory.
 * @addr: address. @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_UW_BE_(GUEST_MEMORY_ST_)
/** guest_memory_stl() - Store 32 bits, target order. @mem: the memory.
 * @addr: address. @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_L_(GUEST_MEMORY_ST_)
/** guest_memory_stl_le() - Store 32 bits, little endian. @mem: the memory.
 * @addr: address. @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_L_LE_(GUEST_MEMORY_ST_)
/** guest_memory_stl_be() - Store 32 bits, big endian. @mem: the memory.
 * @addr: address. @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_L_BE_(GUEST_MEMORY_ST_)
/** guest_memory_stq() - Store 64 bits, target order. @mem: the memory.
 * @addr: address. @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_Q_(GUEST_MEMORY_ST_)
/** guest_memory_stq_le() - Store 64 bits, little endian. @mem: the memory.
 * @addr: address. @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_Q_LE_(GUEST_MEMORY_ST_)
/** guest_memory_stq_be() - Store 64 bits, big endian. @mem: the memory.
 * @addr: address. @val: value. @attrs: attributes. @result: result or NULL. */
ADDRSPACE_TYPED_Q_BE_(GUEST_MEMORY_ST_)

#endif /* ADDRSPACE_STATIC_GUEST_MEMORY_INLINE_H */
