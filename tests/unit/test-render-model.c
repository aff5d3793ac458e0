/* SPDX-License-Identifier: MIT */
/*
 * Model-based property test of rendering. Random region trees (depth <= 4,
 * <= 40 regions: containers, RAM, ROM, ROM devices, MMIO, reservations,
 * aliases of anything including aliases and containers, overlaps with
 * random priorities, disabled and read-only regions) in a 2^12-byte space
 * are built through the public API and mutated between commits (add, del,
 * set_address, set_enabled, set_readonly, set_nonvolatile,
 * set_alias_offset, set_size, set_romd; lone calls and nested
 * transactions). After every commit each AddressSpace's FlatView is
 * compared, address by address, with a deliberately naive reference
 * resolver written from QEMU's rules, not from the implementation: for each
 * address, walk the tree in priority order and take the first terminating
 * region that answers it. The views' own invariants (sorted, disjoint,
 * maximally merged), sharing between AddressSpaces and "no re-render when
 * nothing reachable changed" are checked too; so is the outcome (success or
 * error code) of every call.
 *
 * Usage: test-render-model [--seed N] [--iterations N] [GLib test options].
 * Tree i uses seed N + i; a failure prints the arguments that replay it.
 */
#include <stdlib.h>

#include "render-reference.h"
#include "tree-helpers.h"

#define SPACE       0x1000u     /* the root container: 2^12 bytes */
#define LIMIT       (2 * SPACE) /* every region ends below (see check_as) */
#define MAX_REGIONS REF_MAX_REGIONS
#define MAX_DEPTH   4

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
/* sanitizer builds run about 10x slower: fewer trees keep them fast */
#ifdef SANITIZED
#define DEFAULT_ITERATIONS 300
#else
#define DEFAULT_ITERATIONS 2000
#endif

typedef struct Model {
    GRand *rand;
    unsigned seed;
    int round;
    RefTree t; /* the model tree; t.kids in render order, per check */
    uint64_t seq;
    Answer ans[LIMIT];
    Answer painted[LIMIT];     /* ref_paint_space()'s, compared with ans */
    bool touched[MAX_REGIONS]; /* changed by a successful call this round */
    AddressSpace as[2];
    int as_root[2];
    int nr_as;
    unsigned long views_checked;
} Model;

/* Random values. */

static int rnd(Model *m, int lo, int hi) /* inclusive */
{
    return g_rand_int_range(m->rand, lo, hi + 1);
}

static bool chance(Model *m, int percent)
{
    return rnd(m, 0, 99) < percent;
}

/* Mostly on a coarse grid, so that ranges meet and sections could merge. */
static uint64_t rnd_grid(Model *m, uint64_t hi)
{
    uint64_t v = (uint64_t)rnd(m, 0, (int)hi);
    int p = rnd(m, 0, 9);

    if (p < 6) {
        v &= ~(uint64_t)0xff;
    } else if (p < 9) {
        v &= ~(uint64_t)0xf;
    }
    return v;
}

static uint64_t rnd_size(Model *m)
{
    uint64_t v = rnd_grid(m, SPACE);

    return v ? v : 0x100;
}

/* Reporting. */

static void dump_model(Model *m)
{
    for (int i = 0; i < m->t.count; i++) {
        Node *r = &m->t.n[i];

        g_test_message(
            "  %-4s %-9s parent %-4s addr 0x%04" PRIx64
            " prio %2d seq %3" PRIu64 " size 0x%04" PRIx64
            "%s%s%s%s alias %s+0x%" PRIx64,
            r->name, kind_names[r->kind],
            r->parent >= 0 ? m->t.n[r->parent].name : "-", r->addr, r->priority,
            r->seq, r->size, r->enabled ? "" : " disabled",
            r->readonly ? " ro" : "", r->nonvolatile ? " nv" : "",
            r->kind == K_ROMD && !r->romd ? " !romd" : "",
            r->alias >= 0 ? m->t.n[r->alias].name : "-", r->alias_offset);
    }
}

static bool G_GNUC_PRINTF(2, 3) fail(Model *m, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_test_message("model tree (round %d):", m->round);
    dump_model(m);
    g_test_fail_printf("%s; replay with --seed %u --iterations 1", msg,
                       m->seed);
    g_free(msg);
    return false;
}

/* Comparing a view with the model. */

static int node_of(Model *m, const MemoryRegion *mr)
{
    for (int i = 0; i < m->t.count; i++) {
        if (m->t.n[i].mr == mr) {
            return i;
        }
    }
    return -1;
}

static bool check_invariants(Model *m, FlatView *fv)
{
    size_t nr = flatview_nr_sections(fv);

    for (size_t i = 0; i < nr; i++) {
        const MemoryRegionSection *s = view_section(fv, i);
        const MemoryRegionSection *prev = i ? view_section(fv, i - 1) : NULL;

        if (s->size == 0 || s->fv != fv ||
            s->offset_within_region + s->size >
                (addrspace_u128)memory_region_size(s->mr)) {
            return fail(m, "section %zu malformed", i);
        }
        if (s->offset_within_address_space + s->size > LIMIT) {
            return fail(m, "section %zu ends past 0x%x", i, LIMIT);
        }
        if (prev && prev->offset_within_address_space + prev->size >
                        s->offset_within_address_space) {
            return fail(m, "sections %zu and %zu unsorted or overlapping",
                        i - 1, i);
        }
        if (prev && ref_sections_mergeable(prev, s)) {
            return fail(m, "sections %zu and %zu should have merged", i - 1, i);
        }
    }
    return true;
}

/* The model's answers, merged into sections, are exactly the view's. */
static bool check_sections(Model *m, FlatView *fv)
{
    size_t idx = 0;
    uint64_t a = 0;

    while (a < LIMIT) {
        const Answer *first = &m->ans[a];
        uint64_t end = a + 1;
        const MemoryRegionSection *s;

        if (first->node < 0) {
            a++;
            continue;
        }
        while (end < LIMIT && m->ans[end].node == first->node &&
               m->ans[end].offset == first->offset + (end - a) &&
               m->ans[end].readonly == first->readonly &&
               m->ans[end].nonvolatile == first->nonvolatile) {
            end++;
        }
        s = view_section(fv, idx);
        if (!s || s->offset_within_address_space != a || s->size != end - a ||
            !ref_answer_matches(&m->t, first, s, a)) {
            return fail(m,
                        "section %zu: expected 0x%" PRIx64 "+0x%" PRIx64
                        " %s@0x%" PRIx64,
                        idx, a, end - a, m->t.n[first->node].name,
                        first->offset);
        }
        idx++;
        a = end;
    }
    if (idx != flatview_nr_sections(fv)) {
        return fail(m, "view has %zu sections, the model %zu",
                    flatview_nr_sections(fv), idx);
    }
    return true;
}

static bool check_as(Model *m, int k, FlatView *fv, int *eff_out)
{
    int eff;

    ref_build_kids(&m->t);
    eff = ref_resolve_space(&m->t, m->as_root[k], m->ans, LIMIT);
    *eff_out = eff;
    m->views_checked++;
    /* the fuzzer's faster form of the model gives the same answers */
    g_assert_cmpint(ref_paint_space(&m->t, m->as_root[k], m->painted, LIMIT),
                    ==, eff);
    for (uint64_t a = 0; a < LIMIT; a++) {
        const Answer *w = &m->ans[a], *p = &m->painted[a];

        if (w->node != p->node ||
            (w->node >= 0 &&
             (w->offset != p->offset || w->readonly != p->readonly ||
              w->nonvolatile != p->nonvolatile))) {
            return fail(m,
                        "as%d address 0x%" PRIx64 ": ref_resolve_space() "
                        "says %d@0x%" PRIx64 "%s%s, ref_paint_space() "
                        "%d@0x%" PRIx64 "%s%s",
                        k, a, w->node, w->offset, w->readonly ? " ro" : "",
                        w->nonvolatile ? " nv" : "", p->node, p->offset,
                        p->readonly ? " ro" : "", p->nonvolatile ? " nv" : "");
        }
    }
    if (flatview_root(fv) != (eff >= 0 ? m->t.n[eff].mr : NULL)) {
        tree_print_view(fv);
        return fail(m, "as%d: view root %s, expected %s", k,
                    flatview_root(fv) ? memory_region_name(flatview_root(fv))
                                      : "none",
                    eff >= 0 ? m->t.n[eff].name : "none");
    }
    for (uint64_t a = 0; a < LIMIT; a++) {
        const MemoryRegionSection *s = view_lookup(fv, a);

        if (!ref_answer_matches(&m->t, &m->ans[a], s, a)) {
            const Answer *w = &m->ans[a];
            int got = s ? node_of(m, s->mr) : -1;

            tree_print_view(fv);
            return fail(m,
                        "as%d (root %s) address 0x%" PRIx64
                        ": expected %s@0x%" PRIx64 "%s%s, got %s@0x%" PRIx64
                        "%s%s",
                        k, m->t.n[m->as_root[k]].name, a,
                        w->node >= 0 ? m->t.n[w->node].name : "hole", w->offset,
                        w->readonly ? " ro" : "", w->nonvolatile ? " nv" : "",
                        got >= 0 ? m->t.n[got].name : (s ? "?" : "hole"),
                        s ? s->offset_within_region +
                                (a - s->offset_within_address_space)
                          : 0,
                        s && s->readonly ? " ro" : "",
                        s && s->nonvolatile ? " nv" : "");
        }
    }
    if (!check_invariants(m, fv) || !check_sections(m, fv)) {
        tree_print_view(fv);
        return false;
    }
    return true;
}

/* Mutations. Each predicts the call's outcome before making it. */

static int depth_of(Model *m, int i)
{
    int d = 0;

    while (m->t.n[i].parent >= 0) {
        i = m->t.n[i].parent;
        d++;
    }
    return d;
}

static int height_of(Model *m, int i)
{
    int h = 0;

    for (int c = 0; c < m->t.count; c++) {
        if (m->t.n[c].parent == i) {
            h = MAX(h, 1 + height_of(m, c));
        }
    }
    return h;
}

#define OK_EXPECTED -1

static bool outcome(Model *m, const char *call, int i, bool ok, GError *err,
                    int expect)
{
    bool good = expect == OK_EXPECTED
                    ? ok && !err
                    : !ok && err && err->domain == ADDRSPACE_ERROR &&
                          err->code == expect;

    if (!good) {
        return fail(m, "%s(%s): %s, expected %s", call, m->t.n[i].name,
                    err ? err->message : (ok ? "ok" : "failed, no error"),
                    expect == OK_EXPECTED ? "success" : "an error");
    }
    g_clear_error(&err);
    return true;
}

static void touch(Model *m, int i)
{
    if (i >= 0) {
        m->touched[i] = true;
    }
}

static bool set_alias_offset(Model *m, int x, hwaddr offset)
{
    GError *err = NULL;
    bool ok = memory_region_set_alias_offset(m->t.n[x].mr, offset, &err);

    if (!outcome(m, "set_alias_offset", x, ok, err,
                 m->t.n[x].kind == K_ALIAS ? OK_EXPECTED
                                           : ADDRSPACE_ERROR_INVALID)) {
        return false;
    }
    if (m->t.n[x].kind == K_ALIAS) {
        m->t.n[x].alias_offset = offset;
        touch(m, x);
    }
    return true;
}

/*
 * A place for detached alias @x where it could merge with what is there:
 * right after an alias of the same target, continuing its window, or over
 * the target itself at the matching place. Returns the parent and sets
 * *addr and *offset (the alias offset to give @x); -1 when there is none.
 */
static int mergeable_place(Model *m, int x, hwaddr *addr, hwaddr *offset)
{
    int t = m->t.n[x].alias, cand[MAX_REGIONS], n = 0, y;
    Node *o;

    for (y = 0; y < m->t.count; y++) {
        o = &m->t.n[y];
        if (y != x && o->parent >= 0 &&
            ((o->kind == K_ALIAS && o->alias == t &&
              o->addr + o->size < SPACE) ||
             y == t)) {
            cand[n++] = y;
        }
    }
    if (!n) {
        return -1;
    }
    y = cand[rnd(m, 0, n - 1)];
    o = &m->t.n[y];
    if (y == t) {
        hwaddr at = rnd_grid(m, o->size - 1);

        if (o->addr + at >= SPACE) {
            return -1;
        }
        *addr = o->addr + at;
        *offset = at;
    } else {
        *addr = o->addr + o->size;
        *offset = o->alias_offset + o->size;
    }
    return o->parent;
}

/* Add @x under @p; false on a wrong outcome. *called says whether it was
 * tried (not when it would exceed the depth limit). */
static bool do_add(Model *m, int x, int p, bool *called)
{
    Node *r = &m->t.n[x];
    hwaddr addr = rnd_grid(m, SPACE - 1), offset = 0;
    bool overlap = chance(m, 60);
    int prio = overlap ? rnd(m, -2, 2) : 0;
    GError *err = NULL;
    int expect = OK_EXPECTED, q = -1;
    bool ok;

    /* often where it would merge with a neighbour, maybe with other
     * attributes (it must not merge then) */
    if (r->kind == K_ALIAS && r->parent < 0 && chance(m, 60) &&
        (q = mergeable_place(m, x, &addr, &offset)) >= 0) {
        p = q;
    }
    if (r->parent >= 0) {
        expect = ADDRSPACE_ERROR_BUSY;
    } else if (m->t.n[p].kind == K_ALIAS) {
        expect = ADDRSPACE_ERROR_INVALID;
    } else if (ref_reaches(&m->t, x, p)) {
        expect = ADDRSPACE_ERROR_CYCLE;
    } else if (depth_of(m, p) + 1 + height_of(m, x) > MAX_DEPTH) {
        *called = false;
        return true;
    }
    if (expect == OK_EXPECTED && q >= 0) {
        if (!set_alias_offset(m, x, offset)) {
            return false;
        }
        if (chance(m, 25)) {
            r->readonly = !r->readonly;
            memory_region_set_readonly(r->mr, r->readonly);
        } else if (chance(m, 20)) {
            r->nonvolatile = !r->nonvolatile;
            memory_region_set_nonvolatile(r->mr, r->nonvolatile);
        }
    }
    *called = true;
    ok = overlap ? memory_region_add_subregion_overlap(m->t.n[p].mr, addr,
                                                       r->mr, prio, &err)
                 : memory_region_add_subregion(m->t.n[p].mr, addr, r->mr, &err);
    if (!outcome(m, "add_subregion", x, ok, err, expect)) {
        return false;
    }
    if (expect == OK_EXPECTED) {
        r->parent = p;
        r->addr = addr;
        r->priority = prio;
        r->seq = ++m->seq;
        touch(m, x);
        touch(m, p);
    }
    return true;
}

static int pick(Model *m, bool (*want)(Model *, int))
{
    int cand[MAX_REGIONS], n = 0;

    for (int i = 0; i < m->t.count; i++) {
        if (want(m, i)) {
            cand[n++] = i;
        }
    }
    return n ? cand[rnd(m, 0, n - 1)] : -1;
}

static bool is_detached(Model *m, int i)
{
    return i != 0 && m->t.n[i].parent < 0;
}

static bool is_attached(Model *m, int i)
{
    return m->t.n[i].parent >= 0;
}

static bool is_alias(Model *m, int i)
{
    return m->t.n[i].kind == K_ALIAS;
}

static bool is_romd(Model *m, int i)
{
    return m->t.n[i].kind == K_ROMD;
}

static bool is_not_root(Model *m, int i)
{
    (void)m;
    return i != 0;
}

static bool op_add(Model *m)
{
    int x = chance(m, 90) ? pick(m, is_detached) : -1;
    bool called;

    if (x < 0) {
        x = pick(m, is_not_root); /* maybe attached: BUSY */
    }
    return x < 0 || do_add(m, x, rnd(m, 0, m->t.count - 1), &called);
}

static bool op_del(Model *m)
{
    int x = pick(m, is_attached);
    int p, expect = OK_EXPECTED;
    GError *err = NULL;
    bool ok;

    if (x < 0) {
        return true;
    }
    p = m->t.n[x].parent;
    if (chance(m, 10)) {
        p = rnd(m, 0, m->t.count - 1);
        expect =
            p == m->t.n[x].parent ? OK_EXPECTED : ADDRSPACE_ERROR_NOT_FOUND;
    }
    ok = memory_region_del_subregion(m->t.n[p].mr, m->t.n[x].mr, &err);
    if (!outcome(m, "del_subregion", x, ok, err, expect)) {
        return false;
    }
    if (expect == OK_EXPECTED) {
        m->t.n[x].parent = -1;
        touch(m, x);
        touch(m, p);
    }
    return true;
}

static bool op_set_address(Model *m)
{
    int x = pick(m, is_not_root);
    hwaddr addr;
    GError *err = NULL;
    bool ok;

    if (x < 0) {
        return true;
    }
    addr = chance(m, 10) ? m->t.n[x].addr : rnd_grid(m, SPACE - 1);
    ok = memory_region_set_address(m->t.n[x].mr, addr, &err);
    if (!outcome(m, "set_address", x, ok, err, OK_EXPECTED)) {
        return false;
    }
    /* QEMU re-inserts a moved region (it becomes the latest added),
     * unless the address is the same */
    if (m->t.n[x].parent >= 0 && addr != m->t.n[x].addr) {
        m->t.n[x].seq = ++m->seq;
    }
    m->t.n[x].addr = addr;
    touch(m, x);
    return true;
}

static bool op_toggle(Model *m)
{
    int x = rnd(m, 0, m->t.count - 1);
    Node *r = &m->t.n[x];

    ref_toggle_flag(r, rnd(m, 0, 2));
    touch(m, x);
    return true;
}

static bool op_set_romd(Model *m)
{
    int x = chance(m, 80) ? pick(m, is_romd) : rnd(m, 0, m->t.count - 1);

    if (x < 0) {
        return true;
    }
    /* other kinds ignore it */
    if (m->t.n[x].kind == K_ROMD) {
        m->t.n[x].romd = !m->t.n[x].romd;
        touch(m, x);
        memory_region_rom_device_set_romd(m->t.n[x].mr, m->t.n[x].romd);
    } else {
        memory_region_rom_device_set_romd(m->t.n[x].mr, chance(m, 50));
    }
    return true;
}

static bool op_set_alias_offset(Model *m)
{
    int x = chance(m, 90) ? pick(m, is_alias) : rnd(m, 0, m->t.count - 1);

    return x < 0 || set_alias_offset(m, x, rnd_grid(m, SPACE));
}

static bool op_set_size(Model *m)
{
    int x = rnd(m, 0, m->t.count - 1);
    uint64_t size = rnd_size(m);
    GError *err = NULL;
    int expect = OK_EXPECTED;
    bool ok;

    if (kind_ram_backed(m->t.n[x].kind) && size > m->t.n[x].ram_size) {
        expect = ADDRSPACE_ERROR_INVALID; /* RAM cannot grow */
    }
    ok = memory_region_set_size(m->t.n[x].mr, size, &err);
    if (!outcome(m, "set_size", x, ok, err, expect)) {
        return false;
    }
    if (expect == OK_EXPECTED) {
        m->t.n[x].size = size;
        touch(m, x);
    }
    return true;
}

static bool random_op(Model *m)
{
    static bool (*const ops[])(Model *) = {
        op_add,      op_add,      op_del,         op_del,
        op_toggle,   op_toggle,   op_set_address, op_set_alias_offset,
        op_set_size, op_set_romd,
    };

    return ops[rnd(m, 0, G_N_ELEMENTS(ops) - 1)](m);
}

/* Building a tree. */

static void create_node(Model *m, int i)
{
    Node *r = &m->t.n[i];
    MemoryRegion *mr = g_new0(MemoryRegion, 1);
    GError *err = NULL;
    int roll = rnd(m, 0, 99);
    bool ok;

    *r = (Node){.mr = mr, .parent = -1, .alias = -1, .enabled = true};
    g_snprintf(r->name, sizeof(r->name), "r%d", i);
    r->size = i == 0 ? SPACE : rnd_size(m);
    if (i == 0 || roll < 25) {
        r->kind = K_CONTAINER;
        ok = memory_region_init(mr, NULL, r->name, r->size, &err);
    } else if (roll < 43) {
        r->kind = K_RAM;
        ok = memory_region_init_ram(mr, NULL, r->name, r->size, &err);
    } else if (roll < 48) {
        r->kind = K_ROM;
        r->readonly = true;
        ok = memory_region_init_rom(mr, NULL, r->name, r->size, &err);
    } else if (roll < 53) {
        r->kind = K_ROMD;
        r->romd = true;
        ok = memory_region_init_rom_device(mr, NULL, tree_null_ops(), NULL,
                                           r->name, r->size, &err);
    } else if (roll < 67) {
        r->kind = K_IO;
        ok = memory_region_init_io(mr, NULL, tree_null_ops(), NULL, r->name,
                                   r->size, &err);
    } else if (roll < 71) {
        r->kind = K_RESERVATION;
        ok = memory_region_init_reservation(mr, NULL, r->name, r->size, &err);
    } else {
        int other = pick(m, is_alias);

        r->kind = K_ALIAS;
        /* anything older, aliases too; often what another alias shows */
        r->alias = other >= 0 && other < i && chance(m, 40)
                       ? m->t.n[other].alias
                       : rnd(m, 0, i - 1);
        r->alias_offset = chance(m, 30) ? 0 : rnd_grid(m, SPACE);
        ok = memory_region_init_alias(mr, NULL, r->name, m->t.n[r->alias].mr,
                                      r->alias_offset, r->size, &err);
    }
    tree_check(ok, err);
    r->ram_size = kind_ram_backed(r->kind) ? r->size : 0;
    if (i > 0 && chance(m, 12)) {
        r->enabled = false;
        memory_region_set_enabled(mr, false);
    }
    if (i > 0 && chance(m, 10)) {
        r->readonly = !r->readonly;
        memory_region_set_readonly(mr, r->readonly);
    }
    if (i > 0 && chance(m, 5)) {
        r->nonvolatile = true;
        memory_region_set_nonvolatile(mr, true);
    }
}

static bool can_hold(Model *m, int p)
{
    return m->t.n[p].kind != K_ALIAS;
}

static bool build(Model *m)
{
    bool txn = chance(m, 50);

    m->t.count = rnd(m, 1, MAX_REGIONS);
    for (int i = 0; i < m->t.count; i++) {
        create_node(m, i);
    }
    if (txn) {
        memory_region_transaction_begin();
    }
    for (int i = 1; i < m->t.count; i++) {
        bool called = false;

        if (chance(m, 20)) {
            continue; /* left detached */
        }
        /* a few tries at a parent that takes it */
        for (int tries = 0; tries < 4 && !called; tries++) {
            int p = pick(m, can_hold);

            if (ref_reaches(&m->t, i, p)) {
                continue;
            }
            if (!do_add(m, i, p, &called)) {
                if (txn) {
                    memory_region_transaction_commit();
                }
                return false;
            }
        }
    }
    if (txn) {
        memory_region_transaction_commit();
    }
    return true;
}

/* What an AddressSpace's view may depend on: the effective root and all
 * it reaches through subregions and aliases. */
static void reach_set(Model *m, int eff, bool *out)
{
    memset(out, 0, sizeof(bool) * MAX_REGIONS);
    if (eff < 0) {
        return;
    }
    for (int i = 0; i < m->t.count; i++) {
        out[i] = ref_reaches(&m->t, eff, i);
    }
}

static bool views_unchanged(Model *m, FlatView **before)
{
    for (int k = 0; k < m->nr_as; k++) {
        FlatView *fv = tree_view(&m->as[k]);
        bool same = fv == before[k];

        flatview_unref(fv);
        if (!same) {
            return fail(m, "as%d's view changed inside a transaction", k);
        }
    }
    return true;
}

/* One round: a lone call, or a transaction of several (maybe nested);
 * then check every view. */
static bool run_round(Model *m, int *eff)
{
    FlatView *before[2];
    bool reach_before[2][MAX_REGIONS];
    int effs[2];
    FlatView *fv[2];
    bool ok = true;

    m->round++;
    memset(m->touched, 0, sizeof(m->touched));
    for (int k = 0; k < m->nr_as; k++) {
        before[k] = tree_view(&m->as[k]);
        reach_set(m, eff[k], reach_before[k]);
    }
    if (chance(m, 35)) {
        ok = random_op(m);
    } else {
        int nops = rnd(m, 1, 6), depth = 1;

        memory_region_transaction_begin();
        for (int i = 0; i < nops && ok; i++) {
            if (chance(m, 20)) {
                memory_region_transaction_begin();
                depth++;
            } else if (depth > 1 && chance(m, 20)) {
                memory_region_transaction_commit();
                depth--;
            }
            ok = random_op(m) && views_unchanged(m, before);
        }
        while (depth-- > 0) {
            if (depth == 0 && ok) {
                ok = views_unchanged(m, before);
            }
            memory_region_transaction_commit();
        }
    }
    for (int k = 0; k < m->nr_as; k++) {
        fv[k] = tree_view(&m->as[k]);
        if (ok) {
            ok = check_as(m, k, fv[k], &effs[k]);
        }
    }
    for (int k = 0; ok && k < m->nr_as; k++) {
        bool reach_after[MAX_REGIONS], affected = effs[k] != eff[k];

        reach_set(m, effs[k], reach_after);
        for (int i = 0; i < m->t.count; i++) {
            affected |= m->touched[i] && (reach_before[k][i] || reach_after[i]);
        }
        if (!affected && fv[k] != before[k]) {
            ok = fail(m, "as%d re-rendered though nothing it shows changed", k);
        }
        eff[k] = effs[k];
    }
    if (ok && m->nr_as == 2 && (effs[0] == effs[1]) != (fv[0] == fv[1])) {
        ok = fail(m, "effective roots %d and %d, views %s", effs[0], effs[1],
                  fv[0] == fv[1] ? "shared" : "distinct");
    }
    for (int k = 0; k < m->nr_as; k++) {
        flatview_unref(before[k]);
        flatview_unref(fv[k]);
    }
    return ok;
}

static void destroy(Model *m)
{
    for (int k = 0; k < m->nr_as; k++) {
        address_space_destroy(&m->as[k]);
    }
    drain_call_rcu(); /* the views point at the regions */
    for (int i = 0; i < m->t.count; i++) {
        memory_region_finalize(m->t.n[i].mr);
    }
    for (int i = 0; i < m->t.count; i++) {
        g_free(m->t.n[i].mr);
    }
}

/* One random tree and its mutations; false on the first discrepancy. */
static bool run_tree(Model *m, unsigned seed, unsigned long *views)
{
    int eff[2] = {-1, -1};
    GError *err = NULL;
    bool ok;

    memset(m, 0, sizeof(*m));
    m->seed = seed;
    m->rand = g_rand_new_with_seed(seed);
    ok = build(m);
    m->nr_as = chance(m, 50) ? 2 : 1;
    m->as_root[0] = 0;
    m->as_root[1] = rnd(m, 0, m->t.count - 1);
    for (int k = 0; k < m->nr_as; k++) {
        tree_check(address_space_init(&m->as[k], m->t.n[m->as_root[k]].mr,
                                      k ? "as1" : "as0", &err),
                   err);
    }
    for (int k = 0; ok && k < m->nr_as; k++) {
        FlatView *fv = tree_view(&m->as[k]);

        ok = check_as(m, k, fv, &eff[k]);
        flatview_unref(fv);
    }
    for (int r = rnd(m, 1, 6); ok && r > 0; r--) {
        ok = run_round(m, eff);
    }
    *views += m->views_checked;
    destroy(m);
    g_rand_free(m->rand);
    return ok;
}

static unsigned opt_seed;
static unsigned opt_iterations = DEFAULT_ITERATIONS;

static void test_random_trees(void)
{
    Model *m = g_new0(Model, 1);
    unsigned long views = 0;
    unsigned i;

    g_test_message("seed %u, %u trees", opt_seed, opt_iterations);
    for (i = 0; i < opt_iterations; i++) {
        if (!run_tree(m, opt_seed + i, &views)) {
            i++;
            break;
        }
    }
    g_test_message("checked %u random trees, %lu views, %lu addresses", i,
                   views, views * LIMIT);
    g_free(m);
}

/*
 * The reference resolver on hand-made trees, so that a mistake in it cannot
 * hide a mistake in the renderer.
 */
static int add_node(Model *m, Kind kind, uint64_t size, int parent, hwaddr addr,
                    int priority)
{
    int i = m->t.count++;

    m->t.n[i] = (Node){.kind = kind,
                       .size = size,
                       .parent = parent,
                       .addr = addr,
                       .priority = priority,
                       .seq = ++m->seq,
                       .enabled = true,
                       .alias = -1};
    g_snprintf(m->t.n[i].name, sizeof(m->t.n[i].name), "h%d", i);
    return i;
}

static void assert_answer(Model *m, hwaddr a, int node, uint64_t offset,
                          bool readonly)
{
    g_assert_cmpint(m->ans[a].node, ==, node);
    if (node >= 0) {
        g_assert_cmphex(m->ans[a].offset, ==, offset);
        g_assert_cmpint(m->ans[a].readonly, ==, readonly);
    }
}

static void test_reference_resolver(void)
{
    Model *m = g_new0(Model, 1);
    int root, big, io, lo, hi, al, c, x;

    root = add_node(m, K_CONTAINER, SPACE, -1, 0, 0);
    big = add_node(m, K_RAM, 0x400, root, 0x100, 0);   /* 0x100-0x4ff */
    io = add_node(m, K_IO, 0x100, big, 0x200, -3);     /* 0x300-0x3ff */
    lo = add_node(m, K_RAM, 0x200, root, 0x800, 1);    /* 0x800-0x9ff */
    hi = add_node(m, K_RAM, 0x200, root, 0x900, 1);    /* later: wins */
    c = add_node(m, K_CONTAINER, 0x100, -1, 0x700, 0); /* detached */
    x = add_node(m, K_ROM, 0x80, c, 0x40, 0);
    al = add_node(m, K_ALIAS, 0x100, root, 0xc00, 0);
    m->t.n[al].alias = c;
    m->t.n[al].alias_offset = 0x20; /* x at 0xc20, offset 0 */
    m->t.n[x].readonly = true;
    ref_build_kids(&m->t);
    g_assert_cmpint(ref_resolve_space(&m->t, root, m->ans, LIMIT), ==, root);
    assert_answer(m, 0xff, -1, 0, false);
    assert_answer(m, 0x100, big, 0, false);
    assert_answer(m, 0x2ff, big, 0x1ff, false);
    assert_answer(m, 0x300, io, 0, false); /* subregions first */
    assert_answer(m, 0x4ff, big, 0x3ff, false);
    assert_answer(m, 0x8ff, lo, 0xff, false);
    assert_answer(m, 0x900, hi, 0, false);
    assert_answer(m, 0xaff, hi, 0x1ff, false);
    assert_answer(m, 0xc1f, -1, 0, false);
    assert_answer(m, 0xc20, x, 0, true);
    assert_answer(m, 0xc9f, x, 0x7f, true);
    assert_answer(m, 0xca0, -1, 0, false);
    /* readonly from the alias; disabled target */
    m->t.n[x].readonly = false;
    m->t.n[al].readonly = true;
    ref_resolve_space(&m->t, root, m->ans, LIMIT);
    assert_answer(m, 0xc30, x, 0x10, true);
    assert_answer(m, 0x100, big, 0, false);
    m->t.n[c].enabled = false;
    ref_resolve_space(&m->t, root, m->ans, LIMIT);
    assert_answer(m, 0xc30, -1, 0, false);
    /* QEMU's flatview root: a container with one child at 0 */
    g_assert_cmpint(ref_flatview_root(&m->t, c), ==, -1); /* disabled */
    m->t.n[c].enabled = true;
    m->t.n[x].addr = 0;
    ref_build_kids(&m->t);
    g_assert_cmpint(ref_flatview_root(&m->t, c), ==, x);
    g_free(m);
}

/* Takes --seed N and --iterations N out of argv (GLib has its own --seed). */
static void parse_args(int *argc, char **argv)
{
    int out = 1;

    opt_seed = g_random_int();
    for (int i = 1; i < *argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;

        if ((!strcmp(arg, "--seed") || !strcmp(arg, "--iterations")) &&
            i + 1 < *argc) {
            val = argv[++i];
        } else if (g_str_has_prefix(arg, "--seed=") &&
                   !g_str_has_prefix(arg, "--seed=R")) {
            val = arg + strlen("--seed=");
            arg = "--seed";
        } else if (g_str_has_prefix(arg, "--iterations=")) {
            val = arg + strlen("--iterations=");
            arg = "--iterations";
        }
        if (!val) {
            argv[out++] = argv[i];
        } else if (!strcmp(arg, "--seed")) {
            opt_seed = (unsigned)strtoul(val, NULL, 0);
        } else {
            opt_iterations = (unsigned)strtoul(val, NULL, 0);
        }
    }
    argv[out] = NULL;
    *argc = out;
}

int main(int argc, char **argv)
{
    parse_args(&argc, argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/render/model/reference-resolver",
                    test_reference_resolver);
    g_test_add_func("/render/model/random-trees", test_random_trees);
    return g_test_run();
}
