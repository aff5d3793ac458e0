/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the RCU stress tests (tests/stress/): command line,
 * run limits, poisoning on free, object checksums and failure accounting.
 * Not installed; used by rcutorture.c and rcu-list.c only.
 */
#ifndef ADDRSPACE_STRESS_COMMON_H
#define ADDRSPACE_STRESS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <addrspace/addrspace.h>

/* Byte written over every freed object (Linux's POISON_FREE). */
#define STRESS_POISON_BYTE 0x6b
/* A 32-bit field of a poisoned object reads as this. */
#define STRESS_POISON_U32 0x6b6b6b6bu

/* Exit status of a run that caught an RCU violation. */
#define STRESS_EXIT_VIOLATION 1
/* Exit status of a command-line error. */
#define STRESS_EXIT_USAGE 2

/**
 * struct StressOptions - what a stress run does and for how long.
 * @readers: reader threads.
 * @writers: updater threads (tests that support more than one).
 * @iterations: stop after this many updates (0: no limit).
 * @seconds: stop after this many seconds (0: no limit).
 * @long_run: --long given, or STRESS_LONG=1 in the environment (the meson
 *            test setup 'long' sets it): no iteration limit, and at least
 *            the test's long duration (--seconds may make it longer).
 *
 * A run stops at whichever limit comes first.
 */
typedef struct StressOptions {
    unsigned int readers;
    unsigned int writers;
    uint64_t iterations;
    double seconds;
    bool long_run;
} StressOptions;

/**
 * stress_parse_options() - Parse --readers, --writers (when @max_writers
 * > 1), --iterations, --seconds and --long.
 * @argc: argument count from main().
 * @argv: arguments from main().
 * @opts: in: the defaults of a short run; out: the options to use.
 * @max_writers: largest --writers accepted (1: the option is rejected).
 * @long_seconds: the shortest duration of a --long run, in seconds.
 *
 * Exits with STRESS_EXIT_USAGE and a message on a malformed command line.
 */
void stress_parse_options(int argc, char **argv, StressOptions *opts,
                          unsigned int max_writers, double long_seconds);

/**
 * stress_should_stop() - Whether a run has reached one of its limits.
 * @opts: the run's options.
 * @done: updates made so far.
 * @start_ns: stress_now_ns() when the run started.
 *
 * Return: true when @done reached opts->iterations or the time is up.
 */
bool stress_should_stop(const StressOptions *opts, uint64_t done,
                        uint64_t start_ns);

/** stress_now_ns() - CLOCK_MONOTONIC in nanoseconds. */
uint64_t stress_now_ns(void);

/**
 * stress_writer_pause() - The updater's pause after each update (~50 us).
 *
 * docs/design.md §7.2: each pause lets a grace period end between
 * updates, so a run has thousands of grace periods instead of two or
 * three, and a late reader is caught instead of hidden.
 */
void stress_writer_pause(void);

/**
 * stress_oversubscribed() - Whether @threads busy threads exceed the CPUs.
 * @threads: threads that want a CPU all the time.
 *
 * Return: true when readers should read in bursts (stress_reader_loop()).
 */
bool stress_oversubscribed(unsigned int threads);

/** Signature of one read of a stress reader (one read-side section). */
typedef void StressReadFn(void *arg);

/**
 * stress_reader_loop() - The body of a reader thread.
 * @read_once: called repeatedly until *@stop is set.
 * @arg: passed to @read_once.
 * @bursts: read for bursts of about 20 us with 100 us sleeps in between,
 *          outside any read-side section.
 * @stop: set (atomically) by the main thread to end the loop.
 *
 * Registers the thread with RCU for the duration. Bursts are for more
 * threads than CPUs: a reader preempted inside its read-side section stalls
 * every grace period for a whole time slice, and ten spinning readers on
 * two cores make each grace period take ~60 ms.
 */
void stress_reader_loop(StressReadFn *read_once, void *arg, bool bursts,
                        int *stop);

/** Signature of a stress thread's body (GLib's GThreadFunc). */
typedef void *StressThreadFn(void *arg);

/**
 * stress_run_threads() - Run a stress test's readers and writers.
 * @opts: opts->readers threads run @reader(@reader_arg), opts->writers
 *        threads run @writer with their own element of @writers.
 * @reader: body of a reader thread; it runs until *@stop is set.
 * @reader_arg: passed to every reader.
 * @writer: body of a writer thread; it returns when its run is over.
 * @writers: array of opts->writers elements of @writer_size bytes.
 * @writer_size: size of one element of @writers.
 * @stop: set (atomically) once every writer returned.
 *
 * Starts the readers, then the writers; joins the writers, sets *@stop and
 * joins the readers.
 */
void stress_run_threads(const StressOptions *opts, StressThreadFn *reader,
                        void *reader_arg, StressThreadFn *writer, void *writers,
                        size_t writer_size, int *stop);

/**
 * stress_poison_free() - Overwrite an object with STRESS_POISON_BYTE, then
 * g_free() it.
 * @obj: the object (g_malloc'ed).
 * @size: its size in bytes.
 *
 * A compiler barrier between the memset and the free keeps the stores:
 * without it gcc -O1 deletes the memset as dead (docs/design.md §7.2).
 * Under ASan there is no memset: ASan's own poisoning reports the access.
 */
void stress_poison_free(void *obj, size_t size);

/**
 * stress_owned_ram_init() - The stress tests' device: a container @root of
 * @root_size bytes and a RAM region @ram of @ram_size bytes at its offset
 * 0, both owned by @owner (memory_owner_init() done by the caller).
 * @errp: the first error.
 * Return: false on error (the caller ends the run).
 */
bool stress_owned_ram_init(MemoryOwner *owner, MemoryRegion *root,
                           uint64_t root_size, MemoryRegion *ram,
                           uint64_t ram_size, GError **errp);

/** stress_mix64() - A 64-bit mixing function (splitmix64's finaliser). */
uint64_t stress_mix64(uint64_t x);

/**
 * stress_report_violation() - Print one line about an RCU violation.
 * @who: the test's name, for the message prefix.
 * @fmt: printf format of the description.
 *
 * At most the first 10 violations of a run are printed; the caller counts
 * them all. Thread-safe.
 */
void stress_report_violation(const char *who, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* ADDRSPACE_STRESS_COMMON_H */
