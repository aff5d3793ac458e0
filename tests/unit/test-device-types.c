/* SPDX-License-Identifier: MIT */
/*
 * Device types as a user registers them (<addrspace-machine/device.h>):
 * the registry's checks, properties read from board files and from C with
 * located errors, several regions, interrupt outputs wired by "irqs",
 * -global, reset and the board written back.
 */
#include <string.h>

#include <glib.h>

#include <addrspace-machine/addrspace-machine.h>

/* ---- a user's device: "blinky" ------------------------------------------ */

#define BLINKY_SIZE 0x10u

typedef struct Blinky {
    MemoryOwner owner;
    MemoryRegion mr, aux;
    MachineDevice *dev;
    int64_t count;
    uint64_t base;
    bool flag;
    unsigned mode;
    const char *label;
    uint32_t reg;
    bool unrealized;
} Blinky;

static const char *const blinky_modes[] = {"slow", "fast", NULL};

/* Offset 0: write LINE | LEVEL << 4 to set output LINE; reads give reg. */
static uint64_t blinky_read(void *opaque, hwaddr addr, unsigned size)
{
    Blinky *b = opaque;

    (void)size;
    return addr == 0 ? b->reg : (uint64_t)b->count;
}

static void blinky_write(void *opaque, hwaddr addr, uint64_t data,
                         unsigned size)
{
    Blinky *b = opaque;

    (void)size;
    if (addr == 0) {
        b->reg = (uint32_t)data;
        machine_device_set_irq(b->dev, (unsigned)(data & 0xf),
                               (int)(data >> 4) & 1);
    }
}

static const MemoryRegionOps blinky_ops = {
    .read = blinky_read,
    .write = blinky_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void blinky_release(MemoryOwner *owner)
{
    Blinky *b = (Blinky *)owner;

    memory_region_finalize(&b->mr);
    memory_region_finalize(&b->aux);
    g_free(b);
}

static const MachinePropInfo blinky_props[] = {
    {.name = "count", .kind = MACHINE_PROP_INT, .default_value = "1"},
    {.name = "base", .kind = MACHINE_PROP_U64},
    {.name = "flag", .kind = MACHINE_PROP_BOOL, .global = true},
    {.name = "mode", .kind = MACHINE_PROP_STRING},
    {.name = "label", .kind = MACHINE_PROP_STRING},
    {0},
};

static void *blinky_realize(MachineDevice *dev, const MachineProps *props,
                            GError **errp)
{
    Blinky *b = g_new0(Blinky, 1);

    b->count = 1;
    b->label = "none";
    if (!machine_props_get_int(props, "count", 0, 8, &b->count, errp) ||
        !machine_props_get_u64(props, "base", &b->base, errp) ||
        !machine_props_get_bool(props, "flag", &b->flag, errp) ||
        !machine_props_get_choice(props, "mode", blinky_modes, &b->mode,
                                  errp) ||
        !machine_props_get_string(props, "label", &b->label, errp)) {
        g_free(b);
        return NULL;
    }
    if (b->count == 7) {
        machine_props_error(props, errp, ADDRSPACE_ERROR_INVALID, "count",
                            "7 is unlucky");
        g_free(b);
        return NULL;
    }
    b->dev = dev;
    memory_region_init_io(&b->mr, &b->owner, &blinky_ops, b,
                          machine_device_name(dev), BLINKY_SIZE, NULL);
    memory_region_init_io(&b->aux, &b->owner, &blinky_ops, b, "aux",
                          BLINKY_SIZE, NULL);
    memory_owner_init(&b->owner, machine_device_name(dev), blinky_release);
    if (!machine_device_add_region(dev, NULL, &b->mr, errp) ||
        !machine_device_add_region(dev, "aux", &b->aux, errp) ||
        !machine_device_init_irqs(dev, 3, errp)) {
        memory_owner_unref(&b->owner);
        return NULL;
    }
    return b;
}

static void blinky_reset(MachineDevice *dev, void *opaque)
{
    Blinky *b = opaque;

    (void)dev;
    b->reg = 0;
}

static bool blinky_set_global(MachineDevice *dev, void *opaque,
                              const char *prop, const char *value,
                              GError **errp)
{
    Blinky *b = opaque;

    g_assert_cmpstr(prop, ==, "flag");
    if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "blinky.flag: on or off");
        return false;
    }
    b->flag = value[1] == 'n';
    machine_props_set_bool(machine_device_props(dev), "flag", b->flag);
    return true;
}

static void blinky_unrealize(MachineDevice *dev, void *opaque)
{
    (void)dev;
    ((Blinky *)opaque)->unrealized = true;
}

static void blinky_free(MachineDevice *dev, void *opaque)
{
    Blinky *b = opaque;

    (void)dev;
    g_assert_true(b->unrealized);
    memory_owner_unref(&b->owner);
}

static const MachineDeviceType blinky_type = {
    .name = "blinky",
    .description = "test device with three outputs and two regions",
    .props = blinky_props,
    .realize = blinky_realize,
    .reset = blinky_reset,
    .set_global = blinky_set_global,
    .unrealize = blinky_unrealize,
    .free = blinky_free,
};

/* ---- the registry ------------------------------------------------------- */

static void *no_realize(MachineDevice *dev, const MachineProps *props,
                        GError **errp)
{
    (void)dev;
    (void)props;
    (void)errp;
    return NULL;
}

static GVariant *no_save(MachineDevice *dev, void *opaque)
{
    (void)dev;
    (void)opaque;
    return NULL;
}

static void test_registry(void)
{
    static const MachinePropInfo common_prop[] = {
        {.name = "parent", .kind = MACHINE_PROP_STRING}, {0}};
    static const MachineDeviceType bad_name = {.name = "a.b",
                                               .realize = no_realize};
    static const MachineDeviceType builtin = {.name = "hpet",
                                              .realize = no_realize};
    static const MachineDeviceType no_cb = {.name = "nothing"};
    static const MachineDeviceType bad_prop = {
        .name = "bad-prop", .realize = no_realize, .props = common_prop};
    static const MachineDeviceType save_only = {.name = "save-only",
                                                .realize = no_realize,
                                                .state_type = "u",
                                                .save = no_save};
    GError *err = NULL;

    g_assert_nonnull(machine_device_type_lookup("hpet"));
    g_assert_nonnull(machine_device_type_lookup("console"));
    g_assert_null(machine_device_type_lookup("nosuch"));
    g_assert_false(machine_register_device_type(&builtin, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY);
    g_clear_error(&err);
    g_assert_false(machine_register_device_type(&bad_name, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(machine_register_device_type(&no_cb, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(machine_register_device_type(&bad_prop, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(machine_register_device_type(&save_only, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_true(machine_device_type_lookup("blinky") == &blinky_type);
    g_assert_false(machine_register_device_type(&blinky_type, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY);
    g_clear_error(&err);
}

/* ---- boards ------------------------------------------------------------- */

#define BOARD_HEAD                                                           \
    "{\"regions\": [{\"name\": \"sys\", \"kind\": \"container\", \"size\": " \
    "\"0x10000000000000000\"}], \"devices\": ["
#define BOARD_TAIL \
    "], \"address_spaces\": [{\"name\": \"m\", \"root\": \"sys\"}]}"

static Machine *load(const char *devices, GError **errp)
{
    g_autofree char *text = g_strconcat(BOARD_HEAD, devices, BOARD_TAIL, NULL);

    return board_json_load_data(text, strlen(text), errp);
}

typedef struct IrqLog {
    GString *s;
} IrqLog;

static void log_irq(void *opaque, const char *device, int line, int input,
                    int level)
{
    IrqLog *log = opaque;

    g_string_append_printf(log->s, "%s:%d->%d=%d;", device, line, input, level);
}

static void test_board_props(void)
{
    GError *err = NULL;
    Machine *m =
        load("{\"name\": \"b\", \"type\": \"blinky\", \"parent\": \"sys\", "
             "\"addr\": \"0x1000\", \"count\": 3, \"base\": \"64K\", \"flag\": "
             "true, \"mode\": \"fast\", \"label\": \"x\", \"irqs\": [5, null]}",
             &err);
    Blinky *b;
    AddressSpace *as;
    IrqLog log = {g_string_new(NULL)};
    g_autofree char *text = NULL;

    g_assert_no_error(err);
    b = machine_device(m, "b", "blinky");
    g_assert_nonnull(b);
    g_assert_null(machine_device(m, "b", "hpet"));
    g_assert_cmpint(b->count, ==, 3);
    g_assert_cmphex(b->base, ==, 0x10000);
    g_assert_true(b->flag);
    g_assert_cmpuint(b->mode, ==, 1);
    g_assert_cmpstr(b->label, ==, "x");
    g_assert_cmpstr(machine_find_device_type(m, "blinky"), ==, "b");
    g_assert_cmpint(machine_device_irq_lines(m, "b"), ==, 3);
    g_assert_true(machine_region(m, "b") == &b->mr);
    g_assert_true(machine_region(m, "b:aux") == &b->aux);

    /* outputs: 0 -> input 5, 1 -> none (null), 2 -> none (past "irqs") */
    as = machine_address_space(m, NULL);
    machine_set_irq_handler(m, log_irq, &log);
    address_space_stl_le(as, 0x1000, 0x10, MEMTXATTRS_UNSPECIFIED, NULL);
    address_space_stl_le(as, 0x1000, 0x11, MEMTXATTRS_UNSPECIFIED, NULL);
    address_space_stl_le(as, 0x1000, 0x12, MEMTXATTRS_UNSPECIFIED, NULL);
    address_space_stl_le(as, 0x1000, 0x00, MEMTXATTRS_UNSPECIFIED, NULL);
    g_assert_cmpstr(log.s->str, ==, "b:0->5=1;b:0->5=0;");
    machine_set_irq_handler(m, NULL, NULL);

    /* -global reaches the type; the stored properties follow */
    g_assert_true(machine_set_global(m, "blinky.flag=off", &err));
    g_assert_no_error(err);
    g_assert_false(b->flag);
    g_assert_false(machine_set_global(m, "blinky.flag=maybe", &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(machine_set_global(m, "blinky.count=2", &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_NOT_FOUND);
    g_clear_error(&err);

    /* reset */
    address_space_stl_le(as, 0x1000, 0x3, MEMTXATTRS_UNSPECIFIED, NULL);
    machine_reset(m);
    g_assert_cmpuint(b->reg, ==, 0);

    /* written back: canonical numbers, the new flag, irqs */
    text = board_json_to_data(m);
    g_assert_nonnull(strstr(text, "\"base\" : \"0x10000\""));
    g_assert_nonnull(strstr(text, "\"flag\" : false"));
    g_assert_nonnull(strstr(text, "\"count\" : 3"));
    g_assert_nonnull(strstr(text, "\"irqs\" : ["));
    machine_free(m);
    g_string_free(log.s, TRUE);

    /* ... and loads again into the same device */
    m = board_json_load_data(text, strlen(text), &err);
    g_assert_no_error(err);
    b = machine_device(m, "b", "blinky");
    g_assert_cmphex(b->base, ==, 0x10000);
    g_assert_false(b->flag);
    machine_free(m);
}

typedef struct BadProp {
    const char *path;
    const char *device;
    const char *message;
} BadProp;

static const BadProp bad_props[] = {
    {"int-range", "{\"name\": \"b\", \"type\": \"blinky\", \"count\": 9}",
     "$.devices[0].count: must be an integer from 0 to 8"},
    {"int-type", "{\"name\": \"b\", \"type\": \"blinky\", \"count\": \"3\"}",
     "$.devices[0].count: must be an integer from 0 to 8"},
    {"u64", "{\"name\": \"b\", \"type\": \"blinky\", \"base\": \"12Q\"}",
     "$.devices[0].base: must be a non-negative integer below 2^64"},
    {"bool", "{\"name\": \"b\", \"type\": \"blinky\", \"flag\": 1}",
     "$.devices[0].flag: must be true or false"},
    {"string", "{\"name\": \"b\", \"type\": \"blinky\", \"label\": 1}",
     "$.devices[0].label: must be a string"},
    {"choice", "{\"name\": \"b\", \"type\": \"blinky\", \"mode\": \"x\"}",
     "$.devices[0].mode: must be \"slow\" or \"fast\""},
    {"own-check", "{\"name\": \"b\", \"type\": \"blinky\", \"count\": 7}",
     "$.devices[0].count: 7 is unlucky"},
    {"foreign", "{\"name\": \"c\", \"type\": \"console\", \"label\": \"x\"}",
     "$.devices[0].label: only devices of type 'blinky' have this property"},
    {"unknown", "{\"name\": \"b\", \"type\": \"blinky\", \"colour\": 1}",
     "$.devices[0].colour: unknown member"},
    {"irqs-range", "{\"name\": \"b\", \"type\": \"blinky\", \"irqs\": [24]}",
     "$.devices[0].irqs[0]: must be an input from 0 to 23, -1 or null"},
    {"irqs-too-many",
     "{\"name\": \"b\", \"type\": \"blinky\", \"irqs\": [1, 2, 3, 4]}",
     "$.devices[0].irqs: 4 entries for 3 interrupt outputs"},
    {"region-taken",
     "{\"name\": \"b\", \"type\": \"blinky\"}, {\"id\": \"b:aux\", "
     "\"name\": \"c\", \"type\": \"console\"}",
     "$.devices[1].id: duplicate id 'b:aux'"},
};

static void test_bad_prop(gconstpointer data)
{
    const BadProp *bad = data;
    GError *err = NULL;
    Machine *m = load(bad->device, &err);

    g_assert_null(m);
    g_assert_nonnull(err);
    g_assert_cmpstr(err->message, ==, bad->message);
    g_error_free(err);
}

/* A device built from C: properties set with the setters, errors located
 * at "device 'NAME'". */
static void test_from_c(void)
{
    g_autoptr(MachineProps) props = machine_props_new();
    const int irqs[] = {-1, 7, 2};
    MachineRegionSpec sys = {
        .kind = MACHINE_REGION_CONTAINER, .name = "sys", .size = UINT64_MAX};
    MachineDeviceSpec spec = {.type = "blinky",
                              .name = "b",
                              .parent = "sys",
                              .addr = 0x2000,
                              .irqs = irqs,
                              .nr_irqs = 3,
                              .props = props};
    IrqLog log = {g_string_new(NULL)};
    GError *err = NULL;
    Machine *m = machine_new();
    Blinky *b;

    machine_props_set_int(props, "count", 9);
    g_assert_true(machine_add_region(m, &sys, &err));
    g_assert_false(machine_add_device(m, &spec, &err));
    g_assert_cmpstr(err->message, ==,
                    "device 'b'.count: must be an integer from 0 to 8");
    g_clear_error(&err);
    g_assert_null(machine_device_handle(m, "b"));

    machine_props_set_int(props, "count", 2);
    machine_props_set_u64(props, "base", UINT64_MAX);
    machine_props_set_string(props, "mode", "slow");
    g_assert_true(machine_props_has(props, "mode"));
    g_assert_false(machine_props_has(props, "label"));
    g_assert_true(machine_add_device(m, &spec, &err));
    g_assert_true(machine_add_address_space(m, NULL, "m", "sys", false, &err));
    g_assert_true(machine_realize(m, &err));
    g_assert_no_error(err);
    b = machine_device(m, "b", NULL);
    g_assert_cmpint(b->count, ==, 2);
    g_assert_cmphex(b->base, ==, UINT64_MAX);
    g_assert_cmpstr(machine_device_id(machine_device_handle(m, "b")), ==, "b");
    g_assert_true(machine_device_get_machine(machine_device_handle(m, "b")) ==
                  m);
    g_assert_true(machine_device_clock(machine_device_handle(m, "b")) ==
                  machine_clock(m));
    machine_set_irq_handler(m, log_irq, &log);
    address_space_stl_le(machine_address_space(m, "m"), 0x2000, 0x10,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    address_space_stl_le(machine_address_space(m, "m"), 0x2000, 0x11,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    address_space_stl_le(machine_address_space(m, "m"), 0x2000, 0x12,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    g_assert_cmpstr(log.s->str, ==, "b:1->7=1;b:2->2=1;");
    machine_set_irq_handler(m, NULL, NULL);
    g_string_free(log.s, TRUE);
    machine_free(m);
}

int main(int argc, char **argv)
{
    GError *err = NULL;

    g_test_init(&argc, &argv, NULL);
    if (!machine_register_device_type(&blinky_type, &err)) {
        g_error("%s", err->message);
    }
    g_test_add_func("/machine/device-type/registry", test_registry);
    g_test_add_func("/machine/device-type/board-props", test_board_props);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_props); i++) {
        g_autofree char *path =
            g_strdup_printf("/machine/device-type/bad/%s", bad_props[i].path);

        g_test_add_data_func(path, &bad_props[i], test_bad_prop);
    }
    g_test_add_func("/machine/device-type/from-c", test_from_c);
    return g_test_run();
}
