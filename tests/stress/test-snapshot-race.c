/* SPDX-License-Identifier: MIT */
/*
 * RAM snapshot restore racing readers and writers (issue 17).
 *
 * A RAM region holds a known image: 8-byte word w reads image_word(w). A
 * snapshot of it is taken while nothing runs. Then --readers threads load
 * random aligned words with address_space_ldq(), --writers threads store
 * their own value for a word (writer_word(w, t)) with address_space_stq(),
 * a "churn" thread takes and frees a second snapshot of the region over
 * and over (its take switches the dirty client, re-renders and waits for
 * grace periods; its free may switch the client off while restores run),
 * and the main thread restores the first snapshot in a loop. Every so
 * often the main thread parks the writers, restores once more and checks
 * that the whole region is the image again: every store made before must
 * have been seen and undone.
 *
 * Checked:
 *   - readers only ever see, byte by byte, the image's byte or a writer's
 *     byte for that word (a restore may mix old and new bytes, never
 *     garbage or freed memory: ASan);
 *   - with the writers parked, one restore brings back the image exactly,
 *     and a second restore copies nothing;
 *   - no data race on the library's state (TSan; the restore's copy is
 *     atomic per word under TSan, as the typed accesses are).
 *
 * Compiled with -DPLANT_UNTRACKED_WRITE the writers also store through the
 * RAM's host pointer without memory_region_set_dirty(): the parked check
 * must fail (exit status 1).
 *
 * Usage: test-snapshot-race [--readers R] [--writers W] [--iterations N]
 *        [--seconds S] [--long]. Stops at the first limit reached.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "stress-common.h"

#define RAM_ADDR    0x100000u
#define RAM_PAGES   64u
#define RAM_SIZE    (RAM_PAGES * DIRTY_MEMORY_PAGE_SIZE)
#define WORDS       (RAM_SIZE / 8)
#define MAX_THREADS 8
#define PARK_EVERY  64 /* restores between two parked checks */
#define U           MEMTXATTRS_UNSPECIFIED

static StressOptions opts = {.readers = 2, .writers = 2, .seconds = 2};
static MemoryRegion root, ram;
static AddressSpace as;
static int stop, park, parked;
static uint64_t violations;

static uint64_t image_word(uint64_t w)
{
    return stress_mix64(w + 1);
}

/* What writer @t stores at word @w: a tag, the word and the writer. */
static uint64_t writer_word(uint64_t w, unsigned t)
{
    return UINT64_C(0xa5) << 56 | w << 8 | t;
}

static void violation(const char *what, uint64_t a, uint64_t b)
{
    __atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED);
    stress_report_violation("snapshot-race", "%s: %" PRIu64 ", 0x%016" PRIx64,
                            what, a, b);
}

/* Whether every byte of @v is the image's or some writer's for word @w. */
static bool plausible(uint64_t w, uint64_t v)
{
    for (unsigned b = 0; b < 8; b++) {
        uint8_t got = (uint8_t)(v >> (8 * b));
        bool found = got == (uint8_t)(image_word(w) >> (8 * b));

        for (unsigned t = 0; t < opts.writers && !found; t++) {
            found = got == (uint8_t)(writer_word(w, t) >> (8 * b));
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static gpointer reader_main(gpointer opaque)
{
    GRand *rand = g_rand_new_with_seed(GPOINTER_TO_UINT(opaque) * 31u + 7);

    rcu_register_thread();
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
        uint64_t w = g_rand_int_range(rand, 0, WORDS);
        MemTxResult r = MEMTX_ERROR;
        uint64_t v = address_space_ldq(&as, RAM_ADDR + w * 8, U, &r);

        if (r != MEMTX_OK || !plausible(w, v)) {
            violation("read of a word gave a foreign byte", w, v);
        }
    }
    rcu_unregister_thread();
    g_rand_free(rand);
    return NULL;
}

static gpointer writer_main(gpointer opaque)
{
    unsigned t = GPOINTER_TO_UINT(opaque);
    GRand *rand = g_rand_new_with_seed(t * 7919u + 1);

    rcu_register_thread();
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
#ifdef PLANT_UNTRACKED_WRITE
        uint64_t w = g_rand_int_range(rand, 0, WORDS - WORDS / RAM_PAGES);
#else
        uint64_t w = g_rand_int_range(rand, 0, WORDS);
#endif

        if (__atomic_load_n(&park, __ATOMIC_ACQUIRE)) {
            __atomic_fetch_add(&parked, 1, __ATOMIC_ACQ_REL);
            while (__atomic_load_n(&park, __ATOMIC_ACQUIRE) &&
                   !__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
                g_usleep(50);
            }
            __atomic_fetch_sub(&parked, 1, __ATOMIC_ACQ_REL);
            continue;
        }
        address_space_stq(&as, RAM_ADDR + w * 8, writer_word(w, t), U, NULL);
#ifdef PLANT_UNTRACKED_WRITE
        /* into the last page, which the stores above never mark */
        if (g_rand_int_range(rand, 0, 1000) == 0) {
            uint64_t *host = memory_region_get_ram_ptr(&ram);
            uint64_t u = WORDS - 1 - w % (DIRTY_MEMORY_PAGE_SIZE / 8);

            __atomic_store_n(&host[u], writer_word(u, t), __ATOMIC_RELAXED);
        }
#endif
    }
    rcu_unregister_thread();
    g_rand_free(rand);
    return NULL;
}

/* Take and free a second snapshot of the region, over and over. */
static gpointer churn_main(gpointer opaque)
{
    MemoryRegion *regions[] = {&ram};
    uint64_t *takes = opaque;

    rcu_register_thread();
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
        GError *err = NULL;
        RamSnapshot *other = ram_snapshot_take(regions, 1, &err);

        if (!other) {
            violation(err->message, 0, 0);
            g_clear_error(&err);
            break;
        }
        (void)ram_snapshot_dirty_pages(other);
        ram_snapshot_free(other);
        (*takes)++;
        g_usleep(200);
    }
    rcu_unregister_thread();
    return NULL;
}

/* Park the writers, restore, and check the whole region. */
static void parked_check(RamSnapshot *snap)
{
    const uint64_t *host = memory_region_get_ram_ptr(&ram);
    uint64_t pages = 0;

    __atomic_store_n(&park, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE) < (int)opts.writers) {
        g_usleep(50);
    }
    if (!ram_snapshot_restore(snap, &pages, NULL)) {
        violation("a parked restore failed", 0, 0);
    }
    for (uint64_t w = 0; w < WORDS; w++) {
        uint64_t v = __atomic_load_n(&host[w], __ATOMIC_RELAXED);

        if (v != image_word(w)) {
            violation("after a parked restore, a word is not the image's", w,
                      v);
            break;
        }
    }
    if (!ram_snapshot_restore(snap, &pages, NULL) || pages != 0) {
        violation("a second parked restore copied pages", pages, 0);
    }
    __atomic_store_n(&park, 0, __ATOMIC_RELEASE);
}

int main(int argc, char **argv)
{
    GThread *threads[2 * MAX_THREADS + 1];
    MemoryRegion *regions[] = {&ram};
    uint64_t restores = 0, copied = 0, checks = 0, takes = 0, start;
    unsigned nthreads = 0;
    GError *err = NULL;
    RamSnapshot *snap;
    uint64_t *host;

    stress_parse_options(argc, argv, &opts, MAX_THREADS, 60);
    if (opts.readers < 1 || opts.readers > MAX_THREADS) {
        fprintf(stderr, "--readers: 1 to %d\n", MAX_THREADS);
        return STRESS_EXIT_USAGE;
    }
    if (!memory_region_init(&root, NULL, "root", UINT64_MAX, &err) ||
        !memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err) ||
        !memory_region_add_subregion(&root, RAM_ADDR, &ram, &err) ||
        !address_space_init(&as, &root, "snapshot-race", &err)) {
        fprintf(stderr, "set-up: %s\n", err->message);
        return 1;
    }
    host = memory_region_get_ram_ptr(&ram);
    for (uint64_t w = 0; w < WORDS; w++) {
        host[w] = image_word(w);
    }
    snap = ram_snapshot_take(regions, 1, &err);
    if (!snap) {
        fprintf(stderr, "take: %s\n", err->message);
        return 1;
    }
    for (unsigned i = 0; i < opts.readers; i++) {
        threads[nthreads++] =
            g_thread_new("reader", reader_main, GUINT_TO_POINTER(i));
    }
    for (unsigned i = 0; i < opts.writers; i++) {
        threads[nthreads++] =
            g_thread_new("writer", writer_main, GUINT_TO_POINTER(i));
    }
    threads[nthreads++] = g_thread_new("churn", churn_main, &takes);
    start = stress_now_ns();
    while (!stress_should_stop(&opts, restores, start)) {
        uint64_t pages = 0;

        if (!ram_snapshot_restore(snap, &pages, &err)) {
            violation(err->message, 0, 0);
            g_clear_error(&err);
        }
        copied += pages;
        if (++restores % PARK_EVERY == 0) {
            parked_check(snap);
            checks++;
        }
        g_usleep(20);
    }
    parked_check(snap);
    checks++;
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < nthreads; i++) {
        g_thread_join(threads[i]);
    }
    ram_snapshot_free(snap);
    address_space_destroy(&as);
    memory_region_finalize(&root);
    drain_call_rcu();
    memory_region_finalize(&ram);
    printf("%" PRIu64 " restores (%" PRIu64 " pages copied), %" PRIu64
           " parked checks, %" PRIu64 " takes of a second snapshot, %" PRIu64
           " violations\n",
           restores, copied, checks, takes, violations);
    if (checks == 0 || copied == 0 || takes == 0) {
        fprintf(stderr, "the run exercised nothing\n");
        return STRESS_EXIT_VIOLATION;
    }
    return violations ? STRESS_EXIT_VIOLATION : 0;
}
