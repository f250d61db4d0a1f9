# shellcheck shell=sh
# Busybox's own testsuite (testsuite/runtest from Debian's busybox source
# package), one applet at a time, printed as KTAP: one suite per applet,
# one result per test case. Runs under busybox sh, the same on pikern
# (booted by tools/busybox-suite.sh through ktest-runner) and on Linux
# (the reference: the same tree, chrooted, under qemu-aarch64).
#
#   sh suite.sh LIST [TIMEOUT]
#
# LIST names the applets to run, one a line, in the order given.
# TIMEOUT (default 300) is each applet's limit in seconds: runtest is then
# killed with its whole session, and the applet's suite is `not ok`, its
# unreported cases missing. A `ktest_from=K` on the kernel command line
# (/proc/cmdline; ktest-runner puts it there when it restarts QEMU after a
# hang) starts at the K-th applet.
#
# runtest's own lines become the cases: `PASS: name` -> `ok`, `FAIL: name`
# -> `not ok`, `SKIPPED:`/`UNTESTED:` -> `ok ... # SKIP`; everything else it
# prints (with VERBOSE, the diff of a failed case) becomes a `#` line.
list=${1:?usage: sh suite.sh LIST [TIMEOUT]}
limit=${2:-300}
bindir=/bb
tsdir=$bindir/testsuite
out=/tmp/runtest.out
nl='
'
# Debian's build runs the testsuite with these (debian/rules TESTSUITE_ENV),
# but for ECHO: busybox sh's echo understands -ne, dash's did not.
export SKIP_KNOWN_BUGS=y SKIP_INTERNET_TESTS=y LANG=C.UTF-8 LC_ALL=C.UTF-8 SHELL=/bin/sh
export VERBOSE=1 RUNTEST_KEEP_LINKS=1 PATH=/bin

from=1
if [ -r /proc/cmdline ]; then
    # shellcheck disable=SC2013 # words, not lines
    for word in $(cat /proc/cmdline); do
        case $word in ktest_from=*) from=${word#ktest_from=} ;; esac
    done
fi

n=0
while read -r applet; do n=$((n + 1)); done < "$list"
echo "KTAP version 1"
echo "1..$n"
k=0
while read -r applet; do
    k=$((k + 1))
    [ "$k" -ge "$from" ] || continue
    echo "    KTAP version 1"
    echo "    # Subtest: $applet"
    start=$(date +%s)
    cd "$tsdir" || exit 1
    # Its own session, so that everything it started can be killed after
    # it; timeout (busybox) keeps the pid and kills it at the limit.
    timeout -s KILL "$limit" setsid sh ./runtest "$applet" > "$out" 2>&1 < /dev/null &
    pid=$!
    wait $pid
    rc=$?
    kill -KILL -- "-$pid" 2> /dev/null
    cd /
    secs=$(($(date +%s) - start))
    # The other lines of a case (VERBOSE's command lines before it, its
    # diff after it) are kept only when the case failed.
    i=0
    failed=0
    held=
    after_fail=
    while IFS= read -r line; do
        case $line in
        PASS:\ *) i=$((i + 1)); held=; after_fail=; echo "    ok $i ${line#PASS: }" ;;
        SKIPPED:\ *) i=$((i + 1)); held=; after_fail=; echo "    ok $i ${line#SKIPPED: } # SKIP" ;;
        UNTESTED:\ *) i=$((i + 1)); held=; after_fail=; echo "    ok $i ${line#UNTESTED: } # SKIP untested" ;;
        FAIL:\ *)
            i=$((i + 1))
            failed=$((failed + 1))
            [ -z "$held" ] || printf '%s' "$held"
            held=
            after_fail=1
            echo "    not ok $i ${line#FAIL: }"
            ;;
        ======================) after_fail=; held="    # $line$nl" ;;
        *)
            if [ -n "$after_fail" ]; then
                echo "    # $line"
            else
                held="$held    # $line$nl"
            fi
            ;;
        esac
    done < "$out"
    # Whatever came after the last case (runtest's own complaints).
    [ -z "$held" ] || printf '%s' "$held"
    echo "    1..$i"
    echo "    # $applet: ${secs}s"
    if [ "$rc" -eq 137 ] && [ "$secs" -ge "$limit" ]; then
        echo "    # $applet: killed after ${limit}s"
        echo "not ok $k $applet # TIMEOUT"
    elif [ "$rc" -ne 0 ]; then
        echo "not ok $k $applet # exit status $rc"
    elif [ "$failed" -ne 0 ]; then
        # (runtest's status misses the old-style cases that failed.)
        echo "not ok $k $applet # $failed failed"
    else
        echo "ok $k $applet"
    fi
done < "$list"
echo "# busybox-suite: done"
