/* SPDX-License-Identifier: MIT */
/*
 * A program that uses liburcu's own API (<urcu.h>, the memb flavour with
 * its short names) and the library's together. Built twice: with <urcu.h>
 * before <addrspace/addrspace.h> (URCU_FIRST=1, test urcu-first) and after
 * it (URCU_FIRST=0, test urcu-last); both must compile with both sets of
 * names and share one RCU domain: a grace period of either side waits for
 * the readers of the other.
 */
#if URCU_FIRST
#include <urcu.h>

#include <addrspace/addrspace.h>
#else
#include <addrspace/addrspace.h>

#include <urcu.h>
#endif

#include <glib.h>

/* A reader thread that holds one section with the given lock functions. */
typedef struct Reader {
    void (*lock)(void);
    void (*unlock)(void);
    bool liburcu_registration; /* urcu_memb_register_thread() directly */
    gint inside;               /* 1 inside, 2 about to leave */
    gint release;
    GThread *thread;
} Reader;

static void library_lock(void)
{
    rcu_read_lock(); /* the short name: the library's */
}

static void library_unlock(void)
{
    rcu_read_unlock();
}

static void liburcu_lock(void)
{
    urcu_memb_read_lock(); /* liburcu's own, by its full name */
}

static void liburcu_unlock(void)
{
    urcu_memb_read_unlock();
}

static gpointer reader_main(gpointer arg)
{
    Reader *r = arg;

    if (r->liburcu_registration) {
        urcu_memb_register_thread();
    } else {
        rcu_register_thread();
    }
    r->lock();
    g_atomic_int_set(&r->inside, 1);
    while (!g_atomic_int_get(&r->release)) {
        g_usleep(1000);
    }
    /* a grace period that does not wait would end in the meantime */
    g_usleep(20000);
    g_atomic_int_set(&r->inside, 2);
    r->unlock();
    if (r->liburcu_registration) {
        urcu_memb_unregister_thread();
    } else {
        rcu_unregister_thread();
    }
    return NULL;
}

static void reader_start(Reader *r, void (*lock)(void), void (*unlock)(void),
                         bool liburcu_registration)
{
    *r = (Reader){.lock = lock,
                  .unlock = unlock,
                  .liburcu_registration = liburcu_registration};
    r->thread = g_thread_new("reader", reader_main, r);
    while (g_atomic_int_get(&r->inside) != 1) {
        g_usleep(100);
    }
}

/* Releases @r, waits for a grace period with @sync, checks it waited. */
static void reader_check_sync_waits(Reader *r, void (*sync)(void))
{
    g_atomic_int_set(&r->release, 1);
    sync();
    g_assert_cmpint(g_atomic_int_get(&r->inside), ==, 2);
    g_thread_join(r->thread);
}

static void library_sync(void)
{
    synchronize_rcu(); /* the short name: the library's */
}

static void liburcu_sync(void)
{
    urcu_memb_synchronize_rcu();
}

static void test_liburcu_gp_waits_for_library_reader(void)
{
    Reader r;

    reader_start(&r, library_lock, library_unlock, false);
    reader_check_sync_waits(&r, liburcu_sync);
}

static void test_library_gp_waits_for_liburcu_reader(void)
{
    Reader r;

    reader_start(&r, liburcu_lock, liburcu_unlock, false);
    reader_check_sync_waits(&r, library_sync);
}

/* A thread that only liburcu registered may use the library. */
static void test_library_gp_waits_for_liburcu_registered_thread(void)
{
    Reader r;

    reader_start(&r, library_lock, library_unlock, true);
    reader_check_sync_waits(&r, library_sync);
}

typedef struct Item {
    struct rcu_head rcu;
    int value;
} Item;

static gint reclaimed;

static void item_free_qemu_form(Item *item)
{
    g_atomic_int_inc(&reclaimed);
    g_free(item);
}

static void item_free_liburcu_form(struct rcu_head *head)
{
    g_atomic_int_inc(&reclaimed);
    g_free(caa_container_of(head, Item, rcu));
}

/*
 * While @r's section is open, a callback queued by @queue must not run;
 * after it closes, @barrier must find it run.
 */
static void check_call_rcu_waits(Reader *r, void (*queue)(Item *),
                                 void (*barrier)(void))
{
    g_atomic_int_set(&reclaimed, 0);
    queue(g_new0(Item, 1));
    g_usleep(50000); /* time for a callback that does not wait to run */
    g_assert_cmpint(g_atomic_int_get(&reclaimed), ==, 0);
    g_atomic_int_set(&r->release, 1);
    g_thread_join(r->thread);
    barrier();
    g_assert_cmpint(g_atomic_int_get(&reclaimed), ==, 1);
}

static void queue_liburcu_form(Item *item)
{
    call_rcu(&item->rcu, item_free_liburcu_form);
}

static void queue_qemu_form(Item *item)
{
    call_rcu(item, item_free_qemu_form, rcu);
}

static void liburcu_barrier(void)
{
    rcu_barrier();
}

static void library_barrier(void)
{
    drain_call_rcu();
}

static void test_liburcu_call_rcu_waits_for_library_reader(void)
{
    Reader r;

    reader_start(&r, library_lock, library_unlock, false);
    check_call_rcu_waits(&r, queue_liburcu_form, liburcu_barrier);
}

static void test_library_call_rcu_waits_for_liburcu_reader(void)
{
    Reader r;

    reader_start(&r, liburcu_lock, liburcu_unlock, false);
    check_call_rcu_waits(&r, queue_qemu_form, library_barrier);
}

/*
 * The library's registration leaves a thread that liburcu registered as it
 * is (liburcu would abort on a second registration) and never
 * unregisters it behind liburcu's back.
 */
static gpointer registered_by_liburcu_main(gpointer arg)
{
    (void)arg;
    g_assert_false(rcu_thread_is_registered());
    urcu_memb_register_thread();
    g_assert_true(rcu_thread_is_registered());
    rcu_register_thread();
    rcu_register_thread();
    rcu_unregister_thread();
    rcu_unregister_thread();
    g_assert_true(rcu_thread_is_registered());
    WITH_RCU_READ_LOCK_GUARD () {
        g_assert_true(rcu_read_ongoing());
    }
    urcu_memb_unregister_thread();
    g_assert_false(rcu_thread_is_registered());
    return NULL;
}

static void test_register_keeps_liburcu_registration(void)
{
    g_thread_join(g_thread_new("liburcu", registered_by_liburcu_main, NULL));
}

/*
 * A thread the library registered leaves liburcu's registry when its last
 * registration is dropped: a thread that exits still registered leaves
 * freed memory in the registry for every later grace period.
 */
static gpointer register_nested_main(gpointer arg)
{
    (void)arg;
    g_assert_false(URCU_TLS(urcu_memb_reader).registered);
    rcu_register_thread();
    rcu_register_thread();
    rcu_read_lock();
    rcu_read_unlock();
    rcu_unregister_thread();
    g_assert_true(URCU_TLS(urcu_memb_reader).registered);
    rcu_unregister_thread();
    g_assert_false(URCU_TLS(urcu_memb_reader).registered);
    g_assert_false(rcu_thread_is_registered());
    return NULL;
}

static void test_unregister_leaves_registry(void)
{
    g_thread_join(g_thread_new("nested", register_nested_main, NULL));
    synchronize_rcu();
}

/*
 * The loading thread (main, in a fresh subprocess) counts as registered,
 * but reaches liburcu's registry only at its first read-side section: a
 * program that registers it with liburcu's own call first must not be
 * refused (liburcu aborts on a second registration).
 */
static void test_loading_thread_liburcu_first(void)
{
    if (g_test_subprocess()) {
        g_assert_true(rcu_thread_is_registered());
        urcu_memb_register_thread();
        rcu_read_lock();
        g_assert_true(urcu_memb_read_ongoing());
        rcu_read_unlock();
        synchronize_rcu();
        urcu_memb_unregister_thread();
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

/* Without liburcu's call, the first section registers the loading thread. */
static gint synced;

static gpointer sync_main(gpointer arg)
{
    (void)arg;
    urcu_memb_synchronize_rcu();
    g_atomic_int_set(&synced, 1);
    return NULL;
}

static void test_loading_thread_lazily(void)
{
    if (g_test_subprocess()) {
        GThread *t;

        g_assert_false(URCU_TLS(urcu_memb_reader).registered);
        g_assert_true(rcu_thread_is_registered());
        rcu_read_lock();
        g_assert_true(URCU_TLS(urcu_memb_reader).registered);
        t = g_thread_new("sync", sync_main, NULL);
        g_usleep(50000); /* a grace period that does not wait ends now */
        g_assert_cmpint(g_atomic_int_get(&synced), ==, 0);
        rcu_read_unlock();
        g_thread_join(t);
        g_assert_cmpint(g_atomic_int_get(&synced), ==, 1);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

/* liburcu's pointer macros are there, with liburcu's meaning. */
static void test_pointer_macros(void)
{
    static Item a = {.value = 1}, b = {.value = 2}, c = {.value = 3};
    Item *p = NULL;

    rcu_set_pointer(&p, &a);
    rcu_read_lock();
    g_assert_cmpint(rcu_dereference(p)->value, ==, 1);
    rcu_read_unlock();
    g_assert_true(rcu_cmpxchg_pointer(&p, &b, &c) == &a); /* no swap */
    g_assert_true(p == &a);
    g_assert_true(rcu_cmpxchg_pointer(&p, &a, &b) == &a);
    g_assert_true(p == &b);
    g_assert_true(rcu_xchg_pointer(&p, &c) == &b);
    rcu_assign_pointer(p, &a);
    g_assert_true(p == &a);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/urcu-coexist/grace-period/liburcu-waits-for-library",
                    test_liburcu_gp_waits_for_library_reader);
    g_test_add_func("/urcu-coexist/grace-period/library-waits-for-liburcu",
                    test_library_gp_waits_for_liburcu_reader);
    g_test_add_func(
        "/urcu-coexist/grace-period/library-waits-for-liburcu-registered",
        test_library_gp_waits_for_liburcu_registered_thread);
    g_test_add_func("/urcu-coexist/call-rcu/liburcu-form-waits-for-library",
                    test_liburcu_call_rcu_waits_for_library_reader);
    g_test_add_func("/urcu-coexist/call-rcu/qemu-form-waits-for-liburcu",
                    test_library_call_rcu_waits_for_liburcu_reader);
    g_test_add_func("/urcu-coexist/register/keeps-liburcu-registration",
                    test_register_keeps_liburcu_registration);
    g_test_add_func("/urcu-coexist/register/unregister-leaves-registry",
                    test_unregister_leaves_registry);
    g_test_add_func("/urcu-coexist/register/loading-thread-liburcu-first",
                    test_loading_thread_liburcu_first);
    g_test_add_func("/urcu-coexist/register/loading-thread-at-first-section",
                    test_loading_thread_lazily);
    g_test_add_func("/urcu-coexist/pointer/liburcu-macros",
                    test_pointer_macros);
    return g_test_run();
}
