/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the virtual clock (hw-test-devices/vclock.c): deadline
 * order, callbacks at their deadline time, re-arming from a callback,
 * deletion, qtest's clock_step without argument, clock_set forward only,
 * real-time mode and the del_sync handshake.
 */
#include <glib.h>

#include <addrspace-machine/vclock.h>

/* A timer that logs "<id>@<time>" into a shared string when it fires. */
typedef struct LogTimer {
    VClockTimer t;
    VClock *clk;
    GString *log;
    char id;
    int64_t rearm_ns; /* > 0: re-arm this much later from the callback */
    unsigned rearms;  /* how many times still to re-arm */
} LogTimer;

static void log_cb(void *opaque)
{
    LogTimer *lt = opaque;
    int64_t now = vclock_now_ns(lt->clk);

    g_assert_false(vclock_timer_pending(&lt->t));
    g_string_append_printf(lt->log, "%c@%" G_GINT64_FORMAT " ", lt->id, now);
    if (lt->rearm_ns > 0 && lt->rearms > 0) {
        lt->rearms--;
        vclock_timer_mod(&lt->t, now + lt->rearm_ns);
    }
}

static void log_timer_init(LogTimer *lt, VClock *clk, GString *log, char id)
{
    *lt = (LogTimer){.clk = clk, .log = log, .id = id};
    vclock_timer_init(&lt->t, clk, log_cb, lt);
}

/* A clock with four logging timers 'a' to 'd' (not armed). */
typedef struct Fixture {
    VClock *clk;
    GString *log;
    LogTimer a, b, c, d;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    (void)data;
    f->clk = vclock_new();
    f->log = g_string_new("");
    log_timer_init(&f->a, f->clk, f->log, 'a');
    log_timer_init(&f->b, f->clk, f->log, 'b');
    log_timer_init(&f->c, f->clk, f->log, 'c');
    log_timer_init(&f->d, f->clk, f->log, 'd');
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    vclock_free(f->clk);
    g_string_free(f->log, TRUE);
}

static void test_starts_at_zero(void)
{
    VClock *clk = vclock_new();

    g_assert_cmpint(vclock_now_ns(clk), ==, 0);
    g_assert_cmpint(vclock_next_deadline(clk), ==, -1);
    g_assert_false(vclock_is_realtime(clk));
    g_assert_cmpint(vclock_step(clk, 1234), ==, 1234);
    g_assert_cmpint(vclock_now_ns(clk), ==, 1234);
    vclock_free(clk);
}

static void test_deadline_order(Fixture *f, gconstpointer data)
{
    (void)data;
    /* armed out of order; c and d tie and fire in arming order */
    vclock_timer_mod(&f->a.t, 300);
    vclock_timer_mod(&f->c.t, 200);
    vclock_timer_mod(&f->b.t, 100);
    vclock_timer_mod(&f->d.t, 200);
    g_assert_cmpint(vclock_next_deadline(f->clk), ==, 100);
    g_assert_cmpint(vclock_step(f->clk, 1000), ==, 1000);
    g_assert_cmpstr(f->log->str, ==, "b@100 c@200 d@200 a@300 ");
    g_assert_cmpint(vclock_next_deadline(f->clk), ==, -1);
}

static void test_step_stops_before_later_deadlines(Fixture *f,
                                                   gconstpointer data)
{
    (void)data;
    vclock_timer_mod(&f->a.t, 500);
    g_assert_cmpint(vclock_step(f->clk, 499), ==, 499);
    g_assert_cmpstr(f->log->str, ==, "");
    g_assert_true(vclock_timer_pending(&f->a.t));
    g_assert_cmpint(vclock_timer_deadline(&f->a.t), ==, 500);
    g_assert_cmpint(vclock_step(f->clk, 1), ==, 500);
    g_assert_cmpstr(f->log->str, ==, "a@500 ");
    g_assert_cmpint(vclock_timer_deadline(&f->a.t), ==, -1);
}

static void test_rearm_from_callback(Fixture *f, gconstpointer data)
{
    (void)data;
    f->a.rearm_ns = 30;
    f->a.rearms = 10;
    vclock_timer_mod(&f->a.t, 10);
    /* re-armed deadlines inside the step fire in it, each at its time */
    g_assert_cmpint(vclock_step(f->clk, 100), ==, 100);
    g_assert_cmpstr(f->log->str, ==, "a@10 a@40 a@70 a@100 ");
    g_assert_cmpint(vclock_timer_deadline(&f->a.t), ==, 130);
}

static void test_past_deadline_fires_now(Fixture *f, gconstpointer data)
{
    (void)data;
    vclock_step(f->clk, 1000);
    vclock_timer_mod(&f->a.t, 10);
    g_assert_cmpint(vclock_next_deadline(f->clk), ==, 10);
    g_assert_cmpint(vclock_step(f->clk, 0), ==, 1000);
    g_assert_cmpstr(f->log->str, ==, "a@1000 ");
}

static void test_del(Fixture *f, gconstpointer data)
{
    (void)data;
    vclock_timer_mod(&f->a.t, 100);
    vclock_timer_mod(&f->b.t, 200);
    vclock_timer_del(&f->a.t);
    vclock_timer_del(&f->a.t); /* deleting twice is harmless */
    g_assert_false(vclock_timer_pending(&f->a.t));
    g_assert_cmpint(vclock_next_deadline(f->clk), ==, 200);
    vclock_step(f->clk, 1000);
    g_assert_cmpstr(f->log->str, ==, "b@200 ");
}

static void test_mod_moves(Fixture *f, gconstpointer data)
{
    (void)data;
    vclock_timer_mod(&f->a.t, 100);
    vclock_timer_mod(&f->b.t, 200);
    vclock_timer_mod(&f->a.t, 300); /* moved, not duplicated */
    vclock_step(f->clk, 1000);
    g_assert_cmpstr(f->log->str, ==, "b@200 a@300 ");
}

/* A callback deletes the next timer due at the same time. */
typedef struct DelOther {
    VClockTimer t;
    VClockTimer *victim;
} DelOther;

static void del_other_cb(void *opaque)
{
    DelOther *d = opaque;

    vclock_timer_del(d->victim);
}

static void test_del_from_callback(Fixture *f, gconstpointer data)
{
    DelOther d = {.victim = &f->a.t};

    (void)data;
    vclock_timer_init(&d.t, f->clk, del_other_cb, &d);
    vclock_timer_mod(&d.t, 100);
    vclock_timer_mod(&f->a.t, 100);
    vclock_step(f->clk, 1000);
    g_assert_cmpstr(f->log->str, ==, "");
}

static void test_step_to_next_deadline(Fixture *f, gconstpointer data)
{
    (void)data;
    vclock_timer_mod(&f->a.t, 250);
    vclock_timer_mod(&f->b.t, 250);
    vclock_timer_mod(&f->c.t, 700);
    g_assert_cmpint(vclock_step_to_next_deadline(f->clk), ==, 250);
    g_assert_cmpstr(f->log->str, ==, "a@250 b@250 ");
    g_assert_cmpint(vclock_step_to_next_deadline(f->clk), ==, 700);
    g_assert_cmpstr(f->log->str, ==, "a@250 b@250 c@700 ");
    /* nothing pending: the clock stays (qtest steps by -1 ns) */
    g_assert_cmpint(vclock_step_to_next_deadline(f->clk), ==, 700);
}

static void test_set_forward_only(Fixture *f, gconstpointer data)
{
    (void)data;
    vclock_timer_mod(&f->a.t, 400);
    vclock_timer_mod(&f->b.t, 900);
    g_assert_cmpint(vclock_set(f->clk, 500), ==, 500);
    g_assert_cmpstr(f->log->str, ==, "a@400 ");
    g_assert_cmpint(vclock_set(f->clk, 100), ==, 500); /* never backwards */
    g_assert_cmpint(vclock_now_ns(f->clk), ==, 500);
    g_assert_cmpint(vclock_step(f->clk, -50), ==, 500);
    g_assert_cmpint(vclock_set(f->clk, 900), ==, 900);
    g_assert_cmpstr(f->log->str, ==, "a@400 b@900 ");
}

static void test_step_saturates(Fixture *f, gconstpointer data)
{
    (void)data;
    vclock_step(f->clk, 100);
    g_assert_cmpint(vclock_step(f->clk, INT64_MAX), ==, INT64_MAX);
}

/* A callback that tries to run the clock from inside a run. */
typedef struct Nested {
    VClockTimer t;
    VClock *clk;
    int64_t inner_result;
} Nested;

static void nested_cb(void *opaque)
{
    Nested *n = opaque;

    n->inner_result = vclock_step(n->clk, 1000000);
}

static void test_run_from_callback_is_refused(void)
{
    VClock *clk = vclock_new();
    Nested n = {.clk = clk};

    vclock_timer_init(&n.t, clk, nested_cb, &n);
    vclock_timer_mod(&n.t, 10);
    g_assert_cmpint(vclock_step(clk, 100), ==, 100);
    g_assert_cmpint(n.inner_result, ==, 10); /* did nothing */
    vclock_free(clk);
}

static void test_realtime_follows_monotonic(Fixture *f, gconstpointer data)
{
    int64_t t0;
    int64_t t1;

    (void)data;
    vclock_step(f->clk, 5000);
    vclock_set_realtime(f->clk, true);
    g_assert_true(vclock_is_realtime(f->clk));
    t0 = vclock_now_ns(f->clk);
    g_assert_cmpint(t0, >=, 5000);
    vclock_timer_mod(&f->a.t, t0 + 2000000); /* 2 ms */
    g_assert_cmpuint(vclock_run_due(f->clk), ==, 0);
    g_usleep(5000);
    t1 = vclock_now_ns(f->clk);
    g_assert_cmpint(t1, >=, t0 + 5000000);
    g_assert_cmpuint(vclock_run_due(f->clk), ==, 1);
    /* the callback saw the real time, which is past the deadline */
    g_assert_true(g_str_has_prefix(f->log->str, "a@"));
    g_assert_cmpint(g_ascii_strtoll(f->log->str + 2, NULL, 10), >=,
                    t0 + 2000000);
    /* stepping still moves a real-time clock forward */
    g_assert_cmpint(vclock_step(f->clk, 1000000000), >=, t1 + 1000000000);
    vclock_set_realtime(f->clk, false);
    t1 = vclock_now_ns(f->clk);
    g_usleep(1000);
    g_assert_cmpint(vclock_now_ns(f->clk), ==, t1); /* stopped */
}

/* del_sync waits for a callback running on another thread. */
typedef struct SyncCtx {
    VClockTimer t;
    VClock *clk;
    gint entered;
    gint release;
    gint finished;
} SyncCtx;

static void slow_cb(void *opaque)
{
    SyncCtx *c = opaque;

    g_atomic_int_set(&c->entered, 1);
    while (!g_atomic_int_get(&c->release)) {
        g_usleep(100);
    }
    g_usleep(2000);
    g_atomic_int_set(&c->finished, 1);
}

static gpointer stepper(gpointer opaque)
{
    SyncCtx *c = opaque;

    vclock_step(c->clk, 100);
    return NULL;
}

static void test_del_sync_waits(void)
{
    VClock *clk = vclock_new();
    SyncCtx c = {.clk = clk};
    GThread *th;

    vclock_timer_init(&c.t, clk, slow_cb, &c);
    vclock_timer_mod(&c.t, 50);
    th = g_thread_new("stepper", stepper, &c);
    while (!g_atomic_int_get(&c.entered)) {
        g_usleep(100);
    }
    g_atomic_int_set(&c.release, 1);
    vclock_timer_del_sync(&c.t);
    g_assert_cmpint(g_atomic_int_get(&c.finished), ==, 1);
    g_thread_join(th);
    g_assert_cmpint(vclock_now_ns(clk), ==, 100);
    vclock_free(clk);
}

static void test_budget_stops_run(Fixture *f, gconstpointer data)
{
    (void)data;
    f->a.rearm_ns = 10;
    f->a.rearms = 1000;
    vclock_timer_mod(&f->a.t, 10);
    vclock_timer_mod(&f->b.t, 45);
    vclock_set_budget(f->clk, 4);
    /* four callbacks, then the clock stays at the last one's time */
    g_assert_cmpint(vclock_step(f->clk, 1000), ==, 40);
    g_assert_true(vclock_budget_exhausted(f->clk));
    g_assert_cmpstr(f->log->str, ==, "a@10 a@20 a@30 a@40 ");
    g_assert_cmpint(vclock_next_deadline(f->clk), ==, 45);
    g_assert_cmpuint(vclock_callbacks_run(f->clk), ==, 4);
    /* a run that fits is not marked */
    g_assert_cmpint(vclock_step(f->clk, 10), ==, 50);
    g_assert_false(vclock_budget_exhausted(f->clk));
    g_assert_cmpstr(f->log->str, ==, "a@10 a@20 a@30 a@40 b@45 a@50 ");
    g_assert_cmpuint(vclock_callbacks_run(f->clk), ==, 6);
}

static void target_cb(void *opaque)
{
    Fixture *f = opaque;

    g_string_append_printf(f->log, "target %" G_GINT64_FORMAT " ",
                           vclock_run_target(f->clk));
}

static void test_run_target(Fixture *f, gconstpointer data)
{
    VClockTimer t;

    (void)data;
    g_assert_cmpint(vclock_run_target(f->clk), ==, -1); /* no run */
    vclock_timer_init(&t, f->clk, target_cb, f);
    vclock_timer_mod(&t, 10);
    vclock_step(f->clk, 100);
    vclock_timer_mod(&t, 150);
    vclock_set(f->clk, 1000);
    vclock_timer_mod(&t, 2000);
    vclock_step_to_next_deadline(f->clk);
    g_assert_cmpstr(f->log->str, ==, "target 100 target 1000 target 2000 ");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add("/vclock/" path, Fixture, NULL, setup, fn, teardown)
    g_test_add_func("/vclock/time/starts-at-zero", test_starts_at_zero);
    ADD("step/deadline-order", test_deadline_order);
    ADD("step/stops-before-later-deadlines",
        test_step_stops_before_later_deadlines);
    ADD("step/rearm-from-callback", test_rearm_from_callback);
    ADD("step/past-deadline-fires-now", test_past_deadline_fires_now);
    ADD("step/saturates", test_step_saturates);
    g_test_add_func("/vclock/step/run-from-callback-is-refused",
                    test_run_from_callback_is_refused);
    ADD("step/to-next-deadline", test_step_to_next_deadline);
    ADD("step/budget-stops-run", test_budget_stops_run);
    ADD("step/run-target-seen-by-callbacks", test_run_target);
    ADD("timer/del", test_del);
    ADD("timer/mod-moves", test_mod_moves);
    ADD("timer/del-from-callback", test_del_from_callback);
    g_test_add_func("/vclock/timer/del-sync-waits", test_del_sync_waits);
    ADD("set/forward-only", test_set_forward_only);
    ADD("realtime/follows-monotonic", test_realtime_follows_monotonic);
#undef ADD
    return g_test_run();
}
