/* SPDX-License-Identifier: MIT */
/**
 * @file address-space.h
 * @brief AddressSpaces: the view of a region tree that accesses go through.
 *
 * An AddressSpace has a root region and serves accesses through the
 * FlatView rendered from it. All AddressSpaces with the same effective root
 * share one FlatView. The target byte order (used by DEVICE_NATIVE_ENDIAN
 * devices and the un-suffixed typed accesses) is a runtime property,
 * little endian by default.
 */
#ifndef ADDRSPACE_ADDRESS_SPACE_H
#define ADDRSPACE_ADDRESS_SPACE_H

#include <addrspace/flatview.h>

typedef struct AddressSpaceGroup AddressSpaceGroup;

/**
 * struct AddressSpace - caller-allocated address space; fields private.
 */
struct AddressSpace {
    /** @priv: private state. */
    struct {
        uint32_t magic;
        bool big_endian;
        char *name;
        MemoryRegion *root;
        AddressSpaceGroup *group;
        AddressSpace *group_next;
        AddressSpace *group_prev;
        uint64_t seq;
        GList *listeners;
        void *bounce;
    } priv;
};

/**
 * address_space_init() - Initialise an AddressSpace over @root.
 * @as: zero-filled storage, caller-owned.
 * @root: the root region (takes a reference on its owner).
 * @name: name (copied), printed by mtree_info().
 * @errp: error return.
 *
 * The view is available at once (rendered now, or shared with another
 * AddressSpace of the same effective root). Takes the update lock.
 * Return: true on success.
 */
bool address_space_init(AddressSpace *as, MemoryRegion *root, const char *name,
                        GError **errp);

/**
 * address_space_destroy() - Tear down an AddressSpace.
 * @as: an initialised address space.
 *
 * Its view reference is dropped after a grace period. The caller must not
 * run accesses on @as concurrently with or after this call; the storage
 * may be reused once this returns. Takes the update lock.
 */
void address_space_destroy(AddressSpace *as);

/**
 * address_space_name() - The name given at init.
 * @as: the address space.
 * Return: the name (owned by @as).
 */
const char *address_space_name(const AddressSpace *as);

/**
 * address_space_root() - The root given at init.
 * @as: the address space.
 * Return: the root region.
 */
MemoryRegion *address_space_root(const AddressSpace *as);

/**
 * address_space_set_big_endian() - Set the target byte order.
 * @as: the address space.
 * @big_endian: true for a big-endian target.
 *
 * Context: set it before accesses start; concurrent accessors may see
 * either value.
 */
void address_space_set_big_endian(AddressSpace *as, bool big_endian);

/**
 * address_space_is_big_endian() - The target byte order.
 * @as: the address space.
 * Return: true for a big-endian target.
 */
bool address_space_is_big_endian(const AddressSpace *as);

#endif /* ADDRSPACE_ADDRESS_SPACE_H */
