/* SPDX-License-Identifier: MIT */
/*
 * The region interface: one suite run against every GuestMemory
 * implementation (a FlatView from an AddressSpace, GuestMemoryMmap)
 * through the interface alone, plus what only one implementation has
 * (MMIO rules and dirty tracking for FlatViews, hot-plug, guard pages and
 * set-up errors for GuestMemoryMmap).
 *
 * Layout common to both (every range plain RAM):
 *   0x0000-0x0fff A, 0x1000-0x1fff B (adjacent, another region),
 *   0x2000-0x2fff hole, 0x3000-0x3fff C, 2^64-0x1000..2^64-1 TOP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "testdev.h"

#define ATTRS   MEMTXATTRS_UNSPECIFIED
#define TOP     (UINT64_MAX - 0xfff)
#define MMIO_AT 0x10000

typedef struct Fixture Fixture;

typedef struct Impl {
    const char *name;
    void (*setup)(Fixture *f, bool big_endian);
    void (*teardown)(Fixture *f);
} Impl;

struct Fixture {
    GuestMemory *mem;
    /* FlatView */
    MemoryRegion sys, ram[4];
    AddressSpace as;
    TestDev *dev;
    /* GuestMemoryMmap */
    GuestMemoryMmap *mm;
};

static const hwaddr layout_addr[4] = {0x0, 0x1000, 0x3000, TOP};

static void flatview_setup(Fixture *f, bool big_endian)
{
    TestDevConfig cfg = {.size = 0x100,
                         .endianness = DEVICE_NATIVE_ENDIAN,
                         .native_big_endian = big_endian,
                         .valid_max = 4};
    GError *err = NULL;

    g_assert_true(memory_region_init(&f->sys, NULL, "sys", UINT64_MAX, NULL));
    for (int i = 0; i < 4; i++) {
        g_assert_true(
            memory_region_init_ram(&f->ram[i], NULL, "ram", 0x1000, NULL));
        g_assert_true(memory_region_add_subregion(&f->sys, layout_addr[i],
                                                  &f->ram[i], NULL));
    }
    f->dev = testdev_new("mmio", &cfg, &err);
    g_assert_no_error(err);
    g_assert_true(memory_region_add_subregion(&f->sys, MMIO_AT,
                                              testdev_region(f->dev), NULL));
    g_assert_true(address_space_init(&f->as, &f->sys, "as", NULL));
    address_space_set_big_endian(&f->as, big_endian);
    f->mem = guest_memory_from_address_space(&f->as);
}

static void flatview_teardown(Fixture *f)
{
    guest_memory_put(f->mem);
    address_space_destroy(&f->as);
    drain_call_rcu(); /* the last view lets go of the regions */
    g_assert_true(
        memory_region_del_subregion(&f->sys, testdev_region(f->dev), NULL));
    g_assert_cmpuint(testdev_violations(f->dev), ==, 0);
    testdev_unref(f->dev);
    memory_region_finalize(&f->sys);
    for (int i = 0; i < 4; i++) {
        memory_region_finalize(&f->ram[i]);
    }
    drain_call_rcu();
}

static void mmap_setup(Fixture *f, bool big_endian)
{
    GuestMemoryMmapRange r[4];
    GError *err = NULL;

    /* given out of order: the backend sorts */
    for (int i = 0; i < 4; i++) {
        r[i] = (GuestMemoryMmapRange){
            .addr = layout_addr[3 - i], .size = 0x1000, .fd = -1};
    }
    r[1].flags = GUEST_MEMORY_MMAP_GUARD;
    r[2].flags = GUEST_MEMORY_MMAP_MEMFD;
    f->mm = guest_memory_mmap_new(r, 4, big_endian, &err);
    g_assert_no_error(err);
    f->mem = guest_memory_mmap_memory(f->mm);
}

static void mmap_teardown(Fixture *f)
{
    guest_memory_put(f->mem); /* no-op here, but always legal */
    guest_memory_mmap_free(f->mm);
    drain_call_rcu();
}

static const Impl impls[] = {
    {"flatview", flatview_setup, flatview_teardown},
    {"mmap", mmap_setup, mmap_teardown},
};

static Fixture *fixture_new(const Impl *impl, bool big_endian)
{
    Fixture *f = g_new0(Fixture, 1);

    impl->setup(f, big_endian);
    return f;
}

static void fixture_free(const Impl *impl, Fixture *f)
{
    impl->teardown(f);
    g_free(f);
}

static void fill(uint8_t *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)(seed + i * 13);
    }
}

/* ---- The shared suite ---------------------------------------------------- */

static void test_regions(gconstpointer data)
{
    const Impl *impl = data;
    Fixture *f = fixture_new(impl, false);
    size_t n, ram = 0;

    rcu_read_lock();
    n = guest_memory_num_regions(f->mem);
    for (size_t i = 0; i < n; i++) {
        GuestRegion *r = guest_memory_region(f->mem, i);

        g_assert_nonnull(r);
        if (i) {
            g_assert_cmphex(guest_memory_region(f->mem, i - 1)->last, <,
                            r->start);
        }
        if (r->host) {
            g_assert_true(guest_memory_find_region(f->mem, r->start) == r);
            g_assert_true(guest_memory_find_region(f->mem, r->last) == r);
            g_assert_cmpuint(guest_region_len(r), ==, 0x1000);
            ram++;
        }
    }
    g_assert_cmpuint(ram, ==, 4);
    g_assert_null(guest_memory_region(f->mem, n));
    g_assert_null(guest_memory_find_region(f->mem, 0x2000));
    g_assert_null(guest_memory_find_region(f->mem, 0x2fff));
    g_assert_null(guest_memory_find_region(f->mem, TOP - 1));
    rcu_read_unlock();
    fixture_free(impl, f);
}

static void test_cross_boundary(gconstpointer data)
{
    const Impl *impl = data;
    Fixture *f = fixture_new(impl, false);
    uint8_t in[64], out[64];
    uint64_t done = 0;

    fill(in, sizeof(in), 1);
    g_assert_cmpuint(
        guest_memory_write(f->mem, 0x1000 - 32, in, 64, ATTRS, &done), ==,
        MEMTX_OK);
    g_assert_cmpuint(done, ==, 64);
    memset(out, 0, sizeof(out));
    g_assert_cmpuint(
        guest_memory_read(f->mem, 0x1000 - 32, out, 64, ATTRS, &done), ==,
        MEMTX_OK);
    g_assert_cmpuint(done, ==, 64);
    g_assert_cmpmem(in, 64, out, 64);
    /* the two halves really are in two regions */
    {
        RCU_READ_LOCK_GUARD();
        GuestRegion *a = guest_memory_find_region(f->mem, 0xfff);
        GuestRegion *b = guest_memory_find_region(f->mem, 0x1000);

        g_assert_true(a != b);
        g_assert_cmpmem(a->host + 0x1000 - 32, 32, in, 32);
        g_assert_cmpmem(b->host, 32, in + 32, 32);
    }
    g_assert_cmpuint(guest_memory_read_exact(f->mem, 0xff0, out, 32, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmpmem(in + 16, 32, out, 32);
    fixture_free(impl, f);
}

static void test_hole_partial(gconstpointer data)
{
    const Impl *impl = data;
    Fixture *f = fixture_new(impl, false);
    uint8_t in[64], out[64];
    uint64_t done = 99;

    fill(in, sizeof(in), 2);
    /* 16 bytes of B, then the hole: stop there and say so */
    g_assert_cmpuint(
        guest_memory_write(f->mem, 0x2000 - 16, in, 64, ATTRS, &done), ==,
        MEMTX_DECODE_ERROR);
    g_assert_cmpuint(done, ==, 16);
    g_assert_cmpuint(
        guest_memory_read(f->mem, 0x2000 - 16, out, 64, ATTRS, &done), ==,
        MEMTX_DECODE_ERROR);
    g_assert_cmpuint(done, ==, 16);
    g_assert_cmpmem(in, 16, out, 16);
    /* starting in the hole: nothing at all */
    g_assert_cmpuint(guest_memory_read(f->mem, 0x2800, out, 8, ATTRS, &done),
                     ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(done, ==, 0);
    /* the exact forms fail on any shortfall */
    g_assert_cmpuint(
        guest_memory_read_exact(f->mem, 0x2000 - 16, out, 64, ATTRS), ==,
        MEMTX_DECODE_ERROR);
    g_assert_cmpuint(guest_memory_write_all(f->mem, 0x2000 - 16, in, 17, ATTRS),
                     ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(guest_memory_write_all(f->mem, 0x2000 - 16, in, 16, ATTRS),
                     ==, MEMTX_OK);
    /* zero length: nothing to do, nothing wrong, even in a hole */
    g_assert_cmpuint(guest_memory_read(f->mem, 0x2800, out, 0, ATTRS, &done),
                     ==, MEMTX_OK);
    g_assert_cmpuint(done, ==, 0);
    g_assert_false(guest_memory_check_range(f->mem, 0x1ff0, 0x11));
    g_assert_true(guest_memory_check_range(f->mem, 0x0, 0x2000));
    g_assert_true(guest_memory_check_range(f->mem, 0x2800, 0));
    g_assert_false(guest_memory_check_range(f->mem, 0x3000, 0x1001));
    fixture_free(impl, f);
}

static void test_overflow_top(gconstpointer data)
{
    const Impl *impl = data;
    Fixture *f = fixture_new(impl, false);
    uint8_t in[16], out[16];
    uint64_t done = 0, len;
    hwaddr a;
    uint8_t *host;

    fill(in, sizeof(in), 3);
    /* the last 8 bytes of the space, then 2^64: a hole, never address 0 */
    g_assert_cmpuint(
        guest_memory_write(f->mem, UINT64_MAX - 7, in, 16, ATTRS, &done), ==,
        MEMTX_DECODE_ERROR);
    g_assert_cmpuint(done, ==, 8);
    memset(out, 0xee, sizeof(out));
    g_assert_cmpuint(guest_memory_read(f->mem, 0, out, 8, ATTRS, &done), ==,
                     MEMTX_OK);
    g_assert_cmpuint(out[0], ==, 0); /* address 0 untouched by the wrap */
    g_assert_cmpuint(
        guest_memory_read(f->mem, UINT64_MAX - 7, out, 16, ATTRS, &done), ==,
        MEMTX_DECODE_ERROR);
    g_assert_cmpuint(done, ==, 8);
    g_assert_cmpmem(in, 8, out, 8);
    g_assert_cmpuint(
        guest_memory_read_exact(f->mem, UINT64_MAX - 7, out, 8, ATTRS), ==,
        MEMTX_OK);
    g_assert_true(guest_memory_check_range(f->mem, TOP, 0x1000));
    g_assert_false(guest_memory_check_range(f->mem, TOP, 0x1001));
    g_assert_false(guest_memory_check_range(f->mem, UINT64_MAX, 2));
    /* a typed access never wraps either */
    g_assert_cmpuint(guest_memory_store(f->mem, UINT64_MAX - 3, 8,
                                        DEVICE_LITTLE_ENDIAN, ATTRS, 1),
                     ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(guest_memory_store(f->mem, UINT64_MAX - 7, 8,
                                        DEVICE_LITTLE_ENDIAN, ATTRS, 1),
                     ==, MEMTX_OK);
    /* host address: contiguous length up to the region's (and space's) end */
    host = guest_memory_get_host_address(f->mem, UINT64_MAX - 7, &len);
    g_assert_nonnull(host);
    g_assert_cmpuint(len, ==, 8);
    g_assert_null(guest_memory_get_host_address(f->mem, 0x2000, &len));
    g_assert_cmpuint(len, ==, 0);
    host = guest_memory_get_host_address(f->mem, 0xff0, &len);
    g_assert_nonnull(host);
    g_assert_cmpuint(len, ==, 0x10);
    /* checked arithmetic */
    g_assert_true(guest_addr_checked_add(UINT64_MAX - 1, 1, &a));
    g_assert_cmphex(a, ==, UINT64_MAX);
    a = 42;
    g_assert_false(guest_addr_checked_add(UINT64_MAX, 1, &a));
    g_assert_cmphex(a, ==, 42); /* untouched on failure */
    g_assert_false(guest_addr_checked_add(TOP, 0x1000, &a));
    g_assert_true(guest_addr_checked_end(TOP, 0x1000, &a));
    g_assert_cmphex(a, ==, UINT64_MAX);
    g_assert_false(guest_addr_checked_end(TOP, 0x1001, &a));
    g_assert_false(guest_addr_checked_end(TOP, 0, &a));
    g_assert_true(guest_addr_checked_sub(0x1000, 0x1000, &a));
    g_assert_cmphex(a, ==, 0);
    g_assert_false(guest_addr_checked_sub(0x1000, 0x1001, &a));
    fixture_free(impl, f);
}

static void test_endian(gconstpointer data)
{
    const Impl *impl = data;

    for (int big = 0; big < 2; big++) {
        Fixture *f = fixture_new(impl, big);
        uint8_t b[8];
        uint64_t v;

        g_assert_cmpuint(guest_memory_store(f->mem, 0x100, 4,
                                            DEVICE_LITTLE_ENDIAN, ATTRS,
                                            0x11223344),
                         ==, MEMTX_OK);
        g_assert_cmpuint(guest_memory_read_exact(f->mem, 0x100, b, 4, ATTRS),
                         ==, MEMTX_OK);
        g_assert_cmpmem(b, 4, "\x44\x33\x22\x11", 4);
        g_assert_cmpuint(
            guest_memory_load(f->mem, 0x100, 4, DEVICE_BIG_ENDIAN, ATTRS, &v),
            ==, MEMTX_OK);
        g_assert_cmphex(v, ==, 0x44332211);
        g_assert_cmpuint(guest_memory_load(f->mem, 0x100, 2,
                                           DEVICE_LITTLE_ENDIAN, ATTRS, &v),
                         ==, MEMTX_OK);
        g_assert_cmphex(v, ==, 0x3344);
        g_assert_cmpuint(
            guest_memory_load(f->mem, 0x100, 1, DEVICE_BIG_ENDIAN, ATTRS, &v),
            ==, MEMTX_OK);
        g_assert_cmphex(v, ==, 0x44);
        /* native is the memory's target order */
        g_assert_cmpuint(guest_memory_store(f->mem, 0x200, 8,
                                            DEVICE_NATIVE_ENDIAN, ATTRS,
                                            0x0102030405060708ull),
                         ==, MEMTX_OK);
        g_assert_cmpuint(guest_memory_read_exact(f->mem, 0x200, b, 8, ATTRS),
                         ==, MEMTX_OK);
        g_assert_cmpmem(b, 8,
                        big ? "\x01\x02\x03\x04\x05\x06\x07\x08"
                            : "\x08\x07\x06\x05\x04\x03\x02\x01",
                        8);
        g_assert_cmpuint(guest_memory_load(f->mem, 0x200, 8,
                                           DEVICE_NATIVE_ENDIAN, ATTRS, &v),
                         ==, MEMTX_OK);
        g_assert_cmphex(v, ==, 0x0102030405060708ull);
        /* the address_space_ld*()-shaped wrappers */
        {
            MemTxResult res = MEMTX_ERROR;

            guest_memory_stw_be(f->mem, 0x210, 0x1234, ATTRS, &res);
            g_assert_cmpuint(res, ==, MEMTX_OK);
            g_assert_cmphex(guest_memory_lduw_le(f->mem, 0x210, ATTRS, NULL),
                            ==, 0x3412);
            guest_memory_stl(f->mem, 0x214, 0xa1b2c3d4, ATTRS, NULL);
            g_assert_cmphex(guest_memory_ldl(f->mem, 0x214, ATTRS, &res), ==,
                            0xa1b2c3d4);
            g_assert_cmphex(guest_memory_ldub(f->mem, 0x214, ATTRS, NULL), ==,
                            big ? 0xa1 : 0xd4);
            guest_memory_stq_le(f->mem, 0x218, 0x1122334455667788ull, ATTRS,
                                NULL);
            g_assert_cmphex(guest_memory_ldq_be(f->mem, 0x218, ATTRS, NULL), ==,
                            0x8877665544332211ull);
            g_assert_cmphex(guest_memory_ldl_le(f->mem, 0x2000, ATTRS, &res),
                            ==, 0);
            g_assert_cmpuint(res, ==, MEMTX_DECODE_ERROR);
        }
        /* unaligned, inside one region */
        g_assert_cmpuint(guest_memory_store(f->mem, 0x301, 2, DEVICE_BIG_ENDIAN,
                                            ATTRS, 0xabcd),
                         ==, MEMTX_OK);
        g_assert_cmpuint(guest_memory_read_exact(f->mem, 0x301, b, 2, ATTRS),
                         ==, MEMTX_OK);
        g_assert_cmpmem(b, 2, "\xab\xcd", 2);
        g_assert_cmpuint(guest_memory_load(f->mem, 0x301, 2,
                                           DEVICE_LITTLE_ENDIAN, ATTRS, &v),
                         ==, MEMTX_OK);
        g_assert_cmphex(v, ==, 0xcdab);
        /* never split: across A|B, in a hole, bad size */
        v = 7;
        g_assert_cmpuint(guest_memory_load(f->mem, 0xffe, 4,
                                           DEVICE_LITTLE_ENDIAN, ATTRS, &v),
                         ==, MEMTX_DECODE_ERROR);
        g_assert_cmphex(v, ==, 0);
        g_assert_cmpuint(guest_memory_store(f->mem, 0xffe, 4,
                                            DEVICE_LITTLE_ENDIAN, ATTRS, 1),
                         ==, MEMTX_DECODE_ERROR);
        g_assert_cmpuint(guest_memory_load(f->mem, 0x2000, 4,
                                           DEVICE_LITTLE_ENDIAN, ATTRS, &v),
                         ==, MEMTX_DECODE_ERROR);
        g_assert_cmpuint(guest_memory_load(f->mem, 0x100, 3,
                                           DEVICE_LITTLE_ENDIAN, ATTRS, &v),
                         ==, MEMTX_DECODE_ERROR);
        fixture_free(impl, f);
    }
}

/* A split-virtqueue descriptor, declared once with its guest byte order. */
typedef struct VirtqDesc {
    le64 addr;
    le32 len;
    le16 flags;
    le16 next;
} VirtqDesc;

/* A big-endian header, to show both families at work. */
typedef struct BeHeader {
    be32 magic;
    be16 version;
    be16 count;
    be64 cookie;
} BeHeader;

static void test_read_obj(gconstpointer data)
{
    const Impl *impl = data;
    Fixture *f = fixture_new(impl, false);
    static const uint8_t raw[16] = {
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* addr */
        0x00, 0x10, 0x00, 0x00,                         /* len 0x1000 */
        0x03, 0x00,                                     /* flags 3 */
        0x07, 0x00,                                     /* next 7 */
    };
    VirtqDesc d, w;
    BeHeader h = {be32_make(0xfeedf00d), be16_make(2), be16_make(0x1234),
                  be64_make(0x0102030405060708ull)};
    BeHeader h2;
    uint8_t b[16];

    G_STATIC_ASSERT(sizeof(VirtqDesc) == 16);
    /* placed across the A|B boundary: read_obj crosses it */
    g_assert_cmpuint(guest_memory_write_all(f->mem, 0xff8, raw, 16, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmpuint(guest_memory_read_obj(f->mem, 0xff8, &d, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmphex(le64_get(d.addr), ==, 0x1122334455667788ull);
    g_assert_cmphex(le32_get(d.len), ==, 0x1000);
    g_assert_cmphex(le16_get(d.flags), ==, 3);
    g_assert_cmphex(le16_get(d.next), ==, 7);
    w = (VirtqDesc){le64_make(0x1122334455667788ull), le32_make(0x1000),
                    le16_make(3), le16_make(7)};
    g_assert_cmpmem(&w, 16, raw, 16);
    g_assert_cmpuint(guest_memory_write_obj(f->mem, 0x3000, &h, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmpuint(guest_memory_read_exact(f->mem, 0x3000, b, 8, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmpmem(b, 8, "\xfe\xed\xf0\x0d\x00\x02\x12\x34", 8);
    g_assert_cmpuint(guest_memory_read_obj(f->mem, 0x3000, &h2, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmphex(be32_get(h2.magic), ==, 0xfeedf00d);
    g_assert_cmphex(be16_get(h2.count), ==, 0x1234);
    g_assert_cmphex(be64_get(h2.cookie), ==, 0x0102030405060708ull);
    /* an object over the hole is refused whole */
    g_assert_cmpuint(guest_memory_read_obj(f->mem, 0x1ff8, &d, ATTRS), ==,
                     MEMTX_DECODE_ERROR);
    fixture_free(impl, f);
}

static void test_fd_io(gconstpointer data)
{
    const Impl *impl = data;
    Fixture *f = fixture_new(impl, false);
    int fd = memfd_create("fd-io", MFD_CLOEXEC);
    uint8_t in[0x300], out[0x300];
    uint64_t done = 0;
    GError *err = NULL;

    g_assert_cmpint(fd, >=, 0);
    fill(in, sizeof(in), 5);
    /* file -> guest, across A|B */
    g_assert_cmpint(pwrite(fd, in, sizeof(in), 0), ==, (ssize_t)sizeof(in));
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    g_assert_cmpuint(guest_memory_read_from_fd(f->mem, 0xf00, fd, sizeof(in),
                                               ATTRS, &done, &err),
                     ==, MEMTX_OK);
    g_assert_no_error(err);
    g_assert_cmpuint(done, ==, sizeof(in));
    g_assert_cmpuint(
        guest_memory_read_exact(f->mem, 0xf00, out, sizeof(out), ATTRS), ==,
        MEMTX_OK);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    /* end of file: a short count, not an error */
    g_assert_cmpint(lseek(fd, 0x200, SEEK_SET), ==, 0x200);
    g_assert_cmpuint(guest_memory_read_from_fd(f->mem, 0x3000, fd, 0x1000,
                                               ATTRS, &done, &err),
                     ==, MEMTX_OK);
    g_assert_no_error(err);
    g_assert_cmpuint(done, ==, 0x100);
    /* guest -> file, stopping at the hole */
    g_assert_cmpuint(guest_memory_write_all(f->mem, 0x1f00, in, 0x100, ATTRS),
                     ==, MEMTX_OK);
    g_assert_cmpint(ftruncate(fd, 0), ==, 0);
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    g_assert_cmpuint(
        guest_memory_write_to_fd(f->mem, 0x1f00, fd, 0x200, ATTRS, &done, &err),
        ==, MEMTX_DECODE_ERROR);
    g_assert_no_error(err);
    g_assert_cmpuint(done, ==, 0x100);
    g_assert_cmpint(lseek(fd, 0, SEEK_END), ==, 0x100);
    g_assert_cmpint(pread(fd, out, 0x100, 0), ==, 0x100);
    g_assert_cmpmem(out, 0x100, in, 0x100);
    /* an OS error is a GError plus MEMTX_ERROR */
    g_assert_cmpuint(
        guest_memory_write_to_fd(f->mem, 0, -1, 16, ATTRS, &done, &err), ==,
        MEMTX_ERROR);
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS);
    g_clear_error(&err);
    g_assert_cmpuint(done, ==, 0);
    close(fd);
    fixture_free(impl, f);
}

/* A pipe fed in small pieces: the loop continues short reads. */
static gpointer slow_writer(gpointer data)
{
    int fd = GPOINTER_TO_INT(data);
    uint8_t b[100];

    fill(b, sizeof(b), 9);
    for (int i = 0; i < 10; i++) {
        g_assert_cmpint(write(fd, b + i * 10, 10), ==, 10);
        g_usleep(1000);
    }
    close(fd);
    return NULL;
}

static void test_fd_short_reads(gconstpointer data)
{
    const Impl *impl = data;
    Fixture *f = fixture_new(impl, false);
    uint8_t want[100], out[100];
    uint64_t done = 0;
    int p[2];
    GThread *t;

    g_assert_cmpint(pipe(p), ==, 0);
    t = g_thread_new("writer", slow_writer, GINT_TO_POINTER(p[1]));
    g_assert_cmpuint(
        guest_memory_read_from_fd(f->mem, 0xfd0, p[0], 200, ATTRS, &done, NULL),
        ==, MEMTX_OK);
    g_assert_cmpuint(done, ==, 100);
    g_thread_join(t);
    close(p[0]);
    fill(want, sizeof(want), 9);
    g_assert_cmpuint(
        guest_memory_read_exact(f->mem, 0xfd0, out, sizeof(out), ATTRS), ==,
        MEMTX_OK);
    g_assert_cmpmem(want, 100, out, 100);
    fixture_free(impl, f);
}

/* ---- FlatView only: MMIO through the interface ------------------------- */

static void test_fv_mmio_attrs(void)
{
    Fixture *f = fixture_new(&impls[0], false);
    MemTxAttrs attrs = {.secure = 1, .requester_id = 0x1234};
    uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint64_t done = 0, v = 0;
    TestDevAccess a;
    char *log;

    g_assert_cmpuint(
        guest_memory_write(f->mem, MMIO_AT + 2, b, 8, attrs, &done), ==,
        MEMTX_OK);
    g_assert_cmpuint(done, ==, 8);
    /* address_space_write()'s chunking: aligned, at most valid.max (4) */
    log = testdev_log_format(f->dev);
    g_assert_cmpstr(log, ==, "w2@0x2 w4@0x4 w2@0x8");
    g_free(log);
    for (guint i = 0; i < testdev_log_len(f->dev); i++) {
        a = testdev_log_get(f->dev, i);
        g_assert_true(a.attrs.secure);
        g_assert_cmphex(a.attrs.requester_id, ==, 0x1234);
    }
    testdev_log_clear(f->dev);
    g_assert_cmpuint(guest_memory_load(f->mem, MMIO_AT + 4, 4,
                                       DEVICE_LITTLE_ENDIAN, attrs, &v),
                     ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x06050403);
    g_assert_cmpuint(guest_memory_store(f->mem, MMIO_AT + 0x10, 2,
                                        DEVICE_BIG_ENDIAN, attrs, 0xbeef),
                     ==, MEMTX_OK);
    log = testdev_log_format(f->dev);
    g_assert_cmpstr(log, ==, "r4@0x4 w2@0x10");
    g_free(log);
    a = testdev_log_get(f->dev, 1);
    g_assert_true(a.attrs.secure);
    g_assert_cmphex(a.attrs.requester_id, ==, 0x1234);
    /* typed accesses are never split: 8 bytes on a max-4 device */
    g_assert_cmpuint(
        guest_memory_load(f->mem, MMIO_AT, 8, DEVICE_LITTLE_ENDIAN, attrs, &v),
        ==, MEMTX_DECODE_ERROR);
    /* attrs.memory refuses MMIO, as address_space_read() does */
    g_assert_cmpuint(guest_memory_read(f->mem, MMIO_AT, b, 4,
                                       (MemTxAttrs){.memory = 1}, &done),
                     ==, MEMTX_ACCESS_ERROR);
    g_assert_cmpuint(done, ==, 0);
    /* no host pointer for MMIO; fd I/O bounces through the dispatcher */
    g_assert_null(guest_memory_get_host_address(f->mem, MMIO_AT, &done));
    {
        int fd = memfd_create("mmio", MFD_CLOEXEC);
        uint8_t back[8];

        g_assert_cmpuint(guest_memory_write_to_fd(f->mem, MMIO_AT + 2, fd, 8,
                                                  attrs, &done, NULL),
                         ==, MEMTX_OK);
        g_assert_cmpuint(done, ==, 8);
        g_assert_cmpint(pread(fd, back, 8, 0), ==, 8);
        g_assert_cmpmem(back, 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
        close(fd);
    }
    fixture_free(&impls[0], f);
}

static void test_fv_native_device(void)
{
    for (int big = 0; big < 2; big++) {
        Fixture *f = fixture_new(&impls[0], big);
        uint8_t regs[4];
        uint64_t v;

        /* a native-endian device follows the AddressSpace's target order */
        g_assert_cmpuint(guest_memory_store(f->mem, MMIO_AT + 0x20, 4,
                                            DEVICE_NATIVE_ENDIAN, ATTRS,
                                            0x11223344),
                         ==, MEMTX_OK);
        testdev_regs_read(f->dev, 0x20, regs, 4);
        g_assert_cmpmem(regs, 4, big ? "\x11\x22\x33\x44" : "\x44\x33\x22\x11",
                        4);
        g_assert_cmpuint(
            guest_memory_read_exact(f->mem, MMIO_AT + 0x20, regs, 4, ATTRS), ==,
            MEMTX_OK);
        g_assert_cmpmem(regs, 4, big ? "\x11\x22\x33\x44" : "\x44\x33\x22\x11",
                        4);
        g_assert_cmpuint(guest_memory_load(f->mem, MMIO_AT + 0x20, 4,
                                           DEVICE_NATIVE_ENDIAN, ATTRS, &v),
                         ==, MEMTX_OK);
        g_assert_cmphex(v, ==, 0x11223344);
        fixture_free(&impls[0], f);
    }
}

/* PC's 0xcf8/0xcf9: the region decoding the first byte takes the chunk. */
static void test_fv_mmio_overlap(void)
{
    TestDevConfig cfg4 = {
        .size = 4, .endianness = DEVICE_LITTLE_ENDIAN, .valid_max = 4};
    TestDevConfig cfg1 = {
        .size = 1, .endianness = DEVICE_LITTLE_ENDIAN, .valid_max = 1};
    MemoryRegion sys;
    AddressSpace as;
    TestDev *idx = testdev_new("pci-conf-idx", &cfg4, NULL);
    TestDev *rst = testdev_new("reset", &cfg1, NULL);
    GuestMemory *mem;
    uint8_t b[4] = {1, 2, 3, 4};
    uint64_t done = 0;
    char *log;

    g_assert_true(memory_region_init(&sys, NULL, "io", 0x10000, NULL));
    g_assert_true(
        memory_region_add_subregion(&sys, 0xcf8, testdev_region(idx), NULL));
    g_assert_true(memory_region_add_subregion_overlap(
        &sys, 0xcf9, testdev_region(rst), 1, NULL));
    g_assert_true(address_space_init(&as, &sys, "io", NULL));
    mem = guest_memory_from_address_space(&as);
    g_assert_cmpuint(guest_memory_write(mem, 0xcf8, b, 4, ATTRS, &done), ==,
                     MEMTX_OK);
    g_assert_cmpuint(done, ==, 4);
    log = testdev_log_format(idx);
    g_assert_cmpstr(log, ==, "w4@0x0");
    g_free(log);
    g_assert_cmpuint(testdev_log_len(rst), ==, 0);
    /* a byte at 0xcf9 goes to the reset register */
    g_assert_cmpuint(guest_memory_write(mem, 0xcf9, b, 1, ATTRS, &done), ==,
                     MEMTX_OK);
    g_assert_cmpuint(testdev_log_len(rst), ==, 1);
    guest_memory_put(mem);
    address_space_destroy(&as);
    drain_call_rcu(); /* the last view lets go of the regions */
    memory_region_del_subregion(&sys, testdev_region(idx), NULL);
    memory_region_del_subregion(&sys, testdev_region(rst), NULL);
    testdev_unref(idx);
    testdev_unref(rst);
    memory_region_finalize(&sys);
    drain_call_rcu();
}

static void test_fv_rom(void)
{
    MemoryRegion sys, rom;
    AddressSpace as;
    GuestMemory *mem;
    uint8_t b[4] = {1, 2, 3, 4};
    uint64_t done = 0, v = 1;

    g_assert_true(memory_region_init(&sys, NULL, "sys", 0x10000, NULL));
    g_assert_true(memory_region_init_rom(&rom, NULL, "rom", 0x1000, NULL));
    g_assert_true(memory_region_add_subregion(&sys, 0x1000, &rom, NULL));
    g_assert_true(address_space_init(&as, &sys, "as", NULL));
    mem = guest_memory_from_address_space(&as);
    {
        RCU_READ_LOCK_GUARD();
        GuestRegion *r = guest_memory_find_region(mem, 0x1000);

        g_assert_nonnull(r);
        g_assert_null(r->host); /* not plain memory: read-only */
    }
    /* ROM: reads direct, writes dropped with a decode error (QEMU 7.2) */
    g_assert_cmpuint(guest_memory_write(mem, 0x1000, b, 4, ATTRS, &done), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpuint(done, ==, 0);
    g_assert_cmpuint(guest_memory_read(mem, 0x1000, b, 4, ATTRS, &done), ==,
                     MEMTX_OK);
    g_assert_cmpuint(done, ==, 4);
    g_assert_cmpmem(b, 4, "\0\0\0\0", 4);
    g_assert_cmpuint(
        guest_memory_load(mem, 0x1000, 4, DEVICE_LITTLE_ENDIAN, ATTRS, &v), ==,
        MEMTX_OK);
    g_assert_cmpuint(
        guest_memory_store(mem, 0x1000, 4, DEVICE_LITTLE_ENDIAN, ATTRS, 1), ==,
        MEMTX_DECODE_ERROR);
    guest_memory_put(mem);
    address_space_destroy(&as);
    drain_call_rcu(); /* the last view lets go of the regions */
    memory_region_finalize(&sys);
    memory_region_finalize(&rom);
    drain_call_rcu();
}

static void test_fv_dirty(void)
{
    Fixture *f = fixture_new(&impls[0], false);
    uint8_t b[8] = {0};

    memory_region_set_log(&f->ram[1], true, DIRTY_MEMORY_MIGRATION);
    /* the held view predates set_log: take the current one */
    guest_memory_put(f->mem);
    f->mem = guest_memory_from_address_space(&f->as);
    g_assert_false(
        memory_region_get_dirty(&f->ram[1], 0, 0x1000, DIRTY_MEMORY_MIGRATION));
    g_assert_cmpuint(guest_memory_write_all(f->mem, 0xffc, b, 8, ATTRS), ==,
                     MEMTX_OK);
    g_assert_true(
        memory_region_get_dirty(&f->ram[1], 0, 4, DIRTY_MEMORY_MIGRATION));
    memory_region_reset_dirty(&f->ram[1], 0, 0x1000, DIRTY_MEMORY_MIGRATION);
    g_assert_cmpuint(
        guest_memory_store(f->mem, 0x1800, 4, DEVICE_LITTLE_ENDIAN, ATTRS, 5),
        ==, MEMTX_OK);
    g_assert_true(
        memory_region_get_dirty(&f->ram[1], 0x800, 4, DIRTY_MEMORY_MIGRATION));
    memory_region_set_log(&f->ram[1], false, DIRTY_MEMORY_MIGRATION);
    fixture_free(&impls[0], f);
}

/*
 * A read from a pipe that blocks does not hold back grace periods: the
 * view's reference pins the RAM, so read(2) runs outside the read-side
 * section and synchronize_rcu() completes before the pipe is written.
 */
typedef struct BlockedRead {
    GuestMemory *mem;
    int fd;
    int started;
    uint64_t done;
    MemTxResult res;
} BlockedRead;

static gpointer blocked_reader(gpointer data)
{
    BlockedRead *b = data;

    rcu_register_thread();
    __atomic_store_n(&b->started, 1, __ATOMIC_RELEASE);
    b->res = guest_memory_read_from_fd(b->mem, 0xff8, b->fd, 16, ATTRS,
                                       &b->done, NULL);
    rcu_unregister_thread();
    return NULL;
}

static gpointer grace_period(gpointer data)
{
    synchronize_rcu();
    __atomic_store_n((int *)data, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_fv_fd_blocking_read(void)
{
    Fixture *f = fixture_new(&impls[0], false);
    BlockedRead b = {0};
    uint8_t in[16], out[16];
    GThread *reader, *sync;
    int p[2], synced = 0;

    memory_region_set_log(&f->ram[1], true, DIRTY_MEMORY_MIGRATION);
    guest_memory_put(f->mem); /* the held view predates set_log */
    f->mem = guest_memory_from_address_space(&f->as);
    g_assert_cmpint(pipe(p), ==, 0);
    b.mem = f->mem;
    b.fd = p[0];
    reader = g_thread_new("blocked-reader", blocked_reader, &b);
    while (!__atomic_load_n(&b.started, __ATOMIC_ACQUIRE)) {
        g_usleep(1000);
    }
    g_usleep(50 * 1000); /* let it reach read(2) on the empty pipe */
    sync = g_thread_new("synchronize", grace_period, &synced);
    for (int i = 0; i < 5000 && !__atomic_load_n(&synced, __ATOMIC_ACQUIRE);
         i++) {
        g_usleep(1000);
    }
    g_assert_cmpint(__atomic_load_n(&synced, __ATOMIC_ACQUIRE), ==, 1);
    g_assert_cmpuint(__atomic_load_n(&b.done, __ATOMIC_RELAXED), ==, 0);
    fill(in, sizeof(in), 3);
    g_assert_cmpint(write(p[1], in, sizeof(in)), ==, (ssize_t)sizeof(in));
    g_thread_join(sync);
    g_thread_join(reader);
    g_assert_cmpuint(b.res, ==, MEMTX_OK);
    g_assert_cmpuint(b.done, ==, sizeof(in));
    g_assert_cmpuint(
        guest_memory_read_exact(f->mem, 0xff8, out, sizeof(out), ATTRS), ==,
        MEMTX_OK);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    /* marked dirty outside the section too */
    g_assert_true(
        memory_region_get_dirty(&f->ram[1], 0, 8, DIRTY_MEMORY_MIGRATION));
    memory_region_set_log(&f->ram[1], false, DIRTY_MEMORY_MIGRATION);
    close(p[0]);
    close(p[1]);
    fixture_free(&impls[0], f);
}

/* A held view is a snapshot: it outlives topology changes until put. */
static void test_fv_lifetime(void)
{
    Fixture *f = fixture_new(&impls[0], false);
    GuestMemory *now;
    uint8_t b[4] = {9, 9, 9, 9}, out[4];

    memory_region_set_enabled(&f->ram[2], false);
    now = guest_memory_from_address_space(&f->as);
    g_assert_true(now != f->mem);
    g_assert_cmpuint(guest_memory_write_all(f->mem, 0x3000, b, 4, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmpuint(guest_memory_read_exact(now, 0x3000, out, 4, ATTRS), ==,
                     MEMTX_DECODE_ERROR);
    guest_memory_put(now);
    memory_region_set_enabled(&f->ram[2], true);
    now = guest_memory_from_address_space(&f->as);
    g_assert_cmpuint(guest_memory_read_exact(now, 0x3000, out, 4, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmpmem(out, 4, b, 4);
    guest_memory_put(now);
    /* the same view, both target orders, each with its own reference */
    {
        FlatView *fv = address_space_get_flatview(&f->as);
        GuestMemory *le = flatview_get_guest_memory(fv, false);
        GuestMemory *be = flatview_get_guest_memory(fv, true);

        g_assert_false(le->big_endian);
        g_assert_true(be->big_endian);
        flatview_unref(fv);
        g_assert_cmpuint(guest_memory_store(be, 0x10, 2, DEVICE_NATIVE_ENDIAN,
                                            ATTRS, 0x0102),
                         ==, MEMTX_OK);
        g_assert_cmpuint(guest_memory_read_exact(le, 0x10, out, 2, ATTRS), ==,
                         MEMTX_OK);
        g_assert_cmpmem(out, 2, "\x01\x02", 2);
        guest_memory_put(le);
        guest_memory_put(be);
    }
    fixture_free(&impls[0], f);
}

/* An IOMMU that swaps the two 4 KiB pages of its window. */
static IOMMUTLBEntry swap_pages(void *opaque, hwaddr addr,
                                IOMMUAccessFlags flag, int iommu_idx)
{
    (void)flag;
    (void)iommu_idx;
    return (IOMMUTLBEntry){.target_as = opaque,
                           .iova = addr & ~(hwaddr)0xfff,
                           .translated_addr = (addr & ~(hwaddr)0xfff) ^ 0x1000,
                           .addr_mask = 0xfff,
                           .perm = IOMMU_RW};
}

static const IOMMUMemoryRegionOps swap_ops = {.translate = swap_pages};

/* Accesses through an IOMMU section follow its translation, page by page. */
static void test_fv_iommu(void)
{
    MemoryRegion sys, dma_root, dma_ram, iommu;
    AddressSpace as, dma_as;
    GuestMemory *mem;
    uint8_t in[16], out[16], direct[8];
    uint64_t done = 0, v = 0;

    fill(in, sizeof(in), 11);
    g_assert_true(memory_region_init(&dma_root, NULL, "dma", 0x10000, NULL));
    g_assert_true(
        memory_region_init_ram(&dma_ram, NULL, "dma-ram", 0x2000, NULL));
    g_assert_true(memory_region_add_subregion(&dma_root, 0, &dma_ram, NULL));
    g_assert_true(address_space_init(&dma_as, &dma_root, "dma", NULL));
    g_assert_true(memory_region_init(&sys, NULL, "sys", 0x100000, NULL));
    g_assert_true(memory_region_init_iommu(&iommu, NULL, &swap_ops, &dma_as,
                                           "iommu", 0x2000, NULL));
    g_assert_true(memory_region_add_subregion(&sys, 0x20000, &iommu, NULL));
    g_assert_true(address_space_init(&as, &sys, "as", NULL));
    mem = guest_memory_from_address_space(&as);

    /* 16 bytes across the window's page boundary land on two pages */
    g_assert_cmpuint(guest_memory_write(mem, 0x20ff8, in, 16, ATTRS, &done), ==,
                     MEMTX_OK);
    g_assert_cmpuint(done, ==, 16);
    g_assert_cmpuint(address_space_read(&dma_as, 0x1ff8, ATTRS, direct, 8), ==,
                     MEMTX_OK);
    g_assert_cmpmem(direct, 8, in, 8);
    g_assert_cmpuint(address_space_read(&dma_as, 0x0, ATTRS, direct, 8), ==,
                     MEMTX_OK);
    g_assert_cmpmem(direct, 8, in + 8, 8);
    g_assert_cmpuint(guest_memory_read(mem, 0x20ff8, out, 16, ATTRS, &done), ==,
                     MEMTX_OK);
    g_assert_cmpmem(out, 16, in, 16);
    g_assert_cmpuint(
        guest_memory_load(mem, 0x21000, 8, DEVICE_LITTLE_ENDIAN, ATTRS, &v), ==,
        MEMTX_OK);
    g_assert_cmphex(v, ==, address_space_ldq_le(&as, 0x21000, ATTRS, NULL));

    guest_memory_put(mem);
    address_space_destroy(&as);
    address_space_destroy(&dma_as);
    drain_call_rcu(); /* the last views let go of the regions */
    memory_region_finalize(&sys);
    memory_region_finalize(&iommu);
    memory_region_finalize(&dma_root);
    memory_region_finalize(&dma_ram);
    drain_call_rcu();
}

/* Readers take and put views while the topology changes under them. */
typedef struct ViewRace {
    Fixture *f;
    int stop;
    unsigned seen[2];
} ViewRace;

static gpointer view_reader(gpointer data)
{
    ViewRace *vr = data;

    rcu_register_thread();
    while (!__atomic_load_n(&vr->stop, __ATOMIC_ACQUIRE)) {
        GuestMemory *mem = guest_memory_from_address_space(&vr->f->as);
        uint8_t b[32];
        uint64_t done = 99;
        MemTxResult res = guest_memory_read(mem, 0x3000, b, 32, ATTRS, &done);

        /* a whole view each time: all of C, or none of it */
        if (res == MEMTX_OK) {
            g_assert_cmpuint(done, ==, 32);
            __atomic_fetch_add(&vr->seen[1], 1, __ATOMIC_RELAXED);
        } else {
            g_assert_cmpuint(res, ==, MEMTX_DECODE_ERROR);
            g_assert_cmpuint(done, ==, 0);
            __atomic_fetch_add(&vr->seen[0], 1, __ATOMIC_RELAXED);
        }
        guest_memory_put(mem);
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_fv_view_race(void)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    ViewRace vr = {.f = fixture_new(&impls[0], false)};
    GThread *t = g_thread_new("reader", view_reader, &vr);
    bool both = false;

    /* at least 300 commits, and on until the reader saw both topologies */
    for (int i = 0; i < 300 || (!both && g_get_monotonic_time() < deadline);
         i++) {
        memory_region_set_enabled(&vr.f->ram[2], i % 2);
        both = __atomic_load_n(&vr.seen[0], __ATOMIC_RELAXED) &&
               __atomic_load_n(&vr.seen[1], __ATOMIC_RELAXED);
    }
    memory_region_set_enabled(&vr.f->ram[2], true);
    __atomic_store_n(&vr.stop, 1, __ATOMIC_RELEASE);
    g_thread_join(t);
    g_assert_true(both);
    fixture_free(&impls[0], vr.f);
}

/* ---- GuestMemoryMmap only ---------------------------------------------- */

static GuestMemoryMmap *mm_new(const GuestMemoryMmapRange *r, size_t n,
                               GError **err)
{
    return guest_memory_mmap_new(r, n, false, err);
}

static void test_mm_errors(void)
{
    GError *err = NULL;
    GuestMemoryMmapRange overlap[2] = {{0x1000, 0x2000, -1, 0, 0},
                                       {0x2fff, 0x10, -1, 0, 0}};
    GuestMemoryMmapRange wrap = {UINT64_MAX - 0xfff, 0x1001, -1, 0, 0};
    GuestMemoryMmapRange zero = {0x1000, 0, -1, 0, 0};
    GuestMemoryMmapRange flags = {0x1000, 0x1000, -1, 0, 1u << 30};
    GuestMemoryMmapRange fdmemfd = {0x1000, 0x1000, 0, 0,
                                    GUEST_MEMORY_MMAP_MEMFD};
    GuestMemoryMmapRange badfd = {0x1000, 0x1000, 12345, 0, 0};
    GuestMemoryMmapRange ok = {0x100000, 0x1000, -1, 0, 0};
    GuestMemoryMmap *m;

    g_assert_null(mm_new(overlap, 2, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERLAP);
    g_clear_error(&err);
    g_assert_null(mm_new(&wrap, 1, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERFLOW);
    g_clear_error(&err);
    g_assert_null(mm_new(&zero, 1, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(mm_new(&flags, 1, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(mm_new(&fdmemfd, 1, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(mm_new(&badfd, 1, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS);
    g_clear_error(&err);
    /* hot-plug refuses the same way and leaves the table alone */
    m = mm_new(&ok, 1, &err);
    g_assert_no_error(err);
    overlap[0].addr = 0x100800;
    g_assert_false(guest_memory_mmap_add_range(m, &overlap[0], &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERLAP);
    g_clear_error(&err);
    g_assert_false(guest_memory_mmap_add_range(m, &wrap, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERFLOW);
    g_clear_error(&err);
    g_assert_false(guest_memory_mmap_remove_range(m, 0x100001, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_NOT_FOUND);
    g_clear_error(&err);
    {
        RCU_READ_LOCK_GUARD();
        g_assert_cmpuint(guest_memory_num_regions(guest_memory_mmap_memory(m)),
                         ==, 1);
    }
    guest_memory_mmap_free(m);
    drain_call_rcu();
}

static void test_mm_empty(void)
{
    GuestMemoryMmap *m = mm_new(NULL, 0, NULL);
    uint8_t b[4];
    uint64_t done = 1;

    g_assert_nonnull(m);
    g_assert_cmpuint(
        guest_memory_read(guest_memory_mmap_memory(m), 0, b, 4, ATTRS, &done),
        ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(done, ==, 0);
    guest_memory_mmap_free(m);
    drain_call_rcu();
}

static sigjmp_buf guard_jmp;

static void guard_segv(int sig)
{
    siglongjmp(guard_jmp, sig);
}

/* Touch @p; return whether that faulted. */
static bool faults(volatile uint8_t *p)
{
    struct sigaction sa = {.sa_handler = guard_segv}, old_segv, old_bus;
    bool fault = false;

    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    if (sigsetjmp(guard_jmp, 1) == 0) {
        (void)*p;
    } else {
        fault = true;
    }
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    return fault;
}

static void test_mm_guard_memfd(void)
{
    GuestMemoryMmapRange r[2] = {
        {0x0, 0x1000, -1, 0, GUEST_MEMORY_MMAP_GUARD},
        {0x10000, 0x2000, -1, 0, GUEST_MEMORY_MMAP_MEMFD},
    };
    GuestMemoryMmap *m = mm_new(r, 2, NULL);
    GuestMemory *mem = guest_memory_mmap_memory(m);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint64_t len;
    uint8_t *host, *shared;

    g_assert_nonnull(m);
    host = guest_memory_get_host_address(mem, 0, &len);
    g_assert_nonnull(host);
    g_assert_cmpuint(len, ==, 0x1000);
    g_assert_false(faults(host));
    g_assert_false(faults(host + 0xfff));
    /* the pages around a guarded range are inaccessible */
    g_assert_true(faults(host - 1));
    g_assert_true(faults(host + ((0x1000 + page - 1) & ~(page - 1))));
    /* a memfd range exports its fd; another mapping sees the same bytes */
    {
        RCU_READ_LOCK_GUARD();
        GuestRegion *gr = guest_memory_find_region(mem, 0x10000);

        g_assert_cmpint(gr->fd, >=, 0);
        g_assert_cmpuint(gr->fd_offset, ==, 0);
        shared =
            mmap(NULL, 0x2000, PROT_READ | PROT_WRITE, MAP_SHARED, gr->fd, 0);
        g_assert_true(shared != MAP_FAILED);
    }
    g_assert_cmpuint(guest_memory_store(mem, 0x11000, 4, DEVICE_LITTLE_ENDIAN,
                                        ATTRS, 0xcafe),
                     ==, MEMTX_OK);
    g_assert_cmpuint(shared[0x1000], ==, 0xfe);
    munmap(shared, 0x2000);
    guest_memory_mmap_free(m);
    drain_call_rcu();
}

static void test_mm_file_backed(void)
{
    char path[] = "/tmp/guest-memory-XXXXXX";
    int fd = mkstemp(path);
    GuestMemoryMmapRange r = {0x5000, 0x1000, fd, 0x1000, 0};
    GError *err = NULL;
    GuestMemoryMmap *m;
    uint8_t b[4];

    g_assert_cmpint(fd, >=, 0);
    unlink(path);
    g_assert_cmpint(ftruncate(fd, 0x2000), ==, 0);
    g_assert_cmpint(pwrite(fd, "wxyz", 4, 0x1000), ==, 4);
    /* a file too short for the range is refused, not a SIGBUS later */
    r.size = 0x1001;
    g_assert_null(mm_new(&r, 1, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    r.size = 0x1000;
    m = mm_new(&r, 1, NULL);
    g_assert_nonnull(m);
    close(fd); /* the backend keeps its own descriptor */
    g_assert_cmpuint(guest_memory_read_exact(guest_memory_mmap_memory(m),
                                             0x5000, b, 4, ATTRS),
                     ==, MEMTX_OK);
    g_assert_cmpmem(b, 4, "wxyz", 4);
    guest_memory_mmap_free(m);
    drain_call_rcu();
}

static void test_mm_dirty(void)
{
    GuestMemoryMmapRange r = {0x0, 0x4000, -1, 0, GUEST_MEMORY_MMAP_DIRTY_LOG};
    GuestMemoryMmap *m = mm_new(&r, 1, NULL);
    GuestMemory *mem = guest_memory_mmap_memory(m);
    uint8_t b[2] = {1, 2};

    g_assert_cmpuint(guest_memory_write_all(mem, 0x1fff, b, 2, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmpuint(
        guest_memory_store(mem, 0x3000, 1, DEVICE_LITTLE_ENDIAN, ATTRS, 1), ==,
        MEMTX_OK);
    WITH_RCU_READ_LOCK_GUARD () {
        GuestRegion *gr = guest_memory_find_region(mem, 0);

        g_assert_false(guest_region_test_and_clear_dirty(gr, 0, 0x1000));
        g_assert_true(guest_region_test_and_clear_dirty(gr, 0x1000, 1));
        g_assert_false(guest_region_test_and_clear_dirty(gr, 0x1000, 1));
        g_assert_true(guest_region_test_and_clear_dirty(gr, 0x2000, 0x2000));
        g_assert_false(guest_region_test_and_clear_dirty(gr, 0, 0x4000));
    }
    guest_memory_mmap_free(m);
    drain_call_rcu();
}

/* fd I/O larger than one read-side section's chunk (64 KiB): all of it
 * arrives, in place, dirty-tracked. */
static void test_mm_fd_chunks(void)
{
    enum { LEN = 200 * 1024 + 123 };
    GuestMemoryMmapRange r = {0x0, 0x40000, -1, 0, GUEST_MEMORY_MMAP_DIRTY_LOG};
    GuestMemoryMmap *m = mm_new(&r, 1, NULL);
    GuestMemory *mem = guest_memory_mmap_memory(m);
    uint8_t *in = g_malloc(LEN), *out = g_malloc(LEN);
    int fd = memfd_create("chunks", MFD_CLOEXEC);
    uint64_t done = 0;

    g_assert_cmpint(fd, >=, 0);
    fill(in, LEN, 5);
    g_assert_cmpint(pwrite(fd, in, LEN, 0), ==, LEN);
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    g_assert_cmpuint(
        guest_memory_read_from_fd(mem, 0x1001, fd, LEN, ATTRS, &done, NULL), ==,
        MEMTX_OK);
    g_assert_cmpuint(done, ==, LEN);
    g_assert_cmpuint(guest_memory_read_exact(mem, 0x1001, out, LEN, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmpmem(in, LEN, out, LEN);
    WITH_RCU_READ_LOCK_GUARD () {
        GuestRegion *gr = guest_memory_find_region(mem, 0);

        g_assert_false(guest_region_test_and_clear_dirty(gr, 0, 0x1000));
        g_assert_true(guest_region_test_and_clear_dirty(gr, 0x1000, 1));
        g_assert_true(
            guest_region_test_and_clear_dirty(gr, 0x1000 + LEN - 1, 1));
    }
    g_assert_cmpint(ftruncate(fd, 0), ==, 0);
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    g_assert_cmpuint(
        guest_memory_write_to_fd(mem, 0x1001, fd, LEN, ATTRS, &done, NULL), ==,
        MEMTX_OK);
    g_assert_cmpuint(done, ==, LEN);
    memset(out, 0, LEN);
    g_assert_cmpint(pread(fd, out, LEN, 0), ==, LEN);
    g_assert_cmpmem(in, LEN, out, LEN);
    close(fd);
    g_free(in);
    g_free(out);
    guest_memory_mmap_free(m);
    drain_call_rcu();
}

static void test_mm_many_ranges(void)
{
    enum { N = 1000 };
    GuestMemoryMmapRange *r = g_new0(GuestMemoryMmapRange, N);
    GuestMemoryMmap *m;
    GuestMemory *mem;

    for (int i = 0; i < N; i++) {
        /* interleaved order, gaps of one page */
        int k = (i * 7) % N;

        r[i] = (GuestMemoryMmapRange){(hwaddr)k * 0x2000, 0x1000, -1, 0, 0};
    }
    m = mm_new(r, N, NULL);
    g_assert_nonnull(m);
    mem = guest_memory_mmap_memory(m);
    rcu_read_lock();
    g_assert_cmpuint(guest_memory_num_regions(mem), ==, N);
    for (int k = 0; k < N; k++) {
        GuestRegion *gr = guest_memory_find_region(mem, (hwaddr)k * 0x2000);

        g_assert_nonnull(gr);
        g_assert_cmphex(gr->start, ==, (hwaddr)k * 0x2000);
        g_assert_true(
            guest_memory_find_region(mem, (hwaddr)k * 0x2000 + 0xfff) == gr);
        g_assert_null(
            guest_memory_find_region(mem, (hwaddr)k * 0x2000 + 0x1000));
    }
    rcu_read_unlock();
    guest_memory_mmap_free(m);
    drain_call_rcu();
    g_free(r);
}

/* Hot-plug: a reader keeps what it found until its read-side section ends. */
typedef struct Unplug {
    GuestMemoryMmap *m;
    GMutex lock;
    GCond cond;
    int stage;
} Unplug;

static gpointer unplugger(gpointer data)
{
    Unplug *u = data;

    rcu_register_thread();
    g_mutex_lock(&u->lock);
    while (u->stage != 1) {
        g_cond_wait(&u->cond, &u->lock);
    }
    g_mutex_unlock(&u->lock);
    g_assert_true(guest_memory_mmap_remove_range(u->m, 0x1000, NULL));
    g_mutex_lock(&u->lock);
    u->stage = 2;
    g_cond_broadcast(&u->cond);
    g_mutex_unlock(&u->lock);
    rcu_unregister_thread();
    return NULL;
}

static void test_mm_hotplug(void)
{
    GuestMemoryMmapRange a = {0x0, 0x1000, -1, 0, 0};
    GuestMemoryMmapRange b = {0x1000, 0x1000, -1, 0, 0};
    GuestMemoryMmap *m = mm_new(&a, 1, NULL);
    GuestMemory *mem = guest_memory_mmap_memory(m);
    Unplug u = {.m = m};
    uint8_t in[32], out[32];
    uint64_t done;
    GThread *t;

    fill(in, sizeof(in), 7);
    g_assert_cmpuint(guest_memory_write(mem, 0xff0, in, 32, ATTRS, &done), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpuint(done, ==, 16);
    g_assert_true(guest_memory_mmap_add_range(m, &b, NULL));
    g_assert_cmpuint(guest_memory_write(mem, 0xff0, in, 32, ATTRS, &done), ==,
                     MEMTX_OK);
    g_assert_cmpuint(done, ==, 32);

    g_mutex_init(&u.lock);
    g_cond_init(&u.cond);
    t = g_thread_new("unplug", unplugger, &u);
    rcu_read_lock();
    {
        GuestRegion *gr = guest_memory_find_region(mem, 0x1000);
        uint8_t *host = gr->host;

        g_mutex_lock(&u.lock);
        u.stage = 1;
        g_cond_broadcast(&u.cond);
        while (u.stage != 2) {
            g_cond_wait(&u.cond, &u.lock);
        }
        g_mutex_unlock(&u.lock);
        /* unplugged, yet still mapped for this read-side section */
        g_assert_null(guest_memory_find_region(mem, 0x1000));
        g_assert_cmpmem(host, 16, in + 16, 16);
        g_assert_cmphex(gr->start, ==, 0x1000);
    }
    rcu_read_unlock();
    g_thread_join(t);
    g_assert_cmpuint(guest_memory_read(mem, 0xff0, out, 32, ATTRS, &done), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpuint(done, ==, 16);
    g_assert_cmpmem(out, 16, in, 16);
    {
        RCU_READ_LOCK_GUARD();
        g_assert_cmpuint(guest_memory_num_regions(mem), ==, 1);
    }
    g_mutex_clear(&u.lock);
    g_cond_clear(&u.cond);
    guest_memory_mmap_free(m);
    drain_call_rcu();
}

/* Accesses race with hot-plug; every access sees one table or the other. */
typedef struct Race {
    GuestMemoryMmap *m;
    int stop;
    unsigned ok, holes;
} Race;

static gpointer race_reader(gpointer data)
{
    Race *r = data;
    GuestMemory *mem = guest_memory_mmap_memory(r->m);

    rcu_register_thread();
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        uint64_t v = 0;
        MemTxResult res =
            guest_memory_load(mem, 0x1008, 8, DEVICE_LITTLE_ENDIAN, ATTRS, &v);

        if (res == MEMTX_OK) {
            g_assert_cmphex(v, ==, 0);
            __atomic_fetch_add(&r->ok, 1, __ATOMIC_RELAXED);
        } else {
            g_assert_cmpuint(res, ==, MEMTX_DECODE_ERROR);
            __atomic_fetch_add(&r->holes, 1, __ATOMIC_RELAXED);
        }
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_mm_hotplug_race(void)
{
    GuestMemoryMmapRange a = {0x0, 0x1000, -1, 0, 0};
    GuestMemoryMmapRange b = {0x1000, 0x1000, -1, 0, 0};
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    Race r = {.m = mm_new(&a, 1, NULL)};
    GThread *t = g_thread_new("reader", race_reader, &r);
    bool both = false;

    /* at least 200 rounds, and on until the reader saw both tables */
    for (int i = 0; i < 200 || (!both && g_get_monotonic_time() < deadline);
         i++) {
        g_assert_true(guest_memory_mmap_add_range(r.m, &b, NULL));
        g_assert_true(guest_memory_mmap_remove_range(r.m, 0x1000, NULL));
        if (i % 50 == 0) {
            drain_call_rcu();
        }
        both = __atomic_load_n(&r.ok, __ATOMIC_RELAXED) &&
               __atomic_load_n(&r.holes, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
    g_thread_join(t);
    g_assert_true(both);
    guest_memory_mmap_free(r.m);
    drain_call_rcu();
}

/*
 * Region-level calls at or past a region's length fail cleanly: region
 * 0x3000 of the mmap memory sits between guard pages, so a call that read
 * or wrote past its end would fault.
 */
static void test_offset_past_end(gconstpointer data)
{
    static const hwaddr offsets[] = {0x1000, 0x1001, 0x2000, UINT64_MAX};
    const Impl *impl = data;
    Fixture *f = fixture_new(impl, false);
    uint8_t buf[8] = {0};
    uint64_t v = 0;
    GuestRegion *r;

    rcu_read_lock();
    r = guest_memory_find_region(f->mem, 0x3000);
    g_assert_nonnull(r);
    g_assert_cmpuint(guest_region_left(r, 0xfff), ==, 1);
    g_assert_cmpuint(
        guest_region_load(r, 0xffc, 4, DEVICE_LITTLE_ENDIAN, ATTRS, false, &v),
        ==, MEMTX_OK);
    for (size_t i = 0; i < G_N_ELEMENTS(offsets); i++) {
        hwaddr off = offsets[i];
        uint64_t done = 99;

        v = 99;
        g_assert_cmpuint(guest_region_left(r, off), ==, 0);
        g_assert_false(guest_region_host_fits(r, off, 1));
        g_assert_cmpuint(guest_region_load(r, off, 4, DEVICE_LITTLE_ENDIAN,
                                           ATTRS, false, &v),
                         ==, MEMTX_DECODE_ERROR);
        g_assert_cmpuint(v, ==, 0);
        g_assert_cmpuint(guest_region_store(r, off, 4, DEVICE_LITTLE_ENDIAN,
                                            ATTRS, false, 1),
                         ==, MEMTX_DECODE_ERROR);
        g_assert_cmpuint(guest_region_read(r, off, buf, 4, ATTRS, false, &done),
                         ==, MEMTX_DECODE_ERROR);
        g_assert_cmpuint(done, ==, 0);
        done = 99;
        g_assert_cmpuint(
            guest_region_write(r, off, buf, 4, ATTRS, false, &done), ==,
            MEMTX_DECODE_ERROR);
        g_assert_cmpuint(done, ==, 0);
        guest_region_mark_dirty(r, off, 4);
        g_assert_false(guest_region_test_and_clear_dirty(r, off, 4));
    }
    rcu_read_unlock();
    fixture_free(impl, f);
}

typedef struct Flipper {
    GuestMemory *mem;
    int stop;
} Flipper;

/* Writes 00 00 00 00 and ff ff ff ff in turn across 0x1000. */
static gpointer flip(gpointer opaque)
{
    Flipper *fl = opaque;

    rcu_register_thread();
    for (unsigned i = 0; !__atomic_load_n(&fl->stop, __ATOMIC_ACQUIRE); i++) {
        uint8_t v[4];

        memset(v, i & 1 ? 0xff : 0, sizeof(v));
        g_assert_cmpuint(guest_memory_write_all(fl->mem, 0xffe, v, 4, ATTRS),
                         ==, MEMTX_OK);
    }
    rcu_unregister_thread();
    return NULL;
}

/*
 * An object read or written across a region boundary never tears a
 * naturally aligned piece: the 2-byte pieces at 0xffe (end of one region)
 * and 0x1000 (start of the next) each read as one value while another
 * thread rewrites them.
 */
static void test_read_obj_untorn(gconstpointer data)
{
    const Impl *impl = data;
    Fixture *f = fixture_new(impl, false);
    Flipper fl = {f->mem, 0};
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    bool seen[2] = {false, false};
    GThread *t = g_thread_new("flip", flip, &fl);

    for (unsigned i = 0; i < 100000 || (!(seen[0] && seen[1]) &&
                                        g_get_monotonic_time() < deadline);
         i++) {
        uint8_t out[4];

        g_assert_cmpuint(guest_memory_read_exact(f->mem, 0xffe, out, 4, ATTRS),
                         ==, MEMTX_OK);
        g_assert_cmphex(out[0], ==, out[1]);
        g_assert_cmphex(out[2], ==, out[3]);
        g_assert_true(out[0] == 0 || out[0] == 0xff);
        seen[out[0] & 1] = true;
    }
    __atomic_store_n(&fl.stop, 1, __ATOMIC_RELEASE);
    g_thread_join(t);
    g_assert_true(seen[0] && seen[1]);
    fixture_free(impl, f);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *path;
        GTestDataFunc fn;
    } shared[] = {
        {"regions/find-and-iterate", test_regions},
        {"read-write/cross-boundary", test_cross_boundary},
        {"read-write/hole-partial-count", test_hole_partial},
        {"read-write/overflow-at-2-64", test_overflow_top},
        {"load-store/endianness", test_endian},
        {"read-obj/endian-struct", test_read_obj},
        {"read-obj/untorn-across-regions", test_read_obj_untorn},
        {"region/offset-past-end", test_offset_past_end},
        {"fd/read-write", test_fd_io},
        {"fd/short-reads", test_fd_short_reads},
    };

    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(impls); i++) {
        for (size_t k = 0; k < G_N_ELEMENTS(shared); k++) {
            char *path = g_strdup_printf("/guest-memory/%s/%s", impls[i].name,
                                         shared[k].path);

            g_test_add_data_func(path, &impls[i], shared[k].fn);
            g_free(path);
        }
    }
    g_test_add_func("/guest-memory/flatview/mmio/attrs-and-chunks",
                    test_fv_mmio_attrs);
    g_test_add_func("/guest-memory/flatview/mmio/native-device",
                    test_fv_native_device);
    g_test_add_func("/guest-memory/flatview/mmio/first-byte-region",
                    test_fv_mmio_overlap);
    g_test_add_func("/guest-memory/flatview/rom/read-only", test_fv_rom);
    g_test_add_func("/guest-memory/flatview/dirty/ram-writes", test_fv_dirty);
    g_test_add_func("/guest-memory/flatview/iommu/translated", test_fv_iommu);
    g_test_add_func("/guest-memory/flatview/fd/blocking-read-outside-rcu",
                    test_fv_fd_blocking_read);
    g_test_add_func("/guest-memory/flatview/lifetime/snapshot",
                    test_fv_lifetime);
    g_test_add_func("/guest-memory/flatview/lifetime/concurrent-commits",
                    test_fv_view_race);
    g_test_add_func("/guest-memory/mmap/setup/errors", test_mm_errors);
    g_test_add_func("/guest-memory/mmap/setup/empty", test_mm_empty);
    g_test_add_func("/guest-memory/mmap/setup/guard-and-memfd",
                    test_mm_guard_memfd);
    g_test_add_func("/guest-memory/mmap/setup/file-backed",
                    test_mm_file_backed);
    g_test_add_func("/guest-memory/mmap/dirty/bitmap", test_mm_dirty);
    g_test_add_func("/guest-memory/mmap/fd/chunked-transfer",
                    test_mm_fd_chunks);
    g_test_add_func("/guest-memory/mmap/lookup/many-ranges",
                    test_mm_many_ranges);
    g_test_add_func("/guest-memory/mmap/hotplug/reader-keeps-region",
                    test_mm_hotplug);
    g_test_add_func("/guest-memory/mmap/hotplug/race", test_mm_hotplug_race);
    return g_test_run();
}
