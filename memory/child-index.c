/* SPDX-License-Identifier: MIT */
/*
 * The address-ordered index of a container's subregions: a treap keyed by
 * (address, add_seq), each node the subregion itself (its priv.cx_*
 * fields), augmented with the largest end address in its subtree so that
 * the subregions meeting a window are found in O(log n + k) even when they
 * overlap. Kept by subregion.c on every link, unlink and resize (under the
 * update lock); read by render for windows narrower than a wide container.
 */
#include "memory-internal.h"

static addrspace_u128 child_end(const MemoryRegion *c)
{
    return (addrspace_u128)c->priv.addr + c->priv.size;
}

/* Whether @a sorts before @b: address, then order of addition. */
static bool child_before(const MemoryRegion *a, const MemoryRegion *b)
{
    return a->priv.addr != b->priv.addr ? a->priv.addr < b->priv.addr
                                        : a->priv.add_seq < b->priv.add_seq;
}

/* Recompute @n's subtree maximum from its children. */
static void node_pull(MemoryRegion *n)
{
    addrspace_u128 m = child_end(n);

    if (n->priv.cx_left && n->priv.cx_left->priv.cx_max_end > m) {
        m = n->priv.cx_left->priv.cx_max_end;
    }
    if (n->priv.cx_right && n->priv.cx_right->priv.cx_max_end > m) {
        m = n->priv.cx_right->priv.cx_max_end;
    }
    n->priv.cx_max_end = m;
}

/* Split @t into the nodes before @key (*@l) and the rest (*@r). */
static void split(MemoryRegion *t, const MemoryRegion *key, MemoryRegion **l,
                  MemoryRegion **r)
{
    if (!t) {
        *l = *r = NULL;
    } else if (child_before(t, key)) {
        split(t->priv.cx_right, key, &t->priv.cx_right, r);
        node_pull(t);
        *l = t;
    } else {
        split(t->priv.cx_left, key, l, &t->priv.cx_left);
        node_pull(t);
        *r = t;
    }
}

/* Join @l and @r, every node of @l before every node of @r. */
static MemoryRegion *merge(MemoryRegion *l, MemoryRegion *r)
{
    if (!l || !r) {
        return l ? l : r;
    }
    if (l->priv.cx_prio > r->priv.cx_prio) {
        l->priv.cx_right = merge(l->priv.cx_right, r);
        node_pull(l);
        return l;
    }
    r->priv.cx_left = merge(l, r->priv.cx_left);
    node_pull(r);
    return r;
}

static MemoryRegion *insert(MemoryRegion *t, MemoryRegion *n)
{
    if (!t) {
        return n;
    }
    if (n->priv.cx_prio > t->priv.cx_prio) {
        split(t, n, &n->priv.cx_left, &n->priv.cx_right);
        node_pull(n);
        return n;
    }
    if (child_before(n, t)) {
        t->priv.cx_left = insert(t->priv.cx_left, n);
    } else {
        t->priv.cx_right = insert(t->priv.cx_right, n);
    }
    node_pull(t);
    return t;
}

static MemoryRegion *remove_node(MemoryRegion *t, MemoryRegion *n)
{
    if (t == n) {
        return merge(n->priv.cx_left, n->priv.cx_right);
    }
    if (child_before(n, t)) {
        t->priv.cx_left = remove_node(t->priv.cx_left, n);
    } else {
        t->priv.cx_right = remove_node(t->priv.cx_right, n);
    }
    node_pull(t);
    return t;
}

void memory_region_child_index_add_locked(MemoryRegion *mr, MemoryRegion *sub)
{
    /* a well-mixed priority from the unique add_seq: expected depth
     * O(log n) whatever the order of the additions */
    uint64_t z = sub->priv.add_seq + 0x9e3779b97f4a7c15ull;

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    sub->priv.cx_prio = (uint32_t)(z ^ (z >> 31));
    sub->priv.cx_left = sub->priv.cx_right = NULL;
    node_pull(sub);
    mr->priv.cx_root = insert(mr->priv.cx_root, sub);
}

void memory_region_child_index_del_locked(MemoryRegion *mr, MemoryRegion *sub)
{
    mr->priv.cx_root = remove_node(mr->priv.cx_root, sub);
    sub->priv.cx_left = sub->priv.cx_right = NULL;
}

/* Append to @out the nodes of @t that meet [@lo, @hi), by address. */
static void collect(MemoryRegion *t, addrspace_u128 lo, addrspace_u128 hi,
                    GPtrArray *out)
{
    while (t && t->priv.cx_max_end > lo) {
        collect(t->priv.cx_left, lo, hi, out);
        if (t->priv.addr >= hi) {
            return; /* so do all nodes to its right */
        }
        if (child_end(t) > lo) {
            g_ptr_array_add(out, t);
        }
        t = t->priv.cx_right;
    }
}

/* Render order: priority descending, later added first. */
static int render_order(const void *a, const void *b)
{
    const MemoryRegion *x = *(MemoryRegion *const *)a;
    const MemoryRegion *y = *(MemoryRegion *const *)b;

    if (x->priv.priority != y->priv.priority) {
        return x->priv.priority > y->priv.priority ? -1 : 1;
    }
    return x->priv.add_seq > y->priv.add_seq ? -1 : 1;
}

size_t memory_region_children_in_locked(MemoryRegion *mr, addrspace_u128 lo,
                                        addrspace_u128 hi, GPtrArray *out)
{
    guint from = out->len;
    size_t n;

    collect(mr->priv.cx_root, lo, hi, out);
    n = out->len - from;
    if (n > 1) {
        qsort(out->pdata + from, n, sizeof(void *), render_order);
    }
    return n;
}
