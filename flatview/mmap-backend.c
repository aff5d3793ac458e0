/* SPDX-License-Identifier: MIT */
/*
 * GuestMemoryMmap: a GuestMemory of plain mmap()ed ranges (anonymous,
 * memfd or file-backed, optionally between guard pages), with no MMIO.
 *
 * The regions live in an immutable table sorted by address, published
 * with RCU as FlatViews are: a lookup is a binary search over the table's
 * start addresses inside the reader's read-side section. Hot-plug builds a
 * new table under the object's lock, publishes it, and retires the old
 * one (and, for a removal, the removed region's mapping) with call_rcu().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <addrspace/error.h>
#include <addrspace/guest-memory.h>

#include "../memory/bitmap.h"

/* Dirty-bitmap granularity: one bit per 4 KiB, as the region tree uses. */
#define MMAP_DIRTY_PAGE_BITS 12

#define MMAP_FLAGS_ALL                                   \
    (GUEST_MEMORY_MMAP_MEMFD | GUEST_MEMORY_MMAP_GUARD | \
     GUEST_MEMORY_MMAP_DIRTY_LOG)

typedef struct MmapRegion {
    GuestRegion gr;    /* first: the instance header */
    void *map;         /* the whole mapping, guard pages included */
    size_t map_len;    /* what munmap() releases */
    uint64_t *dirty;   /* one bit per page, or NULL */
    uint64_t nr_pages; /* bits in @dirty */
} MmapRegion;

typedef struct MmapTable {
    struct rcu_head rcu; /* first: call_rcu() */
    size_t nr;
    hwaddr *starts;       /* sorted; the lookup index */
    MmapRegion **regions; /* in address order */
    MmapRegion *retired;  /* unmapped when the table is reclaimed */
    bool unmap_all;       /* guest_memory_mmap_free(): unmap every region */
} MmapTable;

struct GuestMemoryMmap {
    GuestMemory gm;   /* first: the instance header */
    GMutex lock;      /* serialises hot-plug */
    MmapTable *table; /* RCU-published */
};

static GuestMemoryMmap *mmap_of(GuestMemory *mem)
{
    return ADDRSPACE_CONTAINER_OF(mem, GuestMemoryMmap, gm);
}

static MmapRegion *region_of(GuestRegion *r)
{
    return ADDRSPACE_CONTAINER_OF(r, MmapRegion, gr);
}

/* ---- Dirty bitmap ------------------------------------------------------- */

/*
 * Apply @fn to the words of @mr's bitmap over the pages [@offset, @offset
 * + @len) touches, a word (64 pages) at a time.
 * Return: whether @fn found a page dirty.
 */
static bool for_each_dirty_word(MmapRegion *mr, hwaddr offset, uint64_t len,
                                bool (*fn)(uint64_t *word, uint64_t mask))
{
    uint64_t first, last;
    bool dirty = false;

    if (!mr->dirty || len == 0) {
        return false;
    }
    first = offset >> MMAP_DIRTY_PAGE_BITS;
    last = (offset + len - 1) >> MMAP_DIRTY_PAGE_BITS;
    last = last < mr->nr_pages ? last : mr->nr_pages - 1;
    for (uint64_t w = first / 64; first <= last && w <= last / 64; w++) {
        unsigned lo = w == first / 64 ? first % 64 : 0;
        unsigned hi = w == last / 64 ? last % 64 : 63;

        dirty |= fn(&mr->dirty[w], bitmap_word_mask(lo, hi));
    }
    return dirty;
}

static bool word_mark(uint64_t *word, uint64_t mask)
{
    __atomic_fetch_or(word, mask, __ATOMIC_RELAXED);
    return false;
}

static bool word_test_and_clear(uint64_t *word, uint64_t mask)
{
    /* fetch-and-clear: a racing write is either seen or stays set */
    return __atomic_fetch_and(word, ~mask, __ATOMIC_RELAXED) & mask;
}

static void mmap_mark_dirty(GuestRegion *r, hwaddr offset, uint64_t len)
{
    for_each_dirty_word(region_of(r), offset, len, word_mark);
}

static bool mmap_test_and_clear_dirty(GuestRegion *r, hwaddr offset,
                                      uint64_t len)
{
    return for_each_dirty_word(region_of(r), offset, len, word_test_and_clear);
}

/* Plain memory: the wrappers' host fast path does every access. */
static const GuestRegionOps mmap_region_ops = {
    .mark_dirty = mmap_mark_dirty,
    .test_and_clear_dirty = mmap_test_and_clear_dirty,
};

/* ---- Mapping one range -------------------------------------------------- */

static bool range_check(const GuestMemoryMmapRange *r, GError **errp)
{
    hwaddr last;

    if (r->size == 0 || (r->flags & ~MMAP_FLAGS_ALL) ||
        (r->fd >= 0 && (r->flags & GUEST_MEMORY_MMAP_MEMFD))) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "range at 0x%" PRIx64 ": size 0, unknown flags, or "
                            "both a file and MEMFD",
                            r->addr);
        return false;
    }
    if (!guest_addr_checked_end(r->addr, r->size, &last) ||
        r->size > (uint64_t)SIZE_MAX / 2) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERFLOW,
                            "range of 0x%" PRIx64 " bytes at 0x%" PRIx64
                            " passes 2^64 or does not fit the host",
                            r->size, r->addr);
        return false;
    }
    if (r->fd >= 0 && r->fd_offset % (uint64_t)sysconf(_SC_PAGESIZE)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "file offset 0x%" PRIx64 " is not page-aligned",
                            r->fd_offset);
        return false;
    }
    return true;
}

static bool os_error(GError **errp, const char *what, hwaddr addr)
{
    addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                        "range at 0x%" PRIx64 ": %s: %s", addr, what,
                        g_strerror(errno));
    return false;
}

/* The descriptor the region keeps (-1: anonymous), or -2 on failure. */
static int region_fd(const GuestMemoryMmapRange *r, size_t len, GError **errp)
{
    struct stat st;
    int fd;

    if (r->flags & GUEST_MEMORY_MMAP_MEMFD) {
        fd = memfd_create("guest-memory", MFD_CLOEXEC);
        if (fd < 0) {
            os_error(errp, "memfd_create", r->addr);
            return -2;
        }
        if (ftruncate(fd, (off_t)len) < 0) {
            os_error(errp, "ftruncate", r->addr);
            close(fd);
            return -2;
        }
        return fd;
    }
    if (r->fd < 0) {
        return -1;
    }
    if (fstat(r->fd, &st) < 0) {
        os_error(errp, "fstat", r->addr);
        return -2;
    }
    /* a mapping past the end of a regular file faults (SIGBUS) on access */
    if (S_ISREG(st.st_mode) &&
        (r->fd_offset > (uint64_t)st.st_size ||
         (uint64_t)st.st_size - r->fd_offset < r->size)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "range at 0x%" PRIx64 ": file of 0x%" PRIx64
                            " bytes is too small",
                            r->addr, (uint64_t)st.st_size);
        return -2;
    }
    fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        os_error(errp, "dup", r->addr);
        return -2;
    }
    return fd;
}

static MmapRegion *region_map(const GuestMemoryMmapRange *r, GError **errp)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = ((size_t)r->size + page - 1) & ~(page - 1);
    size_t guard = (r->flags & GUEST_MEMORY_MMAP_GUARD) ? page : 0;
    size_t map_len = len + 2 * guard;
    uint8_t *map, *host;
    MmapRegion *mr;
    int fd;

    fd = region_fd(r, len, errp);
    if (fd == -2) {
        return NULL;
    }
    /* reserve the whole span inaccessible, then map the data inside it */
    map = mmap(NULL, map_len, PROT_NONE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) {
        os_error(errp, "mmap", r->addr);
        goto fail_fd;
    }
    host = mmap(map + guard, len, PROT_READ | PROT_WRITE,
                MAP_FIXED |
                    (fd >= 0 ? MAP_SHARED
                             : MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE),
                fd, fd >= 0 ? (off_t)(r->fd >= 0 ? r->fd_offset : 0) : 0);
    if (host == MAP_FAILED) {
        os_error(errp, "mmap", r->addr);
        munmap(map, map_len);
        goto fail_fd;
    }
    mr = g_new0(MmapRegion, 1);
    mr->gr = (GuestRegion){
        .ops = &mmap_region_ops,
        .start = r->addr,
        .last = r->addr + (r->size - 1),
        .host = host,
        .fd = fd,
        .fd_offset = r->fd >= 0 ? r->fd_offset : 0,
    };
    mr->map = map;
    mr->map_len = map_len;
    if (r->flags & GUEST_MEMORY_MMAP_DIRTY_LOG) {
        mr->nr_pages = ((r->size - 1) >> MMAP_DIRTY_PAGE_BITS) + 1;
        mr->dirty = g_new0(uint64_t, (mr->nr_pages + 63) / 64);
    }
    return mr;

fail_fd:
    if (fd >= 0) {
        close(fd);
    }
    return NULL;
}

static void region_unmap(MmapRegion *mr)
{
    munmap(mr->map, mr->map_len);
    if (mr->gr.fd >= 0) {
        close(mr->gr.fd);
    }
    g_free(mr->dirty);
    g_free(mr);
}

/* ---- Region tables ------------------------------------------------------ */

static MmapTable *table_new(size_t nr)
{
    MmapTable *t = g_new0(MmapTable, 1);

    t->nr = nr;
    t->starts = g_new(hwaddr, nr ? nr : 1);
    t->regions = g_new(MmapRegion *, nr ? nr : 1);
    return t;
}

static void table_free(MmapTable *t)
{
    if (t->unmap_all) {
        for (size_t i = 0; i < t->nr; i++) {
            region_unmap(t->regions[i]);
        }
    }
    if (t->retired) {
        region_unmap(t->retired);
    }
    g_free(t->starts);
    g_free(t->regions);
    g_free(t);
}

/* Index of the first region whose start is above @addr. */
static size_t table_upper_bound(const MmapTable *t, hwaddr addr)
{
    size_t lo = 0, hi = t->nr;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (t->starts[mid] <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/*
 * A copy of @old with @add inserted (NULL: none) and the region at index
 * @drop left out (SIZE_MAX: none). @add must not overlap (checked by the
 * caller).
 */
static MmapTable *table_edit(const MmapTable *old, MmapRegion *add, size_t drop)
{
    size_t nr = (old ? old->nr : 0) + (add != NULL) - (drop != SIZE_MAX);
    MmapTable *t = table_new(nr);
    size_t k = 0;
    bool placed = add == NULL;

    for (size_t i = 0; old && i < old->nr; i++) {
        if (i == drop) {
            continue;
        }
        if (!placed && add->gr.start < old->starts[i]) {
            t->regions[k++] = add;
            placed = true;
        }
        t->regions[k++] = old->regions[i];
    }
    if (!placed) {
        t->regions[k++] = add;
    }
    for (size_t i = 0; i < nr; i++) {
        t->starts[i] = t->regions[i]->gr.start;
    }
    return t;
}

/* The region of @t that overlaps [@start, @last], or NULL. */
static MmapRegion *table_overlap(const MmapTable *t, hwaddr start, hwaddr last)
{
    size_t i = table_upper_bound(t, last);

    /* only the last region starting at or below @last can reach @start */
    if (i > 0 && t->regions[i - 1]->gr.last >= start) {
        return t->regions[i - 1];
    }
    return NULL;
}

static bool overlap_error(GError **errp, const GuestMemoryMmapRange *r,
                          const MmapRegion *other)
{
    addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERLAP,
                        "range [0x%" PRIx64 ", +0x%" PRIx64
                        ") overlaps [0x%" PRIx64 ", 0x%" PRIx64 "]",
                        r->addr, r->size, other->gr.start, other->gr.last);
    return false;
}

/* ---- GuestMemory ops ---------------------------------------------------- */

static GuestRegion *mmap_find_region(GuestMemory *mem, hwaddr addr)
{
    const MmapTable *t = rcu_dereference(mmap_of(mem)->table);
    size_t i = table_upper_bound(t, addr);

    if (i == 0 || t->regions[i - 1]->gr.last < addr) {
        return NULL;
    }
    return &t->regions[i - 1]->gr;
}

static size_t mmap_num_regions(GuestMemory *mem)
{
    return rcu_dereference(mmap_of(mem)->table)->nr;
}

static GuestRegion *mmap_region(GuestMemory *mem, size_t i)
{
    const MmapTable *t = rcu_dereference(mmap_of(mem)->table);

    return i < t->nr ? &t->regions[i]->gr : NULL;
}

static const GuestMemoryOps mmap_memory_ops = {
    .find_region = mmap_find_region,
    .num_regions = mmap_num_regions,
    .region = mmap_region,
};

/* ---- Public API --------------------------------------------------------- */

ADDRSPACE_EXPORT GuestMemoryMmap *
guest_memory_mmap_new(const GuestMemoryMmapRange *ranges, size_t nr,
                      bool big_endian, GError **errp)
{
    MmapTable *t = table_new(0);
    GuestMemoryMmap *m;

    for (size_t i = 0; i < nr; i++) {
        MmapRegion *other, *mr;
        MmapTable *next;

        if (!range_check(&ranges[i], errp)) {
            goto fail;
        }
        other = table_overlap(t, ranges[i].addr,
                              ranges[i].addr + (ranges[i].size - 1));
        if (other) {
            overlap_error(errp, &ranges[i], other);
            goto fail;
        }
        mr = region_map(&ranges[i], errp);
        if (!mr) {
            goto fail;
        }
        next = table_edit(t, mr, SIZE_MAX);
        table_free(t);
        t = next;
    }
    m = g_new0(GuestMemoryMmap, 1);
    m->gm = (GuestMemory){.ops = &mmap_memory_ops, .big_endian = big_endian};
    g_mutex_init(&m->lock);
    m->table = t;
    return m;

fail:
    t->unmap_all = true;
    table_free(t);
    return NULL;
}

ADDRSPACE_EXPORT void guest_memory_mmap_free(GuestMemoryMmap *m)
{
    if (!m) {
        return;
    }
    m->table->unmap_all = true;
    call_rcu(m->table, table_free, rcu);
    g_mutex_clear(&m->lock);
    g_free(m);
}

ADDRSPACE_EXPORT GuestMemory *guest_memory_mmap_memory(GuestMemoryMmap *m)
{
    return &m->gm;
}

/* Publish @t in place of the current table and retire that one. */
static void publish_locked(GuestMemoryMmap *m, MmapTable *t,
                           MmapRegion *retired)
{
    MmapTable *old = m->table;

    rcu_assign_pointer(m->table, t);
    old->retired = retired;
    call_rcu(old, table_free, rcu);
}

ADDRSPACE_EXPORT bool
guest_memory_mmap_add_range(GuestMemoryMmap *m,
                            const GuestMemoryMmapRange *range, GError **errp)
{
    MmapRegion *other, *mr;
    bool ok = false;

    if (!range_check(range, errp)) {
        return false;
    }
    g_mutex_lock(&m->lock);
    other =
        table_overlap(m->table, range->addr, range->addr + (range->size - 1));
    if (other) {
        overlap_error(errp, range, other);
    } else if ((mr = region_map(range, errp)) != NULL) {
        publish_locked(m, table_edit(m->table, mr, SIZE_MAX), NULL);
        ok = true;
    }
    g_mutex_unlock(&m->lock);
    return ok;
}

ADDRSPACE_EXPORT bool guest_memory_mmap_remove_range(GuestMemoryMmap *m,
                                                     hwaddr addr, GError **errp)
{
    MmapTable *t;
    size_t i;
    bool ok = false;

    g_mutex_lock(&m->lock);
    t = m->table;
    i = table_upper_bound(t, addr);
    if (i > 0 && t->starts[i - 1] == addr) {
        publish_locked(m, table_edit(t, NULL, i - 1), t->regions[i - 1]);
        ok = true;
    } else {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_NOT_FOUND,
                            "no range starts at 0x%" PRIx64, addr);
    }
    g_mutex_unlock(&m->lock);
    return ok;
}
