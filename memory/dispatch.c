/* SPDX-License-Identifier: MIT */
/*
 * MMIO dispatch: one access to a region with MemoryRegionOps, turned into
 * the callback calls its ops ask for. Follows QEMU 7.2's softmmu/memory.c
 * (memory_region_access_valid, access_with_adjusted_size with its shift
 * arithmetic, adjust_endianness, the unassigned ops) and physmem.c
 * (memory_access_size, prepare_mmio_access: the big lock). As in QEMU, the
 * region's size is not checked: callbacks may get bytes past its end
 * (offsets wrap at 2^64). memory_region_enable_bounds_check() opts a region
 * in to the "mmio-bounds" deviation (no callback past its end, see struct
 * MemoryRegionOps in memory.h). Always on, where QEMU is undefined, aborts
 * or overflows its stack: sizes and impl sizes above 8 refused, and a
 * per-thread re-entrancy depth limit.
 */
#include "memory-internal.h"
#include "../rcu/rcu-internal.h"

/* Nested callbacks one thread may have in progress (see the guard below). */
#define DISPATCH_DEPTH_MAX ADDRSPACE_DISPATCH_DEPTH_MAX

static inline bool is_access_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

static inline unsigned pow2_floor(unsigned v)
{
    return v ? 1u << (31 - __builtin_clz(v)) : 0;
}

/* The low @size bytes; @size is 1 to 8. */
static inline uint64_t size_mask(unsigned size)
{
    return UINT64_MAX >> (64 - 8 * size);
}

/* Whether [offset, offset + size) lies in a region whose last byte is
 * @last (size - 1; UINT64_MAX for 2^64). Overflow-free. */
static inline bool range_in_region(hwaddr offset, unsigned size, uint64_t last)
{
    return size - 1 <= last && offset <= last - (size - 1);
}

/*
 * The callbacks' size for an access of @size (1 to 8), as QEMU's
 * access_with_adjusted_size() computes it: @size clamped to [impl.min,
 * impl.max], impl.min winning when the range is empty, 0 meaning 1 and 4.
 * Returns 0 when impl.min_access_size is above 8: QEMU's mask arithmetic
 * is undefined there, and such ops are refused.
 */
static inline unsigned callback_size(const MemoryRegionOps *ops, unsigned size)
{
    unsigned lo = ops->impl.min_access_size ? ops->impl.min_access_size : 1;
    unsigned hi = ops->impl.max_access_size ? ops->impl.max_access_size : 4;

    if (lo > 8) {
        return 0;
    }
    return MAX(MIN(size, hi), lo);
}

/* QEMU's memory_region_access_valid() without valid.accepts (asked first,
 * by the callers, when there is one). */
static inline bool valid_static(const MemoryRegionOps *ops, hwaddr offset,
                                unsigned size)
{
    if (!ops->valid.unaligned && (offset & (size - 1))) {
        return false;
    }
    /* QEMU: a zero valid.max_access_size accepts every size */
    return !ops->valid.max_access_size || (size <= ops->valid.max_access_size &&
                                           size >= ops->valid.min_access_size);
}

/* Our checks before any of QEMU's: an access size, ops whose callback
 * size is defined, and with the mmio-bounds opt-in (@bounded) inside the
 * region (last byte @last). */
static inline bool access_possible(const MemoryRegionOps *ops, hwaddr offset,
                                   unsigned size, bool bounded, uint64_t last)
{
    /* no ops: QEMU's unassigned_mem_accepts() refuses everything */
    return ops && is_access_size(size) && callback_size(ops, size) &&
           (!bounded || range_in_region(offset, size, last));
}

static inline GRecMutex *region_lock(MemoryRegion *mr)
{
    /* pairs with the release store in memory_region_set_lock() */
    return __atomic_load_n(&mr->priv.lock, __ATOMIC_ACQUIRE);
}

/* The locks held around a region's callbacks: the big lock unless the
 * thread holds it or the region cleared global locking (QEMU's
 * prepare_mmio_access()), then the region's own lock, if any. */
typedef struct Held {
    GRecMutex *lock;
    bool bql;
} Held;

static inline void locks_enter(MemoryRegion *mr, Held *h)
{
    h->bql = !__atomic_load_n(&mr->priv.no_global_locking, __ATOMIC_RELAXED) &&
             bql_lock_unless_held();
    h->lock = region_lock(mr);
    if (h->lock) {
        g_rec_mutex_lock(h->lock);
    }
}

static inline void locks_leave(Held *h)
{
    if (h->lock) {
        g_rec_mutex_unlock(h->lock);
    }
    if (h->bql) {
        bql_unlock_taken();
    }
}

/* QEMU's memory_region_access_valid(), valid.accepts first; the region's
 * locks are held. */
static bool access_valid_locked(MemoryRegion *mr, const MemoryRegionOps *ops,
                                hwaddr offset, unsigned size, bool is_write,
                                MemTxAttrs attrs)
{
    if (ops->valid.accepts &&
        !ops->valid.accepts(mr->priv.opaque, offset, size, is_write, attrs)) {
        return false;
    }
    return valid_static(ops, offset, size);
}

bool memory_region_access_valid(MemoryRegion *mr, hwaddr offset, unsigned size,
                                bool is_write, MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->priv.ops;
    bool ok;
    Held h;

    if (!access_possible(ops, offset, size, mr_bounds_checked(mr),
                         mr_size_last_relaxed(mr))) {
        return false;
    }
    if (!ops->valid.accepts) {
        return valid_static(ops, offset, size);
    }
    locks_enter(mr, &h);
    ok = access_valid_locked(mr, ops, offset, size, is_write, attrs);
    locks_leave(&h);
    return ok;
}

/*
 * The re-entrancy guard (QEMU 8's mem_reentrancy_guard, kept per thread
 * because our callbacks run on many threads): the keys (owner, or the
 * region when it has none) of the callbacks this thread is inside. A
 * region that opted out pushes NULL, which counts toward the depth limit
 * but blocks nothing, as QEMU leaves the device unmarked then.
 */
typedef AddrspaceDispatchGuard Guard;

/* one thread-local object: one TLS address computation per access; the
 * inline MMIO path (static/access-inline.h) enters it at depth 0 */
ADDRSPACE_EXPORT _Thread_local Guard addrspace_dispatch_guard;
#define guard addrspace_dispatch_guard

/* Enter a callback of @mr; NULL if the guard refuses it, else the token
 * for guard_leave(). Outside any callback (depth 0) nothing can match. */
static inline Guard *guard_enter(MemoryRegion *mr)
{
    Guard *g = &guard;
    unsigned depth = g->depth;
    const void *key = memory_region_guard_key(mr);

    if (__builtin_expect(depth != 0, 0)) {
        if (depth >= DISPATCH_DEPTH_MAX) {
            return NULL;
        }
        for (unsigned i = 0; key && i < depth; i++) {
            if (g->keys[i] == key) {
                return NULL;
            }
        }
    }
    g->keys[depth] = key;
    g->depth = depth + 1;
    return g;
}

static inline void guard_leave(Guard *g)
{
    g_assert(g->depth > 0);
    g->depth--;
}

/*
 * The callbacks of one access: the locks, valid.accepts, the guard, the
 * piece loop, the byte order. The one out-of-line MMIO path: dispatch()
 * makes QEMU's checks first, the fast entries rely on those the view made
 * at render. @value is in and out (a read's stays as it was on refusal),
 * exchanged in byte order @order; @target_big resolves
 * DEVICE_NATIVE_ENDIAN (the value's and the device's). @last: NULL as in
 * QEMU (callbacks of the full size, wherever they end), or the region's
 * last offset, the access inside it, for the mmio-bounds opt-in (a piece
 * that would pass it is cut).
 */
static MemTxResult callbacks(MemoryRegion *mr, hwaddr offset, uint64_t *value,
                             unsigned size, bool is_write,
                             enum device_endian order, bool target_big,
                             const uint64_t *last, MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->priv.ops;
    bool dev_be = addrspace_endian_big(ops->endianness, &target_big);
    bool big_endian = addrspace_endian_big(order, &target_big);
    uint64_t v = *value;
    MemTxResult r;
    Guard *g;
    Held h;

    if (is_write && big_endian != dev_be) {
        v = addrspace_bswap(v, size);
    }
    locks_enter(mr, &h);
    if (ops->valid.accepts &&
        !access_valid_locked(mr, ops, offset, size, is_write, attrs)) {
        r = MEMTX_DECODE_ERROR;
        goto out;
    }
    g = guard_enter(mr);
    if (!g) {
        r = MEMTX_ACCESS_ERROR;
        goto out;
    }
    r = memory_region_mmio_pieces(mr, ops, offset, size,
                                  callback_size(ops, size), dev_be, last,
                                  is_write, attrs, &v);
    guard_leave(g);
    if (!is_write) {
        *value = big_endian != dev_be ? addrspace_bswap(v, size) : v;
    }
out:
    locks_leave(&h);
    return r;
}

/* QEMU's checks (refused: the unassigned ops), then the callbacks. */
static MemTxResult dispatch(MemoryRegion *mr, hwaddr offset, uint64_t *value,
                            unsigned size, bool is_write,
                            enum device_endian order, bool target_big,
                            MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->priv.ops;
    bool bounded = mr_bounds_checked(mr);
    /* read once: the checks and the piece loop agree even if the region
     * is resized meanwhile */
    uint64_t last = mr_size_last_relaxed(mr);

    if (!access_possible(ops, offset, size, bounded, last) ||
        (!ops->valid.accepts && !valid_static(ops, offset, size))) {
        return MEMTX_DECODE_ERROR;
    }
    return callbacks(mr, offset, value, size, is_write, order, target_big,
                     bounded ? &last : NULL, attrs);
}

MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr offset,
                                        uint64_t *value, unsigned size,
                                        enum device_endian order,
                                        bool target_big, MemTxAttrs attrs)
{
    *value = 0;
    return dispatch(mr, offset, value, size, false, order, target_big, attrs);
}

MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr offset,
                                         uint64_t value, unsigned size,
                                         enum device_endian order,
                                         bool target_big, MemTxAttrs attrs)
{
    if (is_access_size(size)) {
        value &= size_mask(size); /* the callback sees only @size bytes */
    }
    return dispatch(mr, offset, &value, size, true, order, target_big, attrs);
}

/*
 * The fast path. For an aligned access of a size the ops accept, are not
 * asked about (no valid.accepts) and neither widen nor cut into pieces
 * that overhang it, access_with_adjusted_size() makes size / a ascending
 * callbacks of a = callback_size() bytes, all inside the access: the
 * pieces are plain shifts of the value in the device's byte order.
 */

unsigned memory_region_ops_fast_sizes(const MemoryRegionOps *ops)
{
    unsigned mask = 0;

    /* valid.accepts must see every access: no shortcut around it */
    if (!ops || ops->valid.accepts) {
        return 0;
    }
    for (unsigned size = 1; size <= 8; size *= 2) {
        unsigned a = callback_size(ops, size);

        /* a power of two not above @size divides it; offset 0 stands for
         * every aligned offset */
        if (a && a <= size && !(a & (a - 1)) && valid_static(ops, 0, size)) {
            mask |= size;
        }
    }
    return mask;
}

unsigned memory_region_ops_piece_size(const MemoryRegionOps *ops)
{
    /* for every fast size s, callback_size(s) == MIN(s, callback_size(8)) */
    return memory_region_ops_fast_sizes(ops) ? callback_size(ops, 8) : 0;
}

ADDRSPACE_EXPORT uint64_t memory_region_load_fast(
    MemoryRegion *mr, hwaddr offset, unsigned size, enum device_endian order,
    bool target_big, MemTxAttrs attrs, MemTxResult *result)
{
    uint64_t v = 0;
    MemTxResult r = MEMTX_DECODE_ERROR;

    /* the region may have shrunk since the caller's view was rendered:
     * QEMU makes the access anyway, the mmio-bounds opt-in refuses it (the
     * mode is read only then); the pieces divide the access */
    if (range_in_region(offset, size, mr_size_last_relaxed(mr)) ||
        !mr_bounds_checked(mr)) {
        r = callbacks(mr, offset, &v, size, false, order, target_big, NULL,
                      attrs);
    }
    if (result) {
        *result = r;
    }
    return v;
}

ADDRSPACE_EXPORT MemTxResult memory_region_store_fast(
    MemoryRegion *mr, hwaddr offset, uint64_t value, unsigned size,
    enum device_endian order, bool target_big, MemTxAttrs attrs)
{
    /* as memory_region_load_fast() */
    if (!range_in_region(offset, size, mr_size_last_relaxed(mr)) &&
        mr_bounds_checked(mr)) {
        return MEMTX_DECODE_ERROR;
    }
    value &= size_mask(size);
    return callbacks(mr, offset, &value, size, true, order, target_big, NULL,
                     attrs);
}

unsigned memory_access_size(MemoryRegion *mr, unsigned len, hwaddr offset)
{
    const MemoryRegionOps *ops = mr->priv.ops;
    unsigned max = ops && ops->valid.max_access_size
                       ? MIN(ops->valid.max_access_size, 8u)
                       : 4; /* QEMU: regions do 1-4 bytes unless they say */

    /* QEMU tests impl.unaligned here, not valid.unaligned */
    if (!(ops && ops->impl.unaligned)) {
        hwaddr align = offset & -offset;

        if (align && align < max) {
            max = (unsigned)align;
        }
    }
    return pow2_floor(MIN(len, max));
}
