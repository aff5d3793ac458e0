/* SPDX-License-Identifier: MIT */
/* Shared pieces of the RCU stress tests; see stress-common.h. */
#include "stress-common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include <addrspace/addrspace.h>

void stress_parse_options(int argc, char **argv, StressOptions *opts,
                          unsigned int max_writers, double long_seconds)
{
    gint readers = (gint)opts->readers;
    gint writers = (gint)opts->writers;
    gint64 iterations = -1;
    gdouble seconds = -1;
    gboolean long_run = FALSE;
    const char *env_long = g_getenv("STRESS_LONG");
    GOptionEntry entries[] = {
        {"readers", 0, 0, G_OPTION_ARG_INT, &readers, "Reader threads", "N"},
        {"writers", 0, max_writers > 1 ? 0 : G_OPTION_FLAG_HIDDEN,
         G_OPTION_ARG_INT, &writers, "Updater threads", "N"},
        {"iterations", 0, 0, G_OPTION_ARG_INT64, &iterations,
         "Stop after N updates (0: no limit)", "N"},
        {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds,
         "Stop after S seconds (0: no limit)", "S"},
        {"long", 0, 0, G_OPTION_ARG_NONE, &long_run,
         "Long run (also STRESS_LONG=1, set by meson test --setup long)", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *ctx = g_option_context_new("- RCU stress test");
    GError *err = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1) {
        fprintf(stderr, "%s: %s\n", g_get_prgname(),
                err ? err->message : "unexpected argument");
        exit(STRESS_EXIT_USAGE);
    }
    g_option_context_free(ctx);
    if (readers < 1 || readers > 1024 || writers < 1 ||
        writers > (gint)max_writers || iterations < -1 || seconds < -1) {
        fprintf(stderr, "%s: option out of range\n", g_get_prgname());
        exit(STRESS_EXIT_USAGE);
    }
    opts->long_run = long_run || (env_long && strcmp(env_long, "1") == 0);
    opts->readers = (unsigned int)readers;
    opts->writers = (unsigned int)writers;
    if (iterations >= 0) {
        opts->iterations = (uint64_t)iterations;
    }
    if (seconds >= 0) {
        opts->seconds = seconds;
    }
    if (opts->long_run) {
        /*
         * Bounded by time only, and at least @long_seconds: the meson
         * setup 'long' lengthens the short runs' own --seconds this way.
         */
        opts->iterations = 0;
        opts->seconds = MAX(opts->seconds, long_seconds);
    }
    if (opts->iterations == 0 && opts->seconds == 0) {
        fprintf(stderr, "%s: a run needs --iterations or --seconds\n",
                g_get_prgname());
        exit(STRESS_EXIT_USAGE);
    }
}

uint64_t stress_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool stress_should_stop(const StressOptions *opts, uint64_t done,
                        uint64_t start_ns)
{
    if (opts->iterations && done >= opts->iterations) {
        return true;
    }
    return opts->seconds > 0 &&
           (double)(stress_now_ns() - start_ns) >= opts->seconds * 1e9;
}

void stress_writer_pause(void)
{
    g_usleep(50);
}

bool stress_oversubscribed(unsigned int threads)
{
    return threads > g_get_num_processors();
}

void stress_reader_loop(StressReadFn *read_once, void *arg, bool bursts,
                        int *stop)
{
    uint64_t burst_start = stress_now_ns();
    unsigned int steps = 0;

    rcu_register_thread();
    while (!g_atomic_int_get(stop)) {
        read_once(arg);
        /* The clock is read every 16 reads only. */
        if (bursts && (++steps & 15) == 0 &&
            stress_now_ns() - burst_start >= 20000) {
            g_usleep(100);
            burst_start = stress_now_ns();
        }
    }
    rcu_unregister_thread();
}

void stress_run_threads(const StressOptions *opts, StressThreadFn *reader,
                        void *reader_arg, StressThreadFn *writer, void *writers,
                        size_t writer_size, int *stop)
{
    GThread **threads = g_new0(GThread *, opts->readers + opts->writers);

    for (unsigned int i = 0; i < opts->readers; i++) {
        threads[i] = g_thread_new("reader", reader, reader_arg);
    }
    for (unsigned int i = 0; i < opts->writers; i++) {
        threads[opts->readers + i] = g_thread_new(
            "writer", writer, (char *)writers + (size_t)i * writer_size);
    }
    for (unsigned int i = 0; i < opts->writers; i++) {
        g_thread_join(threads[opts->readers + i]);
    }
    g_atomic_int_set(stop, 1);
    for (unsigned int i = 0; i < opts->readers; i++) {
        g_thread_join(threads[i]);
    }
    g_free(threads);
}

/*
 * Under ASan the allocator poisons freed memory itself and reports any
 * access to it; a memset of ours would open a window (between the memset
 * and the free) in which our own check, not ASan, catches a late reader.
 */
#if defined(__SANITIZE_ADDRESS__)
#define STRESS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRESS_ASAN 1
#endif
#endif

void stress_poison_free(void *obj, size_t size)
{
#ifndef STRESS_ASAN
    memset(obj, STRESS_POISON_BYTE, size);
    /* Keeps the memset: to the compiler, the asm may read *obj. */
    __asm__ volatile("" : : "r"(obj) : "memory");
#else
    (void)size;
#endif
    g_free(obj);
}

uint64_t stress_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

void stress_report_violation(const char *who, const char *fmt, ...)
{
    static gint printed;
    va_list ap;

    if (g_atomic_int_add(&printed, 1) >= 10) {
        return;
    }
    va_start(ap, fmt);
    flockfile(stderr);
    fprintf(stderr, "%s: VIOLATION: ", who);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}

bool stress_owned_ram_init(MemoryOwner *owner, MemoryRegion *root,
                           uint64_t root_size, MemoryRegion *ram,
                           uint64_t ram_size, GError **errp)
{
    return memory_region_init(root, owner, "root", root_size, errp) &&
           memory_region_init_ram(ram, owner, "ram", ram_size, errp) &&
           memory_region_add_subregion(root, 0, ram, errp);
}
