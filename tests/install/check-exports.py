#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Linkage test: every function and variable that the public headers
declare (include/addrspace/*.h, with what they include from static/) must
be exported by libaddrspace.so (with --subdir addrspace-machine: those of
include/addrspace-machine/*.h by libaddrspace-machine.so).

The headers are run through the C preprocessor, so conditional code and
macro-generated declarations count as a compiler sees them; only text whose
line markers point into the public include directory is kept. Top-level
declarations are then split at ';' (and function bodies at their closing
brace). Skipped: typedefs, static (inline) functions, macros, and names
starting with '__' (sanitizer runtime hooks declared for the inline path),
and FOREIGN: liburcu's names that a header declares again.

Usage: check-exports.py --lib LIB.so --include DIR [--subdir NAME] -- CC
       [CC_ARGS...]
"""
import argparse
import os
import re
import subprocess
import sys

KEYWORDS = {
    "__attribute__", "__asm__", "asm", "__extension__", "__typeof__",
    "typeof", "sizeof", "_Static_assert", "_Alignas", "__declspec",
}

# Declared again by static/rcu-inline.h (to choose its TLS model); defined
# and exported by liburcu-memb.
FOREIGN = {"urcu_memb_reader"}


def preprocess(cc, include_dir, header, extra, subdir):
    src = "#include <%s/%s>\n" % (subdir, os.path.relpath(
        header, os.path.join(include_dir, subdir)))
    out = subprocess.run(
        cc + ["-E", "-x", "c", "-std=gnu11", "-I", include_dir] + extra + ["-"],
        input=src, capture_output=True, text=True, check=True).stdout
    keep = []
    ours = False
    marker = re.compile(r'^# \d+ "([^"]*)"')
    root = os.path.realpath(os.path.join(include_dir, subdir))
    for line in out.splitlines():
        m = marker.match(line)
        if m:
            ours = os.path.realpath(m.group(1)).startswith(root + os.sep)
            continue
        if ours and not line.startswith("#"):
            keep.append(line)
    return "\n".join(keep)


def statements(text):
    """Top-level declarations: text up to ';' at depth 0; a function body
    (a '{' right after a parameter list) ends its statement."""
    text = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'', '""', text)
    out, cur, depth, body = [], [], 0, False
    for ch in text:
        if ch in "({[":
            if ch == "{" and depth == 0 and re.search(r"\)\s*$", "".join(cur)):
                body = True
            depth += 1
        elif ch in ")}]":
            depth -= 1
            if depth == 0 and ch == "}" and body:
                out.append(("".join(cur), True))
                cur, body = [], False
                continue
        if ch == ";" and depth == 0:
            out.append(("".join(cur), False))
            cur = []
            continue
        if depth == 0 or not body:
            cur.append(ch)
    return out


def strip_nested(decl):
    """Remove everything inside (), {} and [] except the outermost
    parentheses of a declarator, and attributes."""
    decl = re.sub(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)", " ", decl)
    decl = re.sub(r"__asm__\s*\([^)]*\)", " ", decl)
    return decl


def declared_names(text):
    funcs, variables = set(), set()
    for decl, is_definition in statements(text):
        decl = " ".join(strip_nested(decl).split())
        decl = re.sub(r"^(__extension__\s*)+", "", decl)
        if not decl or is_definition:
            continue  # function bodies in headers are static inline
        words = re.findall(r"[A-Za-z_]\w*", decl.split("(")[0].split("{")[0])
        if not words or words[0] == "typedef" or "static" in words:
            continue
        if "{" in decl:
            # struct/union/enum definition; a name after it is a variable
            tail = re.findall(r"[A-Za-z_]\w*", decl[decl.rindex("}") + 1:])
            if tail:
                variables.add(tail[-1])
            continue
        # a function: the first identifier followed by '(' that is not a
        # keyword and not inside a function-pointer declarator "(*name)"
        m = None
        for cand in re.finditer(r"([A-Za-z_]\w*)\s*\(", decl):
            if cand.group(1) not in KEYWORDS:
                m = cand
                break
        if m and not re.search(r"\(\s*\*\s*$", decl[:m.start()]):
            funcs.add(m.group(1))
            continue
        if words[0] in ("struct", "union", "enum") and len(words) <= 2:
            continue  # forward declaration
        v = re.search(r"([A-Za-z_]\w*)\s*(\[[^\]]*\])*\s*(=.*)?$", decl)
        if v:
            variables.add(v.group(1))
    drop = {n for n in funcs | variables if n.startswith("__")}
    return funcs - drop, variables - drop


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib],
                         capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            syms[parts[2].split("@")[0]] = parts[1]
    return syms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--subdir", default="addrspace")
    ap.add_argument("cc", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cc = [c for c in args.cc if c != "--"]
    extra = subprocess.run(
        ["pkg-config", "--cflags", "glib-2.0", "liburcu-memb"] +
        (["json-glib-1.0"] if args.subdir != "addrspace" else []),
        capture_output=True, text=True, check=True).stdout.split()
    pub = os.path.join(args.include, args.subdir)
    headers = sorted(os.path.join(pub, h) for h in os.listdir(pub)
                     if h.endswith(".h"))
    funcs, variables = set(), set()
    for h in headers:
        f, v = declared_names(preprocess(cc, args.include, h, extra,
                                              args.subdir))
        funcs |= f
        variables |= v
    syms = exported(args.lib)
    missing = sorted(n for n in funcs if syms.get(n, "").upper() not in
                     ("T", "W", "I"))
    missing += sorted(n for n in variables - FOREIGN
                      if syms.get(n, "").upper() not in
                      ("B", "D", "R", "V", "G", "S", "U"))
    print("check-exports: %d functions and %d variables declared in %d "
          "public headers" % (len(funcs), len(variables), len(headers)))
    if not funcs:
        print("check-exports: FAIL: no declaration found; the parser is broken")
        return 1
    for n in missing:
        print("check-exports: FAIL: %s is declared in a public header but "
              "not exported by %s" % (n, os.path.basename(args.lib)))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
