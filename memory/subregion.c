/* SPDX-License-Identifier: MIT */
/* Tree mutations: subregions, enable, move, resize, attributes. */
#include "memory-internal.h"

/* Whether a tree link from @parent to @sub needs a reference on @sub's
 * owner: not when both share an owner (a device's own sub-tree must not
 * pin the device). */
static bool link_holds_ref(MemoryRegion *parent, MemoryRegion *sub)
{
    return sub->priv.owner && sub->priv.owner != parent->priv.owner;
}

/* Insert @sub into @mr's list in render order: priority descending, and
 * ahead of existing equal priorities (QEMU: the later-added wins). */
static void link_subregion(MemoryRegion *mr, MemoryRegion *sub)
{
    static uint64_t add_seq;
    MemoryRegion *c = mr->priv.sub_first;

    while (c && sub->priv.priority < c->priv.priority) {
        c = c->priv.sub_next;
    }
    sub->priv.sub_next = c;
    sub->priv.sub_prev = c ? c->priv.sub_prev : mr->priv.sub_last;
    if (sub->priv.sub_prev) {
        sub->priv.sub_prev->priv.sub_next = sub;
    } else {
        mr->priv.sub_first = sub;
    }
    if (c) {
        c->priv.sub_prev = sub;
    } else {
        mr->priv.sub_last = sub;
    }
    sub->priv.add_seq = ++add_seq;
    sub->priv.container = mr;
    mr->priv.nr_subregions++;
    memory_region_child_index_add_locked(mr, sub);
}

static void unlink_subregion(MemoryRegion *mr, MemoryRegion *sub)
{
    memory_region_child_index_del_locked(mr, sub);
    if (sub->priv.sub_prev) {
        sub->priv.sub_prev->priv.sub_next = sub->priv.sub_next;
    } else {
        mr->priv.sub_first = sub->priv.sub_next;
    }
    if (sub->priv.sub_next) {
        sub->priv.sub_next->priv.sub_prev = sub->priv.sub_prev;
    } else {
        mr->priv.sub_last = sub->priv.sub_prev;
    }
    sub->priv.sub_next = sub->priv.sub_prev = NULL;
    sub->priv.container = NULL;
    mr->priv.nr_subregions--;
}

static bool check_region(const MemoryRegion *mr, const char *what,
                         GError **errp)
{
    if (!mr_is_initialised(mr)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "%s is not an initialised region", what);
        return false;
    }
    return true;
}

static bool check_fits(const MemoryRegion *mr, hwaddr addr, addrspace_u128 size,
                       GError **errp)
{
    if ((addrspace_u128)addr + size > SIZE_2_64) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERFLOW,
                            "region \"%s\" at 0x%" PRIx64 " runs past 2^64",
                            memory_region_name(mr), addr);
        return false;
    }
    return true;
}

static bool add_subregion_common(MemoryRegion *mr, hwaddr offset,
                                 MemoryRegion *sub, int priority,
                                 bool may_overlap, GError **errp)
{
    bool ok = false;

    if (!check_region(mr, "parent", errp) ||
        !check_region(sub, "subregion", errp)) {
        return false;
    }
    memory_update_lock();
    if (sub->priv.container) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY,
                            "region \"%s\" already has a parent (\"%s\")",
                            memory_region_name(sub),
                            memory_region_name(sub->priv.container));
    } else if (mr->priv.kind == MR_KIND_ALIAS) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "alias \"%s\" cannot have subregions",
                            memory_region_name(mr));
    } else if (memory_region_reaches_locked(sub, mr)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_CYCLE,
                            "adding \"%s\" under \"%s\" would create a cycle",
                            memory_region_name(sub), memory_region_name(mr));
    } else if (check_fits(sub, offset, sub->priv.size, errp)) {
        memory_region_transaction_begin();
        sub->priv.addr = offset;
        sub->priv.priority = priority;
        sub->priv.may_overlap = may_overlap;
        link_subregion(mr, sub);
        if (link_holds_ref(mr, sub)) {
            memory_owner_ref(sub->priv.owner);
        }
        memory_region_changed_locked(sub);
        memory_region_transaction_commit();
        ok = true;
    }
    memory_update_unlock();
    return ok;
}

ADDRSPACE_EXPORT bool memory_region_add_subregion(MemoryRegion *mr,
                                                  hwaddr offset,
                                                  MemoryRegion *sub,
                                                  GError **errp)
{
    return add_subregion_common(mr, offset, sub, 0, false, errp);
}

ADDRSPACE_EXPORT bool memory_region_add_subregion_overlap(MemoryRegion *mr,
                                                          hwaddr offset,
                                                          MemoryRegion *sub,
                                                          int priority,
                                                          GError **errp)
{
    return add_subregion_common(mr, offset, sub, priority, true, errp);
}

ADDRSPACE_EXPORT bool
memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *sub, GError **errp)
{
    bool ok = false;

    if (!check_region(mr, "parent", errp) ||
        !check_region(sub, "subregion", errp)) {
        return false;
    }
    memory_update_lock();
    if (sub->priv.container != mr) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_NOT_FOUND,
                            "region \"%s\" is not a subregion of \"%s\"",
                            memory_region_name(sub), memory_region_name(mr));
    } else {
        memory_region_transaction_begin();
        memory_region_changed_locked(sub);
        unlink_subregion(mr, sub);
        if (link_holds_ref(mr, sub)) {
            memory_owner_unref(sub->priv.owner);
        }
        memory_region_transaction_commit();
        ok = true;
    }
    memory_update_unlock();
    return ok;
}

ADDRSPACE_EXPORT void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (!mr_is_initialised(mr)) {
        return;
    }
    memory_region_transaction_begin();
    if (mr->priv.enabled != enabled) {
        mr->priv.enabled = enabled;
        memory_region_changed_locked(mr);
    }
    memory_region_transaction_commit();
}

/*
 * The setters below check their argument against the tree and apply it
 * inside one transaction, i.e. under the update lock: checked outside it,
 * a concurrent change (set_size against set_address) could slip between
 * check and change and leave a region running past 2^64.
 */

ADDRSPACE_EXPORT bool memory_region_set_address(MemoryRegion *mr, hwaddr addr,
                                                GError **errp)
{
    bool ok;

    memory_region_transaction_begin();
    ok = check_region(mr, "region", errp) &&
         check_fits(mr, addr, mr->priv.size, errp);
    if (ok && mr->priv.addr != addr) {
        MemoryRegion *parent = mr->priv.container;

        memory_region_changed_locked(mr);
        /* QEMU re-adds the region: it becomes the latest added (unlinked
         * first: the address index finds it by its old address) */
        if (parent) {
            unlink_subregion(parent, mr);
        }
        mr->priv.addr = addr;
        if (parent) {
            link_subregion(parent, mr);
        }
    }
    memory_region_transaction_commit();
    return ok;
}

/*
 * Whether @mr may take size @s; caller holds the lock. 0 is accepted, as
 * in QEMU (q35 sizes its TSEG windows this way).
 */
static bool check_size_locked(MemoryRegion *mr, addrspace_u128 s, GError **errp)
{
    if (!check_region(mr, "region", errp)) {
        return false;
    }
    if (mr->priv.ram_block && s > mr->priv.ram_block->size) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region \"%s\": RAM cannot grow past its 0x%" PRIx64
                            " bytes",
                            memory_region_name(mr), mr->priv.ram_block->size);
        return false;
    }
    return (!mr->priv.container || check_fits(mr, mr->priv.addr, s, errp)) &&
           (!mr->priv.alias || check_fits(mr, mr->priv.alias_offset, s, errp));
}

ADDRSPACE_EXPORT bool memory_region_set_size(MemoryRegion *mr, uint64_t size,
                                             GError **errp)
{
    addrspace_u128 s = mr_size_from_u64(size);
    bool ok;

    memory_region_transaction_begin();
    ok = check_size_locked(mr, s, errp);
    if (ok && mr->priv.size != s) {
        MemoryRegion *parent = mr->priv.container;

        /* before the change: the commit needs the old range too */
        memory_region_changed_locked(mr);
        if (parent) {
            memory_region_child_index_del_locked(parent, mr);
        }
        mr_set_size_locked(mr, s);
        if (parent) {
            memory_region_child_index_add_locked(parent, mr);
        }
    }
    memory_region_transaction_commit();
    return ok;
}

/* Whether @mr may take alias offset @offset; caller holds the lock. */
static bool check_alias_offset_locked(MemoryRegion *mr, hwaddr offset,
                                      GError **errp)
{
    if (!check_region(mr, "region", errp)) {
        return false;
    }
    if (mr->priv.kind != MR_KIND_ALIAS) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region \"%s\" is not an alias",
                            memory_region_name(mr));
        return false;
    }
    return check_fits(mr, offset, mr->priv.size, errp);
}

ADDRSPACE_EXPORT bool
memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset, GError **errp)
{
    bool ok;

    memory_region_transaction_begin();
    ok = check_alias_offset_locked(mr, offset, errp);
    if (ok && mr->priv.alias_offset != offset) {
        mr->priv.alias_offset = offset;
        memory_region_changed_locked(mr);
    }
    memory_region_transaction_commit();
    return ok;
}

/*
 * A flag that only rendering reads changed: QEMU 7.2 re-renders only when
 * the region is enabled (memory_region_update_pending |= mr->enabled), so
 * listeners hear nothing about a disabled region's flags.
 */
static void flag_changed_locked(MemoryRegion *mr)
{
    if (mr->priv.enabled) {
        memory_region_changed_locked(mr);
    }
}

ADDRSPACE_EXPORT void memory_region_set_readonly(MemoryRegion *mr,
                                                 bool readonly)
{
    if (!mr_is_initialised(mr)) {
        return;
    }
    memory_region_transaction_begin();
    if (mr->priv.readonly != readonly) {
        mr->priv.readonly = readonly;
        flag_changed_locked(mr);
    }
    memory_region_transaction_commit();
}

ADDRSPACE_EXPORT void memory_region_set_nonvolatile(MemoryRegion *mr,
                                                    bool nonvolatile)
{
    if (!mr_is_initialised(mr)) {
        return;
    }
    memory_region_transaction_begin();
    if (mr->priv.nonvolatile != nonvolatile) {
        mr->priv.nonvolatile = nonvolatile;
        flag_changed_locked(mr);
    }
    memory_region_transaction_commit();
}

ADDRSPACE_EXPORT void memory_region_rom_device_set_romd(MemoryRegion *mr,
                                                        bool romd_mode)
{
    if (!mr_is_initialised(mr) || mr->priv.kind != MR_KIND_ROM_DEVICE) {
        return;
    }
    memory_region_transaction_begin();
    if (mr->priv.romd_mode != romd_mode) {
        mr->priv.romd_mode = romd_mode;
        flag_changed_locked(mr);
    }
    memory_region_transaction_commit();
}

ADDRSPACE_EXPORT void memory_region_set_lock(MemoryRegion *mr, GRecMutex *lock)
{
    memory_update_lock();
    __atomic_store_n(&mr->priv.lock, lock, __ATOMIC_RELEASE);
    memory_update_unlock();
}

ADDRSPACE_EXPORT void memory_region_clear_global_locking(MemoryRegion *mr)
{
    memory_update_lock();
    __atomic_store_n(&mr->priv.no_global_locking, true, __ATOMIC_RELAXED);
    memory_update_unlock();
}

ADDRSPACE_EXPORT void memory_region_disable_reentrancy_guard(MemoryRegion *mr)
{
    memory_update_lock();
    __atomic_store_n(&mr->priv.reentrancy_guard_disabled, true,
                     __ATOMIC_RELAXED);
    memory_update_unlock();
}

ADDRSPACE_EXPORT void memory_region_enable_reentrancy_guard(MemoryRegion *mr)
{
    memory_update_lock();
    __atomic_store_n(&mr->priv.reentrancy_guard_disabled, false,
                     __ATOMIC_RELAXED);
    memory_update_unlock();
}

ADDRSPACE_EXPORT void memory_region_enable_bounds_check(MemoryRegion *mr)
{
    memory_update_lock();
    __atomic_store_n(&mr->priv.bounds_check, true, __ATOMIC_RELAXED);
    memory_update_unlock();
}

static gint compare_by_address(gconstpointer a, gconstpointer b)
{
    const MemoryRegion *ra = *(MemoryRegion *const *)a;
    const MemoryRegion *rb = *(MemoryRegion *const *)b;

    return ra->priv.addr < rb->priv.addr ? -1 : ra->priv.addr > rb->priv.addr;
}

ADDRSPACE_EXPORT bool memory_region_find_collision(MemoryRegion *mr,
                                                   MemoryRegion **a,
                                                   MemoryRegion **b)
{
    GPtrArray *fixed = g_ptr_array_new();
    bool found = false;

    memory_update_lock();
    for (MemoryRegion *c = mr->priv.sub_first; c; c = c->priv.sub_next) {
        /* a region of size 0 occupies nothing, so it collides with none */
        if (!c->priv.may_overlap && c->priv.size) {
            g_ptr_array_add(fixed, c);
        }
    }
    g_ptr_array_sort(fixed, compare_by_address);
    /* sorted by start: a collision exists iff the range reaching furthest
     * among the earlier ones passes the start of the next one */
    MemoryRegion *far = NULL;
    for (guint i = 0; i < fixed->len && !found; i++) {
        MemoryRegion *r = fixed->pdata[i];

        if (far &&
            (addrspace_u128)far->priv.addr + far->priv.size > r->priv.addr) {
            *a = far;
            *b = r;
            found = true;
        }
        if (!far || (addrspace_u128)r->priv.addr + r->priv.size >
                        (addrspace_u128)far->priv.addr + far->priv.size) {
            far = r;
        }
    }
    memory_update_unlock();
    g_ptr_array_free(fixed, true);
    return found;
}
