#!/usr/bin/env bash
# Teeth for AFL++: builds balloon_events with the afl preset (afl-clang-fast++, ASan,
# UBSan) into BUILD_DIR, then runs afl-fuzz on it with a fixed seed and a bounded
# number of executions, from the seeds that do not already break each core:
#   - on legacy, afl-fuzz must save a crash, and every crash it saves must replay as
#     a violation of an invariant the catalogue says legacy breaks (balloon-repro
#     --list-legacy-breaks), keyed by balloon-triage --key from the target's
#     BALLOONBENCH-FAILURE line, as fuzz/teeth.sh keys libFuzzer's;
#   - on fixed, under legal Xen behaviour (BALLOON_LEGAL_XEN=1, as libFuzzer's
#     fixed-clean), a shorter run must save no crash and no hang.
# Exits 77 (CTest's skip) when afl-fuzz or afl-clang-fast++ is not installed.
#   teeth_afl.sh SOURCE_DIR BUILD_DIR WORK_DIR BALLOON_REPRO BALLOON_TRIAGE
set -euo pipefail
if [[ $# -ne 5 ]]; then
  echo "usage: teeth_afl.sh SOURCE_DIR BUILD_DIR WORK_DIR BALLOON_REPRO BALLOON_TRIAGE" >&2
  exit 2
fi
source_dir=$(cd "$1" && pwd) build=$2 work=$3 repro=$4 triage=$5
for tool in afl-fuzz afl-clang-fast++; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed (Debian package afl++, which ci/deps installs)"
    exit 77
  fi
done
rm -rf "$work"
mkdir -p "$work"

# Only the target and its replay executable: the tools come from the calling build.
started=$SECONDS
if ! { (cd "$source_dir" && cmake --preset afl -B "$build") &&
  cmake --build "$build" --target balloon_events balloon_events_replay; } >"$work/build.log" 2>&1; then
  tail -n 30 "$work/build.log" >&2
  echo "FAIL: could not build balloon_events with the afl preset in $build" >&2
  exit 1
fi
echo "built balloon_events with AFL++ in $((SECONDS - started)) s"

# The target's own limits, as ci/fuzz --engine afl passes them.
flags=$("$source_dir/fuzz/options-flags.sh" balloon_events)
max_len=$(sed -n 's/^-max_len=//p' <<<"$flags")
timeout_s=$(sed -n 's/^-timeout=//p' <<<"$flags")
mapfile -t legacy_breaks < <("$repro" --list-legacy-breaks)
((${#legacy_breaks[@]} > 0)) || { echo "FAIL: balloon-repro --list-legacy-breaks names nothing" >&2; exit 1; }

# The seeds no longer than max_len that pass on core $1, into $2.
passing_seeds() {
  local seed
  mkdir -p "$2"
  for seed in "$source_dir/corpus/balloon_events"/*; do
    [[ $(basename "$seed") == README* ]] && continue
    [[ -z $max_len || $(stat -c %s "$seed") -le $max_len ]] || continue
    local status=0
    "$repro" --quiet --expect no-violation --variant "$1" "$seed" >/dev/null 2>&1 || status=$?
    case $status in
      0) cp "$seed" "$2/" ;;
      1) ;;  # breaks this core: left out, so the crash has to be found by fuzzing
      *) echo "FAIL: balloon-repro could not judge $seed" >&2; exit 1 ;;
    esac
  done
  [[ -n $(ls -A "$2") ]] || { echo "FAIL: no seed passes on $1" >&2; exit 1; }
}

# afl-fuzz on core $1 for about $2 executions (at most $3 seconds), output in
# $work/$1/out; further arguments are extra environment. The sanitizer options are
# afl-fuzz's own (it refuses ASAN_OPTIONS without symbolize=0), the seed is fixed,
# and nothing else of the caller's environment chooses the core.
run_afl() {
  local variant=$1 execs=$2 seconds=$3
  shift 3
  passing_seeds "$variant" "$work/$variant/seeds"
  local status=0
  env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u LSAN_OPTIONS -u BALLOON_MUTANT -u BALLOON_ONLY_INVARIANT \
    -u BALLOON_LEGAL_XEN \
    AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
    BALLOON_VARIANT="$variant" "$@" \
    afl-fuzz -s 1 -E "$execs" -V "$seconds" -i "$work/$variant/seeds" -o "$work/$variant/out" \
    -x "$source_dir/fuzz/balloon_events.dict" ${max_len:+-G "$max_len"} \
    ${timeout_s:+-t "$((timeout_s * 1000))"} -- "$build/fuzz/balloon_events" \
    >"$work/$variant/afl.log" 2>&1 || status=$?
  stats=$work/$variant/out/default/fuzzer_stats
  if [[ $status -ne 0 || ! -f $stats ]]; then
    tail -n 30 "$work/$variant/afl.log" >&2
    echo "FAIL: afl-fuzz on $variant exited $status" >&2
    exit 1
  fi
}
stat_of() { sed -n "s/^$1 *: *//p" "$stats"; }
saved() { find "$work/$1/out/default/$2" -type f -name 'id:*' | sort; }

# Legacy: afl-fuzz stops soon after its first crash (AFL_BENCH_UNTIL_CRASH).
started=$SECONDS
run_afl legacy 20000 60 AFL_BENCH_UNTIL_CRASH=1
mapfile -t crashes < <(saved legacy crashes)
if ((${#crashes[@]} == 0)); then
  tail -n 20 "$work/legacy/afl.log" >&2
  echo "FAIL: afl-fuzz found no crash on legacy in $(stat_of execs_done) executions" >&2
  exit 1
fi
# Each crash replays once through the AFL build's replay executable; its key is read
# from the structured line, as the nightly reads it.
legacy_key() {
  local id
  for id in "${legacy_breaks[@]}"; do [[ $1 == "invariant:$id" ]] && return 0; done
  return 1
}
failed=0
keys=()
for crash in "${crashes[@]}"; do
  log=$work/legacy/replay-$(basename "$crash" | cut -d, -f1 | tr : -).log
  # (The braces keep the shell's own "Aborted" notice out of the test's output.)
  { BALLOON_VARIANT=legacy "$build/fuzz/balloon_events_replay" "$crash" >"$log" 2>&1 || true; } 2>/dev/null
  key=$("$triage" --key "$log")
  keys+=("${key:-none}")
  if ! legacy_key "$key"; then
    echo "FAIL: $crash replays as '${key:-no failure}', not an invariant legacy breaks (log: $log)" >&2
    failed=1
  fi
done
((failed == 0)) || exit 1
echo "legacy: ${#crashes[@]} crashes in $(stat_of execs_done) executions ($((SECONDS - started)) s)," \
  "each an invariant legacy breaks: $(printf '%s\n' "${keys[@]}" | sort | uniq -c | awk '{print $2 " x" $1}' | paste -sd ' ')"

# Fixed: a shorter run, and nothing may crash or hang. As for libFuzzer's fixed-clean,
# under legal Xen behaviour (BALLOON_LEGAL_XEN=1): with its contract_breaks knob, fixed
# breaks `ledger` as the original does, which is no bug of the patch.
started=$SECONDS
run_afl fixed 10000 30 BALLOON_LEGAL_XEN=1
mapfile -t crashes < <(saved fixed crashes)
mapfile -t hangs < <(saved fixed hangs)
if ((${#crashes[@]} + ${#hangs[@]} > 0)); then
  echo "FAIL: afl-fuzz saved ${#crashes[@]} crashes and ${#hangs[@]} hangs on fixed:" \
    "${crashes[*]} ${hangs[*]}" >&2
  exit 1
fi
echo "fixed: no crash or hang in $(stat_of execs_done) executions ($((SECONDS - started)) s)"
