/* SPDX-License-Identifier: MIT */
/**
 * @file dma.h
 * @brief QEMU's DMA helpers (include/sysemu/dma.h of QEMU 7.2): accesses a
 * device makes to an AddressSpace as a bus master, with QEMU's names and
 * argument order.
 *
 * A direction says who the data goes to: DMA_DIRECTION_TO_DEVICE reads
 * guest memory, DMA_DIRECTION_FROM_DEVICE writes it. The helpers without
 * `_relaxed` put dma_barrier() (a full memory barrier) before the access,
 * as QEMU does; map/unmap and the address_space_ld / st functions put
 * none, and their users order their accesses themselves.
 *
 * Every helper is the AddressSpace call named in its comment, so its rules
 * (results, splitting, holes, bounce buffers) are that call's.
 * Context: any registered thread (each helper takes its own read-side
 * section).
 *
 * Not provided: dma_blk_io(), dma_blk_read(), dma_blk_write() and
 * dma_acct_start(), which need QEMU's block layer.
 */
#ifndef ADDRSPACE_DMA_H
#define ADDRSPACE_DMA_H

#include <addrspace/address-space.h>

ADDRSPACE_BEGIN_DECLS

/**
 * enum DMADirection - who receives the data of a DMA transfer.
 * @DMA_DIRECTION_TO_DEVICE: the device reads guest memory.
 * @DMA_DIRECTION_FROM_DEVICE: the device writes guest memory.
 */
typedef enum DMADirection {
    DMA_DIRECTION_TO_DEVICE = 0,
    DMA_DIRECTION_FROM_DEVICE = 1,
} DMADirection;

/** A bus address (an IOVA behind an IOMMU): always 64 bits, as in QEMU. */
typedef uint64_t dma_addr_t;

/** Width of dma_addr_t in bits. */
#define DMA_ADDR_BITS 64
/** printf conversion for a dma_addr_t, in hex (QEMU's DMA_ADDR_FMT). */
#define DMA_ADDR_FMT "%" PRIx64

/**
 * dma_barrier() - Order a DMA access against the accesses of other
 * threads (vCPUs) made before it: a full memory barrier, QEMU's smp_mb().
 * @as: the address space (unused, as in QEMU).
 * @dir: the direction (unused, as in QEMU).
 *
 * Context: any thread.
 */
static inline void dma_barrier(AddressSpace *as, DMADirection dir)
{
    (void)as;
    (void)dir;
#ifdef ADDRSPACE_TSAN
    {
        /* gcc refuses fences under TSan (-Wtsan); a sequentially
         * consistent read-modify-write is a full barrier on the hardware */
        static int dma_barrier_word;

        __atomic_fetch_add(&dma_barrier_word, 0, __ATOMIC_SEQ_CST);
    }
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/**
 * dma_memory_valid() - Whether a transfer would be accepted everywhere:
 * address_space_access_valid() in the direction of @dir.
 * @as: the address space.
 * @addr: the first bus address.
 * @len: bytes.
 * @dir: the direction (FROM_DEVICE checks writes).
 * @attrs: the attributes.
 * Return: true when valid.
 */
static inline bool dma_memory_valid(AddressSpace *as, dma_addr_t addr,
                                    dma_addr_t len, DMADirection dir,
                                    MemTxAttrs attrs)
{
    return address_space_access_valid(as, addr, len,
                                      dir == DMA_DIRECTION_FROM_DEVICE, attrs);
}

/**
 * dma_memory_rw_relaxed() - address_space_rw() in the direction of @dir,
 * without a barrier.
 * @as: the address space.
 * @addr: the first bus address.
 * @buf: the device's buffer.
 * @len: bytes.
 * @dir: the direction.
 * @attrs: the attributes.
 * Return: the OR of the results.
 */
static inline MemTxResult
dma_memory_rw_relaxed(AddressSpace *as, dma_addr_t addr, void *buf,
                      dma_addr_t len, DMADirection dir, MemTxAttrs attrs)
{
    return address_space_rw(as, addr, attrs, buf, len,
                            dir == DMA_DIRECTION_FROM_DEVICE);
}

/**
 * dma_memory_read_relaxed() - Read guest memory without a barrier, with
 * unspecified attributes (as QEMU 7.2's takes none).
 * @as: the address space.
 * @addr: the first bus address.
 * @buf: destination.
 * @len: bytes.
 * Return: the OR of the results.
 */
static inline MemTxResult dma_memory_read_relaxed(AddressSpace *as,
                                                  dma_addr_t addr, void *buf,
                                                  dma_addr_t len)
{
    return dma_memory_rw_relaxed(as, addr, buf, len, DMA_DIRECTION_TO_DEVICE,
                                 MEMTXATTRS_UNSPECIFIED);
}

/**
 * dma_memory_write_relaxed() - Write guest memory without a barrier, with
 * unspecified attributes.
 * @as: the address space.
 * @addr: the first bus address.
 * @buf: source.
 * @len: bytes.
 * Return: the OR of the results.
 */
static inline MemTxResult dma_memory_write_relaxed(AddressSpace *as,
                                                   dma_addr_t addr,
                                                   const void *buf,
                                                   dma_addr_t len)
{
    return address_space_write(as, addr, MEMTXATTRS_UNSPECIFIED, buf, len);
}

/**
 * dma_memory_rw() - dma_barrier(), then address_space_rw() in the
 * direction of @dir.
 * @as: the address space.
 * @addr: the first bus address.
 * @buf: the device's buffer.
 * @len: bytes.
 * @dir: the direction.
 * @attrs: the attributes.
 * Return: the OR of the results (holes, device errors, IOMMU faults).
 */
static inline MemTxResult dma_memory_rw(AddressSpace *as, dma_addr_t addr,
                                        void *buf, dma_addr_t len,
                                        DMADirection dir, MemTxAttrs attrs)
{
    dma_barrier(as, dir);
    return dma_memory_rw_relaxed(as, addr, buf, len, dir, attrs);
}

/**
 * dma_memory_read() - dma_barrier(), then address_space_read().
 * @as: the address space.
 * @addr: the first bus address.
 * @buf: destination.
 * @len: bytes.
 * @attrs: the attributes.
 * Return: the OR of the results.
 */
static inline MemTxResult dma_memory_read(AddressSpace *as, dma_addr_t addr,
                                          void *buf, dma_addr_t len,
                                          MemTxAttrs attrs)
{
    return dma_memory_rw(as, addr, buf, len, DMA_DIRECTION_TO_DEVICE, attrs);
}

/**
 * dma_memory_write() - dma_barrier(), then address_space_write().
 * @as: the address space.
 * @addr: the first bus address.
 * @buf: source.
 * @len: bytes.
 * @attrs: the attributes.
 * Return: the OR of the results.
 */
static inline MemTxResult dma_memory_write(AddressSpace *as, dma_addr_t addr,
                                           const void *buf, dma_addr_t len,
                                           MemTxAttrs attrs)
{
    dma_barrier(as, DMA_DIRECTION_FROM_DEVICE);
    return address_space_write(as, addr, attrs, buf, len);
}

/**
 * dma_memory_set() - dma_barrier(), then address_space_set(): fill @len
 * bytes at @addr with @c.
 * @as: the address space.
 * @addr: the first bus address.
 * @c: the fill byte.
 * @len: bytes.
 * @attrs: the attributes.
 * Return: the OR of the results.
 */
MemTxResult dma_memory_set(AddressSpace *as, dma_addr_t addr, uint8_t c,
                           dma_addr_t len, MemTxAttrs attrs);

/**
 * dma_memory_map() - address_space_map() in the direction of @dir.
 * @as: the address space.
 * @addr: the first bus address.
 * @len: in: the wanted length; out: the length mapped (may be shorter; 0
 *       with a NULL result when bounce space is used up: see
 *       address_space_register_map_client()).
 * @dir: DMA_DIRECTION_FROM_DEVICE to write through the pointer,
 *       DMA_DIRECTION_TO_DEVICE to read (never both).
 * @attrs: the attributes.
 *
 * No barrier (QEMU: the caller orders its accesses).
 * Return: the host pointer, or NULL.
 */
static inline void *dma_memory_map(AddressSpace *as, dma_addr_t addr,
                                   dma_addr_t *len, DMADirection dir,
                                   MemTxAttrs attrs)
{
    hwaddr xlen = *len;
    void *p = address_space_map(as, addr, &xlen,
                                dir == DMA_DIRECTION_FROM_DEVICE, attrs);

    *len = xlen;
    return p;
}

/**
 * dma_memory_unmap() - address_space_unmap() of a dma_memory_map()
 * mapping: a FROM_DEVICE mapping marks the first @access_len bytes dirty
 * (or writes a bounce buffer back).
 * @as: the address space given to dma_memory_map().
 * @buffer: the pointer it returned.
 * @len: the length it returned.
 * @dir: the direction given to it.
 * @access_len: bytes actually transferred.
 */
static inline void dma_memory_unmap(AddressSpace *as, void *buffer,
                                    dma_addr_t len, DMADirection dir,
                                    dma_addr_t access_len)
{
    address_space_unmap(as, buffer, (hwaddr)len,
                        dir == DMA_DIRECTION_FROM_DEVICE, access_len);
}

/*
 * Typed DMA loads and stores (QEMU's DEFINE_LDST_DMA): dma_memory_read()
 * or dma_memory_write() of the value's bytes in the named byte order, so,
 * unlike address_space_ld* / st*, a value that spans sections or a
 * device's maximum access size is split like any buffer access. A load
 * stores into *@pval what was read (zeros where nothing answered) and
 * returns the result.
 */

/* The family's generators (static/typed-table.h): one function a row, of
 * the rows with a named byte order. */
#define ADDRSPACE_LD_DMA_(ld, st, type, size, order)                      \
    static inline MemTxResult ld##_dma(AddressSpace *as, dma_addr_t addr, \
                                       type *pval, MemTxAttrs attrs)      \
    {                                                                     \
        type v = 0;                                                       \
        MemTxResult r = dma_memory_read(as, addr, &v, size, attrs);       \
                                                                          \
        *pval = order != ADDRSPACE_HOST_ENDIAN                            \
                    ? (type)addrspace_bswap(v, size)                      \
                    : v;                                                  \
        return r;                                                         \
    }
#define ADDRSPACE_ST_DMA_(ld, st, type, size, order)                      \
    static inline MemTxResult st##_dma(AddressSpace *as, dma_addr_t addr, \
                                       type val, MemTxAttrs attrs)        \
    {                                                                     \
        type v = order != ADDRSPACE_HOST_ENDIAN                           \
                     ? (type)addrspace_bswap(val, size)                   \
                     : val;                                               \
                                                                          \
        return dma_memory_write(as, addr, &v, size, attrs);               \
    }

/** ldub_dma() - Load a byte. @as: address space. @addr: bus address.
 * @pval: the value. @attrs: attributes. Return: the result. */
ADDRSPACE_TYPED_UB_(ADDRSPACE_LD_DMA_)

/** stb_dma() - Store a byte. @as: address space. @addr: bus address.
 * @val: the value. @attrs: attributes. Return: the result. */
ADDRSPACE_TYPED_UB_(ADDRSPACE_ST_DMA_)

/** lduw_le_dma() - Load 16 bits, little endian. @as: address space.
 * @addr: bus address. @pval: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_UW_LE_(ADDRSPACE_LD_DMA_)

/** stw_le_dma() - Store 16 bits, little endian. @as: address space.
 * @addr: bus address. @val: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_UW_LE_(ADDRSPACE_ST_DMA_)

/** ldl_le_dma() - Load 32 bits, little endian. @as: address space.
 * @addr: bus address. @pval: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_L_LE_(ADDRSPACE_LD_DMA_)

/** stl_le_dma() - Store 32 bits, little endian. @as: address space.
 * @addr: bus address. @val: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_L_LE_(ADDRSPACE_ST_DMA_)

/** ldq_le_dma() - Load 64 bits, little endian. @as: address space.
 * @addr: bus address. @pval: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_Q_LE_(ADDRSPACE_LD_DMA_)

/** stq_le_dma() - Store 64 bits, little endian. @as: address space.
 * @addr: bus address. @val: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_Q_LE_(ADDRSPACE_ST_DMA_)

/** lduw_be_dma() - Load 16 bits, big endian. @as: address space.
 * @addr: bus address. @pval: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_UW_BE_(ADDRSPACE_LD_DMA_)

/** stw_be_dma() - Store 16 bits, big endian. @as: address space.
 * @addr: bus address. @val: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_UW_BE_(ADDRSPACE_ST_DMA_)

/** ldl_be_dma() - Load 32 bits, big endian. @as: address space.
 * @addr: bus address. @pval: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_L_BE_(ADDRSPACE_LD_DMA_)

/** stl_be_dma() - Store 32 bits, big endian. @as: address space.
 * @addr: bus address. @val: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_L_BE_(ADDRSPACE_ST_DMA_)

/** ldq_be_dma() - Load 64 bits, big endian. @as: address space.
 * @addr: bus address. @pval: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_Q_BE_(ADDRSPACE_LD_DMA_)

/** stq_be_dma() - Store 64 bits, big endian. @as: address space.
 * @addr: bus address. @val: the value. @attrs: attributes.
 * Return: the result. */
ADDRSPACE_TYPED_Q_BE_(ADDRSPACE_ST_DMA_)

/**
 * struct ScatterGatherEntry - one piece of a scatter-gather list.
 * @base: its first bus address.
 * @len: its length in bytes.
 */
typedef struct ScatterGatherEntry {
    dma_addr_t base;
    dma_addr_t len;
} ScatterGatherEntry;

/**
 * struct QEMUSGList - a scatter-gather list of bus address ranges in one
 * AddressSpace (QEMU's QEMUSGList), caller-allocated.
 * @sg: the entries (owned; grown by qemu_sglist_add()).
 * @nsg: entries in use.
 * @nalloc: entries allocated.
 * @size: the sum of the entries' lengths.
 * @owner: the device that owns the list (referenced), or NULL; QEMU keeps
 *         a DeviceState here.
 * @as: the address space the ranges are in.
 */
typedef struct QEMUSGList {
    ScatterGatherEntry *sg;
    int nsg;
    int nalloc;
    dma_addr_t size;
    MemoryOwner *owner;
    AddressSpace *as;
} QEMUSGList;

/**
 * qemu_sglist_init() - Start an empty list.
 * @qsg: storage.
 * @owner: the device using the list, referenced until
 *         qemu_sglist_destroy(), or NULL (QEMU: a DeviceState, always).
 * @alloc_hint: entries to allocate at once (0 or more).
 * @as: the address space of the ranges.
 */
void qemu_sglist_init(QEMUSGList *qsg, MemoryOwner *owner, int alloc_hint,
                      AddressSpace *as);

/**
 * qemu_sglist_add() - Append the range [@base, @base + @len).
 * @qsg: the list.
 * @base: first bus address.
 * @len: bytes.
 */
void qemu_sglist_add(QEMUSGList *qsg, dma_addr_t base, dma_addr_t len);

/**
 * qemu_sglist_destroy() - Free the entries, drop the owner's reference and
 * zero @qsg.
 * @qsg: the list.
 */
void qemu_sglist_destroy(QEMUSGList *qsg);

/**
 * dma_buf_read() - Copy the device buffer @ptr into guest memory along the
 * list (QEMU's name: the device "reads" its buffer out; the direction is
 * DMA_DIRECTION_FROM_DEVICE).
 * @ptr: the device's buffer.
 * @len: its length; at most the list's size is copied.
 * @residual: if not NULL, set to the list's size minus the bytes copied.
 * @sg: the list.
 * @attrs: the attributes.
 *
 * One dma_memory_rw() per entry, in order; a failing entry does not stop
 * the copy.
 * Return: the OR of the results.
 */
MemTxResult dma_buf_read(void *ptr, dma_addr_t len, dma_addr_t *residual,
                         QEMUSGList *sg, MemTxAttrs attrs);

/**
 * dma_buf_write() - Copy guest memory along the list into the device
 * buffer @ptr (DMA_DIRECTION_TO_DEVICE).
 * @ptr: the device's buffer.
 * @len: its length; at most the list's size is copied.
 * @residual: if not NULL, set to the list's size minus the bytes copied.
 * @sg: the list.
 * @attrs: the attributes.
 * Return: the OR of the results.
 */
MemTxResult dma_buf_write(void *ptr, dma_addr_t len, dma_addr_t *residual,
                          QEMUSGList *sg, MemTxAttrs attrs);

/**
 * dma_aligned_pow2_mask() - The mask of the largest power-of-two block
 * that starts at @start, is aligned to its size, does not pass @end and
 * has at most @max_addr_bits address bits (QEMU's helper for IOMMU
 * invalidations).
 * @start: first address.
 * @end: last address (inclusive), not below @start.
 * @max_addr_bits: 1 to 64.
 * Return: the block size minus one.
 */
uint64_t dma_aligned_pow2_mask(uint64_t start, uint64_t end, int max_addr_bits);

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_DMA_H */
