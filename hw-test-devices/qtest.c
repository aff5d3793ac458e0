/* SPDX-License-Identifier: MIT */
/*
 * The qtest front end: QEMU's qtest text protocol (system/qtest.c) over a
 * line parser that never aborts. Input splitting and the stdin/stdout,
 * Unix socket and script drivers are in qtest-server.c.
 */
#define _GNU_SOURCE /* fopencookie(): info mtree streams its dump */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qtest-internal.h"

/* Most words a command has (command + arguments); more is an error. */
#define QTEST_MAX_WORDS 6
/* Longest word echoed back in an error message. */
#define QTEST_ECHO_MAX 64

/* ---- output ------------------------------------------------------------- */

static void note_buffered(QTestSession *s, const GString *out)
{
    size_t n = out->len + (out != s->pending ? s->pending->len : 0);

    s->peak_buffered = MAX(s->peak_buffered, n);
}

void qtest_out_flush(QTestSession *s, GString *out)
{
    note_buffered(s, out);
    if (!s->output_fn || !out->len) {
        return;
    }
    if (!s->output_failed &&
        !s->output_fn(s->output_opaque, out->str, out->len)) {
        s->output_failed = true;
    }
    g_string_truncate(out, 0);
}

void qtest_out_progress(QTestSession *s, GString *out)
{
    if (out->len >= QTEST_OUTPUT_CHUNK) {
        qtest_out_flush(s, out);
    } else {
        note_buffered(s, out);
    }
}

void qtest_session_set_output(QTestSession *s, QTestOutputFn fn, void *opaque)
{
    s->output_fn = fn;
    s->output_opaque = opaque;
    s->output_failed = false;
}

size_t qtest_session_peak_buffered(QTestSession *s)
{
    return s->peak_buffered;
}

/* ---- IRQ reporting ------------------------------------------------------ */

/* "IRQ raise LINE" or "IRQ lower LINE", 0 <= @line < QTEST_MAX_IRQ (at
 * most three digits), without a printf: a fuzzing input makes many. */
G_STATIC_ASSERT(QTEST_MAX_IRQ <= 1000);
static void append_irq_line(GString *out, int line, int level)
{
    char num[3];
    int n = 0;

    for (int d = line >= 100 ? 100 : line >= 10 ? 10 : 1; d > 0; d /= 10) {
        num[n++] = (char)('0' + line / d % 10);
    }
    g_string_append(out, level ? "IRQ raise " : "IRQ lower ");
    g_string_append_len(out, num, n);
    g_string_append_c(out, '\n');
}

static void session_irq(QTestSession *s, const char *device, int line,
                        int level)
{
    GString *out = s->out ? s->out : s->pending;

    if (!s->intercept || s->loading || line < 0 || line >= QTEST_MAX_IRQ) {
        return;
    }
    /* "ioapic" receives every device's connected lines, by input. */
    if (strcmp(s->intercept, "ioapic") != 0 &&
        strcmp(s->intercept, device) != 0) {
        return;
    }
    level = level != 0;
    if (s->irq_levels[line] != level) {
        s->irq_levels[line] = level;
        append_irq_line(out, line, level);
        qtest_out_progress(s, out);
    }
}

/* "ioapic" sees inputs, a device's interception its outputs. */
static void session_irq_cb(void *opaque, const char *device, int line,
                           int input, int level)
{
    QTestSession *s = opaque;
    bool ioapic = s->intercept && strcmp(s->intercept, "ioapic") == 0;

    session_irq(s, device, ioapic ? input : line, level);
}

/* ---- argument parsing --------------------------------------------------- */

/* QEMU's qemu_strtou64(s, NULL, 0, ...): base prefixes, no sign, no junk. */
static bool parse_u64(const char *w, uint64_t *v)
{
    char *end;

    if (!g_ascii_isdigit(w[0])) {
        return false;
    }
    errno = 0;
    *v = g_ascii_strtoull(w, &end, 0);
    return errno == 0 && *end == '\0';
}

/* QEMU's qemu_strtoi64(s, NULL, 0, ...). */
static bool parse_i64(const char *w, int64_t *v)
{
    const char *digits = w[0] == '-' ? w + 1 : w;
    char *end;

    if (!g_ascii_isdigit(digits[0])) {
        return false;
    }
    errno = 0;
    *v = g_ascii_strtoll(w, &end, 0);
    return errno == 0 && *end == '\0';
}

void qtest_append_echo(GString *out, const char *w)
{
    size_t n = strlen(w);

    g_string_append_len(out, w, (gssize)MIN(n, QTEST_ECHO_MAX));
    if (n > QTEST_ECHO_MAX) {
        g_string_append(out, "...");
    }
}

/* "FAIL invalid WHAT 'W'", W cut as QEMU 7.2 echoes words. */
static void fail_number(GString *out, const char *what, const char *w)
{
    g_string_append(out, "FAIL invalid ");
    g_string_append(out, what);
    g_string_append(out, " '");
    qtest_append_echo(out, w);
    g_string_append(out, "'\n");
}

/* Parse words[i] as an address or value; answer FAIL when it is not one. */
bool qtest_arg_u64(char **words, int i, const char *what, uint64_t *v,
                   GString *out)
{
    if (!parse_u64(words[i], v)) {
        fail_number(out, what, words[i]);
        return false;
    }
    return true;
}

/* A SIZE argument of read/write/memset: bounded so no line allocates much. */
bool qtest_arg_size(char **words, int i, uint64_t *len, GString *out)
{
    if (!qtest_arg_u64(words, i, "size", len, out)) {
        return false;
    }
    if (*len > QTEST_MAX_SIZE) {
        g_string_append_printf(out,
                               "FAIL size %" PRIu64 " too large (max %u)\n",
                               *len, QTEST_MAX_SIZE);
        return false;
    }
    return true;
}

bool qtest_arg_port(char **words, int i, uint64_t *port, GString *out)
{
    if (!qtest_arg_u64(words, i, "port", port, out)) {
        return false;
    }
    if (*port > 0xffff) {
        g_string_append(out, "FAIL port out of range\n");
        return false;
    }
    return true;
}

/* ---- clock -------------------------------------------------------------- */

/*
 * QEMU 7.2's qtest_clock_warp(): run the clock up to @dest (nothing when
 * it is not ahead) and answer "OK <now>". A run that hit the clock's
 * callback budget (vclock_set_budget()) did not reach @dest: it answers
 * FAIL instead. QEMU has no such bound (a timer re-arming itself every few
 * ns makes it run on for years).
 */
static void clock_warp(VClock *clk, int64_t dest, GString *out)
{
    int64_t now = vclock_now_ns(clk);

    if (dest > now) {
        now = vclock_set(clk, dest);
        if (vclock_budget_exhausted(clk)) {
            g_string_append_printf(
                out,
                "FAIL timer work budget exhausted: stopped at %" PRIi64 " ns\n",
                now);
            return;
        }
    }
    g_string_append_printf(out, "OK %" PRIi64 "\n", now);
}

/*
 * clock_step [NS] as QEMU 7.2: to now + NS, in 64-bit arithmetic that
 * wraps (QEMU builds with -fwrapv), so a step of 0, a negative one or one
 * past 2^63 - 1 ns leaves the clock. Without NS: to the next deadline
 * (QEMU: now - 1, no move, when there is none; no move either when it is
 * already due). QEMU asserts on a malformed number; we answer FAIL.
 */
static void cmd_clock_step(QTestSession *s, const Command *cmd, char **words,
                           int nwords, GString *out)
{
    VClock *clk = machine_clock(s->m);
    int64_t now = vclock_now_ns(clk);
    int64_t ns;

    (void)cmd;
    if (nwords > 1) {
        if (!parse_i64(words[1], &ns)) {
            fail_number(out, "time", words[1]);
            return;
        }
    } else {
        int64_t deadline = vclock_next_deadline(clk);

        ns = deadline < 0 ? -1 : MAX(deadline - now, 0);
    }
    clock_warp(clk, (int64_t)((uint64_t)now + (uint64_t)ns), out);
}

/* clock_set NS as QEMU 7.2: to NS; a time in the past leaves the clock. */
static void cmd_clock_set(QTestSession *s, const Command *cmd, char **words,
                          int nwords, GString *out)
{
    int64_t ns;

    (void)cmd;
    (void)nwords;
    if (!parse_i64(words[1], &ns)) {
        fail_number(out, "time", words[1]);
        return;
    }
    clock_warp(machine_clock(s->m), ns, out);
}

static void cmd_endianness(QTestSession *s, const Command *cmd, char **words,
                           int nwords, GString *out)
{
    AddressSpace *as = qtest_memory_as(s, out);

    (void)cmd;
    (void)words;
    (void)nwords;
    if (as) {
        g_string_append(out, address_space_is_big_endian(as) ? "OK big\n"
                                                             : "OK little\n");
    }
}

/* ---- interrupts --------------------------------------------------------- */

/* A QOM path's last component: "/machine/ioapic" is "ioapic". */
static const char *device_of_path(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static void cmd_irq_intercept(QTestSession *s, const Command *cmd, char **words,
                              int nwords, GString *out)
{
    const char *dev = device_of_path(words[1]);
    bool is_out = strcmp(cmd->name, "irq_intercept_out") == 0;
    bool is_ioapic = strcmp(dev, "ioapic") == 0;
    bool has_lines;

    if (!is_ioapic && !machine_region(s->m, dev)) {
        g_string_append(out, "FAIL Unknown device\n");
        return;
    }
    if (nwords > 2 && !is_out) {
        g_string_append(out, "FAIL Interception of named in-GPIOs not yet "
                             "supported\n");
        return;
    }
    if (s->intercept) {
        g_string_append(out, strcmp(s->intercept, dev) == 0
                                 ? "OK\n"
                                 : "FAIL IRQ intercept already enabled\n");
        return;
    }
    /* The notional ioapic has inputs only; devices have unnamed outputs. */
    has_lines = is_ioapic ? !is_out
                          : is_out && nwords == 2 &&
                                machine_device_irq_lines(s->m, dev) > 0;
    if (!has_lines) {
        g_string_append(out, "FAIL No intercepts installed\n");
        return;
    }
    s->intercept = g_strdup(dev);
    machine_set_irq_handler(s->m, session_irq_cb, s);
    g_string_append(out, "OK\n");
}

static void cmd_set_irq_in(QTestSession *s, const Command *cmd, char **words,
                           int nwords, GString *out)
{
    uint64_t num;
    int64_t level;

    (void)cmd;
    (void)nwords;
    if (strcmp(device_of_path(words[1]), "ioapic") != 0) {
        g_string_append(out, machine_region(s->m, device_of_path(words[1]))
                                 ? "FAIL No such input\n"
                                 : "FAIL Unknown device\n");
        return;
    }
    if (strcmp(words[2], "unnamed-gpio-in") != 0) {
        g_string_append(out, "FAIL No such input\n");
        return;
    }
    if (!qtest_arg_u64(words, 3, "irq number", &num, out)) {
        return;
    }
    if (!parse_i64(words[4], &level)) {
        fail_number(out, "level", words[4]);
        return;
    }
    if (num >= QTEST_MAX_IRQ) {
        g_string_append(out, "FAIL No such input\n");
        return;
    }
    session_irq(s, "ioapic", (int)num, level != 0);
    g_string_append(out, "OK\n");
}

/* ---- extensions --------------------------------------------------------- */

typedef struct DumpSink {
    QTestSession *s;
    GString *out;
} DumpSink;

/* fopencookie() write: the dump goes to the output in bounded pieces. */
static ssize_t dump_write(void *cookie, const char *buf, size_t len)
{
    DumpSink *d = cookie;

    for (size_t done = 0; done < len;) {
        size_t n = MIN(len - done, QTEST_OUTPUT_SLACK / 2);

        g_string_append_len(d->out, buf + done, (gssize)n);
        qtest_out_progress(d->s, d->out);
        done += n;
    }
    return (ssize_t)len;
}

static void cmd_info(QTestSession *s, const Command *cmd, char **words,
                     int nwords, GString *out)
{
    static const cookie_io_functions_t dump_io = {.write = dump_write};
    DumpSink sink = {.s = s, .out = out};
    unsigned int flags = 0;
    FILE *f;

    (void)cmd;
    if (strcmp(words[1], "mtree") != 0) {
        g_string_append(out, "FAIL info supports only 'mtree'\n");
        return;
    }
    for (int i = 2; i < nwords; i++) {
        if (strcmp(words[i], "-f") == 0) {
            flags |= MTREE_INFO_FLATVIEW;
        } else if (strcmp(words[i], "-o") == 0) {
            flags |= MTREE_INFO_OWNER;
        } else if (strcmp(words[i], "-D") == 0) {
            flags |= MTREE_INFO_DISABLED;
        } else {
            g_string_append(out, "FAIL info mtree takes -f, -o and -D\n");
            return;
        }
    }
    f = fopencookie(&sink, "w", dump_io);
    if (!f) {
        g_string_append(out, "FAIL out of memory\n");
        return;
    }
    mtree_info_flags(f, flags);
    fclose(f);
    g_string_append(out, "OK\n");
}

/* A `snapshot save` of the session: the machine and the lines seen. */
typedef struct QTestSnapshot {
    MachineState *state;
    int irq_levels[QTEST_MAX_IRQ];
} QTestSnapshot;

static void snapshot_free(gpointer p)
{
    QTestSnapshot *snap = p;

    machine_state_free(snap->state);
    g_free(snap);
}

/* `snapshot save NAME` / `snapshot load NAME` (machine.h's states). */
static void cmd_snapshot(QTestSession *s, const Command *cmd, char **words,
                         int nwords, GString *out)
{
    QTestSnapshot *snap;
    GError *err = NULL;
    bool ok;

    (void)cmd;
    (void)nwords;
    if (strcmp(words[1], "save") == 0) {
        MachineState *st;

        if (s->snapshots &&
            g_hash_table_size(s->snapshots) >= QTEST_MAX_SNAPSHOTS &&
            !g_hash_table_contains(s->snapshots, words[2])) {
            g_string_append_printf(out, "FAIL at most %u snapshots\n",
                                   QTEST_MAX_SNAPSHOTS);
            return;
        }
        st = machine_state_save(s->m, &err);
        if (!st) {
            g_string_append_printf(out, "FAIL %s\n", err->message);
            g_error_free(err);
            return;
        }
        if (!s->snapshots) {
            s->snapshots = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                 g_free, snapshot_free);
        }
        snap = g_new0(QTestSnapshot, 1);
        snap->state = st;
        memcpy(snap->irq_levels, s->irq_levels, sizeof(s->irq_levels));
        g_hash_table_replace(s->snapshots, g_strdup(words[2]), snap);
        g_string_append(out, "OK\n");
        return;
    }
    if (strcmp(words[1], "load") != 0) {
        g_string_append(out, "FAIL snapshot takes save NAME or load NAME\n");
        return;
    }
    snap = s->snapshots ? g_hash_table_lookup(s->snapshots, words[2]) : NULL;
    if (!snap) {
        g_string_append(out, "FAIL no snapshot of that name\n");
        return;
    }
    /* the lines come back as the session saw them, without reports */
    s->loading = true;
    ok = machine_state_restore(s->m, snap->state, &err);
    s->loading = false;
    memcpy(s->irq_levels, snap->irq_levels, sizeof(s->irq_levels));
    if (!ok) {
        g_string_append_printf(out, "FAIL %s\n", err->message);
        g_error_free(err);
        return;
    }
    g_string_append(out, "OK\n");
}

/* Sorted by name (strcmp() order): find_command() halves the table. */
static const Command commands[] = {
    {"b64read", 2, 2, qtest_cmd_b64read, 0},
    {"b64write", 3, 3, qtest_cmd_write, 0},
    {"clock_set", 1, 1, cmd_clock_set, 0},
    {"clock_step", 0, 1, cmd_clock_step, 0},
    {"endianness", 0, 0, cmd_endianness, 0},
    {"inb", 1, 1, qtest_cmd_in, 1},
    {"info", 1, 3, cmd_info, 0},
    {"inl", 1, 1, qtest_cmd_in, 4},
    {"inw", 1, 1, qtest_cmd_in, 2},
    {"irq_intercept_in", 1, 2, cmd_irq_intercept, 0},
    {"irq_intercept_out", 1, 2, cmd_irq_intercept, 0},
    {"memset", 3, 3, qtest_cmd_memset, 0},
    {"outb", 2, 2, qtest_cmd_out, 1},
    {"outl", 2, 2, qtest_cmd_out, 4},
    {"outw", 2, 2, qtest_cmd_out, 2},
    {"read", 2, 2, qtest_cmd_read, 0},
    {"readb", 1, 1, qtest_cmd_readn, 1},
    {"readl", 1, 1, qtest_cmd_readn, 4},
    {"readq", 1, 1, qtest_cmd_readn, 8},
    {"readw", 1, 1, qtest_cmd_readn, 2},
    {"set_irq_in", 4, 4, cmd_set_irq_in, 0},
    {"snapshot", 2, 2, cmd_snapshot, 0},
    {"write", 3, 3, qtest_cmd_write, 0},
    {"writeb", 2, 2, qtest_cmd_writen, 1},
    {"writel", 2, 2, qtest_cmd_writen, 4},
    {"writeq", 2, 2, qtest_cmd_writen, 8},
    {"writew", 2, 2, qtest_cmd_writen, 2},
};

/* ---- line handling ------------------------------------------------------ */

/*
 * Split @line (NUL-free, writable) at runs of blanks into at most
 * QTEST_MAX_WORDS + 1 words; returns the count (QTEST_MAX_WORDS + 1 means
 * "too many").
 */
static int split_words(char *line, char **words)
{
    int n = 0;
    char *p = line;

    for (;;) {
        p += strspn(p, " \t");
        if (!*p || n > QTEST_MAX_WORDS) {
            return n;
        }
        words[n++] = p;
        p += strcspn(p, " \t");
        if (*p) {
            *p++ = '\0';
        }
    }
}

/* Whether @line, @len bytes, has a control character other than a tab
 * (NUL included) or DEL. Library calls rather than a loop over the bytes:
 * a fuzzing build would trace three compares per byte. */
static bool has_invalid_char(const char *line, size_t len)
{
    static const char invalid[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x0a"
                                  "\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13"
                                  "\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"
                                  "\x1d\x1e\x1f\x7f";

    return memchr(line, '\0', len) ||
           strcspn(line, invalid) < len; /* NUL-free: strcspn stops at len */
}

/* The command named @name, or NULL: a binary search of the sorted table
 * (a few strcmp() calls, where a scan made up to one per command). */
static const Command *find_command(const char *name)
{
    size_t lo = 0, hi = G_N_ELEMENTS(commands);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, commands[mid].name);

        if (c == 0) {
            return &commands[mid];
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

static void run_words(QTestSession *s, char **words, int nwords, GString *out)
{
    const Command *cmd = find_command(words[0]);

    if (!cmd) {
        g_string_append(out, "FAIL Unknown command '");
        qtest_append_echo(out, words[0]);
        g_string_append(out, "'\n");
    } else if (nwords - 1 < cmd->min_args) {
        g_string_append(out, "FAIL missing argument\n");
    } else if (nwords - 1 > cmd->max_args) {
        g_string_append(out, "FAIL too many arguments\n");
    } else {
        cmd->fn(s, cmd, words, nwords, out);
    }
}

void qtest_session_process_line(QTestSession *s, const char *line, size_t len,
                                GString *out)
{
    char *words[QTEST_MAX_WORDS + 1];
    char small[256];
    char *copy;
    int nwords;

    if (s->pending->len) {
        g_string_append_len(out, s->pending->str, (gssize)s->pending->len);
        g_string_truncate(s->pending, 0);
    }
    if (len && line[len - 1] == '\r') {
        len--;
    }
    /* a command line's words are cut in place, in a copy: the usual
     * short line on the stack, not the heap */
    copy = len < sizeof(small) ? small : g_malloc(len + 1);
    memcpy(copy, line, len);
    copy[len] = '\0';
    if (has_invalid_char(copy, len)) {
        g_string_append(out, "FAIL invalid character in command\n");
        if (copy != small) {
            g_free(copy);
        }
        qtest_out_flush(s, out);
        return;
    }
    nwords = split_words(copy, words);
    if (nwords > 0 && words[0][0] != '#') {
        s->out = out;
        run_words(s, words, nwords, out);
        /*
         * QEMU's main loop runs the virtual-clock timers that are due
         * (deadline not after now) between two commands of a client that
         * waits for each answer, as libqtest does: a device may arm one
         * for "now" (QEMU 7.2's HPET does, for a 32-bit timer whose
         * counter's low half is all ones). Their IRQ lines follow the
         * answer.
         */
        vclock_run_due(machine_clock(s->m));
        s->out = NULL;
    }
    if (copy != small) {
        g_free(copy);
    }
    qtest_out_flush(s, out);
}

QTestSession *qtest_session_new(Machine *m)
{
    QTestSession *s = g_new0(QTestSession, 1);

    s->m = m;
    s->inbuf = g_string_new(NULL);
    s->pending = g_string_new(NULL);
    return s;
}

void qtest_session_free(QTestSession *s)
{
    if (!s) {
        return;
    }
    if (s->intercept) {
        machine_set_irq_handler(s->m, NULL, NULL);
    }
    g_free(s->intercept);
    if (s->snapshots) {
        g_hash_table_destroy(s->snapshots);
    }
    g_string_free(s->inbuf, TRUE);
    g_string_free(s->pending, TRUE);
    qtest_block_release(s);
    g_free(s);
}
