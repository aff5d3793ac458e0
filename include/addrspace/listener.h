/* SPDX-License-Identifier: MIT */
/**
 * @file listener.h
 * @brief MemoryListeners: callbacks told about every change of an
 * AddressSpace's FlatView (QEMU's MemoryListener).
 *
 * A listener is registered on one AddressSpace. Registration replays the
 * current view (begin, region_add and, where dirty logging is on,
 * log_start for every section, commit); from then on every transaction
 * commit that re-renders anything calls, in QEMU's order:
 *
 *  1. begin on every registered listener (all AddressSpaces), in ascending
 *     @priority order;
 *  2. for each AddressSpace whose view changed, the difference between the
 *     old and the new view in two passes over the sections in address
 *     order (QEMU's address_space_update_topology_pass()):
 *     - deletion pass: region_del for every old section with no equal
 *       section in the new view, listeners in descending priority;
 *     - addition pass: for every new section, region_add when it is new,
 *       else region_nop, then log_start when dirty-logging clients were
 *       added to it (ascending priority) and log_stop when clients were
 *       removed from it (descending priority); region_add and region_nop
 *       are called in ascending priority.
 *     Two sections are equal when they map the same region at the same
 *     address, size and offset in the region with the same readonly,
 *     nonvolatile and romd_mode attributes (QEMU's flatrange_equal());
 *     their dirty_log_mask may differ (that is what log_start/log_stop
 *     report);
 *  3. commit on every registered listener, in ascending priority order.
 *
 * Like QEMU (memory_region_transaction_commit() calls begin and commit on
 * the global listener list), a listener whose AddressSpace did not change
 * still gets begin and commit, with nothing in between; a commit that
 * changed no region calls nothing. Nested transactions give one begin and
 * one commit, at the outermost commit.
 *
 * Context of every callback: the thread that committed, with the library's
 * update lock held (the lock of memory.h). A callback may read the tree and
 * the views, and may change the tree (the changes are committed in a
 * further round with its own begin/commit; a commit runs at most
 * MEMORY_TRANSACTION_MAX_ROUNDS rounds, see
 * memory_region_transaction_commit()); it must not call
 * synchronize_rcu() or drain_call_rcu() (the reclamation thread may need
 * the update lock: deadlock), must not register or unregister listeners,
 * and must not initialise or destroy AddressSpaces.
 *
 * The MemoryRegionSection handed to a callback is, as in QEMU
 * (section_from_flat_range()), a copy built for the call from a section of
 * the old view (region_del, unregistration) or of the new view (everything
 * else), whose @fv names that view. It holds no references and is valid
 * for the duration of the callback only; the listeners of one call share
 * it. To keep it longer, take memory_region_section_new_copy() (references
 * on the region and the view; release with
 * memory_region_section_free_copy()).
 *
 * Cost: the views of a root share the parts a commit did not change, and
 * the diff skips what the old and the new view share (such sections are
 * equal, with equal dirty masks: the deletion pass and log_start/log_stop
 * have nothing to say about them). A commit thus costs listeners the
 * sections it changed, not the size of the view, unless some listener of
 * the AddressSpace has region_nop: QEMU calls it for every unchanged
 * section, so then the whole view is walked. The calls made are the same
 * either way.
 */
#ifndef ADDRSPACE_LISTENER_H
#define ADDRSPACE_LISTENER_H

#include <addrspace/address-space.h>

ADDRSPACE_BEGIN_DECLS

typedef struct MemoryListener MemoryListener;

/**
 * struct MemoryListener - callbacks on changes of one AddressSpace's view.
 *
 * Caller-allocated (zero-filled) storage that must stay valid while
 * registered. Every callback is optional (NULL: not called). See the file
 * comment for the order and the context of the calls.
 */
struct MemoryListener {
    /** @begin: a commit (or a registration replay) starts. */
    void (*begin)(MemoryListener *listener);
    /** @commit: the commit (or replay) begun by @begin ends. */
    void (*commit)(MemoryListener *listener);
    /** @region_add: @section appeared in the view. */
    void (*region_add)(MemoryListener *listener, MemoryRegionSection *section);
    /** @region_del: @section (of the old view) disappeared. */
    void (*region_del)(MemoryListener *listener, MemoryRegionSection *section);
    /** @region_nop: @section is unchanged by this commit. */
    void (*region_nop)(MemoryListener *listener, MemoryRegionSection *section);
    /**
     * @log_start: dirty logging started on @section for the clients in
     * @new_mask & ~@old_mask (bit 1 << DIRTY_MEMORY_*).
     */
    void (*log_start)(MemoryListener *listener, MemoryRegionSection *section,
                      int old_mask, int new_mask);
    /**
     * @log_stop: dirty logging stopped on @section for the clients in
     * @old_mask & ~@new_mask.
     */
    void (*log_stop)(MemoryListener *listener, MemoryRegionSection *section,
                     int old_mask, int new_mask);
    /**
     * @log_sync: copy dirty state kept outside the library into its
     * bitmaps for @section (a section with dirty logging on); called by
     * memory_region_snapshot_and_clear_dirty() before it reads the bitmap,
     * for each section of the listener's view that maps that region.
     */
    void (*log_sync)(MemoryListener *listener, MemoryRegionSection *section);
    /**
     * @priority: ordering among listeners: ascending for begin, commit,
     * region_add, region_nop, log_start and log_sync; descending for
     * region_del and log_stop. Equal priorities keep registration order.
     */
    unsigned priority;
    /** @name: for diagnostics; may be NULL. Not copied. */
    const char *name;
    /** @priv: private state; zero while unregistered. */
    struct {
        AddressSpace *as;
    } priv;
};

/**
 * memory_listener_register() - Register @listener on @as and replay the
 * current view to it.
 * @listener: zero-filled or unregistered listener with its callbacks set;
 *            must stay valid until memory_listener_unregister() (or
 *            address_space_destroy() of @as).
 * @as: an initialised AddressSpace.
 *
 * The replay calls, on @listener only: begin, then region_add for every
 * section of the current view in address order, each followed by
 * log_start(section, 0, mask) when the section's dirty_log_mask is not 0,
 * then commit. Changes pending in an open transaction of the calling
 * thread are not in the replay; they arrive with that transaction's
 * commit. A listener that is already registered, or a NULL or
 * uninitialised argument, is ignored.
 * Context: takes the update lock; must not be called from a listener
 * callback.
 */
void memory_listener_register(MemoryListener *listener, AddressSpace *as);

/**
 * memory_listener_unregister() - Detach @listener from its AddressSpace.
 * @listener: a listener; an unregistered one is ignored.
 *
 * Like QEMU's listener_del_address_space(), calls on @listener only:
 * begin, then for every section of the current view log_stop(section,
 * mask, 0) when the section's dirty_log_mask is not 0 and region_del,
 * then commit. After the call no callback of @listener runs any more and
 * its storage may be freed or registered again.
 * Context: takes the update lock; must not be called from a listener
 * callback.
 */
void memory_listener_unregister(MemoryListener *listener);

/**
 * memory_listener_address_space() - The AddressSpace @listener is
 * registered on.
 * @listener: a listener.
 * Return: the AddressSpace, or NULL when unregistered.
 */
AddressSpace *memory_listener_address_space(const MemoryListener *listener);

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_LISTENER_H */
