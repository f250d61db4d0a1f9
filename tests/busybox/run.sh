# Debian's busybox, driven as a user would, with expected output compared
# exactly. Runs under `busybox sh`, on pikern (tools/busybox-test.sh) and
# on Linux through qemu-aarch64 (the reference). Prints KTAP.
#
#   BB: the busybox binary (default /bin/busybox)
#   T:  a scratch directory (default /tmp/bbtest)
BB=${BB:-/bin/busybox}
T=${T:-/tmp/bbtest}
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
echo "1..27"

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
check kill_a_sleeper "143" "$($BB sleep 10 & p=$!; $BB kill $p; wait $p; echo $?)"
# A new session has no controlling terminal: /dev/tty is ENXIO.
check dev_tty_after_setsid "sh: can't open /dev/tty: No such device or address" \
    "$($BB setsid $BB sh -c 'exec 3</dev/tty; echo opened' 2>&1)"
cd /
$BB rm -rf "$T"
echo "# busybox: pass:$((n - fails)) fail:$fails skip:0"
