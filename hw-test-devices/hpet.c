/* SPDX-License-Identifier: MIT */
/*
 * HPET (hpet.h), written from the IA-PC HPET specification 1.0a and what
 * QEMU 7.2's model shows a guest. Where QEMU 7.2 departs from the
 * specification in a way QEMU later recognised as a bug (most were fixed
 * in QEMU 9.1), the specification wins; each place says "QEMU 7.2: ...".
 *
 * Time: while the main counter runs, its value is counter + (now -
 * ns_base) / 10, so tick T is reached exactly at ns_base + (T - counter) *
 * 10 ns and a timer callback, run by the VClock at its deadline, reads the
 * counter value of its match.
 */
#include <stddef.h>

#include "hpet.h"

/* Configuration bits that read as 1 on every timer. */
#define HPET_TN_CFG_CAPS (HPET_TN_PERIODIC_CAP | HPET_TN_SIZE_CAP)

typedef struct HPETTimer {
    HPETState *s;
    unsigned tn;
    VClockTimer vt;
    /* guest-visible registers */
    uint64_t config; /* low: configuration; high: route capability */
    uint64_t cmp;    /* comparator; the accumulator in periodic mode */
    uint64_t fsb;    /* FSB route: stored only (no FSB capability) */
    /* hidden state */
    uint64_t period; /* periodic mode: the value last written */
    uint64_t match;  /* main counter value of the next comparator match */
    bool armed;      /* vt carries the current event (pending or firing) */
    bool wrap_next;  /* the armed event is the 32-bit wrap before match */
    bool line_high;  /* level mode: holds @line raised */
    unsigned line;
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
    uint32_t intcap;
    bool detached; /* hpet_free() ran: no clock, no interrupts */
    uint64_t config;
    uint64_t isr;
    uint64_t counter; /* halted: the main counter; running: its value at */
    int64_t ns_base;  /* this clock time */
    unsigned line_users[HPET_NUM_IRQ_LINES]; /* level timers raising each */
    HPETTimer timer[HPET_MAX_TIMERS];
};

static uint64_t deposit_half(uint64_t reg, bool high, uint32_t val)
{
    return high ? (reg & 0xffffffffu) | (uint64_t)val << 32
                : (reg & ~(uint64_t)0xffffffffu) | val;
}

static bool hpet_running(const HPETState *s)
{
    return (s->config & HPET_CFG_ENABLE) && !s->detached;
}

static uint64_t hpet_ticks(HPETState *s)
{
    if (!hpet_running(s)) {
        return s->counter;
    }
    return s->counter +
           (uint64_t)(vclock_now_ns(s->clk) - s->ns_base) / HPET_CLK_PERIOD_NS;
}

/* ---- interrupt lines ---------------------------------------------- */

static void hpet_set_line(HPETState *s, unsigned line, bool level)
{
    if (s->irq_fn) {
        s->irq_fn(s->irq_opaque, line, level);
    }
}

static unsigned timer_route(const HPETTimer *t)
{
    /* QEMU: legacy mode sends timer 0 to output 0, timer 1 to output 8 */
    if (t->tn <= 1 && (t->s->config & HPET_CFG_LEGACY)) {
        return t->tn == 0 ? HPET_LEGACY_TIMER0_LINE : HPET_LEGACY_TIMER1_LINE;
    }
    return (t->config & HPET_TN_INT_ROUTE_MASK) >> HPET_TN_INT_ROUTE_SHIFT;
}

static bool timer_irq_enabled(const HPETTimer *t)
{
    return (t->config & HPET_TN_ENABLE) && hpet_running(t->s);
}

/*
 * Make a level-triggered timer's line follow its state: raised while its
 * status bit is set and its interrupt is enabled. Lines are wired-OR
 * (level interrupts may be shared): a line falls when its last holder
 * lets go. QEMU 7.2 has no such count and lowers a shared line early.
 */
static void timer_update_line(HPETTimer *t)
{
    HPETState *s = t->s;
    bool want = (t->config & HPET_TN_TYPE_LEVEL) &&
                (s->isr & (1ull << t->tn)) && timer_irq_enabled(t);
    unsigned line = timer_route(t);

    if (t->line_high && (!want || t->line != line)) {
        t->line_high = false;
        if (--s->line_users[t->line] == 0) {
            hpet_set_line(s, t->line, false);
        }
    }
    if (want && !t->line_high) {
        t->line_high = true;
        t->line = line;
        if (s->line_users[line]++ == 0) {
            hpet_set_line(s, line, true);
        }
    }
}

/* A comparator match (or 32-bit wrap) of @t. */
static void timer_fire(HPETTimer *t)
{
    HPETState *s = t->s;
    unsigned line = timer_route(t);

    if (t->config & HPET_TN_TYPE_LEVEL) {
        /*
         * Specification: with Tn_INT_ENB_CNF clear "the timer will still
         * operate and generate appropriate status bits". QEMU 7.2 stopped
         * the timer and cleared the bit instead (fixed in QEMU 9.1).
         */
        s->isr |= 1ull << t->tn;
        timer_update_line(t);
    } else if (timer_irq_enabled(t) && s->line_users[line] == 0) {
        /* edge: a pulse; status stays 0 (QEMU). On a line a level timer
         * holds raised a pulse makes no edge. */
        hpet_set_line(s, line, true);
        hpet_set_line(s, line, false);
    }
}

/* ---- comparators -------------------------------------------------- */

static void timer_disarm(HPETTimer *t)
{
    if (!t->s->detached) {
        vclock_timer_del(&t->vt);
    }
    t->armed = false;
    t->wrap_next = false;
}

/* Arm @t's clock event for the instant the main counter reaches @tick. */
static void timer_schedule(HPETTimer *t, uint64_t tick)
{
    HPETState *s = t->s;
    uint64_t ticks = tick - s->counter; /* tick is ahead of the counter */

    if (ticks > (uint64_t)(INT64_MAX - s->ns_base) / HPET_CLK_PERIOD_NS) {
        timer_disarm(t); /* beyond the clock's range: never */
        return;
    }
    vclock_timer_mod(&t->vt,
                     s->ns_base + (int64_t)(ticks * HPET_CLK_PERIOD_NS));
    t->armed = true;
}

/*
 * Compute @t's next comparator match from the current counter and arm it.
 * Specification: the match happens when the counter becomes equal to the
 * comparator (in 32-bit mode: its low half), so a comparator the counter
 * has reached or passed matches again only after the counter wraps: 2^32
 * ticks in 32-bit mode, never in 64-bit mode. QEMU 7.2 instead treats a
 * comparator up to 2^31 (2^63) ticks behind as due and fires it one tick
 * later, so enabling a timer whose comparator is still all ones
 * interrupts after 10 ns; QEMU 9.1 follows the specification in 32-bit
 * mode.
 */
static void timer_update(HPETTimer *t)
{
    uint64_t cur;
    uint64_t match;

    if (!hpet_running(t->s)) {
        timer_disarm(t);
        return;
    }
    cur = hpet_ticks(t->s);
    t->wrap_next = false;
    if (t->config & HPET_TN_32BIT) {
        uint64_t dist = (uint32_t)((uint32_t)t->cmp - (uint32_t)cur);
        uint64_t wrap = (cur | 0xffffffffu) + 1; /* 0: past 2^64 */

        if (__builtin_add_overflow(cur, dist ? dist : 1ull << 32, &match)) {
            timer_disarm(t);
            return;
        }
        t->match = match;
        /*
         * A one-shot 32-bit timer also interrupts when the counter's low
         * half wraps before the match (QEMU, citing the specification).
         * QEMU 7.2 fires it one tick early, at low half 0xffffffff; this
         * fires at the wrap itself, as QEMU 9.1 does.
         */
        if (!(t->config & HPET_TN_PERIODIC) && wrap && wrap < match) {
            t->wrap_next = true;
            timer_schedule(t, wrap);
            return;
        }
    } else if (t->cmp > cur) {
        t->match = t->cmp;
    } else {
        timer_disarm(t);
        return;
    }
    timer_schedule(t, t->match);
}

/*
 * Periodic mode, at a match: the accumulator moves on by the period.
 * Periods missed (a late callback in real-time mode) are skipped, as in
 * QEMU. QEMU 7.2 only moves on once the counter is strictly past the
 * comparator, so under a virtual clock, where the callback runs exactly at
 * the match, it re-arms one tick later and interrupts twice a period.
 */
static void timer_next_period(HPETTimer *t)
{
    uint64_t cur = hpet_ticks(t->s);
    uint64_t next;

    if (__builtin_add_overflow(t->match, t->period, &next)) {
        timer_disarm(t);
        return;
    }
    if (next <= cur) {
        uint64_t skip;

        if (__builtin_mul_overflow((cur - next) / t->period + 1, t->period,
                                   &skip) ||
            __builtin_add_overflow(next, skip, &next)) {
            timer_disarm(t);
            return;
        }
    }
    t->match = next;
    t->cmp = (t->config & HPET_TN_32BIT) ? (uint32_t)next : next;
    timer_schedule(t, next);
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
    if (t->armed && !vclock_timer_pending(&t->vt)) {
        t->armed = false;
        if (t->wrap_next) {
            t->wrap_next = false;
            timer_schedule(t, t->match);
        } else if ((t->config & HPET_TN_PERIODIC) && t->period) {
            /* QEMU: a period of 0 makes a periodic timer fire once */
            timer_next_period(t);
        }
        timer_fire(t);
    }
    g_rec_mutex_unlock(&s->lock);
}

/* ---- registers ---------------------------------------------------- */

static void timer_write_config(HPETTimer *t, uint32_t val)
{
    HPETState *s = t->s;
    uint64_t old = t->config;
    uint64_t cfg =
        (old & ~(uint64_t)HPET_TN_WRITABLE) | (val & HPET_TN_WRITABLE);
    unsigned route = (val & HPET_TN_INT_ROUTE_MASK) >> HPET_TN_INT_ROUTE_SHIFT;

    /*
     * Specification: a route the timer cannot use "will not match what is
     * written" when read back; it is ignored. QEMU 7.2 accepts any route.
     * Likewise Tn_FSB_EN_CNF stays 0 without Tn_FSB_INT_DEL_CAP, where
     * QEMU 7.2 lets it be set and then sends the interrupts as memory
     * writes.
     */
    if (!(s->intcap & (1u << route))) {
        cfg = (cfg & ~(uint64_t)HPET_TN_INT_ROUTE_MASK) |
              (old & HPET_TN_INT_ROUTE_MASK);
    }
    t->config = cfg;
    if (cfg & HPET_TN_32BIT) {
        t->cmp = (uint32_t)t->cmp;
        t->period = (uint32_t)t->period;
    }
    if ((old & HPET_TN_TYPE_LEVEL) && !(cfg & HPET_TN_TYPE_LEVEL)) {
        /* edge mode keeps no status; QEMU 7.2 left the bit and line set */
        s->isr &= ~(1ull << t->tn);
    }
    /* enable, type or route changed; QEMU 7.2 cleared the status bit
     * when the interrupt was disabled and did not raise the line for a
     * set status bit when it was enabled again */
    timer_update_line(t);
    if ((old ^ cfg) & (HPET_TN_32BIT | HPET_TN_PERIODIC)) {
        timer_update(t);
    }
}

static void timer_write_cmp(HPETTimer *t, bool high, uint32_t val)
{
    bool periodic = t->config & HPET_TN_PERIODIC;

    if (high && (t->config & HPET_TN_32BIT)) {
        /* specification: the upper half is ignored in 32-bit mode;
         * QEMU 7.2 stored it */
        return;
    }
    /*
     * One-shot: the comparator. Periodic: the period, and with
     * Tn_VAL_SET_CNF also the accumulator, for either half. QEMU 7.2 did
     * not set the period's high half when Tn_VAL_SET_CNF was set.
     */
    if (!periodic || (t->config & HPET_TN_SETVAL)) {
        t->cmp = deposit_half(t->cmp, high, val);
    }
    if (periodic) {
        t->period = deposit_half(t->period, high, val);
    }
    t->config &= ~(uint64_t)HPET_TN_SETVAL; /* clears itself */
    timer_update(t);
}

static void hpet_write_config(HPETState *s, uint32_t val)
{
    uint64_t old = s->config;
    uint64_t cfg = val & (HPET_CFG_ENABLE | HPET_CFG_LEGACY);

    if (s->detached) {
        s->config = cfg;
        return;
    }
    if ((old & ~cfg) & HPET_CFG_ENABLE) {
        s->counter = hpet_ticks(s); /* halt */
    } else if ((cfg & ~old) & HPET_CFG_ENABLE) {
        s->ns_base = vclock_now_ns(s->clk);
    }
    s->config = cfg;
    for (unsigned i = 0; i < s->num_timers; i++) {
        if ((old ^ cfg) & HPET_CFG_ENABLE) {
            timer_update(&s->timer[i]);
        }
        timer_update_line(&s->timer[i]);
    }
}

static void hpet_write_status(HPETState *s, uint32_t val)
{
    for (unsigned i = 0; i < s->num_timers; i++) {
        if (val & s->isr & (1ull << i)) {
            s->isr &= ~(1ull << i);
            timer_update_line(&s->timer[i]);
        }
    }
}

/* The timer whose registers hold @addr, or NULL (reserved). */
static HPETTimer *hpet_timer_at(HPETState *s, hwaddr addr)
{
    hwaddr n = (addr - HPET_TN_BASE(0)) / 0x20;

    /* QEMU 7.2 checks "n > num_timers" and so also decodes the timer
     * after the last one */
    return n < s->num_timers ? &s->timer[n] : NULL;
}

/* The 64-bit register that holds @addr (8-byte aligned). */
static uint64_t hpet_read_reg(HPETState *s, hwaddr addr)
{
    if (addr >= HPET_TN_BASE(0)) {
        HPETTimer *t = hpet_timer_at(s, addr);

        switch (t ? addr & 0x18 : 0x18) {
        case HPET_TN_CFG:
            return t->config;
        case HPET_TN_CMP:
            return t->cmp;
        case HPET_TN_ROUTE:
            return t->fsb;
        default:
            return 0;
        }
    }
    switch (addr) {
    case HPET_ID:
        return s->capability;
    case HPET_CFG:
        return s->config;
    case HPET_STATUS:
        return s->isr;
    case HPET_COUNTER:
        return hpet_ticks(s);
    default:
        return 0;
    }
}

static void hpet_write_reg(HPETState *s, hwaddr addr, bool high, uint32_t val)
{
    if (addr >= HPET_TN_BASE(0)) {
        HPETTimer *t = hpet_timer_at(s, addr);

        switch (t ? addr & 0x18 : 0x18) {
        case HPET_TN_CFG:
            if (!high) { /* the high half is the route capability */
                timer_write_config(t, val);
            }
            break;
        case HPET_TN_CMP:
            timer_write_cmp(t, high, val);
            break;
        case HPET_TN_ROUTE:
            t->fsb = deposit_half(t->fsb, high, val);
            break;
        default:
            break;
        }
        return;
    }
    switch (high ? 0 : addr) { /* general registers: high halves read-only */
    case HPET_CFG:
        hpet_write_config(s, val);
        break;
    case HPET_STATUS:
        hpet_write_status(s, val);
        break;
    default:
        break;
    }
    if (addr == HPET_COUNTER && !(s->config & HPET_CFG_ENABLE)) {
        /* writable only while halted; QEMU 7.2 drops other writes too */
        s->counter = deposit_half(s->counter, high, val);
    }
}

static uint64_t hpet_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    HPETState *s = opaque;
    uint64_t val;

    (void)size; /* always 4 (ops) */
    g_rec_mutex_lock(&s->lock);
    val = (uint32_t)(hpet_read_reg(s, addr & ~(hwaddr)7) >> ((addr & 4) * 8));
    g_rec_mutex_unlock(&s->lock);
    return val;
}

static void hpet_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    HPETState *s = opaque;

    (void)size;
    g_rec_mutex_lock(&s->lock);
    hpet_write_reg(s, addr & ~(hwaddr)7, addr & 4, (uint32_t)val);
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

        timer_disarm(t);
        t->config = HPET_TN_CFG_CAPS | (uint64_t)s->intcap << 32;
        t->cmp = UINT64_MAX;
        t->period = 0;
    }
    s->config = 0;
    s->isr = 0;
    s->counter = 0;
    for (unsigned i = 0; i < s->num_timers; i++) {
        timer_update_line(&s->timer[i]);
    }
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
    for (unsigned i = 0; i < num_timers; i++) {
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

void hpet_set_intcap(HPETState *s, uint32_t intcap)
{
    g_rec_mutex_lock(&s->lock);
    s->intcap = intcap;
    for (unsigned i = 0; i < s->num_timers; i++) {
        s->timer[i].config = (uint32_t)s->timer[i].config | (uint64_t)intcap
                                                                << 32;
    }
    g_rec_mutex_unlock(&s->lock);
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
    s->counter = hpet_ticks(s); /* frozen from now on */
    for (unsigned i = 0; i < s->num_timers; i++) {
        timer_disarm(&s->timer[i]);
    }
    s->detached = true;
    for (unsigned i = 0; i < s->num_timers; i++) {
        timer_update_line(&s->timer[i]); /* lowers what is raised */
    }
    s->irq_fn = NULL;
    g_rec_mutex_unlock(&s->lock);
    /* a callback already taken by the clock sees !armed and returns */
    for (unsigned i = 0; i < s->num_timers; i++) {
        vclock_timer_del_sync(&s->timer[i].vt);
    }
    memory_owner_unref(&s->owner);
}
