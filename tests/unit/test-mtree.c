/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of mtree_info(): the tree (`info mtree`, `-D`) and FlatView
 * (`info mtree -f`) dumps, byte for byte in QEMU 7.2's format. The isapc
 * expectations are a real QEMU 7.2 dump (`-M isapc -m 64`), quoted from
 * the project's notes on the format; the other expectations follow QEMU
 * 7.2's mtree_print_mr() / mtree_print_flatview() rules.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <addrspace/address-space.h>
#include <addrspace/memory.h>
#include <addrspace/rcu.h>

#include "mtree-blocks.h"
#include "source-path.h"

/* Regions and AddressSpaces of one test, torn down together. */
typedef struct Fixture {
    GPtrArray *regions; /* MemoryRegion *, in creation order */
    GPtrArray *spaces;  /* AddressSpace * */
} Fixture;

static uint64_t dummy_read(void *opaque, hwaddr addr, unsigned size)
{
    (void)opaque;
    (void)addr;
    (void)size;
    return 0;
}

static void dummy_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    (void)opaque;
    (void)addr;
    (void)data;
    (void)size;
}

static const MemoryRegionOps dummy_ops = {
    .read = dummy_read,
    .write = dummy_write,
};

static void fx_setup(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    fx->regions = g_ptr_array_new();
    fx->spaces = g_ptr_array_new();
}

static void fx_teardown(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    for (guint i = 0; i < fx->spaces->len; i++) {
        address_space_destroy(fx->spaces->pdata[i]);
        g_free(fx->spaces->pdata[i]);
    }
    /* views still name the regions until they are reclaimed */
    drain_call_rcu();
    for (guint i = fx->regions->len; i-- > 0;) {
        memory_region_finalize(fx->regions->pdata[i]);
        g_free(fx->regions->pdata[i]);
    }
    drain_call_rcu();
    g_ptr_array_free(fx->spaces, true);
    g_ptr_array_free(fx->regions, true);
}

/* A new region of @kind (not an alias), torn down with the fixture. */
static MemoryRegion *fx_region(Fixture *fx, MemoryRegionKind kind,
                               const char *name, uint64_t size)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);
    GError *err = NULL;
    bool ok = false;

    switch (kind) {
    case MR_KIND_CONTAINER:
        ok = memory_region_init(mr, NULL, name, size, &err);
        break;
    case MR_KIND_RAM:
        ok = memory_region_init_ram(mr, NULL, name, size, &err);
        break;
    case MR_KIND_ROM:
        ok = memory_region_init_rom(mr, NULL, name, size, &err);
        break;
    case MR_KIND_ROM_DEVICE:
        ok = memory_region_init_rom_device(mr, NULL, &dummy_ops, NULL, name,
                                           size, &err);
        break;
    case MR_KIND_IO:
        ok =
            memory_region_init_io(mr, NULL, &dummy_ops, NULL, name, size, &err);
        break;
    default:
        g_assert_not_reached();
    }
    g_assert_no_error(err);
    g_assert_true(ok);
    g_ptr_array_add(fx->regions, mr);
    return mr;
}

static MemoryRegion *fx_container(Fixture *fx, const char *name, uint64_t size)
{
    return fx_region(fx, MR_KIND_CONTAINER, name, size);
}

static MemoryRegion *fx_ram(Fixture *fx, const char *name, uint64_t size)
{
    return fx_region(fx, MR_KIND_RAM, name, size);
}

static MemoryRegion *fx_io(Fixture *fx, const char *name, uint64_t size)
{
    return fx_region(fx, MR_KIND_IO, name, size);
}

static MemoryRegion *fx_alias(Fixture *fx, const char *name, MemoryRegion *orig,
                              hwaddr offset, uint64_t size)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);
    GError *err = NULL;

    g_assert_true(
        memory_region_init_alias(mr, NULL, name, orig, offset, size, &err));
    g_assert_no_error(err);
    g_ptr_array_add(fx->regions, mr);
    return mr;
}

static void add(MemoryRegion *parent, hwaddr addr, MemoryRegion *sub)
{
    GError *err = NULL;

    g_assert_true(memory_region_add_subregion(parent, addr, sub, &err));
    g_assert_no_error(err);
}

static void add_prio(MemoryRegion *parent, hwaddr addr, MemoryRegion *sub,
                     int priority)
{
    GError *err = NULL;

    g_assert_true(
        memory_region_add_subregion_overlap(parent, addr, sub, priority, &err));
    g_assert_no_error(err);
}

static AddressSpace *fx_as(Fixture *fx, MemoryRegion *root, const char *name)
{
    AddressSpace *as = g_new0(AddressSpace, 1);
    GError *err = NULL;

    g_assert_true(address_space_init(as, root, name, &err));
    g_assert_no_error(err);
    g_ptr_array_add(fx->spaces, as);
    return as;
}

/* The dump with MtreeInfoFlags as a string (g_free it). */
static char *dump_flags(unsigned int flags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    g_assert_nonnull(f);
    mtree_info_flags(f, flags);
    g_assert_cmpint(fclose(f), ==, 0);
    return buf;
}

/* The dump as a string (g_free it), through mtree_info(). */
static char *dump(bool flatview, bool disabled)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    g_assert_nonnull(f);
    mtree_info(f, flatview, disabled);
    g_assert_cmpint(fclose(f), ==, 0);
    return buf;
}

/* The dump must equal @want exactly (our order is deterministic). */
static void assert_dump(bool flatview, bool disabled, const char *want)
{
    char *got = dump(flatview, disabled);

    g_assert_cmpstr(got, ==, want);
    g_free(got);
}

/* QEMU 7.2, -M isapc -m 64: `info mtree` and `info mtree -f`. */
/* clang-format off */
static const char isapc_tree_expected[] =
    "address-space: cpu-memory-0\n"
    "address-space: memory\n"
    "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
    "    0000000000000000-0000000003ffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-0000000003ffffff\n"
    "    00000000000c0000-00000000000dffff (prio 1, ram): pc.rom\n"
    "    00000000000e0000-00000000000fffff (prio 1, ram): alias isa-bios @pc.bios 0000000000000000-000000000001ffff\n"
    "    00000000fffe0000-00000000ffffffff (prio 0, ram): pc.bios\n"
    "\n"
    "address-space: I/O\n"
    "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
    "    0000000000000000-0000000000000007 (prio 0, i/o): dma-chan\n"
    "    0000000000000008-000000000000000f (prio 0, i/o): dma-cont\n"
    "    0000000000000020-0000000000000021 (prio 0, i/o): pic\n"
    "    0000000000000040-0000000000000043 (prio 0, i/o): pit\n"
    "    0000000000000060-0000000000000060 (prio 0, i/o): i8042-data\n"
    "    0000000000000061-0000000000000061 (prio 0, i/o): pcspk\n"
    "    0000000000000064-0000000000000064 (prio 0, i/o): i8042-cmd\n"
    "    0000000000000070-0000000000000071 (prio 0, i/o): rtc\n"
    "      0000000000000070-0000000000000070 (prio 0, i/o): rtc-index\n"
    "    0000000000000080-0000000000000080 (prio 0, i/o): ioport80\n"
    "    0000000000000081-0000000000000083 (prio 0, i/o): dma-page\n"
    "    0000000000000087-0000000000000087 (prio 0, i/o): dma-page\n"
    "    0000000000000089-000000000000008b (prio 0, i/o): dma-page\n"
    "    000000000000008f-000000000000008f (prio 0, i/o): dma-page\n"
    "    0000000000000092-0000000000000092 (prio 0, i/o): port92\n"
    "    00000000000000a0-00000000000000a1 (prio 0, i/o): pic\n"
    "    00000000000000c0-00000000000000cf (prio 0, i/o): dma-chan\n"
    "    00000000000000d0-00000000000000df (prio 0, i/o): dma-cont\n"
    "    00000000000000f0-00000000000000f0 (prio 0, i/o): ioportF0\n"
    "    0000000000000170-0000000000000177 (prio 0, i/o): ide\n"
    "    00000000000001f0-00000000000001f7 (prio 0, i/o): ide\n"
    "    0000000000000376-0000000000000376 (prio 0, i/o): ide\n"
    "    00000000000003f1-00000000000003f5 (prio 0, i/o): fdc\n"
    "    00000000000003f6-00000000000003f6 (prio 0, i/o): ide\n"
    "    00000000000003f7-00000000000003f7 (prio 0, i/o): fdc\n"
    "    00000000000004d0-00000000000004d0 (prio 0, i/o): elcr\n"
    "    00000000000004d1-00000000000004d1 (prio 0, i/o): elcr\n"
    "    0000000000000510-0000000000000511 (prio 0, i/o): fwcfg\n"
    "    0000000000000514-000000000000051b (prio 0, i/o): fwcfg.dma\n"
    "    0000000000005658-0000000000005658 (prio 0, i/o): vmport\n"
    "\n"
    "address-space: cpu-smm-0\n"
    "  0000000000000000-ffffffffffffffff (prio 0, i/o): memory\n"
    "    0000000000000000-ffffffffffffffff (prio 0, i/o): alias memory @system 0000000000000000-ffffffffffffffff\n"
    "\n"
    "memory-region: pc.ram\n"
    "  0000000000000000-0000000003ffffff (prio 0, ram): pc.ram\n"
    "\n"
    "memory-region: pc.bios\n"
    "  00000000fffe0000-00000000ffffffff (prio 0, ram): pc.bios\n"
    "\n"
    "memory-region: system\n"
    "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
    "    0000000000000000-0000000003ffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-0000000003ffffff\n"
    "    00000000000c0000-00000000000dffff (prio 1, ram): pc.rom\n"
    "    00000000000e0000-00000000000fffff (prio 1, ram): alias isa-bios @pc.bios 0000000000000000-000000000001ffff\n"
    "    00000000fffe0000-00000000ffffffff (prio 0, ram): pc.bios\n"
    "\n";

static const char isapc_flat_expected[] =
    "FlatView #0\n"
    " AS \"memory\", root: system\n"
    " AS \"cpu-memory-0\", root: system\n"
    " AS \"cpu-smm-0\", root: memory\n"
    " Root memory region: system\n"
    "  0000000000000000-00000000000bffff (prio 0, ram): pc.ram\n"
    "  00000000000c0000-00000000000dffff (prio 1, ram): pc.rom\n"
    "  00000000000e0000-00000000000fffff (prio 0, ram): pc.bios\n"
    "  0000000000100000-0000000003ffffff (prio 0, ram): pc.ram @0000000000100000\n"
    "  00000000fffe0000-00000000ffffffff (prio 0, ram): pc.bios\n"
    "\n"
    "FlatView #1\n"
    " AS \"I/O\", root: io\n"
    " Root memory region: io\n"
    "  0000000000000000-0000000000000007 (prio 0, i/o): dma-chan\n"
    "  0000000000000008-000000000000000f (prio 0, i/o): dma-cont\n"
    "  0000000000000010-000000000000001f (prio 0, i/o): io @0000000000000010\n"
    "  0000000000000020-0000000000000021 (prio 0, i/o): pic\n"
    "  0000000000000022-000000000000003f (prio 0, i/o): io @0000000000000022\n"
    "  0000000000000040-0000000000000043 (prio 0, i/o): pit\n"
    "  0000000000000044-000000000000005f (prio 0, i/o): io @0000000000000044\n"
    "  0000000000000060-0000000000000060 (prio 0, i/o): i8042-data\n"
    "  0000000000000061-0000000000000061 (prio 0, i/o): pcspk\n"
    "  0000000000000062-0000000000000063 (prio 0, i/o): io @0000000000000062\n"
    "  0000000000000064-0000000000000064 (prio 0, i/o): i8042-cmd\n"
    "  0000000000000065-000000000000006f (prio 0, i/o): io @0000000000000065\n"
    "  0000000000000070-0000000000000070 (prio 0, i/o): rtc-index\n"
    "  0000000000000071-0000000000000071 (prio 0, i/o): rtc @0000000000000001\n"
    "  0000000000000072-000000000000007f (prio 0, i/o): io @0000000000000072\n"
    "  0000000000000080-0000000000000080 (prio 0, i/o): ioport80\n"
    "  0000000000000081-0000000000000083 (prio 0, i/o): dma-page\n"
    "  0000000000000084-0000000000000086 (prio 0, i/o): io @0000000000000084\n"
    "  0000000000000087-0000000000000087 (prio 0, i/o): dma-page\n"
    "  0000000000000088-0000000000000088 (prio 0, i/o): io @0000000000000088\n"
    "  0000000000000089-000000000000008b (prio 0, i/o): dma-page\n"
    "  000000000000008c-000000000000008e (prio 0, i/o): io @000000000000008c\n"
    "  000000000000008f-000000000000008f (prio 0, i/o): dma-page\n"
    "  0000000000000090-0000000000000091 (prio 0, i/o): io @0000000000000090\n"
    "  0000000000000092-0000000000000092 (prio 0, i/o): port92\n"
    "  0000000000000093-000000000000009f (prio 0, i/o): io @0000000000000093\n"
    "  00000000000000a0-00000000000000a1 (prio 0, i/o): pic\n"
    "  00000000000000a2-00000000000000bf (prio 0, i/o): io @00000000000000a2\n"
    "  00000000000000c0-00000000000000cf (prio 0, i/o): dma-chan\n"
    "  00000000000000d0-00000000000000df (prio 0, i/o): dma-cont\n"
    "  00000000000000e0-00000000000000ef (prio 0, i/o): io @00000000000000e0\n"
    "  00000000000000f0-00000000000000f0 (prio 0, i/o): ioportF0\n"
    "  00000000000000f1-000000000000016f (prio 0, i/o): io @00000000000000f1\n"
    "  0000000000000170-0000000000000177 (prio 0, i/o): ide\n"
    "  0000000000000178-00000000000001ef (prio 0, i/o): io @0000000000000178\n"
    "  00000000000001f0-00000000000001f7 (prio 0, i/o): ide\n"
    "  00000000000001f8-0000000000000375 (prio 0, i/o): io @00000000000001f8\n"
    "  0000000000000376-0000000000000376 (prio 0, i/o): ide\n"
    "  0000000000000377-00000000000003f0 (prio 0, i/o): io @0000000000000377\n"
    "  00000000000003f1-00000000000003f5 (prio 0, i/o): fdc\n"
    "  00000000000003f6-00000000000003f6 (prio 0, i/o): ide\n"
    "  00000000000003f7-00000000000003f7 (prio 0, i/o): fdc\n"
    "  00000000000003f8-00000000000004cf (prio 0, i/o): io @00000000000003f8\n"
    "  00000000000004d0-00000000000004d0 (prio 0, i/o): elcr\n"
    "  00000000000004d1-00000000000004d1 (prio 0, i/o): elcr\n"
    "  00000000000004d2-000000000000050f (prio 0, i/o): io @00000000000004d2\n"
    "  0000000000000510-0000000000000511 (prio 0, i/o): fwcfg\n"
    "  0000000000000512-0000000000000513 (prio 0, i/o): io @0000000000000512\n"
    "  0000000000000514-000000000000051b (prio 0, i/o): fwcfg.dma\n"
    "  000000000000051c-0000000000005657 (prio 0, i/o): io @000000000000051c\n"
    "  0000000000005658-0000000000005658 (prio 0, i/o): vmport\n"
    "  0000000000005659-000000000000ffff (prio 0, i/o): io @0000000000005659\n"
    "\n";
/* clang-format on */

/*
 * The I/O ports of isapc under "io" (rtc gets its rtc-index child), with
 * the device that owns each in QEMU 7.2 (`info mtree -o`; "d2" is
 * /machine/unattached/device[2]), or NULL for none.
 */
static const struct {
    const char *name;
    hwaddr addr;
    uint64_t size;
    const char *owner;
} isapc_ports[] = {
    {"dma-chan", 0x0, 8, "d2"},     {"dma-cont", 0x8, 8, "d2"},
    {"pic", 0x20, 2, "d4"},         {"pit", 0x40, 4, "d7"},
    {"i8042-data", 0x60, 1, "d10"}, {"pcspk", 0x61, 1, "d8"},
    {"i8042-cmd", 0x64, 1, "d10"},  {"rtc", 0x70, 2, "d6"},
    {"ioport80", 0x80, 1, NULL},    {"dma-page", 0x81, 3, "d2"},
    {"dma-page", 0x87, 1, "d2"},    {"dma-page", 0x89, 3, "d3"},
    {"dma-page", 0x8f, 1, "d3"},    {"port92", 0x92, 1, "d13"},
    {"pic", 0xa0, 2, "d5"},         {"dma-chan", 0xc0, 16, "d3"},
    {"dma-cont", 0xd0, 16, "d3"},   {"ioportF0", 0xf0, 1, NULL},
    {"ide", 0x170, 8, "d15"},       {"ide", 0x1f0, 8, "d14"},
    {"ide", 0x376, 1, "d15"},       {"fdc", 0x3f1, 5, "d9"},
    {"ide", 0x3f6, 1, "d14"},       {"fdc", 0x3f7, 1, "d9"},
    {"elcr", 0x4d0, 1, "d4"},       {"elcr", 0x4d1, 1, "d5"},
    {"fwcfg", 0x510, 2, "fw_cfg"},  {"fwcfg.dma", 0x514, 8, "fw_cfg"},
    {"vmport", 0x5658, 1, "d11"},
};

/* The isapc owners of a build, by short name ("d2", "fw_cfg", ...). */
typedef struct IsapcOwners {
    GHashTable *by_name; /* short name -> MemoryOwner *, one reference */
} IsapcOwners;

static void unref_owner(gpointer key, gpointer value, gpointer opaque)
{
    (void)key;
    (void)opaque;
    memory_owner_unref(value);
}

/*
 * The owner QEMU gives @short_name: "dN" is /machine/unattached/device[N],
 * anything else /machine/NAME; "pc.ram" the memory backend object. NULL
 * when @owners or @short_name is NULL (no owner).
 */
static MemoryOwner *isapc_owner(IsapcOwners *owners, const char *short_name)
{
    MemoryOwner *o;

    if (!owners || !short_name) {
        return NULL;
    }
    o = g_hash_table_lookup(owners->by_name, short_name);
    if (!o) {
        g_autofree char *path =
            short_name[0] == 'd'
                ? g_strdup_printf("/machine/unattached/device[%s]",
                                  short_name + 1)
            : strcmp(short_name, "pc.ram") == 0
                ? g_strdup("/objects/pc.ram")
                : g_strdup_printf("/machine/%s", short_name);

        o = g_new0(MemoryOwner, 1);
        memory_owner_init(o, short_name, (void (*)(MemoryOwner *))g_free);
        memory_owner_set_qom(o, strcmp(short_name, "pc.ram") != 0, path, NULL);
        g_hash_table_insert(owners->by_name, (char *)short_name, o);
    }
    return o;
}

/* An I/O region with an owner, torn down with the fixture. */
static MemoryRegion *fx_io_owned(Fixture *fx, MemoryOwner *owner,
                                 const char *name, uint64_t size)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);
    GError *err = NULL;

    g_assert_true(
        memory_region_init_io(mr, owner, &dummy_ops, NULL, name, size, &err));
    g_assert_no_error(err);
    g_ptr_array_add(fx->regions, mr);
    return mr;
}

/*
 * The isapc machine from the public API, AddressSpaces in QEMU's creation
 * order. The ports are added in reverse, so the dump's order comes from
 * its own sorting. With @owned, each region gets the owner QEMU 7.2 gives
 * it (memory_owner_set_qom()).
 */
static void build_isapc_owned(Fixture *fx, bool owned)
{
    IsapcOwners owners = {g_hash_table_new(g_str_hash, g_str_equal)};
    IsapcOwners *o = owned ? &owners : NULL;
    MemoryRegion *system = fx_container(fx, "system", UINT64_MAX);
    MemoryRegion *ram = g_new0(MemoryRegion, 1);
    MemoryRegion *rom = fx_ram(fx, "pc.rom", 0x20000);
    MemoryRegion *bios = fx_ram(fx, "pc.bios", 0x20000);
    MemoryRegion *io = fx_io(fx, "io", 0x10000);
    MemoryRegion *smm = g_new0(MemoryRegion, 1);
    MemoryRegion *smm_alias = g_new0(MemoryRegion, 1);
    GError *err = NULL;

    g_assert_true(memory_region_init_ram(ram, isapc_owner(o, "pc.ram"),
                                         "pc.ram", 64 * 1024 * 1024, &err));
    g_assert_true(memory_region_init(smm, isapc_owner(o, "d0"), "memory",
                                     UINT64_MAX, &err));
    g_assert_true(memory_region_init_alias(smm_alias, isapc_owner(o, "d0"),
                                           "memory", system, 0, UINT64_MAX,
                                           &err));
    g_assert_no_error(err);
    g_ptr_array_add(fx->regions, ram);
    g_ptr_array_add(fx->regions, smm);
    g_ptr_array_add(fx->regions, smm_alias);
    add(system, 0, fx_alias(fx, "ram-below-4g", ram, 0, 64 * 1024 * 1024));
    add_prio(system, 0xc0000, rom, 1);
    add_prio(system, 0xe0000, fx_alias(fx, "isa-bios", bios, 0, 0x20000), 1);
    add(system, 0xfffe0000, bios);
    for (size_t i = G_N_ELEMENTS(isapc_ports); i-- > 0;) {
        MemoryOwner *owner = isapc_owner(o, isapc_ports[i].owner);
        MemoryRegion *port =
            fx_io_owned(fx, owner, isapc_ports[i].name, isapc_ports[i].size);

        if (!strcmp(isapc_ports[i].name, "rtc")) {
            add(port, 0, fx_io_owned(fx, owner, "rtc-index", 1));
        }
        add(io, isapc_ports[i].addr, port);
    }
    add_prio(smm, 0, smm_alias, 0);

    fx_as(fx, system, "memory");
    fx_as(fx, io, "I/O");
    fx_as(fx, system, "cpu-memory-0");
    fx_as(fx, smm, "cpu-smm-0");
    /* the regions hold the owners now */
    g_hash_table_foreach(owners.by_name, unref_owner, NULL);
    g_hash_table_destroy(owners.by_name);
}

static void build_isapc(Fixture *fx)
{
    build_isapc_owned(fx, false);
}

/*
 * QEMU 7.2's own `info mtree -o` and `-f -o` of `-M isapc -m 64`
 * (tests/boards/qemu-7.2/isapc-m64/, recorded by
 * tests/boards/record-qemu-mtree.py): the same tree built with the
 * owners QEMU gives its regions prints the same blocks, byte for byte.
 */
static void test_isapc_owners(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    static const struct {
        const char *file;
        unsigned int flags;
    } modes[] = {
        {"mtree.txt", 0},
        {"mtree-f.txt", MTREE_INFO_FLATVIEW},
        {"mtree-o.txt", MTREE_INFO_OWNER},
        {"mtree-f-o.txt", MTREE_INFO_FLATVIEW | MTREE_INFO_OWNER},
        {"mtree-o-D.txt", MTREE_INFO_OWNER | MTREE_INFO_DISABLED},
    };

    build_isapc_owned(fx, true);
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        g_autofree char *path = source_path("tests", "boards", "qemu-7.2",
                                            "isapc-m64", modes[i].file, NULL);
        g_autofree char *want = NULL;
        char *got = dump_flags(modes[i].flags);

        g_assert_true(g_file_get_contents(path, &want, NULL, NULL));
        mtree_assert_same_blocks(got, want);
        free(got);
    }
}

static void test_isapc_tree(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    char *got;

    build_isapc(fx);
    got = dump(false, false);
    mtree_assert_same_blocks(got, isapc_tree_expected);
    g_free(got);
    /* nothing is disabled: -D prints the same */
    got = dump(false, true);
    mtree_assert_same_blocks(got, isapc_tree_expected);
    g_free(got);
}

static void test_isapc_flatview(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    char *got;

    build_isapc(fx);
    got = dump(true, false);
    mtree_assert_same_blocks(got, isapc_flat_expected);
    g_free(got);
}

static void test_isapc_deterministic_order(Fixture *fx,
                                           gconstpointer unused G_GNUC_UNUSED)
{

    /* creation order happens to be the order of the QEMU run quoted */
    build_isapc(fx);
    assert_dump(false, false, isapc_tree_expected);
    assert_dump(true, false, isapc_flat_expected);
}

/*
 * A disabled container with children and a disabled alias:
 * top: box (disabled) { inner, dev }, plain, win (disabled alias @plain).
 */
static void build_disabled(Fixture *fx)
{
    MemoryRegion *top = fx_container(fx, "top", 0x10000);
    MemoryRegion *box = fx_container(fx, "box", 0x1000);
    MemoryRegion *plain = fx_ram(fx, "plain", 0x1000);
    MemoryRegion *win = fx_alias(fx, "win", plain, 0, 0x800);

    add(box, 0x100, fx_ram(fx, "inner", 0x100));
    add(box, 0x200, fx_io(fx, "dev", 0x10));
    add(top, 0x1000, box);
    add(top, 0x4000, plain);
    add(top, 0x8000, win);
    memory_region_set_enabled(box, false);
    memory_region_set_enabled(win, false);
    fx_as(fx, top, "as0");
}

static void test_disabled_shown_with_d(Fixture *fx,
                                       gconstpointer unused G_GNUC_UNUSED)
{

    build_disabled(fx);
    /* clang-format off */
    assert_dump(false, true,
        "address-space: as0\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top\n"
        "    0000000000001000-0000000000001fff (prio 0, i/o): box [disabled]\n"
        "      0000000000001100-00000000000011ff (prio 0, ram): inner\n"
        "      0000000000001200-000000000000120f (prio 0, i/o): dev\n"
        "    0000000000004000-0000000000004fff (prio 0, ram): plain\n"
        "    0000000000008000-00000000000087ff (prio 0, ram): alias win @plain 0000000000000000-00000000000007ff [disabled]\n"
        "\n"
        "memory-region: plain\n"
        "  0000000000004000-0000000000004fff (prio 0, ram): plain\n"
        "\n");
    /* clang-format on */
}

static void
test_disabled_hidden_children_print(Fixture *fx,
                                    gconstpointer unused G_GNUC_UNUSED)
{

    build_disabled(fx);
    /*
     * QEMU hides the disabled lines but still prints the children of the
     * hidden box at their own depth, and still lists the hidden alias's
     * target as a memory-region.
     */
    /* clang-format off */
    assert_dump(false, false,
        "address-space: as0\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top\n"
        "      0000000000001100-00000000000011ff (prio 0, ram): inner\n"
        "      0000000000001200-000000000000120f (prio 0, i/o): dev\n"
        "    0000000000004000-0000000000004fff (prio 0, ram): plain\n"
        "\n"
        "memory-region: plain\n"
        "  0000000000004000-0000000000004fff (prio 0, ram): plain\n"
        "\n");
    /* the flat view has nothing of the disabled regions, -D or not */
    assert_dump(true, true,
        "FlatView #0\n"
        " AS \"as0\", root: top\n"
        " Root memory region: top\n"
        "  0000000000004000-0000000000004fff (prio 0, ram): plain\n"
        "\n");
    /* clang-format on */
}

static void test_nonvolatile(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    MemoryRegion *top, *nvbox, *pmem2;

    top = fx_container(fx, "top", 0x10000);
    nvbox = fx_container(fx, "nvbox", 0x2000);
    pmem2 = fx_ram(fx, "pmem2", 0x1000);
    add(nvbox, 0, fx_ram(fx, "pmem", 0x1000));
    add(top, 0, nvbox);
    add(top, 0x4000, pmem2);
    add(top, 0x8000, fx_alias(fx, "pmem-alias", pmem2, 0, 0x1000));
    memory_region_set_nonvolatile(nvbox, true);
    memory_region_set_nonvolatile(pmem2, true);
    g_assert_true(memory_region_is_nonvolatile(nvbox));
    g_assert_false(memory_region_is_nonvolatile(top));
    fx_as(fx, top, "as-nv");
    /*
     * The tree shows each region's own flag (pmem inherits nothing there);
     * the flat view shows it propagated to the ranges.
     */
    /* clang-format off */
    assert_dump(false, false,
        "address-space: as-nv\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top\n"
        "    0000000000000000-0000000000001fff (prio 0, nv-i/o): nvbox\n"
        "      0000000000000000-0000000000000fff (prio 0, ram): pmem\n"
        "    0000000000004000-0000000000004fff (prio 0, nv-ram): pmem2\n"
        "    0000000000008000-0000000000008fff (prio 0, ram): alias pmem-alias @pmem2 0000000000000000-0000000000000fff\n"
        "\n"
        "memory-region: pmem2\n"
        "  0000000000004000-0000000000004fff (prio 0, nv-ram): pmem2\n"
        "\n");
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as-nv\", root: top\n"
        " Root memory region: top\n"
        "  0000000000000000-0000000000000fff (prio 0, nv-ram): pmem\n"
        "  0000000000004000-0000000000004fff (prio 0, nv-ram): pmem2\n"
        "  0000000000008000-0000000000008fff (prio 0, nv-ram): pmem2\n"
        "\n");
    /* clang-format on */
}

static void test_alias_of_alias(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    MemoryRegion *top, *r, *a1;

    top = fx_container(fx, "top", 0x10000);
    r = fx_ram(fx, "r", 0x1000);
    a1 = fx_alias(fx, "a1", r, 0x100, 0x800);
    add(top, 0x2000, fx_alias(fx, "a2", a1, 0x10, 0x100));
    fx_as(fx, top, "as-aa");
    /*
     * a2 prints the type of the region at the end of the chain; a1 is
     * listed because a2 points at it, and r because a1 does.
     */
    /* clang-format off */
    assert_dump(false, false,
        "address-space: as-aa\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top\n"
        "    0000000000002000-00000000000020ff (prio 0, ram): alias a2 @a1 0000000000000010-000000000000010f\n"
        "\n"
        "memory-region: a1\n"
        "  0000000000000000-00000000000007ff (prio 0, ram): alias a1 @r 0000000000000100-00000000000008ff\n"
        "\n"
        "memory-region: r\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): r\n"
        "\n");
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as-aa\", root: top\n"
        " Root memory region: top\n"
        "  0000000000002000-00000000000020ff (prio 0, ram): r @0000000000000110\n"
        "\n");
    /* clang-format on */
}

static void test_readonly_alias_is_rom(Fixture *fx,
                                       gconstpointer unused G_GNUC_UNUSED)
{
    MemoryRegion *top, *flash, *ro, *hi;

    top = fx_container(fx, "top", 0x10000);
    flash = fx_ram(fx, "flash", 0x1000);
    ro = fx_alias(fx, "flash-ro", flash, 0, 0x1000);
    hi = fx_alias(fx, "flash-hi", flash, 0x800, 0x800);
    memory_region_set_readonly(ro, true);
    memory_region_set_readonly(hi, true);
    add(top, 0, flash);
    add(top, 0x8000, ro);
    add(top, 0xa000, hi);
    fx_as(fx, top, "as-ro");
    /* the tree names the target's type; the flat view the range's */
    /* clang-format off */
    assert_dump(false, false,
        "address-space: as-ro\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top\n"
        "    0000000000000000-0000000000000fff (prio 0, ram): flash\n"
        "    0000000000008000-0000000000008fff (prio 0, ram): alias flash-ro @flash 0000000000000000-0000000000000fff\n"
        "    000000000000a000-000000000000a7ff (prio 0, ram): alias flash-hi @flash 0000000000000800-0000000000000fff\n"
        "\n"
        "memory-region: flash\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): flash\n"
        "\n");
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as-ro\", root: top\n"
        " Root memory region: top\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): flash\n"
        "  0000000000008000-0000000000008fff (prio 0, rom): flash\n"
        "  000000000000a000-000000000000a7ff (prio 0, rom): flash @0000000000000800\n"
        "\n");
    /* clang-format on */
}

static void test_rom_types(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    MemoryRegion *top, *flashdev, *wp;

    top = fx_container(fx, "top", 0x10000);
    flashdev = fx_region(fx, MR_KIND_ROM_DEVICE, "flashdev", 0x2000);
    wp = fx_ram(fx, "wp", 0x1000);
    memory_region_set_readonly(wp, true);
    add(top, 0, fx_region(fx, MR_KIND_ROM, "bootrom", 0x1000));
    add(top, 0x4000, flashdev);
    add(top, 0x8000, wp);
    fx_as(fx, top, "as-rom");
    /* clang-format off */
    assert_dump(false, false,
        "address-space: as-rom\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top\n"
        "    0000000000000000-0000000000000fff (prio 0, rom): bootrom\n"
        "    0000000000004000-0000000000005fff (prio 0, romd): flashdev\n"
        "    0000000000008000-0000000000008fff (prio 0, rom): wp\n"
        "\n");
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as-rom\", root: top\n"
        " Root memory region: top\n"
        "  0000000000000000-0000000000000fff (prio 0, rom): bootrom\n"
        "  0000000000004000-0000000000005fff (prio 0, romd): flashdev\n"
        "  0000000000008000-0000000000008fff (prio 0, rom): wp\n"
        "\n");
    /* out of romd mode a ROM device is not RAM for QEMU: i/o */
    memory_region_rom_device_set_romd(flashdev, false);
    assert_dump(false, false,
        "address-space: as-rom\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top\n"
        "    0000000000000000-0000000000000fff (prio 0, rom): bootrom\n"
        "    0000000000004000-0000000000005fff (prio 0, i/o): flashdev\n"
        "    0000000000008000-0000000000008fff (prio 0, rom): wp\n"
        "\n");
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as-rom\", root: top\n"
        " Root memory region: top\n"
        "  0000000000000000-0000000000000fff (prio 0, rom): bootrom\n"
        "  0000000000004000-0000000000005fff (prio 0, i/o): flashdev\n"
        "  0000000000008000-0000000000008fff (prio 0, rom): wp\n"
        "\n");
    /* clang-format on */
}

static void test_empty_view(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{

    fx_as(fx, fx_container(fx, "nothing", 0x1000), "as-empty");
    fx_as(fx, fx_container(fx, "void", 0x2000), "as-void");
    /* both have no effective root, so they share the one empty view */
    /* clang-format off */
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as-empty\", root: nothing\n"
        " AS \"as-void\", root: void\n"
        " Root memory region: (none)\n"
        "  No rendered FlatView\n"
        "\n");
    assert_dump(false, false,
        "address-space: as-empty\n"
        "  0000000000000000-0000000000000fff (prio 0, i/o): nothing\n"
        "\n"
        "address-space: as-void\n"
        "  0000000000000000-0000000000001fff (prio 0, i/o): void\n"
        "\n");
    /* clang-format on */
}

static void test_root_without_ranges(Fixture *fx,
                                     gconstpointer unused G_GNUC_UNUSED)
{
    MemoryRegion *hollow;

    hollow = fx_container(fx, "hollow", 0x10000);
    add(hollow, 0, fx_container(fx, "e1", 0x100));
    add(hollow, 0x1000, fx_container(fx, "e2", 0x100));
    fx_as(fx, hollow, "as-hollow");
    /* QEMU says "No rendered FlatView" for zero ranges, root or not */
    /* clang-format off */
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as-hollow\", root: hollow\n"
        " Root memory region: hollow\n"
        "  No rendered FlatView\n"
        "\n");
    /* clang-format on */
}

static void build_sorted(Fixture *fx)
{
    MemoryRegion *top = fx_container(fx, "top", UINT64_MAX);
    MemoryRegion *whole = fx_container(fx, "whole", UINT64_MAX);

    /* added out of order: the dump sorts by address, then priority */
    add_prio(top, 0x3000, fx_ram(fx, "tie-first", 0x1000), 2);
    add_prio(top, 0x3000, fx_ram(fx, "tie-second", 0x1000), 2);
    add_prio(top, 0xfffffffffffff000, fx_io(fx, "top-dev", 0x1000), 0);
    add_prio(top, 0x1000, fx_io(fx, "neg", 0x100), -1);
    add_prio(top, 0x1000, fx_ram(fx, "hi", 0x10), 5);
    add(top, 0, fx_ram(fx, "low", 0x100));
    add(whole, 0, fx_alias(fx, "all", top, 0, UINT64_MAX));
    fx_as(fx, top, "as-sort");
    fx_as(fx, whole, "as-whole");
}

/* clang-format off */
#define SORTED_TOP_TREE                                                        \
    "  0000000000000000-ffffffffffffffff (prio 0, i/o): top\n"                 \
    "    0000000000000000-00000000000000ff (prio 0, ram): low\n"               \
    "    0000000000001000-000000000000100f (prio 5, ram): hi\n"                \
    "    0000000000001000-00000000000010ff (prio -1, i/o): neg\n"              \
    "    0000000000003000-0000000000003fff (prio 2, ram): tie-second\n"        \
    "    0000000000003000-0000000000003fff (prio 2, ram): tie-first\n"         \
    "    fffffffffffff000-ffffffffffffffff (prio 0, i/o): top-dev\n"
/* clang-format on */

static void test_sort_priority_and_2_64(Fixture *fx,
                                        gconstpointer unused G_GNUC_UNUSED)
{

    build_sorted(fx);
    /*
     * Same address: higher priority first; same address and priority:
     * render order (the later added first). Sizes of 2^64 end at
     * ffffffffffffffff, aliases' windows too.
     */
    /* clang-format off */
    assert_dump(false, false,
        "address-space: as-sort\n"
        SORTED_TOP_TREE
        "\n"
        "address-space: as-whole\n"
        "  0000000000000000-ffffffffffffffff (prio 0, i/o): whole\n"
        "    0000000000000000-ffffffffffffffff (prio 0, i/o): alias all @top 0000000000000000-ffffffffffffffff\n"
        "\n"
        "memory-region: top\n"
        SORTED_TOP_TREE
        "\n");
    /* "whole" only wraps "top": both share one view, rendered from top */
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as-sort\", root: top\n"
        " AS \"as-whole\", root: whole\n"
        " Root memory region: top\n"
        "  0000000000000000-00000000000000ff (prio 0, ram): low\n"
        "  0000000000001000-000000000000100f (prio 5, ram): hi\n"
        "  0000000000001010-00000000000010ff (prio -1, i/o): neg @0000000000000010\n"
        "  0000000000003000-0000000000003fff (prio 2, ram): tie-second\n"
        "  fffffffffffff000-ffffffffffffffff (prio 0, i/o): top-dev\n"
        "\n");
    /* clang-format on */
}

static void test_whole_2_64_region(Fixture *fx,
                                   gconstpointer unused G_GNUC_UNUSED)
{

    fx_as(fx, fx_io(fx, "bus", UINT64_MAX), "as-bus");
    /* clang-format off */
    assert_dump(false, false,
        "address-space: as-bus\n"
        "  0000000000000000-ffffffffffffffff (prio 0, i/o): bus\n"
        "\n");
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as-bus\", root: bus\n"
        " Root memory region: bus\n"
        "  0000000000000000-ffffffffffffffff (prio 0, i/o): bus\n"
        "\n");
    /* clang-format on */
}

static void test_overflow_marked(Fixture *fx,
                                 gconstpointer unused G_GNUC_UNUSED)
{
    MemoryRegion *top, *high;

    top = fx_container(fx, "top", UINT64_MAX);
    high = fx_container(fx, "high", 0x10000);
    /* each fits its parent, but their ranges pass 2^64 */
    add(high, 0x8000, fx_ram(fx, "wrap", 0x10000));
    add(high, 0x20000, fx_ram(fx, "beyond", 0x1000));
    add(top, 0xffffffffffff0000, high);
    fx_as(fx, top, "as-ovf");
    /* clang-format off */
    assert_dump(false, false,
        "address-space: as-ovf\n"
        "  0000000000000000-ffffffffffffffff (prio 0, i/o): top\n"
        "    ffffffffffff0000-ffffffffffffffff (prio 0, i/o): high\n"
        "[DETECTED OVERFLOW!]       ffffffffffff8000-0000000000007fff (prio 0, ram): wrap\n"
        "[DETECTED OVERFLOW!]       0000000000010000-0000000000010fff (prio 0, ram): beyond\n"
        "\n");
    /* clang-format on */
}

static void test_as_root_alias(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    MemoryRegion *sys;

    sys = fx_container(fx, "sys", 0x10000);
    add(sys, 0, fx_ram(fx, "m", 0x1000));
    add(sys, 0x2000, fx_ram(fx, "n", 0x1000));
    fx_as(fx, sys, "as-sys");
    fx_as(fx, fx_alias(fx, "sys-view", sys, 0, 0x10000), "as-alias");
    /* clang-format off */
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as-sys\", root: sys\n"
        " AS \"as-alias\", root: sys-view, alias sys\n"
        " Root memory region: sys\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): m\n"
        "  0000000000002000-0000000000002fff (prio 0, ram): n\n"
        "\n");
    assert_dump(false, false,
        "address-space: as-sys\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): sys\n"
        "    0000000000000000-0000000000000fff (prio 0, ram): m\n"
        "    0000000000002000-0000000000002fff (prio 0, ram): n\n"
        "\n"
        "address-space: as-alias\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): alias sys-view @sys 0000000000000000-000000000000ffff\n"
        "\n"
        "memory-region: sys\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): sys\n"
        "    0000000000000000-0000000000000fff (prio 0, ram): m\n"
        "    0000000000002000-0000000000002fff (prio 0, ram): n\n"
        "\n");
    /* clang-format on */
}

static void test_creation_order(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    MemoryRegion *io, *mem, *other;

    io = fx_io(fx, "io", 0x100);
    mem = fx_ram(fx, "mem", 0x1000);
    other = fx_ram(fx, "other", 0x10);
    fx_as(fx, io, "zeta");
    fx_as(fx, mem, "beta");
    fx_as(fx, io, "alpha");
    fx_as(fx, other, "gamma");
    /*
     * Groups and views in creation order of their first AddressSpace;
     * names sorted inside a tree group (QEMU), creation order inside a
     * FlatView (QEMU's AddressSpace list).
     */
    /* clang-format off */
    assert_dump(false, false,
        "address-space: alpha\n"
        "address-space: zeta\n"
        "  0000000000000000-00000000000000ff (prio 0, i/o): io\n"
        "\n"
        "address-space: beta\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): mem\n"
        "\n"
        "address-space: gamma\n"
        "  0000000000000000-000000000000000f (prio 0, ram): other\n"
        "\n");
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"zeta\", root: io\n"
        " AS \"alpha\", root: io\n"
        " Root memory region: io\n"
        "  0000000000000000-00000000000000ff (prio 0, i/o): io\n"
        "\n"
        "FlatView #1\n"
        " AS \"beta\", root: mem\n"
        " Root memory region: mem\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): mem\n"
        "\n"
        "FlatView #2\n"
        " AS \"gamma\", root: other\n"
        " Root memory region: other\n"
        "  0000000000000000-000000000000000f (prio 0, ram): other\n"
        "\n");
    /* clang-format on */
}

static void assert_dump_flags(unsigned int flags, const char *want)
{
    char *got = dump_flags(flags);

    g_assert_cmpstr(got, ==, want);
    g_free(got);
}

/* An owner freed by its release callback (after the tree drops it). */
static MemoryOwner *new_owner(const char *name, bool is_device,
                              const char *path, const char *id)
{
    MemoryOwner *o = g_new0(MemoryOwner, 1);

    memory_owner_init(o, name, (void (*)(MemoryOwner *))g_free);
    if (path || id || !is_device) {
        memory_owner_set_qom(o, is_device, path, id);
    }
    return o;
}

/*
 * Owners as QEMU 7.2's `info mtree -o` prints them (mtree_print_mr_owner):
 * a device by id when it has one, else by path; another object by path; an
 * object without either by type (the owner's name here); a named region
 * without owner under /machine/unattached; an unnamed one "orphan". The
 * owner follows " [disabled]"; -f -o prints the owner of each range's
 * region.
 */
static void test_owner_column(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    MemoryOwner *lpc =
        new_owner("ich9-lpc", true, "/machine/unattached/device[2]", NULL);
    MemoryOwner *nic =
        new_owner("e1000", true, "/machine/peripheral/nic0", "nic0");
    MemoryOwner *backend =
        new_owner("memory-backend-ram", false, "/objects/pc.ram", "ignored");
    MemoryOwner *loose = new_owner("loose-dev", true, NULL, NULL);
    MemoryRegion *top = fx_container(fx, "top", 0x10000);
    MemoryRegion *ram = g_new0(MemoryRegion, 1);
    MemoryRegion *pm = g_new0(MemoryRegion, 1);
    MemoryRegion *evt = g_new0(MemoryRegion, 1);
    MemoryRegion *bar = g_new0(MemoryRegion, 1);
    MemoryRegion *cfg = g_new0(MemoryRegion, 1);
    GError *err = NULL;

    g_assert_true(memory_region_init_ram(ram, backend, "pc.ram", 0x1000, &err));
    g_assert_true(memory_region_init(pm, lpc, "ich9-pm", 0x80, &err));
    g_assert_true(
        memory_region_init_io(evt, lpc, &dummy_ops, NULL, "acpi-evt", 4, &err));
    g_assert_true(memory_region_init_io(bar, nic, &dummy_ops, NULL,
                                        "e1000-mmio", 0x100, &err));
    g_assert_true(
        memory_region_init_io(cfg, loose, &dummy_ops, NULL, NULL, 0x10, &err));
    g_assert_no_error(err);
    g_ptr_array_add(fx->regions, ram);
    g_ptr_array_add(fx->regions, pm);
    g_ptr_array_add(fx->regions, evt);
    g_ptr_array_add(fx->regions, bar);
    g_ptr_array_add(fx->regions, cfg);
    add(top, 0, fx_alias(fx, "ram-below-4g", ram, 0, 0x1000));
    add(pm, 0, evt);
    add(top, 0x2000, pm);
    memory_region_set_enabled(pm, false);
    add(top, 0x3000, bar);
    add(top, 0x4000, cfg);
    add(top, 0x5000, fx_io(fx, NULL, 0x10));
    fx_as(fx, top, "memory");
    /* the tree holds them now */
    memory_owner_unref(lpc);
    memory_owner_unref(nic);
    memory_owner_unref(backend);
    memory_owner_unref(loose);
    /* clang-format off */
    assert_dump_flags(MTREE_INFO_OWNER,
        "address-space: memory\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top parent:{obj path=/machine/unattached}\n"
        "    0000000000000000-0000000000000fff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-0000000000000fff parent:{obj path=/machine/unattached}\n"
        "      0000000000002000-0000000000002003 (prio 0, i/o): acpi-evt owner:{dev path=/machine/unattached/device[2]}\n"
        "    0000000000003000-00000000000030ff (prio 0, i/o): e1000-mmio owner:{dev id=nic0}\n"
        "    0000000000004000-000000000000400f (prio 0, i/o):  owner:{dev type=loose-dev}\n"
        "    0000000000005000-000000000000500f (prio 0, i/o):  orphan\n"
        "\n"
        "memory-region: pc.ram\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): pc.ram owner:{obj path=/objects/pc.ram}\n"
        "\n");
    assert_dump_flags(MTREE_INFO_OWNER | MTREE_INFO_DISABLED,
        "address-space: memory\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top parent:{obj path=/machine/unattached}\n"
        "    0000000000000000-0000000000000fff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-0000000000000fff parent:{obj path=/machine/unattached}\n"
        "    0000000000002000-000000000000207f (prio 0, i/o): ich9-pm [disabled] owner:{dev path=/machine/unattached/device[2]}\n"
        "      0000000000002000-0000000000002003 (prio 0, i/o): acpi-evt owner:{dev path=/machine/unattached/device[2]}\n"
        "    0000000000003000-00000000000030ff (prio 0, i/o): e1000-mmio owner:{dev id=nic0}\n"
        "    0000000000004000-000000000000400f (prio 0, i/o):  owner:{dev type=loose-dev}\n"
        "    0000000000005000-000000000000500f (prio 0, i/o):  orphan\n"
        "\n"
        "memory-region: pc.ram\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): pc.ram owner:{obj path=/objects/pc.ram}\n"
        "\n");
    assert_dump_flags(MTREE_INFO_FLATVIEW | MTREE_INFO_OWNER,
        "FlatView #0\n"
        " AS \"memory\", root: top\n"
        " Root memory region: top\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): pc.ram owner:{obj path=/objects/pc.ram}\n"
        "  0000000000003000-00000000000030ff (prio 0, i/o): e1000-mmio owner:{dev id=nic0}\n"
        "  0000000000004000-000000000000400f (prio 0, i/o):  owner:{dev type=loose-dev}\n"
        "  0000000000005000-000000000000500f (prio 0, i/o):  orphan\n"
        "\n");
    /* without -o, nothing of it */
    assert_dump_flags(MTREE_INFO_FLATVIEW,
        "FlatView #0\n"
        " AS \"memory\", root: top\n"
        " Root memory region: top\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): pc.ram\n"
        "  0000000000003000-00000000000030ff (prio 0, i/o): e1000-mmio\n"
        "  0000000000004000-000000000000400f (prio 0, i/o): \n"
        "  0000000000005000-000000000000500f (prio 0, i/o): \n"
        "\n");
    /* clang-format on */
}

/*
 * Size 0 (QEMU accepts it; q35's TSEG windows start so): QEMU's MR_SIZE()
 * makes the range's last address its first, for regions and alias
 * windows; nothing renders.
 */
static void test_size_zero(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    MemoryRegion *top = fx_container(fx, "top", 0x10000);
    MemoryRegion *ram = fx_ram(fx, "pc.ram", 0x1000);

    add(top, 0, ram);
    add_prio(top, 0x800, fx_io(fx, "tseg-blackhole", 0), 1);
    /* a zero window at the end of its target */
    add(top, 0x1000, fx_alias(fx, "tseg-window", ram, 0x1000, 0));
    fx_as(fx, top, "as0");
    /* clang-format off */
    assert_dump(false, false,
        "address-space: as0\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top\n"
        "    0000000000000000-0000000000000fff (prio 0, ram): pc.ram\n"
        "    0000000000000800-0000000000000800 (prio 1, i/o): tseg-blackhole\n"
        "    0000000000001000-0000000000001000 (prio 0, ram): alias tseg-window @pc.ram 0000000000001000-0000000000001000\n"
        "\n"
        "memory-region: pc.ram\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): pc.ram\n"
        "\n");
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as0\", root: top\n"
        " Root memory region: top\n"
        "  0000000000000000-0000000000000fff (prio 0, ram): pc.ram\n"
        "\n");
    /* clang-format on */
}

/* A RAM device prints "ramd" (QEMU's memory_region_type()), also aliased. */
static void test_ram_device(Fixture *fx, gconstpointer unused G_GNUC_UNUSED)
{
    static uint8_t bar[0x1000];
    MemoryRegion *top = fx_container(fx, "top", 0x10000);
    MemoryRegion *ramd = g_new0(MemoryRegion, 1);
    GError *err = NULL;

    g_assert_true(memory_region_init_ram_device_ptr(ramd, NULL, "vfio-bar",
                                                    sizeof(bar), bar, &err));
    g_assert_no_error(err);
    g_ptr_array_add(fx->regions, ramd);
    add(top, 0x1000, ramd);
    add(top, 0x4000, fx_alias(fx, "bar-alias", ramd, 0x800, 0x800));
    fx_as(fx, top, "as0");
    /* clang-format off */
    assert_dump(false, false,
        "address-space: as0\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): top\n"
        "    0000000000001000-0000000000001fff (prio 0, ramd): vfio-bar\n"
        "    0000000000004000-00000000000047ff (prio 0, ramd): alias bar-alias @vfio-bar 0000000000000800-0000000000000fff\n"
        "\n"
        "memory-region: vfio-bar\n"
        "  0000000000001000-0000000000001fff (prio 0, ramd): vfio-bar\n"
        "\n");
    assert_dump(true, false,
        "FlatView #0\n"
        " AS \"as0\", root: top\n"
        " Root memory region: top\n"
        "  0000000000001000-0000000000001fff (prio 0, ramd): vfio-bar\n"
        "  0000000000004000-00000000000047ff (prio 0, ramd): vfio-bar @0000000000000800\n"
        "\n");
    /* clang-format on */
}

static void test_no_address_spaces(void)
{
    /* nothing to print, not even a blank line */
    assert_dump(false, false, "");
    assert_dump(true, false, "");
}

/* Registers a test that runs between fx_setup() and fx_teardown(). */
#define ADD_FX(path, fn) \
    g_test_add(path, Fixture, NULL, fx_setup, fn, fx_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD_FX("/mtree/isapc/tree", test_isapc_tree);
    ADD_FX("/mtree/isapc/flatview", test_isapc_flatview);
    ADD_FX("/mtree/isapc/deterministic-order", test_isapc_deterministic_order);
    ADD_FX("/mtree/disabled/shown-with-D", test_disabled_shown_with_d);
    ADD_FX("/mtree/disabled/hidden-children-still-print",
           test_disabled_hidden_children_print);
    ADD_FX("/mtree/type/nonvolatile", test_nonvolatile);
    ADD_FX("/mtree/type/rom-romd-i-o", test_rom_types);
    ADD_FX("/mtree/alias/alias-of-alias", test_alias_of_alias);
    ADD_FX("/mtree/flatview/readonly-alias-is-rom", test_readonly_alias_is_rom);
    ADD_FX("/mtree/flatview/empty-view", test_empty_view);
    ADD_FX("/mtree/flatview/root-without-ranges", test_root_without_ranges);
    ADD_FX("/mtree/flatview/as-root-alias", test_as_root_alias);
    ADD_FX("/mtree/tree/sort-priority-and-2-64", test_sort_priority_and_2_64);
    ADD_FX("/mtree/tree/whole-2-64-region", test_whole_2_64_region);
    ADD_FX("/mtree/tree/overflow-marked", test_overflow_marked);
    ADD_FX("/mtree/order/creation", test_creation_order);
    ADD_FX("/mtree/owner/column", test_owner_column);
    ADD_FX("/mtree/owner/isapc-qemu-7.2", test_isapc_owners);
    ADD_FX("/mtree/tree/size-zero", test_size_zero);
    ADD_FX("/mtree/type/ram-device", test_ram_device);
    g_test_add_func("/mtree/order/no-address-spaces", test_no_address_spaces);
    return g_test_run();
}
