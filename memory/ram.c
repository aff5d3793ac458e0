/* SPDX-License-Identifier: MIT */
/* RAM blocks: anonymous, caller-provided and file-backed host memory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory-internal.h"

static bool size_fits_host(uint64_t size, GError **errp)
{
    if (size > (uint64_t)SIZE_MAX / 2) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERFLOW,
                            "RAM size 0x%" PRIx64 " does not fit the host",
                            size);
        return false;
    }
    return true;
}

uint64_t ram_host_page_size(void)
{
    return (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t ram_host_page_align(uint64_t size)
{
    uint64_t page = ram_host_page_size();

    return (size + page - 1) & ~(page - 1);
}

static uint64_t page_round_up(uint64_t size)
{
    return ram_host_page_align(size);
}

RAMBlock *ram_block_new_anon(uint64_t size, GError **errp)
{
    RAMBlock *rb;
    void *host;
    uint64_t len;

    if (!size_fits_host(size, errp)) {
        return NULL;
    }
    len = page_round_up(size);
    host = mmap(NULL, len, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "cannot map 0x%" PRIx64 " bytes of RAM: %s", size,
                            g_strerror(errno));
        return NULL;
    }
    rb = g_new0(RAMBlock, 1);
    rb->host = host;
    rb->size = size;
    rb->used_length = size;
    rb->mapped_size = len;
    rb->fd = -1;
    return rb;
}

RAMBlock *ram_block_new_resizeable(uint64_t size, uint64_t max_size,
                                   GError **errp)
{
    RAMBlock *rb;

    /* QEMU's qemu_ram_alloc_internal(): both lengths host-page aligned */
    if (!size_fits_host(max_size, errp) ||
        !(rb = ram_block_new_anon(page_round_up(max_size), errp))) {
        return NULL;
    }
    rb->used_length = page_round_up(size);
    rb->resizeable = true;
    return rb;
}

RAMBlock *ram_block_new_ptr(uint64_t size, void *ptr)
{
    RAMBlock *rb = g_new0(RAMBlock, 1);

    rb->host = ptr;
    rb->size = size;
    rb->used_length = size;
    rb->fd = -1;
    return rb;
}

RAMBlock *ram_block_new_fd(uint64_t size, bool share, int fd, uint64_t offset,
                           GError **errp)
{
    struct stat st;
    RAMBlock *rb;
    void *host;
    uint64_t len;
    int dupfd;

    if (!size_fits_host(size, errp)) {
        return NULL;
    }
    if (fd < 0 || fstat(fd, &st) < 0) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "bad file descriptor %d: %s", fd,
                            g_strerror(fd < 0 ? EBADF : errno));
        return NULL;
    }
    if (offset % (uint64_t)sysconf(_SC_PAGESIZE)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "file offset 0x%" PRIx64 " is not page-aligned",
                            offset);
        return NULL;
    }
    if (S_ISREG(st.st_mode) && (offset > (uint64_t)st.st_size ||
                                (uint64_t)st.st_size - offset < size)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "file of 0x%" PRIx64
                            " bytes is too small for 0x%" PRIx64
                            " bytes at offset 0x%" PRIx64,
                            (uint64_t)st.st_size, size, offset);
        return NULL;
    }
    len = page_round_up(size);
    host = mmap(NULL, len, PROT_READ | PROT_WRITE,
                share ? MAP_SHARED : MAP_PRIVATE, fd, (off_t)offset);
    if (host == MAP_FAILED) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "cannot map 0x%" PRIx64 " bytes of fd %d: %s", size,
                            fd, g_strerror(errno));
        return NULL;
    }
    dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dupfd < 0) {
        int err = errno;

        munmap(host, len);
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "cannot duplicate fd %d: %s", fd, g_strerror(err));
        return NULL;
    }
    rb = g_new0(RAMBlock, 1);
    rb->host = host;
    rb->size = size;
    rb->used_length = size;
    rb->mapped_size = len;
    rb->fd = dupfd;
    rb->fd_offset = offset;
    return rb;
}

RAMBlock *ram_block_new_memfd(const char *name, uint64_t size, GError **errp)
{
    RAMBlock *rb;
    int fd;

    if (!size_fits_host(size, errp)) {
        return NULL;
    }
    fd = memfd_create(name && *name ? name : "addrspace-ram", MFD_CLOEXEC);
    if (fd < 0) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "memfd_create: %s", g_strerror(errno));
        return NULL;
    }
    if (ftruncate(fd, (off_t)page_round_up(size)) < 0) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "cannot size memfd to 0x%" PRIx64 ": %s", size,
                            g_strerror(errno));
        close(fd);
        return NULL;
    }
    rb = ram_block_new_fd(size, true, fd, 0, errp);
    close(fd);
    return rb;
}

void ram_block_free(RAMBlock *rb)
{
    if (!rb) {
        return;
    }
    if (rb->snapshots) {
        memory_update_lock();
        ram_snapshot_block_gone_locked(rb);
        memory_update_unlock();
    }
    if (rb->mapped_size) {
        munmap(rb->host, rb->mapped_size);
    }
    if (rb->fd >= 0) {
        close(rb->fd);
    }
    ram_block_dirty_free(rb);
    g_free(rb);
}

/*
 * The ops of a RAM device (QEMU's ram_device_mem_ops): one host access of
 * exactly the callback's size, so memory behind a device (a BAR mapped
 * from the host) never sees a memcpy's wider, narrower or repeated
 * accesses. A RAM device always has the mmio-bounds checks (region.c), so
 * the dispatcher keeps every callback inside the region, and the region
 * never outgrows its block (memory_region_set_size()).
 */
static uint64_t ram_device_read(void *opaque, hwaddr addr, unsigned size)
{
    MemoryRegion *mr = opaque;

    return addrspace_host_load(mr->priv.ram_block->host + addr, size);
}

static void ram_device_write(void *opaque, hwaddr addr, uint64_t data,
                             unsigned size)
{
    MemoryRegion *mr = opaque;

    addrspace_host_store(mr->priv.ram_block->host + addr, size, data);
}

const MemoryRegionOps ram_device_mem_ops = {
    .read = ram_device_read,
    .write = ram_device_write,
    /* QEMU's DEVICE_HOST_ENDIAN: the value is the host's view of the bytes */
    .endianness =
        G_BYTE_ORDER == G_BIG_ENDIAN ? DEVICE_BIG_ENDIAN : DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
};

bool ram_block_discard_range(RAMBlock *rb, uint64_t start, uint64_t length,
                             GError **errp)
{
    uint64_t page = ram_host_page_size();
    uint8_t *host = rb->host + start;

    if ((uintptr_t)host % page || length % page || start > rb->size ||
        length > rb->size - start) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "cannot discard 0x%" PRIx64 "+0x%" PRIx64
                            " of a RAM block of 0x%" PRIx64
                            " bytes: not host-page aligned or outside it",
                            start, length, rb->size);
        return false;
    }
    if (length == 0) {
        return true;
    }
    /*
     * QEMU's order: punch the file (so a shared mapping and every other
     * mapping of the file read zeros), then drop our mapping's pages. QEMU
     * 7.2 punches at @start, ignoring the mapping's offset in the file (it
     * keeps none); we punch where the block's bytes are.
     */
    if (rb->fd >= 0 &&
        fallocate(rb->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)(rb->fd_offset + start), (off_t)length) < 0) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "cannot punch 0x%" PRIx64 "+0x%" PRIx64
                            " out of fd %d: %s",
                            start, length, rb->fd, g_strerror(errno));
        return false;
    }
    /* every block the library maps without a file is private: QEMU's
     * MADV_REMOVE case (shared memory without file) cannot arise */
    if (madvise(host, length, MADV_DONTNEED) < 0) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "cannot discard 0x%" PRIx64 "+0x%" PRIx64 ": %s",
                            start, length, g_strerror(errno));
        return false;
    }
    return true;
}

/* What memory_region_ram_resize() refuses before looking at sizes. */
static bool resize_check(MemoryRegion *mr, uint64_t newsize, GError **errp)
{
    RAMBlock *rb = mr_is_initialised(mr) ? mr->priv.ram_block : NULL;
    const char *name = mr_is_initialised(mr) ? memory_region_name(mr) : "";

    if (!rb || mr->priv.ram_device) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region \"%s\" is not RAM: it cannot be resized",
                            name);
        return false;
    }
    if (newsize == 0 || newsize > (uint64_t)SIZE_MAX / 2) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "region \"%s\": cannot resize RAM to 0x%" PRIx64,
                            name, newsize);
        return false;
    }
    if (rb->rdm) {
        addrspace_error_set(
            errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
            "region \"%s\" has a RamDiscardManager: it cannot be "
            "resized",
            name);
        return false;
    }
    return true;
}

ADDRSPACE_EXPORT bool memory_region_ram_resize(MemoryRegion *mr,
                                               uint64_t newsize, GError **errp)
{
    /* the snapshot client keeps its bits: a resize changes no byte */
    const uint8_t clients = (uint8_t)(((1u << DIRTY_MEMORY_NUM) - 1) &
                                      ~(1u << DIRTY_MEMORY_SNAPSHOT));
    uint64_t aligned = ram_host_page_align(newsize);
    RAMBlock *rb;
    bool ok;

    memory_region_transaction_begin();
    if (!resize_check(mr, newsize, errp)) {
        memory_region_transaction_commit();
        return false;
    }
    rb = mr->priv.ram_block;
    if (aligned == ram_host_page_align(rb->used_length)) {
        /* QEMU: the block keeps its length; only the region may change */
        bool changed = newsize != memory_region_size(mr);

        ok = !changed || memory_region_set_size(mr, newsize, errp);
        memory_region_transaction_commit();
        if (changed && ok && rb->resized) {
            rb->resized(memory_region_name(mr), newsize, rb->host);
        }
        return ok;
    }
    if (!rb->resizeable) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "Size mismatch: %s: 0x%" PRIx64 " != 0x%" PRIx64,
                            memory_region_name(mr), aligned,
                            ram_host_page_align(rb->used_length));
        memory_region_transaction_commit();
        return false;
    }
    if (aligned > rb->size) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OVERFLOW,
                            "Size too large: %s: 0x%" PRIx64 " > 0x%" PRIx64,
                            memory_region_name(mr), aligned, rb->size);
        memory_region_transaction_commit();
        return false;
    }
    if (!memory_region_set_size(mr, newsize, errp)) {
        memory_region_transaction_commit();
        return false;
    }
    /* QEMU's qemu_ram_resize(): the new used length is all dirty */
    ram_block_clear_dirty_range(rb, 0, rb->used_length, clients);
    __atomic_store_n(&rb->used_length, aligned, __ATOMIC_RELAXED);
    ram_block_set_dirty_range(rb, 0, aligned, clients);
    memory_region_transaction_commit();
    if (rb->resized) {
        rb->resized(memory_region_name(mr), newsize, rb->host);
    }
    return true;
}
