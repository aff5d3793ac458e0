/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of rendering: one QEMU rule per test (docs/design.md §4),
 * FlatView sharing between AddressSpaces, references and lookup.
 */
#include "tree-helpers.h"

#define RO true
#define RW false

/* Clipping. */

static void test_clip_by_parent(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x1000);
    MemoryRegion *r = tree_ram(t, "r", 0x3000);

    (void)data;
    tree_add(t->root, 0x1000, c);
    tree_add(c, 0x800, r);
    tree_assert_view(t->as, {0x1800, 0x800, r, 0, RW});
}

static void test_clip_by_ancestors(Tree *t, gconstpointer data)
{
    MemoryRegion *outer = tree_container(t, "outer", 0x1000);
    MemoryRegion *inner = tree_container(t, "inner", 0x10000);
    MemoryRegion *r = tree_ram(t, "r", 0x10000);

    (void)data;
    /* inner and r are both larger than outer: outer's end is what counts */
    tree_add(t->root, 0x10000, outer);
    tree_add(outer, 0x800, inner);
    tree_add(inner, 0x400, r);
    tree_assert_view(t->as, {0x10c00, 0x400, r, 0, RW});
}

/* Priorities and insertion order. */

static void test_priority_higher_wins(Tree *t, gconstpointer data)
{
    MemoryRegion *hi = tree_ram(t, "hi", 0x1000);
    MemoryRegion *lo = tree_ram(t, "lo", 0x1000);

    (void)data;
    /* the higher one is added first: insertion order must not matter */
    tree_add_prio(t->root, 0x800, hi, 1);
    tree_add_prio(t->root, 0, lo, 0);
    tree_assert_view(t->as, {0, 0x800, lo, 0, RW}, {0x800, 0x1000, hi, 0, RW});
}

static void test_priority_negative_loses(Tree *t, gconstpointer data)
{
    MemoryRegion *def = tree_ram(t, "def", 0x1000);
    MemoryRegion *neg = tree_ram(t, "neg", 0x1000);

    (void)data;
    tree_add(t->root, 0x800, def);
    tree_add_prio(t->root, 0, neg, -1);
    tree_assert_view(t->as, {0, 0x800, neg, 0, RW},
                     {0x800, 0x1000, def, 0, RW});
}

static void test_priority_later_added_wins(Tree *t, gconstpointer data)
{
    MemoryRegion *a = tree_ram(t, "a", 0x1000);
    MemoryRegion *b = tree_ram(t, "b", 0x1000);
    MemoryRegion *c = tree_ram(t, "c", 0x1000);
    MemoryRegion *d = tree_ram(t, "d", 0x1000);

    (void)data;
    tree_add_prio(t->root, 0, a, 3);
    tree_add_prio(t->root, 0x800, b, 3); /* later: wins the overlap */
    tree_assert_view(t->as, {0, 0x800, a, 0, RW}, {0x800, 0x1000, b, 0, RW});
    /* the other way round, at another place */
    tree_add(t->root, 0x10800, d);
    tree_add(t->root, 0x10000, c);
    tree_assert_view(t->as, {0, 0x800, a, 0, RW}, {0x800, 0x1000, b, 0, RW},
                     {0x10000, 0x1000, c, 0, RW},
                     {0x11000, 0x800, d, 0x800, RW});
}

static void test_priority_set_address_reinserts(Tree *t, gconstpointer data)
{
    MemoryRegion *a = tree_ram(t, "a", 0x1000);
    MemoryRegion *b = tree_ram(t, "b", 0x1000);
    MemoryRegion *hi = tree_ram(t, "hi", 0x100);

    (void)data;
    tree_add(t->root, 0, a);
    tree_add(t->root, 0x800, b);
    tree_add_prio(t->root, 0xf00, hi, 1);
    tree_assert_view(t->as, {0, 0x800, a, 0, RW}, {0x800, 0x700, b, 0, RW},
                     {0xf00, 0x100, hi, 0, RW}, {0x1000, 0x800, b, 0x800, RW});
    /* QEMU deletes and re-adds a moved region: a is now the latest added,
     * but keeps its priority, so hi still wins */
    tree_set_address(a, 0x100);
    tree_assert_view(t->as, {0x100, 0xe00, a, 0, RW}, {0xf00, 0x100, hi, 0, RW},
                     {0x1000, 0x100, a, 0xf00, RW},
                     {0x1100, 0x700, b, 0x900, RW});
}

static void test_priority_same_address_keeps_order(Tree *t, gconstpointer data)
{
    MemoryRegion *a = tree_ram(t, "a", 0x1000);
    MemoryRegion *b = tree_ram(t, "b", 0x1000);

    (void)data;
    tree_add(t->root, 0, a);
    tree_add(t->root, 0x800, b);
    /* QEMU returns early when the address does not change */
    tree_set_address(a, 0);
    tree_assert_view(t->as, {0, 0x800, a, 0, RW}, {0x800, 0x1000, b, 0, RW});
}

static void test_priority_among_siblings_only(Tree *t, gconstpointer data)
{
    MemoryRegion *p = tree_container(t, "p", 0x2000);
    MemoryRegion *x = tree_ram(t, "x", 0x1000);
    MemoryRegion *y = tree_ram(t, "y", 0x1000);

    (void)data;
    /* x's priority 100 only orders it inside p; p (0) loses to y (1) */
    tree_add(t->root, 0, p);
    tree_add_prio(p, 0, x, 100);
    tree_add_prio(t->root, 0x800, y, 1);
    tree_assert_view(t->as, {0, 0x800, x, 0, RW}, {0x800, 0x1000, y, 0, RW});
}

/* Terminating regions with subregions. */

static void test_terminating_ram_subregions_first(Tree *t, gconstpointer data)
{
    MemoryRegion *big = tree_ram(t, "big", 0x4000);
    MemoryRegion *io = tree_io(t, "io", 0x1000);
    MemoryRegion *low = tree_ram(t, "low", 0x1000);

    (void)data;
    tree_add(t->root, 0x10000, big);
    tree_add(big, 0x1000, io);
    /* negative priority: still above the region itself; clipped by it */
    tree_add_prio(big, 0x3800, low, -5);
    tree_assert_view(
        t->as, {0x10000, 0x1000, big, 0, RW}, {0x11000, 0x1000, io, 0, RW},
        {0x12000, 0x1800, big, 0x2000, RW}, {0x13800, 0x800, low, 0, RW});
}

static void test_terminating_mmio_fills_gaps(Tree *t, gconstpointer data)
{
    MemoryRegion *io = tree_io(t, "io", 0x1000);
    MemoryRegion *ram = tree_ram(t, "ram", 0x400);

    (void)data;
    tree_add(t->root, 0x4000, io);
    tree_add(io, 0x400, ram);
    tree_assert_view(t->as, {0x4000, 0x400, io, 0, RW},
                     {0x4400, 0x400, ram, 0, RW},
                     {0x4800, 0x800, io, 0x800, RW});
}

/* Containers. */

static void test_container_holes_stay_holes(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x3000);
    MemoryRegion *a = tree_ram(t, "a", 0x800);
    MemoryRegion *b = tree_io(t, "b", 0x800);
    FlatView *fv;

    (void)data;
    tree_add(t->root, 0x1000, c);
    tree_add(c, 0, a);
    tree_add(c, 0x2000, b);
    tree_assert_view(t->as, {0x1000, 0x800, a, 0, RW},
                     {0x3000, 0x800, b, 0, RW});
    fv = tree_view(t->as);
    g_assert_null(view_lookup(fv, 0x1800));
    g_assert_null(view_lookup(fv, 0x2fff));
    g_assert_null(view_lookup(fv, 0x3800)); /* end of c */
    flatview_unref(fv);
}

static void test_container_holes_show_lower(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x3000);
    MemoryRegion *a = tree_ram(t, "a", 0x800);
    MemoryRegion *under = tree_ram(t, "under", 0x10000);

    (void)data;
    /* a container does not claim its holes: a lower sibling shows */
    tree_add_prio(t->root, 0, under, -1);
    tree_add_prio(t->root, 0x1000, c, 1);
    tree_add(c, 0x800, a);
    tree_assert_view(t->as, {0, 0x1800, under, 0, RW},
                     {0x1800, 0x800, a, 0, RW},
                     {0x2000, 0xe000, under, 0x2000, RW});
}

/* Aliases. */

static void test_alias_offset_window(Tree *t, gconstpointer data)
{
    MemoryRegion *r = tree_ram(t, "r", 0x4000);
    MemoryRegion *a = tree_alias(t, "a", r, 0x1000, 0x800);

    (void)data;
    tree_add(t->root, 0x8000, a);
    tree_assert_view(t->as, {0x8000, 0x800, r, 0x1000, RW});
    g_assert_true(memory_region_get_alias(a) == r);
    g_assert_cmphex(memory_region_get_alias_offset(a), ==, 0x1000);
}

static void test_alias_window_past_target(Tree *t, gconstpointer data)
{
    MemoryRegion *r = tree_ram(t, "r", 0x4000);
    MemoryRegion *a = tree_alias(t, "a", r, 0x3800, 0x1000);
    FlatView *fv;

    (void)data;
    tree_add(t->root, 0x8000, a);
    tree_assert_view(t->as, {0x8000, 0x800, r, 0x3800, RW});
    fv = tree_view(t->as);
    g_assert_null(view_lookup(fv, 0x8800));
    flatview_unref(fv);
}

static void test_alias_set_offset(Tree *t, gconstpointer data)
{
    MemoryRegion *r = tree_ram(t, "r", 0x4000);
    MemoryRegion *a = tree_alias(t, "a", r, 0, 0x1000);
    GError *err = NULL;

    (void)data;
    tree_add(t->root, 0x8000, a);
    tree_check(memory_region_set_alias_offset(a, 0x2000, &err), err);
    tree_assert_view(t->as, {0x8000, 0x1000, r, 0x2000, RW});
    tree_check(memory_region_set_size(a, 0x800, &err), err);
    tree_assert_view(t->as, {0x8000, 0x800, r, 0x2000, RW});
}

static void test_alias_of_alias(Tree *t, gconstpointer data)
{
    MemoryRegion *r = tree_ram(t, "r", 0x4000);
    MemoryRegion *a1 = tree_alias(t, "a1", r, 0x1000, 0x2000);
    MemoryRegion *a2 = tree_alias(t, "a2", a1, 0x800, 0x800);
    MemoryRegion *a3 = tree_alias(t, "a3", a1, 0x1800, 0x1000);

    (void)data;
    tree_add(t->root, 0x8000, a2);
    tree_add(t->root, 0x9000, a3); /* a1's window ends halfway through a3 */
    tree_assert_view(t->as, {0x8000, 0x800, r, 0x1800, RW},
                     {0x9000, 0x800, r, 0x2800, RW});
}

static void test_alias_of_container(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x4000);
    MemoryRegion *x = tree_ram(t, "x", 0x1000);
    MemoryRegion *y = tree_io(t, "y", 0x1000);
    MemoryRegion *a = tree_alias(t, "a", c, 0x800, 0x3000);

    (void)data;
    tree_add(c, 0x1000, x);
    tree_add(c, 0x3000, y);
    tree_add(t->root, 0x10000, a);
    /* c's hole at 0x2000 stays a hole through the alias */
    tree_assert_view(t->as, {0x10800, 0x1000, x, 0, RW},
                     {0x12800, 0x800, y, 0, RW});
}

static void test_alias_target_address_ignored(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x10000);
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    MemoryRegion *a = tree_alias(t, "a", r, 0x100, 0x200);
    MemoryRegion *ac = tree_alias(t, "ac", c, 0x1000, 0x1000);

    (void)data;
    /* r sits at 0x1000 in c, c at 0x20000: neither address moves a */
    tree_add(c, 0x1000, r);
    tree_add(t->root, 0x20000, c);
    tree_add(t->root, 0x9000, a);
    tree_add(t->root, 0x40000, ac);
    tree_assert_view(t->as, {0x9000, 0x200, r, 0x100, RW},
                     {0x21000, 0x1000, r, 0, RW}, {0x40000, 0x1000, r, 0, RW});
}

/* Disabled regions. */

static void test_disabled_region(Tree *t, gconstpointer data)
{
    MemoryRegion *lo = tree_ram(t, "lo", 0x2000);
    MemoryRegion *hi = tree_ram(t, "hi", 0x1000);

    (void)data;
    tree_add(t->root, 0, lo);
    tree_add_prio(t->root, 0x800, hi, 1);
    memory_region_set_enabled(hi, false);
    g_assert_false(memory_region_is_enabled(hi));
    tree_assert_view(t->as, {0, 0x2000, lo, 0, RW});
    memory_region_set_enabled(hi, true);
    tree_assert_view(t->as, {0, 0x800, lo, 0, RW}, {0x800, 0x1000, hi, 0, RW},
                     {0x1800, 0x800, lo, 0x1800, RW});
}

static void test_disabled_container_hides_subtree(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x10000);
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    MemoryRegion *other = tree_io(t, "other", 0x100);

    (void)data;
    tree_add(c, 0, r);
    tree_add(t->root, 0, c);
    tree_add(t->root, 0x20000, other);
    memory_region_set_enabled(c, false);
    tree_assert_view(t->as, {0x20000, 0x100, other, 0, RW});
}

static void test_disabled_alias_target(Tree *t, gconstpointer data)
{
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    MemoryRegion *a = tree_alias(t, "a", r, 0, 0x1000);
    MemoryRegion *under = tree_io(t, "under", 0x10000);

    (void)data;
    tree_add_prio(t->root, 0, under, -1);
    tree_add(t->root, 0x1000, a);
    memory_region_set_enabled(r, false);
    /* nothing is rendered through the alias: the region below shows */
    tree_assert_view(t->as, {0, 0x10000, under, 0, RW});
    memory_region_set_enabled(r, true);
    tree_assert_view(t->as, {0, 0x1000, under, 0, RW},
                     {0x1000, 0x1000, r, 0, RW},
                     {0x2000, 0xe000, under, 0x2000, RW});
    memory_region_set_enabled(a, false);
    tree_assert_view(t->as, {0, 0x10000, under, 0, RW});
}

/* Read-only and non-volatile propagation. */

static void test_readonly_alias(Tree *t, gconstpointer data)
{
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    MemoryRegion *a = tree_alias(t, "a", r, 0, 0x1000);

    (void)data;
    tree_add(t->root, 0, r);
    tree_add(t->root, 0x10000, a);
    memory_region_set_readonly(a, true);
    g_assert_true(memory_region_is_readonly(a));
    g_assert_false(memory_region_is_readonly(r));
    tree_assert_view(t->as, {0, 0x1000, r, 0, RW}, {0x10000, 0x1000, r, 0, RO});
}

static void test_readonly_container(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x10000);
    MemoryRegion *d = tree_container(t, "d", 0x1000);
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    MemoryRegion *s = tree_io(t, "s", 0x100);
    MemoryRegion *a = tree_alias(t, "a", c, 0, 0x10000);

    (void)data;
    tree_add(d, 0, r);
    tree_add(c, 0x1000, d);
    tree_add(c, 0x4000, s);
    tree_add(t->root, 0, c);
    tree_add(t->root, 0x100000, a);
    memory_region_set_readonly(c, true);
    /* propagates down two levels, to MMIO too, and through the alias */
    tree_assert_view(t->as, {0x1000, 0x1000, r, 0, RO},
                     {0x4000, 0x100, s, 0, RO}, {0x101000, 0x1000, r, 0, RO},
                     {0x104000, 0x100, s, 0, RO});
    memory_region_set_readonly(c, false);
    tree_assert_view(t->as, {0x1000, 0x1000, r, 0, RW},
                     {0x4000, 0x100, s, 0, RW}, {0x101000, 0x1000, r, 0, RW},
                     {0x104000, 0x100, s, 0, RW});
}

static void test_readonly_not_upwards(Tree *t, gconstpointer data)
{
    MemoryRegion *big = tree_ram(t, "big", 0x3000);
    MemoryRegion *sub = tree_ram(t, "sub", 0x1000);

    (void)data;
    tree_add(t->root, 0, big);
    tree_add(big, 0x1000, sub);
    memory_region_set_readonly(sub, true);
    tree_assert_view(t->as, {0, 0x1000, big, 0, RW},
                     {0x1000, 0x1000, sub, 0, RO},
                     {0x2000, 0x1000, big, 0x2000, RW});
}

static void test_readonly_rom(Tree *t, gconstpointer data)
{
    MemoryRegion *rom = tree_rom(t, "rom", 0x1000);
    MemoryRegion *a = tree_alias(t, "a", rom, 0, 0x1000);

    (void)data;
    tree_add(t->root, 0, rom);
    tree_add(t->root, 0x4000, a);
    g_assert_true(memory_region_is_rom(rom));
    tree_assert_view(t->as, {0, 0x1000, rom, 0, RO},
                     {0x4000, 0x1000, rom, 0, RO});
}

static void test_nonvolatile_propagates(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x10000);
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    MemoryRegion *plain = tree_ram(t, "plain", 0x1000);
    MemoryRegion *a = tree_alias(t, "a", plain, 0, 0x1000);
    FlatView *fv;

    (void)data;
    tree_add(c, 0, r);
    tree_add(t->root, 0, c);
    tree_add(t->root, 0x10000, plain);
    tree_add(t->root, 0x20000, a);
    memory_region_set_nonvolatile(c, true);
    memory_region_set_nonvolatile(a, true);
    fv = tree_view(t->as);
    g_assert_true(view_lookup(fv, 0)->nonvolatile);
    g_assert_false(view_lookup(fv, 0x10000)->nonvolatile);
    g_assert_true(view_lookup(fv, 0x20000)->nonvolatile);
    g_assert_true(view_lookup(fv, 0x20000)->mr == plain);
    g_assert_false(view_lookup(fv, 0x20000)->readonly);
    flatview_unref(fv);
    memory_region_set_nonvolatile(c, false);
    fv = tree_view(t->as);
    g_assert_false(view_lookup(fv, 0)->nonvolatile);
    flatview_unref(fv);
}

/* ROM devices. */

static void test_romd_initial(Tree *t, gconstpointer data)
{
    MemoryRegion *rd = tree_rom_device(t, "rd", 0x1000);
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    FlatView *fv;

    (void)data;
    tree_add(t->root, 0, rd);
    tree_add(t->root, 0x1000, ram);
    g_assert_true(memory_region_is_romd(rd));
    fv = tree_view(t->as);
    g_assert_true(view_lookup(fv, 0)->romd_mode);
    g_assert_true(view_lookup(fv, 0)->mr == rd);
    g_assert_false(view_lookup(fv, 0x1000)->romd_mode);
    flatview_unref(fv);
}

static void test_romd_set_romd(Tree *t, gconstpointer data)
{
    MemoryRegion *rd = tree_rom_device(t, "rd", 0x1000);
    MemoryRegion *a = tree_alias(t, "a", rd, 0x800, 0x800);
    FlatView *v0, *v1;

    (void)data;
    tree_add(t->root, 0, rd);
    tree_add(t->root, 0x8000, a);
    v0 = tree_view(t->as);
    memory_region_rom_device_set_romd(rd, false);
    g_assert_false(memory_region_is_romd(rd));
    v1 = tree_view(t->as);
    g_assert_true(v1 != v0); /* a mode switch re-renders */
    g_assert_true(view_lookup(v0, 0)->romd_mode);
    g_assert_false(view_lookup(v1, 0)->romd_mode);
    g_assert_false(view_lookup(v1, 0x8000)->romd_mode); /* via alias */
    flatview_unref(v1);
    memory_region_rom_device_set_romd(rd, true);
    v1 = tree_view(t->as);
    g_assert_true(view_lookup(v1, 0)->romd_mode);
    g_assert_true(view_lookup(v1, 0x8000)->romd_mode);
    flatview_unref(v0);
    flatview_unref(v1);
}

/* QEMU's flatview_simplify. */

/*
 * Two 0x1000-byte windows on one RAM region, side by side at 0x10000 and
 * 0x11000: at offsets 0 and @offset2 of the region.
 */
static void side_by_side(Tree *t, hwaddr offset2, MemoryRegion **r,
                         MemoryRegion **a1, MemoryRegion **a2)
{
    *r = tree_ram(t, "r", 0x4000);
    *a1 = tree_alias(t, "a1", *r, 0, 0x1000);
    *a2 = tree_alias(t, "a2", *r, offset2, 0x1000);
    tree_add(t->root, 0x10000, *a1);
    tree_add(t->root, 0x11000, *a2);
}

static void test_merge_adjacent_aliases(Tree *t, gconstpointer data)
{
    MemoryRegion *r, *a1, *a2;

    (void)data;
    side_by_side(t, 0x1000, &r, &a1, &a2);
    tree_assert_view(t->as, {0x10000, 0x2000, r, 0, RW});
}

static void test_merge_same_region_through_overlap(Tree *t, gconstpointer data)
{
    MemoryRegion *r = tree_ram(t, "r", 0x2000);
    MemoryRegion *a = tree_alias(t, "a", r, 0x800, 0x800);

    (void)data;
    /* the alias splits r's range into three pieces that join up again */
    tree_add(t->root, 0, r);
    tree_add_prio(t->root, 0x800, a, 1);
    tree_assert_view(t->as, {0, 0x2000, r, 0, RW});
}

static void test_merge_not_different_readonly(Tree *t, gconstpointer data)
{
    MemoryRegion *r, *a1, *a2;

    (void)data;
    side_by_side(t, 0x1000, &r, &a1, &a2);
    memory_region_set_readonly(a2, true);
    tree_assert_view(t->as, {0x10000, 0x1000, r, 0, RW},
                     {0x11000, 0x1000, r, 0x1000, RO});
}

static void test_merge_not_different_nonvolatile(Tree *t, gconstpointer data)
{
    MemoryRegion *r, *a1, *a2;
    FlatView *fv;

    (void)data;
    side_by_side(t, 0x1000, &r, &a1, &a2);
    memory_region_set_nonvolatile(a1, true);
    tree_assert_view(t->as, {0x10000, 0x1000, r, 0, RW},
                     {0x11000, 0x1000, r, 0x1000, RW});
    fv = tree_view(t->as);
    g_assert_true(view_section(fv, 0)->nonvolatile);
    g_assert_false(view_section(fv, 1)->nonvolatile);
    flatview_unref(fv);
}

static void test_merge_not_discontiguous_offsets(Tree *t, gconstpointer data)
{
    MemoryRegion *r, *a1, *a2;

    (void)data;
    side_by_side(t, 0x2000, &r, &a1, &a2);
    tree_assert_view(t->as, {0x10000, 0x1000, r, 0, RW},
                     {0x11000, 0x1000, r, 0x2000, RW});
}

static void test_merge_not_different_regions(Tree *t, gconstpointer data)
{
    MemoryRegion *r1 = tree_ram(t, "r1", 0x1000);
    MemoryRegion *r2 = tree_ram(t, "r2", 0x1000);

    (void)data;
    tree_add(t->root, 0, r1);
    tree_add(t->root, 0x1000, r2);
    tree_assert_view(t->as, {0, 0x1000, r1, 0, RW},
                     {0x1000, 0x1000, r2, 0, RW});
}

/* The top of the 2^64 space. */

#define TOP_PAGE 0xfffffffffffff000ull

static void test_top_whole_space(Tree *t, gconstpointer data)
{
    MemoryRegion *whole = tree_io(t, "whole", UINT64_MAX); /* 2^64 */
    FlatView *fv;

    (void)data;
    g_assert_cmphex(memory_region_size(whole), ==, UINT64_MAX);
    tree_add(t->root, 0, whole);
    tree_assert_view(t->as, {0, TREE_SIZE_2_64, whole, 0, RW});
    fv = tree_view(t->as);
    g_assert_true(view_lookup(fv, 0)->mr == whole);
    g_assert_true(view_lookup(fv, UINT64_MAX)->mr == whole);
    flatview_unref(fv);
}

static void test_top_last_page(Tree *t, gconstpointer data)
{
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    FlatView *fv;

    (void)data;
    tree_add(t->root, TOP_PAGE, r);
    tree_assert_view(t->as, {TOP_PAGE, 0x1000, r, 0, RW});
    fv = tree_view(t->as);
    g_assert_true(
        section_copy_equal(view_lookup(fv, UINT64_MAX), view_section(fv, 0)));
    g_assert_true(
        section_copy_equal(view_lookup(fv, TOP_PAGE), view_section(fv, 0)));
    g_assert_null(view_lookup(fv, TOP_PAGE - 1));
    g_assert_null(view_lookup(fv, 0));
    flatview_unref(fv);
}

static void test_top_overlap_whole_space(Tree *t, gconstpointer data)
{
    MemoryRegion *whole = tree_io(t, "whole", UINT64_MAX);
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    MemoryRegion *top = tree_ram(t, "top", 0x1000);

    (void)data;
    tree_add_prio(t->root, 0, whole, -1);
    tree_add(t->root, 0x1000, r);
    tree_add(t->root, TOP_PAGE, top);
    tree_assert_view(t->as, {0, 0x1000, whole, 0, RW},
                     {0x1000, 0x1000, r, 0, RW},
                     {0x2000, TOP_PAGE - 0x2000, whole, 0x2000, RW},
                     {TOP_PAGE, 0x1000, top, 0, RW});
}

static void test_top_alias_into_whole(Tree *t, gconstpointer data)
{
    MemoryRegion *whole = tree_io(t, "whole", UINT64_MAX);
    MemoryRegion *low = tree_alias(t, "low", whole, TOP_PAGE, 0x1000);
    MemoryRegion *high = tree_alias(t, "high", whole, 0, UINT64_MAX);
    MemoryRegion *c = tree_container(t, "c", 0 - 0x1000ull);

    (void)data;
    /* the last page of a 2^64 region shown at 0, and a 2^64 alias moved up
     * by 0x1000: clipped to the 2^64 space, offsets stay exact */
    tree_add(t->root, 0, low);
    tree_add(t->root, 0x1000, c);
    tree_assert_view(t->as, {0, 0x1000, whole, TOP_PAGE, RW});
    tree_add(c, 0, high);
    tree_assert_view(t->as, {0, 0x1000, whole, TOP_PAGE, RW},
                     {0x1000, TOP_PAGE, whole, 0, RW});
}

/* Lookup. */

static void test_lookup_holes(Tree *t, gconstpointer data)
{
    MemoryRegion *a = tree_ram(t, "a", 0x1000);
    MemoryRegion *b = tree_io(t, "b", 0x10);
    FlatView *fv;

    (void)data;
    fv = tree_view(t->as);
    g_assert_null(view_lookup(fv, 0));
    g_assert_null(view_lookup(fv, UINT64_MAX));
    flatview_unref(fv);
    tree_add(t->root, 0x1000, a);
    tree_add(t->root, 0x3000, b);
    fv = tree_view(t->as);
    g_assert_null(view_lookup(fv, 0));      /* before the first */
    g_assert_null(view_lookup(fv, 0x2000)); /* between */
    g_assert_null(view_lookup(fv, 0x2fff)); /* between */
    g_assert_null(view_lookup(fv, 0x3010)); /* after the last */
    g_assert_null(view_lookup(fv, UINT64_MAX));
    flatview_unref(fv);
}

static void test_lookup_boundaries(Tree *t, gconstpointer data)
{
    MemoryRegion *rs[9];
    FlatView *fv;
    hwaddr addr = 0x100;

    (void)data;
    /* adjacent and separated sections of various sizes */
    for (unsigned i = 0; i < G_N_ELEMENTS(rs); i++) {
        rs[i] = tree_ram(t, "r", 0x10 * (i + 1));
        tree_add(t->root, addr, rs[i]);
        addr += 0x10 * (i + 1) + (i % 3 == 0 ? 0x20 : 0);
    }
    fv = tree_view(t->as);
    g_assert_cmpuint(flatview_nr_sections(fv), ==, G_N_ELEMENTS(rs));
    for (size_t i = 0; i < flatview_nr_sections(fv); i++) {
        const MemoryRegionSection *s = view_section(fv, i);
        hwaddr first = s->offset_within_address_space;
        hwaddr last = first + (hwaddr)s->size - 1;
        const MemoryRegionSection *before = view_lookup(fv, first - 1);
        const MemoryRegionSection *after = view_lookup(fv, last + 1);

        g_assert_true(s->mr == rs[i]);
        g_assert_true(section_copy_equal(view_lookup(fv, first), s));
        g_assert_true(section_copy_equal(view_lookup(fv, last), s));
        g_assert_true(
            section_copy_equal(view_lookup(fv, first + (last - first) / 2), s));
        if (i > 0 && i % 3 != 1) {
            g_assert_true(section_copy_equal(before, view_section(fv, i - 1)));
        } else {
            g_assert_null(before);
        }
        if (i + 1 < flatview_nr_sections(fv) && i % 3 != 0) {
            g_assert_true(section_copy_equal(after, view_section(fv, i + 1)));
        } else {
            g_assert_null(after);
        }
    }
    g_assert_null(view_section(fv, G_N_ELEMENTS(rs)));
    flatview_unref(fv);
}

static bool count_sections(const MemoryRegionSection *s, void *opaque)
{
    unsigned *n = opaque;

    (void)s;
    return ++*n == 2; /* stop after the second */
}

static void test_lookup_for_each(Tree *t, gconstpointer data)
{
    unsigned n = 0;
    FlatView *fv;

    (void)data;
    tree_add(t->root, 0, tree_ram(t, "a", 0x10));
    tree_add(t->root, 0x20, tree_ram(t, "b", 0x10));
    tree_add(t->root, 0x40, tree_ram(t, "c", 0x10));
    fv = tree_view(t->as);
    flatview_for_each_section(fv, count_sections, &n);
    g_assert_cmpuint(n, ==, 2);
    flatview_unref(fv);
}

static void test_lookup_empty_view(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x1000);
    AddressSpace *as = tree_as(t, c, "empty");
    FlatView *fv = tree_view(as);

    (void)data;
    g_assert_cmpuint(flatview_nr_sections(fv), ==, 0);
    g_assert_null(view_lookup(fv, 0));
    g_assert_null(view_section(fv, 0));
    g_assert_null(flatview_root(fv)); /* QEMU: no enabled child, no root */
    flatview_unref(fv);
}

/* FlatView sharing (QEMU's memory_region_get_flatview_root). */

static void test_share_same_root(Tree *t, gconstpointer data)
{
    AddressSpace *as2 = tree_as(t, t->root, "as2");
    FlatView *v1, *v2, *old;

    (void)data;
    tree_add(t->root, 0, tree_ram(t, "r", 0x1000));
    tree_add(t->root, 0x2000, tree_ram(t, "s", 0x1000));
    v1 = tree_view(t->as);
    v2 = tree_view(as2);
    g_assert_true(v1 == v2);
    old = v1;
    flatview_unref(v2);
    tree_add(t->root, 0x4000, tree_io(t, "io", 0x100));
    v1 = tree_view(t->as);
    v2 = tree_view(as2);
    g_assert_true(v1 == v2);
    g_assert_true(v1 != old);
    g_assert_cmpuint(flatview_nr_sections(v1), ==, 3);
    flatview_unref(old);
    flatview_unref(v1);
    flatview_unref(v2);
}

/* A second root whose only child is a whole alias of t->root. */
static MemoryRegion *wrap_root(Tree *t, MemoryRegion **alias)
{
    MemoryRegion *w = tree_container(t, "wrapper", UINT64_MAX);

    *alias = tree_alias(t, "whole", t->root, 0, UINT64_MAX);
    tree_add(w, 0, *alias);
    return w;
}

static void test_share_whole_alias(Tree *t, gconstpointer data)
{
    MemoryRegion *alias;
    MemoryRegion *w = wrap_root(t, &alias);
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    AddressSpace *as2;
    FlatView *v1, *v2;

    (void)data;
    tree_add(t->root, 0x1000, r);
    as2 = tree_as(t, w, "wrapped");
    v1 = tree_view(t->as);
    v2 = tree_view(as2);
    g_assert_true(v1 == v2);
    g_assert_true(flatview_root(v1) == t->root);
    flatview_unref(v1);
    flatview_unref(v2);
    /* a change under the shared root: still one view */
    tree_add(t->root, 0x4000, tree_ram(t, "s", 0x1000));
    v1 = tree_view(t->as);
    v2 = tree_view(as2);
    g_assert_true(v1 == v2);
    g_assert_cmpuint(flatview_nr_sections(v1), ==, 2);
    flatview_unref(v1);
    flatview_unref(v2);
}

static void test_share_not_partial_alias(Tree *t, gconstpointer data)
{
    MemoryRegion *w1 = tree_container(t, "w1", UINT64_MAX);
    MemoryRegion *w2 = tree_container(t, "w2", UINT64_MAX);
    MemoryRegion *off = tree_alias(t, "off", t->root, 0x1000, 0x100000);
    MemoryRegion *part = tree_alias(t, "part", t->root, 0, 0x100000);
    AddressSpace *as1, *as2;
    FlatView *v0, *v1, *v2;

    (void)data;
    tree_add(t->root, 0x1000, tree_ram(t, "r", 0x1000));
    tree_add(w1, 0, off);
    tree_add(w2, 0, part);
    as1 = tree_as(t, w1, "offset");
    as2 = tree_as(t, w2, "partial");
    v0 = tree_view(t->as);
    v1 = tree_view(as1);
    v2 = tree_view(as2);
    g_assert_true(v1 != v0);
    g_assert_true(v2 != v0);
    g_assert_true(v1 != v2);
    g_assert_true(view_lookup(v1, 0)->mr == view_lookup(v0, 0x1000)->mr);
    flatview_unref(v0);
    flatview_unref(v1);
    flatview_unref(v2);
}

static void test_share_second_child_unshares(Tree *t, gconstpointer data)
{
    MemoryRegion *alias;
    MemoryRegion *w = wrap_root(t, &alias);
    MemoryRegion *extra = tree_io(t, "extra", 0x1000);
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    AddressSpace *as2 = tree_as(t, w, "wrapped");
    FlatView *v1, *v2;

    (void)data;
    tree_add(t->root, 0x1000, r);
    /* a disabled second child does not count (QEMU counts enabled ones) */
    memory_region_set_enabled(extra, false);
    tree_add_prio(w, 0x10000, extra, 1);
    v1 = tree_view(t->as);
    v2 = tree_view(as2);
    g_assert_true(v1 == v2);
    flatview_unref(v1);
    flatview_unref(v2);
    memory_region_set_enabled(extra, true);
    v1 = tree_view(t->as);
    v2 = tree_view(as2);
    g_assert_true(v1 != v2);
    g_assert_true(flatview_root(v2) == w);
    g_assert_true(view_lookup(v2, 0x10000)->mr == extra);
    g_assert_true(view_lookup(v2, 0x1000)->mr == r);
    g_assert_null(view_lookup(v1, 0x10000));
    flatview_unref(v1);
    flatview_unref(v2);
    memory_region_set_enabled(extra, false);
    v1 = tree_view(t->as);
    v2 = tree_view(as2);
    g_assert_true(v1 == v2);
    flatview_unref(v1);
    flatview_unref(v2);
}

static void test_share_unrelated_root_kept(Tree *t, gconstpointer data)
{
    MemoryRegion *other = tree_container(t, "other", 0x100000);
    AddressSpace *as2;
    FlatView *a0, *b0, *a1, *b1;

    (void)data;
    tree_add(t->root, 0, tree_ram(t, "r", 0x1000));
    tree_add(other, 0, tree_ram(t, "s", 0x1000));
    tree_add(other, 0x2000, tree_ram(t, "u", 0x1000));
    as2 = tree_as(t, other, "other");
    a0 = tree_view(t->as);
    b0 = tree_view(as2);
    tree_add(other, 0x4000, tree_io(t, "io", 0x100));
    a1 = tree_view(t->as);
    b1 = tree_view(as2);
    g_assert_true(a1 == a0); /* not re-rendered */
    g_assert_true(b1 != b0);
    g_assert_cmpuint(flatview_nr_sections(b1), ==, 3);
    flatview_unref(a0);
    flatview_unref(b0);
    flatview_unref(a1);
    flatview_unref(b1);
}

/* References. */

static void test_ref_live_view(Tree *t, gconstpointer data)
{
    FlatView *fv;

    (void)data;
    rcu_read_lock();
    fv = address_space_to_flatview(t->as);
    g_assert_true(flatview_ref(fv));
    rcu_read_unlock();
    flatview_unref(fv);
}

static void test_ref_retired_view_fails(Tree *t, gconstpointer data)
{
    FlatView *fv;

    (void)data;
    rcu_read_lock();
    fv = address_space_to_flatview(t->as);
    /* replaced: the group held the only reference; the read-side section
     * keeps the memory valid, but the view cannot be revived */
    tree_add(t->root, 0, tree_ram(t, "r", 0x1000));
    g_assert_false(flatview_ref(fv));
    g_assert_true(address_space_to_flatview(t->as) != fv);
    rcu_read_unlock();
}

static void test_ref_held_view_unchanged(Tree *t, gconstpointer data)
{
    MemoryRegion *r = tree_ram(t, "r", 0x1000);
    FlatView *old;

    (void)data;
    tree_add(t->root, 0, r);
    old = tree_view(t->as);
    tree_del(t->root, r);
    drain_call_rcu();
    /* the held view still shows what it showed */
    g_assert_cmpuint(flatview_nr_sections(old), ==, 1);
    g_assert_true(view_lookup(old, 0x800)->mr == r);
    g_assert_cmpstr(memory_region_name(view_lookup(old, 0)->mr), ==, "r");
    tree_assert_view_empty(t->as);
    flatview_unref(old);
}

/*
 * @v shows @w's content for [@off, @off + @len) at @at: every 16th address
 * answers with the region and offset @w's own mapping at @w_at gives.
 */
static void assert_same_window(FlatView *v, hwaddr w_at, hwaddr at, hwaddr off,
                               hwaddr len)
{
    for (hwaddr d = 0; d < len; d += 0x10) {
        const MemoryRegionSection *a = view_lookup(v, w_at + off + d);
        const MemoryRegionSection *b = view_lookup(v, at + d);

        g_assert_true((a == NULL) == (b == NULL));
        if (a) {
            g_assert_true(a->mr == b->mr);
            g_assert_cmphex(
                a->offset_within_region +
                    (w_at + off + d - a->offset_within_address_space),
                ==,
                b->offset_within_region +
                    (at + d - b->offset_within_address_space));
        }
    }
}

static void test_index_wide_container(Tree *t, gconstpointer data)
{
    enum { KIDS = 48, WIN = 6 };
    GRand *rand = g_rand_new_with_seed(14);
    MemoryRegion *w = tree_container(t, "w", 0x10000), *kids[KIDS];
    hwaddr off[WIN], len[WIN];
    FlatView *v;

    (void)data;
    /* overlapping children, every priority order, later-added ties */
    for (unsigned i = 0; i < KIDS; i++) {
        uint64_t size = 0x100 * (uint64_t)g_rand_int_range(rand, 1, 32);

        kids[i] = tree_ram(t, "k", size);
        tree_add_prio(w, 0x100 * (hwaddr)g_rand_int_range(rand, 0, 0xf0),
                      kids[i], g_rand_int_range(rand, -2, 3));
    }
    /* @w whole (no clip: list walk) and through alias windows (clipped:
     * its address index) */
    tree_add(t->root, 0x100000, w);
    for (unsigned k = 0; k < WIN; k++) {
        off[k] = 0x10 * (hwaddr)g_rand_int_range(rand, 0, 0xe00);
        len[k] = 0x10 * (hwaddr)g_rand_int_range(rand, 1, 0x200);
        tree_add(t->root, 0x20000 * (k + 1),
                 tree_alias(t, "win", w, off[k], len[k]));
    }
    for (unsigned round = 0; round < 3; round++) {
        v = tree_view(t->as);
        for (unsigned k = 0; k < WIN; k++) {
            assert_same_window(v, 0x100000, 0x20000 * (k + 1), off[k], len[k]);
        }
        flatview_unref(v);
        /* the index follows moves, resizes, removals and re-additions */
        for (unsigned i = 0; i < KIDS; i += 3) {
            tree_set_address(kids[i],
                             0x100 * (hwaddr)g_rand_int_range(rand, 0, 0xf0));
            tree_check(memory_region_set_size(kids[i + 1], 0x100, NULL), NULL);
            tree_del(w, kids[i + 2]);
            tree_add_prio(w, 0x100 * (hwaddr)g_rand_int_range(rand, 0, 0xf0),
                          kids[i + 2], g_rand_int_range(rand, -2, 3));
        }
    }
    g_rand_free(rand);
}

#define ADD(path, fn) \
    g_test_add(path, Tree, NULL, tree_setup, fn, tree_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("/render/clip/by-parent", test_clip_by_parent);
    ADD("/render/clip/by-ancestors", test_clip_by_ancestors);
    ADD("/render/priority/higher-wins", test_priority_higher_wins);
    ADD("/render/priority/negative-loses", test_priority_negative_loses);
    ADD("/render/priority/later-added-wins", test_priority_later_added_wins);
    ADD("/render/priority/set-address-reinserts",
        test_priority_set_address_reinserts);
    ADD("/render/priority/same-address-keeps-order",
        test_priority_same_address_keeps_order);
    ADD("/render/priority/among-siblings-only",
        test_priority_among_siblings_only);
    ADD("/render/terminating/subregions-first",
        test_terminating_ram_subregions_first);
    ADD("/render/terminating/mmio-fills-gaps",
        test_terminating_mmio_fills_gaps);
    ADD("/render/container/holes-stay-holes", test_container_holes_stay_holes);
    ADD("/render/container/holes-show-lower", test_container_holes_show_lower);
    ADD("/render/alias/offset-window", test_alias_offset_window);
    ADD("/render/alias/window-past-target", test_alias_window_past_target);
    ADD("/render/alias/set-offset", test_alias_set_offset);
    ADD("/render/alias/of-alias", test_alias_of_alias);
    ADD("/render/alias/of-container", test_alias_of_container);
    ADD("/render/alias/target-address-ignored",
        test_alias_target_address_ignored);
    ADD("/render/disabled/region", test_disabled_region);
    ADD("/render/disabled/container-hides-subtree",
        test_disabled_container_hides_subtree);
    ADD("/render/disabled/alias-target", test_disabled_alias_target);
    ADD("/render/readonly/alias", test_readonly_alias);
    ADD("/render/readonly/container", test_readonly_container);
    ADD("/render/readonly/not-upwards", test_readonly_not_upwards);
    ADD("/render/readonly/rom", test_readonly_rom);
    ADD("/render/nonvolatile/propagates", test_nonvolatile_propagates);
    ADD("/render/romd/rom-device-initial", test_romd_initial);
    ADD("/render/romd/set-romd", test_romd_set_romd);
    ADD("/render/merge/adjacent-aliases", test_merge_adjacent_aliases);
    ADD("/render/merge/same-region-through-overlap",
        test_merge_same_region_through_overlap);
    ADD("/render/merge/not-different-readonly",
        test_merge_not_different_readonly);
    ADD("/render/merge/not-different-nonvolatile",
        test_merge_not_different_nonvolatile);
    ADD("/render/merge/not-discontiguous-offsets",
        test_merge_not_discontiguous_offsets);
    ADD("/render/merge/not-different-regions",
        test_merge_not_different_regions);
    ADD("/render/top/whole-space", test_top_whole_space);
    ADD("/render/top/last-page", test_top_last_page);
    ADD("/render/top/overlap-whole-space", test_top_overlap_whole_space);
    ADD("/render/top/alias-into-whole", test_top_alias_into_whole);
    ADD("/render/lookup/holes", test_lookup_holes);
    ADD("/render/lookup/boundaries", test_lookup_boundaries);
    ADD("/render/lookup/for-each-stops", test_lookup_for_each);
    ADD("/render/lookup/empty-view", test_lookup_empty_view);
    ADD("/render/index/wide-container", test_index_wide_container);
    ADD("/flatview/share/same-root", test_share_same_root);
    ADD("/flatview/share/whole-alias", test_share_whole_alias);
    ADD("/flatview/share/not-partial-alias", test_share_not_partial_alias);
    ADD("/flatview/share/second-child-unshares",
        test_share_second_child_unshares);
    ADD("/flatview/share/unrelated-root-kept", test_share_unrelated_root_kept);
    ADD("/flatview/ref/live-view", test_ref_live_view);
    ADD("/flatview/ref/retired-view-fails", test_ref_retired_view_fails);
    ADD("/flatview/ref/held-view-unchanged", test_ref_held_view_unchanged);
    return g_test_run();
}
