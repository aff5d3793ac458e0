/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of MMIO dispatch (memory/dispatch.c): QEMU 7.2's valid/impl
 * rules (memory_region_access_valid, access_with_adjusted_size), the one
 * deviation kept (no callback past its region's end), endianness, the
 * re-entrancy guard, the big lock and the region lock, reservations and
 * memory_access_size(). The internal functions are called directly,
 * inside read-side sections as the access path does. /dispatch/reference/
 * compares every combination of rules, sizes, offsets and byte orders with
 * the reference model of QEMU 7.2 in dispatch-reference.h, also through
 * AddressSpaces (buffer accesses and typed loads and stores).
 *
 * Every test runs three times: under /dispatch/ through the general path
 * (memory_region_dispatch_read/_write), under /dispatch/fast/ with each
 * access that qualifies for the fast path (a fast size of the ops,
 * aligned) sent to memory_region_load_fast/_store_fast instead, and under
 * /dispatch/inline/ with each access the typed loads' inline MMIO path
 * would take (a fast size, aligned, depth 0, no lock) sent to
 * memory_region_mmio_load_inline/_store_inline, the rest to the fast path:
 * the same tables must hold for all three. Devices take the big lock in
 * the first two runs and clear global locking in the third (the inline
 * path serves lock-free regions only).
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "../../memory/memory-internal.h"
#include "dispatch-reference.h"
#include "testdev.h"

#define OK  MEMTX_OK
#define DEC MEMTX_DECODE_ERROR
#define ACC MEMTX_ACCESS_ERROR
#define F   false
#define T   true

/* Set while a /dispatch/fast/ test runs; accesses that took the fast path. */
static bool use_fast;
static unsigned fast_taken;
/* Set while a /dispatch/inline/ test runs (with use_fast); accesses that
 * took the inline path. */
static bool use_inline;
static unsigned inline_taken;

/* What the inline typed path checks before it calls the device itself;
 * *@piece: the callbacks' size. */
static bool takes_inline(MemoryRegion *mr, hwaddr offset, unsigned size,
                         unsigned *piece)
{
    if (!use_inline || size == 0 || size > 8 || (size & (size - 1)) ||
        (offset & (size - 1)) ||
        !(memory_region_ops_fast_sizes(mr->priv.ops) & size) ||
        !memory_region_mmio_inline_ok(mr, offset, size)) {
        return false;
    }
    *piece = MIN(size, memory_region_ops_piece_size(mr->priv.ops));
    __atomic_add_fetch(&inline_taken, 1, __ATOMIC_RELAXED);
    return true;
}

/* What the access path checks before it takes the fast path. */
static bool takes_fast(MemoryRegion *mr, hwaddr offset, unsigned size)
{
    /* the access path asks only for sizes 1, 2, 4 and 8 */
    if (!use_fast || size == 0 || size > 8 || (size & (size - 1)) ||
        (offset & (size - 1)) ||
        !(memory_region_ops_fast_sizes(mr->priv.ops) & size)) {
        return false;
    }
    __atomic_add_fetch(&fast_taken, 1, __ATOMIC_RELAXED);
    return true;
}

/*
 * The byte order a value exchanged in order @big_endian is passed with:
 * DEVICE_NATIVE_ENDIAN when it is the target's, so the tables cover the
 * resolution of all three orders.
 */
static enum device_endian order_of(bool big_endian, bool target_be)
{
    if (big_endian == target_be) {
        return DEVICE_NATIVE_ENDIAN;
    }
    return big_endian ? DEVICE_BIG_ENDIAN : DEVICE_LITTLE_ENDIAN;
}

static MemTxResult rd_attrs(MemoryRegion *mr, hwaddr offset, unsigned size,
                            uint64_t *value, bool big_endian, bool target_be,
                            MemTxAttrs attrs)
{
    enum device_endian order = order_of(big_endian, target_be);
    MemTxResult r;
    unsigned piece;

    RCU_READ_LOCK_GUARD();
    if (takes_inline(mr, offset, size, &piece)) {
        *value = memory_region_mmio_load_inline(mr, offset, size, piece, order,
                                                &target_be, attrs, &r);
        return r;
    }
    if (takes_fast(mr, offset, size)) {
        *value = memory_region_load_fast(mr, offset, size, order, target_be,
                                         attrs, &r);
        return r;
    }
    return memory_region_dispatch_read(mr, offset, value, size, order,
                                       target_be, attrs);
}

static MemTxResult wr_attrs(MemoryRegion *mr, hwaddr offset, unsigned size,
                            uint64_t value, bool big_endian, bool target_be,
                            MemTxAttrs attrs)
{
    enum device_endian order = order_of(big_endian, target_be);
    unsigned piece;

    RCU_READ_LOCK_GUARD();
    if (takes_inline(mr, offset, size, &piece)) {
        return memory_region_mmio_store_inline(mr, offset, size, piece, value,
                                               order, &target_be, attrs);
    }
    if (takes_fast(mr, offset, size)) {
        return memory_region_store_fast(mr, offset, value, size, order,
                                        target_be, attrs);
    }
    return memory_region_dispatch_write(mr, offset, value, size, order,
                                        target_be, attrs);
}

/* Little-endian exchange, little-endian target, unspecified attrs. */
static MemTxResult rd(MemoryRegion *mr, hwaddr offset, unsigned size,
                      uint64_t *value)
{
    return rd_attrs(mr, offset, size, value, false, false,
                    MEMTXATTRS_UNSPECIFIED);
}

static MemTxResult wr(MemoryRegion *mr, hwaddr offset, unsigned size,
                      uint64_t value)
{
    return wr_attrs(mr, offset, size, value, false, false,
                    MEMTXATTRS_UNSPECIFIED);
}

static bool valid(MemoryRegion *mr, hwaddr offset, unsigned size, bool is_write)
{
    RCU_READ_LOCK_GUARD();
    return memory_region_access_valid(mr, offset, size, is_write,
                                      MEMTXATTRS_UNSPECIFIED);
}

static TestDev *dev_new(const TestDevConfig *config)
{
    GError *err = NULL;
    TestDevConfig cfg = *config;
    TestDev *dev;

    /* the inline path serves lock-free regions only */
    cfg.no_global_locking |= use_inline;
    dev = testdev_new("testdev", &cfg, &err);

    g_assert_no_error(err);
    g_assert_nonnull(dev);
    return dev;
}

/* Every test ends its devices here: the invariant held for all callbacks. */
static void dev_done(TestDev *dev)
{
    g_assert_cmpuint(testdev_violations(dev), ==, 0);
    testdev_unref(dev);
}

static void assert_log(TestDev *dev, const char *expected)
{
    char *log = testdev_log_format(dev);

    g_assert_cmpstr(log, ==, expected);
    g_free(log);
}

/* The log with values: "w2@0x0=0x1122 ...". */
static char *log_with_values(TestDev *dev)
{
    GString *s = g_string_new("");

    for (guint i = 0; i < testdev_log_len(dev); i++) {
        TestDevAccess a = testdev_log_get(dev, i);

        g_string_append_printf(s, "%s%c%u@0x%" PRIx64 "=0x%" PRIx64,
                               i ? " " : "", a.is_write ? 'w' : 'r', a.size,
                               a.offset, a.value);
    }
    return g_string_free(s, FALSE);
}

static char *hex_bytes(const uint8_t *b, size_t n)
{
    GString *s = g_string_new("");

    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(s, "%s%02x", i ? " " : "", b[i]);
    }
    return g_string_free(s, FALSE);
}

/* --- (1) the valid/impl matrix ------------------------------------------ */

/*
 * One access on a 16-byte little-endian testdev, with the callbacks it
 * must cause ("r4@0x4" = a 4-byte read callback at offset 4) and the
 * result. Each row names the QEMU 7.2 rule it shows; the values are
 * checked against the reference model by /dispatch/reference/.
 */
typedef struct MatrixRow {
    unsigned vmin, vmax;
    bool vunal;
    unsigned imin, imax;
    bool iunal;
    char op;
    unsigned size;
    hwaddr offset;
    MemTxResult result;
    const char *calls;
} MatrixRow;

static const MatrixRow matrix[] = {
    /* QEMU defaults: valid max 0 accepts every size; impl 1..4 splits */
    {0, 0, F, 0, 0, F, 'r', 1, 0, OK, "r1@0x0"},
    {0, 0, F, 0, 0, F, 'r', 2, 6, OK, "r2@0x6"},
    {0, 0, F, 0, 0, F, 'r', 4, 12, OK, "r4@0xc"},
    {0, 0, F, 0, 0, F, 'r', 8, 8, OK, "r4@0x8 r4@0xc"},
    {0, 0, F, 0, 0, F, 'w', 8, 0, OK, "w4@0x0 w4@0x4"},
    {0, 0, F, 0, 0, F, 'r', 2, 1, DEC, ""},
    {0, 0, F, 0, 0, F, 'w', 4, 2, DEC, ""},
    {0, 0, F, 0, 0, F, 'r', 8, 4, DEC, ""},
    /* valid size range */
    {1, 4, F, 0, 0, F, 'r', 8, 0, DEC, ""},
    {1, 2, F, 0, 0, F, 'r', 4, 0, DEC, ""},
    {4, 4, F, 0, 0, F, 'r', 1, 4, DEC, ""},
    {4, 4, F, 0, 0, F, 'w', 2, 4, DEC, ""},
    {4, 4, F, 0, 0, F, 'r', 4, 4, OK, "r4@0x4"},
    {2, 0, F, 0, 0, F, 'r', 1, 3, OK, "r1@0x3"}, /* max 0: min not checked */
    {1, 8, F, 0, 0, F, 'r', 2, 2, OK, "r2@0x2"},
    /* access_with_adjusted_size(): pieces of MIN(size, impl.max) at
     * offset + i */
    {1, 8, F, 1, 8, F, 'r', 8, 8, OK, "r8@0x8"},
    {1, 8, F, 1, 2, F, 'r', 8, 0, OK, "r2@0x0 r2@0x2 r2@0x4 r2@0x6"},
    {1, 4, F, 1, 1, F, 'w', 4, 4, OK, "w1@0x4 w1@0x5 w1@0x6 w1@0x7"},
    {1, 4, F, 1, 3, F, 'r', 4, 0, OK, "r3@0x0 r3@0x3"}, /* 3 is used as is */
    {1, 8, F, 1, 16, F, 'r', 8, 0, OK, "r8@0x0"},
    /* ... and MAX(that, impl.min): one callback at the access's own,
     * possibly unaligned, offset; a write is never preceded by a read */
    {1, 4, F, 4, 4, F, 'r', 1, 5, OK, "r4@0x5"},
    {1, 4, F, 4, 4, F, 'r', 2, 6, OK, "r4@0x6"},
    {1, 4, F, 4, 4, F, 'w', 1, 5, OK, "w4@0x5"},
    {1, 4, F, 4, 4, F, 'w', 2, 2, OK, "w4@0x2"},
    {1, 4, F, 2, 4, F, 'r', 1, 3, OK, "r2@0x3"},
    {1, 8, F, 8, 8, F, 'r', 2, 6, OK, "r8@0x6"},
    {1, 8, F, 8, 8, F, 'w', 4, 4, OK, "w8@0x4"},
    {1, 8, F, 8, 0, F, 'r', 4, 0, OK, "r8@0x0"}, /* MAX(MIN(4, 4), 8) */
    {1, 8, F, 8, 0, F, 'r', 8, 8, OK, "r8@0x8"},
    {1, 4, F, 3, 0, F, 'r', 1, 1, OK, "r3@0x1"},
    /* an empty impl range: impl.min wins (QEMU's MAX after MIN) */
    {1, 8, F, 4, 2, F, 'r', 4, 0, OK, "r4@0x0"},
    {1, 8, F, 4, 2, F, 'w', 8, 8, OK, "w4@0x8 w4@0xc"},
    {1, 8, F, 4, 2, F, 'r', 1, 1, OK, "r4@0x1"},
    /* impl.min above 8: QEMU's mask is undefined; refused (ours) */
    {1, 4, F, 16, 0, F, 'r', 4, 0, DEC, ""},
    /* valid.unaligned: the unaligned offset reaches the callbacks, whatever
     * impl.unaligned says (QEMU 7.2 reads that only in
     * memory_access_size()) */
    {1, 4, T, 1, 4, F, 'r', 4, 1, OK, "r4@0x1"},
    {1, 4, T, 1, 4, F, 'w', 2, 1, OK, "w2@0x1"},
    {1, 4, T, 1, 4, F, 'r', 4, 2, OK, "r4@0x2"},
    {1, 4, T, 1, 4, F, 'r', 2, 3, OK, "r2@0x3"},
    {1, 8, T, 1, 4, F, 'r', 8, 1, OK, "r4@0x1 r4@0x5"},
    {1, 8, T, 1, 8, F, 'w', 8, 4, OK, "w8@0x4"},
    {1, 4, T, 4, 4, F, 'r', 4, 2, OK, "r4@0x2"},
    {1, 4, T, 4, 4, F, 'w', 4, 2, OK, "w4@0x2"},
    {1, 4, T, 2, 4, F, 'r', 1, 1, OK, "r2@0x1"},
    {1, 4, T, 1, 2, F, 'w', 4, 1, OK, "w2@0x1 w2@0x3"},
    {1, 4, T, 1, 4, T, 'r', 4, 1, OK, "r4@0x1"},
    {1, 4, T, 1, 4, T, 'w', 2, 3, OK, "w2@0x3"},
    {1, 8, T, 1, 4, T, 'r', 8, 1, OK, "r4@0x1 r4@0x5"},
    {1, 4, T, 4, 4, T, 'r', 1, 3, OK, "r4@0x3"},
    /* valid.unaligned decides acceptance, whatever impl says */
    {1, 4, F, 1, 4, T, 'r', 4, 1, DEC, ""},
};

static TestDevConfig row_config(const MatrixRow *row, uint64_t size)
{
    return (TestDevConfig){
        .size = size,
        .endianness = DEVICE_LITTLE_ENDIAN,
        .valid_min = row->vmin,
        .valid_max = row->vmax,
        .valid_unaligned = row->vunal,
        .impl_min = row->imin,
        .impl_max = row->imax,
        .impl_unaligned = row->iunal,
    };
}

static void check_row(const MatrixRow *row, uint64_t region_size)
{
    TestDevConfig cfg = row_config(row, region_size);
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    uint64_t got = 0x5555;
    MemTxResult r;

    g_assert_cmpint(valid(mr, row->offset, row->size, row->op == 'w'), ==,
                    row->result != DEC);
    if (row->op == 'r') {
        r = rd(mr, row->offset, row->size, &got);
        if (r == DEC) {
            g_assert_cmphex(got, ==, 0);
        }
    } else {
        r = wr(mr, row->offset, row->size, 0xa8a7a6a5a4a3a2a1ull);
    }
    g_assert_cmphex(r, ==, row->result);
    assert_log(dev, row->calls);
    dev_done(dev);
}

static void test_matrix_table(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(matrix); i++) {
        g_test_message("matrix row %zu", i);
        check_row(&matrix[i], 16);
    }
    drain_call_rcu();
}

/* valid.accepts: asked first, as QEMU's memory_region_access_valid()
 * does, with the whole access, past the region's end too unless the region
 * opted in to mmio-bounds; a veto refuses without callbacks. */
static hwaddr accepts_last_offset;
static unsigned accepts_last_size;

static bool refuse_offset_8(void *opaque, hwaddr offset, unsigned size,
                            bool is_write, MemTxAttrs attrs)
{
    (void)opaque;
    (void)is_write;
    (void)attrs;
    accepts_last_offset = offset;
    accepts_last_size = size;
    return offset != 8;
}

static void test_matrix_accepts(void)
{
    TestDevConfig cfg = {
        .size = 16,
        .valid_max = 8,
        .accepts = refuse_offset_8,
    };
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    uint64_t v = 1;

    g_assert_cmphex(rd(mr, 8, 4, &v), ==, DEC);
    g_assert_cmphex(v, ==, 0);
    g_assert_cmphex(wr(mr, 8, 1, 0x55), ==, DEC);
    assert_log(dev, "");
    g_assert_cmpuint(testdev_accepts_calls(dev), ==, 2);

    g_assert_cmphex(rd(mr, 0, 8, &v), ==, OK);
    assert_log(dev, "r4@0x0 r4@0x4");
    g_assert_cmpuint(accepts_last_offset, ==, 0);
    g_assert_cmpuint(accepts_last_size, ==, 8); /* the access, not a piece */
    g_assert_cmpuint(testdev_accepts_calls(dev), ==, 3);

    /* asked before the unaligned check refuses (QEMU's order) */
    g_assert_cmphex(rd(mr, 1, 2, &v), ==, DEC);
    g_assert_cmpuint(testdev_accepts_calls(dev), ==, 4);
    g_assert_cmpuint(accepts_last_offset, ==, 1);
    /* asked about bytes past the region's end too (QEMU 7.2 does not
     * check the end), then called */
    g_assert_cmphex(rd(mr, 16, 1, &v), ==, OK);
    g_assert_cmpuint(accepts_last_offset, ==, 16);
    g_assert_cmphex(rd(mr, 8, 8, &v), ==, DEC);
    g_assert_cmpuint(testdev_accepts_calls(dev), ==, 6);
    assert_log(dev, "r4@0x0 r4@0x4 r1@0x10");
    dev_done(dev);

    /* with memory_region_enable_bounds_check(): not asked about bytes past
     * the region's end */
    cfg.bounds_check = true;
    dev = dev_new(&cfg);
    mr = testdev_region(dev);
    g_assert_cmphex(rd(mr, 16, 1, &v), ==, DEC);
    g_assert_cmphex(rd(mr, 12, 8, &v), ==, DEC);
    g_assert_cmpuint(testdev_accepts_calls(dev), ==, 0);
    assert_log(dev, "");
    dev_done(dev);
    drain_call_rcu();
}

/* Sizes the dispatcher never passes on: not 1, 2, 4 or 8. */
static void test_matrix_bad_sizes(void)
{
    TestDevConfig cfg = {.size = 16, .valid_unaligned = true};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    static const unsigned bad[] = {0, 3, 5, 6, 7, 16};
    uint64_t v = 7;

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmphex(rd(mr, 0, bad[i], &v), ==, DEC);
        g_assert_cmphex(v, ==, 0);
        g_assert_cmphex(wr(mr, 0, bad[i], 1), ==, DEC);
        g_assert_false(valid(mr, 0, bad[i], false));
    }
    assert_log(dev, "");
    dev_done(dev);
    drain_call_rcu();
}

/* --- (2) endianness ------------------------------------------------------ */

#define DLE  DEVICE_LITTLE_ENDIAN
#define DBE  DEVICE_BIG_ENDIAN
#define DNAT DEVICE_NATIVE_ENDIAN
#define TLE  false
#define TBE  true
#define XLE  false
#define XBE  true

/*
 * Device byte order x target byte order x exchange byte order x size: the
 * value written in the exchange order, the register value the callback
 * sees, and the bytes the guest sees (the register file).
 */
typedef struct EndianRow {
    enum device_endian dev;
    bool target_be;
    bool xchg_be;
    unsigned size;
    uint64_t value;
    uint64_t callback_value;
    const char *bytes;
} EndianRow;

static const EndianRow endian_rows[] = {
    {DLE, TLE, XLE, 1, 0x5a, 0x5a, "5a"},
    {DLE, TLE, XLE, 2, 0x1234, 0x1234, "34 12"},
    {DLE, TLE, XLE, 4, 0x12345678, 0x12345678, "78 56 34 12"},
    {DLE, TLE, XLE, 8, 0x0123456789abcdef, 0x0123456789abcdef,
     "ef cd ab 89 67 45 23 01"},
    {DLE, TLE, XBE, 1, 0x5a, 0x5a, "5a"},
    {DLE, TLE, XBE, 2, 0x1234, 0x3412, "12 34"},
    {DLE, TLE, XBE, 4, 0x12345678, 0x78563412, "12 34 56 78"},
    {DLE, TLE, XBE, 8, 0x0123456789abcdef, 0xefcdab8967452301,
     "01 23 45 67 89 ab cd ef"},
    {DLE, TBE, XLE, 1, 0x5a, 0x5a, "5a"},
    {DLE, TBE, XLE, 2, 0x1234, 0x1234, "34 12"},
    {DLE, TBE, XLE, 4, 0x12345678, 0x12345678, "78 56 34 12"},
    {DLE, TBE, XLE, 8, 0x0123456789abcdef, 0x0123456789abcdef,
     "ef cd ab 89 67 45 23 01"},
    {DLE, TBE, XBE, 1, 0x5a, 0x5a, "5a"},
    {DLE, TBE, XBE, 2, 0x1234, 0x3412, "12 34"},
    {DLE, TBE, XBE, 4, 0x12345678, 0x78563412, "12 34 56 78"},
    {DLE, TBE, XBE, 8, 0x0123456789abcdef, 0xefcdab8967452301,
     "01 23 45 67 89 ab cd ef"},
    {DBE, TLE, XLE, 1, 0x5a, 0x5a, "5a"},
    {DBE, TLE, XLE, 2, 0x1234, 0x3412, "34 12"},
    {DBE, TLE, XLE, 4, 0x12345678, 0x78563412, "78 56 34 12"},
    {DBE, TLE, XLE, 8, 0x0123456789abcdef, 0xefcdab8967452301,
     "ef cd ab 89 67 45 23 01"},
    {DBE, TLE, XBE, 1, 0x5a, 0x5a, "5a"},
    {DBE, TLE, XBE, 2, 0x1234, 0x1234, "12 34"},
    {DBE, TLE, XBE, 4, 0x12345678, 0x12345678, "12 34 56 78"},
    {DBE, TLE, XBE, 8, 0x0123456789abcdef, 0x0123456789abcdef,
     "01 23 45 67 89 ab cd ef"},
    {DBE, TBE, XLE, 1, 0x5a, 0x5a, "5a"},
    {DBE, TBE, XLE, 2, 0x1234, 0x3412, "34 12"},
    {DBE, TBE, XLE, 4, 0x12345678, 0x78563412, "78 56 34 12"},
    {DBE, TBE, XLE, 8, 0x0123456789abcdef, 0xefcdab8967452301,
     "ef cd ab 89 67 45 23 01"},
    {DBE, TBE, XBE, 1, 0x5a, 0x5a, "5a"},
    {DBE, TBE, XBE, 2, 0x1234, 0x1234, "12 34"},
    {DBE, TBE, XBE, 4, 0x12345678, 0x12345678, "12 34 56 78"},
    {DBE, TBE, XBE, 8, 0x0123456789abcdef, 0x0123456789abcdef,
     "01 23 45 67 89 ab cd ef"},
    {DNAT, TLE, XLE, 1, 0x5a, 0x5a, "5a"},
    {DNAT, TLE, XLE, 2, 0x1234, 0x1234, "34 12"},
    {DNAT, TLE, XLE, 4, 0x12345678, 0x12345678, "78 56 34 12"},
    {DNAT, TLE, XLE, 8, 0x0123456789abcdef, 0x0123456789abcdef,
     "ef cd ab 89 67 45 23 01"},
    {DNAT, TLE, XBE, 1, 0x5a, 0x5a, "5a"},
    {DNAT, TLE, XBE, 2, 0x1234, 0x3412, "12 34"},
    {DNAT, TLE, XBE, 4, 0x12345678, 0x78563412, "12 34 56 78"},
    {DNAT, TLE, XBE, 8, 0x0123456789abcdef, 0xefcdab8967452301,
     "01 23 45 67 89 ab cd ef"},
    {DNAT, TBE, XLE, 1, 0x5a, 0x5a, "5a"},
    {DNAT, TBE, XLE, 2, 0x1234, 0x3412, "34 12"},
    {DNAT, TBE, XLE, 4, 0x12345678, 0x78563412, "78 56 34 12"},
    {DNAT, TBE, XLE, 8, 0x0123456789abcdef, 0xefcdab8967452301,
     "ef cd ab 89 67 45 23 01"},
    {DNAT, TBE, XBE, 1, 0x5a, 0x5a, "5a"},
    {DNAT, TBE, XBE, 2, 0x1234, 0x1234, "12 34"},
    {DNAT, TBE, XBE, 4, 0x12345678, 0x12345678, "12 34 56 78"},
    {DNAT, TBE, XBE, 8, 0x0123456789abcdef, 0x0123456789abcdef,
     "01 23 45 67 89 ab cd ef"},
};

static void test_endian_table(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(endian_rows); i++) {
        const EndianRow *row = &endian_rows[i];
        TestDevConfig cfg = {
            .size = 8,
            .endianness = row->dev,
            .native_big_endian = row->target_be,
            .valid_max = 8,
            .impl_max = 8,
        };
        TestDev *dev = dev_new(&cfg);
        MemoryRegion *mr = testdev_region(dev);
        uint8_t regs[8];
        uint64_t back = 0;
        char *hex;

        g_test_message("endian row %zu", i);
        g_assert_cmphex(wr_attrs(mr, 0, row->size, row->value, row->xchg_be,
                                 row->target_be, MEMTXATTRS_UNSPECIFIED),
                        ==, OK);
        g_assert_cmpuint(testdev_log_len(dev), ==, 1);
        g_assert_cmphex(testdev_log_get(dev, 0).value, ==, row->callback_value);
        testdev_regs_read(dev, 0, regs, row->size);
        hex = hex_bytes(regs, row->size);
        g_assert_cmpstr(hex, ==, row->bytes);
        g_free(hex);

        g_assert_cmphex(rd_attrs(mr, 0, row->size, &back, row->xchg_be,
                                 row->target_be, MEMTXATTRS_UNSPECIFIED),
                        ==, OK);
        g_assert_cmphex(back, ==, row->value);
        g_assert_cmphex(testdev_log_get(dev, 1).value, ==, row->callback_value);
        dev_done(dev);
    }
    drain_call_rcu();
}

/*
 * Split and widened accesses: the callbacks, with their values, that one
 * access becomes (QEMU's access_with_adjusted_size() shifts). Big-endian
 * devices get the most significant part first. The register file starts
 * as 00 11 22 33 44 55 66 77; the testdev stores each callback's bytes.
 */
typedef struct SplitRow {
    enum device_endian dev;
    bool target_be;
    unsigned imin, imax;
    char op;
    unsigned size;
    hwaddr offset;
    bool xchg_be;
    uint64_t value; /* written, or expected from the read */
    const char *calls;
    const char *bytes; /* the register file afterwards */
} SplitRow;

static const SplitRow split_rows[] = {
    {DBE, TLE, 1, 2, 'w', 4, 0, XBE, 0xa1a2a3a4, "w2@0x0=0xa1a2 w2@0x2=0xa3a4",
     "a1 a2 a3 a4 44 55 66 77"},
    {DLE, TLE, 1, 2, 'w', 4, 0, XBE, 0xa1a2a3a4, "w2@0x0=0xa2a1 w2@0x2=0xa4a3",
     "a1 a2 a3 a4 44 55 66 77"},
    {DLE, TLE, 1, 2, 'w', 4, 0, XLE, 0xa1a2a3a4, "w2@0x0=0xa3a4 w2@0x2=0xa1a2",
     "a4 a3 a2 a1 44 55 66 77"},
    {DBE, TLE, 1, 2, 'w', 4, 4, XLE, 0xa1a2a3a4, "w2@0x4=0xa4a3 w2@0x6=0xa2a1",
     "00 11 22 33 a4 a3 a2 a1"},
    {DNAT, TBE, 1, 2, 'w', 4, 0, XLE, 0xa1a2a3a4, "w2@0x0=0xa4a3 w2@0x2=0xa2a1",
     "a4 a3 a2 a1 44 55 66 77"},
    {DBE, TLE, 1, 4, 'w', 8, 0, XBE, 0xa1a2a3a4a5a6a7a8,
     "w4@0x0=0xa1a2a3a4 w4@0x4=0xa5a6a7a8", "a1 a2 a3 a4 a5 a6 a7 a8"},
    {DLE, TLE, 1, 4, 'w', 8, 0, XLE, 0xa1a2a3a4a5a6a7a8,
     "w4@0x0=0xa5a6a7a8 w4@0x4=0xa1a2a3a4", "a8 a7 a6 a5 a4 a3 a2 a1"},
    {DBE, TLE, 1, 1, 'w', 4, 0, XLE, 0xa1a2a3a4,
     "w1@0x0=0xa4 w1@0x1=0xa3 w1@0x2=0xa2 w1@0x3=0xa1",
     "a4 a3 a2 a1 44 55 66 77"},
    {DBE, TLE, 1, 4, 'r', 8, 0, XBE, 0x0011223344556677,
     "r4@0x0=0x112233 r4@0x4=0x44556677", "00 11 22 33 44 55 66 77"},
    {DLE, TLE, 1, 4, 'r', 8, 0, XBE, 0x0011223344556677,
     "r4@0x0=0x33221100 r4@0x4=0x77665544", "00 11 22 33 44 55 66 77"},
    {DBE, TLE, 1, 2, 'r', 4, 4, XLE, 0x77665544, "r2@0x4=0x4455 r2@0x6=0x6677",
     "00 11 22 33 44 55 66 77"},
    /* widened (QEMU's shift): one callback at the access's own offset; a
     * write's value zero-extended (a big-endian device gets it in the top
     * bytes, which hold the access's bytes), so the device writes zeros
     * after the byte; no read first */
    {DBE, TLE, 4, 4, 'w', 1, 1, XLE, 0xab, "w4@0x1=0xab000000",
     "00 ab 00 00 00 55 66 77"},
    {DLE, TLE, 4, 4, 'w', 1, 1, XLE, 0xab, "w4@0x1=0xab",
     "00 ab 00 00 00 55 66 77"},
    {DLE, TLE, 4, 4, 'w', 2, 2, XBE, 0xabcd, "w4@0x2=0xcdab",
     "00 11 ab cd 00 00 66 77"},
    /* ... a read's value is the callback's value shifted and masked */
    {DBE, TLE, 4, 4, 'r', 2, 2, XBE, 0x2233, "r4@0x2=0x22334455",
     "00 11 22 33 44 55 66 77"},
    {DBE, TLE, 4, 4, 'r', 2, 2, XLE, 0x3322, "r4@0x2=0x22334455",
     "00 11 22 33 44 55 66 77"},
    {DBE, TLE, 4, 4, 'r', 1, 0, XLE, 0x00, "r4@0x0=0x112233",
     "00 11 22 33 44 55 66 77"},
    {DLE, TLE, 8, 8, 'r', 1, 0, XLE, 0x00, "r8@0x0=0x7766554433221100",
     "00 11 22 33 44 55 66 77"},
    /* ... also where the widened callback passes the region's end (QEMU
     * 7.2 does not check; the testdev ignores registers past its end) */
    {DLE, TLE, 4, 4, 'w', 2, 6, XBE, 0xabcd, "w4@0x6=0xcdab",
     "00 11 22 33 44 55 66 77"},
    {DBE, TLE, 4, 4, 'w', 1, 5, XLE, 0xab, "w4@0x5=0xab000000",
     "00 11 22 33 44 55 66 77"},
    {DLE, TLE, 8, 8, 'r', 1, 5, XLE, 0x00, "r8@0x5=0x0",
     "00 11 22 33 44 55 66 77"},
    /* an impl size that does not divide the access: QEMU's pieces overhang
     * it (zeros written past the access) */
    {DLE, TLE, 1, 3, 'w', 4, 0, XLE, 0xa1a2a3a4, "w3@0x0=0xa2a3a4 w3@0x3=0xa1",
     "a4 a3 a2 a1 00 00 66 77"},
    {DBE, TLE, 1, 3, 'w', 4, 0, XBE, 0xa1a2a3a4,
     "w3@0x0=0xa1a2a3 w3@0x3=0xa40000", "a1 a2 a3 a4 00 00 66 77"},
    {DBE, TLE, 1, 3, 'r', 4, 0, XBE, 0x00112233,
     "r3@0x0=0x1122 r3@0x3=0x334455", "00 11 22 33 44 55 66 77"},
};

/* The same widened accesses with memory_region_enable_bounds_check(): the
 * callback gets the access's own size where QEMU's would pass the end. */
static const SplitRow split_bounds_rows[] = {
    {DLE, TLE, 4, 4, 'w', 2, 6, XBE, 0xabcd, "w2@0x6=0xcdab",
     "00 11 22 33 44 55 ab cd"},
    {DBE, TLE, 4, 4, 'w', 1, 5, XLE, 0xab, "w1@0x5=0xab",
     "00 11 22 33 44 ab 66 77"},
    {DLE, TLE, 8, 8, 'r', 1, 5, XLE, 0x55, "r1@0x5=0x55",
     "00 11 22 33 44 55 66 77"},
    {DLE, TLE, 4, 4, 'w', 1, 1, XLE, 0xab, "w4@0x1=0xab",
     "00 ab 00 00 00 55 66 77"},
};

static void check_split_rows(const SplitRow *rows, size_t nr, bool bounds)
{
    static const uint8_t init[8] = {0x00, 0x11, 0x22, 0x33,
                                    0x44, 0x55, 0x66, 0x77};

    for (size_t i = 0; i < nr; i++) {
        const SplitRow *row = &rows[i];
        TestDevConfig cfg = {
            .size = 8,
            .endianness = row->dev,
            .native_big_endian = row->target_be,
            .valid_max = 8,
            .impl_min = row->imin,
            .impl_max = row->imax,
            .bounds_check = bounds,
        };
        TestDev *dev = dev_new(&cfg);
        MemoryRegion *mr = testdev_region(dev);
        uint64_t got = 0;
        uint8_t regs[8];
        char *s;

        g_test_message("split row %zu", i);
        testdev_regs_write(dev, 0, init, sizeof(init));
        if (row->op == 'w') {
            g_assert_cmphex(wr_attrs(mr, row->offset, row->size, row->value,
                                     row->xchg_be, row->target_be,
                                     MEMTXATTRS_UNSPECIFIED),
                            ==, OK);
        } else {
            g_assert_cmphex(rd_attrs(mr, row->offset, row->size, &got,
                                     row->xchg_be, row->target_be,
                                     MEMTXATTRS_UNSPECIFIED),
                            ==, OK);
            g_assert_cmphex(got, ==, row->value);
        }
        s = log_with_values(dev);
        g_assert_cmpstr(s, ==, row->calls);
        g_free(s);
        testdev_regs_read(dev, 0, regs, sizeof(regs));
        s = hex_bytes(regs, sizeof(regs));
        g_assert_cmpstr(s, ==, row->bytes);
        g_free(s);
        dev_done(dev);
    }
    drain_call_rcu();
}

static void test_endian_split(void)
{
    check_split_rows(split_rows, G_N_ELEMENTS(split_rows), false);
}

static void test_endian_split_bounds(void)
{
    check_split_rows(split_bounds_rows, G_N_ELEMENTS(split_bounds_rows), true);
}

/* Values are cut to the access size both ways. */
static uint64_t wide_read(void *opaque, hwaddr addr, unsigned size)
{
    (void)opaque;
    (void)addr;
    (void)size;
    return UINT64_MAX;
}

static const MemoryRegionOps wide_read_ops = {
    .read = wide_read,
    .endianness = DEVICE_BIG_ENDIAN,
    .impl.max_access_size = 1,
};

/* The same in the exchange order, taking every size whole: no swap or
 * split to cut the value on the way. */
static const MemoryRegionOps wide_read_le_ops = {
    .read = wide_read,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl.max_access_size = 8,
};

static void test_endian_masking(void)
{
    TestDevConfig cfg = {.size = 8, .endianness = DBE};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion wide = {0};
    uint64_t v = 0;

    g_assert_cmphex(wr(testdev_region(dev), 2, 2, 0xffffffffffff1234ull), ==,
                    OK);
    g_assert_cmphex(testdev_log_get(dev, 0).value, ==, 0x3412);
    dev_done(dev);
    cfg.endianness = DLE; /* no byte swap on the way */
    dev = dev_new(&cfg);
    g_assert_cmphex(wr(testdev_region(dev), 2, 2, 0xffffffffffff1234ull), ==,
                    OK);
    g_assert_cmphex(testdev_log_get(dev, 0).value, ==, 0x1234);
    dev_done(dev);

    g_assert_true(memory_region_init_io(&wide, NULL, &wide_read_ops, NULL,
                                        "wide", 8, NULL));
    g_assert_cmphex(rd(&wide, 0, 2, &v), ==, OK);
    g_assert_cmphex(v, ==, 0xffff);
    g_assert_cmphex(rd(&wide, 0, 1, &v), ==, OK);
    g_assert_cmphex(v, ==, 0xff);
    memory_region_finalize(&wide);
    g_assert_true(memory_region_init_io(&wide, NULL, &wide_read_le_ops, NULL,
                                        "wide-le", 8, NULL));
    for (unsigned size = 1; size < 8; size *= 2) {
        g_assert_cmphex(rd(&wide, 0, size, &v), ==, OK);
        g_assert_cmphex(v, ==, UINT64_MAX >> (64 - 8 * size));
    }
    memory_region_finalize(&wide);
    drain_call_rcu();
}

/* --- callbacks, results and attributes ----------------------------------- */

static void test_callbacks_missing(void)
{
    TestDevConfig cfg = {.size = 8, .no_read = true, .no_write = true};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    static const uint8_t ff[8] = {0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff};
    uint8_t regs[8];
    uint64_t v = 5;

    testdev_regs_write(dev, 0, ff, 8);
    g_assert_cmphex(rd(mr, 0, 4, &v), ==, OK); /* QEMU: reads 0 */
    g_assert_cmphex(v, ==, 0);
    g_assert_cmphex(wr(mr, 0, 4, 0), ==, OK); /* dropped */
    assert_log(dev, "");
    testdev_regs_read(dev, 0, regs, 8);
    g_assert_cmpmem(regs, 8, ff, 8);
    dev_done(dev);
    drain_call_rcu();
}

static void flip_write_result(TestDev *dev, const TestDevAccess *a,
                              void *opaque)
{
    (void)a;
    (void)opaque;
    testdev_set_result(dev, true, MEMTX_DECODE_ERROR);
}

static void test_callbacks_results(void)
{
    TestDevConfig cfg = {.size = 8, .valid_max = 8};
    TestDevConfig plain = {.size = 8, .plain_callbacks = true};
    TestDev *dev = dev_new(&cfg);
    TestDev *pdev = dev_new(&plain);
    MemoryRegion *mr = testdev_region(dev);
    uint64_t v;

    testdev_set_result(dev, false, MEMTX_ERROR);
    g_assert_cmphex(rd(mr, 0, 4, &v), ==, MEMTX_ERROR);
    /* results of the pieces of a split access are OR-ed */
    testdev_set_result(dev, true, MEMTX_ERROR);
    testdev_set_hook(dev, flip_write_result, NULL);
    g_assert_cmphex(wr(mr, 0, 8, 0), ==, MEMTX_ERROR | MEMTX_DECODE_ERROR);
    assert_log(dev, "r4@0x0 w4@0x0 w4@0x4");

    /* plain callbacks imply MEMTX_OK */
    testdev_set_result(pdev, false, MEMTX_ERROR);
    testdev_set_result(pdev, true, MEMTX_ERROR);
    g_assert_cmphex(rd(testdev_region(pdev), 0, 4, &v), ==, OK);
    g_assert_cmphex(wr(testdev_region(pdev), 0, 4, 0), ==, OK);
    assert_log(pdev, "r4@0x0 w4@0x0");
    dev_done(dev);
    dev_done(pdev);
    drain_call_rcu();
}

static void test_callbacks_attrs(void)
{
    TestDevConfig cfg = {.size = 8, .impl_max = 2};
    TestDev *dev = dev_new(&cfg);
    MemTxAttrs attrs = {.secure = 1, .user = 1, .requester_id = 0xbeef};
    uint64_t v;

    g_assert_cmphex(
        rd_attrs(testdev_region(dev), 0, 4, &v, false, false, attrs), ==, OK);
    g_assert_cmpuint(testdev_log_len(dev), ==, 2);
    for (guint i = 0; i < 2; i++) {
        TestDevAccess a = testdev_log_get(dev, i);

        g_assert_true(a.attrs.secure && a.attrs.user);
        g_assert_false(a.attrs.unspecified);
        g_assert_cmphex(a.attrs.requester_id, ==, 0xbeef);
    }
    dev_done(dev);
    drain_call_rcu();
}

/* --- (3) the re-entrancy guard ------------------------------------------- */

/* A hook that makes @left more accesses to @target, one per callback. */
typedef struct Nest {
    MemoryRegion *target;
    hwaddr offset;
    unsigned size;
    bool is_write;
    int left;
    unsigned ok, refused, other;
} Nest;

static void nest_hook(TestDev *dev, const TestDevAccess *a, void *opaque)
{
    Nest *n = opaque;
    MemTxResult r;
    uint64_t v = 0;

    (void)dev;
    (void)a;
    if (n->left <= 0) {
        return;
    }
    n->left--;
    if (n->is_write) {
        r = wr(n->target, n->offset, n->size, 0x42);
    } else {
        r = rd(n->target, n->offset, n->size, &v);
    }
    if (r == OK) {
        n->ok++;
    } else if (r == ACC) {
        n->refused++;
    } else {
        n->other++;
    }
}

static void test_reentrancy_self(void)
{
    TestDevConfig cfg = {.size = 8};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    Nest nest = {.target = mr, .offset = 4, .size = 4, .left = 1};
    uint64_t v;

    memory_region_enable_reentrancy_guard(mr);
    testdev_set_hook(dev, nest_hook, &nest);
    g_assert_cmphex(rd(mr, 0, 4, &v), ==, OK);
    g_assert_cmpuint(nest.refused, ==, 1);
    g_assert_cmpuint(nest.ok + nest.other, ==, 0);
    assert_log(dev, "r4@0x0"); /* not re-entered */

    /* a write from inside a write, same answer; the guard is released */
    nest = (Nest){.target = mr, .is_write = true, .size = 1, .left = 1};
    g_assert_cmphex(wr(mr, 0, 2, 7), ==, OK);
    g_assert_cmpuint(nest.refused, ==, 1);
    assert_log(dev, "r4@0x0 w2@0x0");
    testdev_set_hook(dev, NULL, NULL);
    g_assert_cmphex(rd(mr, 4, 4, &v), ==, OK);
    dev_done(dev);
    drain_call_rcu();
}

static uint64_t count_read(void *opaque, hwaddr addr, unsigned size)
{
    (void)addr;
    (void)size;
    (*(unsigned *)opaque)++;
    return 0;
}

static const MemoryRegionOps count_ops = {.read = count_read};

/* The key is the owner: another region of the same device is refused. */
static void test_reentrancy_same_owner(void)
{
    TestDevConfig cfg = {.size = 8};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *other = g_new0(MemoryRegion, 1);
    unsigned calls = 0;
    Nest nest = {.target = other, .size = 4, .left = 1};
    uint64_t v;

    g_assert_true(memory_region_init_io(other, testdev_owner(dev), &count_ops,
                                        &calls, "same-owner", 8, NULL));
    memory_region_enable_reentrancy_guard(testdev_region(dev));
    memory_region_enable_reentrancy_guard(other);
    testdev_set_hook(dev, nest_hook, &nest);
    g_assert_cmphex(rd(testdev_region(dev), 0, 4, &v), ==, OK);
    g_assert_cmpuint(nest.refused, ==, 1);
    g_assert_cmpuint(calls, ==, 0);
    g_assert_cmphex(rd(other, 0, 4, &v), ==, OK); /* fine from outside */
    g_assert_cmpuint(calls, ==, 1);

    /* a region that opted out does not mark its owner busy (QEMU) */
    memory_region_disable_reentrancy_guard(testdev_region(dev));
    nest = (Nest){.target = other, .size = 4, .left = 1};
    g_assert_cmphex(rd(testdev_region(dev), 0, 4, &v), ==, OK);
    g_assert_cmpuint(nest.ok, ==, 1);
    g_assert_cmpuint(calls, ==, 2);
    memory_region_finalize(other);
    g_free(other);
    dev_done(dev);
    drain_call_rcu();
}

/* A -> B is allowed; A -> B -> A is refused at the second A. */
static void test_reentrancy_cross_device(void)
{
    TestDevConfig cfg = {.size = 8};
    TestDev *a = dev_new(&cfg);
    TestDev *b = dev_new(&cfg);
    Nest to_b = {.target = testdev_region(b), .size = 4, .left = 1};
    Nest to_a = {.target = testdev_region(a), .size = 4, .left = 1};
    uint64_t v;

    memory_region_enable_reentrancy_guard(testdev_region(a));
    memory_region_enable_reentrancy_guard(testdev_region(b));
    testdev_set_hook(a, nest_hook, &to_b);
    testdev_set_hook(b, nest_hook, &to_a);
    g_assert_cmphex(rd(testdev_region(a), 0, 4, &v), ==, OK);
    g_assert_cmpuint(to_b.ok, ==, 1);
    g_assert_cmpuint(to_a.refused, ==, 1);
    assert_log(a, "r4@0x0");
    assert_log(b, "r4@0x0");
    dev_done(a);
    dev_done(b);
    drain_call_rcu();
}

/* A region without owner is its own key. */
typedef struct SelfCall {
    MemoryRegion mr;
    unsigned calls;
    MemTxResult inner;
} SelfCall;

static uint64_t self_read(void *opaque, hwaddr addr, unsigned size)
{
    SelfCall *s = opaque;
    uint64_t v;

    (void)addr;
    if (s->calls++ == 0) {
        s->inner = rd(&s->mr, 0, size, &v);
    }
    return 0;
}

static const MemoryRegionOps self_ops = {.read = self_read};

static void test_reentrancy_no_owner(void)
{
    SelfCall *s = g_new0(SelfCall, 1);
    uint64_t v;

    g_assert_true(
        memory_region_init_io(&s->mr, NULL, &self_ops, s, "self", 8, NULL));
    memory_region_enable_reentrancy_guard(&s->mr);
    g_assert_cmphex(rd(&s->mr, 0, 4, &v), ==, OK);
    g_assert_cmpuint(s->calls, ==, 1);
    g_assert_cmphex(s->inner, ==, ACC);
    memory_region_finalize(&s->mr);
    g_free(s);
}

/* QEMU 7.2 has no guard: by default a device re-enters itself. */
static void test_reentrancy_default_off(void)
{
    TestDevConfig cfg = {.size = 8};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    Nest nest = {.target = mr, .offset = 4, .size = 4, .left = 2};
    uint64_t v;

    testdev_set_hook(dev, nest_hook, &nest);
    g_assert_cmphex(rd(mr, 0, 4, &v), ==, OK);
    g_assert_cmpuint(nest.ok, ==, 2);
    g_assert_cmpuint(nest.refused, ==, 0);
    assert_log(dev, "r4@0x0 r4@0x4 r4@0x4");
    testdev_set_hook(dev, NULL, NULL);
    dev_done(dev);
    drain_call_rcu();
}

static void test_reentrancy_opt_out(void)
{
    TestDevConfig cfg = {.size = 8};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    Nest nest = {.target = mr, .offset = 4, .size = 4, .left = 3};
    uint64_t v;

    memory_region_enable_reentrancy_guard(mr);
    memory_region_disable_reentrancy_guard(mr);
    testdev_set_hook(dev, nest_hook, &nest);
    g_assert_cmphex(rd(mr, 0, 4, &v), ==, OK);
    g_assert_cmpuint(nest.ok, ==, 3);
    g_assert_cmpuint(nest.refused, ==, 0);
    assert_log(dev, "r4@0x0 r4@0x4 r4@0x4 r4@0x4");
    dev_done(dev);
    drain_call_rcu();
}

/* Unbounded self-recursion (guard disabled) stops at 32 nested callbacks. */
static void test_reentrancy_depth_self(void)
{
    TestDevConfig cfg = {.size = 8};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    uint64_t v;

    memory_region_disable_reentrancy_guard(mr);
    for (int round = 0; round < 2; round++) {
        Nest nest = {.target = mr, .size = 4, .left = 1000};

        testdev_log_clear(dev);
        testdev_set_hook(dev, nest_hook, &nest);
        g_assert_cmphex(rd(mr, 0, 4, &v), ==, OK);
        g_assert_cmpuint(testdev_log_len(dev), ==, 32);
        g_assert_cmpuint(nest.ok, ==, 31);
        g_assert_cmpuint(nest.refused, ==, 1);
        g_assert_cmpuint(nest.other, ==, 0);
    }
    testdev_set_hook(dev, NULL, NULL);
    dev_done(dev);
    drain_call_rcu();
}

/* A chain of distinct devices (DMA from one to the next) stops at 32. */
static void test_reentrancy_depth_chain(void)
{
    enum { N = 40 };
    TestDevConfig cfg = {.size = 8};
    TestDev *dev[N];
    Nest nest[N];
    uint64_t v;

    for (int i = 0; i < N; i++) {
        dev[i] = dev_new(&cfg);
    }
    for (int i = 0; i < N; i++) {
        nest[i] = (Nest){
            .target = testdev_region(dev[(i + 1) % N]), .size = 4, .left = 1};
        testdev_set_hook(dev[i], nest_hook, &nest[i]);
    }
    g_assert_cmphex(rd(testdev_region(dev[0]), 0, 4, &v), ==, OK);
    for (int i = 0; i < N; i++) {
        g_assert_cmpuint(testdev_log_len(dev[i]), ==, i < 32 ? 1 : 0);
    }
    g_assert_cmpuint(nest[30].ok, ==, 1);
    g_assert_cmpuint(nest[31].refused, ==, 1);
    for (int i = 0; i < N; i++) {
        dev_done(dev[i]);
    }
    drain_call_rcu();
}

/* The guard is per thread: another thread may enter a busy device. */
typedef struct Peer {
    MemoryRegion *mr;
    MemTxResult result;
} Peer;

static gpointer peer_main(gpointer opaque)
{
    Peer *p = opaque;
    uint64_t v;

    rcu_register_thread();
    p->result = rd(p->mr, 4, 4, &v);
    rcu_unregister_thread();
    return NULL;
}

static void run_peer_hook(TestDev *dev, const TestDevAccess *a, void *opaque)
{
    Peer *p = opaque;

    (void)dev;
    if (a->offset == 0) {
        g_thread_join(g_thread_new("peer", peer_main, p));
    }
}

static void test_reentrancy_per_thread(void)
{
    /* lock-free: the peer must not wait for this thread's big lock */
    TestDevConfig cfg = {.size = 8, .no_global_locking = true};
    TestDev *dev = dev_new(&cfg);
    Peer peer = {.mr = testdev_region(dev), .result = 0xff};
    uint64_t v;

    memory_region_enable_reentrancy_guard(testdev_region(dev));
    testdev_set_hook(dev, run_peer_hook, &peer);
    g_assert_cmphex(rd(testdev_region(dev), 0, 4, &v), ==, OK);
    g_assert_cmphex(peer.result, ==, OK);
    assert_log(dev, "r4@0x0 r4@0x4");
    dev_done(dev);
    drain_call_rcu();
}

/* --- (4) the region lock -------------------------------------------------- */

typedef struct LockProbe {
    GRecMutex *lock;
    int tries;
    int got; /* trylock successes from another thread */
} LockProbe;

static gpointer trylock_main(gpointer opaque)
{
    LockProbe *p = opaque;

    if (g_rec_mutex_trylock(p->lock)) {
        p->got++;
        g_rec_mutex_unlock(p->lock);
    }
    p->tries++;
    return NULL;
}

static void probe_lock(LockProbe *p)
{
    g_thread_join(g_thread_new("trylock", trylock_main, p));
}

static void probe_hook(TestDev *dev, const TestDevAccess *a, void *opaque)
{
    (void)dev;
    (void)a;
    probe_lock(opaque);
}

static LockProbe *accepts_probe;

static bool probing_accepts(void *opaque, hwaddr offset, unsigned size,
                            bool is_write, MemTxAttrs attrs)
{
    (void)opaque;
    (void)offset;
    (void)size;
    (void)is_write;
    (void)attrs;
    probe_lock(accepts_probe);
    return true;
}

static void test_lock_held(void)
{
    TestDevConfig cfg = {.size = 8, .accepts = probing_accepts};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    GRecMutex lock;
    LockProbe in_cb = {.lock = &lock}, in_accepts = {.lock = &lock};
    LockProbe after = {.lock = &lock};
    uint64_t v;

    g_rec_mutex_init(&lock);
    memory_region_set_lock(mr, &lock);
    accepts_probe = &in_accepts;
    testdev_set_hook(dev, probe_hook, &in_cb);
    g_assert_cmphex(rd(mr, 0, 8, &v), ==, OK); /* two callbacks */
    g_assert_cmphex(wr(mr, 0, 4, 1), ==, OK);
    g_assert_cmpint(in_cb.tries, ==, 3);
    g_assert_cmpint(in_cb.got, ==, 0);
    g_assert_cmpint(in_accepts.tries, ==, 2);
    g_assert_cmpint(in_accepts.got, ==, 0);
    probe_lock(&after);
    g_assert_cmpint(after.got, ==, 1);

    /* without a lock the same probe gets it */
    memory_region_set_lock(mr, NULL);
    in_cb = (LockProbe){.lock = &lock};
    g_assert_cmphex(rd(mr, 0, 4, &v), ==, OK);
    g_assert_cmpint(in_cb.got, ==, 1);
    testdev_set_hook(dev, NULL, NULL);
    dev_done(dev);
    drain_call_rcu();
    g_rec_mutex_clear(&lock);
}

/*
 * The big lock (QEMU's prepare_mmio_access()): held around every
 * callback, valid.accepts included, unless the region cleared global
 * locking; taken only if the thread does not hold it, released after.
 */
static bool bql_seen[3]; /* in accepts, read, write */
static unsigned bql_calls[3];

static bool bql_probing_accepts(void *opaque, hwaddr offset, unsigned size,
                                bool is_write, MemTxAttrs attrs)
{
    (void)opaque;
    (void)offset;
    (void)size;
    (void)is_write;
    (void)attrs;
    bql_seen[0] = bql_locked();
    bql_calls[0]++;
    return true;
}

static void bql_probe_hook(TestDev *dev, const TestDevAccess *a, void *opaque)
{
    (void)dev;
    (void)opaque;
    bql_seen[1 + a->is_write] = bql_locked();
    bql_calls[1 + a->is_write]++;
}

static void bql_probe(bool cleared, bool caller_holds)
{
    TestDevConfig cfg = {.size = 8,
                         .accepts = bql_probing_accepts,
                         .no_global_locking = cleared};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    bool expect = !cleared || caller_holds;
    uint64_t v;

    memset(bql_seen, !expect, sizeof(bql_seen));
    memset(bql_calls, 0, sizeof(bql_calls));
    testdev_set_hook(dev, bql_probe_hook, NULL);
    if (caller_holds) {
        bql_lock();
    }
    g_assert_cmphex(rd(mr, 0, 8, &v), ==, OK);
    g_assert_cmphex(wr(mr, 4, 4, 1), ==, OK);
    g_assert_true(valid(mr, 0, 4, false));
    /* released by the dispatcher only if it took it */
    g_assert_cmpint(bql_locked(), ==, caller_holds);
    if (caller_holds) {
        bql_unlock();
    }
    g_assert_cmpuint(bql_calls[0], ==, 3);
    g_assert_cmpuint(bql_calls[1], ==, 2);
    g_assert_cmpuint(bql_calls[2], ==, 1);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_cmpint(bql_seen[i], ==, expect);
    }
    testdev_set_hook(dev, NULL, NULL);
    dev_done(dev);
}

static void test_lock_bql(void)
{
    if (use_inline) {
        /* the inline path's devices are lock-free: cleared only */
        bql_probe(true, false);
        bql_probe(true, true);
    } else {
        bql_probe(false, false);
        bql_probe(false, true); /* not taken twice: no self-deadlock */
        bql_probe(true, false);
        bql_probe(true, true);
    }
    drain_call_rcu();
}

/* A callback under the big lock that makes an access to another device's
 * MMIO (DMA): the big lock is already held, the nested callback runs
 * under it, nothing deadlocks. */
static void test_lock_bql_nested(void)
{
    TestDevConfig cfg = {.size = 8};
    TestDev *a, *b;
    Nest to_b;
    uint64_t v;

    if (use_inline) {
        return; /* the inline path's devices are lock-free */
    }
    a = dev_new(&cfg);
    b = dev_new(&cfg);
    to_b = (Nest){.target = testdev_region(b), .size = 4, .left = 1};
    testdev_set_hook(a, nest_hook, &to_b);
    memset(bql_seen, 0, sizeof(bql_seen));
    memset(bql_calls, 0, sizeof(bql_calls));
    testdev_set_hook(b, bql_probe_hook, NULL);
    g_assert_cmphex(rd(testdev_region(a), 0, 4, &v), ==, OK);
    g_assert_cmpuint(to_b.ok, ==, 1);
    g_assert_cmpuint(bql_calls[1], ==, 1);
    g_assert_true(bql_seen[1]);
    g_assert_false(bql_locked());
    dev_done(a);
    dev_done(b);
    drain_call_rcu();
}

/*
 * A split access is atomic: the lock (the big lock by default, the
 * region's own lock for a lock-free region) is held for all its pieces.
 * Writers store 8-byte values whose halves are equal on a device that
 * takes 4 bytes at a time; a reader's 8-byte loads never see halves of
 * two writes, and no two callbacks ever overlap.
 */
enum { SPLIT_WRITERS = 3, SPLIT_ROUNDS = 2000 };

typedef struct SplitWorker {
    MemoryRegion *mr;
    unsigned id;
    unsigned torn;
} SplitWorker;

static gpointer split_writer(gpointer opaque)
{
    SplitWorker *w = opaque;
    uint64_t half = 0x1000u * (w->id + 1);

    rcu_register_thread();
    for (unsigned i = 0; i < SPLIT_ROUNDS; i++) {
        uint64_t v = half + i;

        g_assert_cmphex(wr(w->mr, 0, 8, v << 32 | v), ==, OK);
    }
    rcu_unregister_thread();
    return NULL;
}

static gpointer split_reader(gpointer opaque)
{
    SplitWorker *w = opaque;

    rcu_register_thread();
    for (unsigned i = 0; i < SPLIT_ROUNDS; i++) {
        uint64_t v = 0;

        g_assert_cmphex(rd(w->mr, 0, 8, &v), ==, OK);
        w->torn += (uint32_t)v != (uint32_t)(v >> 32);
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_lock_split_atomic(void)
{
    TestDevConfig cfg = {.size = 8, .valid_max = 8, .impl_max = 4};
    TestDev *dev = dev_new(&cfg);
    SplitWorker w[SPLIT_WRITERS + 1];
    GThread *t[SPLIT_WRITERS + 1];
    GRecMutex lock;

    g_rec_mutex_init(&lock);
    if (use_inline) {
        memory_region_set_lock(testdev_region(dev), &lock);
    }
    for (unsigned i = 0; i <= SPLIT_WRITERS; i++) {
        w[i] = (SplitWorker){.mr = testdev_region(dev), .id = i};
        t[i] = g_thread_new(
            "split", i < SPLIT_WRITERS ? split_writer : split_reader, &w[i]);
    }
    for (unsigned i = 0; i <= SPLIT_WRITERS; i++) {
        g_thread_join(t[i]);
    }
    g_assert_cmpuint(w[SPLIT_WRITERS].torn, ==, 0);
    g_assert_cmpuint(testdev_log_len(dev), ==,
                     2 * (SPLIT_WRITERS + 1) * SPLIT_ROUNDS);
    g_assert_cmpuint(testdev_max_concurrency(dev), ==, 1);
    dev_done(dev);
    drain_call_rcu();
    g_rec_mutex_clear(&lock);
}

/* --- (5) the region's end: QEMU's way and the mmio-bounds opt-in -------- */

/*
 * Accesses near the end of regions of odd sizes, and of a 2^64 region.
 * QEMU 7.2 never checks a region's end: the callbacks get what
 * access_with_adjusted_size() makes, past the end too, offsets wrapping at
 * 2^64 (@qemu_result, @qemu_calls). With memory_region_enable_bounds_check()
 * (@a) an access with a byte past the end is refused (no callback), and
 * where QEMU's callback would pass the end though the access does not
 * (widening, an overhanging impl size), the callback gets the rest of the
 * access itself at the same offset.
 */
typedef struct BoundsRow {
    uint64_t region_size;
    MatrixRow a;
    MemTxResult qemu_result;
    const char *qemu_calls;
} BoundsRow;

#define TOP UINT64_MAX /* region size 2^64 */

static const BoundsRow bounds_rows[] = {
    {3, {0, 0, F, 0, 0, F, 'r', 1, 2, OK, "r1@0x2"}, OK, "r1@0x2"},
    {3, {0, 0, F, 0, 0, F, 'r', 2, 0, OK, "r2@0x0"}, OK, "r2@0x0"},
    {3, {1, 4, T, 1, 4, T, 'r', 2, 2, DEC, ""}, OK, "r2@0x2"}, /* passes */
    {3, {1, 4, T, 1, 4, F, 'r', 2, 1, OK, "r2@0x1"}, OK, "r2@0x1"},
    {3, {0, 0, F, 0, 0, F, 'r', 4, 0, DEC, ""}, OK, "r4@0x0"},
    {3, {0, 0, F, 0, 0, F, 'w', 1, 3, DEC, ""}, OK, "w1@0x3"}, /* outside */
    /* r2@2 would pass 3 */
    {3, {1, 4, T, 2, 4, F, 'r', 1, 2, OK, "r1@0x2"}, OK, "r2@0x2"},
    {3, {1, 4, T, 2, 4, F, 'w', 1, 1, OK, "w2@0x1"}, OK, "w2@0x1"},
    /* r2@4 would pass 5 */
    {5, {1, 2, F, 2, 2, F, 'r', 1, 4, OK, "r1@0x4"}, OK, "r2@0x4"},
    {5, {1, 2, F, 2, 2, F, 'r', 1, 3, OK, "r2@0x3"}, OK, "r2@0x3"},
    /* r4@5 would pass 6 */
    {6, {1, 4, F, 4, 4, F, 'r', 1, 5, OK, "r1@0x5"}, OK, "r4@0x5"},
    {6, {1, 4, F, 4, 4, F, 'w', 1, 4, OK, "w1@0x4"}, OK, "w4@0x4"},
    {6, {1, 4, F, 4, 4, F, 'r', 2, 4, OK, "r2@0x4"}, OK, "r4@0x4"},
    /* fits: QEMU's in both modes */
    {6, {1, 4, F, 4, 4, F, 'r', 1, 2, OK, "r4@0x2"}, OK, "r4@0x2"},
    {6, {1, 4, F, 4, 4, F, 'w', 2, 2, OK, "w4@0x2"}, OK, "w4@0x2"},
    {6, {1, 8, F, 1, 4, F, 'r', 8, 0, DEC, ""}, OK, "r4@0x0 r4@0x4"},
    {6, {1, 4, T, 2, 4, F, 'r', 4, 1, OK, "r4@0x1"}, OK, "r4@0x1"},
    {6, {1, 4, T, 2, 4, F, 'w', 4, 2, OK, "w4@0x2"}, OK, "w4@0x2"},
    {6, {1, 4, T, 1, 4, T, 'r', 4, 2, OK, "r4@0x2"}, OK, "r4@0x2"},
    {6, {1, 4, T, 1, 4, T, 'r', 4, 3, DEC, ""}, OK, "r4@0x3"},
    /* r8@0 would pass 7 */
    {7, {1, 8, T, 8, 8, F, 'r', 1, 0, OK, "r1@0x0"}, OK, "r8@0x0"},
    {7, {1, 8, T, 1, 8, F, 'r', 4, 3, OK, "r4@0x3"}, OK, "r4@0x3"},
    /* an impl size that does not divide the access: QEMU's last piece
     * passes 8 */
    {8,
     {1, 8, F, 1, 3, F, 'r', 8, 0, OK, "r3@0x0 r3@0x3 r2@0x6"},
     OK,
     "r3@0x0 r3@0x3 r3@0x6"},
    {9,
     {1, 8, F, 1, 3, F, 'r', 8, 0, OK, "r3@0x0 r3@0x3 r3@0x6"},
     OK,
     "r3@0x0 r3@0x3 r3@0x6"},
    {16, {0, 0, T, 0, 0, F, 'r', 1, TOP, DEC, ""}, OK, "r1@0xffffffffffffffff"},
    /* QEMU: addr + i wraps to 0 */
    {16,
     {0, 0, T, 0, 0, F, 'w', 8, TOP - 3, DEC, ""},
     OK,
     "w4@0xfffffffffffffffc w4@0x0"},
    {TOP,
     {1, 8, F, 1, 8, F, 'r', 8, TOP - 7, OK, "r8@0xfffffffffffffff8"},
     OK,
     "r8@0xfffffffffffffff8"},
    /* opt-in: no wrap to 0 */
    {TOP,
     {1, 8, T, 1, 8, T, 'r', 8, TOP - 3, DEC, ""},
     OK,
     "r8@0xfffffffffffffffc"},
    {TOP,
     {1, 4, F, 4, 4, F, 'w', 1, TOP, OK, "w1@0xffffffffffffffff"},
     OK,
     "w4@0xffffffffffffffff"},
    {TOP,
     {1, 4, F, 4, 4, F, 'w', 1, TOP - 3, OK, "w4@0xfffffffffffffffc"},
     OK,
     "w4@0xfffffffffffffffc"},
};

static void check_bounds_rows(bool bounds)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bounds_rows); i++) {
        const BoundsRow *row = &bounds_rows[i];
        TestDevConfig cfg = row_config(&row->a, row->region_size);
        MemTxResult want = bounds ? row->a.result : row->qemu_result;
        TestDev *dev;
        MemoryRegion *mr;
        uint64_t v = 0;
        MemTxResult r;

        g_test_message("bounds row %zu", i);
        cfg.bounds_check = bounds;
        dev = dev_new(&cfg);
        mr = testdev_region(dev);
        if (row->a.op == 'r') {
            r = rd(mr, row->a.offset, row->a.size, &v);
        } else {
            r = wr(mr, row->a.offset, row->a.size, 0x1122334455667788ull);
        }
        g_assert_cmphex(r, ==, want);
        g_assert_cmpint(valid(mr, row->a.offset, row->a.size, row->a.op == 'w'),
                        ==, want == OK);
        assert_log(dev, bounds ? row->a.calls : row->qemu_calls);
        dev_done(dev);
    }
    drain_call_rcu();
}

/* QEMU 7.2's way, the default. */
static void test_bounds_qemu_table(void)
{
    check_bounds_rows(false);
}

/* memory_region_enable_bounds_check(). */
static void test_bounds_opt_in_table(void)
{
    check_bounds_rows(true);
}

/* --- (6) reservations and ROM devices ------------------------------------- */

static void test_reservation(void)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);
    uint64_t v = 0xdead;

    g_assert_true(memory_region_init_reservation(mr, NULL, "resv", 16, NULL));
    for (unsigned size = 1; size <= 8; size *= 2) {
        v = 0xdead;
        g_assert_cmphex(rd(mr, 0, size, &v), ==, DEC);
        g_assert_cmphex(v, ==, 0);
        g_assert_cmphex(wr(mr, 8, size, 1), ==, DEC);
        g_assert_false(valid(mr, 0, size, false));
        g_assert_false(valid(mr, 0, size, true));
    }
    /* unassigned ops: QEMU's defaults for chunking */
    g_assert_cmpuint(memory_access_size(mr, 8, 0), ==, 4);
    g_assert_cmpuint(memory_access_size(mr, 8, 2), ==, 2);
    memory_region_finalize(mr);
    g_free(mr);
}

typedef struct RomDev {
    MemoryRegion mr;
    unsigned reads, writes;
    uint64_t last_write;
} RomDev;

static uint64_t romdev_read(void *opaque, hwaddr addr, unsigned size)
{
    RomDev *d = opaque;

    (void)size;
    d->reads++;
    return 0xc0 + addr;
}

static void romdev_write(void *opaque, hwaddr addr, uint64_t data,
                         unsigned size)
{
    RomDev *d = opaque;

    (void)addr;
    (void)size;
    d->writes++;
    d->last_write = data;
}

static const MemoryRegionOps romdev_ops = {
    .read = romdev_read,
    .write = romdev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static void test_rom_device(void)
{
    RomDev *d = g_new0(RomDev, 1);
    uint64_t v;

    g_assert_true(memory_region_init_rom_device(&d->mr, NULL, &romdev_ops, d,
                                                "romdev", 16, NULL));
    /* writes go to the ops in either mode */
    g_assert_cmphex(wr(&d->mr, 4, 2, 0xbeef), ==, OK);
    g_assert_cmpuint(d->writes, ==, 2);
    g_assert_cmphex(d->last_write, ==, 0xbe);
    /* MMIO-mode reads go to the ops, split to impl.max */
    memory_region_rom_device_set_romd(&d->mr, false);
    g_assert_cmphex(rd(&d->mr, 2, 2, &v), ==, OK);
    g_assert_cmphex(v, ==, 0xc3c2);
    g_assert_cmpuint(d->reads, ==, 2);
    memory_region_finalize(&d->mr);
    g_free(d);
}

/* --- (7) the reference model of QEMU 7.2 ----------------------------------- */

/*
 * A recording device for the comparison with dispatch-reference.h: its
 * reads return a value made of the offset and size (all 64 bits, so that
 * masking shows), some callbacks fail, valid.accepts vetoes a pattern of
 * offsets; every callback, accepts included, is logged with its values.
 * The model is given the same functions, so both logs must be equal.
 */
typedef struct RecDev {
    MemoryRegion mr;
    MemoryRegionOps ops;
    GString *log;
    bool bounds; /* memory_region_enable_bounds_check() */
} RecDev;

static uint64_t rec_value(hwaddr offset, unsigned size)
{
    return (offset + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)size << 56;
}

static MemTxResult rec_result(hwaddr offset, bool is_write)
{
    return (offset % 11) == (is_write ? 7 : 5) ? MEMTX_ERROR : MEMTX_OK;
}

static bool rec_accepts_answer(hwaddr offset, unsigned size, bool is_write)
{
    return (offset + size + is_write) % 7 != 0;
}

static MemTxResult rec_read(void *opaque, hwaddr offset, uint64_t *data,
                            unsigned size, MemTxAttrs attrs)
{
    RecDev *d = opaque;

    (void)attrs;
    *data = rec_value(offset, size);
    g_string_append_printf(d->log, " r%u@%" PRIx64 "=%" PRIx64, size, offset,
                           *data & (UINT64_MAX >> (64 - 8 * size)));
    return rec_result(offset, false);
}

static MemTxResult rec_write(void *opaque, hwaddr offset, uint64_t data,
                             unsigned size, MemTxAttrs attrs)
{
    RecDev *d = opaque;

    (void)attrs;
    g_string_append_printf(d->log, " w%u@%" PRIx64 "=%" PRIx64, size, offset,
                           data);
    return rec_result(offset, true);
}

static bool rec_accepts(void *opaque, hwaddr offset, unsigned size,
                        bool is_write, MemTxAttrs attrs)
{
    RecDev *d = opaque;

    (void)attrs;
    g_string_append_printf(d->log, " a%u%c@%" PRIx64, size,
                           is_write ? 'w' : 'r', offset);
    return rec_accepts_answer(offset, size, is_write);
}

/* The model's side of the same device, logging into @log. */
static uint64_t model_read(void *opaque, hwaddr offset, unsigned size,
                           MemTxResult *result)
{
    uint64_t v = rec_value(offset, size);

    g_string_append_printf(opaque, " r%u@%" PRIx64 "=%" PRIx64, size, offset,
                           v & (UINT64_MAX >> (64 - 8 * size)));
    *result = rec_result(offset, false);
    return v;
}

static MemTxResult model_write(void *opaque, hwaddr offset, uint64_t value,
                               unsigned size)
{
    g_string_append_printf(opaque, " w%u@%" PRIx64 "=%" PRIx64, size, offset,
                           value);
    return rec_result(offset, true);
}

static bool model_accepts(void *opaque, hwaddr offset, unsigned size,
                          bool is_write)
{
    g_string_append_printf(opaque, " a%u%c@%" PRIx64, size,
                           is_write ? 'w' : 'r', offset);
    return rec_accepts_answer(offset, size, is_write);
}

typedef struct RefConfig {
    unsigned vmin, vmax, imin, imax;
    bool vunal, iunal, accepts;
    enum device_endian endianness;
    bool target_be;
    uint64_t size;
    bool bounds; /* the mmio-bounds opt-in */
} RefConfig;

static RecDev *rec_new(const RefConfig *c)
{
    RecDev *d = g_new0(RecDev, 1);

    d->ops = (MemoryRegionOps){
        .read_with_attrs = rec_read,
        .write_with_attrs = rec_write,
        .endianness = c->endianness,
        .valid = {.min_access_size = c->vmin,
                  .max_access_size = c->vmax,
                  .unaligned = c->vunal,
                  .accepts = c->accepts ? rec_accepts : NULL},
        .impl = {.min_access_size = c->imin,
                 .max_access_size = c->imax,
                 .unaligned = c->iunal},
    };
    d->log = g_string_new("");
    g_assert_true(
        memory_region_init_io(&d->mr, NULL, &d->ops, d, "rec", c->size, NULL));
    if (use_inline) {
        memory_region_clear_global_locking(&d->mr);
    }
    if (c->bounds) {
        memory_region_enable_bounds_check(&d->mr);
        d->bounds = true;
    }
    return d;
}

static void rec_free(RecDev *d)
{
    memory_region_finalize(&d->mr);
    g_string_free(d->log, TRUE);
    g_free(d);
}

static RefDev model_of(const RecDev *d, uint64_t size, GString *log)
{
    return (RefDev){.ops = &d->ops,
                    .size = size,
                    .bounds = d->bounds,
                    .read = model_read,
                    .write = model_write,
                    .accepts = model_accepts,
                    .opaque = log};
}

/* The configurations of the sweeps: every valid min/max/unaligned and
 * impl min/max/unaligned from {0, 1, 2, 4, 8}, valid.accepts on every
 * third, the byte orders (little, big, native with either target) and
 * region sizes (3, 6, 12: near-end cases for every size) in turn. */
static const unsigned ref_sizes[] = {0, 1, 2, 4, 8};
#define REF_CONFIGS (5 * 5 * 2 * 5 * 5 * 2)

static RefConfig ref_config(unsigned n)
{
    static const uint64_t region_sizes[] = {3, 6, 12};
    static const enum device_endian ends[] = {
        DEVICE_LITTLE_ENDIAN, DEVICE_BIG_ENDIAN, DEVICE_NATIVE_ENDIAN,
        DEVICE_NATIVE_ENDIAN};
    unsigned k = n;
    RefConfig c;

    c.vmin = ref_sizes[k % 5], k /= 5;
    c.vmax = ref_sizes[k % 5], k /= 5;
    c.vunal = k % 2, k /= 2;
    c.imin = ref_sizes[k % 5], k /= 5;
    c.imax = ref_sizes[k % 5], k /= 5;
    c.iunal = k % 2;
    c.accepts = n % 3 == 1;
    c.endianness = ends[n % 4];
    c.target_be = (n % 4 == 3) != (n % 8 >= 4); /* native: both targets */
    c.size = region_sizes[(n / 7) % 3];
    c.bounds = false;
    return c;
}

/* The runs of the sweeps: every configuration in both modes, QEMU's
 * (run even) and with the mmio-bounds opt-in (run odd). */
#define REF_RUNS (2 * REF_CONFIGS)

static RefConfig ref_run(unsigned run)
{
    RefConfig c = ref_config(run / 2);

    c.bounds = run & 1;
    return c;
}

/*
 * Every configuration x access size x offset (0 to the region's end) x
 * read/write x exchange byte order: result, value and callbacks (accepts
 * included) as the model's; memory_region_access_valid() as the model's.
 * Runs through the general, fast and inline paths (rd()/wr()).
 */
static void test_reference_sweep(void)
{
    GString *expect = g_string_new("");
    unsigned compared = 0, expected = 0;

    for (unsigned n = 0; n < REF_RUNS; n++) {
        RefConfig c = ref_run(n);
        RecDev *d = rec_new(&c);
        RefDev m = model_of(d, c.size, expect);

        expected += 4 * 4 * (unsigned)(c.size + 1);
        for (unsigned size = 1; size <= 8; size *= 2) {
            for (hwaddr off = 0; off <= c.size; off++) {
                for (unsigned k = 0; k < 4; k++) {
                    bool w = k & 1, xbe = k & 2;
                    uint64_t v = w ? 0x8877665544332211ull : 0x5a5a;
                    uint64_t mv = v;
                    MemTxResult r, mr;
                    bool ok, mok;

                    g_string_truncate(d->log, 0);
                    g_string_truncate(expect, 0);
                    if (w) {
                        r = wr_attrs(&d->mr, off, size, v, xbe, c.target_be,
                                     MEMTXATTRS_UNSPECIFIED);
                    } else {
                        r = rd_attrs(&d->mr, off, size, &v, xbe, c.target_be,
                                     MEMTXATTRS_UNSPECIFIED);
                    }
                    mr = ref_dispatch(&m, off, &mv, size, w, xbe, c.target_be);
                    if (r != mr || (!w && v != mv) ||
                        strcmp(d->log->str, expect->str)) {
                        g_test_message("run %u size %u offset %" PRIu64
                                       " %s xbe %d: %#x %" PRIx64 " [%s] vs "
                                       "model %#x %" PRIx64 " [%s]",
                                       n, size, off, w ? "write" : "read", xbe,
                                       r, v, d->log->str, mr, mv, expect->str);
                    }
                    g_assert_cmphex(r, ==, mr);
                    g_assert_cmphex(v, ==, w ? 0x8877665544332211ull : mv);
                    g_assert_cmpstr(d->log->str, ==, expect->str);

                    g_string_truncate(d->log, 0);
                    g_string_truncate(expect, 0);
                    ok = valid(&d->mr, off, size, w);
                    mok = ref_access_valid(&m, off, size, w);
                    g_assert_cmpint(ok, ==, mok);
                    g_assert_cmpstr(d->log->str, ==, expect->str);
                    compared++;
                }
            }
        }
        rec_free(d);
    }
    g_assert_cmpuint(compared, ==, expected);
    g_string_free(expect, TRUE);
}

/* The typed loads and stores as a device or CPU calls them: @order 0
 * little, 1 big, -1 the target's. */
static uint64_t typed_ld(AddressSpace *as, hwaddr addr, unsigned size,
                         int order, MemTxResult *r)
{
    MemTxAttrs u = MEMTXATTRS_UNSPECIFIED;

    switch (size * 4 + (unsigned)(order + 1)) {
    case 4:
    case 5:
    case 6:
        return address_space_ldub(as, addr, u, r);
    case 8:
        return address_space_lduw(as, addr, u, r);
    case 9:
        return address_space_lduw_le(as, addr, u, r);
    case 10:
        return address_space_lduw_be(as, addr, u, r);
    case 16:
        return address_space_ldl(as, addr, u, r);
    case 17:
        return address_space_ldl_le(as, addr, u, r);
    case 18:
        return address_space_ldl_be(as, addr, u, r);
    case 32:
        return address_space_ldq(as, addr, u, r);
    case 33:
        return address_space_ldq_le(as, addr, u, r);
    default:
        return address_space_ldq_be(as, addr, u, r);
    }
}

static void typed_st(AddressSpace *as, hwaddr addr, unsigned size, int order,
                     uint64_t v, MemTxResult *r)
{
    MemTxAttrs u = MEMTXATTRS_UNSPECIFIED;

    switch (size * 4 + (unsigned)(order + 1)) {
    case 4:
    case 5:
    case 6:
        address_space_stb(as, addr, (uint8_t)v, u, r);
        break;
    case 8:
        address_space_stw(as, addr, (uint16_t)v, u, r);
        break;
    case 9:
        address_space_stw_le(as, addr, (uint16_t)v, u, r);
        break;
    case 10:
        address_space_stw_be(as, addr, (uint16_t)v, u, r);
        break;
    case 16:
        address_space_stl(as, addr, (uint32_t)v, u, r);
        break;
    case 17:
        address_space_stl_le(as, addr, (uint32_t)v, u, r);
        break;
    case 18:
        address_space_stl_be(as, addr, (uint32_t)v, u, r);
        break;
    case 32:
        address_space_stq(as, addr, v, u, r);
        break;
    case 33:
        address_space_stq_le(as, addr, v, u, r);
        break;
    default:
        address_space_stq_be(as, addr, v, u, r);
        break;
    }
}

/*
 * One board per configuration: RAM [0, 0x100), a gap of 0 to 3 bytes (a
 * hole), the device, 16 bytes of RAM and 16 bytes of ROM right after it,
 * then a hole; the model's view of the same. Each buffer access
 * (address_space_read/_write, lengths 1 to 10) and typed access (every
 * size and byte order) from 4 bytes before the device to 4 after the ROM
 * gives the model's result, bytes and callbacks; so does
 * address_space_access_valid().
 */
typedef struct RefBoard {
    MemoryRegion root, ram0, ram1, rom;
    AddressSpace as;
    RecDev *dev;
    uint8_t model_ram0[0x100], model_ram1[16], model_rom[16];
    RefSection sections[4];
    RefView view;
    RefDev mdev;
    hwaddr base, end;
} RefBoard;

static void board_check_ram(RefBoard *b)
{
    g_assert_cmpmem(memory_region_get_ram_ptr(&b->ram0), 0x100, b->model_ram0,
                    0x100);
    g_assert_cmpmem(memory_region_get_ram_ptr(&b->ram1), 16, b->model_ram1, 16);
    g_assert_cmpmem(memory_region_get_ram_ptr(&b->rom), 16, b->model_rom, 16);
}

static void board_init(RefBoard *b, const RefConfig *c, unsigned gap,
                       bool lock_free, GString *expect)
{
    uint8_t *p;

    memset(b, 0, sizeof(*b));
    b->dev = rec_new(c);
    if (lock_free) {
        memory_region_clear_global_locking(&b->dev->mr);
    }
    b->base = 0x100 + gap;
    b->end = b->base + c->size + 32;
    g_assert_true(memory_region_init(&b->root, NULL, "root", 0x10000, NULL));
    g_assert_true(memory_region_init_ram(&b->ram0, NULL, "ram0", 0x100, NULL));
    g_assert_true(memory_region_init_ram(&b->ram1, NULL, "ram1", 16, NULL));
    g_assert_true(memory_region_init_rom(&b->rom, NULL, "rom", 16, NULL));
    for (unsigned i = 0; i < 0x100; i++) {
        b->model_ram0[i] = (uint8_t)(i * 7 + 1);
    }
    for (unsigned i = 0; i < 16; i++) {
        b->model_ram1[i] = (uint8_t)(0x80 + i);
        b->model_rom[i] = (uint8_t)(0xc0 + i);
    }
    memcpy(memory_region_get_ram_ptr(&b->ram0), b->model_ram0, 0x100);
    memcpy(memory_region_get_ram_ptr(&b->ram1), b->model_ram1, 16);
    p = memory_region_get_ram_ptr(&b->rom);
    memcpy(p, b->model_rom, 16);
    g_assert_true(memory_region_add_subregion(&b->root, 0, &b->ram0, NULL));
    g_assert_true(
        memory_region_add_subregion(&b->root, b->base, &b->dev->mr, NULL));
    g_assert_true(memory_region_add_subregion(&b->root, b->base + c->size,
                                              &b->ram1, NULL));
    g_assert_true(memory_region_add_subregion(&b->root, b->base + c->size + 16,
                                              &b->rom, NULL));
    g_assert_true(address_space_init(&b->as, &b->root, "ref", NULL));
    address_space_set_big_endian(&b->as, c->target_be);

    b->mdev = model_of(b->dev, c->size, expect);
    b->sections[0] = (RefSection){.start = 0,
                                  .size = 0x100,
                                  .kind = REF_RAM,
                                  .ram = b->model_ram0,
                                  .ram_size = 0x100};
    b->sections[1] = (RefSection){
        .start = b->base, .size = c->size, .kind = REF_MMIO, .dev = &b->mdev};
    b->sections[2] = (RefSection){.start = b->base + c->size,
                                  .size = 16,
                                  .kind = REF_RAM,
                                  .ram = b->model_ram1,
                                  .ram_size = 16};
    b->sections[3] = (RefSection){.start = b->base + c->size + 16,
                                  .size = 16,
                                  .kind = REF_ROM,
                                  .ram = b->model_rom,
                                  .ram_size = 16};
    b->view = (RefView){.s = b->sections, .nr = 4, .target_big = c->target_be};
}

static void board_destroy(RefBoard *b)
{
    address_space_destroy(&b->as);
    memory_region_del_subregion(&b->root, &b->dev->mr, NULL);
    memory_region_finalize(&b->root);
    drain_call_rcu();
    memory_region_finalize(&b->ram0);
    memory_region_finalize(&b->ram1);
    memory_region_finalize(&b->rom);
    rec_free(b->dev);
}

/*
 * A buffer read or write of @len bytes at @addr through @as and through the
 * model's @view: same result, bytes and callbacks (@log: the device's,
 * @expect: the model's); then address_space_access_valid() of the range,
 * same answer and callbacks. @run: the sweep's run, for the message.
 */
static void compare_buffer_access(AddressSpace *as, const RefView *view,
                                  GString *log, GString *expect, unsigned run,
                                  hwaddr addr, unsigned len, bool w)
{
    uint8_t buf[10], mbuf[10];
    MemTxResult r, mr;

    for (unsigned i = 0; i < len; i++) {
        buf[i] = mbuf[i] = (uint8_t)(0x30 + i + addr);
    }
    g_string_truncate(log, 0);
    g_string_truncate(expect, 0);
    r = address_space_rw(as, addr, MEMTXATTRS_UNSPECIFIED, buf, len, w);
    mr = ref_rw(view, addr, mbuf, len, w);
    if (r != mr || strcmp(log->str, expect->str)) {
        g_test_message("run %u %s %u at %#" PRIx64 ": %#x [%s] vs model "
                       "%#x [%s]",
                       run, w ? "write" : "read", len, addr, r, log->str, mr,
                       expect->str);
    }
    g_assert_cmphex(r, ==, mr);
    g_assert_cmpmem(buf, len, mbuf, len);
    g_assert_cmpstr(log->str, ==, expect->str);

    g_string_truncate(log, 0);
    g_string_truncate(expect, 0);
    g_assert_cmpint(
        address_space_access_valid(as, addr, len, w, MEMTXATTRS_UNSPECIFIED),
        ==, ref_access_valid_range(view, addr, len, w));
    g_assert_cmpstr(log->str, ==, expect->str);
}

static void board_buffers(RefBoard *b, GString *expect, unsigned run)
{
    for (hwaddr addr = b->base - 4; addr < b->end + 4; addr++) {
        for (unsigned len = 1; len <= 10; len++) {
            for (int w = 0; w < 2; w++) {
                compare_buffer_access(&b->as, &b->view, b->dev->log, expect,
                                      run, addr, len, w);
            }
        }
    }
    board_check_ram(b);
}

static void board_typed(RefBoard *b, GString *expect)
{
    for (hwaddr addr = b->base - 4; addr < b->end + 4; addr++) {
        for (unsigned size = 1; size <= 8; size *= 2) {
            for (int order = -1; order <= 1; order++) {
                bool big = order < 0 ? b->view.target_big : order == 1;

                for (int w = 0; w < 2; w++) {
                    uint64_t v = 0xf1e2d3c4b5a69788ull ^ addr, mv = v;
                    MemTxResult r = 0x55, mr;

                    if (size == 1 && order != 0) {
                        continue; /* one byte has no order */
                    }
                    g_string_truncate(b->dev->log, 0);
                    g_string_truncate(expect, 0);
                    if (w) {
                        typed_st(&b->as, addr, size, order, v, &r);
                    } else {
                        v = typed_ld(&b->as, addr, size, order, &r);
                    }
                    mr = ref_typed(&b->view, addr, size, &mv, w, big);
                    if (r != mr || (!w && v != mv) ||
                        strcmp(b->dev->log->str, expect->str)) {
                        g_test_message("%s%u order %d at %#" PRIx64
                                       ": %#x %" PRIx64
                                       " [%s] vs model %#x %" PRIx64 " [%s]",
                                       w ? "st" : "ld", size, order, addr, r, v,
                                       b->dev->log->str, mr, mv, expect->str);
                    }
                    g_assert_cmphex(r, ==, mr);
                    if (!w) {
                        g_assert_cmphex(v, ==, mv);
                    }
                    g_assert_cmpstr(b->dev->log->str, ==, expect->str);
                }
            }
        }
    }
    board_check_ram(b);
}

/* Every configuration of test_reference_sweep(), on a board. */
static void test_reference_address_space(void)
{
    GString *expect = g_string_new("");

    for (unsigned n = 0; n < REF_RUNS; n++) {
        RefConfig c = ref_run(n);
        RefBoard *b = g_new(RefBoard, 1);

        board_init(b, &c, (n / 2) % 4, (n / 2) & 16, expect);
        board_buffers(b, expect, n);
        board_typed(b, expect);
        board_destroy(b);
        g_free(b);
    }
    g_string_free(expect, TRUE);
}

/*
 * The device at the top of the space, RAM at address 0: buffer accesses
 * (and address_space_access_valid()) from below the device across 2^64
 * wrap to address 0 as QEMU's addr += l does, a chunk passing 2^64 too
 * (the device's offsets then pass its end: QEMU's, or cut with
 * mmio-bounds). Every seventh run of the sweeps, both modes, as the
 * model.
 */
static void test_reference_top(void)
{
    GString *expect = g_string_new("");

    for (unsigned n = 0; n < REF_RUNS; n += 7) {
        RefConfig c = ref_run(n);
        RecDev *d = rec_new(&c);
        MemoryRegion root, ram;
        AddressSpace as;
        uint8_t model_ram[16];
        hwaddr base = 0 - c.size;
        RefDev m = model_of(d, c.size, expect);
        RefSection sec[2] = {
            {.start = 0,
             .size = 16,
             .kind = REF_RAM,
             .ram = model_ram,
             .ram_size = 16},
            {.start = base, .size = c.size, .kind = REF_MMIO, .dev = &m},
        };
        RefView view = {.s = sec, .nr = 2, .target_big = c.target_be};

        g_assert_true(
            memory_region_init(&root, NULL, "root", UINT64_MAX, NULL));
        g_assert_true(memory_region_init_ram(&ram, NULL, "ram", 16, NULL));
        for (unsigned i = 0; i < 16; i++) {
            model_ram[i] = (uint8_t)(0x10 + i);
        }
        memcpy(memory_region_get_ram_ptr(&ram), model_ram, 16);
        g_assert_true(memory_region_add_subregion(&root, 0, &ram, NULL));
        g_assert_true(memory_region_add_subregion(&root, base, &d->mr, NULL));
        g_assert_true(address_space_init(&as, &root, "top", NULL));
        address_space_set_big_endian(&as, c.target_be);
        for (hwaddr addr = base - 2; addr != 2; addr++) {
            for (unsigned len = 1; len <= 10; len++) {
                for (int w = 0; w < 2; w++) {
                    compare_buffer_access(&as, &view, d->log, expect, n, addr,
                                          len, w);
                }
            }
        }
        g_assert_cmpmem(memory_region_get_ram_ptr(&ram), 16, model_ram, 16);
        address_space_destroy(&as);
        memory_region_del_subregion(&root, &d->mr, NULL);
        memory_region_finalize(&root);
        drain_call_rcu();
        memory_region_finalize(&ram);
        rec_free(d);
    }
    g_string_free(expect, TRUE);
}

/*
 * A ROM device in romd mode whose upper half is covered by RAM: typed and
 * buffer reads of its section copy its RAM directly and, as in QEMU (a ROM
 * device is not RAM, so its length is not clamped to the section), read
 * past the section into the covered bytes; a typed read past the device's
 * end is refused (ours); writes go to its ops; an access_valid() read
 * range starting in it is accepted to its end. All as the model.
 */
static void test_reference_romd(void)
{
    RefConfig c = {.endianness = DEVICE_LITTLE_ENDIAN, .size = 16};
    GString *expect = g_string_new("");
    RecDev *d = g_new0(RecDev, 1);
    MemoryRegion root = {0}, cover = {0};
    AddressSpace as;
    uint8_t model_romd[16], model_cover[8], *romd;
    RefSection sec[2];
    RefView view = {.s = sec, .nr = 2};
    RefDev mdev;

    d->ops = (MemoryRegionOps){.read_with_attrs = rec_read,
                               .write_with_attrs = rec_write,
                               .endianness = c.endianness};
    d->log = g_string_new("");
    g_assert_true(memory_region_init_rom_device(&d->mr, NULL, &d->ops, d,
                                                "romd", 16, NULL));
    g_assert_true(memory_region_init(&root, NULL, "root", 0x1000, NULL));
    g_assert_true(memory_region_init_ram(&cover, NULL, "cover", 8, NULL));
    romd = memory_region_get_ram_ptr(&d->mr);
    for (unsigned i = 0; i < 16; i++) {
        romd[i] = model_romd[i] = (uint8_t)(0x40 + i);
    }
    memset(memory_region_get_ram_ptr(&cover), 0xcc, 8);
    memset(model_cover, 0xcc, 8);
    g_assert_true(memory_region_add_subregion(&root, 0x100, &d->mr, NULL));
    g_assert_true(
        memory_region_add_subregion_overlap(&root, 0x108, &cover, 1, NULL));
    g_assert_true(address_space_init(&as, &root, "romd", NULL));
    mdev = model_of(d, 16, expect);
    sec[0] = (RefSection){.start = 0x100,
                          .size = 8,
                          .kind = REF_ROMD,
                          .dev = &mdev,
                          .ram = model_romd,
                          .ram_size = 16};
    sec[1] = (RefSection){.start = 0x108,
                          .size = 8,
                          .kind = REF_RAM,
                          .ram = model_cover,
                          .ram_size = 8};

    for (hwaddr addr = 0xfc; addr < 0x114; addr++) {
        for (unsigned size = 1; size <= 8; size *= 2) {
            for (int w = 0; w < 2; w++) {
                uint64_t v = 0x1122334455667788ull, mv = v;
                MemTxResult r, mr;

                g_string_truncate(d->log, 0);
                g_string_truncate(expect, 0);
                if (w) {
                    typed_st(&as, addr, size, 0, v, &r);
                } else {
                    v = typed_ld(&as, addr, size, 0, &r);
                }
                mr = ref_typed(&view, addr, size, &mv, w, false);
                g_assert_cmphex(r, ==, mr);
                if (!w) {
                    g_assert_cmphex(v, ==, mv);
                }
                g_assert_cmpstr(d->log->str, ==, expect->str);
            }
        }
        for (unsigned len = 1; len <= 10; len++) {
            for (int w = 0; w < 2; w++) {
                uint8_t buf[10], mbuf[10];
                MemTxResult r, mr;

                memset(buf, 0x99, sizeof(buf));
                memset(mbuf, 0x99, sizeof(mbuf));
                g_string_truncate(d->log, 0);
                g_string_truncate(expect, 0);
                r = address_space_rw(&as, addr, MEMTXATTRS_UNSPECIFIED, buf,
                                     len, w);
                mr = ref_rw(&view, addr, mbuf, len, w);
                g_assert_cmphex(r, ==, mr);
                g_assert_cmpmem(buf, len, mbuf, len);
                g_assert_cmpstr(d->log->str, ==, expect->str);
                g_assert_cmpint(address_space_access_valid(
                                    &as, addr, len, w, MEMTXATTRS_UNSPECIFIED),
                                ==,
                                ref_access_valid_range(&view, addr, len, w));
            }
        }
    }
    /* the cases named above, explicitly */
    g_assert_cmphex(
        address_space_ldl_le(&as, 0x106, MEMTXATTRS_UNSPECIFIED, NULL), ==,
        0x49484746);
    g_assert_true(address_space_access_valid(&as, 0x104, 0x100, false,
                                             MEMTXATTRS_UNSPECIFIED));
    g_assert_cmpmem(romd, 16, model_romd, 16);
    g_assert_cmpmem(memory_region_get_ram_ptr(&cover), 8, model_cover, 8);

    address_space_destroy(&as);
    memory_region_finalize(&root);
    drain_call_rcu();
    memory_region_finalize(&cover);
    memory_region_finalize(&d->mr);
    g_string_free(d->log, TRUE);
    g_free(d);
    g_string_free(expect, TRUE);
}

/* --- (8) a UART written the QEMU way --------------------------------------- */

/*
 * 8 byte-wide registers, but impl.min_access_size 4 (so the callbacks
 * always get 4 bytes, as many QEMU models declare); reading the data
 * register at 0 pops the receive FIFO, writing it transmits. In QEMU a
 * byte write is one write callback at the byte's own offset with the byte
 * (zero-extended): the FIFO is not touched and the byte is not lost.
 */
typedef struct Uart {
    MemoryRegion mr;
    GString *calls;
    GString *tx;
    char rx[8];
    unsigned rx_head, rx_len;
    uint8_t ier, scr;
} Uart;

static uint64_t uart_read(void *opaque, hwaddr addr, unsigned size)
{
    Uart *u = opaque;
    uint64_t v = 0;

    switch (addr) {
    case 0:
        if (u->rx_len) {
            v = (uint8_t)u->rx[u->rx_head++];
            u->rx_len--;
        }
        break;
    case 1:
        v = u->ier;
        break;
    case 7:
        v = u->scr;
        break;
    }
    g_string_append_printf(u->calls, " r%u@%" PRIx64, size, addr);
    return v;
}

static void uart_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    Uart *u = opaque;

    switch (addr) {
    case 0:
        g_string_append_c(u->tx, (char)val);
        break;
    case 1:
        u->ier = val & 0x0f;
        break;
    case 7:
        u->scr = (uint8_t)val;
        break;
    }
    g_string_append_printf(u->calls, " w%u@%" PRIx64 "=%" PRIx64, size, addr,
                           val);
}

static const MemoryRegionOps uart_ops = {
    .read = uart_read,
    .write = uart_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 4, .max_access_size = 4},
};

#define UART_BASE 0x3f8

typedef struct UartBoard {
    MemoryRegion root;
    AddressSpace as;
    Uart *uart;
} UartBoard;

static void uart_board_init(UartBoard *b, bool bounds)
{
    Uart *u = g_new0(Uart, 1);

    memset(b, 0, sizeof(*b));
    u->calls = g_string_new("");
    u->tx = g_string_new("");
    memcpy(u->rx, "AB", 2);
    u->rx_len = 2;
    g_assert_true(
        memory_region_init_io(&u->mr, NULL, &uart_ops, u, "uart", 8, NULL));
    if (bounds) {
        memory_region_enable_bounds_check(&u->mr);
    }
    g_assert_true(memory_region_init(&b->root, NULL, "io", 0x10000, NULL));
    g_assert_true(
        memory_region_add_subregion(&b->root, UART_BASE, &u->mr, NULL));
    g_assert_true(address_space_init(&b->as, &b->root, "io", NULL));
    b->uart = u;
}

static void uart_board_destroy(UartBoard *b)
{
    address_space_destroy(&b->as);
    memory_region_finalize(&b->root);
    drain_call_rcu();
    memory_region_finalize(&b->uart->mr);
    g_string_free(b->uart->calls, TRUE);
    g_string_free(b->uart->tx, TRUE);
    g_free(b->uart);
}

static void test_uart_byte_writes(void)
{
    UartBoard b;
    MemTxResult r;
    uint8_t byte = 'y';

    uart_board_init(&b, false);
    /* typed byte stores: one write callback each, no read, FIFO intact */
    address_space_stb(&b.as, UART_BASE, 'x', MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    address_space_stb(&b.as, UART_BASE + 1, 0x05, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    g_assert_cmpstr(b.uart->calls->str, ==, " w4@0=78 w4@1=5");
    g_assert_cmpstr(b.uart->tx->str, ==, "x");
    g_assert_cmpuint(b.uart->ier, ==, 5);
    g_assert_cmpuint(b.uart->rx_len, ==, 2);
    /* a one-byte buffer write is the same */
    g_string_truncate(b.uart->calls, 0);
    g_assert_cmphex(
        address_space_write(&b.as, UART_BASE, MEMTXATTRS_UNSPECIFIED, &byte, 1),
        ==, MEMTX_OK);
    g_assert_cmpstr(b.uart->calls->str, ==, " w4@0=79");
    g_assert_cmpstr(b.uart->tx->str, ==, "xy");
    g_assert_cmpuint(b.uart->rx_len, ==, 2);
    /* a byte read of the data register pops exactly one byte */
    g_assert_cmphex(
        address_space_ldub(&b.as, UART_BASE, MEMTXATTRS_UNSPECIFIED, &r), ==,
        'A');
    g_assert_cmpuint(b.uart->rx_len, ==, 1);
    g_assert_cmphex(
        address_space_ldub(&b.as, UART_BASE + 1, MEMTXATTRS_UNSPECIFIED, &r),
        ==, 5);
    g_assert_cmpuint(b.uart->rx_len, ==, 1);
    /* the last register: as in QEMU 7.2, a 4-byte callback at 7 that
     * passes the region's end (the device decodes the offset) */
    g_string_truncate(b.uart->calls, 0);
    address_space_stb(&b.as, UART_BASE + 7, 0x5a, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    g_assert_cmphex(
        address_space_ldub(&b.as, UART_BASE + 7, MEMTXATTRS_UNSPECIFIED, &r),
        ==, 0x5a);
    g_assert_cmpstr(b.uart->calls->str, ==, " w4@7=5a r4@7");
    uart_board_destroy(&b);

    /* with memory_region_enable_bounds_check(): the callback gets the
     * access's own byte there */
    uart_board_init(&b, true);
    address_space_stb(&b.as, UART_BASE + 7, 0x5a, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    g_assert_cmphex(
        address_space_ldub(&b.as, UART_BASE + 7, MEMTXATTRS_UNSPECIFIED, &r),
        ==, 0x5a);
    g_assert_cmpstr(b.uart->calls->str, ==, " w1@7=5a r1@7");
    uart_board_destroy(&b);
}

/* --- the region's end through an AddressSpace ------------------------------ */

/* A 6-byte testdev whose callbacks take 4 bytes, at END_BASE. */
#define END_BASE 0x1000

typedef struct EndBoard {
    MemoryRegion root;
    AddressSpace as;
    TestDev *dev;
} EndBoard;

static void end_board_init(EndBoard *b, bool bounds)
{
    TestDevConfig cfg = {.size = 6,
                         .endianness = DEVICE_LITTLE_ENDIAN,
                         .impl_min = 4,
                         .impl_max = 4,
                         .bounds_check = bounds};

    memset(b, 0, sizeof(*b));
    b->dev = dev_new(&cfg);
    g_assert_true(memory_region_init(&b->root, NULL, "root", 0x10000, NULL));
    g_assert_true(memory_region_add_subregion(&b->root, END_BASE,
                                              testdev_region(b->dev), NULL));
    g_assert_true(address_space_init(&b->as, &b->root, "end", NULL));
}

static void end_board_destroy(EndBoard *b)
{
    address_space_destroy(&b->as);
    memory_region_finalize(&b->root);
    drain_call_rcu();
    dev_done(b->dev);
    drain_call_rcu();
}

/*
 * An ldl at offset size - 2: QEMU 7.2's address_space_ldl does not clamp
 * an MMIO length, and its dispatch does not check the region's end: one
 * 4-byte callback at offset 4, passing the end. With the mmio-bounds
 * opt-in (@bounds): refused, nothing called.
 */
static void check_typed_load_past_end(bool bounds)
{
    EndBoard b;
    MemTxResult r = MEMTX_ERROR;
    char *log;

    end_board_init(&b, bounds);
    g_assert_cmphex(
        address_space_ldl_le(&b.as, END_BASE + 4, MEMTXATTRS_UNSPECIFIED, &r),
        ==, 0);
    g_assert_cmphex(r, ==, bounds ? MEMTX_DECODE_ERROR : MEMTX_OK);
    log = log_with_values(b.dev);
    g_assert_cmpstr(log, ==, bounds ? "" : "r4@0x4=0x0");
    g_free(log);
    end_board_destroy(&b);
}

/*
 * A byte write at the last offset: QEMU's access_with_adjusted_size()
 * widens it to impl.min_access_size, past the end: one 4-byte write
 * callback at 5 with the byte zero-extended. With the mmio-bounds opt-in
 * (@bounds): a 1-byte write callback at 5.
 */
static void check_widening_at_end(bool bounds)
{
    EndBoard b;
    MemTxResult r = MEMTX_ERROR;
    char *log;

    end_board_init(&b, bounds);
    address_space_stb(&b.as, END_BASE + 5, 0xab, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    log = log_with_values(b.dev);
    g_assert_cmpstr(log, ==, bounds ? "w1@0x5=0xab" : "w4@0x5=0xab");
    g_free(log);
    end_board_destroy(&b);
}

static void test_qemu_typed_load_past_end(void)
{
    check_typed_load_past_end(false);
}

static void test_opt_in_typed_load_past_end(void)
{
    check_typed_load_past_end(true);
}

static void test_qemu_widening_at_end(void)
{
    check_widening_at_end(false);
}

static void test_opt_in_widening_at_end(void)
{
    check_widening_at_end(true);
}

/*
 * A RAM device (QEMU's ram_device_mem_ops read and write the host memory
 * at any offset they get, past the block too: not reproducible) always has
 * the mmio-bounds checks: a typed load past its end is refused, a buffer
 * read stops at its end (ASan would see a read past the caller's buffer).
 */
static void test_ram_device_past_end(void)
{
    uint8_t *host = g_malloc(6);
    MemoryRegion root, dev;
    AddressSpace as;
    uint8_t buf[4];
    MemTxResult r = MEMTX_OK;

    memcpy(host, "\x11\x22\x33\x44\x55\x66", 6);
    g_assert_true(memory_region_init(&root, NULL, "root", 0x10000, NULL));
    g_assert_true(
        memory_region_init_ram_device_ptr(&dev, NULL, "bar", 6, host, NULL));
    g_assert_true(memory_region_add_subregion(&root, END_BASE, &dev, NULL));
    g_assert_true(address_space_init(&as, &root, "ramd", NULL));
    g_assert_cmphex(
        address_space_ldl_le(&as, END_BASE + 4, MEMTXATTRS_UNSPECIFIED, &r), ==,
        0);
    g_assert_cmphex(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(
        address_space_read(&as, END_BASE + 4, MEMTXATTRS_UNSPECIFIED, buf, 4),
        ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(buf[0], ==, 0x55);
    g_assert_cmphex(buf[1], ==, 0x66);
    g_assert_cmphex(buf[2], ==, 0);
    address_space_destroy(&as);
    memory_region_finalize(&root);
    drain_call_rcu();
    memory_region_finalize(&dev);
    g_free(host);
}

/* --- memory_access_size() -------------------------------------------------- */

typedef struct SizeRow {
    unsigned vmax;
    bool iunal;
    unsigned len;
    hwaddr offset;
    unsigned expected;
} SizeRow;

static const SizeRow size_rows[] = {
    /* QEMU physmem: max valid.max (0 means 4), bounded by the offset's
     * alignment unless impl.unaligned, then the power of two below len */
    {0, F, 8, 0, 4}, {0, F, 3, 0, 2},
    {0, F, 1, 0, 1}, {0, F, 0, 0, 0},
    {0, F, 4, 2, 2}, {0, F, 4, 1, 1},
    {0, F, 4, 6, 2}, {0, F, 8, 0x100000000ull, 4},
    {8, F, 8, 0, 8}, {8, F, 8, 4, 4},
    {8, F, 7, 8, 4}, {8, F, 100, 0x18, 8},
    {2, F, 4, 0, 2}, {1, F, 8, 0, 1},
    {0, T, 4, 1, 4}, {0, T, 3, 1, 2},
    {8, T, 8, 3, 8}, {16, F, 16, 0, 8}, /* our dispatcher's limit */
};

static void test_access_size_table(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(size_rows); i++) {
        const SizeRow *row = &size_rows[i];
        TestDevConfig cfg = {
            .size = 16,
            .valid_max = row->vmax,
            .impl_unaligned = row->iunal,
        };
        TestDev *dev = dev_new(&cfg);

        g_test_message("size row %zu", i);
        g_assert_cmpuint(
            memory_access_size(testdev_region(dev), row->len, row->offset), ==,
            row->expected);
        dev_done(dev);
    }
    drain_call_rcu();
}

/* --- the fast path ----------------------------------------------------- */

typedef struct FastRow {
    unsigned vmin, vmax, imin, imax;
    bool accepts;
    unsigned mask, piece;
} FastRow;

/* Which sizes skip the planning: accepted, neither widened nor cut into
 * overhanging pieces, never asked; and the piece size. */
static void test_fast_sizes(void)
{
    static const FastRow rows[] = {
        {0, 0, 0, 0, F, 1 | 2 | 4 | 8, 4}, /* defaults: 8 is two 4s */
        {1, 8, 1, 8, F, 1 | 2 | 4 | 8, 8},
        {1, 4, 1, 4, F, 1 | 2 | 4, 4},
        {4, 4, 1, 4, F, 4, 4},
        {1, 8, 4, 4, F, 4 | 8, 4}, /* 1 and 2 widen */
        {1, 8, 8, 0, F, 8, 8},     /* MAX(MIN(s, 4), 8) = 8 */
        {1, 8, 3, 0, F, 4 | 8, 4}, /* 1 and 2 widen to 3 */
        {1, 8, 4, 2, F, 4 | 8, 4}, /* empty impl range: impl.min wins */
        {1, 8, 1, 3, F, 1 | 2, 3}, /* 4 and 8 in overhanging 3s */
        {1, 8, 1, 16, F, 1 | 2 | 4 | 8, 8},
        {1, 8, 16, 0, F, 0, 0},
        {1, 8, 1, 8, T, 0, 0}, /* valid.accepts sees everything */
    };

    g_assert_cmpuint(memory_region_ops_fast_sizes(NULL), ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        MemoryRegionOps ops = {
            .valid = {.min_access_size = rows[i].vmin,
                      .max_access_size = rows[i].vmax,
                      .accepts = rows[i].accepts ? refuse_offset_8 : NULL},
            .impl = {.min_access_size = rows[i].imin,
                     .max_access_size = rows[i].imax},
        };

        g_test_message("fast row %zu", i);
        g_assert_cmpuint(memory_region_ops_fast_sizes(&ops), ==, rows[i].mask);
        g_assert_cmpuint(memory_region_ops_piece_size(&ops), ==, rows[i].piece);
    }
}

/* The /dispatch/fast/ runs really take the fast path, often. */
static void test_fast_taken(void)
{
    use_fast = true;
    fast_taken = 0;
    test_matrix_table();
    g_assert_cmpuint(fast_taken, >=, 10);
    test_reference_sweep();
    g_assert_cmpuint(fast_taken, >=, 20000);
    use_fast = false;
}

/* The /dispatch/inline/ runs really take the inline path, often. */
static void test_inline_taken(void)
{
    use_fast = use_inline = true;
    inline_taken = 0;
    test_matrix_table();
    g_assert_cmpuint(inline_taken, >=, 5);
    test_reference_sweep();
    g_assert_cmpuint(inline_taken, >=, 20000);
    use_fast = use_inline = false;
}

typedef struct DispatchTest {
    const char *path;
    void (*fn)(void);
} DispatchTest;

static const DispatchTest tests[] = {
    {"/matrix/table", test_matrix_table},
    {"/matrix/accepts", test_matrix_accepts},
    {"/matrix/bad-sizes", test_matrix_bad_sizes},
    {"/endian/table", test_endian_table},
    {"/endian/split-widen", test_endian_split},
    {"/endian/split-widen-opt-in", test_endian_split_bounds},
    {"/endian/masking", test_endian_masking},
    {"/callbacks/missing", test_callbacks_missing},
    {"/callbacks/results", test_callbacks_results},
    {"/callbacks/attrs", test_callbacks_attrs},
    {"/reentrancy/self", test_reentrancy_self},
    {"/reentrancy/same-owner", test_reentrancy_same_owner},
    {"/reentrancy/cross-device", test_reentrancy_cross_device},
    {"/reentrancy/no-owner", test_reentrancy_no_owner},
    {"/reentrancy/default-off", test_reentrancy_default_off},
    {"/reentrancy/opt-out", test_reentrancy_opt_out},
    {"/reentrancy/depth-self", test_reentrancy_depth_self},
    {"/reentrancy/depth-chain", test_reentrancy_depth_chain},
    {"/reentrancy/per-thread", test_reentrancy_per_thread},
    {"/lock/held", test_lock_held},
    {"/lock/bql", test_lock_bql},
    {"/lock/bql-nested", test_lock_bql_nested},
    {"/lock/split-atomic", test_lock_split_atomic},
    {"/bounds/qemu/table", test_bounds_qemu_table},
    {"/bounds/opt-in/table", test_bounds_opt_in_table},
    {"/reservation", test_reservation},
    {"/rom-device", test_rom_device},
    {"/reference/sweep", test_reference_sweep},
};

static void run_general(gconstpointer data)
{
    use_fast = false;
    ((const DispatchTest *)data)->fn();
}

static void run_fast(gconstpointer data)
{
    use_fast = true;
    ((const DispatchTest *)data)->fn();
    use_fast = false;
}

static void run_inline(gconstpointer data)
{
    use_fast = use_inline = true;
    ((const DispatchTest *)data)->fn();
    use_fast = use_inline = false;
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(tests); i++) {
        char *general = g_strconcat("/dispatch", tests[i].path, NULL);
        char *fast = g_strconcat("/dispatch/fast", tests[i].path, NULL);
        char *inl = g_strconcat("/dispatch/inline", tests[i].path, NULL);

        g_test_add_data_func(general, &tests[i], run_general);
        g_test_add_data_func(fast, &tests[i], run_fast);
        g_test_add_data_func(inl, &tests[i], run_inline);
        g_free(general);
        g_free(fast);
        g_free(inl);
    }
    g_test_add_func("/dispatch/fast/sizes", test_fast_sizes);
    g_test_add_func("/dispatch/fast/taken", test_fast_taken);
    g_test_add_func("/dispatch/inline/taken", test_inline_taken);
    g_test_add_func("/dispatch/access-size/table", test_access_size_table);
    g_test_add_func("/dispatch/reference/address-space",
                    test_reference_address_space);
    g_test_add_func("/dispatch/reference/romd", test_reference_romd);
    g_test_add_func("/dispatch/reference/top-of-space", test_reference_top);
    g_test_add_func("/dispatch/uart/byte-writes", test_uart_byte_writes);
    g_test_add_func("/dispatch/qemu/typed-load-past-end-calls-device",
                    test_qemu_typed_load_past_end);
    g_test_add_func("/dispatch/opt-in/typed-load-past-end-refused",
                    test_opt_in_typed_load_past_end);
    g_test_add_func("/dispatch/qemu/widening-at-end",
                    test_qemu_widening_at_end);
    g_test_add_func("/dispatch/opt-in/widening-at-end",
                    test_opt_in_widening_at_end);
    g_test_add_func("/dispatch/ram-device/past-end-refused",
                    test_ram_device_past_end);
    return g_test_run();
}
