/* SPDX-License-Identifier: MIT */
/* The ADDRSPACE_ERROR GError domain. */
#include <addrspace/error.h>

ADDRSPACE_EXPORT GQuark addrspace_error_quark(void)
{
    return g_quark_from_static_string("addrspace-error-quark");
}
