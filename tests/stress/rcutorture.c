/* SPDX-License-Identifier: MIT */
/*
 * rcutorture: the RCU layer under load, in the manner of Linux's and
 * QEMU's rcutorture.
 *
 * One updater publishes a new object every ~50 us with rcu_xchg_pointer()
 * and retires the old one, alternately through call_rcu() and through
 * synchronize_rcu() + free. Readers dereference the current object inside
 * a read-side section and check it: magic, checksum, not poisoned, and its
 * pipeline age.
 *
 * Pipeline age: 0 while the object is current; the retirement sets it to 1;
 * every grace period that completes after the retirement adds 1. A reader
 * that got the pointer before the retirement may see 0 or 1; seeing 2 or
 * more means a grace period ended while the reader still held the object:
 * RCU is broken. The synchronize_rcu() path keeps retired objects in a
 * pipeline for PIPE_LEN grace periods, as Linux's rcutorture does, so a
 * broken grace period shows as an age rather than as garbage; the call_rcu()
 * path frees after one grace period (the first once the reclamation
 * thread's batch is ready), so that the sanitizers catch late accesses.
 * Freed objects are poisoned.
 *
 * Planted bugs (same source, see tests/stress/meson.build):
 *   PLANT_FREE_BEFORE_GP     the synchronize_rcu() path frees the old
 *                            object before waiting for the grace period;
 *   PLANT_READ_AFTER_UNLOCK  readers check the object after leaving the
 *                            read-side section.
 * The plain build catches both with the poison and pipeline-age checks
 * (exit status 1), ASan and TSan with their own reports (exit status set
 * in their options; under ASan freed objects are not memset, ASan's own
 * poisoning reports the access). Under ASan a read after unlock may be
 * seen by the age check first: call_rcu()'s frees are batched, as in
 * QEMU, so they lag the retirement (tests/stress/meson.build).
 *
 * Exit status: 0 clean, 1 RCU violation, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <addrspace/rcu.h>

#include "stress-common.h"

#define TORTURE_MAGIC 0x52435554u /* "RCUT" */
#define PAYLOAD_WORDS 16
/* Retired objects live this many pipeline steps on the synchronous path. */
#define PIPE_LEN 10
/* Histogram bins: ages 0 .. PIPE_LEN - 1, then "PIPE_LEN or more". */
#define AGE_BINS (PIPE_LEN + 1)

typedef struct TortureObj {
    struct rcu_head rcu; /* first: call_rcu() requires it */
    uint32_t magic;
    uint32_t age; /* pipeline age, accessed atomically */
    uint64_t seq; /* number of the update that published it */
    uint64_t payload[PAYLOAD_WORDS];
    uint64_t checksum;
    struct TortureObj *next_retired; /* updater only: pipeline link */
} TortureObj;

typedef struct ReaderStats {
    uint64_t reads;
    uint64_t age_hist[AGE_BINS];
    uint64_t poisoned; /* magic reads as the poison pattern */
    uint64_t garbage;  /* magic is neither: never initialised or corrupt */
    uint64_t bad_sum;  /* checksum mismatch */
    uint64_t too_old;  /* age >= 2 */
    uint64_t nested;   /* nested read-side sections taken */
    bool bursts;       /* read in bursts, sleeping in between */
} ReaderStats;

static TortureObj *torture_current;
static gint stop_readers;
static gint objects_live; /* allocated and not yet freed */

static uint64_t obj_checksum(const TortureObj *obj)
{
    uint64_t sum = stress_mix64(obj->seq);

    for (int i = 0; i < PAYLOAD_WORDS; i++) {
        sum = stress_mix64(sum ^ obj->payload[i]);
    }
    return sum;
}

static TortureObj *obj_new(uint64_t seq)
{
    /* g_malloc, not g_new0: an unpublished field must look like garbage */
    TortureObj *obj = g_malloc(sizeof(*obj));

    obj->magic = TORTURE_MAGIC;
    obj->age = 0;
    obj->seq = seq;
    for (int i = 0; i < PAYLOAD_WORDS; i++) {
        obj->payload[i] = stress_mix64(seq * PAYLOAD_WORDS + (uint64_t)i);
    }
    obj->checksum = obj_checksum(obj);
    obj->next_retired = NULL;
    g_atomic_int_inc(&objects_live);
    return obj;
}

static void obj_free(TortureObj *obj)
{
    stress_poison_free(obj, sizeof(*obj));
    g_atomic_int_add(&objects_live, -1);
}

/*
 * The reader's whole look at one object; returns the histogram bin.
 * Magic is read first and again last, so a free during the look shows.
 */
static unsigned int reader_check(ReaderStats *st, const TortureObj *obj)
{
    uint32_t magic = obj->magic;
    uint32_t age;

    if (magic != TORTURE_MAGIC) {
        if (magic == STRESS_POISON_U32) {
            st->poisoned++;
            stress_report_violation("rcutorture",
                                    "reader saw a freed (poisoned) object");
        } else {
            st->garbage++;
            stress_report_violation(
                "rcutorture", "reader saw an uninitialised object (magic %#x)",
                magic);
        }
        return AGE_BINS - 1;
    }
    if (obj_checksum(obj) != obj->checksum) {
        st->bad_sum++;
        stress_report_violation(
            "rcutorture", "checksum mismatch in object %" PRIu64, obj->seq);
    }
    age = __atomic_load_n(&obj->age, __ATOMIC_RELAXED);
    if (obj->magic != TORTURE_MAGIC) {
        st->poisoned++;
        stress_report_violation("rcutorture",
                                "object freed while a reader held it");
        return AGE_BINS - 1;
    }
    if (age >= 2) {
        st->too_old++;
        stress_report_violation("rcutorture",
                                "reader held object %" PRIu64 " across %u "
                                "grace period(s) after its retirement",
                                obj->seq, age - 1);
    }
    return age < AGE_BINS - 1 ? age : AGE_BINS - 1;
}

static void reader_read_once(void *arg)
{
    ReaderStats *st = arg;
    const TortureObj *obj;
    unsigned int bin;

    rcu_read_lock();
    obj = rcu_dereference(torture_current);
#ifdef PLANT_READ_AFTER_UNLOCK
    rcu_read_unlock();
    /* PLANTED BUG: the object is used after the section ended. */
    bin = reader_check(st, obj);
#else
    bin = reader_check(st, obj);
    if ((st->reads & 7) == 0) {
        /* QEMU's rcutorture nests a section inside the reader. */
        rcu_read_lock();
        if (rcu_dereference(torture_current) != NULL) {
            st->nested++;
        }
        rcu_read_unlock();
    }
    rcu_read_unlock();
#endif
    st->age_hist[bin]++;
    st->reads++;
}

static gpointer reader_main(gpointer arg)
{
    ReaderStats *st = arg;

    stress_reader_loop(reader_read_once, st, st->bursts, &stop_readers);
    return NULL;
}

/* Reclamation path 1: call_rcu(); the callback runs after a grace period. */
static void obj_reclaim_cb(TortureObj *obj)
{
    __atomic_fetch_add(&obj->age, 1, __ATOMIC_RELAXED);
    obj_free(obj);
}

typedef struct Updater {
    TortureObj *pipeline; /* retired on the synchronous path, newest first */
    uint64_t updates;
    uint64_t via_call_rcu;
    uint64_t via_sync;
} Updater;

/* One grace period has completed for every object in the pipeline. */
static void pipeline_advance(Updater *up)
{
    TortureObj **link = &up->pipeline;

    while (*link) {
        TortureObj *obj = *link;

        if (__atomic_add_fetch(&obj->age, 1, __ATOMIC_RELAXED) >= PIPE_LEN) {
            *link = obj->next_retired;
            obj_free(obj);
        } else {
            link = &obj->next_retired;
        }
    }
}

/* Reclamation path 2: synchronize_rcu(), then free (via the pipeline). */
static void retire_sync(Updater *up, TortureObj *old)
{
#ifdef PLANT_FREE_BEFORE_GP
    /* PLANTED BUG: freed before the grace period; readers may hold it. */
    obj_free(old);
#else
    old->next_retired = up->pipeline;
    up->pipeline = old;
#endif
    synchronize_rcu();
    pipeline_advance(up);
}

static void update_once(Updater *up)
{
    TortureObj *obj = obj_new(up->updates + 1);
    TortureObj *old = rcu_xchg_pointer(&torture_current, obj);

    /* The retirement is pipeline step 1, as in Linux's rcutorture. */
    __atomic_store_n(&old->age, 1, __ATOMIC_RELAXED);
    if (up->updates % 2) {
        up->via_call_rcu++;
        call_rcu(old, obj_reclaim_cb, rcu);
    } else {
        up->via_sync++;
        retire_sync(up, old);
    }
    up->updates++;
}

static void print_histogram(const ReaderStats *total)
{
    printf("rcutorture: pipeline age histogram (reads):");
    for (int i = 0; i < AGE_BINS; i++) {
        printf(" %s%d:%" PRIu64, i == AGE_BINS - 1 ? ">=" : "", i,
               total->age_hist[i]);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    StressOptions opts = {.readers = 1, .writers = 1, .iterations = 3000};
    Updater up = {0};
    ReaderStats total = {0};
    ReaderStats *stats;
    GThread **threads;
    uint64_t start;
    uint64_t violations;
    unsigned int idle_readers = 0;

    stress_parse_options(argc, argv, &opts, 1, 60);
    torture_current = obj_new(0);
    stats = g_new0(ReaderStats, opts.readers);
    threads = g_new0(GThread *, opts.readers);
    for (unsigned int i = 0; i < opts.readers; i++) {
        /* + the updater; the reclamation thread mostly sleeps */
        stats[i].bursts = stress_oversubscribed(opts.readers + 1);
        threads[i] = g_thread_new("reader", reader_main, &stats[i]);
    }

    start = stress_now_ns();
    while (!stress_should_stop(&opts, up.updates, start)) {
        update_once(&up);
        stress_writer_pause();
    }

    g_atomic_int_set(&stop_readers, 1);
    for (unsigned int i = 0; i < opts.readers; i++) {
        g_thread_join(threads[i]);
        total.reads += stats[i].reads;
        total.poisoned += stats[i].poisoned;
        total.garbage += stats[i].garbage;
        total.bad_sum += stats[i].bad_sum;
        total.too_old += stats[i].too_old;
        total.nested += stats[i].nested;
        for (int b = 0; b < AGE_BINS; b++) {
            total.age_hist[b] += stats[i].age_hist[b];
        }
        if (stats[i].reads == 0) {
            idle_readers++;
        }
    }

    /* Retire everything: no reader is left. */
    obj_free(rcu_xchg_pointer(&torture_current, NULL));
    while (up.pipeline) {
        synchronize_rcu();
        pipeline_advance(&up);
    }
    drain_call_rcu();

    printf("rcutorture: readers=%u updates=%" PRIu64 " via_call_rcu=%" PRIu64
           " via_synchronize_rcu=%" PRIu64 " reads=%" PRIu64
           " nested_reads=%" PRIu64 " seconds=%.2f\n",
           opts.readers, up.updates, up.via_call_rcu, up.via_sync, total.reads,
           total.nested, (double)(stress_now_ns() - start) / 1e9);
    print_histogram(&total);

    violations = total.poisoned + total.garbage + total.bad_sum + total.too_old;
    if (g_atomic_int_get(&objects_live) != 0) {
        fprintf(stderr, "rcutorture: %d objects never freed\n",
                g_atomic_int_get(&objects_live));
        violations++;
    }
    if (up.updates == 0 || idle_readers) {
        /* A run that tested nothing must not pass. */
        fprintf(stderr, "rcutorture: %" PRIu64 " updates, %u idle readers\n",
                up.updates, idle_readers);
        violations++;
    }
    g_free(threads);
    g_free(stats);
    if (violations) {
        printf("rcutorture: FAIL: age>=2: %" PRIu64 ", poisoned: %" PRIu64
               ", uninitialised: %" PRIu64 ", bad checksum: %" PRIu64 "\n",
               total.too_old, total.poisoned, total.garbage, total.bad_sum);
        return STRESS_EXIT_VIOLATION;
    }
    printf("rcutorture: PASS\n");
    return 0;
}
