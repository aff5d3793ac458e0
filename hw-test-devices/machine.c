/* SPDX-License-Identifier: MIT */
/*
 * The test machine: board specs, lookup, teardown and accessors. Building
 * the board from its specs is machine-realize.c; the default board is
 * machine-default.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <addrspace/iommu.h>

#include "console.h"
#include "dma-testdev.h"
#include "hpet.h"
#include "machine-internal.h"
#include "testdev.h"

/* Longest region, device or AddressSpace name or id. */
#define NAME_MAX_LEN 128
/* Longest QOM path or device id of an owner. */
#define OWNER_MAX_LEN 512
/* Largest RAM-backed region (RAM is mapped MAP_NORESERVE: cap it). */
#define RAM_SIZE_MAX (64ull << 30)

static const char *const region_kind_names[] = {
    [MACHINE_REGION_RAM] = "ram",
    [MACHINE_REGION_ROM] = "rom",
    [MACHINE_REGION_ROMD] = "romd",
    [MACHINE_REGION_IO] = "io",
    [MACHINE_REGION_CONTAINER] = "container",
    [MACHINE_REGION_ALIAS] = "alias",
    [MACHINE_REGION_RESERVATION] = "reservation",
    [MACHINE_REGION_IOMMU] = "iommu",
    [MACHINE_REGION_RAM_DEVICE] = "ram-device",
};

const char *machine_region_kind_name(MachineRegionKind kind)
{
    return (unsigned)kind < G_N_ELEMENTS(region_kind_names)
               ? region_kind_names[kind]
               : "?";
}

/* ---- specs -------------------------------------------------------------- */

void machine_prefix_error(GError **errp, const char *where, const char *field)
{
    if (errp && *errp) {
        g_prefix_error(errp, "%s%s%s: ", where, field ? "." : "",
                       field ? field : "");
    }
}

void machine_set_error(GError **errp, int code, const char *where,
                       const char *field, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    addrspace_error_set(errp, ADDRSPACE_ERROR, code, "%s%s%s: %s", where,
                        field ? "." : "", field ? field : "", msg);
    g_free(msg);
}

/* A name, id or path: not empty, at most @max bytes, no control chars. */
static bool check_label(const char *where, const char *field, const char *s,
                        size_t max, GError **errp)
{
    if (!s || !*s || strlen(s) > max) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, field,
                          "must be a non-empty string of at most %zu bytes",
                          max);
        return false;
    }
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, field,
                              "must not contain control characters");
            return false;
        }
    }
    return true;
}

/*
 * A region's or device's name and id (NULL: the name): well formed, and
 * the id not taken. Names may repeat (QEMU allows it); ids may not.
 */
static bool check_name_id(Machine *m, const char *where, const char *name,
                          const char *id, GError **errp)
{
    if (!check_label(where, "name", name, NAME_MAX_LEN, errp) ||
        (id && !check_label(where, "id", id, NAME_MAX_LEN, errp))) {
        return false;
    }
    if (g_hash_table_contains(m->names, id ? id : name)) {
        machine_set_error(errp, ADDRSPACE_ERROR_BUSY, where, id ? "id" : "name",
                          id ? "duplicate id '%s'"
                             : "duplicate id '%s' (names may repeat: give "
                               "this one an \"id\" of its own)",
                          id ? id : name);
        return false;
    }
    return true;
}

static bool check_owner(const char *where, const MachineOwnerSpec *o,
                        GError **errp)
{
    if ((o->path &&
         !check_label(where, "owner.path", o->path, OWNER_MAX_LEN, errp)) ||
        (o->id &&
         !check_label(where, "owner.id", o->id, OWNER_MAX_LEN, errp))) {
        return false;
    }
    if (o->object && o->id) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "owner.id",
                          "only a device owner has an id");
        return false;
    }
    if (o->object && !o->path) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "owner.path",
                          "an object owner needs a path");
        return false;
    }
    return true;
}

static void owner_copy(MachineOwnerSpec *o)
{
    o->path = g_strdup(o->path);
    o->id = g_strdup(o->id);
}

static void owner_free(MachineOwnerSpec *o)
{
    g_free((char *)o->path);
    g_free((char *)o->id);
}

static bool kind_is_ram(MachineRegionKind kind)
{
    return kind == MACHINE_REGION_RAM || kind == MACHINE_REGION_ROM ||
           kind == MACHINE_REGION_ROMD || kind == MACHINE_REGION_RAM_DEVICE;
}

static bool check_iommu(const char *where, const MachineRegionSpec *spec,
                        GError **errp)
{
    const MachineIommuSpec *io = &spec->iommu;
    uint64_t page = io->page_size ? io->page_size : MACHINE_IOMMU_PAGE_SIZE;

    if (spec->kind != MACHINE_REGION_IOMMU) {
        if (io->address_space) {
            machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where,
                              "address_space",
                              "only IOMMUs have an address space");
            return false;
        }
        return true;
    }
    if (!io->address_space) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "address_space",
                          "an IOMMU needs the address space it translates "
                          "into");
        return false;
    }
    if (page & (page - 1)) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "page_size",
                          "must be a power of two");
        return false;
    }
    if (io->offset & (page - 1)) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "offset",
                          "must be a multiple of the page size 0x%" PRIx64,
                          page);
        return false;
    }
    if (io->perm < IOMMU_NONE || io->perm > IOMMU_RW) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "perm",
                          "unknown permissions");
        return false;
    }
    return true;
}

ADDRSPACE_EXPORT bool
machine_add_region(Machine *m, const MachineRegionSpec *spec, GError **errp)
{
    g_autofree char *where = spec->where
                                 ? g_strdup(spec->where)
                                 : g_strdup_printf("region '%s'", spec->name);
    bool is_alias = spec->kind == MACHINE_REGION_ALIAS;
    BoardRegion *br;

    g_return_val_if_fail(!m->realized, false);
    if ((unsigned)spec->kind >= G_N_ELEMENTS(region_kind_names)) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "kind",
                          "unknown kind");
        return false;
    }
    if (!check_name_id(m, where, spec->name, spec->id, errp)) {
        return false;
    }
    /* QEMU accepts size 0 for every kind without RAM (q35's TSEG windows) */
    if (spec->size == 0 && kind_is_ram(spec->kind)) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "size",
                          "RAM-backed regions need at least one byte");
        return false;
    }
    if (kind_is_ram(spec->kind) && spec->size > RAM_SIZE_MAX) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "size",
                          "RAM-backed regions are limited to %llu GiB",
                          RAM_SIZE_MAX >> 30);
        return false;
    }
    if (is_alias != (spec->alias_target != NULL)) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "target",
                          is_alias ? "an alias needs a target"
                                   : "only aliases have a target");
        return false;
    }
    if (spec->priority != 0 && !spec->overlap) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "priority",
                          "a non-zero priority needs overlap");
        return false;
    }
    if (!check_iommu(where, spec, errp) ||
        !check_owner(where, &spec->owner, errp)) {
        return false;
    }
    br = g_new0(BoardRegion, 1);
    br->spec = *spec;
    br->spec.where = g_steal_pointer(&where);
    br->spec.name = g_strdup(spec->name);
    br->spec.id = g_strdup(spec->id ? spec->id : spec->name);
    br->spec.parent = g_strdup(spec->parent);
    br->spec.alias_target = g_strdup(spec->alias_target);
    br->spec.iommu.address_space = g_strdup(spec->iommu.address_space);
    if (spec->kind == MACHINE_REGION_IOMMU && !spec->iommu.page_size) {
        br->spec.iommu.page_size = MACHINE_IOMMU_PAGE_SIZE;
    }
    owner_copy(&br->spec.owner);
    g_hash_table_add(m->names, (char *)br->spec.id);
    g_ptr_array_add(m->regions, br);
    return true;
}

/* "irqs": inputs of the interrupt controller, or -1 for none. */
static bool check_irqs(const char *where, const MachineDeviceSpec *spec,
                       GError **errp)
{
    if (spec->nr_irqs > MACHINE_DEVICE_MAX_IRQS ||
        (spec->nr_irqs && !spec->irqs)) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "irqs",
                          "at most %u entries", MACHINE_DEVICE_MAX_IRQS);
        return false;
    }
    for (unsigned i = 0; i < spec->nr_irqs; i++) {
        if (spec->irqs[i] < -1 || spec->irqs[i] >= MACHINE_IRQ_INPUTS) {
            machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "irqs",
                              "entry %u: must be an input 0 to %d, or -1", i,
                              MACHINE_IRQ_INPUTS - 1);
            return false;
        }
    }
    return true;
}

/* A device type's name, as "a, b, c" for messages. */
static char *type_names(void)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < machine_device_type_count(); i++) {
        g_string_append_printf(s, "%s%s", i ? ", " : "",
                               machine_device_type_nth(i)->name);
    }
    return g_string_free(s, FALSE);
}

static void device_spec_free(BoardDevice *bd)
{
    g_free((char *)bd->spec.where);
    g_free((char *)bd->spec.id);
    g_free((char *)bd->spec.name);
    g_free((char *)bd->spec.parent);
    g_free((int *)bd->spec.irqs);
    machine_props_free(bd->props);
    owner_free(&bd->spec.owner);
    g_free(bd);
}

ADDRSPACE_EXPORT bool
machine_add_device(Machine *m, const MachineDeviceSpec *spec, GError **errp)
{
    g_autofree char *where = spec->where
                                 ? g_strdup(spec->where)
                                 : g_strdup_printf("device '%s'", spec->name);
    const MachineDeviceType *type;
    BoardDevice *bd;

    g_return_val_if_fail(!m->realized, false);
    type = spec->type ? machine_device_type_lookup(spec->type) : NULL;
    if (!type) {
        g_autofree char *names = type_names();

        machine_set_error(errp, ADDRSPACE_ERROR_PARSE, where, "type",
                          "unknown device type '%s' (%s)",
                          spec->type ? spec->type : "", names);
        return false;
    }
    if (!check_name_id(m, where, spec->name, spec->id, errp) ||
        !check_owner(where, &spec->owner, errp) ||
        !check_irqs(where, spec, errp)) {
        return false;
    }
    if (spec->priority != 0 && !spec->overlap) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, where, "priority",
                          "a non-zero priority needs overlap");
        return false;
    }
    bd = g_new0(BoardDevice, 1);
    bd->m = m;
    bd->type = type;
    bd->spec = *spec;
    bd->spec.type = type->name;
    bd->spec.where = g_steal_pointer(&where);
    bd->spec.name = g_strdup(spec->name);
    bd->spec.id = g_strdup(spec->id ? spec->id : spec->name);
    bd->spec.parent = g_strdup(spec->parent);
    bd->spec.irqs = spec->nr_irqs
                        ? g_memdup2(spec->irqs, spec->nr_irqs * sizeof(int))
                        : NULL;
    bd->props = machine_props_copy(spec->props, bd->spec.where);
    bd->spec.props = bd->props;
    owner_copy(&bd->spec.owner);
    if (!machine_device_realize(bd, errp)) {
        device_spec_free(bd);
        return false;
    }
    g_hash_table_add(m->names, (char *)bd->spec.id);
    for (guint i = 0; bd->regions && i < bd->regions->len; i++) {
        g_hash_table_add(m->names,
                         ((BoardDeviceRegion *)bd->regions->pdata[i])->id);
    }
    g_ptr_array_add(m->devices, bd);
    return true;
}

ADDRSPACE_EXPORT bool
machine_add_space(Machine *m, const MachineSpaceSpec *spec, GError **errp)
{
    g_autofree char *loc =
        spec->where ? g_strdup(spec->where)
                    : g_strdup_printf("address space '%s'", spec->name);
    const char *id = spec->id ? spec->id : spec->name;
    BoardSpace *bs;

    g_return_val_if_fail(!m->realized, false);
    if (!check_label(loc, "name", spec->name, NAME_MAX_LEN, errp) ||
        (spec->id && !check_label(loc, "id", spec->id, NAME_MAX_LEN, errp))) {
        return false;
    }
    /* names may repeat, as in QEMU; ids may not */
    if (machine_find_space(m, id)) {
        machine_set_error(errp, ADDRSPACE_ERROR_BUSY, loc,
                          spec->id ? "id" : "name",
                          spec->id ? "duplicate address space id '%s'"
                                   : "duplicate address space id '%s' (names "
                                     "may repeat: give this one an \"id\" "
                                     "of its own)",
                          id);
        return false;
    }
    if (!spec->root || !*spec->root) {
        machine_set_error(errp, ADDRSPACE_ERROR_INVALID, loc, "root",
                          "must name a region");
        return false;
    }
    bs = g_new0(BoardSpace, 1);
    bs->where = g_steal_pointer(&loc);
    bs->id = g_strdup(id);
    bs->name = g_strdup(spec->name);
    bs->root = g_strdup(spec->root);
    bs->big_endian = spec->big_endian;
    g_ptr_array_add(m->spaces, bs);
    return true;
}

ADDRSPACE_EXPORT bool machine_add_address_space(Machine *m, const char *where,
                                                const char *name,
                                                const char *root,
                                                bool big_endian, GError **errp)
{
    MachineSpaceSpec spec = {
        .where = where, .name = name, .root = root, .big_endian = big_endian};

    return machine_add_space(m, &spec, errp);
}

/* ---- lookup ------------------------------------------------------------- */

BoardRegion *machine_find_region(Machine *m, const char *id)
{
    for (guint i = 0; i < m->regions->len; i++) {
        BoardRegion *br = m->regions->pdata[i];

        if (strcmp(br->spec.id, id) == 0) {
            return br;
        }
    }
    return NULL;
}

BoardDevice *machine_find_device(Machine *m, const char *id)
{
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        if (strcmp(bd->spec.id, id) == 0) {
            return bd;
        }
    }
    return NULL;
}

BoardSpace *machine_find_space(Machine *m, const char *id)
{
    for (guint i = 0; i < m->spaces->len; i++) {
        BoardSpace *bs = m->spaces->pdata[i];

        if (strcmp(bs->id, id) == 0) {
            return bs;
        }
    }
    return NULL;
}

MemoryRegion *machine_lookup_mr(Machine *m, const char *id)
{
    BoardRegion *br = machine_find_region(m, id);
    BoardDevice *bd;

    if (br) {
        return br->inited ? br->mr : NULL;
    }
    bd = machine_find_device(m, id);
    if (bd) {
        return bd->mr;
    }
    /* "DEVICE:REGION" */
    for (guint i = 0; strchr(id, ':') && i < m->devices->len; i++) {
        MemoryRegion *mr = machine_device_region(m->devices->pdata[i], id);

        if (mr) {
            return mr;
        }
    }
    return NULL;
}

bool machine_find_mr(Machine *m, MemoryRegion *mr, const char **id,
                     const char **where, guint *order)
{
    guint n = m->regions->len;

    for (guint i = 0; i < n + m->devices->len; i++) {
        BoardRegion *br = i < n ? m->regions->pdata[i] : NULL;
        BoardDevice *bd = i < n ? NULL : m->devices->pdata[i - n];

        if ((br ? br->mr : bd->mr) == mr) {
            *id = br ? br->spec.id : bd->spec.id;
            *where = br ? br->spec.where : bd->spec.where;
            *order = i;
            return true;
        }
    }
    return false;
}

const char *machine_name_of_mr(Machine *m, MemoryRegion *mr)
{
    const char *id, *where;
    guint order;

    return machine_find_mr(m, mr, &id, &where, &order) ? id : NULL;
}

static void board_owner_release(MemoryOwner *owner)
{
    g_free(owner);
}

MemoryOwner *machine_owner(Machine *m, const MachineOwnerSpec *spec)
{
    g_autofree char *key = NULL;
    MemoryOwner *owner;

    if (!spec->path && !spec->id) {
        return NULL;
    }
    /* unit separators: the strings hold no control characters */
    key =
        g_strdup_printf("%c\x1f%s\x1f%s", spec->object ? 'o' : 'd',
                        spec->path ? spec->path : "", spec->id ? spec->id : "");
    owner = g_hash_table_lookup(m->owners, key);
    if (!owner) {
        owner = g_new0(MemoryOwner, 1);
        memory_owner_init(owner, spec->id ? spec->id : spec->path,
                          board_owner_release);
        memory_owner_set_qom(owner, !spec->object, spec->path, spec->id);
        g_hash_table_insert(m->owners, g_steal_pointer(&key), owner);
    }
    return owner;
}

/* ---- lifetime ----------------------------------------------------------- */

ADDRSPACE_EXPORT Machine *machine_new(void)
{
    Machine *m = g_new0(Machine, 1);

    m->clock = vclock_new();
    vclock_set_budget(m->clock, MACHINE_CLOCK_BUDGET);
    m->regions = g_ptr_array_new();
    m->devices = g_ptr_array_new();
    m->spaces = g_ptr_array_new();
    m->names = g_hash_table_new(g_str_hash, g_str_equal);
    m->owners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_mutex_init(&m->irq_lock);
    return m;
}

static void unref_owner(gpointer key, gpointer value, gpointer opaque)
{
    (void)key;
    (void)opaque;
    memory_owner_unref(value);
}

/* Free one board region of a machine being freed (no view maps it). */
static void board_region_free(BoardRegion *br)
{
    if (br->inited) {
        memory_region_finalize(br->mr);
    }
    if (br->ram_device) {
        munmap(br->ram_device, br->spec.size);
    }
    g_free(br->mr);
    g_free((char *)br->spec.where);
    g_free((char *)br->spec.id);
    g_free((char *)br->spec.name);
    g_free((char *)br->spec.parent);
    g_free((char *)br->spec.alias_target);
    g_free((char *)br->spec.iommu.address_space);
    owner_free(&br->spec.owner);
    g_free(br);
}

/* Take every device and region of @m out of its parent, in one
 * transaction. */
static void machine_unplug_all(Machine *m)
{
    memory_region_transaction_begin();
    for (guint i = 0; i < m->devices->len; i++) {
        BoardDevice *bd = m->devices->pdata[i];

        if (bd->parent_mr) {
            memory_region_del_subregion(bd->parent_mr, bd->mr, NULL);
        }
    }
    for (guint i = 0; i < m->regions->len; i++) {
        BoardRegion *br = m->regions->pdata[i];

        if (br->parent_mr) {
            memory_region_del_subregion(br->parent_mr, br->mr, NULL);
        }
    }
    memory_region_transaction_commit();
}

ADDRSPACE_EXPORT void machine_free(Machine *m)
{
    if (!m) {
        return;
    }
    /* devices stop using the clock, the handler and the AddressSpaces */
    for (guint i = 0; i < m->devices->len; i++) {
        machine_device_unrealize(m->devices->pdata[i]);
    }
    for (guint i = 0; i < m->spaces->len; i++) {
        BoardSpace *bs = m->spaces->pdata[i];

        if (bs->inited) {
            address_space_destroy(&bs->as);
        }
    }
    machine_unplug_all(m);
    /* no FlatView maps the board's owner-less regions after this */
    drain_call_rcu();
    for (guint i = 0; i < m->regions->len; i++) {
        board_region_free(m->regions->pdata[i]);
    }
    /* the regions are gone: drop the machine's references on their owners
     * (released after a grace period, waited for below) */
    g_hash_table_foreach(m->owners, unref_owner, NULL);
    g_hash_table_destroy(m->owners);
    for (guint i = 0; i < m->devices->len; i++) {
        machine_device_free(m->devices->pdata[i]);
    }
    /* devices and owners are released on the reclamation thread: wait */
    drain_call_rcu();
    for (guint i = 0; i < m->devices->len; i++) {
        device_spec_free(m->devices->pdata[i]);
    }
    for (guint i = 0; i < m->spaces->len; i++) {
        BoardSpace *bs = m->spaces->pdata[i];

        g_free(bs->where);
        g_free(bs->id);
        g_free(bs->name);
        g_free(bs->root);
        g_free(bs);
    }
    g_ptr_array_free(m->regions, TRUE);
    g_ptr_array_free(m->devices, TRUE);
    g_ptr_array_free(m->spaces, TRUE);
    g_hash_table_destroy(m->names);
    g_mutex_clear(&m->irq_lock);
    vclock_free(m->clock);
    g_free(m);
}

/* ---- accessors ---------------------------------------------------------- */

ADDRSPACE_EXPORT VClock *machine_clock(Machine *m)
{
    return m->clock;
}

ADDRSPACE_EXPORT AddressSpace *machine_address_space(Machine *m,
                                                     const char *name)
{
    for (guint i = 0; i < m->spaces->len; i++) {
        BoardSpace *bs = m->spaces->pdata[i];

        if (bs->inited && (!name || strcmp(bs->name, name) == 0)) {
            return &bs->as;
        }
    }
    return NULL;
}

ADDRSPACE_EXPORT MemoryRegion *machine_region(Machine *m, const char *name)
{
    return machine_lookup_mr(m, name);
}

ADDRSPACE_EXPORT void
machine_set_irq_handler(Machine *m, MachineIrqHandler handler, void *opaque)
{
    g_mutex_lock(&m->irq_lock);
    m->irq_handler = handler;
    m->irq_opaque = opaque;
    g_mutex_unlock(&m->irq_lock);
    machine_observe_irqs(m);
}

ADDRSPACE_EXPORT uint64_t machine_irq_events(Machine *m)
{
    return (uint64_t)(gsize)g_atomic_pointer_get(&m->irq_events);
}

ADDRSPACE_EXPORT bool
machine_flavour_parse(const char *text, MachineFlavour *flavour, GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);

    if (strcmp(parts[0], "pc") == 0) {
        *flavour = MACHINE_FLAVOUR_PC;
    } else if (strcmp(parts[0], "q35") == 0) {
        *flavour = MACHINE_FLAVOUR_Q35;
    } else {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "unsupported machine type '%s' (pc, q35)",
                            parts[0]);
        return false;
    }
    for (int i = 1; parts[i]; i++) {
        if (strcmp(parts[i], "pit=off") != 0) {
            addrspace_error_set(
                errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                "machine option '%s' not supported (only pit=off: "
                "the board has no PIT)",
                parts[i]);
            return false;
        }
    }
    return true;
}

guint machine_nr_regions(Machine *m)
{
    return m->regions->len;
}

void machine_region_spec(Machine *m, guint i, MachineRegionSpec *spec)
{
    BoardRegion *br = m->regions->pdata[i];
    MemoryRegion *mr = br->mr;

    *spec = br->spec;
    if (!br->inited) {
        return;
    }
    spec->disabled = !memory_region_is_enabled(mr);
    /* a ROM is read-only by nature, not by a flag of the board */
    spec->readonly =
        memory_region_is_readonly(mr) && spec->kind != MACHINE_REGION_ROM;
    spec->nonvolatile = memory_region_is_nonvolatile(mr);
    spec->alias_offset = memory_region_get_alias_offset(mr);
    if (memory_region_get_container(mr)) {
        spec->parent = machine_name_of_mr(m, memory_region_get_container(mr));
        spec->addr = memory_region_get_address(mr);
        spec->priority = memory_region_get_priority(mr);
    } else {
        spec->parent = NULL;
    }
}

guint machine_nr_devices(Machine *m)
{
    return m->devices->len;
}

void machine_device_spec(Machine *m, guint i, MachineDeviceSpec *spec)
{
    BoardDevice *bd = m->devices->pdata[i];

    *spec = bd->spec;
    if (bd->mr && memory_region_get_container(bd->mr)) {
        spec->parent =
            machine_name_of_mr(m, memory_region_get_container(bd->mr));
        spec->addr = memory_region_get_address(bd->mr);
        spec->priority = memory_region_get_priority(bd->mr);
    } else if (bd->mr) {
        spec->parent = NULL;
    }
}

guint machine_nr_address_spaces(Machine *m)
{
    return m->spaces->len;
}

void machine_space_spec(Machine *m, guint i, MachineSpaceSpec *spec)
{
    BoardSpace *bs = m->spaces->pdata[i];

    *spec = (MachineSpaceSpec){
        .where = bs->where,
        .id = bs->id,
        .name = bs->name,
        .root = bs->root,
        .big_endian =
            bs->inited ? address_space_is_big_endian(&bs->as) : bs->big_endian,
    };
}

void machine_address_space_spec(Machine *m, guint i, const char **name,
                                const char **root, bool *big_endian)
{
    BoardSpace *bs = m->spaces->pdata[i];

    *name = bs->name;
    *root = bs->root;
    *big_endian =
        bs->inited ? address_space_is_big_endian(&bs->as) : bs->big_endian;
}
