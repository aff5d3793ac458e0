/* SPDX-License-Identifier: MIT */
/*
 * The RAM-access workloads (docs/benchmarks.md):
 *   W1h_ram_ld4       address_space_ldl_le, random 4-aligned addresses in a
 *                     16 KiB window of one RAM region (cache-resident);
 *   W1q_ram_ld4_held  the same inside one read-side section per 1024 loads;
 *   W1_ram_ld4        the same over the whole 64 MiB region (DRAM-bound);
 *   W2_ram_st4        address_space_stl_le in the 16 KiB window;
 *   W3_ram_read4k     address_space_read of 4 KiB at random 4K-aligned
 *                     addresses of the 64 MiB region.
 * Baselines: the raw load, store or memcpy on the region's host memory.
 * Peer: Unicorn's uc_mem_read/uc_mem_write on the same host memory, mapped
 * with uc_mem_map_ptr at the same guest address (Unicorn has no read-side
 * section to hold, so W1q's peer figure is the same call as W1h's).
 * W1h, W2 and W3 also run through vm-memory (peer-vmmem.h).
 */
#include <string.h>

#include "bench-ram.h"
#include "peer-vmmem.h"

#define MASK (BENCH_N_ADDRS - 1)

/* ---- loads ---- */

static void ld4_as(void *arg, uint64_t iters)
{
    BenchRam *f = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        sum += address_space_ldl_le(&f->as, f->addrs[i & MASK],
                                    MEMTXATTRS_UNSPECIFIED, NULL);
    }
    f->sum = sum;
    bench_keep(sum);
}

static void ld4_held(void *arg, uint64_t iters)
{
    BenchRam *f = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters;) {
        uint64_t end = MIN(iters, i + 1024);

        rcu_read_lock();
        for (; i < end; i++) {
            sum += address_space_ldl_le(&f->as, f->addrs[i & MASK],
                                        MEMTXATTRS_UNSPECIFIED, NULL);
        }
        rcu_read_unlock();
    }
    f->sum = sum;
    bench_keep(sum);
}

/* The sum of bench_pattern() over one pass of the address array. */
static uint64_t expected_ld4_sum(const BenchRam *f)
{
    uint64_t sum = 0;

    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        sum += bench_pattern(f->addrs[i] - BENCH_RAM_BASE);
    }
    return sum;
}

/* One pass of each loop must load exactly what the pattern says. */
static bool check_ld4(BenchContext *ctx, BenchRam *f, BenchLoopFn *op,
                      const char *what)
{
    uint64_t want = expected_ld4_sum(f);
    MemTxResult res = MEMTX_OK;

    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        address_space_ldl_le(&f->as, f->addrs[i], MEMTXATTRS_UNSPECIFIED, &res);
    }
    if (!bench_check(ctx, res == MEMTX_OK, "%s: loads gave result %#x", what,
                     res)) {
        return false;
    }
    op(f, BENCH_N_ADDRS);
    if (!bench_check(ctx, f->sum == want,
                     "%s: checksum %#" PRIx64 ", expected %#" PRIx64, what,
                     f->sum, want)) {
        return false;
    }
    bench_ram_ld4_raw(f, BENCH_N_ADDRS);
    return bench_check(ctx, f->sum == want, "baseline checksum %#" PRIx64,
                       f->sum);
}

static BenchLoopFn *peer_loop(BenchContext *ctx, BenchRam *f, BenchLoopFn *loop)
{
#ifdef HAVE_UNICORN
    if (f->uc) {
        uint64_t want = expected_ld4_sum(f);

        if (loop == bench_ram_ld4_uc) {
            bench_ram_ld4_uc(f, BENCH_N_ADDRS);
            if (!bench_check(ctx, f->sum == want,
                             "Unicorn peer checksum %#" PRIx64, f->sum)) {
                return NULL;
            }
        }
        return loop;
    }
#else
    (void)ctx;
    (void)f;
    (void)loop;
#endif
    return NULL;
}

/* @vmmem: the vm-memory peer's name of the workload, or NULL for none. */
static void run_ld4(BenchContext *ctx, uint64_t window, BenchLoopFn *op,
                    const char *name, const char *vmmem)
{
    BenchRam *f = bench_ram_new(ctx, BENCH_RAM_SIZE, window, true);
    BenchLoopFn *peer = NULL;
    BenchField vm[PEER_VMMEM_MAX_FIELDS];
    BenchResult res;

    if (!f) {
        return;
    }
    bench_ram_addrs(f, window, 4, BENCH_SEED);
#ifdef HAVE_UNICORN
    peer = peer_loop(ctx, f, bench_ram_ld4_uc);
#else
    peer = peer_loop(ctx, f, NULL);
#endif
    if (check_ld4(ctx, f, op, name) && !ctx->failed) {
        res = bench_measure_peer(ctx, op, bench_ram_ld4_raw, peer, f);
        bench_report_result(
            ctx, name, res, vm,
            vmmem ? peer_vmmem_fields(ctx, vmmem, f->addrs, res.ns_per_op, vm)
                  : 0);
    }
    bench_ram_free(f);
}

static void w1h_run(BenchContext *ctx)
{
    run_ld4(ctx, BENCH_WINDOW, ld4_as, "W1h_ram_ld4", "W1h");
}

static void w1q_run(BenchContext *ctx)
{
    run_ld4(ctx, BENCH_WINDOW, ld4_held, "W1q_ram_ld4_held", NULL);
}

static void w1_run(BenchContext *ctx)
{
    run_ld4(ctx, BENCH_RAM_SIZE, ld4_as, "W1_ram_ld4", NULL);
}

/* ---- stores ---- */

static void st4_as(void *arg, uint64_t iters)
{
    BenchRam *f = arg;

    for (uint64_t i = 0; i < iters; i++) {
        address_space_stl_le(&f->as, f->addrs[i & MASK], (uint32_t)i,
                             MEMTXATTRS_UNSPECIFIED, NULL);
    }
}

static void st4_raw(void *arg, uint64_t iters)
{
    BenchRam *f = arg;
    uint8_t *host = f->host - BENCH_RAM_BASE;

    for (uint64_t i = 0; i < iters; i++) {
        uint32_t v = (uint32_t)i;

        memcpy(host + f->addrs[i & MASK], &v, 4);
        /* Keep every store: the compiler may not merge or drop them. */
        __asm__ volatile("" : : : "memory");
    }
}

#ifdef HAVE_UNICORN
static void st4_uc(void *arg, uint64_t iters)
{
    BenchRam *f = arg;

    for (uint64_t i = 0; i < iters; i++) {
        uint32_t v = (uint32_t)i;

        uc_mem_write(f->uc, f->addrs[i & MASK], &v, 4);
    }
}
#endif

/*
 * After one pass of BENCH_N_ADDRS stores of i at addrs[i], each distinct
 * address holds the index of its last store: compare with the host memory.
 */
static bool check_st4(BenchContext *ctx, BenchRam *f, BenchLoopFn *loop,
                      const char *what)
{
    uint32_t *want = g_new0(uint32_t, BENCH_WINDOW / 4);
    bool ok = true;

    memset(f->host, 0, BENCH_WINDOW);
    loop(f, BENCH_N_ADDRS);
    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        want[(f->addrs[i] - BENCH_RAM_BASE) / 4] = i;
    }
    for (unsigned int w = 0; w < BENCH_WINDOW / 4 && ok; w++) {
        uint32_t got;

        memcpy(&got, f->host + w * 4, 4);
        ok = bench_check(ctx, got == want[w],
                         "%s: word %u holds %u, expected %u", what, w, got,
                         want[w]);
    }
    g_free(want);
    return ok;
}

static void w2_run(BenchContext *ctx)
{
    BenchRam *f = bench_ram_new(ctx, BENCH_RAM_SIZE, BENCH_WINDOW, true);
    BenchLoopFn *peer = NULL;
    BenchField vm[PEER_VMMEM_MAX_FIELDS];
    BenchResult res;
    bool ok;

    if (!f) {
        return;
    }
    bench_ram_addrs(f, BENCH_WINDOW, 4, BENCH_SEED + 2);
    ok = check_st4(ctx, f, st4_as, "address_space_stl_le") &&
         check_st4(ctx, f, st4_raw, "baseline");
#ifdef HAVE_UNICORN
    if (ok && f->uc) {
        ok = check_st4(ctx, f, st4_uc, "Unicorn peer");
        peer = st4_uc;
    }
#endif
    if (ok) {
        res = bench_measure_peer(ctx, st4_as, st4_raw, peer, f);
        bench_report_result(
            ctx, "W2_ram_st4", res, vm,
            peer_vmmem_fields(ctx, "W2", f->addrs, res.ns_per_op, vm));
    }
    bench_ram_free(f);
}

/* ---- 4 KiB reads ---- */

static void read4k_as(void *arg, uint64_t iters)
{
    BenchRam *f = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        address_space_read(&f->as, f->addrs[i & MASK], MEMTXATTRS_UNSPECIFIED,
                           f->buf, sizeof(f->buf));
        __asm__ volatile("" : : "r"(f->buf) : "memory");
        sum += f->buf[i & 4095];
    }
    f->sum = sum;
    bench_keep(sum);
}

static void read4k_raw(void *arg, uint64_t iters)
{
    BenchRam *f = arg;
    const uint8_t *host = f->host - BENCH_RAM_BASE;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        memcpy(f->buf, host + f->addrs[i & MASK], sizeof(f->buf));
        __asm__ volatile("" : : "r"(f->buf) : "memory");
        sum += f->buf[i & 4095];
    }
    f->sum = sum;
    bench_keep(sum);
}

#ifdef HAVE_UNICORN
static void read4k_uc(void *arg, uint64_t iters)
{
    BenchRam *f = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        uc_mem_read(f->uc, f->addrs[i & MASK], f->buf, sizeof(f->buf));
        __asm__ volatile("" : : "r"(f->buf) : "memory");
        sum += f->buf[i & 4095];
    }
    f->sum = sum;
    bench_keep(sum);
}
#endif

/* Every 4 KiB copy must equal the host memory it came from. */
static bool check_read4k(BenchContext *ctx, BenchRam *f, BenchLoopFn *loop,
                         const char *what)
{
    for (unsigned int i = 0; i < 64; i++) {
        const uint8_t *src = f->host + (f->addrs[i] - BENCH_RAM_BASE);
        memset(f->buf, 0xee, sizeof(f->buf));
        /* Run the loop for one iteration on address i. */
        if (i == 0) {
            loop(f, 1);
        } else {
            uint64_t a0 = f->addrs[0];

            f->addrs[0] = f->addrs[i];
            loop(f, 1);
            f->addrs[0] = a0;
        }
        if (!bench_check(ctx, memcmp(f->buf, src, sizeof(f->buf)) == 0,
                         "%s: 4 KiB at %#" PRIx64 " differs from RAM", what,
                         f->addrs[i])) {
            return false;
        }
    }
    return true;
}

static void w3_run(BenchContext *ctx)
{
    BenchRam *f = bench_ram_new(ctx, BENCH_RAM_SIZE, BENCH_RAM_SIZE, true);
    BenchLoopFn *peer = NULL;
    BenchField fields[9];
    BenchResult res;
    size_t n = 0;
    bool ok;

    if (!f) {
        return;
    }
    bench_ram_addrs(f, BENCH_RAM_SIZE, 4096, BENCH_SEED + 3);
    ok = check_read4k(ctx, f, read4k_as, "address_space_read") &&
         check_read4k(ctx, f, read4k_raw, "baseline");
#ifdef HAVE_UNICORN
    if (ok && f->uc) {
        ok = check_read4k(ctx, f, read4k_uc, "Unicorn peer");
        peer = read4k_uc;
    }
#endif
    if (!ok) {
        bench_ram_free(f);
        return;
    }
    res = bench_measure_peer(ctx, read4k_as, read4k_raw, peer, f);
    /* Bandwidth: 4096 bytes per operation; ratio = ours / memcpy's. */
    fields[n++] = (BenchField){"GB_per_s", 4096 / res.ns_per_op};
    fields[n++] = (BenchField){"base_GB_per_s", 4096 / res.base_ns_per_op};
    fields[n++] = (BenchField){"ratio", res.base_ns_per_op / res.ns_per_op};
    if (res.peer_ns_per_op > 0) {
        fields[n++] =
            (BenchField){"peer_unicorn_GB_per_s", 4096 / res.peer_ns_per_op};
        fields[n++] =
            (BenchField){"speedup_vs_peer", res.peer_ns_per_op / res.ns_per_op};
    }
    n += peer_vmmem_fields(ctx, "W3", f->addrs, res.ns_per_op, fields + n);
    bench_report(ctx, "W3_ram_read4k", fields, n);
    bench_ram_free(f);
}

const BenchWorkload bench_w1h_ram_ld4 = {"W1h_ram_ld4", w1h_run};
const BenchWorkload bench_w1q_ram_ld4_held = {"W1q_ram_ld4_held", w1q_run};
const BenchWorkload bench_w1_ram_ld4 = {"W1_ram_ld4", w1_run};
const BenchWorkload bench_w2_ram_st4 = {"W2_ram_st4", w2_run};
const BenchWorkload bench_w3_ram_read4k = {"W3_ram_read4k", w3_run};
