/* SPDX-License-Identifier: MIT */
/*
 * The plain "replay" driver of a libFuzzer harness: feeds every file of
 * the directories (or files) named on the command line to
 * LLVMFuzzerTestOneInput(), in name order, and prints a TAP line per
 * input. Built in every configuration so that the seed corpus and the
 * regression reproducers run in the plain, ASan and TSan test suites; a
 * failing input aborts (the harness's own check) or trips a sanitizer.
 */
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

int main(int argc, char **argv)
{
    unsigned n = 0;
    int failed = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        failed |= replay_path(argv[i], &n);
    }
    printf("1..%u\n", n);
    return failed;
}
