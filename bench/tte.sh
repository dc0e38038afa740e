#!/usr/bin/env bash
# Time to exposure: how soon libFuzzer finds each bug the bench must catch. For
# `legacy` and every seeded bug, from an empty corpus and from the seeds that do not
# already break that core, with libFuzzer seeds 1..N and a cap on executions, it
# records the executions and seconds to the first crash whose key (read from the
# BALLOONBENCH-FAILURE line or the sanitizer's SUMMARY line) is the expected one.
# "Not found" (the cap reached, or another crash first) counts as the cap.
#   tte.sh BUILD_DIR OUT_JSON [--seeds N] [--cap EXECUTIONS] [--only NAME]
# BUILD_DIR is a build with libFuzzer targets (the fuzz preset). A seeded bug's runs
# are aimed at its invariant (BALLOON_ONLY_INVARIANT), as the fuzz teeth are, so that
# another invariant the same bug trips on the way does not end the search early.
# Prints a table; writes every measurement and the medians to OUT_JSON.
set -uo pipefail
usage() { echo "usage: tte.sh BUILD_DIR OUT_JSON [--seeds N] [--cap EXECUTIONS] [--only NAME]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
bin=$1 out=$2
shift 2
seeds=5 cap=20000 only=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --seeds) seeds=${2:?}; shift 2 ;;
    --cap) cap=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[[ $seeds =~ ^[1-9][0-9]*$ && $cap =~ ^[1-9][0-9]*$ ]] || usage
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/fuzz-lib.sh
source "$root/bench/fuzz-lib.sh"
repro=$bin/tools/balloon-repro
[[ -x $bin/fuzz/balloon_events && -x $repro && -x $bin/tools/balloon-triage ]] ||
  { echo "tte.sh: $bin has no libFuzzer targets or tools" >&2; exit 2; }
command -v jq >/dev/null || { echo "tte.sh: jq is missing (ci/deps installs it)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What to expose: legacy (any invariant), then every seeded bug with the key it must
# cause (balloon-repro --list-mutants is the catalogue's own table).
cases=("legacy balloon_events invariant:*")
declare -A variant_of=([legacy]=legacy)
while read -r mutant key variant; do
  target=balloon_events
  [[ $key == sanitizer:* ]] && target=balloon_procfs
  cases+=("$mutant $target $key")
  variant_of[$mutant]=$variant
done < <("$repro" --list-mutants)


# Seeds that do not break this core, into $2.
passing_seeds() {
  local target=$1 dir=$2 seed
  mkdir -p "$dir"
  for seed in "$root/corpus/$target"/*; do
    if [[ $target == balloon_events ]]; then
      "$repro" --quiet --expect no-violation --variant "$BALLOON_VARIANT" \
        ${BALLOON_MUTANT:+--mutant "$BALLOON_MUTANT"} "$seed" >/dev/null 2>&1 && cp "$seed" "$dir/"
    else
      "$bin/fuzz/${target}_replay" "$seed" >/dev/null 2>&1 && cp "$seed" "$dir/"
    fi
  done
}

# One measurement: prints "executions seconds found".
measure() {
  local target=$1 expect=$2 seed=$3 corpus=$4 start end execs key found=0
  start=$(date +%s.%N)
  execs=$(fuzz_to_cap "$bin/fuzz/$target" "$target" "$seed" "$cap" "$work" "$corpus")
  end=$(date +%s.%N)
  key=$("$bin/tools/balloon-triage" --key "$work/log")
  # shellcheck disable=SC2053  # $expect may be a pattern (legacy: any invariant)
  [[ -n $key && ($key == $expect || $key == $expect:*) ]] && found=1
  ((found)) || execs=$cap
  echo "${execs:-$cap} $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') $found"
}

printf '%-28s %-6s %10s %10s %10s %8s\n' "bug" "from" "median" "worst" "found" "median s"
echo '[]' >"$work/all.json"
for entry in "${cases[@]}"; do
  read -r name target expect <<<"$entry"
  [[ -n $only && $name != "$only" ]] && continue
  if [[ $name == legacy ]]; then
    export BALLOON_VARIANT=legacy BALLOON_MUTANT="" BALLOON_ONLY_INVARIANT=""
  else
    export BALLOON_VARIANT=${variant_of[$name]} BALLOON_MUTANT=$name BALLOON_ONLY_INVARIANT=""
    [[ $expect == invariant:* ]] && BALLOON_ONLY_INVARIANT=${expect#invariant:}
  fi
  rm -rf "$work/seeds"
  passing_seeds "$target" "$work/seeds"
  for from in empty seeds; do
    corpus=""
    [[ $from == seeds ]] && corpus=$work/seeds
    execs=() secs=() hits=0
    for ((s = 1; s <= seeds; s++)); do
      read -r e t f < <(measure "$target" "$expect" "$s" "$corpus")
      execs+=("$e") secs+=("$t") hits=$((hits + f))
      jq --arg bug "$name" --arg from "$from" --argjson seed "$s" --argjson executions "$e" \
        --argjson seconds "$t" --argjson found "$f" --arg expect "$expect" \
        '. + [{bug: $bug, from: $from, seed: $seed, expect: $expect, executions: $executions,
               seconds: $seconds, found: ($found == 1)}]' "$work/all.json" >"$work/all.next"
      mv "$work/all.next" "$work/all.json"
    done
    read -r median worst < <(median_and_worst "${execs[@]}")
    read -r median_s _ < <(median_and_worst "${secs[@]}")
    printf '%-28s %-6s %10s %10s %7s/%-2s %8s\n' "$name" "$from" "$median" "$worst" "$hits" "$seeds" "$median_s"
  done
done
jq --argjson cap "$cap" --argjson seeds "$seeds" \
  '{cap: $cap, seeds_per_case: $seeds, measurements: .,
    summary: (group_by([.bug, .from]) | map({bug: .[0].bug, from: .[0].from,
      median_executions: (map(.executions) | sort | .[(length - 1) / 2 | floor]),
      worst_executions: (map(.executions) | max), found: (map(select(.found)) | length)}))}' \
  "$work/all.json" >"$out.tmp" && mv "$out.tmp" "$out"
echo "measurements: $out (cap $cap executions; not found counts as the cap)"
