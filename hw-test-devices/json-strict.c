/* SPDX-License-Identifier: MIT */
/*
 * Strict JSON check (json-strict.h): RFC 8259's grammar walked with an
 * explicit stack, so no input can make it recurse.
 *
 * 1. A value starts: a scalar is scanned whole; '[' or '{' pushes a frame
 *    (refused past max_depth) and, unless it is empty, the first entry
 *    starts.
 * 2. After a value: at the top, only whitespace may follow; in a
 *    container, ',' starts the next entry and ']' or '}' pops the frame,
 *    which completes the container as a value (step 2 again).
 * 3. Object entries read their name first; names already seen in that
 *    object are refused.
 */
#include <stdarg.h>
#include <string.h>

#include <addrspace/error.h>

#include "json-strict.h"

/* Longest member name written into an error's path. */
#define PATH_KEY_MAX 64

typedef struct Frame {
    bool is_object;
    bool in_entry;    /* an entry (its name, for objects) has started */
    unsigned count;   /* entries before the current one */
    GString *key;     /* objects: the current member's unescaped name */
    GHashTable *keys; /* objects: the names seen so far */
} Frame;

typedef struct Parser {
    const char *data;
    size_t len;
    size_t pos;
    const JsonStrictLimits *lim;
    Frame *stack;
    unsigned depth;
    unsigned values;
    GError **errp;
} Parser;

/* ---- errors ------------------------------------------------------------- */

/* A member name in a path: .name when it is an identifier, else ["..."]. */
static void append_key(GString *path, const GString *key)
{
    bool ident = key->len > 0 && key->len <= PATH_KEY_MAX &&
                 (g_ascii_isalpha(key->str[0]) || key->str[0] == '_');
    size_t n = 0;

    for (size_t i = 1; ident && i < key->len; i++) {
        ident = g_ascii_isalnum(key->str[i]) || key->str[i] == '_';
    }
    if (ident) {
        g_string_append_printf(path, ".%s", key->str);
        return;
    }
    g_string_append(path, "[\"");
    while (n < key->len && n < PATH_KEY_MAX) {
        unsigned char c = (unsigned char)key->str[n];
        size_t step = c < 0x80 ? 1 : (size_t)g_utf8_skip[c];

        if (n + step > PATH_KEY_MAX) {
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            g_string_append_printf(path, "\\u%04x", c);
        } else if (c == '"' || c == '\\') {
            g_string_append_c(path, '\\');
            g_string_append_c(path, (char)c);
        } else {
            g_string_append_len(path, key->str + n, (gssize)step);
        }
        n += step;
    }
    g_string_append(path, n < key->len ? "...\"]" : "\"]");
}

static void G_GNUC_PRINTF(3, 4) fail(Parser *p, size_t at, const char *fmt, ...)
{
    g_autoptr(GString) path = g_string_new("$");
    g_autofree char *msg = NULL;
    unsigned line = 1, column = 1;
    va_list ap;

    for (unsigned i = 0; i < p->depth && p->stack[i].in_entry; i++) {
        const Frame *f = &p->stack[i];

        if (f->is_object) {
            append_key(path, f->key);
        } else {
            g_string_append_printf(path, "[%u]", f->count);
        }
    }
    /* columns count characters; a continuation byte is not one */
    for (size_t i = 0; i < at && i < p->len; i++) {
        if (p->data[i] == '\n') {
            line++;
            column = 1;
        } else if (((unsigned char)p->data[i] & 0xc0) != 0x80) {
            column++;
        }
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    addrspace_error_set(p->errp, ADDRSPACE_ERROR, ADDRSPACE_ERROR_PARSE,
                        "%s: %s (line %u, column %u)", path->str, msg, line,
                        column);
}

/* "invalid JSON: <what the byte at @at is not>" for an unexpected byte. */
static bool fail_byte(Parser *p, size_t at, const char *expected)
{
    unsigned char c;

    if (at >= p->len) {
        fail(p, at, "invalid JSON: unexpected end of text, expected %s",
             expected);
        return false;
    }
    c = (unsigned char)p->data[at];
    if (c == '/') {
        fail(p, at, "invalid JSON: comments are not allowed");
    } else if (c == '\'') {
        fail(p, at, "invalid JSON: single-quoted strings are not allowed");
    } else if (c > 0x20 && c < 0x7f) {
        fail(p, at, "invalid JSON: unexpected '%c', expected %s", c, expected);
    } else {
        fail(p, at, "invalid JSON: unexpected byte 0x%02x, expected %s", c,
             expected);
    }
    return false;
}

/* ---- scalars ------------------------------------------------------------ */

static void skip_ws(Parser *p)
{
    while (p->pos < p->len &&
           (p->data[p->pos] == ' ' || p->data[p->pos] == '\t' ||
            p->data[p->pos] == '\n' || p->data[p->pos] == '\r')) {
        p->pos++;
    }
}

static bool at_char(const Parser *p, char c)
{
    return p->pos < p->len && p->data[p->pos] == c;
}

static int hex4(const Parser *p, size_t at)
{
    int v = 0;

    if (at > p->len || p->len - at < 4) {
        return -1;
    }
    for (size_t i = at; i < at + 4; i++) {
        if (!g_ascii_isxdigit(p->data[i])) {
            return -1;
        }
        v = v << 4 | g_ascii_xdigit_value(p->data[i]);
    }
    return v;
}

/* A \u escape at p->pos (the backslash), surrogate pairs joined. */
static bool unicode_escape(Parser *p, gunichar *cp)
{
    size_t start = p->pos;
    int hi = hex4(p, p->pos + 2), lo;

    if (hi < 0) {
        fail(p, start, "invalid JSON: \\u needs four hex digits");
        return false;
    }
    p->pos += 6;
    if (hi == 0) {
        fail(p, start, "strings must not contain \\u0000");
        return false;
    }
    if (hi >= 0xdc00 && hi <= 0xdfff) {
        fail(p, start, "invalid JSON: unpaired surrogate \\u%04x", hi);
        return false;
    }
    if (hi < 0xd800 || hi > 0xdbff) {
        *cp = (gunichar)hi;
        return true;
    }
    lo = p->len - p->pos >= 2 && p->data[p->pos] == '\\' &&
                 p->data[p->pos + 1] == 'u'
             ? hex4(p, p->pos + 2)
             : -1;
    if (lo < 0xdc00 || lo > 0xdfff) {
        fail(p, start, "invalid JSON: unpaired surrogate \\u%04x", hi);
        return false;
    }
    p->pos += 6;
    *cp = 0x10000 + ((gunichar)(hi - 0xd800) << 10) + (gunichar)(lo - 0xdc00);
    return true;
}

/* A string at p->pos (its opening quote); unescaped into @out if given. */
static bool scan_string(Parser *p, GString *out)
{
    static const char escapes[] = "\"\\/bfnrt";
    static const char meaning[] = "\"\\/\b\f\n\r\t";

    p->pos++;
    for (;;) {
        unsigned char c;

        if (p->pos >= p->len) {
            fail(p, p->pos, "invalid JSON: unterminated string");
            return false;
        }
        c = (unsigned char)p->data[p->pos];
        if (c == '"') {
            p->pos++;
            return true;
        }
        if (c < 0x20) {
            fail(p, p->pos,
                 "invalid JSON: control character 0x%02x in a string "
                 "(write it as an escape)",
                 c);
            return false;
        }
        if (c == '\\') {
            const char *e = p->pos + 1 < p->len && p->data[p->pos + 1]
                                ? strchr(escapes, p->data[p->pos + 1])
                                : NULL;
            gunichar cp;

            if (p->pos + 1 < p->len && p->data[p->pos + 1] == 'u') {
                if (!unicode_escape(p, &cp)) {
                    return false;
                }
                if (out) {
                    g_string_append_unichar(out, cp);
                }
                continue;
            }
            if (!e) {
                fail(p, p->pos,
                     p->pos + 1 < p->len
                         ? "invalid JSON: unknown escape in a string"
                         : "invalid JSON: unterminated string");
                return false;
            }
            if (out) {
                g_string_append_c(out, meaning[e - escapes]);
            }
            p->pos += 2;
        } else if (c < 0x80) {
            if (out) {
                g_string_append_c(out, (char)c);
            }
            p->pos++;
        } else {
            gunichar cp = g_utf8_get_char_validated(p->data + p->pos,
                                                    (gssize)(p->len - p->pos));
            size_t n = (size_t)g_utf8_skip[c];

            if (cp == (gunichar)-1 || cp == (gunichar)-2) {
                fail(p, p->pos, "invalid JSON: not UTF-8 text");
                return false;
            }
            if (out) {
                g_string_append_len(out, p->data + p->pos, (gssize)n);
            }
            p->pos += n;
        }
    }
}

static size_t digits(const Parser *p, size_t at)
{
    size_t n = 0;

    while (at + n < p->len && g_ascii_isdigit(p->data[at + n])) {
        n++;
    }
    return n;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and nothing glued to it */
static bool scan_number(Parser *p)
{
    size_t start = p->pos, n;

    if (at_char(p, '-')) {
        p->pos++;
    }
    n = digits(p, p->pos);
    if (n == 0 || (n > 1 && p->data[p->pos] == '0')) {
        fail(p, start,
             n ? "invalid JSON: numbers have no leading zeros"
               : "invalid JSON: malformed number");
        return false;
    }
    p->pos += n;
    if (at_char(p, '.')) {
        n = digits(p, p->pos + 1);
        if (!n) {
            fail(p, start, "invalid JSON: malformed number");
            return false;
        }
        p->pos += 1 + n;
    }
    if (at_char(p, 'e') || at_char(p, 'E')) {
        p->pos++;
        if (at_char(p, '+') || at_char(p, '-')) {
            p->pos++;
        }
        n = digits(p, p->pos);
        if (!n) {
            fail(p, start, "invalid JSON: malformed number");
            return false;
        }
        p->pos += n;
    }
    if (p->pos < p->len && (g_ascii_isalnum(p->data[p->pos]) ||
                            p->data[p->pos] == '.' || p->data[p->pos] == '_')) {
        fail(p, start, "invalid JSON: malformed number");
        return false;
    }
    return true;
}

static bool scan_literal(Parser *p)
{
    static const char *const words[] = {"true", "false", "null"};

    for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
        size_t n = strlen(words[i]);

        if (p->len - p->pos >= n &&
            memcmp(p->data + p->pos, words[i], n) == 0 &&
            (p->len - p->pos == n || !g_ascii_isalnum(p->data[p->pos + n]))) {
            p->pos += n;
            return true;
        }
    }
    return fail_byte(p, p->pos, "a value");
}

/* ---- containers --------------------------------------------------------- */

static bool push(Parser *p, bool is_object)
{
    Frame *f;

    if (p->depth == p->lim->max_depth) {
        fail(p, p->pos, "nested deeper than %u levels", p->lim->max_depth);
        return false;
    }
    f = &p->stack[p->depth++];
    f->is_object = is_object;
    f->in_entry = false;
    f->count = 0;
    if (is_object) {
        if (!f->key) {
            f->key = g_string_new(NULL);
        }
        f->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    }
    p->pos++;
    return true;
}

static void pop(Parser *p)
{
    Frame *f = &p->stack[--p->depth];

    if (f->keys) {
        g_hash_table_destroy(f->keys);
        f->keys = NULL;
    }
}

/* Start the next entry of the innermost container: a member's name and
 * ':' for objects. The entry's value comes next. */
static bool start_entry(Parser *p)
{
    Frame *f = &p->stack[p->depth - 1];
    size_t name_at;

    f->in_entry = true;
    if (f->count >= p->lim->max_entries) {
        f->in_entry = false;
        fail(p, p->pos, "at most %u entries", p->lim->max_entries);
        return false;
    }
    if (!f->is_object) {
        return true;
    }
    f->in_entry = false;
    if (!at_char(p, '"')) {
        return fail_byte(p, p->pos, "a member name in double quotes");
    }
    name_at = p->pos;
    g_string_truncate(f->key, 0);
    if (!scan_string(p, f->key)) {
        return false;
    }
    f->in_entry = true;
    if (g_hash_table_contains(f->keys, f->key->str)) {
        fail(p, name_at, "duplicate member");
        return false;
    }
    g_hash_table_add(f->keys, g_strndup(f->key->str, f->key->len));
    skip_ws(p);
    if (!at_char(p, ':')) {
        return fail_byte(p, p->pos, "':'");
    }
    p->pos++;
    return true;
}

/* Step 1: one value starts at p->pos (whitespace skipped). Sets *opened
 * when it opened a non-empty container whose first entry has started. */
static bool start_value(Parser *p, bool *opened)
{
    char c = p->pos < p->len ? p->data[p->pos] : '\0';

    *opened = false;
    if (p->values == p->lim->max_values) {
        fail(p, p->pos, "more than %u values in the text", p->lim->max_values);
        return false;
    }
    p->values++;
    if (p->pos >= p->len) {
        return fail_byte(p, p->pos, "a value");
    }
    if (c == '"') {
        return scan_string(p, NULL);
    }
    if (c == '-' || g_ascii_isdigit(c)) {
        return scan_number(p);
    }
    if (c != '[' && c != '{') {
        return scan_literal(p);
    }
    if (!push(p, c == '{')) {
        return false;
    }
    skip_ws(p);
    if (at_char(p, c == '{' ? '}' : ']')) {
        p->pos++;
        pop(p);
        return true;
    }
    *opened = true;
    return start_entry(p);
}

/* Step 2: after a value; *more when another value must start. */
static bool end_value(Parser *p, bool *more)
{
    *more = false;
    while (p->depth > 0) {
        Frame *f = &p->stack[p->depth - 1];
        char close = f->is_object ? '}' : ']';

        skip_ws(p);
        f->in_entry = false;
        if (at_char(p, ',')) {
            p->pos++;
            f->count++;
            skip_ws(p);
            if (at_char(p, close)) {
                fail(p, p->pos, "invalid JSON: trailing comma");
                return false;
            }
            *more = true;
            return start_entry(p);
        }
        if (!at_char(p, close)) {
            return fail_byte(p, p->pos,
                             f->is_object ? "',' or '}'" : "',' or ']'");
        }
        p->pos++;
        pop(p);
    }
    skip_ws(p);
    if (p->pos < p->len) {
        char c = p->data[p->pos];

        if (c == '{' || c == '[' || c == '"' || c == '-' ||
            g_ascii_isdigit(c) || c == 't' || c == 'f' || c == 'n') {
            fail(p, p->pos, "invalid JSON: more than one top-level value");
            return false;
        }
        return fail_byte(p, p->pos, "the end of the text");
    }
    return true;
}

bool json_strict_check(const char *data, size_t len,
                       const JsonStrictLimits *limits, GError **errp)
{
    Parser p = {
        .data = data,
        .len = len,
        .lim = limits,
        .stack = g_new0(Frame, limits->max_depth),
        .errp = errp,
    };
    bool ok, more = true;

    g_assert(limits->max_depth > 0);
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
        fail(&p, 0, "invalid JSON: a byte order mark is not allowed");
        ok = false;
    } else {
        skip_ws(&p);
        ok = true;
    }
    while (ok && more) {
        bool opened;

        ok = start_value(&p, &opened);
        if (ok && opened) {
            skip_ws(&p);
            continue; /* the container's first entry's value */
        }
        if (ok) {
            ok = end_value(&p, &more);
            skip_ws(&p);
        }
    }
    while (p.depth > 0) {
        pop(&p);
    }
    for (unsigned i = 0; i < limits->max_depth; i++) {
        if (p.stack[i].key) {
            g_string_free(p.stack[i].key, TRUE);
        }
    }
    g_free(p.stack);
    return ok;
}
