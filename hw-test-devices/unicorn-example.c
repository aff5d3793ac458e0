/* SPDX-License-Identifier: MIT */
/*
 * addrspace-unicorn-example: a real CPU emulator running x86-64 machine
 * code whose memory accesses go through an AddressSpace.
 *
 * Unicorn (QEMU's TCG as a library) has its own memory map. This program
 * builds the default board (machine.h) and hands Unicorn the "memory"
 * AddressSpace's FlatView:
 *
 * - plain RAM sections by host pointer (uc_mem_map_ptr): the guest's loads
 *   and stores reach the board's RAM directly, with no callback, and the
 *   bytes are the ones address_space_read() sees. ROM sections the same
 *   way, read-only (a guest write then faults in Unicorn where QEMU would
 *   drop it). Unicorn maps whole 4 KiB pages only, so a section gives
 *   Unicorn its page-aligned interior; a partly covered page at either end
 *   goes to the dispatcher with the MMIO below, which handles any mix of
 *   RAM, MMIO and holes in a page;
 * - every other section (the devices, the flash in romd mode, read-only
 *   aliases of RAM) by uc_mmio_map() windows, rounded out to pages and
 *   merged, whose callbacks forward each access to the dispatcher with the
 *   size Unicorn gives: address_space_ldub/lduw_le/ldl_le/ldq_le and the
 *   matching stores (x86 is little endian). So the HPET sees the guest's
 *   32-bit accesses as 32-bit accesses and refuses 1- and 2-byte ones, as
 *   QEMU's does; any failed access is reported and fails the run. (Unicorn
 *   2.0 leaves its MMIO windows' implementation sizes at QEMU's default,
 *   so its core splits an 8-byte access into two 4-byte callbacks, low
 *   half first, before this program sees it.)
 *
 * The mapping is a snapshot of one FlatView (referenced while Unicorn
 * runs): nothing changes the board's topology here. A long-lived
 * integration would remap from a MemoryListener on every commit.
 *
 * The translation cache (tlb.h): Unicorn 2.0 gives a program no point at
 * which to translate the guest's memory accesses itself. Its own softmmu
 * TLB, filled from its own memory map (uc_mem_map_ptr() above), serves
 * every load and store of guest code; its memory hooks (UC_HOOK_MEM_*)
 * only observe an access and cannot supply a host address; the hook that
 * lets a program fill Unicorn's TLB (UC_HOOK_TLB_FILL, Unicorn 2.1) is not
 * in 2.0, and even there it translates virtual to physical addresses, the
 * physical-to-host step staying Unicorn's memory map. So the pages given
 * by pointer are Unicorn's own TLB's business, and this program uses an
 * AsTlb where accesses reach it: the uc_mmio_map() callbacks (every access
 * to a dispatched page goes through the cache, which sends MMIO to the
 * dispatcher and would serve RAM-backed bytes of a dispatched page, such
 * as a ROM device in romd mode or a read-only alias, from host memory)
 * and the host-side checks after the run (RAM pages: cached, then hits).
 * Each access runs inside a read-side section of its own; the cache's
 * counts are printed at the end.
 *
 * Time: the board's clock is virtual (vclock.h). The guest polls the HPET
 * main counter, so something must move the clock while the guest runs.
 * This program drives it from a Unicorn code hook: every CLOCK_BATCH
 * instructions the clock steps CLOCK_BATCH * CLOCK_NS_PER_INSN ns, like
 * QEMU's -icount (one HPET tick per instruction). Unlike the clock's
 * real-time mode (vclock_set_realtime()), this is deterministic: the run
 * gives the same counter values on any host, under sanitizers too, so the
 * output can be compared and the checks cannot flake.
 *
 * The guest (guest_code below): reads the HPET capabilities, enables the
 * main counter, polls it until it has advanced; writes a 32-byte message
 * into RAM and has the dma-testdev copy it elsewhere; prints a string on
 * the console, polling its line status; halts. It leaves what it read in a
 * result block in RAM, which the host checks after the run.
 *
 * Built with -DUNICORN_EXAMPLE_PLANT_HPET_WORD (the test
 * unicorn-example-planted, should_fail), the guest's first HPET read is
 * 2 bytes wide: the HPET refuses it and the run must fail.
 *
 * Usage: addrspace-unicorn-example [-trace] [-board FILE] (-trace: print
 * every forwarded MMIO access; -board: run the same guest on a board
 * file's board, whose first AddressSpace is handed to Unicorn: the guest
 * expects the default board's layout, so on another board the checks
 * name what failed). Exit status 0 only when every check passed, 2 for a
 * usage error.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <unicorn/unicorn.h>

#include <addrspace/tlb.h>

#include "board-json.h"
#include "cmdline.h"
#include "console.h"
#include "dma-testdev.h"
#include "hpet.h"
#include "machine.h"

/* Unicorn's (and x86's) page: the granularity of its memory map. */
#define UC_PAGE_SIZE 0x1000ull
/* Sections above this are not handed to Unicorn (none on this board). */
#define UC_ADDR_LIMIT (1ull << 48)

/* Guest RAM layout (the board's RAM starts at 0). */
#define GUEST_CODE        0x1000ull /* guest_code */
#define GUEST_CONSOLE_MSG 0x1800ull /* GUEST_CONSOLE_TEXT, NUL-terminated */
#define GUEST_RESULTS     0x2000ull /* what the guest read: RES_* */
#define GUEST_DMA_SRC     0x3000ull /* the guest writes its message here */
#define GUEST_DMA_DST     0x4000ull /* the dma-testdev copies it here */
#define GUEST_STACK_TOP   0x8000ull /* unused by the code; set for sanity */

/* Offsets in the result block, one 32-bit word each. */
#define RES_HPET_CAP_LO 0x00u /* HPET capabilities, low half */
#define RES_HPET_CAP_HI 0x04u /* HPET capabilities, high half (period) */
#define RES_HPET_FIRST  0x08u /* main counter right after enabling */
#define RES_HPET_LATER  0x0cu /* the first value that differed */
#define RES_POLLS       0x10u /* counter reads until it differed */
#define RES_DMA_STATUS  0x14u /* dma-testdev STATUS after the copy */
#define RES_DMA_DONE    0x18u /* dma-testdev DONE after the copy */
#define RES_SIZE        0x1cu

/* Virtual time per guest instruction, applied every CLOCK_BATCH. */
#define CLOCK_NS_PER_INSN HPET_CLK_PERIOD_NS
#define CLOCK_BATCH       16u
/* The guest needs a few hundred; more means it is stuck. */
#define MAX_INSNS 100000u

/* What the guest writes into RAM and has the dma-testdev copy (no NUL). */
#define GUEST_DMA_TEXT "copied by dma-testdev via the AS"
#define GUEST_DMA_LEN  (sizeof(GUEST_DMA_TEXT) - 1)
/* What the guest prints on the console. */
#define GUEST_CONSOLE_TEXT "Hello from x86-64 guest code, through addrspace!\n"

/*
 * The guest, hand-assembled 64-bit code (Intel syntax; offsets and jump
 * targets relative to GUEST_CODE). Addresses above 2 GiB are loaded into a
 * base register with a zero-extending 32-bit mov: a 32-bit displacement
 * would be sign-extended. Every HPET access is 32 bits wide (the HPET only
 * accepts those), every console access 8 bits (likewise).
 */
/* One instruction a line, its assembly above it. */
/* clang-format off */
static const uint8_t guest_code[] = {
    /* 00: mov ebx, 0xfed00000           ; rbx = HPET base */
    0xbb, 0x00, 0x00, 0xd0, 0xfe,
    /* 05: mov eax, [rbx]                ; capabilities, low half */
#ifdef UNICORN_EXAMPLE_PLANT_HPET_WORD
    0x66, /* the planted bug (offsets below +1): mov ax, a 2-byte read */
#endif
    0x8b, 0x03,
    /* 07: mov [0x2000], eax             ; -> RES_HPET_CAP_LO */
    0x89, 0x04, 0x25, 0x00, 0x20, 0x00, 0x00,
    /* 0e: mov eax, [rbx+0x4]            ; capabilities, high half (period) */
    0x8b, 0x43, 0x04,
    /* 11: mov [0x2004], eax             ; -> RES_HPET_CAP_HI */
    0x89, 0x04, 0x25, 0x04, 0x20, 0x00, 0x00,
    /* 18: mov dword [rbx+0x10], 0x1     ; configuration = ENABLE_CNF */
    0xc7, 0x43, 0x10, 0x01, 0x00, 0x00, 0x00,
    /* 1f: mov esi, [rbx+0xf0]           ; first counter read */
    0x8b, 0xb3, 0xf0, 0x00, 0x00, 0x00,
    /* 25: mov [0x2008], esi             ; -> RES_HPET_FIRST */
    0x89, 0x34, 0x25, 0x08, 0x20, 0x00, 0x00,
    /* 2c: xor ecx, ecx                  ; poll iterations = 0 */
    0x31, 0xc9,
    /* 2e: inc ecx                       ; poll: one more iteration */
    0xff, 0xc1,
    /* 30: mov eax, [rbx+0xf0]           ; main counter, low half */
    0x8b, 0x83, 0xf0, 0x00, 0x00, 0x00,
    /* 36: cmp eax, esi                  ; advanced yet? */
    0x39, 0xf0,
    /* 38: je 0x2e                       ; no: poll again */
    0x74, 0xf4,
    /* 3a: mov [0x200c], eax             ; -> RES_HPET_LATER */
    0x89, 0x04, 0x25, 0x0c, 0x20, 0x00, 0x00,
    /* 41: mov [0x2010], ecx             ; -> RES_POLLS */
    0x89, 0x0c, 0x25, 0x10, 0x20, 0x00, 0x00,
    /* 48: mov edi, 0x3000               ; rdi = DMA source buffer */
    0xbf, 0x00, 0x30, 0x00, 0x00,
    /* 4d: movabs rax, 0x6220646569706f63; "copied b" */
    0x48, 0xb8, 0x63, 0x6f, 0x70, 0x69, 0x65, 0x64, 0x20, 0x62,
    /* 57: mov [rdi], rax                ; store bytes 0-7 */
    0x48, 0x89, 0x07,
    /* 5a: movabs rax, 0x65742d616d642079; "y dma-te" */
    0x48, 0xb8, 0x79, 0x20, 0x64, 0x6d, 0x61, 0x2d, 0x74, 0x65,
    /* 64: mov [rdi+0x8], rax            ; store bytes 8-15 */
    0x48, 0x89, 0x47, 0x08,
    /* 68: movabs rax, 0x6976207665647473; "stdev vi" */
    0x48, 0xb8, 0x73, 0x74, 0x64, 0x65, 0x76, 0x20, 0x76, 0x69,
    /* 72: mov [rdi+0x10], rax           ; store bytes 16-23 */
    0x48, 0x89, 0x47, 0x10,
    /* 76: movabs rax, 0x5341206568742061; "a the AS" */
    0x48, 0xb8, 0x61, 0x20, 0x74, 0x68, 0x65, 0x20, 0x41, 0x53,
    /* 80: mov [rdi+0x18], rax           ; store bytes 24-31 */
    0x48, 0x89, 0x47, 0x18,
    /* 84: mov ebx, 0xfeb01000           ; rbx = dma-testdev base */
    0xbb, 0x00, 0x10, 0xb0, 0xfe,
    /* 89: mov dword [rbx], 0x3000       ; SRC_LO */
    0xc7, 0x03, 0x00, 0x30, 0x00, 0x00,
    /* 8f: mov dword [rbx+0x4], 0x0      ; SRC_HI */
    0xc7, 0x43, 0x04, 0x00, 0x00, 0x00, 0x00,
    /* 96: mov dword [rbx+0x8], 0x4000   ; DST_LO */
    0xc7, 0x43, 0x08, 0x00, 0x40, 0x00, 0x00,
    /* 9d: mov dword [rbx+0xc], 0x0      ; DST_HI */
    0xc7, 0x43, 0x0c, 0x00, 0x00, 0x00, 0x00,
    /* a4: mov dword [rbx+0x10], 0x20    ; LEN = 32 */
    0xc7, 0x43, 0x10, 0x20, 0x00, 0x00, 0x00,
    /* ab: mov dword [rbx+0x14], 0x1     ; CMD = COPY: copies now */
    0xc7, 0x43, 0x14, 0x01, 0x00, 0x00, 0x00,
    /* b2: mov eax, [rbx+0x18]           ; STATUS */
    0x8b, 0x43, 0x18,
    /* b5: mov [0x2014], eax             ; -> RES_DMA_STATUS */
    0x89, 0x04, 0x25, 0x14, 0x20, 0x00, 0x00,
    /* bc: mov eax, [rbx+0x1c]           ; DONE */
    0x8b, 0x43, 0x1c,
    /* bf: mov [0x2018], eax             ; -> RES_DMA_DONE */
    0x89, 0x04, 0x25, 0x18, 0x20, 0x00, 0x00,
    /* c6: mov esi, 0x1800               ; rsi = console message */
    0xbe, 0x00, 0x18, 0x00, 0x00,
    /* cb: mov ebx, 0xfeb02000           ; rbx = console base */
    0xbb, 0x00, 0x20, 0xb0, 0xfe,
    /* d0: mov al, [rsi]                 ; next: the next byte */
    0x8a, 0x06,
    /* d2: test al, al                   ; the terminating NUL? */
    0x84, 0xc0,
    /* d4: je 0xe3                       ; yes: done */
    0x74, 0x0d,
    /* d6: test byte [rbx+0x5], 0x20     ; wait: LSR.THRE */
    0xf6, 0x43, 0x05, 0x20,
    /* da: je 0xd6                       ; transmitter busy: wait */
    0x74, 0xfa,
    /* dc: mov [rbx], al                 ; THR = the byte */
    0x88, 0x03,
    /* de: inc rsi                       ; advance */
    0x48, 0xff, 0xc6,
    /* e1: jmp 0xd0                      ; next byte */
    0xeb, 0xed,
    /* e3: hlt                           ; done: stop the CPU */
    0xf4,
};
/* clang-format on */

typedef struct Example Example;

/*
 * A uc_mmio_map() window: guest [base, base + size) to the dispatcher.
 * Unicorn keeps a pointer to it: ex->dispatch is not resized once mapped.
 */
typedef struct DispatchWindow {
    Example *ex;
    hwaddr base;
    uint64_t size;
} DispatchWindow;

/* A page-aligned range handed to Unicorn by host pointer. */
typedef struct PointerMap {
    hwaddr base;
    uint64_t size;
    void *host;
    uint32_t perms;
    const char *name;
} PointerMap;

struct Example {
    Machine *m;
    AddressSpace *as;
    VClock *clk;
    uc_engine *uc;
    AsTlb tlb; /* the main thread's: Unicorn calls back on it */
    bool trace;
    GArray *pointer_maps; /* PointerMap */
    GArray *dispatch;     /* DispatchWindow, page-aligned, sorted, merged */
    uint64_t insns;       /* instructions seen by the code hook */
    unsigned mmio_reads;
    unsigned mmio_writes;
    unsigned mmio_errors;
    bool ok; /* every check so far passed */
};

static void check(Example *ex, bool cond, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* Record one check; print failures. */
static void check(Example *ex, bool cond, const char *fmt, ...)
{
    va_list ap;

    if (cond) {
        return;
    }
    ex->ok = false;
    va_start(ap, fmt);
    fputs("CHECK FAILED: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

/* Add the pages holding [first, last] to the dispatcher's ranges. */
static void add_dispatch_pages(Example *ex, hwaddr first, hwaddr last)
{
    DispatchWindow w = {
        .ex = ex,
        .base = first & ~(UC_PAGE_SIZE - 1),
        .size = (last | (UC_PAGE_SIZE - 1)) - (first & ~(UC_PAGE_SIZE - 1)) + 1,
    };

    g_array_append_val(ex->dispatch, w);
}

/*
 * Sort section @s into the pointer maps and the dispatcher's ranges
 * (flatview_for_each_section() callback).
 */
static bool collect_section(const MemoryRegionSection *s, void *opaque)
{
    Example *ex = opaque;
    hwaddr first = s->offset_within_address_space;
    addrspace_u128 end = (addrspace_u128)first + s->size;
    hwaddr last, lo, hi;
    uint8_t *host = NULL;
    uint32_t perms = 0;

    if (end > UC_ADDR_LIMIT) {
        if (first >= UC_ADDR_LIMIT) {
            printf("  (not mapped: \"%s\" at 0x%" PRIx64 ", beyond 2^48)\n",
                   memory_region_name(s->mr), first);
            return false;
        }
        end = UC_ADDR_LIMIT;
    }
    last = (hwaddr)(end - 1);

    if (memory_region_kind(s->mr) == MR_KIND_RAM && !s->readonly) {
        /* Plain RAM: the access path itself reads and writes it directly. */
        host = (uint8_t *)memory_region_get_ram_ptr(s->mr) +
               s->offset_within_region;
        perms = UC_PROT_ALL;
    } else if (memory_region_is_rom(s->mr)) {
        host = (uint8_t *)memory_region_get_ram_ptr(s->mr) +
               s->offset_within_region;
        perms = UC_PROT_READ | UC_PROT_EXEC;
    }
    if (!host) {
        add_dispatch_pages(ex, first, last);
        return false;
    }

    /* The page-aligned interior [lo, hi) by pointer, the rest dispatched. */
    lo = (first + UC_PAGE_SIZE - 1) & ~(UC_PAGE_SIZE - 1);
    hi = (last + 1) & ~(UC_PAGE_SIZE - 1);
    if (lo < first || hi <= lo) {
        /* No whole page (or it wraps at 2^64): all of it dispatched. */
        add_dispatch_pages(ex, first, last);
        return false;
    }
    if (lo > first) {
        add_dispatch_pages(ex, first, lo - 1);
    }
    if (hi <= last) {
        add_dispatch_pages(ex, hi, last);
    }
    g_array_append_val(ex->pointer_maps,
                       ((PointerMap){.base = lo,
                                     .size = hi - lo,
                                     .host = host + (lo - first),
                                     .perms = perms,
                                     .name = memory_region_name(s->mr)}));
    return false;
}

static gint window_cmp(gconstpointer a, gconstpointer b)
{
    const DispatchWindow *wa = a, *wb = b;

    return wa->base < wb->base ? -1 : wa->base > wb->base;
}

/* Sort the dispatcher's ranges and merge those that touch or overlap. */
static void merge_dispatch(Example *ex)
{
    GArray *d = ex->dispatch;
    guint out = 0;

    g_array_sort(d, window_cmp);
    for (guint i = 0; i < d->len; i++) {
        DispatchWindow *w = &g_array_index(d, DispatchWindow, i);
        DispatchWindow *prev =
            out ? &g_array_index(d, DispatchWindow, out - 1) : NULL;

        if (prev && w->base <= prev->base + prev->size) {
            hwaddr end = MAX(prev->base + prev->size, w->base + w->size);

            prev->size = end - prev->base;
        } else {
            g_array_index(d, DispatchWindow, out++) = *w;
        }
    }
    g_array_set_size(d, out);
}

static void note_access(Example *ex, bool write, hwaddr addr, unsigned size,
                        uint64_t val, MemTxResult res)
{
    if (write) {
        ex->mmio_writes++;
    } else {
        ex->mmio_reads++;
    }
    if (ex->trace || res != MEMTX_OK) {
        printf("  mmio %s%u 0x%" PRIx64 " %s 0x%" PRIx64 "%s%s\n",
               write ? "write" : "read", size * 8, addr, write ? "<-" : "->",
               val, res == MEMTX_OK ? "" : " FAILED with ",
               res == MEMTX_OK ? "" : memtx_result_name(res));
    }
    if (res != MEMTX_OK) {
        ex->mmio_errors++;
    }
}

/* uc_mmio_map() read callback: one load of @size bytes through the AS. */
static uint64_t window_read(uc_engine *uc, uint64_t offset, unsigned size,
                            void *opaque)
{
    DispatchWindow *w = opaque;
    AsTlb *tlb = &w->ex->tlb;
    hwaddr addr = w->base + offset;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemTxResult res = MEMTX_OK;
    uint64_t val = 0;

    (void)uc;
    rcu_read_lock();
    switch (size) {
    case 1:
        val = as_tlb_ldub_rcu(tlb, addr, attrs, &res);
        break;
    case 2:
        val = as_tlb_lduw_le_rcu(tlb, addr, attrs, &res);
        break;
    case 4:
        val = as_tlb_ldl_le_rcu(tlb, addr, attrs, &res);
        break;
    case 8:
        val = as_tlb_ldq_le_rcu(tlb, addr, attrs, &res);
        break;
    default:
        res = MEMTX_ERROR; /* Unicorn only makes the four sizes above */
        break;
    }
    rcu_read_unlock();
    note_access(w->ex, false, addr, size, val, res);
    return val;
}

/* uc_mmio_map() write callback: one store of @size bytes through the AS. */
static void window_write(uc_engine *uc, uint64_t offset, unsigned size,
                         uint64_t val, void *opaque)
{
    DispatchWindow *w = opaque;
    AsTlb *tlb = &w->ex->tlb;
    hwaddr addr = w->base + offset;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemTxResult res = MEMTX_OK;

    (void)uc;
    rcu_read_lock();
    switch (size) {
    case 1:
        as_tlb_stb_rcu(tlb, addr, (uint8_t)val, attrs, &res);
        break;
    case 2:
        as_tlb_stw_le_rcu(tlb, addr, (uint16_t)val, attrs, &res);
        break;
    case 4:
        as_tlb_stl_le_rcu(tlb, addr, (uint32_t)val, attrs, &res);
        break;
    case 8:
        as_tlb_stq_le_rcu(tlb, addr, val, attrs, &res);
        break;
    default:
        res = MEMTX_ERROR;
        break;
    }
    rcu_read_unlock();
    note_access(w->ex, true, addr, size, val, res);
}

/* UC_HOOK_CODE: runs before every instruction; moves the virtual clock. */
static void on_instruction(uc_engine *uc, uint64_t address, uint32_t size,
                           void *opaque)
{
    Example *ex = opaque;

    (void)uc;
    (void)address;
    (void)size;
    if (++ex->insns % CLOCK_BATCH == 0) {
        vclock_step(ex->clk, (int64_t)CLOCK_BATCH * CLOCK_NS_PER_INSN);
    }
}

/* Hand the FlatView @fv to Unicorn. Return: false on a Unicorn error. */
static bool map_flatview(Example *ex, FlatView *fv)
{
    uc_err err;

    flatview_for_each_section(fv, collect_section, ex);
    merge_dispatch(ex);
    for (guint i = 0; i < ex->pointer_maps->len; i++) {
        PointerMap *p = &g_array_index(ex->pointer_maps, PointerMap, i);

        err = uc_mem_map_ptr(ex->uc, p->base, p->size, p->perms, p->host);
        printf("  ptr  0x%09" PRIx64 "-0x%09" PRIx64 " %-8s %s\n", p->base,
               p->base + p->size - 1, p->name,
               p->perms & UC_PROT_WRITE ? "read/write" : "read-only");
        if (err != UC_ERR_OK) {
            printf("uc_mem_map_ptr: %s\n", uc_strerror(err));
            return false;
        }
    }
    for (guint i = 0; i < ex->dispatch->len; i++) {
        DispatchWindow *w = &g_array_index(ex->dispatch, DispatchWindow, i);

        err = uc_mmio_map(ex->uc, w->base, w->size, window_read, w,
                          window_write, w);
        printf("  mmio 0x%09" PRIx64 "-0x%09" PRIx64 " to the dispatcher\n",
               w->base, w->base + w->size - 1);
        if (err != UC_ERR_OK) {
            printf("uc_mmio_map: %s\n", uc_strerror(err));
            return false;
        }
    }
    return true;
}

/* Load the guest and its data into RAM through the AddressSpace. */
static MemTxResult load_guest(Example *ex)
{
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;

    return address_space_write(ex->as, GUEST_CODE, attrs, guest_code,
                               sizeof(guest_code)) |
           address_space_write(ex->as, GUEST_CONSOLE_MSG, attrs,
                               GUEST_CONSOLE_TEXT, sizeof(GUEST_CONSOLE_TEXT));
}

/* Run the guest from GUEST_CODE to its hlt. */
static void run_guest(Example *ex)
{
    uint64_t rip = GUEST_CODE, rsp = GUEST_STACK_TOP;
    uint64_t end = GUEST_CODE + sizeof(guest_code);
    uc_hook hook;
    uc_err err;

    uc_reg_write(ex->uc, UC_X86_REG_RSP, &rsp);
    /* Unicorn takes every hook as void *: a POSIX-valid conversion. */
    err = uc_hook_add(ex->uc, &hook, UC_HOOK_CODE,
                      __extension__(void *) on_instruction, ex, 1, 0);
    check(ex, err == UC_ERR_OK, "uc_hook_add: %s", uc_strerror(err));
    /* hlt ends the run; @end and MAX_INSNS only bound a runaway guest. */
    err = uc_emu_start(ex->uc, GUEST_CODE, end, 0, MAX_INSNS);
    uc_reg_read(ex->uc, UC_X86_REG_RIP, &rip);
    printf("ran %" PRIu64 " instructions (virtual clock at %" PRId64
           " ns), %u MMIO reads and %u writes forwarded, stopped at "
           "0x%" PRIx64 "\n",
           ex->insns, vclock_now_ns(ex->clk), ex->mmio_reads, ex->mmio_writes,
           rip);
    check(ex, err == UC_ERR_OK, "uc_emu_start: %s", uc_strerror(err));
    check(ex, rip == end, "the guest did not reach its hlt (rip 0x%" PRIx64 ")",
          rip);
    check(ex, ex->mmio_errors == 0, "%u forwarded MMIO accesses failed",
          ex->mmio_errors);
}

/* Read @len bytes at @addr through the translation cache. */
static MemTxResult tlb_read(Example *ex, hwaddr addr, uint8_t *buf, size_t len)
{
    MemTxResult r = MEMTX_OK;

    rcu_read_lock();
    for (size_t i = 0; i < len; i++) {
        MemTxResult one;

        buf[i] = (uint8_t)as_tlb_ldub_rcu(&ex->tlb, addr + i,
                                          MEMTXATTRS_UNSPECIFIED, &one);
        r |= one;
    }
    rcu_read_unlock();
    return r;
}

/* A 32-bit little-endian load through the translation cache. */
static uint32_t tlb_ldl(Example *ex, hwaddr addr, MemTxResult *r)
{
    MemTxResult one;
    uint32_t v;

    rcu_read_lock();
    v = as_tlb_ldl_le_rcu(&ex->tlb, addr, MEMTXATTRS_UNSPECIFIED, &one);
    rcu_read_unlock();
    *r |= one;
    return v;
}

static uint32_t result(const uint8_t *res, unsigned off)
{
    return (uint32_t)res[off] | (uint32_t)res[off + 1] << 8 |
           (uint32_t)res[off + 2] << 16 | (uint32_t)res[off + 3] << 24;
}

/* Check and print the bytes the guest transmitted on the console. */
static void check_console(Example *ex)
{
    const char *con_name = machine_find_device_type(ex->m, "console");
    Console *con = con_name ? machine_device(ex->m, con_name, "console") : NULL;
    size_t out_len;
    char *out;

    check(ex, con, "the board has no console");
    out = con ? console_take_output(con, &out_len) : g_strdup("");
    out_len = con ? out_len : 0;
    printf("console: \"");
    for (size_t i = 0; i < out_len; i++) {
        if (out[i] == '\n') {
            printf("\\n");
        } else {
            printf(g_ascii_isprint(out[i]) ? "%c" : "\\x%02x",
                   (unsigned char)out[i]);
        }
    }
    printf("\"\n");
    check(ex,
          out_len == strlen(GUEST_CONSOLE_TEXT) &&
              memcmp(out, GUEST_CONSOLE_TEXT, out_len) == 0,
          "console output differs from \"%s\"", GUEST_CONSOLE_TEXT);
    g_free(out);
}

/* Check and print what the guest read of the HPET (@res: its result
 * block), against what the host reads now. */
static void check_hpet(Example *ex, const uint8_t *res)
{
    MemTxResult r = MEMTX_OK;
    uint32_t cfg = tlb_ldl(ex, MACHINE_HPET_BASE + HPET_CFG, &r);
    uint32_t now = tlb_ldl(ex, MACHINE_HPET_BASE + HPET_COUNTER, &r);
    uint32_t cap_lo = result(res, RES_HPET_CAP_LO);
    uint32_t first = result(res, RES_HPET_FIRST);
    uint32_t later = result(res, RES_HPET_LATER);

    printf("HPET: capabilities 0x%08" PRIx32 ", period %" PRIu32
           " fs; guest read the counter as %" PRIu32 " after enabling it, "
           "then %" PRIu32 " after %" PRIu32 " reads; host reads %" PRIu32
           " now\n",
           cap_lo, result(res, RES_HPET_CAP_HI), first, later,
           result(res, RES_POLLS), now);
    check(ex, r == MEMTX_OK, "host HPET reads failed with %s",
          memtx_result_name(r));
    check(ex, (cap_lo & 0xffff0000u) == HPET_ID_VENDOR_INTEL,
          "HPET vendor id 0x%04" PRIx32, cap_lo >> 16);
    check(ex, result(res, RES_HPET_CAP_HI) == HPET_CLK_PERIOD_FS,
          "HPET period %" PRIu32 " fs", result(res, RES_HPET_CAP_HI));
    check(ex, cfg & HPET_CFG_ENABLE, "HPET not enabled (config 0x%" PRIx32 ")",
          cfg);
    check(ex, later > first && now >= later,
          "HPET counter did not advance (%" PRIu32 ", %" PRIu32 ", %" PRIu32
          ")",
          first, later, now);
    check(ex, result(res, RES_POLLS) >= 1, "no counter poll");
}

/* Check and print the guest's DMA copy (@res: its result block). */
static void check_dma(Example *ex, const uint8_t *res)
{
    const char *dma_name = machine_find_device_type(ex->m, "dma-testdev");
    DmaTestDev *dma =
        dma_name ? machine_device(ex->m, dma_name, "dma-testdev") : NULL;
    unsigned copies = dma ? dma_testdev_copies(dma) : 0;
    uint8_t src[GUEST_DMA_LEN], dst[GUEST_DMA_LEN], uc_dst[GUEST_DMA_LEN];
    MemTxResult r = MEMTX_OK;

    r |= tlb_read(ex, GUEST_DMA_SRC, src, sizeof(src));
    r |= tlb_read(ex, GUEST_DMA_DST, dst, sizeof(dst));
    check(ex, r == MEMTX_OK, "host accesses failed with %s",
          memtx_result_name(r));
    /* Unicorn's view of the same host memory. */
    check(ex,
          uc_mem_read(ex->uc, GUEST_DMA_DST, uc_dst, sizeof(uc_dst)) ==
              UC_ERR_OK,
          "uc_mem_read failed");
    printf("DMA: %u copy, STATUS 0x%" PRIx32 " (%s), DONE %" PRIu32
           "; 0x%" PRIx64 " holds \"%.*s\"\n",
           copies, result(res, RES_DMA_STATUS),
           memtx_result_name(result(res, RES_DMA_STATUS)),
           result(res, RES_DMA_DONE), (uint64_t)GUEST_DMA_DST, (int)sizeof(dst),
           (const char *)dst);
    check(ex, copies == 1, "%u DMA copies", copies);
    check(ex, result(res, RES_DMA_STATUS) == MEMTX_OK,
          "the DMA copy failed with %s (DONE %" PRIu32
          " counts the bytes the device went through, not bytes copied)",
          memtx_result_name(result(res, RES_DMA_STATUS)),
          result(res, RES_DMA_DONE));
    check(ex, result(res, RES_DMA_DONE) == GUEST_DMA_LEN,
          "DMA DONE %" PRIu32 ", not %u", result(res, RES_DMA_DONE),
          (unsigned)GUEST_DMA_LEN);
    check(ex, memcmp(src, GUEST_DMA_TEXT, GUEST_DMA_LEN) == 0,
          "the guest's message is not at the DMA source");
    check(ex, memcmp(dst, GUEST_DMA_TEXT, GUEST_DMA_LEN) == 0,
          "the DMA destination does not hold the message");
    check(ex, memcmp(uc_dst, dst, sizeof(dst)) == 0,
          "Unicorn and the AddressSpace disagree on the destination");
}

/* Check and print what the guest did. */
static void check_results(Example *ex)
{
    uint8_t res[RES_SIZE];
    MemTxResult r = tlb_read(ex, GUEST_RESULTS, res, sizeof(res));

    check_console(ex);
    check(ex, r == MEMTX_OK, "reading the results failed with %s",
          memtx_result_name(r));
    check_hpet(ex, res);
    check_dma(ex, res);
}

/* What the translation cache did: RAM pages filled, MMIO uncached. */
static void report_tlb(Example *ex)
{
    AsTlbStats st;

    as_tlb_get_stats(&ex->tlb, &st);
    printf("translation cache: %" PRIu64 " pages filled, %" PRIu64
           " accesses not cacheable (MMIO)\n",
           st.fills, st.uncached);
    /* the result block and the DMA buffers: three RAM pages */
    check(ex, st.fills == 3, "%" PRIu64 " pages filled, not 3", st.fills);
    /* every forwarded access and the host's two HPET reads */
    check(ex, st.uncached == ex->mmio_reads + ex->mmio_writes + 2u,
          "%" PRIu64 " uncached accesses, not %u", st.uncached,
          ex->mmio_reads + ex->mmio_writes + 2u);
}

/* Hand the AddressSpace's view to Unicorn, load and run the guest, check
 * what it did. */
static void run_in_unicorn(Example *ex)
{
    uc_err uerr = uc_open(UC_ARCH_X86, UC_MODE_64, &ex->uc);
    FlatView *fv;
    MemTxResult r;

    if (uerr != UC_ERR_OK) {
        printf("uc_open: %s\n", uc_strerror(uerr));
        ex->ok = false;
        return;
    }
    /* Keeps the sections' regions (and their RAM) alive. */
    fv = address_space_get_flatview(ex->as);
    printf("FlatView of \"%s\" handed to Unicorn:\n",
           address_space_name(ex->as));
    if (!map_flatview(ex, fv)) {
        ex->ok = false;
    } else if ((r = load_guest(ex)) != MEMTX_OK) {
        check(ex, false, "loading the guest at 0x%" PRIx64 " failed with %s",
              (uint64_t)GUEST_CODE, memtx_result_name(r));
    } else {
        printf("guest: %zu bytes of x86-64 code at 0x%" PRIx64 "\n",
               sizeof(guest_code), (uint64_t)GUEST_CODE);
        run_guest(ex);
        check_results(ex);
        report_tlb(ex);
    }
    uc_close(ex->uc);
    flatview_unref(fv);
}

int main(int argc, char **argv)
{
    Example ex = {.ok = true};
    const char *board = NULL;
    const CmdlineOption options[] = {
        {"trace", NULL, CMDLINE_FLAG, &ex.trace, NULL, NULL,
         "Print every MMIO access forwarded to the dispatcher"},
        {"board", NULL, CMDLINE_VALUE, NULL, &board, "FILE",
         "Run the guest on a board file's board (JSON) instead of the "
         "default one; the guest expects the default board's layout"},
        {0},
    };
    const CmdlineProgram prog = {
        .name = "addrspace-unicorn-example",
        .summary = "Runs x86-64 guest code in Unicorn against the board's "
                   "first AddressSpace\nand checks what it did; exit "
                   "status 0 when every check passed.",
        .options = options,
    };
    CmdlineResult res = cmdline_parse(&prog, argc, argv);
    GError *err = NULL;
    unsigned major, minor;

    if (res != CMDLINE_OK) {
        return res == CMDLINE_HELP ? 0 : 2;
    }
    uc_version(&major, &minor);
    printf("addrspace-unicorn-example: Unicorn %u.%u, %s%s\n", major, minor,
           board ? "the board of " : "the default board", board ? board : "");
    ex.m = board ? board_json_load_file(board, &err)
                 : machine_new_default(NULL, &err);
    if (!ex.m) {
        printf("machine: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    ex.as = machine_address_space(ex.m, NULL);
    if (!as_tlb_init(&ex.tlb, ex.as, &err)) {
        printf("translation cache: %s\n", err->message);
        g_error_free(err);
        machine_free(ex.m);
        return 1;
    }
    ex.clk = machine_clock(ex.m);
    vclock_set_realtime(ex.clk, false); /* driven by on_instruction() */
    ex.pointer_maps = g_array_new(FALSE, FALSE, sizeof(PointerMap));
    ex.dispatch = g_array_new(FALSE, FALSE, sizeof(DispatchWindow));

    run_in_unicorn(&ex);
    g_array_free(ex.pointer_maps, TRUE);
    g_array_free(ex.dispatch, TRUE);
    machine_free(ex.m);
    printf("%s\n", ex.ok ? "all checks passed" : "FAILED");
    return ex.ok ? 0 : 1;
}
