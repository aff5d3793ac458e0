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
 */
#include <string.h>

#include "flatview-internal.h"
#include "../memory/memory-internal.h"

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
} RenderCtx;

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
    for (MemoryRegion *c = mr->priv.sub_first; c; c = c->priv.sub_next) {
        render_region(ctx, c, base, start, end, readonly, nonvolatile);
    }
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

static bool section_can_merge(const MemoryRegionSection *a,
                              const MemoryRegionSection *b)
{
    /* QEMU's flatrange can_merge(): contiguous in both address space and
     * region, same region and attributes */
    return a->mr == b->mr &&
           (addrspace_u128)a->offset_within_address_space + a->size ==
               b->offset_within_address_space &&
           (addrspace_u128)a->offset_within_region + a->size ==
               b->offset_within_region &&
           a->readonly == b->readonly && a->nonvolatile == b->nonvolatile &&
           a->romd_mode == b->romd_mode &&
           a->dirty_log_mask == b->dirty_log_mask;
}

/* The sections of a view under construction. */
typedef struct SectionVec {
    MemoryRegionSection *v;
    size_t nr, cap;
} SectionVec;

static void emit(SectionVec *out, const Piece *p, addrspace_u128 from,
                 addrspace_u128 to)
{
    MemoryRegion *mr = p->mr;
    MemoryRegionSection s = {
        .size = to - from,
        .mr = mr,
        .offset_within_region =
            (hwaddr)(p->offset_in_region + (from - p->start)),
        .offset_within_address_space = (hwaddr)from,
        .readonly = p->readonly,
        .nonvolatile = p->nonvolatile,
        .romd_mode = mr->priv.kind == MR_KIND_ROM_DEVICE && mr->priv.romd_mode,
        .dirty_log_mask = mr->priv.dirty_log_mask,
    };

    if (out->nr && section_can_merge(&out->v[out->nr - 1], &s)) {
        out->v[out->nr - 1].size += s.size;
        return;
    }
    if (out->nr == out->cap) {
        out->cap = 2 * out->cap;
        out->v = g_renew(MemoryRegionSection, out->v, out->cap);
    }
    out->v[out->nr++] = s;
}

/*
 * The sections of @n pieces, in address order. Every section starts at a
 * piece's start or end, so there are fewer than 2 * @n.
 */
static SectionVec sweep(const Piece *pv, size_t n)
{
    SectionVec out = {g_new(MemoryRegionSection, n + 1), 0, n + 1};
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
        emit(&out, heap.v[0], pos, next);
        pos = next;
    }
    return out;
}

/* QEMU's memory_access_is_direct(), decided once per view. */
static uint8_t section_access(const MemoryRegionSection *s)
{
    const MemoryRegion *mr = s->mr;
    bool ram = mr->priv.kind == MR_KIND_RAM || mr->priv.kind == MR_KIND_ROM;
    uint8_t access = 0;

    if (ram) {
        access |= SECTION_RAM | SECTION_DIRECT_READ;
        if (!mr->priv.readonly) {
            access |= SECTION_DIRECT_WRITE;
        }
    } else if (mr->priv.kind == MR_KIND_IOMMU) {
        access |= SECTION_IOMMU;
    } else {
        if (s->romd_mode) {
            access |= SECTION_DIRECT_READ;
        }
        /* what goes to the ops: the sizes that need no dispatch planning */
        access |= (uint8_t)(mr->priv.fast_sizes << SECTION_FAST_SHIFT);
    }
    return access;
}

static void finish_section(MemoryRegionSection *s, FlatView *fv)
{
    MemoryRegion *mr = s->mr;

    s->access = section_access(s);
    s->fv = fv;
    s->last = (hwaddr)(s->offset_within_address_space + s->size - 1);
    s->host = mr->priv.ram_block
                  ? mr->priv.ram_block->host + s->offset_within_region
                  : NULL;
    flatview_section_init_guest_region(s);
}

/*
 * The inline fast path's view of a section: host deltas for direct reads
 * and writes. A RAM section with dirty logging takes the out-of-line path
 * for writes, which marks the pages.
 */
static FlatViewEntry section_entry(const MemoryRegionSection *s)
{
    uintptr_t delta =
        (uintptr_t)s->host - (uintptr_t)s->offset_within_address_space;
    FlatViewEntry e = {.last = s->last};

    if (s->access & SECTION_DIRECT_READ) {
        e.rdelta = delta;
        e.flags |= FLATVIEW_ENTRY_READ;
    }
    if ((s->access & SECTION_DIRECT_WRITE) && !s->dirty_log_mask) {
        e.wdelta = delta;
        e.flags |= FLATVIEW_ENTRY_WRITE;
    }
    /* the region offset delta must fit the entry: 64-bit hosts only */
    if (UINTPTR_MAX >= UINT64_MAX &&
        !(s->access & (SECTION_RAM | SECTION_DIRECT_READ | SECTION_IOMMU))) {
        /* MMIO (not romd): the sizes the inline path serves, and how */
        unsigned fast = s->mr->priv.fast_sizes;

        if (fast) {
            e.rdelta = (uintptr_t)s->mr;
            e.wdelta = (uintptr_t)s->offset_within_region -
                       (uintptr_t)s->offset_within_address_space;
            e.flags |= (uintptr_t)fast << FLATVIEW_ENTRY_MMIO_SHIFT |
                       (uintptr_t)s->mr->priv.piece_size
                           << FLATVIEW_ENTRY_PIECE_SHIFT;
        }
    }
    return e;
}

/* Take one reference on each distinct owner the view maps (and the root's). */
static void flatview_take_owner_refs(FlatView *fv, MemoryRegion *root)
{
    GHashTable *seen = g_hash_table_new(NULL, NULL);
    GPtrArray *owners = g_ptr_array_new();
    MemoryOwner *last = NULL;

    for (size_t k = 0; k <= fv->nr; k++) {
        MemoryRegion *mr = k < fv->nr ? fv->sections[k].mr : root;
        MemoryOwner *o = mr ? mr->priv.owner : NULL;

        /* consecutive sections mostly share an owner: skip the hash */
        if (!o || o == last || !g_hash_table_add(seen, o)) {
            continue;
        }
        last = o;
        memory_owner_ref(o);
        g_ptr_array_add(owners, o);
    }
    g_hash_table_destroy(seen);
    fv->nr_owners = owners->len;
    fv->owners = (MemoryOwner **)g_ptr_array_free(owners, false);
}

FlatView *flatview_render_locked(MemoryRegion *root)
{
    FlatView *fv = g_new0(FlatView, 1);
    RenderCtx ctx = {scratch.pieces, 0, scratch.pieces_cap, 0};
    SectionVec out;

    fv->ref = 1;
    fv->root = root;
    if (root) {
        render_region(&ctx, root, 0, 0, (addrspace_s128)SIZE_2_64, false,
                      false);
    }
    out = sweep(ctx.pieces, ctx.nr);
    scratch.pieces_cap = ctx.cap;
    scratch.pieces = scratch_trim(ctx.pieces, &scratch.pieces_cap);
    scratch.keys = scratch_trim(scratch.keys, &scratch.keys_cap);
    scratch.heap = scratch_trim(scratch.heap, &scratch.heap_cap);
    if (out.nr + 64 < out.cap / 2) {
        out.v = g_renew(MemoryRegionSection, out.v, out.nr + 1);
    }
    fv->nr = out.nr;
    fv->sections = out.v;
    fv->starts = g_new(hwaddr, fv->nr ? fv->nr : 1);
    fv->entries = g_new(FlatViewEntry, fv->nr ? fv->nr : 1);
    for (size_t k = 0; k < fv->nr; k++) {
        finish_section(&fv->sections[k], fv);
        fv->starts[k] = fv->sections[k].offset_within_address_space;
        fv->entries[k] = section_entry(&fv->sections[k]);
    }
    fv->index.nr = fv->nr;
    fv->index.starts = fv->starts;
    fv->index.entries = fv->entries;
    flatview_take_owner_refs(fv, root);
    flatview_init_guest_memory(fv);
    return fv;
}
