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
#include "../flatview/flatview-internal.h"
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

/* QEMU's flatrange_equal(): everything but the dirty log mask. */
static bool section_equal(const MemoryRegionSection *a,
                          const MemoryRegionSection *b)
{
    return a->mr == b->mr &&
           a->offset_within_address_space == b->offset_within_address_space &&
           a->size == b->size &&
           a->offset_within_region == b->offset_within_region &&
           a->romd_mode == b->romd_mode && a->readonly == b->readonly &&
           a->nonvolatile == b->nonvolatile;
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

/* One callback on every listener of @as: ascending priority, or
 * descending for deletions (QEMU's MEMORY_LISTENER_UPDATE_REGION). */
static void call_listeners(AddressSpace *as, enum Callback cb,
                           MemoryRegionSection *s, int old_mask, int new_mask)
{
    bool reverse = cb == CB_DEL || cb == CB_LOG_STOP;
    GList *l = reverse ? g_list_last(as->priv.listeners) : as->priv.listeners;

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

/*
 * QEMU's address_space_update_topology_pass(): walk both views in address
 * order; the deletion pass reports old sections that have no equal new
 * one, the addition pass reports new sections as added or unchanged.
 */
static void update_pass(AddressSpace *as, FlatView *old_view,
                        FlatView *new_view, bool adding)
{
    size_t iold = 0, inew = 0;

    while (iold < old_view->nr || inew < new_view->nr) {
        MemoryRegionSection *o =
            iold < old_view->nr ? &old_view->sections[iold] : NULL;
        MemoryRegionSection *n =
            inew < new_view->nr ? &new_view->sections[inew] : NULL;

        if (o &&
            (!n ||
             o->offset_within_address_space < n->offset_within_address_space ||
             (o->offset_within_address_space ==
                  n->offset_within_address_space &&
              !section_equal(o, n)))) {
            /* only in the old view, or changed */
            if (!adding) {
                call_listeners(as, CB_DEL, o, 0, 0);
            }
            iold++;
        } else if (o && n && section_equal(o, n)) {
            if (adding) {
                int om = o->dirty_log_mask, nm = n->dirty_log_mask;

                call_listeners(as, CB_NOP, n, 0, 0);
                if (nm & ~om) {
                    call_listeners(as, CB_LOG_START, n, om, nm);
                }
                if (om & ~nm) {
                    call_listeners(as, CB_LOG_STOP, n, om, nm);
                }
            }
            iold++;
            inew++;
        } else {
            if (adding) {
                call_listeners(as, CB_ADD, n, 0, 0);
            }
            inew++;
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
    for (size_t i = 0; i < view->nr; i++) {
        MemoryRegionSection *s = &view->sections[i];

        if (listener->region_add) {
            listener->region_add(listener, s);
        }
        if (s->dirty_log_mask && listener->log_start) {
            listener->log_start(listener, s, 0, s->dirty_log_mask);
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

    /* QEMU's listener_del_address_space() */
    if (listener->begin) {
        listener->begin(listener);
    }
    for (size_t i = 0; i < view->nr; i++) {
        MemoryRegionSection *s = &view->sections[i];

        if (s->dirty_log_mask && listener->log_stop) {
            listener->log_stop(listener, s, s->dirty_log_mask, 0);
        }
        if (listener->region_del) {
            listener->region_del(listener, s);
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
        FlatView *view;

        if (!ml->log_sync) {
            continue;
        }
        view = address_space_view_locked(ml->priv.as);
        for (size_t i = 0; i < view->nr; i++) {
            MemoryRegionSection *s = &view->sections[i];

            if (s->dirty_log_mask && s->mr == mr) {
                ml->log_sync(ml, s);
            }
        }
    }
    memory_update_unlock();
}
