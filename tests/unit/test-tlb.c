/* SPDX-License-Identifier: MIT */
/*
 * The per-vCPU translation cache (include/addrspace/tlb.h): what it
 * caches, what invalidates it, and a differential test: two identical
 * machines driven by the same random commits and accesses, one accessed
 * through an AsTlb, the other through address_space_ld*() / st*(); every
 * value, MemTxResult, device callback, RAM byte and dirty bit must agree.
 * The concurrency case runs a reader with an AsTlb against a thread that
 * replaces and frees its RAM (ASan/TSan builds: no freed memory touched).
 *
 * Usage: test-tlb [--seed N] [g_test options]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "tree-helpers.h"

#define attrs0 MEMTXATTRS_UNSPECIFIED

/* ---- Single behaviours -------------------------------------------------- */

/* A RAM region of @size at @addr whose byte at offset o is (o * 7 + tag). */
static MemoryRegion *patterned_ram(Tree *t, hwaddr addr, uint64_t size,
                                   uint8_t tag)
{
    MemoryRegion *mr = tree_ram(t, "ram", size);
    uint8_t *host = memory_region_get_ram_ptr(mr);

    for (uint64_t o = 0; o < size; o++) {
        host[o] = (uint8_t)(o * 7 + tag);
    }
    tree_add(t->root, addr, mr);
    return mr;
}

static uint32_t pattern_ldl(hwaddr off, uint8_t tag)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < 4; i++) {
        v |= (uint32_t)(uint8_t)((off + i) * 7 + tag) << (8 * i);
    }
    return v;
}

static void tlb_init_ok(AsTlb *tlb, AddressSpace *as)
{
    GError *err = NULL;

    g_assert_true(as_tlb_init(tlb, as, &err));
    g_assert_no_error(err);
}

static AsTlbStats stats_of(const AsTlb *tlb)
{
    AsTlbStats s;

    as_tlb_get_stats(tlb, &s);
    return s;
}

/* Loads of one page fill its entry once; later loads hit. */
static void test_hit_ram(Tree *t, gconstpointer data)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    MemTxResult r = MEMTX_ERROR;

    (void)data;
    patterned_ram(t, 0x10000, 0x4000, 3);
    tlb_init_ok(tlb, t->as);
    rcu_read_lock();
    for (hwaddr a = 0x11000; a < 0x12000; a += 4) {
        g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, a, attrs0, &r), ==,
                        pattern_ldl(a - 0x10000, 3));
        g_assert_cmpint(r, ==, MEMTX_OK);
    }
    rcu_read_unlock();
    g_assert_cmpuint(stats_of(tlb).fills, ==, 1);
    g_assert_cmpuint(stats_of(tlb).uncached, ==, 0);
    g_free(tlb);
}

/* A commit that replaces the RAM under a cached page: the next access
 * sees the new region, inside the same read-side section too. */
static void test_commit_revalidates(Tree *t, gconstpointer data)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    MemoryRegion *a, *b;
    MemTxResult r;

    (void)data;
    a = patterned_ram(t, 0x10000, 0x1000, 1);
    tlb_init_ok(tlb, t->as);
    rcu_read_lock();
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x10010, attrs0, &r), ==,
                    pattern_ldl(0x10, 1));
    tree_del(t->root, a);
    b = patterned_ram(t, 0x10000, 0x1000, 2);
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x10010, attrs0, &r), ==,
                    pattern_ldl(0x10, 2));
    g_assert_cmpint(r, ==, MEMTX_OK);
    tree_del(t->root, b);
    /* a hole now: as address_space_ldl_le() */
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x10010, attrs0, &r), ==, 0);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    rcu_read_unlock();
    g_assert_cmpuint(stats_of(tlb).fills, ==, 2);
    g_assert_cmpuint(stats_of(tlb).flushes, >=, 2);
    g_free(tlb);
}

/* Stores through a cached write entry after logging starts mark pages. */
static void test_dirty_log_start(Tree *t, gconstpointer data)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    MemoryRegion *mr;
    MemTxResult r;

    (void)data;
    mr = patterned_ram(t, 0x10000, 0x2000, 0);
    tlb_init_ok(tlb, t->as);
    rcu_read_lock();
    as_tlb_stl_le_rcu(tlb, 0x11000, 1, attrs0, &r);
    rcu_read_unlock();
    g_assert_cmpuint(stats_of(tlb).fills, ==, 1);
    memory_region_set_log(mr, true, DIRTY_MEMORY_MIGRATION);
    rcu_read_lock();
    as_tlb_stl_le_rcu(tlb, 0x11008, 2, attrs0, &r);
    rcu_read_unlock();
    g_assert_cmpint(r, ==, MEMTX_OK);
    g_assert_true(
        memory_region_get_dirty(mr, 0x1000, 4, DIRTY_MEMORY_MIGRATION));
    g_assert_false(memory_region_get_dirty(mr, 0, 4, DIRTY_MEMORY_MIGRATION));
    /* logged pages get no write entry */
    g_assert_cmpuint(stats_of(tlb).fills, ==, 1);
    memory_region_set_log(mr, false, DIRTY_MEMORY_MIGRATION);
    g_free(tlb);
}

static void count_hook(AddressSpace *as, const AddressSpaceAccess *access,
                       void *opaque)
{
    (void)as;
    (void)access;
    (*(unsigned *)opaque)++;
}

/* A hook added after entries were filled sees every later access: the
 * cache is revalidated and hooked pages are never cached. */
static void test_hooked_uncached(Tree *t, gconstpointer data)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    unsigned calls = 0;
    AddressSpaceHook *h;
    MemTxResult r;

    (void)data;
    patterned_ram(t, 0x10000, 0x2000, 0);
    tlb_init_ok(tlb, t->as);
    rcu_read_lock();
    as_tlb_stl_le_rcu(tlb, 0x11000, 1, attrs0, &r);
    (void)as_tlb_ldl_le_rcu(tlb, 0x11000, attrs0, &r);
    rcu_read_unlock();
    h = address_space_hook_add(t->as, 0x11000, 0x11fff, ADDRSPACE_HOOK_ACCESS,
                               count_hook, &calls, NULL, NULL);
    g_assert_nonnull(h);
    rcu_read_lock();
    for (int i = 0; i < 3; i++) {
        as_tlb_stl_le_rcu(tlb, 0x11000, 2, attrs0, &r);
        g_assert_cmpint(r, ==, MEMTX_OK);
        g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x11000, attrs0, &r), ==, 2);
    }
    rcu_read_unlock();
    g_assert_cmpuint(calls, ==, 6);
    g_assert_true(address_space_hook_remove(t->as, h, NULL));
    g_free(tlb);
}

/* A snapshot taken after a write entry was filled still sees the store. */
static void test_snapshot_tracks(Tree *t, gconstpointer data)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    GError *err = NULL;
    RamSnapshot *snap;
    MemTxResult r;

    (void)data;
    patterned_ram(t, 0x10000, 0x1000, 5);
    tlb_init_ok(tlb, t->as);
    rcu_read_lock();
    as_tlb_stl_le_rcu(tlb, 0x10020, 0xaabbccdd, attrs0, &r);
    rcu_read_unlock();
    snap = ram_snapshot_take_address_space(t->as, &err);
    g_assert_no_error(err);
    rcu_read_lock();
    as_tlb_stl_le_rcu(tlb, 0x10020, 0x11223344, attrs0, &r);
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x10020, attrs0, &r), ==,
                    0x11223344);
    rcu_read_unlock();
    g_assert_true(ram_snapshot_restore(snap, NULL, &err));
    g_assert_no_error(err);
    rcu_read_lock();
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x10020, attrs0, &r), ==,
                    0xaabbccdd);
    rcu_read_unlock();
    ram_snapshot_free(snap);
    g_free(tlb);
}

/* A shrink turns a cached page into a hole. */
static void test_resize_shrink(Tree *t, gconstpointer data)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    MemoryRegion *mr = tree_storage(t);
    GError *err = NULL;
    MemTxResult r;

    (void)data;
    tree_check(memory_region_init_resizeable_ram(mr, NULL, "rram", 0x4000,
                                                 0x8000, NULL, &err),
               err);
    tree_add(t->root, 0x10000, mr);
    tlb_init_ok(tlb, t->as);
    rcu_read_lock();
    as_tlb_ldl_le_rcu(tlb, 0x13000, attrs0, &r);
    g_assert_cmpint(r, ==, MEMTX_OK);
    as_tlb_stl_le_rcu(tlb, 0x13000, 9, attrs0, &r);
    rcu_read_unlock();
    tree_check(memory_region_ram_resize(mr, 0x2000, &err), err);
    rcu_read_lock();
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x13000, attrs0, &r), ==, 0);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    as_tlb_stl_le_rcu(tlb, 0x13000, 1, attrs0, &r);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    rcu_read_unlock();
    g_free(tlb);
}

/* ROM: reads cached, writes refused as address_space_stl_le() refuses. */
static void test_rom_write(Tree *t, gconstpointer data)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    MemoryRegion *rom = tree_rom(t, "rom", 0x1000);
    MemTxResult r, want;

    (void)data;
    tree_add(t->root, 0x10000, rom);
    tlb_init_ok(tlb, t->as);
    address_space_stl_le(t->as, 0x10000, 5, attrs0, &want);
    rcu_read_lock();
    as_tlb_ldl_le_rcu(tlb, 0x10000, attrs0, &r);
    g_assert_cmpint(r, ==, MEMTX_OK);
    as_tlb_stl_le_rcu(tlb, 0x10000, 5, attrs0, &r);
    g_assert_cmpint(r, ==, want);
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x10000, attrs0, &r), ==, 0);
    rcu_read_unlock();
    g_assert_cmpuint(stats_of(tlb).fills, ==, 1); /* the read entry only */
    g_assert_cmpuint(stats_of(tlb).uncached, ==, 1);
    g_free(tlb);
}

static uint64_t count_read(void *opaque, hwaddr addr, unsigned size)
{
    (*(unsigned *)opaque)++;
    return addr + size;
}

static void count_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    (void)addr;
    (void)val;
    (void)size;
    (*(unsigned *)opaque)++;
}

/* Every MMIO access reaches the device. */
static void test_mmio_never_cached(Tree *t, gconstpointer data)
{
    static const MemoryRegionOps ops = {
        .read = count_read,
        .write = count_write,
        .endianness = DEVICE_LITTLE_ENDIAN,
    };
    AsTlb *tlb = g_new(AsTlb, 1);
    MemoryRegion *io = tree_storage(t);
    GError *err = NULL;
    unsigned calls = 0;
    MemTxResult r;

    (void)data;
    tree_check(
        memory_region_init_io(io, NULL, &ops, &calls, "io", 0x1000, &err), err);
    tree_add(t->root, 0x10000, io);
    tlb_init_ok(tlb, t->as);
    rcu_read_lock();
    for (unsigned i = 0; i < 10; i++) {
        g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x10008, attrs0, &r), ==, 12);
        as_tlb_stl_le_rcu(tlb, 0x10008, i, attrs0, &r);
    }
    rcu_read_unlock();
    g_assert_cmpuint(calls, ==, 20);
    g_assert_cmpuint(stats_of(tlb).fills, ==, 0);
    g_free(tlb);
}

/* A page only partly covered by RAM is not cached; accesses stay right. */
static void test_partial_page(Tree *t, gconstpointer data)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    MemTxResult r;

    (void)data;
    patterned_ram(t, 0x10800, 0x1000, 4);
    tlb_init_ok(tlb, t->as);
    rcu_read_lock();
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x10800, attrs0, &r), ==,
                    pattern_ldl(0, 4));
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x107fc, attrs0, &r), ==, 0);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    rcu_read_unlock();
    g_assert_cmpuint(stats_of(tlb).fills, ==, 0);
    g_assert_cmpuint(stats_of(tlb).uncached, ==, 2);
    g_free(tlb);
}

/* Unaligned accesses in a cached page and accesses across pages. */
static void test_unaligned(Tree *t, gconstpointer data)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    MemTxResult r;

    (void)data;
    patterned_ram(t, 0x10000, 0x2000, 6);
    tlb_init_ok(tlb, t->as);
    rcu_read_lock();
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x10003, attrs0, &r), ==,
                    pattern_ldl(3, 6));
    g_assert_cmphex(as_tlb_ldl_be_rcu(tlb, 0x10ffe, attrs0, &r), ==,
                    GUINT32_SWAP_LE_BE(pattern_ldl(0xffe, 6)));
    as_tlb_stq_be_rcu(tlb, 0x10ffc, 0x0102030405060708ull, attrs0, &r);
    g_assert_cmpint(r, ==, MEMTX_OK);
    g_assert_cmphex(address_space_ldq_be(t->as, 0x10ffc, attrs0, &r), ==,
                    0x0102030405060708ull);
    rcu_read_unlock();
    g_free(tlb);
}

/* An AddressSpace that is not initialised: init fails, accesses fail. */
static void test_init_invalid(void)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    GError *err = NULL;
    MemTxResult r = MEMTX_OK;

    g_assert_false(as_tlb_init(tlb, NULL, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    rcu_read_lock();
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x1000, attrs0, &r), ==, 0);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    as_tlb_stb_rcu(tlb, 0x1000, 1, attrs0, &r);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    rcu_read_unlock();
    g_assert_null(as_tlb_address_space(tlb));
    g_free(tlb);
}

/* Outside a read-side section: logged once, served without the cache. */
static void test_outside_section(Tree *t, gconstpointer data)
{
    AsTlb *tlb = g_new(AsTlb, 1);
    MemTxResult r;

    (void)data;
    patterned_ram(t, 0x10000, 0x1000, 8);
    tlb_init_ok(tlb, t->as);
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
                          "*outside a read-side section*");
    g_assert_cmphex(as_tlb_ldl_le_rcu(tlb, 0x10000, attrs0, &r), ==,
                    pattern_ldl(0, 8));
    g_test_assert_expected_messages();
    g_assert_cmpuint(stats_of(tlb).fills, ==, 0);
    g_free(tlb);
}

/* ---- Differential: TLB against address_space_ld/st ---------------------- */

enum {
    K_RAM_A,     /* RAM 0x3000 */
    K_RAM_B,     /* RAM 0x2800: a partly covered page */
    K_RAM_C,     /* resizeable RAM, 0x1000..0x4000 */
    K_ROM,       /* ROM 0x2000 */
    K_ROMD,      /* ROM device 0x2000, romd mode toggled */
    K_IO_LE,     /* MMIO 0x1000, little endian */
    K_IO_BE,     /* MMIO 0x800, big endian */
    K_ALIAS_ODD, /* alias of K_RAM_A at offset 0x1004: host misaligned */
    K_ALIAS_RO,  /* alias of K_RAM_C at 0, read-only toggled */
    K_IOMMU,     /* IOMMU 0x2000 into the target space */
    K_RESERVED,  /* reservation 0x1000 */
    NR_KINDS
};

#define WINDOW 0x10000u /* regions are placed in [0, WINDOW) */
#define GRID   0x400u

typedef struct World World;

/* One device callback, as recorded. */
typedef struct Call {
    unsigned kind;
    bool write;
    hwaddr offset;
    unsigned size;
    uint64_t value;
} Call;

typedef struct Dev {
    World *w;
    unsigned kind;
    uint64_t reads;
} Dev;

struct World {
    MemoryRegion *root, *troot, *tram;
    AddressSpace as, tas;
    MemoryRegion mr[NR_KINDS];
    Dev dev[NR_KINDS];
    bool mapped[NR_KINDS];
    hwaddr iommu_base;
    IOMMUAccessFlags iommu_perm;
    GArray *calls;
    RamSnapshot *snap;
    Tree t; /* owns root, troot, tram */
};

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    Dev *d = opaque;
    uint64_t v = (addr * 0x9e3779b97f4a7c15ull + d->reads++ * 31 + d->kind) &
                 (~0ull >> (64 - 8 * size));
    Call c = {d->kind, false, addr, size, v};

    g_array_append_val(d->w->calls, c);
    return v;
}

static void dev_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    Dev *d = opaque;
    Call c = {d->kind, true, addr, size, val};

    g_array_append_val(d->w->calls, c);
}

static const MemoryRegionOps dev_ops_le = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8},
};

static const MemoryRegionOps dev_ops_be = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8},
    .impl = {.min_access_size = 2, .max_access_size = 4},
};

static IOMMUTLBEntry world_translate(void *opaque, hwaddr addr,
                                     IOMMUAccessFlags flag, int iommu_idx)
{
    World *w = opaque;

    (void)flag;
    (void)iommu_idx;
    return (IOMMUTLBEntry){
        .target_as = &w->tas,
        .iova = addr & ~0xfffull,
        .translated_addr = ((addr & ~0xfffull) + w->iommu_base) & 0x3fff,
        .addr_mask = 0xfff,
        .perm = w->iommu_perm,
    };
}

static const IOMMUMemoryRegionOps world_iommu_ops = {
    .translate = world_translate,
};

static uint8_t byte_hash(uint32_t seed, uint64_t o)
{
    uint64_t x = (o + 1) * 0x9e3779b97f4a7c15ull ^ seed * 0xbf58476d1ce4e5b9ull;

    x ^= x >> 29;
    return (uint8_t)(x ^ x >> 17);
}

static void fill_ram(MemoryRegion *mr, uint64_t size, uint32_t seed)
{
    uint8_t *host = memory_region_get_ram_ptr(mr);

    for (uint64_t o = 0; o < size; o++) {
        host[o] = byte_hash(seed, o);
    }
}

static void world_init(World *w)
{
    GError *err = NULL;
    bool ok = true;

    memset(w, 0, sizeof(*w));
    tree_setup(&w->t, NULL);
    w->root = w->t.root;
    w->troot = tree_container(&w->t, "troot", UINT64_MAX);
    w->tram = tree_ram(&w->t, "tram", 0x4000);
    fill_ram(w->tram, 0x4000, 99);
    tree_add(w->troot, 0, w->tram);
    tree_check(address_space_init(&w->tas, w->troot, "target", &err), err);
    tree_check(address_space_init(&w->as, w->root, "world", &err), err);
    w->calls = g_array_new(false, false, sizeof(Call));
    w->iommu_perm = IOMMU_RW;
    for (unsigned k = 0; k < NR_KINDS; k++) {
        w->dev[k] = (Dev){.w = w, .kind = k};
    }
    ok &= memory_region_init_ram(&w->mr[K_RAM_A], NULL, "ram-a", 0x3000, &err);
    ok &= memory_region_init_ram(&w->mr[K_RAM_B], NULL, "ram-b", 0x2800, &err);
    ok &= memory_region_init_resizeable_ram(&w->mr[K_RAM_C], NULL, "ram-c",
                                            0x4000, 0x4000, NULL, &err);
    ok &= memory_region_init_rom(&w->mr[K_ROM], NULL, "rom", 0x2000, &err);
    ok &= memory_region_init_rom_device(&w->mr[K_ROMD], NULL, &dev_ops_le,
                                        &w->dev[K_ROMD], "romd", 0x2000, &err);
    ok &= memory_region_init_io(&w->mr[K_IO_LE], NULL, &dev_ops_le,
                                &w->dev[K_IO_LE], "io-le", 0x1000, &err);
    ok &= memory_region_init_io(&w->mr[K_IO_BE], NULL, &dev_ops_be,
                                &w->dev[K_IO_BE], "io-be", 0x800, &err);
    ok &= memory_region_init_alias(&w->mr[K_ALIAS_ODD], NULL, "alias-odd",
                                   &w->mr[K_RAM_A], 0x1004, 0x1800, &err);
    ok &= memory_region_init_alias(&w->mr[K_ALIAS_RO], NULL, "alias-ro",
                                   &w->mr[K_RAM_C], 0, 0x2000, &err);
    ok &= memory_region_init_iommu(&w->mr[K_IOMMU], NULL, &world_iommu_ops, w,
                                   "iommu", 0x2000, &err);
    ok &= memory_region_init_reservation(&w->mr[K_RESERVED], NULL, "resv",
                                         0x1000, &err);
    tree_check(ok, err);
    fill_ram(&w->mr[K_RAM_A], 0x3000, 1);
    fill_ram(&w->mr[K_RAM_B], 0x2800, 2);
    fill_ram(&w->mr[K_RAM_C], 0x4000, 3);
    fill_ram(&w->mr[K_ROM], 0x2000, 4);
    fill_ram(&w->mr[K_ROMD], 0x2000, 5);
}

static void world_free(World *w)
{
    if (w->snap) {
        ram_snapshot_free(w->snap);
    }
    for (unsigned k = 0; k < NR_KINDS; k++) {
        if (w->mapped[k]) {
            tree_del(w->root, &w->mr[k]);
        }
    }
    address_space_destroy(&w->as);
    address_space_destroy(&w->tas);
    tree_del(w->troot, w->tram);
    drain_call_rcu();
    /* aliases before their targets */
    memory_region_finalize(&w->mr[K_ALIAS_ODD]);
    memory_region_finalize(&w->mr[K_ALIAS_RO]);
    for (unsigned k = 0; k < NR_KINDS; k++) {
        if (k != K_ALIAS_ODD && k != K_ALIAS_RO) {
            memory_region_finalize(&w->mr[k]);
        }
    }
    g_array_free(w->calls, true);
    tree_teardown(&w->t, NULL);
}

typedef struct Diff {
    World *a, *b; /* a: through the AsTlb; b: address_space_*() */
    AsTlb *tlb;
    GRand *rng;
    guint32 seed;
    uint64_t step;
    bool held; /* a read-side section held across steps */
} Diff;

static int rnd(Diff *d, int lo, int hi) /* inclusive */
{
    return g_rand_int_range(d->rng, lo, hi + 1);
}

static void diff_fail(Diff *d, const char *what)
{
    g_test_message("seed %u, step %" PRIu64 ": %s", d->seed, d->step, what);
    g_test_fail();
}

static uint64_t tlb_load(AsTlb *tlb, hwaddr addr, unsigned size, bool be,
                         MemTxResult *r)
{
    switch (size) {
    case 1:
        return as_tlb_ldub_rcu(tlb, addr, attrs0, r);
    case 2:
        return be ? as_tlb_lduw_be_rcu(tlb, addr, attrs0, r)
                  : as_tlb_lduw_le_rcu(tlb, addr, attrs0, r);
    case 4:
        return be ? as_tlb_ldl_be_rcu(tlb, addr, attrs0, r)
                  : as_tlb_ldl_le_rcu(tlb, addr, attrs0, r);
    default:
        return be ? as_tlb_ldq_be_rcu(tlb, addr, attrs0, r)
                  : as_tlb_ldq_le_rcu(tlb, addr, attrs0, r);
    }
}

static void tlb_store(AsTlb *tlb, hwaddr addr, unsigned size, bool be,
                      uint64_t v, MemTxResult *r)
{
    switch (size) {
    case 1:
        as_tlb_stb_rcu(tlb, addr, (uint32_t)v, attrs0, r);
        break;
    case 2:
        be ? as_tlb_stw_be_rcu(tlb, addr, (uint32_t)v, attrs0, r)
           : as_tlb_stw_le_rcu(tlb, addr, (uint32_t)v, attrs0, r);
        break;
    case 4:
        be ? as_tlb_stl_be_rcu(tlb, addr, (uint32_t)v, attrs0, r)
           : as_tlb_stl_le_rcu(tlb, addr, (uint32_t)v, attrs0, r);
        break;
    default:
        be ? as_tlb_stq_be_rcu(tlb, addr, v, attrs0, r)
           : as_tlb_stq_le_rcu(tlb, addr, v, attrs0, r);
        break;
    }
}

static uint64_t as_load(AddressSpace *as, hwaddr addr, unsigned size, bool be,
                        MemTxResult *r)
{
    switch (size) {
    case 1:
        return address_space_ldub(as, addr, attrs0, r);
    case 2:
        return be ? address_space_lduw_be(as, addr, attrs0, r)
                  : address_space_lduw_le(as, addr, attrs0, r);
    case 4:
        return be ? address_space_ldl_be(as, addr, attrs0, r)
                  : address_space_ldl_le(as, addr, attrs0, r);
    default:
        return be ? address_space_ldq_be(as, addr, attrs0, r)
                  : address_space_ldq_le(as, addr, attrs0, r);
    }
}

static void as_store(AddressSpace *as, hwaddr addr, unsigned size, bool be,
                     uint64_t v, MemTxResult *r)
{
    switch (size) {
    case 1:
        address_space_stb(as, addr, (uint32_t)v, attrs0, r);
        break;
    case 2:
        be ? address_space_stw_be(as, addr, (uint32_t)v, attrs0, r)
           : address_space_stw_le(as, addr, (uint32_t)v, attrs0, r);
        break;
    case 4:
        be ? address_space_stl_be(as, addr, (uint32_t)v, attrs0, r)
           : address_space_stl_le(as, addr, (uint32_t)v, attrs0, r);
        break;
    default:
        be ? address_space_stq_be(as, addr, v, attrs0, r)
           : address_space_stq_le(as, addr, v, attrs0, r);
        break;
    }
}

static bool calls_equal(GArray *x, GArray *y)
{
    if (x->len != y->len) {
        return false;
    }
    for (guint i = 0; i < x->len; i++) {
        const Call *p = &g_array_index(x, Call, i),
                   *q = &g_array_index(y, Call, i);

        if (p->kind != q->kind || p->write != q->write ||
            p->offset != q->offset || p->size != q->size ||
            p->value != q->value) {
            return false;
        }
    }
    return true;
}

/* One random access, made in both worlds; results and callbacks agree. */
static void diff_access(Diff *d)
{
    unsigned size = 1u << rnd(d, 0, 3);
    hwaddr addr = (hwaddr)rnd(d, 0, WINDOW + 0x1000);
    bool be = rnd(d, 0, 1), write = rnd(d, 0, 9) < 4;
    uint64_t v = ((uint64_t)g_rand_int(d->rng) << 32 | g_rand_int(d->rng)) &
                 (~0ull >> (64 - 8 * size));
    MemTxResult ra = MEMTX_OK, rb = MEMTX_OK;
    uint64_t va = 0, vb = 0;
    World *a = d->a, *b = d->b;

    if (rnd(d, 0, 3)) {
        addr &= ~(hwaddr)(size - 1);
    }
    if (!d->held) {
        rcu_read_lock();
    }
    if (write) {
        tlb_store(d->tlb, addr, size, be, v, &ra);
    } else {
        va = tlb_load(d->tlb, addr, size, be, &ra);
    }
    if (!d->held) {
        rcu_read_unlock();
    }
    if (write) {
        as_store(&b->as, addr, size, be, v, &rb);
    } else {
        vb = as_load(&b->as, addr, size, be, &rb);
    }
    if (va != vb || ra != rb) {
        char *m = g_strdup_printf("%s%u%s at %#" PRIx64 ": tlb %#" PRIx64
                                  "/%#x, as %#" PRIx64 "/%#x",
                                  write ? "st" : "ld", size * 8,
                                  be ? "be" : "le", addr, va, ra, vb, rb);
        diff_fail(d, m);
        g_free(m);
    }
    if (!calls_equal(a->calls, b->calls)) {
        diff_fail(d, "device callbacks differ");
    }
    g_array_set_size(a->calls, 0);
    g_array_set_size(b->calls, 0);
}

/* RAM contents and migration dirty bits agree. */
static void diff_compare_ram(Diff *d)
{
    static const unsigned kinds[] = {K_RAM_A, K_RAM_B, K_RAM_C, K_ROM, K_ROMD};
    static const uint64_t sizes[] = {0x3000, 0x2800, 0x4000, 0x2000, 0x2000};

    for (unsigned i = 0; i < G_N_ELEMENTS(kinds); i++) {
        MemoryRegion *ma = &d->a->mr[kinds[i]], *mb = &d->b->mr[kinds[i]];

        if (memcmp(memory_region_get_ram_ptr(ma), memory_region_get_ram_ptr(mb),
                   sizes[i])) {
            diff_fail(d, memory_region_name(ma));
        }
        for (uint64_t o = 0; o < sizes[i]; o += 0x1000) {
            if (memory_region_get_dirty(ma, o, 1, DIRTY_MEMORY_MIGRATION) !=
                memory_region_get_dirty(mb, o, 1, DIRTY_MEMORY_MIGRATION)) {
                diff_fail(d, "dirty bits differ");
            }
        }
    }
    if (memcmp(memory_region_get_ram_ptr(d->a->tram),
               memory_region_get_ram_ptr(d->b->tram), 0x4000)) {
        diff_fail(d, "IOMMU target RAM differs");
    }
}

/* The snapshot operation: take, restore or free (outside any section). */
static void world_snapshot(World *w, int how)
{
    GError *err = NULL;

    if (!w->snap) {
        w->snap = ram_snapshot_take_address_space(&w->as, &err);
        g_assert_no_error(err);
    } else if (how) {
        g_assert_true(ram_snapshot_restore(w->snap, NULL, &err));
        g_assert_no_error(err);
    } else {
        ram_snapshot_free(w->snap);
        w->snap = NULL;
    }
}

/* One random change, applied to both worlds. */
static void diff_change(Diff *d)
{
    unsigned k = (unsigned)rnd(d, 0, NR_KINDS - 1);
    int op = rnd(d, 0, 5);
    hwaddr addr = (hwaddr)rnd(d, 0, WINDOW / GRID - 1) * GRID;
    int prio = rnd(d, -1, 2), how = rnd(d, 0, 2);
    uint64_t newsize = (uint64_t)rnd(d, 2, 8) * 0x800;
    hwaddr base = (hwaddr)rnd(d, 0, 3) * 0x1000;
    IOMMUAccessFlags perm = (IOMMUAccessFlags)rnd(d, 0, 3);
    World *ws[2] = {d->a, d->b};
    GError *err = NULL;

    if (op == 5) {
        /* snapshots call synchronize_rcu(): no section held */
        if (d->held) {
            rcu_read_unlock();
        }
        world_snapshot(d->a, how);
        world_snapshot(d->b, how);
        if (d->held) {
            rcu_read_lock();
        }
        return;
    }
    for (unsigned i = 0; i < 2; i++) {
        World *w = ws[i];
        MemoryRegion *mr = &w->mr[k];

        if (!w->mapped[k]) {
            tree_check(memory_region_add_subregion_overlap(w->root, addr, mr,
                                                           prio, &err),
                       err);
            w->mapped[k] = true;
            continue;
        }
        switch (op) {
        case 0:
            tree_del(w->root, mr);
            w->mapped[k] = false;
            break;
        case 1:
            tree_set_address(mr, addr);
            break;
        case 2:
            memory_region_set_enabled(mr, !memory_region_is_enabled(mr));
            break;
        default:
            switch (k) {
            case K_RAM_A:
            case K_RAM_B:
                memory_region_set_log(
                    mr, !memory_region_is_logging(mr, DIRTY_MEMORY_MIGRATION),
                    DIRTY_MEMORY_MIGRATION);
                break;
            case K_RAM_C:
                tree_check(memory_region_ram_resize(mr, newsize, &err), err);
                break;
            case K_ROMD:
                memory_region_rom_device_set_romd(mr,
                                                  !memory_region_is_romd(mr));
                break;
            case K_ALIAS_RO:
                memory_region_set_readonly(mr, !memory_region_is_readonly(mr));
                break;
            case K_IOMMU:
                /* the translation changes, the view does not */
                w->iommu_base = base;
                w->iommu_perm = perm;
                break;
            default:
                break;
            }
        }
    }
}

static guint32 opt_seed;
static bool opt_seed_set;

/* Random trees and commits: the cache changes no result. */
static void test_differential(void)
{
    Diff d = {0};
    GError *err = NULL;

    d.seed = opt_seed_set ? opt_seed : g_random_int();
    g_test_message("seed %u (rerun with --seed %u)", d.seed, d.seed);
    d.rng = g_rand_new_with_seed(d.seed);
    d.a = g_new0(World, 1);
    d.b = g_new0(World, 1);
    world_init(d.a);
    world_init(d.b);
    d.tlb = g_new(AsTlb, 1);
    g_assert_true(as_tlb_init(d.tlb, &d.a->as, &err));
    g_assert_no_error(err);
    for (d.step = 0; d.step < 3000 && !g_test_failed(); d.step++) {
        if (rnd(&d, 0, 15) == 0) {
            /* hold a section across the next steps, commits included */
            if (d.held) {
                rcu_read_unlock();
            } else {
                rcu_read_lock();
            }
            d.held = !d.held;
        }
        diff_change(&d);
        for (int n = rnd(&d, 1, 24); n > 0; n--) {
            diff_access(&d);
        }
        diff_compare_ram(&d);
    }
    if (d.held) {
        rcu_read_unlock();
    }
    {
        AsTlbStats s;

        as_tlb_get_stats(d.tlb, &s);
        g_test_message("fills %" PRIu64 ", flushes %" PRIu64
                       ", uncached %" PRIu64,
                       s.fills, s.flushes, s.uncached);
        /* the run exercised the cache */
        g_assert_cmpuint(s.fills, >, 100);
        g_assert_cmpuint(s.flushes, >, 100);
    }
    g_free(d.tlb);
    world_free(d.a);
    world_free(d.b);
    g_free(d.a);
    g_free(d.b);
    g_rand_free(d.rng);
}

/* ---- Concurrency: commits and frees under a reader's cache --------------- */

#define CONC_BASE 0x10000u
#define CONC_SIZE 0x4000u

typedef struct Conc {
    Tree *t;
    int stop;
    uint64_t bad;
    uint64_t reads;
} Conc;

static gpointer conc_reader(gpointer opaque)
{
    Conc *c = opaque;
    AsTlb *tlb = g_new(AsTlb, 1);
    GError *err = NULL;
    uint32_t last_gen = 0, x = 1;

    rcu_register_thread();
    g_assert_true(as_tlb_init(tlb, c->t->as, &err));
    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
        rcu_read_lock();
        for (unsigned i = 0; i < 256; i++) {
            hwaddr off;
            MemTxResult r;
            uint32_t v;

            x = x * 1103515245u + 12345u;
            off = (x >> 8) % (CONC_SIZE / 4) * 4;
            v = as_tlb_ldl_le_rcu(tlb, CONC_BASE + off, attrs0, &r);
            if (r == MEMTX_OK) {
                /* word o/4 of generation g holds g << 16 | (o/4) */
                if ((v & 0xffff) != ((off / 4) & 0xffff)) {
                    c->bad++;
                }
                if (off % 8 == 0) {
                    /* even words are never written: generations in order */
                    if ((v >> 16) < last_gen) {
                        c->bad++;
                    }
                    last_gen = v >> 16;
                    /* the odd word beside: a write entry too (its value
                     * may land in a newer generation: only the index of
                     * odd words is checked) */
                    as_tlb_stl_le_rcu(tlb, CONC_BASE + off + 4,
                                      (v & 0xffff0000u) |
                                          ((off / 4 + 1) & 0xffff),
                                      attrs0, &r);
                }
            } else if (r != MEMTX_DECODE_ERROR || v != 0) {
                c->bad++;
            }
            c->reads++;
        }
        rcu_read_unlock();
    }
    g_free(tlb);
    rcu_unregister_thread();
    return NULL;
}

static MemoryRegion *conc_region(uint32_t gen)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);
    GError *err = NULL;
    uint32_t *host;

    tree_check(memory_region_init_ram(mr, NULL, "gen", CONC_SIZE, &err), err);
    host = memory_region_get_ram_ptr(mr);
    for (uint32_t w = 0; w < CONC_SIZE / 4; w++) {
        host[w] = gen << 16 | w;
    }
    return mr;
}

/* The RAM under the reader's cached pages is replaced, then freed once a
 * grace period has passed: the reader sees whole generations, in order,
 * and never freed memory (unmapped: a plain build faults; ASan reports). */
static void test_concurrent_commit(Tree *t, gconstpointer data)
{
    Conc c = {.t = t};
    MemoryRegion *cur = conc_region(1);
    gint64 end = g_get_monotonic_time() + 500000;
    uint32_t gen = 1;
    GThread *th;

    (void)data;
    tree_add(t->root, CONC_BASE, cur);
    th = g_thread_new("tlb-reader", conc_reader, &c);
    while (g_get_monotonic_time() < end || gen < 50) {
        MemoryRegion *next = conc_region(++gen);

        if (gen % 4 == 0) {
            tree_del(t->root, cur); /* a hole for a while */
            g_usleep(50);
            tree_add(t->root, CONC_BASE, next);
        } else {
            memory_region_transaction_begin();
            tree_del(t->root, cur);
            tree_add(t->root, CONC_BASE, next);
            memory_region_transaction_commit();
        }
        /* no reader reaches @cur once the views that held it are gone */
        synchronize_rcu();
        drain_call_rcu();
        memory_region_finalize(cur);
        g_free(cur);
        cur = next;
        g_usleep(100);
    }
    __atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
    g_thread_join(th);
    g_test_message("%" PRIu64 " reads over %u generations", c.reads, gen);
    g_assert_cmpuint(c.bad, ==, 0);
    g_assert_cmpuint(c.reads, >, 0);
    tree_del(t->root, cur);
    drain_call_rcu();
    memory_region_finalize(cur);
    g_free(cur);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            opt_seed = (guint32)strtoul(argv[i + 1], NULL, 0);
            opt_seed_set = true;
            memmove(&argv[i], &argv[i + 2], (argc - i - 1) * sizeof(*argv));
            argc -= 2;
            i--;
        }
    }
    g_test_init(&argc, &argv, NULL);
#define TREE_TEST(path, fn) \
    g_test_add(path, Tree, NULL, tree_setup, fn, tree_teardown)
    TREE_TEST("/tlb/hit/ram-load-fills-once", test_hit_ram);
    TREE_TEST("/tlb/commit/revalidates", test_commit_revalidates);
    TREE_TEST("/tlb/dirty-log/start-marks-stores", test_dirty_log_start);
    TREE_TEST("/tlb/snapshot/take-tracks-stores", test_snapshot_tracks);
    TREE_TEST("/tlb/hooks/hooked-pages-uncached", test_hooked_uncached);
    TREE_TEST("/tlb/resize/shrink-makes-hole", test_resize_shrink);
    TREE_TEST("/tlb/rom/write-refused-uncached", test_rom_write);
    TREE_TEST("/tlb/mmio/never-cached", test_mmio_never_cached);
    TREE_TEST("/tlb/page/partly-covered-uncached", test_partial_page);
    TREE_TEST("/tlb/access/unaligned-and-cross-page", test_unaligned);
    TREE_TEST("/tlb/rcu/outside-section-uncached", test_outside_section);
    TREE_TEST("/tlb/concurrent/commit-and-free", test_concurrent_commit);
    g_test_add_func("/tlb/init/invalid-address-space", test_init_invalid);
    g_test_add_func("/tlb/differential/random-trees", test_differential);
    return g_test_run();
}
