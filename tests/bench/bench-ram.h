/* SPDX-License-Identifier: MIT */
/*
 * The RAM fixture shared by the RAM-access workloads (W1h, W1q, W1, W2, W3,
 * W9, W10, W11): one AddressSpace whose root container maps one RAM region
 * at BENCH_RAM_BASE, filled with bench_pattern(), fixed-seed address arrays,
 * and, with Unicorn, a peer engine mapping the same host memory at the same
 * guest address. Also the Unicorn helpers of the other workloads.
 */
#ifndef ADDRSPACE_BENCH_RAM_H
#define ADDRSPACE_BENCH_RAM_H

#include <addrspace/address-space.h>
#include <addrspace/memory.h>

#ifdef HAVE_UNICORN
#include <unicorn/unicorn.h>
#endif

#include "bench.h"

/** Guest address of the fixture's RAM region. */
#define BENCH_RAM_BASE 0x40000000ull
/** Size of the RAM region of W1, W3 and W10 (64 MiB). */
#define BENCH_RAM_SIZE (64ull << 20)
/** The cache-resident window of W1h, W1q, W2, W9, W11 (16 KiB). */
#define BENCH_WINDOW (16ull << 10)
/** Entries of every precomputed address array (a power of two). */
#define BENCH_N_ADDRS 4096u

/**
 * struct BenchRam - the fixture.
 * @root: the root container (2^64 bytes).
 * @ram: the RAM region at BENCH_RAM_BASE.
 * @as: the AddressSpace on @root.
 * @host: @ram's host memory.
 * @size: @ram's size.
 * @addrs: BENCH_N_ADDRS guest addresses (bench_ram_addrs()).
 * @sum: loops' accumulated results (checks, and keeps the work).
 * @buf: a 4 KiB destination buffer (W3).
 * @uc: the Unicorn peer, or NULL (without Unicorn, always NULL).
 */
typedef struct BenchRam {
    MemoryRegion root;
    MemoryRegion ram;
    AddressSpace as;
    uint8_t *host;
    uint64_t size;
    uint64_t addrs[BENCH_N_ADDRS];
    uint64_t sum;
    uint8_t buf[4096] __attribute__((aligned(64)));
    void *uc;
} BenchRam;

/**
 * bench_ram_new() - Build the fixture: @size bytes of RAM whose first
 * @fill bytes have every 4-aligned word set to bench_pattern(offset), and
 * the Unicorn peer when @peer and Unicorn is built in.
 * @ctx: the context (set-up failures are check failures).
 * @size: bytes of RAM, a multiple of 4 KiB.
 * @fill: bytes to fill (the rest stays zero): what the addresses cover.
 * @peer: whether to open the Unicorn peer.
 * Return: the fixture, or NULL after a CHECK FAILED.
 */
BenchRam *bench_ram_new(BenchContext *ctx, uint64_t size, uint64_t fill,
                        bool peer);

/**
 * bench_ram_addrs() - Fill @f->addrs with fixed-seed random guest
 * addresses, aligned to @align, in the first @window bytes of the RAM.
 * @f: the fixture.
 * @window: bytes of RAM the addresses cover (from its start).
 * @align: alignment, a power of two.
 * @seed: the generator's seed.
 */
void bench_ram_addrs(BenchRam *f, uint64_t window, uint64_t align,
                     uint64_t seed);

/**
 * bench_ram_free() - Tear the fixture down and free everything.
 * @f: the fixture, or NULL.
 */
void bench_ram_free(BenchRam *f);

/**
 * bench_ram_ld4_raw() - The baseline of the 4-byte loads: raw loads from
 * the host memory at @f->addrs (a BenchLoopFn; the sum goes to @f->sum).
 * @arg: the fixture.
 * @iters: loads.
 */
void bench_ram_ld4_raw(void *arg, uint64_t iters);

#ifdef HAVE_UNICORN
/**
 * bench_ram_ld4_uc() - The Unicorn peer of the 4-byte loads: uc_mem_read()
 * of 4 bytes at @f->addrs (a BenchLoopFn; the sum goes to @f->sum).
 * @arg: the fixture.
 * @iters: loads.
 */
void bench_ram_ld4_uc(void *arg, uint64_t iters);

/**
 * bench_uc_open() - A Unicorn x86-64 engine for a peer measurement.
 * @ctx: the context; a failure is reported as a note, not a check failure
 *       (the peer is optional).
 * Return: the engine, or NULL.
 */
uc_engine *bench_uc_open(BenchContext *ctx);
#endif

#endif /* ADDRSPACE_BENCH_RAM_H */
