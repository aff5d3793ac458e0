/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the HPET model (hw-test-devices/hpet.c), driven as a guest
 * drives it: the device is mapped at 0xfed00000 in an AddressSpace (with 4
 * KiB of RAM at 0 for FSB deliveries) and accessed with
 * address_space_ldl_le/stl_le/read/write, time moves with vclock_step(),
 * and the interrupt lines are logged, as qtest reports them (changes
 * only), as "+<line>@<ns>" and "-<line>@<ns>".
 *
 * Most tests run the QEMU 7.2 behaviour (compat "qemu-7.2"): the expected
 * values follow QEMU 7.2.0's hw/timer/hpet.c, quirks included, and each
 * quirk is named. Tests of the default behaviour say "default" in their
 * path and show the two QEMU 9.1 changes it takes.
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "hpet.h"

#define ATTRS       MEMTXATTRS_UNSPECIFIED
#define TN(n, reg)  (HPET_TN_BASE(n) + (reg))
#define ROUTE(line) ((uint32_t)(line) << HPET_TN_INT_ROUTE_SHIFT)
#define CAPS        0x30u /* periodic-capable | 64-bit-capable */
#define RAM_SIZE    0x1000u

typedef struct Param {
    unsigned timers;
    HPETCompat compat;
    bool unobserved; /* no interrupt handler: matches may be coalesced */
} Param;

static const Param q72 = {HPET_MIN_TIMERS, HPET_COMPAT_QEMU_7_2, false};
static const Param q72_32 = {HPET_MAX_TIMERS, HPET_COMPAT_QEMU_7_2, false};
static const Param dflt = {HPET_MIN_TIMERS, HPET_COMPAT_DEFAULT, false};
static const Param q72_quiet = {HPET_MIN_TIMERS, HPET_COMPAT_QEMU_7_2, true};

typedef struct Fixture {
    VClock *clk;
    HPETState *hpet;
    MemoryRegion root;
    MemoryRegion ram;
    AddressSpace as;
    bool level[HPET_NUM_IRQ_LINES];
    unsigned rises[HPET_NUM_IRQ_LINES];
    GString *log;
} Fixture;

static void irq_handler(void *opaque, unsigned line, bool level)
{
    Fixture *f = opaque;

    g_assert_cmpuint(line, <, HPET_NUM_IRQ_LINES);
    if (f->level[line] == level) {
        return; /* QEMU sets lines without looking: report changes only */
    }
    f->level[line] = level;
    f->rises[line] += level;
    g_string_append_printf(f->log, "%c%u@%" G_GINT64_FORMAT " ",
                           level ? '+' : '-', line, vclock_now_ns(f->clk));
}

static void fixture_init(Fixture *f, const Param *p)
{
    GError *err = NULL;

    memset(f, 0, sizeof(*f));
    f->log = g_string_new("");
    f->clk = vclock_new();
    f->hpet = hpet_new(f->clk, p->timers, &err);
    g_assert_no_error(err);
    hpet_set_compat(f->hpet, p->compat);
    if (!p->unobserved) {
        hpet_set_irq_handler(f->hpet, irq_handler, f);
    }
    g_assert_true(
        memory_region_init(&f->root, NULL, "system", UINT64_MAX, &err));
    g_assert_true(memory_region_init_ram(&f->ram, NULL, "ram", RAM_SIZE, &err));
    g_assert_true(memory_region_add_subregion(&f->root, 0, &f->ram, &err));
    g_assert_true(memory_region_add_subregion(&f->root, HPET_BASE_ADDR,
                                              hpet_mmio(f->hpet), &err));
    g_assert_true(address_space_init(&f->as, &f->root, "memory", &err));
    g_assert_no_error(err);
    hpet_set_fsb_address_space(f->hpet, &f->as);
}

static void fixture_fini(Fixture *f)
{
    address_space_destroy(&f->as);
    hpet_free(f->hpet); /* no-op when a test freed it already */
    drain_call_rcu();
    memory_region_finalize(&f->root); /* drops the tree's references */
    memory_region_finalize(&f->ram);
    drain_call_rcu();
    vclock_free(f->clk);
    g_string_free(f->log, TRUE);
}

static void setup(Fixture *f, gconstpointer data)
{
    fixture_init(f, data ? data : &q72);
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    fixture_fini(f);
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

/* Timer @n: comparator @cmp first, then configuration @cfg. */
static void arm(Fixture *f, unsigned n, uint32_t cfg, uint64_t cmp)
{
    wr64(f, TN(n, HPET_TN_CMP), cmp);
    wr32(f, TN(n, HPET_TN_CFG), cfg);
}

/* Level-triggered, enabled, on @line, matching at @cmp. */
static void arm_level(Fixture *f, unsigned n, unsigned line, uint64_t cmp)
{
    arm(f, n, HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(line), cmp);
}

/*
 * Timer @n periodic with accumulator @first and period @period, written
 * with Tn_VAL_SET_CNF once per half (QEMU 7.2 clears it after each write
 * and then sets only the period's high half).
 */
static void arm_periodic(Fixture *f, unsigned n, uint32_t cfg, uint64_t first,
                         uint64_t period)
{
    uint32_t base = cfg | HPET_TN_PERIODIC;

    wr32(f, TN(n, HPET_TN_CFG), base | HPET_TN_SETVAL);
    wr32(f, TN(n, HPET_TN_CMP) + 4, (uint32_t)(first >> 32));
    wr32(f, TN(n, HPET_TN_CFG), base | HPET_TN_SETVAL);
    wr32(f, TN(n, HPET_TN_CMP), (uint32_t)first);
    wr32(f, TN(n, HPET_TN_CMP), (uint32_t)period);
    wr32(f, TN(n, HPET_TN_CMP) + 4, (uint32_t)(period >> 32));
    g_assert_cmphex(rd64(f, TN(n, HPET_TN_CMP)), ==, first);
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
    /* QEMU decodes timer 3 of 3 too: never reset, no capabilities */
    g_assert_cmphex(rd64(f, TN(3, HPET_TN_CFG)), ==, 0);
    g_assert_cmphex(rd64(f, TN(3, HPET_TN_CMP)), ==, 0);
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
    arm_level(f, 0, 2, 10);
    wr32(f, TN(0, HPET_TN_ROUTE), 0x1234);
    enable(f, HPET_CFG_LEGACY);
    step(f, 200);
    g_assert_true(f->level[0]); /* legacy route: timer 0 on line 0 */
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

static void test_reset_default_keeps_level_status(Fixture *f,
                                                  gconstpointer data)
{
    (void)data;
    arm_level(f, 0, 2, 10);
    enable(f, HPET_CFG_LEGACY);
    step(f, 200);
    /* QEMU 9.1: the reset keeps a set status bit and its line raised */
    hpet_reset(f->hpet);
    g_assert_cmphex(rd32(f, HPET_CFG), ==, 0);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1);
    g_assert_true(f->level[0]);
    wr32(f, HPET_STATUS, 1); /* lowers the line of its route now: 0 */
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

static void test_reset_q35_intcap(Fixture *f, gconstpointer data)
{
    (void)data;
    hpet_set_intcap(f->hpet, HPET_Q35_INTCAP);
    for (unsigned n = 0; n < 3; n++) {
        g_assert_cmphex(rd32(f, TN(n, HPET_TN_CFG) + 4), ==, 0x00ff0104);
        g_assert_cmphex(rd32(f, TN(n, HPET_TN_CFG)), ==, CAPS);
    }
    g_assert_cmphex(rd32(f, TN(3, HPET_TN_CFG) + 4), ==, 0);
    hpet_reset(f->hpet);
    g_assert_cmphex(rd32(f, TN(2, HPET_TN_CFG) + 4), ==, 0x00ff0104);
}

/* ---- compat property ---------------------------------------------- */

static void test_compat_names(void)
{
    HPETCompat c = HPET_COMPAT_DEFAULT;
    GError *err = NULL;

    g_assert_true(hpet_compat_parse("qemu-7.2", &c, &err));
    g_assert_cmpint(c, ==, HPET_COMPAT_QEMU_7_2);
    g_assert_true(hpet_compat_parse("default", &c, &err));
    g_assert_cmpint(c, ==, HPET_COMPAT_DEFAULT);
    g_assert_no_error(err);
    g_assert_false(hpet_compat_parse("qemu-9.1", &c, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_cmpstr(hpet_compat_name(HPET_COMPAT_QEMU_7_2), ==, "qemu-7.2");
    g_assert_cmpstr(hpet_compat_name(HPET_COMPAT_DEFAULT), ==, "default");
}

static void test_compat_setter(Fixture *f, gconstpointer data)
{
    (void)data;
    g_assert_cmpint(hpet_get_compat(f->hpet), ==, HPET_COMPAT_QEMU_7_2);
    hpet_set_compat(f->hpet, HPET_COMPAT_DEFAULT);
    g_assert_cmpint(hpet_get_compat(f->hpet), ==, HPET_COMPAT_DEFAULT);
    /* takes effect at once: the 32-bit comparator's high half */
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_32BIT);
    wr32(f, TN(0, HPET_TN_CMP) + 4, 7);
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CMP) + 4), ==, 0);
    hpet_set_compat(f->hpet, HPET_COMPAT_QEMU_7_2);
    wr32(f, TN(0, HPET_TN_CMP) + 4, 7);
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CMP) + 4), ==, 7);
}

/* ---- read-only bits and routes ------------------------------------ */

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
    /* status bits are only set by the timers */
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
     * QEMU's write mask 0x7f4e: level, enable, periodic, val-set, 32-bit,
     * the whole route and FSB enable. Read-only: bit 0, the caps (read
     * 1), bit 7, FSB capability (0), bits 16-31.
     */
    wr32(f, TN(1, HPET_TN_CFG), 0xffffffff);
    g_assert_cmphex(rd32(f, TN(1, HPET_TN_CFG)), ==, CAPS | 0x7f4e);
    wr32(f, TN(1, HPET_TN_CFG), 0);
    g_assert_cmphex(rd32(f, TN(1, HPET_TN_CFG)), ==, CAPS);
    g_assert_cmphex(rd32(f, TN(1, HPET_TN_CFG) + 4), ==, HPET_DEFAULT_INTCAP);
}

/* QEMU accepts any route: one outside the capability can be cleared again. */
static void test_route_not_limited_by_capability(Fixture *f, gconstpointer d)
{
    static const HPETCompat modes[] = {HPET_COMPAT_QEMU_7_2,
                                       HPET_COMPAT_DEFAULT};

    (void)d;
    for (unsigned i = 0; i < G_N_ELEMENTS(modes); i++) {
        hpet_set_compat(f->hpet, modes[i]);
        wr32(f, TN(0, HPET_TN_CFG), ROUTE(2));
        g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==, CAPS | ROUTE(2));
        wr32(f, TN(0, HPET_TN_CFG), ROUTE(16)); /* not in 0x4 */
        g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==, CAPS | ROUTE(16));
        wr32(f, TN(0, HPET_TN_CFG), 0); /* route 0: not in 0x4 either */
        g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==, CAPS);
    }
    /* and the timer interrupts on the route written */
    hpet_set_compat(f->hpet, HPET_COMPAT_QEMU_7_2);
    enable(f, 0);
    arm(f, 0, HPET_TN_ENABLE | ROUTE(16), 10);
    step(f, 100);
    g_assert_cmpstr(f->log->str, ==, "+16@100 -16@100 ");
}

static void test_quirk_timer_after_last(Fixture *f, gconstpointer data)
{
    (void)data;
    /*
     * QEMU checks "id > num_timers": timer 3 of a 3-timer block answers.
     * It is programmable and fires, but the status write and the counter
     * halt only handle timers 0-2, and the reset leaves it alone.
     */
    enable(f, 0);
    arm(f, 3, HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(2), 10);
    g_assert_cmphex(rd32(f, TN(3, HPET_TN_CFG)), ==, 0x406); /* no caps */
    step(f, 100);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1u << 3);
    wr32(f, HPET_STATUS, 1u << 3);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1u << 3);
    hpet_reset(f->hpet);
    g_assert_cmphex(rd32(f, TN(3, HPET_TN_CFG)), ==, 0x406);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1u << 3);
    g_assert_true(f->level[2]);
    /* timer 4 does not exist */
    wr32(f, TN(4, HPET_TN_CFG), HPET_TN_ENABLE);
    g_assert_cmphex(rd32(f, TN(4, HPET_TN_CFG)), ==, 0);
    g_assert_cmpstr(f->log->str, ==, "+2@100 ");
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
    wr32(f, HPET_COUNTER, 0); /* no effect while running */
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

static void test_counter_above_2_64_div_10(Fixture *f, gconstpointer d)
{
    (void)d;
    /*
     * QEMU keeps the running counter as an offset in ns: counter * 10
     * wraps past 2^64, so a counter above (2^64 - 1) / 10 reads back
     * wrong once enabled (0x1a00000000000000 * 10 mod 2^64, / 10).
     */
    wr64(f, HPET_COUNTER, 0x1a00000000000000ull);
    step(f, 7);
    enable(f, 0);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x0066666666666666ull);
    step(f, 100);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x0066666666666670ull);
}

/* ---- one-shot ----------------------------------------------------- */

static void test_oneshot_fires_at_match(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm(f, 0, HPET_TN_ENABLE | ROUTE(2), 100);
    step(f, 999);
    g_assert_cmpstr(f->log->str, ==, "");
    step(f, 1);
    g_assert_cmpstr(f->log->str, ==, "+2@1000 -2@1000 ");
    step(f, 1000000); /* once */
    g_assert_cmpuint(f->rises[2], ==, 1);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 100);
}

static void test_oneshot_deadline_from_write(Fixture *f, gconstpointer data)
{
    (void)data;
    /*
     * QEMU arms "now + 10 ns * ticks to go" at the write, not at the tick
     * boundary: with the counter started at 5 ns, tick 250 is reached at
     * 2505 ns but a comparator written at 2003 ns fires at 2513 ns.
     */
    step(f, 5);
    enable(f, 0);
    step(f, 1998);
    g_assert_cmpuint(rd32(f, HPET_COUNTER), ==, 199);
    arm(f, 0, HPET_TN_ENABLE | ROUTE(2), 250);
    g_assert_cmpint(vclock_next_deadline(f->clk), ==, 2513);
    step(f, 509);
    g_assert_cmpuint(rd32(f, HPET_COUNTER), ==, 250);
    g_assert_cmpstr(f->log->str, ==, "");
    step(f, 1);
    g_assert_cmpstr(f->log->str, ==, "+2@2513 -2@2513 ");
}

static void test_oneshot_counts_from_enable(Fixture *f, gconstpointer data)
{
    (void)data;
    arm(f, 1, HPET_TN_ENABLE | ROUTE(2), 50);
    step(f, 10000); /* halted: nothing */
    g_assert_cmpstr(f->log->str, ==, "");
    enable(f, 0);
    step(f, 1000);
    g_assert_cmpstr(f->log->str, ==, "+2@10500 -2@10500 ");
}

static void test_oneshot_passed_comparator(Fixture *f, gconstpointer data)
{
    (void)data;
    /* a comparator up to 2^63 ticks behind fires one tick later (QEMU) */
    enable(f, 0);
    step(f, 1000);
    arm(f, 0, HPET_TN_ENABLE | ROUTE(2), 50);
    step(f, 100);
    arm(f, 0, HPET_TN_ENABLE | ROUTE(2), 0x8000000000000000ull + 150);
    step(f, 100);
    g_assert_cmpstr(f->log->str, ==, "+2@1010 -2@1010 +2@1110 -2@1110 ");
}

static void test_oneshot_all_ones_comparator(Fixture *f, gconstpointer data)
{
    (void)data;
    /*
     * QEMU 7.2 starts a timer whose comparator is still all ones when its
     * interrupt is enabled (the comparator counts as passed: one tick),
     * but not when the counter is enabled after it.
     */
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
    enable(f, 0);
    step(f, 1000);
    g_assert_cmpstr(f->log->str, ==, "");
    wr32(f, TN(1, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(3));
    step(f, 1000);
    g_assert_cmpstr(f->log->str, ==, "+3@1010 -3@1010 ");
}

static void test_oneshot_default_all_ones(Fixture *f, gconstpointer data)
{
    (void)data;
    /* QEMU 9.1: enabling the counter starts every timer */
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
    enable(f, 0);
    step(f, 1000);
    g_assert_cmpstr(f->log->str, ==, "+2@10 -2@10 ");
}

/* ---- periodic ----------------------------------------------------- */

static void test_periodic_fires_twice(Fixture *f, gconstpointer data)
{
    (void)data;
    /*
     * QEMU moves the accumulator on only once the counter is past it: at
     * the match it re-arms for one tick later and interrupts again.
     * Later QEMU does the same (9.1 clamps the re-arm to 1 us).
     */
    arm_periodic(f, 0, HPET_TN_ENABLE | ROUTE(2), 100, 50);
    enable(f, 0);
    step(f, 2000);
    g_assert_cmpstr(f->log->str, ==,
                    "+2@1000 -2@1000 +2@1010 -2@1010 +2@1500 -2@1500 "
                    "+2@1510 -2@1510 +2@2000 -2@2000 ");
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 200);
    step(f, 10);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 250);
}

static void test_periodic_one_tick(Fixture *f, gconstpointer data)
{
    (void)data;
    arm_periodic(f, 0, HPET_TN_ENABLE | ROUTE(2), 10, 1);
    enable(f, 0);
    step(f, 150);
    g_assert_cmpuint(f->rises[2], ==, 6); /* 100, 110, ... 150 */
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 15);
}

static void test_periodic_setval(Fixture *f, gconstpointer d)
{
    (void)d;
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | HPET_TN_PERIODIC | ROUTE(2));
    /* without Tn_VAL_SET_CNF a write sets only the period */
    wr64(f, TN(0, HPET_TN_CMP), 20);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, UINT64_MAX);
    /* with it, one half of the accumulator; the bit clears itself */
    wr32(f, TN(0, HPET_TN_CFG),
         HPET_TN_ENABLE | HPET_TN_PERIODIC | HPET_TN_SETVAL | ROUTE(2));
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==,
                    CAPS | HPET_TN_ENABLE | HPET_TN_PERIODIC | HPET_TN_SETVAL |
                        ROUTE(2));
    wr32(f, TN(0, HPET_TN_CMP), 1200); /* accumulator and period */
    g_assert_false(rd32(f, TN(0, HPET_TN_CFG)) & HPET_TN_SETVAL);
    wr32(f, TN(0, HPET_TN_CMP) + 4, 0); /* the period's high half only */
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0xffffffff000004b0ull);
    wr32(f, TN(0, HPET_TN_CFG),
         HPET_TN_ENABLE | HPET_TN_PERIODIC | HPET_TN_SETVAL | ROUTE(2));
    wr32(f, TN(0, HPET_TN_CMP) + 4, 0); /* the accumulator's */
    wr32(f, TN(0, HPET_TN_CMP), 20);    /* the period */
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 1200);
    enable(f, 0);
    step(f, 12400);
    g_assert_cmpstr(f->log->str, ==,
                    "+2@12000 -2@12000 +2@12010 -2@12010 +2@12200 -2@12200 "
                    "+2@12210 -2@12210 +2@12400 -2@12400 ");
}

static void test_periodic_zero_period_fires_once(Fixture *f, gconstpointer d)
{
    (void)d;
    arm_periodic(f, 0, HPET_TN_ENABLE | ROUTE(2), 10, 0);
    enable(f, 0);
    step(f, 100000);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 ");
}

static void test_periodic_disabled_keeps_running(Fixture *f, gconstpointer d)
{
    (void)d;
    /*
     * QEMU 7.2 arms a timer on every comparator write while the counter
     * runs, enabled or not: a disabled periodic timer then runs on, its
     * accumulator moving, its matches only lowering its line.
     */
    enable(f, 0);
    step(f, 1000);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_PERIODIC | ROUTE(2));
    wr64(f, TN(0, HPET_TN_CMP), 20); /* period 20, accumulator all ones */
    step(f, 10);                     /* fires a tick later */
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 119);
    step(f, 180);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 119);
    step(f, 10);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 139);
    g_assert_cmpstr(f->log->str, ==, "");
}

static void test_periodic_32bit_period_31_bits(Fixture *f, gconstpointer d)
{
    (void)d;
    /* QEMU 7.2 keeps a 32-bit period below 2^31 */
    arm_periodic(f, 0, HPET_TN_ENABLE | HPET_TN_32BIT | ROUTE(2), 0x10,
                 0x80000040);
    enable(f, 0);
    step(f, 0x10 * 10 + 10);
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CMP)), ==, 0x50);
}

/* ---- bounded work ------------------------------------------------- */

/* A second device on its own clock, nobody receiving its lines. */
static void program_mix(Fixture *f)
{
    wr64(f, HPET_COUNTER, 0xffffff00ull);
    arm_periodic(f, 0, HPET_TN_ENABLE | ROUTE(2), 0xffffff10ull, 1);
    arm_periodic(f, 1, HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(3),
                 0xffffff20ull, 7);
    arm_periodic(f, 2, HPET_TN_ENABLE | HPET_TN_32BIT | ROUTE(4), 0xffffff30u,
                 3);
    enable(f, 0);
}

static void compare_registers(Fixture *a, Fixture *b)
{
    for (hwaddr off = 0; off < 0x180; off += 4) {
        g_assert_cmphex(rd32(a, off), ==, rd32(b, off));
    }
}

static void test_coalesce_matches_observed(Fixture *f, gconstpointer data)
{
    static const int64_t steps[] = {1, 9, 10, 155, 2000, 12345, 7, 99999};
    const Param quiet = {HPET_MIN_TIMERS, ((const Param *)data)->compat, true};
    Fixture g;

    fixture_init(&g, &quiet);
    program_mix(f);
    program_mix(&g);
    for (unsigned i = 0; i < G_N_ELEMENTS(steps); i++) {
        step(f, steps[i]);
        step(&g, steps[i]);
        compare_registers(f, &g);
        g_assert_cmpint(vclock_next_deadline(f->clk), ==,
                        vclock_next_deadline(g.clk));
        wr32(f, HPET_STATUS, 2); /* the level timer's status */
        wr32(&g, HPET_STATUS, 2);
    }
    /* every match was a callback when observed, a few when not */
    g_assert_cmpuint(vclock_callbacks_run(f->clk), >, 20000);
    g_assert_cmpuint(vclock_callbacks_run(g.clk), <, 200);
    fixture_fini(&g);
}

static void test_coalesce_unobserved_storm(Fixture *f, gconstpointer data)
{
    (void)data;
    /* issue: a 1-tick period stepped by ~11 days of virtual time */
    arm_periodic(f, 0, HPET_TN_ENABLE | HPET_TN_32BIT | ROUTE(0), 1, 1);
    enable(f, 0);
    g_assert_cmpint(vclock_step(f->clk, 1000000000000000ll), ==,
                    1000000000000000ll);
    g_assert_false(vclock_budget_exhausted(f->clk));
    g_assert_cmpuint(vclock_callbacks_run(f->clk), <, 10);
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 100000000000000ull);
    /* p = 1: the accumulator follows the counter, 32 bits wide */
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==,
                    (uint32_t)100000000000000ull);
}

static void test_coalesce_budget_stops_observed(Fixture *f, gconstpointer d)
{
    (void)d;
    vclock_set_budget(f->clk, 1000);
    arm_periodic(f, 0, HPET_TN_ENABLE | ROUTE(2), 1, 1);
    enable(f, 0);
    g_assert_cmpint(vclock_step(f->clk, 1000000000), ==, 10000);
    g_assert_true(vclock_budget_exhausted(f->clk));
    g_assert_cmpuint(f->rises[2], ==, 1000);
    g_assert_cmpint(vclock_next_deadline(f->clk), ==, 10010);
    vclock_set_budget(f->clk, 0);
    step(f, 10);
    g_assert_false(vclock_budget_exhausted(f->clk));
    g_assert_cmpuint(f->rises[2], ==, 1001);
}

static void test_coalesce_endless_loop_bounded(Fixture *f, gconstpointer d)
{
    (void)d;
    /*
     * A 32-bit timer whose period is 2^32 (a high half written in 32-bit
     * mode, which QEMU 7.2 stores): once behind, QEMU's catch-up loop adds
     * 0 forever and never interrupts. The clock's budget ends the run.
     */
    vclock_set_budget(f->clk, 100);
    arm_periodic(f, 0, HPET_TN_ENABLE | HPET_TN_32BIT | ROUTE(2), 5, 0);
    enable(f, 0);
    step(f, 50);
    g_assert_cmpstr(f->log->str, ==, "+2@50 -2@50 "); /* period 0: once */
    wr32(f, TN(0, HPET_TN_CMP) + 4, 1); /* period 2^32; re-armed */
    step(f, 1000);
    g_assert_true(vclock_budget_exhausted(f->clk));
    g_assert_cmpint(vclock_now_ns(f->clk), ==, 60);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 5);
    g_assert_cmpstr(f->log->str, ==, "+2@50 -2@50 ");
}

/* ---- 32-bit mode -------------------------------------------------- */

static void test_32bit_truncates_comparator(Fixture *f, gconstpointer data)
{
    (void)data;
    wr64(f, TN(0, HPET_TN_CMP), 0x123456789ull);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_32BIT);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0x23456789);
    /* QEMU 7.2 stores a high half written in 32-bit mode */
    wr32(f, TN(0, HPET_TN_CMP) + 4, 7);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0x723456789ull);
}

static void test_32bit_default_ignores_high(Fixture *f, gconstpointer data)
{
    (void)data;
    wr64(f, TN(0, HPET_TN_CMP), 0x123456789ull);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_32BIT);
    /* QEMU 9.1: the high half is ignored in 32-bit mode */
    wr32(f, TN(0, HPET_TN_CMP) + 4, 7);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0x23456789);
    wr32(f, TN(0, HPET_TN_CFG), 0);
    wr32(f, TN(0, HPET_TN_CMP) + 4, 7);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0x723456789ull);
}

static void test_32bit_oneshot_wrap(Fixture *f, gconstpointer data)
{
    (void)data;
    /*
     * A one-shot 32-bit timer also fires when the counter's low half
     * wraps before the match; QEMU fires that one a tick early, at low
     * half 0xffffffff (tick 15), then at the match (tick 32).
     */
    wr32(f, HPET_COUNTER, 0xfffffff0);
    arm(f, 0, HPET_TN_ENABLE | HPET_TN_32BIT | ROUTE(2), 0x10);
    enable(f, 0);
    step(f, 1000);
    g_assert_cmpstr(f->log->str, ==, "+2@150 -2@150 +2@320 -2@320 ");
    g_assert_cmphex(rd64(f, HPET_COUNTER), ==, 0x100000054ull);
}

static void test_32bit_passed_comparator(Fixture *f, gconstpointer d)
{
    (void)d;
    wr32(f, HPET_COUNTER, 0x100);
    arm(f, 0, HPET_TN_ENABLE | HPET_TN_32BIT | ROUTE(2), 0x80);
    enable(f, 0);
    /* up to 2^31 ticks behind: one tick later (QEMU) */
    step(f, 100);
    g_assert_cmpstr(f->log->str, ==, "+2@10 -2@10 ");
}

static void test_32bit_periodic_wraps(Fixture *f, gconstpointer data)
{
    (void)data;
    wr32(f, HPET_COUNTER, 0xffffff00);
    arm_periodic(f, 0, HPET_TN_ENABLE | HPET_TN_32BIT | ROUTE(2), 0xffffffc0,
                 0x80);
    enable(f, 0);
    step(f, 0xc0 * 10);
    g_assert_cmpuint(f->rises[2], ==, 1);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0xffffffc0);
    step(f, 10); /* the second interrupt moves the accumulator on */
    g_assert_cmpuint(f->rises[2], ==, 2);
    g_assert_cmphex(rd64(f, TN(0, HPET_TN_CMP)), ==, 0x40);
    step(f, 0x7f * 10 - 1);
    g_assert_cmpuint(f->rises[2], ==, 2);
    step(f, 1); /* no wrap interrupt in periodic mode */
    g_assert_cmpuint(f->rises[2], ==, 3);
}

/* ---- interrupts --------------------------------------------------- */

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
    arm(f, 1, HPET_TN_ENABLE | ROUTE(2), 10);
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

static void test_irq_level_to_edge(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    /* QEMU 7.2 leaves the status bit and the line as they are */
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1);
    g_assert_cmpstr(f->log->str, ==, "+2@100 ");
}

static void test_irq_default_level_to_edge(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    /* QEMU 9.1: switching to edge clears the status, lowers the line */
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_ENABLE | ROUTE(2));
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 0);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 ");
}

static void test_irq_status_needs_enable(Fixture *f, gconstpointer d)
{
    (void)d;
    /* QEMU 7.2: a match of a disabled level timer leaves no status */
    enable(f, 0);
    arm(f, 2, HPET_TN_TYPE_LEVEL | ROUTE(2), 10);
    step(f, 100); /* armed by the comparator write: it matches */
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 0);
    wr32(f, TN(2, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(2));
    g_assert_cmpstr(f->log->str, ==, "");
    step(f, 100); /* the enable re-armed it: a tick later, now raised */
    g_assert_cmpstr(f->log->str, ==, "+2@110 ");
}

static void test_irq_default_status_without_enable(Fixture *f, gconstpointer d)
{
    (void)d;
    /* QEMU 9.1: the timer runs with its interrupt disabled: status set */
    enable(f, 0);
    arm(f, 2, HPET_TN_TYPE_LEVEL | ROUTE(2), 10);
    step(f, 100);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1u << 2);
    g_assert_cmpstr(f->log->str, ==, "");
    /* enabling the interrupt with the status set raises the line */
    wr32(f, TN(2, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(2));
    g_assert_cmpstr(f->log->str, ==, "+2@100 ");
}

static void test_irq_disable_clears_status(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    /* QEMU 7.2: disabling the interrupt clears the status, lowers */
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | ROUTE(2));
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 0);
    step(f, 100);
    /* enabling again re-arms: the passed comparator a tick later */
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(2));
    step(f, 100);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 +2@210 ");
}

static void test_irq_default_disable_keeps_status(Fixture *f,
                                                  gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    /* QEMU 9.1: the status stays; the re-armed match lowers the line */
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | ROUTE(2));
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1);
    step(f, 100);
    wr32(f, TN(0, HPET_TN_CFG), HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | ROUTE(2));
    step(f, 100);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@110 +2@200 ");
}

static void test_irq_halt_lowers_line(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    wr32(f, HPET_CFG, 0);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 0);
    step(f, 100);
    enable(f, 0);
    step(f, 100);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 +2@210 ");
}

static void test_irq_default_halt_keeps_status(Fixture *f, gconstpointer d)
{
    (void)d;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    wr32(f, HPET_CFG, 0);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1);
    step(f, 100);
    enable(f, 0); /* raises the line of the set status again */
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@100 +2@200 ");
}

static void test_irq_shared_line_not_wired_or(Fixture *f, gconstpointer d)
{
    (void)d;
    /* QEMU keeps no line state: clearing one timer lowers a shared line */
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    arm_level(f, 1, 2, 20);
    step(f, 300);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 3);
    wr32(f, HPET_STATUS, 1);
    g_assert_false(f->level[2]); /* though timer 1's status is set */
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 2);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@300 ");
}

static void test_irq_edge_lowers_held_line(Fixture *f, gconstpointer d)
{
    (void)d;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    arm(f, 1, HPET_TN_ENABLE | ROUTE(2), 20);
    step(f, 300);
    /* the pulse (raise, lower) ends low whoever held the line */
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 1);
    g_assert_cmpstr(f->log->str, ==, "+2@100 -2@200 ");
}

static void test_irq_fsb_delivery(Fixture *f, gconstpointer data)
{
    (void)data;
    /*
     * Tn_FSB_EN_CNF is writable (QEMU's mask), although the capability
     * reads 0: a match then stores the route's low half at the address in
     * its high half, and no line moves.
     */
    wr32(f, TN(0, HPET_TN_ROUTE), 0xdeadbeef);
    wr32(f, TN(0, HPET_TN_ROUTE) + 4, 0x100);
    enable(f, 0);
    arm(f, 0, HPET_TN_FSB_ENABLE | HPET_TN_ENABLE | ROUTE(2), 10);
    g_assert_cmphex(rd32(f, TN(0, HPET_TN_CFG)), ==,
                    CAPS | HPET_TN_FSB_ENABLE | HPET_TN_ENABLE | ROUTE(2));
    step(f, 100);
    g_assert_cmphex(address_space_ldl_le(&f->as, 0x100, ATTRS, NULL), ==,
                    0xdeadbeef);
    g_assert_cmpstr(f->log->str, ==, "");
}

/* ---- legacy replacement route ------------------------------------- */

static void test_legacy_routes(Fixture *f, gconstpointer data)
{
    (void)data;
    enable(f, HPET_CFG_LEGACY);
    for (unsigned n = 0; n < 3; n++) {
        arm(f, n, HPET_TN_ENABLE | ROUTE(2), 10 * (n + 1));
    }
    step(f, 1000);
    g_assert_cmpstr(f->log->str, ==,
                    "+0@100 -0@100 +8@200 -8@200 +2@300 -2@300 ");
}

static void test_legacy_toggle_lowers_0_and_8(Fixture *f, gconstpointer d)
{
    (void)d;
    enable(f, HPET_CFG_LEGACY);
    arm_level(f, 0, 2, 10);
    arm_level(f, 1, 2, 20);
    step(f, 200);
    /* leaving legacy mode lowers lines 0 and 8; nothing moves to line 2 */
    enable(f, 0);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 3);
    step(f, 100);
    wr32(f, HPET_STATUS, 3); /* lowers the routes of now: line 2, low */
    g_assert_cmpstr(f->log->str, ==, "+0@100 +8@200 -0@200 -8@200 ");
}

static void test_legacy_keeps_raised_route(Fixture *f, gconstpointer d)
{
    (void)d;
    enable(f, 0);
    arm_level(f, 0, 2, 10);
    step(f, 100);
    /* entering legacy mode leaves line 2 raised; the status clear then
     * lowers the legacy line 0 only, and line 2 stays raised */
    enable(f, HPET_CFG_LEGACY);
    wr32(f, HPET_STATUS, 1);
    g_assert_cmphex(rd32(f, HPET_STATUS), ==, 0);
    g_assert_true(f->level[2]);
    g_assert_cmpstr(f->log->str, ==, "+2@100 ");
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

/*
 * A state with a distinct value in every field of every timer the guest
 * reaches (three, and the one past them) comes back unchanged from a
 * restore and a save: the restore reads each field where the state keeps it.
 */
static void test_state_round_trip(Fixture *f, gconstpointer data)
{
    g_autoptr(GVariant) saved = g_variant_ref_sink(hpet_save_state(f->hpet));
    g_autoptr(GVariant) again = NULL;
    g_autoptr(GVariant) timers = g_variant_get_child_value(saved, 5);
    GVariantBuilder b;
    GVariant *state;
    GError *err = NULL;

    (void)data;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a(ttttbx)"));
    for (unsigned i = 0; i < HPET_MAX_TIMERS; i++) {
        g_autoptr(GVariant) old = g_variant_get_child_value(timers, i);
        uint64_t base = 0x1000 * (i + 1);

        if (i > 3) {
            g_variant_builder_add_value(&b, old); /* never restored */
            continue;
        }
        /* timers 0 and 2 armed (one as the 32-bit wrap), 1 and 3 not */
        g_variant_builder_add(&b, "(ttttbx)", base | 0x4, base + 1, base + 2,
                              base + 3, (gboolean)(i == 2),
                              i == 3 || i % 2 ? (int64_t)-1
                                              : (int64_t)(500 + i));
    }
    state = g_variant_new(HPET_STATE_TYPE, (uint64_t)0x1, (uint64_t)0x5,
                          (uint64_t)0x123456, (uint64_t)777, (uint32_t)0, &b);
    g_variant_ref_sink(state);
    g_assert_true(hpet_restore_state(f->hpet, state, &err));
    g_assert_no_error(err);
    again = g_variant_ref_sink(hpet_save_state(f->hpet));
    if (!g_variant_equal(again, state)) {
        g_autofree char *want = g_variant_print(state, FALSE);
        g_autofree char *got = g_variant_print(again, FALSE);

        g_test_message("restored %s\nsaved %s", want, got);
    }
    g_assert_true(g_variant_equal(again, state));
    g_variant_unref(state);
    /* a state of the type but not in normal form (a byte short, or the
     * same bytes with one timer less) is refused; the device keeps its */
    for (int cut = 1; cut <= 48; cut += 47) {
        g_autoptr(GVariant) bad = g_variant_ref_sink(g_variant_new_from_data(
            G_VARIANT_TYPE(HPET_STATE_TYPE), g_variant_get_data(again),
            g_variant_get_size(again) - (gsize)cut, FALSE, NULL, NULL));
        g_autoptr(GVariant) after = NULL;

        g_assert_false(hpet_restore_state(f->hpet, bad, &err));
        g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
        g_clear_error(&err);
        after = g_variant_ref_sink(hpet_save_state(f->hpet));
        g_assert_true(g_variant_equal(after, again));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, param) \
    g_test_add("/hpet/" path, Fixture, &(param), setup, fn, teardown)
    ADD("reset/capabilities", test_reset_capabilities, q72);
    ADD("reset/capabilities-32-timers", test_reset_capabilities_32_timers,
        q72_32);
    ADD("reset/registers", test_reset_registers, q72);
    ADD("reset/hpet-reset-restores", test_reset_restores, q72);
    ADD("state/round-trip-every-field", test_state_round_trip, q72);
    ADD("reset/default-keeps-level-status",
        test_reset_default_keeps_level_status, dflt);
    g_test_add_func("/hpet/reset/new-rejects-bad-counts",
                    test_new_rejects_bad_counts);
    ADD("reset/q35-intcap", test_reset_q35_intcap, q72);
    g_test_add_func("/hpet/compat/names", test_compat_names);
    ADD("compat/setter-takes-effect", test_compat_setter, q72);
    ADD("readonly/general", test_readonly_general, q72);
    ADD("readonly/timer-config-write-mask", test_readonly_timer_config, q72);
    ADD("readonly/route-not-limited-by-capability",
        test_route_not_limited_by_capability, q72);
    ADD("quirk/timer-after-last-is-decoded", test_quirk_timer_after_last, q72);
    ADD("counter/halted-at-reset", test_counter_halted_at_reset, q72);
    ADD("counter/ticks-at-100mhz", test_counter_ticks_at_100mhz, q72);
    ADD("counter/halt-freezes", test_counter_halt_freezes, q72);
    ADD("counter/writable-when-halted", test_counter_writable_when_halted, q72);
    ADD("counter/carries-into-high-half", test_counter_carries_into_high_half,
        q72);
    ADD("counter/above-2^64-div-10-wraps", test_counter_above_2_64_div_10, q72);
    ADD("oneshot/fires-at-match", test_oneshot_fires_at_match, q72);
    ADD("oneshot/deadline-counts-from-the-write",
        test_oneshot_deadline_from_write, q72);
    ADD("oneshot/counts-from-enable", test_oneshot_counts_from_enable, q72);
    ADD("oneshot/passed-comparator-fires-a-tick-later",
        test_oneshot_passed_comparator, q72);
    ADD("oneshot/all-ones-comparator", test_oneshot_all_ones_comparator, q72);
    ADD("oneshot/default-enable-starts-all-timers",
        test_oneshot_default_all_ones, dflt);
    ADD("periodic/fires-at-match-and-a-tick-later", test_periodic_fires_twice,
        q72);
    ADD("periodic/default-fires-at-match-and-a-tick-later",
        test_periodic_fires_twice, dflt);
    ADD("periodic/one-tick-period", test_periodic_one_tick, q72);
    ADD("periodic/setval-sets-accumulator", test_periodic_setval, q72);
    ADD("periodic/zero-period-fires-once", test_periodic_zero_period_fires_once,
        q72);
    ADD("periodic/disabled-timer-keeps-running",
        test_periodic_disabled_keeps_running, q72);
    ADD("periodic/32-bit-period-below-2^31", test_periodic_32bit_period_31_bits,
        q72);
    ADD("work/coalesced-matches-equal-observed", test_coalesce_matches_observed,
        q72);
    ADD("work/default-coalesced-matches-equal-observed",
        test_coalesce_matches_observed, dflt);
    ADD("work/unobserved-one-tick-period-is-cheap",
        test_coalesce_unobserved_storm, q72_quiet);
    ADD("work/budget-stops-observed-storm", test_coalesce_budget_stops_observed,
        q72);
    ADD("work/endless-catch-up-loop-is-bounded",
        test_coalesce_endless_loop_bounded, q72);
    ADD("32bit/truncates-comparator-keeps-high-write",
        test_32bit_truncates_comparator, q72);
    ADD("32bit/default-ignores-high-write", test_32bit_default_ignores_high,
        dflt);
    ADD("32bit/oneshot-wrap-a-tick-early", test_32bit_oneshot_wrap, q72);
    ADD("32bit/passed-comparator-fires-a-tick-later",
        test_32bit_passed_comparator, q72);
    ADD("32bit/periodic-accumulator-wraps", test_32bit_periodic_wraps, q72);
    ADD("irq/level-holds-line", test_irq_level_holds_line, q72);
    ADD("irq/edge-pulses", test_irq_edge_pulses, q72);
    ADD("irq/status-write-one-clears", test_irq_status_write_one_clears, q72);
    ADD("irq/level-to-edge-keeps-status", test_irq_level_to_edge, q72);
    ADD("irq/default-level-to-edge-clears-status",
        test_irq_default_level_to_edge, dflt);
    ADD("irq/status-needs-interrupt-enable", test_irq_status_needs_enable, q72);
    ADD("irq/default-status-without-interrupt-enable",
        test_irq_default_status_without_enable, dflt);
    ADD("irq/disable-clears-status", test_irq_disable_clears_status, q72);
    ADD("irq/default-disable-keeps-status",
        test_irq_default_disable_keeps_status, dflt);
    ADD("irq/halt-lowers-line", test_irq_halt_lowers_line, q72);
    ADD("irq/default-halt-keeps-status", test_irq_default_halt_keeps_status,
        dflt);
    ADD("irq/shared-line-not-wired-or", test_irq_shared_line_not_wired_or, q72);
    ADD("irq/edge-pulse-lowers-held-line", test_irq_edge_lowers_held_line, q72);
    ADD("irq/fsb-delivery-writes-memory", test_irq_fsb_delivery, q72);
    ADD("legacy/routes-timer0-and-timer1", test_legacy_routes, q72);
    ADD("legacy/toggle-lowers-lines-0-and-8", test_legacy_toggle_lowers_0_and_8,
        q72);
    ADD("legacy/keeps-raised-route", test_legacy_keeps_raised_route, q72);
    ADD("access/narrow-is-decode-error", test_access_narrow_is_decode_error,
        q72);
    ADD("access/8-byte-buffer-is-two-4-byte-low-first",
        test_access_8byte_buffer_is_two_4byte, q72);
    ADD("access/8-byte-typed-is-decode-error",
        test_access_8byte_typed_is_decode_error, q72);
    ADD("lifetime/free-detaches", test_lifetime_free_detaches, q72);
    ADD("threads/step-and-access", test_threads_step_and_access, q72);
#undef ADD
    return g_test_run();
}
