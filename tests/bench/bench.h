/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness's interface to its workloads (BENCHMARKS.md).
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
 */
typedef struct BenchContext {
    bool quick;
    uint64_t min_rep_ns;
    unsigned int repetitions;
    const char *workload;
    bool failed;
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
 */
typedef struct BenchResult {
    double ns_per_op;
    double base_ns_per_op;
    double ratio;
    uint64_t iters;
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

/* The registry's entries, one per workload file. */
extern const BenchWorkload bench_w0_rcu_read_lock;

#endif /* ADDRSPACE_BENCH_H */
