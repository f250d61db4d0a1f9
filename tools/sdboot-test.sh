#!/usr/bin/env bash
# `make sdboot-test` (and make test): the no-serial workflow on one board in
# QEMU, with the SD card as a student uses it.
#
#   tools/sdboot-test.sh BOARD KERNEL DTB INITRD RESULTS
#
# BOARD is rpi3 or rpi4; INITRD is busybox's initramfs (build/userland.cpio.gz,
# what make run boots). Every card is written the way `make sdcard` writes
# it (tools/sdcard.sh, without firmware: QEMU loads the kernel itself), then
# changed with mtools as a student changes it on a PC.
#
# 1. The workflow (`make run`'s tools/run.sh, the card attached): a static
#    C program copied to the card's bin/, an autorun.sh, a cmdline.txt with
#    a mark in it. Checks that the command line came from cmdline.txt, that
#    init mounted /boot, that /etc/rc saved the trace and autorun.sh ran the
#    program by name (PATH has /boot/bin). On the host, mtools reads
#    trace/trace.txt, trace.svg and trace.json back byte for byte as
#    pikern-trace makes them from the dump on the console.
# 2. An unclean stop: autorun.sh then writes files in a loop, syncing every
#    4; QEMU is killed (SIGKILL) mid-loop. The card must pass fsck.fat -n
#    (dosfstools) and mtools must read every file synced before the kill.
# 3. init=/boot/bin/PROG on that same card: the kernel mounts /boot (init
#    is on it) and the program runs as pid 1.
# 4. `poweroff` in a script (busybox's: sync, then SIGUSR2 to init): the
#    machine stops and the file written just before is on the card.
# 5. Bad input, each boot going on without /boot with a one-line reason and
#    no panic: no card, a card without a partition table, a corrupt FAT
#    (the boot sector overwritten), and a full card (tracesave reports
#    "No space left on device"; the card still passes fsck).
#
# Prints `ok N - ...` / `not ok N - ...` and writes passed/failed/skipped to
# RESULTS; consoles and cards are kept in RESULTS's directory, sdboot-BOARD/.
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin" MTOOLS_SKIP_CHECK=1

board=$1 kernel=$2 dtb=$3 initrd=$4 results=$5
case $board in
    rpi3) machine=raspi3b ;;
    rpi4) machine=raspi4b ;;
    *) echo "sdboot-test: BOARD must be rpi3 or rpi4" >&2; exit 2 ;;
esac
qemu=${QEMU:-qemu-system-aarch64}
trace_tool=${TRACE_TOOL:-target/debug/pikern-trace}
cc=${USER_CC:-aarch64-linux-gnu-gcc}
work=$(dirname "$results")/sdboot-$board
rm -rf "$work" && mkdir -p "$work"
OFFSET=$((8192 * 512)) # the boot partition, as tools/sdcard.sh lays it out

N=0 PASSED=0 FAILED=0 SKIPPED=0
ok() { N=$((N + 1)) PASSED=$((PASSED + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)) FAILED=$((FAILED + 1)); echo "not ok $N - $1${2:+ # $2}"; }
skip() { N=$((N + 1)) SKIPPED=$((SKIPPED + 1)); echo "ok $N - $1 # SKIP $2"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
finish() {
    printf 'passed %d\nfailed %d\nskipped %d\n' "$PASSED" "$FAILED" "$SKIPPED" > "$results"
    echo "# sdboot-$board: $PASSED passed, $FAILED failed, $SKIPPED skipped (logs in $work)"
    exit 0
}
# The console line, without the serial line's CR. (grep reads all its
# input, not -q: under pipefail an early exit would fail tr with SIGPIPE.)
has_line() { tr -d '\r' < "$1" | grep -F -- "$2" > /dev/null || { echo "# $1 lacks: $2"; return 1; }; }
no_panic() { ! tr -d '\r' < "$1" | grep -E 'Kernel panic|Oops|panicked' > /dev/null || { echo "# $1 has a panic"; return 1; }; }
mt() { mtype -i "$1@@$OFFSET" "::/$2"; }
mget() { mcopy -n -i "$1@@$OFFSET" "::/$2" "$3"; }

# A card as make sdcard writes it (no firmware), 64 MiB: small, and still
# a power of two (QEMU) and big enough for FAT32 (65525 clusters).
new_card() {
    SDCARD_SIZE_MIB=64 SDCARD_FIRMWARE=0 bash tools/sdcard.sh build-qemu "$1" "$kernel" "$2" 2> "$work/sdcard.log" ||
        { cat "$work/sdcard.log"; return 1; }
}

# Boots with the built-in programs and INITRD, console to LOG; the card
# (if any) attached. Status: QEMU's.
boot() {
    local log=$1 card=$2 append=$3 drive=()
    [ -n "$card" ] && drive=(-drive "if=sd,format=raw,file=$card")
    timeout 30 "$qemu" -M "$machine" -kernel "$kernel" -dtb "$dtb" -initrd "$initrd" -append "$append" \
        "${drive[@]}" -display none -serial "file:$log" -monitor none -semihosting < /dev/null
}

for t in mformat mcopy mtype sfdisk "$cc" "$qemu" "$trace_tool"; do
    command -v "$t" > /dev/null || { not_ok "tools present" "no $t"; finish; }
done

# The student's program: static, from the cross compiler, never in the
# initramfs. As pid 1 (init=) it powers the machine off itself.
cat > "$work/sdhello.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
#include <sys/reboot.h>
int main(int argc, char **argv)
{
	printf("sdhello: hello from the SD card: %s (argc %d) as pid %d\n", argv[0], argc, getpid());
	if (getpid() == 1) {
		fflush(stdout);
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
EOF
"$cc" -static -O2 -o "$work/sdhello" "$work/sdhello.c" || { not_ok "sdhello builds"; finish; }

# autorun.sh (busybox ash): the program by name, a file synced, then the
# loop QEMU is killed in.
cat > "$work/autorun.sh" <<'EOF'
echo "autorun: start, PATH=$PATH"
sdhello from-autorun
echo "written before the unclean stop" > /boot/before.txt
sync
echo "autorun: synced before.txt"
mkdir -p /boot/loop
i=0
while true; do
    echo "file $i of the loop" > /boot/loop/f$i.txt
    i=$((i + 1))
    if [ $((i % 4)) = 0 ]; then sync; echo "autorun: synced $i"; fi
done
EOF

# --- 1. the workflow, through make run's script ---------------------------
card=$work/card.img
mark="sdboot.mark=$board"
if new_card "$card" "$mark -- /bin/sh /etc/rc"; then
    mcopy -i "$card@@$OFFSET" "$work/sdhello" ::/bin/sdhello &&
        mcopy -i "$card@@$OFFSET" "$work/autorun.sh" ::/autorun.sh || not_ok "mcopy onto the card"
else
    not_ok "the card builds"
    finish
fi
out=$work/run
start=$(date +%s)
SDCARD=$card CMDLINE_FROM_CARD=1 OUT=$out INITRD=$initrd QEMU=$qemu TRACE_TOOL=$trace_tool \
    bash tools/run.sh "$machine" "$kernel" "$dtb" "not the card's" < /dev/null > "$work/run.log" 2>&1 &
runsh=$!
# QEMU is run.sh's child; wait until the loop has synced 12 files, then
# kill it as a power cut would.
synced=""
for _ in $(seq 1 600); do
    sleep 0.1
    synced=$(tr -d '\r' < "$out/console.log" 2>/dev/null | sed -n 's/^autorun: synced \([0-9][0-9]*\)$/\1/p' | tail -1)
    [ "${synced:-0}" -ge 12 ] && break
    kill -0 "$runsh" 2> /dev/null || break
done
# run.sh's children: QEMU, tee, and the subshell that types its input
# (it would wait 10 minutes for a shell prompt that never comes). QEMU
# dies first, as in a power cut; tee then sees the end of the console.
kids=$(ps -o pid=,comm= --ppid "$runsh")
qpid=$(awk -v q="$(basename "$qemu" | cut -c1-15)" '$2 == q { print $1 }' <<< "$kids")
if [ -n "$qpid" ]; then
    kill -9 $qpid
    for p in $(awk '$2 != "tee" { print $1 }' <<< "$kids"); do kill -9 "$p" 2> /dev/null; done
fi
wait "$runsh"
echo "# workflow boot: $(($(date +%s) - start)) s, $synced files synced before the kill"
log=$out/console.log
check "make run took the command line from the card's cmdline.txt" \
    has_line "$work/run.log" "pikern: command line from $card's cmdline.txt: $mark -- /bin/sh /etc/rc"
check "the kernel got it ($mark)" has_line "$log" "$mark"
check "init mounted the card's partition on /boot" has_line "$log" "init: mounted /dev/mmcblk0p1 on /boot (vfat)"
check "/etc/rc saved the trace to /boot/trace" has_line "$log" "tracesave: wrote /boot/trace/: trace.txt"
check "/etc/rc ran /boot/autorun.sh" has_line "$log" "rc: running /boot/autorun.sh"
check "autorun.sh's PATH has /boot/bin" grep -qE '^autorun: start, PATH=.*:/boot/bin' <(tr -d '\r' < "$log")
check "a program copied to bin/ runs by name" has_line "$log" "sdhello: hello from the SD card: sdhello (argc 2) as pid"
same() { # card-file host-file
    mget "$card" "$1" "$work/got" 2> /dev/null || { echo "# no $1 on the card"; return 1; }
    cmp "$work/got" "$2" || { echo "# $1 differs from $2"; return 1; }
}
if [ -s "$out/trace.txt" ]; then
    check "trace/trace.txt on the card is the console's dump byte for byte" same trace/trace.txt "$out/trace.txt"
    check "trace/trace.svg on the card is pikern-trace svg's byte for byte" same trace/trace.svg "$out/trace.svg"
    check "trace/trace.json on the card is pikern-trace json's byte for byte" same trace/trace.json "$out/trace.json"
else
    not_ok "the console has a trace dump" "see $work/run.log"
fi

# --- 2. after the unclean stop ------------------------------------------------
# fsck_ok IMG [unclean]: fsck.fat -n (never changes the image; exit 0 only
# if nothing is wrong) on the partition, copied out: fsck.fat takes no
# offset. After an unclean stop, what a power cut mid-write leaves on any
# FAT driver is accepted, and nothing else: the two FAT copies differing
# while both are intact (killed between writing them), a stale free-cluster
# count, and clusters allocated to nothing (data written, its directory
# entry not yet).
fsck_ok() {
    dd if="$1" of="$work/part.img" bs=1M skip=4 status=none &&
        fsck.fat -n "$work/part.img" > "$work/fsck.log" 2>&1
    local st=$?
    rm -f "$work/part.img"
    [ $st = 0 ] && return 0
    if [ "${2:-}" = unclean ]; then
        local rest
        rest=$(grep -vE '^fsck\.fat |^$|^Leaving filesystem unchanged|: [0-9]+ files, [0-9]+/[0-9]+ clusters$|^FATs differ but appear to be intact|^  Using first FAT|^Free cluster summary wrong|^  Auto-correcting|^Reclaimed [0-9]+ unused clusters|^Checking free cluster summary|^Dirty bit is set|^ *Automatically removing dirty bit' "$work/fsck.log")
        [ -z "$rest" ] && { sed 's/^/# fsck (accepted after a power cut): /' "$work/fsck.log" | grep -v ': $'; return 0; }
    fi
    sed 's/^/# fsck: /' "$work/fsck.log" | head -20
    return 1
}
fsck_check() {
    local what=$1; shift
    if command -v fsck.fat > /dev/null; then
        check "$what" fsck_ok "$@"
    else
        skip "$what" "no fsck.fat (package dosfstools)"
    fi
}
intact() {
    local i bad=0
    [ "$(mt "$card" before.txt 2> /dev/null)" = "written before the unclean stop" ] || { echo "# before.txt"; bad=1; }
    for i in $(seq 0 $((synced - 1))); do
        [ "$(mt "$card" "loop/f$i.txt" 2> /dev/null)" = "file $i of the loop" ] || { echo "# loop/f$i.txt"; bad=1; }
    done
    [ $bad = 0 ]
}
if [ "${synced:-0}" -ge 12 ]; then
    ok "autorun.sh's loop wrote and synced $synced files before QEMU was killed"
else
    not_ok "autorun.sh's loop synced 12 files before QEMU was killed" "only '${synced}'"
fi
check "after the kill, mtools reads the card and every file synced before it" intact
fsck_check "after the kill, fsck.fat -n finds the card's FAT sound (no more than a power cut leaves)" "$card" unclean

# --- 3. init=/boot/bin/PROG, on the card as the kill left it ----------------
# (glibc's reboot() leaves the 4th argument, pikern's exit status for
# QEMU, as whatever the register held: the status is not checked.)
boot "$work/init.log" "$card" "init=/boot/bin/sdhello"
check "init=/boot/bin/sdhello: the kernel mounts /boot first" \
    has_line "$work/init.log" "init: mounted /dev/mmcblk0p1 on /boot (vfat) for init=/boot/bin/sdhello"
check "init=/boot/bin/sdhello runs it as pid 1, and it powers off" \
    eval 'has_line "$work/init.log" "sdhello: hello from the SD card: /boot/bin/sdhello (argc 1) as pid 1" &&
        has_line "$work/init.log" "reboot: Power down"'

# --- 4. poweroff from a shell --------------------------------------------------
# busybox's poweroff syncs and sends init SIGUSR2; init stops everything
# and powers off, the kernel writing the card back first.
printf 'echo "written, then poweroff" > /boot/poweroff.txt\npoweroff\nsleep 10\necho "poweroff did not power off"\n' > "$work/pt.sh"
mcopy -o -i "$card@@$OFFSET" "$work/pt.sh" ::/bin/pt.sh
boot "$work/poweroff.log" "$card" "init=/init -- /bin/sh /boot/bin/pt.sh"
check "poweroff in a script: init says 'SIGUSR2: powering off' and the machine stops" \
    eval 'has_line "$work/poweroff.log" "init: SIGUSR2: powering off" && has_line "$work/poweroff.log" "reboot: Power down"'
check "what the script wrote before poweroff is on the card" \
    eval '[ "$(mt "$card" poweroff.txt 2> /dev/null)" = "written, then poweroff" ]'

# --- 5. bad input -------------------------------------------------------------
# PROG (echo) must run after init's message: the boot went on.
bad_boot() { # name card message
    local log=$work/bad-$1.log
    boot "$log" "$2" "init=/init -- /bin/echo the boot went on"
    check "$1: init says '$3'" has_line "$log" "$3"
    check "$1: the boot goes on without /boot, no panic" \
        eval 'has_line "$log" "the boot went on" && no_panic "$log"'
}
bad_boot "no card" "" "init: no SD card (no /dev/mmcblk0): no /boot"

nopt=$work/nopt.img
# The partition's file system alone, no MBR in front of it.
new_card "$nopt" "x" && dd if=/dev/zero of="$nopt" bs=512 count=1 conv=notrunc status=none &&
    bad_boot "no partition table" "$nopt" "init: the SD card (/dev/mmcblk0) has no partition 1 (no MBR partition table?): no /boot" ||
    not_ok "no partition table: card"

corrupt=$work/corrupt.img
new_card "$corrupt" "x" && head -c 512 /dev/urandom | dd of="$corrupt" bs=512 seek=8192 conv=notrunc status=none &&
    bad_boot "corrupt FAT" "$corrupt" "init: cannot mount /dev/mmcblk0p1 on /boot (vfat):" ||
    not_ok "corrupt FAT: card"

full=$work/full.img
if new_card "$full" "x"; then
    # Fill the partition: one file as large as mtools lets it be.
    bytes=$(mdir -i "$full@@$OFFSET" ::/ | sed -n 's/^ *\([0-9 ]*\) bytes free.*/\1/p' | tr -d ' ')
    head -c "${bytes:-0}" /dev/zero > "$work/filler"
    mcopy -i "$full@@$OFFSET" "$work/filler" ::/filler 2> /dev/null
    rm -f "$work/filler"
    log=$work/bad-full.log
    boot "$log" "$full" "init=/init -- /bin/tracesave"
    check "full card: /boot still mounts" has_line "$log" "init: mounted /dev/mmcblk0p1 on /boot (vfat)"
    check "full card: tracesave says 'No space left on device'" \
        grep -qE '^tracesave: /boot/trace.*: No space left on device' <(tr -d '\r' < "$log")
    check "full card: the boot goes on, no panic" eval 'has_line "$log" "init: /bin/tracesave exited with status 1" && no_panic "$log"'
    fsck_check "full card: fsck.fat -n finds the FAT clean afterwards" "$full"
else
    not_ok "full card: card"
fi
rm -f "$nopt" "$corrupt" "$full"
finish
