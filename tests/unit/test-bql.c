/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the big lock (include/addrspace/bql.h) and of the lock
 * order it sets: bql_lock()/bql_unlock()/bql_locked(), the update lock
 * taking it, drain_call_rcu() releasing it, timers of the virtual clock
 * running under it, and the combinations that could deadlock: a callback
 * that changes the tree while another thread in a transaction makes MMIO
 * accesses, a listener that makes MMIO accesses, a timer callback and an
 * MMIO callback arming timers from two threads. Run under
 * ThreadSanitizer, which also reports lock-order inversions.
 */
#include <glib.h>

#include <addrspace/addrspace.h>

#include "testdev.h"
#include "vclock.h"

#define U MEMTXATTRS_UNSPECIFIED

static void test_lock_basics(void)
{
    g_assert_false(bql_locked());
    bql_lock();
    g_assert_true(bql_locked());
    bql_unlock();
    g_assert_false(bql_locked());
}

/* QEMU asserts on these; here they are reported, and a nested lock is
 * counted so that the outer hold survives the inner unlock. */
/* QEMU 7.2's names take and report the same lock. */
static void test_lock_qemu72_names(void)
{
    g_assert_false(qemu_mutex_iothread_locked());
    qemu_mutex_lock_iothread();
    g_assert_true(bql_locked());
    g_assert_true(qemu_mutex_iothread_locked());
    qemu_mutex_unlock_iothread();
    g_assert_false(bql_locked());
}

static void test_lock_misuse(void)
{
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
                          "*not held by this thread*");
    bql_unlock();
    g_test_assert_expected_messages();
    g_assert_false(bql_locked());

    bql_lock();
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
                          "*already held by this thread*");
    bql_lock();
    g_test_assert_expected_messages();
    bql_unlock();
    g_assert_true(bql_locked());
    bql_unlock();
    g_assert_false(bql_locked());
}

/* Tree changes run under the big lock (QEMU's rule; bql.h's order). */
static void test_update_lock_takes_bql(void)
{
    MemoryRegion mr = {0};

    g_assert_true(memory_region_init(&mr, NULL, "c", 0x1000, NULL));
    memory_region_transaction_begin();
    g_assert_true(bql_locked());
    memory_region_transaction_begin();
    memory_region_transaction_commit();
    g_assert_true(bql_locked());
    memory_region_transaction_commit();
    g_assert_false(bql_locked());

    /* a thread that holds it keeps it */
    bql_lock();
    memory_region_set_enabled(&mr, false);
    g_assert_true(bql_locked());
    bql_unlock();
    memory_region_finalize(&mr);
}

/* An owner whose release changes the tree (it finalizes its region, which
 * takes the update lock and so the big lock). */
typedef struct Owned {
    MemoryOwner owner;
    MemoryRegion ram;
    gint *released;
} Owned;

static void owned_release(MemoryOwner *owner)
{
    Owned *o = (Owned *)(void *)owner;

    memory_region_finalize(&o->ram);
    g_atomic_int_set(o->released, 1);
    g_free(o);
}

/* drain_call_rcu() with the big lock held: it releases it while waiting,
 * as QEMU's does, so a release that needs it runs; held again after. */
static void test_drain_releases_bql(void)
{
    MemoryRegion root = {0};
    Owned *o = g_new0(Owned, 1);
    gint released = 0;

    o->released = &released;
    memory_owner_init(&o->owner, "owned", owned_release);
    g_assert_true(memory_region_init(&root, NULL, "root", 0x10000, NULL));
    g_assert_true(
        memory_region_init_ram(&o->ram, &o->owner, "ram", 0x1000, NULL));
    g_assert_true(memory_region_add_subregion(&root, 0, &o->ram, NULL));
    bql_lock();
    g_assert_true(memory_region_del_subregion(&root, &o->ram, NULL));
    memory_owner_unref(&o->owner);
    drain_call_rcu();
    g_assert_true(bql_locked());
    g_assert_cmpint(g_atomic_int_get(&released), ==, 1);
    bql_unlock();
    memory_region_finalize(&root);
}

/*
 * Thread A's device callback (under the big lock) commits a topology
 * change; thread B runs transactions (update lock, hence the big lock)
 * that make MMIO accesses to a device taking the big lock; a listener
 * (update lock held) makes MMIO accesses too. Taken in one order, these
 * never deadlock, and TSan sees no inversion.
 */
enum { ROUNDS = 300 };

typedef struct World {
    MemoryRegion root, ram;
    AddressSpace as;
    TestDev *committer, *plain;
    MemoryListener listener;
    gint listener_reads;
} World;

#define COMMITTER_ADDR 0x10000
#define PLAIN_ADDR     0x20000
#define RAM_ADDR       0x30000

static void committer_hook(TestDev *dev, const TestDevAccess *a, void *opaque)
{
    World *w = opaque;

    (void)dev;
    (void)a;
    g_assert_true(bql_locked());
    memory_region_set_enabled(&w->ram, !memory_region_is_enabled(&w->ram));
}

static void listener_add(MemoryListener *l, MemoryRegionSection *s)
{
    World *w = (World *)(void *)((char *)l - offsetof(World, listener));
    MemTxResult r;

    (void)s;
    (void)address_space_ldl_le(&w->as, PLAIN_ADDR, U, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    g_atomic_int_inc(&w->listener_reads);
}

static gpointer thread_a(gpointer opaque)
{
    World *w = opaque;

    rcu_register_thread();
    for (int i = 0; i < ROUNDS; i++) {
        MemTxResult r;

        (void)address_space_ldl_le(&w->as, COMMITTER_ADDR, U, &r);
        g_assert_cmphex(r, ==, MEMTX_OK);
    }
    rcu_unregister_thread();
    return NULL;
}

static gpointer thread_b(gpointer opaque)
{
    World *w = opaque;

    rcu_register_thread();
    for (int i = 0; i < ROUNDS; i++) {
        MemTxResult r;

        memory_region_transaction_begin();
        (void)address_space_ldl_le(&w->as, PLAIN_ADDR, U, &r);
        g_assert_cmphex(r, ==, MEMTX_OK);
        memory_region_set_enabled(&w->ram, !memory_region_is_enabled(&w->ram));
        memory_region_transaction_commit();
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_deadlock_commit_vs_transaction(void)
{
    World *w = g_new0(World, 1);
    TestDevConfig cfg = {.size = 0x100};
    GThread *a, *b;

    g_assert_true(memory_region_init(&w->root, NULL, "root", 0x100000, NULL));
    g_assert_true(memory_region_init_ram(&w->ram, NULL, "ram", 0x1000, NULL));
    w->committer = testdev_new("committer", &cfg, NULL);
    w->plain = testdev_new("plain", &cfg, NULL);
    testdev_set_hook(w->committer, committer_hook, w);
    memory_region_transaction_begin();
    g_assert_true(memory_region_add_subregion(
        &w->root, COMMITTER_ADDR, testdev_region(w->committer), NULL));
    g_assert_true(memory_region_add_subregion(&w->root, PLAIN_ADDR,
                                              testdev_region(w->plain), NULL));
    g_assert_true(
        memory_region_add_subregion(&w->root, RAM_ADDR, &w->ram, NULL));
    memory_region_transaction_commit();
    g_assert_true(address_space_init(&w->as, &w->root, "world", NULL));
    w->listener.region_add = listener_add;
    memory_listener_register(&w->listener, &w->as);

    a = g_thread_new("a", thread_a, w);
    b = g_thread_new("b", thread_b, w);
    g_thread_join(a);
    g_thread_join(b);
    g_assert_false(bql_locked());
    g_assert_cmpuint(testdev_log_len(w->committer), ==, ROUNDS);
    g_assert_cmpuint(testdev_log_len(w->plain), >=, ROUNDS);
    g_assert_cmpint(g_atomic_int_get(&w->listener_reads), >, 0);
    g_assert_cmpuint(testdev_max_concurrency(w->plain), ==, 1);

    memory_listener_unregister(&w->listener);
    address_space_destroy(&w->as);
    memory_region_finalize(&w->root);
    drain_call_rcu();
    memory_region_finalize(&w->ram);
    testdev_unref(w->committer);
    testdev_unref(w->plain);
    drain_call_rcu();
    g_free(w);
}

/*
 * Timers: the clock's run takes the big lock (QEMU runs timers under it),
 * so a timer callback that makes MMIO accesses and an MMIO callback on
 * another thread that arms a timer take the big lock, then the clock's
 * locks, in the same order.
 */
typedef struct Ticking {
    VClock *clk;
    VClockTimer timer;
    MemoryRegion root;
    AddressSpace as;
    TestDev *dev;
    gint fired;
    gint unlocked;
} Ticking;

static void tick_cb(void *opaque)
{
    Ticking *t = opaque;
    MemTxResult r;

    if (!bql_locked()) {
        g_atomic_int_inc(&t->unlocked);
    }
    (void)address_space_ldl_le(&t->as, 0, U, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    g_atomic_int_inc(&t->fired);
}

static void arm_hook(TestDev *dev, const TestDevAccess *a, void *opaque)
{
    Ticking *t = opaque;

    (void)dev;
    if (a->is_write) {
        vclock_timer_mod(&t->timer, vclock_now_ns(t->clk) + 10);
    }
}

static gpointer ticker(gpointer opaque)
{
    Ticking *t = opaque;

    rcu_register_thread();
    for (int i = 0; i < ROUNDS; i++) {
        vclock_step(t->clk, 10);
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_deadlock_timers(void)
{
    Ticking *t = g_new0(Ticking, 1);
    TestDevConfig cfg = {.size = 0x100};
    GThread *th;

    t->clk = vclock_new();
    vclock_timer_init(&t->timer, t->clk, tick_cb, t);
    g_assert_true(memory_region_init(&t->root, NULL, "root", 0x1000, NULL));
    t->dev = testdev_new("ticking", &cfg, NULL);
    testdev_set_hook(t->dev, arm_hook, t);
    g_assert_true(
        memory_region_add_subregion(&t->root, 0, testdev_region(t->dev), NULL));
    g_assert_true(address_space_init(&t->as, &t->root, "ticking", NULL));

    th = g_thread_new("ticker", ticker, t);
    for (int i = 0; i < ROUNDS; i++) {
        MemTxResult r;

        address_space_stl_le(&t->as, 0, i, U, &r);
        g_assert_cmphex(r, ==, MEMTX_OK);
    }
    g_thread_join(th);
    vclock_step(t->clk, 100);
    g_assert_cmpint(g_atomic_int_get(&t->fired), >, 0);
    g_assert_cmpint(g_atomic_int_get(&t->unlocked), ==, 0);
    g_assert_cmpuint(testdev_max_concurrency(t->dev), ==, 1);

    vclock_timer_del(&t->timer);
    address_space_destroy(&t->as);
    memory_region_finalize(&t->root);
    testdev_unref(t->dev);
    drain_call_rcu();
    vclock_free(t->clk);
    g_free(t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bql/lock/basics", test_lock_basics);
    g_test_add_func("/bql/lock/qemu-7.2-names", test_lock_qemu72_names);
    g_test_add_func("/bql/lock/misuse-reported", test_lock_misuse);
    g_test_add_func("/bql/update-lock/takes-bql", test_update_lock_takes_bql);
    g_test_add_func("/bql/drain/releases-bql", test_drain_releases_bql);
    g_test_add_func("/bql/deadlock/commit-vs-transaction",
                    test_deadlock_commit_vs_transaction);
    g_test_add_func("/bql/deadlock/timers", test_deadlock_timers);
    return g_test_run();
}
