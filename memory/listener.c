/* SPDX-License-Identifier: MIT */
/*
 * MemoryListeners: registration with replay, the per-commit diff of an
 * AddressSpace's old and new FlatView, and log_sync.
 *
 * Every list here is under the update lock. Listeners are kept twice, as
 * in QEMU: in one global list (begin/commit of every commit, log_sync) and
 * in their AddressSpace's list (the diff); both sorted by ascending
 * priority, equal priorities in registration order.
 */
#include "memory-internal.h"
#include <addrspace/listener.h>

static GList *all_listeners;     /* under the update lock */
static unsigned int nr_log_sync; /* listeners with log_sync; atomic */
/* The commit's listener callback that is running, and its name (for the
 * report of the commit round limit); under the update lock. */
static const MemoryListener *running;
static const char *running_callback;

bool memory_listener_running_locked(const char **name, const char **callback)
{
    if (!running) {
        return false;
    }
    *name = running->name;
    *callback = running_callback;
    return true;
}

static void enter(const MemoryListener *ml, const char *callback)
{
    running = ml;
    running_callback = callback;
}

static void leave(void)
{
    running = NULL;
}

/* QEMU's memory_listener_register(): after every listener of lower or
 * equal priority. */
static GList *insert_sorted(GList *list, MemoryListener *listener)
{
    GList *l = list;

    while (l && ((MemoryListener *)l->data)->priority <= listener->priority) {
        l = l->next;
    }
    return g_list_insert_before(list, l, listener);
}

/* The attributes QEMU's flatrange_equal() compares. */
#define SECTION_ATTRS \
    (FLAT_SECTION_READONLY | FLAT_SECTION_NONVOLATILE | FLAT_SECTION_ROMD)

/* QEMU's flatrange_equal(): everything but the dirty log mask. */
static bool section_equal(const FlatSection *a, const FlatSection *b)
{
    return a->mr == b->mr && a->region.start == b->region.start &&
           a->region.last == b->region.last && a->offset == b->offset &&
           (a->region.impl_flags & SECTION_ATTRS) ==
               (b->region.impl_flags & SECTION_ATTRS);
}

/* The dirty-logging clients of @s. */
static int section_log(const FlatSection *s)
{
    return (int)(s->region.impl_flags >> FLAT_SECTION_LOG_SHIFT) & 0xff;
}

void memory_listeners_begin_locked(void)
{
    for (GList *l = all_listeners; l; l = l->next) {
        MemoryListener *ml = l->data;

        if (ml->begin) {
            enter(ml, "begin");
            ml->begin(ml);
            leave();
        }
    }
}

void memory_listeners_commit_locked(void)
{
    for (GList *l = all_listeners; l; l = l->next) {
        MemoryListener *ml = l->data;

        if (ml->commit) {
            enter(ml, "commit");
            ml->commit(ml);
            leave();
        }
    }
}

enum Callback { CB_ADD, CB_DEL, CB_NOP, CB_LOG_START, CB_LOG_STOP };
static const char *const callback_names[] = {
    [CB_ADD] = "region_add",    [CB_DEL] = "region_del",
    [CB_NOP] = "region_nop",    [CB_LOG_START] = "log_start",
    [CB_LOG_STOP] = "log_stop",
};

/*
 * One callback on every listener of @as: ascending priority, or
 * descending for deletions (QEMU's MEMORY_LISTENER_UPDATE_REGION). As in
 * QEMU (section_from_flat_range()), the listeners get a MemoryRegionSection
 * built for the call from section @fs of view @fv.
 */
static void call_listeners(AddressSpace *as, enum Callback cb,
                           const FlatSection *fs, FlatView *fv, int old_mask,
                           int new_mask)
{
    bool reverse = cb == CB_DEL || cb == CB_LOG_STOP;
    GList *l = reverse ? g_list_last(as->priv.listeners) : as->priv.listeners;
    MemoryRegionSection section, *s = &section;

    flat_section_describe(fs, fv, &section);
    for (; l; l = reverse ? l->prev : l->next) {
        MemoryListener *ml = l->data;

        enter(ml, callback_names[cb]);
        switch (cb) {
        case CB_ADD:
            if (ml->region_add) {
                ml->region_add(ml, s);
            }
            break;
        case CB_DEL:
            if (ml->region_del) {
                ml->region_del(ml, s);
            }
            break;
        case CB_NOP:
            if (ml->region_nop) {
                ml->region_nop(ml, s);
            }
            break;
        case CB_LOG_START:
            if (ml->log_start) {
                ml->log_start(ml, s, old_mask, new_mask);
            }
            break;
        case CB_LOG_STOP:
            if (ml->log_stop) {
                ml->log_stop(ml, s, old_mask, new_mask);
            }
            break;
        }
        leave();
    }
}

/* Whether a listener of @as has a region_nop callback. */
static bool any_nop(const AddressSpace *as)
{
    for (GList *l = as->priv.listeners; l; l = l->next) {
        if (((MemoryListener *)l->data)->region_nop) {
            return true;
        }
    }
    return false;
}

/* The addition pass's calls for @n, equal to the old view's @o. */
static void pass_unchanged(AddressSpace *as, const FlatSection *o,
                           const FlatSection *n, FlatView *new_view)
{
    int om = section_log(o), nm = section_log(n);

    call_listeners(as, CB_NOP, n, new_view, 0, 0);
    if (nm & ~om) {
        call_listeners(as, CB_LOG_START, n, new_view, om, nm);
    }
    if (om & ~nm) {
        call_listeners(as, CB_LOG_STOP, n, new_view, om, nm);
    }
}

/*
 * QEMU's address_space_update_topology_pass(): walk both views in address
 * order; the deletion pass reports old sections that have no equal new
 * one, the addition pass reports new sections as added or unchanged.
 * Where both walks stand at the start of one chunk the views share, its
 * sections are equal, with equal dirty masks: the deletion pass has nothing
 * to say about them, the addition pass only region_nop, so without a
 * region_nop listener the chunk is skipped whole. A commit then costs the
 * listeners the sections it changed, not the size of the view.
 */
static void update_pass(AddressSpace *as, FlatView *old_view,
                        FlatView *new_view, bool adding)
{
    bool skip_shared = !adding || !any_nop(as);
    FlatViewIter io, in;
    const FlatSection *o, *n;

    flatview_iter_init(&io, old_view);
    flatview_iter_init(&in, new_view);
    for (;;) {
        const FlatChunk *shared = flatview_iter_chunk(&io);

        o = flatview_iter_get(&io);
        n = flatview_iter_get(&in);
        if (!o && !n) {
            break;
        }
        if (skip_shared && shared && shared == flatview_iter_chunk(&in)) {
            flatview_iter_skip_chunk(&io);
            flatview_iter_skip_chunk(&in);
        } else if (o && (!n || o->region.start < n->region.start ||
                         (o->region.start == n->region.start &&
                          !section_equal(o, n)))) {
            /* only in the old view, or changed */
            if (!adding) {
                call_listeners(as, CB_DEL, o, old_view, 0, 0);
            }
            flatview_iter_next(&io);
        } else if (o && section_equal(o, n)) {
            if (adding) {
                pass_unchanged(as, o, n, new_view);
            }
            flatview_iter_next(&io);
            flatview_iter_next(&in);
        } else {
            if (adding) {
                call_listeners(as, CB_ADD, n, new_view, 0, 0);
            }
            flatview_iter_next(&in);
        }
    }
}

void memory_listeners_view_changed_locked(AddressSpace *as, FlatView *old_view,
                                          FlatView *new_view)
{
    if (!as->priv.listeners || old_view == new_view) {
        return;
    }
    update_pass(as, old_view, new_view, false);
    update_pass(as, old_view, new_view, true);
}

ADDRSPACE_EXPORT void memory_listener_register(MemoryListener *listener,
                                               AddressSpace *as)
{
    const FlatSection *fs;
    FlatViewIter it;
    FlatView *view;

    if (!listener || listener->priv.as || !as || as->priv.magic != AS_MAGIC) {
        return;
    }
    memory_update_lock();
    listener->priv.as = as;
    all_listeners = insert_sorted(all_listeners, listener);
    as->priv.listeners = insert_sorted(as->priv.listeners, listener);
    address_space_listeners_changed_locked(as, 1);
    if (listener->log_sync) {
        __atomic_fetch_add(&nr_log_sync, 1, __ATOMIC_RELAXED);
    }
    /* QEMU's listener_add_address_space(): replay to this listener only */
    view = address_space_view_locked(as);
    if (listener->begin) {
        listener->begin(listener);
    }
    for (flatview_iter_init(&it, view); (fs = flatview_iter_get(&it));
         flatview_iter_next(&it)) {
        MemoryRegionSection s;

        flat_section_describe(fs, view, &s);
        if (listener->region_add) {
            listener->region_add(listener, &s);
        }
        if (s.dirty_log_mask && listener->log_start) {
            listener->log_start(listener, &s, 0, s.dirty_log_mask);
        }
    }
    if (listener->commit) {
        listener->commit(listener);
    }
    memory_update_unlock();
}

static void unregister_locked(MemoryListener *listener)
{
    AddressSpace *as = listener->priv.as;
    FlatView *view = address_space_view_locked(as);
    const FlatSection *fs;
    FlatViewIter it;

    /* QEMU's listener_del_address_space() */
    if (listener->begin) {
        listener->begin(listener);
    }
    for (flatview_iter_init(&it, view); (fs = flatview_iter_get(&it));
         flatview_iter_next(&it)) {
        MemoryRegionSection s;

        flat_section_describe(fs, view, &s);
        if (s.dirty_log_mask && listener->log_stop) {
            listener->log_stop(listener, &s, s.dirty_log_mask, 0);
        }
        if (listener->region_del) {
            listener->region_del(listener, &s);
        }
    }
    if (listener->commit) {
        listener->commit(listener);
    }
    all_listeners = g_list_remove(all_listeners, listener);
    as->priv.listeners = g_list_remove(as->priv.listeners, listener);
    address_space_listeners_changed_locked(as, -1);
    if (listener->log_sync) {
        __atomic_fetch_sub(&nr_log_sync, 1, __ATOMIC_RELAXED);
    }
    listener->priv.as = NULL;
}

ADDRSPACE_EXPORT void memory_listener_unregister(MemoryListener *listener)
{
    if (!listener) {
        return;
    }
    memory_update_lock();
    if (listener->priv.as) {
        unregister_locked(listener);
    }
    memory_update_unlock();
}

void memory_listeners_remove_all_locked(AddressSpace *as)
{
    /* QEMU's address_space_remove_listeners() */
    while (as->priv.listeners) {
        unregister_locked(as->priv.listeners->data);
    }
}

ADDRSPACE_EXPORT AddressSpace *
memory_listener_address_space(const MemoryListener *listener)
{
    return listener->priv.as;
}

void memory_listeners_log_sync(MemoryRegion *mr)
{
    /* no lock at all while no listener syncs: the common case */
    if (!__atomic_load_n(&nr_log_sync, __ATOMIC_RELAXED)) {
        return;
    }
    memory_update_lock();
    /* QEMU's memory_region_sync_dirty_bitmap(): forward order */
    for (GList *l = all_listeners; l; l = l->next) {
        MemoryListener *ml = l->data;
        const FlatSection *fs;
        FlatViewIter it;
        FlatView *view;

        if (!ml->log_sync) {
            continue;
        }
        view = address_space_view_locked(ml->priv.as);
        for (flatview_iter_init(&it, view); (fs = flatview_iter_get(&it));
             flatview_iter_next(&it)) {
            MemoryRegionSection s;

            if (!section_log(fs) || fs->mr != mr) {
                continue;
            }
            flat_section_describe(fs, view, &s);
            ml->log_sync(ml, &s);
        }
    }
    memory_update_unlock();
}
