/* SPDX-License-Identifier: MIT */
/**
 * @file vclock.h
 * @brief VClock: a deterministic nanosecond clock with timers, the model of
 * QEMU's QEMU_CLOCK_VIRTUAL as the qtest accelerator drives it.
 *
 * Time is an int64_t count of nanoseconds starting at 0 (QEMU's type, so
 * the qtest replies `OK <ns>` print it unchanged). In the default virtual
 * mode time only moves when told: vclock_step(), vclock_set() and
 * vclock_step_to_next_deadline() (qtest's clock_step / clock_set) advance
 * it and fire the expired timers one by one in deadline order, with the
 * clock set to each timer's deadline while its callback runs, so a device
 * reading the clock from its callback sees the exact match time. Timers
 * with the same deadline fire in the order they were armed. Timers armed
 * by a callback whose deadline falls within the step fire in the same
 * step; a deadline already in the past fires at the current time.
 *
 * Real-time mode (vclock_set_realtime()) is for interactive use: the clock
 * then follows CLOCK_MONOTONIC from the value it had when the mode was
 * switched on, and nothing fires on its own: the caller's loop calls
 * vclock_run_due(), e.g. after sleeping until vclock_next_deadline().
 * Stepping still works in real-time mode and moves the clock forward.
 *
 * Thread safety: every function may be called from any thread. The timer
 * list and the time are protected by the clock's mutex, which is NOT held
 * while a callback runs: callbacks may arm, delete and query timers of
 * this clock and read the time. Runs (vclock_step(), vclock_set(),
 * vclock_step_to_next_deadline(), vclock_run_due()) are serialised with
 * each other, so callbacks never run concurrently on one clock; a run
 * started from inside a callback returns at once without doing anything.
 * A run holds the big lock (<addrspace/bql.h>) from start to end, taking
 * it unless the caller holds it: the callbacks and the MMIO callbacks of
 * devices are serialised, as in QEMU.
 * Because callbacks run unlocked, vclock_timer_del() cannot stop a callback
 * that another thread is already running; vclock_timer_del_sync() waits
 * for it.
 *
 * Memory: a VClock is allocated by vclock_new() and freed by vclock_free().
 * A VClockTimer is caller-allocated storage (usually embedded in a device)
 * that must stay valid while it is pending or its callback runs.
 */
#ifndef ADDRSPACE_MACHINE_VCLOCK_H
#define ADDRSPACE_MACHINE_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <addrspace/types.h>

ADDRSPACE_BEGIN_DECLS

/** VClock - a virtual clock (opaque; see above). */
typedef struct VClock VClock;
/** VClockTimer - a timer on a VClock (see struct VClockTimer). */
typedef struct VClockTimer VClockTimer;

/**
 * VClockTimerCB - a timer's callback.
 * @opaque: the pointer given to vclock_timer_init().
 *
 * Runs on the thread that runs the clock (vclock_step() and friends), with
 * the big lock held (<addrspace/bql.h>: taken by the run unless the caller
 * holds it; QEMU runs its timers under it too), the clock's mutex not held
 * and vclock_now_ns() equal to the timer's
 * deadline (the current time if the deadline was already past when the
 * run started, and in real-time mode the real time). The timer is no longer pending when it runs, so
 * it may re-arm itself with vclock_timer_mod(), or free its storage.
 */
typedef void (*VClockTimerCB)(void *opaque);

/**
 * struct VClockTimer - a one-shot timer on a VClock.
 *
 * Caller-allocated; initialise it with vclock_timer_init(). Fields are
 * private (protected by the clock's mutex).
 */
struct VClockTimer {
    /** @priv: private state. */
    struct {
        VClock *clk;
        VClockTimerCB cb;
        void *opaque;
        int64_t deadline;
        bool pending;
        VClockTimer *next;
        VClockTimer *prev;
    } priv;
};

/**
 * vclock_new() - Create a clock in virtual mode at time 0 with no timers.
 *
 * Context: any thread.
 * Return: the clock, owned by the caller (vclock_free()).
 */
VClock *vclock_new(void);

/**
 * vclock_free() - Free a clock.
 * @clk: the clock, or NULL.
 *
 * Timers still pending are unlinked; no timer of @clk may be used again
 * (except to vclock_timer_init() it on another clock). Context: no run in
 * progress and no other thread using @clk or its timers.
 */
void vclock_free(VClock *clk);

/**
 * vclock_now_ns() - The current time.
 * @clk: the clock.
 *
 * Context: any thread, also from a callback.
 * Return: nanoseconds since the clock was created (plus any vclock_set()).
 */
int64_t vclock_now_ns(VClock *clk);

/**
 * vclock_step() - Advance the clock by @ns, firing the timers that expire
 * on the way in deadline order, each at its deadline time.
 * @clk: the clock.
 * @ns: nanoseconds to advance; 0 or negative only fires the timers that are
 *      already due. The target saturates at INT64_MAX.
 *
 * Context: any thread; not from a callback of @clk (then it does nothing).
 * Return: the new time.
 */
int64_t vclock_step(VClock *clk, int64_t ns);

/**
 * vclock_set() - Advance the clock to @ns (qtest's clock_set), firing the
 * timers that expire on the way like vclock_step().
 * @clk: the clock.
 * @ns: the target time; a time in the past only fires the due timers: the
 *      clock never goes backwards.
 *
 * Context: as vclock_step().
 * Return: the new time (the old one when @ns is in the past).
 */
int64_t vclock_set(VClock *clk, int64_t ns);

/**
 * vclock_step_to_next_deadline() - Advance the clock to the earliest
 * deadline and fire every timer due then (qtest's clock_step without an
 * argument).
 * @clk: the clock.
 *
 * With no timer pending the clock does not move (QEMU: the step is then
 * -1 ns, which qtest ignores). A deadline already past fires at the
 * current time.
 * Context: as vclock_step().
 * Return: the new time.
 */
int64_t vclock_step_to_next_deadline(VClock *clk);

/**
 * vclock_run_target() - The time the run in progress advances to.
 * @clk: the clock.
 * Lets a callback know which of its future deadlines still fall inside
 * the current run (a device may then coalesce events nobody can observe).
 * Context: a callback of @clk.
 * Return: the target in ns; -1 when not called from a callback of @clk.
 */
int64_t vclock_run_target(VClock *clk);

/**
 * vclock_set_budget() - Bound the work of one run.
 * @clk: the clock.
 * @max_callbacks: the most callbacks one run (vclock_step(), vclock_set(),
 *                 vclock_step_to_next_deadline(), vclock_run_due()) may
 *                 make; 0 (the default) for no bound.
 *
 * A run that would make more stops after @max_callbacks callbacks, with
 * the clock at the time of the last one and the remaining timers still
 * pending; vclock_budget_exhausted() then says so. This keeps a timer
 * that re-arms itself for the same instant (or every few nanoseconds)
 * from making a run endless. Context: any thread.
 */
void vclock_set_budget(VClock *clk, uint64_t max_callbacks);

/**
 * vclock_budget_exhausted() - Whether the last run stopped at the budget.
 * @clk: the clock.
 * Context: any thread; meaningful after a run returned.
 * Return: true when the last run did not reach its target.
 */
bool vclock_budget_exhausted(VClock *clk);

/**
 * vclock_callbacks_run() - Timer callbacks made since vclock_new().
 * @clk: the clock.
 * Context: any thread.
 * Return: the count (a measure of the work virtual time cost).
 */
uint64_t vclock_callbacks_run(VClock *clk);

/**
 * vclock_next_deadline() - The earliest pending deadline.
 * @clk: the clock.
 *
 * Context: any thread.
 * Return: the deadline in ns, or -1 when no timer is pending.
 */
int64_t vclock_next_deadline(VClock *clk);

/**
 * vclock_set_realtime() - Switch real-time mode on or off.
 * @clk: the clock.
 * @realtime: true: from now on the time follows CLOCK_MONOTONIC, starting
 *            from the current value; false: the time stops at its current
 *            value and moves only when stepped.
 *
 * In real-time mode timers fire only in vclock_run_due() or a step.
 * Context: any thread.
 */
void vclock_set_realtime(VClock *clk, bool realtime);

/**
 * vclock_is_realtime() - Whether real-time mode is on.
 * @clk: the clock.
 * Return: true in real-time mode.
 */
bool vclock_is_realtime(VClock *clk);

/**
 * vclock_run_due() - Fire every timer whose deadline is not after the
 * current time, in deadline order.
 * @clk: the clock.
 *
 * In real-time mode callbacks see the real time (never earlier than their
 * deadline); in virtual mode this is vclock_step(@clk, 0).
 * Context: as vclock_step().
 * Return: the number of callbacks run.
 */
unsigned vclock_run_due(VClock *clk);

/**
 * vclock_jump() - Set the time to @ns, earlier or later, without running
 * any timer (for restoring a saved state).
 * @clk: the clock.
 * @ns: the new time.
 *
 * Pending timers keep their deadlines: a device whose state is restored
 * re-arms its own timers for the restored time. In real-time mode the
 * clock goes on from @ns. Context: any thread; not from a callback of
 * @clk and not while a run is in progress (then it does nothing).
 */
void vclock_jump(VClock *clk, int64_t ns);

/**
 * vclock_timer_init() - Initialise a timer (not pending).
 * @t: caller-allocated storage.
 * @clk: the clock it runs on (must outlive every use of @t).
 * @cb: the callback.
 * @opaque: passed to @cb.
 *
 * Context: before any other use of @t.
 */
void vclock_timer_init(VClockTimer *t, VClock *clk, VClockTimerCB cb,
                       void *opaque);

/**
 * vclock_timer_mod() - Arm (or re-arm) a timer to fire at @deadline_ns.
 * @t: an initialised timer.
 * @deadline_ns: absolute time; a time not after now fires at the next run
 *               (vclock_step(), vclock_run_due()), at the current time.
 *
 * Re-arming moves the timer: it fires once, at the new deadline, after the
 * timers armed earlier for the same deadline. Context: any thread, also
 * from a callback.
 */
void vclock_timer_mod(VClockTimer *t, int64_t deadline_ns);

/**
 * vclock_timer_del() - Disarm a timer (no-op when not pending).
 * @t: an initialised timer.
 *
 * A callback of @t already running on another thread is not waited for.
 * Context: any thread, also from a callback.
 */
void vclock_timer_del(VClockTimer *t);

/**
 * vclock_timer_del_sync() - Disarm a timer and wait until a callback of it
 * that another thread is running has returned.
 * @t: an initialised timer.
 *
 * After it returns @t's callback is not running (unless the caller is that
 * callback) and will not run until @t is armed again.
 * Context: any thread; must not hold a lock the callback takes.
 */
void vclock_timer_del_sync(VClockTimer *t);

/**
 * vclock_timer_pending() - Whether a timer is armed.
 * @t: an initialised timer.
 *
 * Context: any thread.
 * Return: true from vclock_timer_mod() until it fires or is deleted.
 */
bool vclock_timer_pending(VClockTimer *t);

/**
 * vclock_timer_deadline() - A pending timer's deadline.
 * @t: an initialised timer.
 *
 * Context: any thread.
 * Return: the deadline in ns, or -1 when @t is not pending.
 */
int64_t vclock_timer_deadline(VClockTimer *t);

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_MACHINE_VCLOCK_H */
