/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the calls QEMU device and board code makes beyond the core
 * access path: address_space_write_rom(), address_space_set(), the
 * ld*_phys / st*_phys shorthands, the DMA helpers of dma.h, RAM devices,
 * MemTxAttrs' carried bits, and the region queries and flags ported code
 * relies on (is_ram, get_ram_ptr, set_log's VGA count, set_nonvolatile,
 * is_mapped). Each expectation is QEMU 7.2's code (softmmu/physmem.c,
 * softmmu/memory.c, softmmu/dma-helpers.c).
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "testdev.h"
#include "tree-helpers.h"

#define OK     MEMTX_OK
#define DECODE MEMTX_DECODE_ERROR

#define unspec MEMTXATTRS_UNSPECIFIED

/* A testdev of @size bytes (valid max 4 unless @cfg says otherwise). */
static TestDev *dev_new(TestDevConfig cfg)
{
    GError *err = NULL;
    TestDev *dev = testdev_new("dev", &cfg, &err);

    g_assert_no_error(err);
    g_assert_nonnull(dev);
    return dev;
}

/* Unmap @dev from @parent and drop the caller's reference. */
static void dev_done(MemoryRegion *parent, TestDev *dev)
{
    tree_del(parent, testdev_region(dev));
    testdev_unref(dev);
    drain_call_rcu();
}

static uint8_t *ram_ptr(MemoryRegion *mr)
{
    uint8_t *p = memory_region_get_ram_ptr(mr);

    g_assert_nonnull(p);
    return p;
}

/* The `info mtree` dump (`-f`: the flat views) as a string (g_free it). */
static char *mtree_dump(bool flatview)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    g_assert_nonnull(f);
    mtree_info(f, flatview, false);
    g_assert_cmpint(fclose(f), ==, 0);
    return buf;
}

/* ---- MemTxAttrs ---------------------------------------------------------- */

static void test_attrs_layout(void)
{
    MemTxAttrs a = MEMTXATTRS_UNSPECIFIED;

    /* QEMU keeps MemTxAttrs in 32 bits; it is passed by value */
    g_assert_cmpuint(sizeof(MemTxAttrs), ==, 4);
    g_assert_true(a.unspecified);
    g_assert_false(a.secure || a.user || a.memory || a.requester_id ||
                   a.byte_swap || a.target_tlb_bit0 || a.target_tlb_bit1 ||
                   a.target_tlb_bit2);
}

static void assert_attrs_carried(TestDev *dev, MemTxAttrs want)
{
    g_assert_cmpuint(testdev_log_len(dev), >, 0);
    for (guint i = 0; i < testdev_log_len(dev); i++) {
        MemTxAttrs a = testdev_log_get(dev, i).attrs;

        g_assert_true(a.byte_swap == want.byte_swap &&
                      a.target_tlb_bit0 == want.target_tlb_bit0 &&
                      a.target_tlb_bit1 == want.target_tlb_bit1 &&
                      a.target_tlb_bit2 == want.target_tlb_bit2 &&
                      a.requester_id == want.requester_id &&
                      a.secure == want.secure);
    }
    testdev_log_clear(dev);
}

/* The TLB bits reach the callbacks untouched on every path, and byte_swap
 * changes nothing about the value (QEMU 7.2's memory API ignores it). */
static void test_attrs_carried(Tree *t, gconstpointer data)
{
    TestDev *dev = dev_new(
        (TestDevConfig){.size = 16, .impl_max = 2, .valid_unaligned = true});
    MemoryRegion *mr = testdev_region(dev);
    MemTxAttrs attrs = {.byte_swap = 1,
                        .target_tlb_bit0 = 1,
                        .target_tlb_bit2 = 1,
                        .requester_id = 0x1234};
    MemTxAttrs plain = attrs;
    MemTxResult r;
    uint8_t buf[6];

    (void)data;
    plain.byte_swap = 0;
    tree_add(t->root, 0x1000, mr);
    /* a typed store and load (inline or fast path: two 2-byte pieces) */
    address_space_stl_le(t->as, 0x1000, 0x11223344, attrs, &r);
    g_assert_cmphex(r, ==, OK);
    assert_attrs_carried(dev, attrs);
    g_assert_cmphex(address_space_ldl_le(t->as, 0x1000, attrs, &r), ==,
                    0x11223344);
    assert_attrs_carried(dev, attrs);
    g_assert_cmphex(address_space_ldl_le(t->as, 0x1000, plain, &r), ==,
                    0x11223344);
    assert_attrs_carried(dev, plain);
    /* an unaligned typed access (planned: the general dispatch path) */
    address_space_ldl_le(t->as, 0x1001, attrs, &r);
    g_assert_cmphex(r, ==, OK);
    assert_attrs_carried(dev, attrs);
    /* a buffer access, in chunks */
    g_assert_cmphex(address_space_read(t->as, 0x1001, attrs, buf, sizeof(buf)),
                    ==, OK);
    assert_attrs_carried(dev, attrs);
    dev_done(t->root, dev);
}

/* ---- region queries and flags -------------------------------------------- */

static void test_region_is_ram(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *rom = tree_rom(t, "rom", 0x1000);
    MemoryRegion *flash = tree_rom_device(t, "flash", 0x1000);
    MemoryRegion *io = tree_io(t, "io", 0x1000);
    MemoryRegion *box = tree_container(t, "box", 0x1000);

    (void)data;
    g_assert_true(memory_region_is_ram(ram));
    g_assert_true(memory_region_is_ram(rom));
    /* QEMU: a ROM device is not RAM, romd or not */
    g_assert_false(memory_region_is_ram(flash));
    g_assert_true(memory_region_is_romd(flash));
    memory_region_rom_device_set_romd(flash, false);
    g_assert_false(memory_region_is_ram(flash));
    g_assert_false(memory_region_is_romd(flash));
    g_assert_false(memory_region_is_ram(io));
    g_assert_false(memory_region_is_ram(box));
    g_assert_true(memory_region_is_rom(rom));
    g_assert_false(memory_region_is_rom(ram));
    g_assert_false(memory_region_is_rom(flash));
}

/* QEMU 7.2's memory_region_get_ram_ptr(): the alias chain's offsets add up. */
static void test_region_get_ram_ptr(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x4000);
    MemoryRegion *a1 = tree_alias(t, "a1", ram, 0x1000, 0x3000);
    MemoryRegion *a2 = tree_alias(t, "a2", a1, 0x800, 0x800);
    MemoryRegion *flash = tree_rom_device(t, "flash", 0x1000);
    MemoryRegion *io = tree_io(t, "io", 0x1000);
    MemoryRegion *ptr_ram = tree_storage(t);
    static uint8_t backing[64];
    GError *err = NULL;

    (void)data;
    tree_check(
        memory_region_init_ram_ptr(ptr_ram, NULL, "ptr", 64, backing, &err),
        err);
    g_assert_true((uint8_t *)memory_region_get_ram_ptr(a1) ==
                  ram_ptr(ram) + 0x1000);
    g_assert_true((uint8_t *)memory_region_get_ram_ptr(a2) ==
                  ram_ptr(ram) + 0x1800);
    g_assert_true(memory_region_get_ram_ptr(ptr_ram) == (void *)backing);
    g_assert_nonnull(memory_region_get_ram_ptr(flash));
    /* QEMU asserts; we answer NULL */
    g_assert_null(memory_region_get_ram_ptr(io));
}

typedef struct Counter {
    MemoryListener ml;
    int begins;
} Counter;

static void count_begin(MemoryListener *ml)
{
    ((Counter *)(void *)ml)->begins++;
}

/* The flag reaches the sections ("nv-" in the dump); on a disabled region
 * it changes no view, so listeners hear nothing (QEMU: update_pending is
 * set only for enabled regions). */
static void test_region_nonvolatile(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "nvram", 0x1000);
    MemoryRegion *off = tree_ram(t, "off", 0x1000);
    Counter c = {.ml = {.begin = count_begin, .name = "counter"}};
    g_autofree char *flat = NULL;
    const MemoryRegionSection *s;
    FlatView *fv;

    (void)data;
    tree_add(t->root, 0x0, ram);
    tree_add(t->root, 0x1000, off);
    memory_region_set_enabled(off, false);
    memory_listener_register(&c.ml, t->as);
    c.begins = 0;
    g_assert_false(memory_region_is_nonvolatile(ram));
    memory_region_set_nonvolatile(ram, true);
    g_assert_true(memory_region_is_nonvolatile(ram));
    g_assert_cmpint(c.begins, ==, 1);
    fv = tree_view(t->as);
    s = flatview_lookup(fv, 0x10);
    g_assert_true(s && s->nonvolatile);
    flatview_unref(fv);
    flat = mtree_dump(true);
    g_assert_nonnull(strstr(flat, "(prio 0, nv-ram): nvram\n"));
    /* unchanged: no commit round */
    memory_region_set_nonvolatile(ram, true);
    g_assert_cmpint(c.begins, ==, 1);
    /* a disabled region: the flag is kept, no commit round */
    memory_region_set_nonvolatile(off, true);
    memory_region_set_readonly(off, true);
    g_assert_cmpint(c.begins, ==, 1);
    g_assert_true(memory_region_is_nonvolatile(off));
    memory_region_set_enabled(off, true);
    g_assert_cmpint(c.begins, ==, 2);
    fv = tree_view(t->as);
    s = flatview_lookup(fv, 0x1000);
    g_assert_true(s && s->nonvolatile && s->readonly);
    flatview_unref(fv);
    memory_listener_unregister(&c.ml);
}

static void test_region_is_mapped(Tree *t, gconstpointer data)
{
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);
    MemoryRegion *a1 = tree_alias(t, "a1", ram, 0, 0x1000);
    MemoryRegion *a2 = tree_alias(t, "a2", a1, 0, 0x1000);
    MemoryRegion *box = tree_container(t, "box", 0x10000);

    (void)data;
    g_assert_false(memory_region_is_mapped(ram));
    /* mapped through an alias chain (QEMU's mapped_via_alias) */
    tree_add(t->root, 0x0, a2);
    g_assert_true(memory_region_is_mapped(a2));
    g_assert_true(memory_region_is_mapped(a1));
    g_assert_true(memory_region_is_mapped(ram));
    tree_del(t->root, a2);
    g_assert_false(memory_region_is_mapped(ram));
    /* mapped into a container no AddressSpace reaches, disabled: mapped */
    tree_add(box, 0x100, ram);
    memory_region_set_enabled(ram, false);
    g_assert_true(memory_region_is_mapped(ram));
    g_assert_false(memory_region_is_mapped(box));
    tree_del(box, ram);
    g_assert_false(memory_region_is_mapped(ram));
}

/* QEMU 7.2 counts DIRTY_MEMORY_VGA enables in 8 bits. */
static void test_dirty_vga_count(Tree *t, gconstpointer data)
{
    MemoryRegion *vram = tree_ram(t, "vram", 0x1000);
    const uint8_t vga = DIRTY_MEMORY_VGA;

    (void)data;
    tree_add(t->root, 0x0, vram);
    memory_region_set_log(vram, true, vga);
    memory_region_set_log(vram, true, vga);
    g_assert_true(memory_region_is_logging(vram, vga));
    memory_region_set_log(vram, false, vga);
    g_assert_true(memory_region_is_logging(vram, vga));
    memory_region_set_log(vram, false, vga);
    g_assert_false(memory_region_is_logging(vram, vga));
    /*
     * Unbalanced: a disable at zero wraps the count to 255 and leaves
     * logging off; the next enable wraps it back to 0 and, being a change
     * between zero and non-zero, turns logging on (QEMU's behaviour).
     */
    memory_region_set_log(vram, false, vga);
    g_assert_false(memory_region_is_logging(vram, vga));
    memory_region_set_log(vram, true, vga);
    g_assert_true(memory_region_is_logging(vram, vga));
    memory_region_set_log(vram, true, vga);
    memory_region_set_log(vram, false, vga);
    g_assert_false(memory_region_is_logging(vram, vga));
    /* the other clients are on/off switches (QEMU asserts on them) */
    memory_region_set_log(vram, true, DIRTY_MEMORY_MIGRATION);
    memory_region_set_log(vram, true, DIRTY_MEMORY_MIGRATION);
    memory_region_set_log(vram, false, DIRTY_MEMORY_MIGRATION);
    g_assert_false(memory_region_is_logging(vram, DIRTY_MEMORY_MIGRATION));
    g_assert_false(memory_region_is_logging(vram, DIRTY_MEMORY_NUM));
}

static void test_dirty_flush_rom_device(Tree *t, gconstpointer data)
{
    MemoryRegion *flash = tree_rom_device(t, "flash", 0x4000);
    MemoryRegion *ram = tree_ram(t, "ram", 0x1000);

    (void)data;
    tree_add(t->root, 0x0, flash);
    tree_add(t->root, 0x10000, ram);
    memory_region_set_log(flash, true, DIRTY_MEMORY_VGA);
    memory_region_set_log(ram, true, DIRTY_MEMORY_VGA);
    ram_ptr(flash)[0x2000] = 0x12; /* the model programs a byte */
    memory_region_flush_rom_device(flash, 0x2000, 1);
    g_assert_true(memory_region_get_dirty(flash, 0x2000, 1, DIRTY_MEMORY_VGA));
    g_assert_false(
        memory_region_get_dirty(flash, 0x0, 0x2000, DIRTY_MEMORY_VGA));
    /* not a romd ROM device: nothing (QEMU asserts) */
    memory_region_flush_rom_device(ram, 0, 1);
    g_assert_false(memory_region_get_dirty(ram, 0, 0x1000, DIRTY_MEMORY_VGA));
    memory_region_set_log(flash, false, DIRTY_MEMORY_VGA);
    memory_region_set_log(ram, false, DIRTY_MEMORY_VGA);
}

#define ADD(path, fn) \
    g_test_add(path, Tree, NULL, tree_setup, fn, tree_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qemu-api/attrs/layout", test_attrs_layout);
    ADD("/qemu-api/attrs/carried", test_attrs_carried);
    ADD("/qemu-api/region/is-ram", test_region_is_ram);
    ADD("/qemu-api/region/get-ram-ptr", test_region_get_ram_ptr);
    ADD("/qemu-api/region/nonvolatile", test_region_nonvolatile);
    ADD("/qemu-api/region/is-mapped", test_region_is_mapped);
    ADD("/qemu-api/dirty/vga-count", test_dirty_vga_count);
    ADD("/qemu-api/dirty/flush-rom-device", test_dirty_flush_rom_device);
    return g_test_run();
}
