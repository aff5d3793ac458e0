/* SPDX-License-Identifier: MIT */
/*
 * Which address windows a commit may have changed.
 *
 * Every tree mutation notes the region it changes (in the same places that
 * mark regions for re-rendering, transaction.c), as two windows: the
 * region's whole content, [0, size) in its own addresses with the larger of
 * its sizes at the note and at the commit, and its range in its container
 * as it is at that moment, [addr, addr + size) in the container's
 * addresses (so a move or a removal also notes where the region was). At the commit, a window of region X is carried up to every
 * view root above X: into X's container (shifted by X's address, clipped
 * to the container's size) and into every alias of X (shifted by the
 * alias offset, clipped to the alias's size), until it reaches the root.
 * A view changes nowhere outside the windows that reach its root, so
 * flatview_update_locked() re-renders only those. The walk is bounded:
 * past CHANGE_NOTES_MAX notes, or CHANGE_STEPS_MAX steps for one root, the
 * answer is "not known" and that root is rendered whole.
 */
#include "memory-internal.h"

#define CHANGE_NOTES_MAX 256
#define CHANGE_STEPS_MAX 4096

typedef struct ChangeNote {
    MemoryRegion *mr;
    addrspace_u128 start, end; /* in @mr's own addresses */
    bool content; /* [0, @end) is @mr's whole content, @end its size then */
} ChangeNote;

struct ChangeWindows {
    GArray *notes; /* ChangeNote */
    bool overflow; /* more notes than kept: windows unknown */
};

/* Under the update lock: this round's notes; the last round's, emptied,
 * for the next (one commit after another reuses them). */
static ChangeWindows *pending, *spare;

static ChangeWindows *pending_get(void)
{
    if (!pending) {
        pending = spare;
        spare = NULL;
    }
    if (!pending) {
        pending = g_new0(ChangeWindows, 1);
        pending->notes = g_array_new(false, false, sizeof(ChangeNote));
    }
    return pending;
}

static void note(ChangeWindows *cw, MemoryRegion *mr, addrspace_u128 start,
                 addrspace_u128 end, bool content)
{
    ChangeNote n = {mr, start, end, content};

    g_array_append_val(cw->notes, n);
}

void memory_change_windows_note_locked(MemoryRegion *mr)
{
    ChangeWindows *cw = pending_get();
    MemoryRegion *c = mr->priv.container;

    if (cw->overflow) {
        return;
    }
    note(cw, mr, 0, mr->priv.size, true);
    if (c) {
        note(cw, c, mr->priv.addr, mr->priv.addr + mr->priv.size, false);
    }
    if (cw->notes->len > CHANGE_NOTES_MAX) {
        /* a big transaction: its views are rendered whole anyway */
        cw->overflow = true;
        g_array_set_size(cw->notes, 0);
    }
}

void memory_change_windows_note_range_locked(MemoryRegion *mr,
                                             addrspace_u128 start,
                                             addrspace_u128 end)
{
    ChangeWindows *cw = pending_get();

    if (cw->overflow) {
        return;
    }
    note(cw, mr, start, end, false);
    if (cw->notes->len > CHANGE_NOTES_MAX) {
        cw->overflow = true;
        g_array_set_size(cw->notes, 0);
    }
}

void memory_change_windows_forget_locked(MemoryRegion *mr)
{
    GArray *notes = pending ? pending->notes : NULL;

    for (guint i = 0; notes && i < notes->len;) {
        if (g_array_index(notes, ChangeNote, i).mr == mr) {
            g_array_remove_index_fast(notes, i);
        } else {
            i++;
        }
    }
}

ChangeWindows *memory_change_windows_take_locked(void)
{
    ChangeWindows *cw = pending_get();

    pending = NULL;
    return cw;
}

void memory_change_windows_release_locked(ChangeWindows *cw)
{
    if (!cw) {
        return;
    }
    if (!spare) {
        /* its allocation stays: at most about CHANGE_NOTES_MAX notes */
        g_array_set_size(cw->notes, 0);
        cw->overflow = false;
        spare = cw;
        return;
    }
    g_array_free(cw->notes, true);
    g_free(cw);
}

/* One walk up from the notes towards @root. */
typedef struct Carry {
    MemoryRegion *root;
    GArray *out;
    unsigned steps;
} Carry;

static bool carry(Carry *w, MemoryRegion *mr, addrspace_s128 s,
                  addrspace_s128 e);

/*
 * Carry [@s, @e) of @mr's addresses, already clipped, on from @mr: to the
 * root, or into @mr's container and aliases. false: over budget.
 */
static bool carry_up(Carry *w, MemoryRegion *mr, addrspace_s128 s,
                     addrspace_s128 e)
{
    MemoryRegion *c = mr->priv.container;

    if (mr == w->root) {
        /* no path leads up from the root back to it: the tree is acyclic */
        FlatWindow fw = {(addrspace_u128)s, (addrspace_u128)e};

        g_array_append_val(w->out, fw);
        return true;
    }
    if (c && !carry(w, c, s + mr->priv.addr, e + mr->priv.addr)) {
        return false;
    }
    for (GSList *l = mr->priv.alias_users; l; l = l->next) {
        MemoryRegion *alias = l->data;
        addrspace_s128 off = alias->priv.alias_offset;

        if (!carry(w, alias, s - off, e - off)) {
            return false;
        }
    }
    return true;
}

/* Carry [@s, @e) of @mr's addresses, clipped to @mr, up to the root. */
static bool carry(Carry *w, MemoryRegion *mr, addrspace_s128 s,
                  addrspace_s128 e)
{
    if (++w->steps > CHANGE_STEPS_MAX) {
        return false;
    }
    s = s > 0 ? s : 0;
    e = e < (addrspace_s128)mr->priv.size ? e : (addrspace_s128)mr->priv.size;
    if (s >= e) {
        return true; /* outside the region: shows nowhere */
    }
    return carry_up(w, mr, s, e);
}

bool memory_change_windows_of_locked(const ChangeWindows *cw,
                                     MemoryRegion *root, GArray *out)
{
    Carry w = {root, out, 0};

    if (cw->overflow) {
        return false;
    }
    for (guint i = 0; i < cw->notes->len; i++) {
        const ChangeNote *n = &g_array_index(cw->notes, ChangeNote, i);
        bool ok;

        if (n->content) {
            /* the region's content at its size then or now, whichever is
             * larger: a shrunk region no longer shows the rest */
            addrspace_u128 e = MAX(n->end, n->mr->priv.size);

            ok = ++w.steps <= CHANGE_STEPS_MAX &&
                 carry_up(&w, n->mr, 0, (addrspace_s128)e);
        } else {
            ok = carry(&w, n->mr, (addrspace_s128)n->start,
                       (addrspace_s128)n->end);
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}
