/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness's interface to its workloads (docs/benchmarks.md).
 *
 * Adding a workload: write tests/bench/wN-<what>.c defining
 *     const BenchWorkload bench_wN_<what> = {"WN_<what>", wN_run};
 * declare it below, list it in bench_workloads[] in addrspace-bench.c and
 * add the file to tests/bench/meson.build. Its function checks its own
 * result first (bench_check()), then measures with bench_measure() against
 * a baseline of the same work done directly on host memory, and reports
 * records with BENCH_REPORT().
 */
#ifndef ADDRSPACE_BENCH_H
#define ADDRSPACE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * struct BenchContext - what a workload function is given.
 * @quick: --quick: smoke-test sizes; a workload may also shrink its set-up
 *         (fewer regions, smaller N) when it is set.
 * @min_rep_ns: the shortest repetition bench_measure() times, in ns
 *              (0.2 s; 0.02 s with --quick).
 * @repetitions: repetitions whose median is reported (5).
 * @workload: name of the running workload, for messages.
 * @failed: set by bench_check(); the harness exits non-zero at the end.
 * @threads: reader-thread counts for W9 (--threads LIST, else 1, 2, 4, ...
 *           up to the number of cores, and the core count itself).
 * @n_threads: entries in @threads.
 */
typedef struct BenchContext {
    bool quick;
    uint64_t min_rep_ns;
    unsigned int repetitions;
    const char *workload;
    bool failed;
    const unsigned int *threads;
    size_t n_threads;
} BenchContext;

/** Signature of a workload: check, measure, report. */
typedef void BenchWorkloadFn(BenchContext *ctx);

/**
 * struct BenchWorkload - one entry of the registry.
 * @name: the name --filter matches and records start with ("W1h_ram_ld4").
 * @fn: the workload.
 */
typedef struct BenchWorkload {
    const char *name;
    BenchWorkloadFn *fn;
} BenchWorkload;

/**
 * typedef BenchLoopFn - a timed loop: do the measured operation @iters times.
 * @arg: the workload's state (precomputed addresses, the AddressSpace...).
 * @iters: the number of operations.
 *
 * The loop must keep what it computes observable (bench_keep()), or the
 * compiler may delete the work.
 */
typedef void BenchLoopFn(void *arg, uint64_t iters);

/**
 * struct BenchResult - medians of bench_measure().
 * @ns_per_op: the operation, ns per iteration.
 * @base_ns_per_op: the baseline, ns per iteration (0 without one).
 * @ratio: @ns_per_op / @base_ns_per_op (0 without a baseline).
 * @iters: iterations per repetition (calibrated).
 * @peer_ns_per_op: the peer's loop (bench_measure_peer()), ns per
 *                  iteration (0 without one).
 */
typedef struct BenchResult {
    double ns_per_op;
    double base_ns_per_op;
    double ratio;
    uint64_t iters;
    double peer_ns_per_op;
} BenchResult;

/**
 * bench_measure() - Time @op against @baseline, interleaved.
 * @ctx: the context.
 * @op: the measured loop.
 * @baseline: the same work done directly on host memory, or NULL.
 * @arg: passed to both loops.
 *
 * Calibrates the iteration count so that one repetition of @op takes at
 * least ctx->min_rep_ns, warms both loops up, then runs ctx->repetitions
 * pairs (op, baseline) alternately in this process and takes the medians.
 *
 * Return: the medians and their ratio.
 */
BenchResult bench_measure(BenchContext *ctx, BenchLoopFn *op,
                          BenchLoopFn *baseline, void *arg);

/**
 * bench_measure_peer() - bench_measure() with a third loop: the same work
 * done through a peer library (Unicorn), interleaved with the other two.
 * @ctx: the context.
 * @op: the measured loop.
 * @baseline: the baseline loop, or NULL.
 * @peer: the peer's loop, or NULL (then this is bench_measure()).
 * @arg: passed to the three loops.
 *
 * The peer's iteration count is calibrated on its own, so that each of its
 * repetitions lasts at least ctx->min_rep_ns / 2 (it sits beside our
 * figures; halving it keeps the whole run within its time limit).
 * Return: the medians; @peer_ns_per_op is set when @peer is given.
 */
BenchResult bench_measure_peer(BenchContext *ctx, BenchLoopFn *op,
                               BenchLoopFn *baseline, BenchLoopFn *peer,
                               void *arg);

/**
 * bench_now_ns() - CLOCK_MONOTONIC in ns, for workloads that time
 * themselves (commits, builds).
 * Return: the time.
 */
uint64_t bench_now_ns(void);

/**
 * bench_cpu_ns() - CPU time of the process (all its threads) in ns: what a
 * build cost, whatever else the machine runs.
 * Return: the time.
 */
uint64_t bench_cpu_ns(void);

/**
 * bench_median() - The median of @n figures (sorts @values).
 * @values: the figures.
 * @n: how many, at least 1.
 * Return: the median.
 */
double bench_median(double *values, unsigned int n);

/**
 * bench_note() - Print a comment line ("# ..."): on stdout, or on stderr
 * with --json so that stdout stays valid JSON.
 * @fmt: printf format.
 */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * bench_rand() - The next number of a fixed-seed PRNG (splitmix64).
 * @state: the generator's state; seed it with a constant.
 * Return: 64 random bits.
 */
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/**
 * bench_pattern() - The 32-bit value workloads store at 4-aligned offset
 * @offset of their RAM, so a load's result can be checked without the
 * library.
 * @offset: the offset.
 * Return: the value.
 */
static inline uint32_t bench_pattern(uint64_t offset)
{
    return (uint32_t)((offset * 0x9e3779b1u) >> 3) ^ 0xa5a5a5a5u;
}

/** The seed of every workload's address generator. */
#define BENCH_SEED 0x6164647273706365ull

/**
 * struct BenchField - one key=value figure of a record.
 * @key: the key ("ns_per_op").
 * @value: the figure.
 */
typedef struct BenchField {
    const char *key;
    double value;
} BenchField;

/**
 * bench_report() - Print one record: @name, then key=value per field (or
 * one JSON object with --json).
 * @ctx: the context.
 * @name: the record's name, the workload's or a variant of it
 *        ("W6_commit_1024").
 * @fields: the figures.
 * @n_fields: how many.
 */
void bench_report(BenchContext *ctx, const char *name, const BenchField *fields,
                  size_t n_fields);

/**
 * BENCH_REPORT() - bench_report() with the fields written inline:
 * BENCH_REPORT(ctx, "W0_x", {"ns_per_op", a}, {"ratio", b}).
 */
#define BENCH_REPORT(ctx, name, ...)                               \
    bench_report((ctx), (name), (const BenchField[]){__VA_ARGS__}, \
                 sizeof((const BenchField[]){__VA_ARGS__}) /       \
                     sizeof(BenchField))

/**
 * bench_report_result() - Print a bench_measure*() result: ns_per_op, then
 * base_ns_per_op and ratio when there was a baseline, then
 * peer_unicorn_ns_per_op and speedup_vs_peer (peer time / ours) when there
 * was a peer, then @extra.
 * @ctx: the context.
 * @name: the record's name.
 * @res: the result.
 * @extra: further fields (may be NULL).
 * @n_extra: how many, at most 4.
 */
void bench_report_result(BenchContext *ctx, const char *name, BenchResult res,
                         const BenchField *extra, size_t n_extra);

/**
 * bench_check() - A workload's self-check.
 * @ctx: the context.
 * @ok: the condition that must hold.
 * @fmt: printf format of what went wrong.
 *
 * When @ok is false, prints "CHECK FAILED: <workload>: <message>" and
 * marks the run failed: the program exits non-zero after the last workload.
 * Return: @ok.
 */
bool bench_check(BenchContext *ctx, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * bench_keep() - Make @value observable so the computation is kept.
 * @value: the result of the timed work.
 */
static inline void bench_keep(uint64_t value)
{
    __asm__ volatile("" : : "r"(value));
}

/* The registry's entries, one per workload (a file may define several). */
extern const BenchWorkload bench_w0_rcu_read_lock;
extern const BenchWorkload bench_w1h_ram_ld4;
extern const BenchWorkload bench_w1q_ram_ld4_held;
extern const BenchWorkload bench_w1_ram_ld4;
extern const BenchWorkload bench_w2_ram_st4;
extern const BenchWorkload bench_w3_ram_read4k;
extern const BenchWorkload bench_w4_mmio_ld4;
extern const BenchWorkload bench_w4b_mmio_ld4_bql;
extern const BenchWorkload bench_w4s_mmio_ld8_split;
extern const BenchWorkload bench_w5_many_ld4;
extern const BenchWorkload bench_w6_commit;
extern const BenchWorkload bench_w6b_batch;
extern const BenchWorkload bench_w7_cross;
extern const BenchWorkload bench_w8_many_as;
extern const BenchWorkload bench_w9_rcu_scale;
extern const BenchWorkload bench_w10_map4k;
extern const BenchWorkload bench_w11_gm_ld4;
extern const BenchWorkload bench_w12_huge_map;
extern const BenchWorkload bench_w13_tlb_ld4;
extern const BenchWorkload bench_w14_reset;
/* only where the machine is built (BENCH_HAVE_MACHINE) */
extern const BenchWorkload bench_w15_fuzz_exec;

#endif /* ADDRSPACE_BENCH_H */
