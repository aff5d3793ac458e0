/* SPDX-License-Identifier: MIT */
/*
 * The topology-change workloads (docs/benchmarks.md):
 *   W6_commit_N   add N RAM regions of 64 KiB (with 64 KiB gaps) one per
 *                 commit; total time and the cost per add of the last 10%;
 *   W6b_batch_N   the same N adds inside one transaction;
 *   W8_many_as_K  K AddressSpaces on the same root: one commit adding a
 *                 region, against K = 1.
 * No baseline (there is no host-memory equivalent of a commit); W6's ratio
 * is the growth of the last adds' cost against N = 1024, W6b's the batch
 * time over W6's, W8's the commit time over K = 1's.
 * Peer: Unicorn's uc_mem_map_ptr (every call commits) for W6 at N = 256
 * only: at 1024 its quadratic commits take 2-8 s, past the run's time limit
 * (docs/benchmarks.md has its figures at 1000 and 2000), and QEMU's dispatch map
 * aborts at 4096 sections, so N = 4096 and 16384 cannot be run. None for W6b (Unicorn has no transactions) nor W8 (one
 * Unicorn engine has one address space; engines share nothing).
 */
#include <string.h>

#include "bench-ram.h"

#define COMMIT_BASE  0x100000000ull
#define COMMIT_RSIZE (64ull << 10)

typedef struct BenchCommit {
    MemoryRegion root;
    MemoryRegion *regions;
    AddressSpace as;
    size_t n;
    uint8_t *buf; /* COMMIT_RSIZE bytes shared by every region */
} BenchCommit;

static uint64_t commit_addr(size_t i)
{
    return COMMIT_BASE + (uint64_t)i * 2 * COMMIT_RSIZE;
}

static BenchCommit *commit_new(BenchContext *ctx, size_t n)
{
    BenchCommit *c = g_new0(BenchCommit, 1);
    GError *err = NULL;
    uint32_t *words;

    c->n = n;
    c->buf = g_malloc(COMMIT_RSIZE);
    words = (uint32_t *)(void *)c->buf;
    for (size_t w = 0; w < COMMIT_RSIZE / 4; w++) {
        words[w] = bench_pattern(w * 4);
    }
    c->regions = g_new0(MemoryRegion, n);
    if (!memory_region_init(&c->root, NULL, "bench-root", UINT64_MAX, &err)) {
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (!memory_region_init_ram_ptr(&c->regions[i], NULL, "r", COMMIT_RSIZE,
                                        c->buf, &err)) {
            goto fail;
        }
    }
    if (!address_space_init(&c->as, &c->root, "bench-as", &err)) {
        goto fail;
    }
    return c;

fail:
    bench_check(ctx, false, "set-up: %s", err->message);
    g_error_free(err);
    return NULL;
}

static void commit_unmap_all(BenchCommit *c)
{
    memory_region_transaction_begin();
    for (size_t i = 0; i < c->n; i++) {
        if (memory_region_get_container(&c->regions[i])) {
            memory_region_del_subregion(&c->root, &c->regions[i], NULL);
        }
    }
    memory_region_transaction_commit();
}

static void commit_free(BenchCommit *c)
{
    if (!c) {
        return;
    }
    address_space_destroy(&c->as);
    commit_unmap_all(c);
    drain_call_rcu();
    for (size_t i = 0; i < c->n; i++) {
        memory_region_finalize(&c->regions[i]);
    }
    memory_region_finalize(&c->root);
    g_free(c->regions);
    g_free(c->buf);
    g_free(c);
}

/*
 * How a build is timed. With one commit per add, a commit that re-renders
 * the whole view (this library before incremental commits, the peers) makes
 * a full build at N = 16384 take minutes: past @full_budget_ns the rest of
 * the first 90% is added in one transaction (untimed), and of the last 10%
 * only the adds that fit in @tail_budget_ns are timed one per commit (the
 * rest go in a transaction).
 * Every timed add of the last 10% still commits on a view of at least
 * 0.9 N regions, so its cost is the figure asked for.
 */
typedef struct BuildLimits {
    uint64_t full_budget_ns;
    uint64_t tail_budget_ns;
} BuildLimits;

typedef struct BuildTimes {
    uint64_t total_ns; /* the whole build, meaningful when @complete */
    uint64_t tail_ns;  /* the timed adds of the last 10% */
    size_t tail_adds;  /* how many were timed */
    bool complete;     /* every add was timed, one commit each */
} BuildTimes;

static void add_range(BenchCommit *c, size_t from, size_t to)
{
    memory_region_transaction_begin();
    for (size_t i = from; i < to; i++) {
        memory_region_add_subregion(&c->root, commit_addr(i), &c->regions[i],
                                    NULL);
    }
    memory_region_transaction_commit();
}

/* Add every region, one commit each, within @lim. */
static BuildTimes commit_build(BenchCommit *c, const BuildLimits *lim)
{
    size_t tail = c->n - c->n / 10, i;
    uint64_t start = bench_now_ns(), tail_start;
    BuildTimes bt = {.complete = true};

    for (i = 0; i < tail; i++) {
        if (bench_now_ns() - start > lim->full_budget_ns) {
            add_range(c, i, tail);
            bt.complete = false;
            break;
        }
        memory_region_add_subregion(&c->root, commit_addr(i), &c->regions[i],
                                    NULL);
    }
    tail_start = bench_now_ns();
    for (i = tail; i < c->n; i++) {
        if (bench_now_ns() - tail_start > lim->tail_budget_ns) {
            add_range(c, i, c->n);
            bt.complete = false;
            break;
        }
        memory_region_add_subregion(&c->root, commit_addr(i), &c->regions[i],
                                    NULL);
        bt.tail_adds++;
        bt.tail_ns = bench_now_ns() - tail_start;
    }
    bt.total_ns = bench_now_ns() - start;
    return bt;
}

/* The same adds inside one transaction. */
static uint64_t batch_build(BenchCommit *c)
{
    uint64_t start = bench_now_ns();

    add_range(c, 0, c->n);
    return bench_now_ns() - start;
}

/* After a build, the view must map every region where it was added. */
static bool commit_check(BenchContext *ctx, BenchCommit *c)
{
    uint64_t state = BENCH_SEED + 8;
    size_t sections;

    rcu_read_lock();
    sections = flatview_nr_sections(address_space_to_flatview(&c->as));
    rcu_read_unlock();
    if (!bench_check(ctx, sections == c->n, "%zu sections for %zu regions",
                     sections, c->n)) {
        return false;
    }
    for (unsigned int k = 0; k < 64; k++) {
        size_t i = k == 0 ? c->n - 1 : bench_rand(&state) % c->n;
        uint64_t off = bench_rand(&state) % COMMIT_RSIZE & ~3ull;
        MemTxResult res = MEMTX_OK;
        uint32_t v = address_space_ldl_le(&c->as, commit_addr(i) + off,
                                          MEMTXATTRS_UNSPECIFIED, &res);
        hwaddr xlat = 0, len = 4;
        MemoryRegion *mr =
            address_space_translate(&c->as, commit_addr(i) + off, &xlat, &len,
                                    false, MEMTXATTRS_UNSPECIFIED);

        if (!bench_check(ctx, res == MEMTX_OK && v == bench_pattern(off),
                         "region %zu: load gave %#x (result %#x)", i, v, res) ||
            !bench_check(ctx, mr == &c->regions[i] && xlat == off,
                         "region %zu: translate found the wrong region", i)) {
            return false;
        }
    }
    return true;
}

typedef struct CommitFigures {
    double total_ms;  /* 0 when not every add was timed */
    double last10_us; /* per add */
    size_t tail_adds; /* adds the last10 figure is the mean of (per build) */
    unsigned int reps;
} CommitFigures;

/*
 * W6: median over repetitions of whole builds; a repetition repeats the
 * build until it lasts ctx->min_rep_ns. Builds longer than the budget share
 * get fewer repetitions (reported as reps=).
 */
static bool commit_measure(BenchContext *ctx, BenchCommit *c,
                           const BuildLimits *lim, uint64_t budget_ns,
                           CommitFigures *fig)
{
    double total[16], last10[16];
    unsigned int reps = ctx->repetitions, builds;
    BuildTimes bt = commit_build(c, lim);
    bool complete = bt.complete;

    if (!commit_check(ctx, c)) {
        return false;
    }
    commit_unmap_all(c);
    builds = (unsigned int)MAX(1, ctx->min_rep_ns / MAX(bt.total_ns, 1));
    if (bt.total_ns * reps > budget_ns) {
        reps = (unsigned int)MAX(1, budget_ns / bt.total_ns);
    }
    reps = MIN(reps, G_N_ELEMENTS(total));
    fig->tail_adds = bt.tail_adds;
    for (unsigned int r = 0; r < reps; r++) {
        uint64_t t = 0, t10 = 0, adds10 = 0;

        for (unsigned int b = 0; b < builds; b++) {
            bt = commit_build(c, lim);
            complete = complete && bt.complete;
            t += bt.total_ns;
            t10 += bt.tail_ns;
            adds10 += bt.tail_adds;
            commit_unmap_all(c);
        }
        total[r] = (double)t / builds / 1e6;
        last10[r] = (double)t10 / 1e3 / (double)MAX(adds10, 1);
        fig->tail_adds = MIN(fig->tail_adds, adds10 / builds);
    }
    fig->total_ms = complete ? bench_median(total, reps) : 0;
    fig->last10_us = bench_median(last10, reps);
    fig->reps = reps;
    return true;
}

/* W6b: median over repetitions (of at least min_rep_ns) of batch builds. */
static bool batch_measure(BenchContext *ctx, BenchCommit *c, double *ms)
{
    double total[16];
    unsigned int reps = MIN(ctx->repetitions, G_N_ELEMENTS(total)), builds;
    uint64_t first = batch_build(c);

    if (!commit_check(ctx, c)) {
        return false;
    }
    commit_unmap_all(c);
    builds = (unsigned int)MAX(1, ctx->min_rep_ns / MAX(first, 1));
    for (unsigned int r = 0; r < reps; r++) {
        uint64_t t = 0;

        for (unsigned int b = 0; b < builds; b++) {
            t += batch_build(c);
            commit_unmap_all(c);
        }
        total[r] = (double)t / builds / 1e6;
    }
    *ms = bench_median(total, reps);
    return true;
}

#ifdef HAVE_UNICORN
/* One build through Unicorn: uc_mem_map_ptr commits every add. */
static bool commit_peer(BenchContext *ctx, BenchCommit *c, CommitFigures *fig)
{
    uc_engine *uc = bench_uc_open(ctx);
    size_t tail = c->n - c->n / 10;
    uint64_t start, tail_start = 0, end;
    uint32_t v = 0;

    if (!uc) {
        return false;
    }
    start = bench_now_ns();
    for (size_t i = 0; i < c->n; i++) {
        if (i == tail) {
            tail_start = bench_now_ns();
        }
        if (uc_mem_map_ptr(uc, commit_addr(i), COMMIT_RSIZE, UC_PROT_ALL,
                           c->buf) != UC_ERR_OK) {
            bench_note("%s: Unicorn peer: uc_mem_map_ptr failed",
                       ctx->workload);
            uc_close(uc);
            return false;
        }
    }
    end = bench_now_ns();
    uc_mem_read(uc, commit_addr(c->n - 1) + 8, &v, 4);
    uc_close(uc);
    if (!bench_check(ctx, v == bench_pattern(8), "Unicorn peer read %#x", v)) {
        return false;
    }
    fig->total_ms = (double)(end - start) / 1e6;
    fig->last10_us =
        (double)(end - tail_start) / 1e3 / (double)MAX(c->n / 10, 1);
    return true;
}
#endif

static const size_t commit_sizes[] = {256, 1024, 4096, 16384};

/* W6's complete totals, for W6b's ratio (0: not measured). */
static double w6_total_ms[G_N_ELEMENTS(commit_sizes)];

static void w6_limits(const BenchContext *ctx, BuildLimits *lim,
                      uint64_t *budget_ns)
{
    lim->full_budget_ns = ctx->quick ? 100000000ull : 1200000000ull;
    lim->tail_budget_ns = ctx->quick ? 50000000ull : 600000000ull;
    *budget_ns = ctx->quick ? 150000000ull : 2000000000ull;
}

static void w6_run(BenchContext *ctx)
{
    CommitFigures fig[G_N_ELEMENTS(commit_sizes)] = {{0}};
    CommitFigures peer[G_N_ELEMENTS(commit_sizes)] = {{0}};
    double at1024 = 0;
    BuildLimits lim;
    uint64_t budget_ns;

    w6_limits(ctx, &lim, &budget_ns);
    if (ctx->quick) {
        bench_note("--quick: W6 times at most %.0f ms of adds per N "
                   "(+ %.0f ms of the last 10%%); the rest is added in a "
                   "transaction, so large N have no total_ms",
                   (double)lim.full_budget_ns / 1e6,
                   (double)lim.tail_budget_ns / 1e6);
    }
    for (size_t s = 0; s < G_N_ELEMENTS(commit_sizes); s++) {
        BenchCommit *c = commit_new(ctx, commit_sizes[s]);

        if (!c || !commit_measure(ctx, c, &lim, budget_ns, &fig[s])) {
            commit_free(c);
            return;
        }
#ifdef HAVE_UNICORN
        if (commit_sizes[s] == 256) {
            commit_peer(ctx, c, &peer[s]);
        }
#endif
        if (commit_sizes[s] == 1024) {
            at1024 = fig[s].last10_us;
        }
        w6_total_ms[s] = fig[s].total_ms;
        commit_free(c);
    }
    for (size_t s = 0; s < G_N_ELEMENTS(commit_sizes); s++) {
        BenchField f[9];
        size_t nf = 0;
        char name[32];

        /* No total when not every add was timed (see commit_build()). */
        if (fig[s].total_ms > 0) {
            f[nf++] = (BenchField){"total_ms", fig[s].total_ms};
        }
        f[nf++] = (BenchField){"last10_us_per_add", fig[s].last10_us};
        f[nf++] = (BenchField){"ratio", fig[s].last10_us / at1024};
        f[nf++] = (BenchField){"reps", fig[s].reps};
        f[nf++] = (BenchField){"last10_timed_adds", (double)fig[s].tail_adds};
        if (peer[s].total_ms > 0) {
            f[nf++] = (BenchField){"peer_unicorn_total_ms", peer[s].total_ms};
            f[nf++] = (BenchField){"peer_unicorn_last10_us_per_add",
                                   peer[s].last10_us};
            f[nf++] = (BenchField){"speedup_vs_peer",
                                   peer[s].last10_us / fig[s].last10_us};
        }
        g_snprintf(name, sizeof(name), "W6_commit_%zu", commit_sizes[s]);
        bench_report(ctx, name, f, nf);
    }
}

static void w6b_run(BenchContext *ctx)
{
    BuildLimits lim;
    uint64_t budget_ns;

    w6_limits(ctx, &lim, &budget_ns);
    for (size_t s = 0; s < G_N_ELEMENTS(commit_sizes); s++) {
        BenchCommit *c = commit_new(ctx, commit_sizes[s]);
        double batch_ms, one_ms = w6_total_ms[s];
        char name[32];

        if (!c || !batch_measure(ctx, c, &batch_ms)) {
            commit_free(c);
            return;
        }
        if (one_ms == 0 && commit_sizes[s] <= 4096) {
            /* W6 did not run (--filter W6b): time its build here. */
            CommitFigures one;

            if (!commit_measure(ctx, c, &lim, budget_ns / 4, &one)) {
                commit_free(c);
                return;
            }
            one_ms = one.total_ms;
        }
        g_snprintf(name, sizeof(name), "W6b_batch_%zu", commit_sizes[s]);
        if (one_ms > 0) {
            BENCH_REPORT(
                ctx, name, {"total_ms", batch_ms}, {"commit_each_ms", one_ms},
                {"ratio", batch_ms / one_ms}, {"speedup", one_ms / batch_ms});
        } else {
            /* W6's build at this N was too long to time completely. */
            BENCH_REPORT(ctx, name, {"total_ms", batch_ms});
        }
        commit_free(c);
    }
}

/* ---- W8: many AddressSpaces on one root ---- */

static const unsigned int w8_counts[] = {1, 100, 1000, 10000};

typedef struct BenchManyAs {
    MemoryRegion root;
    MemoryRegion base_ram; /* so the view is not empty */
    MemoryRegion extra;    /* the region the timed commit adds */
    AddressSpace *ases;
    unsigned int k;
    uint8_t *buf;
} BenchManyAs;

static bool many_as_check(BenchContext *ctx, BenchManyAs *m, bool mapped)
{
    AddressSpace *as = &m->ases[m->k - 1];
    MemTxResult res = MEMTX_OK;
    uint32_t v = address_space_ldl_le(as, COMMIT_BASE + 64,
                                      MEMTXATTRS_UNSPECIFIED, &res);

    if (mapped) {
        return bench_check(ctx, res == MEMTX_OK && v == bench_pattern(64),
                           "K=%u: the added region reads %#x (result %#x)",
                           m->k, v, res);
    }
    return bench_check(ctx, res == MEMTX_DECODE_ERROR,
                       "K=%u: the removed region still decodes (%#x)", m->k,
                       res);
}

/* Median over repetitions of the mean time of one adding commit, in µs. */
static double many_as_measure(BenchContext *ctx, BenchManyAs *m)
{
    double per_add[16];
    unsigned int reps = MIN(ctx->repetitions, G_N_ELEMENTS(per_add));

    for (unsigned int r = 0; r < reps; r++) {
        uint64_t spent = 0, adds = 0, rep_start = bench_now_ns();

        /* At least 16 adds, and min_rep_ns of wall time (adds + dels). */
        while (adds < 16 || bench_now_ns() - rep_start < ctx->min_rep_ns) {
            uint64_t t = bench_now_ns();

            memory_region_add_subregion(&m->root, COMMIT_BASE, &m->extra, NULL);
            spent += bench_now_ns() - t;
            adds++;
            memory_region_del_subregion(&m->root, &m->extra, NULL);
        }
        per_add[r] = (double)spent / (double)adds / 1e3;
    }
    return bench_median(per_add, reps);
}

static void w8_run(BenchContext *ctx)
{
    double at1 = 0;

    for (size_t s = 0; s < G_N_ELEMENTS(w8_counts); s++) {
        BenchManyAs *m = g_new0(BenchManyAs, 1);
        GError *err = NULL;
        bool ok;
        double us;
        char name[32];
        uint32_t *words;

        m->k = w8_counts[s];
        m->buf = g_malloc(COMMIT_RSIZE);
        words = (uint32_t *)(void *)m->buf;
        for (size_t w = 0; w < COMMIT_RSIZE / 4; w++) {
            words[w] = bench_pattern(w * 4);
        }
        m->ases = g_new0(AddressSpace, m->k);
        ok =
            memory_region_init(&m->root, NULL, "bench-root", UINT64_MAX,
                               &err) &&
            memory_region_init_ram(&m->base_ram, NULL, "base", 1 << 20, &err) &&
            memory_region_init_ram_ptr(&m->extra, NULL, "extra", COMMIT_RSIZE,
                                       m->buf, &err) &&
            memory_region_add_subregion(&m->root, 0, &m->base_ram, &err);
        for (unsigned int i = 0; ok && i < m->k; i++) {
            ok = address_space_init(&m->ases[i], &m->root, "as", &err);
        }
        if (!bench_check(ctx, ok, "set-up: %s", ok ? "" : err->message)) {
            g_clear_error(&err);
            return;
        }
        ok = many_as_check(ctx, m, false);
        memory_region_add_subregion(&m->root, COMMIT_BASE, &m->extra, NULL);
        ok = ok && many_as_check(ctx, m, true);
        memory_region_del_subregion(&m->root, &m->extra, NULL);
        ok = ok && many_as_check(ctx, m, false);
        if (ok) {
            us = many_as_measure(ctx, m);
            if (m->k == 1) {
                at1 = us;
            }
            g_snprintf(name, sizeof(name), "W8_many_as_%u", m->k);
            BENCH_REPORT(ctx, name, {"commit_us", us}, {"base_commit_us", at1},
                         {"ratio", us / at1});
        }
        for (unsigned int i = 0; i < m->k; i++) {
            address_space_destroy(&m->ases[i]);
        }
        memory_region_del_subregion(&m->root, &m->base_ram, NULL);
        drain_call_rcu();
        memory_region_finalize(&m->extra);
        memory_region_finalize(&m->base_ram);
        memory_region_finalize(&m->root);
        g_free(m->ases);
        g_free(m->buf);
        g_free(m);
        if (!ok) {
            return;
        }
    }
}

const BenchWorkload bench_w6_commit = {"W6_commit", w6_run};
const BenchWorkload bench_w6b_batch = {"W6b_batch", w6b_run};
const BenchWorkload bench_w8_many_as = {"W8_many_as", w8_run};
