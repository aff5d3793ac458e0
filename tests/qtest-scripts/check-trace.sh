#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a qtest script through the main program with --trace and compares
# the MMIO dispatch log with the expected one, byte for byte.
# Usage: check-trace.sh MACHINE SCRIPT EXPECTED-LOG
set -euo pipefail
if [ $# -ne 3 ]; then
    echo "usage: $0 MACHINE SCRIPT EXPECTED-LOG" >&2
    exit 2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$1" --script "$2" --trace "$log" >/dev/null 2>&1
diff -u "$3" "$log"
