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
 * address-space.h (target, little and big byte order). */
#define FUZZ_TYPED_ACCESSES 20

/* @loaded: set to what a load returned (0 for a store). */
static inline MemTxResult fuzz_typed_access_value(AddressSpace *as,
                                                  unsigned which, hwaddr a,
                                                  uint64_t v, MemTxAttrs attrs,
                                                  uint64_t *loaded)
{
    MemTxResult res = MEMTX_OK;
    uint64_t got = 0;

    switch (which % FUZZ_TYPED_ACCESSES) {
    case 0:
        got = address_space_ldub(as, a, attrs, &res);
        break;
    case 1:
        got = address_space_lduw(as, a, attrs, &res);
        break;
    case 2:
        got = address_space_lduw_le(as, a, attrs, &res);
        break;
    case 3:
        got = address_space_lduw_be(as, a, attrs, &res);
        break;
    case 4:
        got = address_space_ldl(as, a, attrs, &res);
        break;
    case 5:
        got = address_space_ldl_le(as, a, attrs, &res);
        break;
    case 6:
        got = address_space_ldl_be(as, a, attrs, &res);
        break;
    case 7:
        got = address_space_ldq(as, a, attrs, &res);
        break;
    case 8:
        got = address_space_ldq_le(as, a, attrs, &res);
        break;
    case 9:
        got = address_space_ldq_be(as, a, attrs, &res);
        break;
    case 10:
        address_space_stb(as, a, (uint8_t)v, attrs, &res);
        break;
    case 11:
        address_space_stw(as, a, (uint16_t)v, attrs, &res);
        break;
    case 12:
        address_space_stw_le(as, a, (uint16_t)v, attrs, &res);
        break;
    case 13:
        address_space_stw_be(as, a, (uint16_t)v, attrs, &res);
        break;
    case 14:
        address_space_stl(as, a, (uint32_t)v, attrs, &res);
        break;
    case 15:
        address_space_stl_le(as, a, (uint32_t)v, attrs, &res);
        break;
    case 16:
        address_space_stl_be(as, a, (uint32_t)v, attrs, &res);
        break;
    case 17:
        address_space_stq(as, a, v, attrs, &res);
        break;
    case 18:
        address_space_stq_le(as, a, v, attrs, &res);
        break;
    default:
        address_space_stq_be(as, a, v, attrs, &res);
        break;
    }
    *loaded = got;
    return res;
}

static inline MemTxResult fuzz_typed_access(AddressSpace *as, unsigned which,
                                            hwaddr a, uint64_t v,
                                            MemTxAttrs attrs)
{
    uint64_t loaded;

    return fuzz_typed_access_value(as, which, a, v, attrs, &loaded);
}

#endif /* TESTS_FUZZ_FUZZ_COMMON_H */
