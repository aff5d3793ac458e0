/* SPDX-License-Identifier: MIT */
/*
 * Private to the test machine's files (machine.c, machine-realize.c,
 * machine-default.c): the board's records and shared helpers.
 */
#ifndef HW_TEST_DEVICES_MACHINE_INTERNAL_H
#define HW_TEST_DEVICES_MACHINE_INTERNAL_H

#include "machine.h"
#include "props-internal.h"

/* Size of a testdev on a board. */
#define BOARD_TESTDEV_SIZE 0x1000u

typedef struct BoardRegion {
    MachineRegionSpec spec; /* strings owned; spec.id never NULL */
    MemoryRegion *mr;       /* allocated at realize */
    bool inited;
    bool visiting; /* alias resolution in progress (cycle detection) */
    MemoryRegion *parent_mr;
    void *ram_device;       /* ram-device: its memory (mmap), or NULL */
    AddressSpace *iommu_as; /* iommu: the target, set once realized */
} BoardRegion;

/* A device's region other than its first ("ID:NAME" on the board). */
typedef struct BoardDeviceRegion {
    char *id; /* "ID:NAME" */
    MemoryRegion *mr;
} BoardDeviceRegion;

/* A device instance: the handle its type's callbacks get (device.h). */
typedef struct MachineDevice {
    MachineDeviceSpec spec; /* strings owned; spec.id never NULL */
    Machine *m;
    const MachineDeviceType *type;
    MachineProps *props; /* spec.props points here */
    void *dev;           /* what the type's realize returned */
    MemoryRegion *mr;    /* the first region */
    MemoryRegion *parent_mr;
    GPtrArray *regions; /* BoardDeviceRegion *, or NULL */
    unsigned nr_irqs;   /* outputs declared */
    int *irq_input;     /* per output: the ioapic input, or -1 */
    bool realizing;     /* in the type's realize callback */
} BoardDevice;

typedef struct BoardSpace {
    char *where;
    char *id;
    char *name;
    char *root;
    bool big_endian;
    bool inited;
    AddressSpace as;
} BoardSpace;

struct Machine {
    VClock *clock;
    GPtrArray *regions; /* BoardRegion *, in the order added */
    GPtrArray *devices; /* BoardDevice * */
    GPtrArray *spaces;  /* BoardSpace * */
    GHashTable *names;  /* region and device ids */
    GHashTable *owners; /* owner key -> MemoryOwner * (one reference) */
    bool realized;
    GMutex irq_lock; /* protects the two fields below */
    MachineIrqHandler irq_handler;
    void *irq_opaque;
    gsize irq_events; /* atomic: settings delivered to irq_handler */
};

/* Tell the devices whether interrupt lines are observed now. */
void machine_observe_irqs(Machine *m);

/*
 * Create device @bd through its type (machine_add_device()); false with
 * @errp set and nothing left behind.
 */
bool machine_device_realize(BoardDevice *bd, GError **errp);

/* Connect the devices once the AddressSpaces exist (machine_realize()). */
bool machine_connect_devices(Machine *m, GError **errp);

/* The type's unrealize, then (after the regions are unmapped) its free. */
void machine_device_unrealize(BoardDevice *bd);
void machine_device_free(BoardDevice *bd);

/* The region of device @bd named "ID:NAME" @id, or NULL. */
MemoryRegion *machine_device_region(BoardDevice *bd, const char *id);

/* Prefix an error set by the library with "WHERE.FIELD: ". */
void machine_prefix_error(GError **errp, const char *where, const char *field);

/* The board region or device record with id @id, or NULL. */
BoardRegion *machine_find_region(Machine *m, const char *id);
BoardDevice *machine_find_device(Machine *m, const char *id);

/* The AddressSpace record with id @id, or NULL. */
BoardSpace *machine_find_space(Machine *m, const char *id);

/* The live region with id @id (a board region or a device's), or NULL. */
MemoryRegion *machine_lookup_mr(Machine *m, const char *id);

/*
 * The record that owns the live region @mr: its id, its locator and its
 * index in add order (regions first, then devices). False when none.
 */
bool machine_find_mr(Machine *m, MemoryRegion *mr, const char **id,
                     const char **where, guint *order);

/* The board id of a live region (its record's id), or NULL. */
const char *machine_name_of_mr(Machine *m, MemoryRegion *mr);

/*
 * The shared MemoryOwner for @spec (created on first use, the machine
 * holding one reference), or NULL when @spec names no owner.
 */
MemoryOwner *machine_owner(Machine *m, const MachineOwnerSpec *spec);

#endif /* HW_TEST_DEVICES_MACHINE_INTERNAL_H */
