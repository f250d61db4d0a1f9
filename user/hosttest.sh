#!/usr/bin/env bash
# user/hosttest.sh: runs pikern's user programs on this Linux host under
# qemu-aarch64 (Linux's arm64 ABI, which pikern implements), so a failing
# test here is a bug in the test or the program, not in pikern.
#
#   hosttest.sh TREE RESULTS LOG
#
# TREE is the initramfs tree (build/initramfs). Checks hello's, hello_c's,
# raspbian_fork's, raspbian_fork_c's and sh's output, poweroff's refusal
# to touch this host, and init's contract (exit status, messages, reaping
# orphans: init runs the host's /bin/sh, since the host cannot exec aarch64
# binaries itself), then runs usertests, whose KTAP output goes to LOG.
# usertests runs the other programs of TREE through qemu-aarch64
# (PIKERN_QEMU_USER), as this host has no binfmt_misc for aarch64.
# RESULTS gets "passed N / failed N / skipped N": the usertests leaf tests
# (from its "# usertests: pass:X fail:Y skip:Z" line) plus one test per
# program check here. Exits 1 if anything failed.
set -u

tree=$1 results=$2 log=$3
qemu=${QEMU_USER:-qemu-aarch64}
qemu_path=$(command -v "$qemu")
passed=0 failed=0 skipped=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# raspbian_fork_c takes the seed's 6 s: start it now, check it at the end.
# `| cat` waits for the child it leaves behind, which writes last.
( timeout 60 "$qemu" "$tree/bin/raspbian_fork_c" 2>&1 </dev/null | cat >"$scratch/rf_c.out"
  echo "${PIPESTATUS[0]}" >"$scratch/rf_c.status" ) &
rf_c_job=$!

pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; shift; printf '  # %s\n' "$@"; }

# expect NAME WANT_STATUS CMD... : runs CMD, stores output in $out, checks
# the exit status.
expect() {
    local name=$1 want=$2; shift 2
    out=$(timeout 60 "$@" 2>&1 </dev/null)
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "$name" "exit status $got, expected $want" "$out"
        return 1
    fi
}

# has NAME PATTERN: $out has a line matching PATTERN (grep -E, whole line).
has() { grep -qxE -- "$2" <<<"$out" || { fail "$1" "no line matching: $2" "$out"; return 1; }; }

# hello: its greeting and its argv.
if expect hello 0 "$qemu" "$tree/bin/hello" one "two words" &&
    has hello 'Hello from user space! pid=[0-9]+ ppid=[0-9]+' &&
    has hello 'argv\[1\]=one' && has hello 'argv\[2\]=two words'; then
    pass hello
fi

# hello_c: glibc's start-up, printf and malloc.
if expect hello_c 0 "$qemu" "$tree/bin/hello_c" &&
    has hello_c 'hello from C \(glibc\): pid [0-9]+, malloc ok'; then
    pass hello_c
fi

# raspbian_fork OUT_LINES: the seed's output: "About to fork process "
# lines (OUT_LINES of them allowed, as a regex), then per process
# "raspbian tracing ppid:P pid:C " lines, the child's ppid being the
# parent's pid.
check_raspbian() {
    local name=$1 about=$2 times=$3
    has "$name" 'About to fork process ' || return 1
    local n_about parent child
    n_about=$(grep -cx 'About to fork process ' <<<"$out")
    if ! grep -qxE "$about" <<<"$n_about"; then
        fail "$name" "$n_about \"About to fork process\" lines" "$out"; return 1
    fi
    parent=$(sed -n 's/^raspbian tracing ppid:[0-9]* pid:\([0-9]*\) $/\1/p' <<<"$out" | sort | uniq -c | sort -rn)
    if [ "$(wc -l <<<"$parent")" -ne 2 ] || ! awk -v t="$times" '$1 != t { exit 1 }' <<<"$parent"; then
        fail "$name" "expected $times tracing lines from each of two processes" "$out"; return 1
    fi
    # The child's ppid is the other process's pid.
    child=$(grep -E '^raspbian tracing ppid:[0-9]+ pid:[0-9]+ $' <<<"$out" |
        awk -F'[: ]' '{ print $4, $6 }' | sort -u)
    if ! awk '{ pid[$2]; ppid[$1] } END { for (p in ppid) if (p in pid) exit 0; exit 1 }' <<<"$child"; then
        fail "$name" "no line shows the other process as its parent" "$out"; return 1
    fi
}

# raspbian_fork: the Rust version, fast.
if expect raspbian_fork 0 "$qemu" "$tree/bin/raspbian_fork" -n 2 -s 0.1 &&
    check_raspbian raspbian_fork '1' 2; then
    pass raspbian_fork
fi

# sh: a command line with a redirection, and an unknown command.
if expect sh_c 0 "$qemu" "$tree/bin/sh" -c "echo hi > $scratch/x; cat $scratch/x; false || echo \$?" &&
    has sh_c 'hi' && has sh_c '1'; then
    pass sh_c
fi
if expect sh_not_found 127 "$qemu" "$tree/bin/sh" -c nosuchcmd &&
    has sh_not_found 'sh: nosuchcmd: command not found'; then
    pass sh_not_found
fi

# poweroff: on Linux it must refuse before calling reboot (as root under
# qemu-user, the call would power this machine off).
if expect poweroff_refuses 1 "$qemu" "$tree/bin/poweroff" &&
    has poweroff_refuses 'poweroff: not on pikern and not pid 1: refusing to power off this machine'; then
    pass poweroff_refuses
fi

# init: the program's exit status becomes init's (not pid 1: no power-off).
if expect init_exit_status 3 "$qemu" "$tree/init" /bin/sh -c 'exit 3' &&
    has init_exit_status 'init: starting /bin/sh' &&
    has init_exit_status 'init: /bin/sh exited with status 3, powering off'; then
    pass init_exit_status
fi

# init: a program that cannot be executed: 127 and a message.
if expect init_cannot_run 127 "$qemu" "$tree/init" /no/such/program &&
    has init_cannot_run 'init: cannot run /no/such/program: errno 2' &&
    has init_cannot_run 'init: /no/such/program exited with status 127, powering off'; then
    pass init_cannot_run
fi

# init: waits for orphans (here a background job of the shell) before it
# powers off, even though the program itself exited at once.
if expect init_reaps_orphans 0 "$qemu" "$tree/init" /bin/sh -c '(sleep 0.5; echo orphan done) & exit 0'; then
    orphan=$(grep -nx 'orphan done' <<<"$out" | head -n 1 | cut -d: -f1)
    off=$(grep -n 'exited with status 0, powering off' <<<"$out" | head -n 1 | cut -d: -f1)
    if [ -n "$orphan" ] && [ -n "$off" ] && [ "$orphan" -lt "$off" ]; then
        pass init_reaps_orphans
    else
        fail init_reaps_orphans "init powered off before its orphan finished" "$out"
    fi
fi

# usertests LOG [SUITE...]: KTAP; its summary line carries the leaf-test
# counts. Its stdout is a pipe (as a console would be, and unlike a file,
# not seekable).
# The dynamically linked programs find the tree's loader and libc through
# qemu-aarch64 -L PIKERN_QEMU_LD_PREFIX (usertests passes it for them only),
# a directory holding only lib/.
mkdir -p "$scratch/sysroot"
ln -s "$(realpath "$tree/lib")" "$scratch/sysroot/lib"
usertests() {
    local log=$1; shift
    PIKERN_QEMU_LD_PREFIX=$scratch/sysroot PIKERN_QEMU_USER=$qemu_path timeout 600 "$qemu" "$tree/bin/usertests" "$@" 2>&1 </dev/null | cat >"$log"
    local status=${PIPESTATUS[0]}
    local summary p f s
    summary=$(grep -E '^# usertests: pass:[0-9]+ fail:[0-9]+ skip:[0-9]+' "$log" | tail -n 1)
    if [ -z "$summary" ]; then
        fail usertests "no summary line (exit status $status); see $log" "$(tail -n 20 "$log")"
        return
    fi
    read -r p f s < <(sed -E 's/^# usertests: pass:([0-9]+) fail:([0-9]+) skip:([0-9]+).*/\1 \2 \3/' <<<"$summary")
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    echo "usertests${*:+ $*}: $p passed, $f failed, $s skipped (KTAP log: $log)"
    grep -E '^ *not ok|^ *# .*:[0-9]+: ' "$log" || true
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        fail usertests "exit status $status although no test failed"
    fi
}
usertests "$log"

# raspbian_fork_c: the seed's C program, 3 lines per process 2 s apart.
# glibc buffers a non-terminal stdout, so "About to fork" can appear twice.
wait "$rf_c_job"
out=$(cat "$scratch/rf_c.out") rf_status=$(cat "$scratch/rf_c.status")
if [ "$rf_status" != 0 ]; then
    fail raspbian_fork_c "exit status $rf_status, expected 0" "$out"
elif check_raspbian raspbian_fork_c '1|2' 3; then
    pass raspbian_fork_c
fi

printf 'passed %d\nfailed %d\nskipped %d\n' "$passed" "$failed" "$skipped" >"$results"
echo "user-hosttest: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
