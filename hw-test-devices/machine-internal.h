/* SPDX-License-Identifier: MIT */
/*
 * Private to the test machine's files (machine.c, machine-realize.c,
 * machine-default.c): the board's records and shared helpers.
 */
#ifndef HW_TEST_DEVICES_MACHINE_INTERNAL_H
#define HW_TEST_DEVICES_MACHINE_INTERNAL_H

#include "machine.h"

/* Size of a testdev on a board. */
#define BOARD_TESTDEV_SIZE 0x1000u

typedef struct BoardRegion {
    MachineRegionSpec spec; /* strings owned */
    MemoryRegion *mr;       /* allocated at realize */
    bool inited;
    bool visiting; /* alias resolution in progress (cycle detection) */
    MemoryRegion *parent_mr;
} BoardRegion;

typedef struct BoardDevice {
    MachineDeviceSpec spec; /* strings owned */
    Machine *m;
    void *dev;
    MemoryRegion *mr;
    MemoryRegion *parent_mr;
} BoardDevice;

typedef struct BoardSpace {
    char *where;
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
    GHashTable *names;  /* region and device names */
    bool realized;
    GMutex irq_lock; /* protects the two fields below */
    MachineIrqHandler irq_handler;
    void *irq_opaque;
    gsize irq_events; /* atomic: settings delivered to irq_handler */
};

/* Connect (or with no observer, disconnect) the HPETs' interrupt lines. */
void machine_wire_hpet_irqs(Machine *m);

/* Prefix an error set by the library with "WHERE.FIELD: ". */
void machine_prefix_error(GError **errp, const char *where, const char *field);

/* The board region or device record named @name, or NULL. */
BoardRegion *machine_find_region(Machine *m, const char *name);
BoardDevice *machine_find_device(Machine *m, const char *name);

/* The live region named @name (a board region or a device's), or NULL. */
MemoryRegion *machine_lookup_mr(Machine *m, const char *name);

/*
 * The record that owns the live region @mr: its name, its locator and its
 * index in add order (regions first, then devices). False when none.
 */
bool machine_find_mr(Machine *m, MemoryRegion *mr, const char **name,
                     const char **where, guint *order);

/* The board name of a live region (its record's name), or NULL. */
const char *machine_name_of_mr(Machine *m, MemoryRegion *mr);

#endif /* HW_TEST_DEVICES_MACHINE_INTERNAL_H */
