# shellcheck shell=bash
# Shell functions the exposure benchmarks share (bench/tte.sh, bench/diff-tte.sh);
# sourced, not run. $root is the source tree.

# fuzz_to_cap FUZZER NAME SEED CAP WORK [CORPUS]: one libFuzzer run of FUZZER with
# target NAME's .options and dictionary, libFuzzer seed SEED, at most CAP executions,
# into a fresh WORK/run (artifacts in WORK/art, output in WORK/log), reading CORPUS too
# when given. Prints the executions it ran, or nothing when the target did not run.
fuzz_to_cap() {
  local fuzzer=$1 name=$2 seed=$3 cap=$4 work=$5 corpus=${6:-} flags
  rm -rf "$work/run" "$work/art"
  mkdir -p "$work/run" "$work/art"
  mapfile -t flags < <("${root:?}/fuzz/options-flags.sh" "$name")
  "$fuzzer" -seed="$seed" -runs="$cap" -print_final_stats=1 -artifact_prefix="$work/art/" \
    -dict="$root/fuzz/$name.dict" "${flags[@]}" "$work/run" ${corpus:+"$corpus"} >"$work/log" 2>&1
  grep -aoE '^stat::number_of_executed_units: *[0-9]+' "$work/log" | grep -oE '[0-9]+$' | tail -n 1
}

# median_and_worst N...: "MEDIAN WORST" of the numbers (the lower median of an even
# count).
median_and_worst() {
  printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)], a[NR]}'
}
