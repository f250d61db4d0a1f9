#!/usr/bin/env bash
# tools/fuzz-soak.sh: many `make fuzz` runs, each with a fresh seed, a few
# at a time, and one line per run (seed, board, result, seconds): the soak
# that docs/robustness.md records. Each run is exactly what `make fuzz
# BOARD=... FUZZ_SOAK_CALLS=...` runs (lockdep on), with its own console log.
#
#   make kernel dtbs && tools/fuzz-soak.sh [RUNS_PER_BOARD [CALLS [PARALLEL]]]
#
# Defaults: 40 runs per board, 200000 calls, 3 at a time. Logs and the
# summary go to build/fuzz-soak/; reproduce a failing run with
#   make fuzz BOARD=<board> FUZZ_SEED=<seed> FUZZ_SOAK_CALLS=<calls>
set -u
runs=${1:-40}
calls=${2:-200000}
parallel=${3:-3}
out=build/fuzz-soak
mkdir -p "$out"
summary=$out/summary.txt
: > "$summary"

one() {
	local n=$1 board=$2 seed
	seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	local start=$(date +%s)
	target/debug/ktest-runner --board "$board" --kernel build/kernel8.img \
		--dtb "build/$board.dtb" --timeout 3600 \
		--append "lockdep norandmaps init=/init -- /bin/fuzz -s $seed -n $calls -w 4" \
		--results "$out/$n-$board-$seed.txt" --log "$out/$n-$board-$seed.log" \
		> "$out/$n-$board-$seed.ktap" 2>&1
	local status=$? result
	if [ $status -eq 0 ] && grep -qx 'failed 0' "$out/$n-$board-$seed.txt"; then
		result=pass
	else
		result="FAIL ($(grep -m1 -E 'not ok|TIMEOUT|ERROR' "$out/$n-$board-$seed.ktap" | tr -s ' '))"
	fi
	echo "$n $board seed $seed calls $calls $result $(( $(date +%s) - start )) s" >> "$summary"
}

jobs=0
for n in $(seq 1 "$runs"); do
	for board in rpi3 rpi4; do
		one "$n" "$board" &
		jobs=$((jobs + 1))
		if [ "$jobs" -ge "$parallel" ]; then
			wait -n
			jobs=$((jobs - 1))
		fi
	done
done
wait
sort -n "$summary" -o "$summary"
cat "$summary"
echo "fuzz-soak: $(grep -c ' pass ' "$summary") of $(wc -l < "$summary") runs passed"
