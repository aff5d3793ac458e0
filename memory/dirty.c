/* SPDX-License-Identifier: MIT */
/*
 * Dirty memory tracking: one bitmap per RAM block and client, one bit per
 * DIRTY_MEMORY_PAGE_SIZE page.
 *
 * Concurrency: bitmaps are allocated lazily under the update lock, when a
 * client is first enabled, and published with a release store; writers
 * and readers load the pointer with acquire. A bitmap is freed only with
 * its block. Every change of a bitmap word is an atomic read-modify-write:
 * writers set bits with fetch_or (release: the data written before is
 * visible to whoever fetches the bit), clients clear them with exchange or
 * fetch_and (acquire), so a bit set concurrently with a fetch is either in
 * the fetched value or still set afterwards.
 */
#include <string.h>

#include "bitmap.h"
#include "memory-internal.h"

struct DirtyBitmapSnapshot {
    uint64_t first_page; /* page of the first bit; a multiple of 64 */
    uint64_t nr_pages;   /* a multiple of 64 */
    uint64_t words[];
};

static uint64_t block_pages(const RAMBlock *rb)
{
    /* no overflow near 2^64 */
    return (rb->size >> DIRTY_MEMORY_PAGE_BITS) +
           !!(rb->size & (DIRTY_MEMORY_PAGE_SIZE - 1));
}

static uint64_t *bitmap_get(RAMBlock *rb, unsigned client)
{
    /* pairs with the release store in bitmap_alloc_locked() */
    return __atomic_load_n(&rb->dirty[client], __ATOMIC_ACQUIRE);
}

static void bitmap_alloc_locked(RAMBlock *rb, unsigned client)
{
    uint64_t words = (block_pages(rb) + BITS_PER_WORD - 1) / BITS_PER_WORD;
    uint64_t *bm;

    if (rb->dirty[client]) {
        return;
    }
    bm = g_new0(uint64_t, words ? words : 1);
    __atomic_store_n(&rb->dirty[client], bm, __ATOMIC_RELEASE);
}

void ram_block_dirty_free(RAMBlock *rb)
{
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        g_free(rb->dirty[c]);
        rb->dirty[c] = NULL;
    }
}

/*
 * The pages [*first, *last] that [@offset, @offset + @len) touches in @rb,
 * clamped to the block. Return: false when no page is touched.
 */
static bool page_range(const RAMBlock *rb, uint64_t offset, uint64_t len,
                       uint64_t *first, uint64_t *last)
{
    uint64_t end; /* inclusive */

    if (len == 0 || offset >= rb->size) {
        return false;
    }
    end = len - 1 > rb->size - 1 - offset ? rb->size - 1 : offset + len - 1;
    *first = offset >> DIRTY_MEMORY_PAGE_BITS;
    *last = end >> DIRTY_MEMORY_PAGE_BITS;
    return true;
}

/* Calls @fn(word pointer, mask, opaque) for each word of pages [first,
 * last]; stops when it returns true. */
typedef bool (*WordFn)(uint64_t *word, uint64_t mask, void *opaque);

static bool for_each_word(uint64_t *bm, uint64_t first, uint64_t last,
                          WordFn fn, void *opaque)
{
    uint64_t w = first / BITS_PER_WORD, wl = last / BITS_PER_WORD;

    for (; w <= wl; w++) {
        unsigned lo = w == first / BITS_PER_WORD ? first % BITS_PER_WORD : 0;
        unsigned hi = w == wl ? last % BITS_PER_WORD : BITS_PER_WORD - 1;

        if (fn(&bm[w], bitmap_word_mask(lo, hi), opaque)) {
            return true;
        }
    }
    return false;
}

static bool word_set(uint64_t *word, uint64_t mask, void *opaque)
{
    (void)opaque;
    /* release: pairs with the acquire of whoever fetches the bit */
    __atomic_fetch_or(word, mask, __ATOMIC_RELEASE);
    return false;
}

static bool word_test(uint64_t *word, uint64_t mask, void *opaque)
{
    (void)opaque;
    return (__atomic_load_n(word, __ATOMIC_ACQUIRE) & mask) != 0;
}

static bool word_clear(uint64_t *word, uint64_t mask, void *opaque)
{
    (void)opaque;
    __atomic_fetch_and(word, ~mask, __ATOMIC_ACQ_REL);
    return false;
}

void ram_block_set_dirty_range(RAMBlock *rb, uint64_t offset, uint64_t len,
                               uint8_t mask)
{
    uint64_t first, last;

    if (!rb || !page_range(rb, offset, len, &first, &last)) {
        return;
    }
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        uint64_t *bm;

        if (!(mask & (1u << c)) || !(bm = bitmap_get(rb, c))) {
            continue;
        }
        if (first == last) {
            /* the common case: one page */
            __atomic_fetch_or(&bm[first / BITS_PER_WORD],
                              UINT64_C(1) << (first % BITS_PER_WORD),
                              __ATOMIC_RELEASE);
        } else {
            for_each_word(bm, first, last, word_set, NULL);
        }
    }
}

void ram_block_clear_dirty_range(RAMBlock *rb, uint64_t offset, uint64_t len,
                                 uint8_t mask)
{
    uint64_t first, last;

    if (!page_range(rb, offset, len, &first, &last)) {
        return;
    }
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        uint64_t *bm;

        if ((mask & (1u << c)) && (bm = bitmap_get(rb, c))) {
            for_each_word(bm, first, last, word_clear, NULL);
        }
    }
}

void memory_region_mark_written(MemoryRegion *mr, hwaddr offset, hwaddr len)
{
    uint8_t mask = memory_region_get_dirty_log_mask(mr);

    if (mask && mr->priv.ram_block) {
        ram_block_set_dirty_range(mr->priv.ram_block, offset, len, mask);
    }
}

ADDRSPACE_EXPORT bool memory_region_is_logging(const MemoryRegion *mr,
                                               uint8_t client)
{
    return client < DIRTY_MEMORY_NUM &&
           (memory_region_get_dirty_log_mask(mr) & (1u << client));
}

ADDRSPACE_EXPORT void memory_region_flush_rom_device(MemoryRegion *mr,
                                                     hwaddr addr, hwaddr size)
{
    if (memory_region_is_romd(mr)) {
        memory_region_set_dirty(mr, addr, size);
    }
}

ADDRSPACE_EXPORT uint8_t
memory_region_get_dirty_log_mask(const MemoryRegion *mr)
{
    /* written under the update lock by memory_region_set_log() */
    return __atomic_load_n(&mr->priv.dirty_log_mask, __ATOMIC_RELAXED);
}

/* memory_region_set_log() for any client, snapshot.c's included. */
static void set_log(MemoryRegion *mr, bool log, unsigned client)
{
    uint8_t old, mask;

    memory_region_transaction_begin();
    if (client == DIRTY_MEMORY_VGA) {
        /* QEMU 7.2 counts VGA enables in 8 bits, wrapping; only a change
         * between zero and non-zero touches the mask */
        uint8_t count = mr->priv.vga_logging_count;

        mr->priv.vga_logging_count = (uint8_t)(count + (log ? 1 : -1));
        if (!count == !mr->priv.vga_logging_count) {
            memory_region_transaction_commit();
            return;
        }
    }
    old = mr->priv.dirty_log_mask;
    mask = log ? (uint8_t)(old | (1u << client))
               : (uint8_t)(old & ~(1u << client));
    if (mask != old) {
        /* the bitmap exists before any view with the bit is published */
        if (log && mr->priv.ram_block) {
            bitmap_alloc_locked(mr->priv.ram_block, client);
        }
        __atomic_store_n(&mr->priv.dirty_log_mask, mask, __ATOMIC_RELAXED);
        /* QEMU: a disabled region's mask changes no view */
        if (mr->priv.enabled) {
            memory_region_changed_locked(mr);
        }
    }
    memory_region_transaction_commit();
}

/* The clients callers may switch, reset and fetch: all but the one the
 * library keeps for RAM snapshots. */
static bool client_is_public(unsigned client)
{
    return client < DIRTY_MEMORY_NUM && client != DIRTY_MEMORY_SNAPSHOT;
}

ADDRSPACE_EXPORT void memory_region_set_log(MemoryRegion *mr, bool log,
                                            unsigned client)
{
    if (mr_is_initialised(mr) && client_is_public(client)) {
        set_log(mr, log, client);
    }
}

void memory_region_set_snapshot_log(MemoryRegion *mr, bool log)
{
    set_log(mr, log, DIRTY_MEMORY_SNAPSHOT);
}

uint64_t *ram_block_dirty_bitmap(RAMBlock *rb, unsigned client)
{
    return bitmap_get(rb, client);
}

uint64_t ram_block_nr_pages(const RAMBlock *rb)
{
    return block_pages(rb);
}

static RAMBlock *region_block(MemoryRegion *mr)
{
    return mr_is_initialised(mr) ? mr->priv.ram_block : NULL;
}

/*
 * Apply @fn to @client's bitmap words over the pages [@addr, @addr +
 * @size) of @mr touches. Return: what for_each_word() returns; false when
 * there is no bitmap or no page.
 */
static bool region_for_each_word(MemoryRegion *mr, hwaddr addr, hwaddr size,
                                 unsigned client, WordFn fn)
{
    RAMBlock *rb = region_block(mr);
    uint64_t first, last, *bm;

    if (!rb || client >= DIRTY_MEMORY_NUM || !(bm = bitmap_get(rb, client)) ||
        !page_range(rb, addr, size, &first, &last)) {
        return false;
    }
    return for_each_word(bm, first, last, fn, NULL);
}

ADDRSPACE_EXPORT bool memory_region_get_dirty(MemoryRegion *mr, hwaddr addr,
                                              hwaddr size, unsigned client)
{
    return region_for_each_word(mr, addr, size, client, word_test);
}

ADDRSPACE_EXPORT void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr,
                                              hwaddr size)
{
    if (mr_is_initialised(mr)) {
        memory_region_mark_written(mr, addr, size);
    }
}

ADDRSPACE_EXPORT void memory_region_reset_dirty(MemoryRegion *mr, hwaddr addr,
                                                hwaddr size, unsigned client)
{
    if (client_is_public(client)) {
        region_for_each_word(mr, addr, size, client, word_clear);
    }
}

typedef struct SnapCtx {
    DirtyBitmapSnapshot *snap;
    uint64_t *src_base;
} SnapCtx;

static bool word_fetch_clear(uint64_t *word, uint64_t mask, void *opaque)
{
    SnapCtx *ctx = opaque;
    uint64_t idx = (uint64_t)(word - ctx->src_base) -
                   ctx->snap->first_page / BITS_PER_WORD;
    uint64_t old;

    /* acquire: pairs with the writers' release fetch_or */
    if (mask == UINT64_MAX) {
        old = __atomic_exchange_n(word, 0, __ATOMIC_ACQ_REL);
    } else {
        old = __atomic_fetch_and(word, ~mask, __ATOMIC_ACQ_REL) & mask;
    }
    ctx->snap->words[idx] = old;
    return false;
}

ADDRSPACE_EXPORT DirtyBitmapSnapshot *
memory_region_snapshot_and_clear_dirty(MemoryRegion *mr, hwaddr addr,
                                       hwaddr size, unsigned client)
{
    RAMBlock *rb = region_block(mr);
    DirtyBitmapSnapshot *snap;
    uint64_t first, last, nr_words;
    uint64_t *bm;
    SnapCtx ctx;

    if (!rb || !client_is_public(client)) {
        return NULL;
    }
    memory_listeners_log_sync(mr);
    if (!page_range(rb, addr, size, &first, &last)) {
        return g_malloc0(sizeof(*snap)); /* empty: every page clean */
    }
    nr_words = last / BITS_PER_WORD - first / BITS_PER_WORD + 1;
    snap = g_malloc0(sizeof(*snap) + nr_words * sizeof(uint64_t));
    snap->first_page = first / BITS_PER_WORD * BITS_PER_WORD;
    snap->nr_pages = nr_words * BITS_PER_WORD;
    bm = bitmap_get(rb, client);
    if (bm) {
        ctx.snap = snap;
        ctx.src_base = bm;
        for_each_word(bm, first, last, word_fetch_clear, &ctx);
    }
    return snap;
}

/*
 * Dirty-page search. A BitsView is the bitmap to search: bit i of @words
 * is page @base + i of the block, for @nbits pages; pages outside are
 * clean. Searches go word by word (bitmap.h).
 */
typedef struct BitsView {
    const uint64_t *words;
    uint64_t base;
    uint64_t nbits;
} BitsView;

/* @client's bitmap of @rb; false when it was never allocated. */
static bool view_live(RAMBlock *rb, unsigned client, BitsView *v)
{
    v->words = client < DIRTY_MEMORY_NUM ? bitmap_get(rb, client) : NULL;
    v->base = 0;
    v->nbits = block_pages(rb);
    return v->words != NULL;
}

static bool view_snapshot(const DirtyBitmapSnapshot *snap, BitsView *v)
{
    v->words = snap ? snap->words : NULL;
    v->base = snap ? snap->first_page : 0;
    v->nbits = snap ? snap->nr_pages : 0;
    return v->nbits != 0;
}

#define NO_PAGE UINT64_MAX

/* The first dirty page in [@first, @last] of @v, or NO_PAGE. */
static uint64_t view_next_dirty(const BitsView *v, uint64_t first,
                                uint64_t last)
{
    uint64_t lo, hi, found;

    if (!v->nbits || last < v->base || first > v->base + v->nbits - 1) {
        return NO_PAGE;
    }
    lo = MAX(first, v->base) - v->base;
    hi = MIN(last, v->base + v->nbits - 1) - v->base;
    found = find_next_bit(v->words, hi + 1, lo);
    return found > hi ? NO_PAGE : v->base + found;
}

/* The first clean page after dirty page @first, at most @last + 1. */
static uint64_t view_next_clean(const BitsView *v, uint64_t first,
                                uint64_t last)
{
    uint64_t hi = MIN(last, v->base + v->nbits - 1) - v->base;

    return v->base + find_next_zero_bit(v->words, hi + 1, first - v->base);
}

ADDRSPACE_EXPORT bool memory_region_snapshot_get_dirty(
    MemoryRegion *mr, const DirtyBitmapSnapshot *snap, hwaddr addr, hwaddr size)
{
    RAMBlock *rb = region_block(mr);
    uint64_t first, last;
    BitsView v;

    return rb && view_snapshot(snap, &v) &&
           page_range(rb, addr, size, &first, &last) &&
           view_next_dirty(&v, first, last) != NO_PAGE;
}

/* The offset of the first dirty page of @v among those [@addr, @addr +
 * @size) of @rb touches, or DIRTY_PAGE_NONE. */
static hwaddr find_next_dirty(RAMBlock *rb, const BitsView *v, hwaddr addr,
                              hwaddr size)
{
    uint64_t first, last, p;

    if (!page_range(rb, addr, size, &first, &last) ||
        (p = view_next_dirty(v, first, last)) == NO_PAGE) {
        return DIRTY_PAGE_NONE;
    }
    return (hwaddr)p << DIRTY_MEMORY_PAGE_BITS;
}

ADDRSPACE_EXPORT hwaddr memory_region_find_next_dirty(MemoryRegion *mr,
                                                      hwaddr addr, hwaddr size,
                                                      unsigned client)
{
    RAMBlock *rb = region_block(mr);
    BitsView v;

    return rb && view_live(rb, client, &v) ? find_next_dirty(rb, &v, addr, size)
                                           : DIRTY_PAGE_NONE;
}

ADDRSPACE_EXPORT hwaddr memory_region_snapshot_find_next_dirty(
    MemoryRegion *mr, const DirtyBitmapSnapshot *snap, hwaddr addr, hwaddr size)
{
    RAMBlock *rb = region_block(mr);
    BitsView v;

    return rb && view_snapshot(snap, &v) ? find_next_dirty(rb, &v, addr, size)
                                         : DIRTY_PAGE_NONE;
}

static void iter_init(DirtyPageIter *it, MemoryRegion *mr,
                      const DirtyBitmapSnapshot *snap, unsigned client,
                      hwaddr addr, hwaddr size)
{
    RAMBlock *rb = region_block(mr);

    memset(it, 0, sizeof(*it));
    it->priv.mr = mr;
    it->priv.snap = snap;
    it->priv.client = client;
    it->priv.done =
        !rb || !page_range(rb, addr, size, &it->priv.next, &it->priv.last);
}

ADDRSPACE_EXPORT void dirty_page_iter_init(DirtyPageIter *it, MemoryRegion *mr,
                                           hwaddr addr, hwaddr size,
                                           unsigned client)
{
    iter_init(it, mr, NULL, client, addr, size);
}

ADDRSPACE_EXPORT void
dirty_page_iter_init_snapshot(DirtyPageIter *it, MemoryRegion *mr,
                              const DirtyBitmapSnapshot *snap, hwaddr addr,
                              hwaddr size)
{
    iter_init(it, mr, snap, DIRTY_MEMORY_NUM, addr, size);
}

ADDRSPACE_EXPORT bool dirty_page_iter_next(DirtyPageIter *it, hwaddr *offset,
                                           hwaddr *len)
{
    RAMBlock *rb = region_block(it->priv.mr);
    uint64_t p, end;
    BitsView v;

    if (it->priv.done || !rb ||
        !(it->priv.snap ? view_snapshot(it->priv.snap, &v)
                        : view_live(rb, it->priv.client, &v)) ||
        (p = view_next_dirty(&v, it->priv.next, it->priv.last)) == NO_PAGE) {
        it->priv.done = true;
        return false;
    }
    end = view_next_clean(&v, p, it->priv.last);
    *offset = (hwaddr)p << DIRTY_MEMORY_PAGE_BITS;
    /* the block's last page may be partial */
    *len = MIN((hwaddr)end << DIRTY_MEMORY_PAGE_BITS, rb->size) - *offset;
    it->priv.next = end;
    it->priv.done = end > it->priv.last;
    return true;
}

ADDRSPACE_EXPORT void memory_region_snapshot_free(DirtyBitmapSnapshot *snap)
{
    g_free(snap);
}
