/* SPDX-License-Identifier: MIT */
/*
 * The access harness's body (fuzz-access.c): a byte stream of guest
 * accesses to the default board: buffer reads and writes of any length,
 * typed loads and stores of every size and byte order, at any alignment,
 * with any attrs, in "memory" and "I/O"; map/unmap of any length (mappings
 * may stay open for a while, all are closed at the end); DMA commands to
 * the dma-testdev (copies between any two addresses, into its own
 * registers, into the testdev, across the top of the space); clock steps
 * that fire HPET timers (at most FUZZ_CLOCK_BUDGET callbacks a step).
 * Addresses are chosen near every device and region edge, or anywhere.
 * Nothing may crash, leak or give a callback a size outside 1 to 8
 * (testdev counts violations; as in QEMU its callbacks may get bytes past
 * its end, which it must serve without touching memory outside its
 * registers: ASan checks that).
 */
#include <string.h>

#include <glib.h>

#include "dma-testdev.h"
#include "fuzz-common.h"
#include "fuzz-machine.h"
#include "testdev.h"

#define MAX_OPS    256
#define MAX_MAPPED 4
/* DMA bytes one input may copy: one copy across two bounce chunks
 * (DMA_TESTDEV_CHUNK); MMIO and holes cost a callback per 4 bytes. */
#define FUZZ_DMA_BUDGET 0x2100u
/*
 * The libFuzzer build (FUZZ_LIBFUZZER) bounds the work that goes through
 * callbacks more tightly: copies that are not RAM to RAM may move at most
 * FUZZ_DMA_SLOW_BUDGET bytes an input, and a mapping asks for at most
 * FUZZ_MAP_MAX bytes (a bounced one is read, then written back, through
 * callbacks). Every edge the addresses are chosen near is still crossed;
 * what this leaves out (long copies and mappings over MMIO, bounces cut at
 * a page) the seed corpus has, and the replay tests run it unbounded.
 */
#define FUZZ_DMA_SLOW_BUDGET 0x400u
#define FUZZ_MAP_MAX         0x100u

static const hwaddr bases[] = {
    0,
    FUZZ_MACHINE_RAM_SIZE - 0x10,
    MACHINE_ISA_ROM_BASE,
    MACHINE_TESTDEV_BASE,
    MACHINE_DMA_TESTDEV_BASE,
    MACHINE_CONSOLE_BASE,
    MACHINE_HPET_BASE,
    MACHINE_FLASH_BASE,
    MACHINE_ROM_BASE,
    MACHINE_ROM_BASE + MACHINE_ROM_SIZE - 0x10,
    0x80000000u,
    UINT64_MAX - 0xf,
};

static hwaddr address(FuzzInput *in)
{
    unsigned i = fuzz_pick(in, G_N_ELEMENTS(bases) + 1);

    if (i == G_N_ELEMENTS(bases)) {
        return fuzz_bytes(in, 8);
    }
    return bases[i] + fuzz_bytes(in, 1) - (fuzz_bool(in) ? 0x10 : 0);
}

static MemTxAttrs attrs_of(FuzzInput *in)
{
    uint8_t b = fuzz_u8(in);

    return (MemTxAttrs){.unspecified = !(b & 1),
                        .secure = (b >> 1) & 1,
                        .user = (b >> 2) & 1,
                        .memory = (b >> 3) & 1,
                        .requester_id = (uint16_t)(b >> 4)};
}

/* Whether [a, a + len) lies in the board's RAM. */
static inline bool in_ram(hwaddr a, uint32_t len)
{
    return a < FUZZ_MACHINE_RAM_SIZE && len <= FUZZ_MACHINE_RAM_SIZE - a;
}

/* Program the dma-testdev and start a copy (through "memory"); @budget:
 * bytes left to copy in this input, [0] all copies (FUZZ_DMA_BUDGET at
 * the start), [1] those not RAM to RAM (the libFuzzer build's bound). */
static void dma(AddressSpace *as, FuzzInput *in, uint32_t budget[2],
                GString *transcript)
{
    hwaddr src = address(in), dst = address(in);
    /* up to two bounce chunks, or past the device's limit (refused) */
    uint32_t len = fuzz_pick(in, 8)
                       ? (uint32_t)(fuzz_bytes(in, 2) % 0x2100)
                       : DMA_TESTDEV_MAX_LEN + (uint32_t)fuzz_bytes(in, 1);
    MemTxResult res;
    uint32_t status;

    if (len <= DMA_TESTDEV_MAX_LEN) {
        bool slow = !in_ram(src, len) || !in_ram(dst, len);

        if (len > budget[0]) {
            return;
        }
#ifdef FUZZ_LIBFUZZER
        if (slow && len > budget[1]) {
            return;
        }
#endif
        budget[0] -= len;
        budget[1] -= slow ? MIN(len, budget[1]) : 0;
    }

    status = fuzz_dma_testdev_copy(as, MACHINE_DMA_TESTDEV_BASE, src, dst, len,
                                   &res);
    fuzz_note_u64(transcript, status);
    fuzz_note_u64(transcript, res);
}

/*
 * @n bytes were written through a mapping of @a: mark them dirty, as
 * snapshot.h asks of whoever writes through a host pointer (the unmap's
 * access length, which the input chooses, may leave them out; the reset
 * would then not see them). A bounced mapping needs nothing (the unmap
 * writes it back through the AddressSpace).
 */
static void mark_written(AddressSpace *as, hwaddr a, hwaddr n, MemTxAttrs attrs)
{
    hwaddr xlat = 0, plen = n;
    MemoryRegion *mr;

    rcu_read_lock();
    mr = address_space_translate(as, a, &xlat, &plen, true, attrs);
    rcu_read_unlock();
    if (mr && memory_region_is_ram(mr)) { /* the board's: never freed */
        memory_region_set_dirty(mr, xlat, MIN(n, plen));
    }
}

/* Every interrupt line change, in order. */
static void note_irq(void *opaque, const char *device, int line, int input,
                     int level)
{
    GString *transcript = opaque;

    g_string_append_printf(transcript, "IRQ %s %d %d %d\n", device, line, input,
                           level);
}

void fuzz_access_body(Machine *m, const uint8_t *data, size_t size,
                      GString *transcript)
{
    FuzzInput in = {data, size};
    AddressSpace *mem = machine_address_space(m, "memory");
    AddressSpace *io = machine_address_space(m, "I/O");
    struct {
        void *p;
        hwaddr len;
        bool is_write;
    } maps[MAX_MAPPED] = {{0}};
    uint8_t buf[256];
    uint32_t dma_budget[2] = {FUZZ_DMA_BUDGET, FUZZ_DMA_SLOW_BUDGET};
    TestDev *td;

    vclock_set_budget(machine_clock(m), FUZZ_CLOCK_BUDGET);
    if (transcript) {
        machine_set_irq_handler(m, note_irq, transcript);
    }
    for (int ops = 0; ops < MAX_OPS && !fuzz_done(&in); ops++) {
        AddressSpace *as = fuzz_pick(&in, 8) ? mem : io;
        hwaddr a = as == io ? fuzz_bytes(&in, 2) : address(&in);
        MemTxAttrs attrs = attrs_of(&in);
        uint64_t v;
        unsigned k;

        switch (fuzz_pick(&in, 7)) {
        case 0: {
            hwaddr len = fuzz_pick(&in, sizeof(buf) + 1);
            bool is_write;

            memset(buf, fuzz_u8(&in), sizeof(buf));
            is_write = fuzz_bool(&in);
            fuzz_note_u64(transcript,
                          address_space_rw(as, a, attrs, buf, len, is_write));
            if (!is_write) {
                fuzz_note(transcript, buf, len);
            }
            break;
        }
        case 1:
        case 2: {
            uint8_t which = fuzz_u8(&in);

            fuzz_note_u64(transcript,
                          fuzz_typed_access_value(
                              as, which, a, fuzz_bytes(&in, 8), attrs, &v));
            fuzz_note_u64(transcript, v);
            break;
        }
        case 3:
            dma(mem, &in, dma_budget, transcript);
            break;
        case 4: /* map, maybe left open for a while */
            k = fuzz_pick(&in, MAX_MAPPED);
            if (maps[k].p) {
                address_space_unmap(mem, maps[k].p, maps[k].len,
                                    maps[k].is_write, fuzz_bytes(&in, 8));
                maps[k].p = NULL;
            } else {
                maps[k].len =
                    fuzz_bool(&in) ? fuzz_bytes(&in, 8) : fuzz_bytes(&in, 2);
#ifdef FUZZ_LIBFUZZER
                maps[k].len = MIN(maps[k].len, (hwaddr)FUZZ_MAP_MAX);
#endif
                maps[k].is_write = fuzz_bool(&in);
                maps[k].p = address_space_map(mem, a, &maps[k].len,
                                              maps[k].is_write, attrs);
                fuzz_note_u64(transcript, maps[k].p != NULL);
                fuzz_note_u64(transcript, maps[k].len);
                if (maps[k].p && maps[k].is_write) {
                    hwaddr n = MIN(maps[k].len, (hwaddr)64);

                    memset(maps[k].p, 0xa5, n);
                    mark_written(mem, a, n, attrs);
                } else if (maps[k].p) {
                    fuzz_note(transcript, maps[k].p,
                              MIN(maps[k].len, (hwaddr)64));
                }
            }
            break;
        case 5:
            fuzz_note_u64(transcript, (uint64_t)vclock_step(
                                          machine_clock(m),
                                          (int64_t)fuzz_bytes(&in, 4) * 100));
            break;
        default:
            v = fuzz_bytes(&in, 2);
            fuzz_note_u64(transcript, address_space_access_valid(
                                          as, a, v, fuzz_bool(&in), attrs));
            break;
        }
    }
    /* a mapping left open would outlive the input (and pin a bounce
     * buffer): close them all, with a written length the input chooses */
    for (unsigned k = 0; k < MAX_MAPPED; k++) {
        if (maps[k].p) {
            address_space_unmap(mem, maps[k].p, maps[k].len, maps[k].is_write,
                                fuzz_bool(&in) ? maps[k].len : 0);
        }
    }
    fuzz_note_u64(transcript, (uint64_t)vclock_now_ns(machine_clock(m)));
    if (transcript) {
        machine_set_irq_handler(m, NULL, NULL);
    }
    td = machine_device(m, "testdev", "testdev");
    if (!td || testdev_violations(td)) {
        fuzz_fail("testdev: a callback broke the bounds invariant");
    }
}
