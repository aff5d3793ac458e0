/* SPDX-License-Identifier: MIT */
/*
 * Incremental re-render: the next view of a root after a commit whose
 * changes are confined to a few address windows (memory/change-windows.c
 * computes them from the changed regions, carried up through containers
 * and alias windows).
 *
 * 1. The windows, in view addresses, are sorted and merged. Each one
 *    touches a run of the old view's chunks: from the chunk holding the
 *    last section that starts before the window (it may end inside it, or
 *    merge with what the window now shows) to the chunk holding the
 *    window's end. Runs that meet or touch are joined.
 * 2. A run is rebuilt: its old sections outside the windows (cut at the
 *    window edges), and each window rendered afresh, appended in address
 *    order with QEMU's merging; then cut into chunks of even size. A run
 *    left with fewer than half a chunk of sections takes in the next chunk,
 *    so every chunk but the last stays at least half full.
 * 3. The new view holds the new chunks and shares every other chunk of the
 *    old view, in the same lineage (chunk.c): the run's old chunks die in
 *    it. Chunks are never written after they are built.
 * Cost: the sections of the runs, the windows' rendering, and one copy of
 * the view's chunk slots.
 */
#include <string.h>

#include "flatview-internal.h"

/* More windows than this: render the root whole. */
#define UPDATE_WINDOWS_MAX 64

/* A run of old chunks [lo, hi] (hi = lo - 1: none) and its windows. */
typedef struct Run {
    ptrdiff_t lo, hi;
    size_t w0, nw;
} Run;

static int window_cmp(const void *a, const void *b)
{
    const FlatWindow *wa = a, *wb = b;

    return wa->start < wb->start ? -1 : wa->start > wb->start;
}

/* @w in view addresses (@base added, clipped to 2^64), sorted, merged. */
static size_t windows_normalize(const FlatWindow *w, size_t n, hwaddr base,
                                FlatWindow *out)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        addrspace_u128 s = w[i].start + base, e = w[i].end + base;

        e = e < SIZE_2_64 ? e : SIZE_2_64;
        if (s < e) {
            out[k++] = (FlatWindow){s, e};
        }
    }
    qsort(out, k, sizeof(*out), window_cmp);
    n = k;
    k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && out[i].start <= out[k - 1].end) {
            if (out[i].end > out[k - 1].end) {
                out[k - 1].end = out[i].end;
            }
        } else {
            out[k++] = out[i];
        }
    }
    return k;
}

/* The last chunk of @fv starting at or below @addr, or -1. */
static ptrdiff_t slot_of(const FlatView *fv, hwaddr addr)
{
    const FlatViewSlot *slots = flatview_slots(fv);
    size_t lo = 0, n = fv->index.nr_chunks;

    if (n == 0 || addr < slots[0].start) {
        return -1;
    }
    while (n > 1) {
        size_t half = n / 2;

        lo = slots[lo + half].start <= addr ? lo + half : lo;
        n -= half;
    }
    return (ptrdiff_t)lo;
}

/* The runs of the @nw windows @w (step 1); returns how many. */
static size_t runs_of(const FlatView *fv, const FlatWindow *w, size_t nw,
                      Run *runs)
{
    ptrdiff_t last = (ptrdiff_t)fv->index.nr_chunks - 1;
    size_t k = 0;

    for (size_t i = 0; i < nw; i++) {
        ptrdiff_t lo = w[i].start ? slot_of(fv, (hwaddr)(w[i].start - 1)) : 0;
        ptrdiff_t hi =
            w[i].end < SIZE_2_64 ? slot_of(fv, (hwaddr)w[i].end) : last;

        lo = lo < 0 ? 0 : lo;
        if (k && lo <= runs[k - 1].hi + 1) {
            runs[k - 1].hi = hi > runs[k - 1].hi ? hi : runs[k - 1].hi;
            runs[k - 1].nw++;
        } else {
            runs[k++] = (Run){lo, hi, i, 1};
        }
    }
    return k;
}

/* The old sections of a run, one at a time, cut as the windows need. */
typedef struct Cursor {
    FlatViewIter it;
    ptrdiff_t hi;
    FlatSection cur;
    bool has;
} Cursor;

static void cursor_load(Cursor *c)
{
    c->has = (ptrdiff_t)c->it.chunk <= c->hi;
    if (c->has) {
        c->cur = *flatview_iter_get(&c->it);
    }
}

static void cursor_next(Cursor *c)
{
    flatview_iter_next(&c->it);
    cursor_load(c);
}

/* Step 2 for one window: old sections before it, it, skip what it hides. */
static void run_window(Cursor *c, MemoryRegion *root, const FlatWindow *w,
                       const GuestRegionOps *region_ops, FlatSectionVec *out)
{
    while (c->has && c->cur.region.start < w->start) {
        if ((addrspace_u128)c->cur.region.last < w->start) {
            flat_vec_push(out, &c->cur);
            cursor_next(c);
            continue;
        }
        /* straddles the window's start: keep the part before it */
        FlatSection head = flat_section_clip(&c->cur, c->cur.region.start,
                                             (hwaddr)(w->start - 1));
        flat_vec_push(out, &head);
        c->cur =
            flat_section_clip(&c->cur, (hwaddr)w->start, c->cur.region.last);
    }
    flatview_render_window_locked(root, w->start, w->end, region_ops, out);
    while (c->has && c->cur.region.start < w->end) {
        if ((addrspace_u128)c->cur.region.last < w->end) {
            cursor_next(c);
            continue;
        }
        c->cur = flat_section_clip(&c->cur, (hwaddr)w->end, c->cur.region.last);
        break;
    }
}

/* Append the sections of old chunk @i to @out. */
static void push_chunk(FlatSectionVec *out, const FlatView *fv, size_t i)
{
    const FlatChunk *c = flatview_slots(fv)[i].chunk;

    for (uint32_t k = 0; k < c->nr; k++) {
        flat_vec_push(out, &c->sections[k]);
    }
}

/*
 * Rebuild @r (step 2) into @b; a small result takes in the chunk after the
 * run (runs are at least one chunk apart), so only a view's last chunk can
 * be less than half full. Sets *@free_lo to the first old chunk after what
 * the run used.
 */
static void run_build(FlatView *old, Run *r, const FlatWindow *w,
                      size_t *free_lo, const GuestRegionOps *region_ops,
                      ViewBuilder *b)
{
    FlatSectionVec out = {NULL, 0, 0};
    ptrdiff_t nr_chunks = (ptrdiff_t)old->index.nr_chunks;
    GPtrArray *chunks = g_ptr_array_new();
    Cursor c = {.hi = r->hi};

    flatview_iter_init(&c.it, old);
    c.it.chunk = (size_t)r->lo;
    cursor_load(&c);
    for (size_t i = 0; i < r->nw; i++) {
        run_window(&c, old->root, &w[r->w0 + i], region_ops, &out);
    }
    for (; c.has; cursor_next(&c)) {
        flat_vec_push(&out, &c.cur);
    }
    if (out.nr < FLAT_CHUNK_SIZE / 2 && r->hi + 1 < nr_chunks) {
        push_chunk(&out, old, (size_t)++r->hi);
    }
    flat_sections_mark_hooked_locked(old->root, out.v, out.nr);
    flat_chunks_pack(out.v, out.nr, chunks);
    view_builder_add(b, chunks);
    view_builder_retire(b, old, (size_t)r->lo, (size_t)(r->hi + 1));
    *free_lo = (size_t)(r->hi + 1);
    g_ptr_array_free(chunks, true);
    g_free(out.v);
}

FlatView *flatview_update_locked(FlatView *old, const FlatWindow *w, size_t nr,
                                 const GuestRegionOps *region_ops)
{
    MemoryRegion *root = old->root;
    size_t nw, nruns, free_lo = 0;
    FlatWindow *win;
    ViewBuilder b;
    Run *runs;

    /* the root itself moved or resized: every address may have changed;
     * and only the newest view of a lineage may get a successor */
    if (!root || nr > UPDATE_WINDOWS_MAX || root->priv.addr != old->root_addr ||
        root->priv.size != old->root_size || !flat_lineage_is_newest(old)) {
        return flatview_render_locked(root, region_ops);
    }
    win = g_new(FlatWindow, nr ? nr : 1);
    runs = g_new(Run, nr ? nr : 1);
    nw = windows_normalize(w, nr, root->priv.addr, win);
    nruns = runs_of(old, win, nw, runs);
    view_builder_init(&b, old->index.nr_chunks);
    for (size_t i = 0; i < nruns; i++) {
        view_builder_share(&b, old, free_lo, (size_t)runs[i].lo);
        run_build(old, &runs[i], win, &free_lo, region_ops, &b);
    }
    view_builder_share(&b, old, free_lo, old->index.nr_chunks);
    g_free(runs);
    g_free(win);
    return view_builder_finish(&b, root, old->lineage, old);
}
