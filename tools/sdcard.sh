#!/usr/bin/env bash
# `make sdcard` and `make sdcard-check`: a bootable SD-card image for a real
# Raspberry Pi 3 or 4, built without root and without loop devices.
#
#   tools/sdcard.sh build IMAGE KERNEL CMDLINE
#   tools/sdcard.sh build-qemu IMAGE KERNEL CMDLINE
#   tools/sdcard.sh check IMAGE KERNEL CMDLINE RESULTS
#   tools/sdcard.sh verify IMAGE KERNEL CMDLINE RESULTS
#
# The image is an MBR disk with one FAT32 partition (type 0x0c at sector
# 8192 = 4 MiB) holding the Raspberry Pi firmware, device trees, config.txt,
# cmdline.txt, the kernel (as kernel8.img) and pikern-versions.txt, and for
# the no-serial workflow (docs/hardware.md) the folders bin/ (programs the
# shell and init= find: init mounts this partition on /boot and puts
# /boot/bin in PATH) and trace/ (where /etc/rc saves the demo's trace), and
# autorun.sh.example (renamed to autorun.sh, /etc/rc runs it before the
# shell). sfdisk writes the partition table and mtools the filesystem, both
# into the file. Its size is a power of two, which QEMU's SD card needs.
#
# `build-qemu` is `build` for `make run`: the firmware is added when it can
# be had, and left out otherwise (QEMU loads the kernel itself), so the
# card `make run` attaches is the card `make sdcard` writes whenever the
# firmware is there.
#
# Firmware and DTBs come from Debian (raspi-firmware, and the arm64 kernel
# package for the DTBs), fetched once with apt-get download under a private
# apt configuration in the cache, so the machine's apt sources and dpkg
# architectures stay as they are. FIRMWARE_DIR=/path (for instance Raspberry
# Pi OS's boot partition) uses those files instead and downloads nothing.
#
# `check` builds the image (without firmware if it cannot be downloaded),
# reads it back, prints `ok N - ...` / `not ok N - ...` lines and writes
# `passed N`, `failed N`, `skipped N` to RESULTS. `verify` only reads back
# an existing image.
#
# SDCARD_INITRD=FILE puts FILE on the card as initramfs.cpio.gz, loaded
# after the kernel (config.txt's `initramfs ... followkernel`, which the
# firmware reports in the DTB's /chosen as QEMU's -initrd does): `make
# sdcard ROOTFS=debian` carries the Debian root filesystem that way.
#
# Environment: FIRMWARE_DIR; SDCARD_INITRD; SDCARD_CACHE (default ~/.cache/pikern/sdcard;
# delete it to fetch newer packages); SDCARD_SUITE (Debian suite, default the
# machine's codename, or bookworm when that is not a Debian release).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin" # sfdisk lives in /usr/sbin, not in a user's PATH
export MTOOLS_SKIP_CHECK=1          # a partition in a file: no geometry checks

START=8192                       # first sector of the boot partition (4 MiB)
SIZE_MIB=${SDCARD_SIZE_MIB:-128} # the whole image (a power of two, for QEMU)
OFFSET=$((START * 512))
FIRMWARE=(bootcode.bin start.elf fixup.dat start4.elf fixup4.dat)
# config.txt section -> the DTB it loads, first name found wins: Debian's
# upstream names, then Raspberry Pi OS's (which the firmware would pick itself).
DTB_SECTIONS=(pi3 pi3+ pi4)
declare -A DTB_NAMES=(
    [pi3]="bcm2837-rpi-3-b.dtb bcm2710-rpi-3-b.dtb"
    [pi3+]="bcm2837-rpi-3-b-plus.dtb bcm2710-rpi-3-b-plus.dtb"
    [pi4]="bcm2711-rpi-4-b.dtb"
)
CACHE=${SDCARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pikern/sdcard}

CLEANUP=()
trap 'rm -rf "${CLEANUP[@]}"' EXIT

say() { printf 'sdcard: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# QEMU refuses an SD card whose size is not a power of two.
[ $((SIZE_MIB & (SIZE_MIB - 1))) = 0 ] && [ "$SIZE_MIB" -ge 64 ] ||
    die "SDCARD_SIZE_MIB=$SIZE_MIB: the card must be a power of two of at least 64 MiB (QEMU's SD card needs a power of two)"

need_tools() {
    local missing=()
    command -v sfdisk >/dev/null || missing+=("sfdisk (package fdisk)")
    command -v mformat >/dev/null && command -v mcopy >/dev/null || missing+=("mformat, mcopy (package mtools)")
    [ ${#missing[@]} = 0 ] && return 0
    die "missing ${missing[*]}: run 'make setup' or 'sudo apt-get install fdisk mtools'"
}

# The Debian mirror and keyring of the machine's own Debian source (deb822
# files or one-line lists), so the private apt trusts what the system trusts.
debian_source() {
    local uri="" key="" f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        read -r uri key < <(awk -v suite="$SUITE" '
            BEGIN { RS = ""; FS = "\n" }
            {
                u = ""; k = ""; s = 0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); u = a[2] }
                    if ($i ~ /^Signed-By:/) { split($i, a, /[ \t]+/); k = a[2] }
                    if ($i ~ /^Suites:/ && (" " $i " ") ~ (" " suite " ")) s = 1
                }
                if (s && u ~ /\/debian\/?$/) { print u, k; exit }
            }' "$f") || true
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ]; then
        # deb [opts] URI SUITE COMPONENTS...  ->  URI SUITE opts
        read -r uri key < <(grep -hE '^deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            sed -E 's/^deb\s+(\[([^]]*)\])?\s*(\S+)\s+(\S+).*/\3 \4 \2/' |
            awk -v suite="$SUITE" '$2 == suite && $1 ~ /\/debian\/?$/ {
                k = ""; if (match($0, /signed-by=[^ ]+/)) k = substr($0, RSTART + 10, RLENGTH - 10)
                print $1, k; exit }') || true
    fi
    URI=${uri:-http://deb.debian.org/debian}
    # An inline key block or no key at all: Debian's archive keyring.
    KEYRING=$key
    case "$KEYRING" in /*) ;; *) KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg ;; esac
    [ -f "$KEYRING" ] || KEYRING=""
}

# Sets FW to a directory with the firmware, the DTBs and source.txt (what
# they are and where they came from); downloads them on first use.
find_firmware() {
    if [ -n "${FIRMWARE_DIR:-}" ]; then
        local f s
        FW=$FIRMWARE_DIR
        for f in "${FIRMWARE[@]}"; do
            [ -f "$FW/$f" ] || { say "FIRMWARE_DIR=$FW has no $f"; return 1; }
        done
        for s in "${DTB_SECTIONS[@]}"; do dtb_for "$s" > /dev/null || return 1; done
        return 0
    fi
    . /etc/os-release 2>/dev/null || true
    SUITE=${SDCARD_SUITE:-$([ "${ID:-}" = debian ] && echo "${VERSION_CODENAME:-bookworm}" || echo bookworm)}
    FW=$CACHE/$SUITE/boot
    [ -f "$FW/source.txt" ] && return 0
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
        { say "no apt-get/dpkg-deb to download the firmware: give FIRMWARE_DIR=/path"; return 1; }
    debian_source
    mkdir -p "$CACHE"
    local tmp
    tmp=$(mktemp -d "$CACHE/download.XXXXXX")
    CLEANUP+=("$tmp")
    mkdir -p "$tmp/state/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs" "$tmp/x" "$tmp/boot"
    echo "deb [target=Packages${KEYRING:+ signed-by=$KEYRING}] $URI $SUITE main non-free-firmware" > "$tmp/sources.list"
    local apt=(-q -o Dir::Etc::SourceList="$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
        -o Dir::State="$tmp/state" -o Dir::State::status=/dev/null -o Dir::Cache="$tmp/cache"
        -o APT::Architecture=arm64 -o APT::Architectures=arm64 -o Acquire::Languages=none
        -o Acquire::Retries=1 -o Acquire::http::Timeout=30 -o APT::Sandbox::User="$(id -un)")
    say "downloading the Raspberry Pi firmware and DTBs from Debian $SUITE ($URI) into $CACHE"
    apt-get "${apt[@]}" --error-on=any update >&2 || { say "cannot reach $URI (no network?)"; return 1; }
    local kpkg
    kpkg=$(apt-cache "${apt[@]}" depends linux-image-arm64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
    [ -n "$kpkg" ] || { say "no linux-image-*-arm64 behind linux-image-arm64 in $SUITE"; return 1; }
    (cd "$tmp/debs" && apt-get "${apt[@]}" --print-uris download raspi-firmware "$kpkg" > ../uris &&
        apt-get "${apt[@]}" download raspi-firmware "$kpkg" >&2) || { say "apt-get download failed"; return 1; }
    local fwdeb kdeb
    fwdeb=$(echo "$tmp"/debs/raspi-firmware_*.deb) kdeb=$(echo "$tmp"/debs/"$kpkg"_*.deb)
    # Only the Pi 3 and Pi 4 B DTBs out of the kernel package's 350 MB.
    { dpkg-deb -x "$fwdeb" "$tmp/x" &&
        (cd "$tmp/x/usr/lib/raspi-firmware" && cp "${FIRMWARE[@]}" "$tmp/boot/") &&
        dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$tmp/x" --wildcards \
            './usr/lib/linux-image-*/broadcom/bcm2837-rpi-3-b*.dtb' './usr/lib/linux-image-*/broadcom/bcm2711-rpi-4-b.dtb' &&
        cp "$tmp"/x/usr/lib/linux-image-*/broadcom/*.dtb "$tmp/boot/"; } || { say "unpacking the packages failed"; return 1; }
    local s f
    for s in "${DTB_SECTIONS[@]}"; do
        f=${DTB_NAMES[$s]%% *}
        [ -s "$tmp/boot/$f" ] || { say "$kpkg has no broadcom/$f"; return 1; }
    done
    {
        echo "firmware: raspi-firmware $(dpkg-deb -f "$fwdeb" Version) (Debian $SUITE non-free-firmware, usr/lib/raspi-firmware/)"
        echo "dtbs: $kpkg $(dpkg-deb -f "$kdeb" Version) (Debian $SUITE main, usr/lib/linux-image-*/broadcom/)"
        echo "downloaded: $(date -u +%Y-%m-%dT%H:%M:%SZ) with apt-get download from $URI $SUITE${KEYRING:+ (signed by $KEYRING)}:"
        sed 's/^/  /' "$tmp/uris"
    } > "$tmp/boot/source.txt"
    mkdir -p "$CACHE/$SUITE"
    rm -rf "$FW" && mv "$tmp/boot" "$FW" # the .debs (65 MB) go with $tmp
    say "firmware cached in $FW ($(du -sh "$FW" | cut -f1))"
}

# Writes IMAGE: the partition table, the FAT32 filesystem, the files. With
# FW empty the card gets pikern's files only (used by check when offline).
build_image() {
    local img=$1 kernel=$2 cmdline=$3 stage
    [ -f "$kernel" ] || { say "no kernel image $kernel"; return 1; }
    stage=$(mktemp -d)
    CLEANUP+=("$stage" "$img.tmp")
    local fw=() s
    if [ -n "$FW" ]; then
        fw=("${FIRMWARE[@]}")
        for s in "${DTB_SECTIONS[@]}"; do fw+=("$(dtb_for "$s")"); done
    fi
    write_config > "$stage/config.txt"
    printf '%s\n' "$cmdline" > "$stage/cmdline.txt"
    cp "$kernel" "$stage/kernel8.img"
    write_autorun_example > "$stage/autorun.sh.example"
    if [ -n "${SDCARD_INITRD:-}" ]; then
        [ -f "$SDCARD_INITRD" ] || { say "no initramfs $SDCARD_INITRD"; return 1; }
        cp "$SDCARD_INITRD" "$stage/initramfs.cpio.gz"
    fi
    {
        echo "pikern: $(git describe --always --dirty 2>/dev/null || echo unknown)"
        echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "kernel8.img: $kernel, $(stat -c %s "$kernel") bytes, sha256 $(sha256sum < "$kernel" | cut -d' ' -f1)"
        [ -z "${SDCARD_INITRD:-}" ] || echo "initramfs.cpio.gz: $SDCARD_INITRD, $(stat -c %s "$SDCARD_INITRD") bytes, sha256 $(sha256sum < "$SDCARD_INITRD" | cut -d' ' -f1)"
        if [ -n "${FIRMWARE_DIR:-}" ]; then
            echo "firmware and dtbs: copied from FIRMWARE_DIR=$FIRMWARE_DIR (nothing downloaded):"
            (cd "$FW" && sha256sum "${fw[@]}" | sed 's/^/  /')
        elif [ -n "$FW" ]; then
            cat "$FW/source.txt"
        else
            echo "firmware: none (it could not be downloaded; this card does not boot)"
        fi
    } > "$stage/pikern-versions.txt"

    # -H: hidden sectors = where the partition starts, as a FAT32 boot sector records it.
    rm -f "$img.tmp" && truncate -s "${SIZE_MIB}M" "$img.tmp" &&
        printf 'label: dos\nlabel-id: 0x70696b65\nunit: sectors\n\nstart=%d, type=c, bootable\n' "$START" |
        sfdisk --quiet "$img.tmp" &&
        mformat -i "$img.tmp@@$OFFSET" -F -T $((SIZE_MIB * 2048 - START)) -H "$START" -h 64 -s 32 \
            -v PIKERN-BOOT -N 70696b65 :: &&
        mcopy -i "$img.tmp@@$OFFSET" "$stage"/* "${fw[@]/#/$FW/}" ::/ &&
        mmd -i "$img.tmp@@$OFFSET" ::/bin ::/trace &&
        mv "$img.tmp" "$img" || { say "writing $img failed"; return 1; }
    say "wrote $img ($SIZE_MIB MiB): $(cd "$stage" && echo *) bin/ trace/ ${fw[*]}"
}

# The card's example autorun.sh: what a student's script may look like.
write_autorun_example() {
    cat <<'EOF'
# autorun.sh.example: rename this file to autorun.sh and pikern's /etc/rc
# runs it with /bin/sh after the seed's demo (whose trace is then already
# in trace/) and before the interactive shell. It is read from the card, so
# edit it on a PC. /boot is this partition; /boot/bin is in PATH, so
# programs copied to bin/ run by name. What it writes to /boot is on the
# card once `sync` has run (or the shell exits and init powers off).
echo "autorun: hello from the SD card"
ls /boot/bin
# For example, trace your own program and keep the trace on the card:
#   echo 1 > /sys/kernel/tracing/tracing_on
#   myprog
#   echo 0 > /sys/kernel/tracing/tracing_on
#   cat /sys/kernel/tracing/trace > /boot/trace/myprog.txt
#   sync
EOF
}

# The DTB for a config.txt section: the first of its names that FW has.
dtb_for() {
    local name
    for name in ${DTB_NAMES[$1]}; do
        if [ -z "$FW" ] || [ -f "$FW/$name" ]; then echo "$name"; return 0; fi
    done
    say "no ${DTB_NAMES[$1]// / or } in $FW"
    return 1
}

# config.txt, each setting with the reason for it.
write_config() {
    cat <<'EOF'
# pikern on a Raspberry Pi 3 or 4 (written by tools/sdcard.sh)
[all]
# Start the cores in AArch64 state: pikern is a 64-bit kernel.
arm_64bit=1
# The image to load; one kernel8.img serves the Pi 3 and the Pi 4.
kernel=kernel8.img
# Load it at 0x80000 where it is linked to run; newer firmware would
# otherwise put a 64-bit kernel at 0x200000.
kernel_address=0x80000
# Let the firmware set up the serial console on GPIO 14/15 (header pins 8/10).
enable_uart=1
# PL011 clock of 48 MHz. pikern asks the firmware for the clock and computes
# its divisors (here IBRD 26, FBRD 3 for 115200 baud) either way.
init_uart_clock=48000000
# Route the PL011 (ALT0) to GPIO 14/15, no pulls: by default it drives
# Bluetooth, and Debian's firmware has no disable-bt overlay. pikern and its
# chainloader also do this themselves; this makes the firmware's own early
# messages appear there too.
gpio=14,15=a0,pn
EOF
    if [ -n "${SDCARD_INITRD:-}" ]; then
        cat <<'EOF'
# The root filesystem, loaded right after the kernel; the firmware puts its
# place in the DTB (/chosen linux,initrd-start/end) and pikern lays its
# files over the built-in ones.
initramfs initramfs.cpio.gz followkernel
EOF
    fi
    local s
    for s in "${DTB_SECTIONS[@]}"; do
        echo "[$s]"
        case $s in
            pi3) echo "# Pi 3 B: the firmware would look for bcm2710-rpi-3-b.dtb; name the one on this card." ;;
            pi3+) echo "# Pi 3 B+ and 3 A+ (they match [pi3] too; this later section wins)." ;;
            pi4) echo "# Pi 4 B; a Pi 400 or CM4 gets the same DTB and pikern treats it as a Pi 4 B." ;;
        esac
        echo "device_tree=$(dtb_for "$s")"
    done
    echo "[all]"
}

# `check`: build, read back, report.
N=0 PASSED=0 FAILED=0 SKIPPED=0
ok() { N=$((N + 1)) PASSED=$((PASSED + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)) FAILED=$((FAILED + 1)); echo "not ok $N - $1${2:+ # $2}"; }
skip() { N=$((N + 1)) SKIPPED=$((SKIPPED + 1)); echo "ok $N - $1 # SKIP $2"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

mtype_() { mtype -i "$IMG@@$OFFSET" "::/$1"; }

has_files() {
    local listing f missing=()
    listing=$(mdir -b -i "$IMG@@$OFFSET" ::/ | sed 's|^::/||; s|/$||' | tr 'A-Z' 'a-z')
    for f in "$@"; do grep -qxF "$f" <<< "$listing" || missing+=("$f"); done
    [ ${#missing[@]} = 0 ] || { echo "# missing: ${missing[*]}"; return 1; }
}

config_settings() {
    local want s missing=() conf
    conf=$(mtype_ config.txt | tr -d '\r' | grep -v '^#') || return 1
    want=(arm_64bit=1 kernel=kernel8.img kernel_address=0x80000 enable_uart=1 init_uart_clock=48000000)
    for s in "${want[@]}"; do grep -qxF "$s" <<< "$conf" || missing+=("$s"); done
    for s in "${DTB_SECTIONS[@]}"; do
        grep -qxF "[$s]" <<< "$conf" || missing+=("[$s]")
    done
    [ "$(grep -c '^device_tree=' <<< "$conf")" = ${#DTB_SECTIONS[@]} ] || missing+=("a device_tree= per section")
    [ "$(grep '^\[' <<< "$conf" | tail -1)" = "[all]" ] || missing+=("[all] last")
    [ ${#missing[@]} = 0 ] || { echo "# config.txt lacks: ${missing[*]}"; return 1; }
}

cmdline_equal() {
    local got
    got=$(mtype_ cmdline.txt)
    [ "$got" = "$CMDLINE" ] || { echo "# cmdline.txt is '$got', expected '$CMDLINE'"; return 1; }
}

dtbs_valid() {
    local d bad=() names
    names=$(mtype_ config.txt | tr -d '\r' | sed -n 's/^device_tree=//p')
    for d in $names; do
        mcopy -n -i "$IMG@@$OFFSET" "::/$d" "$TMP/$d" 2>/dev/null &&
            [ "$(head -c4 "$TMP/$d" | od -An -tx1 | tr -d ' \n')" = d00dfeed ] || bad+=("$d")
    done
    [ ${#bad[@]} = 0 ] || { echo "# missing or not a DTB (magic d00dfeed): ${bad[*]}"; return 1; }
}

power_of_two() {
    local size
    size=$(stat -c %s "$IMG")
    [ $((size & (size - 1))) = 0 ] || { echo "# $IMG is $size bytes"; return 1; }
}

kernel_identical() {
    mcopy -n -i "$IMG@@$OFFSET" ::/kernel8.img "$TMP/kernel8.img" && cmp -s "$TMP/kernel8.img" "$KERNEL"
}

initrd_identical() {
    mcopy -n -i "$IMG@@$OFFSET" ::/initramfs.cpio.gz "$TMP/initramfs.cpio.gz" && cmp -s "$TMP/initramfs.cpio.gz" "$SDCARD_INITRD" &&
        mtype_ config.txt | tr -d '\r' | grep -qx 'initramfs initramfs.cpio.gz followkernel'
}

# Reads IMG back. NO_FW: empty when the card must hold firmware, else the
# reason it has none (those checks are then skipped).
verify_image() {
    local table
    table=$(sfdisk -d "$IMG" 2>/dev/null)
    check "MBR (dos) partition table" grep -qx 'label: dos' <<< "$table"
    check "one partition, type 0x0c (FAT32 LBA), at sector $START" \
        test "$(grep -c 'start=' <<< "$table")" = 1 -a -n "$(grep -E "start= *$START, .*type=c\b" <<< "$table")"
    check "the partition holds a FAT32 filesystem" \
        grep -qF 'disk type="FAT32   "' <(minfo -i "$IMG@@$OFFSET" :: 2>/dev/null)
    check "pikern's files: config.txt cmdline.txt kernel8.img pikern-versions.txt autorun.sh.example bin/ trace/" \
        has_files config.txt cmdline.txt kernel8.img pikern-versions.txt autorun.sh.example bin trace
    check "the image is a power of two in size (QEMU's SD card needs it)" power_of_two
    if [ -z "$NO_FW" ]; then
        check "firmware: ${FIRMWARE[*]}" has_files "${FIRMWARE[@]}"
    else
        skip "firmware: ${FIRMWARE[*]}" "$NO_FW"
    fi
    check "config.txt has the required settings and a DTB per board" config_settings
    check "cmdline.txt is '$CMDLINE'" cmdline_equal
    check "kernel8.img on the card is $KERNEL byte for byte" kernel_identical
    if [ -n "${SDCARD_INITRD:-}" ]; then
        check "initramfs.cpio.gz on the card is $SDCARD_INITRD byte for byte, named in config.txt" initrd_identical
    fi
    if [ -z "$NO_FW" ]; then
        check "the DTBs config.txt names are on the card and valid (magic d00dfeed)" dtbs_valid
    else
        skip "the DTBs config.txt names are valid" "$NO_FW"
    fi
}

# check (build, then verify) or verify (an existing image, firmware required).
run_check() {
    local mode=$1 results=$5
    IMG=$2 KERNEL=$3 CMDLINE=$4 NO_FW=""
    mkdir -p "$(dirname "$results")"
    need_tools
    TMP=$(mktemp -d)
    CLEANUP+=("$TMP")
    if [ "$mode" = check ]; then
        local found=1
        find_firmware 2> "$TMP/fetch.log" || found=0
        cat "$TMP/fetch.log" >&2
        if [ $found = 0 ]; then
            FW="" NO_FW="no firmware: $(tail -1 "$TMP/fetch.log" | sed 's/^sdcard: //')"
            # Firmware the user pointed at must be there; only a failed download is skipped.
            [ -z "${FIRMWARE_DIR:-}" ] || { not_ok "firmware from FIRMWARE_DIR" "$NO_FW"; NO_FW="see above"; }
        fi
        rm -f "$IMG"
        if build_image "$IMG" "$KERNEL" "$CMDLINE" 2> "$TMP/build.log"; then
            ok "the image builds${NO_FW:+ (without firmware)}"
        else
            cat "$TMP/build.log" >&2
            not_ok "the image builds" "$(tail -1 "$TMP/build.log")"
        fi
    fi
    if [ -f "$IMG" ]; then
        verify_image
    else
        not_ok "$IMG exists"
    fi
    printf 'passed %d\nfailed %d\nskipped %d\n' "$PASSED" "$FAILED" "$SKIPPED" > "$results"
    echo "# sdcard: $PASSED passed, $FAILED failed, $SKIPPED skipped ($IMG)"
    [ "$FAILED" = 0 ]
}

case "${1:-}" in
    build)
        [ $# = 4 ] || die "usage: $0 build IMAGE KERNEL CMDLINE"
        need_tools
        find_firmware || die "no firmware${FIRMWARE_DIR:+ in FIRMWARE_DIR=$FIRMWARE_DIR}; check the network, or give FIRMWARE_DIR=/path (e.g. Raspberry Pi OS's boot partition)"
        build_image "$2" "$3" "$4" || exit 1
        say "to write it: sudo dd if=$2 of=/dev/sdX bs=4M conv=fsync status=progress (see docs/hardware.md)"
        ;;
    build-qemu)
        [ $# = 4 ] || die "usage: $0 build-qemu IMAGE KERNEL CMDLINE"
        need_tools
        # SDCARD_FIRMWARE=0 (tools/sdboot-test.sh): none, and no download tried.
        if [ "${SDCARD_FIRMWARE:-1}" = 0 ]; then
            FW=""
        else
            find_firmware || { FW=""; say "no firmware: the card works in QEMU but does not boot a board (make sdcard)"; }
        fi
        build_image "$2" "$3" "$4" || exit 1
        ;;
    check | verify)
        [ $# = 5 ] || die "usage: $0 $1 IMAGE KERNEL CMDLINE RESULTS"
        run_check "$@"
        ;;
    *) die "usage: $0 build|build-qemu IMAGE KERNEL CMDLINE | check|verify IMAGE KERNEL CMDLINE RESULTS" ;;
esac
