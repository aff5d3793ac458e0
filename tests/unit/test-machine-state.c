/* SPDX-License-Identifier: MIT */
/*
 * Machine states (machine_state_save/restore, qtest's `snapshot save` and
 * `snapshot load`): random qtest inputs run from one state give the same
 * transcript every time, and the same as the run right after the save;
 * RAM, devices, clock and ROM device modes come back; what cannot be
 * saved or restored is refused.
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "board-json.h"
#include "qtest.h"

/* ---- random qtest inputs -------------------------------------------------- */

/* Registers and memory the inputs poke: RAM, HPET, testdev, dma-testdev,
 * console, flash. */
static const uint64_t targets[] = {
    0x1000,     0x2000,     0x3000,     0x7ff8,     0xfed00000, 0xfed00010,
    0xfed00020, 0xfed000f0, 0xfed00100, 0xfed00108, 0xfed0010c, 0xfed00120,
    0xfed00128, 0xfed00140, 0xfed00148, 0xfeb00000, 0xfeb00010, 0xfeb01000,
    0xfeb01008, 0xfeb01010, 0xfeb01014, 0xfeb01018, 0xfeb0101c, 0xfeb02000,
    0xffe00000, 0xffe00001,
};

/* One random command, biased towards what makes the HPET fire. */
static char *random_command(GRand *r)
{
    uint64_t addr = targets[g_rand_int_range(r, 0, G_N_ELEMENTS(targets))];
    static const uint32_t values[] = {0x0,    0x1,   0x3,   0x4,       0x6,
                                      0x44,   0x404, 0x40c, 0x100,     0x1000,
                                      0x2000, 0x90,  0xff,  0x5a5a5a5a};
    uint32_t v = g_rand_boolean(r)
                     ? values[g_rand_int_range(r, 0, G_N_ELEMENTS(values))]
                     : g_rand_int(r);

    switch (g_rand_int_range(r, 0, 8)) {
    case 0:
        return g_strdup_printf("clock_step %u", g_rand_int_range(r, 1, 200000));
    case 1:
        return g_strdup_printf("readl 0x%" PRIx64, addr);
    case 2:
        return g_strdup_printf("readb 0x%" PRIx64, addr);
    case 3:
        return g_strdup_printf("writeb 0x%" PRIx64 " 0x%x", addr, v & 0xff);
    case 4:
        return g_strdup_printf("readq 0x%" PRIx64, addr & ~(uint64_t)7);
    default:
        return g_strdup_printf("writel 0x%" PRIx64 " 0x%x", addr, v);
    }
}

static void run_line(QTestSession *s, const char *line, GString *out)
{
    qtest_session_process_line(s, line, strlen(line), out);
}

static void run_lines(QTestSession *s, char **lines, GString *out)
{
    for (char **l = lines; *l; l++) {
        g_string_append_printf(out, "> %s\n", *l);
        run_line(s, *l, out);
    }
}

/*
 * After a random prefix, `snapshot save`; a random input run right after
 * it and twice after `snapshot load` gives one transcript.
 */
static void test_random_inputs(void)
{
    Machine *m = machine_new_default(NULL, NULL);
    QTestSession *s = qtest_session_new(m);
    g_autoptr(GString) base = g_string_new(NULL);

    /* every seed starts from the machine as built */
    run_line(s, "snapshot save base", base);
    g_assert_cmpstr(base->str, ==, "OK\n");
    for (guint32 seed = 1; seed <= 40; seed++) {
        g_autoptr(GRand) r = g_rand_new_with_seed(seed);
        g_autoptr(GString) prefix = g_string_new(NULL);
        g_autoptr(GString) first = g_string_new(NULL);
        g_autoptr(GString) second = g_string_new(NULL);
        g_autoptr(GString) third = g_string_new(NULL);
        g_autoptr(GPtrArray) input = g_ptr_array_new_with_free_func(g_free);
        int n = g_rand_int_range(r, 0, 30);

        run_line(s, "snapshot load base", prefix);
        if (seed == 1) {
            run_line(s, "irq_intercept_in ioapic", prefix);
        }
        /* the HPET on, its timers armed: events pending at the save */
        run_line(s, "writel 0xfed00010 0x1", prefix);
        for (unsigned t = 0; t < 3; t++) {
            static const unsigned cfgs[] = {0x4, 0x6, 0x4c, 0x404, 0x406};
            g_autofree char *cfg = g_strdup_printf(
                "writel 0x%x 0x%x", 0xfed00100 + 0x20 * t,
                cfgs[g_rand_int_range(r, 0, G_N_ELEMENTS(cfgs))]);
            g_autofree char *cmp =
                g_strdup_printf("writel 0x%x 0x%x", 0xfed00108 + 0x20 * t,
                                g_rand_int_range(r, 1, 0x8000));
            g_autofree char *hi =
                g_strdup_printf("writel 0x%x 0x0", 0xfed0010c + 0x20 * t);

            run_line(s, cfg, prefix);
            run_line(s, cmp, prefix);
            run_line(s, hi, prefix);
        }
        for (int i = 0; i < n; i++) {
            g_autofree char *c = random_command(r);

            run_line(s, c, prefix);
        }
        run_line(s, "snapshot save s", prefix);
        g_assert_true(g_str_has_suffix(prefix->str, "OK\n"));
        for (int i = g_rand_int_range(r, 5, 60); i > 0; i--) {
            g_ptr_array_add(input, random_command(r));
        }
        g_ptr_array_add(input, NULL);
        run_lines(s, (char **)input->pdata, first);
        run_line(s, "snapshot load s", second);
        run_lines(s, (char **)input->pdata, second);
        run_line(s, "snapshot load s", third);
        run_lines(s, (char **)input->pdata, third);
        g_assert_cmpstr(second->str, ==, third->str);
        g_assert_cmpstr(second->str + strlen("OK\n"), ==, first->str);
    }
    qtest_session_free(s);
    machine_free(m);
}

/* ---- the API ------------------------------------------------------------- */

static void test_restore_in_place(void)
{
    g_autoptr(GError) err = NULL;
    Machine *m = machine_new_default(NULL, &err);
    AddressSpace *as = machine_address_space(m, NULL);
    MemoryRegion *flash = machine_region(m, "flash");
    MachineState *st;

    g_assert_no_error(err);
    address_space_stl_le(as, 0x1000, 0x11111111, MEMTXATTRS_UNSPECIFIED, NULL);
    vclock_step(machine_clock(m), 1000);
    address_space_stl_le(as, MACHINE_HPET_BASE + 0x10, 1,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    st = machine_state_save(m, &err);
    g_assert_no_error(err);

    for (int round = 0; round < 3; round++) {
        address_space_stl_le(as, 0x1000, 0x22222222, MEMTXATTRS_UNSPECIFIED,
                             NULL);
        address_space_stl_le(as, MACHINE_TESTDEV_BASE + 8, 0x33,
                             MEMTXATTRS_UNSPECIFIED, NULL);
        address_space_stl_le(as, MACHINE_HPET_BASE + 0x10, 0,
                             MEMTXATTRS_UNSPECIFIED, NULL);
        address_space_stb(as, MACHINE_FLASH_BASE, 0x90, MEMTXATTRS_UNSPECIFIED,
                          NULL);
        g_assert_false(memory_region_is_romd(flash));
        vclock_step(machine_clock(m), 5000);

        g_assert_true(machine_state_restore(m, st, &err));
        g_assert_no_error(err);
        g_assert_cmphex(
            address_space_ldl_le(as, 0x1000, MEMTXATTRS_UNSPECIFIED, NULL), ==,
            0x11111111);
        g_assert_cmphex(address_space_ldl_le(as, MACHINE_TESTDEV_BASE + 8,
                                             MEMTXATTRS_UNSPECIFIED, NULL),
                        ==, 0);
        /* the clock went back; the HPET counts again from its value */
        g_assert_cmpint(vclock_now_ns(machine_clock(m)), ==, 1000);
        g_assert_cmphex(address_space_ldl_le(as, MACHINE_HPET_BASE + 0x10,
                                             MEMTXATTRS_UNSPECIFIED, NULL),
                        ==, 1);
        g_assert_cmphex(address_space_ldl_le(as, MACHINE_HPET_BASE + 0xf0,
                                             MEMTXATTRS_UNSPECIFIED, NULL),
                        ==, 0);
        vclock_step(machine_clock(m), 100);
        g_assert_cmphex(address_space_ldl_le(as, MACHINE_HPET_BASE + 0xf0,
                                             MEMTXATTRS_UNSPECIFIED, NULL),
                        ==, 10);
        g_assert_true(memory_region_is_romd(flash));
    }
    machine_state_free(st);
    machine_free(m);
}

static void test_other_machine(void)
{
    g_autoptr(GError) err = NULL;
    Machine *a = machine_new_default(NULL, NULL);
    Machine *b = machine_new_default(NULL, NULL);
    MachineState *st = machine_state_save(a, &err);

    g_assert_no_error(err);
    g_assert_false(machine_state_restore(b, st, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    machine_state_free(st);
    machine_free(a);
    machine_free(b);
}

/* A type without save makes the machine's save fail, naming the device. */
static void *plain_realize(MachineDevice *dev, const MachineProps *props,
                           GError **errp)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);

    (void)props;
    memory_region_init_io(mr, NULL, NULL, NULL, "plain", 16, NULL);
    if (!machine_device_add_region(dev, NULL, mr, errp)) {
        memory_region_finalize(mr);
        g_free(mr);
        return NULL;
    }
    return mr;
}

static void plain_free(MachineDevice *dev, void *opaque)
{
    (void)dev;
    memory_region_finalize(opaque);
    g_free(opaque);
}

static const MachineDeviceType plain_type = {
    .name = "plain",
    .realize = plain_realize,
    .free = plain_free,
};

static void test_no_save(void)
{
    static const char board[] =
        "{\"regions\": [{\"name\": \"sys\", \"kind\": \"container\", "
        "\"size\": 65536}], \"devices\": [{\"name\": \"p\", \"type\": "
        "\"plain\"}], \"address_spaces\": [{\"name\": \"m\", \"root\": "
        "\"sys\"}]}";
    g_autoptr(GError) err = NULL;
    Machine *m;

    g_assert_true(machine_register_device_type(&plain_type, &err));
    m = board_json_load_data(board, strlen(board), &err);
    g_assert_no_error(err);
    g_assert_null(machine_state_save(m, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_assert_cmpstr(err->message, ==,
                    "$.devices[0]: device type 'plain' cannot save its state "
                    "(no save callback)");
    machine_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/machine/state/random-inputs-same-transcript",
                    test_random_inputs);
    g_test_add_func("/machine/state/restore-in-place", test_restore_in_place);
    g_test_add_func("/machine/state/other-machine", test_other_machine);
    g_test_add_func("/machine/state/no-save-callback", test_no_save);
    return g_test_run();
}
