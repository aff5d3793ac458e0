/* SPDX-License-Identifier: MIT */
/*
 * The machine the access and qtest harnesses run their inputs on, built
 * once and put back between inputs (fuzz_machine_reset()), and the bodies
 * of those harnesses, shared by the libFuzzer entry points, the reset test
 * (test-fuzz-reset.c) and the W15 benchmark.
 *
 * A body may write a transcript: every value it read, every result, every
 * interrupt line change and the clock, as bytes; two runs of one input
 * from the same state give the same transcript byte for byte.
 */
#ifndef TESTS_FUZZ_FUZZ_MACHINE_H
#define TESTS_FUZZ_FUZZ_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "machine.h"

/* Append @len bytes at @p to @transcript, if there is one. */
static inline void fuzz_note(GString *transcript, const void *p, size_t len)
{
    if (transcript) {
        g_string_append_len(transcript, p, (gssize)len);
    }
}

static inline void fuzz_note_u64(GString *transcript, uint64_t v)
{
    fuzz_note(transcript, &v, sizeof(v));
}

/* The harnesses' board: the default one with 1 MiB of RAM. */
#define FUZZ_MACHINE_RAM_SIZE (1u << 20)

/* Timer callbacks one clock step may make in a body (vclock_set_budget();
 * the board's own budget, MACHINE_CLOCK_BUDGET, lets a timer with a
 * period of one tick cost seconds per step). The libFuzzer build
 * (FUZZ_LIBFUZZER) allows fewer: a step that reaches the budget is as
 * good a test there, at a fraction of the time per input. */
#ifdef FUZZ_LIBFUZZER
#define FUZZ_CLOCK_BUDGET 16u
#else
#define FUZZ_CLOCK_BUDGET 4096u
#endif

typedef struct FuzzMachine FuzzMachine;

/*
 * fuzz_machine_new() - Build the default board (console output off) and
 * record the state fuzz_machine_reset() returns to. A failure is a harness
 * failure (fuzz_fail()).
 */
FuzzMachine *fuzz_machine_new(void);

/* fuzz_machine_get() - The machine; valid until the next reset. */
Machine *fuzz_machine_get(FuzzMachine *fm);

/*
 * fuzz_machine_reset() - Put the machine back as fuzz_machine_new() left
 * it. Every allocation an input made on the machine is released inside
 * this call (libFuzzer's per-input leak check sees balanced counts).
 */
void fuzz_machine_reset(FuzzMachine *fm);

/* fuzz_machine_free() - Free the machine; @fm may be NULL. */
void fuzz_machine_free(FuzzMachine *fm);

/* A libFuzzer entry point's machine is built again on its second call and
 * then every FUZZ_MACHINE_REBUILD calls. */
#define FUZZ_MACHINE_REBUILD 4096u

/*
 * fuzz_machine_next() - The machine for a libFuzzer entry point's next
 * input, kept in *@fm (built on the first call). libFuzzer counts no
 * coverage in its first call (an empty input run before the corpus): the
 * rebuild on the second call puts the board's build and teardown into the
 * coverage, and the later ones keep them fuzzed and leak-checked.
 */
Machine *fuzz_machine_next(FuzzMachine **fm);

/*
 * fuzz_access_body() - Run one input of the access harness on @m: guest
 * accesses, DMA, maps (all unmapped before it returns) and clock steps.
 * @transcript: appended to if not NULL.
 */
void fuzz_access_body(Machine *m, const uint8_t *data, size_t size,
                      GString *transcript);

/*
 * fuzz_qtest_body() - Run one input of the qtest harness on @m: the bytes
 * as a qtest session's input stream, with the output and work budgets
 * checked. @transcript: the session's output, then the clock, appended to
 * if not NULL.
 */
void fuzz_qtest_body(Machine *m, const uint8_t *data, size_t size,
                     GString *transcript);

#endif /* TESTS_FUZZ_FUZZ_MACHINE_H */
