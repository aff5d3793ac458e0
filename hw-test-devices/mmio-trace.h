/* SPDX-License-Identifier: MIT */
/**
 * @file mmio-trace.h
 * @brief addrspace-machine --trace FILE: a log of MMIO dispatches, built
 * on the access hooks of <addrspace/hooks.h>.
 *
 * One line per dispatch (per MMIO chunk of a buffer access, per typed
 * access), written when it has completed, in the order the accesses
 * complete:
 *
 *     mmio AS DIR REGION+0xOFFSET SIZE 0xVALUE RESULT
 *
 * AS is the AddressSpace's name ("memory", "I/O"), DIR "read" or "write",
 * REGION the name of the region that decodes the access (the library's
 * "unassigned" for a hole: QEMU dispatches those to its unassigned ops),
 * OFFSET the offset in it (hex), SIZE the bytes, VALUE the value read or
 * written (hex; typed accesses: as the caller saw it; pieces of buffer
 * accesses: their bytes as a little-endian number), RESULT the MemTxResult
 * name (MEMTX_OK, MEMTX_DECODE_ERROR, ...). RAM, ROM and romd reads
 * (direct memory, no dispatch) are not logged. MMIO accesses made by a
 * device from its callback (DMA) are logged before the access that
 * started them, which completes last.
 */
#ifndef HW_TEST_DEVICES_MMIO_TRACE_H
#define HW_TEST_DEVICES_MMIO_TRACE_H

#include "machine.h"

/** MmioTrace - a running trace (opaque). */
typedef struct MmioTrace MmioTrace;

/**
 * mmio_trace_start() - Log the MMIO dispatches of @m's "memory" (its
 * first AddressSpace) and "I/O" AddressSpaces to @path.
 * @m: a realized machine.
 * @path: the log file (created or truncated).
 * @errp: error return.
 * Return: the trace, or NULL with @errp set (the file cannot be opened).
 */
MmioTrace *mmio_trace_start(Machine *m, const char *path, GError **errp);

/**
 * mmio_trace_stop() - Stop logging, close the file, free @t.
 * @t: the trace, or NULL.
 * Context: outside a read-side section (waits for a grace period).
 */
void mmio_trace_stop(MmioTrace *t);

#endif /* HW_TEST_DEVICES_MMIO_TRACE_H */
