/* SPDX-License-Identifier: MIT */
/**
 * @file dma-testdev.h
 * @brief dma-testdev: a device that copies memory through an AddressSpace
 * when commanded, to exercise nested accesses and the re-entrancy guard.
 *
 * Register layout (little endian, 32-bit registers; 64-bit accesses are
 * accepted and split by the dispatcher into two 32-bit ones, low first):
 *
 * | offset | name | access | meaning |
 * |---|---|---|---|
 * | 0x00 | SRC_LO | rw | source address, bits 0-31 |
 * | 0x04 | SRC_HI | rw | source address, bits 32-63 |
 * | 0x08 | DST_LO | rw | destination address, bits 0-31 |
 * | 0x0c | DST_HI | rw | destination address, bits 32-63 |
 * | 0x10 | LEN | rw | bytes to copy |
 * | 0x14 | CMD | w | DMA_TESTDEV_CMD_COPY starts the copy; reads 0 |
 * | 0x18 | STATUS | r, w clears | OR of the MemTxResults of the last copy |
 * | 0x1c | DONE | r | bytes handled by the last copy |
 *
 * The rest of the DMA_TESTDEV_REGION_SIZE window reads 0 and ignores
 * writes. A copy runs synchronously inside the CMD write: it reads the
 * source into a bounded bounce buffer and writes it to the destination, in
 * chunks of at most DMA_TESTDEV_CHUNK bytes, with address_space_read() and
 * address_space_write(); like QEMU's access loops it goes on after an error
 * and ORs the results. A destination (or source) inside the device's own
 * registers is refused by the library's re-entrancy guard (the device opts
 * in to it: memory_region_enable_reentrancy_guard()) with
 * MEMTX_ACCESS_ERROR rather than recursing. A LEN above
 * DMA_TESTDEV_MAX_LEN gives MEMTX_ERROR and copies nothing (a guest cannot
 * make one write run for seconds); bytes past the top of the 2^64 space
 * give MEMTX_DECODE_ERROR; no AddressSpace gives MEMTX_DECODE_ERROR.
 *
 * Lifetime: dma_testdev_new() returns a device holding one reference (the
 * caller's) on its embedded owner; drop it with dma_testdev_unref(). The
 * AddressSpace is not referenced: the caller keeps it alive while the
 * device may copy, and detaches it (dma_testdev_set_address_space(dev,
 * NULL)) before destroying it.
 *
 * Thread safety: the registers are protected by an internal mutex that is
 * not held during a copy, so copies on different threads (or between two
 * devices that command each other) cannot deadlock.
 */
#ifndef HW_TEST_DEVICES_DMA_TESTDEV_H
#define HW_TEST_DEVICES_DMA_TESTDEV_H

#include <addrspace/addrspace.h>

typedef struct DmaTestDev DmaTestDev;

/** Size of the register window. */
#define DMA_TESTDEV_REGION_SIZE 0x1000u
/** SRC_LO register offset. */
#define DMA_TESTDEV_REG_SRC_LO 0x00u
/** SRC_HI register offset. */
#define DMA_TESTDEV_REG_SRC_HI 0x04u
/** DST_LO register offset. */
#define DMA_TESTDEV_REG_DST_LO 0x08u
/** DST_HI register offset. */
#define DMA_TESTDEV_REG_DST_HI 0x0cu
/** LEN register offset. */
#define DMA_TESTDEV_REG_LEN 0x10u
/** CMD register offset. */
#define DMA_TESTDEV_REG_CMD 0x14u
/** STATUS register offset. */
#define DMA_TESTDEV_REG_STATUS 0x18u
/** DONE register offset. */
#define DMA_TESTDEV_REG_DONE 0x1cu
/** CMD value that starts a copy. */
#define DMA_TESTDEV_CMD_COPY 1u
/** Size of the bounce buffer, the largest chunk one access moves. */
#define DMA_TESTDEV_CHUNK 4096u
/** Largest LEN accepted. */
#define DMA_TESTDEV_MAX_LEN (16u << 20)

/**
 * dma_testdev_new() - Create a dma-testdev.
 * @name: name of the device and its region (copied).
 * @as: the AddressSpace copies go through, or NULL to set it later.
 * @errp: error return.
 *
 * Context: any thread.
 * Return: the device with one reference (the caller's), or NULL.
 */
DmaTestDev *dma_testdev_new(const char *name, AddressSpace *as, GError **errp);

/**
 * dma_testdev_unref() - Drop the caller's reference.
 * @dev: the device.
 * Context: any thread.
 */
void dma_testdev_unref(DmaTestDev *dev);

/**
 * dma_testdev_region() - The device's register region.
 * @dev: the device.
 * Context: any thread.
 * Return: the region (owned by the device).
 */
MemoryRegion *dma_testdev_region(DmaTestDev *dev);

/**
 * dma_testdev_set_address_space() - Set the AddressSpace copies go
 * through.
 * @dev: the device.
 * @as: the address space (not referenced) or NULL.
 *
 * Context: while no copy runs on @dev.
 */
void dma_testdev_set_address_space(DmaTestDev *dev, AddressSpace *as);

/**
 * dma_testdev_copies() - How many copies the device started.
 * @dev: the device.
 * Context: any thread.
 * Return: the count.
 */
guint dma_testdev_copies(DmaTestDev *dev);

/** The GVariant type of dma_testdev_save_state(): SRC, DST, LEN,
 * STATUS, DONE. */
#define DMA_TESTDEV_STATE_TYPE "(ttuuu)"

/**
 * dma_testdev_save_state() - The registers (copies are synchronous: none
 * is ever in flight).
 * @dev: the device.
 * Context: any thread, no copy running.
 * Return: a floating GVariant of DMA_TESTDEV_STATE_TYPE.
 */
GVariant *dma_testdev_save_state(DmaTestDev *dev);

/**
 * dma_testdev_restore_state() - Set what dma_testdev_save_state()
 * returned.
 * @dev: the device.
 * @state: a GVariant of DMA_TESTDEV_STATE_TYPE (read in place; one from
 *         corrupt data reads as zeros, as g_variant_get() reads it).
 * @errp: error return (ADDRSPACE_ERROR_INVALID: another type).
 * Context: any thread, no copy running.
 * Return: true on success.
 */
bool dma_testdev_restore_state(DmaTestDev *dev, GVariant *state, GError **errp);

#endif /* HW_TEST_DEVICES_DMA_TESTDEV_H */
