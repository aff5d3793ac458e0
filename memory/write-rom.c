/* SPDX-License-Identifier: MIT */
/*
 * Two writers QEMU device and board code uses besides address_space_write():
 * address_space_write_rom(), the loaders' write into RAM and ROM that skips
 * MMIO, and address_space_set(), a fill built on address_space_write()
 * (QEMU 7.2's softmmu/physmem.c).
 */
#include <string.h>

#include "memory-internal.h"

/* QEMU's address_space_set() writes its fill in buffers of this size. */
#define FILL_CHUNK 512

/* Bytes from @addr to the top of the space, saturated (0 means 2^64). */
static uint64_t bytes_to_top(hwaddr addr)
{
    return addr == 0 ? UINT64_MAX : (uint64_t)(0 - addr);
}

ADDRSPACE_EXPORT MemTxResult address_space_write_rom(AddressSpace *as,
                                                     hwaddr addr,
                                                     MemTxAttrs attrs,
                                                     const void *buf,
                                                     hwaddr len)
{
    const uint8_t *src = buf;

    rcu_read_lock();
    while (len > 0) {
        uint64_t room = bytes_to_top(addr);
        hwaddr xlat, l = MIN(len, room);
        /* QEMU translates as a write: an IOMMU may refuse or redirect it */
        MemoryRegion *mr =
            address_space_translate(as, addr, &xlat, &l, true, attrs);

        if (memory_region_is_ram(mr) || memory_region_is_romd(mr)) {
            uint8_t *host = mr->priv.ram_block->host + xlat;

            /* RAM: translate clamped @l to the section. romd: QEMU copies
             * the whole rest; we stop at the end of the device's memory */
            l = MIN(l, mr->priv.ram_block->size - xlat);
            memcpy(host, src, l);
            /* QEMU's invalidate_and_set_dirty(): the region's clients now */
            memory_region_mark_written(mr, xlat, l);
        } else {
            /* MMIO, reservations, holes: skipped in buffer-access chunks */
            l = memory_access_size(mr, (unsigned)MIN(l, 8), xlat);
        }
        if (l == 0) {
            break; /* defensive: no step may spin */
        }
        len -= l;
        src += l;
        addr += l; /* past 2^64 it wraps to 0, as in QEMU 7.2 */
    }
    rcu_read_unlock();
    return MEMTX_OK;
}

ADDRSPACE_EXPORT MemTxResult address_space_set(AddressSpace *as, hwaddr addr,
                                               uint8_t c, hwaddr len,
                                               MemTxAttrs attrs)
{
    uint8_t fill[FILL_CHUNK];
    MemTxResult res = MEMTX_OK;

    memset(fill, c, sizeof(fill));
    while (len > 0) {
        hwaddr l = MIN(len, (hwaddr)FILL_CHUNK);

        res |= address_space_write(as, addr, attrs, fill, l);
        len -= l;
        addr += l; /* wraps past 2^64, as address_space_write() does */
    }
    return res;
}
