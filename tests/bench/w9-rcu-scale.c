/* SPDX-License-Identifier: MIT */
/*
 * W9_rcu_scale_T: T reader threads doing W1h (address_space_ldl_le at
 * random addresses of a 16 KiB RAM window) while one writer thread commits
 * a topology change (a 4 KiB region outside the window enabled or
 * disabled) every 100 µs. Reported per T: total reads/s, per-thread reads/s,
 * scaling against T = 1 and ratio = scaling / T (the baseline is T times
 * the single reader), and the writer's commits/s (never starved).
 * T comes from --threads LIST, else 1, 2, 4, ... up to the core count.
 * No Unicorn peer: a Unicorn engine is not thread-safe, so several threads
 * reading while another maps memory cannot be expressed.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "bench-ram.h"

#define CHUNK            1024u
#define WRITER_PERIOD_NS 100000u

typedef struct W9Shared {
    BenchRam *f;
    MemoryRegion toggle;
    uint64_t chunk_sum[BENCH_N_ADDRS / CHUNK];
    int go;    /* atomic: readers start */
    int stop;  /* atomic: readers and writer stop */
    int ready; /* atomic: threads registered and waiting */
} W9Shared;

typedef struct W9Thread {
    W9Shared *sh;
    pthread_t tid;
    unsigned int index;
    uint64_t reads;
    uint64_t bad_chunks;
    uint64_t commits;
    uint64_t progress; /* atomic: chunks read or commits made so far */
} __attribute__((aligned(128))) W9Thread;

static void wait_go(W9Shared *sh)
{
    __atomic_fetch_add(&sh->ready, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE)) {
        sched_yield();
    }
}

static void *reader(void *arg)
{
    W9Thread *t = arg;
    W9Shared *sh = t->sh;
    AddressSpace *as = &sh->f->as;
    const uint64_t *addrs = sh->f->addrs;
    unsigned int c = t->index % (BENCH_N_ADDRS / CHUNK);
    uint64_t reads = 0, bad = 0;

    rcu_register_thread();
    wait_go(sh);
    while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
        const uint64_t *a = addrs + c * CHUNK;
        uint64_t sum = 0;

        for (unsigned int i = 0; i < CHUNK; i++) {
            sum += address_space_ldl_le(as, a[i], MEMTXATTRS_UNSPECIFIED, NULL);
        }
        bad += sum != sh->chunk_sum[c];
        reads += CHUNK;
        __atomic_store_n(&t->progress, reads, __ATOMIC_RELAXED);
        c = (c + 1) % (BENCH_N_ADDRS / CHUNK);
    }
    t->reads = reads;
    t->bad_chunks = bad;
    rcu_unregister_thread();
    return NULL;
}

static void *writer(void *arg)
{
    W9Thread *t = arg;
    W9Shared *sh = t->sh;
    struct timespec next;
    uint64_t commits = 0;
    bool on = true;

    rcu_register_thread();
    wait_go(sh);
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
        on = !on;
        memory_region_set_enabled(&sh->toggle, on); /* one commit */
        commits++;
        __atomic_store_n(&t->progress, commits, __ATOMIC_RELAXED);
        next.tv_nsec += WRITER_PERIOD_NS;
        if (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    memory_region_set_enabled(&sh->toggle, true);
    t->commits = commits;
    rcu_unregister_thread();
    return NULL;
}

typedef struct W9Figures {
    double reads_per_s;
    double commits_per_s;
    uint64_t bad_chunks;
} W9Figures;

/* One window of ctx->min_rep_ns with @n_readers readers and the writer. */
static W9Figures w9_window(BenchContext *ctx, W9Shared *sh,
                           unsigned int n_readers)
{
    /* Each thread's counters on its own cache lines (g_new0 would not). */
    W9Thread *threads =
        g_aligned_alloc0(n_readers + 1, sizeof(W9Thread), _Alignof(W9Thread));
    W9Figures fig = {0};
    uint64_t start, end, reads = 0;
    struct timespec d = {
        .tv_sec = (time_t)(ctx->min_rep_ns / 1000000000u),
        .tv_nsec = (long)(ctx->min_rep_ns % 1000000000u),
    };

    __atomic_store_n(&sh->go, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&sh->stop, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&sh->ready, 0, __ATOMIC_SEQ_CST);
    for (unsigned int i = 0; i <= n_readers; i++) {
        threads[i].sh = sh;
        threads[i].index = i;
        pthread_create(&threads[i].tid, NULL, i == n_readers ? writer : reader,
                       &threads[i]);
    }
    while (__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) <= (int)n_readers) {
        sched_yield();
    }
    start = bench_now_ns();
    __atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
    nanosleep(&d, NULL);
    /*
     * On a loaded machine a thread may not have run yet: the window lasts
     * until every thread made progress, so the checks below cannot fail
     * for the scheduler's sake.
     */
    for (unsigned int i = 0; i <= n_readers; i++) {
        while (!__atomic_load_n(&threads[i].progress, __ATOMIC_RELAXED)) {
            sched_yield();
        }
    }
    __atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
    end = bench_now_ns();
    for (unsigned int i = 0; i <= n_readers; i++) {
        pthread_join(threads[i].tid, NULL);
        reads += threads[i].reads;
        fig.bad_chunks += threads[i].bad_chunks;
    }
    fig.reads_per_s = (double)reads / ((double)(end - start) / 1e9);
    fig.commits_per_s =
        (double)threads[n_readers].commits / ((double)(end - start) / 1e9);
    g_aligned_free(threads);
    return fig;
}

/* Medians over ctx->repetitions windows; false after a CHECK FAILED. */
static bool w9_measure(BenchContext *ctx, W9Shared *sh, unsigned int n_readers,
                       W9Figures *out)
{
    double reads[16], commits[16];
    unsigned int reps = MIN(ctx->repetitions, G_N_ELEMENTS(reads));

    for (unsigned int r = 0; r < reps; r++) {
        W9Figures fig = w9_window(ctx, sh, n_readers);

        if (!bench_check(ctx, fig.bad_chunks == 0,
                         "T=%u: %" PRIu64 " chunks of loads had a wrong sum",
                         n_readers, fig.bad_chunks) ||
            !bench_check(ctx, fig.reads_per_s > 0 && fig.commits_per_s > 0,
                         "T=%u: no reads or no commits", n_readers)) {
            return false;
        }
        reads[r] = fig.reads_per_s;
        commits[r] = fig.commits_per_s;
    }
    out->reads_per_s = bench_median(reads, reps);
    out->commits_per_s = bench_median(commits, reps);
    return true;
}

static void w9_run(BenchContext *ctx)
{
    W9Shared *sh = g_new0(W9Shared, 1);
    GError *err = NULL;
    W9Figures one;

    sh->f = bench_ram_new(ctx, BENCH_RAM_SIZE, BENCH_WINDOW, false);
    if (!sh->f) {
        g_free(sh);
        return;
    }
    bench_ram_addrs(sh->f, BENCH_WINDOW, 4, BENCH_SEED + 9);
    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        sh->chunk_sum[i / CHUNK] +=
            bench_pattern(sh->f->addrs[i] - BENCH_RAM_BASE);
    }
    if (!memory_region_init_ram(&sh->toggle, NULL, "toggle", 4096, &err) ||
        !memory_region_add_subregion(&sh->f->root,
                                     BENCH_RAM_BASE + BENCH_RAM_SIZE + 4096,
                                     &sh->toggle, &err)) {
        bench_check(ctx, false, "set-up: %s", err->message);
        g_error_free(err);
        bench_ram_free(sh->f);
        g_free(sh);
        return;
    }
    if (g_get_num_processors() < 4) {
        bench_note("W9: %u cores: readers and the writer share them, so "
                   "scaling is bounded by the machine, not the library",
                   g_get_num_processors());
    }
    if (w9_measure(ctx, sh, 1, &one)) {
        for (size_t i = 0; i < ctx->n_threads; i++) {
            unsigned int n = ctx->threads[i];
            W9Figures fig = one;
            char name[32];
            double scaling;

            if (n != 1 && !w9_measure(ctx, sh, n, &fig)) {
                break;
            }
            scaling = fig.reads_per_s / one.reads_per_s;
            g_snprintf(name, sizeof(name), "W9_rcu_scale_%u", n);
            BENCH_REPORT(ctx, name, {"Mreads_per_s", fig.reads_per_s / 1e6},
                         {"per_thread_Mreads_per_s", fig.reads_per_s / 1e6 / n},
                         {"base_Mreads_per_s", one.reads_per_s / 1e6 * n},
                         {"scaling", scaling}, {"ratio", scaling / n},
                         {"writer_commits_per_s", fig.commits_per_s});
        }
    }
    memory_region_del_subregion(&sh->f->root, &sh->toggle, NULL);
    drain_call_rcu();
    memory_region_finalize(&sh->toggle);
    bench_ram_free(sh->f);
    g_free(sh);
}

const BenchWorkload bench_w9_rcu_scale = {"W9_rcu_scale", w9_run};
