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
n=0 npass=0 nfail=0
ok() { n=$((n + 1)) npass=$((npass + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)) nfail=$((nfail + 1)); echo "not ok $n $1"; }
# note LINE...: a diagnostic line for the log.
note() { local l; for l in "$@"; do printf '# %s\n' "$l"; done; }

echo "KTAP version 1"
note "debian: bash $BASH_VERSION ($BASH), kernel $(uname -r 2>/dev/null || echo '?')"
D=/debtest

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

if [[ " ${SUITES:-bash tools} " == *" bash "* ]]; then
    for f in "$D"/bash/${CASES:-*}.sh; do
        name=$(basename "$f" .sh)
        out=/tmp/debtest-$name.out
        run_case "$name" "$out"
        if [[ "$(< "$out")" == "$(< "$D/expected/$name.out")" ]]; then
            ok "bash/$name"
        else
            note "bash/$name: expected (bash under qemu-aarch64 on Linux):"
            sed 's/^/#   /' "$D/expected/$name.out"
            note "bash/$name: got:"
            sed 's/^/#   /' "$out"
            not_ok "bash/$name"
        fi
        rm -f "$out"
    done
fi

if [[ " ${SUITES:-bash tools} " == *" tools "* ]]; then
    . "$D/tools.sh"
fi

echo "1..$n"
echo "# debian: done: $npass passed, $nfail failed"
