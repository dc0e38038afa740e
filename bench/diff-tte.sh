#!/usr/bin/env bash
# Time to a divergence: how soon balloon_diff finds where a source driver and its port
# differ. For libFuzzer seeds 1..N, from an empty corpus (or from the seeds with
# --from-seeds) and with a cap on executions, it prints the executions to the first
# crash of kind `divergence`, then the median and the worst; "not found" (the cap
# reached, or another crash first) counts as the cap.
#   diff-tte.sh BALLOON_DIFF [--seeds N] [--cap EXECUTIONS] [--from-seeds]
# BALLOON_DIFF is a balloon_diff built with libFuzzer (the fuzz preset) around the
# source driver to compare, e.g. a copy of driver/kernel-c/balloon.c with one seeded
# difference: cmake --preset fuzz -B DIR -DBALLOONBENCH_DRIVER_SOURCE=copy.c
set -uo pipefail
usage() { echo "usage: diff-tte.sh BALLOON_DIFF [--seeds N] [--cap EXECUTIONS] [--from-seeds]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
target=$1
shift
seeds=5 cap=5000 from=empty
while [[ $# -gt 0 ]]; do
  case $1 in
    --seeds) seeds=${2:-}; shift 2 || usage ;;
    --cap) cap=${2:-}; shift 2 || usage ;;
    --from-seeds) from=seeds; shift ;;
    *) usage ;;
  esac
done
[[ $seeds =~ ^[1-9][0-9]*$ && $cap =~ ^[1-9][0-9]*$ ]] || usage
[[ -f $target && -x $target ]] || { echo "diff-tte.sh: $target is not an executable" >&2; exit 2; }
[[ $target == */* ]] || target=./$target
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t flags < <("$root/fuzz/options-flags.sh" balloon_diff)

execs=()
for ((s = 1; s <= seeds; s++)); do
  rm -rf "$work/run" "$work/art"
  mkdir -p "$work/run" "$work/art"
  corpus=()
  [[ $from == seeds ]] && corpus=("$root/corpus/balloon_events")
  "$target" -seed="$s" -runs="$cap" -print_final_stats=1 -artifact_prefix="$work/art/" \
    -dict="$root/fuzz/balloon_diff.dict" "${flags[@]}" "$work/run" "${corpus[@]}" >"$work/log" 2>&1
  e=$(grep -aoE '^stat::number_of_executed_units: *[0-9]+' "$work/log" | grep -oE '[0-9]+$' | tail -n 1)
  if [[ -z $e ]]; then
    echo "diff-tte.sh: $target did not run: $(tail -n 1 "$work/log")" >&2
    exit 1
  fi
  grep -aq '^BALLOONBENCH-FAILURE .*"kind":"divergence"' "$work/log" || e=$cap
  execs+=("$e")
  printf 'seed %d: %s executions\n' "$s" "$e"
done
sorted=$(printf '%s\n' "${execs[@]}" | sort -n)
median=$(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' <<<"$sorted")
worst=$(tail -n 1 <<<"$sorted")
echo "from $from: median $median, worst $worst executions (cap $cap; not found counts as the cap)"
