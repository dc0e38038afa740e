#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh as OSS-Fuzz would (its environment variables set
# here, on this machine) and checks what lands in $OUT: each target, runnable over its
# unzipped seed corpus, with its .options, .dict and seed corpus zip.
#   test_oss_fuzz_build.sh SOURCE_DIR WORK_DIR
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: test_oss_fuzz_build.sh SOURCE_DIR WORK_DIR" >&2
  exit 2
fi
source_dir=$(cd "$1" && pwd)
work=$2
rm -rf "$work"
mkdir -p "$work/src" "$work/out" "$work/work"
ln -s "$source_dir" "$work/src/balloonbench"

export SRC=$work/src OUT=$work/out WORK=$work/work
export CC=clang CXX=clang++
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
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
    expected=$((expected + $(find "$source_dir/corpus/regressions" -type f ! -name 'README*' | wc -l)))
  fi
  found=$(unzip -Z1 "$zip" | wc -l)
  [[ $found -eq $expected ]] || fail "${target}_seed_corpus.zip holds $found files, expected $expected"
  seeds=$work/seeds/$target
  mkdir -p "$seeds"
  unzip -q -o "$zip" -d "$seeds"
  # -runs=0 runs every seed once and stops: the built target works on its corpus.
  if ! "$OUT/$target" -runs=0 "$seeds" >"$work/$target.log" 2>&1; then
    tail -n 20 "$work/$target.log" >&2
    fail "$target does not run over its seed corpus"
  fi
done
((failed == 0)) && echo "OSS-Fuzz build: both targets, options, dictionaries and seed corpora are in \$OUT"
exit "$failed"
