/* SPDX-License-Identifier: MIT */
/*
 * The access path: translate, buffer reads and writes, typed loads and
 * stores, following QEMU's physmem.c loop (flatview_read_continue /
 * flatview_write_continue / address_space_ld*_internal) over our FlatViews.
 * Readers take only an RCU read-side section.
 */
#include <string.h>

#include "hooks-internal.h"
#include "memory-internal.h"

/* Where an address lands: the region, the offset in it, and the bytes the
 * section still covers from there (2^64 - addr at most, saturated). */
typedef struct Target {
    const FlatSection *section; /* NULL: hole */
    MemoryRegion *mr;
    hwaddr xlat;
    uint64_t section_left; /* bytes left in the section (>= 1) */
} Target;

static MemoryRegion unassigned_region;
static GOnce unassigned_once = G_ONCE_INIT;

static gpointer unassigned_init(gpointer arg)
{
    (void)arg;
    memory_region_init_reservation(&unassigned_region, NULL, "unassigned",
                                   UINT64_MAX, NULL);
    return NULL;
}

MemoryRegion *memory_region_unassigned(void)
{
    g_once(&unassigned_once, unassigned_init, NULL);
    return &unassigned_region;
}

static void target_of_section(const FlatSection *s, hwaddr addr, Target *t)
{
    t->section = s;
    if (s) {
        t->mr = s->mr;
        t->xlat = s->offset + (addr - s->region.start);
        t->section_left = s->region.last - addr + 1; /* 0 means 2^64: clamp */
        if (t->section_left == 0) {
            t->section_left = UINT64_MAX;
        }
    } else {
        t->mr = memory_region_unassigned();
        t->xlat = addr;
        t->section_left = 0;
    }
}

/*
 * memory_section_resolve_iommu_rcu(), called only for IOMMU sections: the
 * others are their own answer, with no limit.
 */
static inline const FlatSection *resolve_iommu(const FlatSection *s,
                                               hwaddr *addr, bool is_write,
                                               MemTxAttrs attrs,
                                               uint64_t *limit)
{
    if (__builtin_expect(s && (s->region.impl_flags & FLAT_SECTION_IOMMU), 0)) {
        return memory_section_resolve_iommu_rcu(s, addr, is_write, attrs, limit,
                                                NULL);
    }
    *limit = UINT64_MAX;
    return s;
}

/* Resolve @addr of @fv through IOMMUs; *@limit: bytes the result covers. */
static void target_of(FlatView *fv, hwaddr addr, bool is_write,
                      MemTxAttrs attrs, Target *t, uint64_t *limit)
{
    const FlatSection *s =
        resolve_iommu(flatview_find(fv, addr), &addr, is_write, attrs, limit);

    target_of_section(s, addr, t);
}

/* The target byte order: @as's, or @target_big_endian without one. */
static inline bool target_order(const AddressSpace *as, bool target_big_endian)
{
    return as ? __atomic_load_n(&as->priv.big_endian, __ATOMIC_RELAXED)
              : target_big_endian;
}

/*
 * Whether an access of @size at @addr in @s takes the dispatcher's fast
 * path (an MMIO section, a fast size recorded at render, and aligned);
 * *@offset: the region offset.
 */
static inline bool section_is_fast(const FlatSection *s, hwaddr addr,
                                   unsigned size, hwaddr *offset)
{
    if (!s || !(s->region.impl_flags & (size << FLAT_SECTION_FAST_SHIFT))) {
        return false;
    }
    *offset = s->offset + (addr - s->region.start);
    return (*offset & (size - 1)) == 0;
}

/*
 * Host address of @addr in @s, a section with direct reads: plain RAM
 * keeps it in the section; ROM and romd ROM devices read their RAM block.
 */
static inline uint8_t *section_host(const FlatSection *s, hwaddr addr)
{
    hwaddr d = addr - s->region.start;

    return s->region.host ? s->region.host + d
                          : s->mr->priv.ram_block->host + s->offset + d;
}

ADDRSPACE_EXPORT MemoryRegion *
address_space_translate(AddressSpace *as, hwaddr addr, hwaddr *xlat,
                        hwaddr *plen, bool is_write, MemTxAttrs attrs)
{
    uint64_t limit;
    Target t;

    target_of(address_space_to_flatview(as), addr, is_write, attrs, &t, &limit);
    *xlat = t.xlat;
    if (t.section && (t.section->region.impl_flags & FLAT_SECTION_RAM) &&
        *plen > t.section_left) {
        *plen = t.section_left;
    }
    if (*plen > limit) {
        *plen = limit; /* QEMU: an IOMMU translation covers one block */
    }
    return t.mr;
}

/*
 * Whether @t's region is reached through ops (MMIO, ROM devices, RAM
 * devices, reservations): anything but RAM and ROM.
 */
static inline bool target_is_io(const Target *t)
{
    return t->section && t->mr->priv.kind != MR_KIND_RAM &&
           t->mr->priv.kind != MR_KIND_ROM;
}

/* The way an access goes, decided once per section and translation. */
typedef enum Way {
    WAY_DIRECT,     /* host memory: RAM, ROM and romd reads */
    WAY_IO,         /* the region's ops: MMIO, ROM devices, RAM devices */
    WAY_UNASSIGNED, /* holes, ROM writes, RAM too short: QEMU's unassigned */
} Way;

/*
 * The way of an access to @t; @fits: the bytes the access needs lie in the
 * section (else direct access is out, as in QEMU's translation).
 */
static inline Way target_way(const Target *t, bool is_write, bool fits)
{
    uint32_t f = t->section ? t->section->region.impl_flags : 0;

    if (fits &&
        (f & (is_write ? FLAT_SECTION_HOST : FLAT_SECTION_DIRECT_READ))) {
        return WAY_DIRECT;
    }
    return target_is_io(t) ? WAY_IO : WAY_UNASSIGNED;
}

/*
 * The bytes a chunk of @mr's callbacks may take from offset @xlat on: 0
 * (no bound) as in QEMU, whose chunks may pass the region's end; with the
 * mmio-bounds opt-in, the bytes to the region's end (0 meaning 2^64).
 */
static inline uint64_t chunk_room(MemoryRegion *mr, hwaddr xlat)
{
    return mr_bounds_checked(mr) ? mr_size_last_relaxed(mr) - xlat + 1 : 0;
}

/* @l clamped to @room (0: no bound). */
static inline uint64_t room_clamp(uint64_t l, uint64_t room)
{
    return room != 0 && l > room ? room : l;
}

/*
 * memcpy() of @l bytes (>= 1), inline up to 16: two moves, overlapping
 * unless @l is a power of two, of the largest power of two not above @l
 * (a short access pays no call, and no loop).
 */
static inline void copy_bytes(uint8_t *dst, const uint8_t *src, uint64_t l)
{
    uint64_t a, b;

    if (l > 16) {
        memcpy(dst, src, l);
    } else if (l >= 8) {
        memcpy(&a, src, 8);
        memcpy(&b, src + l - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + l - 8, &b, 8);
    } else if (l >= 4) {
        uint32_t c, d;

        memcpy(&c, src, 4);
        memcpy(&d, src + l - 4, 4);
        memcpy(dst, &c, 4);
        memcpy(dst + l - 4, &d, 4);
    } else {
        /* 1 to 3: first, middle (or first again) and last byte */
        uint8_t x = src[0], y = src[l / 2], z = src[l - 1];

        dst[0] = x;
        dst[l / 2] = y;
        dst[l - 1] = z;
    }
}

/*
 * One copy between @buf and @l bytes of host memory of @s from @addr on
 * (region offset @xlat); a write marks the pages its logging clients want.
 * @untorn: no naturally aligned piece of the guest side torn (the region
 * interface's objects), else memcpy (address_space_read/_write, as QEMU).
 */
static inline void copy_direct(const FlatSection *s, hwaddr addr, hwaddr xlat,
                               uint8_t *buf, uint64_t l, bool is_write,
                               bool untorn)
{
    uint8_t *host = section_host(s, addr);

    if (is_write) {
        if (untorn) {
            addrspace_copy_untorn(host, buf, l, true);
        } else {
            copy_bytes(host, buf, l);
        }
        ram_block_mark_dirty(s, xlat, l);
    } else if (untorn) {
        addrspace_copy_untorn(buf, host, l, false);
    } else {
        copy_bytes(buf, host, l);
    }
}

/* A step on a section with direct access: one copy up to its end. */
static uint64_t step_direct(const Target *t, hwaddr addr, uint8_t *buf,
                            uint64_t l, bool is_write)
{
    if (!(t->section->region.impl_flags & FLAT_SECTION_RAM)) {
        /* romd: QEMU copies up to the end of the RAM block, not of the
         * region: inside a transaction the region may already have shrunk
         * below this view's section (its size would give 0 bytes here, and
         * the caller's loop would never end) */
        l = MIN(l, t->mr->priv.ram_block->size - t->xlat);
    }
    copy_direct(t->section, addr, t->xlat, buf, l, is_write, true);
    return l;
}

/*
 * One access of @size (1 to 8) to @t's region through its ops, the bytes
 * inside the region: the fast entry for a size and alignment the view
 * recorded as fast, else the general dispatch. The one out-of-line MMIO
 * entry of the access path.
 */
static MemTxResult io_access(const Target *t, hwaddr addr, unsigned size,
                             uint64_t *val, bool is_write,
                             enum device_endian order, bool tbe,
                             MemTxAttrs attrs)
{
    MemTxResult r;
    hwaddr offset;

    if (section_is_fast(t->section, addr, size, &offset)) {
        if (is_write) {
            return memory_region_store_fast(t->mr, offset, *val, size, order,
                                            tbe, attrs);
        }
        *val =
            memory_region_load_fast(t->mr, offset, size, order, tbe, attrs, &r);
        return r;
    }
    if (is_write) {
        return memory_region_dispatch_write(t->mr, t->xlat, *val, size, order,
                                            tbe, attrs);
    }
    return memory_region_dispatch_read(t->mr, t->xlat, val, size, order, tbe,
                                       attrs);
}

/*
 * A step on an MMIO section: one chunk (QEMU's memory_access_size(), not
 * clamped to the section, nor to the region unless it opted in to
 * mmio-bounds) to the region that decodes the first byte.
 */
static uint64_t step_mmio(const Target *t, hwaddr addr, uint8_t *buf,
                          uint64_t l, bool is_write, MemTxAttrs attrs, bool tbe,
                          MemTxResult *res)
{
    unsigned chunk;
    uint64_t val = 0;

    if (t->mr->priv.ops) {
        l = room_clamp(l, chunk_room(t->mr, t->xlat));
    }
    chunk = memory_access_size(t->mr, (unsigned)MIN(l, 8), t->xlat);
    if (is_write) {
        val = addrspace_host_load(buf, chunk);
    }
    *res |= io_access(t, addr, chunk, &val, is_write, ADDRSPACE_HOST_ENDIAN,
                      tbe, attrs);
    if (!is_write) {
        addrspace_host_store(buf, chunk, val);
    }
    return chunk;
}

/*
 * step_mmio(), and with @run the chunks after it while the next one starts
 * in the section (QEMU looks each chunk up; the section it finds is this
 * one: the access keeps the view it started with, whatever a callback
 * commits). The last chunk may pass the section's end, or 2^64.
 */
static uint64_t step_mmio_run(Target *t, hwaddr addr, uint8_t *buf, uint64_t l,
                              bool is_write, MemTxAttrs attrs, bool tbe,
                              MemTxResult *res, bool run)
{
    uint64_t done = 0;

    for (;;) {
        uint64_t c =
            step_mmio(t, addr, buf + done, l - done, is_write, attrs, tbe, res);

        done += c;
        /* c <= 8: the next address wrapped iff it is below c */
        if (!run || done == l || addr + c < c || c >= t->section_left) {
            return done;
        }
        addr += c;
        t->xlat += c;
        t->section_left -= c;
    }
}

/*
 * A step on a hole or a write to ROM: unassigned ops (QEMU 7.2). A hole is
 * chunked like MMIO (at most 4 bytes, aligned) and, as in QEMU, not
 * clamped to the hole: a chunk may swallow the first bytes of the region
 * after it.
 */
static uint64_t step_unassigned(bool hole, hwaddr addr, uint8_t *buf,
                                uint64_t l, bool is_write, MemTxResult *res)
{
    if (hole) {
        unsigned chunk = 4;

        while (chunk > l || (addr & (chunk - 1))) {
            chunk >>= 1;
        }
        l = chunk;
    }
    if (!is_write) {
        memset(buf, 0, l);
    }
    *res |= MEMTX_DECODE_ERROR;
    return l;
}

/*
 * memory_section_access_step(); with @run an MMIO section's chunks go on
 * while they stay in it (step_mmio_run()), unless an IOMMU translated the
 * access: QEMU translates every chunk again.
 */
static uint64_t section_step(const FlatSection *section, hwaddr addr,
                             uint8_t *buf, uint64_t len, bool is_write,
                             MemTxAttrs attrs, const AddressSpace *as,
                             bool target_big_endian, MemTxResult *res, bool run)
{
    Target t;
    uint64_t l, limit;

    if (section && (section->region.impl_flags & FLAT_SECTION_IOMMU)) {
        run = false; /* every chunk is translated again */
    }
    section = resolve_iommu(section, &addr, is_write, attrs, &limit);
    len = MIN(len, limit);
    target_of_section(section, addr, &t);
    /* QEMU clamps RAM to the section */
    l = section && (section->region.impl_flags & FLAT_SECTION_RAM)
            ? MIN(len, t.section_left)
            : len;
    if (attrs.memory &&
        !(section && (section->region.impl_flags & FLAT_SECTION_RAM))) {
        /* QEMU flatview_access_allowed(): the whole rest is refused, and
         * a read leaves the caller's buffer as it was */
        *res |= MEMTX_ACCESS_ERROR;
        return l;
    }
    switch (target_way(&t, is_write, true)) {
    case WAY_DIRECT:
        return step_direct(&t, addr, buf, l, is_write);
    case WAY_IO:
        return step_mmio_run(&t, addr, buf, l, is_write, attrs,
                             target_order(as, target_big_endian), res, run);
    default:
        return step_unassigned(!section, addr, buf, l, is_write, res);
    }
}

uint64_t memory_section_access_step(const FlatSection *section, hwaddr addr,
                                    uint8_t *buf, uint64_t len, bool is_write,
                                    MemTxAttrs attrs, const AddressSpace *as,
                                    bool target_big_endian, MemTxResult *res)
{
    return section_step(section, addr, buf, len, is_write, attrs, as,
                        target_big_endian, res, false);
}

/*
 * The bytes of a buffer access at @addr (@len >= 1 left) that @s, the
 * section holding @addr or NULL, serves with one copy: plain RAM with
 * direct access in that direction, up to the section's end; 0 for every
 * other case (memory_section_access_step()'s). The whole classification
 * of a RAM section: one flags test and one bound.
 */
static inline uint64_t ram_run(const FlatSection *s, hwaddr addr, uint64_t len,
                               bool is_write)
{
    uint32_t want = FLAT_SECTION_RAM |
                    (is_write ? FLAT_SECTION_HOST : FLAT_SECTION_DIRECT_READ);
    uint64_t rest;

    if (!s || (s->region.impl_flags & want) != want) {
        return 0;
    }
    rest = s->region.last - addr; /* bytes left - 1 */
    return len - 1 > rest ? rest + 1 : len;
}

/* Where a buffer access stands in the view: a section, by its chunk and
 * its place there (@c NULL: a hole). */
typedef struct Cursor {
    const FlatChunk *c;
    size_t i;
} Cursor;

/* The section holding @addr (NULL: a hole), found by a lookup. */
static inline const FlatSection *cursor_find(Cursor *k, const FlatViewIndex *ix,
                                             hwaddr addr)
{
    const FlatSection *s;

    k->c = flatview_index_chunk(ix, addr);
    if (!k->c) {
        return NULL;
    }
    k->i = flatview_chunk_find(k->c, addr);
    s = &k->c->sections[k->i];
    if (addr > s->region.last) {
        k->c = NULL;
        return NULL;
    }
    return s;
}

/*
 * The section holding @addr, where the last step ended: the neighbour of
 * the section at @k in its chunk when that starts there (a RAM run or an
 * MMIO run ends at its section's end: an access crossing adjacent sections
 * searches once, and tests nothing more), the section at @k while it still
 * holds @addr (a step that ends inside its section, an MMIO chunk of the
 * hooked path or an IOMMU translation's block: the next needs no search),
 * else a lookup (a hole, or @addr wrapped past 2^64).
 */
static inline const FlatSection *cursor_next(Cursor *k, const FlatViewIndex *ix,
                                             hwaddr addr)
{
    const FlatSection *s;

    if (!k->c) {
        return cursor_find(k, ix, addr);
    }
    if (k->i + 1 < k->c->nr && k->c->starts[k->i + 1] == addr) {
        k->i++;
        return &k->c->sections[k->i];
    }
    s = &k->c->sections[k->i];
    if (addr >= s->region.start && addr <= s->region.last) {
        return s;
    }
    return cursor_find(k, ix, addr);
}

/* The end of the hole holding @addr: the start of the first section above
 * it, or 0 when there is none (the hole runs to the top of the space). */
static hwaddr hole_end(const FlatViewIndex *ix, hwaddr addr)
{
    const FlatViewSlot *slots = flatview_index_slots(ix);
    const FlatChunk *c;
    size_t lo, i;

    if (ix->nr_chunks == 0) {
        return 0; /* an empty view: one hole */
    }
    if (addr < slots[0].start) {
        return slots[0].start;
    }
    lo = (size_t)(flatview_index_slot_any(ix, addr) - slots);
    c = slots[lo].chunk;
    i = flatview_chunk_find(c, addr);
    if (i + 1 < c->nr) {
        return c->starts[i + 1];
    }
    return lo + 1 < ix->nr_chunks ? slots[lo + 1].start : 0;
}

/*
 * A buffer access over a hole from a 4-aligned @addr, @l (>= 4) bytes left:
 * what step_unassigned()'s chunks cover, 4 bytes each, until one starts at
 * or past the hole's end (the last may swallow the first bytes of the
 * section there, as in QEMU) or fewer than 4 bytes are left. One step for
 * what takes a lookup per chunk, with the same outcome.
 */
static uint64_t hole_run(const FlatViewIndex *ix, hwaddr addr, uint64_t l)
{
    hwaddr end = hole_end(ix, addr);
    uint64_t chunks = UINT64_MAX; /* a view that is one hole */

    if (end != 0) {
        chunks = (end - addr) / 4 + ((end - addr) % 4 != 0);
    } else if (addr != 0) {
        /* up to 2^64 exactly (@addr is 4-aligned): the next step wraps
         * to address 0 and looks it up */
        chunks = (0 - addr) / 4;
    }
    return 4 * MIN(chunks, l / 4);
}

/* The read-side part of a buffer access: one step per section, RAM copied
 * in this frame; crossing into an adjacent section needs no search; a hole
 * crossed in one step (hole_run()), an MMIO section's chunks in one step
 * (section_step()'s run). */
static MemTxResult access_rcu(AddressSpace *as, const FlatViewIndex *ix,
                              hwaddr addr, MemTxAttrs attrs, uint8_t *buf,
                              hwaddr len, bool is_write)
{
    MemTxResult res = MEMTX_OK;
    Cursor k = {0};
    const FlatSection *s = cursor_find(&k, ix, addr);

    for (;;) {
        /* a RAM run ends with its section, at 2^64 at most; an MMIO chunk
         * may pass 2^64 (QEMU: memory_access_size() of the unclamped
         * length) and the next step wraps */
        uint64_t done = ram_run(s, addr, len, is_write);

        if (__builtin_expect(done != 0, 1)) {
            copy_direct(s, addr, s->offset + (addr - s->region.start), buf,
                        done, is_write, false);
        } else if (!s && !(addr & 3) && len >= 8 && !attrs.memory) {
            /* (attrs.memory: the step refuses the whole rest at once) */
            done = hole_run(ix, addr, len);
            if (!is_write) {
                memset(buf, 0, done);
            }
            res |= MEMTX_DECODE_ERROR;
        } else {
            done = section_step(s, addr, buf, len, is_write, attrs, as, false,
                                &res, true);
        }
        if (done == len) {
            return res;
        }
        len -= done;
        buf += done;
        if (done == 0) {
            /* no progress (defensive: would spin) */
            if (!is_write) {
                memset(buf, 0, len);
            }
            return res | MEMTX_DECODE_ERROR;
        }
        addr += done; /* past 2^64 it wraps to 0, as QEMU 7.2's loop does */
        s = cursor_next(&k, ix, addr);
    }
}

/* Report one piece of a buffer access to @hooks (access hooks). */
static __attribute__((noinline)) void
report_piece(AddressSpace *as, const AddressSpaceHookList *hooks,
             const FlatSection *s, hwaddr addr, const uint8_t *buf,
             uint64_t len, bool is_write, MemTxAttrs attrs, MemTxResult res)
{
    AddressSpaceAccess acc = {
        .addr = addr,
        .size = len,
        .data = buf,
        .attrs = attrs,
        .result = res,
        .is_write = is_write,
    };

    /* the first bytes as a little-endian number, on any host */
    for (unsigned i = MIN(len, 8); i-- > 0;) {
        acc.value = acc.value << 8 | buf[i];
    }
    address_space_hooks_report_rcu(as, hooks, s, &acc);
}

/*
 * access_rcu() for an access that @hooks may observe: every piece goes
 * through memory_section_access_step() and is reported after it.
 */
static __attribute__((noinline)) MemTxResult
access_hooked_rcu(AddressSpace *as, const AddressSpaceHookList *hooks,
                  const FlatViewIndex *ix, hwaddr addr, MemTxAttrs attrs,
                  uint8_t *buf, hwaddr len, bool is_write)
{
    MemTxResult res = MEMTX_OK;
    Cursor k = {0};
    const FlatSection *s = cursor_find(&k, ix, addr);

    for (;;) {
        MemTxResult step = MEMTX_OK;
        uint64_t done = memory_section_access_step(s, addr, buf, len, is_write,
                                                   attrs, as, false, &step);

        res |= step;
        if (done) {
            report_piece(as, hooks, s, addr, buf, done, is_write, attrs, step);
        }
        if (done == len) {
            return res;
        }
        len -= done;
        buf += done;
        if (done == 0) { /* no progress (defensive: would spin) */
            if (!is_write) {
                memset(buf, 0, len);
            }
            return res | MEMTX_DECODE_ERROR;
        }
        addr += done; /* past 2^64 it wraps to 0, as in QEMU 7.2 */
        s = cursor_next(&k, ix, addr);
    }
}

static MemTxResult access_loop(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                               uint8_t *buf, hwaddr len, bool is_write)
{
    const AddressSpaceHookList *hooks;
    const FlatViewIndex *ix;
    MemTxResult res;
    RcuReadState entered;

    if (len == 0) {
        return MEMTX_OK;
    }
    entered = rcu_read_enter();
    ix = address_space_index_rcu(as);
    if (__builtin_expect(ix->nr_chunks == 0, 0) &&
        !address_space_check(as, is_write ? "address_space_write"
                                          : "address_space_read")) {
        rcu_read_exit(entered);
        if (!is_write) {
            memset(buf, 0, len);
        }
        return MEMTX_DECODE_ERROR;
    }
    hooks = address_space_hooks_rcu(as, addr, len, is_write);
    if (__builtin_expect(hooks != NULL, 0)) {
        res = access_hooked_rcu(as, hooks, ix, addr, attrs, buf, len, is_write);
    } else {
        res = access_rcu(as, ix, addr, attrs, buf, len, is_write);
    }
    rcu_read_exit(entered);
    return res;
}

ADDRSPACE_EXPORT MemTxResult address_space_read(AddressSpace *as, hwaddr addr,
                                                MemTxAttrs attrs, void *buf,
                                                hwaddr len)
{
    return access_loop(as, addr, attrs, buf, len, false);
}

ADDRSPACE_EXPORT MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                                 MemTxAttrs attrs,
                                                 const void *buf, hwaddr len)
{
    /* the loop only reads from buf when is_write */
    return access_loop(as, addr, attrs, (uint8_t *)(uintptr_t)buf, len, true);
}

ADDRSPACE_EXPORT MemTxResult address_space_rw(AddressSpace *as, hwaddr addr,
                                              MemTxAttrs attrs, void *buf,
                                              hwaddr len, bool is_write)
{
    return access_loop(as, addr, attrs, buf, len, is_write);
}

/* The largest chunk memory_access_size() gives @mr (offset 0 is aligned
 * to every size). */
static unsigned chunk_max(MemoryRegion *mr)
{
    return memory_access_size(mr, 8, 0);
}

/*
 * After a chunk of @c bytes (the largest) ending at @done: how many more of
 * that size give the same check, as long as they fit the access (@len),
 * the region (@region_left bytes from the chunk's start, 0: no bound)
 * and start inside @span.
 */
static uint64_t same_chunks(uint64_t done, uint64_t len, uint64_t span,
                            uint64_t region_left, unsigned c)
{
    uint64_t n = (len - done) / c;

    if (region_left != 0) {
        n = MIN(n, (region_left - c) / c);
    }
    return done < span ? MIN(n, (span - done - 1) / c + 1) : 0;
}

/*
 * flatview_access_valid()'s chunks over one MMIO translation: the access
 * goes on at @addr (region offset @xlat) with @len bytes left; chunks may
 * start in the next @span bytes (the section, or the IOMMU translation).
 * Returns the bytes the valid chunks covered (the last may pass @span), or
 * 0 when a chunk is refused.
 *
 * QEMU checks each chunk. Without valid.accepts the answer for a chunk
 * depends only on its size and on its offset modulo its size, and once the
 * chunks reach the largest size they keep it, with the same offset
 * remainder, until the access, the region or @span ends: those are
 * checked once and skipped, so the cost is a few chunks per translation,
 * whatever the length. valid.accepts may answer differently for every
 * offset, so it is asked for every chunk, as in QEMU.
 */
static uint64_t mmio_valid_span(MemoryRegion *mr, hwaddr xlat, hwaddr addr,
                                uint64_t len, uint64_t span, bool is_write,
                                MemTxAttrs attrs)
{
    bool asks = mr->priv.ops && mr->priv.ops->valid.accepts;
    unsigned max = chunk_max(mr);
    uint64_t done = 0;

    while (done < len && done < span) {
        /* mmio-bounds: a chunk never passes the region's end */
        uint64_t region_left = chunk_room(mr, xlat + done);
        uint64_t l = room_clamp(MIN(len - done, 8), region_left);
        unsigned c;

        /* QEMU 7.2 aligns by the address-space address here, not by the
         * region offset that the validity check then gets */
        c = memory_access_size(mr, (unsigned)l, addr + done);
        if (!memory_region_access_valid(mr, xlat + done, c, is_write, attrs)) {
            return 0;
        }
        done += c;
        if (!asks && c == max) {
            /* the steady state: every further chunk of this size is the
             * same check */
            done += same_chunks(done, len, span, region_left, c) * c;
        }
    }
    return done;
}

/*
 * QEMU 7.2's flatview_access_valid(): the chunks that address_space_read
 * or _write would make, each checked by memory_region_access_valid()
 * (MMIO) or accepted (direct RAM); holes and ROM writes are refused (the
 * unassigned ops). RAM is one step per section, MMIO a few chunks per
 * section (mmio_valid_span()), so the cost grows with the sections the
 * range crosses, not its length, except over regions with valid.accepts.
 */
ADDRSPACE_EXPORT bool address_space_access_valid(AddressSpace *as, hwaddr addr,
                                                 hwaddr len, bool is_write,
                                                 MemTxAttrs attrs)
{
    bool ok = true;
    FlatView *fv;

    rcu_read_lock();
    fv = address_space_to_flatview(as);
    while (len && ok) {
        uint64_t l = len, limit; /* QEMU: chunks may pass 2^64, then wrap */
        Target t;

        target_of(fv, addr, is_write, attrs, &t, &limit);
        l = MIN(l, limit);
        switch (target_way(&t, is_write, true)) {
        case WAY_DIRECT:
            if (t.section->region.impl_flags & FLAT_SECTION_RAM) {
                l = MIN(l, t.section_left);
            }
            /* romd: QEMU's translation does not clamp a ROM device's
             * length (not RAM), so the rest of the range is accepted */
            break;
        case WAY_IO:
            /* reservations (no ops): the unassigned ops refuse */
            l = t.mr->priv.ops ? mmio_valid_span(t.mr, t.xlat, addr, l,
                                                 MIN(t.section_left, limit),
                                                 is_write, attrs)
                               : 0;
            ok = l != 0;
            break;
        default:
            ok = false; /* holes, RAM, ROM: the unassigned ops */
        }
        len -= MIN(len, l);
        addr += l; /* past 2^64 it wraps to 0, as in QEMU 7.2 */
    }
    rcu_read_unlock();
    return ok;
}

/*
 * Typed accesses (QEMU's address_space_ld*_internal): never split. @order
 * is the byte order in which the value is exchanged, @tbe the target's.
 */

/* A typed load from @t, a section with direct reads. */
static uint64_t load_direct(const Target *t, hwaddr addr, unsigned size,
                            enum device_endian order, bool tbe, MemTxResult *r)
{
    uint64_t val;

    if (!(t->section->region.impl_flags & FLAT_SECTION_RAM) &&
        t->xlat + size > t->mr->priv.ram_block->size) {
        /* romd past the RAM block, where QEMU would read beyond it
         * (not reproducible): refused */
        *r = MEMTX_DECODE_ERROR;
        return 0;
    }
    val = addrspace_host_load(section_host(t->section, addr), size);
    return addrspace_endian_swaps(order, &tbe) ? addrspace_bswap(val, size)
                                               : val;
}

/*
 * A typed access through @t's ops: the general dispatch (the callers
 * that can take the fast entries have decided so before), which refuses
 * an access passing the region's end.
 */
static MemTxResult typed_io(const Target *t, unsigned size, uint64_t *val,
                            bool is_write, enum device_endian order, bool tbe,
                            MemTxAttrs attrs)
{
    if (is_write) {
        return memory_region_dispatch_write(t->mr, t->xlat, *val, size, order,
                                            tbe, attrs);
    }
    return memory_region_dispatch_read(t->mr, t->xlat, val, size, order, tbe,
                                       attrs);
}

/*
 * Where a typed access of @size at @addr goes: through IOMMUs, then the
 * way for QEMU's length after translation (an IOMMU translation bounds
 * it, a RAM section too, not a romd one: a ROM device is not RAM; shorter
 * than the access, it goes the I/O way).
 */
static Way typed_target(const FlatSection *section, hwaddr *addr, unsigned size,
                        bool is_write, MemTxAttrs attrs, Target *t)
{
    uint64_t limit, room;

    section = resolve_iommu(section, addr, is_write, attrs, &limit);
    target_of_section(section, *addr, t);
    room = MIN(limit, size);
    if (section && (section->region.impl_flags & FLAT_SECTION_RAM)) {
        room = MIN(room, t->section_left);
    }
    return target_way(t, is_write, room >= size);
}

MemTxResult memory_section_load(const FlatSection *section, hwaddr addr,
                                unsigned size, enum device_endian order,
                                MemTxAttrs attrs, const AddressSpace *as,
                                bool target_big_endian, uint64_t *value)
{
    bool tbe = target_order(as, target_big_endian);
    MemTxResult r = MEMTX_OK;
    Target t;

    *value = 0;
    switch (typed_target(section, &addr, size, false, attrs, &t)) {
    case WAY_DIRECT:
        *value = load_direct(&t, addr, size, order, tbe, &r);
        return r;
    case WAY_IO:
        return typed_io(&t, size, value, false, order, tbe, attrs);
    default:
        return MEMTX_DECODE_ERROR; /* hole, or RAM section too short */
    }
}

MemTxResult memory_section_store(const FlatSection *section, hwaddr addr,
                                 unsigned size, uint64_t val,
                                 enum device_endian order, MemTxAttrs attrs,
                                 const AddressSpace *as, bool target_big_endian)
{
    bool tbe = target_order(as, target_big_endian);
    Target t;

    switch (typed_target(section, &addr, size, true, attrs, &t)) {
    case WAY_DIRECT:
        if (addrspace_endian_swaps(order, &tbe)) {
            val = addrspace_bswap(val, size);
        }
        addrspace_host_store(section_host(t.section, addr), size, val);
        ram_block_mark_dirty(t.section, t.xlat, size);
        return MEMTX_OK;
    case WAY_IO:
        return typed_io(&t, size, &val, true, order, tbe, attrs);
    default:
        return MEMTX_DECODE_ERROR; /* hole, ROM, or RAM section too short */
    }
}

static inline uint64_t ld_at(AddressSpace *as, const FlatSection *s,
                             hwaddr addr, unsigned size,
                             enum device_endian order, MemTxAttrs attrs,
                             MemTxResult *result)
{
    MemTxResult r = MEMTX_DECODE_ERROR;
    uint64_t val = 0;

    /* a hole: also what an AddressSpace that is not initialised gives */
    if (s || address_space_check(as, "address_space_ld")) {
        r = memory_section_load(s, addr, size, order, attrs, as, false, &val);
    }
    if (result) {
        *result = r;
    }
    return val;
}

static inline void st_at(AddressSpace *as, const FlatSection *s, hwaddr addr,
                         unsigned size, uint64_t val, enum device_endian order,
                         MemTxAttrs attrs, MemTxResult *result)
{
    MemTxResult r = MEMTX_DECODE_ERROR;

    if (s || address_space_check(as, "address_space_st")) {
        r = memory_section_store(s, addr, size, val, order, attrs, as, false);
    }
    if (result) {
        *result = r;
    }
}

/* A typed access observed by @hooks: done as usual, then reported. */
static __attribute__((noinline)) uint64_t
ld_hooked(AddressSpace *as, const AddressSpaceHookList *hooks,
          const FlatSection *s, hwaddr addr, unsigned size,
          enum device_endian order, MemTxAttrs attrs, MemTxResult *result)
{
    MemTxResult r = MEMTX_OK;
    uint64_t val = ld_at(as, s, addr, size, order, attrs, &r);
    AddressSpaceAccess acc = {
        .addr = addr,
        .size = size,
        .value = val,
        .attrs = attrs,
        .result = r,
        .typed = true,
        .big_endian = addrspace_endian_big(order, &as->priv.big_endian),
    };

    address_space_hooks_report_rcu(as, hooks, s, &acc);
    if (result) {
        *result = r;
    }
    return val;
}

static __attribute__((noinline)) void
st_hooked(AddressSpace *as, const AddressSpaceHookList *hooks,
          const FlatSection *s, hwaddr addr, unsigned size, uint64_t val,
          enum device_endian order, MemTxAttrs attrs, MemTxResult *result)
{
    MemTxResult r = MEMTX_OK;
    AddressSpaceAccess acc = {
        .addr = addr,
        .size = size,
        .value = size == 8 ? val : val & ((1ull << (8 * size)) - 1),
        .attrs = attrs,
        .is_write = true,
        .typed = true,
        .big_endian = addrspace_endian_big(order, &as->priv.big_endian),
    };

    st_at(as, s, addr, size, val, order, attrs, &r);
    acc.result = r;
    address_space_hooks_report_rcu(as, hooks, s, &acc);
    if (result) {
        *result = r;
    }
}

ADDRSPACE_EXPORT uint64_t address_space_ld_at_rcu(
    AddressSpace *as, const FlatSection *s, hwaddr addr, unsigned size,
    enum device_endian order, MemTxAttrs attrs, MemTxResult *result)
{
    const AddressSpaceHookList *hooks =
        address_space_hooks_rcu(as, addr, size, false);

    if (__builtin_expect(hooks != NULL, 0)) {
        return ld_hooked(as, hooks, s, addr, size, order, attrs, result);
    }
    return ld_at(as, s, addr, size, order, attrs, result);
}

ADDRSPACE_EXPORT void
address_space_st_at_rcu(AddressSpace *as, const FlatSection *s, hwaddr addr,
                        unsigned size, uint64_t val, enum device_endian order,
                        MemTxAttrs attrs, MemTxResult *result)
{
    const AddressSpaceHookList *hooks =
        address_space_hooks_rcu(as, addr, size, true);

    if (__builtin_expect(hooks != NULL, 0)) {
        st_hooked(as, hooks, s, addr, size, val, order, attrs, result);
        return;
    }
    st_at(as, s, addr, size, val, order, attrs, result);
}

ADDRSPACE_EXPORT uint64_t address_space_ld_slow(AddressSpace *as, hwaddr addr,
                                                unsigned size,
                                                enum device_endian order,
                                                MemTxAttrs attrs,
                                                MemTxResult *result)
{
    /* the inline path's decisions, out of line */
    return address_space_ld_inline(as, addr, size, order, attrs, result);
}

ADDRSPACE_EXPORT void address_space_st_slow(AddressSpace *as, hwaddr addr,
                                            unsigned size, uint64_t val,
                                            enum device_endian order,
                                            MemTxAttrs attrs,
                                            MemTxResult *result)
{
    address_space_st_inline(as, addr, size, val, order, attrs, result);
}
