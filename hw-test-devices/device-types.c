/* SPDX-License-Identifier: MIT */
/*
 * The device-type registry (device.h): one process-wide list, the
 * built-in types first (registered on first use), then the program's.
 */
#include <string.h>

#include "props-internal.h"

const char *const machine_device_common_members[] = {
    "id",       "name",    "type",  "parent", "addr",
    "priority", "overlap", "owner", "irqs",   NULL,
};

static GMutex registry_lock;
static GPtrArray *registry; /* const MachineDeviceType *, under the lock */

static bool check_type(const MachineDeviceType *type, GError **errp);

/* The registry, with the built-in types in it. */
static void registry_init(void)
{
    static gsize once;

    if (g_once_init_enter(&once)) {
        g_mutex_lock(&registry_lock);
        registry = g_ptr_array_new();
        for (guint i = 0; machine_builtin_types[i]; i++) {
            const MachineDeviceType *t = machine_builtin_types[i];

            if (!check_type(t, NULL)) {
                g_assert_not_reached(); /* our own types */
            }
            g_ptr_array_add(registry, (gpointer)t);
        }
        g_mutex_unlock(&registry_lock);
        g_once_init_leave(&once, 1);
    }
}

static bool is_common_member(const char *name)
{
    for (const char *const *c = machine_device_common_members; *c; c++) {
        if (strcmp(*c, name) == 0) {
            return true;
        }
    }
    return false;
}

/* A type or property name: 1 to MACHINE_NAME_MAX printable bytes. */
static bool good_name(const char *s, const char *forbidden)
{
    if (!s || !*s || strlen(s) > MACHINE_NAME_MAX) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr(forbidden, *p)) {
            return false;
        }
    }
    return true;
}

static bool check_type(const MachineDeviceType *type, GError **errp)
{
    const char *name = type->name ? type->name : "(null)";

    if (!good_name(type->name, ".:,")) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "device type '%s': the name must be 1 to %u "
                            "printable characters without '.', ':' or ','",
                            name, MACHINE_NAME_MAX);
        return false;
    }
    if (!type->realize) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "device type '%s': no realize callback", name);
        return false;
    }
    if (!type->save != !type->restore ||
        (type->save && (!type->state_type ||
                        !g_variant_type_string_is_valid(type->state_type)))) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "device type '%s': save needs restore and a "
                            "valid GVariant state_type",
                            name);
        return false;
    }
    for (const MachinePropInfo *p = type->props; p && p->name; p++) {
        if (!good_name(p->name, "=") || is_common_member(p->name) ||
            (unsigned)p->kind > MACHINE_PROP_STRING) {
            addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                                "device type '%s': bad property '%s' (a "
                                "name of every device, or a bad kind)",
                                name, p->name);
            return false;
        }
        for (const MachinePropInfo *q = type->props; q != p; q++) {
            if (strcmp(q->name, p->name) == 0) {
                addrspace_error_set(errp, ADDRSPACE_ERROR,
                                    ADDRSPACE_ERROR_INVALID,
                                    "device type '%s': property '%s' "
                                    "declared twice",
                                    name, p->name);
                return false;
            }
        }
    }
    return true;
}

/* The type named @name; the caller holds the lock. */
static const MachineDeviceType *lookup_locked(const char *name)
{
    for (guint i = 0; i < registry->len; i++) {
        const MachineDeviceType *t = registry->pdata[i];

        if (strcmp(t->name, name) == 0) {
            return t;
        }
    }
    return NULL;
}

ADDRSPACE_EXPORT bool
machine_register_device_type(const MachineDeviceType *type, GError **errp)
{
    bool ok;

    registry_init();
    if (!check_type(type, errp)) {
        return false;
    }
    g_mutex_lock(&registry_lock);
    ok = !lookup_locked(type->name);
    if (ok) {
        g_ptr_array_add(registry, (gpointer)type);
    }
    g_mutex_unlock(&registry_lock);
    if (!ok) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY,
                            "device type '%s' is already registered",
                            type->name);
    }
    return ok;
}

ADDRSPACE_EXPORT const MachineDeviceType *
machine_device_type_lookup(const char *name)
{
    const MachineDeviceType *t;

    registry_init();
    g_mutex_lock(&registry_lock);
    t = name ? lookup_locked(name) : NULL;
    g_mutex_unlock(&registry_lock);
    return t;
}

guint machine_device_type_count(void)
{
    guint n;

    registry_init();
    g_mutex_lock(&registry_lock);
    n = registry->len;
    g_mutex_unlock(&registry_lock);
    return n;
}

const MachineDeviceType *machine_device_type_nth(guint i)
{
    const MachineDeviceType *t = NULL;

    registry_init();
    g_mutex_lock(&registry_lock);
    if (i < registry->len) {
        t = registry->pdata[i];
    }
    g_mutex_unlock(&registry_lock);
    return t;
}

const MachinePropInfo *machine_device_type_prop(const MachineDeviceType *type,
                                                const char *name)
{
    for (const MachinePropInfo *p = type->props; p && p->name; p++) {
        if (strcmp(p->name, name) == 0) {
            return p;
        }
    }
    return NULL;
}
