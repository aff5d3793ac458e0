/* SPDX-License-Identifier: MIT */
/*
 * The qtest front end's input side: splitting a byte stream into bounded
 * lines, and the drivers (file descriptors, a Unix socket, a script file).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "qtest-internal.h"

/* ---- line splitting ----------------------------------------------------- */

void qtest_session_feed(QTestSession *s, const char *data, size_t len,
                        GString *out)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t chunk = nl ? (size_t)(nl - data) : len;

        if (!s->discarding) {
            if (s->inbuf->len + chunk > QTEST_MAX_LINE) {
                s->discarding = true;
                g_string_truncate(s->inbuf, 0);
            } else {
                g_string_append_len(s->inbuf, data, (gssize)chunk);
            }
        }
        if (!nl) {
            return;
        }
        if (s->discarding) {
            g_string_append(out, "FAIL line too long\n");
            qtest_out_flush(s, out);
            s->discarding = false;
        } else {
            qtest_session_process_line(s, s->inbuf->str, s->inbuf->len, out);
            g_string_truncate(s->inbuf, 0);
        }
        data = nl + 1;
        len -= chunk + 1;
    }
}

void qtest_session_finish(QTestSession *s, GString *out)
{
    if (s->inbuf->len || s->discarding) {
        qtest_session_feed(s, "\n", 1, out);
    }
}

/* ---- drivers ------------------------------------------------------------ */

static bool write_all(int fd, const char *buf, size_t len, GError **errp)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                                "write failed: %s", g_strerror(errno));
            return false;
        }
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* The drivers' output function: responses go out as they are made. */
typedef struct FdOutput {
    int fd;
    GError *err; /* the first write error */
} FdOutput;

static bool fd_output(void *opaque, const char *data, size_t len)
{
    FdOutput *o = opaque;

    return !o->err && write_all(o->fd, data, len, &o->err);
}

bool qtest_serve_fd(Machine *m, int in_fd, int out_fd, GError **errp)
{
    QTestSession *s = qtest_session_new(m);
    FdOutput output = {.fd = out_fd};
    GString *out = g_string_new(NULL);
    char *buf = g_malloc(65536);
    bool ok = true;

    qtest_session_set_output(s, fd_output, &output);
    for (;;) {
        ssize_t n = read(in_fd, buf, 65536);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                                "read failed: %s", g_strerror(errno));
            ok = false;
            break;
        }
        if (n == 0) {
            qtest_session_finish(s, out);
        } else {
            qtest_session_feed(s, buf, (size_t)n, out);
        }
        if (output.err) {
            addrspace_error_propagate(errp, output.err);
            ok = false;
            break;
        }
        if (n == 0) {
            break;
        }
    }
    g_free(buf);
    g_string_free(out, TRUE);
    qtest_session_free(s);
    return ok;
}

static bool socket_error(const char *what, const char *path, GError **errp)
{
    addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS, "%s %s: %s",
                        what, path, g_strerror(errno));
    return false;
}

/* A stream socket and the address of @path; -1 with @errp set. */
static int unix_socket(const char *path, struct sockaddr_un *sa, GError **errp)
{
    int fd;

    *sa = (struct sockaddr_un){.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa->sun_path)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_INVALID,
                            "socket path too long: %s", path);
        return -1;
    }
    memcpy(sa->sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        socket_error("cannot create socket for", path, errp);
    }
    return fd;
}

bool qtest_serve_socket(Machine *m, const char *path, GError **errp)
{
    struct sockaddr_un sa;
    struct stat st;
    int lfd, cfd;
    bool ok;

    lfd = unix_socket(path, &sa, errp);
    if (lfd < 0) {
        return false;
    }
    /* Replace a stale socket, never another kind of file. */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(path);
    }
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(lfd, 1) < 0) {
        socket_error("cannot listen on", path, errp);
        close(lfd);
        return false;
    }
    do {
        cfd = accept(lfd, NULL, NULL);
    } while (cfd < 0 && errno == EINTR);
    if (cfd < 0) {
        socket_error("cannot accept on", path, errp);
        close(lfd);
        unlink(path);
        return false;
    }
    close(lfd);
    unlink(path);
    ok = qtest_serve_fd(m, cfd, cfd, errp);
    close(cfd);
    return ok;
}

bool qtest_serve_unix_client(Machine *m, const char *path, GError **errp)
{
    struct sockaddr_un sa;
    int fd = unix_socket(path, &sa, errp), r;
    bool ok;

    if (fd < 0) {
        return false;
    }
    do {
        r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        /* QEMU 7.2's words */
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "Failed to connect to '%s': %s", path,
                            g_strerror(errno));
        close(fd);
        return false;
    }
    ok = qtest_serve_fd(m, fd, fd, errp);
    close(fd);
    return ok;
}

static bool file_output(void *opaque, const char *data, size_t len)
{
    return fwrite(data, 1, len, opaque) == len;
}

bool qtest_run_script(Machine *m, const char *path, FILE *out, GError **errp)
{
    FILE *f = fopen(path, "rb");
    QTestSession *s;
    GString *resp;
    char buf[4096];
    size_t n;
    bool ok = true;

    if (!f) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "cannot open %s: %s", path, g_strerror(errno));
        return false;
    }
    s = qtest_session_new(m);
    qtest_session_set_output(s, file_output, out);
    resp = g_string_new(NULL);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        qtest_session_feed(s, buf, n, resp);
    }
    if (ferror(f)) {
        addrspace_error_set(errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_OS,
                            "cannot read %s: %s", path, g_strerror(errno));
        ok = false;
    } else {
        qtest_session_finish(s, resp);
    }
    fflush(out);
    fclose(f);
    g_string_free(resp, TRUE);
    qtest_session_free(s);
    return ok;
}
