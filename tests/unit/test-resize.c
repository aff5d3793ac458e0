/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of resizeable RAM (memory_region_init_resizeable_ram(),
 * memory_region_ram_resize()): QEMU 7.2's bounds and rounding, the
 * resized callback, dirty bits, and views, listeners, maps and caches
 * following the new size.
 */
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#define PAGE DIRTY_MEMORY_PAGE_SIZE
#define BASE 0x100000u
#define U    MEMTXATTRS_UNSPECIFIED

typedef struct Fixture {
    MemoryRegion root, fw;
    AddressSpace as;
    uint64_t hp; /* host page */
    GString *calls;
} Fixture;

static Fixture *current; /* for the resized callback */

static void ok(bool ret, GError *err)
{
    g_assert_no_error(err);
    g_assert_true(ret);
}

static void on_resized(const char *name, uint64_t length, void *host)
{
    g_assert_true(host == memory_region_get_ram_ptr(&current->fw));
    g_string_append_printf(current->calls, "%s:%" PRIx64 " ", name, length);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    (void)data;
    memset(f, 0, sizeof(*f));
    current = f;
    f->hp = (uint64_t)sysconf(_SC_PAGESIZE);
    f->calls = g_string_new(NULL);
    ok(memory_region_init(&f->root, NULL, "root", UINT64_MAX, &err), err);
    ok(memory_region_init_resizeable_ram(&f->fw, NULL, "fw", 4 * f->hp,
                                         16 * f->hp, on_resized, &err),
       err);
    ok(memory_region_add_subregion(&f->root, BASE, &f->fw, &err), err);
    ok(address_space_init(&f->as, &f->root, "as", &err), err);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    address_space_destroy(&f->as);
    memory_region_finalize(&f->root);
    drain_call_rcu();
    memory_region_finalize(&f->fw);
    g_string_free(f->calls, true);
}

static void assert_calls(Fixture *f, const char *want)
{
    g_assert_cmpstr(f->calls->str, ==, want);
    g_string_truncate(f->calls, 0);
}

static MemTxResult probe(Fixture *f, uint64_t offset)
{
    MemTxResult r = ~0u;

    (void)address_space_ldub(&f->as, BASE + offset, U, &r);
    return r;
}

static void expect_error(bool ret, GError **err, int code)
{
    g_assert_false(ret);
    g_assert_error(*err, ADDRSPACE_ERROR, code);
    g_clear_error(err);
}

static void test_init_errors(Fixture *f, gconstpointer data)
{
    MemoryRegion mr = {0};
    GError *err = NULL;

    (void)data;
    (void)f;
    expect_error(
        memory_region_init_resizeable_ram(&mr, NULL, "x", 0, PAGE, NULL, &err),
        &err, ADDRSPACE_ERROR_INVALID);
    expect_error(memory_region_init_resizeable_ram(&mr, NULL, "x", 2 * PAGE,
                                                   PAGE, NULL, &err),
                 &err, ADDRSPACE_ERROR_INVALID);
    expect_error(memory_region_init_resizeable_ram(&mr, NULL, "x", PAGE,
                                                   UINT64_MAX, NULL, &err),
                 &err, ADDRSPACE_ERROR_OVERFLOW);
    g_assert_cmpint(memory_region_kind(&mr), ==, MR_KIND_NONE);
}

static void test_bounds(Fixture *f, gconstpointer data)
{
    MemoryRegion ram = {0};
    GError *err = NULL;
    const uint64_t hp = f->hp;

    (void)data;
    /* QEMU's messages */
    expect_error(memory_region_ram_resize(&f->fw, 16 * hp + 1, &err), &err,
                 ADDRSPACE_ERROR_OVERFLOW);
    ok(memory_region_ram_resize(&f->fw, 16 * hp, &err), err);
    expect_error(memory_region_ram_resize(&f->fw, 0, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    expect_error(memory_region_ram_resize(&f->root, hp, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    /* fixed-size RAM: another host-page count is a size mismatch */
    ok(memory_region_init_ram(&ram, NULL, "ram", 2 * hp, &err), err);
    g_assert_false(memory_region_ram_resize(&ram, 3 * hp, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_assert_true(g_str_has_prefix(err->message, "Size mismatch: ram: "));
    g_clear_error(&err);
    /* ... but inside the same host pages only the region changes (QEMU) */
    ok(memory_region_ram_resize(&ram, 2 * hp - 100, &err), err);
    g_assert_cmpuint(memory_region_size(&ram), ==, 2 * hp - 100);
    memory_region_finalize(&ram);
    g_assert_cmpuint(memory_region_size(&f->fw), ==, 16 * hp);
}

/* The callback: after every change, with the new size. */
static void test_callback(Fixture *f, gconstpointer data)
{
    const uint64_t hp = f->hp;
    char *want;

    (void)data;
    ok(memory_region_ram_resize(&f->fw, 8 * hp, NULL), NULL);
    /* no change: no call */
    ok(memory_region_ram_resize(&f->fw, 8 * hp, NULL), NULL);
    /* inside the last host page: the region's size changes, and QEMU
     * calls back with the unaligned size */
    ok(memory_region_ram_resize(&f->fw, 8 * hp - 3, NULL), NULL);
    g_assert_cmpuint(memory_region_size(&f->fw), ==, 8 * hp - 3);
    ok(memory_region_ram_resize(&f->fw, hp, NULL), NULL);
    want = g_strdup_printf("fw:%" PRIx64 " fw:%" PRIx64 " fw:%" PRIx64 " ",
                           8 * hp, 8 * hp - 3, hp);
    assert_calls(f, want);
    g_free(want);
    /* a failed resize does not call */
    g_assert_false(memory_region_ram_resize(&f->fw, 32 * hp, NULL));
    assert_calls(f, "");
}

typedef struct Events {
    MemoryListener l; /* first */
    GString *log;
} Events;

static void ev_add(MemoryListener *l, MemoryRegionSection *s)
{
    Events *e = (Events *)(void *)l;

    g_string_append_printf(e->log, "add %" PRIx64 "+%" PRIx64 " ",
                           s->offset_within_address_space, (uint64_t)s->size);
}

static void ev_del(MemoryListener *l, MemoryRegionSection *s)
{
    Events *e = (Events *)(void *)l;

    g_string_append_printf(e->log, "del %" PRIx64 "+%" PRIx64 " ",
                           s->offset_within_address_space, (uint64_t)s->size);
}

/* Views and listeners follow the size; the memory never moves. */
static void test_view_follows(Fixture *f, gconstpointer data)
{
    Events ev = {.l = {.region_add = ev_add, .region_del = ev_del},
                 .log = g_string_new(NULL)};
    uint8_t *host = memory_region_get_ram_ptr(&f->fw);
    const uint64_t hp = f->hp;
    char *want;

    (void)data;
    memory_listener_register(&ev.l, &f->as);
    g_string_truncate(ev.log, 0);
    g_assert_cmpuint(probe(f, 4 * hp - 1), ==, MEMTX_OK);
    g_assert_cmpuint(probe(f, 4 * hp), ==, MEMTX_DECODE_ERROR);
    ok(memory_region_ram_resize(&f->fw, 10 * hp, NULL), NULL);
    g_assert_cmpuint(probe(f, 10 * hp - 1), ==, MEMTX_OK);
    g_assert_cmpuint(probe(f, 10 * hp), ==, MEMTX_DECODE_ERROR);
    address_space_stb(&f->as, BASE + 9 * hp, 0x99, U, NULL);
    g_assert_true(memory_region_get_ram_ptr(&f->fw) == host);
    g_assert_cmpuint(host[9 * hp], ==, 0x99);
    ok(memory_region_ram_resize(&f->fw, 2 * hp, NULL), NULL);
    g_assert_cmpuint(probe(f, 2 * hp), ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(probe(f, 9 * hp), ==, MEMTX_DECODE_ERROR);
    /* shrinking keeps the bytes: growing again shows them */
    ok(memory_region_ram_resize(&f->fw, 10 * hp, NULL), NULL);
    g_assert_cmpuint(address_space_ldub(&f->as, BASE + 9 * hp, U, NULL), ==,
                     0x99);
    want = g_strdup_printf("del %x+%" PRIx64 " add %x+%" PRIx64 " "
                           "del %x+%" PRIx64 " add %x+%" PRIx64 " "
                           "del %x+%" PRIx64 " add %x+%" PRIx64 " ",
                           BASE, 4 * hp, BASE, 10 * hp, BASE, 10 * hp, BASE,
                           2 * hp, BASE, 2 * hp, BASE, 10 * hp);
    g_assert_cmpstr(ev.log->str, ==, want);
    g_free(want);
    memory_listener_unregister(&ev.l);
    g_string_free(ev.log, true);
}

/* QEMU's qemu_ram_resize(): the new used length is all dirty. */
static void test_dirty(Fixture *f, gconstpointer data)
{
    const uint64_t hp = f->hp;
    DirtyPageIter it;
    hwaddr off, len;

    (void)data;
    memory_region_set_log(&f->fw, true, DIRTY_MEMORY_MIGRATION);
    address_space_stb(&f->as, BASE + 3 * hp, 1, U, NULL);
    ok(memory_region_ram_resize(&f->fw, 6 * hp, NULL), NULL);
    dirty_page_iter_init(&it, &f->fw, 0, UINT64_MAX, DIRTY_MEMORY_MIGRATION);
    g_assert_true(dirty_page_iter_next(&it, &off, &len));
    g_assert_cmpuint(off, ==, 0);
    g_assert_cmpuint(len, ==, 6 * hp);
    g_assert_false(dirty_page_iter_next(&it, &off, &len));
    /* shrinking clears the old used length, then marks the new one */
    ok(memory_region_ram_resize(&f->fw, 2 * hp, NULL), NULL);
    g_assert_cmphex(memory_region_find_next_dirty(&f->fw, 2 * hp, UINT64_MAX,
                                                  DIRTY_MEMORY_MIGRATION),
                    ==, DIRTY_PAGE_NONE);
    g_assert_true(
        memory_region_get_dirty(&f->fw, 0, 2 * hp, DIRTY_MEMORY_MIGRATION));
    /* only the region's size changed: no dirty bits */
    memory_region_reset_dirty(&f->fw, 0, UINT64_MAX, DIRTY_MEMORY_MIGRATION);
    ok(memory_region_ram_resize(&f->fw, 2 * hp - 1, NULL), NULL);
    g_assert_false(
        memory_region_get_dirty(&f->fw, 0, UINT64_MAX, DIRTY_MEMORY_MIGRATION));
}

/* Maps and caches made after a shrink stop at the new size; those made
 * before keep their memory, which stays mapped (as QEMU). */
static void test_map_cache_across_shrink(Fixture *f, gconstpointer data)
{
    const uint64_t hp = f->hp;
    MemoryRegionCache before, after;
    hwaddr len = 8 * hp;
    void *p;
    MemTxResult r;

    (void)data;
    ok(memory_region_ram_resize(&f->fw, 8 * hp, NULL), NULL);
    g_assert_cmpint(
        address_space_cache_init(&before, &f->as, BASE, 8 * hp, true), ==,
        8 * hp);
    ok(memory_region_ram_resize(&f->fw, 2 * hp, NULL), NULL);
    /* a new map is clamped to the region */
    p = address_space_map(&f->as, BASE, &len, true, U);
    g_assert_true(p == memory_region_get_ram_ptr(&f->fw));
    g_assert_cmpuint(len, ==, 2 * hp);
    address_space_unmap(&f->as, p, len, true, 0);
    /* a new cache over the old range is not direct: past the size is a hole */
    g_assert_cmpint(
        address_space_cache_init(&after, &f->as, BASE, 8 * hp, true), ==,
        8 * hp);
    r = MEMTX_OK;
    address_space_stb_cached(&after, 5 * hp, 1, U, &r);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    address_space_stb_cached(&after, hp, 1, U, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    address_space_cache_destroy(&after);
    /* the old cache still reaches its memory, which is still mapped */
    address_space_stb_cached(&before, 5 * hp, 0x55, U, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    g_assert_cmpuint(((uint8_t *)memory_region_get_ram_ptr(&f->fw))[5 * hp], ==,
                     0x55);
    address_space_cache_destroy(&before);
    g_assert_cmpuint(probe(f, 5 * hp), ==, MEMTX_DECODE_ERROR);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/resize/init/errors", test_init_errors);
    ADD("/resize/resize/bounds", test_bounds);
    ADD("/resize/resize/callback", test_callback);
    ADD("/resize/view/follows", test_view_follows);
    ADD("/resize/dirty/new-length-dirty", test_dirty);
    ADD("/resize/map-cache/across-shrink", test_map_cache_across_shrink);
#undef ADD
    return g_test_run();
}
