/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer harnesses: a reader that turns the input bytes
 * into choices (running out of bytes gives zeros and stops the harness's
 * loop), and the failure report. A harness defines
 * LLVMFuzzerTestOneInput(); built with -fsanitize=fuzzer it is a fuzzer,
 * linked with replay-main.c it replays a corpus as a plain test.
 */
#ifndef TESTS_FUZZ_FUZZ_COMMON_H
#define TESTS_FUZZ_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include <addrspace/addrspace.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct FuzzInput {
    const uint8_t *p;
    size_t left;
} FuzzInput;

static inline bool fuzz_done(const FuzzInput *in)
{
    return in->left == 0;
}

/* The reader's own check for the end of the input: in the libFuzzer
 * builds neither counted nor traced (a compare of the bytes left with 0,
 * made for every byte read, tells libFuzzer nothing about the input). */
#ifdef FUZZ_LIBFUZZER
#define FUZZ_READER __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_READER
#endif

FUZZ_READER static inline uint8_t fuzz_u8(FuzzInput *in)
{
    if (!in->left) {
        return 0;
    }
    in->left--;
    return *in->p++;
}

/* @n bytes (at most 8), little endian. */
static inline uint64_t fuzz_bytes(FuzzInput *in, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)fuzz_u8(in) << (8 * i);
    }
    return v;
}

/* A value in [0, @n). */
static inline unsigned fuzz_pick(FuzzInput *in, unsigned n)
{
    return n ? fuzz_u8(in) % n : 0;
}

static inline bool fuzz_bool(FuzzInput *in)
{
    return fuzz_u8(in) & 1;
}

/* The harness found a bug: say what and crash, so that libFuzzer (or the
 * replay test) reports the input. */
static inline void G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN
    fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("FUZZ FAILURE: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* Typed accesses: FUZZ_TYPED_ACCESSES variants, every load and store of
 * address-space.h (target, little and big byte order). In fuzz-typed.c,
 * built as the library is in the libFuzzer binaries: the access paths it
 * inlines keep their edges, not their comparison tracing. */
#define FUZZ_TYPED_ACCESSES 20

/* @loaded: set to what a load returned (0 for a store). */
MemTxResult fuzz_typed_access_value(AddressSpace *as, unsigned which, hwaddr a,
                                    uint64_t v, MemTxAttrs attrs,
                                    uint64_t *loaded);

/* The same, what a load returned dropped. */
MemTxResult fuzz_typed_access(AddressSpace *as, unsigned which, hwaddr a,
                              uint64_t v, MemTxAttrs attrs);

/* Start a copy of @len bytes from @src to @dst by the dma-testdev whose
 * registers are at @base in @as (its 64-bit source and destination, its
 * length, then the copy command); returns its status register after, and
 * in *@res the status load's result. */
uint32_t fuzz_dma_testdev_copy(AddressSpace *as, hwaddr base, uint64_t src,
                               uint64_t dst, uint32_t len, MemTxResult *res);

#endif /* TESTS_FUZZ_FUZZ_COMMON_H */
