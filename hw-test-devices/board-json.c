/* SPDX-License-Identifier: MIT */
/* Board files: JSON text <-> machine specs (machine.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "board-json.h"
#include "json-strict.h"
#include "props-internal.h"

/* ---- reading members ---------------------------------------------------- */

/* Refuse members not in @allowed (a typo must not be silently ignored). */
static bool check_members(JsonObject *o, const char *where,
                          const char *const *allowed, GError **errp)
{
    GList *members = json_object_get_members(o);
    bool ok = true;

    for (GList *l = members; l && ok; l = l->next) {
        bool known = false;

        for (const char *const *a = allowed; *a && !known; a++) {
            known = strcmp(l->data, *a) == 0;
        }
        if (!known) {
            machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, l->data,
                              "unknown member");
            ok = false;
        }
    }
    g_list_free(members);
    return ok;
}

/* A string member; NULL (and true) when absent and not @required. */
static bool get_string(JsonObject *o, const char *where, const char *key,
                       bool required, const char **out, GError **errp)
{
    JsonNode *n = json_object_get_member(o, key);

    *out = NULL;
    if (!n) {
        if (required) {
            machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, key,
                              "missing (required)");
        }
        return !required;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_STRING) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, key,
                          "must be a string");
        return false;
    }
    *out = json_node_get_string(n);
    return true;
}

static bool get_bool(JsonObject *o, const char *where, const char *key,
                     bool *out, GError **errp)
{
    JsonNode *n = json_object_get_member(o, key);

    if (!n) {
        return true;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, key,
                          "must be true or false");
        return false;
    }
    *out = json_node_get_boolean(n);
    return true;
}

static bool get_int(JsonObject *o, const char *where, const char *key,
                    int64_t min, int64_t max, int64_t *out, GError **errp)
{
    JsonNode *n = json_object_get_member(o, key);

    if (!n) {
        return true;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_INT64 ||
        json_node_get_int(n) < min || json_node_get_int(n) > max) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, key,
                          "must be an integer from %" PRId64 " to %" PRId64,
                          min, max);
        return false;
    }
    *out = json_node_get_int(n);
    return true;
}

/*
 * An unsigned member (size, address, offset): a JSON integer or a string.
 * Sizes are 0 to 2^64 (2^64 becomes UINT64_MAX, the API's spelling; QEMU
 * accepts size 0); addresses are 0 to 2^64 - 1. @present tells whether it
 * was there.
 */
static bool get_u64(JsonObject *o, const char *where, const char *key,
                    bool is_size, uint64_t *out, bool *present, GError **errp)
{
    JsonNode *n = json_object_get_member(o, key);

    *present = n != NULL;
    if (n && !machine_json_number(n, is_size, out)) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, key,
                          is_size
                              ? "must be a non-negative integer (at most 2^64)"
                              : "must be a non-negative integer below 2^64");
        return false;
    }
    return true;
}

/* Members shared by regions and devices: where it is mapped. */
static bool get_placement(JsonObject *o, const char *where, const char **parent,
                          hwaddr *addr, int *priority, bool *overlap,
                          GError **errp)
{
    int64_t prio = 0;
    bool has_addr;

    if (!get_string(o, where, "parent", false, parent, errp) ||
        !get_u64(o, where, "addr", false, addr, &has_addr, errp) ||
        !get_int(o, where, "priority", INT32_MIN, INT32_MAX, &prio, errp) ||
        !get_bool(o, where, "overlap", overlap, errp)) {
        return false;
    }
    if (!*parent && (has_addr || json_object_has_member(o, "priority") ||
                     json_object_has_member(o, "overlap"))) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, "parent",
                          "required with addr, priority or overlap");
        return false;
    }
    *priority = (int)prio;
    return true;
}

/* ---- entries ------------------------------------------------------------ */

static bool kind_from_name(const char *name, MachineRegionKind *kind)
{
    for (int k = MACHINE_REGION_RAM; k <= MACHINE_REGION_LAST; k++) {
        if (strcmp(name, machine_region_kind_name(k)) == 0) {
            *kind = k;
            return true;
        }
    }
    return false;
}

/* "owner": {"kind": "dev" or "obj", "path": ..., "id": ...}. */
static bool get_owner(JsonObject *o, const char *where, MachineOwnerSpec *owner,
                      GError **errp)
{
    static const char *const allowed[] = {"kind", "path", "id", NULL};
    JsonNode *n = json_object_get_member(o, "owner");
    g_autofree char *at = g_strdup_printf("%s.owner", where);
    JsonObject *obj;
    const char *kind;

    if (!n) {
        return true;
    }
    if (!JSON_NODE_HOLDS_OBJECT(n)) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, "owner",
                          "must be an object");
        return false;
    }
    obj = json_node_get_object(n);
    if (!check_members(obj, at, allowed, errp) ||
        !get_string(obj, at, "kind", false, &kind, errp) ||
        !get_string(obj, at, "path", false, &owner->path, errp) ||
        !get_string(obj, at, "id", false, &owner->id, errp)) {
        return false;
    }
    if (kind && strcmp(kind, "dev") != 0 && strcmp(kind, "obj") != 0) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, at, "kind",
                          "must be \"dev\" or \"obj\"");
        return false;
    }
    if (!owner->path && !owner->id) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, at, NULL,
                          "needs a path or an id");
        return false;
    }
    owner->object = kind && kind[0] == 'o';
    return true;
}

static const char *const perm_names[] = {
    [IOMMU_NONE] = "none",
    [IOMMU_RO] = "ro",
    [IOMMU_WO] = "wo",
    [IOMMU_RW] = "rw",
};

/* The IOMMU members: address_space, offset (the alias's member), page_size,
 * perm. */
static bool get_iommu(JsonObject *o, const char *where, MachineIommuSpec *io,
                      GError **errp)
{
    const char *perm = NULL;
    bool present;

    io->perm = IOMMU_RW;
    if (!get_string(o, where, "address_space", false, &io->address_space,
                    errp) ||
        !get_u64(o, where, "page_size", false, &io->page_size, &present,
                 errp) ||
        !get_string(o, where, "perm", false, &perm, errp)) {
        return false;
    }
    if (present && io->page_size == 0) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, "page_size",
                          "must be a power of two");
        return false;
    }
    if (!perm) {
        return true;
    }
    for (int p = IOMMU_NONE; p <= IOMMU_RW; p++) {
        if (strcmp(perm, perm_names[p]) == 0) {
            io->perm = p;
            return true;
        }
    }
    machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, "perm",
                      "must be \"rw\", \"ro\", \"wo\" or \"none\"");
    return false;
}

static bool load_region(Machine *m, JsonObject *o, const char *where,
                        GError **errp)
{
    static const char *const allowed[] = {
        "id",          "name",     "kind",    "size",          "parent",
        "addr",        "priority", "overlap", "enabled",       "readonly",
        "nonvolatile", "target",   "offset",  "address_space", "page_size",
        "perm",        "owner",    NULL};
    MachineRegionSpec spec = {.where = where};
    const char *kind;
    bool present, enabled = true;
    hwaddr offset = 0;

    if (!check_members(o, where, allowed, errp) ||
        !get_string(o, where, "id", false, &spec.id, errp) ||
        !get_string(o, where, "name", true, &spec.name, errp) ||
        !get_string(o, where, "kind", true, &kind, errp)) {
        return false;
    }
    if (!kind_from_name(kind, &spec.kind)) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, "kind",
                          "unknown kind '%s' (ram, rom, romd, io, container, "
                          "alias, reservation, iommu, ram-device)",
                          kind);
        return false;
    }
    if (!get_u64(o, where, "size", true, &spec.size, &present, errp)) {
        return false;
    }
    if (!present) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, "size",
                          "missing (required)");
        return false;
    }
    if (!get_placement(o, where, &spec.parent, &spec.addr, &spec.priority,
                       &spec.overlap, errp) ||
        !get_bool(o, where, "enabled", &enabled, errp) ||
        !get_bool(o, where, "readonly", &spec.readonly, errp) ||
        !get_bool(o, where, "nonvolatile", &spec.nonvolatile, errp) ||
        !get_string(o, where, "target", false, &spec.alias_target, errp) ||
        !get_u64(o, where, "offset", false, &offset, &present, errp) ||
        !get_owner(o, where, &spec.owner, errp)) {
        return false;
    }
    if (spec.kind == MACHINE_REGION_IOMMU) {
        spec.iommu.offset = offset;
        if (!get_iommu(o, where, &spec.iommu, errp)) {
            return false;
        }
    } else if (json_object_has_member(o, "page_size") ||
               json_object_has_member(o, "perm")) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where,
                          json_object_has_member(o, "perm") ? "perm"
                                                            : "page_size",
                          "only IOMMUs have one");
        return false;
    } else if (!get_string(o, where, "address_space", false,
                           &spec.iommu.address_space, errp)) {
        return false; /* refused by machine_add_region() when present */
    } else {
        spec.alias_offset = offset;
    }
    if (present && spec.kind != MACHINE_REGION_ALIAS &&
        spec.kind != MACHINE_REGION_IOMMU) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, "offset",
                          "only aliases and IOMMUs have an offset");
        return false;
    }
    spec.disabled = !enabled;
    return machine_add_region(m, &spec, errp);
}

/*
 * A device's members: the common ones, then properties of its type. A
 * property of another type gets that property's message.
 */
static bool check_device_members(JsonObject *o, const char *where,
                                 const MachineDeviceType *type, GError **errp)
{
    GList *members = json_object_get_members(o);
    bool ok = true;

    for (GList *l = members; l && ok; l = l->next) {
        const char *name = l->data;
        const MachinePropInfo *foreign = NULL;
        const MachineDeviceType *owner = NULL;
        bool known = false;

        for (const char *const *c = machine_device_common_members; *c; c++) {
            known = known || strcmp(*c, name) == 0;
        }
        if (known || (type && machine_device_type_prop(type, name))) {
            continue;
        }
        for (guint i = 0; !foreign && i < machine_device_type_count(); i++) {
            owner = machine_device_type_nth(i);
            foreign = machine_device_type_prop(owner, name);
        }
        if (foreign && type) {
            if (foreign->foreign_error) {
                machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, name,
                                  "%s", foreign->foreign_error);
            } else {
                machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, name,
                                  "only devices of type '%s' have this "
                                  "property",
                                  owner->name);
            }
            ok = false;
        } else if (!foreign) {
            machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, name,
                              "unknown member");
            ok = false;
        }
    }
    g_list_free(members);
    return ok;
}

/* "irqs": [input or -1 or null, ...] (device.h). */
static bool get_irqs(JsonObject *o, const char *where, int **irqs,
                     unsigned *nr_irqs, GError **errp)
{
    JsonNode *n = json_object_get_member(o, "irqs");
    JsonArray *a;

    if (!n) {
        return true;
    }
    a = JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
    if (!a || json_array_get_length(a) > MACHINE_DEVICE_MAX_IRQS) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, "irqs",
                          "must be an array of at most %u inputs",
                          MACHINE_DEVICE_MAX_IRQS);
        return false;
    }
    *nr_irqs = json_array_get_length(a);
    *irqs = g_new(int, *nr_irqs ? *nr_irqs : 1);
    for (unsigned i = 0; i < *nr_irqs; i++) {
        JsonNode *e = json_array_get_element(a, i);

        if (JSON_NODE_HOLDS_NULL(e)) {
            (*irqs)[i] = -1;
        } else if (JSON_NODE_HOLDS_VALUE(e) &&
                   json_node_get_value_type(e) == G_TYPE_INT64 &&
                   json_node_get_int(e) >= -1 &&
                   json_node_get_int(e) < MACHINE_IRQ_INPUTS) {
            (*irqs)[i] = (int)json_node_get_int(e);
        } else {
            g_autofree char *at = g_strdup_printf("%s.irqs[%u]", where, i);

            machine_set_error(errp, ADDRSPACE_ERROR_PARSE, at, NULL,
                              "must be an input from 0 to %d, -1 or null",
                              MACHINE_IRQ_INPUTS - 1);
            return false;
        }
    }
    return true;
}

static bool load_device(Machine *m, JsonObject *o, const char *where,
                        GError **errp)
{
    MachineDeviceSpec spec = {.where = where};
    const MachineDeviceType *type;
    g_autoptr(MachineProps) props = NULL;
    g_autofree int *irqs = NULL;

    if (!get_string(o, where, "type", false, &spec.type, errp)) {
        return false;
    }
    type = spec.type ? machine_device_type_lookup(spec.type) : NULL;
    if (!check_device_members(o, where, type, errp) ||
        !get_string(o, where, "id", false, &spec.id, errp) ||
        !get_string(o, where, "name", true, &spec.name, errp) ||
        !get_string(o, where, "type", true, &spec.type, errp)) {
        return false;
    }
    if (!type) {
        return machine_add_device(m, &spec, errp); /* names the types */
    }
    if (!get_placement(o, where, &spec.parent, &spec.addr, &spec.priority,
                       &spec.overlap, errp) ||
        !get_owner(o, where, &spec.owner, errp) ||
        !get_irqs(o, where, &irqs, &spec.nr_irqs, errp)) {
        return false;
    }
    spec.irqs = irqs;
    props = machine_props_from_json(o, type);
    spec.props = props;
    return machine_add_device(m, &spec, errp);
}

static bool load_space(Machine *m, JsonObject *o, const char *where,
                       GError **errp)
{
    static const char *const allowed[] = {"id", "name", "root", "endianness",
                                          NULL};
    MachineSpaceSpec spec = {.where = where};
    const char *endianness;

    if (!check_members(o, where, allowed, errp) ||
        !get_string(o, where, "id", false, &spec.id, errp) ||
        !get_string(o, where, "name", true, &spec.name, errp) ||
        !get_string(o, where, "root", true, &spec.root, errp) ||
        !get_string(o, where, "endianness", false, &endianness, errp)) {
        return false;
    }
    if (endianness && strcmp(endianness, "little") != 0 &&
        strcmp(endianness, "big") != 0) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, "endianness",
                          "must be \"little\" or \"big\"");
        return false;
    }
    spec.big_endian = endianness && endianness[0] == 'b';
    return machine_add_space(m, &spec, errp);
}

typedef bool (*LoadEntryFn)(Machine *m, JsonObject *o, const char *where,
                            GError **errp);

static bool load_array(Machine *m, JsonObject *root, const char *key, guint max,
                       bool required, LoadEntryFn fn, GError **errp)
{
    JsonNode *n = json_object_get_member(root, key);
    JsonArray *a;
    g_autofree char *where = g_strdup_printf("$.%s", key);

    if (!n) {
        if (required) {
            machine_set_error(errp, ADDRSPACE_ERROR_PARSE, "$", key,
                              "missing (required)");
        }
        return !required;
    }
    if (!JSON_NODE_HOLDS_ARRAY(n)) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, NULL,
                          "must be an array");
        return false;
    }
    a = json_node_get_array(n);
    if (json_array_get_length(a) > max) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, NULL,
                          "at most %u entries", max);
        return false;
    }
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        g_autofree char *at = g_strdup_printf("$.%s[%u]", key, i);

        if (!JSON_NODE_HOLDS_OBJECT(e)) {
            machine_set_error(errp, ADDRSPACE_ERROR_PARSE, at, NULL,
                              "must be an object");
            return false;
        }
        if (!fn(m, json_node_get_object(e), at, errp)) {
            return false;
        }
    }
    return true;
}

/*
 * json-glib is lenient (comments, single quotes, duplicate names, strings
 * cut at \u0000) and recurses per nesting level: only strict JSON within
 * the board limits reaches it.
 */
static bool check_text(const char *data, size_t len, GError **errp)
{
    static const JsonStrictLimits limits = {
        .max_depth = BOARD_JSON_MAX_DEPTH,
        .max_entries = BOARD_JSON_MAX_REGIONS,
        .max_values = BOARD_JSON_MAX_VALUES,
    };

    if (len > BOARD_JSON_MAX_BYTES) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, "$", NULL,
                          "file larger than %u bytes", BOARD_JSON_MAX_BYTES);
        return false;
    }
    if (memchr(data, '\0', len) || !g_utf8_validate(data, (gssize)len, NULL)) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, "$", NULL,
                          "invalid JSON: not UTF-8 text");
        return false;
    }
    return json_strict_check(data, len, &limits, errp);
}

ADDRSPACE_EXPORT Machine *board_json_load_data(const char *data, size_t len,
                                               GError **errp)
{
    static const char *const allowed[] = {"regions", "devices",
                                          "address_spaces", NULL};
    g_autoptr(JsonParser) parser = NULL;
    GError *err = NULL;
    JsonNode *root;
    JsonObject *o;
    Machine *m;
    bool ok;

    if (!check_text(data, len, errp)) {
        return NULL;
    }
    parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(parser, data, (gssize)len, &err)) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, "$", NULL,
                          "invalid JSON: %s", err->message);
        g_error_free(err);
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, "$", NULL,
                          "must be an object");
        return NULL;
    }
    o = json_node_get_object(root);
    if (!check_members(o, "$", allowed, errp)) {
        return NULL;
    }
    m = machine_new();
    ok = load_array(m, o, "regions", BOARD_JSON_MAX_REGIONS, true, load_region,
                    errp) &&
         load_array(m, o, "devices", BOARD_JSON_MAX_DEVICES, false, load_device,
                    errp) &&
         load_array(m, o, "address_spaces", BOARD_JSON_MAX_SPACES, true,
                    load_space, errp) &&
         machine_realize(m, errp);
    if (!ok) {
        machine_free(m);
        return NULL;
    }
    return m;
}

ADDRSPACE_EXPORT Machine *board_json_load_file(const char *path, GError **errp)
{
    /* GLib fills errp itself, and the path is prefixed to errors */
    ERRP_GUARD();
    g_autofree char *data = NULL;
    struct stat st;
    Machine *m;
    gsize len;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS, "%s: %s",
                            path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    close(fd);
    /* a FIFO or /dev/zero would be read without end */
    if (!S_ISREG(st.st_mode) || st.st_size > BOARD_JSON_MAX_BYTES) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "%s: not a regular file of at most %u bytes", path,
                            BOARD_JSON_MAX_BYTES);
        return NULL;
    }
    if (!g_file_get_contents(path, &data, &len, errp)) {
        return NULL;
    }
    m = board_json_load_data(data, len, errp);
    if (!m) {
        g_prefix_error(errp, "%s: ", path);
    }
    return m;
}

/* ---- writing ------------------------------------------------------------ */

static void add_string(JsonBuilder *b, const char *key, const char *value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
}

static void add_bool(JsonBuilder *b, const char *key, bool value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_boolean_value(b, value);
}

static void add_hex(JsonBuilder *b, const char *key, uint64_t v, bool is_size)
{
    g_autofree char *s = is_size && v == UINT64_MAX
                             ? g_strdup("0x10000000000000000")
                             : g_strdup_printf("0x%" PRIx64, v);

    add_string(b, key, s);
}

static void add_placement(JsonBuilder *b, const char *parent, hwaddr addr,
                          int priority, bool overlap)
{
    if (!parent) {
        return;
    }
    add_string(b, "parent", parent);
    add_hex(b, "addr", addr, false);
    if (priority) {
        json_builder_set_member_name(b, "priority");
        json_builder_add_int_value(b, priority);
    }
    if (overlap) {
        add_bool(b, "overlap", true);
    }
}

/* "id" only where it is not the name (the default). */
static void add_id_name(JsonBuilder *b, const char *id, const char *name)
{
    if (id && strcmp(id, name) != 0) {
        add_string(b, "id", id);
    }
    add_string(b, "name", name);
}

static void add_owner(JsonBuilder *b, const MachineOwnerSpec *o)
{
    if (!o->path && !o->id) {
        return;
    }
    json_builder_set_member_name(b, "owner");
    json_builder_begin_object(b);
    if (o->object) {
        add_string(b, "kind", "obj");
    }
    if (o->path) {
        add_string(b, "path", o->path);
    }
    if (o->id) {
        add_string(b, "id", o->id);
    }
    json_builder_end_object(b);
}

static void write_region(JsonBuilder *b, const MachineRegionSpec *s)
{
    json_builder_begin_object(b);
    add_id_name(b, s->id, s->name);
    add_string(b, "kind", machine_region_kind_name(s->kind));
    add_hex(b, "size", s->size, true);
    if (s->kind == MACHINE_REGION_ALIAS) {
        add_string(b, "target", s->alias_target);
        add_hex(b, "offset", s->alias_offset, false);
    }
    if (s->kind == MACHINE_REGION_IOMMU) {
        add_string(b, "address_space", s->iommu.address_space);
        add_hex(b, "offset", s->iommu.offset, false);
        if (s->iommu.page_size != MACHINE_IOMMU_PAGE_SIZE) {
            add_hex(b, "page_size", s->iommu.page_size, false);
        }
        if (s->iommu.perm != IOMMU_RW) {
            add_string(b, "perm", perm_names[s->iommu.perm]);
        }
    }
    add_placement(b, s->parent, s->addr, s->priority, s->overlap);
    if (s->disabled) {
        add_bool(b, "enabled", false);
    }
    if (s->readonly) {
        add_bool(b, "readonly", true);
    }
    if (s->nonvolatile) {
        add_bool(b, "nonvolatile", true);
    }
    add_owner(b, &s->owner);
    json_builder_end_object(b);
}

static void write_device(JsonBuilder *b, const MachineDeviceSpec *s)
{
    json_builder_begin_object(b);
    add_id_name(b, s->id, s->name);
    add_string(b, "type", s->type);
    add_placement(b, s->parent, s->addr, s->priority, s->overlap);
    if (s->irqs) {
        json_builder_set_member_name(b, "irqs");
        json_builder_begin_array(b);
        for (unsigned i = 0; i < s->nr_irqs; i++) {
            json_builder_add_int_value(b, s->irqs[i]);
        }
        json_builder_end_array(b);
    }
    machine_props_write(s->props, machine_device_type_lookup(s->type), b);
    add_owner(b, &s->owner);
    json_builder_end_object(b);
}

ADDRSPACE_EXPORT char *board_json_to_data(Machine *m)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    char *text, *out;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "regions");
    json_builder_begin_array(b);
    for (guint i = 0; i < machine_nr_regions(m); i++) {
        MachineRegionSpec s;

        machine_region_spec(m, i, &s);
        write_region(b, &s);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "devices");
    json_builder_begin_array(b);
    for (guint i = 0; i < machine_nr_devices(m); i++) {
        MachineDeviceSpec s;

        machine_device_spec(m, i, &s);
        write_device(b, &s);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "address_spaces");
    json_builder_begin_array(b);
    for (guint i = 0; i < machine_nr_address_spaces(m); i++) {
        MachineSpaceSpec s;

        machine_space_spec(m, i, &s);
        json_builder_begin_object(b);
        add_id_name(b, s.id, s.name);
        add_string(b, "root", s.root);
        add_string(b, "endianness", s.big_endian ? "big" : "little");
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    text = json_generator_to_data(gen, NULL);
    out = g_strconcat(text, "\n", NULL);
    g_free(text);
    return out;
}
