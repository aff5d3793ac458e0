#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the project's programs on bad input (bad options, missing or bad
# files, unwritable output) and checks each exit status and that nothing
# was reported by a sanitizer: in the ASan+UBSan build LeakSanitizer runs
# at exit, so every error path must free what it allocated.
# Usage: check-error-paths.sh MACHINE REPLAY [--bench BENCH]
#        [--unicorn UNICORN_EXAMPLE]  (those two are optional builds)
set -uo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 MACHINE REPLAY [--bench BENCH] [--unicorn EXAMPLE]" >&2
    exit 2
fi
machine=$1 replay=$2 bench= unicorn=
shift 2
while [ $# -ge 2 ]; do
    case $1 in
    --bench) bench=$2 ;;
    --unicorn) unicorn=$2 ;;
    *) echo "$0: unknown argument $1" >&2; exit 2 ;;
    esac
    shift 2
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0 n=0

# expect STATUS INPUT CMD...: run CMD with stdin from INPUT, stdout to
# /dev/null (or /dev/full when INPUT is "full:FILE").
expect() {
    local want=$1 input=$2 out=/dev/null status
    shift 2
    if [[ $input == full:* ]]; then
        input=${input#full:}
        out=/dev/full
    fi
    n=$((n + 1))
    "$@" <"$input" >"$out" 2>"$tmp/stderr"
    status=$?
    if [ "$status" -ne "$want" ] ||
            grep -qE 'Sanitizer|runtime error:' "$tmp/stderr"; then
        echo "not ok $n - ${*##*/}: exit $status (want $want)"
        sed 's/^/# /' "$tmp/stderr" | head -n 40
        failed=1
    else
        echo "ok $n - ${*##*/}: exit $status"
    fi
}

python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
n = 100000
# the issue's reproducer: a comment hides a quote from a bracket count
open(d + "/comment-deep.json", "w").write(
    '/* " */ {"regions":' + "[" * n + "]" * n + "}")
open(d + "/deep.json", "w").write('{"regions":' + "[" * n + "]" * n + "}")
open(d + "/nul.json", "w").write(
    '{"regions": [{"name": "s\\u0000t", "kind": "ram", "size": 1}], '
    '"address_spaces": [{"name": "m", "root": "s"}]}')
open(d + "/bad-board.json", "w").write(
    '{"regions": [{"name": "r", "kind": "ram", "size": 0}], '
    '"address_spaces": [{"name": "m", "root": "r"}]}')
open(d + "/bad.qtest", "w").write(
    "bogus\nreadl\nwrite 0 4 0xzz\nb64write 0 4 !!!!\nread 0 99999999999\n"
    "clock_step x\n" + "x" * 70 + "\ninfo mtree -q\n")
open(d + "/cmds.qtest", "w").write("endianness\nread 0 0x10000\n")
PY
mkdir "$tmp/dir"

m=$machine
expect 2 /dev/null "$m" --no-such-option
expect 2 /dev/null "$m" --board
expect 2 /dev/null "$m" unexpected-argument
expect 2 /dev/null "$m" --qtest --script "$tmp/bad.qtest"
expect 2 /dev/null "$m" -m -5
expect 2 /dev/null "$m" -m 1 --board "$tmp/deep.json"
expect 1 /dev/null "$m" --board /nonexistent.json
expect 1 /dev/null "$m" --board "$tmp/dir"
expect 1 /dev/null "$m" --board /dev/zero
expect 1 /dev/null "$m" --board "$tmp/comment-deep.json"
expect 1 /dev/null "$m" --board "$tmp/deep.json"
expect 1 /dev/null "$m" --board "$tmp/nul.json"
expect 1 /dev/null "$m" --board "$tmp/bad-board.json"
expect 1 /dev/null "$m" --script /nonexistent.qtest
expect 1 /dev/null "$m" --script "$tmp/dir"
expect 0 /dev/null "$m" --script "$tmp/bad.qtest"
expect 0 "$tmp/bad.qtest" "$m" --qtest
expect 1 "full:$tmp/cmds.qtest" "$m" --qtest
expect 1 /dev/null "$m" --socket "$tmp/no-such-dir/qtest.sock"
expect 1 /dev/null "$m" --socket "$tmp/$(printf 'x%.0s' {1..120})"
expect 0 /dev/null "$m" --board "$tmp/deep.json" --help

if [ -n "$bench" ]; then
    expect 2 /dev/null "$bench" --no-such-option
    expect 2 /dev/null "$bench" --threads 0,x
    expect 2 /dev/null "$bench" --filter no-such-workload
    expect 2 /dev/null "$bench" unexpected-argument
fi

expect 2 /dev/null "$replay"
expect 1 /dev/null "$replay" /nonexistent-corpus

if [ -n "$unicorn" ]; then
    expect 2 /dev/null "$unicorn" --no-such-option
    expect 2 /dev/null "$unicorn" --trace extra
fi

echo "1..$n"
exit $failed
