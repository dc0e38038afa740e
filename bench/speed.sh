#!/usr/bin/env bash
# Executions per second of balloon_events on the fixed driver, one worker, from a copy
# of its seed corpus, beside empty_baseline (a target that does nothing, with the same
# flags): the ratio is what the bench itself costs per execution. Both run with the
# target's .options and dictionary, as ci/fuzz runs them.
#   speed.sh BUILD_DIR [SECONDS]
set -uo pipefail
[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: speed.sh BUILD_DIR [SECONDS]" >&2; exit 2; }
bin=$1 seconds=${2:-20}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "speed.sh: SECONDS is a positive number" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
[[ -x $bin/fuzz/balloon_events && -x $bin/fuzz/empty_baseline ]] ||
  { echo "speed.sh: $bin has no libFuzzer targets" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t flags < <("$root/fuzz/options-flags.sh" balloon_events)
flags+=("-dict=$root/fuzz/balloon_events.dict")

rate() {  # rate NAME: executions per second of $bin/fuzz/NAME
  rm -rf "$work/corpus"
  cp -r "$root/corpus/balloon_events" "$work/corpus"
  BALLOON_VARIANT=fixed BALLOON_MUTANT="" "$bin/fuzz/$1" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/" "${flags[@]}" "$work/corpus" >"$work/$1.log" 2>&1
  grep -aoE '^stat::average_exec_per_sec: *[0-9]+' "$work/$1.log" | grep -oE '[0-9]+$' | tail -n 1
}
events=$(rate balloon_events)
baseline=$(rate empty_baseline)
printf '%-16s %12s\n' target exec/s
printf '%-16s %12s\n' balloon_events "${events:-?}" empty_baseline "${baseline:-?}"
if [[ -n $events && -n $baseline && $events -gt 0 ]]; then
  awk -v e="$events" -v b="$baseline" 'BEGIN { printf "empty_baseline / balloon_events: %.0fx\n", b / e }'
fi
