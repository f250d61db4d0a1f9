#!/usr/bin/env bash
# Debian's busybox-static (arm64), fetched from Debian's archive with the
# ordinary apt tools (tools/fetch-debian.sh), driven by
# tests/busybox/run.sh: first on Linux through qemu-aarch64 (the
# reference: every check must pass there), then on pikern booted with the
# busybox and the script as a gzip -initrd, on each board.
#
# usage: tools/busybox-test.sh RESULTS_DIR [rpi3|rpi4 ...]
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS=${1:?usage: tools/busybox-test.sh RESULTS_DIR [boards]}
shift
BOARDS=("${@:-rpi3}")
OUT=build/busybox-test
RUNNER=target/debug/ktest-runner
MKCPIO=target/debug/mkcpio
mkdir -p "$OUT" "$RESULTS"

counts() { # KTAP file -> results file
    local pass fail
    pass=$(grep -c '^ok ' "$1" || true)
    fail=$(grep -c '^not ok ' "$1" || true)
    printf 'passed %d\nfailed %d\nskipped 0\n' "$pass" "$fail" > "$2"
    echo "$pass passed, $fail failed"
}

if ! bash tools/fetch-debian.sh busybox-static > "$OUT/fetch.log" 2>&1; then
    cat "$OUT/fetch.log"
    echo "not ok - busybox-static could not be fetched from Debian's archive"
    for b in host "${BOARDS[@]}"; do
        printf 'passed 0\nfailed 1\nskipped 0\n' > "$RESULTS/busybox-$b.txt"
    done
    exit 1
fi
BB=$PWD/build/debian/busybox-static/bin/busybox

# The reference: the same binary and script on Linux.
status=0
BB="qemu-aarch64 $BB" T=$PWD/$OUT/scratch RT="qemu-aarch64 $PWD/build/user/raspbian_thread_c" \
    qemu-aarch64 "$BB" sh tests/busybox/run.sh \
    > "$OUT/host.ktap" 2> "$OUT/host.err" || true
echo "busybox on Linux (qemu-aarch64): $(counts "$OUT/host.ktap" "$RESULTS/busybox-host.txt")"
grep -q '^not ok' "$OUT/host.ktap" && { grep -B2 '^not ok' "$OUT/host.ktap"; status=1; }

# The image: busybox and the script, gzip-compressed as distributions ship.
rm -rf "$OUT/tree" && mkdir -p "$OUT/tree/bin" "$OUT/tree/bbtest"
cp "$BB" "$OUT/tree/bin/busybox"
cp tests/busybox/run.sh "$OUT/tree/bbtest/run.sh"
$MKCPIO "$OUT/tree" -o "$OUT/busybox.cpio" > /dev/null
gzip -9 -c "$OUT/busybox.cpio" > "$OUT/busybox.img"

for board in "${BOARDS[@]}"; do
    $RUNNER --board "$board" --kernel build/kernel8.img --dtb "build/$board.dtb" \
        --initrd "$OUT/busybox.img" --timeout 120 \
        --append "lockdep init=/init -- /bin/busybox sh /bbtest/run.sh" \
        --results "$OUT/$board.runner.txt" --log "$RESULTS/busybox-$board-console.log" \
        > "$OUT/$board.out" 2>&1 || true
    tr -d '\r' < "$RESULTS/busybox-$board-console.log" | grep -E '^(not )?ok [0-9]+ ' > "$OUT/$board.ktap" || true
    echo "busybox on pikern ($board): $(counts "$OUT/$board.ktap" "$RESULTS/busybox-$board.txt")"
    if grep -q '^not ok' "$OUT/$board.ktap" || ! grep -q '^# busybox: pass' "$RESULTS/busybox-$board-console.log"; then
        grep -B2 '^not ok' "$RESULTS/busybox-$board-console.log" | head -30
        # A run that stopped early counts as a failure too.
        grep -q '^# busybox: pass' "$RESULTS/busybox-$board-console.log" \
            || printf 'passed 0\nfailed 1\nskipped 0\n' > "$RESULTS/busybox-$board.txt"
        status=1
    fi
done
exit $status
