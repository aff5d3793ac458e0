/* SPDX-License-Identifier: MIT */
/*
 * The plain "replay" driver of a libFuzzer harness: feeds every file of
 * the directories (or files) named on the command line to
 * LLVMFuzzerTestOneInput(), in name order, and prints a TAP line per
 * input. Built in every configuration so that the seed corpus and the
 * regression reproducers run in the plain, ASan and TSan test suites; a
 * failing input aborts (the harness's own check) or trips a sanitizer.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "fuzz-common.h"

static int replay_file(const char *path, unsigned *n)
{
    gchar *data = NULL;
    gsize len = 0;
    GError *err = NULL;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        printf("not ok %u - %s: %s\n", ++*n, path, err->message);
        g_error_free(err);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    g_free(data);
    printf("ok %u - %s\n", ++*n, path);
    fflush(stdout);
    return 0;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path, unsigned *n)
{
    GPtrArray *names;
    GDir *dir;
    const char *name;
    int failed = 0;

    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        return replay_file(path, n);
    }
    dir = g_dir_open(path, 0, NULL);
    if (!dir) {
        printf("not ok %u - cannot open %s\n", ++*n, path);
        return 1;
    }
    names = g_ptr_array_new_with_free_func(g_free);
    while ((name = g_dir_read_name(dir))) {
        if (name[0] != '.') {
            g_ptr_array_add(names, g_build_filename(path, name, NULL));
        }
    }
    g_dir_close(dir);
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        failed |= replay_path(names->pdata[i], n);
    }
    g_ptr_array_free(names, true);
    return failed;
}

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
            "Usage: %s [--] CORPUS-DIR-OR-FILE...\n"
            "Feeds every file (of every directory) to the fuzz harness, one "
            "TAP test per file.\n",
            prog);
}

int main(int argc, char **argv)
{
    unsigned n = 0;
    int failed = 0, first = 1;

    /* no options but help: a leading '-' is a mistake, not a file */
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--")) {
            first++;
            break;
        }
        if (!strcmp(argv[first], "-h") || !strcmp(argv[first], "--help") ||
            !strcmp(argv[first], "-help")) {
            usage(stdout, argv[0]);
            return 0;
        }
        fprintf(stderr, "%s: unknown option '%s' (see %s --help)\n", argv[0],
                argv[first], argv[0]);
        return 2;
    }
    if (first >= argc) {
        usage(stderr, argv[0]);
        return 2;
    }
    for (int i = first; i < argc; i++) {
        failed |= replay_path(argv[i], &n);
    }
    printf("1..%u\n", n);
    return failed;
}
