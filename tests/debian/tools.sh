#!/bin/bash
# tests/debian/tools.sh: coreutils, procps, psmisc and strace from Debian,
# run as a user runs them; each check parses what they print and says
# what it expected on failure. Sourced by tests/debian/run.sh (ok, not_ok,
# note come from there).

# The checks, in order: NAME:FUNCTION.
TOOLS_CHECKS=(ls-l:ls_l cp-a:cp_a sort:sort_ date:date_ ps-aux:ps_aux pstree-p:pstree_p
    ps-eLf:ps_eLf top-b-n1:top_b free:free_ uptime:uptime_ strace-f-process:strace_f
    strace-c:strace_c memory-10-bash:mem_bash)

# check NAME:FUNCTION: one test, passed when FUNCTION returns 0.
check() {
    if "${1#*:}"; then ok "tools/${1%%:*}"; else not_ok "tools/${1%%:*}"; fi
}
# fail MESSAGE [OUTPUT]: say why, show what the program printed, fail.
fail() {
    local l
    note "$1"
    [ -z "${2:-}" ] || while IFS= read -r l; do printf '#   %s\n' "$l"; done <<< "$2"
    return 1
}

T=/tmp/debtools
# Where the seed's programs are (a host check of this file points elsewhere).
BIN=${DEBTEST_BIN:-/bin}
tools_prepare() { rm -rf "$T" && mkdir -p "$T"; }

ls_l() {
    printf '12345' > "$T/five"
    chmod 640 "$T/five"
    ln -s five "$T/link"
    mkdir -m 750 "$T/dir"
    local out
    out=$(cd "$T" && ls -l) || return 1
    [[ $out == total\ * ]] || fail "ls -l: no 'total' line" "$out" || return 1
    grep -Eq '^-rw-r----- 1 root root +5 .+ five$' <<< "$out" || fail "ls -l: expected '-rw-r----- 1 root root 5 DATE five'" "$out" || return 1
    grep -Eq '^lrwxrwxrwx 1 root root +4 .+ link -> five$' <<< "$out" || fail "ls -l: expected 'lrwxrwxrwx ... link -> five'" "$out" || return 1
    grep -Eq '^drwxr-x--- [0-9]+ root root +[0-9]+ .+ dir$' <<< "$out" || fail "ls -l: expected 'drwxr-x--- ... dir'" "$out" || return 1
    # ls asks every file for its ACL and security label (lgetxattr): no
    # complaint where the file system keeps none, as on Linux.
    out=$(ls -l / /dev /proc/self 2>&1 > /dev/null)
    [ -z "$out" ] || fail "ls -l /: it complained" "$out"
}

cp_a() {
    mkdir -p "$T/src/sub"
    printf 'data\n' > "$T/src/sub/file"
    chmod 604 "$T/src/sub/file"
    ln -s sub/file "$T/src/rel"
    touch -d '2001-02-03 04:05:06' "$T/src/sub/file"
    cp -a "$T/src" "$T/copy" || fail "cp -a failed" || return 1
    local a b
    a=$(cd "$T/src" && stat -c '%n %a %s %F %Y %N' sub sub/file rel) || return 1
    b=$(cd "$T/copy" && stat -c '%n %a %s %F %Y %N' sub sub/file rel) || return 1
    [[ $a == "$b" ]] || fail "cp -a: the copy differs (mode, size, type, mtime or link)" "$a"$'\n'"---"$'\n'"$b" || return 1
    [[ $(< "$T/copy/rel") == data ]] || fail "cp -a: the symlink in the copy does not lead to the data"
}

sort_() {
    local out
    out=$(printf '10\n9\n2\n33\n2\n' | sort -n | tr '\n' ' ')
    [[ $out == "2 2 9 10 33 " ]] || fail "sort -n: got '$out'" || return 1
    out=$(printf 'b,2\na,3\nc,1\n' | sort -t, -k2,2n | tr '\n' ' ')
    [[ $out == "c,1 b,2 a,3 " ]] || fail "sort -t, -k2,2n: got '$out'" || return 1
    out=$(printf 'x\ny\nx\n' | sort -u | tr '\n' ' ')
    [[ $out == "x y " ]] || fail "sort -u: got '$out'"
}

date_() {
    local out s
    out=$(date -u -d @0) || return 1
    [[ $out == "Thu Jan  1 00:00:00 UTC 1970" ]] || fail "date -u -d @0: got '$out'" || return 1
    s=$(date +%s)
    [[ $s =~ ^[0-9]+$ ]] || fail "date +%s: got '$s'" || return 1
    out=$(date -u -d @1700000000 '+%Y-%m-%d %H:%M:%S %A')
    [[ $out == "2023-11-14 22:13:20 Tuesday" ]] || fail "date -d @1700000000: got '$out'"
}

# The seed's program in the background: a parent and a child, each
# sleeping 3 times 2 s. DEMO holds the parent's pid once both exist.
start_demo() {
    $BIN/raspbian_fork_c > /dev/null &
    DEMO=$!
    local i
    for i in $(seq 50); do
        [ -n "$(ps -o pid= --ppid "$DEMO" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    return 1
}

ps_aux() {
    start_demo || fail "raspbian_fork_c's child did not appear in ps --ppid" || return 1
    local out parent child
    out=$(ps aux) || return 1
    head -1 <<< "$out" | grep -Eq '^USER +PID +%CPU +%MEM +VSZ +RSS +TTY +STAT +START +TIME +COMMAND$' \
        || fail "ps aux: unexpected header" "$out" || return 1
    grep -Eq '^root +1 .* /init' <<< "$out" || fail "ps aux: no pid 1 (/init)" "$out" || return 1
    parent=$(awk -v p="$DEMO" '$2 == p' <<< "$out")
    [[ $parent =~ ^root\ +$DEMO\ .*\ S[^\ ]*\ .*$BIN/raspbian_fork_c$ ]] \
        || fail "ps aux: the demo's parent $DEMO should be sleeping (S)" "$out" || return 1
    out=$(ps -eo pid,ppid,stat,comm) || return 1
    child=$(awk -v p="$DEMO" '$2 == p && $4 == "raspbian_fork_c" { print $1 }' <<< "$out")
    [ -n "$child" ] || fail "ps -eo pid,ppid,stat,comm: no raspbian_fork_c whose parent is $DEMO" "$out" || return 1
    awk -v c="$child" '$1 == c' <<< "$out" | grep -Eq "^ *$child +$DEMO +S" \
        || fail "ps: the child $child should be sleeping (S) under $DEMO" "$out" || return 1
    awk -v p="$DEMO" '$1 == p' <<< "$out" | grep -Eq "^ *$DEMO +$$ +S" \
        || fail "ps: the parent $DEMO should be this shell's ($$) child" "$out" || return 1
    wait "$DEMO" || fail "raspbian_fork_c exited with $?"
}

pstree_p() {
    local out
    start_demo || fail "raspbian_fork_c's child did not appear in ps --ppid" || return 1
    out=$(COLUMNS=1000 pstree -p) || return 1
    [[ $out == init\(1\)* ]] || fail "pstree -p: the tree should start at init(1)" "$out" || return 1
    grep -q "raspbian_fork_c($DEMO)---raspbian_fork_c([0-9]*)" <<< "$out" \
        || fail "pstree -p: expected raspbian_fork_c($DEMO)---raspbian_fork_c(CHILD)" "$out" || return 1
    wait "$DEMO" || fail "raspbian_fork_c exited with $?"
}

ps_eLf() {
    $BIN/raspbian_thread_c -n 3 -s 3 > /dev/null &
    local tpid=$! out i lines
    for i in $(seq 50); do
        [ "$(ls /proc/$tpid/task 2>/dev/null | wc -l)" = 4 ] && break
        sleep 0.1
    done
    out=$(ps -eLf) || return 1
    head -1 <<< "$out" | grep -Eq '^UID +PID +PPID +LWP +C +NLWP +STIME +TTY +TIME +CMD$' \
        || fail "ps -eLf: unexpected header" "$out" || return 1
    lines=$(awk -v p="$tpid" '$2 == p && $6 == 4' <<< "$out")
    [ "$(wc -l <<< "$lines")" = 4 ] || fail "ps -eLf: expected 4 threads (NLWP 4) of pid $tpid" "$out" || return 1
    [ "$(awk '{ print $4 }' <<< "$lines" | sort -u | wc -l)" = 4 ] || fail "ps -eLf: the 4 LWPs should differ" "$lines" || return 1
    awk '{ print $4 }' <<< "$lines" | grep -qx "$tpid" || fail "ps -eLf: one LWP should be the pid" "$lines" || return 1
    wait "$tpid" || fail "raspbian_thread_c exited with $?"
}

top_b() {
    local out
    out=$(top -b -n 1) || return 1
    grep -Eq '^top - [0-9:]+ up .*load average: [0-9.]+, [0-9.]+, [0-9.]+$' <<< "$out" || fail "top: first line" "$out" || return 1
    grep -Eq '^Tasks: +[1-9][0-9]* total, +[0-9]+ running, +[0-9]+ sleeping' <<< "$out" || fail "top: Tasks line" "$out" || return 1
    grep -Eq '^%Cpu\(s\):' <<< "$out" || fail "top: %Cpu(s) line" "$out" || return 1
    grep -Eq '^MiB Mem : +[0-9.]+ total' <<< "$out" || fail "top: MiB Mem line" "$out" || return 1
    grep -Eq '^ +PID USER +PR +NI +VIRT +RES +SHR S +%CPU +%MEM +TIME\+ COMMAND' <<< "$out" || fail "top: the task header" "$out" || return 1
    grep -Eq "^ +1 root .* init *$" <<< "$out" || fail "top: no init (pid 1)" "$out"
}

free_() {
    local out total used free
    out=$(free) || return 1
    read -r _ total used free _ < <(grep '^Mem:' <<< "$out")
    [[ $total =~ ^[0-9]+$ && $total -gt 0 && $used -le $total && $free -le $total ]] \
        || fail "free: Mem: total used free should be numbers, used and free at most total" "$out" || return 1
    local kb
    kb=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
    [ "$total" = "$kb" ] || fail "free: total $total differs from /proc/meminfo's MemTotal $kb" "$out"
}

uptime_() {
    local out
    out=$(uptime) || return 1
    [[ $out =~ ^\ [0-9:]+\ up\ .*,\ +[0-9]+\ users?,\ +load\ average:\ [0-9.]+,\ [0-9.]+,\ [0-9.]+$ ]] \
        || fail "uptime: got '$out'"
}

# strace -f writes "[pid N]" before a line only while it traces more than
# one process; with -o each line starts with its pid, whoever is left. A
# call another process's line interrupts is split into "<unfinished ...>"
# and "<... NAME resumed>": strace_log joins the halves again (the
# result then follows more spaces).
strace_log() {
    awk '{
        if (match($0, / <unfinished \.\.\.>$/)) { pending[$1] = substr($0, 1, RSTART - 1); next }
        if (match($0, /^[0-9]+ +<\.\.\. [a-z0-9_]+ resumed>/)) { print pending[$1] substr($0, RLENGTH + 1); next }
        print
    }' "$1"
}
strace_f() {
    local out parent child
    strace -f -e trace=process -o "$T/strace" $BIN/raspbian_fork_c > /dev/null || fail "strace exited with $?" || return 1
    out=$(strace_log "$T/strace")
    read -r parent _ <<< "$out"
    child=$(sed -nE "s/^$parent +clone\(.*\) += ([0-9]+)$/\1/p" <<< "$out")
    [ -n "$child" ] || fail "strace -f: no 'clone(...) = PID' by $parent" "$out" || return 1
    local p
    for p in "$parent" "$child"; do
        grep -Eq "^$p +exit_group\(0\) += \?$" <<< "$out" || fail "strace -f: no 'exit_group(0) = ?' by $p" "$out" || return 1
        grep -Eq "^$p +\+\+\+ exited with 0 \+\+\+$" <<< "$out" || fail "strace -f: no '+++ exited with 0 +++' for $p" "$out" || return 1
    done
    # Under a shell that waits for it: bash's clone, the child's execve,
    # and bash's wait4 reaping it.
    strace -f -e trace=process -o "$T/strace" bash -c "$BIN/raspbian_fork_c > /dev/null; exit 0" || fail "strace bash exited with $?" || return 1
    out=$(strace_log "$T/strace")
    read -r parent _ <<< "$out"
    child=$(sed -nE "s/^$parent +clone\(.*\) += ([0-9]+)$/\1/p" <<< "$out" | head -1)
    [ -n "$child" ] || fail "strace -f bash: no 'clone(...) = PID' by bash ($parent)" "$out" || return 1
    grep -Eq '^'"$child"' +execve\("'"$BIN"'/raspbian_fork_c", \["'"$BIN"'/raspbian_fork_c"\], .*\) += 0$' <<< "$out" \
        || fail "strace -f bash: no execve by the child $child" "$out" || return 1
    grep -Eq '^'"$parent"' +wait4\(-1, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 0\}\], 0, NULL\) += '"$child"'$' <<< "$out" \
        || fail "strace -f bash: no wait4 by bash ($parent) reaping $child" "$out"
}

strace_c() {
    local out calls
    out=$(strace -c -f $BIN/raspbian_fork_c 2>&1 > /dev/null) || fail "strace -c exited with $?" "$out" || return 1
    grep -Eq '^% time +seconds +usecs/call +calls +errors syscall$' <<< "$out" || fail "strace -c: no table header" "$out" || return 1
    # Columns: % time, seconds, usecs/call, calls, [errors,] syscall. A
    # sleep a signal interrupted under the tracer counts as an error and
    # goes on as restart_syscall, as on Linux.
    calls=$(awk '$NF == "clone" { print $4 }' <<< "$out")
    [ "$calls" = 1 ] || fail "strace -c: expected 1 clone call, got '$calls'" "$out" || return 1
    calls=$(awk '$NF == "clock_nanosleep" { print $4 }' <<< "$out")
    [ "$calls" = 6 ] || fail "strace -c: expected 6 clock_nanosleep calls (3 sleeps each), got '$calls'" "$out" || return 1
    grep -Eq '^100\.00 +[0-9.]+ +[0-9]+ +[0-9]+ +([0-9]+ +)?total$' <<< "$out" || fail "strace -c: no total line" "$out"
}

# Ten bash processes sitting at `read`: how much memory they take, from
# MemFree before and after and from their smaps_rollup (Pss shares each
# shared page out among its users). bash and its libraries' text and
# read-only data are one set of pages (the page cache), so ten cost far
# less than ten times one bash's resident set.
mem_bash() {
    local fifo=$T/fifo before after rss pss=0 p pids=() i
    mkfifo "$fifo" || return 1
    exec 7<> "$fifo"
    sleep 1
    before=$(awk '$1 == "MemFree:" { print $2 }' /proc/meminfo)
    for i in $(seq 10); do
        bash -c 'read -r x' <&7 &
        pids+=($!)
    done
    sleep 3
    after=$(awk '$1 == "MemFree:" { print $2 }' /proc/meminfo)
    rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/${pids[0]}/status")
    for p in "${pids[@]}"; do
        [ -r "/proc/$p/smaps_rollup" ] || { pss=; break; }
        pss=$((pss + $(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup")))
    done
    for p in "${pids[@]}"; do echo >&7; done
    wait "${pids[@]}"
    exec 7>&-
    local used=$((before - after))
    note "memory: 10 idle bash processes: MemFree down by $used kB ($((used / 10)) kB each); one bash's VmRSS $rss kB; Pss total ${pss:-n/a (no smaps_rollup)} kB"
    [[ $rss =~ ^[0-9]+$ ]] || fail "no VmRSS for bash" || return 1
    [ "$used" -lt $((10 * rss)) ] || fail "10 bash processes took $used kB, not less than 10 x one's VmRSS ($rss kB): nothing shared"
}

