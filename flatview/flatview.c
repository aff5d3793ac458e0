/* SPDX-License-Identifier: MIT */
/* FlatView lifetime (references, RCU reclamation), lookup and sections. */
#include <stddef.h>
#include <string.h>

#include "flatview-internal.h"

static FlatViewSlot *builder_slots(ViewBuilder *b)
{
    return (FlatViewSlot *)(uintptr_t)flatview_slots(b->fv);
}

/* Bytes of a view with @cap slots (they follow its index). */
static size_t view_bytes(size_t cap)
{
    return offsetof(FlatView, index) + sizeof(FlatViewIndex) +
           cap * sizeof(FlatViewSlot);
}

/* Room for @more chunks. */
static void builder_reserve(ViewBuilder *b, size_t more)
{
    size_t n = b->fv->index.nr_chunks;

    if (n + more > b->cap) {
        b->cap = MAX(2 * b->cap, n + more);
        b->fv = g_realloc(b->fv, view_bytes(b->cap));
        b->fv->chunk_first = g_renew(size_t, b->fv->chunk_first, b->cap + 1);
    }
}

void view_builder_init(ViewBuilder *b, size_t nr_chunks)
{
    b->cap = nr_chunks + 4;
    b->fv = g_malloc(view_bytes(b->cap));
    memset(b->fv, 0, offsetof(FlatView, index) + sizeof(FlatViewIndex));
    b->fv->chunk_first = g_new(size_t, b->cap + 1);
    b->nr = 0;
    b->born = g_ptr_array_new();
    b->retired = g_ptr_array_new();
}

void view_builder_share(ViewBuilder *b, const FlatView *old, size_t from,
                        size_t to)
{
    size_t n = b->fv->index.nr_chunks, shift = b->nr - old->chunk_first[from];
    size_t *first;

    /* from the old index alone: a commit does not read shared chunks */
    builder_reserve(b, to - from);
    first = b->fv->chunk_first + n;
    memcpy(builder_slots(b) + n, flatview_slots(old) + from,
           (to - from) * sizeof(FlatViewSlot));
    for (size_t i = from; i < to; i++) {
        *first++ = old->chunk_first[i] + shift;
    }
    b->fv->index.nr_chunks = n + (to - from);
    b->nr += old->chunk_first[to] - old->chunk_first[from];
}

void view_builder_add(ViewBuilder *b, GPtrArray *chunks)
{
    builder_reserve(b, chunks->len);
    for (guint i = 0; i < chunks->len; i++) {
        FlatChunk *c = chunks->pdata[i];
        size_t n = b->fv->index.nr_chunks++;

        builder_slots(b)[n] = (FlatViewSlot){c->starts[0], c};
        b->fv->chunk_first[n] = b->nr;
        g_ptr_array_add(b->born, c);
        b->nr += c->nr;
    }
}

void view_builder_retire(ViewBuilder *b, const FlatView *old, size_t from,
                         size_t to)
{
    for (size_t i = from; i < to; i++) {
        g_ptr_array_add(b->retired,
                        (void *)(uintptr_t)flatview_slots(old)[i].chunk);
    }
}

FlatView *view_builder_finish(ViewBuilder *b, MemoryRegion *root,
                              FlatLineage *l, FlatView *prev)
{
    FlatView *fv = b->fv;

    fv->chunk_first[fv->index.nr_chunks] = b->nr;
    fv->ref = 1;
    fv->root = root;
    fv->nr = b->nr;
    fv->root_addr = root ? root->priv.addr : 0;
    fv->root_size = root ? root->priv.size : 0;
    fv->root_owner = root ? root->priv.owner : NULL;
    if (fv->root_owner) {
        memory_owner_ref(fv->root_owner);
    }
    flat_lineage_add(l, fv, prev, (FlatChunk *const *)b->born->pdata,
                     b->born->len, (FlatChunk *const *)b->retired->pdata,
                     b->retired->len);
    g_ptr_array_free(b->born, true);
    g_ptr_array_free(b->retired, true);
    return fv;
}

static void flatview_destroy(struct rcu_head *head)
{
    FlatView *fv = container_of(head, FlatView, rcu);

    flat_lineage_view_gone(fv);
    if (fv->root_owner) {
        memory_owner_unref(fv->root_owner);
    }
    g_free(fv->chunk_first);
    g_free(fv);
}

ADDRSPACE_EXPORT bool flatview_ref(FlatView *fv)
{
    int old = __atomic_load_n(&fv->ref, __ATOMIC_RELAXED);

    /* a view whose count reached zero is already queued for reclamation */
    do {
        if (old == 0) {
            return false;
        }
    } while (!__atomic_compare_exchange_n(&fv->ref, &old, old + 1, true,
                                          __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
    return true;
}

ADDRSPACE_EXPORT void flatview_unref(FlatView *fv)
{
    if (__atomic_sub_fetch(&fv->ref, 1, __ATOMIC_ACQ_REL) == 0) {
        /* readers inside a read-side section may still use it */
        call_rcu1(&fv->rcu, flatview_destroy);
    }
}

ADDRSPACE_EXPORT MemoryRegion *flatview_root(const FlatView *fv)
{
    return fv->root;
}

ADDRSPACE_EXPORT size_t flatview_nr_sections(const FlatView *fv)
{
    return fv->nr;
}

void flat_section_describe(const FlatSection *s, FlatView *fv,
                           MemoryRegionSection *out)
{
    *out = (MemoryRegionSection){
        .size = (addrspace_u128)(s->region.last - s->region.start) + 1,
        .mr = s->mr,
        .fv = fv,
        .offset_within_region = s->offset,
        .offset_within_address_space = s->region.start,
        .readonly = (s->region.impl_flags & FLAT_SECTION_READONLY) != 0,
        .nonvolatile = (s->region.impl_flags & FLAT_SECTION_NONVOLATILE) != 0,
        .romd_mode = (s->region.impl_flags & FLAT_SECTION_ROMD) != 0,
        .dirty_log_mask =
            (uint8_t)(s->region.impl_flags >> FLAT_SECTION_LOG_SHIFT),
    };
}

const FlatSection *flatview_nth(const FlatView *fv, size_t i)
{
    size_t lo = 0, n = fv->index.nr_chunks;

    if (i >= fv->nr) {
        return NULL;
    }
    /* the last chunk whose first section is at or before i */
    while (n > 1) {
        size_t half = n / 2;

        lo = fv->chunk_first[lo + half] <= i ? lo + half : lo;
        n -= half;
    }
    return &flatview_slots(fv)[lo].chunk->sections[i - fv->chunk_first[lo]];
}

/* Describe @s (of @fv) in @section, if there is one. */
static bool describe(const FlatSection *s, FlatView *fv,
                     MemoryRegionSection *section)
{
    if (s) {
        flat_section_describe(s, fv, section);
    }
    return s != NULL;
}

ADDRSPACE_EXPORT bool flatview_section(FlatView *fv, size_t i,
                                       MemoryRegionSection *section)
{
    return describe(flatview_nth(fv, i), fv, section);
}

ADDRSPACE_EXPORT bool flatview_lookup(FlatView *fv, hwaddr addr,
                                      MemoryRegionSection *section)
{
    return describe(flatview_find(fv, addr), fv, section);
}

ADDRSPACE_EXPORT void flatview_for_each_section(FlatView *fv,
                                                FlatViewSectionCallback cb,
                                                void *opaque)
{
    FlatViewIter it;
    const FlatSection *s;

    flatview_iter_init(&it, fv);
    while ((s = flatview_iter_get(&it))) {
        MemoryRegionSection section;

        flat_section_describe(s, fv, &section);
        if (cb(&section, opaque)) {
            break;
        }
        flatview_iter_next(&it);
    }
}

ADDRSPACE_EXPORT MemoryRegionSection *
memory_region_section_new_copy(const MemoryRegionSection *s)
{
    MemoryRegionSection *copy = g_memdup2(s, sizeof(*s));

    if (copy->mr) {
        memory_region_ref(copy->mr);
    }
    if (copy->fv) {
        /* the caller holds the view (its section is valid), so this works */
        bool ok = flatview_ref(copy->fv);

        g_assert(ok);
    }
    return copy;
}

ADDRSPACE_EXPORT void memory_region_section_free_copy(MemoryRegionSection *s)
{
    if (!s) {
        return;
    }
    if (s->fv) {
        flatview_unref(s->fv);
    }
    if (s->mr) {
        memory_region_unref(s->mr);
    }
    g_free(s);
}
