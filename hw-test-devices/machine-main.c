/* SPDX-License-Identifier: MIT */
/*
 * addrspace-machine's command line, as a function (main.h): builds the
 * default test board (or a board file) and either runs a short
 * self-describing demo or serves QEMU's qtest protocol on stdin/stdout, a
 * Unix socket or a script.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <addrspace-machine/main.h>

#include "board-json.h"
#include "cmdline.h"
#include "console.h"
#include "dma-testdev.h"
#include "hpet.h"
#include "machine.h"
#include "mmio-trace.h"
#include "qtest-chardev.h"
#include "qtest.h"

/* Offsets into the first writable RAM that the demo copies from and to. */
#define DEMO_SRC 0x1000u
#define DEMO_DST 0x2000u

/* -m: the largest RAM (the limit of a board file's RAM-backed regions). */
#define RAM_MAX (64ull << 30)

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
static int64_t device_base(Machine *m, AddressSpace *as, const char *t)
{
    const char *name = machine_find_device_type(m, t);

    return name ? address_in(machine_region(m, name), address_space_root(as))
                : -1;
}

typedef struct SectionSearch {
    MemoryRegion *mr;  /* the region sought, or NULL: writable RAM */
    uint64_t min_size; /* RAM: bytes needed */
    int64_t found;     /* address of offset 0 of @mr, or of the RAM */
} SectionSearch;

static bool match_section(const MemoryRegionSection *sec, void *opaque)
{
    SectionSearch *s = opaque;

    if (s->mr) {
        if (sec->mr == s->mr &&
            sec->offset_within_address_space >= sec->offset_within_region) {
            s->found = (int64_t)(sec->offset_within_address_space -
                                 sec->offset_within_region);
            return true;
        }
    } else if (memory_region_is_ram(sec->mr) && !sec->readonly &&
               sec->size >= s->min_size &&
               sec->offset_within_address_space <= INT64_MAX) {
        s->found = (int64_t)sec->offset_within_address_space;
        return true;
    }
    return false;
}

/*
 * Where @s is in @as's current view (directly or through an alias), or
 * -1: the board may be anyone's.
 */
static int64_t find_in_view(AddressSpace *as, SectionSearch *s)
{
    FlatView *fv = address_space_get_flatview(as);

    s->found = -1;
    flatview_for_each_section(fv, match_section, s);
    flatview_unref(fv);
    return s->found;
}

static void demo_hpet(Machine *m, AddressSpace *as)
{
    int64_t base = device_base(m, as, "hpet");
    uint32_t cap_lo, cap_hi, cnt_lo, cnt_hi;
    MemTxResult r, r2;
    int64_t now;

    if (base < 0) {
        printf("(no HPET mapped in \"%s\")\n\n", address_space_name(as));
        return;
    }
    cap_lo =
        address_space_ldl_le(as, base + HPET_ID, MEMTXATTRS_UNSPECIFIED, &r);
    cap_hi = address_space_ldl_le(as, base + HPET_PERIOD,
                                  MEMTXATTRS_UNSPECIFIED, &r2);
    printf("== HPET at 0x%" PRIx64 " ==\n", (uint64_t)base);
    if ((r | r2) != MEMTX_OK) {
        printf("reading the capabilities FAILED with %s\n\n",
               memtx_result_name(r | r2));
        return;
    }
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
    if (status == MEMTX_OK) {
        printf("copy 0x%" PRIx64 " -> 0x%" PRIx64 ", %u bytes: MEMTX_OK, "
               "%u bytes copied\n",
               src, dst, len, done);
    } else {
        /* like QEMU's access loops, the device goes on after an error */
        printf("copy 0x%" PRIx64 " -> 0x%" PRIx64 ", %u bytes: FAILED with "
               "%s (STATUS 0x%x; DONE %u counts the bytes it went through)\n",
               src, dst, len, memtx_result_name(status), status, done);
    }
}

static void demo_dma(Machine *m, AddressSpace *as)
{
    static const char msg[] = "Hello from DMA!";
    int64_t base = device_base(m, as, "dma-testdev");
    SectionSearch ram = {.min_size = DEMO_DST + sizeof(msg)};
    uint64_t src, dst;
    char back[sizeof(msg)] = "";
    MemTxResult r;

    if (base < 0) {
        printf("(no dma-testdev mapped in \"%s\")\n\n", address_space_name(as));
        return;
    }
    printf("== dma-testdev at 0x%" PRIx64 " ==\n", (uint64_t)base);
    if (find_in_view(as, &ram) < 0) {
        printf("(no writable RAM of %" PRIu64 " bytes in \"%s\" to copy in)"
               "\n\n",
               ram.min_size, address_space_name(as));
        return;
    }
    src = (uint64_t)ram.found + DEMO_SRC;
    dst = (uint64_t)ram.found + DEMO_DST;
    r = address_space_write(as, src, MEMTXATTRS_UNSPECIFIED, msg, sizeof(msg));
    if (r != MEMTX_OK) {
        printf("writing the message at 0x%" PRIx64 " FAILED with %s\n", src,
               memtx_result_name(r));
    }
    demo_dma_copy(as, base, src, dst, sizeof(msg));
    r = address_space_read(as, dst, MEMTXATTRS_UNSPECIFIED, back, sizeof(back));
    back[sizeof(back) - 1] = '\0';
    printf("read back at 0x%" PRIx64 ": \"%s\" (%s)\n", dst, back,
           memtx_result_name(r));
    printf("a copy into the device's own registers (the re-entrancy guard "
           "refuses it):\n");
    demo_dma_copy(as, base, src, (uint64_t)base + DMA_TESTDEV_REG_LEN, 4);
    printf("\n");
}

/* The console's registers: the "I/O" space (ports) first, else "memory". */
static void demo_console(Machine *m)
{
    static const char msg[] = "Hello from the console!\n";
    const char *name = machine_find_device_type(m, "console");
    AddressSpace *io = machine_address_space(m, "I/O");
    AddressSpace *as = io;
    SectionSearch con = {.mr = name ? machine_region(m, name) : NULL};
    MemTxResult r, all = MEMTX_OK;
    uint8_t lsr;

    if (!con.mr) {
        printf("(no console on the board)\n");
        return;
    }
    if (!io || find_in_view(io, &con) < 0) {
        as = machine_address_space(m, NULL);
        if (find_in_view(as, &con) < 0) {
            printf("(the console is not mapped in an address space)\n");
            return;
        }
    }
    printf("== console at 0x%" PRIx64 " in \"%s\" ==\n", (uint64_t)con.found,
           address_space_name(as));
    lsr = address_space_ldub(as, (uint64_t)con.found + CONSOLE_REG_LSR,
                             MEMTXATTRS_UNSPECIFIED, &r);
    printf("line status: 0x%02x (%s); writing:\n", lsr, memtx_result_name(r));
    fflush(stdout);
    for (size_t i = 0; i + 1 < sizeof(msg); i++) {
        address_space_stb(as, (uint64_t)con.found + CONSOLE_REG_THR,
                          (uint8_t)msg[i], MEMTXATTRS_UNSPECIFIED, &r);
        all |= r;
    }
    if (all != MEMTX_OK) {
        printf("writing the message FAILED with %s\n", memtx_result_name(all));
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
    printf("\nRun with -qtest stdio to drive the machine with QEMU's qtest "
           "protocol, --help for more.\n");
    return 0;
}

/* Machine types for -machine / -M: the PC flavour the default board is. */
static const struct {
    const char *name;
    MachineFlavour flavour;
    const char *help;
} machine_types[] = {
    {"pc", MACHINE_FLAVOUR_PC,
     "Standard PC (i440FX + PIIX): HPET route capability 0x4 (default)"},
    {"q35", MACHINE_FLAVOUR_Q35,
     "Standard PC (Q35 + ICH9): HPET route capability 0x00ff0104"},
};

/*
 * -machine [type=]TYPE[,PROP=VALUE...] as QEMU spells it; without a type,
 * pc. The only property is pit=off: the board has no PIT either way.
 */
static CmdlineResult apply_machine_option(const CmdlineProgram *prog,
                                          const char *value,
                                          MachineFlavour *flavour)
{
    g_auto(GStrv) props = g_strsplit(value, ",", -1);
    const char *type = props[0];
    guint i = 1;

    if (!strcmp(value, "help")) {
        printf("Supported machines are:\n");
        for (size_t t = 0; t < G_N_ELEMENTS(machine_types); t++) {
            printf("%-20s %s\n", machine_types[t].name, machine_types[t].help);
        }
        return CMDLINE_HELP;
    }
    if (g_str_has_prefix(type, "type=")) {
        type += 5;
    } else if (strchr(type, '=')) {
        type = "pc";
        i = 0;
    }
    for (size_t t = 0;; t++) {
        if (t == G_N_ELEMENTS(machine_types)) {
            return cmdline_error(prog,
                                 "-machine: unknown machine type '%s' "
                                 "(-machine help lists the known ones)",
                                 type);
        }
        if (!strcmp(type, machine_types[t].name)) {
            *flavour = machine_types[t].flavour;
            break;
        }
    }
    while (props[i] && !strcmp(props[i], "pit=off")) {
        i++;
    }
    if (props[i]) {
        return cmdline_error(prog,
                             "-machine: machine type '%s' has no property "
                             "'%s'",
                             type, props[i]);
    }
    return CMDLINE_OK;
}

/*
 * -m [size=]SIZE as QEMU 7.2 takes it (softmmu/vl.c, hw/core/machine.c):
 * a number of MiB, or bytes with a K, M, G or T suffix; 0 is the default;
 * rounded up to 8 KiB. slots= and maxmem= (hot-plug) are refused.
 */
static CmdlineResult parse_ram_size(const CmdlineProgram *prog,
                                    const char *value, uint64_t *bytes)
{
    const char *num = g_str_has_prefix(value, "size=") ? value + 5 : value;
    const uint64_t max = RAM_MAX;
    unsigned shift = 20;
    guint64 n;
    char *end;

    if (strchr(num, ',')) {
        return cmdline_error(prog, "-m '%s': only the size is supported",
                             value);
    }
    if (!g_ascii_isdigit(num[0])) {
        return cmdline_error(prog, "-m '%s': not a size", value);
    }
    errno = 0;
    n = g_ascii_strtoull(num, &end, 10);
    switch (g_ascii_toupper(*end)) {
    case '\0':
        break;
    case 'K':
        shift = 10;
        break;
    case 'M':
        shift = 20;
        break;
    case 'G':
        shift = 30;
        break;
    case 'T':
        shift = 40;
        break;
    default:
        return cmdline_error(prog, "-m '%s': not a size", value);
    }
    if (*end && end[1]) {
        return cmdline_error(prog, "-m '%s': not a size", value);
    }
    if (errno || n > (max >> shift)) {
        return cmdline_error(prog, "-m '%s': above the %" PRIu64 " GiB limit",
                             value, max >> 30);
    }
    *bytes = ((n << shift) + 8191) & ~(uint64_t)8191;
    return CMDLINE_OK;
}

/* The mode options are exclusive: names the first two given, or NULL. */
static bool modes_exclusive(const CmdlineProgram *prog, const char **names,
                            const char **values, size_t n)
{
    const char *first = NULL;

    for (size_t i = 0; i < n; i++) {
        if (!values[i]) {
            continue;
        }
        if (first) {
            cmdline_error(prog, "-%s and -%s cannot be combined", first,
                          names[i]);
            return false;
        }
        first = names[i];
    }
    return true;
}

/* Apply -global DRIVER.PROP=VALUE options, in order. */
static bool apply_globals(Machine *m, const char *const *globals, GError **errp)
{
    for (int i = 0; globals && globals[i]; i++) {
        if (!machine_set_global(m, globals[i], errp)) {
            return false;
        }
    }
    return true;
}

/* The last component of argv[0], for messages. */
static const char *program_name(int argc, char **argv)
{
    const char *slash;

    if (argc < 1 || !argv[0] || !*argv[0]) {
        return "addrspace-machine";
    }
    slash = strrchr(argv[0], '/');
    return slash && slash[1] ? slash + 1 : argv[0];
}

/* The qtest chardev named by -qtest CHARDEV or -socket PATH (neither:
 * left empty); false after reporting a bad CHARDEV. */
static bool chardev_of_options(const CmdlineProgram *prog, const char *qtest,
                               const char *socket_path, QTestChardev *chardev)
{
    GError *err = NULL;

    if (qtest && !qtest_chardev_parse(qtest, chardev, &err)) {
        cmdline_error(prog, "%s", err->message);
        g_error_free(err);
        return false;
    }
    if (socket_path) {
        chardev->kind = QTEST_CHARDEV_UNIX_SERVER;
        chardev->path = g_strdup(socket_path);
    }
    return true;
}

/* Run the mode the options chose on @m: dump the board, run a script,
 * serve qtest on @chardev (when not NULL), or the demo. Exit status. */
static int run_mode(Machine *m, const char *progname, bool dump_board,
                    const char *script, QTestChardev *chardev)
{
    GError *err = NULL;
    int status = 0;

    if (chardev || script) {
        /* stdout carries the protocol: the console writes to stderr */
        machine_set_console_output(m, stderr);
    }
    if (dump_board) {
        char *text = board_json_to_data(m);

        fputs(text, stdout);
        g_free(text);
    } else if (script) {
        status = !qtest_run_script(m, script, stdout, &err);
    } else if (chardev) {
        status = !qtest_chardev_serve(m, chardev, &err);
    } else {
        status = demo(m);
    }
    if (err) {
        fprintf(stderr, "%s: %s\n", progname, err->message);
        g_error_free(err);
    }
    return status;
}

/* What the command line of addrspace_machine_main() said. */
typedef struct MainOptions {
    bool dump_board;
    const char *qtest, *socket_path, *script;
    const char *board, *ram, *machine_opt, *trace;
    const char *globals[CMDLINE_LIST_MAX + 1];
} MainOptions;

/* The checks across options once they are parsed: one mode at most, -board
 * alone, a valid chardev (into @chardev). Return: -1 to go on, else the
 * exit status. */
static int check_options(const CmdlineProgram *prog, const MainOptions *o,
                         QTestChardev *chardev)
{
    const char *mode_names[] = {"qtest", "socket", "script", "dump-board"};
    const char *mode_values[] = {o->qtest, o->socket_path, o->script,
                                 o->dump_board ? "" : NULL};

    if (!modes_exclusive(prog, mode_names, mode_values,
                         G_N_ELEMENTS(mode_names))) {
        return 2;
    }
    if (o->board && (o->ram || o->machine_opt)) {
        cmdline_error(prog, "-board cannot be combined with -%s",
                      o->ram ? "m" : "machine");
        return 2;
    }
    if (!chardev_of_options(prog, o->qtest, o->socket_path, chardev)) {
        return 2;
    }
    return -1;
}

/* Parse the command line into @o, @cfg and @chardev. Return: -1 to go on,
 * else the exit status (0 after --help, 2 for a usage error). */
static int parse_options(int argc, char **argv, const char *progname,
                         MainOptions *o, MachineConfig *cfg,
                         QTestChardev *chardev)
{
    const CmdlineOption options[] = {
        {"qtest", NULL, CMDLINE_OPTIONAL_VALUE, NULL, &o->qtest, "CHARDEV",
         "Serve QEMU's qtest protocol on stdio (the default), unix:PATH "
         "(connect to a listening socket, as QEMU does) or "
         "unix:PATH,server=on (listen for one client)"},
        {"socket", NULL, CMDLINE_VALUE, NULL, &o->socket_path, "PATH",
         "The same as -qtest unix:PATH,server=on"},
        {"script", NULL, CMDLINE_VALUE, NULL, &o->script, "FILE",
         "Run the qtest commands of FILE, responses on stdout"},
        {"board", NULL, CMDLINE_VALUE, NULL, &o->board, "FILE",
         "Build the board described by a board file (JSON)"},
        {"machine", "M", CMDLINE_VALUE, NULL, &o->machine_opt, "TYPE",
         "The machine type: pc (default) or q35, ',pit=off' accepted "
         "(-machine help lists them)"},
        {"global", NULL, CMDLINE_LIST, NULL, o->globals, "DRIVER.PROP=VALUE",
         "Set a device property, as QEMU's -global: hpet.compat=qemu-7.2, "
         "hpet.intcap=N"},
        {"m", "ram", CMDLINE_VALUE, NULL, &o->ram, "SIZE",
         "RAM of the default board: MiB, or a size with a K, M, G or T "
         "suffix (default 128M)"},
        {"trace", NULL, CMDLINE_VALUE, NULL, &o->trace, "FILE",
         "Log every MMIO dispatch (region, offset, size, value, direction, "
         "result) to FILE, one line each (not QEMU's -trace: see README)"},
        {"dump-board", NULL, CMDLINE_FLAG, &o->dump_board, NULL, NULL,
         "Print the board as a board file and exit"},
        {0},
    };
    const CmdlineProgram prog = {
        .name = progname,
        .summary = "The addrspace test machine. Without a mode option "
                   "(-qtest, -socket, -script,\n-dump-board) it prints the "
                   "memory tree and runs a short demo of the HPET,\nthe DMA "
                   "test device and the console.",
        .options = options,
    };
    CmdlineResult res = cmdline_parse(&prog, argc, argv);

    if (res == CMDLINE_OK && o->machine_opt) {
        res = apply_machine_option(&prog, o->machine_opt, &cfg->flavour);
    }
    if (res == CMDLINE_OK && o->ram) {
        res = parse_ram_size(&prog, o->ram, &cfg->ram_size);
    }
    if (res != CMDLINE_OK) {
        return res == CMDLINE_HELP ? 0 : 2;
    }
    return check_options(&prog, o, chardev);
}

/* The machine the options describe, with its -global settings applied;
 * NULL after reporting the error. */
static Machine *machine_of_options(const MainOptions *o,
                                   const MachineConfig *cfg,
                                   const char *progname)
{
    GError *err = NULL;
    Machine *m = o->board ? board_json_load_file(o->board, &err)
                          : machine_new_default(cfg, &err);

    if (m && !apply_globals(m, o->globals, &err)) {
        machine_free(m);
        m = NULL;
    }
    if (!m) {
        fprintf(stderr, "%s: %s\n", progname, err->message);
        g_error_free(err);
    }
    return m;
}

ADDRSPACE_EXPORT int addrspace_machine_main(int argc, char **argv)
{
    const char *progname = program_name(argc, argv);
    MainOptions o = {0};
    MachineConfig cfg = {0};
    QTestChardev chardev = {0};
    MmioTrace *tracer = NULL;
    GError *err = NULL;
    Machine *m;
    int status = parse_options(argc, argv, progname, &o, &cfg, &chardev);

    if (status >= 0) {
        return status;
    }
    /* a client that goes away must give a write error, not kill us */
    signal(SIGPIPE, SIG_IGN);
    m = machine_of_options(&o, &cfg, progname);
    if (m && o.trace && !(tracer = mmio_trace_start(m, o.trace, &err))) {
        fprintf(stderr, "%s: %s\n", progname, err->message);
        g_error_free(err);
        machine_free(m);
        m = NULL;
    }
    if (!m) {
        qtest_chardev_clear(&chardev);
        return 1;
    }
    status = run_mode(m, progname, o.dump_board, o.script,
                      o.qtest || o.socket_path ? &chardev : NULL);
    qtest_chardev_clear(&chardev);
    mmio_trace_stop(tracer);
    machine_set_console_output(m, NULL);
    machine_free(m);
    return status;
}
