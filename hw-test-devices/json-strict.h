/* SPDX-License-Identifier: MIT */
/**
 * @file json-strict.h
 * @brief A bounded, non-recursive check that a text is strict JSON
 * (RFC 8259), run on board files before json-glib parses them.
 *
 * json-glib is lenient (it accepts comments, single-quoted strings,
 * duplicate member names, and silently cuts a string at `\u0000`) and its
 * parser recurses once per nesting level, so a deep enough file exhausts
 * the stack. This check walks the text with an explicit stack of at most
 * JsonStrictLimits.max_depth frames, refuses every extension and bounds
 * the size of the tree json-glib would build. A text it accepts is parsed
 * by json-glib exactly as RFC 8259 says.
 */
#ifndef HW_TEST_DEVICES_JSON_STRICT_H
#define HW_TEST_DEVICES_JSON_STRICT_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

/**
 * JsonStrictLimits - what json_strict_check() accepts besides the grammar.
 * @max_depth: most arrays and objects nested in one another (1 or more).
 * @max_entries: most elements of one array, or members of one object.
 * @max_values: most values in the whole text (every string, number,
 *              literal, array and object counts once), which bounds the
 *              memory of the tree a parser builds from it.
 */
typedef struct JsonStrictLimits {
    unsigned max_depth;
    unsigned max_entries;
    unsigned max_values;
} JsonStrictLimits;

/**
 * json_strict_check() - Check that @data is one strict JSON value within
 * @limits.
 * @data: the text (need not be NUL-terminated; any bytes are safe).
 * @len: its length in bytes.
 * @limits: the bounds.
 * @errp: error return.
 *
 * Refused, besides anything outside RFC 8259's grammar: comments, single
 * quotes, trailing commas, a byte order mark, whitespace other than space,
 * tab, CR and LF, control characters inside strings, invalid UTF-8,
 * unpaired surrogate escapes, `\u0000` in a string (member names
 * included), two members of one object with the same name (compared after
 * unescaping), more than one top-level value, and texts beyond @limits.
 * Uses O(@limits.max_depth) stack; the heap it uses is bounded by @len.
 *
 * Context: any thread.
 * Return: true when the text is acceptable. Else false with a GError
 * (ADDRSPACE_ERROR, ADDRSPACE_ERROR_PARSE) whose message is
 * "PATH: REASON (line L, column C)", PATH the JSON path of the value at
 * fault (`$`, `$.regions[3].name`, `$["odd key"]`), REASON starting with
 * "invalid JSON: " for a syntax error.
 */
bool json_strict_check(const char *data, size_t len,
                       const JsonStrictLimits *limits, GError **errp);

#endif /* HW_TEST_DEVICES_JSON_STRICT_H */
