/* SPDX-License-Identifier: MIT */
/**
 * @file console.h
 * @brief console: a minimal UART-like output device.
 *
 * Register layout (8 bytes, byte registers, 16550 offsets):
 *
 * | offset | name | read | write |
 * |---|---|---|---|
 * | 0 | THR | 0 (no receiver) | the byte is transmitted |
 * | 5 | LSR | CONSOLE_LSR_READY: always ready | ignored |
 * | other | - | 0 | ignored |
 *
 * Accesses must be one byte wide (valid.max_access_size 1, like QEMU's
 * serial ports). Transmitted bytes are appended to an internal buffer
 * (console_take_output()) of at most CONSOLE_BUFFER_MAX bytes, so a guest
 * cannot grow it without bound (bytes beyond are dropped from the buffer),
 * and, when set, written to a FILE*.
 *
 * Lifetime: console_new() returns a device holding one reference (the
 * caller's) on its embedded owner; mapping its region takes more. Drop the
 * caller's with console_unref(); the device is freed on the RCU
 * reclamation thread once nothing references it.
 *
 * Thread safety: the output is protected by an internal mutex; callbacks
 * may run on any thread.
 */
#ifndef HW_TEST_DEVICES_CONSOLE_H
#define HW_TEST_DEVICES_CONSOLE_H

#include <stdio.h>

#include <addrspace/addrspace.h>

typedef struct Console Console;

/** Size of the console's register window. */
#define CONSOLE_REGION_SIZE 8u
/** Offset of the transmit holding register. */
#define CONSOLE_REG_THR 0u
/** Offset of the line status register. */
#define CONSOLE_REG_LSR 5u
/** LSR value: transmit holding register and transmitter empty. */
#define CONSOLE_LSR_READY 0x60u
/** Most bytes the internal buffer keeps between console_take_output(). */
#define CONSOLE_BUFFER_MAX (1u << 20)

/**
 * console_new() - Create a console.
 * @name: name of the device and its region (copied).
 * @errp: error return.
 *
 * Context: any thread.
 * Return: the device with one reference (the caller's), or NULL.
 */
Console *console_new(const char *name, GError **errp);

/**
 * console_unref() - Drop the caller's reference.
 * @con: the device.
 * Context: any thread.
 */
void console_unref(Console *con);

/**
 * console_region() - The console's MMIO region.
 * @con: the device.
 * Context: any thread.
 * Return: the region (owned by the device).
 */
MemoryRegion *console_region(Console *con);

/**
 * console_set_output() - Also write every transmitted byte to @out.
 * @con: the device.
 * @out: a stream (not owned; must outlive its use here) or NULL to stop.
 *
 * The stream is flushed after each newline. Context: any thread.
 */
void console_set_output(Console *con, FILE *out);

/**
 * console_take_output() - The bytes transmitted since the last call.
 * @con: the device.
 * @len: set to the number of bytes, or NULL.
 *
 * Context: any thread.
 * Return: a newly allocated string (g_free()), NUL-terminated after @len
 * bytes; transmitted NUL bytes are kept in it.
 */
char *console_take_output(Console *con, size_t *len);

#endif /* HW_TEST_DEVICES_CONSOLE_H */
