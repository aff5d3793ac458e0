#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Record a real QEMU machine's `info mtree` dumps.

Starts qemu-system-x86_64 (QEMU 7.2 for the recordings kept here) with
`-M MACHINE -display none -nodefaults -S -qmp stdio` and asks its monitor,
through QMP's human-monitor-command, for `info mtree` with each set of
flags the test machine supports: "" (tree), "-f" (FlatViews), "-D"
(disabled regions too), "-o" (owners), "-f -o", "-o -D" (QEMU takes its
flags only in the order -f -d -o -D). Each answer goes to
OUTDIR/mtree[FLAGS].txt (e.g. mtree-f-o.txt), with the monitor's CRLF
line ends made LF.

Usage: record-qemu-mtree.py MACHINE OUTDIR [extra QEMU arguments]
"""
import json
import os
import subprocess
import sys

FLAGS = ["", "-f", "-D", "-o", "-f -o", "-o -D"]


def main():
    machine, outdir = sys.argv[1], sys.argv[2]
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-M", machine, "-display", "none",
         "-nodefaults", "-S", "-qmp", "stdio"] + sys.argv[3:],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def command(name, **arguments):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        qemu.stdin.write(json.dumps(msg) + "\n")
        qemu.stdin.flush()
        while True:
            reply = json.loads(qemu.stdout.readline())
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                sys.exit("QEMU: %s" % reply["error"])

    json.loads(qemu.stdout.readline())  # the greeting
    command("qmp_capabilities")
    os.makedirs(outdir, exist_ok=True)
    for flags in FLAGS:
        text = command("human-monitor-command",
                       **{"command-line": ("info mtree " + flags).strip()})
        name = "mtree" + flags.replace(" ", "") + ".txt"
        with open(os.path.join(outdir, name), "w") as f:
            f.write(text.replace("\r\n", "\n"))
    command("quit")
    qemu.wait()


main()
