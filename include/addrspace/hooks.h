/* SPDX-License-Identifier: MIT */
/**
 * @file hooks.h
 * @brief Memory access hooks and watchpoints: observe the reads and
 * writes made on a range of an AddressSpace.
 *
 * A hook is a callback attached to an inclusive range [@first, @last] of
 * an AddressSpace for reads, writes or both (Unicorn's UC_HOOK_MEM_READ /
 * _WRITE, reported after the access). Watchpoints (QEMU's
 * cpu_watchpoint_insert() with BP_MEM_READ / BP_MEM_WRITE) are hooks that
 * keep a hit record.
 *
 * What is observed: the accesses made on the AddressSpace, by its address
 * (before any IOMMU translation), whatever answers them: RAM, ROM, ROM
 * devices, MMIO, reservations and holes (a hole reports
 * MEMTX_DECODE_ERROR and the library's "unassigned" region):
 * - typed loads and stores (address_space_ld* / st*, ld*_phys, st*_phys,
 *   the *_cached ones of a cache that is not direct): one report per
 *   access, never split, with the value loaded or stored;
 * - buffer accesses (address_space_read / write / rw / set, dma_memory_*):
 *   one report per piece of QEMU's access loop that touches the hook's
 *   range: a RAM piece runs to the end of its section, an MMIO or hole
 *   piece is one chunk (what one dispatch gets), so a trace of MMIO
 *   dispatches is the MMIO pieces;
 * - address_space_map(): a mapping of a hooked range goes through a
 *   bounce buffer, as QEMU maps MMIO, so that the accesses are seen: a
 *   read mapping reports the reads that fill the buffer at map, a write
 *   mapping the write-back at unmap (buffer accesses, above). The direct
 *   part of a mapping stops before the first hooked byte. The caller sees
 *   what it sees for MMIO: a length that may be shorter, and NULL when
 *   the bounce space is busy (address_space_register_map_client()).
 * Not observed: address_space_write_rom() (a loader, not an access), the
 * checks address_space_access_valid() and address_space_translate(), a
 * MemoryRegionCache made direct before the hook was added (its host
 * pointer is used as is), memory a caller reaches through host pointers
 * (memory_region_get_ram_ptr(), a FlatView's or guest_memory_from_address_
 * space()'s GuestMemory), and accesses made by a hook callback on its own
 * thread (no recursion).
 *
 * Cost: none while no hook is registered on the AddressSpace: the inline
 * RAM and MMIO fast paths of static/access-inline.h are unchanged. Adding
 * or removing a hook re-renders the hooked window of the AddressSpace's
 * view (like a topology change) so that the sections overlapping a hooked
 * range get FLAT_SECTION_HOOK_* flags; accesses to them go out of line,
 * which calls the
 * hooks. Unhooked ranges keep the inline path. The out-of-line paths test
 * one pointer of the AddressSpace. Other AddressSpaces that share the
 * view (same effective root) take the out-of-line path on the hooked
 * ranges too, but see no hook.
 *
 * Concurrency: hook lists are published with RCU. Accessing threads never
 * lock; add and remove take the update lock and may be called from any
 * registered thread, a hook callback included (a callback may remove its
 * own hook or add others). An access that starts after
 * address_space_hook_add() returned is reported; one in flight on another
 * thread may or may not be. After address_space_hook_remove() returns,
 * the removing thread never calls the hook again; other threads in the
 * middle of an access may still call it until they leave their read-side
 * section: the hook's @destroy notifier runs after that (a grace period,
 * on the RCU reclamation thread), so @opaque must stay valid until then
 * (drain_call_rcu() waits for it).
 */
#ifndef ADDRSPACE_HOOKS_H
#define ADDRSPACE_HOOKS_H

#include <addrspace/address-space.h>

ADDRSPACE_BEGIN_DECLS

/** Observe reads (typed loads, buffer reads). */
#define ADDRSPACE_HOOK_READ 0x1u
/** Observe writes (typed stores, buffer writes). */
#define ADDRSPACE_HOOK_WRITE 0x2u
/** Observe both. */
#define ADDRSPACE_HOOK_ACCESS (ADDRSPACE_HOOK_READ | ADDRSPACE_HOOK_WRITE)

/**
 * struct AddressSpaceAccess - one observed access (or piece of one).
 * @addr: first address, in the AddressSpace.
 * @size: bytes (1, 2, 4 or 8 for typed accesses).
 * @value: typed accesses: the value loaded (after the load) or stored, in
 *         the access's byte order as the caller passes or gets it. Buffer
 *         accesses: the first MIN(@size, 8) bytes of @data read as a
 *         little-endian number (what one MMIO chunk carried).
 * @data: buffer accesses: the piece's bytes in the caller's buffer (for a
 *        read, after the read); NULL for typed accesses. Valid only during
 *        the callback.
 * @attrs: the access's attributes.
 * @result: the result of this access or piece.
 * @is_write: true for a write or store.
 * @typed: true for a typed load or store (never split), false for a
 *         piece of a buffer access.
 * @big_endian: typed accesses: @value's byte order.
 * @mr: the region of the AddressSpace's view that answers @addr (an IOMMU
 *      region itself, not its translation), or the library's
 *      "unassigned" region for a hole. Valid only during the callback.
 * @offset: @addr's offset in @mr (for a hole: @addr).
 */
typedef struct AddressSpaceAccess {
    hwaddr addr;
    uint64_t size;
    uint64_t value;
    const uint8_t *data;
    MemTxAttrs attrs;
    MemTxResult result;
    bool is_write;
    bool typed;
    bool big_endian;
    MemoryRegion *mr;
    hwaddr offset;
} AddressSpaceAccess;

/**
 * AddressSpaceHookFunc - a hook callback.
 * @as: the AddressSpace accessed.
 * @access: the access (valid during the call).
 * @opaque: as given to address_space_hook_add().
 *
 * Called after the access, in the accessing thread, inside its RCU
 * read-side section, with whatever locks the accessing code holds (the big
 * lock when the access comes from a device callback that holds it). It
 * may access memory (those accesses are not reported), add and remove
 * hooks (its own included) and change the topology, but must not wait for
 * a grace period (synchronize_rcu(), drain_call_rcu()).
 */
typedef void AddressSpaceHookFunc(AddressSpace *as,
                                  const AddressSpaceAccess *access,
                                  void *opaque);

/** AddressSpaceHook - a registered hook (opaque handle). */
typedef struct AddressSpaceHook AddressSpaceHook;

/**
 * address_space_hook_add() - Observe the accesses to [@first, @last].
 * @as: an initialised address space.
 * @first: first address of the range.
 * @last: last address (inclusive: 0 and UINT64_MAX cover the whole space).
 * @flags: ADDRSPACE_HOOK_READ, ADDRSPACE_HOOK_WRITE or both.
 * @func: the callback.
 * @opaque: passed to @func.
 * @destroy: if not NULL, called with @opaque once no thread can call
 *           @func any more (after the hook's removal and a grace period,
 *           on the RCU reclamation thread; or at address_space_destroy()).
 * @errp: error return.
 *
 * Re-renders @as's view (one commit; inside a transaction, at its
 * outermost commit: until then the inline fast paths do not see the
 * hook). Hooks are called in the order they were added.
 * Context: any registered thread, a hook callback included; takes the
 * update lock.
 * Return: the hook (owned by @as until removed), or NULL with
 * ADDRSPACE_ERROR_INVALID (@as not initialised, @func NULL, @flags empty
 * or with other bits, @first > @last); nothing changed.
 */
AddressSpaceHook *address_space_hook_add(AddressSpace *as, hwaddr first,
                                         hwaddr last, unsigned flags,
                                         AddressSpaceHookFunc *func,
                                         void *opaque, GDestroyNotify destroy,
                                         GError **errp);

/**
 * address_space_hook_remove() - Remove a hook.
 * @as: the address space it was added to.
 * @hook: the hook.
 * @errp: error return.
 *
 * See the file comment for when @func stops being called and @destroy
 * runs. Re-renders the view (as address_space_hook_add()).
 * Context: any registered thread, a hook callback included; takes the
 * update lock.
 * Return: true; false with ADDRSPACE_ERROR_NOT_FOUND when @hook is not a
 * hook of @as (already removed, or another AddressSpace's): @hook is not
 * dereferenced then.
 */
bool address_space_hook_remove(AddressSpace *as, AddressSpaceHook *hook,
                               GError **errp);

/* Watchpoints: QEMU's flag values (hw/core/cpu.h). */
#ifndef BP_MEM_READ
/** Watch reads. */
#define BP_MEM_READ 0x01
/** Watch writes. */
#define BP_MEM_WRITE 0x02
/** Watch both. */
#define BP_MEM_ACCESS (BP_MEM_READ | BP_MEM_WRITE)
/** QEMU: stop before the access. Refused here (hooks report after). */
#define BP_STOP_BEFORE_ACCESS 0x04
/** A debugger's watchpoint (a tag for address_space_watchpoint_remove_all). */
#define BP_GDB 0x10
/** The CPU's own watchpoint (a tag, as BP_GDB). */
#define BP_CPU 0x20
/** Any tag. */
#define BP_ANY (BP_GDB | BP_CPU)
/** Set in a hit record's flags: a read hit. */
#define BP_WATCHPOINT_HIT_READ 0x40
/** Set in a hit record's flags: a write hit. */
#define BP_WATCHPOINT_HIT_WRITE 0x80
/** Either hit bit. */
#define BP_WATCHPOINT_HIT (BP_WATCHPOINT_HIT_READ | BP_WATCHPOINT_HIT_WRITE)
#endif

/**
 * struct AddressSpaceWatchpointHit - what a watchpoint saw.
 * @count: accesses that hit it since insertion or the last reset.
 * @flags: the watchpoint's flags, with BP_WATCHPOINT_HIT_READ and/or
 *         BP_WATCHPOINT_HIT_WRITE for the kinds of hit since the reset.
 * @hitaddr: of the last hit: MAX(access address, watchpoint address)
 *           (QEMU's wp->hitaddr).
 * @hitattrs: of the last hit: the access's attributes.
 * @access: the last hit access (its @data and @mr are NULL: they were
 *          valid only during the access).
 */
typedef struct AddressSpaceWatchpointHit {
    uint64_t count;
    int flags;
    hwaddr hitaddr;
    MemTxAttrs hitattrs;
    AddressSpaceAccess access;
} AddressSpaceWatchpointHit;

/** AddressSpaceWatchpoint - an inserted watchpoint (opaque handle). */
typedef struct AddressSpaceWatchpoint AddressSpaceWatchpoint;

/**
 * AddressSpaceWatchpointFunc - called on each hit, after the hit record
 * was updated.
 * @as: the AddressSpace.
 * @wp: the watchpoint.
 * @hit: the hit record as of this hit (a copy).
 * @opaque: as given at insertion.
 *
 * Context: as AddressSpaceHookFunc (it may remove @wp).
 */
typedef void AddressSpaceWatchpointFunc(AddressSpace *as,
                                        AddressSpaceWatchpoint *wp,
                                        const AddressSpaceWatchpointHit *hit,
                                        void *opaque);

/**
 * address_space_watchpoint_insert() - Watch [@addr, @addr + @len) of @as.
 * @as: an initialised address space.
 * @addr: first address.
 * @len: bytes (not 0; the range must not run past 2^64).
 * @flags: BP_MEM_READ and/or BP_MEM_WRITE, plus the tags BP_GDB, BP_CPU.
 * @func: if not NULL, called on each hit.
 * @opaque: passed to @func.
 * @wp: if not NULL, set to the watchpoint.
 * @errp: error return.
 *
 * QEMU's cpu_watchpoint_insert() on an AddressSpace: an access hits when
 * its range overlaps the watchpoint's and its direction is in @flags. A
 * hit sets BP_WATCHPOINT_HIT_READ or _WRITE, hitaddr and hitattrs as QEMU
 * does, counts, then calls @func. Unlike QEMU, which stops the vCPU, the
 * access has already happened; the hit bits stay set until
 * address_space_watchpoint_reset_hit() (QEMU clears them when the vCPU
 * moves on). Built on address_space_hook_add(): what is observed and when
 * is said there.
 * Context: as address_space_hook_add().
 * Return: true; false with ADDRSPACE_ERROR_INVALID (QEMU's -EINVAL: @len
 * 0 or wrapping; also no direction, BP_STOP_BEFORE_ACCESS or unknown
 * bits, @as not initialised).
 */
bool address_space_watchpoint_insert(AddressSpace *as, hwaddr addr, hwaddr len,
                                     int flags,
                                     AddressSpaceWatchpointFunc *func,
                                     void *opaque, AddressSpaceWatchpoint **wp,
                                     GError **errp);

/**
 * address_space_watchpoint_remove() - Remove the first watchpoint of @as
 * inserted with exactly @addr, @len and @flags (QEMU's
 * cpu_watchpoint_remove()).
 * @as: the address space.
 * @addr: its address.
 * @len: its length.
 * @flags: its flags (hit bits ignored).
 *
 * Context: as address_space_hook_remove().
 * Return: true if one was removed, false if none matched (QEMU: -ENOENT).
 */
bool address_space_watchpoint_remove(AddressSpace *as, hwaddr addr, hwaddr len,
                                     int flags);

/**
 * address_space_watchpoint_remove_by_ref() - Remove @wp.
 * @as: the address space.
 * @wp: a watchpoint of @as.
 *
 * @wp must not be used afterwards (it is freed after a grace period).
 * Context: as address_space_hook_remove().
 * Return: true; false if @wp is not a watchpoint of @as.
 */
bool address_space_watchpoint_remove_by_ref(AddressSpace *as,
                                            AddressSpaceWatchpoint *wp);

/**
 * address_space_watchpoint_remove_all() - Remove every watchpoint of @as
 * whose flags have a bit of @mask (QEMU's cpu_watchpoint_remove_all()).
 * @as: the address space.
 * @mask: e.g. BP_GDB, BP_MEM_ACCESS, or -1 for all.
 */
void address_space_watchpoint_remove_all(AddressSpace *as, int mask);

/**
 * address_space_watchpoint_get_hit() - Read @wp's hit record.
 * @wp: the watchpoint.
 * @hit: set to a copy of the record.
 *
 * Context: any thread, while @wp is inserted (a consistent copy: hits of
 * other threads are serialised by a lock of @wp).
 * Return: @hit->count.
 */
uint64_t address_space_watchpoint_get_hit(AddressSpaceWatchpoint *wp,
                                          AddressSpaceWatchpointHit *hit);

/**
 * address_space_watchpoint_reset_hit() - Clear @wp's count and hit bits.
 * @wp: the watchpoint.
 */
void address_space_watchpoint_reset_hit(AddressSpaceWatchpoint *wp);

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_HOOKS_H */
