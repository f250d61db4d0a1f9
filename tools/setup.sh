#!/usr/bin/env bash
# Installs what pikern needs on a Debian/Ubuntu machine: QEMU with raspi3b and
# raspi4b (>= 9.0; on bookworm from bookworm-backports), the aarch64 cross
# compiler for the C test programs, sfdisk and mtools for `make sdcard`,
# trace-cmd and KernelShark (with Xvfb and ImageMagick, to test them), and
# the Rust targets/components pinned in rust-toolchain.toml. Says what it does; without root it prints the commands.
set -euo pipefail

QUIET=0
[ "${1:-}" = "--quiet" ] && QUIET=1
say() { printf 'setup: %s\n' "$*"; }
note() { [ $QUIET = 1 ] || say "$@"; }

need_root_cmds=()
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo"
    else
        SUDO="NOROOT"
    fi
fi

run_root() {
    if [ "$SUDO" = "NOROOT" ]; then
        need_root_cmds+=("sudo $*")
    else
        say "running: $*"
        $SUDO "$@"
    fi
}

qemu_ok() {
    command -v qemu-system-aarch64 >/dev/null 2>&1 &&
        qemu-system-aarch64 -M help 2>/dev/null | grep -q '^raspi4b'
}

codename() {
    . /etc/os-release 2>/dev/null || true
    echo "${VERSION_CODENAME:-}"
}

# Adds bookworm-backports, reusing the URI and keyring of the existing Debian
# source so apt does not see two entries with different Signed-By values.
add_backports() {
    local uri="http://deb.debian.org/debian" key=""
    local src
    for src in /etc/apt/sources.list.d/*.sources; do
        [ -f "$src" ] || continue
        if grep -q 'Suites:.*bookworm' "$src" && grep -q 'URIs:.*debian$\|URIs:.*debian/*$' "$src"; then
            uri=$(awk '/^URIs:/{print $2; exit}' "$src")
            key=$(awk '/^Signed-By:/{print $2; exit}' "$src")
            break
        fi
    done
    if grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        return 0
    fi
    local body="Types: deb\nURIs: ${uri}\nSuites: bookworm-backports\nComponents: main\n"
    [ -n "$key" ] && body="${body}Signed-By: ${key}\n"
    if [ "$SUDO" = "NOROOT" ]; then
        need_root_cmds+=("printf '${body}' | sudo tee /etc/apt/sources.list.d/backports.sources")
    else
        say "adding bookworm-backports ($uri) for QEMU >= 9"
        printf "$body" | $SUDO tee /etc/apt/sources.list.d/pikern-backports.sources >/dev/null
    fi
}

apt_updated=0
apt_install() {
    if [ "$SUDO" != "NOROOT" ] && [ $apt_updated = 0 ]; then
        run_root apt-get update -qq
        apt_updated=1
    fi
    run_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

if ! command -v apt-get >/dev/null 2>&1; then
    qemu_ok || { say "no apt-get: install QEMU >= 9.0 (qemu-system-aarch64 with raspi4b) yourself"; exit 1; }
else
    if qemu_ok; then
        note "QEMU: $(qemu-system-aarch64 --version | head -1) (has raspi4b)"
    else
        if [ "$(codename)" = "bookworm" ]; then
            add_backports
            apt_install -t bookworm-backports qemu-system-arm
        else
            apt_install qemu-system-arm
        fi
    fi
    if ! command -v qemu-aarch64 >/dev/null 2>&1; then
        say "installing QEMU user-mode (runs the user programs under Linux's ABI on the host)"
        if [ "$(codename)" = "bookworm" ]; then
            apt_install -t bookworm-backports qemu-user
        else
            apt_install qemu-user
        fi
    fi
    if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
        say "installing the aarch64 cross compiler (C test programs, glibc static)"
        apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    fi
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v sfdisk >/dev/null 2>&1 || ! command -v mformat >/dev/null 2>&1; then
        say "installing sfdisk and mtools (make sdcard writes the SD-card image without root)"
        apt_install fdisk mtools
    fi
    if ! command -v zstd >/dev/null 2>&1 || ! command -v xz >/dev/null 2>&1 \
        || ! command -v lz4 >/dev/null 2>&1 || ! command -v ld.lld >/dev/null 2>&1; then
        say "installing zstd, xz, lz4 and lld (compressed initramfs images and stock ELF layouts for the tests)"
        apt_install zstd xz-utils lz4 lld
    fi
    if ! command -v dpkg-source >/dev/null 2>&1; then
        say "installing dpkg-dev (apt-get source unpacks busybox's source, whose testsuite make test runs)"
        apt_install dpkg-dev
    fi
    if ! command -v trace-cmd >/dev/null 2>&1 || ! command -v kernelshark >/dev/null 2>&1 \
        || ! command -v xvfb-run >/dev/null 2>&1 || ! command -v import >/dev/null 2>&1; then
        say "installing trace-cmd, KernelShark, Xvfb and ImageMagick (make test opens build/trace.dat with them)"
        apt_install trace-cmd kernelshark xvfb xauth imagemagick
    fi
    if [ ! -f /usr/share/keyrings/debian-archive-keyring.gpg ]; then
        say "installing Debian's archive keyring (make sdcard verifies the firmware it downloads)"
        apt_install debian-archive-keyring
    fi
fi

if [ ${#need_root_cmds[@]} -gt 0 ]; then
    say "not root and no sudo: run these, then try again:"
    for c in "${need_root_cmds[@]}"; do echo "    $c"; done
    exit 1
fi

if ! qemu_ok; then
    say "QEMU with raspi4b is still missing (need >= 9.0)"; exit 1
fi

# rustup reads rust-toolchain.toml in the repository and installs the pinned
# targets and components on first use; ask for it explicitly so it shows here.
if command -v rustup >/dev/null 2>&1; then
    cd "$(dirname "$0")/.."
    if ! rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-none-softfloat$' ||
        ! rustup component list --installed 2>/dev/null | grep -q '^llvm-tools'; then
        say "installing the pinned Rust toolchain, targets and components (rust-toolchain.toml)"
        rustup toolchain install
        rustup target add aarch64-unknown-none-softfloat
        rustup component add llvm-tools clippy rustfmt
    fi
else
    say "rustup is missing: install it from https://rustup.rs"; exit 1
fi
note "ready"
