/* SPDX-License-Identifier: MIT */
/*
 * The region tree as render reads it: the one header of memory/ that
 * flatview/ sources include (the other direction is flatview/view.h). Render
 * reads regions' fields (include/addrspace/memory.h), the RAM blocks behind
 * them and, for containers with many subregions, their address-ordered
 * index; it changes nothing here.
 */
#ifndef ADDRSPACE_MEMORY_TREE_H
#define ADDRSPACE_MEMORY_TREE_H

#include <addrspace/memory.h>
#include <addrspace/ram-discard.h>

/** 2^64 as a 128-bit size. */
#define SIZE_2_64 (((addrspace_u128)1) << 64)

__extension__ typedef __int128 addrspace_s128;

/** A RAM block: the host memory behind RAM, ROM and ROM devices. */
struct RAMBlock {
    uint8_t *host;
    /*
     * Bytes the block holds, fixed for its life: the region's size, or
     * for resizeable RAM its host-page-aligned maximum (QEMU's
     * max_length). Dirty bitmaps cover it all.
     */
    uint64_t size;
    uint64_t mapped_size; /* what munmap() releases; 0 if not ours */
    int fd;               /* -1 without file */
    uint64_t fd_offset;
    /*
     * QEMU's used_length: the host-page-aligned part in use, <= @size.
     * Written only by memory_region_ram_resize() under the update lock,
     * read with atomic loads elsewhere.
     */
    uint64_t used_length;
    bool resizeable;
    /* QEMU's RAMBlock.resized callback (memory_region_ram_resize()) */
    void (*resized)(const char *name, uint64_t length, void *host);
    /* discard.c: the region's RamDiscardManager; update lock */
    RamDiscardManager *rdm;
    /* snapshot.c: the blocks of every live snapshot of this block, linked
     * through their own field (no allocation), under the update lock */
    struct RamSnapshotBlock *snapshots;
    /*
     * Dirty page bitmaps, one per DIRTY_MEMORY_* client, one bit per
     * DIRTY_MEMORY_PAGE_SIZE page (dirty.c). NULL until the client is first
     * enabled on the block; allocated under the update lock and published
     * with a release store, read with acquire loads; freed only with the
     * block. Bits are changed only by atomic read-modify-writes.
     */
    uint64_t *dirty[DIRTY_MEMORY_NUM];
};

/*
 * Append to @out the subregions of container @mr whose range, [addr, addr +
 * size) in @mr's addresses, meets [@lo, @hi), in render order (priority
 * descending, later added first); return how many. Uses the container's
 * address-ordered index (child-index.c): O(log n + k) for k results.
 * Caller holds the update lock.
 */
size_t memory_region_children_in_locked(MemoryRegion *mr, addrspace_u128 lo,
                                        addrspace_u128 hi, GPtrArray *out);

/* A range [first, last] of view addresses that access hooks observe. */
typedef struct MemoryHookRange {
    hwaddr first, last;
    bool reads, writes;
} MemoryHookRange;

/*
 * Append to @out (MemoryHookRange) the ranges of the access hooks of the
 * AddressSpaces whose view is rendered from @root (memory/hooks.c); none,
 * at the cost of one load, when no AddressSpace has hooks. Caller holds
 * the update lock.
 */
void memory_hook_ranges_locked(const MemoryRegion *root, GArray *out);

#endif /* ADDRSPACE_MEMORY_TREE_H */
