/* SPDX-License-Identifier: MIT */
/*
 * Sharing guest RAM with another process, as a vhost-user back-end does:
 * a memfd-backed RAM region is exported by fd + offset, a forked child
 * maps it and writes, and the parent reads the bytes back through the
 * AddressSpace and through the region interface.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#define ATTRS    MEMTXATTRS_UNSPECIFIED
#define RAM_AT   0x100000
#define RAM_SIZE 0x10000
#define MSG      "written by the child"

/* The child: map the exported range and write; no library calls. */
static void child_write(int fd, uint64_t fd_offset, uint64_t at)
{
    uint8_t *p = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                      (off_t)fd_offset);

    if (p == MAP_FAILED) {
        _exit(2);
    }
    memcpy(p + at, MSG, sizeof(MSG));
    p[RAM_SIZE - 1] = 0x5a;
    munmap(p, RAM_SIZE);
    _exit(0);
}

static void wait_child(pid_t pid)
{
    int status = 0;

    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void test_child_writes_parent_reads(void)
{
    MemoryRegion sys, ram;
    AddressSpace as;
    GError *err = NULL;
    char buf[sizeof(MSG)];
    GuestMemory *mem;
    int fd;
    uint64_t off;
    pid_t pid;

    g_assert_true(memory_region_init(&sys, NULL, "sys", UINT64_MAX, NULL));
    g_assert_true(
        memory_region_init_ram_memfd(&ram, NULL, "shared", RAM_SIZE, &err));
    g_assert_no_error(err);
    g_assert_true(memory_region_add_subregion(&sys, RAM_AT, &ram, NULL));
    g_assert_true(address_space_init(&as, &sys, "as", NULL));
    fd = memory_region_get_fd(&ram);
    off = memory_region_get_fd_offset(&ram);
    g_assert_cmpint(fd, >=, 0);

    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        child_write(fd, off, 0x40);
    }
    wait_child(pid);
    g_assert_cmpuint(
        address_space_read(&as, RAM_AT + 0x40, ATTRS, buf, sizeof(buf)), ==,
        MEMTX_OK);
    g_assert_cmpstr(buf, ==, MSG);
    g_assert_cmpuint(
        address_space_ldub(&as, RAM_AT + RAM_SIZE - 1, ATTRS, NULL), ==, 0x5a);

    /* the same through the region interface: the section exports fd/offset */
    mem = guest_memory_from_address_space(&as);
    {
        RCU_READ_LOCK_GUARD();
        GuestRegion *r = guest_memory_find_region(mem, RAM_AT + 0x40);

        g_assert_nonnull(r);
        g_assert_cmphex(r->start, ==, RAM_AT);
        g_assert_cmpint(r->fd, ==, fd);
        g_assert_cmphex(r->fd_offset, ==, off);
    }
    memset(buf, 0, sizeof(buf));
    g_assert_cmpuint(
        guest_memory_read_exact(mem, RAM_AT + 0x40, buf, sizeof(buf), ATTRS),
        ==, MEMTX_OK);
    g_assert_cmpstr(buf, ==, MSG);
    guest_memory_put(mem);

    address_space_destroy(&as);
    drain_call_rcu(); /* the last view lets go of the regions */
    memory_region_finalize(&sys);
    memory_region_finalize(&ram);
    drain_call_rcu();
}

/* The same with a GuestMemoryMmap memfd range, exported by its region. */
static void test_mmap_backend_shares(void)
{
    GuestMemoryMmapRange r = {RAM_AT, RAM_SIZE, -1, 0, GUEST_MEMORY_MMAP_MEMFD};
    GuestMemoryMmap *m = guest_memory_mmap_new(&r, 1, false, NULL);
    GuestMemory *mem = guest_memory_mmap_memory(m);
    char buf[sizeof(MSG)];
    uint64_t v = 0;
    int fd;
    uint64_t off;
    pid_t pid;

    g_assert_nonnull(m);
    {
        RCU_READ_LOCK_GUARD();
        GuestRegion *gr = guest_memory_find_region(mem, RAM_AT);

        fd = gr->fd;
        off = gr->fd_offset;
    }
    g_assert_cmpint(fd, >=, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        child_write(fd, off, 0x80);
    }
    wait_child(pid);
    g_assert_cmpuint(
        guest_memory_read_exact(mem, RAM_AT + 0x80, buf, sizeof(buf), ATTRS),
        ==, MEMTX_OK);
    g_assert_cmpstr(buf, ==, MSG);
    g_assert_cmpuint(guest_memory_load(mem, RAM_AT + RAM_SIZE - 1, 1,
                                       DEVICE_LITTLE_ENDIAN, ATTRS, &v),
                     ==, MEMTX_OK);
    g_assert_cmphex(v, ==, 0x5a);
    guest_memory_mmap_free(m);
    drain_call_rcu();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/guest-memory/xproc/memfd-ram/child-writes-parent-reads",
                    test_child_writes_parent_reads);
    g_test_add_func("/guest-memory/xproc/mmap-backend/child-writes",
                    test_mmap_backend_shares);
    return g_test_run();
}
