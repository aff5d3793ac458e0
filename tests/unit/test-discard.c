/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of RAM discard (ram-discard.h): what unplugged memory reads,
 * that it goes back to the host, the granularity rules, and the
 * RamDiscardListener notifications and replays.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#define BLOCKS 16u
#define BASE   0x40000000u
#define U      MEMTXATTRS_UNSPECIFIED

typedef struct Fixture {
    MemoryRegion root, mem;
    AddressSpace as;
    RamPlugManager *pm;
    uint64_t bs; /* block size: two host pages */
    uint8_t *host;
} Fixture;

static void ok(bool ret, GError *err)
{
    g_assert_no_error(err);
    g_assert_true(ret);
}

static void setup_common(Fixture *f, bool memfd)
{
    GError *err = NULL;

    memset(f, 0, sizeof(*f));
    f->bs = 2 * (uint64_t)sysconf(_SC_PAGESIZE);
    ok(memory_region_init(&f->root, NULL, "root", UINT64_MAX, &err), err);
    if (memfd) {
        ok(memory_region_init_ram_memfd(&f->mem, NULL, "vmem", BLOCKS * f->bs,
                                        &err),
           err);
    } else {
        ok(memory_region_init_ram(&f->mem, NULL, "vmem", BLOCKS * f->bs, &err),
           err);
    }
    f->host = memory_region_get_ram_ptr(&f->mem);
    /* written before: the manager discards everything */
    memset(f->host, 0x77, BLOCKS * f->bs);
    f->pm = ram_plug_manager_new(&f->mem, f->bs, &err);
    g_assert_no_error(err);
    ok(memory_region_add_subregion(&f->root, BASE, &f->mem, &err), err);
    ok(address_space_init(&f->as, &f->root, "as", &err), err);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    setup_common(f, data != NULL);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    address_space_destroy(&f->as);
    memory_region_del_subregion(&f->root, &f->mem, NULL);
    drain_call_rcu();
    ram_plug_manager_free(f->pm);
    memory_region_finalize(&f->root);
    memory_region_finalize(&f->mem);
}

static bool resident(Fixture *f, uint64_t offset)
{
    uint64_t page = f->bs / 2;
    unsigned char vec = 0;

    g_assert_cmpint(mincore(f->host + offset / page * page, 1, &vec), ==, 0);
    return vec & 1;
}

static uint64_t ldq(Fixture *f, uint64_t offset, MemTxResult *r)
{
    return address_space_ldq(&f->as, BASE + offset, U, r);
}

static void plug(Fixture *f, unsigned block, unsigned n)
{
    GError *err = NULL;

    ok(ram_plug_manager_plug(f->pm, block * f->bs, n * f->bs, &err), err);
}

static void unplug(Fixture *f, unsigned block, unsigned n)
{
    GError *err = NULL;

    ok(ram_plug_manager_unplug(f->pm, block * f->bs, n * f->bs, &err), err);
}

/* As QEMU 7.2: unplugged memory stays mapped and reads as zeros. */
static void test_reads_zero(Fixture *f, gconstpointer data)
{
    MemTxResult r = ~0u;

    (void)data;
    g_assert_cmpuint(ram_plug_manager_plugged_size(f->pm), ==, 0);
    /* everything was discarded at creation */
    g_assert_cmpuint(ldq(f, 3 * f->bs, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    plug(f, 0, 4);
    g_assert_cmpuint(ram_plug_manager_plugged_size(f->pm), ==, 4 * f->bs);
    for (unsigned b = 0; b < 4; b++) {
        address_space_stq(&f->as, BASE + b * f->bs + 8, 0x1111111111111111 * b,
                          U, &r);
        g_assert_cmpuint(r, ==, MEMTX_OK);
    }
    unplug(f, 1, 2);
    g_assert_cmpuint(ldq(f, 1 * f->bs + 8, &r), ==, 0);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    g_assert_cmpuint(ldq(f, 2 * f->bs + 8, &r), ==, 0);
    g_assert_cmpuint(ldq(f, 3 * f->bs + 8, &r), ==, 0x3333333333333333);
    g_assert_cmpuint(ldq(f, 8, &r), ==, 0);
    g_assert_true(ram_plug_manager_is_plugged(f->pm, 0, f->bs));
    g_assert_false(ram_plug_manager_is_plugged(f->pm, 0, 2 * f->bs));
    g_assert_true(ram_plug_manager_is_plugged(f->pm, 3 * f->bs + 1, 5));
    g_assert_false(ram_plug_manager_is_plugged(f->pm, 0, 0));
    g_assert_false(ram_plug_manager_is_plugged(f->pm, 0, BLOCKS * f->bs + 1));
}

/* Unplugged memory goes back to the host (mincore() residency). */
static void test_memory_released(Fixture *f, gconstpointer data)
{
    (void)data;
    for (unsigned b = 0; b < BLOCKS; b++) {
        g_assert_false(resident(f, b * f->bs));
    }
    plug(f, 2, 1);
    /* plugging populates nothing: the first write does */
    g_assert_false(resident(f, 2 * f->bs));
    address_space_stb(&f->as, BASE + 2 * f->bs, 1, U, NULL);
    address_space_stb(&f->as, BASE + 3 * f->bs - 1, 1, U, NULL);
    g_assert_true(resident(f, 2 * f->bs));
    g_assert_true(resident(f, 3 * f->bs - 1));
    unplug(f, 2, 1);
    g_assert_false(resident(f, 2 * f->bs));
    g_assert_false(resident(f, 3 * f->bs - 1));
}

/* A memfd's pages are punched out of the file too. */
static void test_memfd_punched(Fixture *f, gconstpointer data)
{
    int fd = memory_region_get_fd(&f->mem);
    uint8_t buf[16];
    struct stat st;
    blkcnt_t before;

    (void)data;
    g_assert_cmpint(fd, >=, 0);
    plug(f, 0, 2);
    memset(f->host, 0x42, 2 * f->bs);
    g_assert_cmpint(fstat(fd, &st), ==, 0);
    before = st.st_blocks;
    g_assert_cmpint(before, >, 0);
    unplug(f, 1, 1);
    g_assert_cmpint(fstat(fd, &st), ==, 0);
    g_assert_cmpint(st.st_blocks, <, before);
    g_assert_cmpint(pread(fd, buf, sizeof(buf), (off_t)f->bs), ==, sizeof(buf));
    for (unsigned i = 0; i < sizeof(buf); i++) {
        g_assert_cmpuint(buf[i], ==, 0);
    }
    g_assert_false(resident(f, f->bs));
    g_assert_cmpuint(f->host[f->bs], ==, 0);
    g_assert_cmpuint(f->host[0], ==, 0x42);
}

static void expect_error(bool ret, GError **err, int code)
{
    g_assert_false(ret);
    g_assert_error(*err, ADDRSPACE_ERROR, code);
    g_clear_error(err);
}

static void test_granularity_errors(Fixture *f, gconstpointer data)
{
    const uint64_t bs = f->bs, page = bs / 2;
    MemoryRegion other = {0}, fw = {0};
    GError *err = NULL;

    (void)data;
    /* requests: unaligned, empty, partial blocks, outside, overflowing */
    expect_error(ram_plug_manager_plug(f->pm, page, bs, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    expect_error(ram_plug_manager_plug(f->pm, 0, 0, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    expect_error(ram_plug_manager_plug(f->pm, 0, bs + page, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    expect_error(ram_plug_manager_plug(f->pm, BLOCKS * bs, bs, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    expect_error(ram_plug_manager_plug(f->pm, bs, BLOCKS * bs, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    expect_error(ram_plug_manager_plug(f->pm, bs, UINT64_MAX - bs + 1, &err),
                 &err, ADDRSPACE_ERROR_INVALID);
    /* blocks in the wrong state: nothing changes */
    expect_error(ram_plug_manager_unplug(f->pm, 0, bs, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    plug(f, 1, 1);
    expect_error(ram_plug_manager_plug(f->pm, 0, 2 * bs, &err), &err,
                 ADDRSPACE_ERROR_INVALID);
    g_assert_cmpuint(ram_plug_manager_plugged_size(f->pm), ==, bs);
    g_assert_cmpuint(ram_plug_manager_block_size(f->pm), ==, bs);
    /* creation: block sizes, region sizes, kinds, mapped, managed */
    ok(memory_region_init_ram(&other, NULL, "other", 4 * bs, &err), err);
    g_assert_null(ram_plug_manager_new(&other, 3 * page, &err));
    expect_error(false, &err, ADDRSPACE_ERROR_INVALID);
    g_assert_null(ram_plug_manager_new(&other, page / 2, &err));
    expect_error(false, &err, ADDRSPACE_ERROR_INVALID);
    g_assert_null(ram_plug_manager_new(&other, 8 * bs, &err));
    expect_error(false, &err, ADDRSPACE_ERROR_INVALID);
    g_assert_null(ram_plug_manager_new(&f->mem, bs, &err));
    expect_error(false, &err, ADDRSPACE_ERROR_BUSY); /* mapped */
    g_assert_null(ram_plug_manager_new(&f->root, bs, &err));
    expect_error(false, &err, ADDRSPACE_ERROR_INVALID);
    ok(memory_region_init_resizeable_ram(&fw, NULL, "fw", bs, 4 * bs, NULL,
                                         &err),
       err);
    g_assert_null(ram_plug_manager_new(&fw, bs, &err));
    expect_error(false, &err, ADDRSPACE_ERROR_INVALID);
    memory_region_finalize(&fw);
    memory_region_finalize(&other);
}

/* memory_region_set/get_ram_discard_manager(): QEMU's rules. */
static void test_manager_rules(Fixture *f, gconstpointer data)
{
    RamDiscardManager *rdm = ram_plug_manager_get_rdm(f->pm);
    MemoryRegion other = {0}, alias = {0};
    GError *err = NULL;

    (void)data;
    g_assert_true(memory_region_get_ram_discard_manager(&f->mem) == rdm);
    g_assert_true(memory_region_has_ram_discard_manager(&f->mem));
    g_assert_cmpuint(ram_discard_manager_get_min_granularity(rdm, &f->mem), ==,
                     f->bs);
    /* mapped: cannot change */
    expect_error(memory_region_set_ram_discard_manager(&f->mem, NULL, &err),
                 &err, ADDRSPACE_ERROR_BUSY);
    g_assert_false(memory_region_set_ram_discard_manager(&f->root, rdm, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID);
    g_clear_error(&err);
    /* unmapped: get gives NULL (QEMU), set works once */
    ok(memory_region_init_ram(&other, NULL, "other", f->bs, &err), err);
    ok(memory_region_set_ram_discard_manager(&other, rdm, &err), err);
    g_assert_null(memory_region_get_ram_discard_manager(&other));
    expect_error(memory_region_set_ram_discard_manager(&other, rdm, &err), &err,
                 ADDRSPACE_ERROR_BUSY);
    /* mapped through an alias counts as mapped */
    ok(memory_region_init_alias(&alias, NULL, "a", &other, 0, f->bs, &err),
       err);
    ok(memory_region_add_subregion(&f->root, 0x1000000, &alias, &err), err);
    g_assert_true(memory_region_get_ram_discard_manager(&other) == rdm);
    expect_error(memory_region_set_ram_discard_manager(&other, NULL, &err),
                 &err, ADDRSPACE_ERROR_BUSY);
    memory_region_del_subregion(&f->root, &alias, NULL);
    ok(memory_region_set_ram_discard_manager(&other, NULL, &err), err);
    drain_call_rcu();
    memory_region_finalize(&alias);
    memory_region_finalize(&other);
}

/* A listener that logs its notifications, and may refuse populates. */
typedef struct Recorder {
    RamDiscardListener rdl; /* first */
    const char *name;
    GString *log;
    int refuse; /* 0, or the error to return */
} Recorder;

static int rec_populate(RamDiscardListener *rdl, MemoryRegionSection *s)
{
    Recorder *r = (Recorder *)(void *)rdl;

    g_assert_null(s->fv);
    g_string_append_printf(r->log, "%s+%" PRIx64 "/%" PRIx64 "@%" PRIx64 " ",
                           r->name, s->offset_within_region, (uint64_t)s->size,
                           s->offset_within_address_space);
    return r->refuse;
}

static void rec_discard(RamDiscardListener *rdl, MemoryRegionSection *s)
{
    Recorder *r = (Recorder *)(void *)rdl;

    g_string_append_printf(r->log, "%s-%" PRIx64 "/%" PRIx64 "@%" PRIx64 " ",
                           r->name, s->offset_within_region, (uint64_t)s->size,
                           s->offset_within_address_space);
}

static void rec_init(Recorder *r, const char *name, GString *log,
                     bool double_discard)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->log = log;
    ram_discard_listener_init(&r->rdl, rec_populate, rec_discard,
                              double_discard);
}

/* A section of the region: [@first, @first + @size) in it, mapped at BASE. */
static MemoryRegionSection section(Fixture *f, uint64_t first, uint64_t size)
{
    return (MemoryRegionSection){.mr = &f->mem,
                                 .offset_within_region = first,
                                 .offset_within_address_space = BASE + first,
                                 .size = size};
}

/* The expected strings assume 4 KiB host pages (blocks of 0x2000). */
static bool four_k_pages(Fixture *f, GString *log)
{
    if (f->bs == 0x2000) {
        return true;
    }
    g_test_skip("the expected strings assume 4 KiB host pages");
    g_string_free(log, true);
    return false;
}

static void assert_log(GString *log, const char *want)
{
    g_assert_cmpstr(log->str, ==, want);
    g_string_truncate(log, 0);
}

/* Registration replays the plugged parts of the section, even when the
 * section starts past a plugged run (QEMU 7.2's replay missed those). */
static void test_replay_on_register(Fixture *f, gconstpointer data)
{
    RamDiscardManager *rdm = ram_plug_manager_get_rdm(f->pm);
    GString *log = g_string_new(NULL);
    const uint64_t bs = f->bs;
    Recorder a, b;
    MemoryRegionSection sa = section(f, 0, BLOCKS * bs);
    MemoryRegionSection sb = section(f, 3 * bs + bs / 2, 6 * bs);

    (void)data;
    if (!four_k_pages(f, log)) {
        return;
    }
    plug(f, 0, 2); /* 0-1 */
    plug(f, 4, 2); /* 4-5 */
    plug(f, 7, 3); /* 7-9 */
    rec_init(&a, "a", log, false);
    ram_discard_manager_register_listener(rdm, &a.rdl, &sa);
    assert_log(log, "a+0/4000@40000000 a+8000/4000@40008000 "
                    "a+e000/6000@4000e000 ");
    g_assert_true(a.rdl.section != &sa);
    /* 3.5 blocks to 9.5: blocks 4-5 whole, 7-9 cut at the end */
    rec_init(&b, "b", log, false);
    ram_discard_manager_register_listener(rdm, &b.rdl, &sb);
    assert_log(log, "b+8000/4000@40008000 b+e000/5000@4000e000 ");
    /* unregister: the populated parts are discarded */
    ram_discard_manager_unregister_listener(rdm, &b.rdl);
    assert_log(log, "b-8000/4000@40008000 b-e000/5000@4000e000 ");
    g_assert_null(b.rdl.section);
    ram_discard_manager_unregister_listener(rdm, &a.rdl);
    assert_log(log, "a-0/4000@40000000 a-8000/4000@40008000 "
                    "a-e000/6000@4000e000 ");
    g_string_free(log, true);
}

static int count_cb(MemoryRegionSection *s, void *opaque)
{
    GString *log = opaque;

    g_string_append_printf(log, "%" PRIx64 "/%" PRIx64 " ",
                           s->offset_within_region, (uint64_t)s->size);
    return 0;
}

static void discarded_cb(MemoryRegionSection *s, void *opaque)
{
    count_cb(s, opaque);
}

static int stop_cb(MemoryRegionSection *s, void *opaque)
{
    (void)s;
    (*(int *)opaque)++;
    return -5;
}

static void test_replay_and_populated(Fixture *f, gconstpointer data)
{
    RamDiscardManager *rdm = ram_plug_manager_get_rdm(f->pm);
    GString *log = g_string_new(NULL);
    const uint64_t bs = f->bs;
    MemoryRegionSection whole = section(f, 0, BLOCKS * bs);
    MemoryRegionSection part = section(f, bs, 3 * bs);
    int calls = 0;

    (void)data;
    if (!four_k_pages(f, log)) {
        return;
    }
    plug(f, 1, 1);
    plug(f, 3, 1);
    g_assert_cmpint(
        ram_discard_manager_replay_populated(rdm, &whole, count_cb, log), ==,
        0);
    assert_log(log, "2000/2000 6000/2000 ");
    ram_discard_manager_replay_discarded(rdm, &whole, discarded_cb, log);
    assert_log(log, "0/2000 4000/2000 8000/18000 ");
    ram_discard_manager_replay_discarded(rdm, &part, discarded_cb, log);
    assert_log(log, "4000/2000 ");
    g_assert_cmpint(
        ram_discard_manager_replay_populated(rdm, &whole, stop_cb, &calls), ==,
        -5);
    g_assert_cmpint(calls, ==, 1);
    /* is_populated: any alignment, widened to blocks */
    part = section(f, bs + 5, 10);
    g_assert_true(ram_discard_manager_is_populated(rdm, &part));
    part = section(f, bs + 5, bs);
    g_assert_false(ram_discard_manager_is_populated(rdm, &part));
    part = section(f, BLOCKS * bs, bs);
    g_assert_false(ram_discard_manager_is_populated(rdm, &part));
    g_string_free(log, true);
}

/* Plug asks first (newest listener first), unplug tells afterwards; a
 * refusal rolls back those already told. */
static void test_notifications(Fixture *f, gconstpointer data)
{
    RamDiscardManager *rdm = ram_plug_manager_get_rdm(f->pm);
    GString *log = g_string_new(NULL);
    const uint64_t bs = f->bs;
    MemoryRegionSection sa = section(f, 0, 4 * bs);
    MemoryRegionSection sb = section(f, 2 * bs, 4 * bs);
    GError *err = NULL;
    Recorder a, b;

    (void)data;
    if (!four_k_pages(f, log)) {
        return;
    }
    rec_init(&a, "a", log, false);
    rec_init(&b, "b", log, false);
    ram_discard_manager_register_listener(rdm, &a.rdl, &sa);
    ram_discard_manager_register_listener(rdm, &b.rdl, &sb);
    assert_log(log, "");
    plug(f, 1, 2);
    /* b (newest) first, each told about its own part */
    assert_log(log, "b+4000/2000@40004000 a+2000/4000@40002000 ");
    plug(f, 8, 1); /* nobody covers block 8 */
    assert_log(log, "");
    unplug(f, 2, 1);
    assert_log(log, "b-4000/2000@40004000 a-4000/2000@40004000 ");
    /* a refuses: b, already told, gets a discard; nothing plugged */
    a.refuse = -12;
    g_assert_false(ram_plug_manager_plug(f->pm, 2 * bs, 2 * bs, &err));
    g_assert_error(err, ADDRSPACE_ERROR, ADDRSPACE_ERROR_BUSY);
    g_clear_error(&err);
    assert_log(log, "b+4000/4000@40004000 a+4000/4000@40004000 "
                    "b-4000/4000@40004000 ");
    g_assert_false(ram_plug_manager_is_plugged(f->pm, 2 * bs, bs));
    /* b refuses first: a is never asked */
    a.refuse = 0;
    b.refuse = -1;
    g_assert_false(ram_plug_manager_plug(f->pm, 2 * bs, bs, &err));
    g_clear_error(&err);
    assert_log(log, "b+4000/2000@40004000 ");
    b.refuse = 0;
    /* unplug all: one discard per plugged part of each section */
    ok(ram_plug_manager_unplug_all(f->pm, &err), err);
    assert_log(log, "a-2000/2000@40002000 ");
    g_assert_cmpuint(ram_plug_manager_plugged_size(f->pm), ==, 0);
    ram_discard_manager_unregister_listener(rdm, &b.rdl);
    ram_discard_manager_unregister_listener(rdm, &a.rdl);
    assert_log(log, "");
    g_string_free(log, true);
}

/* A listener that takes double discards gets its whole section at once. */
static void test_unplug_all_double_discard(Fixture *f, gconstpointer data)
{
    RamDiscardManager *rdm = ram_plug_manager_get_rdm(f->pm);
    GString *log = g_string_new(NULL);
    const uint64_t bs = f->bs;
    MemoryRegionSection sa = section(f, 0, 4 * bs);
    GError *err = NULL;
    Recorder a, b;

    (void)data;
    if (!four_k_pages(f, log)) {
        return;
    }
    rec_init(&a, "a", log, true);
    rec_init(&b, "b", log, false);
    ram_discard_manager_register_listener(rdm, &a.rdl, &sa);
    ram_discard_manager_register_listener(rdm, &b.rdl, &sa);
    plug(f, 0, 1);
    plug(f, 2, 1);
    g_string_truncate(log, 0);
    ok(ram_plug_manager_unplug_all(f->pm, &err), err);
    assert_log(log, "b-0/2000@40000000 b-4000/2000@40004000 "
                    "a-0/8000@40000000 ");
    /* nothing plugged: nothing said */
    ok(ram_plug_manager_unplug_all(f->pm, &err), err);
    assert_log(log, "");
    /* a manager freed with listeners unregisters them */
    plug(f, 3, 1);
    g_string_truncate(log, 0);
    ram_plug_manager_free(f->pm);
    f->pm = NULL;
    assert_log(log, "b-6000/2000@40006000 a-0/8000@40000000 ");
    g_assert_null(a.rdl.section);
    g_assert_null(b.rdl.section);
    g_assert_null(memory_region_get_ram_discard_manager(&f->mem));
    g_string_free(log, true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, data, fn) \
    g_test_add(path, Fixture, data, fixture_setup, fn, fixture_teardown)
    ADD("/discard/unplugged/reads-zero", NULL, test_reads_zero);
    ADD("/discard/unplugged/memory-released", NULL, test_memory_released);
    ADD("/discard/unplugged/memfd-punched", "memfd", test_memfd_punched);
    ADD("/discard/plug/granularity-errors", NULL, test_granularity_errors);
    ADD("/discard/manager/set-get-rules", NULL, test_manager_rules);
    ADD("/discard/listener/replay-on-register", NULL, test_replay_on_register);
    ADD("/discard/listener/replay-and-is-populated", NULL,
        test_replay_and_populated);
    ADD("/discard/listener/notifications", NULL, test_notifications);
    ADD("/discard/listener/unplug-all-double-discard", NULL,
        test_unplug_all_double_discard);
#undef ADD
    return g_test_run();
}
