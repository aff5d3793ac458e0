/* SPDX-License-Identifier: MIT */
/*
 * MMIO dispatch: one access to a region with MemoryRegionOps, turned into
 * the callback calls its ops allow. Follows QEMU's system/memory.c rules
 * (memory_region_access_valid, access_with_adjusted_size, adjust_endianness,
 * the unassigned ops) and physmem.c's memory_access_size, with the
 * deviations listed at struct MemoryRegionOps in memory.h: accesses never
 * pass the region's end, widened and unaligned accesses are made of
 * aligned callback accesses, and a per-thread re-entrancy guard.
 *
 * The value of an access is handled as the bytes the guest sees: a register
 * of n bytes at offset o occupies bytes o..o+n-1, serialised in the
 * device's byte order. Splitting, widening and the exchange byte order are
 * all conversions to and from those bytes, so every combination agrees on
 * any host.
 */
#include "memory-internal.h"

/* Nested callbacks one thread may have in progress (see the guard below). */
#define DISPATCH_DEPTH_MAX ADDRSPACE_DISPATCH_DEPTH_MAX

/* Callback accesses one access can need: 8 single bytes at most. */
#define PLAN_PIECES_MAX 8

/*
 * Byte lanes of an access: the request covers lanes [LANE_BIAS,
 * LANE_BIAS + size); a widened callback access may start up to 7 bytes
 * before it and end up to 7 bytes after it.
 */
#define LANE_BIAS  8
#define LANE_COUNT 24

/* One callback access: @size bytes at region offset @offset. */
typedef struct Piece {
    hwaddr offset;
    unsigned size;
    int lane;     /* lane of the callback's first byte (may precede 0) */
    bool partial; /* widened: covers bytes outside the request */
} Piece;

typedef struct Plan {
    unsigned impl_min;
    unsigned impl_max;
    unsigned nr;
    Piece piece[PLAN_PIECES_MAX];
} Plan;

static inline bool is_access_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

static inline unsigned pow2_floor(unsigned v)
{
    return v ? 1u << (31 - __builtin_clz(v)) : 0;
}

static inline unsigned pow2_ceil(unsigned v)
{
    return v <= 1 ? 1 : 1u << (32 - __builtin_clz(v - 1));
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

static bool device_big_endian(const MemoryRegionOps *ops,
                              bool target_big_endian)
{
    switch (ops->endianness) {
    case DEVICE_BIG_ENDIAN:
        return true;
    case DEVICE_LITTLE_ENDIAN:
        return false;
    case DEVICE_NATIVE_ENDIAN:
    default:
        return target_big_endian;
    }
}

static uint64_t bytes_load(const uint8_t *p, unsigned n, bool big_endian)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        v = (v << 8) | p[big_endian ? i : n - 1 - i];
    }
    return v;
}

static void bytes_store(uint8_t *p, unsigned n, uint64_t v, bool big_endian)
{
    for (unsigned i = 0; i < n; i++) {
        p[big_endian ? n - 1 - i : i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t swap_size(uint64_t v, unsigned size)
{
    switch (size) {
    case 2:
        return __builtin_bswap16((uint16_t)v);
    case 4:
        return __builtin_bswap32((uint32_t)v);
    case 8:
        return __builtin_bswap64(v);
    default:
        return v;
    }
}

/*
 * The callback sizes the ops implement, as powers of two in [1, 8]; false
 * when the ops declare an empty range (min > max), which no access can
 * satisfy without breaking the callback-bounds invariant.
 */
static bool impl_range(const MemoryRegionOps *ops, unsigned *min, unsigned *max)
{
    unsigned lo = ops->impl.min_access_size ? ops->impl.min_access_size : 1;
    unsigned hi = ops->impl.max_access_size;

    if (lo > 8) {
        return false;
    }
    lo = pow2_ceil(lo);
    /* 0 means 4, as in QEMU; a larger minimum alone implies the maximum */
    hi = hi ? pow2_floor(MIN(hi, 8u)) : MAX(4u, lo);
    if (lo > hi) {
        return false;
    }
    *min = lo;
    *max = hi;
    return true;
}

/*
 * Cut an access into callback accesses. Each piece is the largest power of
 * two that fits the rest of the access and impl.max_access_size and, unless
 * impl.unaligned, is naturally aligned: this is QEMU's
 * access_with_adjusted_size() loop whenever the access is aligned. Where
 * that piece would be smaller than impl.min_access_size, the aligned
 * impl.min-sized unit holding the byte is accessed instead (widening).
 * Return: false if a widened unit would pass the region's end.
 */
static bool plan_access(const MemoryRegionOps *ops, hwaddr offset,
                        unsigned size, uint64_t last, Plan *plan)
{
    unsigned lo = plan->impl_min;
    unsigned hi = plan->impl_max;
    unsigned done = 0;

    plan->nr = 0;
    while (done < size) {
        hwaddr pos = offset + done;
        unsigned rest = size - done;
        unsigned n = MIN(hi, pow2_floor(rest));
        Piece *p = &plan->piece[plan->nr++];

        if (!ops->impl.unaligned) {
            while (pos & (n - 1)) {
                n >>= 1;
            }
        }
        if (n >= lo) {
            *p = (Piece){.offset = pos, .size = n, .lane = (int)done};
            done += n;
            continue;
        }
        hwaddr unit = pos & ~(hwaddr)(lo - 1);
        unsigned skip = (unsigned)(pos - unit);

        if (!range_in_region(unit, lo, last)) {
            return false;
        }
        *p = (Piece){.offset = unit,
                     .size = lo,
                     .lane = (int)done - (int)skip,
                     .partial = true};
        done += MIN(lo - skip, rest);
    }
    return true;
}

static inline GRecMutex *region_lock(MemoryRegion *mr)
{
    /* pairs with the release store in memory_region_set_lock() */
    return __atomic_load_n(&mr->priv.lock, __ATOMIC_ACQUIRE);
}

/*
 * Every check of an access that needs no device callback except
 * valid.accepts, which is asked last. @last is the region's last offset,
 * read once per access so that checks and the invariant agree even if the
 * region is resized meanwhile.
 */
static bool access_check(MemoryRegion *mr, const MemoryRegionOps *ops,
                         hwaddr offset, unsigned size, bool is_write,
                         MemTxAttrs attrs, uint64_t last, Plan *plan)
{
    bool ok = true;

    if (!ops || !is_access_size(size) || !range_in_region(offset, size, last)) {
        return false; /* no ops: QEMU's unassigned_mem_accepts() */
    }
    /* QEMU's memory_region_access_valid() rules */
    if (!ops->valid.unaligned && (offset & (size - 1))) {
        return false;
    }
    /* QEMU: a zero valid.max_access_size accepts every size */
    if (ops->valid.max_access_size && (size > ops->valid.max_access_size ||
                                       size < ops->valid.min_access_size)) {
        return false;
    }
    if (!impl_range(ops, &plan->impl_min, &plan->impl_max) ||
        !plan_access(ops, offset, size, last, plan)) {
        return false;
    }
    if (ops->valid.accepts) {
        GRecMutex *lock = region_lock(mr);

        if (lock) {
            g_rec_mutex_lock(lock);
        }
        ok = ops->valid.accepts(mr->priv.opaque, offset, size, is_write, attrs);
        if (lock) {
            g_rec_mutex_unlock(lock);
        }
    }
    return ok;
}

bool memory_region_access_valid(MemoryRegion *mr, hwaddr offset, unsigned size,
                                bool is_write, MemTxAttrs attrs)
{
    Plan plan;

    return access_check(mr, mr->priv.ops, offset, size, is_write, attrs,
                        mr_size_last_relaxed(mr), &plan);
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

/* The callback-bounds invariant, checked before every callback. */
static inline void assert_piece(const Plan *plan, const Piece *p, uint64_t last)
{
    g_assert(is_access_size(p->size));
    g_assert(p->size >= plan->impl_min && p->size <= plan->impl_max);
    g_assert(range_in_region(p->offset, p->size, last));
}

/* One callback each (static/access-inline.h: shared with the inline
 * MMIO path); QEMU masks each callback's value to its size. */
static inline MemTxResult call_read(MemoryRegion *mr,
                                    const MemoryRegionOps *ops, hwaddr offset,
                                    unsigned size, uint64_t *value,
                                    MemTxAttrs attrs)
{
    return memory_region_mmio_read_piece(mr, ops, offset, size, attrs, value);
}

static inline MemTxResult call_write(MemoryRegion *mr,
                                     const MemoryRegionOps *ops, hwaddr offset,
                                     unsigned size, uint64_t value,
                                     MemTxAttrs attrs)
{
    return memory_region_mmio_write_piece(mr, ops, offset, size, attrs, value);
}

/*
 * Run the planned callbacks; @lanes holds the request's bytes (for a write)
 * and receives them (for a read). A widened write reads its unit first and
 * writes it back with the request's bytes merged in (read-modify-write).
 */
static MemTxResult run_plan(MemoryRegion *mr, const MemoryRegionOps *ops,
                            const Plan *plan, unsigned size, bool is_write,
                            bool dev_be, uint8_t *lanes, uint64_t last,
                            MemTxAttrs attrs)
{
    MemTxResult r = MEMTX_OK;

    for (unsigned i = 0; i < plan->nr; i++) {
        const Piece *p = &plan->piece[i];
        uint8_t *unit = lanes + LANE_BIAS + p->lane;
        uint64_t v;

        if (!is_write || p->partial) {
            assert_piece(plan, p, last);
            r |= call_read(mr, ops, p->offset, p->size, &v, attrs);
            if (!is_write) {
                bytes_store(unit, p->size, v, dev_be);
                continue;
            }
            /* keep the request's bytes, take the others from the device */
            uint8_t old[8];

            bytes_store(old, p->size, v, dev_be);
            for (unsigned b = 0; b < p->size; b++) {
                int lane = p->lane + (int)b;

                if (lane < 0 || lane >= (int)size) {
                    unit[b] = old[b];
                }
            }
        }
        assert_piece(plan, p, last);
        r |= call_write(mr, ops, p->offset, p->size,
                        bytes_load(unit, p->size, dev_be), attrs);
    }
    return r;
}

/*
 * The common part of a read and a write. @value is in and out; the exchange
 * byte order conversion happens here.
 */
static MemTxResult dispatch(MemoryRegion *mr, hwaddr offset, uint64_t *value,
                            unsigned size, bool is_write, bool big_endian,
                            bool target_big_endian, MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->priv.ops;
    uint64_t last = mr_size_last_relaxed(mr);
    uint8_t lanes[LANE_COUNT] = {0};
    MemTxResult r;
    GRecMutex *lock;
    bool dev_be;
    Guard *g;
    Plan plan;

    if (!access_check(mr, ops, offset, size, is_write, attrs, last, &plan)) {
        /* QEMU 7.2: refused accesses go to the unassigned ops */
        return MEMTX_DECODE_ERROR;
    }
    g = guard_enter(mr);
    if (!g) {
        return MEMTX_ACCESS_ERROR;
    }
    dev_be = device_big_endian(ops, target_big_endian);
    lock = region_lock(mr);
    if (lock) {
        /* for the whole access: split and read-modify-write are atomic */
        g_rec_mutex_lock(lock);
    }
    if (plan.nr == 1 && !plan.piece[0].partial) {
        /* one callback of the access's own size (QEMU's adjust_endianness) */
        const Piece *p = &plan.piece[0];
        uint64_t v = *value;

        assert_piece(&plan, p, last);
        if (is_write) {
            r = call_write(mr, ops, p->offset, size,
                           big_endian == dev_be ? v : swap_size(v, size),
                           attrs);
        } else {
            r = call_read(mr, ops, p->offset, size, &v, attrs);
            *value = big_endian == dev_be ? v : swap_size(v, size);
        }
    } else {
        if (is_write) {
            bytes_store(lanes + LANE_BIAS, size, *value, big_endian);
        }
        r = run_plan(mr, ops, &plan, size, is_write, dev_be, lanes, last,
                     attrs);
        if (!is_write) {
            *value = bytes_load(lanes + LANE_BIAS, size, big_endian);
        }
    }
    if (lock) {
        g_rec_mutex_unlock(lock);
    }
    guard_leave(g);
    return r;
}

MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr offset,
                                        uint64_t *value, unsigned size,
                                        bool big_endian, bool target_big_endian,
                                        MemTxAttrs attrs)
{
    *value = 0;
    return dispatch(mr, offset, value, size, false, big_endian,
                    target_big_endian, attrs);
}

MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr offset,
                                         uint64_t value, unsigned size,
                                         bool big_endian,
                                         bool target_big_endian,
                                         MemTxAttrs attrs)
{
    if (is_access_size(size)) {
        value &= size_mask(size); /* the callback sees only @size bytes */
    }
    return dispatch(mr, offset, &value, size, true, big_endian,
                    target_big_endian, attrs);
}

/*
 * The fast path. For an aligned access of a size the ops accept, are not
 * asked about (no valid.accepts) and need not widen, plan_access() always
 * gives the same plan: size / piece callbacks of piece = MIN(size, impl
 * max) bytes, ascending, none partial. So it needs no plan and no byte
 * lanes: the pieces are shifts of the value in the device's byte order.
 */

unsigned memory_region_ops_fast_sizes(const MemoryRegionOps *ops)
{
    unsigned mask = 0, lo, hi;

    /* valid.accepts must see every access: no shortcut around it */
    if (!ops || ops->valid.accepts || !impl_range(ops, &lo, &hi)) {
        return 0;
    }
    for (unsigned size = lo; size <= 8; size *= 2) {
        /* access_check()'s size rules; an aligned access passes the
         * alignment rule */
        if (!ops->valid.max_access_size ||
            (size <= ops->valid.max_access_size &&
             size >= ops->valid.min_access_size)) {
            mask |= size;
        }
    }
    return mask;
}

unsigned memory_region_ops_piece_size(const MemoryRegionOps *ops)
{
    unsigned lo, hi;

    return memory_region_ops_fast_sizes(ops) && impl_range(ops, &lo, &hi) ? hi
                                                                          : 0;
}

/* impl_range()'s maximum, the piece size of a fast access; quick for the
 * usual declarations (1, 2, 4 or 8). The ops' range is not empty. */
static inline unsigned impl_max(const MemoryRegionOps *ops)
{
    unsigned hi = ops->impl.max_access_size, lo;

    if (__builtin_expect(hi - 1 < 8 && !(hi & (hi - 1)), 1)) {
        return hi;
    }
    return impl_range(ops, &lo, &hi) ? hi : 8;
}

uint64_t memory_region_load_fast(MemoryRegion *mr, hwaddr offset, unsigned size,
                                 bool big_endian, bool target_big_endian,
                                 MemTxAttrs attrs, MemTxResult *result)
{
    const MemoryRegionOps *ops = mr->priv.ops;
    bool dev_be = device_big_endian(ops, target_big_endian);
    unsigned piece = MIN(size, impl_max(ops));
    MemTxResult r = MEMTX_DECODE_ERROR;
    GRecMutex *lock;
    uint64_t v = 0;
    Guard *g;

    /* the callback-bounds invariant: the region may have shrunk since the
     * caller's view was rendered */
    if (!range_in_region(offset, size, mr_size_last_relaxed(mr))) {
        goto out;
    }
    g = guard_enter(mr);
    if (!g) {
        r = MEMTX_ACCESS_ERROR;
        goto out;
    }
    lock = region_lock(mr);
    if (lock) {
        g_rec_mutex_lock(lock);
    }
    if (piece == size) {
        r = call_read(mr, ops, offset, size, &v, attrs);
    } else {
        r = MEMTX_OK;
        for (unsigned done = 0; done < size; done += piece) {
            unsigned lane = dev_be ? size - piece - done : done;
            uint64_t pv;

            r |= call_read(mr, ops, offset + done, piece, &pv, attrs);
            v |= pv << (8 * lane);
        }
    }
    if (lock) {
        g_rec_mutex_unlock(lock);
    }
    guard_leave(g);
    if (big_endian != dev_be) {
        v = swap_size(v, size);
    }
out:
    if (result) {
        *result = r;
    }
    return v;
}

MemTxResult memory_region_store_fast(MemoryRegion *mr, hwaddr offset,
                                     uint64_t value, unsigned size,
                                     bool big_endian, bool target_big_endian,
                                     MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->priv.ops;
    bool dev_be = device_big_endian(ops, target_big_endian);
    unsigned piece = MIN(size, impl_max(ops));
    MemTxResult r = MEMTX_OK;
    GRecMutex *lock;
    Guard *g;

    if (!range_in_region(offset, size, mr_size_last_relaxed(mr))) {
        return MEMTX_DECODE_ERROR;
    }
    g = guard_enter(mr);
    if (!g) {
        return MEMTX_ACCESS_ERROR;
    }
    value &= size_mask(size);
    if (big_endian != dev_be) {
        value = swap_size(value, size);
    }
    lock = region_lock(mr);
    if (lock) {
        g_rec_mutex_lock(lock);
    }
    for (unsigned done = 0; done < size; done += piece) {
        unsigned lane = dev_be ? size - piece - done : done;

        r |= call_write(mr, ops, offset + done, piece,
                        (value >> (8 * lane)) & size_mask(piece), attrs);
    }
    if (lock) {
        g_rec_mutex_unlock(lock);
    }
    guard_leave(g);
    return r;
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
