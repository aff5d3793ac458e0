/* SPDX-License-Identifier: MIT */
/*
 * Device properties (device.h): JSON members with typed getters whose
 * errors carry the JSON path, the setters for specs built in C, and
 * their board-file form (props-internal.h).
 */
#include <string.h>

#include "props-internal.h"

/* ---- numbers ------------------------------------------------------------ */

bool machine_parse_number(const char *s, addrspace_u128 *v)
{
    const addrspace_u128 limit = (addrspace_u128)1 << 64;
    unsigned base = 10;
    addrspace_u128 x = 0;
    const char *p = s;
    int shift = 0;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!g_ascii_isxdigit(*p)) {
        return false;
    }
    for (; *p; p++) {
        int d = base == 16 ? g_ascii_xdigit_value(*p) : g_ascii_digit_value(*p);

        if (d < 0) {
            break;
        }
        x = x * base + (unsigned)d;
        if (x > limit) {
            return false;
        }
    }
    if (*p && base == 10 && !p[1]) {
        const char *suffixes = "KMGT";
        const char *at = strchr(suffixes, g_ascii_toupper(*p));

        shift = at ? 10 * (int)(at - suffixes + 1) : -1;
        p++;
    }
    if (*p || shift < 0 || (x << shift) > limit) {
        return false;
    }
    *v = x << shift;
    return true;
}

bool machine_json_number(JsonNode *n, bool is_size, uint64_t *out)
{
    const addrspace_u128 limit = (addrspace_u128)1 << 64;
    addrspace_u128 v = 0;
    bool ok = false;

    if (JSON_NODE_HOLDS_VALUE(n) &&
        json_node_get_value_type(n) == G_TYPE_INT64) {
        ok = json_node_get_int(n) >= 0;
        v = (addrspace_u128)json_node_get_int(n);
    } else if (JSON_NODE_HOLDS_VALUE(n) &&
               json_node_get_value_type(n) == G_TYPE_STRING) {
        ok = machine_parse_number(json_node_get_string(n), &v);
    }
    if (!ok || (is_size ? v > limit : v >= limit)) {
        return false;
    }
    *out = v == limit ? UINT64_MAX : (uint64_t)v;
    return true;
}

/* ---- sets --------------------------------------------------------------- */

ADDRSPACE_EXPORT MachineProps *machine_props_new(void)
{
    MachineProps *p = g_new0(MachineProps, 1);

    p->obj = json_object_new();
    return p;
}

ADDRSPACE_EXPORT void machine_props_free(MachineProps *props)
{
    if (!props) {
        return;
    }
    json_object_unref(props->obj);
    g_free(props->where);
    g_free(props);
}

MachineProps *machine_props_copy(const MachineProps *src, const char *where)
{
    MachineProps *p = machine_props_new();

    if (src) {
        JsonObjectIter it;
        const char *name;
        JsonNode *node;

        json_object_iter_init(&it, src->obj);
        while (json_object_iter_next(&it, &name, &node)) {
            json_object_set_member(p->obj, name, json_node_copy(node));
        }
    }
    p->where = g_strdup(where);
    return p;
}

MachineProps *machine_props_from_json(JsonObject *o,
                                      const MachineDeviceType *type)
{
    MachineProps *p = machine_props_new();

    for (const MachinePropInfo *info = type->props; info && info->name;
         info++) {
        JsonNode *n = json_object_get_member(o, info->name);

        if (n) {
            json_object_set_member(p->obj, info->name, json_node_copy(n));
        }
    }
    return p;
}

ADDRSPACE_EXPORT void machine_props_set_bool(MachineProps *props,
                                             const char *name, bool value)
{
    json_object_set_boolean_member(props->obj, name, value);
}

ADDRSPACE_EXPORT void machine_props_set_int(MachineProps *props,
                                            const char *name, int64_t value)
{
    json_object_set_int_member(props->obj, name, value);
}

ADDRSPACE_EXPORT void machine_props_set_u64(MachineProps *props,
                                            const char *name, uint64_t value)
{
    /* JSON integers are signed 64-bit: larger values as a number string */
    if (value <= INT64_MAX) {
        json_object_set_int_member(props->obj, name, (int64_t)value);
    } else {
        g_autofree char *s = g_strdup_printf("0x%" PRIx64, value);

        json_object_set_string_member(props->obj, name, s);
    }
}

ADDRSPACE_EXPORT void machine_props_set_string(MachineProps *props,
                                               const char *name,
                                               const char *value)
{
    json_object_set_string_member(props->obj, name, value);
}

ADDRSPACE_EXPORT bool machine_props_has(const MachineProps *props,
                                        const char *name)
{
    return props && json_object_has_member(props->obj, name);
}

ADDRSPACE_EXPORT const char *machine_props_where(const MachineProps *props)
{
    return props->where ? props->where : "device";
}

/* ---- getters ------------------------------------------------------------ */

ADDRSPACE_EXPORT void machine_props_error(const MachineProps *props,
                                          GError **errp, int code,
                                          const char *name, const char *fmt,
                                          ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    machine_set_error(errp, code, machine_props_where(props), name, "%s", msg);
    g_free(msg);
}

static JsonNode *member(const MachineProps *props, const char *name)
{
    return props ? json_object_get_member(props->obj, name) : NULL;
}

static bool holds(JsonNode *n, GType type)
{
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == type;
}

ADDRSPACE_EXPORT bool machine_props_get_bool(const MachineProps *props,
                                             const char *name, bool *value,
                                             GError **errp)
{
    JsonNode *n = member(props, name);

    if (!n) {
        return true;
    }
    if (!holds(n, G_TYPE_BOOLEAN)) {
        machine_props_error(props, errp, ADDRSPACE_ERROR_PARSE, name,
                            "must be true or false");
        return false;
    }
    *value = json_node_get_boolean(n);
    return true;
}

ADDRSPACE_EXPORT bool machine_props_get_int(const MachineProps *props,
                                            const char *name, int64_t min,
                                            int64_t max, int64_t *value,
                                            GError **errp)
{
    JsonNode *n = member(props, name);

    if (!n) {
        return true;
    }
    if (!holds(n, G_TYPE_INT64) || json_node_get_int(n) < min ||
        json_node_get_int(n) > max) {
        machine_props_error(props, errp, ADDRSPACE_ERROR_PARSE, name,
                            "must be an integer from %" PRId64 " to %" PRId64,
                            min, max);
        return false;
    }
    *value = json_node_get_int(n);
    return true;
}

static bool get_number(const MachineProps *props, const char *name,
                       bool is_size, uint64_t *value, GError **errp)
{
    JsonNode *n = member(props, name);

    if (!n) {
        return true;
    }
    if (!machine_json_number(n, is_size, value)) {
        machine_props_error(
            props, errp, ADDRSPACE_ERROR_PARSE, name,
            is_size ? "must be a non-negative integer (at most 2^64)"
                    : "must be a non-negative integer below 2^64");
        return false;
    }
    return true;
}

ADDRSPACE_EXPORT bool machine_props_get_u64(const MachineProps *props,
                                            const char *name, uint64_t *value,
                                            GError **errp)
{
    return get_number(props, name, false, value, errp);
}

ADDRSPACE_EXPORT bool machine_props_get_size(const MachineProps *props,
                                             const char *name, uint64_t *value,
                                             GError **errp)
{
    return get_number(props, name, true, value, errp);
}

ADDRSPACE_EXPORT bool machine_props_get_string(const MachineProps *props,
                                               const char *name,
                                               const char **value,
                                               GError **errp)
{
    JsonNode *n = member(props, name);

    if (!n) {
        return true;
    }
    if (!holds(n, G_TYPE_STRING)) {
        machine_props_error(props, errp, ADDRSPACE_ERROR_PARSE, name,
                            "must be a string");
        return false;
    }
    *value = json_node_get_string(n);
    return true;
}

ADDRSPACE_EXPORT bool machine_props_get_choice(const MachineProps *props,
                                               const char *name,
                                               const char *const *choices,
                                               unsigned *index, GError **errp)
{
    const char *s = NULL;
    g_autoptr(GString) list = g_string_new(NULL);
    unsigned n = 0;

    if (!machine_props_get_string(props, name, &s, errp)) {
        return false;
    }
    if (!s) {
        return true;
    }
    for (n = 0; choices[n]; n++) {
        if (strcmp(s, choices[n]) == 0) {
            *index = n;
            return true;
        }
    }
    /* "a" / "a" or "b" / "a", "b" or "c" */
    for (unsigned i = 0; i < n; i++) {
        g_string_append_printf(list, "%s\"%s\"",
                               i == 0       ? ""
                               : i == n - 1 ? " or "
                                            : ", ",
                               choices[i]);
    }
    machine_props_error(props, errp, ADDRSPACE_ERROR_PARSE, name, "must be %s",
                        list->str);
    return false;
}

/* ---- writing ------------------------------------------------------------ */

/*
 * The board-file form of @n for a property of @kind: numbers of the U64
 * and SIZE kinds as hex strings, the rest as they are. NULL when @n does
 * not hold a value of @kind (written as it is).
 */
static JsonNode *canonical(JsonNode *n, MachinePropKind kind)
{
    uint64_t v;

    if ((kind == MACHINE_PROP_U64 || kind == MACHINE_PROP_SIZE) &&
        machine_json_number(n, kind == MACHINE_PROP_SIZE, &v)) {
        g_autofree char *s = kind == MACHINE_PROP_SIZE && v == UINT64_MAX
                                 ? g_strdup("0x10000000000000000")
                                 : g_strdup_printf("0x%" PRIx64, v);
        JsonNode *c = json_node_new(JSON_NODE_VALUE);

        json_node_set_string(c, s);
        return c;
    }
    return NULL;
}

/* The text of a value node as the default is spelled, or NULL. */
static char *value_text(JsonNode *n)
{
    if (holds(n, G_TYPE_STRING)) {
        return g_strdup(json_node_get_string(n));
    }
    if (holds(n, G_TYPE_INT64)) {
        return g_strdup_printf("%" PRId64, json_node_get_int(n));
    }
    if (holds(n, G_TYPE_BOOLEAN)) {
        return g_strdup(json_node_get_boolean(n) ? "true" : "false");
    }
    return NULL;
}

void machine_props_write(const MachineProps *props,
                         const MachineDeviceType *type, JsonBuilder *b)
{
    for (const MachinePropInfo *info = type->props; info && info->name;
         info++) {
        JsonNode *n = member(props, info->name);
        g_autoptr(JsonNode) c = NULL;
        g_autofree char *text = NULL;

        if (!n) {
            continue;
        }
        c = canonical(n, info->kind);
        text = value_text(c ? c : n);
        if (info->default_value && text &&
            strcmp(text, info->default_value) == 0) {
            continue;
        }
        json_builder_set_member_name(b, info->name);
        json_builder_add_value(b, json_node_copy(c ? c : n));
    }
}
