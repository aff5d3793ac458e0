/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of memory/: region state, the update lock, change
 * tracking for commits, RAM blocks. Not installed.
 */
#ifndef ADDRSPACE_MEMORY_INTERNAL_H
#define ADDRSPACE_MEMORY_INTERNAL_H

#include <addrspace/address-space.h>
#include <addrspace/bql.h>
#include <addrspace/error.h>
#include <addrspace/memory.h>
#include <addrspace/ram-discard.h>

#include "tree.h"
#include "../flatview/view.h"

#define MR_MAGIC 0x4d526731u /* "MRg1" */
#define AS_MAGIC 0x41536731u /* "ASg1" */

static inline bool mr_is_initialised(const MemoryRegion *mr)
{
    return mr && mr->priv.magic == MR_MAGIC;
}

/* A size given at init: UINT64_MAX means 2^64 (QEMU's convention). */
static inline addrspace_u128 mr_size_from_u64(uint64_t size)
{
    return size == UINT64_MAX ? SIZE_2_64 : (addrspace_u128)size;
}

/*
 * Last valid offset of @mr (size - 1), for readers that do not hold the
 * update lock (the dispatcher): memory_region_set_size() may change it
 * concurrently, so it is read atomically.
 */
static inline uint64_t mr_size_last_relaxed(const MemoryRegion *mr)
{
    return __atomic_load_n(&mr->priv.size_last, __ATOMIC_RELAXED);
}

/*
 * Whether @mr opted in to the mmio-bounds deviation
 * (memory_region_enable_bounds_check()). Read by the general dispatch and
 * the buffer loops only, never on the fast paths' in-range accesses.
 */
static inline bool mr_bounds_checked(const MemoryRegion *mr)
{
    return __atomic_load_n(&mr->priv.bounds_check, __ATOMIC_RELAXED);
}

/*
 * Sets size, size_last and size_zero together; caller holds the update
 * lock. A size of 0 (QEMU accepts it) leaves size_last at its last bound:
 * FlatViews rendered before still map the old range, and the dispatcher's
 * bounds check (with the mmio-bounds opt-in) keeps refusing what lies past
 * it. size_zero is stored
 * last, with release: a reader that sees it clear sees the new size_last.
 */
static inline void mr_set_size_locked(MemoryRegion *mr, addrspace_u128 size)
{
    mr->priv.size = size;
    if (size) {
        __atomic_store_n(&mr->priv.size_last, (uint64_t)(size - 1),
                         __ATOMIC_RELAXED);
    }
    __atomic_store_n(&mr->priv.size_zero, size == 0, __ATOMIC_RELEASE);
}

/* The update lock: a recursive mutex serialising every tree mutation.
 * Taking it also takes the big lock if the thread does not hold it (the
 * lock order of bql.h). */
void memory_update_lock(void);
void memory_update_unlock(void);

/*
 * Record that @mr changed in a way that may change rendering. Marks @mr
 * and its parent; the next outermost commit re-renders every root whose
 * tree reaches a marked region. Caller holds the update lock.
 */
void memory_region_changed_locked(MemoryRegion *mr);

/*
 * Like memory_region_changed_locked(), for a change of rendering confined
 * to [@start, @end) of @mr's own addresses (an access hook's range on a
 * view's root): only that window is re-rendered. Caller holds the update
 * lock.
 */
void memory_region_range_changed_locked(MemoryRegion *mr, addrspace_u128 start,
                                        addrspace_u128 end);

/*
 * Whether @to is @from or is reached from it through subregions or alias
 * targets (cycle detection). Caller holds the update lock.
 */
bool memory_region_reaches_locked(MemoryRegion *from, MemoryRegion *to);

/*
 * The address-ordered index of @mr's subregions (child-index.c): add @sub
 * once it is linked (address, size and add_seq set), delete it before its
 * address, size or add_seq change or it is unlinked. Update lock held.
 */
void memory_region_child_index_add_locked(MemoryRegion *mr, MemoryRegion *sub);
void memory_region_child_index_del_locked(MemoryRegion *mr, MemoryRegion *sub);

/* Drop @mr from the pending change set (it is being finalized). */
void memory_region_forget_locked(MemoryRegion *mr);

/* Effective root for FlatView sharing (QEMU's get_flatview_root rules). */
MemoryRegion *memory_region_flatview_root_locked(MemoryRegion *mr);

/*
 * An AddressSpace handed to an entry point is not initialised (NULL, zero
 * filled, destroyed, or garbage without AS_MAGIC): a caller bug. Logs one
 * critical message per process naming @func; the entry point then answers
 * as for a hole (MEMTX_DECODE_ERROR, reads give 0) or does nothing.
 */
void address_space_report_invalid(const AddressSpace *as, const char *func);

/* Whether @as is initialised; if not, reports it (above). */
static inline bool address_space_check(const AddressSpace *as, const char *func)
{
    if (__builtin_expect(as && as->priv.magic == AS_MAGIC, 1)) {
        return true;
    }
    address_space_report_invalid(as, func);
    return false;
}

/*
 * For memory_section_resolve_iommu_rcu(): whether @target, the
 * AddressSpace an IOMMU's translate callback returned for region @iommu,
 * is initialised; if not, logs one critical message per process naming the
 * IOMMU (the access is then a refused translation).
 */
bool address_space_check_iommu_target(const AddressSpace *target,
                                      const MemoryRegion *iommu);

/* Walk every initialised AddressSpace in creation order (update lock). */
typedef void (*AddressSpaceVisitor)(AddressSpace *as, void *opaque);
void address_space_foreach_locked(AddressSpaceVisitor fn, void *opaque);

/*
 * The FlatView @as uses now (the one its group publishes). Caller holds
 * the update lock, which keeps the view current and referenced; no
 * read-side section is needed.
 */
FlatView *address_space_view_locked(AddressSpace *as);

/*
 * address_space_generation_slot(): where @as's view generation lives: a
 * counter stored (release) each time a new view is published for @as,
 * after the view's index pointer, with a value never used before by any
 * AddressSpace. Valid from address_space_init() to address_space_destroy()
 * of an initialised @as; read it with an atomic load.
 */
const uint64_t *address_space_generation_slot(AddressSpace *as);

/*
 * The address windows a commit round may have changed (change-windows.c).
 * memory_change_windows_note_locked(): @mr is changing (called where
 * memory_region_changed_locked() is; the _range_ form: only in [@start,
 * @end) of its own addresses): its content may change everywhere it
 * is rendered, and its range in its container, as it is now, may too.
 * memory_change_windows_forget_locked(): drop what was noted about @mr
 * (it is being finalized). memory_change_windows_take_locked(): the notes
 * of this round (new notes start the next one).
 * memory_change_windows_of_locked(): the windows, in @root's own
 * addresses, that the notes may have changed in @root's rendering, carried
 * up through containers and alias windows, appended to @out (FlatWindow);
 * false when that is not known (too many notes or steps): render @root
 * whole. memory_change_windows_release_locked(): done with @cw (kept for
 * the next round: a commit allocates nothing for its notes). All under the
 * update lock.
 */
typedef struct ChangeWindows ChangeWindows;
void memory_change_windows_note_locked(MemoryRegion *mr);
void memory_change_windows_note_range_locked(MemoryRegion *mr,
                                             addrspace_u128 start,
                                             addrspace_u128 end);
void memory_change_windows_forget_locked(MemoryRegion *mr);
ChangeWindows *memory_change_windows_take_locked(void);
bool memory_change_windows_of_locked(const ChangeWindows *cw,
                                     MemoryRegion *root, GArray *out);
void memory_change_windows_release_locked(ChangeWindows *cw);

/*
 * Re-render and publish the views of AddressSpaces affected by the changes
 * recorded since the last commit (mark epoch @epoch; @cw: their windows).
 * Caller holds the update lock. Implemented in address-space.c.
 */
void address_spaces_commit_locked(uint64_t epoch, const ChangeWindows *cw);

/*
 * MMIO dispatch (dispatch.c): one access of @size (1, 2, 4 or 8) bytes at
 * @offset in @mr, a region with ops (MMIO, ROM device, reservation).
 * @value is exchanged in the byte order @order: serialising it that way
 * gives the bytes the guest sees at @offset..@offset+@size-1, where a
 * register's bytes are its value serialised in the device's endianness
 * (DEVICE_NATIVE_ENDIAN, the value's or the device's, resolves to
 * @target_big: addrspace_endian_big()). Applies QEMU
 * 7.2's memory_region_dispatch_read/_write(): memory_region_access_valid()
 * (valid.accepts first), access_with_adjusted_size() (callbacks of
 * clamp(size, impl.min, impl.max) bytes at @offset + i, QEMU's shifts and
 * masks), adjust_endianness(); then the big lock and the region lock
 * around the callbacks, the re-entrancy guard, and, for a region that
 * opted in to mmio-bounds, the callback-bounds invariant, as documented at
 * struct MemoryRegionOps (else, as in QEMU, callbacks may pass the end).
 * ROM devices always go to their ops: callers handle romd-mode reads.
 * Return: MEMTX_DECODE_ERROR, with no callback and a read value of 0, for
 * regions without ops (reservations: QEMU's unassigned ops), other sizes,
 * any byte past the region's end with mmio-bounds, impl.min_access_size
 * above 8, or what
 * memory_region_access_valid() refuses; MEMTX_ACCESS_ERROR, with no
 * callback, from the re-entrancy guard; otherwise the OR of the callbacks'
 * results. Only the low @size bytes of a written value are used; a read
 * value has no other bytes set.
 * Context: inside a read-side section; any thread; takes the big lock
 * (unless held or cleared for @mr) and @mr's lock.
 */
MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr offset,
                                        uint64_t *value, unsigned size,
                                        enum device_endian order,
                                        bool target_big, MemTxAttrs attrs);
MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr offset,
                                         uint64_t value, unsigned size,
                                         enum device_endian order,
                                         bool target_big, MemTxAttrs attrs);

/*
 * The fast sizes of @ops: those whose naturally aligned accesses the ops
 * accept without asking (valid size range, no valid.accepts) and serve in
 * callbacks that neither widen the access nor overhang it, so that every
 * such access is size / a ascending callbacks of a = MIN(size, piece size)
 * bytes, a a power of two. A mask of the sizes themselves (1 | 2 | 4 | 8),
 * 0 for NULL ops. Computed once when a region's ops are set (region.c
 * stores it in mr->priv.fast_sizes, which render copies into sections).
 */
unsigned memory_region_ops_fast_sizes(const MemoryRegionOps *ops);

/*
 * The piece size P of @ops' fast sizes (a fast access of s bytes makes
 * callbacks of MIN(s, P) bytes), at most 8; 0 for ops without fast sizes:
 * the inline MMIO path of static/access-inline.h cuts accesses into such
 * pieces (FLAT_SECTION_PIECE_SHIFT). Stored in mr->priv.piece_size when
 * the ops are set.
 */
unsigned memory_region_ops_piece_size(const MemoryRegionOps *ops);

/*
 * memory_region_load_fast()/_store_fast() (static/access-inline.h): the
 * out-of-line MMIO entry of an access the caller found fast; they skip the
 * planning and are tested against the general path.
 */

/*
 * QEMU's memory_region_access_valid(): whether the bus accepts the access
 * (true exactly when dispatch would not refuse it with
 * MEMTX_DECODE_ERROR). Besides QEMU's valid rules it checks the size and,
 * with mmio-bounds, the region's end, and refuses impl.min_access_size
 * above 8; it may call valid.accepts (under the big lock and the region lock,
 * as dispatch does), but never a read or write callback.
 */
bool memory_region_access_valid(MemoryRegion *mr, hwaddr offset, unsigned size,
                                bool is_write, MemTxAttrs attrs);

/*
 * QEMU's memory_access_size(): the size of the next chunk of a buffer
 * access of @len bytes at @offset in @mr: the largest power of two not
 * above @len, valid.max_access_size (0 means 4; at most 8) and, unless
 * impl.unaligned (QEMU reads that flag here, not valid.unaligned), the
 * alignment of @offset. 0 when @len is 0. Regions without ops use the
 * defaults.
 */
unsigned memory_access_size(MemoryRegion *mr, unsigned len, hwaddr offset);

/* IOMMU regions (iommu.c). */
typedef struct IOMMUState IOMMUState;
void memory_region_iommu_free(MemoryRegion *mr);

/*
 * The section that finally answers *@addr, found in section @s, after
 * following IOMMU regions (QEMU's address_space_translate_iommu). On return
 * *@addr is the address in the returned section's view and *@limit the
 * number of bytes from there that the translation covers (UINT64_MAX: no
 * limit). Returns NULL for a hole, a refused permission or a chain deeper
 * than IOMMU_MAX_CHAIN (QEMU: unassigned); @s itself when it is not an
 * IOMMU. When @view is not NULL, *@view (in: @s's view) is set to the view
 * of the returned section. Context: inside a read-side section.
 */
const FlatSection *memory_section_resolve_iommu_rcu(const FlatSection *s,
                                                    hwaddr *addr, bool is_write,
                                                    MemTxAttrs attrs,
                                                    uint64_t *limit,
                                                    FlatView **view);

/*
 * Release @as's mapping state (map.c): bounce buffers, references held by
 * mappings never unmapped, waiting map clients. Called by
 * address_space_destroy() with the update lock held.
 */
void address_space_bounce_destroy_locked(AddressSpace *as);

/* The region that answers holes (QEMU's io_mem_unassigned). */
MemoryRegion *memory_region_unassigned(void);

/*
 * The per-section steps of the access path (access.c), shared by
 * address_space_*() and the FlatView's GuestRegions (flatview/section.c)
 * so that both follow the same rules. @section is the section holding
 * @addr (NULL: a hole); the target byte order is @as's, or
 * @target_big_endian when @as is NULL. Context: inside the read-side
 * section that found @section.
 *
 * memory_section_access_step(): one step of a buffer access at @addr of at
 * most @len bytes (len >= 1): RAM is copied up to the section's end, MMIO
 * gives one chunk (memory_access_size()) to the region decoding @addr,
 * which may pass that region's end and 2^64 as in QEMU (not the region's
 * end with the mmio-bounds opt-in). Returns the bytes consumed; ORs the
 * result into *@res.
 * memory_section_load()/_store(): one typed access, never split (QEMU's
 * address_space_ld*_internal); @order is the value's byte order.
 */
uint64_t memory_section_access_step(const FlatSection *section, hwaddr addr,
                                    uint8_t *buf, uint64_t len, bool is_write,
                                    MemTxAttrs attrs, const AddressSpace *as,
                                    bool target_big_endian, MemTxResult *res);
MemTxResult memory_section_load(const FlatSection *section, hwaddr addr,
                                unsigned size, enum device_endian order,
                                MemTxAttrs attrs, const AddressSpace *as,
                                bool target_big_endian, uint64_t *value);
MemTxResult memory_section_store(const FlatSection *section, hwaddr addr,
                                 unsigned size, uint64_t val,
                                 enum device_endian order, MemTxAttrs attrs,
                                 const AddressSpace *as,
                                 bool target_big_endian);

/*
 * The region interface of views' sections (guest-view.c): the ops every
 * section's GuestRegion header is rendered with.
 */
extern const GuestRegionOps flatview_region_ops;

/* RAM blocks (ram.c). */
RAMBlock *ram_block_new_anon(uint64_t size, GError **errp);
RAMBlock *ram_block_new_ptr(uint64_t size, void *ptr);
RAMBlock *ram_block_new_fd(uint64_t size, bool share, int fd, uint64_t offset,
                           GError **errp);
RAMBlock *ram_block_new_memfd(const char *name, uint64_t size, GError **errp);
RAMBlock *ram_block_new_resizeable(uint64_t size, uint64_t max_size,
                                   GError **errp);
void ram_block_free(RAMBlock *rb);

/* The ops of every RAM device (ram.c; QEMU's ram_device_mem_ops). */
extern const MemoryRegionOps ram_device_mem_ops;

/* The host's page size (sysconf), and @size rounded up to it. */
uint64_t ram_host_page_size(void);
uint64_t ram_host_page_align(uint64_t size);

/*
 * QEMU's ram_block_discard_range(): give [@start, @start + @length) of
 * @rb back to the host, so that it reads as zeros and uses no memory
 * until written again: fallocate(PUNCH_HOLE) on the file of fd-backed
 * blocks, then madvise(MADV_DONTNEED) on the mapping (MADV_REMOVE for
 * shared memory without file). @start and @length must be host-page
 * aligned and inside @rb. Dirty bits are not touched (QEMU's behaviour;
 * callers that must tell snapshots mark DIRTY_MEMORY_SNAPSHOT).
 * Return: false with @errp set (the OS's reason) on failure.
 */
bool ram_block_discard_range(RAMBlock *rb, uint64_t start, uint64_t length,
                             GError **errp);

/*
 * Dirty tracking (dirty.c). Set the bits of the clients in @mask for the
 * pages that [@offset, @offset + @len) touches in @rb (clamped to the
 * block); clients whose bitmap was never allocated are skipped.
 * Context: any thread; lock-free.
 */
void ram_block_set_dirty_range(RAMBlock *rb, uint64_t offset, uint64_t len,
                               uint8_t mask);

/* Free the dirty bitmaps of @rb (ram_block_free(); no writer is left). */
void ram_block_dirty_free(RAMBlock *rb);

/*
 * Clear the bits of the clients in @mask for the pages [@offset, @offset +
 * @len) touches (QEMU's cpu_physical_memory_clear_dirty_range()). Context:
 * any thread; atomic per word.
 */
void ram_block_clear_dirty_range(RAMBlock *rb, uint64_t offset, uint64_t len,
                                 uint8_t mask);

/* @client's bitmap of @rb (NULL until the client was first enabled), and
 * the number of pages (bits) it covers. */
uint64_t *ram_block_dirty_bitmap(RAMBlock *rb, unsigned client);
uint64_t ram_block_nr_pages(const RAMBlock *rb);

/*
 * Turn DIRTY_MEMORY_SNAPSHOT on or off for @mr (snapshot.c; the public
 * memory_region_set_log() refuses that client). A transaction of its own
 * or part of the caller's.
 */
void memory_region_set_snapshot_log(MemoryRegion *mr, bool log);

/*
 * RAM snapshots (snapshot.c). ram_snapshot_block_gone_locked(): @rb is
 * being freed (its region finalized while snapshots still covered it, a
 * caller's mistake for owner-less regions); the snapshots forget it.
 * Caller holds the update lock.
 */
void ram_snapshot_block_gone_locked(RAMBlock *rb);

/*
 * The plug manager's state for snapshots (discard.c). Caller holds the
 * update lock for all of these.
 * ram_plug_manager_of(): @rdm as a RamPlugManager, NULL for another
 * implementation.
 * ram_plug_manager_save_locked(): a copy of the plugged bitmap (one bit
 * per block, g_free() it), and the number of blocks.
 * ram_plug_manager_load_locked(): plug and unplug blocks until the state
 * is @bitmap (of @nr_blocks blocks), with the listeners' notifications;
 * false when a listener refuses a plug (the blocks done so far stay done)
 * or @nr_blocks is not the manager's.
 */
RamPlugManager *ram_plug_manager_of(RamDiscardManager *rdm);
uint64_t *ram_plug_manager_save_locked(RamPlugManager *pm, uint64_t *nr_blocks);
bool ram_plug_manager_load_locked(RamPlugManager *pm, const uint64_t *bitmap,
                                  uint64_t nr_blocks, GError **errp);

/*
 * The access path's hook after a direct RAM write of @len bytes at
 * @offset in @section's region: marks the pages for the clients that were
 * logging when @section's view was rendered (its dirty_log_mask: no race
 * with memory_region_set_log()). One byte test when logging is off.
 * Context: inside the read-side section that found @section.
 */
static inline void ram_block_mark_dirty(const FlatSection *section,
                                        hwaddr offset, hwaddr len)
{
    if (__builtin_expect(
            (section->region.impl_flags & FLAT_SECTION_LOG_MASK) != 0, 0)) {
        ram_block_set_dirty_range(
            section->mr->priv.ram_block, offset, len,
            (uint8_t)(section->region.impl_flags >> FLAT_SECTION_LOG_SHIFT));
    }
}

/*
 * For map.c: the guest wrote [@offset, @offset + @len) of @mr's RAM
 * through a mapped pointer (address_space_unmap() of a written buffer).
 * Marks the pages for the clients @mr logs now. No-op for regions without
 * RAM. Context: any thread; lock-free.
 */
void memory_region_mark_written(MemoryRegion *mr, hwaddr offset, hwaddr len);

/*
 * Listeners (listener.c). Caller holds the update lock for all of these.
 *
 * memory_listeners_begin_locked()/memory_listeners_commit_locked(): begin
 * and commit on every registered listener, ascending priority; called
 * around each commit round that re-renders (address_spaces_commit_locked).
 * memory_listeners_view_changed_locked(): @as switched from @old_view to
 * @new_view (both referenced by the caller); gives @as's listeners the
 * region_del / region_add / region_nop / log_start / log_stop diff.
 * memory_listeners_remove_all_locked(): unregister every listener of @as
 * (address_space_destroy()).
 * memory_listeners_log_sync(): log_sync on every listener whose view maps
 * @mr with logging on; takes the update lock only when some listener has a
 * log_sync callback.
 */
void memory_listeners_begin_locked(void);
void memory_listeners_commit_locked(void);
void memory_listeners_view_changed_locked(AddressSpace *as, FlatView *old_view,
                                          FlatView *new_view);
void memory_listeners_remove_all_locked(AddressSpace *as);
void memory_listeners_log_sync(MemoryRegion *mr);

/*
 * Whether a listener callback of a commit round is running (on the update
 * lock's holder); if so, its listener's name (NULL if unnamed) in *@name
 * and the callback's ("region_add", ...) in *@callback. Caller holds the
 * update lock.
 */
bool memory_listener_running_locked(const char **name, const char **callback);

/*
 * Count the listeners registered on @as in its group (address-space.c),
 * so that a commit skips the listener hook for groups without any.
 */
void address_space_listeners_changed_locked(AddressSpace *as, int delta);

#endif /* ADDRSPACE_MEMORY_INTERNAL_H */
