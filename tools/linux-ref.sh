#!/usr/bin/env bash
# The Linux 6.1 column of `make bench`, measured the same way as pikern's
# figures: Debian bookworm's arm64 kernel (linux-image-6.1.*-arm64, the one
# bookworm's linux-image-arm64 names, fetched with apt by
# tools/fetch-debian.sh) boots with its own Raspberry Pi 3 DTB
# (broadcom/bcm2837-rpi-3-b.dtb from the same package) on QEMU's raspi3b,
# 4 CPUs, with the same `-icount shift=0,align=off,sleep=off -seed 1`. Its
# initramfs holds the very /bin/bench, /bin/true, the glibc hello programs
# and /lib of pikern's initramfs and Debian's busybox-static, whose shell
# is /init: it mounts /proc, /sys, tracefs and devtmpfs (bench reads
# /proc/meminfo and writes /sys/kernel/tracing), waits for the CRNG (see
# below) and runs `/bin/bench ARGS` (every user-space row; Linux has no
# /proc/bench, so the kernel's own loops are left out).
#
# The CRNG: Debian's kernel moves the kernel stack by a random offset on
# every system call (randomize_kstack_offset), and until the CRNG is
# initialised each such draw costs a whole ChaCha20 block: getppid reads
# ~9,760 instructions instead of ~460. QEMU's raspi3b gives Linux no
# entropy it credits (on a real Pi the hardware RNG's module seeds it in
# the first seconds), so /init first reads a byte from /dev/random, which
# blocks until Linux has gathered timer jitter (try_to_generate_entropy):
# ~2 s of virtual time, deterministic under -icount.
#
# EXTRA_INITRD=FILE lays the cpio FILE over that initramfs (concatenated,
# as pikern's built-in and external ones are), e.g. the bench row of 10
# idle bash processes, which needs Debian's bash and its libraries:
#   EXTRA_INITRD=build/bench-bash-initrd.cpio tools/linux-ref.sh --only bash_idle
# (make bench-initrd builds it).
#
# Writes build/linux-ref/console.log and prints the table
# (`bench-report reference`): per operation, next to the figures recorded
# in tools/src/bench.rs. Takes about 4 minutes.
#
# usage: tools/linux-ref.sh [BENCH_ARGS...]    e.g. --only busybox_sh_true
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/linux-ref
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${TIMEOUT:-1200}
MKCPIO=target/debug/mkcpio
mkdir -p "$OUT"

# pikern's user programs (the same /bin/bench and /bin/true) and mkcpio.
nice -n 10 make --no-print-directory tools user > "$OUT/make.log" 2>&1 \
    || { tail -20 "$OUT/make.log"; exit 1; }

# The kernel: whatever 6.1 ABI bookworm's metapackage names today.
pkg=$(DEBIAN_SUITE=bookworm bash tools/fetch-debian.sh --resolve linux-image-arm64)
case $pkg in
    linux-image-6.1.*-arm64) ;;
    *) echo "linux-ref: bookworm's linux-image-arm64 depends on '$pkg', not a 6.1 kernel" >&2; exit 1 ;;
esac
DEBIAN_SUITE=bookworm bash tools/fetch-debian.sh \
    --only './boot/vmlinuz-*' --only './boot/config-*' \
    --only './usr/lib/linux-image-*/broadcom/bcm2837-rpi-3-b.dtb' "$pkg"
bash tools/fetch-debian.sh busybox-static
kdir=build/debian/$pkg
abi=${pkg#linux-image-}
kernel=$kdir/boot/vmlinuz-$abi
dtb=$kdir/usr/lib/linux-image-$abi/broadcom/bcm2837-rpi-3-b.dtb
deb=$(ls -t build/debian/debs/"$pkg"_*_arm64.deb | head -1)
for f in "$kernel" "$dtb"; do
    [ -f "$f" ] || { echo "linux-ref: $f not in $deb" >&2; exit 1; }
done

# The initramfs: busybox's shell as /init, pikern's bench and true.
tree=$OUT/tree
rm -rf "$tree" && mkdir -p "$tree/bin" "$tree/proc" "$tree/sys" "$tree/dev" "$tree/tmp"
cp build/debian/busybox-static/bin/busybox "$tree/bin/busybox"
cp build/initramfs/bin/bench build/initramfs/bin/true "$tree/bin/"
# The glibc hello programs of the exec rows, static and dynamically linked
# (with the loader and libc where the latter looks for them).
cp build/initramfs/bin/hello_c build/initramfs/bin/hello_dyn_c "$tree/bin/"
cp -r build/initramfs/lib "$tree/lib"
cat > "$tree/init" <<'EOF'
#!/bin/busybox sh
# Linux runs this as pid 1 with the words after `--` on its command line.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t tracefs tracefs /sys/kernel/tracing
$bb mount -t devtmpfs devtmpfs /dev
echo "linux-ref: $($bb uname -r) $($bb uname -v)"
# Blocks until the CRNG is initialised (tools/linux-ref.sh says why).
$bb head -c 1 /dev/random > /dev/null
$bb dmesg | $bb grep -m1 'crng init done'
/bin/bench "$@"
echo "linux-ref: end"
$bb poweroff -f
EOF
chmod 755 "$tree/init"
$MKCPIO "$tree" -o "$OUT/initramfs.cpio" > /dev/null
if [ -n "${EXTRA_INITRD:-}" ]; then
    cat "$EXTRA_INITRD" >> "$OUT/initramfs.cpio"
fi

# Boot. Linux's power-off on raspi3b only halts the CPUs (no PSCI), so
# QEMU is ended here once the script has said it is done.
log=$OUT/console.log
echo "linux-ref: $(basename "$deb") on $($QEMU --version | head -1), console in $log"
"$QEMU" -M raspi3b -kernel "$kernel" -dtb "$dtb" -initrd "$OUT/initramfs.cpio" \
    -append "console=ttyAMA0 -- $*" -display none -serial stdio -monitor none -no-reboot \
    -icount shift=0,align=off,sleep=off -seed 1 < /dev/null > "$log" 2>&1 &
qemu_pid=$!
end=$((SECONDS + TIMEOUT))
while ! grep -q '^linux-ref: end' "$log" && kill -0 $qemu_pid 2>/dev/null && [ $SECONDS -lt $end ]; do
    sleep 1
done
kill $qemu_pid 2>/dev/null || true
wait $qemu_pid 2>/dev/null || true
tr -d '\r' < "$log" | grep -E '^(linux-ref|bench|\[.*crng init)' || true
if ! grep -q '^linux-ref: end' "$log"; then
    echo "linux-ref: the run did not finish (QEMU died or ${TIMEOUT}s passed); see $log" >&2
    exit 1
fi
target/debug/bench-report reference "$log"
