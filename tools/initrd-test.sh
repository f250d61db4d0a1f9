#!/usr/bin/env bash
# External initramfs images as a distribution makes them, booted with
# QEMU's -initrd (the standard interface), checked from user space by
# `usertests initrd` (user/programs/src/bin/usertests/initrd.rs).
#
# Builds, under build/initrd-test/:
#   - stock static programs: a -nostdlib program with all its data in .bss
#     from GNU ld at 4 KiB and 64 KiB max-page-size (and from lld when it is
#     installed), and a glibc static-pie;
#   - one tree of files, packed with mkcpio, then compressed with the stock
#     tools: gzip, zstd, xz --check=crc32, lz4 -l (the legacy frame Linux
#     reads), plus a plain archive concatenated with a gzip one, and a
#     truncated gzip image that must be refused whole.
# Then boots each image and writes a results file per board.
#
# usage: tools/initrd-test.sh RESULTS_DIR [rpi3|rpi4 ...]
set -euo pipefail
cd "$(dirname "$0")/.."

RESULTS=${1:?usage: tools/initrd-test.sh RESULTS_DIR [boards]}
shift
BOARDS=("${@:-rpi3}")
OUT=build/initrd-test
RUNNER=target/debug/ktest-runner
MKCPIO=target/debug/mkcpio
CC=aarch64-linux-gnu-gcc
mkdir -p "$OUT" "$RESULTS"

for tool in gzip zstd xz lz4 "$CC"; do
    command -v "$tool" >/dev/null || { echo "initrd-test: $tool missing: run tools/setup.sh" >&2; exit 1; }
done

# --- the programs ---------------------------------------------------------
tree=$OUT/tree/initrd-test
rm -rf "$OUT/tree" && mkdir -p "$tree/bin" "$tree/sub/dir"
programs=()
for ps in 4096 65536; do
    $CC -O2 -static -nostdlib -ffreestanding -fno-pic -no-pie -Wl,-z,max-page-size=$ps \
        -o "$tree/bin/bss-bfd-$ps" user/c/elf/bss_only.c
    programs+=("bss-bfd-$ps")
    if command -v ld.lld >/dev/null; then
        # gcc's -fuse-ld=lld looks for a cross-named lld; link directly.
        $CC -O2 -ffreestanding -fno-pic -c -o "$OUT/bss_only.o" user/c/elf/bss_only.c
        ld.lld -static -z max-page-size=$ps -e _start -o "$tree/bin/bss-lld-$ps" "$OUT/bss_only.o"
        programs+=("bss-lld-$ps")
    fi
done
$CC -O2 -static-pie -o "$tree/bin/static-pie" user/c/elf/hello_pie.c
programs+=(static-pie)
printf '%s\n' "${programs[@]}" > "$tree/programs"
printf 'hello from the initrd\n' > "$tree/hello.txt"
ln -s hello.txt "$tree/link"
printf 'deep\n' > "$tree/sub/dir/deep.txt"

# --- the images -----------------------------------------------------------
printf 'last\n' > "$tree/layer"
$MKCPIO "$OUT/tree" -o "$OUT/main.cpio" >/dev/null
first=$OUT/first-tree/initrd-test
rm -rf "$OUT/first-tree" && mkdir -p "$first"
printf 'first\n' > "$first/layer"
$MKCPIO "$OUT/first-tree" -o "$OUT/first.cpio" >/dev/null

gzip -9 -c "$OUT/main.cpio" > "$OUT/gzip.img"
zstd -q -19 -c "$OUT/main.cpio" > "$OUT/zstd.img"
xz --check=crc32 -c "$OUT/main.cpio" > "$OUT/xz.img"
lz4 -l -q -c "$OUT/main.cpio" > "$OUT/lz4.img"
# An early plain archive, then the main one compressed: a later file wins.
cat "$OUT/first.cpio" "$OUT/gzip.img" > "$OUT/concat.img"
# Cut inside the deflate data: refused whole, boot goes on.
head -c $(( $(stat -c %s "$OUT/gzip.img") / 2 )) "$OUT/gzip.img" > "$OUT/truncated.img"

# --- the boots ------------------------------------------------------------
status=0
for board in "${BOARDS[@]}"; do
    variants=(gzip zstd xz lz4 concat truncated)
    # The second board runs the common case and the refusal only.
    [ "$board" != "${BOARDS[0]}" ] && variants=(gzip truncated)
    pass=0 fail=0
    for v in "${variants[@]}"; do
        suite=initrd
        [ "$v" = truncated ] && suite=initrd_refused
        log=$RESULTS/initrd-$board-$v.log
        if $RUNNER --board "$board" --kernel build/kernel8.img --dtb "build/$board.dtb" \
            --initrd "$OUT/$v.img" --append "init=/init -- /bin/usertests $suite" \
            --results "$OUT/$board-$v.txt" --log "$log" > "$OUT/$board-$v.ktap" 2>&1; then
            ok=1
        else
            ok=0
        fi
        # The kernel says what it unpacked, or why it refused the image.
        if [ "$v" = truncated ]; then
            grep -q 'initramfs: external initramfs: unpacking failed: gzip data at offset 0: truncated' "$log" || ok=0
        else
            grep -q "initramfs: external initramfs: .* files" "$log" || ok=0
        fi
        if [ $ok = 1 ]; then
            echo "ok - initrd $board $v"; pass=$((pass + 1))
        else
            echo "not ok - initrd $board $v (see $log)"; fail=$((fail + 1)); status=1
            tail -15 "$OUT/$board-$v.ktap"
        fi
    done
    printf 'passed %d\nfailed %d\nskipped 0\n' $pass $fail > "$RESULTS/initrd-$board.txt"
done
exit $status
