/* SPDX-License-Identifier: MIT */
/* The test machine's default board, a small PC-like layout. */
#include "console.h"
#include "machine-internal.h"

static bool add_default_regions(Machine *m, uint64_t ram, GError **errp)
{
    const uint64_t below_max = MACHINE_RAM_BELOW_4G_MAX;
    const MachineRegionSpec split[] = {
        {.kind = MACHINE_REGION_RAM, .name = "ram", .size = ram},
        {.kind = MACHINE_REGION_ALIAS,
         .name = "ram-below-4g",
         .size = below_max,
         .parent = "system",
         .alias_target = "ram"},
        {.kind = MACHINE_REGION_ALIAS,
         .name = "ram-above-4g",
         .size = ram - below_max,
         .parent = "system",
         .addr = 1ull << 32,
         .alias_target = "ram",
         .alias_offset = below_max},
    };
    const MachineRegionSpec flat[] = {
        {.kind = MACHINE_REGION_RAM,
         .name = "ram",
         .size = ram,
         .parent = "system"},
    };
    const MachineRegionSpec rest[] = {
        {.kind = MACHINE_REGION_ROM,
         .name = "rom",
         .size = MACHINE_ROM_SIZE,
         .parent = "system",
         .addr = MACHINE_ROM_BASE},
        {.kind = MACHINE_REGION_ALIAS,
         .name = "isa-rom",
         .size = MACHINE_ROM_SIZE,
         .parent = "system",
         .addr = MACHINE_ISA_ROM_BASE,
         .priority = 1,
         .overlap = true,
         .alias_target = "rom"},
        {.kind = MACHINE_REGION_ROMD,
         .name = "flash",
         .size = MACHINE_FLASH_SIZE,
         .parent = "system",
         .addr = MACHINE_FLASH_BASE},
        {.kind = MACHINE_REGION_IO, .name = "io", .size = MACHINE_IO_SIZE},
        {.kind = MACHINE_REGION_ALIAS,
         .name = "console-io",
         .size = CONSOLE_REGION_SIZE,
         .parent = "io",
         .addr = MACHINE_CONSOLE_PORT,
         .alias_target = "console"},
    };
    const MachineRegionSpec system = {
        .kind = MACHINE_REGION_CONTAINER, .name = "system", .size = UINT64_MAX};
    bool big = ram > below_max;
    const MachineRegionSpec *ram_specs = big ? split : flat;
    size_t n_ram = big ? G_N_ELEMENTS(split) : G_N_ELEMENTS(flat);

    if (!machine_add_region(m, &system, errp)) {
        return false;
    }
    for (size_t i = 0; i < n_ram + G_N_ELEMENTS(rest); i++) {
        const MachineRegionSpec *spec =
            i < n_ram ? &ram_specs[i] : &rest[i - n_ram];

        if (!machine_add_region(m, spec, errp)) {
            return false;
        }
    }
    return true;
}

ADDRSPACE_EXPORT Machine *machine_new_default(const MachineConfig *cfg,
                                              GError **errp)
{
    uint64_t ram =
        cfg && cfg->ram_size ? cfg->ram_size : MACHINE_DEFAULT_RAM_SIZE;
    bool q35 = cfg && cfg->flavour == MACHINE_FLAVOUR_Q35;
    g_autoptr(MachineProps) hpet_props = machine_props_new();
    g_autoptr(MachineProps) dma_props = machine_props_new();
    const MachineDeviceSpec devices[] = {
        {.type = "hpet",
         .name = "hpet",
         .parent = "system",
         .addr = MACHINE_HPET_BASE,
         .props = hpet_props},
        {.type = "testdev",
         .name = "testdev",
         .parent = "system",
         .addr = MACHINE_TESTDEV_BASE},
        {.type = "dma-testdev",
         .name = "dma-testdev",
         .parent = "system",
         .addr = MACHINE_DMA_TESTDEV_BASE,
         .props = dma_props},
        {.type = "console",
         .name = "console",
         .parent = "system",
         .addr = MACHINE_CONSOLE_BASE},
    };
    Machine *m = machine_new();
    bool ok = add_default_regions(m, ram, errp);

    if (q35) {
        machine_props_set_u64(hpet_props, "intcap", HPET_Q35_INTCAP);
    }
    machine_props_set_string(dma_props, "address_space", "memory");

    for (size_t i = 0; ok && i < G_N_ELEMENTS(devices); i++) {
        ok = machine_add_device(m, &devices[i], errp);
    }
    ok = ok &&
         machine_add_address_space(m, NULL, "memory", "system", false, errp) &&
         machine_add_address_space(m, NULL, "I/O", "io", false, errp) &&
         machine_realize(m, errp);
    if (!ok) {
        machine_free(m);
        return NULL;
    }
    return m;
}
