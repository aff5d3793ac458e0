/* SPDX-License-Identifier: MIT */
/*
 * FlatViews as GuestMemory, their sections as GuestRegions: the region
 * interface over the access path.
 *
 * A section's GuestRegion header is part of its one stored form
 * (FlatSection.region, filled at render with flatview_region_ops, passed
 * down by address-space.c). Plain RAM sections are plain memory: the
 * interface's wrappers use their host pointer, and mark_dirty does what the
 * access path does after a RAM write. Every other section (MMIO, ROM, ROM
 * devices, reservations, IOMMUs) is served by the access path's own
 * per-section steps (memory_section_access_step(), memory_section_load(),
 * memory_section_store() in access.c), so QEMU's rules apply unchanged.
 *
 * A GuestMemory for a view is a small handle made per reference
 * (guest_memory_from_address_space(), flatview_get_guest_memory()): it
 * holds the view reference and the target byte order the caller asked for.
 * The view itself carries no byte order, so one view serves AddressSpaces
 * of either order.
 */
#include "memory-internal.h"

static const FlatSection *section_of(GuestRegion *r)
{
    return ADDRSPACE_CONTAINER_OF(r, FlatSection, region);
}

static MemTxResult section_rw(GuestRegion *r, hwaddr offset, uint8_t *buf,
                              uint64_t len, bool is_write, MemTxAttrs attrs,
                              bool target_big_endian, uint64_t *done)
{
    MemTxResult res = MEMTX_OK;

    /* one step: a chunk that starts here may run past the section's end */
    *done = memory_section_access_step(section_of(r), r->start + offset, buf,
                                       len, is_write, attrs, NULL,
                                       target_big_endian, &res);
    return res;
}

/*
 * A view held by reference (a GuestMemory) may predate the region's dirty
 * logging: after a RAM write, mark the clients the region logs now that
 * the view's section did not (the access step marked the section's).
 */
static void mark_late_clients(const FlatSection *s, hwaddr offset, uint64_t len)
{
    uint32_t f = s->region.impl_flags;
    uint8_t late = (uint8_t)(memory_region_get_dirty_log_mask(s->mr) &
                             ~(f >> FLAT_SECTION_LOG_SHIFT));

    if (late && len && (f & FLAT_SECTION_RAM) && (f & FLAT_SECTION_HOST)) {
        ram_block_set_dirty_range(s->mr->priv.ram_block, s->offset + offset,
                                  len, late);
    }
}

static MemTxResult section_read(GuestRegion *r, hwaddr offset, void *buf,
                                uint64_t len, MemTxAttrs attrs,
                                bool target_big_endian, uint64_t *done)
{
    return section_rw(r, offset, buf, len, false, attrs, target_big_endian,
                      done);
}

static MemTxResult section_write(GuestRegion *r, hwaddr offset, const void *buf,
                                 uint64_t len, MemTxAttrs attrs,
                                 bool target_big_endian, uint64_t *done)
{
    /* the step only reads from buf when is_write */
    MemTxResult res = section_rw(r, offset, (uint8_t *)(uintptr_t)buf, len,
                                 true, attrs, target_big_endian, done);

    mark_late_clients(section_of(r), offset, *done);
    return res;
}

/* The region and offset of a typed access the fast MMIO entries take
 * (flatview_section_mmio(), the access path's one test), or NULL. */
static MemoryRegion *section_fast_mmio(GuestRegion *r, hwaddr offset,
                                       unsigned size, hwaddr *mr_offset)
{
    unsigned piece;

    if (!size || size > 8 || (size & (size - 1))) {
        return NULL;
    }
    return flatview_section_mmio(section_of(r), r->start + offset, size,
                                 mr_offset, &piece);
}

static MemTxResult section_load(GuestRegion *r, hwaddr offset, unsigned size,
                                enum device_endian order, MemTxAttrs attrs,
                                bool target_big_endian, uint64_t *value)
{
    hwaddr mo;
    MemoryRegion *mr = section_fast_mmio(r, offset, size, &mo);
    MemTxResult res;

    if (mr) {
        *value = memory_region_load_fast(mr, mo, size, order, target_big_endian,
                                         attrs, &res);
        return res;
    }
    return memory_section_load(section_of(r), r->start + offset, size, order,
                               attrs, NULL, target_big_endian, value);
}

static MemTxResult section_store(GuestRegion *r, hwaddr offset, unsigned size,
                                 enum device_endian order, MemTxAttrs attrs,
                                 bool target_big_endian, uint64_t value)
{
    hwaddr mo;
    MemoryRegion *mr = section_fast_mmio(r, offset, size, &mo);
    MemTxResult res;

    if (mr) {
        return memory_region_store_fast(mr, mo, value, size, order,
                                        target_big_endian, attrs);
    }
    res = memory_section_store(section_of(r), r->start + offset, size, value,
                               order, attrs, NULL, target_big_endian);

    if (res == MEMTX_OK) {
        mark_late_clients(section_of(r), offset, size);
    }
    return res;
}

static void section_mark_dirty(GuestRegion *r, hwaddr offset, uint64_t len)
{
    const FlatSection *s = section_of(r);

    /* the region's clients now, not the view's: a GuestMemory may hold
     * its view across memory_region_set_log() or a RAM snapshot */
    memory_region_mark_written(s->mr, s->offset + offset, len);
}

const GuestRegionOps flatview_region_ops = {
    .read = section_read,
    .write = section_write,
    .load = section_load,
    .store = section_store,
    .mark_dirty = section_mark_dirty,
};

/* A reference on a view, as a GuestMemory. */
typedef struct ViewMemory {
    GuestMemory mem;
    FlatView *fv;
} ViewMemory;

static FlatView *view_of(GuestMemory *mem)
{
    return ADDRSPACE_CONTAINER_OF(mem, ViewMemory, mem)->fv;
}

static GuestRegion *view_find_region(GuestMemory *mem, hwaddr addr)
{
    const FlatSection *s = flatview_find(view_of(mem), addr);

    /* the view owns its sections; the interface hands out mutable headers */
    return s ? (GuestRegion *)(uintptr_t)&s->region : NULL;
}

static size_t view_num_regions(GuestMemory *mem)
{
    return view_of(mem)->nr;
}

static GuestRegion *view_region(GuestMemory *mem, size_t i)
{
    const FlatSection *s = flatview_nth(view_of(mem), i);

    return s ? (GuestRegion *)(uintptr_t)&s->region : NULL;
}

static void view_put(GuestMemory *mem)
{
    ViewMemory *vm = ADDRSPACE_CONTAINER_OF(mem, ViewMemory, mem);

    flatview_unref(vm->fv);
    g_free(vm);
}

static const GuestMemoryOps view_memory_ops = {
    .find_region = view_find_region,
    .num_regions = view_num_regions,
    .region = view_region,
    .put = view_put,
    /* the view holds its sections and references their owners, whose
     * release (finalizing the regions, freeing RAM) waits for it */
    .regions_pinned = true,
};

/* A handle on @fv, whose reference it takes over. */
static GuestMemory *view_memory_new(FlatView *fv, bool big_endian)
{
    ViewMemory *vm = g_new(ViewMemory, 1);

    vm->mem = (GuestMemory){.ops = &view_memory_ops,
                            .big_endian = big_endian,
                            .view_index = &fv->index};
    vm->fv = fv;
    return &vm->mem;
}

ADDRSPACE_EXPORT GuestMemory *flatview_get_guest_memory(FlatView *fv,
                                                        bool big_endian)
{
    return flatview_ref(fv) ? view_memory_new(fv, big_endian) : NULL;
}

ADDRSPACE_EXPORT GuestMemory *guest_memory_from_address_space(AddressSpace *as)
{
    return view_memory_new(address_space_get_flatview(as),
                           address_space_is_big_endian(as));
}
