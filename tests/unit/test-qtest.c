/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the qtest front end (hw-test-devices/qtest.c) on the
 * default test machine: one scripted session per command with the exact
 * responses QEMU's system/qtest.c gives, malformed input, line splitting,
 * IRQ reporting, and a seeded random-input run that must never crash.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <addrspace/addrspace.h>

#include "console.h"
#include "hpet.h"
#include "machine.h"
#include "qtest.h"

typedef struct Fixture {
    Machine *m;
    QTestSession *s;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    (void)data;
    f->m = machine_new_default(NULL, &err);
    g_assert_no_error(err);
    f->s = qtest_session_new(f->m);
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    qtest_session_free(f->s);
    machine_free(f->m);
}

/* Run one line and return everything it answered (caller frees). */
static char *run(Fixture *f, const char *line)
{
    GString *out = g_string_new(NULL);

    qtest_session_process_line(f->s, line, strlen(line), out);
    return g_string_free(out, FALSE);
}

/* One command line and the exact text it must answer. */
typedef struct Step {
    const char *cmd;
    const char *resp;
} Step;

/* Run the steps in order; every response must match byte for byte. */
static void transcript(Fixture *f, const Step *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_autofree char *got = run(f, steps[i].cmd);

        if (strcmp(got, steps[i].resp) != 0) {
            g_test_message("command: %s", steps[i].cmd);
        }
        g_assert_cmpstr(got, ==, steps[i].resp);
    }
}

#define TRANSCRIPT(f, steps) transcript(f, steps, G_N_ELEMENTS(steps))

/* ---- memory ------------------------------------------------------------- */

static void test_endianness(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"endianness", "OK little\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

static void test_read_write_sized(Fixture *f, gconstpointer data)
{
    /* QEMU: buffer accesses, value in the target's (little) byte order */
    static const Step t[] = {
        {"writeq 0x1000 0x1122334455667788", "OK\n"},
        {"readq 0x1000", "OK 0x1122334455667788\n"},
        {"readl 0x1000", "OK 0x0000000055667788\n"},
        {"readl 0x1004", "OK 0x0000000011223344\n"},
        {"readw 0x1000", "OK 0x0000000000007788\n"},
        {"readb 0x1000", "OK 0x0000000000000088\n"},
        {"readb 0x1007", "OK 0x0000000000000011\n"},
        {"writeb 0x1000 0x1ff", "OK\n"}, /* truncated, as QEMU */
        {"readb 0x1000", "OK 0x00000000000000ff\n"},
        {"writew 0x2001 0xbeef", "OK\n"}, /* unaligned is fine on RAM */
        {"readw 0x2001", "OK 0x000000000000beef\n"},
        {"readb 0x2001", "OK 0x00000000000000ef\n"},
        {"writel 0x3000 4294967295", "OK\n"}, /* decimal */
        {"readl 0x3000", "OK 0x00000000ffffffff\n"},
        {"writel 0x3000 010", "OK\n"}, /* octal, as strtoul base 0 */
        {"readl 0x3000", "OK 0x0000000000000008\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

static void test_read_holes(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        /* a hole reads 0; bytes past 2^64 are a hole, never a wrap */
        {"readl 0x40000000", "OK 0x0000000000000000\n"},
        {"readq 0xfffffffffffffffc", "OK 0x0000000000000000\n"},
        {"writeq 0xfffffffffffffffc 0x1", "OK\n"},
        {"readb 0x0", "OK 0x0000000000000000\n"},
        /* HPET: 4-byte registers, 1-byte accesses refused (read 0) */
        {"readl 0xfed00000", "OK 0x000000008086a201\n"},
        {"readq 0xfed00000", "OK 0x009896808086a201\n"},
        {"readb 0xfed00000", "OK 0x0000000000000000\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

static void test_read_hex(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"write 0x1000 4 0xdeadBEEF", "OK\n"},
        {"read 0x1000 4", "OK 0xdeadbeef\n"},
        {"read 0x1000 6", "OK 0xdeadbeef0000\n"},
        /* short data is zero-filled, extra digits and an odd one ignored */
        {"write 0x1000 4 0x1122", "OK\n"},
        {"read 0x1000 4", "OK 0x11220000\n"},
        {"write 0x1000 2 0x334455", "OK\n"},
        {"read 0x1000 4", "OK 0x33440000\n"},
        {"write 0x1000 2 0x667", "OK\n"},
        {"read 0x1000 2", "OK 0x6600\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

static void test_read_write_errors(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"read 0x1000 0", "FAIL invalid size 0\n"},
        {"read 0x1000 16777217",
         "FAIL size 16777217 too large (max 16777216)\n"},
        {"write 0x1000 4 0x", "ERR invalid argument size\n"},
        {"write 0x1000 4 0x1g", "FAIL invalid hex data\n"},
        {"write 0x1000 4 12345678", "FAIL data must start with 0x\n"},
        {"write 0x1000 16777217 0x00",
         "FAIL size 16777217 too large (max 16777216)\n"},
        {"memset 0x1000 16777217 0",
         "FAIL size 16777217 too large (max 16777216)\n"},
        {"b64read 0x1000 99999999999",
         "FAIL size 99999999999 too large (max 16777216)\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

static void test_b64(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"b64write 0x1000 4 AQIDBA==", "OK\n"},
        {"read 0x1000 4", "OK 0x01020304\n"},
        {"b64read 0x1000 4", "OK AQIDBA==\n"},
        {"b64read 0x1000 0", "OK \n"},
        /* more data than SIZE: truncated; less: zero-filled */
        {"b64write 0x1000 2 BQYHCA==", "OK\n"},
        {"read 0x1000 4", "OK 0x05060304\n"},
        {"b64write 0x1000 4 CQo=", "OK\n"},
        {"read 0x1000 4", "OK 0x090a0000\n"},
        {"b64write 0x1000 4 AA", "ERR invalid argument size\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

/* b64write takes strict base64 only, as write takes hex only: else FAIL
 * with the reason, and nothing is written. */
static void test_b64_strict(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"b64write 0x1000 4 ESIzRA==", "OK\n"},
        {"b64write 0x1000 4 AQIDBA", "FAIL invalid base64 data (length not "
                                     "a multiple of 4)\n"},
        {"b64write 0x1000 4 AQI*BA==",
         "FAIL invalid base64 data (invalid character)\n"},
        {"b64write 0x1000 4 AQIDBA-_",
         "FAIL invalid base64 data (invalid character)\n"},
        {"b64write 0x1000 4 AQ==AQ==",
         "FAIL invalid base64 data (misplaced padding)\n"},
        {"b64write 0x1000 4 A===", "FAIL invalid base64 data (misplaced "
                                   "padding)\n"},
        {"b64write 0x1000 1 AR==", "FAIL invalid base64 data (bits after the "
                                   "last byte)\n"},
        {"b64write 0x1000 2 AQJ=", "FAIL invalid base64 data (bits after the "
                                   "last byte)\n"},
        {"read 0x1000 4", "OK 0x11223344\n"},
        {"b64write 0x1000 3 AQID", "OK\n"},
        {"b64write 0x1000 1 AQ==", "OK\n"},
        {"read 0x1000 4", "OK 0x01020344\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

static void test_memset(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"memset 0x1000 3 0x41", "OK\n"},
        {"read 0x1000 4", "OK 0x41414100\n"},
        {"memset 0x1000 0 0x42", "OK\n"}, /* zero size: nothing */
        {"read 0x1000 1", "OK 0x41\n"},
        {"memset 0x1000 2 0x1ff", "OK\n"}, /* the pattern is a byte */
        {"read 0x1000 2", "OK 0xffff\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

/* ---- port I/O ----------------------------------------------------------- */

static void test_pio(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"inb 0x80", "OK 0x00ff\n"}, /* QEMU prints in*() values with %04x */
        {"inw 0x80", "OK 0xffff\n"},
        {"inl 0x80", "OK 0xffffffff\n"},
        {"outl 0x80 0x12345678", "OK\n"},
        {"inb 0x3fd", "OK 0x0060\n"},
        {"inb 0x3f8", "OK 0x0000\n"},
        {"outb 0x3f8 0x68", "OK\n"},
        {"outb 0x3f8 0x169", "OK\n"}, /* truncated to 0x69 */
        {"inb 0x10000", "FAIL port out of range\n"},
        {"outb 0x10000 0", "FAIL port out of range\n"},
    };
    Console *con = machine_device(f->m, "console", "console");
    g_autofree char *text = NULL;

    (void)data;
    TRANSCRIPT(f, t);
    text = console_take_output(con, NULL);
    g_assert_cmpstr(text, ==, "hi");
}

/* ---- clock -------------------------------------------------------------- */

static void test_clock(Fixture *f, gconstpointer data)
{
    /* QEMU 7.2's answers: the time after the command, moved or not */
    static const Step t[] = {
        {"clock_step", "OK 0\n"}, /* no deadline pending: no move */
        {"clock_step 100", "OK 100\n"},
        {"clock_step 0", "OK 100\n"},
        {"clock_step -5", "OK 100\n"},
        {"clock_set 1000", "OK 1000\n"},
        {"clock_set 1000", "OK 1000\n"},
        {"clock_set 10", "OK 1000\n"}, /* the clock never goes back */
        {"clock_set 0x800", "OK 2048\n"},
        {"clock_step x", "FAIL invalid time 'x'\n"},
        {"clock_set", "FAIL missing argument\n"},
        /* now + NS wraps below now: no move (QEMU builds with -fwrapv) */
        {"clock_step 9223372036854775807", "OK 2048\n"},
        {"clock_step 9223372036854775808",
         "FAIL invalid time '9223372036854775808'\n"},
        {"clock_set 9223372036854775807", "OK 9223372036854775807\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

/* Program HPET timer 0 as a one-shot edge interrupt on line 2. */
static const Step hpet_one_shot[] = {
    {"writel 0xfed00010 0x1", "OK\n"}, /* enable the counter */
    {"writel 0xfed0010c 0x0", "OK\n"},
    {"writel 0xfed00108 0x64", "OK\n"},  /* 100 ticks: 1000 ns */
    {"writel 0xfed00100 0x404", "OK\n"}, /* route 2, enabled */
};

static void test_clock_step_deadline(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"clock_step", "OK 1000\n"}, /* straight to the timer's deadline */
        {"clock_step", "OK 1000\n"}, /* none left: no move */
    };

    (void)data;
    /* QEMU 7.2's HPET: enabling the counter leaves timers 1 and 2 idle */
    g_assert_true(machine_set_global(f->m, "hpet.compat=qemu-7.2", NULL));
    TRANSCRIPT(f, hpet_one_shot);
    TRANSCRIPT(f, t);
}

/*
 * A timer due at once fires between two commands, as QEMU's main loop runs
 * it (QEMU 7.2.0 driven one command at a time answers the same): its IRQ
 * lines follow the answer of the command that armed it. QEMU 7.2's HPET
 * arms a 32-bit one-shot timer for "now" when the counter's low half is
 * all ones (its wrap interrupt, one tick early).
 */
static void test_clock_due_timer_after_command(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"irq_intercept_in ioapic", "OK\n"},
        {"writel 0xfed000f0 0xffffffff", "OK\n"},
        {"writel 0xfed00108 0x10", "OK\n"},
        {"writel 0xfed00100 0x104", "OK\n"},
        {"writel 0xfed00010 0x1", "OK\nIRQ raise 0\nIRQ lower 0\n"},
        {"readl 0xfed000f0", "OK 0x00000000ffffffff\n"},
        {"clock_step", "IRQ raise 0\nIRQ lower 0\nOK 170\n"},
        {"readl 0xfed000f4", "OK 0x0000000000000001\n"},
    };

    (void)data;
    g_assert_true(machine_set_global(f->m, "hpet.compat=qemu-7.2", NULL));
    TRANSCRIPT(f, t);
}

/* ---- interrupts --------------------------------------------------------- */

static void test_irq_intercept(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"irq_intercept_in ioapic", "OK\n"},
        {"irq_intercept_in ioapic", "OK\n"}, /* same device again */
        {"irq_intercept_out hpet", "FAIL IRQ intercept already enabled\n"},
        /* IRQ lines come before the response of the command causing them */
        {"clock_step 2000", "IRQ raise 2\nIRQ lower 2\nOK 2000\n"},
    };

    (void)data;
    TRANSCRIPT(f, hpet_one_shot);
    TRANSCRIPT(f, t);
}

static void test_irq_level(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"irq_intercept_out /machine/hpet", "OK\n"},
        {"writel 0xfed00010 0x1", "OK\n"},
        {"writel 0xfed0010c 0x0", "OK\n"},
        {"writel 0xfed00108 0x64", "OK\n"},
        {"writel 0xfed00100 0x406", "OK\n"}, /* level-triggered */
        {"clock_step 5000", "IRQ raise 2\nOK 5000\n"},
        {"readl 0xfed00020", "OK 0x0000000000000001\n"},
        {"writel 0xfed00020 0x1", "IRQ lower 2\nOK\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

static void test_irq_errors(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"irq_intercept_in nosuch", "FAIL Unknown device\n"},
        {"irq_intercept_out console", "FAIL No intercepts installed\n"},
        {"irq_intercept_in hpet", "FAIL No intercepts installed\n"},
        {"irq_intercept_out ioapic", "FAIL No intercepts installed\n"},
        {"irq_intercept_in ioapic name",
         "FAIL Interception of named in-GPIOs not yet supported\n"},
        {"irq_intercept_out hpet name", "FAIL No intercepts installed\n"},
        {"irq_intercept_in", "FAIL missing argument\n"},
        {"set_irq_in nosuch unnamed-gpio-in 0 1", "FAIL Unknown device\n"},
        {"set_irq_in console unnamed-gpio-in 0 1", "FAIL No such input\n"},
        {"set_irq_in ioapic other 0 1", "FAIL No such input\n"},
        {"set_irq_in ioapic unnamed-gpio-in 256 1", "FAIL No such input\n"},
        {"set_irq_in ioapic unnamed-gpio-in 1 x", "FAIL invalid level 'x'\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

static void test_set_irq_in(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"set_irq_in ioapic unnamed-gpio-in 5 1", "OK\n"}, /* not watched */
        {"irq_intercept_in ioapic", "OK\n"},
        {"set_irq_in ioapic unnamed-gpio-in 7 1", "IRQ raise 7\nOK\n"},
        {"set_irq_in ioapic unnamed-gpio-in 7 1", "OK\n"}, /* no change */
        {"set_irq_in ioapic unnamed-gpio-in 7 0", "IRQ lower 7\nOK\n"},
        {"set_irq_in ioapic unnamed-gpio-in 42 1", "IRQ raise 42\nOK\n"},
        {"set_irq_in ioapic unnamed-gpio-in 100 1", "IRQ raise 100\nOK\n"},
        {"set_irq_in ioapic unnamed-gpio-in 255 5", "IRQ raise 255\nOK\n"},
        {"set_irq_in ioapic unnamed-gpio-in 255 0", "IRQ lower 255\nOK\n"},
        {"set_irq_in ioapic unnamed-gpio-in 256 1", "FAIL No such input\n"},
    };

    (void)data;
    TRANSCRIPT(f, t);
}

/* ---- extensions --------------------------------------------------------- */

static void test_info_mtree(Fixture *f, gconstpointer data)
{
    g_autofree char *tree = run(f, "info mtree");
    g_autofree char *flat = run(f, "info mtree -f");
    g_autofree char *all = run(f, "info mtree -f -D");
    g_autofree char *owners = run(f, "info mtree -o");
    g_autofree char *flat_owners = run(f, "info mtree -o -f");
    g_autofree char *bad = run(f, "info mtree -x");
    g_autofree char *other = run(f, "info registers");

    (void)data;
    g_assert_true(g_str_has_prefix(tree, "address-space: memory\n"));
    g_assert_nonnull(strstr(tree, "(prio 0, i/o): hpet\n"));
    g_assert_true(g_str_has_suffix(tree, "\n\nOK\n"));
    g_assert_true(g_str_has_prefix(flat, "FlatView #0\n"));
    g_assert_nonnull(strstr(flat, " AS \"I/O\", root: io\n"));
    g_assert_true(g_str_has_suffix(flat, "\nOK\n"));
    g_assert_cmpstr(all, ==, flat); /* nothing disabled on this board */
    /* no dump line is "OK": a client reads up to that line */
    g_assert_true(strstr(tree, "\nOK\n") + 4 == tree + strlen(tree));
    g_assert_true(strstr(flat, "\nOK\n") + 4 == flat + strlen(flat));
    /* -o: QEMU's owner column; the default board's regions have none */
    g_assert_true(g_str_has_prefix(owners, "address-space: memory\n"));
    g_assert_nonnull(strstr(owners, "(prio 0, i/o): hpet owner:{dev "
                                    "type=hpet}\n"));
    g_assert_nonnull(strstr(owners, "(prio 0, ram): ram parent:{obj "
                                    "path=/machine/unattached}\n"));
    g_assert_true(g_str_has_prefix(flat_owners, "FlatView #0\n"));
    g_assert_nonnull(strstr(flat_owners, "(prio 0, i/o): hpet owner:{dev "
                                         "type=hpet}\n"));
    g_assert_cmpstr(bad, ==, "FAIL info mtree takes -f, -o and -D\n");
    g_assert_cmpstr(other, ==, "FAIL info supports only 'mtree'\n");
}

/* ---- malformed input ---------------------------------------------------- */

/* QEMU 7.2's commands: each name reaches its command (five arguments are
 * too many for all of them), and a line longer than the parser's stack
 * copy runs like a short one. */
static void test_every_command(Fixture *f, gconstpointer data)
{
    static const char *const names[] = {
        "b64read",
        "b64write",
        "clock_set",
        "clock_step",
        "endianness",
        "inb",
        "info",
        "inl",
        "inw",
        "irq_intercept_in",
        "irq_intercept_out",
        "memset",
        "outb",
        "outl",
        "outw",
        "read",
        "readb",
        "readl",
        "readq",
        "readw",
        "set_irq_in",
        "snapshot",
        "write",
        "writeb",
        "writel",
        "writeq",
        "writew",
    };
    g_autoptr(GString) line = g_string_new("write 0x1000 200 0x");
    g_autofree char *wrote = NULL;
    g_autofree char *back = NULL;

    (void)data;
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *cmd = g_strdup_printf("%s 1 2 3 4 5", names[i]);
        g_autofree char *got = run(f, cmd);

        g_assert_cmpstr(got, ==, "FAIL too many arguments\n");
    }
    for (unsigned i = 0; i < 200; i++) {
        g_string_append_printf(line, "%02x", (i * 7) & 0xff);
    }
    g_assert_cmpuint(line->len, >, 400);
    wrote = run(f, line->str);
    g_assert_cmpstr(wrote, ==, "OK\n");
    back = run(f, "read 0x1000 200");
    g_assert_true(g_str_has_prefix(back, "OK 0x"));
    g_assert_cmpuint(strlen(back), ==, strlen("OK 0x") + 400 + 1);
    g_assert_cmpint(memcmp(back + 5, line->str + line->len - 400, 400), ==, 0);
}

static void test_malformed(Fixture *f, gconstpointer data)
{
    static const Step t[] = {
        {"bogus", "FAIL Unknown command 'bogus'\n"},
        {"READB 0", "FAIL Unknown command 'READB'\n"},
        {"readb", "FAIL missing argument\n"},
        {"readb 0 1", "FAIL too many arguments\n"},
        {"writeb 0", "FAIL missing argument\n"},
        {"readb 0x", "FAIL invalid address '0x'\n"},
        {"readb 08", "FAIL invalid address '08'\n"},
        {"readb -1", "FAIL invalid address '-1'\n"},
        {"readb +1", "FAIL invalid address '+1'\n"},
        {"readb 1x", "FAIL invalid address '1x'\n"},
        {"readb 0x10000000000000000",
         "FAIL invalid address '0x10000000000000000'\n"},
        {"writeb 0 zz", "FAIL invalid value 'zz'\n"},
        {"endianness now", "FAIL too many arguments\n"},
        {"a b c d e f g h i j", "FAIL Unknown command 'a'\n"},
        /* words are echoed up to 64 bytes */
        {"x123456789012345678901234567890123456789012345678901234567890123",
         "FAIL Unknown command "
         "'x123456789012345678901234567890123456789012345678901234567890123'"
         "\n"},
        {"x1234567890123456789012345678901234567890123456789012345678901234",
         "FAIL Unknown command "
         "'x123456789012345678901234567890123456789012345678901234567890123"
         "...'\n"},
        {"readb "
         "0x123456789012345678901234567890123456789012345678901234567890123",
         "FAIL invalid address "
         "'0x12345678901234567890123456789012345678901234567890123456789012"
         "...'\n"},
        /* names sort next to real ones: the table search must miss them */
        {"reada 0", "FAIL Unknown command 'reada'\n"},
        {"writez 0 0", "FAIL Unknown command 'writez'\n"},
        {"aaa", "FAIL Unknown command 'aaa'\n"},
        {"zzz", "FAIL Unknown command 'zzz'\n"},
        {"", ""},
        {"readb 0 1 2 3 4 5 6 7 8 9", "FAIL too many arguments\n"},
        /* runs of blanks separate words; a trailing CR is ignored */
        {"  readb \t 0x1000  ", "OK 0x0000000000000000\n"},
        {"readb 0x1000\r", "OK 0x0000000000000000\n"},
        {"readb\v0", "FAIL invalid character in command\n"},
        {"\x1b[A", "FAIL invalid character in command\n"},
        {"readb 0\x7f", "FAIL invalid character in command\n"},
        {"readb\r0x1000", "FAIL invalid character in command\n"},
        {"readb\x01 0", "FAIL invalid character in command\n"},
        {"readb\x1f 0", "FAIL invalid character in command\n"},
        /* no response to empty lines and comments */
        {"", ""},
        {"   ", ""},
        {"# readb 0", ""},
    };
    g_autofree char *long_word = g_strnfill(1000, 'x');
    g_autofree char *cmd = g_strdup_printf("%s 1", long_word);
    g_autofree char *got = run(f, cmd);
    GString *out = g_string_new(NULL);

    (void)data;
    TRANSCRIPT(f, t);
    /* echoed words are truncated */
    g_assert_cmpuint(strlen(got), <, 100);
    g_assert_true(g_str_has_suffix(got, "...'\n"));
    /* a NUL byte inside the line */
    qtest_session_process_line(f->s, "readb\0 0", 8, out);
    g_assert_cmpstr(out->str, ==, "FAIL invalid character in command\n");
    g_string_free(out, TRUE);
}

/* ---- line splitting ----------------------------------------------------- */

static void test_feed(Fixture *f, gconstpointer data)
{
    static const char input[] = "endianness\nreadb 0x1000\r\n\nwriteb 0x10"
                                "00 7\nreadb 0x1000";
    GString *out = g_string_new(NULL);

    (void)data;
    /* byte by byte: lines are reassembled */
    for (size_t i = 0; i + 1 < sizeof(input); i++) {
        qtest_session_feed(f->s, &input[i], 1, out);
    }
    g_assert_cmpstr(out->str, ==, "OK little\nOK 0x0000000000000000\nOK\n");
    /* the last line had no newline: end of input runs it */
    qtest_session_finish(f->s, out);
    g_assert_cmpstr(out->str, ==,
                    "OK little\nOK 0x0000000000000000\nOK\n"
                    "OK 0x0000000000000007\n");
    qtest_session_finish(f->s, out); /* nothing left */
    g_assert_cmpstr(out->str, ==,
                    "OK little\nOK 0x0000000000000000\nOK\n"
                    "OK 0x0000000000000007\n");
    g_string_free(out, TRUE);
}

static void test_feed_too_long(Fixture *f, gconstpointer data)
{
    const size_t chunk = 1 << 20;
    g_autofree char *junk = g_malloc(chunk);
    GString *out = g_string_new(NULL);

    (void)data;
    memset(junk, 'a', chunk);
    for (size_t fed = 0; fed <= QTEST_MAX_LINE; fed += chunk) {
        qtest_session_feed(f->s, junk, chunk, out);
    }
    g_assert_cmpuint(out->len, ==, 0);
    qtest_session_feed(f->s, "\nendianness\n", 12, out);
    g_assert_cmpstr(out->str, ==, "FAIL line too long\nOK little\n");
    g_string_free(out, TRUE);
}

/* A full write of QTEST_MAX_SIZE bytes fits in one line. */
static void test_feed_largest_write(Fixture *f, gconstpointer data)
{
    g_autofree char *head =
        g_strdup_printf("write 0x100000 %u 0x", QTEST_MAX_SIZE);
    g_autofree char *hex = g_strnfill(2 * QTEST_MAX_SIZE, 'a');
    GString *out = g_string_new(NULL);
    g_autofree char *last = NULL;

    (void)data;
    qtest_session_feed(f->s, head, strlen(head), out);
    qtest_session_feed(f->s, hex, 2 * QTEST_MAX_SIZE, out);
    qtest_session_feed(f->s, "\n", 1, out);
    g_assert_cmpstr(out->str, ==, "OK\n");
    last = run(f, "readb 0x10fffff");
    g_assert_cmpstr(last, ==, "OK 0x00000000000000aa\n");
    g_string_free(out, TRUE);
}

/* ---- random input ------------------------------------------------------- */

static const char *const random_words[] = {
    "readb",
    "readw",
    "readl",
    "readq",
    "writeb",
    "writew",
    "writel",
    "writeq",
    "read",
    "write",
    "b64read",
    "b64write",
    "memset",
    "inb",
    "inw",
    "inl",
    "outb",
    "outw",
    "outl",
    "clock_step",
    "clock_set",
    "endianness",
    "irq_intercept_in",
    "irq_intercept_out",
    "set_irq_in",
    "info",
    "mtree",
    "-f",
    "-D",
    "ioapic",
    "hpet",
    "console",
    "unnamed-gpio-in",
    "0",
    "1",
    "0x1000",
    "0xfed00000",
    "0xfed00100",
    "0xfed00010",
    "0xfeb01014",
    "0xfeb01000",
    "0xfeb01010",
    "0xfeb02000",
    "0x3f8",
    "0xffffffffffffffff",
    "16",
    "4096",
    "0x",
    "0xzz",
    "-1",
    "AQID",
    "0xdeadbeef",
    "\t",
    "#",
};

/*
 * Lines of random words, numbers and bytes: every line gets at most one
 * response block and the session never crashes. Prints its seed; rerun
 * with --seed (GLib's -p/--seed option).
 */
static void test_random_lines(Fixture *f, gconstpointer data)
{
    GRand *rand = g_rand_new_with_seed(g_test_rand_int());
    GString *line = g_string_new(NULL);
    GString *out = g_string_new(NULL);

    (void)data;
    for (int i = 0; i < 3000; i++) {
        int nwords = g_rand_int_range(rand, 0, 7);

        g_string_truncate(line, 0);
        for (int w = 0; w < nwords; w++) {
            if (g_rand_int_range(rand, 0, 8) == 0) {
                g_string_append_c(line, (char)g_rand_int_range(rand, 0, 256));
            } else {
                g_string_append(line,
                                random_words[g_rand_int_range(
                                    rand, 0, G_N_ELEMENTS(random_words))]);
            }
            g_string_append_c(line, ' ');
        }
        g_string_truncate(out, 0);
        qtest_session_process_line(f->s, line->str, line->len, out);
        g_assert_true(out->len == 0 || out->str[out->len - 1] == '\n');
    }
    g_string_free(line, TRUE);
    g_string_free(out, TRUE);
    g_rand_free(rand);
}

/* ---- streamed output ---------------------------------------------------- */

typedef struct Collected {
    GString *text;
    unsigned calls;
    bool refuse;
} Collected;

static bool collect(void *opaque, const char *data, size_t len)
{
    Collected *c = opaque;

    c->calls++;
    g_string_append_len(c->text, data, (gssize)len);
    return !c->refuse;
}

/* With an output function each command's answer goes out when it ends. */
static void test_output_per_command(Fixture *f, gconstpointer data)
{
    Collected c = {.text = g_string_new(NULL)};
    GString *out = g_string_new(NULL);

    (void)data;
    qtest_session_set_output(f->s, collect, &c);
    qtest_session_feed(f->s, "endianness\nbogus\nreadb 0", 25, out);
    g_assert_cmpuint(out->len, ==, 0);
    g_assert_cmpuint(c.calls, ==, 2);
    g_assert_cmpstr(c.text->str, ==,
                    "OK little\nFAIL Unknown command 'bogus'\n");
    qtest_session_finish(f->s, out);
    g_assert_cmpuint(c.calls, ==, 3);
    g_assert_cmpuint(out->len, ==, 0);
    /* a refused write drops all later output */
    c.refuse = true;
    qtest_session_feed(f->s, "endianness\nendianness\n", 22, out);
    g_assert_cmpuint(c.calls, ==, 4);
    g_assert_cmpuint(out->len, ==, 0);
    /* without one, output collects in the caller's GString again */
    qtest_session_set_output(f->s, NULL, NULL);
    qtest_session_feed(f->s, "endianness\nendianness\n", 22, out);
    g_assert_cmpstr(out->str, ==, "OK little\nOK little\n");
    g_assert_cmpuint(c.calls, ==, 4);
    g_string_free(out, TRUE);
    g_string_free(c.text, TRUE);
}

/* ---- drivers ------------------------------------------------------------ */

static const char driver_input[] = "endianness\nreadl 0xfed00000\nbogus\n"
                                   "outb 0x3f8 0x21\nreadb 0";
static const char driver_output[] = "OK little\nOK 0x000000008086a201\n"
                                    "FAIL Unknown command 'bogus'\nOK\n"
                                    "OK 0x0000000000000000\n";

/* Read @fd to its end. */
static char *read_all(int fd)
{
    GString *s = g_string_new(NULL);
    char buf[256];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR) {
            continue;
        }
        g_assert_cmpint(n, >, 0);
        g_string_append_len(s, buf, n);
    }
    return g_string_free(s, FALSE);
}

static void test_serve_fd(Fixture *f, gconstpointer data)
{
    int in[2], out[2];
    GError *err = NULL;
    g_autofree char *got = NULL;

    (void)data;
    g_assert_cmpint(pipe(in), ==, 0);
    g_assert_cmpint(pipe(out), ==, 0);
    g_assert_cmpint(write(in[1], driver_input, strlen(driver_input)), ==,
                    (ssize_t)strlen(driver_input));
    close(in[1]);
    g_assert_true(qtest_serve_fd(f->m, in[0], out[1], &err));
    g_assert_no_error(err);
    close(in[0]);
    close(out[1]);
    got = read_all(out[0]);
    close(out[0]);
    g_assert_cmpstr(got, ==, driver_output);
}

typedef struct SocketServer {
    Machine *m;
    const char *path;
    gboolean ok;
    GError *err;
} SocketServer;

static gpointer socket_server_main(gpointer opaque)
{
    SocketServer *srv = opaque;

    rcu_register_thread();
    srv->ok = qtest_serve_socket(srv->m, srv->path, &srv->err);
    rcu_unregister_thread();
    return NULL;
}

static void test_serve_socket(Fixture *f, gconstpointer data)
{
    g_autofree char *dir = g_dir_make_tmp("test-qtest-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "qtest.sock", NULL);
    SocketServer srv = {.m = f->m, .path = path};
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    g_autofree char *got = NULL;
    GThread *thread;
    int fd = -1;

    (void)data;
    g_assert_nonnull(dir);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    thread = g_thread_new("qtest-socket", socket_server_main, &srv);
    /* the server listens soon: retry until it does (10 s at most) */
    for (int i = 0; i < 1000 && fd < 0; i++) {
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        g_assert_cmpint(fd, >=, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            close(fd);
            fd = -1;
            g_usleep(10000);
        }
    }
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, driver_input, strlen(driver_input)), ==,
                    (ssize_t)strlen(driver_input));
    shutdown(fd, SHUT_WR);
    got = read_all(fd);
    close(fd);
    g_thread_join(thread);
    g_assert_no_error(srv.err);
    g_assert_true(srv.ok);
    g_assert_cmpstr(got, ==, driver_output);
    /* the socket file is gone once the client was served */
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_rmdir(dir);
}

static void test_script_errors(Fixture *f, gconstpointer data)
{
    GError *err = NULL;
    g_autofree char *long_path = g_strnfill(200, 'x');

    (void)data;
    g_assert_false(
        qtest_run_script(f->m, "/nonexistent/x.qtest", stdout, &err));
    g_assert_cmpint(err->code, ==, ADDRSPACE_ERROR_OS);
    g_clear_error(&err);
    g_assert_false(qtest_serve_socket(f->m, long_path, &err));
    g_assert_cmpint(err->code, ==, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
}

#define ADD(path, fn) \
    g_test_add("/qtest/" path, Fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("endianness", test_endianness);
    ADD("memory/sized-accesses-target-order", test_read_write_sized);
    ADD("memory/holes-and-device-rules", test_read_holes);
    ADD("memory/read-write-hex", test_read_hex);
    ADD("memory/size-and-data-errors", test_read_write_errors);
    ADD("memory/b64", test_b64);
    ADD("memory/b64-strict", test_b64_strict);
    ADD("memory/memset", test_memset);
    ADD("pio/in-out", test_pio);
    ADD("clock/step-and-set", test_clock);
    ADD("clock/step-to-deadline", test_clock_step_deadline);
    ADD("clock/due-timer-fires-after-command",
        test_clock_due_timer_after_command);
    ADD("irq/intercept-edge", test_irq_intercept);
    ADD("irq/level-and-out-path", test_irq_level);
    ADD("irq/errors", test_irq_errors);
    ADD("irq/set-irq-in", test_set_irq_in);
    ADD("info/mtree", test_info_mtree);
    ADD("commands/every-name", test_every_command);
    ADD("malformed/never-abort", test_malformed);
    ADD("feed/split-lines", test_feed);
    ADD("feed/line-too-long", test_feed_too_long);
    ADD("feed/largest-write", test_feed_largest_write);
    ADD("random/lines", test_random_lines);
    ADD("output/per-command", test_output_per_command);
    ADD("drivers/fd", test_serve_fd);
    ADD("drivers/socket", test_serve_socket);
    ADD("drivers/errors", test_script_errors);
    return g_test_run();
}
