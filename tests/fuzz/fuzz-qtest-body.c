/* SPDX-License-Identifier: MIT */
/*
 * The qtest harness's body (fuzz-qtest.c): the input is a qtest session's
 * input stream (any bytes, fed in pieces the input chooses) to the
 * default board. Every command must give a response line; nothing may
 * crash, leak or give a device callback a size outside 1 to 8 (as in
 * QEMU, callbacks may get bytes past a device's end: the devices decode
 * the offset, ASan checks they stay in their arrays).
 *
 * Output budget: the session streams its output to a counter (as the
 * drivers stream it to their peer). It must never hold more than
 * QTEST_OUTPUT_BUFFER_MAX bytes of output at once, and all output but the
 * IRQ lines (whose number follows the clock's events, not the input) must
 * stay within QTEST_MAX_REPLY bytes per input line (no command answers
 * more; the default board's `info mtree` dumps are far smaller). A breach
 * is a crash.
 *
 * Work budget: virtual time must cost bounded work. The clock's callback
 * budget is lowered to FUZZ_CLOCK_BUDGET per run, and the timer callbacks
 * plus interrupt line settings of the whole input may not exceed
 * FUZZ_WORK_PER_COMMAND per command line (a breach is a crash: some path
 * does unbounded work).
 */
#include <string.h>

#include <glib.h>

#include "fuzz-common.h"
#include "fuzz-machine.h"
#include "qtest.h"
#include "testdev.h"

/* What the session wrote, counted as it streams out. */
typedef struct OutputBudget {
    GString *transcript; /* or NULL */
    uint64_t bytes;      /* all output */
    uint64_t irq_bytes;  /* in lines starting "IRQ " */
    uint64_t line_len;   /* bytes of the current line so far */
    bool irq_line;       /* the current line starts "IRQ " so far */
} OutputBudget;

/*
 * The IRQ prefix test looks at the first bytes of each line only, and
 * memchr() finds the line ends: a long reply costs no per-byte work here.
 */
static bool budget_output(void *opaque, const char *data, size_t len)
{
    static const char irq[] = "IRQ ";
    OutputBudget *b = opaque;
    const char *p = data, *end = data + len;

    fuzz_note(b->transcript, data, len);
    b->bytes += len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl + 1 : end) - p); /* newline included */

        for (size_t i = 0; i < n && b->line_len + i < 4; i++) {
            b->irq_line = (b->line_len + i == 0 || b->irq_line) &&
                          p[i] == irq[b->line_len + i];
        }
        b->line_len += n;
        p += n;
        if (nl) {
            if (b->irq_line && b->line_len > 4) {
                b->irq_bytes += b->line_len;
            }
            b->line_len = 0;
        }
    }
    return true;
}

/* Input lines: a last line without its newline counts too. memchr(), not
 * a loop over the bytes: the fuzzing build would trace each compare. */
static uint64_t count_lines(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size, *nl;
    uint64_t lines = 1;

    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p = nl + 1;
    }
    return lines;
}

static void check_output_budget(QTestSession *s, const OutputBudget *b,
                                const uint8_t *data, size_t size)
{
    uint64_t lines = count_lines(data, size);

    if (qtest_session_peak_buffered(s) > QTEST_OUTPUT_BUFFER_MAX) {
        fuzz_fail("the session held %zu bytes of output (budget %u)",
                  qtest_session_peak_buffered(s), QTEST_OUTPUT_BUFFER_MAX);
    }
    if (b->bytes - b->irq_bytes > lines * QTEST_MAX_REPLY) {
        fuzz_fail("%" PRIu64 " bytes of output (IRQ lines aside) for %" PRIu64
                  " input lines (budget %u per line)",
                  b->bytes - b->irq_bytes, lines, QTEST_MAX_REPLY);
    }
}

/*
 * Work one command may cause: each callback sets at most two lines (a
 * pulse), and a register write at most about 70 (stopping or starting
 * 32 timers, the legacy lines); the timers due after each command are
 * one more run.
 */
#define FUZZ_WORK_PER_COMMAND (6u * FUZZ_CLOCK_BUDGET + 128u)

/* @work_before: the callbacks and line settings counted before the
 * input (the counters are the machine's, not reset with it). */
static void check_work(Machine *m, const uint8_t *data, size_t size,
                       uint64_t work_before)
{
    uint64_t lines = count_lines(data, size);
    uint64_t work = vclock_callbacks_run(machine_clock(m)) +
                    machine_irq_events(m) - work_before;

    if (work > lines * FUZZ_WORK_PER_COMMAND) {
        fuzz_fail("unbounded work: %" PRIu64 " callbacks and line settings "
                  "for %" PRIu64 " commands",
                  work, lines);
    }
}

void fuzz_qtest_body(Machine *m, const uint8_t *data, size_t size,
                     GString *transcript)
{
    uint64_t work_before =
        vclock_callbacks_run(machine_clock(m)) + machine_irq_events(m);
    QTestSession *s;
    GString *out = g_string_new("");
    OutputBudget budget = {.transcript = transcript};
    size_t off = 0;
    TestDev *td;

    vclock_set_budget(machine_clock(m), FUZZ_CLOCK_BUDGET);
    s = qtest_session_new(m);
    qtest_session_set_output(s, budget_output, &budget);
    /* the first byte chooses the piece size: lines split anywhere */
    while (off < size) {
        size_t piece = MIN(size - off, (size_t)(data[0] % 64) + 1);

        qtest_session_feed(s, (const char *)data + off, piece, out);
        off += piece;
    }
    qtest_session_finish(s, out);
    check_output_budget(s, &budget, data, size);
    qtest_session_free(s);
    check_work(m, data, size, work_before);
    fuzz_note_u64(transcript, (uint64_t)vclock_now_ns(machine_clock(m)));
    td = machine_device(m, "testdev", "testdev");
    if (td && testdev_violations(td)) {
        fuzz_fail("testdev: a callback broke the bounds invariant");
    }
    if (td && testdev_log_len(td) > TESTDEV_LOG_MAX) {
        fuzz_fail("testdev: the log outgrew its bound");
    }
    g_string_free(out, true);
}
