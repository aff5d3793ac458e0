/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of QEMU's &error_fatal / &error_abort sentinels (error.h):
 * every set-up call that takes a `GError **errp`, in the library and in
 * hw-test-devices, is made to fail with each sentinel in a subprocess.
 * &error_fatal must print the message and exit (exit handlers run),
 * &error_abort must print where the error was set and abort (no exit
 * handler runs); neither may return. Also: the sentinels stay NULL,
 * addrspace_error_propagate(), and ERRP_GUARD() keeping the prefixes that
 * callers add to a fatal message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <addrspace/addrspace.h>
#include <addrspace-machine/vclock.h>

#include "board-json.h"
#include "hpet.h"
#include "machine.h"
#include "qtest.h"
#include "testdev.h"

/* One failing call: it makes the call with @errp. */
typedef struct Case {
    const char *name;
    void (*provoke)(GError **errp);
    const char *message; /* a pattern the message must match */
    /* the message &error_abort prints, where it differs: the abort
     * happens where the error is set, before callers prefix it (QEMU) */
    const char *at_site;
} Case;

/*
 * What a call needs beyond it (initialised regions, a machine) is kept
 * reachable from here for the life of the process: the cases leave trees
 * half-built on purpose, and a leak checker must not count them.
 */
static GPtrArray *kept;

static void *keep(void *p)
{
    g_ptr_array_add(kept, p);
    return p;
}

static MemoryRegion *fresh_container(const char *name)
{
    MemoryRegion *mr = keep(g_new0(MemoryRegion, 1));

    g_assert_true(memory_region_init(mr, NULL, name, 0x10000, NULL));
    return mr;
}

static const MemoryRegionOps null_ops = {.endianness = DEVICE_LITTLE_ENDIAN};

/* Size 0 is accepted as in QEMU: the init errors left are bad storage. */
static void p_init(GError **errp)
{
    memory_region_init(NULL, NULL, "c", 0x1000, errp);
}

static void p_init_busy(GError **errp)
{
    memory_region_init_ram(fresh_container("busy"), NULL, "r", 4096, errp);
}

static void p_init_ram(GError **errp)
{
    MemoryRegion mr = {0};

    memory_region_init_ram(&mr, NULL, "r", UINT64_MAX, errp);
}

static void p_init_ram_ptr(GError **errp)
{
    MemoryRegion mr = {0};

    memory_region_init_ram_ptr(&mr, NULL, "p", 4096, NULL, errp);
}

static void p_init_ram_device_ptr(GError **errp)
{
    MemoryRegion mr = {0};

    memory_region_init_ram_device_ptr(&mr, NULL, "bar", 4096, NULL, errp);
}

static void p_init_ram_from_fd(GError **errp)
{
    MemoryRegion mr = {0};

    memory_region_init_ram_from_fd(&mr, NULL, "f", 4096, true, -1, 0, errp);
}

static void p_init_ram_memfd(GError **errp)
{
    MemoryRegion mr = {0};

    memory_region_init_ram_memfd(&mr, NULL, "m", 0, errp);
}

static void p_init_rom(GError **errp)
{
    MemoryRegion mr = {0};

    memory_region_init_rom(&mr, NULL, "rom", 0, errp);
}

static void p_init_rom_device(GError **errp)
{
    MemoryRegion mr = {0};

    memory_region_init_rom_device(&mr, NULL, NULL, NULL, "flash", 4096, errp);
}

static void p_init_io(GError **errp)
{
    memory_region_init_io(NULL, NULL, &null_ops, NULL, "io", 0x1000, errp);
}

static void p_init_alias(GError **errp)
{
    MemoryRegion mr = {0}, target = {0};

    memory_region_init_alias(&mr, NULL, "a", &target, 0, 16, errp);
}

static void p_init_reservation(GError **errp)
{
    memory_region_init_reservation(NULL, NULL, "res", 0x1000, errp);
}

static void p_init_iommu(GError **errp)
{
    MemoryRegion mr = {0};

    memory_region_init_iommu(&mr, NULL, NULL, NULL, "iommu", 4096, errp);
}

static void notify_nothing(IOMMUNotifier *n, const IOMMUTLBEntry *entry)
{
    (void)n;
    (void)entry;
}

static void p_register_iommu_notifier(GError **errp)
{
    static IOMMUNotifier n;

    iommu_notifier_init(&n, notify_nothing, IOMMU_NOTIFIER_ALL, 0, 0xfff, 0);
    memory_region_register_iommu_notifier(fresh_container("c"), &n, errp);
}

static void p_add_subregion(GError **errp)
{
    MemoryRegion *a = fresh_container("a"), *b = fresh_container("b");

    g_assert_true(memory_region_add_subregion(a, 0, b, NULL));
    memory_region_add_subregion(fresh_container("c"), 0, b, errp);
}

static void p_add_subregion_overlap(GError **errp)
{
    MemoryRegion *a = fresh_container("a");

    memory_region_add_subregion_overlap(a, 0, a, 1, errp);
}

static void p_del_subregion(GError **errp)
{
    memory_region_del_subregion(fresh_container("a"), fresh_container("b"),
                                errp);
}

static void p_set_address(GError **errp)
{
    MemoryRegion *a = fresh_container("a"), *b = fresh_container("b");

    g_assert_true(memory_region_add_subregion(a, 0, b, NULL));
    memory_region_set_address(b, UINT64_MAX - 8, errp);
}

static void p_set_size(GError **errp)
{
    MemoryRegion *ram = keep(g_new0(MemoryRegion, 1));

    g_assert_true(memory_region_init_ram(ram, NULL, "grow", 4096, NULL));
    memory_region_set_size(ram, 8192, errp);
}

static void p_set_alias_offset(GError **errp)
{
    memory_region_set_alias_offset(fresh_container("a"), 0, errp);
}

static void p_address_space_init(GError **errp)
{
    static AddressSpace as;
    MemoryRegion root = {0};

    address_space_init(&as, &root, "as", errp);
}

static void p_mmap_new(GError **errp)
{
    const GuestMemoryMmapRange r = {.addr = 0, .size = 0, .fd = -1};

    guest_memory_mmap_new(&r, 1, false, errp);
}

static GuestMemoryMmap *one_page(void)
{
    const GuestMemoryMmapRange r = {.addr = 0, .size = 4096, .fd = -1};
    GuestMemoryMmap *m = guest_memory_mmap_new(&r, 1, false, NULL);

    g_assert_nonnull(m);
    return keep(m);
}

static void p_mmap_add_range(GError **errp)
{
    const GuestMemoryMmapRange r = {.addr = 2048, .size = 4096, .fd = -1};

    guest_memory_mmap_add_range(one_page(), &r, errp);
}

static void p_mmap_remove_range(GError **errp)
{
    guest_memory_mmap_remove_range(one_page(), 0x10000, errp);
}

static void p_read_from_fd(GError **errp)
{
    uint64_t done;

    guest_memory_read_from_fd(guest_memory_mmap_memory(one_page()), 0, -1, 16,
                              MEMTXATTRS_UNSPECIFIED, &done, errp);
}

static void p_write_to_fd(GError **errp)
{
    uint64_t done;

    guest_memory_write_to_fd(guest_memory_mmap_memory(one_page()), 0, -1, 16,
                             MEMTXATTRS_UNSPECIFIED, &done, errp);
}

static void p_hpet_new(GError **errp)
{
    hpet_new(keep(vclock_new()), 1, errp);
}

static void p_board_json(GError **errp)
{
    board_json_load_data("{\"regions\": [", 13, errp);
}

/* A library error (the cycle) with the board's locator prefixed to it:
 * the prefix needs ERRP_GUARD() in machine_realize(). */
static void p_board_realize(GError **errp)
{
    static const char board[] =
        "{\"regions\": [{\"name\": \"sys\", \"kind\": \"container\", "
        "\"size\": \"4K\"}, {\"name\": \"x\", \"kind\": \"container\", "
        "\"size\": 1, \"parent\": \"x\"}], \"address_spaces\": "
        "[{\"name\": \"memory\", \"root\": \"sys\"}]}";

    board_json_load_data(board, sizeof(board) - 1, errp);
}

static char *bad_board_path;

/* GLib's and the board's errors with the path prefixed (ERRP_GUARD() in
 * board_json_load_file()). */
static void p_board_file(GError **errp)
{
    board_json_load_file(bad_board_path, errp);
}

static void p_board_missing_file(GError **errp)
{
    board_json_load_file("/nonexistent/board.json", errp);
}

static void p_machine_add_region(GError **errp)
{
    const MachineRegionSpec spec = {.name = "", .size = 1};

    machine_add_region(keep(machine_new()), &spec, errp);
}

static void p_qtest_run_script(GError **errp)
{
    qtest_run_script(keep(machine_new()), "/nonexistent/script.qtest", stdout,
                     errp);
}

static const Case cases[] = {
    {"init", p_init, "*region storage is NULL*", NULL},
    {"init-busy", p_init_busy, "*\"busy\" is already initialised*", NULL},
    {"init-ram", p_init_ram, "*RAM size 0x*does not fit*", NULL},
    {"init-ram-ptr", p_init_ram_ptr, "*\"p\": host pointer is NULL*", NULL},
    {"init-ram-device-ptr", p_init_ram_device_ptr,
     "*\"bar\": host pointer is NULL*", NULL},
    {"init-ram-from-fd", p_init_ram_from_fd, "*bad file descriptor -1*", NULL},
    {"init-ram-memfd", p_init_ram_memfd, "*\"m\" has size 0*", NULL},
    {"init-rom", p_init_rom, "*\"rom\" has size 0*", NULL},
    {"init-rom-device", p_init_rom_device, "*\"flash\": ops is NULL*", NULL},
    {"init-io", p_init_io, "*region storage is NULL*", NULL},
    {"init-alias", p_init_alias, "*target is not an initialised region*", NULL},
    {"init-reservation", p_init_reservation, "*region storage is NULL*", NULL},
    {"init-iommu", p_init_iommu, "*translate callback is NULL*", NULL},
    {"register-iommu-notifier", p_register_iommu_notifier,
     "*not an IOMMU region*", NULL},
    {"add-subregion", p_add_subregion, "*already has a parent*", NULL},
    {"add-subregion-overlap", p_add_subregion_overlap, "*would create a cycle*",
     NULL},
    {"del-subregion", p_del_subregion, "*is not a subregion of*", NULL},
    {"set-address", p_set_address, "*runs past 2^64*", NULL},
    {"set-size", p_set_size, "*RAM cannot grow past*", NULL},
    {"set-alias-offset", p_set_alias_offset, "*is not an alias*", NULL},
    {"address-space-init", p_address_space_init,
     "*root is not an initialised region*", NULL},
    {"mmap-new", p_mmap_new, "*size 0*", NULL},
    {"mmap-add-range", p_mmap_add_range, "*overlaps*", NULL},
    {"mmap-remove-range", p_mmap_remove_range, "*no range starts at 0x10000*",
     NULL},
    {"read-from-fd", p_read_from_fd, "*cannot read from fd -1*", NULL},
    {"write-to-fd", p_write_to_fd, "*cannot write to fd -1*", NULL},
    {"hpet-new", p_hpet_new, "*hpet: need a clock and 3 to 32 timers*", NULL},
    {"board-json", p_board_json, "*$.regions[0]: invalid JSON*", NULL},
    {"board-realize", p_board_realize,
     "*$.regions[1].parent: adding \"x\" under \"x\" would create a cycle*",
     "*: adding \"x\" under \"x\" would create a cycle\n"},
    {"board-file", p_board_file, "*bad-board.json: $.regions[0]: invalid JSON*",
     "*: $.regions[0]: invalid JSON*"},
    {"board-missing-file", p_board_missing_file, "*/nonexistent/board.json: *",
     NULL},
    {"machine-add-region", p_machine_add_region,
     "*region ''.name: must be a non-empty string*", NULL},
    {"qtest-run-script", p_qtest_run_script, "*/nonexistent/script.qtest*",
     NULL},
};

static void mark_exit(void)
{
    fputs("exit handlers ran\n", stdout);
    fflush(stdout);
}

/* In the child: make the call with @errp; it must not return. */
static void provoke_in_child(const Case *c, GError **errp)
{
    const struct rlimit no_core = {0, 0};

    setrlimit(RLIMIT_CORE, &no_core); /* the abort needs no core file */
    atexit(mark_exit);
    c->provoke(errp);
    fputs("the call returned\n", stdout);
}

static void test_fatal(gconstpointer data)
{
    const Case *c = data;

    if (g_test_subprocess()) {
        provoke_in_child(c, &error_fatal);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stdout("exit handlers ran\n");
    g_test_trap_assert_stderr(c->message);
    g_test_trap_assert_stderr_unmatched("*Unexpected error*");
}

static void test_abort(gconstpointer data)
{
    const Case *c = data;

    if (g_test_subprocess()) {
        provoke_in_child(c, &error_abort);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stdout_unmatched("*exit handlers ran*");
    g_test_trap_assert_stdout_unmatched("*the call returned*");
    g_test_trap_assert_stderr("*Unexpected error in *() at *.c:*:\n*");
    g_test_trap_assert_stderr(c->at_site ? c->at_site : c->message);
}

/* Without a sentinel nothing is fatal: each case fails and returns its
 * error, and the sentinels themselves are never written. */
static void test_plain(gconstpointer data)
{
    const Case *c = data;
    GError *err = NULL;

    c->provoke(&err);
    g_assert_nonnull(err);
    if (!g_pattern_match_simple(c->message, err->message)) {
        g_test_message("message \"%s\" does not match \"%s\"", err->message,
                       c->message);
        g_test_fail();
    }
    g_error_free(err);
    c->provoke(NULL);
    g_assert_null(error_fatal);
    g_assert_null(error_abort);
}

static void test_propagate(void)
{
    GError *dst = NULL;

    if (g_test_subprocess()) {
        atexit(mark_exit);
        addrspace_error_propagate(
            &error_fatal, g_error_new_literal(ADDRSPACE_ERROR,
                                              ADDRSPACE_ERROR_BUSY, "moved"));
        return;
    }
    addrspace_error_propagate(
        NULL,
        g_error_new_literal(ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY, "dropped"));
    addrspace_error_propagate(&dst, NULL);
    g_assert_null(dst);
    addrspace_error_propagate(
        &dst,
        g_error_new_literal(ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY, "kept"));
    g_assert_error(dst, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY);
    g_clear_error(&dst);
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stdout("exit handlers ran\n");
    g_test_trap_assert_stderr("*moved\n");
}

/* "<program>: <message>" on one line, as QEMU's error_report() prints. */
static void test_fatal_format(void)
{
    if (g_test_subprocess()) {
        g_set_prgname("prog");
        addrspace_error_set(&error_fatal, ADDRSPACE_ERROR,
                            ADDRSPACE_ERROR_INVALID, "bad %s %d", "thing", 7);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("prog: bad thing 7\n");
}

/* memtx_result_name(): the names programs print for data-path results. */
static void test_each_bit(void)
{
    g_assert_cmpstr(memtx_result_name(MEMTX_OK), ==, "MEMTX_OK");
    g_assert_cmpstr(memtx_result_name(MEMTX_ERROR), ==, "MEMTX_ERROR");
    g_assert_cmpstr(memtx_result_name(MEMTX_DECODE_ERROR), ==,
                    "MEMTX_DECODE_ERROR");
    g_assert_cmpstr(memtx_result_name(MEMTX_ACCESS_ERROR), ==,
                    "MEMTX_ACCESS_ERROR");
}

/* An access split into several transactions ORs their results. */
static void test_combined(void)
{
    g_assert_cmpstr(memtx_result_name(MEMTX_ERROR | MEMTX_DECODE_ERROR), ==,
                    "MEMTX_ERROR|MEMTX_DECODE_ERROR");
    g_assert_cmpstr(memtx_result_name(MEMTX_DECODE_ERROR | MEMTX_ACCESS_ERROR),
                    ==, "MEMTX_DECODE_ERROR|MEMTX_ACCESS_ERROR");
    g_assert_cmpstr(memtx_result_name(MEMTX_ERROR | MEMTX_DECODE_ERROR |
                                      MEMTX_ACCESS_ERROR),
                    ==, "MEMTX_ERROR|MEMTX_DECODE_ERROR|MEMTX_ACCESS_ERROR");
}

static void test_unknown_bits(void)
{
    g_assert_cmpstr(memtx_result_name(1u << 3), ==, "MEMTX_UNKNOWN");
    g_assert_cmpstr(memtx_result_name(UINT32_MAX), ==, "MEMTX_UNKNOWN");
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    kept = g_ptr_array_new();
    {
        g_autofree char *dir = g_dir_make_tmp("test-error-XXXXXX", NULL);

        g_assert_nonnull(dir);
        bad_board_path = g_build_filename(dir, "bad-board.json", NULL);
        g_assert_true(
            g_file_set_contents(bad_board_path, "{\"regions\": [", -1, NULL));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *plain =
            g_strdup_printf("/error/plain/%s", cases[i].name);
        g_autofree char *fatal =
            g_strdup_printf("/error/fatal/%s", cases[i].name);
        g_autofree char *abrt =
            g_strdup_printf("/error/abort/%s", cases[i].name);

        g_test_add_data_func(plain, &cases[i], test_plain);
        g_test_add_data_func(fatal, &cases[i], test_fatal);
        g_test_add_data_func(abrt, &cases[i], test_abort);
    }
    g_test_add_func("/error/propagate", test_propagate);
    g_test_add_func("/error/fatal-format", test_fatal_format);
    g_test_add_func("/error/memtx-result-name/each-bit", test_each_bit);
    g_test_add_func("/error/memtx-result-name/combined", test_combined);
    g_test_add_func("/error/memtx-result-name/unknown-bits", test_unknown_bits);
    ret = g_test_run();
    {
        g_autofree char *dir = g_path_get_dirname(bad_board_path);

        g_unlink(bad_board_path);
        g_rmdir(dir);
    }
    g_free(bad_board_path);
    return ret;
}
