/* SPDX-License-Identifier: MIT */
/*
 * fork() while threads change the tree, drop devices and read (the child's
 * reclamation). Writers create devices in AddressSpaces of their own,
 * access, destroy and drop them; a reader keeps reading a shared device;
 * main forks again and again meanwhile. Each child (only the forking
 * thread exists there) must get a working reclamation thread: one drain
 * runs every release the parent had queued (released >= dropped, both as
 * the child inherited them), a device the child creates and drops is
 * released by one drain, and a thread the child starts can register and
 * read. A child that hangs is killed by alarm() and fails. Exit status 1
 * when a child failed.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "stress-common.h"

/*
 * ThreadSanitizer kills a child that starts a thread after a fork() of a
 * process with threads unless told not to; the children's reclamation
 * threads are what this tests. TSAN_OPTIONS still take precedence.
 */
const char *__tsan_default_options(void);

const char *__tsan_default_options(void)
{
    return "die_after_fork=0";
}

#define DEV_SIZE 0x10000
#define RAM_SIZE 0x1000
/* child exit statuses */
#define CHILD_LOST_RELEASES 3
#define CHILD_OWN_DEVICE    4
#define CHILD_THREAD        5

typedef struct Device {
    MemoryOwner owner;
    MemoryRegion root, ram;
    AddressSpace as;
} Device;

#if defined(__SANITIZE_ADDRESS__)
#define FORK_GATE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FORK_GATE 1
#endif
#endif

#ifdef FORK_GATE
/*
 * ASan before LLVM 18 installs no pthread_atfork() handler for its
 * allocator: a child forked while another thread was inside malloc() or
 * free() can hang at its first allocation (google/sanitizers#774; a CI run
 * saw a child killed by the alarm). Under ASan the writers hold this gate
 * across each iteration and main forks with it closed, so that no writer
 * is in the allocator then; the readers (which do not allocate) and the
 * reclamation thread (parked by the library between callbacks) run across
 * the fork as in the other builds, which fork with no gate.
 */
static GRWLock fork_gate;
#define GATE_ENTER() g_rw_lock_reader_lock(&fork_gate)
#define GATE_EXIT()  g_rw_lock_reader_unlock(&fork_gate)
#define GATE_CLOSE() g_rw_lock_writer_lock(&fork_gate)
#define GATE_OPEN()  g_rw_lock_writer_unlock(&fork_gate)
#else
#define GATE_ENTER() ((void)0)
#define GATE_EXIT()  ((void)0)
#define GATE_CLOSE() ((void)0)
#define GATE_OPEN()  ((void)0)
#endif

static StressOptions opts = {
    .readers = 1, .writers = 2, .iterations = 12, .seconds = 4};
static int stop_others;
static gint created, dropped, released;
static Device *shared;

static void device_release(MemoryOwner *owner)
{
    Device *dev = (Device *)(void *)owner;

    memory_region_finalize(&dev->ram);
    memory_region_finalize(&dev->root);
    stress_poison_free(dev, sizeof(*dev));
    g_atomic_int_inc(&released);
}

static Device *device_new(void)
{
    Device *dev = g_new0(Device, 1);
    GError *err = NULL;

    memory_owner_init(&dev->owner, "dev", device_release);
    if (!stress_owned_ram_init(&dev->owner, &dev->root, DEV_SIZE, &dev->ram,
                               RAM_SIZE, &err) ||
        !address_space_init(&dev->as, &dev->root, "dev", &err)) {
        fprintf(stderr, "test-fork-reclaim: %s\n", err->message);
        _exit(STRESS_EXIT_USAGE);
    }
    g_atomic_int_inc(&created);
    return dev;
}

/* Counted as dropped once the last reference is gone. */
static void device_drop(Device *dev)
{
    address_space_destroy(&dev->as);
    memory_owner_unref(&dev->owner);
    g_atomic_int_inc(&dropped);
}

static gpointer writer_main(gpointer opaque)
{
    uint32_t value = 0;

    (void)opaque;
    GATE_ENTER();
    rcu_register_thread();
    GATE_EXIT();
    while (!g_atomic_int_get(&stop_others)) {
        Device *dev;

        GATE_ENTER();
        dev = device_new();
        address_space_stl(&dev->as, 8, value++, MEMTXATTRS_UNSPECIFIED, NULL);
        device_drop(dev);
        GATE_EXIT();
        stress_writer_pause();
    }
    rcu_unregister_thread();
    return NULL;
}

static void read_shared(void *arg)
{
    (void)arg;
    (void)address_space_ldl(&shared->as, 8, MEMTXATTRS_UNSPECIFIED, NULL);
}

static gpointer reader_main(gpointer opaque)
{
    int *stop = opaque;

    stress_reader_loop(read_shared, NULL,
                       stress_oversubscribed(opts.readers + opts.writers),
                       stop);
    return NULL;
}

/*
 * The child: inherited releases, its own device, its own reader thread.
 * Ends with _exit(): only this thread survived the fork, so what the
 * parent's other threads held on their stacks would look leaked to
 * LeakSanitizer; the other sanitizers report (and end it) when they see
 * an error.
 */
static void child_main(void)
{
    int before = g_atomic_int_get(&dropped);
    int stop_reader = 0;
    GThread *reader;
    Device *dev;

    alarm(60); /* a hang fails the run (SIGALRM) instead of stalling it */
    drain_call_rcu();
    if (g_atomic_int_get(&released) < before) {
        fprintf(stderr, "test-fork-reclaim: child: %d of %d releases\n",
                g_atomic_int_get(&released), before);
        _exit(CHILD_LOST_RELEASES);
    }
    reader = g_thread_new("child-reader", reader_main, &stop_reader);
    before = g_atomic_int_get(&released);
    dev = device_new();
    address_space_stl(&dev->as, 8, 1, MEMTXATTRS_UNSPECIFIED, NULL);
    device_drop(dev);
    drain_call_rcu();
    if (g_atomic_int_get(&released) != before + 1) {
        fprintf(stderr, "test-fork-reclaim: child: its device was not "
                        "released by one drain\n");
        _exit(CHILD_OWN_DEVICE);
    }
    g_atomic_int_set(&stop_reader, 1);
    g_thread_join(reader);
    _exit(0);
}

int main(int argc, char **argv)
{
    GThread **threads;
    unsigned int threads_n;
    uint64_t forks = 0, failed = 0, start_ns;

    stress_parse_options(argc, argv, &opts, 16, 60);
    shared = device_new();
    threads_n = opts.readers + opts.writers;
    threads = g_new0(GThread *, threads_n);
    for (unsigned int i = 0; i < opts.readers; i++) {
        threads[i] = g_thread_new("reader", reader_main, &stop_others);
    }
    for (unsigned int i = 0; i < opts.writers; i++) {
        threads[opts.readers + i] = g_thread_new("writer", writer_main, NULL);
    }
    start_ns = stress_now_ns();
    for (; !stress_should_stop(&opts, forks, start_ns); forks++) {
        int status;
        pid_t pid;

        g_usleep(20000); /* let the writers queue releases */
        GATE_CLOSE();
        pid = fork();
        if (pid < 0) {
            perror("test-fork-reclaim: fork");
            return STRESS_EXIT_USAGE;
        }
        if (pid == 0) {
            child_main();
        }
        GATE_OPEN();
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            stress_report_violation(
                "test-fork-reclaim", "child %" PRIu64 " %s %d", forks,
                WIFSIGNALED(status) ? "killed by signal" : "exit status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            failed++;
        }
    }
    g_atomic_int_set(&stop_others, 1);
    for (unsigned int i = 0; i < threads_n; i++) {
        g_thread_join(threads[i]);
    }
    device_drop(shared);
    drain_call_rcu();
    printf("test-fork-reclaim: forks=%" PRIu64 " failed=%" PRIu64
           " devices=%d released=%d\n",
           forks, failed, g_atomic_int_get(&created),
           g_atomic_int_get(&released));
    g_free(threads);
    if (forks == 0 ||
        g_atomic_int_get(&released) != g_atomic_int_get(&created)) {
        return STRESS_EXIT_VIOLATION;
    }
    return failed ? STRESS_EXIT_VIOLATION : 0;
}
