/* SPDX-License-Identifier: MIT */
/*
 * The typed accessors' one table. NOT ABI: included by the public headers
 * that define typed accessor families (<addrspace/address-space.h>,
 * <addrspace/ldst-phys.h>, <addrspace/tlb.h>, <addrspace/guest-memory.h>);
 * may change in any release.
 *
 * QEMU's typed accessors are ten per direction: ldub/stb, then 16, 32 and
 * 64 bits each in the target's byte order, little endian and big endian.
 * Each row below is one of them, as X(load, store, type, size, order):
 * the load's and the store's name part (ldub, stb; lduw_le, stw_le ...),
 * the value's C type, its size in bytes and its byte order (enum
 * device_endian; a byte is little endian: no order to resolve). A family
 * is a pair of generators (one function from a row); a header that
 * documents each function invokes the row macros one by one under their
 * comments, a source file takes ADDRSPACE_TYPED_ACCESSES_() whole.
 */
#ifndef ADDRSPACE_STATIC_TYPED_TABLE_H
#define ADDRSPACE_STATIC_TYPED_TABLE_H

#include <addrspace/types.h>

/* 8 bits */
#define ADDRSPACE_TYPED_UB_(X) X(ldub, stb, uint8_t, 1, DEVICE_LITTLE_ENDIAN)
/* 16 bits: the target's order, little, big endian */
#define ADDRSPACE_TYPED_UW_(X) X(lduw, stw, uint16_t, 2, DEVICE_NATIVE_ENDIAN)
#define ADDRSPACE_TYPED_UW_LE_(X) \
    X(lduw_le, stw_le, uint16_t, 2, DEVICE_LITTLE_ENDIAN)
#define ADDRSPACE_TYPED_UW_BE_(X) \
    X(lduw_be, stw_be, uint16_t, 2, DEVICE_BIG_ENDIAN)
/* 32 bits */
#define ADDRSPACE_TYPED_L_(X) X(ldl, stl, uint32_t, 4, DEVICE_NATIVE_ENDIAN)
#define ADDRSPACE_TYPED_L_LE_(X) \
    X(ldl_le, stl_le, uint32_t, 4, DEVICE_LITTLE_ENDIAN)
#define ADDRSPACE_TYPED_L_BE_(X) \
    X(ldl_be, stl_be, uint32_t, 4, DEVICE_BIG_ENDIAN)
/* 64 bits */
#define ADDRSPACE_TYPED_Q_(X) X(ldq, stq, uint64_t, 8, DEVICE_NATIVE_ENDIAN)
#define ADDRSPACE_TYPED_Q_LE_(X) \
    X(ldq_le, stq_le, uint64_t, 8, DEVICE_LITTLE_ENDIAN)
#define ADDRSPACE_TYPED_Q_BE_(X) \
    X(ldq_be, stq_be, uint64_t, 8, DEVICE_BIG_ENDIAN)

/* Every row, in the order above. */
#define ADDRSPACE_TYPED_ACCESSES_(X) \
    ADDRSPACE_TYPED_UB_(X)           \
    ADDRSPACE_TYPED_UW_(X)           \
    ADDRSPACE_TYPED_UW_LE_(X)        \
    ADDRSPACE_TYPED_UW_BE_(X)        \
    ADDRSPACE_TYPED_L_(X)            \
    ADDRSPACE_TYPED_L_LE_(X)         \
    ADDRSPACE_TYPED_L_BE_(X)         \
    ADDRSPACE_TYPED_Q_(X) ADDRSPACE_TYPED_Q_LE_(X) ADDRSPACE_TYPED_Q_BE_(X)

#endif /* ADDRSPACE_STATIC_TYPED_TABLE_H */
