/* SPDX-License-Identifier: MIT */
/*
 * qtest front-end fuzzer: the input is a qtest session's input stream
 * to the default board (fuzz-qtest-body.c). The board is built
 * once (again every FUZZ_MACHINE_REBUILD inputs) and put back after every
 * input (fuzz-machine.c): an input runs on the state every other input
 * starts from.
 *
 * Work bound (the libFuzzer build only, FUZZ_LIBFUZZER): an input whose
 * read, b64read, write, b64write and memset commands, and dma-testdev
 * copies (the length register's value at each start command written with
 * writeb/w/l/q), ask for more than FUZZ_QTEST_MEMORY_BYTES bytes in all is
 * not run. A SIZE up to
 * QTEST_MAX_SIZE (16 MiB) is valid, but one such command costs the fuzz
 * build up to seconds (an unassigned range is read 4 bytes per callback),
 * and libFuzzer would spend most of its time on a few such inputs. The
 * bound still lets a reply outgrow a streamed piece (QTEST_OUTPUT_CHUNK),
 * and a SIZE over QTEST_MAX_SIZE (refused, no work) does not count. The
 * replay test (replay-main.c) runs every input whole, whatever it asks.
 */
#include <string.h>

#include "dma-testdev.h"
#include "fuzz-common.h"
#include "fuzz-machine.h"
#include "qtest.h"

#ifdef FUZZ_LIBFUZZER
/* Memory bytes all the memory commands of one input may ask for. */
#define FUZZ_QTEST_MEMORY_BYTES (64u << 10)

/* Follows the dma-testdev's length register through the input's writes
 * (@dma_len); returns the length of the copy that a write of @words to its
 * start register begins, else 0. */
static uint64_t dma_len_seen(char *const *words, uint64_t *dma_len)
{
    hwaddr reg = MACHINE_DMA_TESTDEV_BASE + DMA_TESTDEV_REG_LEN;
    char *end;
    uint64_t addr, v;

    if (strncmp(words[0], "write", 5) != 0 || !strchr("bwlq", words[0][5]) ||
        words[0][6] != '\0') {
        return 0;
    }
    addr = g_ascii_strtoull(words[1], &end, 0);
    v = g_ascii_strtoull(words[2], &end, 0);
    if (addr == reg) {
        *dma_len = (uint32_t)v;
    } else if (addr == reg + (DMA_TESTDEV_REG_CMD - DMA_TESTDEV_REG_LEN)) {
        return *dma_len <= DMA_TESTDEV_MAX_LEN ? *dma_len : 0;
    }
    return 0;
}

/* The bytes one line's memory command or DMA start asks for, or 0 (a
 * conservative reading of the session's parser: a line it reads otherwise
 * costs time, no more). Words are split as the session splits them; one
 * too long to copy counts as the largest SIZE when it is one. */
static uint64_t line_size(const char *line, size_t len, uint64_t *dma_len)
{
    static const char *const cmds[] = {"read", "b64read", "write", "b64write",
                                       "memset"};
    char store[4][64];
    char *words[4] = {NULL};
    bool cut[4] = {false};
    const char *p = line, *end = line + len;
    char *stop;
    uint64_t v;
    int n = 0;

    while (n < 4) {
        size_t w;

        while (p < end && strchr(" \t\r", *p) && *p) {
            p++;
        }
        if (p == end) {
            break;
        }
        for (w = 0; p + w < end && !strchr(" \t\r", p[w]); w++) {
        }
        cut[n] = w >= sizeof(store[n]);
        w = MIN(w, sizeof(store[n]) - 1);
        memcpy(store[n], p, w);
        store[n][w] = '\0';
        words[n] = store[n];
        p += w;
        while (p < end && !strchr(" \t\r", *p)) {
            p++; /* the rest of a cut word */
        }
        n++;
    }
    if (n < 3) {
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        if (strcmp(words[0], cmds[i]) == 0) {
            if (cut[2]) {
                return QTEST_MAX_SIZE;
            }
            v = g_ascii_strtoull(words[2], &stop, 0);
            return v <= QTEST_MAX_SIZE ? v : 0;
        }
    }
    return n == 3 && !cut[1] && !cut[2] ? dma_len_seen(words, dma_len) : 0;
}

static bool within_work_bound(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    uint64_t total = 0, dma_len = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);

        total += line_size(p, len, &dma_len);
        if (total > FUZZ_QTEST_MEMORY_BYTES) {
            return false;
        }
        p += len + 1;
    }
    return true;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FuzzMachine *fm;

#ifdef FUZZ_LIBFUZZER
    if (!within_work_bound(data, size)) {
        return -1; /* not added to the corpus */
    }
#endif
    fuzz_qtest_body(fuzz_machine_next(&fm), data, size, NULL);
    fuzz_machine_reset(fm);
    return 0;
}
