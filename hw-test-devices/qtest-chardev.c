/* SPDX-License-Identifier: MIT */
/*
 * The `-qtest` character devices (qtest-chardev.h): QEMU 7.2's compat
 * syntax (chardev/char.c, qemu_chr_parse_compat(): "stdio", "unix:" +
 * QemuOpts with "path" implied first) parsed into a backend, and the
 * session served on it.
 */
#include <stdarg.h>
#include <string.h>

#include "qtest-chardev.h"
#include "qtest.h"

static bool parse_error(GError **errp, int code, const char *spec,
                        const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static bool parse_error(GError **errp, int code, const char *spec,
                        const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    addrspace_error_set(errp, ADDRSPACE_ERROR, code, "-qtest '%s': %s", spec,
                        msg);
    return false;
}

/* QEMU's qapi_bool_parse() values. */
static bool parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") ||
        !strcmp(v, "y")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") ||
        !strcmp(v, "n")) {
        *out = false;
        return true;
    }
    return false;
}

/*
 * The next comma-separated element of @p, with ",," read as a comma (as
 * QemuOpts' get_opt_value()). Returns a new string; *@p moves past it.
 */
static char *next_element(const char **p)
{
    GString *s = g_string_new(NULL);
    const char *q = *p;

    for (; *q; q++) {
        if (*q == ',') {
            if (q[1] != ',') {
                q++;
                break;
            }
            q++;
        }
        g_string_append_c(s, *q);
    }
    *p = q;
    return g_string_free(s, FALSE);
}

static bool parse_unix(const char *spec, const char *opts, QTestChardev *dev,
                       GError **errp)
{
    const char *p = opts;
    bool server = false, wait_given = false, wait = true;
    char *path = NULL;

    for (bool first = true; *p || first; first = false) {
        g_autofree char *el = next_element(&p);
        char *eq = strchr(el, '=');
        const char *key = el, *val = NULL;
        bool b;

        if (eq) {
            *eq = '\0';
            val = eq + 1;
        }
        if (first && !eq) {
            path = g_strdup(el); /* QEMU: "path" is implied first */
            continue;
        }
        if (!val && !strncmp(key, "no", 2)) {
            key += 2;
            val = "off";
        } else if (!val) {
            val = "on";
        }
        if (!strcmp(key, "path")) {
            g_free(path);
            path = g_strdup(val);
        } else if (!strcmp(key, "server") || !strcmp(key, "wait")) {
            if (!parse_bool(val, &b)) {
                g_free(path);
                return parse_error(errp, ADDRSPACE_ERROR_PARSE, spec,
                                   "'%s' takes on or off", key);
            }
            if (key[0] == 's') {
                server = b;
            } else {
                wait_given = true;
                wait = b;
            }
        } else {
            g_free(path);
            return parse_error(errp, ADDRSPACE_ERROR_INVALID, spec,
                               "socket option '%s' is not supported here "
                               "(path, server and wait are)",
                               key);
        }
    }
    (void)wait; /* one client is served either way: nothing runs meanwhile */
    if (!path || !*path) {
        g_free(path);
        return parse_error(errp, ADDRSPACE_ERROR_PARSE, spec, "no socket path");
    }
    if (!server && wait_given) {
        g_free(path); /* QEMU 7.2's answer, chardev/char-socket.c */
        return parse_error(errp, ADDRSPACE_ERROR_PARSE, spec, "%s",
                           "'wait' option is incompatible with socket in "
                           "client connect mode");
    }
    dev->kind = server ? QTEST_CHARDEV_UNIX_SERVER : QTEST_CHARDEV_UNIX_CLIENT;
    dev->path = path;
    return true;
}

bool qtest_chardev_parse(const char *spec, QTestChardev *dev, GError **errp)
{
    *dev = (QTestChardev){.kind = QTEST_CHARDEV_STDIO};
    if (!*spec || !strcmp(spec, "stdio")) {
        return true;
    }
    if (!strncmp(spec, "unix:", 5)) {
        return parse_unix(spec, spec + 5, dev, errp);
    }
    return parse_error(errp, ADDRSPACE_ERROR_INVALID, spec, "%s",
                       "only stdio, unix:PATH and unix:PATH,server=on are "
                       "supported");
}

void qtest_chardev_clear(QTestChardev *dev)
{
    g_free(dev->path);
    dev->path = NULL;
}

bool qtest_chardev_serve(Machine *m, const QTestChardev *dev, GError **errp)
{
    switch (dev->kind) {
    case QTEST_CHARDEV_UNIX_CLIENT:
        return qtest_serve_unix_client(m, dev->path, errp);
    case QTEST_CHARDEV_UNIX_SERVER:
        return qtest_serve_socket(m, dev->path, errp);
    case QTEST_CHARDEV_STDIO:
    default:
        return qtest_serve_fd(m, 0, 1, errp);
    }
}
