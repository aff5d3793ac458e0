/* SPDX-License-Identifier: MIT */
/*
 * rcu-list: concurrent insert, remove and traverse of an RCU-protected
 * sorted singly linked list.
 *
 * The list is our own, published with rcu_assign_pointer() and read with
 * rcu_dereference() from <addrspace/rcu.h>; liburcu's cds_list_*_rcu macros
 * are not used because their inline assembly is invisible to TSan.
 *
 * Writers (serialised by one mutex) insert a random key when it is absent
 * and remove it when present; removed nodes are freed with call_rcu() and
 * poisoned. Readers traverse the whole list inside one read-side section
 * and check every node: magic, checksum, not poisoned, age < 2 (0 linked,
 * 1 unlinked, 2 once a grace period has passed: only a broken RCU lets a
 * reader see that), and keys strictly increasing (a removed node keeps its
 * successor, so even a reader standing on it sees a sorted sequence). At
 * the end the list must hold exactly the writers' model of it.
 *
 * Planted bug (same source, see tests/stress/meson.build):
 *   PLANT_FREE_BEFORE_GP  removed nodes are freed without a grace period.
 *
 * Exit status: 0 clean, 1 RCU violation, 2 usage.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include <addrspace/rcu.h>

#include "stress-common.h"

#define NODE_MAGIC 0x4c495354u /* "LIST" */
#define KEY_SPACE  32

typedef struct ListNode {
    struct rcu_head rcu;   /* first: call_rcu() requires it */
    struct ListNode *next; /* RCU-protected */
    uint32_t magic;
    uint32_t age; /* accessed atomically */
    uint64_t key;
    uint64_t check; /* stress_mix64(key ^ generation) */
    uint64_t generation;
} ListNode;

typedef struct ReaderStats {
    uint64_t traversals;
    uint64_t nodes_seen;
    uint64_t unlinked_seen; /* age 1: legal, shows the test bites */
    uint64_t violations;
    bool bursts;
} ReaderStats;

typedef struct WriterStats {
    GRand *rand;
    uint64_t inserts;
    uint64_t removes;
} WriterStats;

/* The sentinel: never freed, its key is not used. */
static ListNode list_head;
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
/* Under list_lock: which keys are in the list, the update count. */
static bool model[KEY_SPACE];
static uint64_t updates_done;
static uint64_t next_generation;
static StressOptions opts = {.readers = 4, .writers = 2, .iterations = 4000};
static uint64_t start_ns;
static gint stop_readers;
static gint nodes_live;

static uint64_t node_check_value(const ListNode *node)
{
    return stress_mix64(node->key ^ (node->generation << 8));
}

static void node_free(ListNode *node)
{
    stress_poison_free(node, sizeof(*node));
    g_atomic_int_add(&nodes_live, -1);
}

static void node_reclaim_cb(ListNode *node)
{
    __atomic_fetch_add(&node->age, 1, __ATOMIC_RELAXED);
    node_free(node);
}

/* Returns false (and counts) when @node must not be visible to a reader. */
static bool reader_check_node(ReaderStats *st, const ListNode *node,
                              int64_t prev_key)
{
    uint32_t magic = node->magic;
    uint32_t age;

    if (magic != NODE_MAGIC) {
        stress_report_violation("rcu-list", "reader reached a %s node",
                                magic == STRESS_POISON_U32 ? "freed"
                                                           : "uninitialised");
        st->violations++;
        return false;
    }
    if (node_check_value(node) != node->check) {
        stress_report_violation("rcu-list", "checksum mismatch at key %" PRIu64,
                                node->key);
        st->violations++;
        return false;
    }
    if ((int64_t)node->key <= prev_key) {
        stress_report_violation("rcu-list",
                                "keys out of order: %" PRId64 " then %" PRIu64,
                                prev_key, node->key);
        st->violations++;
        return false;
    }
    age = __atomic_load_n(&node->age, __ATOMIC_RELAXED);
    if (age >= 2) {
        stress_report_violation("rcu-list",
                                "reader held key %" PRIu64
                                " across a grace period after its removal",
                                node->key);
        st->violations++;
        return false;
    }
    st->unlinked_seen += age;
    return true;
}

static void reader_traverse(void *arg)
{
    ReaderStats *st = arg;
    int64_t prev_key = -1;
    unsigned int count = 0;

    WITH_RCU_READ_LOCK_GUARD () {
        const ListNode *next;

        for (const ListNode *node = rcu_dereference(list_head.next); node;
             node = next) {
            if (!reader_check_node(st, node, prev_key)) {
                break;
            }
            next = rcu_dereference(node->next);
            /* Freed after the check? Then next is garbage: do not follow. */
            if (node->magic != NODE_MAGIC) {
                stress_report_violation("rcu-list",
                                        "node freed under a reader");
                st->violations++;
                break;
            }
            prev_key = (int64_t)node->key;
            /* Sorted and below KEY_SPACE: a longer walk is a cycle. */
            if (++count > KEY_SPACE) {
                stress_report_violation("rcu-list", "list has a cycle");
                st->violations++;
                break;
            }
        }
    }
    st->nodes_seen += count;
    st->traversals++;
}

static gpointer reader_main(gpointer arg)
{
    ReaderStats *st = arg;

    stress_reader_loop(reader_traverse, st, st->bursts, &stop_readers);
    return NULL;
}

/* Toggles @key: removes it when present, inserts it otherwise. */
static void writer_toggle_locked(WriterStats *ws, uint64_t key)
{
    ListNode *prev = &list_head;
    ListNode *cur = prev->next;

    while (cur && cur->key < key) {
        prev = cur;
        cur = cur->next;
    }
    if (cur && cur->key == key) {
        rcu_assign_pointer(prev->next, cur->next);
        __atomic_store_n(&cur->age, 1, __ATOMIC_RELAXED);
#ifdef PLANT_FREE_BEFORE_GP
        /* PLANTED BUG: freed at once; readers may stand on the node. */
        (void)node_reclaim_cb;
        node_free(cur);
#else
        call_rcu(cur, node_reclaim_cb, rcu);
#endif
        model[key] = false;
        ws->removes++;
    } else {
        ListNode *node = g_malloc(sizeof(*node));

        node->magic = NODE_MAGIC;
        node->age = 0;
        node->key = key;
        node->generation = ++next_generation;
        node->check = node_check_value(node);
        node->next = cur;
        g_atomic_int_inc(&nodes_live);
        rcu_assign_pointer(prev->next, node);
        model[key] = true;
        ws->inserts++;
    }
}

static gpointer writer_main(gpointer arg)
{
    WriterStats *ws = arg;
    bool stop = false;

    rcu_register_thread();
    while (!stop) {
        uint64_t key = (uint64_t)g_rand_int_range(ws->rand, 0, KEY_SPACE);

        pthread_mutex_lock(&list_lock);
        stop = stress_should_stop(&opts, updates_done, start_ns);
        if (!stop) {
            writer_toggle_locked(ws, key);
            updates_done++;
        }
        pthread_mutex_unlock(&list_lock);
        stress_writer_pause();
    }
    rcu_unregister_thread();
    return NULL;
}

/* Single-threaded: the list must be exactly the model. */
static uint64_t check_final_list(void)
{
    uint64_t errors = 0;
    unsigned int key = 0;

    for (ListNode *node = list_head.next; node; node = node->next) {
        while (key < node->key) {
            errors += model[key++];
        }
        errors += !model[key++];
    }
    while (key < KEY_SPACE) {
        errors += model[key++];
    }
    if (errors) {
        fprintf(stderr,
                "rcu-list: final list differs from the model at %" PRIu64
                " keys\n",
                errors);
    }
    return errors;
}

int main(int argc, char **argv)
{
    ReaderStats *rstats;
    WriterStats *wstats;
    GThread **readers;
    GThread **writers;
    uint64_t violations = 0, traversals = 0, nodes = 0, unlinked = 0;
    uint64_t inserts = 0, removes = 0;
    unsigned int idle_readers = 0;

    stress_parse_options(argc, argv, &opts, 16, 60);
    rstats = g_new0(ReaderStats, opts.readers);
    wstats = g_new0(WriterStats, opts.writers);
    readers = g_new0(GThread *, opts.readers);
    writers = g_new0(GThread *, opts.writers);
    start_ns = stress_now_ns();
    for (unsigned int i = 0; i < opts.readers; i++) {
        /* + one: the writers mostly sleep */
        rstats[i].bursts = stress_oversubscribed(opts.readers + 1);
        readers[i] = g_thread_new("reader", reader_main, &rstats[i]);
    }
    for (unsigned int i = 0; i < opts.writers; i++) {
        wstats[i].rand = g_rand_new_with_seed(i + 1);
        writers[i] = g_thread_new("writer", writer_main, &wstats[i]);
    }

    for (unsigned int i = 0; i < opts.writers; i++) {
        g_thread_join(writers[i]);
        inserts += wstats[i].inserts;
        removes += wstats[i].removes;
        g_rand_free(wstats[i].rand);
    }
    g_atomic_int_set(&stop_readers, 1);
    for (unsigned int i = 0; i < opts.readers; i++) {
        g_thread_join(readers[i]);
        violations += rstats[i].violations;
        traversals += rstats[i].traversals;
        nodes += rstats[i].nodes_seen;
        unlinked += rstats[i].unlinked_seen;
        idle_readers += rstats[i].traversals == 0;
    }

    violations += check_final_list();
    while (list_head.next) {
        ListNode *node = list_head.next;

        list_head.next = node->next;
        node_free(node);
    }
    drain_call_rcu();
    if (g_atomic_int_get(&nodes_live) != 0) {
        fprintf(stderr, "rcu-list: %d nodes never freed\n",
                g_atomic_int_get(&nodes_live));
        violations++;
    }
    if (inserts == 0 || removes == 0 || idle_readers) {
        /* A run that tested nothing must not pass. */
        fprintf(stderr,
                "rcu-list: %" PRIu64 " inserts, %" PRIu64
                " removes, %u idle readers\n",
                inserts, removes, idle_readers);
        violations++;
    }
    printf("rcu-list: readers=%u writers=%u inserts=%" PRIu64
           " removes=%" PRIu64 " traversals=%" PRIu64 " nodes_seen=%" PRIu64
           " unlinked_nodes_seen=%" PRIu64 " seconds=%.2f\n",
           opts.readers, opts.writers, inserts, removes, traversals, nodes,
           unlinked, (double)(stress_now_ns() - start_ns) / 1e9);
    g_free(readers);
    g_free(writers);
    g_free(rstats);
    g_free(wstats);
    if (violations) {
        printf("rcu-list: FAIL: %" PRIu64 " violations\n", violations);
        return STRESS_EXIT_VIOLATION;
    }
    printf("rcu-list: PASS\n");
    return 0;
}
