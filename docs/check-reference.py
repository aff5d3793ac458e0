#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The API reference as a reader finds it (test api-reference): Doxygen
runs on the project's Doxyfile, warnings as errors, into a temporary
directory, with XML output added; then

- the main page is docs/index.md (not empty), and the design and
  benchmark pages are there under their own names;
- search is on;
- every typed accessor (address_space_ld*/st*, their _cached forms, and
  the generated guest_memory_ld*/st*) is a documented function;
- nothing a header comment calls private ("name() - private: ...",
  "private: ...") is in the reference.

Usage: check-reference.py DOXYGEN DOXYFILE INCLUDE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

LOADS = ["ldub", "lduw", "lduw_le", "lduw_be", "ldl", "ldl_le", "ldl_be",
         "ldq", "ldq_le", "ldq_be"]
STORES = ["stb", "stw", "stw_le", "stw_be", "stl", "stl_le", "stl_be",
          "stq", "stq_le", "stq_be"]
PRIVATE = re.compile(
    r"/\*\*\s*\*?\s*(?:(?:struct|union|enum|typedef)\s+)?([A-Za-z_]\w*)"
    r"(?:\(\))?\s+-\s+private:")
PRIVATE_ANON = re.compile(
    r"/\*\*\s*private:.*?\*/\s*(?:extern\s+)?[^;{]*?([A-Za-z_]\w*)\s*;",
    re.S)


def typed_accessors():
    names = []
    for op in LOADS + STORES:
        names += ["address_space_" + op, "address_space_%s_cached" % op,
                  "guest_memory_" + op]
    return names


def private_names(include_dir):
    names = set()
    for dirpath, _, files in os.walk(include_dir):
        for f in files:
            if f.endswith(".h"):
                with open(os.path.join(dirpath, f), encoding="utf-8") as h:
                    text = h.read()
                names.update(PRIVATE.findall(text))
                names.update(PRIVATE_ANON.findall(text))
    return names


def text_of(elem):
    return "".join(elem.itertext()).strip() if elem is not None else ""


def main():
    doxygen, doxyfile, include_dir = sys.argv[1:4]
    problems = []
    with tempfile.TemporaryDirectory() as out:
        with open(doxyfile, encoding="utf-8") as f:
            conf = f.read()
        conf += "\nOUTPUT_DIRECTORY = %s\nGENERATE_XML = YES\n" % out
        conf += "WARN_AS_ERROR = YES\n"
        run = subprocess.run([doxygen, "-"], input=conf, text=True,
                             capture_output=True)
        if run.returncode != 0:
            print(run.stdout + run.stderr)
            print("not ok 1 - doxygen failed (warnings are errors)")
            print("1..1")
            return 1
        xml = os.path.join(out, "xml")
        html = os.path.join(out, "html")

        main_page = ET.parse(os.path.join(xml, "indexpage.xml")).getroot()
        if "Where each concept lives" not in text_of(main_page):
            problems.append("the main page is not docs/index.md")
        for page in ("design", "benchmarks"):
            if not os.path.exists(os.path.join(html, page + ".html")):
                problems.append("no page %s.html" % page)
        if not os.path.isdir(os.path.join(html, "search")):
            problems.append("search is off (no html/search/)")

        index = ET.parse(os.path.join(xml, "index.xml")).getroot()
        documented = set()
        listed = set()
        for compound in index.iter("compound"):
            listed.add(text_of(compound.find("name")))
            for member in compound.iter("member"):
                listed.add(text_of(member.find("name")))
        for f in os.listdir(xml):
            if not f.endswith("_8h.xml"):
                continue
            root = ET.parse(os.path.join(xml, f)).getroot()
            for m in root.iter("memberdef"):
                if m.get("kind") == "function" and (
                        text_of(m.find("briefdescription")) or
                        text_of(m.find("detaileddescription"))):
                    documented.add(text_of(m.find("name")))
        for name in typed_accessors():
            if name not in documented:
                problems.append("typed accessor %s() is not a documented "
                                "function" % name)
        private = private_names(include_dir)
        if not {"FlatSection", "FlatViewIndex",
                "AddrspaceDispatchGuard"} <= private:
            problems.append("the private-name scan found too little: %s" %
                            sorted(private))
        for name in sorted(private & listed):
            problems.append("private %s is in the reference" % name)

    checks = ["main page, pages, search", "typed accessors documented",
              "no private names"]
    groups = [[p for p in problems if "page" in p or "search" in p],
              [p for p in problems if "accessor" in p],
              [p for p in problems if "private" in p]]
    for i, (name, group) in enumerate(zip(checks, groups), 1):
        print("%s %d - %s" % ("not ok" if group else "ok", i, name))
        for p in group:
            print("# " + p)
    print("1..%d" % len(checks))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
