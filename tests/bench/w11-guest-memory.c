/* SPDX-License-Identifier: MIT */
/*
 * W11_gm_ld4: guest_memory_ldl_le() (the region interface, guest-memory.h)
 * over an AddressSpace's FlatView taken once with
 * guest_memory_from_address_space(), at random 4-aligned addresses of a
 * 16 KiB RAM window. Baseline: the raw 32-bit load. Peer: Unicorn's
 * uc_mem_read of 4 bytes (its only guest-memory read); vm-memory's load
 * through its GuestMemory trait (peer-vmmem.h).
 */
#include <addrspace/guest-memory.h>

#include "bench-ram.h"
#include "peer-vmmem.h"

typedef struct W11 {
    BenchRam *f; /* first member: the shared loops take a BenchRam * */
    GuestMemory *mem;
} W11;

static void gm_ld4(void *arg, uint64_t iters)
{
    W11 *w = arg;
    BenchRam *f = w->f;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < iters; i++) {
        sum += guest_memory_ldl_le(w->mem, f->addrs[i & (BENCH_N_ADDRS - 1)],
                                   MEMTXATTRS_UNSPECIFIED, NULL);
    }
    f->sum = sum;
    bench_keep(sum);
}

static void raw_ld4(void *arg, uint64_t iters)
{
    bench_ram_ld4_raw(((W11 *)arg)->f, iters);
}

#ifdef HAVE_UNICORN
static void uc_ld4(void *arg, uint64_t iters)
{
    bench_ram_ld4_uc(((W11 *)arg)->f, iters);
}
#endif

static void w11_run(BenchContext *ctx)
{
    W11 w = {.f = bench_ram_new(ctx, BENCH_RAM_SIZE, BENCH_WINDOW, true)};
    BenchLoopFn *peer = NULL;
    uint64_t want = 0;
    MemTxResult res = MEMTX_OK;
    BenchField vm[PEER_VMMEM_MAX_FIELDS];
    BenchResult r;

    if (!w.f) {
        return;
    }
    bench_ram_addrs(w.f, BENCH_WINDOW, 4, BENCH_SEED + 11);
    w.mem = guest_memory_from_address_space(&w.f->as);
    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        want += bench_pattern(w.f->addrs[i] - BENCH_RAM_BASE);
        guest_memory_ldl_le(w.mem, w.f->addrs[i], MEMTXATTRS_UNSPECIFIED, &res);
    }
    gm_ld4(&w, BENCH_N_ADDRS);
    if (!bench_check(ctx, res == MEMTX_OK, "loads gave result %#x", res) ||
        !bench_check(ctx, w.f->sum == want,
                     "checksum %#" PRIx64 ", expected %#" PRIx64, w.f->sum,
                     want)) {
        goto out;
    }
    raw_ld4(&w, BENCH_N_ADDRS);
    if (!bench_check(ctx, w.f->sum == want, "baseline checksum %#" PRIx64,
                     w.f->sum)) {
        goto out;
    }
#ifdef HAVE_UNICORN
    if (w.f->uc) {
        uc_ld4(&w, BENCH_N_ADDRS);
        if (!bench_check(ctx, w.f->sum == want,
                         "Unicorn peer checksum %#" PRIx64, w.f->sum)) {
            goto out;
        }
        peer = uc_ld4;
    }
#endif
    r = bench_measure_peer(ctx, gm_ld4, raw_ld4, peer, &w);
    bench_report_result(
        ctx, "W11_gm_ld4", r, vm,
        peer_vmmem_fields(ctx, "W11", w.f->addrs, r.ns_per_op, vm));
out:
    guest_memory_put(w.mem);
    bench_ram_free(w.f);
}

const BenchWorkload bench_w11_gm_ld4 = {"W11_gm_ld4", w11_run};
