/* SPDX-License-Identifier: MIT */
/* MemoryRegion initialisation, finalisation and accessors. */
#include <string.h>

#include "memory-internal.h"

#include <addrspace/static/host-inline.h>

/*
 * The checks every memory_region_init*() makes before changing anything.
 * Size 0 is accepted, as QEMU accepts it (q35's "tseg-blackhole"); a
 * RAM-backed kind refuses it (region_check_ram_init()).
 */
static bool region_check_init(MemoryRegion *mr, GError **errp)
{
    if (!mr) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region storage is NULL");
        return false;
    }
    if (mr->priv.magic == MR_MAGIC) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY,
                            "region \"%s\" is already initialised",
                            memory_region_name(mr));
        return false;
    }
    return true;
}

/* RAM-backed regions need a RAM block: at least one byte. */
static bool region_check_ram_init(MemoryRegion *mr, const char *name,
                                  uint64_t size, GError **errp)
{
    if (!region_check_init(mr, errp)) {
        return false;
    }
    if (size == 0) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "RAM-backed region \"%s\" has size 0",
                            name ? name : "");
        return false;
    }
    return true;
}

/* Field set-up shared by every kind; region_check_init() passed. */
static void region_init_common(MemoryRegion *mr, MemoryOwner *owner,
                               const char *name, uint64_t size,
                               MemoryRegionKind kind)
{
    memset(mr, 0, sizeof(*mr));
    mr->priv.kind = kind;
    mr->priv.enabled = true;
    /* QEMU 7.2 has no re-entrancy guard: opt in with
     * memory_region_enable_reentrancy_guard() */
    mr->priv.reentrancy_guard_disabled = true;
    mr_set_size_locked(mr, mr_size_from_u64(size));
    /* NULL stays NULL: QEMU's `info mtree -o` tells it from "" */
    mr->priv.name = g_strdup(name);
    mr->priv.owner = owner;
}

static void region_publish_init(MemoryRegion *mr)
{
    /* The magic is written last: a half-initialised region is invalid. */
    mr->priv.magic = MR_MAGIC;
}

ADDRSPACE_EXPORT bool memory_region_init(MemoryRegion *mr, MemoryOwner *owner,
                                         const char *name, uint64_t size,
                                         GError **errp)
{
    if (!region_check_init(mr, errp)) {
        return false;
    }
    region_init_common(mr, owner, name, size, MR_KIND_CONTAINER);
    region_publish_init(mr);
    return true;
}

static bool init_ram_kind(MemoryRegion *mr, MemoryOwner *owner,
                          const char *name, uint64_t size,
                          MemoryRegionKind kind, RAMBlock *rb)
{
    region_init_common(mr, owner, name, size, kind);
    mr->priv.ram_block = rb;
    mr->priv.terminates = true;
    mr->priv.readonly = kind == MR_KIND_ROM;
    mr->priv.romd_mode = kind == MR_KIND_ROM_DEVICE;
    region_publish_init(mr);
    return true;
}

ADDRSPACE_EXPORT bool memory_region_init_ram(MemoryRegion *mr,
                                             MemoryOwner *owner,
                                             const char *name, uint64_t size,
                                             GError **errp)
{
    RAMBlock *rb;

    if (!region_check_ram_init(mr, name, size, errp) ||
        !(rb = ram_block_new_anon(size, errp))) {
        return false;
    }
    return init_ram_kind(mr, owner, name, size, MR_KIND_RAM, rb);
}

/* The checks of a region over the caller's memory, before any change. */
static bool check_ram_ptr(MemoryRegion *mr, const char *name, uint64_t size,
                          void *ptr, GError **errp)
{
    if (!region_check_ram_init(mr, name, size, errp)) {
        return false;
    }
    if (size > (uint64_t)SIZE_MAX / 2) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERFLOW,
                            "RAM size 0x%" PRIx64 " does not fit the host",
                            size);
        return false;
    }
    if (!ptr) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "RAM region \"%s\": host pointer is NULL",
                            name ? name : "");
        return false;
    }
    return true;
}

ADDRSPACE_EXPORT bool memory_region_init_resizeable_ram(
    MemoryRegion *mr, MemoryOwner *owner, const char *name, uint64_t size,
    uint64_t max_size,
    void (*resized)(const char *name, uint64_t length, void *host),
    GError **errp)
{
    RAMBlock *rb;

    if (!region_check_ram_init(mr, name, size, errp)) {
        return false;
    }
    if (max_size < size) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "resizeable RAM \"%s\": size 0x%" PRIx64
                            " is above the maximum 0x%" PRIx64,
                            name ? name : "", size, max_size);
        return false;
    }
    if (!(rb = ram_block_new_resizeable(size, max_size, errp))) {
        return false;
    }
    rb->resized = resized;
    return init_ram_kind(mr, owner, name, size, MR_KIND_RAM, rb);
}

ADDRSPACE_EXPORT bool memory_region_init_ram_ptr(MemoryRegion *mr,
                                                 MemoryOwner *owner,
                                                 const char *name,
                                                 uint64_t size, void *ptr,
                                                 GError **errp)
{
    if (!check_ram_ptr(mr, name, size, ptr, errp)) {
        return false;
    }
    return init_ram_kind(mr, owner, name, size, MR_KIND_RAM,
                         ram_block_new_ptr(size, ptr));
}

/*
 * Set @mr's ops and the facts derived from them, computed once here (their
 * only writer) so that render copies them into sections without asking the
 * dispatcher.
 */
static void region_set_ops(MemoryRegion *mr, const MemoryRegionOps *ops,
                           void *opaque)
{
    mr->priv.ops = ops;
    mr->priv.opaque = opaque;
    mr->priv.fast_sizes = (uint8_t)memory_region_ops_fast_sizes(ops);
    mr->priv.piece_size = (uint8_t)memory_region_ops_piece_size(ops);
}

ADDRSPACE_EXPORT bool
memory_region_init_ram_device_ptr(MemoryRegion *mr, MemoryOwner *owner,
                                  const char *name, uint64_t size, void *ptr,
                                  GError **errp)
{
    if (!check_ram_ptr(mr, name, size, ptr, errp)) {
        return false;
    }
    /* QEMU: RAM with ram_device_mem_ops; MMIO to everything but the
     * RAM queries and the loader write */
    region_init_common(mr, owner, name, size, MR_KIND_IO);
    mr->priv.ram_block = ram_block_new_ptr(size, ptr);
    mr->priv.ram_device = true;
    /* QEMU's ram_device ops access the host memory at any offset they get,
     * past the block too (outside its allocation: not reproducible): the
     * mmio-bounds checks are always on for a RAM device */
    mr->priv.bounds_check = true;
    region_set_ops(mr, &ram_device_mem_ops, mr);
    mr->priv.terminates = true;
    region_publish_init(mr);
    return true;
}

ADDRSPACE_EXPORT bool
memory_region_init_ram_from_fd(MemoryRegion *mr, MemoryOwner *owner,
                               const char *name, uint64_t size, bool share,
                               int fd, uint64_t offset, GError **errp)
{
    RAMBlock *rb;

    if (!region_check_ram_init(mr, name, size, errp) ||
        !(rb = ram_block_new_fd(size, share, fd, offset, errp))) {
        return false;
    }
    return init_ram_kind(mr, owner, name, size, MR_KIND_RAM, rb);
}

ADDRSPACE_EXPORT bool memory_region_init_ram_memfd(MemoryRegion *mr,
                                                   MemoryOwner *owner,
                                                   const char *name,
                                                   uint64_t size, GError **errp)
{
    RAMBlock *rb;

    if (!region_check_ram_init(mr, name, size, errp) ||
        !(rb = ram_block_new_memfd(name, size, errp))) {
        return false;
    }
    return init_ram_kind(mr, owner, name, size, MR_KIND_RAM, rb);
}

ADDRSPACE_EXPORT bool memory_region_init_rom(MemoryRegion *mr,
                                             MemoryOwner *owner,
                                             const char *name, uint64_t size,
                                             GError **errp)
{
    RAMBlock *rb;

    if (!region_check_ram_init(mr, name, size, errp) ||
        !(rb = ram_block_new_anon(size, errp))) {
        return false;
    }
    return init_ram_kind(mr, owner, name, size, MR_KIND_ROM, rb);
}

static bool check_ops(const MemoryRegionOps *ops, const char *name,
                      GError **errp)
{
    if (!ops) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "MMIO region \"%s\": ops is NULL",
                            name ? name : "");
        return false;
    }
    return true;
}

ADDRSPACE_EXPORT bool
memory_region_init_rom_device(MemoryRegion *mr, MemoryOwner *owner,
                              const MemoryRegionOps *ops, void *opaque,
                              const char *name, uint64_t size, GError **errp)
{
    RAMBlock *rb;

    if (!region_check_ram_init(mr, name, size, errp) ||
        !check_ops(ops, name, errp) || !(rb = ram_block_new_anon(size, errp))) {
        return false;
    }
    init_ram_kind(mr, owner, name, size, MR_KIND_ROM_DEVICE, rb);
    region_set_ops(mr, ops, opaque);
    return true;
}

ADDRSPACE_EXPORT bool memory_region_init_io(MemoryRegion *mr,
                                            MemoryOwner *owner,
                                            const MemoryRegionOps *ops,
                                            void *opaque, const char *name,
                                            uint64_t size, GError **errp)
{
    /* NULL ops: QEMU 7.2's unassigned_mem_ops, which dispatch applies */
    if (!region_check_init(mr, errp)) {
        return false;
    }
    region_init_common(mr, owner, name, size, MR_KIND_IO);
    region_set_ops(mr, ops, opaque);
    mr->priv.terminates = true;
    region_publish_init(mr);
    return true;
}

ADDRSPACE_EXPORT bool
memory_region_init_reservation(MemoryRegion *mr, MemoryOwner *owner,
                               const char *name, uint64_t size, GError **errp)
{
    if (!region_check_init(mr, errp)) {
        return false;
    }
    region_init_common(mr, owner, name, size, MR_KIND_RESERVATION);
    mr->priv.terminates = true;
    region_publish_init(mr);
    return true;
}

static uint64_t reach_epoch;

static bool region_reaches(MemoryRegion *from, MemoryRegion *to)
{
    if (from == to) {
        return true;
    }
    if (from->priv.visit == reach_epoch) {
        return false; /* already explored in this query */
    }
    from->priv.visit = reach_epoch;
    if (from->priv.alias && region_reaches(from->priv.alias, to)) {
        return true;
    }
    for (MemoryRegion *c = from->priv.sub_first; c; c = c->priv.sub_next) {
        if (region_reaches(c, to)) {
            return true;
        }
    }
    return false;
}

bool memory_region_reaches_locked(MemoryRegion *from, MemoryRegion *to)
{
    reach_epoch++;
    return region_reaches(from, to);
}

/*
 * Whether alias @mr holds a reference on its target's owner: not when both
 * have the same owner (a device aliasing its own region must not pin
 * itself; its release callback would never run).
 */
static bool alias_holds_ref(const MemoryRegion *mr, const MemoryRegion *orig)
{
    return orig->priv.owner && orig->priv.owner != mr->priv.owner;
}

ADDRSPACE_EXPORT bool
memory_region_init_alias(MemoryRegion *mr, MemoryOwner *owner, const char *name,
                         MemoryRegion *orig, hwaddr offset, uint64_t size,
                         GError **errp)
{
    if (!region_check_init(mr, errp)) {
        return false;
    }
    if (!mr_is_initialised(orig)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "alias \"%s\": target is not an initialised region",
                            name ? name : "");
        return false;
    }
    if ((addrspace_u128)offset + mr_size_from_u64(size) > SIZE_2_64) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERFLOW,
                            "alias \"%s\": window 0x%" PRIx64 "+0x%" PRIx64
                            " passes 2^64",
                            name ? name : "", offset, size);
        return false;
    }
    /*
     * A fresh region has no subregions and nobody aliases it yet, so an
     * alias created now cannot close a cycle; cycles can only appear when
     * the alias is later given subregions (rejected in subregion.c).
     */
    region_init_common(mr, owner, name, size, MR_KIND_ALIAS);
    memory_update_lock();
    mr->priv.alias = orig;
    mr->priv.alias_offset = offset;
    orig->priv.alias_users = g_slist_prepend(orig->priv.alias_users, mr);
    memory_update_unlock();
    if (alias_holds_ref(mr, orig)) {
        memory_region_ref(orig);
    }
    region_publish_init(mr);
    return true;
}

ADDRSPACE_EXPORT void memory_region_finalize(MemoryRegion *mr)
{
    if (!mr_is_initialised(mr)) {
        return;
    }
    memory_region_transaction_begin();
    if (mr->priv.container) {
        memory_region_del_subregion(mr->priv.container, mr, NULL);
    }
    while (mr->priv.sub_first) {
        memory_region_del_subregion(mr, mr->priv.sub_first, NULL);
    }
    /* aliases still pointing here keep a dangling target: refuse to leak */
    for (GSList *l = mr->priv.alias_users; l; l = l->next) {
        MemoryRegion *user = l->data;

        memory_region_changed_locked(user);
        if (alias_holds_ref(user, mr)) {
            memory_region_unref(mr); /* the reference the alias took */
        }
        user->priv.alias = NULL;
    }
    g_slist_free(mr->priv.alias_users);
    if (mr->priv.alias) {
        MemoryRegion *orig = mr->priv.alias;

        orig->priv.alias_users = g_slist_remove(orig->priv.alias_users, mr);
        if (alias_holds_ref(mr, orig)) {
            memory_region_unref(orig);
        }
    }
    memory_region_forget_locked(mr);
    memory_region_transaction_commit();
    memory_region_iommu_free(mr);
    ram_block_free(mr->priv.ram_block);
    g_free(mr->priv.name);
    memset(mr, 0, sizeof(*mr));
}

/* Accessors. */

ADDRSPACE_EXPORT uint64_t memory_region_size(const MemoryRegion *mr)
{
    /* not the 128-bit size: memory_region_set_size() may change it under
     * the update lock meanwhile, and its two halves could be read torn */
    uint64_t last;

    /* acquire: pairs with mr_set_size_locked()'s release of size_zero */
    if (!mr_is_initialised(mr) ||
        __atomic_load_n(&mr->priv.size_zero, __ATOMIC_ACQUIRE)) {
        return 0;
    }
    last = mr_size_last_relaxed(mr);
    return last == UINT64_MAX ? UINT64_MAX : last + 1; /* 2^64: UINT64_MAX */
}

ADDRSPACE_EXPORT const char *memory_region_name(const MemoryRegion *mr)
{
    return mr->priv.name ? mr->priv.name : "";
}

ADDRSPACE_EXPORT MemoryRegionKind memory_region_kind(const MemoryRegion *mr)
{
    return mr_is_initialised(mr) ? mr->priv.kind : MR_KIND_NONE;
}

ADDRSPACE_EXPORT MemoryOwner *memory_region_owner(const MemoryRegion *mr)
{
    return mr->priv.owner;
}

ADDRSPACE_EXPORT bool memory_region_is_ram(const MemoryRegion *mr)
{
    /* QEMU's mr->ram: a ROM device has RAM but is not RAM */
    return mr->priv.ram_block && mr->priv.kind != MR_KIND_ROM_DEVICE;
}

ADDRSPACE_EXPORT bool memory_region_is_ram_device(const MemoryRegion *mr)
{
    return mr->priv.ram_device;
}

ADDRSPACE_EXPORT bool memory_region_is_rom(const MemoryRegion *mr)
{
    return mr->priv.ram_block && mr->priv.kind != MR_KIND_ROM_DEVICE &&
           mr->priv.readonly;
}

ADDRSPACE_EXPORT bool memory_region_is_romd(const MemoryRegion *mr)
{
    return mr->priv.kind == MR_KIND_ROM_DEVICE && mr->priv.romd_mode;
}

ADDRSPACE_EXPORT bool memory_region_is_enabled(const MemoryRegion *mr)
{
    return mr->priv.enabled;
}

ADDRSPACE_EXPORT bool memory_region_is_readonly(const MemoryRegion *mr)
{
    return mr->priv.readonly;
}

ADDRSPACE_EXPORT bool memory_region_is_nonvolatile(const MemoryRegion *mr)
{
    return mr->priv.nonvolatile;
}

/* QEMU's mapped_via_alias: @mr is the target of a mapped alias chain. */
static bool mapped_via_alias_locked(const MemoryRegion *mr)
{
    for (GSList *l = mr->priv.alias_users; l; l = l->next) {
        const MemoryRegion *user = l->data;

        if (user->priv.container || mapped_via_alias_locked(user)) {
            return true;
        }
    }
    return false;
}

ADDRSPACE_EXPORT bool memory_region_is_mapped(const MemoryRegion *mr)
{
    bool mapped;

    if (!mr_is_initialised(mr)) {
        return false;
    }
    memory_update_lock();
    mapped = mr->priv.container || mapped_via_alias_locked(mr);
    memory_update_unlock();
    return mapped;
}

ADDRSPACE_EXPORT void *memory_region_get_ram_ptr(MemoryRegion *mr)
{
    hwaddr offset = 0;

    while (mr && mr->priv.alias) {
        offset += mr->priv.alias_offset;
        mr = mr->priv.alias;
    }
    if (!mr || !mr->priv.ram_block) {
        return NULL;
    }
    return mr->priv.ram_block->host + offset;
}

ADDRSPACE_EXPORT int memory_region_get_fd(const MemoryRegion *mr)
{
    return mr->priv.ram_block ? mr->priv.ram_block->fd : -1;
}

ADDRSPACE_EXPORT uint64_t memory_region_get_fd_offset(const MemoryRegion *mr)
{
    return mr->priv.ram_block ? mr->priv.ram_block->fd_offset : 0;
}

ADDRSPACE_EXPORT hwaddr memory_region_get_address(const MemoryRegion *mr)
{
    return mr->priv.addr;
}

ADDRSPACE_EXPORT int memory_region_get_priority(const MemoryRegion *mr)
{
    return mr->priv.priority;
}

ADDRSPACE_EXPORT MemoryRegion *
memory_region_get_container(const MemoryRegion *mr)
{
    return mr->priv.container;
}

ADDRSPACE_EXPORT MemoryRegion *memory_region_get_alias(const MemoryRegion *mr)
{
    return mr->priv.alias;
}

ADDRSPACE_EXPORT hwaddr memory_region_get_alias_offset(const MemoryRegion *mr)
{
    return mr->priv.alias ? mr->priv.alias_offset : 0;
}
