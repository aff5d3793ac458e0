/* SPDX-License-Identifier: MIT */
/*
 * The MMIO workloads (docs/benchmarks.md):
 *   W4_mmio_ld4         address_space_ldl_le on a 4 KiB MMIO region whose
 *                       read callback returns the offset;
 *   W4s_mmio_ld8_split  address_space_ldq_le on a region whose callbacks
 *                       implement at most 4 bytes: two callbacks per load;
 *   W4b_mmio_ld4_bql    W4 on a region that keeps QEMU's default: its
 *                       callbacks run under the big lock (bql.h), taken
 *                       and released by every load.
 * W4 and W4s use lock-free regions (memory_region_clear_global_locking()),
 * as a device with its own locking would: they measure the dispatcher.
 * Baselines: one (W4, W4b) or two (W4s) indirect calls of the same callback.
 * Peer: Unicorn's uc_mem_read on a uc_mmio_map region for W4. W4s has no
 * peer: uc_mmio_map takes no access-size rules (Unicorn fixes its
 * MemoryRegionOps), so the split into two callbacks cannot be expressed.
 */
#include <string.h>

#include "bench-ram.h"

#define MMIO_BASE 0x10000000ull
#define MMIO_SIZE 4096u
#define MASK      (BENCH_N_ADDRS - 1)

typedef struct BenchMmio {
    MemoryRegion root;
    MemoryRegion io;
    AddressSpace as;
    uint64_t addrs[BENCH_N_ADDRS];
    uint64_t sum;
    uint64_t calls;
    /* the baseline's indirect call; volatile so it stays indirect */
    uint64_t (*volatile read_fn)(void *opaque, hwaddr addr, unsigned size);
    void *uc;
} BenchMmio;

static uint64_t mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    BenchMmio *m = opaque;

    (void)size;
    m->calls++;
    return addr;
}

static void mmio_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    (void)opaque;
    (void)addr;
    (void)data;
    (void)size;
}

static const MemoryRegionOps ld4_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

#ifdef HAVE_UNICORN
static uint64_t uc_read_cb(uc_engine *uc, uint64_t offset, unsigned size,
                           void *user_data)
{
    BenchMmio *m = user_data;

    (void)uc;
    (void)size;
    m->calls++;
    return offset;
}

static void uc_write_cb(uc_engine *uc, uint64_t offset, unsigned size,
                        uint64_t value, void *user_data)
{
    (void)uc;
    (void)offset;
    (void)size;
    (void)value;
    (void)user_data;
}
#endif

static BenchMmio *mmio_new(BenchContext *ctx, uint64_t align, bool peer,
                           bool bql)
{
    BenchMmio *m = g_new0(BenchMmio, 1);
    GError *err = NULL;
    uint64_t state = BENCH_SEED + 4;

    if (!memory_region_init(&m->root, NULL, "bench-root", UINT64_MAX, &err) ||
        !memory_region_init_io(&m->io, NULL, &ld4_ops, m, "bench-mmio",
                               MMIO_SIZE, &err)) {
        bench_check(ctx, false, "set-up: %s", err->message);
        g_error_free(err);
        return NULL;
    }
    if (!bql) {
        memory_region_clear_global_locking(&m->io);
    }
    if (!memory_region_add_subregion(&m->root, MMIO_BASE, &m->io, &err) ||
        !address_space_init(&m->as, &m->root, "bench-as", &err)) {
        bench_check(ctx, false, "set-up: %s", err->message);
        g_error_free(err);
        return NULL;
    }
    m->read_fn = mmio_read;
    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        m->addrs[i] =
            MMIO_BASE + (bench_rand(&state) % MMIO_SIZE & ~(align - 1));
    }
#ifdef HAVE_UNICORN
    if (peer) {
        uc_engine *uc = bench_uc_open(ctx);

        if (uc && uc_mmio_map(uc, MMIO_BASE, MMIO_SIZE, uc_read_cb, m,
                              uc_write_cb, m) != UC_ERR_OK) {
            bench_note("%s: Unicorn peer: uc_mmio_map failed", ctx->workload);
            uc_close(uc);
            uc = NULL;
        }
        m->uc = uc;
    }
#else
    (void)peer;
#endif
    return m;
}

static void mmio_free(BenchMmio *m)
{
    if (!m) {
        return;
    }
#ifdef HAVE_UNICORN
    if (m->uc) {
        uc_close(m->uc);
    }
#endif
    address_space_destroy(&m->as);
    memory_region_del_subregion(&m->root, &m->io, NULL);
    drain_call_rcu();
    memory_region_finalize(&m->io);
    memory_region_finalize(&m->root);
    g_free(m);
}

static void ld4_as(void *arg, uint64_t iters)
{
    BenchMmio *m = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        sum += address_space_ldl_le(&m->as, m->addrs[i & MASK],
                                    MEMTXATTRS_UNSPECIFIED, NULL);
    }
    m->sum = sum;
    bench_keep(sum);
}

static void ld4_call(void *arg, uint64_t iters)
{
    BenchMmio *m = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        sum += (uint32_t)m->read_fn(m, m->addrs[i & MASK] - MMIO_BASE, 4);
    }
    m->sum = sum;
    bench_keep(sum);
}

#ifdef HAVE_UNICORN
static void ld4_uc(void *arg, uint64_t iters)
{
    BenchMmio *m = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        uint32_t v = 0;

        uc_mem_read(m->uc, m->addrs[i & MASK], &v, 4);
        sum += v;
    }
    m->sum = sum;
    bench_keep(sum);
}
#endif

static void ld8_as(void *arg, uint64_t iters)
{
    BenchMmio *m = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        sum += address_space_ldq_le(&m->as, m->addrs[i & MASK],
                                    MEMTXATTRS_UNSPECIFIED, NULL);
    }
    m->sum = sum;
    bench_keep(sum);
}

static void ld8_call(void *arg, uint64_t iters)
{
    BenchMmio *m = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        hwaddr off = m->addrs[i & MASK] - MMIO_BASE;
        uint64_t lo = (uint32_t)m->read_fn(m, off, 4);
        uint64_t hi = (uint32_t)m->read_fn(m, off + 4, 4);

        sum += lo | hi << 32;
    }
    m->sum = sum;
    bench_keep(sum);
}

/* A pass over the addresses must return the offsets, with n calls each. */
static bool check_loop(BenchContext *ctx, BenchMmio *m, BenchLoopFn *loop,
                       bool ld8, const char *what)
{
    uint64_t want = 0;

    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        uint64_t off = m->addrs[i] - MMIO_BASE;

        want += ld8 ? (off | (off + 4) << 32) : off;
    }
    m->calls = 0;
    loop(m, BENCH_N_ADDRS);
    return bench_check(ctx, m->sum == want,
                       "%s: checksum %#" PRIx64 ", expected %#" PRIx64, what,
                       m->sum, want) &&
           bench_check(ctx, m->calls == (ld8 ? 2u : 1u) * BENCH_N_ADDRS,
                       "%s: %" PRIu64 " callbacks for %u loads", what, m->calls,
                       BENCH_N_ADDRS);
}

static void w4_run(BenchContext *ctx)
{
    BenchMmio *m = mmio_new(ctx, 4, true, false);
    BenchLoopFn *peer = NULL;
    bool ok;

    if (!m) {
        return;
    }
    ok = check_loop(ctx, m, ld4_as, false, "address_space_ldl_le") &&
         check_loop(ctx, m, ld4_call, false, "baseline");
#ifdef HAVE_UNICORN
    if (ok && m->uc) {
        ok = check_loop(ctx, m, ld4_uc, false, "Unicorn peer");
        peer = ld4_uc;
    }
#endif
    if (ok) {
        bench_report_result(ctx, "W4_mmio_ld4",
                            bench_measure_peer(ctx, ld4_as, ld4_call, peer, m),
                            NULL, 0);
    }
    mmio_free(m);
}

static void w4s_run(BenchContext *ctx)
{
    /* 8-aligned offsets below 4088: both halves inside the region. */
    BenchMmio *m = mmio_new(ctx, 8, false, false);

    if (!m) {
        return;
    }
    if (check_loop(ctx, m, ld8_as, true, "address_space_ldq_le") &&
        check_loop(ctx, m, ld8_call, true, "baseline")) {
        bench_report_result(ctx, "W4s_mmio_ld8_split",
                            bench_measure(ctx, ld8_as, ld8_call, m), NULL, 0);
    }
    mmio_free(m);
}

static void w4b_run(BenchContext *ctx)
{
    BenchMmio *m = mmio_new(ctx, 4, false, true);

    if (!m) {
        return;
    }
    if (check_loop(ctx, m, ld4_as, false, "address_space_ldl_le") &&
        check_loop(ctx, m, ld4_call, false, "baseline")) {
        bench_report_result(ctx, "W4b_mmio_ld4_bql",
                            bench_measure(ctx, ld4_as, ld4_call, m), NULL, 0);
    }
    mmio_free(m);
}

const BenchWorkload bench_w4_mmio_ld4 = {"W4_mmio_ld4", w4_run};
const BenchWorkload bench_w4b_mmio_ld4_bql = {"W4b_mmio_ld4_bql", w4b_run};
const BenchWorkload bench_w4s_mmio_ld8_split = {"W4s_mmio_ld8_split", w4s_run};
