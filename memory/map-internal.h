/* SPDX-License-Identifier: MIT */
/*
 * Internal interface shared by memory/map.c and memory/cache.c: finding
 * the directly accessible run of memory that starts at an address.
 * Not installed.
 */
#ifndef ADDRSPACE_MAP_INTERNAL_H
#define ADDRSPACE_MAP_INTERNAL_H

#include "memory-internal.h"

/*
 * The run of @fv that starts at @addr, is directly accessible with every
 * FLAT_SECTION_* bit in @need (FLAT_SECTION_DIRECT_READ for reads,
 * FLAT_SECTION_HOST for writes), and stays in one region with contiguous
 * offsets (QEMU's flatview_extend_translation()), clamped to @len (>= 1).
 * On success sets *@pmr to the region, *@pxlat to the offset of @addr in
 * it and *@phost to the host address of @addr. Context: inside a read-side
 * section; the results are valid until it ends unless the caller takes
 * memory_region_ref(). Return: the run's length, or 0 when @addr is not
 * directly accessible.
 */
hwaddr address_space_direct_run_rcu(FlatView *fv, hwaddr addr, hwaddr len,
                                    uint32_t need, MemoryRegion **pmr,
                                    hwaddr *pxlat, uint8_t **phost);

#endif /* ADDRSPACE_MAP_INTERNAL_H */
