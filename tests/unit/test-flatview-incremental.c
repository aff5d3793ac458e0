/* SPDX-License-Identifier: MIT */
/*
 * Property test of incremental re-rendering (flatview/update.c). Random
 * transaction sequences (add, del, move, enable, readonly, resize, alias
 * offset, romd, dirty logging; lone calls and nested transactions) run on
 * trees of about 600 regions, so that views span several chunks. After
 * every commit:
 *  - the AddressSpace's view is exactly, field for field, the view a
 *    from-scratch render of its root gives (flatview_render_locked());
 *  - the views kept from earlier commits, which share chunks with the
 *    newer ones, still read exactly as they did when they were published
 *    (a chunk is never written once built);
 *  - every chunk but the last is at least half full, and the index agrees
 *    with the sections;
 *  - a listener without region_nop got exactly the del/add/log_start/
 *    log_stop calls of a full walk of the old and the new view (QEMU's
 *    address_space_update_topology_pass()), though the library skips the
 *    chunks both views share.
 * And over the run, consecutive views did share chunks (else the test
 * would prove nothing).
 *
 * Usage: test-flatview-incremental [--seed N] [--rounds N].
 */
#include <string.h>

#include <glib.h>

#include "../../memory/memory-internal.h"
#include "section-copy.h"

#define LEAVES     600
#define CONTAINERS 6
#define ALIASES    16
#define NR_REGIONS (1 + CONTAINERS + LEAVES + ALIASES)
#define KEEP       4 /* earlier views kept and re-checked */
#define RAM_MAX    0x4000u

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DEFAULT_ROUNDS 300
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DEFAULT_ROUNDS 300
#endif
#endif
#ifndef DEFAULT_ROUNDS
#define DEFAULT_ROUNDS 3000
#endif

static unsigned opt_seed = 14;
static unsigned opt_rounds = DEFAULT_ROUNDS;

typedef struct Kept {
    FlatView *fv;
    uint64_t sum;
} Kept;

typedef struct World {
    GRand *rand;
    MemoryRegion r[NR_REGIONS]; /* [0] root, then containers, leaves, aliases */
    uint8_t *ram;               /* behind every RAM leaf */
    AddressSpace as;
    MemoryListener ml;
    GString *got; /* the listener's calls in this commit */
    Kept kept[KEEP];
    unsigned long shared, chunks;
} World;

static int rnd(World *w, int lo, int hi) /* inclusive */
{
    return g_rand_int_range(w->rand, lo, hi + 1);
}

static MemoryRegion *any(World *w, int from, int count)
{
    return &w->r[rnd(w, from, from + count - 1)];
}

static MemoryRegion *a_container(World *w)
{
    /* the root half the time: it is the wide one */
    return rnd(w, 0, 1) ? &w->r[0] : any(w, 1, CONTAINERS);
}

static MemoryRegion *a_region(World *w)
{
    int roll = rnd(w, 0, 99);

    /* mostly leaves: a container moved or disabled hides many sections */
    if (roll < 4) {
        return any(w, 1, CONTAINERS);
    }
    if (roll < 14) {
        return any(w, 1 + CONTAINERS + LEAVES, ALIASES);
    }
    return any(w, 1 + CONTAINERS, LEAVES);
}

/* The listener: its calls, one line each. */

static void record(MemoryListener *ml, const char *what,
                   const MemoryRegionSection *s, int om, int nm)
{
    World *w = ADDRSPACE_CONTAINER_OF(ml, World, ml);

    g_string_append_printf(
        w->got, "%s %" PRIx64 "+%" PRIx64 " %p@%" PRIx64 " %d%d%d %d->%d\n",
        what, s->offset_within_address_space, (uint64_t)s->size, (void *)s->mr,
        s->offset_within_region, s->readonly, s->nonvolatile, s->romd_mode, om,
        nm);
}

static void on_add(MemoryListener *ml, MemoryRegionSection *s)
{
    record(ml, "add", s, 0, 0);
}

static void on_del(MemoryListener *ml, MemoryRegionSection *s)
{
    record(ml, "del", s, 0, 0);
}

static void on_log_start(MemoryListener *ml, MemoryRegionSection *s, int om,
                         int nm)
{
    record(ml, "log_start", s, om, nm);
}

static void on_log_stop(MemoryListener *ml, MemoryRegionSection *s, int om,
                        int nm)
{
    record(ml, "log_stop", s, om, nm);
}

/* QEMU's flatrange_equal() on the public form. */
static bool ranges_equal(const MemoryRegionSection *a,
                         const MemoryRegionSection *b)
{
    return a->mr == b->mr &&
           a->offset_within_address_space == b->offset_within_address_space &&
           a->size == b->size &&
           a->offset_within_region == b->offset_within_region &&
           a->readonly == b->readonly && a->nonvolatile == b->nonvolatile &&
           a->romd_mode == b->romd_mode;
}

/* One pass of address_space_update_topology_pass() over whole views. */
static void expect_pass(World *w, FlatView *old, FlatView *new, bool adding,
                        GString *out)
{
    GString *saved = w->got;
    size_t io = 0, in = 0;

    w->got = out;
    for (;;) {
        const MemoryRegionSection *o = view_section(old, io);
        const MemoryRegionSection *n = view_section(new, in);

        if (!o && !n) {
            break;
        }
        if (o &&
            (!n ||
             o->offset_within_address_space < n->offset_within_address_space ||
             (o->offset_within_address_space ==
                  n->offset_within_address_space &&
              !ranges_equal(o, n)))) {
            if (!adding) {
                record(&w->ml, "del", o, 0, 0);
            }
            io++;
        } else if (o && ranges_equal(o, n)) {
            if (adding && (n->dirty_log_mask & ~o->dirty_log_mask)) {
                record(&w->ml, "log_start", n, o->dirty_log_mask,
                       n->dirty_log_mask);
            }
            if (adding && (o->dirty_log_mask & ~n->dirty_log_mask)) {
                record(&w->ml, "log_stop", n, o->dirty_log_mask,
                       n->dirty_log_mask);
            }
            io++;
            in++;
        } else {
            if (adding) {
                record(&w->ml, "add", n, 0, 0);
            }
            in++;
        }
    }
    w->got = saved;
}

/* Building the world. */

static const MemoryRegionOps mmio_ops = {
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8},
    .impl = {.min_access_size = 1, .max_access_size = 8},
};

static void init_leaf(World *w, MemoryRegion *mr, int i)
{
    uint64_t size = 0x1000 * (uint64_t)rnd(w, 1, RAM_MAX / 0x1000);
    char name[16];
    bool ok;

    g_snprintf(name, sizeof(name), "l%d", i);
    switch (i % 5) {
    case 0:
    case 1:
        ok = memory_region_init_ram_ptr(mr, NULL, name, size, w->ram, NULL);
        break;
    case 2:
        ok = memory_region_init_io(mr, NULL, &mmio_ops, NULL, name, size, NULL);
        break;
    case 3:
        ok = memory_region_init_rom_device(mr, NULL, &mmio_ops, NULL, name,
                                           size, NULL);
        break;
    default:
        ok = memory_region_init_reservation(mr, NULL, name, size, NULL);
        break;
    }
    g_assert_true(ok);
}

static void world_init(World *w, unsigned seed)
{
    memset(w, 0, sizeof(*w));
    w->rand = g_rand_new_with_seed(seed);
    w->ram = g_malloc0(RAM_MAX);
    w->got = g_string_new(NULL);
    g_assert_true(memory_region_init(&w->r[0], NULL, "root", 1ull << 32, NULL));
    for (int i = 1; i <= CONTAINERS; i++) {
        g_assert_true(memory_region_init(&w->r[i], NULL, "c", 0x100000, NULL));
    }
    for (int i = 0; i < LEAVES; i++) {
        init_leaf(w, &w->r[1 + CONTAINERS + i], i);
    }
    for (int i = 0; i < ALIASES; i++) {
        /* windows on containers and leaves (never on an alias: no cycle) */
        MemoryRegion *target = any(w, 1, CONTAINERS + LEAVES);

        g_assert_true(memory_region_init_alias(
            &w->r[1 + CONTAINERS + LEAVES + i], NULL, "a", target,
            0x100 * (hwaddr)rnd(w, 0, 0x40), 0x100 * (uint64_t)rnd(w, 1, 0x400),
            NULL));
    }
    g_assert_true(address_space_init(&w->as, &w->r[0], "as", NULL));
    w->ml = (MemoryListener){.region_add = on_add,
                             .region_del = on_del,
                             .log_start = on_log_start,
                             .log_stop = on_log_stop};
    memory_listener_register(&w->ml, &w->as);
    /* place most regions, in one transaction */
    memory_region_transaction_begin();
    for (int i = 1; i < NR_REGIONS; i++) {
        if (rnd(w, 0, 9) < 8) {
            MemoryRegion *p = i <= CONTAINERS ? &w->r[0] : a_container(w);

            memory_region_add_subregion_overlap(
                p, 0x1000 * (hwaddr)rnd(w, 0, p == &w->r[0] ? 0x3000 : 0xff),
                &w->r[i], rnd(w, -1, 1), NULL);
        }
    }
    memory_region_transaction_commit();
    g_string_truncate(w->got, 0);
}

static void world_destroy(World *w)
{
    for (int k = 0; k < KEEP; k++) {
        if (w->kept[k].fv) {
            flatview_unref(w->kept[k].fv);
        }
    }
    memory_listener_unregister(&w->ml);
    address_space_destroy(&w->as);
    memory_region_transaction_begin();
    for (int i = NR_REGIONS - 1; i > 0; i--) {
        MemoryRegion *p = memory_region_get_container(&w->r[i]);

        if (p) {
            memory_region_del_subregion(p, &w->r[i], NULL);
        }
    }
    memory_region_transaction_commit();
    drain_call_rcu();
    for (int i = NR_REGIONS - 1; i >= 0; i--) {
        memory_region_finalize(&w->r[i]);
    }
    g_string_free(w->got, true);
    g_free(w->ram);
    g_rand_free(w->rand);
}

/* Mutations; the library refuses the invalid ones (cycles, overflow). */

static void random_op(World *w)
{
    MemoryRegion *mr = a_region(w), *p = memory_region_get_container(mr);

    switch (rnd(w, 0, 9)) {
    case 0:
    case 1:
        if (p && rnd(w, 0, 2) == 0) {
            memory_region_del_subregion(p, mr, NULL);
        } else if (!p) {
            p = a_container(w);
            memory_region_add_subregion_overlap(
                p, 0x1000 * (hwaddr)rnd(w, 0, p == &w->r[0] ? 0x3000 : 0xff),
                mr, rnd(w, -1, 1), NULL);
        }
        break;
    case 2:
        memory_region_set_address(
            mr, 0x800 * (hwaddr)rnd(w, 0, p == &w->r[0] ? 0x6000 : 0x1ff),
            NULL);
        break;
    case 3:
        /* mostly enabled, mostly writable: the views stay large */
        memory_region_set_enabled(mr, rnd(w, 0, 3) != 0);
        break;
    case 4:
        memory_region_set_readonly(mr, rnd(w, 0, 3) == 0);
        break;
    case 5:
        memory_region_set_size(mr, 0x800 * (uint64_t)rnd(w, 1, RAM_MAX / 0x800),
                               NULL);
        break;
    case 6:
        memory_region_set_alias_offset(mr, 0x100 * (hwaddr)rnd(w, 0, 0x40),
                                       NULL);
        break;
    case 7:
        memory_region_rom_device_set_romd(mr, !memory_region_is_romd(mr));
        break;
    default:
        memory_region_set_log(mr, !memory_region_get_dirty_log_mask(mr),
                              DIRTY_MEMORY_MIGRATION);
        break;
    }
}

/* Checks. */

static bool flat_equal(const FlatSection *a, const FlatSection *b)
{
    return a->region.impl_flags == b->region.impl_flags && a->mr == b->mr &&
           a->offset == b->offset && a->region.ops == b->region.ops &&
           a->region.start == b->region.start &&
           a->region.last == b->region.last &&
           a->region.host == b->region.host && a->region.fd == b->region.fd &&
           a->region.fd_offset == b->region.fd_offset;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

/* Everything a reader of @fv can see, hashed. */
static uint64_t view_sum(const FlatView *fv)
{
    uint64_t h = fv->index.nr_chunks;

    for (size_t c = 0; c < fv->index.nr_chunks; c++) {
        const FlatChunk *ch = flatview_slots(fv)[c].chunk;

        h = mix(h, flatview_slots(fv)[c].start);
        h = mix(h, ch->nr);
        for (uint32_t i = 0; i < ch->nr; i++) {
            const FlatSection *s = &ch->sections[i];

            h = mix(h, ch->starts[i]);
            h = mix(h, s->region.impl_flags);
            h = mix(h, (uintptr_t)s->mr);
            h = mix(h, s->offset);
            h = mix(h, s->region.start);
            h = mix(h, s->region.last);
            h = mix(h, (uintptr_t)s->region.host);
            h = mix(h, s->region.fd_offset);
        }
    }
    return h;
}

static void check_shape(const FlatView *fv)
{
    size_t nr = 0;

    for (size_t c = 0; c < fv->index.nr_chunks; c++) {
        const FlatChunk *ch = flatview_slots(fv)[c].chunk;

        g_assert_cmpuint(ch->nr, >=, 1);
        if (c + 1 < fv->index.nr_chunks) {
            g_assert_cmpuint(ch->nr, >=, FLAT_CHUNK_SIZE / 2);
        }
        g_assert_cmphex(flatview_slots(fv)[c].start, ==, ch->starts[0]);
        for (uint32_t i = 0; i < ch->nr; i++) {
            g_assert_cmphex(ch->starts[i], ==, ch->sections[i].region.start);
        }
        nr += ch->nr;
    }
    g_assert_cmpuint(nr, ==, fv->nr);
}

static void check_scratch(FlatView *fv)
{
    FlatView *ref;
    FlatViewIter a, b;

    memory_update_lock();
    ref = flatview_render_locked(flatview_root(fv), &flatview_region_ops);
    memory_update_unlock();
    g_assert_cmpuint(fv->nr, ==, ref->nr);
    flatview_iter_init(&a, fv);
    flatview_iter_init(&b, ref);
    for (size_t i = 0; i < fv->nr; i++) {
        const FlatSection *x = flatview_iter_get(&a);
        const FlatSection *y = flatview_iter_get(&b);

        if (!flat_equal(x, y)) {
            g_test_message("section %zu: 0x%" PRIx64 "-0x%" PRIx64
                           " flags %#x, from scratch 0x%" PRIx64 "-0x%" PRIx64
                           " flags %#x",
                           i, x->region.start, x->region.last,
                           x->region.impl_flags, y->region.start,
                           y->region.last, y->region.impl_flags);
            g_assert_not_reached();
        }
        flatview_iter_next(&a);
        flatview_iter_next(&b);
    }
    flatview_unref(ref);
}

/* Count the chunks of @fv that @prev holds too. */
static void count_shared(World *w, const FlatView *prev, const FlatView *fv)
{
    for (size_t c = 0; c < fv->index.nr_chunks; c++) {
        for (size_t k = 0; prev && k < prev->index.nr_chunks; k++) {
            if (flatview_slots(prev)[k].chunk == flatview_slots(fv)[c].chunk) {
                w->shared++;
                break;
            }
        }
        w->chunks++;
    }
}

static void check_round(World *w, FlatView *old)
{
    FlatView *fv = address_space_get_flatview(&w->as);
    GString *want = g_string_new(NULL);

    check_shape(fv);
    check_scratch(fv);
    for (int k = 0; k < KEEP; k++) {
        if (w->kept[k].fv) {
            g_assert_cmphex(view_sum(w->kept[k].fv), ==, w->kept[k].sum);
        }
    }
    if (fv != old) {
        expect_pass(w, old, fv, false, want);
        expect_pass(w, old, fv, true, want);
    }
    g_assert_cmpstr(w->got->str, ==, want->str);
    g_string_truncate(w->got, 0);
    g_string_free(want, true);
    count_shared(w, w->kept[0].fv, fv);
    /* keep it, and its sum, for the next rounds */
    if (w->kept[KEEP - 1].fv) {
        flatview_unref(w->kept[KEEP - 1].fv);
    }
    memmove(&w->kept[1], &w->kept[0], (KEEP - 1) * sizeof(Kept));
    w->kept[0] = (Kept){fv, view_sum(fv)};
}

static void test_random_transactions(void)
{
    World *w = g_new(World, 1);

    g_test_message("seed %u, %u rounds", opt_seed, opt_rounds);
    world_init(w, opt_seed);
    for (unsigned round = 0; round < opt_rounds; round++) {
        FlatView *old = address_space_get_flatview(&w->as);

        if (rnd(w, 0, 2) == 0) {
            random_op(w);
        } else {
            int nops = rnd(w, 1, 8), depth = 1;

            memory_region_transaction_begin();
            for (int i = 0; i < nops; i++) {
                if (rnd(w, 0, 4) == 0) {
                    memory_region_transaction_begin();
                    depth++;
                } else if (depth > 1 && rnd(w, 0, 4) == 0) {
                    memory_region_transaction_commit();
                    depth--;
                }
                random_op(w);
            }
            while (depth--) {
                memory_region_transaction_commit();
            }
        }
        check_round(w, old);
        flatview_unref(old);
    }
    g_test_message("%lu of %lu chunks shared with the previous view", w->shared,
                   w->chunks);
    /* sharing is the point: most commits change one or two chunks */
    g_assert_cmpuint(w->shared, >, w->chunks / 2);
    world_destroy(w);
    g_free(w);
}

int main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"seed", 0, 0, G_OPTION_ARG_INT, &opt_seed, "first seed", "N"},
        {"rounds", 0, 0, G_OPTION_ARG_INT, &opt_rounds, "rounds", "N"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionContext *ctx = g_option_context_new(NULL);

    g_test_init(&argc, &argv, NULL);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_ignore_unknown_options(ctx, true);
    g_assert_true(g_option_context_parse(ctx, &argc, &argv, NULL));
    g_option_context_free(ctx);
    g_test_add_func("/flatview/incremental/random-transactions",
                    test_random_transactions);
    return g_test_run();
}
