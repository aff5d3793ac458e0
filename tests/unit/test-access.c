/* SPDX-License-Identifier: MIT */
/*
 * The access path: buffer and typed accesses over RAM, ROM, ROM devices,
 * holes and MMIO, with QEMU's rules (physmem.c) and our additions.
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "../../memory/memory-internal.h"
#include "log-regs.h"

#define ATTRS MEMTXATTRS_UNSPECIFIED

/* A little-endian MMIO register file that logs its callbacks. */
typedef LogRegs Regs;

static const MemoryRegionOps regs_ops = {
    .read = log_regs_read,
    .write = log_regs_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
};

typedef struct Machine {
    MemoryRegion sys, ram, rom, ram2, io, io_small;
    AddressSpace as;
    Regs regs, regs_small;
} Machine;

/*
 * 0x0000-0x0fff ram; 0x1000-0x1fff ram2 (adjacent, other region);
 * 0x2000-0x20ff hole; 0x3000-0x30ff rom; 0x4000-0x400f io (16 bytes);
 * 0x4001 io_small (1 byte, priority 1) overlapping io like 0xcf9 on a PC.
 */
static Machine *machine_new(void)
{
    Machine *m = g_new0(Machine, 1);

    m->regs.log = g_string_new("");
    m->regs_small.log = g_string_new("");
    g_assert_true(
        memory_region_init(&m->sys, NULL, "system", UINT64_MAX, NULL));
    g_assert_true(memory_region_init_ram(&m->ram, NULL, "ram", 0x1000, NULL));
    g_assert_true(memory_region_init_ram(&m->ram2, NULL, "ram2", 0x1000, NULL));
    g_assert_true(memory_region_init_rom(&m->rom, NULL, "rom", 0x100, NULL));
    g_assert_true(memory_region_init_io(&m->io, NULL, &regs_ops, &m->regs, "io",
                                        16, NULL));
    g_assert_true(memory_region_init_io(&m->io_small, NULL, &regs_ops,
                                        &m->regs_small, "io-small", 1, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0, &m->ram, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x1000, &m->ram2, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x3000, &m->rom, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x4000, &m->io, NULL));
    g_assert_true(memory_region_add_subregion_overlap(&m->sys, 0x4001,
                                                      &m->io_small, 1, NULL));
    g_assert_true(address_space_init(&m->as, &m->sys, "memory", NULL));
    return m;
}

static void machine_free(Machine *m)
{
    address_space_destroy(&m->as);
    memory_region_finalize(&m->sys);
    memory_region_finalize(&m->ram);
    memory_region_finalize(&m->ram2);
    memory_region_finalize(&m->rom);
    memory_region_finalize(&m->io);
    memory_region_finalize(&m->io_small);
    drain_call_rcu();
    g_string_free(m->regs.log, true);
    g_string_free(m->regs_small.log, true);
    g_free(m);
}

static void test_ram_roundtrip(void)
{
    Machine *m = machine_new();
    uint8_t in[64], out[64];

    for (int i = 0; i < 64; i++) {
        in[i] = (uint8_t)(i * 7 + 1);
    }
    g_assert_cmpuint(address_space_write(&m->as, 0x100, ATTRS, in, 64), ==,
                     MEMTX_OK);
    g_assert_cmpuint(address_space_read(&m->as, 0x100, ATTRS, out, 64), ==,
                     MEMTX_OK);
    g_assert_cmpmem(in, 64, out, 64);
    g_assert_cmpmem((uint8_t *)memory_region_get_ram_ptr(&m->ram) + 0x100, 64,
                    in, 64);
    machine_free(m);
}

static void test_cross_section(void)
{
    Machine *m = machine_new();
    uint8_t in[16] = "0123456789abcdef", out[16];

    g_assert_cmpuint(address_space_write(&m->as, 0xff8, ATTRS, in, 16), ==,
                     MEMTX_OK);
    g_assert_cmpuint(address_space_read(&m->as, 0xff8, ATTRS, out, 16), ==,
                     MEMTX_OK);
    g_assert_cmpmem(in, 16, out, 16);
    g_assert_cmpmem((uint8_t *)memory_region_get_ram_ptr(&m->ram2), 8, in + 8,
                    8);
    machine_free(m);
}

/*
 * Reads and writes of every length up to 17 bytes at every start from 20
 * bytes before the ram/ram2 boundary: exactly those bytes move, in both
 * sections, and nothing either side of them.
 */
static void test_short_lengths(void)
{
    Machine *m = machine_new();
    uint8_t *ram = memory_region_get_ram_ptr(&m->ram);
    uint8_t *ram2 = memory_region_get_ram_ptr(&m->ram2);

    for (unsigned len = 1; len <= 17; len++) {
        for (unsigned back = 1; back <= 20; back++) {
            hwaddr addr = 0x1000 - back;
            uint8_t buf[32], want[64], in[17];

            for (unsigned i = 0; i < 64; i++) {
                want[i] = (uint8_t)(i * 13 + len + back);
            }
            memcpy(ram + 0x1000 - 32, want, 32);
            memcpy(ram2, want + 32, 32);
            memset(buf, 0x5a, sizeof(buf));
            g_assert_cmpuint(
                address_space_read(&m->as, addr, ATTRS, buf + 8, len), ==,
                MEMTX_OK);
            g_assert_cmpmem(buf + 8, len, want + 32 - back, len);
            for (unsigned i = 0; i < sizeof(buf); i++) {
                if (i < 8 || i >= 8 + len) {
                    g_assert_cmpuint(buf[i], ==, 0x5a);
                }
            }
            for (unsigned i = 0; i < len; i++) {
                in[i] = (uint8_t)~want[32 - back + i];
                want[32 - back + i] = in[i];
            }
            g_assert_cmpuint(address_space_write(&m->as, addr, ATTRS, in, len),
                             ==, MEMTX_OK);
            g_assert_cmpmem(ram + 0x1000 - 32, 32, want, 32);
            g_assert_cmpmem(ram2, 32, want + 32, 32);
        }
    }
    machine_free(m);
}

/* Where test_lookup_sizes() puts region @i of @n. */
static hwaddr lookup_addr(unsigned i, unsigned n, bool top)
{
    return top && i == n - 1 ? UINT64_MAX - 0xfff : 0x10000 + i * 0x2000ull;
}

/* The sizes of test_lookup_sizes() and the direct tests after it. */
static const unsigned lookup_sizes[] = {1,  2,  7,  8,  9,  15, 16,
                                        17, 33, 63, 64, 65, 130};

/* @n RAM regions of 4 KiB at lookup_addr() in an AddressSpace. */
typedef struct LookupSpace {
    MemoryRegion sys;
    MemoryRegion *r;
    AddressSpace as;
    unsigned n;
    bool top;
} LookupSpace;

static void lookup_space_init(LookupSpace *l, unsigned n, bool top)
{
    l->r = g_new0(MemoryRegion, n);
    l->n = n;
    l->top = top;
    g_assert_true(
        memory_region_init(&l->sys, NULL, "system", UINT64_MAX, NULL));
    for (unsigned i = 0; i < n; i++) {
        /* every other 4 KiB page; with @top the last one ends at 2^64 - 1 */
        g_assert_true(
            memory_region_init_ram(&l->r[i], NULL, "r", 0x1000, NULL));
        g_assert_true(memory_region_add_subregion(
            &l->sys, lookup_addr(i, n, top), &l->r[i], NULL));
    }
    g_assert_true(address_space_init(&l->as, &l->sys, "lookup", NULL));
}

static void lookup_space_destroy(LookupSpace *l)
{
    address_space_destroy(&l->as);
    memory_region_finalize(&l->sys);
    for (unsigned i = 0; i < l->n; i++) {
        memory_region_finalize(&l->r[i]);
    }
    drain_call_rcu();
    g_free(l->r);
}

/*
 * The inline RAM test, flatview_index_direct(), in @l's view when regions
 * [0, @first) were deleted: at a region's first and last word the host
 * address of its RAM; with flags no section has, and for a word whose
 * last byte is one past the region's (past 2^64 for the top one), false
 * and the section flatview_index_find() gives, for the out-of-line path;
 * false and no section in a hole and where a deleted region was.
 */
static void check_direct(LookupSpace *l, unsigned first)
{
    const uint32_t host_iommu = FLAT_SECTION_HOST | FLAT_SECTION_IOMMU;
    const FlatViewIndex *ix;

    rcu_read_lock();
    ix = address_space_index_rcu(&l->as);
    for (unsigned i = 0; i < l->n; i++) {
        hwaddr at = lookup_addr(i, l->n, l->top);
        uint8_t *ram = memory_region_get_ram_ptr(&l->r[i]);
        const FlatSection *s = NULL;
        uint8_t *host = NULL;

        if (i < first) {
            s = &(const FlatSection){0};
            g_assert_false(flatview_index_direct(ix, at, 4, FLAT_SECTION_HOST,
                                                 FLAT_SECTION_HOST, &host, &s));
            g_assert_null(s);
            g_assert_null(flatview_index_find(ix, at));
            continue;
        }
        for (hwaddr off = 0; off < 0x1000; off += 0xffc) {
            g_assert_true(flatview_index_direct(ix, at + off, 4,
                                                FLAT_SECTION_HOST,
                                                FLAT_SECTION_HOST, &host, &s));
            g_assert_true(host == ram + off);
            s = NULL;
            g_assert_false(flatview_index_direct(ix, at + off, 4, host_iommu,
                                                 host_iommu, &host, &s));
            g_assert_nonnull(s);
            g_assert_true(s == flatview_index_find(ix, at + off));
            g_assert_true(s->mr == &l->r[i]);
        }
        s = NULL;
        g_assert_false(flatview_index_direct(ix, at + 0xffd, 4,
                                             FLAT_SECTION_HOST,
                                             FLAT_SECTION_HOST, &host, &s));
        g_assert_nonnull(s);
        g_assert_true(s->mr == &l->r[i]);
        if (!(l->top && i == l->n - 1)) {
            s = &(const FlatSection){0};
            g_assert_false(flatview_index_direct(ix, at + 0x1000, 1,
                                                 FLAT_SECTION_HOST,
                                                 FLAT_SECTION_HOST, &host, &s));
            g_assert_null(s);
        }
    }
    g_assert_cmpuint(ix->nr_chunks, >=,
                     (l->n - first + FLAT_CHUNK_SIZE - 1) / FLAT_CHUNK_SIZE);
    /* no section left: no chunk; one section: one chunk */
    g_assert_true(l->n - first > 1 || ix->nr_chunks == l->n - first);
    rcu_read_unlock();
}

/*
 * The lookup in views of 1 to 130 sections (one to three chunks, each
 * size of a chunk's search): every section found at its first and last
 * byte, holes between them, and the last byte of the space.
 */
static void test_lookup_sizes(void)
{
    for (size_t k = 0; k < G_N_ELEMENTS(lookup_sizes); k++) {
        for (int top = 0; top < 2; top++) {
            unsigned n = lookup_sizes[k];
            const FlatViewIndex *ix;
            LookupSpace l;

            lookup_space_init(&l, n, top);
            rcu_read_lock();
            ix = address_space_index_rcu(&l.as);
            g_assert_null(flatview_index_find(ix, 0xffff));
            for (unsigned i = 0; i < n; i++) {
                const FlatSection *s;
                hwaddr at = lookup_addr(i, n, top);

                s = flatview_index_find(ix, at);
                g_assert_nonnull(s);
                g_assert_true(s->mr == &l.r[i]);
                s = flatview_index_find(ix, at + 0xfff);
                g_assert_nonnull(s);
                g_assert_true(s->mr == &l.r[i]);
                if (!(top && i == n - 1)) {
                    g_assert_null(flatview_index_find(ix, at + 0x1000));
                    g_assert_null(flatview_index_find(ix, at + 0x1fff));
                }
            }
            if (!top) {
                g_assert_null(flatview_index_find(ix, UINT64_MAX));
            }
            rcu_read_unlock();
            lookup_space_destroy(&l);
        }
    }
}

/*
 * The inline RAM test (check_direct()) in the views of test_lookup_sizes(),
 * and with @deletes in each view after deleting the regions one at a time
 * from the lowest: incremental commits, from three chunks down to one and
 * to an empty view.
 */
static void lookup_direct_sizes(bool deletes)
{
    for (size_t k = 0; k < G_N_ELEMENTS(lookup_sizes); k++) {
        for (int top = 0; top < 2; top++) {
            LookupSpace l;

            lookup_space_init(&l, lookup_sizes[k], top);
            check_direct(&l, 0);
            for (unsigned first = 1; deletes && first <= l.n; first++) {
                g_assert_true(
                    memory_region_del_subregion(&l.sys, &l.r[first - 1], NULL));
                check_direct(&l, first);
            }
            lookup_space_destroy(&l);
        }
    }
}

static void test_lookup_direct(void)
{
    lookup_direct_sizes(false);
}

static void test_lookup_direct_after_deletes(void)
{
    lookup_direct_sizes(true);
}

static void test_hole_reads_zero_and_continues(void)
{
    Machine *m = machine_new();
    uint8_t out[0x20];

    memset(memory_region_get_ram_ptr(&m->ram2), 0xaa, 0x1000);
    memset(out, 0x55, sizeof(out));
    /* last 16 bytes of ram2, then 16 bytes of hole */
    g_assert_cmpuint(address_space_read(&m->as, 0x1ff0, ATTRS, out, 0x20), ==,
                     MEMTX_DECODE_ERROR);
    for (int i = 0; i < 16; i++) {
        g_assert_cmpuint(out[i], ==, 0xaa);
        g_assert_cmpuint(out[16 + i], ==, 0);
    }
    machine_free(m);
}

static void noop_hook(AddressSpace *as, const AddressSpaceAccess *access,
                      void *opaque)
{
    (void)as;
    (void)access;
    (void)opaque;
}

/* One buffer access through @as: its result, the read bytes (@buf) and
 * the callbacks it made (@regs' log, cleared first). */
static MemTxResult logged_access(AddressSpace *as, Regs *regs, hwaddr addr,
                                 MemTxAttrs attrs, uint8_t *buf, hwaddr len,
                                 bool is_write, GString *log)
{
    MemTxResult r;

    g_string_truncate(regs->log, 0);
    r = address_space_rw(as, addr, attrs, buf, len, is_write);
    g_string_assign(log, regs->log->str);
    return r;
}

/*
 * A hole is crossed in one step (access.c's hole_run()) where QEMU makes
 * 4-byte chunks, each with a lookup: the outcome must be the chunks'. The
 * same accesses through an AddressSpace with a hook over the whole space
 * (which steps chunk by chunk) give the same result, bytes and callbacks:
 * reads and writes from aligned and unaligned starts, across holes before
 * MMIO regions at unaligned addresses (a chunk started in the hole
 * swallows their first bytes), across chunks of the index (70 RAM pages)
 * and through the hole at the top of the space to address 0 (QEMU's
 * loop wraps); with attrs.memory too (the
 * rest after RAM refused at once, the buffer left as it was).
 */
static void test_hole_run_matches_chunks(void)
{
    static const hwaddr starts[] = {0,
                                    1,
                                    2,
                                    4,
                                    0xff0,
                                    0xffd,
                                    0x1000,
                                    0x10ff8,
                                    0x11000,
                                    0x11001,
                                    0x9fff0,
                                    0x3ffffc,
                                    0x400000,
                                    UINT64_MAX - 0x43,
                                    UINT64_MAX - 7};
    static const hwaddr lens[] = {8, 9, 11, 64, 0x1010, 0x3003, 0x90005};
    MemoryRegion sys, ram[70], io[3];
    Regs regs = {.log = g_string_new("")};
    AddressSpace plain, stepped;
    GString *log1 = g_string_new(""), *log2 = g_string_new("");
    uint8_t *buf1 = g_malloc(0x90005), *buf2 = g_malloc(0x90005);
    /* the last leaves a hole at the top: accesses wrap through it */
    static const hwaddr io_at[] = {0x1002, 0x400003, UINT64_MAX - 0x1e};

    g_assert_true(memory_region_init(&sys, NULL, "system", UINT64_MAX, NULL));
    /* an empty view is one hole */
    g_assert_true(address_space_init(&plain, &sys, "plain", NULL));
    memset(buf1, 0x3c, 64);
    g_assert_cmpuint(address_space_read(&plain, 0x1000, ATTRS, buf1, 64), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_true(buf1[0] == 0 && !memcmp(buf1, buf1 + 1, 63));
    address_space_destroy(&plain);

    for (unsigned i = 0; i < G_N_ELEMENTS(ram); i++) {
        g_assert_true(
            memory_region_init_ram(&ram[i], NULL, "ram", 0x1000, NULL));
        memset(memory_region_get_ram_ptr(&ram[i]), (int)i + 1, 0x1000);
        g_assert_true(memory_region_add_subregion(&sys, 0x10000 + i * 0x2000,
                                                  &ram[i], NULL));
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(io); i++) {
        g_assert_true(memory_region_init_io(&io[i], NULL, &regs_ops, &regs,
                                            "io", 0x0f, NULL));
        g_assert_true(
            memory_region_add_subregion(&sys, io_at[i], &io[i], NULL));
    }
    g_assert_true(address_space_init(&plain, &sys, "plain", NULL));
    g_assert_true(address_space_init(&stepped, &sys, "stepped", NULL));
    g_assert_nonnull(address_space_hook_add(
        &stepped, 0, UINT64_MAX, ADDRSPACE_HOOK_READ | ADDRSPACE_HOOK_WRITE,
        noop_hook, NULL, NULL, NULL));
    for (size_t a = 0; a < G_N_ELEMENTS(starts); a++) {
        for (size_t l = 0; l < G_N_ELEMENTS(lens); l++) {
            for (int w = 0; w < 4; w++) {
                MemTxAttrs attrs = {.memory = w >> 1};
                MemTxResult r1, r2;

                memset(buf1, 0x3c, lens[l]);
                memset(buf2, 0x3c, lens[l]);
                r1 = logged_access(&plain, &regs, starts[a], attrs, buf1,
                                   lens[l], w & 1, log1);
                r2 = logged_access(&stepped, &regs, starts[a], attrs, buf2,
                                   lens[l], w & 1, log2);
                g_assert_cmpuint(r1, ==, r2);
                g_assert_cmpstr(log1->str, ==, log2->str);
                g_assert_cmpmem(buf1, lens[l], buf2, lens[l]);
            }
        }
    }
    address_space_destroy(&plain);
    address_space_destroy(&stepped);
    memory_region_finalize(&sys);
    for (unsigned i = 0; i < G_N_ELEMENTS(ram); i++) {
        memory_region_finalize(&ram[i]);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(io); i++) {
        memory_region_finalize(&io[i]);
    }
    drain_call_rcu();
    g_string_free(regs.log, true);
    g_string_free(log1, true);
    g_string_free(log2, true);
    g_free(buf1);
    g_free(buf2);
}

static void test_rom_write_dropped(void)
{
    Machine *m = machine_new();
    uint8_t v = 0x12, out = 0;

    memset(memory_region_get_ram_ptr(&m->rom), 0x77, 0x100);
    g_assert_cmpuint(address_space_write(&m->as, 0x3010, ATTRS, &v, 1), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpuint(address_space_read(&m->as, 0x3010, ATTRS, &out, 1), ==,
                     MEMTX_OK);
    g_assert_cmpuint(out, ==, 0x77);
    machine_free(m);
}

static void test_attrs_memory_refuses_mmio(void)
{
    Machine *m = machine_new();
    MemTxAttrs attrs = {.memory = 1};
    uint8_t out[4] = {1, 2, 3, 4};

    static const uint8_t before[4] = {1, 2, 3, 4};

    g_assert_cmpuint(address_space_read(&m->as, 0x4000, attrs, out, 4), ==,
                     MEMTX_ACCESS_ERROR);
    g_assert_cmpstr(m->regs.log->str, ==, "");
    /* QEMU 7.2 leaves the refused bytes of the caller's buffer alone */
    g_assert_cmpmem(out, 4, before, 4);
    g_assert_cmpuint(address_space_read(&m->as, 0x10, attrs, out, 4), ==,
                     MEMTX_OK);
    machine_free(m);
}

/* QEMU: the region that decodes the first byte gets the whole access, even
 * when its section is shorter (pci-conf-idx at 0xcf8 vs 0xcf9). */
static void test_mmio_whole_width_to_first_region(void)
{
    Machine *m = machine_new();
    MemTxResult r;

    address_space_stl_le(&m->as, 0x4000, 0x44332211, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    g_assert_cmpstr(m->regs.log->str, ==, "w4@0 ");
    g_assert_cmpstr(m->regs_small.log->str, ==, "");
    g_assert_cmpuint(address_space_ldl_le(&m->as, 0x4000, ATTRS, &r), ==,
                     0x44332211);
    /* a buffer read of 4 at 0x4000 also goes whole to "io" */
    g_string_truncate(m->regs.log, 0);
    uint8_t out[4];
    g_assert_cmpuint(address_space_read(&m->as, 0x4000, ATTRS, out, 4), ==,
                     MEMTX_OK);
    g_assert_cmpstr(m->regs.log->str, ==, "r4@0 ");
    g_assert_cmpuint(out[0], ==, 0x11);
    g_assert_cmpuint(out[3], ==, 0x44);
    /* the byte at 0x4001 decodes to io-small */
    g_assert_cmpuint(address_space_ldub(&m->as, 0x4001, ATTRS, &r), ==, 0);
    g_assert_cmpstr(m->regs_small.log->str, ==, "r1@0 ");
    machine_free(m);
}

/*
 * A buffer read of 4 bytes at io-small (1 byte, at 0x4001): as in QEMU 7.2
 * (flatview_read_continue() sizes the chunk with memory_access_size() on
 * the unclamped length) one chunk of 4 bytes goes to io-small at offset
 * 0, past its end. With memory_region_enable_bounds_check() on io-small
 * (@bounds) its chunk ends at its end and the rest goes to io.
 */
static void check_buffer_chunk_past_region_end(bool bounds)
{
    Machine *m = machine_new();
    uint8_t out[4];

    if (bounds) {
        memory_region_enable_bounds_check(&m->io_small);
    }
    m->regs_small.bytes[0] = 0x5a;
    m->regs.bytes[2] = 0x22;
    g_assert_cmpuint(address_space_read(&m->as, 0x4001, ATTRS, out, 4), ==,
                     MEMTX_OK);
    g_assert_cmpstr(m->regs_small.log->str, ==, bounds ? "r1@0 " : "r4@0 ");
    g_assert_cmpstr(m->regs.log->str, ==, bounds ? "r2@2 r1@4 " : "");
    g_assert_cmpuint(out[0], ==, 0x5a);
    g_assert_cmpuint(out[1], ==, bounds ? 0x22 : 0);
    machine_free(m);
}

static void test_buffer_chunk_past_region_end(void)
{
    check_buffer_chunk_past_region_end(false);
}

static void test_buffer_chunk_past_region_end_opt_in(void)
{
    check_buffer_chunk_past_region_end(true);
}

static void test_typed_ram_endianness(void)
{
    Machine *m = machine_new();
    uint8_t *host = memory_region_get_ram_ptr(&m->ram);
    MemTxResult r;

    address_space_stl_le(&m->as, 0x20, 0x11223344, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    g_assert_cmpuint(host[0x20], ==, 0x44);
    address_space_stl_be(&m->as, 0x24, 0x11223344, ATTRS, &r);
    g_assert_cmpuint(host[0x24], ==, 0x11);
    g_assert_cmpuint(address_space_ldl_be(&m->as, 0x20, ATTRS, &r), ==,
                     0x44332211);
    g_assert_cmpuint(address_space_lduw_le(&m->as, 0x21, ATTRS, &r), ==,
                     0x2233);
    address_space_set_big_endian(&m->as, true);
    g_assert_cmpuint(address_space_ldl(&m->as, 0x24, ATTRS, &r), ==,
                     0x11223344);
    address_space_stq(&m->as, 0x28, 0x0102030405060708ull, ATTRS, &r);
    g_assert_cmpuint(host[0x28], ==, 0x01);
    g_assert_cmpuint(address_space_ldq_le(&m->as, 0x28, ATTRS, &r), ==,
                     0x0807060504030201ull);
    machine_free(m);
}

/* QEMU: a typed access running off the end of a RAM section goes whole to
 * that region, whose unassigned ops refuse it. */
static void test_typed_straddling_ram_section(void)
{
    Machine *m = machine_new();
    MemTxResult r;

    memset(memory_region_get_ram_ptr(&m->ram), 0xff, 0x1000);
    g_assert_cmpuint(address_space_ldl_le(&m->as, 0xffe, ATTRS, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    machine_free(m);
}

static void test_hole_typed(void)
{
    Machine *m = machine_new();
    MemTxResult r = MEMTX_OK;

    g_assert_cmpuint(address_space_ldq_le(&m->as, 0x2000, ATTRS, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    address_space_stb(&m->as, 0x2000, 1, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    machine_free(m);
}

/* An access that runs past 2^64 wraps to address 0, as in QEMU 7.2: here
 * the top is a hole (zeros, MEMTX_DECODE_ERROR) and 0 is RAM. */
static void test_no_wrap_at_top(void)
{
    Machine *m = machine_new();
    uint8_t *ram = memory_region_get_ram_ptr(&m->ram);
    static const uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t buf[8];

    memset(ram, 0xee, 8);
    memset(buf, 0x11, sizeof(buf));
    g_assert_cmpuint(address_space_read(&m->as, UINT64_MAX - 3, ATTRS, buf, 8),
                     ==, MEMTX_DECODE_ERROR);
    for (int i = 0; i < 8; i++) {
        g_assert_cmpuint(buf[i], ==, i < 4 ? 0 : 0xee);
    }
    g_assert_cmpuint(address_space_write(&m->as, UINT64_MAX - 3, ATTRS, w, 8),
                     ==, MEMTX_DECODE_ERROR);
    g_assert_cmpmem(ram, 4, w + 4, 4);
    g_assert_cmpuint(ram[4], ==, 0xee);
    g_assert_false(
        address_space_access_valid(&m->as, UINT64_MAX - 3, 8, false, ATTRS));
    machine_free(m);
}

static void test_access_valid(void)
{
    Machine *m = machine_new();

    g_assert_true(address_space_access_valid(&m->as, 0, 0x2000, true, ATTRS));
    g_assert_false(
        address_space_access_valid(&m->as, 0x1ff0, 0x20, false, ATTRS));
    g_assert_true(
        address_space_access_valid(&m->as, 0x3000, 0x100, false, ATTRS));
    g_assert_false(
        address_space_access_valid(&m->as, 0x3000, 0x1, true, ATTRS));
    g_assert_true(address_space_access_valid(&m->as, 0x4000, 4, false, ATTRS));
    machine_free(m);
}

static void test_translate(void)
{
    Machine *m = machine_new();
    hwaddr xlat, len = 0x100;
    MemoryRegion *mr;

    rcu_read_lock();
    mr = address_space_translate(&m->as, 0x1f80, &xlat, &len, false, ATTRS);
    g_assert_true(mr == &m->ram2);
    g_assert_cmpuint(xlat, ==, 0xf80);
    g_assert_cmpuint(len, ==, 0x80); /* RAM: clamped to the section */
    len = 8;
    mr = address_space_translate(&m->as, 0x4000, &xlat, &len, false, ATTRS);
    g_assert_true(mr == &m->io);
    g_assert_cmpuint(len, ==, 8); /* MMIO: left as is */
    mr = address_space_translate(&m->as, 0x2000, &xlat, &len, false, ATTRS);
    g_assert_cmpstr(memory_region_name(mr), ==, "unassigned");
    rcu_read_unlock();
    machine_free(m);
}

/*
 * A ROM device's fast-path sizes (its ops' accesses need no planning) do
 * not take romd-mode reads away from its RAM; writes, and reads in MMIO
 * mode, reach the ops, through the typed and the buffer path alike, and
 * through the per-section step the guest-memory interface uses.
 */
static void test_typed_romd(void)
{
    Machine *m = machine_new();
    MemoryRegion romd;
    MemTxResult res = MEMTX_ERROR;
    uint8_t buf[4];

    memset(&romd, 0, sizeof(romd));
    g_assert_true(memory_region_init_rom_device(&romd, NULL, &regs_ops,
                                                &m->regs, "romd", 16, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x5000, &romd, NULL));
    memcpy(memory_region_get_ram_ptr(&romd), "\x11\x22\x33\x44", 4);
    m->regs.bytes[0] = 0x99;

    g_assert_cmphex(address_space_ldl_le(&m->as, 0x5000, ATTRS, &res), ==,
                    0x44332211);
    g_assert_cmphex(res, ==, MEMTX_OK);
    g_assert_cmphex(address_space_read(&m->as, 0x5000, ATTRS, buf, 4), ==,
                    MEMTX_OK);
    g_assert_cmpmem(buf, 4, "\x11\x22\x33\x44", 4);
    WITH_RCU_READ_LOCK_GUARD () {
        const FlatSection *sec =
            flatview_find(address_space_to_flatview(&m->as), 0x5000);
        uint64_t v = 0;

        g_assert_cmphex(memory_section_load(sec, 0x5000, 4,
                                            DEVICE_LITTLE_ENDIAN, ATTRS, &m->as,
                                            false, &v),
                        ==, MEMTX_OK);
        g_assert_cmphex(v, ==, 0x44332211);
    }
    g_assert_cmpstr(m->regs.log->str, ==, "");
    address_space_stw_le(&m->as, 0x5002, 0xa0b0, ATTRS, &res);
    g_assert_cmphex(res, ==, MEMTX_OK);
    g_assert_cmpstr(m->regs.log->str, ==, "w2@2 ");

    memory_region_rom_device_set_romd(&romd, false);
    g_assert_cmphex(address_space_ldl_le(&m->as, 0x5000, ATTRS, &res), ==,
                    0xa0b00099);
    g_assert_cmpstr(m->regs.log->str, ==, "w2@2 r4@0 ");
    memory_region_del_subregion(&m->sys, &romd, NULL);
    drain_call_rcu();
    memory_region_finalize(&romd);
    machine_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/access/ram/roundtrip", test_ram_roundtrip);
    g_test_add_func("/access/buffer/cross-section", test_cross_section);
    g_test_add_func("/access/buffer/short-lengths", test_short_lengths);
    g_test_add_func("/access/lookup/chunk-sizes", test_lookup_sizes);
    g_test_add_func("/access/lookup/direct", test_lookup_direct);
    g_test_add_func("/access/lookup/direct-after-deletes",
                    test_lookup_direct_after_deletes);
    g_test_add_func("/access/hole/reads-zero-and-continues",
                    test_hole_reads_zero_and_continues);
    g_test_add_func("/access/hole/typed-decode-error", test_hole_typed);
    g_test_add_func("/access/hole/run-matches-chunks",
                    test_hole_run_matches_chunks);
    g_test_add_func("/access/rom/write-dropped-decode-error",
                    test_rom_write_dropped);
    g_test_add_func("/access/attrs/memory-refuses-mmio",
                    test_attrs_memory_refuses_mmio);
    g_test_add_func("/access/mmio/whole-width-to-first-region",
                    test_mmio_whole_width_to_first_region);
    g_test_add_func("/access/qemu/buffer-chunk-past-region-end",
                    test_buffer_chunk_past_region_end);
    g_test_add_func("/access/opt-in/buffer-chunk-past-region-end",
                    test_buffer_chunk_past_region_end_opt_in);
    g_test_add_func("/access/typed/ram-endianness", test_typed_ram_endianness);
    g_test_add_func("/access/typed/romd-reads-ram", test_typed_romd);
    g_test_add_func("/access/typed/straddling-ram-section",
                    test_typed_straddling_ram_section);
    g_test_add_func("/access/top/no-wrap", test_no_wrap_at_top);
    g_test_add_func("/access/valid/ranges", test_access_valid);
    g_test_add_func("/access/translate/clamp-rules", test_translate);
    return g_test_run();
}
