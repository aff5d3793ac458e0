/* SPDX-License-Identifier: MIT */
/*
 * The parent project's program: a RAM region and one MMIO register in an
 * AddressSpace, accessed through the typed loads and stores.
 */
#include <stdio.h>

#include <addrspace/addrspace.h>

static uint64_t reg_value;

static uint64_t reg_read(void *opaque, hwaddr addr, unsigned size)
{
    (void)opaque;
    (void)addr;
    (void)size;
    return reg_value;
}

static void reg_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    (void)opaque;
    (void)addr;
    (void)size;
    reg_value = data;
}

static const MemoryRegionOps reg_ops = {
    .read = reg_read,
    .write = reg_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {.min_access_size = 4, .max_access_size = 4},
};

int main(void)
{
    static MemoryRegion root, ram, reg;
    static AddressSpace as;
    GError *err = NULL;
    MemTxResult r1 = MEMTX_ERROR, r2 = MEMTX_ERROR, r3 = MEMTX_OK;
    uint32_t ram_back, reg_back;
    int ok;

    if (!memory_region_init(&root, NULL, "system", UINT64_MAX, &err) ||
        !memory_region_init_ram(&ram, NULL, "ram", 0x10000, &err) ||
        !memory_region_init_io(&reg, NULL, &reg_ops, NULL, "reg", 4, &err) ||
        !memory_region_add_subregion(&root, 0, &ram, &err) ||
        !memory_region_add_subregion(&root, 0x100000, &reg, &err) ||
        !address_space_init(&as, &root, "memory", &err)) {
        fprintf(stderr, "parent-demo: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    address_space_stl_le(&as, 0x40, 0x12345678, MEMTXATTRS_UNSPECIFIED, NULL);
    ram_back = address_space_ldl_le(&as, 0x40, MEMTXATTRS_UNSPECIFIED, &r1);
    address_space_stl_le(&as, 0x100000, 42, MEMTXATTRS_UNSPECIFIED, NULL);
    reg_back = address_space_ldl_le(&as, 0x100000, MEMTXATTRS_UNSPECIFIED, &r2);
    /* a hole: QEMU's answer */
    (void)address_space_ldl_le(&as, 0x200000, MEMTXATTRS_UNSPECIFIED, &r3);
    ok = ram_back == 0x12345678 && r1 == MEMTX_OK && reg_back == 42 &&
         r2 == MEMTX_OK && r3 == MEMTX_DECODE_ERROR;
    address_space_destroy(&as);
    memory_region_del_subregion(&root, &reg, NULL);
    memory_region_del_subregion(&root, &ram, NULL);
    drain_call_rcu();
    memory_region_finalize(&reg);
    memory_region_finalize(&ram);
    memory_region_finalize(&root);
    printf("parent-demo: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
