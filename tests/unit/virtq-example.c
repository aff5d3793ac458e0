/* SPDX-License-Identifier: MIT */
/*
 * An example consumer of the region interface: a split-virtqueue reader
 * (virtio 1.x, 2.7) written only against GuestMemory, with the ring
 * structures declared once with their little-endian field types. The same
 * device runs once over a FlatView and once over GuestMemoryMmap with the
 * same guest layout, and must give identical results.
 *
 * The device is an "upper-caser": for each available chain it gathers the
 * device-readable buffers, writes their upper-case text into the
 * device-writable ones, and returns the chain on the used ring with the
 * bytes written. Malformed chains (a buffer in a hole, a loop) are
 * returned with length 0 and counted.
 */
#include <ctype.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#define ATTRS MEMTXATTRS_UNSPECIFIED

/* ---- The ring layout, declared once ------------------------------------ */

#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2

typedef struct VirtqDesc {
    le64 addr;
    le32 len;
    le16 flags;
    le16 next;
} VirtqDesc;

typedef struct VirtqUsedElem {
    le32 id;
    le32 len;
} VirtqUsedElem;

/* avail: le16 flags, le16 idx, le16 ring[num]; used: flags, idx, elems */
#define AVAIL_IDX     2
#define AVAIL_RING(i) (4 + 2 * (hwaddr)(i))
#define USED_IDX      2
#define USED_RING(i)  (4 + 8 * (hwaddr)(i))

/* ---- The device side: GuestMemory only --------------------------------- */

typedef struct Virtq {
    GuestMemory *mem;
    hwaddr desc, avail, used;
    uint16_t num;
    uint16_t last_avail;
    unsigned errors;
} Virtq;

#define CHAIN_MAX 4096

/* Serve one chain from @head; return the bytes written, or -1 if bad. */
static int64_t serve_chain(Virtq *vq, uint16_t head, GString *log)
{
    uint8_t in[CHAIN_MAX];
    size_t in_len = 0, out_pos = 0;
    uint16_t i = head;

    for (unsigned hops = 0;; hops++) {
        VirtqDesc d;
        uint64_t len;
        hwaddr addr;

        if (hops >= vq->num || i >= vq->num) {
            return -1; /* a loop or a bad index */
        }
        if (guest_memory_read_obj(vq->mem, vq->desc + 16 * (hwaddr)i, &d,
                                  ATTRS) != MEMTX_OK) {
            return -1;
        }
        addr = le64_get(d.addr);
        len = le32_get(d.len);
        if (!(le16_get(d.flags) & VIRTQ_DESC_F_WRITE)) {
            if (len > sizeof(in) - in_len ||
                guest_memory_read_exact(vq->mem, addr, in + in_len, len,
                                        ATTRS) != MEMTX_OK) {
                return -1;
            }
            in_len += len;
        } else {
            uint8_t out[CHAIN_MAX];
            size_t n = MIN(len, in_len - MIN(out_pos, in_len));

            for (size_t k = 0; k < n; k++) {
                out[k] = (uint8_t)toupper(in[out_pos + k]);
            }
            if (guest_memory_write_all(vq->mem, addr, out, n, ATTRS) !=
                MEMTX_OK) {
                return -1;
            }
            out_pos += n;
        }
        if (!(le16_get(d.flags) & VIRTQ_DESC_F_NEXT)) {
            break;
        }
        i = le16_get(d.next);
    }
    g_string_append_printf(log, "chain %u: read %zu wrote %zu; ", head, in_len,
                           out_pos);
    return (int64_t)out_pos;
}

/* Serve every available chain; return a transcript. */
static char *virtq_run(Virtq *vq)
{
    GString *log = g_string_new("");
    uint64_t v = 0;
    uint16_t avail_idx, used_idx;

    if (guest_memory_load(vq->mem, vq->avail + AVAIL_IDX, 2,
                          DEVICE_LITTLE_ENDIAN, ATTRS, &v) != MEMTX_OK) {
        return g_string_free(log, false);
    }
    avail_idx = (uint16_t)v;
    guest_memory_load(vq->mem, vq->used + USED_IDX, 2, DEVICE_LITTLE_ENDIAN,
                      ATTRS, &v);
    used_idx = (uint16_t)v;
    while (vq->last_avail != avail_idx) {
        uint16_t slot = vq->last_avail % vq->num;
        VirtqUsedElem e;
        int64_t wrote;

        guest_memory_load(vq->mem, vq->avail + AVAIL_RING(slot), 2,
                          DEVICE_LITTLE_ENDIAN, ATTRS, &v);
        wrote = serve_chain(vq, (uint16_t)v, log);
        if (wrote < 0) {
            vq->errors++;
            g_string_append_printf(log, "chain %u: bad; ", (unsigned)v);
            wrote = 0;
        }
        e = (VirtqUsedElem){le32_make((uint32_t)v), le32_make((uint32_t)wrote)};
        guest_memory_write_obj(
            vq->mem, vq->used + USED_RING(used_idx % vq->num), &e, ATTRS);
        used_idx++;
        vq->last_avail++;
    }
    /* publish the used index after the elements (one atomic store) */
    guest_memory_store(vq->mem, vq->used + USED_IDX, 2, DEVICE_LITTLE_ENDIAN,
                       ATTRS, used_idx);
    return g_string_free(log, false);
}

/* ---- The driver side and the two memories ------------------------------ */

#define NUM   8
#define DESC  0x0100
#define AVAIL 0x0200
#define USED  0x0300
#define HOLE  0x2000

typedef struct Chain {
    struct {
        hwaddr addr;
        uint32_t len;
        bool write;
    } buf[3];
    unsigned nr;
} Chain;

/*
 * Four chains: text in one buffer; text split over two buffers, one of
 * them across the boundary of the two RAM regions at 0x1000; a buffer in
 * the hole; a descriptor loop.
 */
static void driver_fill(GuestMemory *mem)
{
    static const Chain chains[] = {
        {{{0x0800, 5, false}, {0x0900, 16, true}}, 2},
        {{{0x0ffa, 12, false}, {0x3000, 7, false}, {0x0fa0, 32, true}}, 3},
        {{{HOLE + 0x10, 4, false}, {0x0a00, 4, true}}, 2},
    };
    static const char *text[] = {"hello", "boundary-cro", "ssing!!"};
    uint16_t d = 0, avail = 0;

    g_assert_cmpuint(guest_memory_write_all(mem, 0x0800, text[0], 5, ATTRS), ==,
                     MEMTX_OK);
    g_assert_cmpuint(guest_memory_write_all(mem, 0x0ffa, text[1], 12, ATTRS),
                     ==, MEMTX_OK);
    g_assert_cmpuint(guest_memory_write_all(mem, 0x3000, text[2], 7, ATTRS), ==,
                     MEMTX_OK);
    for (size_t c = 0; c < G_N_ELEMENTS(chains); c++) {
        uint16_t head = d;

        for (unsigned k = 0; k < chains[c].nr; k++, d++) {
            bool more = k + 1 < chains[c].nr;
            VirtqDesc desc = {
                le64_make(chains[c].buf[k].addr),
                le32_make(chains[c].buf[k].len),
                le16_make(
                    (uint16_t)((more ? VIRTQ_DESC_F_NEXT : 0) |
                               (chains[c].buf[k].write ? VIRTQ_DESC_F_WRITE
                                                       : 0))),
                le16_make((uint16_t)(d + 1)),
            };

            g_assert_cmpuint(
                guest_memory_write_obj(mem, DESC + 16 * d, &desc, ATTRS), ==,
                MEMTX_OK);
        }
        g_assert_cmpuint(guest_memory_store(mem, AVAIL + AVAIL_RING(avail), 2,
                                            DEVICE_LITTLE_ENDIAN, ATTRS, head),
                         ==, MEMTX_OK);
        avail++;
    }
    /* a loop: descriptor d points at itself */
    {
        VirtqDesc loop = {le64_make(0x0c00), le32_make(1),
                          le16_make(VIRTQ_DESC_F_NEXT), le16_make(d)};

        guest_memory_write_obj(mem, DESC + 16 * d, &loop, ATTRS);
        guest_memory_store(mem, AVAIL + AVAIL_RING(avail), 2,
                           DEVICE_LITTLE_ENDIAN, ATTRS, d);
        avail++;
    }
    g_assert_cmpuint(guest_memory_store(mem, AVAIL + AVAIL_IDX, 2,
                                        DEVICE_LITTLE_ENDIAN, ATTRS, avail),
                     ==, MEMTX_OK);
}

/* What the run left: the transcript, the used ring and the out buffers. */
static char *run_device(GuestMemory *mem)
{
    Virtq vq = {mem, DESC, AVAIL, USED, NUM, 0, 0};
    char *log, *result;
    uint8_t used[4 + 8 * NUM], out1[16], out2[32];

    driver_fill(mem);
    log = virtq_run(&vq);
    g_assert_cmpuint(vq.errors, ==, 2);
    g_assert_cmpuint(
        guest_memory_read_exact(mem, USED, used, sizeof(used), ATTRS), ==,
        MEMTX_OK);
    g_assert_cmpuint(
        guest_memory_read_exact(mem, 0x0900, out1, sizeof(out1), ATTRS), ==,
        MEMTX_OK);
    g_assert_cmpuint(
        guest_memory_read_exact(mem, 0x0fa0, out2, sizeof(out2), ATTRS), ==,
        MEMTX_OK);
    result = g_strdup_printf("%s| used idx %u; %.5s; %.19s", log,
                             used[2] | used[3] << 8, out1, out2);
    g_free(log);
    return result;
}

static char *run_on_flatview(void)
{
    MemoryRegion sys, a, b, c;
    AddressSpace as;
    GuestMemory *mem;
    char *r;

    g_assert_true(memory_region_init(&sys, NULL, "sys", UINT64_MAX, NULL));
    g_assert_true(memory_region_init_ram(&a, NULL, "a", 0x1000, NULL));
    g_assert_true(memory_region_init_ram(&b, NULL, "b", 0x1000, NULL));
    g_assert_true(memory_region_init_ram(&c, NULL, "c", 0x1000, NULL));
    g_assert_true(memory_region_add_subregion(&sys, 0x0000, &a, NULL));
    g_assert_true(memory_region_add_subregion(&sys, 0x1000, &b, NULL));
    g_assert_true(memory_region_add_subregion(&sys, 0x3000, &c, NULL));
    g_assert_true(address_space_init(&as, &sys, "as", NULL));
    mem = guest_memory_from_address_space(&as);
    r = run_device(mem);
    guest_memory_put(mem);
    address_space_destroy(&as);
    drain_call_rcu(); /* the last view lets go of the regions */
    memory_region_finalize(&sys);
    memory_region_finalize(&a);
    memory_region_finalize(&b);
    memory_region_finalize(&c);
    drain_call_rcu();
    return r;
}

static char *run_on_mmap(void)
{
    GuestMemoryMmapRange r[3] = {
        {0x0000, 0x1000, -1, 0, 0},
        {0x1000, 0x1000, -1, 0, 0},
        {0x3000, 0x1000, -1, 0, 0},
    };
    GuestMemoryMmap *m = guest_memory_mmap_new(r, 3, false, NULL);
    char *res;

    g_assert_nonnull(m);
    res = run_device(guest_memory_mmap_memory(m));
    guest_memory_mmap_free(m);
    drain_call_rcu();
    return res;
}

static void test_same_result(void)
{
    char *fv = run_on_flatview();
    char *mm = run_on_mmap();

    g_test_message("flatview: %s", fv);
    g_assert_cmpstr(fv, ==,
                    "chain 0: read 5 wrote 5; chain 2: read 19 wrote 19; "
                    "chain 5: bad; chain 7: bad; | used idx 4; HELLO; "
                    "BOUNDARY-CROSSING!!");
    g_assert_cmpstr(mm, ==, fv);
    g_free(fv);
    g_free(mm);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/guest-memory/virtq-example/flatview-equals-mmap",
                    test_same_result);
    return g_test_run();
}
