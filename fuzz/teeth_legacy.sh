#!/usr/bin/env bash
# The fuzz teeth on legacy, one run of teeth.sh per invariant the catalogue says legacy
# breaks (balloon-repro --list-legacy-breaks), each aimed at it with
# BALLOON_ONLY_INVARIANT and starting from the seeds legacy passes.
#   teeth_legacy.sh FUZZER RUNS SEEDS WORKDIR BALLOON_REPRO
set -u
if [[ $# -ne 5 ]]; then
  echo "usage: teeth_legacy.sh FUZZER RUNS SEEDS WORKDIR BALLOON_REPRO" >&2
  exit 2
fi
fuzzer=$1 runs=$2 seeds=$3 work=$4 repro=$5
teeth=$(dirname "$0")/teeth.sh
mkdir -p "$work"
mapfile -t ids < <("$repro" --list-legacy-breaks)
((${#ids[@]} > 0)) || { echo "FAIL: balloon-repro --list-legacy-breaks names nothing" >&2; exit 1; }
status=0
for id in "${ids[@]}"; do
  # converge needs the hard limit latched while the retry timer is still pending (else
  # rearm stops the run first), a narrow path: measured from the seeds, the search took
  # from under 2,000 executions to more than 20,000 with the same libFuzzer seed, so it
  # gets five times the budget.
  budget=$runs
  [[ $id == converge ]] && budget=$((runs * 5))
  if BALLOON_VARIANT=legacy BALLOON_ONLY_INVARIANT=$id \
      "$teeth" "$fuzzer" "invariant:$id" "$budget" "$seeds" "$work/$id" "$repro" >"$work/$id.log" 2>&1; then
    echo "$id: $(tail -n 1 "$work/$id.log")"
  else
    echo "FAIL: $id:"
    tail -n 20 "$work/$id.log"
    status=1
  fi
done
exit $status
