/* SPDX-License-Identifier: MIT */
/*
 * W13_tlb_ld4: W1h's loads through the per-vCPU translation cache
 * (include/addrspace/tlb.h): as_tlb_ldl_le_rcu() at the same random
 * 4-aligned addresses of a 16 KiB RAM window, the caller holding one
 * read-side section across 1024 loads as W1q does (the cache requires a
 * section; TCG holds one across a translation block). Baseline: the raw
 * 32-bit load. The self-check also proves the loads hit: the four pages of
 * the window are filled once each, nothing goes uncached.
 *
 * floor_ns_per_op and floor_ratio: what a hit of a bare direct-mapped
 * cache of the same shape costs on this machine (page tag and host delta
 * per entry, as_tlb_lookup()'s index and key for a 4-byte access), timed
 * as a third loop interleaved with W13's and the baseline's repetitions,
 * and divided by the same baseline figure. It is filled once for the
 * window and has no generation, no read-side section and no result: the
 * address, the tag compare, the delta, the load. A ratio below
 * floor_ratio asks a translation cache that keeps a tag and a delta per
 * page to cost less than this one, which validates nothing.
 */
#include <string.h>

#include <addrspace/tlb.h>

#include "bench-ram.h"

#define MASK (BENCH_N_ADDRS - 1)

typedef struct W13 {
    BenchRam *f; /* first member: the shared loops take a BenchRam * */
    AsTlb tlb;
    AsTlbEntry floor[AS_TLB_ENTRIES]; /* the floor loop's cache */
    uint64_t floor_misses;
} W13;

static void tlb_ld4(void *arg, uint64_t iters)
{
    W13 *w = arg;
    BenchRam *f = w->f;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters;) {
        uint64_t end = MIN(iters, i + 1024);

        rcu_read_lock();
        for (; i < end; i++) {
            sum += as_tlb_ldl_le_rcu(&w->tlb, f->addrs[i & MASK],
                                     MEMTXATTRS_UNSPECIFIED, NULL);
        }
        rcu_read_unlock();
    }
    f->sum = sum;
    bench_keep(sum);
}

static void raw_ld4(void *arg, uint64_t iters)
{
    bench_ram_ld4_raw(((W13 *)arg)->f, iters);
}

/* The floor loop's miss: counted (the self-check wants none), then the load
 * straight from the window. Out of line, as a real cache's. */
static __attribute__((noinline)) uint32_t floor_miss(W13 *w, hwaddr addr)
{
    uint32_t v;

    w->floor_misses++;
    memcpy(&v, w->f->host + (addr - BENCH_RAM_BASE), 4);
    return v;
}

static void floor_ld4(void *arg, uint64_t iters)
{
    W13 *w = arg;
    BenchRam *f = w->f;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        hwaddr a = f->addrs[i & MASK];
        const AsTlbEntry *e =
            &w->floor[(a >> AS_TLB_PAGE_BITS) & (AS_TLB_ENTRIES - 1)];

        if (__builtin_expect(e->tag == (a & ~(hwaddr)(AS_TLB_PAGE_SIZE - 4)),
                             1)) {
            sum += __atomic_load_n((const uint32_t *)(uintptr_t)(a + e->delta),
                                   __ATOMIC_RELAXED);
        } else {
            sum += floor_miss(w, a);
        }
    }
    f->sum = sum;
    bench_keep(sum);
}

/* Fill the floor loop's cache for the window's pages. */
static void floor_fill(W13 *w)
{
    for (unsigned int i = 0; i < AS_TLB_ENTRIES; i++) {
        w->floor[i].tag = AS_TLB_TAG_INVALID;
    }
    for (hwaddr a = BENCH_RAM_BASE; a < BENCH_RAM_BASE + BENCH_WINDOW;
         a += AS_TLB_PAGE_SIZE) {
        AsTlbEntry *e =
            &w->floor[(a >> AS_TLB_PAGE_BITS) & (AS_TLB_ENTRIES - 1)];

        e->tag = a;
        e->delta = (uintptr_t)w->f->host - (uintptr_t)BENCH_RAM_BASE;
    }
}

static void w13_run(BenchContext *ctx)
{
    W13 *w = g_new0(W13, 1);
    MemTxResult res = MEMTX_OK;
    GError *err = NULL;
    AsTlbStats st;
    uint64_t want = 0;
    BenchField floor_fields[2];
    BenchResult r;

    w->f = bench_ram_new(ctx, BENCH_RAM_SIZE, BENCH_WINDOW, false);
    if (!w->f) {
        g_free(w);
        return;
    }
    bench_ram_addrs(w->f, BENCH_WINDOW, 4, BENCH_SEED + 13);
    if (!bench_check(ctx, as_tlb_init(&w->tlb, &w->f->as, &err),
                     "as_tlb_init: %s", err ? err->message : "")) {
        g_clear_error(&err);
        goto out;
    }
    rcu_read_lock();
    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        MemTxResult one;

        want += bench_pattern(w->f->addrs[i] - BENCH_RAM_BASE);
        as_tlb_ldl_le_rcu(&w->tlb, w->f->addrs[i], MEMTXATTRS_UNSPECIFIED,
                          &one);
        res |= one;
    }
    rcu_read_unlock();
    tlb_ld4(w, BENCH_N_ADDRS);
    as_tlb_get_stats(&w->tlb, &st);
    if (!bench_check(ctx, res == MEMTX_OK, "loads gave result %#x", res) ||
        !bench_check(ctx, w->f->sum == want,
                     "checksum %#" PRIx64 ", expected %#" PRIx64, w->f->sum,
                     want) ||
        !bench_check(
            ctx,
            st.fills == BENCH_WINDOW / AS_TLB_PAGE_SIZE && st.uncached == 0,
            "the loads did not hit: %" PRIu64 " fills, %" PRIu64 " uncached",
            st.fills, st.uncached)) {
        goto out;
    }
    raw_ld4(w, BENCH_N_ADDRS);
    if (!bench_check(ctx, w->f->sum == want, "baseline checksum %#" PRIx64,
                     w->f->sum)) {
        goto out;
    }
    floor_fill(w);
    floor_ld4(w, BENCH_N_ADDRS);
    if (!bench_check(ctx, w->f->sum == want && w->floor_misses == 0,
                     "floor checksum %#" PRIx64 ", %" PRIu64 " misses",
                     w->f->sum, w->floor_misses)) {
        goto out;
    }
    /* the floor rides in the third, interleaved slot: it is no peer */
    r = bench_measure_peer(ctx, tlb_ld4, raw_ld4, floor_ld4, w);
    floor_fields[0] = (BenchField){"floor_ns_per_op", r.peer_ns_per_op};
    floor_fields[1] =
        (BenchField){"floor_ratio", r.peer_ns_per_op / r.base_ns_per_op};
    r.peer_ns_per_op = 0;
    bench_report_result(ctx, "W13_tlb_ld4", r, floor_fields,
                        G_N_ELEMENTS(floor_fields));
out:
    bench_ram_free(w->f);
    g_free(w);
}

const BenchWorkload bench_w13_tlb_ld4 = {"W13_tlb_ld4", w13_run};
