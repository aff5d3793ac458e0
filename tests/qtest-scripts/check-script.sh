#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a qtest script through the main program and compares its responses
# with the expected output, byte for byte. Arguments after EXPECTED are
# passed to the main program (e.g. -M q35 -global hpet.compat=qemu-7.2).
# Usage: check-script.sh MACHINE SCRIPT EXPECTED [MACHINE-ARGS...]
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 MACHINE SCRIPT EXPECTED [MACHINE-ARGS...]" >&2
    exit 2
fi
machine=$1 script=$2 expected=$3
shift 3
"$machine" "$@" --script "$script" 2>/dev/null | diff -u "$expected" -
