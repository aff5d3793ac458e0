/* SPDX-License-Identifier: MIT */
/*
 * Private to the test machine: device properties as JSON members
 * (props.c), shared by the board-file reader and writer (board-json.c)
 * and the machine (machine-device.c).
 */
#ifndef HW_TEST_DEVICES_PROPS_INTERNAL_H
#define HW_TEST_DEVICES_PROPS_INTERNAL_H

#include <json-glib/json-glib.h>

#include "machine.h"

/* A set of properties: JSON members by name, and where errors point. */
struct MachineProps {
    JsonObject *obj;
    char *where; /* "$.devices[2]", "device 'x'"; NULL until located */
};

/*
 * "0x1f", "31", "128M" (K, M, G, T: binary multiples) into @v, at most
 * 2^64; false for anything else.
 */
bool machine_parse_number(const char *s, addrspace_u128 *v);

/*
 * A number member's node (a JSON integer or a number string) into @out:
 * sizes 0 to 2^64 (2^64 becomes UINT64_MAX), other numbers below 2^64.
 * False when it is not one.
 */
bool machine_json_number(JsonNode *n, bool is_size, uint64_t *out);

/* A copy of @src (NULL: empty) whose errors are located at @where. */
MachineProps *machine_props_copy(const MachineProps *src, const char *where);

/* The members of @o that are properties of @type (nodes copied). */
MachineProps *machine_props_from_json(JsonObject *o,
                                      const MachineDeviceType *type);

/*
 * Add @props' members to the object @b is building, in @type's order,
 * each in the syntax of its kind, leaving out those equal to their
 * declared default.
 */
void machine_props_write(const MachineProps *props,
                         const MachineDeviceType *type, JsonBuilder *b);

/* The registered device types, in registration order (built-ins first). */
guint machine_device_type_count(void);
const MachineDeviceType *machine_device_type_nth(guint i);

/* @type's property @name, or NULL. */
const MachinePropInfo *machine_device_type_prop(const MachineDeviceType *type,
                                                const char *name);

/* The members every device object has (NULL-terminated). */
extern const char *const machine_device_common_members[];

/* The built-in types, registered first (builtin-devices.c); NULL ends it. */
extern const MachineDeviceType *const machine_builtin_types[];

#endif /* HW_TEST_DEVICES_PROPS_INTERNAL_H */
