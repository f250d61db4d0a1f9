# Debian's busybox, driven as a user would, with expected output compared
# exactly. Runs under `busybox sh`, on pikern (tools/busybox-test.sh) and
# on Linux through qemu-aarch64 (the reference). Prints KTAP.
#
#   BB: the busybox binary (default /bin/busybox)
#   T:  a scratch directory (default /tmp/bbtest)
#   RT: the threaded demo (default /bin/raspbian_thread_c)
BB=${BB:-/bin/busybox}
T=${T:-/tmp/bbtest}
RT=${RT:-/bin/raspbian_thread_c}
n=0
fails=0
check() {
    # check NAME WANT GOT
    n=$((n + 1))
    if [ "$2" = "$3" ]; then
        echo "ok $n $1"
    else
        fails=$((fails + 1))
        echo "# $1: expected [$2]"
        echo "# $1: got      [$3]"
        echo "not ok $n $1"
    fi
}
nl='
'
$BB rm -rf "$T" && $BB mkdir -p "$T" || exit 1
cd "$T" || exit 1
echo "KTAP version 1"
echo "1..52"

check read_in_a_pipe "y" "$(echo 'x y z' | { read p q r; echo "$q"; })"
check wait_for_a_background_job "5" "$( (exit 5) & p=$!; wait $p; echo $?)"
check trap_on_a_signal "caught${nl}after" "$($BB sh -c 'trap "echo caught" TERM; kill -TERM $$; echo after')"
check trap_on_exit "hi${nl}bye" "$($BB sh -c 'trap "echo bye" EXIT; echo hi')"
check here_document "here 3" "$($BB cat <<X
here $((1 + 2))
X
)"
f() { echo "f:$1:$#"; }
check functions "f:one:2" "$(f one two)"
check pipeline_of_three "5${nl}4" "$($BB seq 1 5 | $BB sort -r | $BB head -n 2)"
check redirections "a${nl}b" "$(echo a > f1; echo b >> f1; $BB cat < f1)"
check exit_status_of_a_killed_job "143" "$($BB sh -c 'kill -TERM $$'; echo $?)"
check mkdir_p_and_find "./a${nl}./a/b${nl}./a/b/c" "$($BB mkdir -p a/b/c && $BB find ./a | $BB sort)"
check ln_s_and_readlink "target" "$($BB ln -s target lnk && $BB readlink lnk)"
check install_s "ok" "$($BB mkdir -p bin && $BB --install -s "$T/bin" && [ -L "$T/bin/ls" ] && echo ok)"
check cp_mv_rm "b${nl}gone" "$(echo b > c1 && $BB cp c1 c2 && $BB mv c2 c3 && $BB cat c3 && $BB rm -r a && [ ! -e a ] && echo gone)"
check grep_sed_awk "2:B" "$(printf 'a\nb\nc\n' | $BB grep -n b | $BB sed 's/b/B/' | $BB awk '{print}')"
check sort_uniq_wc "2" "$(printf 'x\ny\nx\n' | $BB sort | $BB uniq | $BB wc -l | $BB tr -d ' ')"
check xargs "1 2 3" "$(printf '1\n2\n3\n' | $BB xargs echo)"
check tee_head_tail "3" "$($BB seq 1 3 | $BB tee t1 | $BB tail -n 1)"
check md5sum "d41d8cd98f00b204e9800998ecf8427e  -" "$(printf '' | $BB md5sum)"
check env_and_export "v" "$(X=v $BB env | $BB grep '^X=' | $BB cut -d= -f2)"
check uname_m "aarch64" "$($BB uname -m)"
check id_u "0" "$($BB id -u)"
check date_epoch "1" "$(d=$($BB date +%s); [ "$d" -ge 0 ] && echo 1)"
check sleep_fraction "ok" "$($BB sleep 0.1 && echo ok)"
check dev_zero "4" "$($BB head -c 4 /dev/zero | $BB wc -c | $BB tr -d ' ')"
check dev_urandom "16" "$($BB head -c 16 /dev/urandom | $BB wc -c | $BB tr -d ' ')"
check ln_hard_link_counted "2${nl}same" "$(echo x > h1 && $BB ln h1 h2 && $BB stat -c %h h1 && [ h1 -ef h2 ] && echo same)"
check chmod_shown_by_stat "640 -rw-r-----" "$($BB touch m && $BB chmod 640 m && $BB stat -c '%a %A' m)"
check chown_kept "12 34" "$($BB chown 12:34 m && $BB stat -c '%u %g' m)"
check touch_d_sets_mtime "1577934245" "$(TZ=UTC0 $BB touch -d '2020-01-02 03:04:05' m && $BB stat -c %Y m)"
check cp_p_keeps_mode_time "600 1577934245" "$($BB chmod 600 m && $BB cp -p m m2 && $BB stat -c '%a %Y' m2)"
check find_newer "./m${nl}./m2" "$(TZ=UTC0 $BB touch -d '2019-01-01 00:00:00' old && $BB find . -maxdepth 1 -name 'm*' -newer old | $BB sort)"
check umask_applies "750${nl}640" "$(umask 027; $BB mkdir um && $BB touch um/f && $BB stat -c %a um um/f)"
check truncate_grows_and_cuts "10${nl}3" "$($BB truncate -s 10 tr && $BB stat -c %s tr && $BB truncate -s 3 tr && $BB wc -c < tr | $BB tr -d ' ')"
check dd_seek "2048" "$($BB dd if=/dev/zero of=dz bs=512 count=2 seek=2 2>/dev/null && $BB stat -c %s dz)"
check mkfifo_pipes "fifo${nl}via" "$($BB mkfifo ff && $BB stat -c %F ff && { echo via > ff & } && $BB cat ff)"
check tar_keeps_hard_links "2${nl}x" "$($BB mkdir tdir && echo x > tdir/a && $BB ln tdir/a tdir/b && $BB tar cf t.tar tdir && $BB rm -r tdir && $BB tar xf t.tar && $BB stat -c %h tdir/a && $BB cat tdir/b)"
check gzip_gunzip "hello" "$(echo hello | $BB gzip | $BB gunzip)"
check sync "ok" "$($BB sync && echo ok)"
check mount_tmpfs_listed "bbtmp tmpfs${nl}tmpfs${nl}1024" "$($BB mkdir mnt && $BB mount -t tmpfs -o size=1m bbtmp mnt && $BB awk -v m="$T/mnt" '$2 == m {print $1, $3}' /proc/mounts && $BB stat -f -c %T mnt && $BB df -k mnt | $BB awk 'NR == 2 {print $2}')"
check umount_busy_then_not "busy${nl}0${nl}no" "$(cd mnt && { $BB umount "$T/mnt" 2>/dev/null || echo busy; }; cd "$T" && $BB umount mnt; echo $?; $BB awk -v m="$T/mnt" '$2 == m' /proc/mounts | $BB grep -q . || echo no)"
check umount_not_mounted_einval "umount: can't unmount $T/mnt: Invalid argument" "$($BB umount "$T/mnt" 2>&1)"
check proc_in_mounts "proc proc${nl}proc" "$($BB awk '$2 == "/proc" {print $1, $3}' /proc/mounts && $BB stat -f -c %T /proc)"
check free_mem "Mem: 1" "$($BB free | $BB awk 'NR == 2 {print $1, ($2 > 0)}')"
check uptime_load "1" "$($BB uptime | $BB grep -c 'load average')"
check ps_args "1" "$($BB ps -o pid,args | $BB grep -c '[p]s -o pid,args')"
check top_batch "Mem:" "$($BB top -b -n 1 | $BB head -n 1 | $BB cut -c1-4)"
check dmesg_reads_log "1" "$($BB dmesg | $BB head -n 1 | $BB grep -c '^\[')"
check kill_a_sleeper "143" "$($BB sleep 10 & p=$!; $BB kill $p; wait $p; echo $?)"
# A new session has no controlling terminal: /dev/tty is ENXIO.
check dev_tty_after_setsid "sh: can't open /dev/tty: No such device or address" \
    "$($BB setsid $BB sh -c 'exec 3</dev/tty; echo opened' 2>&1)"
check read_gives_the_whole_count "1048576" \
    "$($BB dd if=/dev/zero bs=1M count=1 2>/dev/null | $BB wc -c)"
check dev_full_is_enospc "dd: error writing '/dev/full': No space left on device" \
    "$($BB dd if=/dev/zero of=/dev/full bs=1 count=1 2>&1 | $BB head -n 1)"
# Threads, one line each: raspbian_thread_c runs 4 (main and 3). On
# Linux under qemu-aarch64 the host shows them too, plus QEMU's own.
check ps_T_lists_threads "ok" "$($RT -s 2 > /dev/null & $BB sleep 0.5
    t=$($BB ps -T | $BB grep -c '[r]aspbian_thread'); [ "$t" -ge 4 ] && echo ok || echo "$t"; wait)"
cd /
$BB rm -rf "$T"
echo "# busybox: pass:$((n - fails)) fail:$fails skip:0"
