#!/usr/bin/env bash
# Executions per second of balloon_events on the two clean ports (fixed, mainline), one
# worker, from a copy of its seed corpus, beside empty_baseline (a target that does
# nothing, with the same flags): the ratio is what the bench itself costs per
# execution. Xen keeps its contract (BALLOON_LEGAL_XEN=1). All run with the target's
# .options and dictionary, as ci/fuzz runs them.
#   speed.sh BUILD_DIR [SECONDS] [--rounds N] [--against OTHER_BUILD_DIR]
# A shared machine's figures drift by a fifth from one run to the next: --rounds runs
# every measurement N times, round after round, and prints each round and the median;
# --against measures a second build in the same rounds, alternating with the first
# (a change's "before" beside its "after", in the same minutes).
set -uo pipefail
usage() {
  echo "usage: speed.sh BUILD_DIR [SECONDS] [--rounds N] [--against OTHER_BUILD_DIR]" >&2
  exit 2
}
[[ $# -ge 1 ]] || usage
builds=("$1")
shift
seconds=20 rounds=1
if [[ $# -gt 0 && $1 != --* ]]; then
  seconds=$1
  shift
fi
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) [[ $# -ge 2 ]] || usage; rounds=$2; shift 2 ;;
    --against) [[ $# -ge 2 ]] || usage; builds+=("$2"); shift 2 ;;
    *) usage ;;
  esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "speed.sh: SECONDS is a positive number" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "speed.sh: --rounds is a positive number" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
for bin in "${builds[@]}"; do
  [[ -x $bin/fuzz/balloon_events && -x $bin/fuzz/empty_baseline ]] ||
    { echo "speed.sh: $bin has no libFuzzer targets" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t flags < <("$root/fuzz/options-flags.sh" balloon_events)
flags+=("-dict=$root/fuzz/balloon_events.dict")

rate() {  # rate BUILD NAME VARIANT: executions per second of BUILD/fuzz/NAME on VARIANT
  rm -rf "$work/corpus"
  cp -r "$root/corpus/balloon_events" "$work/corpus"
  # Legal Xen behaviour: a Xen that breaks its contract breaks a clean driver's ledger
  # within seconds, which would end the measurement.
  BALLOON_VARIANT=$3 BALLOON_MUTANT="" BALLOON_LEGAL_XEN=1 "$1/fuzz/$2" -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$work/" "${flags[@]}" "$work/corpus" >"$work/$2.log" 2>&1
  grep -aoE '^stat::average_exec_per_sec: *[0-9]+' "$work/$2.log" | grep -oE '[0-9]+$' | tail -n 1
}
median_of() {  # median_of BUILD_INDEX MEASURE_INDEX: its rounds' median, "?" for none
  tr ' ' '\n' <<<"${results["$1 $2"]}" | grep -E '^[0-9]+$' | sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "?"; exit }
    print (NR % 2 == 1) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# target, variant run, variant shown
measures=("balloon_events fixed fixed" "balloon_events mainline mainline" "empty_baseline fixed -")
declare -A results  # "BUILD_INDEX MEASURE_INDEX" -> figures, one per round
printf '%-16s %-9s %12s' target variant exec/s
((${#builds[@]} > 1 || rounds > 1)) && printf '  %-6s %s' round build
printf '\n'
for ((round = 1; round <= rounds; ++round)); do
  for ((m = 0; m < ${#measures[@]}; ++m)); do
    for ((b = 0; b < ${#builds[@]}; ++b)); do
      read -r name variant shown <<<"${measures[$m]}"
      measured=$(rate "${builds[$b]}" "$name" "$variant")
      results["$b $m"]+="${measured:-} "
      printf '%-16s %-9s %12s' "$name" "$shown" "${measured:-?}"
      ((${#builds[@]} > 1 || rounds > 1)) && printf '  %-6s %s' "$round" "${builds[$b]}"
      printf '\n'
    done
  done
done
for ((b = 0; b < ${#builds[@]}; ++b)); do
  if ((${#builds[@]} > 1 || rounds > 1)); then
    echo "median of $rounds round(s), ${builds[$b]}:"
    for ((m = 0; m < ${#measures[@]}; ++m)); do
      read -r name _ shown <<<"${measures[$m]}"
      printf '  %-16s %-9s %12s\n' "$name" "$shown" "$(median_of "$b" "$m")"
    done
  fi
  events=$(median_of "$b" 0)
  baseline=$(median_of "$b" 2)
  if [[ $events =~ ^[0-9]+$ && $baseline =~ ^[0-9]+$ && $events -gt 0 ]]; then
    awk -v e="$events" -v b="$baseline" -v w="${builds[$b]}" -v many="$((${#builds[@]} > 1))" \
      'BEGIN { printf "empty_baseline / balloon_events (fixed)%s: %.0fx\n", many ? " in " w : "", b / e }'
  fi
done
