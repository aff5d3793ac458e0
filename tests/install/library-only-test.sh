#!/bin/sh
# SPDX-License-Identifier: MIT
# The library alone, on a machine without json-glib (hidden from
# pkg-config here: PKG_CONFIG_LIBDIR lists every installed .pc file but
# json-glib-1.0.pc):
#  1. control: -Dmachine=enabled must fail and name json-glib, which proves
#     that json-glib is really out of sight;
#  2. the top-level project with default options configures without it and
#     without addrspace-machine;
#  3. a parent project that uses addrspace as a meson subproject
#     (tests/install/subproject-parent, with subprojects/addrspace linked
#     to this source tree) builds, passes its test, never looks json-glib
#     up, and its `meson install` installs its own program and the library
#     but no addrspace-machine; the installed program runs.
# Usage: library-only-test.sh SOURCE_ROOT PARENT_PROJECT_DIR
set -eu
src=$1
parent=$2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "library-only-test: FAIL: $*" >&2
    exit 1
}

mkdir "$tmp/pc"
pc_path=$(pkg-config --variable pc_path pkg-config)
old_ifs=$IFS
IFS=:
for dir in $pc_path ${PKG_CONFIG_PATH:-}; do
    for pc in "$dir"/*.pc; do
        [ -f "$pc" ] || continue
        name=${pc##*/}
        [ "$name" != json-glib-1.0.pc ] || continue
        [ -e "$tmp/pc/$name" ] || ln -s "$pc" "$tmp/pc/$name"
    done
done
IFS=$old_ifs
PKG_CONFIG_LIBDIR=$tmp/pc
export PKG_CONFIG_LIBDIR
unset PKG_CONFIG_PATH
pkg-config --exists glib-2.0 liburcu-memb ||
    fail "glib-2.0 or liburcu-memb missing from $tmp/pc"
if pkg-config --exists json-glib-1.0; then
    fail "json-glib-1.0 is still visible to pkg-config"
fi

# 1. The control.
if meson setup "$tmp/b-machine" "$src" -Dmachine=enabled -Ddocs=disabled \
    >"$tmp/machine.log" 2>&1; then
    fail "-Dmachine=enabled configured without json-glib"
fi
grep -q 'json-glib-1.0' "$tmp/machine.log" ||
    fail "-Dmachine=enabled failed without naming json-glib-1.0:
$(tail -n 5 "$tmp/machine.log")"
echo "library-only-test: -Dmachine=enabled fails without json-glib, as it must"

# 2. Top level, default options.
meson setup "$tmp/b-top" "$src" -Ddocs=disabled >"$tmp/top.log" 2>&1 ||
    fail "the top-level project does not configure without json-glib:
$(tail -n 20 "$tmp/top.log")"
meson introspect --targets "$tmp/b-top" >"$tmp/top-targets.json"
grep -q '"addrspace-machine"' "$tmp/top-targets.json" &&
    fail "the top-level configuration without json-glib has addrspace-machine"
grep -q '"addrspace"' "$tmp/top-targets.json" ||
    fail "the top-level configuration without json-glib has no library"
echo "library-only-test: the top-level project configures the library alone"

# 3. The parent project, with addrspace as its subproject.
cp -R "$parent" "$tmp/parent"
mkdir "$tmp/parent/subprojects"
ln -s "$(cd "$src" && pwd)" "$tmp/parent/subprojects/addrspace"
meson setup "$tmp/b-parent" "$tmp/parent" --buildtype=debug \
    --force-fallback-for=addrspace >"$tmp/parent.log" 2>&1 ||
    fail "the parent project does not configure:
$(tail -n 20 "$tmp/parent.log")"
if grep -q 'json-glib' "$tmp/b-parent/meson-logs/meson-log.txt"; then
    fail "configuring the subproject looked json-glib up"
fi
meson compile -C "$tmp/b-parent" >"$tmp/compile.log" 2>&1 ||
    fail "the parent project does not build:
$(tail -n 30 "$tmp/compile.log")"
meson test -C "$tmp/b-parent" >"$tmp/test.log" 2>&1 ||
    fail "the parent project's test failed:
$(tail -n 30 "$tmp/b-parent/meson-logs/testlog.txt")"
meson install -C "$tmp/b-parent" --destdir "$tmp/dest" --quiet \
    >"$tmp/install.log" 2>&1 ||
    fail "the parent project's meson install failed:
$(tail -n 20 "$tmp/install.log")"
[ -z "$(find "$tmp/dest" -name 'addrspace-machine*')" ] ||
    fail "the parent's install has addrspace-machine"
[ -z "$(find "$tmp/dest" -name 'addrspace-unicorn-example*')" ] ||
    fail "the parent's install has the Unicorn example"
programs=$(find "$tmp/dest" -path '*/bin/*' -type f | sed 's|.*/||')
[ "$programs" = parent-demo ] ||
    fail "the parent's install has programs other than its own: $programs"
lib=$(find "$tmp/dest" -name 'libaddrspace.so.*' -type f)
[ -n "$lib" ] || fail "the parent's install has no libaddrspace.so"
[ -n "$(find "$tmp/dest" -name addrspace.pc)" ] ||
    fail "the parent's install has no addrspace.pc"
demo=$(find "$tmp/dest" -path '*/bin/parent-demo' -type f)
LD_LIBRARY_PATH=${lib%/*} "$demo" || fail "the installed parent-demo failed"
echo "library-only-test: the parent project built addrspace as a subproject" \
    "without json-glib and installed no addrspace-machine"
