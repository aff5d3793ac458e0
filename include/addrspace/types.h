/* SPDX-License-Identifier: MIT */
/**
 * @file types.h
 * @brief Basic types shared by every addrspace header: addresses, memory
 * transaction attributes and results, device endianness, export macro.
 */
#ifndef ADDRSPACE_TYPES_H
#define ADDRSPACE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>

/** Marks a symbol as part of the library's public ABI. */
#define ADDRSPACE_EXPORT __attribute__((visibility("default")))

#ifdef __cplusplus
#define ADDRSPACE_BEGIN_DECLS extern "C" {
#define ADDRSPACE_END_DECLS   }
#else
/**
 * Opens the declarations of a public header: `extern "C" {` when compiled
 * as C++, nothing in C.
 */
#define ADDRSPACE_BEGIN_DECLS
/** Closes what ADDRSPACE_BEGIN_DECLS opened. */
#define ADDRSPACE_END_DECLS
#endif

ADDRSPACE_BEGIN_DECLS

/** An address in an address space, or an offset inside a region. */
typedef uint64_t hwaddr;

/** printf format for a hwaddr as 16 lower-case hex digits (mtree style). */
#define HWADDR_FMT "%016" PRIx64

/**
 * MemTxAttrs - attributes of one memory transaction, passed by value.
 *
 * @unspecified: the caller did not specify attributes (MEMTXATTRS_UNSPECIFIED).
 * @secure: the access is from the secure world (Arm TrustZone and similar).
 * @user: the access is unprivileged.
 * @memory: the target must be RAM/ROM; MMIO and holes give MEMTX_ACCESS_ERROR.
 * @requester_id: bus requester id (PCI BDF) of the initiator.
 * @byte_swap: QEMU's "invert endianness for this page" bit of a CPU TLB
 *             entry; carried to callbacks unchanged, never interpreted here
 *             (QEMU 7.2's memory API does not read it either: its softmmu
 *             TLB swaps the access before it reaches the AddressSpace).
 * @target_tlb_bit0: target-specific page-table bit, carried, not
 *                   interpreted (as in QEMU).
 * @target_tlb_bit1: likewise.
 * @target_tlb_bit2: likewise.
 *
 * The fields and their order are QEMU 7.2's; the struct fits in 32 bits
 * and is passed in one register.
 */
typedef struct MemTxAttrs {
    unsigned int unspecified : 1;
    unsigned int secure : 1;
    unsigned int user : 1;
    unsigned int memory : 1;
    unsigned int requester_id : 16;
    unsigned int byte_swap : 1;
    unsigned int target_tlb_bit0 : 1;
    unsigned int target_tlb_bit1 : 1;
    unsigned int target_tlb_bit2 : 1;
} MemTxAttrs;

#ifdef __cplusplus
static_assert(sizeof(MemTxAttrs) == sizeof(uint32_t),
              "MemTxAttrs is passed by value in one 32-bit register");
/* C++17 has neither compound literals nor designated initializers */
#define MEMTXATTRS_UNSPECIFIED (MemTxAttrs{1, 0, 0, 0, 0, 0, 0, 0, 0})
#else
_Static_assert(sizeof(MemTxAttrs) == sizeof(uint32_t),
               "MemTxAttrs is passed by value in one 32-bit register");
/** Attributes of an access whose initiator said nothing more specific. */
#define MEMTXATTRS_UNSPECIFIED ((MemTxAttrs){.unspecified = 1})
#endif

/**
 * MemTxResult - outcome of a memory transaction. Bits; the results of an
 * access split into several transactions are OR-ed together.
 */
typedef uint32_t MemTxResult;
/** The transaction succeeded. */
#define MEMTX_OK 0u
/** The device reported an error. */
#define MEMTX_ERROR (1u << 0)
/** Nothing decodes the address, or the access shape is not accepted. */
#define MEMTX_DECODE_ERROR (1u << 1)
/** The access was refused by policy (attrs.memory, re-entrancy, IOMMU). */
#define MEMTX_ACCESS_ERROR (1u << 2)

/**
 * enum device_endian - byte order of a device's registers.
 * @DEVICE_NATIVE_ENDIAN: the target's byte order, a runtime property of the
 *                        AddressSpace (default little endian).
 * @DEVICE_BIG_ENDIAN: big endian.
 * @DEVICE_LITTLE_ENDIAN: little endian.
 */
enum device_endian {
    DEVICE_NATIVE_ENDIAN,
    DEVICE_BIG_ENDIAN,
    DEVICE_LITTLE_ENDIAN,
};

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_TYPES_H */
