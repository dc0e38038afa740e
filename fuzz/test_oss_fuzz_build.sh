#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh as OSS-Fuzz would (its environment variables set
# here, on this machine) and checks what lands in $OUT: each target, runnable over its
# unzipped seed corpus, with its .options, .dict and seed corpus zip. ENGINE is the
# $FUZZING_ENGINE to simulate: libfuzzer (the default: clang, -fsanitize=fuzzer) or afl
# (afl-clang-fast and AFL++'s driver library, as OSS-Fuzz sets them; the targets must
# then also start under AFL++'s fork server). Exits 77 (skipped) for afl when AFL++ is
# not installed.
#   test_oss_fuzz_build.sh SOURCE_DIR WORK_DIR [ENGINE]
set -euo pipefail
if [[ $# -lt 2 || $# -gt 3 || ! ${3:-libfuzzer} =~ ^(libfuzzer|afl)$ ]]; then
  echo "usage: test_oss_fuzz_build.sh SOURCE_DIR WORK_DIR [libfuzzer|afl]" >&2
  exit 2
fi
source_dir=$(cd "$1" && pwd)
work=$2
engine=${3:-libfuzzer}
export FUZZING_ENGINE=$engine
sanitizer_flags="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address"
if [[ $engine == afl ]]; then
  for tool in afl-clang-fast afl-clang-fast++ afl-showmap; do
    command -v "$tool" >/dev/null 2>&1 ||
      { echo "SKIP: $tool is not installed (Debian package afl++, which ci/deps installs)"; exit 77; }
  done
  # OSS-Fuzz copies AFL++'s libAFLDriver.a to $LIB_FUZZING_ENGINE; here it is used
  # where the AFL++ package put it, next to the compiler's runtime.
  driver=""
  for dir in "$(dirname "$(readlink -f "$(command -v afl-clang-fast)")")/../lib/afl" /usr/lib/afl /usr/local/lib/afl; do
    [[ -f $dir/libAFLDriver.a ]] && { driver=$(cd "$dir" && pwd)/libAFLDriver.a; break; }
  done
  [[ -n $driver ]] || { echo "SKIP: AFL++'s libAFLDriver.a is not installed"; exit 77; }
  export CC=afl-clang-fast CXX=afl-clang-fast++ LIB_FUZZING_ENGINE=$driver AFL_QUIET=1
  export CFLAGS=$sanitizer_flags
else
  export CC=clang CXX=clang++ LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
  export CFLAGS="$sanitizer_flags -fsanitize=fuzzer-no-link"
fi
export CXXFLAGS="$CFLAGS"
rm -rf "$work"
mkdir -p "$work/src" "$work/out" "$work/work"
ln -s "$source_dir" "$work/src/balloonbench"

export SRC=$work/src OUT=$work/out WORK=$work/work
bash "$source_dir/.clusterfuzzlite/build.sh" >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2
  echo "build.sh failed" >&2
  exit 1
}

failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
mapfile -t targets < <(grep -Ev '^[[:space:]]*(#|$)' "$source_dir/fuzz/targets.txt")
((${#targets[@]} > 0)) || fail "fuzz/targets.txt names no target"
for target in "${targets[@]}"; do
  [[ -x $OUT/$target ]] || fail "$target is not in \$OUT"
  [[ -f $OUT/$target.options ]] || fail "$target.options is not in \$OUT"
  [[ -f $OUT/$target.dict ]] || fail "$target.dict is not in \$OUT"
  zip=$OUT/${target}_seed_corpus.zip
  [[ -f $zip ]] || { fail "${target}_seed_corpus.zip is not in \$OUT"; continue; }
  expected=$(find "$source_dir/corpus/$target" -type f | wc -l)
  if [[ $target == balloon_events ]]; then
    expected=$((expected + $(find "$source_dir/corpus/regressions" -maxdepth 1 -type f \
      ! -name 'README*' ! -name '*-in-both-variants' | wc -l)))
  elif [[ $target == balloon_host ]]; then
    expected=$((expected + $(find "$source_dir/corpus/host-regressions" -maxdepth 1 -type f \
      ! -name 'README*' | wc -l)))
  fi
  found=$(unzip -Z1 "$zip" | wc -l)
  [[ $found -eq $expected ]] || fail "${target}_seed_corpus.zip holds $found files, expected $expected"
  seeds=$work/seeds/$target
  mkdir -p "$seeds"
  unzip -q -o "$zip" -d "$seeds"
  # The built target works on its corpus: libFuzzer's -runs=0 runs every seed once
  # and stops; AFL++'s driver runs the files it is given once each.
  if [[ $engine == afl ]]; then
    run=("$OUT/$target" "$seeds"/*)
  else
    run=("$OUT/$target" -runs=0 "$seeds")
  fi
  if ! "${run[@]}" >"$work/$target.log" 2>&1; then
    tail -n 20 "$work/$target.log" >&2
    fail "$target does not run over its seed corpus"
  fi
  # Under AFL++, the target must also complete the fork server's handshake: it is
  # instrumented and linked with the driver, so afl-fuzz can run it.
  if [[ $engine == afl ]] && ! afl-showmap -q -o /dev/null -- "$OUT/$target" \
      <"$(find "$seeds" -type f | sort | head -n 1)" >"$work/$target.showmap.log" 2>&1; then
    tail -n 20 "$work/$target.showmap.log" >&2
    fail "$target does not start under AFL++'s fork server"
  fi
done
((failed == 0)) && echo "OSS-Fuzz build ($engine): both targets, options, dictionaries and seed corpora are in \$OUT"
exit "$failed"
