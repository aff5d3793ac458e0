#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the vm-memory peer (meson.build here) with the given cargo and rustc
# (Debian's), offline, against a vendored crate directory (Debian's
# /usr/share/cargo/registry), entirely under WORKDIR in the build tree: the
# sources are copied there, and a private CARGO_HOME whose config.toml
# replaces crates.io with the directory keeps the user's cargo setup out.
# Usage: cargo-build.sh check|build SRCDIR WORKDIR OUTPUT CARGO RUSTC REGISTRY
#   check  resolve the dependencies only (configure time); exit status 0
#          when the peer can be built, else the reason on stderr
#   build  build it (release profile) and copy the program to OUTPUT
set -eu
[ $# -eq 7 ] || { echo "usage: $0 check|build SRCDIR WORKDIR OUTPUT CARGO RUSTC REGISTRY" >&2; exit 2; }
mode=$1 src=$2 work=$3 out=$4 cargo=$5 rustc=$6 registry=$7

# Write $1 from stdin only when it changes: cargo rebuilds on mtimes.
update() {
    cat >"$1.new"
    if cmp -s "$1.new" "$1"; then rm -f "$1.new"; else mv -f "$1.new" "$1"; fi
}
mkdir -p "$work/src" "$work/cargo-home"
for f in Cargo.toml build.rs src/main.rs; do
    update "$work/$f" <"$src/$f"
done
update "$work/cargo-home/config.toml" <<CONF
[source.crates-io]
replace-with = "vendored"
[source.vendored]
directory = "$registry"
[net]
offline = true
CONF

export CARGO_HOME="$work/cargo-home" CARGO_TARGET_DIR="$work/target" RUSTC="$rustc"
unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS RUSTC_WRAPPER \
    CARGO_BUILD_TARGET RUSTUP_TOOLCHAIN
case $mode in
check)
    exec "$cargo" generate-lockfile --offline --quiet \
        --manifest-path "$work/Cargo.toml" ;;
build)
    "$cargo" build --release --offline --quiet \
        --manifest-path "$work/Cargo.toml"
    cp -f "$work/target/release/vmmem-peer" "$out" ;;
*)
    echo "$0: unknown mode '$mode'" >&2
    exit 2 ;;
esac
