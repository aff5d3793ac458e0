/* SPDX-License-Identifier: MIT */
/**
 * @file qtest-chardev.h
 * @brief The character devices `-qtest` accepts, in QEMU 7.2's spelling.
 *
 * | `-qtest` value | QEMU 7.2 | here |
 * |---|---|---|
 * | `stdio` | commands on stdin, responses on stdout | the same |
 * | `unix:PATH` | connects to a listening socket (libqtest listens) | the same |
 * | `unix:PATH,server=on` | listens, waits for a client (`wait=off`: does not wait to start) | listens and serves one client; `wait` is accepted and changes nothing, since the machine only runs commands |
 *
 * The socket options are QEMU's: `path=PATH` may name the path, booleans
 * take on/off/yes/no/true/false/y/n, and the short forms `server`,
 * `noserver`, `wait`, `nowait` (deprecated in QEMU 7.2, still accepted
 * there) are accepted; ",," is a comma inside the path. `wait` with a
 * client is refused as QEMU refuses it. Other backends (`tcp:`, `pipe:`,
 * ...) and socket options (`reconnect`, `abstract`, ...) are refused by
 * name. Differences: when the client of a listening socket disconnects,
 * QEMU keeps listening for the next one; here the session, and the
 * program, end.
 */
#ifndef HW_TEST_DEVICES_QTEST_CHARDEV_H
#define HW_TEST_DEVICES_QTEST_CHARDEV_H

#include "machine.h"

/**
 * enum QTestChardevKind - where the qtest session runs.
 * @QTEST_CHARDEV_STDIO: stdin and stdout.
 * @QTEST_CHARDEV_UNIX_CLIENT: a connection to a listening Unix socket.
 * @QTEST_CHARDEV_UNIX_SERVER: one client of a Unix socket we listen on.
 */
typedef enum QTestChardevKind {
    QTEST_CHARDEV_STDIO,
    QTEST_CHARDEV_UNIX_CLIENT,
    QTEST_CHARDEV_UNIX_SERVER,
} QTestChardevKind;

/**
 * struct QTestChardev - a parsed `-qtest` value.
 * @kind: the backend.
 * @path: the socket's path (owned; NULL for stdio).
 */
typedef struct QTestChardev {
    QTestChardevKind kind;
    char *path;
} QTestChardev;

/**
 * qtest_chardev_parse() - Parse a `-qtest` value.
 * @spec: the value; "" means stdio (the bare `--qtest` of earlier versions).
 * @dev: filled on success; release it with qtest_chardev_clear().
 * @errp: error return (ADDRSPACE_ERROR_PARSE naming what is wrong, or
 *        ADDRSPACE_ERROR_INVALID for what QEMU accepts but this program
 *        does not support).
 *
 * Return: true on success.
 */
bool qtest_chardev_parse(const char *spec, QTestChardev *dev, GError **errp);

/**
 * qtest_chardev_clear() - Release what qtest_chardev_parse() allocated.
 * @dev: the parsed value (may be zero-filled).
 */
void qtest_chardev_clear(QTestChardev *dev);

/**
 * qtest_chardev_serve() - Serve @m's qtest session on @dev until the end of
 * its input.
 * @m: the machine.
 * @dev: where.
 * @errp: error return (the socket cannot be connected or listened on, or
 *        a read or write failed).
 *
 * Context: as qtest_serve_fd().
 * Return: true at a clean end of input.
 */
bool qtest_chardev_serve(Machine *m, const QTestChardev *dev, GError **errp);

#endif /* HW_TEST_DEVICES_QTEST_CHARDEV_H */
