/* SPDX-License-Identifier: MIT */
/*
 * The test machine, as the project's own code sees it: the public API
 * (<addrspace-machine/machine.h>) plus what the board-file code and the
 * tests use to read the specs back. Not installed.
 */
#ifndef HW_TEST_DEVICES_MACHINE_H
#define HW_TEST_DEVICES_MACHINE_H

#include <addrspace-machine/machine.h>

#include "hpet.h"

/**
 * machine_set_error() - Set a located error, the form every board error
 * takes: "WHERE.FIELD: message" ("WHERE: message" without a field).
 * @errp: error return (may be NULL); domain ADDRSPACE_ERROR.
 * @code: an AddrspaceErrorCode.
 * @where: the locator, e.g. "$.regions[3]".
 * @field: the member at fault, e.g. "size", or NULL.
 * @fmt: printf format of the message, then its arguments.
 * Context: any thread.
 */
void machine_set_error(GError **errp, int code, const char *where,
                       const char *field, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

/**
 * machine_region_kind_name() - The board-file name of a region kind.
 * @kind: the kind.
 * Context: any thread.
 * Return: a static string ("ram", "rom", "romd", "io", "container",
 * "alias", "reservation", "iommu", "ram-device").
 */
const char *machine_region_kind_name(MachineRegionKind kind);

/**
 * machine_nr_regions() - Number of region specs.
 * @m: the machine.
 * Context: any thread.
 * Return: the count.
 */
guint machine_nr_regions(Machine *m);

/**
 * machine_region_spec() - Region spec @i as the board is now: addresses,
 * priorities, enabled and readonly flags, parents and alias offsets are
 * read back from the live regions once realized.
 * @m: the machine.
 * @i: index below machine_nr_regions(), in the order added.
 * @spec: filled; its strings belong to the machine and live as long as it.
 * Context: while the topology is not being changed.
 */
void machine_region_spec(Machine *m, guint i, MachineRegionSpec *spec);

/**
 * machine_nr_devices() - Number of device specs.
 * @m: the machine.
 * Context: any thread.
 * Return: the count.
 */
guint machine_nr_devices(Machine *m);

/**
 * machine_device_spec() - Device spec @i (addresses read back as for
 * machine_region_spec()).
 * @m: the machine.
 * @i: index below machine_nr_devices().
 * @spec: filled; strings belong to the machine.
 * Context: while the topology is not being changed.
 */
void machine_device_spec(Machine *m, guint i, MachineDeviceSpec *spec);

/**
 * machine_nr_address_spaces() - Number of AddressSpace specs.
 * @m: the machine.
 * Context: any thread.
 * Return: the count.
 */
guint machine_nr_address_spaces(Machine *m);

/**
 * machine_space_spec() - AddressSpace spec @i.
 * @m: the machine.
 * @i: index below machine_nr_address_spaces().
 * @spec: filled (id set, never NULL); strings belong to the machine.
 * Context: any thread.
 */
void machine_space_spec(Machine *m, guint i, MachineSpaceSpec *spec);

/**
 * machine_address_space_spec() - AddressSpace spec @i.
 * @m: the machine.
 * @i: index below machine_nr_address_spaces().
 * @name: set to its name (owned by the machine).
 * @root: set to its root's name (owned by the machine).
 * @big_endian: set to its byte order.
 * Context: any thread.
 */
void machine_address_space_spec(Machine *m, guint i, const char **name,
                                const char **root, bool *big_endian);

#endif /* HW_TEST_DEVICES_MACHINE_H */
