/* SPDX-License-Identifier: MIT */
/*
 * The view layer as memory/ uses it: the one header of flatview/ that
 * memory/ sources include (the other direction is memory/tree.h). It gives the
 * FlatView's layout, the render entry points (full and incremental), the
 * lookup and iteration over a view's sections, and the public section form
 * built from the stored one. Nothing here calls into memory/.
 */
#ifndef ADDRSPACE_FLATVIEW_VIEW_H
#define ADDRSPACE_FLATVIEW_VIEW_H

#include <addrspace/address-space.h>

/* The views of one root that share chunks (flatview/chunk.c). */
typedef struct FlatLineage FlatLineage;

/*
 * A FlatView: the index of its chunks (flatview-inline.h) and what the
 * library keeps beside it. Immutable once published.
 */
struct FlatView {
    struct rcu_head rcu;
    int ref;
    FlatLineage *lineage;
    uint64_t gen;       /* its place in the lineage */
    GPtrArray *last_of; /* dead chunks it is the newest holder of */
    MemoryRegion *root;
    hwaddr root_addr;         /* root->priv.addr at render: the view's base */
    addrspace_u128 root_size; /* root->priv.size at render */
    MemoryOwner *root_owner;  /* one reference, or NULL */
    size_t nr;                /* sections */
    size_t *chunk_first;      /* [nr_chunks + 1]: first section of each */
    FlatViewIndex index; /* last: its slots follow; AddressSpaces publish it */
};

/* The view whose index is @ix. */
static inline FlatView *flatview_of_index(const FlatViewIndex *ix)
{
    return (FlatView *)(void *)((char *)(uintptr_t)ix -
                                __builtin_offsetof(FlatView, index));
}

/* The slots of @fv. */
static inline const FlatViewSlot *flatview_slots(const FlatView *fv)
{
    return flatview_index_slots(&fv->index);
}

/* A range [start, end) of a root region's own addresses (end <= 2^64). */
typedef struct FlatWindow {
    addrspace_u128 start;
    addrspace_u128 end;
} FlatWindow;

/*
 * Render the tree under @root (NULL: an empty view) into a new FlatView
 * with one reference. @region_ops: the region interface of the sections
 * (their GuestRegion.ops; memory/guest-view.c). Caller holds the update
 * lock.
 */
FlatView *flatview_render_locked(MemoryRegion *root,
                                 const GuestRegionOps *region_ops);

/*
 * The view of @old's root after a change confined to @nr windows @w (in
 * the root's own addresses, any order, may overlap): a new FlatView with
 * one reference that shares every chunk of @old that the windows do not
 * touch, re-rendering only the windows. Equal, section for section, to
 * flatview_render_locked() of the root. Caller holds the update lock.
 */
FlatView *flatview_update_locked(FlatView *old, const FlatWindow *w, size_t nr,
                                 const GuestRegionOps *region_ops);

/* The section holding @addr, or NULL. Context: holding @fv. */
static inline const FlatSection *flatview_find(const FlatView *fv, hwaddr addr)
{
    return flatview_index_find(&fv->index, addr);
}

/* The @i-th section of @fv in address order, or NULL past the end. */
const FlatSection *flatview_nth(const FlatView *fv, size_t i);

/*
 * Fill @out (the public form) from section @s of view @fv. No references
 * are taken.
 */
void flat_section_describe(const FlatSection *s, FlatView *fv,
                           MemoryRegionSection *out);

/* A position in a view's sections, for walks in address order. */
typedef struct FlatViewIter {
    const FlatView *fv;
    size_t chunk;
    uint32_t i;
} FlatViewIter;

static inline void flatview_iter_init(FlatViewIter *it, const FlatView *fv)
{
    *it = (FlatViewIter){fv, 0, 0};
}

/* The section at @it, or NULL past the end. */
static inline const FlatSection *flatview_iter_get(const FlatViewIter *it)
{
    if (it->chunk >= it->fv->index.nr_chunks) {
        return NULL;
    }
    return &flatview_slots(it->fv)[it->chunk].chunk->sections[it->i];
}

static inline void flatview_iter_next(FlatViewIter *it)
{
    if (++it->i == flatview_slots(it->fv)[it->chunk].chunk->nr) {
        it->chunk++;
        it->i = 0;
    }
}

/*
 * The chunk @it is at the start of, or NULL when it is inside one (or past
 * the end): two iterators at the start of the same chunk walk equal
 * sections until its end.
 */
static inline const FlatChunk *flatview_iter_chunk(const FlatViewIter *it)
{
    if (it->i || it->chunk >= it->fv->index.nr_chunks) {
        return NULL;
    }
    return flatview_slots(it->fv)[it->chunk].chunk;
}

/* Move @it, at the start of a chunk, to the start of the next one. */
static inline void flatview_iter_skip_chunk(FlatViewIter *it)
{
    it->chunk++;
}

#endif /* ADDRSPACE_FLATVIEW_VIEW_H */
