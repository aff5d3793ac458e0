/* SPDX-License-Identifier: MIT */
/*
 * address_space_map / address_space_unmap: direct RAM pointers clamped to
 * the contiguous run, bounded bounce buffers for MMIO and holes, map
 * clients, and mappings that outlive a topology change (QEMU's physmem.c
 * rules).
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "owned-ram.h"
#include "section-copy.h"

/*
 * Under a sanitizer, an allocation larger than the host can give must make
 * malloc() return NULL, as it does without one, instead of ending the run
 * with a report: /map/bounce/allocation-failure-keeps-budget relies on it.
 * Options given in ASAN_OPTIONS/TSAN_OPTIONS still take precedence.
 */
const char *__asan_default_options(void);
const char *__tsan_default_options(void);

const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

const char *__tsan_default_options(void)
{
    return "allocator_may_return_null=1";
}

#define ATTRS   MEMTXATTRS_UNSPECIFIED
#define DEV_LEN 0x1000
#define TIB     (UINT64_C(1) << 40)

/* An MMIO device: byte i reads as (i ^ 0x5a) until written; logs writes. */
typedef struct Dev {
    uint8_t bytes[DEV_LEN];
    unsigned reads;
    GString *writes; /* "w<size>@<offset>=<value> " */
} Dev;

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    Dev *d = opaque;
    uint64_t v = 0;

    __atomic_fetch_add(&d->reads, 1, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)d->bytes[addr + i] << (8 * i);
    }
    return v;
}

static void dev_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    Dev *d = opaque;

    for (unsigned i = 0; i < size; i++) {
        d->bytes[addr + i] = (uint8_t)(v >> (8 * i));
    }
    g_string_append_printf(d->writes, "w%u@%u=%" PRIx64 " ", size,
                           (unsigned)addr, v);
}

static const MemoryRegionOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
};

/*
 * 0x0000-0x0fff ram_a, 0x1000-0x1fff ram_b: two regions over one host
 * buffer (contiguous host memory, different regions);
 * 0x10000-0x10fff alias_lo (read-only) of big[0, 0x1000) and
 * 0x11000-0x11fff alias_hi of big[0x1000, 0x2000): two sections, one
 * region, contiguous offsets; 0x20000-0x20fff dev (MMIO);
 * 0x30000-0x300ff rom; everything else is a hole.
 */
typedef struct Machine {
    MemoryRegion sys, ram_a, ram_b, big, alias_lo, alias_hi, io, rom;
    AddressSpace as;
    uint8_t *host; /* backs ram_a and ram_b */
    Dev dev;
} Machine;

static Machine *machine_new(void)
{
    Machine *m = g_new0(Machine, 1);

    m->host = g_malloc0(0x2000);
    m->dev.writes = g_string_new("");
    for (unsigned i = 0; i < DEV_LEN; i++) {
        m->dev.bytes[i] = (uint8_t)(i ^ 0x5a);
    }
    g_assert_true(
        memory_region_init(&m->sys, NULL, "system", UINT64_MAX, NULL));
    g_assert_true(memory_region_init_ram_ptr(&m->ram_a, NULL, "ram-a", 0x1000,
                                             m->host, NULL));
    g_assert_true(memory_region_init_ram_ptr(&m->ram_b, NULL, "ram-b", 0x1000,
                                             m->host + 0x1000, NULL));
    g_assert_true(memory_region_init_ram(&m->big, NULL, "big", 0x3000, NULL));
    g_assert_true(memory_region_init_alias(&m->alias_lo, NULL, "alias-lo",
                                           &m->big, 0, 0x1000, NULL));
    g_assert_true(memory_region_init_alias(&m->alias_hi, NULL, "alias-hi",
                                           &m->big, 0x1000, 0x1000, NULL));
    memory_region_set_readonly(&m->alias_lo, true);
    g_assert_true(memory_region_init_io(&m->io, NULL, &dev_ops, &m->dev, "dev",
                                        DEV_LEN, NULL));
    g_assert_true(memory_region_init_rom(&m->rom, NULL, "rom", 0x100, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0, &m->ram_a, NULL));
    g_assert_true(
        memory_region_add_subregion(&m->sys, 0x1000, &m->ram_b, NULL));
    g_assert_true(
        memory_region_add_subregion(&m->sys, 0x10000, &m->alias_lo, NULL));
    g_assert_true(
        memory_region_add_subregion(&m->sys, 0x11000, &m->alias_hi, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x20000, &m->io, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x30000, &m->rom, NULL));
    g_assert_true(address_space_init(&m->as, &m->sys, "memory", NULL));
    return m;
}

static void machine_free(Machine *m)
{
    address_space_destroy(&m->as);
    memory_region_finalize(&m->sys);
    memory_region_finalize(&m->ram_a);
    memory_region_finalize(&m->ram_b);
    memory_region_finalize(&m->alias_lo);
    memory_region_finalize(&m->alias_hi);
    memory_region_finalize(&m->big);
    memory_region_finalize(&m->io);
    memory_region_finalize(&m->rom);
    drain_call_rcu();
    g_string_free(m->dev.writes, true);
    g_free(m->host);
    g_free(m);
}

static uint8_t *ram_of(MemoryRegion *mr)
{
    return memory_region_get_ram_ptr(mr);
}

static void test_ram_direct(void)
{
    Machine *m = machine_new();
    uint8_t out[16];
    hwaddr len = 0x80;
    uint8_t *p = address_space_map(&m->as, 0x100, &len, true, ATTRS);

    g_assert_true(p == m->host + 0x100);
    g_assert_cmpuint(len, ==, 0x80);
    memcpy(p, "direct-to-guest!", 16);
    address_space_unmap(&m->as, p, len, true, 16);
    g_assert_cmpuint(address_space_read(&m->as, 0x100, ATTRS, out, 16), ==,
                     MEMTX_OK);
    g_assert_cmpmem(out, 16, "direct-to-guest!", 16);
    machine_free(m);
}

static void test_ram_clamped_to_region(void)
{
    Machine *m = machine_new();
    hwaddr len = 0x2000;
    uint8_t *p = address_space_map(&m->as, 0x800, &len, false, ATTRS);

    /* ram_b's memory follows on the host, but it is another region */
    g_assert_true(p == m->host + 0x800);
    g_assert_cmpuint(len, ==, 0x800);
    address_space_unmap(&m->as, p, len, false, 0);
    machine_free(m);
}

/* Count the sections of the current view that intersect [lo, hi]. */
static size_t sections_in(AddressSpace *as, hwaddr lo, hwaddr hi)
{
    FlatView *fv = address_space_get_flatview(as);
    size_t n = 0;

    for (size_t i = 0; i < flatview_nr_sections(fv); i++) {
        const MemoryRegionSection *s = view_section(fv, i);
        hwaddr first = s->offset_within_address_space;

        if (first <= hi && first + (hwaddr)(s->size - 1) >= lo) {
            n++;
        }
    }
    flatview_unref(fv);
    return n;
}

static void test_ram_same_region_sections(void)
{
    Machine *m = machine_new();
    hwaddr len = 0x1000;
    uint8_t *p;

    /* read-only vs writable alias: QEMU keeps two sections */
    g_assert_cmpuint(sections_in(&m->as, 0x10000, 0x11fff), ==, 2);
    for (int dir = 0; dir < 2; dir++) {
        len = 0x1000;
        p = address_space_map(&m->as, 0x10800, &len, dir, ATTRS);
        g_assert_true(p == ram_of(&m->big) + 0x800);
        g_assert_cmpuint(len, ==, 0x1000); /* extended into alias_hi */
        address_space_unmap(&m->as, p, len, dir, 0);
    }
    /* the whole run, asked for more: clamped at the end of alias_hi */
    len = 0x10000;
    p = address_space_map(&m->as, 0x10000, &len, false, ATTRS);
    g_assert_true(p == ram_of(&m->big));
    g_assert_cmpuint(len, ==, 0x2000);
    address_space_unmap(&m->as, p, len, false, 0);

    /* offsets no longer contiguous: the run stops at the section end */
    g_assert_true(memory_region_set_alias_offset(&m->alias_hi, 0x1800, NULL));
    len = 0x1000;
    p = address_space_map(&m->as, 0x10800, &len, false, ATTRS);
    g_assert_true(p == ram_of(&m->big) + 0x800);
    g_assert_cmpuint(len, ==, 0x800);
    address_space_unmap(&m->as, p, len, false, 0);
    machine_free(m);
}

static void test_mmio_bounce_read(void)
{
    Machine *m = machine_new();
    hwaddr len = 0x20;
    uint8_t *p = address_space_map(&m->as, 0x20010, &len, false, ATTRS);

    g_assert_nonnull(p);
    g_assert_cmpuint(len, ==, 0x20);
    g_assert_cmpuint(m->dev.reads, >, 0);
    for (unsigned i = 0; i < 0x20; i++) {
        g_assert_cmpuint(p[i], ==, (0x10 + i) ^ 0x5a);
    }
    address_space_unmap(&m->as, p, len, false, 0);
    g_assert_cmpstr(m->dev.writes->str, ==, ""); /* reads write nothing */
    machine_free(m);
}

static void test_mmio_bounce_write_back(void)
{
    Machine *m = machine_new();
    hwaddr len = 0x20;
    uint8_t *p = address_space_map(&m->as, 0x20000, &len, true, ATTRS);
    unsigned reads;

    g_assert_nonnull(p);
    g_assert_cmpuint(len, ==, 0x20);
    reads = m->dev.reads;
    g_assert_cmpuint(reads, ==, 0); /* a write mapping reads nothing */
    for (unsigned i = 0; i < 0x20; i++) {
        p[i] = (uint8_t)(0xc0 + i);
    }
    g_assert_cmpstr(m->dev.writes->str, ==, ""); /* not before unmap */
    address_space_unmap(&m->as, p, len, true, 6);
    /* exactly access_len bytes, in the device's access sizes */
    g_assert_cmpstr(m->dev.writes->str, ==, "w4@0=c3c2c1c0 w2@4=c5c4 ");
    g_assert_cmpuint(m->dev.bytes[5], ==, 0xc5);
    g_assert_cmpuint(m->dev.bytes[6], ==, 6 ^ 0x5a);
    machine_free(m);
}

static void client_count(void *opaque)
{
    __atomic_fetch_add((int *)opaque, 1, __ATOMIC_RELAXED);
}

static void test_bounce_busy_and_client(void)
{
    Machine *m = machine_new();
    hwaddr len = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE, len2 = 4;
    int called = 0, withdrawn = 0;
    uint8_t *p = address_space_map(&m->as, 0x20000, &len, false, ATTRS);
    uint8_t *q;

    g_assert_nonnull(p);
    g_assert_cmpuint(len, ==, ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE);
    q = address_space_map(&m->as, 0x20000, &len2, true, ATTRS);
    g_assert_null(q);
    g_assert_cmpuint(len2, ==, 0);
    /* RAM does not need the bounce buffer */
    len2 = 4;
    q = address_space_map(&m->as, 0, &len2, true, ATTRS);
    g_assert_true(q == m->host);
    address_space_unmap(&m->as, q, len2, true, 0);

    address_space_register_map_client(&m->as, client_count, &called);
    address_space_register_map_client(&m->as, client_count, &withdrawn);
    address_space_unregister_map_client(&m->as, client_count, &withdrawn);
    g_assert_cmpint(called, ==, 0);
    address_space_unmap(&m->as, p, len, false, 0);
    g_assert_cmpint(called, ==, 1);
    g_assert_cmpint(withdrawn, ==, 0);
    /* one-shot: a later unmap does not call it again */
    len = 8;
    p = address_space_map(&m->as, 0x20000, &len, false, ATTRS);
    g_assert_nonnull(p);
    address_space_unmap(&m->as, p, len, false, 0);
    g_assert_cmpint(called, ==, 1);
    /* space available now: called at once */
    address_space_register_map_client(&m->as, client_count, &called);
    g_assert_cmpint(called, ==, 2);
    machine_free(m);
}

static void test_bounce_shared_budget(void)
{
    Machine *m = machine_new();
    hwaddr len = 100, len2 = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE;
    uint8_t *p = address_space_map(&m->as, 0x20000, &len, false, ATTRS);
    uint8_t *q = address_space_map(&m->as, 0x20100, &len2, false, ATTRS);

    /* QEMU: the bound is on the bytes outstanding, not the buffer count */
    g_assert_nonnull(p);
    g_assert_nonnull(q);
    g_assert_cmpuint(len, ==, 100);
    g_assert_cmpuint(len2, ==, ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE - 100);
    address_space_unmap(&m->as, q, len2, false, 0);
    address_space_unmap(&m->as, p, len, false, 0);

    address_space_set_max_bounce_buffer_size(&m->as, 16);
    len = 64;
    p = address_space_map(&m->as, 0x20000, &len, false, ATTRS);
    g_assert_cmpuint(len, ==, 16);
    address_space_unmap(&m->as, p, len, false, 0);
    machine_free(m);
}

static void test_huge_length_clamped(void)
{
    Machine *m = machine_new();
    hwaddr len = TIB;
    uint8_t *p = address_space_map(&m->as, 0x20000, &len, true, ATTRS);

    /* bounce: bounded by the limit, never a guest-sized allocation */
    g_assert_nonnull(p);
    g_assert_cmpuint(len, ==, ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE);
    address_space_unmap(&m->as, p, len, true, 0);
    g_assert_cmpstr(m->dev.writes->str, ==, "");
    /* RAM: the rest of the region */
    len = TIB;
    p = address_space_map(&m->as, 0x10, &len, true, ATTRS);
    g_assert_true(p == m->host + 0x10);
    g_assert_cmpuint(len, ==, 0x1000 - 0x10);
    address_space_unmap(&m->as, p, len, true, len);
    /* access_len past the mapping is clamped too */
    len = 8;
    p = address_space_map(&m->as, 0x20000, &len, true, ATTRS);
    memset(p, 0xee, 8);
    address_space_unmap(&m->as, p, len, true, TIB);
    g_assert_cmpstr(m->dev.writes->str, ==, "w4@0=eeeeeeee w4@4=eeeeeeee ");
    machine_free(m);
}

/*
 * The bounce buffer is allocated with g_try_malloc0(): with the limit
 * raised past what the host can allocate, the map fails cleanly and gives
 * its reservation back.
 */
static void test_bounce_allocation_failure(void)
{
    Machine *m = machine_new();
    hwaddr len = UINT64_C(1) << 62;
    int called = 0;
    void *p;

    address_space_set_max_bounce_buffer_size(&m->as, SIZE_MAX);
    p = address_space_map(&m->as, 0x20000, &len, false, ATTRS);
    g_assert_null(p);
    g_assert_cmpuint(len, ==, 0);
    g_assert_cmpuint(m->dev.reads, ==, 0);
    /* the budget is as it was: the whole default limit is available */
    address_space_set_max_bounce_buffer_size(&m->as,
                                             ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE);
    address_space_register_map_client(&m->as, client_count, &called);
    g_assert_cmpint(called, ==, 1);
    len = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE;
    p = address_space_map(&m->as, 0x20000, &len, false, ATTRS);
    g_assert_nonnull(p);
    g_assert_cmpuint(len, ==, ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE);
    address_space_unmap(&m->as, p, len, false, 0);
    machine_free(m);
}

static void test_hole(void)
{
    Machine *m = machine_new();
    hwaddr len = TIB;
    uint8_t *p = address_space_map(&m->as, 0x40000, &len, false, ATTRS);
    uint8_t zeros[64] = {0}, out[64];

    /* QEMU bounces holes: reads of unassigned memory give zeros */
    g_assert_nonnull(p);
    g_assert_cmpuint(len, ==, ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE);
    g_assert_cmpmem(p, 64, zeros, 64);
    address_space_unmap(&m->as, p, len, false, 0);
    /* writes into a hole are dropped at unmap */
    len = 64;
    p = address_space_map(&m->as, 0x40000, &len, true, ATTRS);
    g_assert_nonnull(p);
    memset(p, 0x77, 64);
    address_space_unmap(&m->as, p, len, true, 64);
    g_assert_cmpuint(address_space_read(&m->as, 0x40000, ATTRS, out, 64), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpmem(out, 64, zeros, 64);
    /* zero length maps nothing */
    len = 0;
    g_assert_null(address_space_map(&m->as, 0, &len, false, ATTRS));
    g_assert_cmpuint(len, ==, 0);
    machine_free(m);
}

static void test_rom(void)
{
    Machine *m = machine_new();
    uint8_t *rom = ram_of(&m->rom);
    hwaddr len = 0x10;
    uint8_t *p;

    memset(rom, 0x11, 0x100);
    p = address_space_map(&m->as, 0x30000, &len, false, ATTRS);
    g_assert_true(p == rom); /* reads are direct */
    address_space_unmap(&m->as, p, len, false, 0);
    p = address_space_map(&m->as, 0x30000, &len, true, ATTRS);
    g_assert_nonnull(p);
    g_assert_true(p != rom); /* writes bounce, and are dropped */
    memset(p, 0x99, len);
    address_space_unmap(&m->as, p, len, true, len);
    g_assert_cmpuint(rom[0], ==, 0x11);
    machine_free(m);
}

static void test_unmap_unknown(void)
{
    Machine *m = machine_new();
    uint8_t local[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    hwaddr len = 8;
    uint8_t *p;

    address_space_unmap(&m->as, local, 8, true, 8); /* before any map */
    p = address_space_map(&m->as, 0x20000, &len, true, ATTRS);
    address_space_unmap(&m->as, local, 8, true, 8);
    address_space_unmap(&m->as, p + 1, 7, true, 7); /* not the start */
    g_assert_cmpstr(m->dev.writes->str, ==, "");
    address_space_unmap(&m->as, p, len, true, 0);
    address_space_unmap(&m->as, p, len, true, 8); /* twice: ignored */
    g_assert_cmpstr(m->dev.writes->str, ==, "");
    machine_free(m);
}

static void test_unmap_marks_dirty(void)
{
    const unsigned mig = DIRTY_MEMORY_MIGRATION;
    Machine *m = machine_new();
    hwaddr len = 0x1000;
    uint8_t *p;

    memory_region_set_log(&m->big, true, mig);
    /* a read mapping dirties nothing */
    p = address_space_map(&m->as, 0x11000, &len, false, ATTRS);
    g_assert_true(p == ram_of(&m->big) + 0x1000);
    address_space_unmap(&m->as, p, len, false, len);
    g_assert_false(memory_region_get_dirty(&m->big, 0, 0x3000, mig));
    /* a write mapping dirties the pages of access_len, at the right offset */
    len = 0x1000;
    p = address_space_map(&m->as, 0x11000, &len, true, ATTRS);
    g_assert_false(memory_region_get_dirty(&m->big, 0, 0x3000, mig));
    address_space_unmap(&m->as, p, len, true, 8);
    g_assert_false(memory_region_get_dirty(&m->big, 0, 0x1000, mig));
    g_assert_true(memory_region_get_dirty(&m->big, 0x1000, 0x1000, mig));
    g_assert_false(memory_region_get_dirty(&m->big, 0x2000, 0x1000, mig));
    machine_free(m);
}

static void test_mapping_survives_removal(void)
{
    Machine *m = machine_new();
    OwnedRam *d;
    int released = 0;
    hwaddr len = 0x100;
    uint8_t *p;

    d = owned_ram_new(&m->sys, 0x50000, 0x1000, &released);
    p = address_space_map(&m->as, 0x50000, &len, true, ATTRS);
    g_assert_nonnull(p);
    g_assert_true(memory_region_del_subregion(&m->sys, &d->ram, NULL));
    memory_owner_unref(&d->owner);
    drain_call_rcu();
    /* the mapping's reference keeps the memory: ASan would see a UAF */
    g_assert_false(owned_ram_released(&released));
    memset(p, 0x42, len);
    g_assert_cmpuint(p[0xff], ==, 0x42);
    address_space_unmap(&m->as, p, len, true, len);
    drain_call_rcu();
    g_assert_true(owned_ram_released(&released));
    machine_free(m);
}

static void test_destroy_releases_mappings(void)
{
    Machine *m = machine_new();
    OwnedRam *d;
    int released = 0;
    hwaddr len = 0x10, len2 = 0x10;
    void *p, *q;

    d = owned_ram_new(&m->sys, 0x50000, 0x1000, &released);
    p = address_space_map(&m->as, 0x50000, &len, false, ATTRS);
    q = address_space_map(&m->as, 0x20000, &len2, false, ATTRS);
    g_assert_nonnull(p);
    g_assert_nonnull(q);
    g_assert_true(memory_region_del_subregion(&m->sys, &d->ram, NULL));
    memory_owner_unref(&d->owner);
    drain_call_rcu(); /* the old views are gone: the mapping holds it */
    g_assert_false(owned_ram_released(&released));
    /* never unmapped: destroy drops the references and frees the bounce */
    address_space_destroy(&m->as);
    drain_call_rcu();
    g_assert_true(owned_ram_released(&released));
    machine_free(m); /* destroy again: a no-op */
}

typedef struct Worker {
    Machine *m;
    unsigned seed;
    int bounced, refused, direct;
    int woken; /* map-client calls, from any thread */
} Worker;

static gpointer worker(gpointer opaque)
{
    Worker *w = opaque;
    GRand *rand = g_rand_new_with_seed(w->seed);

    rcu_register_thread();
    for (int i = 0; i < 2000; i++) {
        bool mmio = g_rand_boolean(rand);
        bool is_write = g_rand_boolean(rand);
        hwaddr addr =
            (hwaddr)g_rand_int_range(rand, 0, 0x800) + (mmio ? 0x20000 : 0);
        hwaddr len = (hwaddr)g_rand_int_range(rand, 1, 0xc00);
        uint8_t *p = address_space_map(&w->m->as, addr, &len, is_write, ATTRS);

        if (!p) {
            g_assert_cmpuint(len, ==, 0);
            w->refused++;
            address_space_register_map_client(&w->m->as, client_count,
                                              &w->woken);
            continue;
        }
        if (mmio) {
            w->bounced++;
        } else {
            w->direct++;
            g_assert_true(p == w->m->host + addr);
        }
        g_thread_yield(); /* hold it a little: contention for the bound */
        address_space_unmap(&w->m->as, p, len, is_write, 0);
    }
    g_rand_free(rand);
    rcu_unregister_thread();
    return NULL;
}

static void test_concurrent(void)
{
    Machine *m = machine_new();
    Worker w[4];
    GThread *t[4];
    int bounced = 0, direct = 0, refused = 0, woken = 0;
    hwaddr len = 1;
    void *p;

    for (int i = 0; i < 4; i++) {
        w[i] = (Worker){.m = m, .seed = 1234u + (unsigned)i};
        t[i] = g_thread_new("map", worker, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        g_thread_join(t[i]);
    }
    /* only now: a thread's clients are called by the others' unmaps */
    for (int i = 0; i < 4; i++) {
        bounced += w[i].bounced;
        direct += w[i].direct;
        refused += w[i].refused;
        woken += __atomic_load_n(&w[i].woken, __ATOMIC_RELAXED);
    }
    g_assert_cmpint(bounced, >, 0);
    g_assert_cmpint(direct, >, 0);
    /* no lost wake-up: every client was called once its space was freed */
    g_assert_cmpint(woken, ==, refused);
    g_test_message("bounced %d, direct %d, refused %d", bounced, direct,
                   refused);
    /* every bounce byte was given back */
    len = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE;
    p = address_space_map(&m->as, 0x20000, &len, false, ATTRS);
    g_assert_cmpuint(len, ==, ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE);
    address_space_unmap(&m->as, p, len, false, 0);
    machine_free(m);
}

/*
 * A map client whose state is freed right after it is unregistered: the
 * callback must never run, or still be running, once
 * address_space_unregister_map_client() has returned.
 */
typedef struct ClientSlot {
    int state;     /* SLOT_*; the slots outlive the test loop */
    uint32_t *mem; /* g_malloc'ed, freed after unregister (ASan: UAF) */
} ClientSlot;

enum { SLOT_REGISTERED = 1, SLOT_UNREGISTERED = 2 };
#define SLOT_MAGIC 0xc11e47u

static int slot_violations, slot_calls;

static void slot_client(void *opaque)
{
    ClientSlot *slot = opaque;

    __atomic_fetch_add(&slot_calls, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&slot->state, __ATOMIC_RELAXED) != SLOT_REGISTERED ||
        slot->mem[0] != SLOT_MAGIC) {
        __atomic_fetch_add(&slot_violations, 1, __ATOMIC_RELAXED);
        return;
    }
    g_usleep(20); /* widen the window an unregister must wait through */
    if (__atomic_load_n(&slot->state, __ATOMIC_RELAXED) != SLOT_REGISTERED ||
        slot->mem[0] != SLOT_MAGIC) {
        __atomic_fetch_add(&slot_violations, 1, __ATOMIC_RELAXED);
    }
}

typedef struct Churn {
    Machine *m;
    int stop;
    int rounds;
} Churn;

/* Keeps the bounce budget busy and frees it, waking clients. */
static gpointer bounce_churn(gpointer opaque)
{
    Churn *c = opaque;

    rcu_register_thread();
    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
        hwaddr len = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE;
        void *p = address_space_map(&c->m->as, 0x20000, &len, true, ATTRS);

        if (p) {
            g_thread_yield();
            address_space_unmap(&c->m->as, p, len, true, 0);
            __atomic_fetch_add(&c->rounds, 1, __ATOMIC_RELEASE);
        }
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_client_not_run_after_unregister(void)
{
    enum { MAX_SLOTS = 200000 };
    Machine *m = machine_new();
    ClientSlot *slots = g_new0(ClientSlot, MAX_SLOTS);
    Churn churn = {.m = m};
    GRand *rand = g_rand_new_with_seed(77);
    GThread *t = g_thread_new("churn", bounce_churn, &churn);
    gint64 deadline;
    int used = 0;

    __atomic_store_n(&slot_violations, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&slot_calls, 0, __ATOMIC_RELAXED);
    while (!__atomic_load_n(&churn.rounds, __ATOMIC_ACQUIRE)) {
        g_thread_yield();
    }
    deadline = g_get_monotonic_time() + G_USEC_PER_SEC * 4 / 10;
    for (; used < MAX_SLOTS && g_get_monotonic_time() < deadline; used++) {
        ClientSlot *slot = &slots[used];

        slot->mem = g_new(uint32_t, 1);
        slot->mem[0] = SLOT_MAGIC;
        __atomic_store_n(&slot->state, SLOT_REGISTERED, __ATOMIC_RELAXED);
        address_space_register_map_client(&m->as, slot_client, slot);
        /* let the churn thread take it, and start calling it, or not */
        for (int spin = g_rand_int_range(rand, 0, 4000); spin > 0; spin--) {
            __asm__ volatile("" ::: "memory");
        }
        address_space_unregister_map_client(&m->as, slot_client, slot);
        __atomic_store_n(&slot->state, SLOT_UNREGISTERED, __ATOMIC_RELAXED);
        g_free(slot->mem);
    }
    __atomic_store_n(&churn.stop, 1, __ATOMIC_RELEASE);
    g_thread_join(t);
    g_test_message("%d clients, %d calls, %d bounce rounds", used,
                   __atomic_load_n(&slot_calls, __ATOMIC_RELAXED),
                   churn.rounds);
    /* the race was run: some clients were called */
    g_assert_cmpint(__atomic_load_n(&slot_calls, __ATOMIC_RELAXED), >, 0);
    g_assert_cmpint(__atomic_load_n(&slot_violations, __ATOMIC_RELAXED), ==, 0);
    g_rand_free(rand);
    g_free(slots);
    machine_free(m);
}

/* Client A withdraws itself and B, woken in the same unmap, from its call. */
typedef struct SelfWithdraw {
    AddressSpace *as;
    int a_calls, b_calls;
} SelfWithdraw;

static void client_b(void *opaque)
{
    ((SelfWithdraw *)opaque)->b_calls++;
}

static void client_a(void *opaque)
{
    SelfWithdraw *sw = opaque;

    sw->a_calls++;
    address_space_unregister_map_client(sw->as, client_a, sw); /* no wait */
    address_space_unregister_map_client(sw->as, client_b, sw);
}

static void test_client_unregister_from_callback(void)
{
    Machine *m = machine_new();
    SelfWithdraw sw = {.as = &m->as};
    hwaddr len = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE;
    void *p = address_space_map(&m->as, 0x20000, &len, true, ATTRS);

    g_assert_nonnull(p);
    address_space_register_map_client(&m->as, client_a, &sw);
    address_space_register_map_client(&m->as, client_b, &sw);
    address_space_unmap(&m->as, p, len, true, 0);
    g_assert_cmpint(sw.a_calls, ==, 1);
    g_assert_cmpint(sw.b_calls, ==, 0); /* withdrawn before its turn */
    /* neither is left registered */
    len = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE;
    p = address_space_map(&m->as, 0x20000, &len, true, ATTRS);
    g_assert_nonnull(p);
    address_space_unmap(&m->as, p, len, true, 0);
    g_assert_cmpint(sw.a_calls, ==, 1);
    g_assert_cmpint(sw.b_calls, ==, 0);
    /* space available: called at once, unregistering itself from inside */
    address_space_register_map_client(&m->as, client_a, &sw);
    g_assert_cmpint(sw.a_calls, ==, 2);
    machine_free(m);
}

/* A client that blocks in its call until released. */
typedef struct Gate {
    Machine *m;
    void *buffer; /* the bounce mapping the unmapping thread releases */
    int entered, open, unregistered;
} Gate;

static void gate_client(void *opaque)
{
    Gate *g = opaque;

    __atomic_store_n(&g->entered, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 10000 && !__atomic_load_n(&g->open, __ATOMIC_ACQUIRE);
         i++) {
        g_usleep(1000);
    }
}

static gpointer gate_unmap(gpointer opaque)
{
    Gate *g = opaque;

    rcu_register_thread();
    address_space_unmap(&g->m->as, g->buffer, ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE,
                        true, 0);
    rcu_unregister_thread();
    return NULL;
}

static gpointer gate_unregister(gpointer opaque)
{
    Gate *g = opaque;

    rcu_register_thread();
    address_space_unregister_map_client(&g->m->as, gate_client, g);
    __atomic_store_n(&g->unregistered, 1, __ATOMIC_RELEASE);
    rcu_unregister_thread();
    return NULL;
}

/*
 * Two callbacks running at once on two threads, each unregistering the
 * other: neither may wait for the other (that would never end).
 */
typedef struct Mutual {
    Machine *m;
    void *buffer;
    int x_running, y_running;
} Mutual;

static void mutual_y(void *opaque);

static void mutual_wait(const int *flag)
{
    for (int i = 0; i < 10000 && !__atomic_load_n(flag, __ATOMIC_ACQUIRE);
         i++) {
        g_usleep(1000);
    }
}

static void mutual_x(void *opaque)
{
    Mutual *mu = opaque;

    __atomic_store_n(&mu->x_running, 1, __ATOMIC_RELEASE);
    mutual_wait(&mu->y_running);
    address_space_unregister_map_client(&mu->m->as, mutual_y, mu);
}

static void mutual_y(void *opaque)
{
    Mutual *mu = opaque;

    __atomic_store_n(&mu->y_running, 1, __ATOMIC_RELEASE);
    mutual_wait(&mu->x_running);
    address_space_unregister_map_client(&mu->m->as, mutual_x, mu);
}

static gpointer mutual_unmap(gpointer opaque)
{
    Mutual *mu = opaque;

    rcu_register_thread();
    /* wakes mutual_x on this thread */
    address_space_unmap(&mu->m->as, mu->buffer,
                        ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE, true, 0);
    rcu_unregister_thread();
    return NULL;
}

static gpointer mutual_register(gpointer opaque)
{
    Mutual *mu = opaque;

    rcu_register_thread();
    mutual_wait(&mu->x_running);
    /* space is free again: mutual_y runs at once, on this thread */
    address_space_register_map_client(&mu->m->as, mutual_y, mu);
    rcu_unregister_thread();
    return NULL;
}

static void test_client_mutual_unregister(void)
{
    Machine *m = machine_new();
    Mutual mu = {.m = m};
    hwaddr len = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE;
    GThread *a, *b;

    mu.buffer = address_space_map(&m->as, 0x20000, &len, true, ATTRS);
    g_assert_nonnull(mu.buffer);
    address_space_register_map_client(&m->as, mutual_x, &mu);
    a = g_thread_new("unmap", mutual_unmap, &mu);
    b = g_thread_new("register", mutual_register, &mu);
    /* a deadlock never returns from these (the test times out) */
    g_thread_join(a);
    g_thread_join(b);
    g_assert_cmpint(mu.x_running, ==, 1);
    g_assert_cmpint(mu.y_running, ==, 1);
    machine_free(m);
}

static void test_client_unregister_waits_for_call(void)
{
    Machine *m = machine_new();
    Gate g = {.m = m};
    hwaddr len = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE;
    GThread *unmapper, *unregisterer;

    g.buffer = address_space_map(&m->as, 0x20000, &len, true, ATTRS);
    g_assert_nonnull(g.buffer);
    address_space_register_map_client(&m->as, gate_client, &g);
    unmapper = g_thread_new("unmap", gate_unmap, &g);
    while (!__atomic_load_n(&g.entered, __ATOMIC_ACQUIRE)) {
        g_usleep(100);
    }
    unregisterer = g_thread_new("unregister", gate_unregister, &g);
    g_usleep(100 * 1000);
    /* the call is still running: unregister has not returned */
    g_assert_cmpint(__atomic_load_n(&g.unregistered, __ATOMIC_ACQUIRE), ==, 0);
    __atomic_store_n(&g.open, 1, __ATOMIC_RELEASE);
    g_thread_join(unregisterer);
    g_thread_join(unmapper);
    g_assert_cmpint(g.unregistered, ==, 1);
    machine_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/map/ram/direct-pointer", test_ram_direct);
    g_test_add_func("/map/ram/clamped-to-region", test_ram_clamped_to_region);
    g_test_add_func("/map/ram/extends-over-same-region-sections",
                    test_ram_same_region_sections);
    g_test_add_func("/map/mmio/bounce-read", test_mmio_bounce_read);
    g_test_add_func("/map/mmio/write-back-access-len",
                    test_mmio_bounce_write_back);
    g_test_add_func("/map/bounce/busy-and-map-client",
                    test_bounce_busy_and_client);
    g_test_add_func("/map/bounce/shared-budget", test_bounce_shared_budget);
    g_test_add_func("/map/bounce/huge-length-clamped",
                    test_huge_length_clamped);
    g_test_add_func("/map/bounce/allocation-failure-keeps-budget",
                    test_bounce_allocation_failure);
    g_test_add_func("/map/hole/bounce-zeros-writes-dropped", test_hole);
    g_test_add_func("/map/rom/read-direct-write-bounced", test_rom);
    g_test_add_func("/map/unmap/unknown-pointer-ignored", test_unmap_unknown);
    g_test_add_func("/map/unmap/write-marks-dirty", test_unmap_marks_dirty);
    g_test_add_func("/map/lifetime/survives-region-removal",
                    test_mapping_survives_removal);
    g_test_add_func("/map/lifetime/destroy-releases-mappings",
                    test_destroy_releases_mappings);
    g_test_add_func("/map/threads/concurrent-map-unmap", test_concurrent);
    g_test_add_func("/map/client/not-run-after-unregister",
                    test_client_not_run_after_unregister);
    g_test_add_func("/map/client/unregister-from-callback",
                    test_client_unregister_from_callback);
    g_test_add_func("/map/client/mutual-unregister",
                    test_client_mutual_unregister);
    g_test_add_func("/map/client/unregister-waits-for-call",
                    test_client_unregister_waits_for_call);
    return g_test_run();
}
