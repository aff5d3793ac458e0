/* SPDX-License-Identifier: MIT */
/*
 * Test helpers over flatview_lookup() and flatview_section(), which fill a
 * caller's MemoryRegionSection: these return a pointer to a copy kept in a
 * small per-thread ring (valid for the next SECTION_COPY_RING - 1 calls on
 * the thread), or NULL, so that assertions can use them inline. Sections
 * are copies: compare them with section_copy_equal(), not with ==.
 */
#ifndef TESTS_SECTION_COPY_H
#define TESTS_SECTION_COPY_H

#include <addrspace/addrspace.h>

#define SECTION_COPY_RING 16

static inline MemoryRegionSection *section_copy_slot(void)
{
    static _Thread_local MemoryRegionSection ring[SECTION_COPY_RING];
    static _Thread_local unsigned next;

    return &ring[next++ % SECTION_COPY_RING];
}

/* The section of @fv holding @addr, or NULL for a hole. */
static inline const MemoryRegionSection *view_lookup(FlatView *fv, hwaddr addr)
{
    MemoryRegionSection *s = section_copy_slot();

    return flatview_lookup(fv, addr, s) ? s : NULL;
}

/* The @i-th section of @fv, or NULL past the end. */
static inline const MemoryRegionSection *view_section(FlatView *fv, size_t i)
{
    MemoryRegionSection *s = section_copy_slot();

    return flatview_section(fv, i, s) ? s : NULL;
}

/* Whether @a and @b describe the same section of the same view. */
static inline bool section_copy_equal(const MemoryRegionSection *a,
                                      const MemoryRegionSection *b)
{
    return a && b && a->size == b->size && a->mr == b->mr && a->fv == b->fv &&
           a->offset_within_region == b->offset_within_region &&
           a->offset_within_address_space == b->offset_within_address_space &&
           a->readonly == b->readonly && a->nonvolatile == b->nonvolatile &&
           a->romd_mode == b->romd_mode &&
           a->dirty_log_mask == b->dirty_log_mask;
}

#endif /* TESTS_SECTION_COPY_H */
