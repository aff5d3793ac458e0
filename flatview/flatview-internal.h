/* SPDX-License-Identifier: MIT */
/* Internal interface of flatview/: the FlatView layout, render. */
#ifndef ADDRSPACE_FLATVIEW_INTERNAL_H
#define ADDRSPACE_FLATVIEW_INTERNAL_H

#include <addrspace/address-space.h>
#include <addrspace/flatview.h>

/* The struct of type @type whose member @member is at @ptr. */
#define container_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* MemoryRegionSection.access bits, fixed at render time. */
enum {
    SECTION_RAM = 1 << 0,          /* RAM, ROM, RAM device (QEMU is_ram) */
    SECTION_DIRECT_READ = 1 << 1,  /* reads copy from host memory */
    SECTION_DIRECT_WRITE = 1 << 2, /* writes copy to host memory */
    SECTION_IOMMU = 1 << 3,        /* accesses are translated first */
    /* bits 4-7: memory_region_ops_fast_sizes() of the region's ops: the
     * sizes whose aligned accesses need no dispatch planning */
    SECTION_FAST_SHIFT = 4,
};

struct FlatView {
    FlatViewIndex index; /* first: the inline fast path reads it */
    struct rcu_head rcu;
    int ref;
    MemoryRegion *root;
    size_t nr;
    MemoryRegionSection *sections; /* sorted by address */
    hwaddr *starts;                /* lookup index: first address of each */
    FlatViewEntry *entries;        /* fast-path facts of each section */
    /*
     * One reference per distinct owner of the root and the mapped regions,
     * taken at render. Reclamation drops them without touching the regions,
     * which an owner-less region's user may already have finalized.
     */
    MemoryOwner **owners;
    size_t nr_owners;
    /* the view as a GuestMemory, [0] little-endian target, [1] big */
    GuestMemory guest_memory[2];
};

/*
 * Render the tree under @root (may be NULL: empty view) into a new FlatView
 * with one reference. Caller holds the update lock.
 */
FlatView *flatview_render_locked(MemoryRegion *root);

/*
 * The region interface (section.c): set up @s->guest_region (after every
 * other field of @s is final) and @fv->guest_memory. Called by render.
 */
void flatview_section_init_guest_region(MemoryRegionSection *s);
void flatview_init_guest_memory(FlatView *fv);

/*
 * Access hooks (slow-ranges.c): make every section of @fv that overlaps
 * [@first, @last] take the out-of-line path of static/access-inline.h for
 * reads (@reads) and writes (@writes): its entry loses the direct flags of
 * those directions and the inline MMIO sizes. The sections themselves are
 * unchanged (the out-of-line path calls the hooks and then does what it
 * always does). Called on a view just rendered, before it is published;
 * caller holds the update lock.
 */
void flatview_slow_range_locked(FlatView *fv, hwaddr first, hwaddr last,
                                bool reads, bool writes);

#endif /* ADDRSPACE_FLATVIEW_INTERNAL_H */
