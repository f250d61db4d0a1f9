# tests/debian/tools.sh: coreutils, procps, psmisc and strace from Debian,
# run as a user runs them; each check parses what they print and says
# what it expected on failure. Sourced by tests/debian/run.sh (ok, not_ok,
# note come from there).

# check NAME FUNCTION: one test, passed when FUNCTION returns 0.
check() {
    if "$2"; then ok "tools/$1"; else not_ok "tools/$1"; fi
}
# fail MESSAGE [OUTPUT]: say why, show what the program printed, fail.
fail() {
    note "$1"
    [ -z "${2:-}" ] || printf '%s\n' "$2" | head -40 | sed 's/^/#   /'
    return 1
}

T=/tmp/debtools
rm -rf "$T" && mkdir -p "$T"

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
    /bin/raspbian_fork_c > /dev/null &
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
    [[ $parent =~ ^root\ +$DEMO\ .*\ S[^\ ]*\ .*/bin/raspbian_fork_c$ ]] \
        || fail "ps aux: the demo's parent $DEMO should be sleeping (S)" "$out" || return 1
    out=$(ps -eo pid,ppid,stat,comm) || return 1
    child=$(awk -v p="$DEMO" '$2 == p && $4 == "raspbian_fork_c" { print $1 }' <<< "$out")
    [ -n "$child" ] || fail "ps -eo pid,ppid,stat,comm: no raspbian_fork_c whose parent is $DEMO" "$out" || return 1
    awk -v c="$child" '$1 == c' <<< "$out" | grep -Eq "^ *$child +$DEMO +S" \
        || fail "ps: the child $child should be sleeping (S) under $DEMO" "$out" || return 1
    awk -v p="$DEMO" '$1 == p' <<< "$out" | grep -Eq "^ *$DEMO +$$ +S" \
        || fail "ps: the parent $DEMO should be this shell's ($$) child" "$out"
}

pstree_p() {
    local out
    out=$(pstree -p) || return 1
    [[ $out == init\(1\)* ]] || fail "pstree -p: the tree should start at init(1)" "$out" || return 1
    grep -q "raspbian_fork_c($DEMO)---raspbian_fork_c([0-9]*)" <<< "$out" \
        || fail "pstree -p: expected raspbian_fork_c($DEMO)---raspbian_fork_c(CHILD)" "$out"
}

ps_eLf() {
    /bin/raspbian_thread_c -n 3 -s 3 > /dev/null &
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

strace_f() {
    local out
    out=$(strace -f -e trace=process /bin/raspbian_fork_c 2>&1 > /dev/null) || fail "strace exited with $?" "$out" || return 1
    local child
    child=$(sed -nE 's/^clone\(.*\) = ([0-9]+)$/\1/p' <<< "$out")
    [ -n "$child" ] || fail "strace -f: no 'clone(...) = PID'" "$out" || return 1
    grep -Eq "^\[pid +$child\] exit_group\(0\) += \?$" <<< "$out" || fail "strace -f: no '[pid $child] exit_group(0) = ?'" "$out" || return 1
    grep -Eq "^\[pid +$child\] \+\+\+ exited with 0 \+\+\+$" <<< "$out" || fail "strace -f: no '[pid $child] +++ exited with 0 +++'" "$out" || return 1
    grep -Eq '^(\[pid +[0-9]+\] )?exit_group\(0\) += \?$' <<< "$(grep -v "pid +$child\]" <<< "$out")" || fail "strace -f: the parent's exit_group(0)" "$out" || return 1
    grep -Eq '^\+\+\+ exited with 0 \+\+\+$' <<< "$out" || fail "strace -f: the parent's '+++ exited with 0 +++'" "$out" || return 1
    # Under a shell that waits for it: bash's clone, execve and wait4.
    out=$(strace -f -e trace=process bash -c '/bin/raspbian_fork_c > /dev/null; exit 0' 2>&1) || fail "strace bash exited with $?" "$out" || return 1
    grep -Eq '^\[pid +[0-9]+\] execve\("/bin/raspbian_fork_c", \["/bin/raspbian_fork_c"\], .* = 0$' <<< "$out" || fail "strace -f bash: the child's execve" "$out" || return 1
    grep -Eq '^wait4\(-1, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 0\}\], 0, NULL\) = [0-9]+$' <<< "$out" || fail "strace -f bash: bash's wait4 for its child" "$out"
}

strace_c() {
    local out calls
    out=$(strace -c -f /bin/raspbian_fork_c 2>&1 > /dev/null) || fail "strace -c exited with $?" "$out" || return 1
    grep -Eq '^% time +seconds +usecs/call +calls +errors syscall$' <<< "$out" || fail "strace -c: no table header" "$out" || return 1
    calls=$(awk '$NF == "clone" { print $(NF - 1) }' <<< "$out")
    [ "$calls" = 1 ] || fail "strace -c: expected 1 clone call, got '$calls'" "$out" || return 1
    calls=$(awk '$NF == "clock_nanosleep" { print $(NF - 1) }' <<< "$out")
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
    for i in $(seq 10); do echo >&7; done
    wait "${pids[@]}"
    exec 7>&-
    local used=$((before - after))
    note "memory: 10 idle bash processes: MemFree down by $used kB ($((used / 10)) kB each); one bash's VmRSS $rss kB; Pss total ${pss:-n/a (no smaps_rollup)} kB"
    echo "memory-10-bash-kb $used" > /tmp/debtest-memory
    [[ $rss =~ ^[0-9]+$ ]] || fail "no VmRSS for bash" || return 1
    [ "$used" -lt $((10 * rss)) ] || fail "10 bash processes took $used kB, not less than 10 x one's VmRSS ($rss kB): nothing shared"
}

check ls-l ls_l
check cp-a cp_a
check sort sort_
check date date_
check ps-aux ps_aux
check pstree-p pstree_p
wait "$DEMO" 2>/dev/null
check ps-eLf ps_eLf
check top-b-n1 top_b
check free free_
check uptime uptime_
check strace-f-process strace_f
check strace-c strace_c
check memory-10-bash mem_bash
rm -rf "$T"
