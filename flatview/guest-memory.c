/* SPDX-License-Identifier: MIT */
/*
 * The generic operations of the region interface, written once over any
 * GuestMemory (vm-memory's GuestMemory::try_access and the Bytes methods
 * built on it). Nothing here knows an implementation.
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include <addrspace/error.h>
#include <addrspace/guest-memory.h>

/* Bounce buffer for fd I/O on regions that are not plain memory. */
#define FD_BOUNCE_SIZE 4096

/*
 * Plain memory moved per read-side section by the fd loop where regions
 * are valid only inside one (not GuestMemoryOps.regions_pinned): bounds how
 * long a transfer from a file holds back grace periods.
 */
#define FD_RCU_CHUNK (64 * 1024)

/* Bytes from @addr to the top of the space, saturated (0 means 2^64). */
static uint64_t bytes_to_top(hwaddr addr)
{
    return addr == 0 ? UINT64_MAX : (uint64_t)(0 - addr);
}

/*
 * The one access loop (try_access): visit the regions from @addr on, give
 * each the rest of the request and let it say how much it took. Stops at a
 * hole, at the first failing region access, and at 2^64.
 */
static MemTxResult access_loop(GuestMemory *mem, hwaddr addr, uint8_t *buf,
                               uint64_t len, MemTxAttrs attrs, bool is_write,
                               uint64_t *done)
{
    MemTxResult res = MEMTX_OK;
    uint64_t total = 0;

    RCU_READ_LOCK_GUARD();
    while (total < len) {
        GuestRegion *r = guest_memory_find_region(mem, addr);
        uint64_t room = bytes_to_top(addr);
        uint64_t want = len - total < room ? len - total : room;
        uint64_t n = 0;

        if (!r) {
            res = MEMTX_DECODE_ERROR;
            break;
        }
        if (is_write) {
            res = guest_region_write(r, addr - r->start, buf + total, want,
                                     attrs, mem->big_endian, &n);
        } else {
            res = guest_region_read(r, addr - r->start, buf + total, want,
                                    attrs, mem->big_endian, &n);
        }
        if (res != MEMTX_OK) {
            break;
        }
        if (n == 0) {
            /* a region that makes no progress would spin forever */
            res = MEMTX_DECODE_ERROR;
            break;
        }
        total += n;
        if (total < len && n == room && room != UINT64_MAX) {
            res = MEMTX_DECODE_ERROR; /* past 2^64: a hole, never a wrap */
            break;
        }
        addr += n;
    }
    if (done) {
        *done = total;
    }
    return res;
}

ADDRSPACE_EXPORT MemTxResult guest_memory_read(GuestMemory *mem, hwaddr addr,
                                               void *buf, uint64_t len,
                                               MemTxAttrs attrs, uint64_t *done)
{
    return access_loop(mem, addr, buf, len, attrs, false, done);
}

ADDRSPACE_EXPORT MemTxResult guest_memory_write(GuestMemory *mem, hwaddr addr,
                                                const void *buf, uint64_t len,
                                                MemTxAttrs attrs,
                                                uint64_t *done)
{
    /* the loop only reads from buf when is_write */
    return access_loop(mem, addr, (uint8_t *)(uintptr_t)buf, len, attrs, true,
                       done);
}

/* A stop before the end is always a failure, whatever the last result. */
static MemTxResult all_or_error(MemTxResult res, uint64_t done, uint64_t len)
{
    return done < len && res == MEMTX_OK ? MEMTX_DECODE_ERROR : res;
}

ADDRSPACE_EXPORT MemTxResult guest_memory_read_exact(GuestMemory *mem,
                                                     hwaddr addr, void *buf,
                                                     uint64_t len,
                                                     MemTxAttrs attrs)
{
    uint64_t done;
    MemTxResult res = guest_memory_read(mem, addr, buf, len, attrs, &done);

    return all_or_error(res, done, len);
}

ADDRSPACE_EXPORT MemTxResult guest_memory_write_all(GuestMemory *mem,
                                                    hwaddr addr,
                                                    const void *buf,
                                                    uint64_t len,
                                                    MemTxAttrs attrs)
{
    uint64_t done;
    MemTxResult res = guest_memory_write(mem, addr, buf, len, attrs, &done);

    return all_or_error(res, done, len);
}

static bool is_access_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

/* One typed access: find the region, hand it the access whole. */
static MemTxResult typed_access(GuestMemory *mem, hwaddr addr, unsigned size,
                                enum device_endian endian, MemTxAttrs attrs,
                                uint64_t *value, bool is_write)
{
    GuestRegion *r;

    if (!is_write) {
        *value = 0;
    }
    if (!is_access_size(size)) {
        return MEMTX_DECODE_ERROR;
    }
    RCU_READ_LOCK_GUARD();
    r = guest_memory_find_region(mem, addr);
    if (!r) {
        return MEMTX_DECODE_ERROR;
    }
    if (is_write) {
        return guest_region_store(r, addr - r->start, size, endian, attrs,
                                  mem->big_endian, *value);
    }
    return guest_region_load(r, addr - r->start, size, endian, attrs,
                             mem->big_endian, value);
}

ADDRSPACE_EXPORT MemTxResult guest_memory_load(GuestMemory *mem, hwaddr addr,
                                               unsigned size,
                                               enum device_endian endian,
                                               MemTxAttrs attrs,
                                               uint64_t *value)
{
    return typed_access(mem, addr, size, endian, attrs, value, false);
}

ADDRSPACE_EXPORT MemTxResult guest_memory_store(GuestMemory *mem, hwaddr addr,
                                                unsigned size,
                                                enum device_endian endian,
                                                MemTxAttrs attrs,
                                                uint64_t value)
{
    return typed_access(mem, addr, size, endian, attrs, &value, true);
}

ADDRSPACE_EXPORT void *guest_memory_get_host_address(GuestMemory *mem,
                                                     hwaddr addr, uint64_t *len)
{
    GuestRegion *r;

    *len = 0;
    RCU_READ_LOCK_GUARD();
    r = guest_memory_find_region(mem, addr);
    if (!r || !r->host) {
        return NULL;
    }
    *len = guest_region_left(r, addr - r->start);
    return r->host + (addr - r->start);
}

ADDRSPACE_EXPORT bool guest_memory_check_range(GuestMemory *mem, hwaddr addr,
                                               uint64_t len)
{
    hwaddr last;

    if (len == 0) {
        return true;
    }
    if (!guest_addr_checked_end(addr, len, &last)) {
        return false;
    }
    RCU_READ_LOCK_GUARD();
    for (;;) {
        GuestRegion *r = guest_memory_find_region(mem, addr);

        if (!r) {
            return false;
        }
        if (r->last >= last) {
            return true;
        }
        addr = r->last + 1; /* r->last < last <= UINT64_MAX: no wrap */
    }
}

/* One read(2) or write(2), retried on EINTR. */
static ssize_t fd_io(int fd, void *p, size_t n, bool to_fd)
{
    ssize_t got;

    do {
        got = to_fd ? write(fd, p, n) : read(fd, p, n);
    } while (got < 0 && errno == EINTR);
    return got;
}

static void set_os_error(GError **errp, int fd, bool to_fd, int err)
{
    addrspace_error_set(
        errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS, "%s fd %d: %s",
        to_fd ? "cannot write to" : "cannot read from", fd, g_strerror(err));
}

/*
 * Transfer up to @n bytes between plain memory at @p and @fd, continuing
 * short transfers. Return: the bytes moved; *@eof on end of file; -1 with
 * errno on an OS error (after *@moved bytes).
 */
static uint64_t fd_transfer(int fd, uint8_t *p, uint64_t n, bool to_fd,
                            bool *eof, int *err)
{
    uint64_t moved = 0;

    while (moved < n) {
        size_t chunk = n - moved > SSIZE_MAX ? SSIZE_MAX : n - moved;
        ssize_t got = fd_io(fd, p + moved, chunk, to_fd);

        if (got < 0) {
            *err = errno;
            break;
        }
        if (got == 0) {
            *eof = true; /* read: end of file; write: no progress */
            break;
        }
        moved += (uint64_t)got;
    }
    return moved;
}

/*
 * Transfer up to @n bytes between @fd and plain-memory region @r from
 * @offset on (clamped to the region's end), marking what is read dirty.
 * Return, *@eof, *@err: as fd_transfer().
 */
static uint64_t fd_transfer_region(int fd, GuestRegion *r, hwaddr offset,
                                   uint64_t n, bool to_fd, bool *eof, int *err)
{
    uint64_t left = guest_region_left(r, offset);
    uint64_t moved =
        fd_transfer(fd, r->host + offset, MIN(n, left), to_fd, eof, err);

    if (!to_fd) {
        guest_region_mark_dirty(r, offset, moved);
    }
    return moved;
}

/*
 * The fd loop: plain memory is transferred in place, other regions through
 * a bounce buffer and the generic access loop, so their rules apply. The
 * read-side section covers only the lookup where the reference on @mem
 * pins its regions; elsewhere it covers the transfer too, bounded to
 * FD_RCU_CHUNK bytes.
 */
static MemTxResult fd_loop(GuestMemory *mem, hwaddr addr, int fd, uint64_t len,
                           MemTxAttrs attrs, bool to_fd, uint64_t *done,
                           GError **errp)
{
    bool pinned = guest_memory_regions_pinned(mem);
    uint8_t bounce[FD_BOUNCE_SIZE];
    MemTxResult res = MEMTX_OK;
    uint64_t total = 0;
    bool eof = false;
    int err = 0;

    while (total < len && !eof && !err && res == MEMTX_OK) {
        uint64_t want = len - total, moved = 0;
        GuestRegion *r;
        bool host;

        rcu_read_lock();
        r = guest_memory_find_region(mem, addr);
        host = r && r->host;
        if (host && !pinned) {
            moved =
                fd_transfer_region(fd, r, addr - r->start,
                                   MIN(want, FD_RCU_CHUNK), to_fd, &eof, &err);
        }
        rcu_read_unlock();
        if (!r) {
            res = MEMTX_DECODE_ERROR;
            break;
        }
        if (host && pinned) {
            /* @r and its memory outlive the section: block outside it */
            moved = fd_transfer_region(fd, r, addr - r->start, want, to_fd,
                                       &eof, &err);
        } else if (!host) {
            uint64_t got = 0, n = MIN(want, sizeof(bounce));

            if (to_fd) {
                res = guest_memory_read(mem, addr, bounce, n, attrs, &got);
                moved = fd_transfer(fd, bounce, got, true, &eof, &err);
            } else {
                moved = fd_transfer(fd, bounce, n, false, &eof, &err);
                res = guest_memory_write(mem, addr, bounce, moved, attrs, &got);
                moved = got;
            }
        }
        total += moved;
        if (total < len && !guest_addr_checked_add(addr, moved, &addr)) {
            res = MEMTX_DECODE_ERROR; /* the range passes 2^64 */
        }
    }
    if (err) {
        set_os_error(errp, fd, to_fd, err);
        res |= MEMTX_ERROR;
    } else if (eof && to_fd) {
        set_os_error(errp, fd, to_fd, EIO); /* write(2) returned 0 */
        res |= MEMTX_ERROR;
    }
    if (done) {
        *done = total;
    }
    return res;
}

ADDRSPACE_EXPORT MemTxResult
guest_memory_read_from_fd(GuestMemory *mem, hwaddr addr, int fd, uint64_t len,
                          MemTxAttrs attrs, uint64_t *done, GError **errp)
{
    return fd_loop(mem, addr, fd, len, attrs, false, done, errp);
}

ADDRSPACE_EXPORT MemTxResult
guest_memory_write_to_fd(GuestMemory *mem, hwaddr addr, int fd, uint64_t len,
                         MemTxAttrs attrs, uint64_t *done, GError **errp)
{
    return fd_loop(mem, addr, fd, len, attrs, true, done, errp);
}

ADDRSPACE_EXPORT void guest_memory_put(GuestMemory *mem)
{
    if (mem && mem->ops->put) {
        mem->ops->put(mem);
    }
}
