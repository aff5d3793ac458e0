/* SPDX-License-Identifier: MIT */
/* The vm-memory peer: finding, starting and reading it (peer-vmmem.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <glib.h>

#include "bench-config.h"
#include "bench-ram.h"
#include "peer-vmmem.h"

/*
 * One figure the peer prints and the keys it gets on our record; the
 * first figure of a workload gets the plain keys.
 */
typedef struct PeerFigure {
    const char *workload;
    const char *figure;
    const char *value_key;
    const char *speedup_key;
    unsigned int bytes; /* the value in GB/s of this many bytes per op; 0: ns */
} PeerFigure;

static const PeerFigure peer_figures[] = {
    {"W1h", "load", "peer_vmmem_ns_per_op", "speedup_vs_vmmem", 0},
    {"W1h", "read_obj", "peer_vmmem_read_obj_ns_per_op",
     "speedup_vs_vmmem_read_obj", 0},
    {"W2", "store", "peer_vmmem_ns_per_op", "speedup_vs_vmmem", 0},
    {"W2", "write_obj", "peer_vmmem_write_obj_ns_per_op",
     "speedup_vs_vmmem_write_obj", 0},
    {"W3", "read_slice", "peer_vmmem_GB_per_s", "speedup_vs_vmmem", 4096},
    {"W3", "read", "peer_vmmem_read_GB_per_s", "speedup_vs_vmmem_read", 4096},
    {"W7", "read_slice", "peer_vmmem_ns_per_op", "speedup_vs_vmmem", 0},
    {"W7", "read", "peer_vmmem_read_ns_per_op", "speedup_vs_vmmem_read", 0},
    {"W11", "load", "peer_vmmem_ns_per_op", "speedup_vs_vmmem", 0},
    {"W11", "atomic", "peer_vmmem_atomic_ns_per_op", "speedup_vs_vmmem_atomic",
     0},
};

/* Whether the program runs: 0 not tried yet, 1 yes, -1 no (noted). */
static int peer_state;

/* The program to start, or NULL with the reason in *why. */
static const char *peer_path(const char **why)
{
    const char *env = g_getenv("ADDRSPACE_BENCH_VMMEM_PEER");

    if (env) {
        *why = "ADDRSPACE_BENCH_VMMEM_PEER is empty";
        return *env ? env : NULL;
    }
#ifdef BENCH_VMMEM_PEER
    return BENCH_VMMEM_PEER;
#else
    *why = "not built: " BENCH_VMMEM_PEER_WHY;
    return NULL;
#endif
}

/*
 * Runs the peer with @args (NULL-terminated, after the program). Return:
 * its output, with *status its wait status; NULL when it could not start.
 */
static char *peer_run(const char *path, const char *const *args, int *status,
                      GError **err)
{
    const char *argv[8] = {path};
    char *out = NULL;

    for (size_t i = 0; args[i] && i + 2 < G_N_ELEMENTS(argv); i++) {
        argv[i + 1] = args[i];
    }
    /* stderr is ours: the peer's CHECK FAILED messages show as they come. */
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                      &out, NULL, status, err)) {
        return NULL;
    }
    return out;
}

/* Whether the peer runs; the first call prints the note. */
static bool peer_probe(const char **path)
{
    const char *why = NULL;
    const char *const args[] = {"version", NULL};
    GError *err = NULL;
    char *out;
    int status = 0;

    if (peer_state) {
        *path = peer_path(&why);
        return peer_state > 0;
    }
    *path = peer_path(&why);
    peer_state = -1;
    if (!*path) {
        bench_note("peer_vmmem none (%s)", why);
        return false;
    }
    out = peer_run(*path, args, &status, &err);
    if (!out) {
        bench_note("peer_vmmem none (%s: %s)", *path, err->message);
        g_error_free(err);
        return false;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
        g_str_has_prefix(out, "# vmmem-peer ")) {
        out[strcspn(out, "\n")] = '\0';
        bench_note("peer_vmmem %s path=%s", out + strlen("# vmmem-peer "),
                   *path);
        peer_state = 1;
    } else {
        bench_note("peer_vmmem none (%s version: exit status %#x)", *path,
                   (unsigned int)status);
    }
    g_free(out);
    return peer_state > 0;
}

void peer_vmmem_note(void)
{
    const char *path;

    peer_probe(&path);
}

/* FNV-1a over the addresses (the peer's addrs_hash). */
static uint64_t addrs_hash(const uint64_t *addrs)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (unsigned int i = 0; i < BENCH_N_ADDRS; i++) {
        h = (h ^ addrs[i]) * 0x100000001b3ull;
    }
    return h;
}

/*
 * Finds "<workload> figure=<figure> ..." in @out and reads its ns_per_op
 * and addrs_hash. Return: whether the line is there with both.
 */
static bool parse_figure(const char *out, const char *workload,
                         const char *figure, double *ns, uint64_t *hash)
{
    char **lines = g_strsplit(out, "\n", -1);
    bool found = false;

    for (char **l = lines; *l && !found; l++) {
        char **tok = g_strsplit(*l, " ", -1);
        bool ns_ok = false, hash_ok = false;

        if (tok[0] && strcmp(tok[0], workload) == 0 && tok[1] &&
            g_str_has_prefix(tok[1], "figure=") &&
            strcmp(tok[1] + strlen("figure="), figure) == 0) {
            for (char **t = tok + 2; *t; t++) {
                char *end;

                if (g_str_has_prefix(*t, "ns_per_op=")) {
                    *ns = g_ascii_strtod(*t + strlen("ns_per_op="), &end);
                    ns_ok = *end == '\0' && *ns > 0;
                } else if (g_str_has_prefix(*t, "addrs_hash=")) {
                    *hash =
                        g_ascii_strtoull(*t + strlen("addrs_hash="), &end, 16);
                    hash_ok = *end == '\0';
                }
            }
            found = ns_ok && hash_ok;
        }
        g_strfreev(tok);
    }
    g_strfreev(lines);
    return found;
}

size_t peer_vmmem_fields(BenchContext *ctx, const char *workload,
                         const uint64_t *addrs, double ns_per_op,
                         BenchField *out)
{
    char min_ns[24], reps[12];
    const char *const args[] = {workload, ctx->quick ? "1" : "0", min_ns, reps,
                                NULL};
    const char *path;
    GError *err = NULL;
    char *text;
    int status = 0;
    size_t n = 0;

    if (!peer_probe(&path)) {
        return 0;
    }
    /* Our method exactly: the targets compare its figures with ours. */
    snprintf(min_ns, sizeof(min_ns), "%" PRIu64, ctx->min_rep_ns);
    snprintf(reps, sizeof(reps), "%u", ctx->repetitions);
    text = peer_run(path, args, &status, &err);
    if (!text) {
        bench_check(ctx, false, "vm-memory peer %s: %s", path, err->message);
        g_error_free(err);
        return 0;
    }
    if (!bench_check(ctx, WIFEXITED(status) && WEXITSTATUS(status) == 0,
                     "vm-memory peer %s %s: wait status %#x", path, workload,
                     (unsigned int)status)) {
        g_free(text);
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(peer_figures); i++) {
        const PeerFigure *f = &peer_figures[i];
        double ns = 0;
        uint64_t hash = 0;

        if (strcmp(f->workload, workload) != 0) {
            continue;
        }
        if (!bench_check(
                ctx, parse_figure(text, workload, f->figure, &ns, &hash),
                "vm-memory peer: no figure=%s in its output", f->figure) ||
            !bench_check(ctx, hash == addrs_hash(addrs),
                         "vm-memory peer: %s used other addresses than ours "
                         "(hash %#" PRIx64 ")",
                         f->figure, hash)) {
            n = 0;
            break;
        }
        g_assert(n + 2 <= PEER_VMMEM_MAX_FIELDS);
        out[n++] = (BenchField){f->value_key, f->bytes ? f->bytes / ns : ns};
        out[n++] = (BenchField){f->speedup_key, ns / ns_per_op};
    }
    g_free(text);
    return n;
}
