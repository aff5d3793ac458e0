#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a qtest script through the main program and compares its responses
# with the expected output, byte for byte.
# Usage: check-script.sh MACHINE SCRIPT EXPECTED
set -euo pipefail
if [ $# -ne 3 ]; then
    echo "usage: $0 MACHINE SCRIPT EXPECTED" >&2
    exit 2
fi
"$1" --script "$2" 2>/dev/null | diff -u "$3" -
