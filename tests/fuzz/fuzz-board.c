/* SPDX-License-Identifier: MIT */
/*
 * Board-file fuzzer: the input is a board file (JSON). Loading must either
 * build a machine or fail with an ADDRSPACE_ERROR GError, never crash or
 * leak. A machine that loads is written back out, and the text must load
 * again into a machine that writes out the same text (a fixed point).
 */
#include <string.h>

#include <glib.h>

#include "board-json.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *err = NULL;
    Machine *m = board_json_load_data((const char *)data, size, &err);
    Machine *again;
    char *text, *text2;

    if (!m) {
        if (!err || err->domain != ADDRSPACE_ERROR || !err->message[0]) {
            fuzz_fail("refused without an ADDRSPACE_ERROR GError");
        }
        g_error_free(err);
        return 0;
    }
    if (err) {
        fuzz_fail("loaded, yet an error is set: %s", err->message);
    }
    text = board_json_to_data(m);
    machine_free(m);
    again = board_json_load_data(text, strlen(text), &err);
    if (!again) {
        fuzz_fail("the written board does not load: %s\n%s",
                  err ? err->message : "(no error)", text);
    }
    text2 = board_json_to_data(again);
    if (strcmp(text, text2) != 0) {
        fuzz_fail("writing is not a fixed point:\n%s\n---\n%s", text, text2);
    }
    machine_free(again);
    g_free(text);
    g_free(text2);
    return 0;
}
