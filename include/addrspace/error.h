/* SPDX-License-Identifier: MIT */
/**
 * @file error.h
 * @brief The GError domain and codes of every set-up call in addrspace.
 *
 * Set-up calls (region init, tree mutation, backends, board files) return
 * bool or a pointer and fill a `GError **errp` (may be NULL; set if and only
 * if the call failed; the state is unchanged on failure).
 */
#ifndef ADDRSPACE_ERROR_H
#define ADDRSPACE_ERROR_H

#include <glib.h>

#include <addrspace/types.h>

ADDRSPACE_BEGIN_DECLS

/** The GError domain of addrspace. */
#define ADDRSPACE_ERROR (addrspace_error_quark())

/**
 * enum AddrspaceErrorCode - codes of the ADDRSPACE_ERROR domain.
 * @ADDRSPACE_ERROR_INVALID: an argument is malformed (NULL, size 0, ...).
 * @ADDRSPACE_ERROR_OVERFLOW: an address or size runs past 2^64.
 * @ADDRSPACE_ERROR_BUSY: the object is in use (already has a parent,
 *                        already initialised, still referenced).
 * @ADDRSPACE_ERROR_CYCLE: the change would create a cycle in the tree.
 * @ADDRSPACE_ERROR_NOT_FOUND: a named object does not exist or is not a
 *                             child of the given parent.
 * @ADDRSPACE_ERROR_OVERLAP: ranges overlap where they may not.
 * @ADDRSPACE_ERROR_OS: the operating system refused (errno text attached).
 * @ADDRSPACE_ERROR_PARSE: malformed input text (board file, command).
 */
typedef enum AddrspaceErrorCode {
    ADDRSPACE_ERROR_INVALID,
    ADDRSPACE_ERROR_OVERFLOW,
    ADDRSPACE_ERROR_BUSY,
    ADDRSPACE_ERROR_CYCLE,
    ADDRSPACE_ERROR_NOT_FOUND,
    ADDRSPACE_ERROR_OVERLAP,
    ADDRSPACE_ERROR_OS,
    ADDRSPACE_ERROR_PARSE,
} AddrspaceErrorCode;

/**
 * addrspace_error_quark() - The GQuark of the ADDRSPACE_ERROR domain.
 *
 * Context: any thread.
 * Return: the quark.
 */
GQuark addrspace_error_quark(void);

/**
 * memtx_result_name() - The name of a data-path result, for messages.
 * @result: a MemTxResult: MEMTX_OK or an OR of the error bits (the result
 *          of an access split into several transactions).
 *
 * Return: a static string: "MEMTX_OK", "MEMTX_ERROR",
 * "MEMTX_DECODE_ERROR", "MEMTX_ACCESS_ERROR", or the names of several
 * bits joined by '|' ("MEMTX_ERROR|MEMTX_DECODE_ERROR"); a value with
 * other bits set gives "MEMTX_UNKNOWN". Context: any thread.
 */
const char *memtx_result_name(MemTxResult result);

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_ERROR_H */
