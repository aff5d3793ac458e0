/* SPDX-License-Identifier: MIT */
/*
 * The harnesses' typed accesses and the dma-testdev's register writes
 * (fuzz-common.h), out of line: in the libFuzzer binaries this file is
 * built without comparison tracing, as the library is
 * (tests/fuzz/meson.build), so that the inline access paths it expands
 * count their edges but do not call into libFuzzer at every compare of an
 * address with a section's bounds.
 */
#include "dma-testdev.h"
#include "fuzz-common.h"

MemTxResult fuzz_typed_access_value(AddressSpace *as, unsigned which, hwaddr a,
                                    uint64_t v, MemTxAttrs attrs,
                                    uint64_t *loaded)
{
    MemTxResult res = MEMTX_OK;
    uint64_t got = 0;

    switch (which % FUZZ_TYPED_ACCESSES) {
    case 0:
        got = address_space_ldub(as, a, attrs, &res);
        break;
    case 1:
        got = address_space_lduw(as, a, attrs, &res);
        break;
    case 2:
        got = address_space_lduw_le(as, a, attrs, &res);
        break;
    case 3:
        got = address_space_lduw_be(as, a, attrs, &res);
        break;
    case 4:
        got = address_space_ldl(as, a, attrs, &res);
        break;
    case 5:
        got = address_space_ldl_le(as, a, attrs, &res);
        break;
    case 6:
        got = address_space_ldl_be(as, a, attrs, &res);
        break;
    case 7:
        got = address_space_ldq(as, a, attrs, &res);
        break;
    case 8:
        got = address_space_ldq_le(as, a, attrs, &res);
        break;
    case 9:
        got = address_space_ldq_be(as, a, attrs, &res);
        break;
    case 10:
        address_space_stb(as, a, (uint8_t)v, attrs, &res);
        break;
    case 11:
        address_space_stw(as, a, (uint16_t)v, attrs, &res);
        break;
    case 12:
        address_space_stw_le(as, a, (uint16_t)v, attrs, &res);
        break;
    case 13:
        address_space_stw_be(as, a, (uint16_t)v, attrs, &res);
        break;
    case 14:
        address_space_stl(as, a, (uint32_t)v, attrs, &res);
        break;
    case 15:
        address_space_stl_le(as, a, (uint32_t)v, attrs, &res);
        break;
    case 16:
        address_space_stl_be(as, a, (uint32_t)v, attrs, &res);
        break;
    case 17:
        address_space_stq(as, a, v, attrs, &res);
        break;
    case 18:
        address_space_stq_le(as, a, v, attrs, &res);
        break;
    default:
        address_space_stq_be(as, a, v, attrs, &res);
        break;
    }
    *loaded = got;
    return res;
}

MemTxResult fuzz_typed_access(AddressSpace *as, unsigned which, hwaddr a,
                              uint64_t v, MemTxAttrs attrs)
{
    uint64_t loaded;

    return fuzz_typed_access_value(as, which, a, v, attrs, &loaded);
}

uint32_t fuzz_dma_testdev_copy(AddressSpace *as, hwaddr base, uint64_t src,
                               uint64_t dst, uint32_t len, MemTxResult *res)
{
    const MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;

    address_space_stq_le(as, base + DMA_TESTDEV_REG_SRC_LO, src, attrs, res);
    address_space_stq_le(as, base + DMA_TESTDEV_REG_DST_LO, dst, attrs, res);
    address_space_stl_le(as, base + DMA_TESTDEV_REG_LEN, len, attrs, res);
    address_space_stl_le(as, base + DMA_TESTDEV_REG_CMD, DMA_TESTDEV_CMD_COPY,
                         attrs, res);
    return address_space_ldl_le(as, base + DMA_TESTDEV_REG_STATUS, attrs, res);
}
