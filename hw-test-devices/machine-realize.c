/* SPDX-License-Identifier: MIT */
/*
 * The test machine: building a board from its specs with the public memory
 * API (devices, regions with alias targets first, mapping in the order
 * added, collision check, AddressSpaces, device wiring).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "console.h"
#include "dma-testdev.h"
#include "hpet.h"
#include "machine-internal.h"
#include "testdev.h"

/* ---- region behaviours -------------------------------------------------- */

/* "io" regions: QEMU's unassigned I/O ports read all ones. */
static uint64_t ones_read(void *opaque, hwaddr addr, unsigned size)
{
    (void)opaque;
    (void)addr;
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

static void ones_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    (void)opaque;
    (void)addr;
    (void)data;
    (void)size;
}

static const MemoryRegionOps ones_ops = {
    .read = ones_read,
    .write = ones_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

/* Flash identifier bytes read in MMIO mode (Intel-style read-ID). */
#define FLASH_ID_MANUFACTURER 0x89u
#define FLASH_ID_DEVICE       0x18u
#define FLASH_CMD_READ_ID     0x90u
#define FLASH_CMD_READ_ARRAY  0xffu

static uint64_t flash_read(void *opaque, hwaddr addr, unsigned size)
{
    (void)opaque;
    (void)size;
    if (addr == 0) {
        return FLASH_ID_MANUFACTURER;
    }
    return addr == 1 ? FLASH_ID_DEVICE : 0;
}

static void flash_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    BoardRegion *br = opaque;

    (void)addr;
    (void)size;
    if (data == FLASH_CMD_READ_ID) {
        memory_region_rom_device_set_romd(br->mr, false);
    } else if (data == FLASH_CMD_READ_ARRAY) {
        memory_region_rom_device_set_romd(br->mr, true);
    }
}

static const MemoryRegionOps flash_ops = {
    .read = flash_read,
    .write = flash_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = {.min_access_size = 1, .max_access_size = 1},
};
/* ---- realize ------------------------------------------------------------ */

/* HPET output @line: a PC connects outputs 0-23 to GSIs 0-23 (QEMU). */
static void board_hpet_irq(void *opaque, unsigned line, bool level)
{
    BoardDevice *bd = opaque;
    Machine *m = bd->m;
    MachineIrqHandler handler;
    void *handler_opaque;

    if (line >= HPET_PC_GSI_LINES) {
        return; /* not connected */
    }
    g_mutex_lock(&m->irq_lock);
    handler = m->irq_handler;
    handler_opaque = m->irq_opaque;
    g_mutex_unlock(&m->irq_lock);
    if (handler) {
        g_atomic_pointer_add(&m->irq_events, 1);
        handler(handler_opaque, bd->spec.id, (int)line, level);
    }
}

void machine_wire_hpet_irqs(Machine *m)
{
    bool observed;

    g_mutex_lock(&m->irq_lock);
    observed = m->irq_handler != NULL;
    g_mutex_unlock(&m->irq_lock);
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        if (bd->spec.type == MACHINE_DEVICE_HPET && bd->dev) {
            hpet_set_irq_handler(bd->dev, observed ? board_hpet_irq : NULL, bd);
        }
    }
}

static bool create_device(BoardDevice *bd, GError **errp)
{
    const MachineDeviceSpec *spec = &bd->spec;

    switch (spec->type) {
    case MACHINE_DEVICE_HPET: {
        HPETState *h = hpet_new(
            bd->m->clock,
            spec->hpet_timers ? spec->hpet_timers : HPET_MIN_TIMERS, errp);
        if (h) {
            hpet_set_intcap(h, spec->hpet_intcap ? spec->hpet_intcap
                                                 : HPET_DEFAULT_INTCAP);
            hpet_set_compat(h, spec->hpet_compat);
            bd->mr = hpet_mmio(h);
        }
        bd->dev = h;
        break;
    }
    case MACHINE_DEVICE_TESTDEV: {
        TestDevConfig cfg = {.size = BOARD_TESTDEV_SIZE};
        TestDev *t = testdev_new(spec->name, &cfg, errp);

        bd->dev = t;
        bd->mr = t ? testdev_region(t) : NULL;
        break;
    }
    case MACHINE_DEVICE_DMA_TESTDEV: {
        DmaTestDev *d = dma_testdev_new(spec->name, NULL, errp);

        bd->dev = d;
        bd->mr = d ? dma_testdev_region(d) : NULL;
        break;
    }
    case MACHINE_DEVICE_CONSOLE: {
        Console *c = console_new(spec->name, errp);

        bd->dev = c;
        bd->mr = c ? console_region(c) : NULL;
        break;
    }
    }
    if (!bd->dev) {
        machine_prefix_error(errp, spec->where, NULL);
        return false;
    }
    if (spec->owner.path || spec->owner.id) {
        memory_owner_set_qom(memory_region_owner(bd->mr), !spec->owner.object,
                             spec->owner.path, spec->owner.id);
    }
    return true;
}

static bool init_region(Machine *m, BoardRegion *br, GError **errp);

/*
 * The region an alias points at, initialised first when the file lists it
 * later (any kind; aliases of aliases are followed, refusing cycles).
 */
static MemoryRegion *alias_target(Machine *m, BoardRegion *br, GError **errp)
{
    BoardRegion *target = machine_find_region(m, br->spec.alias_target);
    BoardDevice *dev;

    if (target) {
        if (!target->inited) {
            if (target->visiting) {
                machine_set_error(errp, ADDRSPACE_ERROR_CYCLE, br->spec.where,
                                  "target", "alias cycle through '%s'",
                                  target->spec.id);
                return NULL;
            }
            if (!init_region(m, target, errp)) {
                return NULL;
            }
        }
        return target->mr;
    }
    dev = machine_find_device(m, br->spec.alias_target);
    if (dev) {
        return dev->mr;
    }
    machine_set_error(errp, ADDRSPACE_ERROR_NOT_FOUND, br->spec.where, "target",
                      "unknown region '%s'", br->spec.alias_target);
    return NULL;
}

/* The window may pass the target's end: QEMU accepts it (q35's tseg). */
static bool init_alias(Machine *m, BoardRegion *br, GError **errp)
{
    const MachineRegionSpec *spec = &br->spec;
    MemoryRegion *target;
    bool ok;

    br->visiting = true;
    target = alias_target(m, br, errp);
    br->visiting = false;
    if (!target) {
        return false;
    }
    ok = memory_region_init_alias(br->mr, machine_owner(m, &spec->owner),
                                  spec->name, target, spec->alias_offset,
                                  spec->size, errp);
    if (!ok) {
        machine_prefix_error(errp, spec->where, "target");
        return false;
    }
    br->inited = true;
    return true;
}

/*
 * Board IOMMUs: offset x of the region is offset + x of the target
 * AddressSpace, one page at a time, with the spec's permissions.
 */
static IOMMUTLBEntry board_iommu_translate(void *opaque, hwaddr addr,
                                           IOMMUAccessFlags flag, int iommu_idx)
{
    const BoardRegion *br = opaque;
    const MachineIommuSpec *io = &br->spec.iommu;
    hwaddr mask = io->page_size - 1;

    (void)flag;
    (void)iommu_idx;
    return (IOMMUTLBEntry){
        .target_as = br->iommu_as,
        .iova = addr & ~mask,
        .translated_addr = io->offset + (addr & ~mask),
        .addr_mask = mask,
        .perm = (IOMMUAccessFlags)io->perm,
    };
}

static const IOMMUMemoryRegionOps board_iommu_ops = {
    .translate = board_iommu_translate,
};

/* Zero-filled memory for a ram-device region (unmapped by machine_free). */
static bool init_ram_device(Machine *m, BoardRegion *br, GError **errp)
{
    const MachineRegionSpec *spec = &br->spec;
    void *host = mmap(NULL, spec->size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (host == MAP_FAILED) {
        /* located by init_region() */
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "cannot map 0x%" PRIx64 " bytes: %s", spec->size,
                            g_strerror(errno));
        return false;
    }
    br->ram_device = host;
    return memory_region_init_ram_device_ptr(
        br->mr, machine_owner(m, &spec->owner), spec->name, spec->size, host,
        errp);
}

static bool init_region(Machine *m, BoardRegion *br, GError **errp)
{
    const MachineRegionSpec *spec = &br->spec;
    MemoryRegion *mr = br->mr;
    MemoryOwner *owner;
    bool ok = false;

    if (br->inited) {
        return true; /* an alias target initialised early */
    }
    if (spec->kind == MACHINE_REGION_ALIAS) {
        return init_alias(m, br, errp);
    }
    owner = machine_owner(m, &spec->owner);
    switch (spec->kind) {
    case MACHINE_REGION_RAM:
        ok = memory_region_init_ram(mr, owner, spec->name, spec->size, errp);
        break;
    case MACHINE_REGION_ROM:
        ok = memory_region_init_rom(mr, owner, spec->name, spec->size, errp);
        break;
    case MACHINE_REGION_ROMD:
        ok = memory_region_init_rom_device(mr, owner, &flash_ops, br,
                                           spec->name, spec->size, errp);
        break;
    case MACHINE_REGION_IO:
        ok = memory_region_init_io(mr, owner, &ones_ops, NULL, spec->name,
                                   spec->size, errp);
        break;
    case MACHINE_REGION_CONTAINER:
        ok = memory_region_init(mr, owner, spec->name, spec->size, errp);
        break;
    case MACHINE_REGION_RESERVATION:
        ok = memory_region_init_reservation(mr, owner, spec->name, spec->size,
                                            errp);
        break;
    case MACHINE_REGION_IOMMU:
        ok = memory_region_init_iommu(mr, owner, &board_iommu_ops, br,
                                      spec->name, spec->size, errp);
        break;
    case MACHINE_REGION_RAM_DEVICE:
        ok = init_ram_device(m, br, errp);
        break;
    case MACHINE_REGION_ALIAS:
        g_assert_not_reached();
    }
    if (!ok) {
        machine_prefix_error(errp, spec->where, "size");
        return false;
    }
    br->inited = true;
    return true;
}

/* Map @mr (spec at @where) into the region named @parent. */
static bool map_one(Machine *m, const char *where, MemoryRegion *mr,
                    const char *parent, hwaddr addr, int priority, bool overlap,
                    MemoryRegion **parent_mr, GError **errp)
{
    MemoryRegion *p = machine_lookup_mr(m, parent);
    bool ok;

    if (!p) {
        machine_set_error(errp, ADDRSPACE_ERROR_NOT_FOUND, where, "parent",
                          "unknown region '%s'", parent);
        return false;
    }
    /*
     * A region may run past its parent's end: QEMU accepts it and the
     * render clips it to the parent (board/qemu/past-parent-end). Past
     * 2^64 the library refuses it; say so at "addr".
     */
    if (memory_region_size(mr) &&
        (addrspace_u128)addr + memory_region_size(mr) >
            ((addrspace_u128)1 << 64)) {
        machine_set_error(errp, ADDRSPACE_ERROR_OVERFLOW, where, "addr",
                          "0x%" PRIx64 " + size 0x%" PRIx64 " runs past 2^64",
                          addr, memory_region_size(mr));
        return false;
    }
    ok = overlap
             ? memory_region_add_subregion_overlap(p, addr, mr, priority, errp)
             : memory_region_add_subregion(p, addr, mr, errp);
    if (!ok) {
        machine_prefix_error(errp, where, "parent");
        return false;
    }
    *parent_mr = p;
    return true;
}

static bool map_all(Machine *m, GError **errp)
{
    for (guint i = 0; i < m->regions->len; i++) {
        BoardRegion *br = m->regions->pdata[i];
        const MachineRegionSpec *spec = &br->spec;

        if (spec->disabled) {
            memory_region_set_enabled(br->mr, false);
        }
        if (spec->readonly) {
            memory_region_set_readonly(br->mr, true);
        }
        if (spec->nonvolatile) {
            memory_region_set_nonvolatile(br->mr, true);
        }
        if (spec->parent &&
            !map_one(m, spec->where, br->mr, spec->parent, spec->addr,
                     spec->priority, spec->overlap, &br->parent_mr, errp)) {
            return false;
        }
    }
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];
        const MachineDeviceSpec *spec = &bd->spec;

        if (spec->parent &&
            !map_one(m, spec->where, bd->mr, spec->parent, spec->addr,
                     spec->priority, spec->overlap, &bd->parent_mr, errp)) {
            return false;
        }
    }
    return true;
}

/* The locator of the spec that owns @mr, and its index in add order. */
static const char *where_of_mr(Machine *m, MemoryRegion *mr, guint *order)
{
    const char *name, *where;

    if (!machine_find_mr(m, mr, &name, &where, order)) {
        *order = 0;
        return "?";
    }
    return where;
}

/* QEMU accepts overlapping add_subregion() siblings; board files do not. */
static bool check_collisions(Machine *m, GError **errp)
{
    for (guint i = 0; i < m->regions->len + m->devices->len; i++) {
        MemoryRegion *parent, *a, *b;
        const char *wa, *wb;
        guint oa, ob;

        if (i < m->regions->len) {
            parent = ((BoardRegion *)m->regions->pdata[i])->mr;
        } else {
            parent =
                ((BoardDevice *)m->devices->pdata[i - m->regions->len])->mr;
        }
        if (!memory_region_find_collision(parent, &a, &b)) {
            continue;
        }
        wa = where_of_mr(m, a, &oa);
        wb = where_of_mr(m, b, &ob);
        /* blame the one added later */
        machine_set_error(
            errp, ADDRSPACE_ERROR_OVERLAP, ob > oa ? wb : wa, NULL,
            "'%s' overlaps '%s' in '%s' (add \"overlap\": true and a "
            "priority to allow it)",
            memory_region_name(ob > oa ? b : a),
            memory_region_name(ob > oa ? a : b), memory_region_name(parent));
        return false;
    }
    return true;
}

static bool init_spaces(Machine *m, GError **errp)
{
    for (guint i = 0; i < m->spaces->len; i++) {
        BoardSpace *bs = m->spaces->pdata[i];
        MemoryRegion *root = machine_lookup_mr(m, bs->root);

        if (!root) {
            machine_set_error(errp, ADDRSPACE_ERROR_NOT_FOUND, bs->where,
                              "root", "unknown region '%s'", bs->root);
            return false;
        }
        if (!address_space_init(&bs->as, root, bs->name, errp)) {
            machine_prefix_error(errp, bs->where, "root");
            return false;
        }
        bs->inited = true;
        address_space_set_big_endian(&bs->as, bs->big_endian);
    }
    return true;
}

/* The AddressSpace with id @id (NULL: the first one), or NULL. */
static AddressSpace *space_by_id(Machine *m, const char *id)
{
    BoardSpace *bs = id ? machine_find_space(m, id) : NULL;

    if (!id) {
        return machine_address_space(m, NULL);
    }
    return bs && bs->inited ? &bs->as : NULL;
}

static bool wire_devices(Machine *m, GError **errp)
{
    machine_wire_hpet_irqs(m);
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];
        const char *as_id = bd->spec.dma_address_space;
        AddressSpace *as;

        if (bd->spec.type == MACHINE_DEVICE_HPET) {
            /* QEMU: FSB messages go to address_space_memory */
            hpet_set_fsb_address_space(bd->dev, machine_address_space(m, NULL));
            continue;
        }
        if (bd->spec.type != MACHINE_DEVICE_DMA_TESTDEV) {
            continue;
        }
        as = space_by_id(m, as_id);
        if (!as && as_id) {
            machine_set_error(errp, ADDRSPACE_ERROR_NOT_FOUND, bd->spec.where,
                              "address_space", "unknown address space '%s'",
                              as_id);
            return false;
        }
        dma_testdev_set_address_space(bd->dev, as);
    }
    for (guint i = 0; i < m->regions->len; i++) {
        BoardRegion *br = m->regions->pdata[i];

        if (br->spec.kind != MACHINE_REGION_IOMMU) {
            continue;
        }
        br->iommu_as = space_by_id(m, br->spec.iommu.address_space);
        if (!br->iommu_as) {
            machine_set_error(errp, ADDRSPACE_ERROR_NOT_FOUND, br->spec.where,
                              "address_space", "unknown address space '%s'",
                              br->spec.iommu.address_space);
            return false;
        }
    }
    return true;
}

bool machine_realize(Machine *m, GError **errp)
{
    /* locators are prefixed to errors of the calls below */
    ERRP_GUARD();
    bool ok = true;

    g_return_val_if_fail(!m->realized, false);
    m->realized = true;
    for (guint i = 0; ok && i < m->devices->len; i++) {
        ok = create_device(m->devices->pdata[i], errp);
    }
    for (guint i = 0; i < m->regions->len; i++) {
        ((BoardRegion *)m->regions->pdata[i])->mr = g_new0(MemoryRegion, 1);
    }
    for (guint i = 0; ok && i < m->regions->len; i++) {
        ok = init_region(m, m->regions->pdata[i], errp);
    }
    if (ok) {
        memory_region_transaction_begin();
        ok = map_all(m, errp);
        memory_region_transaction_commit();
    }
    ok = ok && check_collisions(m, errp);
    ok = ok && init_spaces(m, errp);
    ok = ok && wire_devices(m, errp);
    return ok;
}
