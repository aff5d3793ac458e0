/* SPDX-License-Identifier: MIT */
/*
 * Process exit with reclamation pending (issue 13). Two threads create and
 * destroy many AddressSpaces, each over a fresh device (an owner with a
 * container and RAM) whose release callback records itself in program
 * state, while a reader keeps entering read-side sections; then main drops
 * the last references it kept and returns without drain_call_rcu(), so
 * releases are pending when exit() starts (each behind two grace periods:
 * the view's reclamation, then the owner's release), the last one slow.
 *
 * The program tears its state down in an exit handler registered at
 * start-up, as programs do; the library's exit handler, registered when the
 * first callback was queued, runs before it (exit handlers run in reverse
 * order). The teardown checks that every device was released (exit status
 * 1 otherwise: callbacks were still pending while the program was torn
 * down, or never ran), then poisons and frees the state: a release running
 * after that is a heap-use-after-free (ASan) or a race with the free
 * (TSan).
 *
 * Planted variant (-DPLANT_TEARDOWN_FIRST): the teardown is registered
 * after the library's handler, so it runs first, as with no library
 * handler at all (the library before this test); a thread stays inside a
 * read-side section until the teardown, so the releases are certainly
 * pending then. Must fail with exit status 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "stress-common.h"

#define DEV_SIZE 0x10000
#define RAM_SIZE 0x1000
/* devices each writer keeps referenced until main drops them at the end */
#define KEEP 8

/* The program state release callbacks write to; freed at exit. */
typedef struct Registry {
    gint created;
    gint released;
} Registry;

typedef struct Device {
    MemoryOwner owner;
    MemoryRegion root, ram;
    AddressSpace as;
    bool slow; /* the release takes a while: the drain must wait for it */
} Device;

typedef struct Writer {
    uint64_t iterations;
    Device *kept[KEEP];
} Writer;

static StressOptions opts = {
    .readers = 1, .writers = 2, .iterations = 2000, .seconds = 4};
static Registry *registry;
static uint64_t start_ns;
static int stop_readers;
static Device *shared; /* the readers' device */
#ifdef PLANT_TEARDOWN_FIRST
static int holder_release;
#endif

static void device_release(MemoryOwner *owner)
{
    Device *dev = (Device *)(void *)owner;

    memory_region_finalize(&dev->ram);
    memory_region_finalize(&dev->root);
    if (dev->slow) {
        g_usleep(20000);
    }
    g_atomic_int_inc(&registry->released);
    stress_poison_free(dev, sizeof(*dev));
}

/* A device mapped by its own AddressSpace; the caller holds a reference. */
static Device *device_new(void)
{
    Device *dev = g_new0(Device, 1);
    GError *err = NULL;

    memory_owner_init(&dev->owner, "dev", device_release);
    if (!stress_owned_ram_init(&dev->owner, &dev->root, DEV_SIZE, &dev->ram,
                               RAM_SIZE, &err) ||
        !address_space_init(&dev->as, &dev->root, "dev", &err)) {
        fprintf(stderr, "test-exit-reclaim: %s\n", err->message);
        exit(2);
    }
    g_atomic_int_inc(&registry->created);
    return dev;
}

static void device_drop(Device *dev)
{
    address_space_destroy(&dev->as);
    memory_owner_unref(&dev->owner);
}

static gpointer writer_main(gpointer opaque)
{
    Writer *w = opaque;
    unsigned int slot = 0;

    rcu_register_thread();
    for (; !stress_should_stop(&opts, w->iterations, start_ns);
         w->iterations++) {
        Device *dev = device_new();
        MemTxResult res;

        address_space_stl(&dev->as, 8, (uint32_t)w->iterations,
                          MEMTXATTRS_UNSPECIFIED, &res);
        if (res != MEMTX_OK ||
            address_space_ldl(&dev->as, 8, MEMTXATTRS_UNSPECIFIED, NULL) !=
                (uint32_t)w->iterations) {
            fprintf(stderr, "test-exit-reclaim: RAM access failed\n");
            exit(2);
        }
        /* keep the last KEEP devices for main to drop at the very end */
        if (w->kept[slot]) {
            device_drop(w->kept[slot]);
        }
        w->kept[slot] = dev;
        slot = (slot + 1) % KEEP;
    }
    rcu_unregister_thread();
    return NULL;
}

static void read_shared(void *arg)
{
    (void)arg;
    (void)address_space_ldl(&shared->as, 0, MEMTXATTRS_UNSPECIFIED, NULL);
}

static gpointer reader_main(gpointer opaque)
{
    (void)opaque;
    stress_reader_loop(read_shared, NULL,
                       stress_oversubscribed(opts.readers + opts.writers),
                       &stop_readers);
    return NULL;
}

/* The program's teardown, an exit handler: nothing may run after it. */
static void teardown(void)
{
    int created = g_atomic_int_get(&registry->created);
    int released = g_atomic_int_get(&registry->released);

#ifdef PLANT_TEARDOWN_FIRST
    g_atomic_int_set(&holder_release, 1);
#endif
    if (released != created) {
        fprintf(stderr,
                "test-exit-reclaim: %d of %d devices released when the "
                "program's exit handler ran\n",
                released, created);
        _exit(STRESS_EXIT_VIOLATION);
    }
    printf("test-exit-reclaim: all %d devices released before teardown\n",
           created);
    fflush(stdout);
    stress_poison_free(registry, sizeof(*registry));
}

#ifdef PLANT_TEARDOWN_FIRST
/* Inside a read-side section until the teardown: no grace period ends. */
static gpointer holder_main(gpointer opaque)
{
    int *inside = opaque;

    rcu_register_thread();
    rcu_read_lock();
    g_atomic_int_set(inside, 1);
    while (!g_atomic_int_get(&holder_release)) {
        g_usleep(1000);
    }
    rcu_read_unlock();
    rcu_unregister_thread();
    return NULL;
}
#endif

int main(int argc, char **argv)
{
    Writer *writers;
    GThread **threads;
    uint64_t total = 0;

#ifndef PLANT_TEARDOWN_FIRST
    atexit(teardown); /* at start-up: before the library's handler */
#endif
    stress_parse_options(argc, argv, &opts, 16, 60);
    registry = g_new0(Registry, 1);
    shared = device_new();
    writers = g_new0(Writer, opts.writers);
    threads = g_new0(GThread *, opts.readers + opts.writers);
    start_ns = stress_now_ns();
    for (unsigned int i = 0; i < opts.readers; i++) {
        threads[i] = g_thread_new("reader", reader_main, NULL);
    }
    for (unsigned int i = 0; i < opts.writers; i++) {
        threads[opts.readers + i] =
            g_thread_new("writer", writer_main, &writers[i]);
    }
    for (unsigned int i = 0; i < opts.writers; i++) {
        g_thread_join(threads[opts.readers + i]);
        total += writers[i].iterations;
    }
    g_atomic_int_set(&stop_readers, 1);
    for (unsigned int i = 0; i < opts.readers; i++) {
        g_thread_join(threads[i]);
    }
    if (total == 0) {
        fprintf(stderr, "test-exit-reclaim: no device was created\n");
        return STRESS_EXIT_VIOLATION; /* a run that tested nothing */
    }
#ifdef PLANT_TEARDOWN_FIRST
    {
        int inside = 0;

        atexit(teardown); /* after the library's handler: runs first */
        g_thread_unref(g_thread_new("holder", holder_main, &inside));
        while (!g_atomic_int_get(&inside)) {
            g_usleep(1000);
        }
    }
#endif
    /* the last references: their releases are pending at exit */
    shared->slow = true;
    device_drop(shared);
    for (unsigned int i = 0; i < opts.writers; i++) {
        for (unsigned int k = 0; k < KEEP; k++) {
            if (writers[i].kept[k]) {
                device_drop(writers[i].kept[k]);
            }
        }
    }
    printf("test-exit-reclaim: writers=%u readers=%u devices=%" PRIu64
           ", exiting without a drain\n",
           opts.writers, opts.readers, total + 1);
    fflush(stdout);
    g_free(threads);
    g_free(writers);
    return 0;
}
