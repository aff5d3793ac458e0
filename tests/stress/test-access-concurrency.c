/* SPDX-License-Identifier: MIT */
/*
 * Access-path concurrency stress test (issue 4). --threads T threads read
 * and write RAM and MMIO through an AddressSpace (buffer reads and writes
 * crossing sections, typed loads and stores of every size and byte order)
 * while a writer thread adds, removes, moves, disables and enables RAM
 * regions and plugs and unplugs MMIO devices, one transaction per
 * generation.
 *
 * The writer walks a precomputed cycle of PERIOD configurations (a model:
 * where each region sits in a window of grains, whether it is enabled, and
 * which device, by id, is plugged), so a reader can compute what any
 * address shows in any generation. Every byte is a signature: RAM region r
 * at offset o holds ram_byte(r, o), device d answers mmio_byte(d, o) (the
 * device id in the high bits of the hash input), holes read 0. A reader
 * brackets each access with the writer's sequence counter (odd while a
 * transaction commits) and checks that the whole access -- data and
 * MemTxResult -- is exactly what ONE generation in that bracket shows.
 * One access runs on one FlatView, so mixing two is a bug, as are garbage,
 * poison (plain build) and reads of freed memory (ASan).
 *
 * Writes: each grain has a scratch zone, one 8-byte slot per thread; the
 * thread writes increasing tagged 32-bit values to one or both halves of
 * its slot (stl, stq, buffer writes), at any grain, and reads them back
 * (ldl, ldq, buffer reads). A slot half in RAM only ever holds 0 or a
 * value its thread wrote; a read-back in the same stable generation as the
 * write returns it exactly; after the run, each RAM slot half holds the
 * last value written there with MEMTX_OK in a stable generation, or a
 * later one (nothing lost). Reads never touch other threads' slots (no
 * data race for TSan to report that the test itself made).
 *
 * Devices embed a MemoryOwner; unplug is del_subregion + unref of the
 * board's reference, replug maps a fresh device. Callbacks check the
 * device's magic and count themselves in flight; the release callback
 * checks that the device was unplugged and no callback is in flight, then
 * poisons and frees it (stress_poison_free), so a later callback sees the
 * poison (plain build) or ASan reports it. Every device made is released.
 *
 * Three g_test cases, one per writer repertoire: RAM only, MMIO only, both.
 * Usage: test-access-concurrency [--threads T] [--seconds S] [g_test
 * options]; S per case (default 1; STRESS_LONG=1 makes it at least 20).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "stress-common.h"

#define GRAIN         0x400u /* placement unit: regions sit on grains */
#define WINDOW_GRAINS 16
#define BASE          0x10000u /* the window's address in the space */
#define WINDOW        (WINDOW_GRAINS * GRAIN)
#define SCRATCH_OFF   0x1e0u /* per grain: thread slots, not signatures */
#define MAX_THREADS   8
#define SCRATCH_END   (SCRATCH_OFF + 8 * MAX_THREADS)
#define MAX_READ      256 /* buffer reads: up to this many bytes */
#define NRAM          3
#define RAM_GRAINS    2
#define NDEV          3
#define DEV_GRAINS    1
#define NOBJ          (NRAM + NDEV)
#define PERIOD        256 /* configurations in the writer's cycle */
#define DEV_MAGIC     0x41434456u
#define U             MEMTXATTRS_UNSPECIFIED

enum { MODE_RAM = 1, MODE_MMIO = 2, MODE_MIXED = 3 };

/* Where one region is in one configuration. */
typedef struct ObjState {
    int8_t grain; /* first grain in the window, -1: not mapped */
    bool enabled;
    int16_t birth; /* devices: cycle index of the plug, -1: none */
} ObjState;

typedef struct Config {
    ObjState obj[NOBJ]; /* RAM regions, then device slots */
} Config;

typedef struct Dev {
    MemoryOwner owner;
    MemoryRegion mmio;
    uint32_t magic;
    uint64_t id;
    int inflight;  /* callbacks running now */
    int unplugged; /* the board dropped it */
} Dev;

static Config confs[PERIOD];
static StressOptions opts = {.readers = 3, .writers = 1, .seconds = 1};

/* The run of one test case. */
static MemoryRegion root;
static AddressSpace as;
static MemoryRegion ram[NRAM];
static Dev *plugged[NDEV]; /* writer only */
static uint64_t seq;       /* 2g: generation g is published; 2g+1: g -> g+1 */
static int stop;
static gint violations, devs_created, devs_released;

#define VIOLATION(...)                                              \
    do {                                                            \
        g_atomic_int_inc(&violations);                              \
        stress_report_violation("access-concurrency", __VA_ARGS__); \
    } while (0)

static uint64_t obj_size(unsigned o)
{
    return (o < NRAM ? RAM_GRAINS : DEV_GRAINS) * (uint64_t)GRAIN;
}

static bool in_scratch(uint64_t offset)
{
    return offset % GRAIN >= SCRATCH_OFF && offset % GRAIN < SCRATCH_END;
}

static uint8_t ram_byte(unsigned r, uint64_t offset)
{
    return (uint8_t)stress_mix64(((uint64_t)r + 1) << 32 | offset);
}

static uint8_t mmio_byte(uint64_t id, uint64_t offset)
{
    return (uint8_t)(stress_mix64(UINT64_C(1) << 63 | id << 20 | offset) >> 8);
}

static const Config *config_of(uint64_t g)
{
    return &confs[g % PERIOD];
}

/* Id of the device in slot @j at generation @g (0: none); unique. */
static uint64_t dev_id(uint64_t g, unsigned j)
{
    const ObjState *s = &config_of(g)->obj[NRAM + j];

    if (s->birth < 0) {
        return 0;
    }
    return ((g / PERIOD) * PERIOD + (uint64_t)s->birth) * NDEV + j + 1;
}

/* ---- The cycle of configurations ---------------------------------------- */

static int free_grain(const Config *c, unsigned o, GRand *rand)
{
    int cand[WINDOW_GRAINS], n = 0;
    int size = (int)(obj_size(o) / GRAIN);

    for (int p = 0; p + size <= WINDOW_GRAINS; p++) {
        bool ok = true;

        for (unsigned q = 0; q < NOBJ && ok; q++) {
            int qs = (int)(obj_size(q) / GRAIN), g = c->obj[q].grain;

            ok = q == o || g < 0 || p + size <= g || g + qs <= p;
        }
        if (ok && p != c->obj[o].grain) {
            cand[n++] = p;
        }
    }
    return n ? cand[g_rand_int_range(rand, 0, n)] : -1;
}

/* One random change of @c allowed by @mode; false if it found none. */
static bool mutate(Config *c, unsigned mode, unsigned index, GRand *rand)
{
    unsigned lo = mode & MODE_RAM ? 0 : NRAM;
    unsigned hi = mode & MODE_MMIO ? NOBJ : NRAM;
    unsigned o = (unsigned)g_rand_int_range(rand, (gint32)lo, (gint32)hi);
    ObjState *s = &c->obj[o];
    int p;

    if (s->grain < 0) { /* add, or plug a fresh device */
        p = free_grain(c, o, rand);
        if (p < 0) {
            return false;
        }
        s->grain = (int8_t)p;
        if (o >= NRAM) {
            s->birth = (int16_t)index;
            s->enabled = g_rand_int_range(rand, 0, 4) != 0;
        }
        return true;
    }
    switch (g_rand_int_range(rand, 0, 3)) {
    case 0: /* remove, or unplug */
        s->grain = -1;
        s->birth = -1;
        return true;
    case 1: /* move */
        p = free_grain(c, o, rand);
        if (p < 0) {
            return false;
        }
        s->grain = (int8_t)p;
        return true;
    default:
        s->enabled = !s->enabled;
        return true;
    }
}

/*
 * Configuration 0: RAM regions at their home grains with holes between,
 * no device. Every device is plugged inside the cycle and unplugged by the
 * step back to configuration 0, so dev_id() can name it.
 */
static void make_configs(unsigned mode, uint32_t seed)
{
    GRand *rand = g_rand_new_with_seed(seed);

    for (unsigned o = 0; o < NOBJ; o++) {
        confs[0].obj[o] = (ObjState){
            .grain = (int8_t)(o < NRAM ? (int)o * (RAM_GRAINS + 1) : -1),
            .enabled = true,
            .birth = -1,
        };
    }
    for (unsigned i = 1; i < PERIOD; i++) {
        unsigned changes = g_rand_int_range(rand, 0, 4) ? 1 : 3;

        confs[i] = confs[i - 1];
        for (unsigned n = 0; n < changes;) {
            n += mutate(&confs[i], mode, i, rand);
        }
    }
    g_rand_free(rand);
}

/* ---- Devices ----------------------------------------------------------- */

static uint64_t dev_read(void *opaque, hwaddr offset, unsigned size)
{
    Dev *d = opaque;
    uint64_t v = 0;

    if (__atomic_load_n(&d->magic, __ATOMIC_RELAXED) != DEV_MAGIC) {
        VIOLATION("MMIO read of a released device (magic 0x%08x)",
                  __atomic_load_n(&d->magic, __ATOMIC_RELAXED));
        return 0;
    }
    __atomic_fetch_add(&d->inflight, 1, __ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < size; i++) { /* little endian */
        v |= (uint64_t)mmio_byte(d->id, offset + i) << (8 * i);
    }
    __atomic_fetch_sub(&d->inflight, 1, __ATOMIC_SEQ_CST);
    return v;
}

static void dev_write(void *opaque, hwaddr offset, uint64_t data, unsigned size)
{
    Dev *d = opaque;

    (void)data;
    if (__atomic_load_n(&d->magic, __ATOMIC_RELAXED) != DEV_MAGIC) {
        VIOLATION("MMIO write to a released device");
        return;
    }
    __atomic_fetch_add(&d->inflight, 1, __ATOMIC_SEQ_CST);
    /* threads write only their slots: anything else was misrouted */
    if (!in_scratch(offset) || !in_scratch(offset + size - 1u)) {
        VIOLATION("device %" PRIu64 ": write of %u bytes at 0x%" PRIx64, d->id,
                  size, offset);
    }
    __atomic_fetch_sub(&d->inflight, 1, __ATOMIC_SEQ_CST);
}

/* Little endian, any size and alignment (split into aligned 1-4 byte
 * callbacks by the dispatcher). */
static const MemoryRegionOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

static void dev_release(MemoryOwner *owner)
{
    Dev *d = (Dev *)(void *)owner; /* owner is the first member */

    if (!__atomic_load_n(&d->unplugged, __ATOMIC_SEQ_CST)) {
        VIOLATION("device %" PRIu64 " released while plugged", d->id);
    }
    if (__atomic_load_n(&d->inflight, __ATOMIC_SEQ_CST) != 0) {
        VIOLATION("device %" PRIu64 " released with a callback in flight",
                  d->id);
    }
    memory_region_finalize(&d->mmio);
    g_atomic_int_inc(&devs_released);
    stress_poison_free(d, sizeof(*d));
}

static Dev *dev_new(uint64_t id)
{
    Dev *d = g_new0(Dev, 1);
    char name[32];
    GError *err = NULL;

    g_snprintf(name, sizeof(name), "dev%" PRIu64, id);
    d->magic = DEV_MAGIC;
    d->id = id;
    memory_owner_init(&d->owner, name, dev_release);
    if (!memory_region_init_io(&d->mmio, &d->owner, &dev_ops, d, name,
                               obj_size(NRAM), &err)) {
        g_error("%s", err->message);
    }
    /* lock-free callbacks: they run while the writer commits, which the
     * big lock (taken by commits) would exclude */
    memory_region_clear_global_locking(&d->mmio);
    /* the readers' model ends every access at a region's end (QEMU would
     * hand the device the bytes past it): the mmio-bounds opt-in */
    memory_region_enable_bounds_check(&d->mmio);
    g_atomic_int_inc(&devs_created);
    return d;
}

/* ---- The writer -------------------------------------------------------- */

static void must(bool ok, GError *err)
{
    if (!ok) {
        g_error("topology change: %s", err ? err->message : "?");
    }
}

static void place(MemoryRegion *mr, const ObjState *a, const ObjState *b)
{
    GError *err = NULL;

    if (a->grain >= 0 && b->grain < 0) {
        must(memory_region_del_subregion(&root, mr, &err), err);
    }
    if (a->enabled != b->enabled) {
        memory_region_set_enabled(mr, b->enabled);
    }
    if (a->grain < 0 && b->grain >= 0) {
        must(memory_region_add_subregion(&root, BASE + b->grain * GRAIN, mr,
                                         &err),
             err);
    } else if (a->grain >= 0 && b->grain >= 0 && a->grain != b->grain) {
        must(memory_region_set_address(mr, BASE + b->grain * GRAIN, &err), err);
    }
}

static void unplug(unsigned j)
{
    GError *err = NULL;

    must(memory_region_del_subregion(&root, &plugged[j]->mmio, &err), err);
    __atomic_store_n(&plugged[j]->unplugged, 1, __ATOMIC_SEQ_CST);
    memory_owner_unref(&plugged[j]->owner); /* the views keep it meanwhile */
    plugged[j] = NULL;
}

/* Turn generation @g's tree into generation @g + 1's (update lock held). */
static void apply(uint64_t g)
{
    const Config *a = config_of(g), *b = config_of(g + 1);
    static const ObjState absent = {.grain = -1, .enabled = true};

    for (unsigned r = 0; r < NRAM; r++) {
        place(&ram[r], &a->obj[r], &b->obj[r]);
    }
    for (unsigned j = 0; j < NDEV; j++) {
        uint64_t ida = dev_id(g, j), idb = dev_id(g + 1, j);
        const ObjState *sa = &a->obj[NRAM + j], *sb = &b->obj[NRAM + j];

        if (ida && ida != idb) {
            unplug(j);
        }
        if (idb && ida != idb) {
            plugged[j] = dev_new(idb);
            place(&plugged[j]->mmio, &absent, sb);
        } else if (idb) {
            place(&plugged[j]->mmio, sa, sb);
        }
    }
}

static gpointer writer_main(gpointer opaque)
{
    uint64_t *generations = opaque, start = stress_now_ns(), g;

    rcu_register_thread();
    for (g = 0; !stress_should_stop(&opts, g, start); g++) {
        __atomic_store_n(&seq, 2 * g + 1, __ATOMIC_SEQ_CST);
        memory_region_transaction_begin();
        apply(g);
        memory_region_transaction_commit();
        __atomic_store_n(&seq, 2 * g + 2, __ATOMIC_SEQ_CST);
        stress_writer_pause(); /* many grace periods: late readers show */
    }
    *generations = g;
    rcu_unregister_thread();
    return NULL;
}

/* ---- Readers ------------------------------------------------------------ */

/* What address @addr shows in generation @g. */
typedef struct Hit {
    int obj;        /* -1: hole */
    uint64_t id;    /* devices */
    uint64_t start; /* address of the region's first byte */
} Hit;

static Hit lookup(uint64_t g, hwaddr addr)
{
    const Config *c = config_of(g);

    for (unsigned o = 0; o < NOBJ; o++) {
        const ObjState *s = &c->obj[o];
        uint64_t start = BASE + (uint64_t)s->grain * GRAIN;

        if (s->grain >= 0 && s->enabled && addr >= start &&
            addr - start < obj_size(o)) {
            return (Hit){.obj = (int)o,
                         .id = o < NRAM ? 0 : dev_id(g, o - NRAM),
                         .start = start};
        }
    }
    return (Hit){.obj = -1};
}

static uint8_t hit_byte(const Hit *h, hwaddr addr)
{
    return h->obj < NRAM ? ram_byte((unsigned)h->obj, addr - h->start)
                         : mmio_byte(h->id, addr - h->start);
}

typedef struct Reader {
    unsigned id;
    GRand *rand;
    uint64_t next;  /* sequence number of the next value written */
    uint32_t *last; /* [NRAM][RAM_GRAINS][2]: last stable OK write */
    uint64_t accesses, racing, writes_ok;
} Reader;

/*
 * The generations an access bracketed by @p0 and @p1 (seq before and
 * after) may have used. The writer stores 2g only after generation g's
 * view is published, so the access saw g = @p0 / 2 or later; it stores
 * 2g + 1 before publishing g + 1, so a view the access saw is at most
 * (@p1 + 1) / 2 (the view's release store happens before @p1's load).
 */
static void bracket(uint64_t p0, uint64_t p1, uint64_t *lo, uint64_t *hi)
{
    *lo = p0 / 2;
    *hi = (p1 + 1) / 2;
}

/* Whether a buffer read of @len bytes at @addr matches generation @g. */
static bool buffer_matches(uint64_t g, hwaddr addr, const uint8_t *buf,
                           unsigned len, MemTxResult res)
{
    MemTxResult want = MEMTX_OK;

    for (unsigned i = 0; i < len; i++) {
        Hit h = lookup(g, addr + i);
        uint8_t b = h.obj < 0 ? 0 : hit_byte(&h, addr + i);

        if (h.obj < 0) {
            want = MEMTX_DECODE_ERROR;
        }
        if (buf[i] != b) {
            return false;
        }
    }
    return res == want;
}

/* Whether a typed load matches generation @g: the region that decodes
 * the first byte must hold all of them, else 0 and a decode error. */
static bool load_matches(uint64_t g, hwaddr addr, unsigned size, bool big,
                         uint64_t val, MemTxResult res)
{
    Hit h = lookup(g, addr);
    uint64_t want = 0;

    if (h.obj < 0 || addr + size - h.start > obj_size((unsigned)h.obj)) {
        return val == 0 && res == MEMTX_DECODE_ERROR;
    }
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = hit_byte(&h, addr + (big ? i : size - 1 - i));

        want = want << 8 | b;
    }
    return val == want && res == MEMTX_OK;
}

/* A read range that avoids every scratch zone (others' slots). */
static hwaddr pick_range(Reader *r, unsigned len)
{
    for (;;) {
        hwaddr a = BASE - 64 + g_rand_int_range(r->rand, 0, WINDOW + 128);
        hwaddr s = (a - BASE) % GRAIN, e = s + len; /* relative to a grain */

        if (a < BASE || ((s >= SCRATCH_END || e <= SCRATCH_OFF) &&
                         (e <= GRAIN + SCRATCH_OFF))) {
            return a;
        }
    }
}

static void read_buffer(Reader *r)
{
    unsigned len = (unsigned)g_rand_int_range(r->rand, 1, MAX_READ + 1);
    hwaddr addr = pick_range(r, len);
    uint8_t buf[MAX_READ];
    uint64_t p0, p1, lo, hi;
    MemTxResult res;

    p0 = __atomic_load_n(&seq, __ATOMIC_SEQ_CST);
    res = address_space_read(&as, addr, U, buf, len);
    p1 = __atomic_load_n(&seq, __ATOMIC_SEQ_CST);
    bracket(p0, p1, &lo, &hi);
    r->racing += lo != hi;
    for (uint64_t g = lo; g <= hi; g++) {
        if (buffer_matches(g, addr, buf, len, res)) {
            return;
        }
    }
    VIOLATION("thread %u: read of %u bytes at 0x%" PRIx64
              " (result %u, first byte 0x%02x) matches no generation in "
              "%" PRIu64 "..%" PRIu64,
              r->id, len, addr, res, buf[0], lo, hi);
}

static uint64_t typed_load(hwaddr addr, unsigned size, bool big,
                           MemTxResult *res)
{
    switch (size) {
    case 1:
        return address_space_ldub(&as, addr, U, res);
    case 2:
        return big ? address_space_lduw_be(&as, addr, U, res)
                   : address_space_lduw_le(&as, addr, U, res);
    case 4:
        return big ? address_space_ldl_be(&as, addr, U, res)
                   : address_space_ldl(&as, addr, U, res); /* target: le */
    default:
        return big ? address_space_ldq_be(&as, addr, U, res)
                   : address_space_ldq_le(&as, addr, U, res);
    }
}

static void read_typed(Reader *r)
{
    unsigned size = 1u << g_rand_int_range(r->rand, 0, 4);
    bool big = g_rand_boolean(r->rand);
    hwaddr addr = pick_range(r, size);
    uint64_t p0, p1, lo, hi, val;
    MemTxResult res;

    if (g_rand_boolean(r->rand)) {
        addr &= ~(hwaddr)(size - 1); /* aligned half of the time */
    }
    p0 = __atomic_load_n(&seq, __ATOMIC_SEQ_CST);
    val = typed_load(addr, size, big, &res);
    p1 = __atomic_load_n(&seq, __ATOMIC_SEQ_CST);
    bracket(p0, p1, &lo, &hi);
    r->racing += lo != hi;
    for (uint64_t g = lo; g <= hi; g++) {
        if (load_matches(g, addr, size, big, val, res)) {
            return;
        }
    }
    VIOLATION("thread %u: %u-byte %s load at 0x%" PRIx64 " gave 0x%" PRIx64
              " (result %u), matching no generation in %" PRIu64 "..%" PRIu64,
              r->id, size, big ? "be" : "le", addr, val, res, lo, hi);
}

/*
 * A thread's 8-byte slot is two 4-byte halves, each holding 0 or a value
 * of the thread: TAG32(thread) | a 24-bit sequence number, so that stl
 * (one half) and stq (both halves, the same value) keep every half
 * self-describing.
 */
#define TAG32(thread) ((uint32_t)((thread) + 1) << 24)
#define SEQ_MAX       0xffffffu

/* Whether @x can be in a half of thread @r's slot: 0 or a value of ours. */
static bool half_is_ours(const Reader *r, uint32_t x)
{
    return x == 0 || (x >> 24 == r->id + 1 && (x & SEQ_MAX) != 0 &&
                      (x & SEQ_MAX) < r->next);
}

/*
 * Whether reading @len (4 or 8) bytes of this thread's slot at @addr gave
 * what generation @g allows: in RAM each half read is ours (@exact: the
 * halves in @mask hold @val, just written in the same generation), a
 * device answers its signature, a hole 0.
 */
static bool slot_matches(const Reader *r, uint64_t g, hwaddr addr, unsigned len,
                         uint64_t back, MemTxResult res, bool exact,
                         unsigned mask, uint32_t val)
{
    Hit h = lookup(g, addr);
    unsigned first = (unsigned)(addr % 8) / 4;

    if (h.obj < 0 || h.obj >= NRAM) {
        return load_matches(g, addr, len, false, back, res);
    }
    if (res != MEMTX_OK) {
        return false;
    }
    for (unsigned i = 0; i < len / 4; i++) {
        uint32_t x = (uint32_t)(back >> (32 * i));
        bool written = mask & (1u << (first + i));

        if (exact && written ? x != val : !half_is_ours(r, x)) {
            return false;
        }
    }
    return true;
}

/* Write @val to the halves of the slot at @slot given by @mask (1, 2: one
 * half; 3: both) with a typed store or a buffer write. */
static MemTxResult slot_write(Reader *r, hwaddr slot, unsigned mask,
                              uint32_t val)
{
    hwaddr addr = slot + (mask == 2 ? 4 : 0);
    unsigned len = mask == 3 ? 8 : 4;
    MemTxResult res;
    uint8_t buf[8];

    if (g_rand_boolean(r->rand)) {
        for (unsigned i = 0; i < len; i++) {
            buf[i] = (uint8_t)(val >> (8 * (i % 4)));
        }
        return address_space_write(&as, addr, U, buf, len);
    }
    if (len == 8) {
        address_space_stq_le(&as, addr, (uint64_t)val << 32 | val, U, &res);
    } else {
        address_space_stl(&as, addr, val, U, &res); /* target order: le */
    }
    return res;
}

/* Read @len bytes of the slot at @addr back as a little-endian value. */
static uint64_t slot_read(Reader *r, hwaddr addr, unsigned len,
                          MemTxResult *res)
{
    uint64_t back = 0;
    uint8_t buf[8];

    if (g_rand_boolean(r->rand)) {
        return len == 8 ? address_space_ldq_le(&as, addr, U, res)
                        : address_space_ldl_le(&as, addr, U, res);
    }
    *res = address_space_read(&as, addr, U, buf, len);
    for (unsigned i = len; i-- > 0;) {
        back = back << 8 | buf[i];
    }
    return back;
}

static void write_slot(Reader *r)
{
    unsigned grain = (unsigned)g_rand_int_range(r->rand, 0, WINDOW_GRAINS);
    hwaddr slot = BASE + grain * GRAIN + SCRATCH_OFF + 8 * r->id;
    unsigned mask = (unsigned)g_rand_int_range(r->rand, 1, 4);
    unsigned rlen = g_rand_boolean(r->rand) ? 8 : 4;
    hwaddr raddr = slot + (rlen == 4 && mask == 2 ? 4 : 0);
    uint32_t val = TAG32(r->id) | (uint32_t)r->next;
    uint64_t p0, p1, p2, lo, hi, back, g;
    bool stable;
    MemTxResult res;

    if (r->next > SEQ_MAX) {
        read_typed(r); /* out of sequence numbers */
        return;
    }
    r->next++;
    p0 = __atomic_load_n(&seq, __ATOMIC_SEQ_CST);
    res = slot_write(r, slot, mask, val);
    p1 = __atomic_load_n(&seq, __ATOMIC_SEQ_CST);
    bracket(p0, p1, &lo, &hi);
    r->racing += lo != hi;
    for (g = lo; g <= hi; g++) {
        Hit h = lookup(g, slot);

        if (res == (h.obj < 0 ? MEMTX_DECODE_ERROR : MEMTX_OK)) {
            break;
        }
    }
    if (g > hi) {
        VIOLATION("thread %u: write at 0x%" PRIx64 ": result %u matches no "
                  "generation in %" PRIu64 "..%" PRIu64,
                  r->id, slot, res, lo, hi);
    }
    stable = lo == hi;
    if (stable && res == MEMTX_OK) {
        Hit h = lookup(lo, slot);

        if (h.obj >= 0 && h.obj < NRAM) {
            uint64_t k = (slot - h.start) / GRAIN;

            for (unsigned half = 0; half < 2; half++) {
                if (mask & (1u << half)) {
                    r->last[(h.obj * RAM_GRAINS + k) * 2 + half] = val;
                }
            }
            r->writes_ok++;
        }
    }

    back = slot_read(r, raddr, rlen, &res);
    p2 = __atomic_load_n(&seq, __ATOMIC_SEQ_CST);
    bracket(p1, p2, &lo, &hi);
    for (g = lo; g <= hi; g++) {
        /* in the stable generation of the write: exactly our value */
        bool exact = stable && lo == hi && g == p0 / 2;

        if (slot_matches(r, g, raddr, rlen, back, res, exact, mask, val)) {
            return;
        }
    }
    VIOLATION("thread %u: wrote 0x%08x (halves %u) at 0x%" PRIx64
              ", read back %u bytes: 0x%" PRIx64 " (result %u), "
              "generations %" PRIu64 "..%" PRIu64,
              r->id, val, mask, slot, rlen, back, res, lo, hi);
}

static void reader_once(void *arg)
{
    Reader *r = arg;

    switch (g_rand_int_range(r->rand, 0, 4)) {
    case 0:
    case 1:
        read_buffer(r);
        break;
    case 2:
        read_typed(r);
        break;
    default:
        write_slot(r);
        break;
    }
    r->accesses++;
}

static gpointer reader_main(gpointer arg)
{
    stress_reader_loop(reader_once, arg,
                       stress_oversubscribed(opts.readers + 1), &stop);
    return NULL;
}

/* ---- One run ---------------------------------------------------------- */

static void world_init(void)
{
    GError *err = NULL;

    memset(&root, 0, sizeof(root));
    memset(&as, 0, sizeof(as));
    memset(ram, 0, sizeof(ram));
    must(memory_region_init(&root, NULL, "root", UINT64_MAX, &err), err);
    for (unsigned r = 0; r < NRAM; r++) {
        char name[16];
        uint8_t *host;

        g_snprintf(name, sizeof(name), "ram%u", r);
        must(memory_region_init_ram(&ram[r], NULL, name, obj_size(r), &err),
             err);
        host = memory_region_get_ram_ptr(&ram[r]);
        for (uint64_t o = 0; o < obj_size(r); o++) {
            host[o] = in_scratch(o) ? 0 : ram_byte(r, o);
        }
        place(&ram[r], &(ObjState){.grain = -1, .enabled = true},
              &confs[0].obj[r]);
    }
    must(address_space_init(&as, &root, "access-concurrency", &err), err);
    seq = 0;
    stop = 0;
}

static void world_destroy(void)
{
    for (unsigned j = 0; j < NDEV; j++) {
        if (plugged[j]) {
            unplug(j);
        }
    }
    address_space_destroy(&as);
    /* the views, and the releases their last owner references queue */
    drain_call_rcu();
    for (unsigned r = 0; r < NRAM; r++) {
        memory_region_finalize(&ram[r]);
    }
    memory_region_finalize(&root);
}

/* Nothing lost: each half of a RAM slot holds its thread's last stable
 * OK write, or a later value of that thread. */
static void check_slots(const Reader *readers)
{
    for (unsigned r = 0; r < NRAM; r++) {
        const uint8_t *host = memory_region_get_ram_ptr(&ram[r]);

        for (unsigned k = 0; k < RAM_GRAINS; k++) {
            for (unsigned t = 0; t < opts.readers; t++) {
                for (unsigned half = 0; half < 2; half++) {
                    const Reader *rd = &readers[t];
                    uint32_t last = rd->last[(r * RAM_GRAINS + k) * 2 + half];
                    uint32_t x;

                    memcpy(&x,
                           host + k * GRAIN + SCRATCH_OFF + 8 * t + 4 * half,
                           4);
                    x = GUINT32_FROM_LE(x);
                    if (x == last || (half_is_ours(rd, x) && x > last)) {
                        continue;
                    }
                    VIOLATION("ram%u grain %u thread %u half %u: last write "
                              "0x%08x with MEMTX_OK, the slot holds 0x%08x",
                              r, k, t, half, last, x);
                }
            }
        }
    }
}

static void run_case(gconstpointer data)
{
    unsigned mode = GPOINTER_TO_UINT(data);
    Reader readers[MAX_THREADS];
    GThread *threads[MAX_THREADS], *writer;
    uint64_t generations = 0, accesses = 0, racing = 0, writes_ok = 0;

    g_atomic_int_set(&violations, 0);
    g_atomic_int_set(&devs_created, 0);
    g_atomic_int_set(&devs_released, 0);
    make_configs(mode, 4 + mode);
    world_init();
    for (unsigned t = 0; t < opts.readers; t++) {
        readers[t] = (Reader){
            .id = t,
            .rand = g_rand_new_with_seed(mode * 100 + t),
            .next = 1,
            .last = g_new0(uint32_t, NRAM * RAM_GRAINS * 2),
        };
        threads[t] = g_thread_new("reader", reader_main, &readers[t]);
    }
    writer = g_thread_new("writer", writer_main, &generations);
    g_thread_join(writer);
    g_atomic_int_set(&stop, 1);
    for (unsigned t = 0; t < opts.readers; t++) {
        g_thread_join(threads[t]);
    }
    check_slots(readers);
    world_destroy();
    for (unsigned t = 0; t < opts.readers; t++) {
        accesses += readers[t].accesses;
        racing += readers[t].racing;
        writes_ok += readers[t].writes_ok;
        g_rand_free(readers[t].rand);
        g_free(readers[t].last);
    }
    g_test_message("%u threads, %" PRIu64 " generations, %" PRIu64
                   " accesses (%" PRIu64 " racing a commit, %" PRIu64
                   " stable RAM writes), %d devices",
                   opts.readers, generations, accesses, racing, writes_ok,
                   g_atomic_int_get(&devs_created));
    g_assert_cmpint(g_atomic_int_get(&violations), ==, 0);
    g_assert_cmpint(g_atomic_int_get(&devs_released), ==,
                    g_atomic_int_get(&devs_created));
    /* the run did something: the writer cycled, readers were checked */
    g_assert_cmpuint(generations, >=, 50);
    g_assert_cmpuint(accesses, >=, 1000);
    if (mode & MODE_MMIO) {
        g_assert_cmpint(g_atomic_int_get(&devs_created), >=, 5);
    }
    if (mode & MODE_RAM) {
        g_assert_cmpuint(writes_ok, >, 0);
    }
}

/* --threads T and --seconds S (removed from argv); g_test takes the rest. */
static void parse_args(int *argc, char **argv)
{
    int out = 1;

    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        char *end = NULL;

        if ((!strcmp(a, "--threads") || !strcmp(a, "--seconds")) &&
            i + 1 < *argc) {
            if (a[2] == 't') {
                long t = strtol(argv[++i], &end, 10);

                if (*end || t < 1 || t > MAX_THREADS) {
                    fprintf(stderr, "--threads: 1 to %d\n", MAX_THREADS);
                    exit(STRESS_EXIT_USAGE);
                }
                opts.readers = (unsigned)t;
            } else {
                opts.seconds = strtod(argv[++i], &end);
                if (*end || !(opts.seconds > 0)) {
                    fprintf(stderr, "--seconds: a positive number\n");
                    exit(STRESS_EXIT_USAGE);
                }
            }
            continue;
        }
        argv[out++] = argv[i];
    }
    *argc = out;
    argv[out] = NULL;
    if (g_strcmp0(g_getenv("STRESS_LONG"), "1") == 0) {
        opts.seconds = MAX(opts.seconds, 20);
    }
}

int main(int argc, char **argv)
{
    parse_args(&argc, argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/access/concurrency/ram", GUINT_TO_POINTER(MODE_RAM),
                         run_case);
    g_test_add_data_func("/access/concurrency/mmio",
                         GUINT_TO_POINTER(MODE_MMIO), run_case);
    g_test_add_data_func("/access/concurrency/mixed",
                         GUINT_TO_POINTER(MODE_MIXED), run_case);
    return g_test_run();
}
