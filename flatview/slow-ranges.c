/* SPDX-License-Identifier: MIT */
/*
 * The one render-side step of access hooks: sections under a hooked range
 * lose their fast-path flags (as dirty logging takes the direct write
 * flag), so that the inline access path calls out of line, where the hooks
 * are called. Kept apart from render.c so that a new view layout only has
 * to provide this function.
 */
#include "flatview-internal.h"

void flatview_slow_range_locked(FlatView *fv, hwaddr first, hwaddr last,
                                bool reads, bool writes)
{
    /* the inline MMIO path serves both directions: any hook stops it */
    uintptr_t keep = FLATVIEW_ENTRY_READ | FLATVIEW_ENTRY_WRITE;
    size_t lo = 0, hi = fv->nr;

    if (reads) {
        keep &= ~(uintptr_t)FLATVIEW_ENTRY_READ;
    }
    if (writes) {
        keep &= ~(uintptr_t)FLATVIEW_ENTRY_WRITE;
    }
    /* the first section whose last address is at or after @first */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (fv->entries[mid].last < first) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (size_t k = lo; k < fv->nr && fv->starts[k] <= last; k++) {
        fv->entries[k].flags &= keep;
    }
}
