#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The programs' command lines (suite unit, TAP): QEMU's spellings
(-qtest stdio, -qtest unix:PATH[,server=on], -machine/-M, -m SIZE), --help
with exit status 0, and usage errors with exit status 2 and a message
naming the argument; the demos name a failed MemTxResult instead of
reporting bytes handled.

Usage: check-cli.py --machine EXE --boards DIR [--unicorn EXE]
                    [--bench EXE] [--replay EXE]
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

HPET_ID = "OK 0x000000008086a201"
results = []


def run(argv, stdin=None, timeout=60):
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def case(name, ok, detail=""):
    results.append((name, ok, detail))


def expect(name, argv, status, out=(), err=(), not_out=(), stdin=None):
    """Runs argv; checks the exit status and that stdout contains every
    string of out (and none of not_out), stderr every string of err."""
    rc, o, e = run(argv, stdin)
    problems = []
    if rc != status:
        problems.append("exit status %d, expected %d" % (rc, status))
    problems += ["stdout lacks %r" % s for s in out if s not in o]
    problems += ["stdout has %r" % s for s in not_out if s in o]
    problems += ["stderr lacks %r" % s for s in err if s not in e]
    detail = "; ".join(problems)
    if problems:
        detail += "\nstdout: %s\nstderr: %s" % (o[-2000:], e[-2000:])
    case(name, not problems, detail)


def usage_checks(prefix, exe, prog):
    for spelling in ("--help", "-help", "-h"):
        expect("%s/help/%s" % (prefix, spelling), [exe, spelling], 0,
               out=["Usage: %s" % prog])
    expect(prefix + "/usage/unknown-option", [exe, "-bogus"], 2,
           err=["unknown option '-bogus'"])
    expect(prefix + "/usage/unknown-gnu-option", [exe, "--bogus=1"], 2,
           err=["unknown option '--bogus'"])
    expect(prefix + "/usage/stray-argument", [exe, "stray"], 2,
           err=["unexpected argument 'stray'"])


def serve_and_talk(name, argv, path, listen_first):
    """Runs the machine with a -qtest socket and sends it one command."""
    lsock = None
    if listen_first:
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(path)
        lsock.listen(1)
        lsock.settimeout(30)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        if listen_first:
            conn, _ = lsock.accept()
        else:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            for _ in range(3000):
                try:
                    conn.connect(path)
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    if proc.poll() is not None:
                        break
                    time.sleep(0.01)
            else:
                raise RuntimeError("the machine never listened on " + path)
        conn.settimeout(30)
        conn.sendall(b"readl 0xfed00000\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            reply += chunk
        conn.close()
        rc = proc.wait(timeout=30)
        ok = reply.decode().strip() == HPET_ID and rc == 0
        case(name, ok, "reply %r, exit status %d, stderr %s" %
             (reply, rc, proc.stderr.read()))
    except Exception as exc:  # noqa: BLE001 - reported as a failed case
        proc.kill()
        proc.wait()
        case(name, False, repr(exc))
    finally:
        if lsock:
            lsock.close()
        proc.stdout.close()
        proc.stderr.close()


def machine_checks(exe, boards, tmp):
    p = "machine"
    usage_checks(p, exe, "addrspace-machine")
    expect(p + "/usage/missing-value", [exe, "-m"], 2,
           err=["option '-m' needs a value"])
    expect(p + "/usage/flag-with-value", [exe, "-dump-board=1"], 2,
           err=["option '-dump-board' takes no value"])
    expect(p + "/usage/modes-exclusive", [exe, "-qtest", "stdio", "-script",
                                          "x"], 2,
           err=["-qtest and -script cannot be combined"])
    expect(p + "/usage/board-and-m", [exe, "-board", "x", "-m", "256"], 2,
           err=["-board cannot be combined with -m"])

    # -qtest CHARDEV as QEMU 7.2 spells it
    expect(p + "/qtest/stdio", [exe, "-qtest", "stdio"], 0, out=[HPET_ID],
           stdin="readl 0xfed00000\n")
    expect(p + "/qtest/gnu-bare", [exe, "--qtest"], 0, out=[HPET_ID],
           stdin="readl 0xfed00000\n")
    expect(p + "/qtest/gnu-equals", [exe, "--qtest=stdio"], 0,
           out=[HPET_ID], stdin="readl 0xfed00000\n")
    expect(p + "/qtest/tcp-refused", [exe, "-qtest", "tcp:localhost:4444"],
           2, err=["-qtest 'tcp:localhost:4444': only stdio"])
    expect(p + "/qtest/unknown-socket-option",
           [exe, "-qtest", "unix:/nonexistent,reconnect=1"], 2,
           err=["socket option 'reconnect' is not supported"])
    expect(p + "/qtest/bad-bool", [exe, "-qtest", "unix:/x,server=maybe"], 2,
           err=["'server' takes on or off"])
    expect(p + "/qtest/client-wait", [exe, "-qtest", "unix:/x,wait=off"], 2,
           err=["'wait' option is incompatible with socket in client "
                "connect mode"])
    expect(p + "/qtest/no-path", [exe, "-qtest", "unix:"], 2,
           err=["no socket path"])
    expect(p + "/qtest/connect-fails",
           [exe, "-qtest", "unix:" + os.path.join(tmp, "nobody")], 1,
           err=["Failed to connect to"])
    sock = os.path.join(tmp, "s")
    serve_and_talk(p + "/qtest/unix-client", [exe, "-qtest", "unix:" + sock],
                   sock, True)
    os.unlink(sock)
    serve_and_talk(p + "/qtest/unix-server",
                   [exe, "-qtest", "unix:%s,server=on" % sock], sock, False)
    serve_and_talk(p + "/qtest/unix-server-short-forms",
                   [exe, "-qtest", "unix:path=%s,server,nowait" % sock],
                   sock, False)
    serve_and_talk(p + "/qtest/socket", [exe, "-socket", sock], sock, False)

    # -machine / -M and -m
    expect(p + "/machine/help", [exe, "-machine", "help"], 0,
           out=["pc ", "q35 "])
    expect(p + "/machine/pc", [exe, "-M", "pc,pit=off", "-dump-board"], 0,
           out=['"hpet"'])
    expect(p + "/machine/type-key", [exe, "-machine", "type=q35",
                                     "-dump-board"], 0,
           out=['"intcap" : "0xff0104"'])
    expect(p + "/global/hpet-compat",
           [exe, "-global", "hpet.compat=qemu-7.2", "-global",
            "hpet.intcap=0x14", "-dump-board"], 0,
           out=['"compat" : "qemu-7.2"', '"intcap" : "0x14"'])
    expect(p + "/global/unknown-driver", [exe, "-global", "rtc.base=0"], 1,
           err=["rtc"])
    expect(p + "/machine/unknown-type", [exe, "-M", "nosuch"], 2,
           err=["unknown machine type 'nosuch'"])
    expect(p + "/machine/unknown-property", [exe, "-M", "pc,foo=bar"],
           2, err=["has no property 'foo=bar'"])
    expect(p + "/m/mib", [exe, "-m", "256", "-dump-board"], 0,
           out=['"size" : "0x10000000"'])
    expect(p + "/m/suffix", [exe, "-m", "1G", "-dump-board"], 0,
           out=['"size" : "0x40000000"'])
    expect(p + "/m/size-key-rounded-to-8k", [exe, "-m", "size=3001K",
                                             "-dump-board"], 0,
           out=['"size" : "0x2f0000"'])
    expect(p + "/m/not-a-size", [exe, "-m", "12Q"], 2,
           err=["-m '12Q': not a size"])
    expect(p + "/m/slots", [exe, "-m", "128,slots=2"], 2,
           err=["only the size is supported"])
    expect(p + "/m/too-big", [exe, "-m", "1T"], 2,
           err=["above the 64 GiB limit"])

    # --trace FILE: the MMIO dispatch log (its format: check-trace.sh)
    log = os.path.join(tmp, "trace.log")
    expect(p + "/trace/help", [exe, "--help"], 0, out=["-trace FILE"])
    expect(p + "/trace/qtest", [exe, "-qtest", "stdio", "--trace", log], 0,
           out=[HPET_ID], stdin="readl 0xfed00000\n")
    with open(log) as f:
        line = f.read()
    case(p + "/trace/qtest-log",
         line == "mmio memory read hpet+0x0 4 0x8086a201 MEMTX_OK\n", line)
    expect(p + "/trace/unwritable", [exe, "-trace",
                                     os.path.join(tmp, "no", "such")], 1,
           err=["--trace " + os.path.join(tmp, "no", "such")])
    expect(p + "/trace/missing-value", [exe, "--trace"], 2,
           err=["option '--trace' needs a value"])

    # the demo names failed results
    expect(p + "/demo/default-board", [exe], 0,
           out=["16 bytes: MEMTX_OK, 16 bytes copied",
                "FAILED with MEMTX_ACCESS_ERROR"])
    expect(p + "/demo/user-board-dma-fails",
           [exe, "-board", os.path.join(boards, "dma-without-ram.json")], 0,
           out=["16 bytes: FAILED with MEMTX_DECODE_ERROR",
                "(no console on the board)"],
           not_out=["bytes copied", "bytes handled"])


def unicorn_checks(exe, boards):
    p = "unicorn-example"
    usage_checks(p, exe, "addrspace-unicorn-example")
    expect(p + "/board/missing-file", [exe, "-board", "/nonexistent.json"],
           1, out=["machine:"])
    expect(p + "/board/user-board-fails-by-name",
           [exe, "-board", os.path.join(boards, "dma-without-ram.json")], 1,
           out=["failed with MEMTX_DECODE_ERROR", "FAILED"],
           not_out=["bytes handled", "all checks passed"])


def bench_checks(exe):
    expect("bench/help", [exe, "--help"], 0, out=["addrspace-bench"])
    expect("bench/usage/unknown-option", [exe, "--bogus"], 2,
           err=["--bogus"])
    expect("bench/usage/stray-argument", [exe, "stray"], 2,
           err=["unexpected argument 'stray'"])


def replay_checks(exe):
    for spelling in ("--help", "-h"):
        expect("fuzz-replay/help/" + spelling, [exe, spelling], 0,
               out=["Usage:"])
    expect("fuzz-replay/usage/unknown-option", [exe, "-x"], 2,
           err=["unknown option '-x'"])
    expect("fuzz-replay/usage/no-input", [exe], 2, err=["Usage:"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--machine", required=True)
    ap.add_argument("--boards", required=True)
    ap.add_argument("--unicorn")
    ap.add_argument("--bench")
    ap.add_argument("--replay")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        machine_checks(args.machine, args.boards, tmp)
    if args.unicorn:
        unicorn_checks(args.unicorn, args.boards)
    if args.bench:
        bench_checks(args.bench)
    if args.replay:
        replay_checks(args.replay)
    failed = 0
    for i, (name, ok, detail) in enumerate(results, 1):
        print("%s %d /cli/%s" % ("ok" if ok else "not ok", i, name))
        if not ok:
            failed += 1
            for line in detail.splitlines():
                print("# " + line)
    print("1..%d" % len(results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
