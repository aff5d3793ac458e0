/* SPDX-License-Identifier: MIT */
/* memtx_result_name(): the names programs print for data-path results. */
#include <glib.h>

#include <addrspace/addrspace.h>

static void test_each_bit(void)
{
    g_assert_cmpstr(memtx_result_name(MEMTX_OK), ==, "MEMTX_OK");
    g_assert_cmpstr(memtx_result_name(MEMTX_ERROR), ==, "MEMTX_ERROR");
    g_assert_cmpstr(memtx_result_name(MEMTX_DECODE_ERROR), ==,
                    "MEMTX_DECODE_ERROR");
    g_assert_cmpstr(memtx_result_name(MEMTX_ACCESS_ERROR), ==,
                    "MEMTX_ACCESS_ERROR");
}

/* An access split into several transactions ORs their results. */
static void test_combined(void)
{
    g_assert_cmpstr(memtx_result_name(MEMTX_ERROR | MEMTX_DECODE_ERROR), ==,
                    "MEMTX_ERROR|MEMTX_DECODE_ERROR");
    g_assert_cmpstr(memtx_result_name(MEMTX_DECODE_ERROR | MEMTX_ACCESS_ERROR),
                    ==, "MEMTX_DECODE_ERROR|MEMTX_ACCESS_ERROR");
    g_assert_cmpstr(memtx_result_name(MEMTX_ERROR | MEMTX_DECODE_ERROR |
                                      MEMTX_ACCESS_ERROR),
                    ==, "MEMTX_ERROR|MEMTX_DECODE_ERROR|MEMTX_ACCESS_ERROR");
}

static void test_unknown_bits(void)
{
    g_assert_cmpstr(memtx_result_name(1u << 3), ==, "MEMTX_UNKNOWN");
    g_assert_cmpstr(memtx_result_name(UINT32_MAX), ==, "MEMTX_UNKNOWN");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/error/memtx-result-name/each-bit", test_each_bit);
    g_test_add_func("/error/memtx-result-name/combined", test_combined);
    g_test_add_func("/error/memtx-result-name/unknown-bits", test_unknown_bits);
    return g_test_run();
}
