/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of MemoryListeners: replay on registration, the del/add/nop
 * diff of a commit with QEMU's priority order, log_start/log_stop,
 * unregistration, transactions, and log_sync. Every listener appends its
 * calls to one event log, compared with an expected table.
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

static GPtrArray *events; /* char *: "name:callback details" */

typedef struct Rec {
    MemoryListener ml;
    const char *tag;
} Rec;

static void log_event(MemoryListener *ml, const char *what,
                      const MemoryRegionSection *s, const char *extra)
{
    Rec *r = (Rec *)ml;

    if (s) {
        g_ptr_array_add(
            events,
            g_strdup_printf("%s:%s %" PRIx64 "+%" PRIx64 " %s@%" PRIx64 "%s",
                            r->tag, what, s->offset_within_address_space,
                            (uint64_t)s->size, memory_region_name(s->mr),
                            s->offset_within_region, extra ? extra : ""));
    } else {
        g_ptr_array_add(events, g_strdup_printf("%s:%s", r->tag, what));
    }
}

static void on_begin(MemoryListener *ml)
{
    log_event(ml, "begin", NULL, NULL);
}

static void on_commit(MemoryListener *ml)
{
    log_event(ml, "commit", NULL, NULL);
}

static void on_add(MemoryListener *ml, MemoryRegionSection *s)
{
    log_event(ml, "add", s, NULL);
}

static void on_del(MemoryListener *ml, MemoryRegionSection *s)
{
    log_event(ml, "del", s, NULL);
}

static void on_nop(MemoryListener *ml, MemoryRegionSection *s)
{
    log_event(ml, "nop", s, NULL);
}

static void on_log_start(MemoryListener *ml, MemoryRegionSection *s,
                         int old_mask, int new_mask)
{
    char *extra = g_strdup_printf(" %d->%d", old_mask, new_mask);

    log_event(ml, "log_start", s, extra);
    g_free(extra);
}

static void on_log_stop(MemoryListener *ml, MemoryRegionSection *s,
                        int old_mask, int new_mask)
{
    char *extra = g_strdup_printf(" %d->%d", old_mask, new_mask);

    log_event(ml, "log_stop", s, extra);
    g_free(extra);
}

static void rec_init(Rec *r, const char *tag, unsigned priority)
{
    memset(r, 0, sizeof(*r));
    r->tag = tag;
    r->ml.begin = on_begin;
    r->ml.commit = on_commit;
    r->ml.region_add = on_add;
    r->ml.region_del = on_del;
    r->ml.region_nop = on_nop;
    r->ml.log_start = on_log_start;
    r->ml.log_stop = on_log_stop;
    r->ml.priority = priority;
    r->ml.name = tag;
}

/*
 * Compare the log with @expected and clear it. An expected line "+event"
 * stands for "X:event" for every listener X in @order (the tags in
 * ascending priority), "-event" for the same in descending priority.
 */
static void expect_events(const char *order, const char *const *expected)
{
    GPtrArray *want_lines = g_ptr_array_new_with_free_func(g_free);
    size_t nr = strlen(order);

    for (guint i = 0; expected[i]; i++) {
        const char *e = expected[i];

        if (e[0] != '+' && e[0] != '-') {
            g_ptr_array_add(want_lines, g_strdup(e));
            continue;
        }
        for (size_t k = 0; k < nr; k++) {
            char tag = e[0] == '+' ? order[k] : order[nr - 1 - k];

            g_ptr_array_add(want_lines, g_strdup_printf("%c:%s", tag, e + 1));
        }
    }
    for (guint i = 0; i < MAX(want_lines->len, events->len); i++) {
        const char *got = i < events->len ? events->pdata[i] : "(none)";
        const char *want =
            i < want_lines->len ? want_lines->pdata[i] : "(none)";

        if (strcmp(got, want) != 0) {
            for (guint k = 0; k < events->len; k++) {
                g_test_message("event %u: %s", k,
                               (const char *)events->pdata[k]);
            }
        }
        g_assert_cmpstr(got, ==, want);
    }
    g_ptr_array_free(want_lines, true);
    g_ptr_array_set_size(events, 0);
}

/* A root container with RAM r1 at 0x1000 (4K) and r2 at 0x4000 (8K);
 * r3 (4K) and r4 (4K) are initialised but not mapped. */
typedef struct Fixture {
    MemoryRegion root, r1, r2, r3, r4;
    AddressSpace as;
} Fixture;

static void ok(bool ret, GError *err)
{
    g_assert_no_error(err);
    g_assert_true(ret);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    (void)data;
    memset(f, 0, sizeof(*f));
    ok(memory_region_init(&f->root, NULL, "root", 0x100000, &err), err);
    ok(memory_region_init_ram(&f->r1, NULL, "r1", 0x1000, &err), err);
    ok(memory_region_init_ram(&f->r2, NULL, "r2", 0x2000, &err), err);
    ok(memory_region_init_ram(&f->r3, NULL, "r3", 0x1000, &err), err);
    ok(memory_region_init_ram(&f->r4, NULL, "r4", 0x1000, &err), err);
    ok(memory_region_add_subregion(&f->root, 0x1000, &f->r1, &err), err);
    ok(memory_region_add_subregion(&f->root, 0x4000, &f->r2, &err), err);
    ok(address_space_init(&f->as, &f->root, "as", &err), err);
    g_ptr_array_set_size(events, 0);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    address_space_destroy(&f->as);
    memory_region_finalize(&f->root);
    drain_call_rcu();
    memory_region_finalize(&f->r1);
    memory_region_finalize(&f->r2);
    memory_region_finalize(&f->r3);
    memory_region_finalize(&f->r4);
    g_ptr_array_set_size(events, 0);
}

static void test_register_replay(Fixture *f, gconstpointer data)
{
    Rec a;
    static const char *const want[] = {
        "A:begin", "A:add 1000+1000 r1@0", "A:add 4000+2000 r2@0", "A:commit",
        NULL,
    };

    (void)data;
    rec_init(&a, "A", 0);
    memory_listener_register(&a.ml, &f->as);
    g_assert_true(memory_listener_address_space(&a.ml) == &f->as);
    expect_events("A", want);
    memory_listener_unregister(&a.ml);
    g_assert_null(memory_listener_address_space(&a.ml));
}

static void test_register_replay_log(Fixture *f, gconstpointer data)
{
    Rec a;
    static const char *const want[] = {
        "A:begin",
        "A:add 1000+1000 r1@0",
        "A:log_start 1000+1000 r1@0 0->5",
        "A:add 4000+2000 r2@0",
        "A:commit",
        NULL,
    };

    (void)data;
    memory_region_set_log(&f->r1, true, DIRTY_MEMORY_VGA);
    memory_region_set_log(&f->r1, true, DIRTY_MEMORY_MIGRATION);
    rec_init(&a, "A", 0);
    memory_listener_register(&a.ml, &f->as);
    expect_events("A", want);
    memory_listener_unregister(&a.ml);
}

/* The tags of register_abcd() in ascending priority. */
#define ABCD_ORDER "ACDB"

static void register_abcd(Fixture *f, Rec *a, Rec *b, Rec *c, Rec *d)
{
    /* registration order A, B, C, D; priority order A(0) C(5) D(5) B(10) */
    rec_init(a, "A", 0);
    rec_init(b, "B", 10);
    rec_init(c, "C", 5);
    rec_init(d, "D", 5);
    memory_listener_register(&a->ml, &f->as);
    memory_listener_register(&b->ml, &f->as);
    memory_listener_register(&c->ml, &f->as);
    memory_listener_register(&d->ml, &f->as);
    g_ptr_array_set_size(events, 0);
}

static void unregister_abcd(Rec *a, Rec *b, Rec *c, Rec *d)
{
    memory_listener_unregister(&a->ml);
    memory_listener_unregister(&b->ml);
    memory_listener_unregister(&c->ml);
    memory_listener_unregister(&d->ml);
}

static void test_commit_order(Fixture *f, gconstpointer data)
{
    Rec a, b, c, d;
    GError *err = NULL;
    static const char *const want[] = {
        /* begin: ascending priority, ties in registration order */
        "+begin",
        /* deletion pass: descending priority */
        "-del 1000+1000 r1@0",
        /* addition pass, address order: nop and add ascending */
        "+nop 4000+2000 r2@0",
        "+add 8000+1000 r3@0",
        "+commit",
        NULL,
    };

    (void)data;
    register_abcd(f, &a, &b, &c, &d);
    memory_region_transaction_begin();
    ok(memory_region_del_subregion(&f->root, &f->r1, &err), err);
    ok(memory_region_add_subregion(&f->root, 0x8000, &f->r3, &err), err);
    memory_region_transaction_commit();
    expect_events(ABCD_ORDER, want);
    unregister_abcd(&a, &b, &c, &d);
}

static void test_commit_dels_before_adds(Fixture *f, gconstpointer data)
{
    Rec a;
    GError *err = NULL;
    static const char *const want[] = {
        "A:begin",
        /* every deletion comes before any addition, even at lower
         * addresses: r1's old range at 0x1000, r2 at 0x4000 */
        "A:del 1000+1000 r1@0",
        "A:del 4000+2000 r2@0",
        "A:add 0+1000 r4@0",
        "A:add 1000+1000 r1@0",
        "A:add 6000+2000 r2@0",
        "A:commit",
        NULL,
    };

    (void)data;
    rec_init(&a, "A", 0);
    memory_listener_register(&a.ml, &f->as);
    g_ptr_array_set_size(events, 0);
    memory_region_transaction_begin();
    memory_region_set_readonly(&f->r1, true); /* attributes changed */
    ok(memory_region_set_address(&f->r2, 0x6000, &err), err);
    ok(memory_region_add_subregion(&f->root, 0, &f->r4, &err), err);
    memory_region_transaction_commit();
    expect_events("A", want);
    memory_listener_unregister(&a.ml);
}

static void test_log_start_stop(Fixture *f, gconstpointer data)
{
    Rec a, b, c, d;
    static const char *const want_on[] = {
        "+begin",
        "+nop 1000+1000 r1@0",
        "+log_start 1000+1000 r1@0 0->1",
        "+nop 4000+2000 r2@0",
        "+commit",
        NULL,
    };
    static const char *const want_more[] = {
        "+begin",
        "+nop 1000+1000 r1@0",
        "+log_start 1000+1000 r1@0 1->5",
        "+nop 4000+2000 r2@0",
        "+commit",
        NULL,
    };
    static const char *const want_off[] = {
        "+begin",
        "+nop 1000+1000 r1@0",
        /* log_stop: descending priority */
        "-log_stop 1000+1000 r1@0 5->4",
        "+nop 4000+2000 r2@0",
        "+commit",
        NULL,
    };

    (void)data;
    register_abcd(f, &a, &b, &c, &d);
    memory_region_set_log(&f->r1, true, DIRTY_MEMORY_VGA);
    g_assert_cmpuint(memory_region_get_dirty_log_mask(&f->r1), ==, 1);
    expect_events(ABCD_ORDER, want_on);
    memory_region_set_log(&f->r1, true, DIRTY_MEMORY_MIGRATION);
    expect_events(ABCD_ORDER, want_more);
    /* enabling an enabled client changes nothing: no commit round */
    memory_region_set_log(&f->r1, true, DIRTY_MEMORY_VGA);
    g_assert_cmpuint(events->len, ==, 0);
    /* QEMU counts VGA enables: the first disable leaves one enable */
    memory_region_set_log(&f->r1, false, DIRTY_MEMORY_VGA);
    g_assert_cmpuint(events->len, ==, 0);
    g_assert_cmpuint(memory_region_get_dirty_log_mask(&f->r1), ==, 5);
    memory_region_set_log(&f->r1, false, DIRTY_MEMORY_VGA);
    expect_events(ABCD_ORDER, want_off);
    /* an invalid client is ignored */
    memory_region_set_log(&f->r1, true, DIRTY_MEMORY_NUM);
    g_assert_cmpuint(events->len, ==, 0);
    g_assert_cmpuint(memory_region_get_dirty_log_mask(&f->r1), ==, 4);
    unregister_abcd(&a, &b, &c, &d);
}

static void test_unregister_del(Fixture *f, gconstpointer data)
{
    Rec a, b;
    GError *err = NULL;
    static const char *const want[] = {
        "A:begin",
        "A:log_stop 1000+1000 r1@0 1->0",
        "A:del 1000+1000 r1@0",
        "A:del 4000+2000 r2@0",
        "A:commit",
        NULL,
    };
    static const char *const want_after[] = {
        "B:begin",
        "B:del 4000+2000 r2@0",
        "B:commit",
        NULL,
    };

    (void)data;
    memory_region_set_log(&f->r1, true, DIRTY_MEMORY_VGA);
    rec_init(&a, "A", 0);
    rec_init(&b, "B", 1);
    memory_listener_register(&a.ml, &f->as);
    memory_listener_register(&b.ml, &f->as);
    g_ptr_array_set_size(events, 0);
    memory_listener_unregister(&a.ml);
    expect_events("A", want);
    /* A hears nothing more; unregistering twice is harmless */
    memory_listener_unregister(&a.ml);
    g_assert_cmpuint(events->len, ==, 0);
    memory_region_set_log(&f->r1, false, DIRTY_MEMORY_VGA);
    ok(memory_region_del_subregion(&f->root, &f->r1, &err), err);
    g_ptr_array_set_size(events, 0);
    ok(memory_region_del_subregion(&f->root, &f->r2, &err), err);
    expect_events("A", want_after);
    memory_listener_unregister(&b.ml);
}

static void test_nested_transaction(Fixture *f, gconstpointer data)
{
    Rec a;
    GError *err = NULL;
    static const char *const want[] = {
        "A:begin",
        "A:del 1000+1000 r1@0",
        "A:nop 4000+2000 r2@0",
        "A:add 8000+1000 r3@0",
        "A:add 9000+1000 r4@0",
        "A:commit",
        NULL,
    };

    (void)data;
    rec_init(&a, "A", 0);
    memory_listener_register(&a.ml, &f->as);
    g_ptr_array_set_size(events, 0);
    memory_region_transaction_begin();
    ok(memory_region_add_subregion(&f->root, 0x8000, &f->r3, &err), err);
    memory_region_transaction_begin();
    ok(memory_region_del_subregion(&f->root, &f->r1, &err), err);
    ok(memory_region_add_subregion(&f->root, 0x9000, &f->r4, &err), err);
    memory_region_transaction_commit();
    g_assert_cmpuint(events->len, ==, 0); /* inner commit: nothing */
    memory_region_transaction_commit();
    expect_events("A", want);
    /* a transaction that changes nothing calls nothing */
    memory_region_transaction_begin();
    memory_region_transaction_commit();
    g_assert_cmpuint(events->len, ==, 0);
    memory_listener_unregister(&a.ml);
}

static void test_unchanged_as(Fixture *f, gconstpointer data)
{
    MemoryRegion root2;
    AddressSpace as2;
    GError *err = NULL;
    Rec a, b;
    static const char *const want[] = {
        /* QEMU: begin/commit reach every listener; only B's view changed */
        "A:begin", "B:begin", "B:add 0+1000 r3@0", "A:commit", "B:commit", NULL,
    };
    static const char *const want_destroy[] = {
        "B:begin",
        "B:del 0+1000 r3@0",
        "B:commit",
        NULL,
    };

    (void)data;
    memset(&root2, 0, sizeof(root2));
    memset(&as2, 0, sizeof(as2));
    ok(memory_region_init(&root2, NULL, "root2", 0x10000, &err), err);
    ok(address_space_init(&as2, &root2, "as2", &err), err);
    rec_init(&a, "A", 0);
    rec_init(&b, "B", 1);
    memory_listener_register(&a.ml, &f->as);
    memory_listener_register(&b.ml, &as2);
    g_ptr_array_set_size(events, 0);
    ok(memory_region_add_subregion(&root2, 0, &f->r3, &err), err);
    expect_events("A", want);
    memory_listener_unregister(&a.ml);
    g_ptr_array_set_size(events, 0);
    /* destroying an AddressSpace unregisters its listeners */
    address_space_destroy(&as2);
    g_assert_null(memory_listener_address_space(&b.ml));
    expect_events("A", want_destroy);
    memory_region_finalize(&root2);
    drain_call_rcu(); /* views of root2 (on this stack) are gone */
}

static void test_shared_root(Fixture *f, gconstpointer data)
{
    AddressSpace as2;
    GError *err = NULL;
    Rec a, b;

    (void)data;
    memset(&as2, 0, sizeof(as2));
    ok(address_space_init(&as2, &f->root, "as2", &err), err);
    rec_init(&a, "A", 0);
    rec_init(&b, "B", 1);
    memory_listener_register(&a.ml, &f->as);
    memory_listener_register(&b.ml, &as2);
    g_ptr_array_set_size(events, 0);
    ok(memory_region_add_subregion(&f->root, 0x8000, &f->r3, &err), err);
    /* both AddressSpaces of the shared view see the diff: 2 begin, 2 x
     * (nop r1, nop r2, add r3), 2 commit */
    g_assert_cmpuint(events->len, ==, 10);
    for (guint i = 0; i < events->len; i++) {
        g_test_message("%s", (const char *)events->pdata[i]);
    }
    g_assert_true(g_ptr_array_find_with_equal_func(
        events, "A:add 8000+1000 r3@0", g_str_equal, NULL));
    g_assert_true(g_ptr_array_find_with_equal_func(
        events, "B:add 8000+1000 r3@0", g_str_equal, NULL));
    memory_listener_unregister(&a.ml);
    memory_listener_unregister(&b.ml);
    /* no listener left: commits call nothing */
    g_ptr_array_set_size(events, 0);
    ok(memory_region_del_subregion(&f->root, &f->r3, &err), err);
    g_assert_cmpuint(events->len, ==, 0);
    address_space_destroy(&as2);
}

static void on_log_sync(MemoryListener *ml, MemoryRegionSection *s)
{
    log_event(ml, "log_sync", s, NULL);
    /* a listener with its own dirty state reports it here */
    memory_region_set_dirty(s->mr, 0x1000, 1);
}

static void test_log_sync(Fixture *f, gconstpointer data)
{
    DirtyBitmapSnapshot *snap;
    Rec a;
    static const char *const want[] = {
        "A:log_sync 4000+2000 r2@0",
        NULL,
    };

    (void)data;
    rec_init(&a, "A", 0);
    a.ml.log_sync = on_log_sync;
    memory_listener_register(&a.ml, &f->as);
    memory_region_set_log(&f->r2, true, DIRTY_MEMORY_MIGRATION);
    g_ptr_array_set_size(events, 0);
    snap = memory_region_snapshot_and_clear_dirty(&f->r2, 0, 0x2000,
                                                  DIRTY_MEMORY_MIGRATION);
    expect_events("A", want);
    g_assert_nonnull(snap);
    g_assert_false(memory_region_snapshot_get_dirty(&f->r2, snap, 0, 0x1000));
    g_assert_true(
        memory_region_snapshot_get_dirty(&f->r2, snap, 0x1000, 0x1000));
    memory_region_snapshot_free(snap);
    /* r1 has no logging: no section qualifies */
    snap = memory_region_snapshot_and_clear_dirty(&f->r1, 0, 0x1000,
                                                  DIRTY_MEMORY_MIGRATION);
    g_assert_cmpuint(events->len, ==, 0);
    memory_region_snapshot_free(snap);
    memory_listener_unregister(&a.ml);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    events = g_ptr_array_new_with_free_func(g_free);
#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/listener/register/replay", test_register_replay);
    ADD("/listener/register/replay-log-start", test_register_replay_log);
    ADD("/listener/commit/priority-order", test_commit_order);
    ADD("/listener/commit/deletions-first", test_commit_dels_before_adds);
    ADD("/listener/commit/unchanged-as-begin-commit-only", test_unchanged_as);
    ADD("/listener/commit/shared-root", test_shared_root);
    ADD("/listener/log/start-stop", test_log_start_stop);
    ADD("/listener/log/sync", test_log_sync);
    ADD("/listener/unregister/region-del", test_unregister_del);
    ADD("/listener/transaction/nested-one-round", test_nested_transaction);
#undef ADD
    ret = g_test_run();
    g_ptr_array_free(events, true);
    return ret;
}
