/* SPDX-License-Identifier: MIT */
/*
 * MemoryRegionCache: the RAM fast path (host pointer + region reference),
 * the slow path through the AddressSpace for MMIO and mixed ranges,
 * lifetime across topology changes, and refusal of out-of-range accesses
 * (where QEMU asserts).
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "log-regs.h"
#include "owned-ram.h"

#define ATTRS   MEMTXATTRS_UNSPECIFIED
#define DEV_LEN 0x100

/* MMIO device: little-endian byte registers, logs every callback. */
typedef LogRegs Dev;

static const MemoryRegionOps dev_ops = {
    .read = log_regs_read,
    .write = log_regs_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8},
    .impl = {.min_access_size = 1, .max_access_size = 8},
};

/* 0x0000-0x0fff ram; 0x1000-0x10ff dev; 0x2000-0x20ff rom; rest holes. */
typedef struct Machine {
    MemoryRegion sys, ram, io, rom;
    AddressSpace as;
    Dev dev;
} Machine;

static Machine *machine_new(void)
{
    Machine *m = g_new0(Machine, 1);

    m->dev.log = g_string_new("");
    m->dev.log_values = true;
    for (unsigned i = 0; i < DEV_LEN; i++) {
        m->dev.bytes[i] = (uint8_t)(0x80 + i);
    }
    g_assert_true(
        memory_region_init(&m->sys, NULL, "system", UINT64_MAX, NULL));
    g_assert_true(memory_region_init_ram(&m->ram, NULL, "ram", 0x1000, NULL));
    g_assert_true(memory_region_init_io(&m->io, NULL, &dev_ops, &m->dev, "dev",
                                        DEV_LEN, NULL));
    g_assert_true(memory_region_init_rom(&m->rom, NULL, "rom", 0x100, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0, &m->ram, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x1000, &m->io, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x2000, &m->rom, NULL));
    g_assert_true(address_space_init(&m->as, &m->sys, "memory", NULL));
    return m;
}

static void machine_free(Machine *m)
{
    address_space_destroy(&m->as);
    memory_region_finalize(&m->sys);
    memory_region_finalize(&m->ram);
    memory_region_finalize(&m->io);
    memory_region_finalize(&m->rom);
    drain_call_rcu();
    g_string_free(m->dev.log, true);
    g_free(m);
}

static uint8_t *ram_of(MemoryRegion *mr)
{
    return memory_region_get_ram_ptr(mr);
}

static void test_ram_fast_path(void)
{
    Machine *m = machine_new();
    uint8_t *ram = ram_of(&m->ram);
    MemoryRegionCache c;
    MemTxResult r = MEMTX_ERROR;
    uint8_t buf[8];

    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0x100, 0x40, true), ==,
                    0x40);
    address_space_stw_le_cached(&c, 0, 0x1234, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    address_space_stw_be_cached(&c, 2, 0x1234, ATTRS, NULL);
    address_space_stl_le_cached(&c, 4, 0xa1b2c3d4, ATTRS, NULL);
    address_space_stl_be_cached(&c, 8, 0xa1b2c3d4, ATTRS, NULL);
    address_space_stq_le_cached(&c, 16, UINT64_C(0x0102030405060708), ATTRS,
                                NULL);
    address_space_stq_be_cached(&c, 24, UINT64_C(0x0102030405060708), ATTRS,
                                NULL);
    address_space_stb_cached(&c, 0x3f, 0xee, ATTRS, NULL);
    g_assert_cmpmem(ram + 0x100, 12,
                    "\x34\x12\x12\x34\xd4\xc3\xb2\xa1\xa1\xb2\xc3\xd4", 12);
    g_assert_cmpmem(ram + 0x110, 16,
                    "\x08\x07\x06\x05\x04\x03\x02\x01"
                    "\x01\x02\x03\x04\x05\x06\x07\x08",
                    16);
    g_assert_cmpuint(ram[0x13f], ==, 0xee);
    g_assert_cmpuint(address_space_lduw_le_cached(&c, 2, ATTRS, &r), ==,
                     0x3412);
    g_assert_cmpuint(address_space_lduw_be_cached(&c, 2, ATTRS, &r), ==,
                     0x1234);
    g_assert_cmpuint(address_space_ldl_be_cached(&c, 4, ATTRS, &r), ==,
                     0xd4c3b2a1);
    g_assert_cmpuint(address_space_ldl_le_cached(&c, 4, ATTRS, &r), ==,
                     0xa1b2c3d4);
    g_assert_cmphex(address_space_ldq_le_cached(&c, 24, ATTRS, &r), ==,
                    UINT64_C(0x0807060504030201));
    g_assert_cmphex(address_space_ldq_be_cached(&c, 24, ATTRS, &r), ==,
                    UINT64_C(0x0102030405060708));
    g_assert_cmpuint(address_space_ldub_cached(&c, 0x3f, ATTRS, &r), ==, 0xee);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    /* unaligned typed access inside the range */
    g_assert_cmphex(address_space_ldl_le_cached(&c, 1, ATTRS, &r), ==,
                    0xd4341212);
    /* buffer accesses */
    g_assert_cmpuint(address_space_write_cached(&c, 0x30, "abcdefgh", 8), ==,
                     MEMTX_OK);
    g_assert_cmpuint(address_space_read_cached(&c, 0x30, buf, 8), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 8, "abcdefgh", 8);
    g_assert_cmpmem(ram + 0x130, 8, "abcdefgh", 8);
    address_space_cache_destroy(&c);
    address_space_cache_destroy(&c); /* empty now: no-op */
    machine_free(m);
}

static void test_target_order(void)
{
    Machine *m = machine_new();
    uint8_t *ram = ram_of(&m->ram);
    MemoryRegionCache c;

    memcpy(ram, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    address_space_set_big_endian(&m->as, true);
    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0, 8, false), ==, 8);
    g_assert_cmphex(address_space_lduw_cached(&c, 0, ATTRS, NULL), ==, 0x1122);
    g_assert_cmphex(address_space_ldl_cached(&c, 0, ATTRS, NULL), ==,
                    0x11223344);
    g_assert_cmphex(address_space_ldq_cached(&c, 0, ATTRS, NULL), ==,
                    UINT64_C(0x1122334455667788));
    address_space_cache_destroy(&c);
    address_space_set_big_endian(&m->as, false);
    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0, 8, true), ==, 8);
    g_assert_cmphex(address_space_ldl_cached(&c, 0, ATTRS, NULL), ==,
                    0x44332211);
    address_space_stw_cached(&c, 0, 0xabcd, ATTRS, NULL);
    address_space_stl_cached(&c, 4, 0x01020304, ATTRS, NULL);
    g_assert_cmpmem(ram, 8, "\xcd\xab\x33\x44\x04\x03\x02\x01", 8);
    address_space_stq_cached(&c, 0, UINT64_C(0x0807060504030201), ATTRS, NULL);
    g_assert_cmpmem(ram, 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    address_space_cache_destroy(&c);
    machine_free(m);
}

static void test_writes_mark_dirty(void)
{
    const unsigned mig = DIRTY_MEMORY_MIGRATION;
    Machine *m = machine_new();
    MemoryRegion *big = g_new0(MemoryRegion, 1);
    MemoryRegionCache c;

    g_assert_true(memory_region_init_ram(big, NULL, "big", 0x3000, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x10000, big, NULL));
    memory_region_set_log(big, true, mig);
    /* [0x1ff0, 0x2010) of big: the end of page 1, the start of page 2 */
    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0x11ff0, 0x20, true),
                    ==, 0x20);
    g_assert_cmphex(address_space_ldl_le_cached(&c, 0, ATTRS, NULL), ==, 0);
    g_assert_false(memory_region_get_dirty(big, 0, 0x3000, mig));
    address_space_stl_le_cached(&c, 0x14, 1, ATTRS, NULL);
    g_assert_false(memory_region_get_dirty(big, 0x1000, 0x1000, mig));
    g_assert_true(memory_region_get_dirty(big, 0x2000, 0x1000, mig));
    g_assert_cmpuint(address_space_write_cached(&c, 0, "ab", 2), ==, MEMTX_OK);
    g_assert_true(memory_region_get_dirty(big, 0x1000, 0x1000, mig));
    g_assert_false(memory_region_get_dirty(big, 0, 0x1000, mig));
    address_space_cache_destroy(&c);
    g_assert_true(memory_region_del_subregion(&m->sys, big, NULL));
    machine_free(m);
    memory_region_finalize(big);
    drain_call_rcu();
    g_free(big);
}

static void test_survives_topology_change(void)
{
    Machine *m = machine_new();
    OwnedRam *d;
    MemoryRegionCache c;
    int released = 0;
    uint8_t buf[4];

    d = owned_ram_new(&m->sys, 0x8000, 0x1000, &released);
    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0x8010, 0x20, true),
                    ==, 0x20);
    address_space_stl_le_cached(&c, 0, 0xcafef00d, ATTRS, NULL);

    g_assert_true(memory_region_del_subregion(&m->sys, &d->ram, NULL));
    memory_owner_unref(&d->owner);
    drain_call_rcu();
    /* the address is a hole now... */
    g_assert_cmpuint(address_space_ldl_le(&m->as, 0x8010, ATTRS, NULL), ==, 0);
    /* ...but the cache still reaches the old memory, kept alive */
    g_assert_false(owned_ram_released(&released));
    g_assert_cmphex(address_space_ldl_le_cached(&c, 0, ATTRS, NULL), ==,
                    0xcafef00d);
    address_space_stl_le_cached(&c, 4, 0x12345678, ATTRS, NULL);
    g_assert_cmpuint(address_space_read_cached(&c, 4, buf, 4), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 4, "\x78\x56\x34\x12", 4);
    address_space_cache_destroy(&c);
    drain_call_rcu();
    g_assert_true(owned_ram_released(&released));
    machine_free(m);
}

static void test_mmio_slow_path(void)
{
    Machine *m = machine_new();
    MemoryRegionCache c;
    MemTxResult r = MEMTX_ERROR;
    uint8_t buf[4];

    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0x1010, 0x10, true),
                    ==, 0x10);
    g_assert_cmphex(address_space_ldl_le_cached(&c, 4, ATTRS, &r), ==,
                    0x97969594);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    g_assert_cmpstr(m->dev.log->str, ==, "r4@20 ");
    address_space_stw_be_cached(&c, 8, 0x1234, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    g_assert_cmpstr(m->dev.log->str, ==, "r4@20 w2@24=3412 ");
    g_string_truncate(m->dev.log, 0);
    g_assert_cmpuint(address_space_read_cached(&c, 8, buf, 4), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 4, "\x12\x34\x9a\x9b", 4);
    g_assert_cmpstr(m->dev.log->str, ==, "r4@24 ");
    /* the slow path follows the current topology */
    memory_region_set_enabled(&m->io, false);
    g_assert_cmpuint(address_space_ldub_cached(&c, 0, ATTRS, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    memory_region_set_enabled(&m->io, true);
    address_space_cache_destroy(&c);
    machine_free(m);
}

static void test_mixed_range_slow_path(void)
{
    Machine *m = machine_new();
    uint8_t *ram = ram_of(&m->ram);
    MemoryRegionCache c;
    uint8_t buf[8];

    memcpy(ram + 0xffc, "\x01\x02\x03\x04", 4);
    /* RAM then MMIO: not one direct run, so every access goes slow */
    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0xff8, 0x10, false),
                    ==, 0x10);
    g_assert_cmpuint(address_space_read_cached(&c, 4, buf, 8), ==, MEMTX_OK);
    g_assert_cmpmem(buf, 8, "\x01\x02\x03\x04\x80\x81\x82\x83", 8);
    g_assert_cmpstr(m->dev.log->str, ==, "r4@0 ");
    /* a write through a read cache goes through the AddressSpace */
    g_assert_cmpuint(address_space_write_cached(&c, 0, "zz", 2), ==, MEMTX_OK);
    g_assert_cmpmem(ram + 0xff8, 2, "zz", 2);
    address_space_cache_destroy(&c);
    machine_free(m);
}

static void test_rom(void)
{
    Machine *m = machine_new();
    uint8_t *rom = ram_of(&m->rom);
    MemoryRegionCache c;
    MemTxResult r;

    memset(rom, 0x5c, 0x100);
    /* read cache: direct reads, writes refused like address_space_write */
    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0x2000, 0x10, false),
                    ==, 0x10);
    g_assert_cmpuint(address_space_ldub_cached(&c, 3, ATTRS, &r), ==, 0x5c);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    address_space_stb_cached(&c, 3, 0x01, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(rom[3], ==, 0x5c);
    address_space_cache_destroy(&c);
    /* write cache over ROM: slow path for both directions */
    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0x2000, 0x10, true),
                    ==, 0x10);
    g_assert_cmpuint(address_space_write_cached(&c, 0, "x", 1), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpuint(rom[0], ==, 0x5c);
    g_assert_cmpuint(address_space_lduw_le_cached(&c, 0, ATTRS, &r), ==,
                     0x5c5c);
    address_space_cache_destroy(&c);
    machine_free(m);
}

static void test_out_of_range(void)
{
    Machine *m = machine_new();
    uint8_t *ram = ram_of(&m->ram);
    MemoryRegionCache c, io;
    MemTxResult r = MEMTX_OK;
    uint8_t buf[16];

    memset(ram, 0x33, 0x40);
    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0x10, 0x10, true), ==,
                    0x10);
    g_assert_cmpuint(address_space_ldl_le_cached(&c, 0xe, ATTRS, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    r = MEMTX_OK;
    g_assert_cmpuint(address_space_ldub_cached(&c, 0x10, ATTRS, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    r = MEMTX_OK;
    g_assert_cmpuint(address_space_ldq_le_cached(&c, UINT64_MAX, ATTRS, &r), ==,
                     0);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    r = MEMTX_OK;
    address_space_stq_le_cached(&c, 0xc, UINT64_MAX, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    memset(buf, 0xff, sizeof(buf));
    g_assert_cmpuint(address_space_read_cached(&c, 8, buf, 16), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpmem(buf, 16, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    g_assert_cmpuint(address_space_write_cached(&c, 1, buf, 16), ==,
                     MEMTX_DECODE_ERROR);
    /* nothing was written, inside or outside the range */
    for (unsigned i = 0; i < 0x40; i++) {
        g_assert_cmpuint(ram[i], ==, 0x33);
    }
    /* the last bytes are in range */
    address_space_stl_le_cached(&c, 0xc, 0, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    address_space_cache_destroy(&c);

    /* out of range on the slow path: no callback */
    g_assert_cmpint(address_space_cache_init(&io, &m->as, 0x1000, 4, false), ==,
                    4);
    g_assert_cmpuint(address_space_ldq_le_cached(&io, 0, ATTRS, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    address_space_stl_le_cached(&io, 2, 0, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmpstr(m->dev.log->str, ==, "");
    address_space_cache_destroy(&io);
    machine_free(m);
}

static void test_init_refused(void)
{
    Machine *m = machine_new();
    MemoryRegionCache c;
    MemTxResult r = MEMTX_OK;
    uint8_t b = 0x77;

    g_assert_cmpint(address_space_cache_init(&c, &m->as, 0, 0, false), <, 0);
    g_assert_cmpint(
        address_space_cache_init(&c, &m->as, UINT64_MAX - 3, 5, false), <, 0);
    g_assert_cmpint(address_space_cache_init(&c, NULL, 0, 4, false), <, 0);
    g_assert_cmpint(address_space_cache_init(NULL, &m->as, 0, 4, false), <, 0);
    /* a refused init leaves an empty cache */
    g_assert_cmpuint(address_space_ldub_cached(&c, 0, ATTRS, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(address_space_read_cached(&c, 0, &b, 0), ==,
                     MEMTX_DECODE_ERROR);
    address_space_cache_destroy(&c);
    address_space_cache_init_empty(&c);
    g_assert_cmpuint(address_space_write_cached(&c, 0, &b, 1), ==,
                     MEMTX_DECODE_ERROR);
    address_space_cache_destroy(&c);
    /* a range that ends exactly at the top of the space is accepted */
    g_assert_cmpint(
        address_space_cache_init(&c, &m->as, UINT64_MAX - 3, 4, false), ==, 4);
    g_assert_cmpuint(address_space_ldl_le_cached(&c, 0, ATTRS, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR); /* a hole */
    address_space_cache_destroy(&c);
    machine_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cache/ram/fast-path", test_ram_fast_path);
    g_test_add_func("/cache/ram/target-order-at-init", test_target_order);
    g_test_add_func("/cache/ram/writes-mark-dirty", test_writes_mark_dirty);
    g_test_add_func("/cache/lifetime/survives-topology-change",
                    test_survives_topology_change);
    g_test_add_func("/cache/mmio/slow-path", test_mmio_slow_path);
    g_test_add_func("/cache/mixed/slow-path", test_mixed_range_slow_path);
    g_test_add_func("/cache/rom/writes-refused", test_rom);
    g_test_add_func("/cache/range/out-of-range-decode-error",
                    test_out_of_range);
    g_test_add_func("/cache/init/refused-leaves-empty", test_init_refused);
    return g_test_run();
}
