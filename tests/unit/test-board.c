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
#include "json-strict.h"
#include "machine.h"
#include "mtree-blocks.h"
#include "source-path.h"

/* mtree_info_flags() output as a string. */
static char *mtree_flags_text(unsigned int flags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    g_assert_nonnull(f);
    mtree_info_flags(f, flags);
    fclose(f);
    return buf;
}

/* The dumps as one string (tree, flat view, -D, -o and -f -o). */
static char *mtree_text(void)
{
    static const unsigned int modes[] = {
        0,
        MTREE_INFO_FLATVIEW,
        MTREE_INFO_DISABLED,
        MTREE_INFO_OWNER,
        MTREE_INFO_FLATVIEW | MTREE_INFO_OWNER,
    };
    GString *all = g_string_new(NULL);

    for (guint mode = 0; mode < G_N_ELEMENTS(modes); mode++) {
        char *buf = mtree_flags_text(modes[mode]);
        size_t len = strlen(buf);

        g_string_append_printf(all, "--- mode %u ---\n", mode);
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
    g_assert_nonnull(machine_device(m, "hpet", "hpet"));
    g_assert_null(machine_device(m, "hpet", "console"));
    g_assert_cmpstr(machine_find_device_type(m, "dma-testdev"), ==,
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
    g_assert_cmpint(hpet_get_compat(machine_device(m, "timer", "hpet")), ==,
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
    {
        const char *compat = NULL;
        uint64_t intcap = 0;

        g_assert_true(
            machine_props_get_string(spec.props, "compat", &compat, NULL));
        g_assert_true(
            machine_props_get_u64(spec.props, "intcap", &intcap, NULL));
        g_assert_cmpstr(compat, ==, "qemu-7.2");
        g_assert_cmphex(intcap, ==, 0x14);
    }
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

/* A board from its text; the test fails if it does not load. */
static Machine *load(const char *json)
{
    GError *err = NULL;
    Machine *m = board_json_load_data(json, strlen(json), &err);

    g_assert_no_error(err);
    g_assert_nonnull(m);
    return m;
}

/*
 * Display names may repeat, as in QEMU (q35's 13 "pam-ram" aliases); ids
 * tell the regions apart and are what references name. AddressSpace names
 * may repeat too: lookups by name take the first one.
 */
static const char duplicate_names[] =
    "{\"regions\": ["
    " {\"name\": \"system\", \"kind\": \"container\", \"size\": \"1M\"},"
    " {\"name\": \"pc.ram\", \"kind\": \"ram\", \"size\": \"64K\"},"
    " {\"id\": \"pam-ram-0\", \"name\": \"pam-ram\", \"kind\": \"alias\","
    "  \"target\": \"pc.ram\", \"size\": \"16K\", \"parent\": \"system\","
    "  \"addr\": \"0xc0000\", \"priority\": 1, \"overlap\": true},"
    " {\"id\": \"pam-ram-1\", \"name\": \"pam-ram\", \"kind\": \"alias\","
    "  \"target\": \"pc.ram\", \"offset\": \"16K\", \"size\": \"16K\","
    "  \"parent\": \"system\", \"addr\": \"0xc4000\", \"priority\": 1,"
    "  \"overlap\": true},"
    " {\"name\": \"bus master container\", \"kind\": \"container\","
    "  \"size\": \"1M\"},"
    " {\"id\": \"bmc-2\", \"name\": \"bus master container\","
    "  \"kind\": \"container\", \"size\": \"1M\"},"
    " {\"id\": \"bm-2\", \"name\": \"bus master\", \"kind\": \"alias\","
    "  \"target\": \"system\", \"size\": \"1M\", \"parent\": \"bmc-2\"}"
    "],"
    "\"devices\": ["
    " {\"id\": \"dma1\", \"name\": \"dma\", \"type\": \"dma-testdev\","
    "  \"address_space\": \"e1000-b\", \"parent\": \"system\","
    "  \"addr\": \"0x10000\"},"
    " {\"id\": \"dma2\", \"name\": \"dma\", \"type\": \"dma-testdev\","
    "  \"parent\": \"system\", \"addr\": \"0x11000\"}"
    "],"
    "\"address_spaces\": ["
    " {\"name\": \"memory\", \"root\": \"system\"},"
    " {\"id\": \"e1000-a\", \"name\": \"e1000\","
    "  \"root\": \"bus master container\"},"
    " {\"id\": \"e1000-b\", \"name\": \"e1000\", \"root\": \"bmc-2\"}"
    "]}";

static void test_duplicate_names(void)
{
    Machine *m = load(duplicate_names);
    MemoryRegion *pam0 = machine_region(m, "pam-ram-0");
    MemoryRegion *pam1 = machine_region(m, "pam-ram-1");
    AddressSpace *first = machine_address_space(m, "e1000");
    g_autofree char *tree = mtree_flags_text(0);

    g_assert_true(pam0 && pam1 && pam0 != pam1);
    g_assert_cmpstr(memory_region_name(pam0), ==, "pam-ram");
    g_assert_cmpstr(memory_region_name(pam1), ==, "pam-ram");
    g_assert_null(machine_region(m, "pam-ram")); /* no such id */
    g_assert_cmphex(memory_region_get_alias_offset(pam1), ==, 0x4000);
    /* the first AddressSpace of a name; its root is the region with id
     * "bus master container" */
    g_assert_nonnull(first);
    g_assert_true(address_space_root(first) ==
                  machine_region(m, "bus master container"));
    g_assert_cmpstr(address_space_name(first), ==, "e1000");
    g_assert_nonnull(strstr(tree, "address-space: e1000\n  "
                                  "0000000000000000-00000000000fffff (prio 0, "
                                  "i/o): bus master container\n\n"));
    g_assert_nonnull(strstr(tree, "address-space: e1000\n  "
                                  "0000000000000000-00000000000fffff (prio 0, "
                                  "i/o): bus master container\n    "
                                  "0000000000000000-00000000000fffff (prio 0, "
                                  "i/o): alias bus master @system"));
    g_assert_nonnull(strstr(tree, "(prio 1, ram): alias pam-ram @pc.ram "
                                  "0000000000004000-0000000000007fff\n"));
    round_trip(m);
}

/* An alias may come before its target in the file, whatever the kind. */
static const char alias_first[] =
    "{\"regions\": ["
    " {\"name\": \"low\", \"kind\": \"alias\", \"target\": \"ram\","
    "  \"size\": \"4K\", \"parent\": \"sys\"},"
    " {\"name\": \"hi\", \"kind\": \"alias\", \"target\": \"box\","
    "  \"offset\": \"0x100\", \"size\": \"0x100\", \"parent\": \"sys\","
    "  \"addr\": \"0x10000\"},"
    " {\"name\": \"chain\", \"kind\": \"alias\", \"target\": \"low\","
    "  \"offset\": \"0x10\", \"size\": \"0x10\", \"parent\": \"sys\","
    "  \"addr\": \"0x20000\"},"
    " {\"name\": \"sys\", \"kind\": \"container\", \"size\": \"1M\"},"
    " {\"name\": \"ram\", \"kind\": \"ram\", \"size\": \"8K\"},"
    " {\"name\": \"box\", \"kind\": \"container\", \"size\": \"4K\"},"
    " {\"name\": \"boxrom\", \"kind\": \"rom\", \"size\": \"4K\","
    "  \"parent\": \"box\"}"
    "],"
    "\"address_spaces\": [{\"name\": \"m\", \"root\": \"sys\"}]}";

static void test_alias_before_target(void)
{
    Machine *m = load(alias_first);
    AddressSpace *as = machine_address_space(m, NULL);
    uint8_t *ram = memory_region_get_ram_ptr(machine_region(m, "ram"));
    uint8_t *rom = memory_region_get_ram_ptr(machine_region(m, "boxrom"));

    ram[0x14] = 0x5a;
    rom[0x100] = 0xa5;
    g_assert_cmphex(address_space_ldub(as, 0x14, MEMTXATTRS_UNSPECIFIED, NULL),
                    ==, 0x5a);
    g_assert_cmphex(
        address_space_ldub(as, 0x20004, MEMTXATTRS_UNSPECIFIED, NULL), ==,
        0x5a);
    g_assert_cmphex(
        address_space_ldub(as, 0x10000, MEMTXATTRS_UNSPECIFIED, NULL), ==,
        0xa5);
    round_trip(m);
}

/*
 * QEMU accepts regions of size 0 and alias windows past their target's
 * end (q35: "tseg-blackhole" and "tseg-window" at the top of RAM, both
 * of size 0 until TSEG is configured).
 */
static const char tseg_like[] =
    "{\"regions\": ["
    " {\"name\": \"system\", \"kind\": \"container\", \"size\": "
    "\"0x10000000000000000\"},"
    " {\"name\": \"smram\", \"kind\": \"container\", \"size\": \"4G\"},"
    " {\"name\": \"pc.ram\", \"kind\": \"ram\", \"size\": \"128M\"},"
    " {\"name\": \"ram-below-4g\", \"kind\": \"alias\", \"target\": "
    "\"pc.ram\", \"size\": \"128M\", \"parent\": \"system\"},"
    " {\"name\": \"tseg-blackhole\", \"kind\": \"io\", \"size\": 0,"
    "  \"parent\": \"system\", \"addr\": \"0x8000000\", \"priority\": 1,"
    "  \"overlap\": true, \"enabled\": false},"
    " {\"name\": \"tseg-window\", \"kind\": \"alias\", \"target\": "
    "\"pc.ram\", \"offset\": \"0x8000000\", \"size\": 0, \"parent\": "
    "\"smram\", \"addr\": \"0x8000000\", \"enabled\": false},"
    " {\"name\": \"tail\", \"kind\": \"alias\", \"target\": \"pc.ram\","
    "  \"offset\": \"0x7fff000\", \"size\": \"8K\", \"parent\": \"system\","
    "  \"addr\": \"0x10000000\"}"
    "],"
    "\"address_spaces\": [{\"name\": \"memory\", \"root\": \"system\"},"
    " {\"name\": \"smm\", \"root\": \"smram\"}]}";

static void test_size_zero_and_window_past_end(void)
{
    Machine *m = load(tseg_like);
    AddressSpace *as = machine_address_space(m, NULL);
    g_autofree char *tree = mtree_flags_text(MTREE_INFO_DISABLED);
    MemTxResult r;

    g_assert_cmpuint(memory_region_size(machine_region(m, "tseg-window")), ==,
                     0);
    g_assert_nonnull(
        strstr(tree, "0000000008000000-0000000008000000 (prio 0, ram): alias "
                     "tseg-window @pc.ram 0000000008000000-0000000008000000 "
                     "[disabled]\n"));
    g_assert_nonnull(strstr(tree,
                            "0000000008000000-0000000008000000 (prio 1, i/o): "
                            "tseg-blackhole [disabled]\n"));
    /* "tail": its first 4 KiB are the end of RAM, the rest is a hole */
    address_space_stl_le(as, 0x10000ffc, 0x11223344, MEMTXATTRS_UNSPECIFIED,
                         &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    address_space_ldl_le(as, 0x10001000, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmphex(r, ==, MEMTX_DECODE_ERROR);
    round_trip(m);
}

/*
 * A region that runs past its parent's end is accepted, as QEMU's
 * memory_region_add_subregion() accepts it; the render clips it to the
 * parent, so the part past the parent is not reachable.
 */
static void test_past_parent_end(void)
{
    Machine *m =
        load("{\"regions\": ["
             " {\"name\": \"sys\", \"kind\": \"container\", \"size\": \"1M\"},"
             " {\"name\": \"big\", \"kind\": \"ram\", \"size\": \"8K\","
             "  \"parent\": \"sys\", \"addr\": \"0xff000\"}],"
             "\"address_spaces\": [{\"name\": \"m\", \"root\": \"sys\"}]}");
    AddressSpace *as = machine_address_space(m, NULL);
    g_autofree char *tree = mtree_flags_text(0);
    g_autofree char *flat = mtree_flags_text(MTREE_INFO_FLATVIEW);
    MemTxResult r;

    g_assert_nonnull(
        strstr(tree, "00000000000ff000-0000000000100fff (prio 0, ram): big\n"));
    g_assert_nonnull(
        strstr(flat, "00000000000ff000-00000000000fffff (prio 0, ram): big\n"));
    address_space_stl_le(as, 0xffffc, 0x11223344, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    g_assert_cmphex(
        address_space_ldl_le(as, 0xffffc, MEMTXATTRS_UNSPECIFIED, &r), ==,
        0x11223344);
    address_space_ldl_le(as, 0x100000, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmphex(r, ==, MEMTX_DECODE_ERROR);
    round_trip(m);
}

/* "nonvolatile": QEMU's nv- flag, shown in dumps and kept by a dump. */
static void test_nonvolatile(void)
{
    Machine *m =
        load("{\"regions\": ["
             " {\"name\": \"sys\", \"kind\": \"container\", \"size\": \"1M\"},"
             " {\"name\": \"nv-ram\", \"kind\": \"ram\", \"size\": \"4K\","
             "  \"parent\": \"sys\", \"nonvolatile\": true}],"
             "\"address_spaces\": [{\"name\": \"m\", \"root\": \"sys\"}]}");
    g_autofree char *tree = mtree_flags_text(0);
    g_autofree char *flat = mtree_flags_text(MTREE_INFO_FLATVIEW);

    g_assert_true(memory_region_is_nonvolatile(machine_region(m, "nv-ram")));
    g_assert_nonnull(strstr(tree, "(prio 0, nv-ram): nv-ram\n"));
    g_assert_nonnull(strstr(flat, "(prio 0, nv-ram): nv-ram\n"));
    round_trip(m);
}

/*
 * An IOMMU: offset x of the region is offset + x of the target
 * AddressSpace, page by page, with fixed permissions. Here a 64 KiB
 * window at 0x100000 of "dma" shows RAM from 0x8000 read-only, and a
 * second one RAM from 0x10000 write-only.
 */
static const char iommu_board[] =
    "{\"regions\": ["
    " {\"name\": \"sys\", \"kind\": \"container\", \"size\": \"4M\"},"
    " {\"name\": \"ram\", \"kind\": \"ram\", \"size\": \"1M\","
    "  \"parent\": \"sys\"},"
    " {\"name\": \"dma-root\", \"kind\": \"container\", \"size\": \"4M\"},"
    " {\"name\": \"iommu-ro\", \"kind\": \"iommu\", \"size\": \"64K\","
    "  \"address_space\": \"mem\", \"offset\": \"0x8000\","
    "  \"page_size\": \"0x1000\", \"perm\": \"ro\", \"parent\": \"dma-root\","
    "  \"addr\": \"0x100000\"},"
    " {\"name\": \"iommu-wo\", \"kind\": \"iommu\", \"size\": \"64K\","
    "  \"address_space\": \"mem\", \"offset\": \"0x10000\","
    "  \"page_size\": \"0x10000\", \"perm\": \"wo\", \"parent\": \"dma-root\","
    "  \"addr\": \"0x200000\"}"
    "],"
    "\"address_spaces\": [{\"id\": \"mem\", \"name\": \"memory\","
    " \"root\": \"sys\"}, {\"name\": \"dma\", \"root\": \"dma-root\"}]}";

static void test_iommu(void)
{
    Machine *m = load(iommu_board);
    AddressSpace *dma = machine_address_space(m, "dma");
    uint8_t *ram = memory_region_get_ram_ptr(machine_region(m, "ram"));
    MemTxAttrs at = MEMTXATTRS_UNSPECIFIED;
    g_autofree char *flat = mtree_flags_text(MTREE_INFO_FLATVIEW);
    uint8_t buf[8];
    MemTxResult r;

    ram[0x8000 + 0x1234] = 0x42;
    g_assert_cmphex(address_space_ldub(dma, 0x101234, at, &r), ==, 0x42);
    g_assert_cmphex(r, ==, MEMTX_OK);
    /* a buffer read across translated pages */
    memset(ram + 0x8ffc, 0x77, 8);
    g_assert_cmphex(address_space_read(dma, 0x100ffc, at, buf, 8), ==,
                    MEMTX_OK);
    g_assert_cmphex(buf[0], ==, 0x77);
    g_assert_cmphex(buf[7], ==, 0x77);
    /* read-only: the write is refused (QEMU: unassigned) */
    address_space_stb(dma, 0x101234, 0x99, at, &r);
    g_assert_cmphex(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(ram[0x9234], ==, 0x42);
    /* write-only */
    address_space_stb(dma, 0x200010, 0x66, at, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    g_assert_cmphex(ram[0x10010], ==, 0x66);
    address_space_ldub(dma, 0x200010, at, &r);
    g_assert_cmphex(r, ==, MEMTX_DECODE_ERROR);
    g_assert_nonnull(strstr(flat, "(prio 0, i/o): iommu-ro\n"));
    round_trip(m);
}

/*
 * A ram-device region (QEMU's memory_region_init_ram_device_ptr()): RAM
 * reached through the dispatcher, "ramd" in dumps, bounced by map.
 */
static void test_ram_device(void)
{
    Machine *m =
        load("{\"regions\": ["
             " {\"name\": \"sys\", \"kind\": \"container\", \"size\": \"1M\"},"
             " {\"name\": \"bar0\", \"kind\": \"ram-device\", \"size\": \"8K\","
             "  \"parent\": \"sys\", \"addr\": \"0x4000\"}],"
             "\"address_spaces\": [{\"name\": \"m\", \"root\": \"sys\"}]}");
    AddressSpace *as = machine_address_space(m, NULL);
    MemoryRegion *bar = machine_region(m, "bar0");
    uint8_t *host = memory_region_get_ram_ptr(bar);
    MemTxAttrs at = MEMTXATTRS_UNSPECIFIED;
    g_autofree char *tree = mtree_flags_text(0);
    hwaddr len = 16;
    MemTxResult r;
    void *p;

    g_assert_true(memory_region_is_ram(bar));
    g_assert_nonnull(host);
    address_space_stq_le(as, 0x4003, 0x0102030405060708ull, at, &r);
    g_assert_cmphex(r, ==, MEMTX_OK);
    g_assert_cmphex(host[3], ==, 0x08);
    g_assert_cmphex(host[10], ==, 0x01);
    g_assert_cmphex(address_space_ldl_le(as, 0x4004, at, &r), ==, 0x04050607);
    g_assert_cmphex(r, ==, MEMTX_OK);
    /* never a direct pointer (QEMU: memory_access_is_direct() is false) */
    p = address_space_map(as, 0x4000, &len, false, at);
    g_assert_nonnull(p);
    g_assert_true((uint8_t *)p < host || (uint8_t *)p >= host + 0x2000);
    g_assert_cmphex(((uint8_t *)p)[3], ==, 0x08);
    address_space_unmap(as, p, len, false, len);
    g_assert_nonnull(strstr(tree, "(prio 0, ramd): bar0\n"));
    round_trip(m);
}

/*
 * Owners as QEMU's `info mtree -o` prints them: regions with equal owner
 * specs share one owner; a device's own owner takes the spec too.
 */
static const char owners_board[] =
    "{\"regions\": ["
    " {\"name\": \"system\", \"kind\": \"container\", \"size\": \"1M\"},"
    " {\"name\": \"pc.ram\", \"kind\": \"ram\", \"size\": \"64K\","
    "  \"parent\": \"system\", \"owner\": {\"kind\": \"obj\", \"path\": "
    "\"/objects/pc.ram\"}},"
    " {\"name\": \"acpi-evt\", \"kind\": \"io\", \"size\": 4,"
    "  \"parent\": \"system\", \"addr\": \"0x10000\", \"owner\": "
    "{\"path\": \"/machine/unattached/device[2]\"}},"
    " {\"name\": \"acpi-cnt\", \"kind\": \"io\", \"size\": 2,"
    "  \"parent\": \"system\", \"addr\": \"0x10004\", \"owner\": "
    "{\"kind\": \"dev\", \"path\": \"/machine/unattached/device[2]\"}}"
    "],"
    "\"devices\": ["
    " {\"name\": \"hpet\", \"type\": \"hpet\", \"parent\": \"system\","
    "  \"addr\": \"0x20000\", \"owner\": {\"path\": "
    "\"/machine/unattached/device[7]\", \"id\": \"hpet0\"}}"
    "],"
    "\"address_spaces\": [{\"name\": \"memory\", \"root\": \"system\"}]}";

static void test_owners(void)
{
    Machine *m = load(owners_board);
    g_autofree char *tree = mtree_flags_text(MTREE_INFO_OWNER);

    /* clang-format off */
    g_assert_cmpstr(tree, ==,
        "address-space: memory\n"
        "  0000000000000000-00000000000fffff (prio 0, i/o): system parent:{obj path=/machine/unattached}\n"
        "    0000000000000000-000000000000ffff (prio 0, ram): pc.ram owner:{obj path=/objects/pc.ram}\n"
        "    0000000000010000-0000000000010003 (prio 0, i/o): acpi-evt owner:{dev path=/machine/unattached/device[2]}\n"
        "    0000000000010004-0000000000010005 (prio 0, i/o): acpi-cnt owner:{dev path=/machine/unattached/device[2]}\n"
        "    0000000000020000-00000000000203ff (prio 0, i/o): hpet owner:{dev id=hpet0}\n"
        "\n");
    /* clang-format on */
    g_assert_true(memory_region_owner(machine_region(m, "acpi-evt")) ==
                  memory_region_owner(machine_region(m, "acpi-cnt")));
    g_assert_true(memory_region_owner(machine_region(m, "acpi-evt")) !=
                  memory_region_owner(machine_region(m, "pc.ram")));
    round_trip(m);
}

/* The README's example board loads and works. */
static void test_readme_example(void)
{
    g_autofree char *path = source_path("README.md", NULL);
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

/* ---- real QEMU 7.2 machines rebuilt as board files ---------------------- */

/*
 * tests/boards/ holds q35, pc and microvm (QEMU 7.2, -nodefaults) as board
 * files, made by tests/boards/qemu-mtree-to-board.py from the machines'
 * own `info mtree -o -D`, and what real QEMU 7.2 printed for each set of
 * flags (tests/boards/qemu-7.2/MACHINE/mtreeFLAGS.txt, recorded by
 * tests/boards/record-qemu-mtree.py). The board must print the same
 * blocks, byte for byte.
 */
typedef struct QemuDump {
    const char *machine;
    const char *file;   /* the recording, in tests/boards/qemu-7.2/MACHINE */
    unsigned int flags; /* the same dump here */
} QemuDump;

static const char *const qemu_machines[] = {"q35", "pc", "microvm"};

static const struct {
    const char *file;
    unsigned int flags;
} qemu_modes[] = {
    {"mtree.txt", 0},
    {"mtree-f.txt", MTREE_INFO_FLATVIEW},
    {"mtree-D.txt", MTREE_INFO_DISABLED},
    {"mtree-o.txt", MTREE_INFO_OWNER},
    {"mtree-f-o.txt", MTREE_INFO_FLATVIEW | MTREE_INFO_OWNER},
    {"mtree-o-D.txt", MTREE_INFO_OWNER | MTREE_INFO_DISABLED},
};

static char *board_file_text(const char *machine)
{
    g_autofree char *name = g_strdup_printf("%s.json", machine);
    g_autofree char *path = source_path("tests", "boards", name, NULL);
    char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static void test_qemu_dump(gconstpointer data)
{
    const QemuDump *q = data;
    g_autofree char *board = board_file_text(q->machine);
    g_autofree char *path =
        source_path("tests", "boards", "qemu-7.2", q->machine, q->file, NULL);
    g_autofree char *want = NULL;
    g_autofree char *got = NULL;
    Machine *m = load(board);

    g_assert_true(g_file_get_contents(path, &want, NULL, NULL));
    got = mtree_flags_text(q->flags);
    mtree_assert_same_blocks(got, want);
    machine_free(m);
}

/* The board files are --dump-board's own output: loading and dumping one
 * gives its text back. */
static void test_qemu_board_fixed_point(gconstpointer data)
{
    g_autofree char *board = board_file_text(data);
    g_autofree char *again = NULL;
    Machine *m = load(board);

    again = board_json_to_data(m);
    g_assert_cmpstr(again, ==, board);
    round_trip(m);
}

/*
 * The property behind --dump-board, over every board the tree holds (the
 * board fuzzer's corpus and the machines above): a board that loads is
 * written out, loaded again into the same dumps (every mtree flag), and
 * written out again to the same text.
 */
static void test_round_trip_corpus(void)
{
    g_autofree char *dir =
        source_path("tests", "fuzz", "corpus", "board", NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    unsigned loaded = 0, refused = 0;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *text = NULL;
        GError *err = NULL;
        gsize len;
        Machine *m;

        g_assert_true(g_file_get_contents(path, &text, &len, NULL));
        m = board_json_load_data(text, len, &err);
        if (!m) {
            g_clear_error(&err);
            refused++;
            continue;
        }
        g_test_message("round trip of %s", name);
        round_trip(m);
        loaded++;
    }
    g_dir_close(d);
    for (size_t i = 0; i < G_N_ELEMENTS(qemu_machines); i++) {
        g_autofree char *board = board_file_text(qemu_machines[i]);

        round_trip(load(board));
        loaded++;
    }
    g_test_message("%u boards loaded and round-tripped, %u refused", loaded,
                   refused);
    g_assert_cmpuint(loaded, >, G_N_ELEMENTS(qemu_machines));
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
    {"syntax", "{\"regions\": [",
     "$.regions[0]: invalid JSON: unexpected end of text, expected a value "
     "(line 1, column 14)"},
    {"strict/comment", "/* \" */ {\"regions\": []}",
     "$: invalid JSON: comments are not allowed (line 1, column 1)"},
    {"strict/line-comment", "{\"regions\": [] // x\n}",
     "$: invalid JSON: comments are not allowed (line 1, column 16)"},
    {"strict/single-quotes", "{'regions': []}",
     "$: invalid JSON: single-quoted strings are not allowed (line 1, "
     "column 2)"},
    {"strict/single-quoted-value", "{\"regions\": ['a']}",
     "$.regions[0]: invalid JSON: single-quoted strings are not allowed "
     "(line 1, column 14)"},
    {"strict/trailing-comma", "{\"regions\": [1,]}",
     "$.regions: invalid JSON: trailing comma (line 1, column 16)"},
    {"strict/duplicate-member",
     "{\"regions\": [{\"name\": \"a\",\n \"n\\u0061me\": \"b\"}]}",
     "$.regions[0].name: duplicate member (line 2, column 2)"},
    {"strict/two-values", "{\"regions\": []} {}",
     "$: invalid JSON: more than one top-level value (line 1, column 17)"},
    {"strict/nul-in-string",
     BOARD(", {\"name\": \"s\\u0000t\", \"kind\": \"ram\", \"size\": 1}"),
     "$.regions[1].name: strings must not contain \\u0000 (line 1, column "
     "77)"},
    {"strict/nul-in-name", "{\"a\\u0000\": 1}",
     "$: strings must not contain \\u0000 (line 1, column 4)"},
    {"strict/unpaired-surrogate", "{\"regions\": [\"\\ud800x\"]}",
     "$.regions[0]: invalid JSON: unpaired surrogate \\ud800 (line 1, "
     "column 15)"},
    {"strict/control-in-string", "{\"regions\": [\"a\tb\"]}",
     "$.regions[0]: invalid JSON: control character 0x09 in a string "
     "(write it as an escape) (line 1, column 16)"},
    {"strict/leading-zero", "{\"regions\": [007]}",
     "$.regions[0]: invalid JSON: numbers have no leading zeros (line 1, "
     "column 14)"},
    {"strict/hex-number", "{\"regions\": [0x10]}",
     "$.regions[0]: invalid JSON: malformed number (line 1, column 14)"},
    {"strict/byte-order-mark", "\xef\xbb\xbf{\"regions\": []}",
     "$: invalid JSON: a byte order mark is not allowed (line 1, column 1)"},
    {"strict/odd-key-path", "{\"a b\\\"\": [}",
     "$[\"a b\\\"\"][0]: invalid JSON: unexpected '}', expected a value "
     "(line 1, column 12)"},
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
     "container, alias, reservation, iommu, ram-device)"},
    {"member-unknown", BOARD(", {\"name\": \"x\", \"colour\": \"red\"}"),
     "$.regions[1].colour: unknown member"},
    {"size-missing", BOARD(", {\"name\": \"x\", \"kind\": \"ram\"}"),
     "$.regions[1].size: missing (required)"},
    {"size-zero-ram",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 0}"),
     "$.regions[1].size: RAM-backed regions need at least one byte"},
    {"size-zero-ram-device",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram-device\", \"size\": 0}"),
     "$.regions[1].size: RAM-backed regions need at least one byte"},
    {"size-negative",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": -4096}"),
     "$.regions[1].size: must be a non-negative integer (at most 2^64)"},
    {"size-fraction",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1.5}"),
     "$.regions[1].size: must be a non-negative integer (at most 2^64)"},
    {"size-text",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": \"lots\"}"),
     "$.regions[1].size: must be a non-negative integer (at most 2^64)"},
    {"size-suffix",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": \"1Q\"}"),
     "$.regions[1].size: must be a non-negative integer (at most 2^64)"},
    {"size-above-2^64",
     BOARD(", {\"name\": \"x\", \"kind\": \"container\", \"size\": "
           "\"0x10000000000000001\"}"),
     "$.regions[1].size: must be a non-negative integer (at most 2^64)"},
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
     "$.regions[1].name: duplicate id 'sys' (names may repeat: give this "
     "one an \"id\" of its own)"},
    {"duplicate-id",
     BOARD(
         ", {\"id\": \"a\", \"name\": \"x\", \"kind\": \"ram\", \"size\": 1}, "
         "{\"id\": \"a\", \"name\": \"x\", \"kind\": \"ram\", \"size\": 1}"),
     "$.regions[2].id: duplicate id 'a'"},
    {"id-empty",
     BOARD(", {\"id\": \"\", \"name\": \"x\", \"kind\": \"ram\", \"size\": 1}"),
     "$.regions[1].id: must be a non-empty string of at most 128 bytes"},
    {"nonvolatile-not-bool",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, "
           "\"nonvolatile\": \"yes\"}"),
     "$.regions[1].nonvolatile: must be true or false"},
    {"owner-not-object",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, "
           "\"owner\": \"/machine\"}"),
     "$.regions[1].owner: must be an object"},
    {"owner-member",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, "
           "\"owner\": {\"path\": \"/m\", \"type\": \"e1000\"}}"),
     "$.regions[1].owner.type: unknown member"},
    {"owner-empty",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, "
           "\"owner\": {\"kind\": \"dev\"}}"),
     "$.regions[1].owner: needs a path or an id"},
    {"owner-kind",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, "
           "\"owner\": {\"kind\": \"device\", \"path\": \"/m\"}}"),
     "$.regions[1].owner.kind: must be \"dev\" or \"obj\""},
    {"owner-object-id",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, "
           "\"owner\": {\"kind\": \"obj\", \"path\": \"/o\", \"id\": \"i\"}}"),
     "$.regions[1].owner.id: only a device owner has an id"},
    {"owner-object-without-path",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, "
           "\"owner\": {\"kind\": \"obj\", \"id\": \"i\"}}"),
     "$.regions[1].owner.id: only a device owner has an id"},
    {"owner-control",
     BOARD_DEV("{\"name\": \"c\", \"type\": \"console\", "
               "\"owner\": {\"id\": \"a\\tb\"}}"),
     "$.devices[0].owner.id: must not contain control characters"},
    {"iommu-without-space",
     BOARD(", {\"name\": \"x\", \"kind\": \"iommu\", \"size\": 4096}"),
     "$.regions[1].address_space: an IOMMU needs the address space it "
     "translates into"},
    {"iommu-unknown-space",
     BOARD(", {\"name\": \"x\", \"kind\": \"iommu\", \"size\": 4096, "
           "\"address_space\": \"nosuch\"}"),
     "$.regions[1].address_space: unknown address space 'nosuch'"},
    {"iommu-page-size",
     BOARD(", {\"name\": \"x\", \"kind\": \"iommu\", \"size\": 4096, "
           "\"address_space\": \"m\", \"page_size\": 3000}"),
     "$.regions[1].page_size: must be a power of two"},
    {"iommu-page-size-zero",
     BOARD(", {\"name\": \"x\", \"kind\": \"iommu\", \"size\": 4096, "
           "\"address_space\": \"m\", \"page_size\": 0}"),
     "$.regions[1].page_size: must be a power of two"},
    {"iommu-offset-unaligned",
     BOARD(", {\"name\": \"x\", \"kind\": \"iommu\", \"size\": 4096, "
           "\"address_space\": \"m\", \"offset\": \"0x800\"}"),
     "$.regions[1].offset: must be a multiple of the page size 0x1000"},
    {"iommu-perm",
     BOARD(", {\"name\": \"x\", \"kind\": \"iommu\", \"size\": 4096, "
           "\"address_space\": \"m\", \"perm\": \"rwx\"}"),
     "$.regions[1].perm: must be \"rw\", \"ro\", \"wo\" or \"none\""},
    {"perm-not-iommu",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, "
           "\"perm\": \"ro\"}"),
     "$.regions[1].perm: only IOMMUs have one"},
    {"space-not-iommu",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, "
           "\"address_space\": \"m\"}"),
     "$.regions[1].address_space: only IOMMUs have an address space"},
    {"unknown-parent",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 1, \"parent\": "
           "\"system\"}"),
     "$.regions[1].parent: unknown region 'system'"},
    {"past-2^64",
     BOARD(", {\"name\": \"x\", \"kind\": \"ram\", \"size\": 8192, "
           "\"parent\": \"sys\", \"addr\": \"0xfffffffffffff000\"}"),
     "$.regions[1].addr: 0xfffffffffffff000 + size 0x2000 runs past 2^64"},
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
     "$.regions[1].offset: only aliases and IOMMUs have an offset"},
    {"unknown-target",
     BOARD(", {\"name\": \"x\", \"kind\": \"alias\", \"size\": 1, "
           "\"target\": \"nosuch\"}"),
     "$.regions[1].target: unknown region 'nosuch'"},
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
     "$.devices[0].name: duplicate id 'sys' (names may repeat: give this "
     "one an \"id\" of its own)"},
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
     "$.address_spaces[1].name: duplicate address space id 'm' (names may "
     "repeat: give this one an \"id\" of its own)"},
    {"space-duplicate-id",
     "{\"regions\": [" R0 "], \"address_spaces\": [{\"id\": \"a\", \"name\": "
     "\"m\", \"root\": \"sys\"}, {\"id\": \"a\", \"name\": \"n\", \"root\": "
     "\"sys\"}]}",
     "$.address_spaces[1].id: duplicate address space id 'a'"},
    {"dma-space-by-name",
     "{\"regions\": [" R0 "], \"devices\": [{\"name\": \"d\", \"type\": "
     "\"dma-testdev\", \"address_space\": \"m\"}], \"address_spaces\": "
     "[{\"id\": \"mem\", \"name\": \"m\", \"root\": \"sys\"}]}",
     "$.devices[0].address_space: unknown address space 'm'"},
    {"space-endianness",
     "{\"regions\": [" R0 "], \"address_spaces\": [{\"name\": \"m\", "
     "\"root\": \"sys\", \"endianness\": \"middle\"}]}",
     "$.address_spaces[0].endianness: must be \"little\" or \"big\""},
    {"deep-nesting",
     "{\"regions\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
     "]]}",
     "$.regions[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested "
     "deeper than 16 levels (line 1, column 28)"},
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
    g_assert_cmpstr(err->message, ==,
                    "$.regions: at most 4096 entries (line 1, column 12302)");
    g_clear_error(&err);
    /* too many values: the tree json-glib builds stays small */
    g_string_assign(big, "{\"regions\": [");
    for (guint i = 0; i < BOARD_JSON_MAX_VALUES / 4096 + 1; i++) {
        g_string_append(big, i ? ",[" : "[");
        for (guint j = 0; j < 4096; j++) {
            g_string_append(big, j ? ",0" : "0");
        }
        g_string_append_c(big, ']');
    }
    g_string_append(big, "]}");
    g_assert_null(board_json_load_data(big->str, big->len, &err));
    g_assert_cmpstr(err->message, ==,
                    "$.regions[31][4062]: more than 131072 values in the "
                    "text (line 1, column 262153)");
    g_clear_error(&err);
    g_string_free(big, TRUE);
}

/* What RFC 8259 allows passes the strict check (and only that is refused
 * that the bad boards above show). */
static void test_strict_accepts(void)
{
    static const JsonStrictLimits limits = {
        .max_depth = 3, .max_entries = 4, .max_values = 12};
    static const char *const good[] = {
        "{}",
        " \t\r\n[ ] \n",
        "\"top-level string\"",
        "-0",
        "[0, -1, 1.5]",
        "[2e10, 3E-2, -4.25e+1]",
        "[true, false, null]",
        ("{\"a\": \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 "
         "\\ud83d\\ude00\", \"\xc3\xa9\xf0\x9f\x98\x80\x7f\": 1}"),
        "{\"a\": 1, \"A\": 2, \"a \": 3, \"\\u0061b\": 4}",
        "[[[]]]",
        "[[1, 2, 3, 4]]",
    };
    static const char *const bad[] = {
        "[[[[]]]]",                             /* depth 4 */
        "[1, 2, 3, 4, 5]",                      /* 5 entries */
        "[[1, 2, 3, 4], [1, 2, 3, 4], [1, 2]]", /* 13 values */
        "",
        "[1 2]",
        "{\"a\" 1}",
        "{\"a\": }",
        "{1: 2}",
        "[+1]",
        "[.5]",
        "[1.]",
        "[1e]",
        "[tru]",
        "[True]",
        "[NaN]",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"unterminated",
        "\"\xc3\"",
        "\"\xed\xa0\x80\"",
        "[1]\f",
        "[\"a\"]\x00",
    };
    GError *err = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        if (!json_strict_check(good[i], strlen(good[i]), &limits, &err)) {
            g_test_message("%s: %s", good[i], err->message);
        }
        g_assert_no_error(err);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        size_t len = strlen(bad[i]) + (i == G_N_ELEMENTS(bad) - 1);

        g_assert_false(json_strict_check(bad[i], len, &limits, &err));
        g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_PARSE);
        g_clear_error(&err);
    }
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
    g_test_add_func("/board/qemu/duplicate-names", test_duplicate_names);
    g_test_add_func("/board/qemu/alias-before-target",
                    test_alias_before_target);
    g_test_add_func("/board/qemu/size-zero-and-window-past-end",
                    test_size_zero_and_window_past_end);
    g_test_add_func("/board/qemu/nonvolatile", test_nonvolatile);
    g_test_add_func("/board/qemu/past-parent-end", test_past_parent_end);
    g_test_add_func("/board/kind/iommu", test_iommu);
    g_test_add_func("/board/kind/ram-device", test_ram_device);
    g_test_add_func("/board/qemu/owners", test_owners);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_boards); i++) {
        g_autofree char *p =
            g_strdup_printf("/board/bad/%s", bad_boards[i].name);

        g_test_add_data_func(p, &bad_boards[i], test_bad_board);
    }
    g_test_add_func("/board/round-trip/corpus", test_round_trip_corpus);
    for (size_t i = 0; i < G_N_ELEMENTS(qemu_machines); i++) {
        g_autofree char *p =
            g_strdup_printf("/board/qemu-7.2/%s/dump-board", qemu_machines[i]);

        g_test_add_data_func(p, qemu_machines[i], test_qemu_board_fixed_point);
        for (size_t j = 0; j < G_N_ELEMENTS(qemu_modes); j++) {
            QemuDump *q = g_new(QemuDump, 1);
            g_autofree char *path = NULL;

            *q = (QemuDump){qemu_machines[i], qemu_modes[j].file,
                            qemu_modes[j].flags};
            path = g_strdup_printf("/board/qemu-7.2/%s/%s", qemu_machines[i],
                                   qemu_modes[j].file);
            g_test_add_data_func_full(path, q, test_qemu_dump, g_free);
        }
    }
    g_test_add_func("/board/bad/limits", test_bad_sizes);
    g_test_add_func("/board/bad/files", test_bad_files);
    g_test_add_func("/board/strict/accepts-rfc8259", test_strict_accepts);
    return g_test_run();
}
