/* SPDX-License-Identifier: MIT */
/*
 * Backpressure on the reclamation queue. Writers create devices (an owner
 * with a container, RAM and MMIO) in AddressSpaces of their own, add and
 * remove a region a few times, access them, destroy and drop them: every
 * step retires views, every device queues a release. Two such writers make
 * callbacks faster than the one reclamation thread runs them (measured
 * without a limit: 20000 more pending every second, without end). With the
 * limit (set low here, LIMIT), a writer ending a tree change waits while
 * too many are pending: a monitor samples the number pending and the run
 * fails (exit status 1) if it ever exceeds twice the limit. A reader keeps
 * reading a shared device (no wait happens inside its sections).
 *
 * Planted variant (-DPLANT_NO_LIMIT): no limit, as QEMU 7.2; the queue
 * grows past the bound and the run must fail with exit status 1. The
 * monitor stops a run as soon as the bound is broken, so the planted run
 * is given a long --seconds (a loaded machine makes callbacks slowly) and
 * ends early.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "../../rcu/rcu-internal.h"
#include "stress-common.h"

#ifndef LIMIT
#define LIMIT 1000 /* set low: the bound is reached quickly */
#endif
#define DEV_SIZE 0x100000
#define RAM_SIZE 0x1000

typedef struct Device {
    MemoryOwner owner;
    MemoryRegion root, ram, mmio, extra;
    AddressSpace as;
} Device;

typedef struct Writer {
    uint64_t iterations;
} Writer;

static StressOptions opts = {
    .readers = 1, .writers = 2, .iterations = 0, .seconds = 4};
static uint64_t start_ns;
static int stop_others;
static gint created, released;
static uint64_t max_pending; /* written by the monitor only */
static Device *shared;

static uint64_t mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    (void)opaque;
    (void)size;
    return addr;
}

static void mmio_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    (void)opaque;
    (void)addr;
    (void)value;
    (void)size;
}

static const MemoryRegionOps mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void device_release(MemoryOwner *owner)
{
    Device *dev = (Device *)(void *)owner;

    memory_region_finalize(&dev->extra);
    memory_region_finalize(&dev->mmio);
    memory_region_finalize(&dev->ram);
    memory_region_finalize(&dev->root);
    stress_poison_free(dev, sizeof(*dev));
    g_atomic_int_inc(&released);
}

static void check(bool ok, GError *err)
{
    if (!ok) {
        fprintf(stderr, "test-reclaim-backpressure: %s\n", err->message);
        exit(STRESS_EXIT_USAGE);
    }
}

static Device *device_new(void)
{
    Device *dev = g_new0(Device, 1);
    GError *err = NULL;

    memory_owner_init(&dev->owner, "dev", device_release);
    check(memory_region_init(&dev->root, &dev->owner, "root", DEV_SIZE, &err),
          err);
    check(memory_region_init_ram(&dev->ram, &dev->owner, "ram", RAM_SIZE, &err),
          err);
    check(memory_region_init_io(&dev->mmio, &dev->owner, &mmio_ops, dev, "mmio",
                                0x100, &err),
          err);
    check(memory_region_init_ram(&dev->extra, &dev->owner, "extra", RAM_SIZE,
                                 &err),
          err);
    check(memory_region_add_subregion(&dev->root, 0, &dev->ram, &err), err);
    check(memory_region_add_subregion(&dev->root, 0x2000, &dev->mmio, &err),
          err);
    check(address_space_init(&dev->as, &dev->root, "dev", &err), err);
    g_atomic_int_inc(&created);
    return dev;
}

static gpointer writer_main(gpointer opaque)
{
    Writer *w = opaque;

    rcu_register_thread();
    for (; !stress_should_stop(&opts, w->iterations, start_ns) &&
           !g_atomic_int_get(&stop_others);
         w->iterations++) {
        Device *dev = device_new();
        GError *err = NULL;

        for (uint32_t i = 0; i < 4; i++) {
            check(memory_region_add_subregion(&dev->root, 0x4000, &dev->extra,
                                              &err),
                  err);
            address_space_stl(&dev->as, 0x4000, i, MEMTXATTRS_UNSPECIFIED,
                              NULL);
            check(memory_region_del_subregion(&dev->root, &dev->extra, &err),
                  err);
        }
        (void)address_space_ldl(&dev->as, 0x2000, MEMTXATTRS_UNSPECIFIED, NULL);
        address_space_destroy(&dev->as);
        memory_owner_unref(&dev->owner);
    }
    rcu_unregister_thread();
    return NULL;
}

static gpointer monitor_main(gpointer opaque)
{
    (void)opaque;
    while (!g_atomic_int_get(&stop_others)) {
        uint64_t pending = rcu_reclaim_pending();

        if (pending > max_pending) {
            max_pending = pending;
        }
        if (max_pending > 2 * LIMIT) {
            /* the bound is broken: the run has its answer, stop it */
            g_atomic_int_set(&stop_others, 1);
        }
        g_usleep(1000);
    }
    return NULL;
}

static void read_shared(void *arg)
{
    (void)arg;
    (void)address_space_ldl(&shared->as, 0x2000, MEMTXATTRS_UNSPECIFIED, NULL);
}

static gpointer reader_main(gpointer opaque)
{
    (void)opaque;
    stress_reader_loop(read_shared, NULL,
                       stress_oversubscribed(opts.readers + opts.writers + 1),
                       &stop_others);
    return NULL;
}

int main(int argc, char **argv)
{
    Writer *writers;
    GThread *monitor;
    uint64_t total = 0;
    struct rusage usage;

    stress_parse_options(argc, argv, &opts, 16, 60);
#ifdef PLANT_NO_LIMIT
    addrspace_rcu_set_reclaim_limit(0);
#else
    addrspace_rcu_set_reclaim_limit(LIMIT);
#endif
    shared = device_new();
    writers = g_new0(Writer, opts.writers);
    start_ns = stress_now_ns();
    monitor = g_thread_new("monitor", monitor_main, NULL);
    stress_run_threads(&opts, reader_main, NULL, writer_main, writers,
                       sizeof(*writers), &stop_others);
    g_thread_join(monitor);
    for (unsigned int i = 0; i < opts.writers; i++) {
        total += writers[i].iterations;
    }
    address_space_destroy(&shared->as);
    memory_owner_unref(&shared->owner);
    drain_call_rcu();
    getrusage(RUSAGE_SELF, &usage); /* a measurement, printed, not checked */
    printf("test-reclaim-backpressure: writers=%u devices=%" PRIu64
           " released=%d limit=%d max pending=%" PRIu64 " peak rss=%ld KiB\n",
           opts.writers, total, g_atomic_int_get(&released), LIMIT, max_pending,
           usage.ru_maxrss);
    g_free(writers);
    if (total == 0 || g_atomic_int_get(&released) != (int)total + 1) {
        fprintf(stderr, "test-reclaim-backpressure: nothing tested, or "
                        "releases missing\n");
        return STRESS_EXIT_VIOLATION;
    }
    if (max_pending > 2 * LIMIT) {
        fprintf(stderr,
                "test-reclaim-backpressure: %" PRIu64 " callbacks pending, "
                "more than twice the limit\n",
                max_pending);
        return STRESS_EXIT_VIOLATION;
    }
    return 0;
}
