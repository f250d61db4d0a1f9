#!/usr/bin/env bash
# vfat (issue 22): FAT images made on the host with mkfs.vfat and mtools,
# mounted by pikern from the brd RAM disks, exercised by busybox
# (tests/vfat/run.sh: mount, /proc/mounts, statfs, exec from the volume,
# create/append/rename/unlink/rmdir/truncate with long names, umount and
# remount, ro, a full volume, a bogus boot sector), then the disk brought
# back over the console and checked here: fsck.vfat finds it clean and
# mtools reads what the kernel wrote, byte for byte.
#
# usage: tools/vfat-test.sh RESULTS_DIR [rpi3|rpi4 ...]
set -euo pipefail
cd "$(dirname "$0")/.."

RESULTS=${1:?usage: tools/vfat-test.sh RESULTS_DIR [boards]}
shift
BOARDS=("${@:-rpi3}")
OUT=build/vfat-test
RUNNER=target/debug/ktest-runner
MKCPIO=target/debug/mkcpio
mkdir -p "$OUT" "$RESULTS"
for tool in mkfs.vfat fsck.vfat mcopy mmd mtype mdir; do
    command -v "$tool" >/dev/null || { echo "vfat-test: $tool missing: apt-get install dosfstools mtools" >&2; exit 1; }
done

# --- the images -----------------------------------------------------------
tree=$OUT/tree
rm -rf "$tree" && mkdir -p "$tree/vfat"
cp -a build/userland/. "$tree/"
cp tests/vfat/run.sh "$tree/vfat/run.sh"
aarch64-linux-gnu-gcc -O2 -static -o "$tree/vfat/mmapw" tests/vfat/mmapw.c
img=$tree/vfat/fat16.img
mkfs.vfat -C -F 16 -s 1 -n PIKERN "$img" 8192 > /dev/null
mmd -i "$img" ::/bin
mcopy -i "$img" build/initramfs/bin/hello ::/bin/hello
mcopy -i "$img" build/initramfs/bin/raspbian_fork ::/bin/raspbian_fork
printf 'hello from the card\n' > "$OUT/readme"
mcopy -i "$img" "$OUT/readme" ::/README.TXT
stat -c %s build/initramfs/bin/raspbian_fork > "$tree/vfat/fork.size"
mkfs.vfat -C "$tree/vfat/small.img" 256 > /dev/null
cp "$img" "$tree/vfat/bad.img"
printf '\0\0' | dd of="$tree/vfat/bad.img" bs=1 seek=14 conv=notrunc 2> /dev/null
# Every FAT entry from cluster 2 on points at cluster 2: every chain a
# loop, every file and directory past its first cluster garbage.
cp "$img" "$tree/vfat/loops.img"
python3 - "$tree/vfat/loops.img" <<'PY'
import struct, sys
f = open(sys.argv[1], 'r+b'); b = bytearray(f.read())
reserved, fats, fatlen = struct.unpack_from('<H', b, 14)[0], b[16], struct.unpack_from('<H', b, 22)[0]
for k in range(fats):
    base = (reserved + k * fatlen) * 512
    for c in range(2, fatlen * 256):
        struct.pack_into('<H', b, base + 2 * c, 2)
f.seek(0); f.write(b)
PY
$MKCPIO "$tree" -o "$OUT/vfat.cpio" > /dev/null
gzip -9 -f "$OUT/vfat.cpio"

# --- the boots ------------------------------------------------------------
# From here a failing check is counted, not the end of the script.
set +e
status=0
for board in "${BOARDS[@]}"; do
    log=$RESULTS/vfat-$board-console.log
    $RUNNER --board "$board" --kernel build/kernel8.img --dtb "build/$board.dtb" \
        --initrd "$OUT/vfat.cpio.gz" --timeout 60 \
        --append "lockdep brd.rd_nr=2 brd.rd_size=8192 init=/init -- /bin/busybox sh /vfat/run.sh" \
        --results "$OUT/$board.runner.txt" --log "$log" > "$OUT/$board.out" 2>&1 || true
    tr -d '\r' < "$log" > "$OUT/$board.console"
    grep -E '^(not )?ok [0-9]+ ' "$OUT/$board.console" > "$OUT/$board.ktap" || true
    n=$(wc -l < "$OUT/$board.ktap")
    check() { # condition-status description
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2" >> "$OUT/$board.ktap"; else echo "not ok $n - $2" >> "$OUT/$board.ktap"; fi
    }
    grep -q 'FAT-fs (ram1): bogus number of reserved sectors' "$OUT/$board.console"; check $? "the kernel says what is wrong with the boot sector"
    grep -q 'FAT-fs (ram1): chain links back to itself' "$OUT/$board.console"; check $? "the kernel says a chain loops"
    grep -q '^# vfat: done' "$OUT/$board.console"; check $? "the script ran to its end"
    sed -n '/^-----BEGIN FAT IMAGE-----$/,/^-----END FAT IMAGE-----$/p' "$OUT/$board.console" \
        | sed '1d;$d' | base64 -d 2> /dev/null | gunzip -c > "$OUT/$board.img" 2> /dev/null || true
    fsck.vfat -n "$OUT/$board.img" > "$OUT/$board.fsck" 2>&1; check $? "fsck.vfat -n: the volume the kernel wrote is clean"
    cmp -s <(seq 1 3000) <(mtype -i "$OUT/$board.img" ::/trace/raspbian_fork.svg 2> /dev/null); check $? "mtools reads the kernel's file byte for byte"
    [ "$(mtype -i "$OUT/$board.img" '::/trace/Long Name.txt' 2> /dev/null)" = renamed ]; check $? "mtools finds the renamed long name"
    [ "$(mtype -i "$OUT/$board.img" ::/README.TXT 2> /dev/null)" = "$(printf 'hello from the card\nappended')" ]; check $? "mtools reads the appended file"
    ! mdir -i "$OUT/$board.img" ::/gone > /dev/null 2>&1; check $? "the unlinked file is gone"
    cmp -s <(for i in $(seq 0 8191); do printf "\\$(printf %o $((97 + i % 26)))"; done) \
        <(mtype -i "$OUT/$board.img" ::/mapped.bin 2> /dev/null); check $? "MAP_SHARED stores reached the volume"
    pass=$(grep -c '^ok ' "$OUT/$board.ktap" || true)
    fail=$(grep -c '^not ok ' "$OUT/$board.ktap" || true)
    printf 'passed %d\nfailed %d\nskipped 0\n' "$pass" "$fail" > "$RESULTS/vfat-$board.txt"
    echo "vfat on pikern ($board): $pass passed, $fail failed"
    if [ "$fail" != 0 ] || [ "$pass" = 0 ]; then
        grep -A2 '^not ok' "$OUT/$board.console" "$OUT/$board.ktap" || true
        status=1
    fi
done
exit $status
