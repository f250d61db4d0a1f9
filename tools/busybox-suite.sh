#!/usr/bin/env bash
# Busybox's own testsuite (issue 18), from Debian's busybox source package
# at exactly the version of the busybox-static binary (tools/fetch-debian.sh
# --source), run with that binary and the configuration Debian built it
# with (debian/config/pkg/static as the suite's .config, so `optional`
# features and unbuilt applets are skipped as in Debian's own build):
#
#   - the reference: Linux, through qemu-aarch64 (user mode passes the
#     calls to Linux unchanged), the tree chrooted in a private user, mount
#     and pid namespace whose ids map 1:1 to the host's and whose own
#     binfmt_misc hands aarch64 programs to qemu-aarch64, so that busybox's
#     re-exec of itself and `#!/bin/sh` scripts work as on a Pi;
#   - pikern on each board: the same tree as a gzip -initrd, the suite as
#     init's program, booted by ktest-runner (a hang is reported and QEMU
#     restarted at the next applet: /proc/cmdline's ktest_from=).
#
# tests/busybox/suite.sh drives runtest one applet at a time, with a time
# limit, and prints KTAP. This script compares the results test by test:
# every test that passes on Linux must pass on pikern.
#
# usage: tools/busybox-suite.sh [--list FILE] [--timeout SECS] RESULTS_DIR [host] [rpi3] [rpi4]
#
#   --list FILE     the applets to run, one a line (# comments allowed);
#                   default: every built applet the suite has tests for
#   --timeout SECS  each applet's limit (default 300)
#   --compare-only  run nothing: compare the logs the last runs left in
#                   build/busybox-suite/ again
#
# Writes RESULTS_DIR/bbsuite-{host,rpi3,rpi4}.txt (passed/failed/skipped
# lines for test-summary: on a board, failed counts the tests that pass on
# Linux but not there; a test that fails on Linux too counts as skipped),
# RESULTS_DIR/bbsuite-compare.txt (every test: Linux, then each board) and
# the consoles. Exits 1 if a test that passes on Linux does not pass on a
# board, or if the reference itself could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

# The reference's inside (see reference() below): as root of the new user,
# mount and pid namespace, this namespace's own binfmt_misc sends aarch64
# ELF programs to qemu-aarch64 (F: opened now, so it works in the chroot;
# P: argv[0] kept, as busybox needs), then the suite runs in the chroot
# with a fresh /proc and the host's basic device nodes, under pikern's init.
if [ "${1:-}" = --in-namespace ]; then
    hroot=$2
    # A binfmt_misc of its own needs Linux >= 6.7; before that, a handler
    # the host registered (qemu-user-binfmt, with P) serves as well.
    if mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; then
        printf '%s\n' ":pikern-aarch64:M::"'\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'":"'\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'":$3:PF" \
            > /proc/sys/fs/binfmt_misc/register
    fi
    "$hroot/bin/busybox" true || {
        echo "busybox-suite: this Linux cannot run aarch64 programs through binfmt_misc (needs >= 6.7 for a namespace's own, or a host handler)" >&2
        exit 1
    }
    mount -t proc proc "$hroot/proc"
    for d in null zero full random urandom tty; do
        : > "$hroot/dev/$d" && mount --bind "/dev/$d" "$hroot/dev/$d"
    done
    # pikern's own init as pid 1, as on the boards (pidof's tests look
    # for a pid 1 called init).
    exec chroot "$hroot" /init /bin/sh /bb/suite.sh /bb/list "$4" < /dev/null
fi

usage="usage: tools/busybox-suite.sh [--list FILE] [--timeout SECS] [--compare-only] RESULTS_DIR [host] [rpi3] [rpi4]"
LIST=
LIMIT=300
COMPARE_ONLY=0
while [ $# -gt 0 ]; do
    case $1 in
    --list) LIST=${2:?$usage}; shift 2 ;;
    --timeout) LIMIT=${2:?$usage}; shift 2 ;;
    --compare-only) COMPARE_ONLY=1; shift ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *) break ;;
    esac
done
RESULTS=${1:?$usage}
shift
RUNS=("${@:-host}")
for r in "${RUNS[@]}"; do
    case $r in host | rpi3 | rpi4) ;; *) echo "$usage" >&2; exit 2 ;; esac
done
case $LIMIT in '' | *[!0-9]*) echo "busybox-suite: --timeout takes whole seconds" >&2; exit 2 ;; esac
[ -z "$LIST" ] || [ -r "$LIST" ] || { echo "busybox-suite: cannot read $LIST" >&2; exit 2; }

OUT=$PWD/build/busybox-suite
RUNNER=target/debug/ktest-runner
MKCPIO=target/debug/mkcpio
QEMU_USER=$(command -v qemu-aarch64 || true)
mkdir -p "$OUT" "$RESULTS"

fail_all() { # REASON: every run failed, nothing to compare
    echo "not ok - busybox-suite: $1"
    for r in "${RUNS[@]}"; do printf 'passed 0\nfailed 1\nskipped 0\n' > "$RESULTS/bbsuite-$r.txt"; done
    exit 1
}

# --- the tree: busybox, its links, the suite, its .config -----------------
root=$OUT/root
stage_tree() {
    if ! bash tools/fetch-debian.sh --source busybox-static > "$OUT/fetch.log" 2>&1; then
        cat "$OUT/fetch.log"
        fail_all "busybox-static or its source could not be fetched from Debian's archive"
    fi
    [ -n "$QEMU_USER" ] || fail_all "qemu-aarch64 (QEMU user mode) missing: run tools/setup.sh"
    BB=build/debian/busybox-static/bin/busybox
    SRC=build/debian/src/busybox
    rm -rf "$root" && mkdir -p "$root"/{bin,bb,tmp,proc,dev,sys,etc,root}
    chmod 1777 "$root/tmp"
    cp "$BB" "$root/bin/busybox"
    mapfile -t applets < <("$QEMU_USER" "$BB" --list)
    [ ${#applets[@]} -gt 100 ] || fail_all "busybox --list under qemu-aarch64 gave ${#applets[@]} applets"
    for a in "${applets[@]}"; do
        [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
    printf 'root:x:0:\n' > "$root/etc/group"
    # bindir for runtest: the binary, the .config Debian's rules make for the
    # static flavour (os/linux, then pkg/static), the suite.
    ln -s ../bin/busybox "$root/bb/busybox"
    cat "$SRC/debian/config/os/linux" "$SRC/debian/config/pkg/static" > "$root/bb/.config"
    cp -a "$SRC/testsuite" "$root/bb/testsuite"
    # As debian/rules does: mdev's tests need a real /dev and /sys to change.
    rm -f "$root/bb/testsuite/mdev.tests"
    # runtest relinks every applet (400 processes) each time it starts; it
    # starts once per applet here, so the links are made once, below, and
    # RUNTEST_KEEP_LINKS skips that step. Nothing else changes.
    # shellcheck disable=SC2016 # runtest's own $variables
    sed -i -e 's|^rm -rf "\$LINKSDIR" 2>/dev/null$|[ -n "$RUNTEST_KEEP_LINKS" ] \|\| &|' \
        -e 's|^for i in \$implemented; do$|[ -n "$RUNTEST_KEEP_LINKS" ] \|\| &|' "$root/bb/testsuite/runtest"
    [ "$(grep -c RUNTEST_KEEP_LINKS "$root/bb/testsuite/runtest")" = 2 ] \
        || fail_all "runtest changed upstream: its link step was not found"
    mkdir "$root/bb/runtest-tempdir-links"
    for a in busybox "${applets[@]}"; do
        ln -sf /bb/busybox "$root/bb/runtest-tempdir-links/$a"
    done
    cp tests/busybox/suite.sh "$root/bb/suite.sh"
    # The applets, in runtest's order (busybox, then the built ones), that
    # have tests: a directory of old-style cases or a .tests file.
    for a in busybox "${applets[@]}"; do
        if [ -d "$root/bb/testsuite/$a" ] || [ -f "$root/bb/testsuite/$a.tests" ]; then echo "$a"; fi
    done | awk '!seen[$0]++' > "$OUT/all-applets"
    if [ -n "$LIST" ]; then
        sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$LIST" > "$root/bb/list"
        local unknown
        unknown=$(grep -vxF -f "$OUT/all-applets" "$root/bb/list" | tr '\n' ' ' || true)
        [ -z "$unknown" ] || fail_all "$LIST names applets that are not built or have no tests: $unknown"
        [ -s "$root/bb/list" ] || fail_all "$LIST names no applets"
    else
        cp "$OUT/all-applets" "$root/bb/list"
    fi
    echo "busybox-suite: $(wc -l < "$root/bb/list") applets, ${LIMIT}s each at most; busybox $(dpkg-deb -f build/debian/debs/busybox-static_*_arm64.deb Version), source $(cat "$SRC/.version")"
}

# --- parsing: a console or output log -> "applet<TAB>case<TAB>STATUS<TAB>why"
# A name seen twice in one applet gets " (2)", " (3)"...; the same applet
# printed again (after a restart) overwrites its earlier lines. For a
# failed case, "why" is the first line of its output that names an error
# (an errno's text, "can't"), else the first line of the diff's actual
# output, else the last command an old-style (sh -x -e) case ran, else
# empty: where to start looking.
parse() {
    tr -d '\r' < "$1" | awk '
        function flush() {
            if (open != "") why[open] = (err != "" ? err : plus != "" ? plus : trace)
            open = ""; err = ""; plus = ""; trace = ""
        }
        /^    # Subtest: / { flush(); applet = substr($0, 16); delete seen; next }
        /^    (not )?ok [0-9]+ / && applet != "" {
            flush()
            line = substr($0, 5)
            status = "PASS"
            if (line ~ /^not ok /) { status = "FAIL"; sub(/^not ok [0-9]+ /, "", line) }
            else sub(/^ok [0-9]+ /, "", line)
            if (line ~ / # SKIP( untested)?$/) { status = "SKIP"; sub(/ # SKIP( untested)?$/, "", line) }
            name = line
            if (++seen[line] > 1) name = line " (" seen[line] ")"
            key = applet "\t" name
            result[key] = status
            why[key] = ""
            if (!(key in order)) { order[key] = ++n; keys[n] = key }
            if (status == "FAIL") open = key
            next
        }
        /^(not )?ok [0-9]+ / { flush(); applet = ""; next }
        open != "" && /^    # / {
            text = substr($0, 7)
            gsub(/\t/, " ", text)
            if (err == "" && text !~ /^[+-]/ && text ~ /(not implemented|not permitted|No such|Invalid|[Bb]ad |denied|not supported|Inappropriate|[Cc]an.t |[Ii]llegal|[Tt]imed out|Killed|[Ee]rror)/) err = text
            else if (text ~ /^\+ /) trace = "after: " text
            else if (plus == "" && text ~ /^\+[^+]/) plus = "output: " text
        }
        END {
            flush()
            for (i = 1; i <= n; i++) print keys[i] "\t" result[keys[i]] "\t" why[keys[i]]
        }
    '
}

count() { # PARSED STATUS
    awk -F'\t' -v s="$2" '$3 == s { n++ } END { print n + 0 }' "$1"
}

# --- the reference: Linux, through qemu-aarch64 ------------------------------
# In a new user namespace the host's root maps 1:1 (written from outside:
# no newuidmap needed), so files keep their owners and chown works as root.
reference() {
    local hroot=$OUT/host-root sync=$OUT/userns.sync upid
    rm -rf "$hroot" && cp -a "$root" "$hroot"
    cp build/initramfs/init "$hroot/init"
    rm -f "$sync" && mkfifo -m 666 "$sync"
    # shellcheck disable=SC2016 # the inner shell's $1 and $@
    unshare --user --mount --pid --fork --kill-child \
        sh -c 'read -r _ < "$1" && shift && exec "$@"' sh "$sync" \
        bash tools/busybox-suite.sh --in-namespace "$hroot" "$QEMU_USER" "$LIMIT" \
        > "$OUT/host.log" 2> "$OUT/host.err" &
    upid=$!
    # Map the ids once unshare has made the namespace, then let it go on.
    for _ in $(seq 100); do
        [ "$(readlink /proc/$upid/ns/user 2>/dev/null)" = "$(readlink /proc/self/ns/user)" ] || break
        sleep 0.1
    done
    echo '0 0 4294967295' > "/proc/$upid/uid_map"
    echo '0 0 4294967295' > "/proc/$upid/gid_map"
    echo go > "$sync"
    wait $upid || true
}

# --- the tree as pikern boots it ---------------------------------------------
# The in-guest limit counts busybox timeout's sleep(1)s, which run late on
# a loaded host: ktest-runner's own deadline (no output at all: the kernel
# hung) is twice as long.
kernel_run() { # BOARD
    local b=$1
    $RUNNER --board "$b" --kernel build/kernel8.img --dtb "build/$b.dtb" \
        --initrd "$OUT/suite.img" --timeout $((2 * LIMIT + 60)) \
        --append "lockdep init=/init -- /bin/sh /bb/suite.sh /bb/list $LIMIT" \
        --results "$OUT/$b.runner.txt" --ktap "$OUT/$b.ktap" --log "$RESULTS/bbsuite-$b-console.log" \
        > "$OUT/$b.out" 2>&1 || true
    cp "$RESULTS/bbsuite-$b-console.log" "$OUT/$b.log"
}

[ "$COMPARE_ONLY" = 1 ] || stage_tree
status=0
for r in "${RUNS[@]}"; do
    start=$SECONDS
    if [ "$COMPARE_ONLY" = 1 ]; then
        [ -f "$OUT/$r.log" ] || { echo "busybox-suite: no $OUT/$r.log to compare"; status=1; continue; }
    elif [ "$r" = host ]; then
        reference
    else
        if [ ! -f "$OUT/suite.img" ] || [ "$OUT/suite.img" -ot "$root/bb/list" ]; then
            $MKCPIO "$root" -o "$OUT/suite.cpio" > /dev/null
            gzip -6 -c "$OUT/suite.cpio" > "$OUT/suite.img"
        fi
        kernel_run "$r"
    fi
    parse "$OUT/$r.log" > "$OUT/$r.parsed"
    done_line=$(grep -c '^# busybox-suite: done' "$OUT/$r.log" || true)
    echo "busybox-suite: $r: $(count "$OUT/$r.parsed" PASS) PASS, $(count "$OUT/$r.parsed" FAIL) FAIL, $(count "$OUT/$r.parsed" SKIP) SKIPPED, $((SECONDS - start))s$([ "$done_line" -gt 0 ] || echo ', did not finish')"
    grep -E '^not ok [0-9]+ .* # TIMEOUT' "$OUT/$r.log" | sed "s/^/busybox-suite: $r: /" || true
done

# --- the comparison ----------------------------------------------------------
if [ ! -s "$OUT/host.parsed" ] || ! grep -q '^# busybox-suite: done' "$OUT/host.log"; then
    echo "busybox-suite: the reference run on Linux did not finish; see $OUT/host.log, $OUT/host.err"
    tail -5 "$OUT/host.err" 2>/dev/null || true
    status=1
fi
boards=()
for r in "${RUNS[@]}"; do [ "$r" = host ] || boards+=("$r"); done
{
    printf '# applet\tcase\thost'
    printf '\t%s' "${boards[@]}"
    printf '\n'
    awk -F'\t' -v files="${boards[*]}" -v out="$OUT" '
        BEGIN {
            nb = split(files, b, " ")
            for (i = 1; i <= nb; i++) {
                f = out "/" b[i] ".parsed"
                while ((getline line < f) > 0) { split(line, x, "\t"); st[i, x[1] "\t" x[2]] = x[3] }
            }
        }
        {
            row = $1 "\t" $2 "\t" $3
            for (i = 1; i <= nb; i++) {
                k = $1 "\t" $2
                row = row "\t" ((i, k) in st ? st[i, k] : "MISSING")
            }
            print row
        }
    ' "$OUT/host.parsed"
} > "$RESULTS/bbsuite-compare.txt"

hp=$(count "$OUT/host.parsed" PASS)
hf=$(count "$OUT/host.parsed" FAIL)
hs=$(count "$OUT/host.parsed" SKIP)
if [ "$status" = 0 ] && [ "$hp" -gt 0 ]; then
    printf 'passed %d\nfailed 0\nskipped %d\n' "$hp" $((hs + hf)) > "$RESULTS/bbsuite-host.txt"
else
    printf 'passed %d\nfailed 1\nskipped %d\n' "$hp" $((hs + hf)) > "$RESULTS/bbsuite-host.txt"
fi
col=4
for b in "${boards[@]}"; do
    # Regressions: PASS on Linux, anything else here.
    regress=$(awk -F'\t' -v c=$col '$3 == "PASS" && $c != "PASS"' "$RESULTS/bbsuite-compare.txt" | wc -l)
    bp=$(awk -F'\t' -v c=$col '$c == "PASS"' "$RESULTS/bbsuite-compare.txt" | wc -l)
    extra=$(awk -F'\t' -v c=$col 'NR > 1 && $3 != "PASS" && $c == "PASS"' "$RESULTS/bbsuite-compare.txt" | wc -l)
    total=$(($(wc -l < "$RESULTS/bbsuite-compare.txt") - 1))
    printf 'passed %d\nfailed %d\nskipped %d\n' "$bp" "$regress" $((total - bp - regress)) > "$RESULTS/bbsuite-$b.txt"
    echo "== $b: the tests that pass on Linux and not here =="
    awk -F'\t' -v c=$col -v f="$OUT/$b.parsed" '
        BEGIN { while ((getline l < f) > 0) { split(l, x, "\t"); why[x[1] "\t" x[2]] = x[4] } }
        $3 == "PASS" && $c != "PASS" {
            w = why[$1 "\t" $2]
            printf "%-8s %s: %s%s\n", $c, $1, $2, (w == "" ? "" : "  [" w "]")
        }' "$RESULTS/bbsuite-compare.txt"
    [ "$extra" = 0 ] || {
        echo "== $b: passing here but not on Linux =="
        awk -F'\t' -v c=$col 'NR > 1 && $3 != "PASS" && $c == "PASS" { printf "%-8s %s: %s\n", $3, $1, $2 }' "$RESULTS/bbsuite-compare.txt"
    }
    echo "busybox-suite: $b: $bp of $hp tests that pass on Linux pass here; $regress do not"
    [ "$regress" = 0 ] || status=1
    col=$((col + 1))
done
echo "busybox-suite: Linux (qemu-aarch64): $hp PASS, $hf FAIL, $hs SKIPPED; every case: $RESULTS/bbsuite-compare.txt"
exit $status
