/* SPDX-License-Identifier: MIT */
/*
 * address_space_map / address_space_unmap and the map clients, after
 * QEMU's physmem.c: direct pointers into RAM, bounded bounce buffers for
 * everything else.
 *
 * Each AddressSpace gets a MapState on first use (as->priv.bounce,
 * installed with a compare-and-swap) holding, under one mutex: the bytes of
 * bounce buffer in use and the bound, the table of live mappings keyed by
 * the pointer handed out (QEMU finds RAM mappings again from the host
 * pointer with qemu_ram_addr_from_host; we have no global RAM block list,
 * and the table also tells bounce buffers apart without a magic number in
 * front of them), and the map clients waiting for bounce space.
 */
#include <pthread.h>
#include <string.h>

#include "hooks-internal.h"
#include "map-internal.h"

/* One live mapping. Mappings of the same pointer are chained. */
typedef struct Mapping {
    struct Mapping *next;
    MemoryRegion *mr; /* its owner is referenced until unmap */
    hwaddr addr;      /* guest address (bounce write-back) */
    hwaddr offset;    /* offset in @mr (RAM: dirty marking) */
    hwaddr len;       /* bytes mapped */
    MemTxAttrs attrs; /* bounce write-back */
    bool bounce;      /* the pointer is a g_malloc'ed bounce buffer */
} Mapping;

/*
 * A map client. It waits on MapState.clients; when bounce space is freed
 * it moves to MapState.taken and stays there until its call has returned,
 * so that address_space_unregister_map_client() can still withdraw it or
 * wait for its call. Fields under MapState.lock.
 */
typedef struct MapClient {
    AddressSpaceMapClientFunc *func;
    void *opaque;
    bool cancelled;   /* withdrawn after being taken: not called */
    bool running;     /* its call is in progress on @runner */
    pthread_t runner; /* valid while @running */
} MapClient;

typedef struct MapState {
    pthread_mutex_t lock; /* not GMutex: TSan cannot see GLib's futexes */
    pthread_cond_t done;  /* broadcast when a taken client's call returns */
    size_t bounce_used;   /* bytes of bounce buffers outstanding */
    size_t bounce_max;
    GHashTable *mappings; /* pointer -> Mapping chain */
    GQueue clients;       /* MapClient waiting, oldest first */
    GQueue taken;         /* MapClient taken to be called, until it returns */
} MapState;

static MapState *map_state_new(void)
{
    MapState *st = g_new0(MapState, 1);

    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->done, NULL);
    st->bounce_max = ADDRSPACE_MAX_BOUNCE_BUFFER_SIZE;
    st->mappings = g_hash_table_new(NULL, NULL);
    g_queue_init(&st->clients);
    g_queue_init(&st->taken);
    return st;
}

static void mapping_release(Mapping *m, void *ptr)
{
    if (m->bounce) {
        g_free(ptr);
    }
    memory_region_unref(m->mr);
    g_free(m);
}

static void map_state_free(MapState *st)
{
    GHashTableIter it;
    gpointer key, value;

    g_hash_table_iter_init(&it, st->mappings);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        Mapping *m = value;

        while (m) {
            Mapping *next = m->next;

            mapping_release(m, key);
            m = next;
        }
    }
    g_hash_table_destroy(st->mappings);
    g_queue_clear_full(&st->clients, g_free);
    /* taken clients belong to the thread running them (none should be) */
    g_queue_clear(&st->taken);
    pthread_cond_destroy(&st->done);
    pthread_mutex_destroy(&st->lock);
    g_free(st);
}

/* The state of @as, or NULL before its first map or client. */
static MapState *map_state_peek(AddressSpace *as)
{
    return __atomic_load_n(&as->priv.bounce, __ATOMIC_ACQUIRE);
}

/* The state of @as, created on first use by whichever thread gets there. */
static MapState *map_state(AddressSpace *as)
{
    MapState *st = map_state_peek(as);
    void *expected = NULL;

    if (st) {
        return st;
    }
    st = map_state_new();
    if (!__atomic_compare_exchange_n(&as->priv.bounce, &expected, (void *)st,
                                     false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        map_state_free(st); /* another thread installed one first */
        return expected;
    }
    return st;
}

void address_space_bounce_destroy_locked(AddressSpace *as)
{
    MapState *st = as->priv.bounce;

    if (st) {
        /* mappings still live are a caller bug; release what they hold */
        as->priv.bounce = NULL;
        map_state_free(st);
    }
}

/* Record a copy of @tmpl as a live mapping of @ptr. */
static void mapping_insert(MapState *st, void *ptr, const Mapping *tmpl)
{
    Mapping *m = g_new(Mapping, 1);

    *m = *tmpl;
    pthread_mutex_lock(&st->lock);
    m->next = g_hash_table_lookup(st->mappings, ptr);
    g_hash_table_insert(st->mappings, ptr, m);
    pthread_mutex_unlock(&st->lock);
}

/* Remove and return one mapping of @ptr, or NULL. Caller holds the lock. */
static Mapping *mapping_take_locked(MapState *st, void *ptr)
{
    Mapping *m = g_hash_table_lookup(st->mappings, ptr);

    if (!m) {
        return NULL;
    }
    if (m->next) {
        g_hash_table_insert(st->mappings, ptr, m->next);
    } else {
        g_hash_table_remove(st->mappings, ptr);
    }
    m->next = NULL;
    return m;
}

/* Bytes from @addr to the end of section @s, saturated at UINT64_MAX. */
static uint64_t section_left(const FlatSection *s, hwaddr addr)
{
    uint64_t left = s->region.last - addr + 1;

    return left ? left : UINT64_MAX; /* 0: the section reaches 2^64 */
}

hwaddr address_space_direct_run_rcu(FlatView *fv, hwaddr addr, hwaddr len,
                                    uint32_t need, MemoryRegion **pmr,
                                    hwaddr *pxlat, uint8_t **phost)
{
    uint64_t limit;
    const FlatSection *s = memory_section_resolve_iommu_rcu(
        flatview_find(fv, addr), &addr, (need & FLAT_SECTION_HOST) != 0,
        MEMTXATTRS_UNSPECIFIED, &limit, &fv);
    hwaddr base, done;

    if (!s || (s->region.impl_flags & need) != need) {
        return 0;
    }
    /* behind an IOMMU the run stays in the translated block, in the
     * target's view (fv is now that view) */
    len = MIN(len, limit);
    *pmr = s->mr;
    base = s->offset + (addr - s->region.start);
    *phost = s->mr->priv.ram_block->host + base;
    *pxlat = base;
    done = section_left(s, addr);
    /* QEMU's flatview_extend_translation(): same region, next offset */
    while (done < len && s->region.last != UINT64_MAX) {
        hwaddr next = s->region.last + 1;
        const FlatSection *n = flatview_find(fv, next);

        if (!n || n->mr != *pmr || (n->region.impl_flags & need) != need ||
            n->offset != base + done) {
            break;
        }
        done += MIN(section_left(n, next), len - done);
        s = n;
    }
    return MIN(done, len);
}

/* Reserve up to @len bytes of bounce space; returns the bytes reserved. */
static hwaddr bounce_reserve(MapState *st, hwaddr len)
{
    hwaddr l = 0;

    pthread_mutex_lock(&st->lock);
    if (st->bounce_used < st->bounce_max) {
        l = MIN(len, (hwaddr)(st->bounce_max - st->bounce_used));
        st->bounce_used += l;
    }
    pthread_mutex_unlock(&st->lock);
    return l;
}

/*
 * Move every waiting client to @st->taken and return them as a batch for
 * clients_run() (QEMU's address_space_notify_map_clients: every client is
 * woken), or NULL when none waits. Caller holds the lock.
 */
static GPtrArray *clients_take_locked(MapState *st)
{
    GPtrArray *batch;
    MapClient *c;

    if (g_queue_is_empty(&st->clients)) {
        return NULL;
    }
    batch = g_ptr_array_new();
    while ((c = g_queue_pop_head(&st->clients))) {
        g_queue_push_tail(&st->taken, c);
        g_ptr_array_add(batch, c);
    }
    return batch;
}

/* Map-client callbacks this thread is inside (see unregister). */
static __thread unsigned int client_depth;

/*
 * Call the clients of @batch (taken, see clients_take_locked()) outside
 * the lock, skipping those withdrawn meanwhile, and free them. Each stays
 * on @st->taken, marked running, until its call has returned: that is
 * what address_space_unregister_map_client() waits for.
 */
static void clients_run(MapState *st, GPtrArray *batch)
{
    if (!batch) {
        return;
    }
    for (guint i = 0; i < batch->len; i++) {
        MapClient *c = batch->pdata[i];
        bool call;

        pthread_mutex_lock(&st->lock);
        call = !c->cancelled;
        c->running = call;
        c->runner = pthread_self();
        pthread_mutex_unlock(&st->lock);
        if (call) {
            client_depth++;
            c->func(c->opaque);
            client_depth--;
        }
        pthread_mutex_lock(&st->lock);
        g_queue_remove(&st->taken, c);
        if (call) {
            pthread_cond_broadcast(&st->done);
        }
        pthread_mutex_unlock(&st->lock);
        g_free(c);
    }
    g_ptr_array_free(batch, true);
}

/* Give back @len bytes of bounce space; return the clients to wake. */
static GPtrArray *bounce_release(MapState *st, hwaddr len)
{
    GPtrArray *clients;

    pthread_mutex_lock(&st->lock);
    st->bounce_used -= len;
    clients = clients_take_locked(st);
    pthread_mutex_unlock(&st->lock);
    return clients;
}

ADDRSPACE_EXPORT void *address_space_map(AddressSpace *as, hwaddr addr,
                                         hwaddr *plen, bool is_write,
                                         MemTxAttrs attrs)
{
    Mapping tmpl = {.addr = addr, .attrs = attrs};
    const AddressSpaceHookList *hooks;
    const FlatSection *s;
    hwaddr direct = *plen, hooked;
    MemoryRegion *mr = NULL;
    uint8_t *host = NULL;
    MapState *st;
    FlatView *fv;
    hwaddr l;

    if (*plen == 0) {
        return NULL;
    }
    if (!address_space_check(as, "address_space_map")) {
        *plen = 0;
        return NULL;
    }
    st = map_state(as);
    rcu_read_lock();
    fv = address_space_to_flatview(as);
    hooks = address_space_hooks_rcu(as, addr, *plen, is_write);
    if (hooks &&
        address_space_hooks_first_hooked(
            hooks, addr, *plen,
            is_write ? ADDRSPACE_HOOK_WRITE : ADDRSPACE_HOOK_READ, &hooked)) {
        /* access hooks: the direct part stops before the first hooked
         * byte; a hooked start bounces, so the hooks see the accesses */
        direct = hooked - addr;
    }
    l = direct ? address_space_direct_run_rcu(
                     fv, addr, direct,
                     is_write ? FLAT_SECTION_HOST : FLAT_SECTION_DIRECT_READ,
                     &mr, &tmpl.offset, &host)
               : 0;
    if (l) {
        memory_region_ref(mr);
        rcu_read_unlock();
    } else {
        /* QEMU also holds the (MMIO or unassigned) region while bouncing */
        s = flatview_find(fv, addr);
        mr = s ? s->mr : memory_region_unassigned();
        memory_region_ref(mr);
        rcu_read_unlock();
        l = bounce_reserve(st, *plen);
        /* l <= the bound: never guest-sized, but a caller may have raised
         * the bound past what the host can allocate */
        host = l ? g_try_malloc0(l) : NULL;
        if (!host) {
            if (l) {
                clients_run(st, bounce_release(st, l));
            }
            memory_region_unref(mr);
            *plen = 0;
            return NULL;
        }
        if (!is_write) {
            /* holes read as zeros, errors are not reported (QEMU) */
            address_space_read(as, addr, attrs, host, l);
        }
        tmpl.bounce = true;
    }
    tmpl.mr = mr;
    tmpl.len = l;
    mapping_insert(st, host, &tmpl);
    *plen = l;
    return host;
}

ADDRSPACE_EXPORT void address_space_unmap(AddressSpace *as, void *buffer,
                                          hwaddr len, bool is_write,
                                          hwaddr access_len)
{
    GPtrArray *clients;
    MapState *st;
    Mapping *m;

    (void)len;
    if (!address_space_check(as, "address_space_unmap")) {
        return;
    }
    st = map_state_peek(as);
    if (!st || !buffer) {
        return;
    }
    pthread_mutex_lock(&st->lock);
    m = mapping_take_locked(st, buffer);
    pthread_mutex_unlock(&st->lock);
    if (!m) {
        return; /* not a live mapping of @as */
    }
    if (!m->bounce) {
        if (is_write && access_len) {
            /* QEMU: invalidate_and_set_dirty() on what was written */
            memory_region_mark_written(m->mr, m->offset,
                                       MIN(access_len, m->len));
        }
        mapping_release(m, buffer);
        return;
    }
    if (is_write && access_len) {
        address_space_write(as, m->addr, m->attrs, buffer,
                            MIN(access_len, m->len));
    }
    clients = bounce_release(st, m->len);
    mapping_release(m, buffer);
    clients_run(st, clients);
}

ADDRSPACE_EXPORT void
address_space_register_map_client(AddressSpace *as,
                                  AddressSpaceMapClientFunc *func, void *opaque)
{
    GPtrArray *now = NULL;
    MapState *st;
    MapClient *c;

    if (!address_space_check(as, "address_space_register_map_client")) {
        return;
    }
    st = map_state(as);
    c = g_new0(MapClient, 1);
    c->func = func;
    c->opaque = opaque;
    pthread_mutex_lock(&st->lock);
    g_queue_push_tail(&st->clients, c);
    /* checked under the lock unmap frees space under: no lost wake-up */
    if (st->bounce_used < st->bounce_max) {
        now = clients_take_locked(st);
    }
    pthread_mutex_unlock(&st->lock);
    clients_run(st, now);
}

/* The first client of @q for @func(@opaque) not yet called or withdrawn. */
static GList *client_find_waiting(GQueue *q, AddressSpaceMapClientFunc *func,
                                  void *opaque)
{
    for (GList *l = q->head; l; l = l->next) {
        MapClient *c = l->data;

        if (c->func == func && c->opaque == opaque && !c->running &&
            !c->cancelled) {
            return l;
        }
    }
    return NULL;
}

/* Whether @func(@opaque) is being called by a thread other than this one. */
static bool client_running_elsewhere(MapState *st,
                                     AddressSpaceMapClientFunc *func,
                                     void *opaque)
{
    for (GList *l = st->taken.head; l; l = l->next) {
        MapClient *c = l->data;

        if (c->func == func && c->opaque == opaque && c->running &&
            !pthread_equal(c->runner, pthread_self())) {
            return true;
        }
    }
    return false;
}

ADDRSPACE_EXPORT void address_space_unregister_map_client(
    AddressSpace *as, AddressSpaceMapClientFunc *func, void *opaque)
{
    MapState *st;
    GList *l;

    if (!address_space_check(as, "address_space_unregister_map_client")) {
        return;
    }
    st = map_state(as);
    pthread_mutex_lock(&st->lock);
    if ((l = client_find_waiting(&st->clients, func, opaque))) {
        g_free(l->data);
        g_queue_delete_link(&st->clients, l);
    } else if ((l = client_find_waiting(&st->taken, func, opaque))) {
        /* taken but not started: its runner skips and frees it */
        ((MapClient *)l->data)->cancelled = true;
    }
    /* a call in progress on this thread is our caller (the callback
     * unregistering itself): waiting for it would never end. Nor does a
     * callback wait for one on another thread: two callbacks unregistering
     * each other would wait for each other forever. */
    while (client_depth == 0 && client_running_elsewhere(st, func, opaque)) {
        pthread_cond_wait(&st->done, &st->lock);
    }
    pthread_mutex_unlock(&st->lock);
}

ADDRSPACE_EXPORT void address_space_set_max_bounce_buffer_size(AddressSpace *as,
                                                               size_t size)
{
    GPtrArray *clients = NULL;
    MapState *st;

    if (!address_space_check(as, "address_space_set_max_bounce_buffer_size")) {
        return;
    }
    st = map_state(as);
    pthread_mutex_lock(&st->lock);
    st->bounce_max = size;
    if (st->bounce_used < st->bounce_max) {
        clients = clients_take_locked(st);
    }
    pthread_mutex_unlock(&st->lock);
    clients_run(st, clients);
}
