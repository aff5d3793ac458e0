/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of dirty memory tracking: which accesses mark pages, for
 * which clients, the page rounding of reset and snapshot-and-clear, and
 * concurrent writers racing with a snapshot thread (run under TSan).
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#define PAGE      DIRTY_MEMORY_PAGE_SIZE
#define RAM_BASE  0x1000000u
#define RAM_PAGES 4096u

/* A root with RAM of RAM_PAGES pages at RAM_BASE and an alias of the RAM's
 * second half at 0 */
typedef struct Fixture {
    MemoryRegion root, ram, alias;
    AddressSpace as;
} Fixture;

static void ok(bool ret, GError *err)
{
    g_assert_no_error(err);
    g_assert_true(ret);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    (void)data;
    memset(f, 0, sizeof(*f));
    ok(memory_region_init(&f->root, NULL, "root", 0x10000000, &err), err);
    ok(memory_region_init_ram(&f->ram, NULL, "ram", RAM_PAGES * PAGE, &err),
       err);
    ok(memory_region_init_alias(&f->alias, NULL, "alias", &f->ram,
                                RAM_PAGES / 2 * PAGE, RAM_PAGES / 2 * PAGE,
                                &err),
       err);
    ok(memory_region_add_subregion(&f->root, RAM_BASE, &f->ram, &err), err);
    ok(memory_region_add_subregion(&f->root, 0, &f->alias, &err), err);
    ok(address_space_init(&f->as, &f->root, "as", &err), err);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    address_space_destroy(&f->as);
    memory_region_finalize(&f->root);
    drain_call_rcu();
    memory_region_finalize(&f->alias);
    memory_region_finalize(&f->ram);
}

/* Whether page @page of the RAM is dirty for @client. */
static bool dirty(Fixture *f, unsigned page, unsigned client)
{
    return memory_region_get_dirty(&f->ram, (hwaddr)page * PAGE, 1, client);
}

/* The set of dirty pages for @client, as a string of 0/1 over @n pages. */
static char *dirty_map(Fixture *f, unsigned n, unsigned client)
{
    char *s = g_malloc(n + 1);

    for (unsigned p = 0; p < n; p++) {
        s[p] = dirty(f, p, client) ? '1' : '0';
    }
    s[n] = 0;
    return s;
}

static void assert_map(Fixture *f, unsigned client, const char *want)
{
    char *got = dirty_map(f, (unsigned)strlen(want), client);

    g_assert_cmpstr(got, ==, want);
    g_free(got);
}

static void test_write_marks_pages(Fixture *f, gconstpointer data)
{
    uint8_t buf[PAGE + 8];

    (void)data;
    memset(buf, 0xab, sizeof(buf));
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_VGA);
    assert_map(f, DIRTY_MEMORY_VGA, "00000000");
    /* 4 bytes straddling pages 1 and 2 */
    g_assert_cmpuint(address_space_write(&f->as, RAM_BASE + 2 * PAGE - 2,
                                         MEMTXATTRS_UNSPECIFIED, buf, 4),
                     ==, MEMTX_OK);
    assert_map(f, DIRTY_MEMORY_VGA, "01100000");
    /* PAGE + 2 bytes from the last byte of page 4: pages 4, 5 and 6 */
    g_assert_cmpuint(address_space_write(&f->as, RAM_BASE + 5 * PAGE - 1,
                                         MEMTXATTRS_UNSPECIFIED, buf, PAGE + 2),
                     ==, MEMTX_OK);
    assert_map(f, DIRTY_MEMORY_VGA, "01101110");
    /* a write through the alias marks the RAM's page, not the address's */
    g_assert_cmpuint(
        address_space_write(&f->as, 3 * PAGE, MEMTXATTRS_UNSPECIFIED, buf, 1),
        ==, MEMTX_OK);
    g_assert_true(dirty(f, RAM_PAGES / 2 + 3, DIRTY_MEMORY_VGA));
    g_assert_false(dirty(f, 3, DIRTY_MEMORY_VGA));
    g_assert_false(dirty(f, RAM_PAGES / 2 + 2, DIRTY_MEMORY_VGA));
    /* the data itself went through */
    g_assert_cmpuint(
        ((uint8_t *)memory_region_get_ram_ptr(&f->ram))[2 * PAGE - 2], ==,
        0xab);
}

/* A 4-byte buffer write at page @page of the RAM. */
static void write_page(Fixture *f, unsigned page)
{
    uint32_t v = 0x12345678;

    g_assert_cmpuint(address_space_write(&f->as, RAM_BASE + page * PAGE,
                                         MEMTXATTRS_UNSPECIFIED, &v, 4),
                     ==, MEMTX_OK);
}

static void test_only_enabled_clients(Fixture *f, gconstpointer data)
{
    (void)data;
    /* no client enabled: writes mark nothing */
    write_page(f, 0);
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        g_assert_false(dirty(f, 0, c));
    }
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_MIGRATION);
    /* enabling does not make earlier writes dirty */
    g_assert_false(dirty(f, 0, DIRTY_MEMORY_MIGRATION));
    write_page(f, 1);
    assert_map(f, DIRTY_MEMORY_MIGRATION, "0100");
    assert_map(f, DIRTY_MEMORY_VGA, "0000");
    assert_map(f, DIRTY_MEMORY_CODE, "0000");
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_CODE);
    write_page(f, 2);
    assert_map(f, DIRTY_MEMORY_MIGRATION, "0110");
    assert_map(f, DIRTY_MEMORY_CODE, "0010");
    assert_map(f, DIRTY_MEMORY_VGA, "0000");
    /* turning a client off stops marking but keeps its bits */
    memory_region_set_log(&f->ram, false, DIRTY_MEMORY_MIGRATION);
    write_page(f, 3);
    assert_map(f, DIRTY_MEMORY_MIGRATION, "0110");
    assert_map(f, DIRTY_MEMORY_CODE, "0011");
    /* invalid clients read as clean */
    g_assert_false(memory_region_get_dirty(&f->ram, 0, RAM_PAGES * PAGE,
                                           DIRTY_MEMORY_NUM));
}

static void test_typed_stores_mark(Fixture *f, gconstpointer data)
{
    MemTxResult r = ~0u;

    (void)data;
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_VGA);
    address_space_stb(&f->as, RAM_BASE + 1, 1, MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    address_space_stw_be(&f->as, RAM_BASE + 2 * PAGE, 1, MEMTXATTRS_UNSPECIFIED,
                         NULL);
    address_space_stl_le(&f->as, RAM_BASE + 3 * PAGE + 8, 1,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    /* unaligned, straddling pages 5 and 6 */
    address_space_stq(&f->as, RAM_BASE + 6 * PAGE - 3, 1,
                      MEMTXATTRS_UNSPECIFIED, &r);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    assert_map(f, DIRTY_MEMORY_VGA, "10110110");
}

static void test_reads_do_not_mark(Fixture *f, gconstpointer data)
{
    uint8_t buf[64];

    (void)data;
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_VGA);
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_MIGRATION);
    address_space_read(&f->as, RAM_BASE, MEMTXATTRS_UNSPECIFIED, buf,
                       sizeof(buf));
    (void)address_space_ldl(&f->as, RAM_BASE + PAGE, MEMTXATTRS_UNSPECIFIED,
                            NULL);
    (void)address_space_ldq_be(&f->as, 0, MEMTXATTRS_UNSPECIFIED, NULL);
    g_assert_false(memory_region_get_dirty(&f->ram, 0, RAM_PAGES * PAGE,
                                           DIRTY_MEMORY_VGA));
    g_assert_false(memory_region_get_dirty(&f->ram, 0, RAM_PAGES * PAGE,
                                           DIRTY_MEMORY_MIGRATION));
}

static void test_set_and_reset(Fixture *f, gconstpointer data)
{
    (void)data;
    /* set_dirty marks only the clients the region logs */
    memory_region_set_dirty(&f->ram, 0, 8 * PAGE);
    assert_map(f, DIRTY_MEMORY_VGA, "00000000");
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_VGA);
    memory_region_set_dirty(&f->ram, 0, 8 * PAGE);
    assert_map(f, DIRTY_MEMORY_VGA, "11111111");
    assert_map(f, DIRTY_MEMORY_MIGRATION, "00000000");
    /* reset clears every page the range touches, partial ones included */
    memory_region_reset_dirty(&f->ram, PAGE + 1, PAGE, DIRTY_MEMORY_VGA);
    assert_map(f, DIRTY_MEMORY_VGA, "10011111");
    memory_region_reset_dirty(&f->ram, 5 * PAGE - 1, 1, DIRTY_MEMORY_VGA);
    assert_map(f, DIRTY_MEMORY_VGA, "10010111");
    /* empty ranges and ranges past the end change nothing */
    memory_region_reset_dirty(&f->ram, 0, 0, DIRTY_MEMORY_VGA);
    memory_region_reset_dirty(&f->ram, RAM_PAGES * PAGE, PAGE,
                              DIRTY_MEMORY_VGA);
    assert_map(f, DIRTY_MEMORY_VGA, "10010111");
    g_assert_false(memory_region_get_dirty(&f->ram, 1, 0, DIRTY_MEMORY_VGA));
    /* get_dirty over a range: any page */
    g_assert_true(
        memory_region_get_dirty(&f->ram, PAGE, 3 * PAGE, DIRTY_MEMORY_VGA));
    g_assert_false(
        memory_region_get_dirty(&f->ram, PAGE, 2 * PAGE, DIRTY_MEMORY_VGA));
    /* a huge size is clamped to the region, not wrapped */
    memory_region_set_dirty(&f->ram, (RAM_PAGES - 1) * PAGE, UINT64_MAX);
    g_assert_true(dirty(f, RAM_PAGES - 1, DIRTY_MEMORY_VGA));
    memory_region_reset_dirty(&f->ram, 0, UINT64_MAX, DIRTY_MEMORY_VGA);
    g_assert_false(
        memory_region_get_dirty(&f->ram, 0, UINT64_MAX, DIRTY_MEMORY_VGA));
}

static void test_snapshot_and_clear(Fixture *f, gconstpointer data)
{
    DirtyBitmapSnapshot *snap;
    static const unsigned pages[] = {0, 1, 5, 63, 64, 69, 70, 130};

    (void)data;
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_MIGRATION);
    for (unsigned i = 0; i < G_N_ELEMENTS(pages); i++) {
        memory_region_set_dirty(&f->ram, (hwaddr)pages[i] * PAGE, 1);
    }
    /* pages 1..69, given as a range that starts and ends mid-page */
    snap = memory_region_snapshot_and_clear_dirty(
        &f->ram, PAGE + 100, 68 * PAGE + 1, DIRTY_MEMORY_MIGRATION);
    g_assert_nonnull(snap);
    for (unsigned p = 0; p < 140; p++) {
        bool in_range = p >= 1 && p <= 69;
        bool was_dirty = false;

        for (unsigned i = 0; i < G_N_ELEMENTS(pages); i++) {
            was_dirty |= pages[i] == p;
        }
        /* the snapshot holds exactly the range's dirty pages */
        g_assert_cmpint(memory_region_snapshot_get_dirty(
                            &f->ram, snap, (hwaddr)p * PAGE, PAGE),
                        ==, in_range && was_dirty);
        /* the range was cleared; pages outside it kept their bits */
        g_assert_cmpint(dirty(f, p, DIRTY_MEMORY_MIGRATION), ==,
                        !in_range && was_dirty);
    }
    /* a range query on the snapshot: any page */
    g_assert_true(
        memory_region_snapshot_get_dirty(&f->ram, snap, 2 * PAGE, 4 * PAGE));
    g_assert_false(
        memory_region_snapshot_get_dirty(&f->ram, snap, 2 * PAGE, 3 * PAGE));
    memory_region_snapshot_free(snap);
    /* a second snapshot of the range is clean */
    snap = memory_region_snapshot_and_clear_dirty(&f->ram, 0, RAM_PAGES * PAGE,
                                                  DIRTY_MEMORY_MIGRATION);
    g_assert_true(memory_region_snapshot_get_dirty(&f->ram, snap, 0, PAGE));
    g_assert_false(
        memory_region_snapshot_get_dirty(&f->ram, snap, PAGE, 69 * PAGE));
    g_assert_true(
        memory_region_snapshot_get_dirty(&f->ram, snap, 70 * PAGE, PAGE));
    memory_region_snapshot_free(snap);
    g_assert_false(memory_region_get_dirty(&f->ram, 0, RAM_PAGES * PAGE,
                                           DIRTY_MEMORY_MIGRATION));
    /* never-enabled client: a clean snapshot; non-RAM region: NULL */
    snap = memory_region_snapshot_and_clear_dirty(&f->ram, 0, PAGE,
                                                  DIRTY_MEMORY_CODE);
    g_assert_nonnull(snap);
    g_assert_false(memory_region_snapshot_get_dirty(&f->ram, snap, 0, PAGE));
    memory_region_snapshot_free(snap);
    g_assert_null(memory_region_snapshot_and_clear_dirty(
        &f->root, 0, PAGE, DIRTY_MEMORY_MIGRATION));
    memory_region_snapshot_free(NULL);
}

/*
 * Writers race a collector thread that snapshots and clears. In each
 * round every writer stores once to each page of its own stripe (pages p
 * with p % (NR_WRITERS + 1) == its index; the last residue is never
 * written); a bit set once and lost by a non-atomic clear is never set
 * again, so after the round's last collection the pages seen must be
 * exactly the pages written.
 */
#define NR_WRITERS 4
#define NR_ROUNDS  60

typedef struct Race {
    Fixture *f;
    unsigned index;
    gint *round; /* the round the writers may run; 0: none yet */
    gint *done;  /* writer-rounds finished */
} Race;

static gpointer writer_thread(gpointer opaque)
{
    Race *r = opaque;

    rcu_register_thread();
    for (gint round = 1; round <= NR_ROUNDS; round++) {
        while (g_atomic_int_get(r->round) < round) {
            g_thread_yield();
        }
        for (unsigned p = r->index; p < RAM_PAGES; p += NR_WRITERS + 1) {
            hwaddr addr = RAM_BASE + (hwaddr)p * PAGE + (p % PAGE);
            uint8_t b = (uint8_t)round;

            if ((p + (unsigned)round) & 1) {
                address_space_stb(&r->f->as, addr, b, MEMTXATTRS_UNSPECIFIED,
                                  NULL);
            } else {
                address_space_write(&r->f->as, addr, MEMTXATTRS_UNSPECIFIED, &b,
                                    1);
            }
        }
        g_atomic_int_inc(r->done);
    }
    rcu_unregister_thread();
    return NULL;
}

static void collect(Fixture *f, uint8_t *seen)
{
    DirtyBitmapSnapshot *snap = memory_region_snapshot_and_clear_dirty(
        &f->ram, 0, RAM_PAGES * PAGE, DIRTY_MEMORY_MIGRATION);

    for (unsigned p = 0; p < RAM_PAGES; p++) {
        if (memory_region_snapshot_get_dirty(&f->ram, snap, (hwaddr)p * PAGE,
                                             PAGE)) {
            seen[p] = 1;
        }
    }
    memory_region_snapshot_free(snap);
}

static void test_concurrent_writers(Fixture *f, gconstpointer data)
{
    Race races[NR_WRITERS];
    GThread *threads[NR_WRITERS];
    uint8_t *seen = g_malloc(RAM_PAGES);
    unsigned snapshots = 0;
    gint round = 0, done = 0;

    (void)data;
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_MIGRATION);
    for (unsigned i = 0; i < NR_WRITERS; i++) {
        races[i] = (Race){f, i, &round, &done};
        threads[i] = g_thread_new("writer", writer_thread, &races[i]);
    }
    for (gint r = 1; r <= NR_ROUNDS; r++) {
        memset(seen, 0, RAM_PAGES);
        g_atomic_int_set(&round, r);
        while (g_atomic_int_get(&done) < r * NR_WRITERS) {
            collect(f, seen);
            snapshots++;
        }
        collect(f, seen); /* what the round's last writes left */
        for (unsigned p = 0; p < RAM_PAGES; p++) {
            g_assert_cmpuint(seen[p], ==, p % (NR_WRITERS + 1) != NR_WRITERS);
        }
    }
    for (unsigned i = 0; i < NR_WRITERS; i++) {
        g_thread_join(threads[i]);
    }
    g_test_message("%u snapshots during %d rounds", snapshots, NR_ROUNDS);
    g_free(seen);
}

/* Mark pages @pages (ascending) dirty for DIRTY_MEMORY_VGA. */
static void mark_pages(Fixture *f, const unsigned *pages, size_t n)
{
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_VGA);
    for (size_t i = 0; i < n; i++) {
        memory_region_set_dirty(&f->ram, (hwaddr)pages[i] * PAGE, 1);
    }
}

static hwaddr next_vga(Fixture *f, hwaddr addr, hwaddr size)
{
    return memory_region_find_next_dirty(&f->ram, addr, size, DIRTY_MEMORY_VGA);
}

static void test_find_next_empty(Fixture *f, gconstpointer data)
{
    (void)data;
    /* never enabled, enabled and clean, empty range, invalid client */
    g_assert_cmpuint(next_vga(f, 0, UINT64_MAX), ==, DIRTY_PAGE_NONE);
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_VGA);
    g_assert_cmpuint(next_vga(f, 0, UINT64_MAX), ==, DIRTY_PAGE_NONE);
    memory_region_set_dirty(&f->ram, 5 * PAGE, 1);
    g_assert_cmpuint(next_vga(f, 5 * PAGE, 0), ==, DIRTY_PAGE_NONE);
    g_assert_cmpuint(next_vga(f, RAM_PAGES * PAGE, PAGE), ==, DIRTY_PAGE_NONE);
    g_assert_cmpuint(
        memory_region_find_next_dirty(&f->ram, 0, UINT64_MAX, DIRTY_MEMORY_NUM),
        ==, DIRTY_PAGE_NONE);
    /* regions without RAM, aliases included */
    g_assert_cmpuint(memory_region_find_next_dirty(&f->root, 0, UINT64_MAX,
                                                   DIRTY_MEMORY_VGA),
                     ==, DIRTY_PAGE_NONE);
    g_assert_cmpuint(memory_region_find_next_dirty(&f->alias, 0, UINT64_MAX,
                                                   DIRTY_MEMORY_VGA),
                     ==, DIRTY_PAGE_NONE);
    g_assert_cmpuint(next_vga(f, 0, UINT64_MAX), ==, 5 * PAGE);
}

static void test_find_next_word_boundaries(Fixture *f, gconstpointer data)
{
    static const unsigned pages[] = {63, 64, 127, 128, 200};

    (void)data;
    mark_pages(f, pages, G_N_ELEMENTS(pages));
    g_assert_cmpuint(next_vga(f, 0, UINT64_MAX), ==, 63 * PAGE);
    /* a start inside a dirty page gives the page's start */
    g_assert_cmpuint(next_vga(f, 63 * PAGE + 7, UINT64_MAX), ==, 63 * PAGE);
    g_assert_cmpuint(next_vga(f, 64 * PAGE, UINT64_MAX), ==, 64 * PAGE);
    g_assert_cmpuint(next_vga(f, 65 * PAGE, UINT64_MAX), ==, 127 * PAGE);
    g_assert_cmpuint(next_vga(f, 127 * PAGE + 1, UINT64_MAX), ==, 127 * PAGE);
    g_assert_cmpuint(next_vga(f, 129 * PAGE, UINT64_MAX), ==, 200 * PAGE);
    g_assert_cmpuint(next_vga(f, 201 * PAGE, UINT64_MAX), ==, DIRTY_PAGE_NONE);
    /* the range's end is respected, inside a word and at its edges */
    g_assert_cmpuint(next_vga(f, 0, 63 * PAGE), ==, DIRTY_PAGE_NONE);
    g_assert_cmpuint(next_vga(f, 0, 63 * PAGE + 1), ==, 63 * PAGE);
    g_assert_cmpuint(next_vga(f, 65 * PAGE, 62 * PAGE), ==, DIRTY_PAGE_NONE);
    g_assert_cmpuint(next_vga(f, 65 * PAGE, 62 * PAGE + 1), ==, 127 * PAGE);
    g_assert_cmpuint(next_vga(f, 129 * PAGE, 71 * PAGE), ==, DIRTY_PAGE_NONE);
}

static void test_find_next_last_page(Fixture *f, gconstpointer data)
{
    MemoryRegion odd = {0};
    DirtyPageIter it;
    hwaddr off, len;

    (void)data;
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_VGA);
    memory_region_set_dirty(&f->ram, RAM_PAGES * PAGE - 1, 1);
    g_assert_cmpuint(next_vga(f, 0, UINT64_MAX), ==, (RAM_PAGES - 1) * PAGE);
    g_assert_cmpuint(next_vga(f, (RAM_PAGES - 1) * PAGE, PAGE), ==,
                     (RAM_PAGES - 1) * PAGE);
    /* a region whose last page is partial: the run stops at its end */
    ok(memory_region_init_ram(&odd, NULL, "odd", 5000, NULL), NULL);
    memory_region_set_log(&odd, true, DIRTY_MEMORY_CODE);
    memory_region_set_dirty(&odd, 4999, 1);
    g_assert_cmpuint(
        memory_region_find_next_dirty(&odd, 0, UINT64_MAX, DIRTY_MEMORY_CODE),
        ==, PAGE);
    dirty_page_iter_init(&it, &odd, 0, UINT64_MAX, DIRTY_MEMORY_CODE);
    g_assert_true(dirty_page_iter_next(&it, &off, &len));
    g_assert_cmpuint(off, ==, PAGE);
    g_assert_cmpuint(len, ==, 5000 - PAGE);
    g_assert_false(dirty_page_iter_next(&it, &off, &len));
    g_assert_false(dirty_page_iter_next(&it, &off, &len));
    memory_region_finalize(&odd);
}

/* The runs an iterator yields, as "first+count" pages separated by ','. */
static char *runs(DirtyPageIter *it)
{
    GString *s = g_string_new(NULL);
    hwaddr off, len;

    while (dirty_page_iter_next(it, &off, &len)) {
        g_assert_cmpuint(off % PAGE, ==, 0);
        g_assert_cmpuint(len % PAGE, ==, 0);
        g_string_append_printf(s, "%s%u+%u", s->len ? "," : "",
                               (unsigned)(off / PAGE), (unsigned)(len / PAGE));
    }
    return g_string_free(s, false);
}

static void assert_runs(DirtyPageIter *it, const char *want)
{
    char *got = runs(it);

    g_assert_cmpstr(got, ==, want);
    g_free(got);
}

static void test_iter_runs(Fixture *f, gconstpointer data)
{
    static const unsigned pages[] = {0,   1,   2,   62,  63,  64,           65,
                                     128, 191, 192, 255, 256, RAM_PAGES - 1};
    DirtyPageIter it;

    (void)data;
    mark_pages(f, pages, G_N_ELEMENTS(pages));
    dirty_page_iter_init(&it, &f->ram, 0, UINT64_MAX, DIRTY_MEMORY_VGA);
    assert_runs(&it, "0+3,62+4,128+1,191+2,255+2,4095+1");
    /* a range starting and ending inside runs: cut to the range's pages */
    dirty_page_iter_init(&it, &f->ram, 63 * PAGE + 9, 192 * PAGE - 63 * PAGE,
                         DIRTY_MEMORY_VGA);
    assert_runs(&it, "63+3,128+1,191+2");
    /* nothing: another client, an empty range, a non-RAM region */
    dirty_page_iter_init(&it, &f->ram, 0, UINT64_MAX, DIRTY_MEMORY_CODE);
    assert_runs(&it, "");
    dirty_page_iter_init(&it, &f->ram, 3 * PAGE, 59 * PAGE, DIRTY_MEMORY_VGA);
    assert_runs(&it, "");
    dirty_page_iter_init(&it, &f->root, 0, UINT64_MAX, DIRTY_MEMORY_VGA);
    assert_runs(&it, "");
    /* iteration does not clear */
    g_assert_true(dirty(f, 0, DIRTY_MEMORY_VGA));
}

static void test_iter_snapshot(Fixture *f, gconstpointer data)
{
    static const unsigned pages[] = {10, 70, 71, 300, 400};
    DirtyBitmapSnapshot *snap;
    DirtyPageIter it;

    (void)data;
    mark_pages(f, pages, G_N_ELEMENTS(pages));
    /* pages 71..300: the snapshot holds 71 and 300 */
    snap = memory_region_snapshot_and_clear_dirty(&f->ram, 71 * PAGE,
                                                  230 * PAGE, DIRTY_MEMORY_VGA);
    dirty_page_iter_init_snapshot(&it, &f->ram, snap, 0, UINT64_MAX);
    assert_runs(&it, "71+1,300+1");
    g_assert_cmpuint(
        memory_region_snapshot_find_next_dirty(&f->ram, snap, 0, UINT64_MAX),
        ==, 71 * PAGE);
    g_assert_cmpuint(memory_region_snapshot_find_next_dirty(
                         &f->ram, snap, 72 * PAGE, 228 * PAGE),
                     ==, DIRTY_PAGE_NONE);
    g_assert_cmpuint(memory_region_snapshot_find_next_dirty(
                         &f->ram, snap, 72 * PAGE, 229 * PAGE),
                     ==, 300 * PAGE);
    /* the live bitmap kept the pages outside the range */
    dirty_page_iter_init(&it, &f->ram, 0, UINT64_MAX, DIRTY_MEMORY_VGA);
    assert_runs(&it, "10+1,70+1,400+1");
    memory_region_snapshot_free(snap);
    g_assert_cmpuint(
        memory_region_snapshot_find_next_dirty(&f->ram, NULL, 0, UINT64_MAX),
        ==, DIRTY_PAGE_NONE);
}

/* Random bitmaps: the iterator and find_next agree with a page-by-page
 * scan (memory_region_get_dirty()) over random ranges. */
static void test_iter_matches_scan(Fixture *f, gconstpointer data)
{
    (void)data;
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_MIGRATION);
    for (unsigned round = 0; round < 40; round++) {
        unsigned density = 1 + (unsigned)g_test_rand_int_range(0, 64);
        unsigned first = (unsigned)g_test_rand_int_range(0, RAM_PAGES);
        unsigned n = (unsigned)g_test_rand_int_range(1, RAM_PAGES - first + 1);
        GString *want = g_string_new(NULL);
        DirtyPageIter it;
        char *got;

        memory_region_reset_dirty(&f->ram, 0, UINT64_MAX,
                                  DIRTY_MEMORY_MIGRATION);
        for (unsigned p = 0; p < RAM_PAGES; p++) {
            if ((unsigned)g_test_rand_int_range(0, 64) < density) {
                memory_region_set_dirty(&f->ram, (hwaddr)p * PAGE, 1);
            }
        }
        for (unsigned p = first; p < first + n;) {
            unsigned q = p;

            while (q < first + n && dirty(f, q, DIRTY_MEMORY_MIGRATION)) {
                q++;
            }
            if (q > p) {
                g_string_append_printf(want, "%s%u+%u", want->len ? "," : "", p,
                                       q - p);
            }
            p = q + 1;
        }
        dirty_page_iter_init(&it, &f->ram, (hwaddr)first * PAGE,
                             (hwaddr)n * PAGE, DIRTY_MEMORY_MIGRATION);
        got = runs(&it);
        g_assert_cmpstr(got, ==, want->str);
        g_free(got);
        g_string_free(want, true);
    }
}

static void test_snapshot_client_reserved(Fixture *f, gconstpointer data)
{
    (void)data;
    memory_region_set_log(&f->ram, true, DIRTY_MEMORY_SNAPSHOT);
    g_assert_cmpuint(memory_region_get_dirty_log_mask(&f->ram), ==, 0);
    g_assert_null(memory_region_snapshot_and_clear_dirty(
        &f->ram, 0, PAGE, DIRTY_MEMORY_SNAPSHOT));
    /* reading it is allowed: nothing was ever logged */
    g_assert_false(
        memory_region_get_dirty(&f->ram, 0, UINT64_MAX, DIRTY_MEMORY_SNAPSHOT));
    memory_region_reset_dirty(&f->ram, 0, PAGE, DIRTY_MEMORY_SNAPSHOT);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/dirty/write/marks-pages", test_write_marks_pages);
    ADD("/dirty/write/only-enabled-clients", test_only_enabled_clients);
    ADD("/dirty/store/typed-stores-mark", test_typed_stores_mark);
    ADD("/dirty/read/no-marks", test_reads_do_not_mark);
    ADD("/dirty/reset/page-rounding", test_set_and_reset);
    ADD("/dirty/snapshot/clear-range-only", test_snapshot_and_clear);
    ADD("/dirty/concurrent/writers-vs-snapshot", test_concurrent_writers);
    ADD("/dirty/find-next/empty", test_find_next_empty);
    ADD("/dirty/find-next/word-boundaries", test_find_next_word_boundaries);
    ADD("/dirty/find-next/last-page", test_find_next_last_page);
    ADD("/dirty/iter/runs", test_iter_runs);
    ADD("/dirty/iter/snapshot", test_iter_snapshot);
    ADD("/dirty/iter/matches-page-scan", test_iter_matches_scan);
    ADD("/dirty/client/snapshot-reserved", test_snapshot_client_reserved);
#undef ADD
    return g_test_run();
}
