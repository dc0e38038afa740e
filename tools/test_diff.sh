#!/usr/bin/env bash
# The differential check has teeth. The build's own source driver (the project's
# kernel-style balloon.c) agrees with the fixed port on every corpus input; a copy of
# it with one seeded difference (its retry timer one jiffy later) is built through the
# shim as a user's file would be, and `balloon-repro --diff` must report that
# difference, side by side, and exit 1.
#   test_diff.sh SOURCE_DIR BALLOON_REPRO WORK_DIR
set -uo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: test_diff.sh SOURCE_DIR BALLOON_REPRO WORK_DIR" >&2
  exit 2
fi
root=$1 repro=$2 work=$3
rm -rf "$work"
mkdir -p "$work/seeded"
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

inputs=("$root/corpus/balloon_events")
for file in "$root"/corpus/regressions/*; do
  [[ $(basename "$file") == README* ]] || inputs+=("$file")
done

# 1. The build's source driver agrees with its port on every input.
if ! "$repro" --quiet --diff "${inputs[@]}" >"$work/agree.out" 2>&1; then
  fail "the build's source driver diverges from its port: $(grep -m3 diverge "$work/agree.out")"
fi
agreed=$(grep -c ': agree (' "$work/agree.out")
((agreed >= ${#inputs[@]})) || fail "only $agreed inputs agreed: $(head -c 300 "$work/agree.out")"

# 2. One seeded difference, built as a user's own file.
seeded=$work/seeded/balloon.c
sed 's/mod_timer(&balloon_timer, jiffies + HZ);/mod_timer(\&balloon_timer, jiffies + HZ + 1);/' \
  "$root/driver/kernel-c/balloon.c" >"$seeded"
changed=$(diff "$root/driver/kernel-c/balloon.c" "$seeded" | grep -c '^>')
[[ $changed -eq 1 ]] || { echo "FAIL: the seeded copy should differ in one line, not $changed" >&2; exit 1; }
if ! cmake -S "$root" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_COMPILER=g++ -DCMAKE_C_COMPILER=gcc -DBALLOONBENCH_TESTS=OFF \
  -DBALLOONBENCH_PROPS=OFF -DBALLOONBENCH_DRIVER_SOURCE="$seeded" >"$work/configure.log" 2>&1 ||
  ! cmake --build "$work/build" --target balloon-repro >"$work/build.log" 2>&1; then
  echo "FAIL: building the seeded driver failed: $(tail -n 20 "$work/build.log" "$work/configure.log" 2>/dev/null)" >&2
  exit 1
fi
"$work/build/tools/balloon-repro" --diff "${inputs[@]}" >"$work/seeded.out" 2>&1
status=$?
[[ $status -eq 1 ]] || fail "balloon-repro --diff on the seeded driver exited $status, expected 1"
grep -q ': diverge: timer_armed$' "$work/seeded.out" ||
  fail "no input diverged on the timer: $(grep -m3 diverge "$work/seeded.out")"
grep -qE '^fixed +\| source$' "$work/seeded.out" || fail "no side-by-side report in the output"
grep -q 'divergence after event [0-9]*: timer_armed: timer armed for t=[0-9]* vs timer armed for t=[0-9]*$' \
  "$work/seeded.out" ||
  fail "the report does not say where and what: $(grep -m2 divergence "$work/seeded.out")"

((failed == 0)) && echo "test_diff: agreement on ${#inputs[@]} inputs; the seeded difference reported"
exit "$failed"
