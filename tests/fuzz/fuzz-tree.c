/* SPDX-License-Identifier: MIT */
/*
 * Tree fuzzer. The input bytes drive a sequence of region creations
 * (containers, RAM, ROM, ROM devices, MMIO testdevs with arbitrary
 * valid/impl constraints and endianness, reservations, aliases of
 * anything), tree mutations (add with and without overlap, del,
 * set_address, set_enabled, set_readonly, set_nonvolatile,
 * set_alias_offset, set_size, set_romd), nested transactions and commits,
 * then guest accesses (buffer reads and writes of any length, typed loads
 * and stores of every size and byte order, any attrs, map/unmap of any
 * length) anywhere in the 2^64 space.
 *
 * Checked: every set-up call's outcome (success, or the GError code the
 * model predicts: BUSY, INVALID, CYCLE, NOT_FOUND); after every commit
 * the FlatView, address by address, against the naive reference resolver
 * of tests/unit/render-reference.h, plus its own invariants (sorted,
 * disjoint, maximally merged); byte loads against the model (RAM-backed
 * regions give their memory, holes 0 with MEMTX_DECODE_ERROR); and every
 * MMIO callback against the callback bounds invariant of docs/design.md §5.2
 * (testdev counts violations; ROM-device callbacks are checked here).
 * A second AddressSpace keeps a RAM region and a testdev at the very top
 * of the 2^64 space for accesses that would wrap.
 */
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "fuzz-common.h"
#ifdef FUZZ_LIBFUZZER
/* the model and the comparison with it, the oracle rather than code under
 * test: no coverage, no traced compares, no sanitizer checks (the unit
 * tests run the same model under ASan and UBSan) */
#define REF_ORACLE \
    __attribute__((no_sanitize("coverage", "address", "undefined")))
#else
#define REF_ORACLE
#endif
#include "render-reference.h"
#include "testdev.h"

#define SPACE   0x1000u     /* the root container */
#define LIMIT   (2 * SPACE) /* every region ends below */
#define MAX_OPS 200
/* Views compared with the model per input (a check walks all LIMIT
 * addresses through the model: most of an input's time); the last view is
 * always compared. The libFuzzer build compares fewer, for speed. */
#ifdef FUZZ_LIBFUZZER
#define MAX_CHECKS 3
#else
#define MAX_CHECKS 12
#endif

typedef struct State {
    RefTree t;
    TestDev *dev[REF_MAX_REGIONS]; /* K_IO nodes */
    AddressSpace as;
    uint64_t seq;
    int depth;      /* open transactions */
    int checks;     /* views compared with the model, bounded per input */
    bool ans_fresh; /* ans matches the current view */
    Answer ans[LIMIT];
    /* the top of the space */
    MemoryRegion top_root, top_ram;
    TestDev *top_dev;
    AddressSpace top_as;
} State;

/* ROM-device callbacks: sizes 1 to 4 (QEMU's default impl rule) and, for
 * those that opted in to mmio-bounds, the bounds invariant (as in QEMU the
 * others may get bytes past their end). */
static void check_romd_callback(void *opaque, hwaddr offset, unsigned size)
{
    MemoryRegion *mr = opaque;
    uint64_t len = memory_region_size(mr); /* UINT64_MAX: 2^64 */
    bool bounded = __atomic_load_n(&mr->priv.bounds_check, __ATOMIC_RELAXED);

    if (size == 0 || (size & (size - 1)) || size > 4 ||
        (bounded && (offset > len - 1 || size - 1 > len - 1 - offset))) {
        fuzz_fail("ROM device %s: callback at 0x%" PRIx64 " size %u, region "
                  "size 0x%" PRIx64,
                  memory_region_name(mr), offset, size, len);
    }
}

static uint64_t romd_read(void *opaque, hwaddr offset, unsigned size)
{
    check_romd_callback(opaque, offset, size);
    return 0x5a5a5a5a5a5a5a5aull;
}

static void romd_write(void *opaque, hwaddr offset, uint64_t value,
                       unsigned size)
{
    (void)value;
    check_romd_callback(opaque, offset, size);
}

static const MemoryRegionOps romd_ops = {
    .read = romd_read,
    .write = romd_write,
    .endianness = DEVICE_BIG_ENDIAN,
};

/* Values: mostly on a coarse grid, so that ranges meet and merge. */
static uint64_t grid(FuzzInput *in, uint64_t hi)
{
    uint64_t v = fuzz_bytes(in, 2) % (hi + 1);

    switch (fuzz_pick(in, 4)) {
    case 0:
        return v & ~(uint64_t)0xff;
    case 1:
        return v & ~(uint64_t)0xf;
    default:
        return v;
    }
}

static uint64_t size_of(FuzzInput *in)
{
    uint64_t v = grid(in, SPACE);

    return v ? v : 0x100;
}

static unsigned access_size(FuzzInput *in)
{
    static const unsigned sizes[] = {0, 1, 2, 4, 8, 3, 16};

    return sizes[fuzz_pick(in, G_N_ELEMENTS(sizes))];
}

/* An address: in the model's range, or anywhere, often near the top. */
static hwaddr address(FuzzInput *in)
{
    switch (fuzz_pick(in, 4)) {
    case 0:
        return UINT64_MAX - fuzz_u8(in);
    case 1:
        return fuzz_bytes(in, 8);
    default:
        return fuzz_bytes(in, 2) % LIMIT;
    }
}

static MemTxAttrs attrs_of(FuzzInput *in)
{
    uint8_t b = fuzz_u8(in);
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;

    if (b & 1) {
        attrs = (MemTxAttrs){.secure = (b >> 1) & 1,
                             .user = (b >> 2) & 1,
                             .memory = (b >> 3) & 1,
                             .requester_id = (uint16_t)(b * 257u)};
    }
    return attrs;
}

static void expect(const char *call, int x, bool ok, GError *err, int code)
{
    bool good = code < 0 ? ok && !err
                         : !ok && err && err->domain == ADDRSPACE_ERROR &&
                               err->code == code;

    if (!good) {
        fuzz_fail("%s(r%d): %s, expected %s %d", call, x,
                  err ? err->message : (ok ? "ok" : "failed, no error"),
                  code < 0 ? "success" : "error", code);
    }
    g_clear_error(&err);
}

static void touched(State *s)
{
    s->ans_fresh = false;
}

/* Creation. */

static void op_create(State *s, FuzzInput *in)
{
    int i = s->t.count;
    Node *r = &s->t.n[i];
    MemoryRegion *mr = NULL;
    GError *err = NULL;
    bool ok = true;

    if (i >= REF_MAX_REGIONS) {
        return;
    }
    *r = (Node){.parent = -1, .alias = -1, .enabled = true};
    g_snprintf(r->name, sizeof(r->name), "r%d", i);
    r->size = size_of(in);
    r->kind = (Kind)fuzz_pick(in, K_ALIAS + 1);
    if (r->kind == K_IO) {
        static const unsigned sz[] = {0, 1, 2, 4, 8, 3, 16};
        uint8_t b = fuzz_u8(in);
        TestDevConfig cfg = {
            .size = r->size,
            .endianness = (enum device_endian)(b % 3),
            .native_big_endian = b & 4,
            .valid_unaligned = b & 8,
            .impl_unaligned = b & 16,
            .plain_callbacks = b & 32,
            .valid_min = sz[fuzz_pick(in, 7)],
            .valid_max = sz[fuzz_pick(in, 7)],
            .impl_min = sz[fuzz_pick(in, 7)],
            .impl_max = sz[fuzz_pick(in, 7)],
            .bounds_check = b & 64, /* either mode, QEMU's or mmio-bounds */
        };

        s->dev[i] = testdev_new(r->name, &cfg, &err);
        if (!s->dev[i]) {
            g_clear_error(&err); /* constraints it refuses */
            return;
        }
        r->mr = testdev_region(s->dev[i]);
        s->t.count++;
        return;
    }
    mr = g_new0(MemoryRegion, 1);
    switch (r->kind) {
    case K_CONTAINER:
        ok = memory_region_init(mr, NULL, r->name, r->size, &err);
        break;
    case K_RAM:
        ok = memory_region_init_ram(mr, NULL, r->name, r->size, &err);
        break;
    case K_ROM:
        r->readonly = true;
        ok = memory_region_init_rom(mr, NULL, r->name, r->size, &err);
        break;
    case K_ROMD:
        r->romd = true;
        ok = memory_region_init_rom_device(mr, NULL, &romd_ops, mr, r->name,
                                           r->size, &err);
        if (ok && (i & 1)) {
            memory_region_enable_bounds_check(mr); /* both modes */
        }
        break;
    case K_RESERVATION:
        ok = memory_region_init_reservation(mr, NULL, r->name, r->size, &err);
        break;
    case K_ALIAS:
        r->alias = (int)fuzz_pick(in, (unsigned)i);
        r->alias_offset = grid(in, SPACE);
        ok = memory_region_init_alias(mr, NULL, r->name, s->t.n[r->alias].mr,
                                      r->alias_offset, r->size, &err);
        break;
    default:
        g_assert_not_reached();
    }
    expect("init", i, ok, err, -1);
    r->mr = mr;
    r->ram_size = kind_ram_backed(r->kind) ? r->size : 0;
    s->t.count++;
}

/* Mutations; each predicts its outcome. */

static void op_add(State *s, FuzzInput *in)
{
    int x = (int)fuzz_pick(in, (unsigned)s->t.count);
    int p = (int)fuzz_pick(in, (unsigned)s->t.count);
    hwaddr addr = grid(in, SPACE - 1);
    bool overlap = fuzz_bool(in);
    int prio = overlap ? (int)fuzz_pick(in, 5) - 2 : 0;
    int code = -1;
    GError *err = NULL;
    bool ok;

    if (s->t.n[x].parent >= 0) {
        code = ADDRSPACE_ERROR_BUSY;
    } else if (s->t.n[p].kind == K_ALIAS) {
        code = ADDRSPACE_ERROR_INVALID;
    } else if (ref_reaches(&s->t, x, p)) {
        code = ADDRSPACE_ERROR_CYCLE;
    }
    ok = overlap ? memory_region_add_subregion_overlap(s->t.n[p].mr, addr,
                                                       s->t.n[x].mr, prio, &err)
                 : memory_region_add_subregion(s->t.n[p].mr, addr, s->t.n[x].mr,
                                               &err);
    expect("add_subregion", x, ok, err, code);
    if (code < 0) {
        s->t.n[x].parent = p;
        s->t.n[x].addr = addr;
        s->t.n[x].priority = prio;
        s->t.n[x].seq = ++s->seq;
        touched(s);
    }
}

static void op_del(State *s, FuzzInput *in)
{
    int x = (int)fuzz_pick(in, (unsigned)s->t.count);
    int p = fuzz_bool(in) ? (int)fuzz_pick(in, (unsigned)s->t.count)
                          : s->t.n[x].parent;
    GError *err = NULL;
    bool ok;

    if (p < 0) {
        return;
    }
    ok = memory_region_del_subregion(s->t.n[p].mr, s->t.n[x].mr, &err);
    expect("del_subregion", x, ok, err,
           p == s->t.n[x].parent ? -1 : ADDRSPACE_ERROR_NOT_FOUND);
    if (p == s->t.n[x].parent) {
        s->t.n[x].parent = -1;
        touched(s);
    }
}

static void op_set_address(State *s, FuzzInput *in)
{
    int x = (int)fuzz_pick(in, (unsigned)s->t.count);
    hwaddr addr = grid(in, SPACE - 1);
    GError *err = NULL;
    bool ok = memory_region_set_address(s->t.n[x].mr, addr, &err);

    expect("set_address", x, ok, err, -1);
    /* QEMU re-inserts a moved region (it becomes the latest added) */
    if (s->t.n[x].parent >= 0 && addr != s->t.n[x].addr) {
        s->t.n[x].seq = ++s->seq;
    }
    s->t.n[x].addr = addr;
    touched(s);
}

static void op_toggle(State *s, FuzzInput *in)
{
    int x = (int)fuzz_pick(in, (unsigned)s->t.count);
    Node *r = &s->t.n[x];

    unsigned which = fuzz_pick(in, 4);

    if (which < 3) {
        ref_toggle_flag(r, (int)which);
    } else if (r->kind == K_ROMD) {
        r->romd = !r->romd;
        memory_region_rom_device_set_romd(r->mr, r->romd);
    } else {
        memory_region_rom_device_set_romd(r->mr, fuzz_bool(in)); /* ignored */
    }
    touched(s);
}

static void op_set_alias_offset(State *s, FuzzInput *in)
{
    int x = (int)fuzz_pick(in, (unsigned)s->t.count);
    hwaddr offset = grid(in, SPACE);
    GError *err = NULL;
    bool ok = memory_region_set_alias_offset(s->t.n[x].mr, offset, &err);

    expect("set_alias_offset", x, ok, err,
           s->t.n[x].kind == K_ALIAS ? -1 : ADDRSPACE_ERROR_INVALID);
    if (s->t.n[x].kind == K_ALIAS) {
        s->t.n[x].alias_offset = offset;
        touched(s);
    }
}

static void op_set_size(State *s, FuzzInput *in)
{
    int x = (int)fuzz_pick(in, (unsigned)s->t.count);
    uint64_t size = size_of(in);
    Node *r = &s->t.n[x];
    int code = -1;
    GError *err = NULL;
    bool ok;

    if (r->kind == K_IO && size > r->size) {
        return; /* testdev judges callbacks by its size at creation */
    }
    if (kind_ram_backed(r->kind) && size > r->ram_size) {
        code = ADDRSPACE_ERROR_INVALID; /* RAM cannot grow */
    }
    ok = memory_region_set_size(r->mr, size, &err);
    expect("set_size", x, ok, err, code);
    if (code < 0) {
        r->size = size;
        touched(s);
    }
}

static void op_transaction(State *s, FuzzInput *in)
{
    if (s->depth > 0 && fuzz_bool(in)) {
        memory_region_transaction_commit();
        s->depth--;
    } else if (s->depth < 4) {
        memory_region_transaction_begin();
        s->depth++;
    }
}

/* The view against the model. */

/* flatview_lookup() of @a must give @sec (NULL: a hole). */
REF_ORACLE static void check_lookup(FlatView *fv, hwaddr a,
                                    const MemoryRegionSection *sec)
{
    const MemoryRegionSection *got = view_lookup(fv, a);

    if (sec ? !section_copy_equal(got, sec) : got != NULL) {
        fuzz_fail("address 0x%" PRIx64 ": flatview_lookup() and the "
                  "section list disagree",
                  a);
    }
}

/* Whether @w, @k addresses after @first, continues its run: a hole after
 * a hole, or the same node @k bytes further on with the same flags. */
REF_ORACLE static inline bool continues(const Answer *first, const Answer *w,
                                        hwaddr k,
                                        const MemoryRegionSection *sec)
{
    if (!sec) {
        return w->node < 0;
    }
    return w->node == first->node && w->offset == first->offset + k &&
           w->readonly == first->readonly &&
           w->nonvolatile == first->nonvolatile;
}

/*
 * The model's answers for [@a, @end) against @sec (NULL: a hole): the
 * full compare, ref_answer_matches(), at the first address and wherever
 * the answer is not the first one's continued (the same node at the next
 * offset, with the same flags; its other terms depend on the node only),
 * so a run of addresses costs a few compares each, not the full test.
 */
REF_ORACLE static void check_run(State *s, hwaddr a, hwaddr end,
                                 const MemoryRegionSection *sec)
{
    const Answer *first = &s->ans[a];
    hwaddr a0 = a;

    for (; a < end; a++) {
        const Answer *w = &s->ans[a];

        if (a > a0 && continues(first, w, a - a0, sec)) {
            continue;
        }
        if (!ref_answer_matches(&s->t, w, sec, a)) {
            fuzz_fail("address 0x%" PRIx64 ": expected %s@0x%" PRIx64
                      ", got %s",
                      a, w->node >= 0 ? s->t.n[w->node].name : "hole",
                      w->offset, sec ? memory_region_name(sec->mr) : "hole");
        }
    }
}

REF_ORACLE static void check_view(State *s)
{
    FlatView *fv;
    MemoryRegionSection cur = {0};
    size_t nr;
    hwaddr a = 0; /* the first address not compared yet */

    if (s->depth > 0 || s->checks >= MAX_CHECKS) {
        return; /* inside a transaction: the view is the one before */
    }
    s->checks++;
    if (s->ans_fresh) {
        return; /* nothing changed since the last comparison */
    }
    ref_build_kids(&s->t);
    ref_paint_space(&s->t, 0, s->ans, LIMIT);
    fv = address_space_get_flatview(&s->as);
    nr = flatview_nr_sections(fv);
    /* one pass over the sections, in address order, and the holes
     * between them: every address below LIMIT compared with the model,
     * and flatview_lookup() where its answer may change (a section's
     * first and last address, a hole's first, the last address) */
    for (size_t i = 0;; i++) {
        bool more = i < nr && flatview_section(fv, i, &cur);
        hwaddr start = LIMIT, end;

        if (more) {
            start = MIN(cur.offset_within_address_space, LIMIT);
        }
        end = start;

        if (start < a) {
            fuzz_fail("section %zu starts inside the one before", i);
        }
        if (a < start) { /* a hole */
            check_lookup(fv, a, NULL);
            if (start == LIMIT) {
                check_lookup(fv, LIMIT - 1, NULL);
            }
            check_run(s, a, start, NULL);
        }
        if (!more) {
            break;
        }
        if (start < LIMIT && cur.size != 0) {
            end = cur.size < LIMIT - start ? start + (hwaddr)cur.size : LIMIT;
            check_lookup(fv, start, &cur);
            if (cur.size <= LIMIT - start) {
                check_lookup(fv, end - 1, &cur);
            }
            check_run(s, start, end, &cur);
        }
        a = end;
    }
    for (size_t i = 0; i < nr; i++) {
        MemoryRegionSection prev = cur;

        if (!flatview_section(fv, i, &cur)) {
            fuzz_fail("section %zu missing", i);
        }
        if (cur.size == 0 || cur.fv != fv ||
            cur.offset_within_region + cur.size >
                (addrspace_u128)memory_region_size(cur.mr) ||
            cur.offset_within_address_space + cur.size > LIMIT) {
            fuzz_fail("section %zu malformed", i);
        }
        if (i && (prev.offset_within_address_space + prev.size >
                      cur.offset_within_address_space ||
                  ref_sections_mergeable(&prev, &cur))) {
            fuzz_fail("sections %zu and %zu overlap or should merge", i - 1, i);
        }
    }
    flatview_unref(fv);
    s->ans_fresh = true;
}

static void check_devices(State *s)
{
    for (int i = 0; i < s->t.count; i++) {
        if (s->dev[i]) {
            if (testdev_violations(s->dev[i])) {
                fuzz_fail("%s: a callback broke the bounds invariant",
                          s->t.n[i].name);
            }
            testdev_log_clear(s->dev[i]);
        }
    }
    if (testdev_violations(s->top_dev)) {
        fuzz_fail("top device: a callback broke the bounds invariant");
    }
    testdev_log_clear(s->top_dev);
}

/* A byte load agrees with the model where the model knows the answer. */
static void check_byte(State *s, hwaddr a, uint8_t v, MemTxResult res)
{
    const Answer *w;
    const Node *r;

    if (!s->ans_fresh || a >= LIMIT) {
        return;
    }
    w = &s->ans[a];
    if (w->node < 0) {
        if (v != 0 || res != MEMTX_DECODE_ERROR) {
            fuzz_fail("hole 0x%" PRIx64 ": read 0x%x result %u", a, v, res);
        }
        return;
    }
    r = &s->t.n[w->node];
    if (r->kind == K_RAM || r->kind == K_ROM ||
        (r->kind == K_ROMD && r->romd)) {
        const uint8_t *host = memory_region_get_ram_ptr(r->mr);

        if (res != MEMTX_OK || v != host[w->offset]) {
            fuzz_fail("0x%" PRIx64 " (%s@0x%" PRIx64 "): read 0x%x result %u, "
                      "memory holds 0x%x",
                      a, r->name, w->offset, v, res, host[w->offset]);
        }
    } else if (r->kind == K_RESERVATION && res != MEMTX_DECODE_ERROR) {
        fuzz_fail("reservation 0x%" PRIx64 ": result %u", a, res);
    }
}

static void op_access(State *s, FuzzInput *in, AddressSpace *as)
{
    hwaddr a = address(in);
    MemTxAttrs attrs = attrs_of(in);
    uint8_t kind = fuzz_u8(in);
    MemTxResult res = MEMTX_OK;
    uint8_t buf[64];
    uint64_t v = fuzz_bytes(in, 8);

    memset(buf, (int)v, sizeof(buf));
    switch (kind % 8) {
    case 0: { /* buffer read or write of any length up to 64 */
        hwaddr len = fuzz_pick(in, sizeof(buf) + 1);

        res = address_space_rw(as, a, attrs, buf, len, kind & 8);
        break;
    }
    case 1: {
        uint8_t b = address_space_ldub(as, a, attrs, &res);

        if (as == &s->as) {
            check_byte(s, a, b, res);
        }
        break;
    }
    case 2: /* any typed load or store (the byte order matters less) */
    case 3:
        res = fuzz_typed_access(as, kind >> 3, a, v, attrs);
        break;
    case 4: { /* map of any length, touched, unmapped */
        hwaddr len = fuzz_bool(in) ? fuzz_bytes(in, 8) : fuzz_bytes(in, 2);
        hwaddr want = len;
        bool is_write = kind & 8;
        uint8_t *p = address_space_map(as, a, &len, is_write, attrs);

        if (len > want || (!p && len)) {
            fuzz_fail("map 0x%" PRIx64 "+0x%" PRIx64 ": %p, length 0x%" PRIx64,
                      a, want, (void *)p, len);
        }
        if (p && len) {
            hwaddr n = MIN(len, (hwaddr)4096);

            if (is_write) {
                memset(p, (int)v, n);
            } else {
                volatile uint8_t sink = p[0];

                (void)sink;
                sink = p[n - 1];
            }
            address_space_unmap(as, p, len, is_write,
                                fuzz_bool(in) ? n : fuzz_bytes(in, 8));
        }
        break;
    }
    case 5: {
        hwaddr len = fuzz_bytes(in, fuzz_bool(in) ? 8 : 1);

        (void)address_space_access_valid(as, a, len, kind & 8, attrs);
        break;
    }
    case 6: { /* translate, then look at the region's length */
        hwaddr xlat = 0, plen = fuzz_bytes(in, 8);

        rcu_read_lock();
        (void)address_space_translate(as, a, &xlat, &plen, kind & 8, attrs);
        rcu_read_unlock();
        break;
    }
    default: {
        unsigned size = access_size(in);

        (void)size;
        res = address_space_rw(as, a, attrs, buf, size, kind & 8);
        break;
    }
    }
    if (res &
        ~(MemTxResult)(MEMTX_ERROR | MEMTX_DECODE_ERROR | MEMTX_ACCESS_ERROR)) {
        fuzz_fail("access result 0x%x", res);
    }
    check_devices(s);
}

/* Set-up and teardown. */

/*
 * The top of the space is built once and reset between inputs (its RAM
 * zeroed, the device's registers and log cleared): nothing an input does
 * changes its layout.
 */
static void top_init(State *s)
{
    static const TestDevConfig top_cfg = {.size = 0x1000,
                                          .endianness = DEVICE_BIG_ENDIAN,
                                          .valid_max = 8,
                                          .valid_unaligned = true,
                                          .impl_min = 2,
                                          .impl_max = 4};
    GError *err = NULL;

    /* RAM at [2^64 - 0x2000, 2^64 - 0x1000), a testdev above it. */
    expect("init", -1,
           memory_region_init(&s->top_root, NULL, "top", UINT64_MAX, &err), err,
           -1);
    expect("init", -1,
           memory_region_init_ram(&s->top_ram, NULL, "top-ram", 0x1000, &err),
           err, -1);
    s->top_dev = testdev_new("top-dev", &top_cfg, &err);
    expect("testdev_new", -1, s->top_dev != NULL, err, -1);
    expect("add", -1,
           memory_region_add_subregion(&s->top_root, UINT64_MAX - 0x1fff,
                                       &s->top_ram, &err),
           err, -1);
    expect("add", -1,
           memory_region_add_subregion(&s->top_root, UINT64_MAX - 0xfff,
                                       testdev_region(s->top_dev), &err),
           err, -1);
    expect("as_init", -1,
           address_space_init(&s->top_as, &s->top_root, "top", &err), err, -1);
}

static void top_reset(State *s)
{
    static const uint8_t zeros[0x1000];

    memset(memory_region_get_ram_ptr(&s->top_ram), 0, sizeof(zeros));
    testdev_regs_write(s->top_dev, 0, zeros, sizeof(zeros));
    testdev_log_clear(s->top_dev);
}

static void state_init(State *s)
{
    GError *err = NULL;
    Node *root = &s->t.n[0];

    /* the answers are not cleared: check_view() fills them before use */
    memset(&s->t, 0, sizeof(s->t));
    memset(s->dev, 0, sizeof(s->dev));
    s->seq = 0;
    s->depth = 0;
    s->checks = 0;
    s->ans_fresh = false;
    *root = (Node){.parent = -1,
                   .alias = -1,
                   .enabled = true,
                   .kind = K_CONTAINER,
                   .size = SPACE,
                   .name = "r0"};
    root->mr = g_new0(MemoryRegion, 1);
    expect("init", 0, memory_region_init(root->mr, NULL, "r0", SPACE, &err),
           err, -1);
    s->t.count = 1;
    expect("as_init", 0, address_space_init(&s->as, root->mr, "as", &err), err,
           -1);
    top_reset(s);
}

static void state_destroy(State *s)
{
    GError *err = NULL;
    bool devices = false;

    while (s->depth > 0) {
        memory_region_transaction_commit();
        s->depth--;
    }
    address_space_destroy(&s->as);
    /* detach everything first: testdev regions are finalized by their
     * owner's release, after ours */
    memory_region_transaction_begin();
    for (int i = 0; i < s->t.count; i++) {
        int p = s->t.n[i].parent;

        if (p >= 0) {
            expect(
                "del_subregion", i,
                memory_region_del_subregion(s->t.n[p].mr, s->t.n[i].mr, &err),
                err, -1);
        }
    }
    memory_region_transaction_commit();
    drain_call_rcu_inline(); /* the views point at the regions */
    for (int i = 0; i < s->t.count; i++) {
        if (!s->dev[i]) {
            memory_region_finalize(s->t.n[i].mr);
        }
    }
    for (int i = 0; i < s->t.count; i++) {
        if (s->dev[i]) {
            testdev_unref(s->dev[i]);
            devices = true;
        } else {
            g_free(s->t.n[i].mr);
        }
    }
    if (devices) {
        drain_call_rcu_inline(); /* the testdevs' release: inside this input */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static State *s;
    FuzzInput in = {data, size};

    if (!s) {
        s = g_new0(State, 1); /* reused: the answers are 192 KiB */
        top_init(s);
    }
    state_init(s);
    for (int ops = 0; ops < MAX_OPS && !fuzz_done(&in); ops++) {
        switch (fuzz_pick(&in, 13)) {
        case 0:
        case 1:
            op_create(s, &in);
            break;
        case 2:
        case 3:
            op_add(s, &in);
            break;
        case 4:
            op_del(s, &in);
            break;
        case 5:
            op_set_address(s, &in);
            break;
        case 6:
            op_toggle(s, &in);
            break;
        case 7:
            op_set_alias_offset(s, &in);
            break;
        case 8:
            op_set_size(s, &in);
            break;
        case 9:
            op_transaction(s, &in);
            break;
        case 10:
            check_view(s);
            break;
        case 11:
            op_access(s, &in, &s->as);
            break;
        default:
            op_access(s, &in, &s->top_as);
            break;
        }
    }
    while (s->depth > 0) {
        memory_region_transaction_commit();
        s->depth--;
    }
    s->checks = 0;
    s->ans_fresh = false; /* the last view is compared in any case */
    check_view(s);
    for (int i = 0; i < 8; i++) {
        op_access(s, &in, &s->as);
    }
    state_destroy(s);
    return 0;
}
