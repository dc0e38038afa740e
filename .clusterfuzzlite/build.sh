#!/bin/bash -eu
# Builds balloonbench's fuzz targets the OSS-Fuzz way, for OSS-Fuzz and ClusterFuzzLite
# alike. It takes the compilers and flags from $CC, $CXX, $CFLAGS and $CXXFLAGS
# (balloonbench is C++ only: $CC and $CFLAGS are passed on but compile nothing), links
# the targets with $LIB_FUZZING_ENGINE, reads the sources from $SRC/balloonbench, and
# puts into $OUT each target, its .options and .dict, and <target>_seed_corpus.zip.
# $WORK, when set, holds the build tree. The same steps serve every $FUZZING_ENGINE:
# for libfuzzer the flags carry -fsanitize=fuzzer-no-link and $LIB_FUZZING_ENGINE is
# -fsanitize=fuzzer; for afl, $CC and $CXX are AFL++'s afl-clang-fast(++), which
# instrument every compile themselves, and $LIB_FUZZING_ENGINE is AFL++'s driver
# library, which runs the same LLVMFuzzerTestOneInput targets under afl-fuzz.
set -euo pipefail

for var in CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE SRC OUT; do
  if [[ -z ${!var+x} ]]; then
    echo "build.sh: \$$var is not set; this script runs inside an OSS-Fuzz style build" >&2
    exit 2
  fi
done
src=$SRC/balloonbench
build=${WORK:-$OUT/..}/balloonbench-build
generator="Unix Makefiles"
command -v ninja >/dev/null 2>&1 && generator=Ninja

# CMake takes CFLAGS and CXXFLAGS from the environment on the first configure.
cmake -S "$src" -B "$build" -G "$generator" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_BUILD_TYPE=Release \
  -DBALLOONBENCH_TESTS=OFF -DBALLOONBENCH_PROPS=OFF \
  -DBALLOONBENCH_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" --no-warn-unused-cli
# The one list of fuzz targets, shared with CMake and ci/.
mapfile -t targets < <(grep -Ev '^[[:space:]]*(#|$)' "$src/fuzz/targets.txt")
echo "build.sh: ${targets[*]} for ${FUZZING_ENGINE:-libfuzzer}, linked with $LIB_FUZZING_ENGINE"
cmake --build "$build" --parallel --target "${targets[@]}"

for target in "${targets[@]}"; do
  cp "$build/fuzz/$target" "$OUT/$target"
  cp "$src/fuzz/$target.options" "$src/fuzz/$target.dict" "$OUT/"
  rm -f "$OUT/${target}_seed_corpus.zip"
  zip -q -j "$OUT/${target}_seed_corpus.zip" "$src/corpus/$target"/*
done
# Every crash ever found is a good seed for the run target too, but for those named
# -in-both-variants: bugs of the original that the fixed driver has as well, which
# would crash every run (docs/corpus.md).
mapfile -t regressions < <(find "$src/corpus/regressions" -maxdepth 1 -type f ! -name 'README*' \
  ! -name '*-in-both-variants' | sort)
zip -q -j "$OUT/balloon_events_seed_corpus.zip" "${regressions[@]}"
# The hosts' regressions (corpus/host-regressions) seed the host target.
mapfile -t host_regressions < <(find "$src/corpus/host-regressions" -maxdepth 1 -type f \
  ! -name 'README*' | sort)
((${#host_regressions[@]} == 0)) ||
  zip -q -j "$OUT/balloon_host_seed_corpus.zip" "${host_regressions[@]}"
