#!/usr/bin/env bash
# `make rootfs-debian`: a Debian root filesystem as an initramfs, built from
# Debian's archive with the ordinary apt tools and without root.
#
#   1. apt resolves the packages below and everything they Depend or
#      Pre-Depend on, as it would install them on an empty system
#      (tools/fetch-debian.sh --closure: a private apt state, the host's
#      sources, APT::Architecture=arm64);
#   2. each .deb is fetched and unpacked with dpkg-deb -x
#      (tools/fetch-debian.sh), then laid into one tree,
#      build/rootfs-debian-tree, merged-/usr as Debian bookworm installs
#      it: /bin, /sbin and /lib are symlinks into /usr;
#   3. documentation, manual pages, translations and glibc's iconv modules
#      are dropped (nothing here reads them; the copyright files stay);
#   4. the files in tools/rootfs-debian/ go on top (/etc/passwd, /etc/group,
#      /etc/nsswitch.conf, /etc/inputrc, /etc/rc.debian ...), /etc/profile
#      and root's dotfiles are Debian's (what base-files' postinst
#      installs: profile, dot.bashrc, dot.profile), and /bin/sh is bash;
#   5. pikern's own programs the Debian packages do not have (the seed's
#      raspbian_fork and its C twins, tracedump, usertests, poweroff ...)
#      are copied from the built-in initramfs tree, build/initramfs/bin:
#      the image's /bin symlink replaces the built-in /bin when the kernel
#      lays this image over the built-in one;
#   6. mkcpio packs the tree (owners 0, times 0, sorted: reproducible) and
#      gzip -9 compresses it: build/rootfs-debian.cpio.gz.
#
# pikern's /init (static, in the kernel image's built-in initramfs) stays
# pid 1 and starts what the command line names, e.g.
# `-- /bin/bash /etc/rc.debian`.
#
# usage: tools/rootfs-debian.sh [--extra PACKAGE]...
#   --extra PACKAGE   add PACKAGE (and its closure) to the tree, e.g.
#                     bash-static for the test harness
set -euo pipefail
cd "$(dirname "$0")/.."

# What the issue asks for: bash, coreutils, procps, psmisc, strace, grep,
# sed, less and util-linux's basics (util-linux, mount); ncurses-base holds
# the terminfo entries less and top need (Essential, so no package
# Depends on it); usr-is-merged says the tree is merged-/usr, which keeps
# apt from choosing usrmerge (and perl with it) for init-system-helpers.
PACKAGES=(bash coreutils procps psmisc strace grep sed less util-linux mount ncurses-base usr-is-merged)
while [ $# -gt 0 ]; do
    case $1 in
        --extra) PACKAGES+=("$2"); shift 2 ;;
        *) echo "usage: tools/rootfs-debian.sh [--extra PACKAGE]..." >&2; exit 2 ;;
    esac
done

OUT=build/rootfs-debian.cpio.gz
TREE=build/rootfs-debian-tree
MKCPIO=target/debug/mkcpio
BUILTIN=build/initramfs/bin
[ -x "$MKCPIO" ] || { echo "rootfs-debian: $MKCPIO missing (make tools)" >&2; exit 1; }
[ -d "$BUILTIN" ] || { echo "rootfs-debian: $BUILTIN missing (make user)" >&2; exit 1; }

mapfile -t closure < <(bash tools/fetch-debian.sh --closure "${PACKAGES[@]}")
[ ${#closure[@]} -gt 0 ] || { echo "rootfs-debian: apt resolved no packages" >&2; exit 1; }
bash tools/fetch-debian.sh "${closure[@]}"

tmp=$TREE.tmp
rm -rf "$tmp"
mkdir -p "$tmp/usr/bin" "$tmp/usr/sbin" "$tmp/usr/lib"
ln -s usr/bin "$tmp/bin"
ln -s usr/sbin "$tmp/sbin"
ln -s usr/lib "$tmp/lib"
for pkg in "${closure[@]}"; do
    # --keep-directory-symlink: a package's ./bin/ goes through the
    # symlink into usr/bin, as dpkg does on a merged-/usr system.
    tar -C "build/debian/$pkg" -c . | tar -C "$tmp" -x --keep-directory-symlink
done

# Nothing here reads documentation, manual pages or translations; glibc's
# iconv modules serve only conversions between character sets (the C
# locale needs none). The licences stay.
find "$tmp/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
find "$tmp/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$tmp/usr/share/man" "$tmp/usr/share/info" "$tmp/usr/share/locale" \
    "$tmp/usr/share/lintian" "$tmp/usr/share/bug" "$tmp/usr/lib/aarch64-linux-gnu/gconv"

# pikern's programs, where Debian has no program of that name.
added=()
for f in "$BUILTIN"/*; do
    name=$(basename "$f")
    [ "$name" = sh ] && continue
    [ -e "$tmp/usr/bin/$name" ] || [ -e "$tmp/usr/sbin/$name" ] && continue
    cp "$f" "$tmp/usr/bin/$name"
    added+=("$name")
done
# Debian's /bin/sh is dash; bash, in its POSIX mode, does that job here.
ln -sf bash "$tmp/usr/bin/sh"
# The links update-alternatives makes when mawk and less are configured
# (their postinst scripts, which dpkg-deb -x does not run).
ln -sf mawk "$tmp/usr/bin/awk"
ln -sf mawk "$tmp/usr/bin/nawk"
ln -sf less "$tmp/usr/bin/pager"

cp -R tools/rootfs-debian/. "$tmp/"
# What base-files' postinst installs: /etc/profile, root's dotfiles.
cp "$tmp/usr/share/base-files/profile" "$tmp/etc/profile"
cp "$tmp/usr/share/base-files/dot.bashrc" "$tmp/root/.bashrc"
cp "$tmp/usr/share/base-files/dot.profile" "$tmp/root/.profile"
mkdir -p "$tmp/dev" "$tmp/proc" "$tmp/sys" "$tmp/run" "$tmp/tmp" "$tmp/var/tmp" "$tmp/home"
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
chmod 700 "$tmp/root"

rm -rf "$TREE" && mv "$tmp" "$TREE"
$MKCPIO "$TREE" -o "${OUT%.gz}" > /dev/null
gzip -9 -n -f "${OUT%.gz}"
printf '%s\n' "${closure[@]}" > "$TREE.packages"
echo "rootfs-debian: ${#closure[@]} packages (list in $TREE.packages): ${PACKAGES[*]} and their dependencies"
echo "rootfs-debian: pikern's programs added: ${added[*]}"
echo "rootfs-debian: $OUT: $(du -s --apparent-size -B1 "$TREE" | cut -f1) bytes of files, $(stat -c %s "$OUT") bytes compressed"
