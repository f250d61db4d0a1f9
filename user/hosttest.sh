#!/usr/bin/env bash
# user/hosttest.sh: runs pikern's user programs on this Linux host under
# qemu-aarch64 (Linux's arm64 ABI, which pikern implements), so a failing
# test here is a bug in the test or the program, not in pikern.
#
#   hosttest.sh TREE RESULTS LOG
#
# TREE is the initramfs tree (build/initramfs). Checks hello's and
# hello_c's output and init's contract (exit status, messages, reaping
# orphans: init runs the host's /bin/sh, since the host cannot exec aarch64
# binaries itself), then runs usertests, whose KTAP output goes to LOG.
# RESULTS gets "passed N / failed N / skipped N": the usertests leaf tests
# (from its "# usertests: pass:X fail:Y skip:Z" line) plus one test per
# program check here. Exits 1 if anything failed.
set -u

tree=$1 results=$2 log=$3
qemu=${QEMU_USER:-qemu-aarch64}
passed=0 failed=0 skipped=0

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
    has hello_c 'hello from C \(glibc static\): pid [0-9]+, malloc ok'; then
    pass hello_c
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

# usertests: KTAP; its summary line carries the leaf-test counts. Its
# stdout is a pipe (as a console would be, and unlike a file, not seekable).
timeout 600 "$qemu" "$tree/bin/usertests" 2>&1 </dev/null | cat >"$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '^# usertests: pass:[0-9]+ fail:[0-9]+ skip:[0-9]+' "$log" | tail -n 1)
if [ -z "$summary" ]; then
    fail usertests "no summary line (exit status $status); see $log" "$(tail -n 20 "$log")"
else
    read -r p f s < <(sed -E 's/^# usertests: pass:([0-9]+) fail:([0-9]+) skip:([0-9]+).*/\1 \2 \3/' <<<"$summary")
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    echo "usertests: $p passed, $f failed, $s skipped (KTAP log: $log)"
    grep -E '^ *not ok|^ *# .*:[0-9]+: ' "$log" || true
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        fail usertests "exit status $status although no test failed"
    fi
fi

printf 'passed %d\nfailed %d\nskipped %d\n' "$passed" "$failed" "$skipped" >"$results"
echo "user-hosttest: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
