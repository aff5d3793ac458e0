/* SPDX-License-Identifier: MIT */
/*
 * addrspace-bench: the benchmark program (docs/benchmarks.md). Runs the
 * registered workloads and prints one record per figure:
 *     W0_rcu_read_lock ns_per_op=0.9 base_ns_per_op=0.3 ratio=3.0
 * or, with --json, a JSON array of the same records. The first line states
 * the build type, compiler and CPU; a non-release build says so loudly.
 *
 * Options: --quick (smoke run, seconds), --filter NAME (workloads whose
 * name contains NAME, or any word of a comma-separated list), --json,
 * --threads LIST (W9's reader-thread counts, e.g. 1,2,4,8,16). Exit status: 0, 1 when a self-check failed
 * ("CHECK FAILED"), 2 on a usage error.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "bench-config.h"
#include "bench.h"
#include "peer-vmmem.h"

/* The registry: one entry per workload file. */
static const BenchWorkload *const bench_workloads[] = {
    &bench_w0_rcu_read_lock, &bench_w1h_ram_ld4,      &bench_w1q_ram_ld4_held,
    &bench_w1_ram_ld4,       &bench_w2_ram_st4,       &bench_w3_ram_read4k,
    &bench_w4_mmio_ld4,      &bench_w4b_mmio_ld4_bql, &bench_w4s_mmio_ld8_split,
    &bench_w5_many_ld4,      &bench_w6_commit,        &bench_w6b_batch,
    &bench_w7_cross,         &bench_w8_many_as,       &bench_w9_rcu_scale,
    &bench_w10_map4k,        &bench_w11_gm_ld4,       &bench_w12_huge_map,
    &bench_w13_tlb_ld4,      &bench_w14_reset,
#ifdef BENCH_HAVE_MACHINE
    &bench_w15_fuzz_exec,
#endif
};

static bool opt_json;
static unsigned int records_printed;

/* ADDRSPACE_BENCH_CLOCK=cpu: the thread's CPU time instead of the wall
 * clock, for single-threaded figures on a loaded machine (time spent
 * preempted is not counted); the vm-memory peer reads the same variable. */
static clockid_t bench_clock(void)
{
    static clockid_t id = (clockid_t)-1;

    if (id == (clockid_t)-1) {
        const char *env = g_getenv("ADDRSPACE_BENCH_CLOCK");

        id = env && strcmp(env, "cpu") == 0 ? CLOCK_THREAD_CPUTIME_ID
                                            : CLOCK_MONOTONIC;
    }
    return id;
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(bench_clock(), &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t time_loop(BenchLoopFn *loop, void *arg, uint64_t iters)
{
    uint64_t start = bench_now_ns();

    loop(arg, iters);
    return bench_now_ns() - start;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static uint64_t median(uint64_t *values, unsigned int n)
{
    qsort(values, n, sizeof(*values), cmp_u64);
    return values[n / 2];
}

/* An iteration count for which one run of @loop lasts at least min_ns. */
static uint64_t calibrate(BenchLoopFn *loop, void *arg, uint64_t min_ns)
{
    uint64_t iters = 16;

    for (;;) {
        uint64_t t = time_loop(loop, arg, iters);

        if (t >= min_ns) {
            return iters;
        }
        if (t < min_ns / 64) {
            iters *= 16;
        } else {
            /* Aim 10% above the minimum. */
            iters = (uint64_t)((double)iters * 1.1 * (double)min_ns /
                               (double)MAX(t, 1));
        }
    }
}

BenchResult bench_measure_peer(BenchContext *ctx, BenchLoopFn *op,
                               BenchLoopFn *baseline, BenchLoopFn *peer,
                               void *arg)
{
    uint64_t op_ns[16], base_ns[16], peer_ns[16];
    unsigned int reps = MIN(ctx->repetitions, G_N_ELEMENTS(op_ns));
    uint64_t iters, peer_iters = 0;
    BenchResult res = {0};

    iters = calibrate(op, arg, ctx->min_rep_ns);
    if (baseline) {
        baseline(arg, iters); /* warm-up */
    }
    if (peer) {
        /* Half as long: the peer only sits beside our figures. */
        peer_iters = calibrate(peer, arg, ctx->min_rep_ns / 2);
    }
    for (unsigned int r = 0; r < reps; r++) {
        op_ns[r] = time_loop(op, arg, iters);
        base_ns[r] = baseline ? time_loop(baseline, arg, iters) : 0;
        peer_ns[r] = peer ? time_loop(peer, arg, peer_iters) : 0;
    }
    res.iters = iters;
    res.ns_per_op = (double)median(op_ns, reps) / (double)iters;
    if (baseline) {
        res.base_ns_per_op = (double)median(base_ns, reps) / (double)iters;
        res.ratio =
            res.base_ns_per_op > 0 ? res.ns_per_op / res.base_ns_per_op : 0;
    }
    if (peer) {
        res.peer_ns_per_op = (double)median(peer_ns, reps) / (double)peer_iters;
    }
    return res;
}

BenchResult bench_measure(BenchContext *ctx, BenchLoopFn *op,
                          BenchLoopFn *baseline, void *arg)
{
    return bench_measure_peer(ctx, op, baseline, NULL, arg);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double bench_median(double *values, unsigned int n)
{
    qsort(values, n, sizeof(*values), cmp_double);
    return values[n / 2];
}

void bench_note(const char *fmt, ...)
{
    FILE *out = opt_json ? stderr : stdout;
    va_list ap;

    fprintf(out, "# ");
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fprintf(out, "\n");
    fflush(out);
}

void bench_report(BenchContext *ctx, const char *name, const BenchField *fields,
                  size_t n_fields)
{
    for (size_t i = 0; i < n_fields; i++) {
        /* JSON has no inf or nan, and neither is a measurement. */
        bench_check(ctx, isfinite(fields[i].value), "%s: %s is not finite",
                    name, fields[i].key);
    }
    if (opt_json) {
        printf("%s\n  {\"name\": \"%s\"", records_printed ? "," : "", name);
        for (size_t i = 0; i < n_fields; i++) {
            printf(", \"%s\": %.4g", fields[i].key,
                   isfinite(fields[i].value) ? fields[i].value : 0);
        }
        printf("}");
    } else {
        printf("%s", name);
        for (size_t i = 0; i < n_fields; i++) {
            printf(" %s=%.4g", fields[i].key, fields[i].value);
        }
        printf("\n");
    }
    records_printed++;
    fflush(stdout);
}

void bench_report_result(BenchContext *ctx, const char *name, BenchResult res,
                         const BenchField *extra, size_t n_extra)
{
    BenchField f[9];
    size_t n = 0;

    f[n++] = (BenchField){"ns_per_op", res.ns_per_op};
    if (res.base_ns_per_op > 0) {
        f[n++] = (BenchField){"base_ns_per_op", res.base_ns_per_op};
        f[n++] = (BenchField){"ratio", res.ratio};
    }
    if (res.peer_ns_per_op > 0) {
        f[n++] = (BenchField){"peer_unicorn_ns_per_op", res.peer_ns_per_op};
        f[n++] =
            (BenchField){"speedup_vs_peer", res.peer_ns_per_op / res.ns_per_op};
    }
    for (size_t i = 0; i < n_extra && n < G_N_ELEMENTS(f); i++) {
        f[n++] = extra[i];
    }
    bench_report(ctx, name, f, n);
}

bool bench_check(BenchContext *ctx, bool ok, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        return true;
    }
    fflush(stdout);
    fprintf(stderr, "CHECK FAILED: %s: ", ctx->workload);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    ctx->failed = true;
    return false;
}

/* The "model name" of /proc/cpuinfo's first processor, or "unknown". */
static char *cpu_model(void)
{
    char *text = NULL;
    char *model = NULL;

    if (g_file_get_contents("/proc/cpuinfo", &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);

        for (char **l = lines; *l && !model; l++) {
            char *colon = strchr(*l, ':');

            if (colon && g_str_has_prefix(*l, "model name")) {
                model = g_strstrip(g_strdup(colon + 1));
            }
        }
        g_strfreev(lines);
        g_free(text);
    }
    return model ? model : g_strdup("unknown");
}

static void print_header(void)
{
    /* With --json the header goes to stderr; stdout stays valid JSON. */
    FILE *out = opt_json ? stderr : stdout;
    bool release = BENCH_RELEASE_BUILD;
    char *cpu = cpu_model();

    fprintf(out,
            "# addrspace-bench build_type=%s optimization=%s sanitize=%s "
            "ndebug=%d compiler=\"%s\" cpu=\"%s\" cpus=%u\n",
            BENCH_BUILD_TYPE, BENCH_OPTIMIZATION, BENCH_SANITIZE,
#ifdef NDEBUG
            1,
#else
            0,
#endif
            BENCH_COMPILER, cpu, g_get_num_processors());
    if (!release) {
        fprintf(out,
                "# !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
                "!!!!!!!!!!!!\n"
                "# !!! WARNING: NOT A RELEASE BUILD (build_type=%s, "
                "sanitize=%s).\n"
                "# !!! These figures do not represent addrspace. Measure "
                "with:\n"
                "# !!!   meson setup build-release --buildtype=release\n"
                "# !!!   meson compile -C build-release && "
                "build-release/tests/bench/addrspace-bench\n"
                "# !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
                "!!!!!!!!!!!!\n",
                BENCH_BUILD_TYPE, BENCH_SANITIZE);
    }
    fflush(out);
    g_free(cpu);
}

/*
 * W9's thread counts: --threads LIST ("1,2,4"), or 1, 2, 4, ... below the
 * core count and the core count itself (1, 2, 4, 8, 16 on 16 cores).
 * Return: false on a malformed list.
 */
static bool parse_threads(const char *list, unsigned int *out, size_t max,
                          size_t *n)
{
    *n = 0;
    if (!list) {
        unsigned int cores = g_get_num_processors();

        for (unsigned int t = 1; t < cores && *n < max - 1; t *= 2) {
            out[(*n)++] = t;
        }
        out[(*n)++] = cores;
        return true;
    }
    for (const char *p = list; *p && *n < max;) {
        char *end;
        guint64 t = g_ascii_strtoull(p, &end, 10);

        if (end == p || t == 0 || t > 1024 || (*end && *end != ',')) {
            return false;
        }
        out[(*n)++] = (unsigned int)t;
        p = *end ? end + 1 : end;
    }
    return *n > 0;
}

/* Whether @name contains one of the comma-separated words of @filter. */
static bool filter_matches(const char *filter, const char *name)
{
    g_auto(GStrv) words = g_strsplit(filter, ",", -1);

    for (size_t i = 0; words[i]; i++) {
        if (words[i][0] && strstr(name, words[i])) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    gboolean quick = FALSE, json = FALSE;
    /* filled by the option parser; freed on every return */
    g_autofree char *filter = NULL;
    g_autofree char *threads = NULL;
    unsigned int thread_list[64];
    GOptionEntry entries[] = {
        {"quick", 0, 0, G_OPTION_ARG_NONE, &quick,
         "Smoke run: short repetitions, self-checks (CI)", NULL},
        {"filter", 0, 0, G_OPTION_ARG_STRING, &filter,
         "Only workloads whose name contains NAME (or any word of a "
         "comma-separated list)",
         "NAME"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json,
         "Print a JSON array of the records", NULL},
        {"threads", 0, 0, G_OPTION_ARG_STRING, &threads,
         "W9's reader-thread counts (default 1,2,4,... up to the cores)",
         "LIST"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) octx =
        g_option_context_new("- addrspace benchmarks");
    g_autoptr(GError) err = NULL;
    BenchContext ctx = {.repetitions = 5};
    unsigned int ran = 0;

    g_option_context_add_main_entries(octx, entries, NULL);
    if (!g_option_context_parse(octx, &argc, &argv, &err) || argc > 1) {
        if (err) {
            fprintf(stderr, "addrspace-bench: %s\n", err->message);
        } else {
            fprintf(stderr, "addrspace-bench: unexpected argument '%s'\n",
                    argv[1]);
        }
        return 2;
    }
    if (!parse_threads(threads, thread_list, G_N_ELEMENTS(thread_list),
                       &ctx.n_threads)) {
        fprintf(stderr, "addrspace-bench: bad --threads list '%s'\n", threads);
        return 2;
    }
    ctx.threads = thread_list;
    opt_json = json;
    ctx.quick = quick;
    ctx.min_rep_ns = quick ? 20000000u : 200000000u;

    print_header();
    peer_vmmem_note();
    if (opt_json) {
        printf("[");
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bench_workloads); i++) {
        const BenchWorkload *w = bench_workloads[i];

        if (filter && !filter_matches(filter, w->name)) {
            continue;
        }
        ctx.workload = w->name;
        w->fn(&ctx);
        ran++;
    }
    if (opt_json) {
        printf("\n]\n");
    }
    if (ran == 0) {
        fprintf(stderr, "addrspace-bench: no workload matches '%s'\n",
                filter ? filter : "");
        return 2;
    }
    if (ctx.failed) {
        fprintf(stderr, "addrspace-bench: CHECK FAILED (see above)\n");
        return 1;
    }
    return 0;
}
