/* SPDX-License-Identifier: MIT */
/*
 * W0_rcu_read_lock: the cost of one rcu_read_lock() + rcu_read_unlock()
 * pair, the floor under every access through an AddressSpace. Baseline:
 * the same loop with nothing in it but a compiler barrier, so that the
 * loop itself is not optimised away and its overhead cancels out.
 */
#include <addrspace/rcu.h>

#include "bench.h"

static void w0_lock_unlock(void *arg, uint64_t iters)
{
    (void)arg;
    for (uint64_t i = 0; i < iters; i++) {
        rcu_read_lock();
        rcu_read_unlock();
    }
}

static void w0_empty(void *arg, uint64_t iters)
{
    (void)arg;
    for (uint64_t i = 0; i < iters; i++) {
        /* Keeps the loop: to the compiler, the asm may do anything. */
        __asm__ volatile("" : : : "memory");
    }
}

static void w0_run(BenchContext *ctx)
{
    BenchResult res;
    bool inside;

    /* Self-check: the measured calls really enter and leave a section. */
    if (!bench_check(ctx, rcu_thread_is_registered(),
                     "the main thread is not an RCU reader") ||
        !bench_check(ctx, !urcu_memb_read_ongoing(),
                     "already inside a read-side section")) {
        return;
    }
    rcu_read_lock();
    inside = urcu_memb_read_ongoing();
    rcu_read_unlock();
    w0_lock_unlock(NULL, 1000);
    if (!bench_check(ctx, inside, "rcu_read_lock() entered no section") ||
        !bench_check(ctx, !urcu_memb_read_ongoing(),
                     "lock/unlock pairs left a section open")) {
        return;
    }

    res = bench_measure(ctx, w0_lock_unlock, w0_empty, NULL);
    if (!bench_check(ctx, res.ns_per_op > 0 && res.base_ns_per_op > 0,
                     "a loop of %" PRIu64 " iterations took no time",
                     res.iters)) {
        return;
    }
    BENCH_REPORT(ctx, "W0_rcu_read_lock", {"ns_per_op", res.ns_per_op},
                 {"base_ns_per_op", res.base_ns_per_op}, {"ratio", res.ratio});
}

const BenchWorkload bench_w0_rcu_read_lock = {"W0_rcu_read_lock", w0_run};
