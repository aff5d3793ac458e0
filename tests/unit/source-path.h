/* SPDX-License-Identifier: MIT */
/* Finding files of the source tree (test data) from a unit test. */
#ifndef TESTS_UNIT_SOURCE_PATH_H
#define TESTS_UNIT_SOURCE_PATH_H

#include <stdarg.h>

#include <glib.h>

/*
 * A file of the source tree, from the path components after its root:
 * __FILE__ is this file's path as given to the compiler, absolute or
 * relative to the build root, which is two levels above this test's
 * executable (tests/unit/).
 */
static inline G_GNUC_NULL_TERMINATED char *source_path(const char *first, ...)
{
    g_autofree char *src_dir = g_path_get_dirname(__FILE__);
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *exe_dir = exe ? g_path_get_dirname(exe) : g_strdup(".");
    g_autofree char *root =
        g_path_is_absolute(src_dir)
            ? g_build_filename(src_dir, "..", "..", NULL)
            : g_build_filename(exe_dir, "..", "..", src_dir, "..", "..", NULL);
    GString *path = g_string_new(root);
    va_list ap;

    va_start(ap, first);
    for (const char *c = first; c; c = va_arg(ap, const char *)) {
        g_string_append_c(path, G_DIR_SEPARATOR);
        g_string_append(path, c);
    }
    va_end(ap);
    return g_string_free(path, false);
}

#endif /* TESTS_UNIT_SOURCE_PATH_H */
