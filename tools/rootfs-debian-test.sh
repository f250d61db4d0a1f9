#!/usr/bin/env bash
# `make test-debian`: Debian's own programs on pikern, from the Debian
# initramfs (tools/rootfs-debian.sh, build/rootfs-debian.cpio.gz).
#
#   1. The reference: every bash case (tests/debian/bash/*.sh) run by the
#      same Debian bash under qemu-aarch64 on this Linux host, with the
#      rootfs tree as its sysroot (-L). The commands a case runs (sort, tr,
#      sleep ...) are the tree's too: PATH holds one small host script per
#      program of the tree that runs it under qemu-aarch64 (there is no
#      binfmt_misc to do that here). Output: stdout and stderr, then
#      `exit STATUS`, into build/debian-test/expected/NAME.out.
#   2. The test image: tests/debian/ and the expected outputs under
#      /debtest, a second gzip cpio laid over the Debian one (concatenated
#      images, as Linux's initramfs takes them).
#   3. Each board boots it: init -- BASH /debtest/run.sh, which runs the
#      cases and compares, then tests/debian/tools.sh (coreutils, procps,
#      psmisc, strace, memory of 10 idle bash), KTAP on the console.
#
# Writes RESULTS/debian-BOARD.txt (passed/failed/skipped, for
# test-summary), RESULTS/debian-BOARD-console.log, and prints the KTAP
# lines. DEBIAN_BASH=/bin/bash-static runs the cases with Debian's
# bash-static instead (fetched into the test image; its reference made
# the same way): the harness without the dynamic linker.
#
# usage: tools/rootfs-debian-test.sh RESULTS_DIR [rpi3|rpi4 ...]
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS=${1:?usage: tools/rootfs-debian-test.sh RESULTS_DIR [boards]}
shift
BOARDS=("${@:-rpi3}")
OUT=build/debian-test
TREE=$PWD/build/rootfs-debian-tree
ROOTFS=build/rootfs-debian.cpio.gz
RUNNER=target/debug/ktest-runner
MKCPIO=target/debug/mkcpio
QEMU_USER=$(command -v qemu-aarch64) || { echo "rootfs-debian-test: qemu-aarch64 missing (make setup)" >&2; exit 1; }
BASH_PATH=${DEBIAN_BASH:-/bin/bash}
TIMEOUT=${DEBIAN_TEST_TIMEOUT:-900}
[ -f "$ROOTFS" ] && [ -d "$TREE" ] || { echo "rootfs-debian-test: $ROOTFS missing (make rootfs-debian)" >&2; exit 1; }
rm -rf "$OUT" && mkdir -p "$OUT/shim" "$OUT/tree/debtest/expected" "$RESULTS"

# --- the test image's tree -------------------------------------------------
img=$OUT/tree
if [ "$BASH_PATH" = /bin/bash-static ]; then
    bash tools/fetch-debian.sh bash-static > "$OUT/fetch.log"
    mkdir -p "$img/usr/bin"
    cp build/debian/bash-static/bin/bash-static "$img/usr/bin/bash-static"
fi
cp -R tests/debian/. "$img/debtest/"
host_bash=$PWD/$img/usr/bin/${BASH_PATH##*/}
[ -x "$host_bash" ] || host_bash=$TREE/usr/bin/${BASH_PATH##*/}
[ -x "$host_bash" ] || { echo "rootfs-debian-test: no $BASH_PATH in the tree" >&2; exit 1; }

# --- the reference: the same bash on Linux -----------------------------------
for dir in usr/bin usr/sbin; do
    for f in "$TREE/$dir"/*; do
        name=${f##*/}
        [ -e "$OUT/shim/$name" ] && continue
        printf '#!/bin/sh\nexec %s -L %s -0 %s %s "$@"\n' "$QEMU_USER" "$TREE" "$name" "$f" > "$OUT/shim/$name"
        chmod +x "$OUT/shim/$name"
    done
done
SHIM=$PWD/$OUT/shim
nref=0
for f in tests/debian/bash/*.sh; do
    name=$(basename "$f" .sh)
    exp=$PWD/$img/debtest/expected/$name.out
    (
        cd tests/debian/bash
        status=0
        env -i PATH="$SHIM" HOME=/root LC_ALL=C \
            "$QEMU_USER" -L "$TREE" -0 "$BASH_PATH" "$host_bash" "$name.sh" < /dev/null > "$exp" 2>&1 || status=$?
        echo "exit $status" >> "$exp"
    )
    nref=$((nref + 1))
done
echo "# debian: $nref bash cases run on Linux (qemu-aarch64 $BASH_PATH) for the reference"

$MKCPIO "$img" -o "$OUT/debtest.cpio" > /dev/null
gzip -9 -n -c "$OUT/debtest.cpio" > "$OUT/debtest.cpio.gz"
cat "$ROOTFS" "$OUT/debtest.cpio.gz" > "$OUT/image.cpio.gz"

# --- the boots -------------------------------------------------------------
[ "${REFERENCE_ONLY:-}" != 1 ] || exit 0
counts() { # KTAP file -> results file
    local pass fail
    pass=$(grep -c '^ok ' "$1" || true)
    fail=$(grep -c '^not ok ' "$1" || true)
    printf 'passed %d\nfailed %d\nskipped 0\n' "$pass" "$fail" > "$2"
    echo "$pass passed, $fail failed"
}
status=0
for board in "${BOARDS[@]}"; do
    log=$RESULTS/debian-$board-console.log
    $RUNNER --board "$board" --kernel build/kernel8.img --dtb "build/$board.dtb" \
        --initrd "$OUT/image.cpio.gz" --timeout "$TIMEOUT" \
        --append "init=/init -- $BASH_PATH /debtest/run.sh" \
        --results "$OUT/$board.runner.txt" --log "$log" > "$OUT/$board.out" 2>&1 || true
    tr -d '\r' < "$log" | grep -E '^(not )?ok [0-9]+ ' > "$OUT/$board.ktap" || true
    tr -d '\r' < "$log" | grep -E '^# memory: ' | sed "s/^# /# $board: /" || true
    cat "$OUT/$board.ktap"
    echo "# debian on pikern ($board): $(counts "$OUT/$board.ktap" "$RESULTS/debian-$board.txt")"
    if grep -q '^not ok' "$OUT/$board.ktap" || ! tr -d '\r' < "$log" | grep -q '^# debian: done'; then
        # A run that stopped early (or never started) counts as a failure.
        if ! tr -d '\r' < "$log" | grep -q '^# debian: done'; then
            echo "not ok - debian ($board): the suite did not run to its end; last console lines:"
            tr -d '\r' < "$log" | tail -8 | sed 's/^/#   /'
            read -r p f < <(awk '/^passed/ { p = $2 } /^failed/ { f = $2 } END { print p, f }' "$RESULTS/debian-$board.txt")
            printf 'passed %d\nfailed %d\nskipped 0\n' "$p" $((f + 1)) > "$RESULTS/debian-$board.txt"
        fi
        status=1
    fi
done
exit $status
