/* SPDX-License-Identifier: MIT */
/*
 * A reference model of QEMU 7.2's MMIO dispatch and of the access loops
 * around it, written for the tests from reading QEMU 7.2's
 * softmmu/memory.c (memory_region_access_valid,
 * memory_region_dispatch_read/_write, access_with_adjusted_size and its
 * accessors, adjust_endianness, unassigned_mem_ops), softmmu/physmem.c
 * (memory_access_size, flatview_read_continue / flatview_write_continue,
 * flatview_access_valid, address_space_translate_internal's clamping) and
 * memory_ldst.c.inc (address_space_ld*_internal / st*_internal). It keeps
 * QEMU's structure and arithmetic (shifts and masks, not byte lanes) so
 * that it can be read against QEMU's code, and adds, each marked
 * "DEVIATION", what addrspace does differently.
 *
 * The opt-in deviation "mmio-bounds" (memory_region_enable_bounds_check();
 * RefDev.bounds), off by default, where QEMU's code hands a callback bytes
 * past its region's end:
 *
 * D1 an access with a byte past the region's end is refused
 *    (MEMTX_DECODE_ERROR, no callback, valid.accepts not asked);
 * D2 a callback that would pass the region's end (widening at the end, an
 *    impl size that overhangs the access) is made with the rest of the
 *    access instead, at the same offset;
 * D3 buffer chunks of a region with callbacks end at the region's end.
 *
 * Not reproducible (QEMU: undefined / abort / hang), always on:
 *
 * D4 impl.min_access_size above 8 refuses every access (QEMU's mask is
 *    undefined there); dispatch sizes other than 1, 2, 4, 8 are refused;
 * D5 memory_access_size() caps chunks at 8 bytes (QEMU aborts on wider)
 *    and takes the length untruncated (QEMU truncates it to 32 bits and
 *    stalls at a remaining length of 4 GiB over MMIO);
 * D6 a romd typed read past the RAM block is refused (QEMU reads past the
 *    block).
 *
 * A buffer access wraps at 2^64 to address 0 as QEMU's (addr += l in
 * hwaddr arithmetic), a chunk passing 2^64 too.
 *
 * The model knows nothing of the library: devices are described by a
 * MemoryRegionOps (only its rules and endianness are read) and a RefDev
 * whose functions give the values and results the device's callbacks
 * would; every callback the model "makes" is reported to RefDev.log, so a
 * test compares the model's callback sequence with a real device's.
 */
#ifndef TESTS_UNIT_DISPATCH_REFERENCE_H
#define TESTS_UNIT_DISPATCH_REFERENCE_H

#include <string.h>

#include <addrspace/addrspace.h>

/* A device as the model sees it. */
typedef struct RefDev {
    const MemoryRegionOps *ops; /* rules: valid, impl, endianness; accepts */
    uint64_t size;              /* region size; UINT64_MAX means 2^64 */
    bool bounds;                /* mmio-bounds opted in: D1-D3 apply */
    /* the device's read callback: value (not yet masked) and result */
    uint64_t (*read)(void *opaque, hwaddr offset, unsigned size,
                     MemTxResult *result);
    /* the device's write callback's result */
    MemTxResult (*write)(void *opaque, hwaddr offset, uint64_t value,
                         unsigned size);
    /* valid.accepts' answer (only asked when ops->valid.accepts is set) */
    bool (*accepts)(void *opaque, hwaddr offset, unsigned size, bool is_write);
    void *opaque;
} RefDev;

/* ---- softmmu/memory.c -------------------------------------------------- */

static inline uint64_t ref_mask(unsigned bytes)
{
    /* MAKE_64BIT_MASK(0, bytes * 8) for 1 <= bytes <= 8 */
    return ~0ull >> (64 - 8 * bytes);
}

static inline bool ref_last_ok(const RefDev *d, hwaddr offset, unsigned size)
{
    uint64_t last = d->size == UINT64_MAX ? UINT64_MAX : d->size - 1;

    return size >= 1 && size - 1 <= last && offset <= last - (size - 1);
}

/* DEVICE_NATIVE_ENDIAN resolves to the target's order. */
static inline bool ref_dev_big(const RefDev *d, bool target_big)
{
    return d->ops->endianness == DEVICE_BIG_ENDIAN ||
           (d->ops->endianness == DEVICE_NATIVE_ENDIAN && target_big);
}

static inline uint64_t ref_bswap(uint64_t v, unsigned size)
{
    uint64_t r = 0;

    for (unsigned i = 0; i < size; i++) {
        r = (r << 8) | ((v >> (8 * i)) & 0xff);
    }
    return r;
}

/* memory_region_access_valid(), with D1 and D4 in front. */
static inline bool ref_access_valid(const RefDev *d, hwaddr addr, unsigned size,
                                    bool is_write)
{
    const MemoryRegionOps *ops = d->ops;

    /* DEVIATION D1 (mmio-bounds), D4 */
    if ((d->bounds && !ref_last_ok(d, addr, size)) ||
        (size != 1 && size != 2 && size != 4 && size != 8) ||
        ops->impl.min_access_size > 8) {
        return false;
    }
    if (ops->valid.accepts && !d->accepts(d->opaque, addr, size, is_write)) {
        return false;
    }
    if (!ops->valid.unaligned && (addr & (size - 1))) {
        return false;
    }
    if (!ops->valid.max_access_size) {
        return true; /* zero: all valid, for compatibility */
    }
    if (size > ops->valid.max_access_size ||
        size < ops->valid.min_access_size) {
        return false;
    }
    return true;
}

/* access_with_adjusted_size() with memory_region_read_accessor /
 * memory_region_write_accessor and their shifts (addr + i in hwaddr
 * arithmetic, wrapping at 2^64); D2 applied with mmio-bounds. */
static inline MemTxResult ref_adjusted(const RefDev *d, hwaddr addr,
                                       uint64_t *value, unsigned size,
                                       bool is_write, bool dev_big)
{
    unsigned access_size_min = d->ops->impl.min_access_size;
    unsigned access_size_max = d->ops->impl.max_access_size;
    unsigned access_size;
    MemTxResult r = MEMTX_OK;

    if (!access_size_min) {
        access_size_min = 1;
    }
    if (!access_size_max) {
        access_size_max = 4;
    }
    access_size = access_size_max < size ? access_size_max : size;
    if (access_size < access_size_min) {
        access_size = access_size_min;
    }
    for (unsigned i = 0; i < size; i += access_size) {
        unsigned n = access_size;
        int shift;

        if (d->bounds && !ref_last_ok(d, addr + i, n)) {
            n = size - i; /* DEVIATION D2 (mmio-bounds) */
        }
        shift = dev_big ? 8 * ((int)size - (int)n - (int)i) : 8 * (int)i;
        if (is_write) {
            uint64_t tmp = shift >= 0 ? (*value >> shift) & ref_mask(n)
                                      : (*value << -shift) & ref_mask(n);

            r |= d->write(d->opaque, addr + i, tmp, n);
        } else {
            MemTxResult rr = MEMTX_OK;
            uint64_t tmp = d->read(d->opaque, addr + i, n, &rr);

            r |= rr;
            if (shift >= 0) {
                *value |= (tmp & ref_mask(n)) << shift;
            } else {
                *value |= (tmp & ref_mask(n)) >> -shift;
            }
        }
    }
    return r;
}

/*
 * memory_region_dispatch_read() / _write(): @value exchanged in byte order
 * @big (a typed access's order, the host's for buffers); the read value
 * masked to @size as QEMU's callers' types and stn_he_p() do.
 */
static inline MemTxResult ref_dispatch(const RefDev *d, hwaddr addr,
                                       uint64_t *value, unsigned size,
                                       bool is_write, bool big, bool target_big)
{
    bool dev_big = ref_dev_big(d, target_big);
    MemTxResult r;

    if (!is_write) {
        *value = 0;
    }
    if (!ref_access_valid(d, addr, size, is_write)) {
        return MEMTX_DECODE_ERROR; /* unassigned_mem_read() gives 0 */
    }
    if (is_write) {
        uint64_t data = *value & ref_mask(size);

        if (big != dev_big) { /* adjust_endianness() */
            data = ref_bswap(data, size);
        }
        return ref_adjusted(d, addr, &data, size, true, dev_big);
    }
    r = ref_adjusted(d, addr, value, size, false, dev_big);
    *value &= ref_mask(size);
    if (big != dev_big) {
        *value = ref_bswap(*value, size);
    }
    return r;
}

/* ---- softmmu/physmem.c ------------------------------------------------- */

/* memory_access_size(); @ops NULL stands for unassigned_mem_ops. */
static inline unsigned ref_memory_access_size(const MemoryRegionOps *ops,
                                              uint64_t l, hwaddr addr)
{
    unsigned access_size_max = ops ? ops->valid.max_access_size : 0;

    if (access_size_max == 0) {
        access_size_max = 4;
    }
    if (access_size_max > 8) {
        access_size_max = 8; /* DEVIATION D5 */
    }
    if (!(ops && ops->impl.unaligned)) {
        hwaddr align_size_max = addr & -addr;

        if (align_size_max != 0 && align_size_max < access_size_max) {
            access_size_max = (unsigned)align_size_max;
        }
    }
    if (l > access_size_max) {
        l = access_size_max;
    }
    /* pow2floor(); DEVIATION D5: l is not truncated to 32 bits */
    while (l & (l - 1)) {
        l &= l - 1;
    }
    return (unsigned)l;
}

/* What a range of a flat view is, for the access loops. */
typedef enum RefKind {
    REF_RAM,  /* RAM: direct both ways */
    REF_ROM,  /* ROM: direct reads, writes to the unassigned ops */
    REF_MMIO, /* a device: dev */
    REF_ROMD, /* a ROM device in romd mode: direct reads of ram, writes
                * to dev */
    REF_RESV, /* a reservation: the unassigned ops over the region */
} RefKind;

/* One section: [start, start + size) shows region offsets from offset. */
typedef struct RefSection {
    hwaddr start;
    uint64_t size;
    RefKind kind;
    const RefDev *dev;    /* REF_MMIO, REF_ROMD */
    hwaddr offset;        /* offset in the region of start */
    uint8_t *ram;         /* RAM, ROM, ROMD: the region's bytes */
    uint64_t ram_size;    /* ... and how many */
    uint64_t region_size; /* REF_RESV: the region's size */
} RefSection;

typedef struct RefView {
    const RefSection *s;
    size_t nr;
    bool target_big;
} RefView;

/* address_space_translate_internal() over the view: the section, the
 * offset in its region, and *@l clamped to the section for RAM (QEMU
 * clamps only memory_region_is_ram(), not ROM devices). NULL: a hole,
 * io_mem_unassigned at offset @addr. */
static inline const RefSection *ref_translate(const RefView *v, hwaddr addr,
                                              hwaddr *xlat, uint64_t *l)
{
    for (size_t i = 0; i < v->nr; i++) {
        const RefSection *s = &v->s[i];

        if (addr >= s->start && addr - s->start < s->size) {
            *xlat = s->offset + (addr - s->start);
            if (s->kind == REF_RAM || s->kind == REF_ROM) {
                uint64_t diff = s->size - (addr - s->start);

                if (*l > diff) {
                    *l = diff;
                }
            }
            return s;
        }
    }
    *xlat = addr;
    return NULL;
}

static inline bool ref_direct(const RefSection *s, bool is_write)
{
    if (!s) {
        return false;
    }
    return is_write ? s->kind == REF_RAM
                    : s->kind == REF_RAM || s->kind == REF_ROM ||
                          s->kind == REF_ROMD;
}

/* The ops that answer a non-direct access to @s (NULL: unassigned). */
static inline const RefDev *ref_io_dev(const RefSection *s)
{
    return s && (s->kind == REF_MMIO || s->kind == REF_ROMD) ? s->dev : NULL;
}

static inline uint64_t ref_ldn_he(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        unsigned b = G_BYTE_ORDER == G_BIG_ENDIAN ? i : n - 1 - i;

        v = (v << 8) | p[b];
    }
    return v;
}

static inline void ref_stn_he(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned b = G_BYTE_ORDER == G_BIG_ENDIAN ? n - 1 - i : i;

        p[b] = (uint8_t)(v >> (8 * i));
    }
}

/*
 * flatview_read_continue() / flatview_write_continue() from @addr
 * (attrs.memory not modelled: unspecified attributes).
 */
static inline MemTxResult ref_rw(const RefView *v, hwaddr addr, uint8_t *buf,
                                 uint64_t len, bool is_write)
{
    MemTxResult result = MEMTX_OK;
    bool host_big = G_BYTE_ORDER == G_BIG_ENDIAN;
    hwaddr addr1;
    uint64_t l = len;
    const RefSection *s = ref_translate(v, addr, &addr1, &l);

    if (!len) {
        return MEMTX_OK;
    }
    for (;;) {
        if (!ref_direct(s, is_write)) {
            const RefDev *d = ref_io_dev(s);
            const MemoryRegionOps *ops = d ? d->ops : NULL;
            uint64_t val = 0;

            if (d && d->bounds) {
                /* DEVIATION D3 (mmio-bounds): not past the region's end */
                uint64_t last =
                    d->size == UINT64_MAX ? UINT64_MAX : d->size - 1;
                uint64_t left = last - addr1 + 1;

                if (left != 0 && l > left) {
                    l = left;
                }
            }
            l = ref_memory_access_size(ops, l, addr1);
            if (is_write) {
                val = ref_ldn_he(buf, (unsigned)l);
            }
            if (d) {
                result |= ref_dispatch(d, addr1, &val, (unsigned)l, is_write,
                                       host_big, v->target_big);
            } else {
                result |= MEMTX_DECODE_ERROR; /* unassigned: reads 0 */
                val = 0;
            }
            if (!is_write) {
                ref_stn_he(buf, (unsigned)l, val);
            }
        } else {
            /* qemu_ram_ptr_length(): up to the end of the RAM block */
            uint8_t *p = s->ram + addr1;

            if (l > s->ram_size - addr1) {
                l = s->ram_size - addr1;
            }
            if (is_write) {
                memcpy(p, buf, l);
            } else {
                memcpy(buf, p, l);
            }
        }
        len -= l;
        buf += l;
        if (!len) {
            break;
        }
        addr += l; /* wraps at 2^64 */
        l = len;
        s = ref_translate(v, addr, &addr1, &l);
    }
    return result;
}

/* address_space_ld*_internal / st*_internal: one access of @size in byte
 * order @big, never split. */
static inline MemTxResult ref_typed(const RefView *v, hwaddr addr,
                                    unsigned size, uint64_t *value,
                                    bool is_write, bool big)
{
    hwaddr addr1;
    uint64_t l = size;
    const RefSection *s = ref_translate(v, addr, &addr1, &l);

    if (l < size || !ref_direct(s, is_write)) {
        const RefDev *d = ref_io_dev(s);

        if (!d) {
            /* unassigned_mem_ops (holes, RAM and ROM refuse) */
            if (!is_write) {
                *value = 0;
            }
            return MEMTX_DECODE_ERROR;
        }
        return ref_dispatch(d, addr1, value, size, is_write, big,
                            v->target_big);
    }
    if (addr1 + size > s->ram_size) {
        *value = 0; /* DEVIATION D6: romd past its RAM block */
        return MEMTX_DECODE_ERROR;
    }
    if (is_write) {
        uint64_t x = big ? ref_bswap(*value & ref_mask(size), size)
                         : *value & ref_mask(size);

        for (unsigned i = 0; i < size; i++) {
            s->ram[addr1 + i] = (uint8_t)(x >> (8 * i));
        }
    } else {
        uint64_t x = 0;

        for (unsigned i = size; i-- > 0;) {
            x = (x << 8) | s->ram[addr1 + i];
        }
        *value = big ? ref_bswap(x, size) : x;
    }
    return MEMTX_OK;
}

/* flatview_access_valid(), with D3 for mmio-bounds (QEMU aligns chunks by
 * the address-space address here, not by the region offset). */
static inline bool ref_access_valid_range(const RefView *v, hwaddr addr,
                                          uint64_t len, bool is_write)
{
    while (len > 0) {
        uint64_t l = len;
        hwaddr xlat;
        const RefSection *s = ref_translate(v, addr, &xlat, &l);

        if (!ref_direct(s, is_write)) {
            const RefDev *d = ref_io_dev(s);

            if (!d) {
                return false; /* unassigned_mem_accepts() */
            }
            if (d->bounds) {
                uint64_t last =
                    d->size == UINT64_MAX ? UINT64_MAX : d->size - 1;
                uint64_t left = last - xlat + 1;

                if (left != 0 && l > left) {
                    l = left; /* DEVIATION D3 (mmio-bounds) */
                }
            }
            l = ref_memory_access_size(d->ops, l, addr);
            if (!ref_access_valid(d, xlat, (unsigned)l, is_write)) {
                return false;
            }
        }
        len -= l;
        addr += l; /* wraps at 2^64 */
    }
    return true;
}

#endif /* TESTS_UNIT_DISPATCH_REFERENCE_H */
