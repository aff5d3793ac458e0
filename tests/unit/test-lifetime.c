/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of region ownership and lifetime: a device (a struct embedding
 * a MemoryOwner and its regions) is released only once nothing can reach
 * its regions any more: no tree link, alias or AddressSpace from another
 * owner, no FlatView, no reader inside a read-side section.
 */
#include <stddef.h>
#include <stdio.h>

#include "tree-helpers.h"

#define DEV_SIZE 0x4000 /* container: ram at 0, mmio at 0x1000 */
#define RAM_SIZE 0x1000

typedef struct Device {
    MemoryOwner owner;
    MemoryRegion container;
    MemoryRegion ram;
    MemoryRegion mmio;
    MemoryRegion self_alias; /* only some tests initialise it */
    uint8_t pattern;         /* every byte of ram */
    gint *released;          /* incremented by the release callback */
    gint *reader_done;       /* when set, must be 1 at release */
} Device;

/* Releases that came while a reader could still reach the device. */
static gint early_releases;

static void poison_and_free(void *p, size_t size)
{
    memset(p, 0x5a, size);
    /* keep the poisoning store: it is dead to the compiler */
    __asm__ volatile("" : : "r"(p) : "memory");
    g_free(p);
}

static void device_release(MemoryOwner *owner)
{
    Device *dev = (Device *)(void *)((char *)owner - offsetof(Device, owner));

    if (dev->reader_done && !g_atomic_int_get(dev->reader_done)) {
        g_atomic_int_inc(&early_releases);
    }
    memory_region_finalize(&dev->self_alias);
    memory_region_finalize(&dev->container);
    memory_region_finalize(&dev->ram);
    memory_region_finalize(&dev->mmio);
    g_atomic_int_inc(dev->released);
    poison_and_free(dev, sizeof(*dev));
}

/* A device holding the caller's reference (drop it with device_unref()). */
static Device *device_new(const char *name, uint8_t pattern, gint *released)
{
    Device *dev = g_new0(Device, 1);
    GError *err = NULL;

    memory_owner_init(&dev->owner, name, device_release);
    dev->pattern = pattern;
    dev->released = released;
    tree_check(
        memory_region_init(&dev->container, &dev->owner, name, DEV_SIZE, &err),
        err);
    tree_check(memory_region_init_ram(&dev->ram, &dev->owner, "dev-ram",
                                      RAM_SIZE, &err),
               err);
    tree_check(memory_region_init_io(&dev->mmio, &dev->owner, tree_null_ops(),
                                     dev, "dev-mmio", 0x100, &err),
               err);
    memset(memory_region_get_ram_ptr(&dev->ram), pattern, RAM_SIZE);
    tree_add(&dev->container, 0, &dev->ram);
    tree_add(&dev->container, 0x1000, &dev->mmio);
    return dev;
}

static void device_unref(Device *dev)
{
    memory_owner_unref(&dev->owner);
}

/*
 * Wait for the reclamation that is queued now, and for what it queues in
 * turn (a view's destruction drops the owner's last reference, which
 * queues the release callback behind it).
 */
static void drain_twice(void)
{
    drain_call_rcu();
    drain_call_rcu();
}

/* Whether @sec shows the device's RAM (name and every byte). */
static bool section_shows_ram(const MemoryRegionSection *sec, uint8_t pattern)
{
    const uint8_t *host;

    if (!sec || strcmp(memory_region_name(sec->mr), "dev-ram") != 0) {
        return false;
    }
    host = memory_region_get_ram_ptr(sec->mr);
    for (size_t i = 0; i < RAM_SIZE; i++) {
        if (host[i] != pattern) {
            return false;
        }
    }
    return true;
}

static void test_released_after_removal(Tree *t, gconstpointer data)
{
    gint released = 0;
    Device *dev = device_new("dev", 0x11, &released);
    FlatView *fv;

    (void)data;
    tree_add(t->root, 0x10000, &dev->container);
    device_unref(dev); /* the tree and the view keep it */
    drain_twice();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);

    rcu_read_lock();
    fv = address_space_to_flatview(t->as);
    tree_del(t->root, &dev->container);
    /* this read-side section still reaches the device */
    g_assert_true(section_shows_ram(view_lookup(fv, 0x10000), 0x11));
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);
    rcu_read_unlock();
    tree_assert_view_empty(t->as);
    drain_twice();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 1);
}

static void test_held_by_view_reference(Tree *t, gconstpointer data)
{
    gint released = 0;
    Device *dev = device_new("dev", 0x22, &released);
    FlatView *held;

    (void)data;
    tree_add(t->root, 0x10000, &dev->container);
    held = tree_view(t->as);
    tree_del(t->root, &dev->container);
    device_unref(dev);
    drain_twice();
    drain_twice();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);
    /* outside any read-side section: the reference is what keeps it */
    g_assert_true(section_shows_ram(view_lookup(held, 0x10000), 0x22));
    g_assert_cmpstr(memory_region_name(view_lookup(held, 0x11000)->mr), ==,
                    "dev-mmio");
    flatview_unref(held);
    drain_twice();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 1);
}

static void test_never_mapped(Tree *t, gconstpointer data)
{
    gint released = 0;
    Device *dev = device_new("dev", 0x33, &released);

    (void)t;
    (void)data;
    device_unref(dev);
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 1);
}

static void test_alias_of_own_region(Tree *t, gconstpointer data)
{
    gint released = 0;
    Device *dev = device_new("dev", 0x44, &released);
    GError *err = NULL;

    (void)data;
    /* a device showing its own RAM twice must not pin itself */
    tree_check(memory_region_init_alias(&dev->self_alias, &dev->owner,
                                        "dev-alias", &dev->ram, 0, RAM_SIZE,
                                        &err),
               err);
    tree_add(&dev->container, 0x2000, &dev->self_alias);
    tree_add(t->root, 0x10000, &dev->container);
    tree_assert_view(t->as, {0x10000, 0x1000, &dev->ram, 0, false},
                     {0x11000, 0x100, &dev->mmio, 0, false},
                     {0x12000, 0x1000, &dev->ram, 0, false});
    tree_del(t->root, &dev->container);
    device_unref(dev);
    drain_twice();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 1);
}

static void test_alias_pins_target(Tree *t, gconstpointer data)
{
    gint released = 0;
    Device *dev = device_new("dev", 0x55, &released);
    MemoryRegion *alias = tree_alias(t, "alias", &dev->ram, 0, RAM_SIZE);

    (void)data;
    tree_add(t->root, 0x10000, &dev->container);
    tree_add(t->root, 0x40000, alias);
    tree_del(t->root, &dev->container);
    device_unref(dev);
    drain_twice();
    /* still mapped through an alias of another owner */
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);
    tree_assert_view(t->as, {0x40000, RAM_SIZE, &dev->ram, 0, false});
    tree_del(t->root, alias);
    drain_twice();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0); /* alias holds it */
    memory_region_finalize(alias);
    drain_twice();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 1);
}

static void test_link_pins_other_owner(Tree *t, gconstpointer data)
{
    gint released_a = 0, released_b = 0;
    Device *a = device_new("a", 0x66, &released_a);
    Device *b = device_new("b", 0x77, &released_b);

    (void)data;
    /* b's RAM is mapped inside a's container only */
    tree_del(&b->container, &b->ram);
    tree_add(&a->container, 0x2000, &b->ram);
    tree_add(t->root, 0x10000, &a->container);
    device_unref(b);
    drain_twice();
    g_assert_cmpint(g_atomic_int_get(&released_b), ==, 0);
    tree_del(t->root, &a->container);
    drain_twice();
    g_assert_cmpint(g_atomic_int_get(&released_b), ==, 0); /* a's link */
    device_unref(a);
    /* a's release unlinks b's RAM, which drops b's last reference */
    drain_twice();
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released_a), ==, 1);
    g_assert_cmpint(g_atomic_int_get(&released_b), ==, 1);
}

static void test_address_space_pins_root(Tree *t, gconstpointer data)
{
    gint released = 0;
    Device *dev = device_new("dev", 0x88, &released);
    AddressSpace as = {0};
    GError *err = NULL;

    (void)t;
    (void)data;
    tree_check(address_space_init(&as, &dev->container, "dev-as", &err), err);
    device_unref(dev);
    drain_twice();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);
    address_space_destroy(&as);
    drain_twice();
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 1);
}

/*
 * A reader thread takes the current view inside a read-side section; the
 * device is then removed and its last reference dropped; the reader keeps
 * checking the device's name and RAM through the old view. The release
 * callback must come after the reader left its read-side section.
 */
typedef struct Reader {
    AddressSpace *as;
    GMutex lock;
    GCond cond;
    int stage; /* 1: the reader holds the view; 2: the device is gone */
    gint done; /* the reader left its read-side section */
    unsigned checks;
    unsigned bad;
} Reader;

static void reader_set_stage(Reader *r, int stage)
{
    g_mutex_lock(&r->lock);
    r->stage = stage;
    g_cond_broadcast(&r->cond);
    g_mutex_unlock(&r->lock);
}

static void reader_wait_stage(Reader *r, int stage)
{
    g_mutex_lock(&r->lock);
    while (r->stage < stage) {
        g_cond_wait(&r->cond, &r->lock);
    }
    g_mutex_unlock(&r->lock);
}

#define READER_ROUNDS 2000

static gpointer reader_main(gpointer opaque)
{
    Reader *r = opaque;
    FlatView *fv;

    rcu_register_thread();
    rcu_read_lock();
    fv = address_space_to_flatview(r->as);
    reader_set_stage(r, 1);
    reader_wait_stage(r, 2);
    for (unsigned i = 0; i < READER_ROUNDS; i++) {
        const MemoryRegionSection *ram = view_lookup(fv, 0x10000 + i);
        const MemoryRegionSection *io = view_lookup(fv, 0x11000);

        if (!section_shows_ram(ram, 0x99) ||
            strcmp(memory_region_name(io->mr), "dev-mmio") != 0) {
            r->bad++;
        }
        r->checks++;
    }
    g_atomic_int_set(&r->done, 1);
    rcu_read_unlock();
    rcu_unregister_thread();
    return NULL;
}

static void test_reader_thread_delays_release(Tree *t, gconstpointer data)
{
    gint released = 0;
    Device *dev = device_new("dev", 0x99, &released);
    Reader r = {.as = t->as};
    GThread *thread;

    (void)data;
    g_mutex_init(&r.lock);
    g_cond_init(&r.cond);
    dev->reader_done = &r.done;
    g_atomic_int_set(&early_releases, 0);
    tree_add(t->root, 0x10000, &dev->container);
    thread = g_thread_new("reader", reader_main, &r);
    reader_wait_stage(&r, 1);
    tree_del(t->root, &dev->container);
    device_unref(dev);
    /* from here the reclamation thread may try to release the device */
    reader_set_stage(&r, 2);
    drain_twice(); /* returns only after the reader is done */
    g_thread_join(thread);
    g_assert_cmpint(g_atomic_int_get(&released), ==, 1);
    g_assert_cmpint(g_atomic_int_get(&early_releases), ==, 0);
    g_assert_cmpuint(r.checks, ==, READER_ROUNDS);
    g_assert_cmpuint(r.bad, ==, 0);
    g_mutex_clear(&r.lock);
    g_cond_clear(&r.cond);
}

#define ADD(path, fn) \
    g_test_add(path, Tree, NULL, tree_setup, fn, tree_teardown)

static void release_needing_lock(MemoryOwner *owner)
{
    /* what a device's release does: finalize regions (update lock) */
    memory_region_transaction_begin();
    memory_region_transaction_commit();
    printf("released\n");
    fflush(stdout);
    g_free(owner);
}

/*
 * exit() while this thread holds the update lock (inside a transaction),
 * with an owner's release pending: the release would wait for the lock,
 * so the library's exit handler does not wait for it (no stall of a
 * second, no message); the release never runs.
 */
static void test_exit_in_transaction_does_not_wait(void)
{
    if (g_test_subprocess()) {
        MemoryOwner *owner = g_new0(MemoryOwner, 1);

        memory_owner_init(owner, "pending", release_needing_lock);
        memory_owner_unref(owner);
        memory_region_transaction_begin(); /* exits holding the lock */
        return;
    }
    g_test_trap_subprocess(NULL, 30 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stdout_unmatched("*released*");
    g_test_trap_assert_stderr_unmatched("*will not run*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("/lifetime/owner/released-after-removal", test_released_after_removal);
    ADD("/lifetime/owner/held-by-view-reference", test_held_by_view_reference);
    ADD("/lifetime/owner/never-mapped", test_never_mapped);
    ADD("/lifetime/owner/alias-of-own-region", test_alias_of_own_region);
    ADD("/lifetime/owner/alias-pins-target", test_alias_pins_target);
    ADD("/lifetime/owner/link-pins-other-owner", test_link_pins_other_owner);
    ADD("/lifetime/owner/address-space-pins-root",
        test_address_space_pins_root);
    ADD("/lifetime/reader/thread-delays-release",
        test_reader_thread_delays_release);
    g_test_add_func("/lifetime/exit/in-transaction-does-not-wait",
                    test_exit_in_transaction_does_not_wait);
    return g_test_run();
}
