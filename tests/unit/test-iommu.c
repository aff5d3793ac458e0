/* SPDX-License-Identifier: MIT */
/* IOMMU regions: translation, permissions, chains, notifiers. */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>
#include <addrspace/iommu.h>

#define ATTRS MEMTXATTRS_UNSPECIFIED

typedef struct Iommu {
    MemoryRegion mr;
    AddressSpace *target;
    hwaddr shift;   /* translated = iova + shift, for mapped pages */
    hwaddr ro_page; /* the page mapped read-only */
    hwaddr rw_page; /* the page mapped read-write */
    int calls;
} Iommu;

static IOMMUTLBEntry iommu_translate(void *opaque, hwaddr addr,
                                     IOMMUAccessFlags flag, int idx)
{
    Iommu *io = opaque;
    hwaddr page = addr & ~(hwaddr)0xfff;
    IOMMUTLBEntry e = {
        .target_as = io->target,
        .iova = page,
        .translated_addr = page + io->shift,
        .addr_mask = 0xfff,
        .perm = IOMMU_NONE,
    };

    (void)flag;
    (void)idx;
    io->calls++;
    if (page == io->rw_page) {
        e.perm = IOMMU_RW;
    } else if (page == io->ro_page) {
        e.perm = IOMMU_RO;
    }
    return e;
}

static const IOMMUMemoryRegionOps iommu_ops = {.translate = iommu_translate};

typedef struct Setup {
    MemoryRegion sys, ram;
    AddressSpace memory, dma, dma2;
    Iommu io1, io2;
    uint8_t *host;
} Setup;

/* memory: 64 KiB RAM at 0. dma: IOMMU, IOVA page 0x1000 -> 0x5000 RW and
 * 0x2000 -> 0x6000 RO. dma2: IOMMU into dma, 0x9000 -> 0x1000 RW. */
static Setup *setup_new(void)
{
    Setup *s = g_new0(Setup, 1);

    g_assert_true(
        memory_region_init(&s->sys, NULL, "system", UINT64_MAX, NULL));
    g_assert_true(memory_region_init_ram(&s->ram, NULL, "ram", 0x10000, NULL));
    g_assert_true(memory_region_add_subregion(&s->sys, 0, &s->ram, NULL));
    g_assert_true(address_space_init(&s->memory, &s->sys, "memory", NULL));
    s->host = memory_region_get_ram_ptr(&s->ram);
    for (int i = 0; i < 0x10000; i++) {
        s->host[i] = (uint8_t)(i ^ (i >> 8));
    }
    s->io1.target = &s->memory;
    s->io1.shift = 0x4000;
    s->io1.rw_page = 0x1000;
    s->io1.ro_page = 0x2000;
    g_assert_true(memory_region_init_iommu(
        &s->io1.mr, NULL, &iommu_ops, &s->io1, "iommu1", UINT64_MAX, NULL));
    g_assert_true(address_space_init(&s->dma, &s->io1.mr, "dma", NULL));
    s->io2.target = &s->dma;
    s->io2.shift = (hwaddr)0 - 0x8000;
    s->io2.rw_page = 0x9000;
    s->io2.ro_page = 1; /* no page */
    g_assert_true(memory_region_init_iommu(
        &s->io2.mr, NULL, &iommu_ops, &s->io2, "iommu2", UINT64_MAX, NULL));
    g_assert_true(address_space_init(&s->dma2, &s->io2.mr, "dma2", NULL));
    return s;
}

static void setup_free(Setup *s)
{
    address_space_destroy(&s->dma2);
    address_space_destroy(&s->dma);
    address_space_destroy(&s->memory);
    memory_region_finalize(&s->io2.mr);
    memory_region_finalize(&s->io1.mr);
    memory_region_finalize(&s->sys);
    memory_region_finalize(&s->ram);
    drain_call_rcu();
    g_free(s);
}

static void test_translate_read_write(void)
{
    Setup *s = setup_new();
    uint8_t buf[8], v[8] = {1, 2, 3, 4, 5, 6, 7, 8};

    g_assert_cmpuint(address_space_read(&s->dma, 0x1010, ATTRS, buf, 8), ==,
                     MEMTX_OK);
    g_assert_cmpmem(buf, 8, s->host + 0x5010, 8);
    g_assert_cmpuint(address_space_write(&s->dma, 0x1020, ATTRS, v, 8), ==,
                     MEMTX_OK);
    g_assert_cmpmem(s->host + 0x5020, 8, v, 8);
    setup_free(s);
}

static void test_permission_refused(void)
{
    Setup *s = setup_new();
    uint8_t before = s->host[0x6000], v = 0xab, out = 0x55;
    MemTxResult r;

    /* read-only page: reads work, writes are unassigned */
    g_assert_cmpuint(address_space_read(&s->dma, 0x2000, ATTRS, &out, 1), ==,
                     MEMTX_OK);
    g_assert_cmpuint(out, ==, before);
    g_assert_cmpuint(address_space_write(&s->dma, 0x2000, ATTRS, &v, 1), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpuint(s->host[0x6000], ==, before);
    address_space_stl_le(&s->dma, 0x2000, 0xffffffff, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmpuint(s->host[0x6000], ==, before);
    /* unmapped page */
    g_assert_cmpuint(address_space_ldl_le(&s->dma, 0x3000, ATTRS, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    setup_free(s);
}

/* An access crossing a translated block is translated again per block. */
static void test_crosses_pages(void)
{
    Setup *s = setup_new();
    uint8_t buf[16];

    g_assert_cmpuint(address_space_read(&s->dma, 0x1ff8, ATTRS, buf, 16), ==,
                     MEMTX_OK);
    g_assert_cmpmem(buf, 8, s->host + 0x5ff8, 8);
    g_assert_cmpmem(buf + 8, 8, s->host + 0x6000, 8);
    /* into an unmapped block: the mapped part is read, the rest errors */
    memset(buf, 0x77, sizeof(buf));
    g_assert_cmpuint(address_space_read(&s->dma, 0x2ff8, ATTRS, buf, 16), ==,
                     MEMTX_DECODE_ERROR);
    g_assert_cmpmem(buf, 8, s->host + 0x6ff8, 8);
    for (int i = 8; i < 16; i++) {
        g_assert_cmpuint(buf[i], ==, 0);
    }
    setup_free(s);
}

static uint64_t counted_read(void *opaque, hwaddr addr, unsigned size)
{
    (*(int *)opaque)++;
    return 0x01010101u * (uint8_t)(addr + 1) & (~0ull >> (64 - 8 * size));
}

static const MemoryRegionOps counted_ops = {.read = counted_read};

/*
 * A buffer read of MMIO behind an IOMMU: as in QEMU 7.2, every chunk
 * (4 bytes here: the ops give no access size) is translated again, so
 * the IOMMU sees one translation per device callback.
 */
static void test_mmio_chunks_translated_each(void)
{
    Setup *s = setup_new();
    MemoryRegion mmio;
    int reads = 0;
    uint8_t buf[16];

    g_assert_true(memory_region_init_io(&mmio, NULL, &counted_ops, &reads,
                                        "mmio", 0x1000, NULL));
    g_assert_true(memory_region_add_subregion(&s->sys, 0x20000, &mmio, NULL));
    s->io1.shift = 0x1f000; /* IOVA page 0x1000 -> 0x20000 */
    s->io1.calls = 0;
    g_assert_cmpuint(address_space_read(&s->dma, 0x1000, ATTRS, buf, 16), ==,
                     MEMTX_OK);
    g_assert_cmpint(reads, ==, 4);
    g_assert_cmpint(s->io1.calls, ==, 4);
    for (int i = 0; i < 16; i++) {
        g_assert_cmpuint(buf[i], ==, (uint8_t)(i / 4 * 4 + 1));
    }
    g_assert_true(memory_region_del_subregion(&s->sys, &mmio, NULL));
    memory_region_finalize(&mmio);
    setup_free(s);
}

static void test_chain(void)
{
    Setup *s = setup_new();
    MemTxResult r;

    g_assert_cmpuint(
        address_space_ldl_le(&s->dma2, 0x9004, ATTRS, &r), ==,
        (uint32_t)s->host[0x5004] | (uint32_t)s->host[0x5005] << 8 |
            (uint32_t)s->host[0x5006] << 16 | (uint32_t)s->host[0x5007] << 24);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    setup_free(s);
}

/* An IOMMU translating into its own AddressSpace stops, bounded. */
static void test_loop_bounded(void)
{
    Setup *s = setup_new();
    MemTxResult r;

    s->io1.target = &s->dma;
    s->io1.shift = 0;
    s->io1.calls = 0;
    address_space_ldub(&s->dma, 0x1000, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmpint(s->io1.calls, ==, IOMMU_MAX_CHAIN);
    setup_free(s);
}

static void test_translate_api(void)
{
    Setup *s = setup_new();
    hwaddr xlat, len = 0x100000;
    MemoryRegion *mr;

    rcu_read_lock();
    mr = address_space_translate(&s->dma, 0x1800, &xlat, &len, false, ATTRS);
    g_assert_true(mr == &s->ram);
    g_assert_cmpuint(xlat, ==, 0x5800);
    g_assert_cmpuint(len, ==, 0x800); /* clamped to the IOMMU page */
    len = 4;
    mr = address_space_translate(&s->dma, 0x2000, &xlat, &len, true, ATTRS);
    g_assert_cmpstr(memory_region_name(mr), ==, "unassigned");
    rcu_read_unlock();
    setup_free(s);
}

/* map follows the IOMMU and stops at the end of the translated block */
static void test_map_through_iommu(void)
{
    Setup *s = setup_new();
    hwaddr len = 0x2000;
    uint8_t *p = address_space_map(&s->dma, 0x1800, &len, true, ATTRS);

    g_assert_true(p == s->host + 0x5800);
    g_assert_cmpuint(len, ==, 0x800);
    p[0] = 0x5a;
    address_space_unmap(&s->dma, p, len, true, 1);
    g_assert_cmpuint(s->host[0x5800], ==, 0x5a);
    setup_free(s);
}

typedef struct Seen {
    IOMMUNotifier n;
    GString *log;
} Seen;

static void seen_notify(IOMMUNotifier *n, const IOMMUTLBEntry *e)
{
    Seen *seen = (Seen *)n;

    g_string_append_printf(seen->log, "%s@%" PRIx64 " ",
                           e->perm == IOMMU_NONE ? "unmap" : "map", e->iova);
}

static void test_notifiers(void)
{
    Setup *s = setup_new();
    Seen a = {.log = g_string_new("")}, b = {.log = g_string_new("")};
    IOMMUTLBEntry map = {.iova = 0x1000,
                         .translated_addr = 0x5000,
                         .addr_mask = 0xfff,
                         .perm = IOMMU_RW};
    IOMMUTLBEntry unmap = {
        .iova = 0x8000, .addr_mask = 0xfff, .perm = IOMMU_NONE};
    GError *err = NULL;

    iommu_notifier_init(&a.n, seen_notify, IOMMU_NOTIFIER_ALL, 0, 0x1fff, 0);
    iommu_notifier_init(&b.n, seen_notify, IOMMU_NOTIFIER_UNMAP, 0x8000, 0x8fff,
                        0);
    g_assert_true(
        memory_region_register_iommu_notifier(&s->io1.mr, &a.n, &err));
    g_assert_true(
        memory_region_register_iommu_notifier(&s->io1.mr, &b.n, &err));
    g_assert_false(
        memory_region_register_iommu_notifier(&s->io1.mr, &a.n, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY);
    g_clear_error(&err);
    g_assert_false(memory_region_register_iommu_notifier(&s->ram, &b.n, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);

    memory_region_notify_iommu(&s->io1.mr, 0, &map);
    memory_region_notify_iommu(&s->io1.mr, 0, &unmap);
    memory_region_notify_iommu(&s->io1.mr, 1, &map); /* other index */
    g_assert_cmpstr(a.log->str, ==, "map@1000 ");
    g_assert_cmpstr(b.log->str, ==, "unmap@8000 ");
    memory_region_unregister_iommu_notifier(&s->io1.mr, &a.n);
    memory_region_notify_iommu(&s->io1.mr, 0, &map);
    g_assert_cmpstr(a.log->str, ==, "map@1000 ");
    memory_region_unregister_iommu_notifier(&s->io1.mr, &b.n);
    g_string_free(a.log, true);
    g_string_free(b.log, true);
    setup_free(s);
}

/*
 * A notifier that, during its call, unregisters (and frees) another one,
 * registers a new one and may unregister itself.
 */
typedef struct Sub {
    IOMMUNotifier n;
    char name;
    MemoryRegion *mr;
    GString *log;     /* shared: the names of the notifiers called */
    struct Sub *drop; /* unregistered and freed during the call */
    struct Sub *add;  /* registered during the call */
    bool drop_self;
} Sub;

static void sub_notify(IOMMUNotifier *n, const IOMMUTLBEntry *e)
{
    Sub *s = (Sub *)n;

    (void)e;
    g_string_append_c(s->log, s->name);
    if (s->drop) {
        memory_region_unregister_iommu_notifier(s->mr, &s->drop->n);
        g_free(s->drop);
        s->drop = NULL;
    }
    if (s->add) {
        g_assert_true(
            memory_region_register_iommu_notifier(s->mr, &s->add->n, NULL));
        s->add = NULL;
    }
    if (s->drop_self) {
        memory_region_unregister_iommu_notifier(s->mr, n);
    }
}

static Sub *sub_new(char name, MemoryRegion *mr, GString *log, bool reg)
{
    Sub *s = g_new0(Sub, 1);

    iommu_notifier_init(&s->n, sub_notify, IOMMU_NOTIFIER_ALL, 0, UINT64_MAX,
                        0);
    s->name = name;
    s->mr = mr;
    s->log = log;
    if (reg) {
        g_assert_true(memory_region_register_iommu_notifier(mr, &s->n, NULL));
    }
    return s;
}

static void sub_free(Sub *s)
{
    memory_region_unregister_iommu_notifier(s->mr, &s->n);
    g_free(s);
}

/* Notifiers A, B, C registered on io1 in that order, logging to @log. */
typedef struct Subs {
    Setup *s;
    MemoryRegion *mr;
    GString *log;
    Sub *a, *b, *c; /* NULL once freed by a notifier */
} Subs;

static Subs subs_new(void)
{
    Subs t = {.s = setup_new(), .log = g_string_new("")};

    t.mr = &t.s->io1.mr;
    t.a = sub_new('A', t.mr, t.log, true);
    t.b = sub_new('B', t.mr, t.log, true);
    t.c = sub_new('C', t.mr, t.log, true);
    return t;
}

/* Notify a MAP event; the log then reads @want. */
static void subs_notify(Subs *t, const char *want)
{
    static const IOMMUTLBEntry map = {.iova = 0x1000,
                                      .translated_addr = 0x5000,
                                      .addr_mask = 0xfff,
                                      .perm = IOMMU_RW};

    memory_region_notify_iommu(t->mr, 0, &map);
    g_assert_cmpstr(t->log->str, ==, want);
}

static void subs_free(Subs *t)
{
    Sub *left[] = {t->a, t->b, t->c};

    for (size_t i = 0; i < G_N_ELEMENTS(left); i++) {
        if (left[i]) {
            sub_free(left[i]);
        }
    }
    g_string_free(t->log, true);
    setup_free(t->s);
}

/* A unregisters B, its successor (and frees it), then itself: B is not
 * called, C is, and nothing freed is touched (ASan). */
static void test_notifier_unregister_during_notify(void)
{
    Subs t = subs_new();

    t.a->drop = t.b;
    t.a->drop_self = true;
    t.b = NULL;
    subs_notify(&t, "AC");
    subs_notify(&t, "ACC");
    subs_free(&t);
}

/* A unregisters C, the last one, and registers D: B is still called, C
 * is not, and D, registered during the event, only from the next one. */
static void test_notifier_register_during_notify(void)
{
    Subs t = subs_new();
    Sub *d = sub_new('D', t.mr, t.log, false);

    t.a->drop = t.c;
    t.a->add = d;
    t.c = NULL;
    subs_notify(&t, "AB");
    subs_notify(&t, "ABABD");
    sub_free(d);
    subs_free(&t);
}

static void test_init_errors(void)
{
    MemoryRegion mr = {{0}};
    IOMMUMemoryRegionOps none = {0};
    GError *err = NULL;

    g_assert_false(
        memory_region_init_iommu(&mr, NULL, &none, NULL, "x", 0x1000, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_cmpint(memory_region_kind(&mr), ==, MR_KIND_NONE);
    /* size 0 is accepted, as in QEMU */
    g_assert_true(
        memory_region_init_iommu(&mr, NULL, &iommu_ops, NULL, "x", 0, &err));
    g_assert_no_error(err);
    g_assert_cmpint(memory_region_kind(&mr), ==, MR_KIND_IOMMU);
    g_assert_cmpuint(memory_region_size(&mr), ==, 0);
    memory_region_finalize(&mr);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/iommu/translate/read-write", test_translate_read_write);
    g_test_add_func("/iommu/permission/refused-is-unassigned",
                    test_permission_refused);
    g_test_add_func("/iommu/translate/crosses-pages", test_crosses_pages);
    g_test_add_func("/iommu/translate/mmio-chunk-each",
                    test_mmio_chunks_translated_each);
    g_test_add_func("/iommu/chain/two-levels", test_chain);
    g_test_add_func("/iommu/chain/loop-bounded", test_loop_bounded);
    g_test_add_func("/iommu/translate/api-clamps-to-page", test_translate_api);
    g_test_add_func("/iommu/map/direct-within-block", test_map_through_iommu);
    g_test_add_func("/iommu/notifier/range-flags-index", test_notifiers);
    g_test_add_func("/iommu/notifier/unregister-during-notify",
                    test_notifier_unregister_during_notify);
    g_test_add_func("/iommu/notifier/register-during-notify",
                    test_notifier_register_during_notify);
    g_test_add_func("/iommu/init/errors", test_init_errors);
    return g_test_run();
}
