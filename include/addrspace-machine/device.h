/* SPDX-License-Identifier: MIT */
/**
 * @file device.h
 * @brief Device types of the test machine: the registry, their properties
 * and the per-instance handle a device model uses to give the machine its
 * regions and interrupt outputs.
 *
 * A device type is a const MachineDeviceType in static storage: a name
 * (what a board file's `"type"` member says), a property schema and
 * callbacks. machine_register_device_type() adds it to the process-wide
 * registry; the built-in types (`hpet`, `testdev`, `dma-testdev`,
 * `console`) are registered the same way, before any other, so a user's
 * type is a peer of theirs: a board file places it, `-global` sets its
 * global properties, qtest drives its registers and intercepts its
 * interrupt outputs, and the machine saves, restores and resets it.
 *
 * Life of a device (one instance, one MachineDevice handle):
 * 1. machine_add_device() checks the spec and calls @realize with the
 *    device's properties (MachineProps, read with the typed getters below;
 *    errors name the property's JSON path). @realize creates the device,
 *    hands its regions to the machine (machine_device_add_region(), the
 *    first one is the region the board's placement members map) and
 *    declares its interrupt outputs (machine_device_init_irqs()).
 * 2. machine_realize() maps the regions, creates the AddressSpaces and
 *    calls @connect, where a device looks up the AddressSpaces it uses.
 * 3. While the machine runs, the device raises and lowers its outputs with
 *    machine_device_set_irq(); the machine may call @reset, @save,
 *    @restore, @set_global, @set_output and @observe_irqs.
 * 4. machine_free() calls @unrealize (stop timers, forget AddressSpaces)
 *    while everything still exists, unmaps the regions, then calls @free
 *    (drop the device's reference on its regions' owner).
 *
 * Regions: a device's first region is named after the device's id on the
 * board (what `"parent"`, an alias's `"target"` and an AddressSpace's
 * `"root"` name); another region NAME is `"ID:NAME"` there (map it with an
 * alias, or let the device map it into its first region itself).
 *
 * Interrupts: a device has outputs 0 to N - 1 (QEMU's unnamed GPIO
 * outputs). Without the board's `"irqs"` member, output n is connected to
 * input n of the machine's interrupt controller (`ioapic`, inputs 0 to
 * MACHINE_IRQ_INPUTS - 1, as a PC wires its HPET to GSIs), and outputs
 * past the last input are not connected; with it, output n goes to input
 * `irqs[n]` (or nowhere for -1 / null). Settings of connected outputs
 * reach the machine's observer (machine_set_irq_handler(): qtest's
 * `irq_intercept_in ioapic` reports inputs, `irq_intercept_out ID`
 * outputs); other settings are dropped.
 *
 * State (@save, @restore): a device's state is a GVariant of the type
 * string @state_type, tagged with @state_version. Compatibility rules: a
 * saved state is restored only into a device of the same type name; the
 * same version always has the same GVariant type (the machine refuses a
 * state of another type before @restore sees it); a change of layout
 * bumps the version; a type may accept the states of its older versions
 * (@restore gets the version) and never sees a newer one (refused). The
 * state holds what the guest can observe (registers, FIFOs, timers
 * relative to the virtual clock, interrupt output levels), not the
 * configuration that the board file and `-global` give (properties).
 *
 * Thread safety: the registry may be used from any thread; a type's
 * callbacks are called on the thread that builds, resets, saves,
 * restores or frees the machine, with the big lock held (<addrspace/bql.h>)
 * except for @realize, @connect, @unrealize and @free, which run while
 * the machine is being built or freed and no access runs.
 */
#ifndef ADDRSPACE_MACHINE_DEVICE_H
#define ADDRSPACE_MACHINE_DEVICE_H

#include <stdio.h>

#include <glib.h>

#include <addrspace/addrspace.h>
#include <addrspace-machine/vclock.h>

ADDRSPACE_BEGIN_DECLS

/** Machine - a test machine (opaque; machine.h). */
typedef struct Machine Machine;
/** MachineDevice - one device instance's handle (opaque; see above). */
typedef struct MachineDevice MachineDevice;
/** MachineProps - a device's properties (opaque; the getters below). */
typedef struct MachineProps MachineProps;

/** Inputs of the machine's interrupt controller ("ioapic"): a PC's GSIs. */
#define MACHINE_IRQ_INPUTS 24
/** Most interrupt outputs one device may declare. */
#define MACHINE_DEVICE_MAX_IRQS 256u
/** Longest device type, property or region name. */
#define MACHINE_NAME_MAX 128u

/**
 * enum MachinePropKind - how a property is written in a board file, and
 * how the machine writes it back (board_json_to_data()).
 * @MACHINE_PROP_BOOL: `true` or `false` (machine_props_get_bool()).
 * @MACHINE_PROP_INT: a JSON integer (machine_props_get_int()).
 * @MACHINE_PROP_U64: a JSON integer or a number string ("0x1f", "31",
 *                    "64K"), below 2^64 (machine_props_get_u64()); written
 *                    back as a hexadecimal string.
 * @MACHINE_PROP_SIZE: as @MACHINE_PROP_U64, up to 2^64
 *                     (machine_props_get_size()).
 * @MACHINE_PROP_STRING: a JSON string (machine_props_get_string(),
 *                       machine_props_get_choice()).
 */
typedef enum MachinePropKind {
    MACHINE_PROP_BOOL,
    MACHINE_PROP_INT,
    MACHINE_PROP_U64,
    MACHINE_PROP_SIZE,
    MACHINE_PROP_STRING,
} MachinePropKind;

/**
 * struct MachinePropInfo - one property of a device type (its schema
 * entry). A type's @props array ends with an entry whose @name is NULL.
 * @name: the member's name in a board file's device object; not one of
 *        the members every device has (id, name, type, parent, addr,
 *        priority, overlap, owner, irqs).
 * @kind: its syntax.
 * @help: one line for the documentation, or NULL.
 * @default_value: the value, as the machine writes it back ("default",
 *                 "0x4", "16", "true"), that is left out when a board is
 *                 written; NULL: written whenever set.
 * @global: settable after realize with `-global TYPE.NAME=VALUE`
 *          (machine_set_global(); the type's @set_global applies it).
 * @foreign_error: the message for a device of another type that has this
 *                 member ("only an hpet has timers"); NULL: "only devices
 *                 of type 'TYPE' have this property".
 *
 * A member that no type of the device declares is refused ("unknown
 * member"), with its JSON path, so typos do not pass silently.
 */
typedef struct MachinePropInfo {
    const char *name;
    MachinePropKind kind;
    const char *help;
    const char *default_value;
    bool global;
    const char *foreign_error;
} MachinePropInfo;

/**
 * struct MachineDeviceType - a device model the machine can instantiate:
 * its name, property schema and callbacks. Static storage; the registry
 * keeps the pointer.
 * @name: the type's name (board files' `"type"`), unique, at most
 *        MACHINE_NAME_MAX bytes, no control characters, '.', ':' or ','.
 * @description: one line for the documentation, or NULL.
 * @props: the properties, ended by an entry whose name is NULL; NULL for
 *         none.
 * @realize: required. Create the device from @props (read them with the
 *           machine_props_get_*() getters: absent properties leave the
 *           defaults the callback chose, bad ones give errors with their
 *           JSON path), give its regions to the machine
 *           (machine_device_add_region(), the first being the one the
 *           board maps; regions named after machine_device_name()) and
 *           declare its interrupt outputs (machine_device_init_irqs()).
 *           Return: the instance (an opaque pointer passed to the other
 *           callbacks), or NULL with @errp set and nothing left behind
 *           (errors whose message does not start with the device's
 *           locator get it prefixed).
 * @connect: optional. Called once the machine's AddressSpaces exist
 *           (machine_realize()): look up those the device uses
 *           (machine_address_space_by_id()). Return: false with @errp
 *           set to fail the realize.
 * @reset: optional. Put the device in its power-on state (machine_reset();
 *         QEMU's device reset). Lines it lowers are reported.
 * @state_type: the GVariant type string of @save's result (required with
 *              @save).
 * @state_version: the layout version of @state_type (see the file's
 *                 compatibility rules).
 * @save: optional; a type without it makes machine_state_save() fail.
 *        Return: the device's state, a GVariant of @state_type (floating
 *        or not; the machine takes it).
 * @restore: required with @save. Set the state @save returned, possibly
 *           by another instance at another virtual time (timers are
 *           relative to the clock): @version is at most @state_version,
 *           and @state is of @state_type when @version equals it. Check
 *           everything before changing anything. Return: false with
 *           @errp set and the device unchanged when the state cannot be
 *           used.
 * @set_global: optional. Apply `-global TYPE.@prop=@value` (a property
 *              marked @global) to a realized device. Update the stored
 *              property (machine_device_props()) if the board should be
 *              written with it. Return: false with @errp set.
 * @set_output: optional. Devices that print (consoles, UARTs) write to
 *              @out from now on (NULL: nowhere); machine_set_console_output().
 * @observe_irqs: optional. Whether anyone observes the machine's
 *                interrupt lines now (machine_set_irq_handler()): a
 *                device may then skip work whose only effect is on
 *                unobserved lines. Called after @realize and on each
 *                change, while no access runs.
 * @unrealize: optional. Stop using the clock, the AddressSpaces and the
 *             interrupt outputs (machine_free(), first).
 * @free: optional. Drop the machine's reference on the device (after its
 *        regions were unmapped); the device may live on until no
 *        FlatView maps its regions (its owner's release).
 */
typedef struct MachineDeviceType {
    const char *name;
    const char *description;
    const MachinePropInfo *props;
    void *(*realize)(MachineDevice *dev, const MachineProps *props,
                     GError **errp);
    bool (*connect)(MachineDevice *dev, void *opaque, const MachineProps *props,
                    GError **errp);
    void (*reset)(MachineDevice *dev, void *opaque);
    const char *state_type;
    uint32_t state_version;
    GVariant *(*save)(MachineDevice *dev, void *opaque);
    bool (*restore)(MachineDevice *dev, void *opaque, uint32_t version,
                    GVariant *state, GError **errp);
    bool (*set_global)(MachineDevice *dev, void *opaque, const char *prop,
                       const char *value, GError **errp);
    void (*set_output)(MachineDevice *dev, void *opaque, FILE *out);
    void (*observe_irqs)(MachineDevice *dev, void *opaque, bool observed);
    void (*unrealize)(MachineDevice *dev, void *opaque);
    void (*free)(MachineDevice *dev, void *opaque);
} MachineDeviceType;

/* ---- the registry ------------------------------------------------------ */

/**
 * machine_register_device_type() - Add a device type to the registry.
 * @type: the type (static storage; not copied).
 * @errp: error return: ADDRSPACE_ERROR_BUSY for a name already taken
 *        (built-in names included), ADDRSPACE_ERROR_INVALID for a bad
 *        name, no @realize, a property named like a common member or
 *        twice, @save without @restore or a valid @state_type.
 *
 * Register types before building machines that use them (a program using
 * addrspace_machine_main() registers them before calling it).
 * Context: any thread.
 * Return: true on success.
 */
bool machine_register_device_type(const MachineDeviceType *type, GError **errp);

/**
 * machine_device_type_lookup() - A registered type by name.
 * @name: the type's name.
 * Context: any thread.
 * Return: the type, or NULL.
 */
const MachineDeviceType *machine_device_type_lookup(const char *name);

/* ---- properties -------------------------------------------------------- */

/**
 * machine_props_new() - An empty property set, to build a device spec in
 * C (MachineDeviceSpec.props).
 *
 * Context: any thread.
 * Return: the set (machine_props_free()).
 */
MachineProps *machine_props_new(void);

/**
 * machine_props_free() - Free a property set made by machine_props_new().
 * @props: the set, or NULL.
 * Context: any thread.
 */
void machine_props_free(MachineProps *props);

/**
 * machine_props_set_bool() - Set a boolean property.
 * @props: a set made by machine_props_new(), or a device's stored set
 *         (machine_device_props()).
 * @name: the property.
 * @value: its value.
 * Context: the thread that owns @props.
 */
void machine_props_set_bool(MachineProps *props, const char *name, bool value);

/**
 * machine_props_set_int() - Set an integer property (a JSON integer).
 * @props: as machine_props_set_bool().
 * @name: the property.
 * @value: its value.
 * Context: the thread that owns @props.
 */
void machine_props_set_int(MachineProps *props, const char *name,
                           int64_t value);

/**
 * machine_props_set_u64() - Set an unsigned property (for
 * MACHINE_PROP_U64 and MACHINE_PROP_SIZE; UINT64_MAX as a size is 2^64).
 * @props: as machine_props_set_bool().
 * @name: the property.
 * @value: its value.
 * Context: the thread that owns @props.
 */
void machine_props_set_u64(MachineProps *props, const char *name,
                           uint64_t value);

/**
 * machine_props_set_string() - Set a string property.
 * @props: as machine_props_set_bool().
 * @name: the property.
 * @value: its value (copied).
 * Context: the thread that owns @props.
 */
void machine_props_set_string(MachineProps *props, const char *name,
                              const char *value);

/**
 * machine_props_has() - Whether a property is set.
 * @props: the set (may be NULL: none).
 * @name: the property.
 * Context: any thread.
 * Return: true when present.
 */
bool machine_props_has(const MachineProps *props, const char *name);

/**
 * machine_props_where() - The locator errors about @props start with: the
 * device's JSON path in a board file ("$.devices[2]"), else "device
 * 'NAME'".
 * @props: the set.
 * Context: any thread.
 * Return: the locator (owned by @props).
 */
const char *machine_props_where(const MachineProps *props);

/**
 * machine_props_get_bool() - Read a boolean property.
 * @props: the set (may be NULL: none).
 * @name: the property.
 * @value: set when present; left alone when absent (preset the default).
 * @errp: error return (ADDRSPACE_ERROR_PARSE, "WHERE.NAME: must be true or
 *        false").
 * Context: any thread.
 * Return: false only for a present value of the wrong syntax.
 */
bool machine_props_get_bool(const MachineProps *props, const char *name,
                            bool *value, GError **errp);

/**
 * machine_props_get_int() - Read an integer property (a JSON integer).
 * @props: the set (may be NULL: none).
 * @name: the property.
 * @min: the smallest value accepted.
 * @max: the largest value accepted.
 * @value: set when present; left alone when absent.
 * @errp: error return (ADDRSPACE_ERROR_PARSE, "WHERE.NAME: must be an
 *        integer from MIN to MAX").
 * Context: any thread.
 * Return: false for a present value that is not an integer in range.
 */
bool machine_props_get_int(const MachineProps *props, const char *name,
                           int64_t min, int64_t max, int64_t *value,
                           GError **errp);

/**
 * machine_props_get_u64() - Read an unsigned property: a JSON integer or
 * a number string ("0x1f", "31", "64K" with K, M, G, T binary multiples).
 * @props: the set (may be NULL: none).
 * @name: the property.
 * @value: set when present; left alone when absent.
 * @errp: error return (ADDRSPACE_ERROR_PARSE, "WHERE.NAME: must be a
 *        non-negative integer below 2^64").
 * Context: any thread.
 * Return: false for a present value that is not such a number.
 */
bool machine_props_get_u64(const MachineProps *props, const char *name,
                           uint64_t *value, GError **errp);

/**
 * machine_props_get_size() - Read a size property: as
 * machine_props_get_u64(), up to 2^64 (read as UINT64_MAX, the memory
 * API's spelling of 2^64).
 * @props: the set (may be NULL: none).
 * @name: the property.
 * @value: set when present; left alone when absent.
 * @errp: error return (ADDRSPACE_ERROR_PARSE, "WHERE.NAME: must be a
 *        non-negative integer (at most 2^64)").
 * Context: any thread.
 * Return: false for a present value that is not such a number.
 */
bool machine_props_get_size(const MachineProps *props, const char *name,
                            uint64_t *value, GError **errp);

/**
 * machine_props_get_string() - Read a string property.
 * @props: the set (may be NULL: none).
 * @name: the property.
 * @value: set when present (owned by @props); left alone when absent.
 * @errp: error return (ADDRSPACE_ERROR_PARSE, "WHERE.NAME: must be a
 *        string").
 * Context: any thread.
 * Return: false for a present value that is not a string.
 */
bool machine_props_get_string(const MachineProps *props, const char *name,
                              const char **value, GError **errp);

/**
 * machine_props_get_choice() - Read a string property that must be one of
 * a list.
 * @props: the set (may be NULL: none).
 * @name: the property.
 * @choices: the accepted strings, ended by NULL.
 * @index: set to the index of the value in @choices when present; left
 *         alone when absent.
 * @errp: error return (ADDRSPACE_ERROR_PARSE, `WHERE.NAME: must be "a",
 *        "b" or "c"`).
 * Context: any thread.
 * Return: false for a present value that is not one of @choices.
 */
bool machine_props_get_choice(const MachineProps *props, const char *name,
                              const char *const *choices, unsigned *index,
                              GError **errp);

/**
 * machine_props_error() - Set an error about a property, located like the
 * getters' ("WHERE.NAME: message"), for the checks a type makes itself
 * ("$.devices[0].timers: must be 3 to 32").
 * @props: the set.
 * @errp: error return (may be NULL); domain ADDRSPACE_ERROR.
 * @code: an AddrspaceErrorCode.
 * @name: the property, or NULL for the device as a whole ("WHERE: ...").
 * @fmt: printf format of the message, then its arguments.
 * Context: any thread.
 */
void machine_props_error(const MachineProps *props, GError **errp, int code,
                         const char *name, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

/* ---- the device handle ------------------------------------------------- */

/**
 * machine_device_id() - The device's id on the board (unique).
 * @dev: the device.
 * Context: any thread.
 * Return: the id (owned by the machine).
 */
const char *machine_device_id(const MachineDevice *dev);

/**
 * machine_device_name() - The device's name: what its regions should be
 * called (dumps show it).
 * @dev: the device.
 * Context: any thread.
 * Return: the name (owned by the machine).
 */
const char *machine_device_name(const MachineDevice *dev);

/**
 * machine_device_get_machine() - The machine the device belongs to.
 * @dev: the device.
 * Context: any thread.
 * Return: the machine.
 */
Machine *machine_device_get_machine(MachineDevice *dev);

/**
 * machine_device_clock() - The machine's virtual clock, for the device's
 * timers.
 * @dev: the device.
 * Context: any thread.
 * Return: the clock (owned by the machine; valid until @unrealize).
 */
VClock *machine_device_clock(MachineDevice *dev);

/**
 * machine_device_props() - The device's stored properties: what the
 * board was given, and what board_json_to_data() writes back.
 * @dev: the device.
 *
 * A @set_global callback updates it with machine_props_set_*().
 * Context: the thread building or configuring the machine.
 * Return: the set (owned by the machine).
 */
MachineProps *machine_device_props(MachineDevice *dev);

/**
 * machine_device_add_region() - Give the machine one of the device's
 * regions, from @realize.
 * @dev: the device.
 * @name: NULL for the first region (the one the board's placement members
 *        map, named by the device's id); another region's name otherwise
 *        (the board names it "ID:NAME"), unique in the device.
 * @mr: the region, initialised, owned by the device and alive until its
 *      owner's release (not referenced by the machine).
 * @errp: error return (ADDRSPACE_ERROR_INVALID: the first region given
 *        twice, a second region before the first, a bad name;
 *        ADDRSPACE_ERROR_BUSY: "ID:NAME" is taken by another id).
 * Context: @realize.
 * Return: true on success.
 */
bool machine_device_add_region(MachineDevice *dev, const char *name,
                               MemoryRegion *mr, GError **errp);

/**
 * machine_device_init_irqs() - Declare the device's interrupt outputs 0
 * to @count - 1, from @realize (QEMU's qdev_init_gpio_out()).
 * @dev: the device.
 * @count: 1 to MACHINE_DEVICE_MAX_IRQS.
 * @errp: error return (ADDRSPACE_ERROR_INVALID: declared twice, or a bad
 *        count).
 * Context: @realize.
 * Return: true on success.
 */
bool machine_device_init_irqs(MachineDevice *dev, unsigned count,
                              GError **errp);

/**
 * machine_device_set_irq() - Set interrupt output @line (QEMU's
 * qemu_set_irq()): the machine's observer, if any, gets the setting when
 * the output is connected.
 * @dev: the device.
 * @line: the output; settings of undeclared outputs are dropped.
 * @level: 0 lowers it, anything else raises it. Nothing is remembered:
 *         raising a raised line is reported again, as in QEMU (a pulse
 *         is a raise and a lower).
 * Context: any thread (MMIO callbacks, timer callbacks).
 */
void machine_device_set_irq(MachineDevice *dev, unsigned line, int level);

/**
 * machine_device_irqs_observed() - Whether anyone observes the machine's
 * interrupt lines now (see MachineDeviceType's @observe_irqs).
 * @dev: the device.
 * Context: any thread.
 * Return: true while an observer is set.
 */
bool machine_device_irqs_observed(MachineDevice *dev);

/** Frees a MachineProps with g_autoptr(MachineProps). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MachineProps, machine_props_free)

ADDRSPACE_END_DECLS

#endif /* ADDRSPACE_MACHINE_DEVICE_H */
