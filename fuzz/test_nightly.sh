#!/usr/bin/env bash
# ci/nightly, briefly, against a copy of the corpus and an existing build.
#   test_nightly.sh SOURCE_DIR BUILD_DIR WORK_DIR legacy|mutant
# legacy: every crash it meets is already in corpus/regressions, so it exits 0; it
#         writes the three reports, and the merged copy keeps every file it had.
# mutant: the fixed driver with a seeded bug (no-rearm) must fail the job (exit 1)
#         with the crash reported as new, although legacy's regressions break the
#         same invariant.
# Either way the source tree gains no file.
set -uo pipefail
if [[ $# -ne 4 ]]; then
  echo "usage: test_nightly.sh SOURCE_DIR BUILD_DIR WORK_DIR legacy|mutant" >&2
  exit 2
fi
root=$1 build=$2 work=$3 mode=$4
rm -rf "$work"
mkdir -p "$work"
cp -a "$root/corpus" "$work/corpus"
ls "$work/corpus/balloon_events" | sort >"$work/before"
touch "$work/stamp"
sleep 1  # so that anything written afterwards is strictly newer

case $mode in
  legacy) args=(--variant legacy) expected=0 ;;
  mutant) args=(--variant fixed --mutant no-rearm) expected=1 ;;
  *) echo "test_nightly.sh: mode is legacy or mutant" >&2; exit 2 ;;
esac
"$root/ci/nightly" --build-dir "$build" --corpus "$work/corpus" --out "$work/out" --seconds 10 \
  --jobs 2 "${args[@]}" --no-props --target balloon_events >"$work/log" 2>&1
status=$?

failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
[[ $status -eq $expected ]] || fail "ci/nightly exited $status, expected $expected"
[[ -s $work/out/report.md ]] || fail "no report.md"
[[ -s $work/out/report.json ]] || fail "no report.json"
[[ -s $work/out/report.html ]] || fail "no report.html"
grep -q '<section id="crashes">' "$work/out/report.html" 2>/dev/null || fail "report.html has no crash section"
# The report is read as JSON, field by field, as any script should read it.
report() { jq -e "$1" "$work/out/report.json" >/dev/null 2>&1; }
if [[ $mode == legacy ]]; then
  report '.crashes | any(.known)' || fail "report.json lists no known crash; legacy should crash"
  report '.crashes | any(.known | not)' && fail "report.json lists a new crash"
else
  report '.crashes | any(.key == "invariant:rearm" and (.known | not))' ||
    fail "report.json does not list the mutant's rearm crash as new"
fi
report '[.crashes[] | select(.key | startswith("invariant:")) | .failure.key == .key] | all' ||
  fail "an invariant crash in report.json lacks its failure object"
report ".new_failures == $([[ $expected -eq 1 ]] && echo true || echo false)" ||
  fail "report.json's new_failures disagrees with the exit status"
report '.targets | length > 0 and all(.merge == "merged")' || fail "the new inputs were not merged into the corpus"
jq -e '.could_not_run == []' "$work/out/report.json" >/dev/null || fail "report.json says a target could not run: $(jq -c .could_not_run "$work/out/report.json")"
ls "$work/corpus/balloon_events" | sort >"$work/after"
missing=$(comm -23 "$work/before" "$work/after")
[[ -z $missing ]] || fail "the merge dropped corpus files: $missing"
ls -a "$work/corpus" | grep -q '\.merge\.' && fail "a merge scratch directory was left behind"
# Anything written under the source tree (outside build/ and .git/) since the start.
added=$(find "$root" \( -path "$root/build" -o -path "$root/.git" \) -prune -o -newer "$work/stamp" -print |
  grep -vxF "$root" || true)
[[ -z $added ]] || fail "the source tree gained or changed: $added"
# While one nightly holds the corpus, a second one is refused at once (exit 2).
flock -n "$work/corpus" "$root/ci/nightly" --build-dir "$build" --corpus "$work/corpus" \
  --out "$work/out-second" --seconds 10 --no-props --target balloon_events >"$work/second.log" 2>&1
second=$?
[[ $second -eq 2 ]] || fail "a nightly on a locked corpus exited $second, expected 2"
grep -q "another nightly is using" "$work/second.log" || fail "the refusal does not say why: $(tail -n 3 "$work/second.log")"
if ((failed)); then
  tail -n 30 "$work/log" >&2
  exit 1
fi
echo "nightly ($mode): exit $status as expected, reports written, corpus $(wc -l <"$work/before") -> $(wc -l <"$work/after") files"
