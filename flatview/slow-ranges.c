/* SPDX-License-Identifier: MIT */
/*
 * The one render-side step of access hooks: a section that an access hook
 * observes gets FLAT_SECTION_HOOK_READ / _WRITE, so that the inline access
 * path (which masks those bits) calls out of line, where the hooks are
 * called. An input of the render like the regions themselves: the bits are
 * set on sections being built, before they are packed into chunks, so a
 * chunk that views share is never written. A hook change is a change
 * window over the hooked range (memory/hooks.c), so the incremental
 * re-render rebuilds exactly the chunks whose sections change.
 */
#include "flatview-internal.h"

void flat_sections_mark_hooked_locked(MemoryRegion *root, FlatSection *v,
                                      size_t n)
{
    GArray *ranges = g_array_new(false, false, sizeof(MemoryHookRange));

    if (root) {
        memory_hook_ranges_locked(root, ranges);
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t f = v[i].region.impl_flags & ~FLAT_SECTION_HOOK_MASK;

        for (guint k = 0; k < ranges->len; k++) {
            const MemoryHookRange *r =
                &g_array_index(ranges, MemoryHookRange, k);

            if (r->first <= v[i].region.last && v[i].region.start <= r->last) {
                f |= (r->reads ? FLAT_SECTION_HOOK_READ : 0) |
                     (r->writes ? FLAT_SECTION_HOOK_WRITE : 0);
            }
        }
        v[i].region.impl_flags = f;
    }
    g_array_free(ranges, true);
}
