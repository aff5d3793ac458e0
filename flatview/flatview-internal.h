/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of flatview/ (render.c, chunk.c, update.c,
 * flatview.c): building sections, chunks and views. Not for memory/, which
 * includes view.h only.
 */
#ifndef ADDRSPACE_FLATVIEW_INTERNAL_H
#define ADDRSPACE_FLATVIEW_INTERNAL_H

#include "view.h"
#include "../memory/tree.h"

/* The struct of type @type whose member @member is at @ptr. */
#define container_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Sections under construction, merged as they are appended. */
typedef struct FlatSectionVec {
    FlatSection *v;
    size_t nr, cap;
} FlatSectionVec;

/*
 * Append @s to @vec, or extend the last section with it where QEMU's
 * flatview_simplify() would merge them (same region, contiguous in both
 * address space and region, same attributes).
 */
void flat_vec_push(FlatSectionVec *vec, const FlatSection *s);

/* @s cut to [@start, @last], a sub-range of it. */
FlatSection flat_section_clip(const FlatSection *s, hwaddr start, hwaddr last);

/*
 * render.c: append to @out the sections of @root's rendering that lie in
 * [@start, @end) (view addresses; @end <= 2^64), merged, in address order.
 * A window narrower than the whole space walks only the subregions that
 * meet it (the containers' address-ordered index). Update lock held.
 */
void flatview_render_window_locked(MemoryRegion *root, addrspace_u128 start,
                                   addrspace_u128 end,
                                   const GuestRegionOps *region_ops,
                                   FlatSectionVec *out);

/*
 * chunk.c: chunks, and the lineages that reclaim them.
 * flat_chunks_pack(): append to @out (FlatChunk *) the @n sections @s cut
 * into chunks of even size, each with references on its sections' owners.
 * A lineage is the sequence of views of one root in which each view is
 * made from the previous one and shares its untouched chunks; a full
 * render starts a new one. flat_lineage_new(): an empty lineage.
 * flat_lineage_is_newest(): whether @fv is the newest view of its lineage
 * (only that one may get a successor). flat_lineage_add(): give @fv the
 * lineage's next generation; the @nr_born chunks @born are born in it; the
 * @nr_retired chunks @retired of @prev (the view @fv was made from, or
 * NULL when there are none) die in it. flat_lineage_view_gone(): @fv is
 * being reclaimed (its RCU callback): frees the chunks no remaining view
 * of the lineage holds, and the lineage with its last view.
 */
void flat_chunks_pack(const FlatSection *s, size_t n, GPtrArray *out);
FlatLineage *flat_lineage_new(void);
bool flat_lineage_is_newest(const FlatView *fv);
void flat_lineage_add(FlatLineage *l, FlatView *fv, FlatView *prev,
                      FlatChunk *const *born, size_t nr_born,
                      FlatChunk *const *retired, size_t nr_retired);
void flat_lineage_view_gone(FlatView *fv);

/*
 * flatview.c: the chunks of a view under construction, in address order.
 * view_builder_share() takes chunks [@from, @to) of @old as they are,
 * without touching them (the slots and section counts come from @old's
 * index); view_builder_add() appends new chunks (FlatChunk *);
 * view_builder_retire() records that chunks [@from, @to) of @old are not
 * in the new view. view_builder_finish(): the view of @root, with one
 * reference, in lineage @l after @prev (NULL for a new lineage); frees the
 * builder's arrays.
 */
typedef struct ViewBuilder {
    FlatView *fv;       /* its slots follow it in the same allocation */
    size_t cap;         /* slots allocated */
    size_t nr;          /* sections so far */
    GPtrArray *born;    /* the new chunks */
    GPtrArray *retired; /* chunks of the previous view it drops */
} ViewBuilder;

void view_builder_init(ViewBuilder *b, size_t nr_chunks);
void view_builder_share(ViewBuilder *b, const FlatView *old, size_t from,
                        size_t to);
void view_builder_add(ViewBuilder *b, GPtrArray *chunks);
void view_builder_retire(ViewBuilder *b, const FlatView *old, size_t from,
                         size_t to);
FlatView *view_builder_finish(ViewBuilder *b, MemoryRegion *root,
                              FlatLineage *l, FlatView *prev);

/*
 * Access hooks (slow-ranges.c): set the FLAT_SECTION_HOOK_* bits of the
 * @n sections @v of a view of @root being built (before they are packed
 * into chunks) from the hooks on @root (memory_hook_ranges_locked()), and
 * clear them elsewhere. Caller holds the update lock.
 */
void flat_sections_mark_hooked_locked(MemoryRegion *root, FlatSection *v,
                                      size_t n);

#endif /* ADDRSPACE_FLATVIEW_INTERNAL_H */
