#!/bin/sh
# SPDX-License-Identifier: MIT
# The out-of-tree device example (hw-test-devices/examples/uart/) as a user
# builds it: install into a temporary DESTDIR, check that every installed
# <addrspace-machine/*.h> compiles on its own as C11 and as C++17, build
# uart.c with `pkg-config --cflags --libs addrspace-machine` alone, run
# its qtest script on its board file and compare the responses with the
# recorded ones, byte for byte.
# Usage: example-uart-test.sh BUILD_DIR EXAMPLE_DIR CC [CC_ARGS...]
set -eu
build=$1
example=$2
shift 2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "example-uart-test: FAIL: $*" >&2
    exit 1
}

meson install -C "$build" --destdir "$tmp/dest" --no-rebuild --quiet ||
    fail "meson install --destdir failed"
# Both .pc files, relocated into DESTDIR by their prefix variable (as
# install-test.sh does for addrspace.pc).
mkdir "$tmp/pc"
for name in addrspace addrspace-machine; do
    pc=$(find "$tmp/dest" -name "$name.pc")
    [ "$(echo "$pc" | wc -w)" -eq 1 ] || fail "expected one $name.pc, got: $pc"
    prefix=$(sed -n 's/^prefix=//p' "$pc")
    sed "s|^prefix=.*|prefix=$tmp/dest$prefix|" "$pc" >"$tmp/pc/$name.pc"
done
export PKG_CONFIG_PATH="$tmp/pc"
cflags=$(pkg-config --cflags addrspace-machine) || fail "pkg-config --cflags"
libs=$(pkg-config --libs addrspace-machine) || fail "pkg-config --libs"
includedir=$(pkg-config --variable=includedir addrspace-machine)
libdir=$(pkg-config --variable=libdir addrspace-machine)

n=0
for h in "$includedir"/addrspace-machine/*.h; do
    name=addrspace-machine/${h##*/}
    # shellcheck disable=SC2086 # cflags is a word list
    printf '#include <%s>\n#include <%s>\n' "$name" "$name" |
        "$@" -std=gnu11 -Wall -Wextra -Wpedantic -Wshadow \
            -Wstrict-prototypes -Werror -fsyntax-only -x c - $cflags ||
        fail "<$name> does not compile on its own"
    for cxx in g++ clang++; do
        command -v "$cxx" >/dev/null || continue
        # shellcheck disable=SC2086
        printf '#include <%s>\n' "$name" |
            "$cxx" -std=c++17 -Wall -Wextra -Werror -fsyntax-only \
                -x c++ - $cflags ||
            fail "<$name> does not compile as C++17 with $cxx"
    done
    n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no header installed in $includedir/addrspace-machine"
echo "example-uart-test: $n <addrspace-machine/*.h> headers compile on their own"

# shellcheck disable=SC2086
"$@" -std=gnu11 -Wall -Wextra -Werror -o "$tmp/uart-machine" \
    "$example/uart.c" $cflags $libs ||
    fail "uart.c does not build with pkg-config's flags"
LD_LIBRARY_PATH=$libdir "$tmp/uart-machine" -board "$example/board.json" \
    -script "$example/uart.qtest" 2>"$tmp/stderr" >"$tmp/out" ||
    fail "uart-machine failed: $(cat "$tmp/stderr")"
diff -u "$example/uart.expected" "$tmp/out" ||
    fail "the qtest responses differ from uart.expected"
[ "$(cat "$tmp/stderr")" = "Hi" ] || fail "the UART printed '$(cat "$tmp/stderr")', not 'Hi'"
LD_LIBRARY_PATH=$libdir ldd "$tmp/uart-machine" |
    grep -q "$libdir/libaddrspace-machine.so" ||
    fail "uart-machine did not load the installed libaddrspace-machine.so"
echo "example-uart-test: the UART example built with pkg-config ran its script on $libdir"
