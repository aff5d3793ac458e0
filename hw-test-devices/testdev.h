/* SPDX-License-Identifier: MIT */
/**
 * @file testdev.h
 * @brief testdev: an MMIO device that records every callback, for tests of
 * the dispatcher (valid/impl rules, endianness, re-entrancy, locking).
 *
 * The device has one MMIO region backed by a register file: a write stores
 * the value's bytes at its offset serialised in the device's byte order, a
 * read returns them, so the register file always holds the bytes the guest
 * sees. Its MemoryRegionOps belong to the instance (built from a
 * TestDevConfig), so each device can have its own constraints.
 *
 * Lifetime: testdev_new() returns a device holding one reference on its
 * embedded owner (the caller's). Mapping its region takes more; drop the
 * caller's with testdev_unref(). The device is freed on the RCU
 * reclamation thread once nothing references it (drain_call_rcu() waits
 * for that).
 *
 * The log keeps the last TESTDEV_LOG_MAX callbacks (a ring: older records
 * are dropped and counted, testdev_log_dropped()), so a guest that hammers
 * the device cannot grow the process without bound.
 *
 * Thread safety: callbacks may run on any number of threads at once; the
 * log and the register file are protected by an internal mutex, which is
 * not held while the hook runs.
 */
#ifndef HW_TEST_DEVICES_TESTDEV_H
#define HW_TEST_DEVICES_TESTDEV_H

#include <addrspace/addrspace.h>

typedef struct TestDev TestDev;

/**
 * TestDevAccess - one recorded callback.
 * @is_write: a write callback (else a read).
 * @offset: offset in the region the callback received.
 * @size: size the callback received.
 * @value: value written, or value returned by the read.
 * @attrs: attributes received (MEMTXATTRS_UNSPECIFIED for plain callbacks).
 */
typedef struct TestDevAccess {
    bool is_write;
    hwaddr offset;
    unsigned size;
    uint64_t value;
    MemTxAttrs attrs;
} TestDevAccess;

/**
 * TestDevHook - called from inside a callback, after it was recorded and
 * applied, with no testdev lock held (it may access memory).
 * @dev: the device.
 * @access: the callback being served.
 * @opaque: the pointer given to testdev_set_hook().
 */
typedef void (*TestDevHook)(TestDev *dev, const TestDevAccess *access,
                            void *opaque);

/**
 * TestDevConfig - how a testdev is built. Zero fields mean QEMU's defaults.
 * @size: region size in bytes, not 0 (UINT64_MAX means 2^64). The register
 *        file covers the first MIN(@size, TESTDEV_REGS_MAX) bytes; beyond,
 *        reads give 0 and writes are dropped.
 * @endianness: the ops' byte order.
 * @native_big_endian: byte order of the register file for
 *                     DEVICE_NATIVE_ENDIAN (the target's; the device cannot
 *                     know it otherwise).
 * @valid_min: ops valid.min_access_size.
 * @valid_max: ops valid.max_access_size.
 * @valid_unaligned: ops valid.unaligned.
 * @impl_min: ops impl.min_access_size.
 * @impl_max: ops impl.max_access_size.
 * @impl_unaligned: ops impl.unaligned.
 * @plain_callbacks: install read/write instead of the _with_attrs forms.
 * @no_read: install no read callback.
 * @no_write: install no write callback.
 * @accepts: ops valid.accepts (its opaque is the TestDev), or NULL for
 *           none; the device counts the calls (testdev_accepts_calls()).
 * @no_global_locking: memory_region_clear_global_locking(): callbacks run
 *                     without the big lock (bql.h).
 * @bounds_check: memory_region_enable_bounds_check() (the mmio-bounds
 *                opt-in); a callback past the region's end then counts as
 *                a violation (testdev_violations()).
 */
typedef struct TestDevConfig {
    uint64_t size;
    enum device_endian endianness;
    bool native_big_endian;
    unsigned valid_min;
    unsigned valid_max;
    bool valid_unaligned;
    unsigned impl_min;
    unsigned impl_max;
    bool impl_unaligned;
    bool plain_callbacks;
    bool no_read;
    bool no_write;
    bool (*accepts)(void *opaque, hwaddr offset, unsigned size, bool is_write,
                    MemTxAttrs attrs);
    bool no_global_locking;
    bool bounds_check;
} TestDevConfig;

/** Size of the largest register file a testdev allocates. */
#define TESTDEV_REGS_MAX 4096u
/** Most callbacks the log keeps (about 40 bytes each). */
#define TESTDEV_LOG_MAX 16384u

/**
 * testdev_new() - Create a testdev.
 * @name: name of the device and its region (copied).
 * @cfg: configuration (copied).
 * @errp: error return (region init errors, size 0).
 *
 * Return: the device, holding one reference (the caller's), or NULL.
 */
TestDev *testdev_new(const char *name, const TestDevConfig *cfg, GError **errp);

/**
 * testdev_unref() - Drop the caller's reference; the device is freed after
 * a grace period once nothing else references it.
 * @dev: the device.
 */
void testdev_unref(TestDev *dev);

/**
 * testdev_region() - The device's MMIO region.
 * @dev: the device.
 * Return: the region (owned by the device).
 */
MemoryRegion *testdev_region(TestDev *dev);

/**
 * testdev_owner() - The device's embedded owner, for extra regions a test
 * wants to give the same owner.
 * @dev: the device.
 * Return: the owner.
 */
MemoryOwner *testdev_owner(TestDev *dev);

/**
 * testdev_set_hook() - Install a hook run inside every callback.
 * @dev: the device.
 * @hook: the hook, or NULL to remove it.
 * @opaque: passed to @hook.
 *
 * Context: while no callback runs.
 */
void testdev_set_hook(TestDev *dev, TestDevHook hook, void *opaque);

/**
 * testdev_set_result() - Set what the _with_attrs callbacks return.
 * @dev: the device.
 * @is_write: for write callbacks (else reads).
 * @result: the MemTxResult to return (MEMTX_OK initially).
 */
void testdev_set_result(TestDev *dev, bool is_write, MemTxResult result);

/**
 * testdev_log_len() - Number of callbacks the log holds: those since the
 * last testdev_log_clear(), at most TESTDEV_LOG_MAX (the latest ones).
 * @dev: the device.
 * Return: the count.
 */
guint testdev_log_len(TestDev *dev);

/**
 * testdev_log_dropped() - Callbacks dropped from the full log (the oldest
 * first) since the last testdev_log_clear().
 * @dev: the device.
 * Return: the count.
 */
guint64 testdev_log_dropped(TestDev *dev);

/**
 * testdev_log_get() - One recorded callback.
 * @dev: the device.
 * @i: index, below testdev_log_len(); 0 is the oldest one kept.
 * Return: a copy of the record.
 */
TestDevAccess testdev_log_get(TestDev *dev, guint i);

/**
 * testdev_log_format() - The log as text, one "r4@0x10" or "w2@0x6" per
 * callback, separated by single spaces ("" when empty).
 * @dev: the device.
 * Return: a newly allocated string (g_free()).
 */
char *testdev_log_format(TestDev *dev);

/**
 * testdev_log_clear() - Forget the recorded callbacks and the drop count.
 * @dev: the device.
 */
void testdev_log_clear(TestDev *dev);

/**
 * testdev_regs_write() - Set register-file bytes directly (no callback).
 * @dev: the device.
 * @offset: first byte.
 * @buf: bytes.
 * @len: count; @offset + @len must fit the register file.
 */
void testdev_regs_write(TestDev *dev, hwaddr offset, const void *buf,
                        size_t len);

/**
 * testdev_regs_read() - Get register-file bytes directly (no callback).
 * @dev: the device.
 * @offset: first byte.
 * @buf: destination.
 * @len: count; @offset + @len must fit the register file.
 */
void testdev_regs_read(TestDev *dev, hwaddr offset, void *buf, size_t len);

/**
 * testdev_violations() - Callbacks that broke the dispatcher's bounds
 * invariant (a size outside 1 to 8, or, with @bounds_check, a byte past
 * the region's end); such callbacks touch nothing.
 * @dev: the device.
 * Return: the count (0 unless the dispatcher is wrong).
 */
guint testdev_violations(TestDev *dev);

/**
 * testdev_accepts_calls() - How often valid.accepts was consulted.
 * @dev: the device.
 * Return: the count.
 */
guint testdev_accepts_calls(TestDev *dev);

/**
 * testdev_max_concurrency() - The most callbacks that ever ran at once.
 * @dev: the device.
 * Return: the count.
 */
guint testdev_max_concurrency(TestDev *dev);

/** The GVariant type of testdev_save_state(): registers, results. */
#define TESTDEV_STATE_TYPE "(ayuu)"

/**
 * testdev_save_state() - The register file and the results set by
 * testdev_set_result() (not the log: instrumentation, not guest-visible).
 * @dev: the device.
 * Context: any thread.
 * Return: a floating GVariant of TESTDEV_STATE_TYPE.
 */
GVariant *testdev_save_state(TestDev *dev);

/**
 * testdev_restore_state() - Set what testdev_save_state() returned.
 * @dev: the device.
 * @state: a GVariant of TESTDEV_STATE_TYPE (untrusted).
 * @errp: error return (ADDRSPACE_ERROR_INVALID: another type or register
 *        size; the device is unchanged).
 * Context: any thread.
 * Return: true on success.
 */
bool testdev_restore_state(TestDev *dev, GVariant *state, GError **errp);

#endif /* HW_TEST_DEVICES_TESTDEV_H */
