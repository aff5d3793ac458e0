/* SPDX-License-Identifier: MIT */
/**
 * @file hpet.h
 * @brief HPET: the IA-PC High Precision Event Timer (specification 1.0a)
 * as QEMU 7.2's hw/timer/hpet.c shows it to a guest.
 *
 * One event timer block: a 64-bit main counter at 100 MHz (10 ns a tick)
 * driven by a VClock, 3 to 32 comparators (3 by default, as in QEMU), each
 * one-shot or periodic, 64- or 32-bit, edge or level triggered, and the
 * legacy replacement route. Interrupts are output lines 0-31 (the I/O APIC
 * inputs a timer may be routed to), reported through a callback.
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
 * | 0x0f0 | main counter | only while halted |
 * | 0x100 + 0x20 n | timer n configuration (low) and route capability (high) | HPET_TN_WRITABLE bits |
 * | 0x108 + 0x20 n | timer n comparator | yes (see below) |
 * | 0x110 + 0x20 n | timer n FSB route (value low, address high) | yes |
 *
 * Every other offset reads 0 and ignores writes, as do the registers of
 * timers beyond the configured count. The window has room for 24 timers
 * only (the specification's layout); timers 24-31 of a 32-timer block are
 * counted in NUM_TIM_CAP but not addressable, as in QEMU.
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

#include "vclock.h"

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
#define HPET_TN_FSB_ENABLE      0x4000u /* read-only 0: no FSB capability */
#define HPET_TN_FSB_CAP         0x8000u /* read-only 0 */
/** Bits of a timer's configuration a guest can change. */
#define HPET_TN_WRITABLE                                                       \
    (HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | HPET_TN_PERIODIC | HPET_TN_SETVAL | \
     HPET_TN_32BIT | HPET_TN_INT_ROUTE_MASK)

/**
 * HPETIrqHandler - receives the level of an interrupt output line.
 * @opaque: the pointer given to hpet_set_irq_handler().
 * @line: the line, 0 to HPET_NUM_IRQ_LINES - 1.
 * @level: true when raised.
 *
 * Called on every change of a line: a level-triggered timer raises its line
 * until its status bit is cleared (lines are wired-OR: a line shared by
 * level-triggered timers stays raised while any of them holds it); an
 * edge-triggered timer pulses it (raised, then lowered, in two calls).
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
 * Context: any thread, not from the handler itself.
 */
void hpet_set_irq_handler(HPETState *s, HPETIrqHandler fn, void *opaque);

/**
 * hpet_set_intcap() - Set which lines the timers may be routed to: the
 * read-only high half of each timer's configuration register.
 * @s: the device.
 * @intcap: bit n set means line n is a valid route.
 *
 * A guest write of a route outside @intcap leaves the route unchanged
 * (the specification: the value read back will not match). Routes already
 * programmed are kept. Context: board set-up, any thread.
 */
void hpet_set_intcap(HPETState *s, uint32_t intcap);

/**
 * hpet_reset() - Reset the device (QEMU's device reset): counter halted at
 * 0, configuration and status 0, comparators all ones, timers one-shot,
 * edge, disabled, route 0; raised lines are lowered. The FSB route
 * registers keep their values, as in QEMU.
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
