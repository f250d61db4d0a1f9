#!/usr/bin/env bash
# The SD card and the block layer under QEMU (-drive if=sd), on each board:
#   1. a card image made here (sfdisk + mformat, no root): 64 MiB, p1
#      FAT32 at sector 2048 (65536 sectors), p2 Linux from 67584, and
#      "PATTERN-AT-40MiB" at byte 40 MiB; booted with brd.rd_nr=1
#      brd.rd_size=1024 running `usertests block` (user/programs/src/bin/
#      usertests/block.rs: /proc/partitions, the MBR and the pattern read,
#      ioctls, end of device, a megabyte written and read back, /dev/ram0);
#   2. after the power-off, on the host: the megabyte the suite wrote and
#      the bytes it left dirty for reboot(2) to write back are in the image
#      byte for byte, and the rest of the card is untouched;
#   3. a boot without a card: "mmc0: no card", and the shell still runs;
#   4. a card without a partition table: the whole disk only, with Linux's
#      "unknown partition table".
# Writes RESULTS_DIR/mmc-BOARD.txt (passed/failed/skipped counts).
#
# usage: tools/mmc-test.sh RESULTS_DIR [rpi3|rpi4 ...]
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

RESULTS=${1:?usage: tools/mmc-test.sh RESULTS_DIR [boards]}
shift
BOARDS=("${@:-rpi3}")
OUT=build/mmc-test
mkdir -p "$OUT" "$RESULTS"

for tool in sfdisk mformat python3; do
    command -v "$tool" >/dev/null || { echo "mmc-test: $tool missing: run tools/setup.sh" >&2; exit 1; }
done

make_card() { # IMG: the partitioned card of step 1
    rm -f "$1" && truncate -s 64M "$1" &&
        printf 'label: dos\nstart=2048, size=65536, type=c\nstart=67584, type=83\n' | sfdisk --quiet "$1" &&
        mformat -i "$1@@1M" -F -v PIKERN :: &&
        printf 'PATTERN-AT-40MiB' | dd of="$1" bs=1 seek=$((40 << 20)) conv=notrunc status=none
}

boot() { # MACHINE DTB APPEND [QEMU ARGS...]: the console on stdout
    local m=$1 dtb=$2 append=$3
    shift 3
    timeout 120 qemu-system-aarch64 -M "$m" -kernel build/kernel8.img -dtb "$dtb" \
        -append "$append" -display none -serial stdio -monitor none -semihosting "$@" < /dev/null
}

for b in "${BOARDS[@]}"; do
    m=$([ "$b" = rpi4 ] && echo raspi4b || echo raspi3b)
    pass=0 fail=0 skip=0
    ok() { echo "ok - $b: $1"; pass=$((pass + 1)); }
    notok() { echo "not ok - $b: $1"; fail=$((fail + 1)); }

    img=$OUT/card-$b.img
    make_card "$img" || { echo "mmc-test: cannot make $img" >&2; exit 1; }
    cp "$img" "$OUT/card-$b.orig"
    log=$RESULTS/mmc-$b-console.log
    boot "$m" "build/$b.dtb" "brd.rd_nr=1 brd.rd_size=1024 init=/init -- /bin/usertests block" \
        -drive "if=sd,format=raw,file=$img" > "$log" 2>&1
    # The suite's own KTAP lines count, leaf tests only (4-space indent).
    while IFS= read -r line; do
        case "$line" in
            "    ok "*"# SKIP"*) skip=$((skip + 1)); echo "$b: ${line#    }" ;;
            "    ok "*) pass=$((pass + 1)) ;;
            "    not ok "*) fail=$((fail + 1)); echo "$b: ${line#    }" ;;
        esac
    done < <(tr -d '\r' < "$log")
    grep -q "^    ok .*proc_partitions_lists_the_card" "$log" || notok "usertests block did not run (see $log)"
    grep -q "mmcblk0: p1 p2" "$log" && ok "the partition scan prints ' mmcblk0: p1 p2'" ||
        notok "no ' mmcblk0: p1 p2' in $log"

    # Step 2: the image after the power-off, compared on the host.
    if python3 - "$img" "$OUT/card-$b.orig" <<'PY'
import sys
img = open(sys.argv[1], 'rb').read()
orig = bytearray(open(sys.argv[2], 'rb').read())
p2 = 67584 * 512
mb = bytes(((i * 131 + i // 4096) % 251) for i in range(1 << 20))
want = {
    p2 + (4 << 20): mb,                              # a_megabyte_written_reaches_the_card
    p2 + (20 << 20): b"WRITTEN-BEFORE-POWEROFF",     # written_before_poweroff (reboot's sync)
    p2 + 12345: b"shared-bytes",                     # disk_and_partition_see_the_same_bytes
}
bad = [hex(off) for off, data in want.items() if img[off:off + len(data)] != data]
for off, data in want.items():
    orig[off:off + len(data)] = data
# Nothing else changed (end_of_device rewrote p1's last sector as it was).
if not bad and img != bytes(orig):
    first = next(i for i in range(len(img)) if img[i] != orig[i])
    bad.append("unexpected change at byte %#x" % first)
if bad:
    print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
    then ok "what the kernel wrote is in the image, byte for byte, and nothing else changed"
    else notok "the image after the power-off differs (offsets above)"
    fi

    # Step 3: no card.
    nlog=$RESULTS/mmc-$b-nocard.log
    boot "$m" "build/$b.dtb" 'init=/init -- /bin/sh -c "echo shell-ran; cat /proc/partitions"' > "$nlog" 2>&1
    grep -q "mmc0: no card" "$nlog" && grep -q "shell-ran" "$nlog" &&
        ! grep -Eq '^ +179 +[0-9]+ +[0-9]+ mmcblk' "$nlog" &&
        ok "no card: 'mmc0: no card', no mmcblk0, and the boot goes on" ||
        notok "no-card boot (see $nlog)"

    # Step 4: a card without a partition table.
    raw=$OUT/raw-$b.img
    rm -f "$raw" && truncate -s 32M "$raw"
    rlog=$RESULTS/mmc-$b-notable.log
    boot "$m" "build/$b.dtb" 'init=/init -- /bin/sh -c "cat /proc/partitions"' \
        -drive "if=sd,format=raw,file=$raw" > "$rlog" 2>&1
    grep -q "mmcblk0: unknown partition table" "$rlog" && grep -q " 179        0      32768 mmcblk0" "$rlog" &&
        ! grep -q "mmcblk0p" "$rlog" &&
        ok "no partition table: the whole disk only, 'unknown partition table'" ||
        notok "card without a partition table (see $rlog)"

    printf 'passed %d\nfailed %d\nskipped %d\n' "$pass" "$fail" "$skip" > "$RESULTS/mmc-$b.txt"
    echo "mmc-test $b: $pass passed, $fail failed, $skip skipped"
done
