/* SPDX-License-Identifier: MIT */
/*
 * The layout of a FlatView's sections and its lookup index, for the inline
 * access path. NOT ABI: included by <addrspace/flatview.h> only; the layout
 * below may change in any release.
 *
 * A view is a sequence of immutable chunks of at most FLAT_CHUNK_SIZE
 * sections each, in address order. Consecutive views of one root share
 * every chunk a commit did not touch (flatview/update.c). The index is two
 * levels: the view's slots (first address and chunk of each chunk, in the
 * view, right after its index) and each chunk's own array of section
 * starts. A lookup is a branch-free binary search of the slots, then two
 * rounds of independent compares over the chunk's starts, and as many
 * dependent loads as one search of a flat array reached through a pointer:
 * the published index, a slot (whose chunk pointer comes with it), the
 * chunk's starts, the section.
 */
#ifndef ADDRSPACE_STATIC_FLATVIEW_INLINE_H
#define ADDRSPACE_STATIC_FLATVIEW_INLINE_H

#ifndef ADDRSPACE_FLATVIEW_H
#error "include <addrspace/flatview.h>, not this file"
#endif

/** Reads and writes copy to and from @region.host (plain RAM). */
#define FLAT_SECTION_HOST (1u << 0)
/** Reads copy from the region's RAM block (RAM, ROM, romd ROM devices). */
#define FLAT_SECTION_DIRECT_READ (1u << 1)
/** The region is RAM, ROM or a RAM device (QEMU's memory_region_is_ram()). */
#define FLAT_SECTION_RAM (1u << 2)
/** Accesses are translated by the region's IOMMU first. */
#define FLAT_SECTION_IOMMU (1u << 3)
/**
 * Bits 4-7: for an MMIO section (neither RAM nor romd), the access sizes
 * (1, 2, 4, 8) that its region serves without dispatch planning when
 * aligned (mr->priv.fast_sizes), by callbacks of the piece size in bits
 * 8-11 (mr->priv.piece_size).
 */
#define FLAT_SECTION_FAST_SHIFT 4
/** Bits 8-11: the callbacks' size of those accesses. */
#define FLAT_SECTION_PIECE_SHIFT 8
/** Writes are refused (ROM, or a read-only alias or container above). */
#define FLAT_SECTION_READONLY (1u << 12)
/** The range is non-volatile memory. */
#define FLAT_SECTION_NONVOLATILE (1u << 13)
/** A ROM device that was in romd mode at render time. */
#define FLAT_SECTION_ROMD (1u << 14)
/**
 * An access hook observes reads of the section (hooks.h): reads and MMIO go
 * out of line, where the hooks are called.
 */
#define FLAT_SECTION_HOOK_READ (1u << 15)
/**
 * An access hook observes writes of the section: writes and MMIO go out of
 * line.
 */
#define FLAT_SECTION_HOOK_WRITE (1u << 24)
/** Both hook bits. */
#define FLAT_SECTION_HOOK_MASK \
    (FLAT_SECTION_HOOK_READ | FLAT_SECTION_HOOK_WRITE)
/**
 * Bits 16-23: the dirty-logging clients enabled at render time (bit
 * 1 << DIRTY_MEMORY_*); direct writes must mark pages for them.
 */
#define FLAT_SECTION_LOG_SHIFT 16
/** The dirty-logging bits. */
#define FLAT_SECTION_LOG_MASK (0xffu << FLAT_SECTION_LOG_SHIFT)

/**
 * struct FlatSection - private: one section of a view, and the only stored
 * form of it. The inline and out-of-line access paths read it, the region
 * interface hands out its @region header, and listeners and the public
 * calls get a MemoryRegionSection built from it (flatview.h). Immutable
 * once its chunk is published, and shared by every view holding the chunk:
 * it points at no view.
 * @region: the range as a GuestRegion: @region.start and @region.last are
 * its first and last address, @region.host the host address of its first
 * byte when FLAT_SECTION_HOST (else NULL), @region.fd / @region.fd_offset
 * the file behind it, @region.impl_flags its FLAT_SECTION_* bits.
 * @mr: the region that answers accesses in the range.
 * @offset: offset in @mr of the range's first byte.
 */
typedef struct FlatSection {
    GuestRegion region;
    MemoryRegion *mr;
    hwaddr offset;
} FlatSection;

/* One cache line each (chunk.c aligns them): a lookup misses once. */
ADDRSPACE_STATIC_ASSERT_(sizeof(FlatSection) == 64,
                         "FlatSection is one cache line");

/** Sections per chunk at most. */
#define FLAT_CHUNK_SIZE 64

/**
 * struct FlatChunk - private: up to FLAT_CHUNK_SIZE consecutive sections,
 * shared by the consecutive views of a root that hold it (flatview/chunk.c).
 * @nr: number of sections (1 to FLAT_CHUNK_SIZE).
 * @nr_owners: owners referenced by the chunk.
 * @guide: every eighth key of @starts (@starts[8], [16], ... [56]), in
 * the cache line of @nr: a search's first round.
 * @starts: the index of the chunk: @sections[i].region.start, written by
 * the chunk's builder together with the sections (the only copy of them);
 * keys past @nr are UINT64_MAX. Each eight keys from a multiple of eight
 * fill one cache line.
 * @birth: generation of the first view holding it.
 * @death: generation of the first view after it that no longer holds it
 * (UINT64_MAX while the newest view does).
 * @owners: one reference on each distinct owner of the sections' regions.
 * @pad: private.
 * @sections: the sections, in address order; the chunk is allocated on a
 * cache line, so each section is one.
 */
typedef struct FlatChunk {
    uint32_t nr;
    uint32_t nr_owners;
    hwaddr guide[FLAT_CHUNK_SIZE / 8 - 1];
    hwaddr starts[FLAT_CHUNK_SIZE];
    uint64_t birth;
    uint64_t death;
    MemoryOwner **owners;
    uint8_t pad[40]; /* @sections at a multiple of 64 bytes */
#ifdef __cplusplus
    /* C++ has no flexible array members; GCC and Clang take them */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#ifdef __clang__
#pragma GCC diagnostic ignored "-Wc99-extensions"
#pragma GCC diagnostic ignored "-Wflexible-array-extensions"
#endif
    FlatSection sections[];
#pragma GCC diagnostic pop
#else
    FlatSection sections[];
#endif
} FlatChunk;

ADDRSPACE_STATIC_ASSERT_(__builtin_offsetof(FlatChunk, sections) % 64 == 0,
                         "a chunk's sections start on a cache line");
ADDRSPACE_STATIC_ASSERT_(__builtin_offsetof(FlatChunk, starts) == 64,
                         "a chunk's keys start on the line after its guide");

/**
 * struct FlatViewSlot - private: one chunk of a view.
 * @start: first address of the chunk (its first section's start).
 * @chunk: the chunk.
 */
typedef struct FlatViewSlot {
    hwaddr start;
    const FlatChunk *chunk;
} FlatViewSlot;

/**
 * struct FlatViewIndex - private: the lookup index, the last member of
 * every FlatView and what AddressSpaces publish; its @nr_chunks slots (the
 * chunks in address order) follow it in memory, so a lookup reads them
 * without loading a pointer first.
 * @nr_chunks: number of chunks.
 */
typedef struct FlatViewIndex {
    size_t nr_chunks;
} FlatViewIndex;

/**
 * flatview_index_slots() - private: the slots of @ix.
 * @ix: the index.
 * Return: its slots, which follow it.
 */
static inline const FlatViewSlot *flatview_index_slots(const FlatViewIndex *ix)
{
    return (const FlatViewSlot *)(const void *)(ix + 1);
}

/**
 * flatview_index_slot_any() - private: the slot of the chunk whose sections
 * may hold @addr: the last one starting at or below it, or the first one.
 * @ix: the index, with at least one chunk.
 * @addr: the address.
 * Return: the slot (the first when @addr is below every chunk).
 */
static inline const FlatViewSlot *
flatview_index_slot_any(const FlatViewIndex *ix, hwaddr addr)
{
    const FlatViewSlot *slots = flatview_index_slots(ix);
    size_t lo = 0, n = ix->nr_chunks;

    /* branch-free halving; slot 0's start is never read */
    while (n > 1) {
        size_t half = n / 2;

        lo = slots[lo + half].start <= addr ? lo + half : lo;
        n -= half;
    }
    return &slots[lo];
}

/**
 * flatview_index_chunk_any() - private: the chunk whose sections may hold
 * @addr: the last one starting at or below it, or the first one.
 * @ix: the index, with at least one chunk.
 * @addr: the address.
 * Return: the chunk (when @addr is below every chunk, the first, whose
 * first section does not hold it either: the section test sees an address
 * below it).
 */
static inline const FlatChunk *flatview_index_chunk_any(const FlatViewIndex *ix,
                                                        hwaddr addr)
{
    return flatview_index_slot_any(ix, addr)->chunk;
}

ADDRSPACE_STATIC_ASSERT_(FLAT_CHUNK_SIZE == 64,
                         "a chunk search is two rounds of eight keys");

/**
 * flatview_index_chunk() - private: the chunk whose sections may hold
 * @addr: the last one starting at or below it.
 * @ix: the index.
 * @addr: the address.
 * Return: the chunk, or NULL when @addr is below every chunk.
 */
static inline const FlatChunk *flatview_index_chunk(const FlatViewIndex *ix,
                                                    hwaddr addr)
{
    if (ix->nr_chunks == 0 || addr < flatview_index_slots(ix)[0].start) {
        return NULL;
    }
    return flatview_index_chunk_any(ix, addr);
}

/**
 * flatview_chunk_find() - private: the last section of @c starting at or
 * below @addr.
 * @c: a chunk from flatview_index_chunk() of @addr.
 * @addr: the address.
 *
 * Two rounds of independent compares (every eighth key, from @c->guide,
 * then the seven keys after the one chosen) instead of six dependent
 * halvings: two load latencies and two cache lines per search. Keys past
 * @c->nr are UINT64_MAX (the guide's too), counted only at that address:
 * the count is clamped to the last section. So a chunk of 2 to 8
 * sections takes the same straight line as a full one, and a chunk of
 * one section, the common case of a view of few big regions, one branch.
 * Return: its index in @c (the section holds @addr unless @addr is past
 * its last byte, a hole, or below its start: below every section).
 */
static inline size_t flatview_chunk_find(const FlatChunk *c, hwaddr addr)
{
    size_t lo = 0, nr = c->nr;
    const hwaddr *k;

    if (nr == 1) {
        return 0;
    }
    for (size_t j = 0; j < FLAT_CHUNK_SIZE / 8 - 1; j++) {
        lo += c->guide[j] <= addr ? 8 : 0;
    }
    k = &c->starts[lo];
    for (size_t j = 1; j < 8; j++) {
        lo += k[j] <= addr;
    }
    return lo < nr ? lo : nr - 1;
}

/**
 * flatview_index_candidate() - private: the only section of @ix that may
 * hold @addr.
 * @ix: the index. @addr: the address.
 * Return: the last section starting at or below @addr, or the view's
 * first section when @addr is below all of them; NULL for an empty view.
 */
static inline const FlatSection *
flatview_index_candidate(const FlatViewIndex *ix, hwaddr addr)
{
    const FlatChunk *c;

    if (__builtin_expect(ix->nr_chunks == 0, 0)) {
        return NULL;
    }
    c = flatview_index_chunk_any(ix, addr);
    return &c->sections[flatview_chunk_find(c, addr)];
}

/**
 * flatview_section_holds() - private: whether @s holds @addr.
 * @s: a section or NULL. @addr: the address.
 * Return: true when @s is not NULL and @addr lies in it.
 */
static inline bool flatview_section_holds(const FlatSection *s, hwaddr addr)
{
    return s && addr >= s->region.start && addr <= s->region.last;
}

/**
 * flatview_index_find() - private: the section holding @addr.
 * @ix: the index.
 * @addr: the address.
 * Return: the section, or NULL for a hole.
 */
static inline const FlatSection *flatview_index_find(const FlatViewIndex *ix,
                                                     hwaddr addr)
{
    const FlatSection *s = flatview_index_candidate(ix, addr);

    return flatview_section_holds(s, addr) ? s : NULL;
}

/**
 * flatview_index_direct() - private: whether an access of @size bytes at
 * @addr goes straight to host memory, and where.
 * @ix: the index. @addr: the address. @size: 1, 2, 4 or 8 (constant).
 * @flags: the FLAT_SECTION_* bits the section must have, and
 * FLAT_SECTION_LOG_MASK too for a write (logged writes go out of line).
 * @want: what those bits must be (FLAT_SECTION_HOST).
 * @host: set, when the result is true, to the host address of the access.
 * @s: set, when the result is false, to flatview_index_find(@ix, @addr),
 * for the out-of-line path.
 *
 * One offset from the section's start gives the test below it and the
 * host address; one difference from its last byte the test above it and
 * the room for @size bytes.
 * Return: true when the section holds all @size bytes and its flags
 * match.
 */
static inline bool flatview_index_direct(const FlatViewIndex *ix, hwaddr addr,
                                         unsigned size, uint32_t flags,
                                         uint32_t want, uint8_t **host,
                                         const FlatSection **s)
{
    const FlatSection *f = flatview_index_candidate(ix, addr);
    hwaddr off, room;

    if (__builtin_expect(f != NULL, 1) &&
        __builtin_expect(!__builtin_sub_overflow(addr, f->region.start, &off),
                         1) &&
        __builtin_expect(!__builtin_sub_overflow(f->region.last, addr, &room),
                         1) &&
        __builtin_expect(room >= size - 1, 1) &&
        __builtin_expect((f->region.impl_flags & flags) == want, 1)) {
        *host = f->region.host + off;
        return true;
    }
    *s = flatview_section_holds(f, addr) ? f : NULL;
    return false;
}

#endif /* ADDRSPACE_STATIC_FLATVIEW_INLINE_H */
