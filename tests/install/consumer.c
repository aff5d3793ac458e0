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
    printf("consumer: ok\n");
    return 0;
}
