/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the region tree: bad input is refused with a GError and
 * leaves the tree (and its FlatView) unchanged; transactions re-render once,
 * at the outermost commit.
 */
#include <pthread.h>

#include "tree-helpers.h"

/* What the public accessors say about one region. */
typedef struct RegionState {
    MemoryRegion *mr;
    MemoryRegionKind kind;
    char *name;
    MemoryRegion *container;
    MemoryRegion *alias;
    hwaddr addr;
    hwaddr alias_offset;
    uint64_t size;
    int priority;
    bool enabled;
    bool readonly;
} RegionState;

/* The tree and its current view, taken before a call that must fail. */
typedef struct Snapshot {
    GArray *regions; /* RegionState */
    FlatView *view;  /* referenced */
} Snapshot;

static RegionState region_state(MemoryRegion *mr)
{
    RegionState st = {.mr = mr, .kind = memory_region_kind(mr)};

    if (st.kind == MR_KIND_NONE) {
        return st;
    }
    st.name = g_strdup(memory_region_name(mr));
    st.container = memory_region_get_container(mr);
    st.alias = memory_region_get_alias(mr);
    st.addr = memory_region_get_address(mr);
    st.alias_offset = memory_region_get_alias_offset(mr);
    st.size = memory_region_size(mr);
    st.priority = memory_region_get_priority(mr);
    st.enabled = memory_region_is_enabled(mr);
    st.readonly = memory_region_is_readonly(mr);
    return st;
}

static Snapshot snapshot_take(Tree *t)
{
    Snapshot snap = {
        .regions = g_array_new(false, false, sizeof(RegionState)),
        .view = tree_view(t->as),
    };

    for (guint i = 0; i < t->regions->len; i++) {
        RegionState st = region_state(t->regions->pdata[i]);

        g_array_append_val(snap.regions, st);
    }
    return snap;
}

/*
 * Nothing changed since @snap: no commit happened (same view), every
 * region reads the same, and a forced re-render gives the same sections
 * (a change that skipped the commit would show up there).
 */
static void snapshot_assert_unchanged(Tree *t, Snapshot *snap)
{
    FlatView *now = tree_view(t->as);

    g_assert_true(now == snap->view);
    flatview_unref(now);
    for (guint i = 0; i < snap->regions->len; i++) {
        RegionState *was = &g_array_index(snap->regions, RegionState, i);
        RegionState is = region_state(was->mr);

        g_assert_cmpint(is.kind, ==, was->kind);
        g_assert_cmpstr(is.name, ==, was->name);
        g_assert_true(is.container == was->container);
        g_assert_true(is.alias == was->alias);
        g_assert_cmphex(is.addr, ==, was->addr);
        g_assert_cmphex(is.alias_offset, ==, was->alias_offset);
        g_assert_cmphex(is.size, ==, was->size);
        g_assert_cmpint(is.priority, ==, was->priority);
        g_assert_cmpint(is.enabled, ==, was->enabled);
        g_assert_cmpint(is.readonly, ==, was->readonly);
        g_free(is.name);
        g_free(was->name);
    }
    g_array_free(snap->regions, true);

    /* touch every region: whichever is the effective root is re-rendered */
    memory_region_transaction_begin();
    for (guint i = 0; i < t->regions->len; i++) {
        MemoryRegion *mr = t->regions->pdata[i];
        bool enabled = memory_region_is_enabled(mr);

        memory_region_set_enabled(mr, !enabled);
        memory_region_set_enabled(mr, enabled);
    }
    memory_region_transaction_commit();
    now = tree_view(t->as);
    g_assert_true(now != snap->view); /* it really re-rendered */
    g_assert_cmpuint(flatview_nr_sections(now), ==,
                     flatview_nr_sections(snap->view));
    for (size_t i = 0; i < flatview_nr_sections(now); i++) {
        const MemoryRegionSection *a = view_section(now, i);
        const MemoryRegionSection *b = view_section(snap->view, i);

        g_assert_true(a->mr == b->mr);
        g_assert_cmphex(a->offset_within_address_space, ==,
                        b->offset_within_address_space);
        g_assert_true(a->size == b->size);
        g_assert_cmphex(a->offset_within_region, ==, b->offset_within_region);
        g_assert_cmpint(a->readonly, ==, b->readonly);
        g_assert_cmpint(a->nonvolatile, ==, b->nonvolatile);
        g_assert_cmpint(a->romd_mode, ==, b->romd_mode);
    }
    flatview_unref(now);
    flatview_unref(snap->view);
}

static void assert_error(bool ok, GError **err, AddrspaceErrorCode code)
{
    g_assert_false(ok);
    g_assert_error(*err, ADDRSPACE_ERROR, (gint)code);
    g_assert_nonnull((*err)->message);
    g_clear_error(err);
}

/* A small populated tree for the error tests: two RAMs and an MMIO. */
typedef struct Populated {
    MemoryRegion *bus;  /* container at 0x10000 */
    MemoryRegion *ram;  /* 0x1000 at 0 in root */
    MemoryRegion *mmio; /* 0x100 at 0x200 in bus */
} Populated;

static Populated populate(Tree *t)
{
    Populated p = {
        .bus = tree_container(t, "bus", 0x1000),
        .ram = tree_ram(t, "ram", 0x1000),
        .mmio = tree_io(t, "mmio", 0x100),
    };

    tree_add(t->root, 0, p.ram);
    tree_add(t->root, 0x10000, p.bus);
    tree_add(p.bus, 0x200, p.mmio);
    return p;
}

static void test_error_already_has_parent(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    MemoryRegion *other = tree_container(t, "other", 0x10000);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    tree_add(t->root, 0x20000, other);
    snap = snapshot_take(t);
    /* into another parent, and into the same parent again */
    assert_error(memory_region_add_subregion(other, 0, p.mmio, &err), &err,
                 ADDRSPACE_ERROR_BUSY);
    assert_error(
        memory_region_add_subregion_overlap(p.bus, 0x400, p.mmio, 1, &err),
        &err, ADDRSPACE_ERROR_BUSY);
    assert_error(memory_region_add_subregion(t->root, 0, p.ram, &err), &err,
                 ADDRSPACE_ERROR_BUSY);
    snapshot_assert_unchanged(t, &snap);
}

static void test_error_into_itself(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    MemoryRegion *loose = tree_container(t, "loose", 0x1000);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    (void)p;
    snap = snapshot_take(t);
    assert_error(memory_region_add_subregion(loose, 0, loose, &err), &err,
                 ADDRSPACE_ERROR_CYCLE);
    /* a terminating region may have subregions, but not itself */
    {
        MemoryRegion *ram = tree_ram(t, "ram2", 0x1000);

        assert_error(memory_region_add_subregion_overlap(ram, 0, ram, 1, &err),
                     &err, ADDRSPACE_ERROR_CYCLE);
    }
    snapshot_assert_unchanged(t, &snap);
    g_assert_null(memory_region_get_container(loose));
}

static void test_error_into_own_subtree(Tree *t, gconstpointer data)
{
    MemoryRegion *top = tree_container(t, "top", 0x100000);
    MemoryRegion *a = tree_container(t, "a", 0x10000);
    MemoryRegion *b = tree_container(t, "b", 0x1000);
    MemoryRegion *c = tree_ram(t, "c", 0x100);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    /* top > a > b > c, top not in the address space's tree */
    tree_add(top, 0, a);
    tree_add(a, 0x1000, b);
    tree_add(b, 0, c);
    tree_add(t->root, 0x40000, tree_ram(t, "other", 0x100));
    snap = snapshot_take(t);
    /* under its child, its grandchild, and a terminating leaf */
    assert_error(memory_region_add_subregion(a, 0x8000, top, &err), &err,
                 ADDRSPACE_ERROR_CYCLE);
    assert_error(memory_region_add_subregion(b, 0x800, top, &err), &err,
                 ADDRSPACE_ERROR_CYCLE);
    assert_error(memory_region_add_subregion_overlap(c, 0, top, 1, &err), &err,
                 ADDRSPACE_ERROR_CYCLE);
    snapshot_assert_unchanged(t, &snap);
    g_assert_null(memory_region_get_container(top));
}

static void test_error_alias_cycle_direct(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x10000);
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *a;
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    tree_add(c, 0, ram);
    tree_add(t->root, 0, c);
    a = tree_alias(t, "a", c, 0, 0x10000);
    snap = snapshot_take(t);
    /* c > a -> c: rendering would never end */
    assert_error(memory_region_add_subregion_overlap(c, 0x8000, a, 1, &err),
                 &err, ADDRSPACE_ERROR_CYCLE);
    snapshot_assert_unchanged(t, &snap);
    g_assert_null(memory_region_get_container(a));
}

static void test_error_alias_cycle_through_containers(Tree *t,
                                                      gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x10000);
    MemoryRegion *d = tree_container(t, "d", 0x1000);
    MemoryRegion *e = tree_container(t, "e", 0x100);
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *a, *aa, *holder;
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    tree_add(c, 0, ram);
    tree_add(c, 0x2000, d);
    tree_add(d, 0x10, e);
    tree_add(t->root, 0, c);
    a = tree_alias(t, "a", c, 0, 0x8000);
    aa = tree_alias(t, "aa", a, 0x100, 0x100); /* alias of the alias */
    holder = tree_container(t, "holder", 0x1000);
    tree_add(holder, 0, aa);
    snap = snapshot_take(t);
    assert_error(memory_region_add_subregion(d, 0x100, a, &err), &err,
                 ADDRSPACE_ERROR_CYCLE);
    assert_error(memory_region_add_subregion(e, 0, a, &err), &err,
                 ADDRSPACE_ERROR_CYCLE);
    /* holder > aa -> a -> c > d > holder */
    assert_error(memory_region_add_subregion(d, 0x400, holder, &err), &err,
                 ADDRSPACE_ERROR_CYCLE);
    snapshot_assert_unchanged(t, &snap);
    g_assert_null(memory_region_get_container(a));
    g_assert_null(memory_region_get_container(holder));
}

static void test_error_del_non_child(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    MemoryRegion *loose = tree_ram(t, "loose", 0x100);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    snap = snapshot_take(t);
    /* child of another parent, grandchild, no parent, itself */
    assert_error(memory_region_del_subregion(p.bus, p.ram, &err), &err,
                 ADDRSPACE_ERROR_NOT_FOUND);
    assert_error(memory_region_del_subregion(t->root, p.mmio, &err), &err,
                 ADDRSPACE_ERROR_NOT_FOUND);
    assert_error(memory_region_del_subregion(t->root, loose, &err), &err,
                 ADDRSPACE_ERROR_NOT_FOUND);
    assert_error(memory_region_del_subregion(p.bus, p.bus, &err), &err,
                 ADDRSPACE_ERROR_NOT_FOUND);
    snapshot_assert_unchanged(t, &snap);
}

/* RAM-backed regions need a RAM block: size 0 is refused for them. */
static void test_error_size_zero_ram(Tree *t, gconstpointer data)
{
    MemoryRegion *mr = tree_storage(t);
    static uint8_t buf[16];
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    populate(t);
    snap = snapshot_take(t);
    assert_error(memory_region_init_ram(mr, NULL, "r", 0, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_init_ram_ptr(mr, NULL, "r", 0, buf, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_init_ram_device_ptr(mr, NULL, "r", 0, buf, &err),
                 &err, ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_init_rom(mr, NULL, "r", 0, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_init_rom_device(mr, NULL, tree_null_ops(), NULL,
                                               "rd", 0, &err),
                 &err, ADDRSPACE_ERROR_INVALID);
    g_assert_cmpint(memory_region_kind(mr), ==, MR_KIND_NONE);
    snapshot_assert_unchanged(t, &snap);
}

/*
 * QEMU accepts size 0 for every other kind, and a resize to 0 (q35's
 * "tseg-blackhole" and "tseg-window" start so): such a region renders
 * nothing, collides with nothing, and can grow again.
 */
static void test_size_zero_accepted(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    MemoryRegion *c = tree_container(t, "c", 0);
    MemoryRegion *io = tree_io(t, "io", 0);
    MemoryRegion *res = tree_storage(t);
    MemoryRegion *a = tree_alias(t, "a", p.ram, 0x1000, 0);
    MemoryRegion *a2 = tree_storage(t), *x, *y;
    MemoryRegion *loose = tree_container(t, "loose", 0x1000);
    GError *err = NULL;

    (void)data;
    tree_check(memory_region_init_reservation(res, NULL, "res", 0, &err), err);
    /* a zero window at the very end of its target */
    tree_check(memory_region_init_alias(a2, NULL, "a2", p.ram, 0x1000, 0, &err),
               err);
    g_assert_cmpuint(memory_region_size(c), ==, 0);
    g_assert_cmpuint(memory_region_size(a), ==, 0);
    tree_add(p.ram, 0x800, io);
    tree_add(t->root, 0x800, c);
    tree_add(t->root, 0x10200, res);
    tree_add_prio(t->root, 0x10280, a, 1);
    tree_add(t->root, 0x20000, a2);
    /* inside siblings, yet no collision */
    g_assert_false(memory_region_find_collision(t->root, &x, &y));
    g_assert_false(memory_region_find_collision(p.ram, &x, &y));
    tree_assert_view(t->as, {0, 0x1000, p.ram, 0, false},
                     {0x10200, 0x100, p.mmio, 0, false});
    /* shrink to 0 and grow again */
    tree_check(memory_region_set_size(p.mmio, 0, &err), err);
    g_assert_cmpuint(memory_region_size(p.mmio), ==, 0);
    tree_assert_view(t->as, {0, 0x1000, p.ram, 0, false});
    tree_check(memory_region_set_size(p.bus, 0, &err), err);
    tree_check(memory_region_set_size(p.bus, 0x1000, &err), err);
    tree_check(memory_region_set_size(p.mmio, 0x80, &err), err);
    g_assert_cmpuint(memory_region_size(p.mmio), ==, 0x80);
    tree_check(memory_region_set_size(res, 0x10, &err), err);
    tree_assert_view(t->as, {0, 0x1000, p.ram, 0, false},
                     {0x10200, 0x10, res, 0, false},
                     {0x10210, 0x70, p.mmio, 0x10, false});
    /* 0 and 2^64 both wrap size - 1 to all ones: told apart */
    tree_check(memory_region_set_size(loose, UINT64_MAX, &err), err);
    g_assert_cmpuint(memory_region_size(loose), ==, UINT64_MAX);
    tree_check(memory_region_set_size(loose, 0, &err), err);
    g_assert_cmpuint(memory_region_size(loose), ==, 0);
}

#define TOP_PAGE 0xfffffffffffff000ull

static void test_error_overflow_add_subregion(Tree *t, gconstpointer data)
{
    MemoryRegion *page = tree_io(t, "page", 0x1000);
    MemoryRegion *whole = tree_io(t, "whole", UINT64_MAX); /* 2^64 */
    MemoryRegion *last = tree_ram(t, "last", 0x1000);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    tree_add(t->root, TOP_PAGE, last); /* ends exactly at 2^64: fine */
    snap = snapshot_take(t);
    assert_error(memory_region_add_subregion(t->root, TOP_PAGE + 1, page, &err),
                 &err, ADDRSPACE_ERROR_OVERFLOW);
    assert_error(
        memory_region_add_subregion_overlap(t->root, UINT64_MAX, page, 1, &err),
        &err, ADDRSPACE_ERROR_OVERFLOW);
    assert_error(
        memory_region_add_subregion_overlap(t->root, 1, whole, -1, &err), &err,
        ADDRSPACE_ERROR_OVERFLOW);
    snapshot_assert_unchanged(t, &snap);
    g_assert_null(memory_region_get_container(page));
    g_assert_null(memory_region_get_container(whole));
}

static void test_error_overflow_set_address(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    snap = snapshot_take(t);
    assert_error(memory_region_set_address(p.ram, TOP_PAGE + 1, &err), &err,
                 ADDRSPACE_ERROR_OVERFLOW);
    assert_error(memory_region_set_address(p.bus, UINT64_MAX, &err), &err,
                 ADDRSPACE_ERROR_OVERFLOW);
    snapshot_assert_unchanged(t, &snap);
    /* the boundary itself is allowed */
    tree_set_address(p.ram, TOP_PAGE);
    tree_assert_view(t->as, {0x10200, 0x100, p.mmio, 0, false},
                     {TOP_PAGE, 0x1000, p.ram, 0, false});
}

static void test_error_overflow_set_size(Tree *t, gconstpointer data)
{
    MemoryRegion *io = tree_io(t, "io", 0x1000);
    MemoryRegion *c = tree_container(t, "c", 0x1000);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    tree_add(t->root, TOP_PAGE, io);
    tree_add(t->root, 0x1000, c);
    snap = snapshot_take(t);
    assert_error(memory_region_set_size(io, 0x1001, &err), &err,
                 ADDRSPACE_ERROR_OVERFLOW);
    assert_error(memory_region_set_size(io, UINT64_MAX, &err), &err,
                 ADDRSPACE_ERROR_OVERFLOW);
    /* 2^64 - 0x1000 bytes at 0x1000 fit; 2^64 bytes do not */
    assert_error(memory_region_set_size(c, UINT64_MAX, &err), &err,
                 ADDRSPACE_ERROR_OVERFLOW);
    snapshot_assert_unchanged(t, &snap);
    tree_check(memory_region_set_size(c, 0 - 0x1000ull, &err), err);
    g_assert_cmphex(memory_region_size(c), ==, 0 - 0x1000ull);
}

static void test_error_overflow_alias_window(Tree *t, gconstpointer data)
{
    MemoryRegion *whole = tree_io(t, "whole", UINT64_MAX);
    MemoryRegion *mr = tree_storage(t);
    MemoryRegion *a;
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    a = tree_alias(t, "a", whole, TOP_PAGE, 0x1000); /* ends at 2^64 */
    tree_add(t->root, 0x1000, a);
    snap = snapshot_take(t);
    assert_error(memory_region_init_alias(mr, NULL, "bad", whole, TOP_PAGE + 1,
                                          0x1000, &err),
                 &err, ADDRSPACE_ERROR_OVERFLOW);
    assert_error(
        memory_region_init_alias(mr, NULL, "bad", whole, 1, UINT64_MAX, &err),
        &err, ADDRSPACE_ERROR_OVERFLOW);
    g_assert_cmpint(memory_region_kind(mr), ==, MR_KIND_NONE);
    assert_error(memory_region_set_alias_offset(a, TOP_PAGE + 1, &err), &err,
                 ADDRSPACE_ERROR_OVERFLOW);
    assert_error(memory_region_set_size(a, 0x1001, &err), &err,
                 ADDRSPACE_ERROR_OVERFLOW);
    snapshot_assert_unchanged(t, &snap);
    tree_assert_view(t->as, {0x1000, 0x1000, whole, TOP_PAGE, false});
}

static void test_error_init_twice(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    MemoryRegion *res = tree_storage(t);
    MemoryRegion *a;
    static uint8_t buf[0x100];
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    tree_check(memory_region_init_reservation(res, NULL, "res", 0x100, &err),
               err);
    tree_add(t->root, 0x30000, res);
    a = tree_alias(t, "a", p.ram, 0, 0x100);
    tree_add(t->root, 0x20000, a);
    snap = snapshot_take(t);
    for (int i = 0; i < 5; i++) {
        MemoryRegion *mr = (MemoryRegion *[]){p.ram, p.mmio, p.bus, a, res}[i];

        assert_error(memory_region_init(mr, NULL, "x", 0x10, &err), &err,
                     ADDRSPACE_ERROR_BUSY);
        assert_error(memory_region_init_ram(mr, NULL, "x", 0x10, &err), &err,
                     ADDRSPACE_ERROR_BUSY);
        assert_error(memory_region_init_ram_ptr(mr, NULL, "x", 0x10, buf, &err),
                     &err, ADDRSPACE_ERROR_BUSY);
        assert_error(memory_region_init_rom(mr, NULL, "x", 0x10, &err), &err,
                     ADDRSPACE_ERROR_BUSY);
        assert_error(memory_region_init_io(mr, NULL, tree_null_ops(), NULL, "x",
                                           0x10, &err),
                     &err, ADDRSPACE_ERROR_BUSY);
        assert_error(memory_region_init_rom_device(mr, NULL, tree_null_ops(),
                                                   NULL, "x", 0x10, &err),
                     &err, ADDRSPACE_ERROR_BUSY);
        assert_error(
            memory_region_init_alias(mr, NULL, "x", p.bus, 0, 0x10, &err), &err,
            ADDRSPACE_ERROR_BUSY);
        assert_error(memory_region_init_reservation(mr, NULL, "x", 0x10, &err),
                     &err, ADDRSPACE_ERROR_BUSY);
    }
    snapshot_assert_unchanged(t, &snap);
}

static void test_error_null_ops(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    MemoryRegion *mr = tree_storage(t);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    (void)p;
    snap = snapshot_take(t);
    /* QEMU asserts on a ROM device without ops (init_io accepts NULL) */
    assert_error(
        memory_region_init_rom_device(mr, NULL, NULL, NULL, "rd", 0x100, &err),
        &err, ADDRSPACE_ERROR_INVALID);
    g_assert_cmpint(memory_region_kind(mr), ==, MR_KIND_NONE);
    snapshot_assert_unchanged(t, &snap);
    /* the storage is still usable */
    tree_check(memory_region_init_io(mr, NULL, tree_null_ops(), NULL, "io",
                                     0x100, &err),
               err);
}

static void test_error_subregion_under_alias(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    MemoryRegion *a = tree_alias(t, "a", p.bus, 0, 0x1000);
    MemoryRegion *x = tree_ram(t, "x", 0x100);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    tree_add(t->root, 0x50000, a);
    snap = snapshot_take(t);
    assert_error(memory_region_add_subregion(a, 0, x, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_add_subregion_overlap(a, 0x800, x, 2, &err),
                 &err, ADDRSPACE_ERROR_INVALID);
    snapshot_assert_unchanged(t, &snap);
    g_assert_null(memory_region_get_container(x));
}

static void test_error_alias_offset_of_non_alias(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    snap = snapshot_take(t);
    assert_error(memory_region_set_alias_offset(p.ram, 0x10, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_set_alias_offset(p.bus, 0, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    snapshot_assert_unchanged(t, &snap);
}

static void test_error_ram_cannot_grow(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    snap = snapshot_take(t);
    assert_error(memory_region_set_size(p.ram, 0x1001, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    snapshot_assert_unchanged(t, &snap);
    /* shrinking, and growing back within the block, are fine */
    tree_check(memory_region_set_size(p.ram, 0x800, &err), err);
    tree_assert_view(t->as, {0, 0x800, p.ram, 0, false},
                     {0x10200, 0x100, p.mmio, 0, false});
    tree_check(memory_region_set_size(p.ram, 0x1000, &err), err);
    tree_assert_view(t->as, {0, 0x1000, p.ram, 0, false},
                     {0x10200, 0x100, p.mmio, 0, false});
}

static void test_error_null_errp(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    Snapshot snap;

    (void)data;
    snap = snapshot_take(t);
    g_assert_false(memory_region_add_subregion(t->root, 0, p.ram, NULL));
    g_assert_false(memory_region_del_subregion(p.bus, p.ram, NULL));
    g_assert_false(memory_region_set_address(p.ram, UINT64_MAX, NULL));
    g_assert_false(memory_region_init(p.bus, NULL, "x", 1, NULL));
    snapshot_assert_unchanged(t, &snap);
}

static void test_error_uninitialised_region(Tree *t, gconstpointer data)
{
    Populated p = populate(t);
    MemoryRegion *raw = tree_storage(t);
    MemoryRegion *mr = tree_storage(t);
    AddressSpace as = {{0}};
    GError *err = NULL;
    Snapshot snap;

    (void)data;
    snap = snapshot_take(t);
    assert_error(memory_region_add_subregion(t->root, 0x80000, raw, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_add_subregion(raw, 0, p.ram, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_del_subregion(raw, p.ram, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_set_address(raw, 0, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_set_size(raw, 1, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_init_alias(mr, NULL, "a", raw, 0, 1, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(memory_region_init_alias(mr, NULL, "a", NULL, 0, 1, &err),
                 &err, ADDRSPACE_ERROR_INVALID);
    assert_error(address_space_init(&as, raw, "as", &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    assert_error(address_space_init(t->as, t->root, "again", &err), &err,
                 ADDRSPACE_ERROR_BUSY);
    memory_region_set_enabled(raw, false); /* ignored, no crash */
    memory_region_set_readonly(raw, true);
    g_assert_cmpint(memory_region_kind(mr), ==, MR_KIND_NONE);
    snapshot_assert_unchanged(t, &snap);
    g_assert_cmpstr(address_space_name(t->as), ==, "as");
}

/* memory_region_find_collision(). */

static void test_collision_found(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x10000);
    MemoryRegion *x = tree_ram(t, "x", 0x1000);
    MemoryRegion *y = tree_ram(t, "y", 0x100);
    MemoryRegion *z = tree_ram(t, "z", 0x100);
    MemoryRegion *over = tree_ram(t, "over", 0x10000);
    MemoryRegion *a = NULL, *b = NULL;

    (void)data;
    tree_add(c, 0x1000, x);
    tree_add(c, 0x3000, y);
    tree_add_prio(c, 0, over, 1); /* may overlap: not a collision */
    g_assert_false(memory_region_find_collision(c, &a, &b));
    tree_add(c, 0x1f00, z); /* the last 0x100 bytes of x */
    g_assert_true(memory_region_find_collision(c, &a, &b));
    g_assert_true(a == x);
    g_assert_true(b == z);
    /* QEMU accepts it: it renders, the later added wins */
    memory_region_set_enabled(over, false);
    tree_add(t->root, 0, c);
    tree_assert_view(t->as, {0x1000, 0xf00, x, 0, false},
                     {0x1f00, 0x100, z, 0, false},
                     {0x3000, 0x100, y, 0, false});
}

/* Transactions. */

static void test_transaction_nested(Tree *t, gconstpointer data)
{
    MemoryRegion *a = tree_ram(t, "a", 0x1000);
    MemoryRegion *b = tree_ram(t, "b", 0x1000);
    FlatView *before = tree_view(t->as), *fv;

    (void)data;
    memory_region_transaction_begin();
    memory_region_transaction_begin();
    tree_add(t->root, 0, a);
    memory_region_transaction_commit(); /* inner: nothing published */
    fv = tree_view(t->as);
    g_assert_true(fv == before);
    flatview_unref(fv);
    tree_add(t->root, 0x1000, b); /* a lone call inside: still deferred */
    fv = tree_view(t->as);
    g_assert_true(fv == before);
    flatview_unref(fv);
    memory_region_transaction_commit();

    fv = tree_view(t->as);
    g_assert_true(fv != before);
    {
        const ExpSection exp[] = {{0, 0x1000, a, 0, false},
                                  {0x1000, 0x1000, b, 0, false}};

        tree_assert_sections(fv, exp, 2);
    }
    flatview_unref(fv);
    flatview_unref(before);
}

static void test_transaction_lone_mutation(Tree *t, gconstpointer data)
{
    MemoryRegion *a = tree_ram(t, "a", 0x1000);
    FlatView *v0 = tree_view(t->as), *v1, *v2;

    (void)data;
    tree_add(t->root, 0x2000, a); /* its own transaction: published now */
    v1 = tree_view(t->as);
    g_assert_true(v1 != v0);
    tree_assert_view(t->as, {0x2000, 0x1000, a, 0, false});
    memory_region_set_enabled(a, false);
    v2 = tree_view(t->as);
    g_assert_true(v2 != v1);
    tree_assert_view_empty(t->as);
    flatview_unref(v0);
    flatview_unref(v1);
    flatview_unref(v2);
}

static void test_transaction_empty_keeps_view(Tree *t, gconstpointer data)
{
    FlatView *v0 = tree_view(t->as), *v1;

    (void)data;
    memory_region_transaction_begin();
    memory_region_transaction_begin();
    memory_region_transaction_commit();
    memory_region_transaction_commit();
    v1 = tree_view(t->as);
    g_assert_true(v1 == v0);
    flatview_unref(v0);
    flatview_unref(v1);
}

static void test_transaction_no_op_keeps_view(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *a = tree_alias(t, "a", ram, 0x100, 0x100);
    GError *err = NULL;
    FlatView *v0, *v1;

    (void)data;
    tree_add(t->root, 0, ram);
    tree_add(t->root, 0x8000, a);
    v0 = tree_view(t->as);
    memory_region_set_enabled(ram, true);
    memory_region_set_readonly(ram, false);
    memory_region_set_nonvolatile(ram, false);
    memory_region_rom_device_set_romd(ram, false); /* not a ROM device */
    tree_set_address(ram, 0);
    tree_check(memory_region_set_size(ram, 0x1000, &err), err);
    tree_check(memory_region_set_alias_offset(a, 0x100, &err), err);
    v1 = tree_view(t->as);
    g_assert_true(v1 == v0);
    flatview_unref(v0);
    flatview_unref(v1);
}

static void test_transaction_detached_keeps_view(Tree *t, gconstpointer data)
{
    MemoryRegion *loose = tree_container(t, "loose", 0x10000);
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *mapped = tree_ram(t, "mapped", 0x1000);
    FlatView *v0, *v1;

    (void)data;
    tree_add(t->root, 0, mapped);
    v0 = tree_view(t->as);
    /* nothing the address space can reach changes */
    tree_add(loose, 0x1000, ram);
    memory_region_set_readonly(ram, true);
    tree_set_address(ram, 0x2000);
    tree_del(loose, ram);
    v1 = tree_view(t->as);
    g_assert_true(v1 == v0);
    flatview_unref(v1);
    /* the same region mapped where the address space sees it does */
    tree_add(t->root, 0x4000, ram);
    v1 = tree_view(t->as);
    g_assert_true(v1 != v0);
    tree_assert_view(t->as, {0, 0x1000, mapped, 0, false},
                     {0x4000, 0x1000, ram, 0, true});
    flatview_unref(v0);
    flatview_unref(v1);
}

/* Tree links. */

static void test_subregion_links(Tree *t, gconstpointer data)
{
    MemoryRegion *c = tree_container(t, "c", 0x10000);
    MemoryRegion *x = tree_ram(t, "x", 0x100);
    MemoryRegion *y = tree_ram(t, "y", 0x100);

    (void)data;
    g_assert_null(memory_region_get_container(x));
    tree_add(t->root, 0x10000, c);
    tree_add(c, 0x300, x);
    tree_add_prio(c, 0x300, y, -7);
    g_assert_true(memory_region_get_container(x) == c);
    g_assert_cmphex(memory_region_get_address(x), ==, 0x300);
    g_assert_cmpint(memory_region_get_priority(x), ==, 0);
    g_assert_cmpint(memory_region_get_priority(y), ==, -7);
    tree_set_address(y, 0x400);
    g_assert_cmpint(memory_region_get_priority(y), ==, -7);
    g_assert_true(memory_region_get_container(y) == c);
    tree_del(c, x);
    g_assert_null(memory_region_get_container(x));
    tree_assert_view(t->as, {0x10400, 0x100, y, 0, false});
    /* a removed region may be added again, elsewhere */
    tree_add(t->root, 0, x);
    tree_assert_view(t->as, {0, 0x100, x, 0, false},
                     {0x10400, 0x100, y, 0, false});
}

/*
 * Two setters, each valid alone but not together, started at once round
 * after round from two threads. The checks and the change are one step
 * under the update lock: at most one succeeds, and the region never ends
 * up running past 2^64.
 */
typedef bool RaceOp(MemoryRegion *mr);

typedef struct Race {
    MemoryRegion *mr;
    RaceOp *op[2];
    bool ok[2];
    bool stop;
    pthread_barrier_t start, end;
} Race;

typedef struct Racer {
    Race *race;
    int i;
} Racer;

static gpointer racer_run(gpointer opaque)
{
    Racer *r = opaque;
    Race *race = r->race;

    rcu_register_thread();
    for (;;) {
        pthread_barrier_wait(&race->start);
        if (race->stop) {
            break;
        }
        race->ok[r->i] = race->op[r->i](race->mr);
        pthread_barrier_wait(&race->end);
    }
    rcu_unregister_thread();
    return NULL;
}

static bool race_address_top(MemoryRegion *mr)
{
    return memory_region_set_address(mr, TOP_PAGE, NULL);
}

static bool race_alias_offset_top(MemoryRegion *mr)
{
    return memory_region_set_alias_offset(mr, TOP_PAGE, NULL);
}

static bool race_two_pages(MemoryRegion *mr)
{
    return memory_region_set_size(mr, 0x2000, NULL);
}

/* Run @a against @b on @mr (one page at 0, alias offset 0) for a while. */
static void race_setters(MemoryRegion *mr, RaceOp *a, RaceOp *b,
                         hwaddr (*start)(const MemoryRegion *mr))
{
    Race race = {.mr = mr, .op = {a, b}};
    Racer racers[2] = {{&race, 0}, {&race, 1}};
    gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC / 4;
    GThread *t[2];
    int rounds = 0, wins[2] = {0, 0};

    pthread_barrier_init(&race.start, NULL, 3);
    pthread_barrier_init(&race.end, NULL, 3);
    for (int i = 0; i < 2; i++) {
        t[i] = g_thread_new("racer", racer_run, &racers[i]);
    }
    for (; rounds < 100000 && g_get_monotonic_time() < deadline; rounds++) {
        g_assert_true(memory_region_set_size(mr, 0x1000, NULL));
        g_assert_true(memory_region_set_address(mr, 0, NULL));
        if (memory_region_kind(mr) == MR_KIND_ALIAS) {
            g_assert_true(memory_region_set_alias_offset(mr, 0, NULL));
        }
        pthread_barrier_wait(&race.start);
        pthread_barrier_wait(&race.end);
        g_assert_false(race.ok[0] && race.ok[1]);
        g_assert_true(race.ok[0] || race.ok[1]);
        wins[0] += race.ok[0];
        wins[1] += race.ok[1];
        g_assert_cmpuint(start(mr), <=, 0 - memory_region_size(mr));
    }
    race.stop = true;
    pthread_barrier_wait(&race.start);
    for (int i = 0; i < 2; i++) {
        g_thread_join(t[i]);
    }
    pthread_barrier_destroy(&race.start);
    pthread_barrier_destroy(&race.end);
    g_test_message("%d rounds, wins %d / %d", rounds, wins[0], wins[1]);
}

static void test_concurrent_set_address_vs_size(Tree *t, gconstpointer data)
{
    MemoryRegion *bus = tree_container(t, "bus", UINT64_MAX);
    MemoryRegion *io = tree_io(t, "io", 0x1000);

    (void)data;
    tree_add(bus, 0, io);
    race_setters(io, race_address_top, race_two_pages,
                 memory_region_get_address);
}

static void test_concurrent_set_alias_offset_vs_size(Tree *t,
                                                     gconstpointer data)
{
    MemoryRegion *all = tree_container(t, "all", UINT64_MAX);
    MemoryRegion *alias = tree_alias(t, "alias", all, 0, 0x1000);

    (void)data;
    race_setters(alias, race_alias_offset_top, race_two_pages,
                 memory_region_get_alias_offset);
}

/* memory_region_size() while another thread resizes: never a torn size. */
typedef struct SizeReader {
    MemoryRegion *mr;
    int stop;
    int reads, bad;
} SizeReader;

static gpointer size_reader(gpointer opaque)
{
    SizeReader *r = opaque;

    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        uint64_t size = memory_region_size(r->mr);

        /* 2^64 is 1:0 in 128 bits, 2^64 - 4 KiB is 0:ffff...f000 */
        if (size != UINT64_MAX && size != 0 - 0x1000ull) {
            r->bad++;
        }
        r->reads++;
    }
    return NULL;
}

static void test_concurrent_size_not_torn(Tree *t, gconstpointer data)
{
    SizeReader r = {.mr = tree_container(t, "c", UINT64_MAX)};
    GThread *reader = g_thread_new("size-reader", size_reader, &r);

    (void)data;
    for (int i = 0; i < 20000; i++) {
        g_assert_true(memory_region_set_size(r.mr, 0 - 0x1000ull, NULL));
        g_assert_true(memory_region_set_size(r.mr, UINT64_MAX, NULL));
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
    g_thread_join(reader);
    g_test_message("%d reads", r.reads);
    g_assert_cmpint(r.bad, ==, 0);
}

#define ADD(path, fn) \
    g_test_add(path, Tree, NULL, tree_setup, fn, tree_teardown)

/* An unbalanced commit is a caller bug: a warning, not an abort, and the
 * update lock (held by nobody here) is not released by mistake. */
static void test_transaction_unbalanced_commit(void)
{
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                          "*without a matching*begin*");
    memory_region_transaction_commit();
    g_test_assert_expected_messages();
    memory_region_transaction_begin();
    memory_region_transaction_commit();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("/tree/error/already-has-parent", test_error_already_has_parent);
    ADD("/tree/error/into-itself", test_error_into_itself);
    ADD("/tree/error/into-own-subtree", test_error_into_own_subtree);
    ADD("/tree/error/alias-cycle-direct", test_error_alias_cycle_direct);
    ADD("/tree/error/alias-cycle-through-containers",
        test_error_alias_cycle_through_containers);
    ADD("/tree/error/del-non-child", test_error_del_non_child);
    ADD("/tree/error/size-zero-ram", test_error_size_zero_ram);
    ADD("/tree/size-zero/accepted", test_size_zero_accepted);
    ADD("/tree/error/overflow-add-subregion",
        test_error_overflow_add_subregion);
    ADD("/tree/error/overflow-set-address", test_error_overflow_set_address);
    ADD("/tree/error/overflow-set-size", test_error_overflow_set_size);
    ADD("/tree/error/overflow-alias-window", test_error_overflow_alias_window);
    ADD("/tree/error/init-twice", test_error_init_twice);
    ADD("/tree/error/null-ops", test_error_null_ops);
    ADD("/tree/error/subregion-under-alias", test_error_subregion_under_alias);
    ADD("/tree/error/alias-offset-of-non-alias",
        test_error_alias_offset_of_non_alias);
    ADD("/tree/error/ram-cannot-grow", test_error_ram_cannot_grow);
    ADD("/tree/error/null-errp", test_error_null_errp);
    ADD("/tree/error/uninitialised-region", test_error_uninitialised_region);
    ADD("/tree/collision/found", test_collision_found);
    ADD("/tree/transaction/nested-publishes-at-outermost",
        test_transaction_nested);
    ADD("/tree/transaction/lone-mutation-publishes",
        test_transaction_lone_mutation);
    ADD("/tree/transaction/empty-keeps-view",
        test_transaction_empty_keeps_view);
    ADD("/tree/transaction/no-op-keeps-view",
        test_transaction_no_op_keeps_view);
    ADD("/tree/transaction/detached-change-keeps-view",
        test_transaction_detached_keeps_view);
    ADD("/tree/subregion/links", test_subregion_links);
    ADD("/tree/concurrent/set-address-vs-set-size",
        test_concurrent_set_address_vs_size);
    ADD("/tree/concurrent/set-alias-offset-vs-set-size",
        test_concurrent_set_alias_offset_vs_size);
    ADD("/tree/concurrent/size-read-not-torn", test_concurrent_size_not_torn);
    g_test_add_func("/tree/transaction/unbalanced-commit-warns",
                    test_transaction_unbalanced_commit);
    return g_test_run();
}
