/* SPDX-License-Identifier: MIT */
/*
 * Memory access hooks and watchpoints (hooks.h): what is reported for
 * typed and buffer accesses on RAM, ROM, MMIO and holes, maps and caches;
 * the fast-path flags of hooked sections; removal (from a callback too)
 * and the destroy notifier; concurrent registration while other threads
 * access (run under TSan in the tsan build).
 */
#include <pthread.h>
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#define ATTRS MEMTXATTRS_UNSPECIFIED

/*
 * 0x0000-0x0fff ram, 0x1000-0x10ff mmio "dev" (reads give the offset
 * plus 0x100, valid 1-4 bytes), 0x2000-0x20ff rom, the rest holes.
 */
typedef struct Machine {
    MemoryRegion sys, ram, dev, rom;
    AddressSpace as;
    unsigned dev_writes;
} Machine;

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    (void)opaque;
    (void)size;
    return addr + 0x100;
}

static void dev_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    Machine *m = opaque;

    (void)addr;
    (void)v;
    (void)size;
    __atomic_fetch_add(&m->dev_writes, 1, __ATOMIC_RELAXED);
}

static const MemoryRegionOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 4},
};

static Machine *machine_new(void)
{
    Machine *m = g_new0(Machine, 1);

    g_assert_true(
        memory_region_init(&m->sys, NULL, "system", UINT64_MAX, NULL));
    g_assert_true(memory_region_init_ram(&m->ram, NULL, "ram", 0x1000, NULL));
    g_assert_true(
        memory_region_init_io(&m->dev, NULL, &dev_ops, m, "dev", 0x100, NULL));
    g_assert_true(memory_region_init_rom(&m->rom, NULL, "rom", 0x100, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0, &m->ram, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x1000, &m->dev, NULL));
    g_assert_true(memory_region_add_subregion(&m->sys, 0x2000, &m->rom, NULL));
    g_assert_true(address_space_init(&m->as, &m->sys, "memory", NULL));
    return m;
}

static void machine_free(Machine *m)
{
    address_space_destroy(&m->as);
    memory_region_finalize(&m->sys);
    memory_region_finalize(&m->ram);
    memory_region_finalize(&m->dev);
    memory_region_finalize(&m->rom);
    drain_call_rcu();
    g_free(m);
}

/* A recording hook: one line per report. */
typedef struct Log {
    GString *s;
    unsigned n;
} Log;

static void log_hook(AddressSpace *as, const AddressSpaceAccess *a,
                     void *opaque)
{
    Log *log = opaque;

    (void)as;
    g_string_append_printf(
        log->s, "%s%s@%" PRIx64 "/%" PRIu64 "=%" PRIx64 " r%d %s+%" PRIx64 ";",
        a->is_write ? "w" : "r", a->typed ? "t" : "b", a->addr, a->size,
        a->value, (int)a->result, memory_region_name(a->mr), a->offset);
    log->n++;
}

static Log *log_new(void)
{
    Log *log = g_new0(Log, 1);

    log->s = g_string_new("");
    return log;
}

static void log_free(void *opaque)
{
    Log *log = opaque;

    g_string_free(log->s, true);
    g_free(log);
}

static AddressSpaceHook *hook(Machine *m, hwaddr first, hwaddr last,
                              unsigned flags, Log *log)
{
    GError *err = NULL;
    AddressSpaceHook *h = address_space_hook_add(&m->as, first, last, flags,
                                                 log_hook, log, NULL, &err);

    g_assert_no_error(err);
    g_assert_nonnull(h);
    return h;
}

static void unhook(Machine *m, AddressSpaceHook *h)
{
    GError *err = NULL;

    g_assert_true(address_space_hook_remove(&m->as, h, &err));
    g_assert_no_error(err);
}

/* The FLAT_SECTION_* flags of the section at @addr of the view of @ix. */
static uint32_t index_flags(const FlatViewIndex *ix, hwaddr addr)
{
    const FlatSection *s = flatview_index_find(ix, addr);

    g_assert_nonnull(s);
    return s->region.impl_flags;
}

/* The FLAT_SECTION_* flags of the section at @addr (the private index). */
static uint32_t entry_flags(Machine *m, hwaddr addr)
{
    uint32_t f;

    rcu_read_lock();
    f = index_flags(address_space_index_rcu(&m->as), addr);
    rcu_read_unlock();
    return f;
}

static void test_ram_typed(void)
{
    Machine *m = machine_new();
    Log *log = log_new();
    AddressSpaceHook *h = hook(m, 0x100, 0x103, ADDRSPACE_HOOK_ACCESS, log);
    MemTxResult r;

    address_space_stl_le(&m->as, 0x100, 0x11223344, ATTRS, &r);
    g_assert_cmpuint(address_space_ldl_le(&m->as, 0x100, ATTRS, &r), ==,
                     0x11223344);
    g_assert_cmpuint(address_space_lduw_be(&m->as, 0x102, ATTRS, &r), ==,
                     0x2211);
    /* outside the range: not reported */
    address_space_stl_le(&m->as, 0x104, 1, ATTRS, &r);
    (void)address_space_ldl_le(&m->as, 0x200, ATTRS, &r);
    g_assert_cmpstr(log->s->str, ==,
                    "wt@100/4=11223344 r0 ram+100;"
                    "rt@100/4=11223344 r0 ram+100;"
                    "rt@102/2=2211 r0 ram+102;");
    unhook(m, h);
    log_free(log);
    machine_free(m);
}

static void test_fast_flags(void)
{
    Machine *m = machine_new();
    Log *log = log_new();
    uint32_t ram = entry_flags(m, 0), dev = entry_flags(m, 0x1000);
    FlatView *before = address_space_get_flatview(&m->as);
    const FlatViewIndex *ix;
    AddressSpaceHook *h;

    /* the index of @before: valid while it is referenced */
    rcu_read_lock();
    ix = address_space_index_rcu(&m->as);
    rcu_read_unlock();

    g_assert_cmpuint(ram & FLAT_SECTION_HOST, !=, 0);
    g_assert_cmpuint(ram & FLAT_SECTION_HOOK_MASK, ==, 0);
    g_assert_cmpuint(dev & (0xfu << FLAT_SECTION_FAST_SHIFT), !=, 0);
    g_assert_cmpuint(dev & FLAT_SECTION_HOOK_MASK, ==, 0);
    /* a write hook on RAM: reads stay inline, writes go out of line */
    h = hook(m, 0x10, 0x10, ADDRSPACE_HOOK_WRITE, log);
    g_assert_cmpuint(entry_flags(m, 0), ==, ram | FLAT_SECTION_HOOK_WRITE);
    g_assert_cmpuint(entry_flags(m, 0x1000), ==, dev);
    unhook(m, h);
    /* any hook on MMIO stops its inline path */
    h = hook(m, 0x10ff, 0x10ff, ADDRSPACE_HOOK_READ, log);
    g_assert_cmpuint(entry_flags(m, 0x1000), ==, dev | FLAT_SECTION_HOOK_READ);
    g_assert_cmpuint(entry_flags(m, 0), ==, ram);
    unhook(m, h);
    /* removed: the view is as before */
    g_assert_cmpuint(entry_flags(m, 0), ==, ram);
    g_assert_cmpuint(entry_flags(m, 0x1000), ==, dev);
    /* the chunks of the view before the hooks were never written */
    g_assert_cmpuint(index_flags(ix, 0), ==, ram);
    g_assert_cmpuint(index_flags(ix, 0x1000), ==, dev);
    flatview_unref(before);
    g_assert_cmpuint(log->n, ==, 0);
    log_free(log);
    machine_free(m);
}

static void test_mmio_rom_hole(void)
{
    Machine *m = machine_new();
    Log *log = log_new();
    AddressSpaceHook *h = hook(m, 0, UINT64_MAX, ADDRSPACE_HOOK_ACCESS, log);
    MemTxResult r;

    g_assert_cmpuint(address_space_ldl_le(&m->as, 0x1004, ATTRS, &r), ==,
                     0x104);
    address_space_stw_le(&m->as, 0x1008, 0xbeef, ATTRS, &r);
    address_space_stb(&m->as, 0x2000, 0x55, ATTRS, &r);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    (void)address_space_ldl_le(&m->as, 0x5000, ATTRS, &r);
    g_assert_cmpstr(log->s->str, ==,
                    "rt@1004/4=104 r0 dev+4;"
                    "wt@1008/2=beef r0 dev+8;"
                    "wt@2000/1=55 r2 rom+0;"
                    "rt@5000/4=0 r2 unassigned+5000;");
    g_assert_cmpuint(m->dev_writes, ==, 1);
    unhook(m, h);
    log_free(log);
    machine_free(m);
}

static void test_buffer_pieces(void)
{
    Machine *m = machine_new();
    Log *log = log_new();
    AddressSpaceHook *h = hook(m, 0xffe, 0x1005, ADDRSPACE_HOOK_READ, log);
    uint8_t buf[16];

    /* RAM to its section's end, then MMIO in chunks of the valid max (4) */
    ((uint8_t *)memory_region_get_ram_ptr(&m->ram))[0xffc] = 0xaa;
    ((uint8_t *)memory_region_get_ram_ptr(&m->ram))[0xfff] = 0xbb;
    g_assert_cmpint(address_space_read(&m->as, 0xffc, ATTRS, buf, 12), ==,
                    MEMTX_OK);
    g_assert_cmpstr(log->s->str, ==,
                    "rb@ffc/4=bb0000aa r0 ram+ffc;"
                    "rb@1000/4=100 r0 dev+0;"
                    "rb@1004/4=104 r0 dev+4;");
    /* a write is not observed by a read hook, nor a read past the range */
    g_string_truncate(log->s, 0);
    g_assert_cmpint(address_space_write(&m->as, 0x1000, ATTRS, buf, 4), ==,
                    MEMTX_OK);
    g_assert_cmpint(address_space_read(&m->as, 0x1008, ATTRS, buf, 4), ==,
                    MEMTX_OK);
    g_assert_cmpstr(log->s->str, ==, "");
    unhook(m, h);
    /* a hole, by a write hook */
    h = hook(m, 0x3000, 0x3fff, ADDRSPACE_HOOK_WRITE, log);
    g_assert_cmpint(address_space_write(&m->as, 0x3000, ATTRS, buf, 6), ==,
                    MEMTX_DECODE_ERROR);
    g_assert_cmpuint(log->n, ==, 5);
    g_assert_true(g_str_has_suffix(log->s->str, " r2 unassigned+3004;"));
    unhook(m, h);
    log_free(log);
    machine_free(m);
}

static void test_map_bounces(void)
{
    Machine *m = machine_new();
    Log *log = log_new();
    AddressSpaceHook *h = hook(m, 0x800, 0x803, ADDRSPACE_HOOK_ACCESS, log);
    uint8_t *ram = memory_region_get_ram_ptr(&m->ram);
    hwaddr len = 0x1000;
    uint8_t *p;

    /* the direct part stops before the hook */
    p = address_space_map(&m->as, 0, &len, false, ATTRS);
    g_assert_true(p == ram);
    g_assert_cmpuint(len, ==, 0x800);
    address_space_unmap(&m->as, p, len, false, 0);
    g_assert_cmpuint(log->n, ==, 0);
    /* from the hook on: a bounce buffer, read through the hooks */
    ram[0x800] = 0x42;
    len = 0x10;
    p = address_space_map(&m->as, 0x800, &len, true, ATTRS);
    g_assert_nonnull(p);
    g_assert_true(p != ram + 0x800);
    g_assert_cmpuint(log->n, ==, 0); /* a write mapping reads nothing */
    p[0] = 0x99;
    address_space_unmap(&m->as, p, len, true, 1);
    g_assert_cmpuint(ram[0x800], ==, 0x99);
    g_assert_cmpstr(log->s->str, ==, "wb@800/1=99 r0 ram+800;");
    len = 0x10;
    p = address_space_map(&m->as, 0x800, &len, false, ATTRS);
    g_assert_cmpuint(p[0], ==, 0x99);
    address_space_unmap(&m->as, p, len, false, len);
    g_assert_cmpuint(log->n, ==, 2);
    unhook(m, h);
    log_free(log);
    machine_free(m);
}

static void test_cache_slow(void)
{
    Machine *m = machine_new();
    Log *log = log_new();
    AddressSpaceHook *h = hook(m, 0x10, 0x13, ADDRSPACE_HOOK_READ, log);
    MemoryRegionCache cache;

    g_assert_cmpint(address_space_cache_init(&cache, &m->as, 0, 0x100, false),
                    ==, 0x100);
    (void)address_space_ldl_le_cached(&cache, 0x10, ATTRS, NULL);
    address_space_cache_destroy(&cache);
    g_assert_cmpuint(log->n, ==, 1);
    unhook(m, h);
    log_free(log);
    machine_free(m);
}

static void recurse_hook(AddressSpace *as, const AddressSpaceAccess *a,
                         void *opaque)
{
    Log *log = opaque;

    log_hook(as, a, log);
    /* an access of the callback: not reported (no recursion) */
    (void)address_space_ldl_le(as, a->addr, ATTRS, NULL);
}

static void test_no_recursion(void)
{
    Machine *m = machine_new();
    Log *log = log_new();
    AddressSpaceHook *h = address_space_hook_add(
        &m->as, 0, 0xfff, ADDRSPACE_HOOK_READ, recurse_hook, log, NULL, NULL);

    (void)address_space_ldl_le(&m->as, 0x20, ATTRS, NULL);
    g_assert_cmpuint(log->n, ==, 1);
    unhook(m, h);
    log_free(log);
    machine_free(m);
}

typedef struct SelfRemove {
    AddressSpaceHook *h;
    unsigned calls;
} SelfRemove;

static void self_remove_hook(AddressSpace *as, const AddressSpaceAccess *a,
                             void *opaque)
{
    SelfRemove *s = opaque;

    (void)a;
    s->calls++;
    g_assert_true(address_space_hook_remove(as, s->h, NULL));
}

static void test_self_remove(void)
{
    Machine *m = machine_new();
    SelfRemove s = {0};
    uint8_t buf[0x20];
    GError *err = NULL;

    s.h = address_space_hook_add(&m->as, 0x1000, 0x10ff, ADDRSPACE_HOOK_READ,
                                 self_remove_hook, &s, NULL, NULL);
    /* eight MMIO chunks: the hook is gone after the first */
    g_assert_cmpint(address_space_read(&m->as, 0x1000, ATTRS, buf, 0x20), ==,
                    MEMTX_OK);
    g_assert_cmpuint(s.calls, ==, 1);
    (void)address_space_ldl_le(&m->as, 0x1000, ATTRS, NULL);
    g_assert_cmpuint(s.calls, ==, 1);
    g_assert_false(address_space_hook_remove(&m->as, s.h, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_NOT_FOUND);
    g_error_free(err);
    g_assert_cmpuint(entry_flags(m, 0x1000) & FLAT_SECTION_HOOK_MASK, ==, 0);
    machine_free(m);
}

static void count_destroy(void *opaque)
{
    __atomic_fetch_add((unsigned *)opaque, 1, __ATOMIC_RELAXED);
}

static void nop_hook(AddressSpace *as, const AddressSpaceAccess *a,
                     void *opaque)
{
    (void)as;
    (void)a;
    (void)opaque;
}

static void test_destroy_notify(void)
{
    Machine *m = machine_new();
    unsigned destroyed = 0;
    AddressSpaceHook *h =
        address_space_hook_add(&m->as, 0, 1, ADDRSPACE_HOOK_READ, nop_hook,
                               &destroyed, count_destroy, NULL);

    g_assert_true(address_space_hook_remove(&m->as, h, NULL));
    drain_call_rcu();
    g_assert_cmpuint(destroyed, ==, 1);
    /* address_space_destroy() drops the hooks left */
    (void)address_space_hook_add(&m->as, 0, 1, ADDRSPACE_HOOK_READ, nop_hook,
                                 &destroyed, count_destroy, NULL);
    machine_free(m);
    g_assert_cmpuint(destroyed, ==, 2);
}

static void test_invalid(void)
{
    Machine *m = machine_new();
    AddressSpace zero = {0};
    GError *err = NULL;

    g_assert_null(address_space_hook_add(&m->as, 2, 1, ADDRSPACE_HOOK_READ,
                                         nop_hook, NULL, NULL, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(
        address_space_hook_add(&m->as, 0, 1, 4, nop_hook, NULL, NULL, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(address_space_hook_add(&m->as, 0, 1, ADDRSPACE_HOOK_READ,
                                         NULL, NULL, NULL, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(address_space_hook_add(&zero, 0, 1, ADDRSPACE_HOOK_READ,
                                         nop_hook, NULL, NULL, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    machine_free(m);
}

/* Another AddressSpace over the same root shares the view, not the hooks;
 * a hooked AddressSpace whose effective root changes keeps its hooks. */
static void test_shared_and_moved(void)
{
    Machine *m = machine_new();
    AddressSpace other, wrapped;
    MemoryRegion outer, extra;
    Log *log = log_new();
    AddressSpaceHook *h = hook(m, 0, 0xfff, ADDRSPACE_HOOK_READ, log);

    g_assert_true(address_space_init(&other, &m->sys, "other", NULL));
    (void)address_space_ldl_le(&other, 0x10, ATTRS, NULL);
    g_assert_cmpuint(log->n, ==, 0);
    unhook(m, h);
    /* "wrapped" maps only m->sys: its effective root is m->sys, whose view
     * (no hooks) it shares; once "extra" is added its root is "outer" */
    g_assert_true(memory_region_init(&outer, NULL, "outer", UINT64_MAX, NULL));
    g_assert_true(memory_region_init_ram(&extra, NULL, "extra", 0x1000, NULL));
    g_assert_true(memory_region_add_subregion(&outer, 0, &m->sys, NULL));
    g_assert_true(address_space_init(&wrapped, &outer, "wrapped", NULL));
    g_assert_nonnull(address_space_hook_add(
        &wrapped, 0, 0xfff, ADDRSPACE_HOOK_READ, log_hook, log, NULL, NULL));
    (void)address_space_ldl_le(&wrapped, 0x10, ATTRS, NULL);
    g_assert_cmpuint(log->n, ==, 1);
    g_assert_true(memory_region_add_subregion_overlap(&outer, 0x100000000,
                                                      &extra, 1, NULL));
    (void)address_space_ldl_le(&wrapped, 0x10, ATTRS, NULL);
    g_assert_cmpuint(log->n, ==, 2);
    /* meanwhile m->sys's view is re-rendered without wrapped's hooks... */
    memory_region_set_enabled(&m->rom, false);
    memory_region_set_enabled(&m->rom, true);
    /* ...so when "extra" goes and the root is m->sys again, wrapped must
     * not take that view over as it is */
    g_assert_true(memory_region_del_subregion(&outer, &extra, NULL));
    (void)address_space_ldl_le(&wrapped, 0x10, ATTRS, NULL);
    g_assert_cmpuint(log->n, ==, 3);
    (void)address_space_ldl_le(&other, 0x10, ATTRS, NULL);
    g_assert_cmpuint(log->n, ==, 3);
    address_space_destroy(&wrapped);
    address_space_destroy(&other);
    memory_region_finalize(&outer);
    memory_region_finalize(&extra);
    log_free(log);
    machine_free(m);
}

/*
 * Destroying a hooked AddressSpace re-renders the view it shared: the
 * sections of its hooks lose their hook bits, as after a removal.
 */
static void test_destroy_unhooks_view(void)
{
    Machine *m = machine_new();
    uint32_t ram = entry_flags(m, 0), dev = entry_flags(m, 0x1000);
    AddressSpace other;
    Log *log = log_new();

    g_assert_true(address_space_init(&other, &m->sys, "other", NULL));
    g_assert_nonnull(address_space_hook_add(&other, 0x10, 0x10ff,
                                            ADDRSPACE_HOOK_ACCESS, log_hook,
                                            log, NULL, NULL));
    /* one view for both: m->as sees the hook bits of other's hook */
    g_assert_cmpuint(entry_flags(m, 0), ==, ram | FLAT_SECTION_HOOK_MASK);
    g_assert_cmpuint(entry_flags(m, 0x1000), ==, dev | FLAT_SECTION_HOOK_MASK);
    address_space_destroy(&other);
    g_assert_cmpuint(entry_flags(m, 0), ==, ram);
    g_assert_cmpuint(entry_flags(m, 0x1000), ==, dev);
    (void)address_space_ldl_le(&m->as, 0x10, ATTRS, NULL);
    g_assert_cmpuint(log->n, ==, 0);
    log_free(log);
    machine_free(m);
}

/* Watchpoints. */

static void wp_cb(AddressSpace *as, AddressSpaceWatchpoint *wp,
                  const AddressSpaceWatchpointHit *hit, void *opaque)
{
    (void)as;
    (void)wp;
    *(hwaddr *)opaque = hit->hitaddr;
}

static void test_watchpoint_hits(void)
{
    Machine *m = machine_new();
    AddressSpaceWatchpoint *wp;
    AddressSpaceWatchpointHit hit;
    hwaddr last = 0;

    g_assert_true(address_space_watchpoint_insert(
        &m->as, 0x104, 4, BP_MEM_WRITE | BP_GDB, wp_cb, &last, &wp, NULL));
    (void)address_space_ldl_le(&m->as, 0x104, ATTRS, NULL);
    g_assert_cmpuint(address_space_watchpoint_get_hit(wp, &hit), ==, 0);
    g_assert_cmpint(hit.flags, ==, BP_MEM_WRITE | BP_GDB);
    /* QEMU: hitaddr is MAX(access address, watchpoint address) */
    address_space_stq_le(&m->as, 0x100, 1, ATTRS, NULL);
    g_assert_cmpuint(address_space_watchpoint_get_hit(wp, &hit), ==, 1);
    g_assert_cmpuint(hit.hitaddr, ==, 0x104);
    g_assert_cmpuint(last, ==, 0x104);
    g_assert_cmpint(hit.flags, ==,
                    BP_MEM_WRITE | BP_GDB | BP_WATCHPOINT_HIT_WRITE);
    g_assert_cmpuint(hit.access.addr, ==, 0x100);
    g_assert_cmpuint(hit.access.size, ==, 8);
    address_space_stb(&m->as, 0x107, 1, ATTRS, NULL);
    g_assert_cmpuint(address_space_watchpoint_get_hit(wp, &hit), ==, 2);
    g_assert_cmpuint(hit.hitaddr, ==, 0x107);
    address_space_stb(&m->as, 0x108, 1, ATTRS, NULL);
    g_assert_cmpuint(address_space_watchpoint_get_hit(wp, &hit), ==, 2);
    address_space_watchpoint_reset_hit(wp);
    g_assert_cmpuint(address_space_watchpoint_get_hit(wp, &hit), ==, 0);
    g_assert_cmpint(hit.flags, ==, BP_MEM_WRITE | BP_GDB);
    machine_free(m);
}

static void test_watchpoint_insert_remove(void)
{
    Machine *m = machine_new();
    AddressSpaceWatchpoint *a, *b;
    AddressSpaceWatchpointHit hit;
    GError *err = NULL;

    /* QEMU's -EINVAL cases, and what hooks cannot do */
    g_assert_false(address_space_watchpoint_insert(&m->as, 0, 0, BP_MEM_READ,
                                                   NULL, NULL, NULL, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_false(address_space_watchpoint_insert(
        &m->as, UINT64_MAX, 2, BP_MEM_READ, NULL, NULL, NULL, &err));
    g_clear_error(&err);
    g_assert_false(address_space_watchpoint_insert(
        &m->as, 0, 4, BP_MEM_READ | BP_STOP_BEFORE_ACCESS, NULL, NULL, NULL,
        &err));
    g_clear_error(&err);
    g_assert_false(address_space_watchpoint_insert(&m->as, 0, 4, BP_GDB, NULL,
                                                   NULL, NULL, &err));
    g_clear_error(&err);
    g_assert_true(address_space_watchpoint_insert(
        &m->as, UINT64_MAX, 1, BP_MEM_READ, NULL, NULL, NULL, NULL));
    g_assert_true(address_space_watchpoint_insert(
        &m->as, 0x1000, 0x100, BP_MEM_ACCESS | BP_CPU, NULL, NULL, &a, NULL));
    g_assert_true(address_space_watchpoint_insert(
        &m->as, 0x1000, 0x100, BP_MEM_READ | BP_GDB, NULL, NULL, &b, NULL));
    (void)address_space_ldub(&m->as, 0x10ff, ATTRS, NULL);
    g_assert_cmpuint(address_space_watchpoint_get_hit(a, &hit), ==, 1);
    g_assert_cmpint(hit.flags & BP_WATCHPOINT_HIT, ==, BP_WATCHPOINT_HIT_READ);
    g_assert_cmpuint(hit.hitattrs.requester_id, ==, 0);
    g_assert_cmpuint(address_space_watchpoint_get_hit(b, &hit), ==, 1);
    /* exact match of address, length and flags (QEMU) */
    g_assert_false(
        address_space_watchpoint_remove(&m->as, 0x1000, 0x100, BP_MEM_READ));
    g_assert_true(address_space_watchpoint_remove(
        &m->as, 0x1000, 0x100, BP_MEM_READ | BP_GDB | BP_WATCHPOINT_HIT_READ));
    address_space_stb(&m->as, 0x1000, 1, ATTRS, NULL);
    g_assert_cmpuint(address_space_watchpoint_get_hit(a, &hit), ==, 2);
    g_assert_cmpint(hit.flags & BP_WATCHPOINT_HIT, ==, BP_WATCHPOINT_HIT);
    address_space_watchpoint_remove_all(&m->as, BP_CPU);
    g_assert_false(address_space_watchpoint_remove_by_ref(&m->as, a));
    g_assert_true(
        address_space_watchpoint_remove(&m->as, UINT64_MAX, 1, BP_MEM_READ));
    g_assert_cmpuint(entry_flags(m, 0x1000) & FLAT_SECTION_HOOK_MASK, ==, 0);
    machine_free(m);
}

/*
 * Concurrency: readers load and store RAM and MMIO while a writer adds
 * and removes hooks (one removing itself from its callback); each hook's
 * opaque is freed by its destroy notifier, so a call after the grace
 * period is a use after free (ASan) and a missing happens-before a race
 * (TSan).
 */
#define READERS 2

typedef struct Shared {
    Machine *m;
    int stop;
} Shared;

typedef struct Counted {
    unsigned calls;
    AddressSpaceHook *self; /* set for the self-removing hook */
    int removed;
} Counted;

static void counted_hook(AddressSpace *as, const AddressSpaceAccess *a,
                         void *opaque)
{
    Counted *c = opaque;
    AddressSpaceHook *self;

    (void)a;
    __atomic_fetch_add(&c->calls, 1, __ATOMIC_RELAXED);
    /* the handle is stored after the hook was published: maybe not yet */
    self = __atomic_load_n(&c->self, __ATOMIC_ACQUIRE);
    if (self && !__atomic_exchange_n(&c->removed, 1, __ATOMIC_ACQ_REL)) {
        (void)address_space_hook_remove(as, self, NULL);
    }
}

static void counted_free(void *opaque)
{
    g_free(opaque);
}

static void *reader(void *opaque)
{
    Shared *sh = opaque;
    AddressSpace *as = &sh->m->as;
    uint8_t buf[8];

    rcu_register_thread();
    for (unsigned i = 0; !__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE); i++) {
        /* the stores (atomic, aligned) stay below 0xffc, which the buffer
         * reads copy: a guest's own data race is not the library's */
        hwaddr a = (i * 4) & 0xbff;

        address_space_stl_le(as, a, i, ATTRS, NULL);
        (void)address_space_ldl_le(as, a, ATTRS, NULL);
        (void)address_space_ldl_le(as, 0x1000 + (a & 0xfc), ATTRS, NULL);
        (void)address_space_read(as, 0xffc, ATTRS, buf, 8);
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_concurrent(void)
{
    Shared sh = {machine_new(), 0};
    pthread_t t[READERS];

    for (int i = 0; i < READERS; i++) {
        g_assert_cmpint(pthread_create(&t[i], NULL, reader, &sh), ==, 0);
    }
    for (unsigned round = 0; round < 200; round++) {
        Counted *c = g_new0(Counted, 1);
        Counted *self = g_new0(Counted, 1);
        AddressSpaceHook *h, *h2;

        h = address_space_hook_add(
            &sh.m->as, (round * 64) & 0xfff, 0x1000 + (round & 0xff),
            ADDRSPACE_HOOK_ACCESS, counted_hook, c, counted_free, NULL);
        /* the self-removing hook owns itself once added */
        memory_region_transaction_begin();
        h2 = address_space_hook_add(&sh.m->as, 0, 0xfff, ADDRSPACE_HOOK_READ,
                                    counted_hook, self, counted_free, NULL);
        __atomic_store_n(&self->self, h2, __ATOMIC_RELEASE);
        memory_region_transaction_commit();
        g_usleep(50);
        g_assert_true(address_space_hook_remove(&sh.m->as, h, NULL));
        if (round % 16 == 0) {
            AddressSpaceWatchpoint *wp;

            g_assert_true(address_space_watchpoint_insert(
                &sh.m->as, 0x100, 4, BP_MEM_ACCESS, NULL, NULL, &wp, NULL));
            g_usleep(50);
            g_assert_true(
                address_space_watchpoint_remove_by_ref(&sh.m->as, wp));
        }
    }
    __atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < READERS; i++) {
        pthread_join(t[i], NULL);
    }
    /* self-removing hooks never called are dropped with the AddressSpace */
    machine_free(sh.m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hooks/ram/typed-load-store-reported", test_ram_typed);
    g_test_add_func("/hooks/view/fast-flags-off-only-while-hooked",
                    test_fast_flags);
    g_test_add_func("/hooks/kinds/mmio-rom-hole", test_mmio_rom_hole);
    g_test_add_func("/hooks/buffer/one-report-per-piece", test_buffer_pieces);
    g_test_add_func("/hooks/map/hooked-range-bounces", test_map_bounces);
    g_test_add_func("/hooks/cache/hooked-range-not-direct", test_cache_slow);
    g_test_add_func("/hooks/callback/own-accesses-not-reported",
                    test_no_recursion);
    g_test_add_func("/hooks/remove/from-own-callback", test_self_remove);
    g_test_add_func("/hooks/remove/destroy-notify-after-grace-period",
                    test_destroy_notify);
    g_test_add_func("/hooks/add/invalid-refused", test_invalid);
    g_test_add_func("/hooks/view/shared-and-moved-root", test_shared_and_moved);
    g_test_add_func("/hooks/view/destroyed-space-unhooks-view",
                    test_destroy_unhooks_view);
    g_test_add_func("/hooks/watchpoint/hit-record", test_watchpoint_hits);
    g_test_add_func("/hooks/watchpoint/insert-remove-qemu-rules",
                    test_watchpoint_insert_remove);
    g_test_add_func("/hooks/threads/add-remove-while-accessing",
                    test_concurrent);
    return g_test_run();
}
