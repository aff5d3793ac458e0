/* SPDX-License-Identifier: MIT */
/*
 * AddressSpaces and FlatView sharing.
 *
 * AddressSpaces with the same root region form a group that holds one
 * RCU-published FlatView pointer, so a commit updates one pointer per
 * distinct root however many AddressSpaces share it. Groups whose
 * effective roots coincide share the FlatView object itself, rendered once
 * per commit.
 */
#include <string.h>

#include "hooks-internal.h"
#include "memory-internal.h"

struct AddressSpaceGroup {
    struct rcu_head rcu; /* first: g_free_rcu() */
    MemoryRegion *root;
    FlatView *view; /* the group holds one reference; under the lock */
    /* &view->index, RCU-published for readers (access-inline.h) */
    const FlatViewIndex *index;
    uint64_t gen; /* view generation: stored after @index (tlb.h) */
    AddressSpace *members;
    unsigned int nr_members;
    unsigned int nr_listeners; /* on all members: 0 skips the hook */
    AddressSpaceGroup *next;
    MemoryRegion *commit_eff; /* address_spaces_commit_locked()'s round */
};

/* All under the update lock. */
static AddressSpaceGroup *groups;
static GHashTable *group_by_root;
static GQueue all_address_spaces = G_QUEUE_INIT;
static uint64_t as_seq;
/* The last view generation handed out: one sequence for all groups, so a
 * value never repeats, not even in a group allocated where a freed one was. */
static uint64_t view_generation;
/* A commit round's scratch, emptied after each (rounds do not nest): the
 * view each effective root gets, the views rendered, the windows of one. */
static GHashTable *round_views;
static GPtrArray *round_fresh;
static GArray *round_windows;

void address_space_foreach_locked(AddressSpaceVisitor fn, void *opaque)
{
    for (GList *l = all_address_spaces.head; l; l = l->next) {
        fn(l->data, opaque);
    }
}

FlatView *address_space_view_locked(AddressSpace *as)
{
    /* views are replaced only under the update lock, which we hold */
    return as->priv.group->view;
}

/* A current view rendered from @eff that some group already holds. */
static FlatView *find_view_of_root(MemoryRegion *eff)
{
    for (AddressSpaceGroup *g = groups; g; g = g->next) {
        if (g->view->root == eff) {
            return g->view;
        }
    }
    return NULL;
}

/* The index of an AddressSpace that is not initialised: empty, and the
 * place its accesses find it (access-inline.h). */
static const FlatViewIndex no_index;
ADDRSPACE_EXPORT const FlatViewIndex *const address_space_no_index_slot =
    &no_index;

static void group_publish(AddressSpaceGroup *g, FlatView *view)
{
    FlatView *old = g->view;
    bool ok = flatview_ref(view);

    g_assert(ok);
    g->view = view;
    /* release: a reader that sees the index sees the view built */
    __atomic_store_n(&g->index, &view->index, __ATOMIC_RELEASE);
    /* after the index: a reader that sees the new generation (acquire in
     * memory/tlb.c's fill()) sees the new index */
    __atomic_store_n(&g->gen, ++view_generation, __ATOMIC_RELEASE);
    if (old) {
        /* listener hook: @old stays referenced until they have seen it */
        if (g->nr_listeners) {
            for (AddressSpace *as = g->members; as; as = as->priv.group_next) {
                memory_listeners_view_changed_locked(as, old, view);
            }
        }
        flatview_unref(old);
    }
}

void address_space_listeners_changed_locked(AddressSpace *as, int delta)
{
    as->priv.group->nr_listeners += delta;
}

/* Whether @g's view must be replaced: its effective root is now @eff. */
static bool group_changed(const AddressSpaceGroup *g, MemoryRegion *eff,
                          uint64_t epoch)
{
    return g->view->root != eff || (eff && eff->priv.mark == epoch);
}

/* The view of @eff after this round, @old being the group's current one. */
static FlatView *next_view(FlatView *old, MemoryRegion *eff,
                           const ChangeWindows *cw)
{
    GArray *w;
    FlatView *view;

    /* a hooked AddressSpace moved to @eff: its hooks' sections change */
    if (old->root != eff || address_space_hooks_moved_locked(eff)) {
        return flatview_render_locked(eff, &flatview_region_ops);
    }
    /* same root: only the windows the changes reached are re-rendered */
    if (!round_windows) {
        round_windows = g_array_new(false, false, sizeof(FlatWindow));
    }
    w = round_windows;
    g_array_set_size(w, 0);
    if (memory_change_windows_of_locked(cw, eff, w)) {
        view = flatview_update_locked(old, (const FlatWindow *)(void *)w->data,
                                      w->len, &flatview_region_ops);
    } else {
        view = flatview_render_locked(eff, &flatview_region_ops);
    }
    return view;
}

void address_spaces_commit_locked(uint64_t epoch, const ChangeWindows *cw)
{
    /* effective root -> view valid for this commit */
    GHashTable *views;
    GPtrArray *fresh;

    if (!round_views) {
        round_views = g_hash_table_new(NULL, NULL);
        round_fresh = g_ptr_array_new();
    }
    views = round_views;
    fresh = round_fresh;
    address_space_hooks_mark_moved_locked(epoch);
    /* QEMU: begin/commit go to every listener on every re-rendering commit */
    memory_listeners_begin_locked();
    /* Views that stay valid can be shared by changed groups. */
    for (AddressSpaceGroup *g = groups; g; g = g->next) {
        g->commit_eff = memory_region_flatview_root_locked(g->root);
        if (!group_changed(g, g->commit_eff, epoch)) {
            g_hash_table_insert(views, g->commit_eff, g->view);
        }
    }
    /* Every view is rendered before any is published (QEMU renders all
     * views, then tells each AddressSpace's listeners). */
    for (AddressSpaceGroup *g = groups; g; g = g->next) {
        if (group_changed(g, g->commit_eff, epoch) &&
            !g_hash_table_lookup(views, g->commit_eff)) {
            FlatView *view = next_view(g->view, g->commit_eff, cw);

            g_hash_table_insert(views, g->commit_eff, view);
            g_ptr_array_add(fresh, view);
        }
    }
    for (AddressSpaceGroup *g = groups; g; g = g->next) {
        if (group_changed(g, g->commit_eff, epoch)) {
            group_publish(g, g_hash_table_lookup(views, g->commit_eff));
        }
    }
    /* drop the render references; groups hold their own */
    for (guint i = 0; i < fresh->len; i++) {
        flatview_unref(fresh->pdata[i]);
    }
    g_ptr_array_set_size(fresh, 0);
    g_hash_table_remove_all(views);
    memory_listeners_commit_locked();
}

static void group_add_member(AddressSpaceGroup *g, AddressSpace *as)
{
    as->priv.group = g;
    as->priv.index_slot_rel =
        (uintptr_t)&g->index - (uintptr_t)&address_space_no_index_slot;
    as->priv.group_prev = NULL;
    as->priv.group_next = g->members;
    if (g->members) {
        g->members->priv.group_prev = as;
    }
    g->members = as;
    g->nr_members++;
}

static void group_remove_member(AddressSpaceGroup *g, AddressSpace *as)
{
    if (as->priv.group_prev) {
        as->priv.group_prev->priv.group_next = as->priv.group_next;
    } else {
        g->members = as->priv.group_next;
    }
    if (as->priv.group_next) {
        as->priv.group_next->priv.group_prev = as->priv.group_prev;
    }
    g->nr_members--;
}

static AddressSpaceGroup *group_get_locked(MemoryRegion *root)
{
    AddressSpaceGroup *g;
    MemoryRegion *eff;
    FlatView *view;

    if (!group_by_root) {
        group_by_root = g_hash_table_new(NULL, NULL);
    }
    g = g_hash_table_lookup(group_by_root, root);
    if (g) {
        return g;
    }
    g = g_new0(AddressSpaceGroup, 1);
    g->root = root;
    eff = memory_region_flatview_root_locked(root);
    view = find_view_of_root(eff);
    if (view) {
        group_publish(g, view);
    } else {
        view = flatview_render_locked(eff, &flatview_region_ops);
        group_publish(g, view);
        flatview_unref(view);
    }
    g->next = groups;
    groups = g;
    g_hash_table_insert(group_by_root, root, g);
    return g;
}

static void group_delete_locked(AddressSpaceGroup *g)
{
    AddressSpaceGroup **pp = &groups;

    while (*pp != g) {
        pp = &(*pp)->next;
    }
    *pp = g->next;
    g_hash_table_remove(group_by_root, g->root);
    flatview_unref(g->view);
    g_free_rcu(g, rcu);
}

ADDRSPACE_EXPORT bool address_space_init(AddressSpace *as, MemoryRegion *root,
                                         const char *name, GError **errp)
{
    if (!as) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "address space storage is NULL");
        return false;
    }
    if (as->priv.magic == AS_MAGIC) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY,
                            "address space \"%s\" is already initialised",
                            as->priv.name);
        return false;
    }
    if (!mr_is_initialised(root)) {
        addrspace_error_set(
            errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
            "address space \"%s\": root is not an initialised region",
            name ? name : "");
        return false;
    }
    memset(as, 0, sizeof(*as));
    memory_region_ref(root);
    memory_update_lock();
    as->priv.name = g_strdup(name ? name : "");
    as->priv.root = root;
    as->priv.seq = ++as_seq;
    group_add_member(group_get_locked(root), as);
    g_queue_push_tail(&all_address_spaces, as);
    as->priv.magic = AS_MAGIC;
    memory_update_unlock();
    return true;
}

ADDRSPACE_EXPORT void address_space_destroy(AddressSpace *as)
{
    AddressSpaceGroup *g;

    if (!as || as->priv.magic != AS_MAGIC) {
        return;
    }
    /* a transaction, as QEMU's: views its hooks marked are re-rendered */
    memory_region_transaction_begin();
    memory_listeners_remove_all_locked(as);
    address_space_hooks_destroy_locked(as);
    g = as->priv.group;
    group_remove_member(g, as);
    if (g->nr_members == 0) {
        group_delete_locked(g);
    }
    g_queue_remove(&all_address_spaces, as);
    address_space_bounce_destroy_locked(as);
    memory_region_transaction_commit();
    memory_region_unref(as->priv.root);
    g_free(as->priv.name);
    memset(as, 0, sizeof(*as));
}

const uint64_t *address_space_generation_slot(AddressSpace *as)
{
    /* an AddressSpace keeps its group from init to destroy */
    return &as->priv.group->gen;
}

ADDRSPACE_EXPORT const char *address_space_name(const AddressSpace *as)
{
    return as->priv.name;
}

ADDRSPACE_EXPORT MemoryRegion *address_space_root(const AddressSpace *as)
{
    return as->priv.root;
}

ADDRSPACE_EXPORT void address_space_set_big_endian(AddressSpace *as,
                                                   bool big_endian)
{
    __atomic_store_n(&as->priv.big_endian, big_endian, __ATOMIC_RELAXED);
}

ADDRSPACE_EXPORT bool address_space_is_big_endian(const AddressSpace *as)
{
    return __atomic_load_n(&as->priv.big_endian, __ATOMIC_RELAXED);
}

void address_space_report_invalid(const AddressSpace *as, const char *func)
{
    static gint logged;

    if (g_atomic_int_compare_and_exchange(&logged, 0, 1)) {
        g_critical("%s(): AddressSpace %p is not initialised (zero-filled, "
                   "destroyed, or never passed to address_space_init()): a "
                   "caller bug; its accesses fail with MEMTX_DECODE_ERROR "
                   "and read 0 (logged once)",
                   func, (const void *)as);
    }
}

bool address_space_check_iommu_target(const AddressSpace *target,
                                      const MemoryRegion *iommu)
{
    static gint logged;

    if (target->priv.magic == AS_MAGIC) {
        return true;
    }
    if (g_atomic_int_compare_and_exchange(&logged, 0, 1)) {
        g_critical("IOMMU region \"%s\": its translate callback returned "
                   "target_as %p, which is not an initialised AddressSpace: "
                   "a bug in the callback; the access is refused as "
                   "unassigned (MEMTX_DECODE_ERROR, reads give 0) "
                   "(logged once)",
                   memory_region_name(iommu), (const void *)target);
    }
    return false;
}

/* The view of an AddressSpace that is not initialised: empty (all holes),
 * made once and never freed (its one reference is never dropped). */
static gpointer invalid_view_new(gpointer unused)
{
    FlatView *fv;

    (void)unused;
    memory_update_lock();
    fv = flatview_render_locked(NULL, &flatview_region_ops);
    memory_update_unlock();
    return fv;
}

ADDRSPACE_EXPORT FlatView *address_space_to_flatview(AddressSpace *as)
{
    static GOnce invalid_view = G_ONCE_INIT;

    if (!address_space_check(as, "address_space_to_flatview")) {
        return g_once(&invalid_view, invalid_view_new, NULL);
    }
    return flatview_of_index(address_space_index_rcu(as));
}

ADDRSPACE_EXPORT FlatView *address_space_get_flatview(AddressSpace *as)
{
    FlatView *fv;

    for (;;) {
        rcu_read_lock();
        fv = address_space_to_flatview(as);
        if (flatview_ref(fv)) {
            rcu_read_unlock();
            return fv;
        }
        rcu_read_unlock();
    }
}
