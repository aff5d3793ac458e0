/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the HPET model (hw-test-devices/hpet.c), driven as a guest
 * drives it: the device is mapped at 0xfed00000 in an AddressSpace and
 * accessed with address_space_ldl_le/stl_le/read/write, time moves with
 * vclock_step(), and the interrupt lines are logged as "+<line>@<ns>" and
 * "-<line>@<ns>".
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "hpet.h"

#define ATTRS       MEMTXATTRS_UNSPECIFIED
#define TN(n, reg)  (HPET_TN_BASE(n) + (reg))
#define ROUTE(line) ((uint32_t)(line) << HPET_TN_INT_ROUTE_SHIFT)
#define CAPS        0x30u /* periodic-capable | 64-bit-capable */

typedef struct Fixture {
    VClock *clk;
    HPETState *hpet;
    MemoryRegion root;
    AddressSpace as;
    bool level[HPET_NUM_IRQ_LINES];
    unsigned rises[HPET_NUM_IRQ_LINES];
    GString *log;
} Fixture;

static void irq_handler(void *opaque, unsigned line, bool level)
{
    Fixture *f = opaque;

    g_assert_cmpuint(line, <, HPET_NUM_IRQ_LINES);
    g_assert_true(f->level[line] != level); /* every call is a change */
    f->level[line] = level;
    f->rises[line] += level;
    g_string_append_printf(f->log, "%c%u@%" G_GINT64_FORMAT " ",
                           level ? '+' : '-', line, vclock_now_ns(f->clk));
}

static void setup(Fixture *f, gconstpointer data)
{
    unsigned num_timers = data ? GPOINTER_TO_UINT(data) : HPET_MIN_TIMERS;
    GError *err = NULL;

    memset(f, 0, sizeof(*f));
    f->log = g_string_new("");
    f->clk = vclock_new();
    f->hpet = hpet_new(f->clk, num_timers, &err);
    g_assert_no_error(err);
    hpet_set_irq_handler(f->hpet, irq_handler, f);
    g_assert_true(
        memory_region_init(&f->root, NULL, "system", UINT64_MAX, &err));
    g_assert_true(memory_region_add_subregion(&f->root, HPET_BASE_ADDR,
                                              hpet_mmio(f->hpet), &err));
    g_assert_true(address_space_init(&f->as, &f->root, "memory", &err));
    g_assert_no_error(err);
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    address_space_destroy(&f->as);
    hpet_free(f->hpet); /* no-op when a test freed it already */
    drain_call_rcu();
    memory_region_finalize(&f->root); /* drops the tree's reference */
    drain_call_rcu();
    vclock_free(f->clk);
    g_string_free(f->log, TRUE);
}

static uint32_t rd32(Fixture *f, hwaddr offset)
{
    MemTxResult res = ~0u;
    uint32_t v =
        address_space_ldl_le(&f->as, HPET_BASE_ADDR + offset, ATTRS, &res);

    g_assert_cmpuint(res, ==, MEMTX_OK);
    return v;
}

static void wr32(Fixture *f, hwaddr offset, uint32_t v)
{
    MemTxResult res = ~0u;

    address_space_stl_le(&f->as, HPET_BASE_ADDR + offset, v, ATTRS, &res);
    g_assert_cmpuint(res, ==, MEMTX_OK);
}

/* An 8-byte buffer access: the bus splits it into two 4-byte accesses. */
static uint64_t rd64(Fixture *f, hwaddr offset)
{
    uint8_t buf[8];
    uint64_t v = 0;

    g_assert_cmpuint(address_space_read(&f->as, HPET_BASE_ADDR + offset, ATTRS,
                                        buf, sizeof(buf)),
                     ==, MEMTX_OK);
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | buf[i];
    }
    return v;
}

static void wr64(Fixture *f, hwaddr offset, uint64_t v)
{
    uint8_t buf[8];

    for (int i = 0; i < 8; i++) {
        buf[i] = (uint8_t)(v >> (8 * i));
    }
    g_assert_cmpuint(address_space_write(&f->as, HPET_BASE_ADDR + offset, ATTRS,
                                         buf, sizeof(buf)),
                     ==, MEMTX_OK);
}

static void step(Fixture *f, int64_t ns)
{
    vclock_step(f->clk, ns);
}

static void enable(Fixture *f, uint32_t cfg)
{
    wr32(f, HPET_CFG, HPET_CFG_ENABLE | cfg);
}

/* ---- reset values ------------------------------------------------- */

static void test_reset_capabilities(Fixture *f, gconstpointer data)
{
    (void)data;
    g_assert_cmphex(rd32(f, HPET_ID), ==, 0x8086a201);
    g_assert_cmphex(rd32(f, HPET_PERIOD), ==, 0x00989680); /* 10^7 fs */
    g_assert_cmphex(rd64(f, HPET_ID), ==, 0x009896808086a201ull);
}

static void test_reset_capabilities_32_timers(Fixture *f, gconstpointer data)
{
    (void)data;
    /* NUM_TIM_CAP is the last timer's number */
    g_assert_cmphex(rd32(f, HPET_ID), ==, 0x8086bf01);
    g_assert_cmphex(rd32(f, TN(23, HPET_TN_CFG)), ==, CAPS);
}

static void test_reset_registers(Fixture *f, gconstpointer data)
{
    (void)data;
    g_assert_cmphex(rd64(f, HPET_CFG), ==, 0);
    g_assert_cmphex(rd64(f, HPET_STATUS), ==, 0);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0);
    for (unsigned n = 0; n < 3; n++) {
        g_assert_cmphex(rd32(f, TN(n, HPET_TN_CFG)), ==, CAPS);
        g_assert_cmphex(rd32(f, TN(n, HPET_TN_CFG) + 4), ==,
                        HPET_DEFAULT_INTCAP);
        g_assert_cmphex(rd64(f, TN(n, HPET_TN_CMP)), ==, UINT64_MAX);
        g_assert_cmphex(rd64(f, TN(n, HPET_TN_ROUTE)), ==, 0);
        g_assert_cmphex(rd64(f, TN(n, 0x18)), ==, 0);
    }
    /* reserved space reads 0 */
    g_assert_cmphex(rd64(f, 0x008), ==, 0);
    g_assert_cmphex(rd64(f, 0x018), ==, 0);
    g_assert_cmphex(rd64(f, 0x028), ==, 0);
    g_assert_cmphex(rd64(f, 0x0e8), ==, 0);
    g_assert_cmphex(rd64(f, 0x0f8), ==, 0);
    g_assert_cmphex(rd64(f, 0x3f8), ==, 0);
}

static void test_reset_restores(Fixture *f, gconstpointer data)
{
    (void)data;
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(2));
    wr64(f, TN(0, HPET_TN_CMP), 10);
    wr32(f, TN(0, HPET_TN_ROUTE), 0x1234);
    enable(f, HPET_CFG_LEGACY);
    step(f, 200);
    g_assert_true(f->level[0]);
    hpet_reset(f->hpet);
    g_assert_false(f->level[0]); /* the raised line was lowered */
    g_assert_cmphex(rd32(f, HPET_CFG), ==, 0);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 0);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0);
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==, CAPS);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, UINT64_MAX);
    /* QEMU's reset leaves the FSB route register alone */
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_ROUTE)), ==, 0x1234);
    step(f, 1000000);
    g_assert_cmpstr(f->log->str, ==, "+0@100 -0@200 ");
}

static void test_new_rejects_bad_counts(void)
{
    VClock *clk = vclock_new();
    GError *err = NULL;

    g_assert_null(hpet_new(clk, 2, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(hpet_new(clk, HPET_MAX_TIMERS + 1, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(hpet_new(NULL, 3, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    vclock_free(clk);
}

/* ---- read-only bits ----------------------------------------------- */

static void test_readonly_general(Fixture *f, gconstpointer data)
{
    (void)data;
    wr32(f, HPET_ID, 0xffffffff);
    wr32(f, HPET_PERIOD, 0xffffffff);
    g_assert_cmphex(rd64(f, HPET_ID), ==, 0x009896808086a201ull);
    /* only ENABLE_CNF and LEG_RT_CNF are writable */
    wr32(f, HPET_CFG + 4, 0xffffffff);
    g_assert_cmphex(rd64(f, HPET_CFG), ==, 0);
    wr32(f, HPET_CFG, 0xfffffffc);
    g_assert_cmphex(rd64(f, HPET_CFG), ==, 0);
    wr32(f, HPET_CFG, 0xffffffff);
    g_assert_cmphex(rd64(f, HPET_CFG), ==, 3);
    wr32(f, HPET_CFG, 0);
    /* status bits are only set by the hardware */
    wr32(f, HPET_STATUS, 0xffffffff);
    wr32(f, HPET_STATUS + 4, 0xffffffff);
    g_assert_cmphex(rd64(f, HPET_STATUS), ==, 0);
    wr32(f, 0x008, 0xffffffff);
    wr32(f, 0x0f8, 0xffffffff);
    g_assert_cmphex(rd32(f, 0x008), ==, 0);
    g_assert_cmphex(rd32(f, 0x0f8), ==, 0);
    g_assert_cmpstr(f->log->str, ==, "");
}

static void test_readonly_timer_config(Fixture *f, gconstpointer data)
{
    (void)data;
    wr32(f, TN(1, HPET_TN_CFG) + 4, 0);
    g_assert_cmphex(rd32(f, TN(1, HPET_TN_CFG) + 4), ==, HPET_DEFAULT_INTCAP);
    /*
     * Writable: level, enable, periodic, val-set, 32-bit, route (31 is
     * not in the capability, so it stays 0). Read-only: bit 0, the caps
     * (read 1), bit 7, FSB enable and capability (0), bits 16-31.
     */
    wr32(f, TN(1, HPET_TN_CFG), 0xffffffff);
    g_assert_cmphex(rd32(f, TN(1, HPET_TN_CFG)), ==,
                    CAPS | HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE |
                        HPET_TN_PERIODIC | HPET_TN_SETVAL | HPET_TN_32BIT);
    wr32(f, TN(1, HPET_TN_CFG), 0);
    g_assert_cmphex(rd32(f, TN(1, HPET_TN_CFG)), ==, CAPS);
    g_assert_cmphex(rd32(f, TN(1, HPET_TN_CFG) + 4), ==, HPET_DEFAULT_INTCAP);
}

static void test_readonly_route_needs_capability(Fixture *f, gconstpointer d)
{
    (void)d;
    wr32(f, TN(0, HPET_TN_CFG), ROUTE(2));
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==, CAPS | ROUTE(2));
    wr32(f, TN(0, HPET_TN_CFG), ROUTE(16)); /* not in 0x4: ignored */
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==, CAPS | ROUTE(2));
    hpet_set_intcap(f->hpet, 0x00ff0104); /* q35's */
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG) + 4), ==, 0x00ff0104);
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==, CAPS | ROUTE(2));
    wr32(f, TN(0, HPET_TN_CFG), ROUTE(16));
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==, CAPS | ROUTE(16));
}

static void test_readonly_reserved_timer(Fixture *f, gconstpointer data)
{
    (void)data;
    /* timer 3 of a 3-timer block does not exist (QEMU 7.2 decodes it) */
    enable(f, 0);
    wr32(f, TN(3, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
    wr32(f, TN(3, HPET_TN_CMP), 5);
    wr32(f, TN(3, HPET_TN_ROUTE), 5);
    g_assert_cmphex(rd64(f, TN(3, HPET_TN_CFG)), ==, 0);
    g_assert_cmphex(rd64(f, TN(3, HPET_TN_CMP)), ==, 0);
    g_assert_cmphex(rd64(f, TN(3, HPET_TN_ROUTE)), ==, 0);
    g_assert_cmphex(rd64(f, TN(23, HPET_TN_CFG)), ==, 0);
    step(f, 1000);
    g_assert_cmpstr(f->log->str, ==, "");
}

/* ---- main counter ------------------------------------------------- */

static void test_counter_halted_at_reset(Fixture *f, gconstpointer data)
{
    (void)data;
    step(f, 123456);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0);
}

static void test_counter_ticks_at_100mhz(Fixture *f, gconstpointer data)
{
    (void)data;
    step(f, 777); /* time before the enable does not count */
    enable(f, 0);
    step(f, 1000);
    g_assert_cmpuint(rd32(f, HPET_COUNTER), ==, 100);
    step(f, 5);
    g_assert_cmpuint(rd32(f, HPET_COUNTER), ==, 100);
    step(f, 5);
    g_assert_cmpuint(rd32(f, HPET_COUNTER), ==, 101);
    g_assert_cmpuint(rd32(f, HPET_COUNTER + 4), ==, 0);
    g_assert_cmpuint(rd64(f, HPET_COUNTER), ==, 101);
}

static void test_counter_halt_freezes(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    step(f, 2345);
    wr32(f, HPET_CFG, 0);
    g_assert_cmpuint(rd64(f, HPET_COUNTER), ==, 234);
    step(f, 100000);
    g_assert_cmpuint(rd64(f, HPET_COUNTER), ==, 234);
    enable(f, 0); /* resumes from the frozen value */
    step(f, 100);
    g_assert_cmpuint(rd64(f, HPET_COUNTER), ==, 244);
}

static void test_counter_writable_when_halted(Fixture *f, gconstpointer data)
{
    (void)data;
    wr32(f, HPET_COUNTER, 0x12345678);
    wr32(f, HPET_COUNTER + 4, 0x9);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x912345678ull);
    enable(f, 0);
    step(f, 30);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x91234567bull);
    wr32(f, HPET_COUNTER, 0); /* ignored while running */
    wr32(f, HPET_COUNTER + 4, 0);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x91234567bull);
    wr32(f, HPET_CFG, 0);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x91234567bull);
}

static void test_counter_carries_into_high_half(Fixture *f, gconstpointer d)
{
    (void)d;
    wr64(f, HPET_COUNTER, 0xfffffffeull);
    enable(f, 0);
    step(f, 50);
    g_assert_cmphex(rd32(f, HPET_COUNTER), ==, 3);
    g_assert_cmphex(rd32(f, HPET_COUNTER + 4), ==, 1);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x100000003ull);
}

/* ---- one-shot ----------------------------------------------------- */

static void test_oneshot_fires_at_match(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
    wr64(f, TN(0, HPET_TN_CMP), 100);
    step(f, 999);
    g_assert_cmpstr(f->log->str, ==, "");
    step(f, 1);
    g_assert_cmpstr(f->log->str, ==, "+2@1000 -2@1000 ");
    step(f, 1000000); /* once */
    g_assert_cmpuint(f->rises[2], ==, 1);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 100);
}

static void test_oneshot_counts_from_enable(Fixture *f, gconstpointer data)
{
    (void)data;
    wr32(f, TN(1, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
    wr32(f, TN(1, HPET_TN_CMP), 50);
    wr32(f, TN(1, HPET_TN_CMP) + 4, 0);
    step(f, 10000); /* halted: nothing */
    g_assert_cmpstr(f->log->str, ==, "");
    enable(f, 0);
    step(f, 1000);
    g_assert_cmpstr(f->log->str, ==, "+2@10500 -2@10500 ");
}

static void test_oneshot_passed_comparator(Fixture *f, gconstpointer data)
{
    (void)data;
    /* the reset comparator (all ones) never matches: QEMU 7.2 fired it
     * one tick after the enable */
    enable(f, 0);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
    step(f, 1000);
    /* the counter must become equal to the comparator: one it has reached
     * or passed matches only after the 64-bit counter wraps, never */
    wr64(f, TN(0, HPET_TN_CMP), 100);
    step(f, 1000000);
    wr64(f, TN(0, HPET_TN_CMP), 50);
    step(f, 1000000);
    g_assert_cmpstr(f->log->str, ==, "");
}

static void test_oneshot_status_without_enable(Fixture *f, gconstpointer d)
{
    (void)d;
    /* the timer runs with its interrupt disabled: status is set */
    enable(f, 0);
    wr32(f, TN(2, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | ROUTE(2));
    wr64(f, TN(2, HPET_TN_CMP), 10);
    step(f, 100);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1u << 2);
    g_assert_cmpstr(f->log->str, ==, "");
    /* enabling the interrupt with the status set raises the line */
    wr32(f, TN(2, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(2));
    g_assert_cmpstr(f->log->str, ==, "+2@100 ");
}

/* ---- periodic ----------------------------------------------------- */

/* Timer @n: comparator @first (set in one-shot mode), then periodic. */
static void arm_periodic(Fixture *f, unsigned n, uint32_t cfg, uint64_t first,
                         uint64_t period)
{
    wr32(f, TN(n, HPET_TN_CFG), cfg);
    wr64(f, TN(n, HPET_TN_CMP), first);
    wr32(f, TN(n, HPET_TN_CFG), cfg | HPET_TN_PERIODIC);
    wr64(f, TN(n, HPET_TN_CMP), period); /* periodic: the period only */
    g_assert_cmphex(rd64(f, TN(n, HPET_TN_CMP)), ==, first);
}

static void test_periodic_rearms(Fixture *f, gconstpointer data)
{
    (void)data;
    arm_periodic(f, 0, HPET_TN_ENABLE | ROUTE(2), 100, 50);
    enable(f, 0);
    step(f, 2000);
    /* once a period (QEMU 7.2 fired one tick after each match too) */
    g_assert_cmpstr(f->log->str, ==,
                    "+2@1000 -2@1000 +2@1500 -2@1500 +2@2000 -2@2000 ");
    /* the comparator reads as the next match */
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 250);
    step(f, 499);
    g_assert_cmpuint(f->rises[2], ==, 3);
    step(f, 1);
    g_assert_cmpuint(f->rises[2], ==, 4);
}

static void test_periodic_setval_sets_accumulator(Fixture *f, gconstpointer d)
{
    (void)d;
    enable(f, 0);
    step(f, 1000); /* counter 100 */
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | HPET_TN_PERIODIC | ROUTE(2));
    /* without Tn_VAL_SET_CNF a write sets only the period: the
     * accumulator stays all ones and never matches */
    wr64(f, TN(0, HPET_TN_CMP), 20);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, UINT64_MAX);
    step(f, 10000);
    g_assert_cmpstr(f->log->str, ==, "");
    /* with it, each half of the accumulator; the bit clears itself */
    wr32(f, TN(0, HPET_TN_CFG),
         HPET_TN_ENABLE | HPET_TN_PERIODIC | HPET_TN_SETVAL | ROUTE(2));
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==,
                    CAPS | HPET_TN_ENABLE | HPET_TN_PERIODIC | HPET_TN_SETVAL |
                        ROUTE(2));
    wr32(f, TN(0, HPET_TN_CMP) + 4, 0);
    g_assert_false(rd32(f, TN(0, HPET_TN_CFG)) & HPET_TN_SETVAL);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0xffffffffull);
    wr32(f, TN(0, HPET_TN_CFG),
         HPET_TN_ENABLE | HPET_TN_PERIODIC | HPET_TN_SETVAL | ROUTE(2));
    wr32(f, TN(0, HPET_TN_CMP), 1200); /* accumulator (and period) */
    wr32(f, TN(0, HPET_TN_CMP), 20);   /* period again */
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 1200);
    step(f, 1400);
    g_assert_cmpstr(f->log->str, ==,
                    "+2@12000 -2@12000 +2@12200 -2@12200 +2@12400 -2@12400 ");
}

static void test_periodic_zero_period_fires_once(Fixture *f, gconstpointer d)
{
    (void)d;
    arm_periodic(f, 0, HPET_TN_ENABLE | ROUTE(2), 10, 0);
    enable(f, 0);
    step(f, 100000);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 ");
}

/* ---- 32-bit mode -------------------------------------------------- */

static void test_32bit_truncates_comparator(Fixture *f, gconstpointer data)
{
    (void)data;
    wr64(f, TN(0, HPET_TN_CMP), 0x123456789ull);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_32BIT);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0x23456789);
    /* the high half is ignored in 32-bit mode (QEMU 7.2 stored it) */
    wr32(f, TN(0, HPET_TN_CMP) + 4, 7);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0x23456789);
    wr32(f, TN(0, HPET_TN_CFG), 0);
    wr32(f, TN(0, HPET_TN_CMP) + 4, 7);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0x723456789ull);
}

static void test_32bit_oneshot_wrap(Fixture *f, gconstpointer data)
{
    (void)data;
    wr32(f, HPET_COUNTER, 0xfffffff0);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | HPET_TN_32BIT | ROUTE(2));
    wr32(f, TN(0, HPET_TN_CMP), 0x10);
    enable(f, 0);
    step(f, 1000);
    /* an interrupt when the low half wraps (tick 16), then the match */
    g_assert_cmpstr(f->log->str, ==, "+2@160 -2@160 +2@320 -2@320 ");
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x100000054ull);
}

static void test_32bit_passed_comparator_waits_for_wrap(Fixture *f,
                                                        gconstpointer d)
{
    (void)d;
    wr32(f, HPET_COUNTER, 0x100);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | HPET_TN_32BIT | ROUTE(2));
    wr32(f, TN(0, HPET_TN_CMP), 0x80);
    enable(f, 0);
    /* QEMU 7.2 fired it one tick later; the match is after the wrap */
    step(f, (0x100000000ll - 0x100) * 10 - 1);
    g_assert_cmpstr(f->log->str, ==, "");
    step(f, 1);
    g_assert_cmpuint(f->rises[2], ==, 1); /* the wrap */
    step(f, 0x80 * 10);
    g_assert_cmpuint(f->rises[2], ==, 2); /* the match */
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x100000080ull);
}

static void test_32bit_periodic_wraps(Fixture *f, gconstpointer data)
{
    (void)data;
    wr32(f, HPET_COUNTER, 0xffffff00);
    wr32(f, TN(0, HPET_TN_CFG),
         HPET_TN_ENABLE | HPET_TN_PERIODIC | HPET_TN_SETVAL | HPET_TN_32BIT |
             ROUTE(2));
    wr32(f, TN(0, HPET_TN_CMP), 0xffffffc0);
    wr32(f, TN(0, HPET_TN_CMP), 0x80);
    enable(f, 0);
    step(f, 0xc0 * 10);
    g_assert_cmpuint(f->rises[2], ==, 1);
    /* the accumulator wraps within 32 bits */
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0x40);
    step(f, 0x80 * 10 - 1);
    g_assert_cmpuint(f->rises[2], ==, 1);
    step(f, 1); /* no wrap interrupt in periodic mode */
    g_assert_cmpuint(f->rises[2], ==, 2);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0xc0);
}

/* ---- interrupts --------------------------------------------------- */

static void arm_level(Fixture *f, unsigned n, unsigned line, uint32_t cmp)
{
    wr32(f, TN(n, HPET_TN_CFG),
         HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(line));
    wr64(f, TN(n, HPET_TN_CMP), cmp);
}

static void test_irq_level_holds_line(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 1, 2, 10);
    step(f, 100);
    g_assert_cmpstr(f->log->str, ==, "+2@100 ");
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1u << 1);
    step(f, 100000);
    g_assert_true(f->level[2]);
    g_assert_cmpuint(f->rises[2], ==, 1);
}

static void test_irq_edge_pulses(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    wr32(f, TN(1, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
    wr64(f, TN(1, HPET_TN_CMP), 10);
    step(f, 100);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 ");
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 0); /* no status in edge mode */
}

static void test_irq_status_write_one_clears(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    wr32(f, HPET_STATUS, 0);
    wr32(f, HPET_STATUS, 1u << 1); /* not set: no effect */
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1);
    g_assert_true(f->level[2]);
    step(f, 50);
    wr32(f, HPET_STATUS, 1);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 0);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@150 ");
}

static void test_irq_level_to_edge_clears(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 0);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 ");
}

static void test_irq_disable_keeps_status(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | ROUTE(2));
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1);
    step(f, 100);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(2));
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 +2@200 ");
}

static void test_irq_halt_lowers_line(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    wr32(f, HPET_CFG, 0);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1);
    step(f, 100);
    enable(f, 0);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 +2@200 ");
}

static void test_irq_shared_level_line(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    arm_level(f, 1, 2, 20);
    step(f, 300);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 3);
    wr32(f, HPET_STATUS, 1);
    g_assert_true(f->level[2]); /* timer 1 still holds it */
    wr32(f, HPET_STATUS, 2);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@300 ");
}

/* ---- legacy replacement route ------------------------------------- */

static void test_legacy_routes(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, HPET_CFG_LEGACY);
    for (unsigned n = 0; n < 3; n++) {
        wr32(f, TN(n, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
        wr64(f, TN(n, HPET_TN_CMP), 10 * (n + 1));
    }
    step(f, 1000);
    g_assert_cmpstr(f->log->str, ==,
                    "+0@100 -0@100 +8@200 -8@200 +2@300 -2@300 ");
}

static void test_legacy_toggle_moves_line(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    enable(f, HPET_CFG_LEGACY);
    step(f, 100);
    enable(f, 0);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 +0@100 -0@200 +2@200 ");
}

/* ---- access sizes ------------------------------------------------- */

static void test_access_narrow_is_decode_error(Fixture *f, gconstpointer d)
{
    static const unsigned sizes[] = {1, 2};
    MemTxResult res;

    (void)d;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100); /* status bit 0 set */
    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        uint8_t buf[2] = {0xaa, 0xaa};

        g_assert_cmpuint(address_space_read(&f->as, HPET_BASE_ADDR + HPET_ID,
                                            ATTRS, buf, sizes[i]),
                         ==, MEMTX_DECODE_ERROR);
        g_assert_cmphex(buf[0], ==, 0);
        buf[0] = buf[1] = 0xff;
        g_assert_cmpuint(address_space_write(&f->as,
                                             HPET_BASE_ADDR + HPET_STATUS,
                                             ATTRS, buf, sizes[i]),
                         ==, MEMTX_DECODE_ERROR);
        buf[0] = buf[1] = 0;
        g_assert_cmpuint(address_space_write(&f->as, HPET_BASE_ADDR + HPET_CFG,
                                             ATTRS, buf, sizes[i]),
                         ==, MEMTX_DECODE_ERROR);
    }
    g_assert_cmphex(
        address_space_lduw_le(&f->as, HPET_BASE_ADDR + HPET_ID, ATTRS, &res),
        ==, 0);
    g_assert_cmpuint(res, ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(
        address_space_ldub(&f->as, HPET_BASE_ADDR + HPET_ID, ATTRS, &res), ==,
        0);
    g_assert_cmpuint(res, ==, MEMTX_DECODE_ERROR);
    address_space_stb(&f->as, HPET_BASE_ADDR + HPET_CFG, 0, ATTRS, &res);
    g_assert_cmpuint(res, ==, MEMTX_DECODE_ERROR);
    /* unaligned 4-byte accesses are refused too */
    address_space_ldl_le(&f->as, HPET_BASE_ADDR + HPET_ID + 2, ATTRS, &res);
    g_assert_cmpuint(res, ==, MEMTX_DECODE_ERROR);
    /* nothing changed: still enabled, status still set, line still high */
    g_assert_cmphex(rd32(f, HPET_CFG), ==, HPET_CFG_ENABLE);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1);
    g_assert_cmpstr(f->log->str, ==, "+2@100 ");
}

static void test_access_8byte_buffer_is_two_4byte(Fixture *f, gconstpointer d)
{
    (void)d;
    /* reads assemble little endian: low half at the lower address */
    wr32(f, HPET_COUNTER, 0x89abcdef);
    wr32(f, HPET_COUNTER + 4, 0x01234567);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x0123456789abcdefull);
    /*
     * The order of the halves shows in periodic mode: the low-half write
     * clears Tn_VAL_SET_CNF, so the high half then sets only the period
     * and the accumulator's high half keeps its reset value. High half
     * first would have given 0x00000005ffffffff.
     */
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_PERIODIC | HPET_TN_SETVAL);
    wr64(f, TN(0, HPET_TN_CMP), 0x0000000500000100ull);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0xffffffff00000100ull);
}

static void test_access_8byte_typed_is_decode_error(Fixture *f, gconstpointer d)
{
    MemTxResult res;

    (void)d;
    g_assert_cmphex(
        address_space_ldq_le(&f->as, HPET_BASE_ADDR + HPET_ID, ATTRS, &res), ==,
        0);
    g_assert_cmpuint(res, ==, MEMTX_DECODE_ERROR);
    address_space_stq_le(&f->as, HPET_BASE_ADDR + HPET_COUNTER, 0x55, ATTRS,
                         &res);
    g_assert_cmpuint(res, ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0);
}

/* ---- lifetime and threads ----------------------------------------- */

static void test_lifetime_free_detaches(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 100);
    arm_level(f, 1, 2, 10);
    step(f, 500); /* timer 1 holds line 2 */
    hpet_free(f->hpet);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@500 ");
    /* the clock may go: the region, still mapped, no longer uses it */
    vclock_free(f->clk);
    f->clk = vclock_new();
    g_assert_cmpuint(rd64(f, HPET_COUNTER), ==, 50);
    wr32(f, HPET_STATUS, 3);
    wr64(f, TN(0, HPET_TN_CMP), 60);
    wr32(f, HPET_CFG, 0);
    wr32(f, HPET_CFG, HPET_CFG_ENABLE);
    g_assert_cmpuint(rd64(f, HPET_COUNTER), ==, 50);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@500 ");
    f->hpet = NULL;
}

typedef struct ThreadCtx {
    Fixture *f;
    gint stop;
} ThreadCtx;

static gpointer guest_thread(gpointer opaque)
{
    ThreadCtx *c = opaque;
    uint64_t last = 0;

    rcu_register_thread();
    while (!g_atomic_int_get(&c->stop)) {
        uint64_t now = rd64(c->f, HPET_COUNTER);

        g_assert_cmpuint(now, >=, last); /* the counter never goes back */
        last = now;
        wr32(c->f, HPET_STATUS, 0x7);
        wr32(c->f, TN(1, HPET_TN_CMP), (uint32_t)now + 3);
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_threads_step_and_access(Fixture *f, gconstpointer data)
{
    ThreadCtx c = {.f = f};
    GThread *th;

    (void)data;
    arm_periodic(f, 0, HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(2), 5, 5);
    wr32(f, TN(1, HPET_TN_CFG), HPET_TN_ENABLE | HPET_TN_32BIT | ROUTE(2));
    enable(f, 0);
    th = g_thread_new("guest", guest_thread, &c);
    for (int i = 0; i < 20000; i++) {
        step(f, 7);
    }
    g_atomic_int_set(&c.stop, 1);
    g_thread_join(th);
    g_assert_cmpuint(rd64(f, HPET_COUNTER), ==, 20000 * 7 / 10);
    g_assert_cmpuint(f->rises[2], >, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, data) \
    g_test_add("/hpet/" path, Fixture, data, setup, fn, teardown)
    ADD("reset/capabilities", test_reset_capabilities, NULL);
    ADD("reset/capabilities-32-timers", test_reset_capabilities_32_timers,
        GUINT_TO_POINTER(32));
    ADD("reset/registers", test_reset_registers, NULL);
    ADD("reset/hpet-reset-restores", test_reset_restores, NULL);
    g_test_add_func("/hpet/reset/new-rejects-bad-counts",
                    test_new_rejects_bad_counts);
    ADD("readonly/general", test_readonly_general, NULL);
    ADD("readonly/timer-config", test_readonly_timer_config, NULL);
    ADD("readonly/route-needs-capability", test_readonly_route_needs_capability,
        NULL);
    ADD("readonly/reserved-timer", test_readonly_reserved_timer, NULL);
    ADD("counter/halted-at-reset", test_counter_halted_at_reset, NULL);
    ADD("counter/ticks-at-100mhz", test_counter_ticks_at_100mhz, NULL);
    ADD("counter/halt-freezes", test_counter_halt_freezes, NULL);
    ADD("counter/writable-when-halted", test_counter_writable_when_halted,
        NULL);
    ADD("counter/carries-into-high-half", test_counter_carries_into_high_half,
        NULL);
    ADD("oneshot/fires-at-match", test_oneshot_fires_at_match, NULL);
    ADD("oneshot/counts-from-enable", test_oneshot_counts_from_enable, NULL);
    ADD("oneshot/reached-comparator-never-fires",
        test_oneshot_passed_comparator, NULL);
    ADD("oneshot/status-without-interrupt-enable",
        test_oneshot_status_without_enable, NULL);
    ADD("periodic/rearms-once-a-period", test_periodic_rearms, NULL);
    ADD("periodic/setval-sets-accumulator",
        test_periodic_setval_sets_accumulator, NULL);
    ADD("periodic/zero-period-fires-once", test_periodic_zero_period_fires_once,
        NULL);
    ADD("32bit/truncates-comparator", test_32bit_truncates_comparator, NULL);
    ADD("32bit/oneshot-wrap-interrupt", test_32bit_oneshot_wrap, NULL);
    ADD("32bit/passed-comparator-waits-for-wrap",
        test_32bit_passed_comparator_waits_for_wrap, NULL);
    ADD("32bit/periodic-accumulator-wraps", test_32bit_periodic_wraps, NULL);
    ADD("irq/level-holds-line", test_irq_level_holds_line, NULL);
    ADD("irq/edge-pulses", test_irq_edge_pulses, NULL);
    ADD("irq/status-write-one-clears", test_irq_status_write_one_clears, NULL);
    ADD("irq/level-to-edge-clears-status", test_irq_level_to_edge_clears, NULL);
    ADD("irq/disable-keeps-status", test_irq_disable_keeps_status, NULL);
    ADD("irq/halt-lowers-line", test_irq_halt_lowers_line, NULL);
    ADD("irq/shared-level-line", test_irq_shared_level_line, NULL);
    ADD("legacy/routes-timer0-and-timer1", test_legacy_routes, NULL);
    ADD("legacy/toggle-moves-level-line", test_legacy_toggle_moves_line, NULL);
    ADD("access/narrow-is-decode-error", test_access_narrow_is_decode_error,
        NULL);
    ADD("access/8-byte-buffer-is-two-4-byte-low-first",
        test_access_8byte_buffer_is_two_4byte, NULL);
    ADD("access/8-byte-typed-is-decode-error",
        test_access_8byte_typed_is_decode_error, NULL);
    ADD("lifetime/free-detaches", test_lifetime_free_detaches, NULL);
    ADD("threads/step-and-access", test_threads_step_and_access, NULL);
#undef ADD
    return g_test_run();
}
