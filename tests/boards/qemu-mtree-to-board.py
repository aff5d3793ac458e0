#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Rebuild a QEMU machine's memory tree as a board file.

Input: the machine's `info mtree -o -D` text (every region, disabled ones
too, with owners). Output: a board file (JSON) that addrspace-machine
loads into the same tree. The dump does not say everything, so a few
hints complete it:

  --size0 NAME     regions of that name have size 0 (the dump prints size
                   0 and size 1 alike: START-START)
  --io NAME        an i/o region with subregions that is MMIO, not a
                   container (it fills the gaps between its subregions)
  --device NAME=TYPE  the region of that name is a device of the board
                   (e.g. hpet=hpet)
  --as-order A,B   AddressSpace creation order (QEMU prints the groups in
                   hash order; the order inside each `info mtree -f` block
                   is the creation order)

Leaf i/o regions become "io" (reads all ones), i/o regions with
subregions containers; ram/rom/romd/ramd regions the matching kinds.
Children are listed in the reverse of the printed order, so that among
siblings of one address and priority the one QEMU added last is added
last again. Repeated names get ids NAME@START[-N].

Usage: qemu-mtree-to-board.py [hints] MTREE-O-D.txt > board.json
"""
import argparse
import json
import re
import sys

LINE = re.compile(
    r'^(?P<indent>(?:  )+)(?P<start>[0-9a-f]{16})-(?P<end>[0-9a-f]{16}) '
    r'\(prio (?P<prio>-?\d+), (?P<nv>nv-)?(?P<type>[a-z/]+)\): '
    r'(?P<rest>.*)$')
ALIAS = re.compile(r'^alias (?P<name>.*) @(?P<target>.*) '
                   r'(?P<tstart>[0-9a-f]{16})-(?P<tend>[0-9a-f]{16})$')
OWNER = re.compile(r' (owner|parent):\{(dev|obj) (path|id|type)=([^}]*)\}$')


class Region:
    def __init__(self, m, parent):
        self.parent = parent
        self.children = []
        self.start = int(m['start'], 16)
        self.end = int(m['end'], 16)
        self.prio = int(m['prio'])
        self.nv = bool(m['nv'])
        self.type = m['type']
        rest = m['rest']
        self.owner = None
        om = OWNER.search(rest)
        if om:
            rest = rest[:om.start()]
            if om.group(1) == 'owner':
                self.owner = (om.group(2), om.group(3), om.group(4))
        elif rest.endswith(' orphan'):
            rest = rest[:-len(' orphan')]
        self.disabled = rest.endswith(' [disabled]')
        if self.disabled:
            rest = rest[:-len(' [disabled]')]
        am = ALIAS.match(rest)
        self.alias = am is not None
        if am:
            self.name = am['name']
            self.target = am['target']
            self.offset = int(am['tstart'], 16)
        else:
            self.name = rest


def parse(text):
    """Roots (in order) and the AddressSpace names of each root."""
    roots, spaces, names = [], [], []
    stack = []
    for line in text.splitlines():
        if line.startswith('address-space: '):
            names.append(line[len('address-space: '):])
            continue
        if line.startswith('memory-region: '):
            names = None
            continue
        if not line:
            stack = []
            continue
        m = LINE.match(line)
        if not m:
            sys.exit('cannot parse: ' + line)
        level = len(m['indent']) // 2
        # a hidden region's children print one level deeper than it would:
        # -D shows every region, so levels are exact here
        while stack and stack[-1][0] >= level:
            stack.pop()
        parent = stack[-1][1] if stack else None
        r = Region(m, parent)
        if parent:
            parent.children.append(r)
        else:
            roots.append(r)
            spaces.append(names)
            names = [] if names is not None else None
        stack.append((level, r))
    return roots, spaces


def size_of(r, args):
    if r.name in args.size0:
        return 0
    return (r.end - r.start) % (1 << 64) + 1


def walk(r):
    yield r
    for c in r.children:
        yield from walk(c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--size0', action='append', default=[])
    ap.add_argument('--io', action='append', default=[])
    ap.add_argument('--device', action='append', default=[])
    ap.add_argument('--as-order', default='')
    ap.add_argument('dump')
    args = ap.parse_args()
    devices = dict(d.split('=', 1) for d in args.device)
    roots, spaces = parse(open(args.dump).read())

    # memory-region blocks reprint alias targets already printed: the same
    # name and size, not an alias (an alias may share its target's name)
    kept = []
    for root, names in zip(roots, spaces):
        size = (root.end - root.start) % (1 << 64)
        if names is None and any(
                r.name == root.name and not r.alias and
                (r.end - r.start) % (1 << 64) == size
                for k, _ in kept for r in walk(k)):
            continue
        kept.append((root, names))
    regions = [r for root, _ in kept for r in walk(root)]

    counts = {}
    for r in regions:
        counts[r.name] = counts.get(r.name, 0) + 1
    ids = set()
    for r in regions:
        rid = r.name
        if counts[r.name] > 1:
            rid = '%s@%x' % (r.name, r.start)
            n = 2
            while rid in ids:
                rid = '%s@%x-%d' % (r.name, r.start, n)
                n += 1
        r.id = rid
        ids.add(rid)
    by_name = {}
    for r in regions:
        by_name.setdefault(r.name, []).append(r)

    out_regions, out_devices = [], []

    def emit(r):
        e = {}
        if r.id != r.name:
            e['id'] = r.id
        e['name'] = r.name
        size = size_of(r, args)
        if r.name in devices and not r.alias:
            e['type'] = devices[r.name]
        elif r.alias:
            # an alias may share its target's name (q35's "smram")
            targets = [t for t in by_name.get(r.target, []) if t is not r]
            if len(targets) != 1:
                sys.exit('alias target %s is ambiguous or unknown' % r.target)
            e['kind'] = 'alias'
            e['target'] = targets[0].id
            e['offset'] = '0x%x' % r.offset
        elif r.type == 'i/o':
            e['kind'] = ('io' if not r.children or r.name in args.io
                         else 'container')
        else:
            e['kind'] = {'ram': 'ram', 'rom': 'rom', 'romd': 'romd',
                         'ramd': 'ram-device'}[r.type]
        if 'type' not in e:
            e['size'] = ('0x10000000000000000' if size == 1 << 64
                         else '0x%x' % size)
        if r.parent:
            e['parent'] = r.parent.id
            e['addr'] = '0x%x' % ((r.start - r.parent.start) % (1 << 64))
            if r.prio:
                e['priority'] = r.prio
            siblings = [s for s in r.parent.children if s is not r]
            end = r.start + size
            if r.prio or any(s.start < end and r.start < s.start +
                             size_of(s, args) for s in siblings):
                e['overlap'] = True
        if r.disabled:
            e['enabled'] = False
        if r.nv:
            e['nonvolatile'] = True
        if r.owner:
            kind, key, value = r.owner
            o = {}
            if kind == 'obj':
                o['kind'] = 'obj'
            o[key] = value
            e['owner'] = o
        (out_devices if 'type' in e else out_regions).append(e)
        for c in reversed(r.children):
            emit(c)

    for root, _ in kept:
        emit(root)

    out_spaces = []
    seen = {}
    order = [n for n in args.as_order.split(',') if n]
    all_spaces = [(n, root) for root, names in kept for n in (names or [])]
    all_spaces.sort(key=lambda s: order.index(s[0]) if s[0] in order
                    else len(order))
    for name, root in all_spaces:
        e = {'name': name, 'root': root.id}
        seen[name] = seen.get(name, 0) + 1
        if sum(n == name for n, _ in all_spaces) > 1:
            e = {'id': '%s#%d' % (name, seen[name]), **e}
        out_spaces.append(e)
    board = {'regions': out_regions, 'devices': out_devices,
             'address_spaces': out_spaces}
    json.dump(board, sys.stdout, indent=1)
    sys.stdout.write('\n')


main()
