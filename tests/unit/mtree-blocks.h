/* SPDX-License-Identifier: MIT */
/*
 * Comparing `info mtree` dumps with QEMU's: QEMU prints its address-space
 * groups, memory-region groups and FlatViews in the order of a hash table
 * (it changes from run to run), so a dump is compared as the set of its
 * blocks (each ends with a blank line), every block byte for byte. The
 * FlatView numbers ("FlatView #N") follow that order, so they are left
 * out of the comparison.
 */
#ifndef TESTS_UNIT_MTREE_BLOCKS_H
#define TESTS_UNIT_MTREE_BLOCKS_H

#include <string.h>

#include <glib.h>

static inline gint mtree_block_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* @text's blocks, "FlatView #N" made "FlatView #?", sorted and joined. */
static inline char *mtree_sorted_blocks(const char *text)
{
    GPtrArray *blocks = g_ptr_array_new_with_free_func(g_free);
    GString *joined = g_string_new(NULL);
    const char *p = text;

    while (*p) {
        const char *end = strstr(p, "\n\n");
        GString *block;

        g_assert_nonnull(end); /* every block ends with a blank line */
        block = g_string_new_len(p, end + 2 - p);
        if (g_str_has_prefix(block->str, "FlatView #")) {
            gsize digits = strspn(block->str + 10, "0123456789");

            g_string_erase(block, 10, (gssize)digits);
            g_string_insert_c(block, 10, '?');
        }
        g_ptr_array_add(blocks, g_string_free(block, false));
        p = end + 2;
    }
    g_ptr_array_sort(blocks, mtree_block_cmp);
    for (guint i = 0; i < blocks->len; i++) {
        g_string_append(joined, blocks->pdata[i]);
    }
    g_ptr_array_free(blocks, true);
    return g_string_free(joined, false);
}

/* @got and @want have the same blocks, each byte for byte. */
static inline void mtree_assert_same_blocks(const char *got, const char *want)
{
    char *g = mtree_sorted_blocks(got);
    char *w = mtree_sorted_blocks(want);

    g_assert_cmpstr(g, ==, w);
    g_free(g);
    g_free(w);
}

#endif /* TESTS_UNIT_MTREE_BLOCKS_H */
