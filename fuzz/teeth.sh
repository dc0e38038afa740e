#!/usr/bin/env bash
# Teeth check for a fuzz target: fuzz from a seed corpus with a fixed libFuzzer seed
# and a fixed execution budget, and check the outcome.
#   teeth.sh FUZZER EXPECT RUNS SEEDS WORKDIR
# EXPECT is "clean" (no crash) or a text the crash report must contain. The variant
# and mutation come from BALLOON_VARIANT and BALLOON_MUTANT, as for the target itself.
set -u
if [[ $# -ne 5 ]]; then
  echo "usage: teeth.sh FUZZER EXPECT RUNS SEEDS WORKDIR" >&2
  exit 2
fi
fuzzer=$1 expect=$2 runs=$3 seeds=$4 work=$5
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
"$fuzzer" -seed=1 -runs="$runs" -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" \
  >"$work/log" 2>&1
status=$?
artifacts=$(find "$work/artifacts" -type f | wc -l)
executed=$(grep -oE '^#[0-9]+' "$work/log" | tail -n 1)
if [[ $expect == clean ]]; then
  if [[ $status -eq 0 && $artifacts -eq 0 ]]; then
    echo "no crash in $runs runs, as expected (last status ${executed:-?})"
    exit 0
  fi
  echo "expected no crash in $runs runs, but the fuzzer exited $status with $artifacts artifacts:" >&2
else
  if [[ $status -ne 0 && $artifacts -gt 0 ]] && grep -qF -- "$expect" "$work/log"; then
    echo "crash found as expected at ${executed:-?}: $(grep -m1 -F -- "$expect" "$work/log")"
    exit 0
  fi
  echo "expected a crash reporting '$expect' within $runs runs; exit $status, $artifacts artifacts:" >&2
fi
tail -n 30 "$work/log" >&2
exit 1
