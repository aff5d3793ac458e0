/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the calls QEMU device and board code makes beyond the core
 * access path: address_space_write_rom(), address_space_set(), the
 * ld*_phys / st*_phys shorthands, the DMA helpers of dma.h, RAM devices,
 * MemTxAttrs' carried bits, and the region queries and flags ported code
 * relies on (is_ram, get_ram_ptr, set_log's VGA count, set_nonvolatile,
 * is_mapped). Each expectation is QEMU 7.2's code (softmmu/physmem.c,
 * softmmu/memory.c, softmmu/dma-helpers.c).
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "testdev.h"
#include "section-copy.h"
#include "tree-helpers.h"

#define OK     MEMTX_OK
#define DECODE MEMTX_DECODE_ERROR

#define unspec MEMTXATTRS_UNSPECIFIED

/* A testdev of @size bytes (valid max 4 unless @cfg says otherwise). */
static TestDev *dev_new(TestDevConfig cfg)
{
    GError *err = NULL;
    TestDev *dev = testdev_new("dev", &cfg, &err);

    g_assert_no_error(err);
    g_assert_nonnull(dev);
    return dev;
}

/* Unmap @dev from @parent and drop the caller's reference. */
static void dev_done(MemoryRegion *parent, TestDev *dev)
{
    tree_del(parent, testdev_region(dev));
    testdev_unref(dev);
    drain_call_rcu();
}

static void assert_log(TestDev *dev, const char *want)
{
    g_autofree char *got = testdev_log_format(dev);

    g_assert_cmpstr(got, ==, want);
}

static uint8_t *ram_ptr(MemoryRegion *mr)
{
    uint8_t *p = memory_region_get_ram_ptr(mr);

    g_assert_nonnull(p);
    return p;
}

/* The `info mtree` dump (`-f`: the flat views) as a string (g_free it). */
static char *mtree_dump(bool flatview)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    g_assert_nonnull(f);
    mtree_info(f, flatview, false);
    g_assert_cmpint(fclose(f), ==, 0);
    return buf;
}

/* ---- MemTxAttrs ---------------------------------------------------------- */

static void test_attrs_layout(void)
{
    MemTxAttrs a = MEMTXATTRS_UNSPECIFIED;

    /* QEMU keeps MemTxAttrs in 32 bits; it is passed by value */
    g_assert_cmpuint(sizeof(MemTxAttrs), ==, 4);
    g_assert_true(a.unspecified);
    g_assert_false(a.secure || a.user || a.memory || a.requester_id ||
                   a.byte_swap || a.target_tlb_bit0 || a.target_tlb_bit1 ||
                   a.target_tlb_bit2);
}

static void assert_attrs_carried(TestDev *dev, MemTxAttrs want)
{
    g_assert_cmpuint(testdev_log_len(dev), >, 0);
    for (guint i = 0; i < testdev_log_len(dev); i++) {
        MemTxAttrs a = testdev_log_get(dev, i).attrs;

        g_assert_true(a.byte_swap == want.byte_swap &&
                      a.target_tlb_bit0 == want.target_tlb_bit0 &&
                      a.target_tlb_bit1 == want.target_tlb_bit1 &&
                      a.target_tlb_bit2 == want.target_tlb_bit2 &&
                      a.requester_id == want.requester_id &&
                      a.secure == want.secure);
    }
    testdev_log_clear(dev);
}

/* The TLB bits reach the callbacks untouched on every path, and byte_swap
 * changes nothing about the value (QEMU 7.2's memory API ignores it). */
static void test_attrs_carried(Tree *t, gconstpointer data)
{
    TestDev *dev = dev_new(
        (TestDevConfig){.size = 16, .impl_max = 2, .valid_unaligned = true});
    MemoryRegion *mr = testdev_region(dev);
    MemTxAttrs attrs = {.byte_swap = 1,
                        .target_tlb_bit0 = 1,
                        .target_tlb_bit2 = 1,
                        .requester_id = 0x1234};
    MemTxAttrs plain = attrs;
    MemTxResult r;
    uint8_t buf[6];

    (void)data;
    plain.byte_swap = 0;
    tree_add(t->root, 0x1000, mr);
    /* a typed store and load (inline or fast path: two 2-byte pieces) */
    address_space_stl_le(t->as, 0x1000, 0x11223344, attrs, &r);
    g_assert_cmphex(r, ==, OK);
    assert_attrs_carried(dev, attrs);
    g_assert_cmphex(address_space_ldl_le(t->as, 0x1000, attrs, &r), ==,
                    0x11223344);
    assert_attrs_carried(dev, attrs);
    g_assert_cmphex(address_space_ldl_le(t->as, 0x1000, plain, &r), ==,
                    0x11223344);
    assert_attrs_carried(dev, plain);
    /* an unaligned typed access (planned: the general dispatch path) */
    address_space_ldl_le(t->as, 0x1001, attrs, &r);
    g_assert_cmphex(r, ==, OK);
    assert_attrs_carried(dev, attrs);
    /* a buffer access, in chunks */
    g_assert_cmphex(address_space_read(t->as, 0x1001, attrs, buf, sizeof(buf)),
                    ==, OK);
    assert_attrs_carried(dev, attrs);
    dev_done(t->root, dev);
}

/* ---- address_space_write_rom() ------------------------------------------- */

static void test_write_rom_rom(Tree *t, gconstpointer data)
{
    MemoryRegion *rom = tree_rom(t, "rom", 0x1000);
    static const uint8_t img[4] = {0xde, 0xad, 0xbe, 0xef};
    uint8_t got[4];

    (void)data;
    tree_add(t->root, 0x10000, rom);
    /* an ordinary write is refused (QEMU 7.2: unassigned ops) */
    g_assert_cmphex(address_space_write(t->as, 0x10010, unspec, img, 4), ==,
                    DECODE);
    g_assert_cmphex(ram_ptr(rom)[0x10], ==, 0);
    /* the loader's write goes in */
    g_assert_cmphex(address_space_write_rom(t->as, 0x10010, unspec, img, 4), ==,
                    OK);
    g_assert_cmpmem(ram_ptr(rom) + 0x10, 4, img, 4);
    g_assert_cmphex(address_space_read(t->as, 0x10010, unspec, got, 4), ==, OK);
    g_assert_cmpmem(got, 4, img, 4);
}

/* Read-only flags of the RAM itself, of an alias or of a container are
 * ignored: only the region's memory counts. */
static void test_write_rom_readonly(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *alias = tree_alias(t, "ro-alias", ram, 0x800, 0x800);
    static const uint8_t v[2] = {0x5a, 0xa5};

    (void)data;
    tree_add(t->root, 0x0, ram);
    tree_add(t->root, 0x8000, alias);
    memory_region_set_readonly(ram, true);
    memory_region_set_readonly(alias, true);
    g_assert_cmphex(address_space_write(t->as, 0x10, unspec, v, 2), ==, DECODE);
    g_assert_cmphex(address_space_write_rom(t->as, 0x10, unspec, v, 2), ==, OK);
    g_assert_cmphex(address_space_write_rom(t->as, 0x8010, unspec, v, 2), ==,
                    OK);
    g_assert_cmpmem(ram_ptr(ram) + 0x10, 2, v, 2);
    g_assert_cmpmem(ram_ptr(ram) + 0x810, 2, v, 2);
}

/*
 * MMIO in the middle is skipped without a callback, in QEMU's chunks: a
 * 2-byte device at 0x1000 is skipped 4 bytes at a time (valid max 4, the
 * address aligned), so the RAM at 0x1002-0x1003 behind the chunk is not
 * written either, and the copy goes on at 0x1004 with the matching bytes.
 */
static void test_write_rom_skips_mmio(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x2000);
    TestDev *dev = dev_new((TestDevConfig){.size = 2});
    uint8_t img[0x20];

    (void)data;
    for (unsigned i = 0; i < sizeof(img); i++) {
        img[i] = (uint8_t)(0x80 + i);
    }
    tree_add(t->root, 0x0, ram);
    tree_add_prio(t->root, 0x1000, testdev_region(dev), 1);
    g_assert_cmphex(
        address_space_write_rom(t->as, 0xff0, unspec, img, sizeof(img)), ==,
        OK);
    assert_log(dev, "");
    g_assert_cmpmem(ram_ptr(ram) + 0xff0, 0x10, img, 0x10);
    /* 0x1000-0x1003: one skipped chunk, device and RAM alike */
    g_assert_cmphex(ram_ptr(ram)[0x1002], ==, 0);
    g_assert_cmphex(ram_ptr(ram)[0x1003], ==, 0);
    g_assert_cmpmem(ram_ptr(ram) + 0x1004, 0xc, img + 0x14, 0xc);
    dev_done(t->root, dev);
}

/* A ROM device in romd mode is written directly; in MMIO mode it is
 * skipped like any MMIO (QEMU: memory_region_is_romd() only). */
static void test_write_rom_rom_device(Tree *t, gconstpointer data)
{
    MemoryRegion *flash = tree_rom_device(t, "flash", 0x1000);
    static const uint8_t v[4] = {1, 2, 3, 4};
    static const uint8_t w[4] = {5, 6, 7, 8};

    (void)data;
    tree_add(t->root, 0x40000, flash);
    g_assert_cmphex(address_space_write_rom(t->as, 0x40100, unspec, v, 4), ==,
                    OK);
    g_assert_cmpmem(ram_ptr(flash) + 0x100, 4, v, 4);
    memory_region_rom_device_set_romd(flash, false);
    g_assert_cmphex(address_space_write_rom(t->as, 0x40100, unspec, w, 4), ==,
                    OK);
    g_assert_cmpmem(ram_ptr(flash) + 0x100, 4, v, 4);
}

/* Holes are skipped (MEMTX_OK all the same); the RAM after one gets the
 * bytes of its own addresses. */
static void test_write_rom_hole(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    uint8_t img[0x18];

    (void)data;
    memset(img, 0x77, sizeof(img));
    img[0x10] = 0x01;
    tree_add(t->root, 0x2010, ram);
    g_assert_cmphex(
        address_space_write_rom(t->as, 0x2000, unspec, img, sizeof(img)), ==,
        OK);
    g_assert_cmphex(ram_ptr(ram)[0], ==, 0x01);
    g_assert_cmphex(ram_ptr(ram)[7], ==, 0x77);
    g_assert_cmphex(ram_ptr(ram)[8], ==, 0);
}

/* The pages written are dirty for the clients the region logs. */
static void test_write_rom_dirty(Tree *t, gconstpointer data)
{
    MemoryRegion *rom = tree_rom(t, "rom", 0x4000);
    uint8_t b = 0xff;

    (void)data;
    tree_add(t->root, 0x0, rom);
    memory_region_set_log(rom, true, DIRTY_MEMORY_VGA);
    g_assert_false(memory_region_get_dirty(rom, 0, 0x4000, DIRTY_MEMORY_VGA));
    address_space_write_rom(t->as, 0x2001, unspec, &b, 1);
    g_assert_false(memory_region_get_dirty(rom, 0, 0x2000, DIRTY_MEMORY_VGA));
    g_assert_true(
        memory_region_get_dirty(rom, 0x2000, 0x1000, DIRTY_MEMORY_VGA));
    g_assert_false(
        memory_region_get_dirty(rom, 0x3000, 0x1000, DIRTY_MEMORY_VGA));
    memory_region_set_log(rom, false, DIRTY_MEMORY_VGA);
}

/* Bytes past 2^64 wrap to address 0, as QEMU 7.2's loop does. */
static void test_write_rom_top(Tree *t, gconstpointer data)
{
    MemoryRegion *top = tree_rom(t, "top", 0x1000);
    MemoryRegion *low = tree_ram(t, "low", 0x1000);
    static const uint8_t v[4] = {0xa1, 0xa2, 0xa3, 0xa4};

    (void)data;
    tree_add(t->root, 0xfffffffffffff000ull, top);
    tree_add(t->root, 0, low);
    g_assert_cmphex(
        address_space_write_rom(t->as, UINT64_MAX - 1, unspec, v, 4), ==, OK);
    g_assert_cmpmem(ram_ptr(top) + 0xffe, 2, v, 2);
    g_assert_cmpmem(ram_ptr(low), 2, v + 2, 2);
    g_assert_cmphex(ram_ptr(low)[2], ==, 0);
}

/* ---- address_space_set() ------------------------------------------------- */

static void test_set_ram(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x2000);

    (void)data;
    tree_add(t->root, 0x0, ram);
    g_assert_cmphex(address_space_set(t->as, 0x101, 0xc5, 1000, unspec), ==,
                    OK);
    g_assert_cmphex(ram_ptr(ram)[0x100], ==, 0);
    for (unsigned i = 0; i < 1000; i++) {
        g_assert_cmphex(ram_ptr(ram)[0x101 + i], ==, 0xc5);
    }
    g_assert_cmphex(ram_ptr(ram)[0x101 + 1000], ==, 0);
    /* length 0: nothing */
    g_assert_cmphex(address_space_set(t->as, 0, 0x11, 0, unspec), ==, OK);
    g_assert_cmphex(ram_ptr(ram)[0], ==, 0);
}

/* MMIO gets the callbacks of a buffer write: aligned chunks of at most
 * valid.max_access_size, each holding the fill byte. */
static void test_set_mmio(Tree *t, gconstpointer data)
{
    TestDev *dev = dev_new((TestDevConfig){.size = 16});

    (void)data;
    tree_add(t->root, 0x3000, testdev_region(dev));
    g_assert_cmphex(address_space_set(t->as, 0x3002, 0x5c, 10, unspec), ==, OK);
    assert_log(dev, "w2@0x2 w4@0x4 w4@0x8");
    g_assert_cmphex(testdev_log_get(dev, 1).value, ==, 0x5c5c5c5c);
    dev_done(t->root, dev);
}

/* ROM and holes are reported as address_space_write() reports them; the
 * RAM parts are filled anyway. */
static void test_set_errors(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *rom = tree_rom(t, "rom", 0x1000);

    (void)data;
    tree_add(t->root, 0x0, ram);
    tree_add(t->root, 0x1000, rom);
    g_assert_cmphex(address_space_set(t->as, 0xff0, 0xee, 0x20, unspec), ==,
                    DECODE);
    g_assert_cmphex(ram_ptr(ram)[0xfff], ==, 0xee);
    g_assert_cmphex(ram_ptr(rom)[0], ==, 0);
    g_assert_cmphex(address_space_set(t->as, 0x2000, 0xee, 4, unspec), ==,
                    DECODE);
}

/* A fill running past 2^64 wraps to address 0, as QEMU 7.2's does. */
static void test_set_top(Tree *t, gconstpointer data)
{
    MemoryRegion *top = tree_ram(t, "top", 0x1000);
    MemoryRegion *low = tree_ram(t, "low", 0x1000);

    (void)data;
    tree_add(t->root, 0xfffffffffffff000ull, top);
    tree_add(t->root, 0, low);
    g_assert_cmphex(
        address_space_set(t->as, UINT64_MAX - 3, 0x99, 0x1000, unspec), ==, OK);
    g_assert_cmphex(ram_ptr(top)[0xffc], ==, 0x99);
    g_assert_cmphex(ram_ptr(top)[0xfff], ==, 0x99);
    g_assert_cmphex(ram_ptr(low)[0], ==, 0x99);
    g_assert_cmphex(ram_ptr(low)[0xffb], ==, 0x99);
    g_assert_cmphex(ram_ptr(low)[0xffc], ==, 0);
}

/* ---- ld*_phys / st*_phys ------------------------------------------------- */

static const uint8_t pattern[8] = {0x11, 0x22, 0x33, 0x44,
                                   0x55, 0x66, 0x77, 0x88};

static void test_ldst_phys(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    AddressSpace *as = t->as;
    uint8_t *p;

    (void)data;
    tree_add(t->root, 0x0, ram);
    p = ram_ptr(ram);
    memcpy(p + 0x10, pattern, 8);
    g_assert_cmphex(ldub_phys(as, 0x10), ==, 0x11);
    g_assert_cmphex(lduw_le_phys(as, 0x10), ==, 0x2211);
    g_assert_cmphex(lduw_be_phys(as, 0x10), ==, 0x1122);
    g_assert_cmphex(ldl_le_phys(as, 0x10), ==, 0x44332211);
    g_assert_cmphex(ldl_be_phys(as, 0x10), ==, 0x11223344);
    g_assert_cmphex(ldq_le_phys(as, 0x10), ==, 0x8877665544332211ull);
    g_assert_cmphex(ldq_be_phys(as, 0x10), ==, 0x1122334455667788ull);
    /* target order: little by default, then big */
    g_assert_cmphex(lduw_phys(as, 0x10), ==, 0x2211);
    g_assert_cmphex(ldl_phys(as, 0x10), ==, 0x44332211);
    g_assert_cmphex(ldq_phys(as, 0x10), ==, 0x8877665544332211ull);
    address_space_set_big_endian(as, true);
    g_assert_cmphex(lduw_phys(as, 0x10), ==, 0x1122);
    g_assert_cmphex(ldl_phys(as, 0x10), ==, 0x11223344);
    g_assert_cmphex(ldq_phys(as, 0x10), ==, 0x1122334455667788ull);

    stb_phys(as, 0x20, 0x11);
    stw_le_phys(as, 0x28, 0x2211);
    stw_be_phys(as, 0x30, 0x1122);
    stl_le_phys(as, 0x38, 0x44332211);
    stl_be_phys(as, 0x40, 0x11223344);
    stq_le_phys(as, 0x48, 0x8877665544332211ull);
    stq_be_phys(as, 0x50, 0x1122334455667788ull);
    stw_phys(as, 0x58, 0x1122); /* big endian now */
    stl_phys(as, 0x60, 0x11223344);
    stq_phys(as, 0x68, 0x1122334455667788ull);
    address_space_set_big_endian(as, false);
    stw_phys(as, 0x70, 0x2211);
    stl_phys(as, 0x78, 0x44332211);
    stq_phys(as, 0x80, 0x8877665544332211ull);
    g_assert_cmpmem(p + 0x20, 1, pattern, 1);
    for (hwaddr a = 0x28; a <= 0x80; a += 8) {
        unsigned n = a == 0x28 || a == 0x30 || a == 0x58 || a == 0x70   ? 2
                     : a == 0x38 || a == 0x40 || a == 0x60 || a == 0x78 ? 4
                                                                        : 8;

        g_assert_cmpmem(p + a, n, pattern, n);
    }
    /* a hole: 0, and nothing to report */
    g_assert_cmphex(ldl_le_phys(as, 0x100000), ==, 0);
    stl_le_phys(as, 0x100000, 1);
}

static void test_ldst_phys_cached(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegionCache cache;
    uint8_t *p;

    (void)data;
    tree_add(t->root, 0x4000, ram);
    p = ram_ptr(ram);
    memcpy(p + 0x10, pattern, 8);
    g_assert_cmpint(
        address_space_cache_init(&cache, t->as, 0x4010, 0x100, true), ==,
        0x100);
    /* addresses are offsets in the cached range */
    g_assert_cmphex(ldub_phys_cached(&cache, 1), ==, 0x22);
    g_assert_cmphex(lduw_le_phys_cached(&cache, 0), ==, 0x2211);
    g_assert_cmphex(lduw_be_phys_cached(&cache, 0), ==, 0x1122);
    g_assert_cmphex(ldl_le_phys_cached(&cache, 0), ==, 0x44332211);
    g_assert_cmphex(ldl_be_phys_cached(&cache, 0), ==, 0x11223344);
    g_assert_cmphex(ldq_le_phys_cached(&cache, 0), ==, 0x8877665544332211ull);
    g_assert_cmphex(ldq_be_phys_cached(&cache, 0), ==, 0x1122334455667788ull);
    g_assert_cmphex(lduw_phys_cached(&cache, 0), ==, 0x2211);
    g_assert_cmphex(ldl_phys_cached(&cache, 0), ==, 0x44332211);
    g_assert_cmphex(ldq_phys_cached(&cache, 0), ==, 0x8877665544332211ull);
    stb_phys_cached(&cache, 0x20, 0x11);
    stw_le_phys_cached(&cache, 0x28, 0x2211);
    stw_be_phys_cached(&cache, 0x30, 0x1122);
    stl_le_phys_cached(&cache, 0x38, 0x44332211);
    stl_be_phys_cached(&cache, 0x40, 0x11223344);
    stq_le_phys_cached(&cache, 0x48, 0x8877665544332211ull);
    stq_be_phys_cached(&cache, 0x50, 0x1122334455667788ull);
    stw_phys_cached(&cache, 0x58, 0x2211);
    stl_phys_cached(&cache, 0x60, 0x44332211);
    stq_phys_cached(&cache, 0x68, 0x8877665544332211ull);
    g_assert_cmpmem(p + 0x30, 1, pattern, 1);
    for (hwaddr a = 0x38; a <= 0x78; a += 8) {
        unsigned n = a == 0x38 || a == 0x40 || a == 0x68   ? 2
                     : a == 0x48 || a == 0x50 || a == 0x70 ? 4
                                                           : 8;

        g_assert_cmpmem(p + a, n, pattern, n);
    }
    /* past the cached range: 0, dropped */
    g_assert_cmphex(ldl_le_phys_cached(&cache, 0x100), ==, 0);
    address_space_cache_destroy(&cache);
}

/* The shorthands pass MEMTXATTRS_UNSPECIFIED. */
static void test_ldst_phys_attrs(Tree *t, gconstpointer data)
{
    TestDev *dev = dev_new((TestDevConfig){.size = 8});

    (void)data;
    tree_add(t->root, 0x5000, testdev_region(dev));
    stl_le_phys(t->as, 0x5000, 0xabcdef01);
    g_assert_cmphex(ldl_le_phys(t->as, 0x5000), ==, 0xabcdef01);
    assert_log(dev, "w4@0x0 r4@0x0");
    for (guint i = 0; i < 2; i++) {
        g_assert_true(testdev_log_get(dev, i).attrs.unspecified);
    }
    dev_done(t->root, dev);
}

/* ---- dma.h --------------------------------------------------------------- */

static void test_dma_rw(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    static const char msg[] = "from the device";
    char got[sizeof(msg)];

    (void)data;
    tree_add(t->root, 0x0, ram);
    g_assert_cmphex(dma_memory_write(t->as, 0x100, msg, sizeof(msg), unspec),
                    ==, OK);
    g_assert_cmpstr((char *)ram_ptr(ram) + 0x100, ==, msg);
    memset(got, 0, sizeof(got));
    g_assert_cmphex(dma_memory_read(t->as, 0x100, got, sizeof(got), unspec), ==,
                    OK);
    g_assert_cmpstr(got, ==, msg);
    /* the direction picks read or write */
    memset(got, 0, sizeof(got));
    g_assert_cmphex(dma_memory_rw(t->as, 0x100, got, sizeof(got),
                                  DMA_DIRECTION_TO_DEVICE, unspec),
                    ==, OK);
    g_assert_cmpstr(got, ==, msg);
    got[0] = 'F';
    g_assert_cmphex(dma_memory_rw(t->as, 0x100, got, sizeof(got),
                                  DMA_DIRECTION_FROM_DEVICE, unspec),
                    ==, OK);
    g_assert_cmphex(ram_ptr(ram)[0x100], ==, 'F');
    g_assert_cmphex(dma_memory_write_relaxed(t->as, 0x200, msg, sizeof(msg)),
                    ==, OK);
    memset(got, 0, sizeof(got));
    g_assert_cmphex(dma_memory_read_relaxed(t->as, 0x200, got, sizeof(got)), ==,
                    OK);
    g_assert_cmpstr(got, ==, msg);
    /* a hole: an error, as address_space_read() gives */
    g_assert_cmphex(dma_memory_read(t->as, 0x10000, got, 4, unspec), ==,
                    DECODE);
    g_assert_cmpstr(DMA_ADDR_FMT, ==, "%" PRIx64);
    g_assert_cmpuint(sizeof(dma_addr_t) * 8, ==, DMA_ADDR_BITS);
}

static void test_dma_valid(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *rom = tree_rom(t, "rom", 0x1000);

    (void)data;
    tree_add(t->root, 0x0, ram);
    tree_add(t->root, 0x1000, rom);
    g_assert_true(
        dma_memory_valid(t->as, 0, 0x2000, DMA_DIRECTION_TO_DEVICE, unspec));
    /* FROM_DEVICE writes: ROM refuses */
    g_assert_false(
        dma_memory_valid(t->as, 0, 0x2000, DMA_DIRECTION_FROM_DEVICE, unspec));
    g_assert_true(
        dma_memory_valid(t->as, 0, 0x1000, DMA_DIRECTION_FROM_DEVICE, unspec));
    g_assert_false(dma_memory_valid(t->as, 0x1800, 0x1000,
                                    DMA_DIRECTION_TO_DEVICE, unspec));
}

static void test_dma_set(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);

    (void)data;
    tree_add(t->root, 0x0, ram);
    g_assert_cmphex(dma_memory_set(t->as, 0x10, 0xab, 0x600, unspec), ==, OK);
    g_assert_cmphex(ram_ptr(ram)[0xf], ==, 0);
    g_assert_cmphex(ram_ptr(ram)[0x10], ==, 0xab);
    g_assert_cmphex(ram_ptr(ram)[0x60f], ==, 0xab);
    g_assert_cmphex(ram_ptr(ram)[0x610], ==, 0);
    g_assert_cmphex(dma_memory_set(t->as, 0xff0, 0xab, 0x20, unspec), ==,
                    DECODE);
}

static void test_dma_map(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    TestDev *dev = dev_new((TestDevConfig){.size = 16});
    dma_addr_t len = 0x2000;
    uint8_t *p;

    (void)data;
    tree_add(t->root, 0x0, ram);
    tree_add(t->root, 0x8000, testdev_region(dev));
    memory_region_set_log(ram, true, DIRTY_MEMORY_VGA);
    /* RAM: a direct pointer, the length clamped to the region */
    p = dma_memory_map(t->as, 0x800, &len, DMA_DIRECTION_FROM_DEVICE, unspec);
    g_assert_true(p == ram_ptr(ram) + 0x800);
    g_assert_cmphex(len, ==, 0x800);
    p[0] = 0x42;
    dma_memory_unmap(t->as, p, len, DMA_DIRECTION_FROM_DEVICE, 1);
    g_assert_true(memory_region_get_dirty(ram, 0x800, 1, DIRTY_MEMORY_VGA));
    g_assert_cmphex(ram_ptr(ram)[0x800], ==, 0x42);
    /* MMIO: a bounce buffer filled by reads (TO_DEVICE) */
    testdev_regs_write(dev, 0, pattern, 8);
    len = 8;
    p = dma_memory_map(t->as, 0x8000, &len, DMA_DIRECTION_TO_DEVICE, unspec);
    g_assert_nonnull(p);
    g_assert_cmphex(len, ==, 8);
    g_assert_cmpmem(p, 8, pattern, 8);
    dma_memory_unmap(t->as, p, len, DMA_DIRECTION_TO_DEVICE, 8);
    assert_log(dev, "r4@0x0 r4@0x4");
    memory_region_set_log(ram, false, DIRTY_MEMORY_VGA);
    dev_done(t->root, dev);
}

/* Typed DMA accesses are buffer accesses: one that a device's maximum size
 * refuses as a typed access is split instead. */
static void test_dma_ldst(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    TestDev *dev = dev_new((TestDevConfig){.size = 16, .valid_max = 4});
    uint8_t *p;
    uint64_t q;
    uint32_t l;
    uint16_t w;
    uint8_t b;

    (void)data;
    tree_add(t->root, 0x0, ram);
    tree_add(t->root, 0x8000, testdev_region(dev));
    p = ram_ptr(ram);
    g_assert_cmphex(stb_dma(t->as, 0x10, 0x11, unspec), ==, OK);
    g_assert_cmphex(stw_le_dma(t->as, 0x18, 0x2211, unspec), ==, OK);
    g_assert_cmphex(stw_be_dma(t->as, 0x20, 0x1122, unspec), ==, OK);
    g_assert_cmphex(stl_le_dma(t->as, 0x28, 0x44332211, unspec), ==, OK);
    g_assert_cmphex(stl_be_dma(t->as, 0x30, 0x11223344, unspec), ==, OK);
    g_assert_cmphex(stq_le_dma(t->as, 0x38, 0x8877665544332211ull, unspec), ==,
                    OK);
    g_assert_cmphex(stq_be_dma(t->as, 0x40, 0x1122334455667788ull, unspec), ==,
                    OK);
    g_assert_cmpmem(p + 0x10, 1, pattern, 1);
    g_assert_cmpmem(p + 0x18, 2, pattern, 2);
    g_assert_cmpmem(p + 0x20, 2, pattern, 2);
    g_assert_cmpmem(p + 0x28, 4, pattern, 4);
    g_assert_cmpmem(p + 0x30, 4, pattern, 4);
    g_assert_cmpmem(p + 0x38, 8, pattern, 8);
    g_assert_cmpmem(p + 0x40, 8, pattern, 8);
    g_assert_cmphex(ldub_dma(t->as, 0x38, &b, unspec), ==, OK);
    g_assert_cmphex(b, ==, 0x11);
    g_assert_cmphex(lduw_le_dma(t->as, 0x38, &w, unspec), ==, OK);
    g_assert_cmphex(w, ==, 0x2211);
    g_assert_cmphex(lduw_be_dma(t->as, 0x38, &w, unspec), ==, OK);
    g_assert_cmphex(w, ==, 0x1122);
    g_assert_cmphex(ldl_le_dma(t->as, 0x38, &l, unspec), ==, OK);
    g_assert_cmphex(l, ==, 0x44332211);
    g_assert_cmphex(ldl_be_dma(t->as, 0x38, &l, unspec), ==, OK);
    g_assert_cmphex(l, ==, 0x11223344);
    g_assert_cmphex(ldq_le_dma(t->as, 0x38, &q, unspec), ==, OK);
    g_assert_cmphex(q, ==, 0x8877665544332211ull);
    g_assert_cmphex(ldq_be_dma(t->as, 0x38, &q, unspec), ==, OK);
    g_assert_cmphex(q, ==, 0x1122334455667788ull);
    /* 8 bytes to a device that takes at most 4: two callbacks */
    g_assert_cmphex(stq_le_dma(t->as, 0x8000, 0x8877665544332211ull, unspec),
                    ==, OK);
    assert_log(dev, "w4@0x0 w4@0x4");
    g_assert_cmphex(address_space_ldq_le(t->as, 0x8000, unspec, NULL), ==, 0);
    g_assert_cmphex(ldq_le_dma(t->as, 0x8000, &q, unspec), ==, OK);
    g_assert_cmphex(q, ==, 0x8877665544332211ull);
    /* a hole: the error, and zeros */
    q = 1;
    g_assert_cmphex(ldq_le_dma(t->as, 0x100000, &q, unspec), ==, DECODE);
    g_assert_cmphex(q, ==, 0);
    dev_done(t->root, dev);
}

static int sg_released;

static void sg_owner_release(MemoryOwner *owner)
{
    (void)owner;
    __atomic_store_n(&sg_released, 1, __ATOMIC_RELEASE);
}

static void test_dma_sglist(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryOwner owner;
    QEMUSGList sg;
    dma_addr_t residual = 1;
    char buf[12] = "abcdefghijk";
    char back[16];
    uint8_t *p;

    (void)data;
    tree_add(t->root, 0x0, ram);
    p = ram_ptr(ram);
    memory_owner_init(&owner, "sg-dev", sg_owner_release);
    qemu_sglist_init(&sg, &owner, 1, t->as);
    qemu_sglist_add(&sg, 0x300, 4);
    qemu_sglist_add(&sg, 0x100, 2);
    qemu_sglist_add(&sg, 0x200, 10);
    g_assert_cmpint(sg.nsg, ==, 3);
    g_assert_cmpint(sg.nalloc, ==, 3); /* 1, then 2 * 1 + 1 */
    g_assert_cmpuint(sg.size, ==, 16);
    /* the device's buffer goes out to guest memory, entry by entry */
    g_assert_cmphex(dma_buf_read(buf, 12, &residual, &sg, unspec), ==, OK);
    g_assert_cmpuint(residual, ==, 4);
    g_assert_cmpmem(p + 0x300, 4, "abcd", 4);
    g_assert_cmpmem(p + 0x100, 2, "ef", 2);
    g_assert_cmpmem(p + 0x200, 6, "ghijk", 6);
    g_assert_cmphex(p[0x206], ==, 0); /* the copy stopped at 12 bytes */
    /* and back in: at most the list's 16 bytes */
    memset(back, 0xff, sizeof(back));
    g_assert_cmphex(dma_buf_write(back, sizeof(back), &residual, &sg, unspec),
                    ==, OK);
    g_assert_cmpuint(residual, ==, 0);
    g_assert_cmpmem(back, 12, buf, 12);
    g_assert_cmpmem(back + 12, 4, "\0\0\0\0", 4);
    /* the list holds a reference on its owner */
    memory_owner_unref(&owner);
    drain_call_rcu();
    g_assert_cmpint(__atomic_load_n(&sg_released, __ATOMIC_ACQUIRE), ==, 0);
    qemu_sglist_destroy(&sg);
    drain_call_rcu();
    g_assert_cmpint(__atomic_load_n(&sg_released, __ATOMIC_ACQUIRE), ==, 1);
    g_assert_null(sg.sg);
    g_assert_cmpint(sg.nsg, ==, 0);
}

static void test_dma_pow2_mask(void)
{
    static const struct {
        uint64_t start, end;
        int bits;
        uint64_t mask;
    } cases[] = {
        {0x1000, 0x1fff, 64, 0xfff}, /* one aligned 4 KiB block */
        {0x1000, 0x2fff, 64, 0xfff}, /* the alignment of start bounds it */
        {0x0, 0x2fff, 64, 0x1fff},   /* 0 is aligned: size rounds down */
        {0x0, UINT64_MAX, 64, UINT64_MAX}, /* the whole space */
        {0x0, 0xffff, 12, 0xfff},          /* bounded by the address bits */
        {0x3, 0x3, 64, 0x0},               /* one byte */
        {0x8000, 0xffffffff, 64, 0x7fff},
        {0x0, 0x0, 64, 0x0},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_cmphex(
            dma_aligned_pow2_mask(cases[i].start, cases[i].end, cases[i].bits),
            ==, cases[i].mask);
    }
}

/* ---- RAM devices --------------------------------------------------------- */

static MemoryRegion *ram_device(Tree *t, uint64_t size, void *ptr)
{
    MemoryRegion *mr = tree_storage(t);
    GError *err = NULL;

    tree_check(
        memory_region_init_ram_device_ptr(mr, NULL, "bar", size, ptr, &err),
        err);
    return mr;
}

/* Every access reaches the caller's memory, through the dispatcher:
 * values of every size and alignment are right, and nothing is direct. */
static void test_ram_device_access(Tree *t, gconstpointer data)
{
    uint64_t *mem = g_new0(uint64_t, 512);
    uint8_t *bytes = (uint8_t *)mem;
    MemoryRegion *mr = ram_device(t, 0x1000, mem);
    hwaddr len = 0x100;
    const MemoryRegionSection *s;
    uint8_t buf[16];
    GuestMemory *gm;
    FlatView *fv;
    void *p;

    (void)data;
    tree_add(t->root, 0x10000, mr);
    g_assert_true(memory_region_is_ram(mr));
    g_assert_true(memory_region_is_ram_device(mr));
    g_assert_false(memory_region_is_rom(mr));
    g_assert_cmpint(memory_region_kind(mr), ==, MR_KIND_IO);
    g_assert_true(memory_region_get_ram_ptr(mr) == (void *)mem);
    memcpy(bytes + 0x20, pattern, 8);
    g_assert_cmphex(address_space_ldq_le(t->as, 0x10020, unspec, NULL), ==,
                    0x8877665544332211ull);
    g_assert_cmphex(address_space_ldl_be(t->as, 0x10021, unspec, NULL), ==,
                    0x22334455);
    address_space_stw_le(t->as, 0x10033, 0xbeef, unspec, NULL);
    g_assert_cmphex(bytes[0x33], ==, 0xef);
    g_assert_cmphex(bytes[0x34], ==, 0xbe);
    g_assert_cmphex(address_space_read(t->as, 0x1001f, unspec, buf, 16), ==,
                    OK);
    g_assert_cmphex(buf[0], ==, 0);
    g_assert_cmpmem(buf + 1, 8, pattern, 8);
    /* attrs.memory accepts it: QEMU counts it as RAM */
    g_assert_cmphex(
        address_space_read(t->as, 0x10020, (MemTxAttrs){.memory = 1}, buf, 8),
        ==, OK);
    g_assert_cmpmem(buf, 8, pattern, 8);
    /* not direct: map bounces, the GuestRegion has no host address */
    p = address_space_map(t->as, 0x10020, &len, false, unspec);
    g_assert_nonnull(p);
    g_assert_true((uint8_t *)p < bytes || (uint8_t *)p >= bytes + 0x1000);
    g_assert_cmpmem(p, 8, pattern, 8);
    address_space_unmap(t->as, p, len, false, 0);
    fv = tree_view(t->as);
    s = view_lookup(fv, 0x10000);
    g_assert_true(s && s->mr == mr);
    gm = flatview_get_guest_memory(fv, false);
    g_assert_null(guest_memory_find_region(gm, 0x10000)->host);
    guest_memory_put(gm);
    flatview_unref(fv);
    /* the loader's write copies into it */
    g_assert_cmphex(address_space_write_rom(t->as, 0x10100, unspec, "xy", 2),
                    ==, OK);
    g_assert_cmpmem(bytes + 0x100, 2, "xy", 2);
    tree_del(t->root, mr);
    drain_call_rcu();
    memory_region_finalize(mr);
    g_free(mem);
}

/* `info mtree` says "ramd", in the tree and in the flat view. */
static void test_ram_device_mtree(Tree *t, gconstpointer data)
{
    uint64_t *mem = g_new0(uint64_t, 512);
    MemoryRegion *mr = ram_device(t, 0x1000, mem);
    g_autofree char *tree = NULL;
    g_autofree char *flat = NULL;

    (void)data;
    tree_add(t->root, 0x10000, mr);
    tree = mtree_dump(false);
    flat = mtree_dump(true);
    g_assert_nonnull(strstr(tree, "0000000000010000-0000000000010fff "
                                  "(prio 0, ramd): bar\n"));
    g_assert_nonnull(strstr(flat, "0000000000010000-0000000000010fff "
                                  "(prio 0, ramd): bar\n"));
    tree_del(t->root, mr);
    drain_call_rcu();
    memory_region_finalize(mr);
    g_free(mem);
}

static void test_ram_device_errors(void)
{
    MemoryRegion mr = {0};
    uint64_t mem[2];
    GError *err = NULL;

    g_assert_false(
        memory_region_init_ram_device_ptr(&mr, NULL, "bar", 16, NULL, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(
        memory_region_init_ram_device_ptr(&mr, NULL, "bar", 0, mem, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_cmpint(memory_region_kind(&mr), ==, MR_KIND_NONE);
}

/* ---- region queries and flags -------------------------------------------- */

static void test_region_is_ram(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *rom = tree_rom(t, "rom", 0x1000);
    MemoryRegion *flash = tree_rom_device(t, "flash", 0x1000);
    MemoryRegion *io = tree_io(t, "io", 0x1000);
    MemoryRegion *box = tree_container(t, "box", 0x1000);

    (void)data;
    g_assert_true(memory_region_is_ram(ram));
    g_assert_true(memory_region_is_ram(rom));
    /* QEMU: a ROM device is not RAM, romd or not */
    g_assert_false(memory_region_is_ram(flash));
    g_assert_true(memory_region_is_romd(flash));
    memory_region_rom_device_set_romd(flash, false);
    g_assert_false(memory_region_is_ram(flash));
    g_assert_false(memory_region_is_romd(flash));
    g_assert_false(memory_region_is_ram(io));
    g_assert_false(memory_region_is_ram(box));
    g_assert_true(memory_region_is_rom(rom));
    g_assert_false(memory_region_is_rom(ram));
    g_assert_false(memory_region_is_rom(flash));
    g_assert_false(memory_region_is_ram_device(ram));
    g_assert_false(memory_region_is_ram_device(io));
}

/* QEMU 7.2's memory_region_init_io() takes NULL ops: unassigned_mem_ops. */
static void test_region_io_null_ops(Tree *t, gconstpointer data)
{
    MemoryRegion *mr = tree_storage(t);
    g_autofree char *tree = NULL;
    GError *err = NULL;
    uint32_t v = 0xffffffff;
    MemTxResult r;

    (void)data;
    tree_check(
        memory_region_init_io(mr, NULL, NULL, NULL, "empty", 0x100, &err), err);
    tree_add(t->root, 0x9000, mr);
    g_assert_cmphex(address_space_read(t->as, 0x9000, unspec, &v, 4), ==,
                    DECODE);
    g_assert_cmphex(v, ==, 0);
    g_assert_cmphex(address_space_write(t->as, 0x9004, unspec, &v, 4), ==,
                    DECODE);
    g_assert_cmphex(address_space_ldl_le(t->as, 0x9008, unspec, &r), ==, 0);
    g_assert_cmphex(r, ==, DECODE);
    tree = mtree_dump(false);
    g_assert_nonnull(strstr(tree, "0000000000009000-00000000000090ff "
                                  "(prio 0, i/o): empty\n"));
}

/* QEMU 7.2's memory_region_get_ram_ptr(): the alias chain's offsets add up. */
static void test_region_get_ram_ptr(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x4000);
    MemoryRegion *a1 = tree_alias(t, "a1", ram, 0x1000, 0x3000);
    MemoryRegion *a2 = tree_alias(t, "a2", a1, 0x800, 0x800);
    MemoryRegion *flash = tree_rom_device(t, "flash", 0x1000);
    MemoryRegion *io = tree_io(t, "io", 0x1000);
    MemoryRegion *ptr_ram = tree_storage(t);
    static uint8_t backing[64];
    GError *err = NULL;

    (void)data;
    tree_check(
        memory_region_init_ram_ptr(ptr_ram, NULL, "ptr", 64, backing, &err),
        err);
    g_assert_true((uint8_t *)memory_region_get_ram_ptr(a1) ==
                  ram_ptr(ram) + 0x1000);
    g_assert_true((uint8_t *)memory_region_get_ram_ptr(a2) ==
                  ram_ptr(ram) + 0x1800);
    g_assert_true(memory_region_get_ram_ptr(ptr_ram) == (void *)backing);
    g_assert_nonnull(memory_region_get_ram_ptr(flash));
    /* QEMU asserts; we answer NULL */
    g_assert_null(memory_region_get_ram_ptr(io));
}

typedef struct Counter {
    MemoryListener ml;
    int begins;
} Counter;

static void count_begin(MemoryListener *ml)
{
    ((Counter *)(void *)ml)->begins++;
}

/* The flag reaches the sections ("nv-" in the dump); on a disabled region
 * it changes no view, so listeners hear nothing (QEMU: update_pending is
 * set only for enabled regions). */
static void test_region_nonvolatile(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "nvram", 0x1000);
    MemoryRegion *off = tree_ram(t, "off", 0x1000);
    Counter c = {.ml = {.begin = count_begin, .name = "counter"}};
    g_autofree char *flat = NULL;
    const MemoryRegionSection *s;
    FlatView *fv;

    (void)data;
    tree_add(t->root, 0x0, ram);
    tree_add(t->root, 0x1000, off);
    memory_region_set_enabled(off, false);
    memory_listener_register(&c.ml, t->as);
    c.begins = 0;
    g_assert_false(memory_region_is_nonvolatile(ram));
    memory_region_set_nonvolatile(ram, true);
    g_assert_true(memory_region_is_nonvolatile(ram));
    g_assert_cmpint(c.begins, ==, 1);
    fv = tree_view(t->as);
    s = view_lookup(fv, 0x10);
    g_assert_true(s && s->nonvolatile);
    flatview_unref(fv);
    flat = mtree_dump(true);
    g_assert_nonnull(strstr(flat, "(prio 0, nv-ram): nvram\n"));
    /* unchanged: no commit round */
    memory_region_set_nonvolatile(ram, true);
    g_assert_cmpint(c.begins, ==, 1);
    /* a disabled region: the flag is kept, no commit round */
    memory_region_set_nonvolatile(off, true);
    memory_region_set_readonly(off, true);
    g_assert_cmpint(c.begins, ==, 1);
    g_assert_true(memory_region_is_nonvolatile(off));
    memory_region_set_enabled(off, true);
    g_assert_cmpint(c.begins, ==, 2);
    fv = tree_view(t->as);
    s = view_lookup(fv, 0x1000);
    g_assert_true(s && s->nonvolatile && s->readonly);
    flatview_unref(fv);
    memory_listener_unregister(&c.ml);
}

static void test_region_is_mapped(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *a1 = tree_alias(t, "a1", ram, 0, 0x1000);
    MemoryRegion *a2 = tree_alias(t, "a2", a1, 0, 0x1000);
    MemoryRegion *box = tree_container(t, "box", 0x10000);

    (void)data;
    g_assert_false(memory_region_is_mapped(ram));
    /* mapped through an alias chain (QEMU's mapped_via_alias) */
    tree_add(t->root, 0x0, a2);
    g_assert_true(memory_region_is_mapped(a2));
    g_assert_true(memory_region_is_mapped(a1));
    g_assert_true(memory_region_is_mapped(ram));
    tree_del(t->root, a2);
    g_assert_false(memory_region_is_mapped(ram));
    /* mapped into a container no AddressSpace reaches, disabled: mapped */
    tree_add(box, 0x100, ram);
    memory_region_set_enabled(ram, false);
    g_assert_true(memory_region_is_mapped(ram));
    g_assert_false(memory_region_is_mapped(box));
    tree_del(box, ram);
    g_assert_false(memory_region_is_mapped(ram));
}

/* QEMU 7.2 counts DIRTY_MEMORY_VGA enables in 8 bits. */
static void test_dirty_vga_count(Tree *t, gconstpointer data)
{
    MemoryRegion *vram = tree_ram(t, "vram", 0x1000);
    const uint8_t vga = DIRTY_MEMORY_VGA;

    (void)data;
    tree_add(t->root, 0x0, vram);
    memory_region_set_log(vram, true, vga);
    memory_region_set_log(vram, true, vga);
    g_assert_true(memory_region_is_logging(vram, vga));
    memory_region_set_log(vram, false, vga);
    g_assert_true(memory_region_is_logging(vram, vga));
    memory_region_set_log(vram, false, vga);
    g_assert_false(memory_region_is_logging(vram, vga));
    /*
     * Unbalanced: a disable at zero wraps the count to 255 and leaves
     * logging off; the next enable wraps it back to 0 and, being a change
     * between zero and non-zero, turns logging on (QEMU's behaviour).
     */
    memory_region_set_log(vram, false, vga);
    g_assert_false(memory_region_is_logging(vram, vga));
    memory_region_set_log(vram, true, vga);
    g_assert_true(memory_region_is_logging(vram, vga));
    memory_region_set_log(vram, true, vga);
    memory_region_set_log(vram, false, vga);
    g_assert_false(memory_region_is_logging(vram, vga));
    /* the other clients are on/off switches (QEMU asserts on them) */
    memory_region_set_log(vram, true, DIRTY_MEMORY_MIGRATION);
    memory_region_set_log(vram, true, DIRTY_MEMORY_MIGRATION);
    memory_region_set_log(vram, false, DIRTY_MEMORY_MIGRATION);
    g_assert_false(memory_region_is_logging(vram, DIRTY_MEMORY_MIGRATION));
    g_assert_false(memory_region_is_logging(vram, DIRTY_MEMORY_NUM));
}

static void test_dirty_flush_rom_device(Tree *t, gconstpointer data)
{
    MemoryRegion *flash = tree_rom_device(t, "flash", 0x4000);
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);

    (void)data;
    tree_add(t->root, 0x0, flash);
    tree_add(t->root, 0x10000, ram);
    memory_region_set_log(flash, true, DIRTY_MEMORY_VGA);
    memory_region_set_log(ram, true, DIRTY_MEMORY_VGA);
    ram_ptr(flash)[0x2000] = 0x12; /* the model programs a byte */
    memory_region_flush_rom_device(flash, 0x2000, 1);
    g_assert_true(memory_region_get_dirty(flash, 0x2000, 1, DIRTY_MEMORY_VGA));
    g_assert_false(
        memory_region_get_dirty(flash, 0x0, 0x2000, DIRTY_MEMORY_VGA));
    /* not a romd ROM device: nothing (QEMU asserts) */
    memory_region_flush_rom_device(ram, 0, 1);
    g_assert_false(memory_region_get_dirty(ram, 0, 0x1000, DIRTY_MEMORY_VGA));
    memory_region_set_log(flash, false, DIRTY_MEMORY_VGA);
    memory_region_set_log(ram, false, DIRTY_MEMORY_VGA);
}

#define ADD(path, fn) \
    g_test_add(path, Tree, NULL, tree_setup, fn, tree_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qemu-api/attrs/layout", test_attrs_layout);
    ADD("/qemu-api/attrs/carried", test_attrs_carried);
    ADD("/qemu-api/write-rom/rom", test_write_rom_rom);
    ADD("/qemu-api/write-rom/readonly-ignored", test_write_rom_readonly);
    ADD("/qemu-api/write-rom/skips-mmio", test_write_rom_skips_mmio);
    ADD("/qemu-api/write-rom/rom-device", test_write_rom_rom_device);
    ADD("/qemu-api/write-rom/hole", test_write_rom_hole);
    ADD("/qemu-api/write-rom/dirty", test_write_rom_dirty);
    ADD("/qemu-api/write-rom/top-of-space", test_write_rom_top);
    ADD("/qemu-api/set/ram", test_set_ram);
    ADD("/qemu-api/set/mmio-chunks", test_set_mmio);
    ADD("/qemu-api/set/errors", test_set_errors);
    ADD("/qemu-api/set/top-of-space", test_set_top);
    ADD("/qemu-api/ldst-phys/as", test_ldst_phys);
    ADD("/qemu-api/ldst-phys/cached", test_ldst_phys_cached);
    ADD("/qemu-api/ldst-phys/attrs", test_ldst_phys_attrs);
    ADD("/qemu-api/dma/rw", test_dma_rw);
    ADD("/qemu-api/dma/valid", test_dma_valid);
    ADD("/qemu-api/dma/set", test_dma_set);
    ADD("/qemu-api/dma/map-unmap", test_dma_map);
    ADD("/qemu-api/dma/ldst", test_dma_ldst);
    ADD("/qemu-api/dma/sglist", test_dma_sglist);
    g_test_add_func("/qemu-api/dma/pow2-mask", test_dma_pow2_mask);
    ADD("/qemu-api/ram-device/access", test_ram_device_access);
    ADD("/qemu-api/ram-device/mtree", test_ram_device_mtree);
    g_test_add_func("/qemu-api/ram-device/errors", test_ram_device_errors);
    ADD("/qemu-api/region/is-ram", test_region_is_ram);
    ADD("/qemu-api/region/io-null-ops", test_region_io_null_ops);
    ADD("/qemu-api/region/get-ram-ptr", test_region_get_ram_ptr);
    ADD("/qemu-api/region/nonvolatile", test_region_nonvolatile);
    ADD("/qemu-api/region/is-mapped", test_region_is_mapped);
    ADD("/qemu-api/dirty/vga-count", test_dirty_vga_count);
    ADD("/qemu-api/dirty/flush-rom-device", test_dirty_flush_rom_device);
    return g_test_run();
}
