/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the region-tree, render and lifetime unit tests: a
 * fixture (Tree) that owns every region and AddressSpace a test creates and
 * tears them down in a safe order, constructors that assert success, and
 * FlatView comparisons.
 *
 * Views are always taken with a reference (tree_view()): comparing the
 * pointers of views that may already be freed could match a new view
 * allocated at the same address.
 */
#ifndef TESTS_UNIT_TREE_HELPERS_H
#define TESTS_UNIT_TREE_HELPERS_H

#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "section-copy.h"

/** 2^64 as a section size. */
#define TREE_SIZE_2_64 (((addrspace_u128)1) << 64)

typedef struct Tree {
    GPtrArray *regions; /* MemoryRegion *: finalized, then freed */
    GPtrArray *spaces;  /* AddressSpace *: destroyed, then freed */
    MemoryRegion *root; /* a container of 2^64 bytes */
    AddressSpace *as;   /* over @root */
} Tree;

/* MMIO ops without callbacks: reads give 0, writes are dropped. */
static inline const MemoryRegionOps *tree_null_ops(void)
{
    static const MemoryRegionOps ops = {
        .endianness = DEVICE_LITTLE_ENDIAN,
    };

    return &ops;
}

/* Zero-filled storage for a region, freed at teardown. */
static inline MemoryRegion *tree_storage(Tree *t)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);

    g_ptr_array_add(t->regions, mr);
    return mr;
}

static inline void tree_check(bool ok, GError *err)
{
    g_assert_no_error(err);
    g_assert_true(ok);
}

static inline MemoryRegion *tree_container(Tree *t, const char *name,
                                           uint64_t size)
{
    MemoryRegion *mr = tree_storage(t);
    GError *err = NULL;

    tree_check(memory_region_init(mr, NULL, name, size, &err), err);
    return mr;
}

static inline MemoryRegion *tree_ram(Tree *t, const char *name, uint64_t size)
{
    MemoryRegion *mr = tree_storage(t);
    GError *err = NULL;

    tree_check(memory_region_init_ram(mr, NULL, name, size, &err), err);
    return mr;
}

static inline MemoryRegion *tree_rom(Tree *t, const char *name, uint64_t size)
{
    MemoryRegion *mr = tree_storage(t);
    GError *err = NULL;

    tree_check(memory_region_init_rom(mr, NULL, name, size, &err), err);
    return mr;
}

static inline MemoryRegion *tree_rom_device(Tree *t, const char *name,
                                            uint64_t size)
{
    MemoryRegion *mr = tree_storage(t);
    GError *err = NULL;

    tree_check(memory_region_init_rom_device(mr, NULL, tree_null_ops(), NULL,
                                             name, size, &err),
               err);
    return mr;
}

static inline MemoryRegion *tree_io(Tree *t, const char *name, uint64_t size)
{
    MemoryRegion *mr = tree_storage(t);
    GError *err = NULL;

    tree_check(memory_region_init_io(mr, NULL, tree_null_ops(), NULL, name,
                                     size, &err),
               err);
    return mr;
}

static inline MemoryRegion *tree_alias(Tree *t, const char *name,
                                       MemoryRegion *orig, hwaddr offset,
                                       uint64_t size)
{
    MemoryRegion *mr = tree_storage(t);
    GError *err = NULL;

    tree_check(
        memory_region_init_alias(mr, NULL, name, orig, offset, size, &err),
        err);
    return mr;
}

static inline void tree_add(MemoryRegion *parent, hwaddr addr,
                            MemoryRegion *sub)
{
    GError *err = NULL;

    tree_check(memory_region_add_subregion(parent, addr, sub, &err), err);
}

static inline void tree_add_prio(MemoryRegion *parent, hwaddr addr,
                                 MemoryRegion *sub, int priority)
{
    GError *err = NULL;

    tree_check(
        memory_region_add_subregion_overlap(parent, addr, sub, priority, &err),
        err);
}

static inline void tree_del(MemoryRegion *parent, MemoryRegion *sub)
{
    GError *err = NULL;

    tree_check(memory_region_del_subregion(parent, sub, &err), err);
}

static inline void tree_set_address(MemoryRegion *mr, hwaddr addr)
{
    GError *err = NULL;

    tree_check(memory_region_set_address(mr, addr, &err), err);
}

static inline AddressSpace *tree_as(Tree *t, MemoryRegion *root,
                                    const char *name)
{
    AddressSpace *as = g_new0(AddressSpace, 1);
    GError *err = NULL;

    tree_check(address_space_init(as, root, name, &err), err);
    g_ptr_array_add(t->spaces, as);
    return as;
}

/* The current view of @as, with a reference: flatview_unref() it. */
static inline FlatView *tree_view(AddressSpace *as)
{
    return address_space_get_flatview(as);
}

static inline void tree_setup(Tree *t, gconstpointer data)
{
    (void)data;
    t->regions = g_ptr_array_new();
    t->spaces = g_ptr_array_new();
    t->root = tree_container(t, "root", UINT64_MAX);
    t->as = tree_as(t, t->root, "as");
}

static inline void tree_teardown(Tree *t, gconstpointer data)
{
    (void)data;
    for (guint i = t->spaces->len; i-- > 0;) {
        address_space_destroy(t->spaces->pdata[i]);
        g_free(t->spaces->pdata[i]);
    }
    /* the views, which point at the regions, are freed after this */
    drain_call_rcu();
    for (guint i = 0; i < t->regions->len; i++) {
        memory_region_finalize(t->regions->pdata[i]);
    }
    for (guint i = 0; i < t->regions->len; i++) {
        g_free(t->regions->pdata[i]);
    }
    g_ptr_array_free(t->regions, true);
    g_ptr_array_free(t->spaces, true);
}

/* One expected section: where, what, and whether it is read-only. */
typedef struct ExpSection {
    hwaddr start;
    addrspace_u128 size;
    MemoryRegion *mr;
    hwaddr offset;
    bool readonly;
} ExpSection;

static inline void tree_print_view(FlatView *fv)
{
    for (size_t i = 0; i < flatview_nr_sections(fv); i++) {
        const MemoryRegionSection *s = view_section(fv, i);

        g_test_message("  [%zu] 0x%" PRIx64 " +0x%" PRIx64 "%s %s @0x%" PRIx64
                       "%s%s%s",
                       i, s->offset_within_address_space, (uint64_t)s->size,
                       s->size == TREE_SIZE_2_64 ? " (2^64)" : "",
                       memory_region_name(s->mr), s->offset_within_region,
                       s->readonly ? " ro" : "", s->nonvolatile ? " nv" : "",
                       s->romd_mode ? " romd" : "");
    }
}

/* @fv consists of exactly the @n sections of @exp, in address order. */
static inline void tree_assert_sections(FlatView *fv, const ExpSection *exp,
                                        size_t n)
{
    bool same = flatview_nr_sections(fv) == n;

    for (size_t i = 0; same && i < n; i++) {
        const MemoryRegionSection *s = view_section(fv, i);

        same = s->offset_within_address_space == exp[i].start &&
               s->size == exp[i].size && s->mr == exp[i].mr &&
               s->offset_within_region == exp[i].offset &&
               s->readonly == exp[i].readonly && s->fv == fv;
    }
    if (!same) {
        g_test_message("view %p has %zu sections, expected %zu:", (void *)fv,
                       flatview_nr_sections(fv), n);
        tree_print_view(fv);
        for (size_t i = 0; i < n; i++) {
            g_test_message("  expected [%zu] 0x%" PRIx64 " +0x%" PRIx64
                           " %s @0x%" PRIx64 "%s",
                           i, exp[i].start, (uint64_t)exp[i].size,
                           memory_region_name(exp[i].mr), exp[i].offset,
                           exp[i].readonly ? " ro" : "");
        }
    }
    g_assert_true(same);
}

/* The current view of @as is exactly @exp (see tree_assert_sections()). */
#define tree_assert_view(as, ...)                                      \
    do {                                                               \
        const ExpSection exp_[] = {__VA_ARGS__};                       \
        FlatView *fv_ = tree_view(as);                                 \
        tree_assert_sections(fv_, exp_, sizeof(exp_) / sizeof(*exp_)); \
        flatview_unref(fv_);                                           \
    } while (0)

/* The current view of @as has no section at all. */
static inline void tree_assert_view_empty(AddressSpace *as)
{
    FlatView *fv = tree_view(as);

    tree_assert_sections(fv, NULL, 0);
    flatview_unref(fv);
}

#endif /* TESTS_UNIT_TREE_HELPERS_H */
