#!/usr/bin/env bash
# Executions per second of balloon_events on the two clean ports (fixed, mainline), one
# worker, from a copy of its seed corpus, beside empty_baseline (a target that does
# nothing, with the same flags): the ratio is what the bench itself costs per
# execution. Xen keeps its contract (BALLOON_LEGAL_XEN=1). All run with the target's
# .options and dictionary, as ci/fuzz runs them.
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

rate() {  # rate NAME VARIANT: executions per second of $bin/fuzz/NAME on VARIANT
  rm -rf "$work/corpus"
  cp -r "$root/corpus/balloon_events" "$work/corpus"
  # Legal Xen behaviour: a Xen that breaks its contract breaks a clean driver's ledger
  # within seconds, which would end the measurement.
  BALLOON_VARIANT=$2 BALLOON_MUTANT="" BALLOON_LEGAL_XEN=1 "$bin/fuzz/$1" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/" "${flags[@]}" "$work/corpus" >"$work/$1.log" 2>&1
  grep -aoE '^stat::average_exec_per_sec: *[0-9]+' "$work/$1.log" | grep -oE '[0-9]+$' | tail -n 1
}
printf '%-16s %-9s %12s\n' target variant exec/s
events=""
for variant in fixed mainline; do
  measured=$(rate balloon_events "$variant")
  [[ $variant == fixed ]] && events=$measured
  printf '%-16s %-9s %12s\n' balloon_events "$variant" "${measured:-?}"
done
baseline=$(rate empty_baseline fixed)
printf '%-16s %-9s %12s\n' empty_baseline - "${baseline:-?}"
if [[ -n $events && -n $baseline && $events -gt 0 ]]; then
  awk -v e="$events" -v b="$baseline" 'BEGIN { printf "empty_baseline / balloon_events (fixed): %.0fx\n", b / e }'
fi
