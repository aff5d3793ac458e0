/* SPDX-License-Identifier: MIT */
/*
 * One drain_call_rcu() waits for what callbacks queue (drains and chained
 * releases). Each writer, per iteration: two devices, b's RAM mapped inside
 * a's container, in an AddressSpace of their own; an access; the
 * AddressSpace destroyed and both references dropped (so the view's
 * reclamation drops a's last reference, a's release drops b's); a chain of
 * 1 to 6 callbacks, each queued by the one before; then ONE drain: both
 * releases and the whole chain must have run (exit status 1 otherwise).
 * A churn thread meanwhile drops devices and queues chains without end and
 * never drains: the writers' drains must still return (they wait for what
 * was queued before them and its descendants, nothing later). Readers keep
 * reading a shared device. Under TSan, every release and chain link
 * happens before the drain that waited for it returns.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "stress-common.h"

#define DEV_SIZE 0x10000
#define RAM_SIZE 0x1000

typedef struct Device {
    MemoryOwner owner;
    MemoryRegion root, ram;
    gint *released;
} Device;

typedef struct Link {
    struct rcu_head rcu;
    int left;  /* links still to queue after this one */
    gint *ran; /* links run */
} Link;

typedef struct Writer {
    uint64_t iterations;
    uint64_t seed;
} Writer;

static StressOptions opts = {
    .readers = 2, .writers = 2, .iterations = 400, .seconds = 4};
static uint64_t start_ns;
static int stop_others;
static gint violations;
static Device *shared;
static AddressSpace shared_as;

static void device_release(MemoryOwner *owner)
{
    Device *dev = (Device *)(void *)owner;
    gint *released = dev->released;

    memory_region_finalize(&dev->ram);
    memory_region_finalize(&dev->root);
    stress_poison_free(dev, sizeof(*dev));
    g_atomic_int_inc(released);
}

static Device *device_new(gint *released)
{
    Device *dev = g_new0(Device, 1);
    GError *err = NULL;

    dev->released = released;
    memory_owner_init(&dev->owner, "dev", device_release);
    if (!stress_owned_ram_init(&dev->owner, &dev->root, DEV_SIZE, &dev->ram,
                               RAM_SIZE, &err)) {
        fprintf(stderr, "test-drain-lineage: %s\n", err->message);
        exit(STRESS_EXIT_USAGE);
    }
    return dev;
}

static void link_reclaim(Link *link)
{
    if (link->left > 0) {
        Link *next = g_new0(Link, 1);

        next->left = link->left - 1;
        next->ran = link->ran;
        call_rcu(next, link_reclaim, rcu);
    }
    g_atomic_int_inc(link->ran);
    g_free(link);
}

static void queue_chain(int length, gint *ran)
{
    Link *link = g_new0(Link, 1);

    link->left = length - 1;
    link->ran = ran;
    call_rcu(link, link_reclaim, rcu);
}

/*
 * Map b's RAM in a's container, a in an AddressSpace, access it, then drop
 * it all: the releases come in a chain (view, a, b). Counts into *@released.
 */
static void chained_devices(gint *released, uint32_t value)
{
    Device *a = device_new(released), *b = device_new(released);
    AddressSpace as = {0};
    GError *err = NULL;
    MemTxResult res;

    if (!memory_region_del_subregion(&b->root, &b->ram, &err) ||
        !memory_region_add_subregion(&a->root, 0x2000, &b->ram, &err) ||
        !address_space_init(&as, &a->root, "as", &err)) {
        fprintf(stderr, "test-drain-lineage: %s\n", err->message);
        exit(STRESS_EXIT_USAGE);
    }
    address_space_stl(&as, 0x2000, value, MEMTXATTRS_UNSPECIFIED, &res);
    if (res != MEMTX_OK ||
        address_space_ldl(&as, 0x2000, MEMTXATTRS_UNSPECIFIED, NULL) != value) {
        fprintf(stderr, "test-drain-lineage: RAM access failed\n");
        exit(STRESS_EXIT_USAGE);
    }
    memory_owner_unref(&b->owner);
    address_space_destroy(&as);
    memory_owner_unref(&a->owner);
}

static gpointer writer_main(gpointer opaque)
{
    Writer *w = opaque;

    rcu_register_thread();
    for (; !stress_should_stop(&opts, w->iterations, start_ns);
         w->iterations++) {
        gint released = 0, ran = 0;
        int length = 1 + (int)(stress_mix64(w->seed++) % 6);

        chained_devices(&released, (uint32_t)w->iterations);
        queue_chain(length, &ran);
        drain_call_rcu();
        if (g_atomic_int_get(&released) != 2 ||
            g_atomic_int_get(&ran) != length) {
            stress_report_violation(
                "test-drain-lineage",
                "after one drain: %d of 2 releases, %d of %d chain links",
                g_atomic_int_get(&released), g_atomic_int_get(&ran), length);
            g_atomic_int_inc(&violations);
        }
    }
    rcu_unregister_thread();
    return NULL;
}

/* Never drains: what it queues keeps the queue busy for the drains. */
static gpointer churn_main(gpointer opaque)
{
    static gint churn_released, churn_ran;
    uint64_t seed = 7;

    (void)opaque;
    rcu_register_thread();
    while (!g_atomic_int_get(&stop_others)) {
        chained_devices(&churn_released, (uint32_t)seed);
        queue_chain(1 + (int)(stress_mix64(seed++) % 6), &churn_ran);
        stress_writer_pause();
    }
    rcu_unregister_thread();
    return NULL;
}

static void read_shared(void *arg)
{
    (void)arg;
    (void)address_space_ldl(&shared_as, 0, MEMTXATTRS_UNSPECIFIED, NULL);
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
    static gint shared_released;
    Writer *writers;
    GThread *churn;
    uint64_t total = 0;
    GError *err = NULL;

    stress_parse_options(argc, argv, &opts, 16, 60);
    shared = device_new(&shared_released);
    if (!address_space_init(&shared_as, &shared->root, "shared", &err)) {
        fprintf(stderr, "test-drain-lineage: %s\n", err->message);
        return STRESS_EXIT_USAGE;
    }
    writers = g_new0(Writer, opts.writers);
    for (unsigned int i = 0; i < opts.writers; i++) {
        writers[i].seed = i + 1;
    }
    start_ns = stress_now_ns();
    churn = g_thread_new("churn", churn_main, NULL);
    stress_run_threads(&opts, reader_main, NULL, writer_main, writers,
                       sizeof(*writers), &stop_others);
    g_thread_join(churn);
    for (unsigned int i = 0; i < opts.writers; i++) {
        total += writers[i].iterations;
    }
    address_space_destroy(&shared_as);
    memory_owner_unref(&shared->owner);
    drain_call_rcu();
    printf("test-drain-lineage: writers=%u readers=%u drains=%" PRIu64
           " violations=%d\n",
           opts.writers, opts.readers, total, g_atomic_int_get(&violations));
    g_free(writers);
    if (total == 0 || g_atomic_int_get(&shared_released) != 1) {
        fprintf(stderr, "test-drain-lineage: nothing tested, or the shared "
                        "device was not released\n");
        return STRESS_EXIT_VIOLATION;
    }
    return g_atomic_int_get(&violations) ? STRESS_EXIT_VIOLATION : 0;
}
