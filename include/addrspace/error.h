/* SPDX-License-Identifier: MIT */
/**
 * @file error.h
 * @brief The GError domain and codes of every set-up call in addrspace.
 *
 * Set-up calls (region init, tree mutation, backends, board files) return
 * bool or a pointer and fill a `GError **errp` (may be NULL; set if and only
 * if the call failed; the state is unchanged on failure).
 *
 * As in QEMU, @errp may also be &error_fatal (a failure prints its message
 * and exits with status 1) or &error_abort (a failure prints it and calls
 * abort()), so that code ported from QEMU passes the same argument. Every
 * error the library sets goes through addrspace_error_set() or
 * addrspace_error_propagate(), which handle the two sentinels; code of
 * its own that fills an @errp it was given should use them too (or
 * ERRP_GUARD()), never g_set_error() on a pointer that may be a sentinel.
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
 * @ADDRSPACE_ERROR_LIMIT: a documented limit of the library was reached
 *                         (e.g. MEMORY_TRANSACTION_MAX_ROUNDS).
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
    ADDRSPACE_ERROR_LIMIT,
} AddrspaceErrorCode;

/**
 * addrspace_error_quark() - The GQuark of the ADDRSPACE_ERROR domain.
 *
 * Context: any thread.
 * Return: the quark.
 */
GQuark addrspace_error_quark(void);

/**
 * error_fatal - QEMU's sentinel: pass &error_fatal as the @errp of a set-up
 * call to have a failure print "<program name>: <message>" on stderr and
 * exit(1) instead of returning.
 *
 * The variable itself is never written: it stays NULL.
 */
extern GError *error_fatal;

/**
 * error_abort - QEMU's sentinel: pass &error_abort as the @errp of a set-up
 * call to have a failure print "Unexpected error in <function>() at
 * <file>:<line>:" and the message on stderr, then abort(): for calls that
 * cannot fail unless the program has a bug.
 *
 * The variable itself is never written: it stays NULL.
 */
extern GError *error_abort;

/**
 * addrspace_error_set_at() - g_set_error() that honours &error_fatal and
 * &error_abort (called through addrspace_error_set()).
 * @file: source file of the failure (__FILE__).
 * @line: its line (__LINE__).
 * @func: its function (G_STRFUNC).
 * @errp: error return: NULL (the error is dropped), &error_fatal,
 *        &error_abort, or a pointer to a NULL GError * that receives it.
 * @domain: the error domain (ADDRSPACE_ERROR for the library's errors).
 * @code: the error code.
 * @fmt: printf-style message format, then its arguments.
 *
 * Context: any thread.
 */
void addrspace_error_set_at(const char *file, int line, const char *func,
                            GError **errp, GQuark domain, gint code,
                            const char *fmt, ...) G_GNUC_PRINTF(7, 8);

/**
 * addrspace_error_set() - Set an error into @errp like g_set_error()
 * (same arguments), except that &error_fatal and &error_abort make the
 * failure fatal at once (see error_fatal, error_abort).
 * @errp: error return, NULL, or a sentinel.
 * @domain: the error domain.
 * @code: the error code.
 * @...: printf-style format and arguments.
 */
#define addrspace_error_set(errp, domain, code, ...)                        \
    addrspace_error_set_at(__FILE__, __LINE__, G_STRFUNC, (errp), (domain), \
                           (code), __VA_ARGS__)

/**
 * addrspace_error_propagate() - Move @src into @dest like
 * g_propagate_error(), honouring the sentinels.
 * @dest: error return, NULL (@src is freed), or a sentinel (the failure is
 *        fatal: see error_fatal, error_abort; the abort message names no
 *        origin, a GError records none).
 * @src: the error (owned; taken over); NULL does nothing.
 *
 * Context: any thread.
 */
void addrspace_error_propagate(GError **dest, GError *src);

/**
 * struct AddrspaceErrpGuard - private state of ERRP_GUARD().
 * @local: the error collected in place of the caller's @errp.
 * @errp: the caller's @errp.
 */
typedef struct AddrspaceErrpGuard {
    GError *local;
    GError **errp;
} AddrspaceErrpGuard;

/**
 * addrspace_errp_guard_end() - private: the end of an ERRP_GUARD() scope;
 * propagates the collected error to the caller's @errp.
 * @guard: the guard.
 */
static inline void addrspace_errp_guard_end(AddrspaceErrpGuard *guard)
{
    if (guard->local) {
        addrspace_error_propagate(guard->errp, guard->local);
    }
}

/**
 * ERRP_GUARD() - QEMU's ERRP_GUARD(): at the top of a function with a
 * `GError **errp` parameter, makes @errp safe to dereference and to
 * decorate (g_prefix_error(), GLib calls that set errors themselves).
 *
 * When @errp is NULL or &error_fatal, it is replaced for the rest of the
 * function by a local GError pointer, which is propagated to the original
 * one (addrspace_error_propagate()) when the function returns: a fatal
 * error then exits with its message complete. &error_abort is left as is,
 * so the abort happens where the error is set.
 */
#define ERRP_GUARD()                                         \
    __attribute__((cleanup(addrspace_errp_guard_end)))       \
    AddrspaceErrpGuard addrspace_errp_guard_ = {NULL, errp}; \
    if (!errp || errp == &error_fatal) {                     \
        errp = &addrspace_errp_guard_.local;                 \
    }                                                        \
    (void)0

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
