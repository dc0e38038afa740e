#!/usr/bin/env bash
# Teeth check for a fuzz target: fuzz from a seed corpus with a fixed libFuzzer seed
# and a fixed execution budget, and check the outcome.
#   teeth.sh FUZZER EXPECT RUNS SEEDS WORKDIR [SEED_CHECK]
# EXPECT is one of:
#   clean             no crash at all
#   invariant:<id>    the first crash is that invariant's violation, read from the
#                     target's BALLOONBENCH-FAILURE line (its JSON key), never from prose
#   <kind>:<detail>   the same for another failure key (e.g. proc-write-contract:...)
#   sanitizer:<kind>  the first crash is a sanitizer report of that kind (its key is
#                     sanitizer:<kind>:<top frames>)
# balloon-triage --key reads the failure, as for the nightly. A crash counts only if
# it comes after libFuzzer's INITED line, that is, after the
# seeds have all run; a crash of another kind fails the check. The variant, mutation
# and BALLOON_ONLY_INVARIANT come from the environment, as for the target itself.
# With SEED_CHECK (balloon-repro, or the target's replay executable), only the seeds
# that pass on this core are used, so the crash has to be found by fuzzing.
set -u
if [[ $# -lt 5 || $# -gt 6 ]]; then
  echo "usage: teeth.sh FUZZER EXPECT RUNS SEEDS WORKDIR [SEED_CHECK]" >&2
  exit 2
fi
fuzzer=$1 expect=$2 runs=$3 seeds=$4 work=$5 repro=${6:-}
# The build's balloon-triage keys the crash (the fuzzer is BUILD/fuzz/<target>).
triage=$(dirname "$fuzzer")/../tools/balloon-triage
[[ -x $triage ]] || { echo "teeth.sh: $triage is missing; build the tools too" >&2; exit 2; }
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts" "$work/seeds"
# Whether a seed passes on this core: balloon-repro judges runs; any other command
# (a replay executable) passes a seed when it runs it without crashing.
seed_passes() {
  if [[ $(basename "$repro") == balloon-repro ]]; then
    local args=(--quiet --expect no-violation)
    # Without BALLOON_VARIANT, the mutation's own variant (or fixed), as for the target.
    [[ -n ${BALLOON_VARIANT:-} ]] && args+=(--variant "$BALLOON_VARIANT")
    [[ -n ${BALLOON_MUTANT:-} ]] && args+=(--mutant "$BALLOON_MUTANT")
    "$repro" "${args[@]}" "$1"
  else
    "$repro" "$1"
  fi
}
if [[ -n $repro ]]; then
  for seed in "$seeds"/*; do
    [[ $(basename "$seed") == README* ]] && continue
    seed_passes "$seed" >"$work/seed-check.log" 2>&1
    case $? in
      0) cp "$seed" "$work/seeds/" ;;
      1) ;;  # breaks this core: left out
      *)
        # balloon-repro's 2 is an unusable input or command line, not a verdict; a
        # replay executable exits 1 on a crash only through the harness's abort.
        if [[ $(basename "$repro") == balloon-repro ]]; then
          echo "FAIL: the seed check could not judge $seed:" >&2
          cat "$work/seed-check.log" >&2
          exit 1
        fi
        ;;
    esac
  done
  seeds=$work/seeds
  kept=$(find "$seeds" -type f | wc -l)
  if ((kept == 0)); then
    echo "FAIL: no seed passes on this core, so the fuzzer would start from nothing" >&2
    exit 1
  fi
  echo "starting from $kept seeds that do not break this core"
fi
# The target's own options and dictionary, as ci/fuzz runs it.
target=$(basename "$fuzzer")
mapfile -t flags < <("$(dirname "$0")/options-flags.sh" "$target" --drop timeout)
dict=$(dirname "$0")/$target.dict
[[ -f $dict ]] && flags+=("-dict=$dict")
"$fuzzer" -seed=1 -runs="$runs" -artifact_prefix="$work/artifacts/" "${flags[@]}" "$work/corpus" "$seeds" \
  >"$work/log" 2>&1
status=$?
artifacts=$(find "$work/artifacts" -type f | wc -l)
executed=$(grep -aoE '^#[0-9]+' "$work/log" | tail -n 1)
inited=$(grep -anE 'INITED' "$work/log" | head -n 1 | cut -d: -f1)

# The first failure in the log after line $1, keyed by balloon-triage as the nightly
# keys crashes (the structured line, else the sanitizer's summary); empty for none.
first_failure_after() {
  tail -n +"$(($1 + 1))" "$work/log" >"$work/after-inited.log"
  "$triage" --key "$work/after-inited.log"
}

if [[ $expect == clean ]]; then
  if [[ $status -eq 0 && $artifacts -eq 0 ]]; then
    echo "no crash in $runs runs, as expected (last status ${executed:-?})"
    exit 0
  fi
  echo "expected no crash in $runs runs, but the fuzzer exited $status with $artifacts artifacts:" >&2
else
  found=""
  [[ -n $inited ]] && found=$(first_failure_after "$inited")
  # A sanitizer key carries the top frames after its kind: sanitizer:<kind>:<frames>.
  if [[ $status -ne 0 && $artifacts -gt 0 && ($found == "$expect" || $found == "$expect":*) ]]; then
    echo "$expect found by fuzzing after ${executed:-?} executions"
    exit 0
  fi
  echo "expected a crash keyed $expect after the seeds ran, within $runs runs; exit $status," \
    "$artifacts artifacts, INITED at line ${inited:-none}, first failure: ${found:-none}" >&2
fi
tail -n 30 "$work/log" >&2
exit 1
