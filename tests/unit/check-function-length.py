#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""No function in the given folders is longer than a limit (test
function-length): a function's length is its lines from the first line of
its definition (return type and name) to its closing brace, both included.

Comments, strings and preprocessor lines are read past; a definition is a
top-level '{' whose declaration has a parameter list and no '='
(initializers of tables and structs are not functions).

Usage: check-function-length.py LIMIT DIR... (TAP on stdout; exit 1 when a
function is longer than LIMIT, listing each one).
"""
import os
import re
import sys

TOKEN = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'
                   r"'(?:\\.|[^'\\\n])*'|[{};=()]|\n", re.S)


def blank_preprocessor(text):
    """Replace preprocessor lines (with their continuations) by blanks,
    keeping the line count."""
    out = []
    cont = False
    for line in text.split("\n"):
        if cont or line.lstrip().startswith("#"):
            cont = line.endswith("\\")
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def blank_comments(text):
    """Replace comments by blanks, keeping their newlines, so that a
    comment above a definition reads as blank lines."""
    return re.sub(r"/\*.*?\*/|//[^\n]*",
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), text,
                  flags=re.S)


def functions(path):
    """Yield (name, first line, last line) of each function defined in
    @path."""
    with open(path, encoding="utf-8") as f:
        text = blank_comments(blank_preprocessor(f.read()))
    line = 1
    depth = 0
    decl_start = None  # line of the first token after the last ; or }
    decl_text = []
    start = name = None
    for m in TOKEN.finditer(text):
        tok = m.group(0)
        if tok.startswith("/*") or tok.startswith("//"):
            line += tok.count("\n")
            continue
        if tok == "\n":
            line += 1
            continue
        if depth == 0 and decl_start is None:
            decl_start = first_line_of_decl(text, m.start(), line)
        if tok == "{":
            if depth == 0:
                decl = "".join(decl_text)
                if "(" in decl and "=" not in decl:
                    start = decl_start
                    name = decl_name(text, m.start())
                else:
                    start = None
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth == 0:
                if start is not None:
                    yield name, start, line
                start = None
                decl_start = None
                decl_text = []
        elif tok == ";" and depth == 0:
            decl_start = None
            decl_text = []
        elif depth == 0:
            decl_text.append(tok)
        line += tok.count("\n")


def first_line_of_decl(text, pos, line):
    """The line of the first token of the declaration that reaches @pos
    (at @line): walk back over the text since the last ';', '}' or blank
    line."""
    i = pos
    first = line
    cur = line
    while i > 0:
        c = text[i - 1]
        if c in ";}":
            break
        if c == "\n":
            cur -= 1
            # a line that is empty after stripping ends the walk
            j = text.rfind("\n", 0, i - 1)
            if not text[j + 1:i - 1].strip():
                break
            first = cur
        i -= 1
    return first


def decl_name(text, brace):
    """The name before the parameter list that ends before @brace."""
    head = text[:brace]
    depth = 0
    i = len(head) - 1
    while i >= 0:
        if head[i] == ")":
            depth += 1
        elif head[i] == "(":
            depth -= 1
            if depth == 0:
                break
        i -= 1
    m = re.search(r"([A-Za-z_]\w*)\s*$", head[:i])
    return m.group(1) if m else "?"


def main():
    limit = int(sys.argv[1])
    long_ones = []
    count = 0
    for top in sys.argv[2:]:
        for dirpath, _, files in os.walk(top):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, f)
                for name, first, last in functions(path):
                    count += 1
                    if last - first + 1 > limit:
                        long_ones.append((path, name, first,
                                          last - first + 1))
    print("1..1")
    for path, name, first, n in long_ones:
        print("# %s:%d: %s() is %d lines (limit %d)" %
              (path, first, name, n, limit))
    if count == 0:
        print("not ok 1 - no function found: the scan is broken")
        return 1
    if long_ones:
        print("not ok 1 - %d of %d functions over %d lines" %
              (len(long_ones), count, limit))
        return 1
    print("ok 1 - %d functions, none over %d lines" % (count, limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
