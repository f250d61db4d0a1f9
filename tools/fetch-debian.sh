#!/usr/bin/env bash
# Fetches Debian arm64 packages with the ordinary apt tools into
# build/debian/, without touching the host's apt state: a private state and
# cache directory, the host's own sources (no hard-coded mirror), and
# APT::Architecture=arm64. Each package is unpacked into
# build/debian/<package>/ (dpkg-deb -x); the .deb stays in
# build/debian/debs/. Nothing fetched is committed.
#
# usage: tools/fetch-debian.sh PACKAGE...
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: tools/fetch-debian.sh PACKAGE..." >&2; exit 2; }
for tool in apt-get dpkg-deb; do
    command -v $tool >/dev/null || { echo "fetch-debian: $tool missing (a Debian or Ubuntu host is needed)" >&2; exit 1; }
done
top=$PWD/build/debian
state=$top/apt
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$top/debs"
touch "$state/status"
apt_opts=(
    -o APT::Architecture=arm64 -o APT::Architectures::=arm64
    -o Dir::State="$state" -o Dir::State::Lists="$state/lists"
    -o Dir::State::status="$state/status" -o Dir::Cache="$state/cache"
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
)
# The lists are refreshed once a day at most.
if [ -z "$(find "$state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
    apt-get "${apt_opts[@]}" -qq update
fi
for pkg in "$@"; do
    if [ -d "$top/$pkg" ]; then
        continue
    fi
    (cd "$top/debs" && apt-get "${apt_opts[@]}" -qq download "$pkg")
    deb=$(ls -t "$top/debs/${pkg}"_*_arm64.deb | head -1)
    rm -rf "$top/$pkg.tmp" && dpkg-deb -x "$deb" "$top/$pkg.tmp" && mv "$top/$pkg.tmp" "$top/$pkg"
    echo "fetch-debian: $pkg: $(basename "$deb")"
done
