/* SPDX-License-Identifier: MIT */
/*
 * A C++17 program using the library: built in the tree (test consumer-cpp)
 * and against the installed package with pkg-config's flags, by g++ and
 * clang++ (tests/install/install-test.sh). It uses what C++ could trip
 * over: the inline typed accessors of both families, MEMTXATTRS_UNSPECIFIED,
 * the endian field helpers, the RCU guards and QEMU's call_rcu().
 */
#include <cstdio>
#include <memory>

#include <addrspace/addrspace.h>

namespace
{

uint32_t reg_value;

MemoryRegionOps make_reg_ops()
{
    MemoryRegionOps ops{};

    ops.read = [](void *, hwaddr, unsigned) -> uint64_t { return reg_value; };
    ops.write = [](void *, hwaddr, uint64_t data, unsigned) {
        reg_value = static_cast<uint32_t>(data);
    };
    ops.endianness = DEVICE_BIG_ENDIAN;
    ops.valid.min_access_size = 4;
    ops.valid.max_access_size = 4;
    return ops;
}

const MemoryRegionOps reg_ops = make_reg_ops();

struct Item {
    struct rcu_head rcu;
    int value;
};

int reclaimed;

void item_free(Item *item)
{
    __atomic_fetch_add(&reclaimed, 1, __ATOMIC_RELAXED);
    delete item;
}

Item *current_item;

bool check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "consumer-cpp: %s failed\n", what);
    }
    return ok;
}

} // namespace

int main()
{
    static MemoryRegion root, ram, reg;
    static AddressSpace as;
    GError *err = nullptr;
    MemTxResult r = MEMTX_ERROR;
    bool ok = true;

    if (!memory_region_init(&root, nullptr, "system", UINT64_MAX, &err) ||
        !memory_region_init_ram(&ram, nullptr, "ram", 0x10000, &err) ||
        !memory_region_init_io(&reg, nullptr, &reg_ops, nullptr, "reg", 4,
                               &err) ||
        !memory_region_add_subregion(&root, 0, &ram, &err) ||
        !memory_region_add_subregion(&root, 0x100000, &reg, &err) ||
        !address_space_init(&as, &root, "memory", &err)) {
        std::fprintf(stderr, "consumer-cpp: %s\n", err->message);
        g_error_free(err);
        return 1;
    }

    address_space_stq_le(&as, 0x80, 0x1122334455667788ull,
                         MEMTXATTRS_UNSPECIFIED, nullptr);
    ok &= check(address_space_ldq_le(&as, 0x80, MEMTXATTRS_UNSPECIFIED, &r) ==
                        0x1122334455667788ull &&
                    r == MEMTX_OK,
                "address_space_ldq_le");
    address_space_stl_be(&as, 0x100000, 0xcafef00d, MEMTXATTRS_UNSPECIFIED,
                         nullptr);
    ok &= check(reg_value == 0xcafef00d, "MMIO store");
    ok &= check(address_space_ldub(&as, 0x100000, MEMTXATTRS_UNSPECIFIED, &r) ==
                        0 &&
                    r == MEMTX_DECODE_ERROR,
                "byte read of a 4-byte-only register");

    GuestMemory *mem = guest_memory_from_address_space(&as);
    ok &= check(guest_memory_ldl_le(mem, 0x80, MEMTXATTRS_UNSPECIFIED, &r) ==
                        0x55667788u &&
                    r == MEMTX_OK,
                "guest_memory_ldl_le");
    guest_memory_stw_be(mem, 0x90, 0xabcd, MEMTXATTRS_UNSPECIFIED, nullptr);
    guest_memory_put(mem);
    ok &= check(le16_get(le16_make(0x1234)) == 0x1234 && be32_make(1).raw != 1u,
                "endian fields");
    ok &= check(address_space_lduw_be(&as, 0x90, MEMTXATTRS_UNSPECIFIED,
                                      nullptr) == 0xabcd,
                "address_space_lduw_be");

    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    ok &= check(attrs.unspecified && !attrs.secure, "MEMTXATTRS_UNSPECIFIED");

    /* the headers added for QEMU device code link from C++ too */
    uint32_t word = 0;
    bql_lock();
    ok &= check(bql_locked(), "bql_locked");
    ok &= check(dma_memory_read(&as, 0x80, &word, sizeof(word), attrs) ==
                        MEMTX_OK &&
                    word == 0x55667788u,
                "dma_memory_read");
    bql_unlock();
    ok &= check(ldl_le_phys(&as, 0x80) == 0x55667788u, "ldl_le_phys");

    /* RCU: publish, read under both guards, retire with QEMU's call_rcu */
    Item *item = new Item();
    item->value = 7;
    rcu_assign_pointer(current_item, item);
    WITH_RCU_READ_LOCK_GUARD () {
        ok &= check(rcu_dereference(current_item)->value == 7, "guard");
    }
    {
        RCU_READ_LOCK_GUARD();
        ok &= check(rcu_dereference(current_item) == item, "block guard");
    }
    Item *old = rcu_xchg_pointer(&current_item, nullptr);
    call_rcu(old, item_free, rcu);
    drain_call_rcu();
    ok &= check(__atomic_load_n(&reclaimed, __ATOMIC_RELAXED) == 1, "call_rcu");

    address_space_destroy(&as);
    memory_region_del_subregion(&root, &reg, nullptr);
    memory_region_del_subregion(&root, &ram, nullptr);
    drain_call_rcu();
    memory_region_finalize(&reg);
    memory_region_finalize(&ram);
    memory_region_finalize(&root);
    std::printf("consumer-cpp: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
