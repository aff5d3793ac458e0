/* SPDX-License-Identifier: MIT */
/**
 * @file host-inline.h
 * @brief Host-memory helpers shared by the inline access paths. NOT ABI:
 * included by <addrspace/static/access-inline.h> and
 * <addrspace/static/guest-memory-inline.h>; may change in any release.
 *
 * A naturally aligned access is one relaxed atomic access, so a guest
 * access racing with another vCPU or a DMA engine is never torn (QEMU's
 * single-copy atomicity for aligned RAM accesses); unaligned ones copy.
 */
#ifndef ADDRSPACE_STATIC_HOST_INLINE_H
#define ADDRSPACE_STATIC_HOST_INLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <addrspace/types.h>

/**
 * ADDRSPACE_HOST_ENDIAN - private: the host's byte order as an enum
 * device_endian (DEVICE_BIG_ENDIAN or DEVICE_LITTLE_ENDIAN).
 */
#define ADDRSPACE_HOST_ENDIAN                                   \
    (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? DEVICE_BIG_ENDIAN \
                                            : DEVICE_LITTLE_ENDIAN)

/**
 * addrspace_endian_big() - private: whether byte order @order is big
 * endian: the one place where DEVICE_NATIVE_ENDIAN becomes the target's
 * order. Every byte order the library passes around (a typed access's, a
 * device's, the buffer path's host order) is an enum device_endian; a
 * value other than the three counts as DEVICE_NATIVE_ENDIAN, as in QEMU
 * 7.2's memory_region_big_endian().
 * @order: the byte order.
 * @target_big: the target's order, read (relaxed) only for
 * DEVICE_NATIVE_ENDIAN, so a constant @order costs no load.
 * Return: true for big endian.
 */
static inline bool addrspace_endian_big(enum device_endian order,
                                        const bool *target_big)
{
    return order == DEVICE_BIG_ENDIAN ||
           (order != DEVICE_LITTLE_ENDIAN &&
            __atomic_load_n(target_big, __ATOMIC_RELAXED));
}

/**
 * addrspace_endian_swaps() - private: whether a value in byte order
 * @order must be byte-swapped to or from the host's order.
 * @order: the byte order. @target_big: as addrspace_endian_big().
 * Return: true to swap.
 */
static inline bool addrspace_endian_swaps(enum device_endian order,
                                          const bool *target_big)
{
    return addrspace_endian_big(order, target_big) !=
           (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
}

/**
 * addrspace_bswap() - private: byte-swap the low @size bytes of @v.
 * @v: the value. @size: 1, 2, 4 or 8.
 * Return: the swapped value (bits above @size bytes zero).
 */
static inline uint64_t addrspace_bswap(uint64_t v, unsigned size)
{
    return size == 1 ? (uint8_t)v : __builtin_bswap64(v) >> (64 - 8 * size);
}

/**
 * addrspace_host_load() - private: load @size bytes at @p in host order.
 * @p: host address. @size: 1, 2, 4 or 8.
 * Return: the value.
 */
static inline uint64_t addrspace_host_load(const void *p, unsigned size)
{
    bool aligned = ((uintptr_t)p & (size - 1)) == 0;

    switch (size) {
    case 1:
        return __atomic_load_n((const uint8_t *)p, __ATOMIC_RELAXED);
    case 2: {
        uint16_t v;

        if (__builtin_expect(aligned, 1)) {
            return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
        }
        __builtin_memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        uint32_t v;

        if (__builtin_expect(aligned, 1)) {
            return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
        }
        __builtin_memcpy(&v, p, 4);
        return v;
    }
    default: {
        uint64_t v;

        if (__builtin_expect(aligned, 1)) {
            return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
        }
        __builtin_memcpy(&v, p, 8);
        return v;
    }
    }
}

/**
 * addrspace_host_store() - private: store the low @size bytes of @v at @p
 * in host order.
 * @p: host address. @size: 1, 2, 4 or 8. @v: the value.
 */
static inline void addrspace_host_store(void *p, unsigned size, uint64_t v)
{
    bool aligned = ((uintptr_t)p & (size - 1)) == 0;

    switch (size) {
    case 1:
        __atomic_store_n((uint8_t *)p, (uint8_t)v, __ATOMIC_RELAXED);
        break;
    case 2: {
        uint16_t w = (uint16_t)v;

        if (__builtin_expect(aligned, 1)) {
            __atomic_store_n((uint16_t *)p, w, __ATOMIC_RELAXED);
        } else {
            __builtin_memcpy(p, &w, 2);
        }
        break;
    }
    case 4: {
        uint32_t w = (uint32_t)v;

        if (__builtin_expect(aligned, 1)) {
            __atomic_store_n((uint32_t *)p, w, __ATOMIC_RELAXED);
        } else {
            __builtin_memcpy(p, &w, 4);
        }
        break;
    }
    default:
        if (__builtin_expect(aligned, 1)) {
            __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
        } else {
            __builtin_memcpy(p, &v, 8);
        }
        break;
    }
}

/**
 * addrspace_copy_piece_size() - private: the largest of 4, 2 and 1 that
 * divides @addr and is at most @n.
 * @addr: an address. @n: bytes left, >= 1.
 * Return: the size.
 */
static inline unsigned addrspace_copy_piece_size(uintptr_t addr, size_t n)
{
    if (!(addr & 3) && n >= 4) {
        return 4;
    }
    return !(addr & 1) && n >= 2 ? 2 : 1;
}

/**
 * addrspace_copy_untorn() - private: copy @n bytes between guest memory
 * and a buffer so that every naturally aligned piece of at most 8 bytes of
 * the guest side is one host access (glibc's memcpy loads 2 or 3 bytes one
 * at a time): pieces up to the first 8-aligned byte, memcpy of the
 * 8-aligned run, pieces after it.
 * @dst: destination. @src: source. @n: bytes.
 * @to_guest: @dst is guest memory (else @src is).
 */
static inline void addrspace_copy_untorn(void *dst, const void *src, size_t n,
                                         bool to_guest)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    uintptr_t g = to_guest ? (uintptr_t)d : (uintptr_t)s;
    size_t run;

    while (n) {
        unsigned p;

        if (!(g & 7) && n >= 8) {
            run = n & ~(size_t)7;
            __builtin_memcpy(d, s, run);
            d += run;
            s += run;
            g += run;
            n -= run;
            continue;
        }
        p = addrspace_copy_piece_size(g, n);
        addrspace_host_store(d, p, addrspace_host_load(s, p));
        d += p;
        s += p;
        g += p;
        n -= p;
    }
}

#endif /* ADDRSPACE_STATIC_HOST_INLINE_H */
