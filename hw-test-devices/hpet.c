/* SPDX-License-Identifier: MIT */
/*
 * HPET (hpet.h): the algorithm of QEMU 7.2's hw/timer/hpet.c, written anew,
 * with the two later QEMU changes the default behaviour takes (ISR_FIX,
 * CMP_HI_FIX below). Every rule that looks odd is QEMU's; each says so.
 *
 * Time, as in QEMU: while the main counter runs it reads
 * (now + offset) / 10 in unsigned 64-bit arithmetic, offset being
 * counter * 10 - now at the moment it was enabled. A timer is armed for
 * "now + 10 * diff" ns, diff being the ticks from the current counter to
 * the comparator (at least 1): the deadline is counted from the arming
 * time, not from the tick boundary.
 *
 * Bounded work: a periodic timer whose matches nobody can observe
 * (coalesce_allowed()) jumps over the matches that fall inside the VClock
 * run in progress instead of taking a callback for each (fast_forward()).
 */
#include <stddef.h>
#include <string.h>

#include "hpet.h"

#define TICK_NS ((uint64_t)HPET_CLK_PERIOD_NS)

/* Configuration bits that read as 1 on every timer after reset. */
#define HPET_TN_CFG_CAPS (HPET_TN_PERIODIC_CAP | HPET_TN_SIZE_CAP)
/* Writable bits of the general configuration register. */
#define HPET_CFG_WRITE_MASK (HPET_CFG_ENABLE | HPET_CFG_LEGACY)
/* Window offsets decoded as timer registers (QEMU: 0x100 to 0x3ff). */
#define HPET_TN_WINDOW_END 0x400u
/* Matches simulated in one callback before fast_forward() gives up. */
#define FF_MAX_STEPS 64
/* Relative states remembered to find the cycle of a periodic timer. */
#define FF_HISTORY 8

typedef struct HPETTimer {
    HPETState *s;
    unsigned tn;
    VClockTimer vt;
    bool armed; /* vt carries this timer's current event */
    /* guest-visible registers */
    uint64_t config; /* low: configuration; high: route capability */
    uint64_t cmp;    /* comparator; the accumulator in periodic mode */
    uint64_t fsb;    /* FSB route: value low, address high */
    /* hidden state, as QEMU's */
    uint64_t period;
    bool wrap_flag; /* the armed event is the 32-bit wrap before the match */
} HPETTimer;

struct HPETState {
    MemoryOwner owner; /* embedded: the device lives as long as it does */
    MemoryRegion mmio;
    VClock *clk;
    unsigned num_timers;
    uint64_t capability;

    GRecMutex lock; /* the region's lock; protects everything below */
    HPETIrqHandler irq_fn;
    void *irq_opaque;
    AddressSpace *fsb_as;
    HPETCompat compat;
    uint32_t intcap;
    bool detached;         /* hpet_free() ran: no clock, no interrupts */
    uint64_t frozen_ticks; /* the counter from then on */
    uint32_t lines_high;   /* lines whose last setting was a raise */
    uint64_t config;
    uint64_t isr;
    uint64_t counter; /* QEMU's hpet_counter: valid while halted */
    uint64_t offset;  /* QEMU's hpet_offset */
    /*
     * QEMU decodes timer num_timers too; the window reaches timer 23 at
     * most, so for blocks of up to 23 timers that one is in the array.
     */
    HPETTimer timer[HPET_MAX_TIMERS];
};

/*
 * Later-QEMU changes of the default behaviour:
 * ISR_FIX: QEMU 9.1 commit f0ccf770789e, "hpet: fix and cleanup persistence
 *   of interrupt status": a level timer sets its status bit even with its
 *   interrupt disabled, timers keep running while disabled, enabling the
 *   interrupt (or the counter) raises the line of a set status bit, and
 *   switching to edge mode clears the bit.
 * CMP_HI_FIX: QEMU 9.1 commit 9eb7fad3546a, "hpet: ignore high bits of
 *   comparator in 32-bit mode".
 */
static bool isr_fix(const HPETState *s)
{
    return s->compat == HPET_COMPAT_DEFAULT;
}

static bool cmp_hi_fix(const HPETState *s)
{
    return s->compat == HPET_COMPAT_DEFAULT;
}

/* QEMU computes a timer's status bit as the int "1 << tn", sign-extended. */
static uint64_t timer_mask(unsigned tn)
{
    return tn == 31 ? 0xffffffff80000000ull : 1ull << tn;
}

static bool hpet_enabled(const HPETState *s)
{
    return s->config & HPET_CFG_ENABLE;
}

static bool timer_enabled(const HPETTimer *t)
{
    return t->config & HPET_TN_ENABLE;
}

static bool timer_periodic(const HPETTimer *t)
{
    return t->config & HPET_TN_PERIODIC;
}

static bool timer_32bit(const HPETTimer *t)
{
    return t->config & HPET_TN_32BIT;
}

static bool timer_fsb(const HPETTimer *t)
{
    return t->config & HPET_TN_FSB_ENABLE;
}

static int64_t now_ns(HPETState *s)
{
    return vclock_now_ns(s->clk);
}

/* The counter as QEMU reads it while running, at clock time @ns. */
static uint64_t ticks_at(const HPETState *s, int64_t ns)
{
    return ((uint64_t)ns + s->offset) / TICK_NS;
}

static uint64_t hpet_get_ticks(HPETState *s)
{
    return s->detached ? s->frozen_ticks : ticks_at(s, now_ns(s));
}

/*
 * Ticks from @cur to the comparator, at least 1: a comparator up to 2^31
 * (2^63) ticks behind counts as 1 tick ahead (QEMU's hpet_calculate_diff).
 */
static uint64_t calc_diff(const HPETTimer *t, uint64_t cur)
{
    if (timer_32bit(t)) {
        uint32_t diff = (uint32_t)t->cmp - (uint32_t)cur;

        return (int32_t)diff > 0 ? diff : 1;
    }
    return (int64_t)(t->cmp - cur) > 0 ? t->cmp - cur : 1;
}

/*
 * The deadline QEMU 7.2 computes for @diff ticks after @now: 64-bit
 * arithmetic that wraps (QEMU builds with -fwrapv), so a far comparator
 * can give a time in the past.
 */
static int64_t deadline_after(int64_t now, uint64_t diff)
{
    return (int64_t)((uint64_t)now + diff * TICK_NS);
}

/* ---- interrupt lines ---------------------------------------------- */

static void set_line(HPETState *s, unsigned line, bool level)
{
    if (level) {
        s->lines_high |= 1u << line;
    } else {
        s->lines_high &= ~(1u << line);
    }
    if (s->irq_fn) {
        s->irq_fn(s->irq_opaque, line, level);
    }
}

static unsigned timer_route(const HPETTimer *t)
{
    /* legacy mode: timer 0 to output 0, timer 1 to output 8 (the RTC's) */
    if (t->tn <= 1 && (t->s->config & HPET_CFG_LEGACY)) {
        return t->tn == 0 ? HPET_LEGACY_TIMER0_LINE : HPET_LEGACY_TIMER1_LINE;
    }
    return (t->config & HPET_TN_INT_ROUTE_MASK) >> HPET_TN_INT_ROUTE_SHIFT;
}

static void fsb_deliver(HPETTimer *t)
{
    if (t->s->fsb_as) {
        address_space_stl_le(t->s->fsb_as, t->fsb >> 32, (uint32_t)t->fsb,
                             MEMTXATTRS_UNSPECIFIED, NULL);
    }
}

/*
 * QEMU's update_irq(): @set is a match (or a re-raise of a set status
 * bit); !@set clears the status and lowers the line. There is no line
 * state: a lowered line is lowered whoever else holds it, and an FSB
 * timer neither raises nor lowers a line.
 */
static void update_irq(HPETTimer *t, bool set)
{
    HPETState *s = t->s;
    unsigned route = timer_route(t);
    uint64_t mask = timer_mask(t->tn);
    bool level = t->config & HPET_TN_TYPE_LEVEL;
    bool fire = set && timer_enabled(t) && hpet_enabled(s);

    if (isr_fix(s)) {
        /* the status bit follows the match, enabled or not */
        s->isr = set && level ? s->isr | mask : s->isr & ~mask;
    } else if (!fire) {
        s->isr &= ~mask; /* QEMU 7.2: a disabled timer clears it */
    } else if (!timer_fsb(t)) {
        s->isr = level ? s->isr | mask : s->isr & ~mask;
    }
    if (!fire) {
        if (!timer_fsb(t)) {
            set_line(s, route, false);
        }
    } else if (timer_fsb(t)) {
        fsb_deliver(t);
    } else if (level) {
        set_line(s, route, true);
    } else {
        set_line(s, route, true); /* qemu_irq_pulse() */
        set_line(s, route, false);
    }
}

/* ---- comparators -------------------------------------------------- */

static void timer_arm_at(HPETTimer *t, int64_t deadline)
{
    vclock_timer_mod(&t->vt, deadline);
    t->armed = true;
}

static void timer_disarm(HPETTimer *t)
{
    if (!t->s->detached) {
        vclock_timer_del(&t->vt);
    }
    t->armed = false;
}

/* QEMU's hpet_set_timer(): arm for the next match (or 32-bit wrap). */
static void hpet_set_timer(HPETTimer *t)
{
    HPETState *s = t->s;
    uint64_t cur = hpet_get_ticks(s);
    uint64_t diff = calc_diff(t, cur);

    if (s->detached) {
        return;
    }
    t->wrap_flag = false;
    if (timer_32bit(t) && !timer_periodic(t)) {
        /*
         * A one-shot 32-bit timer also fires when the counter's low half
         * wraps before the match. QEMU 7.2 (and later QEMU up to 9.0)
         * counts to low half 0xffffffff, one tick before the wrap.
         */
        uint32_t wrap_diff = 0xffffffffu - (uint32_t)cur;

        if (wrap_diff < (uint32_t)diff) {
            diff = wrap_diff;
            t->wrap_flag = true;
        }
    }
    timer_arm_at(t, deadline_after(now_ns(s), diff));
}

/* QEMU's hpet_del_timer(). */
static void hpet_del_timer(HPETTimer *t)
{
    timer_disarm(t);
    if (!isr_fix(t->s)) {
        update_irq(t, false);
    } else if (t->s->isr & timer_mask(t->tn)) {
        update_irq(t, true); /* keeps a level status bit, lowers the line */
    }
}

/*
 * Periodic mode at a match: QEMU adds the period to the accumulator while
 * the counter is strictly after it ("while (hpet_time_after(cur, cmp))
 * cmp += period"), in 32-bit arithmetic in 32-bit mode. The loop is done
 * here in closed form, so a comparator far behind costs nothing. With a
 * period of 0 modulo 2^32 in 32-bit mode QEMU never leaves the loop: false.
 */
static bool advance_accumulator(HPETTimer *t, uint64_t cur)
{
    uint64_t p = t->period;

    if (timer_32bit(t)) {
        /* behind: (uint32)(cur - cmp) in [1, 2^31] */
        uint64_t x = (uint32_t)(cur - t->cmp);
        uint64_t p32 = (uint32_t)p;
        uint64_t k;

        if (x == 0 || x > 0x80000000u) {
            return true;
        }
        if (p32 == 0) {
            return false;
        }
        if (p32 <= 0x80000000u) {
            k = (x - 1) / p32 + 1;
        } else {
            /* subtracting p32 mod 2^32 adds q: leaves once past 2^31 */
            uint64_t q = 0x100000000ull - p32;

            k = (0x80000000u - x) / q + 1;
        }
        t->cmp = (uint32_t)(t->cmp + k * p);
        return true;
    }
    /* behind: cur - cmp in [1, 2^63] */
    uint64_t x = cur - t->cmp;
    uint64_t k;

    if (x == 0 || x > 0x8000000000000000ull) {
        return true;
    }
    if (p <= 0x8000000000000000ull) {
        k = (x - 1) / p + 1;
    } else {
        uint64_t q = 0 - p;

        k = (0x8000000000000000ull - x) / q + 1;
    }
    t->cmp += k * p;
    return true;
}

/*
 * One match of a periodic timer at clock time @ns (counter @cur): advance
 * the accumulator and return the next deadline. False: QEMU would loop
 * forever (see advance_accumulator()).
 */
static bool periodic_step(HPETTimer *t, int64_t ns, uint64_t cur, int64_t *next)
{
    if (!advance_accumulator(t, cur)) {
        return false;
    }
    *next = deadline_after(ns, calc_diff(t, cur));
    return true;
}

/*
 * Whether the matches of @t can be coalesced: nobody receives the lines
 * and no timer of the block delivers by FSB (a memory write, observable
 * and ordered against the others). Then a match only sets the timer's own
 * status bit and accumulator, and N matches leave what the last one left.
 */
static bool coalesce_allowed(HPETState *s)
{
    if (s->irq_fn || vclock_is_realtime(s->clk)) {
        return false;
    }
    for (unsigned i = 0; i < HPET_MAX_TIMERS; i++) {
        if (timer_fsb(&s->timer[i])) {
            return false;
        }
    }
    return true;
}

typedef struct FFState {
    uint64_t rel; /* accumulator minus counter, the state that repeats */
    int64_t ns;
    uint64_t cmp;
} FFState;

static uint64_t ff_rel(const HPETTimer *t, uint64_t cur)
{
    uint64_t rel = t->cmp - cur;

    return timer_32bit(t) ? (uint32_t)rel : rel;
}

/*
 * Jump over whole cycles: from @from to @to the relative state repeated,
 * so the timer moves on by the same time and accumulator each cycle.
 * Jump as many cycles as fit before @target and before (now + offset)
 * wraps (the counter is linear in time only up to there).
 */
static void ff_jump(HPETTimer *t, const FFState *from, const FFState *to,
                    int64_t target, int64_t *ns)
{
    uint64_t dns = (uint64_t)(to->ns - from->ns);
    uint64_t dcmp = to->cmp - from->cmp;
    uint64_t base = (uint64_t)to->ns + t->s->offset;
    uint64_t n;

    if (dns == 0 || to->ns > target ||
        (uint64_t)from->ns + t->s->offset > base) {
        return; /* no progress, or the counter wrapped in between */
    }
    n = (uint64_t)(target - to->ns) / dns;
    n = MIN(n, (UINT64_MAX - base) / dns);
    *ns = to->ns + (int64_t)(n * dns);
    t->cmp =
        timer_32bit(t) ? (uint32_t)(to->cmp + n * dcmp) : to->cmp + n * dcmp;
}

/*
 * Periodic timer @t matched at @ns and its next match is due at @next:
 * process the later matches up to the current run's target without
 * callbacks (coalesce_allowed()). Each simulated match does what QEMU's
 * callback does at that time; the relative state repeats after one or two
 * matches, and ff_jump() skips the repetitions in one go. The state always
 * reflects the matches before the returned time, the next one due: after
 * the target, or one left for a real callback because its own next
 * deadline would not be after it (QEMU's 64-bit wrap-around, or an
 * endless loop), so that callback runs at the right time.
 */
static int64_t fast_forward(HPETTimer *t, int64_t ns, int64_t next)
{
    int64_t target = vclock_run_target(t->s->clk);
    FFState hist[FF_HISTORY];
    unsigned nhist = 0;
    bool jumped = false;

    for (int i = 0; i < FF_MAX_STEPS && next <= target && next > ns; i++) {
        uint64_t cmp = t->cmp;
        uint64_t cur = ticks_at(t->s, next);
        uint64_t rel = ff_rel(t, cur);
        int64_t after;

        for (unsigned j = 0; !jumped && j < nhist; j++) {
            if (hist[j].rel == rel) {
                FFState here = {rel, next, t->cmp};

                ff_jump(t, &hist[j], &here, target, &next);
                jumped = true;
                cmp = t->cmp;
                cur = ticks_at(t->s, next);
            }
        }
        if (!jumped && nhist < FF_HISTORY) {
            hist[nhist++] = (FFState){rel, next, t->cmp};
        }
        if (!periodic_step(t, next, cur, &after) || after <= next) {
            t->cmp = cmp; /* leave this match to its callback */
            return next;
        }
        ns = next;
        next = after;
    }
    return next;
}

/* QEMU's hpet_timer(): the timer's event. */
static void hpet_timer(HPETTimer *t)
{
    HPETState *s = t->s;
    int64_t ns = now_ns(s);
    uint64_t cur = hpet_get_ticks(s);

    if (timer_periodic(t) && t->period != 0) {
        int64_t next;

        if (!periodic_step(t, ns, cur, &next)) {
            /*
             * QEMU 7.2 never leaves its catch-up loop and never raises
             * the interrupt: fire again at once, until the clock's
             * callback budget ends the run.
             */
            timer_arm_at(t, ns);
            return;
        }
        if (coalesce_allowed(s)) {
            next = fast_forward(t, ns, next);
        }
        timer_arm_at(t, next);
    } else if (timer_32bit(t) && !timer_periodic(t) && t->wrap_flag) {
        timer_arm_at(t, deadline_after(ns, calc_diff(t, cur)));
        t->wrap_flag = false;
    }
    update_irq(t, true);
}

static void timer_expired(void *opaque)
{
    HPETTimer *t = opaque;
    HPETState *s = t->s;

    g_rec_mutex_lock(&s->lock);
    /*
     * Between the clock taking this event and the lock, a register write
     * on another thread may have disarmed the timer or armed a new event:
     * then this one is stale.
     */
    if (t->armed && !s->detached && !vclock_timer_pending(&t->vt)) {
        t->armed = false;
        hpet_timer(t);
    }
    g_rec_mutex_unlock(&s->lock);
}

/* ---- registers ---------------------------------------------------- */

static uint64_t set_low(uint64_t reg, uint64_t val)
{
    return (reg & ~0xffffffffull) | val;
}

static uint64_t set_high(uint64_t reg, uint64_t val)
{
    return (reg & 0xffffffffull) | val << 32;
}

/* QEMU decodes timer ids up to num_timers inclusive ("id > num_timers"). */
static HPETTimer *timer_at(HPETState *s, hwaddr addr)
{
    unsigned id = (unsigned)((addr - HPET_TN_BASE(0)) / 0x20);

    return id > s->num_timers ? NULL : &s->timer[id];
}

/* QEMU's hpet_ram_read(): one aligned 32-bit register half. */
static uint32_t hpet_read32(HPETState *s, hwaddr addr)
{
    if (addr >= HPET_TN_BASE(0)) {
        HPETTimer *t = timer_at(s, addr);

        switch (t ? (addr - HPET_TN_BASE(0)) % 0x20 : 0x18) {
        case HPET_TN_CFG:
            return (uint32_t)t->config;
        case HPET_TN_CFG + 4:
            return (uint32_t)(t->config >> 32);
        case HPET_TN_CMP:
            return (uint32_t)t->cmp;
        case HPET_TN_CMP + 4:
            return (uint32_t)(t->cmp >> 32);
        case HPET_TN_ROUTE:
            return (uint32_t)t->fsb;
        case HPET_TN_ROUTE + 4:
            return (uint32_t)(t->fsb >> 32);
        default:
            return 0;
        }
    }
    switch (addr) {
    case HPET_ID:
        return (uint32_t)s->capability;
    case HPET_PERIOD:
        return (uint32_t)(s->capability >> 32);
    case HPET_CFG:
        return (uint32_t)s->config;
    case HPET_STATUS:
        return (uint32_t)s->isr;
    case HPET_COUNTER:
    case HPET_COUNTER + 4: {
        uint64_t ticks = hpet_enabled(s) ? hpet_get_ticks(s) : s->counter;

        return (uint32_t)(addr == HPET_COUNTER ? ticks : ticks >> 32);
    }
    default:
        return 0; /* including the high halves of CFG and STATUS */
    }
}

static bool activating(uint32_t old, uint32_t val, uint32_t bit)
{
    return !(old & bit) && (val & bit);
}

static bool deactivating(uint32_t old, uint32_t val, uint32_t bit)
{
    return (old & bit) && !(val & bit);
}

static void timer_write_config(HPETTimer *t, uint32_t old, uint32_t val)
{
    HPETState *s = t->s;
    uint64_t low = (val & HPET_TN_CFG_WRITE_MASK) |
                   (old & ~(uint32_t)HPET_TN_CFG_WRITE_MASK);

    if (isr_fix(s)) {
        if (deactivating(old, val, HPET_TN_TYPE_LEVEL)) {
            update_irq(t, false); /* before the FSB bit can change */
        }
    } else if (activating(old, val, HPET_TN_FSB_ENABLE)) {
        update_irq(t, false);
    }
    t->config = set_low(t->config, low);
    if (isr_fix(s) && activating(old, val, HPET_TN_ENABLE) &&
        (s->isr & timer_mask(t->tn))) {
        update_irq(t, true);
    }
    if (val & HPET_TN_32BIT) {
        t->cmp = (uint32_t)t->cmp;
        t->period = (uint32_t)t->period;
    }
    if (isr_fix(s)) {
        if (hpet_enabled(s)) {
            hpet_set_timer(t); /* also while disabled: it sets the status */
        }
    } else if (activating(old, val, HPET_TN_ENABLE) && hpet_enabled(s)) {
        hpet_set_timer(t);
    } else if (deactivating(old, val, HPET_TN_ENABLE)) {
        hpet_del_timer(t);
    }
}

/*
 * Comparator halves. One-shot: the comparator. Periodic: the period (QEMU
 * keeps it below 2^31, or 2^63 in 64-bit mode), and with Tn_VAL_SET_CNF
 * the accumulator instead of the period's high half (QEMU 7.2 sets the
 * high half of one or the other, never both).
 */
static void timer_write_cmp(HPETTimer *t, bool high, uint32_t val)
{
    HPETState *s = t->s;
    bool periodic = timer_periodic(t);
    bool setval = t->config & HPET_TN_SETVAL;
    uint64_t pmask = (timer_32bit(t) ? 0xffffffffull : UINT64_MAX) >> 1;

    if (high && timer_32bit(t) && cmp_hi_fix(s)) {
        return;
    }
    if (!periodic || setval) {
        t->cmp = high ? set_high(t->cmp, val) : set_low(t->cmp, val);
    }
    if (periodic && (!high || !setval)) {
        t->period = high ? set_high(t->period, val & pmask)
                         : set_low(t->period, val & pmask);
    }
    t->config &= ~(uint64_t)HPET_TN_SETVAL; /* clears itself */
    if (hpet_enabled(s)) {
        hpet_set_timer(t);
    }
}

static void hpet_write_config(HPETState *s, uint32_t old, uint32_t val)
{
    s->config = (val & HPET_CFG_WRITE_MASK) | (old & ~HPET_CFG_WRITE_MASK);
    if (activating(old, val, HPET_CFG_ENABLE) && !s->detached) {
        s->offset = s->counter * TICK_NS - (uint64_t)now_ns(s);
        for (unsigned i = 0; i < s->num_timers; i++) {
            HPETTimer *t = &s->timer[i];

            if (isr_fix(s)) {
                if (timer_enabled(t) && (s->isr & timer_mask(i))) {
                    update_irq(t, true);
                }
                hpet_set_timer(t);
            } else if (t->cmp != UINT64_MAX) {
                /* QEMU 7.2 starts only timers whose comparator was set */
                hpet_set_timer(t);
            }
        }
    } else if (deactivating(old, val, HPET_CFG_ENABLE)) {
        s->counter = hpet_get_ticks(s);
        for (unsigned i = 0; i < s->num_timers; i++) {
            hpet_del_timer(&s->timer[i]);
        }
    }
    /* the legacy route takes lines 0 and 8 from the PIT and the RTC */
    if (activating(old, val, HPET_CFG_LEGACY)) {
        set_line(s, HPET_LEGACY_TIMER0_LINE, false);
        set_line(s, HPET_LEGACY_TIMER1_LINE, false);
    } else if (deactivating(old, val, HPET_CFG_LEGACY)) {
        set_line(s, HPET_LEGACY_TIMER0_LINE, false);
        set_line(s, HPET_LEGACY_TIMER1_LINE, false); /* no RTC: level 0 */
    }
}

static void hpet_write_status(HPETState *s, uint32_t val)
{
    uint64_t cleared = val & s->isr;

    for (unsigned i = 0; i < s->num_timers; i++) {
        if (cleared & timer_mask(i)) {
            update_irq(&s->timer[i], false);
        }
    }
}

/* QEMU's hpet_ram_write(): one aligned 32-bit register half. */
static void hpet_write32(HPETState *s, hwaddr addr, uint32_t val)
{
    uint32_t old = hpet_read32(s, addr);

    if (addr >= HPET_TN_BASE(0)) {
        HPETTimer *t = timer_at(s, addr);

        switch (t ? (addr - HPET_TN_BASE(0)) % 0x20 : 0x18) {
        case HPET_TN_CFG:
            timer_write_config(t, old, val);
            break;
        case HPET_TN_CMP:
        case HPET_TN_CMP + 4:
            timer_write_cmp(t, addr & 4, val);
            break;
        case HPET_TN_ROUTE:
            t->fsb = set_low(t->fsb, val);
            break;
        case HPET_TN_ROUTE + 4:
            t->fsb = set_high(t->fsb, val);
            break;
        default:
            break; /* the route capability is read-only */
        }
        return;
    }
    switch (addr) {
    case HPET_CFG:
        hpet_write_config(s, old, val);
        break;
    case HPET_STATUS:
        hpet_write_status(s, val);
        break;
    case HPET_COUNTER:
        /* stored even while running, where it has no effect (QEMU) */
        s->counter = set_low(s->counter, val);
        break;
    case HPET_COUNTER + 4:
        s->counter = set_high(s->counter, val);
        break;
    default:
        break;
    }
}

static uint64_t hpet_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    HPETState *s = opaque;
    uint32_t val;

    (void)size; /* always 4 (ops) */
    g_rec_mutex_lock(&s->lock);
    val = addr < HPET_TN_WINDOW_END ? hpet_read32(s, addr) : 0;
    g_rec_mutex_unlock(&s->lock);
    return val;
}

static void hpet_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    HPETState *s = opaque;

    (void)size;
    g_rec_mutex_lock(&s->lock);
    if (addr < HPET_TN_WINDOW_END) {
        hpet_write32(s, addr, (uint32_t)val);
    }
    g_rec_mutex_unlock(&s->lock);
}

/*
 * QEMU 7.2 hpet_ram_ops: valid min = max = 4, so narrower accesses are
 * refused and an 8-byte typed access fails (8-byte support came in 9.1).
 * Little endian: QEMU 7.2 says native, which on x86 is little.
 */
static const MemoryRegionOps hpet_ops = {
    .read = hpet_mmio_read,
    .write = hpet_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 4, .max_access_size = 4},
    .impl = {.min_access_size = 4, .max_access_size = 4},
};

/* ---- life cycle --------------------------------------------------- */

static void hpet_reset_locked(HPETState *s)
{
    for (unsigned i = 0; i < s->num_timers; i++) {
        HPETTimer *t = &s->timer[i];

        hpet_del_timer(t);
        t->cmp = UINT64_MAX;
        t->config = HPET_TN_CFG_CAPS | (uint64_t)s->intcap << 32;
        t->period = 0;
        t->wrap_flag = false;
    }
    s->counter = 0;
    s->offset = 0;
    s->config = 0;
}

static void hpet_release(MemoryOwner *owner)
{
    HPETState *s =
        (HPETState *)(void *)((char *)owner - offsetof(HPETState, owner));

    memory_region_finalize(&s->mmio);
    g_rec_mutex_clear(&s->lock);
    g_free(s);
}

HPETState *hpet_new(VClock *clk, unsigned num_timers, GError **errp)
{
    HPETState *s;

    if (!clk || num_timers < HPET_MIN_TIMERS || num_timers > HPET_MAX_TIMERS) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "hpet: need a clock and %u to %u timers (got %u)",
                            HPET_MIN_TIMERS, HPET_MAX_TIMERS, num_timers);
        return NULL;
    }
    s = g_new0(HPETState, 1);
    s->clk = clk;
    s->num_timers = num_timers;
    s->intcap = HPET_DEFAULT_INTCAP;
    s->capability = (uint64_t)HPET_CLK_PERIOD_FS << 32 | HPET_ID_VENDOR_INTEL |
                    HPET_ID_LEG_RT_CAP | HPET_ID_COUNT_SIZE_CAP |
                    (num_timers - 1) << HPET_ID_NUM_TIM_SHIFT | HPET_ID_REV;
    for (unsigned i = 0; i < G_N_ELEMENTS(s->timer); i++) {
        s->timer[i].s = s;
        s->timer[i].tn = i;
        vclock_timer_init(&s->timer[i].vt, clk, timer_expired, &s->timer[i]);
    }
    g_rec_mutex_init(&s->lock);
    if (!memory_region_init_io(&s->mmio, &s->owner, &hpet_ops, s, "hpet",
                               HPET_MMIO_SIZE, errp)) {
        g_rec_mutex_clear(&s->lock);
        g_free(s);
        return NULL;
    }
    memory_region_set_lock(&s->mmio, &s->lock);
    memory_owner_init(&s->owner, "hpet", hpet_release);
    hpet_reset_locked(s);
    return s;
}

MemoryRegion *hpet_mmio(HPETState *s)
{
    return &s->mmio;
}

void hpet_set_irq_handler(HPETState *s, HPETIrqHandler fn, void *opaque)
{
    g_rec_mutex_lock(&s->lock);
    if (!s->detached) {
        s->irq_fn = fn;
        s->irq_opaque = opaque;
    }
    g_rec_mutex_unlock(&s->lock);
}

void hpet_set_compat(HPETState *s, HPETCompat compat)
{
    g_rec_mutex_lock(&s->lock);
    s->compat = compat;
    g_rec_mutex_unlock(&s->lock);
}

HPETCompat hpet_get_compat(HPETState *s)
{
    HPETCompat compat;

    g_rec_mutex_lock(&s->lock);
    compat = s->compat;
    g_rec_mutex_unlock(&s->lock);
    return compat;
}

static const char *const compat_names[] = {
    [HPET_COMPAT_DEFAULT] = "default",
    [HPET_COMPAT_QEMU_7_2] = "qemu-7.2",
};

bool hpet_compat_parse(const char *name, HPETCompat *compat, GError **errp)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(compat_names); i++) {
        if (name && strcmp(name, compat_names[i]) == 0) {
            *compat = (HPETCompat)i;
            return true;
        }
    }
    addrspace_error_set(
        errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
        "hpet: compat must be 'default' or 'qemu-7.2' (got '%s')",
        name ? name : "(null)");
    return false;
}

const char *hpet_compat_name(HPETCompat compat)
{
    return (unsigned)compat < G_N_ELEMENTS(compat_names) ? compat_names[compat]
                                                         : "?";
}

void hpet_set_fsb_address_space(HPETState *s, AddressSpace *as)
{
    g_rec_mutex_lock(&s->lock);
    s->fsb_as = as;
    g_rec_mutex_unlock(&s->lock);
}

void hpet_set_intcap(HPETState *s, uint32_t intcap)
{
    g_rec_mutex_lock(&s->lock);
    s->intcap = intcap;
    for (unsigned i = 0; i < s->num_timers; i++) {
        s->timer[i].config = set_high(s->timer[i].config, intcap);
    }
    g_rec_mutex_unlock(&s->lock);
}

GVariant *hpet_save_state(HPETState *s)
{
    GVariantBuilder timers;
    int64_t now;
    GVariant *v;

    g_rec_mutex_lock(&s->lock);
    now = now_ns(s);
    g_variant_builder_init(&timers, G_VARIANT_TYPE("a(ttttbx)"));
    for (unsigned i = 0; i < HPET_MAX_TIMERS; i++) {
        HPETTimer *t = &s->timer[i];
        int64_t deadline = t->armed ? vclock_timer_deadline(&t->vt) : -1;

        g_variant_builder_add(&timers, "(ttttbx)", t->config, t->cmp, t->fsb,
                              t->period, (gboolean)t->wrap_flag,
                              deadline < 0     ? (int64_t)-1
                              : deadline < now ? (int64_t)0
                                               : deadline - now);
    }
    /* the offset relative to now: the counter goes on from the same
     * fraction of a tick wherever the state is restored */
    v = g_variant_new(HPET_STATE_TYPE, s->config, s->isr, s->counter,
                      (uint64_t)now + s->offset, s->lines_high, &timers);
    g_rec_mutex_unlock(&s->lock);
    return v;
}

/*
 * A state's serialised form, read in place (a restore runs once per
 * fuzzing input; g_variant_get() makes a child value per field). By
 * GVariant's rules each member sits at its alignment: the four t at 0 to
 * 24, the u at 32, the array (the last member, so no framing offset) at
 * 40; an element "(ttttbx)" is fixed-size, 48 bytes: the t at 0 to 24,
 * the b at 32, the x at 40. A state in normal form has exactly
 * HPET_MAX_TIMERS elements.
 */
enum {
    STATE_CONFIG = 0,
    STATE_ISR = 8,
    STATE_COUNTER = 16,
    STATE_REL = 24,
    STATE_LINES = 32,
    STATE_TIMERS = 40,
    TIMER_STATE_CONFIG = 0,
    TIMER_STATE_CMP = 8,
    TIMER_STATE_FSB = 16,
    TIMER_STATE_PERIOD = 24,
    TIMER_STATE_WRAP = 32,
    TIMER_STATE_LEFT = 40,
    TIMER_STATE_SIZE = 48,
};

static uint64_t state_u64(const uint8_t *p, size_t offset)
{
    uint64_t v;

    memcpy(&v, p + offset, sizeof(v));
    return v;
}

bool hpet_restore_state(HPETState *s, GVariant *state, GError **errp)
{
    const uint8_t *data, *ts;
    uint64_t config, isr, counter, rel;
    uint32_t lines, changed;
    gsize size;
    int64_t now;

    if (!g_variant_is_of_type(state, G_VARIANT_TYPE(HPET_STATE_TYPE))) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "hpet: a state of type %s is not an HPET's",
                            g_variant_get_type_string(state));
        return false;
    }
    size = g_variant_get_size(state);
    if (size != STATE_TIMERS + (gsize)HPET_MAX_TIMERS * TIMER_STATE_SIZE) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "hpet: the state is not in normal form with %u "
                            "timers (%zu bytes)",
                            HPET_MAX_TIMERS, (size_t)size);
        return false;
    }
    data = g_variant_get_data(state);
    config = state_u64(data, STATE_CONFIG);
    isr = state_u64(data, STATE_ISR);
    counter = state_u64(data, STATE_COUNTER);
    rel = state_u64(data, STATE_REL);
    memcpy(&lines, data + STATE_LINES, sizeof(lines));
    ts = data + STATE_TIMERS;
    g_rec_mutex_lock(&s->lock);
    if (s->detached) {
        g_rec_mutex_unlock(&s->lock);
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "hpet: the device is being freed");
        return false;
    }
    now = now_ns(s);
    s->config = config;
    s->isr = isr;
    s->counter = counter;
    s->offset = rel - (uint64_t)now;
    /* the guest reaches timer num_timers at most: the rest never change */
    for (unsigned i = 0; i <= s->num_timers && i < HPET_MAX_TIMERS; i++) {
        HPETTimer *t = &s->timer[i];
        const uint8_t *saved = ts + (size_t)i * TIMER_STATE_SIZE;
        int64_t left = (int64_t)state_u64(saved, TIMER_STATE_LEFT);

        t->config = state_u64(saved, TIMER_STATE_CONFIG);
        t->cmp = state_u64(saved, TIMER_STATE_CMP);
        t->fsb = state_u64(saved, TIMER_STATE_FSB);
        t->period = state_u64(saved, TIMER_STATE_PERIOD);
        t->wrap_flag = saved[TIMER_STATE_WRAP] != 0;
        if (left >= 0 && i < s->num_timers) {
            timer_arm_at(t, left > INT64_MAX - now ? INT64_MAX : now + left);
        } else {
            timer_disarm(t);
        }
    }
    /* the lines as they were: changes are reported like any setting */
    changed = lines ^ s->lines_high;
    for (unsigned line = 0; line < HPET_NUM_IRQ_LINES; line++) {
        if (changed & (1u << line)) {
            set_line(s, line, lines & (1u << line));
        }
    }
    g_rec_mutex_unlock(&s->lock);
    return true;
}

void hpet_reset(HPETState *s)
{
    g_rec_mutex_lock(&s->lock);
    hpet_reset_locked(s);
    g_rec_mutex_unlock(&s->lock);
}

void hpet_free(HPETState *s)
{
    if (!s) {
        return;
    }
    g_rec_mutex_lock(&s->lock);
    s->frozen_ticks = hpet_enabled(s) ? hpet_get_ticks(s) : s->counter;
    for (unsigned i = 0; i < G_N_ELEMENTS(s->timer); i++) {
        timer_disarm(&s->timer[i]);
    }
    s->detached = true;
    for (unsigned line = 0; line < HPET_NUM_IRQ_LINES; line++) {
        if (s->lines_high & (1u << line)) {
            set_line(s, line, false);
        }
    }
    s->irq_fn = NULL;
    s->fsb_as = NULL;
    g_rec_mutex_unlock(&s->lock);
    /* a callback already taken by the clock sees !armed and returns */
    for (unsigned i = 0; i < G_N_ELEMENTS(s->timer); i++) {
        vclock_timer_del_sync(&s->timer[i].vt);
    }
    memory_owner_unref(&s->owner);
}
