/* SPDX-License-Identifier: MIT */
/*
 * W15_fuzz_exec: executions per second of the access fuzzer's body
 * (tests/fuzz/fuzz-access-body.c) on the fuzzers' machine, each followed
 * by the reset the fuzzers use (fuzz_machine_reset()), outside libFuzzer:
 * FUZZ_INPUTS fixed-seed random inputs of 64 to 512 bytes (the seed
 * corpus's entries average about 260), run in turn. Also reported: the
 * reset's share (reset_us, per execution). No baseline.
 *
 * Check: an input's transcript (every value read, result, interrupt line
 * change and the clock) is the same before and after all the timed runs.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "bench.h"
#include "fuzz-machine.h"

#define FUZZ_INPUTS 64

typedef struct W15 {
    FuzzMachine *fm;
    uint8_t *data[FUZZ_INPUTS];
    size_t size[FUZZ_INPUTS];
    uint64_t reset_ns; /* of the last timed loop */
} W15;

static GString *transcript_of(W15 *w, unsigned i)
{
    GString *t = g_string_new("");

    fuzz_access_body(fuzz_machine_get(w->fm), w->data[i], w->size[i], t);
    fuzz_machine_reset(w->fm);
    return t;
}

static void exec_loop(void *arg, uint64_t iters)
{
    W15 *w = arg;

    w->reset_ns = 0;
    for (uint64_t i = 0; i < iters; i++) {
        unsigned k = (unsigned)(i % FUZZ_INPUTS);
        uint64_t t0;

        fuzz_access_body(fuzz_machine_get(w->fm), w->data[k], w->size[k], NULL);
        t0 = bench_now_ns();
        fuzz_machine_reset(w->fm);
        w->reset_ns += bench_now_ns() - t0;
    }
}

static void w15_run(BenchContext *ctx)
{
    uint64_t state = BENCH_SEED + 15;
    W15 w = {0};
    GString *before, *after;
    double rate[16], reset_us[16];
    unsigned reps = ctx->repetitions < 16 ? ctx->repetitions : 16;

    for (unsigned i = 0; i < FUZZ_INPUTS; i++) {
        w.size[i] = 64 + bench_rand(&state) % 449;
        w.data[i] = malloc(w.size[i]);
        if (!bench_check(ctx, w.data[i] != NULL, "out of memory")) {
            goto out;
        }
        for (size_t k = 0; k < w.size[i]; k++) {
            w.data[i][k] = (uint8_t)bench_rand(&state);
        }
    }
    w.fm = fuzz_machine_new();
    before = transcript_of(&w, 0);
    for (unsigned r = 0; r < reps; r++) {
        uint64_t iters = FUZZ_INPUTS, t;

        /* at least ctx->min_rep_ns, whole passes over the inputs */
        for (;;) {
            t = bench_now_ns();
            exec_loop(&w, iters);
            t = bench_now_ns() - t;
            if (t >= ctx->min_rep_ns || iters >= (1u << 24)) {
                break;
            }
            iters *= 2;
        }
        rate[r] = (double)iters * 1e9 / (double)t;
        reset_us[r] = (double)w.reset_ns / 1e3 / (double)iters;
    }
    after = transcript_of(&w, 0);
    if (bench_check(ctx,
                    before->len > 0 && before->len == after->len &&
                        !memcmp(before->str, after->str, before->len),
                    "input 0 gave another transcript after the timed runs "
                    "(%zu and %zu bytes): the reset is incomplete",
                    before->len, after->len)) {
        double e = bench_median(rate, reps);

        BENCH_REPORT(ctx, "W15_fuzz_exec", {"exec_per_s", e},
                     {"us_per_exec", 1e6 / e},
                     {"reset_us", bench_median(reset_us, reps)});
    }
    g_string_free(before, true);
    g_string_free(after, true);
    fuzz_machine_free(w.fm);
out:
    for (unsigned i = 0; i < FUZZ_INPUTS; i++) {
        free(w.data[i]);
    }
}

const BenchWorkload bench_w15_fuzz_exec = {"W15_fuzz_exec", w15_run};
