/* SPDX-License-Identifier: MIT */
/* dma-testdev: copies memory through an AddressSpace when commanded. */
#include <string.h>

#include "dma-testdev.h"

struct DmaTestDev {
    MemoryOwner owner; /* first: recovered from the release callback */
    MemoryRegion mr;
    GMutex lock; /* protects the fields below */
    AddressSpace *as;
    uint64_t src;
    uint64_t dst;
    uint32_t len;
    uint32_t status;
    uint32_t done;
    guint copies;
};

/* Replace the 32-bit half of @reg selected by @hi with @val. */
static void set_half(uint64_t *reg, bool hi, uint32_t val)
{
    if (hi) {
        *reg = (*reg & 0xffffffffu) | ((uint64_t)val << 32);
    } else {
        *reg = (*reg & ~(uint64_t)0xffffffffu) | val;
    }
}

/*
 * Bytes of a @len-byte run starting at @addr that lie below 2^64 (the
 * rest is past the top of the space, a hole, never a wrap to 0).
 */
static uint64_t below_top(hwaddr addr, uint64_t len)
{
    uint64_t room = UINT64_MAX - addr; /* bytes after @addr */

    return len - 1 > room ? room + 1 : len;
}

/* The copy itself; runs without the device lock held. */
static MemTxResult dma_copy(AddressSpace *as, hwaddr src, hwaddr dst,
                            uint32_t len, uint32_t *done)
{
    MemTxResult res = MEMTX_OK;
    /* on the stack: a copy is not re-entered (the region's re-entrancy
     * guard), and a heap chunk per copy costs fresh pages under ASan */
    uint8_t buf[DMA_TESTDEV_CHUNK];
    uint64_t n;

    *done = 0;
    if (len == 0) {
        return MEMTX_OK;
    }
    if (!as) {
        return MEMTX_DECODE_ERROR;
    }
    n = MIN(below_top(src, len), below_top(dst, len));
    if (n < len) {
        res |= MEMTX_DECODE_ERROR;
    }
    for (uint64_t off = 0; off < n; off += DMA_TESTDEV_CHUNK) {
        hwaddr chunk = MIN(n - off, (uint64_t)DMA_TESTDEV_CHUNK);

        res |= address_space_read(as, src + off, MEMTXATTRS_UNSPECIFIED, buf,
                                  chunk);
        res |= address_space_write(as, dst + off, MEMTXATTRS_UNSPECIFIED, buf,
                                   chunk);
    }
    *done = (uint32_t)n;
    return res;
}

static void dma_start(DmaTestDev *dev)
{
    AddressSpace *as;
    uint64_t src, dst;
    uint32_t len, done = 0;
    MemTxResult res;

    g_mutex_lock(&dev->lock);
    as = dev->as;
    src = dev->src;
    dst = dev->dst;
    len = dev->len;
    dev->copies++;
    g_mutex_unlock(&dev->lock);

    if (len > DMA_TESTDEV_MAX_LEN) {
        res = MEMTX_ERROR;
    } else {
        res = dma_copy(as, src, dst, len, &done);
    }

    g_mutex_lock(&dev->lock);
    dev->status = res;
    dev->done = done;
    g_mutex_unlock(&dev->lock);
}

static uint64_t dma_read(void *opaque, hwaddr addr, unsigned size)
{
    DmaTestDev *dev = opaque;
    uint64_t val = 0;

    (void)size;
    g_mutex_lock(&dev->lock);
    switch (addr) {
    case DMA_TESTDEV_REG_SRC_LO:
        val = (uint32_t)dev->src;
        break;
    case DMA_TESTDEV_REG_SRC_HI:
        val = dev->src >> 32;
        break;
    case DMA_TESTDEV_REG_DST_LO:
        val = (uint32_t)dev->dst;
        break;
    case DMA_TESTDEV_REG_DST_HI:
        val = dev->dst >> 32;
        break;
    case DMA_TESTDEV_REG_LEN:
        val = dev->len;
        break;
    case DMA_TESTDEV_REG_STATUS:
        val = dev->status;
        break;
    case DMA_TESTDEV_REG_DONE:
        val = dev->done;
        break;
    default:
        break;
    }
    g_mutex_unlock(&dev->lock);
    return val;
}

static void dma_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    DmaTestDev *dev = opaque;
    uint32_t val = (uint32_t)data;

    (void)size;
    if (addr == DMA_TESTDEV_REG_CMD) {
        if (val == DMA_TESTDEV_CMD_COPY) {
            dma_start(dev);
        }
        return;
    }
    g_mutex_lock(&dev->lock);
    switch (addr) {
    case DMA_TESTDEV_REG_SRC_LO:
    case DMA_TESTDEV_REG_SRC_HI:
        set_half(&dev->src, addr == DMA_TESTDEV_REG_SRC_HI, val);
        break;
    case DMA_TESTDEV_REG_DST_LO:
    case DMA_TESTDEV_REG_DST_HI:
        set_half(&dev->dst, addr == DMA_TESTDEV_REG_DST_HI, val);
        break;
    case DMA_TESTDEV_REG_LEN:
        dev->len = val;
        break;
    case DMA_TESTDEV_REG_STATUS:
        dev->status = 0;
        break;
    default:
        break;
    }
    g_mutex_unlock(&dev->lock);
}

/* 32-bit registers; the dispatcher splits 64-bit accesses (impl max 4). */
static const MemoryRegionOps dma_testdev_ops = {
    .read = dma_read,
    .write = dma_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 4, .max_access_size = 8},
    .impl = {.min_access_size = 4, .max_access_size = 4},
};

static void dma_testdev_release(MemoryOwner *owner)
{
    DmaTestDev *dev = (DmaTestDev *)owner;

    memory_region_finalize(&dev->mr);
    g_mutex_clear(&dev->lock);
    g_free(dev);
}

DmaTestDev *dma_testdev_new(const char *name, AddressSpace *as, GError **errp)
{
    DmaTestDev *dev = g_new0(DmaTestDev, 1);

    if (!memory_region_init_io(&dev->mr, &dev->owner, &dma_testdev_ops, dev,
                               name, DMA_TESTDEV_REGION_SIZE, errp)) {
        g_free(dev);
        return NULL;
    }
    /* opted in to the guard: a copy into its own registers is refused */
    memory_region_enable_reentrancy_guard(&dev->mr);
    memory_owner_init(&dev->owner, name, dma_testdev_release);
    g_mutex_init(&dev->lock);
    dev->as = as;
    return dev;
}

void dma_testdev_unref(DmaTestDev *dev)
{
    memory_owner_unref(&dev->owner);
}

MemoryRegion *dma_testdev_region(DmaTestDev *dev)
{
    return &dev->mr;
}

void dma_testdev_set_address_space(DmaTestDev *dev, AddressSpace *as)
{
    g_mutex_lock(&dev->lock);
    dev->as = as;
    g_mutex_unlock(&dev->lock);
}

guint dma_testdev_copies(DmaTestDev *dev)
{
    guint n;

    g_mutex_lock(&dev->lock);
    n = dev->copies;
    g_mutex_unlock(&dev->lock);
    return n;
}

GVariant *dma_testdev_save_state(DmaTestDev *dev)
{
    GVariant *v;

    g_mutex_lock(&dev->lock);
    v = g_variant_new(DMA_TESTDEV_STATE_TYPE, dev->src, dev->dst, dev->len,
                      dev->status, dev->done);
    g_mutex_unlock(&dev->lock);
    return v;
}

/* The state's serialised form, a fixed-size "(ttuuu)", read in place (a
 * restore runs once per fuzzing input): each member at its alignment. A
 * value read from corrupt data has none (g_variant_get_data() gives
 * NULL): all zeros, as g_variant_get() reads it. */
enum {
    STATE_SRC = 0,
    STATE_DST = 8,
    STATE_LEN = 16,
    STATE_STATUS = 20,
    STATE_DONE = 24,
    STATE_SIZE = 32,
};

bool dma_testdev_restore_state(DmaTestDev *dev, GVariant *state, GError **errp)
{
    static const uint8_t zeros[STATE_SIZE];
    const uint8_t *data;

    if (!g_variant_is_of_type(state, G_VARIANT_TYPE(DMA_TESTDEV_STATE_TYPE))) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "dma-testdev: not a dma-testdev state");
        return false;
    }
    G_STATIC_ASSERT(sizeof(((DmaTestDev *)0)->src) == 8 &&
                    sizeof(((DmaTestDev *)0)->len) == 4);
    data = g_variant_get_size(state) == STATE_SIZE ? g_variant_get_data(state)
                                                   : NULL;
    if (!data) {
        data = zeros;
    }
    g_mutex_lock(&dev->lock);
    memcpy(&dev->src, data + STATE_SRC, sizeof(dev->src));
    memcpy(&dev->dst, data + STATE_DST, sizeof(dev->dst));
    memcpy(&dev->len, data + STATE_LEN, sizeof(dev->len));
    memcpy(&dev->status, data + STATE_STATUS, sizeof(dev->status));
    memcpy(&dev->done, data + STATE_DONE, sizeof(dev->done));
    g_mutex_unlock(&dev->lock);
    return true;
}
