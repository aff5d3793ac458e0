/* SPDX-License-Identifier: MIT */
/*
 * Hot-unplug soak test (issue 7). --readers T threads hammer a device's
 * MMIO register and its RAM (typed loads and stores, buffer accesses)
 * while the main thread plugs and unplugs the device thousands of times:
 * each cycle creates a fresh device (a testdev for the MMIO part and a RAM
 * region with its own owner), maps both in one transaction, unmaps them in
 * another, snapshots the RAM once no reader can reach it, and drops the
 * board's references, so the device is released while the threads go on.
 *
 * Checked:
 *   - no access after release (ASan), no data race (TSan), no leak (LSan);
 *   - no callback outside the device's contract (testdev's violations);
 *   - exact results: while the device is known to be mapped every access
 *     returns MEMTX_OK, while it is known to be unmapped MEMTX_DECODE_ERROR
 *     (and zeros for reads); "known" uses a sequence counter around each
 *     transition, so accesses racing with a commit may go either way;
 *   - nothing lost: each thread owns one 8-byte slot of the RAM and writes
 *     increasing values; after the unplug the slot holds the last value
 *     the thread stored with MEMTX_OK while the device was known to be
 *     mapped, or a later one (a store racing the unplug may land), and a
 *     read-back right after an OK store sees it (or the device is gone).
 *
 * Compiled with -DPLANT_LOST_WRITE it zeroes the slots of the RAM from cycle 50 on
 * before the snapshot and must fail (exit status 1).
 *
 * Usage: test-hotunplug-soak [--readers T] [--iterations CYCLES]
 *        [--seconds S] [--long]. Stops at the first limit reached, but the
 *        time limit not before MIN_CYCLES cycles (a loaded machine makes a
 *        run longer, never a failure).
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "stress-common.h"
#include "testdev.h"

#define MMIO_ADDR  0x10000u
#define RAM_ADDR   0x20000u
#define RAM_SIZE   0x1000u
#define MAX_THREAD 64
#define MIN_CYCLES 100 /* fewer (--iterations) is not a soak */
#define U          MEMTXATTRS_UNSPECIFIED

/* The RAM part of a device: freed by its owner's release. */
typedef struct RamDev {
    MemoryOwner owner; /* first: the release callback casts */
    MemoryRegion ram;
} RamDev;

typedef struct Worker {
    GThread *thread;
    unsigned id;
    uint64_t next;  /* the next value to store in the slot */
    uint64_t *last; /* per cycle: last value stored with MEMTX_OK, 0: none */
    uint64_t ops, ok, refused, racy;
    uint64_t errors;
} Worker;

static MemoryRegion root;
static AddressSpace as;
static StressOptions opts = {
    .readers = 4, .writers = 1, .iterations = 3000, .seconds = 4};
static uint64_t max_cycles;
/* Odd while a transition is being committed; state (cycle number and
 * whether the device is mapped) is encoded as 4 * cycle + 2 * mapped. */
static uint64_t phase;
static gint stop;
static gint released;
/*
 * The devices' callbacks run under this lock (the region lock, QEMU's
 * BQL): testdev's own GMutex is futex-based on Linux, which TSan cannot
 * see, so concurrent callbacks would be reported as races in testdev.
 */
static GRecMutex dev_lock;
static uint64_t errors;

static void report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void report(const char *fmt, ...)
{
    va_list ap;

    if (__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED) >= 10) {
        return;
    }
    va_start(ap, fmt);
    fputs("hotunplug-soak: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void ramdev_release(MemoryOwner *owner)
{
    RamDev *d = (RamDev *)(void *)owner;

    memory_region_finalize(&d->ram);
    g_free(d);
    g_atomic_int_inc(&released);
}

static uint64_t phase_load(void)
{
    return __atomic_load_n(&phase, __ATOMIC_SEQ_CST);
}

/* Judge the result of an access made between phases @p0 and @p1. */
static void check_result(Worker *w, uint64_t p0, uint64_t p1, MemTxResult res,
                         const char *what)
{
    bool mapped = p0 & 2;

    if (p0 != p1 || (p0 & 1)) {
        w->racy++;
        if (res != MEMTX_OK && res != MEMTX_DECODE_ERROR) {
            report("%s during a transition: result %u", what, res);
        }
        return;
    }
    if (res != (mapped ? MEMTX_OK : MEMTX_DECODE_ERROR)) {
        report("%s while %smapped (cycle %" PRIu64 "): result %u", what,
               mapped ? "" : "un", p0 >> 2, res);
    }
}

static void worker_once(Worker *w, GRand *rand)
{
    hwaddr slot = RAM_ADDR + 8 * w->id;
    MemTxResult res = MEMTX_OK;
    uint64_t p0 = phase_load(), p1, v;
    uint32_t r32;
    uint8_t buf[16];

    w->ops++;
    switch (g_rand_int_range(rand, 0, 5)) {
    case 0: { /* store to our slot, read it back */
        uint64_t val = w->next++;

        address_space_stq_le(&as, slot, val, U, &res);
        p1 = phase_load();
        check_result(w, p0, p1, res, "stq");
        if (res != MEMTX_OK) {
            break;
        }
        w->ok++;
        if (p0 == p1 && (p0 & 3) == 2 && (p0 >> 2) < max_cycles) {
            w->last[p0 >> 2] = val;
        }
        v = address_space_ldq_le(&as, slot, U, &res);
        if (res == MEMTX_OK && v != val && v != 0) {
            /* 0: a new device's RAM; anything else lost our store */
            report("thread %u: stored 0x%" PRIx64 ", read back 0x%" PRIx64,
                   w->id, val, v);
        }
        break;
    }
    case 1: /* MMIO register */
        address_space_stl_le(&as, MMIO_ADDR + 4 * g_rand_int_range(rand, 0, 4),
                             w->id, U, &res);
        check_result(w, p0, phase_load(), res, "MMIO stl");
        break;
    case 2:
        r32 = address_space_ldl_le(&as, MMIO_ADDR + 4, U, &res);
        check_result(w, p0, phase_load(), res, "MMIO ldl");
        if (res != MEMTX_OK && r32 != 0) {
            report("failed MMIO read gave 0x%x", r32);
        }
        break;
    case 3: /* a buffer read across the MMIO register's end */
        res = address_space_read(&as, MMIO_ADDR + 0xf8, U, buf, 16);
        /* 8 bytes of MMIO, then a hole: never MEMTX_OK */
        if (res != MEMTX_DECODE_ERROR) {
            report("read across the device's end: result %u", res);
        }
        break;
    default: /* a neighbour's slot: its values only grow */
        v = address_space_ldq_le(
            &as, RAM_ADDR + 8 * ((w->id + 1) % opts.readers), U, &res);
        check_result(w, p0, phase_load(), res, "ldq");
        break;
    }
    if (w->ops % 64 == 0 && stress_oversubscribed(opts.readers + 1)) {
        g_usleep(20); /* let the plugging thread's grace periods end */
    }
}

static gpointer worker_main(gpointer opaque)
{
    Worker *w = opaque;
    GRand *rand = g_rand_new_with_seed(w->id * 7919u + 1);

    rcu_register_thread();
    while (!g_atomic_int_get(&stop)) {
        worker_once(w, rand);
    }
    rcu_unregister_thread();
    g_rand_free(rand);
    return NULL;
}

static void transition(uint64_t next_state, bool plug, MemoryRegion *mmio,
                       MemoryRegion *ram)
{
    GError *err = NULL;
    bool ok = true;

    __atomic_store_n(&phase, phase_load() + 1, __ATOMIC_SEQ_CST); /* odd */
    memory_region_transaction_begin();
    if (plug) {
        ok &= memory_region_add_subregion(&root, MMIO_ADDR, mmio, &err);
        ok &= !err && memory_region_add_subregion(&root, RAM_ADDR, ram, &err);
    } else {
        ok &= memory_region_del_subregion(&root, mmio, &err);
        ok &= !err && memory_region_del_subregion(&root, ram, &err);
    }
    memory_region_transaction_commit();
    if (!ok || err) {
        report("%s: %s", plug ? "plug" : "unplug", err ? err->message : "?");
        g_clear_error(&err);
    }
    __atomic_store_n(&phase, next_state, __ATOMIC_SEQ_CST);
}

int main(int argc, char **argv)
{
    /* without the big lock (its own region lock instead): callbacks run
     * while the main thread commits, which the big lock would exclude */
    static const TestDevConfig cfg = {.size = 0x100,
                                      .endianness = DEVICE_LITTLE_ENDIAN,
                                      .no_global_locking = true};
    static Worker workers[MAX_THREAD];
    uint64_t **snap, cycles = 0, start, ops = 0, racy = 0;
    GError *err = NULL;

    stress_parse_options(argc, argv, &opts, 1, 60);
    g_rec_mutex_init(&dev_lock);
    if (opts.readers < 1 || opts.readers > MAX_THREAD) {
        fprintf(stderr, "--readers: 1 to %d\n", MAX_THREAD);
        return STRESS_EXIT_USAGE;
    }
    max_cycles = opts.long_run || !opts.iterations ? 1000000 : opts.iterations;
    if (!memory_region_init(&root, NULL, "root", UINT64_MAX, &err) ||
        !address_space_init(&as, &root, "soak", &err)) {
        fprintf(stderr, "set-up: %s\n", err->message);
        return 1;
    }
    snap = g_new0(uint64_t *, max_cycles);
    for (unsigned i = 0; i < opts.readers; i++) {
        workers[i].id = i;
        workers[i].next = 1;
        workers[i].last = g_new0(uint64_t, max_cycles);
        workers[i].thread = g_thread_new("soak", worker_main, &workers[i]);
    }
    start = stress_now_ns();
    /* the time limit ends a run only once it has soaked: no timing verdict */
    while (cycles < max_cycles &&
           (cycles < MIN_CYCLES || !stress_should_stop(&opts, cycles, start))) {
        TestDev *dev = testdev_new("soak-mmio", &cfg, &err);
        RamDev *rd = g_new0(RamDev, 1);
        const uint64_t *host;

        if (!dev) {
            report("testdev_new: %s", err->message);
            break;
        }
        memory_region_set_lock(testdev_region(dev), &dev_lock);
        memory_owner_init(&rd->owner, "soak-ram", ramdev_release);
        if (!memory_region_init_ram(&rd->ram, &rd->owner, "soak-ram", RAM_SIZE,
                                    &err)) {
            report("RAM: %s", err->message);
            break;
        }
        transition(4 * cycles + 2, true, testdev_region(dev), &rd->ram);
        g_usleep(g_random_int_range(0, 200));
        transition(4 * (cycles + 1), false, testdev_region(dev), &rd->ram);
        /* no reader can reach the RAM any more: what it holds is final */
        synchronize_rcu();
        host = memory_region_get_ram_ptr(&rd->ram);
#ifdef PLANT_LOST_WRITE
        /* the planted bug: a store that returned MEMTX_OK is lost */
        if (cycles >= 50) {
            memset((void *)(uintptr_t)host, 0, 8 * opts.readers);
        }
#endif
        snap[cycles] = g_new(uint64_t, opts.readers);
        for (unsigned i = 0; i < opts.readers; i++) {
            snap[cycles][i] = __atomic_load_n(&host[i], __ATOMIC_RELAXED);
        }
        if (testdev_violations(dev)) {
            report("cycle %" PRIu64 ": %u callbacks out of bounds", cycles,
                   testdev_violations(dev));
        }
        testdev_log_clear(dev);
        testdev_unref(dev); /* the board's references */
        memory_owner_unref(&rd->owner);
        cycles++;
    }
    g_atomic_int_set(&stop, 1);
    for (unsigned i = 0; i < opts.readers; i++) {
        g_thread_join(workers[i].thread);
    }
    /* a view's reclamation drops the last reference, whose release is
     * queued then: one drain per stage */
    for (int i = 0; i < 10 && (uint64_t)g_atomic_int_get(&released) != cycles;
         i++) {
        drain_call_rcu();
    }
    if ((uint64_t)g_atomic_int_get(&released) != cycles) {
        report("%d of %" PRIu64 " devices released",
               g_atomic_int_get(&released), cycles);
    }
    /* nothing lost: the last OK store of each cycle is in its snapshot */
    for (unsigned i = 0; i < opts.readers; i++) {
        Worker *w = &workers[i];

        for (uint64_t c = 0; c < cycles; c++) {
            /* a later store racing the unplug may have landed too */
            if (snap[c][i] < w->last[c] || snap[c][i] >= w->next) {
                report("thread %u, cycle %" PRIu64 ": stored 0x%" PRIx64
                       " with MEMTX_OK, the RAM holds 0x%" PRIx64,
                       i, c, w->last[c], snap[c][i]);
            }
        }
        ops += w->ops;
        racy += w->racy;
        g_free(w->last);
    }
    for (uint64_t c = 0; c < cycles; c++) {
        g_free(snap[c]);
    }
    g_free(snap);
    address_space_destroy(&as);
    drain_call_rcu();
    memory_region_finalize(&root);
    g_rec_mutex_clear(&dev_lock);
    printf("hotunplug-soak: %u threads, %" PRIu64
           " plug/unplug cycles, %" PRIu64 " accesses (%" PRIu64
           " racing a commit), %" PRIu64 " errors\n",
           opts.readers, cycles, ops, racy, errors);
    if (cycles < MIN_CYCLES) {
        report("only %" PRIu64 " cycles: the soak did not soak", cycles);
    }
    return errors ? STRESS_EXIT_VIOLATION : 0;
}
