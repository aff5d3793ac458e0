/* SPDX-License-Identifier: MIT */
/*
 * The big lock (bql.h): one mutex and a per-thread hold count. It lives
 * in the lowest layer because drain_call_rcu() releases it while waiting.
 */
#include <pthread.h>

#include <glib.h>

#include "rcu-internal.h"

static pthread_mutex_t bql = PTHREAD_MUTEX_INITIALIZER;
/* this thread's holds: 1 normally, more only after a misuse (nesting) */
static __thread unsigned bql_depth;

ADDRSPACE_EXPORT void bql_lock(void)
{
    if (bql_depth) {
        /* QEMU asserts here; no public function aborts on caller bugs */
        g_critical("bql_lock(): the big lock is already held by this thread");
        bql_depth++;
        return;
    }
    pthread_mutex_lock(&bql);
    bql_depth = 1;
}

ADDRSPACE_EXPORT void bql_unlock(void)
{
    if (!bql_depth) {
        g_critical("bql_unlock(): the big lock is not held by this thread");
        return;
    }
    if (--bql_depth == 0) {
        pthread_mutex_unlock(&bql);
    }
}

ADDRSPACE_EXPORT bool bql_locked(void)
{
    return bql_depth != 0;
}

bool bql_lock_unless_held(void)
{
    if (bql_depth) {
        return false;
    }
    pthread_mutex_lock(&bql);
    bql_depth = 1;
    return true;
}

void bql_unlock_taken(void)
{
    bql_depth = 0;
    pthread_mutex_unlock(&bql);
}

unsigned bql_release_all(void)
{
    unsigned depth = bql_depth;

    if (depth) {
        bql_depth = 0;
        pthread_mutex_unlock(&bql);
    }
    return depth;
}

void bql_reacquire(unsigned depth)
{
    if (depth) {
        pthread_mutex_lock(&bql);
        bql_depth = depth;
    }
}
