/* SPDX-License-Identifier: MIT */
/*
 * Rendering a region tree into a FlatView, with QEMU's semantics
 * (render_memory_region + flatview_simplify) but in O(n log n):
 *
 * 1. Walk the tree in QEMU's render order (priority order, subregions
 *    before the terminating region itself, aliases through their window)
 *    and emit one "piece" per terminating region reached: its range clipped
 *    by every ancestor, with a rank that increases in walk order.
 * 2. QEMU inserts each piece only into the gaps left by earlier ones, so
 *    every address belongs to the lowest-ranked piece covering it. A sweep
 *    over the pieces sorted by start, with a min-heap of active pieces by
 *    rank, computes that directly.
 * 3. Adjacent ranges of the same region with contiguous offsets and equal
 *    attributes merge (QEMU's flatview_simplify).
 *
 * Where the walk is clipped to less than a wide container's range (a
 * window of the address space, an alias window, a parent's end), it visits
 * only the subregions that meet the clip, through the container's
 * address-ordered index (memory/child-index.c), in render order.
 */
#include <string.h>

#include "flatview-internal.h"

typedef struct Piece {
    addrspace_u128 start;            /* first address */
    addrspace_u128 end;              /* one past the last address (<= 2^64) */
    addrspace_u128 offset_in_region; /* at start */
    MemoryRegion *mr;
    uint32_t rank;
    bool readonly;
    bool nonvolatile;
} Piece;

typedef struct RenderCtx {
    Piece *pieces;
    size_t nr, cap;
    uint32_t next_rank;
    GPtrArray *children; /* a stack of index query results */
} RenderCtx;

/* Containers with more subregions than this walk their index in windows. */
#define RENDER_INDEX_MIN 16

/*
 * Scratch arrays kept between renders (under the update lock): a commit on
 * a big map would otherwise allocate, fault in and free megabytes of them
 * each time. Capacities above RENDER_SCRATCH_KEEP elements are given back
 * after the render, so a huge one-off map does not pin its scratch.
 */
#define RENDER_SCRATCH_KEEP 32768
typedef struct PieceKey PieceKey;
static struct {
    Piece *pieces;
    size_t pieces_cap;
    PieceKey *keys;
    size_t keys_cap;
    const Piece **heap;
    size_t heap_cap;
} scratch;

/* Grow *@v (elements of @size bytes, capacity *@cap) to hold @n. */
static void *scratch_reserve(void *v, size_t *cap, size_t n, size_t size)
{
    if (n > *cap) {
        g_free(v);
        *cap = n;
        v = g_malloc_n(n, size);
    }
    return v;
}

/* @v, or NULL (and *@cap 0) if it is too big to keep. */
static void *scratch_trim(void *v, size_t *cap)
{
    if (*cap > RENDER_SCRATCH_KEEP) {
        g_free(v);
        *cap = 0;
        return NULL;
    }
    return v;
}

static Piece *new_piece(RenderCtx *ctx)
{
    if (ctx->nr == ctx->cap) {
        ctx->cap = ctx->cap ? 2 * ctx->cap : 64;
        ctx->pieces = g_renew(Piece, ctx->pieces, ctx->cap);
    }
    return &ctx->pieces[ctx->nr++];
}

static void render_region(RenderCtx *ctx, MemoryRegion *mr, addrspace_s128 base,
                          addrspace_s128 clip_start, addrspace_s128 clip_end,
                          bool readonly, bool nonvolatile);

/*
 * The subregions of @mr (at @base) in render order, clipped to [@start,
 * @end) (inside @mr's range). A window narrower than a wide container
 * visits only the subregions that meet it.
 */
static void render_children(RenderCtx *ctx, MemoryRegion *mr,
                            addrspace_s128 base, addrspace_s128 start,
                            addrspace_s128 end, bool readonly, bool nonvolatile)
{
    size_t from, n;

    if (mr->priv.nr_subregions <= RENDER_INDEX_MIN ||
        (start == base && end == base + (addrspace_s128)mr->priv.size)) {
        for (MemoryRegion *c = mr->priv.sub_first; c; c = c->priv.sub_next) {
            render_region(ctx, c, base, start, end, readonly, nonvolatile);
        }
        return;
    }
    from = ctx->children->len;
    n = memory_region_children_in_locked(mr, (addrspace_u128)(start - base),
                                         (addrspace_u128)(end - base),
                                         ctx->children);
    for (size_t i = 0; i < n; i++) {
        /* by position: the recursion may grow (move) the array */
        render_region(ctx, ctx->children->pdata[from + i], base, start, end,
                      readonly, nonvolatile);
    }
    g_ptr_array_set_size(ctx->children, from);
}

static void render_region(RenderCtx *ctx, MemoryRegion *mr, addrspace_s128 base,
                          addrspace_s128 clip_start, addrspace_s128 clip_end,
                          bool readonly, bool nonvolatile)
{
    addrspace_s128 start, end;

    if (!mr->priv.enabled) {
        return;
    }
    base += mr->priv.addr;
    readonly |= mr->priv.readonly;
    nonvolatile |= mr->priv.nonvolatile;
    start = base > clip_start ? base : clip_start;
    end = base + (addrspace_s128)mr->priv.size;
    end = end < clip_end ? end : clip_end;
    if (start >= end) {
        return;
    }
    if (mr->priv.kind == MR_KIND_ALIAS) {
        MemoryRegion *target = mr->priv.alias;

        if (target) {
            /* the target's offset 0 sits at base - alias_offset; its own
             * address in its parent does not count (QEMU subtracts it) */
            base -= target->priv.addr;
            base -= mr->priv.alias_offset;
            render_region(ctx, target, base, start, end, readonly, nonvolatile);
        }
        return;
    }
    render_children(ctx, mr, base, start, end, readonly, nonvolatile);
    if (!mr->priv.terminates) {
        return;
    }
    *new_piece(ctx) = (Piece){
        .start = (addrspace_u128)start,
        .end = (addrspace_u128)end,
        .offset_in_region = (addrspace_u128)(start - base),
        .mr = mr,
        .rank = ctx->next_rank++,
        .readonly = readonly,
        .nonvolatile = nonvolatile,
    };
}

/*
 * Sort key of a piece: its start (below 2^64: a piece is never empty and
 * ends at 2^64 at most) and its rank, which breaks ties.
 */
struct PieceKey {
    hwaddr start;
    uint32_t rank;
    uint32_t idx;
};

static int key_cmp(const void *a, const void *b)
{
    const PieceKey *ka = a, *kb = b;

    if (ka->start != kb->start) {
        return ka->start < kb->start ? -1 : 1;
    }
    return ka->rank < kb->rank ? -1 : ka->rank > kb->rank;
}

/*
 * The pieces' keys in sweep order. Walk order is often already sorted by
 * address, or reversed (QEMU puts a container's newest subregion of a
 * priority first, so a map built by ascending adds walks descending): both
 * are detected in one pass, anything else is sorted.
 */
static PieceKey *sorted_keys(const Piece *pv, size_t n)
{
    PieceKey *keys;
    bool ascending = true, descending = true;

    scratch.keys = scratch_reserve(scratch.keys, &scratch.keys_cap, n + 1,
                                   sizeof(PieceKey));
    keys = scratch.keys;

    for (size_t i = 0; i < n; i++) {
        keys[i] = (PieceKey){(hwaddr)pv[i].start, pv[i].rank, (uint32_t)i};
        if (i) {
            int c = key_cmp(&keys[i - 1], &keys[i]);

            ascending &= c < 0;
            descending &= c > 0;
        }
    }
    if (descending && !ascending) {
        for (size_t i = 0, j = n - 1; i < j; i++, j--) {
            PieceKey t = keys[i];

            keys[i] = keys[j];
            keys[j] = t;
        }
    } else if (!ascending) {
        qsort(keys, n, sizeof(*keys), key_cmp);
    }
    return keys;
}

/* A binary min-heap of piece indices ordered by rank. */
typedef struct Heap {
    const Piece **v;
    size_t n;
} Heap;

static void heap_push(Heap *h, const Piece *p)
{
    size_t i = h->n++;

    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (h->v[parent]->rank <= p->rank) {
            break;
        }
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = p;
}

static void heap_pop(Heap *h)
{
    const Piece *last = h->v[--h->n];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= h->n) {
            break;
        }
        if (c + 1 < h->n && h->v[c + 1]->rank < h->v[c]->rank) {
            c++;
        }
        if (last->rank <= h->v[c]->rank) {
            break;
        }
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) {
        h->v[i] = last;
    }
}

/* The FLAT_SECTION_* bits of a range of @mr (QEMU's
 * memory_access_is_direct(), decided once per section). */
static uint32_t section_flags(const MemoryRegion *mr, bool readonly,
                              bool nonvolatile)
{
    bool romd = mr->priv.kind == MR_KIND_ROM_DEVICE && mr->priv.romd_mode;
    uint32_t f = (uint32_t)mr->priv.dirty_log_mask << FLAT_SECTION_LOG_SHIFT;

    f |= (readonly ? FLAT_SECTION_READONLY : 0) |
         (nonvolatile ? FLAT_SECTION_NONVOLATILE : 0) |
         (romd ? FLAT_SECTION_ROMD : 0);
    if (mr->priv.kind == MR_KIND_RAM || mr->priv.kind == MR_KIND_ROM) {
        f |= FLAT_SECTION_RAM | FLAT_SECTION_DIRECT_READ;
        if (!mr->priv.readonly) {
            f |= FLAT_SECTION_HOST;
        }
    } else if (mr->priv.kind == MR_KIND_IOMMU) {
        f |= FLAT_SECTION_IOMMU;
    } else if (romd) {
        f |= FLAT_SECTION_DIRECT_READ;
    } else {
        if (mr->priv.ram_device) {
            f |= FLAT_SECTION_RAM; /* RAM, but reached through its ops */
        }
        /* what goes to the ops: the sizes that need no dispatch planning */
        f |= (uint32_t)mr->priv.fast_sizes << FLAT_SECTION_FAST_SHIFT |
             (uint32_t)mr->priv.piece_size << FLAT_SECTION_PIECE_SHIFT;
    }
    return f;
}

/* The section of piece @p's range [@from, @to). */
static FlatSection section_make(const Piece *p, addrspace_u128 from,
                                addrspace_u128 to,
                                const GuestRegionOps *region_ops)
{
    MemoryRegion *mr = p->mr;
    const RAMBlock *rb = mr->priv.ram_block;
    hwaddr offset = (hwaddr)(p->offset_in_region + (from - p->start));
    uint32_t flags = section_flags(mr, p->readonly, p->nonvolatile);
    bool fd = rb && rb->fd >= 0;

    return (FlatSection){
        .region =
            {
                .start = (hwaddr)from,
                .last = (hwaddr)(to - 1),
                .host = (flags & FLAT_SECTION_HOST) ? rb->host + offset : NULL,
                .ops = region_ops,
                .fd_offset = fd ? rb->fd_offset + offset : 0,
                .fd = fd ? rb->fd : -1,
                .impl_flags = flags,
            },
        .mr = mr,
        .offset = offset,
    };
}

/*
 * Append the sections of @n pieces to @out, in address order. Every
 * section starts at a piece's start or end, so there are fewer than 2 * @n.
 */
static void sweep(const Piece *pv, size_t n, const GuestRegionOps *region_ops,
                  FlatSectionVec *out)
{
    size_t i = 0;
    Heap heap = {NULL, 0};
    PieceKey *keys = sorted_keys(pv, n);
    addrspace_u128 pos = 0;

    scratch.heap = scratch_reserve(scratch.heap, &scratch.heap_cap, n + 1,
                                   sizeof(const Piece *));
    heap.v = scratch.heap;

    while (i < n || heap.n) {
        if (!heap.n && pos < keys[i].start) {
            pos = keys[i].start;
        }
        while (i < n && keys[i].start <= pos) {
            heap_push(&heap, &pv[keys[i++].idx]);
        }
        while (heap.n && heap.v[0]->end <= pos) {
            heap_pop(&heap);
        }
        if (!heap.n) {
            continue;
        }
        addrspace_u128 next = heap.v[0]->end;
        if (i < n && keys[i].start < next) {
            next = keys[i].start;
        }
        FlatSection s = section_make(heap.v[0], pos, next, region_ops);
        flat_vec_push(out, &s);
        pos = next;
    }
}

void flatview_render_window_locked(MemoryRegion *root, addrspace_u128 start,
                                   addrspace_u128 end,
                                   const GuestRegionOps *region_ops,
                                   FlatSectionVec *out)
{
    RenderCtx ctx = {scratch.pieces, 0, scratch.pieces_cap, 0,
                     g_ptr_array_new()};

    if (root) {
        render_region(&ctx, root, 0, (addrspace_s128)start, (addrspace_s128)end,
                      false, false);
    }
    sweep(ctx.pieces, ctx.nr, region_ops, out);
    g_ptr_array_free(ctx.children, true);
    scratch.pieces_cap = ctx.cap;
    scratch.pieces = scratch_trim(ctx.pieces, &scratch.pieces_cap);
    scratch.keys = scratch_trim(scratch.keys, &scratch.keys_cap);
    scratch.heap = scratch_trim(scratch.heap, &scratch.heap_cap);
}

FlatView *flatview_render_locked(MemoryRegion *root,
                                 const GuestRegionOps *region_ops)
{
    FlatSectionVec vec = {NULL, 0, 0};
    GPtrArray *chunks = g_ptr_array_new();
    ViewBuilder b;

    flatview_render_window_locked(root, 0, SIZE_2_64, region_ops, &vec);
    flat_sections_mark_hooked_locked(root, vec.v, vec.nr);
    flat_chunks_pack(vec.v, vec.nr, chunks);
    g_free(vec.v);
    view_builder_init(&b, chunks->len);
    view_builder_add(&b, chunks);
    g_ptr_array_free(chunks, true);
    /* nothing shared with an earlier view: a new lineage */
    return view_builder_finish(&b, root, flat_lineage_new(), NULL);
}
