/* SPDX-License-Identifier: MIT */
/**
 * @file hpet.h
 * @brief HPET: the IA-PC High Precision Event Timer as QEMU 7.2's
 * hw/timer/hpet.c models it, register for register and interrupt for
 * interrupt.
 *
 * One event timer block: a 64-bit main counter at 100 MHz (10 ns a tick)
 * driven by a VClock, 3 to 32 comparators (3 by default, as in QEMU), each
 * one-shot or periodic, 64- or 32-bit, edge or level triggered, the legacy
 * replacement route and FSB (message) delivery. Interrupts are output
 * lines 0-31, reported through a callback; on a PC board lines 0-23 are
 * the I/O APIC inputs (GSIs) and 24-31 are not connected.
 *
 * Two behaviours, chosen with hpet_set_compat():
 * - HPET_COMPAT_QEMU_7_2 reproduces QEMU 7.2.0 exactly (what a qtest
 *   script observes: register values, interrupt line changes, timer
 *   deadlines, FSB memory writes), quirks included.
 * - HPET_COMPAT_DEFAULT is QEMU 7.2 except in two places where later QEMU
 *   changed the model (both in QEMU 9.1.0): the interrupt status bit of a
 *   level-triggered timer is set even while the timer's interrupt is
 *   disabled, and the timer keeps running to set it (QEMU commit
 *   f0ccf770789e "hpet: fix and cleanup persistence of interrupt
 *   status"); in 32-bit mode writes to the comparator's high half are
 *   ignored (QEMU commit 9eb7fad3546a "hpet: ignore high bits of
 *   comparator in 32-bit mode"). The README lists the details.
 *
 * Register window (HPET_MMIO_SIZE bytes, little endian; the guest may only
 * make aligned 4-byte accesses, as with QEMU 7.2's valid.min/max 4: 1- and
 * 2-byte accesses give MEMTX_DECODE_ERROR and read 0, buffer accesses are
 * split into 4-byte accesses low half first, an 8-byte ldq/stq fails):
 *
 * | offset | register | guest-writable |
 * |---|---|---|
 * | 0x000 | capabilities and ID (rev 1, NUM_TIM_CAP, 64-bit counter, legacy route capable, vendor 0x8086; period 10^7 fs in the high half) | no |
 * | 0x010 | configuration: ENABLE_CNF, LEG_RT_CNF | bits 0-1 |
 * | 0x020 | interrupt status, one bit per timer (level mode) | write 1 to clear |
 * | 0x0f0 | main counter | yes (takes effect while halted) |
 * | 0x100 + 0x20 n | timer n configuration (low) and route capability (high) | HPET_TN_CFG_WRITE_MASK |
 * | 0x108 + 0x20 n | timer n comparator | yes (see hpet.c) |
 * | 0x110 + 0x20 n | timer n FSB route (value low, address high) | yes |
 *
 * Every other offset reads 0 and ignores writes. As in QEMU, the registers
 * of the timer just after the last one (timer num_timers, if it is below
 * 24) are decoded too: that timer has no capabilities, is not reset and
 * is not started or stopped with the main counter, but it can be
 * programmed and fires. The window has room for 24 timers only; timers
 * 24-31 of a 32-timer block are counted in NUM_TIM_CAP but not
 * addressable, as in QEMU.
 *
 * Work: a periodic timer re-arms itself after each match. While nobody
 * receives the interrupt lines (no handler set) and no FSB delivery is
 * active, the matches that fall inside one VClock run are coalesced into
 * one callback (they have no effect but the final register state), so
 * stepping the clock by any amount costs a bounded number of callbacks.
 * With a handler set every match is delivered; the VClock's per-run
 * callback budget (vclock_set_budget()) then bounds the work.
 *
 * Lifetime: hpet_new() returns a device holding one reference (the
 * creator's) on its embedded MemoryOwner; mapping hpet_mmio() takes more.
 * hpet_free() stops the device's use of its VClock and interrupt callback
 * and drops the creator's reference; the device is freed on the RCU
 * reclamation thread once nothing references its region any more.
 *
 * Thread safety: the device state is protected by a recursive mutex that is
 * also the region's lock (memory_region_set_lock()), so register accesses,
 * timer callbacks and the functions below may run on any threads.
 */
#ifndef HW_TEST_DEVICES_HPET_H
#define HW_TEST_DEVICES_HPET_H

#include <addrspace/addrspace.h>

#include <addrspace-machine/vclock.h>

typedef struct HPETState HPETState;

/** Size of the register window. */
#define HPET_MMIO_SIZE 0x400u
/** Where PC boards (and the test machine) map it. */
#define HPET_BASE_ADDR 0xfed00000u
/** Nanoseconds per main counter tick (100 MHz). */
#define HPET_CLK_PERIOD_NS 10u
/** The tick period in femtoseconds, as the capabilities' high half. */
#define HPET_CLK_PERIOD_FS 10000000u
/** Fewest comparators (the specification's minimum; QEMU's default). */
#define HPET_MIN_TIMERS 3u
/** Most comparators in one block. */
#define HPET_MAX_TIMERS 32u
/** Number of interrupt output lines (values of the route field). */
#define HPET_NUM_IRQ_LINES 32u
/**
 * Line of timer 0 in legacy replacement mode. QEMU raises its HPET output
 * 0; the PC board feeds it to the 8259's IRQ0 and the I/O APIC turns ISA
 * IRQ0 into pin 2, which is the specification's "IRQ0 / I/O APIC IRQ2".
 */
#define HPET_LEGACY_TIMER0_LINE 0u
/** Line of timer 1 in legacy replacement mode (the RTC's IRQ8). */
#define HPET_LEGACY_TIMER1_LINE 8u
/**
 * Route capability of every timer after hpet_new(): I/O APIC input 2
 * only, what QEMU 7.2's default PC machine (i440fx) gives its HPET; q35
 * uses 0x00ff0104 (inputs 2, 8 and 16-23). See hpet_set_intcap().
 */
#define HPET_DEFAULT_INTCAP 0x00000004u
/** Route capability QEMU 7.2's q35 machine gives its HPET. */
#define HPET_Q35_INTCAP 0x00ff0104u
/** Lines wired to the I/O APIC on a PC (QEMU's GSI_NUM_PINS). */
#define HPET_PC_GSI_LINES 24u

/* Register offsets (QEMU's and Linux's names). */
#define HPET_ID      0x000u /* capabilities and ID; +4: tick period */
#define HPET_PERIOD  0x004u
#define HPET_CFG     0x010u
#define HPET_STATUS  0x020u
#define HPET_COUNTER 0x0f0u
/** Offset of timer @n's register block. */
#define HPET_TN_BASE(n) (0x100u + 0x20u * (n))
/* Registers inside a timer's block. */
#define HPET_TN_CFG   0x000u /* configuration; +4: route capability */
#define HPET_TN_CMP   0x008u
#define HPET_TN_ROUTE 0x010u

/* Capabilities register (low half). */
#define HPET_ID_REV            0x00000001u
#define HPET_ID_NUM_TIM_SHIFT  8
#define HPET_ID_NUM_TIM_MASK   0x00001f00u
#define HPET_ID_COUNT_SIZE_CAP 0x00002000u
#define HPET_ID_LEG_RT_CAP     0x00008000u
#define HPET_ID_VENDOR_INTEL   0x80860000u

/* General configuration register. */
#define HPET_CFG_ENABLE 0x1u
#define HPET_CFG_LEGACY 0x2u

/* Timer configuration register (low half). */
#define HPET_TN_TYPE_LEVEL      0x0002u /* Tn_INT_TYPE_CNF */
#define HPET_TN_ENABLE          0x0004u /* Tn_INT_ENB_CNF */
#define HPET_TN_PERIODIC        0x0008u /* Tn_TYPE_CNF */
#define HPET_TN_PERIODIC_CAP    0x0010u /* Tn_PER_INT_CAP, read-only 1 */
#define HPET_TN_SIZE_CAP        0x0020u /* Tn_SIZE_CAP, read-only 1 */
#define HPET_TN_SETVAL          0x0040u /* Tn_VAL_SET_CNF */
#define HPET_TN_32BIT           0x0100u /* Tn_32MODE_CNF */
#define HPET_TN_INT_ROUTE_SHIFT 9
#define HPET_TN_INT_ROUTE_MASK  0x3e00u /* Tn_INT_ROUTE_CNF */
#define HPET_TN_FSB_ENABLE      0x4000u /* Tn_FSB_EN_CNF */
#define HPET_TN_FSB_CAP         0x8000u /* Tn_FSB_INT_DEL_CAP, read-only 0 */
/**
 * Bits of a timer's configuration a guest can change: QEMU's
 * HPET_TN_CFG_WRITE_MASK (0x7f4e). Any route may be written, whatever the
 * route capability says, and Tn_FSB_EN_CNF may be set although
 * Tn_FSB_INT_DEL_CAP reads 0 (QEMU 7.2 and later QEMU alike).
 */
#define HPET_TN_CFG_WRITE_MASK 0x7f4eu

/**
 * enum HPETCompat - which QEMU's HPET the device reproduces.
 * @HPET_COMPAT_DEFAULT: QEMU 7.2 with the two changes of QEMU 9.1 named in
 *                       this file's description ("default").
 * @HPET_COMPAT_QEMU_7_2: QEMU 7.2.0 exactly ("qemu-7.2").
 */
typedef enum HPETCompat {
    HPET_COMPAT_DEFAULT,
    HPET_COMPAT_QEMU_7_2,
} HPETCompat;

/**
 * HPETIrqHandler - receives the level of an interrupt output line.
 * @opaque: the pointer given to hpet_set_irq_handler().
 * @line: the line, 0 to HPET_NUM_IRQ_LINES - 1.
 * @level: true when raised.
 *
 * Called every time the device sets a line, as QEMU's qemu_set_irq(): a
 * level-triggered timer raises its line when it fires and lowers it when
 * its status is cleared; an edge-triggered timer pulses it (raised, then
 * lowered, in two calls). As in QEMU the device keeps no line state: it
 * may raise a raised line or lower a low one again, and a timer lowers
 * its line even when another timer holds the same line raised; receivers
 * that report changes (qtest) compare with the last level.
 * Context: with the device's lock held, on the thread that accessed a
 * register or runs the clock; it may read the device's registers but must
 * not step the clock or call hpet_free().
 */
typedef void (*HPETIrqHandler)(void *opaque, unsigned line, bool level);

/**
 * hpet_new() - Create an HPET, reset, with its main counter halted at 0.
 * @clk: the clock that drives the main counter and the comparators; it
 *       must stay valid until hpet_free() returns.
 * @num_timers: comparators, HPET_MIN_TIMERS to HPET_MAX_TIMERS.
 * @errp: error return (ADDRSPACE_ERROR_INVALID for a bad count or a NULL
 *        clock).
 *
 * The region (hpet_mmio()) is named "hpet" and is not mapped anywhere.
 * Context: any thread.
 * Return: the device with one reference (the creator's), or NULL.
 */
HPETState *hpet_new(VClock *clk, unsigned num_timers, GError **errp);

/**
 * hpet_mmio() - The register window, to map (usually at HPET_BASE_ADDR).
 * @s: the device.
 * Return: the region, owned by the device.
 */
MemoryRegion *hpet_mmio(HPETState *s);

/**
 * hpet_set_irq_handler() - Set the receiver of the interrupt lines.
 * @s: the device.
 * @fn: the handler, or NULL to drop the lines' changes.
 * @opaque: passed to @fn; must stay valid until hpet_free() or the next
 *          call.
 *
 * Without a handler the lines are not observable, which lets the device
 * coalesce the matches of periodic timers (see the file's description).
 * Context: any thread, not from the handler itself.
 */
void hpet_set_irq_handler(HPETState *s, HPETIrqHandler fn, void *opaque);

/**
 * hpet_set_compat() - Choose the QEMU behaviour to reproduce (QEMU-style
 * property "compat"; command line -global hpet.compat=qemu-7.2).
 * @s: the device.
 * @compat: the behaviour.
 *
 * Takes effect for the accesses and timer matches that follow; a board
 * sets it before the guest runs. Context: any thread.
 */
void hpet_set_compat(HPETState *s, HPETCompat compat);

/**
 * hpet_get_compat() - The behaviour set by hpet_set_compat().
 * @s: the device.
 * Context: any thread.
 * Return: the behaviour (HPET_COMPAT_DEFAULT after hpet_new()).
 */
HPETCompat hpet_get_compat(HPETState *s);

/**
 * hpet_compat_parse() - Parse a value of the "compat" property.
 * @name: "default" or "qemu-7.2".
 * @compat: set on success.
 * @errp: error return (ADDRSPACE_ERROR_INVALID naming the valid values).
 * Context: any thread.
 * Return: true on success.
 */
bool hpet_compat_parse(const char *name, HPETCompat *compat, GError **errp);

/**
 * hpet_compat_name() - The property value of a behaviour.
 * @compat: the behaviour.
 * Context: any thread.
 * Return: a static string ("default", "qemu-7.2").
 */
const char *hpet_compat_name(HPETCompat compat);

/**
 * hpet_set_fsb_address_space() - Where FSB deliveries go.
 * @s: the device.
 * @as: the AddressSpace (QEMU: address_space_memory), or NULL to drop
 *      them; must stay valid until hpet_free() or the next call.
 *
 * A timer with Tn_FSB_EN_CNF set delivers its interrupt as a 4-byte
 * little-endian store of the FSB route's low half at the address in its
 * high half, as QEMU does, from the timer callback with the device's lock
 * held. Context: board set-up, any thread.
 */
void hpet_set_fsb_address_space(HPETState *s, AddressSpace *as);

/**
 * hpet_set_intcap() - Set which lines the timers may be routed to: the
 * read-only high half of each timer's configuration register.
 * @s: the device.
 * @intcap: bit n set means line n is a valid route.
 *
 * Only the value read back changes: as in QEMU, a guest may write any
 * route and the timer uses it (a route written outside @intcap can be
 * written back to 0). Routes already programmed are kept. QEMU's "intcap"
 * property. Context: board set-up, any thread.
 */
void hpet_set_intcap(HPETState *s, uint32_t intcap);

/**
 * HPET_STATE_TYPE - the GVariant type of hpet_save_state()'s result:
 * general configuration, interrupt status, the halted counter, the
 * counter's time base relative to the clock, the lines last raised, and
 * per timer (HPET_MAX_TIMERS of them) its configuration, comparator, FSB
 * route, period, wrap flag and the nanoseconds left until its armed
 * event (-1: none).
 */
#define HPET_STATE_TYPE "(ttttua(ttttbx))"

/**
 * hpet_save_state() - The device's guest-visible state, for
 * machine_state_save(): registers, hidden timer state, pending events
 * relative to the clock, line levels.
 * @s: the device.
 * Context: any thread, no clock run in progress.
 * Return: a floating GVariant of HPET_STATE_TYPE.
 */
GVariant *hpet_save_state(HPETState *s);

/**
 * hpet_restore_state() - Set what hpet_save_state() returned, maybe by
 * another HPET at another time: pending events fire the same time after
 * now as they were due after the save, the counter goes on from the saved
 * value, lines whose level differs are set (reported to the handler).
 * @s: the device.
 * @state: a GVariant of HPET_STATE_TYPE (untrusted), in normal form with
 *         HPET_MAX_TIMERS timers (read in place, without a child value
 *         per field).
 * @errp: error return (ADDRSPACE_ERROR_INVALID: another type, another
 *        timer count or size, that is not normal form; the device is
 *        unchanged).
 * Context: as hpet_save_state().
 * Return: true on success.
 */
bool hpet_restore_state(HPETState *s, GVariant *state, GError **errp);

/**
 * hpet_reset() - Reset the device (QEMU's device reset): counter halted at
 * 0, configuration 0, comparators all ones, timers one-shot, edge,
 * disabled, route 0, their lines lowered. The FSB route registers keep
 * their values, as in QEMU. The status register is cleared with
 * HPET_COMPAT_QEMU_7_2; by default a level timer's set status bit
 * survives, as in QEMU 9.1 and later.
 * @s: the device.
 *
 * Context: any thread, not from the interrupt handler.
 */
void hpet_reset(HPETState *s);

/**
 * hpet_free() - Detach the device and drop the creator's reference.
 * @s: the device, or NULL.
 *
 * Lowers the lines the device holds raised, stops its timers (waiting for a
 * timer callback running on another thread) and from then on the device
 * never touches its VClock or calls its interrupt handler: the clock and
 * the handler's data may be freed once this returns. Registers stay
 * accessible, with a frozen main counter, until the region is unmapped;
 * the device is freed after the last reference on it is gone (a
 * drain_call_rcu() after unmapping waits for that).
 * Context: any thread; not from the interrupt handler or a callback of the
 * device's clock, and without holding the device's lock.
 */
void hpet_free(HPETState *s);

#endif /* HW_TEST_DEVICES_HPET_H */
