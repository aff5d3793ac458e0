/* SPDX-License-Identifier: MIT */
/*
 * addrspace-machine: the project's main program. Until the test machine
 * exists, a small demonstration of RCU publication: a writer publishes
 * new versions of a configuration object while readers read it without
 * locks; old versions are reclaimed after grace periods.
 */
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include <addrspace/addrspace.h>

typedef struct Config {
    struct rcu_head rcu;
    unsigned int version;
    unsigned int square;
} Config;

static Config *current_config;
static gint reclaimed;
static volatile gint stop_readers;

static void config_free(Config *cfg)
{
    g_atomic_int_inc(&reclaimed);
    g_free(cfg);
}

static gpointer reader_main(gpointer arg)
{
    guint64 *reads = arg;

    rcu_register_thread();
    while (!g_atomic_int_get(&stop_readers)) {
        WITH_RCU_READ_LOCK_GUARD () {
            Config *cfg = rcu_dereference(current_config);

            if (cfg->square != cfg->version * cfg->version) {
                fprintf(stderr, "torn read of version %u\n", cfg->version);
                abort();
            }
        }
        (*reads)++;
    }
    rcu_unregister_thread();
    return NULL;
}

int main(void)
{
    enum { READERS = 2, UPDATES = 1000 };
    GThread *threads[READERS];
    guint64 reads[READERS] = {0};
    guint64 total = 0;

    current_config = g_new0(Config, 1);
    for (int i = 0; i < READERS; i++) {
        threads[i] = g_thread_new("reader", reader_main, &reads[i]);
    }
    for (unsigned int v = 1; v <= UPDATES; v++) {
        Config *cfg = g_new0(Config, 1);

        cfg->version = v;
        cfg->square = v * v;
        cfg = rcu_xchg_pointer(&current_config, cfg);
        call_rcu(cfg, config_free, rcu);
        g_usleep(50);
    }
    g_atomic_int_set(&stop_readers, 1);
    for (int i = 0; i < READERS; i++) {
        g_thread_join(threads[i]);
        total += reads[i];
    }
    drain_call_rcu();
    printf("addrspace RCU demo: %d versions published, %" G_GUINT64_FORMAT
           " lock-free reads by %d readers, %d old versions reclaimed after "
           "grace periods\n",
           UPDATES, total, READERS, g_atomic_int_get(&reclaimed));
    g_free(current_config);
    return 0;
}
