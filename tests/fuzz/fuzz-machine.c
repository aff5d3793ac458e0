/* SPDX-License-Identifier: MIT */
/*
 * The harnesses' machine (fuzz-machine.h).
 */
#include "fuzz-machine.h"

#include "fuzz-common.h"

struct FuzzMachine {
    Machine *m;
};

static Machine *build(void)
{
    static const MachineConfig cfg = {.ram_size = FUZZ_MACHINE_RAM_SIZE};
    GError *err = NULL;
    Machine *m = machine_new_default(&cfg, &err);

    if (!m) {
        fuzz_fail("default board: %s", err->message);
    }
    machine_set_console_output(m, NULL);
    return m;
}

FuzzMachine *fuzz_machine_new(void)
{
    FuzzMachine *fm = g_new0(FuzzMachine, 1);

    fm->m = build();
    return fm;
}

Machine *fuzz_machine_get(FuzzMachine *fm)
{
    return fm->m;
}

static void free_machine(Machine *m)
{
    machine_free(m);
    /* the releases that machine_free() queued run now, inside this call */
    drain_call_rcu();
    drain_call_rcu();
}

void fuzz_machine_reset(FuzzMachine *fm)
{
#ifndef FUZZ_RESET_PLANTED_SKIP
    free_machine(fm->m);
    fm->m = build();
#else
    (void)fm; /* planted bug (test-fuzz-reset): nothing is put back */
#endif
}

void fuzz_machine_free(FuzzMachine *fm)
{
    if (fm) {
        free_machine(fm->m);
        g_free(fm);
    }
}
