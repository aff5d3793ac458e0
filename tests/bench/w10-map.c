/* SPDX-License-Identifier: MIT */
/*
 * W10_map4k: address_space_map + address_space_unmap of 4 KiB of RAM at
 * random 4K-aligned addresses of a 64 MiB region (the direct-pointer path,
 * no bounce buffer). No baseline (host memory needs no mapping) and no
 * Unicorn peer (Unicorn has no call that lends a host pointer into guest
 * memory).
 */
#include "bench-ram.h"

#define MASK (BENCH_N_ADDRS - 1)

static void map_as(void *arg, uint64_t iters)
{
    BenchRam *f = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        hwaddr len = 4096;
        uint8_t *p = address_space_map(&f->as, f->addrs[i & MASK], &len, false,
                                       MEMTXATTRS_UNSPECIFIED);

        sum += p[len - 4];
        address_space_unmap(&f->as, p, len, false, len);
    }
    f->sum = sum;
    bench_keep(sum);
}

static void w10_run(BenchContext *ctx)
{
    BenchRam *f = bench_ram_new(ctx, BENCH_RAM_SIZE, BENCH_RAM_SIZE, false);
    BenchResult res;
    uint64_t want = 0;

    if (!f) {
        return;
    }
    bench_ram_addrs(f, BENCH_RAM_SIZE, 4096, BENCH_SEED + 10);
    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        hwaddr off = f->addrs[i] - BENCH_RAM_BASE, len = 4096;
        uint8_t *p = address_space_map(&f->as, f->addrs[i], &len, false,
                                       MEMTXATTRS_UNSPECIFIED);
        bool ok = bench_check(ctx, p == f->host + off && len == 4096,
                              "map of %#" PRIx64 " gave %p (+%#" PRIx64
                              ") length %" PRIu64,
                              f->addrs[i], (void *)p, off, len);

        if (p) {
            address_space_unmap(&f->as, p, len, false, len);
        }
        if (!ok) {
            bench_ram_free(f);
            return;
        }
        want += (uint8_t)bench_pattern(off + 4092);
    }
    map_as(f, BENCH_N_ADDRS);
    if (bench_check(ctx, f->sum == want,
                    "checksum %#" PRIx64 ", expected %#" PRIx64, f->sum,
                    want)) {
        res = bench_measure(ctx, map_as, NULL, f);
        bench_report_result(ctx, "W10_map4k", res, NULL, 0);
    }
    bench_ram_free(f);
}

const BenchWorkload bench_w10_map4k = {"W10_map4k", w10_run};
