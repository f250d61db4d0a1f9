#!/usr/bin/env bash
# Fetches Debian arm64 packages with the ordinary apt tools into
# build/debian/, without touching the host's apt state: a private state and
# cache directory, the host's own sources (no hard-coded mirror), and
# APT::Architecture=arm64. Each package is unpacked into
# build/debian/<package>/ (dpkg-deb -x); the .deb stays in
# build/debian/debs/. Nothing fetched is committed.
#
# With --source, the source package each binary package was built from, at
# exactly the version fetched (dpkg-deb's Source: field), is fetched too
# (apt-get source, which checks it against the signed Sources index and
# unpacks it with dpkg-source) into build/debian/src/<source>/. For that the
# private state reads the host's sources with deb-src added beside each deb.
#
# usage: tools/fetch-debian.sh [--source] [--only GLOB]... PACKAGE...
#        tools/fetch-debian.sh --resolve PACKAGE
#        tools/fetch-debian.sh --closure PACKAGE...
#
#   --only GLOB   unpack only the paths matching GLOB (tar --wildcards,
#                 e.g. './boot/vmlinuz-*'); for a kernel package, whose
#                 modules alone are 300 MB
#   --resolve     print the package PACKAGE (a metapackage such as
#                 linux-image-arm64) depends on, as apt would install it
#   --closure     print, one a line, the packages apt would install on an
#                 empty system to have PACKAGE... (their Depends and
#                 Pre-Depends, no Recommends): `apt-get install --simulate`
#                 against the private state's empty dpkg status
#
# DEBIAN_SUITE=bookworm (say) fetches from that suite when the host runs
# another release: a sources list of its own, in a state of its own
# (build/debian/apt-SUITE), naming the host's Debian mirror and SUITE.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: tools/fetch-debian.sh [--source] [--only GLOB]... PACKAGE... | --resolve PACKAGE | --closure PACKAGE..." >&2; exit 2; }
only=() resolve= closure=0 source_too=0
while [ $# -gt 0 ]; do
    case $1 in
        --only) [ $# -ge 2 ] || usage; only+=("$2"); shift 2 ;;
        --resolve) [ $# -eq 2 ] || usage; resolve=$2; shift 2 ;;
        --source) source_too=1; shift ;;
        --closure) closure=1; shift ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || [ -n "$resolve" ] || usage
for tool in apt-get apt-cache apt-config dpkg-deb; do
    command -v $tool >/dev/null || { echo "fetch-debian: $tool missing (a Debian or Ubuntu host is needed)" >&2; exit 1; }
done
[ $source_too = 0 ] || command -v dpkg-source >/dev/null \
    || { echo "fetch-debian: dpkg-source missing (apt-get install dpkg-dev)" >&2; exit 1; }
top=$PWD/build/debian
state=$top/apt
mkdir -p "$state/sources.list.d"

# The host's sources (wherever its apt reads them), each with a deb-src
# twin: one-line .list entries get a deb-src line, deb822 .sources stanzas
# get deb-src in their Types.
host_sources() {
    local SL SP f
    eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
    rm -f "$state/sources.list.d/"*
    : > "$state/sources.list"
    if [ -f "$SL" ]; then
        sed -n 's/^[[:space:]]*deb[[:space:]]\(.*\)/deb \1\ndeb-src \1/p' "$SL" > "$state/sources.list"
    fi
    for f in "$SP"/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^[[:space:]]*deb[[:space:]]\(.*\)/deb \1\ndeb-src \1/p' "$f" > "$state/sources.list.d/$(basename "$f")"
    done
    for f in "$SP"/*.sources; do
        [ -f "$f" ] || continue
        sed '/^Types:/{/deb-src/!s/\<deb\>/deb deb-src/}' "$f" > "$state/sources.list.d/$(basename "$f")"
    done
}

host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ -n "${DEBIAN_SUITE:-}" ] && [ "$DEBIAN_SUITE" != "$host_suite" ]; then
    # The host's Debian mirror: the first archive apt knows with a `main`
    # component of a release (not -security, -updates or -backports).
    mirror=$(apt-cache policy | awk '$2 ~ /^https?:/ && $3 ~ /^[a-z]+\/main$/ { print $2; exit }')
    [ -n "$mirror" ] || { echo "fetch-debian: no Debian mirror in the host's apt sources" >&2; exit 1; }
    state=$top/apt-$DEBIAN_SUITE
    mkdir -p "$state/sources.list.d"
    printf 'deb [arch=arm64] %s %s main\ndeb-src %s %s main\n' \
        "$mirror" "$DEBIAN_SUITE" "$mirror" "$DEBIAN_SUITE" > "$state/sources.list"
else
    host_sources
fi
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$top/debs"
touch "$state/status"
apt_opts=(
    -o APT::Architecture=arm64 -o APT::Architectures::=arm64
    -o Dir::State="$state" -o Dir::State::Lists="$state/lists"
    -o Dir::State::status="$state/status" -o Dir::Cache="$state/cache"
    -o Dir::Etc::sourcelist="$state/sources.list"
    -o Dir::Etc::sourceparts="$state/sources.list.d"
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
)
# The lists are refreshed once a day at most (and when the Sources indexes
# that --source needs are not there yet).
fresh() { [ -n "$(find "$state/lists" -maxdepth 1 -name "*_$1*" -mtime -1 2>/dev/null | head -1)" ]; }
if ! fresh Packages || { [ $source_too = 1 ] && ! fresh Sources; }; then
    apt-get "${apt_opts[@]}" -qq update
fi
if [ -n "$resolve" ]; then
    # The candidate version's Depends, first alternative of the first one.
    apt-cache "${apt_opts[@]}" depends "$resolve" | awk '$1 == "Depends:" { print $2; exit }'
    exit
fi
if [ $closure = 1 ]; then
    # The status file is empty, so every package the answer needs is one
    # apt says it would install ("Inst NAME (VERSION ...)").
    apt-get "${apt_opts[@]}" --simulate --no-install-recommends install "$@" | awk '$1 == "Inst" { print $2 }'
    exit "${PIPESTATUS[0]}"
fi
newest_deb() { # PACKAGE: the latest .deb of it fetched (arm64, or all for data)
    find "$top/debs" -maxdepth 1 \( -name "$1_*_arm64.deb" -o -name "$1_*_all.deb" \) \
        -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2-
}
for pkg in "$@"; do
    if [ ! -d "$top/$pkg" ]; then
        (cd "$top/debs" && apt-get "${apt_opts[@]}" -qq download "$pkg")
        deb=$(newest_deb "$pkg")
        rm -rf "$top/$pkg.tmp"
        if [ ${#only[@]} -gt 0 ]; then
            mkdir -p "$top/$pkg.tmp"
            dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$top/$pkg.tmp" --wildcards "${only[@]}"
        else
            dpkg-deb -x "$deb" "$top/$pkg.tmp"
        fi
        mv "$top/$pkg.tmp" "$top/$pkg"
        echo "fetch-debian: $pkg: $(basename "$deb")"
    fi
    [ $source_too = 1 ] || continue
    deb=$(newest_deb "$pkg")
    # Source: is "name (version)" for a binNMU or a renamed binary,
    # "name" when they match the binary's, and absent when both do.
    src=$(dpkg-deb -f "$deb" Source)
    ver=$(dpkg-deb -f "$deb" Version)
    case $src in
    *'('*) ver=${src#*(}; ver=${ver%)}; src=${src%% *} ;;
    '') src=$pkg ;;
    esac
    [ ! -f "$top/src/$src/.version" ] || [ "$(cat "$top/src/$src/.version")" != "$ver" ] || continue
    rm -rf "$top/src/$src.tmp" && mkdir -p "$top/src/$src.tmp"
    (cd "$top/src/$src.tmp" && apt-get "${apt_opts[@]}" -qq source "$src=$ver" > unpack.log)
    dir=$(find "$top/src/$src.tmp" -mindepth 1 -maxdepth 1 -type d | head -1)
    [ -n "$dir" ] || { echo "fetch-debian: $src=$ver: apt-get source unpacked nothing" >&2; exit 1; }
    echo "$ver" > "$dir/.version"
    rm -rf "$top/src/$src" && mv "$dir" "$top/src/$src" && rm -rf "$top/src/$src.tmp"
    echo "fetch-debian: source $src=$ver in build/debian/src/$src"
done
