/* SPDX-License-Identifier: MIT */
/**
 * @file qtest.h
 * @brief The test machine's front end: QEMU's qtest text protocol.
 *
 * One command per line, one response per command; asynchronous
 * `IRQ raise N` / `IRQ lower N` lines may come before a response (they are
 * produced while the command runs, e.g. by a timer firing in clock_step);
 * timers due at once fire after each command, as in QEMU's main loop, and
 * their lines follow its response.
 * Responses are byte-for-byte those of QEMU's system/qtest.c for valid
 * commands:
 *
 * | command | response |
 * |---|---|
 * | `readb/readw/readl/readq ADDR` | `OK 0x%016x` (N bytes read as a buffer, in target byte order) |
 * | `writeb/writew/writel/writeq ADDR VAL` | `OK` |
 * | `read ADDR SIZE` | `OK 0x` + 2*SIZE lower-case hex digits |
 * | `write ADDR SIZE 0xHEX` | `OK` (missing bytes are zeros; data under 3 characters: `ERR invalid argument size`) |
 * | `b64read ADDR SIZE` | `OK ` + base64 |
 * | `b64write ADDR SIZE B64` | `OK` (as write; B64 must be strict base64, else `FAIL invalid base64 data (...)` and nothing is written) |
 * | `memset ADDR SIZE VAL` | `OK` |
 * | `inb/inw/inl PORT` | `OK 0x%04x` (little-endian typed loads on "I/O") |
 * | `outb/outw/outl PORT VAL` | `OK` |
 * | `clock_step [NS]` | `OK <ns>`, the time after the step, as QEMU 7.2: a step of 0, a negative one or one past 2^63 - 1 ns (the sum wraps) leaves the clock; without NS, to the next timer deadline, or nowhere when none is pending; `FAIL timer work budget exhausted: stopped at <ns> ns` when the step made MACHINE_CLOCK_BUDGET timer callbacks |
 * | `clock_set NS` | `OK <ns>`, the time after it (unchanged when NS is in the past), as QEMU 7.2; the same FAIL as clock_step |
 * | `endianness` | `OK little` / `OK big` |
 * | `irq_intercept_in ioapic`, `irq_intercept_out DEVICE` | `OK`, `FAIL Unknown device`, `FAIL IRQ intercept already enabled`, `FAIL No intercepts installed` |
 * | `set_irq_in ioapic unnamed-gpio-in N LEVEL` | `OK` |
 * | unknown | `FAIL Unknown command 'WORD'` |
 *
 * Extensions (not in QEMU): `info mtree [-f] [-o] [-D]` prints the dump of
 * mtree_info_flags() (tree, or FlatViews with -f, owners as QEMU's `-o`
 * prints them with -o, disabled regions with -D; flags in any order)
 * followed by a line `OK`; no dump line is ever exactly `OK`, so a client
 * reads until that line.
 * `snapshot save NAME` saves the machine's state (machine_state_save())
 * and the interrupt levels the session reports under NAME; `snapshot load
 * NAME` restores both (machine_state_restore(); the lines are not
 * reported again). Answers `OK`, `FAIL no snapshot of that name` or
 * `FAIL <reason>`.
 *
 * Where QEMU aborts, this front end answers `FAIL <reason>` and the session
 * goes on: missing or extra arguments, malformed numbers (integers are
 * C integers with base prefixes as QEMU's strtoul base 0: `0x1f`, `017`,
 * `31`; no sign except for clock_step/clock_set), sizes above
 * QTEST_MAX_SIZE, ports above 0xffff, `read` of 0 bytes, data without
 * `0x` or with non-hex digits, b64write data that is not strict base64
 * (RFC 4648 alphabet, length a multiple of 4, `=` only as the final
 * padding, no stray bits after the last byte; QEMU's lenient decoder
 * skips bad characters and writes what remains), NUL or control
 * characters. Words are
 * separated by runs of spaces or tabs; a trailing `\r` is ignored; empty
 * lines and lines starting with `#` get no response (QEMU crashes on an
 * empty line). Input lines longer than QTEST_MAX_LINE are discarded with
 * `FAIL line too long`.
 *
 * IRQ numbering: the board's HPET lines 0-23 are wired one-to-one to the
 * inputs of a notional interrupt controller named "ioapic", as QEMU's pc
 * and q35 machines wire HPET output n to GSI n (lines 24-31 are not
 * connected), so `irq_intercept_in ioapic` (QEMU's idiom for a PC) and
 * `irq_intercept_out hpet` report the same numbers. (QEMU's
 * `irq_intercept_out` on its HPET would report the PIT-enable output
 * instead.) QOM paths are reduced
 * to their last component ("/machine/ioapic" is "ioapic").
 *
 * Output: a session given an output function (qtest_session_set_output(),
 * as the drivers do) streams: it passes each command's output on as soon
 * as the command ends, and a long reply (`read`, `b64read`, `info mtree`,
 * a flood of IRQ lines) in pieces of about QTEST_OUTPUT_CHUNK bytes, so
 * it never holds more than QTEST_OUTPUT_BUFFER_MAX bytes of output,
 * whatever the input. Without one, output accumulates in the caller's
 * GString. Apart from IRQ lines and `info mtree` dumps (whose size follows
 * the board), no command answers more than QTEST_MAX_REPLY bytes.
 *
 * Thread safety: a session is used by one thread at a time.
 */
#ifndef HW_TEST_DEVICES_QTEST_H
#define HW_TEST_DEVICES_QTEST_H

#include <stdio.h>

#include <glib.h>

#include "machine.h"

typedef struct QTestSession QTestSession;

/** Largest SIZE accepted by read, write, b64read, b64write and memset. */
#define QTEST_MAX_SIZE (16u << 20)
/** Longest input line accepted (a `write` of QTEST_MAX_SIZE bytes fits). */
#define QTEST_MAX_LINE (2u * QTEST_MAX_SIZE + 256u)
/** IRQ lines whose levels a session tracks (QEMU's MAX_IRQ). */
#define QTEST_MAX_IRQ 256
/** Longest response to one command (`read` of QTEST_MAX_SIZE bytes),
 * IRQ lines and `info mtree` dumps aside. */
#define QTEST_MAX_REPLY (2u * QTEST_MAX_SIZE + 8u)
/** Output a streaming session collects before passing it on. */
#define QTEST_OUTPUT_CHUNK (64u << 10)
/** Most bytes a command appends to its output between two checks. */
#define QTEST_OUTPUT_SLACK (8u << 10)
/** Most output bytes a streaming session ever holds at once. */
#define QTEST_OUTPUT_BUFFER_MAX (QTEST_OUTPUT_CHUNK + QTEST_OUTPUT_SLACK)

/**
 * QTestOutputFn - where a streaming session's output goes.
 * @opaque: the pointer given to qtest_session_set_output().
 * @data: output bytes, in order (whole lines not guaranteed).
 * @len: their count, not 0.
 *
 * Context: called from inside qtest_session_process_line(),
 * qtest_session_feed() or qtest_session_finish(), on their thread.
 * Return: false when the output cannot be delivered (e.g. the peer went
 * away); the session then drops all further output.
 */
typedef bool (*QTestOutputFn)(void *opaque, const char *data, size_t len);

/**
 * qtest_session_new() - Start a session on a realized machine.
 * @m: the machine (not owned; must outlive the session).
 *
 * The session installs the machine's IRQ handler when an interception is
 * requested and removes it when freed.
 * Context: any registered thread.
 * Return: the session (qtest_session_free()).
 */
QTestSession *qtest_session_new(Machine *m);

/**
 * qtest_session_free() - End a session.
 * @s: the session, or NULL.
 * Context: the session's thread, no command running.
 */
void qtest_session_free(QTestSession *s);

/**
 * qtest_session_set_output() - Stream the session's output to @fn.
 * @s: the session.
 * @fn: the output function, or NULL to collect output in the callers'
 *      GStrings again.
 * @opaque: passed to @fn.
 *
 * With an output function, the GString given to qtest_session_feed() and
 * friends is only a staging buffer: it is passed to @fn at the end of each
 * command and whenever it holds QTEST_OUTPUT_CHUNK bytes, and is empty when
 * they return.
 * Context: the session's thread, no command running.
 */
void qtest_session_set_output(QTestSession *s, QTestOutputFn fn, void *opaque);

/**
 * qtest_session_peak_buffered() - The most output bytes the session held
 * at once (in the caller's GString and its pending IRQ lines), at most
 * QTEST_OUTPUT_BUFFER_MAX while an output function is set.
 * @s: the session.
 * Context: the session's thread.
 * Return: the count, since qtest_session_new().
 */
size_t qtest_session_peak_buffered(QTestSession *s);

/**
 * qtest_session_process_line() - Run one command line and append its
 * response (and any IRQ lines it caused) to @out.
 * @s: the session.
 * @line: the line, without its '\n'; any bytes (NUL included) are safe.
 * @len: bytes in @line.
 * @out: where the response lines go, each ending in '\n'.
 *
 * Never aborts on any input; this is the entry point for fuzzers.
 * Context: the session's thread (a registered one), not inside a read-side
 * section (commands step the clock and take the update lock).
 */
void qtest_session_process_line(QTestSession *s, const char *line, size_t len,
                                GString *out);

/**
 * qtest_session_feed() - Split @data into lines and run each complete one,
 * keeping an incomplete last line for the next call.
 * @s: the session.
 * @data: bytes received.
 * @len: their count.
 * @out: where responses go.
 * Context: as qtest_session_process_line().
 */
void qtest_session_feed(QTestSession *s, const char *data, size_t len,
                        GString *out);

/**
 * qtest_session_finish() - Run a last line that had no '\n' (end of input).
 * @s: the session.
 * @out: where its response goes.
 * Context: as qtest_session_process_line().
 */
void qtest_session_finish(QTestSession *s, GString *out);

/**
 * qtest_serve_fd() - Serve a session over file descriptors until end of
 * input.
 * @m: the machine.
 * @in_fd: commands are read from it.
 * @out_fd: responses are written to it.
 * @errp: error return (read or write errors other than end of input).
 *
 * Context: a registered thread; blocks until end of input. Ignore SIGPIPE,
 * or a peer that goes away kills the process.
 * Return: true at a clean end of input.
 */
bool qtest_serve_fd(Machine *m, int in_fd, int out_fd, GError **errp);

/**
 * qtest_serve_socket() - Listen on a Unix socket at @path, serve one
 * client until it disconnects, then remove the socket.
 * @m: the machine.
 * @path: the socket's path (an existing socket file there is replaced).
 * @errp: error return.
 *
 * Context: as qtest_serve_fd(); blocks in accept() until a client
 * connects.
 * Return: true when the client was served to its end of input.
 */
bool qtest_serve_socket(Machine *m, const char *path, GError **errp);

/**
 * qtest_serve_unix_client() - Connect to a Unix socket that a test harness
 * listens on (QEMU's `-qtest unix:PATH`) and serve the session on it.
 * @m: the machine.
 * @path: the socket's path.
 * @errp: error return ("Failed to connect to 'PATH': ...", as QEMU).
 *
 * Context: as qtest_serve_fd().
 * Return: true when the peer was served to its end of input.
 */
bool qtest_serve_unix_client(Machine *m, const char *path, GError **errp);

/**
 * qtest_run_script() - Run the commands of a file, writing the responses.
 * @m: the machine.
 * @path: the script.
 * @out: the stream responses are written to.
 * @errp: error return (the file cannot be read).
 *
 * Context: as qtest_serve_fd().
 * Return: true when the file was read (whatever the commands answered).
 */
bool qtest_run_script(Machine *m, const char *path, FILE *out, GError **errp);

#endif /* HW_TEST_DEVICES_QTEST_H */
