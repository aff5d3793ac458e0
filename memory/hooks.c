/* SPDX-License-Identifier: MIT */
/*
 * Memory access hooks: registration, publication with RCU, reporting.
 *
 * Each AddressSpace has an immutable hook list (AddressSpaceHookList),
 * replaced as a whole under the update lock and freed after a grace
 * period, so accessing threads read it without a lock. A change of the
 * list is a change of rendering confined to the hook's range: that window
 * of the view is re-rendered, and the render (flatview/slow-ranges.c,
 * through memory_hook_ranges_locked()) sets FLAT_SECTION_HOOK_* on the
 * sections under hooked ranges, so that the inline paths of
 * static/access-inline.h call out of line, where access.c reports to the
 * hooks. The inline path only masks two more flag bits.
 */
#include "hooks-internal.h"
#include "tree.h"

struct AddressSpaceHook {
    struct rcu_head rcu; /* first: call_rcu() */
    hwaddr first, last;
    unsigned flags;
    AddressSpaceHookFunc *func;
    void *opaque;
    GDestroyNotify destroy;
    bool removed; /* atomic: set under the update lock at removal */
};

/* The AddressSpaces that have hooks (update lock). */
static GPtrArray *hooked_spaces;

/* Hook callbacks this thread is inside: their accesses are not reported. */
static __thread unsigned int hook_depth;

static void hook_free(struct rcu_head *head)
{
    AddressSpaceHook *hook =
        ADDRSPACE_CONTAINER_OF(head, AddressSpaceHook, rcu);

    if (hook->destroy) {
        hook->destroy(hook->opaque);
    }
    g_free(hook);
}

/* A copy of @old without @drop (may be NULL) and with @add (may be NULL);
 * NULL when that leaves no hook. */
static AddressSpaceHookList *list_edit(const AddressSpaceHookList *old,
                                       const AddressSpaceHook *drop,
                                       AddressSpaceHook *add)
{
    size_t nr = (old ? old->nr : 0) + (add != NULL);
    AddressSpaceHookList *l =
        g_malloc0(sizeof(*l) + nr * sizeof(AddressSpaceHook *));

    l->first = UINT64_MAX;
    for (size_t i = 0; old && i <= old->nr; i++) {
        AddressSpaceHook *h = i < old->nr ? old->hooks[i] : add;

        if (h && h != drop) {
            l->hooks[l->nr++] = h;
        }
    }
    if (!old && add) {
        l->hooks[l->nr++] = add;
    }
    if (l->nr == 0) {
        g_free(l);
        return NULL;
    }
    for (size_t i = 0; i < l->nr; i++) {
        l->first = MIN(l->first, l->hooks[i]->first);
        l->last = MAX(l->last, l->hooks[i]->last);
        l->flags |= l->hooks[i]->flags;
    }
    return l;
}

/* Publish @l as @as's list; the old one is freed after a grace period. */
static void list_publish_locked(AddressSpace *as, AddressSpaceHookList *l)
{
    AddressSpaceHookList *old = as->priv.hooks;

    rcu_assign_pointer(as->priv.hooks, l);
    if (old) {
        g_free_rcu(old, rcu);
    }
    if (!old && l) {
        if (!hooked_spaces) {
            hooked_spaces = g_ptr_array_new();
        }
        g_ptr_array_add(hooked_spaces, as);
    } else if (old && !l) {
        g_ptr_array_remove_fast(hooked_spaces, as);
    }
}

/* The next commit re-renders the window of @hook in @as's view. */
static void view_changed_locked(AddressSpace *as, const AddressSpaceHook *hook)
{
    MemoryRegion *eff = memory_region_flatview_root_locked(as->priv.root);
    addrspace_u128 base, end;

    if (!eff) {
        return;
    }
    /* the root's own addresses: view addresses less the root's address */
    base = eff->priv.addr;
    end = (addrspace_u128)hook->last + 1;
    if (end > base) {
        memory_region_range_changed_locked(
            eff, hook->first > base ? hook->first - base : 0, end - base);
    }
}

static bool as_ok(const AddressSpace *as)
{
    return as && as->priv.magic == AS_MAGIC;
}

ADDRSPACE_EXPORT AddressSpaceHook *
address_space_hook_add(AddressSpace *as, hwaddr first, hwaddr last,
                       unsigned flags, AddressSpaceHookFunc *func, void *opaque,
                       GDestroyNotify destroy, GError **errp)
{
    AddressSpaceHook *hook;

    if (!as_ok(as) || !func || !flags || (flags & ~ADDRSPACE_HOOK_ACCESS) ||
        first > last) {
        addrspace_error_set(
            errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID, "%s",
            !as_ok(as) ? "address space is not initialised"
            : !func    ? "hook callback is NULL"
            : first > last
                ? "hook range is empty (first > last)"
                : "hook flags must be ADDRSPACE_HOOK_READ and/or _WRITE");
        return NULL;
    }
    hook = g_new0(AddressSpaceHook, 1);
    *hook = (AddressSpaceHook){
        .first = first,
        .last = last,
        .flags = flags,
        .func = func,
        .opaque = opaque,
        .destroy = destroy,
    };
    memory_region_transaction_begin();
    /* the list first: a reader that finds the new view finds the hook */
    list_publish_locked(as, list_edit(as->priv.hooks, NULL, hook));
    view_changed_locked(as, hook);
    memory_region_transaction_commit();
    return hook;
}

/* Whether @hook is in @as's list. Update lock. */
static bool has_hook_locked(const AddressSpace *as,
                            const AddressSpaceHook *hook)
{
    const AddressSpaceHookList *l = as->priv.hooks;

    for (size_t i = 0; l && i < l->nr; i++) {
        if (l->hooks[i] == hook) {
            return true;
        }
    }
    return false;
}

ADDRSPACE_EXPORT bool address_space_hook_remove(AddressSpace *as,
                                                AddressSpaceHook *hook,
                                                GError **errp)
{
    if (!as_ok(as)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "address space is not initialised");
        return false;
    }
    memory_region_transaction_begin();
    if (!hook || !has_hook_locked(as, hook)) {
        memory_region_transaction_commit();
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_NOT_FOUND,
                            "hook %p is not a hook of address space \"%s\"",
                            (void *)hook, as->priv.name);
        return false;
    }
    __atomic_store_n(&hook->removed, true, __ATOMIC_RELEASE);
    list_publish_locked(as, list_edit(as->priv.hooks, hook, NULL));
    view_changed_locked(as, hook);
    memory_region_transaction_commit();
    call_rcu(hook, hook_free, rcu);
    return true;
}

void address_space_hooks_report_rcu(AddressSpace *as,
                                    const AddressSpaceHookList *h,
                                    const FlatSection *section,
                                    AddressSpaceAccess *access)
{
    unsigned dir =
        access->is_write ? ADDRSPACE_HOOK_WRITE : ADDRSPACE_HOOK_READ;
    hwaddr end = address_space_hooks_end(access->addr, access->size);

    if (hook_depth) {
        return;
    }
    if (section) {
        access->mr = section->mr;
        access->offset =
            section->offset + (access->addr - section->region.start);
    } else {
        access->mr = memory_region_unassigned();
        access->offset = access->addr;
    }
    hook_depth++;
    for (size_t i = 0; i < h->nr; i++) {
        AddressSpaceHook *hook = h->hooks[i];

        if (!(hook->flags & dir) || access->addr > hook->last ||
            end < hook->first ||
            __atomic_load_n(&hook->removed, __ATOMIC_ACQUIRE)) {
            continue;
        }
        hook->func(as, access, hook->opaque);
    }
    hook_depth--;
}

bool address_space_hooks_first_hooked(const AddressSpaceHookList *h,
                                      hwaddr addr, uint64_t len, unsigned flags,
                                      hwaddr *hooked)
{
    hwaddr end = address_space_hooks_end(addr, len);
    bool found = false;

    for (size_t i = 0; i < h->nr; i++) {
        const AddressSpaceHook *hook = h->hooks[i];
        hwaddr from = MAX(addr, hook->first);

        if (!(hook->flags & flags) || addr > hook->last || end < hook->first) {
            continue;
        }
        if (!found || from < *hooked) {
            *hooked = from;
            found = true;
        }
    }
    return found;
}

void memory_hook_ranges_locked(const MemoryRegion *root, GArray *out)
{
    for (guint i = 0; hooked_spaces && i < hooked_spaces->len; i++) {
        AddressSpace *as = hooked_spaces->pdata[i];
        const AddressSpaceHookList *l = as->priv.hooks;

        if (memory_region_flatview_root_locked(as->priv.root) != root) {
            continue;
        }
        for (size_t k = 0; k < l->nr; k++) {
            MemoryHookRange r = {
                .first = l->hooks[k]->first,
                .last = l->hooks[k]->last,
                .reads = (l->hooks[k]->flags & ADDRSPACE_HOOK_READ) != 0,
                .writes = (l->hooks[k]->flags & ADDRSPACE_HOOK_WRITE) != 0,
            };

            g_array_append_val(out, r);
        }
    }
}

/* The roots a hooked AddressSpace moved to in this round (update lock). */
static GPtrArray *moved_roots;

void address_space_hooks_mark_moved_locked(uint64_t epoch)
{
    if (moved_roots) {
        g_ptr_array_set_size(moved_roots, 0);
    }
    for (guint i = 0; hooked_spaces && i < hooked_spaces->len; i++) {
        AddressSpace *as = hooked_spaces->pdata[i];
        MemoryRegion *eff = memory_region_flatview_root_locked(as->priv.root);

        if (eff && eff != address_space_view_locked(as)->root) {
            eff->priv.mark = epoch;
            if (!moved_roots) {
                moved_roots = g_ptr_array_new();
            }
            g_ptr_array_add(moved_roots, eff);
        }
    }
}

bool address_space_hooks_moved_locked(const MemoryRegion *root)
{
    for (guint i = 0; moved_roots && i < moved_roots->len; i++) {
        if (moved_roots->pdata[i] == root) {
            return true;
        }
    }
    return false;
}

void address_space_hooks_destroy_locked(AddressSpace *as)
{
    AddressSpaceHookList *l = as->priv.hooks;

    if (!l) {
        return;
    }
    address_space_watchpoints_forget_locked(as);
    for (size_t i = 0; i < l->nr; i++) {
        /* the caller's commit clears the hook bits of their sections */
        view_changed_locked(as, l->hooks[i]);
        __atomic_store_n(&l->hooks[i]->removed, true, __ATOMIC_RELEASE);
        call_rcu(l->hooks[i], hook_free, rcu);
    }
    list_publish_locked(as, NULL); /* frees @l after a grace period */
}
