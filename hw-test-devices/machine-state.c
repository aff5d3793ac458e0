/* SPDX-License-Identifier: MIT */
/*
 * Machine states (machine.h): a RAM snapshot, every device's GVariant
 * state, the board ROM devices' modes and the clock, restored in place.
 */
#include <addrspace/bql.h>
#include <addrspace/snapshot.h>

#include "machine-internal.h"

struct MachineState {
    Machine *m; /* only compared: the state may outlive the machine */
    RamSnapshot *ram;
    int64_t time;
    bool realtime;
    guint nr_devices;
    GVariant **devices; /* per device, in add order (owned) */
    guint nr_regions;
    bool *romd; /* per board region: the ROM device's mode */
};

/* The big lock, taken unless the caller holds it. */
static bool lock_bql(void)
{
    if (bql_locked()) {
        return false;
    }
    bql_lock();
    return true;
}

/* The board's RAM-backed regions a snapshot covers. */
static GPtrArray *ram_regions(Machine *m)
{
    GPtrArray *a = g_ptr_array_new();

    for (guint i = 0; i < m->regions->len; i++) {
        BoardRegion *br = m->regions->pdata[i];

        if (br->inited && (br->spec.kind == MACHINE_REGION_RAM ||
                           br->spec.kind == MACHINE_REGION_ROM ||
                           br->spec.kind == MACHINE_REGION_ROMD)) {
            g_ptr_array_add(a, br->mr);
        }
    }
    return a;
}

ADDRSPACE_EXPORT MachineState *machine_state_save(Machine *m, GError **errp)
{
    g_autoptr(GPtrArray) regions = NULL;
    MachineState *st;
    bool locked;

    if (!m->realized) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "machine_state_save: the machine is not realized");
        return NULL;
    }
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        if (!bd->type->save) {
            machine_set_error(errp, ADDRSPACE_ERROR_INVALID, bd->spec.where,
                              NULL,
                              "device type '%s' cannot save its state (no "
                              "save callback)",
                              bd->type->name);
            return NULL;
        }
    }
    regions = ram_regions(m);
    st = g_new0(MachineState, 1);
    st->m = m;
    /* outside the big lock: the take waits for a grace period */
    st->ram = ram_snapshot_take((MemoryRegion *const *)regions->pdata,
                                regions->len, errp);
    if (!st->ram) {
        g_free(st);
        return NULL;
    }
    locked = lock_bql();
    st->time = vclock_now_ns(m->clock);
    st->realtime = vclock_is_realtime(m->clock);
    st->nr_devices = m->devices->len;
    st->devices = g_new0(GVariant *, st->nr_devices);
    for (guint i = 0; i < st->nr_devices; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        st->devices[i] = g_variant_ref_sink(bd->type->save(bd, bd->dev));
        g_assert(g_variant_is_of_type(st->devices[i],
                                      G_VARIANT_TYPE(bd->type->state_type)));
    }
    st->nr_regions = m->regions->len;
    st->romd = g_new0(bool, st->nr_regions ? st->nr_regions : 1);
    for (guint i = 0; i < st->nr_regions; i++) {
        BoardRegion *br = m->regions->pdata[i];

        st->romd[i] = br->inited && memory_region_is_romd(br->mr);
    }
    if (locked) {
        bql_unlock();
    }
    return st;
}

ADDRSPACE_EXPORT bool machine_state_restore(Machine *m, MachineState *st,
                                            GError **errp)
{
    bool ok = true;
    bool locked;

    if (st->m != m || st->nr_devices != m->devices->len ||
        st->nr_regions != m->regions->len) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "machine_state_restore: the state was saved "
                            "from another machine");
        return false;
    }
    if (!ram_snapshot_restore(st->ram, NULL, errp)) {
        return false;
    }
    locked = lock_bql();
    vclock_jump(m->clock, st->time);
    vclock_set_realtime(m->clock, st->realtime);
    for (guint i = 0; ok && i < st->nr_devices; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        ok = bd->type->restore(bd, bd->dev, bd->type->state_version,
                               st->devices[i], errp);
        if (!ok) {
            machine_prefix_error(errp, bd->spec.where, NULL);
        }
    }
    for (guint i = 0; ok && i < st->nr_regions; i++) {
        BoardRegion *br = m->regions->pdata[i];

        if (br->inited && br->spec.kind == MACHINE_REGION_ROMD &&
            memory_region_is_romd(br->mr) != st->romd[i]) {
            memory_region_rom_device_set_romd(br->mr, st->romd[i]);
        }
    }
    if (locked) {
        bql_unlock();
    }
    return ok;
}

ADDRSPACE_EXPORT void machine_state_free(MachineState *st)
{
    if (!st) {
        return;
    }
    for (guint i = 0; i < st->nr_devices; i++) {
        g_variant_unref(st->devices[i]);
    }
    g_free(st->devices);
    g_free(st->romd);
    ram_snapshot_free(st->ram);
    g_free(st);
}
