/* SPDX-License-Identifier: MIT */
/*
 * The harnesses' machine (fuzz-machine.h): built once, then put back
 * after every input with machine_state_restore() from a state saved right
 * after the build (the RAM pages the input wrote, the clock, every
 * device, the board ROM devices' modes), and the testdev's log cleared
 * (instrumentation, not device state: each input's checks see its own).
 *
 * Allocations: an input that changed the topology (a flash command turns
 * its ROM device's romd mode off; the restore turns it back on) left
 * replaced views to be freed after a grace period. A listener notes every
 * re-rendering commit, and the reset then waits for those frees: all an
 * input allocated is freed before the reset returns, so libFuzzer's
 * per-input leak check still sees balanced counts.
 */
#include "fuzz-machine.h"

#include <stddef.h>

#include "fuzz-common.h"
#include "testdev.h"

struct FuzzMachine {
    Machine *m;
    MachineState *state;  /* saved after the build */
    MemoryListener watch; /* on "memory": notes commits */
    bool committed;       /* since the last reset */
};

static void note_commit(MemoryListener *listener)
{
    FuzzMachine *fm = (FuzzMachine *)(void *)((char *)listener -
                                              offsetof(FuzzMachine, watch));

    fm->committed = true;
}

FuzzMachine *fuzz_machine_new(void)
{
    static const MachineConfig cfg = {.ram_size = FUZZ_MACHINE_RAM_SIZE};
    FuzzMachine *fm = g_new0(FuzzMachine, 1);
    GError *err = NULL;

    fm->m = machine_new_default(&cfg, &err);
    if (!fm->m) {
        fuzz_fail("default board: %s", err->message);
    }
    machine_set_console_output(fm->m, NULL);
    fm->state = machine_state_save(fm->m, &err);
    if (!fm->state) {
        fuzz_fail("machine state: %s", err->message);
    }
    fm->watch.begin = note_commit;
    fm->watch.name = "fuzz-machine";
    memory_listener_register(&fm->watch,
                             machine_address_space(fm->m, "memory"));
    fm->committed = false; /* the registration's replay */
    return fm;
}

Machine *fuzz_machine_get(FuzzMachine *fm)
{
    return fm->m;
}

void fuzz_machine_reset(FuzzMachine *fm)
{
    TestDev *td = machine_device(fm->m, "testdev", "testdev");
    GError *err = NULL;

#ifndef FUZZ_RESET_PLANTED_SKIP
    if (!machine_state_restore(fm->m, fm->state, &err)) {
        fuzz_fail("machine state restore: %s", err->message);
    }
#else
    (void)err; /* planted bug (test-fuzz-reset): nothing is put back */
#endif
    if (td) {
        testdev_log_clear(td);
    }
    if (fm->committed) {
        /* the replaced views, freed inside this input */
        drain_call_rcu_inline();
        fm->committed = false;
    }
}

void fuzz_machine_free(FuzzMachine *fm)
{
    if (fm) {
        memory_listener_unregister(&fm->watch);
        machine_state_free(fm->state);
        machine_free(fm->m);
        /* the releases that machine_free() queued run now */
        drain_call_rcu();
        g_free(fm);
    }
}

Machine *fuzz_machine_next(FuzzMachine **fm)
{
    static unsigned long calls;

    if (*fm && calls % FUZZ_MACHINE_REBUILD == 1) {
        fuzz_machine_free(*fm);
        *fm = NULL;
    }
    calls++;
    if (!*fm) {
        *fm = fuzz_machine_new();
    }
    return fuzz_machine_get(*fm);
}
