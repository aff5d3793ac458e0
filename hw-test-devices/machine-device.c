/* SPDX-License-Identifier: MIT */
/*
 * The test machine's devices (device.h): the handle a type's callbacks
 * get, realize through the registry, interrupt outputs and the machine's
 * operations that reach every device (reset, -global, console output).
 */
#include <string.h>

#include <addrspace/bql.h>

#include "machine-internal.h"

/* ---- the handle --------------------------------------------------------- */

ADDRSPACE_EXPORT const char *machine_device_id(const MachineDevice *dev)
{
    return dev->spec.id;
}

ADDRSPACE_EXPORT const char *machine_device_name(const MachineDevice *dev)
{
    return dev->spec.name;
}

ADDRSPACE_EXPORT Machine *machine_device_get_machine(MachineDevice *dev)
{
    return dev->m;
}

ADDRSPACE_EXPORT VClock *machine_device_clock(MachineDevice *dev)
{
    return dev->m->clock;
}

ADDRSPACE_EXPORT MachineProps *machine_device_props(MachineDevice *dev)
{
    return dev->props;
}

/* A region name: 1 to MACHINE_NAME_MAX printable bytes, no ':'. */
static bool good_region_name(const char *s)
{
    if (!*s || strlen(s) > MACHINE_NAME_MAX) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ':') {
            return false;
        }
    }
    return true;
}

ADDRSPACE_EXPORT bool machine_device_add_region(MachineDevice *dev,
                                                const char *name,
                                                MemoryRegion *mr, GError **errp)
{
    BoardDeviceRegion *r;
    g_autofree char *id = NULL;

    if (!dev->realizing || !mr) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, dev->spec.where, NULL,
                          "regions are given from the type's realize only");
        return false;
    }
    if (!name) {
        if (dev->mr) {
            machine_set_error(errp, ADDRSPACE_ERROR_INVALID, dev->spec.where,
                              NULL, "the first region was given twice");
            return false;
        }
        dev->mr = mr;
        return true;
    }
    if (!dev->mr || !good_region_name(name)) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, dev->spec.where, NULL,
                          dev->mr ? "bad region name '%s'"
                                  : "region '%s' given before the first",
                          name);
        return false;
    }
    id = g_strdup_printf("%s:%s", dev->spec.id, name);
    if (g_hash_table_contains(dev->m->names, id) ||
        machine_device_region(dev, id)) {
        machine_set_error(errp, ADDRSPACE_ERROR_BUSY, dev->spec.where, NULL,
                          "region id '%s' is taken", id);
        return false;
    }
    if (!dev->regions) {
        dev->regions = g_ptr_array_new();
    }
    r = g_new0(BoardDeviceRegion, 1);
    r->id = g_steal_pointer(&id);
    r->mr = mr;
    g_ptr_array_add(dev->regions, r);
    return true;
}

MemoryRegion *machine_device_region(BoardDevice *bd, const char *id)
{
    for (guint i = 0; bd->regions && i < bd->regions->len; i++) {
        BoardDeviceRegion *r = bd->regions->pdata[i];

        if (strcmp(r->id, id) == 0) {
            return r->mr;
        }
    }
    return NULL;
}

ADDRSPACE_EXPORT bool machine_device_init_irqs(MachineDevice *dev,
                                               unsigned count, GError **errp)
{
    if (!dev->realizing || dev->nr_irqs || count == 0 ||
        count > MACHINE_DEVICE_MAX_IRQS) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, dev->spec.where, NULL,
                          "interrupt outputs are declared once, from "
                          "realize, 1 to %u of them",
                          MACHINE_DEVICE_MAX_IRQS);
        return false;
    }
    dev->nr_irqs = count;
    return true;
}

ADDRSPACE_EXPORT void machine_device_set_irq(MachineDevice *dev, unsigned line,
                                             int level)
{
    Machine *m = dev->m;
    MachineIrqHandler handler;
    void *handler_opaque;

    if (line >= dev->nr_irqs || !dev->irq_input || dev->irq_input[line] < 0) {
        return; /* not connected */
    }
    g_mutex_lock(&m->irq_lock);
    handler = m->irq_handler;
    handler_opaque = m->irq_opaque;
    g_mutex_unlock(&m->irq_lock);
    if (handler) {
        g_atomic_pointer_add(&m->irq_events, 1);
        handler(handler_opaque, dev->spec.id, (int)line, dev->irq_input[line],
                level != 0);
    }
}

ADDRSPACE_EXPORT bool machine_device_irqs_observed(MachineDevice *dev)
{
    bool observed;

    g_mutex_lock(&dev->m->irq_lock);
    observed = dev->m->irq_handler != NULL;
    g_mutex_unlock(&dev->m->irq_lock);
    return observed;
}

void machine_observe_irqs(Machine *m)
{
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        if (bd->dev && bd->type->observe_irqs) {
            bd->type->observe_irqs(bd, bd->dev,
                                   machine_device_irqs_observed(bd));
        }
    }
}

/* ---- life --------------------------------------------------------------- */

/* Output n to input spec.irqs[n], or to n when there is no "irqs". */
static bool wire_irqs(BoardDevice *bd, GError **errp)
{
    if (bd->spec.nr_irqs > bd->nr_irqs) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, bd->spec.where, "irqs",
                          "%u entries for %u interrupt outputs",
                          bd->spec.nr_irqs, bd->nr_irqs);
        return false;
    }
    bd->irq_input = g_new(int, bd->nr_irqs ? bd->nr_irqs : 1);
    for (unsigned n = 0; n < bd->nr_irqs; n++) {
        if (bd->spec.irqs) {
            bd->irq_input[n] = n < bd->spec.nr_irqs ? bd->spec.irqs[n] : -1;
        } else {
            bd->irq_input[n] = n < MACHINE_IRQ_INPUTS ? (int)n : -1;
        }
    }
    return true;
}

bool machine_device_realize(BoardDevice *bd, GError **errp)
{
    bd->realizing = true;
    bd->dev = bd->type->realize(bd, bd->props, errp);
    bd->realizing = false;
    if (!bd->dev) {
        if (errp && *errp &&
            !g_str_has_prefix((*errp)->message, bd->spec.where)) {
            machine_prefix_error(errp, bd->spec.where, NULL);
        }
        return false;
    }
    if (!bd->mr) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, bd->spec.where, NULL,
                          "device type '%s' gave no region", bd->type->name);
    } else if (wire_irqs(bd, errp)) {
        if (bd->spec.owner.path || bd->spec.owner.id) {
            memory_owner_set_qom(memory_region_owner(bd->mr),
                                 !bd->spec.owner.object, bd->spec.owner.path,
                                 bd->spec.owner.id);
        }
        if (bd->type->observe_irqs) {
            bd->type->observe_irqs(bd, bd->dev,
                                   machine_device_irqs_observed(bd));
        }
        return true;
    }
    machine_device_unrealize(bd);
    machine_device_free(bd);
    return false;
}

bool machine_connect_devices(Machine *m, GError **errp)
{
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        if (bd->type->connect &&
            !bd->type->connect(bd, bd->dev, bd->props, errp)) {
            if (errp && *errp &&
                !g_str_has_prefix((*errp)->message, bd->spec.where)) {
                machine_prefix_error(errp, bd->spec.where, NULL);
            }
            return false;
        }
    }
    return true;
}

void machine_device_unrealize(BoardDevice *bd)
{
    if (bd->dev && bd->type->unrealize) {
        bd->type->unrealize(bd, bd->dev);
    }
}

void machine_device_free(BoardDevice *bd)
{
    if (bd->dev && bd->type->free) {
        bd->type->free(bd, bd->dev);
    }
    bd->dev = NULL;
    bd->mr = NULL;
    for (guint i = 0; bd->regions && i < bd->regions->len; i++) {
        BoardDeviceRegion *r = bd->regions->pdata[i];

        g_free(r->id);
        g_free(r);
    }
    if (bd->regions) {
        g_ptr_array_free(bd->regions, TRUE);
        bd->regions = NULL;
    }
    g_clear_pointer(&bd->irq_input, g_free);
    bd->nr_irqs = 0;
}

/* ---- machine-wide operations -------------------------------------------- */

ADDRSPACE_EXPORT MachineDevice *machine_device_handle(Machine *m,
                                                      const char *name)
{
    return machine_find_device(m, name);
}

ADDRSPACE_EXPORT void *machine_device(Machine *m, const char *name,
                                      const char *type)
{
    BoardDevice *bd = machine_find_device(m, name);

    return bd && (!type || strcmp(bd->type->name, type) == 0) ? bd->dev : NULL;
}

ADDRSPACE_EXPORT const char *machine_find_device_type(Machine *m,
                                                      const char *type)
{
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        if (strcmp(bd->type->name, type) == 0) {
            return bd->spec.id;
        }
    }
    return NULL;
}

ADDRSPACE_EXPORT int machine_device_irq_lines(Machine *m, const char *name)
{
    BoardDevice *bd = machine_find_device(m, name);

    return bd ? (int)bd->nr_irqs : 0;
}

ADDRSPACE_EXPORT void machine_set_console_output(Machine *m, FILE *out)
{
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        if (bd->dev && bd->type->set_output) {
            bd->type->set_output(bd, bd->dev, out);
        }
    }
}

ADDRSPACE_EXPORT bool machine_set_global(Machine *m, const char *assignment,
                                         GError **errp)
{
    const char *eq = strchr(assignment, '=');
    const char *dot = strchr(assignment, '.');
    g_autofree char *driver = NULL, *prop = NULL;
    const MachineDeviceType *type;
    const MachinePropInfo *info;

    if (!eq || !dot || dot > eq) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_PARSE,
                            "-global '%s': expected DRIVER.PROP=VALUE",
                            assignment);
        return false;
    }
    driver = g_strndup(assignment, (gsize)(dot - assignment));
    prop = g_strndup(dot + 1, (gsize)(eq - dot - 1));
    type = machine_device_type_lookup(driver);
    if (!type) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_NOT_FOUND,
                            "-global '%s': unknown driver", assignment);
        return false;
    }
    info = machine_device_type_prop(type, prop);
    if (!info || !info->global || !type->set_global) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_NOT_FOUND,
                            "-global '%s': unknown property (not a global "
                            "property of '%s')",
                            assignment, driver);
        return false;
    }
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        if (bd->type == type && bd->dev &&
            !type->set_global(bd, bd->dev, prop, eq + 1, errp)) {
            return false;
        }
    }
    return true;
}

ADDRSPACE_EXPORT void machine_reset(Machine *m)
{
    bool locked = bql_locked();

    if (!locked) {
        bql_lock();
    }
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        if (bd->dev && bd->type->reset) {
            bd->type->reset(bd, bd->dev);
        }
    }
    for (guint i = 0; i < m->regions->len; i++) {
        BoardRegion *br = m->regions->pdata[i];

        if (br->inited && br->spec.kind == MACHINE_REGION_ROMD) {
            memory_region_rom_device_set_romd(br->mr, true);
        }
    }
    if (!locked) {
        bql_unlock();
    }
}
