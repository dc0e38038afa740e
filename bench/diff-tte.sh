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
# shellcheck source=bench/fuzz-lib.sh
source "$root/bench/fuzz-lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=""
[[ $from == seeds ]] && corpus=$root/corpus/balloon_events

execs=()
for ((s = 1; s <= seeds; s++)); do
  e=$(fuzz_to_cap "$target" balloon_diff "$s" "$cap" "$work" "$corpus")
  if [[ -z $e ]]; then
    echo "diff-tte.sh: $target did not run: $(tail -n 1 "$work/log")" >&2
    exit 1
  fi
  grep -aq '^BALLOONBENCH-FAILURE .*"kind":"divergence"' "$work/log" || e=$cap
  execs+=("$e")
  printf 'seed %d: %s executions\n' "$s" "$e"
done
read -r median worst < <(median_and_worst "${execs[@]}")
echo "from $from: median $median, worst $worst executions (cap $cap; not found counts as the cap)"
