/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of region ownership and lifetime: a device (a struct embedding
 * a MemoryOwner and its regions) is released only once nothing can reach
 * its regions any more: no tree link, alias or AddressSpace from another
 * owner, no FlatView, no reader inside a read-side section.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tree-helpers.h"

/*
 * ThreadSanitizer kills a child that starts a thread after a fork() of a
 * process with threads unless told not to; the child's reclamation thread
 * is what /lifetime/fork/ tests. Options given in TSAN_OPTIONS still take
 * precedence.
 */
const char *__tsan_default_options(void);

const char *__tsan_default_options(void)
{
    return "die_after_fork=0";
}

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
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);

    rcu_read_lock();
    fv = address_space_to_flatview(t->as);
    tree_del(t->root, &dev->container);
    /* this read-side section still reaches the device */
    g_assert_true(section_shows_ram(view_lookup(fv, 0x10000), 0x11));
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);
    rcu_read_unlock();
    tree_assert_view_empty(t->as);
    drain_call_rcu();
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
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);
    /* outside any read-side section: the reference is what keeps it */
    g_assert_true(section_shows_ram(view_lookup(held, 0x10000), 0x22));
    g_assert_cmpstr(memory_region_name(view_lookup(held, 0x11000)->mr), ==,
                    "dev-mmio");
    flatview_unref(held);
    drain_call_rcu();
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
    drain_call_rcu();
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
    drain_call_rcu();
    /* still mapped through an alias of another owner */
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);
    tree_assert_view(t->as, {0x40000, RAM_SIZE, &dev->ram, 0, false});
    tree_del(t->root, alias);
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0); /* alias holds it */
    memory_region_finalize(alias);
    drain_call_rcu();
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
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released_b), ==, 0);
    tree_del(t->root, &a->container);
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released_b), ==, 0); /* a's link */
    device_unref(a);
    /* a's release unlinks b's RAM, which drops b's last reference */
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
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released), ==, 0);
    address_space_destroy(&as);
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
    drain_call_rcu(); /* returns only after the reader is done */
    g_thread_join(thread);
    g_assert_cmpint(g_atomic_int_get(&released), ==, 1);
    g_assert_cmpint(g_atomic_int_get(&early_releases), ==, 0);
    g_assert_cmpuint(r.checks, ==, READER_ROUNDS);
    g_assert_cmpuint(r.bad, ==, 0);
    g_mutex_clear(&r.lock);
    g_cond_clear(&r.cond);
}

/*
 * One drain_call_rcu() is enough: the view's reclamation drops a's last
 * reference, a's release unlinks b's RAM from a's container, which drops
 * b's last reference; each release is queued by the callback before it.
 * The test holds the view until both devices are unreferenced, so the
 * chain is certain (else the view could go first and the last unref here
 * would queue a's release itself).
 */
static void test_one_drain_runs_chained_releases(Tree *t, gconstpointer data)
{
    gint released_a = 0, released_b = 0;
    Device *a = device_new("a", 0x13, &released_a);
    Device *b = device_new("b", 0x14, &released_b);
    FlatView *held;

    (void)data;
    tree_del(&b->container, &b->ram);
    tree_add(&a->container, 0x2000, &b->ram);
    tree_add(t->root, 0x10000, &a->container);
    held = tree_view(t->as);
    device_unref(b);
    tree_del(t->root, &a->container);
    device_unref(a);
    flatview_unref(held); /* the view holds the last references */
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&released_a), ==, 1);
    g_assert_cmpint(g_atomic_int_get(&released_b), ==, 1);
}

/* --- fork() ------------------------------------------------------------ */

#define FORK_CALLBACKS 2000

typedef struct Counted {
    struct rcu_head rcu;
    gint *count;
} Counted;

static void counted_reclaim(Counted *c)
{
    g_atomic_int_inc(c->count);
    g_free(c);
}

/* What another thread does while the test forks. */
typedef enum ForkOther {
    FORK_OTHER_NONE,    /* nothing; callbacks are pending */
    FORK_OTHER_READING, /* it is inside a read-side section */
    FORK_OTHER_WRITING, /* it is inside a transaction (holds the lock) */
} ForkOther;

typedef struct ForkPeer {
    ForkOther what;
    gint state; /* 1: inside; 2: the fork is starting */
} ForkPeer;

static gpointer fork_peer_main(gpointer opaque)
{
    ForkPeer *peer = opaque;

    rcu_register_thread();
    if (peer->what == FORK_OTHER_READING) {
        rcu_read_lock();
    } else {
        memory_region_transaction_begin();
    }
    g_atomic_int_set(&peer->state, 1);
    while (g_atomic_int_get(&peer->state) != 2) {
        g_usleep(1000);
    }
    if (peer->what == FORK_OTHER_READING) {
        g_usleep(1000);
        rcu_read_unlock();
    } else {
        g_usleep(20000); /* the fork waits for the commit */
        memory_region_transaction_commit();
    }
    rcu_unregister_thread();
    return NULL;
}

/*
 * The child's part: a device mapped in an AddressSpace of its own, removed
 * and unreferenced, then one drain. Return: the exit status (0: released,
 * and @count reached @expected: the parent's callbacks ran once each).
 */
static int fork_child_work(Tree *t, gint *count, int expected)
{
    gint released = 0;
    Device *dev = device_new("child-dev", 0x5c, &released);
    AddressSpace *as = tree_as(t, &dev->container, "child-as");
    MemTxResult res;

    alarm(100); /* a hang fails the test (SIGALRM) instead of stalling it */
    tree_add(t->root, 0x10000, &dev->container);
    res = address_space_write(t->as, 0x10000, MEMTXATTRS_UNSPECIFIED, "x", 1);
    tree_del(t->root, &dev->container);
    address_space_destroy(as);
    g_ptr_array_remove(t->spaces, as);
    g_free(as);
    device_unref(dev);
    drain_call_rcu();
    if (res != MEMTX_OK || g_atomic_int_get(&released) != 1) {
        return 3;
    }
    return g_atomic_int_get(count) == expected ? 0 : 4;
}

/*
 * fork() while @other happens in another thread. The child gets a
 * reclamation thread: it runs every callback the parent had queued exactly
 * once, and one drain there releases a device (with the old library the
 * child had no thread and the drain never returned). A reader thread of
 * the parent does not exist in the child: the child's grace periods must
 * not wait for it (no callbacks are pending then: fork() waits for a grace
 * period in progress, which waits for that reader). A transaction in
 * progress ends before the fork: the child's update lock is free.
 */
static void fork_and_check(Tree *t, ForkOther other)
{
    int callbacks = other == FORK_OTHER_NONE ? FORK_CALLBACKS : 0;
    ForkPeer peer = {.what = other};
    GThread *thread = NULL;
    gint count = 0;
    int status;
    pid_t pid;

    drain_call_rcu(); /* no grace period in progress while reading */
    if (other != FORK_OTHER_NONE) {
        thread = g_thread_new("peer", fork_peer_main, &peer);
        while (g_atomic_int_get(&peer.state) != 1) {
            g_usleep(1000);
        }
    }
    for (int i = 0; i < callbacks; i++) {
        Counted *c = g_new0(Counted, 1);

        c->count = &count;
        call_rcu(c, counted_reclaim, rcu);
    }
    if (other == FORK_OTHER_WRITING) {
        g_atomic_int_set(&peer.state, 2);
    }
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        /* _exit(): what the parent's other threads held (GLib's per-thread
         * slice caches included) looks leaked in the child, where those
         * threads do not exist; the other sanitizers still report */
        _exit(fork_child_work(t, &count, callbacks));
    }
    if (thread) {
        g_atomic_int_set(&peer.state, 2);
        g_thread_join(thread);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&count), ==, callbacks);
}

static void test_fork_child_reclaims(Tree *t, gconstpointer data)
{
    (void)data;
    fork_and_check(t, FORK_OTHER_NONE);
}

static void test_fork_reader_in_section(Tree *t, gconstpointer data)
{
    (void)data;
    fork_and_check(t, FORK_OTHER_READING);
}

static void test_fork_writer_in_transaction(Tree *t, gconstpointer data)
{
    (void)data;
    fork_and_check(t, FORK_OTHER_WRITING);
}

/* A callback that holds the thread running it until the gate opens. */
typedef struct ForkGate {
    struct rcu_head rcu;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    GThread *thread; /* the thread that runs it, once it does */
    bool open;
} ForkGate;

static void fork_gate_reclaim(ForkGate *gate)
{
    pthread_mutex_lock(&gate->lock);
    gate->thread = g_thread_self();
    pthread_cond_broadcast(&gate->cond);
    while (!gate->open) {
        pthread_cond_wait(&gate->cond, &gate->lock);
    }
    pthread_mutex_unlock(&gate->lock);
}

static gpointer fork_gate_opener(gpointer opaque)
{
    ForkGate *gate = opaque;

    g_usleep(50 * 1000); /* the fork has started waiting */
    pthread_mutex_lock(&gate->lock);
    gate->open = true;
    pthread_cond_broadcast(&gate->cond);
    pthread_mutex_unlock(&gate->lock);
    return NULL;
}

static gpointer fork_inline_drainer(gpointer opaque)
{
    (void)opaque;
    rcu_register_thread();
    drain_call_rcu_inline();
    rcu_unregister_thread();
    return NULL;
}

/*
 * fork() while another thread's inline drain runs a callback, with more
 * queued behind it: the fork waits until the drain has stopped between two
 * callbacks and put the rest back in the queue, so the child runs each of
 * those once (and the parent too). Up to 20 tries for the drain to get the
 * queue before the reclamation thread batches it.
 */
/* fewer than the 30 at which the reclamation thread takes a batch */
#define FORK_BEHIND_GATE 10

static void test_fork_during_inline_drain(Tree *t, gconstpointer data)
{
    bool inline_seen = false;

    (void)data;
    for (int tries = 0; tries < 20 && !inline_seen; tries++) {
        ForkGate gate = {.open = false};
        GThread *drainer, *opener, *ran_on;
        gint count = 0;
        int status;
        pid_t pid;

        pthread_mutex_init(&gate.lock, NULL);
        pthread_cond_init(&gate.cond, NULL);
        drain_call_rcu();
        g_usleep(5000); /* the thread ends that batch: it is not busy */
        call_rcu(&gate, fork_gate_reclaim, rcu);
        for (int i = 0; i < FORK_BEHIND_GATE; i++) {
            Counted *c = g_new0(Counted, 1);

            c->count = &count;
            call_rcu(c, counted_reclaim, rcu);
        }
        drainer = g_thread_new("inline-drainer", fork_inline_drainer, NULL);
        pthread_mutex_lock(&gate.lock);
        while (!gate.thread) {
            pthread_cond_wait(&gate.cond, &gate.lock);
        }
        ran_on = gate.thread;
        pthread_mutex_unlock(&gate.lock);
        opener = g_thread_new("opener", fork_gate_opener, &gate);
        inline_seen = ran_on == drainer;
        if (inline_seen) {
            pid = fork();
            g_assert_cmpint(pid, >=, 0);
            if (pid == 0) {
                _exit(fork_child_work(t, &count, FORK_BEHIND_GATE));
            }
            g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
            g_assert_true(WIFEXITED(status));
            g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        }
        g_thread_join(opener);
        g_thread_join(drainer);
        g_assert_cmpint(g_atomic_int_get(&count), ==, FORK_BEHIND_GATE);
        pthread_mutex_destroy(&gate.lock);
        pthread_cond_destroy(&gate.cond);
    }
    g_assert_true(inline_seen);
}

/* --- caller bugs on owners ----------------------------------------------- */

static gint static_owner_released;

static void static_owner_release(MemoryOwner *owner)
{
    (void)owner;
    g_atomic_int_inc(&static_owner_released);
}

/*
 * Taking a reference on an owner whose count reached zero (its release is
 * queued) is a caller bug: one critical message per process, the call does
 * nothing, the release runs once. So does dropping a reference it does not
 * have. Runs in a subprocess, where criticals are not fatal.
 */
static void test_owner_ref_at_zero_ignored(void)
{
    static MemoryOwner owner;

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_test_trap_assert_stderr("*memory_owner_ref()*no reference left*");
        g_test_trap_assert_stderr_unmatched("*memory_owner_ref()*"
                                            "memory_owner_ref()*");
        g_test_trap_assert_stderr("*memory_owner_unref()*no reference left*");
        return;
    }
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    memory_owner_init(&owner, "dev", static_owner_release);
    memory_owner_unref(&owner); /* the release is queued */
    memory_owner_ref(&owner);
    memory_owner_ref(&owner); /* logged once */
    memory_owner_unref(&owner);
    drain_call_rcu();
    g_assert_cmpint(g_atomic_int_get(&static_owner_released), ==, 1);
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
        /* the lock first: a release queued before it could run (and print)
         * before this thread takes the lock */
        memory_region_transaction_begin(); /* exits holding the lock */
        memory_owner_unref(owner);
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
    ADD("/lifetime/drain/one-drain-runs-chained-releases",
        test_one_drain_runs_chained_releases);
    ADD("/lifetime/fork/child-reclaims", test_fork_child_reclaims);
    ADD("/lifetime/fork/reader-in-section", test_fork_reader_in_section);
    ADD("/lifetime/fork/writer-in-transaction",
        test_fork_writer_in_transaction);
    ADD("/lifetime/fork/during-inline-drain", test_fork_during_inline_drain);
    g_test_add_func("/lifetime/owner/ref-at-zero-ignored",
                    test_owner_ref_at_zero_ignored);
    g_test_add_func("/lifetime/exit/in-transaction-does-not-wait",
                    test_exit_in_transaction_does_not_wait);
    return g_test_run();
}
