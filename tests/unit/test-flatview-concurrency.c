/* SPDX-License-Identifier: MIT */
/*
 * Concurrency test of FlatView publication and reclamation. A writer walks
 * the tree through a deterministic sequence of configurations (generation
 * g = 0, 1, 2, ...), one transaction per generation; reader threads look up
 * addresses in the current view and check each answer, including the
 * region's name and RAM bytes, against the configurations the view can
 * belong to: every view a reader gets must be one whole configuration,
 * old or new, never a mix and never freed memory. Devices (owner + RAM)
 * are created and dropped all the time, so a view or device freed before
 * its readers are done shows up as wrong bytes here and as a report in the
 * ASan and TSan builds.
 */
#include <stddef.h>

#include "tree-helpers.h"

#define SLOTS       8
#define SLOT_SIZE   0x1000u
#define POOL_SIZE   (SLOTS * SLOT_SIZE)
#define HALF        (SLOT_SIZE / 2)
#define GENERATIONS 3000u
#define READERS     4
#define PROBES      4 /* addresses looked up in one view */

/* What a slot (SLOT_SIZE bytes at slot * SLOT_SIZE) shows. */
typedef enum SlotState {
    ST_RAM,     /* the slot's own RAM "a<k>" */
    ST_DEVICE,  /* a device's RAM "b<k>-<generation it was created>" */
    ST_POOL,    /* a window on the shared "pool" RAM, offset varying */
    ST_HOLE,    /* nothing */
    ST_OVERLAP, /* the slot's RAM, the device over its second half */
    NR_STATES,
} SlotState;

static SlotState slot_state(unsigned g, unsigned k)
{
    uint32_t h = g * 2654435761u ^ (k + 1) * 0x9e3779b9u;

    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return (SlotState)(h % NR_STATES);
}

static bool has_device(SlotState st)
{
    return st == ST_DEVICE || st == ST_OVERLAP;
}

/* The generation that created the device slot @k shows at @g. */
static unsigned device_birth(unsigned g, unsigned k)
{
    while (g > 0 && has_device(slot_state(g - 1, k))) {
        g--;
    }
    return g;
}

static uint64_t pool_offset(unsigned g, unsigned k)
{
    return (uint64_t)((g + k) % SLOTS) * SLOT_SIZE + (g % 3) * 0x10;
}

static uint8_t pool_byte(uint64_t offset)
{
    return (uint8_t)(offset / 16 * 7 + 3);
}

static uint8_t device_byte(unsigned birth, unsigned k)
{
    return (uint8_t)((birth * 13 + k) | 1);
}

static uint8_t ram_byte(unsigned k)
{
    return (uint8_t)(0xa0 + k);
}

typedef struct Device {
    MemoryOwner owner;
    MemoryRegion ram;
} Device;

static gint devices_created;
static gint devices_released;

static void device_release(MemoryOwner *owner)
{
    Device *dev = (Device *)(void *)((char *)owner - offsetof(Device, owner));

    memory_region_finalize(&dev->ram);
    memset(dev, 0x5a, sizeof(*dev));
    __asm__ volatile("" : : "r"(dev) : "memory"); /* keep the poison */
    g_free(dev);
    g_atomic_int_inc(&devices_released);
}

static Device *device_new(unsigned birth, unsigned k)
{
    Device *dev = g_new0(Device, 1);
    char name[32];
    GError *err = NULL;

    g_snprintf(name, sizeof(name), "b%u-%u", k, birth);
    memory_owner_init(&dev->owner, name, device_release);
    tree_check(
        memory_region_init_ram(&dev->ram, &dev->owner, name, SLOT_SIZE, &err),
        err);
    memset(memory_region_get_ram_ptr(&dev->ram), device_byte(birth, k),
           SLOT_SIZE);
    g_atomic_int_inc(&devices_created);
    return dev;
}

typedef struct World {
    Tree t;
    AddressSpace *as[2]; /* two AddressSpaces sharing the root's view */
    MemoryRegion *slot[SLOTS];
    MemoryRegion *ram[SLOTS];
    MemoryRegion *window[SLOTS]; /* aliases of pool */
    MemoryRegion *pool;
    Device *dev[SLOTS];
    unsigned gen; /* the last generation published */
    gint stop;
} World;

/* Put slot @k into its configuration of generation @g (update lock held:
 * inside the writer's transaction). */
static void slot_apply(World *w, unsigned g, unsigned k)
{
    SlotState st = slot_state(g, k);
    MemoryRegion *s = w->slot[k];
    Device *old = w->dev[k];
    MemoryRegion *shown[] = {w->ram[k], w->window[k], old ? &old->ram : NULL};
    GError *err = NULL;

    for (unsigned i = 0; i < G_N_ELEMENTS(shown); i++) {
        if (shown[i] && memory_region_get_container(shown[i]) == s) {
            tree_del(s, shown[i]);
        }
    }
    if (old && (!has_device(st) || device_birth(g, k) == g)) {
        memory_owner_unref(&old->owner); /* the views keep it meanwhile */
        w->dev[k] = NULL;
    }
    if (has_device(st) && !w->dev[k]) {
        w->dev[k] = device_new(g, k);
    }
    switch (st) {
    case ST_RAM:
        tree_add(s, 0, w->ram[k]);
        break;
    case ST_DEVICE:
        tree_add(s, 0, &w->dev[k]->ram);
        break;
    case ST_POOL:
        tree_check(memory_region_set_alias_offset(w->window[k],
                                                  pool_offset(g, k), &err),
                   err);
        tree_add(s, 0, w->window[k]);
        break;
    case ST_HOLE:
        break;
    case ST_OVERLAP:
        tree_add(s, 0, w->ram[k]);
        tree_add_prio(s, HALF, &w->dev[k]->ram, 1); /* clipped by the slot */
        break;
    default:
        g_assert_not_reached();
    }
}

static gpointer writer_main(gpointer opaque)
{
    World *w = opaque;

    rcu_register_thread();
    for (unsigned g = 1; g < GENERATIONS; g++) {
        memory_region_transaction_begin();
        for (unsigned k = 0; k < SLOTS; k++) {
            slot_apply(w, g, k);
        }
        memory_region_transaction_commit();
        __atomic_store_n(&w->gen, g, __ATOMIC_RELEASE);
        /* many grace periods, so that a late reader would be caught */
        g_usleep(20);
    }
    g_atomic_int_set(&w->stop, 1);
    rcu_unregister_thread();
    return NULL;
}

/* One lookup, as a reader saw it. */
typedef struct Probe {
    hwaddr addr;
    MemoryRegion *mr; /* NULL: a hole */
    uint64_t offset;
    char name[24];
    uint8_t byte;
} Probe;

static void probe(FlatView *fv, hwaddr addr, Probe *p)
{
    const MemoryRegionSection *s = view_lookup(fv, addr);

    memset(p, 0, sizeof(*p));
    p->addr = addr;
    if (!s) {
        return;
    }
    p->mr = s->mr;
    p->offset =
        s->offset_within_region + (addr - s->offset_within_address_space);
    g_strlcpy(p->name, memory_region_name(s->mr), sizeof(p->name));
    p->byte = ((const uint8_t *)memory_region_get_ram_ptr(s->mr))[p->offset];
}

/* Whether @p is what generation @g shows. */
static bool probe_matches(World *w, const Probe *p, unsigned g)
{
    unsigned k = (unsigned)(p->addr / SLOT_SIZE);
    uint64_t o = p->addr % SLOT_SIZE;
    SlotState st = slot_state(g, k);
    char name[24];

    if (st == ST_OVERLAP) {
        st = o < HALF ? ST_RAM : ST_DEVICE;
        o = o < HALF ? o : o - HALF;
    }
    switch (st) {
    case ST_RAM:
        return p->mr == w->ram[k] && p->offset == o && p->byte == ram_byte(k);
    case ST_DEVICE:
        g_snprintf(name, sizeof(name), "b%u-%u", k, device_birth(g, k));
        return p->mr && !strcmp(p->name, name) && p->offset == o &&
               p->byte == device_byte(device_birth(g, k), k);
    case ST_POOL:
        if (pool_offset(g, k) + o >= POOL_SIZE) {
            return !p->mr; /* the window runs past the pool */
        }
        return p->mr == w->pool && p->offset == pool_offset(g, k) + o &&
               p->byte == pool_byte(p->offset);
    case ST_HOLE:
        return !p->mr;
    default:
        g_assert_not_reached();
    }
}

typedef struct Reader {
    World *w;
    unsigned id;
    unsigned long views;
    unsigned long bad;
    char first_bad[160];
} Reader;

/* The view was published between generations @g0 and @g1: is it one of
 * them, whole? */
static void judge(Reader *r, const Probe *probes, unsigned g0, unsigned g1)
{
    for (unsigned g = g0; g <= g1 && g < GENERATIONS; g++) {
        unsigned i;

        for (i = 0; i < PROBES && probe_matches(r->w, &probes[i], g); i++) {
        }
        if (i == PROBES) {
            return;
        }
    }
    if (!r->bad++) {
        g_snprintf(r->first_bad, sizeof(r->first_bad),
                   "reader %u: generations %u..%u; 0x%" PRIx64 " shows "
                   "\"%s\"@0x%" PRIx64 " byte 0x%02x",
                   r->id, g0, g1, probes[0].addr, probes[0].name,
                   probes[0].offset, probes[0].byte);
    }
}

static gpointer reader_main(gpointer opaque)
{
    Reader *r = opaque;
    World *w = r->w;
    GRand *rand = g_rand_new_with_seed(r->id);
    Probe probes[PROBES];

    rcu_register_thread();
    do {
        AddressSpace *as = w->as[r->views % 2];
        unsigned g0, g1;
        FlatView *fv;

        for (unsigned i = 0; i < PROBES; i++) {
            probes[i].addr = g_rand_int_range(rand, 0, SLOTS * SLOT_SIZE);
        }
        g0 = __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE);
        if (r->views % 3 == 0) {
            /* a counted reference: valid outside any read-side section */
            fv = address_space_get_flatview(as);
            g1 = __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE);
            for (unsigned i = 0; i < PROBES; i++) {
                probe(fv, probes[i].addr, &probes[i]);
            }
            flatview_unref(fv);
        } else {
            rcu_read_lock();
            fv = address_space_to_flatview(as);
            for (unsigned i = 0; i < PROBES; i++) {
                probe(fv, probes[i].addr, &probes[i]);
            }
            g1 = __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE);
            rcu_read_unlock();
        }
        /* the view is at least g0, at most one past g1 (published, its
         * generation number not yet) */
        judge(r, probes, g0, g1 + 1);
        r->views++;
    } while (!g_atomic_int_get(&w->stop));
    rcu_unregister_thread();
    g_rand_free(rand);
    return NULL;
}

static void world_init(World *w)
{
    Tree *t = &w->t;

    tree_setup(t, NULL);
    w->as[0] = t->as;
    w->as[1] = tree_as(t, t->root, "as2");
    w->pool = tree_ram(t, "pool", POOL_SIZE);
    for (uint64_t o = 0; o < POOL_SIZE; o++) {
        ((uint8_t *)memory_region_get_ram_ptr(w->pool))[o] = pool_byte(o);
    }
    memory_region_transaction_begin();
    for (unsigned k = 0; k < SLOTS; k++) {
        char name[16];

        g_snprintf(name, sizeof(name), "slot%u", k);
        w->slot[k] = tree_container(t, name, SLOT_SIZE);
        g_snprintf(name, sizeof(name), "a%u", k);
        w->ram[k] = tree_ram(t, name, SLOT_SIZE);
        memset(memory_region_get_ram_ptr(w->ram[k]), ram_byte(k), SLOT_SIZE);
        g_snprintf(name, sizeof(name), "w%u", k);
        w->window[k] = tree_alias(t, name, w->pool, 0, SLOT_SIZE);
        tree_add(t->root, k * SLOT_SIZE, w->slot[k]);
        slot_apply(w, 0, k);
    }
    memory_region_transaction_commit();
}

static void world_destroy(World *w)
{
    for (unsigned k = 0; k < SLOTS; k++) {
        if (w->dev[k]) {
            memory_region_del_subregion(w->slot[k], &w->dev[k]->ram, NULL);
            memory_owner_unref(&w->dev[k]->owner);
        }
    }
    tree_teardown(&w->t, NULL);
    drain_call_rcu(); /* the views' last owner references queued releases */
}

static void test_readers_see_whole_views(void)
{
    World *w = g_new0(World, 1);
    Reader readers[READERS];
    GThread *threads[READERS], *writer;
    unsigned long views = 0;

    g_atomic_int_set(&devices_created, 0);
    g_atomic_int_set(&devices_released, 0);
    world_init(w);
    for (unsigned i = 0; i < READERS; i++) {
        readers[i] = (Reader){.w = w, .id = i};
        threads[i] = g_thread_new("reader", reader_main, &readers[i]);
    }
    writer = g_thread_new("writer", writer_main, w);
    g_thread_join(writer);
    for (unsigned i = 0; i < READERS; i++) {
        g_thread_join(threads[i]);
        views += readers[i].views;
        if (readers[i].bad) {
            g_test_message("%s", readers[i].first_bad);
        }
        g_assert_cmpuint(readers[i].bad, ==, 0);
        g_assert_cmpuint(readers[i].views, >, 0);
    }
    world_destroy(w);
    g_test_message("%u generations, %lu views checked, %d devices", GENERATIONS,
                   views, g_atomic_int_get(&devices_created));
    g_assert_cmpint(g_atomic_int_get(&devices_created), >, 100);
    g_assert_cmpint(g_atomic_int_get(&devices_released), ==,
                    g_atomic_int_get(&devices_created));
    g_free(w);
}

/* --- the index each AddressSpace holds, switched by commits ------------- */

#define SW_BASE  0x10000u
#define SW_SIZE  0x1000u
#define SW_ITERS 1500u

typedef struct Switch {
    Tree t;
    AddressSpace *spaces[3]; /* two at first, the third added mid-way */
    gint nr_spaces;
    gint started; /* readers that made their first loads */
    gint stop;
} Switch;

typedef struct SwitchReader {
    Switch *sw;
    unsigned id;
    unsigned long loads, bad;
} SwitchReader;

/* What RAM @tag ('A' or 'B') holds at @off: both tell themselves apart. */
static uint32_t switch_word(char tag, uint32_t off)
{
    return ((uint32_t)(uint8_t)tag << 24) | off;
}

static void switch_fill(MemoryRegion *mr, char tag)
{
    uint8_t *p = memory_region_get_ram_ptr(mr);

    for (uint32_t off = 0; off < SW_SIZE; off += 4) {
        uint32_t v = GUINT32_TO_LE(switch_word(tag, off));

        memcpy(p + off, &v, 4);
    }
}

/* One load, judged: RAM A's word, RAM B's, or a hole's 0. */
static bool switch_load_ok(AddressSpace *as, uint32_t off)
{
    MemTxResult res = MEMTX_OK;
    uint32_t v =
        address_space_ldl_le(as, SW_BASE + off, MEMTXATTRS_UNSPECIFIED, &res);

    if (res == MEMTX_OK) {
        return v == switch_word('A', off) || v == switch_word('B', off);
    }
    return res == MEMTX_DECODE_ERROR && v == 0;
}

static gpointer switch_reader_main(gpointer opaque)
{
    SwitchReader *r = opaque;
    Switch *sw = r->sw;
    uint32_t off = r->id * 64;

    rcu_register_thread();
    while (!g_atomic_int_get(&sw->stop)) {
        int n = g_atomic_int_get(&sw->nr_spaces);

        /* outside any section (each load enters one), then eight loads
         * inside one held section */
        for (int i = 0; i < n; i++) {
            r->bad += !switch_load_ok(sw->spaces[i], off);
            r->loads++;
        }
        rcu_read_lock();
        for (int k = 0; k < 8; k++) {
            r->bad += !switch_load_ok(sw->spaces[k % n], off);
            r->loads++;
        }
        rcu_read_unlock();
        if (r->loads == (unsigned long)n + 8) {
            g_atomic_int_inc(&sw->started); /* once: after the first round */
        }
        off = (off + 4) % SW_SIZE;
    }
    rcu_unregister_thread();
    return NULL;
}

/* Readers of two AddressSpaces of one root (one view for both, each
 * holding its index), then of a third one added while they run, see A, B
 * or a hole, never anything else, while commits switch between them. */
static void test_index_switch_under_commits(void)
{
    Switch *sw = g_new0(Switch, 1);
    SwitchReader readers[READERS];
    GThread *threads[READERS];
    MemoryRegion *a, *b;

    tree_setup(&sw->t, NULL);
    a = tree_ram(&sw->t, "A", SW_SIZE);
    b = tree_ram(&sw->t, "B", SW_SIZE);
    switch_fill(a, 'A');
    switch_fill(b, 'B');
    sw->spaces[0] = sw->t.as;
    sw->spaces[1] = tree_as(&sw->t, sw->t.root, "as1");
    g_atomic_int_set(&sw->nr_spaces, 2);
    for (unsigned i = 0; i < READERS; i++) {
        readers[i] = (SwitchReader){.sw = sw, .id = i};
        threads[i] = g_thread_new("reader", switch_reader_main, &readers[i]);
    }
    /* every reader runs before the commits begin (a loaded machine may
     * otherwise run them all first) */
    while (g_atomic_int_get(&sw->started) < READERS) {
        g_usleep(100);
    }
    for (unsigned i = 0; i < SW_ITERS; i++) {
        if (i == SW_ITERS / 2) {
            sw->spaces[2] = tree_as(&sw->t, sw->t.root, "as2");
            g_atomic_int_set(&sw->nr_spaces, 3);
        }
        switch (i % 3) {
        case 0:
            tree_add(sw->t.root, SW_BASE, a);
            break;
        case 1: /* A to B in one commit */
            memory_region_transaction_begin();
            tree_del(sw->t.root, a);
            tree_add(sw->t.root, SW_BASE, b);
            memory_region_transaction_commit();
            break;
        default:
            tree_del(sw->t.root, b);
            break;
        }
        if (i % 64 == 0) {
            g_usleep(50); /* let grace periods end among the commits */
        }
    }
    g_atomic_int_set(&sw->stop, 1);
    for (unsigned i = 0; i < READERS; i++) {
        g_thread_join(threads[i]);
        g_assert_cmpuint(readers[i].bad, ==, 0);
        g_assert_cmpuint(readers[i].loads, >, 0);
    }
    /* each space answers from the last view: a hole */
    for (unsigned i = 0; i < 3; i++) {
        g_assert_true(switch_load_ok(sw->spaces[i], 0));
        g_assert_cmphex(address_space_ldl_le(sw->spaces[i], SW_BASE,
                                             MEMTXATTRS_UNSPECIFIED, NULL),
                        ==, 0);
    }
    tree_teardown(&sw->t, NULL);
    g_free(sw);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/flatview/concurrency/readers-see-whole-views",
                    test_readers_see_whole_views);
    g_test_add_func("/flatview/concurrency/index-switch-under-commits",
                    test_index_switch_under_commits);
    return g_test_run();
}
