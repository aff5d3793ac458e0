/* SPDX-License-Identifier: MIT */
/**
 * @file flatview.h
 * @brief FlatViews: the flattened, immutable form of a region tree.
 *
 * A FlatView is a sorted sequence of non-overlapping sections plus a lookup
 * index, rendered from an effective root region at a transaction commit and
 * published to every AddressSpace that uses that root. It never changes
 * after publication. Its sections are kept in immutable chunks that
 * consecutive views of a root share wherever a commit changed nothing, so
 * a commit costs in proportion to what it changed.
 *
 * Lifetime: a FlatView obtained with address_space_to_flatview() is valid
 * until the enclosing read-side section ends; one obtained with
 * address_space_get_flatview() (or kept with flatview_ref()) is valid until
 * the matching flatview_unref(), on any thread. A FlatView holds references
 * on the owners of every region it maps (through the chunks it holds), so
 * those regions stay valid too. A chunk is freed, after a grace period,
 * once no view holding it is left.
 */
#ifndef ADDRSPACE_FLATVIEW_H
#define ADDRSPACE_FLATVIEW_H

#include <addrspace/guest-memory.h>
#include <addrspace/memory.h>

ADDRSPACE_BEGIN_DECLS

/** FlatView - an immutable rendered view (opaque; see above). */
typedef struct FlatView FlatView;
/** AddressSpace - see address-space.h. */
typedef struct AddressSpace AddressSpace;

/**
 * struct MemoryRegionSection - one contiguous range of a FlatView, mapped
 * to a contiguous range of one region (QEMU's MemoryRegionSection).
 *
 * A view stores its sections in its own form, shared with the views
 * rendered before and after it; a MemoryRegionSection is a copy of one,
 * built for the caller (flatview_lookup(), flatview_section(), listener
 * callbacks), naming the view it was taken from. It holds no references:
 * it is valid as long as that view (held by a reference, or by the
 * read-side section or the callback that produced it). To keep one longer,
 * copy it with memory_region_section_new_copy(), which takes references on
 * the region and the view, as in QEMU.
 */
typedef struct MemoryRegionSection {
    /** @size: bytes in the range (up to 2^64). */
    addrspace_u128 size;
    /** @mr: the region that answers accesses in the range. */
    MemoryRegion *mr;
    /** @fv: the FlatView the section was taken from. */
    FlatView *fv;
    /** @offset_within_region: offset in @mr of the range's first byte. */
    hwaddr offset_within_region;
    /** @offset_within_address_space: the range's first address. */
    hwaddr offset_within_address_space;
    /** @readonly: writes are refused (ROM, or read-only alias/container). */
    bool readonly;
    /** @nonvolatile: the range is non-volatile memory. */
    bool nonvolatile;
    /** @romd_mode: a ROM device that was in romd mode at render time. */
    bool romd_mode;
    /** @dirty_log_mask: dirty-logging clients enabled at render time. */
    uint8_t dirty_log_mask;
} MemoryRegionSection;

/**
 * memory_region_section_new_copy() - A heap copy of @s that keeps its
 * region and view alive (QEMU's memory_region_section_new_copy()).
 * @s: a section, e.g. the one a listener callback got.
 *
 * Takes a reference on @s->mr (its owner) and on @s->fv.
 * Context: any registered thread, while @s is valid.
 * Return: the copy; release it with memory_region_section_free_copy().
 */
MemoryRegionSection *
memory_region_section_new_copy(const MemoryRegionSection *s);

/**
 * memory_region_section_free_copy() - Release a copy made by
 * memory_region_section_new_copy() and its references.
 * @s: the copy, or NULL.
 */
void memory_region_section_free_copy(MemoryRegionSection *s);

/**
 * flatview_ref() - Try to take a reference on @fv.
 * @fv: a FlatView reached inside a read-side section.
 *
 * Fails on a view whose last reference is already gone (it is being
 * reclaimed); the caller then re-reads the current view.
 * Return: true when the reference was taken.
 */
bool flatview_ref(FlatView *fv);

/**
 * flatview_unref() - Drop a reference; the view (and its references on
 * region owners) is released after a grace period when it was the last.
 * @fv: the view.
 */
void flatview_unref(FlatView *fv);

/**
 * flatview_root() - The effective root region the view was rendered from.
 * @fv: the view.
 * Return: the root, or NULL for an empty view.
 */
MemoryRegion *flatview_root(const FlatView *fv);

/**
 * flatview_nr_sections() - Number of sections.
 * @fv: the view.
 * Return: the count.
 */
size_t flatview_nr_sections(const FlatView *fv);

/**
 * flatview_section() - The @i-th section in address order.
 * @fv: the view.
 * @i: index below flatview_nr_sections().
 * @section: filled with a copy of the section (no references taken).
 * Return: false, leaving @section untouched, when @i is out of range.
 */
bool flatview_section(FlatView *fv, size_t i, MemoryRegionSection *section);

/**
 * flatview_lookup() - The section containing @addr.
 * @fv: the view.
 * @addr: an address.
 * @section: filled with a copy of the section (no references taken).
 * Return: false, leaving @section untouched, when @addr is in a hole.
 */
bool flatview_lookup(FlatView *fv, hwaddr addr, MemoryRegionSection *section);

/**
 * FlatViewSectionCallback - callback of flatview_for_each_section().
 * @section: a copy of the section, valid during the call.
 * @opaque: the caller's pointer.
 * Return: true to stop the iteration.
 */
typedef bool (*FlatViewSectionCallback)(const MemoryRegionSection *section,
                                        void *opaque);

/**
 * flatview_for_each_section() - Call @cb for every section in address
 * order until it returns true.
 * @fv: the view.
 * @cb: the callback.
 * @opaque: passed to @cb.
 */
void flatview_for_each_section(FlatView *fv, FlatViewSectionCallback cb,
                               void *opaque);

/**
 * address_space_to_flatview() - The AddressSpace's current view.
 * @as: the address space.
 *
 * Context: inside a read-side section; the view is valid until it ends.
 * Return: the view (never NULL; an empty one, with a critical message,
 * for an AddressSpace that is not initialised: see struct AddressSpace).
 */
FlatView *address_space_to_flatview(AddressSpace *as);

/**
 * address_space_get_flatview() - The current view, with a reference.
 * @as: the address space.
 *
 * Context: any registered thread, outside or inside a read-side section.
 * Return: the view; release it with flatview_unref().
 */
FlatView *address_space_get_flatview(AddressSpace *as);

#include <addrspace/static/flatview-inline.h>
#include <addrspace/static/guest-memory-inline.h>

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_FLATVIEW_H */
