/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the console device (hw-test-devices/console.c): transmit
 * register, always-ready status, byte-only accesses, bounded buffer, FILE*
 * output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <addrspace/addrspace.h>

#include "console.h"

#define ATTRS MEMTXATTRS_UNSPECIFIED
#define BASE  0x3f8u

typedef struct Fixture {
    Console *con;
    MemoryRegion root;
    AddressSpace as;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    (void)data;
    memset(f, 0, sizeof(*f));
    f->con = console_new("console", &err);
    g_assert_no_error(err);
    g_assert_true(memory_region_init(&f->root, NULL, "io", 0x10000, &err));
    g_assert_true(memory_region_add_subregion(&f->root, BASE,
                                              console_region(f->con), &err));
    g_assert_true(address_space_init(&f->as, &f->root, "I/O", &err));
    g_assert_no_error(err);
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    address_space_destroy(&f->as);
    console_unref(f->con);
    drain_call_rcu();
    memory_region_finalize(&f->root);
    drain_call_rcu();
}

static void test_transmit(Fixture *f, gconstpointer data)
{
    static const char msg[] = "hello\n";
    size_t len = 0;
    char *out;

    (void)data;
    for (size_t i = 0; i + 1 < sizeof(msg); i++) {
        address_space_stb(&f->as, BASE + CONSOLE_REG_THR, (uint8_t)msg[i],
                          ATTRS, NULL);
    }
    /* writes to other registers transmit nothing */
    address_space_stb(&f->as, BASE + CONSOLE_REG_LSR, 'x', ATTRS, NULL);
    address_space_stb(&f->as, BASE + 1, 'y', ATTRS, NULL);
    out = console_take_output(f->con, &len);
    g_assert_cmpstr(out, ==, msg);
    g_assert_cmpuint(len, ==, strlen(msg));
    g_free(out);
    out = console_take_output(f->con, &len); /* taken: empty now */
    g_assert_cmpstr(out, ==, "");
    g_assert_cmpuint(len, ==, 0);
    g_free(out);
}

static void test_nul_bytes_kept(Fixture *f, gconstpointer data)
{
    size_t len = 0;
    char *out;

    (void)data;
    address_space_stb(&f->as, BASE, 'a', ATTRS, NULL);
    address_space_stb(&f->as, BASE, 0, ATTRS, NULL);
    address_space_stb(&f->as, BASE, 'b', ATTRS, NULL);
    out = console_take_output(f->con, &len);
    g_assert_cmpmem(out, len, "a\0b", 3);
    g_free(out);
}

static void test_status(Fixture *f, gconstpointer data)
{
    MemTxResult r;
    char *out;

    (void)data;
    g_assert_cmphex(
        address_space_ldub(&f->as, BASE + CONSOLE_REG_LSR, ATTRS, &r), ==,
        CONSOLE_LSR_READY);
    g_assert_cmpuint(r, ==, MEMTX_OK);
    g_assert_cmphex(
        address_space_ldub(&f->as, BASE + CONSOLE_REG_THR, ATTRS, &r), ==, 0);
    /* byte registers: a 16-bit typed access is refused by the bus */
    address_space_lduw_le(&f->as, BASE, ATTRS, &r);
    g_assert_cmpuint(r, ==, MEMTX_DECODE_ERROR);
    /* a buffer access is split into bytes: offset 1 is not THR */
    g_assert_cmpuint(address_space_write(&f->as, BASE, ATTRS, "zy", 2), ==,
                     MEMTX_OK);
    out = console_take_output(f->con, NULL);
    g_assert_cmpstr(out, ==, "z");
    g_free(out);
}

static void test_buffer_bounded(Fixture *f, gconstpointer data)
{
    g_autofree uint8_t *junk = g_malloc(CONSOLE_BUFFER_MAX + 100);
    size_t len = 0;
    char *out;

    (void)data;
    memset(junk, '.', CONSOLE_BUFFER_MAX + 100);
    /* each byte goes to THR through a one-byte window: use typed stores */
    for (guint i = 0; i < CONSOLE_BUFFER_MAX + 100; i++) {
        address_space_stb(&f->as, BASE, junk[i], ATTRS, NULL);
    }
    out = console_take_output(f->con, &len);
    g_assert_cmpuint(len, ==, CONSOLE_BUFFER_MAX);
    g_free(out);
}

static void test_file_output(Fixture *f, gconstpointer data)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&buf, &size);

    (void)data;
    g_assert_nonnull(mem);
    console_set_output(f->con, mem);
    address_space_stb(&f->as, BASE, 'o', ATTRS, NULL);
    address_space_stb(&f->as, BASE, 'k', ATTRS, NULL);
    address_space_stb(&f->as, BASE, '\n', ATTRS, NULL); /* flushes */
    g_assert_cmpmem(buf, size, "ok\n", 3);
    console_set_output(f->con, NULL);
    address_space_stb(&f->as, BASE, '!', ATTRS, NULL);
    fclose(mem);
    g_assert_cmpmem(buf, size, "ok\n", 3);
    free(buf);
    g_free(console_take_output(f->con, NULL));
}

#define ADD(path, fn) \
    g_test_add("/console/" path, Fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("transmit", test_transmit);
    ADD("nul-bytes-kept", test_nul_bytes_kept);
    ADD("status-always-ready", test_status);
    ADD("buffer-bounded", test_buffer_bounded);
    ADD("file-output", test_file_output);
    return g_test_run();
}
