#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages addrspace needs, if any is missing.
# cargo, rustc and librust-vm-memory-dev build the benchmark's vm-memory
# peer (tests/bench/vmmem-peer/) offline from Debian's vendored crates.
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev
      libglib2.0-dev liburcu-dev libjson-glib-dev doxygen valgrind
      libunicorn-dev cppcheck
      cargo rustc librust-vm-memory-dev)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
