#!/usr/bin/env bash
# The benchmark scripts refuse a bad command line before they build or run anything:
# exit 2 and one line on stderr saying why.
#   test_bench_usage.sh SOURCE_DIR
set -uo pipefail
root=${1:?usage: test_bench_usage.sh SOURCE_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "test_bench_usage: $*" >&2
  exit 1
}
refused() {  # refused WHAT COMMAND...: COMMAND exits 2 with one line on stderr
  local what=$1
  shift
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  ((rc == 2)) || fail "$what: exit $rc, not 2 ($(head -c 300 "$work/err"))"
  (($(wc -l <"$work/err") == 1)) || fail "$what: stderr is not one line: $(cat "$work/err")"
  [[ ! -s $work/out ]] || fail "$what: printed to stdout: $(head -c 300 "$work/out")"
}
speed=$root/bench/speed.sh
refused "speed.sh with no build" bash "$speed"
refused "speed.sh with SECONDS 0" bash "$speed" "$work" 0
refused "speed.sh with --rounds x" bash "$speed" "$work" 5 --rounds x
refused "speed.sh with --rounds and no value" bash "$speed" "$work" --rounds
refused "speed.sh with an unknown option" bash "$speed" "$work" --bogus
refused "speed.sh on a build without libFuzzer targets" bash "$speed" "$work" 1
# A build whose targets are there (stand-ins that are never run: the check comes
# first), against one whose are not: the refusal names the second.
mkdir -p "$work/build/fuzz"
printf '#!/bin/sh\nexit 1\n' >"$work/build/fuzz/balloon_events"
cp "$work/build/fuzz/balloon_events" "$work/build/fuzz/empty_baseline"
chmod +x "$work/build/fuzz/balloon_events" "$work/build/fuzz/empty_baseline"
refused "speed.sh --against a build without libFuzzer targets" \
  bash "$speed" "$work/build" 1 --against "$work/other"
grep -q "$work/other has no libFuzzer targets" "$work/err" ||
  fail "speed.sh --against: the refusal does not name the second build: $(cat "$work/err")"
refused "ci/bench with an unknown argument" bash "$root/ci/bench" --bogus
refused "ci/bench with --rounds and no value" bash "$root/ci/bench" --speed --rounds
refused "ci/bench with --out and no value" bash "$root/ci/bench" --tte --out
echo "test_bench_usage: every bad command line refused"
