/* SPDX-License-Identifier: MIT */
/*
 * A program outside the project: built against the installed headers and
 * libaddrspace.so with pkg-config's flags only (tests/install/install-test.sh).
 */
#include <stdio.h>

#include <addrspace/addrspace.h>

typedef struct Item {
    struct rcu_head rcu;
    int value;
} Item;

static Item *current_item;
static int reclaimed;

static void item_free(Item *item)
{
    __atomic_fetch_add(&reclaimed, 1, __ATOMIC_RELAXED);
    g_free(item);
}

/* QEMU-style board code: sentinels for errp, DMA and ld*_phys helpers. */
static int qemu_style_calls(void)
{
    static MemoryRegion root, ram;
    static AddressSpace as;
    int ok;

    memory_region_init(&root, NULL, "root", UINT64_MAX, &error_abort);
    memory_region_init_ram(&ram, NULL, "ram", 4096, &error_fatal);
    memory_region_add_subregion(&root, 0, &ram, &error_abort);
    address_space_init(&as, &root, "memory", &error_fatal);
    ok = dma_memory_set(&as, 0x10, 0xab, 4, MEMTXATTRS_UNSPECIFIED) ==
             MEMTX_OK &&
         ldl_le_phys(&as, 0x10) == 0xabababab &&
         address_space_write_rom(&as, 0x10, MEMTXATTRS_UNSPECIFIED, "\x01",
                                 1) == MEMTX_OK &&
         ldub_phys(&as, 0x10) == 1;
    address_space_destroy(&as);
    drain_call_rcu();
    memory_region_finalize(&ram);
    memory_region_finalize(&root);
    return ok;
}

int main(void)
{
    Item *item = g_new0(Item, 1);
    Item *old;

    if (!rcu_thread_is_registered()) {
        fprintf(stderr, "consumer: the library's constructor did not run\n");
        return 1;
    }
    item->value = 42;
    rcu_assign_pointer(current_item, item);
    WITH_RCU_READ_LOCK_GUARD () {
        if (rcu_dereference(current_item)->value != 42) {
            return 1;
        }
    }
    old = rcu_xchg_pointer(&current_item, g_new0(Item, 1));
    call_rcu(old, item_free, rcu);
    drain_call_rcu();
    synchronize_rcu();
    g_free(current_item);
    if (__atomic_load_n(&reclaimed, __ATOMIC_RELAXED) != 1 ||
        ADDRSPACE_ERROR == 0) {
        fprintf(stderr, "consumer: call_rcu or the error domain failed\n");
        return 1;
    }
    if (!qemu_style_calls()) {
        fprintf(stderr, "consumer: the QEMU-style calls failed\n");
        return 1;
    }
    printf("consumer: ok\n");
    return 0;
}
