/* SPDX-License-Identifier: MIT */
/*
 * A deliberately naive reference resolver of QEMU's render rules, shared by
 * the model-based render test (tests/unit/test-render-model.c) and the tree
 * fuzzer (tests/fuzz/fuzz-tree.c). It is written from QEMU's rules, not
 * from the implementation: for each address, walk the tree in priority
 * order and take the first terminating region that answers it.
 *
 * A RefTree is the model's own record of a region tree (indices, not
 * pointers); the caller keeps it in step with the library's tree.
 */
#ifndef TESTS_UNIT_RENDER_REFERENCE_H
#define TESTS_UNIT_RENDER_REFERENCE_H

/* Put on the model's functions: a fuzzer may compile them without
 * sanitizer coverage (the model is the oracle, not the code under test:
 * tracing its comparisons costs a fuzzer most of its time). */
#ifndef REF_ORACLE
#define REF_ORACLE
#endif

#include <stdbool.h>
#include <stdint.h>

#include <addrspace/addrspace.h>

#include "section-copy.h"

#define REF_MAX_REGIONS 40

typedef enum Kind {
    K_CONTAINER,
    K_RAM,
    K_ROM,
    K_ROMD,
    K_IO,
    K_RESERVATION,
    K_ALIAS,
} Kind;

static const char *const kind_names[] = {"container", "ram",    "rom",  "romd",
                                         "io",        "reserv", "alias"};

REF_ORACLE static inline bool kind_terminates(Kind k)
{
    return k != K_CONTAINER && k != K_ALIAS;
}

static inline bool kind_ram_backed(Kind k)
{
    return k == K_RAM || k == K_ROM || k == K_ROMD;
}

/* The model's own record of one region. */
typedef struct Node {
    MemoryRegion *mr; /* the library's region (NULL in the self-test) */
    Kind kind;
    char name[8];
    uint64_t size;
    uint64_t ram_size; /* RAM-backed: the block; the size cannot pass it */
    int parent;        /* index, or -1 */
    hwaddr addr;       /* the last address given (kept after removal) */
    int priority;
    uint64_t seq; /* insertion order: the later added wins a tie */
    bool enabled;
    bool readonly;
    bool nonvolatile;
    bool romd;
    int alias; /* target index, or -1 */
    hwaddr alias_offset;
} Node;

/* Who answers one address: a terminating node and the offset in it. */
typedef struct Answer {
    int node; /* -1: a hole */
    uint64_t offset;
    bool readonly;
    bool nonvolatile;
} Answer;

/* The nodes, and their children in render order (ref_build_kids()). */
typedef struct RefTree {
    Node n[REF_MAX_REGIONS];
    int count;
    int kids[REF_MAX_REGIONS][REF_MAX_REGIONS];
    int nkids[REF_MAX_REGIONS];
} RefTree;

/* Children in render order: higher priority first; among equal ones the
 * later added. Call after any change of parents, priorities or order. */
REF_ORACLE static inline void ref_build_kids(RefTree *t)
{
    for (int i = 0; i < t->count; i++) {
        t->nkids[i] = 0;
    }
    for (int i = 0; i < t->count; i++) {
        int p = t->n[i].parent;
        int k;

        if (p < 0) {
            continue;
        }
        for (k = t->nkids[p]; k > 0; k--) {
            Node *o = &t->n[t->kids[p][k - 1]];

            if (o->priority > t->n[i].priority ||
                (o->priority == t->n[i].priority && o->seq > t->n[i].seq)) {
                break;
            }
            t->kids[p][k] = t->kids[p][k - 1];
        }
        t->kids[p][k] = i;
        t->nkids[p]++;
    }
}

/*
 * QEMU's render_memory_region, one address: which terminating region
 * answers offset @off of node @i, given what the ancestors passed down
 * (read-only, non-volatile)? Disabled regions and offsets outside the
 * region answer nothing; an alias asks its target at @off + alias offset
 * (the target's own address does not count); then the subregions in render
 * order, the first that answers wins; then the region itself if it
 * terminates. The tree must be acyclic (the library refuses cycles).
 */
REF_ORACLE static inline bool ref_resolve(const RefTree *t, int i, int64_t off,
                                          bool ro, bool nv, Answer *out)
{
    const Node *r = &t->n[i];

    if (!r->enabled || off < 0 || (uint64_t)off >= r->size) {
        return false;
    }
    ro |= r->readonly;
    nv |= r->nonvolatile;
    if (r->kind == K_ALIAS) {
        return ref_resolve(t, r->alias, off + (int64_t)r->alias_offset, ro, nv,
                           out);
    }
    for (int k = 0; k < t->nkids[i]; k++) {
        int c = t->kids[i][k];

        if (ref_resolve(t, c, off - (int64_t)t->n[c].addr, ro, nv, out)) {
            return true;
        }
    }
    if (!kind_terminates(r->kind)) {
        return false;
    }
    *out = (Answer){
        .node = i, .offset = (uint64_t)off, .readonly = ro, .nonvolatile = nv};
    return true;
}

/*
 * QEMU's memory_region_get_flatview_root(): an AddressSpace renders from
 * the first region down its root that is not a plain wrapper (a whole
 * alias at offset 0, or a container whose single enabled child sits at 0
 * and fits); -1 when nothing is enabled. As in QEMU the skipped wrappers'
 * flags do not count, and the region found is rendered at its own address.
 */
REF_ORACLE static inline int ref_flatview_root(const RefTree *t, int i)
{
    while (t->n[i].enabled) {
        const Node *r = &t->n[i];

        if (r->kind == K_ALIAS) {
            if (r->alias_offset == 0 && r->size >= t->n[r->alias].size) {
                i = r->alias;
                continue;
            }
        } else if (!kind_terminates(r->kind)) {
            int found = 0, next = -1;

            for (int k = 0; k < t->nkids[i]; k++) {
                const Node *c = &t->n[t->kids[i][k]];

                if (!c->enabled) {
                    continue;
                }
                if (++found > 1) {
                    next = -1;
                    break;
                }
                if (c->addr == 0 && r->size >= c->size) {
                    next = t->kids[i][k];
                }
            }
            if (found == 0) {
                return -1;
            }
            if (next >= 0) {
                i = next;
                continue;
            }
        }
        return i;
    }
    return -1;
}

/* The start of both forms below: every answer a hole; returns the
 * effective root of a view over @root. */
REF_ORACLE static inline int ref_space_start(const RefTree *t, int root,
                                             Answer *ans, uint64_t limit)
{
    for (uint64_t a = 0; a < limit; a++) {
        ans[a].node = -1;
    }
    return ref_flatview_root(t, root);
}

/* What the view of an AddressSpace over @root must show at each address
 * below @limit, into @ans[0..@limit). Returns the effective root. */
REF_ORACLE static inline int ref_resolve_space(const RefTree *t, int root,
                                               Answer *ans, uint64_t limit)
{
    int eff = ref_space_start(t, root, ans, limit);

    for (uint64_t a = 0; eff >= 0 && a < limit; a++) {
        ref_resolve(t, eff, (int64_t)a - (int64_t)t->n[eff].addr, false, false,
                    &ans[a]);
    }
    return eff;
}

/*
 * The same answers as ref_resolve_space(), computed a region at a time
 * rather than an address at a time (a fuzzer compares a view with the
 * model several times an input; test-render-model checks on every tree it
 * draws that the two agree). ref_paint() gives the answer of node @i,
 * whose offset 0 sits at space address @base, to every address of
 * [@lo, @hi) that nothing before it answered (node -1), in the order
 * ref_resolve() tries them: an alias's target, the subregions in render
 * order, then the region itself if it terminates.
 */
REF_ORACLE static inline void ref_paint(const RefTree *t, int i, int64_t base,
                                        int64_t lo, int64_t hi, bool ro,
                                        bool nv, Answer *ans)
{
    const Node *r = &t->n[i];

    if (!r->enabled) {
        return;
    }
    /* the region covers [base, base + size) */
    if (lo < base) {
        lo = base;
    }
    if (hi <= lo) {
        return;
    }
    if (r->size < (uint64_t)(hi - base)) {
        hi = base + (int64_t)r->size;
        if (hi <= lo) {
            return;
        }
    }
    ro |= r->readonly;
    nv |= r->nonvolatile;
    if (r->kind == K_ALIAS) {
        ref_paint(t, r->alias, base - (int64_t)r->alias_offset, lo, hi, ro, nv,
                  ans);
        return;
    }
    for (int k = 0; k < t->nkids[i]; k++) {
        int c = t->kids[i][k];

        ref_paint(t, c, base + (int64_t)t->n[c].addr, lo, hi, ro, nv, ans);
    }
    if (!kind_terminates(r->kind)) {
        return;
    }
    for (int64_t a = lo; a < hi; a++) {
        if (ans[a].node < 0) {
            ans[a] = (Answer){.node = i,
                              .offset = (uint64_t)(a - base),
                              .readonly = ro,
                              .nonvolatile = nv};
        }
    }
}

/* ref_resolve_space()'s answers, by ref_paint(). */
REF_ORACLE static inline int ref_paint_space(const RefTree *t, int root,
                                             Answer *ans, uint64_t limit)
{
    int eff = ref_space_start(t, root, ans, limit);

    if (eff >= 0) {
        ref_paint(t, eff, (int64_t)t->n[eff].addr, 0, (int64_t)limit, false,
                  false, ans);
    }
    return eff;
}

/* Whether @to is @from or reachable from it through subregions or alias
 * targets (disabled ones included); @seen: REF_MAX_REGIONS false flags. */
REF_ORACLE static inline bool ref_reaches_seen(const RefTree *t, int from,
                                               int to, bool *seen)
{
    if (from == to) {
        return true;
    }
    if (seen[from]) {
        return false;
    }
    seen[from] = true;
    if (t->n[from].alias >= 0 &&
        ref_reaches_seen(t, t->n[from].alias, to, seen)) {
        return true;
    }
    for (int i = 0; i < t->count; i++) {
        if (t->n[i].parent == from && ref_reaches_seen(t, i, to, seen)) {
            return true;
        }
    }
    return false;
}

REF_ORACLE static inline bool ref_reaches(const RefTree *t, int from, int to)
{
    bool seen[REF_MAX_REGIONS] = {false};

    return ref_reaches_seen(t, from, to, seen);
}

/* Flip flag @which (0: enabled, 1: readonly, 2: nonvolatile) of node @r,
 * in the model and in the library. */
static inline void ref_toggle_flag(Node *r, int which)
{
    switch (which) {
    case 0:
        r->enabled = !r->enabled;
        memory_region_set_enabled(r->mr, r->enabled);
        break;
    case 1:
        r->readonly = !r->readonly;
        memory_region_set_readonly(r->mr, r->readonly);
        break;
    default:
        r->nonvolatile = !r->nonvolatile;
        memory_region_set_nonvolatile(r->mr, r->nonvolatile);
        break;
    }
}

/* The section @s found at @a is what @want says (a hole: no section). */
REF_ORACLE static inline bool ref_answer_matches(const RefTree *t,
                                                 const Answer *want,
                                                 const MemoryRegionSection *s,
                                                 hwaddr a)
{
    if (want->node < 0 || !s) {
        return want->node < 0 && !s;
    }
    return s->mr == t->n[want->node].mr &&
           s->offset_within_region + (a - s->offset_within_address_space) ==
               want->offset &&
           s->readonly == want->readonly &&
           s->nonvolatile == want->nonvolatile &&
           s->romd_mode ==
               (t->n[want->node].kind == K_ROMD && t->n[want->node].romd);
}

/* Sections whose union is maximal: what QEMU's flatview_simplify leaves. */
static inline bool ref_sections_mergeable(const MemoryRegionSection *a,
                                          const MemoryRegionSection *b)
{
    return a->mr == b->mr &&
           a->offset_within_address_space + a->size ==
               b->offset_within_address_space &&
           a->offset_within_region + a->size == b->offset_within_region &&
           a->readonly == b->readonly && a->nonvolatile == b->nonvolatile &&
           a->romd_mode == b->romd_mode;
}

#endif /* TESTS_UNIT_RENDER_REFERENCE_H */
