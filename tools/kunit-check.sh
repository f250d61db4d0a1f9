#!/usr/bin/env bash
# Reads each KTAP document the runner wrote (build/results/*.ktap by
# default) with Linux's own `kunit.py parse` and fails if it reports an
# error, or counts differently from the runner's results file beside it
# (rpi3.ktap <-> rpi3.txt). Linux's parser is the independent check on
# tools/src/kunit_check.rs, the copy of its rules the runner's tests use.
#
# Not part of `make test`: it needs python3 and a Linux source tree.
#   KUNIT=/path/to/linux/tools/testing/kunit/kunit.py tools/kunit-check.sh [FILE.ktap...]
# One way to get kunit.py on Debian:
#   apt-get download linux-source-6.12 && dpkg-deb --fsys-tarfile linux-source-6.12_*.deb \
#     | tar -xO ./usr/src/linux-source-6.12.tar.xz \
#     | tar -xJ --wildcards 'linux-source-6.12/tools/testing/kunit/*'
set -u
KUNIT=${KUNIT:-}
if [ -z "$KUNIT" ] || [ ! -f "$KUNIT" ]; then
    echo "kunit-check: set KUNIT to Linux's tools/testing/kunit/kunit.py" >&2
    exit 2
fi
[ $# -gt 0 ] || set -- build/results/*.ktap
failed=0
for doc in "$@"; do
    [ -f "$doc" ] || { echo "not ok: $doc: no such file"; failed=1; continue; }
    # kunit.py changes to the kernel tree's root: give it an absolute path.
    abs=$(cd "$(dirname "$doc")" && pwd)/$(basename "$doc")
    out=$(python3 "$KUNIT" parse "$abs" 2>&1)
    errors=$(printf '%s\n' "$out" | grep -E '\[ERROR\]|Traceback' || true)
    summary=$(printf '%s\n' "$out" | sed -n 's/.*Testing complete\. //p' | sed 's/\x1b\[[0-9;]*m//g')
    # `Ran N tests: passed: P, failed: F, crashed: C, skipped: S` (zeros left out).
    count() { printf '%s\n' "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
    kunit="passed $(count passed) failed $(( $(count failed) + $(count crashed) )) skipped $(count skipped)"
    results=${doc%.ktap}.txt
    runner=$( [ -f "$results" ] && tr '\n' ' ' < "$results" | sed 's/ *$//' || echo "(no $results)")
    if [ -n "$errors" ]; then
        echo "not ok: $doc: kunit.py reports:"; printf '%s\n' "$errors" | sed 's/^/    /'; failed=1
    elif [ "$kunit" != "$runner" ]; then
        echo "not ok: $doc: kunit.py counts $kunit, the runner $runner"; failed=1
    else
        echo "ok: $doc: $summary"
    fi
done
exit $failed
