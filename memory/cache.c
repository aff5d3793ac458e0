/* SPDX-License-Identifier: MIT */
/*
 * MemoryRegionCache: one range translated once for repeated accesses
 * (QEMU's address_space_cache_init and the *_cached accessors).
 *
 * Fast path: the range is one directly accessible run of one region; the
 * cache keeps the host pointer and a reference on the region's owner, and
 * an access is a bounds check plus a copy (or one atomic access for
 * aligned typed accesses). Slow path: everything else goes through the
 * AddressSpace's own read/write and typed accesses, at the range's
 * address plus the offset. Out-of-range accesses are refused with
 * MEMTX_DECODE_ERROR where QEMU asserts.
 */
#include <string.h>

#include "hooks-internal.h"
#include "map-internal.h"

static const bool host_big_endian = G_BYTE_ORDER == G_BIG_ENDIAN;

/* A resolved byte order (the cache's target order is the one at init, not
 * the AddressSpace's now), as the access path takes it. */
static inline enum device_endian endian_of(bool big)
{
    return big ? DEVICE_BIG_ENDIAN : DEVICE_LITTLE_ENDIAN;
}

ADDRSPACE_EXPORT void address_space_cache_init_empty(MemoryRegionCache *cache)
{
    memset(cache, 0, sizeof(*cache));
}

ADDRSPACE_EXPORT int64_t address_space_cache_init(MemoryRegionCache *cache,
                                                  AddressSpace *as, hwaddr addr,
                                                  hwaddr len, bool is_write)
{
    uint32_t need =
        FLAT_SECTION_DIRECT_READ | (is_write ? FLAT_SECTION_HOST : 0);
    MemoryRegion *mr = NULL;
    uint8_t *host = NULL;
    hwaddr xlat = 0;

    if (!cache) {
        return -1;
    }
    address_space_cache_init_empty(cache);
    /* the length must fit the return value and the range not wrap */
    if (!as || !address_space_check(as, "address_space_cache_init") ||
        len == 0 || len > INT64_MAX || len - 1 > UINT64_MAX - addr) {
        return -1;
    }
    rcu_read_lock();
    /* a range watched by access hooks is served by the slow path */
    if (!address_space_hooks_rcu(as, addr, len, false) &&
        !(is_write && address_space_hooks_rcu(as, addr, len, true)) &&
        address_space_direct_run_rcu(address_space_to_flatview(as), addr, len,
                                     need, &mr, &xlat, &host) == len) {
        memory_region_ref(mr); /* keeps the memory after the view goes */
        cache->priv.ptr = host;
        cache->priv.mr = mr;
        cache->priv.xlat = xlat;
        cache->priv.direct_write = is_write;
    }
    rcu_read_unlock();
    cache->priv.as = as;
    cache->priv.addr = addr;
    cache->priv.len = len;
    cache->priv.is_write = is_write;
    cache->priv.big_endian = address_space_is_big_endian(as);
    return (int64_t)len;
}

ADDRSPACE_EXPORT void address_space_cache_destroy(MemoryRegionCache *cache)
{
    if (cache->priv.mr) {
        memory_region_unref(cache->priv.mr);
    }
    address_space_cache_init_empty(cache);
}

/* Whether [@addr, @addr + @len) lies inside the cached range. */
static bool cache_fits(const MemoryRegionCache *cache, hwaddr addr, hwaddr len)
{
    return cache->priv.as && addr <= cache->priv.len &&
           len <= cache->priv.len - addr;
}

ADDRSPACE_EXPORT MemTxResult address_space_read_cached(MemoryRegionCache *cache,
                                                       hwaddr addr, void *buf,
                                                       hwaddr len)
{
    if (!cache_fits(cache, addr, len)) {
        memset(buf, 0, len);
        return MEMTX_DECODE_ERROR;
    }
    if (cache->priv.ptr) {
        memcpy(buf, cache->priv.ptr + addr, len);
        return MEMTX_OK;
    }
    return address_space_read(cache->priv.as, cache->priv.addr + addr,
                              MEMTXATTRS_UNSPECIFIED, buf, len);
}

ADDRSPACE_EXPORT MemTxResult address_space_write_cached(
    MemoryRegionCache *cache, hwaddr addr, const void *buf, hwaddr len)
{
    if (!cache_fits(cache, addr, len)) {
        return MEMTX_DECODE_ERROR;
    }
    if (cache->priv.direct_write) {
        memcpy(cache->priv.ptr + addr, buf, len);
        /* QEMU: invalidate_and_set_dirty() */
        memory_region_mark_written(cache->priv.mr, cache->priv.xlat + addr,
                                   len);
        return MEMTX_OK;
    }
    return address_space_write(cache->priv.as, cache->priv.addr + addr,
                               MEMTXATTRS_UNSPECIFIED, buf, len);
}

/* Typed load at offset @addr in byte order @order (DEVICE_NATIVE_ENDIAN:
 * the target's as it was at init). */
static uint64_t cached_load(MemoryRegionCache *cache, hwaddr addr,
                            unsigned size, enum device_endian order,
                            MemTxAttrs attrs, MemTxResult *result)
{
    bool big = addrspace_endian_big(order, &cache->priv.big_endian);
    MemTxResult r = MEMTX_OK;
    uint64_t val = 0;

    if (!cache_fits(cache, addr, size)) {
        r = MEMTX_DECODE_ERROR;
    } else if (cache->priv.ptr) {
        val = addrspace_host_load(cache->priv.ptr + addr, size);
        if (big != host_big_endian) {
            val = addrspace_bswap(val, size);
        }
    } else {
        val = address_space_ld_slow(cache->priv.as, cache->priv.addr + addr,
                                    size, endian_of(big), attrs, &r);
    }
    if (result) {
        *result = r;
    }
    return val;
}

static void cached_store(MemoryRegionCache *cache, hwaddr addr, unsigned size,
                         uint64_t val, enum device_endian order,
                         MemTxAttrs attrs, MemTxResult *result)
{
    bool big = addrspace_endian_big(order, &cache->priv.big_endian);
    MemTxResult r = MEMTX_OK;

    if (!cache_fits(cache, addr, size)) {
        r = MEMTX_DECODE_ERROR;
    } else if (cache->priv.direct_write) {
        addrspace_host_store(cache->priv.ptr + addr, size,
                             big != host_big_endian ? addrspace_bswap(val, size)
                                                    : val);
        memory_region_mark_written(cache->priv.mr, cache->priv.xlat + addr,
                                   size);
    } else {
        address_space_st_slow(cache->priv.as, cache->priv.addr + addr, size,
                              val, endian_of(big), attrs, &r);
    }
    if (result) {
        *result = r;
    }
}

/* The typed entry points: one of each row of static/typed-table.h. */
#define DEFINE_CACHED_LOAD(ld, st, type, size, order)                      \
    ADDRSPACE_EXPORT type address_space_##ld##_cached(                     \
        MemoryRegionCache *cache, hwaddr addr, MemTxAttrs attrs,           \
        MemTxResult *result)                                               \
    {                                                                      \
        return (type)cached_load(cache, addr, size, order, attrs, result); \
    }

#define DEFINE_CACHED_STORE(ld, st, type, size, order)                     \
    ADDRSPACE_EXPORT void address_space_##st##_cached(                     \
        MemoryRegionCache *cache, hwaddr addr, type val, MemTxAttrs attrs, \
        MemTxResult *result)                                               \
    {                                                                      \
        cached_store(cache, addr, size, val, order, attrs, result);        \
    }

ADDRSPACE_TYPED_ACCESSES_(DEFINE_CACHED_LOAD)
ADDRSPACE_TYPED_ACCESSES_(DEFINE_CACHED_STORE)
