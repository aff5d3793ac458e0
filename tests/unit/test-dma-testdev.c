/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of dma-testdev (hw-test-devices/dma-testdev.c): copies through
 * the AddressSpace, its registers, and the re-entrancy guard (a copy into
 * its own registers, two devices commanding each other).
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "board-json.h"
#include "dma-testdev.h"
#include "machine.h"

#define ATTRS MEMTXATTRS_UNSPECIFIED
#define DEV_A 0x100000u
#define DEV_B 0x101000u

/* 1 MiB of RAM at 0 and two dma-testdevs right after it. */
static const char board[] =
    "{\"regions\": ["
    " {\"name\": \"sys\", \"kind\": \"container\", \"size\": "
    "\"0x10000000000000000\"},"
    " {\"name\": \"ram\", \"kind\": \"ram\", \"size\": \"1M\", "
    "\"parent\": \"sys\"}],"
    " \"devices\": ["
    " {\"name\": \"a\", \"type\": \"dma-testdev\", \"parent\": \"sys\", "
    "\"addr\": \"0x100000\"},"
    " {\"name\": \"b\", \"type\": \"dma-testdev\", \"parent\": \"sys\", "
    "\"addr\": \"0x101000\"}],"
    " \"address_spaces\": [{\"name\": \"memory\", \"root\": \"sys\"}]}";

typedef struct Fixture {
    Machine *m;
    AddressSpace *as;
    uint8_t *ram;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    (void)data;
    f->m = board_json_load_data(board, strlen(board), &err);
    g_assert_no_error(err);
    f->as = machine_address_space(f->m, NULL);
    f->ram = memory_region_get_ram_ptr(machine_region(f->m, "ram"));
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    machine_free(f->m);
}

static uint32_t rd(Fixture *f, hwaddr dev, hwaddr reg)
{
    MemTxResult r;
    uint32_t v = address_space_ldl_le(f->as, dev + reg, ATTRS, &r);

    g_assert_cmpuint(r, ==, MEMTX_OK);
    return v;
}

static void wr(Fixture *f, hwaddr dev, hwaddr reg, uint32_t v)
{
    MemTxResult r;

    address_space_stl_le(f->as, dev + reg, v, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
}

/* Program and start a copy on the device at @dev; return STATUS. */
static uint32_t copy(Fixture *f, hwaddr dev, uint64_t src, uint64_t dst,
                     uint32_t len)
{
    MemTxResult r;

    address_space_stq_le(f->as, dev + DMA_TESTDEV_REG_SRC_LO, src, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    address_space_stq_le(f->as, dev + DMA_TESTDEV_REG_DST_LO, dst, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    wr(f, dev, DMA_TESTDEV_REG_LEN, len);
    wr(f, dev, DMA_TESTDEV_REG_CMD, DMA_TESTDEV_CMD_COPY);
    return rd(f, dev, DMA_TESTDEV_REG_STATUS);
}

static void test_copy_ram(Fixture *f, gconstpointer data)
{
    const uint32_t len = 3 * DMA_TESTDEV_CHUNK + 123; /* several chunks */

    (void)data;
    for (uint32_t i = 0; i < len; i++) {
        f->ram[0x1000 + i] = (uint8_t)(i * 7 + 1);
    }
    g_assert_cmpuint(copy(f, DEV_A, 0x1000, 0x40001, len), ==, MEMTX_OK);
    g_assert_cmpuint(rd(f, DEV_A, DMA_TESTDEV_REG_DONE), ==, len);
    g_assert_cmpmem(f->ram + 0x40001, len, f->ram + 0x1000, len);
    g_assert_cmpuint(f->ram[0x40001 + len], ==, 0);
    g_assert_cmpuint(
        dma_testdev_copies(machine_device(f->m, "a", "dma-testdev")), ==, 1);
}

/* Overlapping source and destination copy chunk by chunk, forwards. */
static void test_copy_overlapping(Fixture *f, gconstpointer data)
{
    (void)data;
    memset(f->ram, 0, 16);
    f->ram[0] = 0xab;
    g_assert_cmpuint(copy(f, DEV_A, 0, 1, 8), ==, MEMTX_OK);
    /* within one chunk the whole source is read first */
    g_assert_cmpuint(f->ram[1], ==, 0xab);
    g_assert_cmpuint(f->ram[2], ==, 0);
}

static void test_copy_zero_and_too_long(Fixture *f, gconstpointer data)
{
    (void)data;
    g_assert_cmpuint(copy(f, DEV_A, 0x1000, 0x2000, 0), ==, MEMTX_OK);
    g_assert_cmpuint(rd(f, DEV_A, DMA_TESTDEV_REG_DONE), ==, 0);
    f->ram[0x1000] = 0x55;
    g_assert_cmpuint(copy(f, DEV_A, 0x1000, 0x2000, DMA_TESTDEV_MAX_LEN + 1),
                     ==, MEMTX_ERROR);
    g_assert_cmpuint(rd(f, DEV_A, DMA_TESTDEV_REG_DONE), ==, 0);
    g_assert_cmpuint(f->ram[0x2000], ==, 0);
}

/* A source in a hole reads zeros; the error is reported, the copy done. */
static void test_copy_hole(Fixture *f, gconstpointer data)
{
    (void)data;
    memset(f->ram + 0x3000, 0xee, 16);
    g_assert_cmpuint(copy(f, DEV_A, 0x200000, 0x3000, 16), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpuint(rd(f, DEV_A, DMA_TESTDEV_REG_DONE), ==, 16);
    for (int i = 0; i < 16; i++) {
        g_assert_cmpuint(f->ram[0x3000 + i], ==, 0);
    }
}

/* Bytes past 2^64 are a hole, never a wrap to address 0. */
static void test_copy_top_of_space(Fixture *f, gconstpointer data)
{
    (void)data;
    memset(f->ram, 0x77, 64);
    g_assert_cmpuint(copy(f, DEV_A, 0x1000, UINT64_MAX - 3, 16), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpuint(rd(f, DEV_A, DMA_TESTDEV_REG_DONE), ==, 4);
    g_assert_cmpuint(f->ram[0], ==, 0x77);
}

static void test_registers(Fixture *f, gconstpointer data)
{
    MemTxResult r;
    uint64_t q;

    (void)data;
    address_space_stq_le(f->as, DEV_A + DMA_TESTDEV_REG_SRC_LO,
                         0x1122334455667788ull, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    g_assert_cmphex(rd(f, DEV_A, DMA_TESTDEV_REG_SRC_LO), ==, 0x55667788);
    g_assert_cmphex(rd(f, DEV_A, DMA_TESTDEV_REG_SRC_HI), ==, 0x11223344);
    wr(f, DEV_A, DMA_TESTDEV_REG_DST_HI, 0xabcd);
    wr(f, DEV_A, DMA_TESTDEV_REG_DST_LO, 0x1234);
    q = address_space_ldq_le(f->as, DEV_A + DMA_TESTDEV_REG_DST_LO, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    g_assert_cmphex(q, ==, 0xabcd00001234ull);
    wr(f, DEV_A, DMA_TESTDEV_REG_LEN, 77);
    g_assert_cmpuint(rd(f, DEV_A, DMA_TESTDEV_REG_LEN), ==, 77);
    g_assert_cmpuint(rd(f, DEV_A, DMA_TESTDEV_REG_CMD), ==, 0);
    /* other CMD values do nothing */
    wr(f, DEV_A, DMA_TESTDEV_REG_CMD, 2);
    g_assert_cmpuint(
        dma_testdev_copies(machine_device(f->m, "a", "dma-testdev")), ==, 0);
    /* outside the registers: reads 0, writes ignored */
    wr(f, DEV_A, 0x800, 0xffffffff);
    g_assert_cmpuint(rd(f, DEV_A, 0x800), ==, 0);
    /* 32-bit registers: byte accesses are refused by the bus */
    address_space_ldub(f->as, DEV_A, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
}

static void test_status_clears(Fixture *f, gconstpointer data)
{
    (void)data;
    g_assert_cmpuint(copy(f, DEV_A, 0x200000, 0, 4), ==, MEMTX_DECODE_ERROR);
    wr(f, DEV_A, DMA_TESTDEV_REG_STATUS, 0);
    g_assert_cmpuint(rd(f, DEV_A, DMA_TESTDEV_REG_STATUS), ==, 0);
}

/*
 * A copy into the device's own registers would re-enter its callback: the
 * guard refuses it (MEMTX_ACCESS_ERROR) and the register is untouched.
 */
static void test_guard_own_registers(Fixture *f, gconstpointer data)
{
    (void)data;
    memset(f->ram + 0x1000, 0x11, 16);
    g_assert_cmpuint(copy(f, DEV_A, 0x1000, DEV_A + DMA_TESTDEV_REG_LEN, 4), ==,
                     MEMTX_ACCESS_ERROR);
    g_assert_cmpuint(rd(f, DEV_A, DMA_TESTDEV_REG_LEN), ==, 4);
    /* reading its own registers as the source is refused the same way */
    g_assert_cmpuint(copy(f, DEV_A, DEV_A, 0x1000, 8), ==, MEMTX_ACCESS_ERROR);
    /* ... and so is a command that would start itself again */
    *(uint32_t *)(f->ram + 0x1000) = GUINT32_TO_LE(DMA_TESTDEV_CMD_COPY);
    g_assert_cmpuint(copy(f, DEV_A, 0x1000, DEV_A + DMA_TESTDEV_REG_CMD, 4), ==,
                     MEMTX_ACCESS_ERROR);
    g_assert_cmpuint(
        dma_testdev_copies(machine_device(f->m, "a", "dma-testdev")), ==, 3);
}

/*
 * Two devices commanding each other: A's copy starts B, whose copy would
 * start A again inside A's callback. The guard stops the loop at once.
 */
static void test_guard_loop(Fixture *f, gconstpointer data)
{
    (void)data;
    *(uint32_t *)(f->ram + 0x1000) = GUINT32_TO_LE(DMA_TESTDEV_CMD_COPY);
    /* B: copy the command word to A's CMD register (programmed, idle) */
    address_space_stq_le(f->as, DEV_B + DMA_TESTDEV_REG_SRC_LO, 0x1000, ATTRS,
                         NULL);
    address_space_stq_le(f->as, DEV_B + DMA_TESTDEV_REG_DST_LO,
                         DEV_A + DMA_TESTDEV_REG_CMD, ATTRS, NULL);
    wr(f, DEV_B, DMA_TESTDEV_REG_LEN, 4);
    /* A: copy the command word to B's CMD register */
    g_assert_cmpuint(copy(f, DEV_A, 0x1000, DEV_B + DMA_TESTDEV_REG_CMD, 4), ==,
                     MEMTX_OK);
    g_assert_cmpuint(rd(f, DEV_B, DMA_TESTDEV_REG_STATUS), ==,
                     MEMTX_ACCESS_ERROR);
    g_assert_cmpuint(
        dma_testdev_copies(machine_device(f->m, "a", "dma-testdev")), ==, 1);
    g_assert_cmpuint(
        dma_testdev_copies(machine_device(f->m, "b", "dma-testdev")), ==, 1);
}

static void test_no_address_space(Fixture *f, gconstpointer data)
{
    DmaTestDev *a = machine_device(f->m, "a", "dma-testdev");

    (void)data;
    dma_testdev_set_address_space(a, NULL);
    g_assert_cmpuint(copy(f, DEV_A, 0x1000, 0x2000, 4), ==, MEMTX_DECODE_ERROR);
    dma_testdev_set_address_space(a, f->as);
}

typedef struct Worker {
    Fixture *f;
    hwaddr dev;
    hwaddr src;
    hwaddr dst;
    unsigned errors;
} Worker;

static gpointer worker_main(gpointer opaque)
{
    Worker *w = opaque;

    rcu_register_thread();
    for (int i = 0; i < 200; i++) {
        w->f->ram[w->src] = (uint8_t)i;
        if (copy(w->f, w->dev, w->src, w->dst, 64) != MEMTX_OK ||
            w->f->ram[w->dst] != (uint8_t)i) {
            w->errors++;
        }
    }
    rcu_unregister_thread();
    return NULL;
}

/* Two threads, one device each, copying at once (TSan coverage). */
static void test_threads(Fixture *f, gconstpointer data)
{
    Worker w[2] = {
        {f, DEV_A, 0x10000, 0x20000, 0},
        {f, DEV_B, 0x30000, 0x40000, 0},
    };
    GThread *t[2];

    (void)data;
    for (int i = 0; i < 2; i++) {
        t[i] = g_thread_new("dma", worker_main, &w[i]);
    }
    for (int i = 0; i < 2; i++) {
        g_thread_join(t[i]);
        g_assert_cmpuint(w[i].errors, ==, 0);
    }
}

/* Every register comes back from a saved state (read in place); a state
 * read from corrupt data (a byte short) sets them all to 0, as GLib reads
 * such a value. */
static void test_state_round_trip(Fixture *f, gconstpointer data)
{
    DmaTestDev *dev = machine_device(f->m, "a", "dma-testdev");
    g_autoptr(GVariant) saved = NULL;
    g_autoptr(GVariant) bad = NULL;
    g_autoptr(GVariant) other = g_variant_ref_sink(g_variant_new_uint32(0));
    static const hwaddr regs[] = {
        DMA_TESTDEV_REG_SRC_LO, DMA_TESTDEV_REG_SRC_HI, DMA_TESTDEV_REG_DST_LO,
        DMA_TESTDEV_REG_DST_HI, DMA_TESTDEV_REG_LEN,    DMA_TESTDEV_REG_STATUS,
        DMA_TESTDEV_REG_DONE};
    uint32_t want[G_N_ELEMENTS(regs)];
    GError *err = NULL;

    (void)data;
    g_assert_nonnull(dev);
    (void)copy(f, DEV_A, 0x1000, 0x2000, 0x10); /* STATUS and DONE set */
    wr(f, DEV_A, DMA_TESTDEV_REG_SRC_LO, 0x55667788);
    wr(f, DEV_A, DMA_TESTDEV_REG_SRC_HI, 0x11223344);
    wr(f, DEV_A, DMA_TESTDEV_REG_DST_LO, 0xddccbbaa);
    wr(f, DEV_A, DMA_TESTDEV_REG_DST_HI, 0x99887766);
    wr(f, DEV_A, DMA_TESTDEV_REG_LEN, 0x1234);
    for (size_t i = 0; i < G_N_ELEMENTS(regs); i++) {
        want[i] = rd(f, DEV_A, regs[i]);
    }
    g_assert_cmpuint(want[6], !=, 0); /* DONE */
    saved = g_variant_ref_sink(dma_testdev_save_state(dev));
    for (size_t i = 0; i < 5; i++) {
        wr(f, DEV_A, regs[i], 0);
    }
    (void)copy(f, DEV_A, 0x1000, 0x2000, 0x10);
    g_assert_true(dma_testdev_restore_state(dev, saved, &err));
    g_assert_no_error(err);
    for (size_t i = 0; i < G_N_ELEMENTS(regs); i++) {
        g_assert_cmphex(rd(f, DEV_A, regs[i]), ==, want[i]);
    }
    bad = g_variant_ref_sink(g_variant_new_from_data(
        G_VARIANT_TYPE(DMA_TESTDEV_STATE_TYPE), g_variant_get_data(saved),
        g_variant_get_size(saved) - 1, FALSE, NULL, NULL));
    g_assert_true(dma_testdev_restore_state(dev, bad, &err));
    g_assert_no_error(err);
    for (size_t i = 0; i < G_N_ELEMENTS(regs); i++) {
        g_assert_cmphex(rd(f, DEV_A, regs[i]), ==, 0);
    }
    g_assert_false(dma_testdev_restore_state(dev, other, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
}

#define ADD(path, fn) \
    g_test_add("/dma-testdev/" path, Fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("copy/ram-to-ram", test_copy_ram);
    ADD("copy/overlapping", test_copy_overlapping);
    ADD("copy/zero-and-too-long", test_copy_zero_and_too_long);
    ADD("copy/source-in-hole", test_copy_hole);
    ADD("copy/no-wrap-at-2^64", test_copy_top_of_space);
    ADD("registers/halves-and-unused", test_registers);
    ADD("registers/status-write-clears", test_status_clears);
    ADD("guard/own-registers", test_guard_own_registers);
    ADD("guard/loop-between-two-devices", test_guard_loop);
    ADD("no-address-space", test_no_address_space);
    ADD("state/round-trip", test_state_round_trip);
    ADD("threads/one-device-each", test_threads);
    return g_test_run();
}
