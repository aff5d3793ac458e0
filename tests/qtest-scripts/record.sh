#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Records the expected output of the hpet-*.qtest scripts from a real QEMU
# (see README.md in this folder): each script is fed to
#   QEMU -M pc,pit=off -accel qtest -qtest stdio -qtest-log /dev/null
#        -display none -nodefaults
# (-M q35 for hpet-q35-*), and QEMU's answers are written, unedited, to
# the script's .expected file. QEMU does not exit at the end of its input:
# it is stopped after SECONDS_PER_SCRIPT (default 20) seconds.
# QEMU wants a PC BIOS file even though qtest runs no guest code: a QEMU
# built but not installed finds Debian's with QEMU_FIRMWARE (default
# "-L /usr/share/seabios -L /usr/share/qemu").
# Usage: record.sh QEMU-SYSTEM-X86_64 [SCRIPT...]
set -euo pipefail
if [ $# -lt 1 ]; then
    echo "usage: $0 QEMU-SYSTEM-X86_64 [SCRIPT...]" >&2
    exit 2
fi
qemu=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
    set -- "$here"/hpet-*.qtest
fi
for script in "$@"; do
    case $(basename "$script") in
    hpet-q35-*) machine=q35 ;;
    *) machine=pc,pit=off ;;
    esac
    status=0
    # shellcheck disable=SC2086 # QEMU_FIRMWARE is a list of options
    timeout "${SECONDS_PER_SCRIPT:-20}" "$qemu" \
        ${QEMU_FIRMWARE:--L /usr/share/seabios -L /usr/share/qemu} \
        -M "$machine" -accel qtest -qtest stdio -qtest-log /dev/null \
        -display none -nodefaults <"$script" \
        >"${script%.qtest}.expected" 2>/dev/null || status=$?
    if [ "$status" -ne 124 ]; then
        echo "$0: $qemu exited with status $status on $script" >&2
        exit 1
    fi
done
