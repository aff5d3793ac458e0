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
    GArray *pieces;
    uint32_t next_rank;
} RenderCtx;

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
    Piece p = {
        .start = (addrspace_u128)start,
        .end = (addrspace_u128)end,
        .offset_in_region = (addrspace_u128)(start - base),
        .mr = mr,
        .rank = ctx->next_rank++,
        .readonly = readonly,
        .nonvolatile = nonvolatile,
    };
    g_array_append_val(ctx->pieces, p);
}

static gint piece_cmp_start(gconstpointer a, gconstpointer b)
{
    const Piece *pa = a, *pb = b;

    if (pa->start != pb->start) {
        return pa->start < pb->start ? -1 : 1;
    }
    return pa->rank < pb->rank ? -1 : pa->rank > pb->rank;
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

static void emit(GArray *out, const Piece *p, addrspace_u128 from,
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

    if (out->len) {
        MemoryRegionSection *prev =
            &g_array_index(out, MemoryRegionSection, out->len - 1);

        if (section_can_merge(prev, &s)) {
            prev->size += s.size;
            return;
        }
    }
    g_array_append_val(out, s);
}

static GArray *sweep(GArray *pieces)
{
    GArray *out = g_array_new(false, false, sizeof(MemoryRegionSection));
    Heap heap = {g_new(const Piece *, pieces->len ? pieces->len : 1), 0};
    const Piece *pv = (const Piece *)(void *)pieces->data;
    size_t n = pieces->len, i = 0;
    addrspace_u128 pos = 0;

    g_array_sort(pieces, piece_cmp_start);
    while (i < n || heap.n) {
        if (!heap.n && pos < pv[i].start) {
            pos = pv[i].start;
        }
        while (i < n && pv[i].start <= pos) {
            heap_push(&heap, &pv[i++]);
        }
        while (heap.n && heap.v[0]->end <= pos) {
            heap_pop(&heap);
        }
        if (!heap.n) {
            continue;
        }
        addrspace_u128 next = heap.v[0]->end;
        if (i < n && pv[i].start < next) {
            next = pv[i].start;
        }
        emit(out, heap.v[0], pos, next);
        pos = next;
    }
    g_free(heap.v);
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
    } else if (s->romd_mode) {
        access |= SECTION_DIRECT_READ;
    } else if (mr->priv.kind == MR_KIND_IOMMU) {
        access |= SECTION_IOMMU;
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
    RenderCtx ctx = {g_array_new(false, false, sizeof(Piece)), 0};
    GArray *out;

    fv->ref = 1;
    fv->root = root;
    if (root) {
        render_region(&ctx, root, 0, 0, (addrspace_s128)SIZE_2_64, false,
                      false);
    }
    out = sweep(ctx.pieces);
    g_array_free(ctx.pieces, true);
    fv->nr = out->len;
    fv->sections = (MemoryRegionSection *)(void *)g_array_free(out, false);
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
