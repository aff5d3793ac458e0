/* SPDX-License-Identifier: MIT */
/*
 * The built-in device types (hpet, testdev, dma-testdev, console): the
 * same registry and callbacks as a user's type (device.h).
 */
#include <errno.h>
#include <string.h>

#include "console.h"
#include "dma-testdev.h"
#include "hpet.h"
#include "machine-internal.h"
#include "testdev.h"

/* ---- hpet --------------------------------------------------------------- */

static const MachinePropInfo hpet_props[] = {
    {.name = "timers",
     .kind = MACHINE_PROP_INT,
     .help = "comparators, 3 to 32 (default 3)",
     .foreign_error = "only an hpet has timers"},
    {.name = "intcap",
     .kind = MACHINE_PROP_U64,
     .help = "route capability, non-zero, 32 bits (default 0x4, q35 "
             "0xff0104)",
     .global = true,
     .foreign_error = "only an hpet has this property"},
    {.name = "compat",
     .kind = MACHINE_PROP_STRING,
     .help = "\"default\" or \"qemu-7.2\"",
     .default_value = "default",
     .global = true,
     .foreign_error = "only an hpet has this property"},
    {0},
};

/* HPET output @line to the machine (connected while lines are observed). */
static void hpet_irq(void *opaque, unsigned line, bool level)
{
    machine_device_set_irq(opaque, line, level);
}

static void *hpet_type_realize(MachineDevice *dev, const MachineProps *props,
                               GError **errp)
{
    static const char *const compat_names[] = {"default", "qemu-7.2", NULL};
    int64_t timers = HPET_MIN_TIMERS;
    uint64_t intcap = HPET_DEFAULT_INTCAP;
    unsigned compat = HPET_COMPAT_DEFAULT;
    HPETState *h;

    if (!machine_props_get_int(props, "timers", 1, 1024, &timers, errp) ||
        !machine_props_get_u64(props, "intcap", &intcap, errp)) {
        return NULL;
    }
    if (timers < HPET_MIN_TIMERS || timers > HPET_MAX_TIMERS) {
        machine_props_error(props, errp, ADDRSPACE_ERROR_INVALID, "timers",
                            "must be %u to %u", HPET_MIN_TIMERS,
                            HPET_MAX_TIMERS);
        return NULL;
    }
    if (intcap == 0 || intcap > UINT32_MAX) {
        machine_props_error(props, errp, ADDRSPACE_ERROR_PARSE, "intcap",
                            "must be a non-zero 32-bit route capability");
        return NULL;
    }
    if (!machine_props_get_choice(props, "compat", compat_names, &compat,
                                  errp)) {
        return NULL;
    }
    h = hpet_new(machine_device_clock(dev), (unsigned)timers, errp);
    if (!h) {
        return NULL;
    }
    hpet_set_intcap(h, (uint32_t)intcap);
    hpet_set_compat(h, (HPETCompat)compat);
    if (!machine_device_add_region(dev, NULL, hpet_mmio(h), errp) ||
        !machine_device_init_irqs(dev, HPET_NUM_IRQ_LINES, errp)) {
        hpet_free(h);
        return NULL;
    }
    return h;
}

static bool hpet_type_connect(MachineDevice *dev, void *opaque,
                              const MachineProps *props, GError **errp)
{
    (void)props;
    (void)errp;
    /* QEMU: FSB messages go to address_space_memory */
    hpet_set_fsb_address_space(
        opaque,
        machine_address_space_by_id(machine_device_get_machine(dev), NULL));
    return true;
}

static void hpet_type_reset(MachineDevice *dev, void *opaque)
{
    (void)dev;
    hpet_reset(opaque);
}

/* "hpet.intcap" value: a C integer (0x prefix allowed), 32 bits. */
static bool parse_intcap(const char *text, uint32_t *intcap, GError **errp)
{
    char *end = NULL;
    guint64 v = 0;

    if (g_ascii_isdigit(text[0])) {
        errno = 0;
        v = g_ascii_strtoull(text, &end, 0);
    }
    if (!end || *end || errno || v > UINT32_MAX) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "hpet.intcap: '%s' is not a 32-bit number", text);
        return false;
    }
    *intcap = (uint32_t)v;
    return true;
}

static bool hpet_type_set_global(MachineDevice *dev, void *opaque,
                                 const char *prop, const char *value,
                                 GError **errp)
{
    HPETCompat compat;
    uint32_t intcap;

    if (strcmp(prop, "compat") == 0) {
        if (!hpet_compat_parse(value, &compat, errp)) {
            return false;
        }
        hpet_set_compat(opaque, compat);
        machine_props_set_string(machine_device_props(dev), "compat",
                                 hpet_compat_name(compat));
        return true;
    }
    if (!parse_intcap(value, &intcap, errp)) {
        return false;
    }
    /* QEMU's pc machines read the property into a uint8_t and use their
     * own value when that is 0. */
    if ((uint8_t)intcap != 0) {
        hpet_set_intcap(opaque, intcap);
        machine_props_set_u64(machine_device_props(dev), "intcap", intcap);
    }
    return true;
}

static void hpet_type_observe_irqs(MachineDevice *dev, void *opaque,
                                   bool observed)
{
    hpet_set_irq_handler(opaque, observed ? hpet_irq : NULL, dev);
}

static GVariant *hpet_type_save(MachineDevice *dev, void *opaque)
{
    (void)dev;
    return hpet_save_state(opaque);
}

static bool hpet_type_restore(MachineDevice *dev, void *opaque,
                              uint32_t version, GVariant *state, GError **errp)
{
    (void)dev;
    (void)version;
    return hpet_restore_state(opaque, state, errp);
}

static void hpet_type_unrealize(MachineDevice *dev, void *opaque)
{
    (void)dev;
    hpet_free(opaque); /* stops its timers; drops the creator's reference */
}

static const MachineDeviceType hpet_type = {
    .name = "hpet",
    .description = "HPET (QEMU 7.2's hw/timer/hpet.c), outputs 0-31",
    .props = hpet_props,
    .realize = hpet_type_realize,
    .connect = hpet_type_connect,
    .reset = hpet_type_reset,
    .state_type = HPET_STATE_TYPE,
    .state_version = 1,
    .save = hpet_type_save,
    .restore = hpet_type_restore,
    .set_global = hpet_type_set_global,
    .observe_irqs = hpet_type_observe_irqs,
    .unrealize = hpet_type_unrealize,
};

/* ---- testdev ------------------------------------------------------------ */

static void *testdev_type_realize(MachineDevice *dev, const MachineProps *props,
                                  GError **errp)
{
    TestDevConfig cfg = {.size = BOARD_TESTDEV_SIZE};
    TestDev *t;

    (void)props;
    t = testdev_new(machine_device_name(dev), &cfg, errp);
    if (t && !machine_device_add_region(dev, NULL, testdev_region(t), errp)) {
        testdev_unref(t);
        return NULL;
    }
    return t;
}

static GVariant *testdev_type_save(MachineDevice *dev, void *opaque)
{
    (void)dev;
    return testdev_save_state(opaque);
}

static bool testdev_type_restore(MachineDevice *dev, void *opaque,
                                 uint32_t version, GVariant *state,
                                 GError **errp)
{
    (void)dev;
    (void)version;
    return testdev_restore_state(opaque, state, errp);
}

static void testdev_type_free(MachineDevice *dev, void *opaque)
{
    (void)dev;
    testdev_unref(opaque);
}

static const MachineDeviceType testdev_type = {
    .name = "testdev",
    .description = "records every access; 4 KiB of registers",
    .realize = testdev_type_realize,
    .state_type = TESTDEV_STATE_TYPE,
    .state_version = 1,
    .save = testdev_type_save,
    .restore = testdev_type_restore,
    .free = testdev_type_free,
};

/* ---- dma-testdev -------------------------------------------------------- */

static const MachinePropInfo dma_testdev_props[] = {
    {.name = "address_space",
     .kind = MACHINE_PROP_STRING,
     .help = "id of the AddressSpace it copies through (default: the first)",
     .foreign_error = "only a dma-testdev has an address space"},
    {0},
};

static void *dma_testdev_type_realize(MachineDevice *dev,
                                      const MachineProps *props, GError **errp)
{
    const char *as_id = NULL;
    DmaTestDev *d;

    if (!machine_props_get_string(props, "address_space", &as_id, errp)) {
        return NULL;
    }
    d = dma_testdev_new(machine_device_name(dev), NULL, errp);
    if (d &&
        !machine_device_add_region(dev, NULL, dma_testdev_region(d), errp)) {
        dma_testdev_unref(d);
        return NULL;
    }
    return d;
}

static bool dma_testdev_type_connect(MachineDevice *dev, void *opaque,
                                     const MachineProps *props, GError **errp)
{
    const char *as_id = NULL;
    AddressSpace *as;

    if (!machine_props_get_string(props, "address_space", &as_id, errp)) {
        return false;
    }
    as = machine_address_space_by_id(machine_device_get_machine(dev), as_id);
    if (!as && as_id) {
        machine_props_error(props, errp, ADDRSPACE_ERROR_NOT_FOUND,
                            "address_space", "unknown address space '%s'",
                            as_id);
        return false;
    }
    dma_testdev_set_address_space(opaque, as);
    return true;
}

static GVariant *dma_testdev_type_save(MachineDevice *dev, void *opaque)
{
    (void)dev;
    return dma_testdev_save_state(opaque);
}

static bool dma_testdev_type_restore(MachineDevice *dev, void *opaque,
                                     uint32_t version, GVariant *state,
                                     GError **errp)
{
    (void)dev;
    (void)version;
    return dma_testdev_restore_state(opaque, state, errp);
}

static void dma_testdev_type_unrealize(MachineDevice *dev, void *opaque)
{
    (void)dev;
    dma_testdev_set_address_space(opaque, NULL);
}

static void dma_testdev_type_free(MachineDevice *dev, void *opaque)
{
    (void)dev;
    dma_testdev_unref(opaque);
}

static const MachineDeviceType dma_testdev_type = {
    .name = "dma-testdev",
    .description = "copies guest memory through an AddressSpace",
    .props = dma_testdev_props,
    .realize = dma_testdev_type_realize,
    .connect = dma_testdev_type_connect,
    .state_type = DMA_TESTDEV_STATE_TYPE,
    .state_version = 1,
    .save = dma_testdev_type_save,
    .restore = dma_testdev_type_restore,
    .unrealize = dma_testdev_type_unrealize,
    .free = dma_testdev_type_free,
};

/* ---- console ------------------------------------------------------------ */

static void *console_type_realize(MachineDevice *dev, const MachineProps *props,
                                  GError **errp)
{
    Console *c;

    (void)props;
    c = console_new(machine_device_name(dev), errp);
    if (c && !machine_device_add_region(dev, NULL, console_region(c), errp)) {
        console_unref(c);
        return NULL;
    }
    return c;
}

static void console_type_set_output(MachineDevice *dev, void *opaque, FILE *out)
{
    (void)dev;
    console_set_output(opaque, out);
}

/* The console has no guest-visible state (its LSR always reads ready). */
static GVariant *console_type_save(MachineDevice *dev, void *opaque)
{
    (void)dev;
    (void)opaque;
    return g_variant_new("()");
}

static bool console_type_restore(MachineDevice *dev, void *opaque,
                                 uint32_t version, GVariant *state,
                                 GError **errp)
{
    (void)dev;
    (void)opaque;
    (void)version;
    (void)state;
    (void)errp;
    return true;
}

static void console_type_free(MachineDevice *dev, void *opaque)
{
    (void)dev;
    console_unref(opaque);
}

static const MachineDeviceType console_type = {
    .name = "console",
    .description = "a byte-wide output port that prints what is written",
    .realize = console_type_realize,
    .state_type = "()",
    .state_version = 1,
    .save = console_type_save,
    .restore = console_type_restore,
    .set_output = console_type_set_output,
    .free = console_type_free,
};

const MachineDeviceType *const machine_builtin_types[] = {
    &hpet_type, &testdev_type, &dma_testdev_type, &console_type, NULL,
};
