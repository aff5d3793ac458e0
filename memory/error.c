/* SPDX-License-Identifier: MIT */
/*
 * The ADDRSPACE_ERROR GError domain, the names of MemTxResults, and the one
 * place where the library's errors are set: QEMU's &error_fatal /
 * &error_abort sentinels are handled here (util/error.c's
 * error_handle_fatal in QEMU 7.2).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <addrspace/error.h>

ADDRSPACE_EXPORT GError *error_fatal;
ADDRSPACE_EXPORT GError *error_abort;

ADDRSPACE_EXPORT GQuark addrspace_error_quark(void)
{
    return g_quark_from_static_string("addrspace-error-quark");
}

/* QEMU's error_report(): "<program>: <message>" on one line. */
static void report(const GError *err)
{
    const char *prog = g_get_prgname();

    if (prog) {
        fprintf(stderr, "%s: %s\n", prog, err->message);
    } else {
        fprintf(stderr, "%s\n", err->message);
    }
}

/*
 * Ends the program when @errp is a sentinel; returns otherwise. @func is
 * NULL when the origin is unknown (a propagated GError records none).
 */
static void handle_sentinel(GError **errp, GError *err, const char *file,
                            int line, const char *func)
{
    if (errp == &error_abort) {
        if (func) {
            fprintf(stderr, "Unexpected error in %s() at %s:%d:\n", func, file,
                    line);
        } else {
            fprintf(stderr, "Unexpected error:\n");
        }
        report(err);
        abort();
    }
    if (errp == &error_fatal) {
        report(err);
        g_error_free(err);
        exit(1);
    }
}

ADDRSPACE_EXPORT void addrspace_error_set_at(const char *file, int line,
                                             const char *func, GError **errp,
                                             GQuark domain, gint code,
                                             const char *fmt, ...)
{
    GError *err;
    va_list ap;

    if (!errp) {
        return;
    }
    va_start(ap, fmt);
    err = g_error_new_valist(domain, code, fmt, ap);
    va_end(ap);
    handle_sentinel(errp, err, file, line, func);
    g_propagate_error(errp, err);
}

ADDRSPACE_EXPORT void addrspace_error_propagate(GError **dest, GError *src)
{
    if (!src) {
        return;
    }
    handle_sentinel(dest, src, NULL, 0, NULL);
    g_propagate_error(dest, src);
}

ADDRSPACE_EXPORT const char *memtx_result_name(MemTxResult result)
{
    /* indexed by the three error bits */
    static const char *const names[] = {
        "MEMTX_OK",
        "MEMTX_ERROR",
        "MEMTX_DECODE_ERROR",
        "MEMTX_ERROR|MEMTX_DECODE_ERROR",
        "MEMTX_ACCESS_ERROR",
        "MEMTX_ERROR|MEMTX_ACCESS_ERROR",
        "MEMTX_DECODE_ERROR|MEMTX_ACCESS_ERROR",
        "MEMTX_ERROR|MEMTX_DECODE_ERROR|MEMTX_ACCESS_ERROR",
    };

    return result < G_N_ELEMENTS(names) ? names[result] : "MEMTX_UNKNOWN";
}
