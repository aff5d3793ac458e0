#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a planted-bug test and checks WHY it failed: the exit status must be
# exactly STATUS (66: ThreadSanitizer's exitcode in TSAN_OPTIONS, 67:
# AddressSanitizer's in ASAN_OPTIONS, 1: the test's own poison/age check),
# or one of a comma-separated list of them where two checks race to catch
# the bug first. Exit 1 when it is (meson's should_fail turns that into
# EXPECTEDFAIL), 99 otherwise (meson's hard ERROR, whatever should_fail
# says): a crash, a timeout or a clean run must not count as "the planted
# bug was caught".
# Usage: expect-status.sh STATUS[,STATUS...] PROGRAM [ARGS...]
expected=$1
shift
"$@"
status=$?
case ",$expected," in
*",$status,"*)
    echo "expect-status: planted bug caught (exit status $status)"
    exit 1
    ;;
esac
echo "expect-status: exit status $status, expected $expected:" \
    "the planted bug was not caught by the intended check" >&2
exit 99
