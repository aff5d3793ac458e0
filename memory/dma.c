/* SPDX-License-Identifier: MIT */
/*
 * The out-of-line part of QEMU's DMA helpers (softmmu/dma-helpers.c of
 * QEMU 7.2): dma_memory_set(), scatter-gather lists and the copies along
 * them, dma_aligned_pow2_mask(). The inline helpers are in dma.h.
 */
#include <string.h>

#include <addrspace/dma.h>

ADDRSPACE_EXPORT MemTxResult dma_memory_set(AddressSpace *as, dma_addr_t addr,
                                            uint8_t c, dma_addr_t len,
                                            MemTxAttrs attrs)
{
    dma_barrier(as, DMA_DIRECTION_FROM_DEVICE);
    return address_space_set(as, addr, c, len, attrs);
}

ADDRSPACE_EXPORT void qemu_sglist_init(QEMUSGList *qsg, MemoryOwner *owner,
                                       int alloc_hint, AddressSpace *as)
{
    int n = MAX(alloc_hint, 0);

    *qsg = (QEMUSGList){
        .sg = g_new(ScatterGatherEntry, n),
        .nalloc = n,
        .owner = owner,
        .as = as,
    };
    if (owner) {
        memory_owner_ref(owner);
    }
}

ADDRSPACE_EXPORT void qemu_sglist_add(QEMUSGList *qsg, dma_addr_t base,
                                      dma_addr_t len)
{
    if (qsg->nsg == qsg->nalloc) {
        /* QEMU's growth: 2n + 1 */
        qsg->nalloc = 2 * qsg->nalloc + 1;
        qsg->sg = g_renew(ScatterGatherEntry, qsg->sg, qsg->nalloc);
    }
    qsg->sg[qsg->nsg++] = (ScatterGatherEntry){.base = base, .len = len};
    qsg->size += len;
}

ADDRSPACE_EXPORT void qemu_sglist_destroy(QEMUSGList *qsg)
{
    if (qsg->owner) {
        memory_owner_unref(qsg->owner);
    }
    g_free(qsg->sg);
    memset(qsg, 0, sizeof(*qsg));
}

/* QEMU's dma_buf_rw(): one dma_memory_rw() per entry until @len is done. */
static MemTxResult buf_rw(uint8_t *ptr, dma_addr_t len, dma_addr_t *residual,
                          QEMUSGList *sg, DMADirection dir, MemTxAttrs attrs)
{
    dma_addr_t left = sg->size;
    MemTxResult res = MEMTX_OK;

    len = MIN(len, left);
    for (int i = 0; len > 0 && i < sg->nsg; i++) {
        dma_addr_t n = MIN(len, sg->sg[i].len);

        res |= dma_memory_rw(sg->as, sg->sg[i].base, ptr, n, dir, attrs);
        ptr += n;
        len -= n;
        left -= n;
    }
    if (residual) {
        *residual = left;
    }
    return res;
}

ADDRSPACE_EXPORT MemTxResult dma_buf_read(void *ptr, dma_addr_t len,
                                          dma_addr_t *residual, QEMUSGList *sg,
                                          MemTxAttrs attrs)
{
    return buf_rw(ptr, len, residual, sg, DMA_DIRECTION_FROM_DEVICE, attrs);
}

ADDRSPACE_EXPORT MemTxResult dma_buf_write(void *ptr, dma_addr_t len,
                                           dma_addr_t *residual, QEMUSGList *sg,
                                           MemTxAttrs attrs)
{
    return buf_rw(ptr, len, residual, sg, DMA_DIRECTION_TO_DEVICE, attrs);
}

ADDRSPACE_EXPORT uint64_t dma_aligned_pow2_mask(uint64_t start, uint64_t end,
                                                int max_addr_bits)
{
    uint64_t limit = max_addr_bits >= 64  ? UINT64_MAX
                     : max_addr_bits <= 0 ? 0
                                          : (UINT64_C(1) << max_addr_bits) - 1;
    uint64_t span = end - start; /* the range's size minus one */
    /* the alignment of @start (0 is aligned to everything), bounded */
    uint64_t align = MIN(start ? (start & -start) - 1 : limit, limit);

    if (align <= MIN(span, limit)) {
        return align;
    }
    if (span == UINT64_MAX) {
        return UINT64_MAX;
    }
    /* the largest power of two not above the range's size */
    return (UINT64_C(1) << (63 - __builtin_clzll(span + 1))) - 1;
}
