/* SPDX-License-Identifier: MIT */
/*
 * Word-at-a-time bitmap search (QEMU's find_next_bit() and
 * find_next_zero_bit()) over arrays of 64-bit words, bit i in word i / 64
 * at position i % 64. Internal to memory/; not installed.
 *
 * Words are read with acquire loads, so the searches may run over the
 * shared dirty bitmaps while writers set bits (dirty.c): a bit set before
 * the load is seen together with the data written before it. Private
 * bitmaps pay nothing for that on x86 and arm64 (a plain load there).
 */
#ifndef ADDRSPACE_MEMORY_BITMAP_H
#define ADDRSPACE_MEMORY_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

#define BITS_PER_WORD 64

/* Words needed for @nbits bits. */
static inline uint64_t bitmap_words(uint64_t nbits)
{
    return nbits / BITS_PER_WORD + !!(nbits % BITS_PER_WORD);
}

/* Bits [@lo, @hi] (0..63) of a word. */
static inline uint64_t bitmap_word_mask(unsigned lo, unsigned hi)
{
    uint64_t upto = hi == 63 ? UINT64_MAX : (UINT64_C(1) << (hi + 1)) - 1;

    return upto & ~((UINT64_C(1) << lo) - 1);
}

/*
 * The first bit at or after @offset below @size that is set (@invert
 * false) or clear (@invert true); @size when there is none. One load per
 * word: a clean 64 MiB of 4 KiB pages is 256 words.
 */
static inline uint64_t bitmap_find_next(const uint64_t *map, uint64_t size,
                                        uint64_t offset, bool invert)
{
    uint64_t flip = invert ? UINT64_MAX : 0;
    uint64_t w, nw, word;

    if (offset >= size) {
        return size;
    }
    w = offset / BITS_PER_WORD;
    nw = bitmap_words(size);
    word = (__atomic_load_n(&map[w], __ATOMIC_ACQUIRE) ^ flip) &
           (UINT64_MAX << (offset % BITS_PER_WORD));
    while (!word) {
        if (++w >= nw) {
            return size;
        }
        word = __atomic_load_n(&map[w], __ATOMIC_ACQUIRE) ^ flip;
    }
    offset = w * BITS_PER_WORD + (uint64_t)__builtin_ctzll(word);
    return offset < size ? offset : size;
}

/* QEMU's find_next_bit(): the first set bit at or after @offset, or @size. */
static inline uint64_t find_next_bit(const uint64_t *map, uint64_t size,
                                     uint64_t offset)
{
    return bitmap_find_next(map, size, offset, false);
}

/* QEMU's find_next_zero_bit(): the first clear bit at or after @offset, or
 * @size. */
static inline uint64_t find_next_zero_bit(const uint64_t *map, uint64_t size,
                                          uint64_t offset)
{
    return bitmap_find_next(map, size, offset, true);
}

/* Set (@value true) or clear bits [@first, @first + @n) of a private
 * bitmap (QEMU's bitmap_set()/bitmap_clear()); not atomic. */
static inline void bitmap_assign(uint64_t *map, uint64_t first, uint64_t n,
                                 bool value)
{
    uint64_t last = first + n - 1;

    if (n == 0) {
        return;
    }
    for (uint64_t w = first / BITS_PER_WORD; w <= last / BITS_PER_WORD; w++) {
        unsigned lo = w == first / BITS_PER_WORD ? first % BITS_PER_WORD : 0;
        unsigned hi = w == last / BITS_PER_WORD ? last % BITS_PER_WORD
                                                : BITS_PER_WORD - 1;
        uint64_t mask = bitmap_word_mask(lo, hi);

        map[w] = value ? map[w] | mask : map[w] & ~mask;
    }
}

#endif /* ADDRSPACE_MEMORY_BITMAP_H */
