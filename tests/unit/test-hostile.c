/* SPDX-License-Identifier: MIT */
/*
 * The hostile-input catalogue (issue 7): what a guest (addresses, sizes,
 * values, timing) or a board author (the tree) may throw at the library,
 * one named test per case, each checking that the answer is exactly the
 * documented MemTxResult or GError and nothing else: no crash, no
 * callback of a size outside 1 to 8 nor, for regions that opted in to
 * mmio-bounds, past the region's end (testdev counts violations), no
 * access after release (ASan), no leak (LSan). README.md "Hostile inputs"
 * has the table of cases and answers.
 *
 * The fixture's address space (2^64 bytes):
 *   0x00000  RAM   0x1000  filled with 0xaa
 *   0x10000  ROM   0x1000  filled with 0x55
 *   0x20000  dev   0x100   testdev, QEMU's default valid/impl rules
 *   0x30000  strict 0x100  testdev, valid 4..4, aligned only
 *   2^64 - 0x1000  top RAM 0x1000, filled with 0xcc
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>
#include <addrspace/iommu.h>

#include "../../memory/memory-internal.h"
#include "board-json.h"
#include "machine.h"
#include "qtest.h"
#include "testdev.h"

#define RAM_ADDR    0x0u
#define ROM_ADDR    0x10000u
#define DEV_ADDR    0x20000u
#define STRICT_ADDR 0x30000u
#define HOLE_ADDR   0x40000u
#define TOP_ADDR    (UINT64_MAX - 0xfff)
#define U           MEMTXATTRS_UNSPECIFIED

typedef struct Fix {
    MemoryRegion root, ram, rom, top;
    TestDev *dev, *strict;
    AddressSpace as;
} Fix;

static void ok_or_die(bool ok, GError *err)
{
    g_assert_no_error(err);
    g_assert_true(ok);
}

static TestDev *dev_new(const char *name, const TestDevConfig *cfg)
{
    GError *err = NULL;
    TestDev *dev = testdev_new(name, cfg, &err);

    ok_or_die(dev != NULL, err);
    return dev;
}

static void fix_setup(Fix *f, gconstpointer data)
{
    static const TestDevConfig dev_cfg = {.size = 0x100,
                                          .endianness = DEVICE_LITTLE_ENDIAN};
    static const TestDevConfig strict_cfg = {.size = 0x100,
                                             .endianness = DEVICE_LITTLE_ENDIAN,
                                             .valid_min = 4,
                                             .valid_max = 4,
                                             .impl_min = 4,
                                             .impl_max = 4};
    GError *err = NULL;

    (void)data;
    memset(f, 0, sizeof(*f));
    ok_or_die(memory_region_init(&f->root, NULL, "root", UINT64_MAX, &err),
              err);
    ok_or_die(memory_region_init_ram(&f->ram, NULL, "ram", 0x1000, &err), err);
    ok_or_die(memory_region_init_rom(&f->rom, NULL, "rom", 0x1000, &err), err);
    ok_or_die(memory_region_init_ram(&f->top, NULL, "top", 0x1000, &err), err);
    memset(memory_region_get_ram_ptr(&f->ram), 0xaa, 0x1000);
    memset(memory_region_get_ram_ptr(&f->rom), 0x55, 0x1000);
    memset(memory_region_get_ram_ptr(&f->top), 0xcc, 0x1000);
    f->dev = dev_new("dev", &dev_cfg);
    f->strict = dev_new("strict", &strict_cfg);
    memory_region_transaction_begin();
    ok_or_die(memory_region_add_subregion(&f->root, RAM_ADDR, &f->ram, &err),
              err);
    ok_or_die(memory_region_add_subregion(&f->root, ROM_ADDR, &f->rom, &err),
              err);
    ok_or_die(memory_region_add_subregion(&f->root, DEV_ADDR,
                                          testdev_region(f->dev), &err),
              err);
    ok_or_die(memory_region_add_subregion(&f->root, STRICT_ADDR,
                                          testdev_region(f->strict), &err),
              err);
    ok_or_die(memory_region_add_subregion(&f->root, TOP_ADDR, &f->top, &err),
              err);
    memory_region_transaction_commit();
    ok_or_die(address_space_init(&f->as, &f->root, "hostile", &err), err);
}

static void fix_teardown(Fix *f, gconstpointer data)
{
    (void)data;
    g_assert_cmpuint(testdev_violations(f->dev), ==, 0);
    g_assert_cmpuint(testdev_violations(f->strict), ==, 0);
    address_space_destroy(&f->as);
    memory_region_finalize(&f->root); /* detaches the subregions */
    drain_call_rcu();
    memory_region_finalize(&f->ram);
    memory_region_finalize(&f->rom);
    memory_region_finalize(&f->top);
    testdev_unref(f->dev);
    testdev_unref(f->strict);
    drain_call_rcu();
}

static void assert_log(TestDev *dev, const char *expected)
{
    char *log = testdev_log_format(dev);

    g_assert_cmpstr(log, ==, expected);
    g_free(log);
}

static void assert_bytes(const uint8_t *p, uint8_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_assert_cmphex(p[i], ==, v);
    }
}

#define ADD_TEST(path, fn) \
    g_test_add("/hostile/" path, Fix, NULL, fix_setup, fn, fix_teardown)
/* The same test with memory_region_enable_bounds_check() on its device
 * (data non-NULL): the "mmio-bounds" opt-in. */
#define ADD_TEST_OPT_IN(path, fn)                                             \
    g_test_add("/hostile/" path "-opt-in", Fix, "mmio-bounds", fix_setup, fn, \
               fix_teardown)

/* --- the guest's addresses and sizes ------------------------------------- */

/*
 * A buffer access that runs past 2^64 wraps to address 0, as QEMU 7.2's
 * flatview_read/write_continue() loops do (addr += l in 64 bits).
 */
static void test_wrap_2_64(Fix *f, gconstpointer data)
{
    uint8_t buf[8];
    uint8_t *low = memory_region_get_ram_ptr(&f->ram);
    MemTxResult res = MEMTX_OK;

    (void)data;
    memset(buf, 0x11, sizeof(buf));
    g_assert_cmphex(address_space_read(&f->as, UINT64_MAX - 1, U, buf, 8), ==,
                    MEMTX_OK);
    assert_bytes(buf, 0xcc, 2);
    assert_bytes(buf + 2, 0xaa, 6); /* address 0's RAM */
    memset(buf, 0x77, sizeof(buf));
    g_assert_cmphex(address_space_write(&f->as, UINT64_MAX - 1, U, buf, 8), ==,
                    MEMTX_OK);
    assert_bytes(low, 0x77, 6);
    assert_bytes(low + 6, 0xaa, 2);
    assert_bytes((uint8_t *)memory_region_get_ram_ptr(&f->top) + 0xffe, 0x77,
                 2);
    memset(low, 0xaa, 8);
    /* a typed access is never split: refused whole */
    g_assert_cmphex(address_space_ldq_le(&f->as, UINT64_MAX - 3, U, &res), ==,
                    0);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    address_space_stq_le(&f->as, UINT64_MAX - 3, 0, U, &res);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    /* validity wraps too: the top byte, then address 0 */
    g_assert_true(address_space_access_valid(&f->as, UINT64_MAX, 2, false, U));
    g_assert_true(address_space_access_valid(&f->as, UINT64_MAX, 1, false, U));
    assert_bytes(low, 0xaa, 8);
}

/* Zero-length accesses do nothing and succeed. */
static void test_size_zero(Fix *f, gconstpointer data)
{
    uint8_t buf[4] = {1, 2, 3, 4};
    hwaddr len = 0;

    (void)data;
    g_assert_cmphex(address_space_read(&f->as, DEV_ADDR, U, buf, 0), ==,
                    MEMTX_OK);
    g_assert_cmphex(address_space_write(&f->as, UINT64_MAX, U, buf, 0), ==,
                    MEMTX_OK);
    g_assert_cmphex(address_space_read(&f->as, HOLE_ADDR, U, NULL, 0), ==,
                    MEMTX_OK);
    g_assert_cmphex(buf[0], ==, 1);
    g_assert_null(address_space_map(&f->as, DEV_ADDR, &len, false, U));
    g_assert_cmpuint(len, ==, 0);
    assert_log(f->dev, "");
}

/*
 * Sizes no bus has: the dispatcher refuses them (MEMTX_DECODE_ERROR, no
 * callback, value 0); a buffer access of that length is split into
 * naturally aligned chunks the device accepts.
 */
static void odd_size(Fix *f, unsigned size, const char *split_log)
{
    uint8_t buf[16];
    uint64_t v = 0x1234;

    rcu_read_lock();
    g_assert_cmphex(memory_region_dispatch_read(testdev_region(f->dev), 0, &v,
                                                size, DEVICE_LITTLE_ENDIAN,
                                                false, U),
                    ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(v, ==, 0);
    g_assert_cmphex(
        memory_region_dispatch_write(testdev_region(f->dev), 0, ~0ull, size,
                                     DEVICE_LITTLE_ENDIAN, false, U),
        ==, MEMTX_DECODE_ERROR);
    rcu_read_unlock();
    assert_log(f->dev, "");
    g_assert_true(address_space_access_valid(&f->as, DEV_ADDR, size, false, U));
    g_assert_cmphex(address_space_read(&f->as, DEV_ADDR, U, buf, size), ==,
                    MEMTX_OK);
    assert_log(f->dev, split_log);
}

static void test_mmio_size_3(Fix *f, gconstpointer data)
{
    (void)data;
    odd_size(f, 3, "r2@0x0 r1@0x2");
}

static void test_mmio_size_5(Fix *f, gconstpointer data)
{
    (void)data;
    odd_size(f, 5, "r4@0x0 r1@0x4");
}

static void test_mmio_size_16(Fix *f, gconstpointer data)
{
    (void)data;
    odd_size(f, 16, "r4@0x0 r4@0x4 r4@0x8 r4@0xc");
}

/* A buffer access that runs past the device's end: the 2-aligned chunk
 * at 0xfe stays inside (QEMU's too), the rest is a hole. An unaligned
 * typed load there is refused by valid.unaligned before any callback. */
static void test_mmio_past_end(Fix *f, gconstpointer data)
{
    uint8_t buf[8];
    MemTxResult res = MEMTX_OK;

    (void)data;
    g_assert_cmphex(address_space_read(&f->as, DEV_ADDR + 0xfe, U, buf, 8), ==,
                    MEMTX_DECODE_ERROR);
    assert_log(f->dev, "r2@0xfe");
    testdev_log_clear(f->dev);
    (void)address_space_ldl_le(&f->as, DEV_ADDR + 0xfe, U, &res);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    assert_log(f->dev, "");
}

/* A byte access near the end of a device whose callbacks take 4 bytes:
 * QEMU calls the device with 4 bytes running past the region's end; with
 * the mmio-bounds opt-in (@data) the callback gets the access's own size
 * instead, at the same offset. Away from the end, QEMU's widened callback
 * in both modes. */
static void test_mmio_widened_at_end(Fix *f, gconstpointer data)
{
    TestDevConfig cfg = {.size = 6,
                         .endianness = DEVICE_LITTLE_ENDIAN,
                         .impl_min = 4,
                         .impl_max = 4,
                         .bounds_check = data != NULL};
    TestDev *dev = dev_new("wide", &cfg);
    GError *err = NULL;
    MemTxResult res = MEMTX_OK;
    uint8_t buf[2];

    ok_or_die(memory_region_add_subregion(&f->root, HOLE_ADDR,
                                          testdev_region(dev), &err),
              err);
    address_space_stb(&f->as, HOLE_ADDR + 1, 0x11, U, &res);
    g_assert_cmphex(res, ==, MEMTX_OK);
    address_space_stb(&f->as, HOLE_ADDR + 5, 0x55, U, &res);
    g_assert_cmphex(res, ==, MEMTX_OK);
    g_assert_cmphex(address_space_read(&f->as, HOLE_ADDR + 4, U, buf, 2), ==,
                    MEMTX_OK);
    (void)address_space_lduw_le(&f->as, HOLE_ADDR + 2, U, &res);
    g_assert_cmphex(res, ==, MEMTX_OK);
    assert_log(dev, data ? "w4@0x1 w1@0x5 r2@0x4 r4@0x2"
                         : "w4@0x1 w4@0x5 r4@0x4 r4@0x2");
    g_assert_cmpuint(testdev_violations(dev), ==, 0);
    ok_or_die(memory_region_del_subregion(&f->root, testdev_region(dev), &err),
              err);
    testdev_unref(dev);
}

/*
 * A hole just below a region that does not start 4-aligned: QEMU 7.2 cuts
 * the hole into aligned chunks of up to 4 bytes without stopping at the
 * hole's end, so an access starting in the hole swallows the region's
 * first bytes (reads give 0 there, writes are dropped, no callback).
 */
static void test_hole_before_unaligned_region(Fix *f, gconstpointer data)
{
    MemoryRegion ram;
    GError *err = NULL;
    TestDev *dev;
    uint8_t buf[8], *p;
    static const TestDevConfig cfg = {.size = 0x10,
                                      .endianness = DEVICE_LITTLE_ENDIAN};

    (void)data;
    memset(&ram, 0, sizeof(ram));
    ok_or_die(memory_region_init_ram(&ram, NULL, "odd-ram", 0x10, &err), err);
    p = memory_region_get_ram_ptr(&ram);
    for (unsigned i = 0; i < 0x10; i++) {
        p[i] = (uint8_t)(0x10 + i);
    }
    dev = dev_new("odd-dev", &cfg);
    ok_or_die(memory_region_add_subregion(&f->root, HOLE_ADDR + 3, &ram, &err),
              err);
    ok_or_die(memory_region_add_subregion(&f->root, HOLE_ADDR + 0x103,
                                          testdev_region(dev), &err),
              err);
    /* RAM at +3: the chunk [0, 4) of the hole covers its byte 0 */
    memset(buf, 0xee, sizeof(buf));
    g_assert_cmphex(address_space_read(&f->as, HOLE_ADDR, U, buf, 8), ==,
                    MEMTX_DECODE_ERROR);
    g_assert_cmphex(buf[3], ==, 0);
    g_assert_cmphex(buf[4], ==, 0x11);
    g_assert_cmphex(buf[7], ==, 0x14);
    memset(buf, 0x77, sizeof(buf));
    g_assert_cmphex(address_space_write(&f->as, HOLE_ADDR + 2, U, buf, 4), ==,
                    MEMTX_DECODE_ERROR);
    g_assert_cmphex(p[0], ==, 0x10); /* swallowed: not written */
    g_assert_cmphex(p[1], ==, 0x77);
    /* an access starting in the region itself is not affected */
    g_assert_cmphex(address_space_read(&f->as, HOLE_ADDR + 3, U, buf, 1), ==,
                    MEMTX_OK);
    g_assert_cmphex(buf[0], ==, 0x10);
    /* a device at +0x103: its offset 0 is never called from the hole */
    g_assert_cmphex(address_space_read(&f->as, HOLE_ADDR + 0x100, U, buf, 8),
                    ==, MEMTX_DECODE_ERROR);
    assert_log(dev, "r1@0x1 r2@0x2 r1@0x4");
    ok_or_die(memory_region_del_subregion(&f->root, &ram, &err), err);
    ok_or_die(memory_region_del_subregion(&f->root, testdev_region(dev), &err),
              err);
    drain_call_rcu();
    memory_region_finalize(&ram);
    testdev_unref(dev);
}

/*
 * address_space_access_valid() over a huge MMIO range gives QEMU 7.2's
 * answer at a cost that grows with the sections crossed, not the length
 * (checking 2^46 bytes chunk by chunk would take hours); over a region
 * with valid.accepts it asks for every chunk, as QEMU does.
 */
static gint accepts_count;

static bool count_accepts(void *opaque, hwaddr offset, unsigned size,
                          bool is_write, MemTxAttrs attrs)
{
    (void)opaque;
    (void)offset;
    (void)size;
    (void)is_write;
    (void)attrs;
    g_atomic_int_inc(&accepts_count);
    return true;
}

static void test_access_valid_huge_length(Fix *f, gconstpointer data)
{
    static const TestDevConfig big_cfg = {.size = 1ull << 48,
                                          .endianness = DEVICE_LITTLE_ENDIAN,
                                          .valid_min = 1,
                                          .valid_max = 8};
    static const TestDevConfig min8_cfg = {.size = 1ull << 40,
                                           .endianness = DEVICE_LITTLE_ENDIAN,
                                           .valid_min = 8,
                                           .valid_max = 8};
    static const TestDevConfig ask_cfg = {.size = 0x10000,
                                          .endianness = DEVICE_LITTLE_ENDIAN,
                                          .valid_max = 8,
                                          .accepts = count_accepts};
    const hwaddr big_addr = 1ull << 48, min8_addr = 1ull << 50;
    const hwaddr ask_addr = 0x50000;
    TestDev *big = dev_new("big", &big_cfg);
    TestDev *min8 = dev_new("min8", &min8_cfg);
    TestDev *ask = dev_new("ask", &ask_cfg);
    GError *err = NULL;

    (void)data;
    memory_region_transaction_begin();
    ok_or_die(memory_region_add_subregion(&f->root, big_addr,
                                          testdev_region(big), &err),
              err);
    ok_or_die(memory_region_add_subregion(&f->root, min8_addr,
                                          testdev_region(min8), &err),
              err);
    ok_or_die(memory_region_add_subregion(&f->root, ask_addr,
                                          testdev_region(ask), &err),
              err);
    memory_region_transaction_commit();

    /* 2^46 bytes from an odd address: chunks 1, 2, 4, then 8s */
    g_assert_true(
        address_space_access_valid(&f->as, big_addr + 1, 1ull << 46, true, U));
    /* the whole region, then one byte of hole after it */
    g_assert_true(
        address_space_access_valid(&f->as, big_addr, 1ull << 48, false, U));
    g_assert_false(address_space_access_valid(&f->as, big_addr,
                                              (1ull << 48) + 1, false, U));
    /* valid.min 8: aligned 8-byte chunks all pass; an odd start or an odd
     * length makes one chunk too small */
    g_assert_true(
        address_space_access_valid(&f->as, min8_addr, 1ull << 39, false, U));
    g_assert_false(address_space_access_valid(&f->as, min8_addr + 4, 1ull << 39,
                                              false, U));
    g_assert_false(address_space_access_valid(&f->as, min8_addr,
                                              (1ull << 39) + 4, false, U));
    /* valid.accepts: one call per chunk (8 KiB in 8-byte chunks) */
    g_atomic_int_set(&accepts_count, 0);
    g_assert_true(
        address_space_access_valid(&f->as, ask_addr, 0x2000, true, U));
    g_assert_cmpint(g_atomic_int_get(&accepts_count), ==, 0x2000 / 8);
    assert_log(big, "");
    assert_log(min8, "");
    assert_log(ask, "");

    memory_region_transaction_begin();
    memory_region_del_subregion(&f->root, testdev_region(big), NULL);
    memory_region_del_subregion(&f->root, testdev_region(min8), NULL);
    memory_region_del_subregion(&f->root, testdev_region(ask), NULL);
    memory_region_transaction_commit();
    testdev_unref(big);
    testdev_unref(min8);
    testdev_unref(ask);
}

/* valid.unaligned = false: a misaligned access is refused, never split
 * into sizes the device does not accept. */
static void test_unaligned_forbidden(Fix *f, gconstpointer data)
{
    uint8_t buf[4];
    MemTxResult res = MEMTX_OK;

    (void)data;
    g_assert_cmphex(address_space_ldl_le(&f->as, STRICT_ADDR + 1, U, &res), ==,
                    0);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    address_space_stl_le(&f->as, STRICT_ADDR + 2, 1, U, &res);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(address_space_read(&f->as, STRICT_ADDR + 1, U, buf, 4), ==,
                    MEMTX_DECODE_ERROR);
    assert_log(f->strict, "");
    g_assert_cmphex(address_space_ldl_le(&f->as, STRICT_ADDR + 4, U, &res), ==,
                    0);
    g_assert_cmphex(res, ==, MEMTX_OK);
    assert_log(f->strict, "r4@0x4");
}

/* Writes to ROM are dropped with MEMTX_DECODE_ERROR (QEMU 7.2). */
static void test_rom_write(Fix *f, gconstpointer data)
{
    uint8_t buf[16];
    MemTxResult res = MEMTX_OK;

    (void)data;
    memset(buf, 0, sizeof(buf));
    g_assert_cmphex(address_space_write(&f->as, ROM_ADDR + 8, U, buf, 16), ==,
                    MEMTX_DECODE_ERROR);
    address_space_stq_le(&f->as, ROM_ADDR, 0, U, &res);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    assert_bytes(memory_region_get_ram_ptr(&f->rom), 0x55, 0x20);
    g_assert_cmphex(address_space_ldq_le(&f->as, ROM_ADDR, U, &res), ==,
                    0x5555555555555555ull);
    g_assert_cmphex(res, ==, MEMTX_OK);
}

/* Holes read as 0 with MEMTX_DECODE_ERROR; writes are dropped. */
static void test_hole_read(Fix *f, gconstpointer data)
{
    uint8_t buf[32];
    MemTxResult res = MEMTX_OK;

    (void)data;
    memset(buf, 0xee, sizeof(buf));
    g_assert_cmphex(address_space_read(&f->as, HOLE_ADDR, U, buf, 32), ==,
                    MEMTX_DECODE_ERROR);
    assert_bytes(buf, 0, 32);
    g_assert_cmphex(address_space_ldq(&f->as, HOLE_ADDR, U, &res), ==, 0);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    /* spanning RAM and a hole: the RAM part is read, the rest is 0 */
    memset(buf, 0xee, sizeof(buf));
    g_assert_cmphex(address_space_read(&f->as, 0xff0, U, buf, 32), ==,
                    MEMTX_DECODE_ERROR);
    assert_bytes(buf, 0xaa, 16);
    assert_bytes(buf + 16, 0, 16);
    g_assert_cmphex(address_space_write(&f->as, HOLE_ADDR, U, buf, 32), ==,
                    MEMTX_DECODE_ERROR);
}

/* A guest-chosen map length never allocates more than the bounce bound:
 * RAM is clamped to its region, MMIO and holes to the bounce buffer. */
static void test_map_huge_length(Fix *f, gconstpointer data)
{
    hwaddr len = UINT64_MAX;
    uint8_t *p;

    (void)data;
    p = address_space_map(&f->as, RAM_ADDR + 0x10, &len, true, U);
    g_assert_true(p == (uint8_t *)memory_region_get_ram_ptr(&f->ram) + 0x10);
    g_assert_cmphex(len, ==, 0x1000 - 0x10);
    address_space_unmap(&f->as, p, len, true, UINT64_MAX);
    len = UINT64_MAX;
    p = address_space_map(&f->as, DEV_ADDR, &len, false, U);
    g_assert_nonnull(p);
    g_assert_cmpuint(len, <=, ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE);
    address_space_unmap(&f->as, p, len, false, 0);
    len = UINT64_MAX;
    p = address_space_map(&f->as, UINT64_MAX - 0x7, &len, false, U);
    g_assert_nonnull(p); /* top RAM, 8 bytes to 2^64 */
    g_assert_cmpuint(len, ==, 8);
    address_space_unmap(&f->as, p, len, false, 0);
    len = UINT64_MAX;
    p = address_space_map(&f->as, HOLE_ADDR, &len, true, U);
    g_assert_nonnull(p);
    g_assert_cmpuint(len, <=, ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE);
    /* a write-back length beyond the mapping is clamped to it */
    address_space_unmap(&f->as, p, len, true, UINT64_MAX);
    g_assert_cmpuint(testdev_violations(f->dev), ==, 0);
}

/* While the bounce buffer is in use, map returns NULL and length 0. */
static void test_map_bounce_busy(Fix *f, gconstpointer data)
{
    hwaddr len = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE, len2 = 4;
    void *p, *q;

    (void)data;
    p = address_space_map(&f->as, DEV_ADDR, &len, true, U);
    g_assert_nonnull(p);
    q = address_space_map(&f->as, DEV_ADDR, &len2, false, U);
    g_assert_null(q);
    g_assert_cmpuint(len2, ==, 0);
    address_space_unmap(&f->as, p, len, true, 0);
    len2 = 4;
    q = address_space_map(&f->as, DEV_ADDR, &len2, false, U);
    g_assert_nonnull(q);
    address_space_unmap(&f->as, q, len2, false, 0);
    /* unmapping twice, or a pointer never mapped, is ignored */
    address_space_unmap(&f->as, q, len2, false, 0);
}

/*
 * A ROM device shrunk inside a transaction: until the commit the view still
 * maps its old size, and a read there copies from the RAM block (QEMU).
 * Regression: the copy was clamped to the region's new size, which gave 0
 * bytes at the new end, and the access loop spun forever (fuzz-tree).
 */
static void test_romd_shrunk_in_transaction(Fix *f, gconstpointer data)
{
    static const MemoryRegionOps romd_ops = {
        .endianness = DEVICE_LITTLE_ENDIAN,
    };
    MemoryRegion romd;
    GError *err = NULL;
    uint8_t buf[16];

    (void)data;
    memset(&romd, 0, sizeof(romd));
    ok_or_die(memory_region_init_rom_device(&romd, NULL, &romd_ops, NULL,
                                            "romd", 0x1000, &err),
              err);
    memset(memory_region_get_ram_ptr(&romd), 0x3c, 0x1000);
    ok_or_die(memory_region_add_subregion(&f->root, HOLE_ADDR, &romd, &err),
              err);
    memory_region_transaction_begin();
    ok_or_die(memory_region_set_size(&romd, 0x800, &err), err);
    memset(buf, 0, sizeof(buf));
    g_assert_cmphex(
        address_space_read(&f->as, HOLE_ADDR + 0x800, U, buf, sizeof(buf)), ==,
        MEMTX_OK);
    assert_bytes(buf, 0x3c, sizeof(buf));
    memory_region_transaction_commit();
    g_assert_cmphex(
        address_space_read(&f->as, HOLE_ADDR + 0x800, U, buf, sizeof(buf)), ==,
        MEMTX_DECODE_ERROR);
    assert_bytes(buf, 0, sizeof(buf));
    ok_or_die(memory_region_del_subregion(&f->root, &romd, &err), err);
    drain_call_rcu();
    memory_region_finalize(&romd);
}

/*
 * An MMIO region resized to 0 inside a transaction (QEMU accepts size 0):
 * until the commit the view still maps it. As in QEMU, the device gets
 * the accesses the old view decodes to it; with the mmio-bounds opt-in
 * (@data) callbacks keep the bound of its last non-zero size, so nothing
 * past that reaches the device.
 */
static void test_mmio_shrunk_to_zero_in_transaction(Fix *f, gconstpointer data)
{
    MemoryRegion *mr = testdev_region(f->dev);
    GError *err = NULL;
    MemTxResult r;

    if (data) {
        memory_region_enable_bounds_check(mr);
    }
    memory_region_transaction_begin();
    ok_or_die(memory_region_set_size(mr, 0x10, &err), err);
    ok_or_die(memory_region_set_size(mr, 0, &err), err);
    g_assert_cmpuint(memory_region_size(mr), ==, 0);
    testdev_log_clear(f->dev);
    address_space_ldl_le(&f->as, DEV_ADDR + 0x80, U, &r);
    g_assert_cmphex(r, ==, data ? MEMTX_DECODE_ERROR : MEMTX_OK);
    g_assert_cmpuint(testdev_log_len(f->dev), ==, data ? 0 : 1);
    testdev_log_clear(f->dev);
    address_space_ldl_le(&f->as, DEV_ADDR + 0x8, U, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    g_assert_cmpuint(testdev_log_len(f->dev), ==, 1);
    memory_region_transaction_commit();
    address_space_ldl_le(&f->as, DEV_ADDR + 0x8, U, &r);
    g_assert_cmphex(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(testdev_log_len(f->dev), ==, 1);
    ok_or_die(memory_region_set_size(mr, 0x100, &err), err);
}

/* --- DMA and callbacks that act on the tree ----------------------------- */

/* A hook that makes up to @left accesses through the AddressSpace. */
typedef struct Dma {
    AddressSpace *as;
    hwaddr addr;
    int left;
    unsigned ok, refused, other;
} Dma;

static void dma_hook(TestDev *dev, const TestDevAccess *a, void *opaque)
{
    Dma *d = opaque;
    uint32_t v = 0x42;
    MemTxResult r;

    (void)dev;
    (void)a;
    if (d->left <= 0) {
        return;
    }
    d->left--;
    r = address_space_write(d->as, d->addr, U, &v, 4);
    if (r == MEMTX_OK) {
        d->ok++;
    } else if (r == MEMTX_ACCESS_ERROR) {
        d->refused++;
    } else {
        d->other++;
    }
}

/*
 * DMA from a device's callback into its own registers: re-entered as in
 * QEMU 7.2 up to 32 nested callbacks, then refused; refused at once with
 * QEMU 8's guard (an opt-in).
 */
static void test_dma_nested_same_device(Fix *f, gconstpointer data)
{
    Dma d = {.as = &f->as, .addr = DEV_ADDR + 8, .left = 100};
    MemTxResult res = MEMTX_OK;

    (void)data;
    testdev_set_hook(f->dev, dma_hook, &d);
    address_space_stl_le(&f->as, DEV_ADDR, 1, U, &res);
    g_assert_cmphex(res, ==, MEMTX_OK);
    g_assert_cmpuint(d.ok, ==, 31);
    g_assert_cmpuint(d.refused, ==, 1);
    g_assert_cmpuint(d.other, ==, 0);
    g_assert_cmpuint(testdev_log_len(f->dev), ==, 32);

    testdev_log_clear(f->dev);
    d = (Dma){.as = &f->as, .addr = DEV_ADDR + 8, .left = 100};
    memory_region_enable_reentrancy_guard(testdev_region(f->dev));
    address_space_stl_le(&f->as, DEV_ADDR, 1, U, &res);
    testdev_set_hook(f->dev, NULL, NULL);
    g_assert_cmphex(res, ==, MEMTX_OK);
    g_assert_cmpuint(d.refused, ==, 1);
    g_assert_cmpuint(d.ok + d.other, ==, 0);
    assert_log(f->dev, "w4@0x0");
}

/*
 * Two devices whose callbacks DMA into each other: as in QEMU 7.2 the
 * loop runs until 32 callbacks are nested; with the guard (opt-in) it is
 * cut where it comes back to the first one.
 */
static void test_dma_loop_two_devices(Fix *f, gconstpointer data)
{
    static const TestDevConfig cfg = {.size = 0x100,
                                      .endianness = DEVICE_LITTLE_ENDIAN};
    TestDev *b = dev_new("b", &cfg);
    Dma to_b = {.as = &f->as, .addr = HOLE_ADDR, .left = 100};
    Dma to_a = {.as = &f->as, .addr = DEV_ADDR, .left = 100};
    GError *err = NULL;
    MemTxResult res = MEMTX_OK;

    (void)data;
    ok_or_die(memory_region_add_subregion(&f->root, HOLE_ADDR,
                                          testdev_region(b), &err),
              err);
    testdev_set_hook(f->dev, dma_hook, &to_b);
    testdev_set_hook(b, dma_hook, &to_a);
    address_space_stl_le(&f->as, DEV_ADDR, 1, U, &res);
    g_assert_cmphex(res, ==, MEMTX_OK);
    g_assert_cmpuint(to_b.ok + to_a.ok, ==, 31);
    g_assert_cmpuint(to_b.refused + to_a.refused, ==, 1);
    g_assert_cmpuint(testdev_log_len(f->dev) + testdev_log_len(b), ==, 32);

    testdev_log_clear(f->dev);
    testdev_log_clear(b);
    to_b = (Dma){.as = &f->as, .addr = HOLE_ADDR, .left = 100};
    to_a = (Dma){.as = &f->as, .addr = DEV_ADDR, .left = 100};
    memory_region_enable_reentrancy_guard(testdev_region(f->dev));
    memory_region_enable_reentrancy_guard(testdev_region(b));
    address_space_stl_le(&f->as, DEV_ADDR, 1, U, &res);
    g_assert_cmphex(res, ==, MEMTX_OK);
    g_assert_cmpuint(to_b.ok, ==, 1);      /* a -> b went through */
    g_assert_cmpuint(to_a.refused, ==, 1); /* b -> a was cut */
    g_assert_cmpuint(to_a.ok + to_a.other + to_b.other, ==, 0);
    assert_log(f->dev, "w4@0x0");
    assert_log(b, "w4@0x0");
    testdev_set_hook(f->dev, NULL, NULL);
    testdev_set_hook(b, NULL, NULL);
    ok_or_die(memory_region_del_subregion(&f->root, testdev_region(b), &err),
              err);
    g_assert_cmpuint(testdev_violations(b), ==, 0);
    testdev_unref(b);
}

typedef struct TreeOp {
    Fix *f;
    MemoryRegion *extra;
    bool done;
    bool ok;
} TreeOp;

static void delete_self_hook(TestDev *dev, const TestDevAccess *a, void *opaque)
{
    TreeOp *op = opaque;
    GError *err = NULL;

    (void)a;
    if (!op->done) {
        op->done = true;
        op->ok = memory_region_del_subregion(&op->f->root, testdev_region(dev),
                                             &err);
        g_assert_no_error(err);
    }
}

/* A callback that removes its own region: the access completes, the
 * device stays valid until the access is over, then the range is a hole. */
static void test_callback_deletes_own_region(Fix *f, gconstpointer data)
{
    TreeOp op = {.f = f};
    MemTxResult res = MEMTX_OK;
    uint32_t v;

    (void)data;
    testdev_set_hook(f->dev, delete_self_hook, &op);
    v = address_space_ldl_le(&f->as, DEV_ADDR, U, &res);
    (void)v;
    g_assert_true(op.done && op.ok);
    g_assert_cmphex(res, ==, MEMTX_OK);
    (void)address_space_ldl_le(&f->as, DEV_ADDR, U, &res);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    assert_log(f->dev, "r4@0x0");
    testdev_set_hook(f->dev, NULL, NULL);
}

static void commit_hook(TestDev *dev, const TestDevAccess *a, void *opaque)
{
    TreeOp *op = opaque;
    GError *err = NULL;

    (void)dev;
    (void)a;
    if (!op->done) {
        op->done = true;
        memory_region_transaction_begin();
        op->ok = memory_region_add_subregion(&op->f->root, HOLE_ADDR, op->extra,
                                             &err);
        g_assert_no_error(err);
        memory_region_set_enabled(&op->f->ram, false);
        memory_region_transaction_commit();
    }
}

/* A callback that commits a topology change (adds RAM, disables other
 * RAM): the access in progress finishes safely (its remaining chunks go on
 * with the view it started with), later accesses see the new view. */
static void test_callback_commits_topology(Fix *f, gconstpointer data)
{
    MemoryRegion extra;
    TreeOp op = {.f = f, .extra = &extra};
    GError *err = NULL;
    uint8_t buf[8];
    MemTxResult res;

    (void)data;
    memset(&extra, 0, sizeof(extra)); /* region storage starts zeroed */
    ok_or_die(memory_region_init_ram(&extra, NULL, "extra", 0x100, &err), err);
    memset(memory_region_get_ram_ptr(&extra), 0x33, 0x100);
    testdev_set_hook(f->dev, commit_hook, &op);
    /* a hole, then the device, whose callback commits */
    res = address_space_read(&f->as, DEV_ADDR - 4, U, buf, 8);
    g_assert_true(op.done && op.ok);
    testdev_set_hook(f->dev, NULL, NULL);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR); /* from the hole */
    assert_log(f->dev, "r4@0x0");
    g_assert_cmphex(address_space_ldub(&f->as, HOLE_ADDR, U, &res), ==, 0x33);
    g_assert_cmphex(res, ==, MEMTX_OK);
    (void)address_space_ldub(&f->as, RAM_ADDR, U, &res);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    ok_or_die(memory_region_del_subregion(&f->root, &extra, &err), err);
    drain_call_rcu();
    memory_region_finalize(&extra);
}

/* --- unplug while another thread is inside the device's callback -------- */

typedef struct Blocking {
    MemoryOwner owner;
    MemoryRegion mmio;
    pthread_mutex_t lock; /* not GMutex: futex-based, TSan cannot see it */
    pthread_cond_t cond;
    bool entered, go;
    gint *released_flag; /* set by the owner's release */
} Blocking;

static uint64_t blocking_read(void *opaque, hwaddr offset, unsigned size)
{
    Blocking *b = opaque;

    (void)size;
    pthread_mutex_lock(&b->lock);
    b->entered = true;
    pthread_cond_broadcast(&b->cond);
    while (!b->go) {
        pthread_cond_wait(&b->cond, &b->lock);
    }
    pthread_mutex_unlock(&b->lock);
    return 0xc0de0000u | offset; /* the device is still valid here */
}

static const MemoryRegionOps blocking_ops = {
    .read = blocking_read,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void blocking_release(MemoryOwner *owner)
{
    Blocking *b = (Blocking *)(void *)owner;

    memory_region_finalize(&b->mmio);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->cond);
    g_atomic_int_set(b->released_flag, 1);
    g_free(b);
}

typedef struct Reader {
    AddressSpace *as;
    uint32_t value;
    MemTxResult res;
} Reader;

static gpointer reader_thread(gpointer opaque)
{
    Reader *r = opaque;

    rcu_register_thread();
    r->value = address_space_ldl_le(r->as, HOLE_ADDR + 8, U, &r->res);
    rcu_unregister_thread();
    return NULL;
}

static void test_unplug_during_callback(Fix *f, gconstpointer data)
{
    Blocking *b = g_new0(Blocking, 1);
    gint released = 0;
    Reader r = {.as = &f->as};
    GError *err = NULL;
    GThread *t;

    (void)data;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cond, NULL);
    b->released_flag = &released;
    memory_owner_init(&b->owner, "blocking", blocking_release);
    ok_or_die(memory_region_init_io(&b->mmio, &b->owner, &blocking_ops, b,
                                    "blocking", 0x100, &err),
              err);
    /* a callback that waits for another thread's unplug runs without the
     * big lock, which the unplug (a tree change) takes */
    memory_region_clear_global_locking(&b->mmio);
    ok_or_die(memory_region_add_subregion(&f->root, HOLE_ADDR, &b->mmio, &err),
              err);
    t = g_thread_new("reader", reader_thread, &r);
    pthread_mutex_lock(&b->lock);
    while (!b->entered) {
        pthread_cond_wait(&b->cond, &b->lock);
    }
    pthread_mutex_unlock(&b->lock);
    /* unplug: out of the tree, the board's reference dropped */
    ok_or_die(memory_region_del_subregion(&f->root, &b->mmio, &err), err);
    memory_owner_unref(&b->owner);
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);
    pthread_mutex_lock(&b->lock);
    b->go = true;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
    g_thread_join(t);
    g_assert_cmphex(r.res, ==, MEMTX_OK);
    g_assert_cmphex(r.value, ==, 0xc0de0008u);
    /*
     * Two stages: the old view's reclamation (queued by the unplug) drops
     * the last reference and only then queues the release, possibly after
     * a first drain's marker. Each drain waits for what is queued before it.
     */
    drain_call_rcu();
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 1);
    (void)address_space_ldl_le(&f->as, HOLE_ADDR + 8, U, &r.res);
    g_assert_cmphex(r.res, ==, MEMTX_DECODE_ERROR);
}

/* --- the board author's tree --------------------------------------------- */

static void expect_error(bool ok, GError **err, int code)
{
    g_assert_false(ok);
    g_assert_error(*err, ADDRSPACE_ERROR, code);
    g_clear_error(err);
}

/* Cycles through subregions and aliases are refused; the tree is as it
 * was. */
static void test_tree_cycle(Fix *f, gconstpointer data)
{
    MemoryRegion a, b, al;
    GError *err = NULL;
    MemTxResult res;

    (void)data;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&al, 0, sizeof(al));
    ok_or_die(memory_region_init(&a, NULL, "a", 0x1000, &err), err);
    ok_or_die(memory_region_init(&b, NULL, "b", 0x1000, &err), err);
    ok_or_die(memory_region_add_subregion(&a, 0, &b, &err), err);
    expect_error(memory_region_add_subregion(&b, 0, &a, &err), &err,
                 ADDRSPACE_ERROR_CYCLE);
    expect_error(memory_region_add_subregion(&a, 0x100, &a, &err), &err,
                 ADDRSPACE_ERROR_CYCLE);
    ok_or_die(memory_region_init_alias(&al, NULL, "al", &a, 0, 0x1000, &err),
              err);
    expect_error(memory_region_add_subregion(&b, 0x100, &al, &err), &err,
                 ADDRSPACE_ERROR_CYCLE);
    ok_or_die(memory_region_add_subregion(&f->root, HOLE_ADDR, &al, &err), err);
    (void)address_space_ldub(&f->as, HOLE_ADDR, U, &res);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR); /* empty containers */
    ok_or_die(memory_region_del_subregion(&f->root, &al, &err), err);
    drain_call_rcu();
    memory_region_finalize(&al);
    memory_region_finalize(&a);
    memory_region_finalize(&b);
}

/* Non-overlapping subregions that overlap are a board bug QEMU only warns
 * about; the render is still defined (the later one wins) and
 * memory_region_find_collision() names the pair. */
static void test_tree_overlapping_subregions(Fix *f, gconstpointer data)
{
    MemoryRegion x;
    MemoryRegion *a = NULL, *b = NULL;
    GError *err = NULL;
    MemTxResult res;

    (void)data;
    memset(&x, 0, sizeof(x));
    ok_or_die(memory_region_init_ram(&x, NULL, "x", 0x1000, &err), err);
    memset(memory_region_get_ram_ptr(&x), 0x99, 0x1000);
    ok_or_die(memory_region_add_subregion(&f->root, 0x800, &x, &err), err);
    g_assert_true(memory_region_find_collision(&f->root, &a, &b));
    g_assert_true((a == &x && b == &f->ram) || (a == &f->ram && b == &x));
    g_assert_cmphex(address_space_ldub(&f->as, 0x800, U, &res), ==, 0x99);
    g_assert_cmphex(res, ==, MEMTX_OK);
    ok_or_die(memory_region_del_subregion(&f->root, &x, &err), err);
    drain_call_rcu();
    memory_region_finalize(&x);
}

/* Absurd sizes and addresses: a GError, never an allocation of that size
 * or a wrap. */
static void test_tree_absurd_sizes(Fix *f, gconstpointer data)
{
    MemoryRegion r, c;
    GError *err = NULL;

    (void)data;
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    expect_error(memory_region_init_ram(&r, NULL, "huge", UINT64_MAX, &err),
                 &err, ADDRSPACE_ERROR_OVERFLOW);
    expect_error(memory_region_init_ram(&r, NULL, "zero", 0, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    ok_or_die(memory_region_init(&c, NULL, "c", 0x1000, &err), err);
    /* a region that would end past 2^64 */
    expect_error(
        memory_region_add_subregion(&f->root, UINT64_MAX - 0x7ff, &c, &err),
        &err, ADDRSPACE_ERROR_OVERFLOW);
    expect_error(memory_region_set_size(&f->ram, 0x100000, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    memory_region_finalize(&c);
}

/* --- a device author's IOMMU --------------------------------------------- */

/* What the hostile translate callback returns: @mode picks the lie. */
typedef struct BadIommu {
    AddressSpace *target;
    int mode;
    unsigned calls;
} BadIommu;

static IOMMUTLBEntry bad_translate(void *opaque, hwaddr addr,
                                   IOMMUAccessFlags flag, int iommu_idx)
{
    BadIommu *b = opaque;
    IOMMUTLBEntry e = {.target_as = b->target, .perm = IOMMU_RW};

    (void)flag;
    (void)iommu_idx;
    b->calls++;
    switch (b->mode) {
    case 0: /* into itself: the same address of the same space */
        e.iova = addr;
        e.translated_addr = HOLE_ADDR + addr;
        e.addr_mask = 0xfff;
        break;
    case 1: /* a mask that is no block size, an iova elsewhere */
        e.iova = addr ^ 0x5a5a;
        e.translated_addr = UINT64_MAX - 2;
        e.addr_mask = 0x1234;
        break;
    case 2: /* a page whose translation ends at 2^64 */
        e.iova = addr & ~(hwaddr)0xfff;
        e.translated_addr = UINT64_MAX - 1; /* low bits: QEMU ignores */
        e.addr_mask = 0xfff;
        break;
    default: /* the whole space (QEMU's formula keeps the offset) */
        e.iova = 0;
        e.translated_addr = UINT64_MAX - 1;
        e.addr_mask = UINT64_MAX;
        break;
    }
    return e;
}

static const IOMMUMemoryRegionOps bad_iommu_ops = {
    .translate = bad_translate,
};

/*
 * An IOMMU whose translations are nonsense (a loop into itself, a mask that
 * is not a block size, a page ending at 2^64, the whole space): every
 * access answers with a MemTxResult, no callback sees anything out of
 * bounds, nothing past 2^64 wraps to address 0.
 */
static void test_iommu_bogus_translations(Fix *f, gconstpointer data)
{
    MemoryRegion iommu;
    BadIommu b = {.target = &f->as};
    GError *err = NULL;
    uint8_t buf[32];
    MemTxResult res;

    (void)data;
    memset(&iommu, 0, sizeof(iommu));
    ok_or_die(memory_region_init_iommu(&iommu, NULL, &bad_iommu_ops, &b,
                                       "bad-iommu", 0x10000, &err),
              err);
    ok_or_die(memory_region_add_subregion(&f->root, HOLE_ADDR, &iommu, &err),
              err);
    for (b.mode = 0; b.mode < 4; b.mode++) {
        hwaddr len;
        void *p;

        b.calls = 0;
        memset(buf, 0x11, sizeof(buf));
        res = address_space_read(&f->as, HOLE_ADDR + 8, U, buf, sizeof(buf));
        g_assert_cmphex(res & ~(MemTxResult)(MEMTX_DECODE_ERROR |
                                             MEMTX_ACCESS_ERROR | MEMTX_ERROR),
                        ==, 0);
        if (b.mode == 0) {
            /* the loop ends at the chain limit: a hole */
            g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
            assert_bytes(buf, 0, sizeof(buf));
            g_assert_cmpuint(b.calls, <=, 32 * (IOMMU_MAX_CHAIN + 1));
        }
        memset(buf, 0x77, sizeof(buf));
        (void)address_space_write(&f->as, HOLE_ADDR + 8, U, buf, sizeof(buf));
        (void)address_space_ldq_le(&f->as, HOLE_ADDR + 0xffc, U, &res);
        address_space_stl_be(&f->as, HOLE_ADDR + 0xffe, 1, U, &res);
        (void)address_space_access_valid(&f->as, HOLE_ADDR, 0x10000, true, U);
        len = UINT64_MAX;
        p = address_space_map(&f->as, HOLE_ADDR + 4, &len, true, U);
        if (p) {
            g_assert_cmpuint(len, >, 0);
            memset(p, 0x42, MIN(len, (hwaddr)64));
            address_space_unmap(&f->as, p, len, true, len);
        }
        /* modes 0-2 never reach address 0 (RAM, 0xaa): no wrap past 2^64 */
        if (b.mode < 3) {
            assert_bytes(memory_region_get_ram_ptr(&f->ram), 0xaa, 16);
        }
    }
    ok_or_die(memory_region_del_subregion(&f->root, &iommu, &err), err);
    drain_call_rcu();
    memory_region_finalize(&iommu);
}

/*
 * Caller bugs are logged once per process as critical messages: a test of
 * one runs itself again in a subprocess (criticals not fatal there).
 * Returns true in that subprocess; in the parent, checks that it passed
 * and that stderr matched @logged, and @once at most once, then returns
 * false.
 */
static bool run_logging_once(const char *logged, const char *once)
{
    char *twice;

    if (g_test_subprocess()) {
        g_log_set_always_fatal(G_LOG_FATAL_MASK);
        return true;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr(logged);
    twice = g_strdup_printf("*%s*%s*", once, once);
    g_test_trap_assert_stderr_unmatched(twice);
    g_free(twice);
    return false;
}

/* --- a caller's AddressSpace that is not initialised -------------------- */

static void never_called(void *opaque)
{
    (void)opaque;
    g_assert_not_reached();
}

/* Every entry point given @as (not initialised) answers as for a hole or
 * does nothing, and writes nothing into @as. */
static void assert_as_refused(AddressSpace *as)
{
    static const AddressSpace zero;
    MemoryRegionCache cache;
    MemTxResult res = MEMTX_OK;
    uint8_t buf[16];
    hwaddr xlat = 0, len = 8;
    FlatView *fv;

    memset(buf, 0x5a, sizeof(buf));
    g_assert_cmphex(address_space_read(as, RAM_ADDR, U, buf, sizeof(buf)), ==,
                    MEMTX_DECODE_ERROR);
    assert_bytes(buf, 0, sizeof(buf));
    g_assert_cmphex(address_space_write(as, RAM_ADDR, U, buf, sizeof(buf)), ==,
                    MEMTX_DECODE_ERROR);
    g_assert_cmphex(address_space_rw(as, DEV_ADDR, U, buf, 4, true), ==,
                    MEMTX_DECODE_ERROR);
    g_assert_cmphex(address_space_ldub(as, RAM_ADDR, U, &res), ==, 0);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    res = MEMTX_OK;
    g_assert_cmphex(address_space_ldl_be(as, DEV_ADDR, U, &res), ==, 0);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    res = MEMTX_OK;
    g_assert_cmphex(address_space_ldq(as, TOP_ADDR, U, &res), ==, 0);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    res = MEMTX_OK;
    address_space_stw_le(as, RAM_ADDR, 0x1234, U, &res);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    res = MEMTX_OK;
    address_space_stq(as, DEV_ADDR, 1, U, &res);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    rcu_read_lock();
    g_assert_true(address_space_translate(as, RAM_ADDR + 4, &xlat, &len, false,
                                          U) == memory_region_unassigned());
    g_assert_cmphex(xlat, ==, RAM_ADDR + 4);
    fv = address_space_to_flatview(as);
    g_assert_cmpuint(flatview_nr_sections(fv), ==, 0);
    rcu_read_unlock();
    g_assert_false(address_space_access_valid(as, RAM_ADDR, 4, false, U));
    len = 64;
    g_assert_null(address_space_map(as, RAM_ADDR, &len, true, U));
    g_assert_cmpuint(len, ==, 0);
    address_space_unmap(as, buf, sizeof(buf), true, sizeof(buf));
    address_space_register_map_client(as, never_called, NULL);
    address_space_unregister_map_client(as, never_called, NULL);
    address_space_set_max_bounce_buffer_size(as, 64);
    g_assert_cmpint(address_space_cache_init(&cache, as, RAM_ADDR, 16, false),
                    <, 0);
    address_space_cache_destroy(&cache);
    fv = address_space_get_flatview(as);
    g_assert_cmpuint(flatview_nr_sections(fv), ==, 0);
    flatview_unref(fv);
    g_assert_true(memcmp(as, &zero, sizeof(zero)) == 0);
}

/*
 * An AddressSpace that is zero-filled, or destroyed, handed to every entry
 * point: hole answers (MEMTX_DECODE_ERROR, reads 0, map NULL, cache -1),
 * one critical message per process naming the first function, the valid
 * AddressSpace unaffected. Was a NULL dereference.
 */
static void test_as_uninitialised(Fix *f, gconstpointer data)
{
    AddressSpace zeroed, destroyed;
    GError *err = NULL;
    MemTxResult res;

    (void)data;
    if (!run_logging_once("*CRITICAL*address_space_read(): AddressSpace*"
                          "not initialised*caller bug*",
                          "not initialised")) {
        return;
    }
    memset(&zeroed, 0, sizeof(zeroed));
    assert_as_refused(&zeroed);
    memset(&destroyed, 0, sizeof(destroyed));
    ok_or_die(address_space_init(&destroyed, &f->root, "gone", &err), err);
    address_space_destroy(&destroyed);
    assert_as_refused(&destroyed);
    g_assert_cmphex(address_space_ldub(&f->as, RAM_ADDR, U, &res), ==, 0xaa);
    g_assert_cmphex(res, ==, MEMTX_OK);
}

static IOMMUTLBEntry zeroed_target_translate(void *opaque, hwaddr addr,
                                             IOMMUAccessFlags flag,
                                             int iommu_idx)
{
    IOMMUTLBEntry e = {.target_as = opaque,
                       .iova = addr & ~(hwaddr)0xfff,
                       .translated_addr = RAM_ADDR,
                       .addr_mask = 0xfff,
                       .perm = IOMMU_RW};

    (void)flag;
    (void)iommu_idx;
    return e;
}

static const IOMMUMemoryRegionOps zeroed_target_ops = {
    .translate = zeroed_target_translate,
};

/*
 * An IOMMU whose translate callback returns a zero-filled target
 * AddressSpace: a refused translation (QEMU: unassigned), so
 * MEMTX_DECODE_ERROR and reads 0, with one critical message naming the
 * IOMMU region. Was a NULL dereference.
 */
static void test_iommu_uninitialised_target(Fix *f, gconstpointer data)
{
    AddressSpace zeroed;
    MemoryRegion iommu;
    GError *err = NULL;
    MemTxResult res = MEMTX_OK;
    uint8_t buf[8];
    hwaddr xlat, len = 4;

    (void)data;
    if (!run_logging_once("*CRITICAL*IOMMU region \"zeroed-target\"*"
                          "translate*not an initialised AddressSpace*",
                          "IOMMU region")) {
        return;
    }
    memset(&zeroed, 0, sizeof(zeroed));
    memset(&iommu, 0, sizeof(iommu));
    ok_or_die(memory_region_init_iommu(&iommu, NULL, &zeroed_target_ops,
                                       &zeroed, "zeroed-target", 0x10000, &err),
              err);
    ok_or_die(memory_region_add_subregion(&f->root, HOLE_ADDR, &iommu, &err),
              err);
    memset(buf, 0x5a, sizeof(buf));
    g_assert_cmphex(address_space_read(&f->as, HOLE_ADDR, U, buf, sizeof(buf)),
                    ==, MEMTX_DECODE_ERROR);
    assert_bytes(buf, 0, sizeof(buf));
    g_assert_cmphex(address_space_write(&f->as, HOLE_ADDR, U, buf, sizeof(buf)),
                    ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(address_space_ldl_le(&f->as, HOLE_ADDR + 4, U, &res), ==,
                    0);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    res = MEMTX_OK;
    address_space_stl_le(&f->as, HOLE_ADDR + 4, 1, U, &res);
    g_assert_cmphex(res, ==, MEMTX_DECODE_ERROR);
    rcu_read_lock();
    g_assert_true(address_space_translate(&f->as, HOLE_ADDR + 4, &xlat, &len,
                                          false,
                                          U) == memory_region_unassigned());
    rcu_read_unlock();
    assert_bytes(memory_region_get_ram_ptr(&f->ram), 0xaa, 0x1000);
    ok_or_die(memory_region_del_subregion(&f->root, &iommu, &err), err);
    drain_call_rcu();
    memory_region_finalize(&iommu);
}

/* --- a listener author ----------------------------------------------------- */

#define FLIP_A_ADDR 0x50000u
#define FLIP_B_ADDR 0x60000u

/* A listener that, whenever region a or b appears, disables it and enables
 * the other: every commit round gives it a region_add, and it changes the
 * tree again, forever. */
typedef struct Flipper {
    MemoryListener l;
    MemoryRegion a, b;
    unsigned begins, adds;
    bool off;
} Flipper;

static void flip_begin(MemoryListener *l)
{
    ((Flipper *)(void *)l)->begins++;
}

static void flip_add(MemoryListener *l, MemoryRegionSection *s)
{
    Flipper *fl = (Flipper *)(void *)l;

    fl->adds++;
    if (!fl->off && (s->mr == &fl->a || s->mr == &fl->b)) {
        memory_region_set_enabled(s->mr, false);
        memory_region_set_enabled(s->mr == &fl->a ? &fl->b : &fl->a, true);
    }
}

/* Both flip regions in f->root, disabled; the listener registered. */
static void flipper_setup(Fix *f, Flipper *fl)
{
    GError *err = NULL;

    memset(fl, 0, sizeof(*fl));
    fl->l.name = "flipper";
    fl->l.begin = flip_begin;
    fl->l.region_add = flip_add;
    ok_or_die(memory_region_init_ram(&fl->a, NULL, "flip-a", 0x1000, &err),
              err);
    ok_or_die(memory_region_init_ram(&fl->b, NULL, "flip-b", 0x1000, &err),
              err);
    memset(memory_region_get_ram_ptr(&fl->a), 0xa1, 0x1000);
    memset(memory_region_get_ram_ptr(&fl->b), 0xb2, 0x1000);
    memory_region_set_enabled(&fl->a, false);
    memory_region_set_enabled(&fl->b, false);
    ok_or_die(memory_region_add_subregion(&f->root, FLIP_A_ADDR, &fl->a, &err),
              err);
    ok_or_die(memory_region_add_subregion(&f->root, FLIP_B_ADDR, &fl->b, &err),
              err);
    memory_listener_register(&fl->l, &f->as);
}

static void flipper_teardown(Fix *f, Flipper *fl)
{
    memory_listener_unregister(&fl->l);
    memory_region_transaction_begin();
    memory_region_del_subregion(&f->root, &fl->a, NULL);
    memory_region_del_subregion(&f->root, &fl->b, NULL);
    memory_region_transaction_commit();
    drain_call_rcu();
    memory_region_finalize(&fl->a);
    memory_region_finalize(&fl->b);
}

/* What the view maps at @addr: the fill byte of its RAM, or -1 for a hole. */
static int view_byte(Fix *f, hwaddr addr)
{
    MemTxResult res;
    uint8_t v = address_space_ldub(&f->as, addr, U, &res);

    return res == MEMTX_OK ? v : -1;
}

/*
 * A listener that changes the tree in every commit round: the commit stops
 * after MEMORY_TRANSACTION_MAX_ROUNDS rounds with ADDRSPACE_ERROR_LIMIT
 * naming the listener; the views are those of the last round (consistent:
 * one of the two regions); the change made in the last round is published
 * by the next commit. Was an endless loop.
 */
static void test_listener_changes_tree_forever(Fix *f, gconstpointer data)
{
    Flipper fl;
    GError *err = NULL;
    bool ok;

    (void)data;
    flipper_setup(f, &fl);
    fl.begins = 0;
    memory_region_transaction_begin();
    memory_region_set_enabled(&fl.a, true);
    ok = memory_region_transaction_commit_checked(&err);
    g_assert_false(ok);
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_LIMIT);
    g_assert_nonnull(strstr(err->message, "\"flipper\" in its region_add"));
    g_clear_error(&err);
    /* one begin per round; round 1 mapped a, round 2 b, ..., round 64 b */
    g_assert_cmpuint(fl.begins, ==, MEMORY_TRANSACTION_MAX_ROUNDS);
    g_assert_cmpuint(MEMORY_TRANSACTION_MAX_ROUNDS % 2, ==, 0);
    g_assert_cmpint(view_byte(f, FLIP_A_ADDR), ==, -1);
    g_assert_cmpint(view_byte(f, FLIP_B_ADDR), ==, 0xb2);
    /* the tree already holds round 64's change (a again): published by
     * the next commit, once the listener stops flipping */
    g_assert_true(memory_region_is_enabled(&fl.a));
    fl.off = true;
    memory_region_transaction_begin();
    ok = memory_region_transaction_commit_checked(&err);
    g_assert_no_error(err);
    g_assert_true(ok);
    g_assert_cmpint(view_byte(f, FLIP_A_ADDR), ==, 0xa1);
    g_assert_cmpint(view_byte(f, FLIP_B_ADDR), ==, -1);
    flipper_teardown(f, &fl);
}

/*
 * The same through memory_region_transaction_commit() (and a plain
 * setter, its own transaction): each commit stops at the limit; one
 * critical message per process names the listener.
 */
static void test_listener_changes_tree_forever_logged(Fix *f,
                                                      gconstpointer data)
{
    Flipper fl;

    (void)data;
    if (!run_logging_once("*CRITICAL*MEMORY_TRANSACTION_MAX_ROUNDS*"
                          "\"flipper\" in its region_add*",
                          "MAX_ROUNDS")) {
        return;
    }
    flipper_setup(f, &fl);
    fl.begins = 0;
    memory_region_set_enabled(&fl.a, true);
    g_assert_cmpuint(fl.begins, ==, MEMORY_TRANSACTION_MAX_ROUNDS);
    memory_region_transaction_begin();
    memory_region_transaction_commit();
    g_assert_cmpuint(fl.begins, ==, 2 * MEMORY_TRANSACTION_MAX_ROUNDS);
    fl.off = true;
    memory_region_transaction_begin();
    memory_region_transaction_commit();
    g_assert_cmpint(view_byte(f, FLIP_A_ADDR) == -1, !=,
                    view_byte(f, FLIP_B_ADDR) == -1);
    flipper_teardown(f, &fl);
}

/* --- board files --------------------------------------------------------- */

/* A board file is refused with @code and a message that starts with the
 * JSON path @path; nothing is left behind (LSan). */
static void board_refused(const char *json, int code, const char *path)
{
    GError *err = NULL;
    Machine *m = board_json_load_data(json, strlen(json), &err);

    g_assert_null(m);
    g_assert_error(err, ADDRSPACE_ERROR, code);
    if (!g_str_has_prefix(err->message, path)) {
        g_test_message("message: %s", err->message);
    }
    g_assert_true(g_str_has_prefix(err->message, path));
    g_error_free(err);
}

#define BOARD_ROOT "{\"name\": \"s\", \"kind\": \"container\", "
#define BOARD_AS   "\"address_spaces\": [{\"name\": \"m\", \"root\": \"s\"}]}"

static void test_board_cycle(void)
{
    board_refused("{\"regions\": [{\"name\": \"s\", \"kind\": \"container\", "
                  "\"size\": 4096, \"parent\": \"b\"}, {\"name\": \"b\", "
                  "\"kind\": \"container\", \"size\": 4096, \"parent\": "
                  "\"s\"}], " BOARD_AS,
                  ADDRSPACE_ERROR_CYCLE, "$.regions[1].parent");
    board_refused(
        "{\"regions\": [" BOARD_ROOT "\"size\": 4096}, {\"name\": "
        "\"x\", \"kind\": \"alias\", \"target\": \"y\", \"size\": 16, "
        "\"parent\": \"s\"}, {\"name\": \"y\", \"kind\": \"alias\", "
        "\"target\": \"x\", \"size\": 16}], " BOARD_AS,
        ADDRSPACE_ERROR_CYCLE, "$.regions[2].target");
}

/* Display names may repeat (QEMU allows it); ids (default: the name) not. */
static void test_board_duplicate_ids(void)
{
    board_refused(
        "{\"regions\": [" BOARD_ROOT "\"size\": 65536}, {\"name\": "
        "\"r\", \"kind\": \"ram\", \"size\": 4096, \"parent\": \"s\"}, "
        "{\"name\": \"r\", \"kind\": \"rom\", \"size\": 4096, "
        "\"parent\": \"s\", \"addr\": 8192}], " BOARD_AS,
        ADDRSPACE_ERROR_BUSY, "$.regions[2].name");
    board_refused(
        "{\"regions\": [" BOARD_ROOT "\"size\": 65536}], "
        "\"devices\": [{\"name\": \"s\", \"type\": \"testdev\"}], " BOARD_AS,
        ADDRSPACE_ERROR_BUSY, "$.devices[0].name");
    board_refused(
        "{\"regions\": [" BOARD_ROOT "\"size\": 65536}, {\"id\": \"r\", "
        "\"name\": \"x\", \"kind\": \"ram\", \"size\": 4096}, {\"id\": "
        "\"r\", \"name\": \"y\", \"kind\": \"ram\", \"size\": "
        "4096}], " BOARD_AS,
        ADDRSPACE_ERROR_BUSY, "$.regions[2].id");
}

static void test_board_overlapping_subregions(void)
{
    board_refused(
        "{\"regions\": [" BOARD_ROOT "\"size\": 65536}, {\"name\": "
        "\"a\", \"kind\": \"ram\", \"size\": 4096, \"parent\": \"s\", "
        "\"addr\": 2048}, {\"name\": \"b\", \"kind\": \"ram\", "
        "\"size\": 4096, \"parent\": \"s\", \"addr\": 4096}], " BOARD_AS,
        ADDRSPACE_ERROR_OVERLAP, "$.regions[2]");
}

static void test_board_absurd_sizes(void)
{
    board_refused("{\"regions\": [" BOARD_ROOT
                  "\"size\": \"0x10000000000000001\"}], " BOARD_AS,
                  ADDRSPACE_ERROR_PARSE, "$.regions[0].size");
    /* size 0: accepted as in QEMU, except for RAM-backed kinds */
    board_refused("{\"regions\": [" BOARD_ROOT "\"size\": 0}, {\"name\": "
                  "\"r\", \"kind\": \"ram\", \"size\": 0}], " BOARD_AS,
                  ADDRSPACE_ERROR_INVALID, "$.regions[1].size");
    board_refused(
        "{\"regions\": [" BOARD_ROOT "\"size\": \"0x10000000000000000\"}, "
        "{\"name\": \"r\", \"kind\": \"ram\", "
        "\"size\": \"0xffffffffffffffff\", \"parent\": \"s\"}], " BOARD_AS,
        ADDRSPACE_ERROR_INVALID, "$.regions[1].size");
    board_refused(
        "{\"regions\": [" BOARD_ROOT "\"size\": \"0x10000000000000000\"}, "
        "{\"name\": \"t\", \"kind\": \"ram\", \"size\": 65536, "
        "\"parent\": \"s\", \"addr\": \"0xfffffffffffff000\"}], " BOARD_AS,
        ADDRSPACE_ERROR_OVERFLOW, "$.regions[1].addr");
}

/* Strict JSON only: what json-glib would take leniently is refused. */
static void test_board_lenient_json(void)
{
    static const char *const cases[][2] = {
        {"/* c */ {}", "$: invalid JSON: comments are not allowed"},
        {"{} // c", "$: invalid JSON: comments are not allowed"},
        {"{'regions': []}", "$: invalid JSON: single-quoted strings"},
        {"{\"regions\": [], \"regions\": []}", "$.regions: duplicate member"},
        {"{\"regions\": []} {}",
         "$: invalid JSON: more than one top-level value"},
        {"{\"regions\": [{\"name\": \"s\\u0000t\"}]}",
         "$.regions[0].name: strings must not contain \\u0000"},
        {"{\"regions\": [1,]}", "$.regions: invalid JSON: trailing comma"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        board_refused(cases[i][0], ADDRSPACE_ERROR_PARSE, cases[i][1]);
    }
}

typedef struct DeepLoad {
    const char *json;
    GError *err;
    Machine *m;
} DeepLoad;

static void *deep_load_main(void *opaque)
{
    DeepLoad *d = opaque;

    d->m = board_json_load_data(d->json, strlen(d->json), &d->err);
    return NULL;
}

/*
 * 100000 nested brackets whose count a comment or a single-quoted string
 * would hide from a bracket scan (json-glib accepts both and recurses per
 * level: a stack overflow). Loaded on a thread with a 512 KiB stack: the
 * strict check never recurses.
 */
static void test_board_hidden_nesting(void)
{
    static const char *const heads[][2] = {
        {"/* \" */ {\"regions\":", "$: invalid JSON: comments are not "
                                   "allowed (line 1, column 1)"},
        {"{'\"': ", "$: invalid JSON: single-quoted strings are not "
                    "allowed (line 1, column 2)"},
        {"{\"regions\":", "$.regions[0][0][0][0][0][0][0][0][0][0][0][0][0]"
                          "[0][0]: nested deeper than 16 levels (line 1, "
                          "column 27)"},
    };
    const size_t n = 100000;

    for (size_t i = 0; i < G_N_ELEMENTS(heads); i++) {
        GString *json = g_string_new(heads[i][0]);
        DeepLoad d = {0};
        pthread_attr_t attr;
        pthread_t thread;

        for (size_t j = 0; j < n; j++) {
            g_string_append_c(json, '[');
        }
        for (size_t j = 0; j < n; j++) {
            g_string_append_c(json, ']');
        }
        g_string_append_c(json, '}');
        d.json = json->str;
        g_assert_cmpint(pthread_attr_init(&attr), ==, 0);
        g_assert_cmpint(pthread_attr_setstacksize(&attr, 512 << 10), ==, 0);
        g_assert_cmpint(pthread_create(&thread, &attr, deep_load_main, &d), ==,
                        0);
        g_assert_cmpint(pthread_join(thread, NULL), ==, 0);
        pthread_attr_destroy(&attr);
        g_assert_null(d.m);
        g_assert_error(d.err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_PARSE);
        g_assert_cmpstr(d.err->message, ==, heads[i][1]);
        g_error_free(d.err);
        g_string_free(json, TRUE);
    }
}

/* --- the test machine's front end and devices ---------------------------- */

typedef struct CountedOutput {
    uint64_t bytes;
    char last;
} CountedOutput;

static bool counted_output(void *opaque, const char *data, size_t len)
{
    CountedOutput *c = opaque;

    c->bytes += len;
    c->last = data[len - 1];
    return true;
}

/*
 * Replies far larger than their command (a 17-byte `read` asks for a
 * 32 MiB reply) are streamed: a session never holds more than
 * QTEST_OUTPUT_BUFFER_MAX bytes of output, whatever the input.
 */
static void test_qtest_huge_replies(void)
{
    static const char input[] = "read 0 0x1000000\nread 0 0x1000000\n"
                                "b64read 0 0x1000000\ninfo mtree -f\n";
    GError *err = NULL;
    Machine *m = machine_new_default(NULL, &err);
    QTestSession *s;
    CountedOutput c = {0};
    GString *out = g_string_new(NULL);
    char *dump_text = NULL;
    size_t dump_len = 0;
    uint64_t replies;
    FILE *dump;

    g_assert_no_error(err);
    s = qtest_session_new(m);
    qtest_session_set_output(s, counted_output, &c);
    qtest_session_feed(s, input, strlen(input), out);
    g_assert_cmpuint(out->len, ==, 0);
    g_assert_cmpuint(qtest_session_peak_buffered(s), <=,
                     QTEST_OUTPUT_BUFFER_MAX);
    /* everything came out: two "OK 0x" + hex, "OK " + base64, the dump */
    dump = open_memstream(&dump_text, &dump_len);
    mtree_info(dump, true, false);
    fclose(dump);
    free(dump_text);
    replies = 2 * (5 + 2 * (16u << 20) + 1) + 3 + 4 * ((16u << 20) + 2) / 3 +
              1 + dump_len + 3;
    g_assert_cmpuint(c.bytes, ==, replies);
    g_assert_cmpint(c.last, ==, '\n');
    qtest_session_free(s);
    machine_free(m);
    g_string_free(out, TRUE);
}

/* b64write answers FAIL and writes nothing unless its data is base64. */
static void test_qtest_b64write_invalid(void)
{
    static const char *const bad[] = {
        "b64write 0x1000 4 AQID!A==",
        "b64write 0x1000 4 AQIDBA=",
        "b64write 0x1000 4 AQ==BA==",
        "b64write 0x1000 2 AQJ=",
    };
    GError *err = NULL;
    Machine *m = machine_new_default(NULL, &err);
    QTestSession *s;
    GString *out = g_string_new(NULL);

    g_assert_no_error(err);
    s = qtest_session_new(m);
    qtest_session_process_line(s, "memset 0x1000 4 0x11", 20, out);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_string_truncate(out, 0);
        qtest_session_process_line(s, bad[i], strlen(bad[i]), out);
        g_assert_true(g_str_has_prefix(out->str, "FAIL invalid base64 data"));
    }
    g_string_truncate(out, 0);
    qtest_session_process_line(s, "read 0x1000 4", 13, out);
    g_assert_cmpstr(out->str, ==, "OK 0x11111111\n");
    qtest_session_free(s);
    machine_free(m);
    g_string_free(out, TRUE);
}

/* A guest hammering a testdev: its log keeps the last TESTDEV_LOG_MAX
 * callbacks and counts the dropped ones. */
static void test_testdev_log_flood(Fix *f, gconstpointer data)
{
    const uint32_t total = 3 * TESTDEV_LOG_MAX;
    MemTxResult r = MEMTX_OK;

    (void)data;
    for (uint32_t i = 0; i < total; i++) {
        MemTxResult one;

        address_space_stl_le(&f->as, DEV_ADDR + 4 * (i % 64), i, U, &one);
        r |= one;
    }
    g_assert_cmpint(r, ==, MEMTX_OK);
    g_assert_cmpuint(testdev_log_len(f->dev), ==, TESTDEV_LOG_MAX);
    g_assert_cmpuint(testdev_log_dropped(f->dev), ==, total - TESTDEV_LOG_MAX);
    g_assert_cmpuint(testdev_log_get(f->dev, 0).value, ==,
                     total - TESTDEV_LOG_MAX);
    g_assert_cmpuint(testdev_log_get(f->dev, TESTDEV_LOG_MAX - 1).value, ==,
                     total - 1);
    g_assert_cmpuint(testdev_log_get(f->dev, TESTDEV_LOG_MAX - 1).offset, ==,
                     4 * ((total - 1) % 64));
    testdev_log_clear(f->dev);
    g_assert_cmpuint(testdev_log_len(f->dev), ==, 0);
    g_assert_cmpuint(testdev_log_dropped(f->dev), ==, 0);
    address_space_stl_le(&f->as, DEV_ADDR, 7, U, &r);
    g_assert_cmpint(r, ==, MEMTX_OK);
    assert_log(f->dev, "w4@0x0");
}

/*
 * Run qtest @lines on a fresh default machine; the last line's answer must
 * end with @last_answer, and the whole session print at most @max_bytes.
 */
static void qtest_bounded(const char *const *lines, size_t n,
                          const char *last_answer, size_t max_bytes)
{
    Machine *m = machine_new_default(NULL, NULL);
    QTestSession *s = qtest_session_new(m);
    GString *out = g_string_new(NULL);
    size_t before = 0;

    for (size_t i = 0; i < n; i++) {
        before = out->len;
        qtest_session_process_line(s, lines[i], strlen(lines[i]), out);
    }
    g_assert_cmpuint(out->len, <=, max_bytes);
    g_assert_true(g_str_has_suffix(out->str + before, last_answer));
    g_string_free(out, TRUE);
    qtest_session_free(s);
    machine_free(m);
}

/* Issue: a 1-tick periodic HPET timer made clock_step endless. */
static void test_clock_self_rearming_timer(void)
{
    const char *const quiet[] = {
        "writel 0xfed00100 0x14c", "writel 0xfed00108 1",
        "writel 0xfed00010 1",     "clock_step 300000000",
        "readl 0xfed000f0",        "clock_step 9223372036854775807",
    };
    const char *const observed[] = {
        "irq_intercept_in ioapic", "writel 0xfed00100 0x14c",
        "writel 0xfed00108 1",     "writel 0xfed00010 1",
        "clock_step 300000000",
    };
    const char *const storm_from_0[] = {
        "writel 0xfed00100 0x14c",
        "writel 0xfed00108 1",
        "writel 0xfed00010 1",
        "clock_step 9223372036854775807",
    };

    qtest_bounded(quiet, 5, "OK 0x0000000001c9c380\n", 100);
    /* now + 2^63 - 1 wraps: QEMU 7.2 does not move the clock */
    qtest_bounded(quiet, 6, "OK 300000000\n", 200);
    qtest_bounded(storm_from_0, 4,
                  "FAIL timer work budget exhausted: stopped at "
                  "9223372036854775800 ns\n",
                  200);
    /*
     * two IRQ lines a match: about 26 MB, not 720. The default HPET starts
     * timers 1 and 2 with the counter (QEMU 9.1): their one-tick matches
     * take 2 of the 1,000,000 callbacks.
     */
    qtest_bounded(observed, 5,
                  "FAIL timer work budget exhausted: stopped at 9999980 ns\n",
                  30u << 20);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD_TEST("access/wrap-2^64", test_wrap_2_64);
    ADD_TEST("access/size-0", test_size_zero);
    ADD_TEST("mmio/size-3", test_mmio_size_3);
    ADD_TEST("mmio/size-5", test_mmio_size_5);
    ADD_TEST("mmio/size-16", test_mmio_size_16);
    ADD_TEST("mmio/past-region-end", test_mmio_past_end);
    ADD_TEST("mmio/widened-at-region-end", test_mmio_widened_at_end);
    ADD_TEST_OPT_IN("mmio/widened-at-region-end", test_mmio_widened_at_end);
    ADD_TEST("mmio/unaligned-forbidden", test_unaligned_forbidden);
    ADD_TEST("rom/write", test_rom_write);
    ADD_TEST("hole/read-write", test_hole_read);
    ADD_TEST("hole/before-unaligned-region", test_hole_before_unaligned_region);
    ADD_TEST("access-valid/huge-length", test_access_valid_huge_length);
    ADD_TEST("rom-device/shrunk-in-transaction",
             test_romd_shrunk_in_transaction);
    ADD_TEST("mmio/shrunk-to-zero-in-transaction",
             test_mmio_shrunk_to_zero_in_transaction);
    ADD_TEST_OPT_IN("mmio/shrunk-to-zero-in-transaction",
                    test_mmio_shrunk_to_zero_in_transaction);
    ADD_TEST("map/huge-length", test_map_huge_length);
    ADD_TEST("map/bounce-busy", test_map_bounce_busy);
    ADD_TEST("dma/nested-same-device", test_dma_nested_same_device);
    ADD_TEST("dma/loop-two-devices", test_dma_loop_two_devices);
    ADD_TEST("callback/deletes-own-region", test_callback_deletes_own_region);
    ADD_TEST("callback/commits-topology", test_callback_commits_topology);
    ADD_TEST("unplug/during-callback", test_unplug_during_callback);
    ADD_TEST("tree/cycle", test_tree_cycle);
    ADD_TEST("tree/overlapping-subregions", test_tree_overlapping_subregions);
    ADD_TEST("tree/absurd-sizes", test_tree_absurd_sizes);
    ADD_TEST("iommu/bogus-translations", test_iommu_bogus_translations);
    ADD_TEST("iommu/uninitialised-target", test_iommu_uninitialised_target);
    ADD_TEST("address-space/uninitialised", test_as_uninitialised);
    ADD_TEST("listener/changes-tree-forever",
             test_listener_changes_tree_forever);
    ADD_TEST("listener/changes-tree-forever-logged",
             test_listener_changes_tree_forever_logged);
    g_test_add_func("/hostile/board/cycle", test_board_cycle);
    g_test_add_func("/hostile/board/duplicate-ids", test_board_duplicate_ids);
    g_test_add_func("/hostile/board/overlapping-subregions",
                    test_board_overlapping_subregions);
    g_test_add_func("/hostile/board/absurd-sizes", test_board_absurd_sizes);
    g_test_add_func("/hostile/board/lenient-json", test_board_lenient_json);
    g_test_add_func("/hostile/board/hidden-nesting", test_board_hidden_nesting);
    g_test_add_func("/hostile/qtest/huge-replies", test_qtest_huge_replies);
    g_test_add_func("/hostile/qtest/b64write-invalid",
                    test_qtest_b64write_invalid);
    ADD_TEST("testdev/log-flood", test_testdev_log_flood);
    g_test_add_func("/hostile/clock/self-rearming-timer",
                    test_clock_self_rearming_timer);
    return g_test_run();
}
