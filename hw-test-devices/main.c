/* SPDX-License-Identifier: MIT */
/*
 * addrspace-machine: the project's main program. Builds the default test
 * board (or a board file) and either runs a short self-describing demo or
 * serves QEMU's qtest protocol on stdin/stdout, a Unix socket or a script.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board-json.h"
#include "console.h"
#include "dma-testdev.h"
#include "hpet.h"
#include "machine.h"
#include "qtest.h"

/* RAM address the demo copies from and to. */
#define DEMO_SRC 0x1000u
#define DEMO_DST 0x2000u

/* Address of @mr in the AddressSpace whose root is @root, or -1. */
static int64_t address_in(MemoryRegion *mr, MemoryRegion *root)
{
    uint64_t addr = 0;

    for (; mr && mr != root; mr = memory_region_get_container(mr)) {
        addr += memory_region_get_address(mr);
    }
    return mr ? (int64_t)addr : -1;
}

/* Base of a device's registers in @as, or -1 when it is not mapped there. */
static int64_t device_base(Machine *m, AddressSpace *as, MachineDeviceType t)
{
    const char *name = machine_find_device_type(m, t);

    return name ? address_in(machine_region(m, name), address_space_root(as))
                : -1;
}

static void demo_hpet(Machine *m, AddressSpace *as)
{
    int64_t base = device_base(m, as, MACHINE_DEVICE_HPET);
    uint32_t cap_lo, cap_hi, cnt_lo, cnt_hi;
    int64_t now;

    if (base < 0) {
        printf("(no HPET mapped in \"%s\")\n\n", address_space_name(as));
        return;
    }
    cap_lo =
        address_space_ldl_le(as, base + HPET_ID, MEMTXATTRS_UNSPECIFIED, NULL);
    cap_hi = address_space_ldl_le(as, base + HPET_PERIOD,
                                  MEMTXATTRS_UNSPECIFIED, NULL);
    printf("== HPET at 0x%" PRIx64 " ==\n", (uint64_t)base);
    printf("capabilities 0x%08x%08x: vendor 0x%04x, revision %u, %u timers, "
           "tick period %u fs\n",
           cap_hi, cap_lo, cap_lo >> 16, cap_lo & 0xff,
           ((cap_lo & HPET_ID_NUM_TIM_MASK) >> HPET_ID_NUM_TIM_SHIFT) + 1,
           cap_hi);
    address_space_stl_le(as, base + HPET_CFG, HPET_CFG_ENABLE,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    now = vclock_step(machine_clock(m), 1000000);
    cnt_lo = address_space_ldl_le(as, base + HPET_COUNTER,
                                  MEMTXATTRS_UNSPECIFIED, NULL);
    cnt_hi = address_space_ldl_le(as, base + HPET_COUNTER + 4,
                                  MEMTXATTRS_UNSPECIFIED, NULL);
    printf("enabled the counter, stepped the virtual clock to %" PRId64
           " ns: main counter = %" PRIu64 " ticks\n\n",
           now, (uint64_t)cnt_hi << 32 | cnt_lo);
}

/* Program one copy on the dma-testdev at @base and report it. */
static void demo_dma_copy(AddressSpace *as, int64_t base, uint64_t src,
                          uint64_t dst, uint32_t len)
{
    MemTxAttrs at = MEMTXATTRS_UNSPECIFIED;
    uint32_t status, done;

    address_space_stq_le(as, base + DMA_TESTDEV_REG_SRC_LO, src, at, NULL);
    address_space_stq_le(as, base + DMA_TESTDEV_REG_DST_LO, dst, at, NULL);
    address_space_stl_le(as, base + DMA_TESTDEV_REG_LEN, len, at, NULL);
    address_space_stl_le(as, base + DMA_TESTDEV_REG_CMD, DMA_TESTDEV_CMD_COPY,
                         at, NULL);
    status = address_space_ldl_le(as, base + DMA_TESTDEV_REG_STATUS, at, NULL);
    done = address_space_ldl_le(as, base + DMA_TESTDEV_REG_DONE, at, NULL);
    printf("copy 0x%" PRIx64 " -> 0x%" PRIx64 ", %u bytes: status 0x%x%s, "
           "%u bytes handled\n",
           src, dst, len, status,
           status == MEMTX_OK             ? " (MEMTX_OK)"
           : status == MEMTX_ACCESS_ERROR ? " (MEMTX_ACCESS_ERROR)"
                                          : "",
           done);
}

static void demo_dma(Machine *m, AddressSpace *as)
{
    static const char msg[] = "Hello from DMA!";
    int64_t base = device_base(m, as, MACHINE_DEVICE_DMA_TESTDEV);
    char back[sizeof(msg)] = "";
    MemTxResult r;

    if (base < 0) {
        printf("(no dma-testdev mapped in \"%s\")\n\n", address_space_name(as));
        return;
    }
    printf("== dma-testdev at 0x%" PRIx64 " ==\n", (uint64_t)base);
    address_space_write(as, DEMO_SRC, MEMTXATTRS_UNSPECIFIED, msg, sizeof(msg));
    demo_dma_copy(as, base, DEMO_SRC, DEMO_DST, sizeof(msg));
    r = address_space_read(as, DEMO_DST, MEMTXATTRS_UNSPECIFIED, back,
                           sizeof(back));
    back[sizeof(back) - 1] = '\0';
    printf("read back at 0x%x: \"%s\" (result 0x%x)\n", DEMO_DST, back, r);
    printf("a copy into the device's own registers is refused by the "
           "re-entrancy guard:\n");
    demo_dma_copy(as, base, DEMO_SRC, (uint64_t)base + DMA_TESTDEV_REG_LEN, 4);
    printf("\n");
}

static void demo_console(Machine *m)
{
    static const char msg[] = "Hello from the console at port 0x3f8!\n";
    AddressSpace *io = machine_address_space(m, "I/O");
    uint8_t lsr;

    if (!io) {
        printf("(no \"I/O\" address space)\n");
        return;
    }
    printf("== console ==\n");
    lsr = address_space_ldub(io, MACHINE_CONSOLE_PORT + CONSOLE_REG_LSR,
                             MEMTXATTRS_UNSPECIFIED, NULL);
    printf("line status (port 0x%x): 0x%02x; writing to port 0x%x:\n",
           MACHINE_CONSOLE_PORT + CONSOLE_REG_LSR, lsr, MACHINE_CONSOLE_PORT);
    fflush(stdout);
    for (size_t i = 0; i + 1 < sizeof(msg); i++) {
        address_space_stb(io, MACHINE_CONSOLE_PORT + CONSOLE_REG_THR,
                          (uint8_t)msg[i], MEMTXATTRS_UNSPECIFIED, NULL);
    }
}

static int demo(Machine *m)
{
    AddressSpace *as = machine_address_space(m, NULL);

    if (!as) {
        fprintf(stderr, "addrspace-machine: the board has no address space\n");
        return 1;
    }
    machine_set_console_output(m, stdout);
    printf("addrspace test machine: QEMU-style memory API, virtual clock, "
           "HPET, DMA and console\n\n");
    printf("== info mtree ==\n");
    fflush(stdout);
    mtree_info(stdout, false, false);
    demo_hpet(m, as);
    demo_dma(m, as);
    demo_console(m);
    machine_set_console_output(m, NULL);
    printf("\nRun with --qtest to drive the machine with QEMU's qtest "
           "protocol, --help for more.\n");
    return 0;
}

/* QEMU spells some long options with one dash; GOption wants two. */
static void qemu_spellings(int argc, char **argv)
{
    static char global[] = "--global", machine[] = "--machine";

    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], global + 1) == 0) {
            argv[i] = global;
        } else if (strcmp(argv[i], machine + 1) == 0) {
            argv[i] = machine;
        }
    }
}

/* Apply -global DRIVER.PROP=VALUE options, in order. */
static bool apply_globals(Machine *m, char **globals, GError **errp)
{
    for (int i = 0; globals && globals[i]; i++) {
        if (!machine_set_global(m, globals[i], errp)) {
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    gboolean qtest = FALSE, dump_board = FALSE;
    char *socket_path = NULL, *script = NULL, *board = NULL;
    char *machine_opt = NULL;
    char **globals = NULL;
    gint64 ram_mib = 0;
    GOptionEntry entries[] = {
        {"machine", 'M', 0, G_OPTION_ARG_STRING, &machine_opt,
         "Default board flavour, as QEMU's -M: pc (default) or q35; "
         "',pit=off' is accepted",
         "TYPE"},
        {"global", 0, 0, G_OPTION_ARG_STRING_ARRAY, &globals,
         "Set a device property, as QEMU's -global: hpet.compat=qemu-7.2, "
         "hpet.intcap=N",
         "DRIVER.PROP=VALUE"},
        {"qtest", 0, 0, G_OPTION_ARG_NONE, &qtest,
         "Serve the qtest protocol on stdin/stdout", NULL},
        {"socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path,
         "Serve the qtest protocol to one client of a Unix socket", "PATH"},
        {"script", 0, 0, G_OPTION_ARG_FILENAME, &script,
         "Run the qtest commands of FILE, responses on stdout", "FILE"},
        {"board", 0, 0, G_OPTION_ARG_FILENAME, &board,
         "Build the board described by a board file (JSON)", "FILE"},
        {"ram", 'm', 0, G_OPTION_ARG_INT64, &ram_mib,
         "RAM of the default board in MiB (default 128)", "MIB"},
        {"dump-board", 0, 0, G_OPTION_ARG_NONE, &dump_board,
         "Print the board as a board file and exit", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("- the addrspace test machine");
    GError *err = NULL;
    MachineConfig cfg = {0};
    Machine *m;
    int status = 0;

    g_option_context_set_summary(
        ctx, "Without a mode option, prints the memory tree and runs a short "
             "demo of\nthe HPET, the DMA test device and the console.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    qemu_spellings(argc, argv);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "addrspace-machine: %s\n", err->message);
        g_error_free(err);
        return 2;
    }
    if (argc > 1 || (!!qtest + !!socket_path + !!script + !!dump_board) > 1 ||
        ram_mib < 0 || ram_mib > (64 << 10) ||
        (board && (ram_mib || machine_opt))) {
        fprintf(stderr, "addrspace-machine: conflicting or unexpected "
                        "arguments (see --help)\n");
        return 2;
    }
    /* a client that goes away must give a write error, not kill us */
    signal(SIGPIPE, SIG_IGN);

    cfg.ram_size = (uint64_t)ram_mib << 20;
    if (machine_opt &&
        !machine_flavour_parse(machine_opt, &cfg.flavour, &err)) {
        fprintf(stderr, "addrspace-machine: -M %s: %s\n", machine_opt,
                err->message);
        g_error_free(err);
        return 1;
    }
    m = board ? board_json_load_file(board, &err)
              : machine_new_default(&cfg, &err);
    if (m && !apply_globals(m, globals, &err)) {
        machine_free(m);
        m = NULL;
    }
    if (!m) {
        fprintf(stderr, "addrspace-machine: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    if (qtest || socket_path || script) {
        /* stdout carries the protocol: the console writes to stderr */
        machine_set_console_output(m, stderr);
    }
    if (dump_board) {
        char *text = board_json_to_data(m);

        fputs(text, stdout);
        g_free(text);
    } else if (script) {
        status = !qtest_run_script(m, script, stdout, &err);
    } else if (socket_path) {
        status = !qtest_serve_socket(m, socket_path, &err);
    } else if (qtest) {
        status = !qtest_serve_fd(m, 0, 1, &err);
    } else {
        status = demo(m);
    }
    if (err) {
        fprintf(stderr, "addrspace-machine: %s\n", err->message);
        g_error_free(err);
    }
    machine_set_console_output(m, NULL);
    machine_free(m);
    g_free(socket_path);
    g_free(script);
    g_free(board);
    g_free(machine_opt);
    g_strfreev(globals);
    return status;
}
