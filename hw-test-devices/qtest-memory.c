/* SPDX-License-Identifier: MIT */
/*
 * The qtest front end's memory and port commands, with QEMU's semantics:
 * readb..readq, writeb..writeq, read, write, b64read, b64write and memset
 * are buffer accesses on the first AddressSpace in the target's byte
 * order; inb..inl and outb..outl little-endian typed accesses on "I/O".
 */
#include <string.h>

#include "qtest-internal.h"

/* ---- memory commands ---------------------------------------------------- */

AddressSpace *qtest_memory_as(QTestSession *s, GString *out)
{
    AddressSpace *as = machine_address_space(s->m, NULL);

    if (!as) {
        g_string_append(out, "FAIL no address space\n");
    }
    return as;
}

/* Value <-> bytes in the target's order, as QEMU's tswap of a buffer. */
static uint64_t buf_to_value(const uint8_t *buf, unsigned n, bool big_endian)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        unsigned byte = big_endian ? i : n - 1 - i;

        v = (v << 8) | buf[byte];
    }
    return v;
}

static void value_to_buf(uint64_t v, uint8_t *buf, unsigned n, bool big_endian)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned byte = big_endian ? n - 1 - i : i;

        buf[byte] = (uint8_t)(v >> (8 * i));
    }
}

/* The digits of every hex answer (lowercase, as QEMU's). */
static const char hex_digits[] = "0123456789abcdef";

/* Answer "OK 0x<hex>\n" as printf's "OK 0x%0*" PRIx64 with width @digits
 * (at least @digits digits, at most 16), without a printf. */
static void answer_hex(GString *out, uint64_t v, unsigned digits)
{
    char buf[sizeof("OK 0x") + 16 + 1];
    size_t len = sizeof("OK 0x") - 1, n = 1;

    while (n < 16 && (v >> (4 * n)) != 0) {
        n++;
    }
    n = MAX(n, MIN(digits, 16u));
    memcpy(buf, "OK 0x", len);
    for (size_t i = 0; i < n; i++) {
        buf[len + i] = hex_digits[(v >> (4 * (n - 1 - i))) & 0xf];
    }
    len += n;
    buf[len++] = '\n';
    g_string_append_len(out, buf, (gssize)len);
}

void qtest_cmd_readn(QTestSession *s, const Command *cmd, char **words,
                     int nwords, GString *out)
{
    AddressSpace *as = qtest_memory_as(s, out);
    uint8_t buf[8] = {0};
    uint64_t addr;

    (void)nwords;
    if (!as || !qtest_arg_u64(words, 1, "address", &addr, out)) {
        return;
    }
    address_space_read(as, addr, MEMTXATTRS_UNSPECIFIED, buf, cmd->size);
    answer_hex(
        out, buf_to_value(buf, cmd->size, address_space_is_big_endian(as)), 16);
}

void qtest_cmd_writen(QTestSession *s, const Command *cmd, char **words,
                      int nwords, GString *out)
{
    AddressSpace *as = qtest_memory_as(s, out);
    uint64_t addr, value;
    uint8_t buf[8];

    (void)nwords;
    if (!as || !qtest_arg_u64(words, 1, "address", &addr, out) ||
        !qtest_arg_u64(words, 2, "value", &value, out)) {
        return;
    }
    value_to_buf(value, buf, cmd->size, address_space_is_big_endian(as));
    address_space_write(as, addr, MEMTXATTRS_UNSPECIFIED, buf, cmd->size);
    g_string_append(out, "OK\n");
}

/* The buffer of the last session freed, for the next one: a program that
 * runs many short sessions (a fuzzer: one per input) allocates it once. */
static uint8_t *spare_block;

uint8_t *qtest_block_get(QTestSession *s, uint64_t len)
{
    if (len > QTEST_BLOCK_KEEP) {
        return g_malloc(len);
    }
    if (!s->block) {
        s->block = __atomic_exchange_n(&spare_block, NULL, __ATOMIC_ACQ_REL);
    }
    if (!s->block) {
        s->block = g_malloc(QTEST_BLOCK_KEEP);
    }
    return s->block;
}

void qtest_block_release(QTestSession *s)
{
    uint8_t *old;

    if (s->block) {
        old = __atomic_exchange_n(&spare_block, s->block, __ATOMIC_ACQ_REL);
        g_free(old);
        s->block = NULL;
    }
}

void qtest_block_put(QTestSession *s, uint8_t *block)
{
    if (block != s->block) {
        g_free(block);
    }
}

/* Read @len bytes at words[1]; NULL after answering FAIL. */
static uint8_t *read_block(QTestSession *s, char **words, bool zero_ok,
                           uint64_t *len, GString *out)
{
    AddressSpace *as = qtest_memory_as(s, out);
    uint64_t addr;
    uint8_t *data;

    if (!as || !qtest_arg_u64(words, 1, "address", &addr, out) ||
        !qtest_arg_size(words, 2, len, out)) {
        return NULL;
    }
    if (*len == 0 && !zero_ok) {
        g_string_append(out, "FAIL invalid size 0\n");
        return NULL;
    }
    data = qtest_block_get(s, *len);
    address_space_read(as, addr, MEMTXATTRS_UNSPECIFIED, data, *len);
    return data;
}

/*
 * Bytes of memory encoded per piece of a read/b64read reply: the reply
 * goes out in pieces (qtest_out_progress()), never whole. A multiple of 3
 * so that base64 pieces join without padding.
 */
#define READ_PIECE 3072u

void qtest_cmd_read(QTestSession *s, const Command *cmd, char **words,
                    int nwords, GString *out)
{
    char text[2 * READ_PIECE];
    uint64_t len;
    uint8_t *data = read_block(s, words, false, &len, out);

    (void)cmd;
    (void)nwords;
    if (!data) {
        return;
    }
    g_string_append(out, "OK 0x");
    for (uint64_t done = 0; done < len;) {
        size_t n = (size_t)MIN(len - done, (uint64_t)READ_PIECE);

        for (size_t i = 0; i < n; i++) {
            text[2 * i] = hex_digits[data[done + i] >> 4];
            text[2 * i + 1] = hex_digits[data[done + i] & 0xf];
        }
        g_string_append_len(out, text, (gssize)(2 * n));
        qtest_out_progress(s, out);
        done += n;
    }
    g_string_append_c(out, '\n');
    qtest_block_put(s, data);
}

void qtest_cmd_b64read(QTestSession *s, const Command *cmd, char **words,
                       int nwords, GString *out)
{
    /* g_base64_encode_step()'s bound: (len / 3 + 1) * 4 + 4 */
    char text[(READ_PIECE / 3 + 1) * 4 + 4];
    int state = 0, save = 0;
    uint64_t len;
    uint8_t *data = read_block(s, words, true, &len, out);

    (void)cmd;
    (void)nwords;
    if (!data) {
        return;
    }
    g_string_append(out, "OK ");
    for (uint64_t done = 0; done < len;) {
        size_t n = (size_t)MIN(len - done, (uint64_t)READ_PIECE);
        size_t k =
            g_base64_encode_step(data + done, n, FALSE, text, &state, &save);

        g_string_append_len(out, text, (gssize)k);
        qtest_out_progress(s, out);
        done += n;
    }
    g_string_append_len(
        out, text, (gssize)g_base64_encode_close(FALSE, text, &state, &save));
    g_string_append_c(out, '\n');
    qtest_block_put(s, data);
}

static int hex_nibble(char c)
{
    return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

/*
 * Decode "0xHEX" into @len bytes (QEMU: missing bytes are zeros, extra
 * digits and an odd last digit are ignored). False after answering.
 */
static bool decode_hex(const char *w, uint8_t *data, uint64_t len, GString *out)
{
    size_t n = strlen(w);

    if (w[0] != '0' || (w[1] != 'x' && w[1] != 'X')) {
        g_string_append(out, "FAIL data must start with 0x\n");
        return false;
    }
    for (size_t i = 2; i < n; i++) {
        if (hex_nibble(w[i]) < 0) {
            g_string_append(out, "FAIL invalid hex data\n");
            return false;
        }
    }
    for (uint64_t i = 0; i < len; i++) {
        size_t pos = 2 + 2 * (size_t)i;

        data[i] =
            pos + 2 <= n
                ? (uint8_t)(hex_nibble(w[pos]) << 4 | hex_nibble(w[pos + 1]))
                : 0;
    }
    return true;
}

static int b64_value(char c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *at = c ? strchr(alphabet, c) : NULL;

    return at ? (int)(at - alphabet) : -1;
}

/*
 * Strict base64 (RFC 4648, padded) into at most @len bytes of @data; the
 * rest stays zero (as decode_hex()). False after answering why not.
 */
static bool decode_b64(const char *w, uint8_t *data, uint64_t len, GString *out)
{
    size_t n = strlen(w);
    size_t pad =
        n >= 1 && w[n - 1] == '=' ? (n >= 2 && w[n - 2] == '=' ? 2 : 1) : 0;
    uint64_t pos = 0;

    if (n % 4 != 0) {
        g_string_append(out, "FAIL invalid base64 data (length not a "
                             "multiple of 4)\n");
        return false;
    }
    for (size_t i = 0; i < n; i += 4) {
        uint32_t group = 0;
        size_t quads = i + 4 == n ? 4 - pad : 4;

        for (size_t j = 0; j < quads; j++) {
            int v = b64_value(w[i + j]);

            if (v < 0) {
                g_string_append(out, w[i + j] == '='
                                         ? "FAIL invalid base64 data "
                                           "(misplaced padding)\n"
                                         : "FAIL invalid base64 data "
                                           "(invalid character)\n");
                return false;
            }
            group |= (uint32_t)v << (18 - 6 * j);
        }
        /* the bits below the last whole byte must be zero */
        if ((quads == 2 && (group & 0xffff)) ||
            (quads == 3 && (group & 0xff))) {
            g_string_append(out, "FAIL invalid base64 data (bits after the "
                                 "last byte)\n");
            return false;
        }
        for (size_t b = 0; b + 1 < quads; b++, pos++) {
            if (pos < len) {
                data[pos] = (uint8_t)(group >> (16 - 8 * b));
            }
        }
    }
    return true;
}

void qtest_cmd_write(QTestSession *s, const Command *cmd, char **words,
                     int nwords, GString *out)
{
    bool b64 = cmd->name[0] == 'b';
    AddressSpace *as = qtest_memory_as(s, out);
    uint64_t addr, len;
    uint8_t *data;

    (void)nwords;
    if (!as || !qtest_arg_u64(words, 1, "address", &addr, out) ||
        !qtest_arg_size(words, 2, &len, out)) {
        return;
    }
    if (strlen(words[3]) < 3) {
        g_string_append(out, "ERR invalid argument size\n");
        return;
    }
    data = qtest_block_get(s, len);
    /* QEMU truncates to SIZE; short data is zero-filled here. */
    memset(data, 0, len);
    if (b64 ? !decode_b64(words[3], data, len, out)
            : !decode_hex(words[3], data, len, out)) {
        qtest_block_put(s, data);
        return;
    }
    address_space_write(as, addr, MEMTXATTRS_UNSPECIFIED, data, len);
    qtest_block_put(s, data);
    g_string_append(out, "OK\n");
}

void qtest_cmd_memset(QTestSession *s, const Command *cmd, char **words,
                      int nwords, GString *out)
{
    AddressSpace *as = qtest_memory_as(s, out);
    uint64_t addr, len, pattern;

    (void)cmd;
    (void)nwords;
    if (!as || !qtest_arg_u64(words, 1, "address", &addr, out) ||
        !qtest_arg_size(words, 2, &len, out) ||
        !qtest_arg_u64(words, 3, "value", &pattern, out)) {
        return;
    }
    if (len) {
        uint8_t *data = qtest_block_get(s, len);

        memset(data, (int)(pattern & 0xff), len);
        address_space_write(as, addr, MEMTXATTRS_UNSPECIFIED, data, len);
        qtest_block_put(s, data);
    }
    g_string_append(out, "OK\n");
}

/* ---- port I/O ----------------------------------------------------------- */

static AddressSpace *io_as(QTestSession *s, GString *out)
{
    AddressSpace *as = machine_address_space(s->m, "I/O");

    if (!as) {
        g_string_append(out, "FAIL no I/O address space\n");
    }
    return as;
}

/* QEMU's cpu_in*()/cpu_out*(): little-endian typed accesses on "I/O". */
void qtest_cmd_in(QTestSession *s, const Command *cmd, char **words, int nwords,
                  GString *out)
{
    AddressSpace *as = io_as(s, out);
    uint32_t value = 0;
    uint64_t port;

    (void)nwords;
    if (!as || !qtest_arg_port(words, 1, &port, out)) {
        return;
    }
    switch (cmd->size) {
    case 1:
        value = address_space_ldub(as, port, MEMTXATTRS_UNSPECIFIED, NULL);
        break;
    case 2:
        value = address_space_lduw_le(as, port, MEMTXATTRS_UNSPECIFIED, NULL);
        break;
    default:
        value = address_space_ldl_le(as, port, MEMTXATTRS_UNSPECIFIED, NULL);
        break;
    }
    answer_hex(out, value, 4);
}

void qtest_cmd_out(QTestSession *s, const Command *cmd, char **words,
                   int nwords, GString *out)
{
    AddressSpace *as = io_as(s, out);
    uint64_t port, value;

    (void)nwords;
    if (!as || !qtest_arg_port(words, 1, &port, out) ||
        !qtest_arg_u64(words, 2, "value", &value, out)) {
        return;
    }
    switch (cmd->size) {
    case 1:
        address_space_stb(as, port, (uint8_t)value, MEMTXATTRS_UNSPECIFIED,
                          NULL);
        break;
    case 2:
        address_space_stw_le(as, port, (uint16_t)value, MEMTXATTRS_UNSPECIFIED,
                             NULL);
        break;
    default:
        address_space_stl_le(as, port, (uint32_t)value, MEMTXATTRS_UNSPECIFIED,
                             NULL);
        break;
    }
    g_string_append(out, "OK\n");
}
