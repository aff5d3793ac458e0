/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of MMIO dispatch (memory/dispatch.c): QEMU's valid/impl rules
 * with our deviations, endianness, the re-entrancy guard, the region lock,
 * the callback-bounds invariant, reservations and memory_access_size().
 * The internal functions are called directly, inside read-side sections as
 * the access path does.
 *
 * Every test runs three times: under /dispatch/ through the general path
 * (memory_region_dispatch_read/_write), under /dispatch/fast/ with each
 * access that qualifies for the fast path (a fast size of the ops,
 * aligned) sent to memory_region_load_fast/_store_fast instead, and under
 * /dispatch/inline/ with each access the typed loads' inline MMIO path
 * would take (a fast size, aligned, depth 0, no lock) sent to
 * memory_region_mmio_load_inline/_store_inline, the rest to the fast path:
 * the same tables must hold for all three.
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "../../memory/memory-internal.h"
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

static MemTxResult rd_attrs(MemoryRegion *mr, hwaddr offset, unsigned size,
                            uint64_t *value, bool big_endian, bool target_be,
                            MemTxAttrs attrs)
{
    MemTxResult r;
    unsigned piece;

    RCU_READ_LOCK_GUARD();
    if (takes_inline(mr, offset, size, &piece)) {
        *value = memory_region_mmio_load_inline(
            mr, offset, size, piece, big_endian, target_be, attrs, &r);
        return r;
    }
    if (takes_fast(mr, offset, size)) {
        *value = memory_region_load_fast(mr, offset, size, big_endian,
                                         target_be, attrs, &r);
        return r;
    }
    return memory_region_dispatch_read(mr, offset, value, size, big_endian,
                                       target_be, attrs);
}

static MemTxResult wr_attrs(MemoryRegion *mr, hwaddr offset, unsigned size,
                            uint64_t value, bool big_endian, bool target_be,
                            MemTxAttrs attrs)
{
    unsigned piece;

    RCU_READ_LOCK_GUARD();
    if (takes_inline(mr, offset, size, &piece)) {
        return memory_region_mmio_store_inline(mr, offset, size, piece, value,
                                               big_endian, target_be, attrs);
    }
    if (takes_fast(mr, offset, size)) {
        return memory_region_store_fast(mr, offset, value, size, big_endian,
                                        target_be, attrs);
    }
    return memory_region_dispatch_write(mr, offset, value, size, big_endian,
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

static TestDev *dev_new(const TestDevConfig *cfg)
{
    GError *err = NULL;
    TestDev *dev = testdev_new("testdev", cfg, &err);

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

static uint64_t le_load(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = n; i-- > 0;) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* --- (1) the valid/impl matrix ------------------------------------------ */

/*
 * One access on a 16-byte little-endian testdev whose register file holds
 * 0x10..0x1f, with the callbacks it must cause ("r4@0x4" = a 4-byte read
 * callback at offset 4) and the result. Write rows write
 * 0xa8a7a6a5a4a3a2a1 truncated; their read callbacks are the
 * read-modify-write of a widened access.
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
    /* splitting down to impl.max_access_size */
    {1, 8, F, 1, 8, F, 'r', 8, 8, OK, "r8@0x8"},
    {1, 8, F, 1, 2, F, 'r', 8, 0, OK, "r2@0x0 r2@0x2 r2@0x4 r2@0x6"},
    {1, 4, F, 1, 1, F, 'w', 4, 4, OK, "w1@0x4 w1@0x5 w1@0x6 w1@0x7"},
    {1, 4, F, 1, 3, F, 'r', 4, 0, OK, "r2@0x0 r2@0x2"}, /* 3 rounds to 2 */
    /* widening to impl.min_access_size: the aligned unit holding the bytes */
    {1, 4, F, 4, 4, F, 'r', 1, 5, OK, "r4@0x4"},
    {1, 4, F, 4, 4, F, 'r', 2, 6, OK, "r4@0x4"},
    {1, 4, F, 4, 4, F, 'w', 1, 5, OK, "r4@0x4 w4@0x4"},
    {1, 4, F, 4, 4, F, 'w', 2, 2, OK, "r4@0x0 w4@0x0"},
    {1, 4, F, 2, 4, F, 'r', 1, 3, OK, "r2@0x2"},
    {1, 8, F, 8, 8, F, 'r', 2, 10, OK, "r8@0x8"},
    {1, 8, F, 8, 8, F, 'w', 4, 4, OK, "r8@0x0 w8@0x0"},
    {1, 8, F, 8, 0, F, 'r', 4, 0, OK, "r8@0x0"}, /* lone min 8: max 8 */
    {1, 8, F, 8, 0, F, 'r', 8, 8, OK, "r8@0x8"},
    {1, 4, F, 3, 0, F, 'r', 1, 1, OK, "r4@0x0"}, /* min 3 rounds to 4 */
    /* impl ranges no callback size satisfies */
    {1, 4, F, 4, 2, F, 'r', 4, 0, DEC, ""},
    {1, 4, F, 16, 0, F, 'r', 4, 0, DEC, ""},
    /* valid.unaligned, impl aligned only: naturally aligned pieces */
    {1, 4, T, 1, 4, F, 'r', 4, 1, OK, "r1@0x1 r2@0x2 r1@0x4"},
    {1, 4, T, 1, 4, F, 'w', 2, 1, OK, "w1@0x1 w1@0x2"},
    {1, 4, T, 1, 4, F, 'r', 4, 2, OK, "r2@0x2 r2@0x4"},
    {1, 4, T, 1, 4, F, 'r', 2, 3, OK, "r1@0x3 r1@0x4"},
    {1, 8, T, 1, 4, F, 'r', 8, 1, OK, "r1@0x1 r2@0x2 r4@0x4 r1@0x8"},
    {1, 8, T, 1, 8, F, 'w', 8, 4, OK, "w4@0x4 w4@0x8"},
    /* ... and where pieces would be below impl.min, widened aligned units */
    {1, 4, T, 4, 4, F, 'r', 4, 2, OK, "r4@0x0 r4@0x4"},
    {1, 4, T, 4, 4, F, 'w', 4, 2, OK, "r4@0x0 w4@0x0 r4@0x4 w4@0x4"},
    {1, 4, T, 2, 4, F, 'r', 4, 1, OK, "r2@0x0 r2@0x2 r2@0x4"},
    {1, 4, T, 2, 4, F, 'w', 4, 1, OK, "r2@0x0 w2@0x0 w2@0x2 r2@0x4 w2@0x4"},
    /* impl.unaligned: unaligned offsets reach the callback (QEMU) */
    {1, 4, T, 1, 4, T, 'r', 4, 1, OK, "r4@0x1"},
    {1, 4, T, 1, 4, T, 'w', 2, 3, OK, "w2@0x3"},
    {1, 8, T, 1, 4, T, 'r', 8, 1, OK, "r4@0x1 r4@0x5"},
    {1, 4, T, 4, 4, T, 'r', 4, 2, OK, "r4@0x2"},
    {1, 4, T, 4, 4, T, 'r', 1, 3, OK, "r4@0x0"}, /* widening stays aligned */
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
    uint8_t regs[16], after[16];
    size_t nregs = MIN(region_size, sizeof(regs));
    uint64_t value = 0xa8a7a6a5a4a3a2a1ull, got = 0x5555;
    MemTxResult r;

    for (unsigned i = 0; i < sizeof(regs); i++) {
        regs[i] = 0x10 + i;
    }
    testdev_regs_write(dev, 0, regs, nregs);
    g_assert_cmpint(valid(mr, row->offset, row->size, row->op == 'w'), ==,
                    row->result != DEC);
    if (row->op == 'r') {
        r = rd(mr, row->offset, row->size, &got);
    } else {
        r = wr(mr, row->offset, row->size, value);
    }
    g_assert_cmphex(r, ==, row->result);
    assert_log(dev, row->calls);

    testdev_regs_read(dev, 0, after, nregs);
    if (row->op == 'r') {
        g_assert_cmphex(got, ==,
                        r == OK ? le_load(regs + row->offset, row->size) : 0);
    } else if (r == OK) {
        /* the request's bytes changed, and only those */
        for (unsigned i = 0; i < row->size; i++) {
            regs[row->offset + i] = (uint8_t)(value >> (8 * i));
        }
    }
    g_assert_cmpmem(after, nregs, regs, nregs);
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

/*
 * Every combination of valid and impl constraints, endianness, region
 * sizes, access sizes and offsets, against a byte model of the register
 * file: accepted accesses read and write exactly the request's bytes,
 * refused ones call nothing, and memory_region_access_valid() agrees.
 */
static void sweep_one(const TestDevConfig *cfg, bool target_be)
{
    TestDev *dev = dev_new(cfg);
    MemoryRegion *mr = testdev_region(dev);
    uint8_t model[16] = {0}, regs[16];
    unsigned n = 0;

    for (unsigned size = 1; size <= 8; size *= 2) {
        for (hwaddr off = 0; off <= cfg->size; off++) {
            for (int w = 0; w < 2; w++, n++) {
                bool xbe = n & 1;
                guint before = testdev_log_len(dev);
                uint64_t v = 0x0102030405060708ull * (n + 1);
                uint8_t bytes[8];
                bool ok = valid(mr, off, size, w);
                MemTxResult r;

                if (w) {
                    v &= size == 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
                    r = wr_attrs(mr, off, size, v, xbe, target_be,
                                 MEMTXATTRS_UNSPECIFIED);
                } else {
                    r = rd_attrs(mr, off, size, &v, xbe, target_be,
                                 MEMTXATTRS_UNSPECIFIED);
                }
                g_assert_cmphex(r, ==, ok ? OK : DEC);
                if (!ok) {
                    g_assert_cmpuint(testdev_log_len(dev), ==, before);
                    continue;
                }
                g_assert_cmpuint(testdev_log_len(dev), >, before);
                g_assert_cmpuint(off + size, <=, cfg->size);
                for (unsigned i = 0; i < size; i++) {
                    bytes[i] = (uint8_t)(v >> (8 * (xbe ? size - 1 - i : i)));
                }
                if (w) {
                    memcpy(model + off, bytes, size);
                } else {
                    g_assert_cmpmem(bytes, size, model + off, size);
                }
            }
        }
    }
    testdev_regs_read(dev, 0, regs, cfg->size);
    g_assert_cmpmem(regs, cfg->size, model, cfg->size);
    dev_done(dev);
}

static void test_matrix_sweep(void)
{
    static const unsigned sizes[] = {0, 1, 2, 4, 8};
    static const uint64_t region_sizes[] = {3, 6, 16};
    static const enum device_endian ends[] = {
        DEVICE_LITTLE_ENDIAN, DEVICE_BIG_ENDIAN, DEVICE_NATIVE_ENDIAN};
    unsigned combos = 0;

    for (unsigned a = 0; a < 5; a++)
        for (unsigned b = 0; b < 5; b++)
            for (unsigned c = 0; c < 5; c++)
                for (unsigned d = 0; d < 5; d++)
                    for (unsigned u = 0; u < 4; u++) {
                        TestDevConfig cfg = {
                            .size = region_sizes[combos % 3],
                            .endianness = ends[(combos / 3) % 3],
                            .native_big_endian = combos & 1,
                            .valid_min = sizes[a],
                            .valid_max = sizes[b],
                            .valid_unaligned = u & 1,
                            .impl_min = sizes[c],
                            .impl_max = sizes[d],
                            .impl_unaligned = u & 2,
                        };

                        sweep_one(&cfg, combos & 1);
                        combos++;
                    }
    g_assert_cmpuint(combos, ==, 2500);
    drain_call_rcu();
}

/* valid.accepts: asked once with the whole access, only when all else
 * passed; a veto refuses without callbacks. */
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

    /* refused by the static rules first: accepts is not asked */
    g_assert_cmphex(rd(mr, 1, 2, &v), ==, DEC);
    g_assert_cmphex(rd(mr, 16, 1, &v), ==, DEC);
    g_assert_cmpuint(testdev_accepts_calls(dev), ==, 3);
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
 * access becomes. Big-endian devices get the most significant part first.
 * The register file starts as 00 11 22 33 44 55 66 77.
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
    /* widened: the aligned unit is read, the request's bytes merged in */
    {DBE, TLE, 4, 4, 'w', 1, 1, XLE, 0xab, "r4@0x0=0x112233 w4@0x0=0xab2233",
     "00 ab 22 33 44 55 66 77"},
    {DLE, TLE, 4, 4, 'w', 1, 1, XLE, 0xab,
     "r4@0x0=0x33221100 w4@0x0=0x3322ab00", "00 ab 22 33 44 55 66 77"},
    {DLE, TLE, 4, 4, 'w', 2, 6, XBE, 0xabcd,
     "r4@0x4=0x77665544 w4@0x4=0xcdab5544", "00 11 22 33 44 55 ab cd"},
    {DBE, TLE, 4, 4, 'r', 2, 2, XBE, 0x2233, "r4@0x0=0x112233",
     "00 11 22 33 44 55 66 77"},
    {DBE, TLE, 4, 4, 'r', 2, 2, XLE, 0x3322, "r4@0x0=0x112233",
     "00 11 22 33 44 55 66 77"},
    {DLE, TLE, 8, 8, 'r', 1, 5, XLE, 0x55, "r8@0x0=0x7766554433221100",
     "00 11 22 33 44 55 66 77"},
};

static void test_endian_split(void)
{
    static const uint8_t init[8] = {0x00, 0x11, 0x22, 0x33,
                                    0x44, 0x55, 0x66, 0x77};

    for (size_t i = 0; i < G_N_ELEMENTS(split_rows); i++) {
        const SplitRow *row = &split_rows[i];
        TestDevConfig cfg = {
            .size = 8,
            .endianness = row->dev,
            .native_big_endian = row->target_be,
            .valid_max = 8,
            .impl_min = row->imin,
            .impl_max = row->imax,
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
    g_assert_cmphex(rd(&s->mr, 0, 4, &v), ==, OK);
    g_assert_cmpuint(s->calls, ==, 1);
    g_assert_cmphex(s->inner, ==, ACC);
    memory_region_finalize(&s->mr);
    g_free(s);
}

static void test_reentrancy_opt_out(void)
{
    TestDevConfig cfg = {.size = 8};
    TestDev *dev = dev_new(&cfg);
    MemoryRegion *mr = testdev_region(dev);
    Nest nest = {.target = mr, .offset = 4, .size = 4, .left = 3};
    uint64_t v;

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
    TestDevConfig cfg = {.size = 8};
    TestDev *dev = dev_new(&cfg);
    Peer peer = {.mr = testdev_region(dev), .result = 0xff};
    uint64_t v;

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
 * Threads write their own byte of one 4-byte register through widened
 * accesses (read-modify-write). The lock is held for the whole access, so
 * no update is lost and callbacks never overlap.
 */
enum { RMW_THREADS = 4, RMW_ROUNDS = 2000 };

typedef struct RmwWorker {
    MemoryRegion *mr;
    unsigned byte;
} RmwWorker;

static gpointer rmw_main(gpointer opaque)
{
    RmwWorker *w = opaque;

    rcu_register_thread();
    for (unsigned i = 0; i < RMW_ROUNDS; i++) {
        g_assert_cmphex(wr(w->mr, w->byte, 1, (w->byte << 6) | (i & 0x3f)), ==,
                        OK);
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_lock_rmw_atomic(void)
{
    TestDevConfig cfg = {.size = 4, .impl_min = 4};
    TestDev *dev = dev_new(&cfg);
    GRecMutex lock;
    RmwWorker w[RMW_THREADS];
    GThread *t[RMW_THREADS];
    uint8_t regs[4];

    g_rec_mutex_init(&lock);
    memory_region_set_lock(testdev_region(dev), &lock);
    for (unsigned i = 0; i < RMW_THREADS; i++) {
        w[i] = (RmwWorker){.mr = testdev_region(dev), .byte = i};
        t[i] = g_thread_new("rmw", rmw_main, &w[i]);
    }
    for (unsigned i = 0; i < RMW_THREADS; i++) {
        g_thread_join(t[i]);
    }
    testdev_regs_read(dev, 0, regs, 4);
    for (unsigned i = 0; i < RMW_THREADS; i++) {
        g_assert_cmphex(regs[i], ==, (i << 6) | ((RMW_ROUNDS - 1) & 0x3f));
    }
    g_assert_cmpuint(testdev_log_len(dev), ==, 2 * RMW_THREADS * RMW_ROUNDS);
    g_assert_cmpuint(testdev_max_concurrency(dev), ==, 1);
    dev_done(dev);
    drain_call_rcu();
    g_rec_mutex_clear(&lock);
}

/* --- (5) the callback-bounds invariant ------------------------------------ */

/* Accesses near the end of regions of odd sizes, and of a 2^64 region. */
typedef struct BoundsRow {
    uint64_t region_size;
    MatrixRow a;
} BoundsRow;

#define TOP UINT64_MAX /* region size 2^64 */

static const BoundsRow bounds_rows[] = {
    {3, {0, 0, F, 0, 0, F, 'r', 1, 2, OK, "r1@0x2"}},
    {3, {0, 0, F, 0, 0, F, 'r', 2, 0, OK, "r2@0x0"}},
    {3, {1, 4, T, 1, 4, T, 'r', 2, 2, DEC, ""}}, /* passes the end */
    {3, {1, 4, T, 1, 4, F, 'r', 2, 1, OK, "r1@0x1 r1@0x2"}},
    {3, {0, 0, F, 0, 0, F, 'r', 4, 0, DEC, ""}},
    {3, {0, 0, F, 0, 0, F, 'w', 1, 3, DEC, ""}}, /* outside */
    {3, {1, 4, T, 2, 4, F, 'r', 1, 2, DEC, ""}}, /* unit 2@2 passes 3 */
    {3, {1, 4, T, 2, 4, F, 'w', 1, 1, OK, "r2@0x0 w2@0x0"}},
    {5, {1, 2, F, 2, 2, F, 'r', 1, 4, DEC, ""}}, /* unit 2@4 passes 5 */
    {5, {1, 2, F, 2, 2, F, 'r', 1, 3, OK, "r2@0x2"}},
    {6, {1, 4, F, 4, 4, F, 'r', 1, 5, DEC, ""}}, /* unit 4@4 passes 6 */
    {6, {1, 4, F, 4, 4, F, 'w', 1, 4, DEC, ""}},
    {6, {1, 4, F, 4, 4, F, 'r', 2, 4, DEC, ""}},
    {6, {1, 4, F, 4, 4, F, 'r', 1, 3, OK, "r4@0x0"}},
    {6, {1, 4, F, 4, 4, F, 'w', 2, 2, OK, "r4@0x0 w4@0x0"}},
    {6, {1, 8, F, 1, 4, F, 'r', 8, 0, DEC, ""}},
    {6, {1, 4, T, 2, 4, F, 'r', 4, 1, OK, "r2@0x0 r2@0x2 r2@0x4"}},
    {6, {1, 4, T, 2, 4, F, 'w', 4, 2, OK, "w2@0x2 w2@0x4"}},
    {6, {1, 4, T, 1, 4, T, 'r', 4, 2, OK, "r4@0x2"}},
    {6, {1, 4, T, 1, 4, T, 'r', 4, 3, DEC, ""}},
    {7, {1, 8, T, 8, 8, F, 'r', 1, 0, DEC, ""}}, /* unit 8@0 passes 7 */
    {7, {1, 8, T, 1, 8, F, 'r', 4, 3, OK, "r1@0x3 r2@0x4 r1@0x6"}},
    {16, {0, 0, T, 0, 0, F, 'r', 1, TOP, DEC, ""}},
    {16, {0, 0, T, 0, 0, F, 'w', 8, TOP - 3, DEC, ""}},
    {TOP, {1, 8, F, 1, 8, F, 'r', 8, TOP - 7, OK, "r8@0xfffffffffffffff8"}},
    {TOP, {1, 8, T, 1, 8, T, 'r', 8, TOP - 3, DEC, ""}}, /* no wrap to 0 */
    {TOP,
     {1, 4, F, 4, 4, F, 'w', 1, TOP, OK,
      "r4@0xfffffffffffffffc w4@0xfffffffffffffffc"}},
};

static void test_bounds_table(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bounds_rows); i++) {
        const BoundsRow *row = &bounds_rows[i];
        TestDevConfig cfg = row_config(&row->a, row->region_size);
        TestDev *dev = dev_new(&cfg);
        MemoryRegion *mr = testdev_region(dev);
        uint64_t v = 0;
        MemTxResult r;

        g_test_message("bounds row %zu", i);
        if (row->a.op == 'r') {
            r = rd(mr, row->a.offset, row->a.size, &v);
        } else {
            r = wr(mr, row->a.offset, row->a.size, 0x1122334455667788ull);
        }
        g_assert_cmphex(r, ==, row->a.result);
        g_assert_cmpint(valid(mr, row->a.offset, row->a.size, row->a.op == 'w'),
                        ==, row->a.result == OK);
        assert_log(dev, row->a.calls);
        dev_done(dev);
    }
    drain_call_rcu();
}

/* The register-file check of check_row() also on small regions. */
static void test_bounds_values(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bounds_rows); i++) {
        if (bounds_rows[i].region_size <= 16) {
            check_row(&bounds_rows[i].a, bounds_rows[i].region_size);
        }
    }
    drain_call_rcu();
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
    unsigned mask;
} FastRow;

/* Which sizes skip the planning: accepted, not widened, never asked. */
static void test_fast_sizes(void)
{
    static const FastRow rows[] = {
        {0, 0, 0, 0, F, 1 | 2 | 4 | 8}, /* defaults: 8 is two 4s */
        {1, 8, 1, 8, F, 1 | 2 | 4 | 8},
        {1, 4, 1, 4, F, 1 | 2 | 4},
        {4, 4, 1, 4, F, 4},
        {1, 8, 4, 4, F, 4 | 8}, /* 1 and 2 widen */
        {1, 8, 8, 0, F, 8},     /* lone min 8: max 8 */
        {1, 8, 3, 0, F, 4 | 8}, /* min 3 rounds to 4 */
        {1, 8, 4, 2, F, 0},     /* empty impl range */
        {1, 8, 16, 0, F, 0},
        {1, 8, 1, 8, T, 0}, /* valid.accepts sees everything */
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
    }
}

/* The /dispatch/fast/ runs really take the fast path, often. */
static void test_fast_taken(void)
{
    use_fast = true;
    fast_taken = 0;
    test_matrix_table();
    g_assert_cmpuint(fast_taken, >=, 10);
    test_matrix_sweep();
    g_assert_cmpuint(fast_taken, >=, 5000);
    use_fast = false;
}

/* The /dispatch/inline/ runs really take the inline path, often. */
static void test_inline_taken(void)
{
    use_fast = use_inline = true;
    inline_taken = 0;
    test_matrix_table();
    g_assert_cmpuint(inline_taken, >=, 5);
    test_matrix_sweep();
    g_assert_cmpuint(inline_taken, >=, 2000);
    use_fast = use_inline = false;
}

typedef struct DispatchTest {
    const char *path;
    void (*fn)(void);
} DispatchTest;

static const DispatchTest tests[] = {
    {"/matrix/table", test_matrix_table},
    {"/matrix/sweep", test_matrix_sweep},
    {"/matrix/accepts", test_matrix_accepts},
    {"/matrix/bad-sizes", test_matrix_bad_sizes},
    {"/endian/table", test_endian_table},
    {"/endian/split-widen", test_endian_split},
    {"/endian/masking", test_endian_masking},
    {"/callbacks/missing", test_callbacks_missing},
    {"/callbacks/results", test_callbacks_results},
    {"/callbacks/attrs", test_callbacks_attrs},
    {"/reentrancy/self", test_reentrancy_self},
    {"/reentrancy/same-owner", test_reentrancy_same_owner},
    {"/reentrancy/cross-device", test_reentrancy_cross_device},
    {"/reentrancy/no-owner", test_reentrancy_no_owner},
    {"/reentrancy/opt-out", test_reentrancy_opt_out},
    {"/reentrancy/depth-self", test_reentrancy_depth_self},
    {"/reentrancy/depth-chain", test_reentrancy_depth_chain},
    {"/reentrancy/per-thread", test_reentrancy_per_thread},
    {"/lock/held", test_lock_held},
    {"/lock/rmw-atomic", test_lock_rmw_atomic},
    {"/bounds/table", test_bounds_table},
    {"/bounds/values", test_bounds_values},
    {"/reservation", test_reservation},
    {"/rom-device", test_rom_device},
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
    return g_test_run();
}
