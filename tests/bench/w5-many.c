/* SPDX-License-Identifier: MIT */
/*
 * The many-region workloads (docs/benchmarks.md):
 *   W5_many_ld4   4096 RAM regions of 64 KiB with 64 KiB gaps, random
 *                 4-byte loads across all of them;
 *   W7_cross      16-byte address_space_read straddling two adjacent RAM
 *                 regions;
 *   W12_huge_map  1,048,576 RAM regions of 4 KiB with 4 KiB gaps added in
 *                 one transaction (build time), then random 4-byte loads.
 * The regions are memory_region_init_ram_ptr() slices of one buffer; W12's
 * million regions share 16384 slices (region i uses slice i % 16384) so that
 * its RSS stays near 64 MiB of data plus the regions themselves.
 * Baselines: a binary search over the region starts + the raw load (W5,
 * W12); two memcpy (W7).
 * Peer (Unicorn, uc_mem_map_ptr on the same slices): W5 with the first 512
 * regions only (128 with --quick), reported as peer_unicorn_regions: QEMU's
 * dispatch map aborts at 4096 sections, so Unicorn cannot map 4096 regions,
 * and every uc_mem_map_ptr commits and re-renders, so mapping even 2000 takes
 * tens of seconds (quadratic), past the run's time limit. Unicorn's lookup
 * (a search of its mapped blocks, then QEMU's page-table dispatch) depends
 * little on the count. W7 as is; none for W12 (far past the limit).
 * W7 also runs through vm-memory (peer-vmmem.h).
 */
#include <string.h>

#include "bench-ram.h"
#include "peer-vmmem.h"

#define MANY_BASE             0x100000000ull
#define W5_PEER_REGIONS       512u
#define W5_PEER_REGIONS_QUICK 128u

typedef struct BenchMany {
    MemoryRegion root;
    MemoryRegion *regions;
    AddressSpace as;
    size_t n;             /* regions */
    uint64_t rsize;       /* bytes per region; the stride is 2 * rsize */
    size_t n_slices;      /* host slices; region i uses slice i % n_slices */
    uint8_t *buf;         /* n_slices * rsize bytes */
    uint64_t *starts;     /* the baseline's sorted region starts */
    uint8_t **hosts;      /* the baseline's host pointer per region */
    uint64_t *addrs;      /* n_addrs random addresses */
    uint64_t *peer_addrs; /* the same inside the peer's regions */
    size_t addr_mask;     /* n_addrs - 1 */
    uint64_t sum;
    void *uc;
} BenchMany;

static uint64_t many_addr(const BenchMany *b, size_t i)
{
    return MANY_BASE + (uint64_t)i * 2 * b->rsize;
}

/* The 4-byte value at @addr, from the layout alone (no lookup). */
static uint32_t many_expected(const BenchMany *b, uint64_t addr)
{
    uint64_t i = (addr - MANY_BASE) / (2 * b->rsize);
    uint64_t off = (addr - MANY_BASE) % (2 * b->rsize);

    return bench_pattern((i % b->n_slices) * b->rsize + off);
}

static void random_addrs(const BenchMany *b, uint64_t *out, size_t n_regions,
                         uint64_t seed)
{
    uint64_t state = seed;

    for (size_t k = 0; k <= b->addr_mask; k++) {
        uint64_t r = bench_rand(&state);

        out[k] = many_addr(b, r % n_regions) + ((r >> 32) % b->rsize & ~3ull);
    }
}

/* Regions initialised, not yet mapped; host memory filled. */
static BenchMany *many_new(BenchContext *ctx, size_t n, uint64_t rsize,
                           size_t n_slices, size_t n_addrs)
{
    BenchMany *b = g_new0(BenchMany, 1);
    GError *err = NULL;
    uint32_t *words;

    b->n = n;
    b->rsize = rsize;
    b->n_slices = n_slices;
    b->buf = g_malloc(n_slices * rsize);
    words = (uint32_t *)(void *)b->buf;
    for (size_t w = 0; w < n_slices * rsize / 4; w++) {
        words[w] = bench_pattern(w * 4);
    }
    b->regions = g_new0(MemoryRegion, n);
    b->starts = g_new(uint64_t, n);
    b->hosts = g_new(uint8_t *, n);
    if (!memory_region_init(&b->root, NULL, "bench-root", UINT64_MAX, &err)) {
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        b->starts[i] = many_addr(b, i);
        b->hosts[i] = b->buf + (i % n_slices) * rsize;
        if (!memory_region_init_ram_ptr(&b->regions[i], NULL, "r", rsize,
                                        b->hosts[i], &err)) {
            goto fail;
        }
    }
    if (!address_space_init(&b->as, &b->root, "bench-as", &err)) {
        goto fail;
    }
    b->addr_mask = n_addrs - 1;
    b->addrs = g_new(uint64_t, n_addrs);
    random_addrs(b, b->addrs, n, BENCH_SEED + 5);
    return b;

fail:
    bench_check(ctx, false, "set-up: %s", err->message);
    g_error_free(err);
    return NULL;
}

/* Map every region, in one transaction. */
static bool many_map(BenchContext *ctx, BenchMany *b)
{
    GError *err = NULL;
    bool ok = true;

    memory_region_transaction_begin();
    for (size_t i = 0; i < b->n && ok; i++) {
        ok = memory_region_add_subregion(&b->root, many_addr(b, i),
                                         &b->regions[i], &err);
    }
    memory_region_transaction_commit();
    if (!ok) {
        bench_check(ctx, false, "add_subregion: %s", err->message);
        g_error_free(err);
    }
    return ok;
}

static void many_free(BenchMany *b)
{
    if (!b) {
        return;
    }
#ifdef HAVE_UNICORN
    if (b->uc) {
        uc_close(b->uc);
    }
#endif
    address_space_destroy(&b->as);
    memory_region_transaction_begin();
    for (size_t i = 0; i < b->n; i++) {
        if (memory_region_get_container(&b->regions[i])) {
            memory_region_del_subregion(&b->root, &b->regions[i], NULL);
        }
    }
    memory_region_transaction_commit();
    drain_call_rcu();
    for (size_t i = 0; i < b->n; i++) {
        memory_region_finalize(&b->regions[i]);
    }
    memory_region_finalize(&b->root);
    g_free(b->regions);
    g_free(b->starts);
    g_free(b->hosts);
    g_free(b->addrs);
    g_free(b->peer_addrs);
    g_free(b->buf);
    g_free(b);
}

static void many_ld4_as(void *arg, uint64_t iters)
{
    BenchMany *b = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        sum += address_space_ldl_le(&b->as, b->addrs[i & b->addr_mask],
                                    MEMTXATTRS_UNSPECIFIED, NULL);
    }
    b->sum = sum;
    bench_keep(sum);
}

/* The baseline: binary search over the region starts, then a raw load. */
static void many_ld4_bsearch(void *arg, uint64_t iters)
{
    BenchMany *b = arg;
    const uint64_t *starts = b->starts;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        uint64_t addr = b->addrs[i & b->addr_mask];
        size_t lo = 0, hi = b->n;
        uint32_t v = 0;

        /* The last region starting at or below addr. */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;

            if (starts[mid] <= addr) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if (addr >= starts[lo] && addr - starts[lo] < b->rsize) {
            memcpy(&v, b->hosts[lo] + (addr - starts[lo]), 4);
        }
        sum += v;
    }
    b->sum = sum;
    bench_keep(sum);
}

#ifdef HAVE_UNICORN
static void many_ld4_uc(void *arg, uint64_t iters)
{
    BenchMany *b = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        uint32_t v = 0;

        uc_mem_read(b->uc, b->peer_addrs[i & b->addr_mask], &v, 4);
        sum += v;
    }
    b->sum = sum;
    bench_keep(sum);
}
#endif

static bool check_many(BenchContext *ctx, BenchMany *b, BenchLoopFn *loop,
                       const uint64_t *addrs, const char *what)
{
    uint64_t want = 0;
    MemTxResult res = MEMTX_OK;

    for (size_t k = 0; k <= b->addr_mask; k++) {
        want += many_expected(b, addrs[k]);
    }
    if (loop == many_ld4_as) {
        for (size_t k = 0; k <= b->addr_mask; k += 7) {
            address_space_ldl_le(&b->as, addrs[k], MEMTXATTRS_UNSPECIFIED,
                                 &res);
        }
        if (!bench_check(ctx, res == MEMTX_OK, "%s: loads gave %#x", what,
                         res)) {
            return false;
        }
    }
    loop(b, b->addr_mask + 1);
    return bench_check(ctx, b->sum == want,
                       "%s: checksum %#" PRIx64 ", expected %#" PRIx64, what,
                       b->sum, want);
}

/* Open the Unicorn peer on the first @n_regions regions. */
static BenchLoopFn *many_peer(BenchContext *ctx, BenchMany *b, size_t n_regions)
{
#ifdef HAVE_UNICORN
    uc_engine *uc = bench_uc_open(ctx);

    if (!uc) {
        return NULL;
    }
    for (size_t i = 0; i < n_regions; i++) {
        if (uc_mem_map_ptr(uc, many_addr(b, i), b->rsize, UC_PROT_ALL,
                           b->hosts[i]) != UC_ERR_OK) {
            bench_note("%s: Unicorn peer: uc_mem_map_ptr failed at region %zu",
                       ctx->workload, i);
            uc_close(uc);
            return NULL;
        }
    }
    b->uc = uc;
    b->peer_addrs = g_new(uint64_t, b->addr_mask + 1);
    random_addrs(b, b->peer_addrs, n_regions, BENCH_SEED + 6);
    if (!check_many(ctx, b, many_ld4_uc, b->peer_addrs, "Unicorn peer")) {
        return NULL;
    }
    return many_ld4_uc;
#else
    (void)ctx;
    (void)b;
    (void)n_regions;
    return NULL;
#endif
}

static void w5_run(BenchContext *ctx)
{
    BenchMany *b = many_new(ctx, 4096, 64 << 10, 4096, 1 << 16);
    unsigned int peer_regions;
    BenchLoopFn *peer;
    BenchResult res;

    if (!b || !many_map(ctx, b) ||
        !check_many(ctx, b, many_ld4_as, b->addrs, "address_space_ldl_le") ||
        !check_many(ctx, b, many_ld4_bsearch, b->addrs, "baseline")) {
        many_free(b);
        return;
    }
    peer_regions = ctx->quick ? W5_PEER_REGIONS_QUICK : W5_PEER_REGIONS;
    peer = many_peer(ctx, b, peer_regions);
    if (ctx->failed) {
        many_free(b);
        return;
    }
    res = bench_measure_peer(ctx, many_ld4_as, many_ld4_bsearch, peer, b);
    if (peer) {
        BenchField extra[] = {{"regions", (double)b->n},
                              {"peer_unicorn_regions", peer_regions}};

        bench_report_result(ctx, "W5_many_ld4", res, extra, 2);
    } else {
        BenchField extra[] = {{"regions", (double)b->n}};

        bench_report_result(ctx, "W5_many_ld4", res, extra, 1);
    }
    many_free(b);
}

static void w12_run(BenchContext *ctx)
{
    size_t n = ctx->quick ? 16384 : 1048576;
    BenchMany *b;
    uint64_t t0, t1;
    BenchResult res;

    if (ctx->quick) {
        bench_note("--quick: W12 maps %zu regions instead of 1048576", n);
    }
    t0 = bench_now_ns();
    b = many_new(ctx, n, 4096, 16384, ctx->quick ? 1 << 16 : 1 << 20);
    t1 = bench_now_ns();
    if (!b) {
        return;
    }
    /* Timed: the adds and the commit that renders the view. */
    {
        uint64_t start = bench_now_ns(), cpu = bench_cpu_ns();
        bool ok = many_map(ctx, b);
        double build_s = (double)(bench_now_ns() - start) / 1e9;
        double build_cpu_s = (double)(bench_cpu_ns() - cpu) / 1e9;
        FlatView *fv;
        size_t sections;

        rcu_read_lock();
        fv = address_space_to_flatview(&b->as);
        sections = flatview_nr_sections(fv);
        rcu_read_unlock();
        if (!ok ||
            !bench_check(ctx, sections == n, "the view has %zu sections",
                         sections) ||
            !check_many(ctx, b, many_ld4_as, b->addrs,
                        "address_space_ldl_le") ||
            !check_many(ctx, b, many_ld4_bsearch, b->addrs, "baseline")) {
            many_free(b);
            return;
        }
        res = bench_measure(ctx, many_ld4_as, many_ld4_bsearch, b);
        BENCH_REPORT(
            ctx, "W12_huge_map", {"regions", (double)n}, {"build_s", build_s},
            {"build_cpu_s", build_cpu_s}, {"init_s", (double)(t1 - t0) / 1e9},
            {"ns_per_op", res.ns_per_op},
            {"base_ns_per_op", res.base_ns_per_op}, {"ratio", res.ratio});
    }
    many_free(b);
}

/* ---- W7: reads straddling two adjacent regions ---- */

#define CROSS_REGIONS 64u

typedef struct BenchCross {
    BenchMany *b; /* CROSS_REGIONS adjacent 4 KiB regions */
    uint64_t addrs[BENCH_N_ADDRS];
    const uint8_t *src1[BENCH_N_ADDRS]; /* the baseline's two pieces */
    const uint8_t *src2[BENCH_N_ADDRS];
    uint8_t len1[BENCH_N_ADDRS];
    uint8_t out[16];
    uint64_t sum;
} BenchCross;

static void cross_as(void *arg, uint64_t iters)
{
    BenchCross *c = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        address_space_read(&c->b->as, c->addrs[i & (BENCH_N_ADDRS - 1)],
                           MEMTXATTRS_UNSPECIFIED, c->out, 16);
        __asm__ volatile("" : : "r"(c->out) : "memory");
        sum += c->out[i & 15];
    }
    c->sum = sum;
    bench_keep(sum);
}

static void cross_memcpy(void *arg, uint64_t iters)
{
    BenchCross *c = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        size_t k = i & (BENCH_N_ADDRS - 1);
        size_t len1 = c->len1[k];

        memcpy(c->out, c->src1[k], len1);
        __asm__ volatile("" : : "r"(c->out) : "memory");
        memcpy(c->out + len1, c->src2[k], 16 - len1);
        __asm__ volatile("" : : "r"(c->out) : "memory");
        sum += c->out[i & 15];
    }
    c->sum = sum;
    bench_keep(sum);
}

#ifdef HAVE_UNICORN
static void cross_uc(void *arg, uint64_t iters)
{
    BenchCross *c = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        uc_mem_read(c->b->uc, c->addrs[i & (BENCH_N_ADDRS - 1)], c->out, 16);
        __asm__ volatile("" : : "r"(c->out) : "memory");
        sum += c->out[i & 15];
    }
    c->sum = sum;
    bench_keep(sum);
}
#endif

/* Each 16-byte read must equal the two host pieces it straddles. */
static bool check_cross(BenchContext *ctx, BenchCross *c, BenchLoopFn *loop,
                        const char *what)
{
    for (unsigned int k = 0; k < 256; k++) {
        uint8_t want[16];
        uint64_t a0 = c->addrs[0];
        const uint8_t *s1 = c->src1[0], *s2 = c->src2[0];
        uint8_t l1 = c->len1[0];

        memcpy(want, c->src1[k], c->len1[k]);
        memcpy(want + c->len1[k], c->src2[k], 16u - c->len1[k]);
        c->addrs[0] = c->addrs[k];
        c->src1[0] = c->src1[k];
        c->src2[0] = c->src2[k];
        c->len1[0] = c->len1[k];
        memset(c->out, 0xee, 16);
        loop(c, 1);
        c->addrs[0] = a0;
        c->src1[0] = s1;
        c->src2[0] = s2;
        c->len1[0] = l1;
        if (!bench_check(ctx, memcmp(c->out, want, 16) == 0,
                         "%s: 16 bytes at %#" PRIx64 " differ", what,
                         c->addrs[k])) {
            return false;
        }
    }
    return true;
}

static void w7_run(BenchContext *ctx)
{
    BenchCross *c = g_new0(BenchCross, 1);
    GError *err = NULL;
    BenchLoopFn *peer = NULL;
    BenchField vm[PEER_VMMEM_MAX_FIELDS];
    uint64_t state = BENCH_SEED + 7;
    BenchResult res;
    bool ok;

    /* Mapped back to back (stride 4 KiB), not at many_addr(). */
    c->b = many_new(ctx, CROSS_REGIONS, 4096, CROSS_REGIONS, 64);
    if (!c->b) {
        g_free(c);
        return;
    }
    memory_region_transaction_begin();
    ok = true;
    for (unsigned int i = 0; i < CROSS_REGIONS && ok; i++) {
        ok = memory_region_add_subregion(&c->b->root, MANY_BASE + i * 4096ull,
                                         &c->b->regions[i], &err);
    }
    memory_region_transaction_commit();
    if (!bench_check(ctx, ok, "add_subregion: %s", ok ? "" : err->message)) {
        g_clear_error(&err);
        many_free(c->b);
        g_free(c);
        return;
    }
    for (unsigned int k = 0; k < BENCH_N_ADDRS; k++) {
        uint64_t r = bench_rand(&state);
        unsigned int boundary = 1 + (unsigned int)(r % (CROSS_REGIONS - 1));
        unsigned int before = 1 + (unsigned int)((r >> 32) % 15);

        c->addrs[k] = MANY_BASE + boundary * 4096ull - before;
        c->src1[k] = c->b->hosts[boundary - 1] + 4096 - before;
        c->src2[k] = c->b->hosts[boundary];
        c->len1[k] = (uint8_t)before;
    }
    ok = check_cross(ctx, c, cross_as, "address_space_read") &&
         check_cross(ctx, c, cross_memcpy, "baseline");
#ifdef HAVE_UNICORN
    if (ok) {
        uc_engine *uc = bench_uc_open(ctx);

        for (unsigned int i = 0; uc && i < CROSS_REGIONS; i++) {
            if (uc_mem_map_ptr(uc, MANY_BASE + i * 4096ull, 4096, UC_PROT_ALL,
                               c->b->hosts[i]) != UC_ERR_OK) {
                bench_note("W7_cross: Unicorn peer: uc_mem_map_ptr failed");
                uc_close(uc);
                uc = NULL;
            }
        }
        c->b->uc = uc;
        if (uc) {
            ok = check_cross(ctx, c, cross_uc, "Unicorn peer");
            peer = cross_uc;
        }
    }
#endif
    if (ok) {
        res = bench_measure_peer(ctx, cross_as, cross_memcpy, peer, c);
        bench_report_result(
            ctx, "W7_cross", res, vm,
            peer_vmmem_fields(ctx, "W7", c->addrs, res.ns_per_op, vm));
    }
    many_free(c->b);
    g_free(c);
}

const BenchWorkload bench_w5_many_ld4 = {"W5_many_ld4", w5_run};
const BenchWorkload bench_w7_cross = {"W7_cross", w7_run};
const BenchWorkload bench_w12_huge_map = {"W12_huge_map", w12_run};
