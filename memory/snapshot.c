/* SPDX-License-Identifier: MIT */
/*
 * RAM snapshots: an image of each covered RAM block, restored page by page
 * where the block was written since.
 *
 * 1. Tracking. The library's dirty client DIRTY_MEMORY_SNAPSHOT is on for
 *    every region that at least one snapshot covers (switched with the
 *    block's first and last snapshot), so every write path that marks
 *    dirty pages marks this client too. Each snapshot keeps its own
 *    bitmap per block (RamSnapshotBlock.dirty): the pages written since
 *    it was taken or last restored.
 * 2. Harvest. Before a restore (or a count) looks at its bitmap, the
 *    client's bits of the block are exchanged with zeros word by word and
 *    OR-ed into the bitmap of every snapshot of the block, so that several
 *    snapshots share the one client.
 * 3. Restore. Runs of set bits of the snapshot's own bitmap (found word by
 *    word) are copied back from the image; the pages copied are marked in
 *    the other snapshots' bitmaps and for the region's other dirty
 *    clients. A page is copied after its bit was taken, so a racing write
 *    is either undone now or marked for the next restore.
 *
 * Everything but the copies at take runs under the update lock, which
 * also guards RAMBlock.snapshots; take waits for a grace period without
 * it. Images are anonymous mappings: pages that were zero at take are
 * never written, so they cost no memory and read back as zeros.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "bitmap.h"
#include "memory-internal.h"
#include <addrspace/snapshot.h>

#define PAGE DIRTY_MEMORY_PAGE_SIZE

/* One covered block of one snapshot; in the block's snapshots list. */
typedef struct RamSnapshotBlock {
    struct RamSnapshotBlock *next; /* in RAMBlock.snapshots */
    MemoryRegion *mr;
    MemoryOwner *owner;   /* referenced; NULL for an owner-less region */
    RAMBlock *rb;         /* NULL once the block was freed */
    uint64_t region_size; /* memory_region_size() at take */
    uint64_t image_len;   /* bytes saved: the used length at take */
    uint8_t *image;       /* the saved bytes, at their offsets in the block */
    size_t map_len;       /* the image's mapping */
    uint64_t *dirty;      /* pages written since take / last restore */
    RamPlugManager *pm;   /* the block's plug manager at take, or NULL */
    uint64_t *plugged;    /* its plugged blocks at take */
    uint64_t plug_blocks; /* how many blocks it had */
    uint64_t plug_size;   /* their size */
    uint64_t stored;      /* bytes of non-zero pages in the image */
} RamSnapshotBlock;

struct RamSnapshot {
    RamSnapshotBlock *blocks;
    size_t nr;
};

/*
 * Copy @len bytes to or from RAM, and test a RAM page for zeros. Under
 * TSan, aligned 8-byte words are accessed with relaxed atomics: guest
 * accesses racing with a take or a restore are the guest's business (each
 * byte is old or new), and the typed accesses of static/host-inline.h are
 * atomic, so TSan must see both sides as atomic.
 */
#ifdef ADDRSPACE_TSAN
static bool word_aligned(const void *a, const void *b, size_t len)
{
    return !((uintptr_t)a % 8) && !((uintptr_t)b % 8) && !(len % 8);
}
#endif

static void copy_ram(uint8_t *dst, const uint8_t *src, size_t len)
{
#ifdef ADDRSPACE_TSAN
    if (word_aligned(dst, src, len)) {
        for (size_t i = 0; i < len; i += 8) {
            const uint64_t *from = (const uint64_t *)(const void *)(src + i);

            __atomic_store_n((uint64_t *)(void *)(dst + i),
                             __atomic_load_n(from, __ATOMIC_RELAXED),
                             __ATOMIC_RELAXED);
        }
        return;
    }
#endif
    memcpy(dst, src, len);
}

static bool page_is_zero(const uint8_t *p, size_t len)
{
    size_t i = 0;

#ifdef ADDRSPACE_TSAN
    if (word_aligned(p, p, len)) {
        for (; i < len; i += 8) {
            if (__atomic_load_n((const uint64_t *)(const void *)(p + i),
                                __ATOMIC_RELAXED)) {
                return false;
            }
        }
        return true;
    }
#endif
    for (; i + 8 <= len; i += 8) {
        uint64_t w;

        memcpy(&w, p + i, 8);
        if (w) {
            return false;
        }
    }
    for (; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* Whether @page of the block lies in a block unplugged at take. */
static bool unplugged_at_take(const RamSnapshotBlock *e, uint64_t page)
{
    uint64_t b;

    if (!e->plugged) {
        return false;
    }
    b = page * PAGE / e->plug_size;
    return !(e->plugged[b / BITS_PER_WORD] & (UINT64_C(1) << (b % 64)));
}

/* Step 2: move the client's bits of @rb into every snapshot of it. */
static void harvest_locked(RAMBlock *rb)
{
    uint64_t *bm = ram_block_dirty_bitmap(rb, DIRTY_MEMORY_SNAPSHOT);
    uint64_t nw = bitmap_words(ram_block_nr_pages(rb));

    if (!bm) {
        return;
    }
    for (uint64_t w = 0; w < nw; w++) {
        uint64_t bits;

        /* a plain load first: exchanging clean words would cost more */
        if (!__atomic_load_n(&bm[w], __ATOMIC_RELAXED)) {
            continue;
        }
        /* acquire: pairs with the writers' release fetch_or, so the
         * copy below comes after the write whose bit it took */
        bits = __atomic_exchange_n(&bm[w], 0, __ATOMIC_ACQ_REL);
        for (RamSnapshotBlock *e = rb->snapshots; e; e = e->next) {
            e->dirty[w] |= bits;
        }
    }
}

/* Pages of the block the image covers. */
static uint64_t image_pages(const RamSnapshotBlock *e)
{
    return e->image_len / PAGE + !!(e->image_len % PAGE);
}

/* ---- Take --------------------------------------------------------------- */

static bool region_snapshottable(MemoryRegion *mr, GError **errp)
{
    if (!mr_is_initialised(mr) || !mr->priv.ram_block || mr->priv.ram_device) {
        addrspace_error_set(
            errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
            "region \"%s\" is not RAM-backed (RAM, ROM, ROM device): "
            "no RAM snapshot of it",
            mr_is_initialised(mr) ? memory_region_name(mr) : "");
        return false;
    }
    return true;
}

static void block_release_locked(RamSnapshotBlock *e)
{
    if (e->rb) {
        RamSnapshotBlock **p = &e->rb->snapshots;

        while (*p != e) {
            p = &(*p)->next;
        }
        *p = e->next;
        if (!e->rb->snapshots) {
            memory_region_set_snapshot_log(e->mr, false);
        }
    }
}

static void block_free(RamSnapshotBlock *e)
{
    if (e->image) {
        munmap(e->image, e->map_len);
    }
    g_free(e->dirty);
    g_free(e->plugged);
    /* not through e->mr: an owner-less region may be gone already */
    if (e->owner) {
        memory_owner_unref(e->owner);
    }
}

/*
 * Step 1 of a take, under the update lock: check @regions, register a
 * block per distinct region (switching the client on where it was off)
 * with its image mapping. Return: NULL with @errp set, nothing changed.
 */
static RamSnapshot *take_begin_locked(MemoryRegion *const *regions, size_t nr,
                                      GError **errp)
{
    RamSnapshot *snap;

    for (size_t i = 0; i < nr; i++) {
        if (!region_snapshottable(regions[i], errp)) {
            return NULL;
        }
    }
    snap = g_new0(RamSnapshot, 1);
    snap->blocks = g_new0(RamSnapshotBlock, nr ? nr : 1);
    for (size_t i = 0; i < nr; i++) {
        RAMBlock *rb = regions[i]->priv.ram_block;
        RamSnapshotBlock *e = &snap->blocks[snap->nr];
        bool seen = false;

        for (size_t j = 0; j < snap->nr; j++) {
            seen |= snap->blocks[j].rb == rb;
        }
        if (seen) {
            continue;
        }
        e->map_len = ram_host_page_align(rb->size);
        e->image = mmap(NULL, e->map_len, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (e->image == MAP_FAILED) {
            e->image = NULL;
            addrspace_error_set(
                errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                "cannot map 0x%zx bytes for the image of \"%s\": %s",
                e->map_len, memory_region_name(regions[i]), g_strerror(errno));
            for (size_t j = 0; j < snap->nr; j++) {
                block_release_locked(&snap->blocks[j]);
                block_free(&snap->blocks[j]);
            }
            g_free(snap->blocks);
            g_free(snap);
            return NULL;
        }
        e->mr = regions[i];
        e->rb = rb;
        e->dirty = g_new0(uint64_t, bitmap_words(ram_block_nr_pages(rb)));
        e->owner = memory_region_owner(e->mr);
        if (e->owner) {
            memory_owner_ref(e->owner);
        }
        if (!rb->snapshots) {
            memory_region_set_snapshot_log(e->mr, true);
        }
        e->next = rb->snapshots;
        rb->snapshots = e;
        snap->nr++;
    }
    return snap;
}

/* Step 3 of a take, under the update lock: start tracking, save. */
static void take_finish_locked(RamSnapshot *snap)
{
    for (size_t i = 0; i < snap->nr; i++) {
        RamSnapshotBlock *e = &snap->blocks[i];
        RAMBlock *rb = e->rb;
        uint64_t pages;

        if (!rb) {
            continue; /* finalized during the grace period */
        }
        /* earlier writes belong to the other snapshots, not to this one */
        harvest_locked(rb);
        memset(e->dirty, 0,
               bitmap_words(ram_block_nr_pages(rb)) * sizeof(uint64_t));
        e->region_size = memory_region_size(e->mr);
        e->image_len =
            MIN(__atomic_load_n(&rb->used_length, __ATOMIC_RELAXED), rb->size);
        e->pm = ram_plug_manager_of(rb->rdm);
        if (e->pm) {
            e->plugged = ram_plug_manager_save_locked(e->pm, &e->plug_blocks);
            e->plug_size = ram_plug_manager_block_size(e->pm);
        }
        pages = image_pages(e);
        for (uint64_t p = 0; p < pages; p++) {
            uint64_t off = p * PAGE;
            size_t len = (size_t)MIN(PAGE, e->image_len - off);

            /* zero pages stay untouched in the image: no memory */
            if (!unplugged_at_take(e, p) &&
                !page_is_zero(rb->host + off, len)) {
                copy_ram(e->image + off, rb->host + off, len);
                e->stored += len;
            }
        }
    }
}

static RamSnapshot *take(MemoryRegion *const *regions, size_t nr,
                         AddressSpace *as, GError **errp)
{
    GPtrArray *found = NULL;
    RamSnapshot *snap;

    /* one transaction: switching the client on renders once */
    memory_region_transaction_begin();
    if (as) {
        FlatViewIter it;
        const FlatSection *s;

        found = g_ptr_array_new();
        flatview_iter_init(&it, address_space_view_locked(as));
        for (; (s = flatview_iter_get(&it)); flatview_iter_next(&it)) {
            MemoryRegion *mr = s->mr;

            if (mr->priv.ram_block && !mr->priv.ram_device) {
                g_ptr_array_add(found, mr);
            }
        }
        regions = (MemoryRegion *const *)found->pdata;
        nr = found->len;
    }
    snap = take_begin_locked(regions, nr, errp);
    memory_region_transaction_commit();
    if (found) {
        g_ptr_array_free(found, true);
    }
    if (!snap) {
        return NULL;
    }
    /* no write may still go through a view rendered without the client */
    synchronize_rcu();
    memory_update_lock();
    take_finish_locked(snap);
    memory_update_unlock();
    return snap;
}

ADDRSPACE_EXPORT RamSnapshot *ram_snapshot_take(MemoryRegion *const *regions,
                                                size_t nr, GError **errp)
{
    if (nr && !regions) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "no regions given");
        return NULL;
    }
    return take(regions, nr, NULL, errp);
}

ADDRSPACE_EXPORT RamSnapshot *ram_snapshot_take_address_space(AddressSpace *as,
                                                              GError **errp)
{
    if (!as) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "no address space given");
        return NULL;
    }
    return take(NULL, 0, as, errp);
}

/* ---- Restore ------------------------------------------------------------ */

/* Mark pages [@p, @end) changed for the other snapshots of the block. */
static void fan_out_locked(RamSnapshotBlock *e, uint64_t p, uint64_t end)
{
    for (RamSnapshotBlock *o = e->rb->snapshots; o; o = o->next) {
        if (o != e) {
            bitmap_assign(o->dirty, p, end - p, true);
        }
    }
}

/*
 * Pages [@p, @end) of a block that was unplugged at take were written
 * (the guest broke its promise, or the block was plugged since and is
 * unplugged again now): discard the whole plug blocks holding them.
 */
static void rediscard_locked(RamSnapshotBlock *e, uint64_t p, uint64_t end)
{
    uint64_t bs = e->plug_size;
    uint64_t first = p * PAGE / bs * bs;
    uint64_t last = ((end * PAGE - 1) / bs + 1) * bs;

    last = MIN(last, e->rb->size);
    if (ram_block_discard_range(e->rb, first, last - first, NULL)) {
        fan_out_locked(e, first / PAGE, (last + PAGE - 1) / PAGE);
    }
}

/* Copy back the run [@p, @end) of dirty pages, inside the image. */
static void restore_run_locked(RamSnapshotBlock *e, uint64_t p, uint64_t end)
{
    uint64_t off = p * PAGE;
    uint64_t len = MIN(end * PAGE, e->image_len) - off;
    uint8_t others =
        (uint8_t)(e->mr->priv.dirty_log_mask & ~(1u << DIRTY_MEMORY_SNAPSHOT));

    copy_ram(e->rb->host + off, e->image + off, (size_t)len);
    fan_out_locked(e, p, end);
    if (others) {
        /* the display and translated code must see the change */
        ram_block_set_dirty_range(e->rb, off, len, others);
    }
}

/*
 * Step 3 for one block: walk the runs of its bitmap, clear them, copy
 * them back (or discard them again inside unplugged blocks).
 * Return: the pages handled.
 */
static uint64_t restore_block_locked(RamSnapshotBlock *e)
{
    uint64_t nbits = ram_block_nr_pages(e->rb);
    uint64_t limit = image_pages(e);
    uint64_t n = 0;

    for (uint64_t p = find_next_bit(e->dirty, nbits, 0); p < nbits;
         p = find_next_bit(e->dirty, nbits, p)) {
        uint64_t end = find_next_zero_bit(e->dirty, nbits, p);

        bitmap_assign(e->dirty, p, end - p, false);
        end = MIN(end, limit); /* past the image: not the guest's RAM then */
        while (p < end) {
            bool gone = unplugged_at_take(e, p);
            uint64_t q = p + 1;

            while (q < end && unplugged_at_take(e, q) == gone) {
                q++;
            }
            if (gone) {
                rediscard_locked(e, p, q);
            } else {
                restore_run_locked(e, p, q);
            }
            n += q - p;
            p = q;
        }
        p = MAX(p, end);
    }
    return n;
}

/* Steps 1 and 2 for one block: size, plug state, external bits. */
static bool prepare_block_locked(RamSnapshotBlock *e, GError **errp)
{
    if (memory_region_size(e->mr) != e->region_size &&
        !memory_region_ram_resize(e->mr, e->region_size, errp)) {
        return false;
    }
    /* the manager at take, if it still manages the block (the pointer is
     * only compared: a manager freed since is not touched) */
    if (e->pm && ram_plug_manager_of(e->rb->rdm) == e->pm &&
        !ram_plug_manager_load_locked(e->pm, e->plugged, e->plug_blocks,
                                      errp)) {
        return false;
    }
    memory_listeners_log_sync(e->mr);
    harvest_locked(e->rb);
    return true;
}

ADDRSPACE_EXPORT bool ram_snapshot_restore(RamSnapshot *snap, uint64_t *pages,
                                           GError **errp)
{
    uint64_t n = 0;
    bool ok = true;

    memory_update_lock();
    for (size_t i = 0; ok && i < snap->nr; i++) {
        RamSnapshotBlock *e = &snap->blocks[i];

        if (e->rb && (ok = prepare_block_locked(e, errp))) {
            n += restore_block_locked(e);
        }
    }
    memory_update_unlock();
    if (pages) {
        *pages = n;
    }
    return ok;
}

ADDRSPACE_EXPORT uint64_t ram_snapshot_dirty_pages(RamSnapshot *snap)
{
    uint64_t n = 0;

    memory_update_lock();
    for (size_t i = 0; i < snap->nr; i++) {
        RamSnapshotBlock *e = &snap->blocks[i];
        uint64_t limit;

        if (!e->rb) {
            continue;
        }
        memory_listeners_log_sync(e->mr);
        harvest_locked(e->rb);
        limit = MIN(image_pages(e), ram_block_nr_pages(e->rb));
        for (uint64_t p = find_next_bit(e->dirty, limit, 0); p < limit;
             p = find_next_bit(e->dirty, limit, p)) {
            uint64_t end = find_next_zero_bit(e->dirty, limit, p);

            n += end - p;
            p = end;
        }
    }
    memory_update_unlock();
    return n;
}

ADDRSPACE_EXPORT uint64_t ram_snapshot_image_size(const RamSnapshot *snap)
{
    uint64_t n = 0;

    for (size_t i = 0; i < snap->nr; i++) {
        n += snap->blocks[i].stored;
    }
    return n;
}

ADDRSPACE_EXPORT void ram_snapshot_free(RamSnapshot *snap)
{
    if (!snap) {
        return;
    }
    memory_region_transaction_begin();
    for (size_t i = 0; i < snap->nr; i++) {
        block_release_locked(&snap->blocks[i]);
    }
    memory_region_transaction_commit();
    for (size_t i = 0; i < snap->nr; i++) {
        block_free(&snap->blocks[i]);
    }
    g_free(snap->blocks);
    g_free(snap);
}

void ram_snapshot_block_gone_locked(RAMBlock *rb)
{
    for (RamSnapshotBlock *e = rb->snapshots; e; e = e->next) {
        e->rb = NULL;
    }
    rb->snapshots = NULL;
}
