/* SPDX-License-Identifier: MIT */
/**
 * @file machine.h
 * @brief The test machine: a board (region tree, devices, AddressSpaces and
 * a virtual clock) described declaratively and built from the public API.
 *
 * A board is a list of region specs, device specs and AddressSpace specs.
 * machine_new() starts an empty board; machine_add_region(),
 * machine_add_device() and machine_add_address_space() record specs
 * (checking each on its own; machine_add_device() also realizes the
 * device through its registered type, device.h); machine_realize() builds
 * the whole board:
 * it initialises the regions (alias targets first,
 * refusing alias cycles), maps the regions and then the devices into their
 * parents in the order they were added, refuses siblings that were mapped
 * without overlap permission yet overlap (memory_region_find_collision()),
 * creates the AddressSpaces and connects the devices. The default board
 * (machine_new_default()) and board files (board-json.h) are both built
 * this way, so a board written out and loaded again is the same board.
 *
 * Errors name the spec: every spec carries a @where string (a JSON path
 * such as "$.regions[3]" for board files) that prefixes the messages, with
 * the offending field appended ("$.regions[3].parent: unknown region
 * 'foo'").
 *
 * Lifetime: the machine owns its board regions (allocated by it, without
 * owner), its devices (one reference each), its AddressSpaces and its
 * clock; machine_free() tears them down and waits (drain_call_rcu()) until
 * every FlatView and device is released. Only one realized machine should
 * exist at a time when mtree_info() output matters: the dump is global.
 *
 * Thread safety: building and freeing a machine is single-threaded;
 * accesses through its AddressSpaces may come from any registered thread.
 */
#ifndef ADDRSPACE_MACHINE_MACHINE_H
#define ADDRSPACE_MACHINE_MACHINE_H

#include <stdio.h>

#include <glib.h>

#include <addrspace/addrspace.h>
#include <addrspace-machine/device.h>
#include <addrspace-machine/vclock.h>

ADDRSPACE_BEGIN_DECLS

/**
 * enum MachineRegionKind - kinds of board regions.
 * @MACHINE_REGION_RAM: anonymous RAM.
 * @MACHINE_REGION_ROM: ROM (contents set through its host pointer).
 * @MACHINE_REGION_ROMD: a flash-like ROM device, starting in romd mode. In
 *                       MMIO mode reads return the identifier (0x89 at
 *                       offset 0, 0x18 at 1, 0 elsewhere); writing 0x90
 *                       leaves romd mode, 0xff returns to it, other
 *                       writes are ignored.
 * @MACHINE_REGION_IO: MMIO whose reads return all ones and whose writes
 *                     are ignored (QEMU's unassigned I/O ports).
 * @MACHINE_REGION_CONTAINER: a container.
 * @MACHINE_REGION_ALIAS: an alias of a region or of a device's region.
 * @MACHINE_REGION_RESERVATION: a reservation.
 * @MACHINE_REGION_IOMMU: an IOMMU with a fixed translation (struct
 *                        MachineIommuSpec).
 * @MACHINE_REGION_RAM_DEVICE: zero-filled RAM of a device, reached through
 *                             the dispatcher like QEMU's ram_device regions
 *                             (memory_region_init_ram_device_ptr()).
 */
typedef enum MachineRegionKind {
    MACHINE_REGION_RAM,
    MACHINE_REGION_ROM,
    MACHINE_REGION_ROMD,
    MACHINE_REGION_IO,
    MACHINE_REGION_CONTAINER,
    MACHINE_REGION_ALIAS,
    MACHINE_REGION_RESERVATION,
    MACHINE_REGION_IOMMU,
    MACHINE_REGION_RAM_DEVICE,
} MachineRegionKind;

/** The last MachineRegionKind. */
#define MACHINE_REGION_LAST MACHINE_REGION_RAM_DEVICE

/**
 * struct MachineOwnerSpec - what owns a region, as QEMU's `info mtree -o`
 * shows it (memory_owner_set_qom()). Strings are copied.
 * @object: not a device ("obj" in the dump, e.g. a memory backend); false
 *          for a device ("dev").
 * @path: canonical QOM path ("/machine/unattached/device[2]"), or NULL.
 * @id: a device's id, or NULL (shown instead of the path).
 *
 * No owner when both @path and @id are NULL. Board regions whose owner
 * specs are equal share one MemoryOwner (one device owning several
 * regions, which matters to the re-entrancy guard as in QEMU).
 */
typedef struct MachineOwnerSpec {
    bool object;
    const char *path;
    const char *id;
} MachineOwnerSpec;

/**
 * struct MachineIommuSpec - the translation of a board IOMMU: offset
 * @offset + x of the target AddressSpace for offset x of the region, page
 * by page, with fixed permissions.
 * @address_space: id of the AddressSpace accesses continue in.
 * @offset: where the region's offset 0 lands (a multiple of @page_size;
 *          the sum wraps at 2^64).
 * @page_size: translation granule, a power of two (0: 4096).
 * @perm: the permissions (IOMMU_RW etc., include/addrspace/iommu.h).
 */
typedef struct MachineIommuSpec {
    const char *address_space;
    hwaddr offset;
    uint64_t page_size;
    int perm;
} MachineIommuSpec;

/** MachineIommuSpec.page_size when 0. */
#define MACHINE_IOMMU_PAGE_SIZE 4096u

/**
 * struct MachineRegionSpec - one board region. Strings are copied.
 * @where: locator for error messages (e.g. "$.regions[3]"), or NULL for
 *         "region 'NAME'".
 * @kind: the kind.
 * @id: the identity other specs refer to (parents, alias targets, roots);
 *      unique among the machine's regions and devices; NULL: @name.
 * @name: the region's name (what dumps show), not empty; may repeat, as in
 *        QEMU ("pam-ram" 13 times on q35).
 * @size: bytes; UINT64_MAX means 2^64; 0 only for kinds without RAM.
 * @parent: id of the region or device to map into, or NULL for a region
 *          that is not mapped (a root, or only an alias target).
 * @addr: address in @parent.
 * @priority: priority in @parent.
 * @overlap: mapped with memory_region_add_subregion_overlap() (may
 *           overlap siblings); otherwise with memory_region_add_subregion().
 * @disabled: map the region disabled (memory_region_set_enabled()).
 * @readonly: memory_region_set_readonly().
 * @nonvolatile: memory_region_set_nonvolatile().
 * @alias_target: for aliases, the id of the aliased region or device.
 * @alias_offset: for aliases, the window start in the target (the window
 *                may pass the target's end, as in QEMU).
 * @iommu: for IOMMUs, the translation.
 * @owner: the owner, if any.
 */
typedef struct MachineRegionSpec {
    const char *where;
    MachineRegionKind kind;
    const char *id;
    const char *name;
    uint64_t size;
    const char *parent;
    hwaddr addr;
    int priority;
    bool overlap;
    bool disabled;
    bool readonly;
    bool nonvolatile;
    const char *alias_target;
    hwaddr alias_offset;
    MachineIommuSpec iommu;
    MachineOwnerSpec owner;
} MachineRegionSpec;

/**
 * struct MachineDeviceSpec - one device instance. Strings are copied.
 * @where: locator for error messages (e.g. "$.devices[2]"), or NULL for
 *         "device 'NAME'".
 * @type: the registered type's name (device.h).
 * @id: identity, unique among regions and devices; NULL: @name.
 * @name: what the device names its regions (the HPET's is always "hpet").
 * @parent: id of the region to map the device's first region into, or
 *          NULL.
 * @addr: address in @parent.
 * @priority: priority in @parent.
 * @overlap: as in MachineRegionSpec.
 * @irqs: for each interrupt output, the input of the machine's interrupt
 *        controller it is connected to (0 to MACHINE_IRQ_INPUTS - 1), or
 *        -1 for none; NULL: output n to input n (device.h).
 * @nr_irqs: entries in @irqs, at most the device's outputs.
 * @props: the type's properties (copied), or NULL for none.
 * @owner: what its owner is in QEMU's object tree (memory_owner_set_qom()
 *         on the owner of the device's first region), or none.
 */
typedef struct MachineDeviceSpec {
    const char *where;
    const char *type;
    const char *id;
    const char *name;
    const char *parent;
    hwaddr addr;
    int priority;
    bool overlap;
    const int *irqs;
    unsigned nr_irqs;
    const MachineProps *props;
    MachineOwnerSpec owner;
} MachineDeviceSpec;

/**
 * struct MachineSpaceSpec - one AddressSpace. Strings are copied.
 * @where: locator for error messages, or NULL for "address space 'NAME'".
 * @id: identity other specs refer to, unique among the AddressSpaces;
 *      NULL: @name.
 * @name: the AddressSpace's name; may repeat, as in QEMU (two devices of
 *        one type).
 * @root: id of its root region or device.
 * @big_endian: the target byte order.
 */
typedef struct MachineSpaceSpec {
    const char *where;
    const char *id;
    const char *name;
    const char *root;
    bool big_endian;
} MachineSpaceSpec;

/**
 * enum MachineFlavour - the QEMU PC machine the default board stands for
 * (QEMU's -M / --machine).
 * @MACHINE_FLAVOUR_PC: "pc" (i440fx): the HPET's route capability is
 *                      0x4 (input 2 only).
 * @MACHINE_FLAVOUR_Q35: "q35" (ICH9): the HPET's route capability is
 *                       0x00ff0104.
 * Both wire the HPET's outputs 0-23 to I/O APIC inputs 0-23; neither has
 * a PIT or RTC (QEMU's -M pc,pit=off; the RTC raises no interrupt unless
 * programmed to).
 */
typedef enum MachineFlavour {
    MACHINE_FLAVOUR_PC,
    MACHINE_FLAVOUR_Q35,
} MachineFlavour;

/**
 * struct MachineConfig - parameters of the default board.
 * @ram_size: RAM bytes (0: MACHINE_DEFAULT_RAM_SIZE). Above
 *            MACHINE_RAM_BELOW_4G_MAX the RAM is split like a PC's:
 *            "ram-below-4g" maps [0, 3 GiB) at 0 and "ram-above-4g" the
 *            rest at 4 GiB, both aliases of the unmapped "ram".
 * @flavour: the machine (pc by default).
 */
typedef struct MachineConfig {
    uint64_t ram_size;
    MachineFlavour flavour;
} MachineConfig;

/** Most timer callbacks one clock_step may make (vclock_set_budget()). */
#define MACHINE_CLOCK_BUDGET 1000000u
/** RAM of the default board when MachineConfig.ram_size is 0. */
#define MACHINE_DEFAULT_RAM_SIZE (128ull << 20)
/** Most RAM mapped below 4 GiB before the board splits it. */
#define MACHINE_RAM_BELOW_4G_MAX (3ull << 30)
/** Default board: HPET base address. */
#define MACHINE_HPET_BASE 0xfed00000ull
/** Default board: testdev base address. */
#define MACHINE_TESTDEV_BASE 0xfeb00000ull
/** Default board: dma-testdev base address. */
#define MACHINE_DMA_TESTDEV_BASE 0xfeb01000ull
/** Default board: console base address. */
#define MACHINE_CONSOLE_BASE 0xfeb02000ull
/** Default board: console I/O port. */
#define MACHINE_CONSOLE_PORT 0x3f8u
/** Default board: ROM base address (128 KiB below 4 GiB). */
#define MACHINE_ROM_BASE 0xfffe0000ull
/** Default board: ROM size. */
#define MACHINE_ROM_SIZE 0x20000ull
/** Default board: address of the "isa-rom" alias of the ROM. */
#define MACHINE_ISA_ROM_BASE 0xe0000ull
/** Default board: flash (ROM device) base address. */
#define MACHINE_FLASH_BASE 0xffe00000ull
/** Default board: flash size. */
#define MACHINE_FLASH_SIZE 0x10000ull
/** Default board: size of the I/O port space. */
#define MACHINE_IO_SIZE 0x10000ull

/**
 * MachineIrqHandler - observer of the devices' interrupt lines.
 * @opaque: the pointer given to machine_set_irq_handler().
 * @device: id of the device raising or lowering the line.
 * @line: the device's output number.
 * @input: the input of the machine's interrupt controller ("ioapic") the
 *         output is connected to (outputs that are not connected are not
 *         reported).
 * @level: the new level (0 or 1).
 *
 * Called in the thread that caused the change, possibly inside an MMIO
 * callback or a timer; it must not change the machine's topology.
 */
typedef void (*MachineIrqHandler)(void *opaque, const char *device, int line,
                                  int input, int level);

/**
 * machine_flavour_parse() - Parse a QEMU machine option: "pc" or "q35",
 * optionally followed by ",pit=off" (accepted: the board has no PIT).
 * @text: the option's value.
 * @flavour: set on success.
 * @errp: error return (ADDRSPACE_ERROR_INVALID).
 * Context: any thread.
 * Return: true on success.
 */
bool machine_flavour_parse(const char *text, MachineFlavour *flavour,
                           GError **errp);

/**
 * machine_new() - Create an empty machine with its virtual clock, whose
 * runs are bounded by MACHINE_CLOCK_BUDGET callbacks.
 *
 * Context: the building thread.
 * Return: the machine (free with machine_free()).
 */
Machine *machine_new(void);

/**
 * machine_new_default() - Build and realize the default board.
 * @cfg: parameters, or NULL for the defaults.
 * @errp: error return.
 *
 * Regions: "system" (2^64 container) with "ram" at 0 (or the split
 * aliases), "rom" at MACHINE_ROM_BASE with its alias "isa-rom" at
 * MACHINE_ISA_ROM_BASE (priority 1), "flash" (ROM device, romd mode) at
 * MACHINE_FLASH_BASE; devices "hpet", "testdev", "dma-testdev" and
 * "console" at their MACHINE_*_BASE; "io" (64 KiB, reads all ones) with
 * "console-io", an alias of the console's registers, at port
 * MACHINE_CONSOLE_PORT. AddressSpaces "memory" (root "system") and "I/O"
 * (root "io"); the dma-testdev copies through "memory".
 * Context: a registered thread, not inside a read-side section.
 * Return: the realized machine, or NULL.
 */
Machine *machine_new_default(const MachineConfig *cfg, GError **errp);

/**
 * machine_free() - Tear a machine down (also a partly built one).
 * @m: the machine, or NULL.
 *
 * Context: no access may run on its AddressSpaces; not inside a read-side
 * section (it waits for grace periods).
 */
void machine_free(Machine *m);

/**
 * machine_add_region() - Record a region spec.
 * @m: a machine not yet realized.
 * @spec: the spec (copied).
 * @errp: error return: empty or duplicate name, size 0, alias without
 *        target; the message is prefixed with the spec's locator.
 *
 * Context: the building thread, before machine_realize().
 * Return: true on success.
 */
bool machine_add_region(Machine *m, const MachineRegionSpec *spec,
                        GError **errp);

/**
 * machine_add_device() - Record a device spec and realize the device
 * through its registered type (device.h).
 * @m: a machine not yet realized.
 * @spec: the spec (copied, its properties too).
 * @errp: error return: unknown type, empty or duplicate name or id, bad
 *        owner, bad "irqs", and what the type's realize refuses (its
 *        properties); the message is prefixed with the spec's locator.
 *
 * On failure nothing is recorded and no device is left.
 * Context: the building thread, before machine_realize().
 * Return: true on success.
 */
bool machine_add_device(Machine *m, const MachineDeviceSpec *spec,
                        GError **errp);

/**
 * machine_add_space() - Record an AddressSpace.
 * @m: a machine not yet realized.
 * @spec: the spec (copied).
 * @errp: error return: empty name, id or root, duplicate id.
 *
 * Context: the building thread, before machine_realize().
 * Return: true on success.
 */
bool machine_add_space(Machine *m, const MachineSpaceSpec *spec, GError **errp);

/**
 * machine_add_address_space() - Record an AddressSpace whose id is its
 * name (machine_add_space()).
 * @m: a machine not yet realized.
 * @where: locator for error messages, or NULL.
 * @name: the AddressSpace's name (unique among the machine's).
 * @root: name of its root region or device.
 * @big_endian: the target byte order of the AddressSpace.
 * @errp: error return.
 *
 * Context: the building thread, before machine_realize().
 * Return: true on success.
 */
bool machine_add_address_space(Machine *m, const char *where, const char *name,
                               const char *root, bool big_endian,
                               GError **errp);

/**
 * machine_realize() - Build the recorded board.
 * @m: a machine not yet realized.
 * @errp: error return: unknown parent, alias target or root, alias cycle,
 *        a region mapped into itself, overlapping non-overlap siblings,
 *        region or device creation errors. Each names the spec's locator.
 *
 * On failure the machine keeps what it built; machine_free() releases it.
 * Context: the building thread (a registered one), not inside a read-side
 * section; takes the update lock.
 * Return: true on success.
 */
bool machine_realize(Machine *m, GError **errp);

/**
 * machine_clock() - The machine's virtual clock.
 * @m: the machine.
 * Context: any thread.
 * Return: the clock (owned by the machine).
 */
VClock *machine_clock(Machine *m);

/**
 * machine_address_space() - An AddressSpace by name.
 * @m: a realized machine.
 * @name: the name, or NULL for the first one created ("memory" on the
 *        default board). Names may repeat: the first one added with @name
 *        is returned (the qtest front end serves in/out through the first
 *        one named "I/O").
 * Context: any thread, once realized.
 * Return: the AddressSpace (owned by the machine), or NULL.
 */
AddressSpace *machine_address_space(Machine *m, const char *name);

/**
 * machine_address_space_by_id() - An AddressSpace by id (what board files
 * and device properties name).
 * @m: a machine whose AddressSpaces exist (from a device type's connect
 *     callback on).
 * @id: the id, or NULL for the first AddressSpace.
 * Context: any thread.
 * Return: the AddressSpace (owned by the machine), or NULL.
 */
AddressSpace *machine_address_space_by_id(Machine *m, const char *id);

/**
 * machine_region() - A region of the board or of a device, by id.
 * @m: a realized machine.
 * @name: a region's id, a device's id (its first region) or
 *        "DEVICE:REGION" (a device's other regions).
 * Context: any thread, once realized.
 * Return: the region (owned by the machine or the device), or NULL.
 */
MemoryRegion *machine_region(Machine *m, const char *name);

/**
 * machine_device() - A device instance by id.
 * @m: a machine.
 * @name: the device's id.
 * @type: the expected type's name, or NULL for any.
 *
 * Context: any thread.
 * Return: what the type's realize callback returned (the built-in types:
 * HPETState *, TestDev *, DmaTestDev *, Console *; owned by the machine),
 * or NULL when there is no such device of @type.
 */
void *machine_device(Machine *m, const char *name, const char *type);

/**
 * machine_find_device_type() - The first device of a type.
 * @m: a machine.
 * @type: the type's name.
 * Context: any thread.
 * Return: the device's id (owned by the machine), or NULL.
 */
const char *machine_find_device_type(Machine *m, const char *type);

/**
 * machine_device_handle() - The handle of a device, by id.
 * @m: a machine.
 * @name: the device's id.
 * Context: any thread.
 * Return: the handle (owned by the machine), or NULL.
 */
MachineDevice *machine_device_handle(Machine *m, const char *name);

/**
 * machine_set_irq_handler() - Observe the devices' interrupt lines.
 * @m: the machine.
 * @handler: the observer, or NULL.
 * @opaque: passed to @handler.
 *
 * Devices learn whether lines are observed (their type's observe_irqs
 * callback): without an observer the HPET coalesces timer matches nobody
 * can see, so work depends on whether lines are observed, not on what is
 * printed.
 * Context: while no access runs.
 */
void machine_set_irq_handler(Machine *m, MachineIrqHandler handler,
                             void *opaque);

/**
 * machine_irq_events() - Interrupt line settings delivered to the
 * observer so far (a measure of the work a run did).
 * @m: the machine.
 * Context: any thread.
 * Return: the count since machine_new().
 */
uint64_t machine_irq_events(Machine *m);

/**
 * machine_set_global() - Set a device property on every device of a type,
 * as QEMU's -global DRIVER.PROP=VALUE.
 * @m: a realized machine.
 * @assignment: DRIVER.PROP=VALUE, where DRIVER is a registered type and
 *              PROP one of its properties marked global, applied by the
 *              type's set_global callback: "hpet.compat=default|qemu-7.2"
 *              or "hpet.intcap=N" (N a 32-bit C integer; as on QEMU's pc
 *              machines, one whose low byte is 0 leaves the board's
 *              value).
 * @errp: error return: ADDRSPACE_ERROR_PARSE for a malformed assignment,
 *        ADDRSPACE_ERROR_NOT_FOUND for an unknown driver or property,
 *        the type's error (ADDRSPACE_ERROR_INVALID for the HPET's) for a
 *        bad value.
 * The stored properties follow, so a board written afterwards has the new
 * value. Context: while no access runs.
 * Return: true on success (also when no device has the type).
 */
bool machine_set_global(Machine *m, const char *assignment, GError **errp);

/**
 * machine_set_console_output() - Have every device that prints (consoles,
 * UARTs: types with a set_output callback) also write to @out.
 * @m: a realized machine.
 * @out: the stream (not owned) or NULL.
 * Context: any thread.
 */
void machine_set_console_output(Machine *m, FILE *out);

/**
 * machine_device_irq_lines() - How many interrupt outputs a device has.
 * @m: the machine.
 * @name: the device's id.
 * Context: any thread.
 * Return: the count (0 for devices without lines or unknown ids).
 */
int machine_device_irq_lines(Machine *m, const char *name);

/**
 * machine_reset() - Reset the machine as QEMU's system reset does: every
 * device through its type's reset callback, in the order added, and every
 * board ROM device ("romd" regions) back to romd mode. RAM, the clock and
 * the topology are left alone.
 * @m: a realized machine.
 *
 * Context: a registered thread, no clock run in progress; takes the big
 * lock unless the caller holds it.
 */
void machine_reset(Machine *m);

/**
 * MachineState - a saved state of a machine (opaque): a RAM snapshot
 * (<addrspace/snapshot.h>) of the board's RAM, ROM and ROM-device
 * regions, every device's state (its type's save callback), the mode of
 * every board ROM device and the virtual clock's time and mode.
 */
typedef struct MachineState MachineState;

/**
 * machine_state_save() - Save the state of a realized machine, to go back
 * to it any number of times with machine_state_restore().
 * @m: a realized machine.
 * @errp: error return: ADDRSPACE_ERROR_INVALID naming a device whose type
 *        has no save callback; the RAM snapshot's errors.
 *
 * Call it while the machine is stopped (no access on its AddressSpaces,
 * no clock run): the RAM image is copied as it is while the take runs.
 * Several states may exist at once. Not saved: the contents of
 * `ram-device` regions (not dirty-tracked: not restored), the topology
 * (regions stay where they are), device configuration (properties,
 * -global), what an observer of interrupt lines remembers (qtest keeps its
 * own copy) and device instrumentation (testdev's log).
 * Context: a registered thread outside any read-side section (the RAM
 * take waits for a grace period), no clock run in progress; takes the big
 * lock unless the caller holds it.
 * Return: the state (machine_state_free()), or NULL.
 */
MachineState *machine_state_save(Machine *m, GError **errp);

/**
 * machine_state_restore() - Put the machine back into a saved state.
 * @m: the machine @st was saved from.
 * @st: the state.
 * @errp: error return: ADDRSPACE_ERROR_INVALID for a state of another
 *        machine, or what the RAM snapshot or a device refuses.
 *
 * In order: the RAM pages written since the save or the last restore of
 * @st are copied back (cost proportional to them, not to the RAM), the
 * clock jumps to the saved time (vclock_jump(), possibly backwards) and
 * mode, each device restores its state and re-arms its timers relative to
 * the clock (so they fire at the same virtual times as after the save;
 * several timers due at the same nanosecond fire in device order, then in
 * each device's own order), interrupt outputs whose level differs are set
 * again (reported to the observer), board ROM devices get their mode
 * back. Nothing is re-realized and nothing proportional to the RAM is
 * allocated: a fuzzer restores once per input.
 * On failure (a device refuses its state) the machine is partly restored;
 * restoring a state that worked before puts it back together.
 * Context: as machine_state_save(), but inside a read-side section is not
 * allowed either.
 * Return: true on success.
 */
bool machine_state_restore(Machine *m, MachineState *st, GError **errp);

/**
 * machine_state_free() - Free a saved state (and its RAM snapshot).
 * @st: the state, or NULL.
 * Context: a registered thread outside any read-side section; the machine
 * it was saved from may be freed already.
 */
void machine_state_free(MachineState *st);

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_MACHINE_MACHINE_H */
