/* SPDX-License-Identifier: MIT */
/* The RAM fixture of the RAM-access workloads (bench-ram.h). */
#include <stdlib.h>
#include <string.h>

#include "bench-ram.h"

#ifdef HAVE_UNICORN
uc_engine *bench_uc_open(BenchContext *ctx)
{
    uc_engine *uc = NULL;
    uc_err err = uc_open(UC_ARCH_X86, UC_MODE_64, &uc);

    if (err != UC_ERR_OK) {
        bench_note("%s: Unicorn peer not available: %s", ctx->workload,
                   uc_strerror(err));
        return NULL;
    }
    return uc;
}
#endif

BenchRam *bench_ram_new(BenchContext *ctx, uint64_t size, uint64_t fill,
                        bool peer)
{
    BenchRam *f = g_new0(BenchRam, 1);
    GError *err = NULL;
    uint32_t *words;

    f->size = size;
    if (!memory_region_init(&f->root, NULL, "bench-root", UINT64_MAX, &err) ||
        !memory_region_init_ram(&f->ram, NULL, "bench-ram", size, &err) ||
        !memory_region_add_subregion(&f->root, BENCH_RAM_BASE, &f->ram, &err) ||
        !address_space_init(&f->as, &f->root, "bench-as", &err)) {
        bench_check(ctx, false, "set-up: %s", err->message);
        g_error_free(err);
        /* Partially built: leak it rather than guess what to undo. */
        return NULL;
    }
    f->host = memory_region_get_ram_ptr(&f->ram);
    words = (uint32_t *)(void *)f->host;
    for (uint64_t i = 0; i < MIN(fill, size) / 4; i++) {
        words[i] = bench_pattern(i * 4);
    }
#ifdef HAVE_UNICORN
    if (peer) {
        uc_engine *uc = bench_uc_open(ctx);

        if (uc && uc_mem_map_ptr(uc, BENCH_RAM_BASE, size, UC_PROT_ALL,
                                 f->host) != UC_ERR_OK) {
            bench_note("%s: Unicorn peer: uc_mem_map_ptr failed",
                       ctx->workload);
            uc_close(uc);
            uc = NULL;
        }
        f->uc = uc;
    }
#else
    (void)peer;
#endif
    return f;
}

void bench_ram_addrs(BenchRam *f, uint64_t window, uint64_t align,
                     uint64_t seed)
{
    uint64_t state = seed;

    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        f->addrs[i] =
            BENCH_RAM_BASE + (bench_rand(&state) % window & ~(align - 1));
    }
}

void bench_ram_free(BenchRam *f)
{
    if (!f) {
        return;
    }
#ifdef HAVE_UNICORN
    if (f->uc) {
        uc_close(f->uc);
    }
#endif
    address_space_destroy(&f->as);
    memory_region_del_subregion(&f->root, &f->ram, NULL);
    drain_call_rcu();
    memory_region_finalize(&f->ram);
    memory_region_finalize(&f->root);
    g_free(f);
}

void bench_ram_ld4_raw(void *arg, uint64_t iters)
{
    BenchRam *f = arg;
    const uint8_t *host = f->host - BENCH_RAM_BASE;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        uint32_t v;

        memcpy(&v, host + f->addrs[i & (BENCH_N_ADDRS - 1)], 4);
        sum += v;
    }
    f->sum = sum;
    bench_keep(sum);
}

#ifdef HAVE_UNICORN
void bench_ram_ld4_uc(void *arg, uint64_t iters)
{
    BenchRam *f = arg;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        uint32_t v = 0;

        uc_mem_read(f->uc, f->addrs[i & (BENCH_N_ADDRS - 1)], &v, 4);
        sum += v;
    }
    f->sum = sum;
    bench_keep(sum);
}
#endif
