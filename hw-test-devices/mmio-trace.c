/* SPDX-License-Identifier: MIT */
/* The MMIO dispatch log of addrspace-machine --trace (mmio-trace.h). */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <addrspace/hooks.h>

#include "mmio-trace.h"

#define TRACE_SPACES 2

struct MmioTrace {
    FILE *out;
    pthread_mutex_t lock; /* one line at a time */
    AddressSpace *spaces[TRACE_SPACES];
    AddressSpaceHook *hooks[TRACE_SPACES];
};

static void trace_hook(AddressSpace *as, const AddressSpaceAccess *a,
                       void *opaque)
{
    MmioTrace *t = opaque;
    MemoryRegion *mr = a->mr;

    /* direct memory is no dispatch: RAM, ROM (writes are dropped), romd
     * reads; RAM devices go through their ops */
    if ((memory_region_is_ram(mr) && !memory_region_is_ram_device(mr)) ||
        (memory_region_is_romd(mr) && !a->is_write)) {
        return;
    }
    pthread_mutex_lock(&t->lock);
    fprintf(t->out,
            "mmio %s %s %s+0x%" PRIx64 " %" PRIu64 " 0x%" PRIx64 " %s\n",
            address_space_name(as), a->is_write ? "write" : "read",
            memory_region_name(mr), a->offset, a->size, a->value,
            memtx_result_name(a->result));
    fflush(t->out);
    pthread_mutex_unlock(&t->lock);
}

MmioTrace *mmio_trace_start(Machine *m, const char *path, GError **errp)
{
    MmioTrace *t = g_new0(MmioTrace, 1);
    AddressSpace *mem = machine_address_space(m, NULL);
    AddressSpace *io = machine_address_space(m, "I/O");

    t->out = fopen(path, "w");
    if (!t->out) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "--trace %s: %s", path, g_strerror(errno));
        g_free(t);
        return NULL;
    }
    pthread_mutex_init(&t->lock, NULL);
    t->spaces[0] = mem;
    t->spaces[1] = io != mem ? io : NULL;
    for (int i = 0; i < TRACE_SPACES; i++) {
        if (t->spaces[i]) {
            /* cannot fail: an initialised space, valid arguments */
            t->hooks[i] = address_space_hook_add(t->spaces[i], 0, UINT64_MAX,
                                                 ADDRSPACE_HOOK_ACCESS,
                                                 trace_hook, t, NULL, NULL);
        }
    }
    return t;
}

void mmio_trace_stop(MmioTrace *t)
{
    if (!t) {
        return;
    }
    for (int i = 0; i < TRACE_SPACES; i++) {
        if (t->hooks[i]) {
            address_space_hook_remove(t->spaces[i], t->hooks[i], NULL);
        }
    }
    /* no hook call can still be running after this */
    drain_call_rcu();
    fclose(t->out);
    pthread_mutex_destroy(&t->lock);
    g_free(t);
}
