/* SPDX-License-Identifier: MIT */
/* The ADDRSPACE_ERROR GError domain, and the names of MemTxResults. */
#include <addrspace/error.h>

ADDRSPACE_EXPORT GQuark addrspace_error_quark(void)
{
    return g_quark_from_static_string("addrspace-error-quark");
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
