/* SPDX-License-Identifier: MIT */
/*
 * The debug dump mtree_info(): the text of QEMU 7.2's `info mtree` (each
 * AddressSpace's region tree, then every region reached as an alias
 * target) and `info mtree -f` (each FlatView with the AddressSpaces that
 * share it). Same tree in, same text out.
 *
 * QEMU walks two hash tables here (AddressSpaces grouped by root, and by
 * FlatView), so its block order changes from run to run; ours is
 * deterministic: the groups and the FlatViews come in the creation order
 * of the first AddressSpace that uses them (address_space_foreach_locked()).
 * Everything inside a block follows QEMU.
 */
#include <inttypes.h>

#include "memory-internal.h"

#define MTREE_INDENT "  "

/*
 * Last address of a range as QEMU prints it (its MR_SIZE()): first +
 * size - 1 modulo 2^64 (a size of 2^64 gives first - 1, wrapped), and
 * first itself for a size of 0.
 */
static hwaddr range_last(hwaddr first, addrspace_u128 size)
{
    return size ? first + (hwaddr)(size - 1) : first;
}

/* QEMU's memory_region_type(): what the region is, as the dump names it. */
static const char *region_type(const MemoryRegion *mr)
{
    /* an alias prints the type of what it finally points at */
    while (mr->priv.alias) {
        mr = mr->priv.alias;
    }
    if (mr->priv.ram_device) {
        return "ramd";
    }
    if (mr->priv.kind == MR_KIND_ROM_DEVICE) {
        /* QEMU does not count a ROM device as RAM outside romd mode */
        return mr->priv.romd_mode ? "romd" : "i/o";
    }
    if (mr->priv.ram_block) {
        return mr->priv.readonly ? "rom" : "ram";
    }
    /* MMIO, I/O, containers, reservations, IOMMUs (QEMU 7.2) */
    return "i/o";
}

/*
 * Where QEMU hangs a named region created without owner (its QOM parent),
 * as `info mtree -o` prints it.
 */
#define MTREE_UNATTACHED "/machine/unattached"

/* QEMU's mtree_expand_owner(): " LABEL:{dev id=ID}" and the like. */
static void print_owner_object(FILE *out, const char *label,
                               const MemoryOwner *o)
{
    fprintf(out, " %s:{%s", label, o->qom_device ? "dev" : "obj");
    if (o->qom_device && o->qom_id) {
        fprintf(out, " id=%s", o->qom_id);
    } else if (o->qom_path) {
        fprintf(out, " path=%s", o->qom_path);
    } else {
        fprintf(out, " type=%s", o->name ? o->name : "");
    }
    fputc('}', out);
}

/*
 * QEMU's mtree_print_mr_owner() (`-o`): the owner; a region without one
 * shows its QOM parent, which QEMU makes /machine/unattached for a named
 * region; an unnamed one has none ("orphan"). A region's QOM parent is its
 * owner when it has one, so it is never printed twice.
 */
static void print_owner(FILE *out, const MemoryRegion *mr)
{
    if (mr->priv.owner) {
        print_owner_object(out, "owner", mr->priv.owner);
    } else if (mr->priv.name) {
        fputs(" parent:{obj path=" MTREE_UNATTACHED "}", out);
    } else {
        fputs(" orphan", out);
    }
}

/* State of one tree dump. */
typedef struct TreeDump {
    FILE *out;
    bool owner;         /* print owners (-o) */
    bool disabled;      /* print disabled regions too (-D) */
    GPtrArray *targets; /* alias targets, in order of discovery */
    GHashTable *queued; /* the set of @targets */
} TreeDump;

static void queue_alias_target(TreeDump *d, MemoryRegion *target)
{
    if (g_hash_table_add(d->queued, target)) {
        g_ptr_array_add(d->targets, target);
    }
}

/* Print order of siblings: by address, then higher priority first. */
static gint sibling_cmp(gconstpointer pa, gconstpointer pb)
{
    const MemoryRegion *a = *(MemoryRegion *const *)pa;
    const MemoryRegion *b = *(MemoryRegion *const *)pb;

    if (a->priv.addr != b->priv.addr) {
        return a->priv.addr < b->priv.addr ? -1 : 1;
    }
    return (a->priv.priority < b->priv.priority) -
           (a->priv.priority > b->priv.priority);
}

static void print_region_line(TreeDump *d, const MemoryRegion *mr,
                              unsigned int level, hwaddr first, hwaddr last)
{
    for (unsigned int i = 0; i < level; i++) {
        fputs(MTREE_INDENT, d->out);
    }
    fprintf(d->out, "%016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): ", first,
            last, mr->priv.priority, mr->priv.nonvolatile ? "nv-" : "",
            region_type(mr));
    if (mr->priv.alias) {
        fprintf(d->out, "alias %s @%s %016" PRIx64 "-%016" PRIx64,
                memory_region_name(mr), memory_region_name(mr->priv.alias),
                mr->priv.alias_offset,
                range_last(mr->priv.alias_offset, mr->priv.size));
    } else {
        fputs(memory_region_name(mr), d->out);
    }
    if (!mr->priv.enabled) {
        fputs(" [disabled]", d->out);
    }
    if (d->owner) {
        print_owner(d->out, mr);
    }
    fputc('\n', d->out);
}

/*
 * Print @mr at @level (its range is @base plus its own address) and its
 * subregions below it, recursively.
 */
static void print_region(TreeDump *d, MemoryRegion *mr, unsigned int level,
                         hwaddr base)
{
    hwaddr first = base + mr->priv.addr;
    hwaddr last = range_last(first, mr->priv.size);
    GPtrArray *subs;

    /* QEMU flags a range that wraps past 2^64, even for a hidden region */
    if (first < base || last < first) {
        fputs("[DETECTED OVERFLOW!] ", d->out);
    }
    /* QEMU queues the target even when the alias itself is hidden */
    if (mr->priv.alias) {
        queue_alias_target(d, mr->priv.alias);
    }
    if (mr->priv.enabled || d->disabled) {
        print_region_line(d, mr, level, first, last);
    }
    if (!mr->priv.sub_first) {
        return;
    }
    subs = g_ptr_array_sized_new(mr->priv.nr_subregions);
    for (MemoryRegion *c = mr->priv.sub_first; c; c = c->priv.sub_next) {
        g_ptr_array_add(subs, c);
    }
    /* stable (GLib >= 2.32): equal keys keep the render order, as QEMU */
    g_ptr_array_sort(subs, sibling_cmp);
    /* QEMU: the children of a hidden region still print, at level + 1 */
    for (guint i = 0; i < subs->len; i++) {
        print_region(d, subs->pdata[i], level + 1, first);
    }
    g_ptr_array_free(subs, true);
}

/* AddressSpaces grouped by a key (their root, or their FlatView). */
typedef struct AsGroups {
    GPtrArray *keys;     /* in order of first appearance */
    GHashTable *members; /* key -> GPtrArray of AddressSpace */
    bool by_view;
} AsGroups;

static void as_groups_add(AddressSpace *as, void *opaque)
{
    AsGroups *g = opaque;
    void *key = g->by_view ? (void *)address_space_view_locked(as)
                           : (void *)as->priv.root;
    GPtrArray *list = g_hash_table_lookup(g->members, key);

    if (!list) {
        list = g_ptr_array_new();
        g_hash_table_insert(g->members, key, list);
        g_ptr_array_add(g->keys, key);
    }
    g_ptr_array_add(list, as);
}

static void as_groups_init(AsGroups *g, bool by_view)
{
    g->keys = g_ptr_array_new();
    g->members = g_hash_table_new_full(NULL, NULL, NULL,
                                       (GDestroyNotify)g_ptr_array_unref);
    g->by_view = by_view;
    address_space_foreach_locked(as_groups_add, g);
}

static void as_groups_destroy(AsGroups *g)
{
    g_ptr_array_free(g->keys, true);
    g_hash_table_destroy(g->members);
}

static gint as_name_cmp(gconstpointer pa, gconstpointer pb)
{
    const AddressSpace *a = *(AddressSpace *const *)pa;
    const AddressSpace *b = *(AddressSpace *const *)pb;

    return g_strcmp0(a->priv.name, b->priv.name);
}

static void mtree_info_tree(FILE *out, bool owner, bool disabled)
{
    TreeDump d = {
        .out = out,
        .owner = owner,
        .disabled = disabled,
        .targets = g_ptr_array_new(),
        .queued = g_hash_table_new(NULL, NULL),
    };
    AsGroups groups;

    as_groups_init(&groups, false);
    for (guint i = 0; i < groups.keys->len; i++) {
        MemoryRegion *root = groups.keys->pdata[i];
        GPtrArray *list = g_hash_table_lookup(groups.members, root);

        /* QEMU lists the AddressSpaces of one root sorted by name */
        g_ptr_array_sort(list, as_name_cmp);
        for (guint j = 0; j < list->len; j++) {
            AddressSpace *as = list->pdata[j];

            fprintf(out, "address-space: %s\n", as->priv.name);
        }
        print_region(&d, root, 1, 0);
        fputc('\n', out);
    }
    as_groups_destroy(&groups);
    /* every alias target, each once; printing them may queue more */
    for (guint i = 0; i < d.targets->len; i++) {
        MemoryRegion *mr = d.targets->pdata[i];

        fprintf(out, "memory-region: %s\n", memory_region_name(mr));
        print_region(&d, mr, 1, 0);
        fputc('\n', out);
    }
    g_ptr_array_free(d.targets, true);
    g_hash_table_destroy(d.queued);
}

/* State of one FlatView dump. */
typedef struct FlatDump {
    FILE *out;
    bool owner; /* print owners (-o) */
} FlatDump;

static bool print_section(const MemoryRegionSection *s, void *opaque)
{
    FlatDump *d = opaque;
    FILE *out = d->out;
    const MemoryRegion *mr = s->mr;
    hwaddr first = s->offset_within_address_space;

    /* priority and name are those of the region that owns the range */
    fprintf(out,
            MTREE_INDENT "%016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): %s",
            first, range_last(first, s->size), mr->priv.priority,
            s->nonvolatile ? "nv-" : "", s->readonly ? "rom" : region_type(mr),
            memory_region_name(mr));
    if (s->offset_within_region) {
        fprintf(out, " @%016" PRIx64, s->offset_within_region);
    }
    if (d->owner) {
        print_owner(out, mr);
    }
    fputc('\n', out);
    return false;
}

static void print_flatview(FlatDump *d, unsigned int n, FlatView *fv,
                           GPtrArray *list)
{
    FILE *out = d->out;
    MemoryRegion *root = flatview_root(fv);

    fprintf(out, "FlatView #%u\n", n);
    /* AddressSpaces in creation order (QEMU: its address_spaces list) */
    for (guint i = 0; i < list->len; i++) {
        AddressSpace *as = list->pdata[i];
        MemoryRegion *as_root = as->priv.root;

        fprintf(out, " AS \"%s\", root: %s", as->priv.name,
                memory_region_name(as_root));
        if (as_root->priv.alias) {
            fprintf(out, ", alias %s", memory_region_name(as_root->priv.alias));
        }
        fputc('\n', out);
    }
    fprintf(out, " Root memory region: %s\n",
            root ? memory_region_name(root) : "(none)");
    /* QEMU tests the number of ranges, not the root */
    if (flatview_nr_sections(fv) == 0) {
        fputs(MTREE_INDENT "No rendered FlatView\n\n", out);
        return;
    }
    flatview_for_each_section(fv, print_section, d);
    fputc('\n', out);
}

static void mtree_info_flatviews(FILE *out, bool owner)
{
    FlatDump d = {.out = out, .owner = owner};
    AsGroups views;

    as_groups_init(&views, true);
    for (guint i = 0; i < views.keys->len; i++) {
        FlatView *fv = views.keys->pdata[i];

        print_flatview(&d, i, fv, g_hash_table_lookup(views.members, fv));
    }
    as_groups_destroy(&views);
}

ADDRSPACE_EXPORT void mtree_info_flags(FILE *out, unsigned int flags)
{
    bool owner = flags & MTREE_INFO_OWNER;

    /* the lock keeps the tree, the AddressSpaces and their views still */
    memory_update_lock();
    if (flags & MTREE_INFO_FLATVIEW) {
        mtree_info_flatviews(out, owner);
    } else {
        mtree_info_tree(out, owner, flags & MTREE_INFO_DISABLED);
    }
    memory_update_unlock();
}

ADDRSPACE_EXPORT void mtree_info(FILE *out, bool flatview, bool disabled)
{
    mtree_info_flags(out, (flatview ? MTREE_INFO_FLATVIEW : 0) |
                              (disabled ? MTREE_INFO_DISABLED : 0));
}
