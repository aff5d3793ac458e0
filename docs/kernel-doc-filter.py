#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Doxygen INPUT_FILTER: turns the kernel-doc comments of our public headers
into Doxygen markup, line for line (warnings keep their line numbers).

Conventions it understands (STYLE.md, "Comments"):

  /**
   * name() - One-sentence purpose.          function or function-like macro
   * struct Name - purpose.                  also union, enum, typedef, or
   * Name - purpose.                         a bare type name
   * @arg: meaning, continued on             parameters (or, in a struct,
   *       indented lines.                   union or enum comment: members)
   *
   * Free text, @arg references, func() references, lists.
   * Context: ...                            one-word sections: shown bold
   * Return: ...                             becomes @return
   */

  /** @member: meaning. */                   in-line member comment, also
                                             @outer.inner for nested members

Members documented in the type's comment (@member: lines) are moved to their
declarations as trailing /**< */ comments; nested members are named
@outer.inner. Any other @word becomes \\p word, unless it is one of the
Doxygen commands kept below (@file, @brief, ...) and not a parameter name.
"""
import os
import re
import sys

# Doxygen commands that may appear as such in our headers' comments. No
# one-letter commands (\a, \b, \c, \e, \p): in kernel-doc, @a is a
# parameter.
DOXYGEN_COMMANDS = {
    "file", "brief", "details", "note", "warning", "see", "sa", "ref",
    "code", "endcode", "cond", "endcond", "internal", "endinternal",
    "deprecated", "since", "todo", "param", "return", "returns", "retval",
    "par", "verbatim", "endverbatim", "private", "public",
}

FIRST_LINE = re.compile(
    r"^(?:(struct|union|enum|typedef)\s+)?([A-Za-z_]\w*)(\(\))?\s+-\s+(.*)$")
ARG_LINE = re.compile(r"^@([A-Za-z_][\w.]*|\.\.\.)\s*:\s?(.*)$")
SECTION = re.compile(r"^([A-Z][a-z]+):(\s|$)")
REF = re.compile(r"@([A-Za-z_][\w.]*[\w]|[A-Za-z_])")
COMMENT = re.compile(r"/\*\*(?!/)(.*?)\*/", re.S)


def split_comment(body):
    """The comment's lines as (prefix, text): prefix is the ' * ' part kept
    verbatim so that the output lines up with the input."""
    out = []
    for i, line in enumerate(body.split("\n")):
        m = re.match(r"^(\s*\*?\s?)(.*)$", line) if i else re.match(
            r"^(\s*)(.*)$", line)
        out.append([m.group(1), m.group(2)])
    return out


def refs(text, params):
    """@word -> \\p word, except Doxygen commands that are not params."""
    def sub(m):
        word = m.group(1)
        if word in DOXYGEN_COMMANDS and word not in params:
            return m.group(0)
        return "\\p " + word
    text = re.sub(r"&(struct|union|enum)\s+", r"\1 ", text)
    text = re.sub(r"<([\w./-]+\.h)>", r"\\<\1\\>", text)
    return REF.sub(sub, text)


# Compact form, parameters inside a line: "Load a byte. @as: the space."
INLINE_ARG = re.compile(r"(?:^|(?<=\s))@([A-Za-z_]\w*):")


def inline_args(text, params, aggregate):
    """@name: inside a function comment's line -> @param name; a
    "Return:" after a sentence -> @return; then the @word references."""
    if not aggregate:
        text = INLINE_ARG.sub(lambda m: "\x00param " + m.group(1), text)
        text = re.sub(r"(?<=[.;:]\s)Returns?:\s?", "\x00return ", text)
    return refs(text, params).replace("\x00", "@")


# A member in a type's comment, at the start of a line or inside one
# (compact form "/** le16 - a field. @raw: the bytes. */").
INLINE_MEMBER = re.compile(r"(?:^|(?<=\s))@([A-Za-z_][\w.]*\w|[A-Za-z_]):")


def take_members(text, members, current):
    """Moves the "@member: text" parts of @text into @members; returns the
    rest of the line and the member that following lines continue."""
    parts = INLINE_MEMBER.split(text)
    for k in range(1, len(parts), 2):
        current = parts[k]
        members[current] = [parts[k + 1].strip()]
    return parts[0].rstrip(), current


def convert_comment(body):
    """Returns (new comment body, {member: description}, is_aggregate)."""
    lines = split_comment(body)
    texts = [t.strip() for _, t in lines]
    first = next((i for i, t in enumerate(texts) if t), None)
    if first is None:
        return body, {}, False
    m_inline = ARG_LINE.match(texts[first])
    m_first = FIRST_LINE.match(texts[first])
    params = set()
    members = {}
    aggregate = False
    if m_inline:
        # In-line member comment: "/** @member: text */" -> "/** text */"
        lines[first][1] = refs(m_inline.group(2), {m_inline.group(1)})
        for i in range(first + 1, len(lines)):
            lines[i][1] = refs(lines[i][1], {m_inline.group(1)})
        return "\n".join(p + t for p, t in lines), {}, False
    if m_first:
        kind, name, paren, purpose = m_first.groups()
        aggregate = kind in ("struct", "union", "enum") or (
            kind is None and not paren)
        for t in texts:
            m = ARG_LINE.match(t)
            if m:
                params.add(m.group(1))
            if not aggregate:
                params.update(INLINE_ARG.findall(t))
        current = None
        if aggregate:
            purpose, current = take_members(purpose, members, current)
        lines[first][1] = "@brief " + inline_args(purpose, params, aggregate)
        for i in range(first + 1, len(lines)):
            t = lines[i][1]
            m = ARG_LINE.match(t.strip())
            if aggregate and INLINE_MEMBER.search(t):
                kept, current = take_members(t, members, current)
                lines[i][1] = kept if kept.strip() else ""
                continue
            if m:
                current = None
                lines[i][1] = "@param %s %s" % (
                    m.group(1), inline_args(m.group(2), params, aggregate))
                continue
            if current and t.strip() and not SECTION.match(t.strip()):
                members[current].append(t.strip())
                lines[i][1] = ""
                continue
            current = None
            s = SECTION.match(t.strip())
            if s and s.group(1) in ("Return", "Returns"):
                t = re.sub(r"^(\s*)Returns?:\s?", r"\1@return ", t)
            elif s:
                # Bold, on a line of its own even inside a paragraph.
                brk = "<br>" if i > first and lines[i - 1][1].strip() else ""
                t = re.sub(r"^(\s*)([A-Z][a-z]+):", r"\1%s\\b \2:" % brk, t)
            lines[i][1] = inline_args(t, params, aggregate)
        # Empty lines left by moved members must not end the comment early
        # with a trailing blank prefix; they stay as blank comment lines.
        return ("\n".join((p + t) if t else p.rstrip() for p, t in lines),
                {k: refs(" ".join(v), set(members)) for k, v in
                 members.items()}, aggregate)
    # Plain doc comment (file comment, one-liner).
    for i in range(len(lines)):
        lines[i][1] = refs(lines[i][1], set())
    return "\n".join(p + t for p, t in lines), {}, False


def blank_comments(text):
    """Same length, comments replaced by spaces (newlines kept)."""
    return re.sub(r"/\*.*?\*/",
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def member_name(decl, is_enum):
    decl = re.sub(r"__attribute__\s*\(\(.*?\)\)", " ", decl, flags=re.S)
    if is_enum:
        m = re.match(r"\s*([A-Za-z_]\w*)", decl)
        return m.group(1) if m else None
    m = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)", decl)
    if m:
        return m.group(1)
    decl = re.sub(r":\s*\w+\s*$", "", decl)      # bit-field width
    decl = re.sub(r"(\[[^\]]*\]\s*)+$", "", decl)  # array bounds
    m = re.search(r"([A-Za-z_]\w*)\s*$", decl)
    return m.group(1) if m else None


def parse_body(shadow, start, is_enum, prefix, found):
    """shadow[start] == '{'. Records (qualified name, insert position) of
    every member in found; returns the index of the matching '}'."""
    i = start + 1
    decl_start = i
    depth = 0
    nested = None
    while i < len(shadow):
        ch = shadow[i]
        if ch == "{" and depth == 0:
            inner = shadow[decl_start:i]
            nested_is_enum = re.search(r"\benum\b", inner) is not None
            nested_found = []
            i = parse_body(shadow, i, nested_is_enum, "", nested_found)
            nested = nested_found
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "}" and depth == 0:
            if is_enum and shadow[decl_start:i].strip():
                decl = shadow[decl_start:i]
                name = member_name(decl, True)
                end = decl_start + len(decl.rstrip())
                if name:
                    found.append((prefix + name, end))
            return i
        elif depth == 0 and ch == (";" if not is_enum else ","):
            decl = shadow[decl_start:i]
            name = member_name(re.sub(r"^.*}", "", decl, flags=re.S)
                               if nested is not None else decl, is_enum)
            if name:
                found.append((prefix + name, i + 1))
                for sub, pos in nested or []:
                    found.append((prefix + name + "." + sub, pos))
            nested = None
            decl_start = i + 1
        i += 1
    return i


def defined_aggregates(path):
    """Names of the structs and unions defined in any public header (the
    'addrspace' directory above @path, or @path's own directory)."""
    root = os.path.dirname(os.path.abspath(path))
    while os.path.basename(root) not in ("addrspace", "") and \
            os.path.dirname(root) != root:
        root = os.path.dirname(root)
    if os.path.basename(root) != "addrspace":
        root = os.path.dirname(os.path.abspath(path))
    names = set()
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith(".h"):
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    names.update(re.findall(
                        r"\b(?:struct|union)\s+([A-Za-z_]\w*)\s*\{",
                        blank_comments(f.read())))
    return names


FORWARD_TYPEDEF = re.compile(
    r"^typedef\s+(struct|union)\s+([A-Za-z_]\w*)\s+\2\s*;[ \t]*$", re.M)


def document_forward_typedefs(text, shadow, inserts, defined):
    """typedef struct X X; with no comment of its own, where struct X is
    defined in a public header, gets "Shorthand for struct X." An opaque
    handle (struct X defined nowhere public) must be documented by hand."""
    for m in FORWARD_TYPEDEF.finditer(shadow):
        before = text[:m.start()].rstrip()
        if before.endswith("*/") or m.group(2) not in defined:
            continue
        inserts[m.end()] = " /**< Shorthand for %s %s. */" % (
            m.group(1), m.group(2))


PRIVATE = re.compile(
    r"^(?:(?:(?:struct|union|enum|typedef)\s+)?[A-Za-z_]\w*(?:\(\))?\s+-\s+)?"
    r"private:")


def is_private(body):
    """Whether a doc comment says its item is private ("name() - private:
    ..." or "private: ..."): internals that public headers must declare
    for their inline code, left out of the reference."""
    for line in body.split("\n"):
        t = line.strip().lstrip("*").strip()
        if t:
            return PRIVATE.match(t) is not None
    return False


def declaration_end(shadow, i):
    """Index just past the declaration that starts after position @i: a
    macro's last line, a ';' at depth 0, or a function body's '}'."""
    while i < len(shadow) and shadow[i].isspace():
        i += 1
    if shadow.startswith("#", i):
        while True:
            nl = shadow.find("\n", i)
            if nl < 0:
                return len(shadow)
            if shadow[:nl].rstrip().endswith("\\"):
                i = nl + 1
                continue
            return nl
    depth = 0
    while i < len(shadow):
        ch = shadow[i]
        if ch in "([{":
            if ch == "{" and depth == 0:
                is_body = shadow[:i].rstrip().endswith(")")
                depth += 1
                i += 1
                while i < len(shadow) and depth > 0:
                    depth += shadow[i] in "([{"
                    depth -= shadow[i] in ")]}"
                    i += 1
                if is_body:
                    return i
                continue
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ";" and depth == 0:
            return i + 1
        i += 1
    return i


def filter_text(text, defined=frozenset()):
    shadow = blank_comments(text)
    pieces = []
    inserts = {}
    last = 0
    for m in COMMENT.finditer(text):
        if is_private(m.group(1)):
            # a plain comment inside a section Doxygen skips
            pieces.append((m.start(), m.end(),
                           "/** @cond */ /*" + m.group(1) + "*/"))
            end = declaration_end(shadow, m.end())
            inserts[end] = inserts.get(end, "") + " /** @endcond */"
            continue
        body, members, aggregate = convert_comment(m.group(1))
        pieces.append((m.start(), m.end(), "/**" + body + "*/"))
        if not (aggregate and members):
            continue
        # The documented aggregate's body: the next '{' before any ';'.
        j = m.end()
        while j < len(shadow) and shadow[j] not in "{;":
            j += 1
        if j >= len(shadow) or shadow[j] != "{":
            continue
        head = shadow[m.end():j]
        found = []
        parse_body(shadow, j, re.search(r"\benum\b", head) is not None, "",
                   found)
        for name, pos in found:
            if name in members:
                inserts[pos] = " /**< %s */" % members[name]
    document_forward_typedefs(text, shadow, inserts, defined)
    out = []
    for start, end, new in pieces:
        out.append(with_inserts(text, last, start, inserts))
        out.append(new)
        last = end
    out.append(with_inserts(text, last, len(text), inserts))
    return "".join(out)


def with_inserts(text, start, end, inserts):
    out = []
    for pos in sorted(p for p in inserts if start <= p <= end):
        out.append(text[start:pos])
        out.append(inserts[pos])
        start = pos
    out.append(text[start:end])
    return "".join(out)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        sys.stdout.write(filter_text(f.read(),
                                     defined_aggregates(sys.argv[1])))


if __name__ == "__main__":
    main()
