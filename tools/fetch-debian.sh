#!/usr/bin/env bash
# Fetches Debian arm64 packages with the ordinary apt tools into
# build/debian/, without touching the host's apt state: a private state and
# cache directory, the host's own sources (no hard-coded mirror), and
# APT::Architecture=arm64. Each package is unpacked into
# build/debian/<package>/ (dpkg-deb -x); the .deb stays in
# build/debian/debs/. Nothing fetched is committed.
#
# usage: tools/fetch-debian.sh [--only GLOB]... PACKAGE...
#        tools/fetch-debian.sh --resolve PACKAGE
#
#   --only GLOB   unpack only the paths matching GLOB (tar --wildcards,
#                 e.g. './boot/vmlinuz-*'); for a kernel package, whose
#                 modules alone are 300 MB
#   --resolve     print the package PACKAGE (a metapackage such as
#                 linux-image-arm64) depends on, as apt would install it
#
# DEBIAN_SUITE=bookworm (say) fetches from that suite when the host runs
# another release: a sources list of its own, in a state of its own
# (build/debian/apt-SUITE), naming the host's Debian mirror and SUITE.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: tools/fetch-debian.sh [--only GLOB]... PACKAGE... | --resolve PACKAGE" >&2; exit 2; }
only=() resolve=
while [ $# -gt 0 ]; do
    case $1 in
        --only) [ $# -ge 2 ] || usage; only+=("$2"); shift 2 ;;
        --resolve) [ $# -eq 2 ] || usage; resolve=$2; shift 2 ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || [ -n "$resolve" ] || usage
for tool in apt-get apt-cache dpkg-deb; do
    command -v $tool >/dev/null || { echo "fetch-debian: $tool missing (a Debian or Ubuntu host is needed)" >&2; exit 1; }
done
top=$PWD/build/debian
state=$top/apt
host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
suite_opts=()
if [ -n "${DEBIAN_SUITE:-}" ] && [ "$DEBIAN_SUITE" != "$host_suite" ]; then
    # The host's Debian mirror: the first archive apt knows with a `main`
    # component of a release (not -security, -updates or -backports).
    mirror=$(apt-cache policy | awk '$2 ~ /^https?:/ && $3 ~ /^[a-z]+\/main$/ { print $2; exit }')
    [ -n "$mirror" ] || { echo "fetch-debian: no Debian mirror in the host's apt sources" >&2; exit 1; }
    state=$top/apt-$DEBIAN_SUITE
    mkdir -p "$state"
    echo "deb [arch=arm64] $mirror $DEBIAN_SUITE main" > "$state/sources.list"
    suite_opts=(-o Dir::Etc::SourceList="$state/sources.list" -o Dir::Etc::SourceParts=/nonexistent)
fi
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$top/debs"
touch "$state/status"
apt_opts=(
    -o APT::Architecture=arm64 -o APT::Architectures::=arm64
    -o Dir::State="$state" -o Dir::State::Lists="$state/lists"
    -o Dir::State::status="$state/status" -o Dir::Cache="$state/cache"
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
    "${suite_opts[@]}"
)
# The lists are refreshed once a day at most.
if [ -z "$(find "$state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
    apt-get "${apt_opts[@]}" -qq update
fi
if [ -n "$resolve" ]; then
    # The candidate version's Depends, first alternative of the first one.
    apt-cache "${apt_opts[@]}" depends "$resolve" | awk '$1 == "Depends:" { print $2; exit }'
    exit
fi
for pkg in "$@"; do
    if [ -d "$top/$pkg" ]; then
        continue
    fi
    (cd "$top/debs" && apt-get "${apt_opts[@]}" -qq download "$pkg")
    deb=$(ls -t "$top/debs/${pkg}"_*_arm64.deb | head -1)
    rm -rf "$top/$pkg.tmp"
    if [ ${#only[@]} -gt 0 ]; then
        mkdir -p "$top/$pkg.tmp"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$top/$pkg.tmp" --wildcards "${only[@]}"
    else
        dpkg-deb -x "$deb" "$top/$pkg.tmp"
    fi
    mv "$top/$pkg.tmp" "$top/$pkg"
    echo "fetch-debian: $pkg: $(basename "$deb")"
done
