#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the build into a temporary DESTDIR and uses it as an outside
# project would: every installed public header must compile on its own, as
# C11 and as C++17 (g++ and clang++, where installed), and small programs
# in C and C++ built with `pkg-config --cflags --libs addrspace` alone must
# link against the installed libaddrspace.so and run.
# Usage: install-test.sh BUILD_DIR CONSUMER.c CONSUMER.cpp CC [CC_ARGS...]
set -eu
build=$1
consumer=$2
consumer_cpp=$3
shift 3
# "$@" is now the C compiler command, as meson runs it.

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "install-test: FAIL: $*" >&2
    exit 1
}

meson install -C "$build" --destdir "$tmp/dest" --no-rebuild --quiet ||
    fail "meson install --destdir failed"
pcs=$(find "$tmp/dest" -name addrspace.pc)
[ "$(echo "$pcs" | wc -w)" -eq 1 ] || fail "expected one addrspace.pc, got: $pcs"

# Relocate the .pc into DESTDIR by its prefix variable, as a user who
# installed with --prefix would have it. (PKG_CONFIG_SYSROOT_DIR and
# --define-prefix would also move glib's and liburcu's paths; the multiarch
# libdir defeats --define-prefix anyway.) Everything else in the file,
# Requires, Cflags and Libs included, is used as installed.
prefix=$(sed -n 's/^prefix=//p' "$pcs")
[ -n "$prefix" ] || fail "addrspace.pc has no prefix variable"
mkdir "$tmp/pc"
sed "s|^prefix=.*|prefix=$tmp/dest$prefix|" "$pcs" >"$tmp/pc/addrspace.pc"
export PKG_CONFIG_PATH="$tmp/pc"
cflags=$(pkg-config --cflags addrspace) || fail "pkg-config --cflags"
libs=$(pkg-config --libs addrspace) || fail "pkg-config --libs"
includedir=$(pkg-config --variable=includedir addrspace)
libdir=$(pkg-config --variable=libdir addrspace)
case $includedir in "$tmp"/*) ;; *) fail "includedir $includedir is not under \${prefix}" ;; esac
case $libdir in "$tmp"/*) ;; *) fail "libdir $libdir is not under \${prefix}" ;; esac

# Self-containment: each public header alone, twice (include guard), with
# the project's own strictness. static/*-inline.h are not checked alone:
# they are parts of the public header that includes them.
n=0
for h in "$includedir"/addrspace/*.h; do
    name=addrspace/${h##*/}
    # shellcheck disable=SC2086 # cflags is a word list
    printf '#include <%s>\n#include <%s>\n' "$name" "$name" |
        "$@" -std=gnu11 -Wall -Wextra -Wpedantic -Wshadow \
            -Wstrict-prototypes -Werror -fsyntax-only -x c - $cflags ||
        fail "<$name> does not compile on its own"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no header installed in $includedir/addrspace"
echo "install-test: $n public headers compile on their own"

cxxs=
for cxx in g++ clang++; do
    command -v "$cxx" >/dev/null && cxxs="$cxxs $cxx"
done
[ -n "$cxxs" ] || fail "neither g++ nor clang++ is installed"
for cxx in $cxxs; do
    for h in "$includedir"/addrspace/*.h; do
        name=addrspace/${h##*/}
        # shellcheck disable=SC2086
        printf '#include <%s>\n#include <%s>\n' "$name" "$name" |
            "$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror \
                -fsyntax-only -x c++ - $cflags ||
            fail "<$name> does not compile as C++17 with $cxx"
    done
    # shellcheck disable=SC2086
    "$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror \
        -o "$tmp/consumer-$cxx" "$consumer_cpp" $cflags $libs ||
        fail "the C++ consumer does not build with $cxx and pkg-config's flags"
    LD_LIBRARY_PATH=$libdir "$tmp/consumer-$cxx" ||
        fail "the C++ consumer built with $cxx failed"
done
echo "install-test: the headers and the C++ consumer compile as C++17 with$cxxs"

# The consumer: pkg-config's flags only, linked against the shared library.
# shellcheck disable=SC2086
"$@" -std=gnu11 -Wall -Wextra -Werror -o "$tmp/consumer" "$consumer" \
    $cflags $libs || fail "the consumer does not build with pkg-config's flags"
LD_LIBRARY_PATH=$libdir "$tmp/consumer" || fail "the consumer failed"
LD_LIBRARY_PATH=$libdir ldd "$tmp/consumer" | grep -q "$libdir/libaddrspace.so" ||
    fail "the consumer did not load the installed libaddrspace.so"
echo "install-test: consumer built with pkg-config and ran against $libdir"
