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
#include "hpet.h"
#include "fuzz-machine.h"
#include "qtest.h"

#ifdef FUZZ_LIBFUZZER
/* The bound's own code: no coverage counters (its edges are not code under
 * test, and would only add to libFuzzer's cov), and no ASan checks (it
 * reads every byte of every input before the input runs, and is harness
 * code, not code under test; the replay test does not build it). Its
 * entry point is not inlined into the instrumented
 * LLVMFuzzerTestOneInput(), and its small helpers are inlined. */
#define WORK_BOUND        __attribute__((no_sanitize("coverage", "address")))
#define WORK_BOUND_INLINE WORK_BOUND __attribute__((always_inline)) inline

/* Memory bytes all the memory commands of one input may ask for. */
#define FUZZ_QTEST_MEMORY_BYTES (64u << 10)
/* Of those, memory command bytes in a device (one callback per access of
 * 1 to 8 bytes): a whole MMIO page, once. */
#define FUZZ_QTEST_SLOW_BYTES (4u << 10)
/* And dma-testdev copy bytes read from or written to a device (the seed
 * corpus's copies through the devices' registers stay within it). */
#define FUZZ_QTEST_SLOW_DMA_BYTES (32u << 10)

/* The dma-testdev's registers as the input's lines set them: the machine
 * state every input starts from has them all 0. */
typedef struct DmaSeen {
    uint64_t src, dst, len;
    bool src_known, dst_known, len_known;
} DmaSeen;

/* What the lines read so far ask for. */
typedef struct WorkSeen {
    DmaSeen dma;
    uint64_t bytes;    /* memory bytes, DMA copies included */
    uint64_t slow;     /* memory command bytes in a device */
    uint64_t slow_dma; /* copy bytes read from or written to a device */
} WorkSeen;

/* A blank as the session splits words (a line's \r counted as one). */
WORK_BOUND_INLINE static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* What follows @prefix in the NUL-terminated @word, or NULL if @word
 * does not start with it (a loop, not strncmp(): the sanitizers' string
 * calls report every compare to libFuzzer, and the bound's compares are
 * not the input's). */
WORK_BOUND_INLINE static const char *after_prefix(const char *word,
                                                  const char *prefix)
{
    while (*prefix && *word == *prefix) {
        word++;
        prefix++;
    }
    return *prefix ? NULL : word;
}

WORK_BOUND_INLINE static bool word_is(const char *word, const char *name)
{
    const char *rest = after_prefix(word, name);

    return rest && !*rest;
}

/* The default board's devices in its memory space: an access there is a
 * callback per 1 to 8 bytes (the flash's in ROM-device mode only on
 * write, counted always). RAM and ROM cost a copy, a hole one step.
 * From machine.h's layout, not a lookup: library code the bound called
 * would count as coverage. The testdev window covers the dma-testdev and
 * the console after it. */
static const struct {
    uint64_t base, size;
} device_windows[] = {
    {MACHINE_TESTDEV_BASE,
     MACHINE_CONSOLE_BASE + 0x1000 - MACHINE_TESTDEV_BASE},
    {MACHINE_HPET_BASE, HPET_MMIO_SIZE},
    {MACHINE_FLASH_BASE, MACHINE_FLASH_SIZE},
};

/* How many bytes of [@addr, @addr + @len) are a device's (bytes past the
 * top of the space wrap to low addresses, where there is none). */
WORK_BOUND static uint64_t device_bytes(uint64_t addr, uint64_t len)
{
    uint64_t end = len > UINT64_MAX - addr ? UINT64_MAX : addr + len;
    uint64_t n = 0;

    G_STATIC_ASSERT(MACHINE_DMA_TESTDEV_BASE > MACHINE_TESTDEV_BASE &&
                    MACHINE_CONSOLE_BASE > MACHINE_DMA_TESTDEV_BASE);
    for (size_t i = 0; i < G_N_ELEMENTS(device_windows); i++) {
        uint64_t lo = MAX(addr, device_windows[i].base);
        uint64_t hi = MIN(end, device_windows[i].base + device_windows[i].size);

        n += hi > lo ? hi - lo : 0;
    }
    return n;
}

/* A copy starts (a write of DMA_TESTDEV_CMD_COPY). */
WORK_BOUND static void dma_copy(WorkSeen *w)
{
    const DmaSeen *d = &w->dma;
    uint64_t len = d->len_known ? d->len : DMA_TESTDEV_MAX_LEN;

    if (len > DMA_TESTDEV_MAX_LEN) {
        return; /* refused, nothing copied */
    }
    w->bytes += len;
    w->slow_dma += d->src_known ? device_bytes(d->src, len) : len;
    w->slow_dma += d->dst_known ? device_bytes(d->dst, len) : len;
}

/* A 4-byte register write of @v at @offset in the dma-testdev (the
 * device takes aligned 4- and 8-byte writes only, an 8-byte one as two
 * 4-byte ones, low first). */
WORK_BOUND static void dma_register(WorkSeen *w, uint64_t offset, uint32_t v)
{
    DmaSeen *d = &w->dma;
    bool hi = offset & 4;
    uint64_t *reg = offset < DMA_TESTDEV_REG_DST_LO ? &d->src : &d->dst;
    uint64_t keep = hi ? 0xffffffffu : ~(uint64_t)0xffffffffu;

    switch (offset) {
    case DMA_TESTDEV_REG_SRC_LO:
    case DMA_TESTDEV_REG_SRC_HI:
    case DMA_TESTDEV_REG_DST_LO:
    case DMA_TESTDEV_REG_DST_HI:
        /* one 32-bit half of SRC or DST */
        *reg = (*reg & keep) | (uint64_t)v << (hi ? 32 : 0);
        break;
    case DMA_TESTDEV_REG_LEN:
        d->len = v;
        break;
    case DMA_TESTDEV_REG_CMD:
        if (v == DMA_TESTDEV_CMD_COPY) {
            dma_copy(w);
        }
        break;
    default:
        break;
    }
}

/* A writeb/w/l/q line (@words: command, address, value). */
WORK_BOUND static void dma_write_line(WorkSeen *w, char *const *words)
{
    static const char sizes[] = "bwlq";
    const char *sz = after_prefix(words[0], "write");
    unsigned shift = 0;
    uint64_t addr, v, size, offset;
    char *end;

    if (!sz || !sz[0] || sz[1]) {
        return;
    }
    while (sizes[shift] && sizes[shift] != sz[0]) {
        shift++;
    }
    if (!sizes[shift]) {
        return;
    }
    size = 1u << shift;
    addr = g_ascii_strtoull(words[1], &end, 0);
    v = g_ascii_strtoull(words[2], &end, 0);
    offset = addr - MACHINE_DMA_TESTDEV_BASE;
    if (addr < MACHINE_DMA_TESTDEV_BASE || offset >= DMA_TESTDEV_REGION_SIZE ||
        size < 4 || offset % size) {
        return; /* another device's, or refused by this one */
    }
    dma_register(w, offset, (uint32_t)v);
    if (size == 8) {
        dma_register(w, offset + 4, (uint32_t)(v >> 32));
    }
}

/* A memory command writing [@addr, @addr + @len): over the dma-testdev's
 * registers it may set any of them and (@may_start: its data is the
 * input's, not one repeated byte) start a copy of whatever length they
 * then hold. */
WORK_BOUND static void dma_bulk_write(WorkSeen *w, uint64_t addr, uint64_t len,
                                      bool may_start)
{
    const uint64_t base = MACHINE_DMA_TESTDEV_BASE;
    const uint64_t last = base + DMA_TESTDEV_REG_DONE + 3;

    if (!len || addr > last || (addr < base && base - addr >= len)) {
        return; /* not over the registers */
    }
    w->dma.src_known = w->dma.dst_known = w->dma.len_known = false;
    if (may_start) {
        dma_copy(w);
    }
}

/* A memory command of @len bytes at the address @addr_word (@addr_cut:
 * longer than the copy, so counted as a device's); @writes: 0 reads, 1 sets
 * memory to one byte, 2 writes the input's data. An address that does not
 * parse is refused by the session: its bytes cost nothing outside RAM. */
WORK_BOUND static void memory_command(WorkSeen *w, const char *addr_word,
                                      bool addr_cut, uint64_t len, int writes)
{
    char *stop = NULL;
    uint64_t addr = addr_cut ? 0 : g_ascii_strtoull(addr_word, &stop, 0);

    w->bytes += len;
    if (!len || (!addr_cut && *stop)) {
        return;
    }
    w->slow += addr_cut ? len : device_bytes(addr, len);
    if (writes) {
        if (addr_cut) {
            w->slow += FUZZ_QTEST_SLOW_BYTES + 1; /* anywhere: not run */
        } else {
            dma_bulk_write(w, addr, len, writes == 2);
        }
    }
}

/* Copies the word at *@pp (blanks before it skipped; a NUL ends it, as it
 * ends the session's) to @store, cut to @cap - 1 bytes; *@cut: it was
 * longer. Returns false at @end. */
WORK_BOUND_INLINE static bool next_word(const char **pp, const char *end,
                                        char *store, size_t cap, bool *cut)
{
    const char *p = *pp;
    size_t w = 0;

    while (p < end && *p && blank(*p)) {
        p++;
    }
    if (p == end) {
        *pp = p;
        return false;
    }
    for (; p < end && *p && !blank(*p); p++) {
        if (w < cap - 1) {
            store[w] = *p;
        }
        w++; /* the rest of a cut word is skipped */
    }
    *cut = w >= cap;
    store[MIN(w, cap - 1)] = '\0';
    *pp = p;
    return true;
}

/* Adds what one line's memory command or DMA start asks for to @seen (a
 * conservative reading of the session's parser: a line it reads otherwise
 * costs time, no more). Words are split as the session splits them; one
 * too long to copy counts as the largest SIZE when it is one. This runs
 * before every input: plain loops over the bytes rather than strchr(),
 * memcpy() or strcmp(), whose sanitizer versions check and report every
 * call, and a line whose command is none of those counted is not split
 * further. */
WORK_BOUND static void line_cost(const char *line, size_t len, WorkSeen *seen)
{
    /* the memory commands, and how they write (memory_command()) */
    static const struct {
        const char *name;
        int writes;
    } cmds[] = {{"read", 0},
                {"b64read", 0},
                {"write", 2},
                {"b64write", 2},
                {"memset", 1}};
    char store[4][64];
    char *words[4] = {NULL};
    bool cut[4] = {false};
    const char *p = line, *end = line + len;
    int cmd = -1;
    char *stop;
    uint64_t v;
    int n = 0;

    if (!next_word(&p, end, store[0], sizeof(store[0]), &cut[0])) {
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cmds) && cmd < 0; i++) {
        cmd = word_is(store[0], cmds[i].name) ? (int)i : -1;
    }
    if (cmd < 0 && !after_prefix(store[0], "write")) {
        return; /* neither a memory command nor a register write */
    }
    words[n++] = store[0];
    while (n < 4 && next_word(&p, end, store[n], sizeof(store[n]), &cut[n])) {
        words[n] = store[n];
        n++;
    }
    if (n < 3) {
        return;
    }
    if (cmd >= 0) {
        v = cut[2] ? QTEST_MAX_SIZE : g_ascii_strtoull(words[2], &stop, 0);
        if (v <= QTEST_MAX_SIZE) {
            memory_command(seen, words[1], cut[1], v, cmds[cmd].writes);
        }
    } else if (n == 3 && !cut[1] && !cut[2]) {
        dma_write_line(seen, words);
    } else if (n == 3) {
        /* a writeb/w/l/q too long to read here: any register, any copy */
        dma_bulk_write(seen, MACHINE_DMA_TESTDEV_BASE, 1, true);
    }
}

WORK_BOUND __attribute__((noinline)) static bool
within_work_bound(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    WorkSeen w = {
        .dma = {.src_known = true, .dst_known = true, .len_known = true}};

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);

        line_cost(p, len, &w);
        if (w.bytes > FUZZ_QTEST_MEMORY_BYTES ||
            w.slow > FUZZ_QTEST_SLOW_BYTES ||
            w.slow_dma > FUZZ_QTEST_SLOW_DMA_BYTES) {
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
