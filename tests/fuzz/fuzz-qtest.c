/* SPDX-License-Identifier: MIT */
/*
 * qtest front-end fuzzer: the input is a qtest session's input stream
 * (any bytes, fed in pieces the input chooses) to the default board.
 * Every command must give a response line; nothing may crash, leak or
 * make a device callback break the bounds invariant. Virtual time must
 * cost bounded work: the clock's callback budget is lowered to
 * FUZZ_CLOCK_BUDGET per run, and the timer callbacks plus interrupt line
 * settings of the whole input may not exceed FUZZ_WORK_PER_COMMAND per
 * command line (a breach is a crash: some path does unbounded work).
 */
#include <string.h>

#include <glib.h>

#include "fuzz-common.h"
#include "machine.h"
#include "qtest.h"
#include "testdev.h"

/* Timer callbacks one clock_step/clock_set may make here. */
#define FUZZ_CLOCK_BUDGET 4096u
/*
 * Work one command may cause: each callback sets at most two lines (a
 * pulse), and a register write at most about 70 (stopping or starting
 * 32 timers, the legacy lines); the timers due after each command are
 * one more run.
 */
#define FUZZ_WORK_PER_COMMAND (6u * FUZZ_CLOCK_BUDGET + 128u)

static void check_work(Machine *m, const uint8_t *data, size_t size)
{
    uint64_t lines = 1;
    uint64_t work =
        vclock_callbacks_run(machine_clock(m)) + machine_irq_events(m);

    for (size_t i = 0; i < size; i++) {
        lines += data[i] == '\n';
    }
    if (work > lines * FUZZ_WORK_PER_COMMAND) {
        fuzz_fail("unbounded work: %" PRIu64 " callbacks and line settings "
                  "for %" PRIu64 " commands",
                  work, lines);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const MachineConfig cfg = {.ram_size = 1u << 20};
    GError *err = NULL;
    Machine *m = machine_new_default(&cfg, &err);
    QTestSession *s;
    GString *out = g_string_new("");
    size_t off = 0;
    TestDev *td;

    if (!m) {
        fuzz_fail("default board: %s", err->message);
    }
    machine_set_console_output(m, NULL);
    vclock_set_budget(machine_clock(m), FUZZ_CLOCK_BUDGET);
    s = qtest_session_new(m);
    /* the first byte chooses the piece size: lines split anywhere */
    while (off < size) {
        size_t piece = MIN(size - off, (size_t)(data[0] % 64) + 1);

        qtest_session_feed(s, (const char *)data + off, piece, out);
        off += piece;
        if (out->len > (1u << 20)) {
            g_string_truncate(out, 0);
        }
    }
    qtest_session_finish(s, out);
    qtest_session_free(s);
    check_work(m, data, size);
    td = machine_device(m, "testdev", MACHINE_DEVICE_TESTDEV);
    if (td && testdev_violations(td)) {
        fuzz_fail("testdev: a callback broke the bounds invariant");
    }
    machine_free(m);
    g_string_free(out, true);
    return 0;
}
