#!/bin/bash
# tests/debian/run.sh: the Debian test suite, run on pikern by Debian's
# bash as pid 1's child (init -- /bin/bash /debtest/run.sh), from the
# test image tools/rootfs-debian-test.sh lays over the Debian initramfs.
# Prints KTAP: one `ok N NAME` / `not ok N NAME` line per case, details as
# `# ` lines, the plan last, then `# debian: done`.
#
#   bash/NAME      tests/debian/bash/NAME.sh run by this same bash; its
#                  output (stdout and stderr, then `exit STATUS`) must equal
#                  /debtest/expected/NAME.out, the output of the same bash
#                  and script under qemu-aarch64 on Linux, made at test time
#   tools/NAME     coreutils, procps, psmisc and strace as a user runs
#                  them, their output parsed (tests/debian/tools.sh)
#
# Environment: SUITES="bash tools" (either or both), CASES="glob" (bash
# cases to run, default *).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
npass=0 nfail=0
ok() { npass=$((npass + 1)); echo "ok $n $1"; }
not_ok() { nfail=$((nfail + 1)); echo "not ok $n $1"; }
# note LINE...: a diagnostic line for the log.
note() { local l; for l in "$@"; do printf '# %s\n' "$l"; done; }
# show FILE: its lines as diagnostics (bash alone: no sed in the harness,
# so that it runs where only a static bash does).
show() { local l; while IFS= read -r l || [ -n "$l" ]; do printf '#   %s\n' "$l"; done < "$1"; }

D=/debtest
. "$D/tools.sh"
tests=()
if [[ " ${SUITES:-bash tools} " == *" bash "* ]]; then
    for f in "$D"/bash/${CASES:-*}.sh; do
        f=${f##*/}
        tests+=("bash ${f%.sh}")
    done
fi
if [[ " ${SUITES:-bash tools} " == *" tools "* ]]; then
    for t in "${TOOLS_CHECKS[@]}"; do tests+=("tools $t"); done
fi
# ktest-runner restarts a run that crashed with ktest_from=NEXT on the
# command line: the tests before NEXT have their results already.
from=1
read -r cmdline < /proc/cmdline || true
[[ " $cmdline " =~ \ ktest_from=([0-9]+)\  ]] && from=${BASH_REMATCH[1]}

echo "KTAP version 1"
echo "1..${#tests[@]}"
note "debian: bash $BASH_VERSION ($BASH); ${#tests[@]} tests from $from"

# One bash case, the way tools/rootfs-debian-test.sh makes the reference:
# a clean environment, stdin /dev/null, stdout and stderr to one file.
run_case() { # NAME OUT
    (
        cd "$D/bash" || exit 99
        for v in $(compgen -e); do unset "$v"; done
        export PATH=/usr/bin:/bin HOME=/root LC_ALL=C
        "$BASH" "$1.sh" < /dev/null > "$2" 2>&1
        echo "exit $?" >> "$2"
    )
}

bash_case() { # NAME
    local out=/tmp/debtest-$1.out
    run_case "$1" "$out"
    if [[ "$(< "$out")" == "$(< "$D/expected/$1.out")" ]]; then
        ok "bash/$1"
    else
        note "bash/$1: expected (bash under qemu-aarch64 on Linux):"
        show "$D/expected/$1.out"
        note "bash/$1: got:"
        show "$out"
        not_ok "bash/$1"
    fi
    : > "$out"
}

tools_prepare
n=0
for t in "${tests[@]}"; do
    n=$((n + 1))
    [ "$n" -ge "$from" ] || continue
    read -r suite name <<< "$t"
    if [ "$suite" = bash ]; then
        bash_case "$name"
    else
        check "$name"
    fi
done
echo "# debian: done: $npass passed, $nfail failed"
