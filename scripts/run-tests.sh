#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite: installs missing Debian packages, then builds and
# tests three configurations (plain gcc, clang ASan+UBSan, clang TSan),
# runs each libFuzzer harness for a bounded time in a fourth (clang
# ASan+UBSan with -Dfuzzing=true), checks rcu/ memory/ flatview/ with
# cppcheck, builds the API reference, runs the benchmark's self-checking
# smoke mode, and prints one summary line. BUILD_PREFIX (default "build")
# names the build directories: $BUILD_PREFIX-plain, -asan, -tsan, -fuzz.
# FUZZ_SECONDS: seconds per fuzzer (default 60 when CI=true, else 10; 0
# skips fuzzing). Usage: scripts/run-tests.sh [meson test args]
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
# Everything, whatever 'auto' would find: a missing json-glib, Doxygen or
# test dependency is an error here, not a smaller build.
all=(-Dmachine=enabled -Dtests=enabled -Dbench=enabled)
configure "$p-plain" "${all[@]}" -Ddocs=enabled
suite "$p-plain"
# clang++ with clang: C++ tests link against the clang-built library with
# the same sanitizer runtime.
CC=clang CXX=clang++ configure "$p-asan" "${all[@]}" \
    -Db_sanitize=address,undefined -Db_lundef=false
suite "$p-asan"
CC=clang CXX=clang++ configure "$p-tsan" "${all[@]}" \
    -Db_sanitize=thread -Db_lundef=false
suite "$p-tsan"

# Bounded fuzzing: each harness starts from a copy of its seed corpus (new
# inputs stay out of the tree) plus its regression reproducers, with its
# dictionary tests/fuzz/<name>.dict when there is one. A crash
# leaves its reproducer in $p-fuzz/; it belongs in
# tests/fuzz/regressions/<name>/, where the replay tests run it.
# -entropic_feature_frequency_threshold=0: libFuzzer's entropic scheduler
# keeps only its 100 rarest features as "rare" (by default every feature
# seen fewer than 255 times is, and each execution then searches that list
# once per feature it hit: most of the time of a short run). Full ASan and
# UBSan stay on. Printed per harness: executions, exec/s (wall clock), exec
# per CPU-second (user+sys: the rate on a loaded machine), and cov/ft after
# the seed corpus was loaded (libFuzzer's INITED line).
# ASAN_OPTIONS=quarantine_size_mb=16: freed memory is reused after 16 MiB
# of later frees instead of 256 (a use after free within an input is still
# caught; an input frees far less). With the default, the harnesses' data
# buffers came from fresh pages every input: page faults were half of
# fuzz-qtest's time.
cpu_now() { # cpu_s: the children's user+sys so far (builtin `times`)
    times >"$p-fuzz/times.txt"
    cpu_s=$(tail -n 1 "$p-fuzz/times.txt" | awk '{ s = 0
        for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
        printf "%.2f", s }')
}
if [ "${CI:-}" = true ]; then
    fuzz_seconds=${FUZZ_SECONDS:-60}
else
    fuzz_seconds=${FUZZ_SECONDS:-10}
fi
# The working corpus lives in memory (/dev/shm, where there is one): a run
# writes and deletes thousands of small files, and on a disk file system
# finding free inodes among the ones just deleted was 7% of fuzz-access's
# time (perf); on tmpfs it is nothing.
fuzz_tmp=()
[ -d /dev/shm ] && [ -w /dev/shm ] && fuzz_tmp=(-p /dev/shm)
if [ "$fuzz_seconds" -gt 0 ]; then
    CC=clang CXX=clang++ configure "$p-fuzz" "${all[@]}" \
        -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=true \
        -Dc_args=-fsanitize=fuzzer-no-link
    for fuzzer in "$p-fuzz"/tests/fuzz/fuzz-*; do
        case $fuzzer in *-replay | *.p) continue ;; esac
        [ -f "$fuzzer" ] && [ -x "$fuzzer" ] || continue
        name=${fuzzer##*/fuzz-}
        echo "=== fuzz-$name: ${fuzz_seconds}s ==="
        corpus=$(mktemp -d "${fuzz_tmp[@]}")
        cp tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
        regressions=()
        [ -d tests/fuzz/regressions/"$name" ] &&
            regressions=(tests/fuzz/regressions/"$name")
        dict=()
        [ -f tests/fuzz/"$name".dict ] && dict=(-dict=tests/fuzz/"$name".dict)
        log="$p-fuzz/fuzz-$name.log"
        cpu_now
        cpu0=$cpu_s
        if ! ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16 \
            "$fuzzer" -max_total_time="$fuzz_seconds" -timeout=25 \
                -print_final_stats=1 -artifact_prefix="$p-fuzz/fuzz-$name-" \
                -entropic_feature_frequency_threshold=0 \
                "${dict[@]}" "$corpus" "${regressions[@]}" >"$log" 2>&1; then
            tail -n 40 "$log"
            echo "fuzz-$name FAILED: reproducer in $p-fuzz/fuzz-$name-*"
            status=1
        fi
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        cpu_now
        cpu=$(awk -v a="$cpu0" -v b="$cpu_s" -v n="${execs:-0}" \
            'BEGIN { if (b - a > 0) printf "%d", n / (b - a); else print "?" }')
        inited=$(sed -n 's/.*INITED \(cov: [0-9]* ft: [0-9]*\).*/\1/p' "$log")
        echo "fuzz-$name: ${execs:-?} executions, ${rate:-?} exec/s" \
            "(${cpu} per CPU-second), seed corpus ${inited:-cov: ? ft: ?}," \
            "corpus $(find tests/fuzz/corpus/"$name" -type f | wc -l) seed ->" \
            "$(find "$corpus" -type f | wc -l) files"
        rm -rf "$corpus"
    done
fi

# Static analysis of the library: must be clean. False positives get an
# inline suppression, /* cppcheck-suppress <id> */, and a reason.
if command -v cppcheck >/dev/null; then
    echo "=== cppcheck rcu/ memory/ flatview/ ==="
    cppcheck -q --enable=warning,portability,performance --std=c11 \
        --inline-suppr --error-exitcode=1 -I include -D__GNUC__ \
        -D__x86_64__ rcu/ memory/ flatview/ || status=1
else
    echo "=== cppcheck not installed: static analysis skipped ==="
fi

echo "=== API reference (doxygen, warnings are errors) ==="
meson compile -C "$p-plain" docs || status=1
echo "=== benchmark smoke run (self-checks only) ==="
"$p-plain"/tests/bench/addrspace-bench --quick || status=1

# One closing line over the three configurations. A failed test is named
# again here, with the end of its output: a CI log is often read from its
# tail, far below meson's own report.
python3 - "${runs[@]}" <<'PY' || true
import json, sys
ok = fail = skip = 0
failed = []
for d in sys.argv[1:]:
    try:
        with open(d + "/meson-logs/testlog.json") as f:
            for line in f:
                r = json.loads(line)
                res = r.get("result")
                if res in ("OK", "EXPECTEDFAIL"): ok += 1
                elif res == "SKIP": skip += 1
                else:
                    fail += 1
                    failed.append((d, r))
    except OSError:
        fail += 1
        failed.append((d, {"name": "(no testlog.json)", "result": "MISSING"}))
for d, r in failed:
    print(f"=== FAILED in {d}: {r.get('name')}: {r.get('result')}"
          f" after {r.get('duration', 0):.1f} s ===")
    out = (r.get("stdout") or "").splitlines()
    for l in out[-25:]:
        print("    " + l)
print(f"{ok} passed, {fail} failed, {skip} skipped")
PY
exit $status
