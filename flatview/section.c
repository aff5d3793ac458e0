/* SPDX-License-Identifier: MIT */
/*
 * FlatViews as GuestMemory, MemoryRegionSections as GuestRegions.
 *
 * RAM sections (readable and writable directly) are plain memory: the
 * interface's wrappers use their host pointer, and mark_dirty does what
 * the access path does after a RAM write. Every other section (MMIO, ROM,
 * ROM devices, reservations) is served by the access path's own
 * per-section steps (memory_section_access_step(), memory_section_load(),
 * memory_section_store() in memory/access.c), so QEMU's rules apply
 * unchanged: chunking, the region decoding the first byte takes the chunk,
 * attrs.memory, ROM writes dropped, IOMMU translation.
 */
#include "flatview-internal.h"
#include "../memory/memory-internal.h"

static MemoryRegionSection *section_of(GuestRegion *r)
{
    return ADDRSPACE_CONTAINER_OF(r, MemoryRegionSection, guest_region);
}

static FlatView *view_of(GuestMemory *mem)
{
    /* guest_memory[big_endian]: step back to element 0 first */
    return ADDRSPACE_CONTAINER_OF(mem - mem->big_endian, FlatView,
                                  guest_memory);
}

static MemTxResult section_rw(GuestRegion *r, hwaddr offset, uint8_t *buf,
                              uint64_t len, bool is_write, MemTxAttrs attrs,
                              bool target_big_endian, uint64_t *done)
{
    MemoryRegionSection *s = section_of(r);
    MemTxResult res = MEMTX_OK;

    /* one step: a chunk that starts here may run past the section's end */
    *done = memory_section_access_step(s, r->start + offset, buf, len, is_write,
                                       attrs, NULL, target_big_endian, &res);
    return res;
}

/*
 * A view held by reference (a GuestMemory) may predate the region's dirty
 * logging: after a RAM write, mark the clients the region logs now that
 * the view's section did not (the access step marked the section's).
 */
static void mark_late_clients(const MemoryRegionSection *s, hwaddr offset,
                              uint64_t len)
{
    uint8_t late =
        (uint8_t)(memory_region_get_dirty_log_mask(s->mr) & ~s->dirty_log_mask);

    if (late && len && (s->access & SECTION_RAM) &&
        (s->access & SECTION_DIRECT_WRITE)) {
        ram_block_set_dirty_range(s->mr->priv.ram_block,
                                  s->offset_within_region + offset, len, late);
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

static MemTxResult section_load(GuestRegion *r, hwaddr offset, unsigned size,
                                bool big_endian, MemTxAttrs attrs,
                                bool target_big_endian, uint64_t *value)
{
    return memory_section_load(section_of(r), r->start + offset, size,
                               big_endian, attrs, NULL, target_big_endian,
                               value);
}

static MemTxResult section_store(GuestRegion *r, hwaddr offset, unsigned size,
                                 bool big_endian, MemTxAttrs attrs,
                                 bool target_big_endian, uint64_t value)
{
    MemTxResult res =
        memory_section_store(section_of(r), r->start + offset, size, value,
                             big_endian, attrs, NULL, target_big_endian);

    if (res == MEMTX_OK) {
        mark_late_clients(section_of(r), offset, size);
    }
    return res;
}

static void section_mark_dirty(GuestRegion *r, hwaddr offset, uint64_t len)
{
    MemoryRegionSection *s = section_of(r);

    /* the region's clients now, not the view's: a GuestMemory may hold
     * its view across memory_region_set_log() or a RAM snapshot */
    memory_region_mark_written(s->mr, s->offset_within_region + offset, len);
}

static const GuestRegionOps section_region_ops = {
    .read = section_read,
    .write = section_write,
    .load = section_load,
    .store = section_store,
    .mark_dirty = section_mark_dirty,
};

void flatview_section_init_guest_region(MemoryRegionSection *s)
{
    const uint8_t plain =
        SECTION_RAM | SECTION_DIRECT_READ | SECTION_DIRECT_WRITE;
    RAMBlock *rb = s->mr->priv.ram_block;

    s->guest_region = (GuestRegion){
        .ops = &section_region_ops,
        .start = s->offset_within_address_space,
        .last = s->last,
        .host = (s->access & plain) == plain ? s->host : NULL,
        .fd = rb && rb->fd >= 0 ? rb->fd : -1,
        .fd_offset =
            rb && rb->fd >= 0 ? rb->fd_offset + s->offset_within_region : 0,
    };
}

static GuestRegion *view_find_region(GuestMemory *mem, hwaddr addr)
{
    const MemoryRegionSection *s = flatview_lookup(view_of(mem), addr);

    /* the view owns its sections; the interface hands out mutable headers */
    return s ? (GuestRegion *)(uintptr_t)&s->guest_region : NULL;
}

static size_t view_num_regions(GuestMemory *mem)
{
    return view_of(mem)->nr;
}

static GuestRegion *view_region(GuestMemory *mem, size_t i)
{
    FlatView *fv = view_of(mem);

    return i < fv->nr ? &fv->sections[i].guest_region : NULL;
}

static void view_put(GuestMemory *mem)
{
    flatview_unref(view_of(mem));
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

void flatview_init_guest_memory(FlatView *fv)
{
    for (int big = 0; big < 2; big++) {
        fv->guest_memory[big] = (GuestMemory){
            .ops = &view_memory_ops,
            .big_endian = big,
        };
    }
}

ADDRSPACE_EXPORT GuestMemory *flatview_get_guest_memory(FlatView *fv,
                                                        bool big_endian)
{
    return flatview_ref(fv) ? &fv->guest_memory[big_endian] : NULL;
}

ADDRSPACE_EXPORT GuestMemory *guest_memory_from_address_space(AddressSpace *as)
{
    FlatView *fv = address_space_get_flatview(as);

    return &fv->guest_memory[address_space_is_big_endian(as)];
}
