/* SPDX-License-Identifier: MIT */
/*
 * A little-endian MMIO register file for unit tests that logs every
 * callback: reads as "r<size>@<offset> ", writes as "w<size>@<offset> ",
 * or "w<size>@<offset>=<value> " with @log_values. Offsets up to
 * LOG_REGS_LEN; the test picks the region size and the ops' rules.
 */
#ifndef TESTS_UNIT_LOG_REGS_H
#define TESTS_UNIT_LOG_REGS_H

#include <inttypes.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#define LOG_REGS_LEN 0x1000

typedef struct LogRegs {
    uint8_t bytes[LOG_REGS_LEN];
    GString *log;
    bool log_values;
} LogRegs;

static inline uint64_t log_regs_read(void *opaque, hwaddr addr, unsigned size)
{
    LogRegs *r = opaque;
    uint64_t v = 0;

    /* bytes past the file (a callback past the region's end, as QEMU makes
     * them) read 0 */
    for (unsigned i = 0; i < size && addr + i < LOG_REGS_LEN; i++) {
        v |= (uint64_t)r->bytes[addr + i] << (8 * i);
    }
    g_string_append_printf(r->log, "r%u@%u ", size, (unsigned)addr);
    return v;
}

static inline void log_regs_write(void *opaque, hwaddr addr, uint64_t v,
                                  unsigned size)
{
    LogRegs *r = opaque;

    for (unsigned i = 0; i < size && addr + i < LOG_REGS_LEN; i++) {
        r->bytes[addr + i] = (uint8_t)(v >> (8 * i));
    }
    if (r->log_values) {
        g_string_append_printf(r->log, "w%u@%u=%" PRIx64 " ", size,
                               (unsigned)addr, v);
    } else {
        g_string_append_printf(r->log, "w%u@%u ", size, (unsigned)addr);
    }
}

#endif /* TESTS_UNIT_LOG_REGS_H */
