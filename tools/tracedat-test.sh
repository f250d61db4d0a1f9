#!/usr/bin/env bash
# tools/tracedat-test.sh DIR RESULTS [SCREENSHOT]: the binary trace of a
# `make run` (DIR holds its console.log, trace.txt and trace.dat, as
# build/ or make test's $(RESULTS)/run-rpi3/) read by the tools people
# use for Linux traces:
#
#  1. Debian's `trace-cmd report -N trace.dat` (no plugins: every event
#     prints through the `print fmt` of the kernel's format file) must
#     show the same entries as trace.txt: time to the microsecond, CPU,
#     pid, event and fields (`pikern-trace report-check`, 3 tests);
#  2. KernelShark, started on trace.dat under Xvfb, must draw the CPU
#     rows: a screenshot (ImageMagick's `import`) is taken every second
#     until the plot area holds the rows' lines and coloured task bars
#     (1 test; SCREENSHOT keeps the picture).
#
# Writes RESULTS (`passed N`, `failed N`, `skipped N`); a missing tool
# (trace-cmd, kernelshark, xvfb-run, import) counts its tests as skipped
# and says how to install it (tools/setup.sh). Exit status 1 if any failed.
set -uo pipefail
dir=$1 results=$2 shot=${3:-$dir/kernelshark.png}
tool=${TRACE_TOOL:-target/debug/pikern-trace}
passed=0 failed=0 skipped=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
notok() { echo "not ok: $*"; failed=$((failed + 1)); }

if [ ! -s "$dir/trace.dat" ] && [ -f "$dir/console.log" ]; then
    "$tool" dat "$dir/console.log" --kernel build/kernel8.img -o "$dir/trace.dat" || true
fi

# 1. trace-cmd report.
if ! command -v trace-cmd >/dev/null; then
    echo "skip: trace-cmd is not installed (tools/setup.sh installs it)"
    skipped=$((skipped + 3))
elif [ ! -s "$dir/trace.dat" ]; then
    notok "no $dir/trace.dat (make run writes it from /bin/tracedump's dump)"
    failed=$((failed + 2))
else
    trace-cmd report -N "$dir/trace.dat" > "$dir/trace-cmd-report.txt" 2> "$dir/trace-cmd-report.err"
    "$tool" report-check "$dir/trace.txt" --report "$dir/trace-cmd-report.txt" \
        --results "$dir/report-check.txt" > "$dir/report-check.ktap"
    grep -E '^(ok|not ok)' "$dir/report-check.ktap" | sed 's/^/trace-cmd report: /'
    grep -E '^# found' "$dir/report-check.ktap" | head -3
    read -r _ p < <(grep '^passed' "$dir/report-check.txt")
    read -r _ f < <(grep '^failed' "$dir/report-check.txt")
    passed=$((passed + ${p:-0})) failed=$((failed + ${f:-3}))
fi

# The plot area of a 1200x760 KernelShark window at the screen's corner:
# its white background (percent), the CPU rows' base lines (dark pixels)
# and the task bars (saturated colours). A window that did not load the
# file, or a dialog in front, leaves Xvfb's black screen or grey widgets
# there instead.
plot_pixels() {
    local crop=1070x150+90+140
    convert "$1" -crop "$crop" +repage -colorspace Gray -threshold 95% \
        -format '%[fx:round(mean*100)] ' info:
    convert "$1" -crop "$crop" +repage -colorspace Gray -negate -threshold 50% \
        -format '%[fx:round(mean*w*h)] ' info:
    convert "$1" -crop "$crop" +repage -colorspace HSL -channel G -separate +channel \
        -threshold 30% -format '%[fx:round(mean*w*h)]' info:
}
plot_drawn() {
    [ "${1:-0}" -ge 80 ] && [ "${2:-0}" -ge 1000 ] && [ "${3:-0}" -ge 20 ]
}

# 2. KernelShark.
if ! command -v kernelshark >/dev/null || ! command -v xvfb-run >/dev/null \
    || ! command -v import >/dev/null; then
    echo "skip: kernelshark, xvfb-run or import is not installed (tools/setup.sh installs them)"
    skipped=$((skipped + 1))
elif [ ! -s "$dir/trace.dat" ]; then
    notok "kernelshark: no trace.dat"
else
    # KernelShark asks a root user to confirm in a dialog unless its
    # settings say not to; give it settings of its own.
    cache=$(mktemp -d)
    mkdir -p "$cache/kernelshark"
    printf '[General]\nnoRootWarn=true\n' > "$cache/kernelshark/setting.ini"
    rm -f "$shot"
    # shellcheck disable=SC2016
    XDG_CACHE_HOME=$cache KS_DAT=$dir/trace.dat KS_SHOT=$shot timeout 90 \
        xvfb-run -a -s "-screen 0 1200x760x24" bash -c '
        kernelshark -geometry 1200x760+0+0 "$KS_DAT" > "$KS_SHOT.log" 2>&1 &
        ks=$!
        for _ in $(seq 30); do
            sleep 1
            import -window root "$KS_SHOT.tmp.png" 2>/dev/null || continue
            read -r white dark sat < <('"$(declare -f plot_pixels)"'; plot_pixels "$KS_SHOT.tmp.png")
            '"$(declare -f plot_drawn)"'
            if plot_drawn "$white" "$dark" "$sat"; then
                mv "$KS_SHOT.tmp.png" "$KS_SHOT"
                break
            fi
        done
        kill $ks 2>/dev/null; wait $ks 2>/dev/null; true'
    rm -rf "$cache"
    if [ -s "$shot" ]; then
        read -r white dark sat < <(plot_pixels "$shot")
        ok "kernelshark drew the CPU rows of trace.dat (plot $white% white, $dark dark and $sat coloured pixels; $shot)"
    else
        notok "kernelshark: no CPU rows drawn within 30 s (last screenshot $shot.tmp.png, log $shot.log)"
    fi
fi

printf 'passed %d\nfailed %d\nskipped %d\n' "$passed" "$failed" "$skipped" > "$results"
[ "$failed" -eq 0 ]
