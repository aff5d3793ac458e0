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

static uint64_t page_round_up(uint64_t size)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

    return (size + page - 1) & ~(page - 1);
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
    rb->mapped_size = len;
    rb->fd = -1;
    return rb;
}

RAMBlock *ram_block_new_ptr(uint64_t size, void *ptr)
{
    RAMBlock *rb = g_new0(RAMBlock, 1);

    rb->host = ptr;
    rb->size = size;
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
 * accesses. The dispatcher keeps every callback inside the region, and
 * the region never outgrows its block (memory_region_set_size()).
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
