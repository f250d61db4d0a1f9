#!/usr/bin/env bash
# `make run`: boots the kernel in QEMU with the console on this terminal,
# keeps a copy of the console in build/console.log, and afterwards turns
# the trace the kernel dumped into files people open with one click.
#
# SDCARD=image attaches that SD-card image (`make run` gives
# build/pikern-sdcard.img, the card `make sdcard` writes) as QEMU's SD card
# (-drive if=sd): init mounts its first partition on /boot, as on a board.
# On a board the firmware reads cmdline.txt from the card and hands it to
# the kernel (the DTB's /chosen/bootargs); QEMU has no firmware, so with
# CMDLINE_FROM_CARD=1 (make run without APPEND, DEMO or ROOTFS given) the
# command line is the card's cmdline.txt, read with mtools, instead of the
# APPEND argument.
#
# Without a terminal on stdin (CI, a pipe), what stdin holds is typed into
# the console followed by Ctrl-D, so the shell sees the end of its input,
# exits, and init powers the machine off: make run then ends by itself.
# The Ctrl-D waits until the shell sits at its prompt: typed ahead while
# the terminal is still in canonical mode it would be an EOF mark, which
# becomes a NUL byte once the shell switches to raw mode to read its line
# (as on Linux).
set -uo pipefail
machine=$1 kernel=$2 dtb=$3 append=$4
qemu=${QEMU:-qemu-system-aarch64}
trace_tool=${TRACE_TOOL:-target/debug/pikern-trace}
out=${OUT:-build}
mkdir -p "$out"
log="$out/console.log"

if [ -n "${SDCARD:-}" ]; then
    [ -f "$SDCARD" ] || { echo "pikern: no SD-card image $SDCARD (make sdcard, or SDCARD= for none)"; exit 1; }
    if [ "${CMDLINE_FROM_CARD:-}" = 1 ]; then
        # The first partition's start (MBR entry 1, bytes 454..457, little
        # endian: od on x86 and arm hosts alike reads it so).
        start=$(od -An -tu4 -j454 -N4 "$SDCARD" | tr -d ' ')
        if card_cmdline=$(MTOOLS_SKIP_CHECK=1 mtype -i "$SDCARD@@$((start * 512))" ::/cmdline.txt 2>/dev/null); then
            # The firmware uses the first line, without its line end.
            append=$(printf '%s\n' "$card_cmdline" | head -n1 | tr -d '\r')
            echo "pikern: command line from $SDCARD's cmdline.txt: $append"
        else
            echo "pikern: $SDCARD has no readable cmdline.txt; command line: $append"
        fi
    fi
fi

qemu_cmd=("$qemu" -M "$machine" -kernel "$kernel" -dtb "$dtb" -append "$append"
    -display none -serial mon:stdio -semihosting)
if [ -n "${SDCARD:-}" ]; then
    qemu_cmd+=(-drive "if=sd,format=raw,file=$SDCARD")
fi
# INITRD=file: an initramfs image (cpio, or gzip/zstd/xz/lz4 -l of one)
# whose files go on top of the built-in ones, as with Linux's -initrd.
if [ -n "${INITRD:-}" ]; then
    qemu_cmd+=(-initrd "$INITRD")
fi

# Returns once the console ends in a shell prompt ("# ") and has been
# quiet for a second, or the machine powered off, or after 10 minutes.
wait_for_prompt() {
    local last="" cur n=0
    while [ $n -lt 600 ]; do
        sleep 1
        n=$((n + 1))
        grep -q "reboot: " "$log" 2>/dev/null && return
        # busybox's line editing follows its prompt with a cursor-position
        # query (ESC [6n), which no terminal answers here.
        cur=$(tail -c 64 "$log" 2>/dev/null | sed 's/\x1b\[6n$//')
        [ "$cur" = "$last" ] && [[ "$cur" == *"# " ]] && return
        last=$cur
    done
}

if [ -t 0 ]; then
    echo "pikern: booting on QEMU $machine; quit with Ctrl-A x (console copied to $log)"
    "${qemu_cmd[@]}" | tee "$log"
    status=${PIPESTATUS[0]}
else
    echo "pikern: booting on QEMU $machine without a terminal: input then Ctrl-D"
    : > "$log"
    { sleep 2; cat; wait_for_prompt; printf '\004'; } | "${qemu_cmd[@]}" | tee "$log"
    status=${PIPESTATUS[1]}
fi
echo
echo "pikern: QEMU exited with status $status"

if ! grep -q "Dumping ftrace buffer:" "$log"; then
    echo "pikern: no trace in the console log (nothing to convert)"
    exit "$status"
fi
"$trace_tool" extract "$log" -o "$out/trace.txt" || exit 1
"$trace_tool" perfetto "$out/trace.txt" -o "$out/trace-perfetto.txt" || exit 1
"$trace_tool" json "$out/trace.txt" -o "$out/trace.json" || exit 1
"$trace_tool" svg "$out/trace.txt" -o "$out/trace.svg" || exit 1
"$trace_tool" summary "$out/trace.txt" > "$out/trace-summary.txt" || exit 1
# /bin/tracedump (run by /etc/rc after the text dump) sent the same
# entries as trace_pipe_raw pages: trace-cmd's trace.dat.
dat_msg=""
if grep -q "^tracefs-dump: end" "$log"; then
    "$trace_tool" dat "$log" --kernel "$kernel" -o "$out/trace.dat" || exit 1
    dat_msg="
  $out/trace.dat            trace-cmd's format (from trace_pipe_raw):
                              trace-cmd report $out/trace.dat
                              kernelshark $out/trace.dat"
fi
cat <<MSG

The trace of the run:
  $out/trace.txt            Linux ftrace text (what /sys/kernel/tracing/trace shows)
  $out/trace-perfetto.txt   open it at https://ui.perfetto.dev (Open trace file)
  $out/trace.json           Chrome trace events: ui.perfetto.dev or chrome://tracing
  $out/trace.svg            a timeline picture: open it in any web browser
  $out/trace-summary.txt    run times, CPUs, wake-up latencies, the process tree$dat_msg
MSG
exit "$status"
