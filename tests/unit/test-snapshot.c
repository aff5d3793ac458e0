/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of RAM snapshots (snapshot.h): restore after writes through
 * every path that marks pages, the number of pages a restore copies,
 * several snapshots at once, the dirty client's life, what a take covers,
 * lifetimes, and the size and plug state a restore puts back.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "owned-ram.h"

#define PAGE      DIRTY_MEMORY_PAGE_SIZE
#define RAM_BASE  0x100000u
#define RAM_PAGES 256u
#define RAM_SIZE  (RAM_PAGES * PAGE)
#define ROM_BASE  0x800000u
#define ROM_SIZE  (4 * PAGE)
#define U         MEMTXATTRS_UNSPECIFIED

/* A root with RAM at RAM_BASE and, at 0, an alias of the RAM's second half;
 * ROM at ROM_BASE. */
typedef struct Fixture {
    MemoryRegion root, ram, alias, rom;
    AddressSpace as;
} Fixture;

static void ok(bool ret, GError *err)
{
    g_assert_no_error(err);
    g_assert_true(ret);
}

/* The byte the RAM holds at @off before the take. */
static uint8_t pattern(uint64_t off)
{
    return (uint8_t)(off * 7 + 3 + (off >> 12));
}

static uint8_t *ram_host(Fixture *f)
{
    return memory_region_get_ram_ptr(&f->ram);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    (void)data;
    memset(f, 0, sizeof(*f));
    ok(memory_region_init(&f->root, NULL, "root", UINT64_MAX, &err), err);
    ok(memory_region_init_ram(&f->ram, NULL, "ram", RAM_SIZE, &err), err);
    ok(memory_region_init_alias(&f->alias, NULL, "alias", &f->ram, RAM_SIZE / 2,
                                RAM_SIZE / 2, &err),
       err);
    ok(memory_region_init_rom(&f->rom, NULL, "rom", ROM_SIZE, &err), err);
    ok(memory_region_add_subregion(&f->root, RAM_BASE, &f->ram, &err), err);
    ok(memory_region_add_subregion(&f->root, 0, &f->alias, &err), err);
    ok(memory_region_add_subregion(&f->root, ROM_BASE, &f->rom, &err), err);
    ok(address_space_init(&f->as, &f->root, "as", &err), err);
    for (uint64_t i = 0; i < RAM_SIZE; i++) {
        ram_host(f)[i] = pattern(i);
    }
    memset(memory_region_get_ram_ptr(&f->rom), 0x5a, ROM_SIZE);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    address_space_destroy(&f->as);
    memory_region_finalize(&f->root);
    drain_call_rcu();
    memory_region_finalize(&f->alias);
    memory_region_finalize(&f->ram);
    memory_region_finalize(&f->rom);
}

static RamSnapshot *take_ram(Fixture *f)
{
    MemoryRegion *regions[] = {&f->ram};
    GError *err = NULL;
    RamSnapshot *snap = ram_snapshot_take(regions, 1, &err);

    g_assert_no_error(err);
    g_assert_nonnull(snap);
    return snap;
}

/* Restore @snap and check the number of pages copied. */
static void restore_expect(RamSnapshot *snap, uint64_t want)
{
    GError *err = NULL;
    uint64_t pages = ~0ull;

    ok(ram_snapshot_restore(snap, &pages, &err), err);
    g_assert_cmpuint(pages, ==, want);
}

/* The first offset where the RAM differs from the pattern, or -1. */
static int64_t first_difference(Fixture *f)
{
    for (uint64_t i = 0; i < RAM_SIZE; i++) {
        if (ram_host(f)[i] != pattern(i)) {
            return (int64_t)i;
        }
    }
    return -1;
}

static hwaddr page_addr(unsigned page)
{
    return RAM_BASE + (hwaddr)page * PAGE;
}

/* Every path that marks pages: each write below is undone by a restore. */
static void test_every_write_path(Fixture *f, gconstpointer data)
{
    GuestMemory *before = guest_memory_from_address_space(&f->as);
    uint8_t buf[16];
    MemoryRegionCache cache;
    GuestMemory *after;
    RamSnapshot *snap;
    hwaddr len;
    void *p;

    (void)data;
    memset(buf, 0xee, sizeof(buf));
    snap = take_ram(f);
    /* 1: buffer write; 2: typed store (the inline path's entry point) */
    g_assert_cmpuint(address_space_write(&f->as, page_addr(1) + 5, U, buf, 9),
                     ==, MEMTX_OK);
    address_space_stl_le(&f->as, page_addr(2) + 8, 0xdeadbeef, U, NULL);
    /* 130: a store through the alias of the second half (page 2 of it) */
    address_space_stb(&f->as, 2 * PAGE + 1, 0x11, U, NULL);
    /* 4: map, write, unmap */
    len = 64;
    p = address_space_map(&f->as, page_addr(4), &len, true, U);
    g_assert_nonnull(p);
    memset(p, 0x44, 64);
    address_space_unmap(&f->as, p, len, true, 64);
    /* 5, 6: a cache's buffer write and typed store */
    g_assert_cmpint(
        address_space_cache_init(&cache, &f->as, page_addr(5), 2 * PAGE, true),
        ==, 2 * PAGE);
    g_assert_cmpuint(address_space_write_cached(&cache, 3, buf, 4), ==,
                     MEMTX_OK);
    address_space_stq_le_cached(&cache, PAGE + 16, 42, U, NULL);
    address_space_cache_destroy(&cache);
    /* 7: the guest-memory interface, through a view taken before */
    g_assert_cmpuint(guest_memory_write(before, page_addr(7), buf, 3, U, NULL),
                     ==, MEMTX_OK);
    /* 8: and through a view taken after */
    after = guest_memory_from_address_space(&f->as);
    g_assert_cmpuint(guest_memory_store(after, page_addr(8), 4,
                                        DEVICE_BIG_ENDIAN, U, 0x01020304),
                     ==, MEMTX_OK);
    /* 9: a host pointer, then memory_region_set_dirty() as documented */
    ram_host(f)[9 * PAGE + 100] ^= 0xff;
    memory_region_set_dirty(&f->ram, 9 * PAGE + 100, 1);
    g_assert_cmpint(first_difference(f), ==, PAGE + 5);
    g_assert_cmpuint(ram_snapshot_dirty_pages(snap), ==, 9);
    restore_expect(snap, 9);
    g_assert_cmpint(first_difference(f), ==, -1);
    /* a host pointer without set_dirty is not seen (documented) */
    ram_host(f)[10 * PAGE] ^= 0xff;
    restore_expect(snap, 0);
    g_assert_cmpint(first_difference(f), ==, 10 * PAGE);
    ram_host(f)[10 * PAGE] ^= 0xff;
    guest_memory_put(before);
    guest_memory_put(after);
    ram_snapshot_free(snap);
}

/* A restore copies exactly the pages written, however they are spread. */
static void test_cost_proportional(Fixture *f, gconstpointer data)
{
    static const unsigned counts[] = {0, 1, 16, 64, 200, RAM_PAGES};
    RamSnapshot *snap;

    (void)data;
    snap = take_ram(f);
    restore_expect(snap, 0);
    for (unsigned i = 0; i < G_N_ELEMENTS(counts); i++) {
        unsigned k = counts[i];

        /* pages k-1, k-1+stride, ... : k distinct pages */
        for (unsigned j = 0; j < k; j++) {
            unsigned page = (j * 37 + k) % RAM_PAGES;

            address_space_stw(&f->as, page_addr(page) + j % PAGE, 0x5555, U,
                              NULL);
            /* twice: still one page */
            address_space_stb(&f->as, page_addr(page), 0x66, U, NULL);
        }
        g_assert_cmpuint(ram_snapshot_dirty_pages(snap), ==, k);
        restore_expect(snap, k);
        g_assert_cmpint(first_difference(f), ==, -1);
        /* a second restore finds nothing */
        restore_expect(snap, 0);
    }
    ram_snapshot_free(snap);
}

/* One write spanning 11 pages across a bitmap word boundary. */
static void test_run_across_words(Fixture *f, gconstpointer data)
{
    uint8_t *buf = g_malloc0(11 * PAGE);
    RamSnapshot *snap = take_ram(f);

    (void)data;
    g_assert_cmpuint(
        address_space_write(&f->as, page_addr(60) + 1, U, buf, 10 * PAGE), ==,
        MEMTX_OK);
    restore_expect(snap, 11);
    g_assert_cmpint(first_difference(f), ==, -1);
    /* the region's last page */
    address_space_stb(&f->as, page_addr(RAM_PAGES - 1) + PAGE - 1, 0, U, NULL);
    restore_expect(snap, 1);
    g_assert_cmpint(first_difference(f), ==, -1);
    ram_snapshot_free(snap);
    g_free(buf);
}

static void fill(Fixture *f, unsigned page, uint8_t value)
{
    uint8_t buf[PAGE];

    memset(buf, value, PAGE);
    g_assert_cmpuint(address_space_write(&f->as, page_addr(page), U, buf, PAGE),
                     ==, MEMTX_OK);
}

static void assert_page(Fixture *f, unsigned page, int value)
{
    for (unsigned i = 0; i < PAGE; i++) {
        uint8_t want =
            value < 0 ? pattern((uint64_t)page * PAGE + i) : (uint8_t)value;

        g_assert_cmpuint(ram_host(f)[page * PAGE + i], ==, want);
    }
}

/* Two snapshots of one region restore independently. */
static void test_multiple_independent(Fixture *f, gconstpointer data)
{
    RamSnapshot *a, *b;

    (void)data;
    a = take_ram(f);
    fill(f, 1, 1);
    fill(f, 2, 1);
    fill(f, 3, 1);
    b = take_ram(f); /* pages 1-3 hold 1 */
    fill(f, 2, 2);
    fill(f, 5, 2);
    /* a: every page written since a */
    restore_expect(a, 4);
    g_assert_cmpint(first_difference(f), ==, -1);
    /* b: its own writes, and what restoring a changed */
    restore_expect(b, 4);
    assert_page(f, 1, 1);
    assert_page(f, 2, 1);
    assert_page(f, 3, 1);
    assert_page(f, 5, -1);
    restore_expect(a, 4);
    g_assert_cmpint(first_difference(f), ==, -1);
    ram_snapshot_free(a);
    restore_expect(b, 4);
    assert_page(f, 2, 1);
    ram_snapshot_free(b);
}

/* The pages a restore copies are dirty for the region's other clients. */
static void test_marks_other_clients(Fixture *f, gconstpointer data)
{
    RamSnapshot *snap;

    (void)data;
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_VGA);
    snap = take_ram(f);
    fill(f, 3, 9);
    memory_region_reset_dirty(&f->ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA);
    restore_expect(snap, 1);
    g_assert_cmphex(
        memory_region_find_next_dirty(&f->ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA),
        ==, 3 * PAGE);
    g_assert_cmphex(memory_region_find_next_dirty(&f->ram, 4 * PAGE, RAM_SIZE,
                                                  DIRTY_MEMORY_VGA),
                    ==, DIRTY_PAGE_NONE);
    ram_snapshot_free(snap);
}

/* Dirty state kept outside the library arrives through log_sync. */
static void external_sync(MemoryListener *l, MemoryRegionSection *s)
{
    (void)l;
    memory_region_set_dirty(s->mr, 7 * PAGE, 1);
}

static void test_log_sync(Fixture *f, gconstpointer data)
{
    MemoryListener listener = {.log_sync = external_sync, .name = "kvm"};
    RamSnapshot *snap;

    (void)data;
    memory_listener_register(&listener, &f->as);
    snap = take_ram(f);
    ram_host(f)[7 * PAGE] ^= 1; /* a write only the listener knew about */
    restore_expect(snap, 1);
    g_assert_cmpint(first_difference(f), ==, -1);
    ram_snapshot_free(snap);
    memory_listener_unregister(&listener);
}

static uint64_t ramd_backing[PAGE / 8];

static const MemoryRegionOps null_ops = {.endianness = DEVICE_LITTLE_ENDIAN};

/* A RAM device and an MMIO region of a page each. */
static void init_ramd_mmio(MemoryRegion *ramd, MemoryRegion *mmio)
{
    GError *err = NULL;

    ok(memory_region_init_ram_device_ptr(ramd, NULL, "ramd", PAGE, ramd_backing,
                                         &err),
       err);
    ok(memory_region_init_io(mmio, NULL, &null_ops, NULL, "mmio", PAGE, &err),
       err);
}

/* A take of an AddressSpace covers its RAM, ROM and ROM devices. */
static void test_take_address_space(Fixture *f, gconstpointer data)
{
    MemoryRegion ramd = {0}, mmio = {0};
    GError *err = NULL;
    RamSnapshot *snap;
    uint8_t *rom = memory_region_get_ram_ptr(&f->rom);

    (void)data;
    init_ramd_mmio(&ramd, &mmio);
    ok(memory_region_add_subregion(&f->root, 0x900000, &ramd, &err), err);
    ok(memory_region_add_subregion(&f->root, 0xa00000, &mmio, &err), err);
    snap = ram_snapshot_take_address_space(&f->as, &err);
    g_assert_no_error(err);
    /* RAM (once, although the alias maps half of it again) and ROM */
    g_assert_cmpuint(ram_snapshot_image_size(snap), ==, RAM_SIZE + ROM_SIZE);
    g_assert_cmpuint(memory_region_get_dirty_log_mask(&f->rom), ==,
                     1u << DIRTY_MEMORY_SNAPSHOT);
    g_assert_cmpuint(memory_region_get_dirty_log_mask(&ramd), ==, 0);
    fill(f, 0, 0);
    rom[5] = 1;
    memory_region_set_dirty(&f->rom, 5, 1);
    address_space_stb(&f->as, 0x900000, 0x77, U, NULL);
    restore_expect(snap, 2);
    g_assert_cmpint(first_difference(f), ==, -1);
    g_assert_cmpuint(rom[5], ==, 0x5a);
    /* the RAM device is not covered (not dirty-tracked) */
    g_assert_cmpuint(address_space_ldub(&f->as, 0x900000, U, NULL), ==, 0x77);
    ram_snapshot_free(snap);
    memory_region_del_subregion(&f->root, &ramd, NULL);
    memory_region_del_subregion(&f->root, &mmio, NULL);
    drain_call_rcu();
    memory_region_finalize(&ramd);
    memory_region_finalize(&mmio);
}

static void test_take_invalid(Fixture *f, gconstpointer data)
{
    MemoryRegion ramd = {0}, mmio = {0};
    MemoryRegion *bad[][2] = {
        {&f->ram, &f->alias}, {&f->root, NULL}, {&ramd, NULL}, {&mmio, NULL}};
    GError *err = NULL;
    RamSnapshot *snap;

    (void)data;
    init_ramd_mmio(&ramd, &mmio);
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_null(ram_snapshot_take(bad[i], bad[i][1] ? 2 : 1, &err));
        g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
        g_clear_error(&err);
    }
    g_assert_null(ram_snapshot_take(NULL, 1, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(ram_snapshot_take_address_space(NULL, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    /* nothing changed: the RAM does not log */
    g_assert_cmpuint(memory_region_get_dirty_log_mask(&f->ram), ==, 0);
    /* an empty snapshot restores nothing */
    snap = ram_snapshot_take(NULL, 0, &err);
    g_assert_nonnull(snap);
    restore_expect(snap, 0);
    ram_snapshot_free(snap);
    ram_snapshot_free(NULL);
    memory_region_finalize(&ramd);
    memory_region_finalize(&mmio);
}

/* Zero pages are not stored, and are restored as zeros. */
static void test_zero_pages(Fixture *f, gconstpointer data)
{
    RamSnapshot *snap;

    (void)data;
    memset(ram_host(f), 0, RAM_SIZE);
    ram_host(f)[3 * PAGE] = 1;
    ram_host(f)[100 * PAGE + 5] = 2;
    ram_host(f)[RAM_SIZE - 1] = 3;
    snap = take_ram(f);
    g_assert_cmpuint(ram_snapshot_image_size(snap), ==, 3 * PAGE);
    fill(f, 3, 0xff);
    fill(f, 4, 0xff);
    restore_expect(snap, 2);
    g_assert_cmpuint(ram_host(f)[3 * PAGE], ==, 1);
    for (unsigned i = 1; i < 2 * PAGE; i++) {
        g_assert_cmpuint(ram_host(f)[3 * PAGE + i], ==, 0);
    }
    ram_snapshot_free(snap);
}

typedef struct LogEvents {
    MemoryListener l;
    int starts, stops;
    int last_mask;
} LogEvents;

static void on_log_start(MemoryListener *l, MemoryRegionSection *s, int o,
                         int n)
{
    LogEvents *e = (LogEvents *)(void *)l;

    (void)s;
    e->starts++;
    e->last_mask = n & ~o;
}

static void on_log_stop(MemoryListener *l, MemoryRegionSection *s, int o, int n)
{
    LogEvents *e = (LogEvents *)(void *)l;

    (void)s;
    e->stops++;
    e->last_mask = o & ~n;
}

/* The client is on while at least one snapshot covers the region. */
static void test_client_life(Fixture *f, gconstpointer data)
{
    LogEvents ev = {.l = {.log_start = on_log_start, .log_stop = on_log_stop}};
    const uint8_t bit = 1u << DIRTY_MEMORY_SNAPSHOT;
    RamSnapshot *a, *b;

    (void)data;
    memory_listener_register(&ev.l, &f->as);
    a = take_ram(f);
    /* the RAM section and the alias's section of it */
    g_assert_cmpint(ev.starts, ==, 2);
    g_assert_cmpint(ev.last_mask, ==, bit);
    g_assert_cmpuint(memory_region_get_dirty_log_mask(&f->ram), ==, bit);
    b = take_ram(f);
    g_assert_cmpint(ev.starts, ==, 2);
    ram_snapshot_free(a);
    g_assert_cmpuint(memory_region_get_dirty_log_mask(&f->ram), ==, bit);
    g_assert_cmpint(ev.stops, ==, 0);
    /* the tracking still works for b */
    fill(f, 8, 8);
    restore_expect(b, 1);
    ram_snapshot_free(b);
    g_assert_cmpuint(memory_region_get_dirty_log_mask(&f->ram), ==, 0);
    g_assert_cmpint(ev.stops, ==, 2);
    g_assert_cmpint(ev.last_mask, ==, bit);
    memory_listener_unregister(&ev.l);
}

/* A snapshot keeps a removed device's region alive, and restores it. */
static void test_holds_owner(Fixture *f, gconstpointer data)
{
    int released = 0;
    OwnedRam *d = owned_ram_new(&f->root, 0x4000000, 2 * PAGE, &released);
    MemoryRegion *regions[] = {&d->ram};
    uint8_t *host = memory_region_get_ram_ptr(&d->ram);
    RamSnapshot *snap;

    (void)data;
    host[0] = 0xab;
    snap = ram_snapshot_take(regions, 1, NULL);
    g_assert_nonnull(snap);
    ok(memory_region_del_subregion(&f->root, &d->ram, NULL), NULL);
    memory_owner_unref(&d->owner);
    drain_call_rcu();
    g_assert_false(owned_ram_released(&released));
    host[0] = 0;
    memory_region_set_dirty(&d->ram, 0, 1);
    restore_expect(snap, 1);
    g_assert_cmpuint(host[0], ==, 0xab);
    ram_snapshot_free(snap);
    drain_call_rcu();
    g_assert_true(owned_ram_released(&released));
}

/* An owner-less region finalized before its snapshot: restores skip it. */
static void test_ownerless_finalized(Fixture *f, gconstpointer data)
{
    MemoryRegion *extra = g_new0(MemoryRegion, 1);
    MemoryRegion *regions[2] = {&f->ram, extra};
    RamSnapshot *snap;

    (void)data;
    ok(memory_region_init_ram(extra, NULL, "extra", PAGE, NULL), NULL);
    snap = ram_snapshot_take(regions, 2, NULL);
    g_assert_nonnull(snap);
    memory_region_finalize(extra);
    g_free(extra);
    fill(f, 2, 0);
    restore_expect(snap, 1);
    g_assert_cmpint(first_difference(f), ==, -1);
    ram_snapshot_free(snap);
}

static uint64_t resized_to;
static unsigned resized_calls;

static void on_resized(const char *name, uint64_t length, void *host)
{
    g_assert_cmpstr(name, ==, "fw");
    g_assert_nonnull(host);
    resized_to = length;
    resized_calls++;
}

/* A restore resizes resizeable RAM back, and restores what was saved. */
static void test_resize_restored(Fixture *f, gconstpointer data)
{
    MemoryRegion fw = {0};
    MemoryRegion *regions[] = {&fw};
    uint8_t *host;
    RamSnapshot *snap;

    (void)data;
    ok(memory_region_init_resizeable_ram(&fw, NULL, "fw", 4 * PAGE, 16 * PAGE,
                                         on_resized, NULL),
       NULL);
    ok(memory_region_add_subregion(&f->root, 0x4000000, &fw, NULL), NULL);
    host = memory_region_get_ram_ptr(&fw);
    memset(host, 0x33, 4 * PAGE);
    snap = ram_snapshot_take(regions, 1, NULL);
    g_assert_nonnull(snap);
    /* shrink: pages 2-3 were written before */
    address_space_stb(&f->as, 0x4000000 + 3 * PAGE, 0, U, NULL);
    ok(memory_region_ram_resize(&fw, 2 * PAGE, NULL), NULL);
    g_assert_cmpuint(resized_to, ==, 2 * PAGE);
    /* grow past the image; write there */
    ok(memory_region_ram_resize(&fw, 10 * PAGE, NULL), NULL);
    address_space_stb(&f->as, 0x4000000 + 8 * PAGE, 1, U, NULL);
    restore_expect(snap, 1);
    g_assert_cmpuint(memory_region_size(&fw), ==, 4 * PAGE);
    g_assert_cmpuint(resized_to, ==, 4 * PAGE);
    g_assert_cmpuint(resized_calls, ==, 3);
    for (unsigned i = 0; i < 4 * PAGE; i++) {
        g_assert_cmpuint(host[i], ==, 0x33);
    }
    /* the size is back in the view */
    {
        MemTxResult r = MEMTX_OK;

        (void)address_space_ldub(&f->as, 0x4000000 + 4 * PAGE, U, &r);
        g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    }
    ram_snapshot_free(snap);
    memory_region_del_subregion(&f->root, &fw, NULL);
    drain_call_rcu();
    memory_region_finalize(&fw);
}

typedef struct PlugEvents {
    RamDiscardListener rdl;
    GString *log;
} PlugEvents;

static int on_populate(RamDiscardListener *rdl, MemoryRegionSection *s)
{
    PlugEvents *e = (PlugEvents *)(void *)rdl;

    g_string_append_printf(e->log, "+%" PRIx64 "/%" PRIx64 " ",
                           s->offset_within_region, (uint64_t)s->size);
    return 0;
}

static void on_discard(RamDiscardListener *rdl, MemoryRegionSection *s)
{
    PlugEvents *e = (PlugEvents *)(void *)rdl;

    g_string_append_printf(e->log, "-%" PRIx64 "/%" PRIx64 " ",
                           s->offset_within_region, (uint64_t)s->size);
}

static bool resident(const void *p)
{
    unsigned char vec = 0;
    long page = sysconf(_SC_PAGESIZE);

    g_assert_cmpint(
        mincore((void *)((uintptr_t)p & ~(uintptr_t)(page - 1)), 1, &vec), ==,
        0);
    return vec & 1;
}

/* A restore plugs and unplugs blocks back, with notifications. */
static void test_plug_state_restored(Fixture *f, gconstpointer data)
{
    const uint64_t bs = (uint64_t)sysconf(_SC_PAGESIZE) * 2;
    MemoryRegion mem = {0};
    MemoryRegion *regions[] = {&mem};
    PlugEvents ev = {.log = g_string_new(NULL)};
    MemoryRegionSection whole;
    RamPlugManager *pm;
    RamSnapshot *snap;
    uint8_t *host;

    (void)data;
    ok(memory_region_init_ram(&mem, NULL, "vmem", 8 * bs, NULL), NULL);
    pm = ram_plug_manager_new(&mem, bs, NULL);
    g_assert_nonnull(pm);
    ok(memory_region_add_subregion(&f->root, 0x8000000, &mem, NULL), NULL);
    host = memory_region_get_ram_ptr(&mem);
    ok(ram_plug_manager_plug(pm, 0, 4 * bs, NULL), NULL);
    memset(host, 0x21, 4 * bs);
    snap = ram_snapshot_take(regions, 1, NULL);
    g_assert_nonnull(snap);
    /* only the plugged blocks are in the image */
    g_assert_cmpuint(ram_snapshot_image_size(snap), ==, 4 * bs);
    ok(ram_plug_manager_unplug(pm, bs, bs, NULL), NULL);
    ok(ram_plug_manager_plug(pm, 5 * bs, bs, NULL), NULL);
    memset(host + 5 * bs, 0x55, bs);
    whole = (MemoryRegionSection){.mr = &mem, .size = 8 * bs};
    ram_discard_listener_init(&ev.rdl, on_populate, on_discard, false);
    ram_discard_manager_register_listener(ram_plug_manager_get_rdm(pm), &ev.rdl,
                                          &whole);
    g_string_truncate(ev.log, 0);
    /* block 1 comes back with its bytes; block 5 goes */
    restore_expect(snap, bs / PAGE * 2);
    g_assert_true(ram_plug_manager_is_plugged(pm, 0, 4 * bs));
    g_assert_false(ram_plug_manager_is_plugged(pm, 5 * bs, bs));
    g_assert_cmpuint(ram_plug_manager_plugged_size(pm), ==, 4 * bs);
    for (uint64_t i = 0; i < 4 * bs; i++) {
        g_assert_cmpuint(host[i], ==, 0x21);
    }
    g_assert_false(resident(host + 5 * bs));
    g_assert_cmpuint(host[5 * bs], ==, 0);
    {
        char *want = g_strdup_printf("-%" PRIx64 "/%" PRIx64 " +%" PRIx64
                                     "/%" PRIx64 " ",
                                     5 * bs, bs, bs, bs);

        g_assert_cmpstr(ev.log->str, ==, want);
        g_free(want);
    }
    /* a guest write into an unplugged block is discarded again */
    address_space_stb(&f->as, 0x8000000 + 6 * bs, 1, U, NULL);
    restore_expect(snap, 1);
    g_assert_false(resident(host + 6 * bs));
    restore_expect(snap, 0);
    ram_discard_manager_unregister_listener(ram_plug_manager_get_rdm(pm),
                                            &ev.rdl);
    ram_snapshot_free(snap);
    memory_region_del_subregion(&f->root, &mem, NULL);
    drain_call_rcu();
    ram_plug_manager_free(pm);
    memory_region_finalize(&mem);
    g_string_free(ev.log, true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/snapshot/restore/every-write-path", test_every_write_path);
    ADD("/snapshot/restore/pages-copied-proportional", test_cost_proportional);
    ADD("/snapshot/restore/run-across-words", test_run_across_words);
    ADD("/snapshot/restore/marks-other-clients", test_marks_other_clients);
    ADD("/snapshot/restore/log-sync", test_log_sync);
    ADD("/snapshot/multiple/independent", test_multiple_independent);
    ADD("/snapshot/take/address-space", test_take_address_space);
    ADD("/snapshot/take/invalid", test_take_invalid);
    ADD("/snapshot/take/zero-pages-not-stored", test_zero_pages);
    ADD("/snapshot/client/on-while-covered", test_client_life);
    ADD("/snapshot/lifetime/holds-owner", test_holds_owner);
    ADD("/snapshot/lifetime/ownerless-finalized-first",
        test_ownerless_finalized);
    ADD("/snapshot/resize/size-restored", test_resize_restored);
    ADD("/snapshot/discard/plug-state-restored", test_plug_state_restored);
#undef ADD
    return g_test_run();
}
