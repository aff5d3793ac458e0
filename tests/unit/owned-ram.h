/* SPDX-License-Identifier: MIT */
/*
 * A RAM "device" with a MemoryOwner whose release callback finalizes the
 * region and frees the device, for tests of what keeps memory alive after
 * a topology change (test-map.c, test-cache.c).
 */
#ifndef ADDRSPACE_TESTS_OWNED_RAM_H
#define ADDRSPACE_TESTS_OWNED_RAM_H

#include <glib.h>

#include <addrspace/addrspace.h>

typedef struct OwnedRam {
    MemoryOwner owner; /* first: the release callback casts back */
    MemoryRegion ram;
    int *released; /* set to 1 by the release callback */
} OwnedRam;

static inline void owned_ram_release(MemoryOwner *owner)
{
    OwnedRam *d = (OwnedRam *)(void *)owner;

    memory_region_finalize(&d->ram);
    __atomic_store_n(d->released, 1, __ATOMIC_RELEASE);
    g_free(d);
}

/*
 * A new OwnedRam of @size bytes mapped at @addr in @parent; the caller
 * holds the owner's initial reference and drops it with
 * memory_owner_unref(). *@released is set once the owner is released.
 */
static inline OwnedRam *owned_ram_new(MemoryRegion *parent, hwaddr addr,
                                      uint64_t size, int *released)
{
    OwnedRam *d = g_new0(OwnedRam, 1);

    d->released = released;
    memory_owner_init(&d->owner, "owned", owned_ram_release);
    g_assert_true(
        memory_region_init_ram(&d->ram, &d->owner, "owned-ram", size, NULL));
    g_assert_true(memory_region_add_subregion(parent, addr, &d->ram, NULL));
    return d;
}

static inline bool owned_ram_released(int *released)
{
    return __atomic_load_n(released, __ATOMIC_ACQUIRE) == 1;
}

#endif /* ADDRSPACE_TESTS_OWNED_RAM_H */
