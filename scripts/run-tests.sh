#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite: installs missing Debian packages, then builds and
# tests three configurations (plain gcc, clang ASan+UBSan, clang TSan),
# builds the API reference, runs the benchmark's self-checking smoke mode,
# and prints one summary line. BUILD_PREFIX (default "build") names the
# build directories: $BUILD_PREFIX-plain, -asan, -tsan. Usage: scripts/run-tests.sh [meson test args]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

configure() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
    meson compile -C "$dir"
}

status=0
runs=()
suite() {
    local dir=$1; shift
    echo "=== $dir: meson test ==="
    if ! meson test -C "$dir" --print-errorlogs "$@" "${test_args[@]}"; then
        status=1
    fi
    runs+=("$dir")
}

test_args=("$@")
p=${BUILD_PREFIX:-build}
configure "$p-plain"
suite "$p-plain"
CC=clang configure "$p-asan" -Db_sanitize=address,undefined -Db_lundef=false
suite "$p-asan"
CC=clang configure "$p-tsan" -Db_sanitize=thread -Db_lundef=false
suite "$p-tsan"

if [ -f "$p-plain"/build.ninja ] && ninja -C "$p-plain" -t targets all |
        grep -q '^docs:'; then
    echo "=== API reference (doxygen, warnings are errors) ==="
    meson compile -C "$p-plain" docs || status=1
fi
if [ -x "$p-plain"/tests/bench/addrspace-bench ]; then
    echo "=== benchmark smoke run (self-checks only) ==="
    "$p-plain"/tests/bench/addrspace-bench --quick || status=1
fi

# One closing line over the three configurations.
python3 - "${runs[@]}" <<'PY' || true
import json, sys
ok = fail = skip = 0
for d in sys.argv[1:]:
    try:
        with open(d + "/meson-logs/testlog.json") as f:
            for line in f:
                r = json.loads(line).get("result")
                if r in ("OK", "EXPECTEDFAIL"): ok += 1
                elif r == "SKIP": skip += 1
                else: fail += 1
    except OSError:
        fail += 1
print(f"{ok} passed, {fail} failed, {skip} skipped")
PY
exit $status
