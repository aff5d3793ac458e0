/* SPDX-License-Identifier: MIT */
/*
 * W14_reset_K: restore a RAM snapshot of a 64 MiB region after K = 1, 16,
 * 256, 4096 random pages were written through the AddressSpace (one
 * address_space_stl() per page, untimed); the time of ram_snapshot_restore()
 * alone, per restore. Baseline: memcpy() of the same K pages from a saved
 * copy, after raw stores to them. Target (BENCHMARKS.md): at most 2x the
 * baseline plus 5 us, at every K. K = 0 is the fixed cost (a clean 64 MiB
 * restore: the bitmap pass).
 *
 * Also: W14_take (ram_snapshot_take() of the 64 MiB, pattern-filled,
 * against memcpy() of 64 MiB into memory already touched) and W14_st4_logged
 * (address_space_stl_le() in a 16 KiB window while a dirty client logs the
 * region, as while a snapshot covers it: the stores take the logged path;
 * against the same stores without logging: the inline path).
 */
#include <stdlib.h>
#include <string.h>

#include <addrspace/snapshot.h>

#include "bench-ram.h"

#define PAGE     4096u
#define NR_PAGES (BENCH_RAM_SIZE / PAGE)

typedef struct W14 {
    BenchRam *f;
    RamSnapshot *snap;
    uint8_t *image;   /* the RAM at take, for the baseline and the check */
    uint32_t *order;  /* a fixed-seed permutation of the pages */
    uint32_t *sorted; /* its first K entries, ascending (the baseline's) */
    uint32_t gen;     /* changes what each round writes */
} W14;

/* Write K pages: through the AddressSpace (@as) or raw (the baseline). */
static void dirty(W14 *w, unsigned k, bool as)
{
    w->gen++;
    for (unsigned i = 0; i < k; i++) {
        uint64_t off = (uint64_t)w->order[i] * PAGE + (w->gen % 1024) * 4;

        if (as) {
            address_space_stl_le(&w->f->as, BENCH_RAM_BASE + off, w->gen,
                                 MEMTXATTRS_UNSPECIFIED, NULL);
        } else {
            memcpy(w->f->host + off, &w->gen, 4);
        }
    }
}

/* ns of one restore after K pages were written; *pages: pages copied. */
static uint64_t restore_once(W14 *w, unsigned k, uint64_t *pages)
{
    uint64_t t0;

    dirty(w, k, true);
    t0 = bench_now_ns();
    ram_snapshot_restore(w->snap, pages, NULL);
    return bench_now_ns() - t0;
}

static uint64_t memcpy_once(W14 *w, unsigned k)
{
    uint64_t t0;

    dirty(w, k, false);
    t0 = bench_now_ns();
    /* in address order, as the restore walks its bitmap */
    for (unsigned i = 0; i < k; i++) {
        uint64_t off = (uint64_t)w->sorted[i] * PAGE;

        memcpy(w->f->host + off, w->image + off, PAGE);
    }
    t0 = bench_now_ns() - t0;
    bench_keep(w->f->host[(uint64_t)w->order[0] * PAGE]);
    return t0;
}

static bool check_k(BenchContext *ctx, W14 *w, unsigned k)
{
    uint64_t pages = 0;

    restore_once(w, k, &pages);
    return bench_check(ctx, pages == k, "K = %u: %" PRIu64 " pages copied", k,
                       pages) &&
           bench_check(ctx, !memcmp(w->f->host, w->image, BENCH_RAM_SIZE),
                       "K = %u: the RAM differs from the image after the "
                       "restore",
                       k);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static void measure_k(BenchContext *ctx, W14 *w, unsigned k)
{
    double ours[16], base[16];
    unsigned reps = ctx->repetitions < 16 ? ctx->repetitions : 16;
    uint64_t rounds = 16, pages;
    char name[32];
    double o, b;

    memcpy(w->sorted, w->order, k * sizeof(uint32_t));
    qsort(w->sorted, k, sizeof(uint32_t), cmp_u32);
    /* calibrate: enough restores for ctx->min_rep_ns of restoring */
    for (;;) {
        uint64_t t = 0;

        for (uint64_t i = 0; i < rounds; i++) {
            t += restore_once(w, k, &pages);
        }
        if (t >= ctx->min_rep_ns / 4 || rounds >= (1u << 26)) {
            rounds = t ? rounds * ctx->min_rep_ns / t + 1 : rounds;
            break;
        }
        rounds *= 4;
    }
    for (unsigned r = 0; r < reps; r++) {
        uint64_t t = 0;

        for (uint64_t i = 0; i < rounds; i++) {
            t += restore_once(w, k, &pages);
        }
        ours[r] = (double)t / (double)rounds;
        t = 0;
        for (uint64_t i = 0; i < rounds; i++) {
            t += memcpy_once(w, k);
        }
        base[r] = (double)t / (double)rounds;
    }
    o = bench_median(ours, reps) / 1000;
    b = bench_median(base, reps) / 1000;
    snprintf(name, sizeof(name), "W14_reset_%u", k);
    if (k == 0) {
        BENCH_REPORT(ctx, name, {"us", o}, {"pages", 0});
    } else {
        BENCH_REPORT(ctx, name, {"us", o}, {"base_us", b}, {"ratio", o / b},
                     {"pages", k}, {"target_met", o <= 2 * b + 5});
    }
}

/*
 * W14_take: the median of 3 takes (1 with --quick), each mapping a fresh
 * image (its page faults are most of the cost); the last one is kept as
 * the snapshot the resets restore.
 */
static RamSnapshot *take_record(BenchContext *ctx, W14 *w)
{
    MemoryRegion *regions[] = {&w->f->ram};
    /* the baseline's destination, touched first (not with --quick: on a
     * VM whose page faults are slow, touching 64 MiB takes seconds) */
    uint8_t *copy = ctx->quick ? NULL : malloc(BENCH_RAM_SIZE);
    unsigned reps = ctx->quick ? 1 : 3;
    double ours[3], base[3] = {0};
    RamSnapshot *s = NULL;

    if (copy) {
        memset(copy, 1, BENCH_RAM_SIZE);
    }
    for (unsigned r = 0; r < reps; r++) {
        uint64_t t0;

        ram_snapshot_free(s);
        t0 = bench_now_ns();
        s = ram_snapshot_take(regions, 1, NULL);
        ours[r] = (double)(bench_now_ns() - t0) / 1e6;
        if (copy) {
            t0 = bench_now_ns();
            memcpy(copy, w->f->host, BENCH_RAM_SIZE);
            base[r] = (double)(bench_now_ns() - t0) / 1e6;
            bench_keep(copy[r]);
        }
    }
    if (s) {
        BENCH_REPORT(
            ctx, "W14_take", {"ms", bench_median(ours, reps)},
            {"base_ms", bench_median(base, reps)},
            {"image_mib", (double)ram_snapshot_image_size(s) / (1 << 20)});
    }
    free(copy);
    return s;
}

static void st4(void *arg, uint64_t iters)
{
    BenchRam *f = arg;

    for (uint64_t i = 0; i < iters; i++) {
        address_space_stl_le(&f->as, f->addrs[i & (BENCH_N_ADDRS - 1)],
                             (uint32_t)i, MEMTXATTRS_UNSPECIFIED, NULL);
    }
}

/*
 * The store path while a dirty client logs the region (what a snapshot
 * does: any client takes the stores off the inline path) against the
 * same stores without logging, interleaved. DIRTY_MEMORY_MIGRATION stands
 * in for the snapshot's client: switching it is one commit, where a take
 * would copy 64 MiB inside the timed loop.
 */
static void st4_logged(void *arg, uint64_t iters)
{
    BenchRam *f = arg;

    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_MIGRATION);
    st4(f, iters);
    memory_region_set_log(&f->ram, false, DIRTY_MEMORY_MIGRATION);
}

static void w14_run(BenchContext *ctx)
{
    static const unsigned ks[] = {0, 1, 16, 256, 4096};
    uint64_t state = BENCH_SEED + 14;
    W14 w = {0};
    BenchResult res;

    w.f = bench_ram_new(ctx, BENCH_RAM_SIZE, BENCH_RAM_SIZE, false);
    if (!w.f) {
        return;
    }
    w.image = malloc(BENCH_RAM_SIZE);
    w.order = malloc(NR_PAGES * sizeof(uint32_t));
    w.sorted = malloc(NR_PAGES * sizeof(uint32_t));
    if (!bench_check(ctx, w.image && w.order && w.sorted, "out of memory")) {
        goto out;
    }
    for (uint32_t i = 0; i < NR_PAGES; i++) {
        w.order[i] = i;
    }
    for (uint32_t i = NR_PAGES - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(bench_rand(&state) % (i + 1)), t = w.order[i];

        w.order[i] = w.order[j];
        w.order[j] = t;
    }
    memcpy(w.image, w.f->host, BENCH_RAM_SIZE);
    w.snap = take_record(ctx, &w);
    if (!bench_check(ctx, w.snap != NULL, "ram_snapshot_take() failed")) {
        goto out;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(ks); i++) {
        if (!check_k(ctx, &w, ks[i])) {
            goto out;
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(ks); i++) {
        measure_k(ctx, &w, ks[i]);
    }
    ram_snapshot_free(w.snap);
    w.snap = NULL;
    bench_ram_addrs(w.f, BENCH_WINDOW, 4, BENCH_SEED + 2);
    res = bench_measure(ctx, st4_logged, st4, w.f);
    bench_report_result(ctx, "W14_st4_logged", res, NULL, 0);
out:
    ram_snapshot_free(w.snap);
    free(w.image);
    free(w.order);
    free(w.sorted);
    bench_ram_free(w.f);
}

const BenchWorkload bench_w14_reset = {"W14_reset", w14_run};
