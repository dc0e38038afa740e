#!/usr/bin/env bash
# A short ci/nightly on legacy, against a copy of the corpus and an existing build:
# every crash it meets is already in corpus/regressions (so it exits 0), it writes
# both reports, and the merged copy keeps every file it had.
#   test_nightly.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -uo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: test_nightly.sh SOURCE_DIR BUILD_DIR WORK_DIR" >&2
  exit 2
fi
root=$1 build=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cp -a "$root/corpus" "$work/corpus"
ls "$work/corpus/balloon_events" | sort >"$work/before"

"$root/ci/nightly" --build-dir "$build" --corpus "$work/corpus" --out "$work/out" --seconds 10 \
  --jobs 2 --variant legacy --no-props --target balloon_events >"$work/log" 2>&1
status=$?

failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
[[ $status -eq 0 ]] || fail "ci/nightly exited $status; legacy's crashes are all known regressions"
[[ -s $work/out/report.md ]] || fail "no report.md"
[[ -s $work/out/report.json ]] || fail "no report.json"
grep -q '"known":true' "$work/out/report.json" || fail "report.json lists no known crash; legacy should crash"
grep -q '"known":false' "$work/out/report.json" && fail "report.json lists a new crash"
ls "$work/corpus/balloon_events" | sort >"$work/after"
missing=$(comm -23 "$work/before" "$work/after")
[[ -z $missing ]] || fail "the merge dropped corpus files: $missing"
ls -a "$work/corpus" | grep -q '\.merge\.' && fail "a merge scratch directory was left behind"
if ((failed)); then
  tail -n 30 "$work/log" >&2
  exit 1
fi
echo "nightly on legacy: only known crashes, reports written, corpus $(wc -l <"$work/before") -> $(wc -l <"$work/after") files"
