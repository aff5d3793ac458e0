/* SPDX-License-Identifier: MIT */
/* testdev: an MMIO device that records every callback (testdev.h). */
#include <string.h>

#include "testdev.h"

struct TestDev {
    MemoryOwner owner; /* embedded: the device lives as long as it does */
    MemoryRegion mmio;
    MemoryRegionOps ops; /* per instance: built from the config */
    TestDevConfig cfg;
    bool big_endian; /* byte order of the register file */
    uint64_t regs_size;
    uint8_t *regs;

    GMutex lock; /* protects everything below */
    /* the log: the last log_len records, oldest at log[log_head]; a ring
     * of log_cap (grown up to TESTDEV_LOG_MAX) records */
    TestDevAccess *log;
    guint log_cap;
    guint log_len;
    guint log_head;
    guint64 log_dropped;
    MemTxResult read_result;
    MemTxResult write_result;
    TestDevHook hook;
    void *hook_opaque;
    guint violations;

    gint accepts_calls; /* atomics */
    gint active;
    gint max_active;
};

static uint64_t regs_load(const uint8_t *p, unsigned n, bool big_endian)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        v = (v << 8) | p[big_endian ? i : n - 1 - i];
    }
    return v;
}

static void regs_store(uint8_t *p, unsigned n, uint64_t v, bool big_endian)
{
    for (unsigned i = 0; i < n; i++) {
        p[big_endian ? n - 1 - i : i] = (uint8_t)v;
        v >>= 8;
    }
}

/* What the dispatcher promises every callback (memory.h): 1 to 8 bytes;
 * with the mmio-bounds opt-in, none past the region's end (without it, as
 * in QEMU, a callback may pass the end and is served below like any
 * offset outside the register file). */
static bool callback_in_bounds(const TestDev *dev, hwaddr offset, unsigned size)
{
    uint64_t last =
        dev->cfg.size == UINT64_MAX ? UINT64_MAX : dev->cfg.size - 1;

    if (size == 0 || size > 8) {
        return false;
    }
    return !dev->cfg.bounds_check ||
           (size - 1 <= last && offset <= last - (size - 1));
}

static void enter_callback(TestDev *dev)
{
    gint now = g_atomic_int_add(&dev->active, 1) + 1;
    gint max = g_atomic_int_get(&dev->max_active);

    while (now > max &&
           !g_atomic_int_compare_and_exchange(&dev->max_active, max, now)) {
        max = g_atomic_int_get(&dev->max_active);
    }
}

/* Append @rec to the log; once it is full, over the oldest record. */
static void log_append(TestDev *dev, const TestDevAccess *rec)
{
    if (dev->log_len == dev->log_cap && dev->log_cap < TESTDEV_LOG_MAX) {
        /* not wrapped yet (log_head is 0): grow */
        dev->log_cap = MIN(MAX(dev->log_cap * 2, 16u), TESTDEV_LOG_MAX);
        dev->log = g_renew(TestDevAccess, dev->log, dev->log_cap);
    }
    if (dev->log_len < dev->log_cap) {
        dev->log[(dev->log_head + dev->log_len++) % dev->log_cap] = *rec;
    } else {
        dev->log[dev->log_head] = *rec;
        dev->log_head = (dev->log_head + 1) % dev->log_cap;
        dev->log_dropped++;
    }
}

static const TestDevAccess *log_at(const TestDev *dev, guint i)
{
    return &dev->log[(dev->log_head + i) % dev->log_cap];
}

/*
 * Record and apply one callback; returns the result the _with_attrs form
 * gives. Runs the hook afterwards, unlocked.
 */
static MemTxResult serve(TestDev *dev, bool is_write, hwaddr offset,
                         uint64_t *value, unsigned size, MemTxAttrs attrs)
{
    TestDevAccess rec = {
        .is_write = is_write,
        .offset = offset,
        .size = size,
        .attrs = attrs,
    };
    MemTxResult result;
    TestDevHook hook;
    void *hook_opaque;

    enter_callback(dev);
    g_mutex_lock(&dev->lock);
    if (!callback_in_bounds(dev, offset, size)) {
        dev->violations++;
        if (!is_write) {
            *value = 0;
        }
    } else if (offset < dev->regs_size && size <= dev->regs_size - offset) {
        if (is_write) {
            regs_store(dev->regs + offset, size, *value, dev->big_endian);
        } else {
            *value = regs_load(dev->regs + offset, size, dev->big_endian);
        }
    } else if (!is_write) {
        *value = 0; /* past the register file: reads as zero */
    }
    rec.value = *value;
    log_append(dev, &rec);
    result = is_write ? dev->write_result : dev->read_result;
    hook = dev->hook;
    hook_opaque = dev->hook_opaque;
    g_mutex_unlock(&dev->lock);

    if (hook) {
        hook(dev, &rec, hook_opaque);
    }
    g_atomic_int_add(&dev->active, -1);
    return result;
}

static MemTxResult testdev_read_with_attrs(void *opaque, hwaddr addr,
                                           uint64_t *data, unsigned size,
                                           MemTxAttrs attrs)
{
    return serve(opaque, false, addr, data, size, attrs);
}

static MemTxResult testdev_write_with_attrs(void *opaque, hwaddr addr,
                                            uint64_t data, unsigned size,
                                            MemTxAttrs attrs)
{
    return serve(opaque, true, addr, &data, size, attrs);
}

static uint64_t testdev_read(void *opaque, hwaddr addr, unsigned size)
{
    uint64_t v = 0;

    serve(opaque, false, addr, &v, size, MEMTXATTRS_UNSPECIFIED);
    return v;
}

static void testdev_write(void *opaque, hwaddr addr, uint64_t data,
                          unsigned size)
{
    serve(opaque, true, addr, &data, size, MEMTXATTRS_UNSPECIFIED);
}

static bool testdev_accepts(void *opaque, hwaddr addr, unsigned size,
                            bool is_write, MemTxAttrs attrs)
{
    TestDev *dev = opaque;

    g_atomic_int_inc(&dev->accepts_calls);
    return dev->cfg.accepts(dev, addr, size, is_write, attrs);
}

static void testdev_release(MemoryOwner *owner)
{
    TestDev *dev =
        (TestDev *)(void *)((char *)owner - offsetof(TestDev, owner));

    memory_region_finalize(&dev->mmio);
    g_free(dev->log);
    g_mutex_clear(&dev->lock);
    g_free(dev->regs);
    g_free(dev);
}

TestDev *testdev_new(const char *name, const TestDevConfig *cfg, GError **errp)
{
    TestDev *dev = g_new0(TestDev, 1);
    MemoryRegionOps *ops = &dev->ops;

    dev->cfg = *cfg;
    ops->endianness = cfg->endianness;
    ops->valid.min_access_size = cfg->valid_min;
    ops->valid.max_access_size = cfg->valid_max;
    ops->valid.unaligned = cfg->valid_unaligned;
    ops->valid.accepts = cfg->accepts ? testdev_accepts : NULL;
    ops->impl.min_access_size = cfg->impl_min;
    ops->impl.max_access_size = cfg->impl_max;
    ops->impl.unaligned = cfg->impl_unaligned;
    if (cfg->plain_callbacks) {
        ops->read = cfg->no_read ? NULL : testdev_read;
        ops->write = cfg->no_write ? NULL : testdev_write;
    } else {
        ops->read_with_attrs = cfg->no_read ? NULL : testdev_read_with_attrs;
        ops->write_with_attrs = cfg->no_write ? NULL : testdev_write_with_attrs;
    }
    switch (cfg->endianness) {
    case DEVICE_BIG_ENDIAN:
        dev->big_endian = true;
        break;
    case DEVICE_LITTLE_ENDIAN:
        dev->big_endian = false;
        break;
    default:
        dev->big_endian = cfg->native_big_endian;
        break;
    }
    dev->regs_size = MIN(cfg->size, (uint64_t)TESTDEV_REGS_MAX);
    dev->regs = g_malloc0(dev->regs_size ? dev->regs_size : 1);
    g_mutex_init(&dev->lock);

    if (!memory_region_init_io(&dev->mmio, &dev->owner, ops, dev, name,
                               cfg->size, errp)) {
        g_mutex_clear(&dev->lock);
        g_free(dev->regs);
        g_free(dev);
        return NULL;
    }
    if (cfg->no_global_locking) {
        memory_region_clear_global_locking(&dev->mmio);
    }
    if (cfg->bounds_check) {
        memory_region_enable_bounds_check(&dev->mmio);
    }
    memory_owner_init(&dev->owner, name, testdev_release);
    return dev;
}

void testdev_unref(TestDev *dev)
{
    memory_owner_unref(&dev->owner);
}

MemoryRegion *testdev_region(TestDev *dev)
{
    return &dev->mmio;
}

MemoryOwner *testdev_owner(TestDev *dev)
{
    return &dev->owner;
}

void testdev_set_hook(TestDev *dev, TestDevHook hook, void *opaque)
{
    g_mutex_lock(&dev->lock);
    dev->hook = hook;
    dev->hook_opaque = opaque;
    g_mutex_unlock(&dev->lock);
}

void testdev_set_result(TestDev *dev, bool is_write, MemTxResult result)
{
    g_mutex_lock(&dev->lock);
    if (is_write) {
        dev->write_result = result;
    } else {
        dev->read_result = result;
    }
    g_mutex_unlock(&dev->lock);
}

guint testdev_log_len(TestDev *dev)
{
    guint len;

    g_mutex_lock(&dev->lock);
    len = dev->log_len;
    g_mutex_unlock(&dev->lock);
    return len;
}

guint64 testdev_log_dropped(TestDev *dev)
{
    guint64 n;

    g_mutex_lock(&dev->lock);
    n = dev->log_dropped;
    g_mutex_unlock(&dev->lock);
    return n;
}

TestDevAccess testdev_log_get(TestDev *dev, guint i)
{
    TestDevAccess rec;

    g_mutex_lock(&dev->lock);
    g_assert(i < dev->log_len);
    rec = *log_at(dev, i);
    g_mutex_unlock(&dev->lock);
    return rec;
}

char *testdev_log_format(TestDev *dev)
{
    GString *s = g_string_new("");

    g_mutex_lock(&dev->lock);
    for (guint i = 0; i < dev->log_len; i++) {
        const TestDevAccess *a = log_at(dev, i);

        g_string_append_printf(s, "%s%c%u@0x%" PRIx64, i ? " " : "",
                               a->is_write ? 'w' : 'r', a->size, a->offset);
    }
    g_mutex_unlock(&dev->lock);
    return g_string_free(s, FALSE);
}

void testdev_log_clear(TestDev *dev)
{
    g_mutex_lock(&dev->lock);
    dev->log_len = 0;
    dev->log_head = 0;
    dev->log_dropped = 0;
    g_mutex_unlock(&dev->lock);
}

GVariant *testdev_save_state(TestDev *dev)
{
    GVariant *v;

    g_mutex_lock(&dev->lock);
    v = g_variant_new("(@ayuu)",
                      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, dev->regs,
                                                dev->regs_size, 1),
                      (guint32)dev->read_result, (guint32)dev->write_result);
    g_mutex_unlock(&dev->lock);
    return v;
}

bool testdev_restore_state(TestDev *dev, GVariant *state, GError **errp)
{
    g_autoptr(GVariant) regs = NULL;
    guint32 rd, wr;
    gsize n = 0;
    const void *bytes;

    if (!g_variant_is_of_type(state, G_VARIANT_TYPE(TESTDEV_STATE_TYPE))) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "testdev: not a testdev state");
        return false;
    }
    g_variant_get(state, "(@ayuu)", &regs, &rd, &wr);
    bytes = g_variant_get_fixed_array(regs, &n, 1);
    if (n != dev->regs_size) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "testdev: %zu bytes of registers, not %" PRIu64,
                            (size_t)n, dev->regs_size);
        return false;
    }
    g_mutex_lock(&dev->lock);
    memcpy(dev->regs, bytes, n);
    dev->read_result = rd;
    dev->write_result = wr;
    g_mutex_unlock(&dev->lock);
    return true;
}

void testdev_regs_write(TestDev *dev, hwaddr offset, const void *buf,
                        size_t len)
{
    g_assert(offset <= dev->regs_size && len <= dev->regs_size - offset);
    g_mutex_lock(&dev->lock);
    memcpy(dev->regs + offset, buf, len);
    g_mutex_unlock(&dev->lock);
}

void testdev_regs_read(TestDev *dev, hwaddr offset, void *buf, size_t len)
{
    g_assert(offset <= dev->regs_size && len <= dev->regs_size - offset);
    g_mutex_lock(&dev->lock);
    memcpy(buf, dev->regs + offset, len);
    g_mutex_unlock(&dev->lock);
}

guint testdev_violations(TestDev *dev)
{
    guint n;

    g_mutex_lock(&dev->lock);
    n = dev->violations;
    g_mutex_unlock(&dev->lock);
    return n;
}

guint testdev_accepts_calls(TestDev *dev)
{
    return (guint)g_atomic_int_get(&dev->accepts_calls);
}

guint testdev_max_concurrency(TestDev *dev)
{
    return (guint)g_atomic_int_get(&dev->max_active);
}
