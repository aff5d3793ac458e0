/* SPDX-License-Identifier: MIT */
/*
 * Sections, the chunks that hold them, and their reclamation.
 *
 * A chunk is built once, from sections already merged, and its sections
 * are never written again: every view that holds it sees the same bytes
 * (the property test checks it). It holds one reference on each distinct
 * owner of its sections' regions, so a view keeps the devices it maps
 * alive through its chunks.
 *
 * Reclamation without a count per chunk (which every commit would touch
 * for every chunk it shares, O(size of the view)): the views of a root
 * that share chunks form a lineage, numbered by generation. A chunk lives
 * in the generations [birth, death): it is born in the view that first
 * holds it and dies in the first later view that does not. Views are
 * reclaimed by RCU (flatview_unref()); once no view of a chunk's
 * generations remains, no reader can reach it and it is freed, and the
 * owners' release callbacks wait for a further grace period
 * (memory_owner_unref()). A commit costs the lineage the chunks it changed.
 */
#include <pthread.h>
#include <string.h>

#include "flatview-internal.h"

/* QEMU's flatrange can_merge(): contiguous in both address space and
 * region (offsets do not wrap at 2^64), same region and attributes (all
 * derived from those: flags; access hooks are not an attribute). */
static bool section_can_merge(const FlatSection *a, const FlatSection *b)
{
    /* hook bits are set after merging (slow-ranges.c) */
    uint32_t fa = a->region.impl_flags & ~FLAT_SECTION_HOOK_MASK;
    uint32_t fb = b->region.impl_flags & ~FLAT_SECTION_HOOK_MASK;

    return a->mr == b->mr && fa == fb && a->region.last != UINT64_MAX &&
           a->region.last + 1 == b->region.start &&
           (addrspace_u128)a->offset + (b->region.start - a->region.start) ==
               b->offset;
}

void flat_vec_push(FlatSectionVec *vec, const FlatSection *s)
{
    if (vec->nr && section_can_merge(&vec->v[vec->nr - 1], s)) {
        vec->v[vec->nr - 1].region.last = s->region.last;
        return;
    }
    if (vec->nr == vec->cap) {
        vec->cap = vec->cap ? 2 * vec->cap : 64;
        vec->v = g_renew(FlatSection, vec->v, vec->cap);
    }
    vec->v[vec->nr++] = *s;
}

FlatSection flat_section_clip(const FlatSection *s, hwaddr start, hwaddr last)
{
    FlatSection c = *s;
    hwaddr delta = start - s->region.start;

    c.offset += delta;
    c.region.start = start;
    c.region.last = last;
    if (c.region.host) {
        c.region.host += delta;
    }
    if (c.region.fd >= 0) {
        c.region.fd_offset += delta;
    }
    return c;
}

/* Take one reference on each distinct owner of @c's sections. */
static void chunk_take_owners(FlatChunk *c)
{
    MemoryOwner *found[FLAT_CHUNK_SIZE];
    uint32_t n = 0;

    for (uint32_t i = 0; i < c->nr; i++) {
        MemoryOwner *o = c->sections[i].mr->priv.owner;
        uint32_t k = 0;

        /* consecutive sections mostly share an owner: look back first */
        while (o && k < n && found[n - 1 - k] != o) {
            k++;
        }
        if (o && k == n) {
            memory_owner_ref(o);
            found[n++] = o;
        }
    }
    c->nr_owners = n;
    c->owners = n ? g_memdup2(found, n * sizeof(found[0])) : NULL;
}

/* A chunk holding the @n (1 to FLAT_CHUNK_SIZE) sections @s, not yet in
 * a view (flat_lineage_add() sets its birth). */
static FlatChunk *chunk_new(const FlatSection *s, uint32_t n)
{
    FlatChunk *c = g_aligned_alloc(
        1, sizeof(FlatChunk) + (size_t)n * sizeof(FlatSection), 64);

    c->nr = n;
    c->death = UINT64_MAX;
    memcpy(c->sections, s, n * sizeof(FlatSection));
    for (uint32_t i = 0; i < FLAT_CHUNK_SIZE; i++) {
        /* unused keys above every address: never below a lookup's */
        c->starts[i] = i < n ? s[i].region.start : UINT64_MAX;
    }
    for (uint32_t j = 0; j < FLAT_CHUNK_SIZE / 8 - 1; j++) {
        c->guide[j] = c->starts[8 * (j + 1)];
    }
    chunk_take_owners(c);
    return c;
}

void flat_chunks_pack(const FlatSection *s, size_t n, GPtrArray *out)
{
    size_t k = (n + FLAT_CHUNK_SIZE - 1) / FLAT_CHUNK_SIZE;

    /* even sizes: a chunk split by an insertion keeps half of it each */
    for (size_t i = 0, done = 0; i < k; i++) {
        size_t take = (n - done) / (k - i);

        g_ptr_array_add(out, chunk_new(s + done, (uint32_t)take));
        done += take;
    }
}

/* Free @c and its owner references; no view holds it. */
static void chunk_free(FlatChunk *c)
{
    /* the regions may be gone (owner-less, finalized): only the owners,
     * kept alive by these references, are touched */
    for (uint32_t i = 0; i < c->nr_owners; i++) {
        memory_owner_unref(c->owners[i]);
    }
    g_free(c->owners);
    g_aligned_free(c);
}

struct FlatLineage {
    /* views are made under the update lock but reclaimed on the RCU
     * thread: everything below, and the views' @last_of, under @lock (a
     * pthread mutex: ThreadSanitizer does not see GLib's futex GMutex) */
    pthread_mutex_t lock;
    uint64_t next_gen; /* of the next view */
    uint64_t newest;   /* generation of the newest view */
    GPtrArray *live;   /* views not yet reclaimed, by generation */
};

FlatLineage *flat_lineage_new(void)
{
    FlatLineage *l = g_new0(FlatLineage, 1);

    pthread_mutex_init(&l->lock, NULL);
    l->live = g_ptr_array_new();
    return l;
}

bool flat_lineage_is_newest(const FlatView *fv)
{
    /* newest is written under the update lock, which the caller holds */
    return fv->gen == fv->lineage->newest;
}

/*
 * The newest live view of @l with a generation in [@from, @below), or
 * NULL. Lock held.
 */
static FlatView *lineage_newest_in(const FlatLineage *l, uint64_t from,
                                   uint64_t below)
{
    FlatView *const *v = (FlatView *const *)l->live->pdata;
    size_t lo = 0, hi = l->live->len;

    /* the first live view at or above below, then one back */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (v[mid]->gen < below) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo && v[lo - 1]->gen >= from ? v[lo - 1] : NULL;
}

void flat_lineage_add(FlatLineage *l, FlatView *fv, FlatView *prev,
                      FlatChunk *const *born, size_t nr_born,
                      FlatChunk *const *retired, size_t nr_retired)
{
    pthread_mutex_lock(&l->lock);
    fv->lineage = l;
    fv->gen = l->next_gen++;
    fv->last_of = g_ptr_array_new();
    l->newest = fv->gen;
    g_ptr_array_add(l->live, fv);
    for (size_t i = 0; i < nr_born; i++) {
        born[i]->birth = fv->gen;
    }
    /* @prev, the view @fv was made from, is live (its group holds it) and
     * the newest view that holds the chunks @fv drops */
    for (size_t i = 0; i < nr_retired; i++) {
        retired[i]->death = fv->gen;
        g_ptr_array_add(prev->last_of, retired[i]);
    }
    pthread_mutex_unlock(&l->lock);
}

/* @c has lost its newest holder, @fv: hand it to the next one, or free it. */
static void chunk_holder_gone(FlatLineage *l, FlatView *fv, FlatChunk *c)
{
    FlatView *v = lineage_newest_in(l, c->birth, fv->gen);

    if (v) {
        g_ptr_array_add(v->last_of, c);
    } else {
        chunk_free(c);
    }
}

void flat_lineage_view_gone(FlatView *fv)
{
    FlatLineage *l = fv->lineage;
    bool last;

    pthread_mutex_lock(&l->lock);
    g_ptr_array_remove(l->live, fv);
    if (fv->gen == l->newest) {
        /* no view will follow it: it is the newest holder of its chunks */
        for (size_t k = 0; k < fv->index.nr_chunks; k++) {
            FlatChunk *c = (FlatChunk *)(uintptr_t)flatview_slots(fv)[k].chunk;

            c->death = fv->gen + 1;
            chunk_holder_gone(l, fv, c);
        }
    }
    for (guint i = 0; i < fv->last_of->len; i++) {
        chunk_holder_gone(l, fv, fv->last_of->pdata[i]);
    }
    g_ptr_array_free(fv->last_of, true);
    last = l->live->len == 0;
    pthread_mutex_unlock(&l->lock);
    if (last) {
        /* every chunk went with the newest view or before it */
        g_ptr_array_free(l->live, true);
        pthread_mutex_destroy(&l->lock);
        g_free(l);
    }
}
