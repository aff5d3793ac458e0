/* SPDX-License-Identifier: MIT */
/*
 * Access fuzzer: the test machine's default board and a byte stream of
 * guest accesses to it (fuzz-access-body.c). The board is built
 * once (again every FUZZ_MACHINE_REBUILD inputs) and put back after every
 * input (fuzz-machine.c): an input runs on the state every other input
 * starts from.
 */
#include "fuzz-common.h"
#include "fuzz-machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FuzzMachine *fm;

    fuzz_access_body(fuzz_machine_next(&fm), data, size, NULL);
    fuzz_machine_reset(fm);
    return 0;
}
