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
 * writeb/w/l/q), ask for more than FUZZ_QTEST_MEMORY_BYTES bytes in all,
 * or whose memory commands ask for more than FUZZ_QTEST_SLOW_BYTES bytes
 * outside RAM, is not run. A SIZE up to QTEST_MAX_SIZE (16 MiB) is valid,
 * but one such command costs the fuzz build up to seconds, and outside
 * RAM (MMIO, holes) every 1 to 8 bytes are a device callback: a few
 * hundred times what RAM bytes cost. libFuzzer would spend most of its
 * time on a few such inputs and the many it derives from them. The bound
 * still lets a reply outgrow a streamed piece (QTEST_OUTPUT_CHUNK), and a
 * SIZE over QTEST_MAX_SIZE (refused, no work) does not count. The replay
 * test (replay-main.c) runs every input whole, whatever it asks.
 */
#include <string.h>

#include "dma-testdev.h"
#include "fuzz-common.h"
#include "fuzz-machine.h"
#include "qtest.h"

#ifdef FUZZ_LIBFUZZER
/* Memory bytes all the memory commands of one input may ask for. */
#define FUZZ_QTEST_MEMORY_BYTES (64u << 10)
/* Of those, bytes outside RAM (one callback per access of 1 to 8 bytes):
 * a whole MMIO page, once. */
#define FUZZ_QTEST_SLOW_BYTES (4u << 10)

/* What the lines read so far ask for. */
typedef struct WorkSeen {
    AddressSpace *as; /* the memory commands' AddressSpace */
    uint64_t dma_len; /* the dma-testdev's length register */
    uint64_t bytes;   /* memory bytes, DMA included */
    uint64_t slow;    /* memory command bytes not in one RAM section */
} WorkSeen;

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

/* Whether all of [@addr, @addr + @len) is the fuzz machine's RAM, which
 * the default board maps at 0 (below 4 GiB it is one region; ROM over it
 * costs no callback either). Arithmetic, not a lookup: library code the
 * bound called would count as coverage. */
static bool in_ram(uint64_t addr, uint64_t len)
{
    G_STATIC_ASSERT(FUZZ_MACHINE_RAM_SIZE <= MACHINE_RAM_BELOW_4G_MAX);
    return addr < FUZZ_MACHINE_RAM_SIZE && len <= FUZZ_MACHINE_RAM_SIZE - addr;
}

/* A memory command of @len bytes at the address @addr_word (@addr_cut:
 * longer than the copy, so counted as not RAM). An address that does not
 * parse is refused by the session: its bytes cost nothing outside RAM. */
static void memory_command(WorkSeen *w, const char *addr_word, bool addr_cut,
                           uint64_t len)
{
    char *stop = NULL;
    uint64_t addr = addr_cut ? 0 : g_ascii_strtoull(addr_word, &stop, 0);

    w->bytes += len;
    if (len && (addr_cut || (!*stop && !in_ram(addr, len)))) {
        w->slow += len;
    }
}

/* Adds what one line's memory command or DMA start asks for to @seen (a
 * conservative reading of the session's parser: a line it reads otherwise
 * costs time, no more). Words are split as the session splits them; one
 * too long to copy counts as the largest SIZE when it is one. */
static void line_cost(const char *line, size_t len, WorkSeen *seen)
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
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        if (strcmp(words[0], cmds[i]) == 0) {
            v = cut[2] ? QTEST_MAX_SIZE : g_ascii_strtoull(words[2], &stop, 0);
            if (v <= QTEST_MAX_SIZE) {
                memory_command(seen, words[1], cut[1], v);
            }
            return;
        }
    }
    if (n == 3 && !cut[1] && !cut[2]) {
        seen->bytes += dma_len_seen(words, &seen->dma_len);
    }
}

static bool within_work_bound(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    WorkSeen w = {0};

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);

        line_cost(p, len, &w);
        if (w.bytes > FUZZ_QTEST_MEMORY_BYTES ||
            w.slow > FUZZ_QTEST_SLOW_BYTES) {
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
