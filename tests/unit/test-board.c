/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the test machine's boards: the default board's layout,
 * board files round-tripping (default board -> JSON -> machine gives the
 * same `info mtree` text), and every kind of bad board file refused with
 * the JSON path of the problem and no leftovers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <addrspace/addrspace.h>

#include "board-json.h"
#include "machine.h"

/* mtree_info() output as a string (tree, flat view and with -D). */
static char *mtree_text(void)
{
    GString *all = g_string_new(NULL);

    for (int mode = 0; mode < 3; mode++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        g_assert_nonnull(f);
        mtree_info(f, mode == 1, mode == 2);
        fclose(f);
        g_string_append_printf(all, "--- mode %d ---\n", mode);
        g_string_append_len(all, buf, (gssize)len);
        free(buf);
    }
    return g_string_free(all, FALSE);
}

/* ---- the default board -------------------------------------------------- */

static void test_default_layout(void)
{
    GError *err = NULL;
    Machine *m = machine_new_default(NULL, &err);
    AddressSpace *as, *io;
    uint8_t rom_byte = 0x5a;
    uint32_t v;

    g_assert_no_error(err);
    as = machine_address_space(m, NULL);
    io = machine_address_space(m, "I/O");
    g_assert_true(as == machine_address_space(m, "memory"));
    g_assert_nonnull(io);
    g_assert_null(machine_address_space(m, "nosuch"));
    g_assert_cmpuint(memory_region_size(machine_region(m, "ram")), ==,
                     MACHINE_DEFAULT_RAM_SIZE);
    g_assert_null(machine_region(m, "ram-below-4g"));
    g_assert_true(memory_region_is_romd(machine_region(m, "flash")));
    g_assert_nonnull(machine_device(m, "hpet", MACHINE_DEVICE_HPET));
    g_assert_null(machine_device(m, "hpet", MACHINE_DEVICE_CONSOLE));
    g_assert_cmpstr(machine_find_device_type(m, MACHINE_DEVICE_DMA_TESTDEV), ==,
                    "dma-testdev");
    g_assert_cmpint(machine_device_irq_lines(m, "hpet"), ==, 32);
    g_assert_cmpint(machine_device_irq_lines(m, "console"), ==, 0);

    /* the ROM shows at its alias below 1 MiB, which wins over RAM */
    memcpy(memory_region_get_ram_ptr(machine_region(m, "rom")), &rom_byte, 1);
    g_assert_cmpuint(
        address_space_ldub(as, MACHINE_ROM_BASE, MEMTXATTRS_UNSPECIFIED, NULL),
        ==, 0x5a);
    g_assert_cmpuint(address_space_ldub(as, MACHINE_ISA_ROM_BASE,
                                        MEMTXATTRS_UNSPECIFIED, NULL),
                     ==, 0x5a);
    /* HPET capabilities at its base; unassigned ports read all ones */
    v = address_space_ldl_le(as, MACHINE_HPET_BASE, MEMTXATTRS_UNSPECIFIED,
                             NULL);
    g_assert_cmphex(v, ==, 0x8086a201);
    v = address_space_ldl_le(io, 0x80, MEMTXATTRS_UNSPECIFIED, NULL);
    g_assert_cmphex(v, ==, 0xffffffff);
    machine_free(m);
}

/* Above 3 GiB the RAM is split around the PCI hole, like a PC. */
static void test_default_split_ram(void)
{
    MachineConfig cfg = {.ram_size = 5ull << 30};
    GError *err = NULL;
    Machine *m = machine_new_default(&cfg, &err);
    AddressSpace *as;
    MemoryRegion *below, *above;
    MemTxResult r;

    g_assert_no_error(err);
    as = machine_address_space(m, NULL);
    below = machine_region(m, "ram-below-4g");
    above = machine_region(m, "ram-above-4g");
    g_assert_cmpuint(memory_region_size(below), ==, 3ull << 30);
    g_assert_cmpuint(memory_region_get_address(below), ==, 0);
    g_assert_cmpuint(memory_region_size(above), ==, 2ull << 30);
    g_assert_cmpuint(memory_region_get_address(above), ==, 4ull << 30);
    g_assert_cmpuint(memory_region_get_alias_offset(above), ==, 3ull << 30);
    /* RAM offset 3 GiB is seen at 4 GiB */
    address_space_stl_le(as, 4ull << 30, 0xcafe, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    g_assert_cmphex(*(uint32_t *)((uint8_t *)memory_region_get_ram_ptr(
                                      machine_region(m, "ram")) +
                                  (3ull << 30)),
                    ==, 0xcafe);
    /* the hole between 3 GiB and the devices */
    address_space_ldl_le(as, 3ull << 30, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    machine_free(m);
}

static void test_default_flash_modes(void)
{
    GError *err = NULL;
    Machine *m = machine_new_default(NULL, &err);
    AddressSpace *as = machine_address_space(m, NULL);
    MemoryRegion *flash = machine_region(m, "flash");
    uint8_t *ram = memory_region_get_ram_ptr(flash);
    MemTxAttrs at = MEMTXATTRS_UNSPECIFIED;

    g_assert_no_error(err);
    ram[0] = 0x11;
    ram[1] = 0x22;
    g_assert_cmphex(address_space_lduw_le(as, MACHINE_FLASH_BASE, at, NULL), ==,
                    0x2211);
    address_space_stb(as, MACHINE_FLASH_BASE, 0x90, at, NULL);
    g_assert_false(memory_region_is_romd(flash));
    g_assert_cmphex(address_space_lduw_le(as, MACHINE_FLASH_BASE, at, NULL), ==,
                    0x1889);
    address_space_stb(as, MACHINE_FLASH_BASE, 0xff, at, NULL);
    g_assert_true(memory_region_is_romd(flash));
    g_assert_cmphex(address_space_lduw_le(as, MACHINE_FLASH_BASE, at, NULL), ==,
                    0x2211);
    machine_free(m);
}

/* ---- round trips -------------------------------------------------------- */

static void round_trip(Machine *m)
{
    g_autofree char *before = mtree_text();
    g_autofree char *json = board_json_to_data(m);
    g_autofree char *after = NULL;
    g_autofree char *json2 = NULL;
    GError *err = NULL;

    machine_free(m);
    m = board_json_load_data(json, strlen(json), &err);
    g_assert_no_error(err);
    after = mtree_text();
    g_assert_cmpstr(after, ==, before);
    json2 = board_json_to_data(m);
    g_assert_cmpstr(json2, ==, json);
    machine_free(m);
}

static void test_round_trip_default(void)
{
    GError *err = NULL;
    Machine *m = machine_new_default(NULL, &err);

    g_assert_no_error(err);
    round_trip(m);
}

static void test_round_trip_split(void)
{
    MachineConfig cfg = {.ram_size = 4ull << 30};
    GError *err = NULL;
    Machine *m = machine_new_default(&cfg, &err);

    g_assert_no_error(err);
    round_trip(m);
}

/* Every region kind and flag, devices unmapped or aliased, big endian. */
static const char every_kind[] =
    "{\"regions\": ["
    " {\"name\": \"sys\", \"kind\": \"container\", \"size\": "
    "\"0x10000000000000000\"},"
    " {\"name\": \"mem\", \"kind\": \"ram\", \"size\": \"1M\", "
    "\"parent\": \"sys\"},"
    " {\"name\": \"boot\", \"kind\": \"rom\", \"size\": 4096, "
    "\"parent\": \"sys\", \"addr\": \"0xfffff000\"},"
    " {\"name\": \"nor\", \"kind\": \"romd\", \"size\": \"64K\", "
    "\"parent\": \"sys\", \"addr\": \"0x10000000\"},"
    " {\"name\": \"pio\", \"kind\": \"io\", \"size\": \"0x10000\"},"
    " {\"name\": \"hole\", \"kind\": \"reservation\", \"size\": 4096, "
    "\"parent\": \"sys\", \"addr\": \"0x8000\", \"priority\": 5, "
    "\"overlap\": true},"
    " {\"name\": \"off\", \"kind\": \"ram\", \"size\": 4096, "
    "\"parent\": \"sys\", \"addr\": \"0x20000000\", \"enabled\": false},"
    " {\"name\": \"ro\", \"kind\": \"alias\", \"size\": 4096, "
    "\"target\": \"mem\", \"offset\": \"0x1000\", \"parent\": \"sys\", "
    "\"addr\": \"0x30000000\", \"readonly\": true},"
    " {\"name\": \"sub\", \"kind\": \"container\", \"size\": \"0x1000\", "
    "\"parent\": \"sys\", \"addr\": \"0x40000000\", \"priority\": -1, "
    "\"overlap\": true},"
    " {\"name\": \"uart-alias\", \"kind\": \"alias\", \"size\": 8, "
    "\"target\": \"uart\", \"parent\": \"pio\", \"addr\": \"0x2f8\"}"
    "],"
    "\"devices\": ["
    " {\"name\": \"timer\", \"type\": \"hpet\", \"timers\": 5, "
    "\"parent\": \"sys\", \"addr\": \"0x50000000\", \"intcap\": "
    "\"0xff0104\", \"compat\": \"qemu-7.2\"},"
    " {\"name\": \"rec\", \"type\": \"testdev\", \"parent\": \"sub\"},"
    " {\"name\": \"dma\", \"type\": \"dma-testdev\", \"address_space\": "
    "\"io\", \"parent\": \"sys\", \"addr\": \"0x60000000\"},"
    " {\"name\": \"uart\", \"type\": \"console\"}"
    "],"
    "\"address_spaces\": ["
    " {\"name\": \"cpu\", \"root\": \"sys\", \"endianness\": \"big\"},"
    " {\"name\": \"io\", \"root\": \"pio\"},"
    " {\"name\": \"cpu-alias\", \"root\": \"sys\"}"
    "]}";

static void test_round_trip_every_kind(void)
{
    GError *err = NULL;
    Machine *m = board_json_load_data(every_kind, strlen(every_kind), &err);
    AddressSpace *as;

    g_assert_no_error(err);
    as = machine_address_space(m, NULL);
    g_assert_cmpstr(address_space_name(as), ==, "cpu");
    g_assert_true(address_space_is_big_endian(as));
    g_assert_false(memory_region_is_enabled(machine_region(m, "off")));
    g_assert_true(memory_region_is_readonly(machine_region(m, "ro")));
    g_assert_cmpint(memory_region_get_priority(machine_region(m, "sub")), ==,
                    -1);
    g_assert_cmpuint(memory_region_get_address(machine_region(m, "rec")), ==,
                     0);
    g_assert_cmpint(
        hpet_get_compat(machine_device(m, "timer", MACHINE_DEVICE_HPET)), ==,
        HPET_COMPAT_QEMU_7_2);
    g_assert_cmphex(
        address_space_ldl_le(as, 0x50000104, MEMTXATTRS_UNSPECIFIED, NULL), ==,
        0x0000ff0104);
    round_trip(m);
}

/* QEMU's -M q35: the HPET's route capability; -global sets properties. */
static void test_default_q35_and_globals(void)
{
    MachineConfig cfg = {0};
    GError *err = NULL;
    Machine *m;
    AddressSpace *as;
    MachineDeviceSpec spec;

    g_assert_true(machine_flavour_parse("q35", &cfg.flavour, &err));
    g_assert_cmpint(cfg.flavour, ==, MACHINE_FLAVOUR_Q35);
    g_assert_true(machine_flavour_parse("pc,pit=off", &cfg.flavour, &err));
    g_assert_cmpint(cfg.flavour, ==, MACHINE_FLAVOUR_PC);
    g_assert_false(machine_flavour_parse("isapc", &cfg.flavour, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(machine_flavour_parse("pc,pit=on", &cfg.flavour, &err));
    g_clear_error(&err);
    cfg.flavour = MACHINE_FLAVOUR_Q35;
    m = machine_new_default(&cfg, &err);
    g_assert_no_error(err);
    as = machine_address_space(m, NULL);
    g_assert_cmphex(address_space_ldl_le(as, MACHINE_HPET_BASE + 0x104,
                                         MEMTXATTRS_UNSPECIFIED, NULL),
                    ==, HPET_Q35_INTCAP);
    g_assert_true(machine_set_global(m, "hpet.compat=qemu-7.2", &err));
    g_assert_true(machine_set_global(m, "hpet.intcap=0x14", &err));
    g_assert_no_error(err);
    g_assert_cmphex(address_space_ldl_le(as, MACHINE_HPET_BASE + 0x124,
                                         MEMTXATTRS_UNSPECIFIED, NULL),
                    ==, 0x14);
    machine_device_spec(m, 0, &spec);
    g_assert_cmpint(spec.hpet_compat, ==, HPET_COMPAT_QEMU_7_2);
    g_assert_cmphex(spec.hpet_intcap, ==, 0x14);
    g_assert_false(machine_set_global(m, "hpet.compat=qemu-9", &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    /* QEMU's pc machines ignore a value whose low byte is 0 */
    g_assert_true(machine_set_global(m, "hpet.intcap=0x100", &err));
    g_assert_cmphex(address_space_ldl_le(as, MACHINE_HPET_BASE + 0x124,
                                         MEMTXATTRS_UNSPECIFIED, NULL),
                    ==, 0x14);
    g_assert_false(machine_set_global(m, "hpet.intcap=0x100000000", &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(machine_set_global(m, "hpet.timers=4", &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_NOT_FOUND);
    g_clear_error(&err);
    g_assert_false(machine_set_global(m, "rtc.base=0", &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_NOT_FOUND);
    g_clear_error(&err);
    g_assert_false(machine_set_global(m, "hpet-compat", &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_PARSE);
    g_clear_error(&err);
    machine_free(m);
}

/*
 * The source tree's README.md: __FILE__ is this file's path as given to
 * the compiler, absolute or relative to the build root, which is two
 * levels above this test's executable (tests/unit/).
 */
static char *readme_path(void)
{
    g_autofree char *src_dir = g_path_get_dirname(__FILE__);
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *exe_dir = exe ? g_path_get_dirname(exe) : g_strdup(".");

    if (g_path_is_absolute(src_dir)) {
        return g_build_filename(src_dir, "..", "..", "README.md", NULL);
    }
    return g_build_filename(exe_dir, "..", "..", src_dir, "..", "..",
                            "README.md", NULL);
}

/* The README's example board loads and works. */
static void test_readme_example(void)
{
    g_autofree char *path = readme_path();
    g_autofree char *readme = NULL;
    const char *start, *end;
    GError *err = NULL;
    Machine *m;

    if (!g_file_get_contents(path, &readme, NULL, NULL)) {
        g_test_skip("README.md not found");
        return;
    }
    start = strstr(readme, "## Board files");
    g_assert_nonnull(start);
    start = strstr(start, "```json\n");
    g_assert_nonnull(start);
    start += strlen("```json\n");
    end = strstr(start, "```");
    g_assert_nonnull(end);
    m = board_json_load_data(start, (size_t)(end - start), &err);
    g_assert_no_error(err);
    g_assert_nonnull(machine_address_space(m, "I/O"));
    /* 4 timers: NUM_TIM_CAP 3 */
    g_assert_cmphex(address_space_ldl_le(machine_address_space(m, "memory"),
                                         0xfed00000, MEMTXATTRS_UNSPECIFIED,
                                         NULL),
                    ==, 0x8086a301);
    machine_free(m);
}

/* ---- bad board files ---------------------------------------------------- */

typedef struct BadBoard {
    const char *name;
    const char *json;
    const char *error; /* the whole message */
} BadBoard;

#define R0             "{\"name\": \"sys\", \"kind\": \"container\", \"size\": \"4G\"}"
#define AS0            "\"address_spaces\": [{\"name\": \"m\", \"root\": \"sys\"}]"
#define BOARD(regions) "{\"regions\": [" R0 regions "], " AS0 "}"
#define BOARD_DEV(devices) \
    "{\"regions\": [" R0 "], \"devices\": [" devices "], " AS0 "}"

static const BadBoard bad_boards[] = {
    {"syntax", "{\"regions\": [", NULL},
    {"not-object", "[]", "$: must be an object"},
    {"unknown-top", "{\"regions\": [], \"foo\": 1, " AS0 "}",
     "$.foo: unknown member"},
    {"regions-missing", "{" AS0 "}", "$.regions: missing (required)"},
    {"regions-not-array", "{\"regions\": {}, " AS0 "}",
     "$.regions: must be an array"},
    {"region-not-object", "{\"regions\": [1], " AS0 "}",
     "$.regions[0]: must be an object"},
    {"name-missing", BOARD(", {\"kind\": \"ram\", \"size\": 1}"),
     "$.regions[1].name: missing (required)"},
    {"name-not-string", BOARD(", {\"name\": 7, \"kind\": \"ram\"}"),
     "$.regions[1].name: must be a string"},
    {"name-empty", BOARD(", {\"name\": \"\", \"kind\": \"ram\", \"size\": 1}"),
     "$.regions[1].name: must be a non-empty string of at most 128 bytes"},
    {"name-control",
     BOARD(", {\"name\": \"a\\nb\", \"kind\": \"ram\", "
           "\"size\": 1}"),
     "$.regions[1].name: must not contain control characters"},
    {"kind-unknown", BOARD(", {\"name\": \"x\", \"kind\": \"flash\"}"),
     "$.regions[1].kind: unknown kind 'flash' (ram, rom, romd, io, "
     "container, alias, reservation)"},
    {"member-unknown", BOARD(", {\"name\": \"x\", \"colour\": \"red\"}"),
     "$.regions[1].colour: unknown member"},
    {"size-missing", BOARD(", {\"name\": \"x\", \"kind\": \"ram\"}"),
     "$.regions[1].size: missing (required)"},
    {"size-zero", BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 0}"),
     "$.regions[1].size: must be a positive integer (at most 2^64)"},
    {"size-negative",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": -4096}"),
     "$.regions[1].size: must be a positive integer (at most 2^64)"},
    {"size-fraction",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1.5}"),
     "$.regions[1].size: must be a positive integer (at most 2^64)"},
    {"size-text",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": \"lots\"}"),
     "$.regions[1].size: must be a positive integer (at most 2^64)"},
    {"size-suffix",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": \"1Q\"}"),
     "$.regions[1].size: must be a positive integer (at most 2^64)"},
    {"size-above-2^64",
     BOARD(", {\"name\": \"x\", \"kind\": \"container\", \"size\": "
           "\"0x10000000000000001\"}"),
     "$.regions[1].size: must be a positive integer (at most 2^64)"},
    {"size-absurd-ram",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": \"1T\"}"),
     "$.regions[1].size: RAM-backed regions are limited to 64 GiB"},
    {"addr-above-2^64",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, \"parent\": "
           "\"sys\", \"addr\": \"0x10000000000000000\"}"),
     "$.regions[1].addr: must be a non-negative integer below 2^64"},
    {"addr-without-parent",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, "
           "\"addr\": 16}"),
     "$.regions[1].parent: required with addr, priority or overlap"},
    {"priority-range",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, \"parent\": "
           "\"sys\", \"priority\": 4294967296}"),
     "$.regions[1].priority: must be an integer from -2147483648 to "
     "2147483647"},
    {"priority-without-overlap",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, \"parent\": "
           "\"sys\", \"priority\": 2}"),
     "$.regions[1].priority: a non-zero priority needs overlap"},
    {"enabled-not-bool",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, \"enabled\": "
           "1}"),
     "$.regions[1].enabled: must be true or false"},
    {"duplicate-name",
     BOARD(", {\"name\": \"sys\", \"kind\": \"ram\", \"size\": 1}"),
     "$.regions[1].name: duplicate name 'sys'"},
    {"unknown-parent",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, \"parent\": "
           "\"system\"}"),
     "$.regions[1].parent: unknown region 'system'"},
    {"does-not-fit",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 8192, "
           "\"parent\": \"sys\", \"addr\": \"0xfffff000\"}"),
     "$.regions[1].addr: 0xfffff000 + size 0x2000 does not fit in 'sys' "
     "(size 0x100000000)"},
    {"alias-without-target",
     BOARD(", {\"name\": \"x\", \"kind\": \"alias\", \"size\": 1}"),
     "$.regions[1].target: an alias needs a target"},
    {"target-not-alias",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, \"target\": "
           "\"sys\"}"),
     "$.regions[1].target: only aliases have a target"},
    {"offset-not-alias",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, \"offset\": "
           "0}"),
     "$.regions[1].offset: only aliases have an offset"},
    {"unknown-target",
     BOARD(", {\"name\": \"x\", \"kind\": \"alias\", \"size\": 1, "
           "\"target\": \"nosuch\"}"),
     "$.regions[1].target: unknown region 'nosuch'"},
    {"alias-window-past-end",
     BOARD(", {\"name\": \"r\", \"kind\": \"ram\", \"size\": 4096}, "
           "{\"name\": \"x\", \"kind\": \"alias\", \"size\": 4096, "
           "\"target\": \"r\", \"offset\": 1}"),
     "$.regions[2].size: window 0x1+0x1000 passes the end of 'r'"},
    {"alias-cycle-self",
     BOARD(", {\"name\": \"x\", \"kind\": \"alias\", \"size\": 1, "
           "\"target\": \"x\"}"),
     "$.regions[1].target: alias cycle through 'x'"},
    {"alias-cycle",
     BOARD(", {\"name\": \"a\", \"kind\": \"alias\", \"size\": 1, "
           "\"target\": \"b\"}, {\"name\": \"b\", \"kind\": \"alias\", "
           "\"size\": 1, \"target\": \"c\"}, {\"name\": \"c\", \"kind\": "
           "\"alias\", \"size\": 1, \"target\": \"a\"}"),
     "$.regions[3].target: alias cycle through 'a'"},
    {"parent-self",
     BOARD(", {\"name\": \"x\", \"kind\": \"container\", \"size\": 1, "
           "\"parent\": \"x\"}"),
     NULL},
    {"parent-cycle",
     BOARD(", {\"name\": \"a\", \"kind\": \"container\", \"size\": 16, "
           "\"parent\": \"b\"}, {\"name\": \"b\", \"kind\": \"container\", "
           "\"size\": 16, \"parent\": \"a\"}"),
     NULL},
    {"parent-cycle-through-alias",
     BOARD(", {\"name\": \"c\", \"kind\": \"container\", \"size\": 16}, "
           "{\"name\": \"a\", \"kind\": \"alias\", \"size\": 16, "
           "\"target\": \"c\", \"parent\": \"c\"}"),
     NULL},
    {"overlap",
     BOARD(", {\"name\": \"a\", \"kind\": \"ram\", \"size\": 8192, "
           "\"parent\": \"sys\"}, {\"name\": \"b\", \"kind\": \"ram\", "
           "\"size\": 4096, \"parent\": \"sys\", \"addr\": 4096}"),
     "$.regions[2]: 'b' overlaps 'a' in 'sys' (add \"overlap\": true and a "
     "priority to allow it)"},
    {"overlap-device",
     "{\"regions\": [" R0 "], \"devices\": [{\"name\": \"t\", \"type\": "
     "\"testdev\", \"parent\": \"sys\"}, {\"name\": \"u\", \"type\": "
     "\"console\", \"parent\": \"sys\", \"addr\": 8}], " AS0 "}",
     "$.devices[1]: 'u' overlaps 't' in 'sys' (add \"overlap\": true and a "
     "priority to allow it)"},
    {"device-type", BOARD_DEV("{\"name\": \"d\", \"type\": \"uart\"}"),
     "$.devices[0].type: unknown device type 'uart' (hpet, testdev, "
     "dma-testdev, console)"},
    {"device-type-missing", BOARD_DEV("{\"name\": \"d\"}"),
     "$.devices[0].type: missing (required)"},
    {"device-member",
     BOARD_DEV("{\"name\": \"d\", \"type\": \"console\", "
               "\"baud\": 9600}"),
     "$.devices[0].baud: unknown member"},
    {"device-duplicate",
     BOARD_DEV("{\"name\": \"sys\", \"type\": \"console\"}"),
     "$.devices[0].name: duplicate name 'sys'"},
    {"hpet-timers",
     BOARD_DEV("{\"name\": \"h\", \"type\": \"hpet\", "
               "\"timers\": 33}"),
     "$.devices[0].timers: must be 3 to 32"},
    {"timers-not-hpet",
     BOARD_DEV("{\"name\": \"c\", \"type\": \"console\", "
               "\"timers\": 3}"),
     "$.devices[0].timers: only an hpet has timers"},
    {"as-not-dma",
     BOARD_DEV("{\"name\": \"c\", \"type\": \"console\", "
               "\"address_space\": \"m\"}"),
     "$.devices[0].address_space: only a dma-testdev has an address space"},
    {"dma-unknown-as",
     BOARD_DEV("{\"name\": \"d\", \"type\": "
               "\"dma-testdev\", \"address_space\": "
               "\"nosuch\"}"),
     "$.devices[0].address_space: unknown address space 'nosuch'"},
    {"device-unknown-parent",
     BOARD_DEV("{\"name\": \"d\", \"type\": "
               "\"console\", \"parent\": \"x\"}"),
     "$.devices[0].parent: unknown region 'x'"},
    {"spaces-missing", "{\"regions\": [" R0 "]}",
     "$.address_spaces: missing (required)"},
    {"space-unknown-root",
     "{\"regions\": [" R0 "], \"address_spaces\": [{\"name\": \"m\", "
     "\"root\": \"nosuch\"}]}",
     "$.address_spaces[0].root: unknown region 'nosuch'"},
    {"space-duplicate",
     "{\"regions\": [" R0 "], \"address_spaces\": [{\"name\": \"m\", "
     "\"root\": \"sys\"}, {\"name\": \"m\", \"root\": \"sys\"}]}",
     "$.address_spaces[1].name: duplicate address space 'm'"},
    {"space-endianness",
     "{\"regions\": [" R0 "], \"address_spaces\": [{\"name\": \"m\", "
     "\"root\": \"sys\", \"endianness\": \"middle\"}]}",
     "$.address_spaces[0].endianness: must be \"little\" or \"big\""},
    {"deep-nesting",
     "{\"regions\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
     "]]}",
     "$: nested deeper than 16 levels"},
    {"invalid-utf8", "{\"regions\": [\"\xff\"]}",
     "$: invalid JSON: not UTF-8 text"},
    {"hpet-intcap-zero",
     BOARD_DEV("{\"name\": \"h\", \"type\": \"hpet\", \"intcap\": 0}"),
     "$.devices[0].intcap: must be a non-zero 32-bit route capability"},
    {"hpet-intcap-wide",
     BOARD_DEV("{\"name\": \"h\", \"type\": \"hpet\", \"intcap\": "
               "\"0x100000000\"}"),
     "$.devices[0].intcap: must be a non-zero 32-bit route capability"},
    {"hpet-compat-unknown",
     BOARD_DEV("{\"name\": \"h\", \"type\": \"hpet\", \"compat\": "
               "\"qemu-9.1\"}"),
     "$.devices[0].compat: must be \"default\" or \"qemu-7.2\""},
    {"compat-not-hpet",
     BOARD_DEV("{\"name\": \"c\", \"type\": \"console\", \"compat\": "
               "\"qemu-7.2\"}"),
     "$.devices[0].compat: only an hpet has this property"},
};

static void test_bad_board(gconstpointer data)
{
    const BadBoard *bad = data;
    g_autofree char *before = mtree_text();
    g_autofree char *after = NULL;
    GError *err = NULL;
    Machine *m = board_json_load_data(bad->json, strlen(bad->json), &err);

    g_assert_null(m);
    g_assert_nonnull(err);
    g_test_message("error: %s", err->message);
    g_assert_true(err->domain == ADDRSPACE_ERROR);
    if (bad->error) {
        g_assert_cmpstr(err->message, ==, bad->error);
    } else if (g_str_has_prefix(bad->name, "parent-")) {
        /* the library's message, located by the loader */
        g_assert_cmpint(err->code, ==, ADDRSPACE_ERROR_CYCLE);
        g_assert_true(g_str_has_prefix(err->message, "$.regions["));
        g_assert_nonnull(strstr(err->message, "].parent: "));
    } else {
        g_assert_true(g_str_has_prefix(err->message, "$: invalid JSON: "));
    }
    g_error_free(err);
    /* nothing of the half-built machine is left */
    after = mtree_text();
    g_assert_cmpstr(after, ==, before);
}

static void test_bad_sizes(void)
{
    GString *big = g_string_new("{\"regions\": [");
    GError *err = NULL;

    /* a file above the limit is refused before parsing */
    while (big->len <= BOARD_JSON_MAX_BYTES) {
        g_string_append(big, "                                ");
    }
    g_string_append(big, "]}");
    g_assert_null(board_json_load_data(big->str, big->len, &err));
    g_assert_cmpstr(err->message, ==, "$: file larger than 4194304 bytes");
    g_clear_error(&err);
    /* a NUL byte */
    g_assert_null(board_json_load_data("{}\0{}", 5, &err));
    g_assert_cmpstr(err->message, ==, "$: invalid JSON: not UTF-8 text");
    g_clear_error(&err);
    /* too many regions */
    g_string_assign(big, "{\"regions\": [");
    for (guint i = 0; i <= BOARD_JSON_MAX_REGIONS; i++) {
        g_string_append(big, i ? ",{}" : "{}");
    }
    g_string_append(big, "]}");
    g_assert_null(board_json_load_data(big->str, big->len, &err));
    g_assert_cmpstr(err->message, ==, "$.regions: at most 4096 entries");
    g_clear_error(&err);
    g_string_free(big, TRUE);
}

static void test_bad_files(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-board-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "bad.json", NULL);
    g_autofree char *expected = NULL;
    GError *err = NULL;

    g_assert_nonnull(dir);
    g_assert_null(board_json_load_file("/nonexistent/board.json", &err));
    g_assert_cmpint(err->code, ==, ADDRSPACE_ERROR_OS);
    g_clear_error(&err);
    g_assert_null(board_json_load_file(dir, &err));
    g_assert_true(g_str_has_suffix(err->message, "not a regular file of at "
                                                 "most 4194304 bytes"));
    g_clear_error(&err);
    g_assert_null(board_json_load_file("/dev/zero", &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    /* errors from a file name it first */
    g_assert_true(g_file_set_contents(path, "[]", -1, NULL));
    g_assert_null(board_json_load_file(path, &err));
    expected = g_strdup_printf("%s: $: must be an object", path);
    g_assert_cmpstr(err->message, ==, expected);
    g_clear_error(&err);
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/board/default/layout", test_default_layout);
    g_test_add_func("/board/default/split-ram-above-3g",
                    test_default_split_ram);
    g_test_add_func("/board/default/q35-and-globals",
                    test_default_q35_and_globals);
    g_test_add_func("/board/default/flash-romd-modes",
                    test_default_flash_modes);
    g_test_add_func("/board/round-trip/default", test_round_trip_default);
    g_test_add_func("/board/round-trip/split-ram", test_round_trip_split);
    g_test_add_func("/board/round-trip/every-kind", test_round_trip_every_kind);
    g_test_add_func("/board/readme-example", test_readme_example);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_boards); i++) {
        g_autofree char *p =
            g_strdup_printf("/board/bad/%s", bad_boards[i].name);

        g_test_add_data_func(p, &bad_boards[i], test_bad_board);
    }
    g_test_add_func("/board/bad/limits", test_bad_sizes);
    g_test_add_func("/board/bad/files", test_bad_files);
    return g_test_run();
}
