/* SPDX-License-Identifier: MIT */
/*
 * qtest front-end fuzzer: the input is a qtest session's input stream
 * (any bytes, fed in pieces the input chooses) to the default board.
 * Every command must give a response line; nothing may crash, leak or
 * make a device callback break the bounds invariant.
 */
#include <string.h>

#include <glib.h>

#include "fuzz-common.h"
#include "machine.h"
#include "qtest.h"
#include "testdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const MachineConfig cfg = {.ram_size = 1u << 20};
    GError *err = NULL;
    Machine *m = machine_new_default(&cfg, &err);
    QTestSession *s;
    GString *out = g_string_new("");
    size_t off = 0;
    TestDev *td;

    if (!m) {
        fuzz_fail("default board: %s", err->message);
    }
    machine_set_console_output(m, NULL);
    s = qtest_session_new(m);
    /* the first byte chooses the piece size: lines split anywhere */
    while (off < size) {
        size_t piece = MIN(size - off, (size_t)(data[0] % 64) + 1);

        qtest_session_feed(s, (const char *)data + off, piece, out);
        off += piece;
        if (out->len > (1u << 20)) {
            g_string_truncate(out, 0);
        }
    }
    qtest_session_finish(s, out);
    qtest_session_free(s);
    td = machine_device(m, "testdev", MACHINE_DEVICE_TESTDEV);
    if (td && testdev_violations(td)) {
        fuzz_fail("testdev: a callback broke the bounds invariant");
    }
    machine_free(m);
    g_string_free(out, true);
    return 0;
}
